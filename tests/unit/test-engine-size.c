/* engine_dir_size (a container's SizeRw), as moby's directory.Size counts: regular files and
 * symlinks by their own size (a symlink is never followed, even to a big file outside), a file
 * with several links once, directories and empty files (whiteouts) nothing; a missing dir is 0. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "containers.h"
#include "util.h"

static void write_bytes(const char *path, size_t n)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        char buf[4096] = { 0 };
        while (n > 0) {
                size_t k = n < sizeof(buf) ? n : sizeof(buf);
                assert_int_equal(write(fd, buf, k), (ssize_t) k);
                n -= k;
        }
        close(fd);
}

static void test_dir_size(void **state)
{
        char tmpl[] = "/tmp/test-engine-size.XXXXXX";
        char *d = mkdtemp(tmpl);
        assert_non_null(d);
        _cleanup_free_ char *a = xasprintf("%s/a", d), *sub = xasprintf("%s/sub", d);
        _cleanup_free_ char *b = xasprintf("%s/sub/b", d), *link1 = xasprintf("%s/sub/b-link", d);
        _cleanup_free_ char *link2 = xasprintf("%s/b-link2", d), *sym = xasprintf("%s/sym", d);
        _cleanup_free_ char *empty = xasprintf("%s/empty", d), *big = xasprintf("%s.big", d);
        _cleanup_free_ char *bigsym = xasprintf("%s/to-big", d), *dsym = xasprintf("%s/to-dir", d);
        write_bytes(a, 1000);
        assert_int_equal(mkdir(sub, 0755), 0);
        write_bytes(b, 5000);
        assert_int_equal(link(b, link1), 0);
        assert_int_equal(link(b, link2), 0);
        assert_int_equal(symlink("a", sym), 0);                 /* 1 byte */
        write_bytes(empty, 0);
        write_bytes(big, 100000);
        assert_int_equal(symlink(big, bigsym), 0);             /* strlen(big) bytes */
        assert_int_equal(symlink("/usr", dsym), 0);            /* 4 bytes, never walked */
        int64_t size = -1;
        assert_int_equal(engine_dir_size(d, &size, NULL), 0);
        assert_int_equal(size, 1000 + 5000 + 1 + (int64_t) strlen(big) + 4);

        _cleanup_free_ char *missing = xasprintf("%s/nope", d);
        assert_int_equal(engine_dir_size(missing, &size, NULL), 0);
        assert_int_equal(size, 0);

        (void) unlink(big);
        _cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", d);
        assert_int_equal(system(cmd), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_dir_size),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

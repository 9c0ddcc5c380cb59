/* fs-safe: scoped resolution must never leave the root, whatever symlinks and ".." say. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fs-safe.h"
#include "util.h"

static char tmpl[64];

static int setup(void **state)
{
        snprintf(tmpl, sizeof(tmpl), "/tmp/lade-test-fs-XXXXXX");
        assert_non_null(mkdtemp(tmpl));
        char p[PATH_MAX];
        snprintf(p, sizeof(p), "%s/root", tmpl);
        assert_int_equal(mkdir(p, 0755), 0);
        snprintf(p, sizeof(p), "%s/outside", tmpl);
        assert_int_equal(mkdir(p, 0755), 0);
        /* root/escape -> ../outside ; root/abs -> /tmp ; root/dotdot -> ../../.. */
        snprintf(p, sizeof(p), "%s/root/escape", tmpl);
        assert_int_equal(symlink("../outside", p), 0);
        snprintf(p, sizeof(p), "%s/root/abs", tmpl);
        assert_int_equal(symlink("/", p), 0);
        snprintf(p, sizeof(p), "%s/root/dotdot", tmpl);
        assert_int_equal(symlink("../../../../..", p), 0);
        return 0;
}

static int teardown(void **state)
{
        (void) rm_rf_at(AT_FDCWD, tmpl);
        return 0;
}

static int open_root(void)
{
        char p[PATH_MAX];
        snprintf(p, sizeof(p), "%s/root", tmpl);
        int fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        return fd;
}

static bool exists(const char *rel)
{
        char p[PATH_MAX];
        struct stat st;
        snprintf(p, sizeof(p), "%s/%s", tmpl, rel);
        return lstat(p, &st) == 0;
}

static void test_normalize(void **state)
{
        static const struct {
                const char *in, *out;
        } cases[] = {
                { "/", "/" },         { "", "/" },           { "a/b", "/a/b" },
                { "/a//b/", "/a/b" }, { "/a/./b", "/a/b" },  { "/a/../b", "/b" },
                { "/../../x", "/x" }, { "/a/b/../../..", "/" }, { "..", "/" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *n = fs_path_normalize(cases[i].in);
                assert_string_equal(n, cases[i].out);
        }
}

static void test_mkdir_through_escaping_symlink(void **state)
{
        _cleanup_close_ int root = open_root();
        LadeError *err = NULL;
        int fd = fs_mkdir_p_in_root(root, "/escape/sub/dir", 0755, &err);
        assert_true(fd >= 0);
        safe_close(fd);
        /* created inside root/outside (the symlink resolved as if root were "/"), never outside */
        assert_true(exists("root/outside/sub/dir"));
        assert_false(exists("outside/sub"));
        fd = fs_mkdir_p_in_root(root, "/abs/made-by-test", 0755, &err);
        assert_true(fd >= 0);
        safe_close(fd);
        assert_true(exists("root/made-by-test"));
        fd = fs_mkdir_p_in_root(root, "dotdot/x/../../y", 0755, &err);
        assert_true(fd >= 0);
        safe_close(fd);
        assert_true(exists("root/y"));
        assert_null(err);
}

static void test_ensure_file(void **state)
{
        _cleanup_close_ int root = open_root();
        LadeError *err = NULL;
        int fd = fs_ensure_in_root(root, "/escape/etc/file", false, &err);
        assert_true(fd >= 0);
        safe_close(fd);
        assert_true(exists("root/outside/etc/file"));
        assert_false(exists("outside/etc"));
        fd = fs_open_in_root(root, "../../../../outside", O_PATH, 0, &err);
        assert_true(fd >= 0); /* clamps to root/outside, the in-root dir of that name */
        safe_close(fd);
        err = lade_error_free(err);
}

static void test_open_missing_names_path(void **state)
{
        _cleanup_close_ int root = open_root();
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        int fd = fs_open_in_root(root, "/no/such", O_RDONLY, 0, &err);
        assert_int_equal(fd, -ENOENT);
        assert_non_null(strstr(lade_error_message(err), "/no/such"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_normalize),
                cmocka_unit_test_setup_teardown(test_mkdir_through_escaping_symlink, setup, teardown),
                cmocka_unit_test_setup_teardown(test_ensure_file, setup, teardown),
                cmocka_unit_test_setup_teardown(test_open_missing_names_path, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

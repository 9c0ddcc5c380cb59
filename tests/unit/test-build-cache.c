/* The builder's pure parts: cache keys (what changes a key and what does not), content digests
 * (mode, owner, content and link targets count; mtimes never), and the history strings BuildKit
 * writes for RUN and COPY, with Go's %q formatting of string lists. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/stat.h>

#include "builder-internal.h"
#include "util.h"

static void key(const char *parent, const char *desc, char **args, const char *content, int64_t epoch,
                char out[static 72])
{
        build_cache_key(parent, desc, args, content, epoch, out);
        assert_true(startswith(out, "sha256:"));
        assert_int_equal(strlen(out), 71);
}

static void test_cache_key(void **state)
{
        char a[72], b[72];
        char *args1[] = { "A=1", "B=2", NULL }, *args2[] = { "B=2", "A=1", NULL }, *args3[] = { "A=1", "B=3", NULL };

        key("sha256:p", "RUN x", args1, "", -1, a);
        key("sha256:p", "RUN x", args2, "", -1, b);
        assert_string_equal(a, b); /* build args are a set */
        key("sha256:p", "RUN x", args3, "", -1, b);
        assert_string_not_equal(a, b);
        key("sha256:q", "RUN x", args1, "", -1, b);
        assert_string_not_equal(a, b); /* parent */
        key("sha256:p", "RUN y", args1, "", -1, b);
        assert_string_not_equal(a, b); /* instruction */
        key("sha256:p", "RUN x", args1, "sha256:c", -1, b);
        assert_string_not_equal(a, b); /* content */
        key("sha256:p", "RUN x", args1, "", 0, b);
        assert_string_not_equal(a, b); /* SOURCE_DATE_EPOCH */
        /* fields are delimited: moving text from one field to the next changes the key */
        key("ab", "c", NULL, NULL, -1, a);
        key("a", "bc", NULL, NULL, -1, b);
        assert_string_not_equal(a, b);
        key("ab", "c", NULL, NULL, -1, b);
        assert_string_equal(a, b);
}

static void digest(const struct stat *st, const char *content, const char *link, char out[static 72])
{
        _cleanup_(sha256_freep) Sha256 *h = sha256_new();
        build_digest_add(h, "dir/file", st, content, link);
        sha256_final_string(h, out);
}

static void test_content_digest(void **state)
{
        char a[72], b[72];
        struct stat st = { .st_mode = S_IFREG | 0644, .st_uid = 0, .st_gid = 0 };

        digest(&st, "sha256:1", "", a);
        st.st_mtim.tv_sec = 12345;
        st.st_atim.tv_sec = 999;
        digest(&st, "sha256:1", "", b);
        assert_string_equal(a, b); /* mtime and atime are not part of it */
        digest(&st, "sha256:2", "", b);
        assert_string_not_equal(a, b);
        st.st_mode = S_IFREG | 0600;
        digest(&st, "sha256:1", "", b);
        assert_string_not_equal(a, b);
        st.st_mode = S_IFREG | 0644;
        st.st_uid = 1000;
        digest(&st, "sha256:1", "", b);
        assert_string_not_equal(a, b);

        struct stat l = { .st_mode = S_IFLNK | 0777 };
        digest(&l, "", "target-a", a);
        digest(&l, "", "target-b", b);
        assert_string_not_equal(a, b);
}

static void test_history_run(void **state)
{
        char *argv[] = { "/bin/sh", "-c", "echo hi > /x", NULL };
        char *args[] = { "A=1", "B=two words", NULL };
        _cleanup_free_ char *plain = build_created_by_run(argv, NULL);
        _cleanup_free_ char *with = build_created_by_run(argv, args);
        char *exec[] = { "touch", "/$X", NULL };
        _cleanup_free_ char *e = build_created_by_run(exec, NULL);

        assert_string_equal(plain, "RUN /bin/sh -c echo hi > /x # buildkit");
        assert_string_equal(with, "RUN |2 A=1 B=two words /bin/sh -c echo hi > /x # buildkit");
        assert_string_equal(e, "RUN touch /$X # buildkit");
}

static void test_history_copy(void **state)
{
        _cleanup_free_ char *f = build_created_by_copy("COPY", "file", "sha256:abc", "/dst/");
        _cleanup_free_ char *d = build_created_by_copy("ADD", "dir", "sha256:def", "/app");

        assert_string_equal(f, "COPY file:abc in /dst/");
        assert_string_equal(d, "ADD dir:def in /app");
}

static void test_go_strv(void **state)
{
        char *cmd[] = { "echo", "hello world", "q\"uote", NULL };
        char *empty[] = { NULL };
        _cleanup_free_ char *a = build_go_strv(cmd);
        _cleanup_free_ char *b = build_go_strv(empty);
        _cleanup_free_ char *c = build_go_strv(NULL);

        assert_string_equal(a, "[\"echo\" \"hello world\" \"q\\\"uote\"]");
        assert_string_equal(b, "[]");
        assert_string_equal(c, "[]");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cache_key),
                cmocka_unit_test(test_content_digest),
                cmocka_unit_test(test_history_run),
                cmocka_unit_test(test_history_copy),
                cmocka_unit_test(test_go_strv),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

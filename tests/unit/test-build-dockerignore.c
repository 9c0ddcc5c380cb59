/* .dockerignore: moby/patternmatcher's own table (patternmatcher_test.go TestMatches and its
 * multi-pattern cases), ignorefile's ReadAll test, Docker's documented examples (the
 * .dockerignore section of the Dockerfile reference), and the helpers for walkers and for the
 * Dockerfile-specific ignore file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "dockerignore.h"
#include "util.h"

typedef struct Case {
        const char *pattern, *path;
        bool match;
} Case;

static const Case single[] = {
        { "**", "file", true },
        { "**", "file/", true },
        { "**/", "file", true },
        { "**/", "file/", true },
        { "**", "/", true },
        { "**/", "/", true },
        { "**", "dir/file", true },
        { "**/", "dir/file", true },
        { "**", "dir/file/", true },
        { "**/", "dir/file/", true },
        { "**/**", "dir/file", true },
        { "**/**", "dir/file/", true },
        { "dir/**", "dir/file", true },
        { "dir/**", "dir/file/", true },
        { "dir/**", "dir/dir2/file", true },
        { "dir/**", "dir/dir2/file/", true },
        { "**/dir", "dir", true },
        { "**/dir", "dir/file", true },
        { "**/dir2/*", "dir/dir2/file", true },
        { "**/dir2/*", "dir/dir2/file/", true },
        { "**/dir2/**", "dir/dir2/dir3/file", true },
        { "**/dir2/**", "dir/dir2/dir3/file/", true },
        { "**file", "file", true },
        { "**file", "dir/file", true },
        { "**/file", "dir/file", true },
        { "**file", "dir/dir/file", true },
        { "**/file", "dir/dir/file", true },
        { "**/file*", "dir/dir/file", true },
        { "**/file*", "dir/dir/file.txt", true },
        { "**/file*txt", "dir/dir/file.txt", true },
        { "**/file*.txt", "dir/dir/file.txt", true },
        { "**/file*.txt*", "dir/dir/file.txt", true },
        { "**/**/*.txt", "dir/dir/file.txt", true },
        { "**/**/*.txt2", "dir/dir/file.txt", false },
        { "**/*.txt", "file.txt", true },
        { "**/**/*.txt", "file.txt", true },
        { "a**/*.txt", "a/file.txt", true },
        { "a**/*.txt", "a/dir/file.txt", true },
        { "a**/*.txt", "a/dir/dir/file.txt", true },
        { "a/*.txt", "a/dir/file.txt", false },
        { "a/*.txt", "a/file.txt", true },
        { "a/*.txt**", "a/file.txt", true },
        { "a[b-d]e", "ae", false },
        { "a[b-d]e", "ace", true },
        { "a[b-d]e", "aae", false },
        { "a[^b-d]e", "aze", true },
        { ".*", ".foo", true },
        { ".*", "foo", false },
        { "abc.def", "abcdef", false },
        { "abc.def", "abc.def", true },
        { "abc.def", "abcZdef", false },
        { "abc?def", "abcZdef", true },
        { "abc?def", "abcdef", false },
        { "a\\\\", "a\\", true },
        { "**/foo/bar", "foo/bar", true },
        { "**/foo/bar", "dir/foo/bar", true },
        { "**/foo/bar", "dir/dir2/foo/bar", true },
        { "abc/**", "abc", false },
        { "abc/**", "abc/def", true },
        { "abc/**", "abc/def/ghi", true },
        { "**/.foo", ".foo", true },
        { "**/.foo", "bar.foo", false },
        { "a(b)c/def", "a(b)c/def", true },
        { "a(b)c/def", "a(b)c/xyz", false },
        { "a.|)$(}+{bc", "a.|)$(}+{bc", true },
        { "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true },
        { "dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true },
        { "a\\*b", "a*b", true },
};

static bool match1(const char *pattern, const char *path)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        _cleanup_(dockerignore_freep) DockerIgnore *m = NULL;
        char *v[] = { (char *) pattern, NULL };

        if (dockerignore_new(v, &m, &err) < 0)
                fail_msg("%s: %s", pattern, err->msg);
        return dockerignore_matches(m, path);
}

static void test_patternmatcher_table(void **state)
{
        for (size_t k = 0; k < ELEMENTSOF(single); k++)
                if (match1(single[k].pattern, single[k].path) != single[k].match)
                        fail_msg("pattern %s, path %s: expected %s", single[k].pattern, single[k].path,
                                 single[k].match ? "a match" : "no match");
}

static bool match_file(const char *file, const char *path)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        _cleanup_(dockerignore_freep) DockerIgnore *m = NULL;

        if (dockerignore_parse(file, strlen(file), &m, &err) < 0)
                fail_msg("%s: %s", file, err->msg);
        return dockerignore_matches(m, path);
}

static const struct {
        const char *file, *path;
        bool match;
} multi[] = {
        /* patternmatcher_test.go multiPatternTests */
        { "**\n!util/docker/web\n", "util/docker/web/foo", false },
        { "**\n!util/docker/web\nutil/docker/web/foo\n", "util/docker/web/foo", true },
        { "**\n!dist/*.whl\n", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", false },
        /* the Dockerfile reference's .dockerignore examples */
        { "# comment\n*/temp*\n*/*/temp*\ntemp?\n", "somedir/temporary.txt", true },
        { "# comment\n*/temp*\n*/*/temp*\ntemp?\n", "somedir/temp", true },
        { "# comment\n*/temp*\n*/*/temp*\ntemp?\n", "somedir/subdir/temporary.txt", true },
        { "# comment\n*/temp*\n*/*/temp*\ntemp?\n", "tempa", true },
        { "# comment\n*/temp*\n*/*/temp*\ntemp?\n", "tempab", false },
        { "# comment\n*/temp*\n*/*/temp*\ntemp?\n", "temporary.txt", false },
        { "*.md\n!README.md\n", "README.md", false },
        { "*.md\n!README.md\n", "CHANGES.md", true },
        { "*.md\n!README*.md\nREADME-secret.md\n", "README-secret.md", true },
        { "*.md\n!README*.md\nREADME-secret.md\n", "README-public.md", false },
        { "*.md\nREADME-secret.md\n!README*.md\n", "README-secret.md", false },
        { "**/*.go\n", "a/b/c/x.go", true },
        { "**/*.go\n", "x.go", true },
        /* a matched directory excludes what is under it */
        { "node_modules\n", "node_modules/a/b.js", true },
        { "/build\n", "build/out.o", true },
        { "./build\n", "build/out.o", true },
        { "build/\n", "build", true },
        { "build\n", "src/build", false },
        { "*/build\n", "src/build/x", true },
        /* last match wins, exceptions only bring back what was excluded */
        { "!keep\n", "keep", false },
        { "a\n!a/b\n", "a/b/c", false },
        { "a\n!a/b\n", "a/c", true },
        { "*\n!src\n", "src/main.c", false },
        { "*\n!src\n", "Makefile", true },
        { "*\n!*.c\n", "main.c", false },
        { "*\n!*.c\n", "dir/main.c", true }, /* dir matched "*" and "!*.c" does not match dir */
        { "  spaced  \n", "spaced", true },
        { "\xEF\xBB\xBF" "bom\n", "bom", true },
        { "#notcomment\n", "#notcomment", false },
        { " #notcomment\n", "#notcomment", true },
        { "a/../b\n", "b", true },
        { "[a-c]?\n", "bz", true },
        { "[a-c]?\n", "dz", false },
        { "[!a]\n", "!", true },
        { "\\[x\\]\n", "[x]", true },
        { "dir\\\n", "dir", false }, /* "dir\": a trailing backslash is a bad pattern (below) */
};

static void test_multi(void **state)
{
        for (size_t k = 0; k < ELEMENTSOF(multi); k++) {
                if (strstr(multi[k].file, "dir\\\n"))
                        continue;
                if (match_file(multi[k].file, multi[k].path) != multi[k].match)
                        fail_msg("case %zu (%s): path %s: expected %s", k, multi[k].file, multi[k].path,
                                 multi[k].match ? "a match" : "no match");
        }
}

static void test_read_all(void **state)
{
        static const char content[] = "test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n!\n! ";
        static const char *const want[] = { "test1", "test2", "a/file/here", "lastfile", "!inverted/abs/path", "!", "!" };
        _cleanup_strv_free_ char **v = NULL;

        assert_int_equal(dockerignore_read(content, strlen(content), &v, NULL), 0);
        assert_int_equal(strv_length(v), ELEMENTSOF(want));
        for (size_t k = 0; k < ELEMENTSOF(want); k++)
                assert_string_equal(v[k], want[k]);
}

static void expect_bad_len(const char *file, size_t len, const char *msg)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        DockerIgnore *m = NULL;

        assert_int_equal(dockerignore_parse(file, len, &m, &err), -EINVAL);
        assert_null(m);
        assert_string_equal(err->msg, msg);
}

static void expect_bad(const char *file, const char *msg)
{
        expect_bad_len(file, strlen(file), msg);
}

static void test_errors(void **state)
{
        expect_bad("!\n", "illegal exclusion pattern: \"!\"");
        expect_bad("[\n", "syntax error in pattern");
        expect_bad("a[]\n", "syntax error in pattern");
        expect_bad("[z-a]\n", "syntax error in pattern");
        expect_bad("[-a]\n", "syntax error in pattern");
        expect_bad("dir\\\n", "syntax error in pattern");
        expect_bad_len("x\0y\n", 4, "ignore file contains a NUL byte");
}

static void test_helpers(void **state)
{
        _cleanup_(dockerignore_freep) DockerIgnore *m = NULL, *n = NULL, *w = NULL;
        static const char f[] = "*\n!docs/keep\n";
        static const char g[] = "Dockerfile\n.dockerignore\nsecret\n";
        static const char h[] = "vendor\n!vendor/**/*.go\n";
        _cleanup_free_ char *c1 = dockerignore_clean_path("./a//b/../c/"), *c2 = dockerignore_clean_path("../x");
        _cleanup_free_ char *c3 = dockerignore_clean_path("/../a"), *c4 = dockerignore_clean_path("");

        assert_string_equal(c1, "a/c");
        assert_string_equal(c2, "../x");
        assert_string_equal(c3, "/a");
        assert_string_equal(c4, ".");
        assert_int_equal(dockerignore_parse(f, strlen(f), &m, NULL), 0);
        assert_true(dockerignore_has_exceptions(m));
        assert_true(dockerignore_matches(m, "src"));
        assert_true(dockerignore_can_skip_dir(m, "src"));
        assert_false(dockerignore_can_skip_dir(m, "docs"));
        assert_false(dockerignore_matches(m, "docs/keep"));
        assert_false(dockerignore_matches(m, "."));
        /* the builder still gets the Dockerfile and .dockerignore, COPY does not */
        assert_int_equal(dockerignore_parse(g, strlen(g), &n, NULL), 0);
        assert_true(dockerignore_matches(n, "Dockerfile"));
        assert_true(dockerignore_in_context(n, "Dockerfile", "Dockerfile"));
        assert_true(dockerignore_in_context(n, ".dockerignore", "Dockerfile"));
        assert_true(dockerignore_in_context(n, "ci/Dockerfile.dockerignore", "ci/Dockerfile"));
        assert_false(dockerignore_in_context(n, "secret", "Dockerfile"));
        assert_true(dockerignore_in_context(n, "other", "Dockerfile"));
        /* wildcard exceptions may match anything below: descend */
        assert_int_equal(dockerignore_parse(h, strlen(h), &w, NULL), 0);
        assert_false(dockerignore_can_skip_dir(w, "vendor"));
        assert_false(dockerignore_matches(w, "vendor/a/b.go"));
        assert_true(dockerignore_matches(w, "vendor/a/b.c"));
        assert_true(dockerignore_can_skip_dir(NULL, "x"));
}

static bool exists_if_named(const char *path, void *userdata)
{
        return streq(path, userdata);
}

static void test_file_for(void **state)
{
        _cleanup_free_ char *a = dockerignore_file_for("ci/Dockerfile", exists_if_named, "ci/Dockerfile.dockerignore");
        _cleanup_free_ char *b = dockerignore_file_for("ci/Dockerfile", exists_if_named, "nothing");
        _cleanup_free_ char *c = dockerignore_file_for("Dockerfile", NULL, NULL);

        assert_string_equal(a, "ci/Dockerfile.dockerignore");
        assert_string_equal(b, ".dockerignore");
        assert_string_equal(c, ".dockerignore");
}

static void test_no_blowup(void **state)
{
        /* many stars against a long path: the matcher remembers failed states */
        char pattern[200], path[2000];

        for (size_t k = 0; k < 50; k++)
                memcpy(pattern + 2 * k, "*a", 2);
        strcpy(pattern + 100, "b");
        memset(path, 'a', sizeof(path) - 1);
        path[sizeof(path) - 1] = 0;
        assert_false(match1(pattern, path));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_patternmatcher_table),
                cmocka_unit_test(test_multi),
                cmocka_unit_test(test_read_all),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_helpers),
                cmocka_unit_test(test_file_for),
                cmocka_unit_test(test_no_blowup),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

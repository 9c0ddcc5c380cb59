/* The CLI's output helpers (src/cli/format.c): docker/cli's formatter.Ellipsis, which cuts
 * `ps` columns (.Mounts at 15 columns) by display width, never inside a UTF-8 character. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "cleanup.h"
#include "format.h"
#include "util.h"

static void test_ellipsis(void **state)
{
        static const struct { const char *in; size_t width; const char *want; } t[] = {
                { "pgdata", 15, "pgdata" },
                { "exactly-15-cols", 15, "exactly-15-cols" },
                { "/tmp/lade-it.abcdef/mnt-src", 15, "/tmp/lade-it.a…" },
                { "3362540b309a3600c34812bcd052d85dc3791535777fb0c09594cc3f1f28ffa9", 15, "3362540b309a36…" },
                { "", 15, "" },
                { "abc", 1, "a" },
                { "abc", 0, "" },
                /* two-byte characters count one column each: cut between characters */
                { "données-partagées", 10, "données-p…" },
                { "éééééééééééééééé", 15, "éééééééééééééé…" },
                /* East Asian wide characters count two */
                { "数据卷数据卷数据卷", 15, "数据卷数据卷数…" },
                { "数据卷", 6, "数据卷" },
                { "数据卷x", 6, "数据…" },
                /* bytes that are not UTF-8 count one column each and are never read past */
                { "\xe9t\xe9-latin1-name-x", 15, "\xe9t\xe9-latin1-nam…" },
                { "abcdefghijklmnopq\xe2\x82", 15, "abcdefghijklmn…" },
                /* Go's: nothing fits before the "…": the string itself */
                { "数据", 2, "数据" },
        };
        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                _cleanup_free_ char *got = format_ellipsis(t[i].in, t[i].width);
                if (!streq(got, t[i].want))
                        fail_msg("Ellipsis(%s, %zu): expected '%s', got '%s'", t[i].in, t[i].width, t[i].want, got);
        }
        _cleanup_free_ char *whole = format_ellipsis("/a/very/long/bind/source/path", SIZE_MAX);
        assert_string_equal(whole, "/a/very/long/bind/source/path");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ellipsis),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

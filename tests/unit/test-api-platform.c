/* The JSON platforms of GET /images/{name}/json?platform= and DELETE /images/{name}?platforms=:
 * dockerd's DecodePlatform (its messages), OnlyPlatformWithFallback and FormatAll. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "api-platform-query.h"
#include "util.h"

static void test_decode(void **state)
{
        static const struct {
                const char *text;
                const char *os, *arch, *variant, *os_version;
                const char *error;      /* NULL: decodes */
        } cases[] = {
                { "{\"os\":\"linux\",\"architecture\":\"amd64\"}", "linux", "amd64", NULL, NULL, NULL },
                { "{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\"}", "linux", "arm64", "v8", NULL,
                  NULL },
                /* encoding/json matches keys without case and skips nulls and unknown keys */
                { "{\"OS\":\"linux\",\"Architecture\":\"arm\",\"Variant\":\"v7\",\"x\":1,\"os.version\":null}",
                  "linux", "arm", "v7", NULL, NULL },
                { "{\"os\":\"windows\",\"architecture\":\"amd64\",\"os.version\":\"10.0.20348\","
                  "\"os.features\":[\"win32k\"]}", "windows", "amd64", NULL, "10.0.20348", NULL },
                { "{\"os\":\"a\",\"os\":\"linux\",\"architecture\":\"amd64\"}", "linux", "amd64", NULL, NULL, NULL },
                { "", NULL, NULL, NULL, NULL, "failed to parse platform: unexpected end of JSON input" },
                { "linux/amd64", NULL, NULL, NULL, NULL, "failed to parse platform: " },
                { "{\"os\":\"linux\"", NULL, NULL, NULL, NULL, "failed to parse platform: " },
                { "[\"linux\"]", NULL, NULL, NULL, NULL,
                  "failed to parse platform: json: cannot unmarshal array into Go value of type v1.Platform" },
                { "\"linux/amd64\"", NULL, NULL, NULL, NULL,
                  "failed to parse platform: json: cannot unmarshal string into Go value of type v1.Platform" },
                { "{\"os\":1,\"architecture\":\"amd64\"}", NULL, NULL, NULL, NULL,
                  "failed to parse platform: json: cannot unmarshal number into Go struct field Platform.os of "
                  "type string" },
                { "{\"os\":\"linux\",\"architecture\":\"amd64\",\"os.features\":\"x\"}", NULL, NULL, NULL, NULL,
                  "failed to parse platform: json: cannot unmarshal string into Go struct field "
                  "Platform.os.features of type []string" },
                { "{\"os\":\"linux\",\"architecture\":\"amd64\",\"os.features\":[true]}", NULL, NULL, NULL, NULL,
                  "failed to parse platform: json: cannot unmarshal bool into Go struct field "
                  "Platform.os.features of type string" },
                { "null", NULL, NULL, NULL, NULL, "both OS and Architecture must be provided" },
                { "{}", NULL, NULL, NULL, NULL, "both OS and Architecture must be provided" },
                { "{\"os\":\"linux\"}", NULL, NULL, NULL, NULL, "both OS and Architecture must be provided" },
                { "{\"os\":\"linux\",\"architecture\":\"\"}", NULL, NULL, NULL, NULL,
                  "both OS and Architecture must be provided" },
                { "{\"variant\":\"v7\"}", NULL, NULL, NULL, NULL,
                  "optional platform fields provided, but OS and Architecture are missing" },
                { "{\"os.features\":[\"a\"]}", NULL, NULL, NULL, NULL,
                  "optional platform fields provided, but OS and Architecture are missing" },
                { "{\"os.features\":[]}", NULL, NULL, NULL, NULL, "both OS and Architecture must be provided" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                Platform p = {};
                LadeError *err = NULL;
                int r = api_platform_decode(cases[i].text, &p, &err);
                if (!cases[i].error) {
                        assert_int_equal(r, 0);
                        assert_string_equal(p.os, cases[i].os);
                        assert_string_equal(p.architecture, cases[i].arch);
                        if (cases[i].variant)
                                assert_string_equal(p.variant, cases[i].variant);
                        else
                                assert_null(p.variant);
                        if (cases[i].os_version)
                                assert_string_equal(p.os_version, cases[i].os_version);
                        platform_done(&p);
                        continue;
                }
                assert_int_equal(r, -EINVAL);
                assert_non_null(err);
                assert_true(startswith(err->msg, cases[i].error));
                assert_null(p.os);
                lade_error_free(err);
        }
}

static void test_matches(void **state)
{
        static const struct {
                const char *want_os, *want_arch, *want_variant;
                const char *have_os, *have_arch, *have_variant;
                bool match;
        } cases[] = {
                { "linux", "amd64", NULL, "linux", "amd64", NULL, true },
                { "linux", "arm64", NULL, "linux", "amd64", NULL, false },
                { "windows", "amd64", NULL, "linux", "amd64", NULL, false },
                { "linux", "arm64", NULL, "linux", "arm64", "v8", true },       /* arm64 means v8 */
                { "linux", "arm64", "v8", "linux", "arm64", NULL, true },
                { "linux", "arm", "v7", "linux", "arm", "v6", true },           /* v7 runs v6 */
                { "linux", "arm", "v6", "linux", "arm", "v7", false },
                { "linux", "arm", "v6", "linux", "arm", NULL, true },           /* no variant: fallback */
                { "linux", "amd64", "v3", "linux", "amd64", NULL, true },
                { "linux", "386", NULL, "linux", "amd64", NULL, false },
                { "linux", "amd64", NULL, "linux", "386", NULL, true },         /* amd64 runs 386 */
                { "linux", "x86_64", NULL, "linux", "amd64", NULL, true },      /* normalized */
                { "LINUX", "AMD64", NULL, "linux", "amd64", NULL, true },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                Platform want = { .os = (char *) cases[i].want_os, .architecture = (char *) cases[i].want_arch,
                                  .variant = (char *) cases[i].want_variant };
                Platform have = { .os = (char *) cases[i].have_os, .architecture = (char *) cases[i].have_arch,
                                  .variant = (char *) cases[i].have_variant };
                assert_int_equal(api_platform_matches(&want, &have), cases[i].match);
        }
}

static void test_format_all(void **state)
{
        static const struct {
                Platform p;
                const char *text;
        } cases[] = {
                { { .os = "linux", .architecture = "amd64" }, "linux/amd64" },
                { { .os = "linux", .architecture = "arm", .variant = "v7" }, "linux/arm/v7" },
                { { .os = "windows", .architecture = "amd64", .os_version = "10.0" }, "windows(10.0)/amd64" },
                { { .os = "linux", .variant = "v7" }, "linux/v7" },
                { { .architecture = "amd64" }, "unknown" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *s = api_platform_format_all(&cases[i].p);
                assert_string_equal(s, cases[i].text);
                free(s);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_decode),
                cmocka_unit_test(test_matches),
                cmocka_unit_test(test_format_all),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

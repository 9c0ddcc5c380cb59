/* POST /build's buildargs and labels parameters: JSON objects of strings -> "K=V" lists, with
 * null build args dropped, and every malformed input refused with dockerd's wording. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "api-build-query.h"
#include "util.h"

static char *joined(char **v)
{
        char *s = xstrdup("");
        for (; v && *v; v++) {
                char *t = xasprintf("%s%s%s", s, *s ? "|" : "", *v);
                free(s);
                s = t;
        }
        return s;
}

typedef struct Case {
        const char *text;
        bool allow_null;
        int r;
        const char *expect;     /* the joined list, or part of the message */
} Case;

static void test_kv(void **state)
{
        static const Case cases[] = {
                { NULL, true, 0, "" },
                { "", true, 0, "" },
                { "{}", true, 0, "" },
                { "{\"A\":\"1\",\"B\":\"two words\"}", true, 0, "A=1|B=two words" },
                { "{\"A\":\"x=y\"}", false, 0, "A=x=y" },
                { "{\"A\":null,\"B\":\"\"}", true, 0, "B=" },
                { "{\"A\":null}", false, -EINVAL, "value of \"A\": expected a string, got null" },
                { "{\"A\":1}", true, -EINVAL, "expected a string, got an integer" },
                { "[\"A=1\"]", true, -EINVAL, "expected a JSON object, got an array" },
                { "{\"A\":", true, -EINVAL, "error reading what: not valid JSON" },
                { "{\"\":\"1\"}", true, -EINVAL, "invalid key" },
                { "{\"A=B\":\"1\"}", true, -EINVAL, "invalid key" },
                { "{\"A\":\"1\",\"A\":\"2\"}", true, -EINVAL, "not valid JSON" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char **v = NULL;
                LadeError *err = NULL;
                int r = api_build_kv_parse(cases[i].text, "what", cases[i].allow_null, &v, &err);
                if (r != cases[i].r)
                        fail_msg("case %zu: %d, expected %d (%s)", i, r, cases[i].r, lade_error_message(err));
                if (r == 0) {
                        char *s = joined(v);
                        assert_string_equal(s, cases[i].expect);
                        free(s);
                } else if (!strstr(lade_error_message(err), cases[i].expect))
                        fail_msg("case %zu: '%s' does not contain '%s'", i, lade_error_message(err), cases[i].expect);
                strv_free(v);
                lade_error_free(err);
        }
}

static void test_limits(void **state)
{
        char *big = xmalloc(API_BUILD_KV_BYTES + 16);
        memset(big, ' ', API_BUILD_KV_BYTES + 8);
        memcpy(big, "{}", 2);
        big[API_BUILD_KV_BYTES + 8] = '\0';
        char **v = NULL;
        LadeError *err = NULL;
        assert_int_equal(api_build_kv_parse(big, "labels", false, &v, &err), -E2BIG);
        lade_error_free(err);
        err = NULL;
        free(big);
        /* API_BUILD_KV_MAX + 1 entries */
        size_t cap = 16 * (API_BUILD_KV_MAX + 2);
        char *many = xmalloc(cap), *p = many;
        p += sprintf(p, "{");
        for (unsigned k = 0; k <= API_BUILD_KV_MAX; k++)
                p += sprintf(p, "%s\"k%u\":\"v\"", k ? "," : "", k);
        sprintf(p, "}");
        assert_int_equal(api_build_kv_parse(many, "labels", false, &v, &err), -E2BIG);
        assert_null(v);
        lade_error_free(err);
        free(many);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_kv),
                cmocka_unit_test(test_limits),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

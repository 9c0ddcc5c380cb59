/* The audit log: secrets never survive redaction (passwords, tokens, auth headers, Env values,
 * build args), summaries stay bounded, lines are appended and the file rotates at its size. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api-audit.h"
#include "json-util.h"
#include "util.h"

static char tmpdir[] = "/tmp/test-api-audit.XXXXXX";

static char *redact_text(const char *in)
{
        json_t *j = NULL;
        assert_int_equal(json_parse_text(in, strlen(in), "in", &j, NULL), 0);
        json_t *out = api_audit_redact(j);
        char *s = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(out);
        json_decref(j);
        return s;
}

static void test_redact(void **state)
{
        static const struct {
                const char *in, *out;
        } cases[] = {
                { "{\"username\":\"u\",\"password\":\"s3cret\",\"serveraddress\":\"r\"}",
                  "{\"password\":\"<redacted>\",\"serveraddress\":\"r\",\"username\":\"u\"}" },
                { "{\"identitytoken\":\"t\",\"RegistryToken\":\"t\",\"auth\":\"dTpw\"}",
                  "{\"RegistryToken\":\"<redacted>\",\"auth\":\"<redacted>\",\"identitytoken\":\"<redacted>\"}" },
                { "{\"Image\":\"busybox\",\"Env\":[\"A=1\",\"DB_PASSWORD=hunter2\",\"NOVALUE\"]}",
                  "{\"Env\":[\"A=<redacted>\",\"DB_PASSWORD=<redacted>\",\"NOVALUE=<redacted>\"],\"Image\":\"busybox\"}" },
                { "{\"BuildArgs\":{\"TOKEN\":\"x\",\"V\":\"1\"}}", "{\"BuildArgs\":\"<redacted>\"}" },
                { "{\"HostConfig\":{\"Privileged\":true,\"Binds\":[\"/a:/b\"]},\"Labels\":{\"k\":\"v\"}}",
                  "{\"HostConfig\":{\"Binds\":[\"/a:/b\"],\"Privileged\":true},\"Labels\":{\"k\":\"v\"}}" },
                { "{\"nested\":{\"deeper\":{\"Secrets\":[{\"x\":1}]}}}",
                  "{\"nested\":{\"deeper\":{\"Secrets\":\"<redacted>\"}}}" },
                { "[1,\"a\",null]", "[1,\"a\",null]" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *s = redact_text(cases[i].in);
                assert_string_equal(s, cases[i].out);
                free(s);
        }
        assert_true(api_audit_secret_key("X-Registry-Auth"));
        assert_true(api_audit_secret_key("Authorization"));
        assert_false(api_audit_secret_key("Image"));
}

static void test_bounds(void **state)
{
        /* a long string is cut, a long array elided, a deep structure stops */
        char *big = xmalloc(5000);
        memset(big, 'x', 4999);
        big[4999] = '\0';
        json_t *j = json_pack("{s:s}", "Cmd", big);
        json_t *r = api_audit_redact(j);
        assert_true(strlen(json_string_value(json_object_get(r, "Cmd"))) < 400);
        json_decref(r);
        json_decref(j);
        json_t *arr = json_array();
        for (int i = 0; i < 1000; i++)
                json_array_append_new(arr, json_integer(i));
        r = api_audit_redact(arr);
        assert_true(json_array_size(r) <= 65);
        json_decref(r);
        json_t *deep = json_string("bottom");
        for (int i = 0; i < 50; i++)
                deep = json_pack("{s:o}", "d", deep);
        r = api_audit_redact(deep);
        char *s = json_dumps(r, JSON_COMPACT);
        assert_null(strstr(s, "bottom"));
        free(s);
        json_decref(r);
        /* a body too big to log whole is its size and keys */
        json_t *wide = json_object();
        for (int i = 0; i < 60; i++) {
                char k[16];
                snprintf(k, sizeof(k), "k%d", i);
                json_object_set_new(wide, k, json_string(big));
        }
        json_t *sum = api_audit_body_summary("application/json", wide, 12345);
        assert_true(json_is_true(json_object_get(sum, "truncated")));
        assert_int_equal(json_integer_value(json_object_get(sum, "bytes")), 12345);
        json_decref(sum);
        json_decref(wide);
        sum = api_audit_body_summary("application/x-tar", NULL, 99);
        assert_string_equal(json_string_value(json_object_get(sum, "content_type")), "application/x-tar");
        json_decref(sum);
        assert_null(api_audit_body_summary(NULL, NULL, 0));
        json_decref(arr);
        json_decref(deep);
        free(big);
        json_t *q = api_audit_query_value("buildargs", "{\"PASSWORD\":\"x\"}");
        assert_string_equal(json_string_value(q), API_AUDIT_REDACTED);
        json_decref(q);
        q = api_audit_query_value("fromImage", "busybox");
        assert_string_equal(json_string_value(q), "busybox");
        json_decref(q);
}

static void test_append_rotate(void **state)
{
        char path[256];
        snprintf(path, sizeof(path), "%s/audit.log", tmpdir);
        ApiAudit *a = NULL;
        LadeError *err = NULL;
        assert_int_equal(api_audit_open(path, 4096, &a, &err), 0);
        json_t *e = json_pack("{s:s,s:i}", "method", "GET", "status", 200);
        for (int i = 0; i < 200; i++)
                assert_int_equal(api_audit_append(a, e, &err), 0);
        json_decref(e);
        api_audit_free(a);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_true(st.st_size <= 4096);
        assert_int_equal(st.st_mode & 0777, 0600);
        char rotated[300];
        snprintf(rotated, sizeof(rotated), "%s.1", path);
        assert_int_equal(stat(rotated, &st), 0);
        snprintf(rotated, sizeof(rotated), "%s.%d", path, API_AUDIT_KEEP + 1);
        assert_int_equal(stat(rotated, &st), -1);
        char *text = NULL;
        size_t len = 0;
        assert_int_equal(read_file_at(AT_FDCWD, path, 1 << 20, &text, &len, NULL), 0);
        assert_true(len > 0 && text[len - 1] == '\n');
        assert_non_null(strstr(text, "{\"method\":\"GET\",\"status\":200}\n"));
        free(text);
        /* a symlink in the log's place is refused, not followed */
        char link[300];
        snprintf(link, sizeof(link), "%s/link.log", tmpdir);
        assert_int_equal(symlink("/etc/passwd", link), 0);
        assert_int_equal(api_audit_open(link, 4096, &a, &err), -ELOOP);
        lade_error_free(err);
}

static int setup(void **state)
{
        return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
        return rm_rf_at(AT_FDCWD, tmpdir) < 0 ? -1 : 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_redact),
                cmocka_unit_test(test_bounds),
                cmocka_unit_test(test_append_rotate),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}

/* registry auth parsers: WWW-Authenticate challenges (a table of valid and invalid headers),
 * Docker config.json credentials (encode, decode, lookup by host, set and remove keeping other
 * keys) and token answers. Secrets never appear in error messages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "json-util.h"
#include "registry-internal.h"
#include "util.h"

typedef struct ChallengeCase {
        const char *header;
        size_t n;                      /* challenges parsed */
        RegistryAuthScheme picked;     /* scheme of registry_challenges_pick, NONE if NULL */
        const char *realm, *service, *scope, *error;
} ChallengeCase;

static const ChallengeCase valid[] = {
        { "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
          "scope=\"repository:library/busybox:pull\"",
          1, REGISTRY_AUTH_BEARER, "https://auth.docker.io/token", "registry.docker.io",
          "repository:library/busybox:pull", NULL },
        { "Basic realm=\"Registry Realm\"", 1, REGISTRY_AUTH_BASIC, "Registry Realm", NULL, NULL,
          NULL },
        { "Bearer realm=\"a\\\"b\\\\c\"", 1, REGISTRY_AUTH_BEARER, "a\"b\\c", NULL, NULL, NULL },
        { "bearer REALM=x , Service = \"y\"", 1, REGISTRY_AUTH_BEARER, "x", "y", NULL, NULL },
        { "Basic realm=\"r\", Bearer realm=\"https://t\",service=\"s\"", 2, REGISTRY_AUTH_BEARER,
          "https://t", "s", NULL, NULL },
        { "Negotiate abc==, Basic realm=\"x\"", 2, REGISTRY_AUTH_BASIC, "x", NULL, NULL, NULL },
        { "Bearer realm=\"x\",,  ,service=\"y\"", 1, REGISTRY_AUTH_BEARER, "x", "y", NULL, NULL },
        /* Unquoted, ",push" starts another (unknown) challenge: scopes must be quoted. */
        { "Bearer realm=https://x/token,service=reg,scope=repository:a/b:pull,push", 2,
          REGISTRY_AUTH_BEARER, "https://x/token", "reg", "repository:a/b:pull", NULL },
        { "Bearer realm=\"https://t\",error=\"insufficient_scope\",foo=\"ignored\"", 1,
          REGISTRY_AUTH_BEARER, "https://t", NULL, NULL, "insufficient_scope" },
        { "Bearer realm=\"first\",realm=\"second\"", 1, REGISTRY_AUTH_BEARER, "first", NULL, NULL,
          NULL },
        /* A Bearer without a realm cannot be answered; Basic is the fallback. */
        { "Bearer service=\"s\", Basic realm=\"b\"", 2, REGISTRY_AUTH_BASIC, "b", NULL, NULL,
          NULL },
        { "Digest realm=\"x\", qop=\"auth\"", 1, REGISTRY_AUTH_NONE, NULL, NULL, NULL, NULL },
        { "Basic", 1, REGISTRY_AUTH_BASIC, NULL, NULL, NULL, NULL },
        { "", 0, REGISTRY_AUTH_NONE, NULL, NULL, NULL, NULL },
        { " , ", 0, REGISTRY_AUTH_NONE, NULL, NULL, NULL, NULL },
};

static void test_challenges_valid(void **state)
{
        for (size_t i = 0; i < ELEMENTSOF(valid); i++) {
                const ChallengeCase *t = &valid[i];
                RegistryChallenges c = {};
                LadeError *err = NULL;
                int r = registry_challenges_parse(&c, t->header, strlen(t->header), &err);
                if (r < 0)
                        fail_msg("'%s': %s", t->header, lade_error_message(err));
                assert_int_equal(c.n, t->n);
                const RegistryChallenge *p = registry_challenges_pick(&c);
                assert_int_equal(p ? p->scheme : REGISTRY_AUTH_NONE, t->picked);
                if (p) {
                        assert_true(streq_ptr(p->realm, t->realm));
                        assert_true(streq_ptr(p->service, t->service));
                        assert_true(streq_ptr(p->scope, t->scope));
                        assert_true(streq_ptr(p->error, t->error));
                }
                registry_challenges_done(&c);
        }
}

static void test_challenges_invalid(void **state)
{
        static const struct {
                const char *header, *message;
        } invalid[] = {
                { "Bearer realm=\"unterminated", "unterminated quoted string" },
                { "Bearer realm=\"x\" service=\"y\"", "expected ','" },
                { "=foo", "invalid character in auth scheme" },
                { "Bearer realm=\"a\001b\"", "control character" },
                { "Bearer realm=", NULL },
                { "Bearer realm=\"x\",service=", "missing parameter value" },
                { "Bea\"rer realm=x", "invalid character in auth scheme" },
        };
        for (size_t i = 0; i < ELEMENTSOF(invalid); i++) {
                RegistryChallenges c = {};
                LadeError *err = NULL;
                int r = registry_challenges_parse(&c, invalid[i].header, strlen(invalid[i].header),
                                                  &err);
                if (!invalid[i].message) {
                        /* "realm=" alone reads as a token68 ending in '='. */
                        registry_challenges_done(&c);
                        lade_error_free(err);
                        continue;
                }
                if (r >= 0)
                        fail_msg("'%s' parsed", invalid[i].header);
                assert_int_equal(r, -EINVAL);
                assert_int_equal(c.n, 0);
                assert_non_null(strstr(lade_error_message(err), invalid[i].message));
                lade_error_free(err);
        }
}

static void test_challenges_limits(void **state)
{
        RegistryChallenges c = {};
        LadeError *err = NULL;
        _cleanup_free_ char *many = xstrdup("Basic");
        for (int i = 0; i < REGISTRY_CHALLENGES_MAX; i++) {
                char *next = xasprintf("%s, Basic", many);
                free(many);
                many = next;
        }
        assert_int_equal(registry_challenges_parse(&c, many, strlen(many), &err), -EINVAL);
        assert_non_null(strstr(lade_error_message(err), "too many challenges"));
        assert_int_equal(c.n, 0);
        err = lade_error_free(err);

        _cleanup_free_ char *big = xmalloc(REGISTRY_AUTH_VALUE_MAX + 64);
        int k = sprintf(big, "Bearer realm=\"");
        memset(big + k, 'a', REGISTRY_AUTH_VALUE_MAX + 1);
        strcpy(big + k + REGISTRY_AUTH_VALUE_MAX + 1, "\"");
        assert_int_equal(registry_challenges_parse(&c, big, strlen(big), &err), -EINVAL);
        assert_non_null(strstr(lade_error_message(err), "too long"));
        err = lade_error_free(err);

        /* Not NUL-terminated: the parser must stop at len. */
        const char buf[] = { 'B', 'a', 's', 'i', 'c', ' ', 'r', 'e', 'a', 'l', 'm', '=', '"', 'x' };
        assert_int_equal(registry_challenges_parse(&c, buf, sizeof(buf), &err), -EINVAL);
        err = lade_error_free(err);

        /* Appends to what c has; a failure keeps the earlier challenges. */
        assert_int_equal(registry_challenges_parse(&c, "Basic realm=a", 13, NULL), 0);
        assert_int_equal(registry_challenges_parse(&c, "Bearer realm=\"", 14, NULL), -EINVAL);
        assert_int_equal(c.n, 1);
        registry_challenges_done(&c);
}

static void test_auth_encode_decode(void **state)
{
        _cleanup_free_ char *enc = registry_auth_encode("alice", "s3cret pass");
        assert_string_equal(enc, "YWxpY2U6czNjcmV0IHBhc3M=");
        char *user = NULL, *password = NULL;
        assert_int_equal(registry_auth_decode(enc, &user, &password, NULL), 0);
        assert_string_equal(user, "alice");
        assert_string_equal(password, "s3cret pass");
        free(user);
        free(password);

        /* The password may hold ':'; the user may not. */
        _cleanup_free_ char *colon = registry_auth_encode("bob", "a:b:c");
        assert_int_equal(registry_auth_decode(colon, &user, &password, NULL), 0);
        assert_string_equal(user, "bob");
        assert_string_equal(password, "a:b:c");
        free(user);
        free(password);
        _cleanup_free_ char *one = registry_auth_encode("u", "");
        assert_int_equal(registry_auth_decode(one, &user, &password, NULL), 0);
        assert_string_equal(password, "");
        free(user);
        free(password);

        static const char *const bad[] = { "!!!!", "YWxpY2U=", "OnNlY3JldA==", "YWJj", "", "a",
                                           "YQ=", "AGI6Yw==" /* "\0b:c" */ };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                LadeError *err = NULL;
                user = password = NULL;
                assert_int_equal(registry_auth_decode(bad[i], &user, &password, &err), -EINVAL);
                assert_null(user);
                assert_null(password);
                /* never quotes the (secret) value */
                if (strlen(bad[i]) >= 4)
                        assert_null(strstr(lade_error_message(err), bad[i]));
                lade_error_free(err);
        }
}

static void test_auth_host_key(void **state)
{
        static const struct {
                const char *server, *host, *key;
        } cases[] = {
                { NULL, "docker.io", "https://index.docker.io/v1/" },
                { "docker.io", "docker.io", "https://index.docker.io/v1/" },
                { "https://index.docker.io/v1/", "docker.io", "https://index.docker.io/v1/" },
                { "registry-1.docker.io", "docker.io", "https://index.docker.io/v1/" },
                { "http://localhost:5000/v2/", "localhost:5000", "localhost:5000" },
                { "HTTPS://Quay.io", "Quay.io", "Quay.io" },
                { "[::1]:5000", "[::1]:5000", "[::1]:5000" },
                { "", NULL, NULL },
                { "https://", NULL, NULL },
                { "/path", NULL, NULL },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *host = registry_auth_host(cases[i].server);
                _cleanup_free_ char *key = registry_auth_key(cases[i].server);
                assert_true(streq_ptr(host, cases[i].host));
                assert_true(streq_ptr(key, cases[i].key));
        }
}

static json_t *parse(const char *s)
{
        json_t *j = NULL;
        assert_int_equal(json_parse_text(s, strlen(s), "test", &j, NULL), 0);
        return j;
}

static void expect_find(const char *config, const char *domain, int want, const char *user,
                        const char *password)
{
        _cleanup_json_ json_t *j = parse(config);
        _cleanup_free_ char *u = NULL, *p = NULL;
        LadeError *err = NULL;
        int r = registry_auth_config_find(j, domain, &u, &p, &err);
        if (r != want)
                fail_msg("%s in %s: %d (%s)", domain, config, r, lade_error_message(err));
        if (want == -ENOENT)
                assert_null(err);
        if (want == 0) {
                assert_string_equal(u, user);
                assert_string_equal(p, password);
        }
        lade_error_free(err);
}

static void test_config_find(void **state)
{
        /* alice:pw = YWxpY2U6cHc= ; bob:x = Ym9iOng= */
        expect_find("{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"YWxpY2U6cHc=\"}}}",
                    "docker.io", 0, "alice", "pw");
        expect_find("{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"YWxpY2U6cHc=\"}}}",
                    "quay.io", -ENOENT, NULL, NULL);
        expect_find("{\"auths\":{\"http://localhost:5000\":{\"auth\":\"YWxpY2U6cHc=\"}}}",
                    "localhost:5000", 0, "alice", "pw");
        /* the exact key wins over another spelling of the host */
        expect_find("{\"auths\":{\"http://localhost:5000/\":{\"auth\":\"Ym9iOng=\"},"
                    "\"localhost:5000\":{\"auth\":\"YWxpY2U6cHc=\"}}}",
                    "localhost:5000", 0, "alice", "pw");
        expect_find("{\"auths\":{\"localhost:5000\":{\"username\":\"bob\",\"password\":\"x\"}}}",
                    "localhost:5000", 0, "bob", "x");
        /* what "credsStore" leaves behind: empty entries */
        expect_find("{\"auths\":{\"localhost:5000\":{}},\"credsStore\":\"pass\"}", "localhost:5000",
                    -ENOENT, NULL, NULL);
        expect_find("{\"credHelpers\":{\"localhost:5000\":\"x\"}}", "localhost:5000", -ENOENT,
                    NULL, NULL);
        expect_find("{}", "localhost:5000", -ENOENT, NULL, NULL);
        expect_find("{\"auths\":[]}", "localhost:5000", -ENOENT, NULL, NULL);
        expect_find("{\"auths\":{\"localhost:5000\":{\"auth\":\"bm8tY29sb24=\"}}}",
                    "localhost:5000", -EINVAL, NULL, NULL);
}

static void test_config_set_remove(void **state)
{
        _cleanup_json_ json_t *j = parse("{\"psFormat\":\"table\",\"auths\":{"
                                         "\"other.example\":{\"auth\":\"Ym9iOng=\"},"
                                         "\"localhost:5000\":{\"username\":\"old\","
                                         "\"password\":\"old\",\"email\":\"e\"}}}");
        assert_int_equal(registry_auth_config_set(j, "localhost:5000", "alice", "pw", NULL), 0);
        assert_int_equal(registry_auth_config_set(j, NULL, "hub", "pw2", NULL), 0);
        _cleanup_free_ char *dump = json_dump_compact(j);
        assert_string_equal(dump, "{\"psFormat\":\"table\",\"auths\":{"
                                  "\"other.example\":{\"auth\":\"Ym9iOng=\"},"
                                  "\"localhost:5000\":{\"email\":\"e\",\"auth\":\"YWxpY2U6cHc=\"},"
                                  "\"https://index.docker.io/v1/\":{\"auth\":\"aHViOnB3Mg==\"}}}");
        LadeError *err = NULL;
        assert_int_equal(registry_auth_config_set(j, "x.io", "a:b", "pw", &err), -EINVAL);
        err = lade_error_free(err);
        assert_int_equal(registry_auth_config_set(j, "x.io", "", "pw", NULL), -EINVAL);
        _cleanup_json_ json_t *array = json_array();
        assert_int_equal(registry_auth_config_set(array, "x.io", "a", "pw", NULL), -EINVAL);

        (void) json_object_set_new(json_object_get(j, "auths"), "http://localhost:5000/",
                                   json_object());
        assert_int_equal(registry_auth_config_remove(j, "localhost:5000"), 2);
        assert_int_equal(registry_auth_config_remove(j, "localhost:5000"), 0);
        assert_int_equal(registry_auth_config_remove(j, "registry-1.docker.io"), 1);
        free(dump);
        dump = json_dump_compact(j);
        assert_string_equal(dump, "{\"psFormat\":\"table\",\"auths\":{"
                                  "\"other.example\":{\"auth\":\"Ym9iOng=\"}}}");
}

static void test_token_parse(void **state)
{
        char *token = NULL;
        int64_t expires = -1;
        const char *a = "{\"token\":\"abc.def\",\"expires_in\":300,\"issued_at\":\"x\"}";
        assert_int_equal(registry_token_parse(a, strlen(a), &token, &expires, NULL), 0);
        assert_string_equal(token, "abc.def");
        assert_int_equal(expires, 300);
        free(token);
        const char *b = "{\"token\":\"\",\"access_token\":\"xyz\"}";
        assert_int_equal(registry_token_parse(b, strlen(b), &token, &expires, NULL), 0);
        assert_string_equal(token, "xyz");
        assert_int_equal(expires, 0);
        free(token);

        static const char *const bad[] = {
                "{}", "{\"token\":\"a\\r\\nX-Injected: 1\"}", "{\"token\":\"a b\"}",
                "{\"token\":42}", "not json", "[]",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                LadeError *err = NULL;
                token = NULL;
                assert_true(registry_token_parse(bad[i], strlen(bad[i]), &token, &expires, &err) < 0);
                assert_null(token);
                lade_error_free(err);
        }
        _cleanup_free_ char *huge = xmalloc(REGISTRY_TOKEN_MAX + 2);
        memset(huge, ' ', REGISTRY_TOKEN_MAX + 1);
        huge[REGISTRY_TOKEN_MAX + 1] = '\0';
        assert_int_equal(registry_token_parse(huge, REGISTRY_TOKEN_MAX + 1, &token, &expires, NULL),
                         -EFBIG);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_challenges_valid),
                cmocka_unit_test(test_challenges_invalid),
                cmocka_unit_test(test_challenges_limits),
                cmocka_unit_test(test_auth_encode_decode),
                cmocka_unit_test(test_auth_host_key),
                cmocka_unit_test(test_config_find),
                cmocka_unit_test(test_config_set_remove),
                cmocka_unit_test(test_token_parse),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

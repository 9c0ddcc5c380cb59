/* The API's router: the /v1.NN prefix and Docker's version window (with dockerd's messages),
 * and route patterns whose {name} spans '/' as image names do. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "api-router.h"
#include "util.h"

static void test_split_version(void **state)
{
        static const struct {
                const char *url;
                int r;
                unsigned major, minor;
                const char *path;
        } cases[] = {
                { "/v1.48/info", 0, 1, 48, "/info" },
                { "/v1.51/images/json", 0, 1, 51, "/images/json" },
                { "/v1.24/images/json", 0, 1, 24, "/images/json" },
                { "/info", 0, 0, 0, "/info" },
                { "/version", 0, 0, 0, "/version" },                 /* "/v" then a letter: no version */
                { "/v1.41.3/info", 0, 1, 41, "/info" },
                { "/v2/info", 0, 2, 0, "/info" },
                { "/v1./info", -ENOENT, 0, 0, NULL },
                { "/v1.x/info", -ENOENT, 0, 0, NULL },
                { "/v1.48", -ENOENT, 0, 0, NULL },
                { "/v1.48x/info", -ENOENT, 0, 0, NULL },
                { "/v99999999999.1/info", -ENOENT, 0, 0, NULL },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                unsigned major = 7, minor = 7;
                const char *path = NULL;
                int r = api_split_version(cases[i].url, &major, &minor, &path);
                assert_int_equal(r, cases[i].r);
                if (r == 0) {
                        assert_int_equal(major, cases[i].major);
                        assert_int_equal(minor, cases[i].minor);
                        assert_string_equal(path, cases[i].path);
                }
        }
}

static void test_check_version(void **state)
{
        LadeError *err = NULL;
        assert_int_equal(api_check_version(0, 0, &err), 0);
        assert_int_equal(api_check_version(1, 24, &err), 0);
        assert_int_equal(api_check_version(1, 48, &err), 0);
        assert_int_equal(api_check_version(1, 49, &err), 0);
        assert_int_equal(api_check_version(1, 50, &err), 0);
        assert_int_equal(api_check_version(1, 51, &err), 0);
        assert_int_equal(API_VERSION_MAX, 51);
        assert_string_equal(API_VERSION_MAX_STR, "1.51");
        assert_int_equal(api_check_version(1, 23, &err), -EINVAL);
        assert_string_equal(err->msg, "client version 1.23 is too old. Minimum supported API version is 1.24, "
                                      "please upgrade your client to a newer version");
        err = lade_error_free(err);
        assert_int_equal(api_check_version(1, 52, &err), -EINVAL);
        assert_string_equal(err->msg, "client version 1.52 is too new. Maximum supported API version is 1.51");
        err = lade_error_free(err);
        assert_int_equal(api_check_version(2, 0, &err), -EINVAL);
        err = lade_error_free(err);
}

static void test_path_match(void **state)
{
        static const struct {
                const char *pattern, *path;
                const char *name;       /* NULL: no match */
        } cases[] = {
                { "/images/{name}/json", "/images/busybox/json", "busybox" },
                { "/images/{name}/json", "/images/localhost:5000/lade/bb:1/json", "localhost:5000/lade/bb:1" },
                { "/images/{name}/json", "/images/json", NULL },
                { "/images/{name}/json", "/images//json", NULL },
                { "/images/{name}/json", "/images/a//b/json", NULL },
                { "/images/{name}/json", "/images/busybox/history", NULL },
                { "/images/{name}", "/images/a/b/c", "a/b/c" },
                { "/images/{name}", "/images/", NULL },
                { "/images/{name}", "/images", NULL },
                { "/images/{name}/tag", "/images/json/tag", "json" },
                { "/info", "/info", "" },
                { "/info", "/info/", NULL },
                { "/info", "/infos", NULL },
                { "/images/json", "/images/json", "" },
                { "/images/json", "/images/json/x", NULL },
                { "/containers/{name}/exec", "/containers/abc/exec", "abc" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *name = NULL;
                bool m = api_path_match(cases[i].pattern, cases[i].path, &name);
                assert_int_equal(m, cases[i].name != NULL);
                if (m && *cases[i].name)
                        assert_string_equal(name, cases[i].name);
                free(name);
        }
}

static int h_get(struct ApiRequest *r, LadeError **e) { return 1; }
static int h_post(struct ApiRequest *r, LadeError **e) { return 2; }

static void test_route_find(void **state)
{
        static const ApiRoute routes[] = {
                { "GET", "/images/json", h_get, API_BODY_NONE, API_CHECK_NONE, NULL },
                { "GET", "/images/{name}/json", h_get, API_BODY_NONE, API_CHECK_NONE, NULL },
                { "POST", "/images/{name}/tag", h_post, API_BODY_NONE, API_CHECK_NONE, NULL },
                { "DELETE", "/images/{name}", h_post, API_BODY_NONE, API_CHECK_NONE, NULL },
        };
        char *name = NULL;
        assert_ptr_equal(api_route_find(routes, 4, "GET", "/images/json", &name), &routes[0]);
        assert_ptr_equal(api_route_find(routes, 4, "HEAD", "/images/json", &name), &routes[0]);
        assert_ptr_equal(api_route_find(routes, 4, "GET", "/images/a/b/json", &name), &routes[1]);
        assert_string_equal(name, "a/b");
        free(name);
        name = NULL;
        assert_null(api_route_find(routes, 4, "POST", "/images/json", &name));
        assert_null(api_route_find(routes, 4, "GET", "/images/a/tag", &name));
        assert_ptr_equal(api_route_find(routes, 4, "DELETE", "/images/a/tag", &name), &routes[3]);
        assert_string_equal(name, "a/tag");
        free(name);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_split_version),
                cmocka_unit_test(test_check_version),
                cmocka_unit_test(test_path_match),
                cmocka_unit_test(test_route_find),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

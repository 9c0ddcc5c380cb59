/* The container list's pure parts: Docker's filters on a container (name as a regular
 * expression on "/name", label, status, exited, ancestor, id, network, publish, expose,
 * health, volume), bad filter values refused, the STATUS text, Go's HumanDuration and the
 * summary (its Mounts are the ContainerInfo's). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <time.h>

#include "containers.h"
#include "engine-filters.h"
#include "json-util.h"
#include "util.h"

static int64_t now_real_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static ContainerInfo *web(void)
{
        ContainerInfo *ci = xmalloc0(sizeof(*ci));
        ci->id = xstrdup("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
        ci->name = xstrdup("proj_web_1");
        ci->image = xstrdup("busybox:latest");
        ci->image_id = xstrdup("sha256:8c37dac127d1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        ci->state = xstrdup("exited");
        ci->exit_code = 3;
        ci->health = xstrdup("");
        ci->labels = json_pack("{s:s,s:s}", "com.docker.compose.project", "proj", "tier", "front");
        ci->ports = json_pack("{s:[{s:s,s:s}],s:[]}", "80/tcp", "HostIp", "127.0.0.1", "HostPort", "8080", "443/tcp");
        ci->networks = json_pack("{s:{s:s}}", "proj_default", "NetworkID", "feedbeef00");
        ci->network_mode = xstrdup("proj_default");
        ci->mounts = json_pack("[{s:s,s:s,s:s,s:s},{s:s,s:s,s:s},{s:s,s:s,s:s}]", "Type", "volume", "Name", "pgdata",
                               "Source", "/var/lib/lade/volumes/pgdata/_data", "Destination", "/var/lib/pg",
                               "Type", "bind", "Source", "/srv/conf", "Destination", "/etc/app", "Type", "tmpfs",
                               "Source", "", "Destination", "/run/app");
        ci->finished_ns = now_real_ns() - 125LL * 1000000000;
        return ci;
}

/* Does the container match "key=value" (the CLI's --filter form)? */
static bool match(ContainerInfo *ci, const char *arg)
{
        _cleanup_(engine_filters_freep) EngineFilters *f = engine_filters_new();
        assert_int_equal(engine_filters_add_arg(f, arg, NULL), 0);
        return engine_container_filter_match(f, ci);
}

static void test_filters(void **state)
{
        ContainerInfo *ci = web();
        static const char *const yes[] = { "name=web", "name=^/proj_", "name=_1$", "label=tier",
                                           "label=tier=front", "status=exited", "exited=3", "ancestor=busybox",
                                           "ancestor=busybox:latest", "ancestor=8c37dac127d1", "id=0123",
                                           "network=proj_default", "network=feedbeef", "publish=8080",
                                           "publish=8080/tcp", "expose=443", "expose=80/tcp", "health=none",
                                           "volume=pgdata", "volume=/var/lib/pg", "volume=/srv/conf",
                                           "volume=/etc/app", "volume=/run/app" };
        static const char *const no[] = { "name=^web", "name=db", "label=tier=back", "label=other",
                                          "status=running", "exited=0", "ancestor=alpine", "ancestor=busy",
                                          "id=abc", "network=bridge", "publish=80", "expose=8080",
                                          "health=healthy", "volume=/var/lib/lade/volumes/pgdata/_data",
                                          "volume=pg", "volume=/srv", "volume=/etc/app/" };
        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (!match(ci, yes[i]))
                        fail_msg("%s should match", yes[i]);
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (match(ci, no[i]))
                        fail_msg("%s should not match", no[i]);
        /* values of one key: any; different keys: all */
        _cleanup_(engine_filters_freep) EngineFilters *f = engine_filters_new();
        assert_int_equal(engine_filters_add_arg(f, "name=db", NULL), 0);
        assert_int_equal(engine_filters_add_arg(f, "name=web", NULL), 0);
        assert_true(engine_container_filter_match(f, ci));
        assert_int_equal(engine_filters_add_arg(f, "status=running", NULL), 0);
        assert_false(engine_container_filter_match(f, ci));
        /* an invalid regular expression is a substring */
        assert_false(match(ci, "name=(("));
        container_info_free(ci);
}

static void test_status_text(void **state)
{
        ContainerInfo *ci = web();
        _cleanup_free_ char *a = engine_container_status_text(ci);
        assert_string_equal(a, "Exited (3) 2 minutes ago");
        free(ci->state);
        ci->state = xstrdup("paused");
        ci->started_ns = now_real_ns() - 30LL * 1000000000;
        _cleanup_free_ char *b = engine_container_status_text(ci);
        assert_string_equal(b, "Up 30 seconds (Paused)");
        free(ci->state);
        ci->state = xstrdup("running");
        free(ci->health);
        ci->health = xstrdup("healthy");
        _cleanup_free_ char *c = engine_container_status_text(ci);
        assert_string_equal(c, "Up 30 seconds (healthy)");
        free(ci->state);
        ci->state = xstrdup("created");
        _cleanup_free_ char *d = engine_container_status_text(ci);
        assert_string_equal(d, "Created");
        free(ci->state);
        ci->state = xstrdup("restarting");
        ci->exit_code = 1;
        _cleanup_free_ char *e = engine_container_status_text(ci);
        assert_string_equal(e, "Restarting (1) 2 minutes ago");
        free(ci->state);
        ci->state = xstrdup("dead");
        _cleanup_free_ char *f = engine_container_status_text(ci);
        assert_string_equal(f, "Dead");
        /* the buffer form at a given time, as the list cache renders it */
        char buf[96];
        free(ci->state);
        ci->state = xstrdup("running");
        engine_container_status_format(ci, ci->started_ns + 3LL * 3600 * 1000000000, buf);
        assert_string_equal(buf, "Up 3 hours (healthy)");
        container_info_free(ci);
}

static void test_human_duration(void **state)
{
        static const struct { int64_t s; const char *want; } t[] = {
                { 0, "Less than a second" }, { 1, "1 second" }, { 59, "59 seconds" }, { 60, "About a minute" },
                { 150, "2 minutes" }, { 3600, "About an hour" }, { 7200, "2 hours" }, { 47 * 3600, "47 hours" },
                { 3 * 86400, "3 days" }, { 20 * 86400, "2 weeks" }, { 90 * 86400, "3 months" },
                { 800 * 86400, "2 years" },
        };
        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                _cleanup_free_ char *s = engine_human_duration(t[i].s);
                assert_string_equal(s, t[i].want);
        }
}

static void test_summary(void **state)
{
        ContainerInfo *ci = web();
        ci->command = strv_append(strv_append(NULL, "sh"), "-c");
        _cleanup_json_ json_t *j = engine_container_summary_json(ci);
        assert_non_null(j);
        assert_string_equal(json_string_value(json_array_get(json_object_get(j, "Names"), 0)), "/proj_web_1");
        assert_string_equal(json_string_value(json_object_get(j, "Command")), "sh -c");
        json_t *ports = json_object_get(j, "Ports");
        assert_int_equal(json_array_size(ports), 2);
        bool published = false;
        size_t i;
        json_t *p;
        json_array_foreach(ports, i, p)
                published = published || json_integer_value(json_object_get(p, "PublicPort")) == 8080;
        assert_true(published);
        assert_string_equal(json_string_value(json_object_get(json_object_get(j, "HostConfig"), "NetworkMode")),
                            "proj_default");
        /* dockerd's member order; the list cache renders the members around Status apart */
        static const char *const order[] = { "Id", "Names", "Image", "ImageID", "Command", "Created", "Ports",
                                             "Labels", "State", "Status", "HostConfig", "NetworkSettings",
                                             "Mounts", NULL };
        const char *key;
        json_t *v;
        size_t k = 0;
        json_object_foreach(j, key, v)
                assert_string_equal(key, order[k++]);
        assert_null(order[k]);
        assert_true(json_equal(json_object_get(j, "Mounts"), ci->mounts));
        /* no mounts: [] */
        ci->mounts = json_decref_null(ci->mounts);
        _cleanup_json_ json_t *bare = engine_container_summary_json(ci);
        assert_true(json_is_array(json_object_get(bare, "Mounts")));
        assert_int_equal(json_array_size(json_object_get(bare, "Mounts")), 0);
        container_info_free(ci);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_filters),
                cmocka_unit_test(test_status_text),
                cmocka_unit_test(test_human_duration),
                cmocka_unit_test(test_summary),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

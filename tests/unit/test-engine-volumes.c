/* Volumes: Docker's name and option rules with its words, the volume objects, in-use refusal,
 * prepare's rewriting of a create body, and the copy that populates a volume (never following a
 * symlink out of the rootfs, hardlinks kept). Runs in a temp state root; no root needed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json-util.h"
#include "util.h"
#include "volumes-internal.h"
#include "volumes.h"

static char tmp[64];
static Engine *eng;

static int setup(void **state)
{
        snprintf(tmp, sizeof(tmp), "/tmp/lade-test-vol-XXXXXX");
        assert_non_null(mkdtemp(tmp));
        char root[PATH_MAX];
        snprintf(root, sizeof(root), "%s/state", tmp);
        EngineOptions o = { .root = root };
        assert_int_equal(engine_open(&o, &eng, NULL), 0);
        return 0;
}

static int teardown(void **state)
{
        eng = engine_free(eng);
        (void) rm_rf_at(AT_FDCWD, tmp);
        return 0;
}

/* err by address: the call filling it is an argument evaluated in no fixed order */
static void expect_error(int r, LadeError **err, const char *msg)
{
        assert_true(r < 0);
        assert_non_null(*err);
        if (!strstr(lade_error_message(*err), msg))
                fail_msg("expected '%s' in '%s'", msg, lade_error_message(*err));
        *err = lade_error_free(*err);
}

static void test_names(void **state)
{
        static const char *const good[] = { "ab", "v1", "my-vol_1.2", "A0", "0abc", NULL };
        static const struct { const char *name, *msg; } bad[] = {
                { "x", "volume name is too short, names should be at least two alphanumeric characters" },
                { "../x", "\"../x\" includes invalid characters for a local volume name, only "
                          "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host "
                          "directory, use absolute path" },
                { "a/b", "includes invalid characters" },
                { "_ab", "includes invalid characters" },
                { ".ab", "includes invalid characters" },
                { "a b", "includes invalid characters" },
                { "..", "includes invalid characters" },
        };
        for (size_t i = 0; good[i]; i++)
                assert_int_equal(volume_check_name(good[i], NULL), 0);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                LadeError *err = NULL;
                expect_error(volume_check_name(bad[i].name, &err), &err, bad[i].msg);
        }
        char long_name[300];
        memset(long_name, 'a', sizeof(long_name) - 1);
        long_name[sizeof(long_name) - 1] = '\0';
        assert_true(volume_check_name(long_name, NULL) < 0);
}

static void test_options(void **state)
{
        static const char *const good[] = {
                "{}",
                "{\"type\":\"tmpfs\",\"device\":\"tmpfs\",\"o\":\"size=100m,uid=1000\"}",
                "{\"type\":\"tmpfs\",\"device\":\"tmpfs\"}",
                "{\"type\":\"none\",\"device\":\"/srv\",\"o\":\"bind\"}",
                "{\"type\":\"none\",\"device\":\"/srv\",\"o\":\"rbind,ro\"}",
                "{\"size\":\"0\"}",
                NULL,
        };
        static const struct { const char *json, *msg; } bad[] = {
                { "{\"foo\":\"bar\"}", "invalid option: \"foo\"" },
                { "{\"type\":\"tmpfs\"}", "missing required option: \"device\"" },
                { "{\"device\":\"tmpfs\"}", "missing required option: \"type\"" },
                { "{\"o\":\"size=1m\"}", "missing required option: \"device\"" },
                { "{\"size\":\"10m\"}", "quota size requested but no quota support" },
                { "{\"size\":\"ten\"}", "invalid size: 'ten'" },
                { "{\"type\":\"ext4\",\"device\":\"/dev/sda\"}", "volume type \"ext4\" is not supported" },
                { "{\"type\":\"none\",\"device\":\"/srv\"}", "needs o=bind" },
                { "{\"type\":\"none\",\"device\":\"srv\",\"o\":\"bind\"}", "must be absolute" },
                { "{\"type\":\"tmpfs\",\"device\":\"tmpfs\",\"o\":\"huge=always\"}", "invalid option huge=always" },
                { "{\"type\":\"none\",\"device\":\"/srv\",\"o\":\"bind,exec\"}", "invalid option exec" },
                { "{\"type\":7}", "invalid value of option \"type\"" },
        };
        for (size_t i = 0; good[i]; i++) {
                _cleanup_json_ json_t *o = json_loads(good[i], 0, NULL);
                LadeError *err = NULL;
                if (volume_check_options(o, &err) < 0)
                        fail_msg("%s: %s", good[i], lade_error_message(err));
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_json_ json_t *o = json_loads(bad[i].json, 0, NULL);
                LadeError *err = NULL;
                assert_non_null(o);
                expect_error(volume_check_options(o, &err), &err, bad[i].msg);
        }
}

static void test_create_inspect_remove(void **state)
{
        _cleanup_json_ json_t *v = NULL, *again = NULL, *opts = json_pack("{s:s,s:s,s:s}", "type", "tmpfs",
                                                                             "o", "size=1m", "device", "tmpfs");
        _cleanup_json_ json_t *labels = json_pack("{s:s}", "k", "v");
        LadeError *err = NULL;
        assert_int_equal(engine_volume_create(eng, "data1", NULL, opts, labels, &v, &err), 0);
        assert_string_equal(json_string_value(json_object_get(v, "Name")), "data1");
        assert_string_equal(json_string_value(json_object_get(v, "Driver")), "local");
        assert_string_equal(json_string_value(json_object_get(v, "Scope")), "local");
        assert_true(endswith(json_string_value(json_object_get(v, "Mountpoint")), "/volumes/data1/_data"));
        /* Go's encoding of a map: sorted keys */
        _cleanup_free_ char *o = json_dump_compact(json_object_get(v, "Options"));
        assert_string_equal(o, "{\"device\":\"tmpfs\",\"o\":\"size=1m\",\"type\":\"tmpfs\"}");
        struct stat st;
        assert_int_equal(stat(json_string_value(json_object_get(v, "Mountpoint")), &st), 0);
        assert_int_equal(st.st_mode & 07777, 0755);
        /* creating it again returns it */
        assert_int_equal(engine_volume_create(eng, "data1", "local", NULL, NULL, &again, NULL), 0);
        assert_true(json_equal(json_object_get(again, "Options"), json_object_get(v, "Options")));
        expect_error(engine_volume_create(eng, "../x", NULL, NULL, NULL, NULL, &err), &err,
                     "create ../x: \"../x\" includes invalid characters");
        expect_error(engine_volume_create(eng, "ok1", "nfsplugin", NULL, NULL, NULL, &err), &err,
                     "create ok1: error looking up volume plugin nfsplugin: plugin \"nfsplugin\" not found");
        expect_error(engine_volume_inspect(eng, "nosuch", NULL, &err), &err, "get nosuch: no such volume");
        expect_error(engine_volume_remove(eng, "nosuch", false, &err), &err, "get nosuch: no such volume");
        assert_int_equal(engine_volume_remove(eng, "nosuch", true, NULL), 0);
        assert_int_equal(engine_volume_remove(eng, "data1", false, NULL), 0);
        assert_int_not_equal(stat(json_string_value(json_object_get(v, "Mountpoint")), &st), 0);
}

static void test_anonymous_and_prune(void **state)
{
        _cleanup_json_ json_t *anon = NULL, *named = NULL, *names = NULL, *all = NULL, *list = NULL;
        assert_int_equal(engine_volume_create(eng, NULL, NULL, NULL, NULL, &anon, NULL), 0);
        const char *name = json_string_value(json_object_get(anon, "Name"));
        assert_int_equal(strlen(name), 64);
        assert_non_null(json_object_get(json_object_get(anon, "Labels"), VOLUME_ANONYMOUS_LABEL));
        assert_int_equal(engine_volume_create(eng, "keepme", NULL, NULL, NULL, &named, NULL), 0);
        _cleanup_(engine_filters_freep) EngineFilters *f = engine_filters_new();
        assert_int_equal(engine_filters_add_arg(f, "name=^keep", NULL), 0);
        assert_int_equal(engine_volume_list(eng, f, &list, NULL), 0);
        assert_int_equal(json_array_size(list), 1);
        /* without all=true only the anonymous one goes */
        assert_int_equal(engine_volume_prune(eng, NULL, &names, NULL, NULL), 0);
        assert_int_equal(json_array_size(names), 1);
        assert_string_equal(json_string_value(json_array_get(names, 0)), name);
        _cleanup_(engine_filters_freep) EngineFilters *a = engine_filters_new();
        assert_int_equal(engine_filters_add(a, "all", "true", NULL), 0);
        assert_int_equal(engine_volume_prune(eng, a, &all, NULL, NULL), 0);
        assert_int_equal(json_array_size(all), 1);
        assert_string_equal(json_string_value(json_array_get(all, 0)), "keepme");
        _cleanup_(engine_filters_freep) EngineFilters *bad = engine_filters_new();
        assert_int_equal(engine_filters_add_arg(bad, "bogus=1", NULL), 0);
        LadeError *err = NULL;
        json_t *none = NULL;
        expect_error(engine_volume_list(eng, bad, &none, &err), &err, "invalid filter 'bogus'");
}

static char *write_file(const char *dir, const char *name, const char *text)
{
        char *p = xasprintf("%s/%s", dir, name);
        assert_int_equal(write_file_atomic_at(AT_FDCWD, p, text, strlen(text), 0644, NULL), 0);
        return p;
}

/* A rootfs with /data (file, hardlink, symlink out of it, subdir) and /evil -> /etc. */
static char *make_rootfs(void)
{
        char *rootfs = xasprintf("%s/rootfs", tmp);
        _cleanup_free_ char *data = xasprintf("%s/data/sub", rootfs);
        assert_int_equal(mkdir_p(data, 0755), 0);
        data[strlen(data) - 4] = '\0';
        _cleanup_free_ char *f = write_file(data, "file", "hello");
        _cleanup_free_ char *h = xasprintf("%s/hard", data), *l = xasprintf("%s/link", data);
        _cleanup_free_ char *evil = xasprintf("%s/evil", rootfs);
        assert_int_equal(link(f, h), 0);
        assert_int_equal(symlink("/etc/passwd", l), 0);
        assert_int_equal(symlink("/etc", evil), 0);
        assert_int_equal(chmod(data, 0750), 0);
        return rootfs;
}

static void test_populate(void **state)
{
        _cleanup_free_ char *rootfs = make_rootfs();
        _cleanup_free_ char *dst = xasprintf("%s/vol", tmp), *dst2 = xasprintf("%s/vol2", tmp);
        assert_int_equal(mkdir(dst, 0755), 0);
        assert_int_equal(mkdir(dst2, 0755), 0);
        _cleanup_close_ int rfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int dfd = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int dfd2 = open(dst2, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_int_equal(vol_populate(rfd, "/data", dfd, NULL), 0);
        struct stat a, b, top;
        _cleanup_free_ char *file = xasprintf("%s/file", dst), *hard = xasprintf("%s/hard", dst);
        _cleanup_free_ char *link = xasprintf("%s/link", dst), *sub = xasprintf("%s/sub", dst);
        assert_int_equal(stat(file, &a), 0);
        assert_int_equal(stat(hard, &b), 0);
        assert_true(a.st_ino == b.st_ino && a.st_nlink == 2);
        char target[64] = "";
        assert_int_equal(readlink(link, target, sizeof(target) - 1), 11);
        assert_string_equal(target, "/etc/passwd");
        assert_int_equal(stat(sub, &a), 0);
        assert_int_equal(stat(dst, &top), 0);
        assert_int_equal(top.st_mode & 07777, 0750);
        /* /evil -> /etc resolves inside the rootfs (no /etc there): nothing is copied */
        assert_int_equal(vol_populate(rfd, "/evil", dfd2, NULL), 0);
        _cleanup_free_ char *leak = xasprintf("%s/passwd", dst2);
        assert_int_not_equal(access(leak, F_OK), 0);
        /* a volume with content is not touched */
        _cleanup_free_ char *mine = write_file(dst2, "mine", "x");
        assert_int_equal(vol_populate(rfd, "/data", dfd2, NULL), 0);
        _cleanup_free_ char *nofile = xasprintf("%s/file", dst2);
        assert_int_not_equal(access(nofile, F_OK), 0);
}

static void test_prepare(void **state)
{
        _cleanup_free_ char *rootfs = xasprintf("%s/rootfs2", tmp);
        _cleanup_free_ char *imgdir = xasprintf("%s/img", rootfs);
        assert_int_equal(mkdir_p(imgdir, 0755), 0);
        _cleanup_free_ char *f = write_file(imgdir, "seed", "seed");
        const char *cid = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        _cleanup_json_ json_t *create = json_loads(
                "{\"Image\":\"x\",\"Volumes\":{\"/anon\":{}, \"/h\":{}},"
                " \"HostConfig\":{\"Binds\":[\"named1:/n:ro,nocopy\",\"/srv:/h\"],"
                " \"Mounts\":[{\"Type\":\"volume\",\"Target\":\"/m\",\"VolumeOptions\":{\"DriverConfig\":"
                "{\"Options\":{\"type\":\"tmpfs\",\"device\":\"tmpfs\",\"o\":\"size=1m\"}}}}]}}", 0, NULL);
        assert_non_null(create);
        char *vols[] = { (char *) "/img", NULL };
        ImageConfig img = { .volumes = vols };
        _cleanup_json_ json_t *out = NULL, *out2 = NULL, *mounts = NULL;
        LadeError *err = NULL;
        if (engine_volumes_prepare(eng, cid, create, &img, rootfs, &out, &err) < 0)
                fail_msg("%s", lade_error_message(err));
        json_t *host = json_object_get(out, "HostConfig"), *binds = json_object_get(host, "Binds");
        /* named1 and the two anonymous volumes (/img from the image, /anon); /h is a bind */
        assert_int_equal(json_array_size(binds), 4);
        assert_true(endswith(json_string_value(json_array_get(binds, 0)), "/volumes/named1/_data:/n:ro"));
        assert_string_equal(json_string_value(json_array_get(binds, 1)), "/srv:/h");
        assert_int_equal(json_array_size(json_object_get(host, "Mounts")), 0);
        assert_string_equal(json_string_value(json_object_get(json_object_get(host, "Tmpfs"), "/m")),
                            "exec,suid,dev,size=1m");
        /* the image's content was copied into the /img volume */
        const char *img_bind = json_string_value(json_array_get(binds, 2));
        assert_true(endswith(img_bind, "/_data:/img"));
        _cleanup_free_ char *seed = xasprintf("%.*s/seed", (int) (strlen(img_bind) - strlen(":/img")), img_bind);
        assert_int_equal(access(seed, F_OK), 0);
        /* the caller's body is untouched, and a second prepare reuses the anonymous volumes */
        assert_int_equal(json_array_size(json_object_get(json_object_get(create, "HostConfig"), "Binds")), 2);
        assert_int_equal(engine_volumes_prepare(eng, cid, create, &img, rootfs, &out2, NULL), 0);
        assert_true(json_equal(out, out2));
        mounts = engine_volumes_mounts_json(eng, cid, create);
        assert_int_equal(json_array_size(mounts), 5);
        assert_string_equal(json_string_value(json_object_get(json_array_get(mounts, 0), "Mode")), "ro,nocopy");
        assert_false(json_is_true(json_object_get(json_array_get(mounts, 0), "RW")));
        assert_string_equal(json_string_value(json_object_get(json_array_get(mounts, 1), "Type")), "bind");
        /* the list's Mounts: the same, from one read of every container's rows; containers
         * sorting before and after this one keep theirs apart */
        const char *before = "0000000000000000000000000000000000000000000000000000000000000000";
        const char *after = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
        _cleanup_json_ json_t *c_before = json_loads("{\"HostConfig\":{\"Binds\":[\"named1:/x\"]}}", 0, NULL);
        _cleanup_json_ json_t *c_after = json_loads("{\"Volumes\":{\"/y\":{}}}", 0, NULL);
        _cleanup_json_ json_t *o_before = NULL, *o_after = NULL;
        assert_int_equal(engine_volumes_prepare(eng, before, c_before, NULL, rootfs, &o_before, NULL), 0);
        assert_int_equal(engine_volumes_prepare(eng, after, c_after, NULL, rootfs, &o_after, NULL), 0);
        _cleanup_(engine_volumes_mounts_index_freep) VolumeMountsIndex *ix = engine_volumes_mounts_index(eng);
        _cleanup_json_ json_t *listed = engine_volumes_mounts_json_indexed(eng, ix, cid,
                                                                          json_object_get(create, "HostConfig"));
        assert_true(json_equal(listed, mounts));
        _cleanup_json_ json_t *l_before = engine_volumes_mounts_json_indexed(
                eng, ix, before, json_object_get(c_before, "HostConfig"));
        _cleanup_json_ json_t *i_before = engine_volumes_mounts_json(eng, before, c_before);
        assert_int_equal(json_array_size(l_before), 1);
        assert_true(json_equal(l_before, i_before));
        _cleanup_json_ json_t *l_after = engine_volumes_mounts_json_indexed(eng, ix, after, NULL);
        assert_int_equal(json_array_size(l_after), 1);
        assert_string_equal(json_string_value(json_object_get(json_array_get(l_after, 0), "Destination")), "/y");
        _cleanup_json_ json_t *none = engine_volumes_mounts_json_indexed(eng, ix, "7777", NULL);
        assert_int_equal(json_array_size(none), 0);
        _cleanup_json_ json_t *no_ix = engine_volumes_mounts_json_indexed(eng, NULL, cid, NULL);
        assert_int_equal(json_array_size(no_ix), 0);
        assert_int_equal(engine_volumes_release(eng, before, true, NULL), 0);
        assert_int_equal(engine_volumes_release(eng, after, true, NULL), 0);
        /* in use: refused; released with its anonymous volumes: gone, named1 stays */
        expect_error(engine_volume_remove(eng, "named1", false, &err), &err, "remove named1: volume is in use - [");
        assert_int_equal(engine_volumes_release(eng, cid, true, NULL), 0);
        assert_int_equal(engine_volumes_release(eng, cid, true, NULL), 0);
        assert_int_not_equal(access(seed, F_OK), 0);
        _cleanup_json_ json_t *list = NULL;
        assert_int_equal(engine_volume_list(eng, NULL, &list, NULL), 0);
        assert_int_equal(json_array_size(list), 1);
        assert_int_equal(engine_volume_remove(eng, "named1", false, NULL), 0);
}

static void test_prepare_errors(void **state)
{
        static const struct { const char *json, *msg; } bad[] = {
                { "{\"HostConfig\":{\"Binds\":[\"foo/../bar:/c\"]}}", "create foo/../bar: \"foo/../bar\" includes invalid" },
                { "{\"HostConfig\":{\"Binds\":[\"vv:relative\"]}}", "invalid volume specification: 'vv:relative'" },
                { "{\"HostConfig\":{\"Mounts\":[{\"Type\":\"volume\",\"Source\":\"a\",\"Target\":\"/\"}]}}",
                  "destination can't be '/'" },
                { "{\"HostConfig\":{\"Mounts\":[{\"Type\":\"volume\",\"Source\":\"ab\",\"Target\":\"/x\","
                  "\"VolumeOptions\":{\"DriverConfig\":{\"Name\":\"flocker\"}}}]}}", "plugin \"flocker\" not found" },
                { "{\"HostConfig\":{\"Mounts\":[{\"Type\":\"volume\",\"Source\":\"ab\",\"Target\":\"/x\","
                  "\"BindOptions\":{}}]}}", "BindOptions must not be specified on mount type \"volume\"" },
                { "{\"HostConfig\":{\"Mounts\":[{\"Type\":\"volume\",\"Source\":\"ab\",\"Target\":\"/x\","
                  "\"VolumeOptions\":{\"DriverConfig\":{\"Options\":{\"type\":\"tmpfs\"}}}}]}}",
                  "create ab: missing required option: \"device\"" },
        };
        _cleanup_free_ char *rootfs = xasprintf("%s/rootfs3", tmp);
        assert_int_equal(mkdir_p(rootfs, 0755), 0);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_json_ json_t *create = json_loads(bad[i].json, 0, NULL), *out = NULL;
                LadeError *err = NULL;
                assert_non_null(create);
                expect_error(engine_volumes_prepare(eng, "c1", create, NULL, rootfs, &out, &err), &err, bad[i].msg);
        }
        /* nothing was left behind */
        _cleanup_json_ json_t *list = NULL;
        assert_int_equal(engine_volume_list(eng, NULL, &list, NULL), 0);
        assert_int_equal(json_array_size(list), 0);
        /* a body without volumes is returned as it is */
        _cleanup_json_ json_t *plain = json_loads("{\"HostConfig\":{\"Binds\":[\"/a:/b\"]}}", 0, NULL), *same = NULL;
        assert_int_equal(engine_volumes_prepare(eng, "c1", plain, NULL, rootfs, &same, NULL), 0);
        assert_ptr_equal(plain, same);
}

/* --volumes-from specs as moby's ParseVolumesFrom takes them. */
static void test_volumes_from_parse(void **state)
{
        static const struct { const char *spec, *id; bool rw; } good[] = {
                { "db", "db", true }, { "db:rw", "db", true }, { "db:ro", "db", false }, { "db:ro,z", "db", false },
                { "/db:z", "/db", true },
        };
        static const struct { const char *spec, *msg; } bad[] = {
                { "", "volumes-from specification cannot be an empty string" },
                { "db:shared", "invalid mode: shared" }, { "db:ro,rslave", "invalid mode: ro,rslave" },
                { "db:nocopy", "invalid mode: nocopy" }, { "db:xx", "invalid mode: xx" },
                { "db:ro:rw", "invalid mode: ro:rw" }, { "db:ro,ro", "invalid mode: ro,ro" },
        };
        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                _cleanup_free_ char *id = NULL;
                bool rw = !good[i].rw;
                assert_int_equal(engine_volumes_from_parse(good[i].spec, &id, &rw, NULL), 0);
                assert_string_equal(id, good[i].id);
                assert_int_equal(rw, good[i].rw);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *id = NULL;
                bool rw;
                LadeError *err = NULL;
                expect_error(engine_volumes_from_parse(bad[i].spec, &id, &rw, &err), &err, bad[i].msg);
                assert_null(id);
        }
}

/* A body with VolumesFrom but no volumes-from.json (a source-less create never saved one) has
 * nothing more to mount; an unknown source fails the resolution with Docker's message. */
static void test_volumes_from_resolve(void **state)
{
        _cleanup_json_ json_t *create = json_loads("{\"HostConfig\":{\"VolumesFrom\":[\"nosuch:ro\"]}}", 0, NULL);
        _cleanup_json_ json_t *none = json_loads("{\"HostConfig\":{\"VolumesFrom\":null}}", 0, NULL);
        _cleanup_json_ json_t *bad = json_loads("{\"HostConfig\":{\"VolumesFrom\":\"db\"}}", 0, NULL);
        json_t *out = (json_t *) 1;
        LadeError *err = NULL;
        assert_int_equal(engine_volumes_from_resolve(eng, none, &out, NULL), 0);
        assert_null(out);
        _cleanup_json_ json_t *absent = json_loads("{\"HostConfig\":{}}", 0, NULL);
        out = (json_t *) 1;
        assert_int_equal(engine_volumes_from_resolve(eng, absent, &out, NULL), 0);
        assert_null(out);
        expect_error(engine_volumes_from_resolve(eng, create, &out, &err), &err, "No such container: nosuch");
        expect_error(engine_volumes_from_resolve(eng, bad, &out, &err), &err, "expected an array of strings");
        assert_null(engine_volumes_from_load(eng, "c1", create));
        _cleanup_json_ json_t *mounts = engine_volumes_mounts_json(eng, "c1", create);
        assert_int_equal(json_array_size(mounts), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_options),
                cmocka_unit_test_setup_teardown(test_create_inspect_remove, setup, teardown),
                cmocka_unit_test_setup_teardown(test_anonymous_and_prune, setup, teardown),
                cmocka_unit_test_setup_teardown(test_populate, setup, teardown),
                cmocka_unit_test_setup_teardown(test_prepare, setup, teardown),
                cmocka_unit_test_setup_teardown(test_prepare_errors, setup, teardown),
                cmocka_unit_test(test_volumes_from_parse),
                cmocka_unit_test_setup_teardown(test_volumes_from_resolve, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

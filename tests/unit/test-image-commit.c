/* image_store_commit(): images made from layer_pack() output and a config, on scratch and on a
 * parent (Docker v2 and OCI kinds), config-only steps, tags; what is stored is what a pull
 * stores (resolvable, layer dirs unpacked, manifest naming the parent's blobs); bad input (a
 * history that does not match the layers, an unknown parent, a bad tag) leaves no image. Layers
 * are unpacked with their owners, so the test needs root and skips (77) otherwise. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image-archive.h"
#include "image-store.h"
#include "json-util.h"
#include "layer-pack.h"
#include "manifest.h"
#include "util.h"

static char root[64];
static ImageStore *store;

static int setup(void **state)
{
        snprintf(root, sizeof(root), "/tmp/lade-test-commit-XXXXXX");
        assert_non_null(mkdtemp(root));
        _cleanup_free_ char *dir = xasprintf("%s/store", root);
        assert_int_equal(image_store_open(dir, &store, NULL), 0);
        return 0;
}

static int teardown(void **state)
{
        store = image_store_free(store);
        assert_int_equal(rm_rf_at(AT_FDCWD, root), 0);
        return 0;
}

/* A layer file holding one file `name` with `content`; returns its path. */
static char *make_layer(const char *name, const char *content, bool gzip, LayerPackResult *res)
{
        _cleanup_free_ char *dir = xasprintf("%s/tree-%s", root, name);
        _cleanup_free_ char *file = xasprintf("%s/%s", dir, name);
        char *path = xasprintf("%s/layer-%s.tar", root, name);
        assert_int_equal(mkdir(dir, 0755), 0);
        assert_int_equal(write_file_atomic_at(AT_FDCWD, file, content, strlen(content), 0644, NULL), 0);
        _cleanup_close_ int src = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        assert_true(src >= 0 && out >= 0);
        LayerPackOptions o = { .gzip = gzip };
        assert_int_equal(layer_pack(src, &o, out, res, NULL), 0);
        return path;
}

/* A config with `layers` history entries with a layer and `empty` without. */
static json_t *make_config(size_t layers, size_t empty, const char *cmd)
{
        json_t *h = json_array();
        for (size_t i = 0; i < layers + empty; i++)
                json_array_append_new(h, json_pack("{s:s, s:s, s:b}", "created", "2024-01-01T00:00:00Z",
                                                   "created_by", "test", "empty_layer", i >= layers));
        return json_pack("{s:s, s:s, s:s, s:{s:[s]}, s:o}", "architecture", "amd64", "os", "linux",
                         "created", "2024-01-02T03:04:05Z", "config", "Cmd", cmd, "history", h);
}

static ImageInfo *resolve(const char *name)
{
        ImageInfo *i = NULL;
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        if (image_store_resolve(store, name, &i, &err) < 0)
                fail_msg("resolve %s: %s", name, lade_error_message(err));
        return i;
}

static Manifest *manifest_of(const ImageInfo *i)
{
        _cleanup_free_ char *data = NULL;
        size_t len;
        Manifest *m = NULL;
        assert_int_equal(blob_store_read(image_store_blobs(store), i->manifest_digest, MANIFEST_MAX_BYTES,
                                         &data, &len, NULL), 0);
        assert_int_equal(manifest_parse(data, len, NULL, &m, NULL), 0);
        return m;
}

static void assert_layer_file(const char *layer_dir, const char *name, const char *content)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", layer_dir, name), *got = NULL;
        assert_int_equal(read_file_at(AT_FDCWD, p, 4096, &got, NULL, NULL), 0);
        assert_string_equal(got, content);
}

static size_t image_count(void)
{
        ImageInfo **l = NULL;
        size_t n = 0;
        assert_int_equal(image_store_list(store, &l, &n, NULL), 0);
        image_info_list_free(l, n);
        return n;
}

static void commit_ok(const ImageCommit *c, char id[static 72])
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        if (image_store_commit(store, c, id, &err) < 0)
                fail_msg("image_store_commit: %s", lade_error_message(err));
}

static void test_scratch_then_child(void **state)
{
        LayerPackResult r1, r2;
        _cleanup_free_ char *l1 = make_layer("one", "1\n", true, &r1);
        _cleanup_free_ char *l2 = make_layer("two", "2\n", false, &r2);
        _cleanup_json_ json_t *c1 = make_config(1, 0, "sh");
        _cleanup_json_ json_t *c2 = make_config(2, 1, "two");
        char id1[72], id2[72], id3[72];
        commit_ok(&(ImageCommit) { .layer_path = l1, .config = c1, .tag = "commit-test:one" }, id1);
        commit_ok(&(ImageCommit) { .parent_id = id1, .layer_path = l2, .config = c2,
                                   .tag = "localhost:5000/commit/test:two" }, id2);

        _cleanup_(image_info_freep) ImageInfo *i1 = resolve("commit-test:one");
        _cleanup_(image_info_freep) ImageInfo *i2 = resolve("localhost:5000/commit/test:two");
        assert_string_equal(i1->id, id1);
        assert_string_equal(i2->id, id2);
        assert_int_equal(strv_length(i1->config->diff_ids), 1);
        assert_string_equal(i1->config->diff_ids[0], r1.diff_id);
        assert_int_equal(strv_length(i2->config->diff_ids), 2);
        assert_string_equal(i2->config->diff_ids[0], r1.diff_id);
        assert_string_equal(i2->config->diff_ids[1], r2.diff_id);
        assert_string_equal(i2->config->cmd[0], "two");
        /* the parent's unpacked layer is shared, the new one unpacked */
        assert_string_equal(i2->chain_ids[0], i1->chain_ids[0]);
        _cleanup_strv_free_ char **dirs = NULL;
        assert_int_equal(image_store_layer_dirs(store, id2, &dirs, NULL), 0);
        assert_int_equal(strv_length(dirs), 2);
        assert_layer_file(dirs[0], "one", "1\n");
        assert_layer_file(dirs[1], "two", "2\n");
        assert_true(i2->size >= 4);

        /* a Docker v2 manifest over scratch; the parent's blob named again, as packed */
        _cleanup_(manifest_freep) Manifest *m = manifest_of(i2);
        assert_string_equal(m->media_type, MEDIA_DOCKER_MANIFEST);
        assert_string_equal(m->config.media_type, MEDIA_DOCKER_CONFIG);
        assert_int_equal(m->n_layers, 2);
        assert_string_equal(m->layers[0].digest, r1.digest);
        assert_string_equal(m->layers[0].media_type, MEDIA_DOCKER_LAYER);
        assert_int_equal(m->layers[0].size, (int64_t) r1.size);
        assert_string_equal(m->layers[1].digest, r2.digest);
        assert_string_equal(m->layers[1].media_type, MEDIA_DOCKER_LAYER_TAR);

        /* a config-only step: same layers, one more empty history entry */
        _cleanup_json_ json_t *c3 = make_config(2, 2, "three");
        commit_ok(&(ImageCommit) { .parent_id = id2, .config = c3 }, id3);
        _cleanup_(image_info_freep) ImageInfo *i3 = resolve(id3);
        assert_int_equal(strv_length(i3->chain_ids), 2);
        assert_string_equal(i3->chain_ids[1], i2->chain_ids[1]);
        assert_int_equal(image_count(), 3);
}

static void test_oci_parent(void **state)
{
        LayerPackResult r1, r2;
        _cleanup_free_ char *l1 = make_layer("base", "b", false, &r1);
        _cleanup_free_ char *l2 = make_layer("top", "t", true, &r2);
        _cleanup_close_ int fd = open(l1, O_RDONLY | O_CLOEXEC);
        char base[72], id[72];
        ImportOptions io = { .ref = "oci-base:1" };
        assert_int_equal(image_archive_import(store, fd, &io, base, NULL), 0);
        _cleanup_json_ json_t *c = make_config(2, 0, "x");
        commit_ok(&(ImageCommit) { .parent_id = "oci-base:1", .layer_path = l2, .config = c }, id);
        _cleanup_(image_info_freep) ImageInfo *i = resolve(id);
        _cleanup_(manifest_freep) Manifest *m = manifest_of(i);
        assert_string_equal(m->media_type, MEDIA_OCI_MANIFEST);
        assert_string_equal(m->config.media_type, MEDIA_OCI_CONFIG);
        assert_string_equal(m->layers[1].media_type, MEDIA_OCI_LAYER_GZIP);
        assert_int_equal(strv_length(i->repo_tags), 0);
}

static void commit_fails(const ImageCommit *c, int code, const char *needle)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        char id[72];
        size_t before = image_count();
        assert_int_equal(image_store_commit(store, c, id, &err), -code);
        if (!strstr(lade_error_message(err), needle))
                fail_msg("error '%s' does not say '%s'", lade_error_message(err), needle);
        assert_int_equal(image_count(), before);
}

static void test_bad_input(void **state)
{
        LayerPackResult r;
        _cleanup_free_ char *l = make_layer("x", "x", false, &r);
        _cleanup_json_ json_t *two = make_config(2, 0, "x");
        _cleanup_json_ json_t *one = make_config(1, 0, "x");
        _cleanup_json_ json_t *arr = json_array();
        commit_fails(&(ImageCommit) { .layer_path = l, .config = two }, EINVAL, "history");
        commit_fails(&(ImageCommit) { .parent_id = "sha256:0123456789abcdef0123456789abcdef"
                                                   "0123456789abcdef0123456789abcdef",
                                      .layer_path = l, .config = one }, ENOENT, "No such image");
        commit_fails(&(ImageCommit) { .layer_path = l, .config = one, .tag = "Bad:Tag!" }, EINVAL,
                     "commit image");
        commit_fails(&(ImageCommit) { .layer_path = "/nonexistent/layer", .config = one }, ENOENT,
                     "/nonexistent/layer");
        commit_fails(&(ImageCommit) { .layer_path = l, .config = arr }, EINVAL, "not an object");
        /* a file that is not a layer: the unpack at commit refuses it */
        _cleanup_free_ char *junk = xasprintf("%s/junk", root);
        assert_int_equal(write_file_atomic_at(AT_FDCWD, junk, "\x1f\x8bjunk", 6, 0600, NULL), 0);
        commit_fails(&(ImageCommit) { .layer_path = junk, .config = one }, EINVAL, "layer");
}

int main(void)
{
        if (geteuid() != 0) {
                fprintf(stderr, "needs root (layers are unpacked with their owners), skipping\n");
                return 77;
        }
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        const struct CMUnitTest tests[] = {
                T(test_scratch_then_child),
                T(test_oci_parent),
                T(test_bad_input),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

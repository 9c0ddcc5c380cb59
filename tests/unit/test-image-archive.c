/* image archives: load of a Docker 25+ archive, a legacy docker-archive (symlinked duplicate
 * layer, untagged image) and a pure OCI layout (nested index, two platforms), all built here
 * with libarchive's writer; save + reload into a second store keeps IDs and manifest digests;
 * import with --change; hostile archives fail with a clear message and leave the image list as
 * it was. Layers are unpacked (chown), so the whole test needs root and skips (77) otherwise. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "image-archive.h"
#include "json-util.h"
#include "manifest.h"
#include "util.h"

enum { PLAIN, GZIP, XZ };

typedef struct Buf {
        char *data;
        size_t len;
} Buf;

typedef struct TImage {
        Buf layers[3];
        char *layer_digest[3], *diff_id[3];
        const char *layer_media[3];
        size_t n_layers;
        char *config, *config_digest;
        char *manifest, *manifest_digest;
} TImage;

static char root[64];
static ImageStore *store;

/* ---- building archives ---- */

static la_ssize_t buf_write(struct archive *a, void *userdata, const void *p, size_t n)
{
        Buf *b = userdata;
        b->data = xrealloc(b->data, b->len + n + 1);
        memcpy(b->data + b->len, p, n);
        b->len += n;
        return (la_ssize_t) n;
}

static struct archive *tar_new(Buf *out, int filter)
{
        struct archive *a = archive_write_new();
        assert_non_null(a);
        assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
        if (filter == GZIP)
                assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
        if (filter == XZ)
                assert_int_equal(archive_write_add_filter_xz(a), ARCHIVE_OK);
        assert_int_equal(archive_write_set_bytes_in_last_block(a, 1), ARCHIVE_OK);
        assert_int_equal(archive_write_open(a, out, NULL, buf_write, NULL), ARCHIVE_OK);
        return a;
}

static void tar_entry(struct archive *a, const char *path, mode_t type, const void *data, size_t len,
                      const char *link)
{
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, path);
        archive_entry_set_filetype(e, type);
        archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
        archive_entry_set_size(e, type == AE_IFREG ? (la_int64_t) len : 0);
        archive_entry_set_mtime(e, 1700000000, 0);
        if (link)
                archive_entry_set_symlink(e, link);
        assert_true(archive_write_header(a, e) >= ARCHIVE_WARN);
        if (type == AE_IFREG && len)
                assert_int_equal(archive_write_data(a, data, len), (la_ssize_t) len);
        archive_entry_free(e);
}

static void tar_file(struct archive *a, const char *path, const char *data)
{
        tar_entry(a, path, AE_IFREG, data, strlen(data), NULL);
}

static void tar_buf(struct archive *a, const char *path, const Buf *b)
{
        tar_entry(a, path, AE_IFREG, b->data, b->len, NULL);
}

static void tar_end(struct archive *a)
{
        assert_int_equal(archive_write_close(a), ARCHIVE_OK);
        archive_write_free(a);
}

/* A layer with a file named after seed; its diff_id is the digest of the plain tar. */
static void make_layer(Buf *out, const char *seed, int filter)
{
        struct archive *a = tar_new(out, filter);
        _cleanup_free_ char *name = xasprintf("etc/%s.txt", seed);
        tar_entry(a, "etc", AE_IFDIR, NULL, 0, NULL);
        tar_file(a, name, seed);
        tar_end(a);
}

static char *digest_of(const Buf *b)
{
        return sha256_digest_of(b->data, b->len);
}

static void timage_free(TImage *t)
{
        for (size_t i = 0; i < t->n_layers; i++) {
                free(t->layers[i].data);
                free(t->layer_digest[i]);
                free(t->diff_id[i]);
        }
        free(t->config);
        free(t->config_digest);
        free(t->manifest);
        free(t->manifest_digest);
}

static void timage_config(TImage *t, const char *seed, const char *os, const char *arch)
{
        json_t *ids = json_array();
        for (size_t i = 0; i < t->n_layers; i++)
                json_array_append_new(ids, json_string(t->diff_id[i]));
        _cleanup_json_ json_t *c = json_pack("{s:s, s:s, s:s, s:{s:[s], s:[s]}, s:{s:s, s:o}}",
                                             "architecture", arch, "os", os, "created", "2024-01-02T03:04:05Z",
                                             "config", "Cmd", "sh", "Env", seed, "rootfs", "type", "layers",
                                             "diff_ids", ids);
        t->config = json_dump_compact(c);
        t->config_digest = sha256_digest_of(t->config, strlen(t->config));
}

static void timage_manifest(TImage *t)
{
        json_t *layers = json_array();
        for (size_t i = 0; i < t->n_layers; i++)
                json_array_append_new(layers, json_pack("{s:s, s:s, s:I}", "mediaType", t->layer_media[i],
                                                        "digest", t->layer_digest[i],
                                                        "size", (json_int_t) t->layers[i].len));
        _cleanup_json_ json_t *m = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:o}", "schemaVersion", 2,
                                             "mediaType", MEDIA_OCI_MANIFEST, "config", "mediaType",
                                             MEDIA_OCI_CONFIG, "digest", t->config_digest, "size",
                                             (json_int_t) strlen(t->config), "layers", layers);
        t->manifest = json_dump_compact(m);
        t->manifest_digest = sha256_digest_of(t->manifest, strlen(t->manifest));
}

/* seeds name the layers; the same seed twice is the same layer. gzip_first compresses layer 0. */
static void timage_make(TImage *t, const char *const *seeds, bool gzip_first, const char *os,
                        const char *arch)
{
        *t = (TImage) { 0 };
        for (; seeds[t->n_layers]; t->n_layers++) {
                size_t i = t->n_layers;
                Buf plain = { 0 };
                make_layer(&plain, seeds[i], PLAIN);
                t->diff_id[i] = digest_of(&plain);
                if (i == 0 && gzip_first) {
                        free(plain.data);
                        make_layer(&t->layers[i], seeds[i], GZIP);
                        t->layer_media[i] = MEDIA_OCI_LAYER_GZIP;
                } else {
                        t->layers[i] = plain;
                        t->layer_media[i] = MEDIA_OCI_LAYER;
                }
                t->layer_digest[i] = digest_of(&t->layers[i]);
        }
        _cleanup_free_ char *seed = xasprintf("SEED=%s", seeds[0]);
        timage_config(t, seed, os, arch);
        timage_manifest(t);
}

static char *blob_path(const char *digest)
{
        return xasprintf("blobs/sha256/%s", digest + strlen("sha256:"));
}

static void tar_blob(struct archive *a, const char *digest, const char *data, size_t len)
{
        _cleanup_free_ char *p = blob_path(digest);
        tar_entry(a, p, AE_IFREG, data, len, NULL);
}

static void tar_timage_blobs(struct archive *a, const TImage *t)
{
        tar_blob(a, t->config_digest, t->config, strlen(t->config));
        tar_blob(a, t->manifest_digest, t->manifest, strlen(t->manifest));
        for (size_t i = 0; i < t->n_layers; i++)
                tar_blob(a, t->layer_digest[i], t->layers[i].data, t->layers[i].len);
}

static void host(Platform *p)
{
        platform_host(p);
}

/* ---- the store ---- */

static int setup(void **state)
{
        snprintf(root, sizeof(root), "/tmp/lade-test-archive-XXXXXX");
        assert_non_null(mkdtemp(root));
        _cleanup_free_ char *dir = xasprintf("%s/a", root);
        assert_int_equal(image_store_open(dir, &store, NULL), 0);
        return 0;
}

static int teardown(void **state)
{
        store = image_store_free(store);
        assert_int_equal(rm_rf_at(AT_FDCWD, root), 0);
        return 0;
}

static int buf_fd(const Buf *b)
{
        int fd = memfd_create("archive", MFD_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(write_all(fd, b->data, b->len), 0);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        return fd;
}

typedef struct Loaded {
        char *lines[16];
        size_t n;
} Loaded;

static void on_loaded(void *userdata, const char *ref, const char *id)
{
        Loaded *l = userdata;
        assert_true(l->n < ELEMENTSOF(l->lines));
        l->lines[l->n++] = xasprintf("%s %s", ref ? ref : "-", id);
}

static void loaded_free(Loaded *l)
{
        for (size_t i = 0; i < l->n; i++)
                free(l->lines[i]);
}

static int load_buf(ImageStore *s, const Buf *b, Loaded *l, LadeError **err)
{
        _cleanup_close_ int fd = buf_fd(b);
        return image_archive_load(s, fd, on_loaded, l, err);
}

static void expect_image(ImageStore *s, const char *name, const char *id, const char *mdigest)
{
        _cleanup_(image_info_freep) ImageInfo *info = NULL;
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        int r = image_store_resolve(s, name, &info, &err);
        if (r < 0)
                fail_msg("resolve %s: %s", name, lade_error_message(err));
        assert_string_equal(info->id, id);
        if (mdigest)
                assert_string_equal(info->manifest_digest, mdigest);
}

/* Every layer dir of the image holds etc/<seed>.txt for its seed. */
static void expect_layers(ImageStore *s, const char *id, const char *const *seeds)
{
        _cleanup_strv_free_ char **dirs = NULL;
        assert_int_equal(image_store_layer_dirs(s, id, &dirs, NULL), 0);
        assert_int_equal(strv_length(dirs), strv_length((char **) seeds));
        for (size_t i = 0; dirs[i]; i++) {
                _cleanup_free_ char *p = xasprintf("%s/etc/%s.txt", dirs[i], seeds[i]);
                assert_int_equal(access(p, F_OK), 0);
        }
}

static size_t image_count(ImageStore *s)
{
        ImageInfo **l = NULL;
        size_t n = 0;
        assert_int_equal(image_store_list(s, &l, &n, NULL), 0);
        image_info_list_free(l, n);
        return n;
}

/* ---- the three archive kinds ---- */

static const char *const SEEDS1[] = { "one", "two", NULL };
static const char *const SEEDS_LEGACY[] = { "la", "lb", "la", NULL };
static const char *const SEEDS_UNTAGGED[] = { "lc", NULL };
static const char *const SEEDS_HOST[] = { "host", NULL };
static const char *const SEEDS_FOREIGN[] = { "foreign", NULL };

static char *index_json(const char *media, const char *digest, size_t size, json_t *annotations,
                        bool with_media_type)
{
        json_t *d = json_pack("{s:s, s:s, s:I}", "mediaType", media, "digest", digest, "size", (json_int_t) size);
        if (annotations)
                json_object_set_new(d, "annotations", annotations);
        _cleanup_json_ json_t *idx = json_pack("{s:i, s:[o]}", "schemaVersion", 2, "manifests", d);
        if (with_media_type)
                json_object_set_new(idx, "mediaType", json_string(MEDIA_OCI_INDEX));
        return json_dump_compact(idx);
}

/* Docker 25+: OCI layout + manifest.json, tags t1:latest and t1:v2. */
static void make_docker25(Buf *out, TImage *t)
{
        Platform p;
        host(&p);
        timage_make(t, SEEDS1, true, p.os, p.architecture);
        platform_done(&p);
        struct archive *a = tar_new(out, PLAIN);
        tar_entry(a, "blobs/", AE_IFDIR, NULL, 0, NULL);
        tar_entry(a, "blobs/sha256/", AE_IFDIR, NULL, 0, NULL);
        tar_timage_blobs(a, t);
        _cleanup_free_ char *idx = index_json(MEDIA_OCI_MANIFEST, t->manifest_digest, strlen(t->manifest),
                                              json_pack("{s:s, s:s}", "io.containerd.image.name",
                                                        "docker.io/library/t1:latest",
                                                        "org.opencontainers.image.ref.name", "latest"), true);
        tar_file(a, "index.json", idx);
        _cleanup_free_ char *c = blob_path(t->config_digest), *l0 = blob_path(t->layer_digest[0]),
                            *l1 = blob_path(t->layer_digest[1]);
        _cleanup_json_ json_t *mj = json_pack("[{s:s, s:[s, s], s:[s, s]}]", "Config", c, "RepoTags", "t1:latest",
                                              "t1:v2", "Layers", l0, l1);
        _cleanup_free_ char *mtext = json_dump_compact(mj);
        tar_file(a, "manifest.json", mtext);
        tar_file(a, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
        tar_end(a);
}

/* Docker < 25: <id>/layer.tar, <hex>.json, a symlinked duplicate layer, an untagged image. */
static void make_legacy(Buf *out, TImage *t, TImage *u)
{
        Platform p;
        host(&p);
        timage_make(t, SEEDS_LEGACY, true, p.os, p.architecture);
        timage_make(u, SEEDS_UNTAGGED, false, p.os, p.architecture);
        platform_done(&p);
        struct archive *a = tar_new(out, GZIP);
        _cleanup_free_ char *c1 = xasprintf("%s.json", t->config_digest + 7);
        _cleanup_free_ char *c2 = xasprintf("%s.json", u->config_digest + 7);
        tar_file(a, c1, t->config);
        tar_file(a, c2, u->config);
        tar_entry(a, "l0/", AE_IFDIR, NULL, 0, NULL);
        tar_file(a, "l0/VERSION", "1.0");
        tar_buf(a, "l0/layer.tar", &t->layers[0]);
        tar_buf(a, "l1/layer.tar", &t->layers[1]);
        tar_entry(a, "l2/layer.tar", AE_IFLNK, NULL, 0, "../l0/layer.tar");
        tar_buf(a, "l3/layer.tar", &u->layers[0]);
        _cleanup_json_ json_t *mj = json_pack("[{s:s, s:[s], s:[s, s, s]}, {s:s, s:n, s:[s]}]", "Config", c1,
                                              "RepoTags", "legacy:1", "Layers", "l0/layer.tar", "l1/layer.tar",
                                              "l2/layer.tar", "Config", c2, "RepoTags", "Layers", "l3/layer.tar");
        _cleanup_free_ char *mtext = json_dump_compact(mj);
        tar_file(a, "manifest.json", mtext);
        tar_file(a, "repositories", "{\"legacy\":{\"1\":\"l2\"}}");
        tar_end(a);
}

static const char *foreign_arch(const Platform *p)
{
        return streq(p->architecture, "arm64") ? "amd64" : "arm64";
}

/* OCI layout: index.json -> named nested index -> a foreign and a host manifest. */
static void make_oci(Buf *out, TImage *h, TImage *f, char **ret_nested_digest)
{
        Platform p;
        host(&p);
        timage_make(h, SEEDS_HOST, false, p.os, p.architecture);
        timage_make(f, SEEDS_FOREIGN, true, p.os, foreign_arch(&p));
        json_t *hp = json_pack("{s:s, s:s}", "os", p.os, "architecture", p.architecture);
        if (p.variant)
                json_object_set_new(hp, "variant", json_string(p.variant));
        _cleanup_json_ json_t *nested = json_pack(
                "{s:i, s:s, s:[{s:s, s:s, s:I, s:{s:s, s:s}}, {s:s, s:s, s:I, s:o}]}", "schemaVersion", 2,
                "mediaType", MEDIA_OCI_INDEX, "manifests", "mediaType", MEDIA_OCI_MANIFEST, "digest",
                f->manifest_digest, "size", (json_int_t) strlen(f->manifest), "platform", "os", p.os,
                "architecture", foreign_arch(&p), "mediaType", MEDIA_OCI_MANIFEST, "digest", h->manifest_digest,
                "size", (json_int_t) strlen(h->manifest), "platform", hp);
        platform_done(&p);
        _cleanup_free_ char *ntext = json_dump_compact(nested);
        _cleanup_free_ char *ndigest = sha256_digest_of(ntext, strlen(ntext));
        struct archive *a = tar_new(out, PLAIN);
        tar_timage_blobs(a, h);
        tar_timage_blobs(a, f);
        tar_blob(a, ndigest, ntext, strlen(ntext));
        _cleanup_free_ char *idx = index_json(MEDIA_OCI_INDEX, ndigest, strlen(ntext),
                                              json_pack("{s:s}", "org.opencontainers.image.ref.name",
                                                        "example.com/multi:1.0"), false);
        tar_file(a, "index.json", idx);
        tar_file(a, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
        tar_end(a);
        *ret_nested_digest = TAKE_PTR(ndigest);
}

static void load_ok(ImageStore *s, const Buf *b, Loaded *l)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        if (load_buf(s, b, l, &err) < 0)
                fail_msg("load: %s", lade_error_message(err));
}

/* ---- load ---- */

static void test_load_docker25(void **state)
{
        Buf b = { 0 };
        TImage t;
        Loaded l = { 0 };
        make_docker25(&b, &t);
        load_ok(store, &b, &l);
        assert_int_equal(l.n, 2);
        _cleanup_free_ char *want = xasprintf("t1:latest %s", t.config_digest);
        assert_string_equal(l.lines[0], want);
        /* the archive's own manifest is kept, not a re-made one */
        expect_image(store, "t1:latest", t.config_digest, t.manifest_digest);
        expect_image(store, "docker.io/library/t1:v2", t.config_digest, t.manifest_digest);
        expect_layers(store, t.config_digest, SEEDS1);
        /* loading again is harmless */
        load_ok(store, &b, &l);
        assert_int_equal(image_count(store), 1);
        loaded_free(&l);
        timage_free(&t);
        free(b.data);
}

static void test_load_legacy(void **state)
{
        Buf b = { 0 };
        TImage t, u;
        Loaded l = { 0 };
        make_legacy(&b, &t, &u);
        load_ok(store, &b, &l);
        assert_int_equal(l.n, 2);
        _cleanup_free_ char *w0 = xasprintf("legacy:1 %s", t.config_digest);
        _cleanup_free_ char *w1 = xasprintf("- %s", u.config_digest);
        assert_string_equal(l.lines[0], w0);
        assert_string_equal(l.lines[1], w1);
        expect_image(store, "legacy:1", t.config_digest, NULL);
        expect_image(store, u.config_digest, u.config_digest, NULL);
        expect_layers(store, t.config_digest, SEEDS_LEGACY);
        expect_layers(store, u.config_digest, SEEDS_UNTAGGED);
        /* the synthesised manifest sniffed each layer's compression */
        _cleanup_(image_info_freep) ImageInfo *info = NULL;
        assert_int_equal(image_store_resolve(store, "legacy:1", &info, NULL), 0);
        _cleanup_free_ char *data = NULL;
        size_t len;
        _cleanup_(manifest_freep) Manifest *m = NULL;
        assert_int_equal(blob_store_read(image_store_blobs(store), info->manifest_digest, MANIFEST_MAX_BYTES,
                                         &data, &len, NULL), 0);
        assert_int_equal(manifest_parse(data, len, NULL, &m, NULL), 0);
        assert_int_equal(m->n_layers, 3);
        assert_string_equal(m->layers[0].media_type, MEDIA_OCI_LAYER_GZIP);
        assert_string_equal(m->layers[1].media_type, MEDIA_OCI_LAYER);
        assert_string_equal(m->layers[2].digest, t.layer_digest[0]);
        assert_true(info->repo_tags && streq(info->repo_tags[0], "legacy:1"));
        loaded_free(&l);
        timage_free(&t);
        timage_free(&u);
        free(b.data);
}

static void test_load_oci(void **state)
{
        Buf b = { 0 };
        TImage h, f;
        Loaded l = { 0 };
        _cleanup_free_ char *nested = NULL;
        make_oci(&b, &h, &f, &nested);
        load_ok(store, &b, &l);
        assert_int_equal(l.n, 1);
        _cleanup_free_ char *want = xasprintf("example.com/multi:1.0 %s", h.config_digest);
        assert_string_equal(l.lines[0], want);
        expect_image(store, "example.com/multi:1.0", h.config_digest, h.manifest_digest);
        expect_layers(store, h.config_digest, SEEDS_HOST);
        _cleanup_(image_info_freep) ImageInfo *info = NULL;
        assert_int_equal(image_store_resolve(store, "example.com/multi:1.0", &info, NULL), 0);
        assert_string_equal(info->index_digest, nested);
        /* only the host's platform */
        assert_int_equal(image_count(store), 1);
        loaded_free(&l);
        timage_free(&h);
        timage_free(&f);
        free(b.data);
}

/* ---- save ---- */

static void save_buf(ImageStore *s, char *const *names, Buf *out)
{
        _cleanup_close_ int fd = memfd_create("save", MFD_CLOEXEC);
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        assert_true(fd >= 0);
        if (image_archive_save(s, names, fd, &err) < 0)
                fail_msg("save: %s", lade_error_message(err));
        off_t size = lseek(fd, 0, SEEK_END);
        assert_true(size > 0);
        out->len = (size_t) size;
        out->data = xmalloc(out->len);
        assert_int_equal(pread(fd, out->data, out->len, 0), (ssize_t) out->len);
}

/* Entry names sorted, owner 0:0, mtime 0; the docker-archive and OCI layout files present. */
static void expect_saved_layout(const Buf *b)
{
        struct archive *a = archive_read_new();
        archive_read_support_format_tar(a);
        assert_int_equal(archive_read_open_memory(a, b->data, b->len), ARCHIVE_OK);
        struct archive_entry *e;
        char prev[PATH_MAX] = "";
        int found = 0;
        while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
                const char *p = archive_entry_pathname(e);
                assert_non_null(p);
                assert_true(strcmp(prev, p) < 0);
                snprintf(prev, sizeof(prev), "%s", p ? p : "");
                assert_int_equal(archive_entry_mtime(e), 0);
                assert_int_equal(archive_entry_uid(e), 0);
                found += streq(p, "manifest.json") + streq(p, "index.json") + streq(p, "oci-layout");
        }
        assert_int_equal(found, 3);
        archive_read_free(a);
}

static void expect_same(ImageStore *a, ImageStore *b, const char *name)
{
        _cleanup_(image_info_freep) ImageInfo *ia = NULL, *ib = NULL;
        assert_int_equal(image_store_resolve(a, name, &ia, NULL), 0);
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        if (image_store_resolve(b, name, &ib, &err) < 0)
                fail_msg("resolve %s in the second store: %s", name, lade_error_message(err));
        assert_string_equal(ia->id, ib->id);
        assert_string_equal(ia->manifest_digest, ib->manifest_digest);
}

static void test_save_roundtrip(void **state)
{
        Buf b1 = { 0 }, b2 = { 0 }, b3 = { 0 }, saved = { 0 }, again = { 0 };
        TImage t, lt, lu, h, f;
        Loaded l = { 0 };
        _cleanup_free_ char *nested = NULL;
        make_docker25(&b1, &t);
        make_legacy(&b2, &lt, &lu);
        make_oci(&b3, &h, &f, &nested);
        load_ok(store, &b1, &l);
        load_ok(store, &b2, &l);
        load_ok(store, &b3, &l);
        char *names[] = { "t1:latest", "t1:v2", "legacy:1", lu.config_digest, "example.com/multi:1.0", NULL };
        save_buf(store, names, &saved);
        expect_saved_layout(&saved);
        save_buf(store, names, &again);
        assert_int_equal(saved.len, again.len);
        assert_memory_equal(saved.data, again.data, saved.len);

        _cleanup_free_ char *dir = xasprintf("%s/b", root);
        _cleanup_(image_store_freep) ImageStore *second = NULL;
        assert_int_equal(image_store_open(dir, &second, NULL), 0);
        Loaded l2 = { 0 };
        load_ok(second, &saved, &l2);
        assert_int_equal(image_count(second), 4);
        for (size_t i = 0; names[i]; i++)
                expect_same(store, second, names[i]);
        expect_layers(second, lt.config_digest, SEEDS_LEGACY);
        loaded_free(&l);
        loaded_free(&l2);
        timage_free(&t);
        timage_free(&lt);
        timage_free(&lu);
        timage_free(&h);
        timage_free(&f);
        free(b1.data);
        free(b2.data);
        free(b3.data);
        free(saved.data);
        free(again.data);
}

static void test_save_missing(void **state)
{
        Buf b = { 0 };
        _cleanup_close_ int fd = memfd_create("save", MFD_CLOEXEC);
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        char *names[] = { "nope:1", NULL };
        assert_int_equal(image_archive_save(store, names, fd, &err), -ENOENT);
        assert_non_null(strstr(lade_error_message(err), "No such image: nope:1"));
        free(b.data);
}

/* ---- import ---- */

static void expect_strv(char **v, const char *const *want)
{
        assert_non_null(v);
        for (size_t i = 0; want[i]; i++) {
                assert_non_null(v[i]);
                assert_string_equal(v[i], want[i]);
        }
        assert_null(v[strv_length((char **) want)]);
}

static int import_buf(const Buf *b, const ImportOptions *o, char id[static 72], LadeError **err)
{
        _cleanup_close_ int fd = buf_fd(b);
        return image_archive_import(store, fd, o, id, err);
}

static void test_import_changes(void **state)
{
        Buf gz = { 0 }, plain = { 0 };
        make_layer(&gz, "rootfs", GZIP);
        make_layer(&plain, "rootfs", PLAIN);
        char *changes[] = {
                "ENV A=b C=\"d e\"", "env X y  z", "ENV A=again", "CMD echo hi", "ENTRYPOINT [\"/bin/sh\", \"-c\"]",
                "WORKDIR /app", "WORKDIR sub", "USER nobody", "EXPOSE 80 53/udp 8000-8001",
                "LABEL k=v \"x y\"='z w'", "VOLUME [\"/data\", \"/logs\"]", "VOLUME /more", "STOPSIGNAL SIGINT", NULL,
        };
        ImportOptions o = { .ref = "imported:1", .changes = changes, .message = "hello" };
        char id[72];
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        if (import_buf(&gz, &o, id, &err) < 0)
                fail_msg("import: %s", lade_error_message(err));
        _cleanup_(image_info_freep) ImageInfo *info = NULL;
        assert_int_equal(image_store_resolve(store, "imported:1", &info, NULL), 0);
        assert_string_equal(info->id, id);
        const ImageConfig *c = info->config;
        expect_strv(c->env, (const char *const[]) { "A=again", "C=d e", "X=y  z", NULL });
        expect_strv(c->cmd, (const char *const[]) { "/bin/sh", "-c", "echo hi", NULL });
        expect_strv(c->entrypoint, (const char *const[]) { "/bin/sh", "-c", NULL });
        assert_string_equal(c->working_dir, "/app/sub");
        assert_string_equal(c->user, "nobody");
        assert_string_equal(c->stop_signal, "SIGINT");
        assert_int_equal(strv_length(c->exposed_ports), 4);
        assert_int_equal(strv_length(c->volumes), 3);
        assert_string_equal(json_string_value(json_object_get(c->labels, "x y")), "z w");
        assert_string_equal(json_string_value(json_object_get(c->labels, "k")), "v");
        assert_int_equal(c->n_history, 1);
        assert_string_equal(c->history[0].comment, "hello");
        _cleanup_free_ char *diff = digest_of(&plain);
        assert_string_equal(c->diff_ids[0], diff);
        assert_true(c->created && endswith(c->created, "Z"));
        _cleanup_strv_free_ char **dirs = NULL;
        assert_int_equal(image_store_layer_dirs(store, id, &dirs, NULL), 0);
        _cleanup_free_ char *p = xasprintf("%s/etc/rootfs.txt", dirs[0]);
        assert_int_equal(access(p, F_OK), 0);
        /* the gzip input is the layer blob, byte for byte */
        _cleanup_free_ char *gzd = digest_of(&gz);
        assert_true(blob_store_has(image_store_blobs(store), gzd));
        free(gz.data);
        free(plain.data);
}

static void test_import_xz(void **state)
{
        Buf xz = { 0 }, plain = { 0 };
        make_layer(&xz, "x", XZ);
        make_layer(&plain, "x", PLAIN);
        ImportOptions o = { 0 };
        char id[72];
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        if (import_buf(&xz, &o, id, &err) < 0)
                fail_msg("import: %s", lade_error_message(err));
        _cleanup_(image_info_freep) ImageInfo *info = NULL;
        assert_int_equal(image_store_resolve(store, id, &info, NULL), 0);
        assert_null(info->repo_tags[0]);
        assert_string_equal(info->config->history[0].comment, "Imported from -");
        /* stored decompressed: the blob is the plain tar, whose digest is the diff_id */
        _cleanup_free_ char *d = digest_of(&plain);
        assert_string_equal(info->config->diff_ids[0], d);
        assert_true(blob_store_has(image_store_blobs(store), d));
        free(xz.data);
        free(plain.data);
}

static void expect_import_error(const char *change, const char *msg)
{
        Buf gz = { 0 };
        make_layer(&gz, "rootfs", GZIP);
        char *changes[] = { (char *) change, NULL };
        ImportOptions o = { .ref = "bad:1", .changes = changes };
        char id[72];
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        assert_true(import_buf(&gz, &o, id, &err) < 0);
        if (!strstr(lade_error_message(err), msg))
                fail_msg("'%s': expected '%s' in '%s'", change, msg, lade_error_message(err));
        assert_int_equal(image_count(store), 0);
        free(gz.data);
}

static void test_import_bad(void **state)
{
        expect_import_error("RUN echo hi", "import: --change: unknown instruction 'RUN'");
        expect_import_error("ENV", "ENV requires at least one argument");
        expect_import_error("ENV A=\"b", "unbalanced quotes");
        expect_import_error("ENV =b", "not of the form name=value");
        expect_import_error("EXPOSE 99999", "invalid port '99999'");
        expect_import_error("EXPOSE 80/xyz", "invalid port '80/xyz'");
        expect_import_error("  ", "empty instruction");
        Buf empty = { .data = xstrdup(""), .len = 0 };
        ImportOptions o = { 0 };
        char id[72];
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        assert_true(import_buf(&empty, &o, id, &err) < 0);
        free(empty.data);
}

/* ---- hostile archives: a clear error, and the image list as it was ---- */

static void preload(void)
{
        Buf b = { 0 };
        TImage t;
        Loaded l = { 0 };
        make_docker25(&b, &t);
        load_ok(store, &b, &l);
        loaded_free(&l);
        timage_free(&t);
        free(b.data);
}

static void expect_load_error(const Buf *b, const char *msg)
{
        size_t before = image_count(store);
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        Loaded l = { 0 };
        assert_true(load_buf(store, b, &l, &err) < 0);
        if (!strstr(lade_error_message(err), msg))
                fail_msg("expected '%s' in '%s'", msg, lade_error_message(err));
        assert_int_equal(l.n, 0);
        assert_int_equal(image_count(store), before);
}

/* A legacy-style archive with one image whose layer file is `layer_name`, plus extra entries. */
static void make_single(Buf *out, const char *layer_name, const char *config_name,
                        void (*extra)(struct archive *a))
{
        TImage t;
        Platform p;
        host(&p);
        timage_make(&t, SEEDS_UNTAGGED, false, p.os, p.architecture);
        platform_done(&p);
        struct archive *a = tar_new(out, PLAIN);
        tar_file(a, "cfg.json", t.config);
        tar_buf(a, "l/layer.tar", &t.layers[0]);
        if (extra)
                extra(a);
        _cleanup_json_ json_t *mj = json_pack("[{s:s, s:[s], s:[s]}]", "Config", config_name, "RepoTags", "evil:1",
                                              "Layers", layer_name);
        _cleanup_free_ char *mtext = json_dump_compact(mj);
        tar_file(a, "manifest.json", mtext);
        tar_end(a);
        timage_free(&t);
}

static void extra_dotdot(struct archive *a)
{
        tar_file(a, "../../x", "escape");
}

static void extra_absolute(struct archive *a)
{
        tar_file(a, "/etc/lade-test-absolute", "escape");
}

static void extra_bad_symlink(struct archive *a)
{
        tar_entry(a, "m/layer.tar", AE_IFLNK, NULL, 0, "../../../etc/passwd");
}

static void extra_loop(struct archive *a)
{
        tar_entry(a, "x/layer.tar", AE_IFLNK, NULL, 0, "../y/layer.tar");
        tar_entry(a, "y/layer.tar", AE_IFLNK, NULL, 0, "../x/layer.tar");
}

static void extra_escape_sequence(struct archive *a)
{
        tar_file(a, "a\033[2Jb", "clear the screen");
}

static void extra_many(struct archive *a)
{
        for (unsigned i = 0; i <= 10000; i++) {
                char name[32];
                snprintf(name, sizeof(name), "d%u/", i);
                tar_entry(a, name, AE_IFDIR, NULL, 0, NULL);
        }
}

static void extra_mismatch(struct archive *a)
{
        /* named after the sha256 of "something else", holding other bytes */
        _cleanup_free_ char *d = sha256_digest_of("something else", 14);
        tar_blob(a, d, "not that", 8);
}

static void test_hostile_names(void **state)
{
        Buf b[8] = { 0 };
        preload();
        make_single(&b[0], "l/layer.tar", "cfg.json", extra_dotdot);
        expect_load_error(&b[0], "archive: entry '../../x' leaves the archive");
        make_single(&b[1], "l/layer.tar", "cfg.json", extra_absolute);
        expect_load_error(&b[1], "has an absolute path");
        make_single(&b[2], "l/layer.tar", "cfg.json", extra_bad_symlink);
        expect_load_error(&b[2], "symlink 'm/layer.tar' points outside the archive");
        make_single(&b[3], "x/layer.tar", "cfg.json", extra_loop);
        expect_load_error(&b[3], "too many levels of links");
        make_single(&b[4], "l/layer.tar", "missing.json", NULL);
        expect_load_error(&b[4], "manifest.json[0].Config names 'missing.json', which is not in the archive");
        make_single(&b[5], "l/layer.tar", "cfg.json", extra_mismatch);
        expect_load_error(&b[5], "blob digest mismatch");
        make_single(&b[6], "l/layer.tar", "cfg.json", extra_escape_sequence);
        expect_load_error(&b[6], "archive: an entry name holds control characters");
        make_single(&b[7], "l/layer.tar", "cfg.json", extra_many);
        expect_load_error(&b[7], "archive: more than 10000 entries");
        for (size_t i = 0; i < ELEMENTSOF(b); i++)
                free(b[i].data);
        assert_int_equal(access("/etc/lade-test-absolute", F_OK), -1);
}

static void test_hostile_truncated(void **state)
{
        Buf b = { 0 }, good = { 0 };
        TImage t;
        make_docker25(&good, &t);
        /* cut inside the first layer blob (a gzip stream) and inside the tar headers */
        for (size_t cut = good.len / 2; cut > 600; cut /= 3) {
                b.data = good.data;
                b.len = cut;
                expect_load_error(&b, "archive");
        }
        b.len = 0;
        expect_load_error(&b, "archive");
        timage_free(&t);
        free(good.data);
}

static void test_hostile_neither(void **state)
{
        Buf b = { 0 }, c = { 0 };
        struct archive *a = tar_new(&b, PLAIN);
        tar_file(a, "hello", "world");
        tar_end(a);
        expect_load_error(&b, "archive has neither manifest.json nor index.json");
        a = tar_new(&c, PLAIN);
        tar_file(a, "manifest.json", "{\"not\": \"a list\"}");
        tar_end(a);
        expect_load_error(&c, "manifest.json: not an array");
        free(b.data);
        free(c.data);
}

/* Two images; the second's config names a wrong diff_id, found only when its layer unpacks:
 * the first, already committed, is removed again. */
static void test_hostile_partial(void **state)
{
        Buf b = { 0 };
        TImage good, bad;
        Platform p;
        preload();
        host(&p);
        timage_make(&good, (const char *const[]) { "g1", NULL }, false, p.os, p.architecture);
        timage_make(&bad, (const char *const[]) { "b1", NULL }, false, p.os, p.architecture);
        free(bad.diff_id[0]);
        bad.diff_id[0] = sha256_digest_of("wrong", 5);
        free(bad.config);
        free(bad.config_digest);
        timage_config(&bad, "SEED=bad", p.os, p.architecture);
        platform_done(&p);
        struct archive *a = tar_new(&b, PLAIN);
        tar_file(a, "good.json", good.config);
        tar_file(a, "bad.json", bad.config);
        tar_buf(a, "g/layer.tar", &good.layers[0]);
        tar_buf(a, "b/layer.tar", &bad.layers[0]);
        _cleanup_json_ json_t *mj = json_pack("[{s:s, s:[s], s:[s]}, {s:s, s:[s], s:[s]}]", "Config", "good.json",
                                              "RepoTags", "good:1", "Layers", "g/layer.tar", "Config", "bad.json",
                                              "RepoTags", "bad:1", "Layers", "b/layer.tar");
        _cleanup_free_ char *mtext = json_dump_compact(mj);
        tar_file(a, "manifest.json", mtext);
        tar_end(a);
        expect_load_error(&b, "diff_id mismatch");
        _cleanup_(image_info_freep) ImageInfo *info = NULL;
        assert_int_equal(image_store_resolve(store, good.config_digest, &info, NULL), -ENOENT);
        timage_free(&good);
        timage_free(&bad);
        free(b.data);
}

int main(void)
{
        if (geteuid() != 0) {
                printf("SKIP: layer unpacking needs root\n");
                return 77;
        }
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        const struct CMUnitTest tests[] = {
                T(test_load_docker25),  T(test_load_legacy),      T(test_load_oci),
                T(test_save_roundtrip), T(test_save_missing),     T(test_import_changes),
                T(test_import_xz),      T(test_import_bad),       T(test_hostile_names),
                T(test_hostile_truncated), T(test_hostile_neither), T(test_hostile_partial),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

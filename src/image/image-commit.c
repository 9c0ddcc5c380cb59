/* image_store_commit(): a new image from a parent image (or scratch), an optional new layer file
 * (made by layer_pack()) and a config document — what `lade commit` and each `lade build` step
 * store.
 *
 * Everything is turned into the form a pull leaves behind, then committed by the same code a
 * pull uses (image_store_commit_manifest()): the layer file becomes a blob, the config (with
 * rootfs.diff_ids made here) a blob, a manifest naming the parent's layer blobs plus the new one a
 * blob; the commit then unpacks the new layer into layers/<chain> (verifying its diff_id again)
 * — or, when the caller hands over the tree it packed the layer from (normalized, so identical to
 * what unpacking gives), moves that tree there instead — and writes every row in one transaction. Until that transaction nothing refers to the new
 * blobs, so a failure leaves no image, only unreferenced blobs for the GC.
 *
 * The manifest is of the parent's kind (an OCI manifest over an OCI image, else Docker's v2
 * schema 2, which is also what scratch images get) so that `lade push` sends media types that
 * match each other. */
#include <archive.h>
#include <fcntl.h>
#include <string.h>

#include "digest.h"
#include "json-util.h"
#include "layer.h"
#include "util.h"

#include "image-store-internal.h"
#include "archive-dl.h"

#define COMMIT_IO_BLOCK (128 * 1024)

typedef struct CommitLayer {
        char digest[72];
        char diff_id[72];
        int64_t size;
        int compression;          /* 0 none, 1 gzip, 2 zstd */
} CommitLayer;

typedef struct CommitParent {
        ImageInfo *info;
        Manifest *m;
        bool oci;
} CommitParent;

static void commit_parent_done(CommitParent *p)
{
        p->info = image_info_free(p->info);
        p->m = manifest_free(p->m);
}

static int commit_parent(ImageStore *s, const char *id, CommitParent *p, LadeError **err)
{
        _cleanup_free_ char *data = NULL;
        size_t len;
        int r = image_store_resolve(s, id, &p->info, err);
        if (r < 0)
                return r;
        if (!*p->info->manifest_digest)
                return lade_error_msg(err, EINVAL, "image %s has no manifest to extend", id);
        r = blob_store_read(s->blobs, p->info->manifest_digest, MANIFEST_MAX_BYTES, &data, &len, err);
        if (r == 0)
                r = manifest_parse(data, len, NULL, &p->m, err);
        if (r < 0)
                return lade_error_wrap(err, "image %s", id);
        if (p->m->kind != MANIFEST_KIND_IMAGE ||
            p->m->n_layers != strv_length(p->info->config->diff_ids))
                return lade_error_msg(err, EINVAL, "image %s: manifest and config disagree", id);
        p->oci = streq(p->m->media_type, MEDIA_OCI_MANIFEST);
        return 0;
}

/* ---- the layer file ---- */

static int layer_copy_blob(BlobStore *b, int fd, CommitLayer *l, LadeError **err)
{
        _cleanup_(blob_writer_abortp) BlobWriter *w = NULL;
        _cleanup_free_ char *buf = xmalloc(COMMIT_IO_BLOCK);
        int r = blob_writer_begin(b, NULL, -1, &w, err);
        while (r >= 0) {
                ssize_t n = read(fd, buf, COMMIT_IO_BLOCK);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return lade_error(err, errno, "read layer");
                if (n == 0)
                        break;
                if (l->size == 0)
                        l->compression = n >= 2 && (uint8_t) buf[0] == 0x1f && (uint8_t) buf[1] == 0x8b ? 1
                                         : n >= 4 && memcmp(buf, "\x28\xb5\x2f\xfd", 4) == 0 ? 2 : 0;
                l->size += n;
                r = blob_writer_write(w, buf, (size_t) n, err);
        }
        if (r < 0)
                return r;
        if (l->size == 0)
                return lade_error_msg(err, EINVAL, "layer file is empty");
        return blob_writer_commit(TAKE_PTR(w), l->digest, err);
}

static void archive_read_freep_(struct archive **a)
{
        if (*a)
                (void) archive_read_free(*a);
}

/* The sha256 of the decompressed stream. */
static int layer_diff_id(int fd, CommitLayer *l, LadeError **err)
{
        _cleanup_(archive_read_freep_) struct archive *a = archive_read_new();
        _cleanup_(sha256_freep) Sha256 *h = sha256_new();
        struct archive_entry *e;
        if (!a)
                return lade_error(err, ENOMEM, "allocate layer reader");
        if (archive_read_support_filter_gzip(a) < ARCHIVE_WARN ||
            archive_read_support_filter_zstd(a) < ARCHIVE_WARN ||
            archive_read_support_format_raw(a) != ARCHIVE_OK ||
            archive_read_open_fd(a, fd, COMMIT_IO_BLOCK) != ARCHIVE_OK ||
            archive_read_next_header(a, &e) != ARCHIVE_OK)
                return lade_error_msg(err, EINVAL, "read layer: %s", archive_error_string(a) ?: "?");
        for (;;) {
                const void *buf;
                size_t len;
                la_int64_t off;
                int ar = archive_read_data_block(a, &buf, &len, &off);
                if (ar == ARCHIVE_EOF)
                        break;
                if (ar < ARCHIVE_WARN)
                        return lade_error_msg(err, EINVAL, "decompress layer: %s",
                                              archive_error_string(a) ?: "?");
                sha256_update(h, buf, len);
        }
        sha256_final_string(h, l->diff_id);
        return 0;
}

static int commit_layer(ImageStore *s, const char *path, CommitLayer *l, LadeError **err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return lade_error(err, errno, "open layer '%s'", path);
        int r = layer_copy_blob(s->blobs, fd, l, err);
        if (r >= 0 && l->compression == 0)
                memcpy(l->diff_id, l->digest, sizeof(l->diff_id));
        else if (r >= 0 && lseek(fd, 0, SEEK_SET) < 0)
                r = lade_error(err, errno, "rewind layer '%s'", path);
        else if (r >= 0)
                r = layer_diff_id(fd, l, err);
        return r < 0 ? lade_error_wrap(err, "layer '%s'", path) : 0;
}

/* ---- config and manifest ---- */

static int check_history(json_t *doc, size_t n_layers, LadeError **err)
{
        json_t *history = json_member(doc, "history");
        if (!history || json_array_size(history) == 0)
                return 0;
        if (!json_is_array(history))
                return lade_error_msg(err, EINVAL, "image config: history is not an array");
        size_t n = 0, i;
        json_t *h;
        json_array_foreach(history, i, h)
                if (!json_is_true(json_member(h, "empty_layer")))
                        n++;
        if (n != n_layers)
                return lade_error_msg(err, EINVAL, "image config: history has %zu entries with a "
                                      "layer but the image has %zu layers", n, n_layers);
        return 0;
}

/* The config as stored: the caller's document with rootfs made here; checked by the parser. */
static int commit_config(ImageStore *s, json_t *config, char *const *parent_diff_ids,
                         const CommitLayer *l, char ret_digest[static 72], size_t *ret_len,
                         LadeError **err)
{
        if (!json_is_object(config))
                return lade_error_msg(err, EINVAL, "image config is not an object");
        _cleanup_json_ json_t *doc = json_deep_copy(config);
        json_t *ids = json_array();
        for (size_t i = 0; parent_diff_ids && parent_diff_ids[i]; i++)
                json_array_append_new(ids, json_string(parent_diff_ids[i]));
        if (l)
                json_array_append_new(ids, json_string(l->diff_id));
        json_object_set_new(doc, "rootfs", json_pack("{s:s, s:o}", "type", "layers", "diff_ids", ids));
        int r = check_history(doc, json_array_size(ids), err);
        if (r < 0)
                return r;
        _cleanup_free_ char *text = json_dump_compact(doc);
        _cleanup_(image_config_freep) ImageConfig *parsed = NULL;
        size_t len = strlen(text);
        if ((r = image_config_parse(text, len, &parsed, err)) < 0)
                return r;
        if ((r = blob_store_put(s->blobs, text, len, ret_digest, err)) < 0)
                return lade_error_wrap(err, "store image config");
        *ret_len = len;
        return 0;
}

static const char *layer_media_type(bool oci, int compression)
{
        static const char *const docker[] = { MEDIA_DOCKER_LAYER_TAR, MEDIA_DOCKER_LAYER,
                                              MEDIA_DOCKER_LAYER_ZSTD };
        static const char *const ocis[] = { MEDIA_OCI_LAYER, MEDIA_OCI_LAYER_GZIP,
                                            MEDIA_OCI_LAYER_ZSTD };
        return oci ? ocis[compression] : docker[compression];
}

static json_t *descriptor(const char *media_type, const char *digest, int64_t size)
{
        return json_pack("{s:s, s:s, s:I}", "mediaType", media_type, "digest", digest, "size",
                         (json_int_t) size);
}

/* The parent's layer descriptors as they are (urls and annotations kept), then the new one. */
static int commit_manifest(ImageStore *s, const CommitParent *p, const CommitLayer *l,
                           const char *cdigest, size_t clen, char ret_digest[static 72],
                           LadeError **err)
{
        bool oci = p->m && p->oci;
        _cleanup_json_ json_t *m = json_object();
        json_t *layers = json_array();
        json_object_set_new(m, "schemaVersion", json_integer(2));
        json_object_set_new(m, "mediaType", json_string(oci ? MEDIA_OCI_MANIFEST : MEDIA_DOCKER_MANIFEST));
        json_object_set_new(m, "config", descriptor(oci ? MEDIA_OCI_CONFIG : MEDIA_DOCKER_CONFIG,
                                                    cdigest, (int64_t) clen));
        json_object_set_new(m, "layers", layers);
        json_t *parent_layers = p->m ? json_member(p->m->raw, "layers") : NULL;
        size_t i;
        json_t *d;
        json_array_foreach(parent_layers, i, d)
                json_array_append_new(layers, json_deep_copy(d));
        if (l)
                json_array_append_new(layers, descriptor(layer_media_type(oci, l->compression),
                                                         l->digest, l->size));
        _cleanup_free_ char *text = json_dump_compact(m);
        int r = blob_store_put(s->blobs, text, strlen(text), ret_digest, err);
        return r < 0 ? lade_error_wrap(err, "store manifest") : 0;
}

static int commit_ref(const char *tag, ImageRef **ret, LadeError **err)
{
        _cleanup_(image_ref_freep) ImageRef *ref = NULL;
        if (!tag)
                return 0;
        int r = image_ref_parse(tag, &ref, err);
        if (r < 0)
                return r;
        if (!ref->tag || ref->digest)
                return lade_error_msg(err, EINVAL, "'%s' is not a tag reference", tag);
        *ret = TAKE_PTR(ref);
        return 0;
}

int image_store_commit(ImageStore *s, const ImageCommit *c, char ret_id[static 72], LadeError **err)
{
        _cleanup_(commit_parent_done) CommitParent p = { 0 };
        _cleanup_(image_ref_freep) ImageRef *ref = NULL;
        CommitLayer l = { 0 };
        char cdigest[72], mdigest[72];
        size_t clen = 0;
        int r = commit_ref(c->tag, &ref, err);
        if (r >= 0 && c->parent_id)
                r = commit_parent(s, c->parent_id, &p, err);
        if (r >= 0 && c->layer_path)
                r = commit_layer(s, c->layer_path, &l, err);
        if (r >= 0)
                r = commit_config(s, c->config, p.info ? p.info->config->diff_ids : NULL,
                                  c->layer_path ? &l : NULL, cdigest, &clen, err);
        if (r >= 0)
                r = commit_manifest(s, &p, c->layer_path ? &l : NULL, cdigest, clen, mdigest, err);
        if (r >= 0 && c->layer_path && c->layer_dir)
                r = image_store_commit_adopting(s, mdigest, l.digest, c->layer_dir, c->layer_dir_bytes,
                                                ref, ret_id, err);
        else if (r >= 0)
                r = image_store_commit_manifest(s, mdigest, NULL, ref, false, ret_id, err);
        return r < 0 ? lade_error_wrap(err, "commit image") : 0;
}

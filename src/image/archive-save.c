/* `save`: images as one docker-archive in Docker 25+'s form, which every Docker since 1.10 and
 * skopeo's docker-archive: transport load:
 *   blobs/sha256/<hex>   every manifest, config and layer blob, each once
 *   index.json           OCI index, one manifest descriptor per name saved, annotated with
 *                        io.containerd.image.name (full ref) and org.opencontainers.image.ref.name
 *   manifest.json        [{"Config": "blobs/sha256/<hex>", "RepoTags": [...], "Layers": [...]}]
 *   oci-layout           {"imageLayoutVersion":"1.0.0"}
 * The tar is deterministic: pax restricted (plain ustar for these short names), entries sorted,
 * mtime 0, owner 0:0, fixed modes. Blobs are streamed, never held in memory. An image stored
 * without a manifest (manifest_digest "") gets one built from its config and the plain-tar
 * blobs of its diff_ids. */
#include <archive_entry.h>
#include <string.h>
#include <sys/stat.h>

#include "archive-internal.h"
#include "blob-store.h"
#include "digest.h"
#include "json-util.h"
#include "util.h"
#include "archive-dl.h"

typedef struct SaveImage {
        char *id;
        char manifest_digest[72];
        char *manifest_text;            /* synthesised manifest, or NULL when it is a stored blob */
        int64_t manifest_size;
        Manifest *m;
        json_t *repo_tags;              /* familiar "busybox:latest" */
} SaveImage;

typedef struct SaveEntry {
        char *path;
        char *data;                     /* in memory (owned), or NULL: the blob `digest` */
        size_t len;
        char digest[72];
        bool dir;
} SaveEntry;

typedef struct Save {
        ImageStore *s;
        SaveImage *images;
        size_t n_images;
        json_t *index;                  /* index.json's "manifests" */
        SaveEntry *entries;
        size_t n_entries;
} Save;

static void save_done(Save *sv)
{
        for (size_t i = 0; i < sv->n_images; i++) {
                free(sv->images[i].id);
                free(sv->images[i].manifest_text);
                manifest_free(sv->images[i].m);
                json_decref(sv->images[i].repo_tags);
        }
        free(sv->images);
        for (size_t i = 0; i < sv->n_entries; i++) {
                free(sv->entries[i].path);
                free(sv->entries[i].data);
        }
        free(sv->entries);
        json_decref(sv->index);
}

/* A manifest for an image stored without one: config + the plain-tar blobs of its diff_ids. */
static int save_synthesise(Save *sv, SaveImage *img, const ImageInfo *info, LadeError **err)
{
        BlobStore *b = image_store_blobs(sv->s);
        int64_t csize = blob_store_size(b, info->id, err);
        if (csize < 0)
                return (int) csize;
        _cleanup_json_ json_t *layers = json_array();
        for (char **d = info->config->diff_ids; d && *d; d++) {
                int64_t size = blob_store_size(b, *d, NULL);
                if (size < 0)
                        return lade_error_msg(err, ENOENT, "image %s has no manifest and no blob for layer %s",
                                              info->id, *d);
                json_array_append_new(layers, archive_descriptor_json(MEDIA_OCI_LAYER, *d, size));
        }
        img->manifest_text = archive_manifest_text(
                archive_descriptor_json(MEDIA_OCI_CONFIG, info->id, csize), TAKE_PTR(layers));
        img->manifest_size = (int64_t) strlen(img->manifest_text);
        _cleanup_free_ char *digest = sha256_digest_of(img->manifest_text, (size_t) img->manifest_size);
        snprintf(img->manifest_digest, sizeof(img->manifest_digest), "%s", digest);
        return manifest_parse(img->manifest_text, (size_t) img->manifest_size, NULL, &img->m, err);
}

static int save_load_manifest(Save *sv, SaveImage *img, const ImageInfo *info, LadeError **err)
{
        if (!info->manifest_digest || !*info->manifest_digest)
                return save_synthesise(sv, img, info, err);
        _cleanup_free_ char *data = NULL;
        size_t len;
        int r = blob_store_read(image_store_blobs(sv->s), info->manifest_digest, MANIFEST_MAX_BYTES, &data,
                                &len, err);
        if (r == 0)
                r = manifest_parse(data, len, NULL, &img->m, err);
        if (r < 0)
                return r;
        if (img->m->kind != MANIFEST_KIND_IMAGE)
                return lade_error_msg(err, EINVAL, "manifest %s is an index, not an image",
                                      info->manifest_digest);
        snprintf(img->manifest_digest, sizeof(img->manifest_digest), "%s", info->manifest_digest);
        img->manifest_size = (int64_t) len;
        return 0;
}

static int save_image(Save *sv, const ImageInfo *info, SaveImage **ret, LadeError **err)
{
        for (size_t i = 0; i < sv->n_images; i++)
                if (streq(sv->images[i].id, info->id)) {
                        *ret = &sv->images[i];
                        return 0;
                }
        sv->images = xreallocarray(sv->images, sv->n_images + 1, sizeof(*sv->images));
        SaveImage *img = &sv->images[sv->n_images++];
        *img = (SaveImage) { .id = xstrdup(info->id), .repo_tags = json_array() };
        *ret = img;
        return save_load_manifest(sv, img, info, err);
}

/* The tag a name stands for; NULL when it names the image by ID or by digest only. */
static int save_name_ref(const char *name, const ImageInfo *info, ImageRef **ret, LadeError **err)
{
        const char *hex = startswith(name, "sha256:") ? name + strlen("sha256:") : name;
        *ret = NULL;
        if (image_ref_looks_like_id(name) && startswith(info->id + strlen("sha256:"), hex))
                return 0;
        _cleanup_(image_ref_freep) ImageRef *ref = NULL;
        int r = image_ref_parse(name, &ref, err);
        if (r < 0)
                return r;
        if (ref->tag)
                *ret = TAKE_PTR(ref);
        return 0;
}

static bool json_strv_has(json_t *a, const char *s)
{
        size_t i;
        json_t *v;
        json_array_foreach(a, i, v)
                if (streq(json_string_value(v), s))
                        return true;
        return false;
}

static bool save_index_has(Save *sv, const char *digest, const char *full)
{
        size_t i;
        json_t *d;
        json_array_foreach(sv->index, i, d) {
                json_t *a = json_object_get(d, "annotations");
                if (streq(json_string_value(json_object_get(d, "digest")), digest) &&
                    streq_ptr(json_string_value(json_object_get(a, ANNOTATION_IMAGE_NAME)), full))
                        return true;
        }
        return false;
}

static void save_index_add(Save *sv, const SaveImage *img, const ImageRef *ref)
{
        _cleanup_free_ char *full = ref ? image_ref_string(ref) : NULL;
        if (save_index_has(sv, img->manifest_digest, full))
                return;
        const char *media = img->m->media_type ? img->m->media_type : MEDIA_OCI_MANIFEST;
        json_t *d = archive_descriptor_json(media, img->manifest_digest, img->manifest_size);
        if (ref) {
                json_t *a = json_object();
                json_object_set_new(a, ANNOTATION_IMAGE_NAME, json_string(full));
                json_object_set_new(a, ANNOTATION_REF_NAME, json_string(ref->tag));
                json_object_set_new(d, "annotations", a);
        }
        json_array_append_new(sv->index, d);
}

static int save_add_name(Save *sv, const char *name, LadeError **err)
{
        _cleanup_(image_info_freep) ImageInfo *info = NULL;
        _cleanup_(image_ref_freep) ImageRef *ref = NULL;
        SaveImage *img = NULL;
        int r = image_store_resolve(sv->s, name, &info, err);
        if (r == 0)
                r = save_name_ref(name, info, &ref, err);
        if (r == 0)
                r = save_image(sv, info, &img, err);
        if (r < 0)
                return lade_error_wrap(err, "save '%s'", name);
        save_index_add(sv, img, ref);
        _cleanup_free_ char *familiar = ref ? image_ref_familiar(ref) : NULL;
        if (familiar && !json_strv_has(img->repo_tags, familiar))
                json_array_append_new(img->repo_tags, json_string(familiar));
        return 0;
}

static void save_entry(Save *sv, char *path, char *data, size_t len, const char *digest, bool dir)
{
        for (size_t i = 0; i < sv->n_entries; i++)
                if (streq(sv->entries[i].path, path)) {
                        free(path);
                        free(data);
                        return;
                }
        sv->entries = xreallocarray(sv->entries, sv->n_entries + 1, sizeof(*sv->entries));
        SaveEntry *e = &sv->entries[sv->n_entries++];
        *e = (SaveEntry) { .path = path, .data = data, .len = len, .dir = dir };
        snprintf(e->digest, sizeof(e->digest), "%s", digest ? digest : "");
}

static void save_text(Save *sv, const char *path, char *text)
{
        save_entry(sv, xstrdup(path), text, strlen(text), NULL, false);
}

static json_t *json_blob_path(const char *digest)
{
        _cleanup_free_ char *path = archive_blob_path(digest);
        return json_string(path);
}

static json_t *save_image_entries(Save *sv, const SaveImage *img)
{
        const Manifest *m = img->m;
        char *mtext = img->manifest_text ? xstrdup(img->manifest_text) : NULL;
        save_entry(sv, archive_blob_path(img->manifest_digest), mtext, mtext ? strlen(mtext) : 0,
                   img->manifest_digest, false);
        save_entry(sv, archive_blob_path(m->config.digest), NULL, 0, m->config.digest, false);
        json_t *item = json_object();
        json_object_set_new(item, "Config", json_blob_path(m->config.digest));
        json_object_set(item, "RepoTags", img->repo_tags);
        json_t *layers = json_array();
        for (size_t i = 0; i < m->n_layers; i++) {
                save_entry(sv, archive_blob_path(m->layers[i].digest), NULL, 0, m->layers[i].digest, false);
                json_array_append_new(layers, json_blob_path(m->layers[i].digest));
        }
        json_object_set_new(item, "Layers", layers);
        return item;
}

static void save_entries(Save *sv)
{
        _cleanup_json_ json_t *manifests = json_array();
        for (size_t i = 0; i < sv->n_images; i++)
                json_array_append_new(manifests, save_image_entries(sv, &sv->images[i]));
        _cleanup_json_ json_t *index = json_object();
        json_object_set_new(index, "schemaVersion", json_integer(2));
        json_object_set_new(index, "mediaType", json_string(MEDIA_OCI_INDEX));
        json_object_set(index, "manifests", sv->index);
        save_entry(sv, xstrdup("blobs"), NULL, 0, NULL, true);
        save_entry(sv, xstrdup("blobs/sha256"), NULL, 0, NULL, true);
        save_text(sv, "index.json", json_dump_compact(index));
        save_text(sv, "manifest.json", json_dump_compact(manifests));
        save_text(sv, "oci-layout", xstrdup("{\"imageLayoutVersion\":\"1.0.0\"}"));
}

static int save_header(struct archive *a, const SaveEntry *e, int64_t size, LadeError **err)
{
        struct archive_entry *ae = archive_entry_new();
        if (!ae)
                return lade_error(err, ENOMEM, "save: allocate tar entry");
        _cleanup_free_ char *path = e->dir ? xasprintf("%s/", e->path) : xstrdup(e->path);
        archive_entry_set_pathname(ae, path);
        archive_entry_set_filetype(ae, e->dir ? AE_IFDIR : AE_IFREG);
        archive_entry_set_perm(ae, e->dir ? 0755 : 0644);
        archive_entry_set_size(ae, e->dir ? 0 : size);
        archive_entry_set_mtime(ae, 0, 0);
        archive_entry_set_uid(ae, 0);
        archive_entry_set_gid(ae, 0);
        int ar = archive_write_header(a, ae);
        archive_entry_free(ae);
        if (ar < ARCHIVE_WARN)
                return lade_error_msg(err, EIO, "save: write '%s': %s", e->path, archive_err(a));
        return 0;
}

static int save_data(struct archive *a, const SaveEntry *e, const void *buf, size_t len, LadeError **err)
{
        la_ssize_t n = archive_write_data(a, buf, len);
        if (n < 0 || (size_t) n != len)
                return lade_error_msg(err, EIO, "save: write '%s': %s", e->path, archive_err(a));
        return 0;
}

/* Streams a blob; its size is taken once, so a blob cannot change under the header. */
static int save_blob(Save *sv, struct archive *a, const SaveEntry *e, char *buf, LadeError **err)
{
        _cleanup_close_ int fd = blob_store_open_blob(image_store_blobs(sv->s), e->digest, err);
        if (fd < 0)
                return lade_error_wrap(err, "save");
        struct stat st;
        if (fstat(fd, &st) < 0)
                return lade_error(err, errno, "save: stat blob %s", e->digest);
        int r = save_header(a, e, st.st_size, err);
        for (uint64_t left = (uint64_t) st.st_size; r == 0 && left > 0;) {
                ssize_t n = read_all(fd, buf, left < ARCHIVE_IO_BLOCK ? left : ARCHIVE_IO_BLOCK);
                if (n <= 0)
                        return lade_error(err, n < 0 ? (int) -n : EIO, "save: read blob %s", e->digest);
                r = save_data(a, e, buf, (size_t) n, err);
                left -= (uint64_t) n;
        }
        return r;
}

static int save_entry_cmp(const void *a, const void *b)
{
        return strcmp(((const SaveEntry *) a)->path, ((const SaveEntry *) b)->path);
}

static int save_write(Save *sv, int fd, LadeError **err)
{
        _cleanup_(archive_write_freep) struct archive *a = archive_write_new();
        if (!a)
                return lade_error(err, ENOMEM, "save: allocate writer");
        if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
            archive_write_add_filter_none(a) != ARCHIVE_OK || archive_write_open_fd(a, fd) != ARCHIVE_OK)
                return lade_error_msg(err, EIO, "save: %s", archive_err(a));
        qsort(sv->entries, sv->n_entries, sizeof(*sv->entries), save_entry_cmp);
        _cleanup_free_ char *buf = xmalloc(ARCHIVE_IO_BLOCK);
        for (size_t i = 0; i < sv->n_entries; i++) {
                const SaveEntry *e = &sv->entries[i];
                int r;
                if (e->dir || e->data)
                        r = save_header(a, e, (int64_t) e->len, err);
                else
                        r = save_blob(sv, a, e, buf, err);
                if (r == 0 && e->data)
                        r = save_data(a, e, e->data, e->len, err);
                if (r < 0)
                        return r;
        }
        if (archive_write_close(a) != ARCHIVE_OK)
                return lade_error_msg(err, EIO, "save: %s", archive_err(a));
        return 0;
}

int image_archive_save(ImageStore *s, char *const *names, int fd, LadeError **err)
{
        if (!names || !names[0])
                return lade_error_msg(err, EINVAL, "save: no image name given");
        _cleanup_(save_done) Save sv = { .s = s, .index = json_array() };
        for (char *const *n = names; *n; n++) {
                int r = save_add_name(&sv, *n, err);
                if (r < 0)
                        return r;
        }
        save_entries(&sv);
        return save_write(&sv, fd, err);
}

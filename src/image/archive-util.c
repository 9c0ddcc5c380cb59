/* Helpers of the archive code (see archive-internal.h): entry-name cleaning, the table of the
 * files a load stored, layer media-type sniffing, the OCI manifest builder and the load plan.
 *
 * What stays true: a name reaches the table only after archive_path_clean() (relative, no "..",
 * no "."), and a lookup follows at most ARCHIVE_MAX_LINK_HOPS links, so a hostile archive can
 * neither name a file outside itself nor loop. */
#include <string.h>

#include "archive-internal.h"
#include "blob-store.h"
#include "json-util.h"
#include "util.h"

/* Error messages quote at most this much of an untrusted name. */
#define QUOTE_MAX 200

static bool component_append(char *out, size_t *o, const char *c, size_t n)
{
        if (n == 0 || (n == 1 && c[0] == '.'))
                return true;
        if (n == 2 && c[0] == '.' && c[1] == '.')
                return false;
        if (*o > 0)
                out[(*o)++] = '/';
        memcpy(out + *o, c, n);
        *o += n;
        return true;
}

int archive_path_clean(const char *raw, char **ret, LadeError **err)
{
        size_t len = strlen(raw);
        if (len > LAYER_PATH_MAX)
                return lade_error_msg(err, ENAMETOOLONG, "archive: entry name of %zu bytes is too long",
                                      len);
        /* names reach error messages: no escape sequences for the terminal */
        for (const char *p = raw; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        return lade_error_msg(err, EINVAL, "archive: an entry name holds control characters");
        if (raw[0] == '/')
                return lade_error_msg(err, EINVAL, "archive: entry '%.*s' has an absolute path",
                                      QUOTE_MAX, raw);
        _cleanup_free_ char *out = xmalloc(len + 1);
        size_t o = 0;
        for (const char *p = raw; *p;) {
                size_t n = strcspn(p, "/");
                if (!component_append(out, &o, p, n))
                        return lade_error_msg(err, EINVAL,
                                              "archive: entry '%.*s' leaves the archive (\"..\")",
                                              QUOTE_MAX, raw);
                p += n;
                p += *p == '/';
        }
        out[o] = '\0';
        *ret = TAKE_PTR(out);
        return 0;
}

void archive_files_done(ArchiveFiles *f)
{
        for (size_t i = 0; i < f->n; i++) {
                free(f->v[i].path);
                free(f->v[i].link);
        }
        free(f->v);
        free(f->manifest_json);
        free(f->index_json);
        *f = (ArchiveFiles) { 0 };
}

static const ArchiveFile *files_find(const ArchiveFiles *f, const char *path)
{
        for (size_t i = 0; i < f->n; i++)
                if (streq(f->v[i].path, path))
                        return &f->v[i];
        return NULL;
}

int archive_files_lookup(const ArchiveFiles *f, const char *path, const char *what,
                         const ArchiveFile **ret, LadeError **err)
{
        _cleanup_free_ char *p = NULL;
        int r = archive_path_clean(path, &p, err);
        if (r < 0)
                return lade_error_wrap(err, "%s", what);
        const char *cur = p;
        for (unsigned hop = 0; hop <= ARCHIVE_MAX_LINK_HOPS; hop++) {
                const ArchiveFile *file = files_find(f, cur);
                if (!file)
                        return lade_error_msg(err, ENOENT,
                                              "archive: %s names '%.*s', which is not in the archive",
                                              what, QUOTE_MAX, cur);
                if (!file->link) {
                        *ret = file;
                        return 0;
                }
                cur = file->link;
        }
        return lade_error_msg(err, ELOOP, "archive: %s: too many levels of links at '%.*s'", what,
                              QUOTE_MAX, p);
}

char *archive_blob_path(const char *digest)
{
        const char *colon = strchr(digest, ':');
        if (!colon)
                return xasprintf("blobs/%s", digest);
        return xasprintf("blobs/%.*s/%s", (int) (colon - digest), digest, colon + 1);
}

/* A blob is found by its OCI layout name, or else as any stored file with that content (the
 * legacy docker-archive names layers "<id>/layer.tar"). */
int archive_files_blob(const ArchiveFiles *f, const char *digest, const char *what,
                       const ArchiveFile **ret, LadeError **err)
{
        _cleanup_free_ char *path = archive_blob_path(digest);
        const ArchiveFile *file = files_find(f, path);
        if (file && !file->link && streq(file->digest, digest)) {
                *ret = file;
                return 0;
        }
        for (size_t i = 0; i < f->n; i++)
                if (!f->v[i].link && streq(f->v[i].digest, digest)) {
                        *ret = &f->v[i];
                        return 0;
                }
        return lade_error_msg(err, ENOENT, "archive: %s names blob %s, which is not in the archive",
                              what, digest);
}

int archive_sniff_layer(BlobStore *b, const char *digest, const char **ret_media_type,
                        LadeError **err)
{
        _cleanup_close_ int fd = blob_store_open_blob(b, digest, err);
        if (fd < 0)
                return fd;
        unsigned char m[4] = { 0 };
        ssize_t n = read_all(fd, m, sizeof(m));
        if (n < 0)
                return lade_error(err, (int) -n, "read blob %s", digest);
        if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b)
                *ret_media_type = MEDIA_OCI_LAYER_GZIP;
        else if (n >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
                *ret_media_type = MEDIA_OCI_LAYER_ZSTD;
        else
                *ret_media_type = MEDIA_OCI_LAYER;
        return 0;
}

json_t *archive_descriptor_json(const char *media_type, const char *digest, int64_t size)
{
        json_t *d = json_object();
        json_object_set_new(d, "mediaType", json_string(media_type));
        json_object_set_new(d, "digest", json_string(digest));
        json_object_set_new(d, "size", json_integer(size));
        return d;
}

/* Key order is insertion order (jansson >= 2.8), so the same image always gets the same bytes. */
char *archive_manifest_text(json_t *config, json_t *layers)
{
        _cleanup_json_ json_t *m = json_object();
        json_object_set_new(m, "schemaVersion", json_integer(2));
        json_object_set_new(m, "mediaType", json_string(MEDIA_OCI_MANIFEST));
        json_object_set_new(m, "config", config);
        json_object_set_new(m, "layers", layers);
        return json_dump_compact(m);
}

int archive_put_manifest(BlobStore *b, json_t *config, json_t *layers, char ret_digest[static 72],
                         char **ret_json, size_t *ret_len, LadeError **err)
{
        _cleanup_free_ char *text = archive_manifest_text(config, layers);
        size_t len = strlen(text);
        int r = blob_store_put(b, text, len, ret_digest, err);
        if (r < 0)
                return lade_error_wrap(err, "store manifest");
        if (ret_len)
                *ret_len = len;
        if (ret_json)
                *ret_json = TAKE_PTR(text);
        return 0;
}

/* Pushing: every blob an image references (HEAD first, then a cross-repository mount when a
 * hint names another repository of the same registry holding it, else an upload session:
 * one monolithic PUT, or PATCH chunks of chunk_size for bigger blobs), then the manifest; for an
 * index each child manifest by digest first, then the index under the tag.
 *
 * What stays true:
 * - Blobs are streamed from their store fd (pread), never read into memory, and only blobs the
 *   store has (so verified ones) are sent, under the digest the store names them by.
 * - Upload URLs come from the registry's Location headers; credentials follow them only while
 *   they stay on the registry's origin.
 * - A manifest goes up only after every blob it references is known to be in the repository. */
#include <inttypes.h>
#include <string.h>

#include "digest.h"
#include "log.h"
#include "registry-internal.h"
#include "util.h"

#define PUSH_OCTET_STREAM "application/octet-stream"

typedef struct Push {
        RegistryClient *c;
        RegistryHost *h;
        const ImageRef *ref;
        BlobStore *store;
        char *scope;
} Push;

static int push_expect(const RegistryResponse *resp, long want, const char *what, LadeError **err)
{
        if (resp->status == want)
                return 0;
        int r = registry_http_error(resp, err);
        if (what[0])
                (void) lade_error_wrap(err, "%s", what);
        return r;
}

/* HEAD /v2/<path>/blobs/<digest>: 200 yes, 404 no, anything else is an error. */
static int push_blob_exists(RegistryClient *c, RegistryHost *h, const char *path, const char *digest,
                            bool *ret, LadeError **err)
{
        _cleanup_free_ char *url = registry_url(h, path, "blobs", digest);
        _cleanup_free_ char *scope = registry_scope(path, false);
        RegistryRequest req = { .method = "HEAD", .url = url, .follow = true };
        RegistryResponse resp = {};
        int r = registry_request(c, h, scope, &req, &resp, err);
        if (r >= 0 && resp.status != 200 && resp.status != 404)
                r = registry_http_error(&resp, err);
        if (r >= 0)
                *ret = resp.status == 200;
        registry_response_done(&resp);
        return r;
}

int registry_blob_exists(RegistryClient *c, const ImageRef *repo, const char *digest, bool *ret,
                         LadeError **err)
{
        RegistryHost *h = NULL;
        if (!image_digest_valid(digest))
                return lade_error_msg(err, EINVAL, "invalid digest '%.80s'", digest);
        int r = registry_host_get(c, repo->domain, &h, err);
        if (r >= 0)
                r = push_blob_exists(c, h, repo->path, digest, ret, err);
        if (r < 0)
                return lade_error_wrap(err, "blob %s", digest);
        return 0;
}

/* The upload session's URL from a 202's Location. */
static int push_location(const Push *p, const RegistryResponse *resp, char **ret, LadeError **err)
{
        if (!resp->location || !resp->location[0])
                return lade_error_msg(err, EPROTO, "registry answered %ld without a Location",
                                      resp->status);
        *ret = registry_url_resolve(p->h->base, resp->location);
        if (!*ret)
                return lade_error_msg(err, EPROTO, "registry sent an invalid upload Location");
        return 0;
}

/* POST .../blobs/uploads/ (with ?mount=&from= when from is set). 0: *ret_location is the
 * session; 1: the registry mounted the blob and there is nothing to upload. */
static int push_start(Push *p, const char *digest, const char *from, char **ret_location,
                      LadeError **err)
{
        _cleanup_free_ char *url = registry_url(p->h, p->ref->path, "blobs", "uploads/");
        _cleanup_free_ char *scope = NULL;
        if (from) {
                _cleanup_free_ char *with_mount = registry_url_add_query(url, "mount", digest);
                free(url);
                url = registry_url_add_query(with_mount, "from", from);
                scope = xasprintf("%s repository:%s:pull", p->scope, from);
        }
        RegistryBody none = { .fd = -EBADF };
        RegistryRequest req = { .method = "POST", .url = url, .body = &none };
        RegistryResponse resp = {};
        int r = registry_request(p->c, p->h, scope ? scope : p->scope, &req, &resp, err);
        if (r >= 0 && from && resp.status == 201)
                r = 1;
        else if (r >= 0 && resp.status == 202)
                r = push_location(p, &resp, ret_location, err);
        else if (r >= 0)
                r = push_expect(&resp, 202, "start upload", err);
        registry_response_done(&resp);
        return r;
}

/* PATCH one chunk; the session moves to the answer's Location. */
static int push_chunk(Push *p, char **location, int fd, uint64_t off, uint64_t len, LadeError **err)
{
        char range[64];
        snprintf(range, sizeof(range), "%" PRIu64 "-%" PRIu64, off, off + len - 1);
        RegistryBody body = { .fd = fd, .offset = off, .len = len };
        RegistryRequest req = {
                .method = "PATCH", .url = *location, .content_type = PUSH_OCTET_STREAM,
                .content_range = range, .body = &body,
        };
        RegistryResponse resp = {};
        _cleanup_free_ char *next = NULL;
        int r = registry_request(p->c, p->h, p->scope, &req, &resp, err);
        if (r >= 0)
                r = push_expect(&resp, 202, "upload chunk", err);
        if (r >= 0)
                r = push_location(p, &resp, &next, err);
        registry_response_done(&resp);
        if (r < 0)
                return r;
        free(*location);
        *location = TAKE_PTR(next);
        return 0;
}

/* PUT <session>?digest=: with the bytes [off, size) of fd (none after chunks). */
static int push_finish(Push *p, const char *location, const char *digest, int fd, uint64_t off,
                       uint64_t size, LadeError **err)
{
        _cleanup_free_ char *url = registry_url_add_query(location, "digest", digest);
        RegistryBody body = { .fd = fd, .offset = off, .len = size - off };
        RegistryRequest req = {
                .method = "PUT", .url = url, .content_type = PUSH_OCTET_STREAM, .body = &body,
        };
        RegistryResponse resp = {};
        int r = registry_request(p->c, p->h, p->scope, &req, &resp, err);
        if (r >= 0)
                r = push_expect(&resp, 201, "finish upload", err);
        registry_response_done(&resp);
        return r;
}

static int push_upload(Push *p, const char *digest, char *location, LadeError **err)
{
        _cleanup_free_ char *loc = location;
        _cleanup_close_ int fd = blob_store_open_blob(p->store, digest, err);
        if (fd < 0)
                return fd;
        int64_t size = blob_store_size(p->store, digest, err);
        if (size < 0)
                return (int) size;
        uint64_t off = 0;
        /* Monolithic up to one chunk; bigger blobs go in chunks, the last with the PUT. */
        while ((uint64_t) size - off > p->c->chunk_size) {
                registry_progress(p->c, digest, "Pushing", (int64_t) off, size, false);
                int r = push_chunk(p, &loc, fd, off, p->c->chunk_size, err);
                if (r < 0)
                        return r;
                off += p->c->chunk_size;
        }
        return push_finish(p, loc, digest, fd, off, (uint64_t) size, err);
}

static int push_blob(Push *p, const char *digest, LadeError **err)
{
        bool exists = false;
        _cleanup_free_ char *location = NULL;
        if (!blob_store_has(p->store, digest))
                return lade_error_msg(err, ENOENT, "not in the local store");
        int r = push_blob_exists(p->c, p->h, p->ref->path, digest, &exists, err);
        if (r < 0 || exists) {
                if (exists)
                        registry_progress(p->c, digest, "Layer already exists", -1, -1, true);
                return r;
        }
        const char *from = registry_hint_find(p->c, p->ref->domain, p->ref->path, digest);
        if (from) {
                _cleanup_(lade_error_freep) LadeError *e = NULL;
                r = push_start(p, digest, from, &location, &e);
                if (r < 0)
                        log_debug("blob %s: mount from %s failed (%s), uploading", digest, from,
                                  lade_error_message(e));
        }
        if (!from || r < 0)
                r = push_start(p, digest, NULL, &location, err);
        if (r == 1) {
                registry_progress(p->c, digest, "Mounted", -1, -1, true);
                return 0;
        }
        if (r >= 0)
                r = push_upload(p, digest, TAKE_PTR(location), err);
        if (r >= 0)
                registry_progress(p->c, digest, "Pushed", -1, -1, true);
        return r;
}

static int push_blob_named(Push *p, const char *digest, LadeError **err)
{
        int r = push_blob(p, digest, err);
        if (r < 0)
                return lade_error_wrap(err, "blob %s", digest);
        registry_hint_add(p->c, p->ref->domain, p->ref->path, digest);
        return 0;
}

static const char *push_media_type(const Manifest *m)
{
        if (m->media_type && m->media_type[0])
                return m->media_type;
        return m->kind == MANIFEST_KIND_INDEX ? MEDIA_OCI_INDEX : MEDIA_OCI_MANIFEST;
}

/* PUT /v2/<path>/manifests/<reference> with the stored bytes, exactly. */
static int push_put_manifest(Push *p, const char *data, size_t len, const Manifest *m,
                             const char *digest, const char *reference, LadeError **err)
{
        _cleanup_free_ char *url = registry_url(p->h, p->ref->path, "manifests", reference);
        RegistryBody body = { .data = data, .fd = -EBADF, .len = len };
        RegistryRequest req = {
                .method = "PUT", .url = url, .content_type = push_media_type(m), .body = &body,
        };
        RegistryResponse resp = {};
        int r = registry_request(p->c, p->h, p->scope, &req, &resp, err);
        if (r >= 0)
                r = push_expect(&resp, 201, "", err);
        if (r >= 0 && resp.docker_digest && startswith(resp.docker_digest, "sha256:") &&
            !streq(resp.docker_digest, digest))
                r = lade_error_msg(err, EBADMSG, "registry stored it as %s", resp.docker_digest);
        registry_response_done(&resp);
        if (r < 0)
                return lade_error_wrap(err, "manifest %s", reference);
        return 0;
}

static int push_load(Push *p, const char *digest, char **ret_data, size_t *ret_len,
                     Manifest **ret, LadeError **err)
{
        if (!blob_store_has(p->store, digest))
                return lade_error_msg(err, ENOENT, "manifest %s: not in the local store", digest);
        int r = blob_store_read(p->store, digest, MANIFEST_MAX_BYTES, ret_data, ret_len, err);
        if (r >= 0)
                r = manifest_parse(*ret_data, *ret_len, NULL, ret, err);
        if (r < 0)
                return lade_error_wrap(err, "manifest %s", digest);
        return 0;
}

/* An image manifest: its blobs, then itself under reference. */
static int push_image(Push *p, const char *digest, const char *reference, LadeError **err)
{
        _cleanup_free_ char *data = NULL;
        _cleanup_(manifest_freep) Manifest *m = NULL;
        size_t len = 0;
        int r = push_load(p, digest, &data, &len, &m, err);
        if (r < 0)
                return r;
        if (m->kind != MANIFEST_KIND_IMAGE)
                return lade_error_msg(err, EINVAL, "manifest %s: nested indexes are not supported",
                                      digest);
        for (size_t i = 0; i < m->n_layers; i++) {
                r = push_blob_named(p, m->layers[i].digest, err);
                if (r < 0)
                        return r;
        }
        r = push_blob_named(p, m->config.digest, err);
        if (r < 0)
                return r;
        return push_put_manifest(p, data, len, m, digest, reference, err);
}

static int push_run(Push *p, const char *digest, LadeError **err)
{
        _cleanup_free_ char *data = NULL;
        _cleanup_(manifest_freep) Manifest *m = NULL;
        size_t len = 0;
        const char *reference = p->ref->tag ? p->ref->tag : digest;
        int r = registry_host_get(p->c, p->ref->domain, &p->h, err);
        if (r >= 0)
                r = push_load(p, digest, &data, &len, &m, err);
        if (r < 0)
                return r;
        if (m->kind == MANIFEST_KIND_IMAGE)
                return push_image(p, digest, reference, err);
        for (size_t i = 0; i < m->n_manifests; i++) {
                r = push_image(p, m->manifests[i].digest, m->manifests[i].digest, err);
                if (r < 0)
                        return r;
        }
        return push_put_manifest(p, data, len, m, digest, reference, err);
}

int registry_push(RegistryClient *c, const ImageRef *ref, BlobStore *store,
                  const char *manifest_digest, LadeError **err)
{
        Push p = { .c = c, .ref = ref, .store = store, .scope = registry_scope(ref->path, true) };
        _cleanup_free_ char *name = image_ref_string(ref);
        int r = 0;
        if (!manifest_digest || !image_digest_valid(manifest_digest))
                r = lade_error_msg(err, EINVAL, "invalid manifest digest '%.80s'",
                                   manifest_digest ? manifest_digest : "");
        else if (ref->digest && !streq(ref->digest, manifest_digest))
                r = lade_error_msg(err, EINVAL, "reference names %s, not %s", ref->digest,
                                   manifest_digest);
        if (r >= 0)
                r = push_run(&p, manifest_digest, err);
        free(p.scope);
        if (r < 0)
                return lade_error_wrap(err, "push %s", name);
        return 0;
}

/* Pushing: every blob an image references, several at once (push-blobs.c: HEAD, cross-repository
 * mount, monolithic or chunked upload), then the manifest; for an index each child manifest by
 * digest first, then the index under the tag.
 *
 * What stays true:
 * - Only blobs the store has (so verified ones) are sent, under the digest the store names them
 *   by.
 * - A manifest goes up only after every blob it references is known to be in the repository;
 *   when any blob fails, no manifest is sent and that blob's error is returned. */
#include <inttypes.h>
#include <string.h>

#include "digest.h"
#include "log.h"
#include "registry-internal.h"
#include "util.h"

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
        /* Layers first, the config last, as Docker does; all of them before the manifest. */
        _cleanup_free_ const char **digests = xmalloc0((m->n_layers + 1) * sizeof(*digests));
        for (size_t i = 0; i < m->n_layers; i++)
                digests[i] = m->layers[i].digest;
        digests[m->n_layers] = m->config.digest;
        r = registry_push_blobs(p->c, p->h, p->ref, p->store, p->scope, digests, m->n_layers + 1,
                                err);
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

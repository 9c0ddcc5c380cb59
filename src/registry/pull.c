/* Pulling: the manifest a reference names (an index resolved to the platform's manifest), its
 * config and layers.
 *
 * What stays true:
 * - A manifest's digest is always computed over the exact bytes received and checked against
 *   the digest asked for (a pull by digest, an index entry) and against Docker-Content-Digest
 *   when the registry sends one. Only sha256 digests are accepted: the store names by sha256.
 * - The store sees nothing until every blob arrived and verified: layers are committed together
 *   at the end (blob-fetch.c), then the config, the manifest and the index. So after a failure
 *   the store holds no new blob, and a manifest in the store always has all of its blobs. */
#include <inttypes.h>
#include <string.h>

#include "digest.h"
#include "json-util.h"
#include "log.h"
#include "registry-internal.h"
#include "util.h"

#define PULL_ACCEPT                                                                         \
        MEDIA_OCI_MANIFEST ", " MEDIA_OCI_INDEX ", " MEDIA_DOCKER_MANIFEST ", " MEDIA_DOCKER_LIST

typedef struct PullManifest {
        char *data;
        size_t len;
        char *media_type;              /* from Content-Type, NULL when absent */
        char digest[72];
} PullManifest;

typedef struct Pull {
        RegistryClient *c;
        RegistryHost *h;
        const ImageRef *ref;
        BlobStore *store;
        const RegistryPullHooks *hooks;
        PullManifest index, image;     /* index.data is NULL when the reference named an image */
        Manifest *manifest;            /* the image manifest */
        char *config;                  /* fetched config, NULL when the store has it */
        size_t config_len;
} Pull;

static void pull_manifest_done(PullManifest *m)
{
        free(m->data);
        free(m->media_type);
        *m = (PullManifest) {};
}

static void pull_done(Pull *p)
{
        pull_manifest_done(&p->index);
        pull_manifest_done(&p->image);
        manifest_free(p->manifest);
        free(p->config);
}

static bool pull_is_sha256(const char *digest)
{
        return digest && startswith(digest, "sha256:") && image_digest_valid(digest);
}

/* "application/vnd.oci.image.index.v1+json; charset=utf-8" -> the type alone */
static char *pull_media_type(const char *content_type)
{
        if (!content_type)
                return NULL;
        size_t n = strcspn(content_type, "; \t");
        return n ? xstrndup(content_type, n) : NULL;
}

static int pull_manifest_error(const char *reference, const RegistryResponse *resp, LadeError **err)
{
        if (resp->status == 404) {
                _cleanup_free_ char *text = registry_errors_text(resp->body, resp->body_len);
                return lade_error_msg(err, ENOENT, "manifest for %s not found: %s", reference,
                                      text ? text : "manifest unknown");
        }
        int r = registry_http_error(resp, err);
        (void) lade_error_wrap(err, "manifest %s", reference);
        return r;
}

static int pull_manifest_take(const char *reference, const char *expected, RegistryResponse *resp,
                              PullManifest *ret, LadeError **err)
{
        if (resp->body_len == 0)
                return lade_error_msg(err, EPROTO, "manifest %s: registry sent an empty manifest",
                                      reference);
        _cleanup_free_ char *digest = sha256_digest_of(resp->body, resp->body_len);
        if (expected && !streq(expected, digest))
                return lade_error_msg(err, EBADMSG, "manifest %s: digest mismatch: expected %s, "
                                      "got %s", reference, expected, digest);
        /* Only a sha256 claim can be compared; the registry may use another algorithm. */
        if (pull_is_sha256(resp->docker_digest) && !streq(resp->docker_digest, digest))
                return lade_error_msg(err, EBADMSG, "manifest %s: digest mismatch: registry says "
                                      "%s, content is %s", reference, resp->docker_digest, digest);
        ret->data = TAKE_PTR(resp->body);
        ret->len = resp->body_len;
        resp->body_len = 0;
        ret->media_type = pull_media_type(resp->content_type);
        snprintf(ret->digest, sizeof(ret->digest), "%s", digest);
        return 0;
}

/* GET /v2/<path>/manifests/<reference>; expected (a digest) or NULL. */
static int pull_fetch_manifest(RegistryClient *c, RegistryHost *h, const ImageRef *ref,
                               const char *reference, const char *expected, PullManifest *ret,
                               LadeError **err)
{
        if (expected && !pull_is_sha256(expected))
                return lade_error_msg(err, EOPNOTSUPP, "manifest %s: only sha256 digests are "
                                      "supported", reference);
        _cleanup_free_ char *url = registry_url(h, ref->path, "manifests", reference);
        _cleanup_free_ char *scope = registry_scope(ref->path, false);
        RegistryRequest req = {
                .method = "GET", .url = url, .accept = PULL_ACCEPT,
                .max_body = MANIFEST_MAX_BYTES, .follow = true,
        };
        RegistryResponse resp = {};
        int r = registry_request(c, h, scope, &req, &resp, err);
        if (r >= 0 && resp.status != 200)
                r = pull_manifest_error(reference, &resp, err);
        if (r >= 0)
                r = pull_manifest_take(reference, expected, &resp, ret, err);
        registry_response_done(&resp);
        return r;
}

/* The document's own mediaType, for a registry that sent no Content-Type. */
static char *pull_document_media_type(const char *data, size_t len)
{
        _cleanup_json_ json_t *j = NULL;
        if (json_parse_text(data, len, "manifest", &j, NULL) < 0)
                return NULL;
        const char *mt = json_string_value(json_object_get(j, "mediaType"));
        return mt ? xstrdup(mt) : NULL;
}

int registry_get_manifest(RegistryClient *c, const ImageRef *ref, char **ret_data, size_t *ret_len,
                          char **ret_media_type, LadeError **err)
{
        RegistryHost *h = NULL;
        PullManifest m = {};
        const char *reference = ref->digest ? ref->digest : ref->tag;
        if (!reference)
                return lade_error_msg(err, EINVAL, "reference has neither tag nor digest");
        int r = registry_host_get(c, ref->domain, &h, err);
        if (r >= 0)
                r = pull_fetch_manifest(c, h, ref, reference, ref->digest, &m, err);
        if (r < 0)
                return r;
        if (!m.media_type)
                m.media_type = pull_document_media_type(m.data, m.len);
        *ret_data = TAKE_PTR(m.data);
        *ret_len = m.len;
        if (ret_media_type)
                *ret_media_type = TAKE_PTR(m.media_type);
        pull_manifest_done(&m);
        return 0;
}

static int pull_select(const Manifest *index, const Platform *platform, const Descriptor **ret,
                       LadeError **err)
{
        Platform host = {};
        if (!platform) {
                platform_host(&host);
                platform = &host;
        }
        int r = manifest_select_platform(index, platform, ret, err);
        platform_done(&host);
        return r;
}

/* The index's entry for platform, fetched by digest and checked against the entry's size. */
static int pull_from_index(Pull *p, Manifest *index, const Platform *platform, LadeError **err)
{
        const Descriptor *d = NULL;
        int r = pull_select(index, platform, &d, err);
        if (r < 0)
                return r;
        r = pull_fetch_manifest(p->c, p->h, p->ref, d->digest, d->digest, &p->image, err);
        if (r < 0)
                return r;
        if (d->size >= 0 && (uint64_t) d->size != p->image.len)
                return lade_error_msg(err, EBADMSG, "manifest %s: index says %" PRId64 " bytes, "
                                      "got %zu", d->digest, d->size, p->image.len);
        r = manifest_parse(p->image.data, p->image.len, p->image.media_type ? p->image.media_type
                           : d->media_type, &p->manifest, err);
        if (r < 0)
                return r;
        if (p->manifest->kind != MANIFEST_KIND_IMAGE)
                return lade_error_msg(err, EINVAL, "manifest %s: an index entry for a platform is "
                                      "not an image manifest", d->digest);
        return 0;
}

static int pull_resolve(Pull *p, const Platform *platform, LadeError **err)
{
        const char *reference = p->ref->digest ? p->ref->digest : p->ref->tag;
        PullManifest top = {};
        _cleanup_(manifest_freep) Manifest *m = NULL;
        if (!reference)
                return lade_error_msg(err, EINVAL, "reference has neither tag nor digest");
        int r = pull_fetch_manifest(p->c, p->h, p->ref, reference, p->ref->digest, &top, err);
        if (r >= 0)
                r = manifest_parse(top.data, top.len, top.media_type, &m, err);
        if (r < 0) {
                pull_manifest_done(&top);
                return r;
        }
        if (m->kind == MANIFEST_KIND_IMAGE) {
                p->image = top;
                p->manifest = TAKE_PTR(m);
                return 0;
        }
        p->index = top;
        return pull_from_index(p, m, platform, err);
}

/* A single-platform image asked for with an explicit platform must be that platform (Docker:
 * "image ... was found but does not match the specified platform"). */
static int pull_check_platform(Pull *p, const Platform *want, LadeError **err)
{
        _cleanup_free_ char *stored = NULL;
        _cleanup_(image_config_freep) ImageConfig *cfg = NULL;
        const char *data = p->config;
        size_t len = p->config_len;
        int r = 0;
        if (!data) {
                r = blob_store_read(p->store, p->manifest->config.digest, CONFIG_MAX_BYTES, &stored,
                                    &len, err);
                data = stored;
        }
        if (r >= 0)
                r = image_config_parse(data, len, &cfg, err);
        if (r < 0)
                return r;
        bool os_ok = !cfg->os || !want->os || streq(cfg->os, want->os);
        bool arch_ok = !cfg->architecture || !want->architecture ||
                       streq(cfg->architecture, want->architecture);
        if (!os_ok || !arch_ok)
                return lade_error_msg(err, ENOENT, "image was found but does not match the "
                                      "specified platform: wanted %s/%s, actual: %s/%s", want->os,
                                      want->architecture, cfg->os, cfg->architecture);
        return 0;
}

static int pull_config(Pull *p, const Platform *platform, LadeError **err)
{
        const Descriptor *d = &p->manifest->config;
        if (!pull_is_sha256(d->digest))
                return lade_error_msg(err, EOPNOTSUPP, "config %s: only sha256 digests are "
                                      "supported", d->digest);
        if (!blob_store_has(p->store, d->digest)) {
                int r = registry_fetch_blob_small(p->c, p->h, p->ref, d, CONFIG_MAX_BYTES,
                                                  &p->config, &p->config_len, err);
                if (r < 0)
                        return r;
        }
        if (platform && !p->index.data)
                return pull_check_platform(p, platform, err);
        return 0;
}

/* The image hook, with the config parsed (from memory, or the store when it had it). */
static int pull_hook_image(Pull *p, LadeError **err)
{
        if (!p->hooks || !p->hooks->image)
                return 0;
        _cleanup_free_ char *stored = NULL;
        _cleanup_(image_config_freep) ImageConfig *cfg = NULL;
        const char *data = p->config;
        size_t len = p->config_len;
        int r = 0;
        if (!data) {
                r = blob_store_read(p->store, p->manifest->config.digest, CONFIG_MAX_BYTES, &stored,
                                    &len, err);
                data = stored;
        }
        if (r >= 0)
                r = image_config_parse(data, len, &cfg, err);
        if (r < 0)
                return lade_error_wrap(err, "config %s", p->manifest->config.digest);
        return p->hooks->image(p->hooks->userdata, p->manifest, cfg, err);
}

static int pull_layers(Pull *p, LadeError **err)
{
        const Manifest *m = p->manifest;
        _cleanup_free_ const Descriptor **descs = xmalloc0((m->n_layers + 1) * sizeof(*descs));
        for (size_t i = 0; i < m->n_layers; i++) {
                if (!pull_is_sha256(m->layers[i].digest))
                        return lade_error_msg(err, EOPNOTSUPP, "blob %s: only sha256 digests are "
                                              "supported", m->layers[i].digest);
                descs[i] = &m->layers[i];
        }
        return registry_fetch_blobs(p->c, p->h, p->ref, descs, m->n_layers, p->store, p->hooks,
                                    err);
}

/* Publishes data and checks that the store named it what we verified. */
static int pull_put(BlobStore *store, const char *data, size_t len, const char *digest,
                    LadeError **err)
{
        char got[72];
        int r = blob_store_put(store, data, len, got, err);
        if (r < 0)
                return lade_error_wrap(err, "store %s", digest);
        if (!streq(got, digest))
                return lade_error_msg(err, EBADMSG, "store %s: stored as %s", digest, got);
        return 0;
}

static int pull_commit(Pull *p, PullResult *ret, LadeError **err)
{
        const Manifest *m = p->manifest;
        int r = p->config ? pull_put(p->store, p->config, p->config_len, m->config.digest, err) : 0;
        if (r >= 0)
                r = pull_put(p->store, p->image.data, p->image.len, p->image.digest, err);
        if (r >= 0 && p->index.data)
                r = pull_put(p->store, p->index.data, p->index.len, p->index.digest, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < m->n_layers; i++)
                registry_hint_add(p->c, p->ref->domain, p->ref->path, m->layers[i].digest);
        registry_hint_add(p->c, p->ref->domain, p->ref->path, m->config.digest);
        if (ret) {
                *ret = (PullResult) {};
                snprintf(ret->manifest_digest, sizeof(ret->manifest_digest), "%s", p->image.digest);
                snprintf(ret->index_digest, sizeof(ret->index_digest), "%s", p->index.digest);
                snprintf(ret->config_digest, sizeof(ret->config_digest), "%s", m->config.digest);
        }
        return 0;
}

static int pull_run(Pull *p, const Platform *platform, PullResult *ret, LadeError **err)
{
        int r = registry_host_get(p->c, p->ref->domain, &p->h, err);
        if (r < 0)
                return r;
        r = pull_resolve(p, platform, err);
        if (r < 0)
                return r;
        r = pull_config(p, platform, err);
        if (r < 0)
                return r;
        r = pull_hook_image(p, err);
        if (r < 0)
                return r;
        r = pull_layers(p, err);
        if (r < 0)
                return r;
        return pull_commit(p, ret, err);
}

int registry_pull(RegistryClient *c, const ImageRef *ref, const Platform *platform, BlobStore *store,
                  PullResult *ret, LadeError **err)
{
        return registry_pull_hooked(c, ref, platform, store, NULL, ret, err);
}

int registry_pull_hooked(RegistryClient *c, const ImageRef *ref, const Platform *platform,
                         BlobStore *store, const RegistryPullHooks *hooks, PullResult *ret,
                         LadeError **err)
{
        Pull p = { .c = c, .ref = ref, .store = store, .hooks = hooks };
        int r = pull_run(&p, platform, ret, err);
        pull_done(&p);
        if (r < 0) {
                _cleanup_free_ char *name = image_ref_string(ref);
                return lade_error_wrap(err, "pull %s", name);
        }
        return 0;
}

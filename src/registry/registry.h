/* OCI Distribution client (spec v1.1) on libcurl: ping, bearer-token and basic auth,
 * manifests, blobs (parallel, digest-verified, resumed/retried with backoff), push (HEAD to skip,
 * cross-repository mount, monolithic or chunked upload), credentials in ~/.docker/config.json.
 * Knows blobs, manifests and references; nothing of containers or the engine. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "blob-store.h"
#include "err.h"
#include "manifest.h"
#include "reference.h"

typedef struct RegistryClient RegistryClient;

/* Progress of one blob (id = digest); total < 0 when unknown. done=true once at the end. */
typedef void (*RegistryProgressFn)(void *userdata, const char *id, const char *action,
                                   int64_t current, int64_t total, bool done);

/* Credentials that come with a request (the API's X-Registry-Auth) rather than from a file. */
typedef struct RegistryCredentials {
        const char *user, *password;   /* user NULL: anonymous */
} RegistryCredentials;

typedef struct RegistryOptions {
        /* Non-NULL: these credentials only, for every host; the auth file is never read. A
         * server acting for others must not lend them its own credentials. */
        const RegistryCredentials *credentials;
        const char *auth_file;    /* NULL: $DOCKER_CONFIG/config.json, else ~/.docker/config.json */
        const char *certs_dir;    /* NULL: /etc/docker/certs.d (per host: certs.d/HOST[:PORT]/ca.crt) */
        char *const *insecure;    /* registries (host[:port]) allowed over plain HTTP / bad TLS */
        int parallel;             /* blobs fetched at once; 0 = 3 */
        RegistryProgressFn progress;
        void *userdata;
} RegistryOptions;

int registry_client_new(const RegistryOptions *o, RegistryClient **ret, LadeError **err);
RegistryClient *registry_client_free(RegistryClient *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(RegistryClient *, registry_client_free)

/* The result of a pull: everything is in the blob store when this returns 0. */
typedef struct PullResult {
        char manifest_digest[72];   /* the image manifest chosen for the platform */
        char index_digest[72];      /* the index/list it came from, "" if none */
        char config_digest[72];
} PullResult;

/* Pulls ref (tag or digest): manifest (selecting `platform` from an index, NULL = host),
 * config and every layer blob into store, skipping blobs it already has. Every byte is digest-
 * verified before it is visible in the store. */
int registry_pull(RegistryClient *c, const ImageRef *ref, const Platform *platform, BlobStore *store,
                  PullResult *ret, LadeError **err);

/* Hooks into a pull, so that layers can be unpacked while others still download. */
typedef struct RegistryPullHooks {
        /* The image manifest and its config, both verified, before any layer is fetched. */
        int (*image)(void *userdata, const Manifest *m, const ImageConfig *cfg, LadeError **err);
        /* A layer blob arrived complete and verified, not yet in the store (that waits for all
         * of them): fd reads it from offset 0 and is the callee's to close. */
        void (*layer)(void *userdata, const char *digest, int fd);
        void *userdata;
} RegistryPullHooks;

/* registry_pull() calling hooks (NULL: none) on the way. */
int registry_pull_hooked(RegistryClient *c, const ImageRef *ref, const Platform *platform,
                         BlobStore *store, const RegistryPullHooks *hooks, PullResult *ret,
                         LadeError **err);

/* Pushes the image (manifest or index) `manifest_digest` with all blobs it references from store
 * to ref (its tag, or by digest when ref has no tag). */
int registry_push(RegistryClient *c, const ImageRef *ref, BlobStore *store, const char *manifest_digest,
                  LadeError **err);

/* Low level, for tests and tools. */
int registry_get_manifest(RegistryClient *c, const ImageRef *ref, char **ret_data, size_t *ret_len,
                          char **ret_media_type, LadeError **err);
int registry_blob_exists(RegistryClient *c, const ImageRef *repo, const char *digest, bool *ret,
                         LadeError **err);

/* Checks credentials against the registry (GET /v2/ with them) and stores them in the auth file
 * in Docker's format ({"auths":{"host":{"auth":"base64(user:pass)"}}}). server NULL = docker.io. */
int registry_login(RegistryClient *c, const char *server, const char *user, const char *password,
                   LadeError **err);
/* Checks credentials against the registry as login does, without storing them. */
int registry_login_check(RegistryClient *c, const char *server, const char *user, const char *password,
                         LadeError **err);
int registry_logout(const RegistryOptions *o, const char *server, LadeError **err);

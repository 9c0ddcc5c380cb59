/* Internals shared by the files of the registry client, and its pure parsers (WWW-Authenticate
 * challenges, Docker config.json credentials, token answers), which unit tests and fuzzers use
 * directly. Nothing here is part of the contract in registry.h. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include "curl-dl.h"
#include <jansson.h>

#include "registry.h"

/* Limits on everything a registry (or a token server) controls. */
#define REGISTRY_HEADERS_MAX (64u * 1024)      /* all header lines of one response */
#define REGISTRY_TOKEN_MAX (256u * 1024)       /* a token endpoint's answer */
#define REGISTRY_ERROR_BODY_MAX (64u * 1024)   /* an error document, kept for the message */
#define REGISTRY_AUTH_FILE_MAX (4u * 1024 * 1024)
#define REGISTRY_REDIRECTS_MAX 5L
#define REGISTRY_CHALLENGES_MAX 8              /* challenges kept from one response */
#define REGISTRY_AUTH_PARAMS_MAX 32            /* auth-params of one challenge */
#define REGISTRY_AUTH_VALUE_MAX 4096           /* one auth-param value (a realm URL, a scope) */
#define REGISTRY_RETRIES 3                     /* retries of a blob after the first attempt */
#define REGISTRY_RETRY_DELAY_MS 500u           /* doubled at each retry */
#define REGISTRY_CHUNK_SIZE (UINT64_C(64) << 20) /* larger blobs are pushed in PATCH chunks */
#define REGISTRY_PARALLEL_MAX 32
#define REGISTRY_TOKEN_MIN_LIFETIME_S 60       /* Docker's floor for expires_in */

typedef enum RegistryAuthScheme {
        REGISTRY_AUTH_NONE,
        REGISTRY_AUTH_BASIC,
        REGISTRY_AUTH_BEARER,
        _REGISTRY_AUTH_MAX,
        _REGISTRY_AUTH_INVALID = -EINVAL,
} RegistryAuthScheme;

/* One challenge of a WWW-Authenticate header; scheme NONE for schemes we do not speak. */
typedef struct RegistryChallenge {
        RegistryAuthScheme scheme;
        char *realm, *service, *scope, *error;
} RegistryChallenge;

typedef struct RegistryChallenges {
        RegistryChallenge items[REGISTRY_CHALLENGES_MAX];
        size_t n;
} RegistryChallenges;

/* Parses one WWW-Authenticate value (RFC 7235: comma-separated challenges, auth-params with
 * token or quoted-string values) and appends its challenges to c. On error c keeps what it had. */
int registry_challenges_parse(RegistryChallenges *c, const char *value, size_t len, LadeError **err);
void registry_challenges_done(RegistryChallenges *c);
/* The challenge to answer: Bearer with a realm first, then Basic; NULL if none is usable. */
const RegistryChallenge *registry_challenges_pick(const RegistryChallenges *c);

/* Docker's "auth" value: base64("user:password"). */
char *registry_auth_encode(const char *user, const char *password);
int registry_auth_decode(const char *auth, char **ret_user, char **ret_password, LadeError **err);
/* The host a server name or auths key stands for: scheme and path dropped, Docker Hub's names
 * ("index.docker.io", "registry-1.docker.io", "https://index.docker.io/v1/") folded into
 * "docker.io". NULL when nothing is left. */
char *registry_auth_host(const char *server);
/* The auths key Docker writes for a server: "https://index.docker.io/v1/" for Docker Hub, else
 * the host. */
char *registry_auth_key(const char *server);
/* Finds the credentials for domain in a parsed config.json: -ENOENT (no error set) when there
 * are none. Credential helpers are not run. */
int registry_auth_config_find(const json_t *config, const char *domain, char **ret_user,
                              char **ret_password, LadeError **err);
/* Sets auths[key(server)].auth, keeping every other key; config must be an object. */
int registry_auth_config_set(json_t *config, const char *server, const char *user,
                             const char *password, LadeError **err);
/* Removes every auths entry standing for server; returns how many. */
int registry_auth_config_remove(json_t *config, const char *server);
/* A token endpoint's answer: "token" or "access_token", and expires_in (0 when absent). */
int registry_token_parse(const char *data, size_t len, char **ret_token, int64_t *ret_expires_in,
                         LadeError **err);

/* ---- client state ---- */

typedef struct RegistryToken {
        char *scope;
        char *token;
        uint64_t expires_ns;          /* monotonic */
        struct RegistryToken *next;
} RegistryToken;

typedef struct RegistryHost {
        char *domain;                 /* as in references: "docker.io", "localhost:5000" */
        char *endpoint;               /* host[:port] connected to: "registry-1.docker.io" */
        char *base;                   /* "https://endpoint" once pinged, else NULL */
        bool plain_http_ok;           /* loopback or listed insecure: may fall back to HTTP */
        bool loopback;                /* localhost, 127.0.0.0/8, ::1 */
        bool has_certs_dir;           /* certs.d/HOST[:PORT] exists */
        bool skip_verify;             /* listed insecure: TLS certificates are not checked */
        char *ca_blob;                /* system CAs + certs.d CAs, NULL without certs.d CAs */
        size_t ca_blob_len;
        char *client_cert, *client_key;
        char *user, *password;        /* NULL when we have no credentials */
        RegistryAuthScheme scheme;    /* what the ping asked for */
        char *realm, *service;
        RegistryToken *tokens;
        struct RegistryHost *next;
} RegistryHost;

/* Blobs known to exist in some repository, for cross-repository mounts. */
typedef struct RegistryMountHint {
        char *domain, *path, *digest;
        struct RegistryMountHint *next;
} RegistryMountHint;

/* Requests sent, by kind (for tests: a second push must not upload). */
typedef struct RegistryStats {
        unsigned get, head, post, put, patch, token;
} RegistryStats;

struct RegistryClient {
        char *auth_file;
        bool explicit_credentials;    /* RegistryOptions.credentials was given */
        char *cred_user, *cred_password;
        char *certs_dir;
        char **insecure;
        int parallel;
        uint64_t chunk_size;
        unsigned retry_delay_ms;
        RegistryProgressFn progress;
        void *userdata;
        CURLSH *share;                /* DNS, TLS sessions and connections of all requests */
        RegistryHost *hosts;
        RegistryMountHint *hints;
        RegistryStats stats;
};

/* For tests: smaller chunks and shorter backoff than the defaults. */
void registry_client_set_chunk_size(RegistryClient *c, uint64_t size);
void registry_client_set_retry_delay(RegistryClient *c, unsigned ms);
void registry_client_get_stats(const RegistryClient *c, RegistryStats *ret);

/* ---- HTTP (http.c) ---- */

/* A request body: in memory (data) or a range of an fd, streamed. */
typedef struct RegistryBody {
        const char *data;
        int fd;
        uint64_t offset, len;
        uint64_t pos;                 /* bytes handed to curl so far */
} RegistryBody;

typedef struct RegistryRequest {
        const char *method;           /* GET HEAD POST PUT PATCH */
        const char *url;              /* absolute */
        const char *authorization;    /* "Bearer x" / "Basic x", or NULL */
        const char *accept;
        const char *content_type;
        const char *content_range;    /* PATCH chunks: "start-end" */
        int64_t range_from;           /* > 0: "Range: bytes=N-" */
        RegistryBody *body;           /* NULL: no body */
        size_t max_body;              /* longest 2xx body kept; more fails the request */
        bool follow;                  /* follow redirects (GET/HEAD only) */
} RegistryRequest;

typedef struct RegistryResponse {
        long status;
        char reason[64];              /* the status line's reason phrase, may be "" */
        char *content_type;           /* parameters dropped */
        char *docker_digest;          /* Docker-Content-Digest */
        char *location;
        char *content_range;
        char **www_authenticate;
        size_t header_bytes;
        bool headers_too_large;
        char *body;                   /* NUL-terminated */
        size_t body_len;
        size_t max_body;
        bool body_too_large;          /* a 2xx body went over max_body */
        bool error_body_cut;          /* an error body went over REGISTRY_ERROR_BODY_MAX */
        /* Set for blob downloads: 2xx bodies go here instead of into body. */
        size_t (*sink)(void *userdata, const char *data, size_t len);
        void *sink_userdata;
} RegistryResponse;

void registry_response_done(RegistryResponse *r);
/* Configures e for req; *headers must be freed with curl_slist_free_all after the transfer. */
int registry_http_setup(RegistryClient *c, const RegistryHost *h, CURL *e,
                        const RegistryRequest *req, RegistryResponse *resp,
                        struct curl_slist **headers, char *errbuf, LadeError **err);
/* Turns a finished transfer into 0 (any HTTP status) or a transport error. */
int registry_http_result(const RegistryRequest *req, CURLcode cc, const RegistryResponse *resp,
                         const char *errbuf, LadeError **err);
/* One request on an easy handle; 0 means an HTTP answer (any status) is in resp. */
int registry_http_perform(RegistryClient *c, const RegistryHost *h, const RegistryRequest *req,
                          RegistryResponse *resp, LadeError **err);
/* An error for a non-success answer, in Docker's words ("unauthorized: authentication
 * required", "registry answered 500 Internal Server Error", the registry's own errors[]). */
int registry_http_error(const RegistryResponse *resp, LadeError **err);
/* The registry's errors[] as "code: message; ..." (NULL if none), for messages. */
char *registry_errors_text(const char *body, size_t len);
/* Resolves a Location header against base ("https://host:port"). */
char *registry_url_resolve(const char *base, const char *location);
/* url + ("?" or "&") + name=escaped(value) */
char *registry_url_add_query(const char *url, const char *name, const char *value);
/* Is url on h's registry (same scheme://host:port as base)? Only then is it sent credentials. */
bool registry_url_same_origin(const RegistryHost *h, const char *url);
void registry_stats_count(RegistryClient *c, const char *method);

/* ---- hosts, auth, requests (client.c, auth.c) ---- */

/* The auth file: o->auth_file, else $DOCKER_CONFIG/config.json, else ~/.docker/config.json;
 * NULL when there is no home to find it in. */
char *registry_auth_file_path(const RegistryOptions *o);
/* The host of domain, pinged (scheme chosen, auth challenge known) and with its credentials. */
int registry_host_get(RegistryClient *c, const char *domain, RegistryHost **ret, LadeError **err);
/* Credentials for h from the auth file (none is not an error). */
int registry_host_load_credentials(RegistryClient *c, RegistryHost *h, LadeError **err);
/* The Authorization value for scope ("repository:x:pull"), or NULL when none is needed. */
int registry_authorize(RegistryClient *c, RegistryHost *h, const char *scope, char **ret,
                       LadeError **err);
/* Forgets the token of scope, or every token when scope is NULL; returns whether one went. */
bool registry_token_drop(RegistryHost *h, const char *scope);
/* Forgets the token of scope (a 401 with it); returns whether asking again can help. */
bool registry_auth_invalidate(RegistryHost *h, const char *scope, const RegistryResponse *resp);
/* A request to h with authorization for scope, answered once more after a 401 when a fresh
 * token may help. 0 means an HTTP answer (any status) is in resp. */
int registry_request(RegistryClient *c, RegistryHost *h, const char *scope, RegistryRequest *req,
                     RegistryResponse *resp, LadeError **err);
/* "repository:path:pull" or "repository:path:pull,push" */
char *registry_scope(const char *path, bool push);
/* base + "/v2/" + path + "/" + kind + "/" + reference */
char *registry_url(const RegistryHost *h, const char *path, const char *kind, const char *reference);

void registry_hint_add(RegistryClient *c, const char *domain, const char *path, const char *digest);
/* Another repository of domain known to hold digest, or NULL. */
const char *registry_hint_find(const RegistryClient *c, const char *domain, const char *path,
                               const char *digest);
void registry_progress(RegistryClient *c, const char *id, const char *action, int64_t current,
                       int64_t total, bool done);

/* ---- blobs (blob-fetch.c) ---- */

/* Downloads every descriptor not already in store, in parallel, into uncommitted writers; only
 * when all arrived and verified are they committed, so a failure leaves the store unchanged. */
int registry_fetch_blobs(RegistryClient *c, RegistryHost *h, const ImageRef *ref,
                         const Descriptor *const *descs, size_t n, BlobStore *store,
                         const RegistryPullHooks *hooks, LadeError **err);
/* A small blob (a config) into memory, digest-verified, retried like the others. */
int registry_fetch_blob_small(RegistryClient *c, RegistryHost *h, const ImageRef *ref,
                              const Descriptor *d, size_t max, char **ret, size_t *ret_len,
                              LadeError **err);

/* ---- pushing blobs (push-blobs.c) ---- */

/* Uploads each distinct digest of digests to ref's repository, up to c->parallel at once: HEAD
 * to skip what it has, a cross-repository mount when a hint names another repository of the
 * same registry holding the blob, else an upload session (one monolithic PUT, or PATCH chunks
 * of chunk_size and a closing PUT). Every blob must be in store. The first failure stops the
 * run and is returned, naming its blob. scope: "repository:<path>:pull,push". */
int registry_push_blobs(RegistryClient *c, RegistryHost *h, const ImageRef *ref, BlobStore *store,
                        const char *scope, const char *const *digests, size_t n, LadeError **err);

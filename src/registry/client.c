/* The registry client: options, one RegistryHost per registry (endpoint, TLS material from
 * certs.d, credentials, the ping that picks https or http and learns the auth challenge), the
 * request loop that answers a 401 once, and the in-memory hints for cross-repository mounts.
 *
 * What stays true:
 * - Plain HTTP is only ever used for loopback registries (localhost, 127.0.0.0/8, ::1) and those
 *   listed in RegistryOptions.insecure (Docker's rule), and only for a registry that answered the
 *   /v2/ ping over it. Certificates are checked for every registry not listed as insecure,
 *   loopback included.
 * - The ping tries HTTPS first, then plain HTTP where allowed (as Docker does), except for a
 *   loopback registry with no certs.d/HOST directory: there plain HTTP is tried first, because
 *   a TLS server refuses a plain request at once (400) while a doomed TLS attempt costs OpenSSL's
 *   setup and the CA bundle (~50 ms). The ping carries no credentials, so nothing leaks to a
 *   plain listener, and a TLS registry is still reached over HTTPS with verification.
 * - certs.d/HOST[:PORT]/ adds CAs (*.crt) to the system ones and a client certificate
 *   (*.cert with its *.key); nothing there replaces the system CAs.
 * - Credentials are sent only to the registry's own origin (scheme, host and port of its base)
 *   and to the token realm it named.
 * A client is for one thread at a time. */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "registry-internal.h"
#include "util.h"

#define CLIENT_DEFAULT_PARALLEL 3
#define CLIENT_DEFAULT_CERTS_DIR "/etc/docker/certs.d"
#define CLIENT_SYSTEM_CA_FALLBACK "/etc/ssl/certs/ca-certificates.crt"
#define CLIENT_CA_BUNDLE_MAX (16u * 1024 * 1024)
#define CLIENT_CA_FILE_MAX (1u * 1024 * 1024)
#define CLIENT_HINTS_MAX 4096

static char *client_free_secret(char *s)
{
        if (s) {
                explicit_bzero(s, strlen(s));
                free(s);
        }
        return NULL;
}

static void client_tokens_free(RegistryToken *t)
{
        while (t) {
                RegistryToken *next = t->next;
                free(t->scope);
                client_free_secret(t->token);
                free(t);
                t = next;
        }
}

static RegistryHost *client_host_free(RegistryHost *h)
{
        if (!h)
                return NULL;
        free(h->domain);
        free(h->endpoint);
        free(h->base);
        free(h->ca_blob);
        free(h->client_cert);
        free(h->client_key);
        client_free_secret(h->user);
        client_free_secret(h->password);
        free(h->realm);
        free(h->service);
        client_tokens_free(h->tokens);
        free(h);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(RegistryHost *, client_host_free)

static int client_share_init(RegistryClient *c, LadeError **err)
{
        c->share = curl_share_init();
        if (!c->share)
                return lade_error_msg(err, ENOMEM, "cannot create a libcurl share handle");
        static const curl_lock_data shared[] = {
                CURL_LOCK_DATA_DNS, CURL_LOCK_DATA_SSL_SESSION, CURL_LOCK_DATA_CONNECT,
        };
        for (size_t i = 0; i < ELEMENTSOF(shared); i++)
                if (curl_share_setopt(c->share, CURLSHOPT_SHARE, shared[i]) != CURLSHE_OK)
                        log_debug("registry: libcurl cannot share lock data %d, ignoring",
                                  (int) shared[i]);
        return 0;
}

int registry_client_new(const RegistryOptions *o, RegistryClient **ret, LadeError **err)
{
        static const RegistryOptions defaults = {};
        if (!o)
                o = &defaults;
        if (o->parallel < 0 || o->parallel > REGISTRY_PARALLEL_MAX)
                return lade_error_msg(err, EINVAL, "parallel downloads must be 0..%d, not %d",
                                      REGISTRY_PARALLEL_MAX, o->parallel);
        /* Reference counted and thread-safe in libcurl >= 7.84. */
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return lade_error_msg(err, EIO, "cannot initialise libcurl");
        _cleanup_(registry_client_freep) RegistryClient *c = xmalloc0(sizeof(*c));
        if (o->credentials) {
                c->explicit_credentials = true;
                c->cred_user = o->credentials->user ? xstrdup(o->credentials->user) : NULL;
                c->cred_password = xstrdup(o->credentials->password ? o->credentials->password : "");
        } else
                c->auth_file = registry_auth_file_path(o);
        c->certs_dir = xstrdup(o->certs_dir ? o->certs_dir : CLIENT_DEFAULT_CERTS_DIR);
        c->insecure = o->insecure ? strv_copy(o->insecure) : NULL;
        c->parallel = o->parallel ? o->parallel : CLIENT_DEFAULT_PARALLEL;
        c->chunk_size = REGISTRY_CHUNK_SIZE;
        c->retry_delay_ms = REGISTRY_RETRY_DELAY_MS;
        c->progress = o->progress;
        c->userdata = o->userdata;
        int r = client_share_init(c, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

RegistryClient *registry_client_free(RegistryClient *c)
{
        if (!c)
                return NULL;
        for (RegistryHost *h = c->hosts, *next; h; h = next) {
                next = h->next;
                client_host_free(h);
        }
        for (RegistryMountHint *m = c->hints, *next; m; m = next) {
                next = m->next;
                free(m->domain);
                free(m->path);
                free(m->digest);
                free(m);
        }
        if (c->share)
                curl_share_cleanup(c->share);
        free(c->auth_file);
        if (c->cred_password)
                explicit_bzero(c->cred_password, strlen(c->cred_password));
        free(c->cred_user);
        free(c->cred_password);
        free(c->certs_dir);
        strv_free(c->insecure);
        free(c);
        curl_global_cleanup();
        return NULL;
}

void registry_client_set_chunk_size(RegistryClient *c, uint64_t size)
{
        c->chunk_size = size ? size : REGISTRY_CHUNK_SIZE;
}

void registry_client_set_retry_delay(RegistryClient *c, unsigned ms)
{
        c->retry_delay_ms = ms;
}

void registry_client_get_stats(const RegistryClient *c, RegistryStats *ret)
{
        *ret = c->stats;
}

/* "localhost:5000" -> "localhost", "[::1]:5000" -> "::1" */
static char *client_host_part(const char *domain)
{
        if (domain[0] == '[') {
                const char *end = strchr(domain, ']');
                return end ? xstrndup(domain + 1, (size_t) (end - domain - 1)) : xstrdup(domain);
        }
        return xstrndup(domain, strcspn(domain, ":"));
}

static bool client_is_loopback(const char *domain)
{
        _cleanup_free_ char *host = client_host_part(domain);
        struct in_addr a4;
        struct in6_addr a6;
        if (strcasecmp(host, "localhost") == 0)
                return true;
        if (inet_pton(AF_INET, host, &a4) == 1)
                return (ntohl(a4.s_addr) >> 24) == 127;
        return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

static bool client_is_insecure(const RegistryClient *c, const char *domain)
{
        _cleanup_free_ char *host = client_host_part(domain);
        for (char **i = c->insecure; i && *i; i++)
                if (strcasecmp(*i, domain) == 0 || strcasecmp(*i, host) == 0)
                        return true;
        return false;
}

static const char *client_endpoint(const char *domain)
{
        if (streq(domain, "docker.io") || streq(domain, "index.docker.io"))
                return "registry-1.docker.io";
        return domain;
}

static void client_append(char **buf, size_t *len, const char *data, size_t n)
{
        *buf = xrealloc(*buf, *len + n + 2);
        memcpy(*buf + *len, data, n);
        *len += n;
        (*buf)[(*len)++] = '\n';
        (*buf)[*len] = '\0';
}

/* The system bundle first: certs.d CAs are added to it, never instead of it. */
static void client_ca_begin(RegistryHost *h)
{
        const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
        const char *path = v && v->cainfo ? v->cainfo : CLIENT_SYSTEM_CA_FALLBACK;
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        if (read_file_at(AT_FDCWD, path, CLIENT_CA_BUNDLE_MAX, &data, &len, NULL) < 0) {
                log_debug("registry: cannot read system CA bundle '%s', ignoring", path);
                return;
        }
        client_append(&h->ca_blob, &h->ca_blob_len, data, len);
}

static int client_cert_file(RegistryHost *h, int dfd, const char *dir, const char *name,
                            LadeError **err)
{
        if (endswith(name, ".crt")) {
                _cleanup_free_ char *data = NULL;
                size_t len = 0;
                int r = read_file_at(dfd, name, CLIENT_CA_FILE_MAX, &data, &len, err);
                if (r < 0)
                        return lade_error_wrap(err, "%s", dir);
                if (!h->ca_blob)
                        client_ca_begin(h);
                client_append(&h->ca_blob, &h->ca_blob_len, data, len);
                return 0;
        }
        if (!endswith(name, ".cert") || h->client_cert)
                return 0;
        _cleanup_free_ char *key = xasprintf("%.*s.key", (int) (strlen(name) - 5), name);
        if (faccessat(dfd, key, R_OK, 0) < 0)
                return lade_error(err, errno, "%s: client certificate '%s' needs '%s'", dir, name,
                                  key);
        h->client_cert = xasprintf("%s/%s", dir, name);
        h->client_key = xasprintf("%s/%s", dir, key);
        return 0;
}

static int client_load_certs(RegistryClient *c, RegistryHost *h, LadeError **err)
{
        _cleanup_free_ char *dir = xasprintf("%s/%s", c->certs_dir, h->domain);
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 && (errno == ENOENT || errno == ENOTDIR))
                return 0;
        if (dfd < 0)
                return lade_error(err, errno, "open '%s'", dir);
        h->has_certs_dir = true;
        struct dirent **names = NULL;
        int n = scandirat(dfd, ".", &names, NULL, alphasort);
        if (n < 0)
                return lade_error(err, errno, "read '%s'", dir);
        int r = 0;
        for (int i = 0; i < n; i++) {
                if (r >= 0 && names[i]->d_name[0] != '.')
                        r = client_cert_file(h, dfd, dir, names[i]->d_name, err);
                free(names[i]);
        }
        free(names);
        return r;
}

static int client_host_new(RegistryClient *c, const char *domain, RegistryHost **ret,
                           LadeError **err)
{
        _cleanup_(client_host_freep) RegistryHost *h = xmalloc0(sizeof(*h));
        h->domain = xstrdup(domain);
        h->endpoint = xstrdup(client_endpoint(domain));
        h->skip_verify = client_is_insecure(c, domain);
        h->loopback = client_is_loopback(domain);
        h->plain_http_ok = h->skip_verify || h->loopback;
        int r = client_load_certs(c, h, err);
        if (r < 0)
                return r;
        r = registry_host_load_credentials(c, h, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(h);
        return 0;
}

static void client_adopt_challenge(RegistryHost *h, const RegistryResponse *resp)
{
        RegistryChallenges ch = {};
        for (char **v = resp->www_authenticate; v && *v; v++)
                if (registry_challenges_parse(&ch, *v, strlen(*v), NULL) < 0)
                        log_debug("registry %s: unparsable WWW-Authenticate, ignoring", h->domain);
        const RegistryChallenge *pick = registry_challenges_pick(&ch);
        if (pick) {
                h->scheme = pick->scheme;
                free(h->realm);
                free(h->service);
                h->realm = pick->realm ? xstrdup(pick->realm) : NULL;
                h->service = pick->service ? xstrdup(pick->service) : NULL;
        }
        registry_challenges_done(&ch);
}

bool registry_token_drop(RegistryHost *h, const char *scope)
{
        bool dropped = false;
        for (RegistryToken **t = &h->tokens; *t;) {
                if (scope && !streq((*t)->scope, scope)) {
                        t = &(*t)->next;
                        continue;
                }
                RegistryToken *dead = *t;
                *t = dead->next;
                dead->next = NULL;
                client_tokens_free(dead);
                dropped = true;
        }
        return dropped;
}

bool registry_auth_invalidate(RegistryHost *h, const char *scope, const RegistryResponse *resp)
{
        if (h->scheme == REGISTRY_AUTH_NONE) {
                client_adopt_challenge(h, resp);
                return h->scheme != REGISTRY_AUTH_NONE;
        }
        return h->scheme == REGISTRY_AUTH_BEARER && registry_token_drop(h, scope ? scope : "");
}

/* One GET /v2/ over base; 0 with h->base set when it answered as a registry. */
static int client_ping_base(RegistryClient *c, RegistryHost *h, const char *base, LadeError **err)
{
        _cleanup_free_ char *url = xasprintf("%s/v2/", base);
        RegistryRequest req = { .method = "GET", .url = url };
        RegistryResponse resp = {};
        int r = registry_http_perform(c, h, &req, &resp, err);
        if (r >= 0 && resp.status != 200 && resp.status != 401) {
                r = registry_http_error(&resp, err);
                (void) lade_error_wrap(err, "GET %s", url);
        }
        if (r >= 0) {
                h->base = xstrdup(base);
                if (resp.status == 401)
                        client_adopt_challenge(h, &resp);
        }
        registry_response_done(&resp);
        return r;
}

/* HTTPS first, plain HTTP only where allowed; plain first for a loopback registry without
 * certs.d (see the top of the file). When both fail, both reasons are told, HTTPS's first. */
static int client_ping(RegistryClient *c, RegistryHost *h, LadeError **err)
{
        _cleanup_free_ char *https = xasprintf("https://%s", h->endpoint);
        _cleanup_free_ char *http = xasprintf("http://%s", h->endpoint);
        _cleanup_(lade_error_freep) LadeError *tls = NULL, *plain = NULL;
        bool plain_first = h->loopback && !h->has_certs_dir;
        if (plain_first && client_ping_base(c, h, http, &plain) >= 0) {
                log_debug("registry %s: speaking plain HTTP", h->domain);
                return 0;
        }
        int r = client_ping_base(c, h, https, &tls);
        if (r >= 0 || !h->plain_http_ok)
                return r < 0 ? lade_error_msg(err, -r, "%s", lade_error_message(tls)) : 0;
        if (!plain_first && client_ping_base(c, h, http, &plain) >= 0) {
                log_debug("registry %s: speaking plain HTTP", h->domain);
                return 0;
        }
        return lade_error_msg(err, -r, "%s (and over plain HTTP: %s)", lade_error_message(tls),
                              lade_error_message(plain));
}

int registry_host_get(RegistryClient *c, const char *domain, RegistryHost **ret, LadeError **err)
{
        if (!domain || !*domain)
                return lade_error_msg(err, EINVAL, "reference has no registry");
        RegistryHost *h = c->hosts;
        while (h && !streq(h->domain, domain))
                h = h->next;
        if (!h) {
                int r = client_host_new(c, domain, &h, err);
                if (r < 0)
                        return r;
                h->next = c->hosts;
                c->hosts = h;
        }
        if (!h->base) {
                int r = client_ping(c, h, err);
                if (r < 0)
                        return r;
        }
        *ret = h;
        return 0;
}

int registry_request(RegistryClient *c, RegistryHost *h, const char *scope, RegistryRequest *req,
                     RegistryResponse *resp, LadeError **err)
{
        for (int round = 0;; round++) {
                _cleanup_free_ char *auth = NULL;
                if (registry_url_same_origin(h, req->url)) {
                        int r = registry_authorize(c, h, scope, &auth, err);
                        if (r < 0)
                                return r;
                }
                if (req->body)
                        req->body->pos = 0;
                registry_response_done(resp);
                resp->status = 0;
                req->authorization = auth;
                int r = registry_http_perform(c, h, req, resp, err);
                req->authorization = NULL;
                if (auth)
                        explicit_bzero(auth, strlen(auth));
                if (r < 0)
                        return r;
                /* One more round only when a fresh token (or a challenge we had not seen) may
                 * change the answer; wrong basic credentials stay wrong. */
                if (resp->status != 401 || round > 0 || !registry_auth_invalidate(h, scope, resp))
                        return 0;
        }
}

char *registry_scope(const char *path, bool push)
{
        return xasprintf("repository:%s:%s", path, push ? "pull,push" : "pull");
}

char *registry_url(const RegistryHost *h, const char *path, const char *kind, const char *reference)
{
        return xasprintf("%s/v2/%s/%s/%s", h->base, path, kind, reference ? reference : "");
}

void registry_hint_add(RegistryClient *c, const char *domain, const char *path, const char *digest)
{
        size_t n = 0;
        for (RegistryMountHint *m = c->hints; m; m = m->next, n++)
                if (streq(m->domain, domain) && streq(m->path, path) && streq(m->digest, digest))
                        return;
        if (n >= CLIENT_HINTS_MAX)
                return;
        RegistryMountHint *m = xmalloc0(sizeof(*m));
        m->domain = xstrdup(domain);
        m->path = xstrdup(path);
        m->digest = xstrdup(digest);
        m->next = c->hints;
        c->hints = m;
}

const char *registry_hint_find(const RegistryClient *c, const char *domain, const char *path,
                               const char *digest)
{
        for (RegistryMountHint *m = c->hints; m; m = m->next)
                if (streq(m->domain, domain) && !streq(m->path, path) && streq(m->digest, digest))
                        return m->path;
        return NULL;
}

void registry_progress(RegistryClient *c, const char *id, const char *action, int64_t current,
                       int64_t total, bool done)
{
        if (c->progress)
                c->progress(c->userdata, id, action, current, total, done);
}

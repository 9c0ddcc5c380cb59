/* Authentication of the registry client: credentials from the Docker auth file, bearer tokens
 * fetched from the realm a registry names (cached per scope until shortly before they expire),
 * basic auth, and login/logout, which edit the auth file.
 *
 * What stays true:
 * - Secrets (passwords, tokens, the Authorization value) are never logged nor put in an error
 *   message, and are wiped before their memory is freed.
 * - Credentials go to a realm over plain HTTP only when the registry itself speaks plain HTTP.
 * - The auth file is only ever replaced whole (temp file + rename, mode 0600, directories made
 *   0700), keeping every key we do not own; a symlinked auth file is written through. */
#include <limits.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "json-util.h"
#include "log.h"
#include "registry-internal.h"
#include "util.h"

#define AUTH_TOKEN_MARGIN_NS (10ull * 1000000000ull)   /* renew this long before expiry */

char *registry_auth_file_path(const RegistryOptions *o)
{
        if (o && o->auth_file)
                return xstrdup(o->auth_file);
        const char *dir = getenv("DOCKER_CONFIG");
        if (dir && *dir)
                return xasprintf("%s/config.json", dir);
        const char *home = getenv("HOME");
        if (home && *home)
                return xasprintf("%s/.docker/config.json", home);
        return NULL;
}

/* The parsed auth file, or an empty object when there is none yet. */
static int auth_file_load(const char *path, json_t **ret, LadeError **err)
{
        _cleanup_(lade_error_freep) LadeError *e = NULL;
        json_t *j = NULL;
        int r = json_load_path(path, REGISTRY_AUTH_FILE_MAX, &j, &e);
        if (r == -ENOENT) {
                *ret = json_object();
                return 0;
        }
        if (r < 0)
                return lade_error_msg(err, -r, "auth file: %s", lade_error_message(e));
        if (!json_is_object(j)) {
                json_decref(j);
                return lade_error_msg(err, EINVAL, "auth file '%s': not a JSON object", path);
        }
        *ret = j;
        return 0;
}

static int auth_file_save(const char *path, const json_t *config, LadeError **err)
{
        char resolved[PATH_MAX];
        struct stat st;
        /* Write through a symlinked config (dotfile managers); rename would replace the link. */
        if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && realpath(path, resolved))
                path = resolved;
        _cleanup_free_ char *copy = xstrdup(path);
        const char *dir = dirname(copy);
        int r = mkdir_p(dir, 0700);
        if (r < 0)
                return lade_error(err, -r, "create '%s'", dir);
        _cleanup_free_ char *data = json_dumps(config, JSON_INDENT(8));
        if (!data)
                return lade_error_msg(err, ENOMEM, "serialise auth file");
        size_t len = strlen(data);
        data = xrealloc(data, len + 2);
        memcpy(data + len, "\n", 2);
        r = write_file_atomic_at(AT_FDCWD, path, data, len + 1, 0600, err);
        explicit_bzero(data, len);
        return r;
}

int registry_host_load_credentials(RegistryClient *c, RegistryHost *h, LadeError **err)
{
        _cleanup_json_ json_t *config = NULL;
        _cleanup_free_ char *user = NULL, *password = NULL;
        if (c->explicit_credentials) {
                if (c->cred_user) {
                        h->user = xstrdup(c->cred_user);
                        h->password = xstrdup(c->cred_password);
                }
                return 0;
        }
        if (!c->auth_file)
                return 0;
        int r = auth_file_load(c->auth_file, &config, err);
        if (r < 0)
                return r;
        r = registry_auth_config_find(config, h->domain, &user, &password, err);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return lade_error_wrap(err, "auth file '%s'", c->auth_file);
        log_debug("registry %s: using credentials of user %s", h->domain, user);
        h->user = TAKE_PTR(user);
        h->password = TAKE_PTR(password);
        return 0;
}

static const RegistryToken *auth_token_find(const RegistryHost *h, const char *scope)
{
        uint64_t now = now_ns();
        for (const RegistryToken *t = h->tokens; t; t = t->next)
                if (streq(t->scope, scope) && t->expires_ns > now)
                        return t;
        return NULL;
}

static const RegistryToken *auth_token_store(RegistryHost *h, const char *scope, char *token,
                                             int64_t expires_in)
{
        (void) registry_token_drop(h, scope);
        if (expires_in < REGISTRY_TOKEN_MIN_LIFETIME_S)
                expires_in = REGISTRY_TOKEN_MIN_LIFETIME_S;
        RegistryToken *t = xmalloc0(sizeof(*t));
        t->scope = xstrdup(scope);
        t->token = token;
        t->expires_ns = now_ns() + (uint64_t) expires_in * 1000000000ull - AUTH_TOKEN_MARGIN_NS;
        t->next = h->tokens;
        h->tokens = t;
        return t;
}

static int auth_token_url(const RegistryHost *h, const char *scope, char **ret, LadeError **err)
{
        bool plain = startswith(h->base, "http://");
        if (!startswith(h->realm, "https://") && !(plain && startswith(h->realm, "http://")))
                return lade_error_msg(err, EPROTO, "registry %s: token realm must be an https URL",
                                      h->domain);
        _cleanup_free_ char *url = xstrdup(h->realm);
        if (h->service) {
                char *next = registry_url_add_query(url, "service", h->service);
                free(url);
                url = next;
        }
        _cleanup_free_ char *scopes = xstrdup(scope);
        char *save = NULL;
        for (char *s = strtok_r(scopes, " ", &save); s; s = strtok_r(NULL, " ", &save)) {
                char *next = registry_url_add_query(url, "scope", s);
                free(url);
                url = next;
        }
        if (h->user) {
                char *next = registry_url_add_query(url, "account", h->user);
                free(url);
                url = next;
        }
        *ret = TAKE_PTR(url);
        return 0;
}

static int auth_token_error(const RegistryHost *h, const RegistryResponse *resp, LadeError **err)
{
        if (resp->status != 401 && resp->status != 403)
                return registry_http_error(resp, err);
        _cleanup_free_ char *text = registry_errors_text(resp->body, resp->body_len);
        return lade_error_msg(err, EACCES, "%s",
                              text ? text
                              : h->user ? "unauthorized: incorrect username or password"
                                        : "unauthorized: authentication required");
}

static int auth_fetch_token(RegistryClient *c, RegistryHost *h, const char *scope,
                            const RegistryToken **ret, LadeError **err)
{
        _cleanup_free_ char *url = NULL, *basic = NULL, *token = NULL;
        int r = auth_token_url(h, scope, &url, err);
        if (r < 0)
                return r;
        if (h->user) {
                _cleanup_free_ char *enc = registry_auth_encode(h->user, h->password);
                basic = xasprintf("Basic %s", enc);
                explicit_bzero(enc, strlen(enc));
        }
        RegistryRequest req = {
                .method = "GET", .url = url, .authorization = basic,
                .max_body = REGISTRY_TOKEN_MAX, .follow = true,
        };
        RegistryResponse resp = {};
        int64_t expires_in = 0;
        c->stats.token++;
        r = registry_http_perform(c, h, &req, &resp, err);
        if (r >= 0 && resp.status != 200)
                r = auth_token_error(h, &resp, err);
        if (r >= 0)
                r = registry_token_parse(resp.body, resp.body_len, &token, &expires_in, err);
        if (resp.body)
                explicit_bzero(resp.body, resp.body_len);
        registry_response_done(&resp);
        if (basic)
                explicit_bzero(basic, strlen(basic));
        if (r < 0)
                return lade_error_wrap(err, "get token for %s", scope[0] ? scope : h->domain);
        *ret = auth_token_store(h, scope, TAKE_PTR(token), expires_in);
        return 0;
}

int registry_authorize(RegistryClient *c, RegistryHost *h, const char *scope, char **ret,
                       LadeError **err)
{
        if (!scope)
                scope = "";
        if (h->scheme == REGISTRY_AUTH_BASIC && h->user) {
                _cleanup_free_ char *enc = registry_auth_encode(h->user, h->password);
                *ret = xasprintf("Basic %s", enc);
                explicit_bzero(enc, strlen(enc));
                return 0;
        }
        if (h->scheme != REGISTRY_AUTH_BEARER) {
                *ret = NULL;
                return 0;
        }
        const RegistryToken *t = auth_token_find(h, scope);
        if (!t) {
                int r = auth_fetch_token(c, h, scope, &t, err);
                if (r < 0)
                        return r;
        }
        *ret = xasprintf("Bearer %s", t->token);
        return 0;
}

/* GET /v2/ with the credentials: basic directly, bearer through a token without scope. */
static int auth_check(RegistryClient *c, RegistryHost *h, LadeError **err)
{
        if (h->scheme == REGISTRY_AUTH_NONE)
                return 0;
        _cleanup_free_ char *url = xasprintf("%s/v2/", h->base);
        RegistryRequest req = { .method = "GET", .url = url };
        RegistryResponse resp = {};
        int r = registry_request(c, h, NULL, &req, &resp, err);
        if (r >= 0 && resp.status == 401)
                r = lade_error_msg(err, EACCES, "login attempt to %s failed with status: 401 %s",
                                   url, resp.reason[0] ? resp.reason : "Unauthorized");
        else if (r >= 0 && resp.status != 200)
                r = registry_http_error(&resp, err);
        registry_response_done(&resp);
        return r;
}

static void auth_set_credentials(RegistryHost *h, char *user, char *password)
{
        if (h->user)
                explicit_bzero(h->user, strlen(h->user));
        if (h->password)
                explicit_bzero(h->password, strlen(h->password));
        free(h->user);
        free(h->password);
        h->user = user;
        h->password = password;
}

static int auth_login_verify(RegistryClient *c, const char *domain, const char *user,
                             const char *password, LadeError **err)
{
        RegistryHost *h = NULL;
        int r = registry_host_get(c, domain, &h, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *old_user = h->user ? xstrdup(h->user) : NULL;
        _cleanup_free_ char *old_password = h->password ? xstrdup(h->password) : NULL;
        /* Tokens of the old identity must not answer for the new one. */
        (void) registry_token_drop(h, NULL);
        auth_set_credentials(h, xstrdup(user), xstrdup(password));
        r = auth_check(c, h, err);
        if (r < 0) {
                auth_set_credentials(h, TAKE_PTR(old_user), TAKE_PTR(old_password));
                (void) registry_token_drop(h, NULL);
        } else if (old_password)
                explicit_bzero(old_password, strlen(old_password));
        return r;
}

int registry_login(RegistryClient *c, const char *server, const char *user, const char *password,
                   LadeError **err)
{
        _cleanup_free_ char *domain = registry_auth_host(server);
        _cleanup_json_ json_t *config = NULL;
        if (!domain)
                return lade_error_msg(err, EINVAL, "login: invalid registry server '%s'", server);
        if (!user || !*user || strchr(user, ':') || !password)
                return lade_error_msg(err, EINVAL, "login %s: user name must be non-empty and "
                                      "without ':', and a password is needed", domain);
        if (!c->auth_file)
                return lade_error_msg(err, ENOENT, "login %s: no auth file (HOME is not set)",
                                      domain);
        int r = auth_login_verify(c, domain, user, password, err);
        if (r >= 0)
                r = auth_file_load(c->auth_file, &config, err);
        if (r >= 0)
                r = registry_auth_config_set(config, domain, user, password, err);
        if (r >= 0)
                r = auth_file_save(c->auth_file, config, err);
        if (r < 0)
                return lade_error_wrap(err, "login %s", domain);
        return 0;
}

int registry_login_check(RegistryClient *c, const char *server, const char *user, const char *password,
                         LadeError **err)
{
        _cleanup_free_ char *domain = registry_auth_host(server);
        if (!domain)
                return lade_error_msg(err, EINVAL, "login: invalid registry server '%s'", server);
        if (!user || !*user || strchr(user, ':') || !password)
                return lade_error_msg(err, EINVAL, "login %s: user name must be non-empty and "
                                      "without ':', and a password is needed", domain);
        int r = auth_login_verify(c, domain, user, password, err);
        return r < 0 ? lade_error_wrap(err, "login %s", domain) : 0;
}

int registry_logout(const RegistryOptions *o, const char *server, LadeError **err)
{
        _cleanup_free_ char *path = registry_auth_file_path(o);
        _cleanup_free_ char *domain = registry_auth_host(server);
        _cleanup_json_ json_t *config = NULL;
        if (!domain)
                return lade_error_msg(err, EINVAL, "logout: invalid registry server '%s'", server);
        if (!path)
                return lade_error_msg(err, ENOENT, "not logged in to %s", domain);
        int r = auth_file_load(path, &config, err);
        if (r < 0)
                return lade_error_wrap(err, "logout %s", domain);
        if (registry_auth_config_remove(config, domain) == 0)
                return lade_error_msg(err, ENOENT, "not logged in to %s", domain);
        r = auth_file_save(path, config, err);
        if (r < 0)
                return lade_error_wrap(err, "logout %s", domain);
        return 0;
}

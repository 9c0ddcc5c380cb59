/* Pure parsers of the registry client: WWW-Authenticate challenges (RFC 7235), Docker's
 * config.json credentials and token endpoint answers. No I/O, nothing logged above debug.
 *
 * Every input here comes from a server or from a file another program wrote, so everything is
 * bounded (REGISTRY_CHALLENGES_MAX challenges, REGISTRY_AUTH_PARAMS_MAX params each, values of
 * REGISTRY_AUTH_VALUE_MAX bytes) and nothing secret (passwords, tokens, the auth string) is ever
 * quoted in an error message. Tokens end up in a request header, so they must be visible ASCII:
 * a CR or LF in one would let a token server inject headers. */
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "json-util.h"
#include "log.h"
#include "registry-internal.h"
#include "util.h"

#define AUTH_STRING_MAX (64u * 1024)
#define AUTH_DOCKER_HUB "docker.io"
#define AUTH_DOCKER_HUB_KEY "https://index.docker.io/v1/"

typedef struct AuthLexer {
        const char *p, *end;
} AuthLexer;

static bool auth_is_tchar(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

static void auth_skip_ows(AuthLexer *l)
{
        while (l->p < l->end && (*l->p == ' ' || *l->p == '\t'))
                l->p++;
}

static size_t auth_token(AuthLexer *l, const char **ret)
{
        const char *start = l->p;
        while (l->p < l->end && auth_is_tchar(*l->p))
                l->p++;
        *ret = start;
        return (size_t) (l->p - start);
}

static int auth_syntax(LadeError **err, const char *what)
{
        return lade_error_msg(err, EINVAL, "invalid WWW-Authenticate header: %s", what);
}

/* quoted-string after the opening quote: backslash escapes the next character. */
static int auth_quoted(AuthLexer *l, char **ret, LadeError **err)
{
        _cleanup_free_ char *out = xmalloc((size_t) (l->end - l->p) + 1);
        size_t n = 0;
        while (l->p < l->end && *l->p != '"') {
                if (*l->p == '\\' && l->p + 1 < l->end)
                        l->p++;
                unsigned char c = (unsigned char) *l->p++;
                if ((c < 0x20 && c != '\t') || c == 0x7f)
                        return auth_syntax(err, "control character in a quoted string");
                out[n++] = (char) c;
                if (n > REGISTRY_AUTH_VALUE_MAX)
                        return auth_syntax(err, "parameter value too long");
        }
        if (l->p >= l->end)
                return auth_syntax(err, "unterminated quoted string");
        l->p++;
        out[n] = '\0';
        *ret = TAKE_PTR(out);
        return 0;
}

/* A token value; leniently anything visible but ',' and '"', as servers send unquoted URLs and
 * scopes ("repository:x:pull") that are not RFC tokens. */
static int auth_bare(AuthLexer *l, char **ret, LadeError **err)
{
        const char *start = l->p;
        while (l->p < l->end && *l->p > 0x20 && *l->p < 0x7f && *l->p != ',' && *l->p != '"')
                l->p++;
        size_t n = (size_t) (l->p - start);
        if (n == 0)
                return auth_syntax(err, "missing parameter value");
        if (n > REGISTRY_AUTH_VALUE_MAX)
                return auth_syntax(err, "parameter value too long");
        *ret = xstrndup(start, n);
        return 0;
}

static char **auth_param_slot(RegistryChallenge *ch, const char *name, size_t n)
{
        static const struct {
                const char *name;
                size_t offset;
        } known[] = {
                { "realm", offsetof(RegistryChallenge, realm) },
                { "service", offsetof(RegistryChallenge, service) },
                { "scope", offsetof(RegistryChallenge, scope) },
                { "error", offsetof(RegistryChallenge, error) },
        };
        for (size_t i = 0; i < ELEMENTSOF(known); i++)
                if (strlen(known[i].name) == n && strncasecmp(known[i].name, name, n) == 0)
                        return (char **) ((char *) ch + known[i].offset);
        return NULL;
}

/* name=value; stores the parameters we use (the first of duplicates), skips the others. */
static int auth_param(AuthLexer *l, RegistryChallenge *ch, const char *name, size_t n,
                      LadeError **err)
{
        _cleanup_free_ char *value = NULL;
        int r;
        auth_skip_ows(l);
        if (l->p < l->end && *l->p == '"') {
                l->p++;
                r = auth_quoted(l, &value, err);
        } else
                r = auth_bare(l, &value, err);
        if (r < 0)
                return r;
        char **slot = auth_param_slot(ch, name, n);
        if (slot && !*slot)
                *slot = TAKE_PTR(value);
        return 0;
}

/* After "name=": is this a token68 ("abc==") rather than a parameter? Only its '=' padding
 * can follow, then the end of the challenge. */
static bool auth_is_token68_end(const AuthLexer *l)
{
        const char *p = l->p;
        while (p < l->end && *p == '=')
                p++;
        while (p < l->end && (*p == ' ' || *p == '\t'))
                p++;
        return p >= l->end || *p == ',';
}

/* The auth-params of one challenge. Stops (position unchanged) at a token not followed by '=',
 * which is the next challenge's scheme. */
static int auth_params(AuthLexer *l, RegistryChallenge *ch, LadeError **err)
{
        for (unsigned count = 0;; count++) {
                /* Empty list elements (",,") are allowed by RFC 7230's #rule. */
                while (l->p < l->end && (*l->p == ',' || *l->p == ' ' || *l->p == '\t'))
                        l->p++;
                const char *save = l->p, *name;
                size_t n = auth_token(l, &name);
                auth_skip_ows(l);
                if (n == 0 || l->p >= l->end || *l->p != '=') {
                        l->p = save;
                        return 0;
                }
                if (count >= REGISTRY_AUTH_PARAMS_MAX)
                        return auth_syntax(err, "too many parameters");
                l->p++;
                /* token68 is only ever the whole of a challenge's parameters. */
                if (count == 0 && auth_is_token68_end(l)) {
                        while (l->p < l->end && *l->p == '=')
                                l->p++;
                } else {
                        int r = auth_param(l, ch, name, n, err);
                        if (r < 0)
                                return r;
                }
                auth_skip_ows(l);
                if (l->p >= l->end)
                        return 0;
                if (*l->p != ',')
                        return auth_syntax(err, "expected ',' between parameters");
                l->p++;
        }
}

static RegistryAuthScheme auth_scheme(const char *s, size_t n)
{
        if (n == 5 && strncasecmp(s, "basic", n) == 0)
                return REGISTRY_AUTH_BASIC;
        if (n == 6 && strncasecmp(s, "bearer", n) == 0)
                return REGISTRY_AUTH_BEARER;
        return REGISTRY_AUTH_NONE;
}

static void auth_challenge_done(RegistryChallenge *ch)
{
        free(ch->realm);
        free(ch->service);
        free(ch->scope);
        free(ch->error);
        *ch = (RegistryChallenge) {};
}

static int auth_challenges_parse(RegistryChallenges *c, AuthLexer *l, LadeError **err)
{
        for (;;) {
                while (l->p < l->end && (*l->p == ',' || *l->p == ' ' || *l->p == '\t'))
                        l->p++;
                if (l->p >= l->end)
                        return 0;
                const char *scheme;
                size_t n = auth_token(l, &scheme);
                if (n == 0)
                        return auth_syntax(err, "invalid character in auth scheme");
                if (c->n >= REGISTRY_CHALLENGES_MAX)
                        return auth_syntax(err, "too many challenges");
                RegistryChallenge *ch = &c->items[c->n++];
                ch->scheme = auth_scheme(scheme, n);
                if (l->p < l->end && *l->p != ' ' && *l->p != '\t' && *l->p != ',')
                        return auth_syntax(err, "invalid character in auth scheme");
                int r = auth_params(l, ch, err);
                if (r < 0)
                        return r;
        }
}

int registry_challenges_parse(RegistryChallenges *c, const char *value, size_t len, LadeError **err)
{
        AuthLexer l = { value, value + len };
        size_t before = c->n;
        int r = auth_challenges_parse(c, &l, err);
        if (r < 0)
                while (c->n > before)
                        auth_challenge_done(&c->items[--c->n]);
        return r;
}

void registry_challenges_done(RegistryChallenges *c)
{
        while (c->n > 0)
                auth_challenge_done(&c->items[--c->n]);
}

const RegistryChallenge *registry_challenges_pick(const RegistryChallenges *c)
{
        for (size_t i = 0; i < c->n; i++)
                if (c->items[i].scheme == REGISTRY_AUTH_BEARER && c->items[i].realm &&
                    c->items[i].realm[0])
                        return &c->items[i];
        for (size_t i = 0; i < c->n; i++)
                if (c->items[i].scheme == REGISTRY_AUTH_BASIC)
                        return &c->items[i];
        return NULL;
}

char *registry_auth_encode(const char *user, const char *password)
{
        _cleanup_free_ char *plain = xasprintf("%s:%s", user, password);
        size_t n = strlen(plain);
        char *out = xmalloc(4 * ((n + 2) / 3) + 1);
        (void) EVP_EncodeBlock((unsigned char *) out, (const unsigned char *) plain, (int) n);
        explicit_bzero(plain, n);
        return out;
}

static int auth_base64_decode(const char *in, char **ret, size_t *ret_len)
{
        size_t n = strlen(in);
        if (n == 0 || n % 4 != 0 || n > AUTH_STRING_MAX)
                return -EINVAL;
        _cleanup_free_ char *out = xmalloc(n / 4 * 3 + 1);
        int k = EVP_DecodeBlock((unsigned char *) out, (const unsigned char *) in, (int) n);
        if (k < 0)
                return -EINVAL;
        /* EVP_DecodeBlock counts the padding as zero bytes. */
        for (size_t pad = 0; pad < 2 && in[n - 1 - pad] == '='; pad++)
                k--;
        out[k] = '\0';
        *ret = TAKE_PTR(out);
        *ret_len = (size_t) k;
        return 0;
}

int registry_auth_decode(const char *auth, char **ret_user, char **ret_password, LadeError **err)
{
        _cleanup_free_ char *plain = NULL;
        size_t n = 0;
        if (!auth || auth_base64_decode(auth, &plain, &n) < 0)
                return lade_error_msg(err, EINVAL, "invalid auth value: not base64");
        char *colon = memchr(plain, ':', n);
        int r = 0;
        if (memchr(plain, '\0', n))
                r = lade_error_msg(err, EINVAL, "invalid auth value: NUL byte in credentials");
        else if (!colon || colon == plain)
                r = lade_error_msg(err, EINVAL, "invalid auth value: want base64 of user:password");
        if (r == 0) {
                *colon = '\0';
                *ret_user = xstrdup(plain);
                *ret_password = xstrdup(colon + 1);
        }
        explicit_bzero(plain, n);
        return r;
}

char *registry_auth_host(const char *server)
{
        if (!server)
                return xstrdup(AUTH_DOCKER_HUB);
        if (strncasecmp(server, "https://", 8) == 0)
                server += 8;
        else if (strncasecmp(server, "http://", 7) == 0)
                server += 7;
        size_t n = strcspn(server, "/");
        if (n == 0)
                return NULL;
        char *host = xstrndup(server, n);
        if (strcasecmp(host, "index.docker.io") == 0 ||
            strcasecmp(host, "registry-1.docker.io") == 0 || strcasecmp(host, AUTH_DOCKER_HUB) == 0) {
                free(host);
                return xstrdup(AUTH_DOCKER_HUB);
        }
        return host;
}

char *registry_auth_key(const char *server)
{
        char *host = registry_auth_host(server);
        if (host && streq(host, AUTH_DOCKER_HUB)) {
                free(host);
                return xstrdup(AUTH_DOCKER_HUB_KEY);
        }
        return host;
}

static bool auth_key_matches(const char *key, const char *host)
{
        _cleanup_free_ char *h = registry_auth_host(key);
        return h && strcasecmp(h, host) == 0;
}

static int auth_entry_credentials(const json_t *entry, const char *key, char **ret_user,
                                  char **ret_password, LadeError **err)
{
        const char *auth = json_string_value(json_object_get(entry, "auth"));
        if (auth && *auth) {
                int r = registry_auth_decode(auth, ret_user, ret_password, err);
                if (r < 0)
                        return lade_error_wrap(err, "auths[\"%s\"]", key);
                return 0;
        }
        const char *user = json_string_value(json_object_get(entry, "username"));
        const char *password = json_string_value(json_object_get(entry, "password"));
        if (!user || !*user || !password)
                return -ENOENT;
        *ret_user = xstrdup(user);
        *ret_password = xstrdup(password);
        return 0;
}

static void auth_note_helpers(const json_t *config, const char *host)
{
        if (json_object_get(json_object_get(config, "credHelpers"), host) ||
            json_is_string(json_object_get(config, "credsStore")))
                log_debug("credential helpers are not supported, ignoring them for %s", host);
}

int registry_auth_config_find(const json_t *config, const char *domain, char **ret_user,
                              char **ret_password, LadeError **err)
{
        _cleanup_free_ char *host = registry_auth_host(domain);
        _cleanup_free_ char *exact = registry_auth_key(domain);
        const json_t *auths = json_object_get(config, "auths");
        if (!host || !json_is_object(auths))
                return -ENOENT;
        auth_note_helpers(config, host);
        /* Docker's order: the key it would write itself, then any key naming the same host. */
        const json_t *entry = json_object_get(auths, exact);
        if (json_is_object(entry))
                return auth_entry_credentials(entry, exact, ret_user, ret_password, err);
        const char *key;
        json_t *v;
        json_object_foreach((json_t *) auths, key, v)
                if (json_is_object(v) && auth_key_matches(key, host))
                        return auth_entry_credentials(v, key, ret_user, ret_password, err);
        return -ENOENT;
}

int registry_auth_config_set(json_t *config, const char *server, const char *user,
                             const char *password, LadeError **err)
{
        if (!json_is_object(config))
                return lade_error_msg(err, EINVAL, "auth file: not a JSON object");
        if (!user || !*user || strchr(user, ':'))
                return lade_error_msg(err, EINVAL, "user name must be non-empty and without ':'");
        _cleanup_free_ char *key = registry_auth_key(server);
        if (!key)
                return lade_error_msg(err, EINVAL, "invalid registry server name");
        json_t *auths = json_object_get(config, "auths");
        if (!json_is_object(auths)) {
                auths = json_object();
                (void) json_object_set_new(config, "auths", auths);
        }
        json_t *entry = json_object_get(auths, key);
        if (!json_is_object(entry)) {
                entry = json_object();
                (void) json_object_set_new(auths, key, entry);
        }
        _cleanup_free_ char *auth = registry_auth_encode(user, password);
        (void) json_object_set_new(entry, "auth", json_string(auth));
        /* A stale plain-text password next to the new auth would be a second, wrong answer. */
        (void) json_object_del(entry, "username");
        (void) json_object_del(entry, "password");
        explicit_bzero(auth, strlen(auth));
        return 0;
}

int registry_auth_config_remove(json_t *config, const char *server)
{
        _cleanup_free_ char *host = registry_auth_host(server);
        json_t *auths = json_object_get(config, "auths");
        if (!host || !json_is_object(auths))
                return 0;
        int removed = 0;
        const char *key;
        json_t *v;
        void *tmp;
        json_object_foreach_safe(auths, tmp, key, v)
                if (auth_key_matches(key, host) && json_object_del(auths, key) == 0)
                        removed++;
        return removed;
}

static bool auth_token_valid(const char *t)
{
        for (; *t; t++)
                if (*t <= 0x20 || *t >= 0x7f)
                        return false;
        return true;
}

int registry_token_parse(const char *data, size_t len, char **ret_token, int64_t *ret_expires_in,
                         LadeError **err)
{
        _cleanup_json_ json_t *j = NULL;
        if (len > REGISTRY_TOKEN_MAX)
                return lade_error_msg(err, EFBIG, "token response larger than %u bytes",
                                      REGISTRY_TOKEN_MAX);
        int r = json_parse_text(data, len, "token response", &j, err);
        if (r < 0)
                return r;
        const char *token = json_string_value(json_object_get(j, "token"));
        if (!token || !*token)
                token = json_string_value(json_object_get(j, "access_token"));
        if (!token || !*token)
                return lade_error_msg(err, EPROTO, "token response has no token");
        if (!auth_token_valid(token))
                return lade_error_msg(err, EPROTO, "token response: token has invalid characters");
        json_int_t expires = json_integer_value(json_object_get(j, "expires_in"));
        *ret_token = xstrdup(token);
        *ret_expires_in = expires > 0 ? (int64_t) expires : 0;
        return 0;
}

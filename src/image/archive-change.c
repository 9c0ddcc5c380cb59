/* `import --change`: the Dockerfile instructions Docker's import accepts, applied to an image
 * config's "config" object under Docker's key names (Env, Cmd, Entrypoint, WorkingDir, User,
 * ExposedPorts, Labels, Volumes, StopSignal).
 *
 * Words follow Dockerfile rules: split on unquoted whitespace, '...' and "..." quote, a backslash
 * escapes the next character (inside "..." only ", \ and $). Unlike Docker, $VAR is not
 * substituted: it stays as written. ENV and LABEL take `k=v k2=v2` or the legacy `k value...`;
 * CMD, ENTRYPOINT and VOLUME take a JSON array or the shell form. Anything else is refused by
 * name. Every change line is bounded (CHANGE_MAX). */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "archive-internal.h"
#include "fs-safe.h"
#include "json-util.h"
#include "util.h"

#define CHANGE_MAX (64u * 1024)

typedef struct ChangeState {
        bool cmd_set;
} ChangeState;

typedef int (*ChangeFn)(json_t *config, const char *args, ChangeState *st, LadeError **err);

static bool is_space(char c)
{
        return isspace((unsigned char) c);
}

static void word_end(char ***v, char *w, size_t *n, bool *in_word)
{
        if (!*in_word)
                return;
        w[*n] = '\0';
        *v = strv_append(*v, w);
        *n = 0;
        *in_word = false;
}

/* Dockerfile word processing; split=false keeps whitespace (one word). NULL: unbalanced quote. */
static char **change_words(const char *s, bool split)
{
        _cleanup_strv_free_ char **v = xmalloc0(sizeof(char *));
        _cleanup_free_ char *w = xmalloc(strlen(s) + 1);
        size_t n = 0;
        bool in_word = false;
        char quote = 0;
        for (const char *p = s; *p; p++) {
                char c = *p;
                if (quote && c == quote) {
                        quote = 0;
                        continue;
                }
                if (!quote && split && is_space(c)) {
                        word_end(&v, w, &n, &in_word);
                        continue;
                }
                in_word = true;
                if (!quote && (c == '\'' || c == '"')) {
                        quote = c;
                        continue;
                }
                /* outside quotes a backslash escapes anything; inside "..." only " \\ $ */
                if (c == '\\' && p[1] && (!quote || (quote == '"' && strchr("\"\\$", p[1]))))
                        c = *++p;
                w[n++] = c;
        }
        if (quote)
                return NULL;
        word_end(&v, w, &n, &in_word);
        return TAKE_PTR(v);
}

static int change_unquote(const char *args, const char *inst, char **ret, LadeError **err)
{
        _cleanup_strv_free_ char **v = change_words(args, false);
        if (!v)
                return lade_error_msg(err, EINVAL, "--change: %s: unbalanced quotes", inst);
        if (!v[0] || !*v[0])
                return lade_error_msg(err, EINVAL, "--change: %s requires an argument", inst);
        *ret = xstrdup(v[0]);
        return 0;
}

/* `k=v k2="v 2"` or legacy `k value with spaces`; returns k, v, k2, v2, ... */
static int change_pairs(const char *args, const char *inst, char ***ret, LadeError **err)
{
        _cleanup_strv_free_ char **words = change_words(args, true);
        if (!words)
                return lade_error_msg(err, EINVAL, "--change: %s: unbalanced quotes", inst);
        if (!words[0])
                return lade_error_msg(err, EINVAL, "--change: %s requires at least one argument",
                                      inst);
        _cleanup_strv_free_ char **out = xmalloc0(sizeof(char *));
        if (!strchr(words[0], '=')) {
                const char *rest = args + strcspn(args, " \t\r\n");
                _cleanup_free_ char *value = NULL;
                int r = change_unquote(rest + strspn(rest, " \t\r\n"), inst, &value, err);
                if (r < 0)
                        return r;
                out = strv_append(strv_append(out, words[0]), value);
                *ret = TAKE_PTR(out);
                return 0;
        }
        for (char **w = words; *w; w++) {
                char *eq = strchr(*w, '=');
                if (!eq || eq == *w)
                        return lade_error_msg(err, EINVAL,
                                              "--change: %s: '%s' is not of the form name=value",
                                              inst, *w);
                *eq = '\0';
                out = strv_append(strv_append(out, *w), eq + 1);
        }
        *ret = TAKE_PTR(out);
        return 0;
}

static int change_env(json_t *config, const char *args, ChangeState *st, LadeError **err)
{
        _cleanup_strv_free_ char **kv = NULL;
        int r = change_pairs(args, "ENV", &kv, err);
        if (r < 0)
                return r;
        json_t *env = json_object_get(config, "Env");
        if (!json_is_array(env))
                json_object_set_new(config, "Env", env = json_array());
        for (size_t i = 0; kv[i]; i += 2) {
                _cleanup_free_ char *entry = xasprintf("%s=%s", kv[i], kv[i + 1]);
                size_t klen = strlen(kv[i]), j;
                json_t *v;
                bool replaced = false;
                json_array_foreach(env, j, v) {
                        const char *s = json_string_value(v);
                        if (s && strncmp(s, kv[i], klen) == 0 && s[klen] == '=') {
                                json_array_set_new(env, j, json_string(entry));
                                replaced = true;
                                break;
                        }
                }
                if (!replaced)
                        json_array_append_new(env, json_string(entry));
        }
        return 0;
}

static int change_label(json_t *config, const char *args, ChangeState *st, LadeError **err)
{
        _cleanup_strv_free_ char **kv = NULL;
        int r = change_pairs(args, "LABEL", &kv, err);
        if (r < 0)
                return r;
        json_t *labels = json_object_get(config, "Labels");
        if (!json_is_object(labels))
                json_object_set_new(config, "Labels", labels = json_object());
        for (size_t i = 0; kv[i]; i += 2)
                json_object_set_new(labels, kv[i], json_string(kv[i + 1]));
        return 0;
}

/* A JSON array of strings, or NULL when args is not one. */
static json_t *change_json_array(const char *args)
{
        if (args[0] != '[')
                return NULL;
        json_t *a = json_loads(args, JSON_REJECT_DUPLICATES, NULL);
        size_t i;
        json_t *v;
        if (!json_is_array(a))
                return json_decref_null(a);
        json_array_foreach(a, i, v)
                if (!json_is_string(v))
                        return json_decref_null(a);
        return a;
}

/* Exec form (JSON array) or shell form, which runs under /bin/sh -c as in a Dockerfile. */
static int change_command(const char *args, const char *inst, json_t **ret, LadeError **err)
{
        if (!*args)
                return lade_error_msg(err, EINVAL, "--change: %s requires an argument", inst);
        json_t *a = change_json_array(args);
        *ret = a ? a : json_pack("[s, s, s]", "/bin/sh", "-c", args);
        return 0;
}

static int change_cmd(json_t *config, const char *args, ChangeState *st, LadeError **err)
{
        json_t *cmd = NULL;
        int r = change_command(args, "CMD", &cmd, err);
        if (r < 0)
                return r;
        json_object_set_new(config, "Cmd", cmd);
        st->cmd_set = true;
        return 0;
}

static int change_entrypoint(json_t *config, const char *args, ChangeState *st, LadeError **err)
{
        json_t *ep = NULL;
        int r = change_command(args, "ENTRYPOINT", &ep, err);
        if (r < 0)
                return r;
        json_object_set_new(config, "Entrypoint", ep);
        /* as in a Dockerfile: a new ENTRYPOINT drops a CMD these changes did not set */
        if (!st->cmd_set)
                (void) json_object_del(config, "Cmd");
        return 0;
}

static int change_workdir(json_t *config, const char *args, ChangeState *st, LadeError **err)
{
        _cleanup_free_ char *dir = NULL;
        int r = change_unquote(args, "WORKDIR", &dir, err);
        if (r < 0)
                return r;
        const char *cur = json_string_value(json_object_get(config, "WorkingDir"));
        if (dir[0] != '/') {
                /* relative to the previous WORKDIR, as Docker resolves it */
                _cleanup_free_ char *joined = xasprintf("/%s/%s", cur ? cur : "", dir);
                free(dir);
                dir = fs_path_normalize(joined);
        }
        json_object_set_new(config, "WorkingDir", json_string(dir));
        return 0;
}

static int change_user(json_t *config, const char *args, ChangeState *st, LadeError **err)
{
        _cleanup_free_ char *user = NULL;
        int r = change_unquote(args, "USER", &user, err);
        if (r < 0)
                return r;
        json_object_set_new(config, "User", json_string(user));
        return 0;
}

static int change_port(const char *s, unsigned *ret)
{
        uint64_t v;
        if (!*s || strspn(s, "0123456789") != strlen(s) || parse_uint64(s, &v) < 0 || v > 65535)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

/* "80", "80/udp", "8000-8002/tcp" -> ExposedPorts keys, protocol tcp by default. */
static int change_expose_one(json_t *ports, const char *spec, LadeError **err)
{
        _cleanup_free_ char *s = xstrdup(spec);
        char *slash = strchr(s, '/');
        const char *proto = slash ? slash + 1 : "tcp";
        if (slash)
                *slash = '\0';
        char *dash = strchr(s, '-');
        if (dash)
                *dash = '\0';
        unsigned lo, hi;
        bool proto_ok = strcasecmp(proto, "tcp") == 0 || strcasecmp(proto, "udp") == 0 ||
                        strcasecmp(proto, "sctp") == 0;
        if (!proto_ok || change_port(s, &lo) < 0 || change_port(dash ? dash + 1 : s, &hi) < 0 || hi < lo)
                return lade_error_msg(err, EINVAL, "--change: EXPOSE: invalid port '%s'", spec);
        _cleanup_free_ char *lproto = xstrdup(proto);
        for (char *p = lproto; *p; p++)
                *p = (char) tolower((unsigned char) *p);
        for (unsigned port = lo; port <= hi; port++) {
                _cleanup_free_ char *key = xasprintf("%u/%s", port, lproto);
                json_object_set_new(ports, key, json_object());
        }
        return 0;
}

static int change_expose(json_t *config, const char *args, ChangeState *st, LadeError **err)
{
        _cleanup_strv_free_ char **words = change_words(args, true);
        if (!words || !words[0])
                return lade_error_msg(err, EINVAL, "--change: EXPOSE requires at least one port");
        json_t *ports = json_object_get(config, "ExposedPorts");
        if (!json_is_object(ports))
                json_object_set_new(config, "ExposedPorts", ports = json_object());
        for (char **w = words; *w; w++) {
                int r = change_expose_one(ports, *w, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int change_volume(json_t *config, const char *args, ChangeState *st, LadeError **err)
{
        _cleanup_json_ json_t *list = change_json_array(args);
        _cleanup_strv_free_ char **words = list ? NULL : change_words(args, true);
        if (!list && (!words || !words[0]))
                return lade_error_msg(err, EINVAL, "--change: VOLUME requires at least one path");
        json_t *vols = json_object_get(config, "Volumes");
        if (!json_is_object(vols))
                json_object_set_new(config, "Volumes", vols = json_object());
        size_t n = list ? json_array_size(list) : strv_length(words);
        for (size_t i = 0; i < n; i++) {
                const char *path = list ? json_string_value(json_array_get(list, i)) : words[i];
                if (!*path)
                        return lade_error_msg(err, EINVAL,
                                              "--change: VOLUME specified can not be an empty string");
                json_object_set_new(vols, path, json_object());
        }
        return 0;
}

static int change_stopsignal(json_t *config, const char *args, ChangeState *st, LadeError **err)
{
        _cleanup_free_ char *sig = NULL;
        int r = change_unquote(args, "STOPSIGNAL", &sig, err);
        if (r < 0)
                return r;
        if (strspn(sig, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-") != strlen(sig))
                return lade_error_msg(err, EINVAL, "--change: STOPSIGNAL: invalid signal '%s'", sig);
        json_object_set_new(config, "StopSignal", json_string(sig));
        return 0;
}

static const struct {
        const char *name;
        ChangeFn fn;
} change_table[] = {
        { "ENV", change_env },
        { "LABEL", change_label },
        { "CMD", change_cmd },
        { "ENTRYPOINT", change_entrypoint },
        { "WORKDIR", change_workdir },
        { "USER", change_user },
        { "EXPOSE", change_expose },
        { "VOLUME", change_volume },
        { "STOPSIGNAL", change_stopsignal },
};

static int change_apply(json_t *config, const char *line, ChangeState *st, LadeError **err)
{
        if (strlen(line) > CHANGE_MAX)
                return lade_error_msg(err, E2BIG, "--change: longer than %u bytes", CHANGE_MAX);
        const char *p = line + strspn(line, " \t\r\n");
        size_t klen = strcspn(p, " \t\r\n");
        if (klen == 0)
                return lade_error_msg(err, EINVAL, "--change: empty instruction");
        _cleanup_free_ char *keyword = xstrndup(p, klen);
        _cleanup_free_ char *args = xstrdup(p + klen + strspn(p + klen, " \t\r\n"));
        for (size_t n = strlen(args); n > 0 && is_space(args[n - 1]); n--)
                args[n - 1] = '\0';
        for (size_t i = 0; i < ELEMENTSOF(change_table); i++)
                if (strcasecmp(keyword, change_table[i].name) == 0)
                        return change_table[i].fn(config, args, st, err);
        return lade_error_msg(err, EINVAL, "--change: unknown instruction '%s'", keyword);
}

int archive_apply_changes(json_t *config, char *const *changes, LadeError **err)
{
        ChangeState st = { 0 };
        for (char *const *c = changes; c && *c; c++) {
                int r = change_apply(config, *c, &st, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int image_config_apply_changes(json_t *config, char *const *changes, LadeError **err)
{
        return archive_apply_changes(config, changes, err);
}

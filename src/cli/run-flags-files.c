/* The files a `docker run` command line names and the CLI itself reads: --env-file and
 * --label-file (cli/pkg/kvfile) and a `--security-opt seccomp=FILE` profile, whose JSON is sent in
 * place of the file name. Also the checks docker's daemon makes on the finished body. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "json-util.h"
#include "run-flags-internal.h"
#include "util.h"

/* bufio.Scanner's default limit: a longer line is an error. */
#define KV_LINE_MAX (64 * 1024 - 1)

/* os.Open / os.ReadFile as Go reports their failures. */
static int read_whole(const char *path, char **ret, size_t *ret_len, char **msg)
{
        _cleanup_(lade_error_freep) LadeError *e = NULL;
        int r = read_file_at(AT_FDCWD, path, RUN_FLAGS_FILE_MAX, ret, ret_len, &e);
        if (r >= 0)
                return 0;
        _cleanup_free_ char *why = go_strerror(-r);
        if (r == -EISDIR)
                *msg = xasprintf("read %s: %s", path, why);
        else if (r == -EFBIG)
                *msg = xasprintf("%s", lade_error_message(e));
        else
                *msg = xasprintf("open %s: %s", path, why);
        return r;
}

static char *bytes_list(const char *s, size_t n)
{
        size_t cap = n * 4 + 3, o = 0;
        char *out = xmalloc(cap);
        out[o++] = '[';
        for (size_t i = 0; i < n; i++)
                o += (size_t) snprintf(out + o, cap - o, "%s%u", i ? " " : "", (unsigned char) s[i]);
        out[o++] = ']';
        out[o] = '\0';
        return out;
}

/* One scanned line of a kv file (parseKeyValueFile's loop body). */
static int kv_line(char *raw, size_t len, int lineno, bool lookup_env, char ***list, char **msg)
{
        if (!go_utf8_valid(raw, len)) {
                _cleanup_free_ char *b = bytes_list(raw, len);
                *msg = xasprintf("invalid utf8 bytes at line %d: %s", lineno, b);
                return -EINVAL;
        }
        if (lineno == 1 && startswith(raw, "\xef\xbb\xbf"))
                raw += 3;
        _cleanup_free_ char *line = go_trim_left_space(raw);
        if (!*line || line[0] == '#')
                return 0;
        size_t klen = strcspn(line, "=");
        _cleanup_free_ char *key = xstrndup(line, klen);
        if (klen == 0) {
                *msg = xasprintf("no variable name on line '%s'", line);
                return -EINVAL;
        }
        if (strpbrk(key, " \t")) {
                *msg = xasprintf("variable '%s' contains whitespaces", key);
                return -EINVAL;
        }
        if (line[klen] == '=')
                *list = strv_append(*list, line);
        else if (lookup_env && getenv(line)) {
                _cleanup_free_ char *kv = xasprintf("%s=%s", key, getenv(line));
                *list = strv_append(*list, kv);
        }
        return 0;
}

static int kv_lines(char *buf, size_t len, bool lookup_env, char ***list, char **msg)
{
        size_t pos = 0;
        for (int lineno = 1; pos < len; lineno++) {
                char *nl = memchr(buf + pos, '\n', len - pos);
                size_t n = nl ? (size_t) (nl - (buf + pos)) : len - pos;
                if (n > KV_LINE_MAX) {
                        *msg = xstrdup("bufio.Scanner: token too long");
                        return -EINVAL;
                }
                char *line = buf + pos;
                line[n] = '\0';
                if (n > 0 && line[n - 1] == '\r')
                        line[--n] = '\0';
                int r = kv_line(line, n, lineno, lookup_env, list, msg);
                if (r < 0)
                        return r;
                pos += (nl ? (size_t) (nl - (buf + pos)) + 1 : len - pos);
        }
        return 0;
}

int run_read_kv_file(const char *path, bool lookup_env, char ***list, LadeError **err)
{
        _cleanup_free_ char *buf = NULL, *msg = NULL;
        _cleanup_strv_free_ char **lines = NULL;
        size_t len;
        int r = read_whole(path, &buf, &len, &msg);
        if (r < 0 && r != -EISDIR)
                return lade_error_msg(err, -r, "%s", msg);
        if (r >= 0)
                r = kv_lines(buf, len, lookup_env, &lines, &msg);
        if (r < 0)
                return lade_error_msg(err, EINVAL, "invalid env file (%s): %s", path, msg);
        for (char **l = lines; l && *l; l++)
                *list = strv_append(*list, *l);
        return 0;
}

/* json.Compact: the same text without the whitespace between tokens. */
static char *json_compact_text(const char *s, size_t len)
{
        char *out = xmalloc(len + 1);
        size_t o = 0;
        bool in_str = false;
        for (size_t i = 0; i < len; i++) {
                char c = s[i];
                if (in_str) {
                        out[o++] = c;
                        if (c == '\\' && i + 1 < len)
                                out[o++] = s[++i];
                        else if (c == '"')
                                in_str = false;
                } else if (c == '"') {
                        in_str = true;
                        out[o++] = c;
                } else if (!strchr(" \t\r\n", c))
                        out[o++] = c;
        }
        out[o] = '\0';
        return out;
}

static int seccomp_profile(const char *file, char **ret, LadeError **err)
{
        _cleanup_free_ char *buf = NULL, *msg = NULL;
        size_t len;
        json_error_t je;
        if (read_whole(file, &buf, &len, &msg) < 0)
                return lade_error_msg(err, EINVAL, "opening seccomp profile (%s) failed: %s", file, msg);
        json_t *j = json_loadb(buf, len, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, &je);
        if (!j)
                return lade_error_msg(err, EINVAL, "compacting json for seccomp profile (%s) failed: %s",
                                      file, je.text);
        json_decref(j);
        _cleanup_free_ char *compact = json_compact_text(buf, len);
        *ret = xasprintf("seccomp=%s", compact);
        return 0;
}

/* parseSecurityOpts for one option: *ret is what is sent (NULL: the option itself). */
static int security_opt(const char *opt, char **ret, LadeError **err)
{
        const char *sep = strchr(opt, '=');
        if (!sep && !streq(opt, "no-new-privileges"))
                sep = strchr(opt, ':');
        bool nnp = sep ? strncmp(opt, "no-new-privileges", (size_t) (sep - opt)) == 0 &&
                         sep - opt == (ptrdiff_t) strlen("no-new-privileges") :
                         streq(opt, "no-new-privileges");
        if ((!sep || !sep[1]) && !nnp) {
                _cleanup_free_ char *q = go_quote(opt);
                return lade_error_msg(err, EINVAL, "Invalid --security-opt: %s", q);
        }
        if (sep && sep - opt == 7 && startswith(opt, "seccomp") && !streq(sep + 1, "builtin") &&
            !streq(sep + 1, "unconfined"))
                return seccomp_profile(sep + 1, ret, err);
        return 0;
}

int run_build_security(RunOpts *o, json_t *host, LadeError **err)
{
        char **opts = o->v[OPT_SECURITY_OPT].list;
        json_t *list = opts ? json_array() : json_null();
        bool unconfined = false;
        json_object_set_new(host, "SecurityOpt", list);
        for (size_t i = 0; opts && opts[i]; i++) {
                _cleanup_free_ char *sent = NULL;
                int r = security_opt(opts[i], &sent, err);
                if (r < 0)
                        return r;
                if (streq(opts[i], "systempaths=unconfined"))
                        unconfined = true;
                else
                        json_array_append_new(list, json_string(sent ?: opts[i]));
        }
        if (unconfined) {
                json_object_set_new(host, "MaskedPaths", json_array());
                json_object_set_new(host, "ReadonlyPaths", json_array());
        }
        return 0;
}

static bool nonempty_json(json_t *v)
{
        return (json_is_array(v) && json_array_size(v) > 0) ||
               (json_is_object(v) && json_object_size(v) > 0);
}

/* runconfig's validateNetContainerMode: a container sharing another's network namespace has
 * none of its own settings. */
static int check_container_net(json_t *config, json_t *host, LadeError **err)
{
        static const char *const conflicts[][2] = {
                { "Links", "container type network can't be used with links. This would result in "
                           "undefined behavior" },
                { "Dns", "dns and the network mode" },
                { "ExtraHosts", "custom host-to-IP mapping and the network mode" },
                { "PortBindings", "port publishing and the container type network mode" },
        };
        const char *mode = json_string_value(json_object_get(host, "NetworkMode"));
        if (!mode || (!streq(mode, "container") && !startswith(mode, "container:")))
                return 0;
        if (!startswith(mode, "container:") || !mode[10])
                return lade_error_msg(err, EINVAL, "Invalid network mode: invalid container format "
                                      "container:<name|id>");
        if (*json_string_value(json_object_get(config, "Hostname")))
                return lade_error_msg(err, EINVAL, "conflicting options: hostname and the network mode");
        for (size_t i = 0; i < ELEMENTSOF(conflicts); i++) {
                bool publish_all = i == 3 && json_is_true(json_object_get(host, "PublishAllPorts"));
                if (nonempty_json(json_object_get(host, conflicts[i][0])) || publish_all)
                        return lade_error_msg(err, EINVAL, "conflicting options: %s", conflicts[i][1]);
        }
        if (nonempty_json(json_object_get(config, "ExposedPorts")))
                return lade_error_msg(err, EINVAL, "conflicting options: port exposing and the container "
                                      "type network mode");
        return 0;
}

/* container.ValidateRestartPolicy. */
static int check_restart(json_t *host, LadeError **err)
{
        json_t *rp = json_object_get(host, "RestartPolicy");
        const char *name = json_string_value(json_object_get(rp, "Name"));
        json_int_t count = json_integer_value(json_object_get(rp, "MaximumRetryCount"));
        if (streq(name, "always") || streq(name, "unless-stopped") || streq(name, "no")) {
                if (count != 0)
                        return lade_error_msg(err, EINVAL, "invalid restart policy: maximum retry count can "
                                              "only be used with 'on-failure'%s",
                                              count < 0 ? " and cannot be negative" : "");
                return 0;
        }
        if (streq(name, "on-failure") && count < 0)
                return lade_error_msg(err, EINVAL, "invalid restart policy: maximum retry count cannot "
                                      "be negative");
        if (streq(name, "on-failure") || streq(name, ""))
                return 0;
        return lade_error_msg(err, EINVAL, "invalid restart policy: unknown policy '%s'; use one of "
                              "'no', 'always', 'on-failure', or 'unless-stopped'", name);
}

int run_check_daemon(RunOpts *o, json_t *config, json_t *host, LadeError **err)
{
        const char *wd = json_string_value(json_object_get(config, "WorkingDir"));
        int r = check_container_net(config, host, err);
        if (r < 0)
                return r;
        if (wd && *wd && wd[0] != '/')
                return lade_error_msg(err, EINVAL, "the working directory '%s' is invalid, it needs to be "
                                      "an absolute path", wd);
        return check_restart(host, err);
}

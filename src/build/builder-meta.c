/* Instructions that only change the image config (ENV, LABEL, EXPOSE, USER, VOLUME, STOPSIGNAL,
 * CMD, ENTRYPOINT, HEALTHCHECK, SHELL, ONBUILD, MAINTAINER, ARG, and WORKDIR's config half), each
 * as BuildKit's dispatcher applies it, with the history string BuildKit writes (Go's %v/%q
 * formatting of the values included). Substitution happens where Docker does it. */
#include <stdlib.h>
#include <string.h>

#include "builder-internal.h"
#include "build-util.h"
#include "fs-safe.h"
#include "json-util.h"
#include "util.h"

static void config_set_strv(json_t *cfg, const char *key, char *const *v)
{
        if (!v) {
                json_object_set_new(cfg, key, json_null());
                return;
        }
        json_t *a = json_array();
        for (size_t k = 0; v[k]; k++)
                json_array_append_new(a, json_string(v[k]));
        json_object_set_new(cfg, key, a);
}

static void env_set(json_t *cfg, const char *key, const char *value)
{
        json_t *env = json_object_get(cfg, "Env");
        if (!json_is_array(env)) {
                env = json_array();
                json_object_set_new(cfg, "Env", env);
        }
        _cleanup_free_ char *kv = xasprintf("%s=%s", key, value);
        size_t kl = strlen(key), k;
        json_t *e;
        json_array_foreach(env, k, e) {
                const char *s = json_string_value(e);
                if (s && strncmp(s, key, kl) == 0 && s[kl] == '=') {
                        json_array_set_new(env, k, json_string(kv));
                        return;
                }
        }
        json_array_append_new(env, json_string(kv));
}

static void append(char **s, const char *piece)
{
        char *n = xasprintf("%s%s", *s ? *s : "", piece);
        free(*s);
        *s = n;
}

static int dispatch_env(Builder *b, BuildStage *s, BuildStep *st, bool label, LadeError **err)
{
        const DockerfileInstruction *i = st->i;
        json_t *cfg = build_stage_config(s);
        char *hist = xstrdup(label ? "LABEL" : "ENV");
        for (size_t k = 0; k < i->n_kvs; k++) {
                _cleanup_free_ char *key = NULL, *value = NULL;
                int r = build_expand(b, s, i->kvs[k].key, &key, err);
                if (r >= 0)
                        r = build_expand(b, s, i->kvs[k].value ? i->kvs[k].value : "", &value, err);
                if (r < 0) {
                        free(hist);
                        return r;
                }
                if (label) {
                        json_t *l = json_object_get(cfg, "Labels");
                        if (!json_is_object(l)) {
                                l = json_object();
                                json_object_set_new(cfg, "Labels", l);
                        }
                        json_object_set_new(l, key, json_string(value));
                } else {
                        env_set(cfg, key, value);
                }
                _cleanup_free_ char *piece = xasprintf(" %s=%s", key, value);
                append(&hist, piece);
        }
        st->created_by = hist;
        return 0;
}

/* nat.ParsePortSpecs for EXPOSE: "80", "80/udp", "9000-9002"; the protocol lowercased. */
static int expose_port(json_t *ports, const char *spec, LadeError **err)
{
        _cleanup_free_ char *port = xstrdup(spec);
        char *proto = strchr(port, '/');
        if (proto)
                *proto++ = '\0';
        _cleanup_free_ char *lproto = build_ascii_lower(proto && *proto ? proto : "tcp");
        char *dash = strchr(port, '-');
        if (dash)
                *dash++ = '\0';
        int64_t lo, hi;
        if (parse_int64(port, &lo) < 0 || lo < 0 || lo > 65535 ||
            (dash && (parse_int64(dash, &hi) < 0 || hi < lo || hi > 65535)))
                return lade_error_msg(err, EINVAL, "invalid containerPort: %s", spec);
        if (!dash)
                hi = lo;
        for (int64_t p = lo; p <= hi; p++) {
                _cleanup_free_ char *key = xasprintf("%lld/%s", (long long) p, lproto);
                json_object_set_new(ports, key, json_object());
        }
        return 0;
}

static int strcmp_p(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static int dispatch_expose(Builder *b, BuildStage *s, BuildStep *st, LadeError **err)
{
        json_t *cfg = build_stage_config(s);
        json_t *ports = json_object_get(cfg, "ExposedPorts");
        json_t *mine = json_object();
        if (!json_is_object(ports)) {
                ports = json_object();
                json_object_set_new(cfg, "ExposedPorts", ports);
        }
        BuildShellOptions so = { .escape = b->df->escape };
        _cleanup_strv_free_ char **env = build_stage_env(s);
        for (char **a = st->i->args; a && *a; a++) {
                _cleanup_strv_free_ char **words = NULL;
                int r = build_shell_expand_words(&so, *a, build_env_strv_lookup, env, &words, err);
                for (char **w = words; r >= 0 && *w; w++)
                        r = expose_port(mine, *w, err);
                if (r < 0) {
                        json_decref(mine);
                        return r;
                }
        }
        json_object_update(ports, mine);
        /* Go prints a map sorted by key: EXPOSE map[443/tcp:{} 80/tcp:{}] */
        const char *key;
        json_t *v;
        char **keys = NULL;
        size_t n = 0;
        json_object_foreach(mine, key, v) {
                keys = strv_append(keys, key);
                n++;
        }
        if (n > 1)
                qsort(keys, n, sizeof(char *), strcmp_p);
        char *hist = xstrdup("EXPOSE map[");
        for (size_t k = 0; k < n; k++) {
                _cleanup_free_ char *piece = xasprintf("%s%s:{}", k ? " " : "", keys[k]);
                append(&hist, piece);
        }
        append(&hist, "]");
        strv_free(keys);
        json_decref(mine);
        st->created_by = hist;
        return 0;
}

static int dispatch_volume(Builder *b, BuildStage *s, BuildStep *st, LadeError **err)
{
        json_t *cfg = build_stage_config(s);
        json_t *vols = json_object_get(cfg, "Volumes");
        if (!json_is_object(vols)) {
                vols = json_object();
                json_object_set_new(cfg, "Volumes", vols);
        }
        char *hist = xstrdup("VOLUME [");
        size_t n = 0;
        for (char **a = st->i->args; a && *a; a++) {
                _cleanup_free_ char *v = NULL;
                int r = build_expand(b, s, *a, &v, err);
                if (r >= 0 && !*v)
                        r = lade_error_msg(err, EINVAL, "VOLUME specified can not be an empty string");
                if (r < 0) {
                        free(hist);
                        return r;
                }
                json_object_set_new(vols, v, json_object());
                _cleanup_free_ char *piece = xasprintf("%s%s", n++ ? " " : "", v);
                append(&hist, piece);
        }
        append(&hist, "]");
        st->created_by = hist;
        return 0;
}

/* CMD/ENTRYPOINT: the exec form as is, the shell form through the stage's SHELL. */
static char **command_of(BuildStage *s, const DockerfileInstruction *i)
{
        if (!i->cmdline)
                return NULL;
        if (i->json)
                return strv_copy(i->cmdline);
        char **v = NULL;
        size_t k;
        json_t *x;
        json_array_foreach(json_object_get(build_stage_config(s), "Shell"), k, x)
                v = strv_append(v, json_string_value(x));
        if (!v) {
                v = strv_append(v, "/bin/sh");
                v = strv_append(v, "-c");
        }
        return strv_append(v, i->cmdline[0]);
}

static int dispatch_command(BuildStage *s, BuildStep *st, bool entrypoint, bool *cmd_set)
{
        json_t *cfg = build_stage_config(s);
        _cleanup_strv_free_ char **cmd = command_of(s, st->i);
        _cleanup_free_ char *q = build_go_strv(cmd);
        if (entrypoint) {
                config_set_strv(cfg, "Entrypoint", cmd ? cmd : (char *[]) { NULL });
                /* an ENTRYPOINT drops a CMD inherited from the base (not one of this stage) */
                if (!*cmd_set)
                        json_object_set_new(cfg, "Cmd", json_null());
        } else {
                config_set_strv(cfg, "Cmd", cmd ? cmd : (char *[]) { NULL });
                *cmd_set = true;
        }
        st->created_by = xasprintf("%s %s", entrypoint ? "ENTRYPOINT" : "CMD", q);
        return 0;
}

/* Go's time.Duration.String for the durations a HEALTHCHECK takes. */
static char *go_duration(int64_t ns)
{
        if (ns == 0)
                return xstrdup("0s");
        int64_t h = ns / 3600000000000LL, m = ns / 60000000000LL % 60;
        int64_t sec = ns / 1000000000LL % 60, frac = ns % 1000000000LL;
        _cleanup_free_ char *fs = NULL;
        if (frac) {
                char buf[16];
                snprintf(buf, sizeof(buf), "%09lld", (long long) frac);
                for (size_t k = strlen(buf); k > 0 && buf[k - 1] == '0'; k--)
                        buf[k - 1] = '\0';
                fs = xasprintf(".%s", buf);
        }
        if (h)
                return xasprintf("%lldh%lldm%lld%ss", (long long) h, (long long) m, (long long) sec, fs ? fs : "");
        if (m)
                return xasprintf("%lldm%lld%ss", (long long) m, (long long) sec, fs ? fs : "");
        return xasprintf("%lld%ss", (long long) sec, fs ? fs : "");
}

static int dispatch_healthcheck(BuildStage *s, BuildStep *st)
{
        const DockerfileHealthcheck *h = st->i->health;
        json_t *cfg = build_stage_config(s);
        json_t *hc = json_object();
        _cleanup_free_ char *test = build_go_strv(h->test);
        json_t *t = json_array();
        for (char **a = h->test; a && *a; a++)
                json_array_append_new(t, json_string(*a));
        json_object_set_new(hc, "Test", t);
        const struct { const char *k; int64_t v; } d[] = {
                { "Interval", h->interval_ns }, { "Timeout", h->timeout_ns },
                { "StartPeriod", h->start_period_ns }, { "StartInterval", h->start_interval_ns },
        };
        for (size_t k = 0; k < ELEMENTSOF(d); k++)
                if (d[k].v)
                        json_object_set_new(hc, d[k].k, json_integer(d[k].v));
        if (h->retries)
                json_object_set_new(hc, "Retries", json_integer(h->retries));
        json_object_set_new(cfg, "Healthcheck", hc);
        if (h->test && h->test[0] && streq(h->test[0], "NONE")) {
                st->created_by = xasprintf("HEALTHCHECK &{%s \"0s\" \"0s\" \"0s\" \"0s\" '\\x00'}", test);
                return 0;
        }
        _cleanup_free_ char *iv = go_duration(h->interval_ns), *to = go_duration(h->timeout_ns),
                            *sp = go_duration(h->start_period_ns), *si = go_duration(h->start_interval_ns);
        _cleanup_free_ char *rq = h->retries >= 0x20 && h->retries < 0x7f ? xasprintf("'%c'", h->retries)
                                                                         : xasprintf("'\\x%02x'", h->retries & 0xff);
        st->created_by = xasprintf("HEALTHCHECK &{%s \"%s\" \"%s\" \"%s\" \"%s\" %s}", test, iv, to, sp, si, rq);
        return 0;
}

static int dispatch_onbuild(BuildStage *s, BuildStep *st)
{
        json_t *cfg = build_stage_config(s);
        json_t *ob = json_object_get(cfg, "OnBuild");
        if (!json_is_array(ob)) {
                ob = json_array();
                json_object_set_new(cfg, "OnBuild", ob);
        }
        json_array_append_new(ob, json_string(st->i->onbuild_expression));
        st->created_by = xasprintf("ONBUILD %s", st->i->onbuild_expression);
        return 0;
}

/* ARG: --build-arg, else the default (expanded), else the global ARG's value; the history
 * entry shows the declaration's default. */
static int dispatch_arg(Builder *b, BuildStage *s, BuildStep *st, LadeError **err)
{
        const DockerfileInstruction *i = st->i;
        char *hist = xstrdup("ARG");
        for (size_t k = 0; k < i->n_kvs; k++) {
                const char *key = i->kvs[k].key;
                _cleanup_free_ char *def = NULL;
                if (i->kvs[k].value) {
                        int r = build_expand(b, s, i->kvs[k].value, &def, err);
                        if (r < 0) {
                                free(hist);
                                return r;
                        }
                }
                const char *v = b->o->build_args ? build_env_strv_lookup(b->o->build_args, key) : NULL;
                if (!v)
                        v = def;
                if (!v)
                        v = build_env_strv_lookup(b->plan->global_args, key);
                if (v) {
                        _cleanup_free_ char *kv = xasprintf("%s=%s", key, v);
                        s->args = strv_append(s->args, kv);
                }
                s->declared = strv_append(s->declared, key);
                _cleanup_free_ char *piece = def ? xasprintf(" %s=%s", key, def) : xasprintf(" %s", key);
                append(&hist, piece);
        }
        st->created_by = hist;
        return 0;
}

static int dispatch_workdir_config(Builder *b, BuildStage *s, BuildStep *st, LadeError **err)
{
        json_t *cfg = build_stage_config(s);
        _cleanup_free_ char *v = NULL;
        int r = build_expand(b, s, st->i->value, &v, err);
        if (r < 0)
                return r;
        const char *cur = json_string_value(json_object_get(cfg, "WorkingDir"));
        _cleanup_free_ char *abs = v[0] == '/' ? xstrdup(v) : xasprintf("%s/%s", cur && *cur ? cur : "/", v);
        _cleanup_free_ char *clean = fs_path_normalize(abs);
        json_object_set_new(cfg, "WorkingDir", json_string(clean));
        st->created_by = xasprintf("WORKDIR %s", clean);
        st->layer = true;
        return 0;
}

static int dispatch_simple(Builder *b, BuildStage *s, BuildStep *st, const char *field, const char *kw,
                           LadeError **err)
{
        _cleanup_free_ char *v = NULL;
        int r = build_expand(b, s, st->i->value ? st->i->value : "", &v, err);
        if (r < 0)
                return r;
        json_object_set_new(build_stage_config(s), field, json_string(v));
        st->created_by = xasprintf("%s %s", kw, v);
        return 0;
}

int build_dispatch_meta(Builder *b, BuildStage *s, BuildStep *st, LadeError **err)
{
        const DockerfileInstruction *i = st->i;
        static bool unused;
        bool *cmd_set = &unused;
        switch (i->kind) {
        case DOCKERFILE_ENV: return dispatch_env(b, s, st, false, err);
        case DOCKERFILE_LABEL: return dispatch_env(b, s, st, true, err);
        case DOCKERFILE_EXPOSE: return dispatch_expose(b, s, st, err);
        case DOCKERFILE_VOLUME: return dispatch_volume(b, s, st, err);
        case DOCKERFILE_USER: return dispatch_simple(b, s, st, "User", "USER", err);
        case DOCKERFILE_STOPSIGNAL: return dispatch_simple(b, s, st, "StopSignal", "STOPSIGNAL", err);
        case DOCKERFILE_WORKDIR: return dispatch_workdir_config(b, s, st, err);
        case DOCKERFILE_CMD:
        case DOCKERFILE_ENTRYPOINT:
                cmd_set = &s->cmd_set;
                return dispatch_command(s, st, i->kind == DOCKERFILE_ENTRYPOINT, cmd_set);
        case DOCKERFILE_HEALTHCHECK: return dispatch_healthcheck(s, st);
        case DOCKERFILE_ONBUILD: return dispatch_onbuild(s, st);
        case DOCKERFILE_ARG: return dispatch_arg(b, s, st, err);
        case DOCKERFILE_SHELL: {
                _cleanup_free_ char *q = NULL;
                config_set_strv(build_stage_config(s), "Shell", i->cmdline);
                /* %v of a []string: [/bin/sh -e -c] */
                char *h = xstrdup("SHELL [");
                for (size_t k = 0; i->cmdline && i->cmdline[k]; k++) {
                        _cleanup_free_ char *piece = xasprintf("%s%s", k ? " " : "", i->cmdline[k]);
                        append(&h, piece);
                }
                append(&h, "]");
                st->created_by = h;
                return 0;
        }
        case DOCKERFILE_MAINTAINER:
                json_object_set_new(s->doc, "author", json_string(i->value ? i->value : ""));
                st->created_by = xasprintf("MAINTAINER %s", i->value ? i->value : "");
                return 0;
        default:
                return lade_error_msg(err, EINVAL, "unexpected instruction %s", i->keyword);
        }
}

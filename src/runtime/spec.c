/* config.json -> Spec. This file owns the typed field readers (every error names the full field
 * path, "process.rlimits[0].type"), the document root, process, root, mounts, hooks and
 * annotations; spec-linux.c owns linux.*.
 *
 * What stays true: a Spec handed out by spec_parse() has passed every type and value check
 * described in spec.h, so later code never re-validates; JSON null counts as absent (runc's Go
 * decoding does the same); unknown keys are ignored for forward compatibility, but a known key
 * of the wrong JSON type is an error; no array or object holds more than SPEC_MAX_ARRAY entries,
 * so every allocation below is bounded before it is made. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/resource.h>

#include "json-util.h"
#include "spec.h"
#include "util.h"

/* ---- field readers ---- */


char *spec_path(const char *where, const char *key)
{
        if (!where || !*where)
                return xstrdup(key ? key : "config");
        if (!key)
                return xstrdup(where);
        return xasprintf("%s.%s", where, key);
}

int spec_field_error(LadeError **err, const char *where, const char *key, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *msg = xvasprintf(fmt, ap);
        va_end(ap);
        _cleanup_free_ char *path = spec_path(where, key);
        return lade_error_msg(err, EINVAL, "%s: %s", path, msg);
}

int spec_type_error(LadeError **err, const char *where, const char *key, const char *expected,
                    const json_t *got)
{
        return spec_field_error(err, where, key, "expected %s, got %s", expected,
                                json_type_name(got));
}

json_t *spec_member(json_t *obj, const char *key)
{
        return json_member(obj, key);
}

static int check_size(size_t n, const char *where, const char *key, LadeError **err)
{
        if (n > SPEC_MAX_ARRAY)
                return spec_field_error(err, where, key, "more than %d entries", SPEC_MAX_ARRAY);
        return 0;
}

static int check_absolute(const char *s, const char *where, const char *key, LadeError **err)
{
        if (s[0] != '/')
                return spec_field_error(err, where, key, "must be an absolute path, got '%.100s'",
                                        s);
        return 0;
}

static int read_string(json_t *v, const char *where, const char *key, bool absolute, char **ret,
                       LadeError **err)
{
        if (!json_is_string(v))
                return spec_type_error(err, where, key, "a string", v);
        if (absolute && check_absolute(json_string_value(v), where, key, err) < 0)
                return -EINVAL;
        free(*ret);
        *ret = xstrdup(json_string_value(v));
        return 0;
}

static int read_strv(json_t *v, const char *where, const char *key, bool absolute, char ***ret,
                     LadeError **err)
{
        if (!json_is_array(v))
                return spec_type_error(err, where, key, "an array", v);
        size_t n = json_array_size(v);
        if (check_size(n, where, key, err) < 0)
                return -EINVAL;

        _cleanup_strv_free_ char **l = xmalloc0((n + 1) * sizeof(char *));
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *k = xasprintf("%s[%zu]", key, i);
                int r = read_string(json_array_get(v, i), where, k, absolute, &l[i], err);
                if (r < 0)
                        return r;
        }
        strv_free(*ret);
        *ret = TAKE_PTR(l);
        return 0;
}

static void field_range(const SpecField *f, int64_t *lo, int64_t *hi)
{
        if (f->ranged) {
                *lo = f->min;
                *hi = f->max;
        } else if (f->kind == SPEC_FIELD_I64 || f->kind == SPEC_FIELD_OPT_I64) {
                *lo = INT64_MIN;
                *hi = INT64_MAX;
        } else {
                *lo = 0;
                *hi = f->kind == SPEC_FIELD_U32 ? UINT32_MAX : INT64_MAX;
        }
}

static int range_error(LadeError **err, const char *where, const char *key, int64_t x,
                       int64_t lo, int64_t hi)
{
        if (hi == INT64_MAX && lo == 0)
                return spec_field_error(err, where, key,
                                        "expected a non-negative integer, got %" PRId64, x);
        if (hi == INT64_MAX)
                return spec_field_error(err, where, key,
                                        "expected an integer >= %" PRId64 ", got %" PRId64, lo, x);
        return spec_field_error(err, where, key,
                                "expected an integer in range %" PRId64 "..%" PRId64
                                ", got %" PRId64, lo, hi, x);
}

static int read_int(json_t *v, const char *where, const SpecField *f, void *p, LadeError **err)
{
        int64_t lo, hi;
        uint64_t big;
        if ((f->kind == SPEC_FIELD_U64 || f->kind == SPEC_FIELD_OPT_U64) && !f->ranged &&
            json_get_big_uint(v, &big)) {
                if (f->kind == SPEC_FIELD_U64)
                        *(uint64_t *) p = big;
                else
                        *(OptU64 *) p = (OptU64){ .set = true, .v = big };
                return 0;
        }
        if (!json_is_integer(v))
                return spec_type_error(err, where, f->key, "an integer", v);
        int64_t x = json_integer_value(v);
        field_range(f, &lo, &hi);
        if (x < lo || x > hi)
                return range_error(err, where, f->key, x, lo, hi);

        switch (f->kind) {
        case SPEC_FIELD_I64:
                *(int64_t *) p = x;
                break;
        case SPEC_FIELD_U32:
                *(uint32_t *) p = (uint32_t) x;
                break;
        case SPEC_FIELD_U64:
                *(uint64_t *) p = (uint64_t) x;
                break;
        case SPEC_FIELD_OPT_I64:
                *(OptI64 *) p = (OptI64) { .set = true, .v = x };
                break;
        default:
                *(OptU64 *) p = (OptU64) { .set = true, .v = (uint64_t) x };
                break;
        }
        return 0;
}

static int read_bool(json_t *v, const char *where, const SpecField *f, void *p, LadeError **err)
{
        if (!json_is_boolean(v))
                return spec_type_error(err, where, f->key, "a boolean", v);
        if (f->kind == SPEC_FIELD_BOOL)
                *(bool *) p = json_is_true(v);
        else
                *(OptBool *) p = (OptBool) { .set = true, .v = json_is_true(v) };
        return 0;
}

static int read_value(json_t *v, const char *where, const SpecField *f, void *p,
                      LadeError **err)
{
        switch (f->kind) {
        case SPEC_FIELD_STRING:
        case SPEC_FIELD_PATH:
                return read_string(v, where, f->key, f->kind == SPEC_FIELD_PATH, p, err);
        case SPEC_FIELD_STRV:
        case SPEC_FIELD_PATHV:
                return read_strv(v, where, f->key, f->kind == SPEC_FIELD_PATHV, p, err);
        case SPEC_FIELD_BOOL:
        case SPEC_FIELD_OPT_BOOL:
                return read_bool(v, where, f, p, err);
        default:
                return read_int(v, where, f, p, err);
        }
}

static int read_field(json_t *obj, const char *where, const SpecField *f, void *base,
                      LadeError **err)
{
        json_t *v = spec_member(obj, f->key);
        if (!v)
                return f->required ? spec_field_error(err, where, f->key, "required") : 0;
        return read_value(v, where, f, (char *) base + f->offset, err);
}

int spec_read_fields(json_t *obj, const char *where, const SpecField *fields, size_t n_fields,
                     void *base, LadeError **err)
{
        for (size_t i = 0; i < n_fields; i++) {
                int r = read_field(obj, where, &fields[i], base, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int spec_get_object(json_t *obj, const char *where, const char *key, json_t **ret,
                    LadeError **err)
{
        json_t *v = spec_member(obj, key);
        if (v && !json_is_object(v))
                return spec_type_error(err, where, key, "an object", v);
        if (v && check_size(json_object_size(v), where, key, err) < 0)
                return -EINVAL;
        *ret = v;
        return 0;
}

int spec_get_array(json_t *obj, const char *where, const char *key, json_t **ret,
                   LadeError **err)
{
        json_t *v = spec_member(obj, key);
        if (v && !json_is_array(v))
                return spec_type_error(err, where, key, "an array", v);
        if (v && check_size(json_array_size(v), where, key, err) < 0)
                return -EINVAL;
        *ret = v;
        return 0;
}

int spec_get_string(json_t *obj, const char *where, const char *key, bool required, char **ret,
                    LadeError **err)
{
        const SpecField f = { key, SPEC_FIELD_STRING, 0, required };
        char *s = NULL;
        int r = read_field(obj, where, &f, &s, err);
        if (r < 0)
                return r;
        *ret = s;
        return 0;
}

SpecKV *spec_kv_free(SpecKV *kv, size_t n)
{
        for (size_t i = 0; kv && i < n; i++) {
                free(kv[i].key);
                free(kv[i].value);
        }
        free(kv);
        return NULL;
}

int spec_get_kv(json_t *obj, const char *where, const char *key, SpecKV **ret, size_t *ret_n,
                LadeError **err)
{
        json_t *o, *v;
        const char *k;
        size_t i = 0;
        int r = spec_get_object(obj, where, key, &o, err);
        if (r < 0 || !o || json_object_size(o) == 0)
                return r;

        SpecKV *kv = xmalloc0(json_object_size(o) * sizeof(SpecKV));
        json_object_foreach(o, k, v) {
                if (!json_is_string(v)) {
                        _cleanup_free_ char *ek = xasprintf("%s[\"%.100s\"]", key, k);
                        kv = spec_kv_free(kv, i);
                        return spec_type_error(err, where, ek, "a string", v);
                }
                kv[i].key = xstrdup(k);
                kv[i].value = xstrdup(json_string_value(v));
                i++;
        }
        *ret = kv;
        *ret_n = i;
        return 0;
}

int spec_foreach_object(json_t *obj, const char *where, const char *key, SpecForeachFn fn,
                        void *userdata, LadeError **err)
{
        json_t *arr, *e;
        size_t i;
        int r = spec_get_array(obj, where, key, &arr, err);
        if (r < 0 || !arr)
                return r;

        _cleanup_free_ char *path = spec_path(where, key);
        json_array_foreach(arr, i, e) {
                _cleanup_free_ char *w = xasprintf("%s[%zu]", path, i);
                if (!json_is_object(e))
                        return spec_type_error(err, w, NULL, "an object", e);
                r = fn(e, w, userdata, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

typedef struct ObjectsBuilder {
        const SpecElemType *type;
        char *items;
        size_t n;
} ObjectsBuilder;

static int objects_add(json_t *o, const char *where, void *userdata, LadeError **err)
{
        ObjectsBuilder *b = userdata;
        /* n counts started elements, so a half-parsed one is freed too */
        return b->type->parse(o, where, b->items + b->n++ * b->type->size, err);
}

void *spec_objects_free(void *items, size_t n, const SpecElemType *t)
{
        for (size_t i = 0; items && i < n; i++)
                t->done((char *) items + i * t->size);
        free(items);
        return NULL;
}

int spec_get_objects(json_t *obj, const char *where, const char *key, const SpecElemType *t,
                     void **ret, size_t *ret_n, LadeError **err)
{
        json_t *arr;
        int r = spec_get_array(obj, where, key, &arr, err);
        if (r < 0 || !arr || json_array_size(arr) == 0)
                return r;

        /* the count was bounded by SPEC_MAX_ARRAY above, and elements are small */
        ObjectsBuilder b = { t, xmalloc0(json_array_size(arr) * t->size), 0 };
        r = spec_foreach_object(obj, where, key, objects_add, &b, err);
        if (r < 0) {
                spec_objects_free(b.items, b.n, t);
                return r;
        }
        *ret = b.items;
        *ret_n = b.n;
        return 0;
}

static bool string_in(const char *s, const char *const *list)
{
        for (; *list; list++)
                if (streq(s, *list))
                        return true;
        return false;
}

/* ---- names ---- */

static const char *const namespace_names[_SPEC_NS_MAX] = {
        [SPEC_NS_PID] = "pid",     [SPEC_NS_NETWORK] = "network", [SPEC_NS_MOUNT] = "mount",
        [SPEC_NS_IPC] = "ipc",     [SPEC_NS_UTS] = "uts",         [SPEC_NS_USER] = "user",
        [SPEC_NS_CGROUP] = "cgroup", [SPEC_NS_TIME] = "time",
};

const char *spec_namespace_type_to_string(SpecNamespaceType t)
{
        if (t < 0 || t >= _SPEC_NS_MAX)
                return NULL;
        return namespace_names[t];
}

SpecNamespaceType spec_namespace_type_from_string(const char *s)
{
        for (int t = 0; t < _SPEC_NS_MAX; t++)
                if (streq(s, namespace_names[t]))
                        return t;
        return _SPEC_NS_INVALID;
}

static const char *const hook_names[_SPEC_HOOK_MAX] = {
        [SPEC_HOOK_PRESTART] = "prestart",
        [SPEC_HOOK_CREATE_RUNTIME] = "createRuntime",
        [SPEC_HOOK_CREATE_CONTAINER] = "createContainer",
        [SPEC_HOOK_START_CONTAINER] = "startContainer",
        [SPEC_HOOK_POSTSTART] = "poststart",
        [SPEC_HOOK_POSTSTOP] = "poststop",
};

const char *spec_hook_kind_to_string(SpecHookKind k)
{
        if (k < 0 || k >= _SPEC_HOOK_MAX)
                return NULL;
        return hook_names[k];
}

static const struct {
        const char *name;
        int resource;
} rlimit_names[] = {
        { "RLIMIT_AS", RLIMIT_AS },           { "RLIMIT_CORE", RLIMIT_CORE },
        { "RLIMIT_CPU", RLIMIT_CPU },         { "RLIMIT_DATA", RLIMIT_DATA },
        { "RLIMIT_FSIZE", RLIMIT_FSIZE },     { "RLIMIT_LOCKS", RLIMIT_LOCKS },
        { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
        { "RLIMIT_NICE", RLIMIT_NICE },       { "RLIMIT_NOFILE", RLIMIT_NOFILE },
        { "RLIMIT_NPROC", RLIMIT_NPROC },     { "RLIMIT_RSS", RLIMIT_RSS },
        { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },   { "RLIMIT_RTTIME", RLIMIT_RTTIME },
        { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_STACK", RLIMIT_STACK },
};

int spec_rlimit_from_string(const char *s)
{
        for (size_t i = 0; i < ELEMENTSOF(rlimit_names); i++)
                if (streq(s, rlimit_names[i].name))
                        return rlimit_names[i].resource;
        return -EINVAL;
}

/* ---- process ---- */

static void rlimit_done(void *elem)
{
        free(((SpecRlimit *) elem)->type);
}

static int rlimit_parse(json_t *o, const char *where, void *elem, LadeError **err)
{
        static const SpecField fields[] = {
                { "type", SPEC_FIELD_STRING, offsetof(SpecRlimit, type), true },
                { "soft", SPEC_FIELD_U64, offsetof(SpecRlimit, soft), true },
                { "hard", SPEC_FIELD_U64, offsetof(SpecRlimit, hard), true },
        };
        SpecRlimit *rl = elem;
        int r = spec_read_table(o, where, fields, rl, err);
        if (r < 0)
                return r;
        rl->resource = spec_rlimit_from_string(rl->type);
        if (rl->resource < 0)
                return spec_field_error(err, where, "type", "unknown rlimit '%.100s'", rl->type);
        if (rl->soft > rl->hard)
                return spec_field_error(err, where, "soft",
                                        "%" PRIu64 " exceeds hard limit %" PRIu64, rl->soft,
                                        rl->hard);
        return 0;
}

static const SpecElemType rlimit_type = { sizeof(SpecRlimit), rlimit_parse, rlimit_done };

static int parse_rlimits(json_t *obj, const char *where, SpecProcess *p, LadeError **err)
{
        bool seen[RLIM_NLIMITS] = {};
        int r = spec_get_objects(obj, where, "rlimits", &rlimit_type, (void **) &p->rlimits,
                                 &p->n_rlimits, err);
        if (r < 0)
                return r;
        /* the spec requires an error for duplicates: which one wins would be arbitrary */
        for (size_t i = 0; i < p->n_rlimits; i++) {
                int res = p->rlimits[i].resource; /* < RLIM_NLIMITS: from rlimit_names */
                if (seen[res]) {
                        _cleanup_free_ char *k = xasprintf("rlimits[%zu].type", i);
                        return spec_field_error(err, where, k, "duplicate rlimit '%s'",
                                                p->rlimits[i].type);
                }
                seen[res] = true;
        }
        return 0;
}

static int parse_additional_gids(json_t *obj, const char *where, SpecUser *u, LadeError **err)
{
        json_t *arr, *e;
        size_t i;
        int r = spec_get_array(obj, where, "additionalGids", &arr, err);
        if (r < 0 || !arr || json_array_size(arr) == 0)
                return r;

        u->additional_gids = xmalloc0(json_array_size(arr) * sizeof(uint32_t));
        json_array_foreach(arr, i, e) {
                _cleanup_free_ char *k = xasprintf("additionalGids[%zu]", i);
                const SpecField f = { k, SPEC_FIELD_U32 };
                r = read_value(e, where, &f, &u->additional_gids[i], err);
                if (r < 0)
                        return r;
                u->n_additional_gids = i + 1;
        }
        return 0;
}

static int parse_user(json_t *proc, const char *where, SpecProcess *p, LadeError **err)
{
        static const SpecField fields[] = {
                { "uid", SPEC_FIELD_U32, offsetof(SpecUser, uid) },
                { "gid", SPEC_FIELD_U32, offsetof(SpecUser, gid) },
                { "umask", SPEC_FIELD_OPT_U64, offsetof(SpecUser, umask), SPEC_RANGE_U32 },
                { "username", SPEC_FIELD_STRING, offsetof(SpecUser, username) },
        };
        json_t *o;
        int r = spec_get_object(proc, where, "user", &o, err);
        if (r < 0 || !o)
                return r;
        _cleanup_free_ char *w = spec_path(where, "user");
        r = spec_read_table(o, w, fields, &p->user, err);
        if (r < 0)
                return r;
        return parse_additional_gids(o, w, &p->user, err);
}

static int parse_sub_object(json_t *proc, const char *where, const char *key,
                            const SpecField *fields, size_t n_fields, void *base, bool *ret_set,
                            LadeError **err)
{
        json_t *o;
        int r = spec_get_object(proc, where, key, &o, err);
        if (r < 0 || !o)
                return r;
        _cleanup_free_ char *w = spec_path(where, key);
        r = spec_read_fields(o, w, fields, n_fields, base, err);
        if (r < 0)
                return r;
        if (ret_set)
                *ret_set = true;
        return 0;
}

static int parse_scheduler(json_t *proc, const char *where, SpecScheduler *s, LadeError **err)
{
        static const char *const policies[] = { "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR",
                "SCHED_BATCH", "SCHED_ISO", "SCHED_IDLE", "SCHED_DEADLINE", NULL };
        static const char *const flags[] = { "SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM",
                "SCHED_FLAG_DL_OVERRUN", "SCHED_FLAG_KEEP_POLICY", "SCHED_FLAG_KEEP_PARAMS",
                "SCHED_FLAG_UTIL_CLAMP_MIN", "SCHED_FLAG_UTIL_CLAMP_MAX", NULL };
        static const SpecField fields[] = {
                { "policy", SPEC_FIELD_STRING, offsetof(SpecScheduler, policy), true },
                { "nice", SPEC_FIELD_OPT_I64, offsetof(SpecScheduler, nice), SPEC_RANGE_I32 },
                { "priority", SPEC_FIELD_OPT_I64, offsetof(SpecScheduler, priority),
                  SPEC_RANGE_I32 },
                { "flags", SPEC_FIELD_STRV, offsetof(SpecScheduler, flags) },
                { "runtime", SPEC_FIELD_OPT_U64, offsetof(SpecScheduler, runtime) },
                { "deadline", SPEC_FIELD_OPT_U64, offsetof(SpecScheduler, deadline) },
                { "period", SPEC_FIELD_OPT_U64, offsetof(SpecScheduler, period) },
        };
        _cleanup_free_ char *w = spec_path(where, "scheduler");
        int r = parse_sub_object(proc, where, "scheduler", fields, ELEMENTSOF(fields), s, &s->set,
                                 err);
        if (r < 0 || !s->set)
                return r;
        if (!string_in(s->policy, policies))
                return spec_field_error(err, w, "policy", "unknown policy '%.100s'", s->policy);
        for (size_t i = 0; s->flags && s->flags[i]; i++)
                if (!string_in(s->flags[i], flags)) {
                        _cleanup_free_ char *k = xasprintf("flags[%zu]", i);
                        return spec_field_error(err, w, k, "unknown flag '%.100s'", s->flags[i]);
                }
        return 0;
}

static int parse_io_priority(json_t *proc, const char *where, SpecIOPriority *io,
                             LadeError **err)
{
        static const char *const classes[] = { "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE",
                "IOPRIO_CLASS_IDLE", NULL };
        static const SpecField fields[] = {
                { "class", SPEC_FIELD_STRING, offsetof(SpecIOPriority, klass), true },
                { "priority", SPEC_FIELD_I64, offsetof(SpecIOPriority, priority), true,
                  SPEC_RANGE(0, 7) },
        };
        int r = parse_sub_object(proc, where, "ioPriority", fields, ELEMENTSOF(fields), io,
                                 &io->set, err);
        if (r < 0 || !io->set)
                return r;
        if (!string_in(io->klass, classes)) {
                _cleanup_free_ char *w = spec_path(where, "ioPriority");
                return spec_field_error(err, w, "class", "unknown class '%.100s'", io->klass);
        }
        return 0;
}

static int check_process(const SpecProcess *p, const char *where, LadeError **err)
{
        for (size_t i = 0; p->env && p->env[i]; i++) {
                const char *eq = strchr(p->env[i], '=');
                if (!eq || eq == p->env[i]) {
                        _cleanup_free_ char *k = xasprintf("env[%zu]", i);
                        return spec_field_error(err, where, k, "expected NAME=VALUE, got '%.100s'",
                                                p->env[i]);
                }
        }
        if (p->args && !p->args[0])
                return spec_field_error(err, where, "args", "must not be empty");
        return 0;
}

static const SpecField process_fields[] = {
        { "terminal", SPEC_FIELD_BOOL, offsetof(SpecProcess, terminal) },
        { "args", SPEC_FIELD_STRV, offsetof(SpecProcess, args) },
        { "commandLine", SPEC_FIELD_STRING, offsetof(SpecProcess, command_line) },
        { "env", SPEC_FIELD_STRV, offsetof(SpecProcess, env) },
        { "cwd", SPEC_FIELD_PATH, offsetof(SpecProcess, cwd) },
        { "noNewPrivileges", SPEC_FIELD_BOOL, offsetof(SpecProcess, no_new_privileges) },
        { "apparmorProfile", SPEC_FIELD_STRING, offsetof(SpecProcess, apparmor_profile) },
        { "oomScoreAdj", SPEC_FIELD_OPT_I64, offsetof(SpecProcess, oom_score_adj),
          SPEC_RANGE(-1000, 1000) },
        { "selinuxLabel", SPEC_FIELD_STRING, offsetof(SpecProcess, selinux_label) },
};
static const SpecField console_fields[] = {
        { "height", SPEC_FIELD_OPT_U64, offsetof(SpecProcess, console_height), true,
          SPEC_RANGE_U16 },
        { "width", SPEC_FIELD_OPT_U64, offsetof(SpecProcess, console_width), true, SPEC_RANGE_U16 },
};
static const SpecField caps_fields[] = {
        { "bounding", SPEC_FIELD_STRV, offsetof(SpecCaps, bounding) },
        { "effective", SPEC_FIELD_STRV, offsetof(SpecCaps, effective) },
        { "inheritable", SPEC_FIELD_STRV, offsetof(SpecCaps, inheritable) },
        { "permitted", SPEC_FIELD_STRV, offsetof(SpecCaps, permitted) },
        { "ambient", SPEC_FIELD_STRV, offsetof(SpecCaps, ambient) },
};
static const SpecField affinity_fields[] = {
        { "initial", SPEC_FIELD_STRING, offsetof(SpecProcess, exec_cpu_affinity_initial) },
        { "final", SPEC_FIELD_STRING, offsetof(SpecProcess, exec_cpu_affinity_final) },
};

static int parse_process_fields(json_t *obj, const char *where, SpecProcess *p, LadeError **err)
{
        int r = spec_read_table(obj, where, process_fields, p, err);
        if (r >= 0)
                r = check_process(p, where, err);
        if (r >= 0)
                r = parse_sub_object(obj, where, "consoleSize", console_fields,
                                     ELEMENTSOF(console_fields), p, NULL, err);
        if (r >= 0)
                r = parse_sub_object(obj, where, "capabilities", caps_fields,
                                     ELEMENTSOF(caps_fields), &p->caps, &p->has_caps, err);
        if (r >= 0)
                r = parse_sub_object(obj, where, "execCPUAffinity", affinity_fields,
                                     ELEMENTSOF(affinity_fields), p, NULL, err);
        if (r >= 0)
                r = parse_user(obj, where, p, err);
        if (r >= 0)
                r = parse_rlimits(obj, where, p, err);
        if (r >= 0)
                r = parse_scheduler(obj, where, &p->scheduler, err);
        if (r >= 0)
                r = parse_io_priority(obj, where, &p->io_priority, err);
        return r;
}

int spec_parse_process(json_t *obj, const char *where, SpecProcess **ret, LadeError **err)
{
        where = where ? where : "";
        if (!json_is_object(obj))
                return spec_type_error(err, where, NULL, "an object", obj);

        _cleanup_(spec_process_freep) SpecProcess *p = xmalloc0(sizeof(*p));
        int r = parse_process_fields(obj, where, p, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}

SpecProcess *spec_process_free(SpecProcess *p)
{
        if (!p)
                return NULL;
        free(p->user.additional_gids);
        free(p->user.username);
        strv_free(p->args);
        free(p->command_line);
        strv_free(p->env);
        free(p->cwd);
        strv_free(p->caps.bounding);
        strv_free(p->caps.effective);
        strv_free(p->caps.inheritable);
        strv_free(p->caps.permitted);
        strv_free(p->caps.ambient);
        spec_objects_free(p->rlimits, p->n_rlimits, &rlimit_type);
        free(p->apparmor_profile);
        free(p->selinux_label);
        free(p->io_priority.klass);
        free(p->scheduler.policy);
        strv_free(p->scheduler.flags);
        free(p->exec_cpu_affinity_initial);
        free(p->exec_cpu_affinity_final);
        free(p);
        return NULL;
}

/* ---- id mappings (mounts[] and linux) ---- */

static void idmap_done(void *elem)
{
}

static int idmap_parse(json_t *o, const char *where, void *elem, LadeError **err)
{
        static const SpecField fields[] = {
                { "containerID", SPEC_FIELD_U32, offsetof(SpecIdMap, container_id), true },
                { "hostID", SPEC_FIELD_U32, offsetof(SpecIdMap, host_id), true },
                { "size", SPEC_FIELD_U32, offsetof(SpecIdMap, size), true, SPEC_RANGE(1,
                  UINT32_MAX) },
        };
        return spec_read_table(o, where, fields, elem, err);
}

const SpecElemType spec_idmap_type = { sizeof(SpecIdMap), idmap_parse, idmap_done };

/* ---- mounts, hooks ---- */

static void mount_done(void *elem)
{
        SpecMount *m = elem;
        free(m->destination);
        free(m->type);
        free(m->source);
        strv_free(m->options);
        free(m->uid_mappings);
        free(m->gid_mappings);
}

static int mount_parse(json_t *o, const char *where, void *elem, LadeError **err)
{
        static const SpecField fields[] = {
                { "destination", SPEC_FIELD_STRING, offsetof(SpecMount, destination), true },
                { "type", SPEC_FIELD_STRING, offsetof(SpecMount, type) },
                { "source", SPEC_FIELD_STRING, offsetof(SpecMount, source) },
                { "options", SPEC_FIELD_STRV, offsetof(SpecMount, options) },
        };
        SpecMount *m = elem;
        int r = spec_read_table(o, where, fields, m, err);
        if (r < 0)
                return r;
        /* relative destinations are kept: runc resolves them against "/" */
        if (m->destination[0] == '\0')
                return spec_field_error(err, where, "destination", "must not be empty");
        r = spec_get_objects(o, where, "uidMappings", &spec_idmap_type, (void **) &m->uid_mappings,
                             &m->n_uid_mappings, err);
        if (r < 0)
                return r;
        return spec_get_objects(o, where, "gidMappings", &spec_idmap_type,
                                (void **) &m->gid_mappings, &m->n_gid_mappings, err);
}

static const SpecElemType mount_type = { sizeof(SpecMount), mount_parse, mount_done };

static void hook_done(void *elem)
{
        SpecHook *h = elem;
        free(h->path);
        strv_free(h->args);
        strv_free(h->env);
}

static int hook_parse(json_t *o, const char *where, void *elem, LadeError **err)
{
        static const SpecField fields[] = {
                { "path", SPEC_FIELD_PATH, offsetof(SpecHook, path), true },
                { "args", SPEC_FIELD_STRV, offsetof(SpecHook, args) },
                { "env", SPEC_FIELD_STRV, offsetof(SpecHook, env) },
                { "timeout", SPEC_FIELD_OPT_I64, offsetof(SpecHook, timeout), SPEC_RANGE(1,
                  INT64_MAX) },
        };
        return spec_read_table(o, where, fields, elem, err);
}

static const SpecElemType hook_type = { sizeof(SpecHook), hook_parse, hook_done };

static int parse_hooks(json_t *doc, Spec *s, LadeError **err)
{
        json_t *o;
        int r = spec_get_object(doc, "", "hooks", &o, err);
        if (r < 0 || !o)
                return r;
        for (int k = 0; k < _SPEC_HOOK_MAX; k++) {
                r = spec_get_objects(o, "hooks", hook_names[k], &hook_type, (void **) &s->hooks[k],
                                     &s->n_hooks[k], err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- the document ---- */

static int parse_process_member(json_t *doc, Spec *s, LadeError **err)
{
        json_t *o;
        int r = spec_get_object(doc, "", "process", &o, err);
        if (r < 0 || !o)
                return r;
        return spec_parse_process(o, "process", &s->process, err);
}

static int parse_root(json_t *doc, Spec *s, LadeError **err)
{
        static const SpecField fields[] = {
                { "path", SPEC_FIELD_STRING, offsetof(Spec, root_path), true },
                { "readonly", SPEC_FIELD_BOOL, offsetof(Spec, root_readonly) },
        };
        return parse_sub_object(doc, "", "root", fields, ELEMENTSOF(fields), s, NULL, err);
}

static int parse_linux_member(json_t *doc, Spec *s, LadeError **err)
{
        json_t *o;
        int r = spec_get_object(doc, "", "linux", &o, err);
        if (r < 0 || !o)
                return r;
        return spec_parse_linux(o, "linux", &s->linux_, err);
}

static int parse_document(json_t *doc, Spec *s, LadeError **err)
{
        static const SpecField fields[] = {
                { "ociVersion", SPEC_FIELD_STRING, offsetof(Spec, oci_version), true },
                { "hostname", SPEC_FIELD_STRING, offsetof(Spec, hostname) },
                { "domainname", SPEC_FIELD_STRING, offsetof(Spec, domainname) },
        };
        int r = spec_read_table(doc, "", fields, s, err);
        if (r >= 0)
                r = parse_process_member(doc, s, err);
        if (r >= 0)
                r = parse_root(doc, s, err);
        if (r >= 0)
                r = spec_get_objects(doc, "", "mounts", &mount_type, (void **) &s->mounts,
                                     &s->n_mounts, err);
        if (r >= 0)
                r = parse_hooks(doc, s, err);
        if (r >= 0)
                r = spec_get_kv(doc, "", "annotations", &s->annotations, &s->n_annotations, err);
        if (r >= 0)
                r = parse_linux_member(doc, s, err);
        return r;
}

int spec_parse(const char *text, size_t len, Spec **ret, LadeError **err)
{
        _cleanup_json_ json_t *doc = NULL;
        _cleanup_(spec_freep) Spec *s = NULL;

        /* json_parse_text() has no limit of its own */
        if (len > SPEC_MAX_BYTES)
                return lade_error_msg(err, EFBIG, "config.json: larger than %u bytes",
                                      SPEC_MAX_BYTES);
        int r = json_parse_text(text, len, "config.json", &doc, err);
        if (r < 0)
                return r;
        if (!json_is_object(doc))
                return lade_error_msg(err, EINVAL, "config.json: expected an object, got %s",
                                      json_type_name(doc));

        s = xmalloc0(sizeof(*s));
        r = parse_document(doc, s, err);
        if (r < 0)
                return r;
        s->json = TAKE_PTR(doc);
        *ret = TAKE_PTR(s);
        return 0;
}

int spec_load(const char *bundle_dir, Spec **ret, LadeError **err)
{
        _cleanup_free_ char *path = xasprintf("%s/config.json", bundle_dir);
        _cleanup_free_ char *text = NULL;
        size_t len;

        int r = read_file_at(AT_FDCWD, path, SPEC_MAX_BYTES, &text, &len, err);
        if (r < 0)
                return r;
        return spec_parse(text, len, ret, err);
}

Spec *spec_free(Spec *s)
{
        if (!s)
                return NULL;
        free(s->oci_version);
        spec_process_free(s->process);
        free(s->root_path);
        free(s->hostname);
        free(s->domainname);
        spec_objects_free(s->mounts, s->n_mounts, &mount_type);
        for (int k = 0; k < _SPEC_HOOK_MAX; k++)
                spec_objects_free(s->hooks[k], s->n_hooks[k], &hook_type);
        spec_kv_free(s->annotations, s->n_annotations);
        spec_linux_done(&s->linux_);
        json_decref(s->json);
        free(s);
        return NULL;
}

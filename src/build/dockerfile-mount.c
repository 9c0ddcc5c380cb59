/* RUN --mount values (buildkit's instructions/commands_runmount.go) and the small Go parsers the
 * instructions need (time.ParseDuration, strconv.ParseBool, go-units RAMInBytes). A mount is
 * checked twice as buildkit does: when the Dockerfile is parsed (values holding `$` are left for
 * later) and when the RUN is dispatched, with every value expanded. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "build-util.h"
#include "dockerfile-internal.h"
#include "util.h"

static const char *const mount_types[_DOCKERFILE_MOUNT_TYPE_MAX] = {
        [DOCKERFILE_MOUNT_BIND] = "bind",
        [DOCKERFILE_MOUNT_CACHE] = "cache",
        [DOCKERFILE_MOUNT_TMPFS] = "tmpfs",
        [DOCKERFILE_MOUNT_SECRET] = "secret",
        [DOCKERFILE_MOUNT_SSH] = "ssh",
};

int build_parse_bool(const char *s, bool *ret)
{
        static const char *const t[] = { "1", "t", "T", "TRUE", "true", "True" };
        static const char *const f[] = { "0", "f", "F", "FALSE", "false", "False" };

        for (size_t k = 0; k < ELEMENTSOF(t); k++) {
                if (streq(s, t[k])) {
                        *ret = true;
                        return 0;
                }
                if (streq(s, f[k])) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}

static int unit_scale(const char *u, size_t n, double *ret)
{
        static const struct { const char *name; double ns; } units[] = {
                { "ns", 1 }, { "us", 1e3 }, { "\xC2\xB5s", 1e3 }, { "\xCE\xBCs", 1e3 },
                { "ms", 1e6 }, { "s", 1e9 }, { "m", 60e9 }, { "h", 3600e9 },
        };
        for (size_t k = 0; k < ELEMENTSOF(units); k++)
                if (strlen(units[k].name) == n && memcmp(units[k].name, u, n) == 0) {
                        *ret = units[k].ns;
                        return 0;
                }
        return -EINVAL;
}

int build_parse_duration(const char *s, int64_t *ret, LadeError **err)
{
        _cleanup_free_ char *q = build_go_quote(s);
        const char *p = s;
        bool neg = false;
        double total = 0;

        if (*p == '-' || *p == '+')
                neg = *p++ == '-';
        if (streq(p, "0")) {
                *ret = 0;
                return 0;
        }
        if (!*p)
                return lade_error_msg(err, EINVAL, "time: invalid duration %s", q);
        while (*p) {
                const char *num = p, *u;
                double v, scale;
                size_t digits = strspn(p, "0123456789");

                p += digits;
                if (*p == '.') {
                        p++;
                        size_t frac = strspn(p, "0123456789");
                        if (digits == 0 && frac == 0)
                                return lade_error_msg(err, EINVAL, "time: invalid duration %s", q);
                        p += frac;
                } else if (digits == 0) {
                        return lade_error_msg(err, EINVAL, "time: invalid duration %s", q);
                }
                v = strtod(num, NULL);
                u = p;
                while (*p && *p != '.' && !build_is_digit((unsigned char) *p))
                        p++;
                if (u == p)
                        return lade_error_msg(err, EINVAL, "time: missing unit in duration %s", q);
                if (unit_scale(u, (size_t) (p - u), &scale) < 0) {
                        _cleanup_free_ char *unit = xstrndup(u, (size_t) (p - u));
                        _cleanup_free_ char *uq = build_go_quote(unit);
                        return lade_error_msg(err, EINVAL, "time: unknown unit %s in duration %s", uq, q);
                }
                total += v * scale;
                if (total > 9223372036854775807.0)
                        return lade_error_msg(err, EINVAL, "time: invalid duration %s", q);
        }
        *ret = (int64_t) (neg ? -total : total);
        return 0;
}

/* go-units RAMInBytes: `^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$`, binary multiples. */
static int ram_in_bytes(const char *s, int64_t *ret)
{
        const char *p = s;
        double v, mul = 1;

        if (!build_is_digit((unsigned char) *p))
                return -EINVAL;
        while (build_is_digit((unsigned char) *p) || (*p == '.' && build_is_digit((unsigned char) p[1])))
                p++;
        v = strtod(s, NULL);
        if (*p == ' ')
                p++;
        if (*p && strchr("kKmMgGtTpP", *p)) {
                const char *units = "kmgtp";
                int e = (int) (strchr(units, *p | 0x20) - units) + 1;
                mul = pow(1024, e);
                p++;
        }
        if (*p == 'i' || *p == 'I')
                p++;
        if (*p == 'b' || *p == 'B')
                p++;
        if (*p || v * mul > 9.2e18)
                return -EINVAL;
        *ret = (int64_t) (v * mul);
        return 0;
}

/* go-csvvalue: one CSV record, `"` quoting with `""` for a quote. */
static int csv_fields(const char *s, char ***ret, LadeError **err)
{
        _cleanup_strv_free_ char **v = xmalloc0(sizeof(char *));
        size_t n = 0;
        const char *p = s;

        for (;;) {
                BuildBuf f = {};
                build_buf_puts(&f, "");
                if (*p == '"') {
                        for (p++;; p++) {
                                if (!*p) {
                                        build_buf_done(&f);
                                        return lade_error_msg(err, EINVAL,
                                                              "failed to parse csv mounts: extraneous or missing \" in quoted-field");
                                }
                                if (*p == '"' && p[1] == '"') {
                                        build_buf_putc(&f, '"');
                                        p++;
                                } else if (*p == '"') {
                                        p++;
                                        break;
                                } else {
                                        build_buf_putc(&f, *p);
                                }
                        }
                        if (*p && *p != ',') {
                                build_buf_done(&f);
                                return lade_error_msg(err, EINVAL,
                                                      "failed to parse csv mounts: extraneous or missing \" in quoted-field");
                        }
                } else {
                        for (; *p && *p != ','; p++) {
                                if (*p == '"') {
                                        build_buf_done(&f);
                                        return lade_error_msg(err, EINVAL,
                                                              "failed to parse csv mounts: bare \" in non-quoted-field");
                                }
                                build_buf_putc(&f, *p);
                        }
                }
                build_strv_push(&v, &n, build_buf_steal(&f));
                if (!*p)
                        break;
                p++;
        }
        *ret = TAKE_PTR(v);
        return 0;
}

static int mount_fail_unexpected(const char *key, const char *field, LadeError **err)
{
        static const char *const keys[] = {
                "type", "from", "source", "target", "readonly", "id", "sharing", "required", "size",
                "mode", "uid", "gid", "src", "dst", "destination", "ro", "rw", "readwrite", "env",
        };
        const char *s = build_suggest(key, keys, ELEMENTSOF(keys), true);

        if (s)
                return lade_error_msg(err, EINVAL, "unexpected key '%s' in '%s' (did you mean %s?)", key, field, s);
        return lade_error_msg(err, EINVAL, "unexpected key '%s' in '%s'", key, field);
}

static int parse_uint_base(const char *s, int base, uint64_t *ret)
{
        char *end;

        if (!*s || !strchr("0123456789abcdefABCDEF", *s))
                return -EINVAL;
        errno = 0;
        unsigned long long v = strtoull(s, &end, base);
        if (errno || *end || v > UINT32_MAX)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int mount_set(DockerfileMount *m, const char *key, const char *value, const char *field,
                     bool *ro_auto, LadeError **err)
{
        if (streq(key, "type")) {
                _cleanup_free_ char *t = build_ascii_lower(value);
                for (int k = 0; k < _DOCKERFILE_MOUNT_TYPE_MAX; k++)
                        if (streq(t, mount_types[k])) {
                                m->type = (DockerfileMountType) k;
                                return 0;
                        }
                _cleanup_free_ char *q = build_go_quote(value);
                const char *s = build_suggest(value, mount_types, _DOCKERFILE_MOUNT_TYPE_MAX, true);
                if (s)
                        return lade_error_msg(err, EINVAL, "unsupported mount type %s (did you mean %s?)", q, s);
                return lade_error_msg(err, EINVAL, "unsupported mount type %s", q);
        }
        char **str = streq(key, "from") ? &m->from
                   : streq(key, "source") || streq(key, "src") ? &m->source
                   : streq(key, "target") || streq(key, "dst") || streq(key, "destination") ? &m->target
                   : streq(key, "id") ? &m->id
                   : streq(key, "env") ? &m->env : NULL;
        if (str) {
                free(*str);
                *str = xstrdup(value);
                return 0;
        }
        bool b;
        if (streq(key, "readonly") || streq(key, "ro") || streq(key, "readwrite") || streq(key, "rw")) {
                if (build_parse_bool(value, &b) < 0)
                        return lade_error_msg(err, EINVAL, "invalid value for %s: %s", key, value);
                m->readonly = streq(key, "readonly") || streq(key, "ro") ? b : !b;
                *ro_auto = false;
                return 0;
        }
        if (streq(key, "required")) {
                if (m->type != DOCKERFILE_MOUNT_SECRET && m->type != DOCKERFILE_MOUNT_SSH)
                        return lade_error_msg(err, EINVAL, "unexpected key '%s' for mount type '%s'", key,
                                              mount_types[m->type]);
                if (build_parse_bool(value, &m->required) < 0)
                        return lade_error_msg(err, EINVAL, "invalid value for %s: %s", key, value);
                return 0;
        }
        if (streq(key, "size")) {
                if (m->type != DOCKERFILE_MOUNT_TMPFS)
                        return lade_error_msg(err, EINVAL, "unexpected key '%s' for mount type '%s'", key,
                                              mount_types[m->type]);
                if (ram_in_bytes(value, &m->size) < 0)
                        return lade_error_msg(err, EINVAL, "invalid value for %s: %s", key, value);
                return 0;
        }
        if (streq(key, "sharing")) {
                _cleanup_free_ char *v = build_ascii_lower(value);
                static const char *const modes[] = { "shared", "private", "locked" };
                if (!streq(v, "shared") && !streq(v, "private") && !streq(v, "locked")) {
                        _cleanup_free_ char *q = build_go_quote(value);
                        const char *s = build_suggest(value, modes, ELEMENTSOF(modes), true);
                        if (s)
                                return lade_error_msg(err, EINVAL, "unsupported sharing value %s (did you mean %s?)", q, s);
                        return lade_error_msg(err, EINVAL, "unsupported sharing value %s", q);
                }
                free(m->sharing);
                m->sharing = TAKE_PTR(v);
                return 0;
        }
        if (streq(key, "mode") || streq(key, "uid") || streq(key, "gid")) {
                bool mode = streq(key, "mode");
                uint64_t *dst = mode ? &m->mode : streq(key, "uid") ? &m->uid : &m->gid;
                if (parse_uint_base(value, mode ? 8 : 10, dst) < 0)
                        return lade_error_msg(err, EINVAL, "invalid value %s for %s", value, key);
                *(mode ? &m->has_mode : streq(key, "uid") ? &m->has_uid : &m->has_gid) = true;
                return 0;
        }
        return mount_fail_unexpected(key, field, err);
}

static int mount_finish(DockerfileMount *m, bool ro_auto, LadeError **err)
{
        const char *t = mount_types[m->type];
        bool file_info = m->type == DOCKERFILE_MOUNT_SECRET || m->type == DOCKERFILE_MOUNT_SSH ||
                         m->type == DOCKERFILE_MOUNT_CACHE;

        if (!file_info && m->has_mode)
                return lade_error_msg(err, EINVAL, "mode not allowed for \"%s\" type mounts", t);
        if (!file_info && m->has_uid)
                return lade_error_msg(err, EINVAL, "uid not allowed for \"%s\" type mounts", t);
        if (!file_info && m->has_gid)
                return lade_error_msg(err, EINVAL, "gid not allowed for \"%s\" type mounts", t);
        if (ro_auto)
                m->readonly = !(m->type == DOCKERFILE_MOUNT_CACHE || m->type == DOCKERFILE_MOUNT_TMPFS);
        if (m->type == DOCKERFILE_MOUNT_SECRET) {
                if (m->from)
                        return lade_error_msg(err, EINVAL, "secret mount should not have a from");
                if (m->sharing)
                        return lade_error_msg(err, EINVAL, "secret mount should not define sharing");
                if (!m->source && !m->target && !m->id)
                        return lade_error_msg(err, EINVAL, "invalid secret mount. one of source, target required");
                if (m->source && m->id)
                        return lade_error_msg(err, EINVAL, "both source and id can't be set");
        }
        if (m->sharing && m->type != DOCKERFILE_MOUNT_CACHE)
                return lade_error_msg(err, EINVAL, "invalid cache sharing set for %s mount", t);
        return 0;
}

int dockerfile_mount_parse(const char *value, DockerfileExpandFunc expand, void *userdata,
                           DockerfileMount **ret, LadeError **err)
{
        _cleanup_(dockerfile_mount_freep) DockerfileMount *m = xmalloc0(sizeof(*m));
        _cleanup_strv_free_ char **fields = NULL;
        bool ro_auto = true, deferred = false;
        int r;

        r = csv_fields(value, &fields, err);
        if (r < 0)
                return r;
        for (size_t k = 0; fields[k]; k++) {
                const char *eq = strchr(fields[k], '=');
                _cleanup_free_ char *raw_key = eq ? xstrndup(fields[k], (size_t) (eq - fields[k])) : xstrdup(fields[k]);
                _cleanup_free_ char *key = build_ascii_lower(raw_key), *v = NULL;

                if (!eq) {
                        if (streq(key, "readonly") || streq(key, "ro") || streq(key, "readwrite") || streq(key, "rw")) {
                                m->readonly = streq(key, "readonly") || streq(key, "ro");
                                ro_auto = false;
                                continue;
                        }
                        if (streq(key, "required")) {
                                if (m->type != DOCKERFILE_MOUNT_SECRET && m->type != DOCKERFILE_MOUNT_SSH)
                                        return lade_error_msg(err, EINVAL, "unexpected key '%s' for mount type '%s'",
                                                              key, mount_types[m->type]);
                                m->required = true;
                                continue;
                        }
                        return lade_error_msg(err, EINVAL, "invalid field '%s' must be a key=value pair", fields[k]);
                }
                if (expand) {
                        r = expand(userdata, eq + 1, &v, err);
                        if (r < 0)
                                return r;
                } else if (strchr(eq + 1, '$')) {
                        const char *d = strchr(eq + 1, '$');
                        if (streq(key, "from") && d[1] != 0)
                                return lade_error_msg(err, EINVAL,
                                                      "'%s' doesn't support variable expansion, define alias stage instead", key);
                        if (!streq(key, "from")) {
                                /* checked again once the RUN is dispatched with its variables */
                                deferred = true;
                                continue;
                        }
                        v = xstrdup(eq + 1);
                } else {
                        v = xstrdup(eq + 1);
                }
                r = mount_set(m, key, v, fields[k], &ro_auto, err);
                if (r < 0)
                        return r;
        }
        if (!deferred) {
                r = mount_finish(m, ro_auto, err);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(m);
        return 0;
}

DockerfileMount *dockerfile_mount_free(DockerfileMount *m)
{
        if (!m)
                return NULL;
        free(m->from);
        free(m->source);
        free(m->target);
        free(m->id);
        free(m->sharing);
        free(m->env);
        free(m);
        return NULL;
}

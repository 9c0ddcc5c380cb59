/* One entry of HostConfig.Mounts (`--mount`), validated as the API router and moby's
 * linux_parser validateMountConfigImpl do, with their messages:
 *   invalid mount config for type "bind": bind source path does not exist: /x
 * A bind source must exist unless BindOptions.CreateMountpoint; tmpfs options become the data
 * string of ConvertTmpfsOptions ("ro,mode=1777,size=64m,exec"). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "container-spec-mounts.h"
#include "json-util.h"
#include "util.h"

typedef struct ApiMount {
        const char *type, *source, *target;
        bool read_only;
        json_t *bind_opts, *volume_opts, *tmpfs_opts, *image_opts;
} ApiMount;

_printf_(3, 4) static int config_error(LadeError **err, const char *type, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *msg = xvasprintf(fmt, ap);
        va_end(ap);
        return lade_error_msg(err, EINVAL, "invalid mount config for type \"%s\": %s", type, msg);
}

int cspec_check_mount_target(const char *type, const char *target, LadeError **err)
{
        if (!target || !*target)
                return config_error(err, type, "field %s must not be empty", "Target");
        _cleanup_free_ char *clean = cspec_path_clean(target);
        if (streq(clean, "/"))
                return config_error(err, type, "%s",
                                    "invalid specification: destination can't be '/'");
        if (target[0] != '/')
                return config_error(err, type,
                                    "invalid mount path: '%s' mount path must be absolute", target);
        return 0;
}

static int read_api_mount(json_t *o, const char *where, ApiMount *m, LadeError **err)
{
        if (!json_is_object(o))
                return lade_error_msg(err, EINVAL, "%s: expected an object, got %s", where,
                                      json_type_name(o));
        int r = cspec_string(o, where, "Type", &m->type, err);
        if (r >= 0)
                r = cspec_string(o, where, "Source", &m->source, err);
        if (r >= 0)
                r = cspec_string(o, where, "Target", &m->target, err);
        if (r >= 0)
                r = cspec_bool(o, where, "ReadOnly", &m->read_only, err);
        if (r >= 0)
                r = cspec_object(o, where, "BindOptions", &m->bind_opts, err);
        if (r >= 0)
                r = cspec_object(o, where, "VolumeOptions", &m->volume_opts, err);
        if (r >= 0)
                r = cspec_object(o, where, "TmpfsOptions", &m->tmpfs_opts, err);
        if (r >= 0)
                r = cspec_object(o, where, "ImageOptions", &m->image_opts, err);
        if (!m->type)
                m->type = "";
        if (!m->source)
                m->source = "";
        return r;
}

/* The API router's checks (API >= 1.42): options of another mount type are refused. */
static int check_option_types(const ApiMount *m, LadeError **err)
{
        if (m->volume_opts && !streq(m->type, "volume"))
                return lade_error_msg(err, EINVAL, "VolumeOptions must not be specified on mount "
                                      "type \"%s\"", m->type);
        if (m->bind_opts && !streq(m->type, "bind"))
                return lade_error_msg(err, EINVAL,
                                      "BindOptions must not be specified on mount type "
                                      "\"%s\"",
                                      m->type);
        if (m->tmpfs_opts && !streq(m->type, "tmpfs"))
                return lade_error_msg(err, EINVAL, "TmpfsOptions must not be specified on mount "
                                      "type \"%s\"", m->type);
        if (m->image_opts && !streq(m->type, "image"))
                return config_error(err, m->type, "field %s must not be specified", "ImageOptions");
        return 0;
}

/* ---- bind ---- */

static bool is_propagation(const char *s)
{
        static const char *const modes[] = { "private", "rprivate", "slave", "rslave", "shared",
                                             "rshared" };
        for (size_t i = 0; i < ELEMENTSOF(modes); i++)
                if (streq(s, modes[i]))
                        return true;
        return false;
}

static int bind_flags(const ApiMount *m, const char *where, CMount *ret, bool *ret_create,
                      LadeError **err)
{
        _cleanup_free_ char *w = xasprintf("%s.BindOptions", where);
        const char *prop = NULL;
        bool create = false;
        int r = cspec_string(m->bind_opts, w, "Propagation", &prop, err);
        if (r >= 0)
                r = cspec_bool(m->bind_opts, w, "NonRecursive", &ret->non_recursive, err);
        if (r >= 0)
                r = cspec_bool(m->bind_opts, w, "CreateMountpoint", &create, err);
        if (r >= 0)
                r = cspec_bool(m->bind_opts, w, "ReadOnlyNonRecursive", &ret->ro_non_recursive,
                               err);
        if (r >= 0)
                r = cspec_bool(m->bind_opts, w, "ReadOnlyForceRecursive", &ret->ro_force_recursive,
                               err);
        if (r < 0)
                return r;
        if (prop && *prop && !is_propagation(prop))
                return config_error(err, "bind", "invalid propagation mode: %s", prop);
        ret->propagation = xstrdup(prop && *prop ? prop : "rprivate");
        *ret_create = create;
        return 0;
}

/* dockerd's setupMounts: the read-only variants need ReadOnly, and exclude each other. */
static int check_ro_flags(const ApiMount *m, const CMount *c, LadeError **err)
{
        if (!m->read_only && c->ro_non_recursive)
                return lade_error_msg(err, EINVAL, "mount options conflict: !ReadOnly && "
                                      "BindOptions.ReadOnlyNonRecursive");
        if (!m->read_only && c->ro_force_recursive)
                return lade_error_msg(err, EINVAL, "mount options conflict: !ReadOnly && "
                                      "BindOptions.ReadOnlyForceRecursive");
        if (c->ro_non_recursive && c->ro_force_recursive)
                return lade_error_msg(err, EINVAL,
                                      "mount options conflict: ReadOnlyNonRecursive && "
                                      "BindOptions.ReadOnlyForceRecursive");
        return 0;
}

static int parse_bind(const ApiMount *m, const char *where, CMount *ret, LadeError **err)
{
        bool create = false;
        if (!*m->source)
                return config_error(err, "bind", "field %s must not be empty", "Source");
        int r = bind_flags(m, where, ret, &create, err);
        if (r < 0)
                return r;
        if (m->source[0] != '/')
                return config_error(err, "bind", "invalid mount path: '%s' mount path must be "
                                    "absolute", m->source);
        struct stat st;
        if (stat(m->source, &st) < 0) {
                if (errno != ENOENT)
                        return config_error(err, "bind", "%s", strerror(errno));
                if (!create)
                        return config_error(err, "bind", "bind source path does not exist: %s",
                                            m->source);
                if ((r = mkdir_p(m->source, 0755)) < 0)
                        return lade_error(err, -r, "error while creating mount source path '%s'",
                                          m->source);
        }
        r = check_ro_flags(m, ret, err);
        if (r < 0)
                return r;
        ret->source = cspec_path_clean(m->source);
        ret->destination = cspec_path_clean(m->target);
        ret->writable = !m->read_only;
        return 0;
}

/* ---- tmpfs ---- */

_printf_(2, 3) static void append_opt(char **data, const char *fmt, ...);

static int tmpfs_extra_options(json_t *opts, char **data, LadeError **err)
{
        size_t i;
        json_t *o;
        json_array_foreach(opts, i, o) {
                size_t n = json_array_size(o);
                if (n < 1 || n > 2)
                        return config_error(err, "tmpfs", "%s", "invalid option array length");
                const char *k = json_string_value(json_array_get(o, 0));
                const char *v = json_string_value(json_array_get(o, 1));
                if (!streq(k, "exec") && !streq(k, "noexec"))
                        return config_error(err, "tmpfs", "invalid option: %s", k ? k : "");
                append_opt(data, "%s%s%s", k, n == 2 ? "=" : "", n == 2 && v ? v : "");
        }
        return 0;
}

_printf_(2, 3) static void append_opt(char **data, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *opt = xvasprintf(fmt, ap);
        va_end(ap);
        char *n = xasprintf("%s%s%s", *data, **data ? "," : "", opt);
        free(*data);
        *data = n;
}

/* "size=<n>" with the largest unit (g, m, k) that divides it evenly. */
static void append_size(char **data, int64_t size)
{
        static const struct { const char *suffix; int64_t div; } units[] = {
                { "g", 1LL << 30 }, { "m", 1LL << 20 }, { "k", 1LL << 10 },
        };
        const char *suffix = "";
        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if (size % units[i].div == 0) {
                        size /= units[i].div;
                        suffix = units[i].suffix;
                        break;
                }
        append_opt(data, "size=%lld%s", (long long) size, suffix);
}

/* ConvertTmpfsOptions */
static int tmpfs_data(const ApiMount *m, const char *where, char **ret, LadeError **err)
{
        int64_t size = 0, mode = 0;
        json_t *opts = NULL;
        _cleanup_free_ char *w = xasprintf("%s.TmpfsOptions", where);
        int r = cspec_int(m->tmpfs_opts, w, "SizeBytes", &size, err);
        if (r >= 0)
                r = cspec_int(m->tmpfs_opts, w, "Mode", &mode, err);
        if (r >= 0)
                r = cspec_array(m->tmpfs_opts, w, "Options", &opts, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *data = xstrdup(m->read_only ? "ro" : "");
        if (mode != 0)
                append_opt(&data, "mode=%llo", (unsigned long long) (uint32_t) mode);
        if (size != 0)
                append_size(&data, size);
        r = tmpfs_extra_options(opts, &data, err);
        if (r >= 0)
                *ret = TAKE_PTR(data);
        return r;
}

static int parse_tmpfs(const ApiMount *m, const char *where, CMount *ret, LadeError **err)
{
        if (*m->source)
                return config_error(err, "tmpfs", "field %s must not be specified", "Source");
        int r = tmpfs_data(m, where, &ret->data, err);
        if (r < 0)
                return r;
        ret->tmpfs = true;
        ret->source = xstrdup("tmpfs");
        ret->destination = cspec_path_clean(m->target);
        ret->writable = !m->read_only;
        return 0;
}

int cspec_parse_api_mount(json_t *o, size_t idx, CMount *ret, LadeError **err)
{
        char where[64];
        snprintf(where, sizeof(where), "HostConfig.Mounts[%zu]", idx);
        ApiMount m = {};
        int r = read_api_mount(o, where, &m, err);
        if (r >= 0)
                r = check_option_types(&m, err);
        if (r >= 0)
                r = cspec_check_mount_target(m.type, m.target, err);
        if (r < 0)
                return r;
        if (streq(m.type, "bind"))
                r = parse_bind(&m, where, ret, err);
        else if (streq(m.type, "tmpfs"))
                r = parse_tmpfs(&m, where, ret, err);
        else if (streq(m.type, "volume"))
                r = lade_error_msg(err, ENOTSUP, "%s volumes are not supported yet",
                                   *m.source ? "named" : "anonymous");
        else if (streq(m.type, "image"))
                r = lade_error_msg(err, ENOTSUP, "image mounts are not supported yet");
        else
                r = config_error(err, m.type, "%s", "mount type unknown");
        if (r < 0)
                cspec_mount_done(ret);
        return r;
}

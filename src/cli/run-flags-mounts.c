/* Storage and devices of `docker run`: --mount (opts.MountOpt), -v (the compose loader's
 * ParseVolume, which decides bind vs volume), --device (validateLinuxPath + parseLinuxDevice,
 * with CDI names turned into a device request) and --gpus (opts.GpuOpts). */
#include <ctype.h>
#include <string.h>

#include "json-util.h"
#include "run-flags-internal.h"
#include "util.h"

typedef struct MountSpec {
        char *type, *source, *target, *consistency;
        bool readonly;
        json_t *bind;       /* BindOptions, when any bind-* option was given */
        json_t *volume;     /* VolumeOptions (with its DriverConfig) */
        json_t *image;      /* ImageOptions */
        json_t *tmpfs;      /* TmpfsOptions */
} MountSpec;

static void mount_spec_done(MountSpec *m)
{
        free(m->type);
        free(m->source);
        free(m->target);
        free(m->consistency);
        json_decref(m->bind);
        json_decref(m->volume);
        json_decref(m->image);
        json_decref(m->tmpfs);
}

static char *lower_dup(const char *s)
{
        char *r = xstrdup(s);
        for (char *p = r; *p; p++)
                *p = (char) tolower((unsigned char) *p);
        return r;
}

static void set_str(char **dst, const char *v)
{
        free(*dst);
        *dst = xstrdup(v);
}

static json_t *opts_obj(json_t **o)
{
        if (!*o)
                *o = json_object();
        return *o;
}

static json_t *volume_driver(MountSpec *m)
{
        json_t *v = opts_obj(&m->volume), *d = json_object_get(v, "DriverConfig");
        if (!d) {
                d = json_object();
                json_object_set_new(v, "DriverConfig", d);
        }
        return d;
}

/* setValueOnMap: "k=v" into obj[key], ignoring an empty k. */
static void set_on_map(json_t *parent, const char *key, const char *kv)
{
        const char *eq = strchr(kv, '=');
        _cleanup_free_ char *k = eq ? xstrndup(kv, (size_t) (eq - kv)) : xstrdup(kv);
        json_t *map = json_object_get(parent, key);
        if (!*k)
                return;
        if (!map) {
                map = json_object();
                json_object_set_new(parent, key, map);
        }
        json_object_set_new(map, k, json_string(eq ? eq + 1 : ""));
}

static int bad_value(const char *key, const char *val, LadeError **err)
{
        return lade_error_msg(err, EINVAL, "invalid value for %s: %s", key, val);
}

/* Go's omitempty: a false, empty or zero option is absent, its struct stays. */
static void set_opt(json_t *obj, const char *field, json_t *v)
{
        if (json_is_false(v) || (json_is_string(v) && !*json_string_value(v)) ||
            (json_is_integer(v) && json_integer_value(v) == 0)) {
                json_object_del(obj, field);
                json_decref(v);
        } else
                json_object_set_new(obj, field, v);
}

static int mount_bool(const char *key, const char *val, json_t *obj, const char *field,
                      bool *dst, LadeError **err)
{
        bool b;
        _cleanup_free_ char *msg = NULL;
        if (go_parse_bool(val, &b, &msg) < 0)
                return bad_value(key, val, err);
        if (dst)
                *dst = b;
        else
                set_opt(obj, field, json_boolean(b));
        return 0;
}

static int mount_bind_recursive(MountSpec *m, const char *key, const char *val, LadeError **err)
{
        static const char *const modes[][2] = {
                { "disabled", "NonRecursive" },
                { "writable", "ReadOnlyNonRecursive" },
                { "readonly", "ReadOnlyForceRecursive" },
        };
        if (streq(val, "enabled"))
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(modes); i++)
                if (streq(val, modes[i][0])) {
                        json_object_set_new(opts_obj(&m->bind), modes[i][1], json_true());
                        return 0;
                }
        return lade_error_msg(err, EINVAL, "invalid value for %s: %s (must be \"enabled\", \"disabled\", "
                              "\"writable\", or \"readonly\")", key, val);
}

static int mount_tmpfs(MountSpec *m, const char *key, const char *val, LadeError **err)
{
        _cleanup_free_ char *msg = NULL;
        int64_t size;
        uint64_t mode;
        if (streq(key, "tmpfs-size")) {
                if (go_ram_in_bytes(val, &size, &msg) < 0)
                        return bad_value(key, val, err);
                set_opt(opts_obj(&m->tmpfs), "SizeBytes", json_integer(size));
        } else {
                if (go_parse_uint(val, 8, 32, &mode, &msg) < 0)
                        return bad_value(key, val, err);
                set_opt(opts_obj(&m->tmpfs), "Mode", json_integer((json_int_t) mode));
        }
        return 0;
}

static void mount_source(MountSpec *m, const char *val)
{
        set_str(&m->source, val);
        if (val[0] == '.') {
                char *abs = go_path_abs(val);
                if (abs) {
                        free(m->source);
                        m->source = abs;
                }
        }
}

static int mount_volume_field(MountSpec *m, const char *key, const char *val, LadeError **err)
{
        json_t *driver = volume_driver(m);
        if (streq(key, "volume-subpath"))
                set_opt(m->volume, "Subpath", json_string(val));
        else if (streq(key, "volume-nocopy")) {
                bool b;
                _cleanup_free_ char *msg = NULL;
                if (go_parse_bool(val, &b, &msg) < 0)
                        return lade_error_msg(err, EINVAL, "invalid value for volume-nocopy: %s", val);
                set_opt(m->volume, "NoCopy", json_boolean(b));
        } else if (streq(key, "volume-label"))
                set_on_map(m->volume, "Labels", val);
        else if (streq(key, "volume-driver"))
                set_opt(driver, "Name", json_string(val));
        else
                set_on_map(driver, "Options", val);
        return 0;
}

/* A key=value field of --mount (key already lowercased). */
static int mount_field(MountSpec *m, const char *key, const char *val, const char *field,
                       LadeError **err)
{
        if (streq(key, "type")) {
                free(m->type);
                m->type = lower_dup(val);
        } else if (streq(key, "source") || streq(key, "src"))
                mount_source(m, val);
        else if (streq(key, "target") || streq(key, "dst") || streq(key, "destination"))
                set_str(&m->target, val);
        else if (streq(key, "readonly") || streq(key, "ro"))
                return mount_bool(key, val, NULL, NULL, &m->readonly, err);
        else if (streq(key, "consistency")) {
                free(m->consistency);
                m->consistency = lower_dup(val);
        } else if (streq(key, "bind-propagation")) {
                _cleanup_free_ char *l = lower_dup(val);
                set_opt(opts_obj(&m->bind), "Propagation", json_string(l));
        } else if (streq(key, "bind-nonrecursive"))
                return mount_bool(key, val, opts_obj(&m->bind), "NonRecursive", NULL, err);
        else if (streq(key, "bind-recursive"))
                return mount_bind_recursive(m, key, val, err);
        else if (streq(key, "volume-subpath") || streq(key, "volume-nocopy") ||
                 streq(key, "volume-label") || streq(key, "volume-driver") ||
                 streq(key, "volume-opt"))
                return mount_volume_field(m, key, val, err);
        else if (streq(key, "image-subpath"))
                set_opt(opts_obj(&m->image), "Subpath", json_string(val));
        else if (streq(key, "tmpfs-size") || streq(key, "tmpfs-mode"))
                return mount_tmpfs(m, key, val, err);
        else
                return lade_error_msg(err, EINVAL, "unexpected key '%s' in '%s'", key, field);
        return 0;
}

/* A field without '=': the flag-like options, or an error. */
static int mount_flag_field(MountSpec *m, const char *key, const char *field, LadeError **err)
{
        if (streq(key, "readonly") || streq(key, "ro"))
                m->readonly = true;
        else if (streq(key, "volume-nocopy")) {
                (void) volume_driver(m);
                json_object_set_new(m->volume, "NoCopy", json_true());
        } else if (streq(key, "bind-nonrecursive"))
                json_object_set_new(opts_obj(&m->bind), "NonRecursive", json_true());
        else
                return lade_error_msg(err, EINVAL, "invalid field '%s' must be a key=value pair", field);
        return 0;
}

static int mount_check(const MountSpec *m, LadeError **err)
{
        static const char *const kinds[] = { "volume", "image", "bind", "tmpfs" };
        json_t *const opts[] = { m->volume, m->image, m->bind, m->tmpfs };
        if (!*m->type)
                return lade_error_msg(err, EINVAL, "type is required");
        if (!m->target || !*m->target)
                return lade_error_msg(err, EINVAL, "target is required");
        for (size_t i = 0; i < ELEMENTSOF(kinds); i++)
                if (opts[i] && !streq(m->type, kinds[i]))
                        return lade_error_msg(err, EINVAL, "cannot mix '%s-*' options with mount type '%s'",
                                              kinds[i], m->type);
        if (json_is_true(json_object_get(m->bind, "ReadOnlyNonRecursive")) && !m->readonly)
                return lade_error_msg(err, EINVAL, "option 'bind-recursive=writable' requires 'readonly' "
                                      "to be specified in conjunction");
        if (json_is_true(json_object_get(m->bind, "ReadOnlyForceRecursive"))) {
                if (!m->readonly)
                        return lade_error_msg(err, EINVAL, "option 'bind-recursive=readonly' requires "
                                              "'readonly' to be specified in conjunction");
                if (!streq(json_string_value(json_object_get(m->bind, "Propagation")), "rprivate"))
                        return lade_error_msg(err, EINVAL, "option 'bind-recursive=readonly' requires "
                                              "'bind-propagation=rprivate' to be specified in conjunction");
        }
        return 0;
}

static json_t *mount_json(const MountSpec *m)
{
        json_t *j = json_pack("{s:s}", "Type", m->type);
        if (m->source && *m->source)
                json_object_set_new(j, "Source", json_string(m->source));
        json_object_set_new(j, "Target", json_string(m->target));
        if (m->readonly)
                json_object_set_new(j, "ReadOnly", json_true());
        if (m->consistency && *m->consistency)
                json_object_set_new(j, "Consistency", json_string(m->consistency));
        if (m->bind)
                json_object_set(j, "BindOptions", m->bind);
        if (m->volume)
                json_object_set(j, "VolumeOptions", m->volume);
        if (m->image)
                json_object_set(j, "ImageOptions", m->image);
        if (m->tmpfs)
                json_object_set(j, "TmpfsOptions", m->tmpfs);
        return j;
}

static int mount_fields(MountSpec *m, char **fields, LadeError **err)
{
        for (char **f = fields; *f; f++) {
                const char *eq = strchr(*f, '=');
                _cleanup_free_ char *raw = eq ? xstrndup(*f, (size_t) (eq - *f)) : xstrdup(*f);
                _cleanup_free_ char *key = lower_dup(raw);
                int r = eq ? mount_field(m, key, eq + 1, *f, err) : mount_flag_field(m, key, *f, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int run_set_mount(RunOpts *o, RunOpt opt, const char *value, LadeError **err)
{
        _cleanup_strv_free_ char **fields = NULL;
        _cleanup_free_ char *msg = NULL;
        MountSpec m = { .type = xstrdup("volume") };
        int r = go_csv_record(value, &fields, &msg);
        if (r < 0)
                r = lade_error_msg(err, EINVAL, "%s", msg);
        if (r >= 0)
                r = mount_fields(&m, fields, err);
        if (r >= 0)
                r = mount_check(&m, err);
        if (r >= 0)
                json_array_append_new(o->mounts, mount_json(&m));
        mount_spec_done(&m);
        return r;
}

/* What ParseVolume learns from a -v spec: enough to tell bind from volume. */
typedef struct VolumeSpec {
        char *source, *target;
} VolumeSpec;

static bool is_drive(const char *buf, size_t n, char c)
{
        return c == ':' && n == 1 && isalpha((unsigned char) buf[0]);
}

/* populateFieldFromBuffer: the first section is the source (or, alone, the target), the
 * second the target, the third the options (which only matter to swarm). */
static int volume_section(VolumeSpec *v, const char *buf, size_t n, bool end, LadeError **err)
{
        if (n == 0)
                return lade_error_msg(err, EINVAL, "empty section between colons");
        if (!v->source && end)
                v->target = xstrndup(buf, n);
        else if (!v->source)
                v->source = xstrndup(buf, n);
        else if (!v->target)
                v->target = xstrndup(buf, n);
        else if (!end)
                return lade_error_msg(err, EINVAL, "too many colons");
        return 0;
}

static int parse_volume(const char *spec, VolumeSpec *v, LadeError **err)
{
        size_t len = strlen(spec), n = 0;
        _cleanup_free_ char *buf = xmalloc(len + 1);
        if (len == 0)
                return lade_error_msg(err, EINVAL, "invalid empty volume spec");
        if (len <= 2) {
                v->target = xstrdup(spec);
                return 0;
        }
        for (size_t i = 0; i <= len; i++) {
                char c = spec[i];
                if (is_drive(buf, n, c))
                        buf[n++] = c;
                else if (c == ':' || c == '\0') {
                        int r = volume_section(v, buf, n, c == '\0', err);
                        if (r < 0)
                                return lade_error_wrap(err, "invalid spec: %s", spec);
                        n = 0;
                } else
                        buf[n++] = c;
        }
        return 0;
}

static void add_bind(json_t *host, const char *spec)
{
        json_t *binds = json_object_get(host, "Binds");
        const char *colon = strchr(spec, ':');
        _cleanup_free_ char *host_part = colon ? xstrndup(spec, (size_t) (colon - spec)) : NULL;
        _cleanup_free_ char *bind = NULL;
        if (host_part && host_part[0] == '.') {
                char *abs = go_path_abs(host_part);
                if (abs) {
                        free(host_part);
                        host_part = abs;
                }
        }
        bind = host_part ? xasprintf("%s:%s", host_part, colon + 1) : xstrdup(spec);
        if (!json_is_array(binds)) {
                binds = json_array();
                json_object_set_new(host, "Binds", binds);
        }
        json_array_append_new(binds, json_string(bind));
}

static bool strv_contains_before(char **v, size_t n, const char *s)
{
        for (size_t i = 0; i < n; i++)
                if (streq(v[i], s))
                        return true;
        return false;
}

int run_build_volumes(RunOpts *o, json_t *config, json_t *host, LadeError **err)
{
        char **vols = o->v[OPT_VOLUME].list;
        json_t *volumes = json_object();
        json_object_set_new(config, "Volumes", volumes);
        for (size_t i = 0; vols && vols[i]; i++) {
                VolumeSpec v = {};
                if (strv_contains_before(vols, i, vols[i]))
                        continue;
                int r = parse_volume(vols[i], &v, err);
                /* a named volume ("name:/dst") is sent as a bind too; only a bind's relative
                 * "./x" source is made absolute, and a named volume cannot start with '.' */
                if (r >= 0 && v.source)
                        add_bind(host, vols[i]);
                else if (r >= 0)
                        json_object_set_new(volumes, vols[i], json_object());
                free(v.source);
                free(v.target);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* validDeviceMode: a non-empty set of r, w, m, each at most once. */
static bool device_mode_valid(const char *m)
{
        if (!*m)
                return false;
        for (const char *p = m; *p; p++)
                if (!strchr("rwm", *p) || strchr(p + 1, *p))
                        return false;
        return true;
}

/* strings.SplitN(s, sep, n): empty parts kept. */
static char **split_n(const char *s, char sep, size_t n)
{
        char **v = NULL;
        for (size_t k = 1;; k++) {
                const char *p = k < n ? strchr(s, sep) : NULL;
                if (!p) {
                        return strv_append(v, s);
                }
                _cleanup_free_ char *part = xstrndup(s, (size_t) (p - s));
                v = strv_append(v, part);
                s = p + 1;
        }
}

/* validateLinuxPath(val, validDeviceMode): [host:]container[:mode], normalised. */
static int device_validate(const char *val, char **ret, LadeError **err)
{
        size_t colons = 0;
        for (const char *p = val; *p; p++)
                colons += *p == ':';
        _cleanup_strv_free_ char **split = split_n(val, ':', 3);
        if (colons > 2 || !*split[0])
                return lade_error_msg(err, EINVAL, "bad format for path: %s", val);
        if (colons == 2 && !device_mode_valid(split[2]))
                return lade_error_msg(err, EINVAL, "bad mode specified: %s", split[2]);
        bool mode2 = colons == 1 && device_mode_valid(split[1]);
        const char *cpath = colons == 0 || mode2 ? split[0] : split[1];
        _cleanup_free_ char *clean = go_path_clean(cpath);
        if (cpath[0] != '/')
                return lade_error_msg(err, EINVAL, "%s is not an absolute path", cpath);
        if (colons == 0)
                *ret = TAKE_PTR(clean);
        else if (mode2)
                *ret = xasprintf("%s:%s", clean, split[1]);
        else if (colons == 1)
                *ret = xasprintf("%s:%s", split[0], clean);
        else
                *ret = xstrdup(val);
        return 0;
}

/* parseLinuxDevice of a validated spec. */
static json_t *device_mapping(const char *spec)
{
        _cleanup_strv_free_ char **arr = split_n(spec, ':', 4);
        size_t n = strv_length(arr);
        const char *perms = "rwm", *dst = "";
        if (n == 3)
                perms = arr[2];
        if (n >= 2) {
                if (device_mode_valid(arr[1]))
                        perms = arr[1];
                else
                        dst = arr[1];
        }
        return json_pack("{s:s,s:s,s:s}", "PathOnHost", arr[0], "PathInContainer",
                         *dst ? dst : arr[0], "CgroupPermissions", perms);
}

/* cdi's validateVendorOrClassName / ValidateDeviceName, as booleans. A one-letter vendor or
 * class makes docker panic (it slices name[1:0]); here it is simply not a CDI name. */
static bool cdi_name_ok(const char *s, size_t n, bool device)
{
        if (n == 0 || !(device ? isalnum((unsigned char) s[0]) : isalpha((unsigned char) s[0])))
                return false;
        if (n == 1)
                return device;
        for (size_t i = 1; i + 1 < n; i++)
                if (!isalnum((unsigned char) s[i]) && !strchr(device ? "_-.:" : "_-.", s[i]))
                        return false;
        return isalnum((unsigned char) s[n - 1]);
}

/* cdi.IsQualifiedName: vendor/class=name. */
static bool cdi_qualified(const char *d)
{
        const char *eq = strchr(d, '='), *slash;
        if (!*d || d[0] == '/' || !eq || eq == d || !eq[1])
                return false;
        slash = memchr(d, '/', (size_t) (eq - d));
        if (!slash || slash == d || slash + 1 == eq)
                return false;
        return cdi_name_ok(d, (size_t) (slash - d), false) &&
               cdi_name_ok(slash + 1, (size_t) (eq - slash - 1), false) &&
               cdi_name_ok(eq + 1, strlen(eq + 1), true);
}

int run_build_devices(RunOpts *o, json_t *host, LadeError **err)
{
        json_t *devices = json_array(), *cdi = NULL;
        json_object_set_new(host, "Devices", devices);
        for (char **d = o->v[OPT_DEVICE].list; d && *d; d++) {
                _cleanup_free_ char *valid = NULL;
                if (cdi_qualified(*d)) {
                        if (!cdi)
                                cdi = json_array();
                        json_array_append_new(cdi, json_string(*d));
                        continue;
                }
                int r = device_validate(*d, &valid, err);
                if (r < 0) {
                        json_decref(cdi);
                        return r;
                }
                json_array_append_new(devices, device_mapping(valid));
        }
        json_t *requests = o->gpus ? json_incref(o->gpus) : json_null();
        if (cdi) {
                if (json_is_null(requests))
                        requests = json_array();
                json_array_append_new(requests, json_pack("{s:s,s:i,s:o,s:n,s:n}", "Driver", "cdi",
                                                          "Count", 0, "DeviceIDs", cdi,
                                                          "Capabilities", "Options"));
        }
        json_object_set_new(host, "DeviceRequests", requests);
        return 0;
}

/* parseCount: "all" or an integer. */
static int gpu_count(const char *s, json_int_t *ret, LadeError **err)
{
        const char *reason;
        int64_t v;
        if (streq(s, "all")) {
                *ret = -1;
                return 0;
        }
        if (go_atoi(s, &v, &reason) < 0)
                return lade_error_msg(err, EINVAL, "invalid count (%s): value must be either \"all\" "
                                      "or an integer: %s", s, reason);
        *ret = v;
        return 0;
}

static json_t *split_strv_json(const char *s)
{
        _cleanup_strv_free_ char **parts = split_n(s, ',', SIZE_MAX);
        json_t *a = json_array();
        for (char **p = parts; *p; p++)
                json_array_append_new(a, json_string(*p));
        return a;
}

static int gpu_field(json_t *req, const char *key, const char *val, const char *field,
                     LadeError **err)
{
        json_int_t count;
        if (streq(key, "driver"))
                json_object_set_new(req, "Driver", json_string(val));
        else if (streq(key, "count")) {
                if (gpu_count(val, &count, err) < 0)
                        return -EINVAL;
                json_object_set_new(req, "Count", json_integer(count));
        } else if (streq(key, "device"))
                json_object_set_new(req, "DeviceIDs", split_strv_json(val));
        else if (streq(key, "capabilities")) {
                json_t *caps = split_strv_json(val);
                json_array_append_new(caps, json_string("gpu"));
                json_object_set_new(req, "Capabilities", json_pack("[o]", caps));
        } else if (streq(key, "options")) {
                _cleanup_strv_free_ char **kv = NULL;
                _cleanup_free_ char *msg = NULL;
                if (go_csv_record(val, &kv, &msg) < 0)
                        return lade_error_msg(err, EINVAL, "failed to read gpu options: %s", msg);
                json_t *opts = json_object();
                for (char **p = kv; *p; p++) {
                        const char *eq = strchr(*p, '=');
                        _cleanup_free_ char *k = eq ? xstrndup(*p, (size_t) (eq - *p)) : xstrdup(*p);
                        json_object_set_new(opts, k, json_string(eq ? eq + 1 : ""));
                }
                json_object_set_new(req, "Options", opts);
        } else
                return lade_error_msg(err, EINVAL, "unexpected key '%s' in '%s'", key, field);
        return 0;
}

static int gpu_fields(json_t *req, char **fields, json_t *seen, LadeError **err)
{
        json_int_t count;
        for (char **f = fields; *f; f++) {
                const char *eq = strchr(*f, '=');
                _cleanup_free_ char *key = eq ? xstrndup(*f, (size_t) (eq - *f)) : xstrdup(*f);
                if (json_object_get(seen, key))
                        return lade_error_msg(err, EINVAL, "gpu request key '%s' can be specified only once",
                                              key);
                json_object_set_new(seen, key, json_true());
                if (eq) {
                        if (gpu_field(req, key, eq + 1, *f, err) < 0)
                                return -EINVAL;
                        continue;
                }
                json_object_set_new(seen, "count", json_true());
                if (gpu_count(key, &count, err) < 0)
                        return -EINVAL;
                json_object_set_new(req, "Count", json_integer(count));
        }
        return 0;
}

int run_set_gpus(RunOpts *o, RunOpt opt, const char *value, LadeError **err)
{
        _cleanup_strv_free_ char **fields = NULL;
        _cleanup_free_ char *msg = NULL;
        _cleanup_json_ json_t *seen = json_object();
        json_t *req = json_pack("{s:s,s:i,s:n,s:n,s:n}", "Driver", "", "Count", 0, "DeviceIDs",
                                "Capabilities", "Options");
        int r = go_csv_record(value, &fields, &msg);
        if (r < 0)
                r = lade_error_msg(err, EINVAL, "%s", msg);
        if (r >= 0)
                r = gpu_fields(req, fields, seen, err);
        if (r < 0) {
                json_decref(req);
                return r;
        }
        if (!json_object_get(seen, "count") && json_is_null(json_object_get(req, "DeviceIDs")))
                json_object_set_new(req, "Count", json_integer(1));
        if (json_is_null(json_object_get(req, "Options")))
                json_object_set_new(req, "Options", json_object());
        if (json_is_null(json_object_get(req, "Capabilities")))
                json_object_set_new(req, "Capabilities", json_pack("[[s]]", "gpu"));
        if (!o->gpus)
                o->gpus = json_array();
        json_array_append_new(o->gpus, req);
        return 0;
}

/* linux.devices and linux.resources.devices, as dockerd's WithDevices: Docker's default cgroup
 * rules (deny all; allow null, zero, urandom, random, tty, console; deny /dev/net/tun's 10:229),
 * then each HostConfig.Devices entry (a node, or a directory of nodes, stat'ed on the host as
 * moby's DevicesFromPath does) and HostConfig.DeviceCgroupRules. Privileged containers get every
 * device node under the host's /dev (containerd's HostDevices) and one "allow all" rule.
 *
 * runc appends its own rules after the spec's (c *:* m, b *:* m, the default nodes, /dev/pts,
 * ptmx and /dev/net/tun's 10:200); lade's runtime does not, so they are written here, after the
 * spec's rules, in runc's order, for the same effective policy. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "container-spec-internal.h"
#include "json-util.h"
#include "util.h"

#define MAX_DEVICES 16384

typedef struct Rule {
        bool allow;
        char type;          /* 0: none (all) */
        int64_t major, minor; /* -2: absent */
        const char *access;
} Rule;

static const Rule docker_rules[] = {
        { false, 0, -2, -2, "rwm" },  { true, 'c', 1, 5, "rwm" },  { true, 'c', 1, 3, "rwm" },
        { true, 'c', 1, 9, "rwm" },   { true, 'c', 1, 8, "rwm" },  { true, 'c', 5, 0, "rwm" },
        { true, 'c', 5, 1, "rwm" },   { false, 'c', 10, 229, "rwm" },
};

/* runc's specconv.AllowedDevices, appended after the spec's rules */
static const Rule runc_rules[] = {
        { true, 'c', -1, -1, "m" },   { true, 'b', -1, -1, "m" },  { true, 'c', 1, 3, "rwm" },
        { true, 'c', 1, 8, "rwm" },   { true, 'c', 1, 7, "rwm" },  { true, 'c', 5, 0, "rwm" },
        { true, 'c', 1, 5, "rwm" },   { true, 'c', 1, 9, "rwm" },  { true, 'c', 136, -1, "rwm" },
        { true, 'c', 5, 2, "rwm" },   { true, 'c', 10, 200, "rwm" },
};

static json_t *rule_json(const Rule *r)
{
        json_t *o = json_pack("{s:b}", "allow", r->allow);
        if (r->type)
                json_object_set_new(o, "type", json_sprintf("%c", r->type));
        if (r->major != -2)
                json_object_set_new(o, "major", json_integer(r->major));
        if (r->minor != -2)
                json_object_set_new(o, "minor", json_integer(r->minor));
        json_object_set_new(o, "access", json_string(r->access));
        return o;
}

/* ---- device nodes ---- */

typedef struct DevWalk {
        json_t *devices, *rules;   /* rules NULL: no cgroup rule per device (privileged) */
        const char *access;
        size_t n;
} DevWalk;

static char device_type(mode_t mode)
{
        if (S_ISBLK(mode))
                return 'b';
        if (S_ISCHR(mode))
                return 'c';
        return S_ISFIFO(mode) ? 'p' : 0;
}

static json_t *device_json(const char *path, char type, const struct stat *st)
{
        char t[2] = { type, '\0' };
        return json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "path", path, "type", t, "major",
                         (json_int_t) major(st->st_rdev), "minor", (json_int_t) minor(st->st_rdev),
                         "fileMode", (json_int_t) (st->st_mode & 07777), "uid",
                         (json_int_t) st->st_uid, "gid", (json_int_t) st->st_gid);
}

/* containerd's DeviceFromPath: lstat, so a symlink is "not a device node" (-ENODEV). */
static int device_from_path(const char *path, const char *in_container, DevWalk *w, bool fifo)
{
        struct stat st;
        if (lstat(path, &st) < 0)
                return -errno;
        char type = device_type(st.st_mode);
        if (!type)
                return -ENODEV;
        if (type == 'p' && !fifo)
                return 0;
        if (++w->n > MAX_DEVICES)
                return -E2BIG;
        json_array_append_new(w->devices, device_json(in_container, type, &st));
        if (w->rules) {
                Rule r = { true, type, (int64_t) major(st.st_rdev), (int64_t) minor(st.st_rdev),
                           w->access };
                json_array_append_new(w->rules, rule_json(&r));
        }
        return 1;
}

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
        return strcmp((*a)->d_name, (*b)->d_name);
}

static bool skipped_dir(const char *name)
{
        static const char *const skip[] = { "pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts",
                                            ".udev" };
        for (size_t i = 0; i < ELEMENTSOF(skip); i++)
                if (streq(name, skip[i]))
                        return true;
        return false;
}

/* HostDevices / getDevices: the nodes under dir, in name order, without FIFOs and the console. */
static int host_devices(const char *dir, DevWalk *w, int depth)
{
        struct dirent **ents;
        int n = scandir(dir, &ents, NULL, name_cmp), r = 0;
        if (n < 0)
                return -errno;
        for (int i = 0; i < n; i++) {
                const char *name = ents[i]->d_name;
                _cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
                bool is_dir = ents[i]->d_type == DT_DIR;
                if (r < 0 || streq(name, ".") || streq(name, ".."))
                        ;
                else if (is_dir && !skipped_dir(name) && depth < 16)
                        r = host_devices(path, w, depth + 1);
                else if (!is_dir && !streq(name, "console")) {
                        int k = device_from_path(path, path, w, false);
                        if (k < 0 && k != -ENODEV && k != -ENOENT)
                                r = k;
                }
                free(ents[i]);
        }
        free(ents);
        return r;
}

/* A directory given as a device: every node below it (filepath.WalkDir order). */
static void devices_below(const char *dir, const char *host_root, const char *ctr_root, DevWalk *w,
                          int depth)
{
        struct dirent **ents;
        int n = scandir(dir, &ents, NULL, name_cmp);
        for (int i = 0; i < n; i++) {
                const char *name = ents[i]->d_name;
                if (!streq(name, ".") && !streq(name, "..")) {
                        _cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
                        _cleanup_free_ char *ctr =
                                xasprintf("%s%s", ctr_root, path + strlen(host_root));
                        if (device_from_path(path, ctr, w, true) == -ENODEV &&
                            ents[i]->d_type == DT_DIR && depth < 16)
                                devices_below(path, host_root, ctr_root, w, depth + 1);
                }
                free(ents[i]);
        }
        free(ents);
}

/* DevicesFromPath */
static int devices_from_path(const char *on_host, const char *in_ctr, DevWalk *w, LadeError **err)
{
        struct stat st;
        _cleanup_free_ char *resolved = NULL;
        if (lstat(on_host, &st) == 0 && S_ISLNK(st.st_mode))
                resolved = realpath(on_host, NULL);
        const char *path = resolved ? resolved : on_host;
        size_t before = w->n;
        int k = device_from_path(path, in_ctr, w, true);
        if (k > 0)
                return 0;
        if (k == -ENODEV && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
                devices_below(path, path, in_ctr, w, 0);
        if (w->n > before)
                return w->n > MAX_DEVICES ? lade_error_msg(err, E2BIG, "too many devices") : 0;
        return lade_error_msg(err, k == -ENODEV ? EINVAL : -k, "error gathering device information "
                              "while adding custom device \"%s\": %s", on_host,
                              k == -ENODEV ? "not a device node" : strerror(-k));
}

/* ---- HostConfig.Devices, DeviceCgroupRules ---- */

static int mapped_devices(SpecBuild *b, DevWalk *w, LadeError **err)
{
        json_t *list, *d;
        size_t i;
        int r = cspec_array(b->host, "HostConfig", "Devices", &list, err);
        json_array_foreach(list, i, d) {
                const char *host = NULL, *ctr = NULL, *perm = NULL;
                if (r >= 0)
                        r = cspec_string(d, "HostConfig.Devices", "PathOnHost", &host, err);
                if (r >= 0)
                        r = cspec_string(d, "HostConfig.Devices", "PathInContainer", &ctr, err);
                if (r >= 0)
                        r = cspec_string(d, "HostConfig.Devices", "CgroupPermissions", &perm, err);
                if (r < 0)
                        return r;
                if (!host || !*host)
                        return lade_error_msg(err, EINVAL, "HostConfig.Devices[%zu]: no PathOnHost",
                                              i);
                ctr = ctr && *ctr ? ctr : host;
                /* privileged: every host node is there already, and the rule allows all */
                if (b->privileged && streq(host, ctr))
                        continue;
                w->access = b->privileged || !perm || !*perm ? "rwm" : perm;
                r = devices_from_path(host, ctr, w, err);
        }
        return r;
}

/* "*" or a decimal number, for a cgroup rule's major and minor */
static bool rule_number(const char **p, int64_t *ret)
{
        if (**p == '*') {
                (*p)++;
                *ret = -1;
                return true;
        }
        size_t n = strspn(*p, "0123456789");
        if (n == 0 || n > 18)
                return false;
        _cleanup_free_ char *digits = xstrndup(*p, n);
        *p += n;
        return parse_int64(digits, ret) == 0;
}

/* ^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$ */
static bool parse_cgroup_rule(const char *s, Rule *r)
{
        if (!s[0] || !strchr("acb", s[0]) || s[1] != ' ')
                return false;
        const char *p = s + 2;
        r->allow = true;
        r->type = s[0];
        if (!rule_number(&p, &r->major) || *p++ != ':' || !rule_number(&p, &r->minor) ||
            *p++ != ' ')
                return false;
        size_t n = strspn(p, "rwm");
        r->access = p;
        return n >= 1 && n <= 3 && !p[n];
}

/* HostConfig.DeviceCgroupRules ("c 1:3 rwm", "b *:* m"): AppendDevicePermissionsFromCgroupRules */
static int cgroup_rules(SpecBuild *b, json_t *rules, LadeError **err)
{
        _cleanup_strv_free_ char **l = NULL;
        int r = cspec_strv(b->host, "HostConfig", "DeviceCgroupRules", &l, err);
        for (char **s = l; r >= 0 && s && *s; s++) {
                Rule rule = {};
                if (!parse_cgroup_rule(*s, &rule))
                        return lade_error_msg(err, EINVAL,
                                              "invalid device cgroup rule format: '%s'", *s);
                json_array_append_new(rules, rule_json(&rule));
        }
        return r;
}

int cspec_build_devices(SpecBuild *b, json_t *linux_, json_t *resources, LadeError **err)
{
        _cleanup_json_ json_t *devices = json_array(), *rules = json_array();
        DevWalk w = { .devices = devices, .rules = b->privileged ? NULL : rules };
        int r = 0;
        if (b->privileged) {
                r = host_devices("/dev", &w, 0);
                if (r < 0)
                        return lade_error(err, -r, "list the host's devices");
                json_array_append_new(rules, json_pack("{s:b, s:s}", "allow", 1, "access", "rwm"));
        } else {
                for (size_t i = 0; i < ELEMENTSOF(docker_rules); i++)
                        json_array_append_new(rules, rule_json(&docker_rules[i]));
        }
        r = mapped_devices(b, &w, err);
        if (r >= 0 && !b->privileged)
                r = cgroup_rules(b, rules, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(runc_rules); i++)
                json_array_append_new(rules, rule_json(&runc_rules[i]));
        if (json_array_size(devices) > 0)
                json_object_set(linux_, "devices", devices);
        json_object_set(resources, "devices", rules);
        return 0;
}

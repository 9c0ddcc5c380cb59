/* The cgroup manager: mode detection, hierarchy discovery, path resolution, the operations that
 * work the same on every layout (enter, pids, kill_all, destroy), the JSON round trip, and the
 * dispatch of apply/freeze to cgroup-v1.c and cgroup-v2.c.
 *
 * Invariants:
 * - m->rel is normalised ("/a/b", never "/", never containing "." or ".."), so every
 *   paths[i].path is paths[i].mount_dir + m->rel and stays inside its hierarchy. from_json
 *   re-checks this, so a tampered state file cannot point destroy at another directory.
 * - V1 has one path per v1 hierarchy; V2 exactly one (controllers ""); HYBRID the v1 ones plus the
 *   unified one (controllers "", mount root/unified).
 *
 * cgroupsPath: an absolute path is relative to each hierarchy's root. A relative path, and the
 * default "/<id>", are ALSO taken relative to the hierarchy root, as crun does. runc differs: it
 * resolves relative paths (and its default, which is the bare id) against the caller's own cgroup
 * in each hierarchy (/proc/self/cgroup; on v2 its parent). We do not, because the caller's cgroup
 * differs per hierarchy and per caller (on this machine memory:/process_api/<hash> while the
 * others are at /), which would scatter one container over unrelated places and make the path
 * depend on who ran `create`. */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#include "cgroup-internal.h"
#include "json-util.h"
#include "log.h"
#include "util.h"

#define CGROUP_MAX_PATHS 64
#define SYSTEMD_RUN_DIR "/run/systemd/system"

static const char *const mode_names[_CGROUP_MODE_MAX] = {
        [CGROUP_MODE_V1] = "v1",
        [CGROUP_MODE_V2] = "v2",
        [CGROUP_MODE_HYBRID] = "hybrid",
};

const char *cgroup_mode_to_string(CgroupMode m)
{
        if (m < 0 || m >= _CGROUP_MODE_MAX)
                return NULL;
        return mode_names[m];
}

static CgroupMode cgroup_mode_from_string(const char *s)
{
        for (int i = 0; i < _CGROUP_MODE_MAX; i++)
                if (streq(s, mode_names[i]))
                        return (CgroupMode) i;
        return _CGROUP_MODE_INVALID;
}

static bool fs_is(const char *path, unsigned long magic)
{
        struct statfs fs;
        return statfs(path, &fs) == 0 && (unsigned long) fs.f_type == magic;
}

int cgroup_detect_mode(const char *root, CgroupMode *ret, LadeError **err)
{
        struct statfs fs;
        if (!root)
                root = CGROUP_DEFAULT_ROOT;
        if (statfs(root, &fs) < 0)
                return lade_error(err, errno, "statfs '%s'", root);
        if ((unsigned long) fs.f_type == CGROUP2_SUPER_MAGIC) {
                *ret = CGROUP_MODE_V2;
                return 0;
        }
        _cleanup_free_ char *unified = xasprintf("%s/unified", root);
        if ((unsigned long) fs.f_type == TMPFS_MAGIC && fs_is(unified, CGROUP2_SUPER_MAGIC))
                *ret = CGROUP_MODE_HYBRID;
        else
                *ret = CGROUP_MODE_V1;
        return 0;
}

/* ---- knob I/O ---- */

bool cgroup_has_knob(const char *dir, const char *knob)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, knob);
        return access(p, F_OK) == 0;
}

/* O_APPEND: cgroupfs ignores the file offset, and on a plain-file tree (unit tests) every write
 * is kept in order, so a sequence like devices.deny/devices.allow can be checked. */
static int knob_write(const char *dir, const char *knob, const char *buf)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, knob);
        _cleanup_close_ int fd = open(p, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        return write_all(fd, buf, strlen(buf));
}

static int write_knob(const CgroupManager *m, const char *dir, const char *knob, const char *value,
                      bool newline, bool missing_ok, const char *what, bool *ret_written,
                      LadeError **err)
{
        _cleanup_free_ char *buf = newline ? xasprintf("%s\n", value) : xstrdup(value);
        int r = knob_write(dir, knob, buf);
        if (ret_written)
                *ret_written = r == 0;
        if (r == 0 || (r == -ENOENT && missing_ok))
                return 0;
        if (m->rootless && (r == -EPERM || r == -EACCES)) {
                log_debug("rootless: cannot write '%s' to %s/%s, ignoring", value, dir, knob);
                return 0;
        }
        if (r == -ENOENT)
                return lade_error_msg(err, ENOENT, "%s: the cgroup has no '%s' (in %s)", what, knob,
                                      dir);
        return lade_error(err, -r, "%s: write '%s' to %s/%s", what, value, dir, knob);
}

int cgroup_write(const CgroupManager *m, const char *dir, const char *knob, const char *value,
                 const char *what, LadeError **err)
{
        return write_knob(m, dir, knob, value, true, false, what, NULL, err);
}

int cgroup_write_raw(const CgroupManager *m, const char *dir, const char *knob, const char *value,
                     const char *what, LadeError **err)
{
        return write_knob(m, dir, knob, value, false, false, what, NULL, err);
}

int cgroup_write_if_exists(const CgroupManager *m, const char *dir, const char *knob,
                           const char *value, const char *what, bool *ret_written, LadeError **err)
{
        return write_knob(m, dir, knob, value, true, true, what, ret_written, err);
}

int cgroup_write_i64(const CgroupManager *m, const char *dir, const char *knob, int64_t v,
                     const char *what, LadeError **err)
{
        char buf[32];
        snprintf(buf, sizeof(buf), "%" PRId64, v);
        return cgroup_write(m, dir, knob, buf, what, err);
}

int cgroup_write_u64(const CgroupManager *m, const char *dir, const char *knob, uint64_t v,
                     const char *what, LadeError **err)
{
        char buf[32];
        snprintf(buf, sizeof(buf), "%" PRIu64, v);
        return cgroup_write(m, dir, knob, buf, what, err);
}

int cgroup_read(const char *dir, const char *knob, char **ret, LadeError **err)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, knob);
        _cleanup_free_ char *s = NULL;
        size_t len = 0;
        int r = read_file_at(AT_FDCWD, p, CGROUP_PROCS_MAX, &s, &len, err);
        if (r < 0)
                return r;
        while (len > 0 && strchr(" \t\n", s[len - 1]))
                s[--len] = '\0';
        *ret = TAKE_PTR(s);
        return 0;
}

int cgroup_read_last_line(const char *dir, const char *knob, char **ret, LadeError **err)
{
        _cleanup_free_ char *s = NULL;
        int r = cgroup_read(dir, knob, &s, err);
        if (r < 0)
                return r;
        const char *nl = strrchr(s, '\n');
        *ret = xstrdup(nl ? nl + 1 : s);
        return 0;
}

/* ---- validation shared by v1, v2 and eBPF ---- */

int cgroup_device_rule_check(const SpecDeviceRule *d, size_t idx, LadeError **err)
{
        if (d->type != 'a' && d->type != 'b' && d->type != 'c')
                return lade_error_msg(err, EINVAL,
                                      CGROUP_RES "devices[%zu].type: must be a, b or c", idx);
        if (d->access && (!*d->access || strspn(d->access, "rwm") != strlen(d->access)))
                return lade_error_msg(err, EINVAL,
                                      CGROUP_RES "devices[%zu].access: '%s' is not a subset of rwm",
                                      idx, d->access);
        if ((d->major.set && d->major.v > INT32_MAX) || (d->minor.set && d->minor.v > INT32_MAX))
                return lade_error_msg(err, ERANGE, CGROUP_RES "devices[%zu]: major/minor too large",
                                      idx);
        return 0;
}

bool cgroup_device_rule_is_all(const SpecDeviceRule *d)
{
        bool any_major = !d->major.set || d->major.v < 0;
        bool any_minor = !d->minor.set || d->minor.v < 0;
        const char *acc = d->access ? d->access : "rwm";
        bool all_access = strchr(acc, 'r') && strchr(acc, 'w') && strchr(acc, 'm');
        return d->type == 'a' && any_major && any_minor && all_access;
}

int cgroup_hugepage_size_check(const char *size, size_t idx, LadeError **err)
{
        size_t n = size ? strlen(size) : 0;
        bool ok = n > 0 && n <= 16;
        for (size_t i = 0; ok && i < n; i++)
                ok = (size[i] >= '0' && size[i] <= '9') || (size[i] >= 'A' && size[i] <= 'Z') ||
                     (size[i] >= 'a' && size[i] <= 'z');
        if (!ok)
                return lade_error_msg(err, EINVAL,
                                      CGROUP_RES "hugepageLimits[%zu].pageSize: invalid '%s'", idx,
                                      size ? size : "");
        return 0;
}

int cgroup_apply_cpuset(const CgroupManager *m, const char *dir, const SpecResources *r,
                        LadeError **err)
{
        int k;
        if (r->cpu.cpus && *r->cpu.cpus) {
                k = cgroup_write(m, dir, "cpuset.cpus", r->cpu.cpus, CGROUP_RES "cpu.cpus", err);
                if (k < 0)
                        return k;
        }
        if (r->cpu.mems && *r->cpu.mems)
                return cgroup_write(m, dir, "cpuset.mems", r->cpu.mems, CGROUP_RES "cpu.mems", err);
        return 0;
}

int cgroup_apply_pids(const CgroupManager *m, const char *dir, const SpecResources *r,
                      LadeError **err)
{
        if (!r->pids.limit.set)
                return 0;
        if (r->pids.limit.v <= 0)
                return cgroup_write(m, dir, "pids.max", "max", CGROUP_RES "pids.limit", err);
        return cgroup_write_i64(m, dir, "pids.max", r->pids.limit.v, CGROUP_RES "pids.limit", err);
}

/* ---- paths ---- */

int cgroup_path_normalize(const char *path, char **ret, LadeError **err)
{
        size_t in_len = strlen(path);
        if (in_len >= PATH_MAX)
                return lade_error_msg(err, ENAMETOOLONG, "linux.cgroupsPath: longer than %d bytes",
                                      PATH_MAX - 1);
        _cleanup_free_ char *out = xmalloc(in_len + 2);
        size_t len = 0;
        for (const char *s = path; *s;) {
                while (*s == '/')
                        s++;
                size_t n = strcspn(s, "/");
                if (n == 2 && s[0] == '.' && s[1] == '.') {
                        if (len == 0)
                                return lade_error_msg(err, EINVAL,
                                                      "linux.cgroupsPath: '%s' leaves the cgroup "
                                                      "hierarchy", path);
                        while (out[len - 1] != '/')
                                len--;
                        len--;
                } else if (n > 0 && !(n == 1 && s[0] == '.')) {
                        out[len++] = '/';
                        memcpy(out + len, s, n);
                        len += n;
                }
                s += n;
        }
        out[len] = '\0';
        if (len == 0)
                return lade_error_msg(err, EINVAL,
                                      "linux.cgroupsPath: '%s' is the root cgroup, which a "
                                      "container cannot own", path);
        *ret = TAKE_PTR(out);
        return 0;
}

static bool systemd_name_ok(const char *s)
{
        return !strchr(s, '/') && !streq(s, ".") && !streq(s, "..");
}

/* "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice"; "-.slice" -> "". */
static int systemd_expand_slice(const char *slice, char **ret, LadeError **err)
{
        if (streq(slice, "-.slice")) {
                *ret = xstrdup("");
                return 0;
        }
        size_t n = strlen(slice);
        if (!endswith(slice, ".slice") || n == 6 || !systemd_name_ok(slice))
                return lade_error_msg(err, EINVAL, "linux.cgroupsPath: invalid slice '%s'", slice);
        _cleanup_free_ char *base = xstrndup(slice, n - 6);
        if (base[0] == '-' || endswith(base, "-") || strstr(base, "--"))
                return lade_error_msg(err, EINVAL, "linux.cgroupsPath: invalid slice '%s'", slice);
        _cleanup_free_ char *out = xstrdup("");
        for (char *dash = strchr(base, '-'); dash; dash = strchr(dash + 1, '-')) {
                char *next = xasprintf("%s/%.*s.slice", out, (int) (dash - base), base);
                free(out);
                out = next;
        }
        *ret = xasprintf("%s/%s", out, slice);
        return 0;
}

int cgroup_systemd_expand(const char *spec, char **ret, LadeError **err)
{
        const char *c1 = strchr(spec, ':');
        const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2 || strchr(c2 + 1, ':'))
                return lade_error_msg(err, EINVAL,
                                      "linux.cgroupsPath: '%s' is not \"slice:prefix:name\" "
                                      "(needed by the systemd cgroup driver)", spec);
        _cleanup_free_ char *slice = xstrndup(spec, (size_t) (c1 - spec));
        _cleanup_free_ char *prefix = xstrndup(c1 + 1, (size_t) (c2 - c1 - 1));
        const char *name = c2 + 1;
        if (!*name || !systemd_name_ok(name) || !systemd_name_ok(prefix))
                return lade_error_msg(err, EINVAL, "linux.cgroupsPath: invalid unit name in '%s'",
                                      spec);
        _cleanup_free_ char *dir = NULL;
        int r = systemd_expand_slice(*slice ? slice : "system.slice", &dir, err);
        if (r < 0)
                return r;
        if (endswith(name, ".slice"))
                *ret = xasprintf("%s/%s", dir, name);
        else if (*prefix)
                *ret = xasprintf("%s/%s-%s.scope", dir, prefix, name);
        else
                *ret = xasprintf("%s/%s.scope", dir, name);
        return 0;
}

/* The container's path inside every hierarchy. Full systemd support (asking systemd over D-Bus
 * to create a transient scope) is not implemented: with --systemd-cgroup we compute the path
 * systemd would use and manage it through cgroupfs. */
static int resolve_rel(const CgroupConfig *cfg, char **ret, LadeError **err)
{
        bool has_path = cfg->path && *cfg->path;
        if (!has_path && (!cfg->id || !*cfg->id))
                return lade_error_msg(err, EINVAL, "cgroup: neither linux.cgroupsPath nor an id");
        if (!cfg->systemd) {
                _cleanup_free_ char *def = has_path ? NULL : xasprintf("/%s", cfg->id);
                return cgroup_path_normalize(has_path ? cfg->path : def, ret, err);
        }
        if (access(SYSTEMD_RUN_DIR, F_OK) < 0)
                return lade_error_msg(err, ENOTSUP,
                                      "systemd cgroup driver requested but systemd is not running");
        _cleanup_free_ char *def = has_path ? NULL : xasprintf("system.slice:lade:%s", cfg->id);
        _cleanup_free_ char *expanded = NULL;
        int r = cgroup_systemd_expand(has_path ? cfg->path : def, &expanded, err);
        if (r < 0)
                return r;
        return cgroup_path_normalize(expanded, ret, err);
}

/* ---- manager ---- */

static void path_clear(CgroupPath *p)
{
        free((char *) p->controllers);
        free((char *) p->mount_dir);
        free((char *) p->path);
}

CgroupManager *cgroup_manager_free(CgroupManager *m)
{
        if (!m)
                return NULL;
        for (size_t i = 0; i < m->n_paths; i++)
                path_clear(&m->paths[i]);
        free(m->paths);
        free(m->created);
        free(m->root);
        free(m->rel);
        free(m);
        return NULL;
}

static int add_path(CgroupManager *m, const char *controllers, const char *mount_dir,
                    LadeError **err)
{
        for (size_t i = 0; i < m->n_paths; i++)
                if (streq(m->paths[i].mount_dir, mount_dir))
                        return 0;
        if (m->n_paths >= CGROUP_MAX_PATHS)
                return lade_error_msg(err, E2BIG, "more than %d cgroup hierarchies",
                                      CGROUP_MAX_PATHS);
        m->paths = xreallocarray(m->paths, m->n_paths + 1, sizeof(*m->paths));
        m->created = xreallocarray(m->created, m->n_paths + 1, sizeof(*m->created));
        m->paths[m->n_paths] = (CgroupPath){
                .controllers = xstrdup(controllers),
                .mount_dir = xstrdup(mount_dir),
                .path = xasprintf("%s%s", mount_dir, m->rel),
        };
        m->created[m->n_paths++] = false;
        return 0;
}

static void drop_path(CgroupManager *m, size_t i)
{
        path_clear(&m->paths[i]);
        memmove(m->paths + i, m->paths + i + 1, (m->n_paths - i - 1) * sizeof(*m->paths));
        memmove(m->created + i, m->created + i + 1, (m->n_paths - i - 1) * sizeof(*m->created));
        m->n_paths--;
}

static bool list_has(const char *list, const char *item)
{
        size_t n = strlen(item);
        for (const char *s = list; s && *s;) {
                size_t k = strcspn(s, ",");
                if (k == n && strncmp(s, item, n) == 0)
                        return true;
                s += k + (s[k] == ',');
        }
        return false;
}

const CgroupPath *cgroup_find_v1(const CgroupManager *m, const char *controller)
{
        for (size_t i = 0; i < m->n_paths; i++)
                if (*m->paths[i].controllers && list_has(m->paths[i].controllers, controller))
                        return &m->paths[i];
        return NULL;
}

const CgroupPath *cgroup_find_unified(const CgroupManager *m)
{
        for (size_t i = 0; i < m->n_paths; i++)
                if (!*m->paths[i].controllers)
                        return &m->paths[i];
        return NULL;
}

/* ---- discovery ---- */

static const char *const v1_controllers[] = {
        "cpuset", "cpu", "cpuacct", "blkio", "memory", "devices", "freezer", "net_cls",
        "perf_event", "net_prio", "hugetlb", "pids", "rdma", "misc", "debug",
};

/* "rw,cpu,cpuacct" -> "cpu,cpuacct"; "rw,name=systemd" -> "name=systemd". */
static char *controllers_from_options(const char *opts)
{
        _cleanup_free_ char *copy = xstrdup(opts);
        _cleanup_free_ char *out = xstrdup("");
        char *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                bool known = startswith(t, "name=");
                for (size_t i = 0; !known && i < ELEMENTSOF(v1_controllers); i++)
                        known = streq(t, v1_controllers[i]);
                if (!known)
                        continue;
                char *next = xasprintf("%s%s%s", out, *out ? "," : "", t);
                free(out);
                out = next;
        }
        return TAKE_PTR(out);
}

static int mountinfo_entry(CgroupManager *m, const char *mnt, const char *fstype,
                           const char *opts, LadeError **err)
{
        _cleanup_free_ char *unified = xasprintf("%s/unified", m->root);
        if (streq(fstype, "cgroup2")) {
                if ((m->mode == CGROUP_MODE_V2 && streq(mnt, m->root)) ||
                    (m->mode == CGROUP_MODE_HYBRID && streq(mnt, unified)))
                        return add_path(m, "", mnt, err);
                return 0;
        }
        const char *slash = strrchr(mnt, '/');
        if (!streq(fstype, "cgroup") || m->mode == CGROUP_MODE_V2 || !slash ||
            (size_t) (slash - mnt) != strlen(m->root) || !startswith(mnt, m->root))
                return 0;
        _cleanup_free_ char *controllers = controllers_from_options(opts);
        if (!*controllers)
                return 0;
        return add_path(m, controllers, mnt, err);
}

/* mountinfo: "id parent maj:min root mountpoint opts [optional...] - fstype source superopts" */
static int mountinfo_line(CgroupManager *m, char *line, LadeError **err)
{
        char *sep = strstr(line, " - ");
        if (!sep)
                return 0;
        *sep = '\0';
        char *save = NULL, *field[5] = { NULL };
        char *f = strtok_r(line, " ", &save);
        for (size_t i = 0; f && i < ELEMENTSOF(field); i++, f = strtok_r(NULL, " ", &save))
                field[i] = f;
        char *mnt = field[4];
        char *fstype = strtok_r(sep + 3, " ", &save);
        char *source = fstype ? strtok_r(NULL, " ", &save) : NULL;
        char *opts = source ? strtok_r(NULL, " \n", &save) : NULL;
        if (!mnt || !opts)
                return 0;
        return mountinfo_entry(m, mnt, fstype, opts, err);
}

static int discover_mountinfo(CgroupManager *m, LadeError **err)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return 0;
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, f) > 0) {
                int r = mountinfo_line(m, line, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Each subdirectory of root is a hierarchy named after its controllers; symlinks ("cpu" ->
 * "cpu,cpuacct") are aliases and skipped; "systemd" is name=systemd; "unified" the v2 mount. */
static int discover_dirs(CgroupManager *m, LadeError **err)
{
        if (m->mode == CGROUP_MODE_V2)
                return add_path(m, "", m->root, err);
        struct dirent **ents = NULL;
        int n = scandir(m->root, &ents, NULL, alphasort);
        if (n < 0)
                return lade_error(err, errno, "list cgroup hierarchies in '%s'", m->root);
        int r = 0;
        for (int i = 0; i < n; i++) {
                const char *name = ents[i]->d_name;
                _cleanup_free_ char *dir = xasprintf("%s/%s", m->root, name);
                struct stat st;
                bool is_dir = lstat(dir, &st) == 0 && S_ISDIR(st.st_mode);
                if (r == 0 && is_dir && name[0] != '.') {
                        if (streq(name, "unified"))
                                r = m->mode == CGROUP_MODE_HYBRID ? add_path(m, "", dir, err) : 0;
                        else
                                r = add_path(m, streq(name, "systemd") ? "name=systemd" : name,
                                             dir, err);
                }
                free(ents[i]);
        }
        free(ents);
        return r;
}

static int discover(CgroupManager *m, bool default_root, LadeError **err)
{
        int r = default_root ? discover_mountinfo(m, err) : 0;
        if (r < 0)
                return r;
        if (m->n_paths == 0) {
                r = discover_dirs(m, err);
                if (r < 0)
                        return r;
        }
        if (m->mode == CGROUP_MODE_V2 && m->n_paths != 1)
                return lade_error_msg(err, ENOENT, "no cgroup2 mount at '%s'", m->root);
        if (m->mode == CGROUP_MODE_HYBRID && !cgroup_find_unified(m))
                return lade_error_msg(err, ENOENT,
                                      "hybrid cgroups: no cgroup2 mount at '%s/unified'", m->root);
        if (m->n_paths == 0 || (m->mode == CGROUP_MODE_HYBRID && m->n_paths == 1))
                return lade_error_msg(err, ENOENT, "no cgroup v1 hierarchies under '%s'", m->root);
        return 0;
}

static int manager_new(const CgroupConfig *cfg, CgroupManager **ret, LadeError **err)
{
        _cleanup_(cgroup_manager_freep) CgroupManager *m = xmalloc0(sizeof(*m));
        m->root = xstrdup(cfg->root ? cfg->root : CGROUP_DEFAULT_ROOT);
        m->rootless = cfg->rootless;
        if (cfg->mode >= _CGROUP_MODE_MAX || cfg->mode < -1)
                return lade_error_msg(err, EINVAL, "invalid cgroup mode %d", cfg->mode);
        if (cfg->mode >= 0) {
                m->mode = (CgroupMode) cfg->mode;
        } else {
                int r = cgroup_detect_mode(m->root, &m->mode, err);
                if (r < 0)
                        return r;
        }
        int r = resolve_rel(cfg, &m->rel, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

/* Returns 1 when the path must be dropped (rootless without permission). */
static int make_dir(CgroupManager *m, size_t i, LadeError **err)
{
        const CgroupPath *p = &m->paths[i];
        struct stat st;
        bool existed = lstat(p->path, &st) == 0;
        int r = mkdir_p(p->path, 0755);
        if (r < 0 && m->rootless && (r == -EPERM || r == -EACCES || r == -EROFS)) {
                log_debug("rootless: cannot create cgroup '%s', ignoring", p->path);
                return 1;
        }
        if (r < 0)
                return lade_error(err, -r, "create cgroup '%s'", p->path);
        if (lstat(p->path, &st) < 0 || !S_ISDIR(st.st_mode))
                return lade_error_msg(err, ENOTDIR, "cgroup '%s' exists and is not a directory",
                                      p->path);
        m->created[i] = !existed;
        if (!*p->controllers)
                return cgroup_v2_enable_controllers(m, p, err);
        if (list_has(p->controllers, "cpuset"))
                return cgroup_v1_cpuset_prepare(m, p, err);
        return 0;
}

static void undo_created(CgroupManager *m)
{
        for (size_t i = 0; i < m->n_paths; i++)
                if (m->created[i] && rmdir(m->paths[i].path) < 0)
                        log_debug("cannot remove cgroup '%s': %m, ignoring", m->paths[i].path);
}

int cgroup_manager_create(const CgroupConfig *cfg, CgroupManager **ret, LadeError **err)
{
        _cleanup_(cgroup_manager_freep) CgroupManager *m = NULL;
        int r = manager_new(cfg, &m, err);
        if (r < 0)
                return r;
        r = discover(m, !cfg->root || streq(cfg->root, CGROUP_DEFAULT_ROOT), err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < m->n_paths;) {
                r = make_dir(m, i, err);
                if (r < 0) {
                        undo_created(m);
                        return r;
                }
                if (r > 0)
                        drop_path(m, i);
                else
                        i++;
        }
        *ret = TAKE_PTR(m);
        return 0;
}

int cgroup_manager_enter(CgroupManager *m, pid_t pid, LadeError **err)
{
        char buf[32];
        snprintf(buf, sizeof(buf), "%d", (int) pid);
        for (size_t i = 0; i < m->n_paths; i++) {
                _cleanup_free_ char *what = xasprintf("move process %d into cgroup", (int) pid);
                int r = cgroup_write(m, m->paths[i].path, "cgroup.procs", buf, what, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int cgroup_manager_apply(CgroupManager *m, const SpecResources *r, LadeError **err)
{
        if (!r)
                return 0;
        const CgroupPath *u = cgroup_find_unified(m);
        if (m->mode == CGROUP_MODE_V2)
                return cgroup_v2_apply(m, u->path, r, err);
        if (m->mode == CGROUP_MODE_V1 && r->n_unified > 0)
                return lade_error_msg(err, ENOTSUP,
                                      CGROUP_RES "unified: needs cgroup v2, this host has v1 only");
        int k = cgroup_v1_apply(m, r, err);
        if (k < 0 || !u)
                return k;
        /* hybrid: cgroup2 keys go to the container's directory on the unified mount */
        return cgroup_v2_apply_unified(m, u->path, r, err);
}

/* ---- freezer ---- */

/* The freezer to use: the v1 freezer hierarchy, else cgroup.freeze on cgroup2 (which every
 * non-root cgroup2 directory has, whatever controllers are enabled). */
static const char *freezer_dir(const CgroupManager *m, bool *ret_v2)
{
        const CgroupPath *p = m->mode == CGROUP_MODE_V2 ? NULL : cgroup_find_v1(m, "freezer");
        *ret_v2 = !p;
        if (!p)
                p = cgroup_find_unified(m);
        return p ? p->path : NULL;
}

int cgroup_manager_freeze(CgroupManager *m, bool freeze, LadeError **err)
{
        bool v2;
        const char *dir = freezer_dir(m, &v2);
        if (!dir)
                return lade_error_msg(err, ENOTSUP,
                                      "no freezer controller (v1 freezer or cgroup2)");
        if (v2)
                return cgroup_v2_freeze(m, dir, freeze, err);
        return cgroup_v1_freeze(m, dir, freeze, err);
}

int cgroup_manager_is_frozen(CgroupManager *m, bool *ret, LadeError **err)
{
        bool v2;
        const char *dir = freezer_dir(m, &v2);
        if (!dir) {
                *ret = false;
                return 0;
        }
        return v2 ? cgroup_v2_is_frozen(dir, ret, err) : cgroup_v1_is_frozen(dir, ret, err);
}

/* ---- pids ---- */

/* Where to list processes: every directory holds them all; prefer the one the freezer uses. */
static const char *procs_dir(const CgroupManager *m)
{
        static const char *const order[] = { "freezer", "pids", "memory", "cpu", "devices" };
        if (m->mode != CGROUP_MODE_V2)
                for (size_t i = 0; i < ELEMENTSOF(order); i++) {
                        const CgroupPath *p = cgroup_find_v1(m, order[i]);
                        if (p)
                                return p->path;
                }
        const CgroupPath *u = cgroup_find_unified(m);
        return u ? u->path : m->n_paths > 0 ? m->paths[0].path : NULL;
}

static int parse_procs(const char *text, pid_t **pids, size_t *n, LadeError **err)
{
        for (const char *s = text; *s;) {
                size_t k = strcspn(s, "\n");
                int64_t v;
                _cleanup_free_ char *line = xstrndup(s, k);
                if (*line && (parse_int64(line, &v) < 0 || v <= 0 || v > INT32_MAX))
                        return lade_error_msg(err, EBADMSG, "bad pid '%s' in cgroup.procs", line);
                if (*line) {
                        if (*n >= CGROUP_MAX_PIDS)
                                return lade_error_msg(err, E2BIG, "more than %u pids in the cgroup",
                                                      CGROUP_MAX_PIDS);
                        *pids = xreallocarray(*pids, *n + 1, sizeof(pid_t));
                        (*pids)[(*n)++] = (pid_t) v;
                }
                s += k + (s[k] == '\n');
        }
        return 0;
}

static int collect_pids(const char *dir, int depth, pid_t **pids, size_t *n, LadeError **err)
{
        if (depth > CGROUP_MAX_DEPTH)
                return lade_error_msg(err, ELOOP, "cgroup '%s' is nested too deeply", dir);
        _cleanup_free_ char *text = NULL;
        int r = cgroup_read(dir, "cgroup.procs", &text, depth == 0 ? err : NULL);
        if (r == -ENOENT && depth > 0)
                return 0; /* a sub-cgroup removed while we walk */
        if (r < 0)
                return depth == 0 ? r : lade_error(err, -r, "read %s/cgroup.procs", dir);
        r = parse_procs(text, pids, n, err);
        if (r < 0)
                return r;
        _cleanup_closedir_ DIR *d = opendir(dir);
        for (struct dirent *de; d && (de = readdir(d));) {
                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *sub = xasprintf("%s/%s", dir, de->d_name);
                r = collect_pids(sub, depth + 1, pids, n, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int cgroup_manager_pids(CgroupManager *m, pid_t **ret, size_t *ret_n, LadeError **err)
{
        const char *dir = procs_dir(m);
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        if (!dir)
                return lade_error_msg(err, ENOENT, "the container has no cgroup");
        int r = collect_pids(dir, 0, &pids, &n, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(pids);
        *ret_n = n;
        return 0;
}

static int signal_all(CgroupManager *m, int sig, LadeError **err)
{
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        int r = cgroup_manager_pids(m, &pids, &n, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                if (kill(pids[i], sig) < 0 && errno != ESRCH)
                        return lade_error(err, errno, "send signal %d to process %d", sig,
                                          (int) pids[i]);
        return 0;
}

/* Freezing first means no process can fork a child we would miss. A container that was paused
 * before stays paused, unless the signal is SIGKILL (v1 delivers it only once thawed). */
int cgroup_manager_kill_all(CgroupManager *m, int sig, LadeError **err)
{
        _cleanup_(lade_error_freep) LadeError *ignored = NULL;
        bool was_frozen = false, froze = false, done = false;
        const CgroupPath *u = cgroup_find_unified(m);
        if (m->mode == CGROUP_MODE_V2 && sig == SIGKILL) {
                int r = cgroup_v2_kill(m, u->path, &done, err);
                if (r < 0 || done)
                        return r;
        }
        if (cgroup_manager_is_frozen(m, &was_frozen, &ignored) < 0)
                was_frozen = false;
        froze = cgroup_manager_freeze(m, true, &ignored) >= 0;
        if (!froze)
                log_debug("kill_all: cannot freeze: %s, ignoring", lade_error_message(ignored));
        int r = signal_all(m, sig, err);
        if (froze && (!was_frozen || sig == SIGKILL)) {
                int k = cgroup_manager_freeze(m, false, r < 0 ? NULL : err);
                if (r >= 0)
                        r = k;
        }
        return r;
}

/* ---- destroy ---- */

static bool is_cgroupfs(const char *dir)
{
        return fs_is(dir, CGROUP_SUPER_MAGIC) || fs_is(dir, CGROUP2_SUPER_MAGIC);
}

/* rmdir the sub-cgroups first, deepest first. */
static int rmdir_tree(const char *dir, int depth)
{
        if (depth > CGROUP_MAX_DEPTH)
                return -ELOOP;
        _cleanup_closedir_ DIR *d = opendir(dir);
        if (!d)
                return -errno;
        for (struct dirent *de; (de = readdir(d));) {
                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *sub = xasprintf("%s/%s", dir, de->d_name);
                int r = rmdir_tree(sub, depth + 1);
                if (r < 0 && r != -ENOENT)
                        return r;
        }
        return rmdir(dir) < 0 ? -errno : 0;
}

static int remove_cgroup(const char *dir, LadeError **err)
{
        struct stat st;
        if (lstat(dir, &st) < 0 && errno == ENOENT)
                return 0;
        /* Not on cgroupfs: a plain-file tree (the unit tests), where knobs are real files. */
        if (!is_cgroupfs(dir)) {
                int r = rm_rf_at(AT_FDCWD, dir);
                return r < 0 ? lade_error(err, -r, "remove '%s'", dir) : 0;
        }
        /* Tasks that were just killed leave the cgroup asynchronously: retry for about 1 s. */
        uint64_t deadline = now_ns() + 1000ULL * 1000 * 1000;
        for (;;) {
                int r = rmdir_tree(dir, 0);
                if (r == 0 || r == -ENOENT)
                        return 0;
                if (r != -EBUSY || now_ns() > deadline)
                        return lade_error(err, -r, "remove cgroup '%s'", dir);
                (void) usleep(10 * 1000);
        }
}

int cgroup_manager_destroy(CgroupManager *m, LadeError **err)
{
        int r = 0;
        for (size_t i = m->n_paths; i > 0; i--) {
                int k = remove_cgroup(m->paths[i - 1].path, err);
                if (k < 0 && r == 0)
                        r = k;
        }
        return r;
}

size_t cgroup_manager_paths(CgroupManager *m, const CgroupPath **ret)
{
        *ret = m->paths;
        return m->n_paths;
}

CgroupMode cgroup_manager_mode(CgroupManager *m)
{
        return m->mode;
}

/* ---- JSON ---- */

json_t *cgroup_manager_to_json(CgroupManager *m)
{
        json_t *paths = json_array();
        if (!paths)
                return NULL;
        for (size_t i = 0; i < m->n_paths; i++) {
                const CgroupPath *p = &m->paths[i];
                json_t *o = json_pack("{s:s,s:s,s:s}", "controllers", p->controllers, "mount",
                                      p->mount_dir, "path", p->path);
                if (!o || json_array_append_new(paths, o) < 0) {
                        json_decref(paths);
                        return NULL;
                }
        }
        return json_pack("{s:s,s:s,s:s,s:b,s:o}", "mode", cgroup_mode_to_string(m->mode), "root",
                         m->root, "rel", m->rel, "rootless", m->rootless, "paths", paths);
}

static int path_from_json(CgroupManager *m, json_t *o, size_t idx, LadeError **err)
{
        const char *controllers, *mount, *path;
        if (json_unpack(o, "{s:s,s:s,s:s}", "controllers", &controllers, "mount", &mount, "path",
                        &path) < 0)
                return lade_error_msg(err, EINVAL, "cgroup state: paths[%zu] is malformed", idx);
        _cleanup_free_ char *expect = xasprintf("%s%s", mount, m->rel);
        if (mount[0] != '/' || !streq(path, expect))
                return lade_error_msg(err, EINVAL,
                                      "cgroup state: paths[%zu] '%s' is not under '%s'", idx, path,
                                      mount);
        return add_path(m, controllers, mount, err);
}

int cgroup_manager_from_json(json_t *j, CgroupManager **ret, LadeError **err)
{
        const char *mode, *root, *rel;
        int rootless = 0;
        json_t *paths;
        json_error_t je;
        if (json_unpack_ex(j, &je, 0, "{s:s,s:s,s:s,s?b,s:o}", "mode", &mode, "root", &root, "rel",
                           &rel, "rootless", &rootless, "paths", &paths) < 0)
                return lade_error_msg(err, EINVAL, "cgroup state: %s", je.text);
        _cleanup_(cgroup_manager_freep) CgroupManager *m = xmalloc0(sizeof(*m));
        m->mode = cgroup_mode_from_string(mode);
        m->root = xstrdup(root);
        m->rootless = rootless;
        int r = cgroup_path_normalize(rel, &m->rel, err);
        if (r < 0)
                return lade_error_wrap(err, "cgroup state");
        if (m->mode < 0 || !streq(m->rel, rel) || !json_is_array(paths))
                return lade_error_msg(err, EINVAL, "cgroup state: bad mode, rel or paths");
        size_t i;
        json_t *o;
        json_array_foreach (paths, i, o) {
                r = path_from_json(m, o, i, err);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(m);
        return 0;
}

/* Every move of a task between cgroups takes the kernel's cgroup_threadgroup_rwsem for writing
 * (one lock for all hierarchies, v1 and v2); when nothing has written it for a while, the
 * writer first waits for an RCU grace period (5-15 ms here: about a third of a `run`). The
 * lock stays in its writer-ready state for a grace period after the last writer, so a
 * harmless write started a few milliseconds before the container's own — a child moving
 * itself into the cgroup it is already in — makes that wait overlap the caller's other work.
 * Only async-signal-safe calls in the child: the caller may have threads. */
pid_t cgroup_prime_attach(void)
{
        pid_t pid = fork();
        if (pid != 0)
                return pid > 0 ? pid : 0;
        char buf[4096];
        int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
        if (n <= 0)
                _exit(0);
        buf[n] = '\0';
        /* the unified hierarchy's line: "0::/path" */
        char *line = buf;
        while (line && strncmp(line, "0::", 3) != 0) {
                line = strchr(line, '\n');
                line = line ? line + 1 : NULL;
        }
        if (!line)
                _exit(0);
        char *rel = line + 3;
        rel[strcspn(rel, "\n")] = '\0';
        static const char *const mounts[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };
        for (size_t i = 0; i < ELEMENTSOF(mounts); i++) {
                char path[PATH_MAX];
                size_t a = strlen(mounts[i]), b = strlen(rel), c = strlen("/cgroup.procs");
                if (a + b + c + 1 > sizeof(path))
                        break;
                memcpy(path, mounts[i], a);
                memcpy(path + a, rel, b);
                memcpy(path + a + b, "/cgroup.procs", c + 1);
                int w = open(path, O_WRONLY | O_CLOEXEC);
                if (w >= 0) {
                        (void) !write(w, "0", 1);
                        _exit(0);
                }
        }
        _exit(0);
}

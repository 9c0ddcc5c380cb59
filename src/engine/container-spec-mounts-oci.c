/* mounts[]: Docker's default mounts (moby oci/defaults.go: /proc, /dev, /dev/pts, /sys,
 * /sys/fs/cgroup, /dev/mqueue, /dev/shm sized by HostConfig.ShmSize), less those a user mount
 * replaces, then the user's mounts in dockerd's order, converted as withMounts does: tmpfs options
 * merged (moby/sys/mount MergeTmpfsOptions), binds as "rbind" with "rro" (or "ro") and their
 * propagation, a shared or slave bind checked against the host's mountinfo and reflected in
 * linux.rootfsPropagation; /sys and the cgroup mount writable for privileged containers. */
#include <stdio.h>
#include <string.h>

#include "container-spec-mounts.h"
#include "json-util.h"
#include "util.h"

static json_t *mount_json(const char *dest, const char *type, const char *source, json_t *options)
{
        return json_pack("{s:s, s:s, s:s, s:o}", "destination", dest, "type", type, "source",
                         source, "options", options);
}

static json_t *default_mount(size_t i)
{
        switch (i) {
        case 0:
                return mount_json("/proc", "proc", "proc",
                                  json_pack("[sss]", "nosuid", "noexec", "nodev"));
        case 1:
                return mount_json(
                        "/dev", "tmpfs", "tmpfs",
                        json_pack("[ssss]", "nosuid", "strictatime", "mode=755", "size=65536k"));
        case 2:
                return mount_json("/dev/pts", "devpts", "devpts",
                                  json_pack("[ssssss]", "nosuid", "noexec", "newinstance",
                                            "ptmxmode=0666", "mode=0620", "gid=5"));
        case 3:
                return mount_json("/sys", "sysfs", "sysfs",
                                  json_pack("[ssss]", "nosuid", "noexec", "nodev", "ro"));
        case 4:
                return mount_json("/sys/fs/cgroup", "cgroup", "cgroup",
                                  json_pack("[ssss]", "ro", "nosuid", "noexec", "nodev"));
        case 5:
                return mount_json("/dev/mqueue", "mqueue", "mqueue",
                                  json_pack("[sss]", "nosuid", "noexec", "nodev"));
        case 6:
                return mount_json("/dev/shm", "tmpfs", "shm",
                                  json_pack("[ssss]", "nosuid", "noexec", "nodev", "mode=1777"));
        default:
                return NULL;
        }
}

static const char *mount_dest(json_t *m)
{
        return json_string_value(json_object_get(m, "destination"));
}

/* Docker's defaults without those a user mount overrides (all of /dev/... when /dev is one). */
static json_t *default_mounts(SpecBuild *b, CMountList *user)
{
        json_t *out = json_array();
        bool user_dev = cspec_mount_list_find(user, "/dev") != NULL;
        json_t *m;
        for (size_t i = 0; (m = default_mount(i)); i++) {
                const char *dest = mount_dest(m);
                if (cspec_mount_list_find(user, dest) || (user_dev && startswith(dest, "/dev/")) ||
                    (streq(dest, "/dev/shm") && streq(b->ipc_mode, "none"))) {
                        json_decref(m);
                        continue;
                }
                if (streq(dest, "/dev/shm")) {
                        char size[48];
                        snprintf(size, sizeof(size), "size=%lld", (long long) b->shm_size);
                        json_array_append_new(json_object_get(m, "options"), json_string(size));
                }
                json_array_append_new(out, m);
        }
        return out;
}

/* ---- tmpfs ---- */

/* moby/sys/mount's flags table: options sharing a key override each other (-1: propagation). */
static bool tmpfs_flag_key(const char *o, int *ret)
{
        static const struct { const char *names[10]; int key; } t[] = {
                { { "ro", "rw" }, 1 }, { { "suid", "nosuid" }, 2 }, { { "dev", "nodev" }, 3 },
                { { "exec", "noexec" }, 4 }, { { "sync", "async" }, 5 }, { { "dirsync" }, 6 },
                { { "remount" }, 7 }, { { "mand", "nomand" }, 8 }, { { "atime", "noatime" }, 9 },
                { { "diratime", "nodiratime" }, 10 }, { { "relatime", "norelatime" }, 11 },
                { { "strictatime", "nostrictatime" }, 12 },
                { { "bind", "rbind", "unbindable", "runbindable", "private", "rprivate", "shared",
                    "rshared", "slave", "rslave" }, -1 },
        };
        for (size_t i = 0; i < ELEMENTSOF(t); i++)
                for (size_t j = 0; j < ELEMENTSOF(t[i].names) && t[i].names[j]; j++)
                        if (streq(o, t[i].names[j])) {
                                *ret = t[i].key;
                                return true;
                        }
        return false;
}

static bool tmpfs_data_key(const char *o, char *key, size_t n)
{
        static const char *const valid[] = { "", "size", "mode", "uid", "gid", "nr_inodes",
                                             "nr_blocks", "mpol" };
        const char *eq = strchr(o, '=');
        if (!eq || (size_t) (eq - o) >= n)
                return false;
        snprintf(key, n, "%.*s", (int) (eq - o), o);
        for (size_t i = 0; i < ELEMENTSOF(valid); i++)
                if (streq(key, valid[i]))
                        return true;
        return false;
}

static int tmpfs_option_error(LadeError **err, const char *o)
{
        const char *eq = strchr(o, '=');
        if (eq)
                return lade_error_msg(err, EINVAL, "invalid tmpfs option [\"%.*s\" \"%s\"]",
                                      (int) (eq - o), o, eq + 1);
        return lade_error_msg(err, EINVAL, "invalid tmpfs option [\"%s\"]", o);
}

/* MergeTmpfsOptions: walk from the end, keep the last of each flag family and data key. */
static int tmpfs_merge(char **opts, size_t n, json_t **ret, LadeError **err)
{
        _cleanup_json_ json_t *out = json_array();
        _cleanup_strv_free_ char **seen = xmalloc0(sizeof(char *));
        for (size_t i = n; i-- > 0;) {
                char key[64];
                int flag;
                if (streq(opts[i], "defaults"))
                        continue;
                if (tmpfs_flag_key(opts[i], &flag))
                        snprintf(key, sizeof(key), "\001%d", flag);
                else if (!tmpfs_data_key(opts[i], key, sizeof(key)))
                        return tmpfs_option_error(err, opts[i]);
                bool dup = false;
                for (char **s = seen; *s; s++)
                        dup |= streq(*s, key);
                if (dup)
                        continue;
                seen = strv_append(seen, key);
                json_array_insert_new(out, 0, json_string(opts[i]));
        }
        *ret = TAKE_PTR(out);
        return 0;
}

static int tmpfs_mount(const CMount *m, json_t **ret, LadeError **err)
{
        _cleanup_strv_free_ char **opts = strv_append(strv_append(strv_append(strv_append(
                NULL, "noexec"), "nosuid"), "nodev"), "rprivate");
        if (m->data && *m->data) {
                _cleanup_free_ char *copy = xstrdup(m->data);
                for (char *o = copy, *next; o; o = next) {
                        next = strchr(o, ',');
                        if (next)
                                *next++ = '\0';
                        opts = strv_append(opts, o);
                }
        }
        json_t *options = NULL;
        int r = tmpfs_merge(opts, strv_length(opts), &options, err);
        if (r < 0)
                return r;
        *ret = json_pack("{s:s, s:s, s:s, s:o}", "destination", m->destination, "type", "tmpfs",
                         "source", m->source, "options", options);
        return 0;
}

/* ---- binds ---- */

static char *unescape_octal(const char *s)
{
        char *out = xmalloc(strlen(s) + 1), *o = out;
        for (; *s; s++) {
                unsigned v;
                if (s[0] == '\\' && sscanf(s + 1, "%3o", &v) == 1 &&
                    strspn(s + 1, "01234567") >= 3) {
                        *o++ = (char) v;
                        s += 3;
                } else {
                        *o++ = *s;
                }
        }
        *o = '\0';
        return out;
}

/* getSourceMount: the longest mount point that prefixes the (resolved) source, and its optional
 * fields ("shared:12 master:3"). */
static int source_mount(const char *source, char **ret_point, char **ret_optional, LadeError **err)
{
        _cleanup_free_ char *path = realpath(source, NULL);
        if (!path)
                return lade_error(err, errno, "lstat %s", source);
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return lade_error(err, errno, "open /proc/self/mountinfo");
        _cleanup_free_ char *line = NULL, *best = NULL, *best_opt = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, f) > 0) {
                char point[4096];
                int off = 0;
                if (sscanf(line, "%*s %*s %*s %*s %4095s %*s%n", point, &off) != 1 || off <= 0)
                        continue;
                _cleanup_free_ char *mp = unescape_octal(point);
                if (!startswith(path, mp) || (best && strlen(mp) < strlen(best)))
                        continue;
                char *opt = line + off, *dash = strstr(opt, " - ");
                free(best);
                free(best_opt);
                best = TAKE_PTR(mp);
                best_opt = xstrndup(opt, dash ? (size_t) (dash - opt) : 0);
        }
        if (!best)
                return lade_error_msg(err, ENOENT, "Can't find mount point of %s", source);
        *ret_point = TAKE_PTR(best);
        *ret_optional = TAKE_PTR(best_opt);
        return 0;
}

static bool optional_has(const char *opts, const char *prefix)
{
        for (const char *p = opts; (p = strstr(p, prefix)); p++)
                if (p == opts || p[-1] == ' ')
                        return true;
        return false;
}

/* ensureShared / ensureSharedOrSlave, then the rootfs propagation dockerd picks. */
static int check_propagation(const CMount *m, json_t *linux_, LadeError **err)
{
        bool shared = streq(m->propagation, "shared") || streq(m->propagation, "rshared");
        bool slave = streq(m->propagation, "slave") || streq(m->propagation, "rslave");
        if (!shared && !slave)
                return 0;
        _cleanup_free_ char *point = NULL, *opt = NULL;
        int r = source_mount(m->source, &point, &opt, err);
        if (r < 0)
                return r;
        if (!optional_has(opt, "shared:") && (shared || !optional_has(opt, "master:")))
                return lade_error_msg(err, EINVAL,
                                      "path %s is mounted on %s but it is not a shared%s "
                                      "mount",
                                      m->source, point, shared ? "" : " or slave");
        const char *root = json_string_value(json_object_get(linux_, "rootfsPropagation"));
        bool root_shared = streq(root, "shared") || streq(root, "rshared");
        bool root_slave = streq(root, "slave") || streq(root, "rslave");
        if (shared && !root_shared)
                json_object_set_new(linux_, "rootfsPropagation", json_string("shared"));
        else if (slave && !root_shared && !root_slave)
                json_object_set_new(linux_, "rootfsPropagation", json_string("rslave"));
        return 0;
}

static int bind_mount(const CMount *m, json_t *linux_, json_t **ret, LadeError **err)
{
        int r = check_propagation(m, linux_, err);
        if (r < 0)
                return r;
        json_t *opts = json_pack("[s]", m->non_recursive ? "bind" : "rbind");
        if (!m->writable) {
                unsigned k = 0, maj = 0;
                bool rro = !m->ro_non_recursive;
                if (rro &&
                    (cspec_kernel_version(&k, &maj, NULL) < 0 || k < 5 || (k == 5 && maj < 12))) {
                        rro = false;
                        if (m->ro_force_recursive) {
                                json_decref(opts);
                                return lade_error_msg(err, ENOTSUP, "rro is not supported: kernel "
                                                      "is older than 5.12");
                        }
                }
                json_array_append_new(opts, json_string(rro ? "rro" : "ro"));
        }
        static const char *const props[] = { "private", "rprivate", "shared", "rshared", "slave",
                                             "rslave" };
        for (size_t i = 0; m->propagation && i < ELEMENTSOF(props); i++)
                if (streq(m->propagation, props[i]))
                        json_array_append_new(opts, json_string(props[i]));
        *ret = mount_json(m->destination, "bind", m->source, opts);
        return 0;
}

/* ---- final touches ---- */

static void options_remove(json_t *mount, const char *opt)
{
        json_t *opts = json_object_get(mount, "options");
        for (size_t i = json_array_size(opts); i-- > 0;)
                if (streq(json_string_value(json_array_get(opts, i)), opt))
                        json_array_remove(opts, i);
}

static bool options_has(json_t *mount, const char *opt)
{
        json_t *opts = json_object_get(mount, "options");
        for (size_t i = 0; i < json_array_size(opts); i++)
                if (streq(json_string_value(json_array_get(opts, i)), opt))
                        return true;
        return false;
}

/* ReadonlyRootfs, Privileged and writable cgroups, in withMounts' order. */
static void final_touches(SpecBuild *b, CMountList *user, json_t *mounts)
{
        static const char *const keep_rw[] = { "/proc", "/dev/pts", "/dev/shm", "/dev/mqueue",
                                               "/dev" };
        bool ro_root = false;
        (void) cspec_bool(b->host, "HostConfig", "ReadonlyRootfs", &ro_root, NULL);
        bool writable_cgroups =
                b->sec.writable_cgroups >= 0 ? b->sec.writable_cgroups : b->privileged;
        size_t i;
        json_t *m;
        json_array_foreach(mounts, i, m) {
                const char *dest = mount_dest(m);
                bool skip = cspec_mount_list_find(user, dest) != NULL;
                for (size_t k = 0; k < ELEMENTSOF(keep_rw); k++)
                        skip |= streq(dest, keep_rw[k]);
                if (ro_root && !skip && !options_has(m, "ro"))
                        json_array_append_new(json_object_get(m, "options"), json_string("ro"));
                if (b->privileged && streq(dest, "/sys"))
                        options_remove(m, "ro");
                if (writable_cgroups &&
                    streq(json_string_value(json_object_get(m, "type")), "cgroup"))
                        options_remove(m, "ro");
        }
}

int cspec_build_mounts(SpecBuild *b, json_t *linux_, LadeError **err)
{
        _cleanup_(cspec_mount_list_done) CMountList user = {};
        int r = cspec_collect_mounts(b, &user, err);
        if (r < 0)
                return r;
        _cleanup_json_ json_t *mounts = default_mounts(b, &user);
        for (size_t i = 0; i < user.n; i++) {
                json_t *m = NULL;
                r = user.m[i].tmpfs ? tmpfs_mount(&user.m[i], &m, err)
                                    : bind_mount(&user.m[i], linux_, &m, err);
                if (r < 0)
                        return r;
                json_array_append_new(mounts, m);
        }
        final_touches(b, &user, mounts);
        json_object_set(b->spec, "mounts", mounts);
        return 0;
}

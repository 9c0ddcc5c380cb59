/* The container's filesystem view, built inside its new mount namespace before pivot_root.
 * Invariant: every destination is resolved inside the rootfs with openat2(RESOLVE_IN_ROOT) and
 * mounted through /proc/self/fd/N of that resolution, so no symlink planted in the rootfs (even
 * one swapped in while we work) can redirect a mount onto the host. */
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "container-internal.h"
#include "fs-safe.h"
#include "log.h"
#include "util.h"

static int root_fd = -EBADF; /* O_PATH of the rootfs mount, valid between prepare and pivot */

static unsigned long locked_flags(const char *path)
{
        struct statvfs sv;
        unsigned long f = 0;
        if (statvfs(path, &sv) < 0)
                return 0;
        if (sv.f_flag & ST_NOSUID)
                f |= MS_NOSUID;
        if (sv.f_flag & ST_NODEV)
                f |= MS_NODEV;
        if (sv.f_flag & ST_NOEXEC)
                f |= MS_NOEXEC;
        if (sv.f_flag & ST_NOATIME)
                f |= MS_NOATIME;
        if (sv.f_flag & ST_NODIRATIME)
                f |= MS_NODIRATIME;
        if (sv.f_flag & ST_RELATIME)
                f |= MS_RELATIME;
        return f;
}

/* Remounts the bind mount at (rootfd-relative) dest with flags, keeping the flags the kernel
 * locks in a user namespace (it refuses to clear them). */
static int bind_remount(int dirfd, const char *dest, unsigned long flags, LadeError **err)
{
        _cleanup_close_ int fd = fs_open_in_root(dirfd, dest, O_PATH, 0, err);
        if (fd < 0)
                return fd;
        char buf[32];
        const char *p = fs_fd_path(fd, buf);
        unsigned long f = MS_BIND | MS_REMOUNT | flags;
        if (mount(NULL, p, NULL, f, NULL) == 0)
                return 0;
        if (errno == EPERM && mount(NULL, p, NULL, f | locked_flags(p), NULL) == 0)
                return 0;
        return lade_error(err, errno, "remount '%s'", dest);
}

static int apply_propagation_attrs(int dirfd, const char *dest, const MountFlags *f, LadeError **err)
{
        if (!f->propagation && !f->attr_set && !f->attr_clr)
                return 0;
        _cleanup_close_ int fd = fs_open_in_root(dirfd, dest, O_PATH, 0, err);
        if (fd < 0)
                return fd;
        char buf[32];
        if (f->propagation && mount(NULL, fs_fd_path(fd, buf), NULL, f->propagation, NULL) < 0)
                return lade_error(err, errno, "set propagation of '%s'", dest);
        if (f->attr_set || f->attr_clr) {
                struct mount_attr a = { .attr_set = f->attr_set, .attr_clr = f->attr_clr };
                if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) < 0)
                        return lade_error(err, errno, "set recursive attributes of '%s'", dest);
        }
        return 0;
}

static int mount_bind(const SpecMount *m, const MountFlags *f, LadeError **err)
{
        struct stat st;
        if (!m->source)
                return lade_error_msg(err, EINVAL, "mount '%s': bind mount without a source",
                                      m->destination);
        if (stat(m->source, &st) < 0)
                return lade_error(err, errno, "mount '%s': source '%s'", m->destination, m->source);
        _cleanup_close_ int target = fs_ensure_in_root(root_fd, m->destination, S_ISDIR(st.st_mode), err);
        if (target < 0)
                return lade_error_wrap(err, "mount '%s'", m->destination);
        char buf[32];
        if (mount(m->source, fs_fd_path(target, buf), NULL, MS_BIND | (f->rec ? MS_REC : 0), NULL) < 0)
                return lade_error(err, errno, "bind mount '%s' on '%s'", m->source, m->destination);
        unsigned long extra = f->flags & ~(MS_REMOUNT | MS_BIND | MS_REC);
        if (extra) {
                int r = bind_remount(root_fd, m->destination, extra | (f->rec ? MS_REC : 0), err);
                if (r < 0)
                        return r;
        }
        return apply_propagation_attrs(root_fd, m->destination, f, err);
}

static int mount_cgroup_v1(const InitPlan *p, const SpecMount *m, const MountFlags *f, int target,
                           LadeError **err)
{
        char buf[32];
        unsigned long base = MS_NOSUID | MS_NODEV | MS_NOEXEC;
        if (mount("tmpfs", fs_fd_path(target, buf), "tmpfs", base, "mode=755") < 0)
                return lade_error(err, errno, "mount tmpfs for cgroups on '%s'", m->destination);
        const CgroupPath *paths;
        size_t n = p->cgroup ? cgroup_manager_paths((CgroupManager *) p->cgroup, &paths) : 0;
        for (size_t i = 0; i < n; i++) {
                const char *name = strrchr(paths[i].mount_dir, '/');
                name = name ? name + 1 : paths[i].mount_dir;
                _cleanup_free_ char *dest = xasprintf("%s/%s", m->destination, name);
                _cleanup_close_ int sub = fs_mkdir_p_in_root(root_fd, dest, 0755, err);
                if (sub < 0)
                        return sub;
                if (mount(paths[i].path, fs_fd_path(sub, buf), NULL, MS_BIND | MS_REC, NULL) < 0)
                        return lade_error(err, errno, "bind cgroup '%s' on '%s'", paths[i].path, dest);
                int r = bind_remount(root_fd, dest, base | (f->flags & MS_RDONLY), err);
                if (r < 0)
                        return r;
        }
        if (f->flags & MS_RDONLY)
                return bind_remount(root_fd, m->destination, base | MS_RDONLY, err);
        return 0;
}

static int mount_cgroup(const InitPlan *p, const SpecMount *m, const MountFlags *f, LadeError **err)
{
        _cleanup_close_ int target = fs_ensure_in_root(root_fd, m->destination, true, err);
        if (target < 0)
                return target;
        char buf[32];
        unsigned long flags = (f->flags & ~MS_REMOUNT) | MS_NOSUID | MS_NODEV | MS_NOEXEC;
        if (p->cgroup && cgroup_manager_mode((CgroupManager *) p->cgroup) != CGROUP_MODE_V2)
                return mount_cgroup_v1(p, m, f, target, err);
        if (plan_has_ns(p, SPEC_NS_CGROUP)) {
                if (mount("cgroup2", fs_fd_path(target, buf), "cgroup2", flags, NULL) == 0)
                        return 0;
                if (errno != EPERM && errno != EBUSY)
                        return lade_error(err, errno, "mount cgroup2 on '%s'", m->destination);
        }
        /* no cgroup namespace: show only the container's own cgroup */
        const CgroupPath *paths;
        if (!p->cgroup || cgroup_manager_paths((CgroupManager *) p->cgroup, &paths) == 0)
                return lade_error_msg(err, ENOENT, "mount '%s': no cgroup to mount", m->destination);
        if (mount(paths[0].path, fs_fd_path(target, buf), NULL, MS_BIND | MS_REC, NULL) < 0)
                return lade_error(err, errno, "bind cgroup on '%s'", m->destination);
        return bind_remount(root_fd, m->destination, flags, err);
}

static int mount_fs(const InitPlan *p, const SpecMount *m, const MountFlags *f, LadeError **err)
{
        _cleanup_close_ int target = fs_ensure_in_root(root_fd, m->destination, true, err);
        if (target < 0)
                return lade_error_wrap(err, "mount '%s'", m->destination);
        char buf[32];
        const char *t = fs_fd_path(target, buf);
        const char *type = m->type;
        unsigned long flags = f->flags & ~MS_REMOUNT;
        if (mount(m->source ? m->source : type, t, type, flags, f->data) < 0) {
                int e = errno;
                /* sysfs cannot be mounted in a user namespace without its own network namespace:
                 * fall back to a read-only bind of the host's, as runc does */
                if (streq(type, "sysfs") && (e == EPERM || e == EBUSY)) {
                        if (mount("/sys", t, NULL, MS_BIND | MS_REC, NULL) < 0)
                                return lade_error(err, errno, "bind /sys on '%s'", m->destination);
                        return bind_remount(root_fd, m->destination, flags | MS_RDONLY | MS_REC, err);
                }
                return lade_error(err, e, "mount %s on '%s'", type, m->destination);
        }
        return apply_propagation_attrs(root_fd, m->destination, f, err);
}

static int do_mount(InitPlan *p, const SpecMount *m, LadeError **err)
{
        MountFlags f;
        (void) mount_options_parse(m->options, &f);
        _cleanup_free_ char *data = f.data;
        int r;
        if (f.bind || streq(m->type, "bind"))
                r = mount_bind(m, &f, err);
        else if (!m->type)
                r = lade_error_msg(err, EINVAL, "mount '%s': no type given", m->destination);
        else if (streq(m->type, "cgroup") || streq(m->type, "cgroup2"))
                r = mount_cgroup(p, m, &f, err);
        else
                r = mount_fs(p, m, &f, err);
        return r;
}

static unsigned long propagation_flag(const char *s)
{
        static const struct {
                const char *name;
                unsigned long flag;
        } t[] = { { "shared", MS_SHARED },          { "rshared", MS_SHARED | MS_REC },
                  { "slave", MS_SLAVE },            { "rslave", MS_SLAVE | MS_REC },
                  { "private", MS_PRIVATE },        { "rprivate", MS_PRIVATE | MS_REC },
                  { "unbindable", MS_UNBINDABLE },  { "runbindable", MS_UNBINDABLE | MS_REC } };
        for (size_t i = 0; s && i < ELEMENTSOF(t); i++)
                if (streq(t[i].name, s))
                        return t[i].flag;
        return 0;
}

int mounts_prepare_rootfs(InitPlan *p, LadeError **err)
{
        unsigned long prop = propagation_flag(p->spec->linux_.rootfs_propagation);
        /* never let our mounts propagate back to the host */
        if (mount(NULL, "/", NULL, (prop & MS_SHARED ? MS_SLAVE : prop ? prop : MS_SLAVE) | MS_REC, NULL) < 0)
                return lade_error(err, errno, "make / a slave mount");
        if (mount(p->rootfs, p->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
                return lade_error(err, errno, "bind mount rootfs '%s'", p->rootfs);
        root_fd = open(p->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return lade_error(err, errno, "open rootfs '%s'", p->rootfs);
        for (size_t i = 0; i < p->spec->n_mounts; i++) {
                int r = do_mount(p, &p->spec->mounts[i], err);
                if (r < 0)
                        return r;
        }
        return devices_setup(p, root_fd, err);
}

static int pivot(const InitPlan *p, LadeError **err)
{
        if (fchdir(root_fd) < 0)
                return lade_error(err, errno, "chdir to rootfs");
        if (p->no_pivot) {
                if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
                        return lade_error(err, errno, "move rootfs to /");
                if (chroot(".") < 0)
                        return lade_error(err, errno, "chroot");
                return chdir("/") < 0 ? lade_error(err, errno, "chdir /") : 0;
        }
        /* pivot_root(".", ".") stacks the old root under the new one; detach it from there. */
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return lade_error(err, errno, "pivot_root");
        if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
                return lade_error(err, errno, "make old root a slave");
        if (umount2(".", MNT_DETACH) < 0)
                return lade_error(err, errno, "detach old root");
        return chdir("/") < 0 ? lade_error(err, errno, "chdir /") : 0;
}

int mounts_pivot_root(InitPlan *p, LadeError **err)
{
        int r = pivot(p, err);
        root_fd = safe_close(root_fd);
        if (r < 0)
                return r;
        unsigned long prop = propagation_flag(p->spec->linux_.rootfs_propagation);
        if (prop && mount(NULL, "/", NULL, prop, NULL) < 0)
                return lade_error(err, errno, "set rootfsPropagation");
        return 0;
}

static int mask_path(int rootfd, const char *path, LadeError **err)
{
        _cleanup_close_ int fd = fs_open_in_root(rootfd, path, O_PATH | O_NOFOLLOW, 0, NULL);
        if (fd == -ENOENT)
                return 0;
        if (fd < 0)
                return lade_error(err, -fd, "open masked path '%s'", path);
        struct stat st;
        if (fstat(fd, &st) < 0)
                return lade_error(err, errno, "stat masked path '%s'", path);
        char buf[32];
        const char *t = fs_fd_path(fd, buf);
        int r = S_ISDIR(st.st_mode) ? mount("tmpfs", t, "tmpfs", MS_RDONLY, "size=0k,nr_inodes=1")
                                     : mount("/dev/null", t, NULL, MS_BIND, NULL);
        if (r < 0)
                return lade_error(err, errno, "mask '%s'", path);
        return 0;
}

static int readonly_path(int rootfd, const char *path, LadeError **err)
{
        _cleanup_close_ int fd = fs_open_in_root(rootfd, path, O_PATH | O_NOFOLLOW, 0, NULL);
        if (fd == -ENOENT)
                return 0;
        if (fd < 0)
                return lade_error(err, -fd, "open read-only path '%s'", path);
        char buf[32];
        if (mount(fs_fd_path(fd, buf), fs_fd_path(fd, buf), NULL, MS_BIND | MS_REC, NULL) < 0)
                return lade_error(err, errno, "bind read-only path '%s'", path);
        return bind_remount(rootfd, path, MS_RDONLY | MS_REC, err);
}

int mounts_finalize(InitPlan *p, LadeError **err)
{
        _cleanup_close_ int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return lade_error(err, errno, "open /");
        for (char **m = p->spec->linux_.masked_paths; m && *m; m++) {
                int r = mask_path(rootfd, *m, err);
                if (r < 0)
                        return r;
        }
        for (char **m = p->spec->linux_.readonly_paths; m && *m; m++) {
                int r = readonly_path(rootfd, *m, err);
                if (r < 0)
                        return r;
        }
        if (p->spec->root_readonly)
                return bind_remount(rootfd, "/", MS_RDONLY, err);
        return 0;
}

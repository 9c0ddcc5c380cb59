/* /dev inside the container: the OCI default devices, linux.devices, and the standard symlinks.
 * Nodes are made with mknod, or bind-mounted from the host where mknod is not allowed (a user
 * namespace). Every path is resolved inside the rootfs. */
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "container-internal.h"
#include "fs-safe.h"
#include "util.h"

static const SpecDevice default_devices[] = {
        { .path = "/dev/null", .type = 'c', .major = 1, .minor = 3 },
        { .path = "/dev/zero", .type = 'c', .major = 1, .minor = 5 },
        { .path = "/dev/full", .type = 'c', .major = 1, .minor = 7 },
        { .path = "/dev/random", .type = 'c', .major = 1, .minor = 8 },
        { .path = "/dev/urandom", .type = 'c', .major = 1, .minor = 9 },
        { .path = "/dev/tty", .type = 'c', .major = 5, .minor = 0 },
};

static const struct {
        const char *target, *path;
} default_links[] = {
        { "/proc/self/fd", "/dev/fd" },     { "/proc/self/fd/0", "/dev/stdin" },
        { "/proc/self/fd/1", "/dev/stdout" }, { "/proc/self/fd/2", "/dev/stderr" },
        { "pts/ptmx", "/dev/ptmx" },
};

static int split_parent(int rootfd, const char *path, char **ret_base, LadeError **err)
{
        _cleanup_free_ char *norm = fs_path_normalize(path);
        char *slash = strrchr(norm, '/');
        *ret_base = xstrdup(slash + 1);
        *slash = '\0';
        return fs_mkdir_p_in_root(rootfd, *norm ? norm : "/", 0755, err);
}

static int bind_device(int rootfd, const SpecDevice *d, LadeError **err)
{
        _cleanup_close_ int target = fs_ensure_in_root(rootfd, d->path, false, err);
        if (target < 0)
                return target;
        char buf[32];
        if (mount(d->path, fs_fd_path(target, buf), NULL, MS_BIND, NULL) < 0)
                return lade_error(err, errno, "bind device '%s'", d->path);
        return 0;
}

static int make_device(int rootfd, const SpecDevice *d, bool userns, LadeError **err)
{
        if (userns)
                return bind_device(rootfd, d, err);
        _cleanup_free_ char *base = NULL;
        _cleanup_close_ int dir = split_parent(rootfd, d->path, &base, err);
        if (dir < 0)
                return dir;
        /* O_PATH dirfds cannot be used with mknodat: reopen the directory for real */
        char buf[32];
        _cleanup_close_ int dfd = open(fs_fd_path(dir, buf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return lade_error(err, errno, "open parent of '%s'", d->path);
        mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
        mode_t mode = d->file_mode.set ? (mode_t) d->file_mode.v & 07777 : 0666;
        (void) unlinkat(dfd, base, 0);
        if (mknodat(dfd, base, type | mode, makedev(d->major, d->minor)) < 0) {
                if (errno == EPERM)
                        return bind_device(rootfd, d, err);
                return lade_error(err, errno, "mknod '%s'", d->path);
        }
        /* mknod is subject to umask: set the mode exactly */
        if (fchmodat(dfd, base, mode, 0) < 0)
                return lade_error(err, errno, "chmod '%s'", d->path);
        uid_t uid = d->uid.set ? (uid_t) d->uid.v : 0;
        gid_t gid = d->gid.set ? (gid_t) d->gid.v : 0;
        if (fchownat(dfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
                return lade_error(err, errno, "chown '%s'", d->path);
        return 0;
}

static bool dev_is_bind_mounted(const Spec *s)
{
        for (size_t i = 0; i < s->n_mounts; i++) {
                if (!streq(s->mounts[i].destination, "/dev"))
                        continue;
                if (streq(s->mounts[i].type, "bind"))
                        return true;
                for (char **o = s->mounts[i].options; o && *o; o++)
                        if (streq(*o, "bind") || streq(*o, "rbind"))
                                return true;
        }
        return false;
}

int devices_setup(InitPlan *p, int rootfd, LadeError **err)
{
        const Spec *s = p->spec;
        bool userns = plan_has_ns(p, SPEC_NS_USER);
        if (dev_is_bind_mounted(s))
                return 0;
        _cleanup_close_ int dev = fs_mkdir_p_in_root(rootfd, "/dev", 0755, err);
        if (dev < 0)
                return dev;
        for (size_t i = 0; i < ELEMENTSOF(default_devices); i++) {
                int r = make_device(rootfd, &default_devices[i], userns, err);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < s->linux_.n_devices; i++) {
                int r = make_device(rootfd, &s->linux_.devices[i], userns, err);
                if (r < 0)
                        return r;
        }
        char buf[32];
        _cleanup_close_ int devfd = open(fs_fd_path(dev, buf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (devfd < 0)
                return lade_error(err, errno, "open /dev");
        for (size_t i = 0; i < ELEMENTSOF(default_links); i++)
                if (symlinkat(default_links[i].target, devfd, default_links[i].path + 5) < 0 &&
                    errno != EEXIST)
                        return lade_error(err, errno, "symlink '%s'", default_links[i].path);
        return 0;
}

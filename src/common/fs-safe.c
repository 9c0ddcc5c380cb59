/* Scoped path resolution. Invariant: nothing here follows a symlink or ".." out of the root fd
 * it is given, even if the tree changes while we walk it (the kernel does the scoping). */
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "fs-safe.h"
#include "util.h"

static int sys_openat2(int dirfd, const char *path, struct open_how *how)
{
        return (int) syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
}

static int open_scoped(int rootfd, const char *path, int flags, mode_t mode)
{
        struct open_how how = {
                .flags = (uint64_t) (flags | O_CLOEXEC),
                .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        while (*path == '/')
                path++;
        if (*path == '\0')
                path = ".";
        int fd;
        do
                fd = sys_openat2(rootfd, path, &how);
        while (fd < 0 && errno == EAGAIN);
        return fd < 0 ? -errno : fd;
}

int fs_open_in_root(int rootfd, const char *path, int flags, mode_t mode, LadeError **err)
{
        int fd = open_scoped(rootfd, path, flags, mode);
        if (fd < 0)
                return lade_error(err, -fd, "open '%s' inside the root", path);
        return fd;
}

static int mkdir_p_depth(int rootfd, const char *path, mode_t mode, int depth, LadeError **err);

/* `p` (up to its end) exists as a name but may be a dangling symlink: then create what it points
 * at, itself resolved inside the root, as runc's MkdirAllInRoot does. Returns a positive errno. */
static int follow_dangling(int rootfd, int dfd, const char *p, const char *slash, mode_t mode,
                           int depth)
{
        _cleanup_close_ int probe = open_scoped(rootfd, p, O_PATH | O_DIRECTORY, 0);
        if (probe >= 0 || probe != -ENOENT)
                return 0;
        char target[PATH_MAX];
        ssize_t n = readlinkat(dfd, slash + 1, target, sizeof(target) - 1);
        if (n < 0)
                return errno;
        target[n] = '\0';
        if (depth >= 40)
                return ELOOP;
        _cleanup_free_ char *full = target[0] == '/' ? xstrdup(target)
                                    : xasprintf("%.*s/%s", (int) (slash - p), p, target);
        int fd = mkdir_p_depth(rootfd, full, mode, depth + 1, NULL);
        if (fd < 0)
                return -fd;
        safe_close(fd);
        return 0;
}

int fs_mkdir_p_in_root(int rootfd, const char *path, mode_t mode, LadeError **err)
{
        return mkdir_p_depth(rootfd, path, mode, 0, err);
}

static int mkdir_p_depth(int rootfd, const char *path, mode_t mode, int depth, LadeError **err)
{
        _cleanup_free_ char *p = fs_path_normalize(path);
        int fd = open_scoped(rootfd, p, O_PATH | O_DIRECTORY, 0);
        if (fd >= 0 || fd != -ENOENT) {
                if (fd < 0)
                        return lade_error(err, -fd, "open directory '%s' inside the root", p);
                return fd;
        }
        /* Walk from the top: the parent of each component is resolved from the root again, so a
         * component that is a symlink is followed the way the container will see it, never out. */
        for (char *slash = p; slash; slash = strchr(slash + 1, '/')) {
                char *next = strchr(slash + 1, '/');
                if (next)
                        *next = '\0';
                *slash = '\0';
                _cleanup_close_ int dfd = open_scoped(rootfd, *p ? p : "/", O_PATH | O_DIRECTORY, 0);
                *slash = '/';
                int e = dfd < 0 ? -dfd : mkdirat(dfd, slash + 1, mode) < 0 && errno != EEXIST ? errno : 0;
                if (e == 0 && errno == EEXIST)
                        e = follow_dangling(rootfd, dfd, p, slash, mode, depth);
                if (e) {
                        int r = lade_error(err, e, "create directory '%s' inside the root", p);
                        if (next)
                                *next = '/';
                        return r;
                }
                if (next)
                        *next = '/';
        }
        fd = open_scoped(rootfd, p, O_PATH | O_DIRECTORY, 0);
        if (fd < 0)
                return lade_error(err, -fd, "open directory '%s' inside the root", p);
        return fd;
}

int fs_ensure_in_root(int rootfd, const char *path, bool is_dir, LadeError **err)
{
        _cleanup_free_ char *p = fs_path_normalize(path);
        int fd = open_scoped(rootfd, p, O_PATH, 0);
        if (fd >= 0)
                return fd;
        if (fd != -ENOENT)
                return lade_error(err, -fd, "open '%s' inside the root", p);
        if (is_dir)
                return fs_mkdir_p_in_root(rootfd, p, 0755, err);

        char *slash = strrchr(p, '/');
        if (slash && slash != p) {
                *slash = '\0';
                _cleanup_close_ int d = fs_mkdir_p_in_root(rootfd, p, 0755, err);
                *slash = '/';
                if (d < 0)
                        return d;
        }
        _cleanup_close_ int f = open_scoped(rootfd, p, O_CREAT | O_WRONLY | O_NOFOLLOW, 0644);
        if (f < 0 && f != -EEXIST && f != -ELOOP)
                return lade_error(err, -f, "create file '%s' inside the root", p);
        fd = open_scoped(rootfd, p, O_PATH, 0);
        if (fd < 0)
                return lade_error(err, -fd, "open '%s' inside the root", p);
        return fd;
}

const char *fs_fd_path(int fd, char buf[static 32])
{
        snprintf(buf, 32, "/proc/self/fd/%d", fd);
        return buf;
}

char *fs_path_normalize(const char *path)
{
        size_t n = strlen(path);
        char *out = xmalloc(n + 2);
        size_t o = 0;
        const char *s = path;
        while (*s) {
                while (*s == '/')
                        s++;
                if (!*s)
                        break;
                const char *e = strchrnul(s, '/');
                size_t len = (size_t) (e - s);
                if (len == 2 && s[0] == '.' && s[1] == '.') {
                        /* drop the last component (clamped at the root) */
                        while (o > 0 && out[o - 1] != '/')
                                o--;
                        if (o > 0)
                                o--;
                } else if (!(len == 1 && s[0] == '.')) {
                        out[o++] = '/';
                        memcpy(out + o, s, len);
                        o += len;
                }
                s = e;
        }
        if (o == 0)
                out[o++] = '/';
        out[o] = '\0';
        return out;
}

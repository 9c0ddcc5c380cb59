/* Populating a volume from the image: the content of a directory of the container's rootfs is
 * copied into the volume when the volume is empty, as dockerd's copyExistingContents does
 * (continuity's fs.CopyDir: owners, modes, times, xattrs, symlinks, hardlinks, devices, fifos).
 *
 * Why this is safe on an untrusted rootfs: the starting directory is resolved with
 * openat2(RESOLVE_IN_ROOT), and from there every entry is reached by one name relative to its
 * parent's fd with O_NOFOLLOW, so a symlink is copied as a symlink and never followed. Writes go
 * to the volume's own fds with O_EXCL/O_NOFOLLOW. The walk is bounded in depth. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs-safe.h"
#include "util.h"
#include "volumes-internal.h"

#define COPY_MAX_DEPTH 256
#define XATTR_LIST_MAX_BYTES (64u * 1024)
#define XATTR_VALUE_MAX_BYTES (64u * 1024)

typedef struct LinkSeen {
        dev_t dev;
        ino_t ino;
        char *path;       /* relative to the volume's top */
} LinkSeen;

typedef struct Copy {
        int dst_top;
        LinkSeen *links;
        size_t n_links;
} Copy;

static void copy_done(Copy *c)
{
        for (size_t i = 0; i < c->n_links; i++)
                free(c->links[i].path);
        free(c->links);
}

static void fd_name_path(int dirfd, const char *name, char buf[static PATH_MAX])
{
        if (name)
                snprintf(buf, PATH_MAX, "/proc/self/fd/%d/%s", dirfd, name);
        else
                snprintf(buf, PATH_MAX, "/proc/self/fd/%d", dirfd);
}

/* Through /proc/self/fd/N/name with the l* calls: N is an fd we resolved, name is not followed. */
static int copy_xattrs(const char *src, const char *dst, LadeError **err)
{
        char list[XATTR_LIST_MAX_BYTES];
        ssize_t n = llistxattr(src, list, sizeof(list));
        if (n < 0)
                return errno == ENOTSUP || errno == ENODATA ? 0 : lade_error(err, errno, "list xattrs");
        _cleanup_free_ char *value = xmalloc(XATTR_VALUE_MAX_BYTES);
        for (char *k = list; k < list + n; k += strlen(k) + 1) {
                ssize_t len = lgetxattr(src, k, value, XATTR_VALUE_MAX_BYTES);
                if (len < 0)
                        continue;
                /* Docker ignores xattrs the volume's filesystem does not support */
                if (lsetxattr(dst, k, value, (size_t) len, 0) < 0 && errno != ENOTSUP)
                        return lade_error(err, errno, "set xattr %s", k);
        }
        return 0;
}

/* Owner, mode, xattrs, times of the entry `name` of ddir (or of the fd ddir itself when name is
 * NULL), from st and the source entry. chown first: it clears set-id bits. */
static int copy_meta(int sdir, const char *sname, int ddir, const char *dname, const struct stat *st,
                     LadeError **err)
{
        const char *at = dname ? dname : "";
        int flags = AT_SYMLINK_NOFOLLOW | (dname ? 0 : AT_EMPTY_PATH);
        if (fchownat(ddir, at, st->st_uid, st->st_gid, flags) < 0)
                return lade_error(err, errno, "chown '%s'", dname ? dname : ".");
        if (!S_ISLNK(st->st_mode)) {
                char p[PATH_MAX];
                fd_name_path(ddir, dname, p);
                /* fchmodat has no AT_SYMLINK_NOFOLLOW; the entry is ours and not a symlink */
                if (chmod(p, st->st_mode & 07777) < 0)
                        return lade_error(err, errno, "chmod '%s'", dname ? dname : ".");
        }
        char sp[PATH_MAX], dp[PATH_MAX];
        fd_name_path(sdir, sname, sp);
        fd_name_path(ddir, dname, dp);
        int r = copy_xattrs(sp, dp, err);
        if (r < 0)
                return r;
        struct timespec ts[2] = { st->st_atim, st->st_mtim };
        int k = dname ? utimensat(ddir, dname, ts, AT_SYMLINK_NOFOLLOW) : futimens(ddir, ts);
        return k < 0 ? lade_error(err, errno, "set times of '%s'", dname ? dname : ".") : 0;
}

static int copy_data(int sfd, int dfd, LadeError **err)
{
        for (;;) {
                ssize_t n = copy_file_range(sfd, NULL, dfd, NULL, 1u << 30, 0);
                if (n == 0)
                        return 0;
                if (n > 0)
                        continue;
                if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
                        return lade_error(err, errno, "copy file data");
                break;
        }
        char buf[65536];
        ssize_t n;
        while ((n = read(sfd, buf, sizeof(buf))) > 0)
                if (write_all(dfd, buf, (size_t) n) < 0)
                        return lade_error(err, errno, "write file data");
        return n < 0 ? lade_error(err, errno, "read file data") : 0;
}

static char *join(const char *rel, const char *name)
{
        return *rel ? xasprintf("%s/%s", rel, name) : xstrdup(name);
}

/* A second name of an inode already copied becomes a hardlink to the copy. */
static int copy_file(Copy *c, int sdir, int ddir, const char *name, const char *rel,
                     const struct stat *st, LadeError **err)
{
        _cleanup_free_ char *path = join(rel, name);
        for (size_t i = 0; st->st_nlink > 1 && i < c->n_links; i++)
                if (c->links[i].dev == st->st_dev && c->links[i].ino == st->st_ino) {
                        if (linkat(c->dst_top, c->links[i].path, ddir, name, 0) < 0)
                                return lade_error(err, errno, "link '%s'", path);
                        return 0;
                }
        _cleanup_close_ int sfd = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (sfd < 0)
                return lade_error(err, errno, "open '%s'", path);
        _cleanup_close_ int dfd = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (dfd < 0)
                return lade_error(err, errno, "create '%s'", path);
        int r = copy_data(sfd, dfd, err);
        if (r >= 0)
                r = copy_meta(sdir, name, ddir, name, st, err);
        if (r >= 0 && st->st_nlink > 1) {
                c->links = xreallocarray(c->links, c->n_links + 1, sizeof(*c->links));
                c->links[c->n_links++] = (LinkSeen) { st->st_dev, st->st_ino, TAKE_PTR(path) };
        }
        return r;
}

static int copy_special(int sdir, int ddir, const char *name, const struct stat *st, LadeError **err)
{
        if (S_ISLNK(st->st_mode)) {
                char target[PATH_MAX];
                ssize_t n = readlinkat(sdir, name, target, sizeof(target) - 1);
                if (n < 0)
                        return lade_error(err, errno, "readlink '%s'", name);
                target[n] = '\0';
                if (symlinkat(target, ddir, name) < 0)
                        return lade_error(err, errno, "symlink '%s'", name);
        } else if (S_ISSOCK(st->st_mode)) {
                return 0;   /* a socket means nothing without its listener */
        } else if (mknodat(ddir, name, st->st_mode, st->st_rdev) < 0) {
                return lade_error(err, errno, "mknod '%s'", name);
        }
        return copy_meta(sdir, name, ddir, name, st, err);
}

static int copy_tree(Copy *c, int sdir, int ddir, const char *rel, unsigned depth, LadeError **err);

static int copy_dir(Copy *c, int sdir, int ddir, const char *name, const char *rel,
                    const struct stat *st, unsigned depth, LadeError **err)
{
        _cleanup_free_ char *path = join(rel, name);
        if (depth >= COPY_MAX_DEPTH)
                return lade_error_msg(err, ELOOP, "'%s': directories nested too deep (over %d)", path,
                                      COPY_MAX_DEPTH);
        if (mkdirat(ddir, name, 0700) < 0)
                return lade_error(err, errno, "mkdir '%s'", path);
        _cleanup_close_ int s = openat(sdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_close_ int d = openat(ddir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (s < 0 || d < 0)
                return lade_error(err, errno, "open '%s'", path);
        int r = copy_tree(c, s, d, path, depth + 1, err);
        /* the times last: creating the children changed them */
        return r < 0 ? r : copy_meta(sdir, name, ddir, name, st, err);
}

static int copy_tree(Copy *c, int sdir, int ddir, const char *rel, unsigned depth, LadeError **err)
{
        int fd = dup(sdir);
        _cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        if (!d) {
                safe_close(fd);
                return lade_error(err, errno, "read directory '%s'", *rel ? rel : ".");
        }
        struct dirent *de;
        int r = 0;
        while (r >= 0 && (de = readdir(d))) {
                struct stat st;
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (fstatat(sdir, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return lade_error(err, errno, "stat '%s'", de->d_name);
                if (S_ISDIR(st.st_mode))
                        r = copy_dir(c, sdir, ddir, de->d_name, rel, &st, depth, err);
                else if (S_ISREG(st.st_mode))
                        r = copy_file(c, sdir, ddir, de->d_name, rel, &st, err);
                else
                        r = copy_special(sdir, ddir, de->d_name, &st, err);
        }
        return r;
}

static bool dir_empty(int fd)
{
        int dup_fd = dup(fd);
        _cleanup_closedir_ DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
        if (!d) {
                safe_close(dup_fd);
                return false;
        }
        struct dirent *de;
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        return false;
        return true;
}

int vol_populate(int rootfs_fd, const char *path, int dst_fd, LadeError **err)
{
        int src = fs_open_in_root(rootfs_fd, path, O_RDONLY | O_DIRECTORY, 0, NULL);
        if (src == -ENOENT || src == -ENOTDIR)
                return 0;
        if (src < 0)
                return lade_error(err, -src, "open '%s' in the container", path);
        _cleanup_close_ int s = src;
        struct stat st;
        if (fstat(s, &st) < 0)
                return lade_error(err, errno, "stat '%s' in the container", path);
        if (!dir_empty(dst_fd))
                return 0;
        Copy c = { .dst_top = dst_fd };
        int r = copy_tree(&c, s, dst_fd, "", 0, err);
        copy_done(&c);
        if (r >= 0)
                r = copy_meta(s, NULL, dst_fd, NULL, &st, err);
        if (r < 0)
                return lade_error_wrap(err, "copy the image's '%s' into the volume", path);
        return 0;
}

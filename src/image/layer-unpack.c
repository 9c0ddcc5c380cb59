/* Layer unpacking: one (possibly compressed) tar stream into a directory that serves as an
 * overlayfs lower dir, with the diff_id computed on the way.
 *
 * Pipeline. Two libarchive readers are chained: `raw` has only the gzip and zstd filters and the
 * "raw" format, so archive_read_data_block() on it yields the decompressed tar bytes, in the
 * filter's own buffers; `tar` reads those blocks through stream_read(), which hashes each one
 * before handing the same pointer on. No byte is copied between the decompressor, the hash and
 * the tar parser, libarchive picks the decompressor from the magic bytes, and once the tar ends
 * the rest of the stream (end-of-archive padding) is drained into the hash, as the diff_id covers
 * the whole uncompressed stream. Calling zlib/zstd ourselves would only duplicate libarchive's
 * detection and buffering around the same libraries; inflate dominates a gzip layer's cost.
 *
 * Invariants, whatever the archive says:
 * - Names are cleaned textually; a ".." above the root is an error. The parent directory of
 *   each entry is then resolved (and created) with openat2(RESOLVE_IN_ROOT), so symlinks made by
 *   earlier entries resolve inside dest, and the entry itself is made with *at() calls relative
 *   to that parent, never following a symlink at its own name.
 * - Hardlink targets are resolved inside dest the same way and linked from the resolved fd.
 * - Nothing is opened for I/O but the regular files we just created (O_EXCL | O_NOFOLLOW);
 *   everything else is reached through O_PATH fds or (parent fd, name) with AT_SYMLINK_NOFOLLOW.
 * - Entry count, declared content size, name lengths and the padding after the tar are bounded. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "digest.h"
#include "fs-safe.h"
#include "layer.h"
#include "log.h"
#include "util.h"
#include "archive-dl.h"

/* Read size for the (compressed) input fd. */
#define LAYER_READ_BLOCK (1024 * 1024)
/* Bytes allowed after the tar's end-of-archive marker: tar pads to its record size (10 KiB by
 * default, up to a few MiB with large blocking factors); more is a decompression bomb. */
#define LAYER_TRAILING_MAX (UINT64_C(16) << 20)

#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_META_PREFIX ".wh..wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"

typedef struct LayerStream {
        struct archive *raw;      /* compressed fd -> tar bytes (filters + "raw" format) */
        struct archive *tar;      /* parses what stream_read() hands it */
        Sha256 *hash;
        uint64_t size;            /* uncompressed bytes so far */
        bool eof;
        char *raw_error;          /* decompression failure, reported instead of the tar's */
        int raw_errno;
} LayerStream;

typedef struct DeferredDir {
        char *path;               /* cleaned, relative to the root */
        dev_t dev;
        ino_t ino;
        mode_t mode;
        struct timespec times[2];
} DeferredDir;

typedef struct Unpack {
        LayerUnpackOptions opt;
        int root;
        LayerStream stream;
        char *parent_path;        /* cache of the last resolved parent directory */
        int parent_fd;
        bool parent_stale;        /* a directory or symlink was removed: resolve again */
        DeferredDir *dirs;
        size_t n_dirs, n_dirs_alloc;
        uint64_t entries, declared, written;
} Unpack;

typedef struct Entry {
        struct archive_entry *ae;
        char *path;               /* cleaned, "" for the root itself */
        const char *name;         /* last component of path */
        int dirfd;                /* its parent, borrowed from the cache */
        int link_fd;              /* hardlinks: the resolved target (O_PATH) */
} Entry;

/* What metadata is applied to: an fd we hold (regular files), else (dirfd, name). */
typedef struct Target {
        int fd;
        int dirfd;
        const char *name;
} Target;

/* ---- the stream: decompress, hash, hand over to the tar reader ---- */

static la_ssize_t stream_read(struct archive *a, void *userdata, const void **ret)
{
        LayerStream *s = userdata;
        size_t n;
        la_int64_t offset;
        if (s->eof)
                return 0;
        int r = archive_read_data_block(s->raw, ret, &n, &offset);
        if (r == ARCHIVE_EOF) {
                s->eof = true;
                return 0;
        }
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
                free(s->raw_error);
                s->raw_error = xstrdup(archive_error_string(s->raw) ?: "decompression failed");
                s->raw_errno = archive_errno(s->raw);
                return -1;
        }
        sha256_update(s->hash, *ret, n);
        s->size += n;
        return (la_ssize_t) n;
}

/* libarchive's own codes (file format, programmer, misc) say "bad input"; real errnos stay. */
static int stream_errno(int e)
{
        return e <= 0 || e == EILSEQ ? EINVAL : e;
}

static int stream_error(LayerStream *s, struct archive *a, LadeError **err)
{
        if (s->raw_error)
                return lade_error_msg(err, stream_errno(s->raw_errno), "decompress layer: %s",
                                      s->raw_error);
        if (a == s->raw && archive_filter_bytes(a, -1) == 0)
                return lade_error_msg(err, EINVAL, "read layer: empty input");
        return lade_error_msg(err, stream_errno(archive_errno(a)), "read layer%s: %s",
                              a == s->tar ? " tar" : "",
                              archive_error_string(a) ?: "unknown libarchive error");
}

static int stream_setup(LayerStream *s, LadeError **err)
{
        s->hash = sha256_new();
        s->raw = archive_read_new();
        s->tar = archive_read_new();
        if (!s->raw || !s->tar)
                return lade_error(err, ENOMEM, "allocate layer reader");
        /* The OCI layer media types: tar, tar+gzip, tar+zstd ("none" is always on). ARCHIVE_WARN
         * means an external program does the decompression, which works, only slower. */
        if (archive_read_support_filter_gzip(s->raw) < ARCHIVE_WARN ||
            archive_read_support_filter_zstd(s->raw) < ARCHIVE_WARN ||
            archive_read_support_format_raw(s->raw) != ARCHIVE_OK)
                return stream_error(s, s->raw, err);
        /* ustar, pax, GNU and v7 are all this one reader */
        if (archive_read_support_format_tar(s->tar) != ARCHIVE_OK)
                return stream_error(s, s->tar, err);
        return 0;
}

static int stream_open(LayerStream *s, int fd, LadeError **err)
{
        struct archive_entry *ae;
        int r = stream_setup(s, err);
        if (r < 0)
                return r;
        if (archive_read_open_fd(s->raw, fd, LAYER_READ_BLOCK) != ARCHIVE_OK ||
            archive_read_next_header(s->raw, &ae) != ARCHIVE_OK)
                return stream_error(s, s->raw, err);
        if (archive_read_open(s->tar, s, NULL, stream_read, NULL) != ARCHIVE_OK)
                return stream_error(s, s->tar, err);
        return 0;
}

/* After the tar's end marker: hash what is left, which is normally a few KiB of zeros. */
static int stream_drain(LayerStream *s, LadeError **err)
{
        uint64_t end = s->size;
        for (;;) {
                const void *buf;
                la_ssize_t n = stream_read(NULL, s, &buf);
                if (n == 0)
                        return 0;
                if (n < 0)
                        return stream_error(s, s->raw, err);
                if (s->size - end > LAYER_TRAILING_MAX)
                        return lade_error_msg(err, EFBIG, "read layer tar: more than %llu bytes "
                                              "after the end of the archive",
                                              (unsigned long long) LAYER_TRAILING_MAX);
        }
}

static void stream_close(LayerStream *s)
{
        if (s->tar)
                (void) archive_read_free(s->tar);
        if (s->raw)
                (void) archive_read_free(s->raw);
        s->hash = sha256_free(s->hash);
        free(s->raw_error);
        s->raw_error = NULL;
}

/* ---- names ---- */

/* Cleans a member name into a path relative to the root ("" is the root itself): "/" and "."
 * components are dropped and ".." is applied textually, as Docker does. A ".." that would climb
 * above the root is refused (-EINVAL) rather than clamped: such an archive is hostile or broken. */
static int layer_path_clean(const char *name, char **ret)
{
        _cleanup_free_ char *out = xmalloc(strlen(name) + 1);
        size_t o = 0;
        for (const char *s = name; *s;) {
                while (*s == '/')
                        s++;
                const char *end = strchrnul(s, '/');
                size_t len = (size_t) (end - s);
                if (len == 2 && s[0] == '.' && s[1] == '.') {
                        if (o == 0)
                                return -EINVAL;
                        while (o > 0 && out[o - 1] != '/')
                                o--;
                        if (o > 0)
                                o--;
                } else if (len > 0 && !(len == 1 && s[0] == '.')) {
                        if (o > 0)
                                out[o++] = '/';
                        memcpy(out + o, s, len);
                        o += len;
                }
                s = end;
        }
        out[o] = '\0';
        *ret = TAKE_PTR(out);
        return 0;
}

static int check_name_length(const char *what, const char *s, LadeError **err)
{
        if (!s || !*s)
                return lade_error_msg(err, EINVAL, "empty %s", what);
        if (strlen(s) > LAYER_PATH_MAX)
                return lade_error_msg(err, ENAMETOOLONG, "%s longer than %d bytes", what,
                                      LAYER_PATH_MAX);
        return 0;
}

/* ---- parent directories ---- */

/* The directory that will hold e->name, created if missing and resolved inside the root. The
 * fd stays owned by the cache (valid until the next call), so a run of entries in one directory
 * costs one openat2(). */
static int unpack_parent(Unpack *u, Entry *e, LadeError **err)
{
        const char *slash = strrchr(e->path, '/');
        e->name = slash ? slash + 1 : e->path;
        if (!slash) {
                e->dirfd = u->root;
                return 0;
        }
        size_t len = (size_t) (slash - e->path);
        if (!u->parent_stale && u->parent_path && strlen(u->parent_path) == len &&
            memcmp(u->parent_path, e->path, len) == 0) {
                e->dirfd = u->parent_fd;
                return 0;
        }
        u->parent_fd = safe_close(u->parent_fd);
        free(u->parent_path);
        u->parent_path = xstrndup(e->path, len);
        u->parent_stale = false;
        int fd = fs_mkdir_p_in_root(u->root, u->parent_path, 0755, err);
        if (fd < 0) {
                free(u->parent_path);
                u->parent_path = NULL;
                return fd;
        }
        e->dirfd = u->parent_fd = fd;
        return 0;
}

/* Makes room for e->name: a later entry wins, except that a directory over a directory merges.
 * Returns 1 if an existing directory was kept, 0 if the name is now free. */
static int remove_existing(Unpack *u, Entry *e, bool want_dir)
{
        struct stat st;
        if (fstatat(e->dirfd, e->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode) && want_dir)
                return 1;
        /* the cached parent may be (or lie beneath) what goes away */
        if (S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode))
                u->parent_stale = true;
        if (S_ISDIR(st.st_mode))
                return rm_rf_at(e->dirfd, e->name);
        return unlinkat(e->dirfd, e->name, 0) < 0 ? -errno : 0;
}

typedef int (*CreateFn)(Unpack *u, Entry *e);

/* Runs create (>= 0 or -errno) and, if the name is taken, replaces what is there and tries once
 * more. Returns create's result, or 1 when an existing directory was kept. Only a failure to
 * replace sets *err; the caller words its own create failure. */
static int create_replacing(Unpack *u, Entry *e, CreateFn create, bool is_dir, LadeError **err)
{
        struct stat st;
        int r = create(u, e);
        if (r != -EEXIST)
                return r;
        if (u->opt.no_overwrite_dir_non_dir && fstatat(e->dirfd, e->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            !!S_ISDIR(st.st_mode) != is_dir)
                return lade_error_msg(err, EEXIST, is_dir ? "cannot overwrite non-directory with directory"
                                                          : "cannot overwrite directory with non-directory");
        r = remove_existing(u, e, is_dir);
        if (r < 0)
                return lade_error(err, -r, "replace existing '%s'", e->name);
        if (r == 1)
                return 1;
        return create(u, e);
}

/* ---- metadata ---- */

static int target_chown(Unpack *u, const Target *t, struct archive_entry *ae, LadeError **err)
{
        if (u->opt.ignore_chown)
                return 0;
        la_int64_t uid = archive_entry_uid(ae), gid = archive_entry_gid(ae);
        /* (uid_t) -1 would mean "leave unchanged" to chown(2) */
        if (uid < 0 || gid < 0 || uid >= UINT32_MAX || gid >= UINT32_MAX)
                return lade_error_msg(err, EINVAL, "owner %lld:%lld out of range", (long long) uid,
                                      (long long) gid);
        int r = t->fd >= 0 ? fchown(t->fd, (uid_t) uid, (gid_t) gid)
                           : fchownat(t->dirfd, t->name, (uid_t) uid, (gid_t) gid,
                                      AT_SYMLINK_NOFOLLOW);
        if (r < 0)
                return lade_error(err, errno, "chown to %lld:%lld", (long long) uid,
                                  (long long) gid);
        return 0;
}

/* The overlay's own xattrs (redirects, metacopy, origin, opaque) would let a layer steer
 * overlayfs; OCI layers express only whiteouts and opaque dirs, as .wh. entries. */
static bool xattr_allowed(const char *name)
{
        return !startswith(name, "trusted.overlay.") && !startswith(name, "user.overlay.");
}

static int target_set_xattr(const Target *t, const char *name, const void *value, size_t size)
{
        if (t->fd >= 0)
                return fsetxattr(t->fd, name, value, size, 0) < 0 ? -errno : 0;
        /* the parent through its magic link, the last component itself not followed */
        _cleanup_free_ char *p = xasprintf("/proc/self/fd/%d/%s", t->dirfd, t->name);
        return lsetxattr(p, name, value, size, 0) < 0 ? -errno : 0;
}

static int target_xattrs(const Target *t, struct archive_entry *ae, LadeError **err)
{
        const char *name;
        const void *value;
        size_t size;
        archive_entry_xattr_reset(ae);
        while (archive_entry_xattr_next(ae, &name, &value, &size) == ARCHIVE_OK) {
                if (!xattr_allowed(name)) {
                        log_debug("layer: xattr '%s' on '%s' is reserved, ignoring", name, t->name);
                        continue;
                }
                int r = target_set_xattr(t, name, value, size);
                /* as Docker: a filesystem without xattrs, user.* on a symlink or trusted.* when
                 * unprivileged is no reason to fail the layer */
                if (r == -ENOTSUP || r == -EPERM) {
                        log_debug("layer: set xattr '%s' on '%s': %s, ignoring", name,
                                  t->name ?: "file", strerror(-r));
                        continue;
                }
                if (r < 0)
                        return lade_error(err, -r, "set xattr '%s'", name);
        }
        return 0;
}

static int target_chmod(const Target *t, mode_t mode, LadeError **err)
{
        int r = t->fd >= 0 ? fchmod(t->fd, mode)
                           : fchmodat(t->dirfd, t->name, mode, AT_SYMLINK_NOFOLLOW);
        if (r < 0)
                return lade_error(err, errno, "chmod %04o", (unsigned) mode);
        return 0;
}

/* atime falls back to mtime, as in Docker; no mtime at all leaves "now" */
static void entry_times(struct archive_entry *ae, struct timespec ts[2])
{
        ts[1] = (struct timespec) { 0, UTIME_OMIT };
        if (archive_entry_mtime_is_set(ae))
                ts[1] = (struct timespec) { archive_entry_mtime(ae), archive_entry_mtime_nsec(ae) };
        ts[0] = ts[1];
        if (archive_entry_atime_is_set(ae))
                ts[0] = (struct timespec) { archive_entry_atime(ae), archive_entry_atime_nsec(ae) };
}

static int target_times(const Target *t, struct archive_entry *ae, LadeError **err)
{
        struct timespec ts[2];
        entry_times(ae, ts);
        int r = t->fd >= 0 ? futimens(t->fd, ts)
                           : utimensat(t->dirfd, t->name, ts, AT_SYMLINK_NOFOLLOW);
        if (r < 0)
                return lade_error(err, errno, "set times");
        return 0;
}

/* Owner first, since chown(2) clears setuid/setgid and file capabilities; then xattrs (which
 * may hold those capabilities), then the mode with its special bits, then the times. */
static int target_apply(Unpack *u, const Target *t, struct archive_entry *ae, bool chmod,
                        LadeError **err)
{
        int r = target_chown(u, t, ae, err);
        if (r >= 0)
                r = target_xattrs(t, ae, err);
        if (r >= 0 && chmod)
                r = target_chmod(t, archive_entry_perm(ae) & 07777, err);
        if (r >= 0)
                r = target_times(t, ae, err);
        return r;
}

/* ---- directories: mode and times once their content is in place ---- */

static int defer_dir(Unpack *u, Entry *e, LadeError **err)
{
        struct stat st;
        if (fstatat(e->dirfd, e->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return lade_error(err, errno, "stat directory");
        if (u->n_dirs == u->n_dirs_alloc) {
                u->n_dirs_alloc = u->n_dirs_alloc ? u->n_dirs_alloc * 2 : 64;
                u->dirs = xreallocarray(u->dirs, u->n_dirs_alloc, sizeof(DeferredDir));
        }
        DeferredDir *d = &u->dirs[u->n_dirs++];
        *d = (DeferredDir) {
                .path = xstrdup(e->path),
                .dev = st.st_dev,
                .ino = st.st_ino,
                .mode = archive_entry_perm(e->ae) & 07777,
        };
        entry_times(e->ae, d->times);
        return 0;
}

static int deferred_apply_one(Unpack *u, const DeferredDir *d, LadeError **err)
{
        char buf[32];
        struct stat st;
        const char *shown = *d->path ? d->path : ".";
        _cleanup_close_ int fd = fs_open_in_root(u->root, d->path,
                                                 O_PATH | O_DIRECTORY | O_NOFOLLOW, 0, NULL);
        /* removed or replaced by a later entry, whose own metadata stands */
        if (fd < 0 || fstat(fd, &st) < 0 || st.st_dev != d->dev || st.st_ino != d->ino)
                return 0;
        if (chmod(fs_fd_path(fd, buf), d->mode) < 0)
                return lade_error(err, errno, "layer entry '%s': chmod %04o", shown,
                                  (unsigned) d->mode);
        if (utimensat(fd, "", d->times, AT_EMPTY_PATH) < 0)
                return lade_error(err, errno, "layer entry '%s': set times", shown);
        return 0;
}

/* In archive order, so that of two entries for one directory the later wins. */
static int deferred_apply(Unpack *u, LadeError **err)
{
        for (size_t i = 0; i < u->n_dirs; i++) {
                int r = deferred_apply_one(u, &u->dirs[i], err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- entry kinds ---- */

static int dir_create(Unpack *u, Entry *e)
{
        return mkdirat(e->dirfd, e->name, 0755) < 0 ? -errno : 0;
}

static int create_dir(Unpack *u, Entry *e, LadeError **err)
{
        Target t = { .fd = -EBADF, .dirfd = e->dirfd, .name = e->name };
        int r = streq(e->name, ".") ? 0 : create_replacing(u, e, dir_create, true, err);
        if (r < 0)
                return lade_error(err, -r, "create directory");
        r = target_chown(u, &t, e->ae, err);
        if (r >= 0)
                r = target_xattrs(&t, e->ae, err);
        if (r >= 0)
                r = defer_dir(u, e, err);
        return r;
}

static int file_open(Unpack *u, Entry *e)
{
        int fd = openat(e->dirfd, e->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                        0600);
        return fd < 0 ? -errno : fd;
}

static int file_write(Unpack *u, Entry *e, int fd, LadeError **err)
{
        la_int64_t pos = 0, size = archive_entry_size(e->ae);
        for (;;) {
                const void *buf;
                size_t n;
                la_int64_t off;
                int r = archive_read_data_block(u->stream.tar, &buf, &n, &off);
                if (r == ARCHIVE_EOF)
                        break;
                if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
                        return stream_error(&u->stream, u->stream.tar, err);
                /* sparse entries come as blocks at increasing offsets, the gaps staying holes;
                 * a hostile sparse map must not reach past the declared (and counted) size */
                if (off < pos || off > size || (la_int64_t) n > size - off)
                        return lade_error_msg(err, EINVAL, "data block outside the file");
                if (off != pos && lseek(fd, off, SEEK_SET) < 0)
                        return lade_error(err, errno, "seek to %lld", (long long) off);
                r = write_all(fd, buf, n);
                if (r < 0)
                        return lade_error(err, -r, "write");
                pos = off + (la_int64_t) n;
                u->written += n;
        }
        if (pos < size && ftruncate(fd, size) < 0)
                return lade_error(err, errno, "extend to %lld bytes", (long long) size);
        return 0;
}

static int create_file(Unpack *u, Entry *e, LadeError **err)
{
        _cleanup_close_ int fd = create_replacing(u, e, file_open, false, err);
        if (fd < 0)
                return lade_error(err, -fd, "create file");
        int r = file_write(u, e, fd, err);
        if (r < 0)
                return r;
        Target t = { .fd = fd };
        return target_apply(u, &t, e->ae, true, err);
}

static int symlink_create(Unpack *u, Entry *e)
{
        return symlinkat(archive_entry_symlink(e->ae), e->dirfd, e->name) < 0 ? -errno : 0;
}

/* The target is only text here, resolved later inside the container; nothing below follows it. */
static int create_symlink(Unpack *u, Entry *e, LadeError **err)
{
        Target t = { .fd = -EBADF, .dirfd = e->dirfd, .name = e->name };
        int r = check_name_length("symlink target", archive_entry_symlink(e->ae), err);
        if (r < 0)
                return r;
        r = create_replacing(u, e, symlink_create, false, err);
        if (r < 0)
                return lade_error(err, -r, "create symlink");
        return target_apply(u, &t, e->ae, false, err);
}

static int node_create(Unpack *u, Entry *e)
{
        mode_t type = archive_entry_filetype(e->ae);
        dev_t dev = type == AE_IFIFO ? 0 : makedev(archive_entry_rdevmajor(e->ae),
                                                   archive_entry_rdevminor(e->ae));
        return mknodat(e->dirfd, e->name, type | 0600, dev) < 0 ? -errno : 0;
}

static int create_node(Unpack *u, Entry *e, LadeError **err)
{
        Target t = { .fd = -EBADF, .dirfd = e->dirfd, .name = e->name };
        const char *kind = archive_entry_filetype(e->ae) == AE_IFIFO ? "fifo" : "device node";
        int r = create_replacing(u, e, node_create, false, err);
        if (r == -EPERM)
                return lade_error(err, EPERM, "create %s (needs CAP_MKNOD)", kind);
        if (r < 0)
                return lade_error(err, -r, "create %s", kind);
        return target_apply(u, &t, e->ae, true, err);
}

/* Resolves a hardlink's target inside the root: its parents like any path in the layer, the
 * last component not followed (a link to a symlink links the symlink). */
static int hardlink_target(Unpack *u, Entry *e, struct stat *ret_st, LadeError **err)
{
        const char *raw = archive_entry_hardlink(e->ae);
        _cleanup_free_ char *target = NULL;
        int r = check_name_length("hardlink target", raw, err);
        if (r < 0)
                return r;
        if (layer_path_clean(raw, &target) < 0 || !*target)
                return lade_error_msg(err, EINVAL, "hardlink target '%s' is not inside the layer",
                                      raw);
        _cleanup_close_ int fd = fs_open_in_root(u->root, target, O_PATH | O_NOFOLLOW, 0, err);
        if (fd < 0) {
                (void) lade_error_wrap(err, "hardlink target");
                return fd;
        }
        if (fstat(fd, ret_st) < 0)
                return lade_error(err, errno, "stat hardlink target '%s'", raw);
        if (S_ISDIR(ret_st->st_mode))
                return lade_error_msg(err, EPERM, "hardlink target '%s' is a directory", raw);
        return TAKE_FD(fd);
}

static int hardlink_create(Unpack *u, Entry *e)
{
        char buf[32];
        if (linkat(e->link_fd, "", e->dirfd, e->name, AT_EMPTY_PATH) == 0)
                return 0;
        /* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; the magic link needs nothing */
        if (errno != ENOENT && errno != EPERM)
                return -errno;
        if (linkat(AT_FDCWD, fs_fd_path(e->link_fd, buf), e->dirfd, e->name,
                   AT_SYMLINK_FOLLOW) < 0)
                return -errno;
        return 0;
}

static int create_hardlink(Unpack *u, Entry *e, LadeError **err)
{
        struct stat target, st;
        _cleanup_close_ int fd = hardlink_target(u, e, &target, err);
        if (fd < 0)
                return fd;
        /* replacing a name by a link to the inode it already is would remove that inode first */
        if (fstatat(e->dirfd, e->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            st.st_dev == target.st_dev && st.st_ino == target.st_ino)
                return 0;
        e->link_fd = fd;
        int r = create_replacing(u, e, hardlink_create, false, err);
        if (r < 0)
                return lade_error(err, -r, "create hardlink to '%s'",
                                  archive_entry_hardlink(e->ae));
        return 0;
}

/* ---- whiteouts ---- */

static int whiteout_create(Unpack *u, Entry *e)
{
        return mknodat(e->dirfd, e->name, S_IFCHR, makedev(0, 0)) < 0 ? -errno : 0;
}

static int set_opaque(Entry *e, LadeError **err)
{
        char buf[32];
        if (setxattr(fs_fd_path(e->dirfd, buf), "trusted.overlay.opaque", "y", 1, 0) < 0)
                return lade_error(err, errno, "mark directory opaque (trusted.overlay.opaque)");
        return 0;
}

/* ".wh.NAME" hides NAME of lower layers: overlayfs's form of that is a 0:0 character device.
 * Anything NAME was in this layer goes first. */
static int unpack_whiteout(Unpack *u, Entry *e, LadeError **err)
{
        Target t = { .fd = -EBADF, .dirfd = e->dirfd };
        if (streq(e->name, WHITEOUT_OPAQUE))
                return set_opaque(e, err);
        if (startswith(e->name, WHITEOUT_META_PREFIX)) {
                log_debug("layer: aufs metadata '%s', ignoring", e->path);
                return 0;
        }
        const char *victim = e->name + strlen(WHITEOUT_PREFIX);
        if (!*victim || streq(victim, ".") || streq(victim, ".."))
                return lade_error_msg(err, EINVAL, "invalid whiteout name '%s'", e->name);
        t.name = e->name = victim;
        int r = create_replacing(u, e, whiteout_create, false, err);
        if (r == -EPERM)
                return lade_error(err, EPERM, "create whiteout '%s' (needs CAP_MKNOD)", victim);
        if (r < 0)
                return lade_error(err, -r, "create whiteout '%s'", victim);
        return target_chown(u, &t, e->ae, err);
}

/* ---- one entry ---- */

static int unpack_dispatch(Unpack *u, Entry *e, LadeError **err)
{
        mode_t type = archive_entry_filetype(e->ae);
        if (!*e->path) {
                /* "." or "/": metadata for the root itself, which is a directory */
                if (archive_entry_hardlink(e->ae) || type != AE_IFDIR)
                        return lade_error_msg(err, EINVAL, "the layer root must be a directory");
                e->name = ".";
                return create_dir(u, e, err);
        }
        if (!u->opt.whiteouts_as_files && startswith(e->name, WHITEOUT_PREFIX))
                return unpack_whiteout(u, e, err);
        if (archive_entry_hardlink(e->ae))
                return create_hardlink(u, e, err);
        switch (type) {
        case AE_IFDIR:
                return create_dir(u, e, err);
        case AE_IFREG:
                return create_file(u, e, err);
        case AE_IFLNK:
                return create_symlink(u, e, err);
        case AE_IFCHR:
        case AE_IFBLK:
        case AE_IFIFO:
                return create_node(u, e, err);
        default:
                return lade_error_msg(err, EINVAL, "unsupported file type 0%o", (unsigned) type);
        }
}

static int unpack_check_limits(Unpack *u, struct archive_entry *ae, LadeError **err)
{
        la_int64_t size = archive_entry_size_is_set(ae) ? archive_entry_size(ae) : 0;
        if (++u->entries > u->opt.max_entries)
                return lade_error_msg(err, E2BIG, "more than %llu entries in the layer",
                                      (unsigned long long) u->opt.max_entries);
        /* declared sizes of every entry, so content that is skipped rather than written (e.g. a
         * hardlink with a body) still counts; declared <= max_bytes always holds */
        if (size < 0 || (uint64_t) size > u->opt.max_bytes - u->declared)
                return lade_error_msg(err, EFBIG, "layer content exceeds %llu bytes",
                                      (unsigned long long) u->opt.max_bytes);
        u->declared += (uint64_t) size;
        return 0;
}

static int unpack_entry(Unpack *u, struct archive_entry *ae, LadeError **err)
{
        const char *raw = archive_entry_pathname(ae);
        _cleanup_free_ char *path = NULL;
        Entry e = { .ae = ae, .dirfd = -EBADF, .link_fd = -EBADF };
        int r = unpack_check_limits(u, ae, err);
        if (r >= 0)
                r = check_name_length("name", raw, err);
        if (r >= 0 && layer_path_clean(raw, &path) < 0)
                r = lade_error_msg(err, EINVAL, "path leads outside the layer");
        e.path = path;
        if (r >= 0)
                r = unpack_parent(u, &e, err);
        if (r >= 0)
                r = unpack_dispatch(u, &e, err);
        if (r < 0)
                (void) lade_error_wrap(err, "layer entry '%.*s'", LAYER_PATH_MAX, raw ?: "");
        return r;
}

static int unpack_entries(Unpack *u, LadeError **err)
{
        for (;;) {
                struct archive_entry *ae;
                if (u->opt.cancel && atomic_load(u->opt.cancel))
                        return lade_error_msg(err, ECANCELED, "layer unpack cancelled");
                int r = archive_read_next_header(u->stream.tar, &ae);
                if (r == ARCHIVE_EOF)
                        return 0;
                /* ARCHIVE_WARN: e.g. a name not convertible to the locale, kept as raw bytes */
                if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
                        return stream_error(&u->stream, u->stream.tar, err);
                r = unpack_entry(u, ae, err);
                if (r < 0)
                        return r;
        }
}

/* ---- entry point ---- */

static void unpack_done(Unpack *u)
{
        stream_close(&u->stream);
        u->root = safe_close(u->root);
        u->parent_fd = safe_close(u->parent_fd);
        free(u->parent_path);
        for (size_t i = 0; i < u->n_dirs; i++)
                free(u->dirs[i].path);
        free(u->dirs);
}

static int unpack_init(Unpack *u, int fd, const char *dest_dir, const LayerUnpackOptions *o,
                       LadeError **err)
{
        if (o)
                u->opt = *o;
        if (u->opt.max_entries == 0)
                u->opt.max_entries = LAYER_DEFAULT_MAX_ENTRIES;
        if (u->opt.max_bytes == 0)
                u->opt.max_bytes = LAYER_DEFAULT_MAX_BYTES;
        int r = mkdir_p(dest_dir, 0755);
        if (r < 0)
                return lade_error(err, -r, "create layer directory '%s'", dest_dir);
        u->root = open(dest_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (u->root < 0)
                return lade_error(err, errno, "open layer directory '%s'", dest_dir);
        return stream_open(&u->stream, fd, err);
}

int layer_unpack_fd(int fd, const char *dest_dir, const LayerUnpackOptions *o, LayerStats *ret,
                    LadeError **err)
{
        _cleanup_(unpack_done) Unpack u = { .root = -EBADF, .parent_fd = -EBADF };
        int r = unpack_init(&u, fd, dest_dir, o, err);
        if (r >= 0)
                r = unpack_entries(&u, err);
        if (r >= 0)
                r = deferred_apply(&u, err);
        if (r >= 0)
                r = stream_drain(&u.stream, err);
        if (r < 0)
                return r;
        if (ret) {
                *ret = (LayerStats) { .entries = u.entries, .bytes = u.written };
                sha256_final_string(u.stream.hash, ret->diff_id);
        }
        return 0;
}

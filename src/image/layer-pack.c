/* Layer packing: a directory tree into one tar stream (optionally gzip-compressed), the
 * opposite of layer-unpack.c, with the diff_id and the digest computed as the bytes go out.
 *
 * Pipeline. `tar` is a libarchive writer in restricted pax format (ustar headers, pax records
 * only where ustar cannot say it: long names, big numbers, xattrs), as Docker's and containerd's
 * layer tars are; its output callback hashes the uncompressed stream (diff_id) and either writes
 * it out or hands it to `gz`, a "raw" format writer with libarchive's gzip filter, whose output
 * callback hashes the compressed bytes (digest) and writes them out. Neither writer pads its last
 * block, so an empty layer is exactly the 1024-byte end-of-archive marker, as Docker writes it.
 *
 * What makes the same tree give the same bytes: names sorted (byte order, each directory's
 * entries right after it, as Go's filepath.Walk), mtimes truncated to seconds (and clamped), no
 * owner names, atimes or ctimes, xattrs sorted, no gzip timestamp.
 *
 * What stays true, whatever is in the tree:
 * - Nothing is followed: every name is reached from its parent's fd with AT_SYMLINK_NOFOLLOW /
 *   O_NOFOLLOW, directories and files are opened and checked to be the inode that was stat'ed,
 *   and a file whose size changed while it was read fails the pack instead of writing a header
 *   that lies.
 * - Hardlinks: the first name of an inode with several links is written as a file, the others as
 *   links to it (detected by device and inode). Sockets are skipped, as Docker skips them.
 * - overlay_upper: a 0:0 character device becomes an empty ".wh.NAME" file and an opaque
 *   directory (trusted.overlay.opaque or user.overlay.opaque = "y") gets a "DIR/.wh..wh..opq"
 *   entry right after it. The overlay's own xattrs (trusted.overlay.*, user.overlay.*) and the
 *   host's security.selinux label are never written.
 * - Names are at most LAYER_PATH_MAX bytes, as layer_unpack_fd() accepts them. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "digest.h"
#include "layer-pack.h"
#include "layer.h"
#include "log.h"
#include "util.h"
#include "archive-dl.h"

#define PACK_IO_BLOCK (128 * 1024)
/* The kernel's own limits on one xattr value and on a name list. */
#define PACK_XATTR_VALUE_MAX (64 * 1024)
#define PACK_XATTR_LIST_MAX (64 * 1024)

#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"

static inline void archive_entry_freep(struct archive_entry **e)
{
        if (*e)
                archive_entry_free(*e);
        *e = NULL;
}

typedef struct PackLink {
        dev_t dev;
        ino_t ino;
        char *path;               /* NULL: free slot */
} PackLink;

typedef struct Pack {
        LayerPackOptions opt;
        struct archive *tar;      /* the layer tar; output to pack_tar_write() */
        struct archive *gz;       /* gzip of that (raw format), or NULL */
        Sha256 *diff_hash;        /* of the uncompressed stream */
        Sha256 *out_hash;         /* of the bytes written (gzip only) */
        int out_fd;
        uint64_t size, entries;
        LadeError *io_error;      /* a failure inside a write callback */
        int io_errno;
        PackLink *links;          /* open addressing, by (dev, ino) */
        size_t n_links, links_alloc;
        uint64_t file_bytes;
        bool identical;           /* normalize: nothing met that unpacking would not reproduce */
        bool named;               /* the error names the path that failed */
        char *buf;                /* file content */
        char *xlist, *xvalue;     /* xattr names and one value */
} Pack;

typedef struct PackXattr {
        char *name;
        void *value;
        size_t size;
} PackXattr;

/* What one name of the tree is: its stat, an fd on it for directories and regular files, and
 * (dirfd, name) for the rest. */
typedef struct PackNode {
        const char *path;         /* relative to the root */
        const char *name;
        int dirfd;
        struct stat st;
        int fd;
        PackXattr *xattrs;
        size_t n_xattrs;
        bool opaque;
} PackNode;

/* ---- output ---- */

static int pack_sink(Pack *p, const void *buf, size_t len)
{
        if (p->out_hash)
                sha256_update(p->out_hash, buf, len);
        int r = write_all(p->out_fd, buf, len);
        if (r < 0) {
                p->io_errno = -r;
                return lade_error(&p->io_error, -r, "write layer");
        }
        p->size += len;
        return 0;
}

static la_ssize_t pack_gz_write(struct archive *a, void *userdata, const void *buf, size_t len)
{
        Pack *p = userdata;
        if (pack_sink(p, buf, len) < 0) {
                archive_set_error(a, p->io_errno, "write layer");
                return -1;
        }
        return (la_ssize_t) len;
}

static la_ssize_t pack_tar_write(struct archive *a, void *userdata, const void *buf, size_t len)
{
        Pack *p = userdata;
        sha256_update(p->diff_hash, buf, len);
        if (!p->gz) {
                if (pack_sink(p, buf, len) < 0) {
                        archive_set_error(a, p->io_errno, "write layer");
                        return -1;
                }
                return (la_ssize_t) len;
        }
        if (archive_write_data(p->gz, buf, len) != (la_ssize_t) len) {
                if (!p->io_error)
                        (void) lade_error_msg(&p->io_error, EIO, "compress layer: %s",
                                              archive_error_string(p->gz) ?: "unknown error");
                archive_set_error(a, EIO, "compress layer");
                return -1;
        }
        return (la_ssize_t) len;
}

/* A libarchive failure, or the write callback's own when that is what failed. */
static int pack_archive_error(Pack *p, struct archive *a, const char *what, LadeError **err)
{
        if (p->io_error) {
                int r = -p->io_error->status;
                if (err && !*err)
                        *err = TAKE_PTR(p->io_error);
                return r ?: -EIO;
        }
        int e = archive_errno(a);
        return lade_error_msg(err, e > 0 ? e : EIO, "%s: %s", what,
                              archive_error_string(a) ?: "unknown libarchive error");
}

static int pack_open_gz(Pack *p, LadeError **err)
{
        p->gz = archive_write_new();
        if (!p->gz)
                return lade_error(err, ENOMEM, "allocate layer compressor");
        p->out_hash = sha256_new();
        _cleanup_(archive_entry_freep) struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, "layer.tar");
        archive_entry_set_filetype(e, AE_IFREG);
        /* no timestamp in the gzip header: the same tree gives the same digest */
        if (archive_write_set_format_raw(p->gz) != ARCHIVE_OK ||
            archive_write_add_filter_gzip(p->gz) != ARCHIVE_OK ||
            archive_write_set_filter_option(p->gz, "gzip", "timestamp", NULL) < ARCHIVE_WARN ||
            archive_write_set_bytes_in_last_block(p->gz, 1) != ARCHIVE_OK ||
            archive_write_open(p->gz, p, NULL, pack_gz_write, NULL) != ARCHIVE_OK ||
            archive_write_header(p->gz, e) != ARCHIVE_OK)
                return pack_archive_error(p, p->gz, "open layer compressor", err);
        return 0;
}

static int pack_open(Pack *p, LadeError **err)
{
        if (p->opt.gzip) {
                int r = pack_open_gz(p, err);
                if (r < 0)
                        return r;
        }
        p->diff_hash = sha256_new();
        p->tar = archive_write_new();
        if (!p->tar)
                return lade_error(err, ENOMEM, "allocate layer writer");
        /* SCHILY.xattr records only (what Go's archive/tar reads), not libarchive's own too */
        if (archive_write_set_format_pax_restricted(p->tar) != ARCHIVE_OK ||
            archive_write_set_format_option(p->tar, "pax", "xattrheader", "SCHILY") < ARCHIVE_WARN ||
            archive_write_set_bytes_in_last_block(p->tar, 1) != ARCHIVE_OK ||
            archive_write_open(p->tar, p, NULL, pack_tar_write, NULL) != ARCHIVE_OK)
                return pack_archive_error(p, p->tar, "open layer writer", err);
        return 0;
}

static int pack_close(Pack *p, LadeError **err)
{
        if (archive_write_close(p->tar) != ARCHIVE_OK)
                return pack_archive_error(p, p->tar, "finish layer", err);
        if (p->gz && archive_write_close(p->gz) != ARCHIVE_OK)
                return pack_archive_error(p, p->gz, "finish layer compression", err);
        return 0;
}

static void pack_done(Pack *p)
{
        if (p->tar)
                (void) archive_write_free(p->tar);
        if (p->gz)
                (void) archive_write_free(p->gz);
        sha256_free(p->diff_hash);
        sha256_free(p->out_hash);
        lade_error_free(p->io_error);
        for (size_t i = 0; i < p->links_alloc; i++)
                free(p->links[i].path);
        free(p->links);
        free(p->buf);
        free(p->xlist);
        free(p->xvalue);
}

/* ---- hardlinks ---- */

static size_t link_slot(const PackLink *v, size_t alloc, dev_t dev, ino_t ino)
{
        size_t i = (size_t) ((ino * UINT64_C(0x9e3779b97f4a7c15)) ^ dev) & (alloc - 1);
        while (v[i].path && !(v[i].dev == dev && v[i].ino == ino))
                i = (i + 1) & (alloc - 1);
        return i;
}

static void links_grow(Pack *p)
{
        size_t alloc = p->links_alloc ? p->links_alloc * 2 : 64;
        PackLink *v = xmalloc0(alloc * sizeof(*v));
        for (size_t i = 0; i < p->links_alloc; i++)
                if (p->links[i].path)
                        v[link_slot(v, alloc, p->links[i].dev, p->links[i].ino)] = p->links[i];
        free(p->links);
        p->links = v;
        p->links_alloc = alloc;
}

/* The path this inode was first packed under, or NULL after remembering `path` for it. */
static const char *links_first(Pack *p, const struct stat *st, const char *path)
{
        if (2 * (p->n_links + 1) > p->links_alloc)
                links_grow(p);
        PackLink *l = &p->links[link_slot(p->links, p->links_alloc, st->st_dev, st->st_ino)];
        if (l->path)
                return l->path;
        *l = (PackLink) { .dev = st->st_dev, .ino = st->st_ino, .path = xstrdup(path) };
        p->n_links++;
        return NULL;
}

/* ---- xattrs ---- */

static void node_done(PackNode *n)
{
        n->fd = safe_close(n->fd);
        for (size_t i = 0; i < n->n_xattrs; i++) {
                free(n->xattrs[i].name);
                free(n->xattrs[i].value);
        }
        free(n->xattrs);
        n->xattrs = NULL;
        n->n_xattrs = 0;
}

static bool xattr_is_opaque(const char *name)
{
        return streq(name, "trusted.overlay.opaque") || streq(name, "user.overlay.opaque");
}

/* The overlay's bookkeeping and the host's SELinux label describe this host, not the layer. */
static bool xattr_packed(const char *name)
{
        return !startswith(name, "trusted.overlay.") && !startswith(name, "user.overlay.") &&
               !streq(name, "security.selinux");
}

static int xattr_cmp(const void *a, const void *b)
{
        return strcmp(((const PackXattr *) a)->name, ((const PackXattr *) b)->name);
}

static ssize_t node_listxattr(const PackNode *n, char *buf, size_t size)
{
        if (n->fd >= 0)
                return flistxattr(n->fd, buf, size);
        /* the parent through its magic link, the last component itself not followed */
        _cleanup_free_ char *p = xasprintf("/proc/self/fd/%d/%s", n->dirfd, n->name);
        return llistxattr(p, buf, size);
}

static ssize_t node_getxattr(const PackNode *n, const char *name, void *buf, size_t size)
{
        if (n->fd >= 0)
                return fgetxattr(n->fd, name, buf, size);
        _cleanup_free_ char *p = xasprintf("/proc/self/fd/%d/%s", n->dirfd, n->name);
        return lgetxattr(p, name, buf, size);
}

static int node_removexattr(const PackNode *n, const char *name)
{
        if (n->fd >= 0)
                return fremovexattr(n->fd, name);
        _cleanup_free_ char *p = xasprintf("/proc/self/fd/%d/%s", n->dirfd, n->name);
        return lremovexattr(p, name);
}

/* normalize: an xattr that is not packed. The overlay's bookkeeping goes (unpacking would not
 * make it; in a lower layer it would only confuse overlayfs); an opaque marker stays when the
 * tar says so and unpacking writes it back the same; the host's SELinux label is the host's
 * business either way; anything else (redirects, metacopy: content that is not in this tree)
 * means the tree cannot stand for the tar. */
static int node_normalize_xattr(Pack *p, PackNode *n, const char *name, LadeError **err)
{
        static const char *const dropped[] = { "trusted.overlay.origin", "trusted.overlay.impure",
                                               "trusted.overlay.nlink", "trusted.overlay.uuid",
                                               "trusted.overlay.upper" };
        char v[2];
        if (streq(name, "security.selinux"))
                return 0;
        if (streq(name, "trusted.overlay.opaque") && p->opt.overlay_upper &&
            node_getxattr(n, name, v, sizeof(v)) == 1 && v[0] == 'y')
                return 0;
        bool drop = streq(name, "trusted.overlay.opaque");
        for (size_t i = 0; !drop && i < ELEMENTSOF(dropped); i++)
                drop = streq(name, dropped[i]);
        if (!drop) {
                p->identical = false;
                return 0;
        }
        if (node_removexattr(n, name) < 0 && errno != ENODATA)
                return lade_error(err, errno, "remove xattr '%s'", name);
        return 0;
}

static int node_add_xattr(Pack *p, PackNode *n, const char *name, LadeError **err)
{
        const char *value = p->xvalue;
        ssize_t len = node_getxattr(n, name, p->xvalue, PACK_XATTR_VALUE_MAX);
        if (len < 0 && errno == ENODATA)
                return 0;   /* removed meanwhile */
        if (len < 0)
                return lade_error(err, errno, "read xattr '%s'", name);
        if (xattr_is_opaque(name)) {
                n->opaque = n->opaque || (len == 1 && value[0] == 'y');
                return 0;
        }
        n->xattrs = xreallocarray(n->xattrs, n->n_xattrs + 1, sizeof(*n->xattrs));
        n->xattrs[n->n_xattrs++] = (PackXattr) {
                .name = xstrdup(name),
                .value = memcpy(xmalloc(len ? (size_t) len : 1), value, (size_t) len),
                .size = (size_t) len,
        };
        return 0;
}

static int node_read_xattrs(Pack *p, PackNode *n, LadeError **err)
{
        const char *list = p->xlist;
        ssize_t len = node_listxattr(n, p->xlist, PACK_XATTR_LIST_MAX);
        if (len < 0 && (errno == ENOTSUP || errno == EPERM))
                return 0;
        if (len < 0)
                return lade_error(err, errno, "list xattrs");
        for (ssize_t off = 0; off < len; off += (ssize_t) strlen(list + off) + 1) {
                const char *name = list + off;
                int r = 0;
                if (!xattr_packed(name) && p->opt.normalize)
                        r = node_normalize_xattr(p, n, name, err);
                if (r < 0)
                        return r;
                if (!xattr_packed(name) && !(p->opt.overlay_upper && xattr_is_opaque(name)))
                        continue;
                r = node_add_xattr(p, n, name, err);
                if (r < 0)
                        return r;
        }
        if (n->n_xattrs > 1)
                qsort(n->xattrs, n->n_xattrs, sizeof(*n->xattrs), xattr_cmp);
        return 0;
}

/* ---- entries ---- */

static int64_t entry_mtime(const Pack *p, const struct stat *st)
{
        int64_t mtime = (int64_t) st->st_mtim.tv_sec;
        if (p->opt.clamp_mtime > 0 && mtime > p->opt.clamp_mtime)
                mtime = p->opt.clamp_mtime;
        return mtime;
}

static void entry_fill(Pack *p, struct archive_entry *e, const char *path, const struct stat *st)
{
        int64_t mtime = entry_mtime(p, st);
        archive_entry_set_pathname(e, path);
        archive_entry_set_perm(e, st->st_mode & 07777);
        archive_entry_set_uid(e, st->st_uid);
        archive_entry_set_gid(e, st->st_gid);
        archive_entry_set_mtime(e, (time_t) mtime, 0);
}

static int entry_write(Pack *p, struct archive_entry *e, LadeError **err)
{
        int r = archive_write_header(p->tar, e);
        if (r < ARCHIVE_WARN)
                return pack_archive_error(p, p->tar, "write layer entry", err);
        p->entries++;
        return 0;
}

static int file_copy(Pack *p, PackNode *n, LadeError **err)
{
        uint64_t left = (uint64_t) n->st.st_size;
        while (left > 0) {
                ssize_t k = read(n->fd, p->buf, left < PACK_IO_BLOCK ? left : PACK_IO_BLOCK);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return lade_error(err, errno, "read");
                if (k == 0)
                        return lade_error_msg(err, EBUSY, "file shrank while it was packed");
                if (archive_write_data(p->tar, p->buf, (size_t) k) != k)
                        return pack_archive_error(p, p->tar, "write layer data", err);
                left -= (uint64_t) k;
        }
        return 0;
}

static void entry_xattrs(struct archive_entry *e, const PackNode *n)
{
        for (size_t i = 0; i < n->n_xattrs; i++)
                archive_entry_xattr_add_entry(e, n->xattrs[i].name, n->xattrs[i].value,
                                              n->xattrs[i].size);
}

static int pack_whiteout(Pack *p, PackNode *n, LadeError **err)
{
        _cleanup_(archive_entry_freep) struct archive_entry *e = archive_entry_new();
        const char *slash = strrchr(n->path, '/');
        _cleanup_free_ char *path = slash ? xasprintf("%.*s/" WHITEOUT_PREFIX "%s",
                                                      (int) (slash - n->path), n->path, n->name)
                                          : xasprintf(WHITEOUT_PREFIX "%s", n->name);
        struct stat st = n->st;
        st.st_mode = S_IFREG | 0600;
        entry_fill(p, e, path, &st);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, 0);
        return entry_write(p, e, err);
}

static int pack_opaque(Pack *p, PackNode *n, LadeError **err)
{
        _cleanup_(archive_entry_freep) struct archive_entry *e = archive_entry_new();
        _cleanup_free_ char *path = xasprintf("%s/" WHITEOUT_OPAQUE, n->path);
        entry_fill(p, e, path, &n->st);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, n->st.st_mode & 0777);
        archive_entry_set_size(e, 0);
        return entry_write(p, e, err);
}

static int pack_symlink(Pack *p, PackNode *n, struct archive_entry *e, LadeError **err)
{
        char target[LAYER_PATH_MAX + 1];
        ssize_t len = readlinkat(n->dirfd, n->name, target, sizeof(target));
        if (len < 0)
                return lade_error(err, errno, "read symlink");
        if ((size_t) len >= sizeof(target))
                return lade_error_msg(err, ENAMETOOLONG, "symlink target longer than %d bytes",
                                      LAYER_PATH_MAX);
        target[len] = '\0';
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_symlink(e, target);
        return entry_write(p, e, err);
}

static int pack_file(Pack *p, PackNode *n, struct archive_entry *e, LadeError **err)
{
        const char *first = n->st.st_nlink > 1 ? links_first(p, &n->st, n->path) : NULL;
        archive_entry_set_filetype(e, AE_IFREG);
        if (first) {
                archive_entry_set_hardlink(e, first);
                archive_entry_set_size(e, 0);
                return entry_write(p, e, err);
        }
        archive_entry_set_size(e, n->st.st_size);
        p->file_bytes += (uint64_t) n->st.st_size;
        int r = entry_write(p, e, err);
        if (r >= 0)
                r = file_copy(p, n, err);
        return r;
}

static int pack_node_device(Pack *p, PackNode *n, struct archive_entry *e, LadeError **err)
{
        archive_entry_set_filetype(e, n->st.st_mode & S_IFMT);
        if (!S_ISFIFO(n->st.st_mode)) {
                archive_entry_set_rdevmajor(e, major(n->st.st_rdev));
                archive_entry_set_rdevminor(e, minor(n->st.st_rdev));
        }
        return entry_write(p, e, err);
}

static int pack_dir(Pack *p, int dirfd, const char *path, LadeError **err);

static int pack_directory(Pack *p, PackNode *n, struct archive_entry *e, LadeError **err)
{
        archive_entry_set_filetype(e, AE_IFDIR);
        int r = entry_write(p, e, err);
        if (r >= 0 && n->opaque)
                r = pack_opaque(p, n, err);
        if (r >= 0)
                r = pack_dir(p, n->fd, n->path, err);
        return r;
}

/* Directories and regular files are opened, without following, and must still be what fstatat()
 * saw: a swap for a symlink in between is caught here, not followed. */
static int node_open(PackNode *n, LadeError **err)
{
        struct stat st;
        int flags = S_ISDIR(n->st.st_mode) ? O_RDONLY | O_DIRECTORY : O_RDONLY;
        n->fd = openat(n->dirfd, n->name, flags | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
        if (n->fd < 0)
                return lade_error(err, errno, "open");
        if (fstat(n->fd, &st) < 0)
                return lade_error(err, errno, "stat");
        if (st.st_ino != n->st.st_ino || st.st_dev != n->st.st_dev ||
            (st.st_mode & S_IFMT) != (n->st.st_mode & S_IFMT))
                return lade_error_msg(err, EBUSY, "changed while it was packed");
        n->st = st;
        return 0;
}

static bool node_is_whiteout(const Pack *p, const PackNode *n)
{
        return p->opt.overlay_upper && S_ISCHR(n->st.st_mode) && n->st.st_rdev == makedev(0, 0);
}

static int pack_node_kind(Pack *p, PackNode *n, LadeError **err)
{
        _cleanup_(archive_entry_freep) struct archive_entry *e = archive_entry_new();
        entry_fill(p, e, n->path, &n->st);
        entry_xattrs(e, n);
        switch (n->st.st_mode & S_IFMT) {
        case S_IFDIR:
                return pack_directory(p, n, e, err);
        case S_IFREG:
                return pack_file(p, n, e, err);
        case S_IFLNK:
                return pack_symlink(p, n, e, err);
        default:
                return pack_node_device(p, n, e, err);
        }
}

/* normalize: the times unpacking gives (atime = mtime = the mtime written). Setting a child's
 * times does not change its directory's mtime, so a directory's can be set after its children
 * were packed. */
static int node_normalize_times(Pack *p, PackNode *n, LadeError **err)
{
        struct timespec ts[2] = { { .tv_sec = (time_t) entry_mtime(p, &n->st) } };
        ts[1] = ts[0];
        int r = n->fd >= 0 ? futimens(n->fd, ts) : utimensat(n->dirfd, n->name, ts, AT_SYMLINK_NOFOLLOW);
        return r < 0 ? lade_error(err, errno, "set times") : 0;
}

static int pack_node(Pack *p, PackNode *n, LadeError **err)
{
        if (strlen(n->path) > LAYER_PATH_MAX)
                return lade_error_msg(err, ENAMETOOLONG, "path longer than %d bytes",
                                      LAYER_PATH_MAX);
        if (fstatat(n->dirfd, n->name, &n->st, AT_SYMLINK_NOFOLLOW) < 0)
                return lade_error(err, errno, "stat");
        if (S_ISSOCK(n->st.st_mode)) {
                log_debug("layer: '%s' is a socket, skipping", n->path);
                p->identical = false;
                return 0;
        }
        if (p->opt.exclude && p->opt.exclude(n->dirfd, n->name, n->path, &n->st, p->opt.userdata)) {
                p->identical = false;
                return 0;
        }
        if (node_is_whiteout(p, n))
                return pack_whiteout(p, n, err);
        int r = 0;
        if (S_ISDIR(n->st.st_mode) || S_ISREG(n->st.st_mode))
                r = node_open(n, err);
        if (r >= 0)
                r = node_read_xattrs(p, n, err);
        if (r >= 0)
                r = pack_node_kind(p, n, err);
        /* after reading it: a read may move the atime */
        if (r >= 0 && p->opt.normalize)
                r = node_normalize_times(p, n, err);
        return r;
}

/* ---- the walk ---- */

static int name_cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The names in a directory, sorted. */
static int dir_names(int dirfd, char ***ret, size_t *ret_n, LadeError **err)
{
        int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return lade_error(err, errno, "open directory");
        _cleanup_closedir_ DIR *d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return lade_error(err, errno, "open directory");
        }
        _cleanup_strv_free_ char **v = xmalloc0(sizeof(char *));
        size_t n = 0;
        struct dirent *de;
        errno = 0;
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                v = xreallocarray(v, n + 2, sizeof(char *));
                v[n++] = xstrdup(de->d_name);
                v[n] = NULL;
        }
        if (errno != 0)
                return lade_error(err, errno, "read directory");
        qsort(v, n, sizeof(char *), name_cmp);
        *ret = TAKE_PTR(v);
        *ret_n = n;
        return 0;
}

static int pack_dir(Pack *p, int dirfd, const char *path, LadeError **err)
{
        _cleanup_strv_free_ char **names = NULL;
        size_t n = 0;
        int r = dir_names(dirfd, &names, &n, err);
        if (r < 0 && *path && !p->named) {
                p->named = true;
                return lade_error_wrap(err, "'%.*s'", LAYER_PATH_MAX, path);
        }
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *child = *path ? xasprintf("%s/%s", path, names[i])
                                                   : xstrdup(names[i]);
                PackNode node = { .path = child, .name = names[i], .dirfd = dirfd, .fd = -EBADF };
                r = pack_node(p, &node, err);
                node_done(&node);
                if (r < 0 && !p->named) {
                        /* the deepest failure names its path, once */
                        p->named = true;
                        return lade_error_wrap(err, "'%.*s'", LAYER_PATH_MAX, child);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Runs fn (the walk of a tree, or of one entry) between the writers' open and close. */
static int pack_run(const LayerPackOptions *o, int out_fd, LayerPackResult *ret,
                    int (*fn)(Pack *p, void *userdata, LadeError **err), void *userdata,
                    LadeError **err)
{
        static const LayerPackOptions defaults = { 0 };
        _cleanup_(pack_done) Pack p = { .opt = o ? *o : defaults, .out_fd = out_fd, .identical = true };
        p.buf = xmalloc(PACK_IO_BLOCK);
        p.xlist = xmalloc(PACK_XATTR_LIST_MAX);
        p.xvalue = xmalloc(PACK_XATTR_VALUE_MAX);
        int r = pack_open(&p, err);
        if (r >= 0)
                r = fn(&p, userdata, err);
        if (r >= 0)
                r = pack_close(&p, err);
        if (r < 0)
                return r;
        if (ret) {
                *ret = (LayerPackResult) { .size = p.size, .entries = p.entries,
                                           .file_bytes = p.file_bytes,
                                           .identical = p.opt.normalize && p.identical };
                sha256_final_string(p.diff_hash, ret->diff_id);
                if (p.out_hash)
                        sha256_final_string(p.out_hash, ret->digest);
                else
                        memcpy(ret->digest, ret->diff_id, sizeof(ret->digest));
        }
        return 0;
}

/* normalize: the root as layer_unpack_fd() makes it (mkdir_p 0755 by the caller). */
static int pack_tree(Pack *p, void *userdata, LadeError **err)
{
        int dirfd = *(const int *) userdata;
        if (p->opt.normalize && (fchown(dirfd, geteuid(), getegid()) < 0 || fchmod(dirfd, 0755) < 0))
                return lade_error(err, errno, "set the attributes of the layer root");
        return pack_dir(p, dirfd, "", err);
}

int layer_pack(int src_dirfd, const LayerPackOptions *o, int out_fd, LayerPackResult *ret,
               LadeError **err)
{
        int r = pack_run(o, out_fd, ret, pack_tree, &src_dirfd, err);
        return r < 0 ? lade_error_wrap(err, "pack layer") : 0;
}

typedef struct PackOne {
        int dirfd;
        const char *name, *as_name;
} PackOne;

static int pack_one(Pack *p, void *userdata, LadeError **err)
{
        const PackOne *one = userdata;
        PackNode node = { .path = one->as_name, .name = one->name, .dirfd = one->dirfd, .fd = -EBADF };
        int r = pack_node(p, &node, err);
        node_done(&node);
        if (r < 0 && !p->named)
                return lade_error_wrap(err, "'%.*s'", LAYER_PATH_MAX, one->as_name);
        return r;
}

int layer_pack_at(int dirfd, const char *name, const char *as_name, const LayerPackOptions *o,
                  int out_fd, LayerPackResult *ret, LadeError **err)
{
        if (!*as_name || strchr(name, '/'))
                return lade_error_msg(err, EINVAL, "pack '%s' as '%s': not one name", name, as_name);
        PackOne one = { .dirfd = dirfd, .name = name, .as_name = as_name };
        if (o && o->normalize)
                return lade_error_msg(err, EINVAL, "pack '%s': normalize is for whole trees", name);
        int r = pack_run(o, out_fd, ret, pack_one, &one, err);
        return r < 0 ? lade_error_wrap(err, "archive") : 0;
}

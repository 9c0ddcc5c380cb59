/* layer-pack: a tree packed and unpacked again (layer-unpack.c) is the same tree — types, modes,
 * owners, mtimes, xattrs, hardlinks, symlinks (never followed), devices — with or without gzip,
 * and the digests reported are those of the bytes; overlay upper dirs give .wh. entries; the same
 * tree packs to the same bytes; the entry list is sorted and mtimes are clamped. Root-only checks
 * (owners, devices, whiteouts, trusted.* xattrs) skip when not root. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "digest.h"
#include "layer-pack.h"
#include "layer.h"
#include "util.h"

#define EMPTY_TAR_DIFF_ID "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"

static char tmp[64];

static int setup(void **state)
{
        snprintf(tmp, sizeof(tmp), "/tmp/lade-test-pack-XXXXXX");
        assert_non_null(mkdtemp(tmp));
        return 0;
}

static int teardown(void **state)
{
        (void) rm_rf_at(AT_FDCWD, tmp);
        return 0;
}

static bool is_root(void)
{
        return geteuid() == 0;
}

/* ---- making trees ---- */

static char *in(const char *tree, const char *rel)
{
        return xasprintf("%s/%s/%s", tmp, tree, rel);
}

static void mk_dir(const char *tree, const char *rel, mode_t mode)
{
        _cleanup_free_ char *p = in(tree, rel);
        assert_int_equal(mkdir_p(p, 0755), 0);
        assert_int_equal(chmod(p, mode), 0);
}

static void mk_file(const char *tree, const char *rel, const char *data, mode_t mode)
{
        _cleanup_free_ char *p = in(tree, rel);
        _cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write_all(fd, data, strlen(data)), 0);
        assert_int_equal(fchmod(fd, mode), 0);
}

static void mk_symlink(const char *tree, const char *rel, const char *target)
{
        _cleanup_free_ char *p = in(tree, rel);
        assert_int_equal(symlink(target, p), 0);
}

static void mk_link(const char *tree, const char *rel, const char *old)
{
        _cleanup_free_ char *p = in(tree, rel), *o = in(tree, old);
        assert_int_equal(link(o, p), 0);
}

static void set_mtime(const char *tree, const char *rel, time_t t)
{
        _cleanup_free_ char *p = in(tree, rel);
        struct timespec ts[2] = { { t, 123 }, { t, 456789 } };
        assert_int_equal(utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW), 0);
}

static int open_tree(const char *tree)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", tmp, tree);
        int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        return fd;
}

/* A fixed set of directories' mtimes, since creating children moves them. */
static void fix_dir_times(const char *tree, const char *const *dirs)
{
        for (size_t i = 0; dirs[i]; i++)
                set_mtime(tree, dirs[i], 1600000000 + (time_t) i);
}

/* The tree every round trip uses (names given in a shuffled order by `reverse`). */
static void make_sample(const char *tree, bool reverse)
{
        static const char *const dirs[] = { ".", "etc", "usr", "usr/bin", "private", NULL };
        char longname[200];
        memset(longname, 'n', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = '\0';
        mk_dir(tree, ".", 0755);
        if (reverse) {
                mk_dir(tree, "usr/bin", 0755);
                mk_dir(tree, "private", 0700);
                mk_dir(tree, "etc", 0755);
        } else {
                mk_dir(tree, "etc", 0755);
                mk_dir(tree, "private", 0700);
                mk_dir(tree, "usr/bin", 0755);
        }
        mk_file(tree, "etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0644);
        mk_file(tree, "etc/empty", "", 0600);
        mk_file(tree, "usr/bin/tool", "#!/bin/sh\necho tool\n", 04755);
        mk_link(tree, "usr/bin/tool-alias", "usr/bin/tool");
        mk_symlink(tree, "usr/bin/sh", "/bin/busybox");
        mk_symlink(tree, "escape", "../../../../etc");
        _cleanup_free_ char *lp = xasprintf("usr/%s", longname);
        mk_file(tree, lp, "long", 0644);
        _cleanup_free_ char *fifo = in(tree, "private/fifo");
        assert_int_equal(mkfifo(fifo, 0640), 0);
        _cleanup_free_ char *f = in(tree, "etc/passwd");
        static const char bin[] = { 'a', 0, 'b', 1, (char) 0xff };
        assert_int_equal(setxattr(f, "user.lade.test", bin, sizeof(bin), 0), 0);
        for (const char *const *n = (const char *const[]) { "etc/passwd", "etc/empty", "usr/bin/tool",
                                                             "usr/bin/sh", "escape", lp, "private/fifo",
                                                             NULL };
             *n; n++)
                set_mtime(tree, *n, 1500000000);
        if (is_root()) {
                _cleanup_free_ char *t = in(tree, "usr/bin/tool"), *dev = in(tree, "private/null");
                /* a v2 file capability: cap_net_bind_service permitted + effective */
                static const unsigned char cap[20] = { 0x01, 0x00, 0x00, 0x02, 0x00, 0x04 };
                assert_int_equal(chown(t, 1000, 2000), 0);
                assert_int_equal(chmod(t, 04755), 0);
                assert_int_equal(setxattr(t, "security.capability", cap, sizeof(cap), 0), 0);
                assert_int_equal(mknod(dev, S_IFCHR | 0666, makedev(1, 3)), 0);
                set_mtime(tree, "private/null", 1500000000);
                set_mtime(tree, "usr/bin/tool", 1500000000);
        }
        fix_dir_times(tree, dirs);
}

/* ---- comparing trees ---- */

static void compare_xattrs(const char *a, const char *b)
{
        char la[4096], lb[4096];
        ssize_t na = llistxattr(a, la, sizeof(la)), nb = llistxattr(b, lb, sizeof(lb));
        assert_true(na >= 0 && nb >= 0);
        assert_int_equal(na, nb);
        for (ssize_t off = 0; off < na; off += (ssize_t) strlen(la + off) + 1) {
                char va[512], vb[512];
                ssize_t sa = lgetxattr(a, la + off, va, sizeof(va));
                ssize_t sb = lgetxattr(b, la + off, vb, sizeof(vb));
                if (sa != sb || sa < 0 || memcmp(va, vb, (size_t) sa) != 0)
                        fail_msg("xattr %s differs on %s", la + off, b);
        }
}

static void compare_node(const char *a, const char *b, const struct stat *sa)
{
        struct stat sb;
        if (lstat(b, &sb) < 0)
                fail_msg("%s missing after the round trip", b);
        if (sa->st_mode != sb.st_mode)
                fail_msg("%s: mode %o, want %o", b, sb.st_mode, sa->st_mode);
        assert_int_equal(sa->st_uid, sb.st_uid);
        assert_int_equal(sa->st_gid, sb.st_gid);
        if (!S_ISDIR(sa->st_mode))
                assert_int_equal(sa->st_nlink, sb.st_nlink);
        bool whiteout = S_ISCHR(sa->st_mode) && sa->st_rdev == makedev(0, 0);
        if (sa->st_mtim.tv_sec != sb.st_mtim.tv_sec && !whiteout)
                fail_msg("%s: mtime %lld, want %lld", b, (long long) sb.st_mtim.tv_sec,
                         (long long) sa->st_mtim.tv_sec);
        if (S_ISCHR(sa->st_mode) || S_ISBLK(sa->st_mode))
                assert_int_equal(sa->st_rdev, sb.st_rdev);
        if (S_ISREG(sa->st_mode)) {
                _cleanup_free_ char *ca = NULL, *cb = NULL;
                size_t la, lb;
                assert_int_equal(read_file_at(AT_FDCWD, a, 1 << 20, &ca, &la, NULL), 0);
                assert_int_equal(read_file_at(AT_FDCWD, b, 1 << 20, &cb, &lb, NULL), 0);
                assert_int_equal(la, lb);
                assert_memory_equal(ca, cb, la);
        }
        if (S_ISLNK(sa->st_mode)) {
                char ta[PATH_MAX] = "", tb[PATH_MAX] = "";
                assert_true(readlink(a, ta, sizeof(ta) - 1) > 0);
                assert_true(readlink(b, tb, sizeof(tb) - 1) > 0);
                assert_string_equal(ta, tb);
        }
        compare_xattrs(a, b);
}

/* Every name of a is in b with the same metadata, and b has nothing more. */
static void compare_trees(const char *a, const char *b)
{
        _cleanup_closedir_ DIR *da = opendir(a), *db = opendir(b);
        assert_non_null(da);
        assert_non_null(db);
        size_t na = 0, nb = 0;
        struct dirent *de;
        while ((de = readdir(db)))
                nb++;
        while ((de = readdir(da))) {
                na++;
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                _cleanup_free_ char *pa = xasprintf("%s/%s", a, de->d_name);
                _cleanup_free_ char *pb = xasprintf("%s/%s", b, de->d_name);
                struct stat st;
                assert_int_equal(lstat(pa, &st), 0);
                if (S_ISSOCK(st.st_mode))
                        continue;
                compare_node(pa, pb, &st);
                if (S_ISDIR(st.st_mode))
                        compare_trees(pa, pb);
        }
        assert_int_equal(na, nb);
}

/* ---- packing ---- */

static int pack_to_memfd(const char *tree, const LayerPackOptions *o, LayerPackResult *res)
{
        _cleanup_close_ int src = open_tree(tree);
        int fd = memfd_create("layer", MFD_CLOEXEC);
        assert_true(fd >= 0);
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        if (layer_pack(src, o, fd, res, &err) < 0)
                fail_msg("layer_pack: %s", lade_error_message(err));
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        return fd;
}

static void unpack_into(int fd, const char *tree, LayerStats *st)
{
        _cleanup_free_ char *dest = xasprintf("%s/%s", tmp, tree);
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        LayerUnpackOptions o = { .ignore_chown = !is_root() };
        if (layer_unpack_fd(fd, dest, &o, st, &err) < 0)
                fail_msg("layer_unpack_fd: %s", lade_error_message(err));
}

static void check_digests(int fd, const LayerPackResult *res)
{
        char d[72];
        struct stat st;
        assert_int_equal(fstat(fd, &st), 0);
        assert_int_equal((uint64_t) st.st_size, res->size);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        assert_int_equal(sha256_digest_fd(fd, d, NULL), 0);
        assert_string_equal(d, res->digest);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
}

static void roundtrip(bool gzip)
{
        make_sample("src", false);
        LayerPackOptions o = { .gzip = gzip };
        LayerPackResult res;
        _cleanup_close_ int fd = pack_to_memfd("src", &o, &res);
        check_digests(fd, &res);
        if (gzip)
                assert_string_not_equal(res.digest, res.diff_id);
        else
                assert_string_equal(res.digest, res.diff_id);
        LayerStats st;
        unpack_into(fd, "dest", &st);
        assert_string_equal(st.diff_id, res.diff_id);
        assert_int_equal(st.entries, res.entries);
        _cleanup_free_ char *a = xasprintf("%s/src", tmp), *b = xasprintf("%s/dest", tmp);
        compare_trees(a, b);
        /* the symlink pointing out was packed as a symlink, never followed */
        char target[64] = "";
        _cleanup_free_ char *esc = in("dest", "escape");
        assert_true(readlink(esc, target, sizeof(target) - 1) > 0);
        assert_string_equal(target, "../../../../etc");
}

static void test_roundtrip_plain(void **state)
{
        roundtrip(false);
}

static void test_roundtrip_gzip(void **state)
{
        roundtrip(true);
}

/* The names in a layer tar, in order, joined by spaces; also checks no entry has an overlay
 * xattr. */
static char *list_tar(int fd)
{
        struct archive *a = archive_read_new();
        archive_read_support_filter_gzip(a);
        archive_read_support_format_tar(a);
        assert_int_equal(archive_read_open_fd(a, fd, 65536), ARCHIVE_OK);
        char *out = xstrdup("");
        struct archive_entry *e;
        while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
                const char *name;
                const void *v;
                size_t size;
                archive_entry_xattr_reset(e);
                while (archive_entry_xattr_next(e, &name, &v, &size) == ARCHIVE_OK)
                        assert_false(startswith(name, "trusted.overlay.") ||
                                     startswith(name, "user.overlay."));
                char *n = xasprintf("%s%s%s", out, *out ? " " : "", archive_entry_pathname(e));
                free(out);
                out = n;
        }
        archive_read_free(a);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        return out;
}

static void test_sorted(void **state)
{
        mk_dir("src", "b", 0755);
        mk_dir("src", "a/z", 0755);
        mk_file("src", "c", "", 0644);
        mk_file("src", "a/y", "", 0644);
        mk_file("src", "B", "", 0644);
        mk_file("src", "a.txt", "", 0644);
        _cleanup_free_ char *sock = in("src", "a/sock");
        _cleanup_close_ int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
        assert_int_equal(bind(s, (struct sockaddr *) &sa, sizeof(sa)), 0);
        LayerPackResult res;
        _cleanup_close_ int fd = pack_to_memfd("src", NULL, &res);
        _cleanup_free_ char *names = list_tar(fd);
        /* byte order per directory, a directory's content right after it; sockets skipped */
        assert_string_equal(names, "B a/ a/y a/z/ a.txt b/ c");
        assert_int_equal(res.entries, 7);
}

static void test_deterministic(void **state)
{
        make_sample("one", false);
        sleep(1);
        make_sample("two", true);
        for (int gz = 0; gz < 2; gz++) {
                LayerPackOptions o = { .gzip = gz };
                LayerPackResult r1, r2, r3;
                _cleanup_close_ int f1 = pack_to_memfd("one", &o, &r1);
                _cleanup_close_ int f2 = pack_to_memfd("one", &o, &r2);
                _cleanup_close_ int f3 = pack_to_memfd("two", &o, &r3);
                assert_string_equal(r1.digest, r2.digest);
                assert_string_equal(r1.diff_id, r2.diff_id);
                assert_string_equal(r1.digest, r3.digest);
                assert_string_equal(r1.diff_id, r3.diff_id);
                assert_int_equal(r1.size, r3.size);
        }
}

static void test_empty(void **state)
{
        mk_dir("src", ".", 0755);
        LayerPackResult res;
        _cleanup_close_ int fd = pack_to_memfd("src", NULL, &res);
        assert_int_equal(res.entries, 0);
        assert_int_equal(res.size, 1024);
        assert_string_equal(res.diff_id, EMPTY_TAR_DIFF_ID);
        check_digests(fd, &res);
        LayerPackOptions o = { .gzip = true };
        _cleanup_close_ int gz = pack_to_memfd("src", &o, &res);
        assert_string_equal(res.diff_id, EMPTY_TAR_DIFF_ID);
        check_digests(gz, &res);
}

static void test_clamp_mtime(void **state)
{
        mk_dir("src", ".", 0755);
        mk_file("src", "new", "x", 0644);
        mk_file("src", "old", "x", 0644);
        set_mtime("src", "new", 2000000000);
        set_mtime("src", "old", 1000);
        LayerPackOptions o = { .clamp_mtime = 5000 };
        LayerPackResult res;
        _cleanup_close_ int fd = pack_to_memfd("src", &o, &res);
        unpack_into(fd, "dest", NULL);
        struct stat st;
        _cleanup_free_ char *n = in("dest", "new"), *old = in("dest", "old");
        assert_int_equal(stat(n, &st), 0);
        assert_int_equal(st.st_mtim.tv_sec, 5000);
        assert_int_equal(stat(old, &st), 0);
        assert_int_equal(st.st_mtim.tv_sec, 1000);
}

/* An overlay upper dir: whiteouts (0:0 char devices) and opaque dirs in both xattr spellings. */
static void test_overlay_upper(void **state)
{
        if (!is_root())
                skip();
        mk_dir("src", "op", 0750);
        mk_dir("src", "uop", 0755);
        mk_dir("src", "plain", 0755);
        mk_file("src", "op/kept", "k", 0644);
        _cleanup_free_ char *wo = in("src", "plain/gone"), *op = in("src", "op");
        _cleanup_free_ char *uop = in("src", "uop"), *rd = in("src", "plain");
        assert_int_equal(mknod(wo, S_IFCHR, makedev(0, 0)), 0);
        assert_int_equal(setxattr(op, "trusted.overlay.opaque", "y", 1, 0), 0);
        assert_int_equal(setxattr(uop, "user.overlay.opaque", "y", 1, 0), 0);
        /* other overlay bookkeeping never leaves the host */
        assert_int_equal(setxattr(rd, "trusted.overlay.origin", "xx", 2, 0), 0);
        LayerPackOptions o = { .overlay_upper = true };
        LayerPackResult res;
        _cleanup_close_ int fd = pack_to_memfd("src", &o, &res);
        _cleanup_free_ char *names = list_tar(fd);
        assert_string_equal(names, "op/ op/.wh..wh..opq op/kept plain/ plain/.wh.gone uop/ "
                                   "uop/.wh..wh..opq");
        unpack_into(fd, "dest", NULL);
        struct stat st;
        char v[8];
        _cleanup_free_ char *dwo = in("dest", "plain/gone"), *dop = in("dest", "op");
        _cleanup_free_ char *duop = in("dest", "uop"), *drd = in("dest", "plain");
        assert_int_equal(lstat(dwo, &st), 0);
        assert_true(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
        assert_int_equal(lgetxattr(dop, "trusted.overlay.opaque", v, sizeof(v)), 1);
        assert_int_equal(lgetxattr(duop, "trusted.overlay.opaque", v, sizeof(v)), 1);
        assert_int_equal(lstat(dop, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0750);
        assert_true(lgetxattr(drd, "trusted.overlay.origin", v, sizeof(v)) < 0);

        /* the same tree not as an upper dir: the device stays a device, no .wh. names */
        _cleanup_close_ int plain = pack_to_memfd("src", NULL, &res);
        _cleanup_free_ char *pnames = list_tar(plain);
        assert_string_equal(pnames, "op/ op/kept plain/ plain/gone uop/");
}

/* normalize: the packed tree becomes what unpacking its tar gives (mtimes in whole, clamped
 * seconds, the overlay's bookkeeping gone, opaque markers kept), so it can stand for the
 * unpacked layer; what unpacking cannot reproduce is reported. */
static void test_normalize(void **state)
{
        make_sample("src", false);
        _cleanup_free_ char *f = in("src", "etc/passwd"), *root = in("src", ".");
        struct timespec ts[2] = { { 1500000000, 123456789 }, { 1500000000, 987654321 } };
        assert_int_equal(utimensat(AT_FDCWD, f, ts, AT_SYMLINK_NOFOLLOW), 0);
        assert_int_equal(chmod(root, 0700), 0);
        if (is_root()) {
                mk_dir("src", "op", 0750);
                mk_file("src", "op/kept", "k", 0644);
                _cleanup_free_ char *wo = in("src", "etc/gone"), *op = in("src", "op");
                _cleanup_free_ char *etc = in("src", "etc");
                assert_int_equal(mknod(wo, S_IFCHR, makedev(0, 0)), 0);
                assert_int_equal(setxattr(op, "trusted.overlay.opaque", "y", 1, 0), 0);
                assert_int_equal(setxattr(etc, "trusted.overlay.origin", "xx", 2, 0), 0);
                assert_int_equal(setxattr(etc, "trusted.overlay.impure", "y", 1, 0), 0);
                set_mtime("src", "op/kept", 2000000000);
        }
        LayerPackOptions o = { .overlay_upper = true, .clamp_mtime = 1700000000, .normalize = true };
        LayerPackResult res;
        _cleanup_close_ int fd = pack_to_memfd("src", &o, &res);
        assert_true(res.identical);
        assert_int_equal(res.file_bytes, strlen("root:x:0:0::/root:/bin/sh\n") +
                                         strlen("#!/bin/sh\necho tool\n") + strlen("long") +
                                         (is_root() ? 1 : 0));
        LayerStats st;
        unpack_into(fd, "dest", &st);
        assert_int_equal(st.bytes, res.file_bytes);
        _cleanup_free_ char *a = xasprintf("%s/src", tmp), *b = xasprintf("%s/dest", tmp);
        compare_trees(a, b);
        struct stat sa;
        assert_int_equal(lstat(f, &sa), 0);
        assert_int_equal(sa.st_mtim.tv_nsec, 0);
        assert_int_equal(lstat(root, &sa), 0);
        assert_int_equal(sa.st_mode & 07777, 0755);
        if (is_root()) {
                _cleanup_free_ char *kept = in("src", "op/kept");
                assert_int_equal(lstat(kept, &sa), 0);
                assert_int_equal(sa.st_mtim.tv_sec, 1700000000);
        }

        /* a socket is not in the tar: the tree cannot stand for it */
        _cleanup_free_ char *sp = in("src", "sock");
        struct sockaddr_un un = { .sun_family = AF_UNIX };
        snprintf(un.sun_path, sizeof(un.sun_path), "%s", sp);
        _cleanup_close_ int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_int_equal(bind(sock, (struct sockaddr *) &un, sizeof(un)), 0);
        _cleanup_close_ int fd2 = pack_to_memfd("src", &o, &res);
        assert_false(res.identical);
        /* without normalize nothing is claimed */
        _cleanup_close_ int fd3 = pack_to_memfd("dest", NULL, &res);
        assert_false(res.identical);
}

static void test_long_paths(void **state)
{
        /* a name of 255 bytes nested until the path passes LAYER_PATH_MAX */
        char comp[256];
        memset(comp, 'x', 255);
        comp[255] = '\0';
        mk_dir("src", ".", 0755);
        _cleanup_free_ char *rel = xstrdup("");
        int dfd = open_tree("src");
        for (int i = 0; i < 17; i++) {
                assert_int_equal(mkdirat(dfd, comp, 0755), 0);
                int next = openat(dfd, comp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                assert_true(next >= 0);
                close(dfd);
                dfd = next;
        }
        close(dfd);
        _cleanup_close_ int src = open_tree("src");
        _cleanup_close_ int out = memfd_create("layer", MFD_CLOEXEC);
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        LayerPackResult res;
        assert_int_equal(layer_pack(src, NULL, out, &res, &err), -ENAMETOOLONG);
        assert_non_null(strstr(lade_error_message(err), "longer than"));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        const struct CMUnitTest tests[] = {
                T(test_roundtrip_plain), T(test_roundtrip_gzip), T(test_sorted),
                T(test_deterministic),   T(test_empty),          T(test_clamp_mtime),
                T(test_overlay_upper),   T(test_long_paths),      T(test_normalize),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

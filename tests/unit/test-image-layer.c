/* layer-unpack: tars built here with libarchive's writer land exactly as described, whatever the
 * compression, with the diff_id of the uncompressed stream; hostile archives (escaping names,
 * symlink and hardlink tricks, whiteout names, bombs, garbage) fail cleanly or stay inside dest,
 * and the sibling "outside" directory stays empty. Root-only checks skip when not root. */
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
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <zlib.h>

#include "digest.h"
#include "layer.h"
#include "util.h"

enum { PLAIN, GZIP, ZSTD };

typedef struct TEntry {
        const char *path;
        mode_t type;          /* AE_IF*, ignored for hardlinks */
        mode_t perm;
        const char *data;     /* file content or symlink target */
        const char *link;     /* hardlink target */
        int64_t uid, gid;
        time_t mtime;
        const char *xattr_name, *xattr_value;
        unsigned major, minor;
} TEntry;

#define FILE_(p, d) { .path = (p), .type = AE_IFREG, .perm = 0644, .data = (d) }
#define DIR_(p) { .path = (p), .type = AE_IFDIR, .perm = 0755 }
#define SYMLINK_(p, t) { .path = (p), .type = AE_IFLNK, .perm = 0777, .data = (t) }
#define HARDLINK_(p, t) { .path = (p), .type = AE_IFREG, .perm = 0644, .link = (t) }

static char tmp[64];
static char dest[128];

static int setup(void **state)
{
        char p[PATH_MAX];
        snprintf(tmp, sizeof(tmp), "/tmp/lade-test-layer-XXXXXX");
        assert_non_null(mkdtemp(tmp));
        snprintf(dest, sizeof(dest), "%s/dest", tmp);
        snprintf(p, sizeof(p), "%s/outside", tmp);
        assert_int_equal(mkdir(p, 0755), 0);
        snprintf(p, sizeof(p), "%s/outside-file", tmp);
        _cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write_all(fd, "host", 4), 0);
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

/* ---- building archives ---- */

static void write_entry(struct archive *a, const TEntry *t)
{
        struct archive_entry *e = archive_entry_new();
        size_t len = t->data && t->type == AE_IFREG && !t->link ? strlen(t->data) : 0;
        archive_entry_set_pathname(e, t->path);
        archive_entry_set_filetype(e, t->type);
        archive_entry_set_perm(e, t->perm);
        archive_entry_set_uid(e, t->uid);
        archive_entry_set_gid(e, t->gid);
        archive_entry_set_mtime(e, t->mtime ? t->mtime : 1700000000, 0);
        archive_entry_set_size(e, (la_int64_t) len);
        if (t->type == AE_IFLNK)
                archive_entry_set_symlink(e, t->data);
        if (t->link)
                archive_entry_set_hardlink(e, t->link);
        if (t->xattr_name)
                archive_entry_xattr_add_entry(e, t->xattr_name, t->xattr_value,
                                              strlen(t->xattr_value));
        if (t->type == AE_IFCHR || t->type == AE_IFBLK) {
                archive_entry_set_rdevmajor(e, t->major);
                archive_entry_set_rdevminor(e, t->minor);
        }
        assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
        if (len)
                assert_int_equal(archive_write_data(a, t->data, len), (la_ssize_t) len);
        archive_entry_free(e);
}

/* A memfd holding the tar of es, positioned at 0. block 0: no padding after the end marker,
 * so the plain and the compressed variants carry the very same tar stream. */
static int build_tar_blocked(const TEntry *es, size_t n, int filter, int block)
{
        int fd = memfd_create("layer", MFD_CLOEXEC);
        assert_true(fd >= 0);
        struct archive *a = archive_write_new();
        assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
        if (filter == GZIP)
                assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
        if (filter == ZSTD)
                assert_int_equal(archive_write_add_filter_zstd(a), ARCHIVE_OK);
        assert_int_equal(archive_write_set_bytes_per_block(a, block), ARCHIVE_OK);
        assert_int_equal(archive_write_open_fd(a, fd), ARCHIVE_OK);
        for (size_t i = 0; i < n; i++)
                write_entry(a, &es[i]);
        assert_int_equal(archive_write_close(a), ARCHIVE_OK);
        archive_write_free(a);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        return fd;
}

static int build_tar(const TEntry *es, size_t n, int filter)
{
        return build_tar_blocked(es, n, filter, 0);
}

static int memfd_of(const void *data, size_t len)
{
        int fd = memfd_create("raw", MFD_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(write_all(fd, data, len), 0);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        return fd;
}

/* ---- unpacking and looking ---- */

static int unpack_fd(int fd, const LayerUnpackOptions *o, LayerStats *st, LadeError **err)
{
        LayerUnpackOptions opts = o ? *o : (LayerUnpackOptions) { 0 };
        if (!is_root())
                opts.ignore_chown = true;
        return layer_unpack_fd(fd, dest, &opts, st, err);
}

static void unpack_ok(const TEntry *es, size_t n, const LayerUnpackOptions *o, LayerStats *st)
{
        _cleanup_close_ int fd = build_tar(es, n, PLAIN);
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        LayerStats dummy;
        int r = unpack_fd(fd, o, st ? st : &dummy, &err);
        if (r < 0)
                fail_msg("layer_unpack_fd: %s", lade_error_message(err));
}

/* Unpacks and expects failure; returns the error (to free) after checking it has a message. */
static LadeError *unpack_fails(const TEntry *es, size_t n, const LayerUnpackOptions *o, int code)
{
        _cleanup_close_ int fd = build_tar(es, n, PLAIN);
        LadeError *err = NULL;
        LayerStats st;
        int r = unpack_fd(fd, o, &st, &err);
        assert_true(r < 0);
        if (code)
                assert_int_equal(r, -code);
        assert_non_null(err);
        assert_non_null(err->msg);
        return err;
}

static const char *at(const char *rel, char buf[static PATH_MAX])
{
        snprintf(buf, PATH_MAX, "%s/%s", dest, rel);
        return buf;
}

static bool lstat_in(const char *rel, struct stat *st)
{
        char p[PATH_MAX];
        return lstat(at(rel, p), st) == 0;
}

static void assert_content(const char *rel, const char *want)
{
        char p[PATH_MAX];
        _cleanup_free_ char *got = NULL;
        assert_int_equal(read_file_at(AT_FDCWD, at(rel, p), 1 << 20, &got, NULL, NULL), 0);
        assert_string_equal(got, want);
}

static size_t count_entries(const char *dir)
{
        _cleanup_closedir_ DIR *d = opendir(dir);
        size_t n = 0;
        assert_non_null(d);
        for (struct dirent *de; (de = readdir(d));)
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        n++;
        return n;
}

/* The invariant of every hostile case: nothing appeared beside dest. */
static void assert_outside_untouched(void)
{
        char p[PATH_MAX];
        struct stat st;
        snprintf(p, sizeof(p), "%s/outside", tmp);
        assert_int_equal(count_entries(p), 0);
        assert_int_equal(count_entries(tmp), 3); /* dest, outside, outside-file */
        snprintf(p, sizeof(p), "%s/outside-file", tmp);
        assert_int_equal(lstat(p, &st), 0);
        assert_int_equal(st.st_nlink, 1);
        assert_int_equal(st.st_size, 4);
}

static void assert_error_names(const LadeError *err, const char *entry)
{
        char want[PATH_MAX];
        snprintf(want, sizeof(want), "layer entry '%s': ", entry);
        if (!strstr(lade_error_message(err), want))
                fail_msg("error '%s' does not name '%s'", lade_error_message(err), entry);
}

/* ---- the ordinary layer ---- */

static const TEntry basic[] = {
        { .path = "etc/", .type = AE_IFDIR, .perm = 0755, .mtime = 1000000 },
        { .path = "etc/hosts", .type = AE_IFREG, .perm = 0640, .data = "127.0.0.1 localhost\n",
          .mtime = 1234567, .xattr_name = "user.test", .xattr_value = "hello" },
        { .path = "etc/link", .type = AE_IFLNK, .perm = 0777, .data = "hosts", .mtime = 2000000 },
        HARDLINK_("etc/hard", "etc/hosts"),
        { .path = "bin", .type = AE_IFDIR, .perm = 0700 },
        { .path = "bin/tool", .type = AE_IFREG, .perm = 0755, .data = "#!/bin/sh\n" },
        { .path = "tmp/", .type = AE_IFDIR, .perm = 01777 },
        FILE_("./usr/share/deep/file", "implicit parents"),
        FILE_("empty", ""),
};

static void test_basic_tree(void **state)
{
        LayerStats st;
        struct stat s, s2;
        char p[PATH_MAX], v[16];
        unpack_ok(basic, ELEMENTSOF(basic), NULL, &st);
        assert_int_equal(st.entries, ELEMENTSOF(basic));
        assert_int_equal(st.bytes, strlen("127.0.0.1 localhost\n#!/bin/sh\nimplicit parents"));
        assert_content("etc/hosts", "127.0.0.1 localhost\n");
        assert_true(lstat_in("etc/hosts", &s));
        assert_int_equal(s.st_mode & 07777, 0640);
        assert_int_equal(s.st_mtim.tv_sec, 1234567);
        assert_int_equal(s.st_nlink, 2);
        assert_true(lstat_in("etc/hard", &s2));
        assert_int_equal(s.st_ino, s2.st_ino);
        assert_true(lstat_in("etc/link", &s));
        assert_true(S_ISLNK(s.st_mode));
        assert_int_equal(s.st_mtim.tv_sec, 2000000);
        ssize_t n = readlink(at("etc/link", p), v, sizeof(v));
        assert_int_equal(n, 5);
        assert_memory_equal(v, "hosts", 5);
        /* the directory's time survives the entries written into it afterwards */
        assert_true(lstat_in("etc", &s));
        assert_int_equal(s.st_mtim.tv_sec, 1000000);
        assert_true(lstat_in("bin", &s));
        assert_int_equal(s.st_mode & 07777, 0700);
        assert_true(lstat_in("tmp", &s));
        assert_int_equal(s.st_mode & 07777, 01777);
        assert_content("usr/share/deep/file", "implicit parents");
        assert_true(lstat_in("usr/share", &s));
        assert_int_equal(s.st_mode & 07777, 0755);
        assert_true(lstat_in("empty", &s));
        assert_int_equal(s.st_size, 0);
        n = getxattr(at("etc/hosts", p), "user.test", v, sizeof(v));
        if (n < 0 && errno == ENOTSUP)
                return; /* a filesystem without user xattrs */
        assert_int_equal(n, 5);
        assert_memory_equal(v, "hello", 5);
}

static void test_diff_id_all_compressions(void **state)
{
        _cleanup_close_ int plain = build_tar(basic, ELEMENTSOF(basic), PLAIN);
        char want[72];
        assert_int_equal(sha256_digest_fd(plain, want, NULL), 0);
        for (int f = PLAIN; f <= ZSTD; f++) {
                _cleanup_close_ int fd = build_tar(basic, ELEMENTSOF(basic), f);
                _cleanup_(lade_error_freep) LadeError *err = NULL;
                LayerStats st;
                (void) rm_rf_at(AT_FDCWD, dest);
                if (unpack_fd(fd, NULL, &st, &err) < 0)
                        fail_msg("filter %d: %s", f, lade_error_message(err));
                assert_string_equal(st.diff_id, want);
                assert_content("etc/hosts", "127.0.0.1 localhost\n");
        }
}

/* The gzip stream as a real tool writes it (10 KiB records, zeros after the gzip member): the
 * expected diff_id comes from zlib, independently of libarchive's reader. */
static void test_diff_id_gzip_independent(void **state)
{
        _cleanup_close_ int fd = build_tar_blocked(basic, ELEMENTSOF(basic), GZIP, 10240);
        _cleanup_(sha256_freep) Sha256 *h = sha256_new();
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        char want[72], buf[4096];
        LayerStats st;
        gzFile gz = gzdopen(dup(fd), "rb");
        assert_non_null(gz);
        for (int n; (n = gzread(gz, buf, sizeof(buf))) > 0;)
                sha256_update(h, buf, (size_t) n);
        gzclose(gz);
        sha256_final_string(h, want);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        if (unpack_fd(fd, NULL, &st, &err) < 0)
                fail_msg("%s", lade_error_message(err));
        assert_string_equal(st.diff_id, want);
}

static void test_owner_and_special_bits(void **state)
{
        static const TEntry es[] = {
                { .path = "d", .type = AE_IFDIR, .perm = 02775, .uid = 1000, .gid = 1001 },
                { .path = "d/suid", .type = AE_IFREG, .perm = 06755, .data = "x", .uid = 1000,
                  .gid = 1001 },
                { .path = "d/sym", .type = AE_IFLNK, .perm = 0777, .data = "/nowhere", .uid = 7,
                  .gid = 8 },
        };
        struct stat s;
        if (!is_root())
                skip();
        unpack_ok(es, ELEMENTSOF(es), NULL, NULL);
        assert_true(lstat_in("d/suid", &s));
        assert_int_equal(s.st_uid, 1000);
        assert_int_equal(s.st_gid, 1001);
        assert_int_equal(s.st_mode & 07777, 06755); /* set after chown, which clears them */
        assert_true(lstat_in("d", &s));
        assert_int_equal(s.st_uid, 1000);
        assert_int_equal(s.st_mode & 07777, 02775);
        assert_true(lstat_in("d/sym", &s));
        assert_int_equal(s.st_uid, 7);
        assert_int_equal(s.st_gid, 8);
}

static void test_ignore_chown(void **state)
{
        static const TEntry es[] = {
                { .path = "f", .type = AE_IFREG, .perm = 0644, .data = "x", .uid = 1234,
                  .gid = 1234 },
        };
        LayerUnpackOptions o = { .ignore_chown = true };
        struct stat s;
        unpack_ok(es, ELEMENTSOF(es), &o, NULL);
        assert_true(lstat_in("f", &s));
        assert_int_equal(s.st_uid, geteuid());
}

static void test_devices_and_fifos(void **state)
{
        static const TEntry fifo[] = { { .path = "run/fifo", .type = AE_IFIFO, .perm = 0620 } };
        static const TEntry devs[] = {
                { .path = "dev/null", .type = AE_IFCHR, .perm = 0666, .major = 1, .minor = 3 },
                { .path = "dev/loop0", .type = AE_IFBLK, .perm = 0660, .major = 7, .minor = 0 },
        };
        struct stat s;
        unpack_ok(fifo, ELEMENTSOF(fifo), NULL, NULL);
        assert_true(lstat_in("run/fifo", &s));
        assert_true(S_ISFIFO(s.st_mode));
        assert_int_equal(s.st_mode & 07777, 0620);
        if (!is_root()) {
                _cleanup_(lade_error_freep) LadeError *err =
                        unpack_fails(devs, ELEMENTSOF(devs), NULL, EPERM);
                assert_non_null(strstr(err->msg, "CAP_MKNOD"));
                return;
        }
        unpack_ok(devs, ELEMENTSOF(devs), NULL, NULL);
        assert_true(lstat_in("dev/null", &s));
        assert_true(S_ISCHR(s.st_mode));
        assert_int_equal(s.st_rdev, makedev(1, 3));
        assert_int_equal(s.st_mode & 07777, 0666);
        assert_true(lstat_in("dev/loop0", &s));
        assert_true(S_ISBLK(s.st_mode));
        assert_int_equal(s.st_rdev, makedev(7, 0));
}

static void test_xattrs_reserved_and_trusted(void **state)
{
        static const TEntry es[] = {
                { .path = "t", .type = AE_IFREG, .perm = 0644, .data = "",
                  .xattr_name = "trusted.lade", .xattr_value = "v" },
                { .path = "r", .type = AE_IFDIR, .perm = 0755,
                  .xattr_name = "trusted.overlay.redirect", .xattr_value = "/etc" },
                { .path = "s", .type = AE_IFLNK, .perm = 0777, .data = "t",
                  .xattr_name = "user.onlink", .xattr_value = "v" },
        };
        char p[PATH_MAX], v[8];
        /* trusted.* when unprivileged and user.* on a symlink are skipped, not fatal */
        unpack_ok(es, ELEMENTSOF(es), NULL, NULL);
        /* a layer may not steer overlayfs through its own xattrs */
        assert_true(lgetxattr(at("r", p), "trusted.overlay.redirect", v, sizeof(v)) < 0);
        if (!is_root())
                return;
        assert_int_equal(lgetxattr(at("t", p), "trusted.lade", v, sizeof(v)), 1);
        assert_int_equal(v[0], 'v');
}

/* ---- overlay whiteouts ---- */

static const TEntry whiteouts[] = {
        FILE_("a/keep", "k"),
        FILE_("a/gone", "this layer's own copy, removed by the whiteout below"),
        DIR_("a/gonedir/"),
        FILE_("a/gonedir/inner", "i"),
        FILE_("a/.wh.gone", ""),
        FILE_("a/.wh.gonedir", ""),
        FILE_("a/.wh.lower", ""),
        FILE_("a/.wh..wh.plnk", ""),
        DIR_("b/"),
        FILE_("b/.wh..wh..opq", ""),
        FILE_(".wh.top", ""),
};

static void assert_whiteout(const char *rel)
{
        struct stat s;
        assert_true(lstat_in(rel, &s));
        assert_true(S_ISCHR(s.st_mode));
        assert_int_equal(s.st_rdev, makedev(0, 0));
}

static void test_whiteouts(void **state)
{
        char p[PATH_MAX], v[4];
        struct stat s;
        if (!is_root())
                skip(); /* 0:0 devices and trusted.* xattrs */
        unpack_ok(whiteouts, ELEMENTSOF(whiteouts), NULL, NULL);
        assert_content("a/keep", "k");
        assert_whiteout("a/gone");
        assert_whiteout("a/gonedir");
        assert_whiteout("a/lower");
        assert_whiteout("top");
        assert_false(lstat_in("a/.wh.gone", &s));
        assert_false(lstat_in("a/.wh..wh.plnk", &s));
        assert_false(lstat_in("b/.wh..wh..opq", &s));
        assert_int_equal(lgetxattr(at("b", p), "trusted.overlay.opaque", v, sizeof(v)), 1);
        assert_int_equal(v[0], 'y');
        assert_true(lgetxattr(at("a", p), "trusted.overlay.opaque", v, sizeof(v)) < 0);
}

static void test_whiteouts_as_files(void **state)
{
        LayerUnpackOptions o = { .whiteouts_as_files = true };
        char p[PATH_MAX], v[4];
        struct stat s;
        unpack_ok(whiteouts, ELEMENTSOF(whiteouts), &o, NULL);
        assert_true(lstat_in("a/.wh.gone", &s));
        assert_true(S_ISREG(s.st_mode));
        assert_content("a/gone", "this layer's own copy, removed by the whiteout below");
        assert_true(lstat_in("b/.wh..wh..opq", &s));
        assert_true(S_ISREG(s.st_mode));
        assert_true(lgetxattr(at("b", p), "trusted.overlay.opaque", v, sizeof(v)) < 0);
}

/* ---- a later entry wins ---- */

static void test_replace_semantics(void **state)
{
        static const TEntry es[] = {
                FILE_("x", "one"),
                FILE_("x", "two"),
                DIR_("d"),
                FILE_("d/a", "a"),
                { .path = "d/", .type = AE_IFDIR, .perm = 0700 }, /* merges, new mode */
                DIR_("f"),
                FILE_("f/inner", "i"),
                FILE_("f", "now a file"),
                FILE_("g", "now a dir"),
                DIR_("g"),
                SYMLINK_("s", "target1"),
                SYMLINK_("s", "target2"),
                HARDLINK_("h", "x"),
                HARDLINK_("h", "x"),
                SYMLINK_("x2", "x"),
                FILE_("x2", "file over symlink, not through it"),
        };
        char p[PATH_MAX], v[16];
        struct stat s;
        unpack_ok(es, ELEMENTSOF(es), NULL, NULL);
        assert_content("x", "two");
        assert_content("d/a", "a");
        assert_true(lstat_in("d", &s));
        assert_int_equal(s.st_mode & 07777, 0700);
        assert_content("f", "now a file");
        assert_true(lstat_in("g", &s));
        assert_true(S_ISDIR(s.st_mode));
        assert_int_equal(readlink(at("s", p), v, sizeof(v)), 7);
        assert_memory_equal(v, "target2", 7);
        assert_true(lstat_in("h", &s));
        assert_int_equal(s.st_nlink, 2);
        assert_content("x", "two");
        assert_content("x2", "file over symlink, not through it");
}

static void test_root_entry(void **state)
{
        static const TEntry es[] = {
                { .path = "./", .type = AE_IFDIR, .perm = 0750, .mtime = 7000 },
                FILE_("f", "x"),
                { .path = "/", .type = AE_IFDIR, .perm = 0751, .mtime = 8000 },
        };
        static const TEntry bad[] = { FILE_(".", "a file as the root") };
        struct stat s;
        unpack_ok(es, ELEMENTSOF(es), NULL, NULL);
        assert_int_equal(stat(dest, &s), 0);
        assert_int_equal(s.st_mode & 07777, 0751);
        assert_int_equal(s.st_mtim.tv_sec, 8000);
        _cleanup_(lade_error_freep) LadeError *err =
                unpack_fails(bad, ELEMENTSOF(bad), NULL, EINVAL);
        assert_error_names(err, ".");
}

static void test_sparse_file(void **state)
{
        _cleanup_close_ int fd = memfd_create("sparse", MFD_CLOEXEC);
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        _cleanup_free_ char *data = xmalloc0(1 << 20);
        struct archive *a = archive_write_new();
        struct archive_entry *e = archive_entry_new();
        LayerStats st;
        struct stat s;
        memset(data + 4096, 'a', 4096);
        archive_write_set_format_pax_restricted(a);
        assert_int_equal(archive_write_open_fd(a, fd), ARCHIVE_OK);
        archive_entry_set_pathname(e, "sparse");
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, 1 << 20);
        archive_entry_sparse_add_entry(e, 4096, 4096);
        assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
        assert_int_equal(archive_write_data(a, data, 1 << 20), 1 << 20);
        archive_entry_free(e);
        assert_int_equal(archive_write_close(a), ARCHIVE_OK);
        archive_write_free(a);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        if (unpack_fd(fd, NULL, &st, &err) < 0)
                fail_msg("%s", lade_error_message(err));
        assert_true(lstat_in("sparse", &s));
        assert_int_equal(s.st_size, 1 << 20);
        char p[PATH_MAX];
        _cleanup_free_ char *got = NULL;
        size_t len;
        assert_int_equal(read_file_at(AT_FDCWD, at("sparse", p), 2 << 20, &got, &len, NULL), 0);
        assert_int_equal(len, 1 << 20);
        assert_memory_equal(got, data, 1 << 20);
}

/* ---- hostile archives ---- */

static void test_dotdot_rejected(void **state)
{
        static const char *names[] = { "../../etc/x", "etc/../../x", "a/b/../../../x", ".." };
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                TEntry es[] = { FILE_(names[i], "escape") };
                _cleanup_(lade_error_freep) LadeError *err = unpack_fails(es, 1, NULL, EINVAL);
                assert_error_names(err, names[i]);
                assert_outside_untouched();
        }
}

static void test_dotdot_inside_and_absolute(void **state)
{
        static const TEntry es[] = {
                FILE_("/abs/path", "abs"),
                FILE_("a/b/../c", "clean"),
                FILE_("//x/./y", "slashes"),
        };
        unpack_ok(es, ELEMENTSOF(es), NULL, NULL);
        assert_content("abs/path", "abs");
        assert_content("a/c", "clean");
        assert_content("x/y", "slashes");
        assert_outside_untouched();
}

static void test_symlink_then_write_through(void **state)
{
        char outside[128], inside[PATH_MAX];
        snprintf(outside, sizeof(outside), "%s/outside", tmp);
        const TEntry es[] = {
                SYMLINK_("evil", "/"),
                FILE_("evil/etc/passwd", "root::0:0"),
                SYMLINK_("evil2", "../../.."),
                FILE_("evil2/outside/pwn", "2"),
                SYMLINK_("evil3", outside),
                FILE_("evil3/pwn", "3"),
                SYMLINK_("dangling", "/tmp/lade-layer-nonexistent/x"),
                FILE_("dangling/pwn", "4"),
        };
        unpack_ok(es, ELEMENTSOF(es), NULL, NULL);
        assert_content("etc/passwd", "root::0:0");
        assert_content("outside/pwn", "2");
        snprintf(inside, sizeof(inside), "%s/pwn", outside + 1);
        assert_content(inside, "3");
        assert_content("tmp/lade-layer-nonexistent/x/pwn", "4");
        assert_outside_untouched();
}

static void test_symlink_replaces_dir(void **state)
{
        char outside[128], inside[PATH_MAX];
        snprintf(outside, sizeof(outside), "%s/outside", tmp);
        const TEntry es[] = {
                DIR_("sub"),
                FILE_("sub/f", "f"),
                FILE_("sub/g", "warm the parent cache"),
                SYMLINK_("sub", outside),
                FILE_("sub/pwn", "through the swapped symlink"),
                DIR_("rel/"),
                SYMLINK_("rel", "../outside"),
                FILE_("rel/pwn", "relative"),
        };
        struct stat s;
        unpack_ok(es, ELEMENTSOF(es), NULL, NULL);
        assert_true(lstat_in("sub", &s));
        assert_true(S_ISLNK(s.st_mode));
        snprintf(inside, sizeof(inside), "%s/pwn", outside + 1);
        assert_content(inside, "through the swapped symlink");
        assert_content("outside/pwn", "relative");
        assert_outside_untouched();
}

static void test_hardlink_escape(void **state)
{
        char host[128], via[PATH_MAX];
        snprintf(host, sizeof(host), "%s/outside-file", tmp);
        snprintf(via, sizeof(via), "up%s", host);
        const struct {
                TEntry es[2];
                int code;
        } cases[] = {
                { { HARDLINK_("h", "../../outside-file") }, EINVAL },
                { { HARDLINK_("h", host) }, ENOENT },
                { { SYMLINK_("up", "/.."), HARDLINK_("h", via) }, ENOENT },
                { { DIR_("d"), HARDLINK_("h", "d") }, EPERM },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                size_t n = cases[i].es[1].path ? 2 : 1;
                _cleanup_(lade_error_freep) LadeError *err =
                        unpack_fails(cases[i].es, n, NULL, cases[i].code);
                assert_error_names(err, "h");
                assert_outside_untouched();
                (void) rm_rf_at(AT_FDCWD, dest);
        }
}

static void test_hardlink_to_symlink_inside(void **state)
{
        static const TEntry es[] = {
                SYMLINK_("escape", "/etc/shadow"),
                HARDLINK_("copy", "escape"),
        };
        struct stat s;
        unpack_ok(es, ELEMENTSOF(es), NULL, NULL);
        assert_true(lstat_in("copy", &s));
        assert_true(S_ISLNK(s.st_mode)); /* the symlink itself, never what it points at */
        assert_int_equal(s.st_nlink, 2);
}

static void test_whiteout_names(void **state)
{
        static const char *bad[] = { "a/.wh...", ".wh..", ".wh." };
        static const TEntry tricky[] = {
                FILE_(".wh.../../x", "cleaned to a plain file"),
                FILE_("d/.wh.../../../y", "cleaned to a plain file at the top"),
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                TEntry es[] = { FILE_(bad[i], "") };
                _cleanup_(lade_error_freep) LadeError *err = unpack_fails(es, 1, NULL, EINVAL);
                assert_error_names(err, bad[i]);
                assert_outside_untouched();
        }
        unpack_ok(tricky, ELEMENTSOF(tricky), NULL, NULL);
        assert_content("x", "cleaned to a plain file");
        assert_content("y", "cleaned to a plain file at the top");
        assert_outside_untouched();
}

static void test_limits(void **state)
{
        TEntry many[100];
        char names[100][16];
        for (size_t i = 0; i < ELEMENTSOF(many); i++) {
                snprintf(names[i], sizeof(names[i]), "f%zu", i);
                many[i] = (TEntry) FILE_(names[i], "");
        }
        LayerUnpackOptions o = { .max_entries = 10 };
        _cleanup_(lade_error_freep) LadeError *err = unpack_fails(many, 100, &o, E2BIG);
        assert_non_null(strstr(err->msg, "more than 10 entries"));
        assert_error_names(err, "f10");

        static const TEntry big[] = { FILE_("a", "12345678"), FILE_("b", "12345678") };
        LayerUnpackOptions ob = { .max_bytes = 10 };
        _cleanup_(lade_error_freep) LadeError *err2 = unpack_fails(big, 2, &ob, EFBIG);
        assert_error_names(err2, "b");
}

static void test_long_names(void **state)
{
        _cleanup_free_ char *name = xmalloc(LAYER_PATH_MAX + 2);
        memset(name, 'a', LAYER_PATH_MAX + 1);
        for (size_t i = 200; i < LAYER_PATH_MAX; i += 200)
                name[i] = '/';
        name[LAYER_PATH_MAX + 1] = '\0';
        TEntry es[] = { FILE_(name, "") };
        _cleanup_(lade_error_freep) LadeError *err = unpack_fails(es, 1, NULL, ENAMETOOLONG);
        TEntry sym[] = { SYMLINK_("s", name) };
        _cleanup_(lade_error_freep) LadeError *err2 = unpack_fails(sym, 1, NULL, ENAMETOOLONG);
        assert_error_names(err2, "s");
}

static LadeError *unpack_bytes_fails(const void *data, size_t len)
{
        _cleanup_close_ int fd = memfd_of(data, len);
        LadeError *err = NULL;
        LayerStats st;
        assert_true(unpack_fd(fd, NULL, &st, &err) < 0);
        assert_non_null(err);
        assert_true(strlen(lade_error_message(err)) > 10);
        return err;
}

/* The first `keep` bytes of the archive of es. */
static LadeError *unpack_truncated(const TEntry *es, size_t n, int filter, size_t keep)
{
        _cleanup_close_ int fd = build_tar(es, n, filter);
        _cleanup_free_ char *buf = xmalloc(keep);
        assert_int_equal(read_all(fd, buf, keep), (ssize_t) keep);
        return unpack_bytes_fails(buf, keep);
}

static void test_truncated_and_garbage(void **state)
{
        _cleanup_free_ char *big = xmalloc(20001);
        memset(big, 'z', 20000);
        big[20000] = '\0';
        const TEntry es[] = { FILE_("big", big) };
        LadeError *err = unpack_truncated(es, 1, PLAIN, 5000);
        assert_error_names(err, "big");
        assert_non_null(strstr(err->msg, "runcated"));
        err = lade_error_free(err);
        err = unpack_truncated(es, 1, GZIP, 40);
        assert_non_null(strstr(err->msg, "layer"));
        err = lade_error_free(err);
        err = unpack_truncated(es, 1, ZSTD, 30);
        err = lade_error_free(err);

        char garbage[4096];
        for (size_t i = 0; i < sizeof(garbage); i++)
                garbage[i] = (char) (i * 7919 % 251);
        err = unpack_bytes_fails(garbage, sizeof(garbage));
        err = lade_error_free(err);
        err = unpack_bytes_fails("", 0);
        err = lade_error_free(err);
        /* gzip magic, then nonsense */
        err = unpack_bytes_fails("\x1f\x8b\x08\x00garbagegarbagegarbage", 24);
        assert_non_null(strstr(err->msg, "decompress"));
        err = lade_error_free(err);
        assert_outside_untouched();
}

static void ustar_header(char blk[static 512], const char *name, char type)
{
        unsigned sum = 0;
        memset(blk, 0, 512);
        memcpy(blk, name, strlen(name));
        memcpy(blk + 100, "0000644", 7);
        memcpy(blk + 108, "0000000", 7);
        memcpy(blk + 116, "0000000", 7);
        memcpy(blk + 124, "00000000000", 11);
        memcpy(blk + 136, "00000000000", 11);
        blk[156] = type;
        memcpy(blk + 257, "ustar", 6);
        memcpy(blk + 263, "00", 2);
        memset(blk + 148, ' ', 8);
        for (size_t i = 0; i < 512; i++)
                sum += (unsigned char) blk[i];
        snprintf(blk + 148, 8, "%06o", sum);
}

static void test_empty_name(void **state)
{
        char tar[512 * 3] = { 0 };
        ustar_header(tar, "", '0');
        _cleanup_(lade_error_freep) LadeError *err = unpack_bytes_fails(tar, sizeof(tar));
        assert_outside_untouched();
}

/* A few hundred bytes of gzip that inflate to a tar followed by a flood of zeros: the diff_id
 * needs all of it hashed, but only up to a bound. */
static void test_trailing_bomb(void **state)
{
        _cleanup_close_ int plain = build_tar(basic, ELEMENTSOF(basic), PLAIN);
        _cleanup_close_ int fd = memfd_create("bomb", MFD_CLOEXEC);
        _cleanup_free_ char *zeros = xmalloc0(1 << 20);
        char buf[65536];
        gzFile gz = gzdopen(dup(fd), "wb9");
        assert_non_null(gz);
        for (ssize_t n; (n = read(plain, buf, sizeof(buf))) > 0;)
                assert_int_equal(gzwrite(gz, buf, (unsigned) n), n);
        for (int i = 0; i < 17; i++)
                assert_int_equal(gzwrite(gz, zeros, 1 << 20), 1 << 20);
        assert_int_equal(gzclose(gz), Z_OK);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        LadeError *err = NULL;
        LayerStats st;
        assert_int_equal(unpack_fd(fd, NULL, &st, &err), -EFBIG);
        assert_non_null(strstr(lade_error_message(err), "after the end"));
        err = lade_error_free(err);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
                T(test_basic_tree),
                T(test_diff_id_all_compressions),
                T(test_diff_id_gzip_independent),
                T(test_owner_and_special_bits),
                T(test_ignore_chown),
                T(test_devices_and_fifos),
                T(test_xattrs_reserved_and_trusted),
                T(test_whiteouts),
                T(test_whiteouts_as_files),
                T(test_replace_semantics),
                T(test_root_entry),
                T(test_sparse_file),
                T(test_dotdot_rejected),
                T(test_dotdot_inside_and_absolute),
                T(test_symlink_then_write_through),
                T(test_symlink_replaces_dir),
                T(test_hardlink_escape),
                T(test_hardlink_to_symlink_inside),
                T(test_whiteout_names),
                T(test_limits),
                T(test_long_names),
                T(test_truncated_and_garbage),
                T(test_empty_name),
                T(test_trailing_bomb),
#undef T
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

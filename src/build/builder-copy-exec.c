/* The doing half of COPY, ADD and WORKDIR (builder-copy.c decides what a step is): the
 * destination resolved against WORKDIR and the image, --chown names looked up in the image's
 * /etc/passwd and /etc/group, tars extracted by ADD, URLs downloaded with libcurl (checked
 * against --checksum), then the upper dir committed as one layer. */
#include <archive.h>
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include "curl-dl.h"
#include <dirent.h>
#include <fnmatch.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder-internal.h"
#include "fs-safe.h"
#include "json-util.h"
#include "layer.h"
#include "util.h"
#include "archive-dl.h"

/* ---- --chown ---- */

static bool all_digits(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (*s < '0' || *s > '9')
                        return false;
        return true;
}

/* BuildKit's parseUID (llb.WithUser): "root" and decimal numbers of 32 bits are ids, anything
 * else is a name. */
static bool parse_uid(const char *s, int64_t *ret)
{
        int64_t v;
        if (streq(s, "root")) {
                *ret = 0;
                return true;
        }
        if (!all_digits(s) || parse_int64(s, &v) < 0 || v > UINT32_MAX)
                return false;
        *ret = v;
        return true;
}

/* Field n (from 0) of a "a:b:c" line as a number; 0 when missing or not a number, as Go's
 * user.ParsePasswdFilter reads it. */
static int64_t field_id(const char *line, unsigned n)
{
        char buf[24];
        int64_t v;
        for (; n > 0 && line; n--) {
                line = strchr(line, ':');
                if (line)
                        line++;
        }
        if (!line)
                return 0;
        size_t len = strcspn(line, ":");
        if (len >= sizeof(buf))
                return 0;
        memcpy(buf, line, len);
        buf[len] = '\0';
        return parse_int64(buf, &v) < 0 ? 0 : v;
}

/* Looks `name` up in the rootfs' /etc/passwd or /etc/group (BuildKit's readUser): the first line
 * of that name gives its id (field 3) and, for passwd, its primary group (field 4). A missing
 * file or name is no error (0, nothing set): BuildKit then keeps uid 0 / the user's group. 1 when
 * found. */
static int lookup_name(int rootfd, const char *file, const char *name, int64_t *ret_id,
                       int64_t *ret_gid, LadeError **err)
{
        _cleanup_close_ int fd = fs_open_in_root(rootfd, file, O_RDONLY, 0, NULL);
        _cleanup_free_ char *data = NULL;
        size_t len, nl = strlen(name);
        char buf[32];
        if (fd == -ENOENT || fd == -ENOTDIR)
                return 0;
        if (fd < 0)
                return lade_error(err, -fd, "open %s of the image", file);
        int r = read_file_at(AT_FDCWD, fs_fd_path(fd, buf), 16u << 20, &data, &len, err);
        if (r < 0)
                return lade_error_wrap(err, "read %s of the image", file);
        for (char *line = data; line && *line;) {
                char *next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (strncmp(line, name, nl) == 0 && line[nl] == ':') {
                        /* name:password:id:gid:... */
                        *ret_id = field_id(line, 2);
                        if (ret_gid)
                                *ret_gid = field_id(line, 3);
                        return 1;
                }
                line = next;
        }
        return 0;
}

/* --chown=USER[:GROUP] as BuildKit resolves it: a user id alone also gives the group, a user name
 * gives its primary group, unknown names are root's ids (Docker's builder, unlike the classic one,
 * does not fail on them). */
static int resolve_chown(int rootfd, const char *spec, int64_t *ret_uid, int64_t *ret_gid,
                         LadeError **err)
{
        _cleanup_free_ char *user = xstrdup(spec);
        char *group = strchr(user, ':');
        int64_t uid = 0, gid = 0;
        int r;
        if (group)
                *group++ = '\0';
        if (parse_uid(user, &uid))
                gid = uid;
        else if ((r = lookup_name(rootfd, "/etc/passwd", user, &uid, &gid, err)) < 0)
                return r;
        if (group && !parse_uid(group, &gid)) {
                r = lookup_name(rootfd, "/etc/group", group, &gid, NULL, err);
                if (r < 0)
                        return r;
        }
        *ret_uid = uid;
        *ret_gid = gid;
        return 0;
}

/* ---- destination ---- */

static const char *stage_workdir(BuildStage *s)
{
        const char *wd = json_string_value(json_object_get(build_stage_config(s), "WorkingDir"));
        return wd && *wd ? wd : "/";
}

/* The absolute, cleaned destination; *ret_dir when it names a directory by its trailing slash. */
static char *dest_path(BuildStage *s, const char *dest, bool *ret_dir)
{
        size_t n = strlen(dest);
        *ret_dir = n > 0 && (dest[n - 1] == '/' || streq(dest, ".") || endswith(dest, "/."));
        _cleanup_free_ char *abs = dest[0] == '/' ? xstrdup(dest) : xasprintf("%s/%s", stage_workdir(s), dest);
        return fs_path_normalize(abs);
}

static bool is_dir_in_root(int rootfd, const char *path)
{
        _cleanup_close_ int fd = fs_open_in_root(rootfd, path, O_PATH, 0, NULL);
        struct stat st;
        return fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Opens the directory that will hold `path` (created as needed) and gives its last name. */
static int open_parent(int rootfd, const char *path, char **ret_name, LadeError **err)
{
        _cleanup_free_ char *copy = xstrdup(path), *copy2 = xstrdup(path);
        const char *dir = dirname(copy);
        int fd = fs_mkdir_p_in_root(rootfd, dir, 0755, err);
        if (fd < 0)
                return lade_error_wrap(err, "create the destination directory '%s'", dir);
        *ret_name = xstrdup(basename(copy2));
        return fd;
}

/* ---- one source ---- */

typedef struct CopyJob {
        Builder *b;
        BuildStage *s;
        BuildStep *st;
        int rootfd;
        char *dest;
        bool dest_dir;
        size_t n_sources;
        BuildCopyOptions co;
} CopyJob;

/* A tar ADD extracts (any compression libarchive knows); other files are copied. */
static bool is_archive(int fd)
{
        struct archive *a = archive_read_new();
        struct archive_entry *e;
        archive_read_support_filter_all(a);
        archive_read_support_format_tar(a);
        bool ok = archive_read_open_fd(a, fd, 65536) == ARCHIVE_OK &&
                  archive_read_next_header(a, &e) == ARCHIVE_OK;
        archive_read_free(a);
        (void) lseek(fd, 0, SEEK_SET);
        return ok;
}

static int extract(CopyJob *j, int fd, LadeError **err)
{
        _cleanup_close_ int dfd = fs_mkdir_p_in_root(j->rootfd, j->dest, 0755, err);
        if (dfd < 0)
                return dfd;
        char buf[32];
        LayerUnpackOptions uo = { .whiteouts_as_files = true };
        LayerStats stats;
        int r = layer_unpack_fd(fd, fs_fd_path(dfd, buf), &uo, &stats, err);
        return r < 0 ? lade_error_wrap(err, "extract into %s", j->dest) : 0;
}

/* Where a non-directory source named `base` goes; opens its parent. */
static int file_target(CopyJob *j, const char *base, char **ret_name, LadeError **err)
{
        bool into = j->dest_dir || j->n_sources > 1 || is_dir_in_root(j->rootfd, j->dest);
        if (j->n_sources > 1 && !j->dest_dir && !is_dir_in_root(j->rootfd, j->dest))
                return lade_error_msg(err, EINVAL, "When using COPY with more than one source file, "
                                      "the destination must be a directory and end with a /");
        if (!into)
                return open_parent(j->rootfd, j->dest, ret_name, err);
        int fd = fs_mkdir_p_in_root(j->rootfd, j->dest, 0755, err);
        if (fd < 0)
                return lade_error_wrap(err, "create the destination directory '%s'", j->dest);
        *ret_name = xstrdup(base);
        return fd;
}

/* A source opened (O_PATH, top-level symlinks followed inside its root). */
static int copy_one(CopyJob *j, int src, const char *rel, LadeError **err)
{
        struct stat st;
        char buf[32];
        if (fstat(src, &st) < 0)
                return lade_error(err, errno, "stat '%s'", rel);
        if (S_ISDIR(st.st_mode)) {
                _cleanup_close_ int dfd = fs_mkdir_p_in_root(j->rootfd, j->dest, 0755, err);
                if (dfd < 0)
                        return lade_error_wrap(err, "create the destination directory '%s'", j->dest);
                _cleanup_close_ int sdir = openat(src, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (sdir < 0)
                        return lade_error(err, errno, "open '%s'", rel);
                _cleanup_closedir_ DIR *d = fdopendir(TAKE_FD(sdir));
                if (!d)
                        return lade_error(err, errno, "read '%s'", rel);
                for (struct dirent *de; (de = readdir(d));) {
                        if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                                continue;
                        BuildCopyOptions co = j->co;
                        _cleanup_free_ char *sub = streq(rel, ".") ? xstrdup(de->d_name)
                                                                   : xasprintf("%s/%s", rel, de->d_name);
                        co.ctx_path = j->co.ctx ? sub : NULL;
                        int r = build_copy_tree(dirfd(d), de->d_name, dfd, de->d_name, &co, err);
                        if (r < 0)
                                return r;
                }
                return 0;
        }
        _cleanup_close_ int in = open(fs_fd_path(src, buf), O_RDONLY | O_CLOEXEC);
        if (in < 0)
                return lade_error(err, errno, "open '%s'", rel);
        if (j->st->i->kind == DOCKERFILE_ADD && S_ISREG(st.st_mode) && j->st->i->unpack != 0 &&
            is_archive(in))
                return extract(j, in, err);
        _cleanup_free_ char *rc = xstrdup(rel), *name = NULL;
        _cleanup_close_ int pfd = file_target(j, basename(rc), &name, err);
        if (pfd < 0)
                return pfd;
        if (!S_ISREG(st.st_mode))
                return lade_error_msg(err, EINVAL, "cannot copy '%s': not a regular file or directory", rel);
        return build_copy_file(in, &st, pfd, name, &j->co, err);
}

static int write_inline(CopyJob *j, const char *name, const char *body, LadeError **err)
{
        _cleanup_free_ char *target = NULL;
        _cleanup_close_ int pfd = file_target(j, name, &target, err);
        if (pfd < 0)
                return pfd;
        (void) unlinkat(pfd, target, 0);
        _cleanup_close_ int fd = openat(pfd, target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
                return lade_error(err, errno, "create '%s'", target);
        int r = write_all(fd, body, strlen(body));
        if (r < 0)
                return lade_error(err, -r, "write '%s'", target);
        mode_t mode = j->co.mode >= 0 ? (mode_t) j->co.mode : 0644;
        if (fchown(fd, j->co.uid >= 0 ? (uid_t) j->co.uid : 0, j->co.gid >= 0 ? (gid_t) j->co.gid : 0) < 0 ||
            fchmod(fd, mode) < 0)
                return lade_error(err, errno, "set the attributes of '%s'", target);
        return 0;
}

/* ---- ADD <url> ---- */

typedef struct Download {
        int fd;
        uint64_t size;
} Download;

static size_t download_write(char *data, size_t size, size_t n, void *userdata)
{
        Download *d = userdata;
        size_t len = size * n;
        if (d->size + len > BUILD_URL_SIZE_MAX || write_all(d->fd, data, len) < 0)
                return 0;
        d->size += len;
        return len;
}

static int download(Builder *b, const char *url, int *ret_fd, int64_t *ret_mtime, LadeError **err)
{
        _cleanup_free_ char *path = xasprintf("%s/download-XXXXXX", b->tmp);
        _cleanup_close_ int fd = mkostemp(path, O_CLOEXEC);
        if (fd < 0)
                return lade_error(err, errno, "create a file for %s", url);
        (void) unlink(path);
        Download d = { .fd = fd };
        CURL *c = curl_easy_init();
        if (!c)
                return lade_error_msg(err, ENOMEM, "curl_easy_init");
        long code = 0, filetime = -1;
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, download_write);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &d);
        curl_easy_setopt(c, CURLOPT_FILETIME, 1L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        CURLcode cr = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        curl_easy_getinfo(c, CURLINFO_FILETIME, &filetime);
        curl_easy_cleanup(c);
        if (cr != CURLE_OK)
                return lade_error_msg(err, EIO, "failed to load cache key: %s: %s", url, curl_easy_strerror(cr));
        if (code < 200 || code >= 300)
                return lade_error_msg(err, EIO, "failed to load cache key: invalid response status %ld", code);
        (void) lseek(fd, 0, SEEK_SET);
        *ret_mtime = filetime;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static int add_url(CopyJob *j, const char *url, LadeError **err)
{
        _cleanup_close_ int fd = -EBADF;
        int64_t mtime = -1;
        char digest[72];
        int r = download(j->b, url, &fd, &mtime, err);
        if (r < 0)
                return r;
        const char *want = j->st->i->checksum;
        if (want) {
                r = sha256_digest_fd(fd, digest, err);
                if (r < 0)
                        return r;
                (void) lseek(fd, 0, SEEK_SET);
                if (!streq(digest, want))
                        return lade_error_msg(err, EINVAL, "digest mismatch %s: %s", digest, want);
        }
        /* the file's name is the URL's last path element (without query) */
        _cleanup_free_ char *u = xstrndup(url, strcspn(url, "?#"));
        const char *base = strrchr(u, '/');
        base = base && base[1] ? base + 1 : "__unnamed__";
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int pfd = file_target(j, base, &name, err);
        if (pfd < 0)
                return pfd;
        struct stat st = { .st_mode = S_IFREG | 0600 };
        if (mtime > 0)
                st.st_mtim.tv_sec = st.st_atim.tv_sec = mtime;
        else
                st.st_mtim.tv_nsec = st.st_atim.tv_nsec = UTIME_OMIT;
        BuildCopyOptions co = j->co;
        co.ctx = NULL;
        co.uid = co.uid >= 0 ? co.uid : 0;
        co.gid = co.gid >= 0 ? co.gid : 0;
        return build_copy_file(fd, &st, pfd, name, &co, err);
}

/* ---- the step ---- */

static int from_sources(CopyJob *j, BuildRootfs *src, const char *pattern, LadeError **err)
{
        _cleanup_free_ char *abs = pattern[0] == '/' ? xstrdup(pattern) : xasprintf("/%s", pattern);
        _cleanup_free_ char *clean = fs_path_normalize(abs);
        const char *base = strrchr(clean, '/') + 1;
        if (!strpbrk(base, "*?[")) {
                _cleanup_close_ int fd = fs_open_in_root(src->rootfd, clean, O_PATH, 0, NULL);
                if (fd < 0)
                        return lade_error_msg(err, ENOENT, "failed to compute cache key: failed to "
                                              "calculate checksum of ref: \"%s\": not found", clean);
                return copy_one(j, fd, clean, err);
        }
        _cleanup_free_ char *dir = xstrndup(clean, (size_t) (base - clean));
        _cleanup_close_ int dfd = fs_open_in_root(src->rootfd, dir, O_RDONLY | O_DIRECTORY, 0, err);
        if (dfd < 0)
                return dfd;
        _cleanup_closedir_ DIR *d = fdopendir(TAKE_FD(dfd));
        size_t hits = 0;
        for (struct dirent *de; d && (de = readdir(d));) {
                if (streq(de->d_name, ".") || streq(de->d_name, "..") || fnmatch(base, de->d_name, 0) != 0)
                        continue;
                _cleanup_free_ char *p = xasprintf("%s%s", dir, de->d_name);
                _cleanup_close_ int fd = fs_open_in_root(src->rootfd, p, O_PATH, 0, err);
                int r = fd < 0 ? fd : copy_one(j, fd, p, err);
                if (r < 0)
                        return r;
                hits++;
        }
        return hits ? 0 : lade_error_msg(err, ENOENT, "failed to compute cache key: failed to "
                                          "calculate checksum of ref: \"%s\": not found", clean);
}

static int copy_all(CopyJob *j, LadeError **err)
{
        BuildStep *st = j->st;
        int r = 0;
        if (st->from_id) {
                BuildRootfs src = { .rootfd = -EBADF };
                r = build_rootfs_open(j->b, st->from_id, &src, err);
                for (char **p = st->srcs; r >= 0 && p && *p; p++)
                        r = from_sources(j, &src, *p, err);
                build_rootfs_close(j->b, &src);
        } else {
                for (char **p = st->srcs; r >= 0 && p && *p; p++) {
                        _cleanup_close_ int fd = build_context_open_path(j->b->ctx, *p, O_PATH, err);
                        r = fd < 0 ? fd : copy_one(j, fd, *p, err);
                }
        }
        for (char **u = st->urls; r >= 0 && u && *u; u++)
                r = add_url(j, *u, err);
        for (size_t k = 0; r >= 0 && st->inline_names && st->inline_names[k]; k++)
                r = write_inline(j, st->inline_names[k], st->inline_bodies[k], err);
        return r;
}

int build_dispatch_copy(Builder *b, BuildStage *s, BuildStep *st, LadeError **err)
{
        BuildRootfs r = { .rootfd = -EBADF };
        _cleanup_free_ char *dest = NULL;
        CopyJob j = { .b = b, .s = s, .st = st,
                      .co = { .uid = -1, .gid = -1, .mode = st->mode, .ctx = st->from_id ? NULL : b->ctx } };
        int k = build_rootfs_open(b, s->image_id, &r, err);
        if (k < 0)
                return k;
        j.rootfd = r.rootfd;
        j.dest = dest = dest_path(s, st->dest, &j.dest_dir);
        j.n_sources = strv_length(st->srcs) + strv_length(st->urls) + strv_length(st->inline_names);
        if (st->chown)
                k = resolve_chown(r.rootfd, st->chown, &j.co.uid, &j.co.gid, err);
        if (k >= 0)
                k = copy_all(&j, err);
        if (k >= 0)
                k = build_commit(b, s, st, &r, err);
        build_rootfs_close(b, &r);
        return k;
}

/* WORKDIR: the directory is made (owned by root, 0755) when the image lacks it; that is a layer,
 * otherwise the step only changes the config. */
int build_dispatch_workdir(Builder *b, BuildStage *s, BuildStep *st, LadeError **err)
{
        const char *wd = stage_workdir(s);
        BuildRootfs r = { .rootfd = -EBADF };
        int k = build_rootfs_open(b, s->image_id, &r, err);
        if (k < 0)
                return k;
        if (!is_dir_in_root(r.rootfd, wd)) {
                _cleanup_close_ int fd = fs_mkdir_p_in_root(r.rootfd, wd, 0755, err);
                k = fd < 0 ? lade_error_wrap(err, "mkdir %s", wd) : 0;
        }
        if (k >= 0)
                k = build_commit(b, s, st, &r, err);
        build_rootfs_close(b, &r);
        return k;
}

/* COPY and ADD: sources from the context (through the ignore file, never outside it), from
 * another stage or an image (--from), here-documents and, for ADD, URLs and local tars that are
 * extracted. Files land in a writable view of the stage's image (builder-rootfs.c) through
 * *at() calls below a directory resolved inside the rootfs, so a symlink in the image never
 * leads outside it. Docker's rules: a directory source copies its contents; a file goes to
 * dest/name when dest ends with '/', is an existing directory or several sources are given;
 * new files are owned by 0:0 (context) or keep their owner (--from) unless --chown; --chmod sets
 * every mode; mtimes are kept (and clamped with SOURCE_DATE_EPOCH when packed). */
#include <archive.h>
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder-internal.h"
#include "fs-safe.h"
#include "json-util.h"
#include "layer.h"
#include "util.h"
#include "archive-dl.h"

void build_step_done(BuildStep *st)
{
        free(st->desc);
        free(st->created_by);
        strv_free(st->args);
        strv_free(st->srcs);
        strv_free(st->urls);
        free(st->dest);
        free(st->chown);
        free(st->from_id);
        strv_free(st->inline_names);
        strv_free(st->inline_bodies);
        strv_free(st->argv);
}

/* ---- copying trees ---- */

/* Small files are one read and one write: copy_file_range() would fail first (EXDEV: a view is
 * an overlay, the context another filesystem), one wasted call per file. */
#define COPY_RANGE_MIN (64 * 1024)

static int copy_data(int in, int out, off_t size, LadeError **err)
{
        for (; size >= COPY_RANGE_MIN;) {
                ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
                if (n == 0)
                        return 0;
                if (n > 0)
                        continue;
                if (errno == EINTR)
                        continue;
                if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
                        return lade_error(err, errno, "copy file data");
                break;
        }
        char buf[65536];
        for (;;) {
                ssize_t n = read(in, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return lade_error(err, errno, "read a source file");
                if (n == 0)
                        return 0;
                int r = write_all(out, buf, (size_t) n);
                if (r < 0)
                        return lade_error(err, -r, "write a copied file");
        }
}

static void target_ids(const BuildCopyOptions *o, const struct stat *st, uid_t *uid, gid_t *gid,
                       mode_t *mode)
{
        *uid = o->uid >= 0 ? (uid_t) o->uid : o->ctx ? 0 : st->st_uid;
        *gid = o->gid >= 0 ? (gid_t) o->gid : o->ctx ? 0 : st->st_gid;
        *mode = o->mode >= 0 ? (mode_t) o->mode : st->st_mode & 07777;
}

/* Makes room for a non-directory at ddir/dname: Docker replaces files, never directories. */
static int clear_target(int ddir, const char *dname, LadeError **err)
{
        struct stat st;
        if (fstatat(ddir, dname, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return 0;
        if (S_ISDIR(st.st_mode))
                return lade_error_msg(err, EISDIR, "cannot replace directory %s with a file", dname);
        if (unlinkat(ddir, dname, 0) < 0)
                return lade_error(err, errno, "replace '%s'", dname);
        return 0;
}

int build_copy_file(int in, const struct stat *st, int ddir, const char *dname,
                     const BuildCopyOptions *o, LadeError **err)
{
        uid_t uid;
        gid_t gid;
        mode_t mode;
        target_ids(o, st, &uid, &gid, &mode);
        int r = clear_target(ddir, dname, err);
        if (r < 0)
                return r;
        _cleanup_close_ int out = openat(ddir, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                         0600);
        if (out < 0)
                return lade_error(err, errno, "create '%s'", dname);
        r = copy_data(in, out, st->st_size, err);
        if (r < 0)
                return r;
        struct timespec ts[2] = { st->st_atim, st->st_mtim };
        if (fchown(out, uid, gid) < 0 || fchmod(out, mode) < 0 || futimens(out, ts) < 0)
                return lade_error(err, errno, "set the attributes of '%s'", dname);
        return 0;
}

static int copy_entry(int sdir, const char *sname, int ddir, const char *dname, const char *rel,
                      const BuildCopyOptions *o, LadeError **err);

/* The children of directory fd `src` into the directory `dst`. */
static int copy_children(int src, int dst, const char *rel, const BuildCopyOptions *o, LadeError **err)
{
        int fd = openat(src, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return lade_error(err, errno, "open the source directory %s", rel ? rel : "");
        _cleanup_closedir_ DIR *d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return lade_error(err, errno, "read the source directory");
        }
        for (struct dirent *de; (de = readdir(d));) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                _cleanup_free_ char *sub = !rel ? NULL : streq(rel, ".") ? xstrdup(de->d_name)
                                                     : xasprintf("%s/%s", rel, de->d_name);
                if (o->ctx && o->ctx->ignore && sub && dockerignore_matches(o->ctx->ignore, sub) &&
                    dockerignore_can_skip_dir(o->ctx->ignore, sub))
                        continue;
                int r = copy_entry(dirfd(d), de->d_name, dst, de->d_name, sub, o, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int copy_dir(int sdir, const char *sname, const struct stat *st, int ddir, const char *dname,
                    const char *rel, const BuildCopyOptions *o, LadeError **err)
{
        struct stat dst;
        uid_t uid;
        gid_t gid;
        mode_t mode;
        target_ids(o, st, &uid, &gid, &mode);
        if (fstatat(ddir, dname, &dst, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(dst.st_mode) &&
            unlinkat(ddir, dname, 0) < 0)
                return lade_error(err, errno, "replace '%s'", dname);
        if (mkdirat(ddir, dname, 0700) < 0 && errno != EEXIST)
                return lade_error(err, errno, "create directory '%s'", dname);
        _cleanup_close_ int s = openat(sdir, sname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_close_ int d = openat(ddir, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (s < 0 || d < 0)
                return lade_error(err, errno, "open directory '%s'", dname);
        int r = copy_children(s, d, rel, o, err);
        if (r < 0)
                return r;
        struct timespec ts[2] = { st->st_atim, st->st_mtim };
        if (fchown(d, uid, gid) < 0 || fchmod(d, mode) < 0 || futimens(d, ts) < 0)
                return lade_error(err, errno, "set the attributes of '%s'", dname);
        return 0;
}

static int copy_special(int sdir, const char *sname, const struct stat *st, int ddir, const char *dname,
                        const BuildCopyOptions *o, LadeError **err)
{
        uid_t uid;
        gid_t gid;
        mode_t mode;
        target_ids(o, st, &uid, &gid, &mode);
        int r = clear_target(ddir, dname, err);
        if (r < 0)
                return r;
        struct timespec ts[2] = { st->st_atim, st->st_mtim };
        if (S_ISLNK(st->st_mode)) {
                char target[LAYER_PATH_MAX];
                ssize_t n = readlinkat(sdir, sname, target, sizeof(target) - 1);
                if (n < 0)
                        return lade_error(err, errno, "read the symlink '%s'", sname);
                target[n] = '\0';
                if (symlinkat(target, ddir, dname) < 0)
                        return lade_error(err, errno, "create the symlink '%s'", dname);
        } else if (mknodat(ddir, dname, (st->st_mode & S_IFMT) | (mode & 07777), st->st_rdev) < 0) {
                return lade_error(err, errno, "create '%s'", dname);
        }
        if (fchownat(ddir, dname, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 ||
            utimensat(ddir, dname, ts, AT_SYMLINK_NOFOLLOW) < 0)
                return lade_error(err, errno, "set the attributes of '%s'", dname);
        if (!S_ISLNK(st->st_mode) && fchmodat(ddir, dname, mode, 0) < 0)
                return lade_error(err, errno, "set the mode of '%s'", dname);
        return 0;
}

static int copy_entry(int sdir, const char *sname, int ddir, const char *dname, const char *rel,
                      const BuildCopyOptions *o, LadeError **err)
{
        struct stat st;
        if (o->ctx && rel && o->ctx->ignore && dockerignore_matches(o->ctx->ignore, rel)) {
                /* an excluded directory is still walked when an exception may bring back
                 * something below it */
                if (fstatat(sdir, sname, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
                        return 0;
        }
        if (fstatat(sdir, sname, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return lade_error(err, errno, "stat '%s'", rel ? rel : sname);
        if (S_ISDIR(st.st_mode))
                return copy_dir(sdir, sname, &st, ddir, dname, rel, o, err);
        if (S_ISREG(st.st_mode)) {
                _cleanup_close_ int in = openat(sdir, sname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                if (in < 0)
                        return lade_error(err, errno, "open '%s'", rel ? rel : sname);
                return build_copy_file(in, &st, ddir, dname, o, err);
        }
        return copy_special(sdir, sname, &st, ddir, dname, o, err);
}

int build_copy_tree(int src_dirfd, const char *src_name, int dst_dirfd, const char *dst_name,
                    const BuildCopyOptions *o, LadeError **err)
{
        return copy_entry(src_dirfd, src_name, dst_dirfd, dst_name, o->ctx_path, o, err);
}

/* ---- digests of context sources ---- */

static int digest_tree(BuildContext *c, int dirfd, const char *name, const char *rel, Sha256 *h,
                       LadeError **err);

/* The content digest of regular file rel (dirfd/name, opened with flags), which had stat st: from
 * the context's stat memo when it recorded exactly that stat, else read (and recorded). */
static int content_digest(BuildContext *c, int dirfd, const char *name, int flags, const char *rel,
                          const struct stat *st, char content[static 72], LadeError **err)
{
        if (c->stats && build_stat_cache_get(c->stats, rel, st, content))
                return 0;
        /* the time before the read: a change after it shows in ctime, one just before is racy */
        int64_t t = build_realtime_ns();
        _cleanup_close_ int fd = openat(dirfd, name, flags | O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return lade_error(err, errno, "open '%s'", rel);
        struct stat fst;
        if (fstat(fd, &fst) < 0)
                return lade_error(err, errno, "stat '%s'", rel);
        int r = sha256_digest_fd(fd, content, err);
        if (r < 0)
                return r;
        if (c->stats && S_ISREG(fst.st_mode))
                build_stat_cache_put(c->stats, rel, &fst, content, t);
        return 0;
}

static int name_cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static int digest_children(BuildContext *c, int fd, const char *rel, Sha256 *h, LadeError **err)
{
        int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return lade_error(err, errno, "open '%s'", rel);
        _cleanup_closedir_ DIR *d = fdopendir(dfd);
        if (!d) {
                safe_close(dfd);
                return lade_error(err, errno, "read '%s'", rel);
        }
        /* sorted so the digest does not depend on the directory's order; grown by doubling and
         * sorted with qsort: a context directory may hold many thousand names */
        _cleanup_strv_free_ char **names = xmalloc0(sizeof(char *));
        size_t n = 0, alloc = 1;
        for (struct dirent *de; (de = readdir(d));) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (n + 1 >= alloc) {
                        alloc *= 2;
                        names = xreallocarray(names, alloc, sizeof(char *));
                }
                names[n++] = xstrdup(de->d_name);
                names[n] = NULL;
        }
        qsort(names, n, sizeof(char *), name_cmp);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *sub = streq(rel, ".") ? xstrdup(names[i])
                                                           : xasprintf("%s/%s", rel, names[i]);
                int r = digest_tree(c, dirfd(d), names[i], sub, h, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int digest_tree(BuildContext *c, int dirfd, const char *name, const char *rel, Sha256 *h,
                       LadeError **err)
{
        struct stat st;
        char content[72] = "", link[LAYER_PATH_MAX] = "";
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return lade_error(err, errno, "stat '%s'", rel);
        bool skip = c->ignore && dockerignore_matches(c->ignore, rel);
        if (skip && (!S_ISDIR(st.st_mode) || dockerignore_can_skip_dir(c->ignore, rel)))
                return 0;
        if (S_ISREG(st.st_mode)) {
                int r = content_digest(c, dirfd, name, O_NOFOLLOW, rel, &st, content, err);
                if (r < 0)
                        return r;
        } else if (S_ISLNK(st.st_mode)) {
                ssize_t n = readlinkat(dirfd, name, link, sizeof(link) - 1);
                if (n < 0)
                        return lade_error(err, errno, "read the symlink '%s'", rel);
                link[n] = '\0';
        }
        if (!skip)
                build_digest_add(h, rel, &st, content, link);
        if (!S_ISDIR(st.st_mode))
                return 0;
        _cleanup_close_ int fd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return lade_error(err, errno, "open '%s'", rel);
        return digest_children(c, fd, rel, h, err);
}

/* A top-level source: symlinks followed (inside the context), then the tree. */
static int digest_source(BuildContext *c, const char *rel, Sha256 *h, bool *ret_dir, LadeError **err)
{
        _cleanup_close_ int fd = build_context_open_path(c, rel, O_PATH, err);
        if (fd < 0)
                return fd;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return lade_error(err, errno, "stat '%s'", rel);
        *ret_dir = S_ISDIR(st.st_mode);
        if (S_ISDIR(st.st_mode))
                return digest_children(c, fd, rel, h, err);
        if (!S_ISREG(st.st_mode)) {
                build_digest_add(h, rel, &st, "", "");
                return 0;
        }
        char buf[32], content[72];
        int r = content_digest(c, AT_FDCWD, fs_fd_path(fd, buf), 0, rel, &st, content, err);
        if (r < 0)
                return r;
        build_digest_add(h, rel, &st, content, "");
        return 0;
}

/* ---- prepare: what the step is (for the cache) ---- */

static bool is_url(const char *s)
{
        return startswith(s, "http://") || startswith(s, "https://");
}

static int parse_chmod(const char *s, int64_t *ret, LadeError **err)
{
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 8);
        if (!*s || *end || errno || v > 07777)
                return lade_error_msg(err, EINVAL, "invalid chmod parameter: '%s'. it should be "
                                      "octal string and between 0 and 07777", s);
        *ret = (int64_t) v;
        return 0;
}

static int prepare_sources(Builder *b, BuildStage *s, BuildStep *st, Sha256 *h, const char **what,
                           LadeError **err)
{
        const DockerfileInstruction *i = st->i;
        size_t n_src = 0;
        bool single_dir = false;
        for (size_t k = 0; i->sources && i->sources[k]; k++) {
                _cleanup_free_ char *src = NULL;
                _cleanup_strv_free_ char **paths = NULL;
                int r = build_expand(b, s, i->sources[k], &src, err);
                if (r < 0)
                        return r;
                if (i->kind == DOCKERFILE_ADD && is_url(src)) {
                        st->urls = strv_append(st->urls, src);
                        build_digest_add(h, src, &(struct stat) { .st_mode = S_IFREG | 0600 },
                                         i->checksum ? i->checksum : "", "");
                        n_src++;
                        continue;
                }
                if (st->from_id) {
                        st->srcs = strv_append(st->srcs, src);
                        n_src++;
                        continue;
                }
                r = build_context_glob(b->ctx, src, &paths, err);
                if (r < 0)
                        return r;
                for (char **p = paths; *p; p++) {
                        r = digest_source(b->ctx, *p, h, &single_dir, err);
                        if (r < 0)
                                return r;
                        st->srcs = strv_append(st->srcs, *p);
                        n_src++;
                }
        }
        for (size_t k = 0; k < i->n_inline_sources; k++) {
                const DockerfileHeredoc *hd = &i->inline_sources[k];
                _cleanup_free_ char *body = NULL;
                if (hd->expand) {
                        BuildShellOptions so = { .escape = b->df->escape, .skip_process_quotes = true };
                        _cleanup_strv_free_ char **env = build_stage_env(s);
                        int r = build_shell_expand(&so, hd->content, build_env_strv_lookup, env, &body, err);
                        if (r < 0)
                                return r;
                } else {
                        body = xstrdup(hd->content);
                }
                st->inline_names = strv_append(st->inline_names, hd->name);
                st->inline_bodies = strv_append(st->inline_bodies, body);
                build_digest_add(h, hd->name, &(struct stat) { .st_mode = S_IFREG | 0644 }, body, "");
                n_src++;
        }
        *what = n_src == 1 && single_dir ? "dir" : n_src == 1 ? "file" : "multi";
        return 0;
}

int build_prepare_copy(Builder *b, BuildStage *s, BuildStep *st, LadeError **err)
{
        const DockerfileInstruction *i = st->i;
        _cleanup_(sha256_freep) Sha256 *h = sha256_new();
        const char *what = "file";
        int r;

        st->layer = true;
        st->mode = -1;
        r = build_expand(b, s, i->dest, &st->dest, err);
        if (r >= 0 && i->chown)
                r = build_expand(b, s, i->chown, &st->chown, err);
        if (r >= 0 && i->chmod) {
                _cleanup_free_ char *m = NULL;
                r = build_expand(b, s, i->chmod, &m, err);
                if (r >= 0)
                        r = parse_chmod(m, &st->mode, err);
        }
        if (r >= 0 && i->from)
                r = build_source_image(b, s, i->from, &st->from_id, err);
        if (r < 0)
                return r;
        r = prepare_sources(b, s, st, h, &what, err);
        if (r < 0)
                return r;
        if (st->from_id)
                sha256_update(h, st->from_id, strlen(st->from_id));
        sha256_final_string(h, st->content);
        const char *kw = i->kind == DOCKERFILE_ADD ? "ADD" : "COPY";
        _cleanup_free_ char *flags = xasprintf("chown=%s chmod=%lld from=%s", st->chown ? st->chown : "",
                                               (long long) st->mode, st->from_id ? st->from_id : "");
        st->created_by = build_created_by_copy(kw, what, st->content, st->dest);
        st->desc = xasprintf("%s %s", st->created_by, flags);
        return 0;
}

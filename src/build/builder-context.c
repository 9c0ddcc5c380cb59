/* The build context: a directory given by the caller, or a tar stream extracted into a temp dir
 * of the state root. Every path COPY/ADD name is looked up beneath it with
 * openat2(RESOLVE_BENEATH), so neither ".." nor a symlink can reach outside it (Docker's
 * "forbidden path outside the build context"); paths the ignore file excludes are invisible. */
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "builder-internal.h"
#include "fs-safe.h"
#include "layer.h"
#include "util.h"

#define IGNORE_FILE_MAX DOCKERIGNORE_SIZE_MAX

BuildContext *build_context_free(BuildContext *c)
{
        if (!c)
                return NULL;
        safe_close(c->dirfd);
        if (c->stats)
                (void) build_stat_cache_save(c->stats, NULL);
        build_stat_cache_free(c->stats);
        if (c->tmp)
                (void) rm_rf_at(AT_FDCWD, c->tmp);
        free(c->tmp);
        free(c->dir);
        dockerignore_free(c->ignore);
        free(c);
        return NULL;
}

static int extract_tar(int fd, const char *tmp_parent, BuildContext *c, LadeError **err)
{
        LayerUnpackOptions uo = { .whiteouts_as_files = true };
        LayerStats stats;
        int r = mkdir_p(tmp_parent, 0700);
        if (r < 0)
                return lade_error(err, -r, "create '%s'", tmp_parent);
        c->tmp = xasprintf("%s/context-XXXXXX", tmp_parent);
        if (!mkdtemp(c->tmp)) {
                r = lade_error(err, errno, "create a directory for the build context");
                free(c->tmp);
                c->tmp = NULL;
                return r;
        }
        r = layer_unpack_fd(fd, c->tmp, &uo, &stats, err);
        if (r < 0)
                return lade_error_wrap(err, "read the build context");
        c->dir = xstrdup(c->tmp);
        return 0;
}

static bool ctx_exists(const char *path, void *userdata)
{
        BuildContext *c = userdata;
        _cleanup_close_ int fd = build_context_open_path(c, path, O_PATH, NULL);
        return fd >= 0;
}

static int load_ignore(BuildContext *c, const char *dockerfile, LadeError **err)
{
        _cleanup_free_ char *name = dockerignore_file_for(dockerfile ? dockerfile : "Dockerfile",
                                                          ctx_exists, c);
        _cleanup_free_ char *data = NULL;
        size_t len;
        if (!ctx_exists(name, c))
                return 0;
        int r = build_context_read(c, name, IGNORE_FILE_MAX, &data, &len, err);
        if (r < 0)
                return r;
        r = dockerignore_parse(data, len, &c->ignore, err);
        if (r < 0)
                return lade_error_wrap(err, "read %s", name);
        return 0;
}

/* The memo is per context directory, named by its resolved path; none for an extracted tar
 * (new files every time). */
static void open_stats(BuildContext *c, const char *stats_dir)
{
        _cleanup_free_ char *real = realpath(c->dir, NULL);
        if (!real)
                return;
        _cleanup_free_ char *path = build_stat_cache_path(stats_dir, real);
        c->stats = build_stat_cache_new(path);
}

int build_context_open(const BuildOptions *o, const char *tmp_parent, const char *stats_dir,
                       BuildContext **ret, LadeError **err)
{
        _cleanup_(build_context_freep) BuildContext *c = xmalloc0(sizeof(*c));
        int r;

        c->dirfd = -EBADF;
        if (o->context_dir)
                c->dir = xstrdup(o->context_dir);
        else if (o->context_tar_fd >= 0 && (r = extract_tar(o->context_tar_fd, tmp_parent, c, err)) < 0)
                return r;
        if (!c->dir)
                return lade_error_msg(err, EINVAL, "no build context given");
        c->dirfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (c->dirfd < 0)
                return lade_error(err, errno, "unable to prepare context: path \"%s\" not found",
                                  c->dir);
        r = load_ignore(c, o->dockerfile_data ? NULL : o->dockerfile, err);
        if (r < 0)
                return r;
        if (!c->tmp && stats_dir)
                open_stats(c, stats_dir);
        *ret = TAKE_PTR(c);
        return 0;
}

/* Cleans a context path: "/a/../b" -> "b"; NULL when it climbs out of the root. */
static char *clean_rel(const char *path)
{
        _cleanup_free_ char *clean = dockerignore_clean_path(path);
        const char *p = clean;
        if (streq(p, "..") || startswith(p, "../"))
                return NULL;
        while (*p == '/')
                p++;
        return xstrdup(*p ? p : ".");
}

int build_context_open_path(BuildContext *c, const char *path, int flags, LadeError **err)
{
        _cleanup_free_ char *rel = clean_rel(path);
        if (!rel)
                return lade_error_msg(err, EXDEV, "forbidden path outside the build context: %s", path);
        struct open_how how = {
                .flags = (uint64_t) (flags | O_CLOEXEC),
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
        };
        int fd;
        do
                fd = (int) syscall(SYS_openat2, c->dirfd, rel, &how, sizeof(how));
        while (fd < 0 && errno == EAGAIN);
        if (fd < 0 && errno == EXDEV)
                return lade_error_msg(err, EXDEV, "forbidden path outside the build context: %s", path);
        if (fd < 0)
                return lade_error(err, errno, "open '%s' in the build context", path);
        return fd;
}

int build_context_read(BuildContext *c, const char *path, size_t max, char **ret, size_t *ret_len,
                       LadeError **err)
{
        _cleanup_close_ int fd = build_context_open_path(c, path, O_RDONLY, err);
        if (fd < 0)
                return fd;
        char buf[32];
        return read_file_at(AT_FDCWD, fs_fd_path(fd, buf), max, ret, ret_len, err);
}

static bool has_wildcard(const char *s)
{
        return strpbrk(s, "*?[") != NULL;
}

static bool excluded(BuildContext *c, const char *rel)
{
        return c->ignore && dockerignore_matches(c->ignore, rel);
}

static int strcmp_p(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Matches the components comps[k..] below directory rel, appending hits. */
static int glob_at(BuildContext *c, const char *rel, char **comps, size_t k, char ***out, size_t *n,
                   LadeError **err)
{
        if (!comps[k]) {
                if (*n >= BUILD_SOURCES_MAX)
                        return lade_error_msg(err, E2BIG, "too many source files");
                *out = strv_append(*out, rel);
                (*n)++;
                return 0;
        }
        _cleanup_close_ int fd = build_context_open_path(c, rel, O_RDONLY | O_DIRECTORY, NULL);
        if (fd < 0)
                return 0;
        _cleanup_closedir_ DIR *d = fdopendir(fd);
        if (!d)
                return lade_error(err, errno, "read '%s' in the build context", rel);
        TAKE_FD(fd);
        _cleanup_strv_free_ char **names = NULL;
        size_t nn = 0;
        for (struct dirent *de; (de = readdir(d));) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (fnmatch(comps[k], de->d_name, 0) == 0) {
                        names = strv_append(names, de->d_name);
                        nn++;
                }
        }
        if (nn > 1)
                qsort(names, nn, sizeof(char *), strcmp_p);
        for (size_t i = 0; i < nn; i++) {
                _cleanup_free_ char *sub = streq(rel, ".") ? xstrdup(names[i])
                                                           : xasprintf("%s/%s", rel, names[i]);
                if (excluded(c, sub))
                        continue;
                int r = glob_at(c, sub, comps, k + 1, out, n, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static char **split_path(const char *rel)
{
        char **v = NULL;
        _cleanup_free_ char *copy = xstrdup(rel);
        for (char *save = NULL, *t = strtok_r(copy, "/", &save); t; t = strtok_r(NULL, "/", &save))
                v = strv_append(v, t);
        return v ? v : xmalloc0(sizeof(char *));
}

static int not_found(const char *pattern, LadeError **err)
{
        return lade_error_msg(err, ENOENT, "failed to compute cache key: failed to calculate "
                              "checksum of ref: \"/%s\": not found", pattern);
}

int build_context_glob(BuildContext *c, const char *pattern, char ***ret, LadeError **err)
{
        _cleanup_free_ char *rel = clean_rel(pattern);
        _cleanup_strv_free_ char **out = NULL, **comps = NULL;
        size_t n = 0;

        if (!rel)
                return lade_error_msg(err, EXDEV, "forbidden path outside the build context: %s",
                                      pattern);
        if (!has_wildcard(rel)) {
                _cleanup_close_ int fd = build_context_open_path(c, rel, O_PATH, NULL);
                if (fd == -EXDEV)
                        return build_context_open_path(c, rel, O_PATH, err);
                if (fd < 0 || (!streq(rel, ".") && excluded(c, rel)))
                        return not_found(rel, err);
                *ret = strv_append(NULL, rel);
                return 0;
        }
        comps = split_path(rel);
        int r = glob_at(c, ".", comps, 0, &out, &n, err);
        if (r < 0)
                return r;
        if (n == 0)
                return not_found(rel, err);
        *ret = TAKE_PTR(out);
        return 0;
}

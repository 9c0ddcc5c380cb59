/* The container filesystem verbs: commit, diff, export, cp.
 *
 * `cp` is Docker's client side: the engine gives and takes tars rooted at one directory entry
 * (the archive API), and the path rules — trailing "/" and "/.", copy into a directory vs. to a
 * new name, "-" for tar streams, -L — are decided here as docker/cli and moby's
 * pkg/archive/copy.go decide them. Local trees are packed with layer_pack_at() under the name
 * they must get and extracted with layer_unpack_fd() (no entry leaves the directory); a copy to
 * a new local name is extracted into a temp dir beside it and renamed into place. */
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "containers.h"
#include "format.h"
#include "fs-safe.h"
#include "json-util.h"
#include "layer-pack.h"
#include "layer.h"
#include "util.h"

#define GO_MODE_DIR (1u << 31)
#define GO_MODE_SYMLINK (1u << 27)
#define GO_MODE_TYPE ((1u << 31) | (1u << 27) | (1u << 26) | (1u << 25) | (1u << 24) | (1u << 21) | (1u << 19))
#define CP_MAX_LINK_HOPS 10

/* A failure of the client side, printed as docker/cli prints its own errors. */
static int cp_fail(const char *fmt, ...) _printf_(1, 2);
static int cp_fail(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return 1;
}

static int parse_bool(const char *flag, const char *v, bool *ret)
{
        if (!v || streq(v, "true") || streq(v, "1") || streq(v, "t") || streq(v, "TRUE"))
                *ret = true;
        else if (streq(v, "false") || streq(v, "0") || streq(v, "f") || streq(v, "FALSE"))
                *ret = false;
        else
                return cli_usage("invalid argument \"%s\" for \"%s\" flag: strconv.ParseBool: parsing "
                                 "\"%s\": invalid syntax", v, flag, v);
        return 0;
}

/* ---- commit, diff, export ---- */

int cmd_commit(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = { { "author", required_argument, NULL, 'a' },
                                              { "change", required_argument, NULL, 'c' },
                                              { "message", required_argument, NULL, 'm' },
                                              { "pause", optional_argument, NULL, 'p' },
                                              { NULL, 0, NULL, 0 } };
        _cleanup_strv_free_ char **changes = NULL;
        CommitOptions co = { .pause = true };
        int o;
        while ((o = getopt_long(argc, argv, "a:c:m:p::", opts, NULL)) != -1) {
                if (o == 'a') co.author = optarg;
                else if (o == 'c') changes = strv_append(changes, optarg);
                else if (o == 'm') co.message = optarg;
                else if (o == 'p') {
                        const char *v = optarg && optarg[0] == '=' ? optarg + 1 : optarg;
                        if (parse_bool("-p, --pause", v, &co.pause) < 0)
                                return 125;
                } else return 125;
        }
        if (argc - optind < 1 || argc - optind > 2)
                return cli_usage("\"commit\" requires at least 1 and at most 2 arguments.");
        co.changes = changes;
        co.ref = argc - optind == 2 ? argv[optind + 1] : NULL;
        char id[72];
        LadeError *err = NULL;
        if (engine_container_commit(cli_engine(c), argv[optind], &co, id, &err) < 0)
                return cli_fail(err);
        printf("%s\n", id);
        return 0;
}

int cmd_diff(Cli *c, int argc, char **argv)
{
        static const char kinds[] = { 'C', 'A', 'D' };
        if (argc != 2)
                return cli_usage("\"diff\" requires exactly 1 argument.");
        ContainerChange *v = NULL;
        size_t n = 0;
        LadeError *err = NULL;
        if (engine_container_diff(cli_engine(c), argv[1], &v, &n, &err) < 0)
                return cli_fail(err);
        for (size_t i = 0; i < n; i++)
                printf("%c %s\n", kinds[v[i].kind], v[i].path);
        container_changes_free(v, n);
        return 0;
}

int cmd_export(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = { { "output", required_argument, NULL, 'o' }, { NULL, 0, NULL, 0 } };
        const char *out = NULL;
        int o;
        while ((o = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
                if (o != 'o')
                        return 125;
                out = optarg;
        }
        if (argc - optind != 1)
                return cli_usage("\"export\" requires exactly 1 argument.");
        if (!out && isatty(STDOUT_FILENO))
                return cp_fail("cowardly refusing to save to a terminal. Use the -o flag or redirect");
        _cleanup_free_ char *tmp = out ? xasprintf("%s.tmp-%d", out, (int) getpid()) : NULL;
        _cleanup_close_ int fd = out ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : dup(STDOUT_FILENO);
        if (fd < 0)
                return cp_fail("failed to export container: open %s: %m", out ? out : "stdout");
        LadeError *err = NULL;
        int r = engine_container_export(cli_engine(c), argv[optind], fd, &err);
        /* never leave a half-written archive under the requested name */
        if (out && r == 0 && rename(tmp, out) < 0)
                r = lade_error(&err, errno, "rename to '%s'", out);
        if (out && r < 0)
                (void) unlink(tmp);
        return r < 0 ? cli_fail(err) : 0;
}

/* ---- cp: paths ---- */

static bool asserts_directory(const char *p)
{
        size_t n = strlen(p);
        return (n > 0 && p[n - 1] == '/') || endswith(p, "/.") || streq(p, ".");
}

/* Go's filepath.Abs, keeping a trailing "/" or "/." (PreserveTrailingDotOrSeparator). */
static char *local_abs(const char *path)
{
        char cwd[PATH_MAX];
        _cleanup_free_ char *joined = path[0] == '/' ? xstrdup(path)
                                                     : xasprintf("%s/%s", getcwd(cwd, sizeof(cwd)) ?: "/", path);
        char *clean = fs_path_normalize(joined);
        if (!streq(clean, "/") && asserts_directory(path)) {
                char *t = xasprintf("%s%s", clean, endswith(path, "/.") || streq(path, ".") ? "/." : "/");
                free(clean);
                clean = t;
        }
        return clean;
}

/* SplitPathDirEntry: "/a/b" -> "/a" "b"; "/a/b/." -> "/a/b" "."; "/" -> "/" "/". */
static void split_dir_entry(const char *path, char **ret_dir, char **ret_base)
{
        _cleanup_free_ char *clean = fs_path_normalize(path[0] == '/' ? path : "/");
        if (endswith(path, "/.")) {
                *ret_dir = TAKE_PTR(clean);
                *ret_base = xstrdup(".");
                return;
        }
        const char *slash = strrchr(clean, '/');
        *ret_base = xstrdup(slash[1] ? slash + 1 : "/");
        *ret_dir = slash == clean ? xstrdup("/") : xstrndup(clean, (size_t) (slash - clean));
}

static char *base_of(const char *path)
{
        _cleanup_free_ char *dir = NULL;
        char *base = NULL;
        split_dir_entry(path, &dir, &base);
        return base;
}

/* An unnamed temp file for a tar on its way. */
static int cp_tmpfile(void)
{
        const char *d = getenv("TMPDIR");
        int fd = open(d && *d ? d : "/tmp", O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);
        if (fd >= 0)
                return fd;
        _cleanup_free_ char *p = xasprintf("%s/lade-cp-XXXXXX", d && *d ? d : "/tmp");
        fd = mkostemp(p, O_CLOEXEC);
        if (fd >= 0)
                (void) unlink(p);
        return fd < 0 ? -errno : fd;
}

static void cp_report(bool quiet, int fd, const char *to)
{
        struct stat st;
        if (quiet || !isatty(STDERR_FILENO) || fstat(fd, &st) < 0)
                return;
        _cleanup_free_ char *size = format_size(st.st_size);
        fprintf(stderr, "Successfully copied %s to %s\n", size, to);
}

typedef struct CpArgs {
        const char *ctr;
        bool follow, copy_uidgid, quiet;
} CpArgs;

static int engine_stat(Cli *c, const char *ctr, const char *path, json_t **ret, LadeError **err)
{
        return engine_container_archive_get(cli_engine(c), ctr, path, -1, ret, err);
}

static uint32_t stat_mode(json_t *st)
{
        return (uint32_t) json_integer_value(json_object_get(st, "mode"));
}

/* ---- cp: container -> local ---- */

/* CopyInfoDestinationPath: the local destination with its symlinks followed; it may be missing
 * when its parent is a directory. */
static int local_dest(const char *path, char **ret, bool *ret_exists, bool *ret_dir)
{
        _cleanup_free_ char *p = xstrdup(path);
        struct stat st;
        int hops = 0;
        while (lstat(p, &st) == 0 && S_ISLNK(st.st_mode)) {
                char target[PATH_MAX];
                ssize_t n = readlink(p, target, sizeof(target) - 1);
                if (n < 0 || ++hops > CP_MAX_LINK_HOPS)
                        return cp_fail("too many symlinks in %s", path);
                target[n] = '\0';
                _cleanup_free_ char *dir = NULL, *base = NULL;
                split_dir_entry(p, &dir, &base);
                char *t = target[0] == '/' ? xstrdup(target) : xasprintf("%s/%s", dir, target);
                free(p);
                p = t;
        }
        *ret_exists = lstat(p, &st) == 0;
        *ret_dir = *ret_exists && S_ISDIR(st.st_mode);
        if (!*ret_exists) {
                _cleanup_free_ char *dir = NULL, *base = NULL;
                split_dir_entry(p, &dir, &base);
                if (stat(dir, &st) < 0)
                        return cp_fail("stat %s: %m", dir);
                if (!S_ISDIR(st.st_mode))
                        return cp_fail("not a directory");
        }
        *ret = TAKE_PTR(p);
        return 0;
}

static int extract(int fd, const char *dir, LadeError **err)
{
        LayerUnpackOptions o = { .ignore_chown = true, .whiteouts_as_files = true,
                                 .no_overwrite_dir_non_dir = true };
        if (lseek(fd, 0, SEEK_SET) < 0)
                return lade_error(err, errno, "rewind");
        return layer_unpack_fd(fd, dir, &o, NULL, err);
}

/* The tar's top entry `from` lands as dir/to: extracted beside it, then renamed over. */
static int extract_renamed(int fd, const char *dir, const char *from, const char *to, LadeError **err)
{
        _cleanup_free_ char *tmp = xasprintf("%s/.lade-cp-XXXXXX", dir);
        if (!mkdtemp(tmp))
                return lade_error(err, errno, "create a temp dir in '%s'", dir);
        _cleanup_free_ char *src = streq(from, ".") ? xstrdup(tmp) : xasprintf("%s/%s", tmp, from);
        _cleanup_free_ char *dst = xasprintf("%s/%s", dir, to);
        int r = extract(fd, tmp, err);
        if (r >= 0 && rename(src, dst) < 0)
                r = lade_error(err, errno, "rename to '%s'", dst);
        (void) rm_rf_at(AT_FDCWD, tmp);
        return r;
}

/* GetRebaseName: a followed link keeps the name it was asked by. */
static char *rebase_name(const char *path, char **target)
{
        if (asserts_directory(path) && !asserts_directory(*target)) {
                char *t = xasprintf("%s%s", *target, endswith(path, "/.") ? "/." : "/");
                free(*target);
                *target = t;
        }
        _cleanup_free_ char *a = base_of(path), *b = base_of(*target);
        return streq(a, b) ? NULL : TAKE_PTR(a);
}

static int cp_from(Cli *c, const CpArgs *a, const char *src_in, const char *dst_in)
{
        _cleanup_free_ char *src = xstrdup(src_in), *rebase = NULL;
        _cleanup_json_ json_t *st = NULL;
        LadeError *err = NULL;
        if (a->follow && engine_stat(c, a->ctr, src, &st, NULL) == 0 && (stat_mode(st) & GO_MODE_SYMLINK)) {
                _cleanup_free_ char *target = xstrdup(json_string_value(json_object_get(st, "linkTarget")));
                rebase = rebase_name(src, &target);
                free(src);
                src = TAKE_PTR(target);
        }
        st = json_decref_null(st);
        if (streq(dst_in, "-")) {
                if (engine_container_archive_get(cli_engine(c), a->ctr, src, STDOUT_FILENO, NULL, &err) < 0)
                        return cli_fail(err);
                return 0;
        }
        _cleanup_free_ char *dst = local_abs(dst_in), *dst_dir = NULL, *dst_base = NULL, *resolved = NULL;
        split_dir_entry(dst, &dst_dir, &dst_base);
        struct stat lst;
        if (stat(dst_dir, &lst) < 0)
                return cp_fail("invalid output path: directory \"%s\" does not exist", dst_dir);
        if (stat(dst, &lst) == 0 && !S_ISDIR(lst.st_mode) && !S_ISREG(lst.st_mode))
                return cp_fail("invalid output path: \"%s\" must be a directory or a regular file", dst);
        _cleanup_close_ int fd = cp_tmpfile();
        if (fd < 0)
                return cp_fail("create a temp file: %s", strerror(-fd));
        if (engine_container_archive_get(cli_engine(c), a->ctr, src, fd, &st, &err) < 0)
                return cli_fail(err);
        bool src_dir = stat_mode(st) & GO_MODE_DIR, exists, is_dir;
        const char *name = json_string_value(json_object_get(st, "name"));
        /* the engine names the archive's top entry as asked: the root is "." */
        const char *from = !name || streq(name, "/") ? "." : name;
        if (local_dest(dst, &resolved, &exists, &is_dir) != 0)
                return 1;
        int r;
        _cleanup_free_ char *rdir = NULL, *rbase = NULL;
        split_dir_entry(resolved, &rdir, &rbase);
        if (exists && is_dir)
                r = rebase && !streq(from, ".") ? extract_renamed(fd, resolved, from, rebase, &err)
                                                : extract(fd, resolved, &err);
        else if (exists && src_dir)
                return cp_fail("cannot copy directory");
        else if (!exists && !src_dir && asserts_directory(dst))
                return cp_fail("no such directory");
        else
                r = extract_renamed(fd, rdir, from, rbase, &err);
        if (r < 0)
                return cli_fail(err);
        cp_report(a->quiet, fd, dst);
        return 0;
}

/* ---- cp: local -> container ---- */

/* ResolveHostSourcePath: the parent's symlinks followed (all of them with -L). */
static int local_source(const char *path, bool follow, char **ret, char **ret_rebase)
{
        char buf[PATH_MAX];
        *ret_rebase = NULL;
        if (follow) {
                if (!realpath(path, buf))
                        return cp_fail("lstat %s: %m", path);
                _cleanup_free_ char *target = xstrdup(buf);
                *ret_rebase = rebase_name(path, &target);
                *ret = TAKE_PTR(target);
                return 0;
        }
        _cleanup_free_ char *dir = NULL, *base = NULL;
        split_dir_entry(path, &dir, &base);
        if (!realpath(dir, buf))
                return cp_fail("lstat %s: %m", dir);
        if (streq(base, "/"))
                *ret = xstrdup("/");
        else if (streq(base, "."))
                *ret = xasprintf("%s%s.", buf, streq(buf, "/") ? "" : "/");
        else
                *ret = xasprintf("%s%s%s%s", buf, streq(buf, "/") ? "" : "/", base,
                                 asserts_directory(path) ? "/" : "");
        return 0;
}

/* The tar of the local source, its top entry named as_name. */
static int pack_local(const char *src, const char *as_name, int out, LadeError **err)
{
        _cleanup_free_ char *dir = NULL, *base = NULL;
        split_dir_entry(src, &dir, &base);
        bool self = streq(base, ".") || streq(base, "/");
        _cleanup_close_ int dfd = open(self ? (streq(base, "/") ? "/" : dir) : dir,
                                       O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return lade_error(err, errno, "open '%s'", dir);
        int r = layer_pack_at(dfd, self ? "." : base, as_name, NULL, out, NULL, err);
        if (r >= 0 && lseek(out, 0, SEEK_SET) < 0)
                r = lade_error(err, errno, "rewind");
        return r;
}

/* The destination in the container: followed once if it is a symlink; *ret_st NULL when it does
 * not exist. */
static int container_dest(Cli *c, const CpArgs *a, const char *dst, char **ret, json_t **ret_st)
{
        _cleanup_free_ char *p = xstrdup(dst);
        _cleanup_json_ json_t *st = NULL;
        LadeError *err = NULL;
        int r = engine_stat(c, a->ctr, p, &st, &err);
        if (r == 0 && (stat_mode(st) & GO_MODE_SYMLINK)) {
                free(p);
                p = xstrdup(json_string_value(json_object_get(st, "linkTarget")));
                st = json_decref_null(st);
                lade_error_free(TAKE_PTR(err));
                r = engine_stat(c, a->ctr, p, &st, &err);
        }
        if (r < 0 && r != -ENOENT)
                return cli_fail(err);
        lade_error_free(err);
        if (st && (stat_mode(st) & GO_MODE_TYPE) && !(stat_mode(st) & GO_MODE_DIR))
                return cp_fail("destination \"%s:%s\" must be a directory or a regular file", a->ctr, dst);
        *ret = TAKE_PTR(p);
        *ret_st = TAKE_PTR(st);
        return 0;
}

static int cp_put(Cli *c, const CpArgs *a, const char *dir, int fd, const char *shown)
{
        LadeError *err = NULL;
        if (engine_container_archive_put(cli_engine(c), a->ctr, dir, fd, true, a->copy_uidgid, &err) < 0)
                return cli_fail(err);
        _cleanup_free_ char *to = xasprintf("%s:%s", a->ctr, shown);
        cp_report(a->quiet, fd, to);
        return 0;
}

static int cp_to(Cli *c, const CpArgs *a, const char *src_in, const char *dst_in)
{
        _cleanup_free_ char *dst = NULL, *src = NULL, *rebase = NULL, *abs = NULL;
        _cleanup_json_ json_t *st = NULL;
        if (container_dest(c, a, dst_in, &dst, &st) != 0)
                return 1;
        bool exists = st != NULL, is_dir = exists && (stat_mode(st) & GO_MODE_DIR);
        if (streq(src_in, "-")) {
                if (!is_dir)
                        return cp_fail("destination \"%s:%s\" must be a directory", a->ctr, dst_in);
                return cp_put(c, a, dst, STDIN_FILENO, dst);
        }
        abs = local_abs(src_in);
        if (local_source(abs, a->follow, &src, &rebase) != 0)
                return 1;
        struct stat lst;
        _cleanup_free_ char *src_dir = NULL, *src_base = NULL, *dst_dir = NULL, *dst_base = NULL;
        if (lstat(src, &lst) < 0)
                return cp_fail("lstat %s: %m", src);
        split_dir_entry(src, &src_dir, &src_base);
        split_dir_entry(dst, &dst_dir, &dst_base);
        const char *into = dst_dir, *as_name = dst_base;
        if (exists && is_dir) {
                into = dst;
                as_name = rebase ? rebase : streq(src_base, "/") ? "." : src_base;
        } else if (exists && S_ISDIR(lst.st_mode))
                return cp_fail("cannot copy directory");
        else if (!exists && !S_ISDIR(lst.st_mode) && asserts_directory(dst_in))
                return cp_fail("no such directory");
        LadeError *err = NULL;
        _cleanup_close_ int fd = cp_tmpfile();
        if (fd < 0)
                return cp_fail("create a temp file: %s", strerror(-fd));
        if (pack_local(src, as_name, fd, &err) < 0)
                return cli_fail(err);
        return cp_put(c, a, into, fd, dst);
}

/* splitCpArg: "ctr:path", unless the argument is an absolute or ./ local path. */
static void split_cp_arg(const char *arg, char **ret_ctr, const char **ret_path)
{
        const char *colon = strchr(arg, ':');
        *ret_ctr = NULL;
        *ret_path = arg;
        if (arg[0] == '/' || !colon || arg[0] == '.')
                return;
        *ret_ctr = xstrndup(arg, (size_t) (colon - arg));
        *ret_path = colon + 1;
}

int cmd_cp(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = { { "archive", no_argument, NULL, 'a' },
                                              { "follow-link", no_argument, NULL, 'L' },
                                              { "quiet", no_argument, NULL, 'q' },
                                              { NULL, 0, NULL, 0 } };
        CpArgs a = { 0 };
        int o;
        while ((o = getopt_long(argc, argv, "aLq", opts, NULL)) != -1) {
                if (o == 'a') a.copy_uidgid = true;
                else if (o == 'L') a.follow = true;
                else if (o == 'q') a.quiet = true;
                else return 125;
        }
        if (argc - optind != 2)
                return cli_usage("\"cp\" requires exactly 2 arguments.");
        _cleanup_free_ char *src_ctr = NULL, *dst_ctr = NULL;
        const char *src, *dst;
        split_cp_arg(argv[optind], &src_ctr, &src);
        split_cp_arg(argv[optind + 1], &dst_ctr, &dst);
        if (!*argv[optind])
                return cp_fail("source can not be empty");
        if (!*argv[optind + 1])
                return cp_fail("destination can not be empty");
        if (src_ctr && dst_ctr)
                return cp_fail("copying between containers is not supported");
        if (!src_ctr && !dst_ctr)
                return cp_fail("must specify at least one container source");
        a.ctr = src_ctr ? src_ctr : dst_ctr;
        if (src_ctr)
                return cp_from(c, &a, *src ? src : "/", dst);
        return cp_to(c, &a, src, *dst ? dst : "/");
}

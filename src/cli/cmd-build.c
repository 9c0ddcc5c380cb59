/* lade build: docker build's flags over build_run(); the progress on stderr (cmd-build-progress.c:
 * BuildKit's plain lines, or a live view on a terminal); -q prints only the image id on stdout.
 * LADE_BUILD_PARALLEL=N caps the stages built at once (1: one after the other). */
#include <fcntl.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build.h"
#include "cli.h"
#include "cmd-build-progress.h"
#include "util.h"

typedef struct BuildFlags {
        BuildOptions o;
        char **tags, **args, **labels, **secrets;
        const char *file, *iidfile, *progress;
        bool quiet;
} BuildFlags;

/* --build-arg KEY alone takes KEY's value from the environment (or is dropped), as docker does. */
static char **add_build_arg(char **v, const char *arg)
{
        if (strchr(arg, '='))
                return strv_append(v, arg);
        const char *env = getenv(arg);
        if (!env)
                return v;
        _cleanup_free_ char *kv = xasprintf("%s=%s", arg, env);
        return strv_append(v, kv);
}

static int parse_flags(BuildFlags *f, int argc, char **argv)
{
        enum { O_ARG = 256, O_TARGET, O_NOCACHE, O_PULL, O_LABEL, O_IID, O_PLATFORM, O_PROGRESS, O_SECRET, O_NETWORK };
        static const struct option opts[] = {
                { "tag", required_argument, NULL, 't' }, { "file", required_argument, NULL, 'f' },
                { "build-arg", required_argument, NULL, O_ARG }, { "target", required_argument, NULL, O_TARGET },
                { "no-cache", no_argument, NULL, O_NOCACHE }, { "pull", no_argument, NULL, O_PULL },
                { "label", required_argument, NULL, O_LABEL }, { "iidfile", required_argument, NULL, O_IID },
                { "platform", required_argument, NULL, O_PLATFORM }, { "quiet", no_argument, NULL, 'q' },
                { "progress", required_argument, NULL, O_PROGRESS }, { "secret", required_argument, NULL, O_SECRET },
                { "network", required_argument, NULL, O_NETWORK },
                { NULL, 0, NULL, 0 },
        };
        int o;
        while ((o = getopt_long(argc, argv, "t:f:q", opts, NULL)) != -1) {
                switch (o) {
                case 't': f->tags = strv_append(f->tags, optarg); break;
                case 'f': f->file = optarg; break;
                case 'q': f->quiet = true; break;
                case O_ARG: f->args = add_build_arg(f->args, optarg); break;
                case O_TARGET: f->o.target = optarg; break;
                case O_NOCACHE: f->o.no_cache = true; break;
                case O_PULL: f->o.pull = true; break;
                case O_LABEL: f->labels = strv_append(f->labels, optarg); break;
                case O_IID: f->iidfile = optarg; break;
                case O_PLATFORM: f->o.platform = optarg; break;
                case O_PROGRESS: f->progress = optarg; break;
                case O_SECRET: f->secrets = strv_append(f->secrets, optarg); break;
                case O_NETWORK: f->o.network = optarg; break;
                default: return -1;
                }
        }
        if (f->progress && !streq(f->progress, "auto") && !streq(f->progress, "plain") &&
            !streq(f->progress, "tty") && !streq(f->progress, "quiet") && !streq(f->progress, "rawjson"))
                return cli_usage("invalid progress mode \"%s\": expected auto, plain, tty or quiet", f->progress), -1;
        const char *net = f->o.network;
        if (net && !streq(net, "default") && !streq(net, "none") && !streq(net, "host")) {
                fprintf(stderr, "ERROR: network mode \"%s\" not supported by buildkit\n", net);
                return -1;
        }
        if (net && streq(net, "default"))
                f->o.network = NULL;
        return 0;
}

/* SOURCE_DATE_EPOCH from the environment or a build arg (BuildKit's). */
static int64_t source_date_epoch(char **args)
{
        const char *v = getenv("SOURCE_DATE_EPOCH");
        for (char **a = args; a && *a; a++)
                if (startswith(*a, "SOURCE_DATE_EPOCH="))
                        v = *a + strlen("SOURCE_DATE_EPOCH=");
        int64_t e;
        return v && *v && parse_int64(v, &e) == 0 && e >= 0 ? e : -1;
}

static int read_stream(int fd, char **ret, size_t *ret_len)
{
        LadeError *err = NULL;
        char path[32];
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        int r = read_file_at(AT_FDCWD, path, 10u << 20, ret, ret_len, &err);
        if (r < 0)
                fprintf(stderr, "ERROR: failed to read dockerfile: %s\n", lade_error_message(err));
        lade_error_free(err);
        return r;
}

/* A tar, or a compressed stream (gzip, bzip2, xz, zstd), by its first bytes — what the docker
 * CLI takes as a context on stdin. */
static bool looks_like_archive(const unsigned char *b, size_t n)
{
        return (n >= 2 && b[0] == 0x1f && b[1] == 0x8b) || (n >= 3 && memcmp(b, "BZh", 3) == 0) ||
               (n >= 6 && memcmp(b, "\xfd" "7zXZ\0", 6) == 0) ||
               (n >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd) ||
               (n >= 262 && memcmp(b + 257, "ustar", 5) == 0);
}

/* The context on stdin, its first n bytes read already into head: the whole stream as an fd. A
 * file is rewound; a pipe gets a child that writes head, then copies the rest. */
static int stdin_again(const unsigned char *head, size_t n)
{
        if (lseek(STDIN_FILENO, 0, SEEK_SET) == 0)
                return dup(STDIN_FILENO);
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        pid_t pid = fork();
        if (pid < 0) {
                int r = -errno;
                close(p[0]);
                close(p[1]);
                return r;
        }
        if (pid == 0) {
                close(p[0]);
                /* a grandchild does the copy: nobody has to reap it */
                if (fork() != 0)
                        _exit(0);
                char buf[65536];
                ssize_t k;
                if (write_all(p[1], head, n) < 0)
                        _exit(1);
                while ((k = read(STDIN_FILENO, buf, sizeof(buf))) > 0)
                        if (write_all(p[1], buf, (size_t) k) < 0)
                                _exit(1);
                _exit(k < 0);
        }
        close(p[1]);
        (void) waitpid(pid, NULL, 0);
        return p[0];
}

static int setup_sources(BuildFlags *f, const char *context, char **data, int *tar_fd, char *empty_dir)
{
        size_t len = 0;
        if (streq(context, "-")) {
                if (f->file && streq(f->file, "-"))
                        return cli_usage("invalid argument: can't use stdin for both build context and dockerfile"), -1;
                unsigned char head[512];
                size_t n = 0;
                ssize_t k;
                while (n < sizeof(head) && (k = read(STDIN_FILENO, head + n, sizeof(head) - n)) != 0) {
                        if (k < 0 && errno == EINTR)
                                continue;
                        if (k < 0) {
                                fprintf(stderr, "ERROR: failed to read the build context from stdin: %m\n");
                                return -1;
                        }
                        n += (size_t) k;
                }
                if (looks_like_archive(head, n)) {
                        *tar_fd = stdin_again(head, n);
                        if (*tar_fd < 0) {
                                fprintf(stderr, "ERROR: failed to read the build context from stdin: %s\n",
                                        strerror(-*tar_fd));
                                return -1;
                        }
                        f->o.context_tar_fd = *tar_fd;
                        f->o.dockerfile = f->file ? f->file : "Dockerfile";
                        return 0;
                }
                /* `docker build - < Dockerfile`: a Dockerfile and no context (an empty dir) */
                _cleanup_free_ char *rest = NULL;
                /* (read_stream opens /proc/self/fd/0 again: a file from its start, a pipe where
                 * we are) */
                bool file = lseek(STDIN_FILENO, 0, SEEK_CUR) >= 0;
                if (read_stream(STDIN_FILENO, &rest, &len) < 0)
                        return -1;
                if (file)
                        n = 0;
                *data = xmalloc(n + len + 1);
                memcpy(*data, head, n);
                memcpy(*data + n, rest, len);
                (*data)[n + len] = 0;
                const char *tmp = getenv("TMPDIR");
                snprintf(empty_dir, 256, "%s/lade-build-context.XXXXXX", tmp && *tmp ? tmp : "/tmp");
                if (!mkdtemp(empty_dir)) {
                        fprintf(stderr, "ERROR: failed to make an empty build context: %m\n");
                        empty_dir[0] = 0;
                        return -1;
                }
                f->o.context_dir = empty_dir;
                f->o.dockerfile_data = *data;
                f->o.dockerfile_len = n + len;
                f->o.dockerfile = "Dockerfile";
                return 0;
        }
        f->o.context_dir = context;
        if (!f->file) {
                f->o.dockerfile = "Dockerfile";
                return 0;
        }
        _cleanup_close_ int fd = streq(f->file, "-") ? dup(STDIN_FILENO) : open(f->file, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                fprintf(stderr, "ERROR: failed to read dockerfile: open %s: %m\n", f->file);
                return -1;
        }
        if (read_stream(fd, data, &len) < 0)
                return -1;
        f->o.dockerfile_data = *data;
        f->o.dockerfile_len = len;
        f->o.dockerfile = streq(f->file, "-") ? "Dockerfile" : f->file;
        return 0;
}

static void empty_dir_remove(char (*dir)[256])
{
        if ((*dir)[0])
                (void) rmdir(*dir);
}

static void flags_done(BuildFlags *f)
{
        strv_free(f->tags);
        strv_free(f->args);
        strv_free(f->labels);
        strv_free(f->secrets);
}

int cmd_build(Cli *c, int argc, char **argv)
{
        _cleanup_(flags_done) BuildFlags f = { .o = BUILD_OPTIONS_INIT };
        _cleanup_free_ char *data = NULL;
        _cleanup_close_ int tar_fd = -EBADF;
        _cleanup_(empty_dir_remove) char empty_dir[256] = "";
        if (parse_flags(&f, argc, argv) < 0)
                return 125;
        if (argc - optind != 1)
                return cli_usage("\"build\" requires exactly 1 argument.");
        if (setup_sources(&f, argv[optind], &data, &tar_fd, empty_dir) < 0)
                return 1;
        bool quiet = f.quiet || (f.progress && streq(f.progress, "quiet"));
        const char *mode = f.progress ? f.progress : getenv("BUILDKIT_PROGRESS");
        f.o.tags = f.tags;
        f.o.build_args = f.args;
        f.o.labels = f.labels;
        f.o.secrets = f.secrets;
        f.o.source_date_epoch = source_date_epoch(f.args);
        const char *par = getenv("LADE_BUILD_PARALLEL");
        int64_t n;
        if (par && parse_int64(par, &n) == 0 && n > 0 && n < 1024)
                f.o.parallel = (unsigned) n;
        _cleanup_(build_progress_freep) BuildProgress *p =
                build_progress_new(quiet ? BUILD_PROGRESS_QUIET : build_progress_mode(mode, stderr), stderr, &f.o);
        char id[72];
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        int r = build_run(cli_engine(c), &f.o, id, &err);
        build_progress_finish(p, r < 0 ? NULL : id, f.tags, r < 0 ? err : NULL);
        if (r < 0)
                return 1;
        if (f.iidfile) {
                LadeError *e2 = NULL;
                if (write_file_atomic_at(AT_FDCWD, f.iidfile, id, strlen(id), 0644, &e2) < 0)
                        return cli_fail(e2);
        }
        if (quiet)
                printf("%s\n", id);
        return 0;
}

int cmd_builder_prune(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = { { "all", no_argument, NULL, 'a' }, { "force", no_argument, NULL, 'f' },
                                              { NULL, 0, NULL, 0 } };
        bool all = false;
        int o;
        while ((o = getopt_long(argc, argv, "af", opts, NULL)) != -1) {
                if (o == 'a')
                        all = true;
                else if (o != 'f')
                        return 125;
        }
        uint64_t rows = 0;
        LadeError *err = NULL;
        if (build_cache_prune(cli_engine(c), all, &rows, &err) < 0)
                return cli_fail(err);
        printf("Total reclaimed space: %llu cache entries\n", (unsigned long long) rows);
        return 0;
}

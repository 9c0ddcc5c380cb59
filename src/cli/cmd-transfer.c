/* pull, push, login, logout, save, load, import. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "format.h"
#include "util.h"

/* Progress: one line per blob. On a terminal each line is redrawn in place (at most every
 * 100 ms per blob) with a bar, as docker does; otherwise only the final state is printed. */
#define PROGRESS_MAX 256
static struct {
        char ids[PROGRESS_MAX][16];
        uint64_t last_ns[PROGRESS_MAX];
        int n;
        bool tty;
} prog;

static int progress_slot(const char *shortid)
{
        for (int i = 0; i < prog.n; i++)
                if (streq(prog.ids[i], shortid))
                        return i;
        if (prog.n == PROGRESS_MAX)
                return -1;
        snprintf(prog.ids[prog.n], sizeof(prog.ids[0]), "%s", shortid);
        printf("%s: Waiting\n", shortid);
        return prog.n++;
}

static void progress_bar(char *buf, size_t len, int64_t cur, int64_t total)
{
        _cleanup_free_ char *c = format_size(cur), *t = total > 0 ? format_size(total) : xstrdup("?");
        int width = 40, fill = total > 0 ? (int) (width * (double) cur / (double) total) : 0;
        char bar[64];
        for (int i = 0; i < width; i++)
                bar[i] = i < fill ? '=' : i == fill ? '>' : ' ';
        bar[width] = '\0';
        snprintf(buf, len, "[%s]  %s/%s", bar, c, t);
}

static void progress_lines(void *ud, const char *id, const char *action, int64_t cur, int64_t total, bool done)
{
        if (!id)
                return;
        char shortid[16];
        snprintf(shortid, sizeof(shortid), "%.12s", startswith(id, "sha256:") ? id + 7 : id);
        if (!prog.tty) {
                if (done)
                        printf("%s: %s\n", shortid, action);
                return;
        }
        int slot = progress_slot(shortid);
        uint64_t now = now_ns();
        if (slot < 0 || (!done && now - prog.last_ns[slot] < 100000000ULL))
                return;
        prog.last_ns[slot] = now;
        char bar[160] = "";
        if (!done && cur >= 0)
                progress_bar(bar, sizeof(bar), cur, total);
        int up = prog.n - slot;
        printf("\033[%dA\r\033[2K%s: %s %s\033[%dB\r", up, shortid, action, bar, up);
        fflush(stdout);
}

int cmd_pull(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = { { "quiet", no_argument, NULL, 'q' }, { "platform", required_argument, NULL, 'p' },
                                              { "all-tags", no_argument, NULL, 'a' }, { NULL, 0, NULL, 0 } };
        bool quiet = false;
        const char *platform = NULL;
        int o;
        while ((o = getopt_long(argc, argv, "qa", opts, NULL)) != -1) {
                if (o == 'q') quiet = true;
                else if (o == 'p') platform = optarg;
                else if (o == 'a') return cli_usage("--all-tags is not supported yet");
                else return 125;
        }
        if (optind + 1 != argc)
                return cli_usage("\"pull\" requires exactly 1 argument.");
        LadeError *err = NULL;
        _cleanup_(image_ref_freep) ImageRef *ref = NULL;
        if (image_ref_parse(argv[optind], &ref, &err) < 0)
                return cli_fail(err);
        _cleanup_(image_ref_freep) ImageRef *bare = NULL;
        if (!quiet && image_ref_parse_no_default_tag(argv[optind], &bare, NULL) == 0 && !bare->tag && !bare->digest)
                printf("Using default tag: latest\n");
        if (!quiet) {
                c->opts.progress = progress_lines;
                prog.tty = isatty(STDOUT_FILENO);
                printf("%s: Pulling from %s\n", ref->tag ? ref->tag : ref->digest, ref->path);
        }
        char id[72];
        _cleanup_(image_info_freep) ImageInfo *before = NULL;
        (void) image_store_resolve(engine_images(cli_engine(c)), argv[optind], &before, NULL);
        if (engine_image_pull(cli_engine(c), argv[optind], platform, id, &err) < 0)
                return cli_fail(err);
        _cleanup_free_ char *full = image_ref_string(ref), *familiar = image_ref_familiar(ref);
        _cleanup_(image_info_freep) ImageInfo *after = NULL;
        if (!quiet && image_store_resolve(engine_images(cli_engine(c)), argv[optind], &after, NULL) == 0) {
                const char *d = after->repo_digests && after->repo_digests[0] ? strchr(after->repo_digests[0], '@') : NULL;
                if (d)
                        printf("Digest: %s\n", d + 1);
        }
        if (!quiet && before && streq(before->id, id))
                printf("Status: Image is up to date for %s\n", familiar);
        else if (!quiet)
                printf("Status: Downloaded newer image for %s\n", familiar);
        printf("%s\n", full);
        return 0;
}

int cmd_push(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = { { "quiet", no_argument, NULL, 'q' }, { NULL, 0, NULL, 0 } };
        bool quiet = false;
        int o;
        while ((o = getopt_long(argc, argv, "q", opts, NULL)) != -1) {
                if (o != 'q')
                        return 125;
                quiet = true;
        }
        if (optind + 1 != argc)
                return cli_usage("\"push\" requires exactly 1 argument.");
        if (!quiet) {
                c->opts.progress = progress_lines;
                prog.tty = isatty(STDOUT_FILENO);
        }
        LadeError *err = NULL;
        if (engine_image_push(cli_engine(c), argv[optind], &err) < 0)
                return cli_fail(err);
        return 0;
}

static char *read_password(bool from_stdin)
{
        char buf[4096];
        if (!from_stdin) {
                fprintf(stderr, "Password: ");
                struct termios t, saved;
                bool tty = tcgetattr(STDIN_FILENO, &t) == 0;
                saved = t;
                if (tty) {
                        t.c_lflag &= ~(tcflag_t) ECHO;
                        (void) tcsetattr(STDIN_FILENO, TCSANOW, &t);
                }
                char *ok = fgets(buf, sizeof(buf), stdin);
                if (tty)
                        (void) tcsetattr(STDIN_FILENO, TCSANOW, &saved);
                fprintf(stderr, "\n");
                if (!ok)
                        return NULL;
        } else if (!fgets(buf, sizeof(buf), stdin))
                return NULL;
        buf[strcspn(buf, "\r\n")] = '\0';
        return xstrdup(buf);
}

int cmd_login(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = { { "username", required_argument, NULL, 'u' },
                                              { "password", required_argument, NULL, 'p' },
                                              { "password-stdin", no_argument, NULL, 'S' }, { NULL, 0, NULL, 0 } };
        const char *user = NULL, *pass = NULL;
        bool pstdin = false;
        int o;
        while ((o = getopt_long(argc, argv, "u:p:", opts, NULL)) != -1) {
                if (o == 'u') user = optarg;
                else if (o == 'p') pass = optarg;
                else if (o == 'S') pstdin = true;
                else return 125;
        }
        if (argc - optind > 1)
                return cli_usage("\"login\" requires at most 1 argument.");
        if (pass && pstdin)
                return cli_usage("--password and --password-stdin are mutually exclusive");
        if (!user)
                return cli_usage("--username is required (interactive prompts are not supported yet)");
        if (pass)
                fprintf(stderr, "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
        _cleanup_free_ char *pw = pass ? xstrdup(pass) : read_password(pstdin);
        if (!pw)
                return cli_usage("no password given");
        LadeError *err = NULL;
        if (engine_login(cli_engine(c), optind < argc ? argv[optind] : NULL, user, pw, &err) < 0)
                return cli_fail(err);
        printf("Login Succeeded\n");
        return 0;
}

int cmd_logout(Cli *c, int argc, char **argv)
{
        if (argc > 2)
                return cli_usage("\"logout\" requires at most 1 argument.");
        LadeError *err = NULL;
        const char *server = argc == 2 ? argv[1] : NULL;
        int r = engine_logout(cli_engine(c), server, &err);
        if (r == -ENOENT) {
                /* as docker: not being logged in is a notice, not an error */
                printf("Not logged in to %s\n", server ? server : "https://index.docker.io/v1/");
                lade_error_free(err);
                return 0;
        }
        if (r < 0)
                return cli_fail(err);
        printf("Removing login credentials for %s\n", server ? server : "https://index.docker.io/v1/");
        return 0;
}

int cmd_save(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = { { "output", required_argument, NULL, 'o' }, { NULL, 0, NULL, 0 } };
        const char *out = NULL;
        int o;
        while ((o = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
                if (o != 'o')
                        return 125;
                out = optarg;
        }
        if (optind >= argc)
                return cli_usage("\"save\" requires at least 1 argument.");
        if (!out && isatty(STDOUT_FILENO))
                return cli_usage("cowardly refusing to save to a terminal. Use the -o flag or redirect");
        _cleanup_free_ char *tmp = out ? xasprintf("%s.tmp-%d", out, (int) getpid()) : NULL;
        _cleanup_close_ int fd = out ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : dup(STDOUT_FILENO);
        if (fd < 0)
                return cli_usage("open %s: %m", out ? out : "stdout");
        LadeError *err = NULL;
        int r = engine_image_save(cli_engine(c), argv + optind, fd, &err);
        /* never leave a half-written archive under the requested name */
        if (out && r == 0 && rename(tmp, out) < 0)
                r = lade_error(&err, errno, "rename to '%s'", out);
        if (out && r < 0)
                (void) unlink(tmp);
        return r < 0 ? cli_fail(err) : 0;
}

static void print_loaded(void *ud, const char *ref, const char *id)
{
        if (ref)
                printf("Loaded image: %s\n", ref);
        else
                printf("Loaded image ID: %s\n", id);
}

int cmd_load(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = { { "input", required_argument, NULL, 'i' }, { "quiet", no_argument, NULL, 'q' },
                                              { NULL, 0, NULL, 0 } };
        const char *in = NULL;
        int o;
        while ((o = getopt_long(argc, argv, "i:q", opts, NULL)) != -1) {
                if (o == 'i') in = optarg;
                else if (o != 'q') return 125;
        }
        if (!in && isatty(STDIN_FILENO))
                return cli_usage("requested load from stdin, but stdin is empty");
        _cleanup_close_ int fd = in ? open(in, O_RDONLY | O_CLOEXEC) : dup(STDIN_FILENO);
        if (fd < 0)
                return cli_usage("open %s: %m", in);
        LadeError *err = NULL;
        if (engine_image_load(cli_engine(c), fd, print_loaded, NULL, &err) < 0)
                return cli_fail(err);
        return 0;
}

int cmd_import(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = { { "change", required_argument, NULL, 'c' }, { "message", required_argument, NULL, 'm' },
                                              { "platform", required_argument, NULL, 'p' }, { NULL, 0, NULL, 0 } };
        _cleanup_strv_free_ char **changes = NULL;
        ImportOptions io = { 0 };
        int o;
        while ((o = getopt_long(argc, argv, "c:m:", opts, NULL)) != -1) {
                if (o == 'c') changes = strv_append(changes, optarg);
                else if (o == 'm') io.message = optarg;
                else if (o == 'p') io.platform = optarg;
                else return 125;
        }
        if (argc - optind < 1 || argc - optind > 2)
                return cli_usage("\"import\" requires 1 or 2 arguments.");
        io.changes = changes;
        io.ref = argc - optind == 2 ? argv[optind + 1] : NULL;
        const char *src = argv[optind];
        _cleanup_close_ int fd = streq(src, "-") ? dup(STDIN_FILENO) : open(src, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return cli_usage("open %s: %m", src);
        char id[72];
        LadeError *err = NULL;
        if (engine_image_import(cli_engine(c), fd, &io, id, &err) < 0)
                return cli_fail(err);
        printf("%s\n", id);
        return 0;
}

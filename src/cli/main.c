/* lade main: global options, the verb table (Docker's names, including `image X` and
 * `system X` groups), and the single place errors are printed. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli-help.h"
#include "containers.h"
#include "runtime.h"
#include "config.h"
#include "log.h"
#include "util.h"

typedef struct Verb {
        const char *group, *name;
        CliFn fn;
        const char *help;
} Verb;

static const Verb verbs[] = {
        { NULL, "images", cmd_images, "List images" },
        { "image", "ls", cmd_images, "List images" },
        { "image", "list", cmd_images, NULL },
        { "image", "inspect", cmd_image_inspect, "Display detailed information on one or more images" },
        { NULL, "inspect", cmd_inspect, "Return low-level information on Docker objects" },
        { NULL, "history", cmd_history, "Show the history of an image" },
        { "image", "history", cmd_history, NULL },
        { NULL, "tag", cmd_tag, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE" },
        { "image", "tag", cmd_tag, NULL },
        { NULL, "rmi", cmd_rmi, "Remove one or more images" },
        { "image", "rm", cmd_rmi, NULL },
        { "image", "remove", cmd_rmi, NULL },
        { "image", "prune", cmd_image_prune, "Remove unused images" },
        { NULL, "pull", cmd_pull, "Download an image from a registry" },
        { "image", "pull", cmd_pull, NULL },
        { NULL, "push", cmd_push, "Upload an image to a registry" },
        { "image", "push", cmd_push, NULL },
        { NULL, "login", cmd_login, "Log in to a registry" },
        { NULL, "logout", cmd_logout, "Log out from a registry" },
        { NULL, "save", cmd_save, "Save one or more images to a tar archive" },
        { "image", "save", cmd_save, NULL },
        { NULL, "load", cmd_load, "Load an image from a tar archive or STDIN" },
        { "image", "load", cmd_load, NULL },
        { NULL, "import", cmd_import, "Import the contents from a tarball to create an image" },
        { "image", "import", cmd_import, NULL },
        { "system", "df", cmd_system_df, "Show disk usage" },
        { "system", "prune", cmd_system_prune, "Remove unused data" },
        { NULL, "events", cmd_events, "Get real time events from the server" },
        { "system", "events", cmd_events, NULL },
        { "system", "boot", cmd_system_boot, "Start the containers whose restart policy asks for it (after a reboot)" },
        { NULL, "run", cmd_run, "Create and run a new container from an image" },
        { "container", "run", cmd_run, NULL },
        { NULL, "create", cmd_create, "Create a new container" },
        { "container", "create", cmd_create, NULL },
        { NULL, "start", cmd_start, "Start one or more stopped containers" },
        { "container", "start", cmd_start, NULL },
        { NULL, "stop", cmd_stop, "Stop one or more running containers" },
        { "container", "stop", cmd_stop, NULL },
        { NULL, "restart", cmd_restart, "Restart one or more containers" },
        { "container", "restart", cmd_restart, NULL },
        { NULL, "kill", cmd_kill, "Kill one or more running containers" },
        { "container", "kill", cmd_kill, NULL },
        { NULL, "wait", cmd_wait, "Block until one or more containers stop, then print their exit codes" },
        { "container", "wait", cmd_wait, NULL },
        { NULL, "attach", cmd_attach, "Attach local standard input, output, and error streams to a running container" },
        { "container", "attach", cmd_attach, NULL },
        { NULL, "exec", cmd_exec, "Execute a command in a running container" },
        { "container", "exec", cmd_exec, NULL },
        { NULL, "logs", cmd_logs, "Fetch the logs of a container" },
        { "container", "logs", cmd_logs, NULL },
        { NULL, "pause", cmd_pause, "Pause all processes within one or more containers" },
        { "container", "pause", cmd_pause, NULL },
        { NULL, "unpause", cmd_unpause, "Unpause all processes within one or more containers" },
        { "container", "unpause", cmd_unpause, NULL },
        { NULL, "rename", cmd_rename, "Rename a container" },
        { "container", "rename", cmd_rename, NULL },
        { NULL, "update", cmd_update, "Update configuration of one or more containers" },
        { "container", "update", cmd_update, NULL },
        { NULL, "top", cmd_top, "Display the running processes of a container" },
        { NULL, "stats", cmd_stats, "Display a sample of containers' resource usage (--no-stream)" },
        { "container", "stats", cmd_stats, NULL },
        { "container", "top", cmd_top, NULL },
        { NULL, "port", cmd_port, "List port mappings or a specific mapping for the container" },
        { "container", "port", cmd_port, NULL },
        { "container", "inspect", cmd_inspect, "Display detailed information on one or more containers" },
        { "container", "prune", cmd_container_prune, "Remove all stopped containers" },
        { NULL, "ps", cmd_ps, "List containers" },
        { "container", "ls", cmd_ps, NULL },
        { "container", "list", cmd_ps, NULL },
        { "container", "ps", cmd_ps, NULL },
        { NULL, "rm", cmd_rm, "Remove one or more containers" },
        { "container", "rm", cmd_rm, NULL },
        { "container", "remove", cmd_rm, NULL },
        { NULL, "commit", cmd_commit, "Create a new image from a container's changes" },
        { "container", "commit", cmd_commit, NULL },
        { NULL, "diff", cmd_diff, "Inspect changes to files or directories on a container's filesystem" },
        { "container", "diff", cmd_diff, NULL },
        { NULL, "export", cmd_export, "Export a container's filesystem as a tar archive" },
        { "container", "export", cmd_export, NULL },
        { NULL, "cp", cmd_cp, "Copy files/folders between a container and the local filesystem" },
        { "container", "cp", cmd_cp, NULL },
        { "network", "create", cmd_network_create, "Create a network" },
        { "network", "ls", cmd_network_ls, "List networks" },
        { "network", "list", cmd_network_ls, NULL },
        { "network", "inspect", cmd_network_inspect, "Display detailed information on one or more networks" },
        { "network", "rm", cmd_network_rm, "Remove one or more networks" },
        { "network", "remove", cmd_network_rm, NULL },
        { "network", "prune", cmd_network_prune, "Remove all unused networks" },
        { "network", "connect", cmd_network_connect, "Connect a container to a network" },
        { "network", "disconnect", cmd_network_disconnect, "Disconnect a container from a network" },
        { "volume", "create", cmd_volume_create, "Create a volume" },
        { "volume", "ls", cmd_volume_ls, "List volumes" },
        { "volume", "list", cmd_volume_ls, NULL },
        { "volume", "inspect", cmd_volume_inspect, "Display detailed information on one or more volumes" },
        { "volume", "rm", cmd_volume_rm, "Remove one or more volumes" },
        { "volume", "remove", cmd_volume_rm, NULL },
        { "volume", "prune", cmd_volume_prune, "Remove unused local volumes" },
        { NULL, "serve", cmd_serve, "Serve the Docker Engine API on a unix socket" },
        { NULL, "build", cmd_build, "Build an image from a Dockerfile" },
        { "image", "build", cmd_build, NULL },
        { "builder", "build", cmd_build, NULL },
        { "builder", "prune", cmd_builder_prune, "Remove the build cache" },
};

static Cli *the_cli;

Engine *cli_engine(Cli *c)
{
        if (!c->engine) {
                LadeError *err = NULL;
                c->opts.insecure_registries = c->insecure;
                if (engine_open(&c->opts, &c->engine, &err) < 0) {
                        cli_fail(err);
                        exit(1);
                }
        }
        return c->engine;
}

/* The idle monitor binary beside this one (a build dir, or an install next to lade), for the
 * engine; exported before a sealed re-exec hides our path. */
static void set_idle_monitor_path(void)
{
        char self[4096];
        const char *env = getenv("LADE_MONITOR_IDLE");
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if ((env && *env) || n <= 0 || self[0] != '/')
                return;
        self[n] = 0;
        char *slash = strrchr(self, '/');
        _cleanup_free_ char *idle = xasprintf("%.*s/lade-monitor", (int) (slash - self), self);
        if (access(idle, X_OK) == 0)
                (void) setenv("LADE_MONITOR_IDLE", idle, 1);
}

int cli_seal(Cli *c)
{
        LadeError *err = NULL;
        if (runtime_ensure_sealed_binary(c->argv, &err) < 0)
                return cli_fail(err);
        return 0;
}

int cli_fail(LadeError *err)
{
        fprintf(stderr, "Error response from daemon: %s\n", lade_error_message(err));
        lade_error_free(err);
        return 1;
}

int cli_usage(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fputs("lade: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputs("\nSee 'lade --help'.\n", stderr);
        va_end(ap);
        return 125;
}

static void usage(FILE *f)
{
        fputs("Usage:  lade [OPTIONS] COMMAND\n\nA self-sufficient runtime for containers\n\n"
              "Options:\n      --root string              state root (default /var/lib/lade, or $LADE_ROOT)\n"
              "      --insecure-registry list   registry reachable over plain HTTP\n"
              "  -D, --debug                    debug output\n  -v, --version                  print version\n\n"
              "Commands:\n", f);
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (verbs[i].help)
                        fprintf(f, "  %-8s %-9s %s\n", verbs[i].group ? verbs[i].group : "", verbs[i].name,
                                verbs[i].help);
}

static int parse_globals(Cli *c, int argc, char **argv)
{
        enum { O_ROOT = 256, O_INSECURE };
        static const struct option opts[] = {
                { "root", required_argument, NULL, O_ROOT },
                { "insecure-registry", required_argument, NULL, O_INSECURE },
                { "debug", no_argument, NULL, 'D' },
                { "version", no_argument, NULL, 'v' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        int o;
        while ((o = getopt_long(argc, argv, "+Dvh", opts, NULL)) != -1) {
                switch (o) {
                case O_ROOT: c->opts.root = optarg; break;
                case O_INSECURE: c->insecure = strv_append(c->insecure, optarg); break;
                case 'D': log_set_level(LOG_LEVEL_DEBUG); break;
                case 'v': printf("lade version %s, build %s\n", LADE_VERSION, LADE_COMMIT); exit(0);
                case 'h': usage(stdout); exit(0);
                default: return -1;
                }
        }
        return 0;
}

static const Verb *find_verb(int argc, char **argv, int *consumed)
{
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                const Verb *v = &verbs[i];
                if (!v->group && streq(argv[0], v->name)) {
                        *consumed = 1;
                        return v;
                }
                if (v->group && argc > 1 && streq(argv[0], v->group) && streq(argv[1], v->name)) {
                        *consumed = 2;
                        return v;
                }
        }
        return NULL;
}

int main(int argc, char **argv)
{
        Cli c = { .argv = argv };
        the_cli = &c;
        set_idle_monitor_path();
        log_set_prefix("lade");
        if (parse_globals(&c, argc, argv) < 0)
                return 125;
        if (optind >= argc) {
                usage(stderr);
                return 1;
        }
        if (streq(argv[optind], "version")) {
                printf("lade version %s, build %s\n", LADE_VERSION, LADE_COMMIT);
                return 0;
        }
        if (streq(argv[optind], "__monitor") && argc - optind == 4) {
                /* a container monitor, spawned by a multi-threaded parent (lade serve) as its
                 * child: we fork once more and the first process exits, which the parent reaps
                 * at once, so the monitor is nobody's child but init's (see spawn_monitor_exec) */
                pid_t child = fork();
                if (child != 0)
                        _exit(child < 0 ? 125 : 0);
                EngineOptions o = { .root = argv[optind + 1] };
                Engine *e = NULL;
                LadeError *err = NULL;
                if (engine_open(&o, &e, &err) < 0 ||
                    engine_monitor_main(e, argv[optind + 2], 3, streq(argv[optind + 3], "attach"), &err) < 0)
                        return cli_fail(err);
                return 1;
        }
        if (streq(argv[optind], "__monitor-exited") && argc - optind >= 5) {
                /* the idle monitor (lade-monitor) hands a container's exit back */
                EngineOptions o = { .root = argv[optind + 1] };
                Engine *e = NULL;
                LadeError *err = NULL;
                int listen_fd = -1;
                char **clients = NULL;
                for (int i = optind + 4; i < argc; i++) {
                        if (startswith(argv[i], "listen="))
                                listen_fd = atoi(argv[i] + 7);
                        else if (startswith(argv[i], "client="))
                                clients = strv_append(clients, argv[i] + 7);
                }
                if (engine_open(&o, &e, &err) < 0 ||
                    engine_monitor_resume(e, argv[optind + 2], atoi(argv[optind + 3]), listen_fd, clients, &err) < 0)
                        return cli_fail(err);
                return 1;
        }
        if (streq(argv[optind], "__probe") && argc - optind >= 5 && streq(argv[optind + 3], "--")) {
                /* a health probe of a monitor: an exec into the container, from a sealed copy */
                EngineOptions o = { .root = argv[optind + 1] };
                _cleanup_(engine_freep) Engine *e = NULL;
                LadeError *err = NULL;
                ExecRequest req = { .cmd = argv + optind + 4 };
                int status = 1;
                if (runtime_ensure_sealed_binary(argv, &err) < 0 || engine_open(&o, &e, &err) < 0 ||
                    engine_container_exec(e, argv[optind + 2], &req, &status, &err) < 0) {
                        lade_error_free(err);
                        return status ? status : 1;
                }
                return status;
        }
        if (streq(argv[optind], "__zygote") && argc - optind == 1)
                engine_monitor_zygote_exec_main();       /* lade serve's, exec'd (monitor-zygote.c) */
        if (streq(argv[optind], "__exec") && argc - optind == 3) {
                /* an exec helper, fork+exec'd by a multi-threaded parent (lade serve) */
                EngineOptions o = { .root = argv[optind + 1] };
                Engine *e = NULL;
                LadeError *err = NULL;
                if (engine_open(&o, &e, &err) < 0 || engine_exec_main(e, argv[optind + 2], 3, &err) < 0) {
                        lade_error_free(err);
                        engine_free(e);
                        return 126;
                }
                engine_free(e);
                return 0;
        }
        int consumed = 0;
        const Verb *v = find_verb(argc - optind, argv + optind, &consumed);
        /* VERB --help, help VERB, GROUP alone (cli-help.c) */
        int rc = cli_help_hook(argc - optind, argv + optind, v ? consumed : 0);
        if (rc >= 0)
                return rc;
        if (!v && streq(argv[optind], "help") && optind + 1 == argc) {
                usage(stdout);
                return 0;
        }
        if (!v) {
                /* as docker: `lade nosuch --help` is the main help, `lade nosuch` exits 1 */
                for (int i = optind + 1; i < argc; i++)
                        if (streq(argv[i], "--help") || streq(argv[i], "-h")) {
                                usage(stdout);
                                return 0;
                        }
                fprintf(stderr, "lade: unknown command: lade %s\n\nRun 'lade --help' for more information\n",
                        argv[optind]);
                return 1;
        }
        /* Processes that join a running container's namespaces before they execve (exec, and
         * the inits of containers sharing a pid namespace) could be reached from inside through
         * /proc/PID/exe: such verbs run from a sealed copy (CVE-2019-5736). A new container's
         * init is alone in its new pid namespace until its execve, so `run` seals only when the
         * container shares one (cmd_run decides). */
        if (v->fn == cmd_start || v->fn == cmd_restart || v->fn == cmd_exec || v->fn == cmd_serve ||
            v->fn == cmd_system_boot) {
                LadeError *err = NULL;
                if (runtime_ensure_sealed_binary(argv, &err) < 0)
                        return cli_fail(err);
        }
        /* the server (request threads) and the builder (workers, RUN's output pump) start
         * monitors from threads: a zygote forks them instead of an exec of `lade __monitor`;
         * made now, while we have one thread and no database connection
         * (engine/monitor-zygote.c) */
        if (v->fn == cmd_build)
                engine_monitor_zygote_start();
        else if (v->fn == cmd_serve)
                engine_monitor_zygote_lazy();   /* exec'd when needed, stopped when idle */
        int sub_argc = argc - optind - consumed + 1;
        char **sub_argv = argv + optind + consumed - 1;
        optind = 0;
        int r = cli_help_exit_status(v->fn(&c, sub_argc, sub_argv));
        engine_free(c.engine);
        strv_free(c.insecure);
        return r;
}

/* lade-runtime main: global options (runc's), the sealed re-exec for verbs that enter a
 * container, and dispatch. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "cli.h"
#include "seccomp-program.h"
#include "config.h"
#include "log.h"
#include "util.h"

static const struct {
        const char *name;
        CliVerb fn;
        bool enters_container;
} verbs[] = {
        { "create", verb_create, true },  { "run", verb_run, true },       { "exec", verb_exec, true },
        { "start", verb_start, false },   { "state", verb_state, false },   { "list", verb_list, false },
        { "kill", verb_kill, false },     { "delete", verb_delete, false }, { "ps", verb_ps, false },
        { "pause", verb_pause, false },   { "resume", verb_resume, false }, { "update", verb_update, false },
        { "spec", verb_spec, false },     { "features", verb_features, false },
};

static void usage(FILE *f)
{
        fputs("usage: lade-runtime [global options] command [command options] [arguments...]\n\n"
              "An OCI runtime, command-line compatible with runc.\n\n"
              "commands:\n"
              "  create    create a container\n  start     start a created container\n"
              "  run       create and start a container\n  state     output the state of a container\n"
              "  list      list containers\n  kill      send a signal to the container's init\n"
              "  delete    delete a container\n  exec      run a new process in a container\n"
              "  ps        list processes of a container\n  pause     freeze all processes\n"
              "  resume    thaw all processes\n  update    update resource limits\n"
              "  spec      write a default config.json\n  features  show what this runtime supports\n\n"
              "global options:\n"
              "  --root DIR         state directory (default /run/lade-runtime)\n"
              "  --log FILE         log file (default stderr)\n"
              "  --log-format FMT   text or json\n  --debug            debug logging\n"
              "  --systemd-cgroup   use the systemd cgroup driver\n"
              "  --version, -v      print the version\n",
              f);
}

static void version(void)
{
        printf("lade-runtime version %s\ncommit: %s\nspec: %s\nlibseccomp: %s\n", LADE_VERSION,
               LADE_COMMIT, LADE_OCI_VERSION, seccomp_library_version());
}

int cli_fail(LadeError *err)
{
        log_error("%s", lade_error_message(err));
        lade_error_free(err);
        return 1;
}

int cli_usage_error(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *m = xvasprintf(fmt, ap);
        va_end(ap);
        log_error("%s", m);
        return 1;
}

int cli_need_args(int argc, char **argv, int n, const char *usage)
{
        if (argc - optind != n)
                return cli_usage_error("%s: expects exactly %d argument%s (usage: %s)", argv[0], n,
                                       n == 1 ? "" : "s", usage);
        return 0;
}

void cli_print_json(json_t *j)
{
        char *s = json_dumps(j, JSON_INDENT(2));
        if (s) {
                puts(s);
                free(s);
        }
}

static int open_log(const char *path)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0) {
                fprintf(stderr, "lade-runtime: open log '%s': %m\n", path);
                return -1;
        }
        log_set_fd(fd);
        return 0;
}

static int parse_globals(CliGlobal *g, int argc, char **argv)
{
        enum { O_ROOT = 256, O_LOG, O_LOGFMT, O_DEBUG, O_SYSTEMD, O_CRIU, O_ROOTLESS };
        static const struct option opts[] = {
                { "root", required_argument, NULL, O_ROOT },   { "log", required_argument, NULL, O_LOG },
                { "log-format", required_argument, NULL, O_LOGFMT }, { "debug", no_argument, NULL, O_DEBUG },
                { "systemd-cgroup", no_argument, NULL, O_SYSTEMD }, { "criu", required_argument, NULL, O_CRIU },
                { "rootless", required_argument, NULL, O_ROOTLESS }, { "version", no_argument, NULL, 'v' },
                { "help", no_argument, NULL, 'h' },            { NULL, 0, NULL, 0 },
        };
        int c;
        while ((c = getopt_long_only(argc, argv, "+vh", opts, NULL)) != -1) {
                switch (c) {
                case O_ROOT:
                        g->rt.state_root = optarg;
                        break;
                case O_LOG:
                        if (*optarg && open_log(optarg) < 0)
                                return -1;
                        break;
                case O_LOGFMT:
                        if (!streq(optarg, "text") && !streq(optarg, "json"))
                                return cli_usage_error("--log-format: unknown format '%s' (text or json)", optarg), -1;
                        log_set_json(streq(optarg, "json"));
                        break;
                case O_DEBUG:
                        log_set_level(LOG_LEVEL_DEBUG);
                        break;
                case O_SYSTEMD:
                        g->rt.systemd_cgroup = true;
                        break;
                case O_CRIU:
                case O_ROOTLESS:
                        break;
                case 'v':
                        version();
                        exit(0);
                case 'h':
                        usage(stdout);
                        exit(0);
                default:
                        usage(stderr);
                        return -1;
                }
        }
        return 0;
}

int main(int argc, char **argv)
{
        CliGlobal g = { .rt = { .state_root = "/run/lade-runtime" } };
        log_set_prefix("lade-runtime");
        if (parse_globals(&g, argc, argv) < 0)
                return 1;
        if (optind >= argc) {
                usage(stderr);
                return 1;
        }
        const char *verb = argv[optind];
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                if (!streq(verbs[i].name, verb))
                        continue;
                if (verbs[i].enters_container) {
                        LadeError *err = NULL;
                        if (runtime_ensure_sealed_binary(argv, &err) < 0)
                                return cli_fail(err);
                }
                int sub_argc = argc - optind;
                char **sub_argv = argv + optind;
                optind = 0; /* full getopt reset for the verb's own options */
                return verbs[i].fn(&g, sub_argc, sub_argv);
        }
        if (streq(verb, "checkpoint") || streq(verb, "restore"))
                return cli_usage_error("%s is not supported by lade-runtime", verb);
        if (streq(verb, "help")) {
                usage(stdout);
                return 0;
        }
        return cli_usage_error("unknown command '%s' (see lade-runtime --help)", verb);
}

/* create, run, start, state, list, kill, delete, pause, resume, ps. */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "cli.h"
#include "util.h"

static int parse_create(int argc, char **argv, CreateOptions *o, bool is_run)
{
        enum { O_CONSOLE = 256, O_PIDFILE, O_NOPIVOT, O_NOKEYRING, O_PRESERVE, O_KEEP, O_NOSUBREAPER };
        static const struct option opts[] = {
                { "bundle", required_argument, NULL, 'b' },
                { "console-socket", required_argument, NULL, O_CONSOLE },
                { "pid-file", required_argument, NULL, O_PIDFILE },
                { "no-pivot", no_argument, NULL, O_NOPIVOT },
                { "no-new-keyring", no_argument, NULL, O_NOKEYRING },
                { "preserve-fds", required_argument, NULL, O_PRESERVE },
                { "detach", no_argument, NULL, 'd' },
                { "keep", no_argument, NULL, O_KEEP },
                { "no-subreaper", no_argument, NULL, O_NOSUBREAPER },
                { NULL, 0, NULL, 0 },
        };
        int c;
        while ((c = getopt_long_only(argc, argv, "+b:d", opts, NULL)) != -1) {
                int64_t n;
                switch (c) {
                case 'b':
                        o->bundle = optarg;
                        break;
                case O_CONSOLE:
                        o->console_socket = optarg;
                        break;
                case O_PIDFILE:
                        o->pid_file = optarg;
                        break;
                case O_NOPIVOT:
                        o->no_pivot = true;
                        break;
                case O_NOKEYRING:
                        o->no_new_keyring = true;
                        break;
                case O_PRESERVE:
                        if (parse_int64(optarg, &n) < 0 || n < 0 || n > 65536)
                                return cli_usage_error("--preserve-fds: invalid number '%s'", optarg);
                        o->preserve_fds = (int) n;
                        break;
                case 'd':
                        if (!is_run)
                                return cli_usage_error("create: unknown option --detach");
                        o->detach = true;
                        break;
                case O_KEEP:
                case O_NOSUBREAPER:
                        break;
                default:
                        return 1;
                }
        }
        if (cli_need_args(argc, argv, 1, is_run ? "run [options] <container-id>" : "create [options] <container-id>"))
                return 1;
        o->id = argv[optind];
        return 0;
}

int verb_create(CliGlobal *g, int argc, char **argv)
{
        CreateOptions o = { 0 };
        if (parse_create(argc, argv, &o, false))
                return 1;
        LadeError *err = NULL;
        pid_t primer = cgroup_prime_attach();
        int r = container_create(&g->rt, &o, &err);
        if (primer > 0)
                (void) waitpid(primer, NULL, 0);
        return r < 0 ? cli_fail(err) : 0;
}

int verb_run(CliGlobal *g, int argc, char **argv)
{
        CreateOptions o = { 0 };
        if (parse_create(argc, argv, &o, true))
                return 1;
        LadeError *err = NULL;
        int status = 0;
        pid_t primer = cgroup_prime_attach();
        int r = container_run(&g->rt, &o, &status, &err);
        if (primer > 0)
                (void) waitpid(primer, NULL, 0);
        return r < 0 ? cli_fail(err) : status;
}

/* Verbs that take only a container id. */
typedef int (*IdOp)(const RuntimeContext *rt, const char *id, LadeError **err);

static int simple_id_verb(CliGlobal *g, int argc, char **argv, IdOp op)
{
        static const struct option opts[] = { { NULL, 0, NULL, 0 } };
        if (getopt_long_only(argc, argv, "+", opts, NULL) != -1)
                return 1;
        _cleanup_free_ char *u = xasprintf("%s <container-id>", argv[0]);
        if (cli_need_args(argc, argv, 1, u))
                return 1;
        LadeError *err = NULL;
        if (op(&g->rt, argv[optind], &err) < 0)
                return cli_fail(err);
        return 0;
}

int verb_start(CliGlobal *g, int argc, char **argv)
{
        return simple_id_verb(g, argc, argv, container_start);
}

int verb_pause(CliGlobal *g, int argc, char **argv)
{
        return simple_id_verb(g, argc, argv, container_pause);
}

int verb_resume(CliGlobal *g, int argc, char **argv)
{
        return simple_id_verb(g, argc, argv, container_resume);
}

int verb_state(CliGlobal *g, int argc, char **argv)
{
        static const struct option opts[] = { { NULL, 0, NULL, 0 } };
        if (getopt_long_only(argc, argv, "+", opts, NULL) != -1)
                return 1;
        if (cli_need_args(argc, argv, 1, "state <container-id>"))
                return 1;
        LadeError *err = NULL;
        json_t *j = NULL;
        if (container_state(&g->rt, argv[optind], &j, &err) < 0)
                return cli_fail(err);
        cli_print_json(j);
        json_decref(j);
        return 0;
}

static void print_list_table(json_t *arr)
{
        printf("%-12s %-10s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
        size_t i;
        json_t *s;
        json_array_foreach(arr, i, s) {
                printf("%-12s %-10lld %-10s %-40s %-30s %s\n",
                       json_string_value(json_object_get(s, "id")),
                       (long long) json_integer_value(json_object_get(s, "pid")),
                       json_string_value(json_object_get(s, "status")),
                       json_string_value(json_object_get(s, "bundle")),
                       json_string_value(json_object_get(s, "created")), "root");
        }
}

int verb_list(CliGlobal *g, int argc, char **argv)
{
        static const struct option opts[] = { { "format", required_argument, NULL, 'f' },
                                              { "quiet", no_argument, NULL, 'q' },
                                              { NULL, 0, NULL, 0 } };
        const char *format = "table";
        bool quiet = false;
        int c;
        while ((c = getopt_long_only(argc, argv, "+f:q", opts, NULL)) != -1) {
                if (c == 'f')
                        format = optarg;
                else if (c == 'q')
                        quiet = true;
                else
                        return 1;
        }
        if (!streq(format, "table") && !streq(format, "json"))
                return cli_usage_error("list: invalid format '%s' (table or json)", format);
        LadeError *err = NULL;
        json_t *arr = NULL;
        if (container_list(&g->rt, &arr, &err) < 0)
                return cli_fail(err);
        size_t i;
        json_t *s;
        if (quiet)
                json_array_foreach(arr, i, s) puts(json_string_value(json_object_get(s, "id")));
        else if (streq(format, "json")) {
                char *t = json_dumps(arr, JSON_COMPACT);
                puts(t ? t : "[]");
                free(t);
        } else
                print_list_table(arr);
        json_decref(arr);
        return 0;
}

int verb_kill(CliGlobal *g, int argc, char **argv)
{
        static const struct option opts[] = { { "all", no_argument, NULL, 'a' }, { NULL, 0, NULL, 0 } };
        bool all = false;
        int c;
        while ((c = getopt_long_only(argc, argv, "+a", opts, NULL)) != -1) {
                if (c != 'a')
                        return 1;
                all = true;
        }
        int n = argc - optind;
        if (n < 1 || n > 2)
                return cli_usage_error("kill: usage: kill [--all] <container-id> [signal]");
        int sig = SIGTERM;
        if (n == 2 && (sig = runtime_parse_signal(argv[optind + 1])) < 0)
                return cli_usage_error("kill: unknown signal '%s'", argv[optind + 1]);
        LadeError *err = NULL;
        if (container_kill(&g->rt, argv[optind], sig, all, &err) < 0)
                return cli_fail(err);
        return 0;
}

int verb_delete(CliGlobal *g, int argc, char **argv)
{
        static const struct option opts[] = { { "force", no_argument, NULL, 'f' }, { NULL, 0, NULL, 0 } };
        bool force = false;
        int c;
        while ((c = getopt_long_only(argc, argv, "+f", opts, NULL)) != -1) {
                if (c != 'f')
                        return 1;
                force = true;
        }
        if (argc - optind < 1)
                return cli_usage_error("delete: usage: delete [--force] <container-id>...");
        int rc = 0;
        for (int i = optind; i < argc; i++) {
                LadeError *err = NULL;
                if (container_delete(&g->rt, argv[i], force, &err) < 0)
                        rc = cli_fail(err);
        }
        return rc;
}

static void print_ps_row(pid_t pid)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/cmdline", (int) pid);
        _cleanup_free_ char *cmd = NULL;
        size_t len = 0;
        if (read_file_at(AT_FDCWD, path, 65536, &cmd, &len, NULL) < 0)
                return;
        for (size_t i = 0; i + 1 < len; i++)
                if (cmd[i] == '\0')
                        cmd[i] = ' ';
        snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
        _cleanup_free_ char *status = NULL;
        unsigned uid = 0, ppid = 0;
        if (read_file_at(AT_FDCWD, path, 65536, &status, NULL, NULL) == 0) {
                char *u = strstr(status, "\nUid:"), *pp = strstr(status, "\nPPid:");
                if (u)
                        sscanf(u + 5, "%u", &uid);
                if (pp)
                        sscanf(pp + 6, "%u", &ppid);
        }
        printf("%-8u %-8d %-8u %s\n", uid, (int) pid, ppid, cmd);
}

int verb_ps(CliGlobal *g, int argc, char **argv)
{
        static const struct option opts[] = { { "format", required_argument, NULL, 'f' }, { NULL, 0, NULL, 0 } };
        const char *format = "table";
        int c;
        while ((c = getopt_long_only(argc, argv, "+f:", opts, NULL)) != -1) {
                if (c != 'f')
                        return 1;
                format = optarg;
        }
        if (!streq(format, "table") && !streq(format, "json"))
                return cli_usage_error("ps: invalid format '%s' (table or json)", format);
        if (argc - optind < 1)
                return cli_usage_error("ps: usage: ps [--format table|json] <container-id> [ps options]");
        LadeError *err = NULL;
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        if (container_pids(&g->rt, argv[optind], &pids, &n, &err) < 0)
                return cli_fail(err);
        if (streq(format, "json")) {
                json_t *arr = json_array();
                for (size_t i = 0; i < n; i++)
                        json_array_append_new(arr, json_integer(pids[i]));
                char *t = json_dumps(arr, JSON_COMPACT);
                puts(t ? t : "[]");
                free(t);
                json_decref(arr);
                return 0;
        }
        printf("%-8s %-8s %-8s %s\n", "UID", "PID", "PPID", "CMD");
        for (size_t i = 0; i < n; i++)
                print_ps_row(pids[i]);
        return 0;
}

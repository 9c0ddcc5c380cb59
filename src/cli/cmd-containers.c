/* run, ps, rm (this milestone: containers run in the foreground; -d needs the monitor). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "containers.h"
#include "format.h"
#include "run-flags.h"
#include "util.h"

int cmd_run(Cli *c, int argc, char **argv)
{
        RunFlags f = { 0 };
        LadeError *err = NULL;
        if (run_flags_parse(argc, argv, &f, &err) < 0) {
                int rc = run_flags_print_error(argv[0], err);
                lade_error_free(err);
                run_flags_done(&f);
                return rc;
        }
        if (f.detach) {
                run_flags_done(&f);
                fprintf(stderr, "lade: detached containers (-d) are not supported yet: they need the container monitor\n");
                return 125;
        }
        RunRequest req = { .create = f.body, .name = f.name, .rm = f.rm, .pull = f.pull, .platform = f.platform };
        int status = 0;
        if (engine_container_run(cli_engine(c), &req, &status, &err) < 0) {
                fprintf(stderr, "lade: Error response from daemon: %s.\n", lade_error_message(err));
                lade_error_free(err);
        }
        run_flags_done(&f);
        return status;
}

static const char *status_text(const ContainerInfo *ci, char *buf, size_t len)
{
        if (streq(ci->state, "exited"))
                snprintf(buf, len, "Exited (%d)", ci->exit_code);
        else if (streq(ci->state, "running"))
                snprintf(buf, len, "Up");
        else
                snprintf(buf, len, "Created");
        return buf;
}

int cmd_ps(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = { { "all", no_argument, NULL, 'a' }, { "quiet", no_argument, NULL, 'q' },
                                              { "no-trunc", no_argument, NULL, 'n' },
                                              { "format", required_argument, NULL, 'F' }, { NULL, 0, NULL, 0 } };
        bool all = false, quiet = false, no_trunc = false;
        const char *format = NULL;
        int o;
        while ((o = getopt_long(argc, argv, "aq", opts, NULL)) != -1) {
                if (o == 'a') all = true;
                else if (o == 'q') quiet = true;
                else if (o == 'n') no_trunc = true;
                else if (o == 'F') format = optarg;
                else return 125;
        }
        ContainerInfo **l = NULL;
        size_t n = 0;
        LadeError *err = NULL;
        if (engine_container_list(cli_engine(c), all, &l, &n, &err) < 0)
                return cli_fail(err);
        json_t *rows = json_array();
        for (size_t i = 0; i < n; i++) {
                char id[65], st[64];
                snprintf(id, sizeof(id), no_trunc ? "%s" : "%.12s", l[i]->id);
                if (quiet) {
                        printf("%s\n", id);
                        continue;
                }
                _cleanup_free_ char *cmd = xstrdup("");
                for (char **a = l[i]->command; a && *a; a++) {
                        char *t = xasprintf("%s%s%s", cmd, *cmd ? " " : "", *a);
                        free(cmd);
                        cmd = t;
                }
                _cleanup_free_ char *q = !no_trunc && strlen(cmd) > 19 ? xasprintf("\"%.19s…\"", cmd) : xasprintf("\"%s\"", cmd);
                _cleanup_free_ char *since = format_since(l[i]->created);
                json_array_append_new(rows, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", id, "Image", l[i]->image,
                                                      "Command", q, "RunningFor", since, "Status",
                                                      status_text(l[i], st, sizeof(st)), "Ports", "", "Names", l[i]->name));
        }
        json_t *h = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", "CONTAINER ID", "Image", "IMAGE", "Command",
                              "COMMAND", "RunningFor", "CREATED", "Status", "STATUS", "Ports", "PORTS", "Names", "NAMES");
        if (!quiet)
                format_print(stdout, format,
                             "{{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.RunningFor}}\\t{{.Status}}\\t{{.Ports}}\\t{{.Names}}", h, rows);
        json_decref(h);
        json_decref(rows);
        container_info_list_free(l, n);
        return 0;
}

int cmd_rm(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = { { "force", no_argument, NULL, 'f' }, { "volumes", no_argument, NULL, 'v' },
                                              { NULL, 0, NULL, 0 } };
        bool force = false;
        int o;
        while ((o = getopt_long(argc, argv, "fv", opts, NULL)) != -1) {
                if (o == 'f') force = true;
                else if (o != 'v') return 125;
        }
        if (optind >= argc)
                return cli_usage("\"rm\" requires at least 1 argument.");
        int rc = 0;
        for (int i = optind; i < argc; i++) {
                LadeError *err = NULL;
                if (engine_container_remove(cli_engine(c), argv[i], force, &err) < 0)
                        rc = cli_fail(err);
                else
                        printf("%s\n", argv[i]);
        }
        return rc;
}

/* run, create, start, attach, ps, rm: Docker's flags, output and exit codes over the engine. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "containers.h"
#include "engine-filters.h"
#include "format.h"
#include "run-flags.h"
#include "util.h"

static bool attach_has(char **list, const char *name)
{
        for (; list && *list; list++)
                if (strcasecmp(*list, name) == 0)
                        return true;
        return false;
}

/* The caller's stdio as Docker's CLI attaches it: stdin with -i, stdout/stderr unless -a
 * narrows them, raw mode for -it on a terminal, signals proxied without a tty. */
static AttachStdio run_stdio(const RunFlags *f)
{
        bool some = f->attach && *f->attach;
        AttachStdio io = {
                .in = f->interactive || attach_has(f->attach, "stdin") ? 0 : -1,
                .out = !some || attach_has(f->attach, "stdout") ? 1 : -1,
                .err = !some || attach_has(f->attach, "stderr") ? 2 : -1,
                .detach_keys = f->detach_keys,
                .sig_proxy = f->sig_proxy && !f->tty,
        };
        io.tty_raw = f->tty && io.in >= 0 && isatty(0);
        return io;
}

static int parse_run(int argc, char **argv, RunFlags *f)
{
        LadeError *err = NULL;
        if (run_flags_parse(argc, argv, f, &err) < 0) {
                int rc = run_flags_print_error(argv[0], err);
                lade_error_free(err);
                return rc;
        }
        return 0;
}

static int print_run_error(const char *verb, LadeError *err)
{
        fprintf(stderr, "lade: Error response from daemon: %s.\nSee 'lade %s --help'.\n", lade_error_message(err), verb);
        lade_error_free(err);
        return 125;
}

/* --cidfile as the docker CLI keeps it: refused when the file exists, made before the create,
 * the ID written once the container exists, removed if it never was. */
typedef struct CidFile {
        char *path;
        int fd;
        bool written;
} CidFile;

static int cidfile_open(const RunFlags *f, CidFile *cf)
{
        const char *p = json_string_value(json_object_get(json_object_get(f->body, "HostConfig"), "ContainerIDFile"));
        *cf = (CidFile) { .fd = -EBADF };
        if (!p || !*p)
                return 0;
        if (access(p, F_OK) == 0) {
                fprintf(stderr, "lade: container ID file found, make sure the other container isn't running or delete %s.\n", p);
                return 125;
        }
        cf->fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (cf->fd < 0) {
                fprintf(stderr, "lade: failed to create the container ID file: open %s: %s.\n", p, strerror(errno));
                return 125;
        }
        cf->path = xstrdup(p);
        return 0;
}

static void cidfile_write(const char *id, void *userdata)
{
        CidFile *cf = userdata;
        if (cf->fd >= 0 && write_all(cf->fd, id, strlen(id)) == 0)
                cf->written = true;
}

static void cidfile_close(CidFile *cf)
{
        if (cf->fd >= 0) {
                (void) close(cf->fd);
                if (!cf->written)
                        (void) unlink(cf->path);
        }
        free(cf->path);
        *cf = (CidFile) { .fd = -EBADF };
}

int cmd_run(Cli *c, int argc, char **argv)
{
        RunFlags f = { 0 };
        int rc = parse_run(argc, argv, &f);
        if (rc || f.help) {
                run_flags_done(&f);
                return rc;
        }
        const char *pid_mode = json_string_value(json_object_get(json_object_get(f.body, "HostConfig"), "PidMode"));
        if (pid_mode && (streq(pid_mode, "host") || startswith(pid_mode, "container:")) && (rc = cli_seal(c))) {
                run_flags_done(&f);
                return rc;
        }
        CidFile cf;
        if ((rc = cidfile_open(&f, &cf))) {
                run_flags_done(&f);
                return rc;
        }
        RunRequest req = { .create = f.body, .name = f.name, .pull = f.pull, .platform = f.platform,
                           .created = cidfile_write, .userdata = &cf };
        AttachStdio io = run_stdio(&f);
        char id[65];
        int status = 125;
        LadeError *err = NULL;
        if (engine_container_run(cli_engine(c), &req, f.detach ? NULL : &io, id, &status, &err) < 0) {
                fprintf(stderr, "lade: Error response from daemon: %s.\n", lade_error_message(err));
                lade_error_free(err);
        } else if (f.detach) {
                printf("%s\n", id);
        } else if (status == -1) {
                status = 0; /* detached with the detach keys */
        }
        cidfile_close(&cf);
        run_flags_done(&f);
        return status;
}

int cmd_create(Cli *c, int argc, char **argv)
{
        RunFlags f = { 0 };
        int rc = parse_run(argc, argv, &f);
        if (rc || f.help) {
                run_flags_done(&f);
                return rc;
        }
        CidFile cf;
        if ((rc = cidfile_open(&f, &cf))) {
                run_flags_done(&f);
                return rc;
        }
        RunRequest req = { .create = f.body, .name = f.name, .pull = f.pull, .platform = f.platform };
        char id[65];
        LadeError *err = NULL;
        if (engine_container_create(cli_engine(c), &req, id, &err) < 0)
                rc = print_run_error("create", err);
        else {
                cidfile_write(id, &cf);
                printf("%s\n", id);
        }
        cidfile_close(&cf);
        run_flags_done(&f);
        return rc;
}

/* start/attach share these: the container's Tty decides raw mode and signal proxying. */
static AttachStdio attached_stdio(Cli *c, const char *name, bool in, const char *keys, bool sig_proxy)
{
        json_t *doc = NULL;
        bool tty = false;
        if (engine_container_inspect(cli_engine(c), name, &doc, NULL) == 0)
                tty = json_is_true(json_object_get(json_object_get(doc, "Config"), "Tty"));
        json_decref(doc);
        AttachStdio io = { .in = in ? 0 : -1, .out = 1, .err = 2, .detach_keys = keys, .sig_proxy = sig_proxy && !tty };
        io.tty_raw = tty && in && isatty(0);
        return io;
}

int cmd_start(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = { { "attach", no_argument, NULL, 'a' },
                                              { "interactive", no_argument, NULL, 'i' },
                                              { "detach-keys", required_argument, NULL, 'k' },
                                              { NULL, 0, NULL, 0 } };
        bool attach = false, interactive = false;
        const char *keys = NULL;
        int o;
        while ((o = getopt_long(argc, argv, "ai", opts, NULL)) != -1) {
                if (o == 'a') attach = true;
                else if (o == 'i') interactive = true;
                else if (o == 'k') keys = optarg;
                else return 125;
        }
        if (optind >= argc)
                return cli_usage("\"start\" requires at least 1 argument.");
        if ((attach || interactive) && argc - optind > 1)
                return cli_usage("you cannot start and attach multiple containers at once");
        int rc = 0;
        for (int i = optind; i < argc; i++) {
                LadeError *err = NULL;
                if (attach || interactive) {
                        AttachStdio io = attached_stdio(c, argv[i], interactive, keys, true);
                        int status = 0;
                        if (engine_container_start(cli_engine(c), argv[i], &io, &status, &err) < 0)
                                return cli_fail(err);
                        return status < 0 ? 0 : status;
                }
                if (engine_container_start(cli_engine(c), argv[i], NULL, NULL, &err) < 0)
                        rc = cli_fail(err);
                else
                        printf("%s\n", argv[i]);
        }
        return rc;
}

int cmd_attach(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = { { "no-stdin", no_argument, NULL, 'n' },
                                              { "sig-proxy", optional_argument, NULL, 's' },
                                              { "detach-keys", required_argument, NULL, 'k' },
                                              { NULL, 0, NULL, 0 } };
        bool no_stdin = false, sig_proxy = true;
        const char *keys = NULL;
        int o;
        while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                if (o == 'n') no_stdin = true;
                else if (o == 's') sig_proxy = !optarg || streq(optarg, "true");
                else if (o == 'k') keys = optarg;
                else return 125;
        }
        if (argc - optind != 1)
                return cli_usage("\"attach\" requires exactly 1 argument.");
        AttachStdio io = attached_stdio(c, argv[optind], !no_stdin, keys, sig_proxy);
        int status = 0;
        LadeError *err = NULL;
        if (engine_container_attach(cli_engine(c), argv[optind], &io, &status, &err) < 0)
                return cli_fail(err);
        return status < 0 ? 0 : status;
}

/* Docker's STATUS column: "Up 5 minutes", "Exited (0) 2 seconds ago", "Created", … */
static char *status_text(const ContainerInfo *ci)
{
        return engine_container_status_text(ci);
}

/* "0.0.0.0:8080->80/tcp, 443/tcp" */
static char *ports_text(const ContainerInfo *ci)
{
        char *s = xstrdup("");
        const char *key;
        json_t *binds;
        json_object_foreach(ci->ports, key, binds) {
                size_t i;
                json_t *b;
                bool any = false;
                json_array_foreach(binds, i, b) {
                        char *t = xasprintf("%s%s%s:%s->%s", s, *s ? ", " : "",
                                            json_string_value(json_object_get(b, "HostIp")),
                                            json_string_value(json_object_get(b, "HostPort")), key);
                        free(s);
                        s = t;
                        any = true;
                }
                if (!any) {
                        char *t = xasprintf("%s%s%s", s, *s ? ", " : "", key);
                        free(s);
                        s = t;
                }
        }
        return s;
}

/* docker ps's SIZE: "2B (virtual 4.26MB)" (HumanSizeWithPrecision, 3 digits) */
static char *size_text(Cli *c, const ContainerInfo *ci)
{
        int64_t rw = 0, rootfs = 0;
        (void) engine_container_size(cli_engine(c), ci->id, &rw, &rootfs, NULL);
        _cleanup_free_ char *srw = format_size(rw), *sv = format_size(rootfs);
        return rootfs > 0 ? xasprintf("%s (virtual %s)", srw, sv) : xstrdup(srw);
}

/* docker ps's .Mounts: each mount's volume name, or its source, cut to 15 columns unless
 * --no-trunc, comma-separated; .LocalVolumes: how many use the local driver */
static char *mounts_text(const ContainerInfo *ci, bool no_trunc, int *ret_local)
{
        char *s = xstrdup("");
        size_t i;
        json_t *m;
        *ret_local = 0;
        json_array_foreach(ci->mounts, i, m) {
                const char *name = json_string_value(json_object_get(m, "Name"));
                const char *src = json_string_value(json_object_get(m, "Source"));
                const char *shown = name && *name ? name : src ? src : "";
                _cleanup_free_ char *e = format_ellipsis(shown, no_trunc ? SIZE_MAX : 15);
                char *t = xasprintf("%s%s%s", s, i > 0 ? "," : "", e);
                free(s);
                s = t;
                *ret_local += streq_ptr(json_string_value(json_object_get(m, "Driver")), "local");
        }
        return s;
}

/* .Networks: the names of the networks it is on, comma-separated */
static char *networks_text(const ContainerInfo *ci)
{
        char *s = xstrdup("");
        const char *k;
        json_t *v;
        json_object_foreach(ci->networks, k, v) {
                char *t = xasprintf("%s%s%s", s, *s ? "," : "", k);
                free(s);
                s = t;
        }
        return s;
}

static json_t *ps_row(const ContainerInfo *ci, bool no_trunc, const char *size)
{
        char id[65];
        snprintf(id, sizeof(id), no_trunc ? "%s" : "%.12s", ci->id);
        _cleanup_free_ char *cmd = xstrdup("");
        for (char **a = ci->command; a && *a; a++) {
                char *t = xasprintf("%s%s%s", cmd, *cmd ? " " : "", *a);
                free(cmd);
                cmd = t;
        }
        _cleanup_free_ char *q = !no_trunc && strlen(cmd) > 20 ? xasprintf("\"%.19s…\"", cmd) : xasprintf("\"%s\"", cmd);
        _cleanup_free_ char *since = format_since(ci->created);
        _cleanup_free_ char *st = status_text(ci), *ports = ports_text(ci);
        _cleanup_free_ char *created = format_unix_time(ci->created);
        _cleanup_free_ char *labels = xstrdup("");
        const char *k;
        json_t *v;
        json_object_foreach(ci->labels, k, v) {
                char *t = xasprintf("%s%s%s=%s", labels, *labels ? "," : "", k, json_string_value(v));
                free(labels);
                labels = t;
        }
        int local = 0;
        _cleanup_free_ char *mounts = mounts_text(ci, no_trunc, &local), *nets = networks_text(ci);
        _cleanup_free_ char *nlocal = xasprintf("%d", local);
        return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", id, "Image", ci->image,
                         "Command", q, "RunningFor", since, "Status", st, "Ports", ports, "Names", ci->name, "State",
                         ci->state, "CreatedAt", created, "Labels", labels, "Size", size ? size : "0B", "Mounts",
                         mounts, "LocalVolumes", nlocal, "Networks", nets);
}

int cmd_ps(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = { { "all", no_argument, NULL, 'a' }, { "quiet", no_argument, NULL, 'q' },
                                              { "no-trunc", no_argument, NULL, 'N' }, { "last", required_argument, NULL, 'n' },
                                              { "latest", no_argument, NULL, 'l' }, { "size", no_argument, NULL, 's' },
                                              { "filter", required_argument, NULL, 'f' },
                                              { "format", required_argument, NULL, 'F' }, { NULL, 0, NULL, 0 } };
        bool all = false, quiet = false, no_trunc = false, size = false;
        long last = -1;
        const char *format = NULL;
        _cleanup_(engine_filters_freep) EngineFilters *filters = engine_filters_new();
        LadeError *err = NULL;
        int o;
        while ((o = getopt_long(argc, argv, "aqn:lsf:", opts, NULL)) != -1) {
                if (o == 'a') all = true;
                else if (o == 'q') quiet = true;
                else if (o == 'N') no_trunc = true;
                else if (o == 'n') last = strtol(optarg, NULL, 10);
                else if (o == 'l') last = 1;
                else if (o == 's') size = true;
                else if (o == 'f') {
                        if (engine_filters_add_arg(filters, optarg, &err) < 0)
                                return cli_fail(err);
                } else if (o == 'F') format = optarg;
                else return 125;
        }
        /* as the docker CLI: a template that shows .Size asks for the sizes */
        if (format && strstr(format, ".Size"))
                size = true;
        /* as Docker: -n, -l and a status or exited filter look at stopped containers too */
        if (last >= 0 || engine_filters_has(filters, "status") || engine_filters_has(filters, "exited"))
                all = true;
        ContainerInfo **l = NULL;
        size_t n = 0;
        if (engine_container_list_filtered(cli_engine(c), all, filters, &l, &n, &err) < 0)
                return cli_fail(err);
        json_t *rows = json_array();
        for (size_t i = 0; i < n && (last < 0 || (long) i < last); i++) {
                if (quiet)
                        printf(no_trunc ? "%s\n" : "%.12s\n", l[i]->id);
                else {
                        _cleanup_free_ char *st = size ? size_text(c, l[i]) : NULL;
                        json_array_append_new(rows, ps_row(l[i], no_trunc, st));
                }
        }
        json_t *h = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", "CONTAINER ID",
                              "Image", "IMAGE", "Command", "COMMAND", "RunningFor", "CREATED", "Status", "STATUS",
                              "Ports", "PORTS", "Names", "NAMES", "State", "STATE", "CreatedAt", "CREATED AT",
                              "Labels", "LABELS", "Size", "SIZE", "Mounts", "MOUNTS", "LocalVolumes",
                              "LOCAL VOLUMES", "Networks", "NETWORKS");
        int frc = 0;
        if (!quiet)
                frc = format_print(stdout, format,
                             size ? "{{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.RunningFor}}\\t{{.Status}}\\t{{.Ports}}\\t{{.Names}}\\t{{.Size}}"
                                  : "{{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.RunningFor}}\\t{{.Status}}\\t{{.Ports}}\\t{{.Names}}",
                             h, rows);
        json_decref(h);
        json_decref(rows);
        container_info_list_free(l, n);
        return frc;
}

int cmd_rm(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = { { "force", no_argument, NULL, 'f' }, { "volumes", no_argument, NULL, 'v' },
                                              { "link", no_argument, NULL, 'l' }, { NULL, 0, NULL, 0 } };
        bool force = false, volumes = false;
        int o;
        while ((o = getopt_long(argc, argv, "fvl", opts, NULL)) != -1) {
                if (o == 'f') force = true;
                else if (o == 'v') volumes = true;
                else if (o != 'l') return 125;
        }
        if (optind >= argc)
                return cli_usage("\"rm\" requires at least 1 argument.");
        int rc = 0;
        for (int i = optind; i < argc; i++) {
                LadeError *err = NULL;
                if (engine_container_remove(cli_engine(c), argv[i], force, volumes, &err) < 0)
                        rc = cli_fail(err);
                else
                        printf("%s\n", argv[i]);
        }
        return rc;
}

/* stop, restart, kill, wait, pause, unpause, rename, logs, exec, inspect, top, port,
 * container prune: Docker's flags and output over the engine. */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "containers.h"
#include "engine-filters.h"
#include "format.h"
#include "json-util.h"
#include "runtime.h"
#include "util.h"

typedef int (*EachFn)(Engine *e, const char *name, void *ud, LadeError **err);

/* Runs fn on every argument, printing each name that worked (Docker's output). */
static int for_each(Cli *c, int argc, char **argv, const char *verb, EachFn fn, void *ud)
{
        if (optind >= argc)
                return cli_usage("\"%s\" requires at least 1 argument.", verb);
        int rc = 0;
        for (int i = optind; i < argc; i++) {
                LadeError *err = NULL;
                if (fn(cli_engine(c), argv[i], ud, &err) < 0)
                        rc = cli_fail(err);
                else
                        printf("%s\n", argv[i]);
        }
        return rc;
}

static int parse_time_flag(int argc, char **argv, int *ret_timeout)
{
        static const struct option opts[] = { { "time", required_argument, NULL, 't' },
                                              { "timeout", required_argument, NULL, 't' },
                                              { "signal", required_argument, NULL, 's' }, { NULL, 0, NULL, 0 } };
        int o;
        *ret_timeout = -1;
        while ((o = getopt_long(argc, argv, "t:s:", opts, NULL)) != -1) {
                if (o == 't') {
                        int64_t v;
                        if (parse_int64(optarg, &v) < 0)
                                return cli_usage("invalid argument \"%s\" for \"-t, --timeout\" flag", optarg);
                        *ret_timeout = (int) v;
                } else if (o != 's')
                        return 125;
        }
        return 0;
}

static int do_stop(Engine *e, const char *name, void *ud, LadeError **err)
{
        return engine_container_stop(e, name, *(int *) ud, err);
}

static int do_restart(Engine *e, const char *name, void *ud, LadeError **err)
{
        return engine_container_restart(e, name, *(int *) ud, err);
}

int cmd_stop(Cli *c, int argc, char **argv)
{
        int t, rc = parse_time_flag(argc, argv, &t);
        return rc ? rc : for_each(c, argc, argv, "stop", do_stop, &t);
}

int cmd_restart(Cli *c, int argc, char **argv)
{
        int t, rc = parse_time_flag(argc, argv, &t);
        return rc ? rc : for_each(c, argc, argv, "restart", do_restart, &t);
}

static int do_kill(Engine *e, const char *name, void *ud, LadeError **err)
{
        return engine_container_kill(e, name, *(int *) ud, err);
}

int cmd_kill(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = { { "signal", required_argument, NULL, 's' }, { NULL, 0, NULL, 0 } };
        int sig = SIGKILL, o;
        while ((o = getopt_long(argc, argv, "s:", opts, NULL)) != -1) {
                if (o != 's')
                        return 125;
                sig = runtime_parse_signal(optarg);
                if (sig <= 0) {
                        fprintf(stderr, "Error response from daemon: Invalid signal: %s\n", optarg);
                        return 1;
                }
        }
        return for_each(c, argc, argv, "kill", do_kill, &sig);
}

static int do_pause(Engine *e, const char *name, void *ud, LadeError **err)
{
        return engine_container_pause(e, name, err);
}

static int do_unpause(Engine *e, const char *name, void *ud, LadeError **err)
{
        return engine_container_unpause(e, name, err);
}

int cmd_pause(Cli *c, int argc, char **argv)
{
        optind = 1;
        return for_each(c, argc, argv, "pause", do_pause, NULL);
}

int cmd_unpause(Cli *c, int argc, char **argv)
{
        optind = 1;
        return for_each(c, argc, argv, "unpause", do_unpause, NULL);
}

int cmd_wait(Cli *c, int argc, char **argv)
{
        if (argc < 2)
                return cli_usage("\"wait\" requires at least 1 argument.");
        int rc = 0;
        for (int i = 1; i < argc; i++) {
                LadeError *err = NULL;
                int status = 0;
                if (engine_container_wait(cli_engine(c), argv[i], NULL, &status, &err) < 0)
                        rc = cli_fail(err);
                else
                        printf("%d\n", status);
        }
        return rc;
}

int cmd_rename(Cli *c, int argc, char **argv)
{
        if (argc != 3)
                return cli_usage("\"rename\" requires exactly 2 arguments.");
        LadeError *err = NULL;
        if (engine_container_rename(cli_engine(c), argv[1], argv[2], &err) < 0)
                return cli_fail(err);
        return 0;
}

/* ---- logs ---- */

typedef struct LogsOut {
        bool timestamps;
} LogsOut;

static int print_line(const char *stream, int64_t ns, const char *line, size_t len, void *ud)
{
        LogsOut *o = ud;
        FILE *f = streq(stream, "stderr") ? stderr : stdout;
        if (o->timestamps) {
                time_t s = (time_t) (ns / 1000000000);
                struct tm tm;
                gmtime_r(&s, &tm);
                char buf[40];
                strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
                fprintf(f, "%s.%09lldZ ", buf, (long long) (ns % 1000000000));
        }
        fwrite(line, 1, len, f);
        fflush(f);
        return ferror(f) ? -EPIPE : 0;
}

/* --since/--until: RFC 3339, a unix timestamp, or a duration ago (10m, 1h30m, 45s). */
static int parse_since(const char *s, int64_t *ret)
{
        struct tm tm = { 0 };
        const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
        if (p && (*p == 0 || *p == 'Z' || *p == '.')) {
                *ret = (int64_t) timegm(&tm) * 1000000000;
                return 0;
        }
        char *end;
        double v = strtod(s, &end);
        if (end != s && *end == 0) {
                *ret = (int64_t) (v * 1e9);
                return 0;
        }
        int64_t total = 0;
        const char *q = s;
        while (*q) {
                double n = strtod(q, &end);
                if (end == q)
                        return -EINVAL;
                int64_t mul = *end == 'h' ? 3600000000000LL : *end == 'm' ? 60000000000LL : *end == 's' ? 1000000000LL : 0;
                if (!mul)
                        return -EINVAL;
                total += (int64_t) (n * (double) mul);
                q = end + 1;
        }
        *ret = realtime_ns_cli() - total;
        return 0;
}

int cmd_logs(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = { { "follow", no_argument, NULL, 'f' }, { "timestamps", no_argument, NULL, 't' },
                                              { "tail", required_argument, NULL, 'n' }, { "since", required_argument, NULL, 'S' },
                                              { "until", required_argument, NULL, 'U' }, { "details", no_argument, NULL, 'd' },
                                              { NULL, 0, NULL, 0 } };
        LogsOptions o = { .stdout_ = true, .stderr_ = true, .tail = -1, .cancel_fd = -1 };
        int opt;
        while ((opt = getopt_long(argc, argv, "ftn:", opts, NULL)) != -1) {
                if (opt == 'f') o.follow = true;
                else if (opt == 't') o.timestamps = true;
                else if (opt == 'n') o.tail = streq(optarg, "all") ? -1 : strtol(optarg, NULL, 10);
                else if (opt == 'S' || opt == 'U') {
                        int64_t ns;
                        if (parse_since(optarg, &ns) < 0)
                                return cli_usage("invalid value for \"%s\": %s", opt == 'S' ? "since" : "until", optarg);
                        *(opt == 'S' ? &o.since_ns : &o.until_ns) = ns;
                } else if (opt != 'd')
                        return 125;
        }
        if (argc - optind != 1)
                return cli_usage("\"logs\" requires exactly 1 argument.");
        LogsOut out = { .timestamps = o.timestamps };
        LadeError *err = NULL;
        if (engine_container_logs(cli_engine(c), argv[optind], &o, print_line, &out, &err) < 0)
                return cli_fail(err);
        return 0;
}

/* ---- exec ---- */

int cmd_exec(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = { { "detach", no_argument, NULL, 'd' }, { "interactive", no_argument, NULL, 'i' },
                                              { "tty", no_argument, NULL, 't' }, { "env", required_argument, NULL, 'e' },
                                              { "env-file", required_argument, NULL, 'E' }, { "user", required_argument, NULL, 'u' },
                                              { "workdir", required_argument, NULL, 'w' },
                                              { "privileged", no_argument, NULL, 'P' },
                                              { "detach-keys", required_argument, NULL, 'k' }, { NULL, 0, NULL, 0 } };
        ExecRequest req = { 0 };
        _cleanup_strv_free_ char **env = NULL;
        int o;
        while ((o = getopt_long(argc, argv, "+dite:u:w:", opts, NULL)) != -1) {
                switch (o) {
                case 'd': req.detach = true; break;
                case 'i': req.interactive = true; break;
                case 't': req.tty = true; break;
                case 'e': env = strv_append(env, optarg); break;
                case 'E': {
                        _cleanup_free_ char *text = NULL;
                        if (read_file_at(AT_FDCWD, optarg, 1 << 20, &text, NULL, NULL) < 0) {
                                fprintf(stderr, "open %s: no such file or directory\n", optarg);
                                return 125;
                        }
                        char *save = NULL;
                        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                                if (*l && *l != '#')
                                        env = strv_append(env, l);
                        break;
                }
                case 'u': req.user = optarg; break;
                case 'w': req.workdir = optarg; break;
                case 'P': req.privileged = true; break;
                case 'k': break;
                default: return 125;
                }
        }
        if (argc - optind < 2)
                return cli_usage("\"exec\" requires at least 2 arguments.");
        /* -e NAME without a value takes it from our environment, as Docker does */
        for (char **e = env; e && *e; e++)
                if (!strchr(*e, '=') && getenv(*e)) {
                        char *kv = xasprintf("%s=%s", *e, getenv(*e));
                        free(*e);
                        *e = kv;
                }
        req.env = env;
        req.cmd = argv + optind + 1;
        int status = 0;
        LadeError *err = NULL;
        if (engine_container_exec(cli_engine(c), argv[optind], &req, &status, &err) < 0) {
                fprintf(stderr, "Error response from daemon: %s\n", lade_error_message(err));
                lade_error_free(err);
                return status ? status : 1;
        }
        return status;
}

/* ---- inspect (containers first, then images, as docker inspect) ---- */

int cmd_inspect(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = { { "format", required_argument, NULL, 'f' },
                                              { "type", required_argument, NULL, 't' },
                                              { "size", no_argument, NULL, 's' }, { NULL, 0, NULL, 0 } };
        const char *format = NULL, *type = NULL;
        bool size = false;
        int o;
        while ((o = getopt_long(argc, argv, "f:s", opts, NULL)) != -1) {
                if (o == 'f') format = optarg;
                else if (o == 't') type = optarg;
                else if (o == 's') size = true;
                else return 125;
        }
        if (optind >= argc)
                return cli_usage("\"inspect\" requires at least 1 argument.");
        json_t *all = json_array();
        int rc = 0;
        for (int i = optind; i < argc; i++) {
                json_t *doc = NULL;
                if ((!type || streq(type, "container")) &&
                    engine_container_inspect(cli_engine(c), argv[i], &doc, NULL) == 0) {
                        int64_t rw, rootfs;
                        if (size && engine_container_size(cli_engine(c), argv[i], &rw, &rootfs, NULL) == 0) {
                                json_object_set_new(doc, "SizeRw", json_integer(rw));
                                json_object_set_new(doc, "SizeRootFs", json_integer(rootfs));
                        }
                        json_array_append_new(all, doc);
                        continue;
                }
                _cleanup_(image_info_freep) ImageInfo *info = NULL;
                if ((!type || streq(type, "image")) &&
                    image_store_resolve(engine_images(cli_engine(c)), argv[i], &info, NULL) == 0) {
                        json_array_append_new(all, engine_image_inspect_json(cli_engine(c), info));
                        continue;
                }
                fprintf(stderr, "Error: No such object: %s\n", argv[i]);
                rc = 1;
        }
        int frc = format_print_inspect(stdout, format, all);
        json_decref(all);
        return frc ? frc : rc;
}

/* ---- top ---- */

int cmd_top(Cli *c, int argc, char **argv)
{
        if (argc < 2)
                return cli_usage("\"top\" requires at least 1 argument.");
        /* `lade top CONTAINER [ps OPTIONS]`: the options joined, as the docker CLI sends them */
        _cleanup_free_ char *ps_args = xstrdup("");
        for (int i = 2; i < argc; i++) {
                char *t = xasprintf("%s%s%s", ps_args, *ps_args ? " " : "", argv[i]);
                free(ps_args);
                ps_args = t;
        }
        _cleanup_json_ json_t *doc = NULL;
        LadeError *err = NULL;
        if (engine_container_top(cli_engine(c), argv[1], ps_args, &doc, &err) < 0)
                return cli_fail(err);
        /* the docker CLI's tabwriter: columns at least 20 wide, 3 spaces of padding */
        json_t *titles = json_object_get(doc, "Titles"), *procs = json_object_get(doc, "Processes");
        size_t ncol = json_array_size(titles), *w = xmalloc0((ncol ? ncol : 1) * sizeof(size_t));
        json_t *row;
        size_t i;
        for (size_t k = 0; k < ncol; k++)
                w[k] = strlen(json_string_value(json_array_get(titles, k)) ?: "");
        json_array_foreach(procs, i, row)
                for (size_t k = 0; k < ncol; k++) {
                        size_t l = strlen(json_string_value(json_array_get(row, k)) ?: "");
                        w[k] = l > w[k] ? l : w[k];
                }
        for (size_t r = 0; r <= json_array_size(procs); r++) {
                json_t *line = r == 0 ? titles : json_array_get(procs, r - 1);
                for (size_t k = 0; k < ncol; k++) {
                        const char *v = json_string_value(json_array_get(line, k)) ?: "";
                        if (k + 1 == ncol)
                                printf("%s\n", v);
                        else
                                printf("%-*s", (int) (w[k] + 3 > 20 ? w[k] + 3 : 20), v);
                }
        }
        free(w);
        return 0;
}

/* ---- port ---- */

int cmd_port(Cli *c, int argc, char **argv)
{
        if (argc < 2)
                return cli_usage("\"port\" requires at least 1 argument.");
        json_t *doc = NULL;
        LadeError *err = NULL;
        if (engine_container_inspect(cli_engine(c), argv[1], &doc, &err) < 0)
                return cli_fail(err);
        json_t *ports = json_object_get(json_object_get(doc, "NetworkSettings"), "Ports");
        const char *key;
        json_t *binds;
        bool found = false;
        json_object_foreach(ports, key, binds) {
                if (argc > 2) {
                        _cleanup_free_ char *want = strchr(argv[2], '/') ? xstrdup(argv[2]) : xasprintf("%s/tcp", argv[2]);
                        if (!streq(want, key))
                                continue;
                }
                size_t i;
                json_t *b;
                json_array_foreach(binds, i, b) {
                        const char *ip = json_string_value(json_object_get(b, "HostIp"));
                        if (argc > 2)
                                printf("%s:%s\n", ip, json_string_value(json_object_get(b, "HostPort")));
                        else
                                printf("%s -> %s:%s\n", key, ip, json_string_value(json_object_get(b, "HostPort")));
                        found = true;
                }
        }
        json_decref(doc);
        if (argc > 2 && !found) {
                fprintf(stderr, "Error: No public port '%s' published for %s\n", argv[2], argv[1]);
                return 1;
        }
        return 0;
}

/* ---- container prune ---- */

int cmd_container_prune(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = { { "force", no_argument, NULL, 'f' }, { "filter", required_argument, NULL, 'F' },
                                              { NULL, 0, NULL, 0 } };
        _cleanup_(engine_filters_freep) EngineFilters *filters = engine_filters_new();
        LadeError *err = NULL;
        bool force = false;
        int o;
        while ((o = getopt_long(argc, argv, "f", opts, NULL)) != -1) {
                if (o == 'f')
                        force = true;
                else if (o == 'F') {
                        if (engine_filters_add_arg(filters, optarg, &err) < 0)
                                return cli_fail(err);
                } else
                        return 125;
        }
        if (!force) {
                fputs("WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ", stdout);
                fflush(stdout);
                char buf[16] = "";
                if (!fgets(buf, sizeof(buf), stdin) || (buf[0] != 'y' && buf[0] != 'Y'))
                        return 0;
        }
        _cleanup_strv_free_ char **ids = NULL;
        uint64_t freed = 0;
        if (engine_container_prune(cli_engine(c), filters, &ids, &freed, &err) < 0)
                return cli_fail(err);
        if (ids && *ids) {
                printf("Deleted Containers:\n");
                for (char **i = ids; *i; i++)
                        printf("%s\n", *i);
                printf("\n");
        }
        _cleanup_free_ char *sz = format_size((int64_t) freed);
        printf("Total reclaimed space: %s\n", sz);
        return 0;
}

/* ---- system boot ---- */

int cmd_system_boot(Cli *c, int argc, char **argv)
{
        _cleanup_strv_free_ char **started = NULL;
        LadeError *err = NULL;
        if (engine_containers_boot(cli_engine(c), &started, &err) < 0)
                return cli_fail(err);
        for (char **s = started; s && *s; s++)
                printf("%s\n", *s);
        return 0;
}

/* ---- stats ---- */

static uint64_t jnum(json_t *o, const char *path)
{
        _cleanup_free_ char *p = xstrdup(path);
        char *save = NULL;
        for (char *k = strtok_r(p, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
                o = json_object_get(o, k);
        return json_is_integer(o) ? (uint64_t) json_integer_value(o) : 0;
}

/* Docker's binary units for memory ("1.5MiB") and decimal for I/O ("1.2kB"). */
static char *bytes_iec(uint64_t v)
{
        static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
        double d = (double) v;
        size_t i = 0;
        while (d >= 1024.0 && i + 1 < ELEMENTSOF(u)) {
                d /= 1024.0;
                i++;
        }
        return xasprintf("%.4g%s", d, u[i]);
}

/* One row of `docker stats`: CPU % from two samples, memory without the page cache. */
static json_t *stats_row(json_t *prev, json_t *cur, bool no_trunc)
{
        double cpu = 0;
        uint64_t dc = jnum(cur, "cpu_stats.cpu_usage.total_usage") - jnum(prev, "cpu_stats.cpu_usage.total_usage");
        uint64_t ds = jnum(cur, "cpu_stats.system_cpu_usage") - jnum(prev, "cpu_stats.system_cpu_usage");
        uint64_t ncpu = jnum(cur, "cpu_stats.online_cpus");
        if (ds > 0 && dc > 0)
                cpu = (double) dc / (double) ds * (double) (ncpu ? ncpu : 1) * 100.0;
        json_t *mem = json_object_get(cur, "memory_stats");
        uint64_t cache = jnum(mem, "stats.total_inactive_file") ? jnum(mem, "stats.total_inactive_file")
                                                                 : jnum(mem, "stats.inactive_file");
        uint64_t usage = jnum(mem, "usage") > cache ? jnum(mem, "usage") - cache : 0, limit = jnum(mem, "limit");
        uint64_t rx = 0, tx = 0, rd = 0, wr = 0;
        const char *k;
        json_t *v;
        json_object_foreach(json_object_get(cur, "networks"), k, v) {
                rx += jnum(v, "rx_bytes");
                tx += jnum(v, "tx_bytes");
        }
        size_t i;
        json_array_foreach(json_object_get(json_object_get(cur, "blkio_stats"), "io_service_bytes_recursive"), i, v) {
                const char *op = json_string_value(json_object_get(v, "op"));
                if (op && strcasecmp(op, "read") == 0)
                        rd += jnum(v, "value");
                else if (op && strcasecmp(op, "write") == 0)
                        wr += jnum(v, "value");
        }
        const char *id = json_string_value(json_object_get(cur, "id"));
        const char *name = json_string_value(json_object_get(cur, "name"));
        _cleanup_free_ char *mu = bytes_iec(usage), *ml = bytes_iec(limit), *nrx = format_size((int64_t) rx),
                            *ntx = format_size((int64_t) tx), *brd = format_size((int64_t) rd),
                            *bwr = format_size((int64_t) wr);
        char cpus[32], memp[32], pids[32], sid[65];
        snprintf(cpus, sizeof(cpus), "%.2f%%", cpu);
        snprintf(memp, sizeof(memp), "%.2f%%", limit ? (double) usage / (double) limit * 100.0 : 0.0);
        snprintf(pids, sizeof(pids), "%llu", (unsigned long long) jnum(cur, "pids_stats.current"));
        snprintf(sid, sizeof(sid), no_trunc ? "%s" : "%.12s", id ? id : "");
        _cleanup_free_ char *memu = xasprintf("%s / %s", mu, ml), *net = xasprintf("%s / %s", nrx, ntx),
                            *blk = xasprintf("%s / %s", brd, bwr);
        return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", sid, "Container", sid, "Name",
                         name && *name == '/' ? name + 1 : name ? name : "", "CPUPerc", cpus, "MemUsage", memu,
                         "MemPerc", memp, "NetIO", net, "BlockIO", blk, "PIDs", pids);
}

int cmd_stats(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = { { "no-stream", no_argument, NULL, 'n' }, { "all", no_argument, NULL, 'a' },
                                              { "no-trunc", no_argument, NULL, 'N' },
                                              { "format", required_argument, NULL, 'F' }, { NULL, 0, NULL, 0 } };
        bool all = false, no_trunc = false;
        const char *format = NULL;
        int o;
        while ((o = getopt_long(argc, argv, "a", opts, NULL)) != -1) {
                if (o == 'a') all = true;
                else if (o == 'N') no_trunc = true;
                else if (o == 'F') format = optarg;
                else if (o != 'n') return 125;
        }
        /* one sample (as --no-stream) of the named containers, or of the running ones */
        _cleanup_strv_free_ char **names = NULL;
        for (int i = optind; i < argc; i++)
                names = strv_append(names, argv[i]);
        if (!names) {
                ContainerInfo **l = NULL;
                size_t n = 0;
                LadeError *err = NULL;
                if (engine_container_list(cli_engine(c), all, &l, &n, &err) < 0)
                        return cli_fail(err);
                names = xmalloc0(sizeof(char *));
                for (size_t i = 0; i < n; i++)
                        names = strv_append(names, l[i]->id);
                container_info_list_free(l, n);
        }
        size_t n = strv_length(names);
        json_t **prev = xmalloc0((n + 1) * sizeof(json_t *));
        int rc = 0;
        for (size_t i = 0; i < n; i++) {
                LadeError *err = NULL;
                if (engine_container_stats(cli_engine(c), names[i], &prev[i], &err) < 0)
                        rc = cli_fail(err);
        }
        /* CPU % needs two samples: Docker's CLI waits for the second one too */
        (void) usleep(n ? 500000 : 0);
        json_t *rows = json_array();
        for (size_t i = 0; i < n; i++) {
                json_t *cur = NULL;
                if (prev[i] && engine_container_stats(cli_engine(c), names[i], &cur, NULL) == 0)
                        json_array_append_new(rows, stats_row(prev[i], cur, no_trunc));
                json_decref(cur);
                json_decref(prev[i]);
        }
        free(prev);
        json_t *h = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", "CONTAINER ID", "Container", "CONTAINER",
                              "Name", "NAME", "CPUPerc", "CPU %", "MemUsage", "MEM USAGE / LIMIT", "MemPerc", "MEM %",
                              "NetIO", "NET I/O", "BlockIO", "BLOCK I/O", "PIDs", "PIDS");
        int frc = format_print(stdout, format,
                     "{{.ID}}\\t{{.Name}}\\t{{.CPUPerc}}\\t{{.MemUsage}}\\t{{.MemPerc}}\\t{{.NetIO}}\\t{{.BlockIO}}\\t{{.PIDs}}",
                     h, rows);
        json_decref(h);
        json_decref(rows);
        return frc ? frc : rc;
}

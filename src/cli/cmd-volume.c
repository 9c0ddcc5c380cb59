/* volume create, ls, inspect, rm, prune: Docker's flags, tables, messages and exit codes over
 * engine_volume_*(). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "format.h"
#include "json-util.h"
#include "util.h"
#include "volumes.h"

/* The docker CLI's argument-count errors: exit status 1. */
static int vol_usage(const char *verb, const char *what)
{
        fprintf(stderr, "\"docker volume %s\" requires %s.\nSee 'lade volume %s --help'.\n", verb, what, verb);
        return 1;
}

/* -o k=v and --label k=v (a lone key is an empty value, as the docker CLI's MapOpts/ListOpts). */
static int add_kv(json_t *map, const char *kv, const char *flag)
{
        const char *eq = strchr(kv, '=');
        _cleanup_free_ char *k = eq ? xstrndup(kv, (size_t) (eq - kv)) : xstrdup(kv);
        if (!*k) {
                fprintf(stderr, "invalid argument \"%s\" for \"%s\" flag: invalid %s format\n", kv, flag,
                        streq(flag, "--label") ? "label" : "option");
                return -EINVAL;
        }
        json_object_set_new(map, k, json_string(eq ? eq + 1 : ""));
        return 0;
}

int cmd_volume_create(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = {
                { "driver", required_argument, NULL, 'd' }, { "opt", required_argument, NULL, 'o' },
                { "label", required_argument, NULL, 'l' }, { "name", required_argument, NULL, 'n' },
                { NULL, 0, NULL, 0 },
        };
        const char *driver = "local", *name = NULL;
        _cleanup_json_ json_t *options = json_object(), *labels = json_object();
        int o;
        while ((o = getopt_long(argc, argv, "d:o:", opts, NULL)) != -1) {
                switch (o) {
                case 'd': driver = optarg; break;
                case 'n': name = optarg; break;
                case 'o':
                        if (add_kv(options, optarg, "--opt") < 0)
                                return 1;
                        break;
                case 'l':
                        if (add_kv(labels, optarg, "--label") < 0)
                                return 1;
                        break;
                default: return 1;
                }
        }
        if (argc - optind > 1)
                return vol_usage("create", "at most 1 argument");
        if (argc - optind == 1 && name) {
                fprintf(stderr, "conflicting options: cannot specify a volume-name through both --name and "
                        "as a positional arg\n");
                return 1;
        }
        if (argc - optind == 1)
                name = argv[optind];
        _cleanup_json_ json_t *v = NULL;
        LadeError *err = NULL;
        if (engine_volume_create(cli_engine(c), name, driver, options, labels, &v, &err) < 0)
                return cli_fail(err);
        printf("%s\n", json_string_value(json_object_get(v, "Name")));
        return 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static char *labels_text(json_t *labels)
{
        _cleanup_strv_free_ char **kv = NULL;
        const char *k;
        json_t *v;
        json_object_foreach(labels, k, v) {
                _cleanup_free_ char *s = xasprintf("%s=%s", k, json_string_value(v));
                kv = strv_append(kv, s);
        }
        char *out = xstrdup("");
        if (kv)
                qsort(kv, strv_length(kv), sizeof(char *), cmp_str);
        for (char **p = kv; p && *p; p++) {
                char *t = xasprintf("%s%s%s", out, *out ? "," : "", *p);
                free(out);
                out = t;
        }
        return out;
}

/* The docker CLI's volume formatter: what a --format template can name. */
static json_t *ls_row(json_t *v)
{
        _cleanup_free_ char *labels = labels_text(json_object_get(v, "Labels"));
        return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "Availability", "N/A", "Driver",
                         json_string_value(json_object_get(v, "Driver")), "Group", "N/A", "Labels", labels,
                         "Links", "N/A", "Mountpoint", json_string_value(json_object_get(v, "Mountpoint")),
                         "Name", json_string_value(json_object_get(v, "Name")), "Scope", "local", "Size", "N/A",
                         "Status", "N/A");
}

int cmd_volume_ls(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = {
                { "quiet", no_argument, NULL, 'q' }, { "filter", required_argument, NULL, 'f' },
                { "format", required_argument, NULL, 'F' }, { "cluster", no_argument, NULL, 'c' },
                { NULL, 0, NULL, 0 },
        };
        bool quiet = false;
        const char *format = NULL;
        _cleanup_(engine_filters_freep) EngineFilters *filters = engine_filters_new();
        LadeError *err = NULL;
        int o;
        while ((o = getopt_long(argc, argv, "qf:", opts, NULL)) != -1) {
                switch (o) {
                case 'q': quiet = true; break;
                case 'F': format = optarg; break;
                case 'c': break;
                case 'f':
                        if (engine_filters_add_arg(filters, optarg, &err) < 0)
                                return cli_fail(err);
                        break;
                default: return 1;
                }
        }
        _cleanup_json_ json_t *all = NULL;
        if (engine_volume_list(cli_engine(c), filters, &all, &err) < 0)
                return cli_fail(err);
        size_t i;
        json_t *v;
        if (quiet) {
                json_array_foreach(all, i, v)
                        printf("%s\n", json_string_value(json_object_get(v, "Name")));
                return 0;
        }
        _cleanup_json_ json_t *rows = json_array();
        json_array_foreach(all, i, v)
                json_array_append_new(rows, ls_row(v));
        _cleanup_json_ json_t *h = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "Availability",
                                             "AVAILABILITY", "Driver", "DRIVER", "Group", "GROUP", "Labels",
                                             "LABELS", "Links", "LINKS", "Mountpoint", "MOUNTPOINT", "Name",
                                             "VOLUME NAME", "Scope", "SCOPE", "Size", "SIZE", "Status", "STATUS");
        return format_print(stdout, format, "{{.Driver}}\\t{{.Name}}", h, rows);
}

int cmd_volume_inspect(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = { { "format", required_argument, NULL, 'f' }, { NULL, 0, NULL, 0 } };
        const char *format = NULL;
        int o;
        while ((o = getopt_long(argc, argv, "f:", opts, NULL)) != -1) {
                if (o == 'f') format = optarg;
                else return 1;
        }
        if (optind >= argc)
                return vol_usage("inspect", "at least 1 argument");
        _cleanup_json_ json_t *all = json_array();
        int rc = 0;
        for (int i = optind; i < argc; i++) {
                json_t *one = NULL;
                LadeError *err = NULL;
                if (engine_volume_inspect(cli_engine(c), argv[i], &one, &err) < 0) {
                        rc = cli_fail(err);
                        continue;
                }
                json_array_append_new(all, one);
        }
        int frc = format_print_inspect(stdout, format, all);
        return frc ? frc : rc;
}

int cmd_volume_rm(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = { { "force", no_argument, NULL, 'f' }, { NULL, 0, NULL, 0 } };
        bool force = false;
        int o;
        while ((o = getopt_long(argc, argv, "f", opts, NULL)) != -1) {
                if (o == 'f') force = true;
                else return 1;
        }
        if (optind >= argc)
                return vol_usage("rm", "at least 1 argument");
        int rc = 0;
        for (int i = optind; i < argc; i++) {
                LadeError *err = NULL;
                if (engine_volume_remove(cli_engine(c), argv[i], force, &err) < 0)
                        rc = cli_fail(err);
                else
                        printf("%s\n", argv[i]);
        }
        return rc;
}

static bool confirm(bool all)
{
        printf("WARNING! This will remove %s local volumes not used by at least one container.\n"
               "Are you sure you want to continue? [y/N] ", all ? "all" : "anonymous");
        fflush(stdout);
        char line[16] = "";
        return fgets(line, sizeof(line), stdin) && (line[0] == 'y' || line[0] == 'Y');
}

int cmd_volume_prune(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = {
                { "all", no_argument, NULL, 'a' }, { "force", no_argument, NULL, 'f' },
                { "filter", required_argument, NULL, 'F' }, { NULL, 0, NULL, 0 },
        };
        bool force = false, all = false;
        _cleanup_(engine_filters_freep) EngineFilters *filters = engine_filters_new();
        LadeError *err = NULL;
        int o;
        while ((o = getopt_long(argc, argv, "af", opts, NULL)) != -1) {
                switch (o) {
                case 'a': all = true; break;
                case 'f': force = true; break;
                case 'F':
                        if (engine_filters_add_arg(filters, optarg, &err) < 0)
                                return cli_fail(err);
                        break;
                default: return 1;
                }
        }
        /* the docker CLI: --all is the filter all=true */
        if (all && !engine_filters_has(filters, "all") && engine_filters_add(filters, "all", "true", &err) < 0)
                return cli_fail(err);
        if (!force && !confirm(all))
                return 0;
        _cleanup_json_ json_t *names = NULL;
        uint64_t freed = 0;
        if (engine_volume_prune(cli_engine(c), filters, &names, &freed, &err) < 0)
                return cli_fail(err);
        format_print_deleted("Deleted Volumes", names);
        _cleanup_free_ char *sz = format_size((int64_t) freed);
        printf("Total reclaimed space: %s\n", sz);
        return 0;
}

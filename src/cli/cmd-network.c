/* network create, ls, inspect, rm, prune (Docker's flags, tables and messages). connect and
 * disconnect need a running container's pid, which the container code owns: the engine has
 * engine_network_connect/disconnect for them. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "containers.h"
#include "format.h"
#include "json-util.h"
#include "network.h"
#include "util.h"

/* The docker CLI's argument-count errors: exit status 1. */
static int net_usage(const char *verb, const char *what)
{
        fprintf(stderr, "\"docker network %s\" requires %s.\nSee 'lade network %s --help'.\n", verb,
                what, verb);
        return 1;
}

static int add_label(json_t *labels, const char *kv)
{
        const char *eq = strchr(kv, '=');
        _cleanup_free_ char *k = eq ? xstrndup(kv, (size_t) (eq - kv)) : xstrdup(kv);
        if (!*k) {
                fprintf(stderr, "invalid argument \"%s\" for \"--label\" flag: invalid label format\n", kv);
                return -EINVAL;
        }
        json_object_set_new(labels, k, json_string(eq ? eq + 1 : ""));
        return 0;
}

int cmd_network_create(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = {
                { "driver", required_argument, NULL, 'd' }, { "subnet", required_argument, NULL, 's' },
                { "gateway", required_argument, NULL, 'g' }, { "internal", no_argument, NULL, 'i' },
                { "label", required_argument, NULL, 'l' }, { NULL, 0, NULL, 0 },
        };
        const char *driver = "bridge", *subnet = NULL, *gateway = NULL;
        bool internal = false;
        _cleanup_json_ json_t *labels = json_object();
        int o;
        while ((o = getopt_long(argc, argv, "d:", opts, NULL)) != -1) {
                switch (o) {
                case 'd': driver = optarg; break;
                case 's':
                        if (subnet) {
                                fprintf(stderr, "Error response from daemon: lade supports one --subnet per network\n");
                                return 1;
                        }
                        subnet = optarg;
                        break;
                case 'g': gateway = optarg; break;
                case 'i': internal = true; break;
                case 'l':
                        if (add_label(labels, optarg) < 0)
                                return 1;
                        break;
                default: return 1;
                }
        }
        if (argc - optind != 1)
                return net_usage("create", "exactly 1 argument");
        _cleanup_free_ char *id = NULL;
        LadeError *err = NULL;
        if (engine_network_create(cli_engine(c), argv[optind], driver, subnet, gateway, internal,
                                  labels, &id, &err) < 0)
                return cli_fail(err);
        printf("%s\n", id);
        return 0;
}

static char *labels_text(json_t *labels)
{
        char *out = xstrdup("");
        const char *k;
        json_t *v;
        json_object_foreach(labels, k, v) {
                char *t = xasprintf("%s%s%s=%s", out, *out ? "," : "", k, json_string_value(v));
                free(out);
                out = t;
        }
        return out;
}

static bool filter_ok(json_t *n, const char *f)
{
        const char *eq = strchr(f, '=');
        const char *val = eq + 1;
        const char *id = json_string_value(json_object_get(n, "Id"));
        const char *name = json_string_value(json_object_get(n, "Name"));
        const char *driver = json_string_value(json_object_get(n, "Driver"));
        bool builtin = streq(name, "bridge") || streq(name, "host") || streq(name, "none");
        if (startswith(f, "name="))
                return strstr(name, val) != NULL;
        if (startswith(f, "id="))
                return startswith(id, val);
        if (startswith(f, "driver="))
                return streq(driver, val);
        if (startswith(f, "scope="))
                return streq(val, "local");
        if (startswith(f, "type="))
                return streq(val, builtin ? "builtin" : "custom");
        if (startswith(f, "label=")) {
                const char *veq = strchr(val, '=');
                _cleanup_free_ char *k = veq ? xstrndup(val, (size_t) (veq - val)) : xstrdup(val);
                json_t *lv = json_object_get(json_object_get(n, "Labels"), k);
                return lv && (!veq || streq(json_string_value(lv), veq + 1));
        }
        return false;
}

/* Docker ANDs different filter keys and ORs values of one key. */
static bool matches(json_t *n, char **filters)
{
        static const char *const keys[] = { "name=", "id=", "driver=", "scope=", "type=", "label=" };
        for (size_t k = 0; k < ELEMENTSOF(keys); k++) {
                bool any = false, seen = false;
                for (char **f = filters; f && *f; f++)
                        if (startswith(*f, keys[k])) {
                                seen = true;
                                any = any || filter_ok(n, *f);
                        }
                if (seen && !any)
                        return false;
        }
        return true;
}

static json_t *ls_row(json_t *n, bool no_trunc)
{
        const char *id = json_string_value(json_object_get(n, "Id"));
        _cleanup_free_ char *sid = no_trunc ? xstrdup(id) : xstrndup(id, 12);
        _cleanup_free_ char *labels = labels_text(json_object_get(n, "Labels"));
        return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", sid, "Name",
                         json_string_value(json_object_get(n, "Name")), "Driver",
                         json_string_value(json_object_get(n, "Driver")), "Scope", "local", "IPv6",
                         "false", "Internal",
                         json_is_true(json_object_get(n, "Internal")) ? "true" : "false", "Labels",
                         labels, "CreatedAt", json_string_value(json_object_get(n, "Created")));
}

static int parse_filter(char ***filters, const char *f)
{
        static const char *const known[] = { "name=", "id=", "driver=", "scope=", "type=", "label=", NULL };
        for (size_t k = 0; known[k]; k++)
                if (startswith(f, known[k])) {
                        *filters = strv_append(*filters, f);
                        return 0;
                }
        fprintf(stderr, "Error response from daemon: invalid filter '%.*s'\n", (int) strcspn(f, "="), f);
        return -EINVAL;
}

int cmd_network_ls(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = {
                { "quiet", no_argument, NULL, 'q' }, { "filter", required_argument, NULL, 'f' },
                { "format", required_argument, NULL, 'F' }, { "no-trunc", no_argument, NULL, 'n' },
                { NULL, 0, NULL, 0 },
        };
        bool quiet = false, no_trunc = false;
        const char *format = NULL;
        _cleanup_strv_free_ char **filters = NULL;
        int o;
        while ((o = getopt_long(argc, argv, "qf:", opts, NULL)) != -1) {
                if (o == 'q') quiet = true;
                else if (o == 'n') no_trunc = true;
                else if (o == 'F') format = optarg;
                else if (o != 'f' || parse_filter(&filters, optarg) < 0) return 1;
        }
        _cleanup_json_ json_t *all = NULL;
        LadeError *err = NULL;
        if (engine_network_list(cli_engine(c), &all, &err) < 0)
                return cli_fail(err);
        _cleanup_json_ json_t *rows = json_array();
        size_t i;
        json_t *n;
        json_array_foreach(all, i, n)
                if (matches(n, filters))
                        json_array_append_new(rows, ls_row(n, no_trunc));
        if (quiet) {
                json_array_foreach(rows, i, n)
                        printf("%s\n", json_string_value(json_object_get(n, "ID")));
                return 0;
        }
        _cleanup_json_ json_t *h = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", "NETWORK ID",
                                                       "Name", "NAME", "Driver", "DRIVER", "Scope", "SCOPE",
                                                       "IPv6", "IPV6", "Internal", "INTERNAL", "Labels",
                                                       "LABELS", "CreatedAt", "CREATED AT");
        return format_print(stdout, format, "{{.ID}}\\t{{.Name}}\\t{{.Driver}}\\t{{.Scope}}", h, rows);
}

int cmd_network_inspect(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = { { "format", required_argument, NULL, 'f' },
                                              { "verbose", no_argument, NULL, 'v' }, { NULL, 0, NULL, 0 } };
        const char *format = NULL;
        int o;
        while ((o = getopt_long(argc, argv, "f:v", opts, NULL)) != -1) {
                if (o == 'f') format = optarg;
                else if (o != 'v') return 1;
        }
        if (optind >= argc)
                return net_usage("inspect", "at least 1 argument");
        _cleanup_json_ json_t *all = json_array();
        int rc = 0;
        for (int i = optind; i < argc; i++) {
                json_t *one = NULL;
                LadeError *err = NULL;
                if (engine_network_inspect_json(cli_engine(c), argv[i], &one, &err) < 0) {
                        rc = cli_fail(err);
                        continue;
                }
                json_array_append_new(all, one);
        }
        int frc = format_print_inspect(stdout, format, all);
        return frc ? frc : rc;
}

int cmd_network_rm(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = { { "force", no_argument, NULL, 'f' }, { NULL, 0, NULL, 0 } };
        bool force = false;
        int o;
        while ((o = getopt_long(argc, argv, "f", opts, NULL)) != -1) {
                if (o == 'f') force = true;
                else return 1;
        }
        if (optind >= argc)
                return net_usage("rm", "at least 1 argument");
        int rc = 0;
        for (int i = optind; i < argc; i++) {
                LadeError *err = NULL;
                int r = engine_network_remove(cli_engine(c), argv[i], &err);
                /* -f: a network that does not exist is not an error */
                if (r == -ENOENT && force) {
                        lade_error_free(err);
                        continue;
                }
                if (r < 0)
                        rc = cli_fail(err);
                else
                        printf("%s\n", argv[i]);
        }
        return rc;
}

int cmd_network_prune(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = { { "force", no_argument, NULL, 'f' },
                                              { "filter", required_argument, NULL, 'F' }, { NULL, 0, NULL, 0 } };
        bool force = false;
        int o;
        while ((o = getopt_long(argc, argv, "f", opts, NULL)) != -1) {
                if (o == 'f') force = true;
                else if (o == 'F') {
                        fprintf(stderr, "Error response from daemon: lade network prune has no filters yet\n");
                        return 1;
                } else return 1;
        }
        if (!force) {
                fputs("WARNING! This will remove all custom networks not used by at least one container.\n"
                      "Are you sure you want to continue? [y/N] ", stdout);
                fflush(stdout);
                char line[16] = "";
                if (!fgets(line, sizeof(line), stdin) || (line[0] != 'y' && line[0] != 'Y'))
                        return 0;
        }
        _cleanup_json_ json_t *names = NULL;
        LadeError *err = NULL;
        if (engine_network_prune(cli_engine(c), &names, &err) < 0)
                return cli_fail(err);
        format_print_deleted("Deleted Networks", names);
        return 0;
}

/* `network connect [--alias A]... [--ip IP] NETWORK CONTAINER`, `network disconnect [-f]
 * NETWORK CONTAINER`: the engine does the work for a running container and for one that is not. */
int cmd_network_connect(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = { { "alias", required_argument, NULL, 'a' }, { "ip", required_argument, NULL, 'i' },
                                              { "ip6", required_argument, NULL, '6' }, { "link", required_argument, NULL, 'l' },
                                              { "driver-opt", required_argument, NULL, 'd' }, { NULL, 0, NULL, 0 } };
        _cleanup_json_ json_t *ep = json_object();
        json_t *aliases = json_array();
        json_object_set_new(ep, "Aliases", aliases);
        int o;
        while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                if (o == 'a')
                        json_array_append_new(aliases, json_string(optarg));
                else if (o == 'i')
                        json_object_set_new(ep, "IPAMConfig", json_pack("{s:s}", "IPv4Address", optarg));
                else if (o == '?')
                        return 125;
        }
        if (argc - optind != 2)
                return cli_usage("\"network connect\" requires exactly 2 arguments.");
        LadeError *err = NULL;
        if (engine_container_network_connect(cli_engine(c), argv[optind + 1], argv[optind], ep, &err) < 0)
                return cli_fail(err);
        return 0;
}

int cmd_network_disconnect(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = { { "force", no_argument, NULL, 'f' }, { NULL, 0, NULL, 0 } };
        int o;
        while ((o = getopt_long(argc, argv, "f", opts, NULL)) != -1)
                if (o != 'f')
                        return 125;
        if (argc - optind != 2)
                return cli_usage("\"network disconnect\" requires exactly 2 arguments.");
        LadeError *err = NULL;
        if (engine_container_network_disconnect(cli_engine(c), argv[optind + 1], argv[optind], &err) < 0)
                return cli_fail(err);
        return 0;
}

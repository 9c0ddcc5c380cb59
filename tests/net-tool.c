/* net-tool: a thin driver of the engine's networking for the integration tests.
 *
 *   net-tool ROOT attach CID NAME PID [--network N] [--ip IP] [--alias A]... [--ports JSON]
 *                                     [--exposed JSON] [-P]      NetAttachResult as JSON
 *   net-tool ROOT detach CID
 *   net-tool ROOT disconnect NETWORK CID
 *   net-tool ROOT check-ports JSON                                HostConfig.PortBindings
 *   net-tool ROOT hosts CID                                       the managed hosts lines
 *   net-tool ROOT hosts-update CID
 *   net-tool ROOT prune                                           pruned names, one a line */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json-util.h"
#include "log.h"
#include "network.h"
#include "util.h"

static int fail(LadeError *err)
{
        fprintf(stderr, "net-tool: %s\n", lade_error_message(err));
        lade_error_free(err);
        return 1;
}

static json_t *arg_json(const char *s)
{
        json_t *j = json_loads(s, 0, NULL);
        if (!j) {
                fprintf(stderr, "net-tool: bad JSON: %s\n", s);
                exit(2);
        }
        return j;
}

static void print_result(const NetAttachResult *r)
{
        json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:O}", "NetworkID", r->network_id,
                              "IPAddress", r->ipv4, "Gateway", r->gateway, "MacAddress", r->mac,
                              "Bridge", r->bridge, "IPPrefixLen", r->prefix_len, "Ports", r->ports);
        char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
        printf("%s\n", s);
        free(s);
        json_decref(o);
}

static int attach(Engine *e, int argc, char **argv)
{
        static const struct option opts[] = {
                { "network", required_argument, NULL, 'n' }, { "ip", required_argument, NULL, 'i' },
                { "alias", required_argument, NULL, 'a' }, { "ports", required_argument, NULL, 'p' },
                { "exposed", required_argument, NULL, 'x' }, { NULL, 0, NULL, 0 },
        };
        NetAttachRequest req = { 0 };
        _cleanup_strv_free_ char **aliases = NULL;
        _cleanup_json_ json_t *ports = NULL, *exposed = NULL;
        int o;
        while ((o = getopt_long(argc, argv, "P", opts, NULL)) != -1) {
                switch (o) {
                case 'n': req.network = optarg; break;
                case 'i': req.ipv4 = optarg; break;
                case 'a': aliases = strv_append(aliases, optarg); break;
                case 'p': ports = arg_json(optarg); break;
                case 'x': exposed = arg_json(optarg); break;
                case 'P': req.publish_all = true; break;
                default: return 2;
                }
        }
        if (argc - optind != 3)
                return 2;
        req.container_id = argv[optind];
        req.container_name = req.hostname = argv[optind + 1];
        req.pid = atoi(argv[optind + 2]);
        req.aliases = aliases;
        req.port_bindings = ports;
        req.exposed_ports = exposed;
        NetAttachResult res = { 0 };
        LadeError *err = NULL;
        if (engine_network_attach(e, &req, &res, &err) < 0)
                return fail(err);
        print_result(&res);
        net_attach_result_clear(&res);
        return 0;
}

static int run(Engine *e, const char *verb, int argc, char **argv)
{
        LadeError *err = NULL;
        int r;
        if (streq(verb, "attach"))
                return attach(e, argc, argv);
        if (streq(verb, "detach") && argc == 2)
                r = engine_network_detach(e, argv[1], &err);
        else if (streq(verb, "disconnect") && argc == 3)
                r = engine_network_disconnect(e, argv[1], argv[2], &err);
        else if (streq(verb, "check-ports") && argc == 2) {
                _cleanup_json_ json_t *b = arg_json(argv[1]);
                r = engine_network_check_ports(e, b, &err);
        } else if (streq(verb, "hosts") && argc == 2) {
                _cleanup_free_ char *text = NULL;
                r = engine_network_hosts_entries(e, argv[1], &text, &err);
                if (r == 0)
                        fputs(text, stdout);
        } else if (streq(verb, "hosts-update") && argc == 2)
                r = engine_network_hosts_update(e, argv[1], &err);
        else if (streq(verb, "prune") && argc == 1) {
                _cleanup_json_ json_t *names = NULL;
                r = engine_network_prune(e, &names, &err);
                size_t i;
                json_t *v;
                json_array_foreach(names, i, v)
                        printf("%s\n", json_string_value(v));
        } else
                return 2;
        return r < 0 ? fail(err) : 0;
}

int main(int argc, char **argv)
{
        if (argc < 3) {
                fprintf(stderr, "usage: net-tool ROOT attach|detach|disconnect|check-ports|hosts|"
                                "hosts-update|prune ARGS...\n");
                return 2;
        }
        if (getenv("NET_TOOL_DEBUG"))
                log_set_level(LOG_LEVEL_DEBUG);
        EngineOptions o = { .root = argv[1] };
        Engine *e = NULL;
        LadeError *err = NULL;
        if (engine_open(&o, &e, &err) < 0)
                return fail(err);
        int r = run(e, argv[2], argc - 2, argv + 2);
        engine_free(e);
        if (r == 2)
                fprintf(stderr, "net-tool: bad usage of %s\n", argv[2]);
        return r;
}

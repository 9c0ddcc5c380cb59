/* update: docker update's flags -> the POST /containers/{id}/update body the docker CLI sends,
 * given to the engine for each container (the same call as the API's). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "containers.h"
#include "json-util.h"
#include "run-flags-internal.h"
#include "util.h"

typedef enum UpdateKind { UK_INT, UK_UINT16, UK_BYTES, UK_MEMSWAP, UK_CPUS, UK_STRING } UpdateKind;

typedef struct UpdateFlag {
        const char *name;
        char shorthand;
        const char *key;       /* the body's field; NULL: --restart */
        UpdateKind kind;
} UpdateFlag;

static const UpdateFlag update_flags[] = {
        { "blkio-weight", 0, "BlkioWeight", UK_UINT16 },
        { "cpu-period", 0, "CpuPeriod", UK_INT },
        { "cpu-quota", 0, "CpuQuota", UK_INT },
        { "cpu-rt-period", 0, "CpuRealtimePeriod", UK_INT },
        { "cpu-rt-runtime", 0, "CpuRealtimeRuntime", UK_INT },
        { "cpu-shares", 'c', "CpuShares", UK_INT },
        { "cpus", 0, "NanoCpus", UK_CPUS },
        { "cpuset-cpus", 0, "CpusetCpus", UK_STRING },
        { "cpuset-mems", 0, "CpusetMems", UK_STRING },
        { "kernel-memory", 0, "KernelMemory", UK_BYTES },
        { "memory", 'm', "Memory", UK_BYTES },
        { "memory-reservation", 0, "MemoryReservation", UK_BYTES },
        { "memory-swap", 0, "MemorySwap", UK_MEMSWAP },
        { "pids-limit", 0, "PidsLimit", UK_INT },
        { "restart", 0, NULL, UK_STRING },
};

static int parse_value(const UpdateFlag *f, const char *v, json_t **ret, char **msg)
{
        int64_t i = 0;
        uint64_t u;
        int r = 0;
        switch (f->kind) {
        case UK_STRING:
                *ret = json_string(v);
                return 0;
        case UK_UINT16:
                r = go_parse_uint(v, 0, 16, &u, msg);
                i = (int64_t) u;
                break;
        case UK_INT:
                r = go_parse_int(v, 0, 64, &i, msg);
                break;
        case UK_MEMSWAP:
                if (streq(v, "-1")) {
                        i = -1;
                        break;
                }
                r = go_ram_in_bytes(v, &i, msg);
                break;
        case UK_BYTES:
                r = go_ram_in_bytes(v, &i, msg);
                break;
        case UK_CPUS:
                r = go_parse_cpus(v, &i, msg);
                break;
        }
        if (r >= 0)
                *ret = json_integer(i);
        return r;
}

/* opts.ParseRestartPolicy */
static int restart_policy(const char *p, json_t **ret, LadeError **err)
{
        const char *colon = strchr(p, ':'), *reason;
        _cleanup_free_ char *name = colon ? xstrndup(p, (size_t) (colon - p)) : xstrdup(p);
        int64_t count = 0;
        if (colon && !*name)
                return lade_error_msg(err, EINVAL, "invalid restart policy format: no policy provided before colon");
        if (colon && colon[1] && go_atoi(colon + 1, &count, &reason) < 0)
                return lade_error_msg(err, EINVAL, "invalid restart policy format: maximum retry count must be an "
                                      "integer");
        *ret = json_pack("{s:s,s:I}", "Name", name, "MaximumRetryCount", (json_int_t) count);
        return 0;
}

static void usage_text(void)
{
        printf("\nUsage:  lade update [OPTIONS] CONTAINER [CONTAINER...]\n\n"
               "Update configuration of one or more containers\n\nOptions:\n");
        for (size_t i = 0; i < ELEMENTSOF(update_flags); i++)
                if (update_flags[i].shorthand)
                        printf("  -%c, --%s\n", update_flags[i].shorthand, update_flags[i].name);
                else
                        printf("      --%s\n", update_flags[i].name);
}

/* The flags into body; 0, or the exit status of a usage error. */
static int parse_flags(int argc, char **argv, json_t *body, LadeError **err)
{
        struct option opts[ELEMENTSOF(update_flags) + 2];
        for (size_t i = 0; i < ELEMENTSOF(update_flags); i++)
                opts[i] = (struct option) { update_flags[i].name, required_argument, NULL, 256 + (int) i };
        opts[ELEMENTSOF(update_flags)] = (struct option) { "help", no_argument, NULL, 'h' };
        opts[ELEMENTSOF(update_flags) + 1] = (struct option) { NULL, 0, NULL, 0 };
        int o;
        while ((o = getopt_long(argc, argv, "m:c:h", opts, NULL)) != -1) {
                if (o == 'h') {
                        usage_text();
                        return -1;
                }
                const UpdateFlag *f = NULL;
                for (size_t i = 0; i < ELEMENTSOF(update_flags); i++)
                        if (o == 256 + (int) i || (o < 256 && o == update_flags[i].shorthand))
                                f = &update_flags[i];
                if (!f)
                        return 125;
                json_t *v = NULL;
                _cleanup_free_ char *msg = NULL;
                if (!f->key) {
                        if (restart_policy(optarg, &v, err) < 0)
                                return 1;
                        json_object_set_new(body, "RestartPolicy", v);
                        continue;
                }
                if (parse_value(f, optarg, &v, &msg) < 0) {
                        _cleanup_free_ char *q = go_quote(optarg);
                        if (f->shorthand)
                                return cli_usage("invalid argument %s for \"-%c, --%s\" flag: %s", q, f->shorthand,
                                                 f->name, msg ?: "");
                        return cli_usage("invalid argument %s for \"--%s\" flag: %s", q, f->name, msg ?: "");
                }
                json_object_set_new(body, f->key, v);
        }
        return 0;
}

int cmd_update(Cli *c, int argc, char **argv)
{
        _cleanup_json_ json_t *body = json_object();
        LadeError *err = NULL;
        int rc = parse_flags(argc, argv, body, &err);
        if (rc < 0)
                return 0;
        if (err) {
                fprintf(stderr, "%s\n", lade_error_message(err));
                lade_error_free(err);
                return 1;
        }
        if (rc)
                return rc;
        if (optind >= argc)
                return cli_usage("\"update\" requires at least 1 argument.");
        if (json_object_size(body) == 0) {
                fprintf(stderr, "you must provide one or more flags when using this command\n");
                return 1;
        }
        for (int i = optind; i < argc; i++) {
                if (engine_container_update(cli_engine(c), argv[i], body, &err) < 0)
                        rc = cli_fail(TAKE_PTR(err));
                else
                        printf("%s\n", argv[i]);
        }
        return rc;
}

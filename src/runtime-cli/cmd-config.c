/* update, spec, features. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "json-util.h"
#include "spec.h"
#include "util.h"

typedef struct UpdateFlag {
        const char *name;
        const char *path[2]; /* object inside resources, key */
        bool is_string;
} UpdateFlag;

static const UpdateFlag update_flags[] = {
        { "blkio-weight", { "blockIO", "weight" }, false },
        { "cpu-period", { "cpu", "period" }, false },
        { "cpu-quota", { "cpu", "quota" }, false },
        { "cpu-rt-period", { "cpu", "realtimePeriod" }, false },
        { "cpu-rt-runtime", { "cpu", "realtimeRuntime" }, false },
        { "cpu-share", { "cpu", "shares" }, false },
        { "cpuset-cpus", { "cpu", "cpus" }, true },
        { "cpuset-mems", { "cpu", "mems" }, true },
        { "memory", { "memory", "limit" }, false },
        { "memory-reservation", { "memory", "reservation" }, false },
        { "memory-swap", { "memory", "swap" }, false },
        { "kernel-memory", { "memory", "kernel" }, false },
        { "kernel-memory-tcp", { "memory", "kernelTCP" }, false },
        { "pids-limit", { "pids", "limit" }, false },
};

/* "512m", "1g", "-1", "1024" -> bytes/number as runc's units.RAMInBytes for memory flags. */
static int parse_size(const char *s, int64_t *ret)
{
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno || end == s)
                return -EINVAL;
        long long mul = 1;
        switch (*end) {
        case 'k': case 'K': mul = 1LL << 10; end++; break;
        case 'm': case 'M': mul = 1LL << 20; end++; break;
        case 'g': case 'G': mul = 1LL << 30; end++; break;
        case 't': case 'T': mul = 1LL << 40; end++; break;
        }
        if (*end == 'b' || *end == 'B')
                end++;
        if (*end)
                return -EINVAL;
        *ret = v * mul;
        return 0;
}

static int set_flag(json_t *res, const UpdateFlag *f, const char *value)
{
        json_t *obj = json_object_get(res, f->path[0]);
        if (!obj) {
                obj = json_object();
                json_object_set_new(res, f->path[0], obj);
        }
        if (f->is_string) {
                json_object_set_new(obj, f->path[1], json_string(value));
                return 0;
        }
        int64_t v;
        if (parse_size(value, &v) < 0)
                return cli_usage_error("update: --%s: invalid value '%s'", f->name, value);
        json_object_set_new(obj, f->path[1], json_integer(v));
        return 0;
}

int verb_update(CliGlobal *g, int argc, char **argv)
{
        struct option opts[ELEMENTSOF(update_flags) + 2];
        for (size_t i = 0; i < ELEMENTSOF(update_flags); i++)
                opts[i] = (struct option){ update_flags[i].name, required_argument, NULL, 256 + (int) i };
        opts[ELEMENTSOF(update_flags)] = (struct option){ "resources", required_argument, NULL, 'r' };
        opts[ELEMENTSOF(update_flags) + 1] = (struct option){ NULL, 0, NULL, 0 };
        _cleanup_json_ json_t *res = json_object();
        LadeError *err = NULL;
        int c;
        while ((c = getopt_long_only(argc, argv, "+r:", opts, NULL)) != -1) {
                if (c == 'r') {
                        json_decref(res);
                        res = NULL;
                        const char *path = streq(optarg, "-") ? "/dev/stdin" : optarg;
                        if (json_load_path(path, SPEC_MAX_BYTES, &res, &err) < 0)
                                return cli_fail(err);
                } else if (c >= 256 && c < 256 + (int) ELEMENTSOF(update_flags)) {
                        if (set_flag(res, &update_flags[c - 256], optarg))
                                return 1;
                } else
                        return 1;
        }
        if (cli_need_args(argc, argv, 1, "update [options] <container-id>"))
                return 1;
        _cleanup_(spec_resources_freep) SpecResources *r = NULL;
        if (spec_parse_resources(res, "resources", &r, &err) < 0)
                return cli_fail(err);
        if (container_update(&g->rt, argv[optind], r, &err) < 0)
                return cli_fail(err);
        return 0;
}

int verb_spec(CliGlobal *g, int argc, char **argv)
{
        static const struct option opts[] = { { "bundle", required_argument, NULL, 'b' },
                                              { "rootless", no_argument, NULL, 'R' },
                                              { NULL, 0, NULL, 0 } };
        const char *bundle = ".";
        bool rootless = false;
        int c;
        while ((c = getopt_long_only(argc, argv, "+b:", opts, NULL)) != -1) {
                if (c == 'b')
                        bundle = optarg;
                else if (c == 'R')
                        rootless = true;
                else
                        return 1;
        }
        if (cli_need_args(argc, argv, 0, "spec [--bundle DIR] [--rootless]"))
                return 1;
        _cleanup_free_ char *path = xasprintf("%s/config.json", bundle);
        struct stat st;
        if (stat(path, &st) == 0)
                return cli_usage_error("File %s exists. Remove it first", path);
        _cleanup_json_ json_t *j = spec_default_json(rootless);
        _cleanup_free_ char *text = json_dumps(j, JSON_INDENT(8));
        _cleanup_free_ char *withnl = xasprintf("%s\n", text);
        LadeError *err = NULL;
        if (write_file_atomic_at(AT_FDCWD, path, withnl, strlen(withnl), 0666 & ~0022, &err) < 0)
                return cli_fail(err);
        return 0;
}

int verb_features(CliGlobal *g, int argc, char **argv)
{
        static const struct option opts[] = { { NULL, 0, NULL, 0 } };
        if (getopt_long_only(argc, argv, "+", opts, NULL) != -1)
                return 1;
        if (cli_need_args(argc, argv, 0, "features"))
                return 1;
        _cleanup_json_ json_t *j = runtime_features();
        cli_print_json(j);
        return 0;
}

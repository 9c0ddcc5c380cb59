/* `docker run` / `docker create` command lines, scanned as spf13/pflag scans them for the docker
 * CLI (long and short forms, `--flag=value`, bool flags that take no separate value, combined
 * short flags, option parsing stopping at IMAGE), then turned into the create body by
 * run-flags-body.c. The flag table is docker's: every flag docker accepts is accepted here, with
 * its type, so that values are checked and errors worded as docker words them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json-util.h"
#include "run-flags-internal.h"
#include "util.h"

typedef enum FlagKind {
        KIND_BOOL,
        KIND_STRING,
        KIND_LIST,
        KIND_INT,       /* strconv.ParseInt(s, 0, 64) */
        KIND_UINT16,
        KIND_UINT64,
        KIND_DURATION,
        KIND_BYTES,     /* go-units RAMInBytes */
        KIND_MEMSWAP,   /* RAMInBytes, or -1 */
        KIND_CPUS,
        KIND_CUSTOM,
} FlagKind;

enum {
        FLAG_RUN_ONLY = 1 << 0,   /* docker run, not docker create */
        FLAG_WINDOWS = 1 << 1,    /* rejected by a Linux daemon */
};

typedef struct FlagDef {
        const char *name;
        char shorthand;
        RunOpt opt;
        FlagKind kind;
        unsigned flags;
        FlagValidator validate;   /* KIND_LIST */
        FlagSetter set;           /* KIND_CUSTOM */
} FlagDef;

#define B(n, s, o) { n, s, o, KIND_BOOL, 0, NULL, NULL }
#define S(n, s, o) { n, s, o, KIND_STRING, 0, NULL, NULL }
#define L(n, s, o, v) { n, s, o, KIND_LIST, 0, v, NULL }
#define N(n, s, o, k) { n, s, o, k, 0, NULL, NULL }
#define C(n, s, o, f) { n, s, o, KIND_CUSTOM, 0, NULL, f }

/* addFlags() of cli/command/container/opts.go, then the run/create-only flags. */
static const FlagDef flag_table[] = {
        L("attach", 'a', OPT_ATTACH, run_validate_attach),
        L("device-cgroup-rule", 0, OPT_DEVICE_CGROUP_RULE, run_validate_cgroup_rule),
        L("device", 0, OPT_DEVICE, NULL),
        C("gpus", 0, OPT_GPUS, run_set_gpus),
        L("env", 'e', OPT_ENV, run_validate_env),
        L("env-file", 0, OPT_ENV_FILE, NULL),
        S("entrypoint", 0, OPT_ENTRYPOINT),
        L("group-add", 0, OPT_GROUP_ADD, NULL),
        S("hostname", 'h', OPT_HOSTNAME),
        S("domainname", 0, OPT_DOMAINNAME),
        B("interactive", 'i', OPT_INTERACTIVE),
        L("label", 'l', OPT_LABEL, run_validate_label),
        L("label-file", 0, OPT_LABEL_FILE, NULL),
        B("read-only", 0, OPT_READ_ONLY),
        S("restart", 0, OPT_RESTART),
        S("stop-signal", 0, OPT_STOP_SIGNAL),
        N("stop-timeout", 0, OPT_STOP_TIMEOUT, KIND_INT),
        C("sysctl", 0, OPT_SYSCTL, run_set_map),
        B("tty", 't', OPT_TTY),
        C("ulimit", 0, OPT_ULIMIT, run_set_ulimit),
        S("user", 'u', OPT_USER),
        S("workdir", 'w', OPT_WORKDIR),
        B("rm", 0, OPT_RM),
        L("cap-add", 0, OPT_CAP_ADD, NULL),
        L("cap-drop", 0, OPT_CAP_DROP, NULL),
        B("privileged", 0, OPT_PRIVILEGED),
        L("security-opt", 0, OPT_SECURITY_OPT, NULL),
        S("userns", 0, OPT_USERNS),
        S("cgroupns", 0, OPT_CGROUPNS),
        L("add-host", 0, OPT_ADD_HOST, run_validate_extra_host),
        L("dns", 0, OPT_DNS, run_validate_ip),
        L("dns-opt", 0, OPT_DNS_OPTION, NULL),
        L("dns-option", 0, OPT_DNS_OPTION, NULL),
        L("dns-search", 0, OPT_DNS_SEARCH, run_validate_dns_search),
        L("expose", 0, OPT_EXPOSE, NULL),
        S("ip", 0, OPT_IP),
        S("ip6", 0, OPT_IP6),
        L("link", 0, OPT_LINK, run_validate_link),
        L("link-local-ip", 0, OPT_LINK_LOCAL_IP, NULL),
        S("mac-address", 0, OPT_MAC_ADDRESS),
        L("publish", 'p', OPT_PUBLISH, NULL),
        B("publish-all", 'P', OPT_PUBLISH_ALL),
        C("net", 0, OPT_NETWORK, run_set_network),
        C("network", 0, OPT_NETWORK, run_set_network),
        L("net-alias", 0, OPT_NETWORK_ALIAS, NULL),
        L("network-alias", 0, OPT_NETWORK_ALIAS, NULL),
        S("log-driver", 0, OPT_LOG_DRIVER),
        S("volume-driver", 0, OPT_VOLUME_DRIVER),
        L("log-opt", 0, OPT_LOG_OPT, NULL),
        L("storage-opt", 0, OPT_STORAGE_OPT, NULL),
        L("tmpfs", 0, OPT_TMPFS, NULL),
        L("volumes-from", 0, OPT_VOLUMES_FROM, NULL),
        L("volume", 'v', OPT_VOLUME, NULL),
        C("mount", 0, OPT_MOUNT, run_set_mount),
        S("health-cmd", 0, OPT_HEALTH_CMD),
        N("health-interval", 0, OPT_HEALTH_INTERVAL, KIND_DURATION),
        N("health-retries", 0, OPT_HEALTH_RETRIES, KIND_INT),
        N("health-timeout", 0, OPT_HEALTH_TIMEOUT, KIND_DURATION),
        N("health-start-period", 0, OPT_HEALTH_START_PERIOD, KIND_DURATION),
        N("health-start-interval", 0, OPT_HEALTH_START_INTERVAL, KIND_DURATION),
        B("no-healthcheck", 0, OPT_NO_HEALTHCHECK),
        N("blkio-weight", 0, OPT_BLKIO_WEIGHT, KIND_UINT16),
        C("blkio-weight-device", 0, OPT_BLKIO_WEIGHT_DEVICE, run_set_weight_device),
        S("cidfile", 0, OPT_CIDFILE),
        S("cpuset-cpus", 0, OPT_CPUSET_CPUS),
        S("cpuset-mems", 0, OPT_CPUSET_MEMS),
        { "cpu-count", 0, OPT_CPU_COUNT, KIND_INT, FLAG_WINDOWS, NULL, NULL },
        { "cpu-percent", 0, OPT_CPU_PERCENT, KIND_INT, FLAG_WINDOWS, NULL, NULL },
        N("cpu-period", 0, OPT_CPU_PERIOD, KIND_INT),
        N("cpu-quota", 0, OPT_CPU_QUOTA, KIND_INT),
        N("cpu-rt-period", 0, OPT_CPU_RT_PERIOD, KIND_INT),
        N("cpu-rt-runtime", 0, OPT_CPU_RT_RUNTIME, KIND_INT),
        N("cpu-shares", 'c', OPT_CPU_SHARES, KIND_INT),
        N("cpus", 0, OPT_CPUS, KIND_CPUS),
        C("device-read-bps", 0, OPT_DEVICE_READ_BPS, run_set_throttle_device),
        C("device-read-iops", 0, OPT_DEVICE_READ_IOPS, run_set_throttle_device),
        C("device-write-bps", 0, OPT_DEVICE_WRITE_BPS, run_set_throttle_device),
        C("device-write-iops", 0, OPT_DEVICE_WRITE_IOPS, run_set_throttle_device),
        { "io-maxbandwidth", 0, OPT_IO_MAXBANDWIDTH, KIND_BYTES, FLAG_WINDOWS, NULL, NULL },
        { "io-maxiops", 0, OPT_IO_MAXIOPS, KIND_UINT64, FLAG_WINDOWS, NULL, NULL },
        N("kernel-memory", 0, OPT_KERNEL_MEMORY, KIND_BYTES),
        N("memory", 'm', OPT_MEMORY, KIND_BYTES),
        N("memory-reservation", 0, OPT_MEMORY_RESERVATION, KIND_BYTES),
        N("memory-swap", 0, OPT_MEMORY_SWAP, KIND_MEMSWAP),
        N("memory-swappiness", 0, OPT_MEMORY_SWAPPINESS, KIND_INT),
        B("oom-kill-disable", 0, OPT_OOM_KILL_DISABLE),
        N("oom-score-adj", 0, OPT_OOM_SCORE_ADJ, KIND_INT),
        N("pids-limit", 0, OPT_PIDS_LIMIT, KIND_INT),
        S("cgroup-parent", 0, OPT_CGROUP_PARENT),
        S("ipc", 0, OPT_IPC),
        S("isolation", 0, OPT_ISOLATION),
        S("pid", 0, OPT_PID),
        N("shm-size", 0, OPT_SHM_SIZE, KIND_BYTES),
        S("uts", 0, OPT_UTS),
        S("runtime", 0, OPT_RUNTIME),
        B("init", 0, OPT_INIT),
        C("annotation", 0, OPT_ANNOTATION, run_set_map),
        S("name", 0, OPT_NAME),
        S("pull", 0, OPT_PULL),
        B("quiet", 'q', OPT_QUIET),
        B("use-api-socket", 0, OPT_USE_API_SOCKET),
        B("help", 0, OPT_HELP),
        S("platform", 0, OPT_PLATFORM),
        B("disable-content-trust", 0, OPT_DISABLE_CONTENT_TRUST),
        { "detach", 'd', OPT_DETACH, KIND_BOOL, FLAG_RUN_ONLY, NULL, NULL },
        { "sig-proxy", 0, OPT_SIG_PROXY, KIND_BOOL, FLAG_RUN_ONLY, NULL, NULL },
        { "detach-keys", 0, OPT_DETACH_KEYS, KIND_STRING, FLAG_RUN_ONLY, NULL, NULL },
};

static const FlagDef *flag_find(const RunOpts *o, const char *name, size_t len, char shorthand)
{
        for (size_t i = 0; i < ELEMENTSOF(flag_table); i++) {
                const FlagDef *f = &flag_table[i];
                if ((f->flags & FLAG_RUN_ONLY) && !o->is_run)
                        continue;
                if (shorthand ? f->shorthand == shorthand :
                                strlen(f->name) == len && strncmp(f->name, name, len) == 0)
                        return f;
        }
        return NULL;
}

static void run_opts_init(RunOpts *o, bool is_run)
{
        *o = (RunOpts) { .is_run = is_run };
        o->v[OPT_RESTART].s = xstrdup("no");
        o->v[OPT_PULL].s = xstrdup("missing");
        o->v[OPT_MEMORY_SWAPPINESS].i = -1;
        o->v[OPT_SIG_PROXY].b = true;
        o->v[OPT_PLATFORM].s = xstrdup(getenv("DOCKER_DEFAULT_PLATFORM") ?: "");
        o->mounts = json_array();
        o->ulimits = json_object();
        o->weight_devices = json_array();
        for (size_t i = 0; i < ELEMENTSOF(o->throttle); i++)
                o->throttle[i] = json_array();
        o->sysctls = json_object();
        o->annotations = json_object();
}

static void run_opts_done(RunOpts *o)
{
        for (size_t i = 0; i < _OPT_MAX; i++) {
                free(o->v[i].s);
                strv_free(o->v[i].list);
        }
        json_decref(o->mounts);
        json_decref(o->ulimits);
        json_decref(o->gpus);
        json_decref(o->weight_devices);
        for (size_t i = 0; i < ELEMENTSOF(o->throttle); i++)
                json_decref(o->throttle[i]);
        json_decref(o->sysctls);
        json_decref(o->annotations);
        for (size_t i = 0; i < o->n_nets; i++)
                run_net_attach_done(&o->nets[i]);
        free(o->nets);
        free(o->image);
        strv_free(o->args);
}

/* Sets a built-in kind; *msg gets the bare reason on failure. */
static int flag_set_builtin(FlagValue *v, FlagKind kind, const char *value, char **msg)
{
        uint64_t u;
        switch (kind) {
        case KIND_BOOL:
                return go_parse_bool(value, &v->b, msg);
        case KIND_STRING:
                free(v->s);
                v->s = xstrdup(value);
                return 0;
        case KIND_INT:
                return go_parse_int(value, 0, 64, &v->i, msg);
        case KIND_UINT16:
        case KIND_UINT64: {
                int r = go_parse_uint(value, 0, kind == KIND_UINT16 ? 16 : 64, &u, msg);
                if (r == 0)
                        v->u = u;
                return r;
        }
        case KIND_DURATION:
                return go_parse_duration(value, &v->i, msg);
        case KIND_MEMSWAP:
                if (streq(value, "-1")) {
                        v->i = -1;
                        return 0;
                }
                return go_ram_in_bytes(value, &v->i, msg);
        case KIND_BYTES:
                return go_ram_in_bytes(value, &v->i, msg);
        case KIND_CPUS:
                return go_parse_cpus(value, &v->i, msg);
        default:
                return -EINVAL;
        }
}

static int flag_set_list(FlagValue *v, FlagValidator validate, const char *value, char **msg)
{
        _cleanup_(lade_error_freep) LadeError *e = NULL;
        char *stored = NULL;
        if (validate) {
                int r = validate(value, &stored, &e);
                if (r < 0) {
                        *msg = xstrdup(lade_error_message(e));
                        return r;
                }
        }
        v->list = strv_append(v->list, stored ?: value);
        free(stored);
        return 0;
}

/* pflag's FlagSet.Set: stores the value or words the failure as pflag does. */
static int flag_set(RunOpts *o, const FlagDef *f, const char *value, LadeError **err)
{
        _cleanup_free_ char *msg = NULL;
        _cleanup_(lade_error_freep) LadeError *e = NULL;
        FlagValue *v = &o->v[f->opt];
        int r;
        if (strlen(value) > RUN_FLAGS_VALUE_MAX)
                return lade_error_msg(err, EINVAL, "value of --%s is longer than %d bytes",
                                      f->name, RUN_FLAGS_VALUE_MAX);
        if (f->kind == KIND_LIST)
                r = flag_set_list(v, f->validate, value, &msg);
        else if (f->kind == KIND_CUSTOM) {
                r = f->set(o, f->opt, value, &e);
                if (r < 0)
                        msg = xstrdup(lade_error_message(e));
        } else
                r = flag_set_builtin(v, f->kind, value, &msg);
        if (r < 0) {
                _cleanup_free_ char *q = go_quote(value);
                if (f->shorthand)
                        return lade_error_msg(err, EINVAL, "invalid argument %s for \"-%c, --%s\" flag: %s",
                                              q, f->shorthand, f->name, msg ?: "");
                return lade_error_msg(err, EINVAL, "invalid argument %s for \"--%s\" flag: %s", q,
                                      f->name, msg ?: "");
        }
        v->changed = true;
        return 0;
}

/* "--name", "--name=value" or "--name value"; *i moves past a consumed value. */
static int scan_long(RunOpts *o, int argc, char **argv, int *i, LadeError **err)
{
        const char *s = argv[*i], *name = s + 2, *eq = strchr(name, '=');
        if (!*name || *name == '-' || *name == '=')
                return lade_error_msg(err, EINVAL, "bad flag syntax: %s", s);
        size_t len = eq ? (size_t) (eq - name) : strlen(name);
        const FlagDef *f = flag_find(o, name, len, 0);
        if (!f)
                return lade_error_msg(err, EINVAL, "unknown flag: --%.*s", (int) len, name);
        if (eq)
                return flag_set(o, f, eq + 1, err);
        if (f->kind == KIND_BOOL)
                return flag_set(o, f, "true", err);
        if (*i + 1 >= argc)
                return lade_error_msg(err, EINVAL, "flag needs an argument: %s", s);
        (*i)++;
        return flag_set(o, f, argv[*i], err);
}

/* One shorthand at the front of *rest ("-dit", "-m512m", "-e=A=1", "-e A=1"). */
static int scan_short_one(RunOpts *o, int argc, char **argv, int *i, const char **rest,
                          LadeError **err)
{
        const char *sh = *rest;
        const FlagDef *f = flag_find(o, NULL, 0, sh[0]);
        if (!f) {
                _cleanup_free_ char *q = go_quote_byte((unsigned char) sh[0]);
                return lade_error_msg(err, EINVAL, "unknown shorthand flag: %s in -%s", q, sh);
        }
        *rest = "";
        if (strlen(sh) > 2 && sh[1] == '=')
                return flag_set(o, f, sh + 2, err);
        if (f->kind == KIND_BOOL) {
                *rest = sh + 1;
                return flag_set(o, f, "true", err);
        }
        if (sh[1])
                return flag_set(o, f, sh + 1, err);
        if (*i + 1 >= argc) {
                _cleanup_free_ char *q = go_quote_byte((unsigned char) sh[0]);
                return lade_error_msg(err, EINVAL, "flag needs an argument: %s in -%s", q, sh);
        }
        (*i)++;
        return flag_set(o, f, argv[*i], err);
}

static void take_positional(RunOpts *o, int argc, char **argv, int first)
{
        if (first >= argc)
                return;
        o->image = xstrdup(argv[first]);
        for (int k = first + 1; k < argc; k++)
                o->args = strv_append(o->args, argv[k]);
}

/* FlagSet.Parse with SetInterspersed(false): flags up to the first non-flag (IMAGE). */
static int scan_args(RunOpts *o, int argc, char **argv, LadeError **err)
{
        for (int i = 1; i < argc; i++) {
                const char *s = argv[i];
                int r = 0;
                if (s[0] != '-' || s[1] == '\0') {
                        take_positional(o, argc, argv, i);
                        return 0;
                }
                if (streq(s, "--")) {
                        take_positional(o, argc, argv, i + 1);
                        return 0;
                }
                if (s[1] == '-')
                        r = scan_long(o, argc, argv, &i, err);
                else
                        for (const char *rest = s + 1; *rest;) {
                                r = scan_short_one(o, argc, argv, &i, &rest, err);
                                if (r < 0)
                                        break;
                        }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* areFlagsSupported(): Windows-only flags against a Linux daemon (errors.Join of each). */
static int check_platform_flags(const RunOpts *o, LadeError **err)
{
        _cleanup_free_ char *msg = NULL;
        for (size_t i = 0; i < ELEMENTSOF(flag_table); i++) {
                const FlagDef *f = &flag_table[i];
                if (!(f->flags & FLAG_WINDOWS) || !o->v[f->opt].changed)
                        continue;
                char *m = xasprintf("%s%s\"--%s\" is only supported on a Docker daemon running on "
                                    "windows, but the Docker daemon is running on linux",
                                    msg ?: "", msg ? "\n" : "", f->name);
                free(msg);
                msg = m;
        }
        if (msg)
                return lade_error_msg(err, EINVAL, "%s", msg);
        return 0;
}

static int check_pull(const RunOpts *o, LadeError **err)
{
        const char *p = o->v[OPT_PULL].s;
        if (streq(p, "always") || streq(p, "missing") || streq(p, "never") || streq(p, ""))
                return 0;
        return lade_error_msg(err, EINVAL,
                              "invalid pull option: '%s': must be one of \"always\", \"missing\" or \"never\"",
                              p);
}

/* runContainer(): -d and -a conflict, and a detached container attaches nothing. */
static int apply_detach(const RunOpts *o, json_t *body, LadeError **err)
{
        if (!o->is_run || !o->v[OPT_DETACH].b)
                return 0;
        if (strv_length(o->v[OPT_ATTACH].list) > 0)
                return lade_error_msg(err, EINVAL,
                                      "conflicting options: cannot specify both --attach and --detach");
        json_object_set_new(body, "AttachStdin", json_false());
        json_object_set_new(body, "AttachStdout", json_false());
        json_object_set_new(body, "AttachStderr", json_false());
        json_object_set_new(body, "StdinOnce", json_false());
        return 0;
}

static void fill_result(RunOpts *o, json_t *body, RunFlags *f)
{
        *f = (RunFlags) {
                .body = body,
                .name = o->v[OPT_NAME].s && *o->v[OPT_NAME].s ? xstrdup(o->v[OPT_NAME].s) : NULL,
                .detach = o->v[OPT_DETACH].b,
                .rm = o->v[OPT_RM].b,
                .interactive = o->v[OPT_INTERACTIVE].b,
                .tty = o->v[OPT_TTY].b,
                .pull = xstrdup(*o->v[OPT_PULL].s ? o->v[OPT_PULL].s : "missing"),
                .platform = *o->v[OPT_PLATFORM].s ? xstrdup(o->v[OPT_PLATFORM].s) : NULL,
                .detach_keys = o->v[OPT_DETACH_KEYS].s ? xstrdup(o->v[OPT_DETACH_KEYS].s) : NULL,
                .attach = strv_copy(o->v[OPT_ATTACH].list),
                .help = o->v[OPT_HELP].b,
                .sig_proxy = o->v[OPT_SIG_PROXY].b,
                .quiet = o->v[OPT_QUIET].b,
                .use_api_socket = o->v[OPT_USE_API_SOCKET].b,
        };
}

int run_flags_parse(int argc, char **argv, RunFlags *ret, LadeError **err)
{
        _cleanup_json_ json_t *body = NULL;
        const char *verb = argc > 0 ? argv[0] : "run";
        RunOpts o;
        int r;

        run_opts_init(&o, !streq(verb, "create"));
        r = scan_args(&o, argc, argv, err);
        if (r < 0)
                goto out;
        if (o.v[OPT_HELP].b) {
                fill_result(&o, NULL, ret);
                goto out;
        }
        if (!o.image) {
                r = lade_error_msg(err, EINVAL, "'docker %s' requires at least 1 argument", verb);
                goto out;
        }
        r = check_platform_flags(&o, err);
        if (r >= 0)
                r = check_pull(&o, err);
        if (r >= 0)
                r = run_build_body(&o, &body, err);
        if (r >= 0)
                r = apply_detach(&o, body, err);
        if (r >= 0)
                fill_result(&o, TAKE_PTR(body), ret);
out:
        run_opts_done(&o);
        return r < 0 ? r : 0;
}

void run_flags_done(RunFlags *f)
{
        if (!f)
                return;
        json_decref(f->body);
        free(f->name);
        free(f->pull);
        free(f->platform);
        free(f->detach_keys);
        strv_free(f->attach);
        *f = (RunFlags) {};
}

/* How docker reports an error: cobra flag errors carry the usage line, argument-count errors
 * say "See", errors from parse() are prefixed "docker:", and the rest print bare (exit 1). */
typedef enum ErrorStyle {
        STYLE_FLAG,
        STYLE_ARGS,
        STYLE_PARSE,
        STYLE_PLAIN,
} ErrorStyle;

static ErrorStyle error_style(const char *msg)
{
        static const char *const flag_prefixes[] = {
                "unknown flag: ", "unknown shorthand flag: ", "flag needs an argument: ",
                "bad flag syntax: ", "invalid argument \"",
        };
        for (size_t i = 0; i < ELEMENTSOF(flag_prefixes); i++)
                if (startswith(msg, flag_prefixes[i]))
                        return STYLE_FLAG;
        if (startswith(msg, "'docker ") && strstr(msg, "' requires at least 1 argument"))
                return STYLE_ARGS;
        if (startswith(msg, "\"--") || startswith(msg, "conflicting options: cannot specify both --attach"))
                return STYLE_PLAIN;
        return STYLE_PARSE;
}

int run_flags_print_error(const char *verb, const LadeError *err)
{
        const char *msg = lade_error_message(err);
        switch (error_style(msg)) {
        case STYLE_FLAG:
                fprintf(stderr, "%s\n\nUsage:  docker %s [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n"
                        "Run 'docker %s --help' for more information\n", msg, verb, verb);
                return 125;
        case STYLE_ARGS:
                fprintf(stderr, "docker: %s\n\nUsage:  docker %s [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n"
                        "See 'docker %s --help' for more information\n", msg, verb, verb);
                return 1;
        case STYLE_PARSE:
                fprintf(stderr, "docker: %s\n\nRun 'docker %s --help' for more information\n", msg, verb);
                return 125;
        default:
                fprintf(stderr, "%s\n", msg);
                return 1;
        }
}

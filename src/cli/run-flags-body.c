/* parse() of the docker CLI's cli/command/container/opts.go: the scanned options become the
 * container-create body, {Config fields..., HostConfig, NetworkingConfig}, with every field docker
 * sends and the same nulls, empty lists and omitted keys. Checks run in docker's order so the
 * first error reported is docker's first error. */
#include <string.h>

#include "json-util.h"
#include "run-flags-internal.h"
#include "util.h"

static bool strv_contains(char **v, const char *s)
{
        for (; v && *v; v++)
                if (streq(*v, s))
                        return true;
        return false;
}

static json_t *strv_json_or_null(char **v)
{
        if (!v || !*v)
                return json_null();
        json_t *a = json_array();
        for (; *v; v++)
                json_array_append_new(a, json_string(*v));
        return a;
}

static json_t *strv_json_or_empty(char **v)
{
        json_t *a = strv_json_or_null(v);
        return json_is_null(a) ? json_array() : a;
}

/* ConvertKVStringsToMap: "k=v" (or "k") into {k: v}, later keys winning. */
static json_t *kv_map(char **v)
{
        json_t *m = json_object();
        for (; v && *v; v++) {
                const char *eq = strchr(*v, '=');
                _cleanup_free_ char *k = eq ? xstrndup(*v, (size_t) (eq - *v)) : xstrdup(*v);
                json_object_set_new(m, k, json_string(eq ? eq + 1 : ""));
        }
        return m;
}

static bool same_key(const char *a, const char *b)
{
        size_t ka = strcspn(a, "="), kb = strcspn(b, "=");
        return ka == kb && strncmp(a, b, ka) == 0;
}

/* runRun()'s detour through a map (ConvertKVStringsToMapWithNil): one entry per name, the last
 * value winning, "NAME" kept bare when it had no value. Docker then walks the map in random
 * order; the order of first appearance is kept here. */
static char **env_dedup(char **env)
{
        char **out = NULL;
        for (size_t i = 0; env && env[i]; i++) {
                bool seen = false;
                for (size_t j = 0; j < i && !seen; j++)
                        seen = same_key(env[i], env[j]);
                if (seen)
                        continue;
                size_t last = i;
                for (size_t j = i + 1; env[j]; j++)
                        if (same_key(env[i], env[j]))
                                last = j;
                out = strv_append(out, env[last]);
        }
        return out;
}

static int build_env(RunOpts *o, json_t *config, json_t *host, LadeError **err)
{
        _cleanup_strv_free_ char **vars = NULL, **env = env_dedup(o->v[OPT_ENV].list);
        for (char **f = o->v[OPT_ENV_FILE].list; f && *f; f++) {
                int r = run_read_kv_file(*f, true, &vars, err);
                if (r < 0)
                        return r;
        }
        for (char **e = env; e && *e; e++)
                vars = strv_append(vars, *e);
        json_object_set_new(config, "Env", strv_json_or_null(vars));
        return 0;
}

static int build_labels(RunOpts *o, json_t *config, json_t *host, LadeError **err)
{
        _cleanup_strv_free_ char **vars = NULL;
        for (char **f = o->v[OPT_LABEL_FILE].list; f && *f; f++) {
                int r = run_read_kv_file(*f, false, &vars, err);
                if (r < 0)
                        return r;
        }
        for (char **l = o->v[OPT_LABEL].list; l && *l; l++)
                vars = strv_append(vars, *l);
        json_object_set_new(config, "Labels", kv_map(vars));
        return 0;
}

static void build_entrypoint(RunOpts *o, json_t *config)
{
        const FlagValue *v = &o->v[OPT_ENTRYPOINT];
        if (v->s && *v->s)
                json_object_set_new(config, "Entrypoint", json_pack("[s]", v->s));
        else if (v->changed)
                json_object_set_new(config, "Entrypoint", json_pack("[s]", ""));
}

static int build_tmpfs(RunOpts *o, json_t *config, json_t *host, LadeError **err)
{
        json_t *m = json_object();
        for (char **t = o->v[OPT_TMPFS].list; t && *t; t++) {
                const char *c = strchr(*t, ':');
                _cleanup_free_ char *k = c ? xstrndup(*t, (size_t) (c - *t)) : xstrdup(*t);
                json_object_set_new(m, k, json_string(c ? c + 1 : ""));
        }
        if (json_object_size(m) > 0)
                json_object_set_new(host, "Tmpfs", m);
        else
                json_decref(m);
        build_entrypoint(o, config);
        return 0;
}

/* container.PidMode/UTSMode/UsernsMode/CgroupnsMode Valid(). */
static int check_modes(RunOpts *o, json_t *config, json_t *host, LadeError **err)
{
        const char *pid = o->v[OPT_PID].s ?: "", *uts = o->v[OPT_UTS].s ?: "";
        const char *userns = o->v[OPT_USERNS].s ?: "", *cgns = o->v[OPT_CGROUPNS].s ?: "";
        if (!(!*pid || streq(pid, "host") || (startswith(pid, "container:") && pid[10])))
                return lade_error_msg(err, EINVAL, "--pid: invalid PID mode");
        if (*uts && !streq(uts, "host"))
                return lade_error_msg(err, EINVAL, "--uts: invalid UTS mode");
        if (*userns && !streq(userns, "host"))
                return lade_error_msg(err, EINVAL, "--userns: invalid USER mode");
        if (*cgns && !streq(cgns, "host") && !streq(cgns, "private"))
                return lade_error_msg(err, EINVAL, "--cgroupns: invalid CGROUP mode");
        return 0;
}

/* opts.ParseRestartPolicy. */
static int build_restart(RunOpts *o, json_t *config, json_t *host, LadeError **err)
{
        const char *p = o->v[OPT_RESTART].s, *colon = strchr(p, ':');
        _cleanup_free_ char *name = colon ? xstrndup(p, (size_t) (colon - p)) : xstrdup(p);
        const char *reason;
        int64_t count = 0;
        if (colon && !*name)
                return lade_error_msg(err, EINVAL, "invalid restart policy format: no policy provided "
                                      "before colon");
        if (colon && colon[1] && go_atoi(colon + 1, &count, &reason) < 0)
                return lade_error_msg(err, EINVAL, "invalid restart policy format: maximum retry count "
                                      "must be an integer");
        json_object_set_new(host, "RestartPolicy", json_pack("{s:s,s:I}", "Name", name,
                                                             "MaximumRetryCount", (json_int_t) count));
        return 0;
}

static int build_logging(RunOpts *o, json_t *config, json_t *host, LadeError **err)
{
        const char *driver = o->v[OPT_LOG_DRIVER].s ?: "";
        char **opts = o->v[OPT_LOG_OPT].list;
        if (streq(driver, "none") && opts)
                return lade_error_msg(err, EINVAL, "invalid logging opts for driver none");
        json_object_set_new(host, "LogConfig", json_pack("{s:s,s:o}", "Type", driver, "Config",
                                                         kv_map(opts)));
        return 0;
}

static int build_storage_opts(RunOpts *o, json_t *config, json_t *host, LadeError **err)
{
        for (char **s = o->v[OPT_STORAGE_OPT].list; s && *s; s++)
                if (!strchr(*s, '='))
                        return lade_error_msg(err, EINVAL, "invalid storage option");
        json_t *m = kv_map(o->v[OPT_STORAGE_OPT].list);
        if (json_object_size(m) > 0)
                json_object_set_new(host, "StorageOpt", m);
        else
                json_decref(m);
        return 0;
}

static bool health_settings(const RunOpts *o)
{
        return (o->v[OPT_HEALTH_CMD].s && *o->v[OPT_HEALTH_CMD].s) ||
               o->v[OPT_HEALTH_INTERVAL].i != 0 || o->v[OPT_HEALTH_TIMEOUT].i != 0 ||
               o->v[OPT_HEALTH_START_PERIOD].i != 0 || o->v[OPT_HEALTH_RETRIES].i != 0 ||
               o->v[OPT_HEALTH_START_INTERVAL].i != 0;
}

static void set_nonzero(json_t *obj, const char *key, int64_t v)
{
        if (v != 0)
                json_object_set_new(obj, key, json_integer(v));
}

static int build_health(RunOpts *o, json_t *config, json_t *host, LadeError **err)
{
        static const struct { RunOpt opt; const char *flag; } negative[] = {
                { OPT_HEALTH_INTERVAL, "interval" }, { OPT_HEALTH_TIMEOUT, "timeout" },
                { OPT_HEALTH_RETRIES, "retries" }, { OPT_HEALTH_START_PERIOD, "start-period" },
                { OPT_HEALTH_START_INTERVAL, "start-interval" },
        };
        const char *cmd = o->v[OPT_HEALTH_CMD].s;
        if (o->v[OPT_NO_HEALTHCHECK].b) {
                if (health_settings(o))
                        return lade_error_msg(err, EINVAL, "--no-healthcheck conflicts with --health-* options");
                json_object_set_new(config, "Healthcheck", json_pack("{s:[s]}", "Test", "NONE"));
                return 0;
        }
        if (!health_settings(o))
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(negative); i++)
                if (o->v[negative[i].opt].i < 0)
                        return lade_error_msg(err, EINVAL, "--health-%s cannot be negative", negative[i].flag);
        json_t *h = json_object();
        if (cmd && *cmd)
                json_object_set_new(h, "Test", json_pack("[s,s]", "CMD-SHELL", cmd));
        set_nonzero(h, "Interval", o->v[OPT_HEALTH_INTERVAL].i);
        set_nonzero(h, "Timeout", o->v[OPT_HEALTH_TIMEOUT].i);
        set_nonzero(h, "StartPeriod", o->v[OPT_HEALTH_START_PERIOD].i);
        set_nonzero(h, "StartInterval", o->v[OPT_HEALTH_START_INTERVAL].i);
        set_nonzero(h, "Retries", o->v[OPT_HEALTH_RETRIES].i);
        json_object_set_new(config, "Healthcheck", h);
        return 0;
}

static json_t *str_or_empty(const char *s)
{
        return json_string(s ?: "");
}

/* The Config half, in the order of container.Config's fields. */
static json_t *config_skeleton(RunOpts *o)
{
        bool attach = strv_length(o->v[OPT_ATTACH].list) > 0;
        char **a = o->v[OPT_ATTACH].list;
        bool in = o->v[OPT_INTERACTIVE].b || (attach && strv_contains(a, "stdin"));
        bool out = !attach || strv_contains(a, "stdout"), errs = !attach || strv_contains(a, "stderr");
        return json_pack("{s:o,s:o,s:o,s:b,s:b,s:b,s:b,s:b,s:b,s:n,s:o,s:s,s:n,s:o,s:n,s:n,s:n}",
                         "Hostname", str_or_empty(o->v[OPT_HOSTNAME].s),
                         "Domainname", str_or_empty(o->v[OPT_DOMAINNAME].s),
                         "User", str_or_empty(o->v[OPT_USER].s),
                         "AttachStdin", in, "AttachStdout", out, "AttachStderr", errs,
                         "Tty", o->v[OPT_TTY].b, "OpenStdin", o->v[OPT_INTERACTIVE].b,
                         /* an attached, open stdin is closed when the client goes */
                         "StdinOnce", o->v[OPT_INTERACTIVE].b && in,
                         "Env", "Cmd", strv_json_or_null(o->args), "Image", o->image,
                         "Volumes", "WorkingDir", str_or_empty(o->v[OPT_WORKDIR].s),
                         "Entrypoint", "OnBuild", "Labels");
}

typedef enum HostKind {
        HK_STR,         /* the flag's string, "" when unset */
        HK_BOOL,
        HK_INT,
        HK_UINT,
        HK_LIST_NULL,   /* null when the flag was not given */
        HK_LIST_EMPTY,  /* [] when the flag was not given */
        HK_NULL,        /* filled in later (or null, as docker sends it) */
        HK_EMPTY_STR,
        HK_ZERO,
} HostKind;

/* container.HostConfig with its Resources inline, in the struct's order; the omitempty fields
 * (Annotations, StorageOpt, Tmpfs, Sysctls, Runtime, KernelMemory, Mounts, Init) are added only
 * when set. */
static const struct { const char *key; HostKind kind; RunOpt opt; } host_fields[] = {
        { "Binds", HK_NULL, 0 }, { "ContainerIDFile", HK_STR, OPT_CIDFILE },
        { "LogConfig", HK_NULL, 0 }, { "NetworkMode", HK_NULL, 0 },
        { "PortBindings", HK_NULL, 0 }, { "RestartPolicy", HK_NULL, 0 },
        { "AutoRemove", HK_BOOL, OPT_RM }, { "VolumeDriver", HK_STR, OPT_VOLUME_DRIVER },
        { "VolumesFrom", HK_LIST_NULL, OPT_VOLUMES_FROM }, { "ConsoleSize", HK_NULL, 0 },
        { "CapAdd", HK_LIST_NULL, OPT_CAP_ADD }, { "CapDrop", HK_LIST_NULL, OPT_CAP_DROP },
        { "CgroupnsMode", HK_STR, OPT_CGROUPNS }, { "Dns", HK_LIST_EMPTY, OPT_DNS },
        { "DnsOptions", HK_LIST_EMPTY, OPT_DNS_OPTION },
        { "DnsSearch", HK_LIST_EMPTY, OPT_DNS_SEARCH },
        { "ExtraHosts", HK_LIST_NULL, OPT_ADD_HOST }, { "GroupAdd", HK_LIST_NULL, OPT_GROUP_ADD },
        { "IpcMode", HK_STR, OPT_IPC }, { "Cgroup", HK_EMPTY_STR, 0 },
        { "Links", HK_LIST_NULL, OPT_LINK }, { "OomScoreAdj", HK_INT, OPT_OOM_SCORE_ADJ },
        { "PidMode", HK_STR, OPT_PID }, { "Privileged", HK_BOOL, OPT_PRIVILEGED },
        { "PublishAllPorts", HK_BOOL, OPT_PUBLISH_ALL },
        { "ReadonlyRootfs", HK_BOOL, OPT_READ_ONLY }, { "SecurityOpt", HK_NULL, 0 },
        { "UTSMode", HK_STR, OPT_UTS }, { "UsernsMode", HK_STR, OPT_USERNS },
        { "ShmSize", HK_INT, OPT_SHM_SIZE }, { "Isolation", HK_STR, OPT_ISOLATION },
        { "CpuShares", HK_INT, OPT_CPU_SHARES }, { "Memory", HK_INT, OPT_MEMORY },
        { "NanoCpus", HK_INT, OPT_CPUS }, { "CgroupParent", HK_STR, OPT_CGROUP_PARENT },
        { "BlkioWeight", HK_UINT, OPT_BLKIO_WEIGHT }, { "BlkioWeightDevice", HK_NULL, 0 },
        { "BlkioDeviceReadBps", HK_NULL, 0 }, { "BlkioDeviceWriteBps", HK_NULL, 0 },
        { "BlkioDeviceReadIOps", HK_NULL, 0 }, { "BlkioDeviceWriteIOps", HK_NULL, 0 },
        { "CpuPeriod", HK_INT, OPT_CPU_PERIOD }, { "CpuQuota", HK_INT, OPT_CPU_QUOTA },
        { "CpuRealtimePeriod", HK_INT, OPT_CPU_RT_PERIOD },
        { "CpuRealtimeRuntime", HK_INT, OPT_CPU_RT_RUNTIME },
        { "CpusetCpus", HK_STR, OPT_CPUSET_CPUS }, { "CpusetMems", HK_STR, OPT_CPUSET_MEMS },
        { "Devices", HK_NULL, 0 }, { "DeviceCgroupRules", HK_LIST_NULL, OPT_DEVICE_CGROUP_RULE },
        { "DeviceRequests", HK_NULL, 0 },
        { "MemoryReservation", HK_INT, OPT_MEMORY_RESERVATION },
        { "MemorySwap", HK_INT, OPT_MEMORY_SWAP },
        { "MemorySwappiness", HK_INT, OPT_MEMORY_SWAPPINESS },
        { "OomKillDisable", HK_BOOL, OPT_OOM_KILL_DISABLE },
        { "PidsLimit", HK_INT, OPT_PIDS_LIMIT }, { "Ulimits", HK_NULL, 0 },
        { "CpuCount", HK_INT, OPT_CPU_COUNT }, { "CpuPercent", HK_INT, OPT_CPU_PERCENT },
        { "IOMaximumIOps", HK_ZERO, 0 }, { "IOMaximumBandwidth", HK_ZERO, 0 },
        { "MaskedPaths", HK_NULL, 0 }, { "ReadonlyPaths", HK_NULL, 0 },
};

static json_t *host_value(const RunOpts *o, HostKind kind, RunOpt opt)
{
        const FlagValue *v = &o->v[opt];
        switch (kind) {
        case HK_STR:
                return json_string(v->s ?: "");
        case HK_BOOL:
                return json_boolean(v->b);
        case HK_INT:
                return json_integer(v->i);
        case HK_UINT:
                return json_integer((json_int_t) v->u);
        case HK_LIST_NULL:
                return strv_json_or_null(v->list);
        case HK_LIST_EMPTY:
                return strv_json_or_empty(v->list);
        case HK_EMPTY_STR:
                return json_string("");
        case HK_ZERO:
                return json_integer(0);
        default:
                return json_null();
        }
}

static json_t *host_skeleton(const RunOpts *o)
{
        json_t *h = json_object();
        for (size_t i = 0; i < ELEMENTSOF(host_fields); i++)
                json_object_set_new(h, host_fields[i].key,
                                    host_value(o, host_fields[i].kind, host_fields[i].opt));
        json_object_set_new(h, "ConsoleSize", json_pack("[i,i]", 0, 0));
        json_object_set(h, "BlkioWeightDevice", o->weight_devices);
        json_object_set(h, "BlkioDeviceReadBps", o->throttle[0]);
        json_object_set(h, "BlkioDeviceReadIOps", o->throttle[1]);
        json_object_set(h, "BlkioDeviceWriteBps", o->throttle[2]);
        json_object_set(h, "BlkioDeviceWriteIOps", o->throttle[3]);
        return h;
}

/* Ulimits, sorted by name as UlimitOpt.GetList sorts them. */
static int ulimit_cmp(const void *a, const void *b)
{
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static json_t *ulimits_sorted(json_t *map)
{
        size_t n = json_object_size(map), i = 0;
        _cleanup_free_ const char **names = xmalloc0((n + 1) * sizeof(char *));
        const char *k;
        json_t *v, *a = json_array();
        json_object_foreach(map, k, v)
                names[i++] = k;
        qsort(names, n, sizeof(char *), ulimit_cmp);
        for (i = 0; i < n; i++)
                json_array_append(a, json_object_get(map, names[i]));
        return a;
}

static int check_mac(RunOpts *o, json_t *config, json_t *host, LadeError **err)
{
        const char *mac = o->v[OPT_MAC_ADDRESS].s;
        if (mac && *mac && !go_parse_mac(mac))
                return lade_error_msg(err, EINVAL, "%s is not a valid mac address", mac);
        return 0;
}

static int check_swappiness(RunOpts *o, json_t *config, json_t *host, LadeError **err)
{
        int64_t s = o->v[OPT_MEMORY_SWAPPINESS].i;
        if (s != -1 && (s < 0 || s > 100))
                return lade_error_msg(err, EINVAL, "invalid value: %lld. Valid memory swappiness range is 0-100",
                                      (long long) s);
        return 0;
}

static int build_volumes(RunOpts *o, json_t *config, json_t *host, LadeError **err)
{
        return run_build_volumes(o, config, host, err);
}

static int build_ports(RunOpts *o, json_t *config, json_t *host, LadeError **err)
{
        return run_build_ports(o, config, host, err);
}

static int build_devices(RunOpts *o, json_t *config, json_t *host, LadeError **err)
{
        return run_build_devices(o, host, err);
}

static int build_security(RunOpts *o, json_t *config, json_t *host, LadeError **err)
{
        return run_build_security(o, host, err);
}

/* The fields that cannot fail: the rest of Config and the omitempty parts of HostConfig. */
static int build_rest(RunOpts *o, json_t *config, json_t *host, LadeError **err)
{
        const char *sig = o->v[OPT_STOP_SIGNAL].s, *runtime = o->v[OPT_RUNTIME].s;
        if (sig && *sig)
                json_object_set_new(config, "StopSignal", json_string(sig));
        if (o->v[OPT_STOP_TIMEOUT].changed)
                json_object_set_new(config, "StopTimeout", json_integer(o->v[OPT_STOP_TIMEOUT].i));
        json_object_set_new(host, "Ulimits", ulimits_sorted(o->ulimits));
        if (json_array_size(o->mounts) > 0)
                json_object_set(host, "Mounts", o->mounts);
        if (json_object_size(o->sysctls) > 0)
                json_object_set(host, "Sysctls", o->sysctls);
        if (json_object_size(o->annotations) > 0)
                json_object_set(host, "Annotations", o->annotations);
        if (runtime && *runtime)
                json_object_set_new(host, "Runtime", json_string(runtime));
        if (o->v[OPT_INIT].changed)
                json_object_set_new(host, "Init", json_boolean(o->v[OPT_INIT].b));
        return 0;
}

static int check_rm(RunOpts *o, json_t *config, json_t *host, LadeError **err)
{
        const char *name = json_string_value(json_object_get(json_object_get(host, "RestartPolicy"), "Name"));
        if (o->v[OPT_RM].b && name && *name && !streq(name, "no"))
                return lade_error_msg(err, EINVAL, "conflicting options: cannot specify both --restart and --rm");
        return 0;
}

static int build_networks(RunOpts *o, json_t *config, json_t *host, LadeError **err)
{
        json_t *eps = NULL;
        const char *mode = o->n_nets > 0 ? o->nets[0].target : "default";
        int r = run_build_networks(o, &eps, err);
        if (r < 0)
                return r;
        json_object_set_new(host, "NetworkMode", json_string(mode));
        json_object_set_new(config, "NetworkingConfig", json_pack("{s:o}", "EndpointsConfig", eps));
        return 0;
}

static int cap_cmp(const void *a, const void *b)
{
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* The API client's normalizeCapabilities: upper case, "CAP_" prefixed (but "ALL"), unique,
 * sorted; null stays null. */
static json_t *caps_normalized(char **caps)
{
        _cleanup_strv_free_ char **norm = NULL;
        for (; caps && *caps; caps++) {
                _cleanup_free_ char *up = xstrdup(*caps), *c = NULL;
                for (char *p = up; *p; p++)
                        *p = (char) (*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
                c = streq(up, "ALL") || startswith(up, "CAP_") ? xstrdup(up) : xasprintf("CAP_%s", up);
                if (!strv_contains(norm, c))
                        norm = strv_append(norm, c);
        }
        if (norm)
                qsort(norm, strv_length(norm), sizeof(char *), cap_cmp);
        return strv_json_or_null(norm);
}

/* What the API client (client.ContainerCreate at API 1.50) changes before sending: capabilities
 * normalised; KernelMemory (deprecated) and Config.MacAddress are never sent. */
static int client_adjust(RunOpts *o, json_t *config, json_t *host, LadeError **err)
{
        json_object_set_new(host, "CapAdd", caps_normalized(o->v[OPT_CAP_ADD].list));
        json_object_set_new(host, "CapDrop", caps_normalized(o->v[OPT_CAP_DROP].list));
        return 0;
}

typedef int (*BodyStep)(RunOpts *o, json_t *config, json_t *host, LadeError **err);

/* parse()'s order, then the checks docker's daemon makes on the same body. */
static const BodyStep body_steps[] = {
        check_mac, check_swappiness, build_volumes, build_tmpfs, build_ports, build_devices,
        build_env, build_labels, check_modes, build_restart, build_logging, build_security,
        build_storage_opts, build_health, build_rest, check_rm, build_networks, client_adjust,
        run_check_daemon,
};

int run_build_body(RunOpts *o, json_t **ret, LadeError **err)
{
        _cleanup_json_ json_t *body = config_skeleton(o);
        json_t *host = host_skeleton(o);
        json_object_set_new(body, "HostConfig", host);
        for (size_t i = 0; i < ELEMENTSOF(body_steps); i++) {
                int r = body_steps[i](o, body, host, err);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(body);
        return 0;
}

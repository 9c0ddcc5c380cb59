/* linux.{namespaces, resources, sysctl, cgroupsPath} as dockerd builds them (WithNamespaces,
 * WithResources, WithSysctls, withCgroups, withCommonOptions' sysctls), and the checks dockerd
 * makes on HostConfig when a container is created (verifyPlatformContainerResources,
 * verifyPlatformContainerSettings, validateHostConfig), with its messages:
 *   "Minimum memory limit allowed is 6MB". */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "container-spec-internal.h"
#include "json-util.h"
#include "util.h"

#define MIN_MEMORY 6291456 /* dockerd's linuxMinMemory: 6MB */

typedef struct Resources {
        int64_t memory, reservation, swap, swappiness, nano_cpus, shares, period, quota;
        int64_t rt_period, rt_runtime;
        int64_t pids, blkio_weight, io_bw, io_iops;
        bool swappiness_set, oom_kill_disable, pids_set;
        const char *cpuset_cpus, *cpuset_mems;
} Resources;

static int read_resources(json_t *h, Resources *r, LadeError **err)
{
        static const struct { const char *key; size_t off; } ints[] = {
                { "Memory", offsetof(Resources, memory) },
                { "MemoryReservation", offsetof(Resources, reservation) },
                { "MemorySwap", offsetof(Resources, swap) },
                { "NanoCpus", offsetof(Resources, nano_cpus) },
                { "CpuShares", offsetof(Resources, shares) },
                { "CpuPeriod", offsetof(Resources, period) },
                { "CpuQuota", offsetof(Resources, quota) },
                { "CpuRealtimePeriod", offsetof(Resources, rt_period) },
                { "CpuRealtimeRuntime", offsetof(Resources, rt_runtime) },
                { "BlkioWeight", offsetof(Resources, blkio_weight) },
                { "IOMaximumBandwidth", offsetof(Resources, io_bw) },
                { "IOMaximumIOps", offsetof(Resources, io_iops) },
        };
        int k = 0;
        for (size_t i = 0; k >= 0 && i < ELEMENTSOF(ints); i++)
                k = cspec_int(h, "HostConfig", ints[i].key, (int64_t *) ((char *) r + ints[i].off),
                              err);
        if (k >= 0)
                k = cspec_opt_int(h, "HostConfig", "MemorySwappiness", &r->swappiness,
                                  &r->swappiness_set, err);
        if (k >= 0)
                k = cspec_opt_int(h, "HostConfig", "PidsLimit", &r->pids, &r->pids_set, err);
        if (k >= 0)
                k = cspec_bool(h, "HostConfig", "OomKillDisable", &r->oom_kill_disable, err);
        if (k >= 0)
                k = cspec_string(h, "HostConfig", "CpusetCpus", &r->cpuset_cpus, err);
        if (k >= 0)
                k = cspec_string(h, "HostConfig", "CpusetMems", &r->cpuset_mems, err);
        /* fixMemorySwappiness: -1 means unset; PidsLimit <= 0 is unlimited (no pids entry) */
        if (r->swappiness_set && r->swappiness == -1)
                r->swappiness_set = false;
        if (r->pids_set && r->pids <= 0)
                r->pids_set = false;
        return k;
}

static int invalid(LadeError **err, const char *msg)
{
        return lade_error_msg(err, EINVAL, "%s", msg);
}

static int validate_memory(const Resources *r, bool update, LadeError **err)
{
        if (r->memory != 0 && r->memory < MIN_MEMORY)
                return invalid(err, "Minimum memory limit allowed is 6MB");
        if (r->memory > 0 && r->swap > 0 && r->swap < r->memory)
                return invalid(
                        err,
                        "Minimum memoryswap limit should be larger than memory limit, see usage");
        if (r->memory == 0 && r->swap > 0 && !update)
                return invalid(err, "You should always set the Memory limit when using Memoryswap "
                                    "limit, see usage");
        if (r->swappiness_set && (r->swappiness < 0 || r->swappiness > 100))
                return lade_error_msg(err, EINVAL,
                                      "Invalid value: %lld, valid memory swappiness range "
                                      "is 0-100",
                                      (long long) r->swappiness);
        if (r->reservation > 0 && r->reservation < MIN_MEMORY)
                return invalid(err, "Minimum memory reservation allowed is 6MB");
        if (r->memory > 0 && r->reservation > 0 && r->memory < r->reservation)
                return invalid(err, "Minimum memory limit can not be less than memory reservation "
                                    "limit, see usage");
        return 0;
}

static int cpu_count(void)
{
        cpu_set_t set;
        if (sched_getaffinity(0, sizeof(set), &set) == 0)
                return CPU_COUNT(&set);
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        return n > 0 ? (int) n : 1;
}

/* "0-3,7" within [0, max]; false on bad syntax, *ret_ok false when out of range. */
static bool cpuset_parse(const char *s, int max, bool *ret_ok)
{
        *ret_ok = true;
        if (!*s)
                return true;
        _cleanup_free_ char *copy = xstrdup(s);
        char *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                unsigned lo, hi;
                int n = 0;
                if (sscanf(t, "%u-%u%n", &lo, &hi, &n) == 2 && !t[n]) {
                        if (hi < lo)
                                return false;
                } else if (sscanf(t, "%u%n", &lo, &n) == 1 && !t[n]) {
                        hi = lo;
                } else {
                        return false;
                }
                if ((int) hi > max)
                        *ret_ok = false;
        }
        return true;
}

/* The highest id in a sysfs list such as /sys/devices/system/cpu/online ("0-7"). */
static int sysfs_list_max(const char *path)
{
        _cleanup_free_ char *text = NULL;
        if (read_file_at(AT_FDCWD, path, 4096, &text, NULL, NULL) < 0)
                return 0;
        int max = 0;
        for (char *p = text; *p; p++)
                if ((p == text || p[-1] == ',' || p[-1] == '-') && *p >= '0' && *p <= '9')
                        if (atoi(p) > max)
                                max = atoi(p);
        return max;
}

static int validate_cpuset(const char *value, const char *what, const char *sysfs, LadeError **err)
{
        bool ok;
        if (!value)
                return 0;
        int max = sysfs_list_max(sysfs);
        if (!cpuset_parse(value, max, &ok))
                return lade_error_msg(err, EINVAL, "Invalid value %s for cpuset %s", value, what);
        if (!ok)
                return lade_error_msg(err, EINVAL,
                                      "Requested %s are not available - requested %s, "
                                      "available: 0-%d",
                                      streq(what, "cpus") ? "CPUs" : "memory nodes", value, max);
        return 0;
}

static int validate_cpu(const Resources *r, LadeError **err)
{
        if (r->nano_cpus > 0 && r->period > 0)
                return invalid(err,
                               "Conflicting options: Nano CPUs and CPU Period cannot both be set");
        if (r->nano_cpus > 0 && r->quota > 0)
                return invalid(err,
                               "Conflicting options: Nano CPUs and CPU Quota cannot both be set");
        int nc = cpu_count();
        if (r->nano_cpus != 0 && (r->nano_cpus < 0 || r->nano_cpus > (int64_t) nc * 1000000000))
                return lade_error_msg(err, EINVAL,
                                      "range of CPUs is from 0.01 to %d.00, as there are "
                                      "only %d CPUs available",
                                      nc, nc);
        if (r->period != 0 && (r->period < 1000 || r->period > 1000000))
                return invalid(err, "CPU cfs period can not be less than 1ms (i.e. 1000) or larger "
                                    "than 1s (i.e. 1000000)");
        if (r->quota > 0 && r->quota < 1000)
                return invalid(err, "CPU cfs quota can not be less than 1ms (i.e. 1000)");
        if (r->shares < 0)
                return lade_error_msg(err, EINVAL,
                                      "invalid CPU shares (%lld): value must be a positive "
                                      "integer",
                                      (long long) r->shares);
        int k = validate_cpuset(r->cpuset_cpus, "cpus", "/sys/devices/system/cpu/online", err);
        if (k >= 0)
                k = validate_cpuset(r->cpuset_mems, "mems", "/sys/devices/system/node/online", err);
        return k;
}

static int validate_blkio(const Resources *r, LadeError **err)
{
        if (r->blkio_weight > 0 && (r->blkio_weight < 10 || r->blkio_weight > 1000))
                return invalid(err, "Range of blkio weight is from 10 to 1000");
        if (r->io_bw != 0 || r->io_iops != 0)
                return invalid(err, "Invalid QoS settings: linux does not support Maximum IO "
                                    "Bandwidth or Maximum IO IOps");
        return 0;
}

/* IpcMode/PidMode/UTSMode/CgroupnsMode values dockerd accepts. */
static bool mode_valid(const char *mode, const char *const *ok, bool container)
{
        if (!mode || !*mode)
                return true;
        for (; *ok; ok++)
                if (streq(mode, *ok))
                        return true;
        return container && startswith(mode, "container:") && mode[10];
}

static int validate_modes(SpecBuild *b, LadeError **err)
{
        static const char *const ipc[] = { "none", "private", "shareable", "host", NULL };
        static const char *const pid[] = { "host", NULL };
        static const char *const cgns[] = { "private", "host", NULL };
        if (!mode_valid(b->ipc_mode, ipc, true))
                return lade_error_msg(err, EINVAL, "invalid IPC mode: %s", b->ipc_mode);
        if (!mode_valid(b->pid_mode, pid, true))
                return lade_error_msg(err, EINVAL, "invalid PID mode: %s", b->pid_mode);
        if (b->shm_size < 0)
                return invalid(err, "SHM size can not be less than 0");
        if (!mode_valid(b->uts_mode, pid, false))
                return lade_error_msg(err, EINVAL, "invalid UTS mode: %s", b->uts_mode);
        if (!mode_valid(b->cgroupns_mode, cgns, false))
                return lade_error_msg(err, EINVAL, "invalid cgroup namespace mode: %s",
                                      b->cgroupns_mode);
        int64_t oom;
        int r = cspec_int(b->host, "HostConfig", "OomScoreAdj", &oom, err);
        if (r >= 0 && (oom < -1000 || oom > 1000))
                return lade_error_msg(err, EINVAL, "Invalid value %lld, range for oom score adj is "
                                      "[-1000, 1000]", (long long) oom);
        return r;
}

static int validate_annotations(SpecBuild *b, LadeError **err)
{
        json_t *a;
        int r = cspec_object(b->host, "HostConfig", "Annotations", &a, err);
        if (r >= 0 && json_object_get(a, ""))
                return invalid(err, "invalid Annotations: the empty string is not permitted as an "
                                    "annotation key");
        return r;
}

int cspec_validate_host_config(SpecBuild *b, LadeError **err)
{
        Resources res = {};
        int r = read_resources(b->host, &res, err);
        if (r >= 0)
                r = validate_memory(&res, false, err);
        if (r >= 0)
                r = validate_cpu(&res, err);
        if (r >= 0)
                r = validate_blkio(&res, err);
        if (r >= 0)
                r = validate_modes(b, err);
        return r < 0 ? r : validate_annotations(b, err);
}

/* verifyPlatformContainerResources(update=true) on a POST /containers/{id}/update body: a
 * swap limit alone is allowed (it joins the container's memory limit). */
int container_spec_validate_update(json_t *update, LadeError **err)
{
        Resources res = {};
        int r = read_resources(update, &res, err);
        if (r >= 0)
                r = validate_memory(&res, true, err);
        if (r >= 0)
                r = validate_cpu(&res, err);
        return r < 0 ? r : validate_blkio(&res, err);
}

/* ---- resources ---- */

static json_t *memory_json(const SpecBuild *b, const Resources *r)
{
        json_t *m = json_object();
        /* adaptContainerSettings: by default swap is twice the memory limit */
        int64_t swap = r->memory > 0 && r->swap == 0 ? r->memory * 2 : r->swap;
        if (r->memory > 0)
                json_object_set_new(m, "limit", json_integer(r->memory));
        if (r->reservation > 0)
                json_object_set_new(m, "reservation", json_integer(r->reservation));
        if (swap > 0)
                json_object_set_new(m, "swap", json_integer(swap));
        /* cgroup v2 has neither knob: dockerd discards both (then defaults OomKillDisable) */
        if (r->swappiness_set && !b->cgroup2)
                json_object_set_new(m, "swappiness", json_integer(r->swappiness));
        json_object_set_new(m, "disableOOMKiller",
                            json_boolean(r->oom_kill_disable && !b->cgroup2));
        return m;
}

static json_t *cpu_json(const Resources *r)
{
        json_t *c = json_object();
        if (r->shares != 0)
                json_object_set_new(c, "shares", json_integer(r->shares));
        if (r->nano_cpus > 0) {
                /* sched-bwc: a 100ms period and the matching quota */
                json_object_set_new(c, "quota", json_integer(r->nano_cpus * 100000 / 1000000000));
                json_object_set_new(c, "period", json_integer(100000));
        }
        if (r->period != 0)
                json_object_set_new(c, "period", json_integer(r->period));
        if (r->quota != 0)
                json_object_set_new(c, "quota", json_integer(r->quota));
        if (r->rt_runtime != 0)
                json_object_set_new(c, "realtimeRuntime", json_integer(r->rt_runtime));
        if (r->rt_period != 0)
                json_object_set_new(c, "realtimePeriod", json_integer(r->rt_period));
        if (r->cpuset_cpus && *r->cpuset_cpus)
                json_object_set_new(c, "cpus", json_string(r->cpuset_cpus));
        if (r->cpuset_mems && *r->cpuset_mems)
                json_object_set_new(c, "mems", json_string(r->cpuset_mems));
        if (json_object_size(c) == 0) {
                json_decref(c);
                return NULL;
        }
        return c;
}

/* [{Path, <key>}] of block devices -> [{major, minor, <out>}] (getBlkioThrottleDevices). */
static int blkio_devices(json_t *h, const char *field, const char *key, const char *out, json_t *io,
                         const char *io_key, LadeError **err)
{
        json_t *list, *d;
        size_t i;
        int r = cspec_array(h, "HostConfig", field, &list, err);
        if (r < 0 || json_array_size(list) == 0)
                return r;
        json_t *a = json_array();
        json_object_set_new(io, io_key, a);
        json_array_foreach(list, i, d) {
                const char *path;
                int64_t v;
                struct stat st;
                r = cspec_string(d, field, "Path", &path, err);
                if (r >= 0)
                        r = cspec_int(d, field, key, &v, err);
                if (r < 0)
                        return r;
                if (!path || stat(path, &st) < 0)
                        return lade_error(err, path ? errno : ENOENT, "stat %s", path ? path : "");
                json_array_append_new(a, json_pack("{s:I, s:I, s:o}", "major",
                                                   (json_int_t) major(st.st_rdev), "minor",
                                                   (json_int_t) minor(st.st_rdev), out,
                                                   cspec_json_u64((uint64_t) v)));
        }
        return 0;
}

static int blkio_json(json_t *h, const Resources *res, json_t **ret, LadeError **err)
{
        _cleanup_json_ json_t *io = json_object();
        if (res->blkio_weight != 0)
                json_object_set_new(io, "weight", json_integer(res->blkio_weight));
        int r = blkio_devices(h, "BlkioWeightDevice", "Weight", "weight", io, "weightDevice", err);
        if (r >= 0)
                r = blkio_devices(h, "BlkioDeviceReadBps", "Rate", "rate", io,
                                  "throttleReadBpsDevice", err);
        if (r >= 0)
                r = blkio_devices(h, "BlkioDeviceWriteBps", "Rate", "rate", io,
                                  "throttleWriteBpsDevice", err);
        if (r >= 0)
                r = blkio_devices(h, "BlkioDeviceReadIOps", "Rate", "rate", io,
                                  "throttleReadIOPSDevice", err);
        if (r >= 0)
                r = blkio_devices(h, "BlkioDeviceWriteIOps", "Rate", "rate", io,
                                  "throttleWriteIOPSDevice", err);
        if (r >= 0)
                *ret = TAKE_PTR(io);
        return r;
}

static int build_resources(SpecBuild *b, json_t *linux_, LadeError **err)
{
        Resources res = {};
        json_t *resources = json_object(), *io = NULL;
        json_object_set_new(linux_, "resources", resources);
        int r = read_resources(b->host, &res, err);
        if (r >= 0)
                r = cspec_build_devices(b, linux_, resources, err);
        if (r >= 0)
                r = blkio_json(b->host, &res, &io, err);
        if (r < 0)
                return r;
        json_object_set_new(resources, "memory", memory_json(b, &res));
        json_t *cpu = cpu_json(&res);
        if (cpu)
                json_object_set_new(resources, "cpu", cpu);
        if (res.pids_set)
                json_object_set_new(resources, "pids",
                                    json_pack("{s:I}", "limit", (json_int_t) res.pids));
        json_object_set_new(resources, "blockIO", io);
        return 0;
}

/* ---- namespaces ---- */

/* "container:<x>": the caller resolves the other container to a pid or a namespace path. */
static int ns_path(const char *mode, const char *file, char **ret, LadeError **err)
{
        const char *x = mode + strlen("container:");
        int64_t pid;
        if (x[0] == '/') {
                *ret = xstrdup(x);
                return 0;
        }
        if (parse_int64(x, &pid) == 0 && pid > 0) {
                *ret = xasprintf("/proc/%lld/ns/%s", (long long) pid, file);
                return 0;
        }
        return lade_error_msg(err, EINVAL, "cannot join the %s namespace of container %s: give its "
                              "pid or namespace path", file, x);
}

static json_t *ns_find(json_t *list, const char *type, size_t *ret_idx)
{
        size_t i;
        json_t *n;
        json_array_foreach(list, i, n)
                if (streq(json_string_value(json_object_get(n, "type")), type)) {
                        *ret_idx = i;
                        return n;
                }
        return NULL;
}

/* setNamespace / RemoveNamespace for one type from its mode. */
static int ns_apply(json_t *list, const char *type, const char *mode, const char *file,
                    LadeError **err)
{
        size_t idx;
        json_t *n = ns_find(list, type, &idx);
        if (streq(mode, "host")) {
                if (n)
                        json_array_remove(list, idx);
                return 0;
        }
        if (!mode || !startswith(mode, "container:"))
                return 0;
        _cleanup_free_ char *path = NULL;
        int r = ns_path(mode, file, &path, err);
        if (r < 0)
                return r;
        if (!n)
                json_array_append_new(list, n = json_pack("{s:s}", "type", type));
        json_object_set_new(n, "path", json_string(path));
        return 0;
}

static int build_namespaces(SpecBuild *b, json_t *linux_, LadeError **err)
{
        json_t *list = json_pack("[{s:s},{s:s},{s:s},{s:s},{s:s}]", "type", "mount", "type",
                                 "network", "type", "uts", "type", "pid", "type", "ipc");
        json_object_set_new(linux_, "namespaces", list);
        bool disabled;
        int r = cspec_bool(b->create, "", "NetworkDisabled", &disabled, err);
        if (r >= 0 && !disabled)
                r = ns_apply(list, "network", b->network_mode, "net", err);
        if (r >= 0)
                r = ns_apply(list, "ipc", b->ipc_mode, "ipc", err);
        if (r >= 0)
                r = ns_apply(list, "pid", b->pid_mode, "pid", err);
        if (r >= 0)
                r = ns_apply(list, "uts", b->uts_mode, "uts", err);
        if (r >= 0 && streq(b->cgroupns_mode, "private"))
                json_array_append_new(list, json_pack("{s:s}", "type", "cgroup"));
        return r;
}

/* ---- sysctl, cgroups path ---- */

static bool in_user_namespace(void)
{
        _cleanup_free_ char *map = NULL;
        if (read_file_at(AT_FDCWD, "/proc/self/uid_map", 4096, &map, NULL, NULL) < 0)
                return false;
        unsigned long long a, b, n;
        return sscanf(map, "%llu %llu %llu", &a, &b, &n) != 3 || a != 0 || b != 0 ||
               n != 4294967295ULL;
}

static int build_sysctl(SpecBuild *b, json_t *linux_, LadeError **err)
{
        json_t *sysctl = json_object(), *user;
        struct stat st;
        if (b->domainname && *b->domainname)
                json_object_set_new(sysctl, "kernel.domainname", json_string(b->domainname));
        bool private_net = !streq(b->network_mode, "host") &&
                           !startswith(b->network_mode ? b->network_mode : "", "container:");
        if (private_net && !in_user_namespace() &&
            stat("/proc/sys/net/ipv4/ping_group_range", &st) == 0)
                json_object_set_new(sysctl, "net.ipv4.ping_group_range",
                                    json_string("0 2147483647"));
        if (private_net && stat("/proc/sys/net/ipv4/ip_unprivileged_port_start", &st) == 0)
                json_object_set_new(sysctl, "net.ipv4.ip_unprivileged_port_start",
                                    json_string("0"));
        int r = cspec_object(b->host, "HostConfig", "Sysctls", &user, err);
        const char *k;
        json_t *v;
        json_object_foreach(user, k, v) {
                if (r >= 0 && !json_is_string(v))
                        r = lade_error_msg(err, EINVAL, "HostConfig.Sysctls.%s: expected a string, "
                                           "got %s", k, json_type_name(v));
                if (r >= 0)
                        json_object_set(sysctl, k, v);
        }
        if (r >= 0 && json_object_size(sysctl) > 0)
                json_object_set(linux_, "sysctl", sysctl);
        json_decref(sysctl);
        return r;
}

static int build_cgroups_path(SpecBuild *b, json_t *linux_, LadeError **err)
{
        const char *parent;
        int r = cspec_string(b->host, "HostConfig", "CgroupParent", &parent, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *joined = xasprintf("%s/%s", parent && *parent ? parent : "/lade",
                                                b->in->id);
        _cleanup_free_ char *path = cspec_path_clean(joined);
        json_object_set_new(linux_, "cgroupsPath", json_string(path));
        return 0;
}

int cspec_build_linux(SpecBuild *b, json_t *linux_, LadeError **err)
{
        int r = build_sysctl(b, linux_, err);
        if (r >= 0)
                r = build_resources(b, linux_, err);
        if (r >= 0)
                r = build_cgroups_path(b, linux_, err);
        if (r >= 0)
                r = build_namespaces(b, linux_, err);
        return r;
}

/* Shared between the run-flags*.c files: the option slots the flag scanner fills, and the Go
 * standard-library behaviours (strconv, time, net, encoding/csv, path) that the docker CLI's
 * messages and values depend on. Used by src/cli/run-flags*.c, and by cmd-update.c for the Go
 * parsers. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"
#include "run-flags.h"

/* Limits on what a command line can make us build (everything here is attacker-sized input when
 * the CLI runs on behalf of a script): a value or file line is at most 1 MiB, a file 16 MiB. */
#define RUN_FLAGS_VALUE_MAX (1024 * 1024)
#define RUN_FLAGS_FILE_MAX (16 * 1024 * 1024)
/* A port range expands to one entry per port; Docker allows 65536, so do we. */
#define RUN_FLAGS_PORTS_MAX 65536

typedef enum RunOpt {
        OPT_ATTACH, OPT_DEVICE_CGROUP_RULE, OPT_DEVICE, OPT_GPUS, OPT_ENV, OPT_ENV_FILE,
        OPT_ENTRYPOINT, OPT_GROUP_ADD, OPT_HOSTNAME, OPT_DOMAINNAME, OPT_INTERACTIVE, OPT_LABEL,
        OPT_LABEL_FILE, OPT_READ_ONLY, OPT_RESTART, OPT_STOP_SIGNAL, OPT_STOP_TIMEOUT, OPT_SYSCTL,
        OPT_TTY, OPT_ULIMIT, OPT_USER, OPT_WORKDIR, OPT_RM, OPT_CAP_ADD, OPT_CAP_DROP,
        OPT_PRIVILEGED, OPT_SECURITY_OPT, OPT_USERNS, OPT_CGROUPNS, OPT_ADD_HOST, OPT_DNS,
        OPT_DNS_OPTION, OPT_DNS_SEARCH, OPT_EXPOSE, OPT_IP, OPT_IP6, OPT_LINK, OPT_LINK_LOCAL_IP,
        OPT_MAC_ADDRESS, OPT_PUBLISH, OPT_PUBLISH_ALL, OPT_NETWORK, OPT_NETWORK_ALIAS,
        OPT_LOG_DRIVER, OPT_VOLUME_DRIVER, OPT_LOG_OPT, OPT_STORAGE_OPT, OPT_TMPFS,
        OPT_VOLUMES_FROM, OPT_VOLUME, OPT_MOUNT, OPT_HEALTH_CMD, OPT_HEALTH_INTERVAL,
        OPT_HEALTH_RETRIES, OPT_HEALTH_TIMEOUT, OPT_HEALTH_START_PERIOD,
        OPT_HEALTH_START_INTERVAL, OPT_NO_HEALTHCHECK, OPT_BLKIO_WEIGHT,
        OPT_BLKIO_WEIGHT_DEVICE, OPT_CIDFILE, OPT_CPUSET_CPUS, OPT_CPUSET_MEMS, OPT_CPU_COUNT,
        OPT_CPU_PERCENT, OPT_CPU_PERIOD, OPT_CPU_QUOTA, OPT_CPU_RT_PERIOD, OPT_CPU_RT_RUNTIME,
        OPT_CPU_SHARES, OPT_CPUS, OPT_DEVICE_READ_BPS, OPT_DEVICE_READ_IOPS,
        OPT_DEVICE_WRITE_BPS, OPT_DEVICE_WRITE_IOPS, OPT_IO_MAXBANDWIDTH, OPT_IO_MAXIOPS,
        OPT_KERNEL_MEMORY, OPT_MEMORY, OPT_MEMORY_RESERVATION, OPT_MEMORY_SWAP,
        OPT_MEMORY_SWAPPINESS, OPT_OOM_KILL_DISABLE, OPT_OOM_SCORE_ADJ, OPT_PIDS_LIMIT,
        OPT_CGROUP_PARENT, OPT_IPC, OPT_ISOLATION, OPT_PID, OPT_SHM_SIZE, OPT_UTS, OPT_RUNTIME,
        OPT_INIT, OPT_ANNOTATION,
        /* docker run / docker create only (not stored in Config/HostConfig) */
        OPT_NAME, OPT_PULL, OPT_QUIET, OPT_USE_API_SOCKET, OPT_HELP, OPT_PLATFORM,
        OPT_DISABLE_CONTENT_TRUST, OPT_DETACH, OPT_SIG_PROXY, OPT_DETACH_KEYS,
        _OPT_MAX,
        _OPT_INVALID = -EINVAL,
} RunOpt;

typedef struct FlagValue {
        bool changed;
        bool b;
        int64_t i;      /* ints, byte sizes, durations (ns), nano CPUs */
        uint64_t u;     /* unsigned ints */
        char *s;
        char **list;    /* repeatable flags, in command-line order */
} FlagValue;

/* One --network value (opts.NetworkAttachmentOpts). */
typedef struct NetAttach {
        char *target;
        char **aliases;
        json_t *driver_opts;
        char **links;
        char *ipv4, *ipv6, *mac;
        char **link_local_ips;
        int64_t gw_priority;
} NetAttach;

typedef struct RunOpts {
        FlagValue v[_OPT_MAX];
        json_t *mounts;          /* [Mount] */
        json_t *ulimits;         /* {name: Ulimit} */
        json_t *gpus;            /* [DeviceRequest] */
        json_t *weight_devices;  /* [WeightDevice] */
        json_t *throttle[4];     /* read bps, read iops, write bps, write iops */
        json_t *sysctls;         /* {k: v} */
        json_t *annotations;     /* {k: v} */
        NetAttach *nets;
        size_t n_nets;
        char *image;
        char **args;
        bool is_run;
} RunOpts;

void run_net_attach_done(NetAttach *n);

/* Custom flag types: parse `value` into o; on failure set err to the bare reason (the scanner
 * adds `invalid argument "v" for "--flag" flag: `). */
typedef int (*FlagSetter)(RunOpts *o, RunOpt opt, const char *value, LadeError **err);
/* List validators: return the value to store (possibly rewritten) in *ret. */
typedef int (*FlagValidator)(const char *value, char **ret, LadeError **err);

int run_set_ulimit(RunOpts *o, RunOpt opt, const char *value, LadeError **err);
int run_set_mount(RunOpts *o, RunOpt opt, const char *value, LadeError **err);
int run_set_gpus(RunOpts *o, RunOpt opt, const char *value, LadeError **err);
int run_set_network(RunOpts *o, RunOpt opt, const char *value, LadeError **err);
int run_set_weight_device(RunOpts *o, RunOpt opt, const char *value, LadeError **err);
int run_set_throttle_device(RunOpts *o, RunOpt opt, const char *value, LadeError **err);
int run_set_map(RunOpts *o, RunOpt opt, const char *value, LadeError **err);

int run_validate_attach(const char *value, char **ret, LadeError **err);
int run_validate_env(const char *value, char **ret, LadeError **err);
int run_validate_label(const char *value, char **ret, LadeError **err);
int run_validate_ip(const char *value, char **ret, LadeError **err);
int run_validate_dns_search(const char *value, char **ret, LadeError **err);
int run_validate_extra_host(const char *value, char **ret, LadeError **err);
int run_validate_link(const char *value, char **ret, LadeError **err);
int run_validate_cgroup_rule(const char *value, char **ret, LadeError **err);

/* parse() of cli/command/container/opts.go: the options -> the create body. */
int run_build_body(RunOpts *o, json_t **ret, LadeError **err);
/* Binds and Volumes from -v (run-flags-volumes.c). */
int run_build_volumes(RunOpts *o, json_t *config, json_t *host, LadeError **err);
/* ExposedPorts and PortBindings from -p and --expose (run-flags-ports.c). */
int run_build_ports(RunOpts *o, json_t *config, json_t *host, LadeError **err);
/* Devices and DeviceRequests from --device and --gpus. */
int run_build_devices(RunOpts *o, json_t *host, LadeError **err);
/* NetworkingConfig.EndpointsConfig from --network and its companions. */
int run_build_networks(RunOpts *o, json_t **ret, LadeError **err);
/* --security-opt: seccomp=FILE replaced by the file's compacted JSON; systempaths=unconfined
 * turned into empty MaskedPaths/ReadonlyPaths (run-flags-files.c). */
int run_build_security(RunOpts *o, json_t *host, LadeError **err);
/* What docker's daemon rejects in a create body and docker 28's CLI leaves to it: a relative
 * WorkingDir, an invalid RestartPolicy, container network mode with its own hostname, DNS, hosts
 * or ports. Same signature as the body steps. */
int run_check_daemon(RunOpts *o, json_t *config, json_t *host, LadeError **err);
/* The env-file / label-file reader (cli/pkg/kvfile): appends KEY=VALUE lines to *list. */
int run_read_kv_file(const char *path, bool lookup_env, char ***list, LadeError **err);

/* ---- Go standard-library behaviours (run-flags-go.c) ---- */

/* strconv.Quote (printable non-ASCII kept, as Go does for the common cases). */
char *go_quote(const char *s);
/* fmt %q of a byte: a Go character literal ('x'). */
char *go_quote_byte(unsigned char c);
/* strconv.ParseInt/ParseUint(s, base, bits): 0 or -ERANGE/-EINVAL; msg is Go's error text. */
int go_parse_int(const char *s, int base, int bits, int64_t *ret, char **msg);
int go_parse_uint(const char *s, int base, int bits, uint64_t *ret, char **msg);
/* strconv.Atoi: the bare reason ("invalid syntax", "value out of range") on failure. */
int go_atoi(const char *s, int64_t *ret, const char **reason);
int go_parse_bool(const char *s, bool *ret, char **msg);
/* time.ParseDuration in nanoseconds. */
int go_parse_duration(const char *s, int64_t *ret, char **msg);
/* go-units RAMInBytes. */
int go_ram_in_bytes(const char *s, int64_t *ret, char **msg);
/* opts.ParseCPUs (big.Rat * 1e9, must be an integer). */
int go_parse_cpus(const char *s, int64_t *ret, char **msg);
/* net.ParseIP + IP.String(); false if not an address. ret may be NULL. */
bool go_parse_ip(const char *s, char **ret);
/* net.ParseMAC acceptance. */
bool go_parse_mac(const char *s);
/* encoding/csv: the first record of s. */
int go_csv_record(const char *s, char ***ret, char **msg);
/* path.Clean. */
char *go_path_clean(const char *p);
/* filepath.Abs of a relative path (cwd joined and cleaned); NULL if getcwd fails. */
char *go_path_abs(const char *p);
/* strings.TrimSpace (ASCII and the Unicode spaces Go trims); TrimLeftFunc(unicode.IsSpace). */
char *go_trim_space(const char *s);
char *go_trim_left_space(const char *s);
bool go_utf8_valid(const char *s, size_t len);
/* A syscall error as Go words it ("no such file or directory"). */
char *go_strerror(int errnum);

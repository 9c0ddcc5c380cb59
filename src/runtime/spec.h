/* The OCI runtime spec (1.1) config.json, parsed into plain C structs.
 *
 * spec_parse() validates types and values up front and names the offending field in its error
 * ("linux.resources.memory.limit: expected an integer"), so nothing later has to re-check.
 * Optional scalars use OptI64/OptU64/OptBool (`.set` tells whether the field was present);
 * arrays are (pointer, count) pairs; string arrays are NULL-terminated char **. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "err.h"

/* Limits on attacker-controlled sizes (config.json may come from anyone who can write a bundle). */
#define SPEC_MAX_BYTES (16u * 1024 * 1024)
#define SPEC_MAX_ARRAY 65536

typedef struct OptI64 {
        bool set;
        int64_t v;
} OptI64;
typedef struct OptU64 {
        bool set;
        uint64_t v;
} OptU64;
typedef struct OptBool {
        bool set;
        bool v;
} OptBool;

typedef struct SpecKV {
        char *key;
        char *value;
} SpecKV;

typedef struct SpecUser {
        uint32_t uid, gid;
        OptU64 umask;
        uint32_t *additional_gids;
        size_t n_additional_gids;
        char *username; /* windows only; kept for round trips */
} SpecUser;

typedef struct SpecRlimit {
        int resource; /* RLIMIT_* */
        char *type;   /* "RLIMIT_NOFILE" */
        uint64_t soft, hard;
} SpecRlimit;

typedef struct SpecCaps {
        /* each NULL when absent (absent != empty) */
        char **bounding, **effective, **inheritable, **permitted, **ambient;
} SpecCaps;

typedef struct SpecScheduler {
        bool set;
        char *policy; /* SCHED_OTHER ... */
        OptI64 nice, priority;
        char **flags;
        OptU64 runtime, deadline, period;
} SpecScheduler;

typedef struct SpecIOPriority {
        bool set;
        char *klass; /* IOPRIO_CLASS_RT|BE|IDLE */
        int64_t priority;
} SpecIOPriority;

typedef struct SpecProcess {
        bool terminal;
        OptU64 console_height, console_width;
        SpecUser user;
        char **args;         /* may be NULL: then `start` must fail */
        char *command_line;  /* windows */
        char **env;
        char *cwd;
        SpecCaps caps;
        bool has_caps;
        SpecRlimit *rlimits;
        size_t n_rlimits;
        bool no_new_privileges;
        char *apparmor_profile;
        OptI64 oom_score_adj;
        char *selinux_label;
        SpecIOPriority io_priority;
        SpecScheduler scheduler;
        char *exec_cpu_affinity_initial, *exec_cpu_affinity_final;
} SpecProcess;

typedef struct SpecIdMap {
        uint32_t container_id, host_id, size;
} SpecIdMap;

typedef struct SpecMount {
        char *destination;
        char *type;   /* may be NULL (bind mounts) */
        char *source; /* may be NULL */
        char **options;
        SpecIdMap *uid_mappings, *gid_mappings;
        size_t n_uid_mappings, n_gid_mappings;
} SpecMount;

typedef struct SpecHook {
        char *path;
        char **args;
        char **env;
        OptI64 timeout; /* seconds, > 0 */
} SpecHook;

typedef enum SpecHookKind {
        SPEC_HOOK_PRESTART,
        SPEC_HOOK_CREATE_RUNTIME,
        SPEC_HOOK_CREATE_CONTAINER,
        SPEC_HOOK_START_CONTAINER,
        SPEC_HOOK_POSTSTART,
        SPEC_HOOK_POSTSTOP,
        _SPEC_HOOK_MAX,
        _SPEC_HOOK_INVALID = -EINVAL,
} SpecHookKind;

typedef enum SpecNamespaceType {
        SPEC_NS_PID,
        SPEC_NS_NETWORK,
        SPEC_NS_MOUNT,
        SPEC_NS_IPC,
        SPEC_NS_UTS,
        SPEC_NS_USER,
        SPEC_NS_CGROUP,
        SPEC_NS_TIME,
        _SPEC_NS_MAX,
        _SPEC_NS_INVALID = -EINVAL,
} SpecNamespaceType;

typedef struct SpecNamespace {
        bool present;  /* listed in linux.namespaces */
        char *path;    /* join this one; NULL = create new */
} SpecNamespace;

typedef struct SpecDevice {
        char *path;
        char type;    /* 'c', 'b', 'u', 'p' */
        int64_t major, minor;
        OptU64 file_mode;
        OptU64 uid, gid;
} SpecDevice;

typedef struct SpecDeviceRule {
        bool allow;
        char type;    /* 'a', 'c', 'b' ('a' when absent) */
        OptI64 major, minor; /* unset = wildcard */
        char *access; /* "rwm" subset; NULL = "rwm" */
} SpecDeviceRule;

typedef struct SpecWeightDevice {
        int64_t major, minor;
        OptU64 weight, leaf_weight;
} SpecWeightDevice;

typedef struct SpecThrottleDevice {
        int64_t major, minor;
        uint64_t rate;
} SpecThrottleDevice;

typedef struct SpecHugepageLimit {
        char *page_size; /* "2MB", "1GB" */
        uint64_t limit;
} SpecHugepageLimit;

typedef struct SpecResources {
        SpecDeviceRule *devices;
        size_t n_devices;
        bool has_devices; /* the "devices" key was present */

        struct {
                OptI64 limit, reservation, swap, kernel, kernel_tcp;
                OptU64 swappiness;
                OptBool disable_oom_killer, use_hierarchy, check_before_update;
        } memory;
        struct {
                OptU64 shares, period, realtime_period, burst;
                OptI64 quota, realtime_runtime, idle;
                char *cpus, *mems;
        } cpu;
        struct {
                OptI64 limit;
        } pids;
        struct {
                OptU64 weight, leaf_weight;
                SpecWeightDevice *weight_device;
                size_t n_weight_device;
                SpecThrottleDevice *throttle_read_bps, *throttle_write_bps;
                SpecThrottleDevice *throttle_read_iops, *throttle_write_iops;
                size_t n_throttle_read_bps, n_throttle_write_bps;
                size_t n_throttle_read_iops, n_throttle_write_iops;
        } block_io;
        SpecHugepageLimit *hugepage_limits;
        size_t n_hugepage_limits;
        struct {
                OptU64 class_id;
                SpecKV *priorities; /* value is the decimal priority */
                size_t n_priorities;
        } network;
        SpecKV *unified; /* cgroup v2 "file": "value" */
        size_t n_unified;
} SpecResources;

typedef struct SpecSeccompArg {
        uint32_t index;
        uint64_t value, value_two;
        char *op; /* SCMP_CMP_NE ... */
} SpecSeccompArg;

typedef struct SpecSeccompRule {
        char **names;
        char *action;           /* SCMP_ACT_* */
        OptU64 errno_ret;
        SpecSeccompArg *args;
        size_t n_args;
} SpecSeccompRule;

typedef struct SpecSeccomp {
        char *default_action;
        OptU64 default_errno_ret;
        char **architectures;
        char **flags;
        char *listener_path;
        char *listener_metadata;
        SpecSeccompRule *syscalls;
        size_t n_syscalls;
} SpecSeccomp;

typedef struct SpecTimeOffset {
        bool set;
        int64_t secs;
        uint32_t nanosecs;
} SpecTimeOffset;

typedef struct SpecLinux {
        SpecNamespace namespaces[_SPEC_NS_MAX];
        SpecIdMap *uid_mappings, *gid_mappings;
        size_t n_uid_mappings, n_gid_mappings;
        SpecTimeOffset time_monotonic, time_boottime;
        SpecDevice *devices;
        size_t n_devices;
        char *cgroups_path;
        SpecResources *resources; /* NULL when absent */
        char *rootfs_propagation;
        SpecSeccomp *seccomp;     /* NULL when absent */
        SpecKV *sysctl;
        size_t n_sysctl;
        char **masked_paths;
        char **readonly_paths;
        char *mount_label;
        bool has_personality;
        char *personality_domain; /* LINUX or LINUX32 */
        char **personality_flags;
} SpecLinux;

typedef struct Spec {
        char *oci_version;
        SpecProcess *process;     /* NULL when absent (allowed for create, not for start) */
        char *root_path;          /* NULL when absent */
        bool root_readonly;
        char *hostname;
        char *domainname;
        SpecMount *mounts;
        size_t n_mounts;
        SpecHook *hooks[_SPEC_HOOK_MAX];
        size_t n_hooks[_SPEC_HOOK_MAX];
        SpecKV *annotations;
        size_t n_annotations;
        SpecLinux linux_;
        json_t *json;             /* the parsed document, kept for state and hooks */
} Spec;

/* Parses and validates a config.json document. On error, *err names the field. */
int spec_parse(const char *text, size_t len, Spec **ret, LadeError **err);
int spec_load(const char *bundle_dir, Spec **ret, LadeError **err);
Spec *spec_free(Spec *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(Spec *, spec_free)

/* Parses a process object alone (for `exec --process FILE`). `where` prefixes field names. */
int spec_parse_process(json_t *obj, const char *where, SpecProcess **ret, LadeError **err);
SpecProcess *spec_process_free(SpecProcess *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(SpecProcess *, spec_process_free)

/* Parses a linux.resources object alone (for `update -r FILE`). */
int spec_parse_resources(json_t *obj, const char *where, SpecResources **ret, LadeError **err);
SpecResources *spec_resources_free(SpecResources *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(SpecResources *, spec_resources_free)

const char *spec_namespace_type_to_string(SpecNamespaceType t);
SpecNamespaceType spec_namespace_type_from_string(const char *s);
const char *spec_hook_kind_to_string(SpecHookKind k);
/* Maps "RLIMIT_NOFILE" -> RLIMIT_NOFILE; -EINVAL if unknown. */
int spec_rlimit_from_string(const char *s);

/* The default config.json of `lade-runtime spec` (runc's shape); rootless adapts it. */
json_t *spec_default_json(bool rootless);

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

/* ---- Shared by spec.c and spec-linux.c only; other modules use the API above. ----
 *
 * Field readers: `where` is the path of the object being read ("" for the document root,
 * "process.user", "mounts[2]"), so every error names the full field path. JSON null counts as
 * absent (as with runc's Go decoding); unknown keys are ignored; arrays and objects hold at most
 * SPEC_MAX_ARRAY entries. */

typedef enum SpecFieldKind {
        SPEC_FIELD_STRING,   /* char * */
        SPEC_FIELD_PATH,     /* char *, must be an absolute path */
        SPEC_FIELD_STRV,     /* char **, NULL-terminated; absent = NULL, [] = empty vector */
        SPEC_FIELD_PATHV,    /* char **, every entry an absolute path */
        SPEC_FIELD_BOOL,     /* bool */
        SPEC_FIELD_OPT_BOOL, /* OptBool */
        SPEC_FIELD_I64,      /* int64_t */
        SPEC_FIELD_U32,      /* uint32_t */
        SPEC_FIELD_U64,      /* uint64_t (jansson stops at INT64_MAX) */
        SPEC_FIELD_OPT_I64,  /* OptI64 */
        SPEC_FIELD_OPT_U64,  /* OptU64 */
} SpecFieldKind;

/* One member of a JSON object, stored at `offset` in the struct passed as `base`. */
typedef struct SpecField {
        const char *key;
        SpecFieldKind kind;
        size_t offset;
        bool required;
        bool ranged; /* integers: accept [min, max] instead of the C type's range */
        int64_t min, max;
} SpecField;
#define SPEC_RANGE(lo, hi) .ranged = true, .min = (lo), .max = (hi)
#define SPEC_RANGE_U16 SPEC_RANGE(0, UINT16_MAX)
#define SPEC_RANGE_U32 SPEC_RANGE(0, UINT32_MAX)
#define SPEC_RANGE_I32 SPEC_RANGE(INT32_MIN, INT32_MAX)
#define SPEC_RANGE_NONNEG SPEC_RANGE(0, INT64_MAX)
#define SPEC_RANGE_MINUS1 SPEC_RANGE(-1, INT64_MAX) /* -1 means unlimited / wildcard */

/* An array of objects parsed into a C array of `size`-byte elements. parse() fills a zeroed
 * element (o is an object); done() frees what an element owns (also a half-parsed one). */
typedef struct SpecElemType {
        size_t size;
        int (*parse)(json_t *o, const char *where, void *elem, LadeError **err);
        void (*done)(void *elem);
} SpecElemType;

/* Called for each entry of an array of objects; `where` is "path[i]". */
typedef int (*SpecForeachFn)(json_t *o, const char *where, void *userdata, LadeError **err);

/* "where.key" (or just one of them when the other is empty/NULL); caller frees. */
char *spec_path(const char *where, const char *key);
/* Sets an EINVAL error "where.key: <fmt>"; returns -EINVAL. key may be NULL. */
int spec_field_error(LadeError **err, const char *where, const char *key, const char *fmt, ...)
        _printf_(4, 5);
/* Sets "where.key: expected <expected>, got <JSON type of got>"; returns -EINVAL. */
int spec_type_error(LadeError **err, const char *where, const char *key, const char *expected,
                    const json_t *got);
/* obj[key], or NULL when absent or null. */
json_t *spec_member(json_t *obj, const char *key);

int spec_read_fields(json_t *obj, const char *where, const SpecField *fields, size_t n_fields,
                     void *base, LadeError **err);
#define spec_read_table(obj, where, table, base, err) \
        spec_read_fields(obj, where, table, ELEMENTSOF(table), base, err)
/* *ret = obj[key] checked to be an object/array, or NULL when absent. */
int spec_get_object(json_t *obj, const char *where, const char *key, json_t **ret,
                    LadeError **err);
int spec_get_array(json_t *obj, const char *where, const char *key, json_t **ret,
                   LadeError **err);
int spec_get_string(json_t *obj, const char *where, const char *key, bool required, char **ret,
                    LadeError **err);
/* An object of string values ("annotations", "sysctl", "unified"); absent = (NULL, 0). */
int spec_get_kv(json_t *obj, const char *where, const char *key, SpecKV **ret, size_t *ret_n,
                LadeError **err);
SpecKV *spec_kv_free(SpecKV *kv, size_t n);
int spec_foreach_object(json_t *obj, const char *where, const char *key, SpecForeachFn fn,
                        void *userdata, LadeError **err);
/* absent = (NULL, 0); [] = (NULL, 0) too. */
int spec_get_objects(json_t *obj, const char *where, const char *key, const SpecElemType *t,
                     void **ret, size_t *ret_n, LadeError **err);
void *spec_objects_free(void *items, size_t n, const SpecElemType *t);

/* {containerID, hostID, size} entries, shared by mounts[] and linux. */
extern const SpecElemType spec_idmap_type;

/* linux.* (spec-linux.c). Fills *l in place; on error the caller frees with spec_linux_done(). */
int spec_parse_linux(json_t *obj, const char *where, SpecLinux *l, LadeError **err);
void spec_linux_done(SpecLinux *l);

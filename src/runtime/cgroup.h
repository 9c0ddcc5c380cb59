/* cgroups v1, v2 and the hybrid layout behind one interface.
 *
 * A CgroupManager is the set of directories one container owns: on v2 a single directory under
 * the unified mount; on v1 one directory per mounted controller hierarchy (plus name=systemd);
 * on hybrid both (the v1 controllers, and the unified mount for what only v2 offers there).
 * It can be written to the container state and reopened by a later `lade-runtime` process. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "err.h"
#include "spec.h"

typedef enum CgroupMode {
        CGROUP_MODE_V1,
        CGROUP_MODE_V2,
        CGROUP_MODE_HYBRID,
        _CGROUP_MODE_MAX,
        _CGROUP_MODE_INVALID = -EINVAL,
} CgroupMode;

typedef struct CgroupConfig {
        const char *root;     /* where the hierarchies are mounted; NULL = "/sys/fs/cgroup" */
        int mode;             /* a CgroupMode, or -1 to detect from `root` */
        const char *path;     /* linux.cgroupsPath; NULL = default for `id` */
        const char *id;       /* container id */
        bool systemd;         /* --systemd-cgroup ("slice:prefix:name" paths) */
        bool rootless;        /* tolerate EPERM/EACCES creating/writing, as runc does */
} CgroupConfig;

/* One hierarchy the container's cgroup lives in (for the "cgroup" mount inside the container). */
typedef struct CgroupPath {
        const char *controllers; /* "memory", "cpu,cpuacct", "name=systemd", "" for unified */
        const char *mount_dir;   /* "/sys/fs/cgroup/memory" */
        const char *path;        /* absolute dir of the container's cgroup */
} CgroupPath;

typedef struct CgroupManager CgroupManager;

int cgroup_detect_mode(const char *root, CgroupMode *ret, LadeError **err);
const char *cgroup_mode_to_string(CgroupMode m);

/* Resolves cfg->path and creates the directories (mkdir -p). Fails with a clear message on a
 * path that leaves the hierarchy ("../"), and on --systemd-cgroup without systemd. */
int cgroup_manager_create(const CgroupConfig *cfg, CgroupManager **ret, LadeError **err);
/* Moves pid into every directory of the manager. */
int cgroup_manager_enter(CgroupManager *m, pid_t pid, LadeError **err);
/* Writes the resource limits (used at create and by `update`). Unset fields stay untouched. */
int cgroup_manager_apply(CgroupManager *m, const SpecResources *r, LadeError **err);
int cgroup_manager_freeze(CgroupManager *m, bool freeze, LadeError **err);
/* "paused"-state check: true when the freezer says FROZEN. */
int cgroup_manager_is_frozen(CgroupManager *m, bool *ret, LadeError **err);
/* All pids in the container's cgroup (recursively). */
int cgroup_manager_pids(CgroupManager *m, pid_t **ret, size_t *ret_n, LadeError **err);
/* Sends sig to every process in the cgroup (freezing around it so none escape by forking). */
int cgroup_manager_kill_all(CgroupManager *m, int sig, LadeError **err);
/* Removes the directories (retrying while tasks drain). Missing directories are fine. */
int cgroup_manager_destroy(CgroupManager *m, LadeError **err);
size_t cgroup_manager_paths(CgroupManager *m, const CgroupPath **ret);
/* Starts a child that warms the kernel's cgroup-migration lock for a container about to be
 * created (see cgroup.c); returns its pid for the caller to reap (0 when it could not fork). */
pid_t cgroup_prime_attach(void);

/* Resource usage (cgroup-stats.c). */
#define CGROUP_STATS_IO_MAX 64
typedef struct CgroupIoStat {
        unsigned major, minor;
        bool write;
        uint64_t bytes;
} CgroupIoStat;
typedef struct CgroupStats {
        uint64_t cpu_total_ns, cpu_user_ns, cpu_system_ns;
        uint64_t periods, throttled_periods, throttled_ns;
        uint64_t memory_usage, memory_limit;   /* limit UINT64_MAX: none */
        json_t *memory_stat;                   /* memory.stat as {key: n}, owned */
        uint64_t pids_current, pids_limit;     /* limit 0: none */
        CgroupIoStat io[CGROUP_STATS_IO_MAX];
        size_t n_io;
} CgroupStats;
int cgroup_manager_stats(CgroupManager *m, CgroupStats *ret, LadeError **err);
void cgroup_stats_done(CgroupStats *st);
CgroupMode cgroup_manager_mode(CgroupManager *m);

json_t *cgroup_manager_to_json(CgroupManager *m);
int cgroup_manager_from_json(json_t *j, CgroupManager **ret, LadeError **err);
CgroupManager *cgroup_manager_free(CgroupManager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(CgroupManager *, cgroup_manager_free)

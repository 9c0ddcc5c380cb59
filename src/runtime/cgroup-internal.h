/* Internal to the cgroup manager: the CgroupManager body and the helpers that cgroup.c,
 * cgroup-v1.c, cgroup-v2.c and cgroup-ebpf.c share. Nothing outside src/runtime/cgroup*.c and
 * the cgroup unit tests includes this. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/bpf.h>

#include "cgroup.h"

#define CGROUP_DEFAULT_ROOT "/sys/fs/cgroup"
/* Prefix of every field name in resource errors, e.g. "linux.resources.memory.limit". */
#define CGROUP_RES "linux.resources."
/* Largest cgroup.procs file we read, and deepest sub-cgroup tree we walk (a container with a
 * delegated cgroup controls both). */
#define CGROUP_PROCS_MAX (16u * 1024 * 1024)
#define CGROUP_MAX_DEPTH 256
#define CGROUP_MAX_PIDS (4u * 1024 * 1024)

struct CgroupManager {
        CgroupMode mode;
        bool rootless;
        char *root;        /* where the hierarchies are mounted, "/sys/fs/cgroup" */
        char *rel;         /* the container's cgroup inside every hierarchy, "/a/b" */
        CgroupPath *paths; /* the strings are owned (allocated), despite the const in CgroupPath */
        bool *created;     /* paths[i].path did not exist before cgroup_manager_create() */
        size_t n_paths;
};

/* ---- cgroup.c: lookups and knob I/O ---- */

/* The v1 hierarchy that carries `controller` ("memory", "name=systemd"), or NULL. */
const CgroupPath *cgroup_find_v1(const CgroupManager *m, const char *controller);
/* The cgroup2 directory (V2: the only one; HYBRID: the one on root/unified), or NULL. */
const CgroupPath *cgroup_find_unified(const CgroupManager *m);
bool cgroup_has_knob(const char *dir, const char *knob);
/* Writes value + "\n" to dir/knob. Errors start with `what`, the OCI field that asked for the
 * write ("linux.resources.memory.limit") or the operation; ENOENT says the knob does not exist.
 * In rootless mode EPERM/EACCES are ignored, as runc does. */
int cgroup_write(const CgroupManager *m, const char *dir, const char *knob, const char *value,
                 const char *what, LadeError **err);
/* Same, but the value is written exactly as given (for linux.resources.unified). */
int cgroup_write_raw(const CgroupManager *m, const char *dir, const char *knob, const char *value,
                     const char *what, LadeError **err);
/* Like cgroup_write() but a missing knob is not an error (returns 0, *ret_written = false). */
int cgroup_write_if_exists(const CgroupManager *m, const char *dir, const char *knob,
                           const char *value, const char *what, bool *ret_written,
                           LadeError **err);
int cgroup_write_i64(const CgroupManager *m, const char *dir, const char *knob, int64_t v,
                     const char *what, LadeError **err);
int cgroup_write_u64(const CgroupManager *m, const char *dir, const char *knob, uint64_t v,
                     const char *what, LadeError **err);
/* Reads dir/knob with trailing whitespace removed. */
int cgroup_read(const char *dir, const char *knob, char **ret, LadeError **err);
/* The last line of dir/knob (a plain-file test tree keeps every write, cgroupfs only the value). */
int cgroup_read_last_line(const char *dir, const char *knob, char **ret, LadeError **err);

/* ---- cgroup.c: paths (exposed for the unit tests) ---- */

/* Normalises a linux.cgroupsPath ("a/../b", "/x//y/") to "/b", "/x/y". Fails when ".." leaves the
 * hierarchy, when the result is the root cgroup, or when it is too long. */
int cgroup_path_normalize(const char *path, char **ret, LadeError **err);
/* Expands a systemd "slice:prefix:name" path to the cgroup path systemd would use:
 * "system.slice:lade:abc" -> "/system.slice/lade-abc.scope",
 * "a-b.slice:x:y" -> "/a.slice/a-b.slice/x-y.scope". */
int cgroup_systemd_expand(const char *spec, char **ret, LadeError **err);

/* ---- validation shared by v1 and eBPF ---- */

/* Checks linux.resources.devices[idx]: type a|b|c, access a non-empty subset of "rwm", major and
 * minor (when set and >= 0) at most INT32_MAX. */
int cgroup_device_rule_check(const SpecDeviceRule *d, size_t idx, LadeError **err);
/* A rule with type 'a', wildcard major and minor and "rwm": resets the whole list. */
bool cgroup_device_rule_is_all(const SpecDeviceRule *d);
/* Validates a hugepage size ("2MB") for use in a file name. */
int cgroup_hugepage_size_check(const char *size, size_t idx, LadeError **err);

/* ---- knobs with the same name on v1 and v2 ---- */

int cgroup_apply_cpuset(const CgroupManager *m, const char *dir, const SpecResources *r,
                        LadeError **err);
/* pids.max: "max" for a limit <= 0. */
int cgroup_apply_pids(const CgroupManager *m, const char *dir, const SpecResources *r,
                      LadeError **err);

/* ---- cgroup-v1.c ---- */

/* Makes a new cpuset directory usable: copies cpuset.cpus/mems from the parent where empty, from
 * the mount down to `path` (as runc does before moving a task in). */
int cgroup_v1_cpuset_prepare(const CgroupManager *m, const CgroupPath *p, LadeError **err);
/* Writes everything a v1 hierarchy can hold; in hybrid mode hugetlb falls back to the unified
 * directory when no v1 hugetlb hierarchy exists. */
int cgroup_v1_apply(CgroupManager *m, const SpecResources *r, LadeError **err);
int cgroup_v1_freeze(const CgroupManager *m, const char *dir, bool freeze, LadeError **err);
int cgroup_v1_is_frozen(const char *dir, bool *ret, LadeError **err);

/* ---- cgroup-v2.c ---- */

/* Enables every available controller in cgroup.subtree_control of each ancestor of p->path, from
 * the mount down (runc and crun do the same). */
int cgroup_v2_enable_controllers(const CgroupManager *m, const CgroupPath *p, LadeError **err);
/* Writes all resources to a v2 directory (V2 mode). */
int cgroup_v2_apply(CgroupManager *m, const char *dir, const SpecResources *r, LadeError **err);
int cgroup_v2_apply_hugetlb(const CgroupManager *m, const char *dir, const SpecResources *r,
                            LadeError **err);
int cgroup_v2_apply_unified(const CgroupManager *m, const char *dir, const SpecResources *r,
                            LadeError **err);
int cgroup_v2_freeze(const CgroupManager *m, const char *dir, bool freeze, LadeError **err);
int cgroup_v2_is_frozen(const char *dir, bool *ret, LadeError **err);
/* Writes cgroup.kill when the kernel has it; *ret_done tells whether it did. */
int cgroup_v2_kill(const CgroupManager *m, const char *dir, bool *ret_done, LadeError **err);
/* The v2 equivalent of cpu.shares, as runc and crun compute it (shares clamped to 2..262144). */
uint64_t cgroup_v2_shares_to_weight(uint64_t shares);

/* ---- cgroup-ebpf.c ---- */

/* Builds the BPF_PROG_TYPE_CGROUP_DEVICE program for the rules (v1 semantics: default deny, later
 * rules win). The caller frees *ret. */
int cgroup_ebpf_build(const SpecDeviceRule *rules, size_t n, struct bpf_insn **ret,
                      size_t *ret_n, LadeError **err);
/* Loads the program and attaches it to the cgroup2 directory `dir`, replacing the device programs
 * attached there before (the new one is attached first, so there is no unfiltered window). */
int cgroup_ebpf_apply(const char *dir, const SpecDeviceRule *rules, size_t n, LadeError **err);
/* Number of BPF_CGROUP_DEVICE programs attached directly to dir. */
int cgroup_ebpf_count_attached(const char *dir, size_t *ret, LadeError **err);

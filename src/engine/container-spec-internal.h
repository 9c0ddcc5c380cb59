/* Shared by the container-spec-*.c files only: the build context and the typed readers of the
 * container-create body. Everything here follows dockerd (moby v28 daemon/oci_linux.go and the
 * code it calls); the public entry point is container_spec_build() in container-spec.h. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "container-spec.h"
#include "err.h"

/* Same marker as json-util's big-uint strings (so json_get_big_uint() reads it):
 * container_spec_dump() writes such a string as the plain number. */
#define CSPEC_BIG_UINT_MARKER "\001u64:"

/* Limits on what a request or a rootfs can make us read. */
#define CSPEC_MAX_ENTRIES 65536                    /* Env, Binds, Devices, ... */
#define CSPEC_MAX_FILE (4u * 1024 * 1024)          /* /etc/passwd, /etc/group, resolv.conf */
#define CSPEC_MAX_PROFILE (16u * 1024 * 1024)      /* a seccomp profile */

/* The SecurityOpt list, parsed as dockerd's parseSecurityOpt does. */
typedef struct SpecSecurity {
        bool no_new_privileges;
        int writable_cgroups;   /* -1 unset, else 0/1 */
        char *seccomp;          /* NULL: the default profile; "unconfined", "builtin" or a profile */
        char *apparmor;         /* NULL: the default */
} SpecSecurity;

typedef struct SpecBuild {
        const SpecInputs *in;
        json_t *create;         /* the request body (borrowed) */
        json_t *host;           /* HostConfig (owned reference; {} when absent) */
        json_t *spec;           /* the document being built */
        char *hostname;         /* Config.Hostname, defaulted as dockerd does */
        const char *domainname;
        const char *network_mode, *ipc_mode, *pid_mode, *uts_mode, *cgroupns_mode;
        bool privileged;
        bool cgroup2;           /* the host runs the unified hierarchy */
        int64_t shm_size;
        char **caps;            /* the final capability set */
        SpecSecurity sec;
} SpecBuild;

/* ---- reading the request (container-spec-json.c) ----
 * `where` names the object for errors ("HostConfig"); JSON null counts as absent. Keys match
 * exactly first, then case-insensitively, as Go's encoding/json does. */
json_t *cspec_member(json_t *obj, const char *key);
int cspec_string(json_t *obj, const char *where, const char *key, const char **ret, LadeError **err);
int cspec_int(json_t *obj, const char *where, const char *key, int64_t *ret, LadeError **err);
/* Like cspec_int, but *ret_set tells whether the member was there (Go's *int64). */
int cspec_opt_int(json_t *obj, const char *where, const char *key, int64_t *ret, bool *ret_set,
                  LadeError **err);
int cspec_bool(json_t *obj, const char *where, const char *key, bool *ret, LadeError **err);
int cspec_object(json_t *obj, const char *where, const char *key, json_t **ret, LadeError **err);
int cspec_array(json_t *obj, const char *where, const char *key, json_t **ret, LadeError **err);
/* A list of strings: NULL when absent or null, an empty vector for []; a lone string becomes a
 * one-element list (Docker's StrSlice). */
int cspec_strv(json_t *obj, const char *where, const char *key, char ***ret, LadeError **err);
/* The integer as a uint64 JSON value: a big-uint marker string above INT64_MAX. */
json_t *cspec_json_u64(uint64_t v);
/* Go's strconv.Atoi for the passwd/group parsers: false on syntax errors. */
bool cspec_atoi(const char *s, int64_t *ret);
/* Reads a regular file through an fd (at most max bytes); NUL-terminated. */
int cspec_read_fd(int fd, const char *what, size_t max, char **ret, LadeError **err);
/* Go's path.Clean for absolute and relative paths; caller frees. */
char *cspec_path_clean(const char *path);
/* The host kernel's version ("6.1.0-13-amd64" -> 6, 1), as moby parses uname's release. */
int cspec_kernel_version(unsigned *ret_kernel, unsigned *ret_major, LadeError **err);

/* ---- the parts of the spec, one file each ---- */
/* process.user from the rootfs's /etc/passwd and /etc/group (container-spec-user.c). */
int cspec_user(SpecBuild *b, const char *user, json_t **ret, LadeError **err);
/* SecurityOpt, capabilities, seccomp, AppArmor, masked and read-only paths
 * (container-spec-security.c). */
int cspec_parse_security_opts(SpecBuild *b, LadeError **err);
int cspec_build_security(SpecBuild *b, json_t *process, json_t *linux_, LadeError **err);
/* linux.seccomp from a Docker-format profile (container-spec-seccomp.c). */
int cspec_seccomp(json_t *profile, char *const *caps, json_t **ret, LadeError **err);
/* mounts[] (container-spec-mounts.c), with the generated network files (container-spec-files.c). */
int cspec_build_mounts(SpecBuild *b, json_t *linux_, LadeError **err);
/* Writes hostname, hosts and resolv.conf into state_dir; each ret_* is the path to bind-mount or
 * NULL when the file is not mounted (as dockerd skips a file it did not write). */
int cspec_write_network_files(SpecBuild *b, char **ret_resolv, char **ret_hostname,
                              char **ret_hosts, LadeError **err);
/* linux.namespaces, devices, resources, sysctl, cgroupsPath (container-spec-linux.c); the
 * resource checks dockerd makes at create time. */
int cspec_validate_host_config(SpecBuild *b, LadeError **err);
int cspec_build_linux(SpecBuild *b, json_t *linux_, LadeError **err);
/* linux.devices and linux.resources.devices (container-spec-devices.c). */
int cspec_build_devices(SpecBuild *b, json_t *linux_, json_t *resources, LadeError **err);

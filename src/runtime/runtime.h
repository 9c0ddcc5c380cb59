/* The OCI runtime library: turns a bundle (config.json + rootfs) into a running container and
 * manages it by id under a state root. Knows nothing of images, names or networks.
 * Used by lade-runtime (the runc-compatible CLI) and, in-process, by the engine. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "err.h"
#include "spec.h"

typedef struct RuntimeContext {
        const char *state_root;  /* e.g. /run/lade-runtime; created if missing */
        bool systemd_cgroup;
        const char *cgroup_root; /* NULL = /sys/fs/cgroup */
} RuntimeContext;

typedef struct CreateOptions {
        const char *id;
        const char *bundle;         /* NULL = current directory */
        const char *config_path;    /* NULL = <bundle>/config.json */
        const char *pid_file;
        const char *console_socket;
        int preserve_fds;           /* fds 3 .. 3+N-1 are passed to the container */
        bool no_pivot;
        bool no_new_keyring;
        bool detach;                /* run: return after start instead of waiting */
} CreateOptions;

typedef struct ExecOptions {
        SpecProcess *process;       /* required; owned by caller */
        const char *pid_file;
        const char *console_socket;
        int preserve_fds;
        bool detach;
        bool no_new_keyring;
        /* Set when not NULL: the process's pid; with process.terminal (and no console_socket),
         * the pty master, returned instead of being proxied (use with detach: the process is
         * the caller's child, to reap itself). */
        pid_t *ret_pid;
        int *ret_master;
} ExecOptions;

typedef enum ContainerStatus {
        CONTAINER_CREATING,
        CONTAINER_CREATED,
        CONTAINER_RUNNING,
        CONTAINER_PAUSED,
        CONTAINER_STOPPED,
        _CONTAINER_STATUS_MAX,
        _CONTAINER_STATUS_INVALID = -EINVAL,
} ContainerStatus;

const char *container_status_to_string(ContainerStatus s);

/* Validates an id the way runc does (letters, digits, "_+-.", not "." or ".."). */
int container_id_validate(const char *id, LadeError **err);

/* create: returns once the init waits for `start`. */
int container_create(const RuntimeContext *ctx, const CreateOptions *o, LadeError **err);
int container_start(const RuntimeContext *ctx, const char *id, LadeError **err);
/* create for a supervisor (the engine's monitor): the init is the caller's child, stdio is the
 * caller's fds 0-2, and with process.terminal the pty master comes back in *ret_master (else
 * -EBADF) instead of going to a console socket. Start it with container_start(); reap it
 * yourself, then container_delete(). */
int container_create_child(const RuntimeContext *ctx, const CreateOptions *o, pid_t *ret_pid,
                           int *ret_master, LadeError **err);
/* run: create + start; unless detached, waits and sets *ret_status to the exit code
 * (128+signal when killed by a signal), forwarding signals to the container. */
int container_run(const RuntimeContext *ctx, const CreateOptions *o, int *ret_status,
                  LadeError **err);
/* The OCI state object ({ociVersion,id,status,pid,bundle,annotations,...}). */
int container_state(const RuntimeContext *ctx, const char *id, json_t **ret, LadeError **err);
/* The container's config.json document as saved at create (new reference). */
int container_config(const RuntimeContext *ctx, const char *id, json_t **ret, LadeError **err);
/* All containers' states, sorted by id. */
int container_list(const RuntimeContext *ctx, json_t **ret, LadeError **err);
int container_kill(const RuntimeContext *ctx, const char *id, int sig, bool all, LadeError **err);
int container_delete(const RuntimeContext *ctx, const char *id, bool force, LadeError **err);
int container_exec(const RuntimeContext *ctx, const char *id, const ExecOptions *o,
                   int *ret_status, LadeError **err);
int container_pids(const RuntimeContext *ctx, const char *id, pid_t **ret, size_t *ret_n,
                   LadeError **err);
/* Resource usage of the container's cgroup (v1 or v2). */
struct CgroupStats;
int container_stats(const RuntimeContext *ctx, const char *id, struct CgroupStats *ret, LadeError **err);
int container_pause(const RuntimeContext *ctx, const char *id, LadeError **err);
int container_resume(const RuntimeContext *ctx, const char *id, LadeError **err);
int container_update(const RuntimeContext *ctx, const char *id, const SpecResources *r,
                     LadeError **err);
/* `features` document (runc's shape). */
json_t *runtime_features(void);

/* Re-executes the current binary from a sealed memfd unless already running from one, so a
 * container can never reach (and overwrite) the host binary through /proc/<pid>/exe.
 * Returns 0 when already sealed; on success it does not return. */
int runtime_ensure_sealed_binary(char **argv, LadeError **err);

/* Parses "KILL", "SIGKILL", "9" into a signal number; -EINVAL if unknown. */
int runtime_parse_signal(const char *s);

/* Containers of the engine: rows in lade.db, a directory per container
 * (<root>/containers/<id>/: the overlay rootfs and its upper/work dirs, the generated
 * config.json bundle, hosts/hostname/resolv.conf, the json-file log), and for each started
 * container a monitor process (a fork of the caller, in its own session) that runs it through
 * the runtime library, holds its stdio, logs, serves attach, records the exit, applies the
 * restart policy and --rm. No daemon: every call here works on the database and the monitors. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "engine.h"

typedef struct ContainerInfo {
        char *id, *name, *image, *image_id, *state, *created_at;
        int exit_code;
        char **command;     /* process.args */
        int64_t created;    /* seconds */
        int64_t started_ns, finished_ns;
        pid_t pid;
        pid_t monitor_pid;  /* 0 when none is recorded */
        int restart_count;
        char *health;       /* "" when there is no health check */
        json_t *labels;     /* owned */
        json_t *ports;      /* NetworkSettings.Ports, owned, may be NULL */
        json_t *mounts;     /* HostConfig binds etc. as Docker's Mounts list (owned, may be NULL) */
        json_t *networks;   /* NetworkSettings.Networks (owned, may be NULL) */
        char *network_mode; /* HostConfig.NetworkMode with Docker's default */
} ContainerInfo;

typedef struct RunRequest {
        json_t *create;      /* Docker's container-create body (borrowed) */
        const char *name;    /* NULL = generated */
        const char *pull;    /* "missing" (NULL), "always", "never" */
        const char *platform;
        /* run: called once the container exists, before it starts (the CLI's --cidfile) */
        void (*created)(const char *id, void *userdata);
        void *userdata;
} RunRequest;

/* The caller's stdio for attach: fds to read stdin from / write output to (-1: not attached),
 * the detach key sequence ("ctrl-p,ctrl-q" default when NULL; "" none). */
typedef struct AttachStdio {
        int in, out, err;
        const char *detach_keys;
        bool tty_raw;        /* put `in` (a terminal) in raw mode while attached */
        bool sig_proxy;      /* forward SIGINT/SIGTERM/... to the container */
} AttachStdio;

/* Creates the container (row, directory, overlay rootfs, validated spec) in state "created".
 * Errors are Docker's ("No such image", name conflicts, invalid flags). */
int engine_container_create(Engine *e, const RunRequest *req, char ret_id[static 65], LadeError **err);
/* Starts a created or stopped container: a monitor is forked and the call returns once the
 * container's process runs (or failed to start: Docker's 125/126/127 in *ret_code if not NULL).
 * With io, the caller's stdio is attached from the first byte and the call waits for the exit
 * (or the detach keys), setting *ret_status (-1 when detached). */
int engine_container_start(Engine *e, const char *name_or_id, const AttachStdio *io, int *ret_status,
                           LadeError **err);
/* The body of `lade __monitor ROOT ID attach|detached` (the exec'd monitor of
 * EngineOptions.monitor_exec): ctl is fd 3. Does not return unless it fails. */
int engine_monitor_main(Engine *e, const char *id, int ctl, bool attach, LadeError **err);
/* For a process about to start threads that start containers (lade serve, lade build): forks
 * the monitor zygote, a single-threaded child that forks their monitors without the exec of
 * `lade __monitor` (see monitor-zygote.c). Call it before the process opens any database
 * connection (SQLite's per-process state must not reach the zygote's monitors). Process-wide;
 * nothing when it runs already, when the caller runs threads already, or when it cannot be
 * made (monitors are exec'd then). */
void engine_monitor_zygote_start(void);
/* A server's zygote instead (lade serve, which has threads from its start): exec'd as
 * `lade __zygote` at the first start that needs it, stopped by engine_monitor_zygote_stop()
 * (the server's idle trim), spawned again at the next start. */
void engine_monitor_zygote_lazy(void);
void engine_monitor_zygote_stop(void);
/* `lade __zygote`: the zygote's loop on fd 3; never returns. */
_noreturn_ void engine_monitor_zygote_exec_main(void);
/* `lade __monitor-exited ROOT ID STATUS listen=FD client=FD,…`: the idle monitor hands a
 * container's exit back to a full monitor. Does not return unless it fails. */
int engine_monitor_resume(Engine *e, const char *id, int status, int listen_fd, char **clients, LadeError **err);
/* Attaches io to a running container and waits for its exit (*ret_status) or detach (-1). */
int engine_container_attach(Engine *e, const char *name_or_id, const AttachStdio *io, int *ret_status,
                            LadeError **err);
/* Attach handles, for callers that serve several streams in their own loop (the API server):
 * the monitor connection, readable when there is news. engine_attach_process() reads it: 0
 * while attached, 1 once ended with *ret_status the exit status (-1: detached with the keys).
 * The stdio fds of io are the monitor's copies: the caller keeps (and closes) its own. */
typedef struct EngineAttach EngineAttach;
/* A running container. */
int engine_container_attach_open(Engine *e, const char *name_or_id, const AttachStdio *io,
                                 EngineAttach **ret, LadeError **err);
/* Starts a created or stopped container with io (NULL: none, the handle only tells the exit)
 * attached from its first byte. *ret_code as engine_container_start's. */
int engine_container_start_attach(Engine *e, const char *name_or_id, const AttachStdio *io,
                                  EngineAttach **ret, int *ret_code, LadeError **err);
int engine_attach_fd(const EngineAttach *a);
int engine_attach_process(Engine *e, EngineAttach *a, int *ret_status, LadeError **err);
int engine_attach_resize(EngineAttach *a, unsigned rows, unsigned cols);
EngineAttach *engine_attach_free(EngineAttach *a);
DEFINE_TRIVIAL_CLEANUP_FUNC(EngineAttach *, engine_attach_free)
/* The tty size of a running container (POST /containers/{id}/resize). */
int engine_container_resize(Engine *e, const char *name_or_id, unsigned rows, unsigned cols,
                            LadeError **err);
/* create + start, for `lade run`: with io NULL the container is detached (ret_id set). */
int engine_container_run(Engine *e, const RunRequest *req, const AttachStdio *io, char ret_id[static 65],
                         int *ret_status, LadeError **err);
/* Sends the stop signal (the container's StopSignal, else SIGTERM), waits timeout seconds
 * (negative: the container's StopTimeout, else 10), then SIGKILL. No restart follows. */
int engine_container_stop(Engine *e, const char *name_or_id, int timeout, LadeError **err);
/* The same with sig (> 0) instead of the container's stop signal (`docker stop --signal`). */
int engine_container_stop_signal(Engine *e, const char *name_or_id, int timeout, int sig,
                                 LadeError **err);
int engine_container_restart(Engine *e, const char *name_or_id, int timeout, LadeError **err);
int engine_container_kill(Engine *e, const char *name_or_id, int sig, LadeError **err);
/* Waits for the container to stop ("not-running", the default; "next-exit"; "removed"). */
int engine_container_wait(Engine *e, const char *name_or_id, const char *condition, int *ret_status,
                          LadeError **err);
/* The same, ending with -ECANCELED once cancel_fd (-1: none) reports POLLERR/POLLHUP (e.g. the
 * write end of a pipe whose reader left). The state is polled every 100 ms through the events,
 * so an exit is never missed, however short the run. */
int engine_container_wait_cancellable(Engine *e, const char *name_or_id, const char *condition,
                                      int cancel_fd, int *ret_status, LadeError **err);
int engine_container_pause(Engine *e, const char *name_or_id, LadeError **err);
int engine_container_unpause(Engine *e, const char *name_or_id, LadeError **err);
int engine_container_rename(Engine *e, const char *name_or_id, const char *new_name, LadeError **err);
int engine_container_remove(Engine *e, const char *name_or_id, bool force, bool volumes, LadeError **err);
/* `docker update`: body is Docker's POST /containers/{id}/update body (Resources fields and
 * RestartPolicy at the top level, borrowed). Its non-zero fields replace the container's (kept
 * for inspect and later starts); a running container's cgroup gets them at once. Errors are
 * dockerd's: EINVAL for bad values, EBUSY for conflicts, ENOENT for an unknown container. */
int engine_container_update(Engine *e, const char *name_or_id, json_t *body, LadeError **err);
/* The container's sizes as dockerd reports them (container-size.c): SizeRw, the bytes of its
 * writable layer (symlinks not followed, a hardlinked file counted once), and SizeRootFs, that
 * plus its image's unpacked size. */ 
int engine_container_size(Engine *e, const char *name_or_id, int64_t *ret_rw, int64_t *ret_rootfs,
                          LadeError **err);
/* moby's directory.Size of dir (a missing dir is 0). */
int engine_dir_size(const char *dir, int64_t *ret, LadeError **err);
/* Resolves a name, id or unique id prefix: the full id. */
int engine_container_lookup(Engine *e, const char *name_or_id, char ret_id[static 65], LadeError **err);
/* The id, State.Status (reconciled: a dead monitor's container is exited) and Config.Tty of a
 * container, without building its inspect document; *ret_state to free. */
int engine_container_state(Engine *e, const char *name_or_id, char ret_id[static 65], char **ret_state,
                           bool *ret_tty, LadeError **err);
/* Docker's GET /containers/{id}/json document. */
int engine_container_inspect(Engine *e, const char *name_or_id, json_t **ret, LadeError **err);
int engine_container_list(Engine *e, bool all, ContainerInfo ***ret, size_t *ret_n, LadeError **err);
void container_info_list_free(ContainerInfo **l, size_t n);
void container_info_free(ContainerInfo *ci);
/* container-list.c: Docker's list filters (id, name (a regular expression on "/name"), label,
 * exited, status, ancestor, before, since, network, health, publish, expose; f NULL: none),
 * the STATUS text, Go's HumanDuration and the GET /containers/json summary object. */
struct EngineFilters;
int engine_container_list_filtered(Engine *e, bool all, const struct EngineFilters *f,
                                   ContainerInfo ***ret, size_t *ret_n, LadeError **err);
/* The value filters (not before/since, which need the database). */
bool engine_container_filter_match(const struct EngineFilters *f, const ContainerInfo *ci);
char *engine_container_status_text(const ContainerInfo *ci);
/* The same into buf, at now_ns (CLOCK_REALTIME): plain ASCII, no quote or backslash. */
void engine_container_status_format(const ContainerInfo *ci, int64_t now_ns, char buf[static 96]);
char *engine_human_duration(int64_t seconds);
json_t *engine_container_summary_json(const ContainerInfo *ci);
/* GET /containers/json's body (a JSON array of summaries, then a newline; no sizes) for all, f
 * and limit (<= 0: none) as engine_container_list_filtered() selects them. An Engine from a pool
 * answers from the pool's cache of rendered rows while lade.db has not changed and every listed
 * monitor lives (container-list-cache.c); others read the rows for the call. */
int engine_container_list_body(Engine *e, bool all, const struct EngineFilters *f, int64_t limit,
                               char **ret, size_t *ret_len, LadeError **err);
/* The container's processes (host pids) for `top`. */
int engine_container_pids(Engine *e, const char *name_or_id, pid_t **ret, size_t *ret_n, LadeError **err);
/* GET /containers/{id}/top's answer: {"Titles": the columns of ps -ef, "Processes": rows of
 * strings} (container-top.c); ps_args other than "" or "-ef" are refused (EINVAL). */
int engine_container_top(Engine *e, const char *name_or_id, const char *ps_args, json_t **ret, LadeError **err);
/* One sample of Docker's stats document (GET /containers/{id}/stats): cpu_stats, memory_stats,
 * pids_stats, blkio_stats, networks; precpu_stats zero (the caller keeps the previous sample).
 * A stopped container gives zeros. */
int engine_container_stats(Engine *e, const char *name_or_id, json_t **ret, LadeError **err);
/* `network connect` (endpoint: Docker's EndpointConfig, borrowed) or `disconnect` (NULL) of a
 * container that is not running: its endpoint settings on its NetworkMode's network, used at
 * its next start. Another network: -EOPNOTSUPP (a second network joins only a running one). */
int engine_container_network_configure(Engine *e, const char *name_or_id, const char *network,
                                       json_t *endpoint, LadeError **err);
/* `network connect/disconnect` for the CLI and the API: a running container's namespace gets
 * (loses) an endpoint at once; one that is not running has its configuration changed. */
int engine_container_network_connect(Engine *e, const char *name_or_id, const char *network, json_t *endpoint,
                                     LadeError **err);
int engine_container_network_disconnect(Engine *e, const char *name_or_id, const char *network, LadeError **err);
/* Docker's container prune: the stopped (exited, created, dead) containers matching f (until,
 * label, label!; NULL: all of them) are removed; their ids, and the bytes of their writable
 * layers in *ret_reclaimed (may be NULL). An unknown filter is EINVAL, nothing removed. */
int engine_container_prune(Engine *e, const struct EngineFilters *f, char ***ret_ids, uint64_t *ret_reclaimed,
                           LadeError **err);
/* After a reboot (`lade system boot`, e.g. from a systemd unit): records what happened to
 * containers whose monitors are gone and starts those whose restart policy says so. */
int engine_containers_boot(Engine *e, char ***ret_started, LadeError **err);
/* Paths of a container's files (for logs, cp, export, diff): its directory and rootfs. */
int engine_container_paths(Engine *e, const char *name_or_id, char **ret_dir, char **ret_rootfs,
                           LadeError **err);

/* ---- logs (json-file) ---- */
typedef struct LogsOptions {
        bool follow, timestamps, stdout_, stderr_;
        int64_t since_ns, until_ns;   /* 0 = unbounded */
        long tail;                    /* -1 = all */
        int cancel_fd;                /* >= 0: follow ends once it reports POLLERR/POLLHUP */
} LogsOptions;
/* Calls fn for each line in order (stream "stdout"/"stderr", time in ns); with follow, keeps
 * going until the container stops. */
typedef int (*LogsFn)(const char *stream, int64_t time_ns, const char *line, size_t len, void *ud);
int engine_container_logs(Engine *e, const char *name_or_id, const LogsOptions *o, LogsFn fn, void *ud,
                          LadeError **err);

/* ---- exec ---- */
typedef struct ExecRequest {
        const char *exec_id;  /* the instance's id in its events (NULL: a new one) */
        char **cmd;
        char **env;           /* extra KEY=VALUE */
        const char *user, *workdir;
        bool tty, interactive, detach, privileged;
} ExecRequest;
/* dockerd's exec events of the container: action "exec_create" or "exec_start" (the command
 * is appended as dockerd does: "exec_start: sh -c true"), attribute execID. */
void engine_exec_event(Engine *e, const char *name_or_id, const char *action, char *const *cmd,
                       const char *exec_id);
/* Runs a process in a running container with the caller's stdio (detach: stdio /dev/null). */
int engine_container_exec(Engine *e, const char *name_or_id, const ExecRequest *req, int *ret_status,
                          LadeError **err);

/* exec for multi-threaded callers (the API server): the process is started by a fork+exec'd
 * helper (`lade __exec`) with stdio[0..2] as its stdin, stdout and stderr (with req->tty the
 * process gets a pty instead, whose master engine_exec_master() hands over). Returns once the
 * process runs; a failure to start sets *ret_code (126/127). engine_exec_fd() becomes readable
 * when the process exits; engine_exec_process() then gives 1 and *ret_status (0 before).
 * The exec_start event is recorded before the start, the exec_die by the helper at the exit
 * (whether or not the caller is still there). */
typedef struct EngineExec EngineExec;
int engine_exec_spawn(Engine *e, const char *name_or_id, const ExecRequest *req, const int stdio[3],
                      EngineExec **ret, int *ret_code, LadeError **err);
pid_t engine_exec_pid(const EngineExec *x);
int engine_exec_master(const EngineExec *x);
int engine_exec_fd(const EngineExec *x);
int engine_exec_process(EngineExec *x, int *ret_status);
/* The caller's client left: the process's output fds (stdout and stderr pipes, or the pty
 * master; negative ones skipped) are handed to the helper, which reads and drops their data until
 * the process exits, as dockerd does. The caller still closes its own copies. */
int engine_exec_drop_output(EngineExec *x, const int *fds, size_t n);
EngineExec *engine_exec_free(EngineExec *x);
DEFINE_TRIVIAL_CLEANUP_FUNC(EngineExec *, engine_exec_free)
/* The body of `lade __exec ROOT ID` (ctl is fd 3). */
int engine_exec_main(Engine *e, const char *id, int ctl, LadeError **err);

/* Docker's exit codes for failures to start a process: 127 not found, 126 not executable,
 * else 125. */
int engine_start_failure_code(const LadeError *err);

/* rmi: refuses an image a container uses (Docker's rules: a stopped container's with -f only,
 * a running container's never), then image_store_remove(). */
/* 1 when a container (in any state) uses the image, 0 when none, negative on error. */
int engine_image_in_use(Engine *e, const char *image_id);
int engine_image_remove(Engine *e, const char *name, bool force, ImageRemoveFn fn, void *ud, LadeError **err);

/* ---- the container's filesystem: commit, diff, export, archive (container-fs.c) ---- */
typedef struct CommitOptions {
        const char *ref;            /* "repo[:tag]" to tag the image with, or NULL */
        const char *author;         /* NULL or "" for none */
        const char *message;        /* the history comment */
        char *const *changes;       /* Dockerfile instructions, as `import --change` takes them */
        bool pause;                 /* pause a running container while its layer is packed */
} CommitOptions;
/* `docker commit`: the container's changes (its overlay upper dir, without the mount points the
 * engine made for /etc/hosts and friends) become one layer on top of its image, and its
 * Config, with the changes applied, the image's config. Sets ret_id ("sha256:…"). */
int engine_container_commit(Engine *e, const char *name_or_id, const CommitOptions *o,
                            char ret_id[static 72], LadeError **err);

/* Docker's change kinds, with the API's numbers (Kind in GET /containers/{id}/changes). */
typedef enum ContainerChangeKind {
        CONTAINER_CHANGE_MODIFY = 0,
        CONTAINER_CHANGE_ADD = 1,
        CONTAINER_CHANGE_DELETE = 2,
        _CONTAINER_CHANGE_KIND_MAX,
        _CONTAINER_CHANGE_KIND_INVALID = -EINVAL,
} ContainerChangeKind;
typedef struct ContainerChange {
        char *path;                 /* absolute in the container */
        ContainerChangeKind kind;
} ContainerChange;
/* `docker diff`: what the container changed against its image, in path order. */
int engine_container_diff(Engine *e, const char *name_or_id, ContainerChange **ret, size_t *ret_n,
                          LadeError **err);
void container_changes_free(ContainerChange *v, size_t n);

/* `docker export`: a tar of the container's whole filesystem (its rootfs, not its volumes). */
int engine_container_export(Engine *e, const char *name_or_id, int out_fd, LadeError **err);

/* GET/HEAD /containers/{id}/archive: path (absolute in the container; a trailing "/" or "/."
 * follows a final symlink) is written to out_fd (skipped when out_fd < 0) as a tar whose top
 * entry is named after path's last element, and *ret_stat (if not NULL) gets the
 * X-Docker-Container-Path-Stat document {name, size, mode (Go's os.FileMode bits), mtime,
 * linkTarget}. Paths resolve inside the container (a running container's own view, volumes
 * included; a stopped one's rootfs); ENOENT: "Could not find the file …". */
int engine_container_archive_get(Engine *e, const char *name_or_id, const char *path, int out_fd,
                                 json_t **ret_stat, LadeError **err);
/* PUT /containers/{id}/archive: the tar read from in_fd is extracted into the directory path
 * (every symlink of it followed inside the container) with the layer unpacker's rules (no
 * entry leaves the directory). Owners are root's unless copy_uidgid; with
 * no_overwrite_dir_non_dir a directory never replaces a non-directory or the reverse. */
int engine_container_archive_put(Engine *e, const char *name_or_id, const char *path, int in_fd,
                                 bool no_overwrite_dir_non_dir, bool copy_uidgid, LadeError **err);

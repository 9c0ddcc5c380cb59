/* Shared between the runtime's parent side (container.c, exec.c) and the container init
 * (linux-init.c): the sync protocol, the persisted state, and the init's instructions. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "caps.h"
#include "cgroup.h"
#include "runtime.h"
#include "seccomp-program.h"
#include "spec.h"

/* ---- sync protocol over a SOCK_SEQPACKET socketpair ---- */
typedef enum SyncType {
        SYNC_GO = 1,          /* parent -> child: cgroup entered, maps written; carries nothing */
        SYNC_NEED_MAPS,       /* stage1 -> parent: unshared the user ns, write maps now */
        SYNC_MAPS_DONE,
        SYNC_PID,             /* stage1 -> parent: the init's pid (value) */
        SYNC_STATE,           /* parent -> child: the state JSON for createContainer hooks */
        SYNC_RUN_HOOKS,       /* child -> parent: run prestart/createRuntime now */
        SYNC_HOOKS_DONE,
        SYNC_CREATED,         /* child -> parent: all set up, waiting for start */
        SYNC_NOTIFY_FD,       /* child -> parent: seccomp listener fd attached (SCM_RIGHTS) */
        SYNC_ERROR,           /* child -> parent: message text follows in the payload */
} SyncType;

#define SYNC_MAX_PAYLOAD 8192

typedef struct SyncMsg {
        int32_t type;
        int32_t value;
        char text[SYNC_MAX_PAYLOAD];
} SyncMsg;

/* The close-on-exec SOCK_SEQPACKET pair: parent end, child end. */
int sync_pair(int *ret_parent, int *ret_child, LadeError **err);
int sync_send(int fd, SyncType type, int value, const char *text);
int sync_send_fd(int fd, SyncType type, int passfd);
/* Receives one message; returns -EPIPE on EOF. If ret_fd is non-NULL, takes a passed fd. */
int sync_recv(int fd, SyncMsg *m, int *ret_fd);
/* Receives and requires `type`; a SYNC_ERROR becomes a LadeError carrying its text. */
int sync_expect(int fd, SyncType type, SyncMsg *m, LadeError **err);

/* ---- persisted state: <state_root>/<id>/state.json ---- */
typedef struct ContainerState {
        char *id;
        char *bundle;
        char *rootfs;
        pid_t pid;
        uint64_t start_time;  /* /proc/<pid>/stat starttime, detects pid reuse */
        char *created;        /* RFC 3339 */
        json_t *config;       /* the config.json document */
        json_t *cgroup;       /* cgroup_manager_to_json */
        bool started;
} ContainerState;

ContainerState *container_state_free(ContainerState *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(ContainerState *, container_state_free)

/* Opens (O_PATH|O_DIRECTORY) the state dir of id; -ENOENT names "container ... does not exist". */
int state_dir_open(const RuntimeContext *ctx, const char *id, LadeError **err);
int state_load(const RuntimeContext *ctx, const char *id, ContainerState **ret, LadeError **err);
int state_save(int dirfd, const ContainerState *s, LadeError **err);
ContainerStatus state_status(int dirfd, const ContainerState *s);
json_t *state_to_json(const ContainerState *s, ContainerStatus status);
int state_root_prepare(const RuntimeContext *ctx, LadeError **err);
/* starttime field of /proc/<pid>/stat, 0 if gone */
uint64_t proc_start_time(pid_t pid);
char *format_rfc3339_now(void);
int cgroup_reopen(const ContainerState *s, CgroupManager **ret, LadeError **err);

/* ---- what the init (or an exec'd process) must do, prepared by the parent ---- */
typedef struct InitPlan {
        const Spec *spec;
        const SpecProcess *process;
        const char *rootfs;          /* absolute host path */
        CapSets caps;
        bool has_caps;
        SeccompProgram *seccomp;     /* NULL = none */
        int sync_fd;
        int fifo_fd;                 /* O_PATH of exec.fifo, -1 for exec */
        int console_fd;              /* connected console socket, -1 if none */
        int preserve_fds;
        bool no_pivot;
        bool no_new_keyring;
        bool is_exec;
        bool wants_state;            /* child needs SYNC_STATE (createContainer/startContainer hooks) */
        bool parent_hooks;           /* prestart/createRuntime present */
        int ns_fds[_SPEC_NS_MAX];    /* opened namespace paths to join, -1 otherwise */
        unsigned long clone_flags;   /* namespaces to create */
        unsigned long joined_flags;  /* namespaces joined by path (set as they are joined) */
        const CgroupManager *cgroup; /* for the "cgroup" mount */
        char *state_json;            /* received via SYNC_STATE */
        const char *id;
        int listener_fd;             /* connected seccomp listenerPath socket, -1 if none */
        char *exec_path;             /* process.args[0] resolved in the container's PATH */
        bool two_stage;              /* namespaces were entered by an intermediate process */
} InitPlan;

/* Compiles spec's linux.seccomp through the program cache under state_root. */
int plan_compile_seccomp(const Spec *spec, const char *state_root, SeccompProgram **ret, LadeError **err);

/* True when the container has its own namespace of type t (new or joined). */
bool plan_has_ns(const InitPlan *p, SpecNamespaceType t);

/* process.c */
/* In the freshly cloned child: wait for the parent, become root in a new user ns, unshare the
 * cgroup ns (now that we are in our cgroup), and join namespaces given by path. */
int init_enter_namespaces(InitPlan *p, LadeError **err);
int init_join_namespaces(InitPlan *p, bool skip_user, LadeError **err);
int init_become_root(LadeError **err);
/* Sends the seccomp notify fd and state over an already connected listenerPath socket. */
int seccomp_send_listener_fd(int sock, const char *metadata, const char *state_json, int notify_fd,
                             LadeError **err);
int process_apply_sched(const SpecProcess *proc, LadeError **err);
int process_resolve_exec(InitPlan *p, LadeError **err);

/* The container init: never returns (execs or _exit()s), reporting failures via sync_fd. */
_noreturn_ void linux_init_main(InitPlan *p);
/* Final steps shared by init and exec: user, caps, nnp, seccomp, execve. Never returns. */
_noreturn_ void linux_finalize_and_exec(InitPlan *p);
/* Sends SYNC_ERROR with text built from err and _exit(1)s. */
_noreturn_ void child_fail(int sync_fd, LadeError *err);

/* mounts.c: everything from the rootfs bind to pivot_root and the masked paths. */
int mounts_prepare_rootfs(InitPlan *p, LadeError **err);
int mounts_pivot_root(InitPlan *p, LadeError **err);
int mounts_finalize(InitPlan *p, LadeError **err);
/* devices.c: default devices, linux.devices and /dev symlinks (before pivot_root). */
int devices_setup(InitPlan *p, int rootfd, LadeError **err);
/* Parses OCI mount options into mount(2) flags, propagation flags and data. */
typedef struct MountFlags {
        unsigned long flags;     /* MS_* applied at mount */
        unsigned long clear;     /* MS_* explicitly cleared ("rw", "suid"...) */
        unsigned long propagation;
        unsigned long long attr_set, attr_clr; /* MOUNT_ATTR_* for the r* options */
        char *data;              /* comma-joined unknown options (fs-specific) */
        bool bind, rec;
} MountFlags;
int mount_options_parse(char *const *options, MountFlags *ret);

/* hooks.c */
int hooks_run(const Spec *spec, SpecHookKind kind, const char *state_json, LadeError **err);

/* terminal.c */
int console_socket_connect(const char *path, LadeError **err);
/* Inside the container: opens a pty, makes its slave the controlling terminal and stdio, sends
 * the master through console_fd, and returns 0. */
int console_setup_in_container(int console_fd, const SpecProcess *proc, bool mount_console,
                               LadeError **err);
/* For foreground `run -t`/`exec -t` without a console socket: a socketpair the child sends the
 * master over; the parent proxies it to its own stdio. */
int console_proxy_master(int master_fd, pid_t child, int *ret_status);
/* For a process with a terminal: connect to --console-socket, or (proxy) make the socketpair
 * whose peer end receives the master for console_proxy_master(); error when neither. */
int console_prepare(const SpecProcess *proc, const char *console_socket, bool proxy,
                    int *ret_console_fd, int *ret_peer, LadeError **err);
int console_recv_master(int sock, LadeError **err);
/* Waits for pid, forwarding every signal we get to it; returns its status (128+N if killed). */
int wait_forwarding_signals(pid_t pid);

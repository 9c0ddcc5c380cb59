/* Shared by the engine's container files: the row of a container in lade.db, where its files
 * live, and the monitor's wire protocol. Not a public header. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>
#include <sqlite3.h>

#include "containers.h"
#include "image-store.h"
#include "runtime.h"

/* One container: its row and the paths derived from it. */
typedef struct Ctr {
        Engine *e;
        sqlite3 *db;
        char id[65];
        char *name;
        char *dir, *rootfs;        /* <root>/containers/<id>, .../rootfs */
        char *image_ref, *image_id;
        char *state;               /* created running paused restarting exited dead */
        json_t *create;            /* the create body (Docker's API shape) */
        json_t *net;               /* NetworkSettings as last attached, or NULL */
        pid_t pid, monitor_pid;
        int64_t created, started_ns, finished_ns;
        int exit_code, restart_count;
        char *error, *health;
        bool row, mounted, stop_requested;
        RuntimeContext rt;         /* the runtime library's context for this root */
        char *rt_root;
        ImageInfo *image;          /* resolved when needed */
        json_t *spec;
} Ctr;

void ctr_done(Ctr *c);
int ctr_open_db(Engine *e, sqlite3 **ret, LadeError **err);
/* Loads the row of name, full id or unique id prefix into c (c->e set by the caller). ENOENT:
 * Docker's "No such container: X". */
int ctr_load(Ctr *c, const char *name_or_id, LadeError **err);
/* Writes the mutable fields (state, pids, times, exit code, counters, error, net, health). */
int ctr_save(Ctr *c, LadeError **err);
int ctr_delete_row(Ctr *c, LadeError **err);
void ctr_paths(Ctr *c);
char *engine_run_root(Engine *e);
/* Mounts the overlay rootfs unless it is mounted (after a reboot, or first start). */
int ctr_mount_rootfs(Ctr *c, LadeError **err);
void ctr_unmount_rootfs(Ctr *c);
/* Builds the OCI spec for a start into <dir>/config.json (hosts, resolv.conf regenerated). */
int ctr_build_spec(Ctr *c, LadeError **err);
/* A monitor that died (kill -9, a reboot) left its row active: record what really happened. */
void ctr_reconcile(Ctr *c);
/* Removes the mount, directory and row; the monitor's --rm and `lade rm` share it. */
void ctr_destroy(Ctr *c);
void ctr_purge_trash(Engine *e);
/* True when pid is a live (not zombie) process. */
bool pid_alive(pid_t pid);
int64_t realtime_ns(void);
/* "2026-11-29T12:00:00.123456789Z"; 0 -> "0001-01-01T00:00:00Z" */
char *format_rfc3339_ns(int64_t ns);

/* Records a container event (engine-events.h) with Docker's attributes: name, image, the
 * labels, and extra (stolen, may be NULL). */
void ctr_event(Ctr *c, const char *action, json_t *extra);

/* exec: loads name_or_id into c, checks it runs, and builds the process of req. */
int ctr_exec_prepare(Ctr *c, const char *name_or_id, const ExecRequest *req, SpecProcess **ret,
                     LadeError **err);

/* ---- network (container-net.c) ---- */
/* HostConfig.NetworkMode with Docker's default: "bridge", "none", "host", "container:X", a user
 * network name. */
const char *ctr_network_mode(const Ctr *c);
/* Attaches the container whose init is pid (created, not started); sets c->net. */
int ctr_network_attach(Ctr *c, pid_t pid, LadeError **err);
/* NetworkSettings.Networks of a container not started yet: its NetworkMode's network with the
 * endpoint settings of the create body. */
json_t *ctr_configured_networks(const Ctr *c);
/* Published ports free? Before anything is created. */
int ctr_check_ports(Ctr *c, LadeError **err);

/* ---- the monitor ---- */

/* Messages on the monitor's sockets (SOCK_SEQPACKET), fixed size; fds ride with ATTACH. */
typedef enum MonMsgType {
        MON_STARTED = 1,   /* value = pid */
        MON_ERROR,         /* text; value = Docker exit code (125/126/127) */
        MON_ATTACH,        /* flags; fds: stdin (if MON_F_STDIN), stdout, stderr */
        MON_RESIZE,        /* rows, cols */
        MON_EXIT,          /* value = exit status */
        MON_DETACHED,
        MON_WAIT,          /* only be told of the exit */
        MON_SIGNAL,        /* value = signal, to the container's init */
} MonMsgType;

enum {
        MON_F_STDIN = 1 << 0,
        MON_F_STDOUT = 1 << 1,
        MON_F_STDERR = 1 << 2,
        MON_F_KEYS = 1 << 8,    /* text holds the detach keys */
};

typedef struct MonMsg {
        uint32_t type;
        int32_t value;
        uint32_t flags;
        uint16_t rows, cols;
        char text[1024];   /* MON_ERROR message; MON_ATTACH detach keys */
} MonMsg;

int mon_send(int fd, const MonMsg *m, const int *fds, size_t n_fds);
/* Receives one message and up to 3 fds (-EBADF where absent); 0 on EOF with type 0. */
int mon_recv(int fd, MonMsg *m, int fds[3]);
/* Path of the monitor's attach socket, usable with bind/connect whatever the root's length:
 * "/proc/self/fd/N/attach.sock" with dirfd N open on the container dir. */
void mon_socket_path(int dirfd, char buf[static 64]);

typedef struct MonitorArgs {
        Ctr *c;            /* loaded row; the monitor owns it from here */
        int ctl;           /* socket to the starter: STARTED/ERROR, then (attach) its client */
        bool attach;       /* ctl's peer sent its stdio in a MON_ATTACH and waits for the exit */
} MonitorArgs;
/* The monitor: runs in its own session (the caller forked and setsid()), starts the container,
 * holds its stdio, logs, serves attach, records the exit, restarts, removes (--rm). Never
 * returns. */
_noreturn_ void monitor_main(MonitorArgs *a);

/* json-file logs */
typedef struct LogWriter LogWriter;
int log_writer_open(const char *path, json_t *log_config, LogWriter **ret, LadeError **err);
void log_writer_write(LogWriter *w, const char *stream, const char *buf, size_t len);
LogWriter *log_writer_free(LogWriter *w);

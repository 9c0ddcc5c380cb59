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
#include "monitor-loop.h"
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
        bool db_borrowed;          /* db is the Engine's (engine_db), not closed by ctr_done */
        RuntimeContext rt;         /* the runtime library's context for this root */
        char *rt_root;
        ImageInfo *image;          /* resolved when needed */
        json_t *spec;
} Ctr;

void ctr_done(Ctr *c);
int ctr_open_db(Engine *e, sqlite3 **ret, LadeError **err);
/* c (c->e set, no db yet) reads and writes on its Engine's connection (engine_db), as request
 * handlers of a server should: a pooled Engine's connection is open with its schema parsed. A
 * start that forks its monitor (spawn_monitor_fork) lets go of it around the fork and borrows it
 * again after. */
int ctr_borrow_db(Ctr *c, LadeError **err);
/* The containers table created, or given the columns it lacks. */
int ctr_migrate_db(sqlite3 *db, LadeError **err);
/* The Engine's own connection to lade.db (its image store's, open as long as the Engine is, kept
 * by an EnginePool), with the containers table current: borrowed, not to be closed, nor kept
 * across a call that forks (image_store_release_db). */
int engine_db(Engine *e, sqlite3 **ret, LadeError **err);
/* Loads the row of name, full id or unique id prefix into c (c->e set by the caller). ENOENT:
 * Docker's "No such container: X". */
int ctr_load(Ctr *c, const char *name_or_id, LadeError **err);
/* Writes the mutable fields (state, pids, times, exit code, counters, error, net, health). */
int ctr_save(Ctr *c, LadeError **err);
int ctr_delete_row(Ctr *c, LadeError **err);
int ctr_set_stop_requested(Ctr *c, bool stop, LadeError **err);
/* Marks the row of a container whose monitor died as exited (255, error MSG), but only while
 * the row still says what c read (state and monitor_pid). Returns 1 when it did; 0 when the row
 * has moved on (a monitor recorded the exit meanwhile), and c then holds the row's new state. */
int ctr_claim_orphan(Ctr *c, const char *msg, LadeError **err);
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
/* The row says running, paused or restarting. */
bool ctr_info_active(const ContainerInfo *ci);

/* ---- listing (container-list.c, container-list-cache.c) ---- */
/* A list request's filters, checked, with before/since resolved to creation times. */
typedef struct CtrListQuery {
        const struct EngineFilters *f;     /* borrowed, may be NULL */
        bool all;                          /* stopped containers too (forced by status/exited) */
        int64_t before, since;             /* 0: none */
} CtrListQuery;
int ctr_list_query_prepare(Engine *e, bool all, const struct EngineFilters *f, CtrListQuery *ret,
                           LadeError **err);
bool ctr_list_query_match(const CtrListQuery *q, const ContainerInfo *ci);
/* The summary's members before Status (Id … State) and after it (HostConfig …). */
json_t *engine_container_summary_head(const ContainerInfo *ci);
json_t *engine_container_summary_tail(const ContainerInfo *ci);
/* The server's cache of the container list (container-list-cache.c), one per EnginePool. */
typedef struct CtrListCache CtrListCache;
CtrListCache *ctr_list_cache_new(void);
/* Drops the cached rows, their pidfds and the cache's connection (a server gone idle). */
void ctr_list_cache_drop(CtrListCache *lc);
CtrListCache *ctr_list_cache_free(CtrListCache *lc);
/* The cache of the pool e came from, or NULL. */
CtrListCache *engine_list_cache(Engine *e);
int64_t realtime_ns(void);
/* "2026-11-29T12:00:00.123456789Z"; 0 -> "0001-01-01T00:00:00Z" */
char *format_rfc3339_ns(int64_t ns);

/* Records a container event (engine-events.h) with Docker's attributes: name, image, the
 * labels, and extra (stolen, may be NULL). */
void ctr_event(Ctr *c, const char *action, json_t *extra);
/* The attributes ctr_event() records (extra stolen). */
json_t *ctr_event_attributes(Ctr *c, json_t *extra);

/* A new exec instance id (64 hex). */
char *ctr_exec_new_id(void);
/* exec: loads name_or_id into c, checks it runs, and builds the process of req. */
int ctr_exec_prepare(Ctr *c, const char *name_or_id, const ExecRequest *req, SpecProcess **ret,
                     LadeError **err);

/* The create and network documents as the row has them now (`update`, `network connect` and
 * `disconnect` change them while the monitor holds its copies; each is kept when the row has
 * none), and their saving alone. */
void ctr_reload_config(Ctr *c);
int ctr_save_networks(Ctr *c, LadeError **err);

/* ---- network (container-net.c) ---- */
/* HostConfig.NetworkMode with Docker's default: "bridge", "none", "host", "container:X", a user
 * network name. */
const char *ctr_network_mode(const Ctr *c);
/* The same from the create body's HostConfig.NetworkMode (may be NULL) and NetworkDisabled. */
const char *ctr_network_mode_of(const char *mode, bool disabled);
/* Attaches the container whose init is pid (created, not started) to its NetworkMode's network
 * and to every other network of NetworkingConfig.EndpointsConfig; sets c->net. */
int ctr_network_attach(Ctr *c, pid_t pid, LadeError **err);
/* NetworkSettings.Networks of a container not started yet: its NetworkMode's network with the
 * endpoint settings of the create body. */
json_t *ctr_configured_networks(const Ctr *c);
/* The same from a network mode and NetworkingConfig.EndpointsConfig (may be NULL). */
json_t *engine_configured_networks(const char *mode, json_t *endpoints);
/* Published ports free? Before anything is created. */
int ctr_check_ports(Ctr *c, LadeError **err);
/* Legacy links (container-links.c): at create, HostConfig.Links' targets exist (Docker's
 * "could not get container for X"), and links on a user-defined network are refused; at each
 * start on the default bridge, their hosts lines are appended to <dir>/hosts (the targets must
 * run: "Cannot link to a non running container"). */
int ctr_links_check(Ctr *c, LadeError **err);
/* Create-body fields lade does not implement, refused at create (container-checks.c): Runtime,
 * Isolation, StorageOpt, VolumeDriver, DeviceRequests, Cgroup, IPv6/link-local addresses, endpoint
 * driver options and gateway priority; bad MAC addresses. */
int ctr_check_unsupported(const Ctr *c, LadeError **err);
int ctr_links_hosts(Ctr *c, LadeError **err);

/* The OCI process of an exec: the container's own (config.json) with the request's overrides. */
int ctr_exec_process(Ctr *c, const ExecRequest *req, json_t **ret, LadeError **err);

/* ---- health checks (container-health.c), driven by the monitor ---- */
typedef struct Health Health;
/* NULL when the container has no health check (none configured, or Test NONE). */
Health *health_new(Ctr *c);
Health *health_free(Health *h);
/* Milliseconds until the next thing to do (probe due or running probe's timeout); -1: none. */
int health_timeout_ms(Health *h);
/* The running probe's pidfd to poll, or -1. */
int health_fd(Health *h);
/* Called when the timeout expired or the pidfd is readable: starts or reaps a probe, records
 * the status ("starting", "healthy", "unhealthy") in the row when it changes. */
void health_step(Health *h);

/* ---- the monitor ---- */

typedef struct MonitorArgs {
        Ctr *c;            /* loaded row; the monitor owns it from here */
        int ctl;           /* socket to the starter: STARTED/ERROR, then (attach) its client */
        bool attach;       /* ctl's peer sent its stdio in a MON_ATTACH and waits for the exit */
        /* back from the idle monitor (`lade __monitor-exited`): the exit status, the attach
         * socket and the clients' sockets ("FD,…" words) it hands back; ctl is -1 */
        bool resume;
        int status, listen_fd;
        char **clients;
} MonitorArgs;
/* The monitor: runs in its own session (the caller forked and setsid()), starts the container,
 * holds its stdio, logs, serves attach, records the exit, restarts, removes (--rm). Never
 * returns. */
_noreturn_ void monitor_main(MonitorArgs *a);
/* Whether the process runs more than one thread (then a fork may only exec). */
bool ctr_multi_threaded(void);
/* Asks the monitor zygote (monitor-zygote.c) for a monitor of container id with ctl as its
 * control socket; -ENOENT: there is none (or it is gone), start one by exec instead. */
int monitor_zygote_spawn(const char *root, const char *id, bool attach, int ctl);
/* Asks the zygote for a cgroup_prime_attach() (its child, reaped there); -ENOENT: none. */
int monitor_zygote_prime(void);


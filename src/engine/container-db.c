/* The containers table and a container's files. Invariants: a row exists for every container
 * directory we made, and is removed only after the directory and the rootfs mount are gone. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "container-spec.h"
#include "containers-internal.h"
#include "engine-events.h"
#include "image-db.h"
#include "json-util.h"
#include "util.h"
#include "volumes.h"

static const char containers_schema[] =
        "CREATE TABLE IF NOT EXISTS containers (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
        " image TEXT NOT NULL, image_id TEXT NOT NULL, created INTEGER NOT NULL, state TEXT NOT NULL,"
        " exit_code INTEGER NOT NULL DEFAULT 0, finished INTEGER NOT NULL DEFAULT 0,"
        " command TEXT NOT NULL DEFAULT '[]',"
        " create_json TEXT NOT NULL)";

/* Columns added after the first release of the table: ALTER TABLE on old databases. */
static const char *const containers_columns[] = {
        "pid INTEGER NOT NULL DEFAULT 0",
        "monitor_pid INTEGER NOT NULL DEFAULT 0",
        "started_ns INTEGER NOT NULL DEFAULT 0",
        "finished_ns INTEGER NOT NULL DEFAULT 0",
        "restart_count INTEGER NOT NULL DEFAULT 0",
        "stop_requested INTEGER NOT NULL DEFAULT 0",
        "error TEXT NOT NULL DEFAULT ''",
        "health TEXT NOT NULL DEFAULT ''",
        "net_json TEXT",
};

int ctr_migrate_db(sqlite3 *db, LadeError **err)
{
        /* migrate only when the newest column is missing (a read, cheap on every open) */
        sqlite3_stmt *st;
        bool current = false;
        if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info('containers') WHERE name = 'net_json'", -1,
                               &st, NULL) == SQLITE_OK) {
                current = sqlite3_step(st) == SQLITE_ROW;
                sqlite3_finalize(st);
        }
        if (current)
                return 0;
        int r = image_db_exec(db, containers_schema, "create containers table", err);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(containers_columns); i++) {
                _cleanup_free_ char *sql = xasprintf("ALTER TABLE containers ADD COLUMN %s", containers_columns[i]);
                /* "duplicate column name" on a database that has it already */
                (void) sqlite3_exec(db, sql, NULL, NULL, NULL);
        }
        return r;
}

int ctr_open_db(Engine *e, sqlite3 **ret, LadeError **err)
{
        _cleanup_free_ char *path = xasprintf("%s/lade.db", engine_root(e));
        int r = image_db_open(path, ret, err);
        if (r < 0)
                return r;
        if ((r = ctr_migrate_db(*ret, err)) < 0)
                *ret = image_db_close(*ret);
        return r;
}

void ctr_done(Ctr *c)
{
        free(c->name);
        free(c->dir);
        free(c->rootfs);
        free(c->image_ref);
        free(c->image_id);
        free(c->state);
        free(c->error);
        free(c->health);
        free(c->rt_root);
        json_decref(c->create);
        json_decref(c->net);
        image_info_free(c->image);
        json_decref(c->spec);
        if (!c->db_borrowed)
                image_db_close(c->db);
        *c = (Ctr) { 0 };
}

int ctr_borrow_db(Ctr *c, LadeError **err)
{
        int r = engine_db(c->e, &c->db, err);
        c->db_borrowed = r >= 0;
        return r;
}

void ctr_paths(Ctr *c)
{
        if (!c->rt_root) {
                _cleanup_free_ char *rr = engine_run_root(c->e);
                c->rt_root = xasprintf("%s/runtime", rr);
                c->rt = (RuntimeContext) { .state_root = c->rt_root };
        }
        if (!c->dir)
                c->dir = xasprintf("%s/containers/%s", engine_root(c->e), c->id);
        if (!c->rootfs)
                c->rootfs = xasprintf("%s/rootfs", c->dir);
}

char *engine_run_root(Engine *e)
{
        const char *env = getenv("LADE_RUN_ROOT");
        if (env && *env)
                return xstrdup(env);
        if (streq(engine_root(e), "/var/lib/lade"))
                return xstrdup("/run/lade");
        return xasprintf("%s/run", engine_root(e));
}


static char *col_text(sqlite3_stmt *st, int i)
{
        const unsigned char *t = sqlite3_column_text(st, i);
        return xstrdup(t ? (const char *) t : "");
}

static json_t *col_json(sqlite3_stmt *st, int i)
{
        const char *t = (const char *) sqlite3_column_text(st, i);
        json_t *j = NULL;
        if (t && *t)
                (void) json_parse_text(t, strlen(t), "container row", &j, NULL);
        return j;
}

#define CTR_COLUMNS "id, name, image, image_id, state, created, exit_code, create_json, pid, monitor_pid," \
                    " started_ns, finished_ns, restart_count, stop_requested, error, health, net_json"

static void ctr_from_row(Ctr *c, sqlite3_stmt *st)
{
        snprintf(c->id, sizeof(c->id), "%s", (const char *) sqlite3_column_text(st, 0));
        c->name = col_text(st, 1);
        c->image_ref = col_text(st, 2);
        c->image_id = col_text(st, 3);
        c->state = col_text(st, 4);
        c->created = sqlite3_column_int64(st, 5);
        c->exit_code = sqlite3_column_int(st, 6);
        c->create = col_json(st, 7);
        if (!c->create)
                c->create = json_object();
        c->pid = (pid_t) sqlite3_column_int(st, 8);
        c->monitor_pid = (pid_t) sqlite3_column_int(st, 9);
        c->started_ns = sqlite3_column_int64(st, 10);
        c->finished_ns = sqlite3_column_int64(st, 11);
        c->restart_count = sqlite3_column_int(st, 12);
        c->stop_requested = sqlite3_column_int(st, 13) != 0;
        c->error = col_text(st, 14);
        c->health = col_text(st, 15);
        c->net = col_json(st, 16);
        c->row = true;
        ctr_paths(c);
}

/* Docker's lookup order: full id, exact name, then a unique id prefix. */
int ctr_load(Ctr *c, const char *name_or_id, LadeError **err)
{
        int r = c->db ? 0 : ctr_open_db(c->e, &c->db, err);
        if (r < 0)
                return r;
        if (!name_or_id || !*name_or_id)
                return lade_error_msg(err, ENOENT, "No such container: %s", name_or_id ? name_or_id : "");
        const char *n = name_or_id[0] == '/' ? name_or_id + 1 : name_or_id;
        _cleanup_free_ char *prefix = xasprintf("%s%%", n);
        _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
        r = image_db_prepare(c->db, "SELECT " CTR_COLUMNS ", (id = ?1) * 2 + (name = ?1) AS rank FROM containers"
                             " WHERE id = ?1 OR name = ?1 OR (length(?1) >= 1 AND id LIKE ?2)"
                             " ORDER BY rank DESC LIMIT 2", &st, err, n, prefix, NULL);
        if (r < 0)
                return r;
        if (sqlite3_step(st) != SQLITE_ROW)
                return lade_error_msg(err, ENOENT, "No such container: %s", name_or_id);
        int rank = sqlite3_column_int(st, 17);
        ctr_from_row(c, st);
        if (rank == 0 && sqlite3_step(st) == SQLITE_ROW)
                return lade_error_msg(err, EINVAL, "multiple IDs found with provided prefix: %s", name_or_id);
        return 0;
}

int ctr_save(Ctr *c, LadeError **err)
{
        char pid[16], mpid[16], st_ns[24], fin[24], rc[16], code[16];
        snprintf(pid, sizeof(pid), "%d", (int) c->pid);
        snprintf(mpid, sizeof(mpid), "%d", (int) c->monitor_pid);
        snprintf(st_ns, sizeof(st_ns), "%lld", (long long) c->started_ns);
        snprintf(fin, sizeof(fin), "%lld", (long long) c->finished_ns);
        snprintf(rc, sizeof(rc), "%d", c->restart_count);
        snprintf(code, sizeof(code), "%d", c->exit_code);
        _cleanup_free_ char *net = c->net ? json_dump_compact(c->net) : NULL;
        _cleanup_free_ char *cmd = c->spec ? json_dump_compact(json_object_get(json_object_get(c->spec, "process"),
                                                                               "args")) : NULL;
        sqlite3_stmt *st;
        int r = image_db_prepare(c->db, "UPDATE containers SET state = ?2, pid = CAST(?3 AS INTEGER),"
                                 " monitor_pid = CAST(?4 AS INTEGER), started_ns = CAST(?5 AS INTEGER),"
                                 " finished_ns = CAST(?6 AS INTEGER), restart_count = CAST(?7 AS INTEGER),"
                                 " exit_code = CAST(?8 AS INTEGER),"
                                 " error = ?9, health = ?10, net_json = ?11, command = coalesce(?12, command)"
                                 " WHERE id = ?1",
                                 &st, err, c->id, c->state, pid, mpid, st_ns, fin, rc, code,
                                 c->error ? c->error : "", c->health ? c->health : "", net ? net : "",
                                 cmd, NULL);
        if (r < 0)
                return r;
        int rc2 = sqlite3_step(st);
        sqlite3_finalize(st);
        return rc2 == SQLITE_DONE ? 0 : image_db_error(c->db, rc2, "update container", err);
}

void ctr_reload_config(Ctr *c)
{
        _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
        if (!c->db || image_db_prepare(c->db, "SELECT create_json, net_json FROM containers WHERE id = ?1", &st, NULL,
                                       c->id, NULL) < 0 || sqlite3_step(st) != SQLITE_ROW)
                return;
        json_t *create = col_json(st, 0), *net = col_json(st, 1);
        if (create) {
                json_decref(c->create);
                c->create = create;
        }
        if (net) {
                json_decref(c->net);
                c->net = net;
        }
}

int ctr_save_networks(Ctr *c, LadeError **err)
{
        _cleanup_free_ char *create = json_dump_compact(c->create);
        _cleanup_free_ char *net = c->net ? json_dump_compact(c->net) : NULL;
        _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
        int r = image_db_prepare(c->db, "UPDATE containers SET create_json = ?2, net_json = ?3 WHERE id = ?1", &st,
                                 err, c->id, create, net ? net : "", NULL);
        if (r < 0)
                return r;
        int rc = sqlite3_step(st);
        return rc == SQLITE_DONE ? 0 : image_db_error(c->db, rc, "update container", err);
}

/* c's state fields from the row as it is now */
static int ctr_refresh_state(Ctr *c, LadeError **err)
{
        _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
        int r = image_db_prepare(c->db, "SELECT state, exit_code, pid, monitor_pid, finished_ns, error"
                                 " FROM containers WHERE id = ?1", &st, err, c->id, NULL);
        if (r < 0)
                return r;
        if (sqlite3_step(st) != SQLITE_ROW)
                return lade_error_msg(err, ENOENT, "No such container: %s", c->id);
        free(c->state);
        c->state = col_text(st, 0);
        c->exit_code = sqlite3_column_int(st, 1);
        c->pid = (pid_t) sqlite3_column_int(st, 2);
        c->monitor_pid = (pid_t) sqlite3_column_int(st, 3);
        c->finished_ns = sqlite3_column_int64(st, 4);
        free(c->error);
        c->error = col_text(st, 5);
        return 0;
}

/* The check that the monitor is gone and the write come apart in time (a loaded server can
 * pause a thread for a second between them): the UPDATE's WHERE makes them one step, so a
 * monitor that recorded a real exit and left meanwhile is never overwritten with 255. */
int ctr_claim_orphan(Ctr *c, const char *msg, LadeError **err)
{
        char mpid[16], fin[24];
        int64_t now = realtime_ns();
        snprintf(mpid, sizeof(mpid), "%d", (int) c->monitor_pid);
        snprintf(fin, sizeof(fin), "%lld", (long long) now);
        int r = c->db ? 0 : ctr_open_db(c->e, &c->db, err);
        if (r < 0)
                return r;
        sqlite3_stmt *st;
        r = image_db_prepare(c->db, "UPDATE containers SET state = 'exited', exit_code = 255, pid = 0,"
                             " monitor_pid = 0, finished_ns = CAST(?4 AS INTEGER), error = ?5"
                             " WHERE id = ?1 AND state = ?2 AND monitor_pid = CAST(?3 AS INTEGER)",
                             &st, err, c->id, c->state, mpid, fin, msg, NULL);
        if (r < 0)
                return r;
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
                return image_db_error(c->db, rc, "update container", err);
        if (sqlite3_changes(c->db) != 1)
                return ctr_refresh_state(c, err);
        free(c->state);
        c->state = xstrdup("exited");
        c->exit_code = 255;
        c->pid = 0;
        c->monitor_pid = 0;
        c->finished_ns = now;
        free(c->error);
        c->error = xstrdup(msg);
        return 1;
}

/* Separate from ctr_save(): the monitor saves its own view of the row while `stop` sets this. */
int ctr_set_stop_requested(Ctr *c, bool stop, LadeError **err)
{
        sqlite3_stmt *st;
        int r = image_db_prepare(c->db, "UPDATE containers SET stop_requested = CAST(?2 AS INTEGER) WHERE id = ?1", &st,
                                 err, c->id, stop ? "1" : "0", NULL);
        if (r < 0)
                return r;
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
                return image_db_error(c->db, rc, "update container", err);
        c->stop_requested = stop;
        return 0;
}

int ctr_delete_row(Ctr *c, LadeError **err)
{
        sqlite3_stmt *st;
        int r = image_db_prepare(c->db, "DELETE FROM containers WHERE id = ?1", &st, err, c->id, NULL);
        if (r < 0)
                return r;
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
                return image_db_error(c->db, rc, "remove container", err);
        c->row = false;
        return 0;
}

static bool is_mounted(const char *path)
{
        struct stat a, b;
        _cleanup_free_ char *parent = xasprintf("%s/..", path);
        return stat(path, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev;
}

/* overlayfs: lowerdir lists the top layer first */
int ctr_mount_rootfs(Ctr *c, LadeError **err)
{
        ctr_paths(c);
        if (is_mounted(c->rootfs)) {
                c->mounted = true;
                return 0;
        }
        _cleanup_strv_free_ char **layers = NULL;
        int r = image_store_layer_dirs(engine_images(c->e), c->image_id, &layers, err);
        if (r < 0)
                return r;
        size_t n = strv_length(layers);
        if (n == 0)
                return lade_error_msg(err, EINVAL, "image %s has no layers", c->image_id);
        size_t len = 0;
        for (size_t i = 0; i < n; i++)
                len += strlen(layers[i]) + 1;
        _cleanup_free_ char *lower = xmalloc(len + 1);
        char *p = lower;
        for (size_t i = n; i-- > 0;)
                p += sprintf(p, "%s%s", p == lower ? "" : ":", layers[i]);
        _cleanup_free_ char *opts = xasprintf("lowerdir=%s,upperdir=%s/upper,workdir=%s/work", lower, c->dir, c->dir);
        if (strlen(opts) >= 4096)
                return lade_error_msg(err, E2BIG, "image has too many layers for one overlay mount");
        if (mount("overlay", c->rootfs, "overlay", 0, opts) < 0)
                return lade_error(err, errno, "mount the container's overlay rootfs");
        c->mounted = true;
        return 0;
}

void ctr_unmount_rootfs(Ctr *c)
{
        ctr_paths(c);
        /* EINVAL: not a mount point (never mounted, or already gone) */
        if (umount2(c->rootfs, MNT_DETACH) == 0 || errno == EINVAL || errno == ENOENT)
                c->mounted = false;
}

/* "container:NAME" modes name the other container's running process for the spec. */
static int resolve_container_modes(Ctr *c, json_t **ret, LadeError **err)
{
        static const char *const keys[] = { "NetworkMode", "PidMode", "IpcMode" };
        json_t *create = json_deep_copy(c->create), *host = json_object_get(create, "HostConfig");
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                const char *mode = json_string_value(json_object_get(host, keys[i]));
                int64_t pid;
                if (!mode || !startswith(mode, "container:") || mode[10] == '/' || parse_int64(mode + 10, &pid) == 0)
                        continue;
                Ctr o = { .e = c->e };
                int r = ctr_load(&o, mode + 10, err);
                if (r >= 0 && (!o.state || !streq(o.state, "running") || !pid_alive(o.pid)))
                        r = lade_error_msg(err, EBUSY, "cannot join namespaces of a non running container: %s", o.id);
                if (r >= 0)
                        json_object_set_new(host, keys[i], json_sprintf("container:%d", (int) o.pid));
                ctr_done(&o);
                if (r < 0) {
                        json_decref(create);
                        return r;
                }
        }
        *ret = create;
        return 0;
}

/* --init: Docker's docker-init (tini) bind-mounted read-only at /sbin/docker-init and put in
 * front of the command, so signals are forwarded and zombies reaped. */
static int add_init(json_t *spec, LadeError **err)
{
        static const char *const candidates[] = { "/usr/libexec/docker/docker-init", "/usr/bin/docker-init",
                                                  "/usr/bin/tini-static", "/usr/local/bin/docker-init" };
        const char *path = getenv("LADE_INIT_PATH");
        for (size_t i = 0; (!path || !*path) && i < ELEMENTSOF(candidates); i++)
                if (access(candidates[i], X_OK) == 0)
                        path = candidates[i];
        if (!path || !*path)
                return lade_error_msg(err, ENOENT, "docker-init binary not found (install tini or set LADE_INIT_PATH)");
        json_t *proc = json_object_get(spec, "process"), *args = json_object_get(proc, "args");
        json_t *n = json_pack("[s,s]", "/sbin/docker-init", "--");
        json_array_extend(n, args);
        json_object_set_new(proc, "args", n);
        json_array_append_new(json_object_get(spec, "mounts"),
                              json_pack("{s:s,s:s,s:s,s:[s,s,s]}", "destination", "/sbin/docker-init", "type", "bind",
                                        "source", path, "options", "bind", "ro", "nosuid"));
        return 0;
}

int ctr_build_spec(Ctr *c, LadeError **err)
{
        if (!c->image) {
                int r = image_store_resolve(engine_images(c->e), c->image_id, &c->image, err);
                if (r < 0)
                        return lade_error_wrap(err, "image of container %s", c->name);
        }
        _cleanup_json_ json_t *create = NULL, *prepared = NULL;
        int r = resolve_container_modes(c, &create, err);
        if (r < 0)
                return r;
        /* volumes become binds and tmpfs mounts (the stored create body stays as it was) */
        r = engine_volumes_prepare(c->e, c->id, create, c->image->config, c->rootfs, &prepared, err);
        if (r < 0)
                return r;
        /* our own address is added to hosts once the network is attached (container-net.c) */
        SpecInputs in = { .create = prepared, .image = c->image->config, .rootfs = c->rootfs,
                          .id = c->id, .name = c->name, .state_dir = c->dir };
        c->spec = json_decref_null(c->spec);
        r = container_spec_build(&in, &c->spec, err);
        if (r >= 0 && json_is_true(json_object_get(json_object_get(c->create, "HostConfig"), "Init")))
                r = add_init(c->spec, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *text = container_spec_dump(c->spec, JSON_INDENT(2));
        _cleanup_free_ char *path = xasprintf("%s/config.json", c->dir);
        return write_file_atomic_at(AT_FDCWD, path, text, strlen(text), 0600, err);
}

/* The directory is renamed into <root>/containers/.trash/ (one rename, so the container is gone
 * at once) and deleted by ctr_purge_trash(), which callers run when nobody waits on them:
 * deleting files is slow on some filesystems and `run --rm` should not pay for it. */
void ctr_destroy(Ctr *c)
{
        ctr_paths(c);
        ctr_unmount_rootfs(c);
        if (!c->mounted) {
                _cleanup_free_ char *trash = xasprintf("%s/containers/.trash", engine_root(c->e));
                _cleanup_free_ char *to = xasprintf("%s/%s", trash, c->id);
                (void) mkdir(trash, 0700);
                if (rename(c->dir, to) < 0)
                        (void) rm_rf_at(AT_FDCWD, c->dir);
        }
        /* --rm removes the anonymous volumes, as Docker does; `rm` released them already */
        (void) engine_volumes_release(c->e, c->id, json_is_true(json_object_get(json_object_get(c->create,
                                                                 "HostConfig"), "AutoRemove")), NULL);
        if (c->row && c->db && ctr_delete_row(c, NULL) >= 0)
                ctr_event(c, "destroy", NULL);
}

void ctr_purge_trash(Engine *e)
{
        _cleanup_free_ char *trash = xasprintf("%s/containers/.trash", engine_root(e));
        (void) rm_rf_at(AT_FDCWD, trash);
}

bool pid_alive(pid_t pid)
{
        if (pid <= 0)
                return false;
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        _cleanup_free_ char *s = NULL;
        if (read_file_at(AT_FDCWD, path, 4096, &s, NULL, NULL) < 0)
                return false;
        const char *rp = strrchr(s, ')');
        /* a zombie is as good as gone */
        return rp && rp[1] == ' ' && rp[2] != 'Z' && rp[2] != 'X';
}

int64_t realtime_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

char *format_rfc3339_ns(int64_t ns)
{
        if (ns <= 0)
                return xstrdup("0001-01-01T00:00:00Z");
        time_t s = (time_t) (ns / 1000000000);
        struct tm tm;
        gmtime_r(&s, &tm);
        char buf[64];
        size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf + n, sizeof(buf) - n, ".%09lldZ", (long long) (ns % 1000000000));
        return xstrdup(buf);
}

void ctr_event(Ctr *c, const char *action, json_t *extra)
{
        engine_event_emit(c->e, "container", action, c->id, ctr_event_attributes(c, extra));
}

json_t *ctr_event_attributes(Ctr *c, json_t *extra)
{
        json_t *a = json_object();
        json_t *labels = json_object_get(c->create, "Labels");
        if (json_is_object(labels))
                json_object_update(a, labels);
        json_object_set_new(a, "image", json_string(c->image_ref ? c->image_ref : ""));
        json_object_set_new(a, "name", json_string(c->name ? c->name : ""));
        if (extra) {
                json_object_update(a, extra);
                json_decref(extra);
        }
        return a;
}

/* The events table (see engine-events.h). One INSERT per event, never inside the caller's
 * transaction (the Engine's connection between transactions, else one of its own); every 256th
 * insert trims the table to its newest ENGINE_EVENTS_KEEP rows. After the insert (committed),
 * the tick file is closed after a write-open, which wakes every EngineEventsWatch. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "containers-internal.h"
#include "engine-events.h"
#include "image-db.h"
#include "json-util.h"
#include "log.h"
#include "util.h"

static const char events_schema[] =
        "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
        " time_ns INTEGER NOT NULL, type TEXT NOT NULL, action TEXT NOT NULL,"
        " actor_id TEXT NOT NULL, attributes TEXT NOT NULL DEFAULT '{}')";

int engine_events_migrate(sqlite3 *db, LadeError **err)
{
        return image_db_exec(db, events_schema, "create the events table", err);
}

static int events_open_at(const char *root, sqlite3 **ret, LadeError **err)
{
        _cleanup_free_ char *path = xasprintf("%s/lade.db", root);
        _cleanup_(image_db_closep) sqlite3 *db = NULL;
        int r = image_db_open(path, &db, err);
        if (r < 0)
                return r;
        if ((r = engine_events_migrate(db, err)) < 0)
                return r;
        *ret = TAKE_PTR(db);
        return 0;
}

#define TICK_FILE "events.tick"

static int tick_open(const char *root)
{
        _cleanup_free_ char *path = xasprintf("%s/" TICK_FILE, root);
        return open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
}

/* The close of a write-open is the IN_CLOSE_WRITE the watchers wait for; nothing is written. */
static void tick(const char *root)
{
        int fd = tick_open(root);
        if (fd < 0)
                log_debug("events: no tick: %m");
        safe_close(fd);
}

static void emit_on(sqlite3 *db, const char *root, const char *type, const char *action, const char *actor_id,
                    json_t *attrs)
{
        _cleanup_json_ json_t *a = attrs ? attrs : json_object();
        _cleanup_free_ char *text = json_dump_compact(a);
        _cleanup_free_ char *now = xasprintf("%lld", (long long) realtime_ns());
        _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
        if (image_db_prepare(db, "INSERT INTO events (time_ns, type, action, actor_id, attributes)"
                             " VALUES (CAST(?1 AS INTEGER), ?2, ?3, ?4, ?5)", &st, NULL, now, type, action,
                             actor_id ? actor_id : "", text, NULL) < 0 ||
            sqlite3_step(st) != SQLITE_DONE) {
                log_debug("event %s %s of %s not recorded: %s", type, action, actor_id, sqlite3_errmsg(db));
                return;
        }
        int64_t seq = sqlite3_last_insert_rowid(db);
        if (seq % 256 == 0) {
                _cleanup_free_ char *sql = xasprintf("DELETE FROM events WHERE seq <= %lld",
                                                     (long long) (seq - ENGINE_EVENTS_KEEP));
                (void) sqlite3_exec(db, sql, NULL, NULL, NULL);
        }
        tick(root);
}

/* On the Engine's connection when it is between transactions (an INSERT there is its own
 * transaction, as on a connection of its own, without an open and a schema parse per event);
 * inside the caller's transaction, on a new connection. */
void engine_event_emit(Engine *e, const char *type, const char *action, const char *actor_id, json_t *attrs)
{
        sqlite3 *db = NULL;
        if (engine_db(e, &db, NULL) < 0 || !sqlite3_get_autocommit(db)) {
                engine_event_emit_at(engine_root(e), type, action, actor_id, attrs);
                return;
        }
        emit_on(db, engine_root(e), type, action, actor_id, attrs);
}

void engine_event_emit_at(const char *root, const char *type, const char *action, const char *actor_id,
                          json_t *attrs)
{
        _cleanup_(image_db_closep) sqlite3 *db = NULL;
        if (events_open_at(root, &db, NULL) < 0) {
                json_decref(attrs);
                return;
        }
        emit_on(db, root, type, action, actor_id, attrs);
}

/* Readers use the Engine's connection (engine_db): no open, no schema parse per read. */
int engine_events_last_seq(Engine *e, int64_t *ret, LadeError **err)
{
        sqlite3 *db = NULL;
        int r = engine_db(e, &db, err);
        if (r < 0)
                return r;
        *ret = 0;
        _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
        if ((r = image_db_prepare(db, "SELECT COALESCE(MAX(seq), 0) FROM events", &st, err, NULL)) < 0)
                return r;
        if (sqlite3_step(st) == SQLITE_ROW)
                *ret = sqlite3_column_int64(st, 0);
        return 0;
}

static char *col(sqlite3_stmt *st, int i)
{
        const unsigned char *t = sqlite3_column_text(st, i);
        return xstrdup(t ? (const char *) t : "");
}

int engine_events_read(Engine *e, int64_t after, size_t max, EngineEvent **ret, size_t *ret_n, LadeError **err)
{
        sqlite3 *db = NULL;
        int r = engine_db(e, &db, err);
        if (r < 0)
                return r;
        *ret = NULL;
        *ret_n = 0;
        _cleanup_free_ char *a = xasprintf("%lld", (long long) after), *m = xasprintf("%zu", max);
        _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
        r = image_db_prepare(db, "SELECT seq, time_ns, type, action, actor_id, attributes FROM events"
                             " WHERE seq > CAST(?1 AS INTEGER) ORDER BY seq LIMIT CAST(?2 AS INTEGER)",
                             &st, err, a, m, NULL);
        if (r < 0)
                return r;
        EngineEvent *l = NULL;
        size_t n = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
                l = xreallocarray(l, n + 1, sizeof(*l));
                EngineEvent *ev = &l[n++];
                *ev = (EngineEvent){ .seq = sqlite3_column_int64(st, 0), .time_ns = sqlite3_column_int64(st, 1),
                                     .type = col(st, 2), .action = col(st, 3), .actor_id = col(st, 4) };
                _cleanup_free_ char *text = col(st, 5);
                if (json_parse_text(text, strlen(text), "event", &ev->attributes, NULL) < 0 ||
                    !json_is_object(ev->attributes)) {
                        json_decref(ev->attributes);
                        ev->attributes = json_object();
                }
        }
        *ret = l;
        *ret_n = n;
        return 0;
}

struct EngineEventsWatch {
        int fd;                 /* inotify, or -EBADF when degraded */
        int wd;
        char *root;             /* the state root watched (pool key) */
};

/* Closing an inotify fd waits for an SRCU grace period in the kernel (the group's marks are
 * destroyed synchronously): 2–12 ms here, on the path of every `wait` answer (docker run --rm's
 * last request). A process keeps a few idle watches, armed, and hands them out again: a tick
 * queued while one was idle only costs its next user a re-read (identical queued events are
 * merged by inotify, so an idle watch holds one). Entries of another process (a fork's copy of
 * the pool) are forgotten, never used. */
#define WATCH_POOL_MAX 8
static struct {
        pthread_mutex_t lock;
        pid_t pid;
        size_t n;
        EngineEventsWatch *w[WATCH_POOL_MAX];
} watch_pool = { .lock = PTHREAD_MUTEX_INITIALIZER };

static EngineEventsWatch *watch_pool_take(const char *root)
{
        EngineEventsWatch *w = NULL;
        pthread_mutex_lock(&watch_pool.lock);
        if (watch_pool.pid != getpid()) {
                /* a fork's copy: the fds are not known to be ours */
                for (size_t i = 0; i < watch_pool.n; i++) {
                        free(watch_pool.w[i]->root);
                        free(watch_pool.w[i]);
                }
                watch_pool.n = 0;
                watch_pool.pid = getpid();
        }
        for (size_t i = 0; i < watch_pool.n; i++)
                if (streq(watch_pool.w[i]->root, root)) {
                        w = watch_pool.w[i];
                        watch_pool.w[i] = watch_pool.w[--watch_pool.n];
                        break;
                }
        pthread_mutex_unlock(&watch_pool.lock);
        return w;
}

static bool watch_pool_put(EngineEventsWatch *w)
{
        bool kept = false;
        pthread_mutex_lock(&watch_pool.lock);
        if (watch_pool.pid == getpid() && watch_pool.n < WATCH_POOL_MAX) {
                watch_pool.w[watch_pool.n++] = w;
                kept = true;
        }
        pthread_mutex_unlock(&watch_pool.lock);
        return kept;
}

/* (Re)arms the watch on the tick file, creating the file when it is missing. */
static void watch_arm(EngineEventsWatch *w)
{
        _cleanup_free_ char *path = xasprintf("%s/" TICK_FILE, w->root);
        safe_close(tick_open(w->root));
        w->wd = inotify_add_watch(w->fd, path, IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF |
                                  IN_MOVE_SELF | IN_DONT_FOLLOW);
        if (w->wd < 0) {
                log_debug("events: cannot watch '%s' (polling instead): %m", path);
                w->fd = safe_close(w->fd);
        }
}

EngineEventsWatch *engine_events_watch_new(Engine *e)
{
        EngineEventsWatch *w = watch_pool_take(engine_root(e));
        if (w) {
                /* ticks of before our time; a rearm if the file was replaced meanwhile */
                (void) engine_events_watch_drain(w);
                if (w->fd >= 0)
                        return w;
                free(w->root);
                free(w);
        }
        w = xmalloc0(sizeof(*w));
        *w = (EngineEventsWatch){ .fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC), .wd = -1,
                                  .root = xstrdup(engine_root(e)) };
        if (w->fd < 0)
                log_debug("events: no inotify (polling instead): %m");
        else
                watch_arm(w);
        return w;
}

EngineEventsWatch *engine_events_watch_free(EngineEventsWatch *w)
{
        if (!w)
                return NULL;
        if (w->fd >= 0 && watch_pool_put(w))
                return NULL;
        safe_close(w->fd);
        free(w->root);
        free(w);
        return NULL;
}

int engine_events_watch_fd(const EngineEventsWatch *w)
{
        return w && w->fd >= 0 ? w->fd : -1;
}

bool engine_events_watch_drain(EngineEventsWatch *w)
{
        if (!w || w->fd < 0)
                return false;
        bool any = false, rearm = false;
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        ssize_t n;
        while ((n = read(w->fd, buf, sizeof(buf))) > 0) {
                any = true;
                for (char *p = buf; p < buf + n;) {
                        const struct inotify_event *ev = (const struct inotify_event *) p;
                        if (ev->wd == w->wd && (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)))
                                rearm = true;
                        p += sizeof(*ev) + ev->len;
                }
        }
        if (rearm) {
                /* the file was removed or replaced: watch the new one (a tick may be lost in
                 * between: reported as one, so the caller re-reads) */
                (void) inotify_rm_watch(w->fd, w->wd);
                watch_arm(w);
        }
        return any;
}

int engine_events_watch_wait(EngineEventsWatch *w, int cancel_fd, int timeout_ms)
{
        int fd = engine_events_watch_fd(w);
        if (fd < 0 && (timeout_ms < 0 || timeout_ms > ENGINE_EVENTS_POLL_MS))
                timeout_ms = ENGINE_EVENTS_POLL_MS;
        struct pollfd p[2] = { { .fd = cancel_fd, .events = 0 }, { .fd = fd, .events = POLLIN } };
        int n = poll(p, 2, timeout_ms);
        if (n < 0 && errno != EINTR)
                return -errno;
        if (n <= 0)
                return 0;
        if (p[0].revents & (POLLERR | POLLHUP | POLLNVAL))
                return -ECANCELED;
        return engine_events_watch_drain(w) ? 1 : 0;
}

void engine_event_list_free(EngineEvent *l, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(l[i].type);
                free(l[i].action);
                free(l[i].actor_id);
                json_decref(l[i].attributes);
        }
        free(l);
}

json_t *engine_event_json(const EngineEvent *ev)
{
        json_t *j = json_pack("{s:s,s:s,s:{s:s,s:O},s:s,s:I,s:I}", "Type", ev->type, "Action", ev->action,
                              "Actor", "ID", ev->actor_id, "Attributes", ev->attributes, "scope", "local",
                              "time", (json_int_t) (ev->time_ns / 1000000000), "timeNano",
                              (json_int_t) ev->time_ns);
        if (j && streq(ev->type, "container")) {
                /* the fields of the old event format the docker CLI still prints */
                json_object_set_new(j, "status", json_string(ev->action));
                json_object_set_new(j, "id", json_string(ev->actor_id));
                const char *image = json_string_value(json_object_get(ev->attributes, "image"));
                if (image)
                        json_object_set_new(j, "from", json_string(image));
        }
        return j;
}

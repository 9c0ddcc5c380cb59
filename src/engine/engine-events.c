/* The events table (see engine-events.h). One INSERT per event on a connection of its own, so
 * an event never joins (or breaks) the caller's transaction; every 256th insert trims the
 * table to its newest ENGINE_EVENTS_KEEP rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int events_open_at(const char *root, bool create, sqlite3 **ret, LadeError **err)
{
        _cleanup_free_ char *path = xasprintf("%s/lade.db", root);
        _cleanup_(image_db_closep) sqlite3 *db = NULL;
        int r = image_db_open(path, &db, err);
        if (r < 0)
                return r;
        if (create && (r = image_db_exec(db, events_schema, "create the events table", err)) < 0)
                return r;
        *ret = TAKE_PTR(db);
        return 0;
}

static int events_open(Engine *e, bool create, sqlite3 **ret, LadeError **err)
{
        return events_open_at(engine_root(e), create, ret, err);
}

static bool table_exists(sqlite3 *db)
{
        sqlite3_stmt *st;
        bool yes = false;
        if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'", -1, &st,
                               NULL) == SQLITE_OK) {
                yes = sqlite3_step(st) == SQLITE_ROW;
                sqlite3_finalize(st);
        }
        return yes;
}

void engine_event_emit(Engine *e, const char *type, const char *action, const char *actor_id, json_t *attrs)
{
        engine_event_emit_at(engine_root(e), type, action, actor_id, attrs);
}

void engine_event_emit_at(const char *root, const char *type, const char *action, const char *actor_id,
                          json_t *attrs)
{
        _cleanup_json_ json_t *a = attrs ? attrs : json_object();
        _cleanup_(image_db_closep) sqlite3 *db = NULL;
        if (events_open_at(root, true, &db, NULL) < 0)
                return;
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
}

int engine_events_last_seq(Engine *e, int64_t *ret, LadeError **err)
{
        _cleanup_(image_db_closep) sqlite3 *db = NULL;
        int r = events_open(e, false, &db, err);
        if (r < 0)
                return r;
        *ret = 0;
        if (!table_exists(db))
                return 0;
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
        _cleanup_(image_db_closep) sqlite3 *db = NULL;
        int r = events_open(e, false, &db, err);
        if (r < 0)
                return r;
        *ret = NULL;
        *ret_n = 0;
        if (!table_exists(db))
                return 0;
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

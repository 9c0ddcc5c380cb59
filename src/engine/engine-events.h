/* The engine's events (`docker events`): rows of an `events` table in lade.db that every lade
 * process appends to as it acts (container create/start/die/destroy/stop/kill/pause/…, network
 * create/connect/…), read by the API server's /events and by waits that must not miss an exit
 * (the exit code of a container removed by --rm lives on in its "die" event). The table keeps
 * the newest ENGINE_EVENTS_KEEP rows. Emitting is best effort: an action never fails because its
 * event could not be recorded.
 *
 * Waking readers: after each insert the writer opens and closes `<root>/events.tick` for
 * writing (one IN_CLOSE_WRITE); readers watch that file with inotify (EngineEventsWatch), so a
 * waiter in any process hears of a new event at once instead of polling the table. The tick
 * carries no data: a reader woken by it re-reads the table from its cursor. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

#include "engine.h"

#define ENGINE_EVENTS_KEEP 10000

typedef struct EngineEvent {
        int64_t seq, time_ns;
        char *type, *action, *actor_id;
        json_t *attributes;      /* {"name":…,"image":…,"exitCode":…, labels…} */
} EngineEvent;

/* Appends an event; attrs (stolen, may be NULL) are the actor's attributes. */
void engine_event_emit(Engine *e, const char *type, const char *action, const char *actor_id,
                       json_t *attrs);
/* The same for a caller that holds only the state root (an exec's exit seen by another thread). */
void engine_event_emit_at(const char *root, const char *type, const char *action, const char *actor_id,
                          json_t *attrs);
/* The other objects' events with dockerd's attributes (engine-events-objects.c): networks
 * {name, type[, container]}, volumes {driver[, …extra (stolen)]}, images {labels…, name}. */
void engine_network_event(Engine *e, const char *id, const char *name, const char *driver, const char *action,
                          const char *container_id);
void engine_volume_event(Engine *e, const char *name, const char *action, json_t *extra);
void engine_image_event(Engine *e, const char *id, const char *name, const char *action);
/* With attrs (stolen) instead of the image's labels (an image about to be deleted). */
void engine_image_event_attrs(Engine *e, const char *id, const char *name, const char *action, json_t *attrs);
/* image_store_remove() with dockerd's untag and delete events (the image's labels read first). */
int engine_image_remove_logged(Engine *e, const ImageInfo *info, const char *name, bool force, ImageRemoveFn fn,
                               void *ud, LadeError **err);
/* The events table created when missing (engine_db does it once per Engine). */
int engine_events_migrate(sqlite3 *db, LadeError **err);
/* The newest sequence number (0 when there is none). */
int engine_events_last_seq(Engine *e, int64_t *ret, LadeError **err);
/* Up to max events with seq > after, oldest first. */
int engine_events_read(Engine *e, int64_t after, size_t max, EngineEvent **ret, size_t *ret_n,
                       LadeError **err);
void engine_event_list_free(EngineEvent *l, size_t n);

/* A wake-up channel for readers of the events table. Make the watch before reading the cursor or
 * the state waited for: a tick between the read and the wait is then queued, never lost. */
typedef struct EngineEventsWatch EngineEventsWatch;
/* Never fails: without inotify (or the tick file) the watch only times out, and waiters then
 * poll at ENGINE_EVENTS_POLL_MS. */
EngineEventsWatch *engine_events_watch_new(Engine *e);
EngineEventsWatch *engine_events_watch_free(EngineEventsWatch *w);
/* The fd to poll for POLLIN (an inotify fd, O_CLOEXEC), or -1 when the watch is degraded. */
int engine_events_watch_fd(const EngineEventsWatch *w);
/* Consumes the queued ticks; true when there was at least one. */
bool engine_events_watch_drain(EngineEventsWatch *w);
/* Waits for a tick (1; queued ones count), timeout_ms (0; capped at ENGINE_EVENTS_POLL_MS for a
 * degraded watch), or a hang-up of cancel_fd when >= 0 (-ECANCELED). */
int engine_events_watch_wait(EngineEventsWatch *w, int cancel_fd, int timeout_ms);
#define ENGINE_EVENTS_POLL_MS 100
/* The safety timeout of waiters that have a watch: a tick lost anyway (the file removed and
 * made again) costs at most this. */
#define ENGINE_EVENTS_WATCH_TIMEOUT_MS 1000
/* Docker's event message: {"status","id","from","Type","Action","Actor":{…},"scope","time",
 * "timeNano"}. */
json_t *engine_event_json(const EngineEvent *ev);
/* dockerd's events filters (engine-events-filter.c): the keys it knows, and whether an event
 * passes f (type, event, image, container, network, volume, label; NULL passes everything). */
struct EngineFilters;
extern const char *const engine_event_filter_keys[];
bool engine_event_matches(const struct EngineFilters *f, const EngineEvent *ev);
DEFINE_TRIVIAL_CLEANUP_FUNC(EngineEventsWatch *, engine_events_watch_free)

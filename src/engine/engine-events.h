/* The engine's events (`docker events`): rows of an `events` table in lade.db that every lade
 * process appends to as it acts (container create/start/die/destroy/stop/kill/pause/…, network
 * create/connect/…), read by the API server's /events and by waits that must not miss an exit
 * (the exit code of a container removed by --rm lives on in its "die" event). The table keeps
 * the newest ENGINE_EVENTS_KEEP rows. Emitting is best effort: an action never fails because its
 * event could not be recorded. */
#pragma once

#include <stdint.h>

#include <jansson.h>

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
/* The newest sequence number (0 when there is none). */
int engine_events_last_seq(Engine *e, int64_t *ret, LadeError **err);
/* Up to max events with seq > after, oldest first. */
int engine_events_read(Engine *e, int64_t after, size_t max, EngineEvent **ret, size_t *ret_n,
                       LadeError **err);
void engine_event_list_free(EngineEvent *l, size_t n);
/* Docker's event message: {"status","id","from","Type","Action","Actor":{…},"scope","time",
 * "timeNano"}. */
json_t *engine_event_json(const EngineEvent *ev);

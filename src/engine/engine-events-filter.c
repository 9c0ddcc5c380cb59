/* Which events a `docker events` filter lets through (engine-events.h), for the API's /events
 * and `lade events` alike: dockerd's events filter semantics. */
#include <string.h>

#include "engine-events.h"
#include "engine-filters.h"
#include "util.h"

const char *const engine_event_filter_keys[] = { "config", "container", "daemon", "event", "image", "label",
                                                 "network", "node", "plugin", "scope", "secret", "service",
                                                 "type", "volume", NULL };

/* One of key's values is a or b; true without the filter. */
static bool any_value(const EngineFilters *f, const char *key, const char *a, const char *b)
{
        _cleanup_strv_free_ char **values = engine_filters_get(f, key);
        if (!values)
                return true;
        for (char **v = values; *v; v++)
                if ((a && streq(*v, a)) || (b && streq(*v, b)))
                        return true;
        return false;
}

/* An actor filter (container, network): one of its values is the actor's id prefix or name. */
static bool actor_matches(const EngineFilters *f, const char *key, const EngineEvent *ev, const char *name)
{
        _cleanup_strv_free_ char **values = engine_filters_get(f, key);
        if (!values)
                return true;
        if (!streq(ev->type, key))
                return false;
        for (char **v = values; *v; v++)
                if (startswith(ev->actor_id, *v) || streq_ptr(name, *v))
                        return true;
        return false;
}

/* event=: exact, except that exec_create, exec_start and health_status also match the actions
 * that carry the command after a colon (dockerd's fuzzy match, #25798) */
static bool event_action_matches(const EngineFilters *f, const char *action)
{
        _cleanup_strv_free_ char **values = engine_filters_get(f, "event");
        if (!values)
                return true;
        for (char **v = values; *v; v++) {
                bool fuzzy = streq(*v, "exec_create") || streq(*v, "exec_start") || streq(*v, "health_status");
                if (streq(action, *v) || (fuzzy && startswith(action, *v)))
                        return true;
        }
        return false;
}

/* dockerd's matchImage: the actor's id or its image name ("name" of an image event, "image" of
 * the others), each also without its tag. */
static bool image_matches(const EngineFilters *f, const EngineEvent *ev)
{
        if (!engine_filters_has(f, "image"))
                return true;
        const char *name = json_string_value(json_object_get(ev->attributes, streq(ev->type, "image") ? "name" : "image"));
        const char *cands[] = { ev->actor_id, name };
        for (size_t i = 0; i < ELEMENTSOF(cands); i++) {
                if (!cands[i])
                        continue;
                _cleanup_free_ char *bare = xstrdup(cands[i]);
                char *slash = strrchr(bare, '/'), *colon = strrchr(bare, ':');
                if (colon && (!slash || colon > slash) && !startswith(bare, "sha256:"))
                        *colon = 0;
                if (any_value(f, "image", cands[i], bare))
                        return true;
        }
        return false;
}

bool engine_event_matches(const EngineFilters *f, const EngineEvent *ev)
{
        if (!f)
                return true;
        json_t *a = ev->attributes;
        const char *name = json_string_value(json_object_get(a, "name"));
        if (!any_value(f, "type", ev->type, NULL) || !event_action_matches(f, ev->action) || !image_matches(f, ev) ||
            !actor_matches(f, "container", ev, name) || !actor_matches(f, "network", ev, name) ||
            !actor_matches(f, "volume", ev, name))
                return false;
        _cleanup_strv_free_ char **labels = engine_filters_get(f, "label");
        return engine_labels_match(a, labels, false);
}

/* Docker's list filters (`--filter key=value` on the CLI, `filters={"key":{"value":true}}` in
 * the API) and the image operations that take them: listing and pruning. Shared by both front
 * ends so `lade images` and `GET /images/json` select exactly the same images. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"

#define ENGINE_FILTERS_MAX_BYTES (64u * 1024)   /* a filters JSON document */
#define ENGINE_FILTERS_MAX_VALUES 256           /* values over all keys */

typedef struct EngineFilters EngineFilters;

EngineFilters *engine_filters_new(void);
EngineFilters *engine_filters_free(EngineFilters *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(EngineFilters *, engine_filters_free)

/* Parses the API's filters parameter: {"key":{"value":true}} or the old {"key":["value"]}.
 * NULL or "" gives an empty set. Errors are -EINVAL naming what was wrong. */
int engine_filters_parse(const char *json, size_t len, EngineFilters **ret, LadeError **err);
/* Adds "key=value" as the CLI's --filter gives it (no '=' means an empty value). */
int engine_filters_add_arg(EngineFilters *f, const char *arg, LadeError **err);
int engine_filters_add(EngineFilters *f, const char *key, const char *value, LadeError **err);
/* Refuses keys not in the NULL-terminated list: "invalid filter 'key'" (Docker's words). */
int engine_filters_validate(const EngineFilters *f, const char *const *known, LadeError **err);
/* A copy of the values of key (NULL-terminated, the caller frees it), or NULL when absent. */
char **engine_filters_get(const EngineFilters *f, const char *key);
bool engine_filters_has(const EngineFilters *f, const char *key);
/* dangling=true/false (also 1/0): -EINVAL "invalid filter 'key=value'" for anything else. */
int engine_filters_get_bool(const EngineFilters *f, const char *key, bool dflt, bool *ret,
                            LadeError **err);

/* Docker's label filter over an object's labels: each of filters ("KEY" or "KEY=VALUE") must
 * match (negate, for label!=: none may). No filters match everything. */
bool engine_labels_match(json_t *labels, char **filters, bool negate);

/* Docker's timestamps for since/until filters and events: unix seconds ("1700000000" or
 * "1700000000.5"), a Go duration back from now ("10m", "1h30m", "24h"), or RFC 3339 / a date
 * ("2024-01-02T15:04:05Z", "2024-01-02"). */
int engine_parse_timestamp(const char *s, int64_t now, int64_t *ret, LadeError **err);

/* Images matching Docker's image filters (dangling, reference, label, before, since, until),
 * newest first. Unknown filters are refused. */
int engine_image_list(Engine *e, const EngineFilters *f, ImageInfo ***ret, size_t *ret_n,
                      LadeError **err);

/* Docker's image prune: dangling images (or, with dangling=false, every image no container
 * uses) matching until/label filters are removed, each removal reported through fn; then
 * unused blobs and layers go. *ret_reclaimed is the bytes freed. */
int engine_image_prune(Engine *e, const EngineFilters *f, ImageRemoveFn fn, void *userdata,
                       uint64_t *ret_reclaimed, LadeError **err);

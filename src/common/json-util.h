/* jansson helpers: typed field access that names the field in its error ("process.user.uid"). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

static inline json_t *json_decref_null(json_t *j)
{
        json_decref(j);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(json_t *, json_decref_null)
#define _cleanup_json_ _cleanup_(json_decref_nullp)

/* Parses text of at most max bytes; names `what` in the error with line/column. */
int json_parse_text(const char *text, size_t len, const char *what, json_t **ret, LadeError **err);
int json_load_path(const char *path, size_t max, json_t **ret, LadeError **err);
/* A uint64 above INT64_MAX from parsed text (jansson cannot hold it as an integer). */
bool json_get_big_uint(const json_t *v, uint64_t *ret);
/* "an object", "a string", ... for "expected X, got Y" messages (big uints count as integers). */
const char *json_type_name(const json_t *j);
/* obj[key], with JSON null treated as absent (Docker and runc write nulls). */
json_t *json_member(json_t *obj, const char *key);
/* The strings of array a (other members skipped) as a NULL-terminated vector: never NULL, empty
 * when a is no array. */
char **json_strv(const json_t *a);
/* Serialises compactly; caller frees. */
char *json_dump_compact(const json_t *j);

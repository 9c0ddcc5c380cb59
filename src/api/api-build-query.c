/* POST /build's JSON query parameters -> "KEY=VALUE" lists. Pure: no server state. */
#include <string.h>

#include <jansson.h>

#include "api-build-query.h"
#include "json-util.h"
#include "util.h"

int api_build_kv_parse(const char *text, const char *what, bool allow_null, char ***ret, LadeError **err)
{
        _cleanup_json_ json_t *j = NULL;
        _cleanup_strv_free_ char **v = NULL;
        const char *k;
        json_t *x;
        size_t len = text ? strlen(text) : 0;
        if (len == 0) {
                *ret = NULL;
                return 0;
        }
        if (len > API_BUILD_KV_BYTES)
                return lade_error_msg(err, E2BIG, "error reading %s: longer than %u bytes", what, API_BUILD_KV_BYTES);
        j = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
        if (!j)
                return lade_error_msg(err, EINVAL, "error reading %s: not valid JSON", what);
        if (!json_is_object(j))
                return lade_error_msg(err, EINVAL, "error reading %s: expected a JSON object, got %s", what,
                                      json_type_name(j));
        if (json_object_size(j) > API_BUILD_KV_MAX)
                return lade_error_msg(err, E2BIG, "error reading %s: more than %u entries", what, API_BUILD_KV_MAX);
        json_object_foreach(j, k, x) {
                if (!*k || strchr(k, '='))
                        return lade_error_msg(err, EINVAL, "error reading %s: invalid key \"%s\"", what, k);
                if (json_is_null(x) && allow_null)
                        continue;
                if (!json_is_string(x))
                        return lade_error_msg(err, EINVAL, "error reading %s: value of \"%s\": expected a string, "
                                              "got %s", what, k, json_type_name(x));
                char *kv = xasprintf("%s=%s", k, json_string_value(x));
                v = strv_append(v, kv);
                free(kv);
        }
        *ret = TAKE_PTR(v);
        return 0;
}

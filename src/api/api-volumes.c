/* Volume routes: list, create, inspect, remove, prune — Docker's shapes over engine_volume_*().
 * The engine validates names, drivers and options and writes Docker's error messages; this file
 * only checks the types of the body and maps the answers. */
#include <string.h>

#include "api-internal.h"
#include "engine-filters.h"
#include "json-util.h"
#include "util.h"
#include "volumes.h"

static int query_filters(ApiRequest *req, EngineFilters **ret, LadeError **err)
{
        const char *fs = api_query(req, "filters");
        return engine_filters_parse(fs, fs ? strlen(fs) : 0, ret, err);
}

int api_volumes_list(ApiRequest *req, LadeError **err)
{
        _cleanup_(engine_filters_freep) EngineFilters *f = NULL;
        _cleanup_(engine_freep) Engine *e = NULL;
        json_t *l = NULL;
        int r = query_filters(req, &f, err);
        if (r == 0)
                r = api_engine(req, &e, err);
        if (r == 0)
                r = engine_volume_list(e, f, &l, err);
        if (r < 0)
                return r;
        return api_respond_json(req, 200, json_pack("{s:o,s:[]}", "Volumes", l, "Warnings"));
}

/* A member that must be a string (or absent / null). */
static int body_string(json_t *body, const char *key, const char **ret, LadeError **err)
{
        json_t *v = json_member(body, key);
        if (v && !json_is_null(v) && !json_is_string(v))
                return lade_error_msg(err, EINVAL, "volume create: %s: expected a string, got %s", key,
                                      json_type_name(v));
        *ret = json_string_value(v);
        return 0;
}

/* A member that must be an object of strings (or absent / null: NULL). */
static int body_string_map(json_t *body, const char *key, json_t **ret, LadeError **err)
{
        json_t *v = json_member(body, key);
        const char *k;
        json_t *x;
        *ret = NULL;
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_object(v))
                return lade_error_msg(err, EINVAL, "volume create: %s: expected an object, got %s", key,
                                      json_type_name(v));
        json_object_foreach(v, k, x)
                if (!json_is_string(x))
                        return lade_error_msg(err, EINVAL, "volume create: %s.%s: expected a string, got %s", key, k,
                                              json_type_name(x));
        *ret = v;
        return 0;
}

int api_volumes_create(ApiRequest *req, LadeError **err)
{
        _cleanup_(engine_freep) Engine *e = NULL;
        json_t *body, *opts = NULL, *labels = NULL, *v = NULL;
        const char *name = NULL, *driver = NULL;
        int r = api_body_json(req, &body, err);
        if (r == 0)
                r = body_string(body, "Name", &name, err);
        if (r == 0)
                r = body_string(body, "Driver", &driver, err);
        if (r == 0)
                r = body_string_map(body, "DriverOpts", &opts, err);
        if (r == 0)
                r = body_string_map(body, "Labels", &labels, err);
        if (r == 0)
                r = api_engine(req, &e, err);
        if (r == 0)
                r = engine_volume_create(e, name, driver, opts, labels, &v, err);
        if (r < 0)
                return r;
        return api_respond_json(req, 201, v);
}

int api_volume_inspect(ApiRequest *req, LadeError **err)
{
        _cleanup_(engine_freep) Engine *e = NULL;
        json_t *v = NULL;
        int r = api_engine(req, &e, err);
        if (r == 0)
                r = engine_volume_inspect(e, req->name, &v, err);
        return r < 0 ? r : api_respond_json(req, 200, v);
}

int api_volume_delete(ApiRequest *req, LadeError **err)
{
        _cleanup_(engine_freep) Engine *e = NULL;
        int r = api_engine(req, &e, err);
        if (r == 0)
                r = engine_volume_remove(e, req->name, api_query_bool(req, "force"), err);
        return r < 0 ? r : api_respond_empty(req, 204);
}

int api_volumes_prune(ApiRequest *req, LadeError **err)
{
        _cleanup_(engine_filters_freep) EngineFilters *f = NULL;
        _cleanup_(engine_freep) Engine *e = NULL;
        json_t *names = NULL;
        uint64_t freed = 0;
        int r = query_filters(req, &f, err);
        if (r == 0)
                r = api_engine(req, &e, err);
        if (r == 0)
                r = engine_volume_prune(e, f, &names, &freed, err);
        if (r < 0)
                return r;
        return api_respond_json(req, 200, json_pack("{s:o,s:I}", "VolumesDeleted", names ? names : json_array(),
                                                    "SpaceReclaimed", (json_int_t) freed));
}

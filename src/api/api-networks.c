/* The network endpoints: list (filters name, id, driver, label, type), inspect, create (bridge;
 * IPAM subnet/gateway, Internal, Labels), remove, prune, connect and disconnect of a running
 * container (the engine attaches it by its init's pid). */
#include <stdio.h>
#include <string.h>

#include "api-internal.h"
#include "containers.h"
#include "engine-filters.h"
#include "json-util.h"
#include "network.h"
#include "util.h"

typedef bool (*NetPred)(const char *value, json_t *n);

static const char *field(json_t *n, const char *key)
{
        const char *v = json_string_value(json_object_get(n, key));
        return v ? v : "";
}

static bool p_name(const char *v, json_t *n) { return strstr(field(n, "Name"), v) != NULL; }
static bool p_id(const char *v, json_t *n) { return startswith(field(n, "Id"), v); }
static bool p_driver(const char *v, json_t *n) { return streq(field(n, "Driver"), v); }

static bool p_type(const char *v, json_t *n)
{
        const char *name = field(n, "Name");
        bool builtin = streq(name, "bridge") || streq(name, "host") || streq(name, "none");
        return streq(v, builtin ? "builtin" : "custom");
}

static bool p_label(const char *v, json_t *n)
{
        const char *eq = strchr(v, '=');
        _cleanup_free_ char *k = eq ? xstrndup(v, (size_t) (eq - v)) : xstrdup(v);
        json_t *lv = json_object_get(json_object_get(n, "Labels"), k);
        return lv && (!eq || streq_ptr(json_string_value(lv), eq + 1));
}

/* One of key's values matches (all of them, for labels); true without the filter. */
static bool net_filter(const EngineFilters *f, const char *key, NetPred pred, bool all, json_t *n)
{
        _cleanup_strv_free_ char **values = engine_filters_get(f, key);
        if (!values)
                return true;
        for (char **v = values; *v; v++)
                if (pred(*v, n) != all)
                        return !all;
        return all;
}

static bool network_matches(const EngineFilters *f, json_t *n)
{
        return net_filter(f, "name", p_name, false, n) && net_filter(f, "id", p_id, false, n) &&
               net_filter(f, "driver", p_driver, false, n) && net_filter(f, "type", p_type, false, n) &&
               net_filter(f, "label", p_label, true, n);
}

int api_networks_list(ApiRequest *req, LadeError **err)
{
        static const char *const known[] = { "name", "id", "driver", "label", "type", "scope", NULL };
        const char *fs = api_query(req, "filters");
        _cleanup_(engine_filters_freep) EngineFilters *f = NULL;
        _cleanup_(engine_freep) Engine *e = NULL;
        json_t *all = NULL;
        int r = engine_filters_parse(fs, fs ? strlen(fs) : 0, &f, err);
        if (r == 0)
                r = engine_filters_validate(f, known, err);
        if (r == 0)
                r = api_engine(req, &e, err);
        if (r == 0)
                r = engine_network_list(e, &all, err);
        if (r < 0)
                return r;
        json_t *out = json_array();
        size_t i;
        json_t *n;
        json_array_foreach(all, i, n)
                if (network_matches(f, n))
                        json_array_append(out, n);
        json_decref(all);
        return api_respond_json(req, 200, out);
}

int api_network_inspect(ApiRequest *req, LadeError **err)
{
        _cleanup_(engine_freep) Engine *e = NULL;
        json_t *doc = NULL;
        int r = api_engine(req, &e, err);
        if (r == 0)
                r = engine_network_inspect_json(e, req->name, &doc, err);
        return r < 0 ? r : api_respond_json(req, 200, doc);
}

static int str_field(json_t *o, const char *key, const char **ret, LadeError **err)
{
        json_t *v = json_object_get(o, key);
        *ret = NULL;
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_string(v))
                return lade_error_msg(err, EINVAL, "%s: expected a string", key);
        *ret = json_string_value(v);
        return 0;
}

int api_networks_create(ApiRequest *req, LadeError **err)
{
        json_t *body;
        const char *name, *driver, *subnet = NULL, *gateway = NULL;
        int r = api_body_json(req, &body, err);
        if (r == 0)
                r = str_field(body, "Name", &name, err);
        if (r == 0)
                r = str_field(body, "Driver", &driver, err);
        if (r < 0)
                return r;
        if (!name || !*name)
                return lade_error_msg(err, EINVAL, "network name is required");
        json_t *cfg = json_array_get(json_object_get(json_object_get(body, "IPAM"), "Config"), 0);
        if (cfg && ((r = str_field(cfg, "Subnet", &subnet, err)) < 0 || (r = str_field(cfg, "Gateway", &gateway, err)) < 0))
                return r;
        json_t *labels = json_object_get(body, "Labels");
        if (labels && !json_is_null(labels) && !json_is_object(labels))
                return lade_error_msg(err, EINVAL, "Labels: expected an object");
        _cleanup_(engine_freep) Engine *e = NULL;
        _cleanup_free_ char *id = NULL;
        if ((r = api_engine(req, &e, err)) < 0 ||
            (r = engine_network_create(e, name, driver && *driver ? driver : NULL, subnet && *subnet ? subnet : NULL,
                                       gateway && *gateway ? gateway : NULL,
                                       json_is_true(json_object_get(body, "Internal")),
                                       json_is_object(labels) ? labels : NULL, &id, err)) < 0)
                return r;
        return api_respond_json(req, 201, json_pack("{s:s,s:s}", "Id", id, "Warning", ""));
}

int api_network_delete(ApiRequest *req, LadeError **err)
{
        _cleanup_(engine_freep) Engine *e = NULL;
        int r = api_engine(req, &e, err);
        if (r == 0)
                r = engine_network_remove(e, req->name, err);
        return r < 0 ? r : api_respond_empty(req, 204);
}

int api_networks_prune(ApiRequest *req, LadeError **err)
{
        _cleanup_(engine_freep) Engine *e = NULL;
        json_t *names = NULL;
        int r = api_engine(req, &e, err);
        if (r == 0)
                r = engine_network_prune(e, &names, err);
        if (r < 0)
                return r;
        return api_respond_json(req, 200, json_pack("{s:o}", "NetworksDeleted", names ? names : json_array()));
}

/* The running container of a connect/disconnect body: its id, name, hostname and init pid. */
static int body_container(ApiRequest *req, Engine *e, json_t **ret_body, json_t **ret_doc, LadeError **err)
{
        json_t *body;
        const char *ctr;
        int r = api_body_json(req, &body, err);
        if (r == 0)
                r = str_field(body, "Container", &ctr, err);
        if (r < 0)
                return r;
        if (!ctr || !*ctr)
                return lade_error_msg(err, EINVAL, "Container: required");
        if ((r = engine_container_inspect(e, ctr, ret_doc, err)) < 0)
                return r;
        *ret_body = body;
        return 0;
}

int api_network_connect(ApiRequest *req, LadeError **err)
{
        _cleanup_(engine_freep) Engine *e = NULL;
        _cleanup_json_ json_t *doc = NULL;
        json_t *body;
        int r = api_engine(req, &e, err);
        if (r == 0)
                r = body_container(req, e, &body, &doc, err);
        if (r == 0)
                r = engine_container_network_connect(e, json_string_value(json_object_get(doc, "Id")), req->name,
                                                     json_object_get(body, "EndpointConfig"), err);
        return r < 0 ? r : api_respond_empty(req, 200);
}

int api_network_disconnect(ApiRequest *req, LadeError **err)
{
        _cleanup_(engine_freep) Engine *e = NULL;
        _cleanup_json_ json_t *doc = NULL;
        json_t *body;
        int r = api_engine(req, &e, err);
        if (r == 0)
                r = body_container(req, e, &body, &doc, err);
        if (r == 0)
                r = engine_container_network_disconnect(e, json_string_value(json_object_get(doc, "Id")), req->name, err);
        return r < 0 ? r : api_respond_empty(req, 200);
}

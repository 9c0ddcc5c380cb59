/* Image routes answered at once: list, inspect, history, tag, delete, prune. */
#include <string.h>

#include "api-internal.h"
#include "engine-filters.h"
#include "containers.h"
#include "util.h"

static json_t *strv_json(char **v)
{
        json_t *a = json_array();
        for (; v && *v; v++)
                json_array_append_new(a, json_string(*v));
        return a;
}

json_t *api_image_summary_json(const ImageInfo *i, unsigned minor)
{
        json_t *labels = i->config && json_is_object(i->config->labels) ? json_deep_copy(i->config->labels)
                                                                        : json_object();
        json_t *j = json_pack("{s:s,s:s,s:o,s:o,s:I,s:I,s:I,s:o,s:I}", "Id", i->id, "ParentId", "",
                              "RepoTags", strv_json(i->repo_tags), "RepoDigests", strv_json(i->repo_digests),
                              "Created", (json_int_t) i->created, "Size", (json_int_t) i->size,
                              "SharedSize", (json_int_t) -1, "Labels", labels, "Containers", (json_int_t) -1);
        /* VirtualSize went away in API 1.44 */
        if (minor < 44)
                json_object_set_new(j, "VirtualSize", json_integer(i->size));
        return j;
}

static int open_engine(ApiRequest *req, Engine **ret, LadeError **err)
{
        return api_engine_open(req->server, NULL, NULL, NULL, ret, err);
}

static int query_filters(ApiRequest *req, EngineFilters **ret, LadeError **err)
{
        const char *fs = api_query(req, "filters");
        return engine_filters_parse(fs, fs ? strlen(fs) : 0, ret, err);
}

int api_images_list(ApiRequest *req, LadeError **err)
{
        _cleanup_(engine_freep) Engine *e = NULL;
        _cleanup_(engine_filters_freep) EngineFilters *f = NULL;
        int r = query_filters(req, &f, err);
        const char *old = api_query(req, "filter");
        if (r == 0 && old && *old)
                r = engine_filters_add(f, "reference", old, err);
        if (r == 0)
                r = open_engine(req, &e, err);
        ImageInfo **l = NULL;
        size_t n = 0;
        if (r == 0)
                r = engine_image_list(e, f, &l, &n, err);
        if (r < 0)
                return r;
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++)
                json_array_append_new(a, api_image_summary_json(l[i], req->api_minor));
        image_info_list_free(l, n);
        return api_respond_json(req, 200, a);
}

static int resolve(ApiRequest *req, Engine **ret_e, ImageInfo **ret, LadeError **err)
{
        int r = open_engine(req, ret_e, err);
        if (r == 0)
                r = image_store_resolve(engine_images(*ret_e), req->name, ret, err);
        return r;
}

int api_image_inspect(ApiRequest *req, LadeError **err)
{
        _cleanup_(engine_freep) Engine *e = NULL;
        _cleanup_(image_info_freep) ImageInfo *info = NULL;
        int r = resolve(req, &e, &info, err);
        if (r < 0)
                return r;
        json_t *j = engine_image_inspect_json(e, info);
        if (req->api_minor < 44)
                json_object_set_new(j, "VirtualSize", json_integer(info->size));
        return api_respond_json(req, 200, j);
}

int api_image_history(ApiRequest *req, LadeError **err)
{
        _cleanup_(engine_freep) Engine *e = NULL;
        _cleanup_(image_info_freep) ImageInfo *info = NULL;
        int r = resolve(req, &e, &info, err);
        return r < 0 ? r : api_respond_json(req, 200, engine_image_history_json(e, info));
}

int api_image_tag(ApiRequest *req, LadeError **err)
{
        const char *repo = api_query(req, "repo"), *tag = api_query(req, "tag");
        if (!repo || !*repo)
                return lade_error_msg(err, EINVAL, "repository name must have at least one component");
        _cleanup_free_ char *target = tag && *tag ? xasprintf("%s:%s", repo, tag) : xstrdup(repo);
        _cleanup_(engine_freep) Engine *e = NULL;
        int r = open_engine(req, &e, err);
        if (r == 0)
                r = engine_image_tag(e, req->name, target, err);
        return r < 0 ? r : api_respond_text(req, 201, NULL, "");
}

static void collect_removed(void *ud, const char *what, const char *name)
{
        json_array_append_new(ud, json_pack("{s:s}", what, name));
}

int api_image_delete(ApiRequest *req, LadeError **err)
{
        if (!*req->name)
                return lade_error_msg(err, EINVAL, "image name cannot be blank");
        _cleanup_(engine_freep) Engine *e = NULL;
        int r = open_engine(req, &e, err);
        if (r < 0)
                return r;
        /* noprune: the store keeps no parent chains of untagged images, nothing to keep */
        json_t *list = json_array();
        r = engine_image_remove(e, req->name, api_query_bool(req, "force"), collect_removed, list, err);
        if (r < 0) {
                json_decref(list);
                return r;
        }
        return api_respond_json(req, 200, list);
}

int api_images_prune(ApiRequest *req, LadeError **err)
{
        _cleanup_(engine_filters_freep) EngineFilters *f = NULL;
        _cleanup_(engine_freep) Engine *e = NULL;
        int r = query_filters(req, &f, err);
        if (r == 0)
                r = open_engine(req, &e, err);
        json_t *list = json_array();
        uint64_t freed = 0;
        if (r == 0)
                r = engine_image_prune(e, f, collect_removed, list, &freed, err);
        if (r < 0) {
                json_decref(list);
                return r;
        }
        json_t *deleted = json_array_size(list) ? list : (json_decref(list), json_null());
        return api_respond_json(req, 200, json_pack("{s:o,s:I}", "ImagesDeleted", deleted, "SpaceReclaimed",
                                                    (json_int_t) freed));
}

/* Image routes answered at once: list, inspect, history, tag, delete, prune. */
#include <string.h>

#include "api-internal.h"
#include "api-platform-query.h"
#include "engine-filters.h"
#include "containers.h"
#include "reference.h"
#include "util.h"

static json_t *strv_json(char **v)
{
        json_t *a = json_array();
        for (; v && *v; v++)
                json_array_append_new(a, json_string(*v));
        return a;
}

/* Containers is -1 below API 1.51, as dockerd answers GET /images/json (system df counts). */
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

static json_int_t image_users(const ImageInfo *i, ContainerInfo **cl, size_t cn)
{
        json_int_t n = 0;
        for (size_t k = 0; k < cn; k++)
                n += streq(cl[k]->image_id, i->id);
        return n;
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
        /* from API 1.51, Containers counts the containers of each image, in any state */
        ContainerInfo **cl = NULL;
        size_t cn = 0;
        if (req->api_minor >= 51 && (r = engine_container_list(e, true, &cl, &cn, err)) < 0) {
                image_info_list_free(l, n);
                return r;
        }
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++) {
                json_t *sum = api_image_summary_json(l[i], req->api_minor);
                if (req->api_minor >= 51)
                        json_object_set_new(sum, "Containers", json_integer(image_users(l[i], cl, cn)));
                json_array_append_new(a, sum);
        }
        container_info_list_free(cl, cn);
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

/* The name dockerd's platform error shows: a canonical reference in its familiar form, anything
 * else as given. */
static char *error_name(const char *name)
{
        _cleanup_(image_ref_freep) ImageRef *ref = NULL;
        if (image_ref_parse_no_default_tag(name, &ref, NULL) < 0)
                return xstrdup(name);
        _cleanup_free_ char *canonical = image_ref_string(ref);
        return streq(canonical, name) ? image_ref_familiar(ref) : xstrdup(name);
}

/* dockerd's GetImage with a platform (graphdriver store, one platform per image): an image
 * that cannot serve want is as good as missing. */
static int check_platform(ApiRequest *req, const ImageInfo *info, const Platform *want, LadeError **err)
{
        const ImageConfig *c = info->config;
        Platform have = { .os = c ? c->os : NULL, .architecture = c ? c->architecture : NULL,
                          .variant = c ? c->variant : NULL };
        if (api_platform_matches(want, &have))
                return 0;
        _cleanup_free_ char *name = error_name(req->name), *h = api_platform_format_all(&have),
                            *w = api_platform_format_all(want);
        return lade_error_msg(err, ENOENT, "image with reference %s was found but its platform (%s) does not "
                              "match the specified platform (%s)", name, h, w);
}

/* `platform` (API 1.49), exclusive with `manifests` (1.48); *ret_set false without one. */
static int inspect_platform(ApiRequest *req, Platform *ret, bool *ret_set, LadeError **err)
{
        const char *m = api_query(req, "manifests"), *p = api_query(req, "platform");
        bool manifests = req->api_minor >= 48 && m && *m && api_query_bool(req, "manifests");
        *ret_set = false;
        if (req->api_minor < 49 || !p || !*p)
                return 0;
        int r = api_platform_decode(p, ret, err);
        if (r < 0)
                return r;
        *ret_set = true;
        if (manifests)
                return lade_error_msg(err, EINVAL, "conflicting options: manifests and platform options cannot "
                                      "both be set");
        return 0;
}

/* Image Config keys dockerd shows, always empty, below API 1.50 (omitted from 1.50 on). */
static void config_legacy_fields(json_t *j)
{
        static const char *const strings[] = { "Hostname", "Domainname", "Image", NULL };
        static const char *const bools[] = { "AttachStdin", "AttachStdout", "AttachStderr", "Tty", "OpenStdin",
                                             "StdinOnce", NULL };
        json_t *c = json_object_get(j, "Config");
        for (size_t i = 0; strings[i]; i++)
                json_object_set_new(c, strings[i], json_string(""));
        for (size_t i = 0; bools[i]; i++)
                json_object_set_new(c, bools[i], json_false());
}

int api_image_inspect(ApiRequest *req, LadeError **err)
{
        _cleanup_(engine_freep) Engine *e = NULL;
        _cleanup_(image_info_freep) ImageInfo *info = NULL;
        _cleanup_(platform_done) Platform want = {};
        bool with_platform;
        int r = inspect_platform(req, &want, &with_platform, err);
        if (r == 0)
                r = resolve(req, &e, &info, err);
        if (r == 0 && with_platform)
                r = check_platform(req, info, &want, err);
        if (r < 0)
                return r;
        json_t *j = engine_image_inspect_json(e, info);
        if (req->api_minor < 44)
                json_object_set_new(j, "VirtualSize", json_integer(info->size));
        if (req->api_minor < 50)
                config_legacy_fields(j);
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

/* `platforms` (API 1.50): repeated JSON platforms; the store holds one platform per image, so
 * at most one is taken (dockerd's graphdriver store: "multiple platforms are not supported"). */
static int delete_platform(ApiRequest *req, Platform *ret, bool *ret_set, LadeError **err)
{
        _cleanup_strv_free_ char **v = req->api_minor >= 50 ? api_query_all(req, "platforms") : NULL;
        *ret_set = false;
        for (char **p = v; p && *p; p++) {
                Platform one = {};
                int r = api_platform_decode(*p, &one, err);
                if (r < 0)
                        return r;
                platform_done(ret);
                *ret = one;
        }
        if (strv_length(v) > 1)
                return lade_error_msg(err, EINVAL, "multiple platforms are not supported");
        *ret_set = strv_length(v) == 1;
        return 0;
}

int api_image_delete(ApiRequest *req, LadeError **err)
{
        if (!*req->name)
                return lade_error_msg(err, EINVAL, "image name cannot be blank");
        _cleanup_(engine_freep) Engine *e = NULL;
        _cleanup_(platform_done) Platform want = {};
        bool with_platform;
        int r = delete_platform(req, &want, &with_platform, err);
        if (r == 0)
                r = open_engine(req, &e, err);
        if (r == 0 && with_platform) {
                _cleanup_(image_info_freep) ImageInfo *info = NULL;
                r = image_store_resolve(engine_images(e), req->name, &info, err);
                if (r == 0)
                        r = check_platform(req, info, &want, err);
        }
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

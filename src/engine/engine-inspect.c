/* Docker's JSON shapes for images: inspect, history, and `system df` numbers. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "util.h"

static json_t *strv_json(char **v)
{
        json_t *a = json_array();
        for (; v && *v; v++)
                json_array_append_new(a, json_string(*v));
        return a;
}

/* Go's omitempty: false, 0, "", null and empty lists and maps are left out. */
static bool json_empty(const json_t *v)
{
        switch (json_typeof(v)) {
        case JSON_STRING: return json_string_length(v) == 0;
        case JSON_ARRAY: return json_array_size(v) == 0;
        case JSON_OBJECT: return json_object_size(v) == 0;
        case JSON_INTEGER: return json_integer_value(v) == 0;
        case JSON_REAL: return json_real_value(v) == 0;
        case JSON_TRUE: return false;
        default: return true;
        }
}

/* The image's Config as dockerd 28 shows it at API 1.50 and later (what the docker CLI 28
 * prints): the OCI image config's keys and Docker's extensions, each only when set (a
 * Healthcheck object even when empty), then the eight keys dockerd always shows. The container
 * keys old builders left in image configs (Hostname, Image, Tty, StopTimeout, MacAddress…) are
 * not shown; the API adds the empty ones dockerd still sends to older clients. */
static json_t *config_json(const ImageConfig *c)
{
        static const char *const keys[] = { "User", "ExposedPorts", "Env", "Entrypoint", "Cmd", "Volumes",
                                            "WorkingDir", "Labels", "StopSignal", "ArgsEscaped", "Healthcheck",
                                            "OnBuild", "Shell", NULL };
        static const char *const nulls[] = { "Cmd", "Entrypoint", "Env", "Labels", "OnBuild", "Volumes", NULL };
        json_t *src = c->raw ? json_object_get(c->raw, "config") : NULL;
        json_t *o = json_object();
        for (size_t i = 0; keys[i]; i++) {
                json_t *v = json_object_get(src, keys[i]);
                bool keep = v && (!json_empty(v) || (streq(keys[i], "Healthcheck") && json_is_object(v)));
                if (keep)
                        json_object_set(o, keys[i], v);
        }
        for (size_t i = 0; nulls[i]; i++)
                if (!json_object_get(o, nulls[i]))
                        json_object_set_new(o, nulls[i], json_null());
        if (!json_object_get(o, "User"))
                json_object_set_new(o, "User", json_string(""));
        if (!json_object_get(o, "WorkingDir"))
                json_object_set_new(o, "WorkingDir", json_string(""));
        return o;
}

json_t *engine_image_inspect_json(Engine *e, const ImageInfo *i)
{
        const ImageConfig *c = i->config;
        _cleanup_strv_free_ char **dirs = NULL;
        (void) image_store_layer_dirs(engine_images(e), i->id, &dirs, NULL);
        json_t *gd = json_object();
        if (dirs && dirs[0]) {
                size_t n = strv_length(dirs);
                json_object_set_new(gd, "UpperDir", json_string(dirs[n - 1]));
                _cleanup_free_ char *lower = xstrdup("");
                for (size_t k = n - 1; k-- > 0;) {
                        char *t = xasprintf("%s%s%s", lower, *lower ? ":" : "", dirs[k]);
                        free(lower);
                        lower = t;
                }
                if (*lower)
                        json_object_set_new(gd, "LowerDir", json_string(lower));
        }
        return json_pack("{s:s,s:o,s:o,s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:s,s:I,s:{s:o,s:s},s:{s:s,s:o},s:{s:s}}",
                         "Id", i->id, "RepoTags", strv_json(i->repo_tags), "RepoDigests",
                         strv_json(i->repo_digests), "Parent", "", "Comment", "", "Created",
                         c->created ? c->created : "", "DockerVersion", "", "Author", c->author ? c->author : "",
                         "Config", config_json(c), "Architecture", c->architecture ? c->architecture : "",
                         "Os", c->os ? c->os : "", "Size", (json_int_t) i->size,
                         "GraphDriver", "Data", gd, "Name", "overlay",
                         "RootFS", "Type", "layers", "Layers", strv_json(c->diff_ids),
                         "Metadata", "LastTagTime", "0001-01-01T00:00:00Z");
}

static int64_t parse_time(const char *s)
{
        struct tm tm = { 0 };
        if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
                return 0;
        return (int64_t) timegm(&tm);
}

json_t *engine_image_history_json(Engine *e, const ImageInfo *i)
{
        const ImageConfig *c = i->config;
        json_t *rows = json_array();
        size_t layer = 0, n_layers = strv_length(i->chain_ids);
        for (size_t h = 0; h < c->n_history; h++) {
                const ImageHistory *hi = &c->history[h];
                int64_t size = 0;
                if (!hi->empty_layer && layer < n_layers)
                        size = i->layer_sizes[layer++];
                json_t *row = json_pack("{s:s,s:I,s:s,s:o,s:I,s:s}", "Id", "<missing>", "Created",
                                        (json_int_t) parse_time(hi->created), "CreatedBy",
                                        hi->created_by ? hi->created_by : "", "Tags", json_null(),
                                        "Size", (json_int_t) size, "Comment", hi->comment ? hi->comment : "");
                json_array_insert_new(rows, 0, row);
        }
        json_t *top = json_array_get(rows, 0);
        if (!top) {
                top = json_pack("{s:s,s:I,s:s,s:o,s:I,s:s}", "Id", "", "Created", (json_int_t) i->created,
                                "CreatedBy", "", "Tags", json_null(), "Size", (json_int_t) i->size, "Comment", "");
                json_array_append_new(rows, top);
        }
        json_object_set_new(top, "Id", json_string(i->id));
        json_object_set_new(top, "Tags", strv_json(i->repo_tags));
        return rows;
}

int engine_disk_usage(Engine *e, EngineDiskUsage *ret, LadeError **err)
{
        ImageInfo **l = NULL;
        size_t n = 0;
        int r = image_store_list(engine_images(e), &l, &n, err);
        if (r < 0)
                return r;
        *ret = (EngineDiskUsage){ 0 };
        for (size_t k = 0; k < n; k++)
                if (!l[k]->intermediate) {
                        ret->images++;
                        ret->images_size += (uint64_t) l[k]->size;
                }
        image_info_list_free(l, n);
        return 0;
}

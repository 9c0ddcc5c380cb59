/* Image routes that stream: pull and import (POST /images/create), push, save (GET
 * /images/get), load. Each runs as an ApiJob (api-job.c); pull and push report Docker's JSON
 * progress lines as the registry client reports blobs.
 *
 * What stays true: registry credentials come only from the request's X-Registry-Auth, are
 * wiped when the job ends, and appear in no output, error or audit line. */
#include <string.h>

#include "api-internal.h"
#include "engine-filters.h"
#include "image-archive.h"
#include "json-util.h"
#include "log.h"
#include "util.h"

/* ---- progress lines ---- */

static char *human_size(int64_t n)
{
        static const char *const units[] = { "B", "kB", "MB", "GB", "TB" };
        double v = (double) n;
        size_t u = 0;
        while (v >= 1000 && u + 1 < ELEMENTSOF(units)) {
                v /= 1000;
                u++;
        }
        return xasprintf("%.4g%s", v, units[u]);
}

static json_t *progress_json(const char *status, const char *id, int64_t cur, int64_t total)
{
        json_t *detail = json_object();
        json_t *line = json_pack("{s:s,s:o,s:s}", "status", status, "progressDetail", detail, "id", id);
        if (cur < 0)
                return line;
        json_object_set_new(detail, "current", json_integer(cur));
        if (total > 0)
                json_object_set_new(detail, "total", json_integer(total));
        char bar[51];
        int fill = total > 0 ? (int) (50.0 * (double) cur / (double) total) : 0;
        for (int i = 0; i < 50; i++)
                bar[i] = i < fill ? '=' : i == fill ? '>' : ' ';
        bar[50] = '\0';
        _cleanup_free_ char *c = human_size(cur), *t = total > 0 ? human_size(total) : NULL;
        _cleanup_free_ char *p = t ? xasprintf("[%s] %8s/%s", bar, c, t) : xasprintf("%8s", c);
        json_object_set_new(line, "progress", json_string(p));
        return line;
}

static void short_id(const char *digest, char buf[static 16])
{
        snprintf(buf, 16, "%.12s", startswith(digest, "sha256:") ? digest + 7 : digest);
}

typedef struct Transfer {
        ApiServer *server;
        ApiJob *job;
        pthread_mutex_t lock;
        bool push;
        char *ref, *platform;
        char **names;           /* push: the tags; save: the names */
        char *path, *tag_or_digest, *repo;   /* for the status lines */
        bool announced;         /* "Pulling from …" went out */
        json_t *seen;           /* short id -> last status */
        ApiRegistryAuth auth;
        /* import */
        char **changes;
        char *message;
} Transfer;

static void transfer_free(void *p)
{
        Transfer *t = p;
        api_registry_auth_done(&t->auth);
        free(t->ref);
        free(t->platform);
        strv_free(t->names);
        free(t->path);
        free(t->tag_or_digest);
        free(t->repo);
        strv_free(t->changes);
        free(t->message);
        json_decref(t->seen);
        pthread_mutex_destroy(&t->lock);
        free(t);
}

static Transfer *transfer_new(ApiRequest *req)
{
        Transfer *t = xmalloc0(sizeof(*t));
        t->server = req->server;
        t->seen = json_object();
        pthread_mutex_init(&t->lock, NULL);
        return t;
}

/* Registry progress -> Docker's lines (under a lock: blobs come from several transfers). */
static void transfer_progress(void *ud, const char *digest, const char *action, int64_t cur, int64_t total,
                              bool done)
{
        Transfer *t = ud;
        if (!digest || !action)
                return;
        char id[16];
        short_id(digest, id);
        pthread_mutex_lock(&t->lock);
        if (!t->push && !t->announced) {
                t->announced = true;
                _cleanup_free_ char *s = xasprintf("Pulling from %s", t->path);
                (void) api_job_write_json(t->job, json_pack("{s:s,s:s}", "status", s, "id", t->tag_or_digest));
        }
        if (!json_object_get(t->seen, id))
                (void) api_job_write_json(t->job, progress_json(t->push ? "Preparing" : "Pulling fs layer", id, -1, -1));
        const char *status = streq(action, "Verified") ? "Verifying Checksum" : action;
        json_object_set_new(t->seen, id, json_string(status));
        (void) api_job_write_json(t->job, progress_json(status, id, done || streq(action, "Verified") ? -1 : cur,
                                                        total));
        pthread_mutex_unlock(&t->lock);
}

/* ---- pull ---- */

static int pull_worker(ApiJob *j, void *ud, LadeError **err)
{
        Transfer *t = ud;
        t->job = j;
        _cleanup_(engine_freep) Engine *e = NULL;
        _cleanup_(image_info_freep) ImageInfo *before = NULL, *after = NULL;
        char id[72];
        int r = api_engine_open(t->server, &t->auth.creds, transfer_progress, t, &e, err);
        if (r < 0)
                return r;
        (void) image_store_resolve(engine_images(e), t->ref, &before, NULL);
        if ((r = engine_image_pull(e, t->ref, t->platform, id, err)) < 0)
                return r;
        pthread_mutex_lock(&t->lock);
        if (!t->announced) {
                _cleanup_free_ char *s = xasprintf("Pulling from %s", t->path);
                (void) api_job_write_json(j, json_pack("{s:s,s:s}", "status", s, "id", t->tag_or_digest));
                t->announced = true;
        }
        const char *k;
        json_t *v;
        json_object_foreach(t->seen, k, v)
                if (streq(json_string_value(v), "Download complete"))
                        (void) api_job_write_json(j, progress_json("Pull complete", k, -1, -1));
        pthread_mutex_unlock(&t->lock);
        if (image_store_resolve(engine_images(e), t->ref, &after, NULL) == 0 && after->repo_digests) {
                const char *at = strchr(after->repo_digests[0], '@');
                if (at) {
                        _cleanup_free_ char *s = xasprintf("Digest: %s", at + 1);
                        (void) api_job_write_json(j, json_pack("{s:s}", "status", s));
                }
        }
        _cleanup_(image_ref_freep) ImageRef *ref = NULL;
        _cleanup_free_ char *familiar = image_ref_parse(t->ref, &ref, NULL) == 0 ? image_ref_familiar(ref) : xstrdup(t->ref);
        _cleanup_free_ char *status = before && streq(before->id, id)
                                              ? xasprintf("Status: Image is up to date for %s", familiar)
                                              : xasprintf("Status: Downloaded newer image for %s", familiar);
        (void) api_job_write_json(j, json_pack("{s:s}", "status", status));
        return 0;
}

static int pull_start(ApiRequest *req, const char *image, LadeError **err)
{
        const char *tag = api_query(req, "tag"), *platform = api_query(req, "platform");
        Transfer *t = transfer_new(req);
        if (tag && *tag)
                t->ref = startswith(tag, "sha256:") ? xasprintf("%s@%s", image, tag) : xasprintf("%s:%s", image, tag);
        else
                t->ref = xstrdup(image);
        t->platform = platform && *platform ? xstrdup(platform) : NULL;
        _cleanup_(image_ref_freep) ImageRef *ref = NULL;
        int r = image_ref_parse(t->ref, &ref, err);
        if (r == 0)
                r = api_registry_auth_decode(api_header(req, "X-Registry-Auth"), &t->auth) == -E2BIG
                            ? lade_error_msg(err, E2BIG, "X-Registry-Auth is longer than %u bytes", API_REGISTRY_AUTH_MAX)
                            : 0;
        if (r < 0) {
                transfer_free(t);
                return r;
        }
        t->path = xstrdup(ref->path);
        t->tag_or_digest = xstrdup(ref->tag ? ref->tag : ref->digest);
        _cleanup_(api_job_unrefp) ApiJob *j = NULL;
        if ((r = api_job_start(req->server, API_JOB_STREAM_JSON, false, pull_worker, t, transfer_free, &j, err)) < 0)
                return r;
        return api_job_respond(req, j, "application/json");
}

/* ---- import (fromSrc=-) ---- */

static int import_worker(ApiJob *j, void *ud, LadeError **err)
{
        Transfer *t = ud;
        _cleanup_(engine_freep) Engine *e = NULL;
        ImportOptions io = { .ref = t->ref, .changes = t->changes, .message = t->message, .platform = t->platform };
        char id[72];
        int r = api_engine_open(t->server, NULL, NULL, NULL, &e, err);
        if (r == 0)
                r = engine_image_import(e, api_job_input_fd(j), &io, id, err);
        if (r < 0)
                return r;
        return api_job_write_json(j, json_pack("{s:s}", "status", id));
}

int api_images_create_begin(ApiRequest *req, LadeError **err)
{
        const char *image = api_query(req, "fromImage"), *src = api_query(req, "fromSrc");
        if ((image && *image) || !src)
                return 0;
        if (!streq(src, "-"))
                return lade_error_msg(err, EINVAL, "import from a URL is not supported (fromSrc must be \"-\")");
        const char *repo = api_query(req, "repo"), *tag = api_query(req, "tag"), *msg = api_query(req, "message");
        const char *platform = api_query(req, "platform");
        Transfer *t = transfer_new(req);
        if (repo && *repo)
                t->ref = tag && *tag ? xasprintf("%s:%s", repo, tag) : xstrdup(repo);
        t->changes = api_query_all(req, "changes");
        t->message = msg ? xstrdup(msg) : NULL;
        t->platform = platform && *platform ? xstrdup(platform) : NULL;
        return api_job_start(req->server, API_JOB_BUFFER_JSON, true, import_worker, t, transfer_free, &req->job, err);
}

int api_images_create(ApiRequest *req, LadeError **err)
{
        const char *image = api_query(req, "fromImage");
        if (image && *image)
                return pull_start(req, image, err);
        if (!req->job)
                return lade_error_msg(err, EINVAL, "give fromImage (pull) or fromSrc=- (import)");
        return api_job_respond(req, req->job, "application/json");
}

/* ---- push ---- */

static int push_one(ApiJob *j, Engine *e, const char *name, LadeError **err)
{
        _cleanup_(image_info_freep) ImageInfo *info = NULL;
        _cleanup_(image_ref_freep) ImageRef *ref = NULL;
        int r = image_ref_parse(name, &ref, err);
        if (r == 0)
                r = image_store_resolve(engine_images(e), name, &info, err);
        if (r == 0)
                r = engine_image_push(e, name, err);
        if (r < 0)
                return r;
        int64_t size = blob_store_size(image_store_blobs(engine_images(e)), info->manifest_digest, NULL);
        const char *tag = ref->tag ? ref->tag : "";
        _cleanup_free_ char *s = xasprintf("%s: digest: %s size: %lld", tag, info->manifest_digest, (long long) size);
        (void) api_job_write_json(j, json_pack("{s:s}", "status", s));
        return api_job_write_json(j, json_pack("{s:{},s:{s:s,s:s,s:I}}", "progressDetail", "aux", "Tag", tag,
                                               "Digest", info->manifest_digest, "Size", (json_int_t) size));
}

static int push_worker(ApiJob *j, void *ud, LadeError **err)
{
        Transfer *t = ud;
        t->job = j;
        _cleanup_(engine_freep) Engine *e = NULL;
        int r = api_engine_open(t->server, &t->auth.creds, transfer_progress, t, &e, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *s = xasprintf("The push refers to repository [%s]", t->repo);
        (void) api_job_write_json(j, json_pack("{s:s}", "status", s));
        for (char **n = t->names; n && *n && r == 0; n++)
                r = push_one(j, e, *n, err);
        return r;
}

/* The tags to push: name:tag, or every tag of the repository when no tag is given. */
static int push_names(ApiRequest *req, Transfer *t, LadeError **err)
{
        const char *tag = api_query(req, "tag");
        _cleanup_(image_ref_freep) ImageRef *bare = NULL;
        int r = image_ref_parse_no_default_tag(req->name, &bare, err);
        if (r < 0)
                return r;
        t->repo = image_ref_repository(bare);
        if ((tag && *tag) || bare->tag || bare->digest) {
                char *n = tag && *tag ? xasprintf("%s:%s", req->name, tag) : xstrdup(req->name);
                t->names = strv_append(t->names, n);
                free(n);
                return 0;
        }
        _cleanup_(engine_freep) Engine *e = NULL;
        _cleanup_(engine_filters_freep) EngineFilters *f = engine_filters_new();
        ImageInfo **l = NULL;
        size_t cnt = 0;
        _cleanup_free_ char *familiar = image_ref_familiar(bare);
        if ((r = api_engine_open(req->server, NULL, NULL, NULL, &e, err)) < 0 ||
            (r = image_store_list(engine_images(e), &l, &cnt, err)) < 0)
                return r;
        for (size_t i = 0; i < cnt; i++)
                for (char **tg = l[i]->repo_tags; tg && *tg; tg++)
                        if (startswith(*tg, familiar) && (*tg)[strlen(familiar)] == ':')
                                t->names = strv_append(t->names, *tg);
        image_info_list_free(l, cnt);
        if (!t->names)
                return lade_error_msg(err, ENOENT, "An image does not exist locally with the tag: %s", familiar);
        return 0;
}

int api_image_push(ApiRequest *req, LadeError **err)
{
        Transfer *t = transfer_new(req);
        t->push = true;
        int r = push_names(req, t, err);
        if (r == 0 && api_registry_auth_decode(api_header(req, "X-Registry-Auth"), &t->auth) == -E2BIG)
                r = lade_error_msg(err, E2BIG, "X-Registry-Auth is longer than %u bytes", API_REGISTRY_AUTH_MAX);
        if (r < 0) {
                transfer_free(t);
                return r;
        }
        _cleanup_(api_job_unrefp) ApiJob *j = NULL;
        if ((r = api_job_start(req->server, API_JOB_STREAM_JSON, false, push_worker, t, transfer_free, &j, err)) < 0)
                return r;
        return api_job_respond(req, j, "application/json");
}

/* ---- save ---- */

static int save_worker(ApiJob *j, void *ud, LadeError **err)
{
        Transfer *t = ud;
        _cleanup_(engine_freep) Engine *e = NULL;
        int r = api_engine_open(t->server, NULL, NULL, NULL, &e, err);
        return r < 0 ? r : engine_image_save(e, t->names, api_job_output_fd(j), err);
}

int api_images_get(ApiRequest *req, LadeError **err)
{
        Transfer *t = transfer_new(req);
        t->names = req->name ? strv_append(NULL, req->name) : api_query_all(req, "names");
        if (!t->names) {
                transfer_free(t);
                return lade_error_msg(err, EINVAL, "no image names given (names=…)");
        }
        _cleanup_(api_job_unrefp) ApiJob *j = NULL;
        int r = api_job_start(req->server, API_JOB_STREAM_RAW, false, save_worker, t, transfer_free, &j, err);
        return r < 0 ? r : api_job_respond(req, j, "application/x-tar");
}

/* ---- load ---- */

static void loaded(void *ud, const char *ref, const char *id)
{
        _cleanup_free_ char *s = ref ? xasprintf("Loaded image: %s\n", ref) : xasprintf("Loaded image ID: %s\n", id);
        (void) api_job_write_json(ud, json_pack("{s:s}", "stream", s));
}

static int load_worker(ApiJob *j, void *ud, LadeError **err)
{
        Transfer *t = ud;
        _cleanup_(engine_freep) Engine *e = NULL;
        int r = api_engine_open(t->server, NULL, NULL, NULL, &e, err);
        return r < 0 ? r : engine_image_load(e, api_job_input_fd(j), loaded, j, err);
}

int api_images_load_begin(ApiRequest *req, LadeError **err)
{
        return api_job_start(req->server, API_JOB_BUFFER_JSON, true, load_worker, transfer_new(req), transfer_free,
                             &req->job, err);
}

int api_images_load(ApiRequest *req, LadeError **err)
{
        return api_job_respond(req, req->job, "application/json");
}

/* Concurrent blob uploads of a push: up to RegistryClient.parallel blobs at once on one libcurl
 * multi handle (Docker pushes 3 layers at a time), each blob a small state machine of requests:
 * HEAD (skip what the repository has) -> POST ?mount=&from= when a hint names another repository
 * of the same registry holding it -> POST (upload session) -> PATCH chunks of chunk_size for
 * bigger blobs -> PUT ?digest= with the rest.
 *
 * What stays true:
 * - Every blob is checked to be in the local store before the first request, so a push that
 *   cannot succeed sends nothing.
 * - Blobs are streamed from their store fd (pread), never read into memory.
 * - Upload URLs come from the registry's Location headers; credentials follow them only while
 *   they stay on the registry's origin. A 401 is answered once per request, when a fresh token
 *   (or a challenge not seen before) may change the answer.
 * - The first failure ends the run: every transfer still in flight is dropped and that one error
 *   (naming its blob) is returned; the caller then pushes no manifest. */
#include <inttypes.h>
#include <string.h>

#include "log.h"
#include "registry-internal.h"
#include "util.h"

#define PUSH_OCTET_STREAM "application/octet-stream"
#define PUSH_POLL_MS 1000

typedef enum PushStep {
        PUSH_STEP_WAITING,            /* not started */
        PUSH_STEP_HEAD,
        PUSH_STEP_MOUNT,
        PUSH_STEP_START,
        PUSH_STEP_CHUNK,
        PUSH_STEP_FINISH,
        PUSH_STEP_DONE,
        _PUSH_STEP_MAX,
        _PUSH_STEP_INVALID = -EINVAL,
} PushStep;

typedef struct PushRun PushRun;

typedef struct PushJob {
        PushRun *run;
        const char *digest;
        PushStep step;
        CURL *easy;                   /* the request in flight, or NULL */
        struct curl_slist *headers;
        const char *method;
        char *url;
        char *scope;                  /* the mount step's scope (push + pull of from) */
        const char *from;             /* a repository known to hold the blob, or NULL */
        char *location;               /* the upload session */
        char range[64];
        RegistryBody body;
        RegistryResponse resp;
        char errbuf[CURL_ERROR_SIZE];
        int fd;
        uint64_t size, off;
        bool reauthed;                /* this request was answered 401 once already */
} PushJob;

struct PushRun {
        RegistryClient *c;
        RegistryHost *h;
        const ImageRef *ref;
        BlobStore *store;
        const char *scope;
        CURLM *multi;
        PushJob *jobs;
        size_t n, running;
};

static void push_job_release(PushJob *j)
{
        if (j->easy) {
                (void) curl_multi_remove_handle(j->run->multi, j->easy);
                curl_easy_cleanup(j->easy);
                j->easy = NULL;
                j->run->running--;
        }
        curl_slist_free_all(j->headers);
        j->headers = NULL;
}

static void push_run_done(PushRun *run)
{
        for (size_t i = 0; i < run->n; i++) {
                PushJob *j = &run->jobs[i];
                push_job_release(j);
                registry_response_done(&j->resp);
                free(j->url);
                free(j->scope);
                free(j->location);
                safe_close(j->fd);
        }
        free(run->jobs);
        if (run->multi)
                (void) curl_multi_cleanup(run->multi);
}

/* Sends the request of j's step: url (taken), an optional body. */
static int push_send(PushJob *j, const char *method, char *url, RegistryBody *body,
                     const char *content_range, LadeError **err)
{
        PushRun *run = j->run;
        _cleanup_free_ char *auth = NULL;
        free(j->url);
        j->url = url;
        j->method = method;
        const char *scope = j->step == PUSH_STEP_MOUNT ? j->scope : run->scope;
        if (registry_url_same_origin(run->h, url)) {
                int r = registry_authorize(run->c, run->h, scope, &auth, err);
                if (r < 0)
                        return r;
        }
        RegistryRequest req = {
                .method = method, .url = url, .authorization = auth, .body = body,
                .content_type = body && body->fd >= 0 ? PUSH_OCTET_STREAM : NULL,
                .content_range = content_range, .follow = streq(method, "HEAD"),
        };
        if (body)
                body->pos = 0;
        registry_response_done(&j->resp);
        j->resp = (RegistryResponse) {};
        j->easy = curl_easy_init();
        if (!j->easy)
                return lade_error_msg(err, ENOMEM, "cannot create a libcurl handle");
        run->running++;
        int r = registry_http_setup(run->c, run->h, j->easy, &req, &j->resp, &j->headers,
                                    j->errbuf, err);
        if (auth)
                explicit_bzero(auth, strlen(auth));
        if (r < 0)
                return r;
        (void) curl_easy_setopt(j->easy, CURLOPT_PRIVATE, j);
        if (curl_multi_add_handle(run->multi, j->easy) != CURLM_OK)
                return lade_error_msg(err, EIO, "%s %s: cannot start the request", method, url);
        registry_stats_count(run->c, method);
        log_debug("registry: %s %s", method, url);
        return 0;
}

static int push_send_head(PushJob *j, LadeError **err)
{
        j->step = PUSH_STEP_HEAD;
        return push_send(j, "HEAD", registry_url(j->run->h, j->run->ref->path, "blobs", j->digest),
                         NULL, NULL, err);
}

/* POST .../blobs/uploads/, with ?mount=&from= in the mount step. */
static int push_send_start(PushJob *j, bool mount, LadeError **err)
{
        PushRun *run = j->run;
        char *url = registry_url(run->h, run->ref->path, "blobs", "uploads/");
        j->step = mount ? PUSH_STEP_MOUNT : PUSH_STEP_START;
        if (mount) {
                _cleanup_free_ char *with_mount = registry_url_add_query(url, "mount", j->digest);
                free(url);
                url = registry_url_add_query(with_mount, "from", j->from);
                free(j->scope);
                j->scope = xasprintf("%s repository:%s:pull", run->scope, j->from);
        }
        j->body = (RegistryBody) { .fd = -EBADF };
        return push_send(j, "POST", url, &j->body, NULL, err);
}

/* The next upload request from the session at j->location: a PATCH chunk while more than one
 * chunk is left, else the closing PUT with the rest. */
static int push_send_upload(PushJob *j, LadeError **err)
{
        uint64_t chunk = j->run->c->chunk_size, left = j->size - j->off;
        if (left > chunk) {
                j->step = PUSH_STEP_CHUNK;
                registry_progress(j->run->c, j->digest, "Pushing", (int64_t) j->off,
                                  (int64_t) j->size, false);
                snprintf(j->range, sizeof(j->range), "%" PRIu64 "-%" PRIu64, j->off,
                         j->off + chunk - 1);
                j->body = (RegistryBody) { .fd = j->fd, .offset = j->off, .len = chunk };
                return push_send(j, "PATCH", xstrdup(j->location), &j->body, j->range, err);
        }
        j->step = PUSH_STEP_FINISH;
        j->body = (RegistryBody) { .fd = j->fd, .offset = j->off, .len = left };
        return push_send(j, "PUT", registry_url_add_query(j->location, "digest", j->digest),
                         &j->body, NULL, err);
}

/* The upload session's URL from a 202's Location. */
static int push_take_location(PushJob *j, LadeError **err)
{
        const RegistryResponse *resp = &j->resp;
        if (!resp->location || !resp->location[0])
                return lade_error_msg(err, EPROTO, "registry answered %ld without a Location",
                                      resp->status);
        char *url = registry_url_resolve(j->run->h->base, resp->location);
        if (!url)
                return lade_error_msg(err, EPROTO, "registry sent an invalid upload Location");
        free(j->location);
        j->location = url;
        return 0;
}

static int push_expect_fail(const PushJob *j, const char *what, LadeError **err)
{
        int r = registry_http_error(&j->resp, err);
        if (what)
                (void) lade_error_wrap(err, "%s", what);
        return r;
}

static void push_job_done(PushJob *j, const char *action)
{
        j->step = PUSH_STEP_DONE;
        registry_progress(j->run->c, j->digest, action, -1, -1, true);
        registry_hint_add(j->run->c, j->run->ref->domain, j->run->ref->path, j->digest);
}

static int push_after_head(PushJob *j, LadeError **err)
{
        if (j->resp.status == 200) {
                push_job_done(j, "Layer already exists");
                return 0;
        }
        if (j->resp.status != 404)
                return push_expect_fail(j, NULL, err);
        return push_send_start(j, j->from != NULL, err);
}

static int push_after_mount(PushJob *j, LadeError **err)
{
        if (j->resp.status == 201) {
                push_job_done(j, "Mounted");
                return 0;
        }
        /* A 202 is the registry declining the mount and opening an upload session instead. */
        if (j->resp.status == 202 && push_take_location(j, NULL) >= 0)
                return push_send_upload(j, err);
        _cleanup_(lade_error_freep) LadeError *e = NULL;
        (void) registry_http_error(&j->resp, &e);
        log_debug("blob %s: mount from %s failed (%s), uploading", j->digest, j->from,
                  lade_error_message(e));
        return push_send_start(j, false, err);
}

/* A finished request of j: the next step, or an error. */
static int push_answered(PushJob *j, CURLcode cc, LadeError **err)
{
        PushRun *run = j->run;
        RegistryRequest req = { .method = j->method, .url = j->url };
        push_job_release(j);
        int r = registry_http_result(&req, cc, &j->resp, j->errbuf, err);
        if (r < 0)
                return r;
        const char *scope = j->step == PUSH_STEP_MOUNT ? j->scope : run->scope;
        if (j->resp.status == 401 && !j->reauthed &&
            registry_auth_invalidate(run->h, scope, &j->resp)) {
                j->reauthed = true;
                RegistryBody *body = streq(j->method, "HEAD") ? NULL : &j->body;
                return push_send(j, j->method, xstrdup(j->url), body,
                                 j->step == PUSH_STEP_CHUNK ? j->range : NULL, err);
        }
        j->reauthed = false;
        switch (j->step) {
        case PUSH_STEP_HEAD:
                return push_after_head(j, err);
        case PUSH_STEP_MOUNT:
                return push_after_mount(j, err);
        case PUSH_STEP_START:
                if (j->resp.status != 202)
                        return push_expect_fail(j, "start upload", err);
                r = push_take_location(j, err);
                return r < 0 ? r : push_send_upload(j, err);
        case PUSH_STEP_CHUNK:
                if (j->resp.status != 202)
                        return push_expect_fail(j, "upload chunk", err);
                r = push_take_location(j, err);
                if (r < 0)
                        return r;
                j->off += run->c->chunk_size;
                return push_send_upload(j, err);
        case PUSH_STEP_FINISH:
                if (j->resp.status != 201)
                        return push_expect_fail(j, "finish upload", err);
                push_job_done(j, "Pushed");
                return 0;
        default:
                return lade_error_msg(err, EINVAL, "answer in an unexpected state");
        }
}

static int push_collect(PushRun *run, LadeError **err)
{
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(run->multi, &left))) {
                PushJob *j = NULL;
                if (msg->msg != CURLMSG_DONE)
                        continue;
                (void) curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &j);
                int r = push_answered(j, msg->data.result, err);
                if (r < 0)
                        return lade_error_wrap(err, "blob %s", j->digest);
        }
        return 0;
}

/* Starts waiting blobs while slots are free; returns how many are not done. */
static int push_start_ready(PushRun *run, size_t *ret_pending, LadeError **err)
{
        size_t pending = 0;
        for (size_t i = 0; i < run->n; i++) {
                PushJob *j = &run->jobs[i];
                if (j->step != PUSH_STEP_DONE)
                        pending++;
                if (j->step != PUSH_STEP_WAITING || run->running >= (size_t) run->c->parallel)
                        continue;
                int r = push_send_head(j, err);
                if (r < 0)
                        return lade_error_wrap(err, "blob %s", j->digest);
        }
        *ret_pending = pending;
        return 0;
}

static int push_loop(PushRun *run, LadeError **err)
{
        for (;;) {
                size_t pending = 0;
                int still = 0, r = push_start_ready(run, &pending, err);
                if (r < 0)
                        return r;
                if (pending == 0)
                        return 0;
                if (curl_multi_perform(run->multi, &still) != CURLM_OK)
                        return lade_error_msg(err, EIO, "libcurl multi handle failed");
                r = push_collect(run, err);
                if (r < 0)
                        return r;
                if (run->running > 0 &&
                    curl_multi_poll(run->multi, NULL, 0, PUSH_POLL_MS, NULL) != CURLM_OK)
                        return lade_error_msg(err, EIO, "libcurl multi handle failed");
        }
}

static bool push_listed(const PushRun *run, const char *digest)
{
        for (size_t i = 0; i < run->n; i++)
                if (streq(run->jobs[i].digest, digest))
                        return true;
        return false;
}

/* One job per distinct digest, each with its store fd and size, before anything is sent. */
static int push_plan(PushRun *run, const char *const *digests, size_t n, LadeError **err)
{
        run->jobs = xmalloc0((n ? n : 1) * sizeof(*run->jobs));
        for (size_t i = 0; i < n; i++) {
                if (push_listed(run, digests[i]))
                        continue;
                PushJob *j = &run->jobs[run->n++];
                *j = (PushJob) { .run = run, .digest = digests[i], .fd = -EBADF };
                if (!blob_store_has(run->store, j->digest))
                        return lade_error_msg(err, ENOENT, "blob %s: not in the local store",
                                              j->digest);
                j->fd = blob_store_open_blob(run->store, j->digest, err);
                int64_t size = j->fd < 0 ? j->fd : blob_store_size(run->store, j->digest, err);
                if (size < 0)
                        return lade_error_wrap(err, "blob %s", j->digest);
                j->size = (uint64_t) size;
                j->from = registry_hint_find(run->c, run->ref->domain, run->ref->path, j->digest);
        }
        return 0;
}

int registry_push_blobs(RegistryClient *c, RegistryHost *h, const ImageRef *ref, BlobStore *store,
                        const char *scope, const char *const *digests, size_t n, LadeError **err)
{
        PushRun run = { .c = c, .h = h, .ref = ref, .store = store, .scope = scope };
        int r = push_plan(&run, digests, n, err);
        if (r >= 0) {
                run.multi = curl_multi_init();
                if (!run.multi)
                        r = lade_error_msg(err, ENOMEM, "cannot create a libcurl multi handle");
        }
        if (r >= 0)
                r = push_loop(&run, err);
        push_run_done(&run);
        return r;
}

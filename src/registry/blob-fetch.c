/* Blob downloads: several at once on a libcurl multi handle, each streamed into a blob writer
 * and hashed on the way, retried with exponential backoff on network errors and 5xx, resumed
 * with "Range: bytes=N-" when the registry honours it (206) and started over when it does not.
 *
 * What stays true:
 * - A writer is committed only after every blob of the batch arrived with its full size and
 *   its sha256 matched; then all are committed. A failure anywhere before that aborts every
 *   writer, so the store gains nothing from a failed download (only a local failure while
 *   committing, such as a full disk, can leave some of the verified blobs published).
 * - Each blob is hashed once, by its writer as it streams in: verification takes the writer's
 *   digest (blob_writer_digest) and compares it with the descriptor before anything is
 *   committed, and commit reuses that digest.
 * - A writer never takes more than its descriptor's size (the writer refuses it), so a server
 *   cannot fill the disk beyond what the manifest announced.
 * - Digest mismatches, 4xx answers and local write errors are final; only the network and 5xx
 *   (and 408/429) are worth another attempt. */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "digest.h"
#include "log.h"
#include "registry-internal.h"
#include "util.h"

#define FETCH_PROGRESS_STEP (1u << 20)
#define FETCH_POLL_MAX_MS 1000

typedef enum FetchState {
        FETCH_WAITING,
        FETCH_RUNNING,
        FETCH_DONE,
        _FETCH_STATE_MAX,
        _FETCH_STATE_INVALID = -EINVAL,
} FetchState;

typedef struct FetchRun FetchRun;

typedef struct FetchJob {
        FetchRun *run;
        const Descriptor *desc;
        FetchState state;
        CURL *easy;
        struct curl_slist *headers;
        char *url;
        RegistryResponse resp;
        char errbuf[CURL_ERROR_SIZE];
        BlobWriter *writer;
        uint64_t offset;              /* bytes written to the writer */
        uint64_t progress_at;
        bool body_started;
        bool reauthed;
        int failures;
        uint64_t not_before_ns;
        LadeError *write_err;         /* set by the sink; ends the job */
} FetchJob;

struct FetchRun {
        RegistryClient *c;
        RegistryHost *h;
        BlobStore *store;
        const RegistryPullHooks *hooks;
        char *scope;
        CURLM *multi;
        FetchJob *jobs;
        size_t n;
        size_t running;
};

static void fetch_job_release(FetchJob *j)
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

static void fetch_run_done(FetchRun *run)
{
        for (size_t i = 0; i < run->n; i++) {
                FetchJob *j = &run->jobs[i];
                fetch_job_release(j);
                registry_response_done(&j->resp);
                free(j->url);
                blob_writer_abort(j->writer);
                lade_error_free(j->write_err);
        }
        free(run->jobs);
        free(run->scope);
        if (run->multi)
                (void) curl_multi_cleanup(run->multi);
}

/* Starts the blob over: a fresh writer. */
static int fetch_job_reset(FetchJob *j, LadeError **err)
{
        j->writer = blob_writer_abort(j->writer);
        j->offset = j->progress_at = 0;
        return blob_writer_begin(j->run->store, j->desc->digest, j->desc->size, &j->writer, err);
}

/* "bytes 100-199/200" -> 100 */
static int64_t fetch_range_start(const char *content_range)
{
        int64_t start = -1;
        if (content_range && sscanf(content_range, "bytes %" SCNd64 "-", &start) != 1)
                return -1;
        return start;
}

/* The first body bytes of an attempt: we asked for bytes=offset-; a 206 from there continues,
 * a 200 means the registry ignored the range and sends everything again. */
static int fetch_body_start(FetchJob *j)
{
        if (j->offset == 0)
                return 0;
        if (j->resp.status == 206) {
                if (fetch_range_start(j->resp.content_range) == (int64_t) j->offset)
                        return 0;
                return lade_error_msg(&j->write_err, EPROTO, "blob %s: registry answered a "
                                      "range we did not ask for (%s)", j->desc->digest,
                                      j->resp.content_range ? j->resp.content_range
                                                            : "no Content-Range");
        }
        log_debug("blob %s: registry ignored the range, starting over", j->desc->digest);
        int r = fetch_job_reset(j, &j->write_err);
        if (r < 0)
                return lade_error_wrap(&j->write_err, "blob %s", j->desc->digest);
        return 0;
}

static void fetch_progress(FetchJob *j, const char *action, bool done)
{
        registry_progress(j->run->c, j->desc->digest, action, (int64_t) j->offset, j->desc->size,
                          done);
}

static size_t fetch_sink(void *userdata, const char *data, size_t len)
{
        FetchJob *j = userdata;
        if (!j->body_started) {
                j->body_started = true;
                if (fetch_body_start(j) < 0)
                        return 0;
        }
        if (blob_writer_write(j->writer, data, len, &j->write_err) < 0)
                return 0;
        j->offset += len;
        if (j->offset - j->progress_at >= FETCH_PROGRESS_STEP) {
                j->progress_at = j->offset;
                fetch_progress(j, "Downloading", false);
        }
        return len;
}

static int fetch_start(FetchRun *run, FetchJob *j, LadeError **err)
{
        _cleanup_free_ char *auth = NULL;
        int r = registry_authorize(run->c, run->h, run->scope, &auth, err);
        if (r < 0)
                return r;
        RegistryRequest req = {
                .method = "GET", .url = j->url, .authorization = auth,
                .range_from = (int64_t) j->offset, .follow = true,
        };
        registry_response_done(&j->resp);
        j->resp = (RegistryResponse) { .sink = fetch_sink, .sink_userdata = j };
        j->body_started = false;
        j->easy = curl_easy_init();
        if (!j->easy)
                return lade_error_msg(err, ENOMEM, "cannot create a libcurl handle");
        run->running++;
        r = registry_http_setup(run->c, run->h, j->easy, &req, &j->resp, &j->headers, j->errbuf,
                                err);
        if (auth)
                explicit_bzero(auth, strlen(auth));
        if (r < 0)
                return r;
        (void) curl_easy_setopt(j->easy, CURLOPT_PRIVATE, j);
        if (curl_multi_add_handle(run->multi, j->easy) != CURLM_OK)
                return lade_error_msg(err, EIO, "blob %s: cannot start the download",
                                      j->desc->digest);
        registry_stats_count(run->c, "GET");
        log_debug("registry: GET %s (from byte %" PRIu64 ")", j->url, j->offset);
        j->state = FETCH_RUNNING;
        return 0;
}

/* Hands a job's error to the caller (naming the blob unless it already does). */
static int fetch_fail_named(FetchJob *j, LadeError **e, bool named, LadeError **err)
{
        int r = -((*e)->status ? (*e)->status : EIO);
        if (err && !*err)
                *err = TAKE_PTR(*e);
        if (!named)
                (void) lade_error_wrap(err, "blob %s", j->desc->digest);
        return r;
}

static int fetch_fail(FetchJob *j, LadeError **e, LadeError **err)
{
        return fetch_fail_named(j, e, false, err);
}

static int fetch_retry(FetchJob *j, LadeError **e, LadeError **err)
{
        if (++j->failures > REGISTRY_RETRIES)
                return fetch_fail(j, e, err);
        uint64_t delay_ms = (uint64_t) j->run->c->retry_delay_ms << (j->failures - 1);
        log_debug("blob %s: %s, retry %d in %" PRIu64 " ms", j->desc->digest,
                  lade_error_message(*e), j->failures, delay_ms);
        *e = lade_error_free(*e);
        j->not_before_ns = now_ns() + delay_ms * 1000000u;
        j->state = FETCH_WAITING;
        return 0;
}

static bool fetch_transient(long status)
{
        return status >= 500 || status == 408 || status == 429;
}

/* Network trouble that another attempt may not meet; TLS verification, redirect loops and
 * local errors would fail the same way again. */
static bool fetch_curl_transient(CURLcode cc)
{
        switch (cc) {
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_CONNECT:
        case CURLE_PARTIAL_FILE:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
                return true;
        default:
                return false;
        }
}

/* A verified blob goes to the layer hook (to unpack while the others download); it reads the
 * writer's temp file, which stays put until commit renames it (same inode) or abort. */
static void fetch_hand_over(FetchJob *j)
{
        const RegistryPullHooks *hooks = j->run->hooks;
        if (!hooks || !hooks->layer)
                return;
        _cleanup_(lade_error_freep) LadeError *e = NULL;
        int fd = blob_writer_reopen(j->writer, &e);
        if (fd < 0) {
                log_debug("blob %s: %s, unpacking it after the commit", j->desc->digest,
                          lade_error_message(e));
                return;
        }
        hooks->layer(hooks->userdata, j->desc->digest, fd);
}

/* A complete body: full size and the right sha256, or the job fails. */
static int fetch_verify(FetchJob *j, LadeError **e, LadeError **err)
{
        char got[72];
        if (j->desc->size >= 0 && j->offset != (uint64_t) j->desc->size) {
                (void) lade_error_msg(e, EPIPE, "connection closed after %" PRIu64 " of %" PRId64
                                      " bytes", j->offset, j->desc->size);
                return fetch_retry(j, e, err);
        }
        blob_writer_digest(j->writer, got);
        if (!streq(got, j->desc->digest)) {
                (void) lade_error_msg(e, EBADMSG, "digest mismatch: got %s", got);
                return fetch_fail(j, e, err);
        }
        j->state = FETCH_DONE;
        fetch_progress(j, "Verified", false);
        fetch_hand_over(j);
        return 0;
}

static int fetch_finished(FetchJob *j, CURLcode cc, LadeError **err)
{
        _cleanup_(lade_error_freep) LadeError *e = NULL;
        RegistryRequest req = { .method = "GET", .url = j->url };
        long status = j->resp.status;
        fetch_job_release(j);
        /* The writer's errors name the blob already. */
        if (j->write_err)
                return fetch_fail_named(j, &j->write_err, true, err);
        if (registry_http_result(&req, cc, &j->resp, j->errbuf, &e) < 0)
                return fetch_curl_transient(cc) ? fetch_retry(j, &e, err) : fetch_fail(j, &e, err);
        if (status == 200 || status == 206)
                return fetch_verify(j, &e, err);
        if (status == 401 && !j->reauthed &&
            registry_auth_invalidate(j->run->h, j->run->scope, &j->resp)) {
                j->reauthed = true;
                j->state = FETCH_WAITING;
                return 0;
        }
        (void) registry_http_error(&j->resp, &e);
        if (status == 416) {
                int r = fetch_job_reset(j, err);
                return r < 0 ? r : fetch_retry(j, &e, err);
        }
        return fetch_transient(status) ? fetch_retry(j, &e, err) : fetch_fail(j, &e, err);
}

static int fetch_collect(FetchRun *run, LadeError **err)
{
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(run->multi, &left))) {
                FetchJob *j = NULL;
                if (msg->msg != CURLMSG_DONE)
                        continue;
                (void) curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &j);
                int r = fetch_finished(j, msg->data.result, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Starts what may start; returns how many jobs are not done yet. */
static int fetch_start_ready(FetchRun *run, size_t *ret_pending, LadeError **err)
{
        uint64_t now = now_ns();
        size_t pending = 0;
        for (size_t i = 0; i < run->n; i++) {
                FetchJob *j = &run->jobs[i];
                if (j->state != FETCH_DONE)
                        pending++;
                if (j->state != FETCH_WAITING || j->not_before_ns > now ||
                    run->running >= (size_t) run->c->parallel)
                        continue;
                int r = fetch_start(run, j, err);
                if (r < 0)
                        return lade_error_wrap(err, "blob %s", j->desc->digest);
        }
        *ret_pending = pending;
        return 0;
}

/* How long curl_multi_poll() may wait: until socket activity, or until the next retry is due
 * (never, when nothing runs and nothing waits: the loop is about to end). */
static int fetch_poll_timeout(const FetchRun *run)
{
        uint64_t now = now_ns(), next = UINT64_MAX;
        /* All slots busy: only a transfer's progress (socket activity) can change anything. */
        if (run->running >= (size_t) run->c->parallel)
                return FETCH_POLL_MAX_MS;
        for (size_t i = 0; i < run->n; i++)
                if (run->jobs[i].state == FETCH_WAITING && run->jobs[i].not_before_ns < next)
                        next = run->jobs[i].not_before_ns;
        if (next == UINT64_MAX)
                return run->running > 0 ? FETCH_POLL_MAX_MS : 0;
        if (next <= now)
                return 0;
        uint64_t ms = (next - now) / 1000000u + 1;
        return ms > FETCH_POLL_MAX_MS ? FETCH_POLL_MAX_MS : (int) ms;
}

static int fetch_loop(FetchRun *run, LadeError **err)
{
        for (;;) {
                size_t pending = 0;
                int still = 0, r = fetch_start_ready(run, &pending, err);
                if (r < 0)
                        return r;
                if (pending == 0)
                        return 0;
                if (curl_multi_perform(run->multi, &still) != CURLM_OK)
                        return lade_error_msg(err, EIO, "libcurl multi handle failed");
                r = fetch_collect(run, err);
                if (r < 0)
                        return r;
                if (curl_multi_poll(run->multi, NULL, 0, fetch_poll_timeout(run), NULL) != CURLM_OK)
                        return lade_error_msg(err, EIO, "libcurl multi handle failed");
        }
}

static bool fetch_listed(const FetchRun *run, const char *digest)
{
        for (size_t i = 0; i < run->n; i++)
                if (streq(run->jobs[i].desc->digest, digest))
                        return true;
        return false;
}

/* One job per blob the store lacks (each digest once). */
static int fetch_plan(FetchRun *run, const ImageRef *ref, const Descriptor *const *descs, size_t n,
                      LadeError **err)
{
        run->jobs = xmalloc0((n ? n : 1) * sizeof(*run->jobs));
        for (size_t i = 0; i < n; i++) {
                const Descriptor *d = descs[i];
                if (blob_store_has(run->store, d->digest)) {
                        registry_progress(run->c, d->digest, "Already exists", d->size, d->size,
                                          true);
                        continue;
                }
                if (fetch_listed(run, d->digest))
                        continue;
                FetchJob *j = &run->jobs[run->n++];
                j->run = run;
                j->desc = d;
                j->url = registry_url(run->h, ref->path, "blobs", d->digest);
                int r = fetch_job_reset(j, err);
                if (r < 0)
                        return lade_error_wrap(err, "blob %s", d->digest);
        }
        return 0;
}

static int fetch_commit(FetchRun *run, LadeError **err)
{
        for (size_t i = 0; i < run->n; i++) {
                FetchJob *j = &run->jobs[i];
                int r = blob_writer_commit(TAKE_PTR(j->writer), NULL, err);
                if (r < 0)
                        return lade_error_wrap(err, "blob %s", j->desc->digest);
                fetch_progress(j, "Download complete", true);
        }
        return 0;
}

int registry_fetch_blobs(RegistryClient *c, RegistryHost *h, const ImageRef *ref,
                         const Descriptor *const *descs, size_t n, BlobStore *store,
                         const RegistryPullHooks *hooks, LadeError **err)
{
        FetchRun run = {
                .c = c, .h = h, .store = store, .hooks = hooks,
                .scope = registry_scope(ref->path, false),
        };
        int r = fetch_plan(&run, ref, descs, n, err);
        if (r >= 0 && run.n > 0) {
                run.multi = curl_multi_init();
                r = run.multi ? fetch_loop(&run, err)
                              : lade_error_msg(err, ENOMEM, "cannot create a libcurl multi handle");
        }
        if (r >= 0)
                r = fetch_commit(&run, err);
        fetch_run_done(&run);
        return r;
}

static void fetch_sleep_ms(uint64_t ms)
{
        struct timespec ts = {
                .tv_sec = (time_t) (ms / 1000), .tv_nsec = (long) (ms % 1000) * 1000000L,
        };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* One GET of a small blob; *ret_retry says whether another attempt may help. */
static int fetch_small_once(RegistryClient *c, RegistryHost *h, const char *url, const char *scope,
                            size_t max, RegistryResponse *resp, bool *ret_retry, LadeError **err)
{
        RegistryRequest req = { .method = "GET", .url = url, .max_body = max, .follow = true };
        int r = registry_request(c, h, scope, &req, resp, err);
        *ret_retry = r < 0 && r != -EFBIG;
        if (r >= 0 && resp->status != 200) {
                *ret_retry = fetch_transient(resp->status);
                r = registry_http_error(resp, err);
        }
        return r;
}

static int fetch_small_check(const Descriptor *d, const RegistryResponse *resp, LadeError **err)
{
        if (d->size >= 0 && resp->body_len != (uint64_t) d->size)
                return lade_error_msg(err, EBADMSG, "size mismatch: expected %" PRId64 " bytes, "
                                      "got %zu", d->size, resp->body_len);
        _cleanup_free_ char *got = sha256_digest_of(resp->body ? resp->body : "", resp->body_len);
        if (!streq(got, d->digest))
                return lade_error_msg(err, EBADMSG, "digest mismatch: got %s", got);
        return 0;
}

int registry_fetch_blob_small(RegistryClient *c, RegistryHost *h, const ImageRef *ref,
                              const Descriptor *d, size_t max, char **ret, size_t *ret_len,
                              LadeError **err)
{
        _cleanup_free_ char *url = registry_url(h, ref->path, "blobs", d->digest);
        _cleanup_free_ char *scope = registry_scope(ref->path, false);
        RegistryResponse resp = {};
        int r = 0;
        for (int attempt = 0;; attempt++) {
                _cleanup_(lade_error_freep) LadeError *e = NULL;
                bool retry = false;
                r = fetch_small_once(c, h, url, scope, max, &resp, &retry, &e);
                if (r >= 0 || !retry || attempt >= REGISTRY_RETRIES) {
                        if (r < 0 && err && !*err)
                                *err = TAKE_PTR(e);
                        break;
                }
                log_debug("blob %s: %s, retrying", d->digest, lade_error_message(e));
                fetch_sleep_ms((uint64_t) c->retry_delay_ms << attempt);
        }
        if (r >= 0)
                r = fetch_small_check(d, &resp, err);
        if (r >= 0) {
                *ret = resp.body ? TAKE_PTR(resp.body) : xstrdup("");
                *ret_len = resp.body_len;
        }
        registry_response_done(&resp);
        if (r < 0)
                return lade_error_wrap(err, "blob %s", d->digest);
        return 0;
}

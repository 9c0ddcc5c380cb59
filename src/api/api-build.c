/* POST /build and POST /build/prune over the builder library (src/build/build.h).
 *
 * The request body (the context, a tar, possibly compressed) is fed to the build job as it
 * arrives; the builder reads it to its end before the first step, so the answer — Docker's
 * classic-builder JSON lines — starts only once the body is in. The builder's events are
 * BuildKit-shaped ("[2/3] RUN make"); they are rendered as the classic builder's stream:
 * "Step 2/3 : RUN make", " ---> Using cache", the output of RUN steps, warnings, then
 * {"aux":{"ID":…}}, "Successfully built …" and "Successfully tagged …" (with q: only the id).
 *
 * What stays true: nothing of the body is held in memory; the output of a quiet build is kept
 * (at most BUILD_QUIET_MAX bytes) only to be shown if the build fails, as dockerd does. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "api-build-query.h"
#include "api-internal.h"
#include "build.h"
#include "json-util.h"
#include "reference.h"
#include "util.h"

#define BUILD_LINE_MAX 4096
#define BUILD_QUIET_MAX (1u << 20)

typedef struct BuildJob {
        ApiServer *server;
        ApiJob *job;
        pthread_mutex_t lock;         /* callbacks may come from the builder's threads */
        BuildOptions o;
        char **tags, **args, **labels;
        char *dockerfile, *target, *platform;
        bool quiet, aux;
        json_t *held;                 /* quiet: the lines not sent */
        size_t held_bytes;
        char partial[2][BUILD_LINE_MAX];
        size_t partial_len[2];
} BuildJob;

static void build_job_free(void *p)
{
        BuildJob *b = p;
        strv_free(b->tags);
        strv_free(b->args);
        strv_free(b->labels);
        free(b->dockerfile);
        free(b->target);
        free(b->platform);
        json_decref(b->held);
        pthread_mutex_destroy(&b->lock);
        free(b);
}

/* A JSON string of text; bytes that are not UTF-8 become '?' (RUN output is anything). */
static json_t *stream_string(const char *text, size_t len)
{
        json_t *s = json_stringn(text, len);
        if (s)
                return s;
        _cleanup_free_ char *copy = xstrndup(text, len);
        for (char *c = copy; *c; c++)
                if ((unsigned char) *c >= 0x80)
                        *c = '?';
        return json_string(copy);
}

/* One {"stream": …} line, sent or (quiet) held; under b->lock. */
static void emit_stream(BuildJob *b, const char *text, size_t len)
{
        json_t *line = json_pack("{s:o}", "stream", stream_string(text, len));
        if (!line)
                return;
        if (!b->quiet) {
                (void) api_job_write_json(b->job, line);
                return;
        }
        if (b->held_bytes + len > BUILD_QUIET_MAX) {
                json_decref(line);
                return;
        }
        b->held_bytes += len;
        json_array_append_new(b->held, line);
}

static void emit_text(BuildJob *b, const char *fmt, ...) _printf_(2, 3);
static void emit_text(BuildJob *b, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *s = xvasprintf(fmt, ap);
        va_end(ap);
        emit_stream(b, s, strlen(s));
}

static void flush_partial(BuildJob *b)
{
        for (int s = 0; s < 2; s++)
                if (b->partial_len[s] > 0) {
                        b->partial[s][b->partial_len[s]++] = '\n';
                        emit_stream(b, b->partial[s], b->partial_len[s]);
                        b->partial_len[s] = 0;
                }
}

/* RUN output, sent a line at a time (so no UTF-8 sequence is split between two lines). */
static void on_output(unsigned vertex, int stream, uint64_t elapsed_ns, const char *data, size_t len, void *ud)
{
        BuildJob *b = ud;
        int s = stream == 2 ? 1 : 0;
        pthread_mutex_lock(&b->lock);
        for (size_t k = 0; k < len; k++) {
                b->partial[s][b->partial_len[s]++] = data[k];
                if (data[k] == '\n' || b->partial_len[s] == BUILD_LINE_MAX) {
                        emit_stream(b, b->partial[s], b->partial_len[s]);
                        b->partial_len[s] = 0;
                }
        }
        pthread_mutex_unlock(&b->lock);
}

/* "[2/3] RUN make" or "[stage 2/3] RUN make" -> "Step 2/3 : RUN make"; internal vertices
 * ("[internal] …", "exporting to image") have no classic counterpart. */
static void emit_step(BuildJob *b, const char *name)
{
        const char *close = name && name[0] == '[' ? strstr(name, "] ") : NULL;
        if (!close)
                return;
        _cleanup_free_ char *inside = xstrndup(name + 1, (size_t) (close - name - 1));
        const char *count = strrchr(inside, ' ') ? strrchr(inside, ' ') + 1 : inside;
        unsigned k, n;
        char tail;
        if (sscanf(count, "%u/%u%c", &k, &n, &tail) != 2)
                return;
        emit_text(b, "Step %u/%u : %s\n", k, n, close + 2);
}

static void on_event(const BuildEvent *ev, void *ud)
{
        BuildJob *b = ud;
        pthread_mutex_lock(&b->lock);
        switch (ev->kind) {
        case BUILD_EVENT_START:
                flush_partial(b);
                emit_step(b, ev->name);
                break;
        case BUILD_EVENT_CACHED:
                emit_text(b, " ---> Using cache\n");
                break;
        case BUILD_EVENT_DONE:
        case BUILD_EVENT_ERROR:
                flush_partial(b);
                break;
        case BUILD_EVENT_WARNING:
                if (ev->error)
                        emit_text(b, "%s\n", ev->error);
                break;
        default:
                break;
        }
        pthread_mutex_unlock(&b->lock);
}

static void emit_result(BuildJob *b, const char *id)
{
        if (b->aux)
                (void) api_job_write_json(b->job, json_pack("{s:{s:s}}", "aux", "ID", id));
        if (b->quiet) {
                _cleanup_free_ char *s = xasprintf("%s\n", id);
                (void) api_job_write_json(b->job, json_pack("{s:s}", "stream", s));
                return;
        }
        emit_text(b, "Successfully built %.12s\n", startswith(id, "sha256:") ? id + 7 : id);
        for (char **t = b->tags; t && *t; t++) {
                _cleanup_(image_ref_freep) ImageRef *ref = NULL;
                _cleanup_free_ char *f = image_ref_parse(*t, &ref, NULL) == 0 ? image_ref_familiar(ref) : xstrdup(*t);
                emit_text(b, "Successfully tagged %s\n", f);
        }
}

static int build_worker(ApiJob *j, void *ud, LadeError **err)
{
        BuildJob *b = ud;
        _cleanup_(engine_freep) Engine *e = NULL;
        char id[72];
        b->job = j;
        b->o.context_tar_fd = api_job_input_fd(j);
        int r = api_engine_open(b->server, NULL, NULL, NULL, &e, err);
        if (r == 0)
                r = build_run(e, &b->o, id, err);
        pthread_mutex_lock(&b->lock);
        flush_partial(b);
        if (r < 0) {
                /* quiet: what was held is shown with the error, as dockerd does */
                size_t k;
                json_t *line;
                json_array_foreach(b->held, k, line)
                        (void) api_job_write_json(j, json_incref(line));
        } else
                emit_result(b, id);
        pthread_mutex_unlock(&b->lock);
        return r;
}

/* Query parameters dockerd takes that lade's builder has no use for are ignored (rm, forcerm,
 * memory, cpu*, shmsize, cachefrom, …); those that would change the result are refused. */
static int build_refuse(ApiRequest *req, LadeError **err)
{
        const char *remote = api_query(req, "remote"), *version = api_query(req, "version");
        const char *net = api_query(req, "networkmode");
        if (remote && *remote)
                return lade_error_msg(err, EINVAL, "remote build contexts are not supported (send the context as the body)");
        if (version && *version && !streq(version, "1"))
                return lade_error_msg(err, EINVAL, "buildkit is not enabled on daemon (lade serves the classic "
                                                   "builder API: DOCKER_BUILDKIT=0)");
        if (net && *net && !streq(net, "default"))
                return lade_error_msg(err, EINVAL, "networkmode \"%s\" is not supported by lade's builder "
                                                   "(use RUN --network)", net);
        if (api_query_bool(req, "squash"))
                return lade_error_msg(err, EINVAL, "squash is only supported with experimental mode");
        return 0;
}

static int build_parse(ApiRequest *req, BuildJob *b, LadeError **err)
{
        const char *df = api_query(req, "dockerfile"), *target = api_query(req, "target");
        const char *platform = api_query(req, "platform");
        int r = build_refuse(req, err);
        if (r == 0)
                r = api_build_kv_parse(api_query(req, "buildargs"), "build args", true, &b->args, err);
        if (r == 0)
                r = api_build_kv_parse(api_query(req, "labels"), "labels", false, &b->labels, err);
        if (r < 0)
                return r;
        b->tags = api_query_all(req, "t");
        b->dockerfile = df && *df ? xstrdup(df) : NULL;
        b->target = target && *target ? xstrdup(target) : NULL;
        b->platform = platform && *platform ? xstrdup(platform) : NULL;
        b->quiet = api_query_bool(req, "q");
        b->aux = req->api_minor >= 30;
        b->o = (BuildOptions) BUILD_OPTIONS_INIT;
        b->o.dockerfile = b->dockerfile;
        b->o.tags = b->tags;
        b->o.build_args = b->args;
        b->o.labels = b->labels;
        b->o.target = b->target;
        b->o.platform = b->platform;
        b->o.no_cache = api_query_bool(req, "nocache");
        b->o.pull = api_query_bool(req, "pull");
        b->o.progress = on_event;
        b->o.output = on_output;
        b->o.userdata = b;
        return 0;
}

int api_build_begin(ApiRequest *req, LadeError **err)
{
        BuildJob *b = xmalloc0(sizeof(*b));
        b->server = req->server;
        b->held = json_array();
        pthread_mutex_init(&b->lock, NULL);
        int r = build_parse(req, b, err);
        if (r < 0) {
                build_job_free(b);
                return r;
        }
        return api_job_start(req->server, API_JOB_STREAM_JSON, true, build_worker, b, build_job_free, &req->job, err);
}

int api_build(ApiRequest *req, LadeError **err)
{
        return api_job_respond(req, req->job, "application/json");
}

/* The cache is all or nothing here: filters and keep-storage (which select entries) are
 * refused rather than ignored. CachesDeleted stays empty: the cache rows have no ids to show. */
int api_build_prune(ApiRequest *req, LadeError **err)
{
        _cleanup_(engine_freep) Engine *e = NULL;
        const char *fs = api_query(req, "filters"), *keep = api_query(req, "keep-storage");
        uint64_t keep_n = 0, rows = 0;
        if (fs && *fs && !streq(fs, "{}"))
                return lade_error_msg(err, EINVAL, "build cache prune: filters are not supported");
        if (keep && *keep && (parse_uint64(keep, &keep_n) < 0 || keep_n != 0))
                return lade_error_msg(err, EINVAL, "build cache prune: keep-storage is not supported");
        int r = api_engine(req, &e, err);
        if (r == 0)
                r = build_cache_prune(e, api_query_bool(req, "all"), &rows, err);
        if (r < 0)
                return r;
        return api_respond_json(req, 200, json_pack("{s:[],s:I}", "CachesDeleted", "SpaceReclaimed", (json_int_t) 0));
}

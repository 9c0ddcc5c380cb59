/* The container endpoints that answer at once: create, list, inspect, top, start, stop,
 * restart, kill, pause, unpause, rename, remove, prune, resize; and the streams that are plain
 * responses: wait, logs, stats. Attach and exec (hijacked connections) are in api-stream.c. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api-internal.h"
#include "containers.h"
#include "engine-filters.h"
#include "json-util.h"
#include "runtime.h"
#include "util.h"

int api_engine(ApiRequest *req, Engine **ret, LadeError **err)
{
        return api_engine_open(req->server, NULL, NULL, NULL, ret, err);
}

int api_respond_empty(ApiRequest *req, unsigned status)
{
        struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *) "", MHD_RESPMEM_PERSISTENT);
        if (!resp)
                return -ENOMEM;
        return api_respond(req, status, resp);
}

/* An integer query parameter; absent: dflt. */
static int query_int(ApiRequest *req, const char *key, int64_t dflt, int64_t *ret, LadeError **err)
{
        const char *v = api_query(req, key);
        if (!v || !*v) {
                *ret = dflt;
                return 0;
        }
        if (parse_int64(v, ret) < 0)
                return lade_error_msg(err, EINVAL, "invalid value for %s: %s", key, v);
        return 0;
}

/* The container's State.Status (NULL when it does not exist: the caller's error then). */
static char *ctr_state_of(Engine *e, const char *name, bool *ret_tty, LadeError **err)
{
        char id[65], *state = NULL;
        if (engine_container_state(e, name, id, &state, ret_tty, err) < 0)
                return NULL;
        return state;
}

bool api_container_tty(Engine *e, const char *name)
{
        bool tty = false;
        free(ctr_state_of(e, name, &tty, NULL));
        return tty;
}

/* SizeRw and SizeRootFs into obj, as dockerd adds them when asked (size=1); a container removed
 * meanwhile gets none. */
void api_container_sizes(Engine *e, const char *name_or_id, json_t *obj)
{
        int64_t rw, rootfs;
        if (engine_container_size(e, name_or_id, &rw, &rootfs, NULL) < 0)
                return;
        json_object_set_new(obj, "SizeRw", json_integer(rw));
        json_object_set_new(obj, "SizeRootFs", json_integer(rootfs));
}

/* With size=1, each summary gets its sizes (a walk of each writable layer); without, the body
 * comes rendered from the engine's list cache. */
static int list_sized(ApiRequest *req, Engine *e, bool all, const EngineFilters *f, int64_t limit, LadeError **err)
{
        ContainerInfo **l = NULL;
        size_t n = 0;
        int r = engine_container_list_filtered(e, all, f, &l, &n, err);
        if (r < 0)
                return r;
        json_t *a = json_array();
        for (size_t i = 0; i < n && (limit <= 0 || (int64_t) i < limit); i++) {
                json_t *s = engine_container_summary_json(l[i]);
                api_container_sizes(e, l[i]->id, s);
                json_array_append_new(a, s);
        }
        container_info_list_free(l, n);
        return api_respond_json(req, 200, a);
}

int api_containers_list(ApiRequest *req, LadeError **err)
{
        const char *fs = api_query(req, "filters");
        _cleanup_(engine_filters_freep) EngineFilters *f = NULL;
        _cleanup_(engine_freep) Engine *e = NULL;
        int64_t limit;
        int r = engine_filters_parse(fs, fs ? strlen(fs) : 0, &f, err);
        if (r == 0)
                r = query_int(req, "limit", -1, &limit, err);
        if (r == 0)
                r = api_engine(req, &e, err);
        if (r < 0)
                return r;
        /* limit > 0 means the newest N of all containers, as dockerd */
        bool all = api_query_bool(req, "all") || limit > 0;
        if (api_query_bool(req, "size"))
                return list_sized(req, e, all, f, limit, err);
        char *body = NULL;
        size_t len = 0;
        if ((r = engine_container_list_body(e, all, f, limit, &body, &len, err)) < 0)
                return r;
        return api_respond_buffer(req, 200, "application/json", body, len);
}

int api_containers_create(ApiRequest *req, LadeError **err)
{
        json_t *body;
        _cleanup_(engine_freep) Engine *e = NULL;
        int r = api_body_json(req, &body, err);
        if (r == 0)
                r = api_engine(req, &e, err);
        if (r < 0)
                return r;
        const char *name = api_query(req, "name");
        /* dockerd never pulls on create: "No such image" (404) makes the client pull */
        RunRequest rr = { .create = body, .name = name && *name ? name : NULL, .pull = "never",
                          .platform = api_query(req, "platform") };
        char id[65];
        if ((r = engine_container_create(e, &rr, id, err)) < 0)
                return r;
        return api_respond_json(req, 201, json_pack("{s:s,s:[]}", "Id", id, "Warnings"));
}

int api_container_inspect(ApiRequest *req, LadeError **err)
{
        _cleanup_(engine_freep) Engine *e = NULL;
        json_t *doc = NULL;
        int r = api_engine(req, &e, err);
        if (r == 0)
                r = engine_container_inspect(e, req->name, &doc, err);
        if (r < 0)
                return r;
        if (api_query_bool(req, "size"))
                api_container_sizes(e, req->name, doc);
        return api_respond_json(req, 200, doc);
}

int api_container_top(ApiRequest *req, LadeError **err)
{
        _cleanup_(engine_freep) Engine *e = NULL;
        json_t *doc = NULL;
        int r = api_engine(req, &e, err);
        if (r == 0)
                r = engine_container_top(e, req->name, api_query(req, "ps_args"), &doc, err);
        if (r < 0)
                return r;
        return api_respond_json(req, 200, doc);
}

int api_container_start(ApiRequest *req, LadeError **err)
{
        _cleanup_(engine_freep) Engine *e = NULL;
        int r = api_engine(req, &e, err);
        if (r < 0)
                return r;
        char id[65];
        _cleanup_free_ char *state = NULL;
        if ((r = engine_container_state(e, req->name, id, &state, NULL, err)) < 0)
                return r;
        if (streq(state, "running") || streq(state, "restarting"))
                return api_respond_empty(req, 304);
        /* a client attached before the start (docker run): its stream sees the first byte */
        r = api_attach_start_pending(req->server, e, id, err);
        if (r == 0)
                r = engine_container_start(e, id, NULL, NULL, err);
        else if (r > 0)
                r = 0;
        return r < 0 ? r : api_respond_empty(req, 204);
}

int api_container_stop(ApiRequest *req, LadeError **err)
{
        _cleanup_(engine_freep) Engine *e = NULL;
        const char *s = api_query(req, "signal");
        int sig = s && *s ? runtime_parse_signal(s) : 0;
        if (sig < 0)
                return lade_error_msg(err, EINVAL, "Invalid signal: %s", s);
        int64_t t;
        int r = query_int(req, "t", -1, &t, err);
        if (r == 0)
                r = api_engine(req, &e, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *state = ctr_state_of(e, req->name, NULL, err);
        if (!state)
                return -ENOENT;
        if (!streq(state, "running") && !streq(state, "paused") && !streq(state, "restarting"))
                return api_respond_empty(req, 304);
        if ((r = engine_container_stop_signal(e, req->name, (int) t, sig, err)) < 0)
                return r;
        return api_respond_empty(req, 204);
}

int api_container_restart(ApiRequest *req, LadeError **err)
{
        _cleanup_(engine_freep) Engine *e = NULL;
        int64_t t;
        int r = query_int(req, "t", -1, &t, err);
        if (r == 0)
                r = api_engine(req, &e, err);
        if (r == 0)
                r = engine_container_restart(e, req->name, (int) t, err);
        return r < 0 ? r : api_respond_empty(req, 204);
}

int api_container_kill(ApiRequest *req, LadeError **err)
{
        _cleanup_(engine_freep) Engine *e = NULL;
        const char *s = api_query(req, "signal");
        int sig = s && *s ? runtime_parse_signal(s) : 9;
        if (sig <= 0)
                return lade_error_msg(err, EINVAL, "Invalid signal: %s", s);
        int r = api_engine(req, &e, err);
        if (r == 0)
                r = engine_container_kill(e, req->name, sig, err);
        return r < 0 ? r : api_respond_empty(req, 204);
}

int api_container_pause(ApiRequest *req, LadeError **err)
{
        _cleanup_(engine_freep) Engine *e = NULL;
        int r = api_engine(req, &e, err);
        if (r == 0)
                r = endswith(req->path, "/unpause") ? engine_container_unpause(e, req->name, err)
                                                    : engine_container_pause(e, req->name, err);
        return r < 0 ? r : api_respond_empty(req, 204);
}

int api_container_rename(ApiRequest *req, LadeError **err)
{
        _cleanup_(engine_freep) Engine *e = NULL;
        const char *name = api_query(req, "name");
        int r = api_engine(req, &e, err);
        if (r == 0)
                r = engine_container_rename(e, req->name, name ? name : "", err);
        return r < 0 ? r : api_respond_empty(req, 204);
}

/* dockerd's postContainerUpdate: PidsLimit only from API 1.40 on. */
int api_container_update(ApiRequest *req, LadeError **err)
{
        _cleanup_(engine_freep) Engine *e = NULL;
        json_t *body;
        int r = api_body_json(req, &body, err);
        if (r == 0)
                r = api_engine(req, &e, err);
        if (r < 0)
                return r;
        if (req->api_minor < 40)
                (void) json_object_del(body, "PidsLimit");
        r = engine_container_update(e, req->name, body, err);
        return r < 0 ? r : api_respond_json(req, 200, json_pack("{s:[]}", "Warnings"));
}

int api_container_delete(ApiRequest *req, LadeError **err)
{
        _cleanup_(engine_freep) Engine *e = NULL;
        int r = api_engine(req, &e, err);
        if (r == 0)
                r = engine_container_remove(e, req->name, api_query_bool(req, "force"), api_query_bool(req, "v"), err);
        return r < 0 ? r : api_respond_empty(req, 204);
}

int api_container_resize(ApiRequest *req, LadeError **err)
{
        _cleanup_(engine_freep) Engine *e = NULL;
        int64_t h, w;
        int r = query_int(req, "h", 0, &h, err);
        if (r == 0)
                r = query_int(req, "w", 0, &w, err);
        if (r == 0 && (h < 0 || w < 0 || h > 65535 || w > 65535))
                r = lade_error_msg(err, EINVAL, "invalid terminal size: h=%lld w=%lld", (long long) h, (long long) w);
        if (r == 0)
                r = api_engine(req, &e, err);
        if (r == 0)
                r = engine_container_resize(e, req->name, (unsigned) h, (unsigned) w, err);
        return r < 0 ? r : api_respond_empty(req, 200);
}

int api_containers_prune(ApiRequest *req, LadeError **err)
{
        const char *fs = api_query(req, "filters");
        _cleanup_(engine_filters_freep) EngineFilters *f = NULL;
        _cleanup_(engine_freep) Engine *e = NULL;
        _cleanup_strv_free_ char **ids = NULL;
        uint64_t reclaimed = 0;
        int r = engine_filters_parse(fs, fs ? strlen(fs) : 0, &f, err);
        if (r == 0)
                r = api_engine(req, &e, err);
        if (r == 0)
                r = engine_container_prune(e, f, &ids, &reclaimed, err);
        if (r < 0)
                return r;
        json_t *deleted = json_array();
        for (char **i = ids; i && *i; i++)
                json_array_append_new(deleted, json_string(*i));
        return api_respond_json(req, 200, json_pack("{s:o,s:I}", "ContainersDeleted", deleted, "SpaceReclaimed",
                                                    (json_int_t) reclaimed));
}

/* ---- wait ---- */

typedef struct WaitJob {
        ApiServer *server;
        char id[65];
        char *condition;
} WaitJob;

static void wait_job_free(void *p)
{
        WaitJob *w = p;
        free(w->condition);
        free(w);
}

static int wait_run(ApiJob *j, void *ud, LadeError **err)
{
        WaitJob *w = ud;
        int fd = api_job_output_fd(j);
        /* the headers go out now (the docker CLI waits for them before it starts the container);
         * JSON decoders skip the leading newline */
        int r = write_all(fd, "\n", 1);
        _cleanup_(engine_freep) Engine *e = NULL;
        if (r == 0)
                r = api_engine_open(w->server, NULL, NULL, NULL, &e, err);
        int status = 0;
        if (r == 0)
                r = engine_container_wait_cancellable(e, w->id, w->condition, fd, &status, err);
        if (r < 0)
                return api_job_write_json(j, json_pack("{s:i,s:{s:s}}", "StatusCode", 125, "Error", "Message",
                                                       lade_error_message(*err)));
        return api_job_write_json(j, json_pack("{s:i,s:n}", "StatusCode", status, "Error"));
}

int api_container_wait(ApiRequest *req, LadeError **err)
{
        _cleanup_(engine_freep) Engine *e = NULL;
        const char *cond = api_query(req, "condition");
        if (cond && *cond && !streq(cond, "not-running") && !streq(cond, "next-exit") && !streq(cond, "removed"))
                return lade_error_msg(err, EINVAL, "invalid condition: \"%s\"", cond);
        WaitJob *w = xmalloc0(sizeof(*w));
        int r = api_engine(req, &e, err);
        if (r == 0)
                r = engine_container_lookup(e, req->name, w->id, err);
        if (r < 0) {
                free(w);
                return r;
        }
        w->server = req->server;
        w->condition = xstrdup(cond && *cond ? cond : "not-running");
        _cleanup_(api_job_unrefp) ApiJob *j = NULL;
        if ((r = api_job_start(req->server, API_JOB_STREAM_RAW, false, wait_run, w, wait_job_free, &j, err)) < 0)
                return r;
        return api_job_respond(req, j, "application/json");
}

/* ---- logs ---- */

typedef struct LogsJob {
        ApiServer *server;
        char id[65];
        LogsOptions o;
        bool tty;
        int fd;
} LogsJob;

/* Docker's stream framing without a tty: [stream, 0, 0, 0, size (big endian, 4 bytes)]. */
int api_write_frame(int fd, bool tty, int stream, const char *data, size_t len)
{
        if (tty)
                return write_all(fd, data, len);
        while (len > 0) {
                size_t n = len > (1u << 30) ? (1u << 30) : len;
                uint8_t h[8] = { (uint8_t) stream, 0, 0, 0, (uint8_t) (n >> 24), (uint8_t) (n >> 16),
                                 (uint8_t) (n >> 8), (uint8_t) n };
                int r = write_all(fd, h, sizeof(h));
                if (r == 0)
                        r = write_all(fd, data, n);
                if (r < 0)
                        return r;
                data += n;
                len -= n;
        }
        return 0;
}

static int logs_line(const char *stream, int64_t ns, const char *line, size_t len, void *ud)
{
        LogsJob *l = ud;
        int s = streq(stream, "stderr") ? 2 : 1;
        if (!l->o.timestamps)
                return api_write_frame(l->fd, l->tty, s, line, len);
        _cleanup_free_ char *ts = NULL;
        time_t sec = (time_t) (ns / 1000000000);
        struct tm tm;
        char buf[40];
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", gmtime_r(&sec, &tm));
        ts = xasprintf("%s.%09lldZ %.*s", buf, (long long) (ns % 1000000000), (int) len, line);
        return api_write_frame(l->fd, l->tty, s, ts, strlen(ts));
}

static int logs_run(ApiJob *j, void *ud, LadeError **err)
{
        LogsJob *l = ud;
        _cleanup_(engine_freep) Engine *e = NULL;
        l->fd = api_job_output_fd(j);
        l->o.cancel_fd = l->fd;
        int r = api_engine_open(l->server, NULL, NULL, NULL, &e, err);
        if (r == 0)
                r = engine_container_logs(e, l->id, &l->o, logs_line, l, err);
        return r;
}

static int logs_time(ApiRequest *req, const char *key, int64_t *ret, LadeError **err)
{
        const char *v = api_query(req, key);
        int64_t s = 0;
        *ret = 0;
        if (!v || !*v || streq(v, "0"))
                return 0;
        /* seconds with a fraction, as the docker CLI sends them */
        char *end;
        double d = strtod(v, &end);
        if (end != v && !*end) {
                *ret = (int64_t) (d * 1e9);
                return 0;
        }
        int r = engine_parse_timestamp(v, (int64_t) time(NULL), &s, err);
        *ret = s * 1000000000;
        return r;
}

int api_container_logs(ApiRequest *req, LadeError **err)
{
        LogsJob *l = xmalloc0(sizeof(*l));
        *l = (LogsJob){ .server = req->server, .o = { .follow = api_query_bool(req, "follow"),
                        .timestamps = api_query_bool(req, "timestamps"), .stdout_ = api_query_bool(req, "stdout"),
                        .stderr_ = api_query_bool(req, "stderr"), .tail = -1, .cancel_fd = -1 } };
        const char *tail = api_query(req, "tail");
        _cleanup_(engine_freep) Engine *e = NULL;
        int64_t t;
        int r = 0;
        if (!l->o.stdout_ && !l->o.stderr_)
                r = lade_error_msg(err, EINVAL, "Bad parameters: you must choose at least one stream");
        if (r == 0 && tail && *tail && !streq(tail, "all")) {
                if (parse_int64(tail, &t) < 0)
                        r = lade_error_msg(err, EINVAL, "invalid value for tail: %s", tail);
                l->o.tail = t < 0 ? -1 : (long) t;
        }
        if (r == 0)
                r = logs_time(req, "since", &l->o.since_ns, err);
        if (r == 0)
                r = logs_time(req, "until", &l->o.until_ns, err);
        if (r == 0)
                r = api_engine(req, &e, err);
        if (r == 0)
                r = engine_container_lookup(e, req->name, l->id, err);
        if (r < 0) {
                free(l);
                return r;
        }
        l->tty = api_container_tty(e, l->id);
        _cleanup_(api_job_unrefp) ApiJob *j = NULL;
        if ((r = api_job_start(req->server, API_JOB_STREAM_RAW, false, logs_run, l, free, &j, err)) < 0)
                return r;
        return api_job_respond(req, j, api_stream_content_type(req, l->tty));
}

const char *api_stream_content_type(ApiRequest *req, bool tty)
{
        return tty || req->api_minor < 42 ? "application/vnd.docker.raw-stream"
                                          : "application/vnd.docker.multiplexed-stream";
}

/* ---- stats ---- */

typedef struct StatsJob {
        ApiServer *server;
        char id[65];
        bool stream, one_shot;
} StatsJob;

static int stats_run(ApiJob *j, void *ud, LadeError **err)
{
        StatsJob *s = ud;
        _cleanup_(engine_freep) Engine *e = NULL;
        int r = api_engine_open(s->server, NULL, NULL, NULL, &e, err);
        _cleanup_json_ json_t *prev = NULL;
        /* without one-shot, a first sample gives precpu_stats (the CLI's CPU % needs two) */
        if (r == 0 && !s->one_shot && !s->stream) {
                r = engine_container_stats(e, s->id, &prev, err);
                if (r == 0)
                        (void) usleep(500000);
        }
        while (r == 0) {
                json_t *cur = NULL;
                if ((r = engine_container_stats(e, s->id, &cur, err)) < 0)
                        break;
                if (prev) {
                        json_object_set(cur, "precpu_stats", json_object_get(prev, "cpu_stats"));
                        json_object_set(cur, "preread", json_object_get(prev, "read"));
                }
                json_decref(prev);
                prev = json_incref(cur);
                if ((r = api_job_write_json(j, cur)) < 0 || !s->stream)
                        break;
                (void) usleep(1000000);
        }
        return r == -EPIPE ? 0 : r;
}

int api_container_stats(ApiRequest *req, LadeError **err)
{
        StatsJob *s = xmalloc0(sizeof(*s));
        const char *stream = api_query(req, "stream");
        *s = (StatsJob){ .server = req->server, .stream = !stream || api_query_bool(req, "stream"),
                         .one_shot = api_query_bool(req, "one-shot") };
        _cleanup_(engine_freep) Engine *e = NULL;
        int r = api_engine(req, &e, err);
        if (r == 0)
                r = engine_container_lookup(e, req->name, s->id, err);
        if (r < 0) {
                free(s);
                return r;
        }
        _cleanup_(api_job_unrefp) ApiJob *j = NULL;
        if ((r = api_job_start(req->server, API_JOB_STREAM_RAW, false, stats_run, s, free, &j, err)) < 0)
                return r;
        return api_job_respond(req, j, "application/json");
}

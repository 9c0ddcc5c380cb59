/* One HTTP request: from MHD's access handler calls to the handler of its route, the answer,
 * and its audit line.
 *
 * Order, for every request: version prefix -> route (404) -> access by the peer's rule (403,
 * before any body is read) -> body within its limit (413) -> the policy on create bodies
 * (403/400) -> the handler. Whatever happens, the request completes with one audit line. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api-internal.h"
#include "config.h"
#include "json-util.h"
#include "log.h"
#include "util.h"

unsigned api_status_from_errno(int errnum)
{
        switch (errnum < 0 ? -errnum : errnum) {
        case ENOENT: return 404;
        case EEXIST:
        case EBUSY: return 409;
        case EINVAL: return 400;
        case EPERM:
        case EACCES: return 403;
        case E2BIG: return 413;
        default: return 500;
        }
}

void api_add_headers(struct MHD_Response *resp)
{
        MHD_add_response_header(resp, "Api-Version", API_VERSION_MAX_STR);
        MHD_add_response_header(resp, "Docker-Experimental", "false");
        MHD_add_response_header(resp, "Ostype", "linux");
        MHD_add_response_header(resp, "Server", "lade/" LADE_VERSION " (linux)");
}

int api_respond(ApiRequest *req, unsigned status, struct MHD_Response *resp)
{
        api_add_headers(resp);
        enum MHD_Result m = MHD_queue_response(req->conn, status, resp);
        MHD_destroy_response(resp);
        req->responded = true;
        req->status = status;
        return m == MHD_YES ? 0 : -EIO;
}

int api_respond_text(ApiRequest *req, unsigned status, const char *content_type, const char *text)
{
        struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(text), (void *) text,
                                                                    MHD_RESPMEM_MUST_COPY);
        if (!resp)
                return -ENOMEM;
        if (content_type)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
        return api_respond(req, status, resp);
}

int api_respond_buffer(ApiRequest *req, unsigned status, const char *content_type, char *buf, size_t len)
{
        /* libmicrohttpd frees buf with free() once the response is sent */
        struct MHD_Response *resp = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
        if (!resp) {
                free(buf);
                return -ENOMEM;
        }
        if (content_type)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
        return api_respond(req, status, resp);
}

int api_respond_json(ApiRequest *req, unsigned status, json_t *j)
{
        _cleanup_free_ char *s = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        if (!s)
                return api_respond_error(req, 500, "cannot serialise the answer");
        _cleanup_free_ char *line = xasprintf("%s\n", s);
        return api_respond_text(req, status, "application/json", line);
}

int api_respond_error(ApiRequest *req, unsigned status, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *msg = xvasprintf(fmt, ap);
        va_end(ap);
        free(req->error);
        req->error = xstrdup(msg);
        json_t *j = json_pack("{s:s}", "message", msg);
        if (!j)
                j = json_pack("{s:s}", "message", "error (message is not UTF-8)");
        return api_respond_json(req, status, j);
}

int api_respond_lade_error(ApiRequest *req, const LadeError *err)
{
        return api_respond_error(req, api_status_from_errno(err ? err->status : EIO), "%s",
                                 lade_error_message(err));
}

const char *api_query(ApiRequest *req, const char *key)
{
        return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

bool api_query_bool(ApiRequest *req, const char *key)
{
        const char *v = api_query(req, key);
        if (!v)
                return false;
        return !(!*v || streq(v, "0") || strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 ||
                 strcasecmp(v, "none") == 0);
}

typedef struct QueryAll {
        const char *key;
        char **values;
} QueryAll;

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
        QueryAll *q = cls;
        if (streq(key, q->key) && value && strv_length(q->values) < 1024)
                q->values = strv_append(q->values, value);
        return MHD_YES;
}

char **api_query_all(ApiRequest *req, const char *key)
{
        QueryAll q = { key, NULL };
        MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, collect_arg, &q);
        return q.values;
}

const char *api_header(ApiRequest *req, const char *name)
{
        return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

int api_body_json(ApiRequest *req, json_t **ret, LadeError **err)
{
        if (!req->json) {
                if (!req->body || req->body_len == 0)
                        return lade_error_msg(err, EINVAL, "request body is empty (expected a JSON object)");
                if (json_parse_text(req->body, req->body_len, "request body", &req->json, err) < 0)
                        return -EINVAL;
        }
        if (!json_is_object(req->json))
                return lade_error_msg(err, EINVAL, "request body: expected a JSON object, got %s",
                                      json_type_name(req->json));
        *ret = req->json;
        return 0;
}

/* A server acts for others: registries only ever get the request's own credentials. */
static const RegistryCredentials anonymous = { NULL, NULL };

EngineOptions api_engine_options(ApiServer *s)
{
        /* stale layer dirs were removed once, by the first open at the server's start */
        return (EngineOptions){ .root = s->root, .insecure_registries = s->insecure,
                                .credentials = &anonymous, .monitor_exec = true,
                                .no_stale_cleanup = s->engines != NULL };
}

int api_engine_open(ApiServer *s, const RegistryCredentials *creds, RegistryProgressFn progress,
                    void *userdata, Engine **ret, LadeError **err)
{
        /* the common case, no per-request credentials or progress: an idle Engine of the pool */
        if (!creds && !progress && !userdata && s->engines)
                return engine_pool_get(s->engines, ret, err);
        EngineOptions o = api_engine_options(s);
        if (creds)
                o.credentials = creds;
        o.progress = progress;
        o.userdata = userdata;
        return engine_open(&o, ret, err);
}

/* ---- the request lifecycle ---- */

static AuthzPeer authz_peer(const ApiPeer *p)
{
        return (AuthzPeer){ .uid = p->uid, .gid = p->gid, .groups = p->groups, .n_groups = p->n_groups,
                            .certificate = p->tls ? p->cert_cn : NULL };
}

static void request_route(ApiRequest *req)
{
        unsigned major, minor;
        const char *path;
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        if (api_split_version(req->url, &major, &minor, &path) < 0) {
                (void) api_respond_error(req, 404, "page not found");
                return;
        }
        req->path = xstrdup(path);
        req->api_minor = major == 0 ? API_VERSION_MAX : minor;
        if (api_check_version(major, minor, &err) < 0) {
                (void) api_respond_lade_error(req, err);
                return;
        }
        req->route = api_route_find(api_routes, api_routes_n, req->method, req->path, &req->name);
        if (!req->route) {
                (void) api_respond_error(req, 404, "page not found");
                return;
        }
        AuthzPeer peer = authz_peer(req->peer);
        req->rule = authz_policy_match(req->server->policy, &peer);
        if (!req->peer->known || authz_check_access(req->rule, &peer, req->method, &err) < 0) {
                req->denied = true;
                if (!req->peer->known && req->peer->tls)
                        (void) api_respond_error(req, 403, "authorization denied: a client certificate signed by the "
                                                 "server's CA is required");
                else if (!req->peer->known)
                        (void) api_respond_error(req, 403, "authorization denied: the peer's credentials are unknown");
                else
                        (void) api_respond_lade_error(req, err);
        }
}

static uint64_t content_length(ApiRequest *req)
{
        const char *cl = api_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
        uint64_t n = 0;
        return cl && parse_uint64(cl, &n) == 0 ? n : 0;
}

static uint64_t body_limit(const ApiRequest *req)
{
        switch (req->route->body) {
        case API_BODY_JSON: return API_JSON_BODY_MAX;
        case API_BODY_STREAM: return req->job ? API_STREAM_BODY_MAX : API_OTHER_BODY_MAX;
        default: return API_OTHER_BODY_MAX;
        }
}

static void request_begin(ApiRequest *req)
{
        request_route(req);
        if (req->responded)
                return;
        req->content_type = api_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        if (req->route->begin && req->route->begin(req, &err) < 0) {
                (void) api_respond_lade_error(req, err);
                return;
        }
        /* refuse an announced oversized body before the client sends it (no 100 Continue) */
        if (content_length(req) > body_limit(req))
                (void) api_respond_error(req, 413, "request body is larger than the limit of %llu bytes",
                                         (unsigned long long) body_limit(req));
}

static void request_body(ApiRequest *req, const char *data, size_t len)
{
        req->body_bytes += len;
        if (req->responded)
                return;
        if (req->body_bytes > body_limit(req)) {
                (void) api_respond_error(req, 413, "request body is larger than the limit of %llu bytes",
                                         (unsigned long long) body_limit(req));
                return;
        }
        if (req->job) {
                /* the job stopped reading (it failed): the rest is dropped, its error answers */
                (void) api_job_feed(req->job, data, len);
                return;
        }
        req->body = xrealloc(req->body, req->body_len + len + 1);
        memcpy(req->body + req->body_len, data, len);
        req->body_len += len;
        req->body[req->body_len] = '\0';
}

static int request_check_body(ApiRequest *req, LadeError **err)
{
        json_t *body;
        int r = 0;
        if (req->route->check == API_CHECK_NONE)
                return 0;
        if ((r = api_body_json(req, &body, err)) < 0)
                return r;
        switch (req->route->check) {
        case API_CHECK_CONTAINER_CREATE: r = authz_check_create(req->rule, body, err); break;
        case API_CHECK_EXEC_CREATE: r = authz_check_exec(req->rule, body, err); break;
        case API_CHECK_VOLUME_CREATE: r = authz_check_volume_create(req->rule, body, err); break;
        default: r = lade_error_msg(err, EINVAL, "internal error: unknown body check"); break;
        }
        if (r == -EACCES)
                req->denied = true;
        return r;
}

static void request_finish(ApiRequest *req)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        if (req->job)
                api_job_end_input(req->job);
        int r = request_check_body(req, &err);
        if (r == 0)
                r = req->route->handler(req, &err);
        if (r < 0 && !req->responded)
                (void) api_respond_lade_error(req, err);
        if (!req->responded)
                (void) api_respond_error(req, 500, "internal error: no answer");
}

enum MHD_Result api_on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                               const char *version, const char *upload_data, size_t *upload_data_size,
                               void **con_cls);
enum MHD_Result api_on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                               const char *version, const char *upload_data, size_t *upload_data_size,
                               void **con_cls)
{
        ApiServer *s = cls;
        ApiRequest *req = *con_cls;
        if (!req) {
                static const ApiPeer unknown = { 0 };
                const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
                req = xmalloc0(sizeof(*req));
                req->server = s;
                req->conn = conn;
                ApiPeer *peer = ci ? ci->socket_context : NULL;
                if (peer && peer->tls && !peer->tls_checked)
                        api_tls_peer_verify(conn, peer);
                req->peer = peer ? peer : &unknown;
                if (peer)
                        api_conn_request(s, peer, true);
                req->method = xstrdup(method);
                req->url = xstrdup(url);
                req->start_ns = now_ns();
                *con_cls = req;
                pthread_mutex_lock(&s->lock);
                s->requests++;
                s->served++;
                pthread_mutex_unlock(&s->lock);
                request_begin(req);
                return MHD_YES;
        }
        if (*upload_data_size > 0) {
                request_body(req, upload_data, *upload_data_size);
                *upload_data_size = 0;
                return MHD_YES;
        }
        if (!req->responded)
                request_finish(req);
        return MHD_YES;
}

static json_t *audit_query(ApiRequest *req)
{
        json_t *q = json_object();
        const char *keys[] = { "fromImage", "fromSrc", "repo", "tag", "force", "noprune", "filters", "names", "quiet",
                               "platform", "platforms", "manifests", "all", "since", "until", "buildargs", "t", "name",
                               "path", "noOverwriteDirNonDir", "copyUIDGID", "container", "comment", "author",
                               "pause", "dockerfile", "target", "labels", "nocache", "pull", "q",
                               "networkmode", "v", NULL };
        for (size_t i = 0; keys[i]; i++) {
                const char *v = api_query(req, keys[i]);
                if (v)
                        json_object_set_new(q, keys[i], api_audit_query_value(keys[i], v));
        }
        return q;
}

static void request_audit(ApiRequest *req, enum MHD_RequestTerminationCode toe)
{
        ApiAudit *a = req->server->audit;
        if (!a)
                return;
        char when[64];
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        size_t n = strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", gmtime_r(&ts.tv_sec, &tm));
        snprintf(when + n, sizeof(when) - n, ".%09ldZ", ts.tv_nsec);
        const ApiPeer *p = req->peer;
        json_t *e = json_pack("{s:s,s:I,s:I,s:I,s:s,s:s,s:s,s:s,s:I,s:I}", "time", when, "uid", (json_int_t) p->uid,
                              "gid", (json_int_t) p->gid, "pid", (json_int_t) p->pid, "comm", p->comm,
                              "method", req->method, "path", req->url,
                              "decision", req->denied ? "deny" : "allow", "status", (json_int_t) req->status,
                              "duration_ms", (json_int_t) ((now_ns() - req->start_ns) / 1000000));
        if (!e)
                return;
        if (p->tls) {
                /* a TCP client: who it is, is its certificate */
                json_object_del(e, "uid");
                json_object_del(e, "gid");
                json_object_del(e, "pid");
                json_object_del(e, "comm");
                json_object_set_new(e, "certificate", json_string(p->cert_cn));
                json_object_set_new(e, "remote", json_string(p->remote));
        }
        json_t *q = audit_query(req);
        if (json_object_size(q) > 0)
                json_object_set_new(e, "query", q);
        else
                json_decref(q);
        if (req->error)
                json_object_set_new(e, "error", api_audit_query_value("error", req->error));
        if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
                json_object_set_new(e, "incomplete", json_true());
        json_t *body = NULL;
        if (!req->json && req->body && req->body_len > 0 && req->route && req->route->body == API_BODY_JSON)
                (void) json_parse_text(req->body, req->body_len, "body", &req->json, NULL);
        body = api_audit_body_summary(req->content_type, req->json, req->body_bytes);
        if (body)
                json_object_set_new(e, "body", body);
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        if (api_audit_append(a, e, &err) < 0)
                log_warning("audit log: %s", lade_error_message(err));
        json_decref(e);
}

void api_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe);
void api_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
        ApiServer *s = cls;
        ApiRequest *req = *con_cls;
        if (!req)
                return;
        *con_cls = NULL;
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        if (ci && ci->socket_context)
                api_conn_request(s, ci->socket_context, false);
        request_audit(req, toe);
        if (req->job) {
                api_job_end_input(req->job);
                api_job_unref(req->job);
        }
        json_decref(req->json);
        free(req->body);
        free(req->error);
        free(req->name);
        free(req->path);
        free(req->url);
        free(req->method);
        free(req);
        pthread_mutex_lock(&s->lock);
        s->requests--;
        pthread_cond_broadcast(&s->cond);
        pthread_mutex_unlock(&s->lock);
}

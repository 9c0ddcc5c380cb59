/* Internals of the API server shared by its files: the request, the route table, the
 * response helpers and the background jobs of streaming endpoints. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>
#include <microhttpd.h>
#include "mhd-dl.h"

#include "api-audit.h"
#include "api-authz.h"
#include "api-router.h"
#include "api.h"
#include "engine.h"

/* Limits on what a client controls. */
#define API_JSON_BODY_MAX (1u << 20)                 /* JSON bodies (create, auth) */
#define API_OTHER_BODY_MAX (64u * 1024)              /* bodies of routes that take none */
#define API_STREAM_BODY_MAX (UINT64_C(64) << 30)     /* tar bodies (load, import) */
#define API_REGISTRY_AUTH_MAX (16u * 1024)           /* X-Registry-Auth, encoded */
#define API_CONNECTIONS_MAX 512
#define API_CONNECTION_TIMEOUT_S 120u                /* idle connections, and a request head's deadline */
#define API_CONNECTIONS_PER_UID 64u                  /* of one local user other than root (api-conns.c) */
#define API_SHUTDOWN_GRACE_S 30                      /* requests in flight at SIGTERM */
#define API_PEER_GROUPS_MAX 4096
#define API_ENGINES_IDLE_MAX 4u                      /* Engines kept open between requests */
#define API_MALLOC_ARENAS 2                          /* glibc's: not one per CPU x 8 */

typedef struct ApiJob ApiJob;
typedef struct ApiPendingAttach ApiPendingAttach;
typedef struct ApiExec ApiExec;

#define API_EXECS_MAX 1024                           /* exec instances kept in memory */
#define API_ATTACH_IN_FLIGHT_MS 2000

typedef struct ApiServer {
        char *root;
        char **insecure;
        AuthzPolicy *policy;
        ApiAudit *audit;
        EnginePool *engines;          /* idle Engines reused by requests (api_engine_open) */
        struct MHD_Daemon *mhd;       /* the unix socket's */
        struct MHD_Daemon *mhd_tls;   /* TCP with TLS */
        char *tls_pem[3];             /* CA, certificate, key: MHD reads them while it runs */
        int stop_fd;                  /* eventfd, readable once the server is stopping */
        pthread_mutex_t lock;
        pthread_cond_t cond;
        unsigned requests;            /* in flight */
        uint64_t served;              /* requests begun since the start */
        unsigned jobs;                /* worker threads alive */
        unsigned event_listeners;
        ApiPendingAttach *pending;    /* attach streams waiting for their container's start */
        /* attaches answered (101) whose stream has not registered as pending yet: a start
         * waits for them (at most API_ATTACH_IN_FLIGHT_MS), or `docker run` could lose output */
        struct ApiAttachInFlight *in_flight;
        uint64_t next_token;
        ApiExec *execs;               /* exec instances (POST /containers/{id}/exec), newest first */
        size_t n_execs;
        /* the open connections (api-conns.c) */
        pthread_mutex_t conns_lock;
        struct ApiPeer *conns;
        int64_t head_timeout_ns;
} ApiServer;

/* The peer of a connection, read once with SO_PEERCRED / SO_PEERGROUPS when it is accepted. */
typedef struct ApiPeer {
        bool known;
        uid_t uid;
        gid_t gid;
        pid_t pid;
        gid_t *groups;
        size_t n_groups;
        char comm[32];
        /* a TCP client: known once its certificate verified (at its first request) */
        bool tls, tls_checked;
        char cert_cn[128];
        char remote[64];
        /* api-conns.c, under the server's conns_lock: the socket, since when the connection
         * has waited for a whole request head (0: a request is served, or it was upgraded) */
        int fd;
        int64_t head_wait_since_ns;
        bool upgraded, cut;
        struct ApiPeer *conn_prev, *conn_next;
} ApiPeer;

typedef struct ApiRequest {
        ApiServer *server;
        struct MHD_Connection *conn;
        const ApiPeer *peer;
        char *method, *url, *path;    /* path: without the /v1.NN prefix */
        unsigned api_minor;           /* the version asked for (1.N), API_VERSION_MAX if none */
        const ApiRoute *route;
        char *name;                   /* {name} of the route */
        const AuthzRule *rule;
        /* body */
        char *body;
        size_t body_len;
        uint64_t body_bytes;          /* everything received, also what was streamed on */
        const char *content_type;
        ApiJob *job;                  /* STREAM bodies go to this job's input */
        json_t *json;                 /* the parsed JSON body (kept for the audit summary) */
        /* outcome */
        bool responded;
        unsigned status;
        char *error;                  /* the message of an error answer */
        bool denied;
        uint64_t start_ns;
} ApiRequest;

/* ---- responses (api-request.c) ---- */
unsigned api_status_from_errno(int errnum);
int api_respond(ApiRequest *req, unsigned status, struct MHD_Response *resp);
int api_respond_json(ApiRequest *req, unsigned status, json_t *j);        /* steals j */
int api_respond_text(ApiRequest *req, unsigned status, const char *content_type, const char *text);
/* The same for a body of len bytes the response takes (freed with free()). */
int api_respond_buffer(ApiRequest *req, unsigned status, const char *content_type, char *buf, size_t len);
int api_respond_error(ApiRequest *req, unsigned status, const char *fmt, ...) _printf_(3, 4);
int api_respond_lade_error(ApiRequest *req, const LadeError *err);
void api_add_headers(struct MHD_Response *resp);
const char *api_query(ApiRequest *req, const char *key);
/* Docker's BoolValue: absent, "", "0", "no", "false", "none" are false. */
bool api_query_bool(ApiRequest *req, const char *key);
/* Every value of a repeated query parameter (names=a&names=b). */
char **api_query_all(ApiRequest *req, const char *key);
const char *api_header(ApiRequest *req, const char *name);
/* The JSON body as an object: 400 naming the problem when it is not. */
int api_body_json(ApiRequest *req, json_t **ret, LadeError **err);
/* An engine for this request (each request has its own: SQLite handles are per thread); without
 * credentials, progress and userdata, an idle one from the server's pool. engine_free() ends its
 * use (a pooled one goes back, see engine_pool_get). */
EngineOptions api_engine_options(ApiServer *s);
int api_engine_open(ApiServer *s, const RegistryCredentials *creds, RegistryProgressFn progress,
                    void *userdata, Engine **ret, LadeError **err);

/* ---- background jobs for streams (api-job.c) ----
 * A job runs fn in its own thread. Its output goes to a pipe the response reads (STREAM modes)
 * or to memory sent when it ends (BUFFER). With input, the request body is fed to a pipe it
 * reads. When fn fails before any output, the answer is an ordinary error status; after some
 * output, a JSON stream ends with Docker's {"errorDetail":…,"error":…} line and a raw stream
 * is cut short, so the client sees the failure. */
typedef enum ApiJobOutput {
        API_JOB_STREAM_JSON,
        API_JOB_STREAM_RAW,
        API_JOB_BUFFER_JSON,
        _API_JOB_OUTPUT_MAX,
        _API_JOB_OUTPUT_INVALID = -EINVAL,
} ApiJobOutput;

typedef int (*ApiJobFn)(ApiJob *j, void *userdata, LadeError **err);

int api_job_start(ApiServer *s, ApiJobOutput mode, bool with_input, ApiJobFn fn, void *userdata,
                  void (*free_userdata)(void *), ApiJob **ret, LadeError **err);
ApiJob *api_job_unref(ApiJob *j);
DEFINE_TRIVIAL_CLEANUP_FUNC(ApiJob *, api_job_unref)
/* Handler side: feeds body bytes (-EPIPE once the job stopped reading), then ends the input. */
int api_job_feed(ApiJob *j, const char *data, size_t len);
void api_job_end_input(ApiJob *j);
/* Handler side: waits for the first output (or the end) and answers the request. */
int api_job_respond(ApiRequest *req, ApiJob *j, const char *content_type);
/* The same with extra headers: name, value, name, value, …, NULL. */
int api_job_respond_headers(ApiRequest *req, ApiJob *j, const char *content_type, const char *const *headers);
/* Worker side. */
int api_job_input_fd(ApiJob *j);
int api_job_output_fd(ApiJob *j);      /* RAW streams */
int api_job_write_json(ApiJob *j, json_t *line);   /* steals line */
bool api_job_cancelled(ApiJob *j);

/* ---- containers (api-containers.c, api-stream.c, api-exec.c, api-networks.c) ---- */
int api_engine(ApiRequest *req, Engine **ret, LadeError **err);
int api_respond_empty(ApiRequest *req, unsigned status);
bool api_container_tty(Engine *e, const char *name);
void api_container_sizes(Engine *e, const char *name_or_id, json_t *obj);
/* Docker's stream framing (8-byte header: stream, 0, 0, 0, big-endian size) unless tty. */
int api_write_frame(int fd, bool tty, int stream, const char *data, size_t len);
const char *api_stream_content_type(ApiRequest *req, bool tty);
/* The start of a container an attach stream waits for: started with that stream's stdio
 * (1), or 0 when nobody waits (the caller starts it). */
int api_attach_start_pending(ApiServer *s, Engine *e, const char *id, LadeError **err);
void api_execs_free(ApiServer *s);
/* Collects the exits of the execs nobody streams (their fds closed); the server's tick. */
void api_execs_reap(ApiServer *s);
void api_attach_in_flight_free(ApiServer *s);

/* Hijacked connections (api-stream.c): a 101 answer with `Upgrade: tcp`, then fn runs in the
 * connection's thread with the raw socket (and the bytes MHD read past the headers); the
 * connection closes when it returns. The server counts it as a job (drained at stop). */
typedef struct ApiStream {
        ApiServer *server;
        int sock;
        const char *extra;
        size_t extra_len;
        /* TLS: the client's TCP socket (MHD's, only polled): libmicrohttpd does not pass a
         * client's half-close (`docker run -i`'s stdin EOF) on to sock; -1 otherwise */
        int tls_raw;
} ApiStream;
typedef void (*ApiStreamFn)(ApiStream *st, void *userdata);
int api_respond_upgrade(ApiRequest *req, const char *content_type, ApiStreamFn fn, void *userdata,
                        void (*free_userdata)(void *));

/* The copy loop of attach and exec: client -> in_w (stdin; the client's half-close closes it),
 * out_r/err_r -> client (framed unless tty), until event() says the process ended (then the
 * outputs are drained, at most drain_ms), the client leaves, or the server stops. */
typedef struct ApiPump {
        ApiStream *st;
        bool tty;
        int in_w, out_r, err_r;       /* -1: none (closed by api_pump) */
        int event_fd;
        /* 1: ended (*ret_status set, -1 detached), 0: not yet, negative: error (ends) */
        int (*event)(void *userdata, int *ret_status);
        void *userdata;
        int drain_ms;
} ApiPump;
/* Returns 1 when the process ended (*ret_status), 0 when the client left or the server stops. */
int api_pump(ApiPump *p, int *ret_status);

/* ---- handlers ---- */
int api_ping(ApiRequest *req, LadeError **err);
int api_version(ApiRequest *req, LadeError **err);
int api_info(ApiRequest *req, LadeError **err);
int api_system_df(ApiRequest *req, LadeError **err);
int api_events(ApiRequest *req, LadeError **err);
int api_auth(ApiRequest *req, LadeError **err);
int api_containers_list(ApiRequest *req, LadeError **err);
int api_containers_create(ApiRequest *req, LadeError **err);
int api_exec_create(ApiRequest *req, LadeError **err);
int api_exec_start(ApiRequest *req, LadeError **err);
int api_exec_resize(ApiRequest *req, LadeError **err);
int api_exec_inspect(ApiRequest *req, LadeError **err);
int api_container_inspect(ApiRequest *req, LadeError **err);
int api_container_top(ApiRequest *req, LadeError **err);
int api_container_start(ApiRequest *req, LadeError **err);
int api_container_stop(ApiRequest *req, LadeError **err);
int api_container_restart(ApiRequest *req, LadeError **err);
int api_container_kill(ApiRequest *req, LadeError **err);
int api_container_pause(ApiRequest *req, LadeError **err);
int api_container_rename(ApiRequest *req, LadeError **err);
int api_container_update(ApiRequest *req, LadeError **err);
int api_container_delete(ApiRequest *req, LadeError **err);
int api_container_resize(ApiRequest *req, LadeError **err);
int api_containers_prune(ApiRequest *req, LadeError **err);
int api_container_wait(ApiRequest *req, LadeError **err);
int api_container_logs(ApiRequest *req, LadeError **err);
int api_container_stats(ApiRequest *req, LadeError **err);
int api_container_attach(ApiRequest *req, LadeError **err);
int api_not_implemented(ApiRequest *req, LadeError **err);
int api_networks_list(ApiRequest *req, LadeError **err);
int api_network_inspect(ApiRequest *req, LadeError **err);
int api_networks_create(ApiRequest *req, LadeError **err);
int api_network_delete(ApiRequest *req, LadeError **err);
int api_networks_prune(ApiRequest *req, LadeError **err);
int api_network_connect(ApiRequest *req, LadeError **err);
int api_network_disconnect(ApiRequest *req, LadeError **err);
int api_images_list(ApiRequest *req, LadeError **err);
int api_image_inspect(ApiRequest *req, LadeError **err);
int api_image_history(ApiRequest *req, LadeError **err);
int api_image_tag(ApiRequest *req, LadeError **err);
int api_image_delete(ApiRequest *req, LadeError **err);
int api_images_prune(ApiRequest *req, LadeError **err);
int api_images_create(ApiRequest *req, LadeError **err);
int api_image_push(ApiRequest *req, LadeError **err);
int api_images_get(ApiRequest *req, LadeError **err);
int api_images_load(ApiRequest *req, LadeError **err);
/* Starts the job of a STREAM-body route when the request begins (load, import). */
int api_images_load_begin(ApiRequest *req, LadeError **err);
int api_images_create_begin(ApiRequest *req, LadeError **err);
int api_volumes_list(ApiRequest *req, LadeError **err);
int api_volumes_create(ApiRequest *req, LadeError **err);
int api_volume_inspect(ApiRequest *req, LadeError **err);
int api_volume_delete(ApiRequest *req, LadeError **err);
int api_volumes_prune(ApiRequest *req, LadeError **err);
int api_container_changes(ApiRequest *req, LadeError **err);
int api_container_export(ApiRequest *req, LadeError **err);
int api_container_archive(ApiRequest *req, LadeError **err);         /* GET and HEAD */
int api_container_archive_put(ApiRequest *req, LadeError **err);
int api_container_archive_put_begin(ApiRequest *req, LadeError **err);
int api_commit(ApiRequest *req, LadeError **err);
int api_build(ApiRequest *req, LadeError **err);
int api_build_begin(ApiRequest *req, LadeError **err);
int api_build_prune(ApiRequest *req, LadeError **err);

/* Docker's image summary (GET /images/json, /system/df) for API version 1.minor. */
json_t *api_image_summary_json(const ImageInfo *i, unsigned minor);
/* X-Registry-Auth: base64url JSON {username, password, …}; an unreadable one is anonymous, as
 * in Docker. The strings are owned by ret and wiped by api_registry_auth_done. */
typedef struct ApiRegistryAuth {
        char *user, *password;
        RegistryCredentials creds;
} ApiRegistryAuth;
int api_registry_auth_decode(const char *header, ApiRegistryAuth *ret);
void api_registry_auth_done(ApiRegistryAuth *a);

extern const ApiRoute api_routes[];
extern const size_t api_routes_n;

/* ---- TCP with TLS (api-tls.c) ---- */
int api_tls_listen(const char *address, int *ret, LadeError **err);
/* Reads the CA, certificate and key of o into s->tls_pem. */
int api_tls_load(ApiServer *s, const ApiServerOptions *o, LadeError **err);
/* A new TCP connection: its remote address; unknown until api_tls_peer_verify. */
void api_tls_peer_start(struct MHD_Connection *conn, ApiPeer *p);
/* At the connection's first request: known, with the CN, if the certificate verifies. */
void api_tls_peer_verify(struct MHD_Connection *conn, ApiPeer *p);

/* api-conns.c: the slow-client guard (a deadline per request head, a cap per local user). */
void api_conns_init(ApiServer *s);
void api_conn_opened(ApiServer *s, ApiPeer *p, int fd);
void api_conn_closed(ApiServer *s, ApiPeer *p);
/* begins: a request head arrived; else its answer ended (the next head's wait starts) */
void api_conn_request(ApiServer *s, ApiPeer *p, bool begins);
void api_conn_upgraded(ApiServer *s, ApiPeer *p);
/* Shuts down the connections past their head deadline (the server's tick). */
void api_conns_sweep(ApiServer *s);

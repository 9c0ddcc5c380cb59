/* The server: the unix socket, libmicrohttpd (a thread per connection, so long streams — pull
 * progress, events, logs -f, attach and exec — never hold up other clients), the peer's
 * credentials of every connection, and an orderly stop.
 *
 * What stays true:
 * - The socket is created by us (socket+bind+listen) with umask 0177, then given its group
 *   and mode 0660 before listen(): it is never reachable by others in between.
 * - SO_PEERCRED is read when a connection is accepted; a connection whose peer is unknown is
 *   denied everything.
 * - On SIGTERM/SIGINT: no new connections, requests in flight finish (event streams are told
 *   to end), workers are waited for, then the socket is removed. */
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "api-internal.h"
#include "containers.h"
#include "log.h"
#include "util.h"

enum MHD_Result api_on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                               const char *version, const char *upload_data, size_t *upload_data_size,
                               void **con_cls);
void api_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe);

/* A path that is a socket someone answers on is in use; a dead one is stale and replaced. */
static int socket_check_stale(const char *path, LadeError **err)
{
        struct stat st;
        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : lade_error(err, errno, "stat '%s'", path);
        if (!S_ISSOCK(st.st_mode))
                return lade_error_msg(err, EEXIST, "'%s' exists and is not a socket", path);
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        if (fd >= 0 && connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0)
                return lade_error_msg(err, EADDRINUSE, "another server is listening on '%s'", path);
        if (unlink(path) < 0 && errno != ENOENT)
                return lade_error(err, errno, "remove stale socket '%s'", path);
        return 0;
}

static int socket_open(const char *path, gid_t gid, int *ret, LadeError **err)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (!path || path[0] != '/')
                return lade_error_msg(err, EINVAL, "the socket path must be absolute");
        if (strlen(path) >= sizeof(sa.sun_path))
                return lade_error_msg(err, EINVAL, "socket path '%s' is longer than %zu bytes", path,
                                      sizeof(sa.sun_path) - 1);
        _cleanup_free_ char *copy = xstrdup(path);
        int r = mkdir_p(dirname(copy), 0711);
        if (r < 0)
                return lade_error(err, -r, "create the directory of '%s'", path);
        if ((r = socket_check_stale(path, err)) < 0)
                return r;
        memcpy(sa.sun_path, path, strlen(path) + 1);
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return lade_error(err, errno, "socket");
        mode_t old = umask(0177);
        r = bind(fd, (struct sockaddr *) &sa, sizeof(sa));
        umask(old);
        if (r < 0)
                return lade_error(err, errno, "bind '%s'", path);
        if (gid != (gid_t) -1 && (chown(path, 0, gid) < 0 || chmod(path, 0660) < 0)) {
                r = lade_error(err, errno, "set the group and mode of '%s'", path);
                (void) unlink(path);
                return r;
        }
        if (listen(fd, 128) < 0) {
                r = lade_error(err, errno, "listen on '%s'", path);
                (void) unlink(path);
                return r;
        }
        *ret = TAKE_FD(fd);
        return 0;
}

static void peer_read(int fd, ApiPeer *p)
{
        struct ucred uc;
        socklen_t len = sizeof(uc);
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0 || len != sizeof(uc))
                return;
        p->uid = uc.uid;
        p->gid = uc.gid;
        p->pid = uc.pid;
        /* the supplementary groups the peer had when it connected (Linux 4.13) */
        size_t cap = 64;
        for (;;) {
                gid_t *g = xmalloc(cap * sizeof(gid_t));
                socklen_t gl = (socklen_t) (cap * sizeof(gid_t));
                if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &gl) == 0) {
                        p->groups = g;
                        p->n_groups = gl / sizeof(gid_t);
                        break;
                }
                free(g);
                if (errno != ERANGE || cap >= API_PEER_GROUPS_MAX)
                        break;
                cap = gl / sizeof(gid_t) > cap ? gl / sizeof(gid_t) : cap * 2;
                if (cap > API_PEER_GROUPS_MAX)
                        cap = API_PEER_GROUPS_MAX;
        }
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/comm", (int) uc.pid);
        _cleanup_free_ char *comm = NULL;
        if (read_file_at(AT_FDCWD, path, 256, &comm, NULL, NULL) == 0) {
                comm[strcspn(comm, "\n")] = '\0';
                snprintf(p->comm, sizeof(p->comm), "%s", comm);
        }
        p->known = true;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
        if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
                ApiPeer *p = xmalloc0(sizeof(*p));
                const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
                if (ci)
                        peer_read(ci->connect_fd, p);
                api_conn_opened(cls, p, ci ? ci->connect_fd : -1);
                *socket_context = p;
        } else if (*socket_context) {
                ApiPeer *p = *socket_context;
                api_conn_closed(cls, p);
                free(p->groups);
                free(p);
                *socket_context = NULL;
        }
}

static void on_connection_tls(void *cls, struct MHD_Connection *conn, void **socket_context,
                              enum MHD_ConnectionNotificationCode toe)
{
        if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
                ApiPeer *p = xmalloc0(sizeof(*p));
                api_tls_peer_start(conn, p);
                const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
                api_conn_opened(cls, p, ci ? ci->connect_fd : -1);
                *socket_context = p;
        } else if (*socket_context) {
                api_conn_closed(cls, *socket_context);
                free(*socket_context);
                *socket_context = NULL;
        }
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
        if (log_get_level() < LOG_LEVEL_DEBUG)
                return;
        _cleanup_free_ char *msg = xvasprintf(fmt, ap);
        log_debug("microhttpd: %s", msg);
}

static ApiServer *server_free(ApiServer *s)
{
        if (!s)
                return NULL;
        api_execs_free(s);
        api_attach_in_flight_free(s);
        engine_pool_free(s->engines);
        authz_policy_free(s->policy);
        api_audit_free(s->audit);
        safe_close(s->stop_fd);
        strv_free(s->insecure);
        for (size_t i = 0; i < ELEMENTSOF(s->tls_pem); i++)
                free(s->tls_pem[i]);
        free(s->root);
        pthread_mutex_destroy(&s->lock);
        pthread_mutex_destroy(&s->conns_lock);
        pthread_cond_destroy(&s->cond);
        free(s);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(ApiServer *, server_free)

static int server_new(const ApiServerOptions *o, ApiServer **ret, LadeError **err)
{
        _cleanup_(server_freep) ApiServer *s = xmalloc0(sizeof(*s));
        pthread_mutex_init(&s->lock, NULL);
        pthread_mutex_init(&s->conns_lock, NULL);
        api_conns_init(s);
        pthread_cond_init(&s->cond, NULL);
        const char *root = o->root ? o->root : getenv("LADE_ROOT");
        s->root = xstrdup(root && *root ? root : "/var/lib/lade");
        s->insecure = o->insecure_registries ? strv_copy(o->insecure_registries) : NULL;
        s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (s->stop_fd < 0)
                return lade_error(err, errno, "eventfd");
        int r = o->authz_file ? authz_policy_load(o->authz_file, &s->policy, err) : 0;
        if (r < 0)
                return r;
        if (!s->policy)
                s->policy = authz_policy_default(o->socket_gid);
        if (o->audit_log && (r = api_audit_open(o->audit_log, o->audit_max_size, &s->audit, err)) < 0)
                return r;
        if (o->tcp_address && (r = api_tls_load(s, o, err)) < 0)
                return r;
        /* the state root must open before we accept anyone; this open also removes stale
         * layer dirs, which the pool's opens then skip */
        _cleanup_(engine_freep) Engine *e = NULL;
        if ((r = api_engine_open(s, NULL, NULL, NULL, &e, err)) < 0)
                return r;
        EngineOptions eo = api_engine_options(s);
        s->engines = engine_pool_new(&eo, API_ENGINES_IDLE_MAX);
        *ret = TAKE_PTR(s);
        return 0;
}

static int daemon_start(ApiServer *s, int fd, bool tls, LadeError **err)
{
        unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ITC |
                         MHD_USE_POLL | MHD_USE_ERROR_LOG | MHD_ALLOW_UPGRADE | (tls ? MHD_USE_TLS : 0);
        struct MHD_OptionItem tls_opts[] = {
                { MHD_OPTION_HTTPS_MEM_TRUST, 0, s->tls_pem[0] },
                { MHD_OPTION_HTTPS_MEM_CERT, 0, s->tls_pem[1] },
                { MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_pem[2] },
                { MHD_OPTION_END, 0, NULL },
        };
        struct MHD_Daemon *d = MHD_start_daemon(
                flags, 0, NULL, NULL, api_on_request, s,
                MHD_OPTION_LISTEN_SOCKET, fd,
                MHD_OPTION_ARRAY, tls ? tls_opts : &tls_opts[3],
                MHD_OPTION_NOTIFY_COMPLETED, api_on_completed, s,
                MHD_OPTION_NOTIFY_CONNECTION, tls ? on_connection_tls : on_connection, s,
                MHD_OPTION_CONNECTION_LIMIT, (unsigned) API_CONNECTIONS_MAX,
                MHD_OPTION_CONNECTION_TIMEOUT, API_CONNECTION_TIMEOUT_S,
                /* request line and headers: 32 KiB, the most libmicrohttpd takes from malloc;
                 * a bigger pool is mmap'd and munmap'd per connection, and the TLB shootdown
                 * that costs made every request ~50 us slower */
                MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) (32 * 1024),
                MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
                /* as Go's net/http (dockerd): 400 for HTTP/1.1 without Host, and for spaces in
                 * the request line's URL */
                MHD_OPTION_STRICT_FOR_CLIENT, 1,
                MHD_OPTION_END);
        if (!d)
                return lade_error_msg(err, EIO, tls ? "cannot start the HTTPS server (libmicrohttpd; is the key "
                                                      "the certificate's, and are the files valid PEM?)"
                                                    : "cannot start the HTTP server (libmicrohttpd)");
        *(tls ? &s->mhd_tls : &s->mhd) = d;
        return 0;
}

/* Waits (bounded) until no request is in flight and no worker is alive. */
static void server_drain(ApiServer *s)
{
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += API_SHUTDOWN_GRACE_S;
        pthread_mutex_lock(&s->lock);
        while ((s->requests > 0 || s->jobs > 0) &&
               pthread_cond_timedwait(&s->cond, &s->lock, &until) == 0)
                ;
        if (s->requests > 0 || s->jobs > 0)
                log_warning("stopping with %u request(s) and %u job(s) still running", s->requests, s->jobs);
        pthread_mutex_unlock(&s->lock);
}

/* What a burst of requests left behind, given back once the server has been idle for a second:
 * the idle Engines (their connections, page caches, and the fds SQLite kept open of the
 * connections closed meanwhile, see engine_pool_trim), then the allocator's free pages (glibc
 * keeps them otherwise). Nothing is done while requests come, or when none came; Engines in
 * use (a long stream's) are not touched. */
static void idle_trim(ApiServer *s, uint64_t *seen, uint64_t *trimmed)
{
        pthread_mutex_lock(&s->lock);
        uint64_t served = s->served;
        pthread_mutex_unlock(&s->lock);
        /* (streams in flight, e.g. `docker events`, do not count: only new requests; an Engine
         * given back after the last trim, by a stream that ended since, is trimmed again) */
        bool idle = served == *seen && (served != *trimmed || engine_pool_n_idle(s->engines) > 0);
        *seen = served;
        if (!idle)
                return;
        engine_pool_trim(s->engines);
        engine_monitor_zygote_stop();
        (void) malloc_trim(0);
        *trimmed = served;
}

static int wait_for_signal(ApiServer *s, const sigset_t *set)
{
        uint64_t seen = 0, trimmed = 0;
        for (;;) {
                struct timespec tick = { .tv_sec = 1 };
                int sig = sigtimedwait(set, NULL, &tick);
                if (sig > 0)
                        return sig;
                if (errno != EAGAIN)
                        continue;
                api_execs_reap(s);
                api_conns_sweep(s);
                idle_trim(s, &seen, &trimmed);
        }
}

int api_server_run(const ApiServerOptions *o, LadeError **err)
{
        sigset_t stop, old;
        sigemptyset(&stop);
        sigaddset(&stop, SIGTERM);
        sigaddset(&stop, SIGINT);
        sigaddset(&stop, SIGPIPE);
        /* every thread created from here on inherits the mask: the signals come to sigwait */
        pthread_sigmask(SIG_BLOCK, &stop, &old);
        sigdelset(&stop, SIGPIPE);
        /* a thread per connection: glibc would make up to 8 arenas per CPU, each keeping its
         * free pages; two serve the load test as well (63-api-load) */
        (void) mallopt(M_ARENA_MAX, API_MALLOC_ARENAS);
        _cleanup_(server_freep) ApiServer *s = NULL;
        _cleanup_close_ int fd = -EBADF, tcp_fd = -EBADF;
        int r = server_new(o, &s, err);
        if (r == 0 && !o->socket_path && !o->tcp_address)
                r = lade_error_msg(err, EINVAL, "nothing to listen on");
        if (r == 0 && o->tcp_address && (r = api_tls_listen(o->tcp_address, &tcp_fd, err)) == 0 &&
            (r = daemon_start(s, tcp_fd, true, err)) == 0)
                tcp_fd = -EBADF;   /* MHD's now */
        if (r == 0 && o->socket_path && (r = socket_open(o->socket_path, o->socket_gid, &fd, err)) == 0) {
                if ((r = daemon_start(s, fd, false, err)) < 0)
                        (void) unlink(o->socket_path);
                else
                        fd = -EBADF;
        }
        if (r < 0) {
                if (s && s->mhd_tls)
                        MHD_stop_daemon(s->mhd_tls);
                pthread_sigmask(SIG_SETMASK, &old, NULL);
                return r;
        }
        if (o->ready && o->socket_path)
                o->ready(o->userdata, o->socket_path);
        if (o->ready && o->tcp_address) {
                _cleanup_free_ char *where = xasprintf("tcp://%s (TLS, client certificates)", o->tcp_address);
                o->ready(o->userdata, where);
        }
        int sig = wait_for_signal(s, &stop);
        log_debug("signal %d: stopping", sig);
        /* stop accepting: the socket goes first, so clients fail fast instead of queueing */
        if (o->socket_path)
                (void) unlink(o->socket_path);
        if (s->mhd)
                safe_close(MHD_quiesce_daemon(s->mhd));
        if (s->mhd_tls)
                safe_close(MHD_quiesce_daemon(s->mhd_tls));
        uint64_t one = 1;
        (void) write(s->stop_fd, &one, sizeof(one));
        server_drain(s);
        if (s->mhd)
                MHD_stop_daemon(s->mhd);
        if (s->mhd_tls)
                MHD_stop_daemon(s->mhd_tls);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        return 0;
}

/* Hijacked connections: `POST /containers/{id}/attach` and `POST /exec/{id}/start` answer 101
 * with `Upgrade: tcp` and then carry raw bytes both ways — stdin from the client, the
 * container's output to it (Docker's 8-byte multiplex header per chunk without a tty).
 *
 * What stays true:
 * - The container's stdio goes through pipes we own (the monitor writes into them), so a client
 *   that leaves is noticed here (POLLHUP on the socket) even when the container is silent, and
 *   everything is closed: the monitor drops our attach when its control socket closes.
 * - An attach that comes before the start (`docker run`: attach, wait, start) waits in the
 *   server's pending list; the start hands it the monitor connection made with its stdio, so
 *   the stream sees the container's first byte.
 * - Streams end when the server stops (they are counted as jobs). */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api-internal.h"
#include "containers.h"
#include "json-util.h"
#include "util.h"

typedef struct Upgrade {
        ApiServer *server;
        ApiStreamFn fn;
        void *userdata;
        void (*free_userdata)(void *);
} Upgrade;

static void upgrade_free(Upgrade *u)
{
        if (u->free_userdata)
                u->free_userdata(u->userdata);
        free(u);
}

static void job_count(ApiServer *s, int delta)
{
        pthread_mutex_lock(&s->lock);
        s->jobs = (unsigned) ((int) s->jobs + delta);
        pthread_cond_broadcast(&s->cond);
        pthread_mutex_unlock(&s->lock);
}

static void run_upgraded(Upgrade *u, MHD_socket sock, const char *extra_in, size_t extra_in_size,
                         struct MHD_UpgradeResponseHandle *urh, int tls_raw)
{
        ApiStream st = { .server = u->server, .sock = sock, .extra = extra_in, .extra_len = extra_in_size,
                         .tls_raw = tls_raw };
        /* blocking I/O from here on (MHD made the socket non-blocking) */
        int fl = fcntl(sock, F_GETFL);
        if (fl >= 0)
                (void) fcntl(sock, F_SETFL, fl & ~O_NONBLOCK);
        u->fn(&st, u->userdata);
        (void) shutdown(sock, SHUT_RDWR);
        (void) MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
        ApiServer *s = u->server;
        upgrade_free(u);
        job_count(s, -1);
}

/* Over TLS, sock is our end of a socket pair whose other end the connection's thread pumps
 * through GnuTLS once this callback returns: the stream runs in a thread of its own. */
typedef struct UpgradedTls {
        Upgrade *u;
        MHD_socket sock;
        char *extra;
        size_t extra_len;
        struct MHD_UpgradeResponseHandle *urh;
        int raw;
} UpgradedTls;

static void *upgraded_tls_thread(void *arg)
{
        UpgradedTls *t = arg;
        run_upgraded(t->u, t->sock, t->extra, t->extra_len, t->urh, t->raw);
        free(t->extra);
        free(t);
        return NULL;
}

/* Called by MHD in the connection's thread (thread-per-connection mode: it may block, unless
 * the connection is TLS). */
static void on_upgraded(void *cls, struct MHD_Connection *conn, void *con_cls, const char *extra_in,
                        size_t extra_in_size, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
        Upgrade *u = cls;
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
        if (!ci || !ci->tls_session) {
                run_upgraded(u, sock, extra_in, extra_in_size, urh, -1);
                return;
        }
        UpgradedTls *t = xmalloc0(sizeof(*t));
        const union MHD_ConnectionInfo *fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        *t = (UpgradedTls){ .u = u, .sock = sock, .extra_len = extra_in_size, .urh = urh,
                            .raw = fd ? fd->connect_fd : -1,
                            .extra = extra_in_size ? xstrndup(extra_in, extra_in_size) : NULL };
        pthread_t th;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&th, &attr, upgraded_tls_thread, t) != 0) {
                free(t->extra);
                free(t);
                (void) MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
                ApiServer *s = u->server;
                upgrade_free(u);
                job_count(s, -1);
        }
        pthread_attr_destroy(&attr);
}

int api_respond_upgrade(ApiRequest *req, const char *content_type, ApiStreamFn fn, void *userdata,
                        void (*free_userdata)(void *))
{
        Upgrade *u = xmalloc0(sizeof(*u));
        *u = (Upgrade){ .server = req->server, .fn = fn, .userdata = userdata, .free_userdata = free_userdata };
        const char *up = api_header(req, "Upgrade");
        if (!up || !*up) {
                upgrade_free(u);
                return api_respond_error(req, 400, "this endpoint needs a hijacked connection (Upgrade: tcp)");
        }
        struct MHD_Response *resp = MHD_create_response_for_upgrade(on_upgraded, u);
        if (!resp) {
                upgrade_free(u);
                return api_respond_error(req, 500, "cannot create a response");
        }
        MHD_add_response_header(resp, MHD_HTTP_HEADER_UPGRADE, "tcp");
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
        (void) MHD_set_connection_option(req->conn, MHD_CONNECTION_OPTION_TIMEOUT, 0u);
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        if (ci && ci->socket_context)
                api_conn_upgraded(req->server, ci->socket_context);
        job_count(req->server, +1);
        int r = api_respond(req, 101, resp);
        if (r < 0) {
                /* never called back: the count and u are ours to undo */
                job_count(req->server, -1);
        }
        return r;
}

/* ---- the copy loop ---- */

static bool copy_out(ApiPump *p, int *fd, int stream)
{
        char buf[32768];
        ssize_t n = read(*fd, buf, sizeof(buf));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return true;
        if (n <= 0) {
                /* EOF, or EIO from a pty master whose slave closed */
                *fd = safe_close(*fd);
                return true;
        }
        return api_write_frame(p->st->sock, p->tty, stream, buf, (size_t) n) == 0;
}

static void copy_in(ApiPump *p, bool *in_open)
{
        char buf[32768];
        ssize_t n = read(p->st->sock, buf, sizeof(buf));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return;
        if (n <= 0 || (p->in_w >= 0 && write_all(p->in_w, buf, (size_t) n) < 0)) {
                /* the client closed its side (stdin EOF): so does the process's stdin */
                *in_open = false;
                p->in_w = safe_close(p->in_w);
        }
}

/* TLS only: the client half-closed its TCP connection and every byte it sent has reached us
 * (nothing left in the TCP socket, nothing more on ours for a moment): its stdin has ended. */
static bool tls_input_ended(ApiPump *p, bool rdhup, bool quiet)
{
        int pending = 0;
        return rdhup && quiet && ioctl(p->st->tls_raw, FIONREAD, &pending) == 0 && pending == 0;
}

int api_pump(ApiPump *p, int *ret_status)
{
        bool in_open = true, ended = false, rdhup = false;
        int64_t drain_until = 0;
        if (p->st->extra_len > 0 && p->in_w >= 0)
                (void) write_all(p->in_w, p->st->extra, p->st->extra_len);
        for (;;) {
                if (ended && p->out_r < 0 && p->err_r < 0)
                        break;
                int timeout = -1;
                if (ended) {
                        int64_t left = (drain_until - (int64_t) now_ns()) / 1000000;
                        if (left <= 0)
                                break;
                        timeout = (int) left;
                }
                if (rdhup && in_open && (timeout < 0 || timeout > 50))
                        timeout = 50;
                struct pollfd f[6] = {
                        { .fd = p->st->sock, .events = in_open ? POLLIN : 0 },
                        { .fd = p->out_r, .events = POLLIN },
                        { .fd = p->err_r, .events = POLLIN },
                        { .fd = ended ? -1 : p->event_fd, .events = POLLIN },
                        { .fd = p->st->server->stop_fd, .events = POLLIN },
                        { .fd = in_open && !rdhup ? p->st->tls_raw : -1, .events = POLLRDHUP },
                };
                int n = poll(f, 6, timeout);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 || f[4].revents)
                        return 0;
                /* the client is gone (a half-close is only the end of its stdin) */
                if (f[0].revents & (POLLHUP | POLLERR | POLLNVAL))
                        return 0;
                if (f[1].revents && !copy_out(p, &p->out_r, 1))
                        return 0;
                if (f[2].revents && !copy_out(p, &p->err_r, 2))
                        return 0;
                if (f[0].revents & POLLIN)
                        copy_in(p, &in_open);
                if (f[5].revents & (POLLRDHUP | POLLHUP))
                        rdhup = true;
                if (in_open && tls_input_ended(p, rdhup, !(f[0].revents & POLLIN))) {
                        in_open = false;
                        p->in_w = safe_close(p->in_w);
                }
                if (f[3].revents) {
                        int r = p->event(p->userdata, ret_status);
                        if (r < 0)
                                return 0;
                        if (r > 0) {
                                ended = true;
                                drain_until = (int64_t) now_ns() + (int64_t) p->drain_ms * 1000000;
                        }
                }
        }
        return 1;
}

/* ---- attach ---- */

struct ApiPendingAttach {
        ApiPendingAttach *next;
        char id[65];
        AttachStdio io;
        int wake;                     /* eventfd: the start happened (handle set) */
        bool claimed, done;           /* a start uses io (the stream may not leave meanwhile) */
        EngineAttach *handle;
};

typedef struct ApiAttachInFlight {
        struct ApiAttachInFlight *next;
        uint64_t token;
        char id[65];
        uint64_t since_ns;
} ApiAttachInFlight;

typedef struct Attach {
        ApiServer *server;
        char id[65];
        bool tty, in, out, err;
        bool logs, stream;            /* logs=1: the json-file log first; stream=0: nothing live */
        char *detach_keys;
        uint64_t token;               /* its in-flight entry, 0: none */
} Attach;

/* Under s->lock: drops token's entry (0: none) and the ones too old to wait for. */
static void in_flight_drop(ApiServer *s, uint64_t token)
{
        uint64_t now = now_ns();
        for (ApiAttachInFlight **pp = &s->in_flight; *pp;) {
                ApiAttachInFlight *f = *pp;
                if (f->token == token || now - f->since_ns > (uint64_t) API_ATTACH_IN_FLIGHT_MS * 1000000) {
                        *pp = f->next;
                        free(f);
                } else
                        pp = &f->next;
        }
        pthread_cond_broadcast(&s->cond);
}

static bool in_flight_has(ApiServer *s, const char *id)
{
        in_flight_drop(s, 0);
        for (ApiAttachInFlight *f = s->in_flight; f; f = f->next)
                if (streq(f->id, id))
                        return true;
        return false;
}

static void attach_done_in_flight(Attach *a)
{
        if (!a->token)
                return;
        pthread_mutex_lock(&a->server->lock);
        in_flight_drop(a->server, a->token);
        pthread_mutex_unlock(&a->server->lock);
        a->token = 0;
}

static void attach_free(void *p)
{
        Attach *a = p;
        attach_done_in_flight(a);
        free(a->detach_keys);
        free(a);
}

void api_attach_in_flight_free(ApiServer *s)
{
        while (s->in_flight) {
                ApiAttachInFlight *f = s->in_flight;
                s->in_flight = f->next;
                free(f);
        }
}

int api_attach_start_pending(ApiServer *s, Engine *e, const char *id, LadeError **err)
{
        pthread_mutex_lock(&s->lock);
        ApiPendingAttach *pa;
        for (;;) {
                pa = s->pending;
                while (pa && (!streq(pa->id, id) || pa->claimed))
                        pa = pa->next;
                /* an attach on its way (answered, its stream not registered yet) is waited for */
                if (pa || !in_flight_has(s, id))
                        break;
                struct timespec until;
                clock_gettime(CLOCK_REALTIME, &until);
                until.tv_nsec += 50 * 1000000;
                if (until.tv_nsec >= 1000000000) {
                        until.tv_sec++;
                        until.tv_nsec -= 1000000000;
                }
                (void) pthread_cond_timedwait(&s->cond, &s->lock, &until);
        }
        if (pa) {
                pa->claimed = true;
                pa->done = false;
        }
        pthread_mutex_unlock(&s->lock);
        if (!pa)
                return 0;
        /* not under the lock (a start takes a while); the stream waits for done before it
         * leaves, so pa and its fds stay valid */
        EngineAttach *h = NULL;
        int r = engine_container_start_attach(e, id, &pa->io, &h, NULL, err);
        pthread_mutex_lock(&s->lock);
        pa->handle = h;
        pa->done = true;
        if (r >= 0) {
                uint64_t one = 1;
                (void) !write(pa->wake, &one, sizeof(one));
        } else
                pa->claimed = false;   /* another start may try again */
        pthread_cond_broadcast(&s->cond);
        pthread_mutex_unlock(&s->lock);
        return r < 0 ? r : 1;
}

static void pending_remove(ApiServer *s, ApiPendingAttach *pa)
{
        pthread_mutex_lock(&s->lock);
        while (pa->claimed && !pa->done)
                pthread_cond_wait(&s->cond, &s->lock);
        for (ApiPendingAttach **pp = &s->pending; *pp; pp = &(*pp)->next)
                if (*pp == pa) {
                        *pp = pa->next;
                        break;
                }
        pthread_mutex_unlock(&s->lock);
}

static bool container_active(Engine *e, const char *id)
{
        json_t *doc = NULL;
        if (engine_container_inspect(e, id, &doc, NULL) < 0)
                return false;
        const char *st = json_string_value(json_object_get(json_object_get(doc, "State"), "Status"));
        bool yes = st && (streq(st, "running") || streq(st, "restarting"));
        json_decref(doc);
        return yes;
}

/* Waits for the container's start (by a start request, or by anyone: then attach to it). */
static EngineAttach *attach_wait_start(ApiStream *st, Engine *e, Attach *a, const AttachStdio *io)
{
        ApiPendingAttach pa = { .io = *io, .wake = eventfd(0, EFD_CLOEXEC) };
        snprintf(pa.id, sizeof(pa.id), "%s", a->id);
        pthread_mutex_lock(&st->server->lock);
        pa.next = st->server->pending;
        st->server->pending = &pa;
        pthread_mutex_unlock(&st->server->lock);
        attach_done_in_flight(a);
        EngineAttach *h = NULL;
        for (;;) {
                /* events 0: only a full close (POLLHUP) counts, a half-close is stdin ending */
                struct pollfd f[3] = { { .fd = st->sock, .events = 0 }, { .fd = pa.wake, .events = POLLIN },
                                       { .fd = st->server->stop_fd, .events = POLLIN } };
                int n = poll(f, 3, 500);
                if (n < 0 && errno != EINTR)
                        break;
                if (f[0].revents || f[2].revents)
                        break;
                if (f[1].revents)
                        break;
                if (n == 0 && container_active(e, a->id) &&
                    engine_container_attach_open(e, a->id, io, &h, NULL) == 0)
                        break;
        }
        pending_remove(st->server, &pa);
        safe_close(pa.wake);
        if (pa.handle)
                return pa.handle;
        return h;
}

static int attach_event(void *ud, int *ret_status)
{
        void **args = ud;
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        return engine_attach_process(args[0], args[1], ret_status, &err);
}

typedef struct AttachLogs {
        int sock;
        bool tty;
} AttachLogs;

static int attach_log_line(const char *stream, int64_t ns, const char *line, size_t len, void *ud)
{
        AttachLogs *l = ud;
        return api_write_frame(l->sock, l->tty, streq(stream, "stderr") ? 2 : 1, line, len);
}

/* logs=1: what the container wrote so far, as dockerd replays its log before the live output */
static void attach_replay_logs(ApiStream *st, Engine *e, Attach *a)
{
        AttachLogs l = { st->sock, a->tty };
        LogsOptions o = { .stdout_ = a->out, .stderr_ = a->err && !a->tty, .tail = -1, .cancel_fd = -1 };
        if (a->tty)
                o.stderr_ = a->err;
        (void) engine_container_logs(e, a->id, &o, attach_log_line, &l, NULL);
}

static void attach_stream(ApiStream *st, void *ud)
{
        Attach *a = ud;
        _cleanup_(engine_freep) Engine *e = NULL;
        if (api_engine_open(st->server, NULL, NULL, NULL, &e, NULL) < 0)
                return;
        if (a->logs)
                attach_replay_logs(st, e, a);
        if (!a->stream) {
                attach_done_in_flight(a);
                return;
        }
        int in[2] = { -1, -1 }, out[2] = { -1, -1 }, er[2] = { -1, -1 };
        if ((a->in && pipe2(in, O_CLOEXEC) < 0) || (a->out && pipe2(out, O_CLOEXEC) < 0) ||
            (a->err && !a->tty && pipe2(er, O_CLOEXEC) < 0))
                goto out;
        AttachStdio io = { .in = in[0], .out = out[1], .err = er[1], .detach_keys = a->detach_keys };
        EngineAttach *h = NULL;
        if (container_active(e, a->id)) {
                attach_done_in_flight(a);
                (void) engine_container_attach_open(e, a->id, &io, &h, NULL);
        } else
                h = attach_wait_start(st, e, a, &io);
        /* the monitor has its copies now */
        in[0] = safe_close(in[0]);
        out[1] = safe_close(out[1]);
        er[1] = safe_close(er[1]);
        if (!h)
                goto out;
        void *args[2] = { e, h };
        ApiPump p = { .st = st, .tty = a->tty, .in_w = in[1], .out_r = out[0], .err_r = er[0],
                      .event_fd = engine_attach_fd(h), .event = attach_event, .userdata = args, .drain_ms = 2000 };
        int status;
        (void) api_pump(&p, &status);
        in[1] = p.in_w;
        out[0] = p.out_r;
        er[0] = p.err_r;
        engine_attach_free(h);
out:
        for (int i = 0; i < 2; i++) {
                safe_close(in[i]);
                safe_close(out[i]);
                safe_close(er[i]);
        }
}

int api_container_attach(ApiRequest *req, LadeError **err)
{
        _cleanup_(engine_freep) Engine *e = NULL;
        Attach *a = xmalloc0(sizeof(*a));
        int r = api_engine(req, &e, err);
        if (r == 0)
                r = engine_container_lookup(e, req->name, a->id, err);
        if (r < 0) {
                free(a);
                return r;
        }
        a->server = req->server;
        a->tty = api_container_tty(e, a->id);
        a->in = api_query_bool(req, "stdin");
        a->out = api_query_bool(req, "stdout");
        a->err = api_query_bool(req, "stderr");
        a->logs = api_query_bool(req, "logs");
        a->stream = api_query_bool(req, "stream");
        const char *keys = api_query(req, "detachKeys");
        a->detach_keys = keys ? xstrdup(keys) : NULL;
        /* the client may send its start as soon as it reads our 101: a start waits for this
         * stream to register (at most API_ATTACH_IN_FLIGHT_MS) */
        ApiAttachInFlight *f = xmalloc0(sizeof(*f));
        snprintf(f->id, sizeof(f->id), "%s", a->id);
        f->since_ns = now_ns();
        pthread_mutex_lock(&req->server->lock);
        f->token = a->token = ++req->server->next_token;
        f->next = req->server->in_flight;
        req->server->in_flight = f;
        pthread_mutex_unlock(&req->server->lock);
        return api_respond_upgrade(req, api_stream_content_type(req, a->tty), attach_stream, a, attach_free);
}

int api_not_implemented(ApiRequest *req, LadeError **err)
{
        return api_respond_error(req, 501, "%s %s is not implemented by lade serve yet", req->method, req->path);
}

/* The container monitor: one process per started container, forked by whoever starts it and
 * living in its own session, so killing the CLI never kills the container. It owns the
 * container's stdio (pipes, or the pty master), writes the json-file log, serves attach clients
 * on <dir>/attach.sock (their stdio fds arrive over SCM_RIGHTS and are written to directly),
 * records start and exit in lade.db, applies the restart policy with Docker's back-off, and does
 * the --rm cleanup. It never uses the database connections it inherited (SQLite connections
 * must not cross fork()): it opens its own. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "containers-internal.h"
#include "image-db.h"
#include "network.h"
#include "json-util.h"
#include "util.h"

#define MAX_CLIENTS 64

typedef struct Client {
        int sock;
        int in, out, err;        /* -EBADF when not attached */
        char keys[16];           /* detach key sequence */
        size_t n_keys, matched;
} Client;

typedef struct Monitor {
        Ctr *c;
        RuntimeContext rt;
        int listen_fd, dirfd;
        Client clients[MAX_CLIENTS];
        size_t n_clients;
        int out_r, err_r, in_w;  /* with a tty: out_r is the master, in_w a dup of it */
        bool tty, open_stdin, stdin_once;
        LogWriter *log;
        pid_t pid;
        int pidfd;
        unsigned short rows, cols;
} Monitor;

int mon_send(int fd, const MonMsg *m, const int *fds, size_t n_fds)
{
        union {
                char buf[CMSG_SPACE(3 * sizeof(int))];
                struct cmsghdr align;
        } u;
        struct iovec iov = { .iov_base = (void *) m, .iov_len = sizeof(*m) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        if (n_fds > 0) {
                memset(&u, 0, sizeof(u));
                mh.msg_control = u.buf;
                mh.msg_controllen = CMSG_SPACE(n_fds * sizeof(int));
                struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(n_fds * sizeof(int));
                memcpy(CMSG_DATA(cm), fds, n_fds * sizeof(int));
        }
        ssize_t n;
        do
                n = sendmsg(fd, &mh, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        return n < 0 ? -errno : 0;
}

int mon_recv(int fd, MonMsg *m, int fds[3])
{
        union {
                char buf[CMSG_SPACE(3 * sizeof(int))];
                struct cmsghdr align;
        } u;
        struct iovec iov = { .iov_base = m, .iov_len = sizeof(*m) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                             .msg_controllen = sizeof(u.buf) };
        for (int i = 0; i < 3; i++)
                fds[i] = -EBADF;
        memset(m, 0, sizeof(*m));
        ssize_t n;
        do
                n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
                if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
                        size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                        memcpy(fds, CMSG_DATA(cm), (k > 3 ? 3 : k) * sizeof(int));
                        for (size_t i = 3; i < k; i++)
                                close(((int *) CMSG_DATA(cm))[i]);
                }
        if (n == 0)
                return 0;
        if ((size_t) n != sizeof(*m)) {
                for (int i = 0; i < 3; i++)
                        fds[i] = safe_close(fds[i]);
                return -EBADMSG;
        }
        m->text[sizeof(m->text) - 1] = 0;
        return 0;
}

void mon_socket_path(int dirfd, char buf[static 64])
{
        snprintf(buf, 64, "/proc/self/fd/%d/attach.sock", dirfd);
}

/* "ctrl-p,ctrl-q" -> "\x10\x11" (Docker's term.ToBytes). */
static size_t parse_detach_keys(const char *s, char out[16])
{
        if (!s)
                s = "ctrl-p,ctrl-q";
        size_t n = 0;
        _cleanup_free_ char *copy = xstrdup(s);
        char *save = NULL;
        for (char *k = strtok_r(copy, ",", &save); k && n < 16; k = strtok_r(NULL, ",", &save)) {
                if (strlen(k) == 1)
                        out[n++] = k[0];
                else if (startswith(k, "ctrl-") && strlen(k) == 6) {
                        char ch = k[5];
                        if (ch >= 'a' && ch <= 'z')
                                out[n++] = (char) (ch - 'a' + 1);
                        else if (ch == '@')
                                out[n++] = 0;
                        else if (ch >= '[' && ch <= '_')
                                out[n++] = (char) (ch - '[' + 27);
                }
        }
        return n;
}

static void client_drop(Monitor *m, size_t i)
{
        Client *cl = &m->clients[i];
        safe_close(cl->sock);
        safe_close(cl->in);
        safe_close(cl->out);
        safe_close(cl->err);
        m->clients[i] = m->clients[--m->n_clients];
}

static void client_add(Monitor *m, int sock)
{
        if (m->n_clients >= MAX_CLIENTS) {
                close(sock);
                return;
        }
        m->clients[m->n_clients++] = (Client) { .sock = sock, .in = -EBADF, .out = -EBADF, .err = -EBADF };
}

static void apply_size(Monitor *m)
{
        if (!m->tty || m->in_w < 0 || m->rows == 0)
                return;
        struct winsize ws = { .ws_row = m->rows, .ws_col = m->cols };
        (void) ioctl(m->in_w, TIOCSWINSZ, &ws);
}

static void close_stdin(Monitor *m)
{
        if (!m->tty)
                m->in_w = safe_close(m->in_w);
}

/* One control message from client i; false drops the client. */
static bool client_message(Monitor *m, size_t i)
{
        Client *cl = &m->clients[i];
        MonMsg msg;
        int fds[3];
        if (mon_recv(cl->sock, &msg, fds) < 0 || msg.type == 0)
                return false;
        switch (msg.type) {
        case MON_ATTACH:
                cl->in = (msg.flags & MON_F_STDIN) ? fds[0] : safe_close(fds[0]);
                cl->out = (msg.flags & MON_F_STDOUT) ? fds[1] : safe_close(fds[1]);
                cl->err = (msg.flags & MON_F_STDERR) ? fds[2] : safe_close(fds[2]);
                cl->n_keys = parse_detach_keys((msg.flags & MON_F_KEYS) ? msg.text : NULL, cl->keys);
                if (msg.rows) {
                        m->rows = msg.rows;
                        m->cols = msg.cols;
                        apply_size(m);
                }
                if (cl->in >= 0 && !m->open_stdin && !m->tty)
                        cl->in = safe_close(cl->in);
                return true;
        case MON_RESIZE:
                m->rows = msg.rows;
                m->cols = msg.cols;
                apply_size(m);
                return true;
        case MON_SIGNAL:
                if (m->pid > 0 && msg.value > 0)
                        (void) kill(m->pid, msg.value);
                return true;
        default:
                for (int k = 0; k < 3; k++)
                        safe_close(fds[k]);
                return true;
        }
}

/* Client i's stdin: to the container, watching for the detach keys; false drops the client. */
static bool client_stdin(Monitor *m, size_t i)
{
        Client *cl = &m->clients[i];
        char buf[8192], out[8192 + 16];
        ssize_t n = read(cl->in, buf, sizeof(buf));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return true;
        if (n <= 0) {
                cl->in = safe_close(cl->in);
                if (m->stdin_once)
                        close_stdin(m);
                return true;
        }
        size_t o = 0;
        for (ssize_t k = 0; k < n; k++) {
                if (cl->n_keys && buf[k] == cl->keys[cl->matched]) {
                        if (++cl->matched == cl->n_keys) {
                                MonMsg d = { .type = MON_DETACHED };
                                (void) mon_send(cl->sock, &d, NULL, 0);
                                return false;
                        }
                        continue;
                }
                /* a partial match that broke: the held-back bytes go through */
                memcpy(out + o, cl->keys, cl->matched);
                o += cl->matched;
                cl->matched = 0;
                out[o++] = buf[k];
        }
        if (o > 0 && m->in_w >= 0 && write_all(m->in_w, out, o) < 0 && !m->tty)
                close_stdin(m);
        return true;
}

/* Output of the container: to the log and to every attached client. Returns the bytes read,
 * 0 at EOF, negative errno. */
static ssize_t pump_output(Monitor *m, int fd, bool is_err)
{
        char buf[16384];
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0)
                return -errno;
        if (n == 0)
                return 0;
        if (m->log)
                log_writer_write(m->log, is_err ? "stderr" : "stdout", buf, (size_t) n);
        for (size_t i = 0; i < m->n_clients;) {
                int to = is_err ? m->clients[i].err : m->clients[i].out;
                if (to >= 0 && write_all(to, buf, (size_t) n) < 0) {
                        client_drop(m, i);
                        continue;
                }
                i++;
        }
        return n;
}

/* EOF or an error (EIO on a pty whose slave closed) ends a stream; EAGAIN/EINTR do not. */
static void pump_or_close(Monitor *m, int *fd, bool is_err)
{
        ssize_t n = pump_output(m, *fd, is_err);
        if (n == 0 || (n < 0 && n != -EAGAIN && n != -EINTR)) {
                if (m->tty)
                        *fd = -EBADF; /* the master: in_w holds it, closed in close_stdio() */
                else
                        *fd = safe_close(*fd);
        }
}

static void drain(Monitor *m, int *fd, bool is_err)
{
        if (*fd < 0)
                return;
        (void) fcntl(*fd, F_SETFL, O_NONBLOCK);
        while (pump_output(m, *fd, is_err) > 0)
                ;
}

static void accept_client(Monitor *m)
{
        int fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0)
                client_add(m, fd);
}

static void send_all(Monitor *m, const MonMsg *msg)
{
        for (size_t i = 0; i < m->n_clients; i++)
                (void) mon_send(m->clients[i].sock, msg, NULL, 0);
}

/* Runs the event loop until the container's init exits; returns its status (128+sig if killed). */
static int supervise(Monitor *m)
{
        for (;;) {
                struct pollfd p[3 + 2 * MAX_CLIENTS];
                size_t np = 0;
                p[np++] = (struct pollfd) { .fd = m->pidfd, .events = POLLIN };
                p[np++] = (struct pollfd) { .fd = m->listen_fd, .events = POLLIN };
                p[np++] = (struct pollfd) { .fd = m->out_r, .events = POLLIN };
                p[np++] = (struct pollfd) { .fd = m->err_r, .events = POLLIN };
                size_t base = np;
                for (size_t i = 0; i < m->n_clients; i++) {
                        p[np++] = (struct pollfd) { .fd = m->clients[i].sock, .events = POLLIN };
                        p[np++] = (struct pollfd) { .fd = m->clients[i].in, .events = POLLIN };
                }
                if (poll(p, np, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (p[2].revents)
                        pump_or_close(m, &m->out_r, false);
                if (p[3].revents)
                        pump_or_close(m, &m->err_r, true);
                if (p[1].revents & POLLIN)
                        accept_client(m);
                /* clients: walk backwards, client_drop moves the last one into i */
                size_t n = m->n_clients;
                for (size_t i = n; i-- > 0;) {
                        struct pollfd *ps = &p[base + 2 * i], *pi = &p[base + 2 * i + 1];
                        bool keep = true;
                        if (ps->revents)
                                keep = client_message(m, i);
                        if (keep && pi->revents && m->clients[i].in >= 0)
                                keep = client_stdin(m, i);
                        if (!keep)
                                client_drop(m, i);
                }
                if (p[0].revents)
                        break;
        }
        siginfo_t si = { 0 };
        (void) waitid(P_PIDFD, (id_t) m->pidfd, &si, WEXITED);
        /* what the container wrote before it died */
        drain(m, &m->out_r, false);
        drain(m, &m->err_r, true);
        if (si.si_code == CLD_EXITED)
                return si.si_status;
        return 128 + si.si_status;
}

static int open_devnull(void)
{
        return open("/dev/null", O_RDWR | O_CLOEXEC);
}

/* stdio for the container's init: pipes we keep the other ends of (no tty), or nothing (the
 * runtime hands us the pty master). The init inherits our fds 0-2, so they are swapped in for
 * the create and back to /dev/null after. */
static int create_container(Monitor *m, LadeError **err)
{
        int in[2] = { -1, -1 }, out[2] = { -1, -1 }, errp[2] = { -1, -1 };
        if (!m->tty) {
                if ((m->open_stdin && pipe2(in, O_CLOEXEC) < 0) || pipe2(out, O_CLOEXEC) < 0 ||
                    pipe2(errp, O_CLOEXEC) < 0)
                        return lade_error(err, errno, "pipes for the container's stdio");
                int null = open_devnull();
                (void) dup2(m->open_stdin ? in[0] : null, 0);
                (void) dup2(out[1], 1);
                (void) dup2(errp[1], 2);
                safe_close(null);
                safe_close(in[0]);
                safe_close(out[1]);
                safe_close(errp[1]);
        }
        CreateOptions o = { .id = m->c->id, .bundle = m->c->dir };
        int master = -EBADF;
        int r = container_create_child(&m->rt, &o, &m->pid, &master, err);
        int null = open_devnull();
        for (int fd = 0; fd < 3; fd++)
                (void) dup2(null, fd);
        safe_close(null);
        if (r < 0) {
                safe_close(in[1]);
                safe_close(out[0]);
                safe_close(errp[0]);
                return r;
        }
        if (m->tty) {
                m->out_r = master;
                m->in_w = fcntl(master, F_DUPFD_CLOEXEC, 3);
                apply_size(m);
        } else {
                m->in_w = in[1];
                m->out_r = out[0];
                m->err_r = errp[0];
        }
        m->pidfd = (int) syscall(SYS_pidfd_open, m->pid, 0);
        if (m->pidfd < 0)
                return lade_error(err, errno, "pidfd_open");
        return 0;
}

static void close_stdio(Monitor *m)
{
        m->out_r = m->tty ? -EBADF : safe_close(m->out_r);
        m->err_r = safe_close(m->err_r);
        m->in_w = safe_close(m->in_w);
        m->pidfd = safe_close(m->pidfd);
        m->pid = 0;
}

static int start_once(Monitor *m, bool first, LadeError **err)
{
        Ctr *c = m->c;
        /* `run` built the spec a moment ago (c->spec): the first start reuses it; a restart
         * rebuilds it (a container:X namespace may have moved) */
        int r = first && c->spec ? 0 : ctr_build_spec(c, err);
        if (r >= 0)
                r = create_container(m, err);
        if (r >= 0)
                r = ctr_network_attach(c, m->pid, err);
        if (r >= 0)
                r = container_start(&m->rt, c->id, err);
        if (r < 0) {
                if (m->pid > 0) {
                        (void) kill(m->pid, SIGKILL);
                        (void) waitpid(m->pid, NULL, 0);
                }
                (void) container_delete(&m->rt, c->id, true, NULL);
                (void) engine_network_detach(c->e, c->id, NULL);
                close_stdio(m);
                return r;
        }
        free(c->state);
        c->state = xstrdup("running");
        c->pid = m->pid;
        c->monitor_pid = getpid();
        c->started_ns = realtime_ns();
        free(c->error);
        c->error = xstrdup("");
        r = ctr_save(c, err);
        if (r >= 0)
                ctr_event(c, "start", NULL);
        return r;
}

/* Docker's restart manager: should this exit be followed by a restart? */
static bool want_restart(Ctr *c, int status)
{
        json_t *pol = json_object_get(json_object_get(c->create, "HostConfig"), "RestartPolicy");
        const char *name = json_string_value(json_object_get(pol, "Name"));
        json_int_t max = json_integer_value(json_object_get(pol, "MaximumRetryCount"));
        if (!name || c->stop_requested)
                return false;
        if (streq(name, "always") || streq(name, "unless-stopped"))
                return true;
        if (streq(name, "on-failure"))
                return status != 0 && (max == 0 || c->restart_count < max);
        return false;
}

static bool reload_stop_requested(Ctr *c)
{
        sqlite3_stmt *st;
        if (image_db_prepare(c->db, "SELECT stop_requested FROM containers WHERE id = ?1", &st, NULL, c->id, NULL) < 0)
                return false;
        if (sqlite3_step(st) == SQLITE_ROW)
                c->stop_requested = sqlite3_column_int(st, 0) != 0;
        else
                c->stop_requested = true; /* the row is gone: removed under us */
        sqlite3_finalize(st);
        return c->stop_requested;
}

static void record_exit(Monitor *m, int status)
{
        Ctr *c = m->c;
        (void) container_delete(&m->rt, c->id, true, NULL);
        (void) engine_network_detach(c->e, c->id, NULL);
        close_stdio(m);
        free(c->state);
        c->state = xstrdup("exited");
        c->exit_code = status;
        c->finished_ns = realtime_ns();
        c->pid = 0;
        (void) ctr_save(c, NULL);
        _cleanup_free_ char *code = xasprintf("%d", status);
        ctr_event(c, "die", json_pack("{s:s}", "exitCode", code));
}

/* Waits delay_ms while serving attach/wait clients; a message wakes us to re-check a stop. */
static void backoff_wait(Monitor *m, int delay_ms)
{
        int64_t end = (int64_t) (now_ns() / 1000000) + delay_ms;
        for (;;) {
                int left = (int) (end - (int64_t) (now_ns() / 1000000));
                if (left <= 0)
                        return;
                struct pollfd p = { .fd = m->listen_fd, .events = POLLIN };
                if (poll(&p, 1, left) > 0) {
                        accept_client(m);
                        if (reload_stop_requested(m->c))
                                return;
                }
        }
}

static int listen_attach(Monitor *m, LadeError **err)
{
        m->dirfd = open(m->c->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (m->dirfd < 0)
                return lade_error(err, errno, "open '%s'", m->c->dir);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        mon_socket_path(m->dirfd, sa.sun_path);
        (void) unlinkat(m->dirfd, "attach.sock", 0);
        m->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (m->listen_fd < 0 || bind(m->listen_fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 ||
            listen(m->listen_fd, 16) < 0)
                return lade_error(err, errno, "attach socket in '%s'", m->c->dir);
        return 0;
}

static void monitor_init(Monitor *m, MonitorArgs *a)
{
        Ctr *c = a->c;
        *m = (Monitor) { .c = c, .listen_fd = -EBADF, .dirfd = -EBADF, .out_r = -EBADF,
                         .err_r = -EBADF, .in_w = -EBADF, .pidfd = -EBADF };
        ctr_paths(c);
        m->rt = c->rt;
        m->tty = json_is_true(json_object_get(c->create, "Tty"));
        m->open_stdin = json_is_true(json_object_get(c->create, "OpenStdin"));
        m->stdin_once = json_is_true(json_object_get(c->create, "StdinOnce"));
        (void) signal(SIGPIPE, SIG_IGN);
        (void) signal(SIGINT, SIG_IGN);
        (void) signal(SIGHUP, SIG_IGN);
        (void) signal(SIGQUIT, SIG_IGN);
        client_add(m, a->ctl);
}

static int monitor_setup(Monitor *m, LadeError **err)
{
        Ctr *c = m->c;
        int r = ctr_open_db(c->e, &c->db, err);
        if (r < 0)
                return r;
        json_t *lc = json_object_get(json_object_get(c->create, "HostConfig"), "LogConfig");
        const char *type = json_string_value(json_object_get(lc, "Type"));
        if (!type || !*type || streq(type, "json-file")) {
                _cleanup_free_ char *path = xasprintf("%s/%s-json.log", c->dir, c->id);
                if ((r = log_writer_open(path, json_object_get(lc, "Config"), &m->log, err)) < 0)
                        return r;
        }
        return listen_attach(m, err);
}

/* The first attach (the starter's, sent before anything runs, so no output is lost). */
static void first_attach(Monitor *m, bool attach)
{
        if (!attach)
                return;
        struct pollfd p = { .fd = m->clients[0].sock, .events = POLLIN };
        if (poll(&p, 1, 5000) <= 0 || !client_message(m, 0))
                client_drop(m, 0);
}

_noreturn_ void monitor_main(MonitorArgs *a)
{
        Monitor m;
        monitor_init(&m, a);
        LadeError *err = NULL;
        first_attach(&m, a->attach);
        int r = monitor_setup(&m, &err);
        if (r >= 0)
                r = start_once(&m, true, &err);
        if (r < 0) {
                MonMsg msg = { .type = MON_ERROR, .value = engine_start_failure_code(err) };
                snprintf(msg.text, sizeof(msg.text), "%s", lade_error_message(err));
                send_all(&m, &msg);
                Ctr *c = m.c;
                if (c->db) {
                        free(c->state);
                        c->state = xstrdup(c->started_ns ? "exited" : "created");
                        c->exit_code = msg.value;
                        free(c->error);
                        c->error = xstrdup(msg.text);
                        (void) ctr_save(c, NULL);
                }
                (void) unlinkat(m.dirfd, "attach.sock", 0);
                _exit(1);
        }
        MonMsg started = { .type = MON_STARTED, .value = m.pid };
        send_all(&m, &started);
        int delay_ms = 100;
        for (;;) {
                int64_t t0 = m.c->started_ns;
                int status = supervise(&m);
                record_exit(&m, status);
                MonMsg ex = { .type = MON_EXIT, .value = status };
                if (!want_restart(m.c, status) || reload_stop_requested(m.c))
                        break;
                /* clients attached to this run see it end, as with Docker */
                send_all(&m, &ex);
                while (m.n_clients)
                        client_drop(&m, 0);
                delay_ms = realtime_ns() - t0 >= 10 * 1000000000LL ? 100 : delay_ms;
                free(m.c->state);
                m.c->state = xstrdup("restarting");
                (void) ctr_save(m.c, NULL);
                backoff_wait(&m, delay_ms);
                delay_ms = delay_ms * 2 > 60000 ? 60000 : delay_ms * 2;
                if (reload_stop_requested(m.c)) {
                        free(m.c->state);
                        m.c->state = xstrdup("exited");
                        (void) ctr_save(m.c, NULL);
                        break;
                }
                m.c->restart_count++;
                if (start_once(&m, false, &err) < 0) {
                        lade_error_free(err);
                        err = NULL;
                        record_exit(&m, 128);
                        break;
                }
        }
        (void) unlinkat(m.dirfd, "attach.sock", 0);
        if (json_is_true(json_object_get(json_object_get(m.c->create, "HostConfig"), "AutoRemove")))
                ctr_destroy(m.c);
        log_writer_free(m.log);
        MonMsg ex = { .type = MON_EXIT, .value = m.c->exit_code };
        send_all(&m, &ex);
        while (m.n_clients)
                client_drop(&m, 0);
        ctr_purge_trash(m.c->e);
        _exit(0);
}

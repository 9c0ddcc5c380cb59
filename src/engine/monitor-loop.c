/* The monitor's event loop, shared by the full monitor (monitor.c, in lade) and the idle
 * monitor (monitor-idle.c, a small static binary a detached container's monitor becomes while
 * nothing but I/O is to be done): the container's output to the json-file log and to attached
 * clients, clients' stdin to the container, the attach socket and its protocol, the exit. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "monitor-loop.h"
#include "util.h"

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

void mon_client_drop(MonLoop *m, size_t i)
{
        Client *cl = &m->clients[i];
        safe_close(cl->sock);
        safe_close(cl->in);
        safe_close(cl->out);
        safe_close(cl->err);
        m->clients[i] = m->clients[--m->n_clients];
}

void mon_client_add(MonLoop *m, int sock)
{
        if (m->n_clients >= MAX_CLIENTS) {
                close(sock);
                return;
        }
        m->clients[m->n_clients++] = (Client) { .sock = sock, .in = -EBADF, .out = -EBADF, .err = -EBADF };
}

void mon_apply_size(MonLoop *m)
{
        if (!m->tty || m->in_w < 0 || m->rows == 0)
                return;
        struct winsize ws = { .ws_row = m->rows, .ws_col = m->cols };
        (void) ioctl(m->in_w, TIOCSWINSZ, &ws);
}

static void close_stdin(MonLoop *m)
{
        if (!m->tty)
                m->in_w = safe_close(m->in_w);
}

/* One control message from client i; false drops the client. */
bool mon_client_message(MonLoop *m, size_t i)
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
                        mon_apply_size(m);
                }
                if (cl->in >= 0 && !m->open_stdin && !m->tty)
                        cl->in = safe_close(cl->in);
                return true;
        case MON_RESIZE:
                m->rows = msg.rows;
                m->cols = msg.cols;
                mon_apply_size(m);
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
static bool client_stdin(MonLoop *m, size_t i)
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
static ssize_t pump_output(MonLoop *m, int fd, bool is_err)
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
                        mon_client_drop(m, i);
                        continue;
                }
                i++;
        }
        return n;
}

/* EOF or an error (EIO on a pty whose slave closed) ends a stream; EAGAIN/EINTR do not. */
static void pump_or_close(MonLoop *m, int *fd, bool is_err)
{
        ssize_t n = pump_output(m, *fd, is_err);
        if (n == 0 || (n < 0 && n != -EAGAIN && n != -EINTR)) {
                if (m->tty)
                        *fd = -EBADF; /* the master: in_w holds it, closed in close_stdio() */
                else
                        *fd = safe_close(*fd);
        }
}

static void drain(MonLoop *m, int *fd, bool is_err)
{
        if (*fd < 0)
                return;
        (void) fcntl(*fd, F_SETFL, O_NONBLOCK);
        while (pump_output(m, *fd, is_err) > 0)
                ;
}

void mon_accept_client(MonLoop *m)
{
        int fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0)
                mon_client_add(m, fd);
}

void mon_send_all(MonLoop *m, const MonMsg *msg)
{
        for (size_t i = 0; i < m->n_clients; i++)
                (void) mon_send(m->clients[i].sock, msg, NULL, 0);
}

/* Runs the event loop until the container's init exits; returns its status (128+sig if killed). */
int mon_supervise(MonLoop *m)
{
        for (;;) {
                struct pollfd p[5 + 2 * MAX_CLIENTS];
                size_t np = 0;
                p[np++] = (struct pollfd) { .fd = m->pidfd, .events = POLLIN };
                p[np++] = (struct pollfd) { .fd = m->listen_fd, .events = POLLIN };
                p[np++] = (struct pollfd) { .fd = m->out_r, .events = POLLIN };
                p[np++] = (struct pollfd) { .fd = m->err_r, .events = POLLIN };
                p[np++] = (struct pollfd) { .fd = m->hook_fd ? m->hook_fd(m->hook_ud) : -1, .events = POLLIN };
                size_t base = np;
                for (size_t i = 0; i < m->n_clients; i++) {
                        p[np++] = (struct pollfd) { .fd = m->clients[i].sock, .events = POLLIN };
                        p[np++] = (struct pollfd) { .fd = m->clients[i].in, .events = POLLIN };
                }
                int n_ready = poll(p, np, m->hook_timeout ? m->hook_timeout(m->hook_ud) : -1);
                if (n_ready < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (m->hook_step && (n_ready == 0 || p[4].revents))
                        m->hook_step(m->hook_ud);
                if (p[2].revents)
                        pump_or_close(m, &m->out_r, false);
                if (p[3].revents)
                        pump_or_close(m, &m->err_r, true);
                if (p[1].revents & POLLIN)
                        mon_accept_client(m);
                /* clients: walk backwards, client_drop moves the last one into i */
                size_t n = m->n_clients;
                for (size_t i = n; i-- > 0;) {
                        struct pollfd *ps = &p[base + 2 * i], *pi = &p[base + 2 * i + 1];
                        bool keep = true;
                        if (ps->revents)
                                keep = mon_client_message(m, i);
                        if (keep && pi->revents && m->clients[i].in >= 0)
                                keep = client_stdin(m, i);
                        if (!keep)
                                mon_client_drop(m, i);
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


/* lade-monitor: what a detached container's monitor becomes once the container runs and nothing
 * but I/O is left to do (no attached terminal, no health check). A small static binary running
 * the same event loop as the full monitor (monitor-loop.c): the container's output to the
 * json-file log and to attach clients, clients' stdin, the attach socket. The container's init
 * stays its child across the exec. When the init exits, it execs lade again (the fd of the
 * binary it came from) as `lade __monitor-exited ROOT ID STATUS …` to record the exit, apply the
 * restart policy or --rm, and answer the clients — work that needs the database and the runtime.
 *
 * argv: key=value words, see monitor_handoff() in monitor.c:
 *   lade=FD root=PATH id=ID pid=PID listen=FD out=FD err=FD in=FD tty=0|1 open_stdin=0|1
 *   stdin_once=0|1 rows=N cols=N log=PATH logcfg=JSON client=SOCK,IN,OUT,ERR,HEXKEYS… */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor-loop.h"
#include "util.h"

extern char **environ;

static int num(const char *s)
{
        char *end;
        long v = strtol(s, &end, 10);
        return *end || end == s ? -1 : (int) v;
}

static void parse_client(MonLoop *l, const char *v)
{
        int sock, in, out, err;
        char keys[40] = "";
        if (sscanf(v, "%d,%d,%d,%d,%39s", &sock, &in, &out, &err, keys) < 4 || l->n_clients >= MAX_CLIENTS)
                return;
        Client *c = &l->clients[l->n_clients++];
        *c = (Client) { .sock = sock, .in = in, .out = out, .err = err };
        for (size_t i = 0; keys[2 * i] && keys[2 * i + 1] && i < sizeof(c->keys); i++) {
                unsigned b;
                if (sscanf(keys + 2 * i, "%2x", &b) == 1)
                        c->keys[c->n_keys++] = (char) b;
        }
}

/* What went wrong, where `lade` can find it: <root>/containers/<id>/monitor.log. */
static void note(const char *root, const char *id, const char *what)
{
        int e = errno;
        _cleanup_free_ char *path = xasprintf("%s/containers/%s/monitor.log", root, id);
        FILE *f = fopen(path, "ae");
        if (f) {
                fprintf(f, "lade-monitor: %s: %s\n", what, strerror(e));
                fclose(f);
        }
}

int main(int argc, char **argv)
{
        MonLoop l = { .listen_fd = -1, .out_r = -1, .err_r = -1, .in_w = -1, .pidfd = -1 };
        int lade = -1;
        const char *root = NULL, *id = NULL, *log = NULL, *logcfg = NULL;
        for (int i = 1; i < argc; i++) {
                const char *eq = strchr(argv[i], '=');
                if (!eq || eq - argv[i] >= 16)
                        continue;
                char k[16];
                snprintf(k, sizeof(k), "%.*s", (int) (eq - argv[i]), argv[i]);
                const char *v = eq + 1;
                if (streq(k, "lade")) lade = num(v);
                else if (streq(k, "root")) root = v;
                else if (streq(k, "id")) id = v;
                else if (streq(k, "pid")) l.pid = num(v);
                else if (streq(k, "listen")) l.listen_fd = num(v);
                else if (streq(k, "out")) l.out_r = num(v);
                else if (streq(k, "err")) l.err_r = num(v);
                else if (streq(k, "in")) l.in_w = num(v);
                else if (streq(k, "tty")) l.tty = streq(v, "1");
                else if (streq(k, "open_stdin")) l.open_stdin = streq(v, "1");
                else if (streq(k, "stdin_once")) l.stdin_once = streq(v, "1");
                else if (streq(k, "rows")) l.rows = (unsigned short) num(v);
                else if (streq(k, "cols")) l.cols = (unsigned short) num(v);
                else if (streq(k, "log")) log = v;
                else if (streq(k, "logcfg")) logcfg = v;
                else if (streq(k, "client")) parse_client(&l, v);
        }
        if (lade < 0 || !root || !id || l.pid <= 0) {
                fprintf(stderr, "lade-monitor: started by lade only\n");
                return 2;
        }
        (void) signal(SIGPIPE, SIG_IGN);
        (void) signal(SIGINT, SIG_IGN);
        (void) signal(SIGHUP, SIG_IGN);
        (void) signal(SIGQUIT, SIG_IGN);
        if (log) {
                json_t *cfg = logcfg ? json_loads(logcfg, 0, NULL) : NULL;
                (void) log_writer_open(log, cfg, &l.log, NULL);
                json_decref(cfg);
        }
        l.pidfd = (int) syscall(SYS_pidfd_open, l.pid, 0);
        int status;
        if (l.pidfd >= 0) {
                status = mon_supervise(&l);
        } else {
                /* cannot watch it: wait for it (it is our child) */
                siginfo_t si = { 0 };
                note(root, id, "pidfd_open");
                status = waitid(P_PID, (id_t) l.pid, &si, WEXITED) < 0 ? 255
                         : si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
        }
        l.log = log_writer_free(l.log);

        /* back to lade with what it needs: the status, the attach socket, the clients */
        char **args = xmalloc0((size_t) (8 + l.n_clients) * sizeof(char *));
        size_t n = 0;
        args[n++] = xstrdup("lade");
        args[n++] = xstrdup("__monitor-exited");
        args[n++] = xstrdup(root);
        args[n++] = xstrdup(id);
        args[n++] = xasprintf("%d", status);
        args[n++] = xasprintf("listen=%d", l.listen_fd);
        for (size_t i = 0; i < l.n_clients; i++) {
                char hex[40] = "";
                for (size_t k = 0; k < l.clients[i].n_keys; k++)
                        snprintf(hex + 2 * k, 3, "%02x", (unsigned char) l.clients[i].keys[k]);
                args[n++] = xasprintf("client=%d,%d,%d,%d,%s", l.clients[i].sock, l.clients[i].in,
                                      l.clients[i].out, l.clients[i].err, hex);
        }
        (void) fcntl(l.listen_fd, F_SETFD, 0);
        for (size_t i = 0; i < l.n_clients; i++) {
                int fds[4] = { l.clients[i].sock, l.clients[i].in, l.clients[i].out, l.clients[i].err };
                for (int k = 0; k < 4; k++)
                        if (fds[k] >= 0)
                                (void) fcntl(fds[k], F_SETFD, 0);
        }
        syscall(SYS_execveat, lade, "", args, environ, AT_EMPTY_PATH);
        note(root, id, "exec lade");
        /* lade is gone: at least tell the clients */
        MonMsg ex = { .type = MON_EXIT, .value = status };
        mon_send_all(&l, &ex);
        return 1;
}

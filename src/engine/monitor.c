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

#include "config.h"
#include "containers-internal.h"
#include "image-db.h"
#include "network.h"
#include "json-util.h"
#include "util.h"
#include "volumes.h"

typedef struct Monitor {
        Ctr *c;
        RuntimeContext rt;
        int dirfd;
        MonLoop l;
        Health *health;
} Monitor;

/* Failures nobody waits to hear about go to <dir>/monitor.log (kept with the container). */
static void monitor_note(Ctr *c, const char *what, const LadeError *e)
{
        _cleanup_free_ char *path = xasprintf("%s/monitor.log", c->dir);
        FILE *f = fopen(path, "ae");
        if (f) {
                fprintf(f, "lade monitor: %s: %s\n", what, e ? lade_error_message(e) : "failed");
                fclose(f);
        }
}

/* The row as the monitor sees it; a failure is noted (the next reader reconciles). */
static void monitor_save(Ctr *c)
{
        LadeError *e = NULL;
        if (ctr_save(c, &e) < 0)
                monitor_note(c, "record the container's state", e);
        lade_error_free(e);
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
        if (!m->l.tty) {
                if ((m->l.open_stdin && pipe2(in, O_CLOEXEC) < 0) || pipe2(out, O_CLOEXEC) < 0 ||
                    pipe2(errp, O_CLOEXEC) < 0)
                        return lade_error(err, errno, "pipes for the container's stdio");
                int null = open_devnull();
                (void) dup2(m->l.open_stdin ? in[0] : null, 0);
                (void) dup2(out[1], 1);
                (void) dup2(errp[1], 2);
                safe_close(null);
                safe_close(in[0]);
                safe_close(out[1]);
                safe_close(errp[1]);
        }
        CreateOptions o = { .id = m->c->id, .bundle = m->c->dir };
        int master = -EBADF;
        int r = container_create_child(&m->rt, &o, &m->l.pid, &master, err);
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
        if (m->l.tty) {
                m->l.out_r = master;
                m->l.in_w = fcntl(master, F_DUPFD_CLOEXEC, 3);
                mon_apply_size(&m->l);
        } else {
                m->l.in_w = in[1];
                m->l.out_r = out[0];
                m->l.err_r = errp[0];
        }
        m->l.pidfd = (int) syscall(SYS_pidfd_open, m->l.pid, 0);
        if (m->l.pidfd < 0)
                return lade_error(err, errno, "pidfd_open");
        return 0;
}

static void close_stdio(Monitor *m)
{
        m->l.out_r = m->l.tty ? -EBADF : safe_close(m->l.out_r);
        m->l.err_r = safe_close(m->l.err_r);
        m->l.in_w = safe_close(m->l.in_w);
        m->l.pidfd = safe_close(m->l.pidfd);
        m->l.pid = 0;
}

static int start_once(Monitor *m, bool first, LadeError **err)
{
        Ctr *c = m->c;
        /* `run` built the spec a moment ago (c->spec): the first start reuses it; a restart
         * rebuilds it (a container:X namespace may have moved) */
        int r = first && c->spec ? 0 : ctr_build_spec(c, err);
        if (r >= 0)
                engine_volumes_mount_events(c->e, c->id, c->create);
        if (r >= 0)
                r = create_container(m, err);
        if (r >= 0)
                r = ctr_network_attach(c, m->l.pid, err);
        if (r >= 0)
                r = container_start(&m->rt, c->id, err);
        if (r < 0) {
                if (m->l.pid > 0) {
                        (void) kill(m->l.pid, SIGKILL);
                        (void) waitpid(m->l.pid, NULL, 0);
                }
                (void) container_delete(&m->rt, c->id, true, NULL);
                (void) engine_network_detach(c->e, c->id, NULL);
                close_stdio(m);
                return r;
        }
        free(c->state);
        c->state = xstrdup("running");
        c->pid = m->l.pid;
        c->monitor_pid = getpid();
        c->started_ns = realtime_ns();
        free(c->error);
        c->error = xstrdup("");
        r = ctr_save(c, err);
        if (r >= 0)
                ctr_event(c, "start", NULL);
        m->health = health_free(m->health);
        m->health = health_new(c);
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

static bool auto_remove(Ctr *c)
{
        return json_is_true(json_object_get(json_object_get(c->create, "HostConfig"), "AutoRemove"));
}

static void record_exit(Monitor *m, int status)
{
        Ctr *c = m->c;
        m->health = health_free(m->health);
        (void) container_delete(&m->rt, c->id, true, NULL);
        /* only an attached network has anything to undo */
        const char *ip = json_string_value(json_object_get(c->net, "IPAddress"));
        if (ip && *ip)
                (void) engine_network_detach_nowait(c->e, c->id, NULL);
        engine_volumes_unmount_events(c->e, c->id, c->create);
        close_stdio(m);
        free(c->state);
        c->state = xstrdup("exited");
        c->exit_code = status;
        c->finished_ns = realtime_ns();
        c->pid = 0;
        /* the row first, then the event: a client that heard of the exit (wait) and removes the
         * container at once must find it exited, not running. A --rm container's row goes with
         * the rest in a moment (ctr_destroy). */
        if (c->row && !auto_remove(c)) {
                /* `update` may have changed the restart policy, `network connect` the networks */
                ctr_reload_config(c);
                monitor_save(c);
        }
        _cleanup_free_ char *code = xasprintf("%d", status);
        ctr_event(c, "die", json_pack("{s:s}", "exitCode", code));
}


/* --rm: everything is undone before the waiting client hears of the exit (after `lade run --rm`
 * returns, no row, mount, cgroup, veth or volume is left), except the deletion of the directory's
 * files, which only waits for a rename into .trash/. */
_noreturn_ static void exit_removed(Monitor *m, int status)
{
        (void) unlinkat(m->dirfd, "attach.sock", 0);
        record_exit(m, status);
        log_writer_free(m->l.log);
        ctr_destroy(m->c);
        MonMsg ex = { .type = MON_EXIT, .value = status };
        mon_send_all(&m->l, &ex);
        while (m->l.n_clients)
                mon_client_drop(&m->l, 0);
        ctr_purge_trash(m->c->e);
        engine_network_settle();
        _exit(0);
}

/* Waits delay_ms while serving attach/wait clients; a message wakes us to re-check a stop. */
static void backoff_wait(Monitor *m, int delay_ms)
{
        int64_t end = (int64_t) (now_ns() / 1000000) + delay_ms;
        for (;;) {
                int left = (int) (end - (int64_t) (now_ns() / 1000000));
                if (left <= 0)
                        return;
                struct pollfd p = { .fd = m->l.listen_fd, .events = POLLIN };
                if (poll(&p, 1, left) > 0) {
                        mon_accept_client(&m->l);
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
        m->l.listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (m->l.listen_fd < 0 || bind(m->l.listen_fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 ||
            listen(m->l.listen_fd, 16) < 0)
                return lade_error(err, errno, "attach socket in '%s'", m->c->dir);
        return 0;
}

static int health_hook_fd(void *ud)
{
        return health_fd(((Monitor *) ud)->health);
}

static int health_hook_timeout(void *ud)
{
        return health_timeout_ms(((Monitor *) ud)->health);
}

static void health_hook_step(void *ud)
{
        health_step(((Monitor *) ud)->health);
}

static void monitor_init(Monitor *m, MonitorArgs *a)
{
        Ctr *c = a->c;
        *m = (Monitor) { .c = c, .dirfd = -EBADF,
                         .l = { .listen_fd = -EBADF, .out_r = -EBADF, .err_r = -EBADF, .in_w = -EBADF,
                                .pidfd = -EBADF, .hook_fd = health_hook_fd,
                                .hook_timeout = health_hook_timeout, .hook_step = health_hook_step,
                                .hook_ud = m } };
        ctr_paths(c);
        m->rt = c->rt;
        m->l.tty = json_is_true(json_object_get(c->create, "Tty"));
        m->l.open_stdin = json_is_true(json_object_get(c->create, "OpenStdin"));
        m->l.stdin_once = json_is_true(json_object_get(c->create, "StdinOnce"));
        (void) signal(SIGPIPE, SIG_IGN);
        (void) signal(SIGINT, SIG_IGN);
        (void) signal(SIGHUP, SIG_IGN);
        (void) signal(SIGQUIT, SIG_IGN);
        if (a->ctl >= 0)
                mon_client_add(&m->l, a->ctl);
}

static int monitor_open_log(Monitor *m, LadeError **err)
{
        Ctr *c = m->c;
        json_t *lc = json_object_get(json_object_get(c->create, "HostConfig"), "LogConfig");
        const char *type = json_string_value(json_object_get(lc, "Type"));
        if (type && *type && !streq(type, "json-file"))
                return 0;
        _cleanup_free_ char *path = xasprintf("%s/%s-json.log", c->dir, c->id);
        return log_writer_open(path, json_object_get(lc, "Config"), &m->l.log, err);
}

/* An exec'd monitor keeps the connection it loaded the row with (no fork follows); a forked
 * one opens its own here (its starter's must not cross the fork). */
static int monitor_setup(Monitor *m, LadeError **err)
{
        int r = m->c->db ? 0 : ctr_open_db(m->c->e, &m->c->db, err);
        if (r >= 0)
                r = monitor_open_log(m, err);
        if (r >= 0)
                r = listen_attach(m, err);
        return r;
}

/* The first attach (the starter's, sent before anything runs, so no output is lost). */
static void first_attach(Monitor *m, bool attach)
{
        if (!attach)
                return;
        struct pollfd p = { .fd = m->l.clients[0].sock, .events = POLLIN };
        if (poll(&p, 1, 5000) <= 0 || !mon_client_message(&m->l, 0))
                mon_client_drop(&m->l, 0);
}

/* The idle monitor (lade-monitor, monitor-idle.c) takes over while nothing but I/O is to be
 * done: no client has its stdio attached (those want the full monitor's quick exit path), no
 * health check runs, and the binary is there (LADE_MONITOR_IDLE, set by lade's main, or the
 * installed libexec path). Everything it needs crosses the exec as fds and words. */
static void maybe_handoff(Monitor *m)
{
        const char *idle = getenv("LADE_MONITOR_IDLE");
        _cleanup_free_ char *installed = xasprintf("%s/lade/lade-monitor", LADE_LIBEXECDIR);
        if (!idle || !*idle)
                idle = installed;
        if (m->health || access(idle, X_OK) < 0 || getenv("LADE_NO_IDLE_MONITOR"))
                return;
        for (size_t i = 0; i < m->l.n_clients; i++)
                if (m->l.clients[i].in >= 0 || m->l.clients[i].out >= 0 || m->l.clients[i].err >= 0)
                        return;
        int lade = open("/proc/self/exe", O_PATH);
        if (lade < 0)
                return;
        json_t *lc = json_object_get(json_object_get(m->c->create, "HostConfig"), "LogConfig");
        _cleanup_free_ char *cfg = json_object_get(lc, "Config") ? json_dump_compact(json_object_get(lc, "Config")) : NULL;
        _cleanup_free_ char *logpath = m->l.log ? xasprintf("%s/%s-json.log", m->c->dir, m->c->id) : NULL;
        char **argv = xmalloc0((24 + m->l.n_clients) * sizeof(char *));
        size_t n = 0;
        argv[n++] = xstrdup("lade-monitor");
        argv[n++] = xasprintf("lade=%d", lade);
        argv[n++] = xasprintf("root=%s", engine_root(m->c->e));
        argv[n++] = xasprintf("id=%s", m->c->id);
        argv[n++] = xasprintf("pid=%d", (int) m->l.pid);
        argv[n++] = xasprintf("listen=%d", m->l.listen_fd);
        argv[n++] = xasprintf("out=%d", m->l.out_r);
        argv[n++] = xasprintf("err=%d", m->l.err_r);
        argv[n++] = xasprintf("in=%d", m->l.in_w);
        argv[n++] = xasprintf("tty=%d", m->l.tty);
        argv[n++] = xasprintf("open_stdin=%d", m->l.open_stdin);
        argv[n++] = xasprintf("stdin_once=%d", m->l.stdin_once);
        argv[n++] = xasprintf("rows=%u", m->l.rows);
        argv[n++] = xasprintf("cols=%u", m->l.cols);
        if (logpath)
                argv[n++] = xasprintf("log=%s", logpath);
        if (cfg)
                argv[n++] = xasprintf("logcfg=%s", cfg);
        for (size_t i = 0; i < m->l.n_clients; i++) {
                argv[n++] = xasprintf("client=%d,-1,-1,-1,", m->l.clients[i].sock);
                (void) fcntl(m->l.clients[i].sock, F_SETFD, 0);
        }
        int keep[] = { m->l.listen_fd, m->l.out_r, m->l.err_r, m->l.in_w };
        for (size_t i = 0; i < ELEMENTSOF(keep); i++)
                if (keep[i] >= 0)
                        (void) fcntl(keep[i], F_SETFD, 0);
        /* partial lines are written out now: the idle monitor starts its own buffers */
        m->l.log = log_writer_free(m->l.log);
        execv(idle, argv);
        /* could not: carry on here */
        for (size_t i = 0; i < n; i++)
                free(argv[i]);
        free(argv);
        safe_close(lade);
        (void) monitor_open_log(m, NULL);
}

/* From an exit to the next: record it, then restart (and supervise again) or finish. status < 0:
 * the container runs, supervise it first. */
_noreturn_ static void monitor_run(Monitor *m, int status)
{
        LadeError *err = NULL;
        for (;;) {
                if (status < 0) {
                        maybe_handoff(m);
                        status = mon_supervise(&m->l);
                }
                int64_t ran = realtime_ns() - m->c->started_ns;
                if (auto_remove(m->c))
                        exit_removed(m, status);
                record_exit(m, status);
                MonMsg ex = { .type = MON_EXIT, .value = status };
                if (!want_restart(m->c, status) || reload_stop_requested(m->c))
                        break;
                /* clients attached to this run see it end, as with Docker */
                mon_send_all(&m->l, &ex);
                while (m->l.n_clients)
                        mon_client_drop(&m->l, 0);
                /* Docker's back-off: 100 ms doubling per quick restart, to 1 min; reset after 10 s */
                int shift = m->c->restart_count < 10 ? m->c->restart_count : 10;
                int delay_ms = ran >= 10 * 1000000000LL ? 100 : 100 << shift;
                free(m->c->state);
                m->c->state = xstrdup("restarting");
                monitor_save(m->c);
                backoff_wait(m, delay_ms > 60000 ? 60000 : delay_ms);
                if (reload_stop_requested(m->c)) {
                        free(m->c->state);
                        m->c->state = xstrdup("exited");
                        monitor_save(m->c);
                        break;
                }
                m->c->restart_count++;
                engine_network_settle();
                /* what changed during the back-off counts for the next run */
                ctr_reload_config(m->c);
                if (start_once(m, false, &err) < 0) {
                        err = lade_error_free(err);
                        record_exit(m, 128);
                        break;
                }
                status = -1;
        }
        (void) unlinkat(m->dirfd, "attach.sock", 0);
        log_writer_free(m->l.log);
        MonMsg ex = { .type = MON_EXIT, .value = m->c->exit_code };
        mon_send_all(&m->l, &ex);
        while (m->l.n_clients)
                mon_client_drop(&m->l, 0);
        ctr_purge_trash(m->c->e);
        engine_network_settle();
        _exit(0);
}

_noreturn_ void monitor_main(MonitorArgs *a)
{
        Monitor m;
        monitor_init(&m, a);
        LadeError *err = NULL;
        if (a->resume) {
                /* back from the idle monitor: the container has exited with a->status */
                m.l.listen_fd = a->listen_fd;
                for (char **cl = a->clients; cl && *cl; cl++) {
                        int sock;
                        if (sscanf(*cl, "%d", &sock) == 1 && sock >= 0)
                                mon_client_add(&m.l, sock);
                }
                m.dirfd = open(m.c->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (ctr_open_db(m.c->e, &m.c->db, &err) < 0 || monitor_open_log(&m, &err) < 0) {
                        monitor_note(m.c, "resume after the idle monitor", err);
                        err = lade_error_free(err);
                }
                m.l.pid = m.c->pid;
                monitor_run(&m, a->status);
        }
        /* the set-up first: the starter's attach, sent meanwhile, is needed only when the
         * container's stdio is made */
        int r = monitor_setup(&m, &err);
        first_attach(&m, a->attach);
        if (r >= 0)
                r = start_once(&m, true, &err);
        if (r < 0) {
                MonMsg msg = { .type = MON_ERROR, .value = engine_start_failure_code(err) };
                snprintf(msg.text, sizeof(msg.text), "%s", lade_error_message(err));
                mon_send_all(&m.l, &msg);
                Ctr *c = m.c;
                if (c->db) {
                        free(c->state);
                        c->state = xstrdup(c->started_ns ? "exited" : "created");
                        c->exit_code = msg.value;
                        free(c->error);
                        c->error = xstrdup(msg.text);
                        monitor_save(c);
                }
                (void) unlinkat(m.dirfd, "attach.sock", 0);
                _exit(1);
        }
        MonMsg started = { .type = MON_STARTED, .value = m.l.pid };
        mon_send_all(&m.l, &started);
        monitor_run(&m, -1);
}

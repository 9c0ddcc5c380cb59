/* exec for multi-threaded callers (the API server): the runtime's exec forks and joins
 * namespaces, which a threaded process may not do, so the process is started by a helper,
 * `lade __exec ROOT ID`, fork+exec'd (and double-forked: nobody's child, never a zombie of the
 * caller) with the caller's fds as its stdio and a SOCK_SEQPACKET control socket as fd 3.
 *
 * The protocol on fd 3, one JSON object per message:
 *   caller -> helper  {"Cmd":[…],"Env":[…],"User":…,"WorkingDir":…,"Tty":…,"Privileged":…,
 *                      "ExecID":…}
 *                     {"type":"drain"} with an fd: the caller's client left, the helper reads
 *                      and drops the process's output from that fd until the process exits
 *   helper -> caller  {"type":"started","pid":N}   (with a tty: the pty master rides along)
 *                     {"type":"error","code":126,"message":…}
 *                     {"type":"exit","status":N}
 * The helper waits for its process and records its exec_die (before the exit message: whoever
 * reads the exit finds the event there) whether or not anybody listens any more: one helper per
 * exec, the only writer of that event. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "containers-internal.h"
#include "json-util.h"
#include "spec.h"
#include "engine-events.h"
#include "util.h"

#define EXEC_MSG_MAX (256u * 1024)

struct EngineExec {
        int ctl;
        pid_t pid;
        int master;
        bool exited;
        int status;
        char *exec_id;
};

static int msg_send(int fd, json_t *j, int pass_fd)
{
        _cleanup_free_ char *text = json_dump_compact(j);
        json_decref(j);
        if (!text)
                return -ENOMEM;
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
        struct iovec iov = { .iov_base = text, .iov_len = strlen(text) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        if (pass_fd >= 0) {
                memset(&u, 0, sizeof(u));
                mh.msg_control = u.buf;
                mh.msg_controllen = sizeof(u.buf);
                struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
        }
        ssize_t n;
        do
                n = sendmsg(fd, &mh, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        return n < 0 ? -errno : 0;
}

/* One message: its JSON object (NULL at EOF) and the fd that came with it (or -EBADF). */
static int msg_recv(int fd, json_t **ret, int *ret_fd)
{
        _cleanup_free_ char *buf = xmalloc(EXEC_MSG_MAX + 1);
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
        struct iovec iov = { .iov_base = buf, .iov_len = EXEC_MSG_MAX };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                             .msg_controllen = sizeof(u.buf) };
        *ret = NULL;
        if (ret_fd)
                *ret_fd = -EBADF;
        ssize_t n;
        do
                n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        int got = -EBADF;
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
                memcpy(&got, CMSG_DATA(cm), sizeof(int));
        if (ret_fd)
                *ret_fd = got;
        else
                safe_close(got);
        if (n == 0)
                return 0;
        if (mh.msg_flags & MSG_TRUNC)
                return -EMSGSIZE;
        return json_parse_text(buf, (size_t) n, "exec message", ret, NULL) < 0 ? -EBADMSG : 0;
}

static json_t *strv_to_json(char **v)
{
        json_t *a = json_array();
        for (; v && *v; v++)
                json_array_append_new(a, json_string(*v));
        return a;
}

/* Starts the process; *ret_id and *ret_attrs are the container's id and its event attributes,
 * taken now: the exec_die is recorded even if the container is gone by then. */
static int helper_exec(Engine *e, const char *id, json_t *rq, pid_t *ret_pid, int *ret_master,
                       char **ret_id, json_t **ret_attrs, LadeError **err)
{
        _cleanup_strv_free_ char **cmd = json_strv(json_object_get(rq, "Cmd"));
        _cleanup_strv_free_ char **env = json_strv(json_object_get(rq, "Env"));
        ExecRequest req = { .cmd = cmd, .env = env,
                            .user = json_string_value(json_object_get(rq, "User")),
                            .workdir = json_string_value(json_object_get(rq, "WorkingDir")),
                            .tty = json_is_true(json_object_get(rq, "Tty")),
                            .privileged = json_is_true(json_object_get(rq, "Privileged")) };
        Ctr c = { .e = e };
        SpecProcess *proc = NULL;
        int r = ctr_exec_prepare(&c, id, &req, &proc, err);
        if (r >= 0) {
                int status = 0;
                ExecOptions o = { .process = proc, .detach = true, .ret_pid = ret_pid,
                                  .ret_master = req.tty ? ret_master : NULL };
                r = container_exec(&c.rt, c.id, &o, &status, err);
        }
        if (r >= 0) {
                *ret_id = xstrdup(c.id);
                *ret_attrs = ctr_event_attributes(&c, NULL);
        }
        spec_process_free(proc);
        ctr_done(&c);
        return r;
}

#define EXEC_DRAIN_MAX 3

/* A {"type":"drain"} from the caller: its fd joins drain[]. False once the caller is gone. */
static bool helper_take_drain(int ctl, int drain[static EXEC_DRAIN_MAX])
{
        _cleanup_json_ json_t *m = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r = msg_recv(ctl, &m, &fd);
        if (r == -EAGAIN || r == -EINTR)
                return true;
        if (r < 0 || !m)
                return false;
        const char *type = json_string_value(json_object_get(m, "type"));
        if (fd < 0 || !type || !streq(type, "drain"))
                return true;
        for (size_t i = 0; i < EXEC_DRAIN_MAX; i++)
                if (drain[i] < 0) {
                        /* never blocks the wait: a pty master may wake poll with nothing to read */
                        (void) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
                        drain[i] = TAKE_FD(fd);
                        break;
                }
        return true;
}

static void helper_drain(int *fd)
{
        char buf[65536];
        ssize_t n = read(*fd, buf, sizeof(buf));
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
                *fd = safe_close(*fd);   /* EOF, or EIO from a pty master whose slave closed */
}

/* Waits for the process (docker's status: 128+N for a signal). Meanwhile it drops the output of
 * a client that left (dockerd does: the process neither blocks on a full pipe or pty nor dies of
 * SIGPIPE). Without pidfds, a plain wait. */
static int helper_wait(int ctl, pid_t pid)
{
        _cleanup_close_ int pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        int drain[EXEC_DRAIN_MAX] = { -EBADF, -EBADF, -EBADF };
        bool ctl_open = true;
        while (pidfd >= 0) {
                struct pollfd p[2 + EXEC_DRAIN_MAX] = {
                        { .fd = pidfd, .events = POLLIN },
                        { .fd = ctl_open ? ctl : -1, .events = POLLIN },
                };
                for (size_t i = 0; i < EXEC_DRAIN_MAX; i++)
                        p[2 + i] = (struct pollfd){ .fd = drain[i], .events = POLLIN };
                if (poll(p, ELEMENTSOF(p), -1) < 0 && errno != EINTR)
                        break;
                if (p[0].revents)
                        break;
                if (p[1].revents)
                        ctl_open = helper_take_drain(ctl, drain);
                for (size_t i = 0; i < EXEC_DRAIN_MAX; i++)
                        if (p[2 + i].revents)
                                helper_drain(&drain[i]);
        }
        for (size_t i = 0; i < EXEC_DRAIN_MAX; i++)
                safe_close(drain[i]);
        int st = 0;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int engine_exec_main(Engine *e, const char *id, int ctl, LadeError **err)
{
        _cleanup_json_ json_t *rq = NULL;
        int r = msg_recv(ctl, &rq, NULL);
        if (r < 0 || !json_is_object(rq))
                return lade_error_msg(err, EPROTO, "exec helper: no request");
        pid_t pid = 0;
        _cleanup_close_ int master = -EBADF;
        _cleanup_free_ char *cid = NULL;
        json_t *attrs = NULL;
        r = helper_exec(e, id, rq, &pid, &master, &cid, &attrs, err);
        if (r < 0) {
                int code = engine_start_failure_code(*err);
                (void) msg_send(ctl, json_pack("{s:s,s:i,s:s}", "type", "error", "code", code == 125 ? 126 : code,
                                               "message", lade_error_message(*err)), -1);
                return r;
        }
        (void) msg_send(ctl, json_pack("{s:s,s:i}", "type", "started", "pid", (int) pid), master);
        master = safe_close(master);
        int status = helper_wait(ctl, pid);
        /* attached or not, with its client or without: the exit is recorded here, at once */
        const char *exec_id = json_string_value(json_object_get(rq, "ExecID"));
        json_object_set_new(attrs, "execID", json_string(exec_id ? exec_id : ""));
        json_object_set_new(attrs, "exitCode", json_sprintf("%d", status));
        engine_event_emit(e, "container", "exec_die", cid, attrs);
        (void) msg_send(ctl, json_pack("{s:s,s:i}", "type", "exit", "status", status), -1);
        return 0;
}

/* fork, setsid, fork, exec: only async-signal-safe calls between fork and exec (we are
 * multi-threaded). */
static int spawn_helper(Engine *e, const char *id, const int stdio[3], int ctl, LadeError **err)
{
        char *argv[] = { (char *) "lade", (char *) "__exec", (char *) engine_root(e), (char *) id, NULL };
        pid_t p = fork();
        if (p < 0)
                return lade_error(err, errno, "fork the exec helper");
        if (p == 0) {
                (void) setsid();
                pid_t q = fork();
                if (q != 0)
                        _exit(q < 0);
                /* through fds above 3 first: an fd number of stdio may be one of 0-3 */
                int tmp[4];
                for (int i = 0; i < 3; i++)
                        tmp[i] = fcntl(stdio[i], F_DUPFD, 10);
                tmp[3] = fcntl(ctl, F_DUPFD, 10);
                for (int i = 0; i < 4; i++)
                        if (tmp[i] < 0 || dup2(tmp[i], i) < 0)
                                _exit(127);
                (void) close_range(4, ~0U, 0);
                execv("/proc/self/exe", argv);
                _exit(127);
        }
        int st;
        while (waitpid(p, &st, 0) < 0 && errno == EINTR)
                ;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                return lade_error_msg(err, EIO, "cannot start the exec helper");
        return 0;
}

static json_t *request_json(const ExecRequest *req, const char *exec_id)
{
        return json_pack("{s:o,s:o,s:s,s:s,s:b,s:b,s:s}", "Cmd", strv_to_json(req->cmd), "Env",
                         strv_to_json(req->env), "User", req->user ? req->user : "", "WorkingDir",
                         req->workdir ? req->workdir : "", "Tty", req->tty, "Privileged", req->privileged,
                         "ExecID", exec_id);
}

static int wait_started(EngineExec *x, LadeError **err)
{
        _cleanup_json_ json_t *m = NULL;
        int fd = -EBADF;
        int r = msg_recv(x->ctl, &m, &fd);
        const char *type = json_string_value(json_object_get(m, "type"));
        if (r < 0 || !type) {
                safe_close(fd);
                return lade_error_msg(err, EIO, "the exec helper exited before starting the process");
        }
        if (streq(type, "error")) {
                safe_close(fd);
                x->status = (int) json_integer_value(json_object_get(m, "code"));
                const char *msg = json_string_value(json_object_get(m, "message"));
                return lade_error_msg(err, EIO, "%s", msg ? msg : "exec failed");
        }
        x->pid = (pid_t) json_integer_value(json_object_get(m, "pid"));
        x->master = fd;
        return 0;
}

int engine_exec_spawn(Engine *e, const char *name_or_id, const ExecRequest *req, const int stdio[3],
                      EngineExec **ret, int *ret_code, LadeError **err)
{
        char id[65];
        int r = engine_container_lookup(e, name_or_id, id, err);
        if (r < 0)
                return r;
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return lade_error(err, errno, "socketpair for the exec helper");
        _cleanup_close_ int theirs = sv[1];
        EngineExec *x = xmalloc0(sizeof(*x));
        *x = (EngineExec){ .ctl = sv[0], .master = -EBADF, .status = 126,
                           .exec_id = req->exec_id ? xstrdup(req->exec_id) : ctr_exec_new_id() };
        /* before the start, as dockerd logs it: the helper may record the exec_die of a short
         * process before we would have seen it start */
        engine_exec_event(e, id, "exec_start", req->cmd, x->exec_id);
        r = spawn_helper(e, id, stdio, theirs, err);
        theirs = safe_close(theirs);
        if (r >= 0 && msg_send(x->ctl, request_json(req, x->exec_id), -1) < 0)
                r = lade_error(err, errno, "send the exec request");
        if (r >= 0)
                r = wait_started(x, err);
        if (r < 0) {
                if (ret_code)
                        *ret_code = x->status;
                engine_exec_free(x);
                return r;
        }
        *ret = x;
        return 0;
}

pid_t engine_exec_pid(const EngineExec *x)
{
        return x->pid;
}

int engine_exec_master(const EngineExec *x)
{
        return x->master;
}

int engine_exec_fd(const EngineExec *x)
{
        return x->ctl;
}

int engine_exec_process(EngineExec *x, int *ret_status)
{
        if (!x->exited) {
                _cleanup_json_ json_t *m = NULL;
                int r = msg_recv(x->ctl, &m, NULL);
                if (r == -EAGAIN || r == -EINTR)
                        return 0;
                const char *type = json_string_value(json_object_get(m, "type"));
                if (r >= 0 && type && !streq(type, "exit"))
                        return 0;
                x->exited = true;
                /* the helper died without a word: Docker's code for an exec that went wrong */
                x->status = r >= 0 && type ? (int) json_integer_value(json_object_get(m, "status")) : 126;
        }
        *ret_status = x->status;
        return 1;
}

int engine_exec_drop_output(EngineExec *x, const int *fds, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                if (fds[i] < 0)
                        continue;
                int r = msg_send(x->ctl, json_pack("{s:s}", "type", "drain"), fds[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

EngineExec *engine_exec_free(EngineExec *x)
{
        if (!x)
                return NULL;
        safe_close(x->ctl);
        safe_close(x->master);
        free(x->exec_id);
        free(x);
        return NULL;
}

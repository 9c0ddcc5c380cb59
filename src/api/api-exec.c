/* exec instances: created by POST /containers/{id}/exec and kept in the server's memory (as
 * dockerd keeps them), started by POST /exec/{id}/start — a hijacked stream, or detached —
 * through the engine's exec helper (a threaded server may only fork+exec), resized through
 * the pty master the helper hands over, inspected for Running/ExitCode/Pid.
 *
 * What stays true: an instance is freed only once it has finished (or with the server); at
 * most API_EXECS_MAX are kept, the oldest finished ones go first. The helper records exec_die
 * at the exit; a process nobody streams any more (detached, or its client gone: its output
 * handed to the helper to drop, its stdin closed, as dockerd does) is watched here only by its
 * control socket, whose exit message the server's tick collects (api_execs_reap) within a
 * second: no thread waits for it, and its fds go with its exit. */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <unistd.h>

#include "api-internal.h"
#include "containers.h"
#include "json-util.h"
#include "util.h"

struct ApiExec {
        ApiExec *next;
        char id[65];
        char container[65];
        json_t *config;               /* the create body */
        bool started, running, has_exit;
        int exit_code;
        pid_t pid;
        int master;                   /* the tty's master (a dup) while it runs */
        EngineExec *proc;             /* watched here when nobody streams it (detached, client gone) */
};

static void exec_free(ApiExec *x)
{
        json_decref(x->config);
        safe_close(x->master);
        engine_exec_free(x->proc);
        free(x);
}

void api_execs_free(ApiServer *s)
{
        while (s->execs) {
                ApiExec *x = s->execs;
                s->execs = x->next;
                exec_free(x);
        }
        s->n_execs = 0;
}

/* Under s->lock: a finished process's exit is collected. */
static void exec_refresh(ApiExec *x)
{
        struct pollfd p = { .fd = x->proc ? engine_exec_fd(x->proc) : -1, .events = POLLIN };
        int status;
        if (!x->proc || poll(&p, 1, 0) <= 0 || engine_exec_process(x->proc, &status) <= 0)
                return;
        x->proc = engine_exec_free(x->proc);
        x->running = false;
        x->has_exit = true;
        x->exit_code = status;
        x->master = safe_close(x->master);
}

void api_execs_reap(ApiServer *s)
{
        pthread_mutex_lock(&s->lock);
        for (ApiExec *x = s->execs; x; x = x->next)
                exec_refresh(x);
        pthread_mutex_unlock(&s->lock);
}

static ApiExec *exec_find(ApiServer *s, const char *id)
{
        for (ApiExec *x = s->execs; x; x = x->next)
                if (streq(x->id, id)) {
                        exec_refresh(x);
                        return x;
                }
        return NULL;
}

/* Under s->lock: room for one more, dropping the oldest finished instances. */
static bool exec_make_room(ApiServer *s)
{
        while (s->n_execs >= API_EXECS_MAX) {
                ApiExec **victim = NULL;
                for (ApiExec **pp = &s->execs; *pp; pp = &(*pp)->next) {
                        exec_refresh(*pp);
                        if ((*pp)->has_exit || !(*pp)->started)
                                victim = pp;
                }
                if (!victim)
                        return false;
                ApiExec *x = *victim;
                *victim = x->next;
                exec_free(x);
                s->n_execs--;
        }
        return true;
}

static int check_strv(json_t *body, const char *key, bool required, LadeError **err)
{
        json_t *v = json_object_get(body, key);
        if (!v || json_is_null(v)) {
                if (required)
                        return lade_error_msg(err, EINVAL, "No exec command specified");
                return 0;
        }
        size_t i;
        json_t *x;
        if (!json_is_array(v) || (required && json_array_size(v) == 0))
                return lade_error_msg(err, EINVAL, required ? "No exec command specified" : "%s: expected an array of strings", key);
        json_array_foreach(v, i, x)
                if (!json_is_string(x))
                        return lade_error_msg(err, EINVAL, "%s: expected an array of strings", key);
        return 0;
}

int api_exec_create(ApiRequest *req, LadeError **err)
{
        json_t *body;
        _cleanup_(engine_freep) Engine *e = NULL;
        json_t *doc = NULL;
        int r = api_body_json(req, &body, err);
        if (r == 0)
                r = check_strv(body, "Cmd", true, err);
        if (r == 0)
                r = check_strv(body, "Env", false, err);
        if (r == 0)
                r = api_engine(req, &e, err);
        if (r == 0)
                r = engine_container_inspect(e, req->name, &doc, err);
        if (r < 0)
                return r;
        json_t *state = json_object_get(doc, "State");
        ApiExec *x = xmalloc0(sizeof(*x));
        snprintf(x->container, sizeof(x->container), "%s", json_string_value(json_object_get(doc, "Id")));
        bool running = json_is_true(json_object_get(state, "Running")), paused = json_is_true(json_object_get(state, "Paused"));
        json_decref(doc);
        if (!running || paused) {
                free(x);
                return lade_error_msg(err, EBUSY, paused ? "Container %s is paused, unpause the container before exec"
                                                         : "Container %s is not running", req->name);
        }
        uint8_t b[32];
        if (getrandom(b, sizeof(b), 0) != sizeof(b)) {
                free(x);
                return lade_error(err, errno, "getrandom");
        }
        for (size_t i = 0; i < sizeof(b); i++)
                snprintf(x->id + 2 * i, 3, "%02x", b[i]);
        x->config = json_incref(body);
        x->master = -EBADF;
        ApiServer *s = req->server;
        pthread_mutex_lock(&s->lock);
        bool room = exec_make_room(s);
        if (room) {
                x->next = s->execs;
                s->execs = x;
                s->n_execs++;
        }
        pthread_mutex_unlock(&s->lock);
        if (!room) {
                exec_free(x);
                return lade_error_msg(err, EBUSY, "too many exec instances in progress (%d)", API_EXECS_MAX);
        }
        _cleanup_strv_free_ char **cmd = json_strv(json_object_get(body, "Cmd"));
        engine_exec_event(e, x->container, "exec_create", cmd, x->id);
        return api_respond_json(req, 201, json_pack("{s:s}", "Id", x->id));
}

typedef struct ExecRun {
        ApiServer *server;
        ApiExec *x;
        bool tty, detach;
        unsigned rows, cols;
} ExecRun;

/* Starts the instance's process with stdio; *ret_code is Docker's code on failure. */
static int exec_spawn(Engine *e, ExecRun *run, const int stdio[3], EngineExec **ret, int *ret_code, LadeError **err)
{
        json_t *c = run->x->config;
        _cleanup_strv_free_ char **cmd = json_strv(json_object_get(c, "Cmd"));
        _cleanup_strv_free_ char **env = json_strv(json_object_get(c, "Env"));
        ExecRequest rq = { .exec_id = run->x->id, .cmd = cmd, .env = env, .user = json_string_value(json_object_get(c, "User")),
                           .workdir = json_string_value(json_object_get(c, "WorkingDir")), .tty = run->tty,
                           .interactive = json_is_true(json_object_get(c, "AttachStdin")), .detach = run->detach,
                           .privileged = json_is_true(json_object_get(c, "Privileged")) };
        *ret_code = 126;
        int r = engine_exec_spawn(e, run->x->container, &rq, stdio, ret, ret_code, err);
        ApiServer *s = run->server;
        pthread_mutex_lock(&s->lock);
        if (r < 0) {
                run->x->has_exit = true;
                run->x->exit_code = *ret_code;
        } else {
                run->x->running = true;
                run->x->pid = engine_exec_pid(*ret);
                int m = engine_exec_master(*ret);
                if (m >= 0) {
                        run->x->master = fcntl(m, F_DUPFD_CLOEXEC, 3);
                        if (run->rows) {
                                struct winsize ws = { .ws_row = (unsigned short) run->rows,
                                                      .ws_col = (unsigned short) run->cols };
                                (void) ioctl(m, TIOCSWINSZ, &ws);
                        }
                }
        }
        pthread_mutex_unlock(&s->lock);
        return r;
}

static void exec_finish(ExecRun *run, EngineExec *proc, bool ended, int status)
{
        ApiServer *s = run->server;
        pthread_mutex_lock(&s->lock);
        if (ended) {
                run->x->running = false;
                run->x->has_exit = true;
                run->x->exit_code = status;
                run->x->master = safe_close(run->x->master);
                engine_exec_free(proc);
        } else
                run->x->proc = proc;   /* running on: api_execs_reap (or an inspect) collects the exit */
        pthread_mutex_unlock(&s->lock);
}

static int exec_event(void *ud, int *ret_status)
{
        return engine_exec_process(ud, ret_status);
}

static void exec_stream(ApiStream *st, void *ud)
{
        ExecRun *run = ud;
        json_t *c = run->x->config;
        _cleanup_(engine_freep) Engine *e = NULL;
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        int in[2] = { -1, -1 }, out[2] = { -1, -1 }, er[2] = { -1, -1 };
        _cleanup_close_ int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        bool want_in = json_is_true(json_object_get(c, "AttachStdin"));
        bool want_out = json_is_true(json_object_get(c, "AttachStdout"));
        bool want_err = json_is_true(json_object_get(c, "AttachStderr"));
        int r = api_engine_open(st->server, NULL, NULL, NULL, &e, &err);
        if (r == 0 && !run->tty && ((want_in && pipe2(in, O_CLOEXEC) < 0) || (want_out && pipe2(out, O_CLOEXEC) < 0) ||
                                    (want_err && pipe2(er, O_CLOEXEC) < 0)))
                r = lade_error(&err, errno, "pipes for the exec");
        int stdio[3] = { in[0] >= 0 ? in[0] : null, out[1] >= 0 ? out[1] : null, er[1] >= 0 ? er[1] : null };
        EngineExec *proc = NULL;
        int code = 126;
        if (r == 0)
                r = exec_spawn(e, run, stdio, &proc, &code, &err);
        in[0] = safe_close(in[0]);
        out[1] = safe_close(out[1]);
        er[1] = safe_close(er[1]);
        if (r < 0) {
                /* the answer was 101 already: the error goes down the stream, the code to inspect */
                _cleanup_free_ char *msg = xasprintf("OCI runtime exec failed: %s\r\n", lade_error_message(err));
                (void) api_write_frame(st->sock, run->tty, 2, msg, strlen(msg));
        } else {
                int m = engine_exec_master(proc);
                ApiPump p = { .st = st, .tty = run->tty, .in_w = m >= 0 ? fcntl(m, F_DUPFD_CLOEXEC, 3) : in[1],
                              .out_r = m >= 0 ? fcntl(m, F_DUPFD_CLOEXEC, 3) : out[0], .err_r = er[0],
                              .event_fd = engine_exec_fd(proc), .event = exec_event, .userdata = proc,
                              .drain_ms = 1000 };
                in[1] = out[0] = er[0] = -1;
                int status = 0;
                bool ended = api_pump(&p, &status) == 1;
                if (!ended) {
                        /* the client (or the server) left: the output is dropped by the helper */
                        int fds[] = { p.out_r, p.err_r };
                        (void) engine_exec_drop_output(proc, fds, ELEMENTSOF(fds));
                }
                safe_close(p.in_w);
                safe_close(p.out_r);
                safe_close(p.err_r);
                exec_finish(run, proc, ended, status);
        }
        for (int i = 0; i < 2; i++) {
                safe_close(in[i]);
                safe_close(out[i]);
                safe_close(er[i]);
        }
}

/* Claims the instance for one start: 404 unknown, 409 started already. */
static int exec_claim(ApiServer *s, const char *id, ApiExec **ret, LadeError **err)
{
        pthread_mutex_lock(&s->lock);
        ApiExec *x = exec_find(s, id);
        int r = 0;
        if (!x)
                r = lade_error_msg(err, ENOENT, "No such exec instance: %s", id);
        else if (x->started)
                r = lade_error_msg(err, EBUSY, "Error: Exec command %s is already running", id);
        else
                x->started = true;
        pthread_mutex_unlock(&s->lock);
        *ret = x;
        return r;
}

int api_exec_start(ApiRequest *req, LadeError **err)
{
        json_t *body = NULL;
        if (req->body_len > 0 && api_body_json(req, &body, err) < 0)
                return -EINVAL;
        ApiExec *x;
        int r = exec_claim(req->server, req->name, &x, err);
        if (r < 0)
                return r;
        ExecRun *run = xmalloc0(sizeof(*run));
        json_t *cs = json_object_get(body, "ConsoleSize");
        *run = (ExecRun){ .server = req->server, .x = x, .detach = json_is_true(json_object_get(body, "Detach")),
                          .tty = json_is_true(json_object_get(body, "Tty")) || json_is_true(json_object_get(x->config, "Tty")),
                          .rows = (unsigned) json_integer_value(json_array_get(cs, 0)),
                          .cols = (unsigned) json_integer_value(json_array_get(cs, 1)) };
        if (!run->detach)
                return api_respond_upgrade(req, api_stream_content_type(req, run->tty), exec_stream, run, free);
        _cleanup_free_ ExecRun *owned = run;
        _cleanup_(engine_freep) Engine *e = NULL;
        _cleanup_close_ int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        int stdio[3] = { null, null, null }, code;
        EngineExec *proc = NULL;
        /* detached with a tty: the process gets a pty nobody reads (Docker does the same) */
        if ((r = api_engine(req, &e, err)) < 0 || (r = exec_spawn(e, run, stdio, &proc, &code, err)) < 0)
                return r;
        exec_finish(run, proc, false, 0);
        return api_respond_empty(req, 200);
}

int api_exec_resize(ApiRequest *req, LadeError **err)
{
        const char *h = api_query(req, "h"), *w = api_query(req, "w");
        uint64_t rows = 0, cols = 0;
        if ((h && parse_uint64(h, &rows) < 0) || (w && parse_uint64(w, &cols) < 0) || rows > 65535 || cols > 65535)
                return lade_error_msg(err, EINVAL, "invalid terminal size: h=%s w=%s", h ? h : "", w ? w : "");
        ApiServer *s = req->server;
        pthread_mutex_lock(&s->lock);
        ApiExec *x = exec_find(s, req->name);
        int r = 0;
        if (!x)
                r = lade_error_msg(err, ENOENT, "No such exec instance: %s", req->name);
        else if (x->master >= 0) {
                struct winsize ws = { .ws_row = (unsigned short) rows, .ws_col = (unsigned short) cols };
                (void) ioctl(x->master, TIOCSWINSZ, &ws);
        }
        pthread_mutex_unlock(&s->lock);
        return r < 0 ? r : api_respond_empty(req, 200);
}

int api_exec_inspect(ApiRequest *req, LadeError **err)
{
        ApiServer *s = req->server;
        pthread_mutex_lock(&s->lock);
        ApiExec *x = exec_find(s, req->name);
        json_t *j = NULL;
        if (x) {
                json_t *c = x->config, *cmd = json_object_get(c, "Cmd");
                json_t *args = json_array();
                for (size_t i = 1; i < json_array_size(cmd); i++)
                        json_array_append(args, json_array_get(cmd, i));
                const char *user = json_string_value(json_object_get(c, "User"));
                j = json_pack("{s:s,s:b,s:o,s:{s:b,s:s,s:o,s:b,s:s},s:b,s:b,s:b,s:b,s:s,s:s,s:i}", "ID", x->id,
                              "Running", x->running, "ExitCode", x->has_exit ? json_integer(x->exit_code) : json_null(),
                              "ProcessConfig", "tty", json_is_true(json_object_get(c, "Tty")), "entrypoint",
                              json_string_value(json_array_get(cmd, 0)) ?: "", "arguments", args, "privileged",
                              json_is_true(json_object_get(c, "Privileged")), "user", user ? user : "",
                              "OpenStdin", json_is_true(json_object_get(c, "AttachStdin")), "OpenStderr",
                              json_is_true(json_object_get(c, "AttachStderr")), "OpenStdout",
                              json_is_true(json_object_get(c, "AttachStdout")), "CanRemove", 0, "ContainerID",
                              x->container, "DetachKeys", "", "Pid", (int) x->pid);
        }
        pthread_mutex_unlock(&s->lock);
        if (!j)
                return lade_error_msg(err, ENOENT, "No such exec instance: %s", req->name);
        return api_respond_json(req, 200, j);
}

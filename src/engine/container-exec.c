/* `exec`: a process in a running container, from the container's own process settings
 * (config.json) with Docker's overrides (-e, -u, -w, -t, --privileged), run through the runtime
 * library in the caller's process with the caller's stdio. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "caps.h"
#include "container-spec.h"
#include "containers-internal.h"
#include "json-util.h"
#include "util.h"

static void env_set(json_t *env, const char *kv)
{
        const char *eq = strchr(kv, '=');
        size_t klen = eq ? (size_t) (eq - kv) : strlen(kv);
        size_t i;
        json_t *x;
        json_array_foreach(env, i, x) {
                const char *s = json_string_value(x);
                if (s && strncmp(s, kv, klen) == 0 && (s[klen] == '=' || !s[klen])) {
                        json_array_set_new(env, i, json_string(kv));
                        return;
                }
        }
        json_array_append_new(env, json_string(kv));
}

static json_t *all_caps(void)
{
        json_t *a = json_array();
        for (const char *const *n = caps_all_names(); *n; n++)
                json_array_append_new(a, json_string(*n));
        return a;
}

int ctr_exec_process(Ctr *c, const ExecRequest *req, json_t **ret, LadeError **err)
{
        _cleanup_json_ json_t *cfg = NULL;
        _cleanup_free_ char *path = xasprintf("%s/config.json", c->dir);
        int r = json_load_path(path, 16u << 20, &cfg, err);
        if (r < 0)
                return r;
        _cleanup_json_ json_t *proc = json_deep_copy(json_object_get(cfg, "process"));
        if (!proc)
                return lade_error_msg(err, EINVAL, "container %s has no process settings", c->id);
        json_t *args = json_array();
        for (char **a = req->cmd; a && *a; a++)
                json_array_append_new(args, json_string(*a));
        json_object_set_new(proc, "args", args);
        json_object_set_new(proc, "terminal", json_boolean(req->tty));
        json_object_del(proc, "consoleSize");
        json_t *env = json_object_get(proc, "env");
        if (!json_is_array(env))
                json_object_set_new(proc, "env", env = json_array());
        for (char **kv = req->env; kv && *kv; kv++)
                env_set(env, *kv);
        if (req->workdir && *req->workdir)
                json_object_set_new(proc, "cwd", json_string(req->workdir));
        if (req->user && *req->user) {
                json_t *user = NULL;
                if ((r = container_user_resolve(c->rootfs, req->user, &user, err)) < 0)
                        return r;
                json_object_set_new(proc, "user", user);
        }
        if (req->privileged) {
                json_t *caps = json_object();
                static const char *const sets[] = { "bounding", "effective", "permitted", "inheritable" };
                for (size_t i = 0; i < ELEMENTSOF(sets); i++)
                        json_object_set_new(caps, sets[i], all_caps());
                json_object_set_new(proc, "capabilities", caps);
        }
        *ret = TAKE_PTR(proc);
        return 0;
}

/* detached: the process gets /dev/null, not our terminal, and a helper (`lade __exec`, as for the
 * server) waits for it and records its exec_die after we are gone. */
static int exec_detached(Ctr *c, const ExecRequest *req, const char *exec_id, LadeError **err)
{
        _cleanup_close_ int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null < 0)
                return lade_error(err, errno, "open /dev/null");
        int stdio[3] = { null, null, null };
        ExecRequest r = *req;
        r.exec_id = exec_id;
        EngineExec *x = NULL;
        int ret = engine_exec_spawn(c->e, c->id, &r, stdio, &x, NULL, err);
        engine_exec_free(x);
        return ret;
}

int ctr_exec_prepare(Ctr *c, const char *name_or_id, const ExecRequest *req, SpecProcess **ret, LadeError **err)
{
        _cleanup_json_ json_t *pj = NULL;
        int r = ctr_load(c, name_or_id, err);
        if (r >= 0 && c->state && streq(c->state, "paused"))
                r = lade_error_msg(err, EBUSY, "container %s is paused, unpause the container before exec", c->id);
        else if (r >= 0 && (!c->state || !streq(c->state, "running") || !pid_alive(c->pid)))
                r = lade_error_msg(err, EBUSY, "container %s is not running", c->id);
        if (r >= 0 && (!req->cmd || !req->cmd[0]))
                r = lade_error_msg(err, EINVAL, "No exec command specified");
        if (r >= 0)
                r = ctr_exec_process(c, req, &pj, err);
        if (r >= 0)
                r = spec_parse_process(pj, "process", ret, err);
        return r;
}

/* "exec_start: sh -c true": dockerd appends Entrypoint, a space and the Args joined. */
static char *exec_action(const char *action, char *const *cmd)
{
        char *s = xasprintf("%s: %s ", action, cmd && cmd[0] ? cmd[0] : "");
        for (size_t i = 1; cmd && cmd[0] && cmd[i]; i++) {
                char *t = xasprintf("%s%s%s", s, i > 1 ? " " : "", cmd[i]);
                free(s);
                s = t;
        }
        return s;
}

char *ctr_exec_new_id(void)
{
        uint8_t b[32];
        char *id = xmalloc(65);
        if (getrandom(b, sizeof(b), 0) != sizeof(b))
                for (size_t i = 0; i < sizeof(b); i++)
                        b[i] = (uint8_t) random();
        for (size_t i = 0; i < sizeof(b); i++)
                snprintf(id + 2 * i, 3, "%02x", b[i]);
        return id;
}

static void exec_event_c(Ctr *c, const char *action, char *const *cmd, const char *exec_id)
{
        _cleanup_free_ char *a = exec_action(action, cmd);
        ctr_event(c, a, json_pack("{s:s}", "execID", exec_id));
}

void engine_exec_event(Engine *e, const char *name_or_id, const char *action, char *const *cmd,
                       const char *exec_id)
{
        Ctr c = { .e = e };
        if (ctr_load(&c, name_or_id, NULL) >= 0)
                exec_event_c(&c, action, cmd, exec_id);
        ctr_done(&c);
}

int engine_container_exec(Engine *e, const char *name_or_id, const ExecRequest *req, int *ret_status,
                          LadeError **err)
{
        Ctr c = { .e = e };
        SpecProcess *proc = NULL;
        int r = ctr_exec_prepare(&c, name_or_id, req, &proc, err);
        _cleanup_free_ char *id = req->exec_id ? xstrdup(req->exec_id) : ctr_exec_new_id();
        if (r >= 0) {
                ExecOptions o = { .process = proc };
                *ret_status = 0;
                exec_event_c(&c, "exec_create", req->cmd, id);
                if (req->detach)
                        r = exec_detached(&c, req, id, err);    /* exec_start and exec_die its own */
                else {
                        exec_event_c(&c, "exec_start", req->cmd, id);
                        r = container_exec(&c.rt, c.id, &o, ret_status, err);
                }
                if (r < 0)
                        *ret_status = engine_start_failure_code(*err) == 125 ? 126 : engine_start_failure_code(*err);
                if (!req->detach) {
                        _cleanup_free_ char *code = xasprintf("%d", *ret_status);
                        ctr_event(&c, "exec_die", json_pack("{s:s,s:s}", "execID", id, "exitCode", code));
                }
        }
        spec_process_free(proc);
        ctr_done(&c);
        return r;
}

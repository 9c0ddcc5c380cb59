/* exec: a new process in a running container. An intermediate process joins the container's
 * namespaces (user first) and cgroup, then clones the process as our sibling-turned-child
 * (CLONE_PARENT) so we can wait for it; success is the sync socket closing on execve. */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container-internal.h"
#include "json-util.h"
#include "util.h"

static const char *const ns_files[_SPEC_NS_MAX] = {
        [SPEC_NS_PID] = "pid", [SPEC_NS_NETWORK] = "net", [SPEC_NS_MOUNT] = "mnt",
        [SPEC_NS_IPC] = "ipc", [SPEC_NS_UTS] = "uts",     [SPEC_NS_USER] = "user",
        [SPEC_NS_CGROUP] = "cgroup", [SPEC_NS_TIME] = "time",
};

typedef struct ExecCtx {
        ContainerState *st;
        Spec *spec;
        CgroupManager *cgroup;
        InitPlan plan;
        int sock;
        int console_peer;
        pid_t stage1, pid;
} ExecCtx;

static void exec_ctx_done(ExecCtx *c)
{
        for (int t = 0; t < _SPEC_NS_MAX; t++)
                safe_close(c->plan.ns_fds[t]);
        safe_close(c->plan.sync_fd);
        safe_close(c->plan.console_fd);
        safe_close(c->sock);
        safe_close(c->console_peer);
        seccomp_program_free(c->plan.seccomp);
        free(c->plan.exec_path);
        cgroup_manager_free(c->cgroup);
        spec_free(c->spec);
        container_state_free(c->st);
}

/* Joins the namespaces the container has that differ from ours. */
static int open_namespaces(ExecCtx *c, LadeError **err)
{
        for (int t = 0; t < _SPEC_NS_MAX; t++) {
                c->plan.ns_fds[t] = -EBADF;
                if (!c->spec->linux_.namespaces[t].present)
                        continue;
                _cleanup_free_ char *p = xasprintf("/proc/%d/ns/%s", (int) c->st->pid, ns_files[t]);
                int fd = open(p, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        return lade_error(err, errno, "open %s", p);
                c->plan.ns_fds[t] = fd;
        }
        return 0;
}

static int prepare(ExecCtx *c, const RuntimeContext *rt, const char *id, const ExecOptions *o,
                   LadeError **err)
{
        int r = state_load(rt, id, &c->st, err);
        if (r < 0)
                return r;
        _cleanup_close_ int dfd = state_dir_open(rt, id, err);
        if (dfd < 0)
                return dfd;
        ContainerStatus s = state_status(dfd, c->st);
        if (s != CONTAINER_RUNNING && s != CONTAINER_CREATED)
                return lade_error_msg(err, EINVAL, "cannot exec in a %s container",
                                      container_status_to_string(s));
        _cleanup_free_ char *text = json_dump_compact(c->st->config);
        r = spec_parse(text, strlen(text), &c->spec, err);
        if (r < 0)
                return r;
        InitPlan *p = &c->plan;
        p->spec = c->spec;
        p->process = o->process;
        p->id = id;
        p->is_exec = true;
        p->preserve_fds = o->preserve_fds;
        p->no_new_keyring = true;
        if (o->process->has_caps && (r = caps_parse(&o->process->caps, &p->caps, err)) < 0)
                return r;
        p->has_caps = o->process->has_caps;
        if (c->spec->linux_.seccomp && (r = plan_compile_seccomp(c->spec, rt->state_root, &p->seccomp, err)) < 0)
                return r;
        if ((r = cgroup_reopen(c->st, &c->cgroup, err)) < 0)
                return r;
        return open_namespaces(c, err);
}

static int make_sockets(ExecCtx *c, const ExecOptions *o, LadeError **err)
{
        InitPlan *p = &c->plan;
        int r = console_prepare(o->process, o->console_socket, !o->detach || o->ret_master, &p->console_fd,
                                &c->console_peer, err);
        if (r < 0)
                return r;
        return sync_pair(&c->sock, &p->sync_fd, err);
}

_noreturn_ static void exec_process_main(InitPlan *p)
{
        LadeError *e = NULL, **err = &e;
        if (p->process->terminal && p->console_fd >= 0) {
                if (console_setup_in_container(p->console_fd, p->process, false, err) < 0)
                        child_fail(p->sync_fd, e);
                p->console_fd = safe_close(p->console_fd);
        }
        umask(p->process->user.umask.set ? (mode_t) p->process->user.umask.v : 0022);
        if (process_apply_sched(p->process, err) < 0 || process_resolve_exec(p, err) < 0)
                child_fail(p->sync_fd, e);
        const char *cwd = p->process->cwd ? p->process->cwd : "/";
        char buf[4096];
        if (chdir(cwd) < 0)
                child_fail(p->sync_fd, (lade_error(err, errno, "process.cwd: chdir to '%s'", cwd), e));
        if (!getcwd(buf, sizeof(buf)) || buf[0] != '/')
                child_fail(p->sync_fd, (lade_error_msg(err, EPERM, "process.cwd: outside the container"), e));
        /* everything not handed over is closed at execve */
        (void) syscall(SYS_close_range, 3 + p->preserve_fds, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */);
        for (size_t i = 0; i < p->process->n_rlimits; i++) {
                struct rlimit rl = { p->process->rlimits[i].soft, p->process->rlimits[i].hard };
                (void) setrlimit(p->process->rlimits[i].resource, &rl);
        }
        linux_finalize_and_exec(p);
}

_noreturn_ static void exec_stage1(InitPlan *p)
{
        LadeError *e = NULL, **err = &e;
        SyncMsg m;
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        (void) prctl(PR_SET_DUMPABLE, 0);
        if (sync_expect(p->sync_fd, SYNC_GO, &m, err) < 0 || init_join_namespaces(p, false, err) < 0)
                child_fail(p->sync_fd, e);
        if (p->spec->linux_.namespaces[SPEC_NS_USER].present && init_become_root(err) < 0)
                child_fail(p->sync_fd, e);
        pid_t pid = (pid_t) syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, NULL);
        if (pid < 0)
                child_fail(p->sync_fd, (lade_error(err, errno, "clone"), e));
        if (pid == 0)
                exec_process_main(p);
        (void) sync_send(p->sync_fd, SYNC_PID, pid, NULL);
        _exit(0);
}

static int spawn(ExecCtx *c, LadeError **err)
{
        c->stage1 = fork();
        if (c->stage1 < 0)
                return lade_error(err, errno, "fork");
        if (c->stage1 == 0) {
                c->sock = safe_close(c->sock);
                exec_stage1(&c->plan);
        }
        int r = cgroup_manager_enter(c->cgroup, c->stage1, err);
        if (r < 0)
                return r;
        (void) sync_send(c->sock, SYNC_GO, 0, NULL);
        SyncMsg m;
        r = sync_expect(c->sock, SYNC_PID, &m, err);
        (void) waitpid(c->stage1, NULL, 0);
        c->stage1 = 0;
        if (r < 0)
                return r;
        c->pid = m.value;
        c->plan.sync_fd = safe_close(c->plan.sync_fd);
        c->plan.console_fd = safe_close(c->plan.console_fd);
        /* EOF = execve succeeded (the socket is close-on-exec); a message = it failed */
        r = sync_recv(c->sock, &m, NULL);
        if (r == 0 && m.type == SYNC_ERROR) {
                (void) waitpid(c->pid, NULL, 0);
                c->pid = 0;
                return lade_error_msg(err, m.value > 0 ? m.value : EIO, "%s", m.text);
        }
        return 0;
}

static int wait_exec(ExecCtx *c, int *ret_status, LadeError **err)
{
        if (c->console_peer >= 0) {
                _cleanup_close_ int master = console_recv_master(c->console_peer, err);
                if (master < 0)
                        return master;
                return console_proxy_master(master, c->pid, ret_status);
        }
        *ret_status = wait_forwarding_signals(c->pid);
        return 0;
}

int container_exec(const RuntimeContext *rt, const char *id, const ExecOptions *o, int *ret_status,
                   LadeError **err)
{
        ExecCtx c = { .sock = -EBADF, .console_peer = -EBADF };
        c.plan.sync_fd = c.plan.console_fd = c.plan.fifo_fd = c.plan.listener_fd = -EBADF;
        for (int t = 0; t < _SPEC_NS_MAX; t++)
                c.plan.ns_fds[t] = -EBADF;
        sigset_t all, old;
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, &old);
        int r = prepare(&c, rt, id, o, err);
        if (r == 0)
                r = make_sockets(&c, o, err);
        if (r == 0)
                r = spawn(&c, err);
        if (r == 0 && o->pid_file) {
                char buf[32];
                int n = snprintf(buf, sizeof(buf), "%d", (int) c.pid);
                r = write_file_atomic_at(AT_FDCWD, o->pid_file, buf, (size_t) n, 0644, err);
        }
        if (r == 0 && o->ret_master && c.console_peer >= 0) {
                int master = console_recv_master(c.console_peer, err);
                if (master < 0)
                        r = master;
                else
                        *o->ret_master = master;
                c.console_peer = safe_close(c.console_peer);
        }
        if (r == 0 && o->ret_pid)
                *o->ret_pid = c.pid;
        if (r == 0 && !o->detach)
                r = wait_exec(&c, ret_status, err);
        if (r < 0 && c.pid > 0) {
                (void) kill(c.pid, SIGKILL);
                (void) waitpid(c.pid, NULL, 0);
        }
        exec_ctx_done(&c);
        sigprocmask(SIG_SETMASK, &old, NULL);
        return r;
}

/* The process half of the container init (shared with exec): entering namespaces, scheduling,
 * finding the executable, and the last steps — bounding set, user, capabilities,
 * no_new_privs, seccomp — before execve. */
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "container-internal.h"
#include "util.h"

static const struct {
        SpecNamespaceType type;
        int flag;
} join_order[] = {
        /* user first (it owns the others), mount last (paths below may need the old view) */
        { SPEC_NS_USER, CLONE_NEWUSER },   { SPEC_NS_IPC, CLONE_NEWIPC },
        { SPEC_NS_UTS, CLONE_NEWUTS },     { SPEC_NS_NETWORK, CLONE_NEWNET },
        { SPEC_NS_PID, CLONE_NEWPID },     { SPEC_NS_TIME, CLONE_NEWTIME },
        { SPEC_NS_CGROUP, CLONE_NEWCGROUP }, { SPEC_NS_MOUNT, CLONE_NEWNS },
};

int init_join_namespaces(InitPlan *p, bool skip_user, LadeError **err)
{
        for (size_t i = 0; i < ELEMENTSOF(join_order); i++) {
                int *fd = &p->ns_fds[join_order[i].type];
                if (*fd < 0 || (skip_user && join_order[i].type == SPEC_NS_USER))
                        continue;
                if (setns(*fd, join_order[i].flag) < 0)
                        return lade_error(err, errno, "join %s namespace",
                                          spec_namespace_type_to_string(join_order[i].type));
                p->joined_flags |= (unsigned long) join_order[i].flag;
                *fd = safe_close(*fd);
        }
        return 0;
}

bool plan_has_ns(const InitPlan *p, SpecNamespaceType t)
{
        for (size_t i = 0; i < ELEMENTSOF(join_order); i++)
                if (join_order[i].type == t)
                        return ((p->clone_flags | p->joined_flags) & (unsigned long) join_order[i].flag) ||
                               p->ns_fds[t] >= 0;
        return false;
}

int init_become_root(LadeError **err)
{
        if (setresgid(0, 0, 0) < 0)
                return lade_error(err, errno, "setresgid(0) in the user namespace");
        if (setresuid(0, 0, 0) < 0)
                return lade_error(err, errno, "setresuid(0) in the user namespace");
        return 0;
}

int init_enter_namespaces(InitPlan *p, LadeError **err)
{
        SyncMsg m;
        if (!p->two_stage) {
                /* the parent puts us in the cgroup and writes the id maps, then says go */
                int r = sync_expect(p->sync_fd, SYNC_GO, &m, err);
                if (r < 0)
                        return r;
        }
        if (plan_has_ns(p, SPEC_NS_USER)) {
                int r = init_become_root(err);
                if (r < 0)
                        return r;
        }
        if (!p->two_stage && (p->clone_flags & CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) < 0)
                return lade_error(err, errno, "unshare the cgroup namespace");
        return 0;
}

int process_apply_sched(const SpecProcess *proc, LadeError **err)
{
        if (proc->io_priority.set) {
                int klass = streq(proc->io_priority.klass, "IOPRIO_CLASS_RT")   ? 1
                            : streq(proc->io_priority.klass, "IOPRIO_CLASS_BE") ? 2
                            : streq(proc->io_priority.klass, "IOPRIO_CLASS_IDLE") ? 3 : -1;
                if (klass < 0)
                        return lade_error_msg(err, EINVAL, "process.ioPriority.class: unknown class '%s'",
                                              proc->io_priority.klass);
                int prio = (klass << 13) | (int) proc->io_priority.priority;
                if (syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, prio) < 0)
                        return lade_error(err, errno, "process.ioPriority");
        }
        if (proc->scheduler.set) {
                static const struct {
                        const char *name;
                        int policy;
                } pol[] = { { "SCHED_OTHER", SCHED_OTHER }, { "SCHED_FIFO", SCHED_FIFO },
                            { "SCHED_RR", SCHED_RR },       { "SCHED_BATCH", SCHED_BATCH },
                            { "SCHED_IDLE", SCHED_IDLE },   { "SCHED_DEADLINE", 6 } };
                int policy = -1;
                for (size_t i = 0; i < ELEMENTSOF(pol); i++)
                        if (streq(pol[i].name, proc->scheduler.policy))
                                policy = pol[i].policy;
                if (policy < 0)
                        return lade_error_msg(err, EINVAL, "process.scheduler.policy: unknown policy '%s'",
                                              proc->scheduler.policy);
                struct {
                        uint32_t size, policy;
                        uint64_t flags;
                        int32_t nice;
                        uint32_t priority;
                        uint64_t runtime, deadline, period;
                } attr = { .size = 48, .policy = (uint32_t) policy,
                           .nice = (int32_t) proc->scheduler.nice.v,
                           .priority = (uint32_t) proc->scheduler.priority.v,
                           .runtime = proc->scheduler.runtime.v, .deadline = proc->scheduler.deadline.v,
                           .period = proc->scheduler.period.v };
                if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
                        return lade_error(err, errno, "process.scheduler");
        }
        return 0;
}

static const char *env_get(char **env, const char *name)
{
        size_t n = strlen(name);
        for (char **e = env; e && *e; e++)
                if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
                        return *e + n + 1;
        return NULL;
}

static bool is_executable(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int process_resolve_exec(InitPlan *p, LadeError **err)
{
        char **args = p->process->args;
        if (!args || !args[0] || !*args[0])
                return lade_error_msg(err, EINVAL, "process.args: must not be empty");
        if (strchr(args[0], '/')) {
                struct stat st;
                if (stat(args[0], &st) < 0)
                        return lade_error(err, errno, "exec: \"%s\"", args[0]);
                p->exec_path = xstrdup(args[0]);
                return 0;
        }
        const char *path = env_get(p->process->env, "PATH");
        if (!path)
                path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        _cleanup_free_ char *copy = xstrdup(path);
        char *save = NULL;
        for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                _cleanup_free_ char *cand = xasprintf("%s/%s", *dir ? dir : ".", args[0]);
                if (is_executable(cand)) {
                        p->exec_path = TAKE_PTR(cand);
                        return 0;
                }
        }
        return lade_error_msg(err, ENOENT, "exec: \"%s\": executable file not found in $PATH", args[0]);
}

static int set_user(const SpecUser *u, LadeError **err)
{
        gid_t *groups = xmalloc(sizeof(gid_t) * (u->n_additional_gids + 1));
        for (size_t i = 0; i < u->n_additional_gids; i++)
                groups[i] = u->additional_gids[i];
        /* setgroups is denied in a user namespace with setgroups=deny; then it must be empty */
        if (setgroups(u->n_additional_gids, groups) < 0 && !(errno == EPERM && u->n_additional_gids == 0)) {
                int e = errno;
                free(groups);
                return lade_error(err, e, "process.user.additionalGids: setgroups");
        }
        free(groups);
        if (setresgid(u->gid, u->gid, u->gid) < 0)
                return lade_error(err, errno, "process.user.gid: setresgid(%u)", u->gid);
        if (setresuid(u->uid, u->uid, u->uid) < 0)
                return lade_error(err, errno, "process.user.uid: setresuid(%u)", u->uid);
        return 0;
}

static int load_seccomp(InitPlan *p, LadeError **err)
{
        int notify_fd = -1;
        int r = seccomp_program_load(p->seccomp, &notify_fd, err);
        if (r < 0)
                return r;
        if (notify_fd >= 0) {
                const char *state = p->state_json ? p->state_json : "{}";
                r = seccomp_send_listener_fd(p->listener_fd, p->spec->linux_.seccomp->listener_metadata,
                                             state, notify_fd, err);
                safe_close(notify_fd);
        }
        return r;
}

/* The process starts as a new process would, whoever ran us: no signal ignored or blocked (a
 * container monitor ignores SIGPIPE, SIGINT, SIGHUP and SIGQUIT; a shell's background job
 * SIGINT; ignored dispositions and the mask survive execve). */
static void reset_signals(void)
{
        struct sigaction dfl = { .sa_handler = SIG_DFL };
        for (int s = 1; s < NSIG; s++)
                if (s != SIGKILL && s != SIGSTOP)
                        (void) sigaction(s, &dfl, NULL);
        sigset_t none;
        sigemptyset(&none);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);
}

_noreturn_ void linux_finalize_and_exec(InitPlan *p)
{
        LadeError *e = NULL, **err = &e;
        int r = 0;
        const SpecProcess *proc = p->process;
        if (proc->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                r = lade_error(err, errno, "process.noNewPrivileges");
        /* without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it while we have it */
        if (r == 0 && p->seccomp && !proc->no_new_privileges)
                r = load_seccomp(p, err);
        if (r == 0 && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                r = lade_error(err, errno, "PR_SET_KEEPCAPS");
        if (r == 0)
                r = set_user(&proc->user, err);
        if (r == 0)
                (void) prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
        if (r == 0 && p->has_caps)
                r = caps_apply(&p->caps, err);
        if (r == 0 && p->seccomp && proc->no_new_privileges)
                r = load_seccomp(p, err);
        if (r == 0) {
                char *empty[] = { NULL };
                reset_signals();
                execve(p->exec_path, proc->args, proc->env ? proc->env : empty);
                r = lade_error(err, errno, "exec \"%s\"", proc->args[0]);
        }
        if (p->sync_fd >= 0)
                child_fail(p->sync_fd, e);
        fprintf(stderr, "lade-runtime: %s\n", lade_error_message(e));
        _exit(127);
}

/* The container init, from the moment it is cloned until it execs the user's process.
 * It runs single-threaded in the new namespaces; every failure is reported to the parent over
 * the sync socket as text and ends the process, so the parent can clean up and print one error.
 *
 * Order (runc's): wait for the parent (cgroup, id maps) -> hostname -> mounts -> prestart /
 * createRuntime hooks (parent) -> createContainer hooks -> pivot_root -> sysctl -> console ->
 * masked/read-only paths -> process attributes -> cwd -> fd cleanup -> "created" -> wait on
 * exec.fifo -> startContainer hooks -> bounding set, user, capabilities, seccomp -> execve. */
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <grp.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "container-internal.h"
#include "fs-safe.h"
#include "log.h"
#include "util.h"

extern char **environ;

_noreturn_ void child_fail(int sync_fd, LadeError *err)
{
        (void) sync_send(sync_fd, SYNC_ERROR, err && err->status ? err->status : EIO,
                         lade_error_message(err));
        _exit(1);
}

#define CHECK(expr)                                     \
        do {                                            \
                if ((expr) < 0)                         \
                        child_fail(p->sync_fd, *err);   \
        } while (0)

static int set_hostname(const Spec *s, bool has_uts, LadeError **err)
{
        if ((s->hostname && *s->hostname) || (s->domainname && *s->domainname)) {
                if (!has_uts)
                        return lade_error_msg(err, EINVAL,
                                              "hostname: cannot set hostname without a private UTS namespace");
        }
        if (s->hostname && *s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
                return lade_error(err, errno, "sethostname '%s'", s->hostname);
        if (s->domainname && *s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0)
                return lade_error(err, errno, "setdomainname '%s'", s->domainname);
        return 0;
}

/* A new network namespace starts with lo down; bring it up as crun (and Docker) do, so
 * localhost works in every container. Best effort: a missing lo is not an error. */
static void loopback_up(void)
{
        _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct ifreq ifr = { 0 };
        strcpy(ifr.ifr_name, "lo");
        if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                return;
        ifr.ifr_flags |= IFF_UP;
        (void) ioctl(fd, SIOCSIFFLAGS, &ifr);
}

static bool has_ns(const InitPlan *p, SpecNamespaceType t, unsigned long flag)
{
        (void) flag;
        return plan_has_ns(p, t);
}

/* Only namespaced sysctls may be set, or a container would change the host (runc's rule). */
static int sysctl_allowed(const InitPlan *p, const char *key, LadeError **err)
{
        static const char *const ipc[] = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",
                                           "kernel.sem", "kernel.shmall", "kernel.shmmax",
                                           "kernel.shmmni", "kernel.shm_rmid_forced", NULL };
        for (size_t i = 0; ipc[i]; i++)
                if (streq(key, ipc[i]))
                        goto need_ipc;
        if (startswith(key, "fs.mqueue."))
                goto need_ipc;
        if (startswith(key, "net."))
                return has_ns(p, SPEC_NS_NETWORK, CLONE_NEWNET) ? 0
                       : lade_error_msg(err, EINVAL, "linux.sysctl: '%s' requires a network namespace", key);
        if (streq(key, "kernel.hostname") || streq(key, "kernel.domainname"))
                return has_ns(p, SPEC_NS_UTS, CLONE_NEWUTS) ? 0
                       : lade_error_msg(err, EINVAL, "linux.sysctl: '%s' requires a UTS namespace", key);
        return lade_error_msg(err, EINVAL, "linux.sysctl: '%s' is not in a separate kernel namespace",
                              key);
need_ipc:
        return has_ns(p, SPEC_NS_IPC, CLONE_NEWIPC) ? 0
               : lade_error_msg(err, EINVAL, "linux.sysctl: '%s' requires an IPC namespace", key);
}

static int apply_sysctl(const InitPlan *p, LadeError **err)
{
        for (size_t i = 0; i < p->spec->linux_.n_sysctl; i++) {
                const SpecKV *kv = &p->spec->linux_.sysctl[i];
                int r = sysctl_allowed(p, kv->key, err);
                if (r < 0)
                        return r;
                if (strstr(kv->key, "..") || strchr(kv->key, '/'))
                        return lade_error_msg(err, EINVAL, "linux.sysctl: invalid key '%s'", kv->key);
                _cleanup_free_ char *path = xasprintf("/proc/sys/%s", kv->key);
                for (char *c = path + 10; *c; c++)
                        if (*c == '.')
                                *c = '/';
                r = write_file_at(AT_FDCWD, path, kv->value, err);
                if (r < 0)
                        return lade_error_wrap(err, "linux.sysctl '%s'", kv->key);
        }
        return 0;
}

static int apply_rlimits(const SpecProcess *proc, LadeError **err)
{
        for (size_t i = 0; i < proc->n_rlimits; i++) {
                struct rlimit rl = { .rlim_cur = proc->rlimits[i].soft, .rlim_max = proc->rlimits[i].hard };
                if (setrlimit(proc->rlimits[i].resource, &rl) < 0)
                        return lade_error(err, errno, "process.rlimits: set %s", proc->rlimits[i].type);
        }
        return 0;
}

static int write_proc_attr(const char *what, const char *path, const char *prefix, const char *value,
                           LadeError **err)
{
        _cleanup_free_ char *text = xasprintf("%s%s", prefix, value);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return lade_error(err, errno, "%s '%s' requested but it is not available on this host",
                                  what, value);
        int r = write_all(fd, text, strlen(text));
        safe_close(fd);
        return r < 0 ? lade_error(err, -r, "set %s '%s'", what, value) : 0;
}

static int apply_lsm(const SpecProcess *proc, LadeError **err)
{
        if (proc->apparmor_profile && *proc->apparmor_profile) {
                struct stat st;
                if (stat("/sys/kernel/security/apparmor", &st) < 0)
                        return lade_error_msg(err, EINVAL,
                                              "process.apparmorProfile: AppArmor is not enabled on this host");
                int r = write_proc_attr("process.apparmorProfile", "/proc/self/attr/apparmor/exec",
                                        "exec ", proc->apparmor_profile, err);
                if (r == -ENOENT)
                        r = write_proc_attr("process.apparmorProfile", "/proc/self/attr/exec", "exec ",
                                            proc->apparmor_profile, err);
                if (r < 0)
                        return r;
        }
        if (proc->selinux_label && *proc->selinux_label) {
                struct stat st;
                if (stat("/sys/fs/selinux/enforce", &st) < 0)
                        return lade_error_msg(err, EINVAL,
                                              "process.selinuxLabel: SELinux is not enabled on this host");
                return write_proc_attr("process.selinuxLabel", "/proc/self/attr/exec", "",
                                       proc->selinux_label, err);
        }
        return 0;
}

static int apply_process_attrs(const InitPlan *p, LadeError **err)
{
        const SpecProcess *proc = p->process;
        if (proc->oom_score_adj.set) {
                char v[32];
                snprintf(v, sizeof(v), "%lld", (long long) proc->oom_score_adj.v);
                int r = write_file_at(AT_FDCWD, "/proc/self/oom_score_adj", v, err);
                if (r < 0)
                        return lade_error_wrap(err, "process.oomScoreAdj");
        }
        int r = apply_rlimits(proc, err);
        if (r < 0)
                return r;
        r = process_apply_sched(proc, err);
        if (r < 0)
                return r;
        if (p->spec->linux_.has_personality && !p->is_exec) {
                unsigned long pers = streq(p->spec->linux_.personality_domain, "LINUX32") ? PER_LINUX32
                                                                                        : PER_LINUX;
                if (personality(pers) < 0)
                        return lade_error(err, errno, "linux.personality");
        }
        if (!p->no_new_keyring) {
                /* a fresh session keyring, named after the container, so keys never leak in */
                (void) syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, p->id);
        }
        return apply_lsm(proc, err);
}

/* Leaky Vessels (CVE-2024-21626): no fd the runtime opened may reach the container, and the
 * cwd must be inside the container's root. Close every fd we do not hand over, then check. */
static int close_fds_and_chdir(const InitPlan *p, LadeError **err)
{
        int keep_max = 2 + p->preserve_fds;
        _cleanup_closedir_ DIR *d = opendir("/proc/self/fd");
        if (!d)
                return lade_error(err, errno, "open /proc/self/fd");
        struct dirent *de;
        while ((de = readdir(d))) {
                int fd = atoi(de->d_name);
                if (de->d_name[0] == '.' || fd <= keep_max || fd == dirfd(d) || fd == p->sync_fd ||
                    fd == p->fifo_fd || fd == p->console_fd || fd == p->listener_fd)
                        continue;
                (void) close(fd);
        }
        const char *cwd = p->process->cwd ? p->process->cwd : "/";
        if (chdir(cwd) < 0)
                return lade_error(err, errno, "process.cwd: chdir to '%s'", cwd);
        char buf[PATH_MAX];
        /* getcwd() fails or says "(unreachable)" when the cwd is outside our root */
        if (!getcwd(buf, sizeof(buf)) || buf[0] != '/')
                return lade_error_msg(err, EPERM, "process.cwd: '%s' is outside the container root", cwd);
        return 0;
}

static int wait_for_start(const InitPlan *p, LadeError **err)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/self/fd/%d", p->fifo_fd);
        /* blocks until `start` opens the fifo for reading */
        int fd;
        do
                fd = open(path, O_WRONLY | O_CLOEXEC);
        while (fd < 0 && errno == EINTR);
        if (fd < 0)
                return lade_error(err, errno, "open exec fifo");
        int r = write_all(fd, "0", 1);
        safe_close(fd);
        return r < 0 ? lade_error(err, -r, "write exec fifo") : 0;
}

_noreturn_ void linux_init_main(InitPlan *p)
{
        LadeError *e = NULL, **err = &e;
        SyncMsg m;
        CHECK(init_enter_namespaces(p, err));
        if (p->wants_state) {
                CHECK(sync_expect(p->sync_fd, SYNC_STATE, &m, err));
                p->state_json = xstrdup(m.text);
        }
        CHECK(set_hostname(p->spec, has_ns(p, SPEC_NS_UTS, CLONE_NEWUTS), err));
        if (p->clone_flags & CLONE_NEWNET)
                loopback_up();
        CHECK(mounts_prepare_rootfs(p, err));
        if (p->parent_hooks) {
                CHECK(sync_send(p->sync_fd, SYNC_RUN_HOOKS, 0, NULL));
                CHECK(sync_expect(p->sync_fd, SYNC_HOOKS_DONE, &m, err));
        }
        CHECK(hooks_run(p->spec, SPEC_HOOK_CREATE_CONTAINER, p->state_json ? p->state_json : "{}", err));
        CHECK(mounts_pivot_root(p, err));
        CHECK(apply_sysctl(p, err));
        if (p->process->terminal && p->console_fd >= 0) {
                CHECK(console_setup_in_container(p->console_fd, p->process, true, err));
                p->console_fd = safe_close(p->console_fd);
        }
        CHECK(mounts_finalize(p, err));
        umask(p->process->user.umask.set ? (mode_t) p->process->user.umask.v : 0022);
        CHECK(apply_process_attrs(p, err));
        CHECK(process_resolve_exec(p, err));
        CHECK(close_fds_and_chdir(p, err));
        (void) prctl(PR_SET_PDEATHSIG, 0);
        CHECK(sync_send(p->sync_fd, SYNC_CREATED, 0, NULL));
        p->sync_fd = safe_close(p->sync_fd);
        if (wait_for_start(p, err) < 0) {
                fprintf(stderr, "lade-runtime: %s\n", lade_error_message(e));
                _exit(1);
        }
        p->fifo_fd = safe_close(p->fifo_fd);
        if (hooks_run(p->spec, SPEC_HOOK_START_CONTAINER, p->state_json ? p->state_json : "{}", err) < 0) {
                fprintf(stderr, "lade-runtime: %s\n", lade_error_message(e));
                _exit(1);
        }
        linux_finalize_and_exec(p);
}

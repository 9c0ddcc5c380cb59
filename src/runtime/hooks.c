/* OCI hooks: each runs as a child with exactly its own args/env, the container state on stdin,
 * and an optional timeout after which it is killed. A failing hook fails the operation (the
 * caller decides; poststart/poststop failures are only warnings per the spec). */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container-internal.h"
#include "log.h"
#include "util.h"

static int pidfd_open_(pid_t pid)
{
        return (int) syscall(SYS_pidfd_open, pid, 0);
}

_noreturn_ static void hook_child(const SpecHook *h, int stdin_fd)
{
        if (dup2(stdin_fd, STDIN_FILENO) < 0)
                _exit(127);
        /* hooks get no fds beyond stdio, and a clean signal mask */
        (void) syscall(SYS_close_range, 3, ~0U, 0);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        char *fallback[] = { h->path, NULL };
        char *empty[] = { NULL };
        execve(h->path, h->args && h->args[0] ? h->args : fallback, h->env ? h->env : empty);
        _exit(127);
}

static int wait_hook(const SpecHook *h, pid_t pid, const char *what, LadeError **err)
{
        _cleanup_close_ int pfd = pidfd_open_(pid);
        int timeout_ms = h->timeout.set ? (int) (h->timeout.v * 1000) : -1;
        if (pfd >= 0) {
                struct pollfd p = { .fd = pfd, .events = POLLIN };
                int k;
                do
                        k = poll(&p, 1, timeout_ms);
                while (k < 0 && errno == EINTR);
                if (k == 0) {
                        (void) kill(pid, SIGKILL);
                        (void) waitpid(pid, NULL, 0);
                        return lade_error_msg(err, ETIMEDOUT, "%s hook '%s' timed out after %llds", what,
                                              h->path, (long long) h->timeout.v);
                }
        }
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return lade_error(err, errno, "wait for %s hook '%s'", what, h->path);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
        if (WIFEXITED(status))
                return lade_error_msg(err, EIO, "%s hook '%s' failed with exit status %d", what, h->path,
                                      WEXITSTATUS(status));
        return lade_error_msg(err, EIO, "%s hook '%s' killed by signal %d", what, h->path,
                              WTERMSIG(status));
}

static int run_one(const SpecHook *h, const char *what, const char *state_json, LadeError **err)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return lade_error(err, errno, "pipe for %s hook", what);
        _cleanup_close_ int rd = p[0], wr = p[1];
        pid_t pid = fork();
        if (pid < 0)
                return lade_error(err, errno, "fork %s hook", what);
        if (pid == 0)
                hook_child(h, rd);
        rd = safe_close(rd);
        /* the hook may not read its stdin at all: ignore EPIPE */
        sigset_t pipe_set, old;
        sigemptyset(&pipe_set);
        sigaddset(&pipe_set, SIGPIPE);
        sigprocmask(SIG_BLOCK, &pipe_set, &old);
        (void) write_all(wr, state_json, strlen(state_json));
        struct timespec zero = { 0, 0 };
        (void) sigtimedwait(&pipe_set, NULL, &zero);
        sigprocmask(SIG_SETMASK, &old, NULL);
        wr = safe_close(wr);
        return wait_hook(h, pid, what, err);
}

int hooks_run(const Spec *spec, SpecHookKind kind, const char *state_json, LadeError **err)
{
        const char *what = spec_hook_kind_to_string(kind);
        for (size_t i = 0; i < spec->n_hooks[kind]; i++) {
                log_debug("running %s hook %s", what, spec->hooks[kind][i].path);
                int r = run_one(&spec->hooks[kind][i], what, state_json, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The monitor zygote: a small single-threaded child that a process about to start threads (lade
 * serve, lade build) forks first, and that forks container monitors on request. A forked child
 * of a multi-threaded process may only exec (locks other threads held stay locked in it), so
 * such a caller otherwise starts each monitor with posix_spawn + exec of `lade __monitor`: an
 * exec, the dynamic linking of a dozen libraries, and a process that forks once more, ~4 ms of
 * each start. The zygote forks without exec, from a process that holds nothing.
 *
 * What stays true:
 * - the zygote keeps nothing of its parent's but its socket (fd 3) and /dev/null as stdio; it
 *   runs no code but this file's loop and, in its children, the monitor's (engine_open of its
 *   own, then engine_monitor_main, as `lade __monitor` does);
 * - a monitor is forked twice (fork, setsid, fork) and the first child is reaped at once, so it
 *   is init's child (or the subreaper's), in its own session, exactly as an exec'd one: the
 *   caller's or the zygote's death does not touch it;
 * - a request is one SOCK_SEQPACKET message carrying the monitor's control socket: if the
 *   zygote cannot fork, or dies, the control socket's copies close and the starter reads EOF
 *   ("exited before starting it"); a request that could not be sent at all (the zygote is gone)
 *   falls back to the exec'd monitor;
 * - the zygote exits when its parent's end of the socket closes (the parent exited, or stopped
 *   it: `lade serve` does when it has been idle for a second, so an idle server is one process;
 *   its zygote is then spawned again, by exec of `lade __zygote`, at the next start — a
 *   request already sent is still served, as EOF comes after the queued messages). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "containers-internal.h"
#include "util.h"

typedef struct ZygoteRequest {
        uint8_t prime;          /* a cgroup_prime_attach(), no fd; else a monitor */
        char root[4096];
        char id[65];
        uint8_t attach;
} ZygoteRequest;

#define ZYGOTE_REAP_MS 5

static pthread_mutex_t zygote_lock = PTHREAD_MUTEX_INITIALIZER;
static int zygote_fd = -EBADF;
static pid_t zygote_pid;
static bool zygote_lazy;        /* spawned (exec'd) at the first request, stopped when idle */

/* The monitor, in the zygote's child: the control socket on fd 3, nothing else but stdio. */
_noreturn_ static void zygote_monitor(const ZygoteRequest *q, int ctl)
{
        (void) setsid();
        pid_t p = fork();
        if (p != 0)
                _exit(p < 0);
        (void) dup3(ctl, 3, O_CLOEXEC);
        (void) close_range(4, ~0U, 0);
        (void) prctl(PR_SET_NAME, "lade-monitor", 0, 0, 0);
        EngineOptions o = { .root = q->root };
        Engine *e = NULL;
        LadeError *err = NULL;
        if (engine_open(&o, &e, &err) >= 0)
                (void) engine_monitor_main(e, q->id, 3, q->attach != 0, &err);
        lade_error_free(err);
        _exit(1);
}

static int zygote_recv(int fd, ZygoteRequest *q, int *ret_ctl)
{
        char cbuf[CMSG_SPACE(sizeof(int))];
        struct iovec iov = { .iov_base = q, .iov_len = sizeof(*q) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                             .msg_controllen = sizeof(cbuf) };
        ssize_t n;
        while ((n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
                ;
        if (n <= 0)
                return n < 0 ? -errno : -EPIPE;
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        int ctl = -EBADF;
        if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
            cm->cmsg_len == CMSG_LEN(sizeof(int)))
                memcpy(&ctl, CMSG_DATA(cm), sizeof(int));
        if ((size_t) n == sizeof(*q) && q->prime) {
                safe_close(ctl);
                *ret_ctl = -EBADF;
                return 0;
        }
        if ((size_t) n != sizeof(*q) || ctl < 0 || !memchr(q->root, 0, sizeof(q->root)) ||
            !memchr(q->id, 0, sizeof(q->id))) {
                safe_close(ctl);
                return -EBADMSG;
        }
        *ret_ctl = ctl;
        return 0;
}

_noreturn_ static void zygote_main(int fd)
{
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        for (int k = 0; k < 3; k++)
                (void) dup2(null, k);
        if (fd != 3)
                (void) dup3(fd, 3, O_CLOEXEC);
        (void) close_range(4, ~0U, 0);
        (void) prctl(PR_SET_NAME, "lade-zygote", 0, 0, 0);
        /* the caller's handlers and mask are not ours; a ^C of the caller's process group
         * must not end us (we end when the caller has) */
        sigset_t none;
        sigemptyset(&none);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);
        for (int s = 1; s < NSIG; s++)
                (void) signal(s, SIG_DFL);
        (void) signal(SIGINT, SIG_IGN);
        (void) signal(SIGQUIT, SIG_IGN);
        (void) signal(SIGHUP, SIG_IGN);
        unsigned primers = 0;
        for (;;) {
                /* primers (our only other children) are reaped as they end: a primer waits for
                 * an RCU grace period, a few ms; no zombie of ours stays long */
                for (pid_t p; primers > 0 && (p = waitpid(-1, NULL, WNOHANG)) > 0;)
                        primers--;
                struct pollfd pf = { .fd = 3, .events = POLLIN };
                if (primers > 0 && poll(&pf, 1, ZYGOTE_REAP_MS) == 0)
                        continue;
                ZygoteRequest q;
                int ctl = -EBADF;
                int r = zygote_recv(3, &q, &ctl);
                if (r == -EBADMSG)
                        continue;
                if (r < 0)
                        _exit(0);
                if (q.prime) {
                        primers += cgroup_prime_attach() > 0;
                        continue;
                }
                pid_t p = fork();
                if (p == 0)
                        zygote_monitor(&q, ctl);
                safe_close(ctl);
                while (p > 0 && waitpid(p, NULL, 0) < 0 && errno == EINTR)
                        ;
        }
}

void engine_monitor_zygote_exec_main(void)
{
        zygote_main(3);
}

void engine_monitor_zygote_lazy(void)
{
        const char *no = getenv("LADE_NO_MONITOR_ZYGOTE");
        pthread_mutex_lock(&zygote_lock);
        zygote_lazy = !(no && streq(no, "1"));
        pthread_mutex_unlock(&zygote_lock);
}

/* A zygote exec'd now (we may have threads): `lade __zygote` with its socket on fd 3. */
static void zygote_spawn_locked(void)
{
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return;
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        sigset_t none;
        sigemptyset(&none);
        posix_spawn_file_actions_init(&fa);
        posix_spawnattr_init(&attr);
        posix_spawn_file_actions_adddup2(&fa, sv[1], 3);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
        char *argv[] = { (char *) "lade", (char *) "__zygote", NULL };
        pid_t p = 0;
        int r = posix_spawn(&p, "/proc/self/exe", &fa, &attr, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        safe_close(sv[1]);
        if (r != 0) {
                safe_close(sv[0]);
                return;
        }
        zygote_fd = sv[0];
        zygote_pid = p;
}

void engine_monitor_zygote_stop(void)
{
        pthread_mutex_lock(&zygote_lock);
        if (zygote_lazy && zygote_fd >= 0) {
                /* it serves what is queued, reads EOF and exits */
                zygote_fd = safe_close(zygote_fd);
                while (waitpid(zygote_pid, NULL, 0) < 0 && errno == EINTR)
                        ;
                zygote_pid = 0;
        }
        pthread_mutex_unlock(&zygote_lock);
}

void engine_monitor_zygote_start(void)
{
        pthread_mutex_lock(&zygote_lock);
        /* LADE_NO_MONITOR_ZYGOTE=1: exec'd monitors (tests, comparisons) */
        const char *no = getenv("LADE_NO_MONITOR_ZYGOTE");
        if (zygote_fd >= 0 || ctr_multi_threaded() || (no && streq(no, "1"))) {
                pthread_mutex_unlock(&zygote_lock);
                return;
        }
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0) {
                pid_t p = fork();
                if (p == 0)
                        zygote_main(sv[1]);
                safe_close(sv[1]);
                if (p > 0) {
                        zygote_fd = sv[0];
                        zygote_pid = p;
                } else
                        safe_close(sv[0]);
        }
        pthread_mutex_unlock(&zygote_lock);
}

/* The zygote is gone (killed): reap it, and start monitors by exec from now on. */
static void zygote_lost(void)
{
        zygote_fd = safe_close(zygote_fd);
        (void) kill(zygote_pid, SIGKILL);
        (void) waitpid(zygote_pid, NULL, 0);
        zygote_pid = 0;
}

/* One request; -ENOENT when there is no zygote or it could not take it (it is gone). */
static int zygote_send(ZygoteRequest *q, int ctl)
{
        char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
        struct iovec iov = { .iov_base = q, .iov_len = sizeof(*q) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        if (ctl >= 0) {
                mh.msg_control = cbuf;
                mh.msg_controllen = sizeof(cbuf);
                struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(cm), &ctl, sizeof(int));
        }
        pthread_mutex_lock(&zygote_lock);
        int r = -ENOENT;
        /* a lazy zygote found gone (killed) is spawned again, once */
        for (int attempt = 0; attempt < 2 && r < 0; attempt++) {
                if (zygote_fd < 0 && zygote_lazy)
                        zygote_spawn_locked();
                if (zygote_fd < 0)
                        break;
                ssize_t n;
                while ((n = sendmsg(zygote_fd, &mh, MSG_NOSIGNAL)) < 0 && errno == EINTR)
                        ;
                r = n == (ssize_t) sizeof(*q) ? 0 : -ENOENT;
                if (r < 0)
                        zygote_lost();
        }
        pthread_mutex_unlock(&zygote_lock);
        return r;
}

int monitor_zygote_spawn(const char *root, const char *id, bool attach, int ctl)
{
        _cleanup_free_ ZygoteRequest *q = xmalloc0(sizeof(*q));
        if (strlen(root) >= sizeof(q->root) || strlen(id) >= sizeof(q->id))
                return -ENAMETOOLONG;
        strcpy(q->root, root);
        strcpy(q->id, id);
        q->attach = attach;
        return zygote_send(q, ctl);
}

int monitor_zygote_prime(void)
{
        _cleanup_free_ ZygoteRequest *q = xmalloc0(sizeof(*q));
        q->prime = 1;
        return zygote_send(q, -EBADF);
}

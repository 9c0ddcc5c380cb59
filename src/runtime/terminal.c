/* Terminals. The pty is always opened inside the container (its devpts instance), its master
 * handed out: through --console-socket to the caller (podman/containerd), or to our own parent
 * which proxies it to the caller's terminal in foreground `run`/`exec -t`. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "container-internal.h"
#include "fs-safe.h"
#include "util.h"

int console_socket_connect(const char *path, LadeError **err)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(path) >= sizeof(sa.sun_path))
                return lade_error_msg(err, ENAMETOOLONG, "console socket path '%s' is too long", path);
        strcpy(sa.sun_path, path);
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return lade_error(err, errno, "create console socket");
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return lade_error(err, errno, "connect to console socket '%s'", path);
        return TAKE_FD(fd);
}

static int send_master(int sock, int master, const char *name)
{
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
        memset(&u, 0, sizeof(u));
        struct iovec iov = { .iov_base = (void *) name, .iov_len = strlen(name) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                             .msg_controllen = sizeof(u.buf) };
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &master, sizeof(int));
        return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/* /dev/console in the container is the pty slave, as with runc. */
static int mount_console(int slave, LadeError **err)
{
        char buf[32];
        _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int target = root < 0 ? -errno : fs_ensure_in_root(root, "/dev/console", false, err);
        if (target < 0)
                return target;
        char src[32];
        snprintf(src, sizeof(src), "/proc/self/fd/%d", slave);
        if (mount(src, fs_fd_path(target, buf), NULL, MS_BIND, NULL) < 0)
                return lade_error(err, errno, "bind the pty on /dev/console");
        return 0;
}

int console_setup_in_container(int console_fd, const SpecProcess *proc, bool mount_cons,
                               LadeError **err)
{
        _cleanup_close_ int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0)
                return lade_error(err, errno, "open /dev/ptmx in the container");
        if (unlockpt(master) < 0)
                return lade_error(err, errno, "unlockpt");
        _cleanup_close_ int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
        if (slave < 0)
                return lade_error(err, errno, "open pty peer");
        if (proc->console_height.set || proc->console_width.set) {
                struct winsize ws = { .ws_row = (unsigned short) proc->console_height.v,
                                      .ws_col = (unsigned short) proc->console_width.v };
                (void) ioctl(slave, TIOCSWINSZ, &ws);
        }
        if (mount_cons) {
                int r = mount_console(slave, err);
                if (r < 0)
                        return r;
        }
        if (setsid() < 0 && errno != EPERM)
                return lade_error(err, errno, "setsid");
        if (ioctl(slave, TIOCSCTTY, 0) < 0)
                return lade_error(err, errno, "make the pty the controlling terminal");
        for (int i = 0; i < 3; i++)
                if (dup2(slave, i) < 0)
                        return lade_error(err, errno, "dup pty to fd %d", i);
        int r = send_master(console_fd, master, "/dev/ptmx");
        if (r < 0)
                return lade_error(err, -r, "send the pty master to the console socket");
        return 0;
}

static struct termios saved_tio;
static bool tio_saved;

static void restore_tty(void)
{
        if (tio_saved)
                (void) tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
}

static void tty_raw(int master)
{
        struct winsize ws;
        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
                (void) ioctl(master, TIOCSWINSZ, &ws);
        if (tcgetattr(STDIN_FILENO, &saved_tio) == 0) {
                tio_saved = true;
                struct termios raw = saved_tio;
                cfmakeraw(&raw);
                raw.c_oflag |= OPOST; /* keep output post-processing as runc does */
                (void) tcsetattr(STDIN_FILENO, TCSANOW, &raw);
                atexit(restore_tty);
        }
}

/* Copies what is readable on `from` to `to`; returns false on EOF/error. */
static bool pump(int from, int to)
{
        char buf[16384];
        ssize_t n = read(from, buf, sizeof(buf));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return true;
        if (n <= 0)
                return false;
        return write_all(to, buf, (size_t) n) == 0;
}

int console_proxy_master(int master_fd, pid_t child, int *ret_status)
{
        tty_raw(master_fd);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        sigaddset(&set, SIGWINCH);
        sigprocmask(SIG_BLOCK, &set, NULL);
        _cleanup_close_ int sfd = signalfd(-1, &set, SFD_CLOEXEC);
        bool in_open = true, out_open = true;
        int status = 0;
        for (;;) {
                struct pollfd p[3] = { { .fd = in_open ? STDIN_FILENO : -1, .events = POLLIN },
                                       { .fd = out_open ? master_fd : -1, .events = POLLIN },
                                       { .fd = sfd, .events = POLLIN } };
                if (poll(p, 3, -1) < 0 && errno != EINTR)
                        break;
                if (p[0].revents)
                        in_open = pump(STDIN_FILENO, master_fd);
                if (p[1].revents)
                        out_open = pump(master_fd, STDOUT_FILENO);
                if (p[2].revents) {
                        struct signalfd_siginfo si;
                        (void) !read(sfd, &si, sizeof(si));
                        struct winsize ws;
                        if (si.ssi_signo == SIGWINCH && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
                                (void) ioctl(master_fd, TIOCSWINSZ, &ws);
                }
                if (waitpid(child, &status, WNOHANG) == child) {
                        while (out_open && poll(&(struct pollfd){ .fd = master_fd, .events = POLLIN }, 1, 0) > 0)
                                out_open = pump(master_fd, STDOUT_FILENO);
                        break;
                }
        }
        restore_tty();
        *ret_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return 0;
}

int console_prepare(const SpecProcess *proc, const char *console_socket, bool proxy,
                    int *ret_console_fd, int *ret_peer, LadeError **err)
{
        if (!proc->terminal)
                return 0;
        if (console_socket) {
                int fd = console_socket_connect(console_socket, err);
                if (fd < 0)
                        return fd;
                *ret_console_fd = fd;
                return 0;
        }
        if (!proxy)
                return lade_error_msg(err, EINVAL,
                                      "process.terminal: cannot allocate a tty without --console-socket when detached");
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return lade_error(err, errno, "socketpair for the terminal");
        *ret_console_fd = sv[0];
        *ret_peer = sv[1];
        return 0;
}

int console_recv_master(int sock, LadeError **err)
{
        char name[64];
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
        struct iovec iov = { .iov_base = name, .iov_len = sizeof(name) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                             .msg_controllen = sizeof(u.buf) };
        if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) < 0)
                return lade_error(err, errno, "receive the pty master");
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        if (!cm || cm->cmsg_type != SCM_RIGHTS)
                return lade_error_msg(err, EPROTO, "no pty master received");
        int fd;
        memcpy(&fd, CMSG_DATA(cm), sizeof(int));
        return fd;
}

int wait_forwarding_signals(pid_t pid)
{
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, NULL);
        _cleanup_close_ int sfd = signalfd(-1, &all, SFD_CLOEXEC);
        int status = 0;
        for (;;) {
                if (waitpid(pid, &status, WNOHANG) == pid)
                        break;
                struct signalfd_siginfo si;
                if (read(sfd, &si, sizeof(si)) != sizeof(si))
                        continue;
                if (si.ssi_signo != SIGCHLD)
                        (void) kill(pid, (int) si.ssi_signo);
        }
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

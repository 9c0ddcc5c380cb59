/* The parent <-> container-init sync channel: fixed-size messages on a SOCK_SEQPACKET pair,
 * optionally carrying one fd. Either side dying shows up as EOF (-EPIPE), never as a hang. */
#include <string.h>
#include <sys/socket.h>

#include "container-internal.h"
#include "util.h"

static int send_msg(int fd, const SyncMsg *m, size_t len, int passfd)
{
        struct iovec iov = { .iov_base = (void *) m, .iov_len = len };
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        if (passfd >= 0) {
                memset(&u, 0, sizeof(u));
                mh.msg_control = u.buf;
                mh.msg_controllen = sizeof(u.buf);
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(c), &passfd, sizeof(int));
        }
        ssize_t k;
        do
                k = sendmsg(fd, &mh, MSG_NOSIGNAL);
        while (k < 0 && errno == EINTR);
        return k < 0 ? -errno : 0;
}

int sync_send(int fd, SyncType type, int value, const char *text)
{
        SyncMsg m = { .type = type, .value = value };
        size_t len = offsetof(SyncMsg, text);
        if (text) {
                size_t n = strnlen(text, SYNC_MAX_PAYLOAD - 1);
                memcpy(m.text, text, n);
                m.text[n] = '\0';
                len += n + 1;
        }
        return send_msg(fd, &m, len, -1);
}

int sync_send_fd(int fd, SyncType type, int passfd)
{
        SyncMsg m = { .type = type };
        return send_msg(fd, &m, offsetof(SyncMsg, text), passfd);
}

int sync_recv(int fd, SyncMsg *m, int *ret_fd)
{
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
        struct iovec iov = { .iov_base = m, .iov_len = sizeof(*m) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                             .msg_controllen = sizeof(u.buf) };
        ssize_t k;
        do
                k = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
        while (k < 0 && errno == EINTR);
        if (k < 0)
                return -errno;
        if (k == 0)
                return -EPIPE;
        if ((size_t) k < offsetof(SyncMsg, text))
                return -EBADMSG;
        m->text[SYNC_MAX_PAYLOAD - 1] = '\0';
        if ((size_t) k == offsetof(SyncMsg, text))
                m->text[0] = '\0';
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                int passed;
                memcpy(&passed, CMSG_DATA(c), sizeof(int));
                if (ret_fd)
                        *ret_fd = passed;
                else
                        safe_close(passed);
        }
        return 0;
}

int sync_expect(int fd, SyncType type, SyncMsg *m, LadeError **err)
{
        int r = sync_recv(fd, m, NULL);
        if (r == -EPIPE)
                return lade_error_msg(err, EPIPE, "container init exited unexpectedly");
        if (r < 0)
                return lade_error(err, -r, "read from container init");
        if (m->type == SYNC_ERROR)
                return lade_error_msg(err, m->value > 0 ? m->value : EIO, "%s", m->text);
        if (m->type != (int32_t) type)
                return lade_error_msg(err, EPROTO, "unexpected message %d from container init (wanted %d)",
                                      m->type, type);
        return 0;
}

int sync_pair(int *ret_parent, int *ret_child, LadeError **err)
{
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return lade_error(err, errno, "socketpair");
        *ret_parent = sv[0];
        *ret_child = sv[1];
        return 0;
}

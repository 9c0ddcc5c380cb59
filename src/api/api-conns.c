/* The server's open connections, kept for two guards libmicrohttpd has not got:
 *   - a deadline for each request head: from the connection's start, or the end of its previous
 *     answer, a whole request line and headers must arrive within the head timeout (the idle
 *     timeout's 120 s), or the connection is shut down. libmicrohttpd's own timeout counts from
 *     the last byte received, so a client sending a byte a second (slowloris) kept its thread
 *     forever. A request being served (a long log stream, a build) and a hijacked connection
 *     (attach, exec) are never cut;
 *   - at most API_CONNECTIONS_PER_UID connections of one local user other than root: one user
 *     cannot take all of the server's API_CONNECTIONS_MAX.
 * The sweep runs on the server's 1-second tick. A connection is shut down (shutdown(2), not
 * closed: the fd stays libmicrohttpd's until its CLOSED notification, which takes it out of the
 * list under the same lock), and its thread then ends on the end of input. */
#include <stdlib.h>
#include <sys/socket.h>

#include "api-internal.h"
#include "log.h"
#include "util.h"

void api_conns_init(ApiServer *s)
{
        s->head_timeout_ns = (int64_t) API_CONNECTION_TIMEOUT_S * 1000000000LL;
        /* for tests only: a shorter deadline (whole seconds, >= 1) */
        const char *t = getenv("LADE_API_HEAD_TIMEOUT");
        int64_t v;
        if (t && parse_int64(t, &v) == 0 && v >= 1 && v <= (int64_t) API_CONNECTION_TIMEOUT_S)
                s->head_timeout_ns = v * 1000000000LL;
}

void api_conn_opened(ApiServer *s, ApiPeer *p, int fd)
{
        p->fd = fd;
        p->head_wait_since_ns = (int64_t) now_ns();
        unsigned same = 0;
        pthread_mutex_lock(&s->conns_lock);
        for (ApiPeer *q = s->conns; q && p->known && p->uid != 0; q = q->conn_next)
                same += q->known && q->uid == p->uid && !q->cut;
        p->conn_next = s->conns;
        if (s->conns)
                s->conns->conn_prev = p;
        s->conns = p;
        if (same >= API_CONNECTIONS_PER_UID) {
                p->cut = true;
                (void) shutdown(fd, SHUT_RDWR);
                log_warning("api: a connection of uid %u refused: it has %u open already", (unsigned) p->uid,
                            same);
        }
        pthread_mutex_unlock(&s->conns_lock);
}

void api_conn_closed(ApiServer *s, ApiPeer *p)
{
        pthread_mutex_lock(&s->conns_lock);
        if (p->conn_prev)
                p->conn_prev->conn_next = p->conn_next;
        else if (s->conns == p)
                s->conns = p->conn_next;
        if (p->conn_next)
                p->conn_next->conn_prev = p->conn_prev;
        p->conn_prev = p->conn_next = NULL;
        pthread_mutex_unlock(&s->conns_lock);
}

void api_conn_request(ApiServer *s, ApiPeer *p, bool begins)
{
        pthread_mutex_lock(&s->conns_lock);
        p->head_wait_since_ns = begins || p->upgraded ? 0 : (int64_t) now_ns();
        pthread_mutex_unlock(&s->conns_lock);
}

void api_conn_upgraded(ApiServer *s, ApiPeer *p)
{
        pthread_mutex_lock(&s->conns_lock);
        p->upgraded = true;
        p->head_wait_since_ns = 0;
        pthread_mutex_unlock(&s->conns_lock);
}

void api_conns_sweep(ApiServer *s)
{
        int64_t now = (int64_t) now_ns();
        pthread_mutex_lock(&s->conns_lock);
        for (ApiPeer *p = s->conns; p; p = p->conn_next) {
                if (p->cut || p->upgraded || p->head_wait_since_ns == 0 ||
                    now - p->head_wait_since_ns < s->head_timeout_ns)
                        continue;
                p->cut = true;
                (void) shutdown(p->fd, SHUT_RDWR);
                log_debug("api: a connection (pid %d) sent no whole request in %lld s: shut down", (int) p->pid,
                          (long long) (s->head_timeout_ns / 1000000000LL));
        }
        pthread_mutex_unlock(&s->conns_lock);
}

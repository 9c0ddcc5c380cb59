/* The API over TCP, as dockerd --tlsverify serves it: TLS (libmicrohttpd with GnuTLS) and a
 * client certificate signed by the server's CA required for every request.
 *
 * What stays true:
 * - There is no TCP without TLS and client certificates: the front end refuses -H tcp://
 *   without --tlsverify and the three files.
 * - libmicrohttpd asks for a client certificate during the handshake but does not check it:
 *   the first request of each connection verifies it (signed by the CA, in its validity
 *   period) before anything else; until then, and if it fails, the peer is unknown, and an
 *   unknown peer is denied everything (403) by the request code.
 * - The peer of a TCP connection is its certificate's subject CN (authorization "certificates",
 *   the audit log's "certificate"); it has no uid, gid or pid. */
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include "gnutls-dl.h"

#include "api-internal.h"
#include "util.h"

/* "HOST:PORT", "[V6]:PORT" or ":PORT" (every address) */
static int split_address(const char *address, char **ret_host, char **ret_port, LadeError **err)
{
        const char *colon = strrchr(address, ':');
        if (!colon || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1))
                return lade_error_msg(err, EINVAL, "tcp://%s: expected HOST:PORT", address);
        const char *h = address;
        size_t hl = (size_t) (colon - address);
        if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
                h++;
                hl -= 2;
        }
        *ret_host = hl ? xstrndup(h, hl) : NULL;
        *ret_port = xstrdup(colon + 1);
        return 0;
}

int api_tls_listen(const char *address, int *ret, LadeError **err)
{
        _cleanup_free_ char *host = NULL, *port = NULL;
        int r = split_address(address, &host, &port, err);
        if (r < 0)
                return r;
        struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                                  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
        struct addrinfo *ai = NULL;
        int gai = getaddrinfo(host, port, &hints, &ai);
        if (gai != 0)
                return lade_error_msg(err, EINVAL, "tcp://%s: %s", address, gai_strerror(gai));
        r = -EADDRNOTAVAIL;
        for (struct addrinfo *a = ai; a; a = a->ai_next) {
                _cleanup_close_ int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
                int one = 1;
                if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
                    bind(fd, a->ai_addr, a->ai_addrlen) < 0 || listen(fd, 128) < 0) {
                        r = -errno;
                        continue;
                }
                *ret = TAKE_FD(fd);
                r = 0;
                break;
        }
        freeaddrinfo(ai);
        return r < 0 ? lade_error(err, -r, "listen on tcp://%s", address) : 0;
}

int api_tls_load(ApiServer *s, const ApiServerOptions *o, LadeError **err)
{
        const char *paths[3] = { o->tls_ca, o->tls_cert, o->tls_key };
        static const char *const what[3] = { "--tlscacert", "--tlscert", "--tlskey" };
        for (int i = 0; i < 3; i++) {
                if (!paths[i] || !*paths[i])
                        return lade_error_msg(err, EINVAL, "tcp://%s needs %s", o->tcp_address, what[i]);
                int r = read_file_at(AT_FDCWD, paths[i], 1u << 20, &s->tls_pem[i], NULL, err);
                if (r < 0)
                        return lade_error_wrap(err, "%s", what[i]);
                if (!strstr(s->tls_pem[i], "-----BEGIN "))
                        return lade_error_msg(err, EINVAL, "%s %s: not a PEM file", what[i], paths[i]);
        }
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
                return lade_error_msg(err, ENOTSUP, "this libmicrohttpd has no TLS");
        return 0;
}

void api_tls_peer_start(struct MHD_Connection *conn, ApiPeer *p)
{
        p->tls = true;
        p->uid = (uid_t) -1;
        p->gid = (gid_t) -1;
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        char host[INET6_ADDRSTRLEN] = "", serv[8] = "";
        if (ci && ci->client_addr) {
                socklen_t len = ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                                        : sizeof(struct sockaddr_in);
                if (getnameinfo(ci->client_addr, len, host, sizeof(host), serv, sizeof(serv),
                                NI_NUMERICHOST | NI_NUMERICSERV) == 0)
                        snprintf(p->remote, sizeof(p->remote), "%s:%s", host, serv);
        }
}

void api_tls_peer_verify(struct MHD_Connection *conn, ApiPeer *p)
{
        p->tls_checked = true;
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
        if (!ci || !ci->tls_session)
                return;
        gnutls_session_t session = (gnutls_session_t) ci->tls_session;
        unsigned status = 0, n = 0;
        /* signed by the CA of --tlscacert (MHD's trust list), in its validity period */
        if (gnutls_certificate_verify_peers2(session, &status) != GNUTLS_E_SUCCESS || status != 0)
                return;
        const gnutls_datum_t *certs = gnutls_certificate_get_peers(session, &n);
        gnutls_x509_crt_t crt;
        if (!certs || n == 0 || gnutls_x509_crt_init(&crt) != GNUTLS_E_SUCCESS)
                return;
        char cn[sizeof(p->cert_cn)];
        size_t len = sizeof(cn);
        if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) == GNUTLS_E_SUCCESS &&
            gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn, &len) == GNUTLS_E_SUCCESS &&
            len > 0 && len < sizeof(cn)) {
                cn[len] = '\0';
                memcpy(p->cert_cn, cn, len + 1);
                p->known = true;
        }
        gnutls_x509_crt_deinit(crt);
}

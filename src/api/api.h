/* The Docker Engine API server (`lade serve`): HTTP/1.1 on a unix socket, served by
 * libmicrohttpd with a thread per connection, over the same engine library as the CLI. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "err.h"

typedef struct ApiServerOptions {
        const char *root;                   /* state root; NULL: $LADE_ROOT, else /var/lib/lade */
        const char *socket_path;            /* created (a stale socket is replaced), removed at exit;
                                             * NULL: TCP only */
        const char *tcp_address;            /* "HOST:PORT" served with TLS, clients must present a
                                             * certificate tls_ca signed; NULL: none */
        const char *tls_ca, *tls_cert, *tls_key;   /* PEM files, all three needed with tcp_address */
        gid_t socket_gid;                   /* group of the socket, mode 0660; (gid_t) -1: 0600 */
        const char *authz_file;             /* NULL: root and socket_gid members may do anything */
        const char *audit_log;              /* NULL: no audit log */
        uint64_t audit_max_size;            /* rotated above this size; 0: API_AUDIT_MAX_SIZE */
        char *const *insecure_registries;
        /* Called once the socket accepts connections. */
        void (*ready)(void *userdata, const char *socket_path);
        void *userdata;
} ApiServerOptions;

/* Serves until SIGTERM or SIGINT: then stops accepting, lets the requests in flight finish
 * (event streams end), and removes the socket. Blocks SIGTERM, SIGINT and SIGPIPE in the
 * calling thread (every server thread inherits that); call it before starting other threads. */
int api_server_run(const ApiServerOptions *o, LadeError **err);

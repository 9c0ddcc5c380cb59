/* lade serve: the Docker Engine API on a unix socket. Thin: flags, the socket's group (made with
 * groupadd when the default group is missing — the front end, not the library, may run a
 * tool), then api_server_run(). */
#include <getopt.h>
#include <grp.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "api.h"
#include "cli.h"
#include "log.h"
#include "util.h"

#define SERVE_DEFAULT_ROOT "/var/lib/lade"
#define SERVE_DEFAULT_SOCKET "/run/lade/lade.sock"
#define SERVE_DEFAULT_GROUP "lade"

extern char **environ;

static int run_groupadd(const char *name)
{
        char *argv[] = { (char *) "groupadd", (char *) "--system", (char *) name, NULL };
        pid_t pid;
        int status;
        if (posix_spawnp(&pid, "groupadd", NULL, NULL, argv, environ) != 0)
                return -ENOENT;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* The socket's group: the named one must exist; the default one is created when missing, and
 * without it the socket is root-only. "" asks for root-only. */
static int socket_group(const char *name, bool explicit, gid_t *ret)
{
        *ret = (gid_t) -1;
        if (!*name)
                return 0;
        struct group *g = getgrnam(name);
        if (!g && explicit) {
                fprintf(stderr, "lade serve: group '%s' does not exist\n", name);
                return -ENOENT;
        }
        if (!g && run_groupadd(name) == 0)
                g = getgrnam(name);
        if (!g) {
                log_warning("group '%s' does not exist and could not be created: the socket is root-only (0600)",
                            name);
                return 0;
        }
        *ret = g->gr_gid;
        return 0;
}

static void on_ready(void *ud, const char *path)
{
        log_info("API listen on %s", path);
}

int cmd_serve(Cli *c, int argc, char **argv)
{
        enum { O_AUTHZ = 256, O_AUDIT, O_AUDIT_MAX, O_TLS, O_TLSVERIFY, O_TLSCA, O_TLSCERT, O_TLSKEY };
        static const struct option opts[] = { { "host", required_argument, NULL, 'H' },
                                              { "group", required_argument, NULL, 'G' },
                                              { "authz", required_argument, NULL, O_AUTHZ },
                                              { "audit-log", required_argument, NULL, O_AUDIT },
                                              { "audit-log-max-size", required_argument, NULL, O_AUDIT_MAX },
                                              { "tls", no_argument, NULL, O_TLS },
                                              { "tlsverify", no_argument, NULL, O_TLSVERIFY },
                                              { "tlscacert", required_argument, NULL, O_TLSCA },
                                              { "tlscert", required_argument, NULL, O_TLSCERT },
                                              { "tlskey", required_argument, NULL, O_TLSKEY },
                                              { NULL, 0, NULL, 0 } };
        const char *unix_host = NULL, *tcp_host = NULL, *group = SERVE_DEFAULT_GROUP;
        bool group_given = false, tlsverify = false;
        ApiServerOptions o = { .insecure_registries = c->insecure, .ready = on_ready };
        int opt;
        while ((opt = getopt_long(argc, argv, "H:G:", opts, NULL)) != -1) {
                switch (opt) {
                case 'H':
                        if (startswith(optarg, "tcp://")) {
                                if (tcp_host)
                                        return cli_usage("-H: one tcp:// address at most");
                                tcp_host = optarg;
                        } else if (startswith(optarg, "unix://") && optarg[7] == '/') {
                                if (unix_host)
                                        return cli_usage("-H: one unix:// socket at most");
                                unix_host = optarg;
                        } else
                                return cli_usage("-H %s: expected unix:///absolute/path or tcp://HOST:PORT", optarg);
                        break;
                case O_TLS: break;
                case O_TLSVERIFY: tlsverify = true; break;
                case O_TLSCA: o.tls_ca = optarg; break;
                case O_TLSCERT: o.tls_cert = optarg; break;
                case O_TLSKEY: o.tls_key = optarg; break;
                case 'G': group = optarg; group_given = true; break;
                case O_AUTHZ: o.authz_file = optarg; break;
                case O_AUDIT: o.audit_log = optarg; break;
                case O_AUDIT_MAX:
                        if (parse_uint64(optarg, &o.audit_max_size) < 0 || o.audit_max_size < 4096)
                                return cli_usage("--audit-log-max-size: expected a number of bytes >= 4096, not '%s'", optarg);
                        break;
                default: return 125;
                }
        }
        if (optind < argc)
                return cli_usage("\"serve\" accepts no arguments.");
        const char *root = c->opts.root ? c->opts.root : getenv("LADE_ROOT");
        if (!root || !*root)
                root = SERVE_DEFAULT_ROOT;
        o.root = root;
        _cleanup_free_ char *path = NULL;
        if (unix_host)
                path = xstrdup(unix_host + 7);
        else if (!tcp_host)
                path = streq(root, SERVE_DEFAULT_ROOT) ? xstrdup(SERVE_DEFAULT_SOCKET) : xasprintf("%s/lade.sock", root);
        o.socket_path = path;
        /* TCP is served only with TLS and client certificates (dockerd --tlsverify): a control
         * socket reachable over the network without them is root for anyone who can connect */
        if (tcp_host) {
                if (!tlsverify || !o.tls_ca || !o.tls_cert || !o.tls_key)
                        return cli_usage("-H %s: tcp:// needs --tlsverify with --tlscacert, --tlscert and --tlskey",
                                         tcp_host);
                o.tcp_address = tcp_host + 6;
        } else if (tlsverify || o.tls_ca || o.tls_cert || o.tls_key)
                return cli_usage("--tlsverify, --tlscacert, --tlscert and --tlskey are for a -H tcp:// address");
        /* a daemon says where it listens, as dockerd does */
        if (log_get_level() < LOG_LEVEL_INFO)
                log_set_level(LOG_LEVEL_INFO);
        if (socket_group(group, group_given, &o.socket_gid) < 0)
                return 1;
        LadeError *err = NULL;
        if (api_server_run(&o, &err) < 0) {
                fprintf(stderr, "lade serve: %s\n", lade_error_message(err));
                lade_error_free(err);
                return 1;
        }
        return 0;
}

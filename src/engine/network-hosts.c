/* Name resolution on user-defined networks without a daemon (so without Docker's embedded DNS):
 * every container on a user network gets the names and aliases of every container on it,
 * itself included, in a block at the end of its hosts file (<root>/containers/<id>/hosts, which
 * the container has bind-mounted as /etc/hosts). The file is rewritten in place (O_TRUNC on the
 * same inode): renaming a new file over it would leave the bind mount on the old one. The
 * default bridge network resolves no names, as in Docker. Callers hold the database write lock,
 * which also serialises the rewrites. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image-db.h"
#include "network-internal.h"
#include "util.h"

#define NET_HOSTS_MAX (1024 * 1024)

char *net_hosts_splice(const char *text, const char *block)
{
        const char *m = NULL;
        for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                if (startswith(p, NET_HOSTS_MARKER)) {
                        m = p;
                        break;
                }
        size_t keep = m ? (size_t) (m - text) : strlen(text);
        const char *nl = keep && text[keep - 1] != '\n' ? "\n" : "";
        if (!block || !*block)
                return xasprintf("%.*s", (int) keep, text);
        return xasprintf("%.*s%s%s%s", (int) keep, text, nl, NET_HOSTS_MARKER, block);
}

static bool is_user_network(sqlite3 *db, const char *network_id)
{
        NetRow row = { 0 };
        bool user = net_db_find(db, network_id, &row, NULL) == 0 && !row.builtin;
        net_row_done(&row);
        return user;
}

static void append_line(char **out, const NetEndpoint *ep)
{
        _cleanup_free_ char *names = xstrdup(ep->name);
        for (char **a = ep->aliases; a && *a; a++) {
                char *t = xasprintf("%s %s", names, *a);
                free(names);
                names = t;
        }
        _cleanup_free_ char *line = xasprintf("%s\t%s\n", ep->ipv4, names);
        if (strstr(*out, line))
                return;
        char *t = xasprintf("%s%s", *out, line);
        free(*out);
        *out = t;
}

static int block_for(sqlite3 *db, const char *container_id, char **ret, LadeError **err)
{
        NetEndpoint *mine = NULL;
        size_t n = 0;
        int r = net_db_endpoints(db, container_id, NULL, &mine, &n, err);
        if (r < 0)
                return r;
        char *out = xstrdup("");
        for (size_t i = 0; r == 0 && i < n; i++) {
                if (!is_user_network(db, mine[i].network_id))
                        continue;
                NetEndpoint *peers = NULL;
                size_t m = 0;
                r = net_db_endpoints(db, NULL, mine[i].network_id, &peers, &m, err);
                for (size_t k = 0; r == 0 && k < m; k++)
                        append_line(&out, &peers[k]);
                net_endpoints_free(peers, m);
        }
        net_endpoints_free(mine, n);
        if (r < 0) {
                free(out);
                return r;
        }
        *ret = out;
        return 0;
}

/* Rewrites one container's file; a container whose file is not written yet is skipped (the start
 * path calls engine_network_hosts_update once it is). */
static int write_block(Engine *e, const char *container_id, const char *block, LadeError **err)
{
        if (!net_name_valid(container_id))
                return lade_error_msg(err, EINVAL, "invalid container ID '%s'", container_id);
        _cleanup_free_ char *path = xasprintf("%s/containers/%s/hosts", engine_root(e), container_id);
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : lade_error(err, errno, "open %s", path);
        struct stat st;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return lade_error_msg(err, EINVAL, "%s is not a regular file", path);
        /* the container may write its /etc/hosts: read it with a limit */
        char self[32];
        snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
        int r = read_file_at(AT_FDCWD, self, NET_HOSTS_MAX, &text, NULL, err);
        if (r < 0)
                return lade_error_wrap(err, "read %s", path);
        _cleanup_free_ char *out = net_hosts_splice(text, block);
        if (ftruncate(fd, 0) < 0)
                return lade_error(err, errno, "truncate %s", path);
        r = (int) pwrite(fd, out, strlen(out), 0);
        if (r < 0 || (size_t) r != strlen(out))
                return lade_error(err, r < 0 ? errno : EIO, "write %s", path);
        return 0;
}

static int refresh_one(Engine *e, sqlite3 *db, const char *container_id, LadeError **err)
{
        _cleanup_free_ char *block = NULL;
        int r = block_for(db, container_id, &block, err);
        return r < 0 ? r : write_block(e, container_id, block, err);
}

int net_hosts_refresh(Engine *e, sqlite3 *db, const char *network_id, const char *container_id,
                      LadeError **err)
{
        NetEndpoint *eps = NULL;
        size_t n = 0;
        int r = 0;
        if (network_id && (r = net_db_endpoints(db, NULL, network_id, &eps, &n, err)) < 0)
                return r;
        for (size_t i = 0; r == 0 && i < n; i++)
                if (!streq(eps[i].container_id, container_id))
                        r = refresh_one(e, db, eps[i].container_id, err);
        net_endpoints_free(eps, n);
        if (r == 0 && container_id)
                r = refresh_one(e, db, container_id, err);
        return r;
}

int engine_network_hosts_entries(Engine *e, const char *container_id, char **ret, LadeError **err)
{
        _cleanup_(image_db_closep) sqlite3 *db = NULL;
        int r = net_db_open(e, &db, err);
        return r < 0 ? r : block_for(db, container_id, ret, err);
}

int engine_network_hosts_update(Engine *e, const char *container_id, LadeError **err)
{
        _cleanup_(image_db_closep) sqlite3 *db = NULL;
        int r = net_db_open(e, &db, err);
        if (r < 0 || (r = image_db_begin(db, err)) < 0)
                return r;
        r = refresh_one(e, db, container_id, err);
        if (r < 0) {
                image_db_rollback(db);
                return r;
        }
        return image_db_commit(db, err);
}

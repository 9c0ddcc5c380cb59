/* process.user: Config.User ("name", "uid", "name:group", "uid:gid") resolved against the
 * rootfs's /etc/passwd and /etc/group exactly as dockerd's getUser does with moby/sys/user
 * (GetExecUserPath + GetAdditionalGroupsPath): same matching rules, same messages.
 *
 * Invariant: the two files are opened with openat2(RESOLVE_IN_ROOT) on the rootfs, so a symlinked
 * /etc/passwd resolves inside the container's tree; a file that cannot be opened counts as
 * missing (as in moby), one that is not a regular file or is too large is an error. */
#include <fcntl.h>
#include <string.h>

#include "container-spec-internal.h"
#include "fs-safe.h"
#include "json-util.h"
#include "util.h"

#define ID_MAX 2147483647 /* moby/sys/user's maxID: 1<<31 - 1 */

typedef struct PwEnt {
        char *name;
        int64_t uid, gid;
} PwEnt;

typedef struct GrEnt {
        char *name;
        int64_t gid;
        char **members;
} GrEnt;

typedef struct UserDb {
        char *passwd_text, *group_text;   /* the buffers the entries point into */
        PwEnt *pw;
        size_t n_pw;
        GrEnt *gr;
        size_t n_gr;
        bool has_passwd, has_group;
} UserDb;

typedef struct ExecUser {
        int64_t uid, gid;
        int64_t *gids;   /* additionalGids, in order */
        size_t n_gids;
} ExecUser;

static void user_db_done(UserDb *db)
{
        for (size_t i = 0; i < db->n_gr; i++)
                free(db->gr[i].members);
        free(db->pw);
        free(db->gr);
        free(db->passwd_text);
        free(db->group_text);
}

static void add_gid(ExecUser *u, int64_t gid)
{
        u->gids = xreallocarray(u->gids, u->n_gids + 1, sizeof(int64_t));
        u->gids[u->n_gids++] = gid;
}

/* Splits a line on ':' in place into at most n fields; missing fields are "". */
static void split_fields(char *line, char **f, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                f[i] = line ? line : (char *) "";
                char *c = line ? strchr(line, ':') : NULL;
                if (c)
                        *c = '\0';
                line = c ? c + 1 : NULL;
        }
}

static char *trim(char *s)
{
        while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\v' || *s == '\f')
                s++;
        size_t n = strlen(s);
        while (n > 0 && strchr(" \t\r\v\f", s[n - 1]))
                s[--n] = '\0';
        return s;
}

/* Go's Atoi with the error dropped, as parseLine does for numeric fields. */
static int64_t field_int(const char *s)
{
        int64_t v;
        return cspec_atoi(s, &v) ? v : 0;
}

static char **split_members(char *s)
{
        char **l = xmalloc0(sizeof(char *));
        if (!*s)
                return l;
        char *p = s;
        for (;;) {
                char *c = strchr(p, ',');
                if (c)
                        *c = '\0';
                size_t n = strv_length(l);
                l = xreallocarray(l, n + 2, sizeof(char *));
                l[n] = p;
                l[n + 1] = NULL;
                if (!c)
                        break;
                p = c + 1;
        }
        return l;
}

static void parse_passwd(UserDb *db)
{
        char *save = NULL;
        for (char *line = strtok_r(db->passwd_text, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
                line = trim(line);
                if (!*line)
                        continue;
                char *f[4];
                split_fields(line, f, ELEMENTSOF(f));
                db->pw = xreallocarray(db->pw, db->n_pw + 1, sizeof(PwEnt));
                db->pw[db->n_pw++] = (PwEnt) { f[0], field_int(f[2]), field_int(f[3]) };
        }
}

static void parse_group(UserDb *db)
{
        char *save = NULL;
        for (char *line = strtok_r(db->group_text, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
                line = trim(line);
                if (!*line || *line == '#')
                        continue;
                char *f[4];
                split_fields(line, f, ELEMENTSOF(f));
                db->gr = xreallocarray(db->gr, db->n_gr + 1, sizeof(GrEnt));
                db->gr[db->n_gr++] = (GrEnt) { f[0], field_int(f[2]), split_members(f[3]) };
        }
}

static int read_in_root(int rootfd, const char *path, char **ret, LadeError **err)
{
        *ret = NULL;
        _cleanup_close_ int fd = fs_open_in_root(rootfd, path, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0,
                                                 NULL);
        if (fd < 0)
                return 0;
        _cleanup_free_ char *what = xasprintf("the container's %s", path);
        return cspec_read_fd(fd, what, CSPEC_MAX_FILE, ret, err);
}

static int user_db_load(const char *rootfs, UserDb *db, LadeError **err)
{
        _cleanup_close_ int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return lade_error(err, errno, "open the rootfs '%s'", rootfs);
        int r = read_in_root(rootfd, "/etc/passwd", &db->passwd_text, err);
        if (r >= 0)
                r = read_in_root(rootfd, "/etc/group", &db->group_text, err);
        if (r < 0)
                return r;
        db->has_passwd = db->passwd_text != NULL;
        db->has_group = db->group_text != NULL;
        if (db->has_passwd)
                parse_passwd(db);
        if (db->has_group)
                parse_group(db);
        return 0;
}

static bool strv_has(char *const *l, const char *s)
{
        for (; l && *l; l++)
                if (streq(*l, s))
                        return true;
        return false;
}

static int range_error(LadeError **err)
{
        return lade_error_msg(err, EINVAL, "uids and gids must be in range 0-%d", ID_MAX);
}

/* The user part: first matching passwd entry, else a numeric uid. */
static int find_user(const UserDb *db, const char *arg, ExecUser *u, const char **ret_name,
                     LadeError **err)
{
        int64_t num;
        bool numeric = cspec_atoi(arg, &num);
        *ret_name = NULL;
        for (size_t i = 0; i < db->n_pw; i++) {
                const PwEnt *p = &db->pw[i];
                bool match = !*arg     ? p->uid == u->uid
                             : numeric ? p->uid == num
                                       : streq(p->name, arg);
                if (match) {
                        *ret_name = p->name;
                        u->uid = p->uid;
                        u->gid = p->gid;
                        return 0;
                }
        }
        if (!*arg)
                return 0;
        if (!numeric)
                return lade_error_msg(err, EINVAL,
                                      "unable to find user %s: no matching entries in passwd file",
                                      arg);
        if (num < 0 || num > ID_MAX)
                return range_error(err);
        u->uid = num;
        return 0;
}

static bool group_matches(const GrEnt *g, const char *arg, const char *user_name)
{
        int64_t num;
        if (!*arg)
                return strv_has(g->members, user_name);
        if (cspec_atoi(arg, &num))
                return g->gid == num;
        return streq(g->name, arg);
}

/* The group part: an explicit group sets u->gid; otherwise the user's memberships are appended
 * to u's supplementary groups. */
static int find_groups(const UserDb *db, const char *arg, const char *user_name, ExecUser *u,
                       LadeError **err)
{
        if (!*arg && !user_name)
                return 0;
        for (size_t i = 0; i < db->n_gr; i++) {
                if (!group_matches(&db->gr[i], arg, user_name))
                        continue;
                if (*arg) {
                        u->gid = db->gr[i].gid;
                        return 0;
                }
                add_gid(u, db->gr[i].gid);
        }
        if (!*arg)
                return 0;
        int64_t num;
        if (!cspec_atoi(arg, &num))
                return lade_error_msg(err, EINVAL,
                                      "unable to find group %s: no matching entries in group file",
                                      arg);
        if (num < 0 || num > ID_MAX)
                return range_error(err);
        u->gid = num;
        return 0;
}

static bool gid_seen(const int64_t *l, size_t n, int64_t gid)
{
        for (size_t i = 0; i < n; i++)
                if (l[i] == gid)
                        return true;
        return false;
}

/* HostConfig.GroupAdd, as GetAdditionalGroups: names or gids, each at most once. (moby returns
 * them from a Go map, in random order; the request's order is kept here.) */
static int additional_groups(const UserDb *db, char *const *add, ExecUser *u, LadeError **err)
{
        _cleanup_free_ int64_t *seen = NULL;
        size_t n_seen = 0;
        for (; add && *add; add++) {
                char num_buf[32];
                bool found = false;
                for (size_t i = 0; i < db->n_gr && !found; i++) {
                        const GrEnt *g = &db->gr[i];
                        snprintf(num_buf, sizeof(num_buf), "%lld", (long long) g->gid);
                        if ((streq(g->name, *add) || streq(num_buf, *add)) &&
                            !gid_seen(seen, n_seen, g->gid)) {
                                seen = xreallocarray(seen, n_seen + 1, sizeof(int64_t));
                                seen[n_seen++] = g->gid;
                                found = true;
                        }
                }
                if (found)
                        continue;
                int64_t gid;
                if (parse_int64(*add, &gid) < 0)
                        return lade_error_msg(
                                err, EINVAL,
                                "Unable to find group %s: no matching entries in group file", *add);
                if (gid < 0 || gid > ID_MAX)
                        return range_error(err);
                if (!gid_seen(seen, n_seen, gid)) {
                        seen = xreallocarray(seen, n_seen + 1, sizeof(int64_t));
                        seen[n_seen++] = gid;
                }
        }
        for (size_t i = 0; i < n_seen; i++)
                add_gid(u, seen[i]);
        return 0;
}

static json_t *user_json(const ExecUser *u)
{
        json_t *gids = json_array();
        for (size_t i = 0; i < u->n_gids; i++)
                json_array_append_new(gids, json_integer(u->gids[i]));
        return json_pack("{s:I, s:I, s:o}", "uid", (json_int_t) u->uid, "gid", (json_int_t) u->gid,
                         "additionalGids", gids);
}

int cspec_user(SpecBuild *b, const char *spec, json_t **ret, LadeError **err)
{
        _cleanup_(user_db_done) UserDb db = {};
        _cleanup_strv_free_ char **group_add = NULL;
        int r = cspec_strv(b->host, "HostConfig", "GroupAdd", &group_add, err);
        if (r >= 0)
                r = user_db_load(b->in->rootfs, &db, err);
        if (r < 0)
                return r;

        /* "user:group[:ignored...]" */
        _cleanup_free_ char *copy = xstrdup(spec ? spec : "");
        char *f[2];
        split_fields(copy, f, ELEMENTSOF(f));
        ExecUser u = {};
        const char *name;
        r = find_user(&db, f[0], &u, &name, err);
        if (r >= 0)
                r = find_groups(&db, f[1], name, &u, err);
        /* the primary gid heads additionalGids, then the memberships, then GroupAdd */
        if (r >= 0) {
                int64_t *memberships = TAKE_PTR(u.gids);
                size_t n = u.n_gids;
                u.n_gids = 0;
                add_gid(&u, u.gid);
                for (size_t i = 0; i < n; i++)
                        add_gid(&u, memberships[i]);
                free(memberships);
                if (group_add && *group_add)
                        r = additional_groups(&db, group_add, &u, err);
        }
        if (r >= 0)
                *ret = user_json(&u);
        free(u.gids);
        return r;
}

int container_user_resolve(const char *rootfs, const char *user, json_t **ret, LadeError **err)
{
        SpecInputs in = { .rootfs = rootfs };
        _cleanup_json_ json_t *host = json_object();
        SpecBuild b = { .in = &in, .host = host };
        return cspec_user(&b, user, ret, err);
}

/* Engine containers (see containers.h). Invariants: a row exists for every container directory
 * we made, and is removed only after the directory and the rootfs mount are gone; a failed
 * create removes everything it made. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "container-spec.h"
#include "containers.h"
#include "image-db.h"
#include "json-util.h"
#include "runtime.h"
#include "util.h"

static const char containers_schema[] =
        "CREATE TABLE IF NOT EXISTS containers (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
        " image TEXT NOT NULL, image_id TEXT NOT NULL, created INTEGER NOT NULL, state TEXT NOT NULL,"
        " exit_code INTEGER NOT NULL DEFAULT 0, finished INTEGER NOT NULL DEFAULT 0,"
        " command TEXT NOT NULL DEFAULT '[]',"
        " create_json TEXT NOT NULL)";

static int open_db(Engine *e, sqlite3 **ret, LadeError **err)
{
        _cleanup_free_ char *path = xasprintf("%s/lade.db", engine_root(e));
        int r = image_db_open(path, ret, err);
        if (r == 0 && (r = image_db_exec(*ret, containers_schema, "create containers table", err)) < 0)
                *ret = image_db_close(*ret);
        return r;
}

static char *run_root(Engine *e)
{
        const char *env = getenv("LADE_RUN_ROOT");
        if (env && *env)
                return xstrdup(env);
        if (streq(engine_root(e), "/var/lib/lade"))
                return xstrdup("/run/lade");
        return xasprintf("%s/run", engine_root(e));
}

static void random_id(char out[static 65])
{
        uint8_t b[32];
        if (getrandom(b, sizeof(b), 0) != sizeof(b))
                for (size_t i = 0; i < sizeof(b); i++)
                        b[i] = (uint8_t) (now_ns() >> (i % 8));
        for (size_t i = 0; i < sizeof(b); i++)
                snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* Docker's generated names: adjective_surname. */
static char *random_name(void)
{
        static const char *const adj[] = { "admiring", "bold", "brave", "clever", "eager", "festive",
                                           "gallant", "happy", "jolly", "keen", "lucid", "modest",
                                           "nifty", "quirky", "serene", "vibrant", "wizardly", "zen" };
        static const char *const who[] = { "babbage", "curie", "dijkstra", "euler", "hopper", "knuth",
                                           "lamport", "liskov", "lovelace", "noether", "ritchie",
                                           "shannon", "thompson", "turing", "wing", "yalow" };
        uint32_t r;
        if (getrandom(&r, sizeof(r), 0) != sizeof(r))
                r = (uint32_t) now_ns();
        return xasprintf("%s_%s", adj[r % ELEMENTSOF(adj)], who[(r / 97) % ELEMENTSOF(who)]);
}

static bool name_valid(const char *n)
{
        /* Docker: [a-zA-Z0-9][a-zA-Z0-9_.-]+ */
        if (!n || strlen(n) < 2 || !((n[0] >= 'a' && n[0] <= 'z') || (n[0] >= 'A' && n[0] <= 'Z') ||
                                     (n[0] >= '0' && n[0] <= '9')))
                return false;
        for (const char *c = n; *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                      *c == '_' || *c == '.' || *c == '-'))
                        return false;
        return true;
}

typedef struct Ctr {
        Engine *e;
        sqlite3 *db;
        char id[65];
        char *name;
        char *dir, *rootfs;
        ImageInfo *image;
        bool row, mounted;
        json_t *spec;
} Ctr;

static void ctr_done(Ctr *c)
{
        free(c->name);
        free(c->dir);
        free(c->rootfs);
        image_info_free(c->image);
        json_decref(c->spec);
        image_db_close(c->db);
}

static int db_step(sqlite3 *db, sqlite3_stmt *st, const char *what, LadeError **err)
{
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc == SQLITE_DONE || rc == SQLITE_ROW)
                return 0;
        return image_db_error(db, rc, what, err);
}

static int insert_row(Ctr *c, const char *image, json_t *create, LadeError **err)
{
        _cleanup_free_ char *body = json_dump_compact(create);
        _cleanup_free_ char *now = xasprintf("%lld", (long long) time(NULL));
        sqlite3_stmt *st;
        int r = image_db_prepare(c->db, "INSERT INTO containers (id, name, image, image_id, created, state,"
                                 " create_json) VALUES (?1, ?2, ?3, ?4, CAST(?5 AS INTEGER), 'created', ?6)",
                                 &st, err, c->id, c->name, image, c->image->id, now, body, NULL);
        if (r < 0)
                return r;
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc == SQLITE_CONSTRAINT) {
                _cleanup_free_ char *other = NULL;
                sqlite3_stmt *q;
                if (image_db_prepare(c->db, "SELECT id FROM containers WHERE name = ?1", &q, NULL, c->name, NULL) == 0) {
                        if (sqlite3_step(q) == SQLITE_ROW)
                                other = xstrdup((const char *) sqlite3_column_text(q, 0));
                        sqlite3_finalize(q);
                }
                return lade_error_msg(err, EEXIST,
                                      "Conflict. The container name \"/%s\" is already in use by container \"%s\"."
                                      " You have to remove (or rename) that container to be able to reuse that name.",
                                      c->name, other ? other : "?");
        }
        if (rc != SQLITE_DONE)
                return image_db_error(c->db, rc, "create container", err);
        c->row = true;
        return 0;
}

static int make_dirs(Ctr *c, LadeError **err)
{
        c->dir = xasprintf("%s/containers/%s", engine_root(c->e), c->id);
        c->rootfs = xasprintf("%s/rootfs", c->dir);
        static const char *const subs[] = { "", "/rootfs", "/upper", "/work" };
        for (size_t i = 0; i < ELEMENTSOF(subs); i++) {
                _cleanup_free_ char *p = xasprintf("%s%s", c->dir, subs[i]);
                int r = mkdir_p(p, 0700);
                if (r < 0)
                        return lade_error(err, -r, "create '%s'", p);
        }
        return 0;
}

/* overlayfs: lowerdir lists the top layer first */
static int mount_rootfs(Ctr *c, LadeError **err)
{
        _cleanup_strv_free_ char **layers = NULL;
        int r = image_store_layer_dirs(engine_images(c->e), c->image->id, &layers, err);
        if (r < 0)
                return r;
        size_t n = strv_length(layers);
        if (n == 0)
                return lade_error_msg(err, EINVAL, "image %s has no layers", c->image->id);
        _cleanup_free_ char *lower = xstrdup("");
        for (size_t i = n; i-- > 0;) {
                char *t = xasprintf("%s%s%s", lower, *lower ? ":" : "", layers[i]);
                free(lower);
                lower = t;
        }
        _cleanup_free_ char *opts = xasprintf("lowerdir=%s,upperdir=%s/upper,workdir=%s/work", lower, c->dir, c->dir);
        if (strlen(opts) >= 4096)
                return lade_error_msg(err, E2BIG, "image has too many layers for one overlay mount");
        if (mount("overlay", c->rootfs, "overlay", 0, opts) < 0)
                return lade_error(err, errno, "mount the container's overlay rootfs");
        c->mounted = true;
        return 0;
}

static int build_spec(Ctr *c, json_t *create, LadeError **err)
{
        SpecInputs in = { .create = create, .image = c->image->config, .rootfs = c->rootfs,
                          .id = c->id, .name = c->name, .state_dir = c->dir };
        int r = container_spec_build(&in, &c->spec, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *text = container_spec_dump(c->spec, JSON_INDENT(2));
        _cleanup_free_ char *path = xasprintf("%s/config.json", c->dir);
        return write_file_atomic_at(AT_FDCWD, path, text, strlen(text), 0600, err);
}

static int set_state(Ctr *c, const char *state, int exit_code, LadeError **err)
{
        char code[16], now[32];
        snprintf(code, sizeof(code), "%d", exit_code);
        snprintf(now, sizeof(now), "%lld", (long long) time(NULL));
        _cleanup_free_ char *cmd = json_dump_compact(json_object_get(json_object_get(c->spec, "process"), "args"));
        sqlite3_stmt *st;
        int r = image_db_prepare(c->db, "UPDATE containers SET state = ?2, exit_code = CAST(?3 AS INTEGER),"
                                 " finished = CAST(?4 AS INTEGER), command = ?5 WHERE id = ?1", &st, err,
                                 c->id, state, code, now, cmd ? cmd : "[]", NULL);
        return r < 0 ? r : db_step(c->db, st, "update container", err);
}

/* Undoes what create made: the mount, the directory, and (when asked) the row. */
static void teardown(Ctr *c, bool remove_row)
{
        /* EINVAL: not a mount point (never mounted, or already gone) */
        if (c->mounted && (umount2(c->rootfs, MNT_DETACH) == 0 || errno == EINVAL || errno == ENOENT))
                c->mounted = false;
        if (!remove_row)
                return;
        if (c->dir && !c->mounted)
                (void) rm_rf_at(AT_FDCWD, c->dir);
        if (c->row) {
                sqlite3_stmt *st;
                if (image_db_prepare(c->db, "DELETE FROM containers WHERE id = ?1", &st, NULL, c->id, NULL) == 0)
                        (void) db_step(c->db, st, "remove container", NULL);
        }
}

/* Docker's exit codes for failures to start: 127 not found, 126 not executable, else 125. */
static int start_failure_code(const LadeError *err)
{
        const char *m = lade_error_message(err);
        if (strstr(m, "executable file not found") || strstr(m, "no such file or directory") ||
            strstr(m, "No such file or directory"))
                return 127;
        if (strstr(m, "ermission denied") || strstr(m, "is a directory"))
                return 126;
        return 125;
}

static int resolve_image(Ctr *c, const RunRequest *req, const char *image, LadeError **err)
{
        ImageStore *s = engine_images(c->e);
        bool always = req->pull && streq(req->pull, "always");
        if (!always && image_store_resolve(s, image, &c->image, NULL) == 0)
                return 0;
        if (req->pull && streq(req->pull, "never"))
                return lade_error_msg(err, ENOENT, "No such image: %s", image);
        char id[72];
        int r = engine_image_pull(c->e, image, req->platform, id, err);
        if (r < 0)
                return lade_error_wrap(err, "Unable to find image '%s' locally", image);
        return image_store_resolve(s, id, &c->image, err);
}

static int create(Ctr *c, const RunRequest *req, LadeError **err)
{
        const char *image = json_string_value(json_object_get(req->create, "Image"));
        if (!image || !*image)
                return lade_error_msg(err, EINVAL, "No image specified");
        if (req->name && !name_valid(req->name))
                return lade_error_msg(err, EINVAL, "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
                                      req->name);
        random_id(c->id);
        c->name = req->name ? xstrdup(req->name) : random_name();
        int r;
        if ((r = resolve_image(c, req, image, err)) < 0 || (r = open_db(c->e, &c->db, err)) < 0 ||
            (r = insert_row(c, image, req->create, err)) < 0 || (r = make_dirs(c, err)) < 0 ||
            (r = mount_rootfs(c, err)) < 0 || (r = build_spec(c, req->create, err)) < 0)
                return r;
        return 0;
}

int engine_container_run(Engine *e, const RunRequest *req, int *ret_status, LadeError **err)
{
        Ctr c = { .e = e };
        int r = create(&c, req, err);
        if (r < 0) {
                *ret_status = 125;
                teardown(&c, true);
                ctr_done(&c);
                return r;
        }
        _cleanup_free_ char *rr = run_root(e), *state = xasprintf("%s/runtime", rr);
        RuntimeContext rt = { .state_root = state };
        CreateOptions o = { .id = c.id, .bundle = c.dir };
        (void) set_state(&c, "running", 0, NULL);
        int status = 0;
        r = container_run(&rt, &o, &status, err);
        if (r < 0)
                status = start_failure_code(*err);
        (void) set_state(&c, r < 0 ? "created" : "exited", status, NULL);
        teardown(&c, req->rm);
        ctr_done(&c);
        *ret_status = status;
        return r;
}

void container_info_list_free(ContainerInfo **l, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(l[i]->id);
                free(l[i]->name);
                free(l[i]->image);
                free(l[i]->image_id);
                free(l[i]->state);
                free(l[i]->created_at);
                strv_free(l[i]->command);
                free(l[i]);
        }
        free(l);
}

static char **command_of(const char *json)
{
        _cleanup_json_ json_t *a = NULL;
        char **v = xmalloc0(sizeof(char *));
        if (json_parse_text(json, strlen(json), "command", &a, NULL) < 0)
                return v;
        size_t i;
        json_t *x;
        json_array_foreach(a, i, x)
                if (json_is_string(x))
                        v = strv_append(v, json_string_value(x));
        return v;
}

int engine_container_list(Engine *e, bool all, ContainerInfo ***ret, size_t *ret_n, LadeError **err)
{
        _cleanup_(image_db_closep) sqlite3 *db = NULL;
        int r = open_db(e, &db, err);
        if (r < 0)
                return r;
        _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
        r = image_db_prepare(db, all ? "SELECT id, name, image, image_id, state, exit_code, created, command"
                                       " FROM containers ORDER BY created DESC"
                                     : "SELECT id, name, image, image_id, state, exit_code, created, command"
                                       " FROM containers WHERE state = 'running' ORDER BY created DESC",
                             &st, err, NULL);
        if (r < 0)
                return r;
        ContainerInfo **l = xmalloc0(sizeof(*l));
        size_t n = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
                ContainerInfo *ci = xmalloc0(sizeof(*ci));
                ci->id = xstrdup((const char *) sqlite3_column_text(st, 0));
                ci->name = xstrdup((const char *) sqlite3_column_text(st, 1));
                ci->image = xstrdup((const char *) sqlite3_column_text(st, 2));
                ci->image_id = xstrdup((const char *) sqlite3_column_text(st, 3));
                ci->state = xstrdup((const char *) sqlite3_column_text(st, 4));
                ci->exit_code = sqlite3_column_int(st, 5);
                ci->created = sqlite3_column_int64(st, 6);
                ci->command = command_of((const char *) sqlite3_column_text(st, 7));
                l = xreallocarray(l, n + 2, sizeof(*l));
                l[n++] = ci;
                l[n] = NULL;
        }
        *ret = l;
        *ret_n = n;
        return 0;
}

int engine_container_remove(Engine *e, const char *name_or_id, bool force, LadeError **err)
{
        Ctr c = { .e = e };
        int r = open_db(e, &c.db, err);
        if (r < 0)
                return r;
        _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
        _cleanup_free_ char *prefix = xasprintf("%s%%", name_or_id);
        r = image_db_prepare(c.db, "SELECT id, state FROM containers WHERE name = ?1 OR id LIKE ?2", &st, err,
                             name_or_id, prefix, NULL);
        if (r < 0 || sqlite3_step(st) != SQLITE_ROW) {
                ctr_done(&c);
                return r < 0 ? r : lade_error_msg(err, ENOENT, "No such container: %s", name_or_id);
        }
        snprintf(c.id, sizeof(c.id), "%s", (const char *) sqlite3_column_text(st, 0));
        bool running = streq((const char *) sqlite3_column_text(st, 1), "running");
        st = image_db_finalize(st);
        if (running && !force) {
                ctr_done(&c);
                return lade_error_msg(err, EBUSY,
                                      "cannot remove container \"%s\": container is running: stop the container before removing or force remove",
                                      name_or_id);
        }
        if (running) {
                _cleanup_free_ char *rr = run_root(e), *state = xasprintf("%s/runtime", rr);
                RuntimeContext rt = { .state_root = state };
                (void) container_delete(&rt, c.id, true, NULL);
        }
        c.dir = xasprintf("%s/containers/%s", engine_root(e), c.id);
        c.rootfs = xasprintf("%s/rootfs", c.dir);
        c.row = true;
        c.mounted = true; /* unmount if still mounted; EINVAL otherwise is fine */
        teardown(&c, true);
        ctr_done(&c);
        return 0;
}

int engine_image_in_use(Engine *e, const char *image_id)
{
        _cleanup_(image_db_closep) sqlite3 *db = NULL;
        _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
        if (open_db(e, &db, NULL) < 0 ||
            image_db_prepare(db, "SELECT 1 FROM containers WHERE image_id = ?1", &st, NULL, image_id, NULL) < 0)
                return -EIO;
        return sqlite3_step(st) == SQLITE_ROW;
}

int engine_image_remove(Engine *e, const char *name, bool force, ImageRemoveFn fn, void *ud, LadeError **err)
{
        _cleanup_(image_info_freep) ImageInfo *info = NULL;
        int r = image_store_resolve(engine_images(e), name, &info, err);
        if (r < 0)
                return r;
        _cleanup_(image_db_closep) sqlite3 *db = NULL;
        if ((r = open_db(e, &db, err)) < 0)
                return r;
        _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
        r = image_db_prepare(db, "SELECT id, state FROM containers WHERE image_id = ?1 ORDER BY state = 'running' DESC",
                             &st, err, info->id, NULL);
        if (r < 0)
                return r;
        if (sqlite3_step(st) == SQLITE_ROW) {
                const char *cid = (const char *) sqlite3_column_text(st, 0);
                bool running = streq((const char *) sqlite3_column_text(st, 1), "running");
                /* Docker: a stopped container's image goes only with -f; a running one's never */
                if (running || !force)
                        return lade_error_msg(err, EBUSY,
                                              "conflict: unable to delete %.12s (%s) - image is being used by %s container %.12s",
                                              info->id + 7, running ? "cannot be forced" : "must be forced",
                                              running ? "running" : "stopped", cid);
        }
        return image_store_remove(engine_images(e), name, force, fn, ud, err);
}

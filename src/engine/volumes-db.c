/* The `volumes` and `container_volumes` tables of lade.db, and the volume directories.
 * What stays true: a volume row exists for every <root>/volumes/<name> directory we keep (a
 * removed volume's directory is renamed into volumes/.trash before its row goes, in the same
 * transaction); container_volumes names only volumes that have a row. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "containers-internal.h"
#include "image-db.h"
#include "json-util.h"
#include "util.h"
#include "volumes-internal.h"

static const char volumes_schema[] =
        "CREATE TABLE IF NOT EXISTS volumes (name TEXT PRIMARY KEY, driver TEXT NOT NULL,"
        " options TEXT NOT NULL DEFAULT '{}', labels TEXT NOT NULL DEFAULT '{}',"
        " created INTEGER NOT NULL, anonymous INTEGER NOT NULL DEFAULT 0);"
        "CREATE TABLE IF NOT EXISTS container_volumes (container_id TEXT NOT NULL,"
        " volume TEXT NOT NULL, destination TEXT NOT NULL, anonymous INTEGER NOT NULL DEFAULT 0,"
        " PRIMARY KEY (container_id, destination));"
        "CREATE INDEX IF NOT EXISTS container_volumes_by_volume ON container_volumes (volume);";

Volume *vol_free(Volume *v)
{
        if (!v)
                return NULL;
        free(v->name);
        free(v->driver);
        json_decref(v->options);
        json_decref(v->labels);
        free(v);
        return NULL;
}

void vol_list_free(Volume **l, size_t n)
{
        for (size_t i = 0; i < n; i++)
                vol_free(l[i]);
        free(l);
}

void vol_refs_free(VolumeRef *r, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(r[i].container_id);
                free(r[i].volume);
                free(r[i].destination);
        }
        free(r);
}

static bool tables_exist(sqlite3 *db)
{
        sqlite3_stmt *st;
        bool found = false;
        if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'container_volumes'",
                               -1, &st, NULL) == SQLITE_OK) {
                found = sqlite3_step(st) == SQLITE_ROW;
                sqlite3_finalize(st);
        }
        return found;
}

int vol_db_open(Engine *e, bool create, sqlite3 **ret, LadeError **err)
{
        _cleanup_free_ char *path = xasprintf("%s/lade.db", engine_root(e));
        _cleanup_(image_db_closep) sqlite3 *db = NULL;
        int r = image_db_open(path, &db, err);
        if (r < 0)
                return r;
        /* a read on every open; the schema is written once */
        if (!tables_exist(db)) {
                if (!create)
                        return -ENOENT;
                r = image_db_exec(db, volumes_schema, "create volume tables", err);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(db);
        return 0;
}

int vol_db_borrow(Engine *e, sqlite3 **ret, LadeError **err)
{
        sqlite3 *db;
        int r = engine_db(e, &db, err);
        if (r < 0)
                return r;
        if (!tables_exist(db))
                return -ENOENT;
        *ret = db;
        return 0;
}

static json_t *col_object(sqlite3_stmt *st, int i)
{
        const char *t = (const char *) sqlite3_column_text(st, i);
        json_t *j = NULL;
        if (t && *t)
                (void) json_parse_text(t, strlen(t), "volume row", &j, NULL);
        if (!json_is_object(j)) {
                json_decref(j);
                j = json_object();
        }
        return j;
}

#define VOL_COLUMNS "name, driver, options, labels, created, anonymous"

static Volume *vol_from_row(sqlite3_stmt *st)
{
        Volume *v = xmalloc0(sizeof(*v));
        v->name = xstrdup((const char *) sqlite3_column_text(st, 0));
        v->driver = xstrdup((const char *) sqlite3_column_text(st, 1));
        v->options = col_object(st, 2);
        v->labels = col_object(st, 3);
        v->created = sqlite3_column_int64(st, 4);
        v->anonymous = sqlite3_column_int(st, 5) != 0;
        return v;
}

int vol_db_get(sqlite3 *db, const char *name, Volume **ret, LadeError **err)
{
        _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
        int r = image_db_prepare(db, "SELECT " VOL_COLUMNS " FROM volumes WHERE name = ?1", &st, err, name, NULL);
        if (r < 0)
                return r;
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
                return lade_error_msg(err, ENOENT, "get %s: no such volume", name);
        if (rc != SQLITE_ROW)
                return image_db_error(db, rc, "read volume", err);
        *ret = vol_from_row(st);
        return 0;
}

static int step_done(sqlite3 *db, sqlite3_stmt *st, const char *what, LadeError **err)
{
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? 0 : image_db_error(db, rc, what, err);
}

int vol_db_insert(sqlite3 *db, const Volume *v, LadeError **err)
{
        _cleanup_free_ char *opts = json_dump_compact(v->options);
        _cleanup_free_ char *labels = json_dump_compact(v->labels);
        char created[24], anon[4];
        snprintf(created, sizeof(created), "%lld", (long long) v->created);
        snprintf(anon, sizeof(anon), "%d", v->anonymous);
        sqlite3_stmt *st;
        int r = image_db_prepare(db, "INSERT INTO volumes (" VOL_COLUMNS ") VALUES (?1, ?2, ?3, ?4,"
                                 " CAST(?5 AS INTEGER), CAST(?6 AS INTEGER))",
                                 &st, err, v->name, v->driver, opts, labels, created, anon, NULL);
        return r < 0 ? r : step_done(db, st, "insert volume", err);
}

int vol_db_delete(sqlite3 *db, const char *name, LadeError **err)
{
        sqlite3_stmt *st;
        int r = image_db_prepare(db, "DELETE FROM volumes WHERE name = ?1", &st, err, name, NULL);
        return r < 0 ? r : step_done(db, st, "delete volume", err);
}

int vol_db_list(sqlite3 *db, Volume ***ret, size_t *ret_n, LadeError **err)
{
        _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
        int r = image_db_prepare(db, "SELECT " VOL_COLUMNS " FROM volumes ORDER BY name", &st, err, NULL);
        if (r < 0)
                return r;
        Volume **l = NULL;
        size_t n = 0;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                l = xreallocarray(l, n + 1, sizeof(*l));
                l[n++] = vol_from_row(st);
        }
        if (rc != SQLITE_DONE) {
                vol_list_free(l, n);
                return image_db_error(db, rc, "list volumes", err);
        }
        *ret = l;
        *ret_n = n;
        return 0;
}

#define REFS_SQL "SELECT container_id, volume, destination, anonymous FROM container_volumes"

int vol_db_refs(sqlite3 *db, const char *container_id, const char *volume, VolumeRef **ret,
                size_t *ret_n, LadeError **err)
{
        _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
        int r;
        if (container_id)
                r = image_db_prepare(db, REFS_SQL " WHERE container_id = ?1 ORDER BY rowid", &st, err, container_id,
                                     NULL);
        else if (volume)
                r = image_db_prepare(db, REFS_SQL " WHERE volume = ?1 ORDER BY container_id", &st, err, volume, NULL);
        else
                r = image_db_prepare(db, REFS_SQL " ORDER BY container_id, rowid", &st, err, NULL);
        if (r < 0)
                return r;
        VolumeRef *l = NULL;
        size_t n = 0;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                l = xreallocarray(l, n + 1, sizeof(*l));
                l[n++] = (VolumeRef) { .container_id = xstrdup((const char *) sqlite3_column_text(st, 0)),
                                       .volume = xstrdup((const char *) sqlite3_column_text(st, 1)),
                                       .destination = xstrdup((const char *) sqlite3_column_text(st, 2)),
                                       .anonymous = sqlite3_column_int(st, 3) != 0 };
        }
        if (rc != SQLITE_DONE) {
                vol_refs_free(l, n);
                return image_db_error(db, rc, "read volume references", err);
        }
        *ret = l;
        *ret_n = n;
        return 0;
}

int vol_db_ref_put(sqlite3 *db, const VolumeRef *ref, LadeError **err)
{
        sqlite3_stmt *st;
        int r = image_db_prepare(db, "INSERT OR REPLACE INTO container_volumes (container_id, volume, destination,"
                                 " anonymous) VALUES (?1, ?2, ?3, CAST(?4 AS INTEGER))",
                                 &st, err, ref->container_id, ref->volume, ref->destination,
                                 ref->anonymous ? "1" : "0", NULL);
        return r < 0 ? r : step_done(db, st, "record volume use", err);
}

int vol_db_refs_drop(sqlite3 *db, const char *container_id, LadeError **err)
{
        sqlite3_stmt *st;
        int r = image_db_prepare(db, "DELETE FROM container_volumes WHERE container_id = ?1", &st, err,
                                 container_id, NULL);
        return r < 0 ? r : step_done(db, st, "drop volume uses", err);
}

int vol_db_ref_counts(sqlite3 *db, json_t **ret, LadeError **err)
{
        _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
        int r = image_db_prepare(db, "SELECT volume, count(DISTINCT container_id) FROM container_volumes"
                                 " GROUP BY volume", &st, err, NULL);
        if (r < 0)
                return r;
        json_t *counts = json_object();
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
                json_object_set_new(counts, (const char *) sqlite3_column_text(st, 0),
                                    json_integer(sqlite3_column_int64(st, 1)));
        if (rc != SQLITE_DONE) {
                json_decref(counts);
                return image_db_error(db, rc, "count volume references", err);
        }
        *ret = counts;
        return 0;
}

/* ---- directories ---- */

char *vol_dir(Engine *e, const char *name)
{
        return xasprintf("%s/volumes/%s", engine_root(e), name);
}

char *vol_data_path(Engine *e, const char *name)
{
        return xasprintf("%s/volumes/%s/_data", engine_root(e), name);
}

int vol_make_dirs(Engine *e, const char *name, LadeError **err)
{
        /* Docker: the volumes dir and each volume's dir 0701 (reachable, not listable), _data
         * 0755; mkdir's mode is masked by the umask, so chmod after */
        _cleanup_free_ char *top = xasprintf("%s/volumes", engine_root(e));
        _cleanup_free_ char *dir = vol_dir(e, name);
        _cleanup_free_ char *data = vol_data_path(e, name);
        const char *paths[] = { top, dir, data };
        const mode_t modes[] = { 0701, 0701, 0755 };
        for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
                if (mkdir(paths[i], modes[i]) < 0 && errno != EEXIST)
                        return lade_error(err, errno, "error while creating volume %s path '%s'",
                                          i == 2 ? "data" : "root", paths[i]);
                if (i > 0 && chmod(paths[i], modes[i]) < 0)
                        return lade_error(err, errno, "chmod '%s'", paths[i]);
        }
        return 0;
}

void vol_trash_dir(Engine *e, const char *name)
{
        _cleanup_free_ char *trash = xasprintf("%s/volumes/.trash", engine_root(e));
        _cleanup_free_ char *dir = vol_dir(e, name);
        _cleanup_free_ char *to = xasprintf("%s/%s-%llx", trash, name, (unsigned long long) now_ns());
        (void) mkdir(trash, 0700);
        if (rename(dir, to) < 0)
                (void) rm_rf_at(AT_FDCWD, dir);
}

void vol_purge_trash(Engine *e)
{
        _cleanup_free_ char *trash = xasprintf("%s/volumes/.trash", engine_root(e));
        (void) rm_rf_at(AT_FDCWD, trash);
}

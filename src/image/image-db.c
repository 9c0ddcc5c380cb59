/* The metadata database. Schema version 1:
 *   images(id PK, manifest_digest, index_digest, created, size, added)
 *   build_intermediates(image_id PK)             images of build steps: hidden from lists
 *   image_layers(image_id, idx, chain_id)          lower to upper
 *   layers(chain_id PK, diff_id, parent, size)     one unpacked dir per chain, shared
 *   tags(ref PK, image_id)                          "docker.io/library/busybox:latest"
 *   repo_digests(repo, digest, image_id, PK(repo, digest))
 */
#include <stdarg.h>
#include <string.h>

#include "image-db.h"
#include "util.h"

static const char schema[] =
        "CREATE TABLE IF NOT EXISTS images (id TEXT PRIMARY KEY, manifest_digest TEXT NOT NULL,"
        " index_digest TEXT NOT NULL, created INTEGER NOT NULL, size INTEGER NOT NULL,"
        " added INTEGER NOT NULL);"
        "CREATE TABLE IF NOT EXISTS layers (chain_id TEXT PRIMARY KEY, diff_id TEXT NOT NULL,"
        " parent TEXT NOT NULL, size INTEGER NOT NULL);"
        "CREATE TABLE IF NOT EXISTS image_layers (image_id TEXT NOT NULL REFERENCES images(id)"
        " ON DELETE CASCADE, idx INTEGER NOT NULL, chain_id TEXT NOT NULL REFERENCES layers(chain_id),"
        " PRIMARY KEY (image_id, idx));"
        "CREATE TABLE IF NOT EXISTS tags (ref TEXT PRIMARY KEY, image_id TEXT NOT NULL"
        " REFERENCES images(id) ON DELETE CASCADE);"
        "CREATE TABLE IF NOT EXISTS repo_digests (repo TEXT NOT NULL, digest TEXT NOT NULL,"
        " image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE, PRIMARY KEY (repo, digest));"
        "CREATE INDEX IF NOT EXISTS tags_image ON tags(image_id);"
        "CREATE INDEX IF NOT EXISTS image_layers_chain ON image_layers(chain_id);"
        "PRAGMA user_version = 1;";

/* Version 2: the images a build made for its steps (its cache), hidden from image lists as
 * BuildKit's cache is; `builder prune` removes them. */
static const char schema_v2[] =
        "CREATE TABLE IF NOT EXISTS build_intermediates (image_id TEXT PRIMARY KEY"
        " REFERENCES images(id) ON DELETE CASCADE);"
        "PRAGMA user_version = 2;";

int image_db_error(sqlite3 *db, int rc, const char *what, LadeError **err)
{
        int e = rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? EBUSY
                : rc == SQLITE_CONSTRAINT ? EEXIST : rc == SQLITE_FULL ? ENOSPC : EIO;
        return lade_error_msg(err, e, "%s: database: %s", what, sqlite3_errmsg(db));
}

int image_db_exec(sqlite3 *db, const char *sql, const char *what, LadeError **err)
{
        int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
        return rc == SQLITE_OK ? 0 : image_db_error(db, rc, what, err);
}

int image_db_user_version(sqlite3 *db)
{
        sqlite3_stmt *st;
        int version = -1;
        if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
                if (sqlite3_step(st) == SQLITE_ROW)
                        version = sqlite3_column_int(st, 0);
                sqlite3_finalize(st);
        }
        return version;
}

int image_db_open(const char *path, sqlite3 **ret, LadeError **err)
{
        sqlite3 *db = NULL;
        int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                 SQLITE_OPEN_NOMUTEX, NULL);
        if (rc != SQLITE_OK) {
                int r = lade_error_msg(err, EIO, "open database '%s': %s", path,
                                       db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
                sqlite3_close(db);
                return r;
        }
        sqlite3_busy_timeout(db, 30000);
        /* Short-lived connections (every lade command, every monitor): closing the last one must
         * not checkpoint the WAL and delete it each time — that costs fsyncs on every command. */
        (void) sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
        int persist = 1;
        (void) sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
        /* WAL lets readers run during a write; NORMAL sync is durable at checkpoints in WAL.
         * The first connection to open the database (most lade commands) rebuilds the WAL index
         * by reading the whole WAL: checkpoints every 64 pages keep that read short (at the
         * default 1000 pages, 4 MB were read on every `run`). */
        int r = image_db_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                              " PRAGMA foreign_keys=ON; PRAGMA wal_autocheckpoint=64;", "configure", err);
        int version = r == 0 ? image_db_user_version(db) : 0;
        if (r == 0 && version < 1)
                r = image_db_exec(db, schema, "create schema", err);
        if (r == 0 && version < 2)
                r = image_db_exec(db, schema_v2, "update schema", err);
        if (r < 0) {
                sqlite3_close(db);
                return r;
        }
        *ret = db;
        return 0;
}

sqlite3 *image_db_close(sqlite3 *db)
{
        sqlite3_close(db);
        return NULL;
}

int image_db_begin(sqlite3 *db, LadeError **err)
{
        return image_db_exec(db, "BEGIN IMMEDIATE", "begin transaction", err);
}

int image_db_commit(sqlite3 *db, LadeError **err)
{
        return image_db_exec(db, "COMMIT", "commit", err);
}

void image_db_rollback(sqlite3 *db)
{
        (void) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

int image_db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **ret, LadeError **err, ...)
{
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
        if (rc != SQLITE_OK)
                return image_db_error(db, rc, "prepare", err);
        va_list ap;
        va_start(ap, err);
        const char *a;
        for (int i = 1; (a = va_arg(ap, const char *)); i++)
                sqlite3_bind_text(st, i, a, -1, SQLITE_TRANSIENT);
        va_end(ap);
        *ret = st;
        return 0;
}

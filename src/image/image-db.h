/* SQLite under the store root: opened in WAL mode with a busy timeout so that many lade
 * processes can use it at once; the schema is created/migrated on open. */
#pragma once

#include <sqlite3.h>

#include "err.h"

int image_db_open(const char *path, sqlite3 **ret, LadeError **err);
sqlite3 *image_db_close(sqlite3 *db);
/* PRAGMA user_version: the image schema's version (1); -1 on error. */
int image_db_user_version(sqlite3 *db);
DEFINE_TRIVIAL_CLEANUP_FUNC(sqlite3 *, image_db_close)
/* Runs SQL with no results; the error names `what`. */
int image_db_exec(sqlite3 *db, const char *sql, const char *what, LadeError **err);
/* BEGIN IMMEDIATE (takes the write lock now, so transactions never deadlock on upgrade). */
int image_db_begin(sqlite3 *db, LadeError **err);
int image_db_commit(sqlite3 *db, LadeError **err);
void image_db_rollback(sqlite3 *db);
/* Prepares sql and binds the NULL-terminated text args ?1, ?2, ... */
int image_db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **ret, LadeError **err, ...);
int image_db_error(sqlite3 *db, int rc, const char *what, LadeError **err);
static inline sqlite3_stmt *image_db_finalize(sqlite3_stmt *st)
{
        sqlite3_finalize(st);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(sqlite3_stmt *, image_db_finalize)

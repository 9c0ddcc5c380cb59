/* The build cache: what identifies a step (its key), the history strings Docker writes, and the
 * `build_cache` table of lade.db mapping keys to image ids. A key only depends on inputs that
 * change the result: the parent image, the step after substitution, the build args it uses, the
 * content (not the mtimes) of its sources, and SOURCE_DATE_EPOCH. A row whose image is gone is a
 * miss (and is dropped). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "builder-internal.h"
#include "build-util.h"
#include "image-db.h"
#include "util.h"

static int strcmp_p(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static void hash_field(Sha256 *h, const char *s)
{
        /* fields are NUL-terminated in the hash so "ab","c" and "a","bc" differ */
        sha256_update(h, s ? s : "", strlen(s ? s : "") + 1);
}

void build_cache_key(const char *parent, const char *desc, char *const *args, const char *content,
                     int64_t epoch, char ret[static 72])
{
        _cleanup_(sha256_freep) Sha256 *h = sha256_new();
        _cleanup_strv_free_ char **sorted = strv_copy(args);
        size_t n = strv_length(sorted);
        char buf[32];

        hash_field(h, "lade-build-cache-v1");
        hash_field(h, parent);
        hash_field(h, desc);
        if (n > 0)
                qsort(sorted, n, sizeof(char *), strcmp_p);
        snprintf(buf, sizeof(buf), "%zu", n);
        hash_field(h, buf);
        for (size_t k = 0; k < n; k++)
                hash_field(h, sorted[k]);
        hash_field(h, content);
        snprintf(buf, sizeof(buf), "%lld", (long long) epoch);
        hash_field(h, buf);
        sha256_final_string(h, ret);
}

void build_digest_add(Sha256 *h, const char *path, const struct stat *st, const char *content,
                      const char *link)
{
        char buf[96];

        hash_field(h, path);
        snprintf(buf, sizeof(buf), "%o %u %u", (unsigned) st->st_mode, (unsigned) st->st_uid,
                 (unsigned) st->st_gid);
        hash_field(h, buf);
        if (S_ISREG(st->st_mode))
                hash_field(h, content);
        else if (S_ISLNK(st->st_mode))
                hash_field(h, link);
        else if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) {
                snprintf(buf, sizeof(buf), "%llu", (unsigned long long) st->st_rdev);
                hash_field(h, buf);
        }
}

char *build_go_strv(char *const *v)
{
        BuildBuf b = {};

        build_buf_putc(&b, '[');
        for (size_t k = 0; v && v[k]; k++) {
                _cleanup_free_ char *q = build_go_quote(v[k]);
                if (k > 0)
                        build_buf_putc(&b, ' ');
                build_buf_puts(&b, q);
        }
        build_buf_putc(&b, ']');
        return build_buf_steal(&b);
}

char *build_created_by_run(char *const *argv, char *const *args)
{
        BuildBuf b = {};
        size_t n = strv_length(args);

        build_buf_puts(&b, "RUN ");
        if (n > 0) {
                _cleanup_free_ char *count = xasprintf("|%zu ", n);
                build_buf_puts(&b, count);
                for (size_t k = 0; k < n; k++) {
                        build_buf_puts(&b, args[k]);
                        build_buf_putc(&b, ' ');
                }
        }
        for (size_t k = 0; argv && argv[k]; k++) {
                if (k > 0)
                        build_buf_putc(&b, ' ');
                build_buf_puts(&b, argv[k]);
        }
        build_buf_puts(&b, " # buildkit");
        return build_buf_steal(&b);
}

char *build_created_by_copy(const char *keyword, const char *what, const char *content_digest,
                            const char *dest)
{
        const char *hex = startswith(content_digest, "sha256:") ? content_digest + 7 : content_digest;
        return xasprintf("%s %s:%s in %s", keyword, what, hex, dest);
}

/* ---- the table ---- */

static const char schema[] =
        "CREATE TABLE IF NOT EXISTS build_cache (key TEXT PRIMARY KEY, image_id TEXT NOT NULL,"
        " created INTEGER NOT NULL);"
        "CREATE INDEX IF NOT EXISTS build_cache_image ON build_cache(image_id);";

int build_cache_init(sqlite3 *db, LadeError **err)
{
        return image_db_exec(db, schema, "create the build cache table", err);
}

int build_cache_open(const char *root, sqlite3 **ret, LadeError **err)
{
        _cleanup_free_ char *path = xasprintf("%s/lade.db", root);
        _cleanup_(image_db_closep) sqlite3 *db = NULL;
        int r = image_db_open(path, &db, err);
        if (r < 0)
                return r;
        r = build_cache_init(db, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(db);
        return 0;
}

int build_cache_get(sqlite3 *db, const char *key, char **ret_id, LadeError **err)
{
        _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
        /* one statement: the row and whether its image still exists */
        int r = image_db_prepare(db, "SELECT c.image_id, EXISTS (SELECT 1 FROM images i WHERE i.id = c.image_id)"
                                 " FROM build_cache c WHERE c.key = ?1", &st, err, key, NULL);
        if (r < 0)
                return r;
        r = sqlite3_step(st);
        if (r == SQLITE_DONE)
                return 0;
        if (r != SQLITE_ROW)
                return image_db_error(db, r, "read the build cache", err);
        if (!sqlite3_column_int(st, 1)) {
                /* the image was removed (rmi, prune): the row is stale */
                st = image_db_finalize(st);
                (void) image_db_prepare(db, "DELETE FROM build_cache WHERE key = ?1", &st, NULL, key,
                                        NULL);
                if (st)
                        (void) sqlite3_step(st);
                return 0;
        }
        *ret_id = xstrdup((const char *) sqlite3_column_text(st, 0));
        return 1;
}

int build_cache_put(sqlite3 *db, const char *key, const char *image_id, LadeError **err)
{
        _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
        _cleanup_free_ char *now = xasprintf("%lld", (long long) time(NULL));
        int r = image_db_prepare(db,
                                 "INSERT OR REPLACE INTO build_cache (key, image_id, created) "
                                 "VALUES (?1, ?2, CAST(?3 AS INTEGER))",
                                 &st, err, key, image_id, now, NULL);
        if (r < 0)
                return r;
        r = sqlite3_step(st);
        if (r != SQLITE_DONE)
                return image_db_error(db, r, "write the build cache", err);
        return 0;
}

/* rmi and garbage collection. Rows go first (one transaction); files after, and only those no
 * remaining image references, so a crash between the two leaves garbage, never a dangling row. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "image-db.h"
#include "image-store-internal.h"
#include "util.h"

static int exec1(ImageStore *s, const char *sql, const char *a, const char *b, LadeError **err)
{
        _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
        int r = image_db_prepare(s->db, sql, &st, err, a, b, NULL);
        if (r < 0)
                return r;
        int rc = sqlite3_step(st);
        return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : image_db_error(s->db, rc, "remove", err);
}

static int count1(ImageStore *s, const char *sql, const char *a)
{
        _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
        if (image_db_prepare(s->db, sql, &st, NULL, a, NULL) < 0 || sqlite3_step(st) != SQLITE_ROW)
                return -EIO;
        return sqlite3_column_int(st, 0);
}

/* Adds every blob an image's manifest names (manifest, index, config, layers) to *set. */
static void image_blobs(ImageStore *s, const char *mdigest, const char *idigest, char ***set)
{
        if (idigest && *idigest)
                *set = strv_append(*set, idigest);
        if (!mdigest || !*mdigest)
                return;
        *set = strv_append(*set, mdigest);
        _cleanup_free_ char *data = NULL;
        size_t len;
        _cleanup_(manifest_freep) Manifest *m = NULL;
        if (blob_store_read(s->blobs, mdigest, MANIFEST_MAX_BYTES, &data, &len, NULL) < 0 ||
            manifest_parse(data, len, NULL, &m, NULL) < 0 || m->kind != MANIFEST_KIND_IMAGE)
                return;
        *set = strv_append(*set, m->config.digest);
        for (size_t i = 0; i < m->n_layers; i++)
                *set = strv_append(*set, m->layers[i].digest);
}

static bool strv_contains(char **v, const char *s)
{
        for (; v && *v; v++)
                if (streq(*v, s))
                        return true;
        return false;
}

/* Blobs referenced by any image still in the db. */
static char **referenced_blobs(ImageStore *s)
{
        char **set = NULL;
        _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
        if (image_db_prepare(s->db, "SELECT manifest_digest, index_digest FROM images", &st, NULL, NULL) < 0)
                return NULL;
        while (sqlite3_step(st) == SQLITE_ROW)
                image_blobs(s, (const char *) sqlite3_column_text(st, 0),
                            (const char *) sqlite3_column_text(st, 1), &set);
        return set;
}

static void remove_orphan_layers(ImageStore *s, char **chains)
{
        for (size_t i = 0; chains && chains[i]; i++) {
                if (count1(s, "SELECT COUNT(*) FROM image_layers WHERE chain_id = ?1", chains[i]) != 0)
                        continue;
                if (exec1(s, "DELETE FROM layers WHERE chain_id = ?1", chains[i], NULL, NULL) < 0)
                        continue;
                _cleanup_free_ char *dir = xasprintf("%s/layers/%s", s->root, chains[i] + 7);
                (void) rm_rf_at(AT_FDCWD, dir);
        }
}

static void report(ImageRemoveFn fn, void *ud, const char *what, const char *name)
{
        if (fn)
                fn(ud, what, name);
}

static int delete_image(ImageStore *s, const char *id, ImageRemoveFn fn, void *ud, LadeError **err)
{
        _cleanup_(image_info_freep) ImageInfo *info = NULL;
        int r = image_store_resolve(s, id, &info, err);
        if (r < 0)
                return r;
        if ((r = image_db_begin(s->db, err)) < 0)
                return r;
        r = exec1(s, "DELETE FROM images WHERE id = ?1", id, NULL, err);
        if (r == 0)
                r = image_db_commit(s->db, err);
        if (r < 0) {
                image_db_rollback(s->db);
                return r;
        }
        for (char **t = info->repo_tags; t && *t; t++)
                report(fn, ud, "Untagged", *t);
        for (char **t = info->repo_digests; t && *t; t++)
                report(fn, ud, "Untagged", *t);
        remove_orphan_layers(s, info->chain_ids);
        _cleanup_strv_free_ char **mine = NULL, **keep = referenced_blobs(s);
        image_blobs(s, info->manifest_digest, info->index_digest, &mine);
        for (char **b = mine; b && *b; b++)
                if (!strv_contains(keep, *b))
                        (void) blob_store_delete(s->blobs, *b, NULL);
        report(fn, ud, "Deleted", id);
        return 0;
}

static int remove_by_id(ImageStore *s, const char *id, bool force, ImageRemoveFn fn, void *ud,
                        LadeError **err)
{
        _cleanup_strv_free_ char **tags = NULL;
        _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
        int r = image_db_prepare(s->db, "SELECT ref FROM tags WHERE image_id = ?1", &st, err, id, NULL);
        if (r < 0)
                return r;
        while (sqlite3_step(st) == SQLITE_ROW) {
                const char *ref = (const char *) sqlite3_column_text(st, 0);
                _cleanup_free_ char *repo = xstrndup(ref, (size_t) (strrchr(ref, ':') - ref));
                if (!strv_contains(tags, repo))
                        tags = strv_append(tags, repo);
        }
        if (strv_length(tags) > 1 && !force)
                return lade_error_msg(err, EBUSY,
                                      "conflict: unable to delete %.12s (must be forced) - image is referenced in multiple repositories",
                                      id + 7);
        return delete_image(s, id, fn, ud, err);
}

static int remove_by_ref(ImageStore *s, const char *name, const ImageInfo *info, ImageRemoveFn fn,
                         void *ud, LadeError **err)
{
        _cleanup_(image_ref_freep) ImageRef *ref = NULL;
        int r = image_ref_parse(name, &ref, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *repo = image_ref_repository(ref);
        _cleanup_free_ char *key = ref->digest ? xasprintf("%s@%s", repo, ref->digest)
                                               : xasprintf("%s:%s", repo, ref->tag);
        /* the last tag (or the digest it was pulled by) takes the image with it */
        if (strv_length(info->repo_tags) <= (ref->digest ? 0u : 1u))
                return delete_image(s, info->id, fn, ud, err);
        r = ref->digest ? exec1(s, "DELETE FROM repo_digests WHERE repo || '@' || digest = ?1", key, NULL, err)
                        : exec1(s, "DELETE FROM tags WHERE ref = ?1", key, NULL, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *familiar = image_ref_familiar(ref);
        report(fn, ud, "Untagged", familiar);
        return 0;
}

int image_store_remove(ImageStore *s, const char *name, bool force, ImageRemoveFn fn, void *ud,
                       LadeError **err)
{
        _cleanup_(image_info_freep) ImageInfo *info = NULL;
        int r = image_store_resolve(s, name, &info, err);
        if (r < 0)
                return r;
        bool by_id = image_ref_looks_like_id(name) && startswith(info->id + 7, startswith(name, "sha256:") ? name + 7 : name);
        if (by_id)
                return remove_by_id(s, info->id, force, fn, ud, err);
        return remove_by_ref(s, name, info, fn, ud, err);
}

int image_store_gc(ImageStore *s, uint64_t *ret_reclaimed, LadeError **err)
{
        _cleanup_strv_free_ char **all = NULL, **keep = referenced_blobs(s);
        int r = blob_store_list(s->blobs, &all, err);
        if (r < 0)
                return r;
        uint64_t freed = 0;
        for (char **b = all; b && *b; b++) {
                if (strv_contains(keep, *b))
                        continue;
                int64_t size = blob_store_size(s->blobs, *b, NULL);
                if (blob_store_delete(s->blobs, *b, NULL) == 0 && size > 0)
                        freed += (uint64_t) size;
        }
        if (ret_reclaimed)
                *ret_reclaimed = freed;
        return 0;
}

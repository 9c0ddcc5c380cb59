/* The image store (see image-store.h). Layers are unpacked into layers/tmp-* (layer-prep.c, on
 * worker threads) and renamed to layers/<chain hex> only when all are complete and their
 * diff_ids verified; rows are written after. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "digest.h"
#include "image-db.h"
#include "image-store.h"
#include "layer.h"
#include "util.h"

#include "image-store-internal.h"

int image_store_open(const char *root, ImageStore **ret, LadeError **err)
{
        return image_store_open_flags(root, 0, ret, err);
}

int image_store_open_flags(const char *root, ImageStoreFlags flags, ImageStore **ret, LadeError **err)
{
        int r = mkdir_p(root, 0711);
        if (r < 0)
                return lade_error(err, -r, "create store root '%s'", root);
        _cleanup_free_ char *layers = xasprintf("%s/layers", root);
        if (mkdir(layers, 0700) < 0 && errno != EEXIST)
                return lade_error(err, errno, "create '%s'", layers);
        ImageStore *s = xmalloc0(sizeof(*s));
        s->root = xstrdup(root);
        _cleanup_free_ char *dbpath = xasprintf("%s/lade.db", root);
        if ((r = blob_store_open(root, &s->blobs, err)) < 0 || (r = image_db_open(dbpath, &s->db, err)) < 0) {
                image_store_free(s);
                return r;
        }
        if (!(flags & IMAGE_STORE_NO_STALE_CLEANUP))
                image_layers_clean_stale(root);
        *ret = s;
        return 0;
}

void image_store_release_db(ImageStore *s)
{
        s->db = image_db_close(s->db);
}

int image_store_reopen_db(ImageStore *s, LadeError **err)
{
        if (s->db)
                return 0;
        _cleanup_free_ char *dbpath = xasprintf("%s/lade.db", s->root);
        return image_db_open(dbpath, &s->db, err);
}

bool image_store_idle(ImageStore *s)
{
        return s->db && sqlite3_get_autocommit(s->db) && !sqlite3_next_stmt(s->db, NULL);
}

struct sqlite3 *image_store_db(ImageStore *s)
{
        return s->db;
}

ImageStore *image_store_free(ImageStore *s)
{
        if (!s)
                return NULL;
        blob_store_free(s->blobs);
        image_db_close(s->db);
        free(s->root);
        free(s);
        return NULL;
}

BlobStore *image_store_blobs(ImageStore *s)
{
        return s->blobs;
}

static int load_manifest(ImageStore *s, const char *digest, Manifest **ret, LadeError **err)
{
        _cleanup_free_ char *data = NULL;
        size_t len;
        int r = blob_store_read(s->blobs, digest, MANIFEST_MAX_BYTES, &data, &len, err);
        if (r < 0)
                return r;
        r = manifest_parse(data, len, NULL, ret, err);
        if (r == 0 && (*ret)->kind != MANIFEST_KIND_IMAGE) {
                *ret = manifest_free(*ret);
                return lade_error_msg(err, EINVAL, "manifest %s is an index, not an image", digest);
        }
        return r;
}

static int load_config(ImageStore *s, const char *digest, ImageConfig **ret, LadeError **err)
{
        _cleanup_free_ char *data = NULL;
        size_t len;
        int r = blob_store_read(s->blobs, digest, CONFIG_MAX_BYTES, &data, &len, err);
        if (r < 0)
                return r;
        return image_config_parse(data, len, ret, err);
}

static int64_t parse_created(const char *s)
{
        struct tm tm = { 0 };
        if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
                return 0;
        return (int64_t) timegm(&tm);
}

typedef struct Commit {
        Manifest *m;
        ImageConfig *cfg;
        char **chains;
        uint64_t *sizes;
        uint64_t total;
} Commit;

static void commit_done(Commit *c)
{
        manifest_free(c->m);
        image_config_free(c->cfg);
        strv_free(c->chains);
        free(c->sizes);
}

/* Every layer of the image unpacked and in place (in parallel, by prep or one made here). */
static int prepare_layers(ImageStore *s, Commit *c, ImageLayerPrep *prep, LadeError **err)
{
        _cleanup_(image_layer_prep_freep) ImageLayerPrep *own = NULL;
        if (!prep) {
                int r = image_store_prep_layers(s, c->m, c->cfg, &own, err);
                if (r < 0)
                        return r;
                prep = own;
        }
        return image_layer_prep_publish(prep, c->m, &c->chains, &c->sizes, err);
}

static int step(sqlite3 *db, sqlite3_stmt *st, LadeError **err)
{
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : image_db_error(db, rc, "write", err);
}

static int write_rows(ImageStore *s, Commit *c, const char *id, const char *mdigest, const char *idigest,
                      const ImageRef *ref, bool repo_digest, LadeError **err)
{
        sqlite3_stmt *st;
        char buf[64];
        int r = 0;
        for (size_t i = 0; r == 0 && c->chains[i]; i++) {
                snprintf(buf, sizeof(buf), "%llu", (unsigned long long) (c->sizes[i] == (uint64_t) -1 ? 0 : c->sizes[i]));
                r = image_db_prepare(s->db, "INSERT OR IGNORE INTO layers VALUES (?1, ?2, ?3, CAST(?4 AS INTEGER))",
                                     &st, err, c->chains[i], c->cfg->diff_ids[i], i ? c->chains[i - 1] : "", buf, NULL);
                if (r == 0)
                        r = step(s->db, st, err);
        }
        _cleanup_free_ char *created = xasprintf("%lld", (long long) parse_created(c->cfg->created));
        _cleanup_free_ char *now = xasprintf("%lld", (long long) time(NULL));
        if (r == 0 && (r = image_db_prepare(s->db, "INSERT OR IGNORE INTO images VALUES (?1, ?2, ?3, CAST(?4 AS INTEGER),"
                                            " 0, CAST(?5 AS INTEGER))",
                                            &st, err, id, mdigest, idigest ? idigest : "", created,
                                            now, NULL)) == 0)
                r = step(s->db, st, err);
        for (size_t i = 0; r == 0 && c->chains[i]; i++) {
                snprintf(buf, sizeof(buf), "%zu", i);
                r = image_db_prepare(s->db, "INSERT OR REPLACE INTO image_layers VALUES (?1, CAST(?2 AS INTEGER), ?3)",
                                     &st, err, id, buf, c->chains[i], NULL);
                if (r == 0)
                        r = step(s->db, st, err);
        }
        if (r == 0 && (r = image_db_prepare(s->db, "UPDATE images SET size = (SELECT COALESCE(SUM(l.size), 0) FROM"
                                            " image_layers il JOIN layers l ON l.chain_id = il.chain_id"
                                            " WHERE il.image_id = ?1) WHERE id = ?1", &st, err, id, NULL)) == 0)
                r = step(s->db, st, err);
        if (r == 0 && ref && ref->tag)
                r = image_store_tag(s, id, ref, err);
        if (r == 0 && ref && repo_digest) {
                _cleanup_free_ char *repo = image_ref_repository(ref);
                r = image_db_prepare(s->db, "INSERT OR REPLACE INTO repo_digests VALUES (?1, ?2, ?3)", &st, err,
                                     repo, idigest && *idigest ? idigest : mdigest, id, NULL);
                if (r == 0)
                        r = step(s->db, st, err);
        }
        return r;
}

int image_store_commit_manifest(ImageStore *s, const char *manifest_digest, const char *index_digest,
                                const ImageRef *ref, bool repo_digest, char ret_id[static 72],
                                LadeError **err)
{
        return image_store_commit_prepared(s, NULL, manifest_digest, index_digest, ref, repo_digest,
                                           ret_id, err);
}

/* The rows of c (loaded, its layers prepared by prep or here) in one transaction. */
static int commit_loaded(ImageStore *s, Commit *c, ImageLayerPrep *prep, const char *manifest_digest,
                         const char *index_digest, const ImageRef *ref, bool repo_digest,
                         char ret_id[static 72], LadeError **err)
{
        int r = prepare_layers(s, c, prep, err);
        if (r == 0)
                r = image_db_begin(s->db, err);
        if (r < 0)
                return r;
        const char *id = c->m->config.digest;
        r = write_rows(s, c, id, manifest_digest, index_digest, ref, repo_digest, err);
        if (r == 0)
                r = image_db_commit(s->db, err);
        if (r < 0) {
                image_db_rollback(s->db);
                return r;
        }
        snprintf(ret_id, 72, "%s", id);
        return 0;
}

int image_store_commit_prepared(ImageStore *s, ImageLayerPrep *prep, const char *manifest_digest,
                                const char *index_digest, const ImageRef *ref, bool repo_digest,
                                char ret_id[static 72], LadeError **err)
{
        _cleanup_(commit_done) Commit c = { 0 };
        int r = load_manifest(s, manifest_digest, &c.m, err);
        if (r == 0)
                r = load_config(s, c.m->config.digest, &c.cfg, err);
        if (r < 0)
                return r;
        return commit_loaded(s, &c, prep, manifest_digest, index_digest, ref, repo_digest, ret_id, err);
}

int image_store_commit_adopting(ImageStore *s, const char *manifest_digest, const char *layer_digest,
                                const char *dir, uint64_t bytes, const ImageRef *ref,
                                char ret_id[static 72], LadeError **err)
{
        _cleanup_(commit_done) Commit c = { 0 };
        _cleanup_(image_layer_prep_freep) ImageLayerPrep *prep = NULL;
        int r = load_manifest(s, manifest_digest, &c.m, err);
        if (r == 0)
                r = load_config(s, c.m->config.digest, &c.cfg, err);
        if (r == 0)
                r = image_store_prep_layers(s, c.m, c.cfg, &prep, err);
        if (r == 0)
                r = image_layer_prep_adopt(prep, layer_digest, dir, bytes, err);
        if (r < 0)
                return r;
        return commit_loaded(s, &c, prep, manifest_digest, NULL, ref, false, ret_id, err);
}

int image_store_tag(ImageStore *s, const char *id, const ImageRef *ref, LadeError **err)
{
        if (!ref->tag)
                return lade_error_msg(err, EINVAL, "tag: reference has no tag");
        _cleanup_free_ char *repo = image_ref_repository(ref);
        _cleanup_free_ char *name = xasprintf("%s:%s", repo, ref->tag);
        sqlite3_stmt *st;
        int r = image_db_prepare(s->db, "INSERT OR REPLACE INTO tags VALUES (?1, ?2)", &st, err, name, id, NULL);
        if (r >= 0)
                r = step(s->db, st, err);
        return r < 0 ? r : image_store_set_intermediate(s, id, false, err);
}

int image_store_set_intermediate(ImageStore *s, const char *id, bool on, LadeError **err)
{
        sqlite3_stmt *st;
        int r = image_db_prepare(s->db, on ? "INSERT OR IGNORE INTO build_intermediates SELECT id FROM images"
                                             " WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM tags WHERE image_id = ?1)"
                                           : "DELETE FROM build_intermediates WHERE image_id = ?1",
                                 &st, err, id, NULL);
        return r < 0 ? r : step(s->db, st, err);
}

/* Reading the image store (resolve, list, layer dirs) and removing images (rmi + the GC of what
 * only the removed image used). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "image-db.h"
#include "image-store-internal.h"
#include "util.h"

ImageInfo *image_info_free(ImageInfo *i)
{
        if (!i)
                return NULL;
        free(i->id);
        free(i->manifest_digest);
        free(i->index_digest);
        strv_free(i->repo_tags);
        strv_free(i->repo_digests);
        strv_free(i->chain_ids);
        free(i->layer_sizes);
        image_config_free(i->config);
        free(i);
        return NULL;
}

void image_info_list_free(ImageInfo **l, size_t n)
{
        for (size_t i = 0; i < n; i++)
                image_info_free(l[i]);
        free(l);
}

/* Runs a one-column query and returns its rows as a string vector. */
static int query_strv(ImageStore *s, const char *sql, const char *arg, char ***ret, LadeError **err)
{
        _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
        int r = image_db_prepare(s->db, sql, &st, err, arg, NULL);
        if (r < 0)
                return r;
        char **v = xmalloc0(sizeof(char *));
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
                v = strv_append(v, (const char *) sqlite3_column_text(st, 0));
        if (rc != SQLITE_DONE) {
                strv_free(v);
                return image_db_error(s->db, rc, "query", err);
        }
        *ret = v;
        return 0;
}

static char *familiar_of(const char *full)
{
        _cleanup_(image_ref_freep) ImageRef *ref = NULL;
        if (image_ref_parse(full, &ref, NULL) < 0)
                return xstrdup(full);
        return image_ref_familiar(ref);
}

static void familiarize(char **v)
{
        for (size_t i = 0; v && v[i]; i++) {
                char *f = familiar_of(v[i]);
                free(v[i]);
                v[i] = f;
        }
}

static int load_layer_sizes(ImageStore *s, ImageInfo *i, LadeError **err)
{
        _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
        int r = image_db_prepare(s->db, "SELECT l.size FROM image_layers il JOIN layers l ON"
                                 " l.chain_id = il.chain_id WHERE il.image_id = ?1 ORDER BY il.idx",
                                 &st, err, i->id, NULL);
        if (r < 0)
                return r;
        i->layer_sizes = xmalloc0((strv_length(i->chain_ids) + 1) * sizeof(int64_t));
        for (size_t k = 0; k < strv_length(i->chain_ids) && sqlite3_step(st) == SQLITE_ROW; k++)
                i->layer_sizes[k] = sqlite3_column_int64(st, 0);
        return 0;
}

static int load_info(ImageStore *s, const char *id, ImageInfo **ret, LadeError **err)
{
        _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
        int r = image_db_prepare(s->db, "SELECT manifest_digest, index_digest, created, size,"
                                 " EXISTS (SELECT 1 FROM build_intermediates WHERE image_id = ?1) FROM images"
                                 " WHERE id = ?1", &st, err, id, NULL);
        if (r < 0)
                return r;
        if (sqlite3_step(st) != SQLITE_ROW)
                return lade_error_msg(err, ENOENT, "No such image: %s", id);
        _cleanup_(image_info_freep) ImageInfo *i = xmalloc0(sizeof(*i));
        i->id = xstrdup(id);
        i->manifest_digest = xstrdup((const char *) sqlite3_column_text(st, 0));
        i->index_digest = xstrdup((const char *) sqlite3_column_text(st, 1));
        i->created = sqlite3_column_int64(st, 2);
        i->size = sqlite3_column_int64(st, 3);
        i->intermediate = sqlite3_column_int(st, 4) != 0;
        if ((r = query_strv(s, "SELECT ref FROM tags WHERE image_id = ?1 ORDER BY ref", id, &i->repo_tags, err)) < 0 ||
            (r = query_strv(s, "SELECT repo || '@' || digest FROM repo_digests WHERE image_id = ?1 ORDER BY repo",
                            id, &i->repo_digests, err)) < 0 ||
            (r = query_strv(s, "SELECT chain_id FROM image_layers WHERE image_id = ?1 ORDER BY idx", id,
                            &i->chain_ids, err)) < 0)
                return r;
        familiarize(i->repo_tags);
        familiarize(i->repo_digests);
        if ((r = load_layer_sizes(s, i, err)) < 0)
                return r;
        _cleanup_free_ char *data = NULL;
        size_t len;
        r = blob_store_read(s->blobs, id, CONFIG_MAX_BYTES, &data, &len, err);
        if (r == 0)
                r = image_config_parse(data, len, &i->config, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(i);
        return 0;
}

static int resolve_id_prefix(ImageStore *s, const char *name, char **ret, LadeError **err)
{
        const char *hex = startswith(name, "sha256:") ? name + 7 : name;
        _cleanup_free_ char *pattern = xasprintf("sha256:%s%%", hex);
        _cleanup_strv_free_ char **ids = NULL;
        int r = query_strv(s, "SELECT id FROM images WHERE id LIKE ?1", pattern, &ids, err);
        if (r < 0)
                return r;
        if (strv_length(ids) > 1)
                return lade_error_msg(err, EINVAL, "image ID '%s' is ambiguous", name);
        if (strv_length(ids) == 0)
                return -ENOENT;
        *ret = xstrdup(ids[0]);
        return 0;
}

static int resolve_ref(ImageStore *s, const char *name, char **ret, LadeError **err)
{
        _cleanup_(image_ref_freep) ImageRef *ref = NULL;
        int r = image_ref_parse(name, &ref, err);
        if (r < 0)
                return r;
        _cleanup_strv_free_ char **ids = NULL;
        _cleanup_free_ char *repo = image_ref_repository(ref);
        if (ref->digest) {
                _cleanup_free_ char *key = xasprintf("%s@%s", repo, ref->digest);
                r = query_strv(s, "SELECT image_id FROM repo_digests WHERE repo || '@' || digest = ?1", key, &ids, err);
        } else {
                _cleanup_free_ char *key = xasprintf("%s:%s", repo, ref->tag);
                r = query_strv(s, "SELECT image_id FROM tags WHERE ref = ?1", key, &ids, err);
        }
        if (r < 0)
                return r;
        if (!ids[0])
                return -ENOENT;
        *ret = xstrdup(ids[0]);
        return 0;
}

int image_store_resolve(ImageStore *s, const char *name, ImageInfo **ret, LadeError **err)
{
        _cleanup_free_ char *id = NULL;
        int r = -ENOENT;
        if (image_ref_looks_like_id(name))
                r = resolve_id_prefix(s, name, &id, err);
        if (r == -ENOENT)
                r = resolve_ref(s, name, &id, err);
        if (r == -ENOENT)
                return lade_error_msg(err, ENOENT, "No such image: %s", name);
        if (r < 0)
                return r;
        return load_info(s, id, ret, err);
}

int image_store_list(ImageStore *s, ImageInfo ***ret, size_t *ret_n, LadeError **err)
{
        _cleanup_strv_free_ char **ids = NULL;
        int r = query_strv(s, "SELECT id FROM images ORDER BY created DESC, added DESC", NULL, &ids, err);
        if (r < 0)
                return r;
        size_t n = strv_length(ids);
        ImageInfo **l = xmalloc0((n + 1) * sizeof(*l));
        for (size_t i = 0; i < n; i++)
                if ((r = load_info(s, ids[i], &l[i], err)) < 0) {
                        image_info_list_free(l, n);
                        return r;
                }
        *ret = l;
        *ret_n = n;
        return 0;
}

int image_store_layer_dirs(ImageStore *s, const char *id, char ***ret, LadeError **err)
{
        _cleanup_strv_free_ char **chains = NULL;
        int r = query_strv(s, "SELECT chain_id FROM image_layers WHERE image_id = ?1 ORDER BY idx", id,
                           &chains, err);
        if (r < 0)
                return r;
        char **v = xmalloc0((strv_length(chains) + 1) * sizeof(char *));
        for (size_t i = 0; chains[i]; i++)
                v[i] = xasprintf("%s/layers/%s/diff", s->root, chains[i] + 7);
        *ret = v;
        return 0;
}

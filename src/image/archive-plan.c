/* The load plan: the images an archive holds, each checked (its manifest, config and layers are
 * files of the archive; its config parses and has one diff_id per layer) before any of them is
 * committed, so that most broken archives fail while the store is still untouched. */
#include <string.h>

#include "archive-internal.h"
#include "blob-store.h"
#include "util.h"

void archive_plan_done(ArchivePlan *p)
{
        for (size_t i = 0; i < p->n; i++) {
                free(p->v[i].index_digest);
                for (ImageRef **r = p->v[i].refs; r && *r; r++)
                        image_ref_free(*r);
                free(p->v[i].refs);
        }
        free(p->v);
        *p = (ArchivePlan) { 0 };
}

int archive_plan_add(ArchivePlan *p, const char *manifest_digest, ArchivePlanImage **ret,
                     LadeError **err)
{
        if (p->n >= ARCHIVE_MAX_IMAGES)
                return lade_error_msg(err, E2BIG, "archive: more than %u images", ARCHIVE_MAX_IMAGES);
        p->v = xreallocarray(p->v, p->n + 1, sizeof(*p->v));
        ArchivePlanImage *img = &p->v[p->n++];
        *img = (ArchivePlanImage) { 0 };
        snprintf(img->manifest_digest, sizeof(img->manifest_digest), "%s", manifest_digest);
        img->refs = xmalloc0(sizeof(ImageRef *));
        *ret = img;
        return 0;
}

void archive_plan_add_ref(ArchivePlanImage *img, ImageRef *ref)
{
        size_t n = 0;
        while (img->refs[n])
                n++;
        img->refs = xreallocarray(img->refs, n + 2, sizeof(ImageRef *));
        img->refs[n] = ref;
        img->refs[n + 1] = NULL;
}

static int check_config(ImageStore *s, const char *digest, size_t n_layers, LadeError **err)
{
        _cleanup_free_ char *data = NULL;
        size_t len;
        _cleanup_(image_config_freep) ImageConfig *cfg = NULL;
        int r = blob_store_read(image_store_blobs(s), digest, CONFIG_MAX_BYTES, &data, &len, err);
        if (r == 0)
                r = image_config_parse(data, len, &cfg, err);
        if (r < 0)
                return lade_error_wrap(err, "archive: config %s", digest);
        if (strv_length(cfg->diff_ids) != n_layers)
                return lade_error_msg(err, EINVAL,
                                      "archive: config %s has %zu diff_ids but the manifest %zu layers",
                                      digest, strv_length(cfg->diff_ids), n_layers);
        return 0;
}

int archive_plan_check(ImageStore *s, const ArchiveFiles *f, ArchivePlanImage *img, LadeError **err)
{
        _cleanup_free_ char *data = NULL;
        size_t len;
        _cleanup_(manifest_freep) Manifest *m = NULL;
        int r = blob_store_read(image_store_blobs(s), img->manifest_digest, MANIFEST_MAX_BYTES, &data,
                                &len, err);
        if (r == 0)
                r = manifest_parse(data, len, NULL, &m, err);
        if (r < 0)
                return lade_error_wrap(err, "archive: manifest %s", img->manifest_digest);
        if (m->kind != MANIFEST_KIND_IMAGE)
                return lade_error_msg(err, EINVAL, "archive: manifest %s is an index, not an image",
                                      img->manifest_digest);
        _cleanup_free_ char *what = xasprintf("manifest %s", img->manifest_digest);
        const ArchiveFile *file;
        if ((r = archive_files_blob(f, m->config.digest, what, &file, err)) < 0)
                return r;
        for (size_t i = 0; i < m->n_layers; i++)
                if ((r = archive_files_blob(f, m->layers[i].digest, what, &file, err)) < 0)
                        return r;
        if ((r = check_config(s, m->config.digest, m->n_layers, err)) < 0)
                return r;
        snprintf(img->id, sizeof(img->id), "%s", m->config.digest);
        return 0;
}

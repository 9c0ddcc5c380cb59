/* The OCI image layout inside an archive: index.json, walked through nested indexes (at most
 * ARCHIVE_MAX_DEPTH deep). Every manifest and index it reaches must be a file of the archive.
 *
 * Names: "io.containerd.image.name" (a full reference) wins; else
 * "org.opencontainers.image.ref.name" when it is a reference ("busybox:1.0", "example.com/a:b").
 * A bare tag ("1.0") names no repository, so such an image loads untagged. A name on an index
 * applies to the manifest chosen from it; an index whose entries carry platforms is resolved to
 * the host's (manifest_select_platform), and its digest is recorded as the image's index. */
#include <string.h>

#include "archive-internal.h"
#include "blob-store.h"
#include "util.h"

typedef struct LayoutWalk {
        ImageStore *s;
        const ArchiveFiles *f;
        ArchivePlan *plan;              /* plan mode; NULL in find mode */
        Platform host;
        /* find mode: every image manifest on every platform is compared with these */
        const char *config_digest;
        char *const *layer_digests;
        char *found;                    /* 72 bytes */
        bool done;
} LayoutWalk;

static int walk_index(LayoutWalk *w, const Manifest *idx, const char *idx_digest, const char *name,
                      unsigned depth, LadeError **err);

static const char *layout_name(const Descriptor *d)
{
        const char *full = json_string_value(json_object_get(d->annotations, ANNOTATION_IMAGE_NAME));
        if (full)
                return full;
        const char *ref = json_string_value(json_object_get(d->annotations, ANNOTATION_REF_NAME));
        if (ref && strpbrk(ref, "/:"))
                return ref;
        return NULL;
}

static int layout_read(LayoutWalk *w, const Descriptor *d, Manifest **ret, LadeError **err)
{
        const ArchiveFile *file;
        int r = archive_files_blob(w->f, d->digest, "index.json", &file, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *data = NULL;
        size_t len;
        r = blob_store_read(image_store_blobs(w->s), d->digest, MANIFEST_MAX_BYTES, &data, &len, err);
        if (r == 0)
                r = manifest_parse(data, len, d->media_type, ret, err);
        if (r < 0)
                return lade_error_wrap(err, "archive: %s", d->digest);
        return 0;
}

static bool layers_equal(const Manifest *m, char *const *digests)
{
        if (strv_length(digests) != m->n_layers)
                return false;
        for (size_t i = 0; i < m->n_layers; i++)
                if (!streq(m->layers[i].digest, digests[i]))
                        return false;
        return true;
}

static int visit_image(LayoutWalk *w, const char *digest, const Manifest *m, const char *parent,
                       const char *name, LadeError **err)
{
        if (!w->plan) {
                if (streq(m->config.digest, w->config_digest) && layers_equal(m, w->layer_digests)) {
                        snprintf(w->found, 72, "%s", digest);
                        w->done = true;
                }
                return 0;
        }
        ArchivePlanImage *img = NULL;
        ImageRef *ref = NULL;
        int r = archive_plan_add(w->plan, digest, &img, err);
        if (r < 0)
                return r;
        img->index_digest = parent ? xstrdup(parent) : NULL;
        if (name && (r = image_ref_parse(name, &ref, err)) < 0)
                return lade_error_wrap(err, "archive: index.json: image name");
        if (ref && ref->tag)
                archive_plan_add_ref(img, ref);
        else
                image_ref_free(ref); /* a digest-only name: nothing to tag */
        return 0;
}

static bool index_has_platforms(const Manifest *m)
{
        for (size_t i = 0; i < m->n_manifests; i++)
                if (m->manifests[i].platform)
                        return true;
        return false;
}

static int visit_platform(LayoutWalk *w, const Descriptor *d, const Manifest *idx, const char *name,
                          LadeError **err)
{
        const Descriptor *sel;
        int r = manifest_select_platform(idx, &w->host, &sel, err);
        if (r < 0)
                return lade_error_wrap(err, "archive: index %s", d->digest);
        _cleanup_(manifest_freep) Manifest *m = NULL;
        if ((r = layout_read(w, sel, &m, err)) < 0)
                return r;
        if (m->kind != MANIFEST_KIND_IMAGE)
                return lade_error_msg(err, EINVAL, "archive: index %s: %s is not an image manifest",
                                      d->digest, sel->digest);
        return visit_image(w, sel->digest, m, d->digest, name, err);
}

static int walk_desc(LayoutWalk *w, const Descriptor *d, const char *parent, const char *name,
                     unsigned depth, LadeError **err)
{
        _cleanup_(manifest_freep) Manifest *m = NULL;
        int r = layout_read(w, d, &m, err);
        if (r < 0)
                return r;
        if (m->kind == MANIFEST_KIND_IMAGE)
                return visit_image(w, d->digest, m, parent, name, err);
        if (w->plan && index_has_platforms(m))
                return visit_platform(w, d, m, name, err);
        return walk_index(w, m, d->digest, name, depth + 1, err);
}

static int walk_index(LayoutWalk *w, const Manifest *idx, const char *idx_digest, const char *name,
                      unsigned depth, LadeError **err)
{
        if (depth > ARCHIVE_MAX_DEPTH)
                return lade_error_msg(err, ELOOP, "archive: index.json: indexes nested more than %u deep",
                                      ARCHIVE_MAX_DEPTH);
        for (size_t i = 0; i < idx->n_manifests && !w->done; i++) {
                const Descriptor *d = &idx->manifests[i];
                const char *n = layout_name(d);
                int r = walk_desc(w, d, idx_digest, n ? n : name, depth, err);
                /* find mode looks for one match: a part it cannot read is simply not it */
                if (r < 0 && w->plan)
                        return r;
        }
        return 0;
}

static int layout_walk(LayoutWalk *w, LadeError **err)
{
        _cleanup_(manifest_freep) Manifest *idx = NULL;
        int r = manifest_parse(w->f->index_json, w->f->index_json_len, MEDIA_OCI_INDEX, &idx, err);
        if (r < 0)
                return lade_error_wrap(err, "archive: index.json");
        if (idx->kind != MANIFEST_KIND_INDEX)
                return lade_error_msg(err, EINVAL, "archive: index.json is not an image index");
        return walk_index(w, idx, NULL, NULL, 0, err);
}

int archive_layout_plan(ImageStore *s, const ArchiveFiles *f, ArchivePlan *plan, LadeError **err)
{
        LayoutWalk w = { .s = s, .f = f, .plan = plan };
        platform_host(&w.host);
        int r = layout_walk(&w, err);
        platform_done(&w.host);
        return r;
}

int archive_layout_find(ImageStore *s, const ArchiveFiles *f, const char *config_digest,
                        char *const *layer_digests, char ret_digest[static 72], LadeError **err)
{
        char found[72] = "";
        LayoutWalk w = { .s = s, .f = f, .config_digest = config_digest,
                         .layer_digests = layer_digests, .found = found };
        int r = layout_walk(&w, err);
        if (r < 0)
                return r;
        if (!w.done)
                return -ENOENT;
        memcpy(ret_digest, found, 72);
        return 0;
}

/* docker-archive's manifest.json: [{"Config": path, "RepoTags": [...], "Layers": [path, ...]}].
 * Legacy archives (Docker < 25) name files "<id>/layer.tar" and "<hex>.json"; Docker 25+ names
 * them "blobs/sha256/<hex>" and carries the real manifests in index.json as well. For each entry
 * the real manifest is used when the archive has one with exactly this config and these layers
 * (so a save/load round trip keeps manifest digests); otherwise an OCI manifest is built, each
 * layer's media type sniffed from its first bytes. The image ID is the config digest either way,
 * as Docker's. */
#include <string.h>

#include "archive-internal.h"
#include "blob-store.h"
#include "json-util.h"
#include "util.h"

/* Docker refuses more than 127 layers when it runs an image; this only bounds the work. */
#define DOCKER_MAX_LAYERS 1000u

static int docker_layers(ImageStore *s, const ArchiveFiles *f, const char *what, json_t *layers,
                         json_t *descs, char **digests, LadeError **err)
{
        size_t i;
        json_t *v;
        json_array_foreach(layers, i, v) {
                _cleanup_free_ char *lwhat = xasprintf("%s.Layers[%zu]", what, i);
                const char *path = json_string_value(v);
                if (!path)
                        return lade_error_msg(err, EINVAL, "archive: %s: not a string", lwhat);
                const ArchiveFile *file;
                const char *media;
                int r = archive_files_lookup(f, path, lwhat, &file, err);
                if (r == 0)
                        r = archive_sniff_layer(image_store_blobs(s), file->digest, &media, err);
                if (r < 0)
                        return r;
                json_array_append_new(descs, archive_descriptor_json(media, file->digest, file->size));
                digests[i] = xstrdup(file->digest);
        }
        return 0;
}

static int docker_manifest(ImageStore *s, const ArchiveFiles *f, const char *what, json_t *item,
                           char ret[static 72], LadeError **err)
{
        const char *config = json_string_value(json_object_get(item, "Config"));
        json_t *layers = json_object_get(item, "Layers");
        if (!config)
                return lade_error_msg(err, EINVAL, "archive: %s: Config: missing or not a string", what);
        if (!json_is_array(layers) || json_array_size(layers) > DOCKER_MAX_LAYERS)
                return lade_error_msg(err, EINVAL, "archive: %s: Layers: missing, not an array or too long",
                                      what);
        _cleanup_free_ char *cwhat = xasprintf("%s.Config", what);
        const ArchiveFile *cfg;
        int r = archive_files_lookup(f, config, cwhat, &cfg, err);
        if (r < 0)
                return r;
        _cleanup_strv_free_ char **digests = xmalloc0((json_array_size(layers) + 1) * sizeof(char *));
        _cleanup_json_ json_t *descs = json_array();
        if ((r = docker_layers(s, f, what, layers, descs, digests, err)) < 0)
                return r;
        if (f->index_json && archive_layout_find(s, f, cfg->digest, digests, ret, NULL) == 0)
                return 0;
        return archive_put_manifest(image_store_blobs(s),
                                    archive_descriptor_json(MEDIA_OCI_CONFIG, cfg->digest, cfg->size),
                                    TAKE_PTR(descs), ret, NULL, NULL, err);
}

static int docker_tags(json_t *tags, const char *what, ArchivePlanImage *img, LadeError **err)
{
        if (!tags || json_is_null(tags))
                return 0;
        if (!json_is_array(tags))
                return lade_error_msg(err, EINVAL, "archive: %s: RepoTags: not an array", what);
        size_t i;
        json_t *v;
        json_array_foreach(tags, i, v) {
                const char *name = json_string_value(v);
                if (!name)
                        return lade_error_msg(err, EINVAL, "archive: %s: RepoTags[%zu]: not a string", what, i);
                ImageRef *ref = NULL;
                int r = image_ref_parse(name, &ref, err);
                if (r < 0)
                        return lade_error_wrap(err, "archive: %s: RepoTags[%zu]", what, i);
                if (!ref->tag || ref->digest) {
                        image_ref_free(ref);
                        return lade_error_msg(err, EINVAL, "archive: %s: RepoTags[%zu]: '%s' is not a tag",
                                              what, i, name);
                }
                archive_plan_add_ref(img, ref);
        }
        return 0;
}

static int docker_entry(ImageStore *s, const ArchiveFiles *f, json_t *item, size_t idx,
                        ArchivePlan *plan, LadeError **err)
{
        _cleanup_free_ char *what = xasprintf("manifest.json[%zu]", idx);
        if (!json_is_object(item))
                return lade_error_msg(err, EINVAL, "archive: %s: not an object", what);
        char mdigest[72];
        ArchivePlanImage *img = NULL;
        int r = docker_manifest(s, f, what, item, mdigest, err);
        if (r == 0)
                r = archive_plan_add(plan, mdigest, &img, err);
        if (r < 0)
                return r;
        return docker_tags(json_object_get(item, "RepoTags"), what, img, err);
}

int archive_docker_plan(ImageStore *s, const ArchiveFiles *f, ArchivePlan *plan, LadeError **err)
{
        _cleanup_json_ json_t *doc = NULL;
        int r = json_parse_text(f->manifest_json, f->manifest_json_len, "manifest.json", &doc, err);
        if (r < 0)
                return lade_error_wrap(err, "archive");
        if (!json_is_array(doc))
                return lade_error_msg(err, EINVAL, "archive: manifest.json: not an array");
        size_t i;
        json_t *item;
        json_array_foreach(doc, i, item)
                if ((r = docker_entry(s, f, item, i, plan, err)) < 0)
                        return r;
        return 0;
}

/* manifest_parse() (with no Content-Type and with each one lade knows) and image_config_parse()
 * on arbitrary bytes: each must either succeed with a usable document or fail with a message,
 * never crash, leak or read out of bounds. A parsed index is also run through platform
 * selection, which walks every entry's platform. */
#include <stdint.h>
#include <stdlib.h>

#include "manifest.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const content_types[] = {
        NULL,
        MEDIA_DOCKER_MANIFEST,
        MEDIA_DOCKER_LIST,
        MEDIA_OCI_MANIFEST,
        MEDIA_OCI_INDEX,
        MEDIA_DOCKER_SCHEMA1_SIGNED,
        "application/json; charset=utf-8",
};

static void check_descriptor(const Descriptor *d)
{
        if (!d->media_type || !d->digest || d->size < 0)
                abort();
}

static void check_manifest(const Manifest *m)
{
        if (!m->media_type || !m->raw || m->schema_version != 2)
                abort();
        if (m->kind == MANIFEST_KIND_IMAGE) {
                check_descriptor(&m->config);
                for (size_t i = 0; i < m->n_layers; i++) {
                        check_descriptor(&m->layers[i]);
                        (void) layer_media_compression(m->layers[i].media_type);
                }
                return;
        }
        if (m->kind != MANIFEST_KIND_INDEX || m->n_layers || m->n_manifests > MANIFEST_MAX_ENTRIES)
                abort();
        for (size_t i = 0; i < m->n_manifests; i++) {
                check_descriptor(&m->manifests[i]);
                if (m->manifests[i].platform && (!m->manifests[i].platform->os ||
                                                 !m->manifests[i].platform->architecture))
                        abort();
        }
}

static void fuzz_select(const Manifest *m)
{
        static const char *const wants[] = { "linux/amd64", "linux/arm64", "linux/arm/v6",
                                             "linux/amd64/v3", "linux/arm64/v9.2" };
        for (size_t i = 0; i < ELEMENTSOF(wants); i++) {
                _cleanup_(lade_error_freep) LadeError *err = NULL;
                const Descriptor *d = NULL;
                Platform p;
                if (platform_parse(wants[i], &p, NULL) < 0)
                        abort();
                int r = manifest_select_platform(m, &p, &d, &err);
                platform_done(&p);
                if ((r < 0) != (d == NULL) || (r < 0 && (!err || !err->msg)))
                        abort();
        }
}

static void fuzz_manifest(const uint8_t *data, size_t size, const char *content_type)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        _cleanup_(manifest_freep) Manifest *m = NULL;

        int r = manifest_parse((const char *) data, size, content_type, &m, &err);
        /* the contract: an error always comes with a message, success always with a document */
        if (r < 0 && (!err || !err->msg || m))
                abort();
        if (r < 0)
                return;
        if (!m || err)
                abort();
        check_manifest(m);
        if (m->kind == MANIFEST_KIND_INDEX)
                fuzz_select(m);
}

static void fuzz_config(const uint8_t *data, size_t size)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        _cleanup_(image_config_freep) ImageConfig *c = NULL;

        int r = image_config_parse((const char *) data, size, &c, &err);
        if (r < 0 && (!err || !err->msg || c))
                abort();
        if (r >= 0 && (!c || !c->raw || err || (c->entrypoint && !c->entrypoint_set) ||
                       (c->cmd && !c->cmd_set)))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        for (size_t i = 0; i < ELEMENTSOF(content_types); i++)
                fuzz_manifest(data, size, content_types[i]);
        fuzz_config(data, size);
        return 0;
}

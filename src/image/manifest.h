/* Image formats: Docker v2 schema2 manifest and manifest list, OCI manifest and index, and the
 * image config. Parsed into plain structs, validated (media types, digests, sizes), with errors
 * naming the field ("manifest: layers[2].digest: invalid digest 'sha256:xyz'"). The raw JSON is
 * kept: digests are always of the exact bytes received, never of a re-serialisation. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

#define MEDIA_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MEDIA_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MEDIA_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define MEDIA_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define MEDIA_DOCKER_FOREIGN_LAYER "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
#define MEDIA_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MEDIA_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MEDIA_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MEDIA_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define MEDIA_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
/* Also recognised: more layer types (layer_media_compression), and schema 1 only to reject it
 * with a clear message. */
#define MEDIA_DOCKER_LAYER_TAR "application/vnd.docker.image.rootfs.diff.tar"
#define MEDIA_DOCKER_LAYER_ZSTD "application/vnd.docker.image.rootfs.diff.tar.zstd"
#define MEDIA_DOCKER_FOREIGN_LAYER_TAR "application/vnd.docker.image.rootfs.foreign.diff.tar"
#define MEDIA_OCI_NONDIST_LAYER "application/vnd.oci.image.layer.nondistributable.v1.tar"
#define MEDIA_OCI_NONDIST_LAYER_GZIP "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
#define MEDIA_OCI_NONDIST_LAYER_ZSTD "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
#define MEDIA_DOCKER_SCHEMA1 "application/vnd.docker.distribution.manifest.v1+json"
#define MEDIA_DOCKER_SCHEMA1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"

#define MANIFEST_MAX_BYTES (4u * 1024 * 1024)
#define CONFIG_MAX_BYTES (8u * 1024 * 1024)
/* Most entries in any array or object of a manifest or config (layers, manifests, Env, ...). */
#define MANIFEST_MAX_ENTRIES 10000

typedef enum ManifestKind {
        MANIFEST_KIND_IMAGE,   /* Docker schema2 or OCI manifest */
        MANIFEST_KIND_INDEX,   /* Docker manifest list or OCI index */
        _MANIFEST_KIND_MAX,
        _MANIFEST_KIND_INVALID = -EINVAL,
} ManifestKind;

typedef struct Platform {
        char *os, *architecture, *variant, *os_version;
} Platform;

typedef struct Descriptor {
        char *media_type;
        char *digest;
        int64_t size;
        char **urls;
        json_t *annotations;   /* object or NULL */
        Platform *platform;    /* index entries only; NULL if absent */
} Descriptor;

typedef struct Manifest {
        ManifestKind kind;
        char *media_type;      /* from the document, or from the transport when absent */
        int schema_version;
        /* MANIFEST_KIND_IMAGE */
        Descriptor config;
        Descriptor *layers;
        size_t n_layers;
        /* MANIFEST_KIND_INDEX */
        Descriptor *manifests;
        size_t n_manifests;
        json_t *annotations;
        json_t *raw;           /* the parsed document */
} Manifest;

typedef struct ImageHistory {
        char *created, *created_by, *author, *comment;
        bool empty_layer;
} ImageHistory;

typedef struct ImageConfig {
        char *architecture, *os, *variant, *created, *author;
        /* "config" section (Docker's ContainerConfig subset that images carry) */
        char *user, *working_dir, *stop_signal;
        char **env, **entrypoint, **cmd, **shell, **on_build;
        bool entrypoint_set, cmd_set;   /* present (even null) vs absent matters to Docker */
        char **exposed_ports;           /* "80/tcp" */
        char **volumes;                 /* "/data" */
        json_t *labels;                 /* object or NULL */
        json_t *healthcheck;            /* object or NULL */
        char **diff_ids;                /* rootfs.diff_ids */
        ImageHistory *history;
        size_t n_history;
        json_t *raw;
} ImageConfig;

/* media_type: the Content-Type the bytes arrived with, or NULL to rely on the document. */
int manifest_parse(const char *data, size_t len, const char *media_type, Manifest **ret,
                   LadeError **err);
Manifest *manifest_free(Manifest *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manifest *, manifest_free)
/* The kind a manifest media type names; _MANIFEST_KIND_INVALID for others (schema 1 included). */
ManifestKind manifest_kind_from_media_type(const char *media_type);
/* Frees what d owns and zeroes it. */
void descriptor_done(Descriptor *d);

int image_config_parse(const char *data, size_t len, ImageConfig **ret, LadeError **err);
ImageConfig *image_config_free(ImageConfig *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(ImageConfig *, image_config_free)

/* The platform this host runs (GOOS/GOARCH names: linux/amd64, linux/arm64/v8...). */
void platform_host(Platform *ret);
/* Parses "linux/arm64/v8" (os[/arch[/variant]]); error names the string. Lowercased, arch
 * aliases become GOARCH names ("aarch64" -> arm64, "armhf" -> arm/v7); a lone os takes the
 * host's architecture, a lone known arch the os "linux". */
int platform_parse(const char *s, Platform *ret, LadeError **err);
void platform_done(Platform *p);
/* uname(2) machine names -> GOARCH (+variant) on os "linux": x86_64 -> amd64, aarch64 -> arm64/v8,
 * armv7l -> arm/v7, i686 -> 386...; unknown names are kept as they are. */
void platform_from_machine(const char *machine, Platform *ret);
/* "os/arch[/variant]", as Docker prints platforms; caller frees. */
char *platform_format(const Platform *p);
/* Could an image built for have run where want is asked for (containerd's platforms.Only)?
 * Returns the preference rank (0 best) or -ENOENT. */
int platform_match_rank(const Platform *want, const Platform *have);
/* Picks the index entry matching want (os, architecture, variant with Docker's defaults and
 * fallbacks: arm64 -> v8, arm v7 -> v6 -> v5); -ENOENT naming the platform when none.
 * The order is containerd's platforms.Only (also amd64 -> 386, arm64 -> arm v8..v5); the most
 * preferred platform wins, then the first entry. Entries without a platform and attestation
 * manifests (unknown/unknown, vnd.docker.reference.type) are never picked. *ret points into
 * index. */
int manifest_select_platform(const Manifest *index, const Platform *want, const Descriptor **ret,
                             LadeError **err);
/* Layer media type -> compression: 0 none, 1 gzip, 2 zstd, -EINVAL unknown. */
int layer_media_compression(const char *media_type);

/* NOTE: named image-archive.h, not archive.h, so it never shadows libarchive's <archive.h>. */
/* Images in and out as files: `load` (docker-archive from any Docker version — legacy
 * <id>/layer.tar + <hex>.json + manifest.json with symlinked duplicate layers, and Docker 25+'s
 * OCI-layout-inside form — and plain OCI layout archives with index.json), `save` (a docker-
 * archive that `docker load` of any version and `skopeo copy docker-archive:` accept, with an OCI
 * index.json + oci-layout inside as Docker 25+ writes), and `import` (a rootfs tarball becomes a
 * one-layer image, with Dockerfile-style --change instructions). */
#pragma once

#include <stdbool.h>

#include <jansson.h>

#include "err.h"
#include "image-store.h"

/* Called once per image loaded: "Loaded image: busybox:latest" or "Loaded image ID: sha256:…". */
typedef void (*ImageLoadedFn)(void *userdata, const char *ref_or_null, const char *id);

/* Reads an archive (tar, optionally gzip/zstd compressed) from fd. Every file is digest-verified
 * into the blob store before any image row is written; a broken archive leaves no image. */
int image_archive_load(ImageStore *s, int fd, ImageLoadedFn fn, void *userdata, LadeError **err);

/* Writes names (refs or IDs) as one docker-archive to fd. */
int image_archive_save(ImageStore *s, char *const *names, int fd, LadeError **err);

typedef struct ImportOptions {
        const char *ref;            /* tag for the new image, or NULL */
        char *const *changes;       /* "ENV A=b", "CMD [\"sh\"]", "ENTRYPOINT …", "WORKDIR /x",
                                     * "USER u", "EXPOSE 80/tcp", "LABEL k=v", "VOLUME /d",
                                     * "STOPSIGNAL SIGTERM" */
        const char *message;        /* history comment */
        const char *platform;       /* NULL = host */
} ImportOptions;

/* Imports a rootfs tarball (plain/gzip/zstd/xz) read from fd as a single-layer image. */
int image_archive_import(ImageStore *s, int fd, const ImportOptions *o, char ret_id[static 72],
                         LadeError **err);

/* The --change instructions of `import` (above) and `commit`, applied to an image config's
 * "config" object (Docker's key names); errors name the instruction ("--change: ..."). */
int image_config_apply_changes(json_t *config, char *const *changes, LadeError **err);

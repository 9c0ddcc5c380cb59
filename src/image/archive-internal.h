/* Shared by the archive code (image-archive.h): archive-load.c (reading, commit), -docker.c
 * (manifest.json), -layout.c (index.json), -plan.c (checks before commit), -save.c, -import.c,
 * -change.c (--change) and -util.c: limits on what an untrusted archive may hold, the table of
 * files a load has stored, and the OCI manifest builder every synthesised manifest comes from. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <archive.h>
#include <jansson.h>

#include "image-archive.h"
#include "layer.h"
#include "manifest.h"
#include "archive-dl.h"

/* Limits on a loaded archive: entries, total bytes of file content, index nesting, images,
 * symlink hops; longer entry names than LAYER_PATH_MAX are refused. */
#define ARCHIVE_MAX_ENTRIES 10000u     /* the file table is searched linearly */
#define ARCHIVE_MAX_BYTES LAYER_DEFAULT_MAX_BYTES
#define ARCHIVE_MAX_DEPTH 8u
#define ARCHIVE_MAX_IMAGES 10000u
#define ARCHIVE_MAX_LINK_HOPS 16u
#define ARCHIVE_IO_BLOCK (128u * 1024)

#define ANNOTATION_REF_NAME "org.opencontainers.image.ref.name"
#define ANNOTATION_IMAGE_NAME "io.containerd.image.name"

static inline void archive_read_freep(struct archive **a)
{
        if (*a)
                (void) archive_read_free(*a);
        *a = NULL;
}

static inline void archive_write_freep(struct archive **a)
{
        if (*a)
                (void) archive_write_free(*a);
        *a = NULL;
}

static inline const char *archive_err(struct archive *a)
{
        const char *s = archive_error_string(a);
        return s ? s : "unknown error";
}

/* One file of a loaded archive: stored as a blob (digest set) or a link to another path. */
typedef struct ArchiveFile {
        char *path;             /* normalised: relative, no ".", "..", "//" or trailing "/" */
        char *link;             /* symlink or hardlink target as a normalised path, or NULL */
        char digest[72];
        int64_t size;
} ArchiveFile;

typedef struct ArchiveFiles {
        ArchiveFile *v;
        size_t n;
        /* the top-level metadata documents, kept in memory rather than in the blob store */
        char *manifest_json, *index_json;
        size_t manifest_json_len, index_json_len;
        bool oci_layout;
} ArchiveFiles;

void archive_files_done(ArchiveFiles *f);
/* Follows links; -ENOENT naming `what` (the document that referred to path) when missing. */
int archive_files_lookup(const ArchiveFiles *f, const char *path, const char *what,
                         const ArchiveFile **ret, LadeError **err);
/* The file of blob `digest` ("blobs/sha256/<hex>"); -ENOENT naming `what` when missing. */
int archive_files_blob(const ArchiveFiles *f, const char *digest, const char *what,
                       const ArchiveFile **ret, LadeError **err);
/* Normalises an entry name; -EINVAL for absolute names and names with "..". "" for the root. */
int archive_path_clean(const char *raw, char **ret, LadeError **err);

/* "blobs/sha256/<hex>" for "sha256:<hex>" (caller frees). */
char *archive_blob_path(const char *digest);

/* Layer media type from the blob's first bytes: gzip, zstd, else plain tar. */
int archive_sniff_layer(BlobStore *b, const char *digest, const char **ret_media_type,
                        LadeError **err);

/* A descriptor object {"mediaType","digest","size"} (new reference). */
json_t *archive_descriptor_json(const char *media_type, const char *digest, int64_t size);
/* Serialises an OCI image manifest of config + layers (arrays of descriptor objects, stolen) and
 * puts it in the blob store; ret_digest 72 bytes, ret_json/ret_len optional (caller frees). */
int archive_put_manifest(BlobStore *b, json_t *config, json_t *layers, char ret_digest[static 72],
                         char **ret_json, size_t *ret_len, LadeError **err);
/* Serialises without storing (same bytes archive_put_manifest would store). */
char *archive_manifest_text(json_t *config, json_t *layers);

/* Applies Dockerfile-style --change instructions to an image config's "config" object. */
int archive_apply_changes(json_t *config, char *const *changes, LadeError **err);

/* The OCI walk of index.json (archive-layout.c). */
typedef struct ArchivePlanImage {
        char manifest_digest[72];
        char id[72];                    /* the config digest: Docker's image id */
        char *index_digest;             /* the nested index it was selected from, or NULL */
        ImageRef **refs;                /* tags to apply, NULL-terminated (may be empty) */
        bool existed;                   /* the id was in the store before this load */
} ArchivePlanImage;

typedef struct ArchivePlan {
        ArchivePlanImage *v;
        size_t n;
} ArchivePlan;

void archive_plan_done(ArchivePlan *p);
int archive_plan_add(ArchivePlan *p, const char *manifest_digest, ArchivePlanImage **ret,
                     LadeError **err);
void archive_plan_add_ref(ArchivePlanImage *img, ImageRef *ref);
/* Checks that an image manifest's config and layers are files of the archive, that the config
 * parses and that it has one diff_id per layer; sets img->id. */
int archive_plan_check(ImageStore *s, const ArchiveFiles *f, ArchivePlanImage *img, LadeError **err);

/* Loads index.json's named image manifests into the plan (host platform from indexes). */
int archive_layout_plan(ImageStore *s, const ArchiveFiles *f, ArchivePlan *plan, LadeError **err);
/* The image manifest of the archive whose config and layers are exactly these, for Docker 25+
 * archives that carry both manifest.json and the real manifests; -ENOENT when none. */
int archive_layout_find(ImageStore *s, const ArchiveFiles *f, const char *config_digest,
                        char *const *layer_digests, char ret_digest[static 72], LadeError **err);
/* manifest.json's images into the plan (archive-docker.c). */
int archive_docker_plan(ImageStore *s, const ArchiveFiles *f, ArchivePlan *plan, LadeError **err);

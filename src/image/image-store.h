/* The image store: blobs (blob-store.h), unpacked layers (layers/<chain-id>/diff, shared by every
 * image that has the same chain) and the metadata in SQLite (<root>/lade.db, WAL): images,
 * their tags and repo digests, and layer chains. Every change is one transaction, and rows are
 * only written after every blob and layer they refer to is complete, so an interrupted load or
 * pull never leaves an image that points at something missing. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "blob-store.h"
#include "err.h"
#include "manifest.h"
#include "reference.h"

typedef struct ImageStore ImageStore;

typedef struct ImageInfo {
        char *id;               /* "sha256:<config digest hex>" — Docker's image ID */
        char *manifest_digest;  /* the image manifest as stored ("" for a manifest-less import) */
        char *index_digest;     /* the index it was selected from, or "" */
        char **repo_tags;       /* familiar "busybox:latest" */
        char **repo_digests;    /* familiar "busybox@sha256:..." */
        int64_t created;        /* seconds since the epoch, from the config */
        int64_t size;           /* unpacked size of all layers (Docker's Size) */
        char **chain_ids;       /* lower to upper */
        int64_t *layer_sizes;   /* unpacked bytes of each layer, same order */
        ImageConfig *config;
        bool intermediate;      /* a build step's image (build cache): not listed */
} ImageInfo;

/* Opening also removes the layers/tmp-* dirs of killed unpacks (image_layers_clean_stale), unless
 * IMAGE_STORE_NO_STALE_CLEANUP: a long-running process (the API server) does that once at start
 * instead of at every open. */
typedef enum ImageStoreFlags {
        IMAGE_STORE_NO_STALE_CLEANUP = 1u << 0,
} ImageStoreFlags;
int image_store_open(const char *root, ImageStore **ret, LadeError **err);
int image_store_open_flags(const char *root, ImageStoreFlags flags, ImageStore **ret, LadeError **err);
ImageStore *image_store_free(ImageStore *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(ImageStore *, image_store_free)
/* SQLite connections must not cross fork(): release the store's before forking a process that
 * will use the database, reopen after (in the parent; the child opens its own). */
void image_store_release_db(ImageStore *s);
int image_store_reopen_db(ImageStore *s, LadeError **err);
/* Whether the store can be handed to another user as is: its database connection is open, with
 * no transaction and no statement left open. */
bool image_store_idle(ImageStore *s);
/* The store's database connection (NULL while released): for the engine's own tables in lade.db. */
struct sqlite3 *image_store_db(ImageStore *s);
BlobStore *image_store_blobs(ImageStore *s);

/* Registers an image whose manifest (and config and layer blobs) are in the blob store:
 * unpacks missing layers, then records it in one transaction. ref may be NULL (untagged);
 * with repo_digest, ref's repository also gets "repo@<index or manifest digest>" as a
 * RepoDigest (what Docker records for pulls). index_digest may be NULL. Returns the image id. */
int image_store_commit_manifest(ImageStore *s, const char *manifest_digest, const char *index_digest,
                                const ImageRef *ref, bool repo_digest, char ret_id[static 72],
                                LadeError **err);
/* Layers unpacked ahead of a commit, on worker threads (layer-prep.c): made from the image's
 * manifest and config (chain ids; which layers are missing), fed layer blobs as they become
 * available (a verified download not yet in the store), then handed to
 * image_store_commit_prepared(), which unpacks the rest in parallel and publishes them all.
 * Freed without a commit, it stops its workers and removes every temp dir. */
typedef struct ImageLayerPrep ImageLayerPrep;
int image_store_prep_layers(ImageStore *s, const Manifest *m, const ImageConfig *cfg,
                            ImageLayerPrep **ret, LadeError **err);
/* Queues the unpack of layer blob digest, read from fd (taken; read from its offset 0), when the
 * image needs it unpacked; else closes fd. */
void image_layer_prep_add(ImageLayerPrep *p, const char *digest, int fd);
/* Takes the directory `dir` as the unpacked form of layer blob `digest` (renamed into a temp dir
 * of the store, published with the others): no unpack. The caller vouches that `dir` is exactly
 * what unpacking the blob gives (layer_pack() with normalize and a true `identical`); its diff_id
 * is not checked again. 1 when taken; 0 when the layer is present already, not needed, or dir
 * is on another filesystem (dir is left, the blob is unpacked as usual). */
int image_layer_prep_adopt(ImageLayerPrep *p, const char *digest, const char *dir,
                           uint64_t bytes, LadeError **err);
ImageLayerPrep *image_layer_prep_free(ImageLayerPrep *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(ImageLayerPrep *, image_layer_prep_free)
/* image_store_commit_manifest() with layers prepared by prep (made from the same manifest and
 * config); prep NULL = made here. */
int image_store_commit_prepared(ImageStore *s, ImageLayerPrep *prep, const char *manifest_digest,
                                const char *index_digest, const ImageRef *ref, bool repo_digest,
                                char ret_id[static 72], LadeError **err);
/* Tags image `id` as ref (moving the tag from any other image). */
int image_store_tag(ImageStore *s, const char *id, const ImageRef *ref, LadeError **err);
/* Resolves "busybox", "busybox:1", "docker.io/library/busybox@sha256:…", a full or short ID. */
int image_store_resolve(ImageStore *s, const char *name, ImageInfo **ret, LadeError **err);
/* All images, newest first. */
int image_store_list(ImageStore *s, ImageInfo ***ret, size_t *ret_n, LadeError **err);
/* rmi semantics: a name removes that tag (and the image if it was its last reference); an ID
 * removes the image, refusing when it has several tags unless force. Deleted images' blobs and
 * layers no other image uses are removed. Each removed thing is reported via the callback
 * ("Untagged: busybox:latest", "Deleted: sha256:…"), if fn is not NULL. */
typedef void (*ImageRemoveFn)(void *userdata, const char *what, const char *name);
int image_store_remove(ImageStore *s, const char *name, bool force, ImageRemoveFn fn, void *userdata,
                       LadeError **err);
/* The unpacked layer directories of an image, lower to upper (for overlayfs). */
int image_store_layer_dirs(ImageStore *s, const char *id, char ***ret, LadeError **err);
/* Unused blobs and layers removed; the bytes reclaimed in *ret_reclaimed (may be NULL). */
int image_store_gc(ImageStore *s, uint64_t *ret_reclaimed, LadeError **err);

ImageInfo *image_info_free(ImageInfo *i);
DEFINE_TRIVIAL_CLEANUP_FUNC(ImageInfo *, image_info_free)
void image_info_list_free(ImageInfo **l, size_t n);

/* A new image on top of another (or of nothing), from an optional new layer and a config:
 * `lade commit` and each step of `lade build`. */
typedef struct ImageCommit {
        const char *parent_id;     /* "sha256:…" of the image this one extends; NULL: FROM scratch */
        const char *layer_path;    /* a layer file made by layer_pack() (tar or tar+gzip), or
                                    * NULL when the step changed only the config */
        json_t *config;            /* the whole image config document; the store sets
                                    * rootfs.diff_ids to the parent's plus the new layer's and
                                    * checks that history has one non-empty_layer entry per layer */
        const char *tag;           /* a reference to tag the result with, or NULL */
        const char *layer_dir;     /* optional: the tree layer_path was packed from with
                                    * LayerPackOptions.normalize and a true `identical`, on the
                                    * store's filesystem: moved into the store as the unpacked
                                    * layer instead of unpacking layer_path (gone on success
                                    * when taken; left otherwise) */
        uint64_t layer_dir_bytes;  /* its LayerPackResult.file_bytes */
} ImageCommit;
/* Stores the layer blob (and its unpacked dir, shared if the chain exists), the config blob, a
 * Docker v2 manifest and the rows, all or nothing; sets ret_id ("sha256:…" of the config). */
int image_store_commit(ImageStore *s, const ImageCommit *c, char ret_id[static 72], LadeError **err);
/* Marks (or unmarks) id as a build step's image: kept for the build cache, left out of image
 * lists and prunes, resolvable by ID. A tag unmarks it. */
int image_store_set_intermediate(ImageStore *s, const char *id, bool on, LadeError **err);

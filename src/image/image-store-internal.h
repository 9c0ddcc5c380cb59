/* Shared by image-store.c (writes) and image-query.c (reads, removal). */
#pragma once

#include <sqlite3.h>

#include "image-store.h"

struct ImageStore {
        char *root;
        BlobStore *blobs;
        sqlite3 *db;
};

/* layer-prep.c */
/* chain(1) = diff(1); chain(n) = sha256(chain(n-1) + " " + diff(n)) */
char *image_chain_id(const char *parent, const char *diff_id);
/* "sha256:abc" -> "abc" */
const char *image_digest_hex(const char *digest);
/* Is layers/<chain hex>/diff there? */
bool image_layer_present(ImageStore *s, const char *chain);
/* Unpacks the queued layers not unpacked yet, waits for all, renames each into layers/<chain>;
 * returns every layer's chain id and unpacked size ((uint64_t) -1: was present already). */
int image_layer_prep_publish(ImageLayerPrep *p, const Manifest *m, char ***ret_chains,
                             uint64_t **ret_sizes, LadeError **err);
/* image_store_commit_manifest() (no index, no repo digest) taking `dir` as the unpacked form of
 * the layer blob layer_digest (image_layer_prep_adopt()). */
int image_store_commit_adopting(ImageStore *s, const char *manifest_digest, const char *layer_digest,
                                const char *dir, uint64_t bytes, const ImageRef *ref,
                                char ret_id[static 72], LadeError **err);
/* Removes layers/tmp-* dirs no live unpack holds (a killed pull's). */
void image_layers_clean_stale(const char *root);

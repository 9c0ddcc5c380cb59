/* Packing a directory tree into an image layer (the opposite of layer-unpack): a tar stream,
 * optionally gzip-compressed, with entries in sorted order so the same tree gives the same bytes.
 * Used by `lade commit` (an overlay upper dir) and `lade build` (RUN and COPY steps). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "err.h"

typedef struct LayerPackOptions {
        bool gzip;                 /* compress the stream */
        bool overlay_upper;        /* the tree is an overlay upper dir: whiteout devices (char 0/0)
                                    * become ".wh.NAME" entries and opaque dirs
                                    * (trusted.overlay.opaque=y) get a ".wh..wh..opq" entry */
        int64_t clamp_mtime;       /* > 0: later mtimes are set to this (SOURCE_DATE_EPOCH) */
        /* Optional: entries for which this returns true are left out, a directory with all it
         * holds. name is in dirfd (an fd of its parent in the tree), path the name in the tar. */
        bool (*exclude)(int dirfd, const char *name, const char *path, const struct stat *st,
                        void *userdata);
        void *userdata;
        /* Also make the tree what layer_unpack_fd() of the output gives, so that it can serve as
         * the unpacked layer instead of unpacking the tar again (layer_pack() only): each entry's
         * mtime and atime set to the mtime written (seconds, clamped), the overlay's bookkeeping
         * xattrs (trusted.overlay.origin, impure, nlink, uuid, upper) and opaque markers other
         * than "y" removed, the root made 0755 and owned by the caller. What cannot be made so
         * (a socket, an excluded entry, redirect/metacopy or user.overlay.* xattrs) clears
         * LayerPackResult.identical. The tree must not change meanwhile. */
        bool normalize;
} LayerPackOptions;

typedef struct LayerPackResult {
        char diff_id[72];          /* "sha256:…" of the uncompressed tar */
        char digest[72];           /* "sha256:…" of the bytes written (= diff_id without gzip) */
        uint64_t size;             /* bytes written */
        uint64_t entries;          /* tar entries written (0: an empty layer) */
        uint64_t file_bytes;       /* regular file content (hardlinks once), as LayerStats.bytes */
        bool identical;            /* normalize: the tree is now what unpacking the output gives */
} LayerPackResult;

/* Writes the tree under src_dirfd as a layer to out_fd: names relative to the tree, sorted,
 * owners, modes, mtimes, xattrs, hardlinks, symlinks and devices preserved; never follows a
 * symlink. */
int layer_pack(int src_dirfd, const LayerPackOptions *o, int out_fd, LayerPackResult *ret,
               LadeError **err);
/* The same for one entry: `name` in dirfd (one component; "." for dirfd itself) is written as
 * `as_name` and, when it is a directory, everything under it as "as_name/…" (`docker cp` and
 * the archive API's tars). A symlink is written as a symlink. */
int layer_pack_at(int dirfd, const char *name, const char *as_name, const LayerPackOptions *o,
                  int out_fd, LayerPackResult *ret, LadeError **err);

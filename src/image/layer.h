/* Image layers: tar, tar+gzip, tar+zstd (auto-detected) unpacked with libarchive into a
 * directory usable as an overlayfs lower dir, and directories packed back into layer tars.
 *
 * Unpack invariants: no entry lands outside the destination — absolute paths, "../" and paths
 * through symlinks (even ones created by earlier entries of the same tar) are resolved inside
 * it (openat2 RESOLVE_IN_ROOT) or rejected; hardlinks may only point inside; ".wh.<name>"
 * becomes an overlay whiteout (a 0:0 character device) and ".wh..wh..opq" an opaque directory
 * (xattr trusted.overlay.opaque=y); modes, owners, mtimes, xattrs, devices (when permitted) are
 * kept. Limits guard against hostile archives (entry count, path length, total size). */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"

/* Defaults for the limits of LayerUnpackOptions, and the longest entry name, symlink or hardlink
 * target accepted (PATH_MAX, like the kernel). */
#define LAYER_DEFAULT_MAX_ENTRIES UINT64_C(1000000)
#define LAYER_DEFAULT_MAX_BYTES (UINT64_C(64) << 30)
#define LAYER_PATH_MAX 4096

typedef struct LayerUnpackOptions {
        bool ignore_chown;        /* rootless: keep the caller's ownership */
        bool whiteouts_as_files;  /* keep .wh. files as they are (e.g. for `export` style use) */
        bool no_overwrite_dir_non_dir; /* an entry may not replace a directory with a
                                        * non-directory or the reverse (`docker cp`) */
        uint64_t max_entries;     /* 0 = default (1,000,000) */
        uint64_t max_bytes;       /* 0 = default (64 GiB) of unpacked file content */
        const atomic_bool *cancel; /* when set (by another thread), stops at the next entry */
} LayerUnpackOptions;

typedef struct LayerStats {
        uint64_t entries;
        uint64_t bytes;           /* file content written */
        char diff_id[72];         /* "sha256:..." of the uncompressed tar stream */
} LayerStats;

/* Unpacks the (possibly compressed) tar read from fd into dest_dir (created if missing).
 * Computes the diff_id (sha256 of the uncompressed stream) on the way. On error, dest_dir may
 * hold a partial tree; the caller unpacks into a temp dir and renames on success. */
int layer_unpack_fd(int fd, const char *dest_dir, const LayerUnpackOptions *o, LayerStats *ret,
                    LadeError **err);

/* Paths inside an untrusted tree (a container rootfs, an image layer) are only ever reached
 * through these: every lookup is openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), so symlinks
 * and ".." resolve as if the tree were "/" and can never lead out of it. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "err.h"

/* Opens `path` (absolute or relative, interpreted inside rootfd) with open(2) flags. */
int fs_open_in_root(int rootfd, const char *path, int flags, mode_t mode, LadeError **err);
/* Creates every missing directory of `path` inside rootfd; returns an O_PATH fd of the last. */
int fs_mkdir_p_in_root(int rootfd, const char *path, mode_t mode, LadeError **err);
/* Makes sure `path` exists inside rootfd as a directory (is_dir) or as an empty regular file,
 * creating parents; returns an O_PATH fd of it (which may be an existing non-matching type). */
int fs_ensure_in_root(int rootfd, const char *path, bool is_dir, LadeError **err);
/* "/proc/self/fd/N" for mount(2) on an fd we resolved safely. buf must hold 32 bytes. */
const char *fs_fd_path(int fd, char buf[static 32]);
/* Normalises an absolute path textually: collapses "//", "." and "..", clamped at "/". */
char *fs_path_normalize(const char *path);

/* A memo of the content digests of a build context's files, keyed by what stat() says of them
 * (path, device, inode, size, mtime, ctime), so that a rebuild reads only the files that changed.
 * It only decides whether a file must be read again: the cache keys of the steps still hash the
 * content digest (and mode, owner), never an mtime. One file per context directory under
 * <root>/build/digests/; a missing or damaged file is an empty memo. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "err.h"

typedef struct BuildStatCache BuildStatCache;

/* Entries whose mtime or ctime is less than this before the moment the content was read are
 * not trusted (git's "racy" rule): the file may still have changed within the timestamp
 * granularity, after it was read, without a visible change. */
#define BUILD_STAT_CACHE_RACY_NS INT64_C(1000000000)
/* At most this many entries in one file. */
#define BUILD_STAT_CACHE_MAX 262144u
/* At most this many context files under digests/ (the oldest go first). */
#define BUILD_STAT_CACHE_FILES_MAX 128u

/* The memo stored at path (loaded now; written back by save). Never fails: an unreadable file
 * is an empty memo. */
BuildStatCache *build_stat_cache_new(const char *path);
BuildStatCache *build_stat_cache_free(BuildStatCache *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(BuildStatCache *, build_stat_cache_free)
/* The path of the memo of context directory ctx_dir (an absolute, resolved path) below dir. */
char *build_stat_cache_path(const char *dir, const char *ctx_dir);

/* true and "sha256:<hex>" in ret when rel was recorded with exactly this stat (and not racily). */
bool build_stat_cache_get(BuildStatCache *c, const char *rel, const struct stat *st, char ret[static 72]);
/* Records digest ("sha256:<hex>") of rel, whose content was read after read_ns (CLOCK_REALTIME)
 * while it had stat st. A racy entry is not recorded. */
void build_stat_cache_put(BuildStatCache *c, const char *rel, const struct stat *st, const char *digest,
                          int64_t read_ns);
/* Writes the memo back (temp file + rename) when it changed: the entries used since it was
 * loaded, and of the others as many as keep the file small. */
int build_stat_cache_save(BuildStatCache *c, LadeError **err);

/* CLOCK_REALTIME in nanoseconds (what file timestamps are compared with). */
int64_t build_realtime_ns(void);

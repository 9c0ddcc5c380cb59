/* Content-addressed blob store: <root>/blobs/sha256/<hex>.
 * Invariant: a blob file exists under its name only if its content hashes to that name. Writers
 * stream into a temp file in <root>/blobs/tmp/, verify the digest (and size, when known), fsync,
 * and rename into place; an interrupted writer leaves only a temp file that the next open
 * removes. Safe with many processes at once (rename is atomic; equal content is equal bytes). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

typedef struct BlobStore BlobStore;
typedef struct BlobWriter BlobWriter;

int blob_store_open(const char *root, BlobStore **ret, LadeError **err);
BlobStore *blob_store_free(BlobStore *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(BlobStore *, blob_store_free)

bool blob_store_has(BlobStore *s, const char *digest);
/* Opens a blob for reading (O_RDONLY|O_CLOEXEC); -ENOENT with a message naming the digest. */
int blob_store_open_blob(BlobStore *s, const char *digest, LadeError **err);
/* Size in bytes, or negative errno. */
int64_t blob_store_size(BlobStore *s, const char *digest, LadeError **err);
/* Reads a small blob (manifests, configs) whole; refuses more than max bytes. */
int blob_store_read(BlobStore *s, const char *digest, size_t max, char **ret, size_t *ret_len,
                    LadeError **err);
/* Writes a whole buffer as a blob; returns its digest via ret_digest (72 bytes). */
int blob_store_put(BlobStore *s, const void *data, size_t len, char ret_digest[static 72],
                   LadeError **err);
int blob_store_delete(BlobStore *s, const char *digest, LadeError **err);
/* Lists every blob digest (for GC and tests). NULL-terminated, caller frees with strv_free. */
int blob_store_list(BlobStore *s, char ***ret, LadeError **err);

/* Streaming writer. expected_digest may be NULL (then the content decides the name);
 * expected_size < 0 means unknown. */
int blob_writer_begin(BlobStore *s, const char *expected_digest, int64_t expected_size,
                      BlobWriter **ret, LadeError **err);
int blob_writer_write(BlobWriter *w, const void *data, size_t len, LadeError **err);
uint64_t blob_writer_offset(const BlobWriter *w);
/* The sha256 digest of what was written so far, which closes the writer to more writes: for a
 * caller that verifies the content itself (against a descriptor) before committing. Commit then
 * uses this digest instead of hashing again, so every byte is hashed once. */
void blob_writer_digest(BlobWriter *w, char ret_digest[static 72]);
/* A new read-only fd (O_CLOEXEC, offset 0) on the writer's temp file, for reading the content
 * before it is committed (e.g. to unpack a verified layer while others still download). */
int blob_writer_reopen(BlobWriter *w, LadeError **err);
/* Verifies and publishes; on mismatch removes the temp file and fails naming both digests.
 * ret_digest (72 bytes) may be NULL. The writer is freed in every case. */
int blob_writer_commit(BlobWriter *w, char *ret_digest, LadeError **err);
/* Drops the temp file. */
BlobWriter *blob_writer_abort(BlobWriter *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(BlobWriter *, blob_writer_abort)

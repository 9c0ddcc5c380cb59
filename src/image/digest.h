/* sha256 with OpenSSL (EVP), for blob digests and chain ids. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef struct Sha256 Sha256;

Sha256 *sha256_new(void);
void sha256_update(Sha256 *h, const void *data, size_t len);
/* Writes "sha256:<64 hex>" (72 bytes incl. NUL) into out and frees nothing; h is then reset and
 * may hash a new message. */
void sha256_final_string(Sha256 *h, char out[static 72]);
Sha256 *sha256_free(Sha256 *h);
DEFINE_TRIVIAL_CLEANUP_FUNC(Sha256 *, sha256_free)

/* One-shot: "sha256:<hex>" of a buffer (caller frees). */
char *sha256_digest_of(const void *data, size_t len);
/* Hashes a whole fd from its current offset to EOF; out is written only on success. */
int sha256_digest_fd(int fd, char out[static 72], LadeError **err);

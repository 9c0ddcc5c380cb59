/* sha256 digests in the "sha256:<64 lowercase hex>" form used for blobs and chain ids.
 * Owns an EVP_MD_CTX per Sha256; after sha256_final_string() the context is ready for a new
 * message. EVP failures for a built-in digest only come from allocation failure, so they abort
 * like xmalloc() does. */
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "digest.h"
#include "util.h"

#define SHA256_BYTES 32
#define SHA256_FD_BUFFER (128 * 1024)
#define SHA256_FD_SMALL 16384

/* The algorithm, fetched once: OpenSSL 3 looks EVP_sha256() up in its provider tables (locks, a
 * hash table) at every DigestInit otherwise, which cost more than hashing a small file. */
static const EVP_MD *sha256_md;
static pthread_once_t sha256_md_once = PTHREAD_ONCE_INIT;

static void sha256_md_fetch(void)
{
        sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
        if (!sha256_md)
                sha256_md = EVP_sha256();
}

struct Sha256 {
        EVP_MD_CTX *ctx;
};

static void sha256_init(Sha256 *h)
{
        (void) pthread_once(&sha256_md_once, sha256_md_fetch);
        if (EVP_DigestInit_ex(h->ctx, sha256_md, NULL) != 1)
                abort();
}

Sha256 *sha256_new(void)
{
        Sha256 *h = xmalloc0(sizeof(*h));

        h->ctx = EVP_MD_CTX_new();
        if (!h->ctx)
                abort();
        sha256_init(h);
        return h;
}

void sha256_update(Sha256 *h, const void *data, size_t len)
{
        if (len > 0 && EVP_DigestUpdate(h->ctx, data, len) != 1)
                abort();
}

void sha256_final_string(Sha256 *h, char out[static 72])
{
        static const char hex[] = "0123456789abcdef";
        unsigned char md[SHA256_BYTES];
        unsigned int md_len = 0;

        if (EVP_DigestFinal_ex(h->ctx, md, &md_len) != 1 || md_len != SHA256_BYTES)
                abort();
        memcpy(out, "sha256:", 7);
        for (size_t i = 0; i < SHA256_BYTES; i++) {
                out[7 + 2 * i] = hex[md[i] >> 4];
                out[7 + 2 * i + 1] = hex[md[i] & 0xf];
        }
        out[7 + 2 * SHA256_BYTES] = '\0';
        sha256_init(h);
}

Sha256 *sha256_free(Sha256 *h)
{
        if (h) {
                EVP_MD_CTX_free(h->ctx);
                free(h);
        }
        return NULL;
}

char *sha256_digest_of(const void *data, size_t len)
{
        _cleanup_(sha256_freep) Sha256 *h = sha256_new();
        char out[72];

        sha256_update(h, data, len);
        sha256_final_string(h, out);
        return xstrdup(out);
}

int sha256_digest_fd(int fd, char out[static 72], LadeError **err)
{
        _cleanup_(sha256_freep) Sha256 *h = sha256_new();
        _cleanup_free_ char *big = NULL;
        char small[SHA256_FD_SMALL], *buf = small;
        size_t size = sizeof(small);
        struct stat st;

        /* small files (a build context's) need no 128 KiB buffer from the allocator */
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size >= (off_t) sizeof(small)) {
                buf = big = xmalloc(SHA256_FD_BUFFER);
                size = SHA256_FD_BUFFER;
        }
        for (;;) {
                ssize_t n = read(fd, buf, size);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return lade_error(err, errno, "read for sha256");
                if (n == 0)
                        break;
                sha256_update(h, buf, (size_t) n);
        }
        sha256_final_string(h, out);
        return 0;
}

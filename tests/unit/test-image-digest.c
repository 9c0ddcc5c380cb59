/* sha256 digests: FIPS 180-2 vectors, streaming in odd chunk sizes equals one-shot, fd hashing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "digest.h"
#include "util.h"

#define SHA_EMPTY "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA_ABC "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA_448 "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
#define SHA_MILLION_A "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"

static void test_vectors(void **state)
{
        static const struct {
                const char *input, *digest;
        } vectors[] = {
                { "", SHA_EMPTY },
                { "abc", SHA_ABC },
                { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", SHA_448 },
        };
        for (size_t i = 0; i < ELEMENTSOF(vectors); i++) {
                _cleanup_free_ char *d = sha256_digest_of(vectors[i].input,
                                                          strlen(vectors[i].input));
                assert_string_equal(d, vectors[i].digest);
        }
}

static void test_null_empty(void **state)
{
        _cleanup_free_ char *d = sha256_digest_of(NULL, 0);
        assert_string_equal(d, SHA_EMPTY);
}

static uint8_t *pattern(size_t n)
{
        uint8_t *buf = xmalloc(n);
        uint32_t x = 2463534242u;
        for (size_t i = 0; i < n; i++) {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                buf[i] = (uint8_t) x;
        }
        return buf;
}

static void test_streaming(void **state)
{
        static const size_t chunks[] = { 1, 3, 7, 63, 64, 65, 127, 4093, 65537 };
        const size_t n = 300007;
        _cleanup_free_ uint8_t *buf = pattern(n);
        _cleanup_free_ char *want = sha256_digest_of(buf, n);

        for (size_t c = 0; c < ELEMENTSOF(chunks); c++) {
                _cleanup_(sha256_freep) Sha256 *h = sha256_new();
                char got[72];
                for (size_t off = 0; off < n; off += chunks[c])
                        sha256_update(h, buf + off, n - off < chunks[c] ? n - off : chunks[c]);
                sha256_final_string(h, got);
                assert_string_equal(got, want);
        }
}

/* After final the same object hashes a new message from scratch. */
static void test_reuse_after_final(void **state)
{
        _cleanup_(sha256_freep) Sha256 *h = sha256_new();
        char out[72];

        sha256_update(h, "ab", 2);
        sha256_update(h, "c", 1);
        sha256_final_string(h, out);
        assert_string_equal(out, SHA_ABC);
        sha256_final_string(h, out);
        assert_string_equal(out, SHA_EMPTY);
        sha256_update(h, "abc", 3);
        sha256_final_string(h, out);
        assert_string_equal(out, SHA_ABC);
        assert_null(sha256_free(NULL));
}

static int memfd_with(const void *data, size_t n)
{
        int fd = memfd_create("test-digest", MFD_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(write_all(fd, data, n), 0);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        return fd;
}

static void test_fd(void **state)
{
        /* a million 'a' crosses the 128 KiB read buffer several times */
        const size_t n = 1000000;
        _cleanup_free_ char *buf = xmalloc(n);
        _cleanup_close_ int fd = -EBADF;
        char out[72];

        memset(buf, 'a', n);
        fd = memfd_with(buf, n);
        assert_int_equal(sha256_digest_fd(fd, out, NULL), 0);
        assert_string_equal(out, SHA_MILLION_A);
        /* at EOF now: what is left is the empty message */
        assert_int_equal(sha256_digest_fd(fd, out, NULL), 0);
        assert_string_equal(out, SHA_EMPTY);
}

static void test_fd_from_offset(void **state)
{
        _cleanup_close_ int fd = memfd_with("xyzabc", 6);
        char out[72];

        assert_int_equal(lseek(fd, 3, SEEK_SET), 3);
        assert_int_equal(sha256_digest_fd(fd, out, NULL), 0);
        assert_string_equal(out, SHA_ABC);
}

static void test_fd_error(void **state)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        _cleanup_close_ int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        char out[72] = "untouched";

        assert_true(fd >= 0);
        assert_int_equal(sha256_digest_fd(fd, out, &err), -EISDIR);
        assert_non_null(err);
        assert_int_equal(err->status, EISDIR);
        assert_string_equal(out, "untouched");
        err = lade_error_free(err);
        assert_int_equal(sha256_digest_fd(-1, out, &err), -EBADF);
        assert_string_equal(out, "untouched");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_vectors),
                cmocka_unit_test(test_null_empty),
                cmocka_unit_test(test_streaming),
                cmocka_unit_test(test_reuse_after_final),
                cmocka_unit_test(test_fd),
                cmocka_unit_test(test_fd_from_offset),
                cmocka_unit_test(test_fd_error),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

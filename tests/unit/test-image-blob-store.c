/* blob-store: a name in blobs/sha256 always holds exactly the content that hashes to it; failed,
 * aborted and crashed writers leave nothing behind; no digest string ever becomes a path. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "blob-store.h"
#include "digest.h"
#include "util.h"

#define HELLO_HEX "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
#define HELLO_DIGEST "sha256:" HELLO_HEX
#define ABC_DIGEST "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define OTHER_DIGEST "sha256:d9298a10d1b0735837dc4bd85dac641b0f3cef27a47e5d53a54f2f3f5b2fcffa"
#define EMPTY_DIGEST "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define ABC_SHA512                                                                          \
        "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1" \
        "a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char tmpl[64];
static char root[PATH_MAX];

static int setup(void **state)
{
        snprintf(tmpl, sizeof(tmpl), "/tmp/lade-test-blob-XXXXXX");
        assert_non_null(mkdtemp(tmpl));
        /* A root that does not exist yet: open must create the whole layout. */
        snprintf(root, sizeof(root), "%s/store", tmpl);
        return 0;
}

static int teardown(void **state)
{
        (void) rm_rf_at(AT_FDCWD, tmpl);
        return 0;
}

static BlobStore *open_store(void)
{
        BlobStore *s = NULL;
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        int r = blob_store_open(root, &s, &err);
        if (r < 0)
                fail_msg("blob_store_open: %s", lade_error_message(err));
        return s;
}

static char *store_path(const char *rel)
{
        return xasprintf("%s/%s", root, rel);
}

static size_t count_entries(const char *rel)
{
        _cleanup_free_ char *p = store_path(rel);
        _cleanup_closedir_ DIR *d = opendir(p);
        assert_non_null(d);
        size_t n = 0;
        struct dirent *de;
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        n++;
        return n;
}

/* The one temp file present (for a live writer); caller frees. */
static char *only_temp_name(void)
{
        _cleanup_free_ char *p = store_path("blobs/tmp");
        _cleanup_closedir_ DIR *d = opendir(p);
        assert_non_null(d);
        char *name = NULL;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                assert_null(name);
                name = xstrdup(de->d_name);
        }
        assert_non_null(name);
        return name;
}

static void touch_at_age(const char *rel, time_t age_sec)
{
        _cleanup_free_ char *p = store_path(rel);
        _cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        time_t t = time(NULL) - age_sec;
        struct timespec ts[2] = { { .tv_sec = t }, { .tv_sec = t } };
        assert_int_equal(futimens(fd, ts), 0);
}

static bool store_exists(const char *rel)
{
        _cleanup_free_ char *p = store_path(rel);
        struct stat st;
        return lstat(p, &st) == 0;
}

static void assert_error_contains(LadeError *err, const char *needle)
{
        assert_non_null(err);
        if (!strstr(lade_error_message(err), needle))
                fail_msg("error '%s' does not contain '%s'", lade_error_message(err), needle);
}

/* Deterministic pseudo-random bytes (xorshift), so content differs at every offset. */
static char *make_data(size_t len, uint64_t seed)
{
        char *d = xmalloc(len);
        uint64_t x = seed | 1;
        for (size_t i = 0; i < len; i++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                d[i] = (char) (x >> 24);
        }
        return d;
}

static void assert_store_empty(void)
{
        assert_int_equal(count_entries("blobs/sha256"), 0);
        assert_int_equal(count_entries("blobs/tmp"), 0);
}

static void test_open_creates_layout(void **state)
{
        _cleanup_(blob_store_freep) BlobStore *s = open_store();
        struct stat st;
        _cleanup_free_ char *tmp = store_path("blobs/tmp");
        assert_int_equal(stat(tmp, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0700);
        assert_true(store_exists("blobs/sha256"));
        /* Opening again is fine. */
        _cleanup_(blob_store_freep) BlobStore *again = open_store();
}

static void test_put_has_read_size_list_delete(void **state)
{
        _cleanup_(blob_store_freep) BlobStore *s = open_store();
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        char digest[72];

        assert_false(blob_store_has(s, HELLO_DIGEST));
        assert_int_equal(blob_store_put(s, "hello", 5, digest, &err), 0);
        assert_string_equal(digest, HELLO_DIGEST);
        assert_true(blob_store_has(s, HELLO_DIGEST));
        assert_int_equal(blob_store_size(s, HELLO_DIGEST, &err), 5);
        assert_true(store_exists("blobs/sha256/" HELLO_HEX));

        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        assert_int_equal(blob_store_read(s, HELLO_DIGEST, 5, &data, &len, &err), 0);
        assert_int_equal(len, 5);
        assert_memory_equal(data, "hello", 5);

        _cleanup_close_ int fd = blob_store_open_blob(s, HELLO_DIGEST, &err);
        assert_true(fd >= 0);
        char buf[8] = { 0 };
        assert_int_equal(read(fd, buf, sizeof(buf)), 5);
        assert_string_equal(buf, "hello");

        /* Same content again: same name, still one file, no temp left. */
        assert_int_equal(blob_store_put(s, "hello", 5, digest, &err), 0);
        assert_int_equal(blob_store_put(s, "abc", 3, digest, &err), 0);
        assert_string_equal(digest, ABC_DIGEST);
        assert_null(err);

        _cleanup_strv_free_ char **list = NULL;
        assert_int_equal(blob_store_list(s, &list, &err), 0);
        assert_int_equal(strv_length(list), 2);
        assert_string_equal(list[0], HELLO_DIGEST);
        assert_string_equal(list[1], ABC_DIGEST);
        assert_int_equal(count_entries("blobs/tmp"), 0);

        assert_int_equal(blob_store_delete(s, HELLO_DIGEST, &err), 0);
        assert_false(blob_store_has(s, HELLO_DIGEST));
        assert_true(blob_store_has(s, ABC_DIGEST));
        assert_int_equal(count_entries("blobs/sha256"), 1);
}

static void test_missing_blob_errors(void **state)
{
        _cleanup_(blob_store_freep) BlobStore *s = open_store();
        char *data = NULL;
        size_t len = 0;
        {
                _cleanup_(lade_error_freep) LadeError *err = NULL;
                assert_int_equal(blob_store_delete(s, HELLO_DIGEST, &err), -ENOENT);
                assert_error_contains(err, HELLO_DIGEST);
        }
        {
                _cleanup_(lade_error_freep) LadeError *err = NULL;
                assert_int_equal(blob_store_size(s, HELLO_DIGEST, &err), -ENOENT);
                assert_error_contains(err, HELLO_DIGEST);
        }
        {
                _cleanup_(lade_error_freep) LadeError *err = NULL;
                assert_int_equal(blob_store_open_blob(s, HELLO_DIGEST, &err), -ENOENT);
                assert_error_contains(err, "blob " HELLO_DIGEST " not found");
        }
        {
                _cleanup_(lade_error_freep) LadeError *err = NULL;
                assert_int_equal(blob_store_read(s, HELLO_DIGEST, 100, &data, &len, &err), -ENOENT);
                assert_error_contains(err, HELLO_DIGEST);
                assert_null(data);
        }
}

static void test_read_over_max(void **state)
{
        _cleanup_(blob_store_freep) BlobStore *s = open_store();
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        char digest[72];
        _cleanup_free_ char *big = make_data(10000, 7);
        assert_int_equal(blob_store_put(s, big, 10000, digest, &err), 0);

        char *data = NULL;
        size_t len = 0;
        assert_int_equal(blob_store_read(s, digest, 9999, &data, &len, &err), -EFBIG);
        assert_error_contains(err, digest);
        assert_null(data);

        err = lade_error_free(err);
        assert_int_equal(blob_store_read(s, digest, 10000, &data, &len, &err), 0);
        assert_int_equal(len, 10000);
        assert_memory_equal(data, big, 10000);
        free(data);
}

static void test_empty_blob(void **state)
{
        _cleanup_(blob_store_freep) BlobStore *s = open_store();
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        char digest[72];
        assert_int_equal(blob_store_put(s, "", 0, digest, &err), 0);
        assert_string_equal(digest, EMPTY_DIGEST);
        assert_int_equal(blob_store_size(s, EMPTY_DIGEST, &err), 0);
}

static void write_in_odd_chunks(BlobWriter *w, const char *data, size_t len)
{
        static const size_t chunks[] = { 1, 7, 4093, 65537, 3, 131071, 12289, 8191 };
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        size_t off = 0;
        for (size_t i = 0; off < len; i++) {
                size_t n = chunks[i % ELEMENTSOF(chunks)];
                if (n > len - off)
                        n = len - off;
                assert_int_equal(blob_writer_write(w, data + off, n, &err), 0);
                off += n;
                assert_int_equal(blob_writer_offset(w), off);
        }
}

static void test_writer_odd_chunks(void **state)
{
        _cleanup_(blob_store_freep) BlobStore *s = open_store();
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        const size_t len = (1 << 20) + 12345;
        _cleanup_free_ char *data = make_data(len, 42);
        _cleanup_free_ char *expected = sha256_digest_of(data, len);

        /* With expected digest and size. */
        BlobWriter *w = NULL;
        assert_int_equal(blob_writer_begin(s, expected, (int64_t) len, &w, &err), 0);
        assert_int_equal(count_entries("blobs/tmp"), 1);
        write_in_odd_chunks(w, data, len);
        char digest[72];
        assert_int_equal(blob_writer_commit(w, digest, &err), 0);
        assert_string_equal(digest, expected);
        assert_int_equal(count_entries("blobs/tmp"), 0);

        _cleanup_free_ char *back = NULL;
        size_t back_len = 0;
        assert_int_equal(blob_store_read(s, expected, len, &back, &back_len, &err), 0);
        assert_int_equal(back_len, len);
        assert_memory_equal(back, data, len);

        /* Unknown digest and size: the content names the blob. */
        assert_int_equal(blob_store_delete(s, expected, &err), 0);
        assert_int_equal(blob_writer_begin(s, NULL, -1, &w, &err), 0);
        write_in_odd_chunks(w, data, len);
        assert_int_equal(blob_writer_commit(w, NULL, &err), 0);
        assert_true(blob_store_has(s, expected));
        assert_int_equal(blob_store_size(s, expected, &err), (int64_t) len);
}

static void test_digest_mismatch(void **state)
{
        _cleanup_(blob_store_freep) BlobStore *s = open_store();
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        BlobWriter *w = NULL;
        assert_int_equal(blob_writer_begin(s, OTHER_DIGEST, -1, &w, &err), 0);
        assert_int_equal(blob_writer_write(w, "hel", 3, &err), 0);
        assert_int_equal(blob_writer_write(w, "lo", 2, &err), 0);
        char digest[72] = "untouched";
        assert_int_equal(blob_writer_commit(w, digest, &err), -EBADMSG);
        assert_error_contains(err, "blob digest mismatch: expected " OTHER_DIGEST
                                   ", got " HELLO_DIGEST);
        assert_string_equal(digest, "untouched");
        assert_false(blob_store_has(s, HELLO_DIGEST));
        assert_false(blob_store_has(s, OTHER_DIGEST));
        assert_store_empty();
}

/* blob_writer_digest() hashes once: commit reuses it, the content is readable before commit
 * through blob_writer_reopen(), and the writer takes no more bytes. */
static void test_writer_digest_then_commit(void **state)
{
        _cleanup_(blob_store_freep) BlobStore *s = open_store();
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        BlobWriter *w = NULL;
        char digest[72], again[72], committed[72];
        assert_int_equal(blob_writer_begin(s, HELLO_DIGEST, 5, &w, &err), 0);
        assert_int_equal(blob_writer_write(w, "hello", 5, &err), 0);
        blob_writer_digest(w, digest);
        assert_string_equal(digest, HELLO_DIGEST);
        blob_writer_digest(w, again);
        assert_string_equal(again, HELLO_DIGEST);
        _cleanup_close_ int fd = blob_writer_reopen(w, &err);
        assert_true(fd >= 0);
        char buf[8] = "";
        assert_int_equal(read(fd, buf, sizeof(buf)), 5);
        assert_memory_equal(buf, "hello", 5);
        assert_false(blob_store_has(s, HELLO_DIGEST));
        assert_int_equal(blob_writer_commit(w, committed, &err), 0);
        assert_string_equal(committed, HELLO_DIGEST);
        assert_true(blob_store_has(s, HELLO_DIGEST));

        /* A digest taken early still decides: a mismatch is refused at commit. */
        assert_int_equal(blob_writer_begin(s, OTHER_DIGEST, -1, &w, &err), 0);
        assert_int_equal(blob_writer_write(w, "hello", 5, &err), 0);
        blob_writer_digest(w, digest);
        assert_string_equal(digest, HELLO_DIGEST);
        assert_int_equal(blob_writer_write(w, "!", 1, &err), -EBADMSG);
        assert_error_contains(err, "write after its digest was taken");
        err = lade_error_free(err);
        assert_true(blob_writer_commit(w, NULL, &err) < 0);
        assert_false(blob_store_has(s, OTHER_DIGEST));
}

static void test_size_exceeded(void **state)
{
        _cleanup_(blob_store_freep) BlobStore *s = open_store();
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        BlobWriter *w = NULL;

        /* Too many bytes fails at the write that crosses the limit... */
        assert_int_equal(blob_writer_begin(s, HELLO_DIGEST, 4, &w, &err), 0);
        assert_int_equal(blob_writer_write(w, "he", 2, &err), 0);
        assert_int_equal(blob_writer_write(w, "llo", 3, &err), -EFBIG);
        assert_error_contains(err, HELLO_DIGEST);
        assert_error_contains(err, "4 bytes");
        assert_int_equal(blob_writer_offset(w), 2);
        /* ...and the writer stays failed: nothing more goes in, commit refuses. */
        err = lade_error_free(err);
        assert_int_equal(blob_writer_write(w, "l", 1, &err), -EIO);
        err = lade_error_free(err);
        assert_true(blob_writer_commit(w, NULL, &err) < 0);
        assert_store_empty();

        /* Without an expected digest, put-style. */
        err = lade_error_free(err);
        assert_int_equal(blob_writer_begin(s, NULL, 0, &w, &err), 0);
        assert_int_equal(blob_writer_write(w, "x", 1, &err), -EFBIG);
        w = blob_writer_abort(w);
        assert_store_empty();
}

static void test_size_short(void **state)
{
        _cleanup_(blob_store_freep) BlobStore *s = open_store();
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        BlobWriter *w = NULL;
        /* The digest matches the bytes written; the size alone is wrong. */
        assert_int_equal(blob_writer_begin(s, HELLO_DIGEST, 10, &w, &err), 0);
        assert_int_equal(blob_writer_write(w, "hello", 5, &err), 0);
        assert_int_equal(blob_writer_commit(w, NULL, &err), -EBADMSG);
        assert_error_contains(err, HELLO_DIGEST);
        assert_error_contains(err, "5 of 10 bytes");
        assert_store_empty();
}

static void test_sha512_expected(void **state)
{
        _cleanup_(blob_store_freep) BlobStore *s = open_store();
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        BlobWriter *w = NULL;
        char digest[72];

        /* Verified against the sha512 digest, stored under the sha256 one. */
        assert_int_equal(blob_writer_begin(s, ABC_SHA512, 3, &w, &err), 0);
        assert_int_equal(blob_writer_write(w, "abc", 3, &err), 0);
        assert_int_equal(blob_writer_commit(w, digest, &err), 0);
        assert_string_equal(digest, ABC_DIGEST);
        assert_true(blob_store_has(s, ABC_DIGEST));
        assert_false(blob_store_has(s, ABC_SHA512));
        assert_int_equal(blob_store_size(s, ABC_SHA512, &err), -EOPNOTSUPP);
        assert_error_contains(err, ABC_SHA512);
        err = lade_error_free(err);

        assert_int_equal(blob_writer_begin(s, ABC_SHA512, -1, &w, &err), 0);
        assert_int_equal(blob_writer_write(w, "abd", 3, &err), 0);
        assert_int_equal(blob_writer_commit(w, NULL, &err), -EBADMSG);
        assert_error_contains(err, "blob digest mismatch: expected " ABC_SHA512 ", got sha512:");
        assert_int_equal(count_entries("blobs/sha256"), 1);
        assert_int_equal(count_entries("blobs/tmp"), 0);
}

/* Takes &err: the call that sets it is an argument too, and argument order is unspecified. */
static void assert_rejected(int r, LadeError **err, const char *digest)
{
        if (r != -EINVAL)
                fail_msg("'%s': got %d, want -EINVAL", digest ? digest : "(null)", r);
        assert_non_null(*err);
        if (digest && *digest)
                assert_error_contains(*err, digest);
        *err = lade_error_free(*err);
}

static void check_digest_rejected_everywhere(BlobStore *s, const char *digest)
{
        char *data = NULL;
        size_t len = 0;
        BlobWriter *w = NULL;
        LadeError *err = NULL;

        assert_false(blob_store_has(s, digest));
        assert_rejected(blob_store_open_blob(s, digest, &err), &err, digest);
        assert_rejected((int) blob_store_size(s, digest, &err), &err, digest);
        assert_rejected(blob_store_read(s, digest, 1 << 20, &data, &len, &err), &err, digest);
        assert_null(data);
        assert_rejected(blob_store_delete(s, digest, &err), &err, digest);
        /* NULL is valid there: "no expected digest". */
        if (digest) {
                assert_rejected(blob_writer_begin(s, digest, -1, &w, &err), &err, digest);
                assert_null(w);
        }
}

static void test_invalid_digests(void **state)
{
        static const char *const bad[] = {
                NULL,
                "",
                "sha256",
                "sha256:",
                "sha256:../../canary",
                "sha256:../../../../../../etc/passwd",
                "sha256:/etc/passwd",
                "sha256:" HEX64 "/../../canary",
                "sha256:../" HEX64,
                "sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
                "SHA256:" HEX64,
                "sha256:" HEX64 "0",
                "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",
                "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg",
                "sha256:" HEX64 "\n",
                "sha256: " HEX64,
                "sha256::" HEX64,
                "md5:d41d8cd98f00b204e9800998ecf8427e",
                "sha384:" HEX64 HEX64,
                "blake3:" HEX64,
                "sha512:" HEX64,
                "sha512:" HEX64 HEX64 "0",
                HEX64,
                "../../canary",
        };
        _cleanup_(blob_store_freep) BlobStore *s = open_store();
        /* A file the traversal attempts would reach (<root>/canary) if a digest became a path. */
        touch_at_age("canary", 0);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                check_digest_rejected_everywhere(s, bad[i]);
        assert_true(store_exists("canary"));
        assert_store_empty();

        _cleanup_(lade_error_freep) LadeError *err = NULL;
        assert_int_equal(blob_store_size(s, "md5:d41d8cd98f00b204e9800998ecf8427e", &err), -EINVAL);
        assert_error_contains(err, "unsupported digest algorithm");
}

static void test_abort_leaves_no_temp(void **state)
{
        _cleanup_(blob_store_freep) BlobStore *s = open_store();
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        BlobWriter *w = NULL;
        assert_int_equal(blob_writer_begin(s, NULL, -1, &w, &err), 0);
        assert_int_equal(blob_writer_write(w, "hello", 5, &err), 0);
        assert_int_equal(count_entries("blobs/tmp"), 1);
        w = blob_writer_abort(w);
        assert_null(w);
        assert_store_empty();
        {
                /* The cleanup macro aborts too. */
                _cleanup_(blob_writer_abortp) BlobWriter *scoped = NULL;
                assert_int_equal(blob_writer_begin(s, NULL, -1, &scoped, &err), 0);
                assert_int_equal(count_entries("blobs/tmp"), 1);
        }
        assert_store_empty();
}

static void test_stale_temp_cleanup(void **state)
{
        _cleanup_(blob_store_freep) BlobStore *s = open_store();
        _cleanup_(lade_error_freep) LadeError *err = NULL;

        /* A live writer whose file looks old (a stalled download): its lock keeps it. */
        BlobWriter *w = NULL;
        assert_int_equal(blob_writer_begin(s, HELLO_DIGEST, 5, &w, &err), 0);
        assert_int_equal(blob_writer_write(w, "hel", 3, &err), 0);
        _cleanup_free_ char *live = only_temp_name();
        _cleanup_free_ char *live_rel = xasprintf("blobs/tmp/%s", live);
        touch_at_age(live_rel, 3 * 3600);

        touch_at_age("blobs/tmp/1234-00000000deadbeef", 2 * 3600); /* crashed writer */
        touch_at_age("blobs/tmp/1234-0000000000000001", 30 * 60);  /* fresh: maybe running */
        _cleanup_free_ char *dir = store_path("blobs/tmp/somedir");
        assert_int_equal(mkdir(dir, 0700), 0);

        _cleanup_(blob_store_freep) BlobStore *again = open_store();
        assert_false(store_exists("blobs/tmp/1234-00000000deadbeef"));
        assert_true(store_exists("blobs/tmp/1234-0000000000000001"));
        assert_true(store_exists("blobs/tmp/somedir"));
        assert_true(store_exists(live_rel));

        assert_int_equal(blob_writer_write(w, "lo", 2, &err), 0);
        assert_int_equal(blob_writer_commit(w, NULL, &err), 0);
        assert_true(blob_store_has(again, HELLO_DIGEST));
        assert_false(store_exists(live_rel));
}

static void test_list_skips_foreign_names(void **state)
{
        _cleanup_(blob_store_freep) BlobStore *s = open_store();
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        char digest[72];
        assert_int_equal(blob_store_put(s, "abc", 3, digest, &err), 0);
        touch_at_age("blobs/sha256/README", 0);
        touch_at_age("blobs/sha256/0123456789ABCDEF0123456789abcdef"
                     "0123456789abcdef0123456789abcdef", 0);
        touch_at_age("blobs/sha256/" HEX64 ".partial", 0);
        _cleanup_free_ char *dir = store_path("blobs/sha256/" HEX64);
        assert_int_equal(mkdir(dir, 0700), 0);

        _cleanup_strv_free_ char **list = NULL;
        assert_int_equal(blob_store_list(s, &list, &err), 0);
        assert_int_equal(strv_length(list), 1);
        assert_string_equal(list[0], ABC_DIGEST);
        assert_false(blob_store_has(s, "sha256:" HEX64));
}

/* A child process: writes the blob in chunks once the parent opens the gate; exit code 0 on
 * success. cmocka asserts must not run here (they would unwind into the parent's runner). */
static _noreturn_ void concurrent_writer(int gate, const char *data, size_t len, const char *digest)
{
        char c;
        LadeError *err = NULL;
        BlobStore *s = NULL;
        BlobWriter *w = NULL;
        if (read(gate, &c, 1) != 0)
                _exit(3);
        if (blob_store_open(root, &s, &err) < 0 ||
            blob_writer_begin(s, digest, (int64_t) len, &w, &err) < 0)
                goto fail;
        for (size_t off = 0; off < len; off += 65536) {
                size_t n = len - off < 65536 ? len - off : 65536;
                if (blob_writer_write(w, data + off, n, &err) < 0)
                        goto fail;
        }
        if (blob_writer_commit(w, NULL, &err) < 0)
                goto fail;
        _exit(0);
fail:
        fprintf(stderr, "child %d: %s\n", (int) getpid(), lade_error_message(err));
        _exit(1);
}

static void test_concurrent_same_blob(void **state)
{
        const size_t len = 4 << 20;
        _cleanup_free_ char *data = make_data(len, 4242);
        _cleanup_free_ char *digest = sha256_digest_of(data, len);
        _cleanup_(blob_store_freep) BlobStore *s = open_store();
        _cleanup_(lade_error_freep) LadeError *err = NULL;

        for (int round = 0; round < 3; round++) {
                int gate[2];
                pid_t pids[2];
                assert_int_equal(pipe2(gate, O_CLOEXEC), 0);
                for (size_t i = 0; i < ELEMENTSOF(pids); i++) {
                        pids[i] = fork();
                        assert_true(pids[i] >= 0);
                        if (pids[i] == 0) {
                                close(gate[1]);
                                concurrent_writer(gate[0], data, len, digest);
                        }
                }
                /* Closing the write end releases both children at once. */
                close(gate[0]);
                close(gate[1]);
                for (size_t i = 0; i < ELEMENTSOF(pids); i++) {
                        int status;
                        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
                        assert_true(WIFEXITED(status));
                        assert_int_equal(WEXITSTATUS(status), 0);
                }
                _cleanup_free_ char *back = NULL;
                size_t back_len = 0;
                assert_int_equal(blob_store_read(s, digest, len, &back, &back_len, &err), 0);
                assert_int_equal(back_len, len);
                assert_memory_equal(back, data, len);
                assert_int_equal(count_entries("blobs/sha256"), 1);
                assert_int_equal(count_entries("blobs/tmp"), 0);
                /* Round 0 leaves the blob, so round 1 races on the already-present path; round 1
                 * deletes it, so round 2 races on an absent blob again. */
                if (round != 0)
                        assert_int_equal(blob_store_delete(s, digest, &err), 0);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_open_creates_layout, setup, teardown),
                cmocka_unit_test_setup_teardown(test_put_has_read_size_list_delete, setup, teardown),
                cmocka_unit_test_setup_teardown(test_missing_blob_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_read_over_max, setup, teardown),
                cmocka_unit_test_setup_teardown(test_empty_blob, setup, teardown),
                cmocka_unit_test_setup_teardown(test_writer_odd_chunks, setup, teardown),
                cmocka_unit_test_setup_teardown(test_digest_mismatch, setup, teardown),
                cmocka_unit_test_setup_teardown(test_writer_digest_then_commit, setup, teardown),
                cmocka_unit_test_setup_teardown(test_size_exceeded, setup, teardown),
                cmocka_unit_test_setup_teardown(test_size_short, setup, teardown),
                cmocka_unit_test_setup_teardown(test_sha512_expected, setup, teardown),
                cmocka_unit_test_setup_teardown(test_invalid_digests, setup, teardown),
                cmocka_unit_test_setup_teardown(test_abort_leaves_no_temp, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stale_temp_cleanup, setup, teardown),
                cmocka_unit_test_setup_teardown(test_list_skips_foreign_names, setup, teardown),
                cmocka_unit_test_setup_teardown(test_concurrent_same_blob, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

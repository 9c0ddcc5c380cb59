/* Content-addressed blob store. Owns <root>/blobs/sha256/ (published blobs, named by the 64 hex
 * digits of their sha256) and <root>/blobs/tmp/ (writers' temp files, 0700).
 *
 * What stays true:
 * - A name in blobs/sha256 is a regular file whose content hashes to that name. It appears only
 *   through renameat() of a complete, verified and fsync'd temp file, so readers never see a
 *   partial blob and reads need no verification.
 * - No digest string reaches a path unless it parsed as "sha256:" + 64 lowercase hex digits: the
 *   file name is then only [0-9a-f], so "..", "/" and NUL cannot occur.
 * - Each writer has its own temp file (pid + 64 random bits, O_EXCL) and holds an flock on it.
 *   Open removes a temp file only when it is both old (untouched for BLOB_TMP_STALE_SEC) and
 *   unlocked, so a live writer in another process never loses its file, however slow it is.
 * - Concurrent writers of the same blob both succeed: equal names mean equal bytes, so whichever
 *   rename lands last replaces an identical file.
 *
 * Durability cost: every new blob costs one fsync of its data plus one fsync of blobs/sha256 (a
 * journal commit, ~0.3 ms). The data fsync waits for all of the blob's dirty pages, so writers
 * start writeback every 8 MiB and commit waits only for the tail. Measured on this ext4 disk,
 * streaming in 64 KiB writes: 1 MB 1.4 -> 3.1 ms (a fixed ~1.7 ms flush); 100 MB 130 ms without
 * fsync, 180 ms with fsync alone, 130-150 ms with fsync and early writeback. A blob that is
 * already present skips the data fsync.
 *
 * A writer must not outlive its store. */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "blob-store.h"
#include "digest.h"
#include "log.h"
#include "util.h"

/* A temp file nobody wrote for this long, and whose writer's lock is gone, is a crash leftover. */
#define BLOB_TMP_STALE_SEC (60 * 60)
#define BLOB_TMP_NAME_MAX 48
/* Writeback is started after each this many bytes, so commit's fsync waits only for the tail. */
#define BLOB_WRITEBACK_CHUNK (8u << 20)
/* Error messages quote at most this much of an invalid digest (it may be attacker-sized). */
#define BLOB_DIGEST_QUOTE_MAX 160
#define BLOB_SHA256_PREFIX "sha256:"
#define BLOB_SHA256_HEX_LEN 64
#define BLOB_SHA512_DIGEST_SIZE (sizeof("sha512:") + 128)

typedef enum BlobAlgo {
        BLOB_ALGO_SHA256,
        BLOB_ALGO_SHA512,
        _BLOB_ALGO_MAX,
        _BLOB_ALGO_INVALID = -EINVAL,
} BlobAlgo;

static const struct {
        const char *prefix;
        size_t hex_len;
} blob_algos[_BLOB_ALGO_MAX] = {
        [BLOB_ALGO_SHA256] = { BLOB_SHA256_PREFIX, BLOB_SHA256_HEX_LEN },
        [BLOB_ALGO_SHA512] = { "sha512:", 128 },
};

struct BlobStore {
        int sha256_fd; /* blobs/sha256, O_RDONLY so that it can be fsync'd */
        int tmp_fd;    /* blobs/tmp */
};

struct BlobWriter {
        BlobStore *store;
        int fd;
        char tmp_name[BLOB_TMP_NAME_MAX]; /* empty once published (or never created) */
        Sha256 *sha256;
        EVP_MD_CTX *sha512; /* only when the expected digest is a sha512 one */
        char *expected;     /* validated expected digest, or NULL */
        int64_t expected_size;
        uint64_t offset;
        uint64_t writeback_off; /* bytes before this were handed to writeback */
        bool broken; /* a write failed: the file and the hash may disagree */
        char digest[72]; /* the content's sha256 once blob_writer_digest() closed it, else "" */
};

static bool blob_is_lower_hex(const char *s, size_t len)
{
        /* Stops at a NUL too (it is not a hex digit), so a short string is never overrun. */
        for (size_t i = 0; i < len; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return s[len] == '\0';
}

static int blob_digest_check(const char *digest, BlobAlgo *ret_algo, LadeError **err)
{
        if (!digest)
                return lade_error_msg(err, EINVAL, "missing blob digest");
        for (BlobAlgo a = 0; a < _BLOB_ALGO_MAX; a++) {
                size_t k = strlen(blob_algos[a].prefix);
                if (strncmp(digest, blob_algos[a].prefix, k) != 0)
                        continue;
                if (!blob_is_lower_hex(digest + k, blob_algos[a].hex_len))
                        return lade_error_msg(err, EINVAL,
                                              "invalid digest '%.*s': want %s followed by %zu "
                                              "lowercase hex digits",
                                              BLOB_DIGEST_QUOTE_MAX, digest, blob_algos[a].prefix,
                                              blob_algos[a].hex_len);
                *ret_algo = a;
                return 0;
        }
        return lade_error_msg(err, EINVAL,
                              "unsupported digest algorithm in '%.*s': want sha256 or sha512",
                              BLOB_DIGEST_QUOTE_MAX, digest);
}

/* Validates digest and returns the file name it has in blobs/sha256 (a pointer into digest). */
static int blob_name(const char *digest, const char **ret_name, LadeError **err)
{
        BlobAlgo algo = _BLOB_ALGO_INVALID;
        int r = blob_digest_check(digest, &algo, err);
        if (r < 0)
                return r;
        if (algo != BLOB_ALGO_SHA256)
                return lade_error_msg(err, EOPNOTSUPP,
                                      "blob %s: the store names blobs by sha256 only", digest);
        *ret_name = digest + strlen(BLOB_SHA256_PREFIX);
        return 0;
}

static int blob_lookup_error(LadeError **err, int errnum, const char *what, const char *digest)
{
        if (errnum == ENOENT)
                return lade_error_msg(err, ENOENT, "blob %s not found", digest);
        return lade_error(err, errnum, "%s blob %s", what, digest);
}

static int blob_open_dir(int dfd, const char *name, mode_t mode, LadeError **err)
{
        if (mkdirat(dfd, name, mode) < 0 && errno != EEXIST)
                return lade_error(err, errno, "create '%s'", name);
        int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return lade_error(err, errno, "open '%s'", name);
        return fd;
}

/* Removes one temp file if a crashed writer left it. Holding the flock while unlinking means a
 * live writer (who locks its file from creation to commit or abort) is never robbed. */
static void blob_tmp_remove_if_stale(int tmp_fd, const char *name, time_t now)
{
        struct stat st;
        if (fstatat(tmp_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
                return;
        if (st.st_mtime > now - BLOB_TMP_STALE_SEC)
                return;
        _cleanup_close_ int fd = openat(tmp_fd, name,
                                        O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
                return;
        if (unlinkat(tmp_fd, name, 0) < 0 && errno != ENOENT)
                log_debug("remove stale blob temp file '%s': %m, ignoring", name);
}

/* Best effort: a temp file left behind costs disk space, never correctness. */
static void blob_tmp_clean(int tmp_fd)
{
        int fd = openat(tmp_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return;
        _cleanup_closedir_ DIR *d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return;
        }
        time_t now = time(NULL);
        struct dirent *de;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        blob_tmp_remove_if_stale(tmp_fd, de->d_name, now);
}

static int blob_store_open_dirs(const char *root, BlobStore *s, LadeError **err)
{
        int r = mkdir_p(root, 0755);
        if (r < 0)
                return lade_error(err, -r, "create '%s'", root);
        _cleanup_close_ int root_fd = openat(AT_FDCWD, root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return lade_error(err, errno, "open '%s'", root);
        _cleanup_close_ int blobs_fd = blob_open_dir(root_fd, "blobs", 0755, err);
        if (blobs_fd < 0)
                return blobs_fd;
        s->sha256_fd = blob_open_dir(blobs_fd, "sha256", 0755, err);
        if (s->sha256_fd < 0)
                return s->sha256_fd;
        s->tmp_fd = blob_open_dir(blobs_fd, "tmp", 0700, err);
        return s->tmp_fd < 0 ? s->tmp_fd : 0;
}

int blob_store_open(const char *root, BlobStore **ret, LadeError **err)
{
        if (!root || !*root)
                return lade_error_msg(err, EINVAL, "blob store root is empty");
        _cleanup_(blob_store_freep) BlobStore *s = xmalloc0(sizeof(*s));
        s->sha256_fd = s->tmp_fd = -EBADF;
        int r = blob_store_open_dirs(root, s, err);
        if (r < 0) {
                (void) lade_error_wrap(err, "open blob store '%s'", root);
                return r;
        }
        blob_tmp_clean(s->tmp_fd);
        *ret = TAKE_PTR(s);
        return 0;
}

BlobStore *blob_store_free(BlobStore *s)
{
        if (s) {
                safe_close(s->sha256_fd);
                safe_close(s->tmp_fd);
                free(s);
        }
        return NULL;
}

bool blob_store_has(BlobStore *s, const char *digest)
{
        const char *name = NULL;
        struct stat st;
        return blob_name(digest, &name, NULL) >= 0 &&
               fstatat(s->sha256_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

int blob_store_open_blob(BlobStore *s, const char *digest, LadeError **err)
{
        const char *name = NULL;
        int r = blob_name(digest, &name, err);
        if (r < 0)
                return r;
        int fd = openat(s->sha256_fd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return blob_lookup_error(err, errno, "open", digest);
        return fd;
}

int64_t blob_store_size(BlobStore *s, const char *digest, LadeError **err)
{
        const char *name = NULL;
        struct stat st;
        int r = blob_name(digest, &name, err);
        if (r < 0)
                return r;
        if (fstatat(s->sha256_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return blob_lookup_error(err, errno, "stat", digest);
        return st.st_size;
}

int blob_store_read(BlobStore *s, const char *digest, size_t max, char **ret, size_t *ret_len,
                    LadeError **err)
{
        const char *name = NULL;
        int r = blob_name(digest, &name, err);
        if (r < 0)
                return r;
        /* No verification: only verified content is ever published under a name. */
        r = read_file_at(s->sha256_fd, name, max, ret, ret_len, err);
        if (r < 0)
                (void) lade_error_wrap(err, "blob %s", digest);
        return r;
}

int blob_store_put(BlobStore *s, const void *data, size_t len, char ret_digest[static 72],
                   LadeError **err)
{
        _cleanup_(blob_writer_abortp) BlobWriter *w = NULL;
        int r = blob_writer_begin(s, NULL, (int64_t) len, &w, err);
        if (r < 0)
                return r;
        r = blob_writer_write(w, data, len, err);
        if (r < 0)
                return r;
        return blob_writer_commit(TAKE_PTR(w), ret_digest, err);
}

int blob_store_delete(BlobStore *s, const char *digest, LadeError **err)
{
        const char *name = NULL;
        int r = blob_name(digest, &name, err);
        if (r < 0)
                return r;
        if (unlinkat(s->sha256_fd, name, 0) < 0)
                return blob_lookup_error(err, errno, "delete", digest);
        return 0;
}

static int blob_strcmp(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static bool blob_dirent_is_blob(const struct dirent *de)
{
        if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
                return false;
        return blob_is_lower_hex(de->d_name, BLOB_SHA256_HEX_LEN);
}

int blob_store_list(BlobStore *s, char ***ret, LadeError **err)
{
        int fd = openat(s->sha256_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return lade_error(err, errno, "open blobs/sha256");
        _cleanup_closedir_ DIR *d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return lade_error(err, errno, "open blobs/sha256");
        }
        size_t n = 0, cap = 16;
        _cleanup_strv_free_ char **v = xmalloc0(cap * sizeof(char *));
        struct dirent *de;
        for (errno = 0; (de = readdir(d)); errno = 0) {
                if (!blob_dirent_is_blob(de))
                        continue;
                if (n + 2 > cap) {
                        cap *= 2;
                        v = xreallocarray(v, cap, sizeof(char *));
                }
                v[n++] = xasprintf(BLOB_SHA256_PREFIX "%s", de->d_name);
                v[n] = NULL;
        }
        if (errno != 0)
                return lade_error(err, errno, "read blobs/sha256");
        qsort(v, n, sizeof(char *), blob_strcmp);
        *ret = TAKE_PTR(v);
        return 0;
}

/* Creates a fresh temp file; name is set only on success, so a failure never names another
 * writer's file. */
static int blob_tmp_create(int tmp_fd, char name[static BLOB_TMP_NAME_MAX], LadeError **err)
{
        for (int attempt = 0; attempt < 8; attempt++) {
                char buf[BLOB_TMP_NAME_MAX];
                uint64_t rnd;
                if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t) sizeof(rnd))
                        return lade_error(err, errno, "getrandom");
                snprintf(buf, sizeof(buf), "%d-%016" PRIx64, (int) getpid(), rnd);
                int fd = openat(tmp_fd, buf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                0644);
                if (fd >= 0) {
                        /* Tells blob_tmp_clean() in other processes that this file is live;
                         * if locks are unsupported, the age rule alone still protects it. */
                        (void) flock(fd, LOCK_EX | LOCK_NB);
                        memcpy(name, buf, sizeof(buf));
                        return fd;
                }
                if (errno != EEXIST)
                        return lade_error(err, errno, "create temp file in blobs/tmp");
        }
        return lade_error_msg(err, EEXIST, "create temp file in blobs/tmp: no free name");
}

/* sha512 is only ever checked, never a name, so it lives here rather than in digest.c. As there,
 * EVP fails for a built-in digest only when allocation fails, and that aborts like xmalloc(). */
static EVP_MD_CTX *blob_sha512_new(void)
{
        EVP_MD_CTX *c = EVP_MD_CTX_new();
        if (!c || EVP_DigestInit_ex(c, EVP_sha512(), NULL) != 1)
                abort();
        return c;
}

static void blob_sha512_final_string(EVP_MD_CTX *c, char out[static BLOB_SHA512_DIGEST_SIZE])
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned len = 0;
        if (EVP_DigestFinal_ex(c, md, &len) != 1 || len != 64)
                abort();
        char *p = out + sprintf(out, "sha512:");
        for (unsigned i = 0; i < len; i++)
                p += sprintf(p, "%02x", md[i]);
}

int blob_writer_begin(BlobStore *s, const char *expected_digest, int64_t expected_size,
                      BlobWriter **ret, LadeError **err)
{
        BlobAlgo algo = BLOB_ALGO_SHA256;
        int r = expected_digest ? blob_digest_check(expected_digest, &algo, err) : 0;
        if (r < 0)
                return r;
        _cleanup_(blob_writer_abortp) BlobWriter *w = xmalloc0(sizeof(*w));
        w->store = s;
        w->fd = -EBADF;
        w->expected_size = expected_size;
        w->expected = expected_digest ? xstrdup(expected_digest) : NULL;
        w->sha256 = sha256_new();
        if (algo == BLOB_ALGO_SHA512)
                w->sha512 = blob_sha512_new();
        w->fd = blob_tmp_create(s->tmp_fd, w->tmp_name, err);
        if (w->fd < 0)
                return w->fd;
        *ret = TAKE_PTR(w);
        return 0;
}

#define BLOB_LABEL_MAX (BLOB_SHA512_DIGEST_SIZE + 1)

/* " sha256:…" when the writer knows its digest (validated, so it fits), for messages. */
static const char *blob_writer_label(const BlobWriter *w, char buf[static BLOB_LABEL_MAX])
{
        if (!w->expected)
                return "";
        snprintf(buf, BLOB_LABEL_MAX, " %s", w->expected);
        return buf;
}

/* Hands each full chunk to the disk while the rest streams in (100 MB on ext4: commit's fsync
 * drops from ~55 to ~5 ms). Only a hint: the fsync at commit is what makes the data durable. */
static void blob_writer_start_writeback(BlobWriter *w)
{
        uint64_t pending = w->offset - w->writeback_off;
        if (pending < BLOB_WRITEBACK_CHUNK)
                return;
        (void) sync_file_range(w->fd, (off_t) w->writeback_off, (off_t) pending,
                               SYNC_FILE_RANGE_WRITE);
        w->writeback_off = w->offset;
}

int blob_writer_write(BlobWriter *w, const void *data, size_t len, LadeError **err)
{
        char label[BLOB_LABEL_MAX];
        if (w->broken)
                return lade_error_msg(err, EIO, "blob%s: an earlier write failed",
                                      blob_writer_label(w, label));
        if (w->digest[0]) {
                w->broken = true;
                return lade_error_msg(err, EBADMSG, "blob%s: write after its digest was taken",
                                      blob_writer_label(w, label));
        }
        /* offset never exceeds expected_size, so the subtraction cannot wrap. */
        if (w->expected_size >= 0 && len > (uint64_t) w->expected_size - w->offset) {
                w->broken = true;
                return lade_error_msg(err, EFBIG, "blob%s is larger than the expected %" PRId64
                                      " bytes", blob_writer_label(w, label), w->expected_size);
        }
        int r = write_all(w->fd, data, len);
        if (r < 0) {
                w->broken = true;
                return lade_error(err, -r, "write blob%s", blob_writer_label(w, label));
        }
        sha256_update(w->sha256, data, len);
        if (w->sha512 && EVP_DigestUpdate(w->sha512, data, len) != 1)
                abort();
        w->offset += len;
        blob_writer_start_writeback(w);
        return 0;
}

uint64_t blob_writer_offset(const BlobWriter *w)
{
        return w->offset;
}

void blob_writer_digest(BlobWriter *w, char ret_digest[static 72])
{
        if (!w->digest[0])
                sha256_final_string(w->sha256, w->digest);
        memcpy(ret_digest, w->digest, sizeof(w->digest));
}

int blob_writer_reopen(BlobWriter *w, LadeError **err)
{
        if (!w->tmp_name[0])
                return lade_error_msg(err, ENOENT, "blob writer has no temp file");
        int fd = openat(w->store->tmp_fd, w->tmp_name,
                        O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return lade_error(err, errno, "reopen blob temp file '%s'", w->tmp_name);
        return fd;
}

/* Checks size and digest; writes the content's sha256 digest into digest. */
static int blob_writer_verify(BlobWriter *w, char digest[static 72], LadeError **err)
{
        char label[BLOB_LABEL_MAX], sha512[BLOB_SHA512_DIGEST_SIZE];
        if (w->broken)
                return lade_error_msg(err, EIO, "blob%s: an earlier write failed",
                                      blob_writer_label(w, label));
        if (w->expected_size >= 0 && w->offset != (uint64_t) w->expected_size)
                return lade_error_msg(err, EBADMSG, "blob%s is short: got %" PRIu64 " of %" PRId64
                                      " bytes", blob_writer_label(w, label), w->offset,
                                      w->expected_size);
        /* The sha256 is finalized once: by blob_writer_digest(), or here. */
        blob_writer_digest(w, digest);
        if (!w->expected)
                return 0;
        const char *actual = digest;
        if (w->sha512) {
                blob_sha512_final_string(w->sha512, sha512);
                actual = sha512;
        }
        if (!streq(actual, w->expected))
                return lade_error_msg(err, EBADMSG, "blob digest mismatch: expected %s, got %s",
                                      w->expected, actual);
        return 0;
}

static int blob_writer_publish(BlobWriter *w, const char *digest, LadeError **err)
{
        BlobStore *s = w->store;
        const char *name = digest + strlen(BLOB_SHA256_PREFIX);
        struct stat st;
        /* Publish unless another writer already has: same name means same bytes, so theirs
         * stands, our data fsync is skipped and our temp file goes with the writer. A racer that
         * publishes after this check is harmless too: rename replaces an identical file. */
        if (fstatat(s->sha256_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode)) {
                /* Data first, then the name: after a crash the name never points at a hole. */
                if (fsync(w->fd) < 0)
                        return lade_error(err, errno, "fsync blob %s", digest);
                if (renameat(s->tmp_fd, w->tmp_name, s->sha256_fd, name) < 0)
                        return lade_error(err, errno, "publish blob %s", digest);
                w->tmp_name[0] = '\0';
        }
        /* Also when another writer published it: its directory fsync may not have run yet. */
        if (fsync(s->sha256_fd) < 0)
                return lade_error(err, errno, "fsync blobs/sha256 after publishing %s", digest);
        return 0;
}

int blob_writer_commit(BlobWriter *w, char *ret_digest, LadeError **err)
{
        _cleanup_(blob_writer_abortp) BlobWriter *owned = w;
        char digest[72];
        int r = blob_writer_verify(owned, digest, err);
        if (r < 0)
                return r;
        r = blob_writer_publish(owned, digest, err);
        if (r < 0)
                return r;
        if (ret_digest)
                memcpy(ret_digest, digest, sizeof(digest));
        return 0;
}

BlobWriter *blob_writer_abort(BlobWriter *w)
{
        if (!w)
                return NULL;
        /* Unlink while the fd (and with it the lock) is still held. */
        if (w->tmp_name[0] && unlinkat(w->store->tmp_fd, w->tmp_name, 0) < 0)
                log_debug("remove blob temp file '%s': %m, ignoring", w->tmp_name);
        safe_close(w->fd);
        sha256_free(w->sha256);
        EVP_MD_CTX_free(w->sha512);
        free(w->expected);
        free(w);
        return NULL;
}

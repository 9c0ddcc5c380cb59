/* The stat-keyed memo of a context's content digests (see build-statcache.h). A file is
 *   "ladesc1\n", u64 count, u64 checksum (of the records), count records:
 *   u64 path hash, dev, inode, size; i64 mtime ns, ctime ns, recorded ns; 32 bytes sha256.
 * Invariants: an entry is used only when every stat field matches and neither timestamp is within
 * BUILD_STAT_CACHE_RACY_NS of when the content was read; a file that fails any check (magic,
 * size, count, checksum) is ignored whole. Any change to a file's content changes its ctime,
 * which no one but the kernel sets, so a stale entry can only match after a clock step back.
 * Shared by a build's workers: one mutex. */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "build-statcache.h"
#include "digest.h"
#include "util.h"

static const char magic[8] = { 'l', 'a', 'd', 'e', 's', 'c', '1', '\n' };

typedef struct StatRecord {
        uint64_t path_hash, dev, ino, size;
        int64_t mtime_ns, ctime_ns, recorded_ns;
        uint8_t digest[32];
} StatRecord;

typedef struct StatHeader {
        char magic[8];
        uint64_t count;
        uint64_t checksum;
} StatHeader;

struct BuildStatCache {
        pthread_mutex_t lock;
        char *path;
        StatRecord *recs;
        bool *used;
        size_t n, alloc;
        uint32_t *index;        /* open addressing: record number + 1, 0 empty */
        size_t index_size;      /* a power of two, at least twice n */
        bool dirty, existed;
};

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
        const uint8_t *p = data;
        for (size_t i = 0; i < len; i++)
                h = (h ^ p[i]) * UINT64_C(0x100000001b3);
        return h;
}

#define FNV_OFFSET UINT64_C(0xcbf29ce484222325)

/* The file's checksum: FNV-1a over 64-bit words (records are whole words), fast enough to check
 * 100 KB on every build. It catches torn and damaged files, not forgeries: the state root is
 * root's alone. */
static uint64_t checksum(const void *data, size_t len)
{
        const uint8_t *p = data;
        uint64_t h = FNV_OFFSET;
        size_t i = 0;
        for (; i + 8 <= len; i += 8) {
                uint64_t w;
                memcpy(&w, p + i, sizeof(w));
                h = (h ^ w) * UINT64_C(0x100000001b3);
                h ^= h >> 29;
        }
        return fnv1a(h, p + i, len - i);
}

static int64_t ts_ns(struct timespec t)
{
        return (int64_t) t.tv_sec * 1000000000 + t.tv_nsec;
}

int64_t build_realtime_ns(void)
{
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        return ts_ns(t);
}

static size_t slot_of(const BuildStatCache *c, uint64_t path_hash, uint64_t ino)
{
        return (size_t) ((path_hash ^ (ino * UINT64_C(0x9e3779b97f4a7c15))) & (c->index_size - 1));
}

/* The record of (path, dev, ino), or the empty slot where it goes. */
static uint32_t *find_slot(BuildStatCache *c, uint64_t path_hash, uint64_t dev, uint64_t ino)
{
        for (size_t k = slot_of(c, path_hash, ino);; k = (k + 1) & (c->index_size - 1)) {
                uint32_t v = c->index[k];
                if (v == 0)
                        return &c->index[k];
                const StatRecord *r = &c->recs[v - 1];
                if (r->path_hash == path_hash && r->dev == dev && r->ino == ino)
                        return &c->index[k];
        }
}

static void reindex(BuildStatCache *c, size_t want)
{
        size_t size = 64;
        while (size < 2 * want)
                size *= 2;
        free(c->index);
        c->index = xmalloc0(size * sizeof(uint32_t));
        c->index_size = size;
        for (size_t i = 0; i < c->n; i++)
                *find_slot(c, c->recs[i].path_hash, c->recs[i].dev, c->recs[i].ino) = (uint32_t) (i + 1);
}

static void load(BuildStatCache *c)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        if (read_file_at(AT_FDCWD, c->path, sizeof(StatHeader) + (size_t) BUILD_STAT_CACHE_MAX * sizeof(StatRecord),
                         &data, &len, NULL) < 0)
                return;
        c->existed = true;
        StatHeader h;
        if (len < sizeof(h))
                return;
        memcpy(&h, data, sizeof(h));
        if (memcmp(h.magic, magic, sizeof(magic)) != 0 || h.count > BUILD_STAT_CACHE_MAX ||
            len != sizeof(h) + h.count * sizeof(StatRecord) ||
            checksum(data + sizeof(h), len - sizeof(h)) != h.checksum)
                return;
        c->n = c->alloc = h.count;
        c->recs = xmalloc((c->n + 1) * sizeof(StatRecord));
        memcpy(c->recs, data + sizeof(h), c->n * sizeof(StatRecord));
        c->used = xmalloc0((c->n + 1) * sizeof(bool));
        reindex(c, c->n);
}

BuildStatCache *build_stat_cache_new(const char *path)
{
        BuildStatCache *c = xmalloc0(sizeof(*c));
        pthread_mutex_init(&c->lock, NULL);
        c->path = xstrdup(path);
        load(c);
        if (!c->index)
                reindex(c, 0);
        return c;
}

BuildStatCache *build_stat_cache_free(BuildStatCache *c)
{
        if (!c)
                return NULL;
        pthread_mutex_destroy(&c->lock);
        free(c->path);
        free(c->recs);
        free(c->used);
        free(c->index);
        free(c);
        return NULL;
}

char *build_stat_cache_path(const char *dir, const char *ctx_dir)
{
        _cleanup_free_ char *d = sha256_digest_of(ctx_dir, strlen(ctx_dir));
        /* 128 bits of the path's digest name the file */
        return xasprintf("%s/%.32s", dir, d + 7);
}

static bool trusted(const StatRecord *r)
{
        int64_t newest = r->mtime_ns > r->ctime_ns ? r->mtime_ns : r->ctime_ns;
        return newest <= r->recorded_ns - BUILD_STAT_CACHE_RACY_NS;
}

static void record_of(const char *rel, const struct stat *st, StatRecord *r)
{
        *r = (StatRecord) { .path_hash = fnv1a(FNV_OFFSET, rel, strlen(rel)), .dev = st->st_dev,
                            .ino = st->st_ino, .size = (uint64_t) st->st_size,
                            .mtime_ns = ts_ns(st->st_mtim), .ctime_ns = ts_ns(st->st_ctim) };
}

bool build_stat_cache_get(BuildStatCache *c, const char *rel, const struct stat *st, char ret[static 72])
{
        static const char hex[] = "0123456789abcdef";
        StatRecord want;
        bool hit = false;
        record_of(rel, st, &want);
        pthread_mutex_lock(&c->lock);
        uint32_t v = *find_slot(c, want.path_hash, want.dev, want.ino);
        const StatRecord *r = v ? &c->recs[v - 1] : NULL;
        if (r && r->size == want.size && r->mtime_ns == want.mtime_ns && r->ctime_ns == want.ctime_ns &&
            trusted(r)) {
                c->used[v - 1] = true;
                memcpy(ret, "sha256:", 7);
                for (size_t i = 0; i < 32; i++) {
                        ret[7 + 2 * i] = hex[r->digest[i] >> 4];
                        ret[8 + 2 * i] = hex[r->digest[i] & 0xf];
                }
                ret[71] = '\0';
                hit = true;
        }
        pthread_mutex_unlock(&c->lock);
        return hit;
}

static bool parse_digest(const char *digest, uint8_t out[32])
{
        if (!startswith(digest, "sha256:") || strlen(digest) != 71)
                return false;
        for (size_t i = 0; i < 32; i++) {
                char pair[3] = { digest[7 + 2 * i], digest[8 + 2 * i], '\0' };
                char *end;
                unsigned long b = strtoul(pair, &end, 16);
                if (*end)
                        return false;
                out[i] = (uint8_t) b;
        }
        return true;
}

void build_stat_cache_put(BuildStatCache *c, const char *rel, const struct stat *st, const char *digest,
                          int64_t read_ns)
{
        StatRecord rec;
        record_of(rel, st, &rec);
        rec.recorded_ns = read_ns;
        if (!trusted(&rec) || !parse_digest(digest, rec.digest))
                return;
        pthread_mutex_lock(&c->lock);
        uint32_t *slot = find_slot(c, rec.path_hash, rec.dev, rec.ino);
        if (*slot) {
                c->recs[*slot - 1] = rec;
                c->used[*slot - 1] = true;
                c->dirty = true;
        } else if (c->n < BUILD_STAT_CACHE_MAX) {
                if (c->n + 1 > c->alloc) {
                        c->alloc = c->alloc ? 2 * c->alloc : 256;
                        c->recs = xreallocarray(c->recs, c->alloc, sizeof(StatRecord));
                        c->used = xreallocarray(c->used, c->alloc, sizeof(bool));
                }
                c->recs[c->n] = rec;
                c->used[c->n] = true;
                *slot = (uint32_t) ++c->n;
                c->dirty = true;
                if (2 * c->n > c->index_size)
                        reindex(c, c->n);
        }
        pthread_mutex_unlock(&c->lock);
}

static int mtime_cmp(const void *a, const void *b)
{
        const struct timespec *x = a, *y = b;
        return x->tv_sec != y->tv_sec ? (x->tv_sec < y->tv_sec ? -1 : 1)
                                      : (x->tv_nsec > y->tv_nsec) - (x->tv_nsec < y->tv_nsec);
}

typedef struct DirFile {
        struct timespec mtime;  /* first: sorted by it */
        char name[64];
} DirFile;

/* A new context's memo: the oldest memos go when there are too many. */
static void prune_dir(const char *path)
{
        _cleanup_free_ char *dir = xstrdup(path);
        char *slash = strrchr(dir, '/');
        if (!slash)
                return;
        *slash = '\0';
        _cleanup_closedir_ DIR *d = opendir(dir);
        _cleanup_free_ DirFile *files = NULL;
        size_t n = 0, alloc = 0;
        for (struct dirent *de; d && (de = readdir(d));) {
                struct stat st;
                if (de->d_name[0] == '.' || strchr(de->d_name, '.') || strlen(de->d_name) >= sizeof(files->name) ||
                    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
                        continue;
                if (n == alloc) {
                        alloc = alloc ? 2 * alloc : 64;
                        files = xreallocarray(files, alloc, sizeof(DirFile));
                }
                files[n].mtime = st.st_mtim;
                snprintf(files[n].name, sizeof(files[n].name), "%s", de->d_name);
                n++;
        }
        if (n <= BUILD_STAT_CACHE_FILES_MAX)
                return;
        qsort(files, n, sizeof(DirFile), mtime_cmp);
        for (size_t i = 0; i < n - BUILD_STAT_CACHE_FILES_MAX; i++)
                (void) unlinkat(dirfd(d), files[i].name, 0);
}

/* A temp file of our own (two builds of one process may save the same memo), then renamed. No
 * fsync: after a crash a torn file fails its checksum and is an empty memo. */
static int write_file(const char *path, const void *data, size_t len, LadeError **err)
{
        _cleanup_free_ char *dir = xstrdup(path);
        char *slash = strrchr(dir, '/');
        if (slash)
                *slash = '\0';
        int r = slash ? mkdir_p(dir, 0700) : 0;
        if (r < 0)
                return lade_error(err, -r, "create '%s'", dir);
        _cleanup_free_ char *tmp = xasprintf("%s.tmp-XXXXXX", path);
        _cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return lade_error(err, errno, "create '%s'", tmp);
        r = write_all(fd, data, len);
        if (r >= 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlink(tmp);
                return lade_error(err, -r, "write '%s'", path);
        }
        return 0;
}

int build_stat_cache_save(BuildStatCache *c, LadeError **err)
{
        pthread_mutex_lock(&c->lock);
        if (!c->dirty) {
                pthread_mutex_unlock(&c->lock);
                return 0;
        }
        /* the entries of this build, then older ones while the file stays at most twice that */
        size_t used = 0, keep = 0;
        for (size_t i = 0; i < c->n; i++)
                used += c->used[i];
        size_t limit = used * 2 > 4096 ? used * 2 : 4096;
        _cleanup_free_ char *buf = xmalloc(sizeof(StatHeader) + (c->n + 1) * sizeof(StatRecord));
        StatRecord *out = (StatRecord *) (void *) (buf + sizeof(StatHeader));
        for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < c->n && keep < limit; i++)
                        if (c->used[i] == (pass == 0))
                                out[keep++] = c->recs[i];
        c->dirty = false;
        pthread_mutex_unlock(&c->lock);
        StatHeader h = { .count = keep };
        memcpy(h.magic, magic, sizeof(magic));
        h.checksum = checksum(out, keep * sizeof(StatRecord));
        memcpy(buf, &h, sizeof(h));
        int r = write_file(c->path, buf, sizeof(h) + keep * sizeof(StatRecord), err);
        if (r < 0)
                return r;
        if (!c->existed)
                prune_dir(c->path);
        c->existed = true;
        return 0;
}

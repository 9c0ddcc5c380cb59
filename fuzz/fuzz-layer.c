/* layer_unpack_fd() on arbitrary bytes, read as a tar (plain, gzip or zstd) from a memfd into a
 * fresh directory: it either succeeds with a diff_id or fails with a message, and whatever the
 * archive holds (escaping names, symlink tricks, hardlinks, whiteouts), nothing may appear beside
 * the destination. A sibling "outside" directory and the temp dir's listing are the witnesses. */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layer.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char base[64];
static int base_fd = -EBADF;

static void fuzz_cleanup(void)
{
        (void) rm_rf_at(AT_FDCWD, base);
}

static void fuzz_setup(void)
{
        if (base_fd >= 0)
                return;
        const char *tmp = getenv("TMPDIR");
        snprintf(base, sizeof(base), "%s/lade-fuzz-layer-XXXXXX",
                 tmp && *tmp && strlen(tmp) < 32 ? tmp : "/tmp");
        if (!mkdtemp(base))
                abort();
        base_fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (base_fd < 0 || mkdirat(base_fd, "outside", 0755) < 0)
                abort();
        atexit(fuzz_cleanup);
}

/* Unprivileged runs: a layer may leave directories without write or search permission. */
static void make_removable(int dirfd)
{
        _cleanup_closedir_ DIR *d = fdopendir(dirfd);
        if (!d) {
                safe_close(dirfd);
                return;
        }
        for (struct dirent *de; (de = readdir(d));) {
                if (de->d_type != DT_DIR || streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                (void) fchmodat(dirfd, de->d_name, 0700, 0);
                int sub = openat(dirfd, de->d_name,
                                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub >= 0)
                        make_removable(sub);
        }
}

static void remove_dest(void)
{
        if (rm_rf_at(base_fd, "dest") == 0)
                return;
        (void) fchmodat(base_fd, "dest", 0700, 0);
        int fd = openat(base_fd, "dest", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0)
                make_removable(fd);
        if (rm_rf_at(base_fd, "dest") < 0)
                abort();
}

static size_t count_entries(int dirfd, const char *name)
{
        int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        size_t n = 0;
        if (!d)
                abort();
        for (struct dirent *de; (de = readdir(d));)
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        n++;
        return n;
}

/* Mutations nearly always break a header's checksum, and libarchive stops at the first bad
 * header. Re-summing every block that looks like a ustar header of an uncompressed input lets
 * the fuzzer reach the entries themselves. */
static void fix_checksums(uint8_t *buf, size_t size)
{
        static const char gzip[] = "\x1f\x8b", zstd[] = "\x28\xb5\x2f\xfd";
        if (size >= 4 && (memcmp(buf, gzip, 2) == 0 || memcmp(buf, zstd, 4) == 0))
                return;
        for (size_t off = 0; off + 512 <= size; off += 512) {
                uint8_t *h = buf + off;
                unsigned sum = 0;
                char field[8];
                if (memcmp(h + 257, "ustar", 5) != 0)
                        continue;
                memset(h + 148, ' ', 8);
                for (size_t i = 0; i < 512; i++)
                        sum += h[i];
                snprintf(field, sizeof(field), "%06o", sum & 0777777);
                memcpy(h + 148, field, 7); /* six digits, NUL, and the space stays */
        }
}

static int memfd_of(const uint8_t *data, size_t size)
{
        _cleanup_free_ uint8_t *copy = xmalloc(size + 1);
        memcpy(copy, data, size);
        fix_checksums(copy, size);
        int fd = memfd_create("layer", MFD_CLOEXEC);
        if (fd < 0 || write_all(fd, copy, size) < 0 || lseek(fd, 0, SEEK_SET) != 0)
                abort();
        return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        char dest[96];
        LayerStats st;
        LayerUnpackOptions o = {
                .ignore_chown = geteuid() != 0,
                .max_entries = 4096,
                .max_bytes = 16 << 20,
        };
        if (size > (1 << 20))
                return 0;
        fuzz_setup();
        _cleanup_close_ int fd = memfd_of(data, size);
        snprintf(dest, sizeof(dest), "%s/dest", base);
        int r = layer_unpack_fd(fd, dest, &o, &st, &err);
        /* the contract: an error always has a message, success a diff_id and no error */
        if (r < 0 && (!err || !err->msg))
                abort();
        if (r >= 0 && (err || strlen(st.diff_id) != 71 || !startswith(st.diff_id, "sha256:")))
                abort();
        remove_dest();
        /* the invariant: only "outside" is left, and it is still empty */
        if (count_entries(base_fd, ".") != 1 || count_entries(base_fd, "outside") != 0)
                abort();
        return 0;
}

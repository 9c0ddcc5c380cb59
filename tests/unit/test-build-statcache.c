/* The stat memo of a context's content digests (build-statcache.c): an entry is used only for
 * exactly the stat it was recorded with (path, dev, inode, size, mtime, ctime), never when it was
 * recorded racily (a timestamp within a second of the read), survives a save and a load, and a
 * damaged file is an empty memo. A memo hit returns the recorded digest without reading: these
 * tests feed synthetic stats, whose "content" is never read. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build-statcache.h"
#include "util.h"

static const char *D1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
static const char *D2 = "sha256:abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789";

#define SEC INT64_C(1000000000)

static struct stat file_stat(int64_t when_ns)
{
        struct stat st = { .st_mode = S_IFREG | 0644, .st_dev = 7, .st_ino = 42, .st_size = 9 };
        st.st_mtim = (struct timespec) { .tv_sec = when_ns / SEC, .tv_nsec = when_ns % SEC };
        st.st_ctim = st.st_mtim;
        return st;
}

static char *tmpdir(void)
{
        char *d = xstrdup("/tmp/test-build-statcache-XXXXXX");
        assert_non_null(mkdtemp(d));
        return d;
}

static void test_exact_stat(void **state)
{
        _cleanup_free_ char *dir = tmpdir();
        _cleanup_free_ char *path = xasprintf("%s/memo", dir);
        _cleanup_(build_stat_cache_freep) BuildStatCache *c = build_stat_cache_new(path);
        int64_t now = build_realtime_ns();
        struct stat st = file_stat(now - 10 * SEC), other;
        char out[72];

        assert_false(build_stat_cache_get(c, "files/a", &st, out));
        build_stat_cache_put(c, "files/a", &st, D2, now);
        assert_true(build_stat_cache_get(c, "files/a", &st, out));
        assert_string_equal(out, D2);
        /* any stat field that changes is a miss */
        other = st;
        other.st_ctim.tv_nsec++;
        assert_false(build_stat_cache_get(c, "files/a", &other, out));
        other = st;
        other.st_mtim.tv_sec--;
        assert_false(build_stat_cache_get(c, "files/a", &other, out));
        other = st;
        other.st_size++;
        assert_false(build_stat_cache_get(c, "files/a", &other, out));
        other = st;
        other.st_ino++;
        assert_false(build_stat_cache_get(c, "files/a", &other, out));
        other = st;
        other.st_dev++;
        assert_false(build_stat_cache_get(c, "files/a", &other, out));
        assert_false(build_stat_cache_get(c, "files/b", &st, out));
        /* a new record replaces the old one */
        other = st;
        other.st_ctim.tv_sec++;
        build_stat_cache_put(c, "files/a", &other, D1, now);
        assert_true(build_stat_cache_get(c, "files/a", &other, out));
        assert_string_equal(out, D1);
        assert_false(build_stat_cache_get(c, "files/a", &st, out));
        (void) rm_rf_at(AT_FDCWD, dir);
}

static void test_racy(void **state)
{
        _cleanup_free_ char *dir = tmpdir();
        _cleanup_free_ char *path = xasprintf("%s/memo", dir);
        _cleanup_(build_stat_cache_freep) BuildStatCache *c = build_stat_cache_new(path);
        int64_t now = build_realtime_ns();
        char out[72];

        /* changed within the last second before the read: it may change again unseen */
        struct stat st = file_stat(now - SEC / 2);
        build_stat_cache_put(c, "a", &st, D1, now);
        assert_false(build_stat_cache_get(c, "a", &st, out));
        /* only the ctime recent (chmod, or content written and mtime set back) */
        st = file_stat(now - 10 * SEC);
        st.st_ctim = (struct timespec) { .tv_sec = now / SEC, .tv_nsec = 0 };
        build_stat_cache_put(c, "a", &st, D1, now);
        assert_false(build_stat_cache_get(c, "a", &st, out));
        /* timestamps in the future of the read */
        st = file_stat(now + 5 * SEC);
        build_stat_cache_put(c, "a", &st, D1, now);
        assert_false(build_stat_cache_get(c, "a", &st, out));
        st = file_stat(now - SEC - 1);
        build_stat_cache_put(c, "a", &st, D1, now);
        assert_true(build_stat_cache_get(c, "a", &st, out));
        /* not a digest */
        st = file_stat(now - 10 * SEC);
        st.st_ino = 1;
        build_stat_cache_put(c, "b", &st, "sha256:xyz", now);
        assert_false(build_stat_cache_get(c, "b", &st, out));
        (void) rm_rf_at(AT_FDCWD, dir);
}

static void test_save_load(void **state)
{
        _cleanup_free_ char *dir = tmpdir();
        _cleanup_free_ char *path = xasprintf("%s/digests/memo", dir);
        int64_t now = build_realtime_ns();
        char out[72], name[32];
        BuildStatCache *c = build_stat_cache_new(path);

        for (unsigned i = 0; i < 3000; i++) {
                struct stat st = file_stat(now - 100 * SEC);
                st.st_ino = 1000 + i;
                snprintf(name, sizeof(name), "f%u", i);
                build_stat_cache_put(c, name, &st, i % 2 ? D1 : D2, now);
        }
        assert_int_equal(build_stat_cache_save(c, NULL), 0);
        c = build_stat_cache_free(c);

        struct stat f;
        assert_int_equal(stat(path, &f), 0);
        assert_int_equal(f.st_mode & 07777, 0600);
        c = build_stat_cache_new(path);
        for (unsigned i = 0; i < 3000; i++) {
                struct stat st = file_stat(now - 100 * SEC);
                st.st_ino = 1000 + i;
                snprintf(name, sizeof(name), "f%u", i);
                assert_true(build_stat_cache_get(c, name, &st, out));
                assert_string_equal(out, i % 2 ? D1 : D2);
        }
        /* nothing changed: not written again */
        assert_int_equal(build_stat_cache_save(c, NULL), 0);
        struct stat g;
        assert_int_equal(stat(path, &g), 0);
        assert_int_equal(g.st_ino, f.st_ino);
        c = build_stat_cache_free(c);

        /* one byte damaged: the whole file is ignored */
        int fd = open(path, O_RDWR | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(pwrite(fd, "\xff", 1, 24 + 88 * 5 + 20), 1);
        close(fd);
        c = build_stat_cache_new(path);
        struct stat st = file_stat(now - 100 * SEC);
        st.st_ino = 1000;
        assert_false(build_stat_cache_get(c, "f0", &st, out));
        c = build_stat_cache_free(c);

        /* cut short */
        assert_int_equal(truncate(path, 24 + 88 * 2), 0);
        c = build_stat_cache_new(path);
        assert_false(build_stat_cache_get(c, "f0", &st, out));
        c = build_stat_cache_free(c);
        (void) rm_rf_at(AT_FDCWD, dir);
}

/* Saved after a build that used only some entries: those, and of the others only as many as
 * keep the file at most max(2 x used, 4096) entries. */
static void test_save_drops_unused(void **state)
{
        _cleanup_free_ char *dir = tmpdir();
        _cleanup_free_ char *path = xasprintf("%s/memo", dir);
        int64_t now = build_realtime_ns();
        char out[72], name[32];
        BuildStatCache *c = build_stat_cache_new(path);
        for (unsigned i = 0; i < 6000; i++) {
                struct stat st = file_stat(now - 100 * SEC);
                st.st_ino = i + 1;
                snprintf(name, sizeof(name), "f%u", i);
                build_stat_cache_put(c, name, &st, D1, now);
        }
        assert_int_equal(build_stat_cache_save(c, NULL), 0);
        c = build_stat_cache_free(c);

        c = build_stat_cache_new(path);
        struct stat st = file_stat(now - 100 * SEC);
        st.st_ino = 7000;
        build_stat_cache_put(c, "new", &st, D2, now);
        assert_int_equal(build_stat_cache_save(c, NULL), 0);
        c = build_stat_cache_free(c);
        struct stat f;
        assert_int_equal(stat(path, &f), 0);
        assert_int_equal(f.st_size, 24 + 88 * 4096);
        c = build_stat_cache_new(path);
        assert_true(build_stat_cache_get(c, "new", &st, out));
        assert_string_equal(out, D2);
        c = build_stat_cache_free(c);
        (void) rm_rf_at(AT_FDCWD, dir);
}

/* A real file: its content rewritten with the same size and its mtime set back still misses
 * (the ctime moved), so the content is read again. */
static void test_real_file(void **state)
{
        _cleanup_free_ char *dir = tmpdir();
        _cleanup_free_ char *path = xasprintf("%s/memo", dir);
        _cleanup_free_ char *file = xasprintf("%s/f", dir);
        _cleanup_(build_stat_cache_freep) BuildStatCache *c = build_stat_cache_new(path);
        char out[72];
        struct stat a, b;

        assert_int_equal(write_file_atomic_at(AT_FDCWD, file, "one", 3, 0644, NULL), 0);
        assert_int_equal(stat(file, &a), 0);
        /* recorded as if read two seconds later: trusted */
        build_stat_cache_put(c, "f", &a, D1, (int64_t) a.st_ctim.tv_sec * SEC + a.st_ctim.tv_nsec + 2 * SEC);
        assert_true(build_stat_cache_get(c, "f", &a, out));
        usleep(20000);
        int fd = open(file, O_WRONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(pwrite(fd, "two", 3, 0), 3);
        struct timespec ts[2] = { a.st_atim, a.st_mtim };
        assert_int_equal(futimens(fd, ts), 0);
        close(fd);
        assert_int_equal(stat(file, &b), 0);
        assert_int_equal(b.st_size, a.st_size);
        assert_int_equal(b.st_ino, a.st_ino);
        assert_true(b.st_mtim.tv_sec == a.st_mtim.tv_sec && b.st_mtim.tv_nsec == a.st_mtim.tv_nsec);
        assert_false(build_stat_cache_get(c, "f", &b, out));
        (void) rm_rf_at(AT_FDCWD, dir);
}

static void test_path(void **state)
{
        _cleanup_free_ char *a = build_stat_cache_path("/r/build/digests", "/home/x/ctx");
        _cleanup_free_ char *b = build_stat_cache_path("/r/build/digests", "/home/x/ctx");
        _cleanup_free_ char *c = build_stat_cache_path("/r/build/digests", "/home/x/ctx2");
        assert_string_equal(a, b);
        assert_string_not_equal(a, c);
        assert_true(startswith(a, "/r/build/digests/"));
        assert_int_equal(strlen(a), strlen("/r/build/digests/") + 32);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_exact_stat),
                cmocka_unit_test(test_racy),
                cmocka_unit_test(test_save_load),
                cmocka_unit_test(test_save_drops_unused),
                cmocka_unit_test(test_real_file),
                cmocka_unit_test(test_path),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

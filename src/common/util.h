/* Small helpers: allocation that aborts on OOM (sizes from outside are checked first), strings,
 * whole-file I/O and numbers. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cleanup.h"
#include "err.h"

void *xmalloc(size_t n);
void *xmalloc0(size_t n);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t n, size_t m);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) _printf_(1, 2);
char *xvasprintf(const char *fmt, va_list ap) _printf_(1, 0);

static inline bool streq(const char *a, const char *b)
{
        return a && b && __builtin_strcmp(a, b) == 0;
}
static inline bool streq_ptr(const char *a, const char *b)
{
        if (!a || !b)
                return a == b;
        return __builtin_strcmp(a, b) == 0;
}
bool startswith(const char *s, const char *prefix);
bool endswith(const char *s, const char *suffix);

size_t strv_length(char *const *v);
char **strv_copy(char *const *v);
/* Appends a copy of s; v may be NULL. */
char **strv_append(char **v, const char *s);

/* Reads a whole file (at most max bytes, else -EFBIG); result is NUL-terminated. */
int read_file_at(int dirfd, const char *path, size_t max, char **ret, size_t *ret_len,
                 LadeError **err);
/* Writes s to an existing file (no O_CREAT): for /proc and cgroupfs knobs. */
int write_file_at(int dirfd, const char *path, const char *s, LadeError **err);
/* Creates/truncates path atomically via a temp file + rename, mode 0600 unless given. */
int write_file_atomic_at(int dirfd, const char *path, const char *data, size_t len, mode_t mode,
                         LadeError **err);
/* write() all of buf, retrying on EINTR/short writes. Returns 0 or -errno. */
int write_all(int fd, const void *buf, size_t len);
/* read() exactly len bytes; returns bytes read (may be short at EOF) or -errno. */
ssize_t read_all(int fd, void *buf, size_t len);

int parse_int64(const char *s, int64_t *ret);
int parse_uint64(const char *s, uint64_t *ret);

/* mkdir -p with mode; ok if exists. Only for trusted host paths (state dirs), not rootfs. */
int mkdir_p(const char *path, mode_t mode);
/* rm -rf of a trusted host directory tree (no symlink following). */
int rm_rf_at(int dirfd, const char *name);

/* Monotonic time in nanoseconds. */
uint64_t now_ns(void);

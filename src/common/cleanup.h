/* Scope-bound cleanup helpers (GNU cleanup attribute), in systemd's spelling.
 * Destructors accept NULL (or a negative fd) and return NULL, so `p = foo_free(p)` is safe. */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <dirent.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _noreturn_ __attribute__((noreturn))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _pure_ __attribute__((pure))
#define _likely_(x) __builtin_expect(!!(x), 1)
#define _unlikely_(x) __builtin_expect(!!(x), 0)

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* Hand over ownership: returns the value and resets the variable so cleanup does nothing. */
#define TAKE_PTR(p)                              \
        ({                                       \
                typeof(p) _tp_ = (p);            \
                (p) = NULL;                      \
                _tp_;                            \
        })
#define TAKE_FD(fd)                              \
        ({                                       \
                int _tfd_ = (fd);                \
                (fd) = -EBADF;                   \
                _tfd_;                           \
        })

#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                 \
        static inline void func##p(type *p)                     \
        {                                                       \
                if (*p)                                         \
                        *p = func(*p);                          \
        }

static inline void freep(void *p)
{
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline int safe_close(int fd)
{
        if (fd >= 0) {
                int saved = errno;
                (void) close(fd);
                errno = saved;
        }
        return -EBADF;
}
static inline void closep(int *fd)
{
        *fd = safe_close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f)
{
        if (*f)
                (void) fclose(*f);
        *f = NULL;
}
#define _cleanup_fclose_ _cleanup_(fclosep)

static inline void closedirp(DIR **d)
{
        if (*d)
                (void) closedir(*d);
        *d = NULL;
}
#define _cleanup_closedir_ _cleanup_(closedirp)

/* NULL-terminated string vectors */
static inline char **strv_free(char **v)
{
        if (v) {
                for (char **i = v; *i; i++)
                        free(*i);
                free(v);
        }
        return NULL;
}
static inline void strv_freep(char ***v)
{
        *v = strv_free(*v);
}
#define _cleanup_strv_free_ _cleanup_(strv_freep)

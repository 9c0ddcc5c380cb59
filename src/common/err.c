/* Error values: allocated once where a failure is seen, extended with context on the way up. */
#include <stdarg.h>
#include <string.h>

#include "err.h"
#include "util.h"

_printf_(4, 0) static int make_error(LadeError **err, int errnum, bool with_errno, const char *fmt, va_list ap)
{
        if (errnum < 0)
                errnum = -errnum;
        if (err == NULL || *err != NULL)
                return errnum ? -errnum : -EIO;

        _cleanup_free_ char *base = xvasprintf(fmt, ap);
        LadeError *e = xmalloc0(sizeof(*e));
        e->status = errnum;
        if (with_errno && errnum)
                e->msg = xasprintf("%s: %s", base, strerror(errnum));
        else
                e->msg = TAKE_PTR(base);
        *err = e;
        return errnum ? -errnum : -EIO;
}

int lade_error(LadeError **err, int errnum, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = make_error(err, errnum, true, fmt, ap);
        va_end(ap);
        return r;
}

int lade_error_msg(LadeError **err, int errnum, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = make_error(err, errnum, false, fmt, ap);
        va_end(ap);
        return r;
}

int lade_error_wrap(LadeError **err, const char *fmt, ...)
{
        if (err == NULL || *err == NULL)
                return -EIO;
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *ctx = xvasprintf(fmt, ap);
        va_end(ap);
        char *m = xasprintf("%s: %s", ctx, (*err)->msg);
        free((*err)->msg);
        (*err)->msg = m;
        return (*err)->status ? -(*err)->status : -EIO;
}

LadeError *lade_error_free(LadeError *e)
{
        if (e) {
                free(e->msg);
                free(e);
        }
        return NULL;
}

const char *lade_error_message(const LadeError *err)
{
        return err && err->msg ? err->msg : "unknown error";
}

/* One error type carried up the stack (crun's model): the code that sees a failure writes the
 * message; callers add context with lade_error_wrap(). Functions return a negative errno. */
#pragma once

#include "cleanup.h"

typedef struct LadeError {
        int status;   /* positive errno, 0 when unknown */
        char *msg;
} LadeError;

/* Sets *err (if err is non-NULL and no error is set yet) and returns -errnum (or -EIO if 0). */
int lade_error(LadeError **err, int errnum, const char *fmt, ...) _printf_(3, 4);
/* Prefixes context to an existing error ("ctx: old"); returns its -status. */
int lade_error_wrap(LadeError **err, const char *fmt, ...) _printf_(2, 3);
/* Same as lade_error but with no errno text appended. */
int lade_error_msg(LadeError **err, int errnum, const char *fmt, ...) _printf_(3, 4);
LadeError *lade_error_free(LadeError *e);
DEFINE_TRIVIAL_CLEANUP_FUNC(LadeError *, lade_error_free)
/* Returns the message of err, or "unknown error". */
const char *lade_error_message(const LadeError *err);

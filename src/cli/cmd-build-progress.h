/* The progress of `lade build` on stderr, from build_run()'s callbacks: BuildKit's plain lines
 * ("#N [stage k/n] RUN …", "#N 0.123 output", "#N DONE 0.3s"), or on a terminal a live view
 * redrawn in place (one line per step with its state, the last lines of running steps' output),
 * and at the end the summary, or the failing step's output and the error. */
#pragma once

#include <stdio.h>

#include "build.h"

typedef enum BuildProgressMode {
        BUILD_PROGRESS_PLAIN,
        BUILD_PROGRESS_TTY,
        BUILD_PROGRESS_QUIET,     /* nothing but a failure */
        _BUILD_PROGRESS_MODE_MAX,
        _BUILD_PROGRESS_MODE_INVALID = -EINVAL,
} BuildProgressMode;

typedef struct BuildProgress BuildProgress;

/* "auto" (or NULL): tty when f is a terminal (and TERM is not dumb), else plain. */
BuildProgressMode build_progress_mode(const char *name, FILE *f);
/* Sets o's callbacks; the tty view starts redrawing (at most 10 times a second). */
BuildProgress *build_progress_new(BuildProgressMode mode, FILE *f, BuildOptions *o);
/* Stops the view and prints the end: on success (err NULL) the image id and tags, on failure the
 * failing step's output (plain: its last lines; tty: all of it) and "ERROR: failed to solve". */
void build_progress_finish(BuildProgress *p, const char *id, char *const *tags, const LadeError *err);
BuildProgress *build_progress_free(BuildProgress *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(BuildProgress *, build_progress_free)

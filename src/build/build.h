/* The builder: runs a Dockerfile with the engine and the image store and leaves one image. The
 * library the CLI (`lade build`) and the API server (POST /build) both call: the context comes
 * from a directory or a tar stream, progress and the output of RUN steps go to callbacks, and
 * nothing is printed here. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "err.h"

typedef enum BuildEventKind {
        BUILD_EVENT_START,     /* a step begins (name set) */
        BUILD_EVENT_CACHED,    /* the step was found in the cache */
        BUILD_EVENT_DONE,      /* the step finished (duration_ns set) */
        BUILD_EVENT_ERROR,     /* the step failed (error set) */
        BUILD_EVENT_WARNING,   /* a message for the user, not tied to a step (vertex 0) */
        BUILD_EVENT_QUEUED,    /* a step of a started stage that waits for the steps before it */
        BUILD_EVENT_CANCELED,  /* a queued or running step stopped because another one failed */
        _BUILD_EVENT_KIND_MAX,
        _BUILD_EVENT_KIND_INVALID = -EINVAL,
} BuildEventKind;

typedef struct BuildEvent {
        BuildEventKind kind;
        unsigned vertex;       /* BuildKit's "#N", 1-based */
        const char *name;      /* "[build 2/3] RUN make", "[internal] load build definition" */
        uint64_t duration_ns;
        const char *error;     /* ERROR: the message; WARNING: the text */
} BuildEvent;

typedef void (*BuildProgressFn)(const BuildEvent *ev, void *userdata);
/* Output of a RUN step as it arrives: stream 1 (stdout) or 2 (stderr), elapsed since the step
 * started. The data are whole lines, except for the last bytes of a step without a final newline
 * and lines longer than 16 KiB, which come in pieces. */
typedef void (*BuildOutputFn)(unsigned vertex, int stream, uint64_t elapsed_ns, const char *data,
                              size_t len, void *userdata);

typedef struct BuildOptions {
        const char *context_dir;   /* the context: a directory ... */
        int context_tar_fd;        /* ... or a tar (plain or compressed) read to its end; -1: none */
        const char *dockerfile;    /* path of the Dockerfile inside the context ("Dockerfile") */
        const char *dockerfile_data; /* or its content (e.g. -f outside the context, or -f -) */
        size_t dockerfile_len;
        char **tags;               /* -t, normalised by the store; may be NULL */
        char **build_args;         /* "KEY=VALUE" */
        char **labels;             /* "KEY=VALUE" added to the final image */
        char **secrets;            /* "id=ID,src=PATH" (or "id=ID,env=VAR") */
        const char *target;
        const char *platform;      /* --platform "os/arch[/variant]" */
        const char *network;       /* --network: RUN's network when it has no --network (default,
                                    * none, host); NULL: the engine's default network */
        bool no_cache, pull;
        int64_t source_date_epoch; /* >= 0: reproducible timestamps; -1: now */
        unsigned parallel;         /* stages built at once; 0: the CPUs, at most 4 */
        BuildProgressFn progress;
        BuildOutputFn output;
        void *userdata;
} BuildOptions;

#define BUILD_OPTIONS_INIT { .context_tar_fd = -1, .source_date_epoch = -1 }

/* Builds, independent stages at once (each on a worker thread with an engine handle of its own,
 * engine_open_sibling); sets ret_id ("sha256:…") of the target stage's image and tags it. The
 * callbacks are called one at a time, but from the build's threads. A failing step cancels the
 * others (running RUN containers are killed). On failure nothing is tagged, every container,
 * mount and temp dir made for the build is gone (the images of the steps that succeeded stay,
 * as the cache). */
int build_run(Engine *e, const BuildOptions *o, char ret_id[static 72], LadeError **err);

/* Removes every build cache row (and the RUN --mount=type=cache directories when dirs). */
int build_cache_prune(Engine *e, bool dirs, uint64_t *ret_rows, LadeError **err);

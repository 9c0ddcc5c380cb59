/* The engine library: the state of the host, under one state root (default /var/lib/lade,
 * LADE_ROOT or --root move it). Front ends (the lade CLI, later the API server) are thin layers
 * over these calls. This milestone: images (store, registry, archives). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "image-archive.h"
#include "err.h"
#include "image-store.h"
#include "registry.h"

typedef struct Engine Engine;

typedef struct EngineOptions {
        const char *root;          /* NULL: $LADE_ROOT, else /var/lib/lade */
        char *const *insecure_registries;
        const RegistryCredentials *credentials;   /* non-NULL: these, never the auth file */
        RegistryProgressFn progress;
        void *userdata;
        /* Monitors are started by fork+exec of this binary ("lade __monitor …") rather than
         * by fork alone: required in a multi-threaded caller (the API server). */
        bool monitor_exec;
        /* The caller removed the stale layers/tmp-* dirs already (a server, once at its start):
         * opening skips that scan (see image_store_open_flags). */
        bool no_stale_cleanup;
} EngineOptions;

int engine_open(const EngineOptions *o, Engine **ret, LadeError **err);
/* Another handle on e's state root with e's options, for another thread: a handle (its image
 * store's SQLite connection, closed and reopened around each monitor fork) serves one thread at
 * a time. The registry progress callback is shared and may then be called from both threads. */
int engine_open_sibling(Engine *e, Engine **ret, LadeError **err);
Engine *engine_free(Engine *e);
DEFINE_TRIVIAL_CLEANUP_FUNC(Engine *, engine_free)
ImageStore *engine_images(Engine *e);

/* Idle Engines of one set of options, for a threaded server whose requests each need a handle
 * (opening one costs SQLite connections that parse the schema). engine_pool_get() hands out an
 * idle Engine or opens a new one; engine_free() of an Engine from a pool gives it back when it is
 * clean (its connection open, no transaction or statement left open) and fewer than max_idle
 * wait, and frees it otherwise. An Engine serves one thread at a time, in the pool as before.
 * The pointers in o must outlive the pool; its opens set no_stale_cleanup. engine_pool_free()
 * frees the idle ones; the pool itself goes with the last Engine still out. */
typedef struct EnginePool EnginePool;
EnginePool *engine_pool_new(const EngineOptions *o, unsigned max_idle);
int engine_pool_get(EnginePool *p, Engine **ret, LadeError **err);
unsigned engine_pool_n_idle(EnginePool *p);
/* Frees the idle Engines, for a server gone idle: their page caches go, and their connections
 * close. While any connection to a database is open in a process, SQLite keeps the fds of the
 * others closed meanwhile (their POSIX locks are per process), so only this gives those back.
 * The pool refills as requests come. */
void engine_pool_trim(EnginePool *p);
EnginePool *engine_pool_free(EnginePool *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(EnginePool *, engine_pool_free)
const char *engine_root(Engine *e);
bool engine_monitor_exec(Engine *e);

/* pull: ref (normalised); platform "os/arch[/variant]" or NULL. Sets ret_id. */
int engine_image_pull(Engine *e, const char *ref, const char *platform, char ret_id[static 72],
                      LadeError **err);
int engine_image_push(Engine *e, const char *ref, LadeError **err);
int engine_login(Engine *e, const char *server, const char *user, const char *password, LadeError **err);
/* Checks credentials against the registry without storing them (the API's /auth). */
int engine_login_check(Engine *e, const char *server, const char *user, const char *password,
                       LadeError **err);
int engine_logout(Engine *e, const char *server, LadeError **err);
int engine_image_tag(Engine *e, const char *source, const char *target, LadeError **err);
/* load, save and import (image-archive.h) with their image events (engine-events-objects.c). */
int engine_image_load(Engine *e, int fd, ImageLoadedFn fn, void *userdata, LadeError **err);
int engine_image_save(Engine *e, char *const *names, int fd, LadeError **err);
int engine_image_import(Engine *e, int fd, const ImportOptions *o, char ret_id[static 72], LadeError **err);

/* Docker's /images/{name}/json shape. */
json_t *engine_image_inspect_json(Engine *e, const ImageInfo *i);
/* Docker's history rows: [{Id, Created, CreatedBy, Tags, Size, Comment}] newest first. */
json_t *engine_image_history_json(Engine *e, const ImageInfo *i);

/* Total and reclaimable bytes for `system df`. */
typedef struct EngineDiskUsage {
        uint64_t images, images_size, images_active, layers_size;
} EngineDiskUsage;
int engine_disk_usage(Engine *e, EngineDiskUsage *ret, LadeError **err);

/* Containers of the engine: rows in lade.db, a directory per container
 * (<root>/containers/<id>/: the overlay rootfs and its upper/work dirs, the generated
 * config.json bundle, hosts/hostname/resolv.conf), run through the runtime library in-process.
 * This milestone runs containers in the foreground (`lade run` without -d); the monitor that
 * keeps detached containers comes next. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "engine.h"

typedef struct ContainerInfo {
        char *id, *name, *image, *image_id, *state, *created_at;
        int exit_code;
        char **command;     /* process.args */
        int64_t created;
} ContainerInfo;

typedef struct RunRequest {
        json_t *create;      /* Docker's container-create body (borrowed) */
        const char *name;    /* NULL = generated */
        bool rm;             /* remove when it exits */
        const char *pull;    /* "missing" (NULL), "always", "never" */
        const char *platform;
} RunRequest;

/* Creates and runs the container in the foreground with the caller's stdio; sets *ret_status to
 * its exit status. Errors before the process starts use Docker's exit codes: 125 (engine),
 * 126 (command cannot be invoked), 127 (command not found) in *ret_status, with err set. */
int engine_container_run(Engine *e, const RunRequest *req, int *ret_status, LadeError **err);
int engine_container_list(Engine *e, bool all, ContainerInfo ***ret, size_t *ret_n, LadeError **err);
int engine_container_remove(Engine *e, const char *name_or_id, bool force, LadeError **err);
void container_info_list_free(ContainerInfo **l, size_t n);
/* rmi: refuses an image a container uses (Docker's rules: a stopped container's with -f only,
 * a running container's never), then image_store_remove(). */
/* 1 when a container (in any state) uses the image, 0 when none, negative on error. */
int engine_image_in_use(Engine *e, const char *image_id);
int engine_image_remove(Engine *e, const char *name, bool force, ImageRemoveFn fn, void *ud, LadeError **err);

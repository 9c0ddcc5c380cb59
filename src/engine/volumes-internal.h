/* Shared by the engine's volume files only: the rows of `volumes` and `container_volumes`, the
 * volume directories, and the copy that populates a volume from an image. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

#include "volumes.h"

#define VOLUME_NAME_MAX 255          /* a path component */
#define VOLUME_OPTION_MAX 4096       /* one option value */
#define VOLUME_MAX_OPTIONS 64        /* keys in options or labels */

typedef struct Volume {
        char *name, *driver;
        json_t *options, *labels;    /* objects of strings, never NULL */
        int64_t created;             /* unix seconds */
        bool anonymous;
} Volume;

Volume *vol_free(Volume *v);
DEFINE_TRIVIAL_CLEANUP_FUNC(Volume *, vol_free)
void vol_list_free(Volume **l, size_t n);

/* One row of container_volumes. */
typedef struct VolumeRef {
        char *container_id, *volume, *destination;
        bool anonymous;
} VolumeRef;

void vol_refs_free(VolumeRef *r, size_t n);

/* Opens lade.db; create: make the two tables when missing (else -ENOENT when they are, so
 * readers of a database that never saw a volume need not write). */
int vol_db_open(Engine *e, bool create, sqlite3 **ret, LadeError **err);
/* The Engine's own connection (engine_db, borrowed: not closed) for a read, -ENOENT as above. */
int vol_db_borrow(Engine *e, sqlite3 **ret, LadeError **err);
/* ENOENT: "get NAME: no such volume". */
int vol_db_get(sqlite3 *db, const char *name, Volume **ret, LadeError **err);
int vol_db_insert(sqlite3 *db, const Volume *v, LadeError **err);
int vol_db_delete(sqlite3 *db, const char *name, LadeError **err);
int vol_db_list(sqlite3 *db, Volume ***ret, size_t *ret_n, LadeError **err);
/* container_volumes rows of a container (container_id set, in the order they were made), of a
 * volume (volume set) or, both NULL, every row (by container, then in the order they were made). */
int vol_db_refs(sqlite3 *db, const char *container_id, const char *volume, VolumeRef **ret,
                size_t *ret_n, LadeError **err);
/* Inserts or replaces the row of (container_id, destination). */
int vol_db_ref_put(sqlite3 *db, const VolumeRef *r, LadeError **err);
int vol_db_refs_drop(sqlite3 *db, const char *container_id, LadeError **err);
/* Number of containers using each volume, as {"name": n} (only names with n > 0). */
int vol_db_ref_counts(sqlite3 *db, json_t **ret, LadeError **err);

/* <root>/volumes/<name> and its _data. Caller frees. */
char *vol_dir(Engine *e, const char *name);
char *vol_data_path(Engine *e, const char *name);
/* Makes <root>/volumes/<name>/_data (0755, the parents 0701); EEXIST is fine. */
int vol_make_dirs(Engine *e, const char *name, LadeError **err);
/* Moves the volume's directory out of the way in one rename (<root>/volumes/.trash/<name>-N),
 * so a volume of the same name made right after starts empty; vol_purge_trash() deletes. */
void vol_trash_dir(Engine *e, const char *name);
void vol_purge_trash(Engine *e);

/* The Volume as Docker's API object. */
json_t *vol_to_json(Engine *e, const Volume *v);
/* A new Volume (validated name, driver and options, the anonymous label when anonymous). The
 * Docker context "create NAME: " is on the errors. */
int vol_new(const char *name, const char *driver, json_t *options, json_t *labels,
            Volume **ret, LadeError **err);
/* Inside a transaction of db: returns the volume, creating its row and directory when missing
 * (*ret_created tells). */
int vol_get_or_create(Engine *e, sqlite3 *db, const Volume *want, Volume **ret,
                      bool *ret_created, LadeError **err);
/* Bytes in a volume's _data (regular files and symlinks, hardlinks once); 0 when unreadable. */
uint64_t vol_dir_size(const char *path);
/* The local driver's options, as the spec needs them. */
const char *vol_option(const Volume *v, const char *key);

/* Copies the content of the directory at `path` inside rootfs (resolved in the root, never
 * following a symlink out of it) into the directory dst_fd when that is empty: owners, modes,
 * times, xattrs, symlinks, hardlinks, devices and fifos; the top directory's owner and mode too,
 * as Docker does. A missing path or one that is not a directory copies nothing. */
int vol_populate(int rootfs_fd, const char *path, int dst_fd, LadeError **err);

/* Binds modes (volumes-prepare.c): linuxValidMountMode, and whether opt is one of mode's. */
bool vol_mode_valid(const char *mode);
bool vol_mode_has(const char *mode, const char *opt);
/* engine_volumes_from_load() on the create body's HostConfig (host, may be NULL). */
json_t *vol_from_load(Engine *e, const char *container_id, json_t *host);

/* Whether HostConfig.Tmpfs (host) has a mount at dest (volumes-prepare.c). */
bool vol_tmpfs_at(json_t *host, const char *dest);

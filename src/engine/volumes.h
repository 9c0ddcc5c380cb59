/* Volumes of the engine: Docker's "local" driver. A volume is a row of the `volumes` table of
 * lade.db and a directory <root>/volumes/<name>/_data (0755 root, as Docker's
 * /var/lib/docker/volumes/NAME/_data); a container's use of one is a row of `container_volumes`
 * (container id, volume, destination, anonymous). Driver options (`-o type=tmpfs -o device=tmpfs
 * -o o=size=100m` and `-o type=none -o o=bind -o device=/host/path`) are carried into the
 * container's spec as a tmpfs mount or a bind of the device; nothing is mounted on the host.
 *
 * Errors are Docker's: "create ../x: \"../x\" includes invalid characters for a local volume
 * name, ...", "get v: no such volume", "remove v: volume is in use - [ids]". */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "engine-filters.h"
#include "engine.h"
#include "manifest.h"

/* The label Docker puts on volumes created without a name (`docker volume create` with no name,
 * `-v /dst`, an image's VOLUME): `volume prune` without --all removes only those. */
#define VOLUME_ANONYMOUS_LABEL "com.docker.volume.anonymous"

/* `volume create`: name NULL or "" generates a 64-hex name (and the anonymous label); driver
 * NULL or "local"; options and labels are objects of strings (borrowed, may be NULL). Creating
 * a name that exists returns the existing volume, as Docker does. *ret is Docker's Volume
 * object (see engine_volume_inspect). */
int engine_volume_create(Engine *e, const char *name, const char *driver, json_t *options,
                         json_t *labels, json_t **ret, LadeError **err);
/* Docker's GET /volumes/{name}: {CreatedAt, Driver, Labels, Mountpoint, Name, Options, Scope}. */
int engine_volume_inspect(Engine *e, const char *name, json_t **ret, LadeError **err);
/* Volumes matching Docker's list filters (dangling, name, driver, label), sorted by name. Each
 * element is the inspect object; f may be NULL. Unknown filters are refused. */
int engine_volume_list(Engine *e, const EngineFilters *f, json_t **ret, LadeError **err);
/* Refuses a volume any container (running or not) uses: "remove v: volume is in use - [ids]".
 * force: a volume that does not exist is not an error. */
int engine_volume_remove(Engine *e, const char *name, bool force, LadeError **err);
/* Docker 23+'s prune: unused local volumes without driver options, only the anonymous ones
 * unless the filter all=true is given; label/label! filters. *ret_names gets the removed names
 * (a JSON array), *ret_reclaimed the bytes freed. */
int engine_volume_prune(Engine *e, const EngineFilters *f, json_t **ret_names,
                        uint64_t *ret_reclaimed, LadeError **err);

typedef struct EngineVolumeUsage {
        uint64_t total, active;     /* volumes; those used by a container */
        uint64_t size, reclaimable; /* bytes in _data of volumes without options; unused part */
} EngineVolumeUsage;
int engine_volume_disk_usage(Engine *e, EngineVolumeUsage *ret, LadeError **err);

/* For a container's spec (ctr_build_spec): returns in *ret_create a copy of the create body in
 * which every volume is replaced by what container-spec understands: a named volume in Binds
 * ("name:/dst[:mode]"), a Mounts entry of type volume, an anonymous volume (Binds "/dst",
 * create.Volumes, or image->volumes not otherwise mounted) becomes a bind of the volume's _data,
 * a bind of its device (type=none) or a HostConfig.Tmpfs entry (type=tmpfs). Missing named
 * volumes are created; anonymous ones are created once per destination and reused at every
 * later start. The use is recorded in container_volumes; on a container's first use an empty
 * volume is filled from the image's content at the destination (owners, modes, xattrs,
 * symlinks, hardlinks; nothing outside rootfs is ever followed), unless nocopy. rootfs is the
 * container's mounted rootfs. A body without volumes is returned as is (no database access). */
int engine_volumes_prepare(Engine *e, const char *container_id, json_t *create,
                           const ImageConfig *image, const char *rootfs, json_t **ret_create,
                           LadeError **err);
/* Drops the container's container_volumes rows; with remove_anonymous (`rm -v`, `--rm`, a
 * failed create) its anonymous volumes no other container uses are removed too, each with its
 * "destroy" event (after the transaction). Idempotent. */
int engine_volumes_release(Engine *e, const char *container_id, bool remove_anonymous,
                           LadeError **err);
/* Docker's inspect "Mounts" of a container: binds, volumes and --mount tmpfs, in the order of
 * Binds, Mounts, then anonymous volumes. Never fails (an empty array at worst). */
json_t *engine_volumes_mounts_json(Engine *e, const char *container_id, json_t *create);
/* The same Mounts for many containers (the container list): every container's container_volumes
 * rows read once, on the Engine's connection; never NULL (no volume table: no rows). host is
 * the create body's HostConfig, or only its Binds, Mounts, VolumesFrom and Tmpfs (may be NULL). */
typedef struct VolumeMountsIndex VolumeMountsIndex;
VolumeMountsIndex *engine_volumes_mounts_index(Engine *e);
VolumeMountsIndex *engine_volumes_mounts_index_free(VolumeMountsIndex *ix);
DEFINE_TRIVIAL_CLEANUP_FUNC(VolumeMountsIndex *, engine_volumes_mounts_index_free)
json_t *engine_volumes_mounts_json_indexed(Engine *e, const VolumeMountsIndex *ix, const char *container_id,
                                           json_t *host);
/* HostConfig.VolumesFrom (volumes-from.c). At create: the mount points of the source
 * containers (binds and volumes, not tmpfs; Docker's "No such container: X", "invalid mode: X")
 * as inspect's Mounts entries, volumes with "Anonymous" (their source's kind); *ret NULL when
 * the body has none. Saved into the container's directory, loaded at each start (NULL: none). */
int engine_volumes_from_resolve(Engine *e, json_t *create, json_t **ret, LadeError **err);
int engine_volumes_from_save(Engine *e, const char *container_id, json_t *mounts, LadeError **err);
json_t *engine_volumes_from_load(Engine *e, const char *container_id, json_t *create);
/* "ID[:ro|:rw]" (moby's ParseVolumesFrom). */
int engine_volumes_from_parse(const char *spec, char **ret_id, bool *ret_rw, LadeError **err);
/* dockerd's "mount" event of each volume a start mounts (at every start). */
void engine_volumes_mount_events(Engine *e, const char *container_id, json_t *create);
/* dockerd's "unmount" event ({driver, container}) of each of them once the container stopped
 * (at every exit, before its "die", as dockerd's Cleanup). */
void engine_volumes_unmount_events(Engine *e, const char *container_id, json_t *create);

/* Validation, public for the tests: Docker's local volume name rules ("create NAME: ..." is
 * the caller's context) and the local driver's options. */
int volume_check_name(const char *name, LadeError **err);
int volume_check_options(json_t *options, LadeError **err);

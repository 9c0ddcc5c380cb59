/* HostConfig.VolumesFrom (`--volumes-from CONTAINER[:ro|:rw]`): moby's ParseVolumesFrom and
 * step 2 of registerMountPoints. At create, every mount point of each source container (its
 * binds, its named and anonymous volumes, and what it got from its own VolumesFrom; not tmpfs)
 * is copied at the same destination, read-write only when the source's is and the spec does not
 * say ":ro", a later source replacing an earlier one at the same destination. The list is kept
 * in <dir>/volumes-from.json, so the container keeps its mounts when a source is removed later,
 * as Docker's keeps its MountPoints. engine_volumes_prepare() mounts them at each start where
 * the container's own binds, mounts and tmpfs do not, and records the volumes as used by it.
 * What stays true: the file is written once, at create, and never changed; a source that does
 * not exist fails the create before anything is made. */
#include <fcntl.h>
#include <string.h>

#include "containers-internal.h"
#include "json-util.h"
#include "util.h"
#include "volumes-internal.h"

#define VOLUMES_FROM_FILE "volumes-from.json"
#define VOLUMES_FROM_FILE_MAX (4u << 20)
#define VOLUMES_FROM_MAX 256           /* entries of HostConfig.VolumesFrom */

static bool mode_has_propagation(const char *mode)
{
        static const char *const props[] = { "private", "rprivate", "slave", "rslave", "shared", "rshared" };
        for (size_t i = 0; i < ELEMENTSOF(props); i++)
                if (vol_mode_has(mode, props[i]))
                        return true;
        return false;
}

/* linuxParser.ParseVolumesFrom: "ID[:MODE]"; propagation and copy modes are refused. */
int engine_volumes_from_parse(const char *spec, char **ret_id, bool *ret_rw, LadeError **err)
{
        if (!*spec)
                return lade_error_msg(err, EINVAL, "volumes-from specification cannot be an empty string");
        const char *colon = strchr(spec, ':'), *mode = colon ? colon + 1 : "";
        if (*mode && (!vol_mode_valid(mode) || mode_has_propagation(mode) || vol_mode_has(mode, "nocopy")))
                return lade_error_msg(err, EINVAL, "invalid mode: %s", mode);
        *ret_id = colon ? xstrndup(spec, (size_t) (colon - spec)) : xstrdup(spec);
        *ret_rw = !vol_mode_has(mode, "ro");
        return 0;
}

static bool anonymous_volume(Engine *e, const char *name)
{
        _cleanup_(vol_freep) Volume *v = NULL;
        sqlite3 *db;
        return name && vol_db_borrow(e, &db, NULL) >= 0 && vol_db_get(db, name, &v, NULL) >= 0 &&
               v->anonymous;
}

/* Puts m into out, replacing an entry of the same destination. */
static void put_mount(json_t *out, json_t *m)
{
        const char *dest = json_string_value(json_object_get(m, "Destination"));
        size_t i;
        json_t *o;
        json_array_foreach(out, i, o)
                if (streq_ptr(json_string_value(json_object_get(o, "Destination")), dest)) {
                        json_array_set_new(out, i, m);
                        return;
                }
        json_array_append_new(out, m);
}

static int add_source(Engine *e, const char *spec, json_t *out, LadeError **err)
{
        _cleanup_free_ char *id = NULL;
        bool rw;
        int r = engine_volumes_from_parse(spec, &id, &rw, err);
        if (r < 0)
                return r;
        Ctr src = { .e = e };
        r = ctr_borrow_db(&src, err);
        if (r >= 0)
                r = ctr_load(&src, id, err);
        if (r < 0) {
                ctr_done(&src);
                return r;
        }
        _cleanup_json_ json_t *mounts = engine_volumes_mounts_json(e, src.id, src.create);
        ctr_done(&src);
        size_t i;
        json_t *m;
        json_array_foreach(mounts, i, m) {
                const char *type = json_string_value(json_object_get(m, "Type"));
                if (!streq_ptr(type, "volume") && !streq_ptr(type, "bind"))
                        continue;
                json_t *cp = json_deep_copy(m);
                /* the copy has no Mode of its own (moby's MountPoint copy leaves it out) */
                json_object_set_new(cp, "Mode", json_string(""));
                json_object_set_new(cp, "RW", json_boolean(rw && !json_is_false(json_object_get(m, "RW"))));
                if (streq(type, "volume"))
                        json_object_set_new(cp, "Anonymous", json_boolean(anonymous_volume(
                                                    e, json_string_value(json_object_get(m, "Name")))));
                put_mount(out, cp);
        }
        return 0;
}

int engine_volumes_from_resolve(Engine *e, json_t *create, json_t **ret, LadeError **err)
{
        json_t *from = json_object_get(json_object_get(create, "HostConfig"), "VolumesFrom");
        *ret = NULL;
        if (!from || json_is_null(from) || (json_is_array(from) && json_array_size(from) == 0))
                return 0;
        if (!json_is_array(from))
                return lade_error_msg(err, EINVAL, "HostConfig.VolumesFrom: expected an array of strings");
        if (json_array_size(from) > VOLUMES_FROM_MAX)
                return lade_error_msg(err, EINVAL, "HostConfig.VolumesFrom: more than %d entries",
                                      VOLUMES_FROM_MAX);
        _cleanup_json_ json_t *out = json_array();
        size_t i;
        json_t *s;
        json_array_foreach(from, i, s) {
                if (!json_is_string(s))
                        return lade_error_msg(err, EINVAL, "HostConfig.VolumesFrom[%zu]: expected a string", i);
                int r = add_source(e, json_string_value(s), out, err);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(out);
        return 0;
}

static char *file_path(Engine *e, const char *container_id)
{
        return xasprintf("%s/containers/%s/" VOLUMES_FROM_FILE, engine_root(e), container_id);
}

int engine_volumes_from_save(Engine *e, const char *container_id, json_t *mounts, LadeError **err)
{
        if (!mounts)
                return 0;
        _cleanup_free_ char *path = file_path(e, container_id), *text = json_dump_compact(mounts);
        return write_file_atomic_at(AT_FDCWD, path, text, strlen(text), 0600, err);
}

json_t *engine_volumes_from_load(Engine *e, const char *container_id, json_t *create)
{
        return vol_from_load(e, container_id, json_object_get(create, "HostConfig"));
}

json_t *vol_from_load(Engine *e, const char *container_id, json_t *host)
{
        json_t *from = json_object_get(host, "VolumesFrom");
        json_t *m = NULL;
        if (json_array_size(from) == 0)
                return NULL;
        _cleanup_free_ char *path = file_path(e, container_id);
        if (json_load_path(path, VOLUMES_FROM_FILE_MAX, &m, NULL) < 0 || !json_is_array(m))
                return json_decref_null(m);
        return m;
}

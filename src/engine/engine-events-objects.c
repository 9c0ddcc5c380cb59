/* Events of networks, volumes and images with dockerd's Actor shapes (daemon/events.go,
 * images/image_events.go): a network's ID with {name, type} (and container for connect and
 * disconnect), a volume's name with {driver} (and container, destination, read/write,
 * propagation for mount; container for unmount), an image's ID (or familiar reference for pull and push) with its
 * config's labels and {name}. And the image operations of the front ends that emit them: load,
 * save, import, rmi. Recorded after the action's own transaction (engine-events.h). */
#include <stdio.h>
#include <string.h>

#include "containers.h"
#include "engine-events.h"
#include "image-archive.h"
#include "json-util.h"
#include "util.h"
#include "volumes.h"

void engine_network_event(Engine *e, const char *id, const char *name, const char *driver, const char *action,
                          const char *container_id)
{
        json_t *a = json_pack("{s:s,s:s}", "name", name ? name : "", "type", driver && *driver ? driver : "bridge");
        if (container_id)
                json_object_set_new(a, "container", json_string(container_id));
        engine_event_emit(e, "network", action, id, a);
}

void engine_volume_event(Engine *e, const char *name, const char *action, json_t *extra)
{
        json_t *a = json_pack("{s:s}", "driver", "local");
        if (extra) {
                json_object_update(a, extra);
                json_decref(extra);
        }
        engine_event_emit(e, "volume", action, name, a);
}

void engine_volumes_mount_events(Engine *e, const char *container_id, json_t *create)
{
        _cleanup_json_ json_t *mounts = engine_volumes_mounts_json(e, container_id, create);
        json_t *m;
        size_t i;
        json_array_foreach(mounts, i, m) {
                if (!streq_ptr(json_string_value(json_object_get(m, "Type")), "volume"))
                        continue;
                engine_volume_event(e, json_string_value(json_object_get(m, "Name")), "mount",
                                    json_pack("{s:s,s:O,s:s,s:O}", "container", container_id, "destination",
                                              json_object_get(m, "Destination"), "read/write",
                                              json_is_false(json_object_get(m, "RW")) ? "false" : "true",
                                              "propagation", json_object_get(m, "Propagation")));
        }
}

void engine_volumes_unmount_events(Engine *e, const char *container_id, json_t *create)
{
        _cleanup_json_ json_t *mounts = engine_volumes_mounts_json(e, container_id, create);
        json_t *m;
        size_t i;
        json_array_foreach(mounts, i, m)
                if (streq_ptr(json_string_value(json_object_get(m, "Type")), "volume"))
                        engine_volume_event(e, json_string_value(json_object_get(m, "Name")), "unmount",
                                            json_pack("{s:s}", "container", container_id));
}

static json_t *image_labels(Engine *e, const char *id)
{
        _cleanup_(image_info_freep) ImageInfo *info = NULL;
        json_t *a = json_object();
        if (id && image_store_resolve(engine_images(e), id, &info, NULL) == 0 && info->config &&
            json_is_object(info->config->labels))
                json_object_update(a, info->config->labels);
        return a;
}

void engine_image_event_attrs(Engine *e, const char *id, const char *name, const char *action, json_t *attrs)
{
        json_t *a = attrs ? attrs : json_object();
        if (name && *name)
                json_object_set_new(a, "name", json_string(name));
        engine_event_emit(e, "image", action, id, a);
}

void engine_image_event(Engine *e, const char *id, const char *name, const char *action)
{
        engine_image_event_attrs(e, id, name, action, image_labels(e, id));
}

/* ---- image operations with their events ---- */

typedef struct LoadCb {
        Engine *e;
        ImageLoadedFn fn;
        void *userdata;
} LoadCb;

static void loaded(void *userdata, const char *ref, const char *id)
{
        LoadCb *cb = userdata;
        engine_image_event(cb->e, id, id, "load");
        if (cb->fn)
                cb->fn(cb->userdata, ref, id);
}

int engine_image_load(Engine *e, int fd, ImageLoadedFn fn, void *userdata, LadeError **err)
{
        LoadCb cb = { e, fn, userdata };
        return image_archive_load(engine_images(e), fd, loaded, &cb, err);
}

int engine_image_save(Engine *e, char *const *names, int fd, LadeError **err)
{
        int r = image_archive_save(engine_images(e), names, fd, err);
        for (char *const *n = names; r >= 0 && n && *n; n++) {
                _cleanup_(image_info_freep) ImageInfo *info = NULL;
                if (image_store_resolve(engine_images(e), *n, &info, NULL) == 0)
                        engine_image_event(e, info->id, info->id, "save");
        }
        return r;
}

int engine_image_import(Engine *e, int fd, const ImportOptions *o, char ret_id[static 72], LadeError **err)
{
        int r = image_archive_import(engine_images(e), fd, o, ret_id, err);
        if (r >= 0)
                engine_image_event(e, ret_id, ret_id, "import");
        return r;
}

typedef struct RemoveCb {
        Engine *e;
        const ImageInfo *info;
        json_t *labels;
        ImageRemoveFn fn;
        void *userdata;
} RemoveCb;

static void removed(void *userdata, const char *what, const char *name)
{
        RemoveCb *cb = userdata;
        if (streq(what, "Untagged"))
                engine_image_event_attrs(cb->e, cb->info->id, cb->info->id, "untag", json_copy(cb->labels));
        else if (streq(what, "Deleted"))
                engine_image_event_attrs(cb->e, name, name, "delete", json_copy(cb->labels));
        if (cb->fn)
                cb->fn(cb->userdata, what, name);
}

int engine_image_remove_logged(Engine *e, const ImageInfo *info, const char *name, bool force, ImageRemoveFn fn,
                               void *ud, LadeError **err)
{
        RemoveCb cb = { e, info, image_labels(e, info->id), fn, ud };
        int r = image_store_remove(engine_images(e), name, force, removed, &cb, err);
        json_decref(cb.labels);
        return r;
}

/* A container's volumes after prepare: releasing them when the container goes (`rm`, `rm -v`,
 * `--rm`, a failed create) and describing them as Docker's "Mounts", in `inspect` and, the same
 * list, in the container list's summaries (there from one read of container_volumes for all).
 * What stays true: release drops the container's container_volumes rows and the anonymous
 * volumes it removes in one transaction, so calling it again finds nothing to do. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container-spec-mounts.h"
#include "engine-events.h"
#include "image-db.h"
#include "json-util.h"
#include "util.h"
#include "volumes-internal.h"

static bool used_by_others(sqlite3 *db, const char *volume, const char *cid)
{
        VolumeRef *refs = NULL;
        size_t n = 0;
        bool others = false;
        if (vol_db_refs(db, NULL, volume, &refs, &n, NULL) < 0)
                return true;
        for (size_t i = 0; i < n; i++)
                others |= !streq(refs[i].container_id, cid);
        vol_refs_free(refs, n);
        return others;
}

/* The names of the volumes it removed are appended to *removed. */
static int release_locked(Engine *e, sqlite3 *db, const char *cid, bool remove_anonymous, char ***removed,
                          LadeError **err)
{
        VolumeRef *refs = NULL;
        size_t n = 0;
        int r = vol_db_refs(db, cid, NULL, &refs, &n, err);
        if (r >= 0 && n > 0)
                r = vol_db_refs_drop(db, cid, err);
        for (size_t i = 0; r >= 0 && remove_anonymous && i < n; i++) {
                if (!refs[i].anonymous || used_by_others(db, refs[i].volume, cid))
                        continue;
                r = vol_db_delete(db, refs[i].volume, err);
                if (r >= 0) {
                        vol_trash_dir(e, refs[i].volume);
                        *removed = strv_append(*removed, refs[i].volume);
                }
        }
        vol_refs_free(refs, n);
        return r;
}

/* Nothing to release, known from a read on the Engine's connection: most containers have no
 * volume, and their removal (`run --rm`'s last step) needs no transaction of its own. */
static bool has_no_refs(Engine *e, const char *container_id)
{
        sqlite3 *db;
        VolumeRef *refs = NULL;
        size_t n = 0;
        int r = vol_db_borrow(e, &db, NULL);
        if (r == -ENOENT)
                return true;    /* no volume tables: no volume was ever made here */
        if (r < 0 || vol_db_refs(db, container_id, NULL, &refs, &n, NULL) < 0)
                return false;
        vol_refs_free(refs, n);
        return n == 0;
}

int engine_volumes_release(Engine *e, const char *container_id, bool remove_anonymous, LadeError **err)
{
        if (has_no_refs(e, container_id))
                return 0;
        _cleanup_(image_db_closep) sqlite3 *db = NULL;
        int r = vol_db_open(e, false, &db, err);
        if (r == -ENOENT)
                return 0;   /* no volume was ever made here */
        if (r >= 0)
                r = image_db_begin(db, err);
        if (r < 0)
                return r;
        _cleanup_strv_free_ char **removed = xmalloc0(sizeof(char *));
        r = release_locked(e, db, container_id, remove_anonymous, &removed, err);
        if (r >= 0)
                r = image_db_commit(db, err);
        if (r < 0)
                image_db_rollback(db);
        for (char **v = removed; r >= 0 && *v; v++)
                engine_volume_event(e, *v, "destroy", NULL);
        vol_purge_trash(e);
        return r;
}

/* ---- inspect's Mounts ---- */

static const VolumeRef *ref_for(const VolumeRef *refs, size_t n, const char *dest)
{
        for (size_t i = 0; i < n; i++)
                if (streq(refs[i].destination, dest))
                        return &refs[i];
        return NULL;
}

static const char *propagation_of(const char *mode)
{
        static const char *const modes[] = { "rprivate", "private", "rshared", "shared", "rslave", "slave" };
        _cleanup_free_ char *m = xasprintf(",%s,", mode);
        for (size_t i = 0; i < ELEMENTSOF(modes); i++) {
                _cleanup_free_ char *needle = xasprintf(",%s,", modes[i]);
                if (strstr(m, needle))
                        return modes[i];
        }
        return "rprivate";
}

static json_t *volume_json(Engine *e, const char *name, const char *dest, const char *mode, bool rw)
{
        _cleanup_free_ char *src = vol_data_path(e, name);
        return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:s}", "Type", "volume", "Name", name, "Source", src,
                         "Destination", dest, "Driver", "local", "Mode", mode, "RW", rw, "Propagation", "");
}

static json_t *bind_json(const char *src, const char *dest, const char *mode, bool rw, const char *prop)
{
        return json_pack("{s:s,s:s,s:s,s:s,s:b,s:s}", "Type", "bind", "Source", src, "Destination", dest,
                         "Mode", mode, "RW", rw, "Propagation", prop);
}

static bool ro_in(const char *mode)
{
        _cleanup_free_ char *m = xasprintf(",%s,", mode);
        return strstr(m, ",ro,") != NULL;
}

/* "src:dst[:mode]" or "dst" as ParseMountRaw splits it; false for text the spec refused. */
static json_t *bind_entry(Engine *e, const char *raw, const VolumeRef *refs, size_t n)
{
        _cleanup_strv_free_ char **f = NULL;
        _cleanup_free_ char *copy = xstrdup(raw);
        for (char *p = copy, *c; p; p = c ? c + 1 : NULL) {
                c = strv_length(f) < 2 ? strchr(p, ':') : NULL;
                if (c)
                        *c = '\0';
                f = strv_append(f, p);
        }
        size_t k = strv_length(f);
        const char *mode = k == 3 ? f[2] : "";
        _cleanup_free_ char *dest = cspec_path_clean(k == 1 ? f[0] : f[1]);
        if (k > 1 && f[0][0] == '/') {
                _cleanup_free_ char *src = cspec_path_clean(f[0]);
                return bind_json(src, dest, mode, !ro_in(mode), propagation_of(mode));
        }
        const VolumeRef *r = ref_for(refs, n, dest);
        const char *name = k > 1 ? f[0] : r ? r->volume : "";
        return volume_json(e, name, dest, *mode ? mode : "z", !ro_in(mode));
}

static json_t *mount_entry(Engine *e, json_t *o, const VolumeRef *refs, size_t n)
{
        const char *type = json_string_value(cspec_member(o, "Type"));
        const char *src = json_string_value(cspec_member(o, "Source"));
        const char *target = json_string_value(cspec_member(o, "Target"));
        bool rw = !json_is_true(cspec_member(o, "ReadOnly"));
        if (!type || !target)
                return NULL;
        _cleanup_free_ char *dest = cspec_path_clean(target);
        if (streq(type, "tmpfs"))
                return json_pack("{s:s,s:s,s:s,s:s,s:b,s:s}", "Type", "tmpfs", "Source", "", "Destination", dest,
                                 "Mode", "", "RW", rw, "Propagation", "");
        if (streq(type, "bind")) {
                const char *prop = json_string_value(cspec_member(cspec_member(o, "BindOptions"), "Propagation"));
                _cleanup_free_ char *s = cspec_path_clean(src ? src : "");
                return bind_json(s, dest, "", rw, prop && *prop ? prop : "rprivate");
        }
        if (!streq(type, "volume"))
                return NULL;
        const VolumeRef *r = ref_for(refs, n, dest);
        return volume_json(e, src && *src ? src : r ? r->volume : "", dest, "z", rw);
}

static bool listed(json_t *mounts, const char *dest)
{
        size_t i;
        json_t *m;
        json_array_foreach(mounts, i, m)
                if (streq(json_string_value(json_object_get(m, "Destination")), dest))
                        return true;
        return false;
}

/* The mount points of HostConfig.VolumesFrom where the container's own do not cover them. */
static void add_volumes_from(Engine *e, const char *container_id, json_t *host, json_t *out)
{
        _cleanup_json_ json_t *from = vol_from_load(e, container_id, host);
        json_t *m;
        size_t i;
        json_array_foreach(from, i, m) {
                const char *dest = json_string_value(json_object_get(m, "Destination"));
                if (!dest || listed(out, dest) || vol_tmpfs_at(host, dest))
                        continue;
                json_t *cp = json_deep_copy(m);
                json_object_del(cp, "Anonymous");
                json_array_append_new(out, cp);
        }
}

/* The Mounts of a container from its HostConfig and its container_volumes rows (refs, n). */
static json_t *mounts_of(Engine *e, const char *container_id, json_t *host, const VolumeRef *refs, size_t n)
{
        json_t *out = json_array(), *v;
        json_t *binds = cspec_member(host, "Binds"), *mounts = cspec_member(host, "Mounts");
        size_t i;
        json_array_foreach(binds, i, v)
                if (json_is_string(v))
                        json_array_append_new(out, bind_entry(e, json_string_value(v), refs, n));
        json_array_foreach(mounts, i, v) {
                json_t *m = mount_entry(e, v, refs, n);
                if (m)
                        json_array_append_new(out, m);
        }
        add_volumes_from(e, container_id, host, out);
        for (size_t k = 0; k < n; k++)
                if (!listed(out, refs[k].destination))
                        json_array_append_new(out, volume_json(e, refs[k].volume, refs[k].destination, "", true));
        return out;
}

json_t *engine_volumes_mounts_json(Engine *e, const char *container_id, json_t *create)
{
        sqlite3 *db;
        VolumeRef *refs = NULL;
        size_t n = 0;
        if (vol_db_borrow(e, &db, NULL) >= 0)
                (void) vol_db_refs(db, container_id, NULL, &refs, &n, NULL);
        json_t *out = mounts_of(e, container_id, cspec_member(create, "HostConfig"), refs, n);
        vol_refs_free(refs, n);
        return out;
}

/* ---- the list's Mounts: every container's rows read once ---- */

struct VolumeMountsIndex {
        VolumeRef *refs;        /* every container_volumes row, by container id */
        size_t n;
};

VolumeMountsIndex *engine_volumes_mounts_index(Engine *e)
{
        VolumeMountsIndex *ix = xmalloc0(sizeof(*ix));
        sqlite3 *db;
        if (vol_db_borrow(e, &db, NULL) >= 0)
                (void) vol_db_refs(db, NULL, NULL, &ix->refs, &ix->n, NULL);
        return ix;
}

VolumeMountsIndex *engine_volumes_mounts_index_free(VolumeMountsIndex *ix)
{
        if (!ix)
                return NULL;
        vol_refs_free(ix->refs, ix->n);
        free(ix);
        return NULL;
}

json_t *engine_volumes_mounts_json_indexed(Engine *e, const VolumeMountsIndex *ix, const char *container_id,
                                           json_t *host)
{
        /* the container's rows: the first of its id (binary search), then the run of them */
        size_t lo = 0, hi = ix ? ix->n : 0;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(ix->refs[mid].container_id, container_id) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        size_t end = lo;
        while (ix && end < ix->n && streq(ix->refs[end].container_id, container_id))
                end++;
        if (end == lo && json_object_size(host) == 0)
                return json_array();    /* most containers: nothing to look at */
        return mounts_of(e, container_id, host, ix ? ix->refs + lo : NULL, end - lo);
}

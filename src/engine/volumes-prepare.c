/* A container's volumes, between its create body and its spec: dockerd's registerMountPoints,
 * createContainerVolumesOS and populateVolumes. Every volume the body names (Binds "name:/dst",
 * Binds "/dst", Mounts of type volume, Config.Volumes and the image's VOLUMEs not otherwise
 * mounted) is resolved to a volume row (created when missing), its use is recorded in
 * container_volumes, and the body handed to container-spec has binds and tmpfs mounts in their
 * place. Anonymous volumes are found again by destination at every start.
 * What stays true: the body stored with the container is never changed; the volumes and rows a
 * failed prepare created in its transaction are rolled back with it. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container-spec-mounts.h"
#include "engine-events.h"
#include "fs-safe.h"
#include "image-db.h"
#include "json-util.h"
#include "util.h"
#include "volumes-internal.h"

typedef enum PlanSource {
        FROM_BINDS,     /* HostConfig.Binds[idx] */
        FROM_MOUNTS,    /* HostConfig.Mounts[idx] */
        FROM_VOLUMES,   /* Config.Volumes or the image's */
        FROM_VOLUMES_FROM,   /* a volume of HostConfig.VolumesFrom (volumes-from.json) */
} PlanSource;

typedef struct Planned {
        PlanSource from;
        size_t idx;
        char *name;              /* NULL: anonymous */
        char *destination;       /* cleaned */
        char *mode;              /* Binds mode without "nocopy" */
        bool read_only, copy;
        bool anonymous;          /* recorded as such in container_volumes */
        json_t *options, *labels;   /* from VolumeOptions (borrowed) */
        Volume *vol;
        bool first_use;
} Planned;

typedef struct Plan {
        Planned *p;
        size_t n;
        char **dests;            /* every destination the body mounts something on */
        char **binds;            /* binds of VolumesFrom, added as they are */
} Plan;

static void plan_done(Plan *pl)
{
        for (size_t i = 0; i < pl->n; i++) {
                free(pl->p[i].name);
                free(pl->p[i].destination);
                free(pl->p[i].mode);
                vol_free(pl->p[i].vol);
        }
        free(pl->p);
        strv_free(pl->dests);
        strv_free(pl->binds);
        *pl = (Plan) {};
}

static Planned *plan_add(Plan *pl, PlanSource from, size_t idx, const char *name, const char *dest)
{
        pl->p = xreallocarray(pl->p, pl->n + 1, sizeof(*pl->p));
        Planned *p = &pl->p[pl->n++];
        *p = (Planned) { .from = from, .idx = idx, .name = name && *name ? xstrdup(name) : NULL,
                         .destination = cspec_path_clean(dest), .copy = true,
                         .anonymous = !name || !*name };
        return p;
}

static void add_dest(Plan *pl, const char *dest)
{
        _cleanup_free_ char *clean = cspec_path_clean(dest);
        pl->dests = strv_append(pl->dests, clean);
}

static bool has_dest(Plan *pl, const char *dest)
{
        for (char **d = pl->dests; d && *d; d++)
                if (streq(*d, dest))
                        return true;
        return false;
}

/* ---- HostConfig.Binds: moby's ParseMountRaw ---- */

/* linuxValidMountMode: each kind (rw/ro, z/Z, propagation, nocopy, consistency) at most once. */
bool vol_mode_valid(const char *mode)
{
        static const char *const kinds[][7] = {
                { "rw", "ro" }, { "z", "Z" },
                { "private", "rprivate", "slave", "rslave", "shared", "rshared" },
                { "nocopy" }, { "consistent", "cached", "delegated" },
        };
        int count[ELEMENTSOF(kinds)] = {};
        _cleanup_free_ char *m = xstrdup(mode);
        for (char *o = m, *next; *mode && o; o = next) {
                next = strchr(o, ',');
                if (next)
                        *next++ = '\0';
                size_t k = 0;
                for (bool hit = false; k < ELEMENTSOF(kinds) && !hit; k += !hit)
                        for (size_t j = 0; kinds[k][j]; j++)
                                hit |= streq(o, kinds[k][j]);
                if (k == ELEMENTSOF(kinds) || ++count[k] > 1)
                        return false;
        }
        return true;
}

bool vol_mode_has(const char *mode, const char *opt)
{
        size_t n = strlen(opt);
        for (const char *p = mode; (p = strstr(p, opt)); p += n)
                if ((p == mode || p[-1] == ',') && (p[n] == ',' || !p[n]))
                        return true;
        return false;
}

static char *mode_without(const char *mode, const char *opt)
{
        char *out = xstrdup("");
        _cleanup_free_ char *m = xstrdup(mode);
        for (char *o = m, *next; o; o = next) {
                next = strchr(o, ',');
                if (next)
                        *next++ = '\0';
                if (*o && !streq(o, opt)) {
                        char *t = xasprintf("%s%s%s", out, *out ? "," : "", o);
                        free(out);
                        out = t;
                }
        }
        return out;
}

/* "src:dst[:mode]" or "dst": false when the spec code should see it as it is (a bind, or text
 * it refuses with Docker's words). */
static bool split_volume_bind(const char *raw, char **ret_src, char **ret_dst, char **ret_mode)
{
        char *f[4] = {};
        size_t n = 0;
        _cleanup_free_ char *copy = xstrdup(raw);
        for (char *p = copy; p && n < 4; n++) {
                char *c = n < 3 ? strchr(p, ':') : NULL;
                if (c)
                        *c = '\0';
                f[n] = p;
                p = c ? c + 1 : NULL;
        }
        const char *mode = n == 3 ? f[2] : "";
        if (!*f[0] || n == 4 || (n == 2 && vol_mode_valid(f[1])) || !vol_mode_valid(mode))
                return false;
        if (n > 1 && f[0][0] == '/')
                return false;
        *ret_src = xstrdup(n == 1 ? "" : f[0]);
        *ret_dst = xstrdup(n == 1 ? f[0] : f[1]);
        *ret_mode = xstrdup(mode);
        return true;
}

static int plan_binds(json_t *host, Plan *pl, LadeError **err)
{
        _cleanup_strv_free_ char **binds = NULL;
        int r = cspec_strv(host, "HostConfig", "Binds", &binds, err);
        for (size_t i = 0; r >= 0 && binds && binds[i]; i++) {
                _cleanup_free_ char *src = NULL, *dst = NULL, *mode = NULL;
                const char *colon = strchr(binds[i], ':'), *end = colon ? strchr(colon + 1, ':') : NULL;
                _cleanup_free_ char *d = colon ? xstrndup(colon + 1, end ? (size_t) (end - colon - 1)
                                                                          : strlen(colon + 1))
                                               : xstrdup(binds[i]);
                add_dest(pl, d);
                if (!split_volume_bind(binds[i], &src, &dst, &mode))
                        continue;
                r = cspec_check_mount_target("volume", dst, err);
                if (r < 0)
                        return lade_error_wrap(err, "invalid volume specification: '%s'", binds[i]);
                Planned *p = plan_add(pl, FROM_BINDS, i, src, dst);
                p->mode = mode_without(mode, "nocopy");
                p->read_only = vol_mode_has(mode, "ro");
                p->copy = !vol_mode_has(mode, "nocopy");
        }
        return r;
}

/* ---- HostConfig.Mounts of type volume ---- */

static int read_volume_options(json_t *o, const char *where, Planned *p, LadeError **err)
{
        json_t *vo = NULL, *dc = NULL;
        const char *driver = NULL, *subpath = NULL;
        bool nocopy = false;
        _cleanup_free_ char *w = xasprintf("%s.VolumeOptions", where);
        int r = cspec_object(o, where, "VolumeOptions", &vo, err);
        if (r >= 0)
                r = cspec_bool(vo, w, "NoCopy", &nocopy, err);
        if (r >= 0)
                r = cspec_object(vo, w, "Labels", &p->labels, err);
        if (r >= 0)
                r = cspec_string(vo, w, "Subpath", &subpath, err);
        if (r >= 0)
                r = cspec_object(vo, w, "DriverConfig", &dc, err);
        if (r >= 0)
                r = cspec_string(dc, w, "Name", &driver, err);
        if (r >= 0)
                r = cspec_object(dc, w, "Options", &p->options, err);
        if (r < 0)
                return r;
        if (subpath && *subpath)
                return lade_error_msg(err, ENOTSUP, "volume subpaths are not supported yet");
        if (driver && *driver && !streq(driver, "local"))
                return lade_error_msg(err, ENOENT, "error looking up volume plugin %s: plugin \"%s\" not found",
                                      driver, driver);
        p->copy = !nocopy;
        return 0;
}

static int plan_mount(json_t *o, size_t i, Plan *pl, LadeError **err)
{
        char where[64];
        snprintf(where, sizeof(where), "HostConfig.Mounts[%zu]", i);
        const char *type = NULL, *source = NULL, *target = NULL;
        bool ro = false;
        int r = json_is_object(o) ? cspec_string(o, where, "Type", &type, err) : 0;
        if (r >= 0 && json_is_object(o))
                r = cspec_string(o, where, "Target", &target, err);
        if (r < 0 || !streq(type, "volume")) {
                if (r >= 0 && target)
                        add_dest(pl, target);
                return r;   /* the spec code checks and converts the others */
        }
        r = cspec_string(o, where, "Source", &source, err);
        if (r >= 0)
                r = cspec_bool(o, where, "ReadOnly", &ro, err);
        if (r >= 0 && (cspec_member(o, "BindOptions") || cspec_member(o, "TmpfsOptions")))
                r = lade_error_msg(err, EINVAL, "%s must not be specified on mount type \"volume\"",
                                   cspec_member(o, "BindOptions") ? "BindOptions" : "TmpfsOptions");
        if (r >= 0)
                r = cspec_check_mount_target("volume", target, err);
        if (r < 0)
                return r;
        Planned *p = plan_add(pl, FROM_MOUNTS, i, source, target);
        p->read_only = ro;
        add_dest(pl, target);
        return read_volume_options(o, where, p, err);
}

static int plan_mounts(json_t *host, Plan *pl, LadeError **err)
{
        json_t *mounts, *o;
        size_t i;
        int r = cspec_array(host, "HostConfig", "Mounts", &mounts, err);
        json_array_foreach(mounts, i, o)
                if (r >= 0)
                        r = plan_mount(o, i, pl, err);
        return r;
}

/* ---- Config.Volumes and the image's VOLUMEs ---- */

static int plan_anonymous(Plan *pl, json_t *host, const char *dest, int rootfs_fd, const char *rootfs,
                          LadeError **err)
{
        json_t *tmpfs = cspec_member(host, "Tmpfs");
        _cleanup_free_ char *clean = cspec_path_clean(dest);
        const char *k;
        json_t *v;
        json_object_foreach(tmpfs, k, v) {
                _cleanup_free_ char *t = cspec_path_clean(k);
                if (streq(t, clean))
                        return 0;
        }
        if (has_dest(pl, clean))
                return 0;
        int r = cspec_check_mount_target("volume", dest, err);
        if (r < 0)
                return r;
        /* createContainerVolumesOS: a volume cannot hide a file */
        _cleanup_close_ int fd = fs_open_in_root(rootfs_fd, clean, O_PATH | O_NOFOLLOW, 0, NULL);
        struct stat st;
        if (fd >= 0 && fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode))
                return lade_error_msg(err, EEXIST, "cannot mount volume over existing file, file exists %s%s",
                                      rootfs, clean);
        plan_add(pl, FROM_VOLUMES, 0, NULL, clean);
        add_dest(pl, clean);
        return 0;
}

static int plan_volumes(json_t *create, json_t *host, const ImageConfig *image, const char *rootfs, Plan *pl,
                        LadeError **err)
{
        json_t *vols = NULL;
        int r = cspec_object(create, "", "Volumes", &vols, err);
        if (r < 0 || (!json_object_size(vols) && !strv_length(image ? image->volumes : NULL)))
                return r;
        _cleanup_close_ int rootfs_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfs_fd < 0)
                return lade_error(err, errno, "open the container's rootfs");
        for (char **d = image ? image->volumes : NULL; r >= 0 && d && *d; d++)
                r = plan_anonymous(pl, host, *d, rootfs_fd, rootfs, err);
        const char *k;
        json_t *v;
        json_object_foreach(vols, k, v)
                if (r >= 0)
                        r = plan_anonymous(pl, host, k, rootfs_fd, rootfs, err);
        return r;
}

/* ---- HostConfig.VolumesFrom, as resolved at create ---- */

bool vol_tmpfs_at(json_t *host, const char *dest)
{
        const char *k;
        json_t *v;
        json_object_foreach(cspec_member(host, "Tmpfs"), k, v) {
                _cleanup_free_ char *t = cspec_path_clean(k);
                if (streq(t, dest))
                        return true;
        }
        return false;
}

/* The container's own binds, mounts and tmpfs win over the sources' (registerMountPoints). */
static void plan_one_from(json_t *host, json_t *m, Plan *pl)
{
        const char *type = json_string_value(json_object_get(m, "Type"));
        const char *dest = json_string_value(json_object_get(m, "Destination"));
        const char *src = json_string_value(json_object_get(m, "Source"));
        const char *prop = json_string_value(json_object_get(m, "Propagation"));
        bool rw = !json_is_false(json_object_get(m, "RW"));
        if (!type || !dest || *dest != '/' || has_dest(pl, dest) || vol_tmpfs_at(host, dest))
                return;
        if (streq(type, "volume")) {
                const char *name = json_string_value(json_object_get(m, "Name"));
                if (!name || !*name)
                        return;
                Planned *p = plan_add(pl, FROM_VOLUMES_FROM, 0, name, dest);
                p->read_only = !rw;
                p->copy = false;
                p->anonymous = json_is_true(json_object_get(m, "Anonymous"));
        } else if (streq(type, "bind") && src && *src == '/') {
                char *b = xasprintf("%s:%s:%s%s%s", src, dest, rw ? "rw" : "ro", prop && *prop ? "," : "",
                                    prop ? prop : "");
                pl->binds = strv_append(pl->binds, b);
                free(b);
        } else
                return;
        add_dest(pl, dest);
}

static void plan_volumes_from(Engine *e, const char *cid, json_t *create, Plan *pl)
{
        _cleanup_json_ json_t *from = engine_volumes_from_load(e, cid, create);
        json_t *host = cspec_member(create, "HostConfig"), *m;
        size_t i;
        json_array_foreach(from, i, m)
                plan_one_from(host, m, pl);
}

static int plan_build(Engine *e, const char *cid, json_t *create, const ImageConfig *image, const char *rootfs,
                      Plan *pl, LadeError **err)
{
        json_t *host = cspec_member(create, "HostConfig");
        int r = plan_binds(host, pl, err);
        if (r >= 0)
                r = plan_mounts(host, pl, err);
        if (r >= 0)
                plan_volumes_from(e, cid, create, pl);
        if (r >= 0)
                r = plan_volumes(create, host, image, rootfs, pl, err);
        return r;
}

/* ---- resolving volumes (one transaction) ---- */

static const VolumeRef *ref_for(const VolumeRef *refs, size_t n, const char *dest)
{
        for (size_t i = 0; i < n; i++)
                if (streq(refs[i].destination, dest))
                        return &refs[i];
        return NULL;
}

static int resolve_one(Engine *e, sqlite3 *db, const char *cid, Planned *p, const VolumeRef *old,
                       char ***created, LadeError **err)
{
        _cleanup_(vol_freep) Volume *want = NULL;
        bool made = false;
        /* a source's volume is used as it is: moby's GetWithRef, "no such volume" when gone */
        if (p->from == FROM_VOLUMES_FROM) {
                int r = vol_db_get(db, p->name, &p->vol, err);
                if (r < 0)
                        return r;
        } else if (!p->name && old && old->anonymous && vol_db_get(db, old->volume, &p->vol, NULL) >= 0)
                made = false;
        else {
                int r = vol_new(p->name, NULL, p->options, p->labels, &want, err);
                if (r >= 0)
                        r = vol_get_or_create(e, db, want, &p->vol, &made, err);
                if (r < 0)
                        return r;
        }
        if (made)
                *created = strv_append(*created, p->vol->name);
        p->first_use = !old || !streq(old->volume, p->vol->name);
        VolumeRef ref = { .container_id = (char *) cid, .volume = p->vol->name,
                          .destination = p->destination, .anonymous = p->anonymous };
        return vol_db_ref_put(db, &ref, err);
}

static int resolve_all(Engine *e, const char *cid, Plan *pl, LadeError **err)
{
        _cleanup_(image_db_closep) sqlite3 *db = NULL;
        _cleanup_strv_free_ char **created = NULL;
        VolumeRef *refs = NULL;
        size_t n = 0;
        int r = vol_db_open(e, true, &db, err);
        if (r < 0)
                return r;
        r = image_db_begin(db, err);
        if (r < 0)
                return r;
        r = vol_db_refs(db, cid, NULL, &refs, &n, err);
        for (size_t i = 0; r >= 0 && i < pl->n; i++)
                r = resolve_one(e, db, cid, &pl->p[i], ref_for(refs, n, pl->p[i].destination), &created, err);
        vol_refs_free(refs, n);
        if (r >= 0)
                r = image_db_commit(db, err);
        if (r < 0) {
                image_db_rollback(db);
                for (char **c = created; c && *c; c++)
                        vol_trash_dir(e, *c);
                vol_purge_trash(e);
        }
        /* dockerd's "create" of the volumes a container makes (anonymous, or named on first use) */
        for (char **c = created; r >= 0 && c && *c; c++)
                engine_volume_event(e, *c, "create", NULL);
        return r;
}

/* ---- populating ---- */

/* Where a volume's files are on the host: its device for a bind volume, else _data (NULL for
 * tmpfs, which exists only in the container). */
static char *host_path(Engine *e, const Volume *v)
{
        const char *type = vol_option(v, "type");
        if (streq(type, "tmpfs"))
                return NULL;
        if (streq(type, "none"))
                return xstrdup(vol_option(v, "device"));
        return vol_data_path(e, v->name);
}

/* A bind volume's device must exist when a container uses it (dockerd's mount would fail). */
static int check_device(Engine *e, const Volume *v, LadeError **err)
{
        const char *device = vol_option(v, "device");
        struct stat st;
        if (!streq(vol_option(v, "type"), "none") || stat(device, &st) == 0)
                return 0;
        _cleanup_free_ char *data = vol_data_path(e, v->name);
        return lade_error(err, errno, "error while mounting volume '%s': failed to mount local volume: "
                          "mount %s:%s, flags: 0x1000", data, device, data);
}

static int populate(Engine *e, Planned *p, int rootfs_fd, LadeError **err)
{
        _cleanup_free_ char *dst = host_path(e, p->vol);
        int r = check_device(e, p->vol, err);
        if (r < 0 || !dst || !p->copy || !p->first_use)
                return r;
        _cleanup_close_ int fd = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return lade_error(err, errno, "open volume %s at '%s'", p->vol->name, dst);
        /* two containers made at once with one new volume: one copies, the other finds it full */
        if (flock(fd, LOCK_EX) < 0)
                return lade_error(err, errno, "lock volume %s", p->vol->name);
        r = vol_populate(rootfs_fd, p->destination, fd, err);
        (void) flock(fd, LOCK_UN);
        return r < 0 ? lade_error_wrap(err, "failed to populate volume") : 0;
}

static int populate_all(Engine *e, Plan *pl, const char *rootfs, LadeError **err)
{
        _cleanup_close_ int rootfs_fd = -EBADF;
        for (size_t i = 0; i < pl->n; i++) {
                if (!pl->p[i].first_use || !pl->p[i].copy) {
                        int r = check_device(e, pl->p[i].vol, err);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (rootfs_fd < 0 && (rootfs_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
                        return lade_error(err, errno, "open the container's rootfs");
                int r = populate(e, &pl->p[i], rootfs_fd, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- the body for container-spec ---- */

/* obj[key] where key matches case-insensitively (Go's decoding), else key itself. */
static const char *member_key(json_t *obj, const char *key)
{
        const char *k;
        json_t *v;
        if (json_object_get(obj, key))
                return key;
        json_object_foreach(obj, k, v)
                if (strcasecmp(k, key) == 0)
                        return k;
        return key;
}

/* What stands for a planned volume: a tmpfs data string, or a bind of *ret_source with mode
 * *ret_mode ("ro" added when the volume or its options say so). */
typedef struct Replacement {
        char *tmpfs, *source, *mode;
        bool read_only;
} Replacement;

static void replacement_done(Replacement *x)
{
        free(x->tmpfs);
        free(x->source);
        free(x->mode);
}

static int replacement(Engine *e, const Planned *p, Replacement *x, LadeError **err)
{
        const char *type = vol_option(p->vol, "type"), *o = vol_option(p->vol, "o");
        x->read_only = p->read_only || (o && vol_mode_has(o, "ro"));
        if (streq(type, "tmpfs")) {
                _cleanup_free_ char *data = mode_without(o ? o : "", "ro");
                x->tmpfs = xasprintf("exec,suid,dev%s%s%s", *data ? "," : "", data, x->read_only ? ",ro" : "");
                return 0;
        }
        x->source = streq(type, "none") ? xstrdup(vol_option(p->vol, "device")) : vol_data_path(e, p->vol->name);
        _cleanup_free_ char *m = mode_without(p->mode ? p->mode : "", "rw");
        _cleanup_free_ char *m2 = mode_without(m, "ro");
        x->mode = x->read_only ? xasprintf("%s%sro", m2, *m2 ? "," : "")
                               : xstrdup(p->mode ? p->mode : "");
        return 0;
}

static json_t *replacement_json(const Planned *p, const Replacement *x)
{
        if (x->tmpfs)
                return json_null();
        if (p->from == FROM_MOUNTS)
                return json_pack("{s:s,s:s,s:s,s:b}", "Type", "bind", "Source", x->source, "Target",
                                 p->destination, "ReadOnly", x->read_only);
        return json_sprintf("%s:%s%s%s", x->source, p->destination, *x->mode ? ":" : "", x->mode);
}

static json_t *ensure_object(json_t *host, const char *key)
{
        const char *k = member_key(host, key);
        json_t *o = json_object_get(host, k);
        if (!json_is_object(o)) {
                o = json_object();
                json_object_set_new(host, k, o);
        }
        return o;
}

static json_t *ensure_array(json_t *host, const char *key)
{
        const char *k = member_key(host, key);
        json_t *a = json_object_get(host, k);
        if (!json_is_array(a)) {
                a = json_array();
                json_object_set_new(host, k, a);
        }
        return a;
}

/* Binds and Mounts entries that became tmpfs are dropped (JSON null, then compacted). */
static void compact(json_t *a)
{
        for (size_t i = json_array_size(a); i-- > 0;)
                if (json_is_null(json_array_get(a, i)))
                        json_array_remove(a, i);
}

static int rewrite(Engine *e, Plan *pl, json_t *create, LadeError **err)
{
        json_t *host = ensure_object(create, "HostConfig");
        json_t *binds = ensure_array(host, "Binds"), *mounts = cspec_member(host, "Mounts");
        _cleanup_json_ json_t *added = json_array();
        for (size_t i = 0; i < pl->n; i++) {
                Planned *p = &pl->p[i];
                Replacement x = {};
                int r = replacement(e, p, &x, err);
                if (r >= 0 && x.tmpfs)
                        json_object_set_new(ensure_object(host, "Tmpfs"), p->destination, json_string(x.tmpfs));
                json_t *v = r >= 0 ? replacement_json(p, &x) : NULL;
                replacement_done(&x);
                if (r < 0)
                        return r;
                if (p->from == FROM_BINDS)
                        json_array_set_new(binds, p->idx, v);
                else if (p->from == FROM_MOUNTS)
                        json_array_set_new(mounts, p->idx, v);
                else if (!json_is_null(v))
                        json_array_append_new(added, v);
                else
                        json_decref(v);
        }
        json_array_extend(binds, added);
        for (char **b = pl->binds; b && *b; b++)
                json_array_append_new(binds, json_string(*b));
        compact(binds);
        compact(mounts);
        return 0;
}

int engine_volumes_prepare(Engine *e, const char *container_id, json_t *create, const ImageConfig *image,
                           const char *rootfs, json_t **ret_create, LadeError **err)
{
        _cleanup_(plan_done) Plan pl = {};
        int r = plan_build(e, container_id, create, image, rootfs, &pl, err);
        if (r < 0)
                return r;
        if (pl.n == 0 && !pl.binds) {
                *ret_create = json_incref(create);
                return 0;
        }
        _cleanup_json_ json_t *out = json_deep_copy(create);
        r = resolve_all(e, container_id, &pl, err);
        if (r >= 0)
                r = populate_all(e, &pl, rootfs, err);
        if (r >= 0)
                r = rewrite(e, &pl, out, err);
        if (r < 0)
                return r;
        *ret_create = TAKE_PTR(out);
        return 0;
}

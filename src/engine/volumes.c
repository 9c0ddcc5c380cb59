/* Volumes: Docker's local driver (create, inspect, ls, rm, prune, disk usage), its name and
 * option rules with Docker's messages, and the volume object of the API.
 * What stays true: a volume is created and removed inside one write transaction of lade.db, and
 * removed only when no container_volumes row names it (every container, running or not). */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image-db.h"
#include "json-util.h"
#include "util.h"
#include "engine-events.h"
#include "volumes-internal.h"

/* ---- names and options ---- */

static bool name_char(char c, bool first)
{
        return isalnum((unsigned char) c) || (!first && (c == '_' || c == '.' || c == '-'));
}

int volume_check_name(const char *name, LadeError **err)
{
        if (!name || strlen(name) == 1)
                return lade_error_msg(err, EINVAL, "volume name is too short, names should be at least two "
                                      "alphanumeric characters");
        bool ok = true;
        for (const char *c = name; *c && ok; c++)
                ok = name_char(*c, c == name);
        if (!ok)
                return lade_error_msg(err, EINVAL, "\"%s\" includes invalid characters for a local volume name, "
                                      "only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass "
                                      "a host directory, use absolute path", name);
        if (strlen(name) > VOLUME_NAME_MAX)
                return lade_error_msg(err, EINVAL, "volume name is too long (at most %d characters)",
                                      VOLUME_NAME_MAX);
        return 0;
}

/* go-units RAMInBytes: "100m", "1.5GiB", "512" (binary multipliers). */
static int parse_ram_size(const char *s, int64_t *ret)
{
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (end == s || errno || v < 0 || !isdigit((unsigned char) *s))
                return -EINVAL;
        if (*end == ' ')
                end++;
        static const char units[] = "kmgtp";
        double mul = 1;
        const char *u = *end ? strchr(units, tolower((unsigned char) *end)) : NULL;
        if (u) {
                for (const char *p = units; p <= u; p++)
                        mul *= 1024;
                end++;
        }
        if (*end == 'i' || *end == 'I')
                end++;
        if (*end == 'b' || *end == 'B')
                end++;
        if (*end || v * mul > 9.2e18)
                return -EINVAL;
        *ret = (int64_t) (v * mul);
        return 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The object's keys, sorted (Go iterates maps randomly; sorted gives the same error each run). */
static char **sorted_keys(json_t *o)
{
        char **keys = NULL;
        const char *k;
        json_t *v;
        json_object_foreach(o, k, v)
                keys = strv_append(keys, k);
        if (keys)
                qsort(keys, strv_length(keys), sizeof(char *), cmp_str);
        return keys;
}

static bool in_list(const char *s, const char *const *list)
{
        for (; *list; list++)
                if (streq(s, *list))
                        return true;
        return false;
}

/* The options of `mount -t tmpfs` the spec can carry (its flags and tmpfs's data keys). */
static bool tmpfs_option_valid(const char *o)
{
        static const char *const flags[] = { "ro", "rw", "suid", "nosuid", "dev", "nodev", "exec", "noexec",
                                             "sync", "async", "dirsync", "mand", "nomand", "atime", "noatime",
                                             "diratime", "nodiratime", "relatime", "norelatime", "strictatime",
                                             "nostrictatime", "defaults", NULL };
        static const char *const keys[] = { "size", "mode", "uid", "gid", "nr_inodes", "nr_blocks", "mpol", NULL };
        const char *eq = strchr(o, '=');
        if (!eq)
                return in_list(o, flags);
        _cleanup_free_ char *k = xstrndup(o, (size_t) (eq - o));
        return in_list(k, keys) && eq[1];
}

static int check_mount_o(const char *type, const char *o, const char *device, LadeError **err)
{
        static const char *const bind_opts[] = { "bind", "rbind", "ro", "rw", NULL };
        _cleanup_free_ char *copy = xstrdup(o ? o : "");
        bool bind = false;
        for (char *p = copy, *next; p; p = next) {
                next = strchr(p, ',');
                if (next)
                        *next++ = '\0';
                if (!*p)
                        continue;
                bool tmpfs = streq(type, "tmpfs");
                if (tmpfs ? !tmpfs_option_valid(p) : !in_list(p, bind_opts))
                        return lade_error_msg(err, EINVAL, "invalid option %s for a volume of type %s "
                                              "(o=%s)", p, type, o);
                bind |= streq(p, "bind") || streq(p, "rbind");
        }
        if (streq(type, "none") && !bind)
                return lade_error_msg(err, EINVAL, "a volume of type none needs o=bind (or rbind): "
                                      "lade's local driver mounts tmpfs and binds only");
        if (streq(type, "none") && device[0] != '/')
                return lade_error_msg(err, EINVAL, "invalid device '%s' for o=bind: the path must be "
                                      "absolute", device);
        return 0;
}

/* Docker's validateOpts, then what lade can express in a spec (tmpfs, or a bind of a path). */
int volume_check_options(json_t *options, LadeError **err)
{
        static const char *const valid[] = { "type", "o", "device", "size", NULL };
        static const char *const required[][3] = {
                { "device", "type" }, { "type", "device" }, { "o", "device", "type" },
        };
        if (json_object_size(options) > VOLUME_MAX_OPTIONS)
                return lade_error_msg(err, EINVAL, "too many options (at most %d)", VOLUME_MAX_OPTIONS);
        _cleanup_strv_free_ char **keys = sorted_keys(options);
        for (char **k = keys; k && *k; k++) {
                json_t *v = json_object_get(options, *k);
                if (!in_list(*k, valid))
                        return lade_error_msg(err, EINVAL, "invalid option: \"%s\"", *k);
                if (!json_is_string(v) || strlen(json_string_value(v)) > VOLUME_OPTION_MAX)
                        return lade_error_msg(err, EINVAL, "invalid value of option \"%s\"", *k);
        }
        const char *size = json_string_value(json_object_get(options, "size"));
        int64_t bytes = 0;
        if (size && parse_ram_size(size, &bytes) < 0)
                return lade_error_msg(err, EINVAL, "invalid size: '%s'", size);
        if (bytes > 0)
                return lade_error_msg(err, EINVAL, "quota size requested but no quota support");
        for (size_t i = 0; i < ELEMENTSOF(required); i++)
                for (size_t j = 1; j < 3 && required[i][j] && json_object_get(options, required[i][0]); j++)
                        if (!json_object_get(options, required[i][j]))
                                return lade_error_msg(err, EINVAL, "missing required option: \"%s\"",
                                                      required[i][j]);
        const char *type = json_string_value(json_object_get(options, "type"));
        if (!type)
                return 0;
        if (!streq(type, "tmpfs") && !streq(type, "none"))
                return lade_error_msg(err, ENOTSUP, "volume type \"%s\" is not supported: lade's local "
                                      "driver mounts type=tmpfs and type=none (o=bind) volumes only", type);
        return check_mount_o(type, json_string_value(json_object_get(options, "o")),
                             json_string_value(json_object_get(options, "device")), err);
}

static int check_labels(json_t *labels, LadeError **err)
{
        const char *k;
        json_t *v;
        if (json_object_size(labels) > VOLUME_MAX_OPTIONS * 4)
                return lade_error_msg(err, EINVAL, "too many labels");
        json_object_foreach(labels, k, v)
                if (!*k || !json_is_string(v))
                        return lade_error_msg(err, EINVAL, "invalid label '%s'", k);
        return 0;
}

static char *random_name(void)
{
        uint8_t b[32];
        char out[65];
        if (getrandom(b, sizeof(b), 0) != sizeof(b))
                for (size_t i = 0; i < sizeof(b); i++)
                        b[i] = (uint8_t) (now_ns() >> (i % 8 * 8)) ^ (uint8_t) (i * 131);
        for (size_t i = 0; i < sizeof(b); i++)
                snprintf(out + 2 * i, 3, "%02x", b[i]);
        return xstrdup(out);
}

int vol_new(const char *name, const char *driver, json_t *options, json_t *labels, Volume **ret,
            LadeError **err)
{
        bool anonymous = !name || !*name;
        _cleanup_free_ char *n = anonymous ? random_name() : xstrdup(name);
        int r = volume_check_name(n, err);
        if (r >= 0 && driver && *driver && !streq(driver, "local"))
                r = lade_error_msg(err, ENOENT, "error looking up volume plugin %s: plugin \"%s\" not found",
                                   driver, driver);
        if (r >= 0 && options && !json_is_object(options))
                r = lade_error_msg(err, EINVAL, "volume options must be an object");
        if (r >= 0 && labels && !json_is_object(labels))
                r = lade_error_msg(err, EINVAL, "volume labels must be an object");
        if (r >= 0)
                r = volume_check_options(options, err);
        if (r >= 0)
                r = check_labels(labels, err);
        if (r < 0)
                return lade_error_wrap(err, "create %s", n);
        Volume *v = xmalloc0(sizeof(*v));
        v->name = TAKE_PTR(n);
        v->driver = xstrdup("local");
        v->options = options ? json_deep_copy(options) : json_object();
        v->labels = labels ? json_deep_copy(labels) : json_object();
        if (anonymous)
                json_object_set_new(v->labels, VOLUME_ANONYMOUS_LABEL, json_string(""));
        v->anonymous = json_object_get(v->labels, VOLUME_ANONYMOUS_LABEL) != NULL;
        v->created = (int64_t) time(NULL);
        *ret = v;
        return 0;
}

int vol_get_or_create(Engine *e, sqlite3 *db, const Volume *want, Volume **ret, bool *ret_created,
                      LadeError **err)
{
        Volume *v = NULL;
        int r = vol_db_get(db, want->name, &v, NULL);
        if (r >= 0) {
                *ret = v;
                *ret_created = false;
                return 0;
        }
        if (r != -ENOENT)
                return vol_db_get(db, want->name, &v, err);
        r = vol_make_dirs(e, want->name, err);
        if (r >= 0)
                r = vol_db_insert(db, want, err);
        if (r < 0) {
                _cleanup_free_ char *dir = vol_dir(e, want->name);
                (void) rm_rf_at(AT_FDCWD, dir);
                return lade_error_wrap(err, "create %s", want->name);
        }
        r = vol_db_get(db, want->name, ret, err);
        if (r >= 0)
                *ret_created = true;
        return r;
}

const char *vol_option(const Volume *v, const char *key)
{
        return json_string_value(json_object_get(v->options, key));
}

/* ---- the API object ---- */

/* Go's time.Format(time.RFC3339) of the local time: "2026-11-29T12:51:06Z" or "...+01:00". */
static json_t *rfc3339_local(int64_t t)
{
        time_t s = (time_t) t;
        struct tm tm;
        localtime_r(&s, &tm);
        char buf[64], zone[48] = "Z";
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
        long off = tm.tm_gmtoff;
        if (off != 0)
                snprintf(zone, sizeof(zone), "%c%02ld:%02ld", off < 0 ? '-' : '+', labs(off) / 3600,
                         labs(off) % 3600 / 60);
        return json_sprintf("%s%s", buf, zone);
}

/* A Go map: null when empty, keys in sorted order as encoding/json writes them. */
static json_t *map_or_null(json_t *o)
{
        if (!json_object_size(o))
                return json_null();
        json_t *out = json_object();
        _cleanup_strv_free_ char **keys = sorted_keys(o);
        for (char **k = keys; k && *k; k++)
                json_object_set(out, *k, json_object_get(o, *k));
        return out;
}

json_t *vol_to_json(Engine *e, const Volume *v)
{
        _cleanup_free_ char *mp = vol_data_path(e, v->name);
        return json_pack("{s:o,s:s,s:o,s:s,s:s,s:o,s:s}", "CreatedAt", rfc3339_local(v->created), "Driver",
                         v->driver, "Labels", map_or_null(v->labels), "Mountpoint", mp, "Name", v->name,
                         "Options", map_or_null(v->options), "Scope", "local");
}

/* ---- create, inspect, ls ---- */

int engine_volume_create(Engine *e, const char *name, const char *driver, json_t *options,
                         json_t *labels, json_t **ret, LadeError **err)
{
        _cleanup_(vol_freep) Volume *want = NULL, *v = NULL;
        _cleanup_(image_db_closep) sqlite3 *db = NULL;
        bool created = false;
        int r = vol_new(name, driver, options, labels, &want, err);
        if (r >= 0)
                r = vol_db_open(e, true, &db, err);
        if (r >= 0)
                r = image_db_begin(db, err);
        if (r < 0)
                return r;
        r = vol_get_or_create(e, db, want, &v, &created, err);
        if (r >= 0)
                r = image_db_commit(db, err);
        if (r < 0) {
                image_db_rollback(db);
                if (created)
                        vol_trash_dir(e, want->name);
                return r;
        }
        if (created)
                engine_volume_event(e, v->name, "create", NULL);
        if (ret)
                *ret = vol_to_json(e, v);
        return 0;
}

/* Opens the database for reading volumes: a database without the tables has no volumes. */
static int open_existing(Engine *e, const char *name, sqlite3 **ret, LadeError **err)
{
        int r = vol_db_open(e, false, ret, err);
        if (r == -ENOENT && name)
                return lade_error_msg(err, ENOENT, "get %s: no such volume", name);
        return r;
}

int engine_volume_inspect(Engine *e, const char *name, json_t **ret, LadeError **err)
{
        _cleanup_(image_db_closep) sqlite3 *db = NULL;
        _cleanup_(vol_freep) Volume *v = NULL;
        int r = open_existing(e, name, &db, err);
        if (r >= 0)
                r = vol_db_get(db, name, &v, err);
        if (r < 0)
                return r;
        *ret = vol_to_json(e, v);
        return 0;
}

/* Go's regexp.MatchString for each value; a value that does not compile matches nothing. */
static bool name_matches(const char *name, char **patterns)
{
        for (char **p = patterns; p && *p; p++) {
                regex_t re;
                if (regcomp(&re, *p, REG_EXTENDED | REG_NOSUB) != 0)
                        continue;
                bool hit = regexec(&re, name, 0, NULL, 0) == 0;
                regfree(&re);
                if (hit)
                        return true;
        }
        return false;
}

/* engine_filters_get() returns a copy */
static bool list_matches(const EngineFilters *f, const Volume *v, json_t *counts, int dangling)
{
        _cleanup_strv_free_ char **drivers = engine_filters_get(f, "driver");
        _cleanup_strv_free_ char **names = engine_filters_get(f, "name");
        _cleanup_strv_free_ char **labels = engine_filters_get(f, "label");
        bool driver_ok = !drivers;
        for (char **d = drivers; d && *d; d++)
                driver_ok |= streq(*d, v->driver);
        if (!driver_ok)
                return false;
        if (names && !name_matches(v->name, names))
                return false;
        if (!engine_labels_match(v->labels, labels, false))
                return false;
        bool used = json_object_get(counts, v->name) != NULL;
        return dangling < 0 || used != (dangling == 1);
}

/* All volumes and their use counts; a database that never had a volume has none. */
static int load_all(Engine *e, Volume ***ret, size_t *ret_n, json_t **ret_counts, LadeError **err)
{
        _cleanup_(image_db_closep) sqlite3 *db = NULL;
        int r = open_existing(e, NULL, &db, err);
        if (r == -ENOENT) {
                *ret = NULL;
                *ret_n = 0;
                *ret_counts = json_object();
                return 0;
        }
        if (r >= 0)
                r = vol_db_ref_counts(db, ret_counts, err);
        if (r >= 0) {
                r = vol_db_list(db, ret, ret_n, err);
                if (r < 0)
                        *ret_counts = json_decref_null(*ret_counts);
        }
        return r;
}

int engine_volume_list(Engine *e, const EngineFilters *f, json_t **ret, LadeError **err)
{
        static const char *const known[] = { "dangling", "name", "driver", "label", NULL };
        _cleanup_(engine_filters_freep) EngineFilters *none = f ? NULL : engine_filters_new();
        f = f ? f : none;
        bool dangling = false;
        int r = engine_filters_validate(f, known, err);
        if (r >= 0 && engine_filters_has(f, "dangling"))
                r = engine_filters_get_bool(f, "dangling", false, &dangling, err);
        Volume **l = NULL;
        size_t n = 0;
        _cleanup_json_ json_t *counts = NULL;
        if (r >= 0)
                r = load_all(e, &l, &n, &counts, err);
        if (r < 0)
                return r;
        json_t *out = json_array();
        int want = engine_filters_has(f, "dangling") ? dangling : -1;
        for (size_t i = 0; i < n; i++)
                if (list_matches(f, l[i], counts, want))
                        json_array_append_new(out, vol_to_json(e, l[i]));
        vol_list_free(l, n);
        *ret = out;
        return 0;
}

/* ---- rm, prune ---- */

static int in_use_error(const char *name, VolumeRef *refs, size_t n, LadeError **err)
{
        _cleanup_free_ char *ids = xstrdup("");
        for (size_t i = 0; i < n; i++) {
                if (i > 0 && streq(refs[i].container_id, refs[i - 1].container_id))
                        continue;
                char *t = xasprintf("%s%s%s", ids, *ids ? ", " : "", refs[i].container_id);
                free(ids);
                ids = t;
        }
        return lade_error_msg(err, EBUSY, "remove %s: volume is in use - [%s]", name, ids);
}

/* In one transaction: refuse a volume in use, else delete its row and move its directory. */
static int remove_one(Engine *e, sqlite3 *db, const char *name, LadeError **err)
{
        VolumeRef *refs = NULL;
        size_t n = 0;
        _cleanup_(vol_freep) Volume *v = NULL;
        int r = image_db_begin(db, err);
        if (r < 0)
                return r;
        r = vol_db_get(db, name, &v, err);
        if (r >= 0)
                r = vol_db_refs(db, NULL, name, &refs, &n, err);
        if (r >= 0 && n > 0)
                r = in_use_error(name, refs, n, err);
        vol_refs_free(refs, n);
        if (r >= 0)
                r = vol_db_delete(db, name, err);
        if (r >= 0) {
                vol_trash_dir(e, name);
                r = image_db_commit(db, err);
        }
        if (r < 0)
                image_db_rollback(db);
        else
                engine_volume_event(e, name, "destroy", NULL);
        return r;
}

int engine_volume_remove(Engine *e, const char *name, bool force, LadeError **err)
{
        _cleanup_(image_db_closep) sqlite3 *db = NULL;
        LadeError *local = NULL;
        int r = open_existing(e, name, &db, &local);
        if (r >= 0)
                r = remove_one(e, db, name, &local);
        vol_purge_trash(e);
        /* -f: a volume that does not exist is not an error (Docker's PurgeOnError) */
        if (r == -ENOENT && force) {
                lade_error_free(local);
                return 0;
        }
        if (r < 0 && err && !*err)
                *err = local;
        else
                lade_error_free(local);
        return r;
}

static bool prune_matches(const EngineFilters *f, const Volume *v, json_t *counts, bool all)
{
        if (json_object_get(counts, v->name) || json_object_size(v->options) > 0)
                return false;
        if (!all && !v->anonymous)
                return false;
        _cleanup_strv_free_ char **labels = engine_filters_get(f, "label");
        _cleanup_strv_free_ char **not_labels = engine_filters_get(f, "label!");
        return engine_labels_match(v->labels, labels, false) && engine_labels_match(v->labels, not_labels, true);
}

static int prune_all_flag(const EngineFilters *f, bool *ret, LadeError **err)
{
        _cleanup_strv_free_ char **all = engine_filters_get(f, "all");
        *ret = false;
        if (strv_length(all) > 1)
                return lade_error_msg(err, EINVAL, "invalid filter 'all=%s': only one value is expected", all[0]);
        return all ? engine_filters_get_bool(f, "all", false, ret, err) : 0;
}

int engine_volume_prune(Engine *e, const EngineFilters *f, json_t **ret_names, uint64_t *ret_reclaimed,
                        LadeError **err)
{
        static const char *const known[] = { "label", "label!", "all", NULL };
        _cleanup_(engine_filters_freep) EngineFilters *none = f ? NULL : engine_filters_new();
        f = f ? f : none;
        bool all;
        int r = engine_filters_validate(f, known, err);
        if (r >= 0)
                r = prune_all_flag(f, &all, err);
        Volume **l = NULL;
        size_t n = 0;
        _cleanup_json_ json_t *counts = NULL;
        if (r >= 0)
                r = load_all(e, &l, &n, &counts, err);
        if (r < 0)
                return r;
        _cleanup_(image_db_closep) sqlite3 *db = NULL;
        json_t *names = json_array();
        uint64_t reclaimed = 0;
        for (size_t i = 0; i < n && (db || vol_db_open(e, false, &db, NULL) >= 0); i++) {
                if (!prune_matches(f, l[i], counts, all))
                        continue;
                _cleanup_free_ char *data = vol_data_path(e, l[i]->name);
                uint64_t size = vol_dir_size(data);
                /* a volume a container took meanwhile stays (the check is redone under the lock) */
                if (remove_one(e, db, l[i]->name, NULL) < 0)
                        continue;
                reclaimed += size;
                json_array_append_new(names, json_string(l[i]->name));
        }
        vol_list_free(l, n);
        vol_purge_trash(e);
        /* dockerd's prune event: no Actor ID, the bytes reclaimed */
        _cleanup_free_ char *rec = xasprintf("%llu", (unsigned long long) reclaimed);
        engine_event_emit(e, "volume", "prune", "", json_pack("{s:s}", "reclaimed", rec));
        *ret_names = names;
        if (ret_reclaimed)
                *ret_reclaimed = reclaimed;
        return 0;
}

int engine_volume_disk_usage(Engine *e, EngineVolumeUsage *ret, LadeError **err)
{
        Volume **l = NULL;
        size_t n = 0;
        _cleanup_json_ json_t *counts = NULL;
        int r = load_all(e, &l, &n, &counts, err);
        if (r < 0)
                return r;
        *ret = (EngineVolumeUsage) { .total = n };
        for (size_t i = 0; i < n; i++) {
                bool used = json_object_get(counts, l[i]->name) != NULL;
                ret->active += used;
                if (json_object_size(l[i]->options) > 0)
                        continue;
                _cleanup_free_ char *data = vol_data_path(e, l[i]->name);
                uint64_t size = vol_dir_size(data);
                ret->size += size;
                if (!used)
                        ret->reclaimable += size;
        }
        vol_list_free(l, n);
        return 0;
}

/* ---- sizes ---- */

typedef struct SizeWalk {
        uint64_t total;
        struct { dev_t dev; ino_t ino; } *seen;
        size_t n_seen;
} SizeWalk;

static bool seen_before(SizeWalk *w, const struct stat *st)
{
        for (size_t i = 0; i < w->n_seen; i++)
                if (w->seen[i].dev == st->st_dev && w->seen[i].ino == st->st_ino)
                        return true;
        w->seen = xreallocarray(w->seen, w->n_seen + 1, sizeof(*w->seen));
        w->seen[w->n_seen].dev = st->st_dev;
        w->seen[w->n_seen++].ino = st->st_ino;
        return false;
}

static void size_walk(SizeWalk *w, int dfd, unsigned depth)
{
        _cleanup_closedir_ DIR *d = fdopendir(dfd);
        if (!d) {
                safe_close(dfd);
                return;
        }
        struct dirent *de;
        while ((de = readdir(d))) {
                struct stat st;
                if (streq(de->d_name, ".") || streq(de->d_name, "..") ||
                    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (S_ISDIR(st.st_mode)) {
                        int fd = depth < 512 ? openat(dirfd(d), de->d_name,
                                                      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
                        if (fd >= 0)
                                size_walk(w, fd, depth + 1);
                } else if (st.st_nlink <= 1 || !seen_before(w, &st))
                        w->total += (uint64_t) st.st_size;
        }
}

uint64_t vol_dir_size(const char *path)
{
        SizeWalk w = { 0 };
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0)
                size_walk(&w, fd, 0);
        free(w.seen);
        return w.total;
}

/* The container's filesystem seen from outside: `commit`, `diff`, `export`, and the archive API
 * (`cp`). Owns no state; works on the container's directory (<root>/containers/<id>/: upper/ and
 * the overlay rootfs/), its image's layer dirs, and for a running container its own root.
 *
 * What stays true:
 * - Every path given by a user is resolved inside the container with openat2(RESOLVE_IN_ROOT)
 *   (fs-safe.h): a symlink in the container to "/etc/shadow" or "../../.." means the
 *   container's file, never the host's. Tars are written by layer_pack*() (nothing followed)
 *   and read by layer_unpack_fd() (no entry leaves the directory it is extracted into).
 * - A running container is reached through /proc/<pid>/root, and only after checking that this
 *   is the root of the container's overlay (same device and inode as rootfs/), so a recycled pid
 *   can never redirect a copy; a stopped one through its rootfs/ mount (made if missing).
 * - The mount points the runtime creates in the upper dir when the image lacks them (empty
 *   /etc/hosts, /etc/hostname, /etc/resolv.conf, /proc, /sys, /dev) are Docker's "init layer":
 *   neither `diff` nor `commit` shows them, as Docker never does. */
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "container-spec.h"
#include "containers-internal.h"
#include "fs-safe.h"
#include "image-archive.h"
#include "json-util.h"
#include "layer-pack.h"
#include "layer.h"
#include "util.h"

#define FS_MAX_LINK_HOPS 40

/* ---- the init layer: mount points made by the runtime ---- */

static const char *const init_files[] = { "etc/hosts", "etc/hostname", "etc/resolv.conf",
                                          "etc/mtab", ".dockerenv", "dev/console" };
static const char *const init_dirs[] = { "dev", "dev/pts", "dev/shm", "proc", "sys" };

static bool in_list(const char *const *v, size_t n, const char *path)
{
        for (size_t i = 0; i < n; i++)
                if (streq(v[i], path))
                        return true;
        return false;
}

static bool init_stub(int dirfd, const char *name, const char *path, const struct stat *st);

/* A directory holding nothing but stubs (at least one), like an /etc made for /etc/hosts. */
static bool init_stub_dir(int dirfd, const char *name, const char *path)
{
        int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return false;
        _cleanup_closedir_ DIR *d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return false;
        }
        size_t n = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                struct stat st;
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                _cleanup_free_ char *child = xasprintf("%s/%s", path, de->d_name);
                if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    !init_stub(fd, de->d_name, child, &st))
                        return false;
                n++;
        }
        return n > 0 || in_list(init_dirs, ELEMENTSOF(init_dirs), path);
}

static bool init_stub(int dirfd, const char *name, const char *path, const struct stat *st)
{
        if (S_ISREG(st->st_mode))
                return st->st_size == 0 && in_list(init_files, ELEMENTSOF(init_files), path);
        if (!S_ISDIR(st->st_mode))
                return false;
        if (!streq(path, "etc") && !in_list(init_dirs, ELEMENTSOF(init_dirs), path))
                return false;
        return init_stub_dir(dirfd, name, path);
}

static bool pack_exclude(int dirfd, const char *name, const char *path, const struct stat *st,
                         void *userdata)
{
        return init_stub(dirfd, name, path, st);
}

/* ---- loading ---- */

static int fs_load(Engine *e, const char *name_or_id, Ctr *c, LadeError **err)
{
        *c = (Ctr) { .e = e };
        int r = ctr_load(c, name_or_id, err);
        if (r < 0)
                return r;
        ctr_reconcile(c);
        return 0;
}

static bool fs_running(const Ctr *c)
{
        return (streq(c->state, "running") || streq(c->state, "paused")) && pid_alive(c->pid);
}

static int open_dir(const char *path, LadeError **err)
{
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return lade_error(err, errno, "open '%s'", path);
        return fd;
}

/* The root the container's files are reached from (see the top of the file). */
static int fs_root(Ctr *c, LadeError **err)
{
        int r = ctr_mount_rootfs(c, err);
        if (r < 0)
                return r;
        _cleanup_close_ int rootfs = open_dir(c->rootfs, err);
        if (rootfs < 0 || !fs_running(c))
                return rootfs < 0 ? rootfs : TAKE_FD(rootfs);
        char path[64];
        struct stat a, b;
        snprintf(path, sizeof(path), "/proc/%d/root", (int) c->pid);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &a) < 0 || fstat(rootfs, &b) < 0 || a.st_dev != b.st_dev ||
            a.st_ino != b.st_ino)
                return TAKE_FD(rootfs);
        return TAKE_FD(fd);
}

/* ---- diff ---- */

typedef struct Diff {
        int upper;
        int *lowers;               /* top first */
        size_t n_lowers;
        ContainerChange *v;
        size_t n, alloc;
} Diff;

static void diff_add(Diff *d, const char *path, ContainerChangeKind kind)
{
        if (d->n == d->alloc) {
                d->alloc = d->alloc ? d->alloc * 2 : 32;
                d->v = xreallocarray(d->v, d->alloc, sizeof(*d->v));
        }
        d->v[d->n++] = (ContainerChange) { .path = xasprintf("/%s", path), .kind = kind };
}

static void diff_done(Diff *d)
{
        for (size_t i = 0; i < d->n_lowers; i++)
                safe_close(d->lowers[i]);
        free(d->lowers);
        container_changes_free(d->v, d->n);
}

static bool is_whiteout(const struct stat *st)
{
        return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

/* The path in the image: the topmost layer that has it decides (a whiteout there: absent). */
static bool lower_stat(Diff *d, const char *path, struct stat *ret)
{
        for (size_t i = 0; i < d->n_lowers; i++) {
                _cleanup_close_ int fd = fs_open_in_root(d->lowers[i], path, O_PATH | O_NOFOLLOW, 0,
                                                         NULL);
                if (fd < 0)
                        continue;
                if (fstat(fd, ret) < 0 || is_whiteout(ret))
                        return false;
                return true;
        }
        return false;
}

static int name_cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static int sorted_names(int dirfd, char ***ret, LadeError **err)
{
        int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return lade_error(err, errno, "open directory");
        _cleanup_closedir_ DIR *dir = fdopendir(fd);
        if (!dir) {
                safe_close(fd);
                return lade_error(err, errno, "open directory");
        }
        char **v = xmalloc0(sizeof(char *));
        struct dirent *de;
        while ((de = readdir(dir)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        v = strv_append(v, de->d_name);
        qsort(v, strv_length(v), sizeof(char *), name_cmp);
        *ret = v;
        return 0;
}

static bool is_opaque(int dirfd, const char *name)
{
        char path[4200], v[2];
        snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dirfd, name);
        return (lgetxattr(path, "trusted.overlay.opaque", v, sizeof(v)) == 1 ||
                lgetxattr(path, "user.overlay.opaque", v, sizeof(v)) == 1) &&
               v[0] == 'y';
}

static int diff_dir(Diff *d, int dirfd, const char *path, bool *recorded, LadeError **err);

/* Docker's changes() for one name of the upper dir: a whiteout is D; a name the image has is C
 * (a directory whose size, mode and mtime are the image's is no change by itself); else A. An A
 * or D makes its parent a C if nothing recorded the parent yet. */
static int diff_entry(Diff *d, int dirfd, const char *name, const char *path, bool *parent_recorded,
                      LadeError **err)
{
        struct stat st, low;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : lade_error(err, errno, "stat '%s'", path);
        if (init_stub(dirfd, name, path, &st))
                return 0;
        ContainerChangeKind kind = CONTAINER_CHANGE_ADD;
        bool in_image = lower_stat(d, path, &low);
        bool recorded = false;
        if (is_whiteout(&st))
                kind = CONTAINER_CHANGE_DELETE;
        else if (in_image)
                kind = CONTAINER_CHANGE_MODIFY;
        bool same_dir = kind == CONTAINER_CHANGE_MODIFY && S_ISDIR(st.st_mode) && S_ISDIR(low.st_mode) &&
                        !is_opaque(dirfd, name) && st.st_size == low.st_size && st.st_mode == low.st_mode &&
                        st.st_mtim.tv_sec == low.st_mtim.tv_sec && st.st_mtim.tv_nsec == low.st_mtim.tv_nsec;
        if (!same_dir) {
                if (kind != CONTAINER_CHANGE_MODIFY && !*parent_recorded && strchr(path, '/')) {
                        _cleanup_free_ char *parent = xstrndup(path, (size_t) (strrchr(path, '/') - path));
                        diff_add(d, parent, CONTAINER_CHANGE_MODIFY);
                        *parent_recorded = true;
                }
                diff_add(d, path, kind);
                recorded = true;
        }
        if (!S_ISDIR(st.st_mode))
                return 0;
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return lade_error(err, errno, "open '%s'", path);
        return diff_dir(d, fd, path, &recorded, err);
}

static int diff_dir(Diff *d, int dirfd, const char *path, bool *recorded, LadeError **err)
{
        _cleanup_strv_free_ char **names = NULL;
        int r = sorted_names(dirfd, &names, err);
        for (size_t i = 0; r >= 0 && names[i]; i++) {
                _cleanup_free_ char *child = *path ? xasprintf("%s/%s", path, names[i])
                                                   : xstrdup(names[i]);
                r = diff_entry(d, dirfd, names[i], child, recorded, err);
        }
        return r;
}

static int diff_open_layers(Diff *d, Ctr *c, LadeError **err)
{
        _cleanup_strv_free_ char **dirs = NULL;
        int r = image_store_layer_dirs(engine_images(c->e), c->image_id, &dirs, err);
        if (r < 0)
                return r;
        size_t n = strv_length(dirs);
        d->lowers = xmalloc0((n ? n : 1) * sizeof(int));
        for (size_t i = n; i-- > 0;) {
                int fd = open_dir(dirs[i], err);
                if (fd < 0)
                        return fd;
                d->lowers[d->n_lowers++] = fd;
        }
        return 0;
}

int engine_container_diff(Engine *e, const char *name_or_id, ContainerChange **ret, size_t *ret_n,
                          LadeError **err)
{
        _cleanup_(ctr_done) Ctr c = { 0 };
        _cleanup_(diff_done) Diff d = { .upper = -EBADF };
        int r = fs_load(e, name_or_id, &c, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *upper = xasprintf("%s/upper", c.dir);
        _cleanup_close_ int fd = open_dir(upper, err);
        bool root_recorded = true;   /* "/" itself is never listed */
        if (fd < 0 || (r = diff_open_layers(&d, &c, err)) < 0 ||
            (r = diff_dir(&d, fd, "", &root_recorded, err)) < 0)
                return lade_error_wrap(err, "diff %s", name_or_id);
        *ret = TAKE_PTR(d.v);
        *ret_n = d.n;
        d.n = 0;
        return 0;
}

void container_changes_free(ContainerChange *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(v[i].path);
        free(v);
}

/* ---- export ---- */

int engine_container_export(Engine *e, const char *name_or_id, int out_fd, LadeError **err)
{
        _cleanup_(ctr_done) Ctr c = { 0 };
        int r = fs_load(e, name_or_id, &c, err);
        if (r < 0)
                return r;
        if ((r = ctr_mount_rootfs(&c, err)) < 0)
                return lade_error_wrap(err, "export %s", name_or_id);
        _cleanup_close_ int fd = open_dir(c.rootfs, err);
        if (fd < 0 || (r = layer_pack(fd, NULL, out_fd, NULL, err)) < 0)
                return lade_error_wrap(err, "export %s", name_or_id);
        return 0;
}

/* ---- commit ---- */

static char *now_rfc3339(void)
{
        struct timespec ts;
        (void) clock_gettime(CLOCK_REALTIME, &ts);
        return format_rfc3339_ns((int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec);
}

/* The container's Config as Docker keeps it (its inspect Config, with Env as dockerd merged it
 * at create: the request's, then the image's, without the runtime's HOSTNAME/TERM). */
static int commit_container_config(Ctr *c, json_t **ret, LadeError **err)
{
        _cleanup_json_ json_t *doc = NULL;
        int r = engine_container_inspect(c->e, c->id, &doc, err);
        if (r < 0)
                return r;
        json_t *cfg = json_incref(json_object_get(doc, "Config"));
        _cleanup_strv_free_ char **user = NULL, **env = NULL;
        json_t *v;
        size_t i;
        json_array_foreach(json_object_get(c->create, "Env"), i, v)
                if (json_is_string(v))
                        user = strv_append(user, json_string_value(v));
        env = container_spec_merge_env(user, c->image->config->env);
        json_t *a = json_array();
        for (char **s = env; s && *s; s++)
                json_array_append_new(a, json_string(*s));
        json_object_set_new(cfg, "Env", a);
        *ret = cfg;
        return 0;
}

/* Go's strings.Join(cmd, " "). */
static char *json_words(json_t *a)
{
        char *out = xstrdup("");
        size_t i;
        json_t *v;
        json_array_foreach(a, i, v) {
                char *t = xasprintf("%s%s%s", out, i ? " " : "", json_string_value(v) ?: "");
                free(out);
                out = t;
        }
        return out;
}

/* The image config: the parent's (platform, history...) with the container's Config and the
 * changes, a history entry as dockerd writes one (created_by: the command), rootfs left to the
 * store. */
static int commit_config(Ctr *c, const CommitOptions *o, bool empty_layer, json_t **ret,
                         LadeError **err)
{
        _cleanup_json_ json_t *ccfg = NULL;
        int r = commit_container_config(c, &ccfg, err);
        if (r < 0)
                return r;
        _cleanup_json_ json_t *doc = json_deep_copy(c->image->config->raw);
        json_t *cfg = json_deep_copy(ccfg);
        json_object_set_new(doc, "config", cfg);
        if ((r = image_config_apply_changes(cfg, o->changes, err)) < 0)
                return r;
        _cleanup_free_ char *created = now_rfc3339();
        json_object_set_new(doc, "container", json_string(c->id));
        json_object_set(doc, "container_config", ccfg);
        json_object_set_new(doc, "created", json_string(created));
        json_object_del(doc, "author");
        json_object_del(doc, "comment");
        if (o->author && *o->author)
                json_object_set_new(doc, "author", json_string(o->author));
        if (o->message && *o->message)
                json_object_set_new(doc, "comment", json_string(o->message));
        _cleanup_free_ char *created_by = json_words(json_object_get(ccfg, "Cmd"));
        json_t *h = json_pack("{s:s}", "created", created);
        if (o->author && *o->author)
                json_object_set_new(h, "author", json_string(o->author));
        json_object_set_new(h, "created_by", json_string(created_by));
        if (o->message && *o->message)
                json_object_set_new(h, "comment", json_string(o->message));
        if (empty_layer)
                json_object_set_new(h, "empty_layer", json_true());
        json_t *history = json_object_get(doc, "history");
        if (!json_is_array(history))
                json_object_set_new(doc, "history", history = json_array());
        json_array_append_new(history, h);
        json_object_del(doc, "rootfs");
        *ret = TAKE_PTR(doc);
        return 0;
}

/* The upper dir packed (overlay form, init stubs left out) into a file in the container's
 * directory; *ret_entries 0: the container changed nothing. */
static int commit_pack(Ctr *c, char **ret_path, uint64_t *ret_entries, LadeError **err)
{
        _cleanup_free_ char *upper = xasprintf("%s/upper", c->dir);
        _cleanup_free_ char *path = xasprintf("%s/commit-XXXXXX", c->dir);
        _cleanup_close_ int src = open_dir(upper, err);
        if (src < 0)
                return src;
        _cleanup_close_ int out = mkostemp(path, O_CLOEXEC);
        if (out < 0)
                return lade_error(err, errno, "create '%s'", path);
        LayerPackOptions o = { .gzip = true, .overlay_upper = true, .exclude = pack_exclude };
        LayerPackResult res;
        int r = layer_pack(src, &o, out, &res, err);
        if (r >= 0 && fsync(out) < 0)
                r = lade_error(err, errno, "write '%s'", path);
        if (r < 0) {
                (void) unlink(path);
                return r;
        }
        *ret_path = TAKE_PTR(path);
        *ret_entries = res.entries;
        return 0;
}

/* Packs with the container paused when asked and running (Docker's default), so that the layer
 * is one moment of it. */
static int commit_pack_paused(Ctr *c, const CommitOptions *o, char **ret_path, uint64_t *ret_entries,
                              LadeError **err)
{
        bool pause = o->pause && streq(c->state, "running") && pid_alive(c->pid);
        int r = pause ? engine_container_pause(c->e, c->id, err) : 0;
        if (r < 0)
                return r;
        r = commit_pack(c, ret_path, ret_entries, err);
        if (pause) {
                LadeError *e2 = NULL;
                int r2 = engine_container_unpause(c->e, c->id, &e2);
                if (r >= 0 && r2 < 0) {
                        r = r2;
                        if (err && !*err)
                                *err = TAKE_PTR(e2);
                }
                lade_error_free(e2);
        }
        return r;
}

static void unlink_freep(char **p)
{
        if (*p) {
                (void) unlink(*p);
                free(*p);
        }
}

int engine_container_commit(Engine *e, const char *name_or_id, const CommitOptions *o,
                            char ret_id[static 72], LadeError **err)
{
        static const CommitOptions defaults = { .pause = true };
        _cleanup_(ctr_done) Ctr c = { 0 };
        _cleanup_(unlink_freep) char *layer = NULL;
        _cleanup_json_ json_t *config = NULL;
        uint64_t entries = 0;
        if (!o)
                o = &defaults;
        int r = fs_load(e, name_or_id, &c, err);
        if (r < 0)
                return r;
        if (streq(c.state, "dead") || streq(c.state, "removing"))
                return lade_error_msg(err, EBUSY, "You cannot commit container %s which is %s",
                                      c.id, c.state);
        /* the config first: a bad --change fails before anything is packed */
        r = image_store_resolve(engine_images(e), c.image_id, &c.image, err);
        if (r >= 0)
                r = commit_config(&c, o, false, &config, err);
        if (r >= 0)
                r = commit_pack_paused(&c, o, &layer, &entries, err);
        if (r >= 0 && entries == 0) {
                config = json_decref_null(config);
                r = commit_config(&c, o, true, &config, err);
        }
        if (r >= 0) {
                ImageCommit ic = { .parent_id = c.image_id, .layer_path = entries ? layer : NULL,
                                   .config = config, .tag = o->ref };
                r = image_store_commit(engine_images(e), &ic, ret_id, err);
        }
        return r < 0 ? lade_error_wrap(err, "commit %s", name_or_id) : 0;
}

/* ---- archive (cp) ---- */

/* Go's os.FileMode bits for a stat mode, as the X-Docker-Container-Path-Stat header has them. */
static uint32_t go_file_mode(mode_t m)
{
        uint32_t v = m & 0777;
        if (m & S_ISUID)
                v |= 1u << 23;
        if (m & S_ISGID)
                v |= 1u << 22;
        if (m & S_ISVTX)
                v |= 1u << 20;
        switch (m & S_IFMT) {
        case S_IFDIR: v |= 1u << 31; break;
        case S_IFLNK: v |= 1u << 27; break;
        case S_IFBLK: v |= 1u << 26; break;
        case S_IFCHR: v |= (1u << 26) | (1u << 21); break;
        case S_IFIFO: v |= 1u << 25; break;
        case S_IFSOCK: v |= 1u << 24; break;
        default: break;
        }
        return v;
}

/* Follows every symlink of abs (an absolute, normalised path) inside rootfd, textually, as
 * Docker's FollowSymlinkInScope: the path the container would reach. Missing components are
 * kept as they are. */
static int follow_in_root(int rootfd, const char *abs, char **ret, LadeError **err)
{
        _cleanup_free_ char *done = xstrdup(""), *rest = xstrdup(abs);
        for (unsigned hops = 0; *rest;) {
                char *p = rest + strspn(rest, "/");
                size_t len = strcspn(p, "/");
                _cleanup_free_ char *comp = xstrndup(p, len), *next = xstrdup(p + len);
                free(rest);
                rest = TAKE_PTR(next);
                if (len == 0 || streq(comp, "."))
                        continue;
                if (streq(comp, "..")) {
                        char *slash = strrchr(done, '/');
                        if (slash)
                                *slash = '\0';
                        continue;
                }
                char target[4097];
                _cleanup_close_ int dfd = fs_open_in_root(rootfd, *done ? done : "/", O_PATH | O_DIRECTORY, 0,
                                                          NULL);
                ssize_t n = dfd < 0 ? -1 : readlinkat(dfd, comp, target, sizeof(target) - 1);
                if (n < 0) {
                        char *t = xasprintf("%s/%s", done, comp);
                        free(done);
                        done = t;
                        continue;
                }
                if (++hops > FS_MAX_LINK_HOPS)
                        return lade_error_msg(err, ELOOP, "too many levels of symbolic links in '%s'", abs);
                target[n] = '\0';
                char *t = xasprintf("%s/%s", target, rest);
                free(rest);
                rest = t;
                if (target[0] == '/')
                        done[0] = '\0';
        }
        *ret = *done ? TAKE_PTR(done) : xstrdup("/");
        return 0;
}

/* The kernel's own filesystems a running container has mounted (/proc, /sys, ...): not files of
 * the container (Docker's copy never sees them), and /proc/kcore alone would be 128 TiB. */
static bool pseudo_fs(int fd)
{
        struct statfs sf;
        if (fstatfs(fd, &sf) < 0)
                return false;
        switch ((unsigned long) sf.f_type) {
        case PROC_SUPER_MAGIC: case SYSFS_MAGIC: case CGROUP_SUPER_MAGIC: case CGROUP2_SUPER_MAGIC:
        case DEVPTS_SUPER_MAGIC: case DEBUGFS_MAGIC: case SECURITYFS_MAGIC: case TRACEFS_MAGIC:
        case BPF_FS_MAGIC: case 0x19800202 /* mqueue */:
                return true;
        default:
                return false;
        }
}

static bool archive_exclude(int dirfd, const char *name, const char *path, const struct stat *st,
                            void *userdata)
{
        if (!S_ISDIR(st->st_mode))
                return false;
        _cleanup_close_ int fd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        return fd >= 0 && pseudo_fs(fd);
}

typedef struct FsPath {
        char *abs;                 /* "/" + path cleaned, "/" or "/." kept at the end */
        char *dir, *base;          /* abs split: the parent (resolved inside) and the last name */
        bool follow;               /* a trailing "/" or "/.": the last element is followed */
        int dirfd;                 /* the parent, or the target itself when follow */
        struct stat st;
} FsPath;

static void fs_path_done(FsPath *p)
{
        free(p->abs);
        free(p->dir);
        free(p->base);
        p->dirfd = safe_close(p->dirfd);
}

static char *preserve_trailing(const char *path)
{
        _cleanup_free_ char *joined = xasprintf("/%s", path);
        char *clean = fs_path_normalize(joined);
        size_t n = strlen(path);
        bool dot = (n >= 2 && streq(path + n - 2, "/.")) || streq(path, ".");
        bool sep = n > 0 && path[n - 1] == '/';
        if ((dot || sep) && !streq(clean, "/")) {
                char *t = xasprintf("%s%s", clean, dot ? "/." : "/");
                free(clean);
                clean = t;
        }
        return clean;
}

static int not_found(const Ctr *c, const char *name_or_id, const char *path, LadeError **err)
{
        return lade_error_msg(err, ENOENT, "Could not find the file %s in container %s", path, name_or_id);
}

/* Resolves path as Docker's ResolvePath + StatPath: the parent inside the root, the last element
 * followed only with a trailing "/" or "/.". */
static int fs_path_resolve(Ctr *c, int rootfd, const char *name_or_id, const char *path, FsPath *p,
                           LadeError **err)
{
        p->abs = preserve_trailing(path);
        size_t n = strlen(p->abs);
        p->follow = streq(p->abs, "/") || p->abs[n - 1] == '/' || endswith(p->abs, "/.");
        _cleanup_free_ char *clean = fs_path_normalize(p->abs);
        if (p->follow) {
                const char *last = strrchr(clean, '/') + 1;
                p->base = xstrdup(endswith(p->abs, "/.") ? "." : *last ? last : ".");
                p->dirfd = fs_open_in_root(rootfd, clean, O_RDONLY | O_DIRECTORY, 0, NULL);
                if (p->dirfd == -ENOTDIR)
                        return lade_error_msg(err, ENOTDIR, "%s: not a directory", path);
                if (p->dirfd < 0 || pseudo_fs(p->dirfd))
                        return not_found(c, name_or_id, path, err);
                return fstat(p->dirfd, &p->st) < 0 ? lade_error(err, errno, "stat '%s'", path) : 0;
        }
        const char *slash = strrchr(clean, '/');
        p->base = xstrdup(slash + 1);
        p->dir = slash == clean ? xstrdup("/") : xstrndup(clean, (size_t) (slash - clean));
        p->dirfd = fs_open_in_root(rootfd, p->dir, O_PATH | O_DIRECTORY, 0, NULL);
        if (p->dirfd < 0 || pseudo_fs(p->dirfd) ||
            fstatat(p->dirfd, p->base, &p->st, AT_SYMLINK_NOFOLLOW) < 0 ||
            archive_exclude(p->dirfd, p->base, path, &p->st, NULL))
                return not_found(c, name_or_id, path, err);
        return 0;
}

static json_t *path_stat_json(int rootfd, const FsPath *p)
{
        _cleanup_free_ char *mtime = format_rfc3339_ns((int64_t) p->st.st_mtim.tv_sec * 1000000000 +
                                                       p->st.st_mtim.tv_nsec);
        _cleanup_free_ char *target = NULL;
        _cleanup_free_ char *clean = fs_path_normalize(p->abs);
        if (S_ISLNK(p->st.st_mode) && follow_in_root(rootfd, clean, &target, NULL) < 0)
                target = NULL;
        return json_pack("{s:s, s:I, s:I, s:s, s:s}", "name", streq(p->abs, "/") ? "/" : p->base, "size",
                         (json_int_t) p->st.st_size, "mode", (json_int_t) go_file_mode(p->st.st_mode),
                         "mtime", mtime, "linkTarget", target ? target : "");
}

int engine_container_archive_get(Engine *e, const char *name_or_id, const char *path, int out_fd,
                                 json_t **ret_stat, LadeError **err)
{
        _cleanup_(ctr_done) Ctr c = { 0 };
        _cleanup_(fs_path_done) FsPath p = { .dirfd = -EBADF };
        int r = fs_load(e, name_or_id, &c, err);
        if (r < 0)
                return r;
        _cleanup_close_ int rootfd = fs_root(&c, err);
        if (rootfd < 0)
                return rootfd;
        if ((r = fs_path_resolve(&c, rootfd, name_or_id, path, &p, err)) < 0)
                return r;
        if (out_fd >= 0) {
                /* the archive is named as asked ("." for the root): the CLI renames from there */
                LayerPackOptions o = { .exclude = archive_exclude };
                r = layer_pack_at(p.dirfd, p.follow ? "." : p.base, p.base, &o, out_fd, NULL, err);
                if (r < 0)
                        return lade_error_wrap(err, "copy %s from container %s", path, name_or_id);
        }
        if (ret_stat)
                *ret_stat = path_stat_json(rootfd, &p);
        return 0;
}

int engine_container_archive_put(Engine *e, const char *name_or_id, const char *path, int in_fd,
                                 bool no_overwrite_dir_non_dir, bool copy_uidgid, LadeError **err)
{
        _cleanup_(ctr_done) Ctr c = { 0 };
        int r = fs_load(e, name_or_id, &c, err);
        if (r < 0)
                return r;
        _cleanup_close_ int rootfd = fs_root(&c, err);
        if (rootfd < 0)
                return rootfd;
        /* every symlink followed, the last one too: extracting to a link to a directory works */
        _cleanup_close_ int fd = fs_open_in_root(rootfd, path, O_RDONLY, 0, NULL);
        struct stat st, root_st;
        if (fd < 0 || fstat(fd, &st) < 0 || pseudo_fs(fd))
                return not_found(&c, name_or_id, path, err);
        if (!S_ISDIR(st.st_mode))
                return lade_error_msg(err, ENOTDIR, "extraction point is not a directory");
        json_t *ro = json_object_get(json_object_get(c.create, "HostConfig"), "ReadonlyRootfs");
        /* a volume (another mount) inside a read-only rootfs is still writable */
        if (json_is_true(ro) && fstat(rootfd, &root_st) == 0 && root_st.st_dev == st.st_dev)
                return lade_error_msg(err, EROFS, "container rootfs is marked read-only");
        char dest[32];
        LayerUnpackOptions o = { .ignore_chown = !copy_uidgid, .whiteouts_as_files = true,
                                 .no_overwrite_dir_non_dir = no_overwrite_dir_non_dir };
        r = layer_unpack_fd(in_fd, fs_fd_path(fd, dest), &o, NULL, err);
        return r < 0 ? lade_error_wrap(err, "copy to %s in container %s", path, name_or_id) : 0;
}

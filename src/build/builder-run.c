/* RUN: a container of the engine from the stage's image with Docker's build defaults (the shell
 * form through SHELL, default `/bin/sh -c`; the stage's Env plus the build args in use, USER,
 * WORKDIR; network default/none/host; --mount cache/bind/tmpfs/secret as HostConfig.Mounts),
 * its output streamed to the caller, and after a zero exit its upper dir committed as a layer.
 * Mount points the runtime had to create (/etc/hosts, /proc, a secret's file, ...) are removed
 * from the upper dir before packing when the image did not have them — BuildKit's mount stub
 * cleaner — so neither they nor secrets ever reach a layer. Also the writable views of images
 * (BuildRootfs) that COPY, ADD, WORKDIR and --mount from= use: overlay mounts of our own. */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "builder-internal.h"
#include "containers.h"
#include "fs-safe.h"
#include "json-util.h"
#include "util.h"

/* ---- writable views ----
 * An overlay mount of the image's layers with an upper dir of our own, under the build's temp
 * dir: no container (no rows, spec or files of the engine), and the upper dir, once packed with
 * normalize, becomes the layer's unpacked dir in the store instead of being unpacked from the tar
 * again. A scratch stage (or an image without layers) gets a plain empty dir. The mount is in
 * the caller's mount namespace, as containers' rootfs mounts are, for as long as the step. */

static int view_mount(Builder *b, const char *image_id, BuildRootfs *v, LadeError **err)
{
        _cleanup_strv_free_ char **layers = NULL;
        int r = image_store_layer_dirs(engine_images(b->e), image_id, &layers, err);
        if (r < 0)
                return r;
        size_t n = strv_length(layers);
        if (n == 0)
                return 0;
        /* overlayfs: lowerdir lists the top layer first */
        _cleanup_free_ char *lower = xstrdup(layers[n - 1]);
        for (size_t i = n - 1; i-- > 0;) {
                char *l = xasprintf("%s:%s", lower, layers[i]);
                free(lower);
                lower = l;
        }
        _cleanup_free_ char *work = xasprintf("%s/work", v->dir);
        _cleanup_free_ char *opts = xasprintf("lowerdir=%s,upperdir=%s,workdir=%s", lower, v->upper, work);
        v->rootfs = xasprintf("%s/rootfs", v->dir);
        if (mkdir(work, 0700) < 0 || mkdir(v->rootfs, 0755) < 0)
                return lade_error(err, errno, "create the directories of an image view");
        if (strlen(opts) >= 4096)
                return lade_error_msg(err, E2BIG, "image has too many layers for one overlay mount");
        if (mount("overlay", v->rootfs, "overlay", 0, opts) < 0)
                return lade_error(err, errno, "mount a view of image %s", image_id);
        v->mounted = v->overlay = true;
        return 0;
}

static int view_open(Builder *b, const char *image_id, BuildRootfs *ret, LadeError **err)
{
        ret->dir = xasprintf("%s/view-XXXXXX", b->tmp);
        if (!mkdtemp(ret->dir)) {
                int r = lade_error(err, errno, "create a directory for an image view");
                free(ret->dir);
                ret->dir = NULL;
                return r;
        }
        ret->upper = xasprintf("%s/upper", ret->dir);
        if (mkdir(ret->upper, 0755) < 0)
                return lade_error(err, errno, "create '%s'", ret->upper);
        if (image_id) {
                int r = view_mount(b, image_id, ret, err);
                if (r < 0)
                        return r;
        }
        if (!ret->rootfs)
                ret->rootfs = xstrdup(ret->upper);
        ret->rootfd = open(ret->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (ret->rootfd < 0)
                return lade_error(err, errno, "open '%s'", ret->rootfs);
        return 0;
}

int build_rootfs_open(Builder *b, const char *image_id, BuildRootfs *ret, LadeError **err)
{
        *ret = (BuildRootfs) { .rootfd = -EBADF };
        int r = view_open(b, image_id, ret, err);
        if (r < 0)
                build_rootfs_close(b, ret);
        return r;
}

int build_rootfs_unmount(BuildRootfs *r, LadeError **err)
{
        r->rootfd = safe_close(r->rootfd);
        if (!r->mounted)
                return 0;
        /* nothing of ours holds it any more; a RUN container's mount namespace may still hold a
         * copy until its runtime drops the old root, which writes nothing */
        if (umount2(r->rootfs, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
                return lade_error(err, errno, "unmount '%s'", r->rootfs);
        r->mounted = false;
        return 0;
}

void build_rootfs_close(Builder *b, BuildRootfs *r)
{
        r->rootfd = safe_close(r->rootfd);
        if (r->id[0])
                (void) engine_container_remove(b->e, r->id, true, false, NULL);
        else if (r->dir && build_rootfs_unmount(r, NULL) >= 0)
                (void) rm_rf_at(AT_FDCWD, r->dir);
        r->id[0] = '\0';
        free(r->dir);
        free(r->rootfs);
        free(r->upper);
        r->dir = r->rootfs = r->upper = NULL;
}

/* ---- the command ---- */

static char **stage_shell(BuildStage *s)
{
        json_t *sh = json_object_get(build_stage_config(s), "Shell");
        char **v = NULL;
        size_t k;
        json_t *x;
        json_array_foreach(sh, k, x)
                if (json_is_string(x))
                        v = strv_append(v, json_string_value(x));
        if (!v) {
                v = strv_append(v, "/bin/sh");
                v = strv_append(v, "-c");
        }
        return v;
}

/* The shell form's script: the command line, then its here-documents as the shell reads them;
 * a command that is only a here-document runs the document's body (BuildKit). */
static char *shell_script(const DockerfileInstruction *i)
{
        const char *cmd = i->cmdline && i->cmdline[0] ? i->cmdline[0] : "";
        if (i->n_heredocs == 0)
                return xstrdup(cmd);
        if (i->n_heredocs == 1) {
                const char *p = cmd;
                while (*p == ' ' || *p == '\t')
                        p++;
                if (startswith(p, "<<") && !strpbrk(p + 2, " \t")) {
                        _cleanup_free_ char *body = dockerfile_heredoc_body(&i->heredocs[0]);
                        return xstrdup(body);
                }
        }
        _cleanup_free_ char *s = xstrdup(cmd);
        for (size_t k = 0; k < i->n_heredocs; k++) {
                char *n = xasprintf("%s\n%s%s", s, i->heredocs[k].content, i->heredocs[k].name);
                free(s);
                s = n;
        }
        return TAKE_PTR(s);
}

int build_prepare_run(Builder *b, BuildStage *s, BuildStep *st, LadeError **err)
{
        const DockerfileInstruction *i = st->i;
        st->layer = true;
        if (i->json) {
                st->argv = strv_copy(i->cmdline);
        } else {
                _cleanup_free_ char *script = shell_script(i);
                st->argv = stage_shell(s);
                st->argv = strv_append(st->argv, script);
        }
        /* the build args in use: those of the stage with a value, then proxies given with
         * --build-arg (usable without an ARG) */
        st->args = strv_copy(s->args);
        for (char **a = b->o->build_args; a && *a; a++) {
                _cleanup_free_ char *key = xstrndup(*a, strcspn(*a, "="));
                if (build_arg_is_predefined(key) && strchr(*a, '=') &&
                    !build_env_strv_lookup(s->args, key))
                        st->args = strv_append(st->args, *a);
        }
        st->created_by = build_created_by_run(st->argv, st->args);
        _cleanup_free_ char *flags = NULL;
        for (char **m = i->mount_specs; m && *m; m++) {
                char *n = xasprintf("%s --mount=%s", flags ? flags : "", *m);
                free(flags);
                flags = n;
        }
        /* the build's --network is part of the key only when given (older keys stay valid) */
        _cleanup_free_ char *bnet = b->o->network ? xasprintf(" build-network=%s", b->o->network) : NULL;
        st->desc = xasprintf("%s network=%s security=%s%s%s", st->created_by, i->network ? i->network : "",
                             i->security ? i->security : "", flags ? flags : "", bnet ? bnet : "");
        return 0;
}

/* ---- --mount ---- */

typedef struct RunJob {
        Builder *b;
        BuildStage *s;
        BuildStep *st;
        json_t *mounts;
        BuildRootfs sources[8];  /* views of images bound with from= */
        size_t n_sources;
        char **stubs;            /* mount points the image lacked (parents first) */
        char **parents;          /* directories above them that the image has */
} RunJob;

static int expand_cb(void *userdata, const char *word, char **ret, LadeError **err)
{
        RunJob *j = userdata;
        return build_expand(j->b, j->s, word, ret, err);
}

static const char *find_secret(Builder *b, const char *id, bool *ret_env)
{
        for (char **s = b->o->secrets; s && *s; s++) {
                _cleanup_free_ char *want = xasprintf("id=%s,", id);
                if (!startswith(*s, want))
                        continue;
                const char *v = *s + strlen(want);
                *ret_env = startswith(v, "env=");
                if (startswith(v, "src=") || startswith(v, "source=") || *ret_env)
                        return strchr(v, '=') + 1;
        }
        return NULL;
}

static int secret_source(RunJob *j, const DockerfileMount *m, char **ret, LadeError **err)
{
        _cleanup_free_ char *target = NULL;
        const char *id = m->id;
        if (!id) {
                const char *t = m->target ? strrchr(m->target, '/') : NULL;
                id = t ? t + 1 : NULL;
        }
        if (!id || !*id)
                return lade_error_msg(err, EINVAL, "secret ID missing from mount options");
        bool env = false;
        const char *src = find_secret(j->b, id, &env);
        if (!src) {
                if (m->required)
                        return lade_error_msg(err, ENOENT, "secret %s: not found", id);
                return 0;
        }
        if (env) {
                const char *v = getenv(src);
                _cleanup_free_ char *path = xasprintf("%s/secret-XXXXXX", j->b->tmp);
                _cleanup_close_ int fd = mkostemp(path, O_CLOEXEC);
                if (fd < 0 || write_all(fd, v ? v : "", strlen(v ? v : "")) < 0)
                        return lade_error(err, errno, "write secret %s", id);
                *ret = TAKE_PTR(path);
        } else {
                *ret = realpath(src, NULL);
                if (!*ret)
                        return lade_error(err, errno, "secret %s: %s", id, src);
        }
        return 1;
}

static char *mount_target(RunJob *j, const char *target)
{
        const char *wd = json_string_value(json_object_get(build_stage_config(j->s), "WorkingDir"));
        _cleanup_free_ char *abs = target[0] == '/' ? xstrdup(target)
                                                    : xasprintf("%s/%s", wd && *wd ? wd : "/", target);
        return fs_path_normalize(abs);
}

static int cache_dir(RunJob *j, const DockerfileMount *m, const char *target, char **ret, LadeError **err)
{
        _cleanup_free_ char *digest = sha256_digest_of(m->id ? m->id : target, strlen(m->id ? m->id : target));
        _cleanup_free_ char *dir = xasprintf("%s/build/cache-mounts/%s", j->b->root, digest + 7);
        struct stat st;
        if (stat(dir, &st) < 0) {
                int r = mkdir_p(dir, 0755);
                if (r < 0)
                        return lade_error(err, -r, "create the cache mount %s", dir);
                if (chmod(dir, m->has_mode ? (mode_t) m->mode : 0755) < 0 ||
                    chown(dir, m->has_uid ? (uid_t) m->uid : 0, m->has_gid ? (gid_t) m->gid : 0) < 0)
                        return lade_error(err, errno, "set up the cache mount %s", dir);
        }
        *ret = TAKE_PTR(dir);
        return 0;
}

static int bind_source(RunJob *j, const DockerfileMount *m, char **ret, LadeError **err)
{
        const char *src = m->source ? m->source : "/";
        if (m->from) {
                _cleanup_free_ char *id = NULL;
                if (j->n_sources >= ELEMENTSOF(j->sources))
                        return lade_error_msg(err, E2BIG, "too many mounts from other stages");
                int r = build_source_image(j->b, j->s, m->from, &id, err);
                if (r < 0)
                        return r;
                BuildRootfs *v = &j->sources[j->n_sources++];
                r = build_rootfs_open(j->b, id, v, err);
                if (r < 0)
                        return r;
                _cleanup_close_ int fd = fs_open_in_root(v->rootfd, src, O_PATH, 0, err);
                if (fd < 0)
                        return fd;
                char buf[32], path[4096];
                ssize_t n = readlink(fs_fd_path(fd, buf), path, sizeof(path) - 1);
                if (n < 0)
                        return lade_error(err, errno, "resolve %s", src);
                *ret = xstrndup(path, (size_t) n);
                return 0;
        }
        _cleanup_close_ int fd = build_context_open_path(j->b->ctx, src, O_PATH, err);
        if (fd < 0)
                return fd;
        char buf[32], path[4096];
        ssize_t n = readlink(fs_fd_path(fd, buf), path, sizeof(path) - 1);
        if (n < 0)
                return lade_error(err, errno, "resolve %s", src);
        *ret = xstrndup(path, (size_t) n);
        return 0;
}

static int add_mount(RunJob *j, const DockerfileMount *m, LadeError **err)
{
        _cleanup_free_ char *target = NULL, *source = NULL;
        bool ro = m->readonly;
        int r = 0;
        if (m->type == DOCKERFILE_MOUNT_SECRET) {
                _cleanup_free_ char *id = xstrdup(m->id ? m->id : "");
                target = m->target ? mount_target(j, m->target) : xasprintf("/run/secrets/%s", id);
                r = secret_source(j, m, &source, err);
                if (r <= 0)
                        return r;
                ro = true;
        } else if (!m->target) {
                return lade_error_msg(err, EINVAL, "mount destination missing");
        } else {
                target = mount_target(j, m->target);
        }
        if (m->type == DOCKERFILE_MOUNT_TMPFS) {
                json_t *o = json_pack("{s:s, s:s}", "Type", "tmpfs", "Target", target);
                if (m->size > 0)
                        json_object_set_new(o, "TmpfsOptions", json_pack("{s:I}", "SizeBytes", (json_int_t) m->size));
                json_array_append_new(j->mounts, o);
                return 0;
        }
        if (m->type == DOCKERFILE_MOUNT_CACHE)
                r = cache_dir(j, m, target, &source, err);
        else if (m->type == DOCKERFILE_MOUNT_BIND)
                r = bind_source(j, m, &source, err);
        else if (m->type == DOCKERFILE_MOUNT_SSH)
                return lade_error_msg(err, EOPNOTSUPP, "RUN --mount=type=ssh is not supported");
        if (r < 0)
                return r;
        json_array_append_new(j->mounts, json_pack("{s:s, s:s, s:s, s:b, s:{s:b}}", "Type", "bind",
                                                   "Source", source, "Target", target, "ReadOnly", ro,
                                                   "BindOptions", "CreateMountpoint", 1));
        return 0;
}

static int build_mounts(RunJob *j, LadeError **err)
{
        j->mounts = json_array();
        for (char **spec = j->st->i->mount_specs; spec && *spec; spec++) {
                _cleanup_(dockerfile_mount_freep) DockerfileMount *m = NULL;
                int r = dockerfile_mount_parse(*spec, expand_cb, j, &m, err);
                if (r >= 0)
                        r = add_mount(j, m, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- mount stubs ---- */

static void note_stub(RunJob *j, int rootfd, const char *dest)
{
        _cleanup_free_ char *p = fs_path_normalize(dest);
        /* each missing ancestor, parents first, then the point itself */
        for (char *slash = p + 1;; slash++) {
                char c = *slash;
                if (c != '/' && c != '\0')
                        continue;
                *slash = '\0';
                _cleanup_close_ int fd = fs_open_in_root(rootfd, p, O_PATH | O_NOFOLLOW, 0, NULL);
                bool seen = false;
                for (char **s = j->stubs; s && *s && !seen; s++)
                        seen = streq(*s, p);
                for (char **s = j->parents; s && *s && !seen; s++)
                        seen = streq(*s, p);
                if (!seen && !streq(p, "/")) {
                        if (fd < 0)
                                j->stubs = strv_append(j->stubs, p);
                        else if (c == '/')
                                j->parents = strv_append(j->parents, p);
                }
                *slash = c;
                if (c == '\0')
                        break;
        }
}

static int scan_stubs(RunJob *j, const char *dir, const char *rootfs, LadeError **err)
{
        _cleanup_free_ char *config = xasprintf("%s/config.json", dir);
        _cleanup_json_ json_t *spec = NULL;
        int r = json_load_path(config, 16u << 20, &spec, err);
        if (r < 0)
                return r;
        _cleanup_close_ int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return lade_error(err, errno, "open '%s'", rootfs);
        size_t k;
        json_t *m;
        json_array_foreach(json_object_get(spec, "mounts"), k, m) {
                const char *d = json_string_value(json_object_get(m, "destination"));
                if (d && d[0] == '/')
                        note_stub(j, rootfd, d);
        }
        return 0;
}

static bool opaque(int dirfd, const char *name)
{
        char buf[32], v[4];
        _cleanup_close_ int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_free_ char *path = fd >= 0 ? xasprintf("%s", fs_fd_path(fd, buf)) : NULL;
        return !path || getxattr(path, "trusted.overlay.opaque", v, sizeof(v)) > 0;
}

/* Deepest first: an empty file or directory the runtime made is dropped from the upper dir;
 * then the directories copied up only to hold them, when they are empty and not opaque. */
static void remove_stubs(RunJob *j, const char *upper)
{
        _cleanup_close_ int ufd = open(upper, O_PATH | O_DIRECTORY | O_CLOEXEC);
        size_t ns = strv_length(j->stubs), np = strv_length(j->parents);
        for (size_t n = ns + np; ufd >= 0 && n > 0; n--) {
                const char *p = n > np ? j->stubs[n - np - 1] : j->parents[n - 1];
                _cleanup_free_ char *parent = xstrndup(p, (size_t) (strrchr(p, '/') - p));
                const char *name = strrchr(p, '/') + 1;
                _cleanup_close_ int pfd = fs_open_in_root(ufd, *parent ? parent : "/", O_PATH | O_DIRECTORY, 0, NULL);
                struct stat st;
                if (pfd < 0 || fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (S_ISREG(st.st_mode) && st.st_size == 0)
                        (void) unlinkat(pfd, name, 0);
                else if (S_ISDIR(st.st_mode) && (n > np || !opaque(pfd, name)))
                        (void) unlinkat(pfd, name, AT_REMOVEDIR); /* fails unless empty */
        }
}

/* ---- output ---- */

/* The pump: a thread that hands the container's output to the callback a line at a time (a line
 * longer than the buffer goes in pieces) and, once the build fails elsewhere, kills the
 * container with an engine handle of its own (retried until the container runs: a kill may come
 * before its start). */
#define PUMP_BUF 16384
#define PUMP_KILL_RETRY_MS 50

typedef struct Pump {
        Builder *b;
        const char *id;
        unsigned vertex;
        uint64_t start_ns;
        int fds[2];
        char buf[2][PUMP_BUF];
        size_t len[2];
        Engine *killer;
        bool killed;
} Pump;

static void pump_flush(Pump *p, int k, bool all)
{
        size_t n = p->len[k];
        if (!all) {
                char *nl = memrchr(p->buf[k], '\n', p->len[k]);
                n = nl ? (size_t) (nl - p->buf[k]) + 1 : (p->len[k] == PUMP_BUF ? PUMP_BUF : 0);
        }
        if (n == 0)
                return;
        build_emit_output(p->b, p->vertex, k + 1, now_ns() - p->start_ns, p->buf[k], n);
        memmove(p->buf[k], p->buf[k] + n, p->len[k] - n);
        p->len[k] -= n;
}

static void pump_kill(Pump *p)
{
        if (!p->killer && engine_open_sibling(p->b->e, &p->killer, NULL) < 0)
                return;
        p->killed = engine_container_kill(p->killer, p->id, SIGKILL, NULL) == 0;
}

static void *pump_main(void *userdata)
{
        Pump *p = userdata;
        int open_fds = 2;
        while (open_fds > 0) {
                bool cancel = !p->killed && build_canceled(p->b);
                if (cancel)
                        pump_kill(p);
                struct pollfd pf[3] = { { .fd = p->fds[0], .events = POLLIN }, { .fd = p->fds[1], .events = POLLIN },
                                        { .fd = cancel ? -1 : p->b->sh->cancel_fd, .events = POLLIN } };
                if (poll(pf, 3, cancel && !p->killed ? PUMP_KILL_RETRY_MS : -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                for (int k = 0; k < 2; k++) {
                        if (!pf[k].revents)
                                continue;
                        ssize_t n = read(p->fds[k], p->buf[k] + p->len[k], PUMP_BUF - p->len[k]);
                        if (n > 0) {
                                p->len[k] += (size_t) n;
                                pump_flush(p, k, false);
                        }
                        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
                                pump_flush(p, k, true);
                                p->fds[k] = safe_close(p->fds[k]);
                                open_fds--;
                        }
                }
        }
        p->killer = engine_free(p->killer);
        return NULL;
}

static char *joined(char *const *v)
{
        _cleanup_free_ char *s = xstrdup("");
        for (size_t k = 0; v && v[k]; k++) {
                char *n = xasprintf("%s%s%s", s, k ? " " : "", v[k]);
                free(s);
                s = n;
        }
        return TAKE_PTR(s);
}

/* Starts the container attached to two pipes and waits for its exit. */
static int run_attached(RunJob *j, const char *id, int *ret_status, LadeError **err)
{
        int out[2], errp[2];
        if (pipe2(out, O_CLOEXEC) < 0)
                return lade_error(err, errno, "pipe");
        if (pipe2(errp, O_CLOEXEC) < 0) {
                safe_close(out[0]);
                safe_close(out[1]);
                return lade_error(err, errno, "pipe");
        }
        _cleanup_free_ Pump *p = xmalloc0(sizeof(Pump));
        *p = (Pump) { .b = j->b, .id = id, .vertex = j->st->vertex, .start_ns = j->st->start_ns,
                      .fds = { out[0], errp[0] } };
        pthread_t t;
        bool thread = pthread_create(&t, NULL, pump_main, p) == 0;
        AttachStdio io = { .in = -1, .out = out[1], .err = errp[1], .detach_keys = "" };
        int r = engine_container_start(j->b->e, id, &io, ret_status, err);
        safe_close(out[1]);
        safe_close(errp[1]);
        if (thread)
                pthread_join(t, NULL);
        else {
                safe_close(out[0]);
                safe_close(errp[0]);
        }
        return r;
}

static json_t *run_body(RunJob *j)
{
        BuildStage *s = j->s;
        json_t *cfg = build_stage_config(s);
        _cleanup_strv_free_ char **env = build_stage_env(s);
        for (char **a = j->st->args; a && *a; a++)
                if (!build_env_strv_lookup(env, strndupa(*a, strcspn(*a, "="))))
                        env = strv_append(env, *a);
        json_t *envj = json_array(), *cmd = json_array();
        for (char **e = env; e && *e; e++)
                json_array_append_new(envj, json_string(*e));
        for (char **a = j->st->argv; a && *a; a++)
                json_array_append_new(cmd, json_string(*a));
        const char *net = j->st->i->network;
        if (!net || streq(net, "default"))
                net = j->b->o->network;
        const char *user = json_string_value(json_object_get(cfg, "User"));
        const char *wd = json_string_value(json_object_get(cfg, "WorkingDir"));
        return json_pack("{s:s, s:o, s:[s], s:o, s:s, s:s, s:s, s:{s:s, s:O}, s:{s:s}}", "Image", s->image_id,
                         "Cmd", cmd, "Entrypoint", "", "Env", envj, "User", user ? user : "",
                         "WorkingDir", wd ? wd : "", "Hostname", "buildkitsandbox", "HostConfig",
                         "NetworkMode", !net || streq(net, "default") ? "" : net, "Mounts", j->mounts,
                         "Labels", "lade.build", "run");
}

static int run_container(RunJob *j, LadeError **err)
{
        Builder *b = j->b;
        BuildStep *st = j->st;
        _cleanup_json_ json_t *body = run_body(j);
        _cleanup_free_ char *dir = NULL, *shown = joined(st->argv);
        BuildRootfs r = { .rootfd = -EBADF };
        RunRequest req = { .create = body, .pull = "never" };
        int status = 0;
        int k = engine_container_create(b->e, &req, r.id, err);
        if (k >= 0)
                k = engine_container_paths(b->e, r.id, &dir, &r.rootfs, err);
        if (k >= 0) {
                r.upper = xasprintf("%s/upper", dir);
                k = scan_stubs(j, dir, r.rootfs, err);
        }
        if (k >= 0 && build_canceled(b))
                k = lade_error_msg(err, ECANCELED, "canceled");
        if (k >= 0) {
                k = run_attached(j, r.id, &status, err);
                if (k < 0)
                        k = lade_error_wrap(err, "process \"%s\" did not complete successfully", shown);
                else if (status != 0)
                        k = lade_error_msg(err, EIO, "process \"%s\" did not complete successfully: "
                                           "exit code: %d", shown, status);
        }
        if (k >= 0) {
                remove_stubs(j, r.upper);
                k = build_commit(b, j->s, st, &r, err);
        }
        build_rootfs_close(b, &r);
        return k;
}

int build_dispatch_run(Builder *b, BuildStage *s, BuildStep *st, LadeError **err)
{
        RunJob j = { .b = b, .s = s, .st = st };
        int r;
        if (!s->image_id) {
                _cleanup_free_ char *shown = joined(st->argv);
                return lade_error_msg(err, ENOENT, "process \"%s\" did not complete successfully: "
                                      "exec: \"%s\": executable file not found in $PATH", shown,
                                      st->argv && st->argv[0] ? st->argv[0] : "");
        }
        r = build_mounts(&j, err);
        if (r >= 0)
                r = run_container(&j, err);
        for (size_t k = 0; k < j.n_sources; k++)
                build_rootfs_close(b, &j.sources[k]);
        json_decref(j.mounts);
        strv_free(j.stubs);
        strv_free(j.parents);
        return r;
}

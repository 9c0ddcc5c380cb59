/* Container lifecycle, the parent side: create (spawn the init in its namespaces and drive it
 * through setup), start, state, kill, delete, pause/resume, update, run.
 * Invariant: a failed create leaves nothing behind — no process, cgroup or state dir. */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "container-internal.h"
#include "json-util.h"
#include "log.h"
#include "util.h"

static const unsigned long ns_flags[_SPEC_NS_MAX] = {
        [SPEC_NS_PID] = CLONE_NEWPID,     [SPEC_NS_NETWORK] = CLONE_NEWNET,
        [SPEC_NS_MOUNT] = CLONE_NEWNS,    [SPEC_NS_IPC] = CLONE_NEWIPC,
        [SPEC_NS_UTS] = CLONE_NEWUTS,     [SPEC_NS_USER] = CLONE_NEWUSER,
        [SPEC_NS_CGROUP] = CLONE_NEWCGROUP, [SPEC_NS_TIME] = CLONE_NEWTIME,
};

/* Everything a create owns until it succeeds; released (and undone) by create_ctx_done. */
typedef struct CreateCtx {
        const RuntimeContext *rt;
        const CreateOptions *o;
        Spec *spec;
        char *bundle;
        char *rootfs;
        int state_dirfd;
        bool state_dir_made;
        CgroupManager *cgroup;
        InitPlan plan;
        int sock;          /* parent end of the sync pair */
        pid_t stage1, init;
        int console_peer;  /* our end when we proxy the terminal ourselves */
        SpecResources *resources; /* linux.resources plus the default device rules */
} CreateCtx;

static pid_t raw_clone(unsigned long flags)
{
        return (pid_t) syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
}

static void kill_and_reap(pid_t pid)
{
        if (pid <= 0)
                return;
        (void) kill(pid, SIGKILL);
        (void) waitpid(pid, NULL, 0);
}

static void create_ctx_done(CreateCtx *c, bool failed)
{
        if (failed) {
                kill_and_reap(c->init);
                kill_and_reap(c->stage1);
                if (c->cgroup)
                        (void) cgroup_manager_destroy(c->cgroup, NULL);
                if (c->state_dir_made) {
                        _cleanup_free_ char *dir = xasprintf("%s/%s", c->rt->state_root, c->o->id);
                        (void) rm_rf_at(AT_FDCWD, dir);
                }
        }
        for (int i = 0; i < _SPEC_NS_MAX; i++)
                safe_close(c->plan.ns_fds[i]);
        safe_close(c->plan.sync_fd);
        safe_close(c->plan.fifo_fd);
        safe_close(c->plan.console_fd);
        safe_close(c->plan.listener_fd);
        safe_close(c->sock);
        safe_close(c->state_dirfd);
        seccomp_program_free(c->plan.seccomp);
        cgroup_manager_free(c->cgroup);
        free(c->plan.state_json);
        free(c->bundle);
        free(c->rootfs);
        free(c->resources ? c->resources->devices : NULL);
        free(c->resources);
        spec_free(c->spec);
}

static int load_bundle(CreateCtx *c, LadeError **err)
{
        char buf[PATH_MAX];
        const char *b = c->o->bundle ? c->o->bundle : ".";
        if (!realpath(b, buf))
                return lade_error(err, errno, "bundle '%s'", b);
        c->bundle = xstrdup(buf);
        _cleanup_free_ char *cfg = c->o->config_path ? xstrdup(c->o->config_path)
                                                     : xasprintf("%s/config.json", c->bundle);
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = read_file_at(AT_FDCWD, cfg, SPEC_MAX_BYTES, &text, &len, err);
        if (r < 0)
                return lade_error_wrap(err, "load config.json");
        r = spec_parse(text, len, &c->spec, err);
        if (r < 0 && !startswith(lade_error_message(*err), "config.json"))
                return lade_error_wrap(err, "config.json");
        if (r < 0)
                return r;
        if (!c->spec->process)
                return lade_error_msg(err, EINVAL, "config.json: process: required");
        if (!c->spec->root_path)
                return lade_error_msg(err, EINVAL, "config.json: root.path: required");
        _cleanup_free_ char *root = c->spec->root_path[0] == '/'
                                            ? xstrdup(c->spec->root_path)
                                            : xasprintf("%s/%s", c->bundle, c->spec->root_path);
        struct stat st;
        if (!realpath(root, buf) || stat(buf, &st) < 0)
                return lade_error(err, errno, "root.path: rootfs '%s'", root);
        if (!S_ISDIR(st.st_mode))
                return lade_error_msg(err, ENOTDIR, "root.path: rootfs '%s' is not a directory", root);
        c->rootfs = xstrdup(buf);
        return 0;
}

static int check_namespaces(CreateCtx *c, LadeError **err)
{
        SpecLinux *l = &c->spec->linux_;
        if (!l->namespaces[SPEC_NS_MOUNT].present)
                return lade_error_msg(err, EINVAL, "linux.namespaces: a mount namespace is required");
        bool userns = l->namespaces[SPEC_NS_USER].present;
        if (userns && !l->namespaces[SPEC_NS_USER].path && (!l->n_uid_mappings || !l->n_gid_mappings))
                return lade_error_msg(err, EINVAL,
                                      "linux.uidMappings: a new user namespace needs uidMappings and gidMappings");
        if (!userns && (l->n_uid_mappings || l->n_gid_mappings))
                return lade_error_msg(err, EINVAL,
                                      "linux.uidMappings: mappings given without a user namespace");
        for (int t = 0; t < _SPEC_NS_MAX; t++) {
                c->plan.ns_fds[t] = -EBADF;
                if (!l->namespaces[t].present)
                        continue;
                if (!l->namespaces[t].path) {
                        c->plan.clone_flags |= ns_flags[t];
                        continue;
                }
                int fd = open(l->namespaces[t].path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        return lade_error(err, errno, "linux.namespaces: %s namespace path '%s'",
                                          spec_namespace_type_to_string(t), l->namespaces[t].path);
                c->plan.ns_fds[t] = fd;
        }
        return 0;
}

/* Docker and runc allow the default devices even when the spec denies everything. */
static void add_default_device_rules(CreateCtx *c)
{
        static const SpecDeviceRule defaults[] = {
                { .allow = true, .type = 'c', .major = { true, 1 }, .minor = { true, 3 } },
                { .allow = true, .type = 'c', .major = { true, 1 }, .minor = { true, 5 } },
                { .allow = true, .type = 'c', .major = { true, 1 }, .minor = { true, 7 } },
                { .allow = true, .type = 'c', .major = { true, 1 }, .minor = { true, 8 } },
                { .allow = true, .type = 'c', .major = { true, 1 }, .minor = { true, 9 } },
                { .allow = true, .type = 'c', .major = { true, 5 }, .minor = { true, 0 } },
                { .allow = true, .type = 'c', .major = { true, 5 }, .minor = { true, 1 } },
                { .allow = true, .type = 'c', .major = { true, 5 }, .minor = { true, 2 } },
                { .allow = true, .type = 'c', .major = { true, 136 } },
        };
        SpecResources *src = c->spec->linux_.resources;
        if (!src)
                return;
        c->resources = xmalloc(sizeof(*c->resources));
        *c->resources = *src;
        if (!src->has_devices)
                return;
        size_t n = ELEMENTSOF(defaults) + src->n_devices + c->spec->linux_.n_devices;
        SpecDeviceRule *r = xmalloc0(n * sizeof(*r));
        size_t k = 0;
        for (size_t i = 0; i < src->n_devices; i++)
                r[k++] = src->devices[i];
        for (size_t i = 0; i < ELEMENTSOF(defaults); i++)
                r[k++] = defaults[i];
        for (size_t i = 0; i < c->spec->linux_.n_devices; i++) {
                const SpecDevice *d = &c->spec->linux_.devices[i];
                r[k++] = (SpecDeviceRule){ .allow = true, .type = d->type == 'u' ? 'c' : d->type,
                                           .major = { true, d->major }, .minor = { true, d->minor } };
        }
        c->resources->devices = r;
        c->resources->n_devices = k;
}

int plan_compile_seccomp(const Spec *spec, const char *state_root, SeccompProgram **ret, LadeError **err)
{
        json_t *obj = json_object_get(json_object_get(spec->json, "linux"), "seccomp");
        _cleanup_free_ char *text = obj ? json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        _cleanup_free_ char *dir = xasprintf("%s/.seccomp-cache", state_root);
        int r = state_root_prepare(&(RuntimeContext){ .state_root = state_root }, NULL);
        return seccomp_program_compile_cached(spec->linux_.seccomp, text, r == 0 ? dir : NULL, ret, err);
}

static int prepare_plan(CreateCtx *c, LadeError **err)
{
        InitPlan *p = &c->plan;
        const Spec *s = c->spec;
        p->spec = s;
        p->process = s->process;
        p->rootfs = c->rootfs;
        p->id = c->o->id;
        p->preserve_fds = c->o->preserve_fds;
        p->no_pivot = c->o->no_pivot;
        p->no_new_keyring = c->o->no_new_keyring;
        if (s->process->has_caps) {
                int r = caps_parse(&s->process->caps, &p->caps, err);
                if (r < 0)
                        return r;
                p->has_caps = true;
        }
        if (s->linux_.seccomp) {
                int r = plan_compile_seccomp(s, c->rt->state_root, &p->seccomp, err);
                if (r < 0)
                        return r;
        }
        p->parent_hooks = s->n_hooks[SPEC_HOOK_PRESTART] + s->n_hooks[SPEC_HOOK_CREATE_RUNTIME] > 0;
        p->wants_state = s->n_hooks[SPEC_HOOK_CREATE_CONTAINER] + s->n_hooks[SPEC_HOOK_START_CONTAINER] > 0 ||
                         (p->seccomp && seccomp_program_wants_notify(p->seccomp));
        p->two_stage = (p->clone_flags & CLONE_NEWTIME) != 0;
        for (int t = 0; t < _SPEC_NS_MAX; t++)
                p->two_stage = p->two_stage || p->ns_fds[t] >= 0;
        return 0;
}

static int prepare_stdio_and_sockets(CreateCtx *c, bool proxy_tty, LadeError **err)
{
        InitPlan *p = &c->plan;
        int r = console_prepare(p->process, c->o->console_socket, proxy_tty, &p->console_fd,
                                &c->console_peer, err);
        if (r < 0)
                return r;
        const SpecSeccomp *sc = c->spec->linux_.seccomp;
        if (sc && sc->listener_path && seccomp_program_wants_notify(p->seccomp)) {
                p->listener_fd = console_socket_connect(sc->listener_path, err);
                if (p->listener_fd < 0)
                        return lade_error_wrap(err, "linux.seccomp.listenerPath");
        }
        return sync_pair(&c->sock, &p->sync_fd, err);
}

static int make_state_dir(CreateCtx *c, LadeError **err)
{
        int r = state_root_prepare(c->rt, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *dir = xasprintf("%s/%s", c->rt->state_root, c->o->id);
        if (mkdir(dir, 0711) < 0) {
                if (errno == EEXIST)
                        return lade_error_msg(err, EEXIST, "container with id exists: %s", c->o->id);
                return lade_error(err, errno, "create state dir '%s'", dir);
        }
        c->state_dir_made = true;
        c->state_dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (c->state_dirfd < 0)
                return lade_error(err, errno, "open '%s'", dir);
        _cleanup_close_ int real = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        /* 0622 exactly (not umask'd): the init may be an unprivileged uid of a user namespace */
        if (real < 0 || mkfifoat(real, "exec.fifo", 0622) < 0 || fchmodat(real, "exec.fifo", 0622, 0) < 0)
                return lade_error(err, errno, "create exec.fifo");
        c->plan.fifo_fd = openat(real, "exec.fifo", O_PATH | O_CLOEXEC);
        if (c->plan.fifo_fd < 0)
                return lade_error(err, errno, "open exec.fifo");
        return 0;
}

static int make_cgroup(CreateCtx *c, LadeError **err)
{
        CgroupConfig cfg = { .root = c->rt->cgroup_root, .mode = -1, .path = c->spec->linux_.cgroups_path,
                             .id = c->o->id, .systemd = c->rt->systemd_cgroup };
        int r = cgroup_manager_create(&cfg, &c->cgroup, err);
        if (r < 0)
                return r;
        c->plan.cgroup = c->cgroup;
        add_default_device_rules(c);
        return 0;
}

static int write_map(pid_t pid, const char *file, const SpecIdMap *m, size_t n, LadeError **err)
{
        _cleanup_free_ char *text = xstrdup("");
        for (size_t i = 0; i < n; i++) {
                char *t = xasprintf("%s%u %u %u\n", text, m[i].container_id, m[i].host_id, m[i].size);
                free(text);
                text = t;
        }
        _cleanup_free_ char *path = xasprintf("/proc/%d/%s", (int) pid, file);
        int r = write_file_at(AT_FDCWD, path, text, err);
        if (r < 0)
                return lade_error_wrap(err, "linux.%s", streq(file, "uid_map") ? "uidMappings" : "gidMappings");
        return 0;
}

static int write_id_maps(CreateCtx *c, pid_t pid, LadeError **err)
{
        const SpecLinux *l = &c->spec->linux_;
        int r = write_map(pid, "uid_map", l->uid_mappings, l->n_uid_mappings, err);
        if (r < 0)
                return r;
        return write_map(pid, "gid_map", l->gid_mappings, l->n_gid_mappings, err);
}

static int write_time_offsets(const SpecLinux *l, LadeError **err)
{
        _cleanup_free_ char *text = xasprintf("monotonic %lld %u\nboottime %lld %u\n",
                                              (long long) l->time_monotonic.secs, l->time_monotonic.nanosecs,
                                              (long long) l->time_boottime.secs, l->time_boottime.nanosecs);
        return write_file_at(AT_FDCWD, "/proc/self/timens_offsets", text, err);
}

/* The intermediate process of the two-stage path: it joins/unshares namespaces that only
 * affect children (pid, time) or that must be entered before others (user), then clones the
 * init as a sibling (CLONE_PARENT) so the runtime can wait for it. */
_noreturn_ static void stage1_main(InitPlan *p)
{
        LadeError *e = NULL, **err = &e;
        SyncMsg m;
        if (sync_expect(p->sync_fd, SYNC_GO, &m, err) < 0)
                child_fail(p->sync_fd, e);
        if (p->ns_fds[SPEC_NS_USER] >= 0) {
                if (setns(p->ns_fds[SPEC_NS_USER], CLONE_NEWUSER) < 0)
                        child_fail(p->sync_fd, (lade_error(err, errno, "join user namespace"), e));
        } else if (p->clone_flags & CLONE_NEWUSER) {
                if (unshare(CLONE_NEWUSER) < 0)
                        child_fail(p->sync_fd, (lade_error(err, errno, "unshare user namespace"), e));
                if (sync_send(p->sync_fd, SYNC_NEED_MAPS, 0, NULL) < 0 ||
                    sync_expect(p->sync_fd, SYNC_MAPS_DONE, &m, err) < 0)
                        child_fail(p->sync_fd, e);
        }
        if ((p->clone_flags & CLONE_NEWUSER || p->ns_fds[SPEC_NS_USER] >= 0) && init_become_root(err) < 0)
                child_fail(p->sync_fd, e);
        if (init_join_namespaces(p, true, err) < 0)
                child_fail(p->sync_fd, e);
        if (unshare((int) (p->clone_flags & ~CLONE_NEWUSER)) < 0)
                child_fail(p->sync_fd, (lade_error(err, errno, "unshare namespaces"), e));
        if ((p->clone_flags & CLONE_NEWTIME) && write_time_offsets(&p->spec->linux_, err) < 0)
                child_fail(p->sync_fd, (lade_error_wrap(err, "linux.timeOffsets"), e));
        pid_t pid = raw_clone(CLONE_PARENT);
        if (pid < 0)
                child_fail(p->sync_fd, (lade_error(err, errno, "clone the container init"), e));
        if (pid == 0)
                linux_init_main(p);
        (void) sync_send(p->sync_fd, SYNC_PID, pid, NULL);
        _exit(0);
}

static void child_setup(CreateCtx *c)
{
        c->sock = safe_close(c->sock);
        c->console_peer = safe_close(c->console_peer);
        /* die with the runtime while it still drives us; cleared before "created" */
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (!(c->plan.clone_flags & CLONE_NEWUSER) && c->plan.ns_fds[SPEC_NS_USER] < 0)
                (void) prctl(PR_SET_DUMPABLE, 0);
}

static int enter_cgroup(CreateCtx *c, pid_t pid, LadeError **err)
{
        int r = cgroup_manager_enter(c->cgroup, pid, err);
        if (r < 0)
                return r;
        if (c->resources)
                return cgroup_manager_apply(c->cgroup, c->resources, err);
        return 0;
}

static int spawn(CreateCtx *c, LadeError **err)
{
        InitPlan *p = &c->plan;
        SyncMsg m;
        if (!p->two_stage) {
                c->init = raw_clone(p->clone_flags & ~CLONE_NEWCGROUP);
                if (c->init < 0)
                        return lade_error(err, errno, "clone the container init");
                if (c->init == 0) {
                        child_setup(c);
                        linux_init_main(p);
                }
                int r = enter_cgroup(c, c->init, err);
                if (r == 0 && (p->clone_flags & CLONE_NEWUSER))
                        r = write_id_maps(c, c->init, err);
                return r < 0 ? r : sync_send(c->sock, SYNC_GO, 0, NULL);
        }
        c->stage1 = raw_clone(0);
        if (c->stage1 < 0)
                return lade_error(err, errno, "fork");
        if (c->stage1 == 0) {
                child_setup(c);
                stage1_main(p);
        }
        int r = enter_cgroup(c, c->stage1, err);
        if (r < 0)
                return r;
        (void) sync_send(c->sock, SYNC_GO, 0, NULL);
        if ((p->clone_flags & CLONE_NEWUSER) && p->ns_fds[SPEC_NS_USER] < 0) {
                if ((r = sync_expect(c->sock, SYNC_NEED_MAPS, &m, err)) < 0 ||
                    (r = write_id_maps(c, c->stage1, err)) < 0)
                        return r;
                (void) sync_send(c->sock, SYNC_MAPS_DONE, 0, NULL);
        }
        r = sync_expect(c->sock, SYNC_PID, &m, err);
        if (r < 0)
                return r;
        c->init = m.value;
        (void) waitpid(c->stage1, NULL, 0);
        c->stage1 = 0;
        return 0;
}

/* The child has its copies now; ours would keep the sync socket from reporting EOF. */
static void close_child_ends(CreateCtx *c)
{
        InitPlan *p = &c->plan;
        p->sync_fd = safe_close(p->sync_fd);
        p->console_fd = safe_close(p->console_fd);
        p->listener_fd = safe_close(p->listener_fd);
        p->fifo_fd = safe_close(p->fifo_fd);
        for (int t = 0; t < _SPEC_NS_MAX; t++)
                p->ns_fds[t] = safe_close(p->ns_fds[t]);
}

static ContainerState make_state(const CreateCtx *c)
{
        return (ContainerState){ .id = (char *) c->o->id, .bundle = c->bundle, .rootfs = c->rootfs,
                                 .pid = c->init, .config = c->spec->json };
}

static char *state_text(const CreateCtx *c, ContainerStatus status)
{
        ContainerState st = make_state(c);
        _cleanup_json_ json_t *j = state_to_json(&st, status);
        return json_dump_compact(j);
}

static int drive_init(CreateCtx *c, LadeError **err)
{
        if (c->plan.wants_state) {
                _cleanup_free_ char *t = state_text(c, CONTAINER_CREATING);
                (void) sync_send(c->sock, SYNC_STATE, 0, t);
        }
        for (;;) {
                SyncMsg m;
                int r = sync_recv(c->sock, &m, NULL);
                if (r < 0)
                        return lade_error_msg(err, EPIPE, "container init exited during setup");
                if (m.type == SYNC_ERROR)
                        return lade_error_msg(err, m.value > 0 ? m.value : EIO, "%s", m.text);
                if (m.type == SYNC_CREATED)
                        return 0;
                if (m.type != SYNC_RUN_HOOKS)
                        return lade_error_msg(err, EPROTO, "unexpected message %d from container init", m.type);
                _cleanup_free_ char *t = state_text(c, CONTAINER_CREATING);
                r = hooks_run(c->spec, SPEC_HOOK_PRESTART, t, err);
                if (r == 0)
                        r = hooks_run(c->spec, SPEC_HOOK_CREATE_RUNTIME, t, err);
                if (r < 0)
                        return r;
                (void) sync_send(c->sock, SYNC_HOOKS_DONE, 0, NULL);
        }
}

static int write_pid_file(const char *path, pid_t pid, LadeError **err)
{
        char buf[32];
        int n = snprintf(buf, sizeof(buf), "%d", (int) pid);
        char abs[PATH_MAX];
        /* the pid file's directory must exist; write atomically next to it */
        _cleanup_free_ char *dir = xstrdup(path);
        char *slash = strrchr(dir, '/');
        const char *base = path;
        int dfd = AT_FDCWD;
        _cleanup_close_ int dirfd_ = -EBADF;
        if (slash) {
                *slash = '\0';
                if (!realpath(*dir ? dir : "/", abs))
                        return lade_error(err, errno, "pid file directory '%s'", dir);
                dirfd_ = open(abs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dirfd_ < 0)
                        return lade_error(err, errno, "open '%s'", abs);
                dfd = dirfd_;
                base = slash + 1;
        }
        int r = write_file_atomic_at(dfd, base, buf, (size_t) n, 0644, err);
        return r < 0 ? lade_error_wrap(err, "--pid-file") : 0;
}

static int finish_create(CreateCtx *c, LadeError **err)
{
        ContainerState st = make_state(c);
        st.start_time = proc_start_time(c->init);
        st.created = format_rfc3339_now();
        st.cgroup = cgroup_manager_to_json(c->cgroup);
        int r = state_save(c->state_dirfd, &st, err);
        free(st.created);
        json_decref(st.cgroup);
        if (r < 0)
                return r;
        if (c->o->pid_file)
                return write_pid_file(c->o->pid_file, c->init, err);
        return 0;
}

static int create_internal(CreateCtx *c, bool proxy_tty, LadeError **err)
{
        int r;
        if ((r = container_id_validate(c->o->id, err)) < 0 || (r = load_bundle(c, err)) < 0 ||
            (r = check_namespaces(c, err)) < 0 || (r = prepare_plan(c, err)) < 0 ||
            (r = prepare_stdio_and_sockets(c, proxy_tty, err)) < 0 || (r = make_state_dir(c, err)) < 0 ||
            (r = make_cgroup(c, err)) < 0 || (r = spawn(c, err)) < 0 ||
            (close_child_ends(c), r = drive_init(c, err)) < 0 ||
            (r = finish_create(c, err)) < 0)
                return r;
        return 0;
}

static void create_ctx_init(CreateCtx *c, const RuntimeContext *rt, const CreateOptions *o)
{
        *c = (CreateCtx){ .rt = rt, .o = o, .state_dirfd = -EBADF, .sock = -EBADF, .console_peer = -EBADF };
        c->plan.sync_fd = c->plan.fifo_fd = c->plan.console_fd = c->plan.listener_fd = -EBADF;
        for (int t = 0; t < _SPEC_NS_MAX; t++)
                c->plan.ns_fds[t] = -EBADF;
}

int container_create(const RuntimeContext *rt, const CreateOptions *o, LadeError **err)
{
        CreateCtx c;
        create_ctx_init(&c, rt, o);
        int r = create_internal(&c, false, err);
        create_ctx_done(&c, r < 0);
        return r;
}

int container_create_child(const RuntimeContext *rt, const CreateOptions *o, pid_t *ret_pid,
                           int *ret_master, LadeError **err)
{
        CreateCtx c;
        create_ctx_init(&c, rt, o);
        int r = create_internal(&c, true, err);
        pid_t pid = c.init;
        _cleanup_close_ int peer = TAKE_FD(c.console_peer);
        create_ctx_done(&c, r < 0);
        if (r < 0)
                return r;
        int master = -EBADF;
        if (peer >= 0 && (master = console_recv_master(peer, err)) < 0) {
                (void) container_delete(rt, o->id, true, NULL);
                return master;
        }
        *ret_pid = pid;
        *ret_master = master;
        return 0;
}

int container_run(const RuntimeContext *rt, const CreateOptions *o, int *ret_status, LadeError **err)
{
        CreateCtx c;
        create_ctx_init(&c, rt, o);
        /* block now so no signal meant for the container is lost between start and the loop */
        sigset_t all, old;
        sigfillset(&all);
        if (!o->detach)
                sigprocmask(SIG_BLOCK, &all, &old);
        _cleanup_close_ int master = -EBADF;
        int r = create_internal(&c, !o->detach, err);
        pid_t pid = c.init;
        _cleanup_close_ int peer = TAKE_FD(c.console_peer);
        create_ctx_done(&c, r < 0);
        if (r < 0)
                goto out;
        if (peer >= 0 && (master = console_recv_master(peer, err)) < 0) {
                r = master;
                (void) container_delete(rt, o->id, true, NULL);
                goto out;
        }
        r = container_start(rt, o->id, err);
        if (r < 0 || o->detach) {
                if (r < 0)
                        (void) container_delete(rt, o->id, true, NULL);
                goto out;
        }
        if (master >= 0)
                (void) console_proxy_master(master, pid, ret_status);
        else
                *ret_status = wait_forwarding_signals(pid);
        (void) container_delete(rt, o->id, true, NULL);
out:
        if (!o->detach)
                sigprocmask(SIG_SETMASK, &old, NULL);
        return r;
}

/* Operations on an existing container, each one a short-lived runtime process that reloads the
 * state from disk: start, state, list, kill, delete, pause, resume, update, pids. */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "container-internal.h"
#include "json-util.h"
#include "log.h"
#include "util.h"

typedef struct Loaded {
        ContainerState *st;
        int dirfd;
        ContainerStatus status;
} Loaded;

static void loaded_done(Loaded *l)
{
        l->st = container_state_free(l->st);
        l->dirfd = safe_close(l->dirfd);
}

static int load(const RuntimeContext *rt, const char *id, Loaded *l, LadeError **err)
{
        *l = (Loaded){ .dirfd = -EBADF };
        int r = state_load(rt, id, &l->st, err);
        if (r < 0)
                return r;
        l->dirfd = state_dir_open(rt, id, err);
        if (l->dirfd < 0) {
                r = l->dirfd;
                loaded_done(l);
                return r;
        }
        l->status = state_status(l->dirfd, l->st);
        return 0;
}

static int load_spec(const ContainerState *st, Spec **ret, LadeError **err)
{
        if (!st->config)
                return lade_error_msg(err, EINVAL, "container %s has no saved config", st->id);
        _cleanup_free_ char *text = json_dump_compact(st->config);
        return spec_parse(text, strlen(text), ret, err);
}

static int run_hooks_json(const ContainerState *st, SpecHookKind kind, ContainerStatus status)
{
        /* start and delete run on every container: only parse the saved config when it has hooks
         * of this kind */
        json_t *hooks = st->config ? json_object_get(json_object_get(st->config, "hooks"),
                                                     spec_hook_kind_to_string(kind)) : NULL;
        if (json_array_size(hooks) == 0)
                return 0;
        _cleanup_(spec_freep) Spec *spec = NULL;
        _cleanup_(lade_error_freep) LadeError *e = NULL;
        if (load_spec(st, &spec, &e) < 0 || spec->n_hooks[kind] == 0)
                return 0;
        _cleanup_json_ json_t *j = state_to_json(st, status);
        _cleanup_free_ char *text = json_dump_compact(j);
        int r = hooks_run(spec, kind, text, &e);
        if (r < 0)
                log_warning("%s, ignoring", lade_error_message(e));
        return r;
}

/* Opens the fifo without blocking and waits for the init's "0", watching that it lives. */
static int release_init(const Loaded *l, LadeError **err)
{
        _cleanup_close_ int fd = openat(l->dirfd, "exec.fifo", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return lade_error(err, errno, "open exec.fifo");
        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                int k = poll(&p, 1, 100);
                if (k < 0 && errno != EINTR)
                        return lade_error(err, errno, "poll exec.fifo");
                if (k > 0) {
                        char c;
                        ssize_t n = read(fd, &c, 1);
                        if (n == 1)
                                break;
                        if (n < 0 && errno != EAGAIN)
                                return lade_error(err, errno, "read exec.fifo");
                }
                if (proc_start_time(l->st->pid) == 0)
                        return lade_error_msg(err, ESRCH, "container init exited before start");
        }
        /* the fifo's absence is what marks the container as started */
        _cleanup_close_ int d = openat(l->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (d < 0 || unlinkat(d, "exec.fifo", 0) < 0)
                return lade_error(err, errno, "remove exec.fifo");
        return 0;
}

int container_start(const RuntimeContext *rt, const char *id, LadeError **err)
{
        _cleanup_(loaded_done) Loaded l = { .dirfd = -EBADF };
        int r = load(rt, id, &l, err);
        if (r < 0)
                return r;
        if (l.status == CONTAINER_STOPPED)
                return lade_error_msg(err, EINVAL, "cannot start a container that has stopped");
        if (l.status != CONTAINER_CREATED)
                return lade_error_msg(err, EINVAL, "cannot start an already running container");
        r = release_init(&l, err);
        if (r < 0)
                return r;
        (void) run_hooks_json(l.st, SPEC_HOOK_POSTSTART, CONTAINER_RUNNING);
        return 0;
}

int container_state(const RuntimeContext *rt, const char *id, json_t **ret, LadeError **err)
{
        _cleanup_(loaded_done) Loaded l = { .dirfd = -EBADF };
        int r = load(rt, id, &l, err);
        if (r < 0)
                return r;
        *ret = state_to_json(l.st, l.status);
        return 0;
}

int container_config(const RuntimeContext *rt, const char *id, json_t **ret, LadeError **err)
{
        _cleanup_(container_state_freep) ContainerState *st = NULL;
        int r = state_load(rt, id, &st, err);
        if (r < 0)
                return r;
        if (!st->config)
                return lade_error_msg(err, EINVAL, "container %s has no saved config", id);
        *ret = json_incref(st->config);
        return 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int container_list(const RuntimeContext *rt, json_t **ret, LadeError **err)
{
        json_t *arr = json_array();
        _cleanup_closedir_ DIR *d = opendir(rt->state_root);
        if (!d) {
                if (errno == ENOENT) {
                        *ret = arr;
                        return 0;
                }
                json_decref(arr);
                return lade_error(err, errno, "open state root '%s'", rt->state_root);
        }
        _cleanup_strv_free_ char **ids = NULL;
        struct dirent *de;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.' && container_id_validate(de->d_name, NULL) == 0)
                        ids = strv_append(ids, de->d_name);
        if (ids)
                qsort(ids, strv_length(ids), sizeof(char *), cmp_str);
        for (char **i = ids; i && *i; i++) {
                json_t *s = NULL;
                if (container_state(rt, *i, &s, NULL) == 0)
                        json_array_append_new(arr, s);
        }
        *ret = arr;
        return 0;
}

int container_kill(const RuntimeContext *rt, const char *id, int sig, bool all, LadeError **err)
{
        _cleanup_(loaded_done) Loaded l = { .dirfd = -EBADF };
        int r = load(rt, id, &l, err);
        if (r < 0)
                return r;
        if (all) {
                _cleanup_(cgroup_manager_freep) CgroupManager *cg = NULL;
                r = cgroup_reopen(l.st, &cg, err);
                if (r < 0)
                        return r;
                return cgroup_manager_kill_all(cg, sig, err);
        }
        if (l.status == CONTAINER_STOPPED)
                return lade_error_msg(err, ESRCH, "container not running");
        if (kill(l.st->pid, sig) < 0)
                return lade_error(err, errno, "kill container %s", id);
        return 0;
}

static void wait_gone(pid_t pid, uint64_t start_time)
{
        for (int i = 0; i < 1000; i++) {
                uint64_t st = proc_start_time(pid);
                if (st == 0 || st != start_time)
                        return;
                /* reap it if it is our own child (run) */
                (void) waitpid(pid, NULL, WNOHANG);
                usleep(1000 * (i < 50 ? 1 : 10));
        }
}

int container_delete(const RuntimeContext *rt, const char *id, bool force, LadeError **err)
{
        _cleanup_(loaded_done) Loaded l = { .dirfd = -EBADF };
        int r = load(rt, id, &l, err);
        if (r == -ENOENT && force) {
                if (err)
                        lade_error_freep(err);
                return 0;
        }
        if (r < 0)
                return r;
        if (l.status != CONTAINER_STOPPED && l.status != CONTAINER_CREATED && !force)
                return lade_error_msg(err, EBUSY, "cannot delete container %s that is not stopped: %s",
                                      id, container_status_to_string(l.status));
        _cleanup_(cgroup_manager_freep) CgroupManager *cg = NULL;
        bool have_cg = cgroup_reopen(l.st, &cg, NULL) == 0;
        if (l.status != CONTAINER_STOPPED) {
                if (have_cg)
                        (void) cgroup_manager_kill_all(cg, SIGKILL, NULL);
                (void) kill(l.st->pid, SIGKILL);
                wait_gone(l.st->pid, l.st->start_time);
        }
        if (have_cg && (r = cgroup_manager_destroy(cg, err)) < 0)
                return lade_error_wrap(err, "delete container %s", id);
        (void) run_hooks_json(l.st, SPEC_HOOK_POSTSTOP, CONTAINER_STOPPED);
        _cleanup_free_ char *dir = xasprintf("%s/%s", rt->state_root, id);
        r = rm_rf_at(AT_FDCWD, dir);
        if (r < 0)
                return lade_error(err, -r, "remove state of container %s", id);
        return 0;
}

static int with_cgroup(const RuntimeContext *rt, const char *id, bool need_running, Loaded *l,
                       CgroupManager **ret, LadeError **err)
{
        int r = load(rt, id, l, err);
        if (r < 0)
                return r;
        if (need_running && l->status == CONTAINER_STOPPED)
                return lade_error_msg(err, EINVAL, "container %s is not running", id);
        return cgroup_reopen(l->st, ret, err);
}

/* pause needs a running container, resume a paused one. */
static int set_frozen(const RuntimeContext *rt, const char *id, bool freeze, LadeError **err)
{
        _cleanup_(loaded_done) Loaded l = { .dirfd = -EBADF };
        _cleanup_(cgroup_manager_freep) CgroupManager *cg = NULL;
        int r = with_cgroup(rt, id, true, &l, &cg, err);
        if (r < 0)
                return r;
        if (l.status != (freeze ? CONTAINER_RUNNING : CONTAINER_PAUSED))
                return lade_error_msg(err, EINVAL, "container %s is not %s", id, freeze ? "running" : "paused");
        return cgroup_manager_freeze(cg, freeze, err);
}

int container_pause(const RuntimeContext *rt, const char *id, LadeError **err)
{
        return set_frozen(rt, id, true, err);
}

int container_resume(const RuntimeContext *rt, const char *id, LadeError **err)
{
        return set_frozen(rt, id, false, err);
}

int container_update(const RuntimeContext *rt, const char *id, const SpecResources *res,
                     LadeError **err)
{
        _cleanup_(loaded_done) Loaded l = { .dirfd = -EBADF };
        _cleanup_(cgroup_manager_freep) CgroupManager *cg = NULL;
        int r = with_cgroup(rt, id, false, &l, &cg, err);
        if (r < 0)
                return r;
        return cgroup_manager_apply(cg, res, err);
}

int container_stats(const RuntimeContext *rt, const char *id, CgroupStats *ret, LadeError **err)
{
        _cleanup_(loaded_done) Loaded l = { .dirfd = -EBADF };
        _cleanup_(cgroup_manager_freep) CgroupManager *cg = NULL;
        int r = with_cgroup(rt, id, false, &l, &cg, err);
        if (r < 0)
                return r;
        return cgroup_manager_stats(cg, ret, err);
}

int container_pids(const RuntimeContext *rt, const char *id, pid_t **ret, size_t *ret_n,
                   LadeError **err)
{
        _cleanup_(loaded_done) Loaded l = { .dirfd = -EBADF };
        _cleanup_(cgroup_manager_freep) CgroupManager *cg = NULL;
        int r = with_cgroup(rt, id, false, &l, &cg, err);
        if (r < 0)
                return r;
        return cgroup_manager_pids(cg, ret, ret_n, err);
}

/* Container state on disk: <state_root>/<id>/state.json (+ exec.fifo while created).
 * Invariant: status is never stored; it is derived from the live process (pid + its start time,
 * so a reused pid reads as stopped), the fifo (created) and the freezer (paused). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "config.h"
#include "container-internal.h"
#include "json-util.h"
#include "log.h"
#include "util.h"

#define STATE_MAX_BYTES (32u * 1024 * 1024)

const char *container_status_to_string(ContainerStatus s)
{
        static const char *const names[] = { "creating", "created", "running", "paused", "stopped" };
        return s >= 0 && s < _CONTAINER_STATUS_MAX ? names[s] : "unknown";
}

int container_id_validate(const char *id, LadeError **err)
{
        if (!id || !*id)
                return lade_error_msg(err, EINVAL, "container id cannot be empty");
        if (streq(id, ".") || streq(id, "..") || strlen(id) > 1024)
                return lade_error_msg(err, EINVAL, "invalid container id format: %s", id);
        for (const char *c = id; *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                      *c == '_' || *c == '+' || *c == '-' || *c == '.'))
                        return lade_error_msg(err, EINVAL, "invalid container id format: %s", id);
        return 0;
}

int state_root_prepare(const RuntimeContext *ctx, LadeError **err)
{
        int r = mkdir_p(ctx->state_root, 0711);
        if (r < 0)
                return lade_error(err, -r, "create state root '%s'", ctx->state_root);
        return 0;
}

int state_dir_open(const RuntimeContext *ctx, const char *id, LadeError **err)
{
        int r = container_id_validate(id, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *p = xasprintf("%s/%s", ctx->state_root, id);
        int fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0 && errno == ENOENT)
                return lade_error_msg(err, ENOENT, "container %s does not exist", id);
        if (fd < 0)
                return lade_error(err, errno, "open state of container %s", id);
        return fd;
}

ContainerState *container_state_free(ContainerState *s)
{
        if (!s)
                return NULL;
        free(s->id);
        free(s->bundle);
        free(s->rootfs);
        free(s->created);
        json_decref(s->config);
        json_decref(s->cgroup);
        free(s);
        return NULL;
}

static char *dup_str(json_t *o, const char *key)
{
        const char *v = json_string_value(json_object_get(o, key));
        return v ? xstrdup(v) : NULL;
}

int state_load(const RuntimeContext *ctx, const char *id, ContainerState **ret, LadeError **err)
{
        _cleanup_close_ int dfd = state_dir_open(ctx, id, err);
        if (dfd < 0)
                return dfd;
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = read_file_at(dfd, "state.json", STATE_MAX_BYTES, &text, &len, NULL);
        if (r == -ENOENT)
                return lade_error_msg(err, ENOENT, "container %s does not exist", id);
        if (r < 0)
                return lade_error(err, -r, "read state of container %s", id);
        _cleanup_json_ json_t *j = NULL;
        r = json_parse_text(text, len, "state.json", &j, err);
        if (r < 0)
                return r;
        ContainerState *s = xmalloc0(sizeof(*s));
        s->id = dup_str(j, "id");
        s->bundle = dup_str(j, "bundle");
        s->rootfs = dup_str(j, "rootfs");
        s->created = dup_str(j, "created");
        s->pid = (pid_t) json_integer_value(json_object_get(j, "pid"));
        s->start_time = (uint64_t) json_integer_value(json_object_get(j, "lade_start_time"));
        s->started = json_is_true(json_object_get(j, "lade_started"));
        s->config = json_incref(json_object_get(j, "lade_config"));
        s->cgroup = json_incref(json_object_get(j, "lade_cgroup"));
        if (!s->id)
                s->id = xstrdup(id);
        *ret = s;
        return 0;
}

int state_save(int dirfd, const ContainerState *s, LadeError **err)
{
        _cleanup_json_ json_t *j = state_to_json(s, CONTAINER_CREATED);
        json_object_del(j, "status");
        json_object_set_new(j, "lade_start_time", json_integer((json_int_t) s->start_time));
        json_object_set_new(j, "lade_started", json_boolean(s->started));
        if (s->config)
                json_object_set(j, "lade_config", s->config);
        if (s->cgroup)
                json_object_set(j, "lade_cgroup", s->cgroup);
        _cleanup_free_ char *text = json_dump_compact(j);
        return write_file_atomic_at(dirfd, "state.json", text, strlen(text), 0600, err);
}

uint64_t proc_start_time(pid_t pid)
{
        char path[64], buf[2048];
        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        ssize_t n = read_all(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return 0;
        buf[n] = '\0';
        /* comm may contain spaces and parens: fields start after the last ')' */
        char *p = strrchr(buf, ')');
        if (!p)
                return 0;
        char state = 0;
        unsigned long long st = 0;
        /* field 3 is state, 22 is starttime */
        if (sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
                   &state, &st) != 2)
                return 0;
        if (state == 'Z' || state == 'X')
                return 0;
        return st;
}

ContainerStatus state_status(int dirfd, const ContainerState *s)
{
        if (s->pid <= 0)
                return CONTAINER_STOPPED;
        uint64_t st = proc_start_time(s->pid);
        if (st == 0 || (s->start_time && st != s->start_time))
                return CONTAINER_STOPPED;
        struct stat sb;
        if (fstatat(dirfd, "exec.fifo", &sb, AT_SYMLINK_NOFOLLOW) == 0)
                return CONTAINER_CREATED;
        _cleanup_(cgroup_manager_freep) CgroupManager *cg = NULL;
        bool frozen = false;
        if (cgroup_reopen(s, &cg, NULL) == 0 && cgroup_manager_is_frozen(cg, &frozen, NULL) == 0 &&
            frozen)
                return CONTAINER_PAUSED;
        return CONTAINER_RUNNING;
}

int cgroup_reopen(const ContainerState *s, CgroupManager **ret, LadeError **err)
{
        if (!s->cgroup)
                return lade_error_msg(err, ENOENT, "container %s has no cgroup", s->id);
        return cgroup_manager_from_json(s->cgroup, ret, err);
}

json_t *state_to_json(const ContainerState *s, ContainerStatus status)
{
        json_t *j = json_object();
        json_object_set_new(j, "ociVersion", json_string(LADE_OCI_VERSION));
        json_object_set_new(j, "id", json_string(s->id));
        json_object_set_new(j, "pid", json_integer(status == CONTAINER_STOPPED ? 0 : s->pid));
        json_object_set_new(j, "status", json_string(container_status_to_string(status)));
        json_object_set_new(j, "bundle", json_string(s->bundle ? s->bundle : ""));
        json_object_set_new(j, "rootfs", json_string(s->rootfs ? s->rootfs : ""));
        json_object_set_new(j, "created", json_string(s->created ? s->created : ""));
        json_t *ann = s->config ? json_object_get(s->config, "annotations") : NULL;
        if (json_is_object(ann) && json_object_size(ann) > 0)
                json_object_set(j, "annotations", ann);
        json_object_set_new(j, "owner", json_string(""));
        return j;
}

char *format_rfc3339_now(void)
{
        struct timespec ts;
        struct tm tm;
        char buf[64];
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
        return xasprintf("%s.%09ldZ", buf, ts.tv_nsec);
}

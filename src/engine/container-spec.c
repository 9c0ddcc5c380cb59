/* Docker's container-create request + the image config -> the OCI runtime spec dockerd would hand
 * to runc (moby v28: daemon/oci_linux.go createSpec and what it calls). This file owns the entry
 * point, the process (entrypoint/cmd, environment, working dir, user, terminal, rlimits, OOM
 * score), root, hostname and annotations; the other container-spec-*.c files own one part each
 * (security, seccomp, mounts, network files, linux resources/namespaces, devices, user lookup).
 *
 * What stays true: the request is only read (borrowed); the rootfs is only touched through
 * fs-safe's scoped lookups (reading /etc/passwd and /etc/group, creating the working dir as
 * dockerd does); the only files written are the three network files in state_dir and, like
 * dockerd's `-v`, a missing bind source directory on the host. */
#include <ctype.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "config.h"
#include "container-spec-internal.h"
#include "fs-safe.h"
#include "json-util.h"
#include "util.h"

#define DEFAULT_PATH_ENV "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define DEFAULT_SHM_SIZE 67108864 /* 64MB */
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static void spec_build_done(SpecBuild *b)
{
        json_decref(b->host);
        json_decref(b->spec);
        free(b->hostname);
        strv_free(b->caps);
        free(b->sec.seccomp);
        free(b->sec.apparmor);
}

/* ---- setup: the modes and defaults every part needs ---- */

static int read_modes(SpecBuild *b, LadeError **err)
{
        int r = cspec_string(b->host, "HostConfig", "NetworkMode", &b->network_mode, err);
        if (r >= 0)
                r = cspec_string(b->host, "HostConfig", "IpcMode", &b->ipc_mode, err);
        if (r >= 0)
                r = cspec_string(b->host, "HostConfig", "PidMode", &b->pid_mode, err);
        if (r >= 0)
                r = cspec_string(b->host, "HostConfig", "UTSMode", &b->uts_mode, err);
        if (r >= 0)
                r = cspec_string(b->host, "HostConfig", "CgroupnsMode", &b->cgroupns_mode, err);
        if (r >= 0)
                r = cspec_bool(b->host, "HostConfig", "Privileged", &b->privileged, err);
        if (r >= 0)
                r = cspec_int(b->host, "HostConfig", "ShmSize", &b->shm_size, err);
        if (r < 0)
                return r;
        struct statfs fs;
        b->cgroup2 = statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
        /* adaptContainerSettings' defaults */
        if (b->shm_size == 0)
                b->shm_size = DEFAULT_SHM_SIZE;
        if (!b->ipc_mode || !*b->ipc_mode)
                b->ipc_mode = "private";
        if (!b->cgroupns_mode || !*b->cgroupns_mode)
                b->cgroupns_mode = b->cgroup2 ? "private" : "host";
        if (!b->network_mode)
                b->network_mode = "";
        return 0;
}

/* Config.Hostname, or the host's name with --network host, else the short id. (With
 * --network container:X dockerd takes X's name, which only the caller could know.) */
static int read_names(SpecBuild *b, LadeError **err)
{
        const char *h;
        int r = cspec_string(b->create, "", "Hostname", &h, err);
        if (r >= 0)
                r = cspec_string(b->create, "", "Domainname", &b->domainname, err);
        if (r < 0)
                return r;
        char host[256] = "";
        if ((!h || !*h) && streq(b->network_mode, "host") &&
            gethostname(host, sizeof(host) - 1) == 0)
                h = host;
        b->hostname = h && *h ? xstrdup(h) : xstrndup(b->in->id, 12);
        return 0;
}

static int build_init(SpecBuild *b, const SpecInputs *in, LadeError **err)
{
        b->in = in;
        b->create = in->create;
        if (!json_is_object(in->create) || !in->rootfs || !in->id || strlen(in->id) < 12)
                return lade_error_msg(err, EINVAL, "container spec: incomplete inputs");
        json_t *host;
        int r = cspec_object(in->create, "", "HostConfig", &host, err);
        if (r < 0)
                return r;
        b->host = host ? json_incref(host) : json_object();
        r = read_modes(b, err);
        if (r >= 0)
                r = read_names(b, err);
        if (r >= 0)
                r = cspec_parse_security_opts(b, err);
        return r;
}

/* ---- process ---- */

/* dockerd's merge + getEntrypointAndArgs: a request Entrypoint replaces the image's and then
 * drops the image's Cmd unless the request has one; [""] resets the entrypoint. */
static int build_args(SpecBuild *b, json_t *process, LadeError **err)
{
        _cleanup_strv_free_ char **ep = NULL, **cmd = NULL;
        const ImageConfig *img = b->in->image;
        int r = cspec_strv(b->create, "", "Entrypoint", &ep, err);
        if (r >= 0)
                r = cspec_strv(b->create, "", "Cmd", &cmd, err);
        if (r < 0)
                return r;
        if (strv_length(ep) == 0) {
                if (strv_length(cmd) == 0 && img) {
                        strv_free(cmd);
                        cmd = strv_copy(img->cmd);
                }
                if (!ep && img)
                        ep = strv_copy(img->entrypoint);
        }
        if (strv_length(ep) == 1 && !*ep[0])
                ep = strv_free(ep);
        if (strv_length(ep) == 0 && strv_length(cmd) == 0)
                return lade_error_msg(err, EINVAL, "no command specified");
        json_t *args = json_array();
        for (char **a = ep; a && *a; a++)
                json_array_append_new(args, json_string(*a));
        for (char **a = cmd; a && *a; a++)
                json_array_append_new(args, json_string(*a));
        json_object_set_new(process, "args", args);
        return 0;
}

static size_t env_key_len(const char *e)
{
        const char *eq = strchr(e, '=');
        return eq ? (size_t) (eq - e) : strlen(e);
}

static bool env_same_key(const char *a, const char *b)
{
        size_t n = env_key_len(a);
        return n == env_key_len(b) && strncmp(a, b, n) == 0;
}

/* merge(): the request's Env, then the image's entries for keys the request does not set. */
static char **merged_env(char **user, char *const *image)
{
        if (strv_length(user) == 0)
                return strv_copy(image);
        char **out = strv_copy(user);
        for (char *const *i = image; i && *i; i++) {
                bool found = false;
                for (char **u = user; *u && !found; u++)
                        found = env_same_key(*i, *u);
                if (!found)
                        out = strv_append(out, *i);
        }
        return out;
}

char **container_spec_merge_env(char **user, char *const *image)
{
        return merged_env(user, image);
}

/* ReplaceOrAppendEnvValues(defaults, env): KEY=v replaces a default or is appended; a bare KEY
 * removes a default. Only the defaults' keys are looked up (moby's cache), also once removed. */
static json_t *env_json(char **defaults, size_t n_defaults, char *const *env)
{
        char *keys[4];
        memcpy(keys, defaults, n_defaults * sizeof(char *));
        size_t n = n_defaults;
        for (char *const *e = env; e && *e; e++) {
                size_t i = 0;
                while (i < n_defaults && !env_same_key(keys[i], *e))
                        i++;
                if (!strchr(*e, '=')) {
                        if (i < n_defaults)
                                defaults[i] = NULL;
                } else if (i < n_defaults) {
                        defaults[i] = *e;
                } else {
                        defaults[n++] = *e;
                }
        }
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++)
                if (defaults[i])
                        json_array_append_new(a, json_string(defaults[i]));
        return a;
}

static int build_env(SpecBuild *b, json_t *process, bool tty, LadeError **err)
{
        _cleanup_strv_free_ char **user = NULL, **env = NULL;
        int r = cspec_strv(b->create, "", "Env", &user, err);
        if (r < 0)
                return r;
        for (char **e = user; e && *e; e++)
                if (env_key_len(*e) == 0)
                        return lade_error_msg(err, EINVAL, "invalid environment variable: %s", *e);
        env = merged_env(user, b->in->image ? b->in->image->env : NULL);
        _cleanup_free_ char *hostname = xasprintf("HOSTNAME=%s", b->hostname);
        size_t n = 0, max = 3 + strv_length(env);
        _cleanup_free_ char **defaults = xmalloc0(max * sizeof(char *));
        defaults[n++] = (char *) DEFAULT_PATH_ENV;
        defaults[n++] = hostname;
        if (tty)
                defaults[n++] = (char *) "TERM=xterm";
        json_object_set_new(process, "env", env_json(defaults, n, env));
        return 0;
}

/* Config.WorkingDir (absolute, cleaned) or the image's, else "/"; created in the rootfs as
 * dockerd's SetupWorkingDirectory does. */
static int build_cwd(SpecBuild *b, json_t *process, LadeError **err)
{
        const char *wd;
        int r = cspec_string(b->create, "", "WorkingDir", &wd, err);
        if (r < 0)
                return r;
        if (wd && *wd && wd[0] != '/')
                return lade_error_msg(err, EINVAL,
                                      "the working directory '%s' is invalid, it needs "
                                      "to be an absolute path",
                                      wd);
        if ((!wd || !*wd) && b->in->image)
                wd = b->in->image->working_dir;
        _cleanup_free_ char *clean = wd && *wd ? cspec_path_clean(wd) : xstrdup("/");
        if (wd && *wd) {
                _cleanup_close_ int rootfd = open(b->in->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (rootfd < 0)
                        return lade_error(err, errno, "open the rootfs '%s'", b->in->rootfs);
                _cleanup_close_ int fd = fs_mkdir_p_in_root(rootfd, clean, 0755, NULL);
                if (fd < 0 && fd == -ENOTDIR)
                        return lade_error_msg(err, ENOTDIR, "Cannot mkdir: %s is not a directory",
                                              wd);
                if (fd < 0)
                        return lade_error(err, -fd, "create the working directory '%s'", clean);
        }
        json_object_set_new(process, "cwd", json_string(clean));
        return 0;
}

static int build_terminal(SpecBuild *b, json_t *process, bool *ret_tty, LadeError **err)
{
        json_t *size;
        int r = cspec_bool(b->create, "", "Tty", ret_tty, err);
        if (r >= 0)
                r = cspec_array(b->host, "HostConfig", "ConsoleSize", &size, err);
        if (r < 0)
                return r;
        json_object_set_new(process, "terminal", json_boolean(*ret_tty));
        json_int_t h = json_integer_value(json_array_get(size, 0));
        json_int_t w = json_integer_value(json_array_get(size, 1));
        if (*ret_tty && (h > 0 || w > 0))
                json_object_set_new(process, "consoleSize",
                                    json_pack("{s:I, s:I}", "height", h, "width", w));
        return 0;
}

static int build_process(SpecBuild *b, json_t *process, LadeError **err)
{
        bool tty;
        const char *user;
        json_t *u = NULL;
        int r = build_terminal(b, process, &tty, err);
        if (r >= 0)
                r = cspec_string(b->create, "", "User", &user, err);
        if (r >= 0)
                r = cspec_user(b, user && *user ? user : b->in->image ? b->in->image->user : NULL,
                               &u, err);
        if (r < 0)
                return r;
        json_object_set_new(process, "user", u);
        r = build_args(b, process, err);
        if (r >= 0)
                r = build_env(b, process, tty, err);
        return r < 0 ? r : build_cwd(b, process, err);
}

/* HostConfig.Ulimits ([{Name, Soft, Hard}]) and OomScoreAdj (always set, as dockerd does). */
static int build_limits(SpecBuild *b, json_t *process, LadeError **err)
{
        json_t *list, *u;
        size_t i;
        int64_t oom;
        int r = cspec_array(b->host, "HostConfig", "Ulimits", &list, err);
        json_t *rlimits = json_array();
        json_array_foreach(list, i, u) {
                const char *name = NULL;
                int64_t soft = 0, hard = 0;
                if (r >= 0)
                        r = cspec_string(u, "HostConfig.Ulimits", "Name", &name, err);
                if (r >= 0)
                        r = cspec_int(u, "HostConfig.Ulimits", "Soft", &soft, err);
                if (r >= 0)
                        r = cspec_int(u, "HostConfig.Ulimits", "Hard", &hard, err);
                if (r < 0)
                        break;
                _cleanup_free_ char *type = xasprintf("RLIMIT_%s", name ? name : "");
                for (char *p = type; *p; p++)
                        *p = (char) toupper((unsigned char) *p);
                /* uint64(-1) is 18446744073709551615 in dockerd's spec: unlimited */
                json_array_append_new(rlimits, json_pack("{s:s, s:o, s:o}", "type", type, "hard",
                                                         cspec_json_u64((uint64_t) hard), "soft",
                                                         cspec_json_u64((uint64_t) soft)));
        }
        if (r >= 0 && json_array_size(rlimits) > 0)
                json_object_set(process, "rlimits", rlimits);
        json_decref(rlimits);
        if (r >= 0)
                r = cspec_int(b->host, "HostConfig", "OomScoreAdj", &oom, err);
        if (r >= 0)
                json_object_set_new(process, "oomScoreAdj", json_integer(oom));
        return r;
}

/* ---- the document ---- */

static int build_annotations(SpecBuild *b, LadeError **err)
{
        json_t *a;
        int r = cspec_object(b->host, "HostConfig", "Annotations", &a, err);
        const char *k;
        json_t *v;
        json_object_foreach(a, k, v)
                if (r >= 0 && !json_is_string(v))
                        r = lade_error_msg(err, EINVAL,
                                           "HostConfig.Annotations.%s: expected a string, "
                                           "got %s",
                                           k, json_type_name(v));
        if (r >= 0 && json_object_size(a) > 0)
                json_object_set_new(b->spec, "annotations", json_deep_copy(a));
        return r;
}

static json_t *root_json(SpecBuild *b)
{
        bool ro = false;
        (void) cspec_bool(b->host, "HostConfig", "ReadonlyRootfs", &ro, NULL);
        json_t *root = json_pack("{s:s}", "path", b->in->rootfs);
        if (ro)
                json_object_set_new(root, "readonly", json_true());
        return root;
}

static int build_document(SpecBuild *b, LadeError **err)
{
        json_t *process = json_object(), *linux_ = json_object();
        b->spec = json_pack("{s:s, s:o, s:o}", "ociVersion", LADE_OCI_VERSION, "process", process,
                            "root", root_json(b));
        /* UTSMode host: the host's name stays, so the spec sets none */
        if (!streq(b->uts_mode, "host"))
                json_object_set_new(b->spec, "hostname", json_string(b->hostname));
        /* TODO: HostConfig.Init (docker-init as pid 1) is not supported yet. */
        int r = build_process(b, process, err);
        if (r >= 0)
                r = cspec_build_linux(b, linux_, err);
        if (r >= 0)
                r = cspec_build_security(b, process, linux_, err);
        if (r >= 0)
                r = build_limits(b, process, err);
        if (r >= 0)
                r = cspec_build_mounts(b, linux_, err);
        if (r >= 0)
                r = build_annotations(b, err);
        json_object_set_new(b->spec, "linux", linux_);
        return r;
}

int container_spec_build(const SpecInputs *in, json_t **ret, LadeError **err)
{
        _cleanup_(spec_build_done) SpecBuild b = {};
        int r = build_init(&b, in, err);
        if (r >= 0)
                r = cspec_validate_host_config(&b, err);
        if (r >= 0)
                r = build_document(&b, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(b.spec);
        return 0;
}

char *container_spec_dump(const json_t *spec, size_t flags)
{
        static const char marker[] = "\"\\u0001u64:";
        _cleanup_free_ char *text = json_dumps(spec, flags);
        if (!text)
                return NULL;
        char *out = xmalloc(strlen(text) + 1), *o = out;
        for (const char *p = text; *p;) {
                size_t digits;
                if (strncmp(p, marker, sizeof(marker) - 1) == 0 &&
                    (digits = strspn(p + sizeof(marker) - 1, "0123456789")) > 0 &&
                    p[sizeof(marker) - 1 + digits] == '"') {
                        memcpy(o, p + sizeof(marker) - 1, digits);
                        o += digits;
                        p += sizeof(marker) - 1 + digits + 1;
                } else {
                        *o++ = *p++;
                }
        }
        *o = '\0';
        return out;
}

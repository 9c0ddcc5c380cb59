/* The user's mounts, collected as dockerd's registerMountPoints, setupContainerDirs and
 * setupMounts do: HostConfig.Binds ("src:dst[:mode]", moby's linux_parser ParseMountRaw),
 * HostConfig.Mounts (container-spec-mounts-api.c), HostConfig.Tmpfs, the host's /dev/shm for
 * --ipc host, and the generated resolv.conf/hostname/hosts; then ordered by path depth (a stable
 * sort, as Go's sort of a few mounts is) for container-spec-mounts-oci.c to put behind Docker's
 * default mounts.
 *
 * Volumes are not supported yet: a named or anonymous volume is an error, not a silent skip. */
#include <string.h>
#include <sys/stat.h>

#include "container-spec-mounts.h"
#include "json-util.h"
#include "util.h"

void cspec_mount_done(CMount *m)
{
        free(m->source);
        free(m->destination);
        free(m->data);
        free(m->propagation);
        *m = (CMount) {};
}

void cspec_mount_list_done(CMountList *l)
{
        for (size_t i = 0; i < l->n; i++)
                cspec_mount_done(&l->m[i]);
        free(l->m);
        *l = (CMountList) {};
}

void cspec_mount_list_push(CMountList *l, CMount *m)
{
        l->m = xreallocarray(l->m, l->n + 1, sizeof(CMount));
        l->m[l->n++] = *m;
        *m = (CMount) {};
}

CMount *cspec_mount_list_find(CMountList *l, const char *destination)
{
        for (size_t i = 0; i < l->n; i++)
                if (streq(l->m[i].destination, destination))
                        return &l->m[i];
        return NULL;
}

/* ---- HostConfig.Binds ---- */

static bool valid_bind_mode(const char *mode)
{
        static const char *const kinds[][6] = {
                { "rw", "ro" }, { "z", "Z" },
                { "private", "rprivate", "slave", "rslave", "shared", "rshared" },
                { "nocopy" }, { "consistent", "cached", "delegated" },
        };
        int count[ELEMENTSOF(kinds)] = {};
        if (!*mode)
                return true;
        _cleanup_free_ char *m = xstrdup(mode);
        for (char *o = m, *next; o; o = next) {
                next = strchr(o, ',');
                if (next)
                        *next++ = '\0';
                size_t k = 0;
                for (; k < ELEMENTSOF(kinds); k++) {
                        bool hit = false;
                        for (size_t j = 0; j < 6 && kinds[k][j]; j++)
                                hit |= streq(o, kinds[k][j]);
                        if (hit)
                                break;
                }
                if (k == ELEMENTSOF(kinds) || ++count[k] > 1)
                        return false;
        }
        return true;
}

static bool mode_has(const char *mode, const char *opt)
{
        size_t n = strlen(opt);
        for (const char *p = mode; (p = strstr(p, opt)); p += n)
                if ((p == mode || p[-1] == ',') && (p[n] == ',' || !p[n]))
                        return true;
        return false;
}

static char *mode_propagation(const char *mode)
{
        static const char *const modes[] = { "private", "rprivate", "slave", "rslave", "shared",
                                             "rshared" };
        for (size_t i = 0; i < ELEMENTSOF(modes); i++)
                if (mode_has(mode, modes[i]))
                        return xstrdup(modes[i]);
        return xstrdup("rprivate");
}

static int bind_spec_error(LadeError **err, const char *raw)
{
        return lade_error_msg(err, EINVAL, "invalid volume specification: '%s'", raw);
}

/* Splits "src:dst[:mode]" as ParseMountRaw does; *ret_src is empty for an anonymous volume. */
static int split_bind(const char *raw, char **ret_src, char **ret_dst, char **ret_mode,
                      LadeError **err)
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
        if (!*f[0] || n == 4)
                return bind_spec_error(err, raw);
        if (n == 2 && valid_bind_mode(f[1]))
                return bind_spec_error(err, raw); /* "/foo:rw": a destination with a mode */
        const char *mode = n == 3 ? f[2] : "";
        if (!valid_bind_mode(mode))
                return lade_error_msg(err, EINVAL, "invalid mode: %s", mode);
        *ret_src = xstrdup(n == 1 ? "" : f[0]);
        *ret_dst = xstrdup(n == 1 ? f[0] : f[1]);
        *ret_mode = xstrdup(mode);
        return 0;
}

/* Mountpoint.Setup for a bind: a missing source is created as a directory. */
static int make_bind_source(const char *source, LadeError **err)
{
        struct stat st;
        if (stat(source, &st) == 0)
                return 0;
        int r = mkdir_p(source, 0755);
        if (r < 0 && r != -ENOTDIR)
                return lade_error(err, -r, "error while creating mount source path '%s'", source);
        return 0;
}

static int parse_bind(const char *raw, CMount *m, LadeError **err)
{
        _cleanup_free_ char *src = NULL, *dst = NULL, *mode = NULL;
        int r = split_bind(raw, &src, &dst, &mode, err);
        if (r < 0)
                return r;
        if (src[0] != '/')
                return lade_error_msg(err, ENOTSUP, "%s volumes are not supported yet",
                                      *src ? "named" : "anonymous");
        r = cspec_check_mount_target("bind", dst, err);
        /* "nocopy" is a volume option: on a bind, moby's validation finds VolumeOptions set */
        if (r >= 0 && mode_has(mode, "nocopy"))
                r = lade_error_msg(err, EINVAL, "invalid mount config for type \"bind\": field "
                                   "VolumeOptions must not be specified");
        if (r < 0)
                return lade_error_wrap(err, "invalid volume specification: '%s'", raw);
        m->source = cspec_path_clean(src);
        m->destination = cspec_path_clean(dst);
        m->writable = !mode_has(mode, "ro");
        m->propagation = mode_propagation(mode);
        return make_bind_source(m->source, err);
}

static int add_binds(SpecBuild *b, CMountList *points, json_t *tmpfs, LadeError **err)
{
        _cleanup_strv_free_ char **binds = NULL;
        int r = cspec_strv(b->host, "HostConfig", "Binds", &binds, err);
        for (char **raw = binds; r >= 0 && raw && *raw; raw++) {
                CMount m = {};
                r = parse_bind(*raw, &m, err);
                if (r >= 0 && (cspec_mount_list_find(points, m.destination) ||
                               json_object_get(tmpfs, m.destination)))
                        r = lade_error_msg(err, EINVAL, "Duplicate mount point: %s", m.destination);
                if (r >= 0)
                        cspec_mount_list_push(points, &m);
                cspec_mount_done(&m);
        }
        return r;
}

/* HostConfig.Mounts after the Binds: a bind's destination again is an error, a repeated Mounts
 * destination replaces the earlier one (dockerd keeps them in a map). */
static int add_api_mounts(SpecBuild *b, CMountList *points, size_t n_binds, LadeError **err)
{
        json_t *mounts, *o;
        size_t i;
        int r = cspec_array(b->host, "HostConfig", "Mounts", &mounts, err);
        json_array_foreach(mounts, i, o) {
                CMount m = {};
                if (r >= 0)
                        r = cspec_parse_api_mount(o, i, &m, err);
                CMount *old = r >= 0 ? cspec_mount_list_find(points, m.destination) : NULL;
                if (old && (size_t) (old - points->m) < n_binds)
                        r = lade_error_msg(err, EINVAL, "Duplicate mount point: %s",
                                           json_string_value(cspec_member(o, "Target")));
                else if (old) {
                        cspec_mount_done(old);
                        *old = m;
                        m = (CMount) {};
                } else if (r >= 0)
                        cspec_mount_list_push(points, &m);
                cspec_mount_done(&m);
        }
        return r;
}

/* ---- HostConfig.Tmpfs, IPC, network files ---- */

/* ValidateTmpfsMountDestination */
static int check_tmpfs_target(const char *dest, LadeError **err)
{
        _cleanup_free_ char *clean = cspec_path_clean(dest);
        if (streq(clean, "/"))
                return lade_error_msg(err, EINVAL, "invalid specification: destination can't be '/'");
        if (dest[0] != '/')
                return lade_error_msg(err, EINVAL, "invalid mount path: '%s' mount path must be "
                                      "absolute", dest);
        return 0;
}

static int add_tmpfs_map(json_t *tmpfs, CMountList *out, LadeError **err)
{
        const char *dest;
        json_t *v;
        json_object_foreach(tmpfs, dest, v) {
                if (!json_is_string(v))
                        return lade_error_msg(err, EINVAL, "HostConfig.Tmpfs.%s: expected a string, "
                                              "got %s", dest, json_type_name(v));
                int r = check_tmpfs_target(dest, err);
                if (r < 0)
                        return r;
                CMount m = { .source = xstrdup("tmpfs"), .destination = xstrdup(dest),
                             .tmpfs = true, .data = xstrdup(json_string_value(v)) };
                cspec_mount_list_push(out, &m);
        }
        return 0;
}

/* --ipc host: the host's /dev/shm (setupIpcDirs + IpcMounts). */
static int add_ipc_mount(SpecBuild *b, CMountList *points, json_t *tmpfs, CMountList *out,
                         LadeError **err)
{
        struct stat st;
        if (!streq(b->ipc_mode, "host") || cspec_mount_list_find(points, "/dev/shm") ||
            json_object_get(tmpfs, "/dev/shm"))
                return 0;
        if (stat("/dev/shm", &st) < 0)
                return lade_error_msg(err, ENOENT,
                                      "/dev/shm is not mounted, but must be for --ipc=host");
        CMount m = { .source = xstrdup("/dev/shm"), .destination = xstrdup("/dev/shm"),
                     .writable = true, .propagation = xstrdup("rprivate") };
        cspec_mount_list_push(out, &m);
        return 0;
}

/* NetworkMounts: a user bind on one of the three files replaces the generated one (dockerd's
 * TrySetNetworkMount), keeping its read-write mode. */
static void add_network_mounts(SpecBuild *b, CMountList *points, char *const paths[3],
                               CMountList *out)
{
        static const char *const dests[] = { "/etc/resolv.conf", "/etc/hostname", "/etc/hosts" };
        bool ro_root;
        if (cspec_bool(b->host, "HostConfig", "ReadonlyRootfs", &ro_root, NULL) < 0)
                ro_root = false;
        for (size_t i = 0; i < ELEMENTSOF(dests); i++) {
                CMount *user = cspec_mount_list_find(points, dests[i]);
                if (user && user->tmpfs)
                        user = NULL;
                if (!user && !paths[i])
                        continue;
                CMount m = { .source = xstrdup(user ? user->source : paths[i]),
                             .destination = xstrdup(dests[i]),
                             .writable = user ? user->writable : !ro_root,
                             .propagation = xstrdup("rprivate") };
                cspec_mount_list_push(out, &m);
        }
}

static bool is_network_file(const char *dest)
{
        return streq(dest, "/etc/resolv.conf") || streq(dest, "/etc/hostname") ||
               streq(dest, "/etc/hosts");
}

static size_t depth(const char *dest)
{
        _cleanup_free_ char *clean = cspec_path_clean(dest);
        size_t n = 0;
        for (const char *p = clean; *p; p++)
                n += *p == '/';
        return n;
}

/* Fewer path components first, equal ones in their order (insertion sort: stable). */
static void sort_by_depth(CMountList *l)
{
        for (size_t i = 1; i < l->n; i++) {
                CMount m = l->m[i];
                size_t d = depth(m.destination), j = i;
                for (; j > 0 && depth(l->m[j - 1].destination) > d; j--)
                        l->m[j] = l->m[j - 1];
                l->m[j] = m;
        }
}

/* Moves the tmpfs mounts, or the binds that are not network files, from one list to another. */
static void move_matching(CMountList *from, CMountList *to, bool tmpfs)
{
        for (size_t i = 0; i < from->n; i++) {
                CMount *m = &from->m[i];
                if (m->destination && m->tmpfs == tmpfs &&
                    (tmpfs || !is_network_file(m->destination)))
                        cspec_mount_list_push(to, m);
        }
}

static int collect(SpecBuild *b, CMountList *points, CMountList *out, LadeError **err)
{
        json_t *tmpfs;
        _cleanup_free_ char *resolv = NULL, *hostname = NULL, *hosts = NULL;
        int r = cspec_object(b->host, "HostConfig", "Tmpfs", &tmpfs, err);
        if (r >= 0)
                r = add_binds(b, points, tmpfs, err);
        size_t n_binds = points->n;
        if (r >= 0)
                r = add_api_mounts(b, points, n_binds, err);
        if (r >= 0)
                r = add_ipc_mount(b, points, tmpfs, out, err);
        if (r >= 0)
                r = add_tmpfs_map(tmpfs, out, err);
        if (r >= 0)
                r = cspec_write_network_files(b, &resolv, &hostname, &hosts, err);
        if (r < 0)
                return r;
        move_matching(points, out, true);
        CMountList binds = {};
        move_matching(points, &binds, false);
        sort_by_depth(&binds);
        for (size_t i = 0; i < binds.n; i++)
                cspec_mount_list_push(out, &binds.m[i]);
        cspec_mount_list_done(&binds);
        char *paths[3] = { resolv, hostname, hosts };
        add_network_mounts(b, points, paths, out);
        sort_by_depth(out);
        return 0;
}

int cspec_collect_mounts(SpecBuild *b, CMountList *ret, LadeError **err)
{
        CMountList points = {}, out = {};
        int r = collect(b, &points, &out, err);
        cspec_mount_list_done(&points);
        if (r < 0) {
                cspec_mount_list_done(&out);
                return r;
        }
        *ret = out;
        return 0;
}

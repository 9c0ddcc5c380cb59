/* The authorization policy: parsing, matching a peer, and evaluating create bodies.
 *
 * What stays true:
 * - A peer no rule names gets nothing (deny by default); the first rule naming it decides.
 * - A body field the policy looks at with an unexpected type is refused (400), never skipped,
 *   so a body the engine would read differently cannot slip past the policy.
 * - Host paths are compared after normalising ".." and "//" and after resolving the symlinks
 *   of the part that exists, so /allowed/../etc and /allowed/link-to-etc are both outside. */
#include <ctype.h>
#include <fcntl.h>
#include <stdarg.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "api-authz.h"
#include "fs-safe.h"
#include "json-util.h"
#include "util.h"

static const struct {
        const char *name;
        unsigned bit;
} deny_names[] = {
        { "privileged", AUTHZ_DENY_PRIVILEGED }, { "host-network", AUTHZ_DENY_HOST_NETWORK },
        { "host-pid", AUTHZ_DENY_HOST_PID },     { "host-ipc", AUTHZ_DENY_HOST_IPC },
        { "cap-add", AUTHZ_DENY_CAP_ADD },       { "bind-mounts", AUTHZ_DENY_BIND_MOUNTS },
        { "devices", AUTHZ_DENY_DEVICES },       { "unconfined", AUTHZ_DENY_UNCONFINED },
};

static void rule_done(AuthzRule *r)
{
        free(r->uids);
        free(r->gids);
        strv_free(r->bind_paths);
        strv_free(r->capabilities);
        strv_free(r->certificates);
}

AuthzPolicy *authz_policy_free(AuthzPolicy *p)
{
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n_rules; i++)
                rule_done(&p->rules[i]);
        free(p->rules);
        free(p);
        return NULL;
}

AuthzPolicy *authz_policy_default(gid_t gid)
{
        AuthzPolicy *p = xmalloc0(sizeof(*p));
        p->rules = xmalloc0(3 * sizeof(AuthzRule));
        p->rules[0].uids = xmalloc(sizeof(uid_t));
        p->rules[0].uids[0] = 0;
        p->rules[0].n_uids = 1;
        p->rules[0].access = AUTHZ_ACCESS_FULL;
        p->n_rules = 1;
        if (gid != (gid_t) -1) {
                p->rules[1].gids = xmalloc(sizeof(gid_t));
                p->rules[1].gids[0] = gid;
                p->rules[1].n_gids = 1;
                p->rules[1].access = AUTHZ_ACCESS_FULL;
                p->n_rules = 2;
        }
        /* a TCP client whose certificate the CA signed (as dockerd --tlsverify) */
        p->rules[p->n_rules].any_certificate = true;
        p->rules[p->n_rules].access = AUTHZ_ACCESS_FULL;
        p->n_rules++;
        return p;
}

/* A name or a decimal id. */
static int resolve_id(const char *s, bool user, unsigned *ret)
{
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (*s >= '0' && *s <= '9' && *end == '\0' && errno == 0 && v < UINT_MAX) {
                *ret = (unsigned) v;
                return 0;
        }
        char buf[16384];
        if (user) {
                struct passwd pw, *res = NULL;
                if (getpwnam_r(s, &pw, buf, sizeof(buf), &res) != 0 || !res)
                        return -ENOENT;
                *ret = res->pw_uid;
        } else {
                struct group gr, *res = NULL;
                if (getgrnam_r(s, &gr, buf, sizeof(buf), &res) != 0 || !res)
                        return -ENOENT;
                *ret = res->gr_gid;
        }
        return 0;
}

static int parse_string_list(json_t *a, const char *what, size_t idx, LadeError **err)
{
        if (!a)
                return 0;
        if (!json_is_array(a))
                return lade_error_msg(err, EINVAL, "rules[%zu].%s: expected an array, got %s", idx, what,
                                      json_type_name(a));
        if (json_array_size(a) > AUTHZ_LIST_MAX)
                return lade_error_msg(err, EINVAL, "rules[%zu].%s: more than %u entries", idx, what, AUTHZ_LIST_MAX);
        size_t i;
        json_t *v;
        json_array_foreach(a, i, v)
                if (!json_is_string(v) || !*json_string_value(v))
                        return lade_error_msg(err, EINVAL, "rules[%zu].%s[%zu]: expected a non-empty string", idx,
                                              what, i);
        return 0;
}

static int parse_ids(json_t *a, bool user, AuthzRule *r, size_t idx, LadeError **err)
{
        const char *what = user ? "users" : "groups";
        int ret = parse_string_list(a, what, idx, err);
        if (ret < 0 || !a)
                return ret;
        size_t i;
        json_t *v;
        json_array_foreach(a, i, v) {
                const char *s = json_string_value(v);
                unsigned id;
                if (user && streq(s, "*")) {
                        r->everyone = true;
                        continue;
                }
                if (resolve_id(s, user, &id) < 0)
                        return lade_error_msg(err, EINVAL, "rules[%zu].%s: unknown %s '%s'", idx, what,
                                              user ? "user" : "group", s);
                if (user) {
                        r->uids = xreallocarray(r->uids, r->n_uids + 1, sizeof(uid_t));
                        r->uids[r->n_uids++] = id;
                } else {
                        r->gids = xreallocarray(r->gids, r->n_gids + 1, sizeof(gid_t));
                        r->gids[r->n_gids++] = id;
                }
        }
        return 0;
}

static int parse_deny(json_t *a, AuthzRule *r, size_t idx, LadeError **err)
{
        int ret = parse_string_list(a, "deny", idx, err);
        if (ret < 0 || !a)
                return ret;
        size_t i;
        json_t *v;
        json_array_foreach(a, i, v) {
                size_t k = 0;
                while (k < ELEMENTSOF(deny_names) && !streq(deny_names[k].name, json_string_value(v)))
                        k++;
                if (k == ELEMENTSOF(deny_names))
                        return lade_error_msg(err, EINVAL, "rules[%zu].deny: unknown setting '%s' (known: privileged, "
                                              "host-network, host-pid, host-ipc, cap-add, bind-mounts, devices, "
                                              "unconfined)", idx, json_string_value(v));
                r->deny |= deny_names[k].bit;
        }
        return 0;
}

/* "cap_net_admin" -> "NET_ADMIN" */
static char *cap_normalize(const char *s)
{
        if (strncasecmp(s, "CAP_", 4) == 0)
                s += 4;
        char *c = xstrdup(s);
        for (char *p = c; *p; p++)
                *p = (char) toupper((unsigned char) *p);
        return c;
}

static int parse_paths_caps(json_t *o, AuthzRule *r, size_t idx, LadeError **err)
{
        json_t *paths = json_member(o, "allowed_bind_paths"), *caps = json_member(o, "allowed_capabilities");
        int ret = parse_string_list(paths, "allowed_bind_paths", idx, err);
        if (ret == 0)
                ret = parse_string_list(caps, "allowed_capabilities", idx, err);
        if (ret < 0)
                return ret;
        size_t i;
        json_t *v;
        json_array_foreach(paths, i, v) {
                if (json_string_value(v)[0] != '/')
                        return lade_error_msg(err, EINVAL, "rules[%zu].allowed_bind_paths[%zu]: '%s' is not absolute",
                                              idx, i, json_string_value(v));
                _cleanup_free_ char *n = fs_path_normalize(json_string_value(v));
                r->bind_paths = strv_append(r->bind_paths, n);
        }
        json_array_foreach(caps, i, v) {
                _cleanup_free_ char *c = cap_normalize(json_string_value(v));
                r->capabilities = strv_append(r->capabilities, c);
        }
        return 0;
}

static int parse_access(json_t *a, AuthzRule *r, size_t idx, LadeError **err)
{
        const char *s = json_string_value(a);
        if (!a)
                r->access = AUTHZ_ACCESS_FULL;
        else if (streq(s, "full"))
                r->access = AUTHZ_ACCESS_FULL;
        else if (streq(s, "read-only"))
                r->access = AUTHZ_ACCESS_READ_ONLY;
        else if (streq(s, "none"))
                r->access = AUTHZ_ACCESS_NONE;
        else
                return lade_error_msg(err, EINVAL, "rules[%zu].access: expected \"full\", \"read-only\" or \"none\"", idx);
        return 0;
}

static int parse_rule(json_t *o, AuthzRule *r, size_t idx, LadeError **err)
{
        static const char *const keys[] = { "users", "groups", "certificates", "access", "deny",
                                            "allowed_bind_paths", "allowed_capabilities", "comment", NULL };
        if (!json_is_object(o))
                return lade_error_msg(err, EINVAL, "rules[%zu]: expected an object, got %s", idx, json_type_name(o));
        const char *key;
        json_t *v;
        json_object_foreach(o, key, v) {
                size_t k = 0;
                while (keys[k] && !streq(keys[k], key))
                        k++;
                if (!keys[k])
                        return lade_error_msg(err, EINVAL, "rules[%zu]: unknown key '%s'", idx, key);
        }
        int ret = parse_ids(json_member(o, "users"), true, r, idx, err);
        if (ret == 0)
                ret = parse_ids(json_member(o, "groups"), false, r, idx, err);
        json_t *certs = json_member(o, "certificates");
        if (ret == 0 && (ret = parse_string_list(certs, "certificates", idx, err)) == 0 && certs) {
                size_t i;
                json_t *c;
                json_array_foreach(certs, i, c) {
                        if (streq(json_string_value(c), "*"))
                                r->any_certificate = true;
                        else
                                r->certificates = strv_append(r->certificates, json_string_value(c));
                }
        }
        if (ret == 0 && !r->everyone && r->n_uids == 0 && r->n_gids == 0 && !r->any_certificate && !r->certificates)
                ret = lade_error_msg(err, EINVAL, "rules[%zu]: names no users, groups or certificates", idx);
        if (ret == 0)
                ret = parse_access(json_member(o, "access"), r, idx, err);
        if (ret == 0)
                ret = parse_deny(json_member(o, "deny"), r, idx, err);
        if (ret == 0)
                ret = parse_paths_caps(o, r, idx, err);
        return ret;
}

int authz_policy_parse(const char *text, size_t len, AuthzPolicy **ret, LadeError **err)
{
        _cleanup_json_ json_t *doc = NULL;
        if (len > AUTHZ_POLICY_MAX_BYTES)
                return lade_error_msg(err, EINVAL, "authorization policy: larger than %u bytes", AUTHZ_POLICY_MAX_BYTES);
        int r = json_parse_text(text, len, "authorization policy", &doc, err);
        if (r < 0)
                return -EINVAL;
        json_t *rules = json_is_object(doc) ? json_member(doc, "rules") : NULL;
        if (!json_is_array(rules))
                return lade_error_msg(err, EINVAL, "authorization policy: expected {\"rules\": [...]}");
        if (json_array_size(rules) > AUTHZ_RULES_MAX)
                return lade_error_msg(err, EINVAL, "authorization policy: more than %u rules", AUTHZ_RULES_MAX);
        _cleanup_(authz_policy_freep) AuthzPolicy *p = xmalloc0(sizeof(*p));
        p->rules = xmalloc0((json_array_size(rules) + 1) * sizeof(AuthzRule));
        size_t i;
        json_t *o;
        json_array_foreach(rules, i, o) {
                p->n_rules++;
                if ((r = parse_rule(o, &p->rules[i], i, err)) < 0)
                        return lade_error_wrap(err, "authorization policy");
        }
        *ret = TAKE_PTR(p);
        return 0;
}

int authz_policy_load(const char *path, AuthzPolicy **ret, LadeError **err)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = read_file_at(AT_FDCWD, path, AUTHZ_POLICY_MAX_BYTES, &text, &len, err);
        if (r < 0)
                return lade_error_wrap(err, "authorization policy '%s'", path);
        r = authz_policy_parse(text, len, ret, err);
        return r < 0 ? lade_error_wrap(err, "%s", path) : 0;
}

static bool rule_names(const AuthzRule *r, const AuthzPeer *peer)
{
        if (r->everyone)
                return true;
        if (peer->certificate) {
                if (r->any_certificate)
                        return true;
                for (char **c = r->certificates; c && *c; c++)
                        if (streq(*c, peer->certificate))
                                return true;
                return false;
        }
        for (size_t i = 0; i < r->n_uids; i++)
                if (r->uids[i] == peer->uid)
                        return true;
        for (size_t i = 0; i < r->n_gids; i++) {
                if (r->gids[i] == peer->gid)
                        return true;
                for (size_t k = 0; k < peer->n_groups; k++)
                        if (r->gids[i] == peer->groups[k])
                                return true;
        }
        return false;
}

const AuthzRule *authz_policy_match(const AuthzPolicy *p, const AuthzPeer *peer)
{
        for (size_t i = 0; p && i < p->n_rules; i++)
                if (rule_names(&p->rules[i], peer))
                        return &p->rules[i];
        return NULL;
}

int authz_check_access(const AuthzRule *r, const AuthzPeer *peer, const char *method, LadeError **err)
{
        _cleanup_free_ char *who = peer->certificate ? xasprintf("certificate \"%s\"", peer->certificate)
                                                     : xasprintf("uid %u", (unsigned) peer->uid);
        if (!r || r->access == AUTHZ_ACCESS_NONE) {
                if (peer->certificate)
                        return lade_error_msg(err, EACCES, "authorization denied: %s may not use this server", who);
                return lade_error_msg(err, EACCES, "authorization denied: uid %u (gid %u) may not use this "
                                      "server", (unsigned) peer->uid, (unsigned) peer->gid);
        }
        if (r->access == AUTHZ_ACCESS_READ_ONLY && !streq(method, "GET") && !streq(method, "HEAD"))
                return lade_error_msg(err, EACCES, "authorization denied: %s has read-only access (%s is "
                                      "not allowed)", who, method);
        return 0;
}

/* ---- create bodies ---- */

static int get_typed(json_t *o, const char *key, const char *path, json_type type, json_t **ret, LadeError **err)
{
        json_t *v = o ? json_member(o, key) : NULL;
        if (v && json_typeof(v) != type && !(type == JSON_TRUE && json_is_boolean(v)))
                return lade_error_msg(err, EINVAL, "%s: expected %s, got %s", path,
                                      type == JSON_STRING ? "a string" : type == JSON_ARRAY ? "an array" :
                                      type == JSON_OBJECT ? "an object" : "a boolean", json_type_name(v));
        *ret = v;
        return 0;
}

static int deny(LadeError **err, const char *fmt, ...) _printf_(2, 3);
static int deny(LadeError **err, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *msg = xvasprintf(fmt, ap);
        va_end(ap);
        return lade_error_msg(err, EACCES, "authorization denied by policy: %s", msg);
}

/* The path, normalised, with the symlinks of its longest existing prefix resolved. */
static char *resolve_host_path(const char *path)
{
        _cleanup_free_ char *norm = fs_path_normalize(path);
        size_t cut = strlen(norm);
        while (cut > 1) {
                _cleanup_free_ char *prefix = xstrndup(norm, cut);
                char real[PATH_MAX];
                if (realpath(prefix, real)) {
                        const char *rest = norm + cut;
                        return streq(real, "/") ? xstrdup(*rest ? rest : "/") : xasprintf("%s%s", real, rest);
                }
                char *slash = strrchr(prefix, '/');
                cut = slash == prefix ? 1 : (size_t) (slash - prefix);
        }
        return TAKE_PTR(norm);
}

static bool under(const char *path, const char *dir)
{
        size_t l = strlen(dir);
        if (streq(dir, "/"))
                return true;
        return strncmp(path, dir, l) == 0 && (path[l] == '\0' || path[l] == '/');
}

static bool path_allowed(const AuthzRule *r, const char *path)
{
        _cleanup_free_ char *norm = fs_path_normalize(path), *real = resolve_host_path(path);
        for (char **a = r->bind_paths; a && *a; a++) {
                _cleanup_free_ char *areal = resolve_host_path(*a);
                if ((under(norm, *a) || under(norm, areal)) && (under(real, *a) || under(real, areal)))
                        return true;
        }
        return false;
}

static int check_bind_path(const AuthzRule *r, const char *src, LadeError **err)
{
        if (!(r->deny & AUTHZ_DENY_BIND_MOUNTS) || !src || src[0] != '/')
                return 0;   /* a named volume */
        if (path_allowed(r, src))
                return 0;
        return deny(err, "bind mount of host path '%s' (outside the allowed paths)", src);
}

static int check_binds(const AuthzRule *r, json_t *hc, LadeError **err)
{
        json_t *binds;
        int ret = get_typed(hc, "Binds", "HostConfig.Binds", JSON_ARRAY, &binds, err);
        size_t i;
        json_t *b;
        json_array_foreach(binds, i, b) {
                if (ret < 0)
                        return ret;
                if (!json_is_string(b))
                        return lade_error_msg(err, EINVAL, "HostConfig.Binds[%zu]: expected a string", i);
                const char *s = json_string_value(b);
                _cleanup_free_ char *src = xstrndup(s, strcspn(s, ":"));
                ret = check_bind_path(r, src, err);
        }
        return ret;
}

/* --volumes-from copies another container's binds, which the policy cannot see here: refused
 * whenever bind mounts are restricted. */
static int check_volumes_from(const AuthzRule *r, json_t *hc, LadeError **err)
{
        json_t *from = json_member(hc, "VolumesFrom");
        if (!(r->deny & AUTHZ_DENY_BIND_MOUNTS) || json_is_null(from) || !from)
                return 0;
        if (!json_is_array(from))
                return lade_error_msg(err, EINVAL, "HostConfig.VolumesFrom: expected an array of strings");
        if (json_array_size(from) == 0)
                return 0;
        return deny(err, "volumes-from (the source's bind mounts are outside what the policy can check)");
}

/* A local volume with o=bind and a device is a bind mount of that device path. */
static int check_volume_device(const AuthzRule *r, json_t *m, size_t i, LadeError **err)
{
        json_t *vo = json_member(m, "VolumeOptions");
        json_t *dc = json_is_object(vo) ? json_member(vo, "DriverConfig") : NULL;
        json_t *opts = json_is_object(dc) ? json_member(dc, "Options") : NULL;
        if (!opts)
                return 0;
        if (!json_is_object(opts))
                return lade_error_msg(err, EINVAL, "HostConfig.Mounts[%zu].VolumeOptions.DriverConfig.Options: "
                                      "expected an object", i);
        json_t *o = json_member(opts, "o"), *dev = json_member(opts, "device");
        if (json_is_string(o) && strstr(json_string_value(o), "bind") && json_is_string(dev))
                return check_bind_path(r, json_string_value(dev), err);
        return 0;
}

static int check_mounts(const AuthzRule *r, json_t *hc, LadeError **err)
{
        json_t *mounts;
        int ret = get_typed(hc, "Mounts", "HostConfig.Mounts", JSON_ARRAY, &mounts, err);
        size_t i;
        json_t *m;
        json_array_foreach(mounts, i, m) {
                if (ret < 0)
                        return ret;
                if (!json_is_object(m))
                        return lade_error_msg(err, EINVAL, "HostConfig.Mounts[%zu]: expected an object", i);
                json_t *type = json_member(m, "Type"), *src = json_member(m, "Source");
                if ((type && !json_is_string(type)) || (src && !json_is_string(src)))
                        return lade_error_msg(err, EINVAL, "HostConfig.Mounts[%zu]: Type and Source must be strings", i);
                if (streq(json_string_value(type), "bind"))
                        ret = check_bind_path(r, json_string_value(src), err);
                else if (streq(json_string_value(type), "volume"))
                        ret = check_volume_device(r, m, i, err);
        }
        return ret;
}

static int check_caps(const AuthzRule *r, json_t *hc, LadeError **err)
{
        json_t *caps;
        int ret = get_typed(hc, "CapAdd", "HostConfig.CapAdd", JSON_ARRAY, &caps, err);
        size_t i;
        json_t *c;
        json_array_foreach(caps, i, c) {
                if (ret < 0)
                        return ret;
                if (!json_is_string(c))
                        return lade_error_msg(err, EINVAL, "HostConfig.CapAdd[%zu]: expected a string", i);
                if (!(r->deny & AUTHZ_DENY_CAP_ADD))
                        continue;
                _cleanup_free_ char *n = cap_normalize(json_string_value(c));
                bool ok = false;
                for (char **a = r->capabilities; a && *a && !ok; a++)
                        ok = streq(*a, n);
                if (!ok)
                        ret = deny(err, "adding capability %s", n);
        }
        return ret;
}

static int check_mode(const AuthzRule *r, json_t *hc, const char *key, unsigned bit, const char *what,
                      LadeError **err)
{
        json_t *v;
        _cleanup_free_ char *path = xasprintf("HostConfig.%s", key);
        int ret = get_typed(hc, key, path, JSON_STRING, &v, err);
        if (ret == 0 && (r->deny & bit) && streq(json_string_value(v), "host"))
                ret = deny(err, "%s is not allowed", what);
        return ret;
}

static int check_devices(const AuthzRule *r, json_t *hc, LadeError **err)
{
        static const char *const keys[] = { "Devices", "DeviceRequests", "DeviceCgroupRules" };
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                json_t *v;
                _cleanup_free_ char *path = xasprintf("HostConfig.%s", keys[i]);
                int ret = get_typed(hc, keys[i], path, JSON_ARRAY, &v, err);
                if (ret < 0)
                        return ret;
                if ((r->deny & AUTHZ_DENY_DEVICES) && json_array_size(v) > 0)
                        return deny(err, "host devices (HostConfig.%s) are not allowed", keys[i]);
        }
        return 0;
}

static int check_security_opt(const AuthzRule *r, json_t *hc, LadeError **err)
{
        static const char *const unconfined[] = { "seccomp=unconfined", "seccomp:unconfined", "apparmor=unconfined",
                                                  "apparmor:unconfined", "systempaths=unconfined", "label=disable",
                                                  "label:disable" };
        json_t *opts;
        int ret = get_typed(hc, "SecurityOpt", "HostConfig.SecurityOpt", JSON_ARRAY, &opts, err);
        size_t i;
        json_t *o;
        json_array_foreach(opts, i, o) {
                if (ret < 0)
                        return ret;
                if (!json_is_string(o))
                        return lade_error_msg(err, EINVAL, "HostConfig.SecurityOpt[%zu]: expected a string", i);
                for (size_t k = 0; k < ELEMENTSOF(unconfined) && (r->deny & AUTHZ_DENY_UNCONFINED); k++)
                        if (streq(json_string_value(o), unconfined[k]))
                                ret = deny(err, "security option %s is not allowed", unconfined[k]);
        }
        return ret;
}

static int check_privileged(const AuthzRule *r, json_t *o, const char *path, LadeError **err)
{
        json_t *v;
        int ret = get_typed(o, "Privileged", path, JSON_TRUE, &v, err);
        if (ret == 0 && (r->deny & AUTHZ_DENY_PRIVILEGED) && json_is_true(v))
                ret = deny(err, "privileged mode is not allowed");
        return ret;
}

int authz_check_create(const AuthzRule *r, json_t *body, LadeError **err)
{
        if (!json_is_object(body))
                return lade_error_msg(err, EINVAL, "container create: expected a JSON object");
        json_t *hc;
        int ret = get_typed(body, "HostConfig", "HostConfig", JSON_OBJECT, &hc, err);
        if (ret < 0 || !hc || !r)
                return ret;
        if ((ret = check_privileged(r, hc, "HostConfig.Privileged", err)) < 0 ||
            (ret = check_mode(r, hc, "NetworkMode", AUTHZ_DENY_HOST_NETWORK, "using the host network", err)) < 0 ||
            (ret = check_mode(r, hc, "PidMode", AUTHZ_DENY_HOST_PID, "using the host PID namespace", err)) < 0 ||
            (ret = check_mode(r, hc, "IpcMode", AUTHZ_DENY_HOST_IPC, "using the host IPC namespace", err)) < 0 ||
            (ret = check_caps(r, hc, err)) < 0 || (ret = check_binds(r, hc, err)) < 0 ||
            (ret = check_mounts(r, hc, err)) < 0 || (ret = check_volumes_from(r, hc, err)) < 0 ||
            (ret = check_devices(r, hc, err)) < 0)
                return ret;
        return check_security_opt(r, hc, err);
}

int authz_check_exec(const AuthzRule *r, json_t *body, LadeError **err)
{
        if (!json_is_object(body))
                return lade_error_msg(err, EINVAL, "exec create: expected a JSON object");
        return r ? check_privileged(r, body, "Privileged", err) : 0;
}

int authz_check_volume_create(const AuthzRule *r, json_t *body, LadeError **err)
{
        json_t *opts = NULL;
        if (!json_is_object(body))
                return lade_error_msg(err, EINVAL, "volume create: expected a JSON object");
        /* Go clients send a nil map as null */
        int ret = json_is_null(json_member(body, "DriverOpts")) ? 0
                                                                 : get_typed(body, "DriverOpts", "DriverOpts",
                                                                             JSON_OBJECT, &opts, err);
        if (ret < 0 || !r || !opts)
                return ret;
        json_t *o = json_member(opts, "o"), *dev = json_member(opts, "device");
        if (json_is_string(o) && strstr(json_string_value(o), "bind") && json_is_string(dev))
                return check_bind_path(r, json_string_value(dev), err);
        return 0;
}

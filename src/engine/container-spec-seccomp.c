/* linux.seccomp from a Docker-format seccomp profile, as moby's profiles/seccomp setupSeccomp
 * does: "archMap" picks this architecture and its sub-architectures, every rule's "includes" and
 * "excludes" are matched against the container's bounding capabilities, this build's architecture
 * and the host kernel (uname), and what survives becomes plain OCI syscall rules.
 *
 * Docker's default profile is data, src/engine/seccomp-default.json, compiled into the binary
 * (meson turns it into a byte array); nothing here knows a syscall name. */
#include <stdio.h>
#include <string.h>

#include "container-spec-internal.h"
#include "json-util.h"
#include "util.h"

/* Generated from seccomp-default.json by scripts/embed-file.sh. */
extern const unsigned char container_seccomp_default_json[];
extern const size_t container_seccomp_default_json_len;

/* GOARCH of this build -> the libseccomp native name moby matches "arches" against. */
static const char *native_arch(void)
{
#if defined(__x86_64__)
        return "amd64";
#elif defined(__i386__)
        return "x86";
#elif defined(__aarch64__)
        return "arm64";
#elif defined(__arm__)
        return "arm";
#elif defined(__s390x__)
        return "s390x";
#elif defined(__s390__)
        return "s390";
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
        return "ppc64le";
#elif defined(__powerpc64__)
        return "ppc64";
#elif defined(__powerpc__)
        return "ppc";
#elif defined(__riscv) && __riscv_xlen == 64
        return "riscv64";
#elif defined(__mips64) && defined(__MIPSEL__)
        return "mipsel64";
#elif defined(__mips64)
        return "mips64";
#else
        return "";
#endif
}

static const char *seccomp_arch(const char *native)
{
        static const char *const map[][2] = {
                { "x86", "SCMP_ARCH_X86" },           { "amd64", "SCMP_ARCH_X86_64" },
                { "arm", "SCMP_ARCH_ARM" },           { "arm64", "SCMP_ARCH_AARCH64" },
                { "mips64", "SCMP_ARCH_MIPS64" },     { "mipsel64", "SCMP_ARCH_MIPSEL64" },
                { "ppc", "SCMP_ARCH_PPC" },           { "ppc64", "SCMP_ARCH_PPC64" },
                { "ppc64le", "SCMP_ARCH_PPC64LE" },   { "riscv64", "SCMP_ARCH_RISCV64" },
                { "s390", "SCMP_ARCH_S390" },         { "s390x", "SCMP_ARCH_S390X" },
        };
        for (size_t i = 0; i < ELEMENTSOF(map); i++)
                if (streq(map[i][0], native))
                        return map[i][1];
        return NULL;
}

json_t *container_default_seccomp(void)
{
        return json_loadb((const char *) container_seccomp_default_json,
                          container_seccomp_default_json_len, 0, NULL);
}

static bool json_strv_has(json_t *a, const char *s)
{
        size_t i;
        json_t *it;
        json_array_foreach(a, i, it)
                if (streq(json_string_value(it), s))
                        return true;
        return false;
}

static bool strv_has(char *const *l, const char *s)
{
        for (; l && *l; l++)
                if (streq(*l, s))
                        return true;
        return false;
}

static int kernel_version_error(LadeError **err, const char *raw, const char *why)
{
        return lade_error_msg(err, EINVAL,
                              "Decoding seccomp profile failed: invalid kernel version: \"%s\", "
                              "expected \"<kernel>.<major>\"%s%s",
                              raw, why ? ": " : "", why ? why : "");
}

/* Go's strconv.ParseUint(s, 10, 8). */
static bool parse_u8(const char *s, size_t n, unsigned *ret)
{
        unsigned v = 0;
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (unsigned) (s[i] - '0');
                if (v > 255)
                        return false;
        }
        *ret = v;
        return true;
}

/* "minKernel": "4.8" -> is the host at least that? (moby's KernelVersion and
 * kernelGreaterEqualThan) */
static int min_kernel_ok(json_t *v, bool *ret, LadeError **err)
{
        const char *s = json_string_value(v);
        if (!s)
                return kernel_version_error(err, json_type_name(v), "expected a string");
        *ret = true;
        if (!*s)
                return 0;
        const char *dot = strchr(s, '.');
        unsigned want_k, want_m, k, m;
        if (!dot || strchr(dot + 1, '.'))
                return kernel_version_error(err, s, NULL);
        if (!parse_u8(s, (size_t) (dot - s), &want_k) ||
            !parse_u8(dot + 1, strlen(dot + 1), &want_m))
                return kernel_version_error(err, s, "invalid syntax");
        if (want_k == 0 && want_m == 0)
                return kernel_version_error(err, s, "version cannot be 0.0");
        int r = cspec_kernel_version(&k, &m, err);
        if (r < 0)
                return r;
        *ret = k > want_k || (k == want_k && m >= want_m);
        return 0;
}

/* Does a rule's filter ("includes" when include, else "excludes") keep the rule? */
static int filter_keeps(json_t *filter, bool include, char *const *caps, bool *ret, LadeError **err)
{
        json_t *arches = cspec_member(filter, "arches"), *fcaps = cspec_member(filter, "caps");
        json_t *min = cspec_member(filter, "minKernel");
        *ret = true;
        if (json_array_size(arches) > 0 && json_strv_has(arches, native_arch()) != include) {
                *ret = false;
                return 0;
        }
        size_t i;
        json_t *c;
        json_array_foreach(fcaps, i, c) {
                /* includes: every cap must be held; excludes: any held cap drops the rule */
                if (strv_has(caps, json_string_value(c)) != include) {
                        *ret = false;
                        return 0;
                }
        }
        if (!min)
                return 0;
        bool ok;
        int r = min_kernel_ok(min, &ok, err);
        if (r >= 0 && ok != include)
                *ret = false;
        return r;
}

static json_t *rule_json(json_t *rule, json_t *names)
{
        json_t *o = json_object();
        json_object_set(o, "names", names);
        json_t *v = cspec_member(rule, "action");
        json_object_set_new(o, "action", v ? json_incref(v) : json_string(""));
        if ((v = cspec_member(rule, "errnoRet")))
                json_object_set(o, "errnoRet", v);
        v = cspec_member(rule, "args");
        if (json_array_size(v) > 0)
                json_object_set(o, "args", v);
        return o;
}

/* One entry of "syscalls": NULL in *ret when its conditions drop it. */
static int convert_rule(json_t *rule, const char *where, char *const *caps, json_t **ret,
                        LadeError **err)
{
        json_t *name = cspec_member(rule, "name"), *names = cspec_member(rule, "names");
        *ret = NULL;
        if (!json_is_object(rule))
                return lade_error_msg(err, EINVAL,
                                      "Decoding seccomp profile failed: %s: expected an "
                                      "object, got %s",
                                      where, json_type_name(rule));
        if (name && json_string_length(name) > 0 && json_array_size(names) > 0)
                return lade_error_msg(err, EINVAL, "both 'name' and 'names' are specified in the "
                                      "seccomp profile, use either 'name' or 'names'");
        bool keep = true;
        int r = 0;
        json_t *f;
        if ((f = cspec_member(rule, "excludes")))
                r = filter_keeps(f, false, caps, &keep, err);
        if (r >= 0 && keep && (f = cspec_member(rule, "includes")))
                r = filter_keeps(f, true, caps, &keep, err);
        if (r < 0 || !keep)
                return r;
        json_t *n = name && json_string_length(name) > 0 ? json_pack("[O]", name)
                    : json_incref(names ? names : json_array());
        *ret = rule_json(rule, n);
        json_decref(n);
        return 0;
}

/* architectures: the profile's own list, or this architecture's archMap entry. */
static int convert_arches(json_t *profile, json_t *out, LadeError **err)
{
        json_t *arches = cspec_member(profile, "architectures");
        json_t *map = cspec_member(profile, "archMap");
        if (json_array_size(arches) > 0 && json_array_size(map) > 0)
                return lade_error_msg(
                        err, EINVAL,
                        "both 'architectures' and 'archMap' are specified "
                        "in the seccomp profile, use either 'architectures' or 'archMap'");
        json_t *list = arches ? json_deep_copy(arches) : json_array();
        const char *mine = seccomp_arch(native_arch());
        size_t i;
        json_t *a;
        json_array_foreach(map, i, a) {
                if (!mine || !streq(json_string_value(cspec_member(a, "architecture")), mine))
                        continue;
                json_array_append_new(list, json_string(mine));
                json_t *subs = cspec_member(a, "subArchitectures");
                if (json_is_array(subs))
                        json_array_extend(list, subs);
                break;
        }
        if (json_array_size(list) > 0)
                json_object_set(out, "architectures", list);
        json_decref(list);
        return 0;
}

static void copy_member(json_t *from, json_t *to, const char *key)
{
        json_t *v = cspec_member(from, key);
        if (v && !(json_is_string(v) && json_string_length(v) == 0) &&
            !(json_is_array(v) && json_array_size(v) == 0))
                json_object_set(to, key, v);
}

static int convert_rules(json_t *profile, char *const *caps, json_t *out, LadeError **err)
{
        json_t *rules = cspec_member(profile, "syscalls"), *list = json_array();
        size_t i;
        json_t *rule;
        json_array_foreach(rules, i, rule) {
                char where[48];
                snprintf(where, sizeof(where), "syscalls[%zu]", i);
                json_t *conv;
                int r = convert_rule(rule, where, caps, &conv, err);
                if (r < 0) {
                        json_decref(list);
                        return r;
                }
                if (conv)
                        json_array_append_new(list, conv);
        }
        if (json_array_size(list) > 0)
                json_object_set(out, "syscalls", list);
        json_decref(list);
        return 0;
}

int cspec_seccomp(json_t *profile, char *const *caps, json_t **ret, LadeError **err)
{
        *ret = NULL;
        if (!json_is_object(profile))
                return lade_error_msg(err, EINVAL, "Decoding seccomp profile failed: expected an "
                                      "object, got %s", json_type_name(profile));
        json_t *rules = cspec_member(profile, "syscalls");
        if (rules && !json_is_array(rules))
                return lade_error_msg(err, EINVAL, "Decoding seccomp profile failed: syscalls: "
                                      "expected an array, got %s", json_type_name(rules));
        const char *def = json_string_value(cspec_member(profile, "defaultAction"));
        /* no default action and no rules: seccomp is off */
        if ((!def || !*def) && json_array_size(rules) == 0)
                return 0;

        _cleanup_json_ json_t *out = json_pack("{s:s}", "defaultAction", def ? def : "");
        copy_member(profile, out, "defaultErrnoRet");
        int r = convert_arches(profile, out, err);
        if (r < 0)
                return r;
        copy_member(profile, out, "flags");
        copy_member(profile, out, "listenerPath");
        copy_member(profile, out, "listenerMetadata");
        r = convert_rules(profile, caps, out, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(out);
        return 0;
}

/* The security parts of the spec, as dockerd sets them: HostConfig.SecurityOpt (parseSecurityOpt),
 * the capability set (Docker's default 14, CapAdd/CapDrop with "ALL", Privileged = every
 * capability dockerd itself holds), the seccomp profile (WithSeccomp), AppArmor (only on hosts
 * that have it), no-new-privileges, and the masked and read-only /proc and /sys paths.
 *
 * Labels: a default dockerd runs without SELinux support, and then ignores every "label=..."
 * option; so does this. */
#include <ctype.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container-spec-internal.h"
#include "json-util.h"
#include "util.h"

/* containerd's pkg/cap list, by capability number (what dockerd knows). */
static const char *const cap_names[] = {
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
        "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
        "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
        "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",
        "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON",
        "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};

static const char *const default_caps[] = {
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE", NULL,
};

/* moby v28 oci/defaults.go */
static const char *const masked_paths[] = {
        "/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys",
        "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
        "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
};
static const char *const readonly_paths[] = {
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

const char *const *container_default_caps(void)
{
        return default_caps;
}

static bool strv_has(char *const *l, const char *s)
{
        for (; l && *l; l++)
                if (streq(*l, s))
                        return true;
        return false;
}

/* ---- SecurityOpt ---- */

/* Go's strconv.ParseBool */
static int parse_go_bool(const char *s, bool *ret)
{
        static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
        static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (streq(s, yes[i]) || streq(s, no[i])) {
                        *ret = streq(s, yes[i]);
                        return 0;
                }
        }
        return -EINVAL;
}

static int security_opt(SpecSecurity *sec, const char *opt, LadeError **err)
{
        if (streq(opt, "no-new-privileges") || streq(opt, "writable-cgroups")) {
                if (streq(opt, "no-new-privileges"))
                        sec->no_new_privileges = true;
                else
                        sec->writable_cgroups = 1;
                return 0;
        }
        if (streq(opt, "disable"))
                return 0; /* a label option */
        const char *sep = strchr(opt, '=') ? strchr(opt, '=') : strchr(opt, ':');
        if (!sep)
                return lade_error_msg(err, EINVAL, "invalid --security-opt 1: \"%s\"", opt);
        _cleanup_free_ char *k = xstrndup(opt, (size_t) (sep - opt));
        const char *v = sep + 1;
        bool flag;
        if (streq(k, "label"))
                return 0;
        if (streq(k, "apparmor") || streq(k, "seccomp")) {
                char **dst = streq(k, "apparmor") ? &sec->apparmor : &sec->seccomp;
                free(*dst);
                *dst = xstrdup(v);
                return 0;
        }
        if ((streq(k, "no-new-privileges") || streq(k, "writable-cgroups")) &&
            parse_go_bool(v, &flag) == 0) {
                if (streq(k, "no-new-privileges"))
                        sec->no_new_privileges = flag;
                else
                        sec->writable_cgroups = flag;
                return 0;
        }
        return lade_error_msg(err, EINVAL, "invalid --security-opt 2: \"%s\"", opt);
}

int cspec_parse_security_opts(SpecBuild *b, LadeError **err)
{
        _cleanup_strv_free_ char **opts = NULL;
        b->sec.writable_cgroups = -1;
        int r = cspec_strv(b->host, "HostConfig", "SecurityOpt", &opts, err);
        for (char **o = opts; r >= 0 && o && *o; o++)
                r = security_opt(&b->sec, *o, err);
        return r;
}

/* ---- capabilities ---- */

/* The capabilities this process holds (CapEff), by name: what "all" means to dockerd. */
static char **current_caps(void)
{
        char **l = xmalloc0(sizeof(char *));
        _cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
        char line[256];
        unsigned long long eff = 0;
        bool found = false;
        while (f && fgets(line, sizeof(line), f))
                if (sscanf(line, "CapEff: %llx", &eff) == 1) {
                        found = true;
                        break;
                }
        for (size_t i = 0; i < ELEMENTSOF(cap_names); i++)
                if (!found || (eff >> i) & 1)
                        l = strv_append(l, cap_names[i]);
        return l;
}

static bool cap_known(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(cap_names); i++)
                if (streq(cap_names[i], name))
                        return true;
        return false;
}

/* NormalizeLegacyCapabilities: upper case, "CAP_" prefix, "ALL" kept. */
static int normalize_caps(char *const *in, char *const *current, const char *field, char ***ret,
                          LadeError **err)
{
        _cleanup_strv_free_ char **out = xmalloc0(sizeof(char *));
        for (; in && *in; in++) {
                _cleanup_free_ char *up = xstrdup(*in);
                for (char *p = up; *p; p++)
                        *p = (char) toupper((unsigned char) *p);
                _cleanup_free_ char *c = streq(up, "ALL") || startswith(up, "CAP_")
                                         ? TAKE_PTR(up) : xasprintf("CAP_%s", up);
                if (!streq(c, "ALL") && !cap_known(c))
                        return lade_error_msg(err, EINVAL, "invalid %s: unknown capability: \"%s\"",
                                              field, c);
                /* moby only knows what is available when it holds some capability at all */
                if (!streq(c, "ALL") && current[0] && !strv_has(current, c))
                        return lade_error_msg(err, EINVAL,
                                              "invalid %s: capability not supported by "
                                              "your kernel or not available in the current "
                                              "environment: \"%s\"",
                                              field, c);
                out = strv_append(out, c);
        }
        *ret = TAKE_PTR(out);
        return 0;
}

/* TweakCapabilities */
static int build_caps(SpecBuild *b, LadeError **err)
{
        _cleanup_strv_free_ char **add = NULL, **drop = NULL, **cur = current_caps();
        int r = cspec_strv(b->host, "HostConfig", "CapAdd", &add, err);
        if (r >= 0)
                r = cspec_strv(b->host, "HostConfig", "CapDrop", &drop, err);
        if (r < 0)
                return r;
        if (b->privileged) {
                b->caps = TAKE_PTR(cur);
                return 0;
        }
        _cleanup_strv_free_ char **n_add = NULL, **n_drop = NULL;
        r = normalize_caps(drop, cur, "CapDrop", &n_drop, err);
        if (r >= 0)
                r = normalize_caps(add, cur, "CapAdd", &n_add, err);
        if (r < 0)
                return r;
        char **caps = xmalloc0(sizeof(char *));
        if (strv_has(n_add, "ALL")) {
                for (char **c = cur; *c; c++)
                        if (!strv_has(n_drop, *c))
                                caps = strv_append(caps, *c);
        } else if (strv_has(n_drop, "ALL")) {
                for (char **c = n_add; *c; c++)
                        caps = strv_append(caps, *c);
        } else {
                for (const char *const *c = default_caps; *c; c++)
                        if (!strv_has(n_drop, *c))
                                caps = strv_append(caps, *c);
                for (char **c = n_add; *c; c++)
                        caps = strv_append(caps, *c);
        }
        b->caps = caps;
        return 0;
}

static json_t *strv_json(char *const *l)
{
        json_t *a = json_array();
        for (; l && *l; l++)
                json_array_append_new(a, json_string(*l));
        return a;
}

/* ---- seccomp ---- */

/* dockerd's sysinfo check: seccomp and its filter mode are in the kernel. */
static bool kernel_has_seccomp(void)
{
        if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 && errno == EINVAL)
                return false;
        /* with a NULL filter the kernel answers EFAULT when filters are supported */
        return !(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, 0, 0, 0) < 0 && errno == EINVAL);
}

/* A profile given with seccomp=...: its JSON text (what the docker CLI sends), or a host path. */
static int load_profile(const char *v, json_t **ret, LadeError **err)
{
        const char *p = v + strspn(v, " \t\r\n");
        _cleanup_free_ char *text = NULL;
        size_t len = strlen(v);
        if (*p != '{') {
                int r = read_file_at(AT_FDCWD, v, CSPEC_MAX_PROFILE, &text, &len, err);
                if (r < 0)
                        return lade_error_wrap(err, "opening seccomp profile (%s) failed", v);
                p = text;
        } else if (len > CSPEC_MAX_PROFILE) {
                return lade_error_msg(err, EFBIG, "seccomp profile larger than %u bytes",
                                      CSPEC_MAX_PROFILE);
        }
        int r = json_parse_text(p, strlen(p), "seccomp profile", ret, err);
        return r < 0 ? lade_error_wrap(err, "Decoding seccomp profile failed") : 0;
}

static int build_seccomp(SpecBuild *b, json_t *linux_, LadeError **err)
{
        const char *opt = b->sec.seccomp && *b->sec.seccomp ? b->sec.seccomp : NULL;
        bool custom = opt && !streq(opt, "builtin");
        if (streq(opt, "unconfined") || (b->privileged && !opt))
                return 0;
        if (!kernel_has_seccomp()) {
                if (custom)
                        return lade_error_msg(err, EINVAL, "seccomp is not enabled in your kernel, "
                                              "cannot run a custom seccomp profile");
                return 0; /* dockerd warns and runs unconfined */
        }
        _cleanup_json_ json_t *profile = NULL, *seccomp = NULL;
        int r = custom ? load_profile(opt, &profile, err) : 0;
        if (r < 0)
                return r;
        if (!profile && !(profile = container_default_seccomp()))
                return lade_error_msg(err, EIO, "the built-in seccomp profile does not parse");
        r = cspec_seccomp(profile, b->caps, &seccomp, err);
        if (r >= 0 && seccomp)
                json_object_set(linux_, "seccomp", seccomp);
        return r;
}

/* ---- AppArmor, masked paths ---- */

static bool apparmor_enabled(void)
{
        struct stat st;
        if (stat("/sys/kernel/security/apparmor", &st) < 0 || !S_ISDIR(st.st_mode))
                return false;
        _cleanup_free_ char *v = NULL;
        return read_file_at(AT_FDCWD, "/sys/module/apparmor/parameters/enabled", 64, &v, NULL,
                            NULL) >= 0 && v[0] == 'Y';
}

/* The default masked paths, plus each possible CPU's thermal_throttle directory that exists
 * (moby's fix for GHSA-6fw5-f8r9-fgfm). */
static json_t *default_masked_paths(void)
{
        json_t *a = json_array();
        for (size_t i = 0; i < ELEMENTSOF(masked_paths); i++)
                json_array_append_new(a, json_string(masked_paths[i]));
        _cleanup_free_ char *possible = NULL;
        if (read_file_at(AT_FDCWD, "/sys/devices/system/cpu/possible", 4096, &possible, NULL,
                         NULL) < 0)
                return a;
        char *save = NULL;
        for (char *tok = strtok_r(possible, ",\n", &save); tok;
             tok = strtok_r(NULL, ",\n", &save)) {
                unsigned lo, hi;
                int n = sscanf(tok, "%u-%u", &lo, &hi);
                if (n < 1)
                        continue;
                if (n == 1)
                        hi = lo;
                for (unsigned cpu = lo; cpu <= hi && cpu < 65536; cpu++) {
                        char path[96];
                        struct stat st;
                        snprintf(path, sizeof(path),
                                 "/sys/devices/system/cpu/cpu%u/thermal_throttle", cpu);
                        if (stat(path, &st) == 0)
                                json_array_append_new(a, json_string(path));
                }
        }
        return a;
}

static int paths_override(SpecBuild *b, json_t *linux_, const char *field, const char *key,
                          LadeError **err)
{
        _cleanup_strv_free_ char **l = NULL;
        int r = cspec_strv(b->host, "HostConfig", field, &l, err);
        if (r < 0 || !l)
                return r;
        if (*l)
                json_object_set_new(linux_, key, strv_json(l));
        else
                json_object_del(linux_, key);
        return 0;
}

static int build_paths(SpecBuild *b, json_t *linux_, LadeError **err)
{
        if (!b->privileged) {
                json_t *ro = json_array();
                for (size_t i = 0; i < ELEMENTSOF(readonly_paths); i++)
                        json_array_append_new(ro, json_string(readonly_paths[i]));
                json_object_set_new(linux_, "maskedPaths", default_masked_paths());
                json_object_set_new(linux_, "readonlyPaths", ro);
        }
        /* HostConfig.MaskedPaths/ReadonlyPaths (e.g. systempaths=unconfined) replace the lists */
        int r = paths_override(b, linux_, "MaskedPaths", "maskedPaths", err);
        return r < 0 ? r : paths_override(b, linux_, "ReadonlyPaths", "readonlyPaths", err);
}

int cspec_build_security(SpecBuild *b, json_t *process, json_t *linux_, LadeError **err)
{
        int r = build_caps(b, err);
        if (r < 0)
                return r;
        json_object_set_new(process, "capabilities",
                            json_pack("{s:o, s:o, s:o}", "bounding", strv_json(b->caps),
                                      "effective", strv_json(b->caps), "permitted",
                                      strv_json(b->caps)));
        if (b->sec.no_new_privileges)
                json_object_set_new(process, "noNewPrivileges", json_true());
        if (apparmor_enabled()) {
                const char *p = b->sec.apparmor ? b->sec.apparmor
                                : b->privileged ? "unconfined" : "docker-default";
                json_object_set_new(process, "apparmorProfile", json_string(p));
        }
        r = build_seccomp(b, linux_, err);
        return r < 0 ? r : build_paths(b, linux_, err);
}

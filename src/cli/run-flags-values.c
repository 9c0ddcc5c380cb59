/* Per-flag value checks of the docker CLI (the opts package and go-units): each validator keeps,
 * rewrites or rejects one value of a repeatable flag, and each setter parses a structured value
 * (--ulimit, --gpus, --network, the blkio device flags, --sysctl, --annotation) into RunOpts.
 * Errors are the bare reasons; the scanner adds `invalid argument "v" for "--flag" flag: `. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "run-flags-internal.h"
#include "util.h"

static char *ascii_lower(const char *s)
{
        char *r = xstrdup(s);
        for (char *p = r; *p; p++)
                *p = (char) tolower((unsigned char) *p);
        return r;
}

/* strings.Cut: splits s at the first sep into *k (copy) and *v (pointer into s). */
static bool cut(const char *s, char sep, char **k, const char **v)
{
        const char *p = strchr(s, sep);
        *k = p ? xstrndup(s, (size_t) (p - s)) : xstrdup(s);
        *v = p ? p + 1 : "";
        return p != NULL;
}

int run_validate_attach(const char *value, char **ret, LadeError **err)
{
        _cleanup_free_ char *s = ascii_lower(value);
        if (!streq(s, "stdin") && !streq(s, "stdout") && !streq(s, "stderr"))
                return lade_error_msg(err, EINVAL, "valid streams are STDIN, STDOUT and STDERR");
        *ret = TAKE_PTR(s);
        return 0;
}

int run_validate_env(const char *value, char **ret, LadeError **err)
{
        _cleanup_free_ char *k = NULL;
        const char *v;
        bool has = cut(value, '=', &k, &v);
        if (!*k)
                return lade_error_msg(err, EINVAL, "invalid environment variable: %s", value);
        if (!has && getenv(k))
                *ret = xasprintf("%s=%s", k, getenv(k));
        return 0;
}

int run_validate_label(const char *value, char **ret, LadeError **err)
{
        _cleanup_free_ char *k = NULL;
        const char *v;
        (void) cut(value, '=', &k, &v);
        const char *key = k + strspn(k, " \t");
        if (!*key)
                return lade_error_msg(err, EINVAL, "invalid label '%s': empty name", value);
        if (strpbrk(key, " \t"))
                return lade_error_msg(err, EINVAL, "label '%s' contains whitespaces", key);
        return 0;
}

int run_validate_ip(const char *value, char **ret, LadeError **err)
{
        _cleanup_free_ char *t = go_trim_space(value);
        if (!go_parse_ip(t, ret))
                return lade_error_msg(err, EINVAL, "IP address is not correctly formatted: %s", value);
        return 0;
}

/* One label of the dns-search regexp: ':'? (alnum | alnum [alnum-]* alnum). */
static bool dns_label(const char *s, size_t n, size_t colons)
{
        for (size_t i = 0; i < colons && n > 0 && *s == ':'; i++, s++, n--)
                ;
        if (n == 0 || !isalnum((unsigned char) s[0]) || !isalnum((unsigned char) s[n - 1]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char) s[i]) && s[i] != '-')
                        return false;
        return true;
}

/* opts.validateDomain: its regexp writes "(:?" for "(?:", so labels may carry a ':' before
 * them and before each dot; reproduced as written. */
static bool dns_domain(const char *s)
{
        size_t len = strlen(s), start = 0;
        for (size_t i = 0; i <= len; i++) {
                if (i < len && s[i] != '.')
                        continue;
                size_t end = i;
                if (i < len && end > start && s[end - 1] == ':')
                        end--;
                if (!dns_label(s + start, end - start, start == 0 ? 2 : 1))
                        return false;
                start = i + 1;
        }
        return true;
}

int run_validate_dns_search(const char *value, char **ret, LadeError **err)
{
        size_t b = strspn(value, " "), e = strlen(value);
        while (e > b && value[e - 1] == ' ')
                e--;
        _cleanup_free_ char *v = xstrndup(value + b, e - b), *d = NULL;
        if (streq(v, ".")) {
                *ret = TAKE_PTR(v);
                return 0;
        }
        if (!strpbrk(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))
                return lade_error_msg(err, EINVAL, "%s is not a valid domain", v);
        size_t n = strlen(v);
        while (n > 0 && strchr("\t\n\f\r ", v[n - 1]))
                n--;
        if (n > 0 && v[n - 1] == '.')
                n--;
        d = xstrndup(v, n);
        if (!dns_domain(d) || n >= 255)
                return lade_error_msg(err, EINVAL, "%s is not a valid domain", v);
        *ret = TAKE_PTR(d);
        return 0;
}

int run_validate_extra_host(const char *value, char **ret, LadeError **err)
{
        _cleanup_free_ char *k = NULL, *v = NULL;
        const char *rest;
        bool ok = cut(value, '=', &k, &rest);
        if (!ok) {
                free(k);
                ok = cut(value, ':', &k, &rest);
        }
        if (!ok || !*k || strchr(k, ':')) {
                _cleanup_free_ char *q = go_quote(value);
                return lade_error_msg(err, EINVAL, "bad format for add-host: %s", q);
        }
        size_t n = strlen(rest);
        v = n > 2 && rest[0] == '[' && rest[n - 1] == ']' ? xstrndup(rest + 1, n - 2) : xstrdup(rest);
        if (!streq(v, "host-gateway")) {
                _cleanup_free_ char *t = go_trim_space(v);
                if (!go_parse_ip(t, NULL)) {
                        _cleanup_free_ char *q = go_quote(v);
                        return lade_error_msg(err, EINVAL, "invalid IP address in add-host: %s", q);
                }
        }
        *ret = xasprintf("%s:%s", k, v);
        return 0;
}

int run_validate_link(const char *value, char **ret, LadeError **err)
{
        if (!*value)
                return lade_error_msg(err, EINVAL, "empty string specified for links");
        const char *c = strchr(value, ':');
        if (c && strchr(c + 1, ':'))
                return lade_error_msg(err, EINVAL, "bad format for links: %s", value);
        return 0;
}

/* ^[acb] ([0-9]+|\*):([0-9]+|\*) [rwm]{1,3}$ */
int run_validate_cgroup_rule(const char *value, char **ret, LadeError **err)
{
        const char *p = value;
        bool ok = strchr("acb", *p) && *p && p[1] == ' ';
        for (int part = 0; ok && part < 2; part++) {
                p += part == 0 ? 2 : 1;
                size_t n = *p == '*' ? 1 : strspn(p, "0123456789");
                ok = n > 0 && p[n] == (part == 0 ? ':' : ' ');
                p += n;
        }
        if (ok) {
                size_t n = strspn(p + 1, "rwm");
                ok = n >= 1 && n <= 3 && p[1 + n] == '\0';
        }
        if (!ok)
                return lade_error_msg(err, EINVAL, "invalid device cgroup format '%s'", value);
        return 0;
}

/* go-units ParseUlimit: name=soft[:hard]. */
static const char *const ulimit_names[] = {
        "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile",
        "nproc", "rss", "rtprio", "rttime", "sigpending", "stack",
};

static int ulimit_values(const char *spec, int64_t *soft, int64_t *hard, LadeError **err)
{
        _cleanup_free_ char *msg = NULL, *s = NULL;
        const char *h;
        bool has_hard = cut(spec, ':', &s, &h);
        if (has_hard && strchr(h, ':'))
                return lade_error_msg(err, EINVAL, "too many limit value arguments - %s, can only have "
                                      "up to two, `soft[:hard]`", spec);
        if (has_hard && go_parse_int(h, 10, 64, hard, &msg) < 0)
                return lade_error_msg(err, EINVAL, "%s", msg);
        if (go_parse_int(s, 10, 64, soft, &msg) < 0)
                return lade_error_msg(err, EINVAL, "%s", msg);
        if (!has_hard)
                *hard = *soft;
        if (*hard != -1 && *soft == -1)
                return lade_error_msg(err, EINVAL, "ulimit soft limit must be less than or equal to hard "
                                      "limit: soft: -1 (unlimited), hard: %lld", (long long) *hard);
        if (*hard != -1 && *soft > *hard)
                return lade_error_msg(err, EINVAL, "ulimit soft limit must be less than or equal to hard "
                                      "limit: %lld > %lld", (long long) *soft, (long long) *hard);
        return 0;
}

int run_set_ulimit(RunOpts *o, RunOpt opt, const char *value, LadeError **err)
{
        _cleanup_free_ char *name = NULL;
        const char *spec;
        int64_t soft, hard;
        bool known = false;
        if (!cut(value, '=', &name, &spec))
                return lade_error_msg(err, EINVAL, "invalid ulimit argument: %s", value);
        for (size_t i = 0; i < ELEMENTSOF(ulimit_names); i++)
                known = known || streq(name, ulimit_names[i]);
        if (!known)
                return lade_error_msg(err, EINVAL, "invalid ulimit type: %s", name);
        int r = ulimit_values(spec, &soft, &hard, err);
        if (r < 0)
                return r;
        json_object_set_new(o->ulimits, name, json_pack("{s:s,s:I,s:I}", "Name", name, "Hard",
                                                        (json_int_t) hard, "Soft", (json_int_t) soft));
        return 0;
}

/* MapOpts.Set (--sysctl with opts.ValidateSysctl, --annotation without). */
static bool sysctl_allowed(const char *k)
{
        static const char *const names[] = {
                "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall",
                "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
        };
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (streq(k, names[i]))
                        return true;
        return startswith(k, "net.") || startswith(k, "fs.mqueue.");
}

int run_set_map(RunOpts *o, RunOpt opt, const char *value, LadeError **err)
{
        _cleanup_free_ char *k = NULL;
        const char *v;
        bool has = cut(value, '=', &k, &v);
        if (opt == OPT_SYSCTL && (!has || !*k || !sysctl_allowed(k)))
                return lade_error_msg(err, EINVAL, "sysctl '%s' is not allowed", value);
        json_object_set_new(opt == OPT_SYSCTL ? o->sysctls : o->annotations, k, json_string(v));
        return 0;
}

/* --blkio-weight-device (opts.ValidateWeightDevice). */
int run_set_weight_device(RunOpts *o, RunOpt opt, const char *value, LadeError **err)
{
        _cleanup_free_ char *k = NULL, *msg = NULL;
        const char *v;
        uint64_t w;
        if (!cut(value, ':', &k, &v) || !*k)
                return lade_error_msg(err, EINVAL, "bad format: %s", value);
        if (!startswith(k, "/dev/"))
                return lade_error_msg(err, EINVAL, "bad format for device path: %s", value);
        if (go_parse_uint(v, 10, 16, &w, &msg) < 0 || (w > 0 && (w < 10 || w > 1000)))
                return lade_error_msg(err, EINVAL, "invalid weight for device: %s", value);
        json_array_append_new(o->weight_devices, json_pack("{s:s,s:I}", "Path", k, "Weight",
                                                           (json_int_t) w));
        return 0;
}

/* --device-{read,write}-{bps,iops} (opts.ValidateThrottle{Bps,IOps}Device). */
int run_set_throttle_device(RunOpts *o, RunOpt opt, const char *value, LadeError **err)
{
        _cleanup_free_ char *k = NULL, *msg = NULL;
        const char *v;
        bool bps = opt == OPT_DEVICE_READ_BPS || opt == OPT_DEVICE_WRITE_BPS;
        int64_t rate = 0;
        uint64_t urate = 0;
        if (!cut(value, ':', &k, &v) || !*k)
                return lade_error_msg(err, EINVAL, "bad format: %s", value);
        if (!startswith(k, "/dev/"))
                return lade_error_msg(err, EINVAL, "bad format for device path: %s", value);
        if (bps && (go_ram_in_bytes(v, &rate, &msg) < 0 || rate < 0))
                return lade_error_msg(err, EINVAL, "invalid rate for device: %s. The correct format is "
                                      "<device-path>:<number>[<unit>]. Number must be a positive "
                                      "integer. Unit is optional and can be kb, mb, or gb", value);
        if (!bps && go_parse_uint(v, 10, 64, &urate, &msg) < 0)
                return lade_error_msg(err, EINVAL, "invalid rate for device: %s. The correct format is "
                                      "<device-path>:<number>. Number must be a positive integer",
                                      value);
        if (bps)
                urate = (uint64_t) rate;
        size_t slot = (size_t) (opt - OPT_DEVICE_READ_BPS);
        json_array_append_new(o->throttle[slot], json_pack("{s:s,s:I}", "Path", k, "Rate",
                                                           (json_int_t) urate));
        return 0;
}

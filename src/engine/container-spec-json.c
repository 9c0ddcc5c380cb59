/* Typed access to the container-create body for the spec builder, with Go's decoding rules:
 * null is absent, keys match case-insensitively when no exact key exists, a StrSlice may be a
 * lone string. Errors name the field ("HostConfig.Memory: expected an integer, got a string").
 * Also the small host helpers the spec files share (bounded fd reads, path cleaning, uname). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "container-spec-internal.h"
#include "fs-safe.h"
#include "json-util.h"
#include "util.h"

json_t *cspec_member(json_t *obj, const char *key)
{
        if (!json_is_object(obj))
                return NULL;
        json_t *v = json_object_get(obj, key);
        if (!v) {
                const char *k;
                json_t *it;
                json_object_foreach(obj, k, it) {
                        if (strcasecmp(k, key) == 0) {
                                v = it;
                                break;
                        }
                }
        }
        return json_is_null(v) ? NULL : v;
}

static int type_error(LadeError **err, const char *where, const char *key, const char *expected,
                      const json_t *got)
{
        return lade_error_msg(err, EINVAL, "%s%s%s: expected %s, got %s", where ? where : "",
                              where && *where ? "." : "", key, expected, json_type_name(got));
}

int cspec_string(json_t *obj, const char *where, const char *key, const char **ret, LadeError **err)
{
        json_t *v = cspec_member(obj, key);
        if (v && !json_is_string(v))
                return type_error(err, where, key, "a string", v);
        *ret = v ? json_string_value(v) : NULL;
        return 0;
}

int cspec_opt_int(json_t *obj, const char *where, const char *key, int64_t *ret, bool *ret_set,
                  LadeError **err)
{
        json_t *v = cspec_member(obj, key);
        *ret = 0;
        if (ret_set)
                *ret_set = v != NULL;
        if (!v)
                return 0;
        if (json_is_integer(v)) {
                *ret = json_integer_value(v);
                return 0;
        }
        /* 1.5e9 parses as a real; Go would refuse it, but an integral value is unambiguous */
        double d = json_real_value(v);
        if (json_is_real(v) && d == floor(d) && fabs(d) < 9.2e18) {
                *ret = (int64_t) d;
                return 0;
        }
        return type_error(err, where, key, "an integer", v);
}

int cspec_int(json_t *obj, const char *where, const char *key, int64_t *ret, LadeError **err)
{
        return cspec_opt_int(obj, where, key, ret, NULL, err);
}

int cspec_bool(json_t *obj, const char *where, const char *key, bool *ret, LadeError **err)
{
        json_t *v = cspec_member(obj, key);
        if (v && !json_is_boolean(v))
                return type_error(err, where, key, "a boolean", v);
        *ret = v && json_is_true(v);
        return 0;
}

int cspec_object(json_t *obj, const char *where, const char *key, json_t **ret, LadeError **err)
{
        json_t *v = cspec_member(obj, key);
        if (v && !json_is_object(v))
                return type_error(err, where, key, "an object", v);
        if (v && json_object_size(v) > CSPEC_MAX_ENTRIES)
                return lade_error_msg(err, E2BIG, "%s.%s: more than %d entries", where, key,
                                      CSPEC_MAX_ENTRIES);
        *ret = v;
        return 0;
}

int cspec_array(json_t *obj, const char *where, const char *key, json_t **ret, LadeError **err)
{
        json_t *v = cspec_member(obj, key);
        if (v && !json_is_array(v))
                return type_error(err, where, key, "an array", v);
        if (v && json_array_size(v) > CSPEC_MAX_ENTRIES)
                return lade_error_msg(err, E2BIG, "%s.%s: more than %d entries", where, key,
                                      CSPEC_MAX_ENTRIES);
        *ret = v;
        return 0;
}

int cspec_strv(json_t *obj, const char *where, const char *key, char ***ret, LadeError **err)
{
        json_t *v = cspec_member(obj, key);
        *ret = NULL;
        if (!v)
                return 0;
        if (json_is_string(v)) {
                *ret = strv_append(NULL, json_string_value(v));
                return 0;
        }
        json_t *a;
        int r = cspec_array(obj, where, key, &a, err);
        if (r < 0)
                return r;
        char **l = xmalloc0(sizeof(char *));
        size_t i;
        json_t *it;
        json_array_foreach(a, i, it) {
                if (!json_is_string(it)) {
                        strv_free(l);
                        return lade_error_msg(err, EINVAL, "%s.%s[%zu]: expected a string, got %s",
                                              where, key, i, json_type_name(it));
                }
                l = strv_append(l, json_string_value(it));
        }
        *ret = l;
        return 0;
}

json_t *cspec_json_u64(uint64_t v)
{
        if (v <= (uint64_t) INT64_MAX)
                return json_integer((json_int_t) v);
        char buf[48];
        snprintf(buf, sizeof(buf), CSPEC_BIG_UINT_MARKER "%llu", (unsigned long long) v);
        return json_string(buf);
}

bool cspec_atoi(const char *s, int64_t *ret)
{
        const char *p = s;
        bool neg = *p == '-';
        if (*p == '-' || *p == '+')
                p++;
        if (!isdigit((unsigned char) *p))
                return false;
        int64_t v = 0;
        for (; *p; p++) {
                if (!isdigit((unsigned char) *p))
                        return false;
                int d = *p - '0';
                /* out of range: Go returns the clamped value (with an error the callers drop) */
                v = v > (INT64_MAX - d) / 10 ? INT64_MAX : v * 10 + d;
        }
        *ret = neg ? -v : v;
        return true;
}

int cspec_read_fd(int fd, const char *what, size_t max, char **ret, LadeError **err)
{
        struct stat st;
        if (fstat(fd, &st) < 0)
                return lade_error(err, errno, "stat %s", what);
        /* a FIFO or device planted in a rootfs must not block or feed us forever */
        if (!S_ISREG(st.st_mode))
                return lade_error_msg(err, EINVAL, "%s is not a regular file", what);
        if ((uint64_t) st.st_size > max)
                return lade_error_msg(err, EFBIG, "%s is larger than %zu bytes", what, max);
        char *buf = xmalloc((size_t) st.st_size + 1);
        ssize_t n = read_all(fd, buf, (size_t) st.st_size);
        if (n < 0) {
                free(buf);
                return lade_error(err, (int) -n, "read %s", what);
        }
        buf[n] = '\0';
        *ret = buf;
        return 0;
}

char *cspec_path_clean(const char *path)
{
        if (!path || !*path)
                return xstrdup(".");
        _cleanup_free_ char *abs = xasprintf("/%s", path);
        char *n = fs_path_normalize(abs);
        if (path[0] == '/')
                return n;
        /* relative: Go keeps it relative, and a leading ".." cannot be clamped away; keep the
         * simple form that cgroup parents and mount sources need */
        char *rel = xstrdup(streq(n, "/") ? "." : n + 1);
        free(n);
        return rel;
}

int cspec_kernel_version(unsigned *ret_kernel, unsigned *ret_major, LadeError **err)
{
        struct utsname u;
        if (uname(&u) < 0)
                return lade_error(err, errno, "uname");
        if (sscanf(u.release, "%u.%u", ret_kernel, ret_major) != 2)
                return lade_error_msg(err, EINVAL, "failed to parse kernel version \"%s\"",
                                      u.release);
        return 0;
}

/* The API's version prefix and route matching. Pure: no I/O, no allocation but the captured
 * name. A {name} capture is never empty and never starts or ends with '/'. */
#include <stdlib.h>
#include <string.h>

#include "api-router.h"
#include "util.h"

static bool parse_component(const char **p, unsigned *ret)
{
        unsigned long v = 0;
        const char *s = *p;
        if (*s < '0' || *s > '9')
                return false;
        for (; *s >= '0' && *s <= '9'; s++) {
                v = v * 10 + (unsigned long) (*s - '0');
                if (v > 1000000)
                        return false;
        }
        *ret = (unsigned) v;
        *p = s;
        return true;
}

int api_split_version(const char *url, unsigned *ret_major, unsigned *ret_minor, const char **ret_path)
{
        if (!startswith(url, "/v") || !(url[2] >= '0' && url[2] <= '9')) {
                *ret_major = *ret_minor = 0;
                *ret_path = url;
                return 0;
        }
        const char *p = url + 2;
        unsigned major = 0, minor = 0, ignored;
        if (!parse_component(&p, &major))
                return -ENOENT;
        if (*p == '.') {
                p++;
                if (!parse_component(&p, &minor))
                        return -ENOENT;
                while (*p == '.') {
                        p++;
                        if (!parse_component(&p, &ignored))
                                return -ENOENT;
                }
        }
        if (*p != '/')
                return -ENOENT;
        *ret_major = major;
        *ret_minor = minor;
        *ret_path = p;
        return 0;
}

int api_check_version(unsigned major, unsigned minor, LadeError **err)
{
        if (major == 0 && minor == 0)
                return 0;
        if (major < 1 || (major == 1 && minor < API_VERSION_MIN))
                return lade_error_msg(err, EINVAL, "client version %u.%u is too old. Minimum supported API "
                                      "version is %s, please upgrade your client to a newer version",
                                      major, minor, API_VERSION_MIN_STR);
        if (major > 1 || minor > API_VERSION_MAX)
                return lade_error_msg(err, EINVAL, "client version %u.%u is too new. Maximum supported API "
                                      "version is %s", major, minor, API_VERSION_MAX_STR);
        return 0;
}

#define SEGMENTS_MAX 128

typedef struct Segment {
        const char *s;
        size_t len;
} Segment;

/* "/a/b" -> {a, b}; -1 when not absolute or too many segments. */
static int split_segments(const char *path, Segment seg[static SEGMENTS_MAX])
{
        if (*path != '/')
                return -1;
        int n = 0;
        for (const char *p = path + 1;; ) {
                if (n == SEGMENTS_MAX)
                        return -1;
                size_t l = strcspn(p, "/");
                seg[n++] = (Segment){ p, l };
                if (!p[l])
                        return n;
                p += l + 1;
        }
}

static bool segment_eq(const Segment *a, const Segment *b)
{
        return a->len > 0 && a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
}

static int find_capture(const Segment *p, int np)
{
        for (int i = 0; i < np; i++)
                if (p[i].len == 6 && memcmp(p[i].s, "{name}", 6) == 0)
                        return i;
        return -1;
}

bool api_path_match(const char *pattern, const char *path, char **ret_name)
{
        Segment p[SEGMENTS_MAX], q[SEGMENTS_MAX];
        int np = split_segments(pattern, p), nq = split_segments(path, q);
        if (np < 0 || nq < 0)
                return false;
        int k = find_capture(p, np);
        if (k < 0) {
                if (np != nq)
                        return false;
                for (int i = 0; i < np; i++)
                        if (!segment_eq(&p[i], &q[i]))
                                return false;
                return true;
        }
        int tail = np - k - 1, take = nq - k - tail;
        if (take < 1)
                return false;
        for (int i = 0; i < k; i++)
                if (!segment_eq(&p[i], &q[i]))
                        return false;
        for (int i = 0; i < tail; i++)
                if (!segment_eq(&p[k + 1 + i], &q[nq - tail + i]))
                        return false;
        for (int i = k; i < k + take; i++)
                if (q[i].len == 0)
                        return false;
        if (ret_name) {
                const Segment *last = &q[k + take - 1];
                *ret_name = xstrndup(q[k].s, (size_t) (last->s + last->len - q[k].s));
        }
        return true;
}

const ApiRoute *api_route_find(const ApiRoute *routes, size_t n, const char *method, const char *path,
                               char **ret_name)
{
        if (strlen(path) > API_URL_MAX)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                const ApiRoute *r = &routes[i];
                bool m = streq(method, r->method) || (streq(method, "HEAD") && streq(r->method, "GET"));
                if (m && api_path_match(r->pattern, path, ret_name))
                        return r;
        }
        return NULL;
}

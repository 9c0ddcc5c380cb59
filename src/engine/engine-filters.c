/* Docker's list filters and the image list/prune that use them.
 *
 * What stays true: a filter set is a map key -> ordered set of values, at most
 * ENGINE_FILTERS_MAX_VALUES values in all, whatever the input; values of one key are ORed
 * (reference=a, reference=b matches either), except label, where every value must match. */
#include <fnmatch.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "containers.h"
#include "engine-events.h"
#include "engine-filters.h"
#include "json-util.h"
#include "util.h"

struct EngineFilters {
        json_t *map;     /* {"key": ["value", ...]} */
        size_t n_values;
};

EngineFilters *engine_filters_new(void)
{
        EngineFilters *f = xmalloc0(sizeof(*f));
        f->map = json_object();
        return f;
}

EngineFilters *engine_filters_free(EngineFilters *f)
{
        if (!f)
                return NULL;
        json_decref(f->map);
        free(f);
        return NULL;
}

int engine_filters_add(EngineFilters *f, const char *key, const char *value, LadeError **err)
{
        if (!key || !*key)
                return lade_error_msg(err, EINVAL, "invalid filter: empty key");
        json_t *a = json_object_get(f->map, key);
        if (!a) {
                a = json_array();
                json_object_set_new(f->map, key, a);
        }
        size_t i;
        json_t *v;
        json_array_foreach(a, i, v)
                if (streq(json_string_value(v), value))
                        return 0;
        if (f->n_values >= ENGINE_FILTERS_MAX_VALUES)
                return lade_error_msg(err, EINVAL, "too many filter values (at most %u)",
                                      ENGINE_FILTERS_MAX_VALUES);
        json_t *s = json_string(value);
        if (!s)
                return lade_error_msg(err, EINVAL, "invalid filter '%s': value is not UTF-8", key);
        json_array_append_new(a, s);
        f->n_values++;
        return 0;
}

int engine_filters_add_arg(EngineFilters *f, const char *arg, LadeError **err)
{
        const char *eq = strchr(arg, '=');
        _cleanup_free_ char *key = eq ? xstrndup(arg, (size_t) (eq - arg)) : xstrdup(arg);
        return engine_filters_add(f, key, eq ? eq + 1 : "", err);
}

static int filters_parse_values(EngineFilters *f, const char *key, json_t *vals, LadeError **err)
{
        int r = 0;
        if (json_is_array(vals)) {
                size_t i;
                json_t *v;
                json_array_foreach(vals, i, v) {
                        if (!json_is_string(v))
                                return lade_error_msg(err, EINVAL, "invalid filter '%s': values must be strings", key);
                        if ((r = engine_filters_add(f, key, json_string_value(v), err)) < 0)
                                return r;
                }
                return 0;
        }
        if (!json_is_object(vals))
                return lade_error_msg(err, EINVAL, "invalid filter '%s': expected an object, got %s", key,
                                      json_type_name(vals));
        const char *value;
        json_t *on;
        json_object_foreach(vals, value, on) {
                /* {"value": false} is how Go clients spell "not set" */
                if (!json_is_boolean(on))
                        return lade_error_msg(err, EINVAL, "invalid filter '%s=%s': expected true", key, value);
                if (json_is_true(on) && (r = engine_filters_add(f, key, value, err)) < 0)
                        return r;
        }
        return 0;
}

int engine_filters_parse(const char *json, size_t len, EngineFilters **ret, LadeError **err)
{
        _cleanup_(engine_filters_freep) EngineFilters *f = engine_filters_new();
        if (json && len > 0) {
                _cleanup_json_ json_t *doc = NULL;
                if (len > ENGINE_FILTERS_MAX_BYTES)
                        return lade_error_msg(err, EINVAL, "filters: longer than %u bytes", ENGINE_FILTERS_MAX_BYTES);
                int r = json_parse_text(json, len, "filters", &doc, err);
                if (r < 0)
                        return -EINVAL;
                if (!json_is_object(doc))
                        return lade_error_msg(err, EINVAL, "filters: expected a JSON object, got %s", json_type_name(doc));
                const char *key;
                json_t *vals;
                json_object_foreach(doc, key, vals)
                        if ((r = filters_parse_values(f, key, vals, err)) < 0)
                                return r;
        }
        *ret = TAKE_PTR(f);
        return 0;
}

int engine_filters_validate(const EngineFilters *f, const char *const *known, LadeError **err)
{
        const char *key;
        json_t *v;
        json_object_foreach(f->map, key, v) {
                bool ok = false;
                for (size_t i = 0; known[i] && !ok; i++)
                        ok = streq(key, known[i]);
                if (!ok)
                        return lade_error_msg(err, EINVAL, "invalid filter '%s'", key);
        }
        return 0;
}

bool engine_filters_has(const EngineFilters *f, const char *key)
{
        return f && json_array_size(json_object_get(f->map, key)) > 0;
}

char **engine_filters_get(const EngineFilters *f, const char *key)
{
        json_t *a = f ? json_object_get(f->map, key) : NULL;
        if (!a || json_array_size(a) == 0)
                return NULL;
        char **v = xmalloc0((json_array_size(a) + 1) * sizeof(char *));
        for (size_t i = 0; i < json_array_size(a); i++)
                v[i] = xstrdup(json_string_value(json_array_get(a, i)));
        return v;
}

int engine_filters_get_bool(const EngineFilters *f, const char *key, bool dflt, bool *ret,
                            LadeError **err)
{
        _cleanup_strv_free_ char **v = engine_filters_get(f, key);
        if (!v) {
                *ret = dflt;
                return 0;
        }
        if (v[1])
                return lade_error_msg(err, EINVAL, "invalid filter '%s': give one value", key);
        bool yes = streq(v[0], "true") || streq(v[0], "1"), no = streq(v[0], "false") || streq(v[0], "0");
        if (!yes && !no)
                return lade_error_msg(err, EINVAL, "invalid filter '%s=%s'", key, v[0]);
        *ret = yes;
        return 0;
}

/* A Go duration ("1h30m", "10m", "1.5h", "90s"): seconds, or -EINVAL. */
static int parse_go_duration(const char *s, double *ret)
{
        static const struct { const char *unit; double secs; } units[] = {
                { "ns", 1e-9 }, { "us", 1e-6 }, { "µs", 1e-6 }, { "ms", 1e-3 }, { "s", 1 }, { "m", 60 }, { "h", 3600 },
        };
        double total = 0;
        if (!*s)
                return -EINVAL;
        while (*s) {
                char *end;
                if (!(*s >= '0' && *s <= '9') && *s != '.')
                        return -EINVAL;
                double n = strtod(s, &end);
                if (end == s)
                        return -EINVAL;
                s = end;
                size_t best = 0, k = ELEMENTSOF(units);
                for (size_t i = 0; i < ELEMENTSOF(units); i++) {
                        size_t l = strlen(units[i].unit);
                        if (strncmp(s, units[i].unit, l) == 0 && l > best) {
                                best = l;
                                k = i;
                        }
                }
                if (k == ELEMENTSOF(units))
                        return -EINVAL;
                total += n * units[k].secs;
                s += best;
        }
        *ret = total;
        return 0;
}

static int parse_rfc3339(const char *s, int64_t *ret)
{
        struct tm tm = { 0 };
        const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
        bool date_only = false;
        if (!rest) {
                memset(&tm, 0, sizeof(tm));
                rest = strptime(s, "%Y-%m-%d", &tm);
                date_only = true;
        }
        if (!rest)
                return -EINVAL;
        if (!date_only && *rest == '.')
                for (rest++; *rest >= '0' && *rest <= '9'; rest++)
                        ;
        int64_t off = 0;
        bool utc = false;
        if (*rest == 'Z') {
                utc = true;
                rest++;
        } else if ((*rest == '+' || *rest == '-') && strlen(rest) == 6 && rest[3] == ':') {
                int h = atoi(rest + 1), m = atoi(rest + 4);
                off = (int64_t) (h * 3600 + m * 60) * (*rest == '+' ? 1 : -1);
                utc = true;
                rest += 6;
        }
        if (*rest)
                return -EINVAL;
        if (utc) {
                *ret = (int64_t) timegm(&tm) - off;
        } else {
                /* as Docker: a time without a zone is local time */
                tm.tm_isdst = -1;
                *ret = (int64_t) mktime(&tm);
        }
        return 0;
}

int engine_parse_timestamp(const char *s, int64_t now, int64_t *ret, LadeError **err)
{
        double d;
        if (!s || !*s)
                return lade_error_msg(err, EINVAL, "empty timestamp");
        if (parse_go_duration(s, &d) == 0) {
                *ret = now - (int64_t) d;
                return 0;
        }
        if (parse_rfc3339(s, ret) == 0)
                return 0;
        char *end;
        errno = 0;
        long long secs = strtoll(s, &end, 10);
        if (errno == 0 && end != s && (*end == '\0' || *end == '.')) {
                if (*end == '.') {
                        const char *frac = end + 1;
                        if (!*frac || strspn(frac, "0123456789") != strlen(frac))
                                goto bad;
                }
                *ret = (int64_t) secs;
                return 0;
        }
bad:
        return lade_error_msg(err, EINVAL, "failed to parse value as time or duration: \"%s\"", s);
}

/* reference=PATTERN: Go's path.Match against "repo:tag" and "repo" (a '*' stays in one path
 * component, as Docker's reference.FamiliarMatch). */
static bool image_ref_matches(const ImageInfo *i, char **patterns)
{
        for (char **t = i->repo_tags; t && *t; t++) {
                const char *colon = strrchr(*t, ':');
                _cleanup_free_ char *repo = colon ? xstrndup(*t, (size_t) (colon - *t)) : xstrdup(*t);
                for (char **p = patterns; *p; p++)
                        if (fnmatch(*p, *t, FNM_PATHNAME) == 0 || fnmatch(*p, repo, FNM_PATHNAME) == 0)
                                return true;
        }
        return false;
}

/* As dockerd: with a reference filter, an image lists only the tags that matched. */
static void image_keep_matching_tags(ImageInfo *i, char **patterns)
{
        char **keep = NULL;
        for (char **t = i->repo_tags; t && *t; t++) {
                char *one[] = { *t, NULL };
                ImageInfo probe = { .repo_tags = one };
                if (image_ref_matches(&probe, patterns))
                        keep = strv_append(keep, *t);
        }
        strv_free(i->repo_tags);
        i->repo_tags = keep;
}

bool engine_labels_match(json_t *labels, char **filters, bool negate)
{
        for (char **l = filters; l && *l; l++) {
                const char *eq = strchr(*l, '=');
                _cleanup_free_ char *k = eq ? xstrndup(*l, (size_t) (eq - *l)) : xstrdup(*l);
                json_t *v = labels ? json_object_get(labels, k) : NULL;
                bool m = v && (!eq || streq_ptr(json_string_value(v), eq + 1));
                if (m == negate)
                        return false;
        }
        return true;
}

typedef struct ImageFilterPlan {
        bool has_dangling, dangling;
        char **refs, **labels, **not_labels;
        bool has_before, has_since, has_until;
        int64_t before, since, until;
} ImageFilterPlan;

static void plan_done(ImageFilterPlan *p)
{
        strv_free(p->refs);
        strv_free(p->labels);
        strv_free(p->not_labels);
}

/* before=/since= name an image: the bound is its creation time (the first value counts). */
static int plan_image_time(Engine *e, const EngineFilters *f, const char *key, bool *has, int64_t *t,
                           LadeError **err)
{
        _cleanup_strv_free_ char **v = engine_filters_get(f, key);
        if (!v)
                return 0;
        _cleanup_(image_info_freep) ImageInfo *ref = NULL;
        int r = image_store_resolve(engine_images(e), v[0], &ref, err);
        if (r < 0)
                return r;
        *has = true;
        *t = ref->created;
        return 0;
}

static int plan_build(Engine *e, const EngineFilters *f, ImageFilterPlan *p, LadeError **err)
{
        int r = engine_filters_get_bool(f, "dangling", false, &p->dangling, err);
        if (r < 0)
                return r;
        p->has_dangling = engine_filters_has(f, "dangling");
        p->refs = engine_filters_get(f, "reference");
        p->labels = engine_filters_get(f, "label");
        p->not_labels = engine_filters_get(f, "label!");
        if ((r = plan_image_time(e, f, "before", &p->has_before, &p->before, err)) < 0 ||
            (r = plan_image_time(e, f, "since", &p->has_since, &p->since, err)) < 0)
                return r;
        _cleanup_strv_free_ char **until = engine_filters_get(f, "until");
        if (until) {
                if ((r = engine_parse_timestamp(until[0], (int64_t) time(NULL), &p->until, err)) < 0)
                        return r;
                p->has_until = true;
        }
        return 0;
}

static bool plan_matches(const ImageFilterPlan *p, const ImageInfo *i)
{
        bool dangling = !i->repo_tags || !i->repo_tags[0];
        if (p->has_dangling && p->dangling && !dangling)
                return false;
        if (p->refs && !image_ref_matches(i, p->refs))
                return false;
        json_t *labels = i->config ? i->config->labels : NULL;
        if (!engine_labels_match(labels, p->labels, false) || !engine_labels_match(labels, p->not_labels, true))
                return false;
        if ((p->has_before && i->created >= p->before) || (p->has_since && i->created <= p->since))
                return false;
        return !(p->has_until && i->created >= p->until);
}

int engine_image_list(Engine *e, const EngineFilters *f, ImageInfo ***ret, size_t *ret_n,
                      LadeError **err)
{
        static const char *const known[] = { "dangling", "reference", "label", "before", "since", "until", NULL };
        ImageFilterPlan p = { 0 };
        ImageInfo **l = NULL;
        size_t n = 0, k = 0;
        int r = f ? engine_filters_validate(f, known, err) : 0;
        if (r == 0 && f)
                r = plan_build(e, f, &p, err);
        if (r == 0)
                r = image_store_list(engine_images(e), &l, &n, err);
        if (r < 0) {
                plan_done(&p);
                return r;
        }
        for (size_t i = 0; i < n; i++) {
                /* a build step's image is build cache, not an image to list */
                if (!l[i]->intermediate && plan_matches(&p, l[i])) {
                        if (p.refs)
                                image_keep_matching_tags(l[i], p.refs);
                        l[k++] = l[i];
                }
                else
                        image_info_free(l[i]);
        }
        plan_done(&p);
        *ret = l;
        *ret_n = k;
        return 0;
}

int engine_image_prune(Engine *e, const EngineFilters *f, ImageRemoveFn fn, void *userdata,
                       uint64_t *ret_reclaimed, LadeError **err)
{
        static const char *const known[] = { "dangling", "label", "label!", "until", NULL };
        ImageFilterPlan p = { 0 };
        ImageInfo **l = NULL;
        size_t n = 0;
        bool dangling_only = true;
        int r = f ? engine_filters_validate(f, known, err) : 0;
        if (r == 0 && f)
                r = engine_filters_get_bool(f, "dangling", true, &dangling_only, err);
        if (r == 0 && f)
                r = plan_build(e, f, &p, err);
        if (r == 0)
                r = image_store_list(engine_images(e), &l, &n, err);
        p.has_dangling = false;   /* handled here: dangling=false means "unused", not "tagged" */
        for (size_t i = 0; r == 0 && i < n; i++) {
                bool dangling = !l[i]->repo_tags || !l[i]->repo_tags[0];
                /* as docker: images any container uses are never pruned */
                if (l[i]->intermediate || (dangling_only && !dangling) || !plan_matches(&p, l[i]) ||
                    engine_image_in_use(e, l[i]->id) != 0)
                        continue;
                _cleanup_(lade_error_freep) LadeError *e2 = NULL;
                /* dockerd's untag and delete events of each */
                (void) engine_image_remove_logged(e, l[i], l[i]->id, true, fn, userdata, &e2);
        }
        plan_done(&p);
        image_info_list_free(l, n);
        uint64_t freed = 0;
        if (r == 0)
                (void) image_store_gc(engine_images(e), &freed, NULL);
        /* and the prune itself: no Actor ID, the bytes reclaimed */
        if (r == 0) {
                _cleanup_free_ char *reclaimed = xasprintf("%" PRIu64, freed);
                engine_event_emit(e, "image", "prune", "", json_pack("{s:s}", "reclaimed", reclaimed));
        }
        if (r == 0 && ret_reclaimed)
                *ret_reclaimed = freed;
        return r;
}

/* JSON OCI platforms of query parameters, decoded and matched. Pure: no server state. */
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "api-platform-query.h"
#include "json-util.h"
#include "util.h"

/* Go's names for a JSON value's kind, as in "json: cannot unmarshal number into …". */
static const char *go_kind(const json_t *v)
{
        switch (json_typeof(v)) {
        case JSON_OBJECT: return "object";
        case JSON_ARRAY: return "array";
        case JSON_STRING: return "string";
        case JSON_TRUE:
        case JSON_FALSE: return "bool";
        default: return "number";
        }
}

static int type_error(const json_t *v, const char *field, const char *type, LadeError **err)
{
        return lade_error_msg(err, EINVAL, "failed to parse platform: json: cannot unmarshal %s into Go struct "
                              "field Platform.%s of type %s", go_kind(v), field, type);
}

static int set_string(char **dst, json_t *v, const char *field, LadeError **err)
{
        if (json_is_null(v))
                return 0;
        if (!json_is_string(v))
                return type_error(v, field, "string", err);
        free(*dst);
        *dst = xstrdup(json_string_value(v));
        return 0;
}

/* os.features: []string; Platform has no room for it, only whether it is non-empty matters. */
static int check_features(json_t *v, bool *ret_any, LadeError **err)
{
        size_t i;
        json_t *x;
        if (json_is_null(v))
                return 0;
        if (!json_is_array(v))
                return type_error(v, "os.features", "[]string", err);
        json_array_foreach(v, i, x)
                if (!json_is_string(x))
                        return type_error(x, "os.features", "string", err);
        *ret_any = json_array_size(v) > 0;
        return 0;
}

static int decode_fields(json_t *j, Platform *p, bool *ret_features, LadeError **err)
{
        const char *k;
        json_t *v;
        int r = 0;
        json_object_foreach(j, k, v) {
                if (strcasecmp(k, "os") == 0)
                        r = set_string(&p->os, v, "os", err);
                else if (strcasecmp(k, "architecture") == 0)
                        r = set_string(&p->architecture, v, "architecture", err);
                else if (strcasecmp(k, "variant") == 0)
                        r = set_string(&p->variant, v, "variant", err);
                else if (strcasecmp(k, "os.version") == 0)
                        r = set_string(&p->os_version, v, "os.version", err);
                else if (strcasecmp(k, "os.features") == 0)
                        r = check_features(v, ret_features, err);
                /* unknown keys are ignored, as by encoding/json */
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool empty(const char *s)
{
        return !s || !*s;
}

int api_platform_decode(const char *text, Platform *ret, LadeError **err)
{
        _cleanup_json_ json_t *j = NULL;
        _cleanup_(platform_done) Platform p = {};
        json_error_t je;
        bool features = false;
        size_t len = text ? strlen(text) : 0;
        if (len == 0)
                return lade_error_msg(err, EINVAL, "failed to parse platform: unexpected end of JSON input");
        j = json_loadb(text, len, JSON_DECODE_ANY, &je);
        if (!j)
                return lade_error_msg(err, EINVAL, "failed to parse platform: %s", je.text);
        if (!json_is_object(j) && !json_is_null(j))
                return lade_error_msg(err, EINVAL, "failed to parse platform: json: cannot unmarshal %s into Go "
                                      "value of type v1.Platform", go_kind(j));
        int r = json_is_object(j) ? decode_fields(j, &p, &features, err) : 0;
        if (r < 0)
                return r;
        bool optional = !empty(p.variant) || !empty(p.os_version) || features;
        if (empty(p.os) && empty(p.architecture) && optional)
                return lade_error_msg(err, EINVAL, "optional platform fields provided, but OS and Architecture "
                                      "are missing");
        if (empty(p.os) || empty(p.architecture))
                return lade_error_msg(err, EINVAL, "both OS and Architecture must be provided");
        *ret = p;
        p = (Platform) {};
        return 0;
}

bool api_platform_matches(const Platform *want, const Platform *have)
{
        if (platform_match_rank(want, have) >= 0)
                return true;
        if (!empty(have->variant))
                return false;
        /* dockerd's fallback: an image without a variant (often a config that omits it) is
         * compared on the normalized os and architecture only */
        Platform h = { .os = have->os, .architecture = have->architecture, .variant = want->variant };
        return platform_match_rank(want, &h) >= 0;
}

/* One path.Join element: empty ones are dropped. */
static void join(char **s, const char *part)
{
        if (empty(part))
                return;
        char *t = *s ? xasprintf("%s/%s", *s, part) : xstrdup(part);
        free(*s);
        *s = t;
}

char *api_platform_format_all(const Platform *p)
{
        if (empty(p->os))
                return xstrdup("unknown");
        char *s = empty(p->os_version) ? xstrdup(p->os) : xasprintf("%s(%s)", p->os, p->os_version);
        join(&s, p->architecture);
        join(&s, p->variant);
        return s;
}

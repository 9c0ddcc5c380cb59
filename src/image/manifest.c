/* Manifests, indexes and image configs -> plain structs; platforms and their matching; layer
 * media types. This file owns the typed JSON readers for the image formats (every error names
 * the field path, "layers[2].digest"), the decision which kind a document is, and the platform
 * preference order used to pick an entry of an index.
 *
 * What stays true: a Manifest or ImageConfig handed out has passed every check below, so later
 * code never re-validates: digests are well-formed, sizes are non-negative int64, every array or
 * object holds at most MANIFEST_MAX_ENTRIES entries (so each allocation is bounded before it is
 * made), and the document bytes were within MANIFEST_MAX_BYTES / CONFIG_MAX_BYTES. JSON null
 * counts as absent (Docker writes nulls); unknown keys are ignored; a known key of the wrong type
 * is an error. Document strings are sanitised before they appear in an error message. */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>

#include "json-util.h"
#include "manifest.h"
#include "reference.h"
#include "util.h"

/* ---- errors ---- */

/* At most 100 bytes of s, with control and non-ASCII bytes replaced: registry documents must not
 * write escape sequences to a terminal through our messages. */
#define PRINTABLE_MAX 100
static char *printable(const char *s)
{
        size_t n = strnlen(s, PRINTABLE_MAX + 1), i;
        char *p = xmalloc(PRINTABLE_MAX + sizeof("..."));
        for (i = 0; i < n && i < PRINTABLE_MAX; i++)
                p[i] = (unsigned char) s[i] >= 0x20 && (unsigned char) s[i] < 0x7f ? s[i] : '?';
        strcpy(p + i, n > PRINTABLE_MAX ? "..." : "");
        return p;
}

static char *field_path(const char *where, const char *key)
{
        if (!where || !*where)
                return key ? xstrdup(key) : NULL;
        if (!key)
                return xstrdup(where);
        return xasprintf("%s.%s", where, key);
}

_printf_(4, 5) static int field_error(LadeError **err, const char *where, const char *key,
                                      const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *msg = xvasprintf(fmt, ap);
        va_end(ap);
        _cleanup_free_ char *path = field_path(where, key);
        if (!path)
                return lade_error_msg(err, EINVAL, "%s", msg);
        return lade_error_msg(err, EINVAL, "%s: %s", path, msg);
}

static int type_error(LadeError **err, const char *where, const char *key, const char *expected,
                      const json_t *got)
{
        return field_error(err, where, key, "expected %s, got %s", expected, json_type_name(got));
}

/* ---- typed readers ---- */

/* json_parse_text() turns integers above INT64_MAX into marker strings: those are numbers. */
static bool is_string(const json_t *v)
{
        uint64_t big;
        return json_is_string(v) && !json_get_big_uint(v, &big);
}

static json_t *member(json_t *obj, const char *key)
{
        return json_member(obj, key);
}

static int check_count(size_t n, const char *where, const char *key, LadeError **err)
{
        if (n > MANIFEST_MAX_ENTRIES)
                return field_error(err, where, key, "more than %d entries", MANIFEST_MAX_ENTRIES);
        return 0;
}

static int check_digest(const char *s, const char *where, const char *key, LadeError **err)
{
        if (image_digest_valid(s))
                return 0;
        _cleanup_free_ char *p = printable(s);
        return field_error(err, where, key, "invalid digest '%s'", p);
}

static int read_strv(json_t *v, const char *where, const char *key, bool digests, char ***ret,
                     LadeError **err)
{
        if (!json_is_array(v))
                return type_error(err, where, key, "an array", v);
        size_t n = json_array_size(v);
        int r = check_count(n, where, key, err);
        if (r < 0)
                return r;

        _cleanup_strv_free_ char **l = xmalloc0((n + 1) * sizeof(char *));
        for (size_t i = 0; i < n; i++) {
                json_t *e = json_array_get(v, i);
                _cleanup_free_ char *k = xasprintf("%s[%zu]", key, i);
                if (!is_string(e))
                        return type_error(err, where, k, "a string", e);
                if (digests && check_digest(json_string_value(e), where, k, err) < 0)
                        return -EINVAL;
                l[i] = xstrdup(json_string_value(e));
        }
        *ret = TAKE_PTR(l);
        return 0;
}

/* Docker's strslice: an array of strings, or one string meaning a one-element array. */
static int read_strslice(json_t *v, const char *where, const char *key, char ***ret,
                         LadeError **err)
{
        if (!is_string(v))
                return read_strv(v, where, key, false, ret, err);
        char **l = xmalloc0(2 * sizeof(char *));
        l[0] = xstrdup(json_string_value(v));
        *ret = l;
        return 0;
}

static int read_object(json_t *v, const char *where, const char *key, LadeError **err)
{
        if (!json_is_object(v))
                return type_error(err, where, key, "an object", v);
        return check_count(json_object_size(v), where, key, err);
}

/* {"80/tcp": {}, ...} -> {"80/tcp", ...}; the values carry nothing. */
static int read_keys(json_t *v, const char *where, const char *key, char ***ret, LadeError **err)
{
        const char *k;
        json_t *e;
        size_t i = 0;
        int r = read_object(v, where, key, err);
        if (r < 0)
                return r;

        char **l = xmalloc0((json_object_size(v) + 1) * sizeof(char *));
        json_object_foreach(v, k, e)
                l[i++] = xstrdup(k);
        *ret = l;
        return 0;
}

/* An object of strings, copied (a null value becomes "", as Go's map[string]string decodes). */
static int read_string_map(json_t *v, const char *where, const char *key, json_t **ret,
                           LadeError **err)
{
        const char *k;
        json_t *e;
        int r = read_object(v, where, key, err);
        if (r < 0)
                return r;

        _cleanup_json_ json_t *copy = json_object();
        json_object_foreach(v, k, e) {
                if (!json_is_null(e) && !is_string(e)) {
                        _cleanup_free_ char *pk = printable(k);
                        _cleanup_free_ char *ek = xasprintf("%s[\"%s\"]", key, pk);
                        return type_error(err, where, ek, "a string", e);
                }
                const char *value = json_is_null(e) ? "" : json_string_value(e);
                json_object_set_new(copy, k, json_string(value));
        }
        *ret = TAKE_PTR(copy);
        return 0;
}

static int read_int64(json_t *v, const char *where, const char *key, bool non_negative,
                      int64_t *ret, LadeError **err)
{
        uint64_t big;
        if (json_get_big_uint(v, &big))
                return field_error(err, where, key, "integer %" PRIu64 " out of range", big);
        if (!json_is_integer(v))
                return type_error(err, where, key, "an integer", v);
        if (non_negative && json_integer_value(v) < 0)
                return field_error(err, where, key, "expected a non-negative integer, got %" PRId64,
                                   (int64_t) json_integer_value(v));
        *ret = json_integer_value(v);
        return 0;
}

static int read_string(json_t *v, const char *where, const char *key, bool nonempty, char **ret,
                       LadeError **err)
{
        if (!is_string(v))
                return type_error(err, where, key, "a string", v);
        if (nonempty && !*json_string_value(v))
                return field_error(err, where, key, "must not be empty");
        *ret = xstrdup(json_string_value(v));
        return 0;
}

/* ---- field tables ---- */

typedef enum FieldKind {
        FIELD_STRING,    /* char * */
        FIELD_NONEMPTY,  /* char *, not "" */
        FIELD_DIGEST,    /* char *, image_digest_valid() */
        FIELD_DIGESTS,   /* char **, each image_digest_valid() */
        FIELD_STRV,      /* char ** */
        FIELD_STRSLICE,  /* char **, also from one string */
        FIELD_KEYS,      /* char **, the keys of an object */
        FIELD_MAP,       /* json_t *, object of strings */
        FIELD_SIZE,      /* int64_t >= 0 */
        FIELD_INT64,     /* int64_t */
        FIELD_BOOL,      /* bool */
} FieldKind;

/* One member of a JSON object, stored at `offset` in the struct passed as `base`. */
typedef struct Field {
        const char *key;
        FieldKind kind;
        size_t offset;
        bool required;
} Field;

static int read_value(json_t *v, const char *where, const Field *f, void *p, LadeError **err)
{
        switch (f->kind) {
        case FIELD_STRING:
        case FIELD_NONEMPTY:
                return read_string(v, where, f->key, f->kind == FIELD_NONEMPTY, p, err);
        case FIELD_DIGEST:
                if (read_string(v, where, f->key, false, p, err) < 0)
                        return -EINVAL;
                return check_digest(*(char **) p, where, f->key, err);
        case FIELD_DIGESTS:
        case FIELD_STRV:
                return read_strv(v, where, f->key, f->kind == FIELD_DIGESTS, p, err);
        case FIELD_STRSLICE:
                return read_strslice(v, where, f->key, p, err);
        case FIELD_KEYS:
                return read_keys(v, where, f->key, p, err);
        case FIELD_MAP:
                return read_string_map(v, where, f->key, p, err);
        case FIELD_SIZE:
        case FIELD_INT64:
                return read_int64(v, where, f->key, f->kind == FIELD_SIZE, p, err);
        case FIELD_BOOL:
                if (!json_is_boolean(v))
                        return type_error(err, where, f->key, "a boolean", v);
                *(bool *) p = json_is_true(v);
                return 0;
        }
        return -EINVAL;
}

/* Fills base from obj; on error, what was read stays in base for its owner to free. */
static int read_fields(json_t *obj, const char *where, const Field *fields, size_t n_fields,
                       void *base, LadeError **err)
{
        for (size_t i = 0; i < n_fields; i++) {
                const Field *f = &fields[i];
                json_t *v = member(obj, f->key);
                if (!v && f->required)
                        return field_error(err, where, f->key, "required");
                if (v && read_value(v, where, f, (char *) base + f->offset, err) < 0)
                        return -EINVAL;
        }
        return 0;
}
#define read_table(obj, where, table, base, err) \
        read_fields(obj, where, table, ELEMENTSOF(table), base, err)

/* An array of objects parsed into a C array of `size`-byte elements. parse() fills a zeroed
 * element; done() frees what an element owns (also a half-parsed one). */
typedef struct ElemType {
        size_t size;
        int (*parse)(json_t *o, const char *where, void *elem, LadeError **err);
        void (*done)(void *elem);
} ElemType;

static void *objects_free(void *items, size_t n, const ElemType *t)
{
        for (size_t i = 0; items && i < n; i++)
                t->done((char *) items + i * t->size);
        free(items);
        return NULL;
}

static int objects_parse(json_t *arr, const char *key, const ElemType *t, char *items,
                         size_t *n, LadeError **err)
{
        json_t *e;
        size_t i;
        json_array_foreach(arr, i, e) {
                _cleanup_free_ char *w = xasprintf("%s[%zu]", key, i);
                if (!json_is_object(e))
                        return type_error(err, w, NULL, "an object", e);
                /* n counts started elements, so a half-parsed one is freed too */
                (*n)++;
                int r = t->parse(e, w, items + i * t->size, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* obj[key] as an array of objects; absent (unless required) and [] give (NULL, 0). */
static int read_objects(json_t *obj, const char *key, bool required, const ElemType *t,
                        void **ret, size_t *ret_n, LadeError **err)
{
        json_t *arr = member(obj, key);
        size_t n = 0;
        if (!arr)
                return required ? field_error(err, NULL, key, "required") : 0;
        if (!json_is_array(arr))
                return type_error(err, NULL, key, "an array", arr);
        int r = check_count(json_array_size(arr), NULL, key, err);
        if (r < 0 || json_array_size(arr) == 0)
                return r;

        char *items = xmalloc0(json_array_size(arr) * t->size);
        r = objects_parse(arr, key, t, items, &n, err);
        if (r < 0) {
                objects_free(items, n, t);
                return r;
        }
        *ret = items;
        *ret_n = n;
        return 0;
}

/* ---- descriptors ---- */

static const Field descriptor_fields[] = {
        { "mediaType", FIELD_NONEMPTY, offsetof(Descriptor, media_type), true },
        { "digest", FIELD_DIGEST, offsetof(Descriptor, digest), true },
        { "size", FIELD_SIZE, offsetof(Descriptor, size), true },
        { "urls", FIELD_STRV, offsetof(Descriptor, urls), false },
        { "annotations", FIELD_MAP, offsetof(Descriptor, annotations), false },
};

static const Field platform_fields[] = {
        { "os", FIELD_NONEMPTY, offsetof(Platform, os), true },
        { "architecture", FIELD_NONEMPTY, offsetof(Platform, architecture), true },
        { "variant", FIELD_STRING, offsetof(Platform, variant), false },
        { "os.version", FIELD_STRING, offsetof(Platform, os_version), false },
};

void platform_done(Platform *p)
{
        if (!p)
                return;
        free(p->os);
        free(p->architecture);
        free(p->variant);
        free(p->os_version);
        *p = (Platform) {};
}

void descriptor_done(Descriptor *d)
{
        if (!d)
                return;
        free(d->media_type);
        free(d->digest);
        strv_free(d->urls);
        json_decref(d->annotations);
        platform_done(d->platform);
        free(d->platform);
        *d = (Descriptor) {};
}

static int descriptor_parse(json_t *o, const char *where, void *elem, LadeError **err)
{
        return read_table(o, where, descriptor_fields, elem, err);
}

/* An index entry: a descriptor that may say which platform it is for. */
static int index_entry_parse(json_t *o, const char *where, void *elem, LadeError **err)
{
        Descriptor *d = elem;
        int r = descriptor_parse(o, where, d, err);
        if (r < 0)
                return r;
        json_t *p = member(o, "platform");
        if (!p)
                return 0;
        if (!json_is_object(p))
                return type_error(err, where, "platform", "an object", p);
        _cleanup_free_ char *w = field_path(where, "platform");
        d->platform = xmalloc0(sizeof(Platform));
        return read_table(p, w, platform_fields, d->platform, err);
}

static void descriptor_done_elem(void *elem)
{
        descriptor_done(elem);
}

static const ElemType layer_type = { sizeof(Descriptor), descriptor_parse, descriptor_done_elem };
static const ElemType entry_type = { sizeof(Descriptor), index_entry_parse, descriptor_done_elem };

/* ---- manifests ---- */

static const struct {
        const char *media_type;
        ManifestKind kind;
} manifest_types[] = {
        { MEDIA_DOCKER_MANIFEST, MANIFEST_KIND_IMAGE },
        { MEDIA_OCI_MANIFEST, MANIFEST_KIND_IMAGE },
        { MEDIA_DOCKER_LIST, MANIFEST_KIND_INDEX },
        { MEDIA_OCI_INDEX, MANIFEST_KIND_INDEX },
};

ManifestKind manifest_kind_from_media_type(const char *media_type)
{
        for (size_t i = 0; i < ELEMENTSOF(manifest_types); i++)
                if (streq(media_type, manifest_types[i].media_type))
                        return manifest_types[i].kind;
        return _MANIFEST_KIND_INVALID;
}

Manifest *manifest_free(Manifest *m)
{
        if (!m)
                return NULL;
        free(m->media_type);
        descriptor_done(&m->config);
        objects_free(m->layers, m->n_layers, &layer_type);
        objects_free(m->manifests, m->n_manifests, &entry_type);
        json_decref(m->annotations);
        json_decref(m->raw);
        free(m);
        return NULL;
}

/* A Content-Type as a bare lowercase media type ("; charset=..." dropped), or NULL when it says
 * nothing about manifests: registries and file servers send these generic types. */
static char *content_type_normalize(const char *s)
{
        static const char *const generic[] = { "", "application/json", "application/octet-stream",
                                               "text/plain" };
        if (!s)
                return NULL;
        while (*s == ' ' || *s == '\t')
                s++;
        char *t = xstrndup(s, strcspn(s, "; \t"));
        for (char *c = t; *c; c++)
                *c = (char) tolower((unsigned char) *c);
        for (size_t i = 0; i < ELEMENTSOF(generic); i++)
                if (streq(t, generic[i])) {
                        free(t);
                        return NULL;
                }
        return t;
}

static bool is_schema1(const char *t)
{
        return streq(t, MEDIA_DOCKER_SCHEMA1) || streq(t, MEDIA_DOCKER_SCHEMA1_SIGNED);
}

/* Without any media type the shape decides, as containerd and the OCI spec's guidance do. */
static int manifest_kind_by_shape(Manifest *m, LadeError **err)
{
        if (member(m->raw, "manifests")) {
                m->kind = MANIFEST_KIND_INDEX;
                m->media_type = xstrdup(MEDIA_OCI_INDEX);
        } else if (member(m->raw, "config") && member(m->raw, "layers")) {
                m->kind = MANIFEST_KIND_IMAGE;
                m->media_type = xstrdup(MEDIA_OCI_MANIFEST);
        } else
                return lade_error_msg(err, EINVAL,
                                      "unknown document: no mediaType, no Content-Type, and "
                                      "neither \"manifests\" nor \"config\" and \"layers\"");
        return 0;
}

static int manifest_kind_by_type(Manifest *m, const char *type, bool from_document,
                                 LadeError **err)
{
        m->kind = manifest_kind_from_media_type(type);
        if (m->kind < 0) {
                _cleanup_free_ char *p = printable(type);
                if (from_document)
                        return field_error(err, NULL, "mediaType",
                                           "unsupported manifest media type '%s'", p);
                return lade_error_msg(err, EINVAL, "unsupported Content-Type '%s'", p);
        }
        m->media_type = xstrdup(type);
        return 0;
}

static int manifest_read_kind(Manifest *m, const char *content_type, LadeError **err)
{
        _cleanup_free_ char *transport = content_type_normalize(content_type);
        json_t *v = member(m->raw, "mediaType"), *sv = member(m->raw, "schemaVersion");
        if (v && !is_string(v))
                return type_error(err, NULL, "mediaType", "a string", v);
        const char *doc = json_string_value(v);

        if (is_schema1(doc) || is_schema1(transport) ||
            (json_is_integer(sv) && json_integer_value(sv) == 1))
                return lade_error_msg(err, EINVAL, "schema 1 manifests are not supported");
        /* OCI image-spec: a mediaType contradicting the transport MUST be rejected, or one
         * digest could be read as two different things. */
        if (doc && transport && strcasecmp(doc, transport) != 0) {
                _cleanup_free_ char *pd = printable(doc), *pt = printable(transport);
                return field_error(err, NULL, "mediaType",
                                   "'%s' does not match the Content-Type '%s'", pd, pt);
        }
        if (doc || transport)
                return manifest_kind_by_type(m, doc ?: transport, doc != NULL, err);
        return manifest_kind_by_shape(m, err);
}

/* The members of the other kind must be absent (containerd's validateMediaType). */
static int manifest_check_shape(Manifest *m, LadeError **err)
{
        static const char *const image_only[] = { "config", "layers" };
        if (m->kind == MANIFEST_KIND_IMAGE && member(m->raw, "manifests"))
                return field_error(err, NULL, "manifests", "not allowed in an image manifest");
        for (size_t i = 0; m->kind == MANIFEST_KIND_INDEX && i < ELEMENTSOF(image_only); i++)
                if (member(m->raw, image_only[i]))
                        return field_error(err, NULL, image_only[i], "not allowed in an index");
        return 0;
}

static int manifest_read_schema_version(Manifest *m, LadeError **err)
{
        json_t *v = member(m->raw, "schemaVersion");
        int64_t x;
        if (!v)
                return field_error(err, NULL, "schemaVersion", "required");
        int r = read_int64(v, NULL, "schemaVersion", false, &x, err);
        if (r < 0)
                return r;
        if (x != 2)
                return field_error(err, NULL, "schemaVersion", "expected 2, got %" PRId64, x);
        m->schema_version = 2;
        return 0;
}

static int manifest_read_image(Manifest *m, LadeError **err)
{
        json_t *c = member(m->raw, "config");
        if (!c)
                return field_error(err, NULL, "config", "required");
        if (!json_is_object(c))
                return type_error(err, NULL, "config", "an object", c);
        int r = descriptor_parse(c, "config", &m->config, err);
        if (r < 0)
                return r;
        return read_objects(m->raw, "layers", true, &layer_type, (void **) &m->layers,
                            &m->n_layers, err);
}

static int manifest_read(Manifest *m, const char *content_type, LadeError **err)
{
        if (!json_is_object(m->raw))
                return type_error(err, NULL, NULL, "an object", m->raw);
        int r = manifest_read_kind(m, content_type, err);
        if (r < 0)
                return r;
        r = manifest_check_shape(m, err);
        if (r < 0)
                return r;
        r = manifest_read_schema_version(m, err);
        if (r < 0)
                return r;
        if (m->kind == MANIFEST_KIND_IMAGE)
                r = manifest_read_image(m, err);
        else
                r = read_objects(m->raw, "manifests", true, &entry_type, (void **) &m->manifests,
                                 &m->n_manifests, err);
        if (r < 0)
                return r;
        json_t *a = member(m->raw, "annotations");
        return a ? read_string_map(a, NULL, "annotations", &m->annotations, err) : 0;
}

int manifest_parse(const char *data, size_t len, const char *media_type, Manifest **ret,
                   LadeError **err)
{
        _cleanup_(manifest_freep) Manifest *m = NULL;
        json_t *j;
        if (len > MANIFEST_MAX_BYTES)
                return lade_error_msg(err, EFBIG, "manifest: %zu bytes, more than the limit of %u",
                                      len, MANIFEST_MAX_BYTES);
        int r = json_parse_text(data, len, "manifest", &j, err);
        if (r < 0)
                return r;

        m = xmalloc0(sizeof(*m));
        m->raw = j;
        r = manifest_read(m, media_type, err);
        if (r < 0) {
                (void) lade_error_wrap(err, "manifest");
                return r;
        }
        *ret = TAKE_PTR(m);
        return 0;
}

/* ---- image config ---- */

static const Field config_fields[] = {
        { "architecture", FIELD_STRING, offsetof(ImageConfig, architecture), false },
        { "os", FIELD_STRING, offsetof(ImageConfig, os), false },
        { "variant", FIELD_STRING, offsetof(ImageConfig, variant), false },
        { "created", FIELD_STRING, offsetof(ImageConfig, created), false },
        { "author", FIELD_STRING, offsetof(ImageConfig, author), false },
};

static const Field container_fields[] = {
        { "User", FIELD_STRING, offsetof(ImageConfig, user), false },
        { "Env", FIELD_STRV, offsetof(ImageConfig, env), false },
        { "Entrypoint", FIELD_STRSLICE, offsetof(ImageConfig, entrypoint), false },
        { "Cmd", FIELD_STRSLICE, offsetof(ImageConfig, cmd), false },
        { "WorkingDir", FIELD_STRING, offsetof(ImageConfig, working_dir), false },
        { "ExposedPorts", FIELD_KEYS, offsetof(ImageConfig, exposed_ports), false },
        { "Volumes", FIELD_KEYS, offsetof(ImageConfig, volumes), false },
        { "Labels", FIELD_MAP, offsetof(ImageConfig, labels), false },
        { "StopSignal", FIELD_STRING, offsetof(ImageConfig, stop_signal), false },
        { "OnBuild", FIELD_STRV, offsetof(ImageConfig, on_build), false },
        { "Shell", FIELD_STRSLICE, offsetof(ImageConfig, shell), false },
};

static const Field rootfs_fields[] = {
        { "diff_ids", FIELD_DIGESTS, offsetof(ImageConfig, diff_ids), false },
};

static const Field history_fields[] = {
        { "created", FIELD_STRING, offsetof(ImageHistory, created), false },
        { "created_by", FIELD_STRING, offsetof(ImageHistory, created_by), false },
        { "author", FIELD_STRING, offsetof(ImageHistory, author), false },
        { "comment", FIELD_STRING, offsetof(ImageHistory, comment), false },
        { "empty_layer", FIELD_BOOL, offsetof(ImageHistory, empty_layer), false },
};

/* Docker's HealthConfig: checked for types only, kept as JSON. */
typedef struct Healthcheck {
        char **test;
        int64_t interval, timeout, start_period, start_interval, retries;
} Healthcheck;

static const Field healthcheck_fields[] = {
        { "Test", FIELD_STRV, offsetof(Healthcheck, test), false },
        { "Interval", FIELD_INT64, offsetof(Healthcheck, interval), false },
        { "Timeout", FIELD_INT64, offsetof(Healthcheck, timeout), false },
        { "StartPeriod", FIELD_INT64, offsetof(Healthcheck, start_period), false },
        { "StartInterval", FIELD_INT64, offsetof(Healthcheck, start_interval), false },
        { "Retries", FIELD_INT64, offsetof(Healthcheck, retries), false },
};

static int history_parse(json_t *o, const char *where, void *elem, LadeError **err)
{
        return read_table(o, where, history_fields, elem, err);
}

static void history_done(void *elem)
{
        ImageHistory *h = elem;
        free(h->created);
        free(h->created_by);
        free(h->author);
        free(h->comment);
}

static const ElemType history_type = { sizeof(ImageHistory), history_parse, history_done };

ImageConfig *image_config_free(ImageConfig *c)
{
        if (!c)
                return NULL;
        free(c->architecture);
        free(c->os);
        free(c->variant);
        free(c->created);
        free(c->author);
        free(c->user);
        free(c->working_dir);
        free(c->stop_signal);
        strv_free(c->env);
        strv_free(c->entrypoint);
        strv_free(c->cmd);
        strv_free(c->shell);
        strv_free(c->on_build);
        strv_free(c->exposed_ports);
        strv_free(c->volumes);
        json_decref(c->labels);
        json_decref(c->healthcheck);
        strv_free(c->diff_ids);
        objects_free(c->history, c->n_history, &history_type);
        json_decref(c->raw);
        free(c);
        return NULL;
}

static int config_read_healthcheck(json_t *cfg, ImageConfig *c, LadeError **err)
{
        json_t *v = member(cfg, "Healthcheck");
        Healthcheck h = {};
        if (!v)
                return 0;
        if (!json_is_object(v))
                return type_error(err, "config", "Healthcheck", "an object", v);
        int r = read_table(v, "config.Healthcheck", healthcheck_fields, &h, err);
        strv_free(h.test);
        if (r < 0)
                return r;
        c->healthcheck = json_incref(v);
        return 0;
}

/* "config": what a container inherits. Entrypoint and Cmd remember being present even as null:
 * Docker resets an inherited Cmd when a later stage sets Entrypoint. */
static int config_read_container(ImageConfig *c, LadeError **err)
{
        json_t *cfg = member(c->raw, "config");
        if (!cfg)
                return 0;
        if (!json_is_object(cfg))
                return type_error(err, NULL, "config", "an object", cfg);
        int r = read_table(cfg, "config", container_fields, c, err);
        if (r < 0)
                return r;
        c->entrypoint_set = json_object_get(cfg, "Entrypoint") != NULL;
        c->cmd_set = json_object_get(cfg, "Cmd") != NULL;
        return config_read_healthcheck(cfg, c, err);
}

/* Docker refuses a config without rootfs ("invalid image JSON, no RootFS key"). */
static int config_read_rootfs(ImageConfig *c, LadeError **err)
{
        json_t *v = member(c->raw, "rootfs"), *t;
        if (!v)
                return field_error(err, NULL, "rootfs", "required");
        if (!json_is_object(v))
                return type_error(err, NULL, "rootfs", "an object", v);
        t = member(v, "type");
        if (!t)
                return field_error(err, "rootfs", "type", "required");
        if (!is_string(t))
                return type_error(err, "rootfs", "type", "a string", t);
        if (!streq(json_string_value(t), "layers")) {
                _cleanup_free_ char *p = printable(json_string_value(t));
                return field_error(err, "rootfs", "type", "expected 'layers', got '%s'", p);
        }
        return read_table(v, "rootfs", rootfs_fields, c, err);
}

static int config_read(ImageConfig *c, LadeError **err)
{
        if (!json_is_object(c->raw))
                return type_error(err, NULL, NULL, "an object", c->raw);
        int r = read_table(c->raw, NULL, config_fields, c, err);
        if (r < 0)
                return r;
        r = config_read_container(c, err);
        if (r < 0)
                return r;
        r = config_read_rootfs(c, err);
        if (r < 0)
                return r;
        return read_objects(c->raw, "history", false, &history_type, (void **) &c->history,
                            &c->n_history, err);
}

int image_config_parse(const char *data, size_t len, ImageConfig **ret, LadeError **err)
{
        _cleanup_(image_config_freep) ImageConfig *c = NULL;
        json_t *j;
        if (len > CONFIG_MAX_BYTES)
                return lade_error_msg(err, EFBIG,
                                      "image config: %zu bytes, more than the limit of %u", len,
                                      CONFIG_MAX_BYTES);
        int r = json_parse_text(data, len, "image config", &j, err);
        if (r < 0)
                return r;

        c = xmalloc0(sizeof(*c));
        c->raw = j;
        r = config_read(c, err);
        if (r < 0) {
                (void) lade_error_wrap(err, "image config");
                return r;
        }
        *ret = TAKE_PTR(c);
        return 0;
}

/* ---- platforms ---- */

/* GOOS and GOARCH values (Go's syslist), for telling "linux" from "arm64" in a one-part
 * platform string. */
static const char *const known_os[] = {
        "aix",   "android", "darwin", "dragonfly", "freebsd", "hurd",    "illumos", "ios", "js",
        "linux", "nacl",    "netbsd", "openbsd",   "plan9",   "solaris", "windows", "zos",
};
static const char *const known_arch[] = {
        "386",     "amd64",  "amd64p32", "arm",      "armbe",     "arm64",       "arm64be",
        "ppc64",   "ppc64le", "loong64", "mips",     "mipsle",    "mips64",      "mips64le",
        "mips64p32", "mips64p32le", "ppc", "riscv",  "riscv64",   "s390",        "s390x",
        "sparc",   "sparc64", "wasm",
};

static bool string_in(const char *s, const char *const *list, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (streq(s, list[i]))
                        return true;
        return false;
}

/* uname machine prefixes, longest first where they overlap. */
static const struct {
        const char *machine;
        bool prefix;
        const char *arch, *variant;
} machine_map[] = {
        { "x86_64", false, "amd64", NULL },   { "amd64", false, "amd64", NULL },
        { "i386", false, "386", NULL },       { "i486", false, "386", NULL },
        { "i586", false, "386", NULL },       { "i686", false, "386", NULL },
        { "x86", false, "386", NULL },        { "aarch64_be", false, "arm64be", NULL },
        { "aarch64", false, "arm64", "v8" },  { "arm64", false, "arm64", "v8" },
        { "armv8", true, "arm", "v8" },       { "armv7", true, "arm", "v7" },
        { "armv6", true, "arm", "v6" },       { "armv5", true, "arm", "v5" },
        { "armhf", false, "arm", "v7" },      { "armel", false, "arm", "v6" },
        { "arm", false, "arm", "v7" },        { "loongarch64", false, "loong64", NULL },
};

void platform_from_machine(const char *machine, Platform *ret)
{
        const char *arch = machine ? machine : "", *variant = NULL;
        for (size_t i = 0; i < ELEMENTSOF(machine_map); i++)
                if (machine && (machine_map[i].prefix ? startswith(machine, machine_map[i].machine)
                                                      : streq(machine, machine_map[i].machine))) {
                        arch = machine_map[i].arch;
                        variant = machine_map[i].variant;
                        break;
                }
        *ret = (Platform) {
                .os = xstrdup("linux"),
                .architecture = xstrdup(arch),
                .variant = variant ? xstrdup(variant) : NULL,
        };
}

/* The GOARCH this binary was built for: what userspace runs, even on a wider kernel. */
#if defined(__x86_64__)
#define HOST_ARCH "amd64"
#elif defined(__aarch64__)
#define HOST_ARCH "arm64"
#elif defined(__arm__)
#define HOST_ARCH "arm"
#elif defined(__i386__)
#define HOST_ARCH "386"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_ARCH "ppc64le"
#elif defined(__powerpc64__)
#define HOST_ARCH "ppc64"
#elif defined(__s390x__)
#define HOST_ARCH "s390x"
#elif defined(__riscv) && __riscv_xlen == 64
#define HOST_ARCH "riscv64"
#elif defined(__loongarch64)
#define HOST_ARCH "loong64"
#elif defined(__mips64) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_ARCH "mips64le"
#elif defined(__mips64)
#define HOST_ARCH "mips64"
#else
#define HOST_ARCH NULL
#endif

/* The variant a build for HOST_ARCH implies when the kernel names another architecture
 * (32-bit arm userspace on an arm64 kernel runs on a v8 CPU). */
static const char *host_variant(const char *kernel_arch)
{
        if (streq(HOST_ARCH, "arm64"))
                return "v8";
        if (streq(HOST_ARCH, "arm"))
                return streq(kernel_arch, "arm64") ? "v8" : "v7";
        return NULL;
}

void platform_host(Platform *ret)
{
        struct utsname u;
        Platform p;
        platform_from_machine(uname(&u) == 0 ? u.machine : "", &p);
        /* The kernel's name wins when it agrees with the build (it knows the arm version);
         * otherwise this is e.g. a 32-bit build on a 64-bit kernel. */
        if (HOST_ARCH && !streq(p.architecture, HOST_ARCH)) {
                const char *variant = host_variant(p.architecture);
                platform_done(&p);
                p = (Platform) {
                        .os = xstrdup("linux"),
                        .architecture = xstrdup(HOST_ARCH),
                        .variant = variant ? xstrdup(variant) : NULL,
                };
        }
        *ret = p;
}

char *platform_format(const Platform *p)
{
        if (!p || !p->os)
                return xstrdup("unknown");
        if (!p->architecture || !*p->architecture)
                return xstrdup(p->os);
        if (!p->variant || !*p->variant)
                return xasprintf("%s/%s", p->os, p->architecture);
        return xasprintf("%s/%s/%s", p->os, p->architecture, p->variant);
}

static char *lowercase(const char *s, size_t n)
{
        char *t = xstrndup(s, n);
        for (char *c = t; *c; c++)
                *c = (char) tolower((unsigned char) *c);
        return t;
}

/* Arch aliases a user may type ("linux/aarch64"): GOARCH name, and the variant they imply. */
static void platform_alias_arch(Platform *p)
{
        static const struct {
                const char *alias, *arch, *variant;
        } aliases[] = {
                { "aarch64", "arm64", NULL }, { "x86_64", "amd64", NULL },
                { "x86-64", "amd64", NULL },  { "i386", "386", NULL },
                { "armhf", "arm", "v7" },     { "armel", "arm", "v6" },
        };
        for (size_t i = 0; i < ELEMENTSOF(aliases); i++)
                if (streq(p->architecture, aliases[i].alias)) {
                        free(p->architecture);
                        p->architecture = xstrdup(aliases[i].arch);
                        if (!p->variant && aliases[i].variant)
                                p->variant = xstrdup(aliases[i].variant);
                        return;
                }
}

static bool platform_component_valid(const char *s, size_t n)
{
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char) s[i]) && !strchr("_.-", s[i]))
                        return false;
        return true;
}

typedef struct PlatformParts {
        char *v[3];
        size_t n;
} PlatformParts;

static void platform_parts_done(PlatformParts *pp)
{
        for (size_t i = 0; i < ELEMENTSOF(pp->v); i++)
                free(pp->v[i]);
}

/* "os", "arch", "os/arch", "os/arch/variant": split, checked and lowercased. */
static int platform_split(const char *s, PlatformParts *pp, LadeError **err)
{
        for (const char *p = s;; p++) {
                size_t len = strcspn(p, "/");
                if (pp->n == ELEMENTSOF(pp->v) || !platform_component_valid(p, len)) {
                        _cleanup_free_ char *ps = printable(s);
                        return lade_error_msg(err, EINVAL,
                                              "invalid platform '%s': expected os[/arch[/variant]] "
                                              "made of [A-Za-z0-9_.-]", ps);
                }
                pp->v[pp->n++] = lowercase(p, len);
                p += len;
                if (!*p)
                        return 0;
        }
}

int platform_parse(const char *s, Platform *ret, LadeError **err)
{
        _cleanup_(platform_parts_done) PlatformParts pp = {};
        Platform p = {};
        int r = platform_split(s ? s : "", &pp, err);
        if (r < 0)
                return r;

        if (pp.n == 1 && string_in(pp.v[0], known_os, ELEMENTSOF(known_os))) {
                /* only the os: with the host's architecture, as containerd does */
                platform_host(&p);
                free(p.os);
                p.os = TAKE_PTR(pp.v[0]);
        } else {
                p.os = pp.n == 1 ? xstrdup("linux") : TAKE_PTR(pp.v[0]);
                p.architecture = TAKE_PTR(pp.v[pp.n == 1 ? 0 : 1]);
                p.variant = TAKE_PTR(pp.v[2]);
                platform_alias_arch(&p);
        }
        if (pp.n == 1 && !string_in(p.architecture, known_arch, ELEMENTSOF(known_arch))) {
                _cleanup_free_ char *ps = printable(s);
                platform_done(&p);
                return lade_error_msg(err, EINVAL, "invalid platform '%s': unknown operating "
                                      "system or architecture", ps);
        }
        if (streq(p.os, "macos")) {
                free(p.os);
                p.os = xstrdup("darwin");
        }
        *ret = p;
        return 0;
}

/* ---- matching (containerd's platforms.Only) ---- */

/* Canonical spelling of a platform, compared case-insensitively: strings point into the
 * Platform or at literals. */
typedef struct NormPlatform {
        const char *os, *arch, *variant;
} NormPlatform;

static bool eq(const char *a, const char *b)
{
        return strcasecmp(a, b) == 0;
}

static bool eq_any(const char *s, const char *const *list, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (eq(s, list[i]))
                        return true;
        return false;
}
#define EQ_ANY(s, ...)                                             \
        eq_any(s, (const char *const[]) { __VA_ARGS__ },           \
               ELEMENTSOF(((const char *const[]) { __VA_ARGS__ })))

/* The default variants have no name: arm64 is v8, amd64 is v1, arm is v7 (the one spelled). */
static void normalize_arch(NormPlatform *n)
{
        static const char *const arm_variants[] = { "v5", "v6", "v7", "v8" };
        if (eq(n->arch, "i386")) {
                n->arch = "386";
                n->variant = "";
        } else if (EQ_ANY(n->arch, "x86_64", "x86-64", "amd64")) {
                n->arch = "amd64";
                n->variant = eq(n->variant, "v1") ? "" : n->variant;
        } else if (EQ_ANY(n->arch, "aarch64", "arm64")) {
                n->arch = "arm64";
                if (EQ_ANY(n->variant, "8", "v8", "v8.0"))
                        n->variant = "";
                else if (EQ_ANY(n->variant, "9", "9.0", "v9.0"))
                        n->variant = "v9";
        } else if (EQ_ANY(n->arch, "armhf", "armel")) {
                n->variant = eq(n->arch, "armhf") ? "v7" : "v6";
                n->arch = "arm";
        } else if (eq(n->arch, "arm")) {
                if (!*n->variant)
                        n->variant = "v7";
                else if (strlen(n->variant) == 1 && n->variant[0] >= '5' && n->variant[0] <= '8')
                        n->variant = arm_variants[n->variant[0] - '5'];
        }
}

static NormPlatform platform_normalize(const char *os, const char *arch, const char *variant)
{
        NormPlatform n = { os && *os ? os : "linux", arch ? arch : "", variant ? variant : "" };
        if (eq(n.os, "macos"))
                n.os = "darwin";
        normalize_arch(&n);
        return n;
}

static bool norm_equal(const NormPlatform *a, const NormPlatform *b)
{
        return eq(a->os, b->os) && eq(a->arch, b->arch) && eq(a->variant, b->variant);
}

/* The platforms want accepts, most preferred first. */
#define PLATFORM_VECTOR_MAX 32
typedef struct PlatformVector {
        NormPlatform v[PLATFORM_VECTOR_MAX];
        char variants[PLATFORM_VECTOR_MAX][16];
        size_t n;
} PlatformVector;

_printf_(4, 5) static void vector_add(PlatformVector *pv, const char *os, const char *arch,
                                      const char *variant_fmt, ...)
{
        va_list ap;
        if (pv->n == PLATFORM_VECTOR_MAX)
                return;
        va_start(ap, variant_fmt);
        (void) vsnprintf(pv->variants[pv->n], sizeof(pv->variants[pv->n]), variant_fmt, ap);
        va_end(ap);
        pv->v[pv->n] = platform_normalize(os, arch, pv->variants[pv->n]);
        pv->n++;
}

/* "v7" or "7" -> 7; -1 for anything else. Small bounds keep the fallback loops short. */
static int variant_number(const char *v, int max)
{
        if (*v == 'v' || *v == 'V')
                v++;
        if (!isdigit((unsigned char) v[0]) || (v[1] && (!isdigit((unsigned char) v[1]) || v[2])))
                return -1;
        int n = atoi(v);
        return n <= max ? n : max;
}

/* arm v8 and below run v(N-1) ... v5 code. */
static void vector_add_arm(PlatformVector *pv, const char *os, int version)
{
        for (int k = version; k >= 5; k--)
                vector_add(pv, os, "arm", "v%d", k);
}

/* arm64 vM.minor ... vM.1, vM */
static void vector_add_arm64_minors(PlatformVector *pv, const char *os, int major, int minor)
{
        for (int m = minor; m > 0; m--)
                vector_add(pv, os, "arm64", "v%d.%d", major, m);
        vector_add(pv, os, "arm64", "v%d", major);
}

/* arm64 v8.x runs v8.x ... v8; v9.x runs v9.x ... v9, then v8.(x+5) ... v8; both run 32-bit
 * arm v8 ... v5. Unknown variants match nothing (as in containerd). */
static void vector_add_arm64(PlatformVector *pv, const NormPlatform *w)
{
        const char *v = *w->variant ? w->variant : "v8";
        int major, minor = 0;
        if ((v[0] != 'v' && v[0] != 'V') || (v[1] != '8' && v[1] != '9'))
                return;
        major = v[1] - '0';
        if (v[2] == '.' && isdigit((unsigned char) v[3]) && !v[4])
                minor = v[3] - '0';
        else if (v[2])
                return;
        if (major == 9 && minor > 7)
                return;
        vector_add_arm64_minors(pv, w->os, major, minor);
        if (major == 9)
                vector_add_arm64_minors(pv, w->os, 8, minor + 5 < 9 ? minor + 5 : 9);
        vector_add_arm(pv, w->os, 8);
}

static void platform_vector(const Platform *want, PlatformVector *pv)
{
        NormPlatform w = platform_normalize(want->os, want->architecture, want->variant);
        int version;
        pv->n = 0;
        if (eq(w.arch, "arm64")) {
                vector_add_arm64(pv, &w);
                return;
        }
        pv->v[pv->n++] = w;
        if (eq(w.arch, "amd64")) {
                /* x86-64 microarchitecture levels v1..v4, then 32-bit x86 */
                for (version = variant_number(w.variant, 16) - 1; version >= 1; version--)
                        vector_add(pv, w.os, "amd64", "v%d", version);
                vector_add(pv, w.os, "386", "%s", "");
        } else if (eq(w.arch, "arm") && (version = variant_number(w.variant, 16)) > 5)
                vector_add_arm(pv, w.os, version - 1);
}

static int vector_rank(const PlatformVector *pv, const Platform *have)
{
        NormPlatform h = platform_normalize(have->os, have->architecture, have->variant);
        for (size_t i = 0; i < pv->n; i++)
                if (norm_equal(&pv->v[i], &h))
                        return (int) i;
        return -ENOENT;
}

int platform_match_rank(const Platform *want, const Platform *have)
{
        PlatformVector pv;
        platform_vector(want, &pv);
        return vector_rank(&pv, have);
}

/* Entries without a platform, and BuildKit's attestation manifests (platform unknown/unknown),
 * are never images to run. */
static bool index_entry_runnable(const Descriptor *d)
{
        const char *ref_type = json_string_value(json_object_get(d->annotations,
                                                                 "vnd.docker.reference.type"));
        return d->platform && !eq(d->platform->os, "unknown") &&
               !eq(d->platform->architecture, "unknown") &&
               !streq(ref_type, "attestation-manifest");
}

int manifest_select_platform(const Manifest *index, const Platform *want, const Descriptor **ret,
                             LadeError **err)
{
        PlatformVector pv;
        const Descriptor *best = NULL;
        int best_rank = PLATFORM_VECTOR_MAX;
        if (!index || index->kind != MANIFEST_KIND_INDEX)
                return lade_error_msg(err, EINVAL, "not a manifest list or image index");

        platform_vector(want, &pv);
        /* the most preferred platform wins; among equals, the first in index order */
        for (size_t i = 0; i < index->n_manifests; i++) {
                const Descriptor *d = &index->manifests[i];
                int rank = index_entry_runnable(d) ? vector_rank(&pv, d->platform) : -ENOENT;
                if (rank >= 0 && rank < best_rank) {
                        best = d;
                        best_rank = rank;
                }
        }
        if (!best) {
                _cleanup_free_ char *f = platform_format(want), *pf = printable(f);
                return lade_error_msg(err, ENOENT,
                                      "no matching manifest for %s in the manifest list entries",
                                      pf);
        }
        *ret = best;
        return 0;
}

/* ---- layers ---- */

static const struct {
        const char *media_type;
        int compression;
} layer_types[] = {
        { MEDIA_DOCKER_LAYER_TAR, 0 },        { MEDIA_DOCKER_LAYER, 1 },
        { MEDIA_DOCKER_LAYER_ZSTD, 2 },       { MEDIA_DOCKER_FOREIGN_LAYER_TAR, 0 },
        { MEDIA_DOCKER_FOREIGN_LAYER, 1 },    { MEDIA_OCI_LAYER, 0 },
        { MEDIA_OCI_LAYER_GZIP, 1 },          { MEDIA_OCI_LAYER_ZSTD, 2 },
        { MEDIA_OCI_NONDIST_LAYER, 0 },       { MEDIA_OCI_NONDIST_LAYER_GZIP, 1 },
        { MEDIA_OCI_NONDIST_LAYER_ZSTD, 2 },
};

int layer_media_compression(const char *media_type)
{
        for (size_t i = 0; i < ELEMENTSOF(layer_types); i++)
                if (streq(media_type, layer_types[i].media_type))
                        return layer_types[i].compression;
        return -EINVAL;
}

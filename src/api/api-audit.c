/* The audit log writer and the redaction of what it records.
 *
 * What stays true: the file is opened O_APPEND|O_NOFOLLOW, mode 0600, and only ever appended
 * to; one line is written with one write(2) under the lock, so lines never interleave; rotation
 * renames, it never truncates. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api-audit.h"
#include "json-util.h"
#include "util.h"

#define REDACT_DEPTH_MAX 8
#define REDACT_ITEMS_MAX 64

struct ApiAudit {
        char *path;
        int fd;
        uint64_t max_size;
        pthread_mutex_t lock;
};

static int audit_reopen(ApiAudit *a, LadeError **err)
{
        a->fd = safe_close(a->fd);
        a->fd = open(a->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (a->fd < 0)
                return lade_error(err, errno, "open audit log '%s'", a->path);
        return 0;
}

int api_audit_open(const char *path, uint64_t max_size, ApiAudit **ret, LadeError **err)
{
        ApiAudit *a = xmalloc0(sizeof(*a));
        a->path = xstrdup(path);
        a->fd = -EBADF;
        a->max_size = max_size ? max_size : API_AUDIT_MAX_SIZE;
        pthread_mutex_init(&a->lock, NULL);
        int r = audit_reopen(a, err);
        if (r < 0) {
                api_audit_free(a);
                return r;
        }
        *ret = a;
        return 0;
}

ApiAudit *api_audit_free(ApiAudit *a)
{
        if (!a)
                return NULL;
        safe_close(a->fd);
        pthread_mutex_destroy(&a->lock);
        free(a->path);
        free(a);
        return NULL;
}

static int audit_rotate(ApiAudit *a, LadeError **err)
{
        for (int i = API_AUDIT_KEEP - 1; i >= 1; i--) {
                _cleanup_free_ char *from = xasprintf("%s.%d", a->path, i), *to = xasprintf("%s.%d", a->path, i + 1);
                if (rename(from, to) < 0 && errno != ENOENT)
                        return lade_error(err, errno, "rotate audit log '%s'", from);
        }
        _cleanup_free_ char *first = xasprintf("%s.1", a->path);
        if (rename(a->path, first) < 0 && errno != ENOENT)
                return lade_error(err, errno, "rotate audit log '%s'", a->path);
        return audit_reopen(a, err);
}

int api_audit_append(ApiAudit *a, const json_t *entry, LadeError **err)
{
        _cleanup_free_ char *line = json_dumps(entry, JSON_COMPACT | JSON_ENSURE_ASCII);
        if (!line)
                return lade_error_msg(err, ENOMEM, "serialise audit entry");
        size_t len = strlen(line);
        line = xrealloc(line, len + 2);
        memcpy(line + len, "\n", 2);
        pthread_mutex_lock(&a->lock);
        struct stat st;
        int r = 0;
        if (a->fd >= 0 && fstat(a->fd, &st) == 0 && (uint64_t) st.st_size + len + 1 > a->max_size && st.st_size > 0)
                r = audit_rotate(a, err);
        if (r == 0 && a->fd < 0)
                r = audit_reopen(a, err);
        if (r == 0 && (r = write_all(a->fd, line, len + 1)) < 0)
                r = lade_error(err, -r, "write audit log '%s'", a->path);
        pthread_mutex_unlock(&a->lock);
        return r;
}

bool api_audit_secret_key(const char *key)
{
        static const char *const words[] = { "password", "passwd", "secret", "token", "auth", "credential",
                                             "private", "apikey", "api_key", "passphrase" };
        for (size_t i = 0; i < ELEMENTSOF(words); i++)
                if (strcasestr(key, words[i]))
                        return true;
        return false;
}

static json_t *redact_string(const char *s)
{
        size_t len = strlen(s);
        if (len <= API_AUDIT_STRING_MAX)
                return json_string(s);
        /* cut at a character boundary so the result stays valid UTF-8 */
        size_t cut = API_AUDIT_STRING_MAX;
        while (cut > 0 && ((unsigned char) s[cut] & 0xC0) == 0x80)
                cut--;
        _cleanup_free_ char *t = xasprintf("%.*s…(%zu bytes)", (int) cut, s, len);
        return json_string(t);
}

/* "K=V" -> "K=<redacted>" */
static json_t *redact_assignments(const json_t *a)
{
        json_t *out = json_array();
        size_t i;
        json_t *v;
        json_array_foreach(a, i, v) {
                if (i == REDACT_ITEMS_MAX) {
                        json_array_append_new(out, json_string("…"));
                        break;
                }
                const char *s = json_string_value(v);
                if (!s) {
                        json_array_append_new(out, json_string(API_AUDIT_REDACTED));
                        continue;
                }
                size_t k = strcspn(s, "=");
                _cleanup_free_ char *t = xasprintf("%.*s=%s", (int) (k > 128 ? 128 : k), s, API_AUDIT_REDACTED);
                json_array_append_new(out, json_string(t) ?: json_string(API_AUDIT_REDACTED));
        }
        return out;
}

static json_t *redact_depth(const json_t *v, int depth);

static json_t *redact_object(const json_t *v, int depth)
{
        json_t *out = json_object();
        const char *key;
        json_t *m;
        size_t n = 0;
        json_object_foreach((json_t *) v, key, m) {
                if (n++ == REDACT_ITEMS_MAX) {
                        json_object_set_new(out, "…", json_string("more keys elided"));
                        break;
                }
                json_t *r;
                if (api_audit_secret_key(key))
                        r = json_string(API_AUDIT_REDACTED);
                else if ((strcasecmp(key, "Env") == 0 || strcasecmp(key, "BuildArgs") == 0) && json_is_array(m))
                        r = redact_assignments(m);
                else if (strcasecmp(key, "BuildArgs") == 0 || strcasecmp(key, "buildargs") == 0)
                        r = json_string(API_AUDIT_REDACTED);
                else
                        r = redact_depth(m, depth + 1);
                json_object_set_new(out, key, r);
        }
        return out;
}

static json_t *redact_depth(const json_t *v, int depth)
{
        if (depth > REDACT_DEPTH_MAX)
                return json_string("…");
        switch (json_typeof(v)) {
        case JSON_OBJECT:
                return redact_object(v, depth);
        case JSON_ARRAY: {
                json_t *out = json_array();
                size_t i;
                json_t *m;
                json_array_foreach((json_t *) v, i, m) {
                        if (i == REDACT_ITEMS_MAX) {
                                json_array_append_new(out, json_string("…"));
                                break;
                        }
                        json_array_append_new(out, redact_depth(m, depth + 1));
                }
                return out;
        }
        case JSON_STRING:
                return redact_string(json_string_value(v));
        default:
                return json_deep_copy(v);
        }
}

json_t *api_audit_redact(const json_t *v)
{
        return v ? redact_depth(v, 0) : json_null();
}

json_t *api_audit_body_summary(const char *content_type, const json_t *json, uint64_t bytes)
{
        if (bytes == 0 && !json)
                return NULL;
        if (!json)
                return json_pack("{s:I,s:s}", "bytes", (json_int_t) bytes, "content_type",
                                 content_type ? content_type : "");
        json_t *red = api_audit_redact(json);
        _cleanup_free_ char *text = json_dumps(red, JSON_COMPACT);
        if (text && strlen(text) <= API_AUDIT_SUMMARY_MAX)
                return red;
        json_decref(red);
        json_t *keys = json_array();
        if (json_is_object(json)) {
                const char *k;
                json_t *m;
                json_object_foreach((json_t *) json, k, m)
                        if (json_array_size(keys) < REDACT_ITEMS_MAX)
                                json_array_append_new(keys, redact_string(k));
        }
        return json_pack("{s:I,s:b,s:o}", "bytes", (json_int_t) bytes, "truncated", 1, "keys", keys);
}

json_t *api_audit_query_value(const char *key, const char *value)
{
        if (api_audit_secret_key(key) || strcasecmp(key, "buildargs") == 0)
                return json_string(API_AUDIT_REDACTED);
        return redact_string(value ? value : "") ?: json_string("<not UTF-8>");
}

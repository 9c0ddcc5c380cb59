/* JSON in and out of files; size limits are checked before parsing. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "json-util.h"
#include "util.h"

#define BIG_UINT_MARKER "\001u64:"

/* Is text[i..] an unsigned integer token too big for int64 but within uint64? */
static size_t big_uint_len(const char *text, size_t len, size_t i)
{
        size_t n = 0;
        while (i + n < len && text[i + n] >= '0' && text[i + n] <= '9')
                n++;
        if (n < 19 || n > 20 || (i + n < len && strchr(".eE", text[i + n])))
                return 0;
        char buf[21];
        memcpy(buf, text + i, n);
        buf[n] = '\0';
        errno = 0;
        unsigned long long v = strtoull(buf, NULL, 10);
        return errno == 0 && v > (unsigned long long) INT64_MAX ? n : 0;
}

/* jansson stores integers as int64, yet OCI has uint64 fields whose maximum Docker really sends
 * (rlimits of -1 become 18446744073709551615). Such tokens are rewritten to the string
 * "\001u64:<digits>", which json_get_big_uint() recognises; nothing else can produce it. */
static char *rewrite_big_uints(const char *text, size_t len, size_t *ret_len)
{
        char *out = NULL;
        size_t o = 0, cap = 0;
        bool in_str = false;
        for (size_t i = 0; i < len; i++) {
                char c = text[i];
                size_t n = 0;
                if (in_str) {
                        if (c == '\\' && i + 1 < len) {
                                if (out) {
                                        out[o++] = c;
                                }
                                c = text[++i];
                        } else if (c == '"')
                                in_str = false;
                } else if (c == '"')
                        in_str = true;
                else if (c >= '1' && c <= '9' && (i == 0 || !strchr("-.0123456789eE+", text[i - 1])))
                        n = big_uint_len(text, len, i);
                if (n && !out) {
                        cap = len * 2 + 64;
                        out = xmalloc(cap);
                        memcpy(out, text, i);
                        o = i;
                }
                if (out && o + 40 >= cap) {
                        cap *= 2;
                        out = xrealloc(out, cap);
                }
                if (n) {
                        o += (size_t) sprintf(out + o, "\"\\u0001u64:%.*s\"", (int) n, text + i);
                        i += n - 1;
                } else if (out)
                        out[o++] = c;
        }
        *ret_len = o;
        return out;
}

bool json_get_big_uint(const json_t *v, uint64_t *ret)
{
        const char *s = json_string_value(v);
        if (!s || strncmp(s, BIG_UINT_MARKER, strlen(BIG_UINT_MARKER)) != 0)
                return false;
        *ret = strtoull(s + strlen(BIG_UINT_MARKER), NULL, 10);
        return true;
}

int json_parse_text(const char *text, size_t len, const char *what, json_t **ret, LadeError **err)
{
        json_error_t je;
        size_t blen;
        _cleanup_free_ char *rewritten = rewrite_big_uints(text, len, &blen);
        if (rewritten) {
                text = rewritten;
                len = blen;
        }
        json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
        if (!j)
                return lade_error_msg(err, EINVAL, "%s: invalid JSON at line %d column %d: %s", what,
                                      je.line, je.column, je.text);
        *ret = j;
        return 0;
}

int json_load_path(const char *path, size_t max, json_t **ret, LadeError **err)
{
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r = read_file_at(AT_FDCWD, path, max, &buf, &len, err);
        if (r < 0)
                return r;
        return json_parse_text(buf, len, path, ret, err);
}

char *json_dump_compact(const json_t *j)
{
        char *s = json_dumps(j, JSON_COMPACT);
        if (!s)
                s = xstrdup("null");
        return s;
}

const char *json_type_name(const json_t *j)
{
        uint64_t big;
        if (json_get_big_uint(j, &big))
                return "an integer";
        switch (json_typeof(j)) {
        case JSON_OBJECT:
                return "an object";
        case JSON_ARRAY:
                return "an array";
        case JSON_STRING:
                return "a string";
        case JSON_INTEGER:
                return "an integer";
        case JSON_REAL:
                return "a real number";
        case JSON_TRUE:
        case JSON_FALSE:
                return "a boolean";
        case JSON_NULL:
                return "null";
        }
        return "an unknown value";
}

json_t *json_member(json_t *obj, const char *key)
{
        json_t *v = json_object_get(obj, key);
        return json_is_null(v) ? NULL : v;
}

char **json_strv(const json_t *a)
{
        char **v = xmalloc0(sizeof(char *));
        size_t i;
        json_t *x;
        json_array_foreach(a, i, x)
                if (json_is_string(x))
                        v = strv_append(v, json_string_value(x));
        return v;
}

/* Helpers of the Dockerfile front end. Nothing here allocates without xmalloc. */
#include <stdio.h>
#include <string.h>

#include "build-util.h"
#include "util.h"

static void buf_grow(BuildBuf *b, size_t extra)
{
        size_t need = b->len + extra + 1;

        if (need <= b->cap)
                return;
        size_t cap = b->cap ? b->cap : 32;
        while (cap < need)
                cap *= 2;
        b->data = xrealloc(b->data, cap);
        b->cap = cap;
}

void build_buf_put(BuildBuf *b, const char *s, size_t n)
{
        buf_grow(b, n);
        if (n)
                memcpy(b->data + b->len, s, n);
        b->len += n;
        b->data[b->len] = 0;
}

void build_buf_putc(BuildBuf *b, char c)
{
        build_buf_put(b, &c, 1);
}

void build_buf_puts(BuildBuf *b, const char *s)
{
        build_buf_put(b, s, strlen(s));
}

void build_buf_put_rune(BuildBuf *b, uint32_t r)
{
        char s[4];

        if (r & BUILD_RUNE_RAW_BYTE) {
                build_buf_putc(b, (char) (r & 0xff));
                return;
        }
        if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
                r = 0xFFFD;
        if (r < 0x80) {
                build_buf_putc(b, (char) r);
        } else if (r < 0x800) {
                s[0] = (char) (0xC0 | (r >> 6));
                s[1] = (char) (0x80 | (r & 0x3F));
                build_buf_put(b, s, 2);
        } else if (r < 0x10000) {
                s[0] = (char) (0xE0 | (r >> 12));
                s[1] = (char) (0x80 | ((r >> 6) & 0x3F));
                s[2] = (char) (0x80 | (r & 0x3F));
                build_buf_put(b, s, 3);
        } else {
                s[0] = (char) (0xF0 | (r >> 18));
                s[1] = (char) (0x80 | ((r >> 12) & 0x3F));
                s[2] = (char) (0x80 | ((r >> 6) & 0x3F));
                s[3] = (char) (0x80 | (r & 0x3F));
                build_buf_put(b, s, 4);
        }
}

void build_buf_reset(BuildBuf *b)
{
        b->len = 0;
        if (b->data)
                b->data[0] = 0;
}

char *build_buf_steal(BuildBuf *b)
{
        char *s = b->data ? b->data : xstrdup("");

        b->data = NULL;
        b->len = b->cap = 0;
        return s;
}

void build_buf_done(BuildBuf *b)
{
        free(b->data);
        b->data = NULL;
        b->len = b->cap = 0;
}

size_t build_utf8_decode(const char *str, size_t len, uint32_t *ret)
{
        const unsigned char *s = (const unsigned char *) str;
        uint32_t r, min;
        size_t n;

        if (s[0] < 0x80) {
                *ret = s[0];
                return 1;
        }
        if ((s[0] & 0xE0) == 0xC0) {
                n = 2, r = s[0] & 0x1F, min = 0x80;
        } else if ((s[0] & 0xF0) == 0xE0) {
                n = 3, r = s[0] & 0x0F, min = 0x800;
        } else if ((s[0] & 0xF8) == 0xF0) {
                n = 4, r = s[0] & 0x07, min = 0x10000;
        } else {
                goto raw;
        }
        if (len < n)
                goto raw;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xC0) != 0x80)
                        goto raw;
                r = (r << 6) | (s[i] & 0x3F);
        }
        if (r < min || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
                goto raw;
        *ret = r;
        return n;
raw:
        *ret = BUILD_RUNE_RAW_BYTE | s[0];
        return 1;
}

bool build_rune_is_space(uint32_t r)
{
        switch (r) {
        case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
        case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F:
        case 0x205F: case 0x3000:
                return true;
        default:
                return r >= 0x2000 && r <= 0x200A;
        }
}

char *build_ascii_lower(const char *s)
{
        char *r = xstrdup(s);

        for (char *p = r; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                        *p = (char) (*p - 'A' + 'a');
        return r;
}

char *build_ascii_upper(const char *s)
{
        char *r = xstrdup(s);

        for (char *p = r; *p; p++)
                if (*p >= 'a' && *p <= 'z')
                        *p = (char) (*p - 'a' + 'A');
        return r;
}

bool build_strcaseeq(const char *a, const char *b)
{
        _cleanup_free_ char *la = build_ascii_lower(a), *lb = build_ascii_lower(b);

        return streq(la, lb);
}

/* Levenshtein distance over bytes (agext/levenshtein counts runes; names here are ASCII). */
static size_t levenshtein(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b);
        _cleanup_free_ size_t *row = xreallocarray(NULL, lb + 1, sizeof(size_t));

        for (size_t j = 0; j <= lb; j++)
                row[j] = j;
        for (size_t i = 1; i <= la; i++) {
                size_t diag = row[0];
                row[0] = i;
                for (size_t j = 1; j <= lb; j++) {
                        size_t up = row[j];
                        size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
                        size_t best = diag + cost;
                        if (row[j] + 1 < best)
                                best = row[j] + 1;
                        if (row[j - 1] + 1 < best)
                                best = row[j - 1] + 1;
                        row[j] = best;
                        diag = up;
                }
        }
        return row[lb];
}

const char *build_suggest(const char *val, const char *const *options, size_t n, bool case_sensitive)
{
        _cleanup_free_ char *v = case_sensitive ? xstrdup(val) : build_ascii_lower(val);
        const char *match = NULL;
        size_t mindist = 3;

        /* very long values cannot be within distance 2 of a short option name */
        if (strlen(v) > 64)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *o = case_sensitive ? xstrdup(options[i])
                                                        : build_ascii_lower(options[i]);
                if (streq(v, o))
                        return NULL;
                size_t d = levenshtein(v, o);
                if (d < mindist) {
                        match = options[i];
                        mindist = d;
                }
        }
        return match;
}

char *build_go_quote(const char *s)
{
        BuildBuf b = {};
        size_t len = strlen(s);

        build_buf_putc(&b, '"');
        for (size_t i = 0; i < len;) {
                uint32_t r;
                size_t n = build_utf8_decode(s + i, len - i, &r);
                char tmp[16];

                if (r & BUILD_RUNE_RAW_BYTE) {
                        snprintf(tmp, sizeof(tmp), "\\x%02x", r & 0xff);
                        build_buf_puts(&b, tmp);
                } else if (r == '"' || r == '\\') {
                        build_buf_putc(&b, '\\');
                        build_buf_putc(&b, (char) r);
                } else if (r == '\n') {
                        build_buf_puts(&b, "\\n");
                } else if (r == '\t') {
                        build_buf_puts(&b, "\\t");
                } else if (r == '\r') {
                        build_buf_puts(&b, "\\r");
                } else if (r == '\a' || r == '\b' || r == '\f' || r == '\v') {
                        build_buf_putc(&b, '\\');
                        build_buf_putc(&b, "abfv"[r == '\a' ? 0 : r == '\b' ? 1 : r == '\f' ? 2 : 3]);
                } else if (r < 0x20 || r == 0x7f) {
                        snprintf(tmp, sizeof(tmp), "\\x%02x", r);
                        build_buf_puts(&b, tmp);
                } else if (r >= 0x80 && r < 0xA0) {
                        snprintf(tmp, sizeof(tmp), "\\u%04x", r);
                        build_buf_puts(&b, tmp);
                } else {
                        build_buf_put(&b, s + i, n);
                }
                i += n;
        }
        build_buf_putc(&b, '"');
        return build_buf_steal(&b);
}

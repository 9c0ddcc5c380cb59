/* The Go standard-library behaviours that the docker CLI's flag values go through: strconv
 * (ParseInt/ParseUint/Atoi/ParseBool/ParseFloat and Quote), time.ParseDuration, go-units
 * RAMInBytes, big.Rat for --cpus, net.ParseIP/ParseMAC, path.Clean and strings.TrimSpace.
 * Each one accepts and rejects what Go does and words its errors as Go does, because those texts
 * end up in Docker's messages ("strconv.ParseInt: parsing \"x\": invalid syntax"). */
#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "run-flags-internal.h"
#include "util.h"

typedef struct Buf {
        char *p;
        size_t n, cap;
} Buf;

static void buf_put(Buf *b, const char *s, size_t n)
{
        if (b->n + n + 1 > b->cap) {
                b->cap = (b->n + n + 1) * 2;
                b->p = xrealloc(b->p, b->cap);
        }
        memcpy(b->p + b->n, s, n);
        b->n += n;
        b->p[b->n] = '\0';
}

_printf_(2, 3) static void buf_putf(Buf *b, const char *fmt, ...)
{
        char tmp[32];
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(tmp, sizeof(tmp), fmt, ap);
        va_end(ap);
        buf_put(b, tmp, (size_t) k);
}

static char *buf_take(Buf *b)
{
        if (!b->p)
                return xstrdup("");
        return b->p;
}

/* Decodes one UTF-8 sequence as Go does (no overlongs, surrogates or > U+10FFFF); returns its
 * length, or 0 for an invalid byte. */
static size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *ret)
{
        if (s[0] < 0x80) {
                *ret = s[0];
                return 1;
        }
        size_t n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
        if (n == 0 || s[0] > 0xf4 || len < n)
                return 0;
        uint32_t c = s[0] & (0x7f >> n);
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                c = (c << 6) | (s[i] & 0x3f);
        }
        if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
            (c >= 0xd800 && c <= 0xdfff))
                return 0;
        *ret = c;
        return n;
}

/* unicode.IsPrint for the runes that matter in practice: Go's tables also exclude unassigned
 * code points, which this does not know about. */
static bool rune_is_print(uint32_t c)
{
        static const uint32_t ranges[][2] = {
                { 0x80, 0xa0 }, { 0xad, 0xad }, { 0x61c, 0x61c }, { 0x1680, 0x1680 },
                { 0x180e, 0x180e }, { 0x2000, 0x200f }, { 0x2028, 0x202f }, { 0x205f, 0x206f },
                { 0x3000, 0x3000 }, { 0xe000, 0xf8ff }, { 0xfeff, 0xfeff }, { 0xfff9, 0xfffb },
                { 0xfffe, 0xffff }, { 0xe0000, 0xe0fff }, { 0xf0000, 0x10ffff },
        };
        if (c < 0x80)
                return c >= 0x20 && c < 0x7f;
        for (size_t i = 0; i < ELEMENTSOF(ranges); i++)
                if (c >= ranges[i][0] && c <= ranges[i][1])
                        return false;
        return true;
}

static void quote_ascii(Buf *b, unsigned char c)
{
        static const char esc[] = "\aa\bb\ff\nn\rr\tt\vv";
        if (c == '"' || c == '\\') {
                char e[2] = { '\\', (char) c };
                buf_put(b, e, 2);
                return;
        }
        if (c >= 0x20 && c < 0x7f) {
                buf_put(b, (const char *) &c, 1);
                return;
        }
        for (size_t i = 0; i + 1 < sizeof(esc); i += 2)
                if ((unsigned char) esc[i] == c) {
                        char e[2] = { '\\', esc[i + 1] };
                        buf_put(b, e, 2);
                        return;
                }
        buf_putf(b, "\\x%02x", c);
}

char *go_quote(const char *s)
{
        Buf b = {};
        size_t len = strlen(s);
        buf_put(&b, "\"", 1);
        for (size_t i = 0; i < len;) {
                const unsigned char *p = (const unsigned char *) s + i;
                uint32_t c;
                size_t n = utf8_decode(p, len - i, &c);
                if (n == 0) {
                        buf_putf(&b, "\\x%02x", p[0]);
                        n = 1;
                } else if (n == 1)
                        quote_ascii(&b, p[0]);
                else if (rune_is_print(c))
                        buf_put(&b, (const char *) p, n);
                else
                        buf_putf(&b, c < 0x10000 ? "\\u%04x" : "\\U%08x", c);
                i += n;
        }
        buf_put(&b, "\"", 1);
        return buf_take(&b);
}

/* time's own quote: every byte outside 0x20..0x7f as \xNN. */
static char *go_time_quote(const char *s)
{
        Buf b = {};
        buf_put(&b, "\"", 1);
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if (*p >= 0x80 || *p < 0x20)
                        buf_putf(&b, "\\x%02x", *p);
                else {
                        if (*p == '"' || *p == '\\')
                                buf_put(&b, "\\", 1);
                        buf_put(&b, (const char *) p, 1);
                }
        }
        buf_put(&b, "\"", 1);
        return buf_take(&b);
}

static int num_error(const char *fn, const char *s, int r, char **msg)
{
        if (msg) {
                _cleanup_free_ char *q = go_quote(s);
                *msg = xasprintf("strconv.%s: parsing %s: %s", fn, q,
                                 r == -ERANGE ? "value out of range" : "invalid syntax");
        }
        return r;
}

static int lower(int c)
{
        return c | ('x' - 'X');
}

/* strconv's underscoreOK: underscores only between digits (a base prefix counts as one). */
static bool underscore_ok(const char *s)
{
        char saw = '^';
        bool hex = false;
        size_t i = 0, len;
        if (*s == '-' || *s == '+')
                s++;
        len = strlen(s);
        if (len >= 2 && s[0] == '0' && strchr("box", lower(s[1])) && s[1]) {
                i = 2;
                saw = '0';
                hex = lower(s[1]) == 'x';
        }
        for (; i < len; i++) {
                int c = (unsigned char) s[i];
                if ((c >= '0' && c <= '9') || (hex && lower(c) >= 'a' && lower(c) <= 'f'))
                        saw = '0';
                else if (c == '_') {
                        if (saw != '0')
                                return false;
                        saw = '_';
                } else {
                        if (saw == '_')
                                return false;
                        saw = '!';
                }
        }
        return saw != '_';
}

static int pick_base(const char **s, int base)
{
        const char *p = *s;
        if (base != 0)
                return base;
        if (p[0] != '0')
                return 10;
        if (strlen(p) >= 3 && strchr("box", lower(p[1]))) {
                *s = p + 2;
                return lower(p[1]) == 'b' ? 2 : lower(p[1]) == 'o' ? 8 : 16;
        }
        *s = p + 1;
        return 8;
}

/* ParseUint's core: 0, -EINVAL or -ERANGE (with *ret the clamped maximum). */
static int parse_uint_core(const char *s0, int base, int bits, uint64_t *ret)
{
        bool base0 = base == 0, underscores = false;
        const char *s = s0;
        if (!*s)
                return -EINVAL;
        base = pick_base(&s, base);
        uint64_t max = bits >= 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
        uint64_t cutoff = UINT64_MAX / (uint64_t) base + 1, n = 0;
        for (; *s; s++) {
                int c = (unsigned char) *s, d;
                if (c == '_' && base0) {
                        underscores = true;
                        continue;
                }
                if (c >= '0' && c <= '9')
                        d = c - '0';
                else if (lower(c) >= 'a' && lower(c) <= 'z')
                        d = lower(c) - 'a' + 10;
                else
                        return -EINVAL;
                if (d >= base)
                        return -EINVAL;
                if (n >= cutoff || n * (uint64_t) base + (uint64_t) d < n * (uint64_t) base ||
                    n * (uint64_t) base + (uint64_t) d > max) {
                        *ret = max;
                        return -ERANGE;
                }
                n = n * (uint64_t) base + (uint64_t) d;
        }
        if (underscores && !underscore_ok(s0))
                return -EINVAL;
        *ret = n;
        return 0;
}

int go_parse_uint(const char *s, int base, int bits, uint64_t *ret, char **msg)
{
        uint64_t v;
        int r = parse_uint_core(s, base, bits, &v);
        if (r < 0)
                return num_error("ParseUint", s, r, msg);
        *ret = v;
        return 0;
}

int go_parse_int(const char *s0, int base, int bits, int64_t *ret, char **msg)
{
        const char *s = s0;
        bool neg = false;
        uint64_t un = 0;
        if (!*s)
                return num_error("ParseInt", s0, -EINVAL, msg);
        if (*s == '+' || *s == '-')
                neg = *s++ == '-';
        int r = parse_uint_core(s, base, bits, &un);
        if (r == -EINVAL)
                return num_error("ParseInt", s0, r, msg);
        uint64_t cutoff = UINT64_C(1) << (bits - 1);
        if ((!neg && un >= cutoff) || (neg && un > cutoff))
                return num_error("ParseInt", s0, -ERANGE, msg);
        *ret = neg ? (int64_t) (0 - un) : (int64_t) un;
        return 0;
}

int go_atoi(const char *s, int64_t *ret, const char **reason)
{
        _cleanup_free_ char *msg = NULL;
        int r = go_parse_int(s, 10, 64, ret, &msg);
        if (r < 0)
                *reason = r == -ERANGE ? "value out of range" : "invalid syntax";
        return r;
}

int go_parse_bool(const char *s, bool *ret, char **msg)
{
        static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
        static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (streq(s, yes[i])) {
                        *ret = true;
                        return 0;
                }
                if (streq(s, no[i])) {
                        *ret = false;
                        return 0;
                }
        }
        return num_error("ParseBool", s, -EINVAL, msg);
}

/* strconv.readFloat's grammar: returns the length of the valid prefix, or 0. */
static size_t float_syntax(const char *s, bool *hex)
{
        size_t i = 0, len = strlen(s);
        bool sawdot = false, sawdigits = false, underscores = false;
        if (i < len && (s[i] == '+' || s[i] == '-'))
                i++;
        *hex = i + 2 < len && s[i] == '0' && lower(s[i + 1]) == 'x';
        if (*hex)
                i += 2;
        for (; i < len; i++) {
                int c = (unsigned char) s[i];
                if (c == '_')
                        underscores = true;
                else if (c == '.' && !sawdot)
                        sawdot = true;
                else if ((c >= '0' && c <= '9') || (*hex && lower(c) >= 'a' && lower(c) <= 'f'))
                        sawdigits = true;
                else
                        break;
        }
        if (!sawdigits)
                return 0;
        if (i < len && lower(s[i]) == (*hex ? 'p' : 'e')) {
                i++;
                if (i < len && (s[i] == '+' || s[i] == '-'))
                        i++;
                if (i >= len || s[i] < '0' || s[i] > '9')
                        return 0;
                for (; i < len && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'); i++)
                        if (s[i] == '_')
                                underscores = true;
        } else if (*hex)
                return 0;
        if (underscores) {
                _cleanup_free_ char *prefix = xstrndup(s, i);
                if (!underscore_ok(prefix))
                        return 0;
        }
        return i;
}

static int go_parse_float(const char *s, double *ret, char **msg)
{
        bool hex;
        size_t n = float_syntax(s, &hex);
        if (n == 0 || n != strlen(s))
                return num_error("ParseFloat", s, -EINVAL, msg);
        _cleanup_free_ char *clean = xmalloc(n + 1);
        size_t o = 0;
        for (size_t i = 0; i < n; i++)
                if (s[i] != '_')
                        clean[o++] = s[i];
        clean[o] = '\0';
        double v = strtod(clean, NULL);
        if (isinf(v))
                return num_error("ParseFloat", s, -ERANGE, msg);
        *ret = v;
        return 0;
}

static const char *const duration_units[][2] = {
        { "ns", "1" }, { "us", "1000" }, { "\xc2\xb5s", "1000" }, { "\xce\xbcs", "1000" },
        { "ms", "1000000" }, { "s", "1000000000" }, { "m", "60000000000" },
        { "h", "3600000000000" },
};

static uint64_t duration_unit(const char *u, size_t n)
{
        for (size_t i = 0; i < ELEMENTSOF(duration_units); i++)
                if (strlen(duration_units[i][0]) == n && memcmp(duration_units[i][0], u, n) == 0)
                        return strtoull(duration_units[i][1], NULL, 10);
        return 0;
}

static int duration_error(const char *what, const char *orig, char **msg)
{
        _cleanup_free_ char *q = go_time_quote(orig);
        *msg = xasprintf("time: %s %s", what, q);
        return -EINVAL;
}

#define BIT63 (UINT64_C(1) << 63)

/* [0-9]* -> x; false on overflow (time.leadingInt). */
static bool leading_int(const char **s, uint64_t *x)
{
        for (*x = 0; **s >= '0' && **s <= '9'; (*s)++) {
                if (*x > BIT63 / 10)
                        return false;
                *x = *x * 10 + (uint64_t) (**s - '0');
                if (*x > BIT63)
                        return false;
        }
        return true;
}

static void leading_fraction(const char **s, uint64_t *x, double *scale)
{
        bool overflow = false;
        *x = 0;
        *scale = 1;
        for (; **s >= '0' && **s <= '9'; (*s)++) {
                if (overflow)
                        continue;
                if (*x > (BIT63 - 1) / 10) {
                        overflow = true;
                        continue;
                }
                uint64_t y = *x * 10 + (uint64_t) (**s - '0');
                if (y > BIT63) {
                        overflow = true;
                        continue;
                }
                *x = y;
                *scale *= 10;
        }
}

/* One [0-9]*(\.[0-9]*)?unit element of a duration, added to *d. */
static int duration_element(const char **sp, const char *orig, uint64_t *d, char **msg)
{
        const char *s = *sp, *start = s;
        uint64_t v, f = 0, unit;
        double scale = 1;
        bool post = false;
        if (!(*s == '.' || (*s >= '0' && *s <= '9')) || !leading_int(&s, &v))
                return duration_error("invalid duration", orig, msg);
        bool pre = s != start;
        if (*s == '.') {
                const char *fs = ++s;
                leading_fraction(&s, &f, &scale);
                post = s != fs;
        }
        if (!pre && !post)
                return duration_error("invalid duration", orig, msg);
        size_t i = strcspn(s, ".0123456789");
        if (i == 0)
                return duration_error("missing unit in duration", orig, msg);
        unit = duration_unit(s, i);
        if (unit == 0) {
                _cleanup_free_ char *u = xstrndup(s, i), *qu = go_time_quote(u), *qo = go_time_quote(orig);
                *msg = xasprintf("time: unknown unit %s in duration %s", qu, qo);
                return -EINVAL;
        }
        if (v > BIT63 / unit)
                return duration_error("invalid duration", orig, msg);
        v *= unit;
        if (f > 0) {
                v += (uint64_t) ((double) f * ((double) unit / scale));
                if (v > BIT63)
                        return duration_error("invalid duration", orig, msg);
        }
        *d += v;
        if (*d > BIT63)
                return duration_error("invalid duration", orig, msg);
        *sp = s + i;
        return 0;
}

int go_parse_duration(const char *orig, int64_t *ret, char **msg)
{
        const char *s = orig;
        bool neg = false;
        uint64_t d = 0;
        if (*s == '-' || *s == '+')
                neg = *s++ == '-';
        if (streq(s, "0")) {
                *ret = 0;
                return 0;
        }
        if (!*s)
                return duration_error("invalid duration", orig, msg);
        while (*s) {
                int r = duration_element(&s, orig, &d, msg);
                if (r < 0)
                        return r;
        }
        if (!neg && d > BIT63 - 1)
                return duration_error("invalid duration", orig, msg);
        *ret = neg ? (int64_t) (0 - d) : (int64_t) d;
        return 0;
}

/* Go's float64 -> int64 conversion on amd64: out of range gives the minimum int64. */
static int64_t go_float_to_int64(double v)
{
        if (!(v < 9223372036854775808.0 && v >= -9223372036854775808.0))
                return INT64_MIN;
        return (int64_t) v;
}

static int64_t ram_unit(int c)
{
        switch (c) {
        case 'k': return INT64_C(1) << 10;
        case 'm': return INT64_C(1) << 20;
        case 'g': return INT64_C(1) << 30;
        case 't': return INT64_C(1) << 40;
        case 'p': return INT64_C(1) << 50;
        default: return 0;
        }
}

static int ram_suffix(double size, const char *sfx, int64_t *ret, char **msg)
{
        char low[4] = {};
        size_t n = strlen(sfx);
        if (n > 3) {
                *msg = xasprintf("invalid suffix: '%s'", sfx);
                return -EINVAL;
        }
        for (size_t i = 0; i < n; i++)
                low[i] = (char) (sfx[i] >= 'A' && sfx[i] <= 'Z' ? sfx[i] + 32 : sfx[i]);
        int64_t mul = ram_unit(low[0]);
        bool ok = low[0] == 'b' ? n == 1 :
                  mul != 0 && (n == 1 || (n == 2 && low[1] == 'b') || (n == 3 && streq(low + 1, "ib")));
        if (!ok) {
                *msg = xasprintf("invalid suffix: '%s'", low);
                return -EINVAL;
        }
        *ret = go_float_to_int64(low[0] == 'b' ? size : size * (double) mul);
        return 0;
}

int go_ram_in_bytes(const char *s, int64_t *ret, char **msg)
{
        const char *sep = NULL;
        for (const char *p = s; *p; p++)
                if (strchr("0123456789. ", *p))
                        sep = p;
        if (!sep) {
                *msg = xasprintf("invalid size: '%s'", s);
                return -EINVAL;
        }
        _cleanup_free_ char *num = xstrndup(s, (size_t) (sep - s) + (*sep != ' '));
        const char *sfx = sep + 1;
        double size;
        int r = go_parse_float(num, &size, msg);
        if (r < 0)
                return r;
        if (size < 0) {
                *msg = xasprintf("invalid size: '%s'", s);
                return -EINVAL;
        }
        if (!*sfx) {
                *ret = go_float_to_int64(size);
                return 0;
        }
        return ram_suffix(size, sfx, ret, msg);
}

/* Low 64 bits of the decimal integer digits[0..n) times 10^k (k >= 0): big.Int.Int64() keeps
 * exactly these bits, so wrapping arithmetic reproduces it. */
static uint64_t digits_low64(const char *digits, size_t n, int64_t k)
{
        uint64_t v = 0;
        for (size_t i = 0; i < n; i++)
                v = v * 10 + (uint64_t) (digits[i] - '0');
        for (int64_t i = 0; i < k && i < 64; i++)
                v *= 10;
        return k >= 64 ? 0 : v;
}

static int cpus_fail(const char *s, char **msg)
{
        *msg = xasprintf("failed to parse %s as a rational number", s);
        return -EINVAL;
}

static int cpus_fraction(const char *s, const char *slash, int64_t *ret, char **msg)
{
        _cleanup_free_ char *a_str = xstrndup(s, (size_t) (slash - s));
        int64_t a;
        uint64_t b;
        if (go_parse_int(a_str, 0, 64, &a, NULL) < 0 || slash[1] == '+' || slash[1] == '-' ||
            go_parse_uint(slash + 1, 0, 64, &b, NULL) < 0 || b == 0)
                return cpus_fail(s, msg);
        __int128 n = (__int128) a * 1000000000;
        if (n % (__int128) b != 0) {
                *msg = xstrdup("value is too precise");
                return -EINVAL;
        }
        *ret = (int64_t) (uint64_t) (n / (__int128) b);
        return 0;
}

/* The digits, fraction length and exponent of [+-]digits[.digits][e[+-]digits]. */
typedef struct Decimal {
        char *digits;
        size_t nd;
        int64_t frac, exp;
        bool neg;
} Decimal;

static bool decimal_scan(const char *p, Decimal *d)
{
        bool dot = false;
        int64_t esign = 1;
        if (*p == '+' || *p == '-')
                d->neg = *p++ == '-';
        for (; (*p >= '0' && *p <= '9') || (*p == '.' && !dot); p++) {
                if (*p == '.')
                        dot = true;
                else {
                        d->digits[d->nd++] = *p;
                        d->frac += dot;
                }
        }
        if (d->nd == 0)
                return false;
        if (*p == 'e' || *p == 'E') {
                p++;
                if (*p == '+' || *p == '-')
                        esign = *p++ == '-' ? -1 : 1;
                if (*p < '0' || *p > '9')
                        return false;
                for (; *p >= '0' && *p <= '9'; p++)
                        d->exp = d->exp < 100000000 ? d->exp * 10 + (*p - '0') : d->exp;
        }
        d->exp *= esign;
        return *p == '\0';
}

/* Decimal mantissa [.fraction] [e exponent], as big.Rat.SetString reads it, times 1e9. */
static int cpus_decimal(const char *s, int64_t *ret, char **msg)
{
        _cleanup_free_ char *digits = xmalloc(strlen(s) + 1);
        Decimal d = { .digits = digits };
        if (!decimal_scan(s, &d))
                return cpus_fail(s, msg);
        size_t lead = 0, nd = d.nd;
        while (lead < nd && digits[lead] == '0')
                lead++;
        if (lead == nd) {
                /* an all-zero mantissa is 0 whatever the exponent */
                *ret = 0;
                return 0;
        }
        int64_t k = d.exp - d.frac + 9;
        while (k < 0 && nd > lead && digits[nd - 1] == '0') {
                nd--;
                k++;
        }
        if (k < 0) {
                *msg = xstrdup("value is too precise");
                return -EINVAL;
        }
        uint64_t v = digits_low64(digits + lead, nd - lead, k);
        *ret = (int64_t) (d.neg ? 0 - v : v);
        return 0;
}

int go_parse_cpus(const char *s, int64_t *ret, char **msg)
{
        const char *slash = strchr(s, '/');
        if (!*s)
                return cpus_fail(s, msg);
        if (slash)
                return cpus_fraction(s, slash, ret, msg);
        return cpus_decimal(s, ret, msg);
}

/* IP.String(): dotted quad for IPv4 and IPv4-mapped, RFC 5952 otherwise. */
static char *ip6_string(const unsigned char a[16])
{
        static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
        if (memcmp(a, mapped, 12) == 0)
                return xasprintf("%u.%u.%u.%u", a[12], a[13], a[14], a[15]);
        unsigned g[8];
        int zs = -1, ze = -1;
        for (int i = 0; i < 8; i++)
                g[i] = (unsigned) a[2 * i] << 8 | a[2 * i + 1];
        for (int i = 0; i < 8; i++) {
                int j = i;
                while (j < 8 && g[j] == 0)
                        j++;
                if (j - i >= 2 && j - i > ze - zs) {
                        zs = i;
                        ze = j;
                }
        }
        Buf b = {};
        for (int i = 0; i < 8; i++) {
                if (i == zs) {
                        buf_put(&b, "::", 2);
                        i = ze;
                        if (i >= 8)
                                break;
                } else if (i > 0)
                        buf_put(&b, ":", 1);
                buf_putf(&b, "%x", g[i]);
        }
        return buf_take(&b);
}

bool go_parse_ip(const char *s, char **ret)
{
        unsigned char a[16];
        if (inet_pton(AF_INET, s, a) == 1) {
                if (ret)
                        *ret = xasprintf("%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
                return true;
        }
        if (inet_pton(AF_INET6, s, a) != 1)
                return false;
        if (ret)
                *ret = ip6_string(a);
        return true;
}

static bool xtoi2(const char *s, size_t len, char sep)
{
        if (len < 2 || (len > 2 && s[2] != sep))
                return false;
        return isxdigit((unsigned char) s[0]) && isxdigit((unsigned char) s[1]);
}

bool go_parse_mac(const char *s0)
{
        _cleanup_free_ char *t = go_trim_space(s0);
        const char *s = t;
        size_t len = strlen(s), n;
        if (len < 14)
                return false;
        if (s[2] == ':' || s[2] == '-') {
                if ((len + 1) % 3 != 0)
                        return false;
                n = (len + 1) / 3;
                if (n != 6 && n != 8 && n != 20)
                        return false;
                for (size_t i = 0, x = 0; i < n; i++, x += 3)
                        if (!xtoi2(s + x, len - x, s[2]))
                                return false;
                return true;
        }
        if (s[4] != '.' || (len + 1) % 5 != 0)
                return false;
        n = 2 * (len + 1) / 5;
        if (n != 6 && n != 8 && n != 20)
                return false;
        for (size_t i = 0, x = 0; i < n; i += 2, x += 5)
                if (!xtoi2(s + x, 2, 0) || !xtoi2(s + x + 2, len - x - 2, s[4]))
                        return false;
        return true;
}

/* encoding/csv's reader state for one record. */
typedef struct Csv {
        const char *in;     /* rest of the input */
        int line;           /* lines read so far (reading at the end counts too, as in Go) */
        int pos_line;       /* the line a quoted field continues on */
        char *cur;          /* the current line, '\n'-terminated when it had one */
} Csv;

/* readLine: the next line with "\r\n" normalised to "\n"; NULL at the end. */
static char *csv_read_line(Csv *c)
{
        if (!*c->in) {
                c->line++;
                return NULL;
        }
        const char *nl = strchr(c->in, '\n');
        size_t n = nl ? (size_t) (nl - c->in) + 1 : strlen(c->in);
        char *l = xstrndup(c->in, n);
        c->in += n;
        c->line++;
        if (n >= 2 && l[n - 1] == '\n' && l[n - 2] == '\r') {
                l[n - 2] = '\n';
                l[n - 1] = '\0';
        } else if (!nl && n >= 1 && l[n - 1] == '\r')
                l[n - 1] = '\0';
        return l;
}

static size_t csv_len_nl(const char *s)
{
        size_t n = strlen(s);
        return n > 0 && s[n - 1] == '\n';
}

static int csv_error(int start, int line, int col, bool quote, char **msg)
{
        const char *e = quote ? "extraneous or missing \" in quoted-field" :
                                "bare \" in non-quoted-field";
        if (start != line)
                *msg = xasprintf("record on line %d; parse error on line %d, column %d: %s", start,
                                 line, col, e);
        else
                *msg = xasprintf("parse error on line %d, column %d: %s", line, col, e);
        return -EINVAL;
}

/* A quoted field starting after its opening quote at l: appends to b and advances the line
 * pointer and column. Returns 1 when a comma follows (more fields), 0 at the end of the record. */
static int csv_quoted(Csv *c, const char **lp, int *col, int start, Buf *b, char **msg)
{
        const char *l = *lp;
        for (;;) {
                const char *q = strchr(l, '"');
                if (q) {
                        buf_put(b, l, (size_t) (q - l));
                        *col += (int) (q - l) + 1;
                        l = q + 1;
                        if (*l == '"') {
                                buf_put(b, "\"", 1);
                                l++;
                                (*col)++;
                        } else if (*l == ',') {
                                *lp = l + 1;
                                (*col)++;
                                return 1;
                        } else if (csv_len_nl(l) == strlen(l))
                                return 0;
                        else
                                return csv_error(start, c->line, *col - 1, true, msg);
                } else if (*l) {
                        buf_put(b, l, strlen(l));
                        *col += (int) strlen(l);
                        free(c->cur);
                        c->cur = csv_read_line(c);
                        l = c->cur ? c->cur : "";
                        if (*l) {
                                c->pos_line++;
                                *col = 1;
                        }
                } else
                        return csv_error(start, c->pos_line, *col, true, msg);
        }
}

static int csv_fields(Csv *c, char ***ret, char **msg)
{
        const char *l = c->cur;
        int start = c->line, col = 1;
        c->pos_line = c->line;
        for (;;) {
                Buf b = {};
                int more;
                if (*l != '"') {
                        size_t i = strcspn(l, ",");
                        size_t n = l[i] ? i : i - csv_len_nl(l);
                        const char *q = memchr(l, '"', n);
                        if (q)
                                return csv_error(start, c->line, col + (int) (q - l), false, msg);
                        buf_put(&b, l, n);
                        more = l[i] == ',';
                        l += i + more;
                        col += (int) i + 1;
                } else {
                        l++;
                        col++;
                        more = csv_quoted(c, &l, &col, start, &b, msg);
                        if (more < 0) {
                                free(b.p);
                                return more;
                        }
                }
                _cleanup_free_ char *f = buf_take(&b);
                *ret = strv_append(*ret, f);
                if (!more)
                        return 0;
        }
}

int go_csv_record(const char *s, char ***ret, char **msg)
{
        Csv c = { .in = s };
        _cleanup_strv_free_ char **fields = NULL;
        /* empty lines before the record are skipped */
        do {
                free(c.cur);
                c.cur = csv_read_line(&c);
        } while (c.cur && csv_len_nl(c.cur) == strlen(c.cur) && *c.cur);
        if (!c.cur || !*c.cur) {
                free(c.cur);
                *msg = xstrdup("EOF");
                return -EINVAL;
        }
        int r = csv_fields(&c, &fields, msg);
        free(c.cur);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(fields);
        return 0;
}

char *go_path_clean(const char *p)
{
        if (!*p)
                return xstrdup(".");
        bool rooted = *p == '/';
        size_t n = strlen(p), w = 0, dotdot = rooted ? 1 : 0;
        char *out = xmalloc(n + 2);
        if (rooted)
                out[w++] = '/';
        for (size_t r = rooted; r < n;) {
                if (p[r] == '/')
                        r++;
                else if (p[r] == '.' && (r + 1 == n || p[r + 1] == '/'))
                        r++;
                else if (p[r] == '.' && p[r + 1] == '.' && (r + 2 == n || p[r + 2] == '/')) {
                        r += 2;
                        if (w > dotdot) {
                                w--;
                                while (w > dotdot && out[w] != '/')
                                        w--;
                        } else if (!rooted) {
                                if (w > 0)
                                        out[w++] = '/';
                                out[w++] = '.';
                                out[w++] = '.';
                                dotdot = w;
                        }
                } else {
                        if ((rooted && w != 1) || (!rooted && w != 0))
                                out[w++] = '/';
                        for (; r < n && p[r] != '/'; r++)
                                out[w++] = p[r];
                }
        }
        if (w == 0)
                out[w++] = '.';
        out[w] = '\0';
        return out;
}

char *go_path_abs(const char *p)
{
        char cwd[4096];
        if (*p == '/')
                return go_path_clean(p);
        if (!getcwd(cwd, sizeof(cwd)))
                return NULL;
        _cleanup_free_ char *joined = xasprintf("%s/%s", cwd, p);
        return go_path_clean(joined);
}

static bool rune_is_space(uint32_t c)
{
        return (c >= '\t' && c <= '\r') || c == ' ' || c == 0x85 || c == 0xa0 || c == 0x1680 ||
               (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
               c == 0x205f || c == 0x3000;
}

char *go_trim_space(const char *s)
{
        const unsigned char *p = (const unsigned char *) s;
        size_t len = strlen(s), start = 0, end = 0;
        uint32_t c;
        bool seen = false;
        for (size_t i = 0; i < len;) {
                size_t n = utf8_decode(p + i, len - i, &c);
                bool space = n > 0 && rune_is_space(c);
                n = n ? n : 1;
                if (!space) {
                        if (!seen)
                                start = i;
                        seen = true;
                        end = i + n;
                }
                i += n;
        }
        return seen ? xstrndup(s + start, end - start) : xstrdup("");
}

char *go_quote_byte(unsigned char c)
{
        Buf b = {};
        buf_put(&b, "'", 1);
        if (c == '\'' || c == '\\') {
                char e[2] = { '\\', (char) c };
                buf_put(&b, e, 2);
        } else if (c == '"')
                buf_put(&b, "\"", 1);
        else if (c < 0x80)
                quote_ascii(&b, c);
        else if (rune_is_print(c)) {
                char u[2] = { (char) (0xc0 | (c >> 6)), (char) (0x80 | (c & 0x3f)) };
                buf_put(&b, u, 2);
        } else
                buf_putf(&b, "\\u%04x", c);
        buf_put(&b, "'", 1);
        return buf_take(&b);
}

char *go_trim_left_space(const char *s)
{
        const unsigned char *p = (const unsigned char *) s;
        size_t len = strlen(s), i = 0;
        uint32_t c;
        while (i < len) {
                size_t n = utf8_decode(p + i, len - i, &c);
                if (n == 0 || !rune_is_space(c))
                        break;
                i += n;
        }
        return xstrdup(s + i);
}

bool go_utf8_valid(const char *s, size_t len)
{
        uint32_t c;
        for (size_t i = 0; i < len;) {
                size_t n = utf8_decode((const unsigned char *) s + i, len - i, &c);
                if (n == 0)
                        return false;
                i += n;
        }
        return true;
}

char *go_strerror(int errnum)
{
        char *s = xstrdup(strerror(errnum));
        if (s[0] >= 'A' && s[0] <= 'Z' && !(s[1] >= 'A' && s[1] <= 'Z'))
                s[0] = (char) (s[0] + 32);
        return s;
}

/* How Go prints JSON-decoded values: fmt's %v (strings raw, [a b], map[k:v] in key order,
 * <nil>), strconv's shortest floats, encoding/json for Docker's `json` function, and fmt.Sprintf's
 * verbs for `printf`. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gotemplate-internal.h"
#include "util.h"

int gt_cmp_strp(const void *a, const void *b)
{
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

const char *gt_type_name(const json_t *v)
{
        if (!v || json_is_null(v))
                return "<nil>";
        switch (json_typeof(v)) {
        case JSON_STRING:
                return "string";
        case JSON_INTEGER:
                return "int";
        case JSON_REAL:
                return "float64";
        case JSON_TRUE:
        case JSON_FALSE:
                return "bool";
        case JSON_ARRAY:
                return "[]interface {}";
        case JSON_OBJECT:
                return "map[string]interface {}";
        default:
                return "<nil>";
        }
}

bool gt_truth(const json_t *v)
{
        if (!v)
                return false;
        switch (json_typeof(v)) {
        case JSON_STRING:
                return json_string_length(v) > 0;
        case JSON_INTEGER:
                return json_integer_value(v) != 0;
        case JSON_REAL:
                return json_real_value(v) != 0;
        case JSON_TRUE:
                return true;
        case JSON_ARRAY:
                return json_array_size(v) > 0;
        case JSON_OBJECT:
                return json_object_size(v) > 0;
        default:
                return false;
        }
}

/* The shortest decimal digits that read back as f: digits in buf, returns the decimal exponent
 * (value = 0.DIGITS * 10^dp). */
static int shortest_digits(double f, char *digits, size_t size)
{
        char tmp[40];
        for (int prec = 1; prec <= 17; prec++) {
                snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, f);
                if (strtod(tmp, NULL) == f || prec == 17)
                        break;
        }
        /* tmp: d.ddde[+-]XX */
        size_t n = 0;
        const char *c = tmp;
        for (; *c && *c != 'e'; c++)
                if (*c >= '0' && *c <= '9' && n + 1 < size)
                        digits[n++] = *c;
        while (n > 1 && digits[n - 1] == '0')
                n--;
        digits[n] = '\0';
        return atoi(c + 1) + 1;
}

static void format_e(GtBuf *b, const char *digits, int dp)
{
        size_t nd = strlen(digits);
        gt_buf_put(b, digits, 1);
        if (nd > 1) {
                gt_buf_puts(b, ".");
                gt_buf_puts(b, digits + 1);
        }
        int exp = dp - 1;
        gt_buf_printf(b, "e%c%02d", exp < 0 ? '-' : '+', abs(exp));
}

static void format_f(GtBuf *b, const char *digits, int dp)
{
        int nd = (int) strlen(digits);
        if (dp <= 0) {
                gt_buf_puts(b, "0.");
                for (int k = 0; k < -dp; k++)
                        gt_buf_puts(b, "0");
                gt_buf_puts(b, digits);
        } else if (dp >= nd) {
                gt_buf_puts(b, digits);
                for (int k = nd; k < dp; k++)
                        gt_buf_puts(b, "0");
        } else {
                gt_buf_put(b, digits, (size_t) dp);
                gt_buf_puts(b, ".");
                gt_buf_puts(b, digits + dp);
        }
}

void gt_format_float(GtBuf *b, double f, char verb, int prec)
{
        if (isnan(f)) {
                gt_buf_puts(b, "NaN");
                return;
        }
        if (isinf(f)) {
                gt_buf_puts(b, f > 0 ? "+Inf" : "-Inf");
                return;
        }
        if (verb != 'v' && !(verb == 'g' && prec < 0)) {
                int p = prec < 0 ? 6 : prec > 1000 ? 1000 : prec;
                _cleanup_free_ char *s = verb == 'e'   ? xasprintf("%.*e", p, f)
                                         : verb == 'E' ? xasprintf("%.*E", p, f)
                                         : verb == 'f' ? xasprintf("%.*f", p, f)
                                         : verb == 'G' ? xasprintf("%.*G", p, f)
                                                       : xasprintf("%.*g", p, f);
                gt_buf_puts(b, s);
                return;
        }
        if (signbit(f)) {
                gt_buf_puts(b, "-");
                f = -f;
        }
        if (f == 0) {
                gt_buf_puts(b, "0");
                return;
        }
        char digits[32];
        int dp = shortest_digits(f, digits, sizeof(digits));
        int exp = dp - 1;
        /* strconv's 'g' with the shortest precision: %e when the exponent is < -4 or >= 6 */
        if (exp < -4 || exp >= 6)
                format_e(b, digits, dp);
        else
                format_f(b, digits, dp);
}

static void print_value(GtBuf *b, json_t *v)
{
        if (!v || json_is_null(v)) {
                gt_buf_puts(b, "<nil>");
                return;
        }
        switch (json_typeof(v)) {
        case JSON_STRING:
                gt_buf_put(b, json_string_value(v), json_string_length(v));
                return;
        case JSON_INTEGER:
                gt_buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
                return;
        case JSON_REAL:
                gt_format_float(b, json_real_value(v), 'g', -1);
                return;
        case JSON_TRUE:
        case JSON_FALSE:
                gt_buf_puts(b, json_is_true(v) ? "true" : "false");
                return;
        case JSON_ARRAY: {
                size_t k;
                json_t *x;
                gt_buf_puts(b, "[");
                json_array_foreach(v, k, x) {
                        if (k > 0)
                                gt_buf_puts(b, " ");
                        print_value(b, x);
                }
                gt_buf_puts(b, "]");
                return;
        }
        case JSON_OBJECT: {
                size_t n = json_object_size(v), k = 0;
                const char **keys = xmalloc0((n + 1) * sizeof(char *));
                const char *key;
                json_t *x;
                json_object_foreach(v, key, x) keys[k++] = key;
                qsort(keys, n, sizeof(char *), gt_cmp_strp);
                gt_buf_puts(b, "map[");
                for (k = 0; k < n && !b->overflow; k++) {
                        gt_buf_printf(b, "%s%s:", k > 0 ? " " : "", keys[k]);
                        print_value(b, json_object_get(v, keys[k]));
                }
                gt_buf_puts(b, "]");
                free(keys);
                return;
        }
        default:
                return;
        }
}

void gt_print_value(GtBuf *b, json_t *v, bool top)
{
        if (top && (!v || json_is_null(v)))
                gt_buf_puts(b, "<no value>");
        else
                print_value(b, v);
}

static void json_string_encode(GtBuf *b, const char *s, size_t len)
{
        static const char hex[] = "0123456789abcdef";
        gt_buf_puts(b, "\"");
        for (size_t k = 0; k < len; k++) {
                unsigned char c = (unsigned char) s[k];
                const char *esc = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n"
                                  : c == '\r' ? "\\r" : c == '\t' ? "\\t" : c == '\b' ? "\\b"
                                  : c == '\f' ? "\\f" : NULL;
                if (esc)
                        gt_buf_puts(b, esc);
                else if (c < 0x20) {
                        char u[7] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0 };
                        gt_buf_puts(b, u);
                } else if (c == 0xE2 && k + 2 < len && (unsigned char) s[k + 1] == 0x80 &&
                           ((unsigned char) s[k + 2] == 0xA8 || (unsigned char) s[k + 2] == 0xA9)) {
                        /* U+2028 and U+2029 are escaped even without HTML escaping */
                        gt_buf_puts(b, (unsigned char) s[k + 2] == 0xA8 ? "\\u2028" : "\\u2029");
                        k += 2;
                } else
                        gt_buf_put(b, (const char *) &s[k], 1);
        }
        gt_buf_puts(b, "\"");
}

void gt_json_encode(GtBuf *b, const json_t *v)
{
        if (!v || json_is_null(v)) {
                gt_buf_puts(b, "null");
                return;
        }
        switch (json_typeof(v)) {
        case JSON_STRING:
                json_string_encode(b, json_string_value(v), json_string_length(v));
                return;
        case JSON_INTEGER:
                gt_buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
                return;
        case JSON_REAL: {
                /* encoding/json: 'f' unless tiny or huge, then 'e' with a short exponent */
                double f = json_real_value(v), a = fabs(f);
                GtBuf t = { .max = 64 };
                if (a != 0 && (a < 1e-6 || a >= 1e21)) {
                        char digits[32];
                        if (f < 0)
                                gt_buf_puts(&t, "-");
                        format_e(&t, digits, shortest_digits(a, digits, sizeof(digits)));
                        char *e = strstr(t.data, "e-0");
                        if (e)
                                memmove(e + 2, e + 3, strlen(e + 3) + 1);
                } else {
                        char digits[32];
                        if (f < 0)
                                gt_buf_puts(&t, "-");
                        if (a == 0)
                                gt_buf_puts(&t, "0");
                        else
                                format_f(&t, digits, shortest_digits(a, digits, sizeof(digits)));
                }
                gt_buf_puts(b, t.data ? t.data : "0");
                free(t.data);
                return;
        }
        case JSON_TRUE:
        case JSON_FALSE:
                gt_buf_puts(b, json_is_true(v) ? "true" : "false");
                return;
        case JSON_ARRAY:
                gt_buf_puts(b, "[");
                for (size_t k = 0; k < json_array_size(v) && !b->overflow; k++) {
                        if (k > 0)
                                gt_buf_puts(b, ",");
                        gt_json_encode(b, json_array_get(v, k));
                }
                gt_buf_puts(b, "]");
                return;
        case JSON_OBJECT: {
                size_t n = json_object_size(v), k = 0;
                const char **keys = xmalloc0((n + 1) * sizeof(char *));
                const char *key;
                json_t *x;
                json_object_foreach((json_t *) v, key, x) keys[k++] = key;
                qsort(keys, n, sizeof(char *), gt_cmp_strp);
                gt_buf_puts(b, "{");
                for (k = 0; k < n && !b->overflow; k++) {
                        if (k > 0)
                                gt_buf_puts(b, ",");
                        json_string_encode(b, keys[k], strlen(keys[k]));
                        gt_buf_puts(b, ":");
                        gt_json_encode(b, json_object_get(v, keys[k]));
                }
                gt_buf_puts(b, "}");
                free(keys);
                return;
        }
        default:
                return;
        }
}

/* ---- printf ---- */

typedef struct Spec {
        bool minus, plus, sharp, zero, space;
        int width, prec; /* -1: none */
        char verb;
} Spec;

static size_t rune_count(const char *s, size_t n)
{
        size_t c = 0;
        for (size_t k = 0; k < n; k++)
                c += ((unsigned char) s[k] & 0xC0) != 0x80;
        return c;
}

/* Pads the formatted `s` to the width (zeros after the sign when asked). */
static void pad_out(GtBuf *b, const Spec *sp, const char *s, size_t n, bool numeric)
{
        size_t w = rune_count(s, n);
        size_t fill = sp->width > 0 && (size_t) sp->width > w ? (size_t) sp->width - w : 0;
        if (fill > GOTEMPLATE_OUTPUT_MAX)
                fill = GOTEMPLATE_OUTPUT_MAX;
        if (sp->minus) {
                gt_buf_put(b, s, n);
                gt_buf_fill(b, ' ', fill);
                return;
        }
        if (sp->zero && numeric && n > 0 && (s[0] == '-' || s[0] == '+' || s[0] == ' ')) {
                gt_buf_put(b, s, 1);
                s++;
                n--;
        }
        gt_buf_fill(b, sp->zero && numeric ? '0' : ' ', fill);
        gt_buf_put(b, s, n);
}

static void go_quote(GtBuf *b, const char *s, size_t n)
{
        gt_buf_puts(b, "\"");
        for (size_t k = 0; k < n; k++) {
                unsigned char c = (unsigned char) s[k];
                const char *esc = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n" : c == '\r' ? "\\r"
                                  : c == '\t' ? "\\t" : c == '\a' ? "\\a" : c == '\b' ? "\\b"
                                  : c == '\f' ? "\\f" : c == '\v' ? "\\v" : NULL;
                if (esc)
                        gt_buf_puts(b, esc);
                else if (c < 0x20 || c == 0x7f)
                        gt_buf_printf(b, "\\x%02x", c);
                else
                        gt_buf_put(b, (const char *) &s[k], 1);
        }
        gt_buf_puts(b, "\"");
}

static void bad_verb(GtBuf *b, char verb, json_t *v)
{
        gt_buf_printf(b, "%%!%c(", verb);
        if (!v || json_is_null(v))
                gt_buf_puts(b, "<nil>");
        else {
                gt_buf_printf(b, "%s=", gt_type_name(v));
                print_value(b, v);
        }
        gt_buf_puts(b, ")");
}

static void fmt_int(GtBuf *b, const Spec *sp, json_int_t i)
{
        char base = sp->verb;
        unsigned long long u = i < 0 ? 0ULL - (unsigned long long) i : (unsigned long long) i;
        char digits[80];
        size_t n = 0;
        int radix = base == 'x' || base == 'X' ? 16 : base == 'o' || base == 'O' ? 8 : base == 'b' ? 2 : 10;
        const char *set = base == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
        do {
                digits[n++] = set[u % (unsigned) radix];
                u /= (unsigned) radix;
        } while (u && n < sizeof(digits));
        GtBuf t = { .max = 1024 };
        gt_buf_puts(&t, i < 0 ? "-" : sp->plus ? "+" : sp->space ? " " : "");
        if (sp->sharp && radix == 16)
                gt_buf_puts(&t, base == 'X' ? "0X" : "0x");
        if ((sp->sharp && radix == 8) || base == 'O')
                gt_buf_puts(&t, base == 'O' ? "0o" : "0");
        if (sp->prec > (int) n)
                gt_buf_fill(&t, '0', (size_t) sp->prec - n);
        while (n > 0)
                gt_buf_put(&t, &digits[--n], 1);
        Spec s2 = *sp;
        s2.zero = sp->zero && sp->prec < 0;
        pad_out(b, &s2, t.data, t.len, true);
        free(t.data);
}

static void fmt_one(GtBuf *b, const Spec *sp, json_t *v);
static void fmt_one(GtBuf *b, const Spec *sp, json_t *v)
{
        GtBuf t = { .max = GOTEMPLATE_OUTPUT_MAX };
        bool numeric = false;
        char verb = sp->verb;
        if (verb != 'v' && verb != 'T' && (json_is_array(v) || json_is_object(v))) {
                /* fmt applies the verb to each element (and key) */
                bool arr = json_is_array(v);
                size_t n = arr ? json_array_size(v) : json_object_size(v), k = 0;
                const char **keys = arr ? NULL : xmalloc0((n + 1) * sizeof(char *));
                const char *key;
                json_t *x;
                if (!arr) {
                        json_object_foreach(v, key, x) keys[k++] = key;
                        qsort(keys, n, sizeof(char *), gt_cmp_strp);
                }
                Spec inner = *sp;
                gt_buf_puts(b, arr ? "[" : "map[");
                for (k = 0; k < n && !b->overflow; k++) {
                        if (k > 0)
                                gt_buf_puts(b, " ");
                        x = arr ? json_array_get(v, k) : json_object_get(v, keys[k]);
                        if (!arr) {
                                json_t *kv = json_string(keys[k]);
                                fmt_one(b, &inner, kv);
                                json_decref(kv);
                                gt_buf_puts(b, ":");
                        }
                        if (json_is_null(x))
                                gt_buf_puts(b, "<nil>");
                        else
                                fmt_one(b, &inner, x);
                }
                gt_buf_puts(b, "]");
                free(keys);
                return;
        }
        if (verb == 'q' && json_is_integer(v) && json_integer_value(v) >= 0x20 &&
            json_integer_value(v) < 0x7f) {
                gt_buf_printf(&t, json_integer_value(v) == '\'' ? "'\\%c'" : "'%c'",
                              (int) json_integer_value(v));
        } else if (verb == 'T') {
                gt_buf_puts(&t, gt_type_name(v));
        } else if (verb == 'v' || ((verb == 's' || verb == 'q') && (json_is_array(v) || json_is_object(v)))) {
                if (json_is_real(v)) {
                        numeric = true;
                        if (sp->plus && !signbit(json_real_value(v)))
                                gt_buf_puts(&t, "+");
                        gt_format_float(&t, json_real_value(v), 'g', -1);
                } else if (json_is_integer(v)) {
                        Spec d = *sp;
                        d.verb = 'd';
                        fmt_int(b, &d, json_integer_value(v));
                        return;
                } else
                        print_value(&t, v);
        } else if (json_is_string(v) && (verb == 's' || verb == 'q' || verb == 'x' || verb == 'X')) {
                const char *s = json_string_value(v);
                size_t n = json_string_length(v);
                if (verb == 's' && sp->prec >= 0) {
                        size_t k = 0, runes = 0;
                        while (k < n && runes < (size_t) sp->prec) {
                                k++;
                                while (k < n && ((unsigned char) s[k] & 0xC0) == 0x80)
                                        k++;
                                runes++;
                        }
                        n = k;
                }
                if (verb == 's')
                        gt_buf_put(&t, s, n);
                else if (verb == 'q')
                        go_quote(&t, s, n);
                else
                        for (size_t k = 0; k < n; k++)
                                gt_buf_printf(&t, verb == 'x' ? "%02x" : "%02X", (unsigned char) s[k]);
        } else if (json_is_integer(v) && strchr("dxXobOcU", verb)) {
                if (verb == 'U') {
                        gt_buf_printf(&t, "U+%04llX", (unsigned long long) json_integer_value(v));
                } else if (verb == 'c') {
                        json_int_t r = json_integer_value(v);
                        char u[8] = { 0 };
                        if (r < 0 || r > 0x10FFFF)
                                r = 0xFFFD;
                        if (r < 0x80)
                                u[0] = (char) r;
                        else if (r < 0x800) {
                                u[0] = (char) (0xC0 | (r >> 6));
                                u[1] = (char) (0x80 | (r & 0x3F));
                        } else if (r < 0x10000) {
                                u[0] = (char) (0xE0 | (r >> 12));
                                u[1] = (char) (0x80 | ((r >> 6) & 0x3F));
                                u[2] = (char) (0x80 | (r & 0x3F));
                        } else {
                                u[0] = (char) (0xF0 | (r >> 18));
                                u[1] = (char) (0x80 | ((r >> 12) & 0x3F));
                                u[2] = (char) (0x80 | ((r >> 6) & 0x3F));
                                u[3] = (char) (0x80 | (r & 0x3F));
                        }
                        gt_buf_puts(&t, u);
                } else {
                        fmt_int(b, sp, json_integer_value(v));
                        return;
                }
        } else if (json_is_real(v) && strchr("eEfFgG", verb)) {
                numeric = true;
                double f = json_real_value(v);
                if (sp->plus && !signbit(f))
                        gt_buf_puts(&t, "+");
                else if (sp->space && !signbit(f))
                        gt_buf_puts(&t, " ");
                char lv = verb == 'F' ? 'f' : verb;
                gt_format_float(&t, f, lv, sp->prec);
        } else if (json_is_boolean(v) && verb == 't') {
                gt_buf_puts(&t, json_is_true(v) ? "true" : "false");
        } else {
                bad_verb(b, verb, v);
                return;
        }
        pad_out(b, sp, t.data ? t.data : "", t.len, numeric);
        free(t.data);
}

void gt_sprintf(GtBuf *b, const char *f, size_t flen, json_t **args, size_t n)
{
        size_t argi = 0;
        for (size_t k = 0; k < flen && !b->overflow;) {
                if (f[k] != '%') {
                        size_t e = k;
                        while (e < flen && f[e] != '%')
                                e++;
                        gt_buf_put(b, f + k, e - k);
                        k = e;
                        continue;
                }
                k++;
                Spec sp = { .width = -1, .prec = -1 };
                for (; k < flen && strchr("-+# 0", f[k]); k++) {
                        sp.minus |= f[k] == '-';
                        sp.plus |= f[k] == '+';
                        sp.sharp |= f[k] == '#';
                        sp.zero |= f[k] == '0';
                        sp.space |= f[k] == ' ';
                }
                for (; k < flen && f[k] >= '0' && f[k] <= '9'; k++)
                        if (sp.width < 1000000) /* wider pads are cut by the output limit anyway */
                                sp.width = (sp.width < 0 ? 0 : sp.width) * 10 + (f[k] - '0');
                if (k < flen && f[k] == '.') {
                        sp.prec = 0;
                        for (k++; k < flen && f[k] >= '0' && f[k] <= '9'; k++)
                                sp.prec = (sp.prec * 10 + (f[k] - '0')) % 1000000;
                }
                if (k >= flen) {
                        gt_buf_puts(b, "%!(NOVERB)");
                        break;
                }
                sp.verb = f[k++];
                if (sp.verb == '%') {
                        gt_buf_puts(b, "%");
                        continue;
                }
                if (argi >= n) {
                        gt_buf_printf(b, "%%!%c(MISSING)", sp.verb);
                        continue;
                }
                fmt_one(b, &sp, args[argi++]);
        }
        if (argi < n) {
                gt_buf_puts(b, "%!(EXTRA ");
                for (size_t k = argi; k < n; k++) {
                        if (k > argi)
                                gt_buf_puts(b, ", ");
                        if (!args[k] || json_is_null(args[k]))
                                gt_buf_puts(b, "<nil>");
                        else {
                                gt_buf_printf(b, "%s=", gt_type_name(args[k]));
                                print_value(b, args[k]);
                        }
                }
                gt_buf_puts(b, ")");
        }
}

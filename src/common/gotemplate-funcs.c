/* The functions a Docker --format template can call: text/template's builtins (and, or, not, len,
 * index, slice, print, printf, println, eq, ne, lt, le, gt, ge, html, js, urlquery, call) and the
 * docker CLI's (json, split, join, title, lower, upper, pad, truncate), with Go's semantics and
 * error texts. `and`/`or` are evaluated by the executor (they short-circuit). */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "gotemplate-internal.h"
#include "util.h"

static int fail(char **errmsg, const char *fmt, ...) _printf_(2, 3);
static int fail(char **errmsg, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        *errmsg = xvasprintf(fmt, ap);
        va_end(ap);
        return -EINVAL;
}

static json_t *buf_string(GtBuf *b)
{
        json_t *s = json_stringn_nocheck(b->data ? b->data : "", b->len);
        free(b->data);
        return s;
}

static int buf_result(GtBuf *b, json_t **ret, char **errmsg)
{
        if (b->overflow) {
                free(b->data);
                (void) fail(errmsg, "result longer than %u bytes", GOTEMPLATE_OUTPUT_MAX);
                return -E2BIG;
        }
        *ret = buf_string(b);
        return 0;
}

#define NEW_BUF { .max = GOTEMPLATE_OUTPUT_MAX }

static int fn_not(json_t **a, size_t n, json_t **ret, char **errmsg)
{
        (void) n, (void) errmsg;
        *ret = json_boolean(!gt_truth(a[0]));
        return 0;
}

static int fn_and_or(json_t **a, size_t n, json_t **ret, char **errmsg)
{
        /* evaluated by the executor */
        (void) a, (void) n, (void) ret;
        return fail(errmsg, "internal error");
}

static int fn_len(json_t **a, size_t n, json_t **ret, char **errmsg)
{
        (void) n;
        if (!a[0])
                return fail(errmsg, "reflect: call of reflect.Value.Type on zero Value");
        if (json_is_null(a[0])) {
                /* a nil map or slice of Docker's typed documents (Labels, Cmd) has length 0 */
                *ret = json_integer(0);
                return 0;
        }
        if (json_is_string(a[0]))
                *ret = json_integer((json_int_t) json_string_length(a[0]));
        else if (json_is_array(a[0]))
                *ret = json_integer((json_int_t) json_array_size(a[0]));
        else if (json_is_object(a[0]))
                *ret = json_integer((json_int_t) json_object_size(a[0]));
        else
                return fail(errmsg, "len of type %s", gt_type_name(a[0]));
        return 0;
}

static int index_arg(json_t *idx, size_t cap, bool le, int64_t *ret, char **errmsg)
{
        if (!idx || json_is_null(idx))
                return fail(errmsg, "cannot index slice/array with nil");
        if (!json_is_integer(idx))
                return fail(errmsg, "cannot index slice/array with type %s", gt_type_name(idx));
        json_int_t x = json_integer_value(idx);
        if (x < 0 || (le ? (uint64_t) x > cap : (uint64_t) x >= cap))
                return fail(errmsg, "index out of range: %" JSON_INTEGER_FORMAT, x);
        *ret = x;
        return 0;
}

static int fn_index(json_t **a, size_t n, json_t **ret, char **errmsg)
{
        if (!a[0])
                return fail(errmsg, "index of untyped nil");
        json_t *item = a[0];
        if (json_is_null(item) && n == 2 && json_is_string(a[1])) {
                /* a nil map[string]string of Docker's typed documents: the zero value */
                *ret = json_string("");
                return 0;
        }
        for (size_t k = 1; k < n; k++) {
                int64_t x;
                if (!item || json_is_null(item))
                        return fail(errmsg, "index of nil pointer");
                if (json_is_array(item) || json_is_string(item)) {
                        size_t len = json_is_array(item) ? json_array_size(item) : json_string_length(item);
                        if (index_arg(a[k], len, false, &x, errmsg) < 0)
                                return -EINVAL;
                        if (json_is_string(item)) {
                                /* a byte: Go's uint8 */
                                *ret = json_integer((unsigned char) json_string_value(item)[x]);
                                if (k + 1 < n)
                                        return fail(errmsg, "can't index item of type uint8");
                                return 0;
                        }
                        item = json_array_get(item, (size_t) x);
                } else if (json_is_object(item)) {
                        if (!a[k] || json_is_null(a[k]))
                                return fail(errmsg, "value is nil; should be of type string");
                        if (!json_is_string(a[k]))
                                return fail(errmsg, "value has type %s; should be string", gt_type_name(a[k]));
                        item = json_object_get(item, json_string_value(a[k]));
                        if (!item)
                                item = json_null();
                } else
                        return fail(errmsg, "can't index item of type %s", k == 1 ? gt_type_name(item)
                                                                                   : "interface {}");
        }
        *ret = json_incref(item);
        return 0;
}

static int fn_slice(json_t **a, size_t n, json_t **ret, char **errmsg)
{
        json_t *item = a[0];
        if (!item || json_is_null(item))
                return fail(errmsg, "slice of untyped nil");
        if (n - 1 > 3)
                return fail(errmsg, "too many slice indexes: %zu", n - 1);
        size_t len;
        if (json_is_string(item)) {
                if (n - 1 == 3)
                        return fail(errmsg, "cannot 3-index slice a string");
                len = json_string_length(item);
        } else if (json_is_array(item))
                len = json_array_size(item);
        else
                return fail(errmsg, "can't slice item of type %s", gt_type_name(item));
        int64_t idx[3] = { 0, (int64_t) len, (int64_t) len };
        for (size_t k = 1; k < n; k++)
                if (index_arg(a[k], len, true, &idx[k - 1], errmsg) < 0)
                        return -EINVAL;
        if (idx[0] > idx[1])
                return fail(errmsg, "invalid slice index: %" PRId64 " > %" PRId64, idx[0], idx[1]);
        if (n - 1 == 3 && idx[1] > idx[2])
                return fail(errmsg, "invalid slice index: %" PRId64 " > %" PRId64, idx[1], idx[2]);
        if (json_is_string(item)) {
                *ret = json_stringn_nocheck(json_string_value(item) + idx[0], (size_t) (idx[1] - idx[0]));
                return 0;
        }
        json_t *out = json_array();
        for (int64_t k = idx[0]; k < idx[1]; k++)
                json_array_append(out, json_array_get(item, (size_t) k));
        *ret = out;
        return 0;
}

/* fmt.Sprint: spaces between operands when neither side is a string. */
static void sprint(GtBuf *b, json_t **a, size_t n, bool ln)
{
        for (size_t k = 0; k < n; k++) {
                bool is_str = json_is_string(a[k]);
                if (k > 0 && (ln || (!is_str && !json_is_string(a[k - 1]))))
                        gt_buf_puts(b, " ");
                gt_print_value(b, a[k], false);
        }
        if (ln)
                gt_buf_puts(b, "\n");
}

static int fn_print(json_t **a, size_t n, json_t **ret, char **errmsg)
{
        GtBuf b = NEW_BUF;
        sprint(&b, a, n, false);
        return buf_result(&b, ret, errmsg);
}

static int fn_println(json_t **a, size_t n, json_t **ret, char **errmsg)
{
        GtBuf b = NEW_BUF;
        sprint(&b, a, n, true);
        return buf_result(&b, ret, errmsg);
}

static int fn_printf(json_t **a, size_t n, json_t **ret, char **errmsg)
{
        GtBuf b = NEW_BUF;
        gt_sprintf(&b, json_string_value(a[0]), json_string_length(a[0]), a + 1, n - 1);
        return buf_result(&b, ret, errmsg);
}

typedef enum Kind { K_INVALID, K_BOOL, K_INT, K_FLOAT, K_STRING, K_OTHER } Kind;

static Kind kind_of(const json_t *v)
{
        if (!v || json_is_null(v))
                return K_INVALID;
        if (json_is_boolean(v))
                return K_BOOL;
        if (json_is_integer(v))
                return K_INT;
        if (json_is_real(v))
                return K_FLOAT;
        if (json_is_string(v))
                return K_STRING;
        return K_OTHER;
}

static int cmp_basic(const json_t *x, const json_t *y)
{
        switch (kind_of(x)) {
        case K_INT:
                return (json_integer_value(x) > json_integer_value(y)) - (json_integer_value(x) < json_integer_value(y));
        case K_FLOAT:
                return (json_real_value(x) > json_real_value(y)) - (json_real_value(x) < json_real_value(y));
        case K_STRING: {
                size_t lx = json_string_length(x), ly = json_string_length(y);
                int c = memcmp(json_string_value(x), json_string_value(y), lx < ly ? lx : ly);
                return c ? c : (lx > ly) - (lx < ly);
        }
        case K_BOOL:
                return json_is_true(x) == json_is_true(y) ? 0 : 1;
        default:
                return 1;
        }
}

static int eq_one(json_t *x, json_t *y, bool *ret, char **errmsg)
{
        Kind kx = kind_of(x), ky = kind_of(y);
        if (kx == K_INVALID || ky == K_INVALID) {
                *ret = kx == ky;
                return 0;
        }
        if (kx != ky)
                return fail(errmsg, "incompatible types for comparison");
        if (kx == K_OTHER)
                return fail(errmsg, "non-comparable type %s", gt_type_name(y));
        *ret = cmp_basic(x, y) == 0;
        return 0;
}

static int fn_eq(json_t **a, size_t n, json_t **ret, char **errmsg)
{
        if (n < 2)
                return fail(errmsg, "missing argument for comparison");
        for (size_t k = 1; k < n; k++) {
                bool t;
                if (eq_one(a[0], a[k], &t, errmsg) < 0)
                        return -EINVAL;
                if (t) {
                        *ret = json_true();
                        return 0;
                }
        }
        *ret = json_false();
        return 0;
}

static int fn_ne(json_t **a, size_t n, json_t **ret, char **errmsg)
{
        bool t;
        (void) n;
        if (eq_one(a[0], a[1], &t, errmsg) < 0)
                return -EINVAL;
        *ret = json_boolean(!t);
        return 0;
}

static int less(json_t **a, int *ret, char **errmsg)
{
        Kind kx = kind_of(a[0]), ky = kind_of(a[1]);
        if (kx == K_INVALID || kx == K_OTHER || kx == K_BOOL || ky == K_INVALID || ky == K_OTHER ||
            ky == K_BOOL)
                return fail(errmsg, "invalid type for comparison");
        if (kx != ky)
                return fail(errmsg, "incompatible types for comparison");
        *ret = cmp_basic(a[0], a[1]);
        return 0;
}

#define DEFINE_CMP(name, expr)                                                  \
        static int name(json_t **a, size_t n, json_t **ret, char **errmsg)      \
        {                                                                       \
                int c;                                                          \
                (void) n;                                                       \
                if (less(a, &c, errmsg) < 0)                                    \
                        return -EINVAL;                                         \
                *ret = json_boolean(expr);                                      \
                return 0;                                                       \
        }
DEFINE_CMP(fn_lt, c < 0)
DEFINE_CMP(fn_le, c <= 0)
DEFINE_CMP(fn_gt, c > 0)
DEFINE_CMP(fn_ge, c >= 0)

/* text/template's evalArgs: one string as is, else fmt.Sprint with <no value> for nil. */
static void eval_args(GtBuf *b, json_t **a, size_t n)
{
        if (n == 1 && json_is_string(a[0])) {
                gt_buf_put(b, json_string_value(a[0]), json_string_length(a[0]));
                return;
        }
        for (size_t k = 0; k < n; k++) {
                bool is_str = json_is_string(a[k]) || !a[k] || json_is_null(a[k]);
                bool prev_str = k > 0 && (json_is_string(a[k - 1]) || !a[k - 1] || json_is_null(a[k - 1]));
                if (k > 0 && !is_str && !prev_str)
                        gt_buf_puts(b, " ");
                gt_print_value(b, a[k], true);
        }
}

static int fn_html(json_t **a, size_t n, json_t **ret, char **errmsg)
{
        GtBuf in = NEW_BUF, b = NEW_BUF;
        eval_args(&in, a, n);
        for (size_t k = 0; k < in.len; k++) {
                char c = in.data[k];
                const char *e = c == '"' ? "&#34;" : c == '\'' ? "&#39;" : c == '&' ? "&amp;" : c == '<' ? "&lt;"
                                : c == '>' ? "&gt;" : c == '\0' ? "\xEF\xBF\xBD" : NULL;
                if (e)
                        gt_buf_puts(&b, e);
                else
                        gt_buf_put(&b, &c, 1);
        }
        free(in.data);
        return buf_result(&b, ret, errmsg);
}

static int fn_js(json_t **a, size_t n, json_t **ret, char **errmsg)
{
        GtBuf in = NEW_BUF, b = NEW_BUF;
        eval_args(&in, a, n);
        for (size_t k = 0; k < in.len; k++) {
                unsigned char c = (unsigned char) in.data[k];
                const char *e = c == '\\' ? "\\\\" : c == '\'' ? "\\'" : c == '"' ? "\\\"" : c == '<' ? "\\u003C"
                                : c == '>' ? "\\u003E" : c == '&' ? "\\u0026" : c == '=' ? "\\u003D" : NULL;
                if (e)
                        gt_buf_puts(&b, e);
                else if (c < ' ')
                        gt_buf_printf(&b, "\\u00%02X", c);
                else
                        gt_buf_put(&b, (const char *) &c, 1);
        }
        free(in.data);
        return buf_result(&b, ret, errmsg);
}

static int fn_urlquery(json_t **a, size_t n, json_t **ret, char **errmsg)
{
        GtBuf in = NEW_BUF, b = NEW_BUF;
        eval_args(&in, a, n);
        for (size_t k = 0; k < in.len; k++) {
                unsigned char c = (unsigned char) in.data[k];
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.' || c == '~')
                        gt_buf_put(&b, (const char *) &c, 1);
                else if (c == ' ')
                        gt_buf_puts(&b, "+");
                else
                        gt_buf_printf(&b, "%%%02X", c);
        }
        free(in.data);
        return buf_result(&b, ret, errmsg);
}

static int fn_call(json_t **a, size_t n, json_t **ret, char **errmsg)
{
        (void) n, (void) ret;
        if (!a[0] || json_is_null(a[0]))
                return fail(errmsg, "call of nil");
        return fail(errmsg, "non-function of type %s", gt_type_name(a[0]));
}

static int fn_json(json_t **a, size_t n, json_t **ret, char **errmsg)
{
        GtBuf b = NEW_BUF;
        (void) n;
        gt_json_encode(&b, a[0]);
        return buf_result(&b, ret, errmsg);
}

static int fn_split(json_t **a, size_t n, json_t **ret, char **errmsg)
{
        (void) n, (void) errmsg;
        const char *s = json_string_value(a[0]), *sep = json_string_value(a[1]);
        size_t len = json_string_length(a[0]), slen = json_string_length(a[1]);
        json_t *out = json_array();
        if (slen == 0) {
                /* strings.Split with "" splits into UTF-8 sequences */
                for (size_t k = 0; k < len;) {
                        size_t e = k + 1;
                        if ((unsigned char) s[k] >= 0xC0)
                                while (e < len && ((unsigned char) s[e] & 0xC0) == 0x80 && e - k < 4)
                                        e++;
                        json_array_append_new(out, json_stringn_nocheck(s + k, e - k));
                        k = e;
                }
        } else {
                size_t start = 0;
                for (size_t k = 0; k + slen <= len;) {
                        if (memcmp(s + k, sep, slen) == 0) {
                                json_array_append_new(out, json_stringn_nocheck(s + start, k - start));
                                k += slen;
                                start = k;
                        } else
                                k++;
                }
                json_array_append_new(out, json_stringn_nocheck(s + start, len - start));
        }
        *ret = out;
        return 0;
}

static int fn_join(json_t **a, size_t n, json_t **ret, char **errmsg)
{
        GtBuf b = NEW_BUF;
        size_t k;
        json_t *x;
        (void) n;
        json_array_foreach(a[0], k, x) {
                if (k > 0)
                        gt_buf_put(&b, json_string_value(a[1]), json_string_length(a[1]));
                gt_buf_put(&b, json_string_value(x), json_string_length(x));
        }
        return buf_result(&b, ret, errmsg);
}

static bool is_separator(unsigned char c)
{
        if (c >= 0x80)
                return false; /* a letter, as far as this ASCII-only title goes */
        return !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_');
}

/* strings.Title / ToLower / ToUpper on ASCII letters (as Docker uses them). */
static int map_case(json_t **a, json_t **ret, int mode)
{
        size_t len = json_string_length(a[0]);
        char *s = xstrndup(json_string_value(a[0]), len);
        unsigned char prev = ' ';
        for (size_t k = 0; k < len; k++) {
                unsigned char c = (unsigned char) s[k];
                bool up = mode > 0 || (mode == 0 && is_separator(prev));
                if (up && c >= 'a' && c <= 'z')
                        s[k] = (char) (c - 32);
                else if (mode < 0 && c >= 'A' && c <= 'Z')
                        s[k] = (char) (c + 32);
                if ((c & 0xC0) != 0x80)
                        prev = c;
        }
        *ret = json_stringn_nocheck(s, len);
        free(s);
        return 0;
}

static int fn_title(json_t **a, size_t n, json_t **ret, char **errmsg)
{
        (void) n, (void) errmsg;
        return map_case(a, ret, 0);
}

static int fn_lower(json_t **a, size_t n, json_t **ret, char **errmsg)
{
        (void) n, (void) errmsg;
        return map_case(a, ret, -1);
}

static int fn_upper(json_t **a, size_t n, json_t **ret, char **errmsg)
{
        (void) n, (void) errmsg;
        return map_case(a, ret, 1);
}

static int fn_pad(json_t **a, size_t n, json_t **ret, char **errmsg)
{
        json_int_t pre = json_integer_value(a[1]), post = json_integer_value(a[2]);
        (void) n;
        if (json_string_length(a[0]) == 0) {
                *ret = json_incref(a[0]);
                return 0;
        }
        if (pre < 0 || post < 0)
                return fail(errmsg, "strings: negative Repeat count");
        if ((uint64_t) pre > GOTEMPLATE_OUTPUT_MAX || (uint64_t) post > GOTEMPLATE_OUTPUT_MAX) {
                (void) fail(errmsg, "result longer than %u bytes", GOTEMPLATE_OUTPUT_MAX);
                return -E2BIG;
        }
        GtBuf b = NEW_BUF;
        gt_buf_fill(&b, ' ', (size_t) pre);
        gt_buf_put(&b, json_string_value(a[0]), json_string_length(a[0]));
        gt_buf_fill(&b, ' ', (size_t) post);
        return buf_result(&b, ret, errmsg);
}

static int fn_truncate(json_t **a, size_t n, json_t **ret, char **errmsg)
{
        json_int_t l = json_integer_value(a[1]);
        size_t len = json_string_length(a[0]);
        (void) n;
        if ((json_int_t) len < l || (l >= 0 && (size_t) l == len)) {
                *ret = json_incref(a[0]);
                return 0;
        }
        if (l < 0)
                return fail(errmsg, "runtime error: slice bounds out of range [:%" JSON_INTEGER_FORMAT "]", l);
        *ret = json_stringn_nocheck(json_string_value(a[0]), (size_t) l);
        return 0;
}

/* Docker's HeaderFunctions: the header keeps the column title. */
static int fn_first(json_t **a, size_t n, json_t **ret, char **errmsg)
{
        (void) n, (void) errmsg;
        *ret = json_incref(a[0]);
        return 0;
}

static const GtFunc funcs[] = {
        { "and", "v", 'v', fn_and_or },
        { "call", "v", 'v', fn_call },
        { "eq", "v", 'v', fn_eq },
        { "ge", "vv", 0, fn_ge },
        { "gt", "vv", 0, fn_gt },
        { "html", "", 'v', fn_html },
        { "index", "v", 'v', fn_index },
        { "js", "", 'v', fn_js },
        { "le", "vv", 0, fn_le },
        { "len", "v", 0, fn_len },
        { "lt", "vv", 0, fn_lt },
        { "ne", "vv", 0, fn_ne },
        { "not", "v", 0, fn_not },
        { "or", "v", 'v', fn_and_or },
        { "print", "", 'v', fn_print },
        { "printf", "s", 'v', fn_printf },
        { "println", "", 'v', fn_println },
        { "slice", "v", 'v', fn_slice },
        { "urlquery", "", 'v', fn_urlquery },
        /* docker/cli templates.basicFunctions */
        { "json", "v", 0, fn_json },
        { "split", "ss", 0, fn_split },
        { "join", "as", 0, fn_join },
        { "title", "s", 0, fn_title },
        { "lower", "s", 0, fn_lower },
        { "upper", "s", 0, fn_upper },
        { "pad", "sii", 0, fn_pad },
        { "truncate", "si", 0, fn_truncate },
};

static const GtFunc header_funcs[] = {
        { "json", "s", 0, fn_first },  { "split", "ss", 0, fn_first }, { "join", "ss", 0, fn_first },
        { "title", "s", 0, fn_first }, { "lower", "s", 0, fn_first },  { "upper", "s", 0, fn_first },
        { "truncate", "si", 0, fn_first },
};

const GtFunc *gt_func_lookup(const char *name, bool header)
{
        if (header)
                for (size_t k = 0; k < ELEMENTSOF(header_funcs); k++)
                        if (streq(header_funcs[k].name, name))
                                return &header_funcs[k];
        for (size_t k = 0; k < ELEMENTSOF(funcs); k++)
                if (streq(funcs[k].name, name))
                        return &funcs[k];
        return NULL;
}

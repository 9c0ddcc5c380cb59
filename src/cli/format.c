/* See format.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "containers.h"
#include "format.h"
#include "gotemplate.h"
#include "util.h"

char *format_size_digits(int64_t bytes, int digits)
{
        static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB" };
        double v = (double) bytes;
        size_t u = 0;
        while (v >= 1000.0 && u + 1 < ELEMENTSOF(units)) {
                v /= 1000.0;
                u++;
        }
        /* %.Ng as Go's strconv 'g' with precision N */
        return xasprintf("%.*g%s", digits, v, units[u]);
}

char *format_size(int64_t bytes)
{
        return format_size_digits(bytes, 3);
}

/* Docker's go-units HumanDuration (the engine's, shared with the API server). */
char *format_duration(int64_t s)
{
        return engine_human_duration(s);
}

int64_t realtime_ns_cli(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Go's time.Time.String() in UTC: "2026-11-29 12:00:00 +0000 UTC" */
char *format_unix_time(int64_t t)
{
        time_t s = (time_t) t;
        struct tm tm;
        gmtime_r(&s, &tm);
        char buf[64];
        strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
        return xstrdup(buf);
}

char *format_since(int64_t t)
{
        _cleanup_free_ char *d = format_duration((int64_t) time(NULL) - t);
        return xasprintf("%s ago", d);
}

/* The code point at s (UTF-8) and its length in bytes; a bad byte is itself, one column wide. */
static uint32_t utf8_next(const unsigned char *s, size_t *ret_len)
{
        size_t n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 1;
        uint32_t c = n == 1 ? s[0] : s[0] & (0x3f >> (n - 1));
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80) {
                        *ret_len = 1;
                        return s[0];
                }
                c = (c << 6) | (s[i] & 0x3f);
        }
        *ret_len = n;
        return c;
}

/* golang.org/x/text/width: East Asian Wide and Fullwidth take two columns (the main blocks). */
static size_t char_width(uint32_t c)
{
        static const uint32_t wide[][2] = { { 0x1100, 0x115f }, { 0x2e80, 0x303e }, { 0x3041, 0x33ff },
                                            { 0x3400, 0x4dbf }, { 0x4e00, 0x9fff }, { 0xa000, 0xa4cf },
                                            { 0xac00, 0xd7a3 }, { 0xf900, 0xfaff }, { 0xfe30, 0xfe4f },
                                            { 0xff00, 0xff60 }, { 0xffe0, 0xffe6 }, { 0x1f300, 0x1f64f },
                                            { 0x1f900, 0x1f9ff }, { 0x20000, 0x3fffd } };
        for (size_t i = 0; i < ELEMENTSOF(wide); i++)
                if (c >= wide[i][0] && c <= wide[i][1])
                        return 2;
        return 1;
}

char *format_ellipsis(const char *s, size_t max_width)
{
        const unsigned char *p = (const unsigned char *) s;
        size_t width = 0, cut = 0, len;
        if (max_width == 0)
                return xstrdup("");
        if (max_width == 1 && *p) {
                utf8_next(p, &len);
                return xstrndup(s, len);
        }
        /* cut: the end of the longest prefix that fits in max_width - 1 columns */
        for (size_t i = 0; p[i]; i += len) {
                width += char_width(utf8_next(p + i, &len));
                if (width <= max_width - 1)
                        cut = i + len;
        }
        /* Go's gives s back, too, when not even its first character fits before the "…" */
        if (width <= max_width || cut == 0)
                return xstrdup(s);
        return xasprintf("%.*s…", (int) cut, s);
}

/* docker/cli formatter.Context.preFormat: "table" and surrounding spaces off, \t and \n as the
 * characters (anywhere in the template, actions included). */
static char *pre_format(const char *format, bool table)
{
        const char *t = table ? format + 5 : format;
        t += strspn(t, " ");
        size_t n = strlen(t);
        while (n > 0 && t[n - 1] == ' ')
                n--;
        char *out = xmalloc(n + 1), *o = out;
        for (size_t k = 0; k < n; k++) {
                if (t[k] == '\\' && k + 1 < n && (t[k + 1] == 't' || t[k + 1] == 'n')) {
                        *o++ = t[k + 1] == 't' ? '\t' : '\n';
                        k++;
                } else
                        *o++ = t[k];
        }
        *o = '\0';
        return out;
}

int format_template(const char *tmpl, json_t *row, char **ret, LadeError **err)
{
        _cleanup_free_ char *t = pre_format(tmpl, false);
        return gotemplate_render(t, row, 0, ret, err);
}

/* Aligns tab-separated cells into columns padded with 3 spaces, at least 10 wide (Go's
 * tabwriter.NewWriter(out, 10, 1, 3, ' ', 0) as Docker uses: "DRIVER    VOLUME NAME"). */
static void print_aligned(FILE *f, char **lines)
{
        size_t widths[32] = { 0 };
        for (char **l = lines; *l; l++) {
                size_t col = 0, w = 0;
                for (const char *c = *l; *c; c++) {
                        if (*c == '\t') {
                                if (col < 32 && w > widths[col])
                                        widths[col] = w;
                                col++;
                                w = 0;
                        } else if (((unsigned char) *c & 0xC0) != 0x80)
                                w++;
                }
        }
        for (char **l = lines; *l; l++) {
                size_t col = 0, w = 0;
                for (const char *c = *l; *c; c++) {
                        if (*c == '\t') {
                                size_t cell = (col < 32 ? widths[col] : w) + 3;
                                size_t pad = (cell < 10 ? 10 : cell) - w;
                                for (size_t k = 0; k < pad; k++)
                                        fputc(' ', f);
                                col++;
                                w = 0;
                                continue;
                        }
                        if (((unsigned char) *c & 0xC0) != 0x80)
                                w++;
                        fputc(*c, f);
                }
                fputc('\n', f);
        }
}

/* Docker's formatter.Context.Write: every row through the template (a failure prints nothing
 * but "template parsing error: ..." and exits 1), in a table the header first (the same
 * template on the column titles with the header functions; its errors are ignored). */
int format_print(FILE *f, const char *format, const char *default_tmpl, json_t *headers, json_t *rows)
{
        bool table = !format || startswith(format, "table");
        _cleanup_free_ char *tmpl = !format || streq(format, "table") ? pre_format(default_tmpl, false)
                                    : streq(format, "json")       ? xstrdup("{{json .}}")
                                                                   : pre_format(format, table);
        _cleanup_(gotemplate_freep) GoTemplate *t = NULL;
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        if (gotemplate_parse(tmpl, &t, &err) < 0) {
                fprintf(stderr, "template parsing error: %s\n", lade_error_message(err));
                return 1;
        }
        _cleanup_free_ char *out = xstrdup("");
        size_t len = 0, i;
        json_t *row;
        json_array_foreach(rows, i, row) {
                _cleanup_free_ char *s = NULL;
                size_t n = 0;
                if (gotemplate_execute(t, row, 0, &s, &n, &err) < 0) {
                        fprintf(stderr, "template parsing error: %s\n", lade_error_message(err));
                        return 1;
                }
                out = xrealloc(out, len + n + 2);
                memcpy(out + len, s, n);
                len += n;
                out[len++] = '\n';
                out[len] = '\0';
        }
        if (!table) {
                fwrite(out, 1, len, f);
                return 0;
        }
        _cleanup_free_ char *h = NULL;
        if (gotemplate_execute(t, headers, GOTEMPLATE_HEADER, &h, NULL, &err) < 0)
                err = lade_error_free(err);
        _cleanup_free_ char *all = xasprintf("%s\n%s", h ? h : "", out);
        _cleanup_strv_free_ char **lines = NULL;
        size_t alen = strlen(all);
        if (alen > 0 && all[alen - 1] == '\n')
                all[alen - 1] = '\0';
        for (char *l = all, *nl; l; l = nl) {
                nl = strchr(l, '\n');
                if (nl)
                        *nl++ = '\0';
                lines = strv_append(lines, l);
        }
        if (lines)
                print_aligned(f, lines);
        return 0;
}

/* docker/cli inspect.Inspect: no format = the documents indented, "json" = compact, else each
 * through the template with missingkey=error (Docker's raw fallback); a template that does not
 * parse exits 64, an execution failure prints the others then the errors and exits 1. */
int format_print_inspect(FILE *f, const char *format, json_t *docs)
{
        if (!format || !*format || streq(format, "json")) {
                _cleanup_free_ char *s = json_dumps(docs, format ? JSON_COMPACT : JSON_INDENT(4));
                fprintf(f, "%s\n", s);
                return 0;
        }
        _cleanup_(gotemplate_freep) GoTemplate *t = NULL;
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        if (gotemplate_parse(format, &t, &err) < 0) {
                fprintf(stderr, "template parsing error: %s\n", lade_error_message(err));
                return 64;
        }
        _cleanup_strv_free_ char **errors = NULL;
        bool wrote = false;
        size_t i;
        json_t *v;
        json_array_foreach(docs, i, v) {
                _cleanup_free_ char *s = NULL;
                size_t n = 0;
                if (gotemplate_execute(t, v, GOTEMPLATE_MISSINGKEY_ERROR, &s, &n, &err) < 0) {
                        _cleanup_free_ char *m = xasprintf("template parsing error: %s", lade_error_message(err));
                        errors = strv_append(errors, m);
                        err = lade_error_free(err);
                        continue;
                }
                fwrite(s, 1, n, f);
                fputc('\n', f);
                wrote = true;
        }
        if (!wrote)
                fputc('\n', f);
        for (char **e = errors; e && *e; e++)
                fprintf(stderr, "%s\n", *e);
        return errors ? 1 : 0;
}

void format_print_deleted(const char *title, json_t *names)
{
        if (json_array_size(names) == 0)
                return;
        printf("%s:\n", title);
        size_t i;
        json_t *v;
        json_array_foreach(names, i, v)
                printf("%s\n", json_string_value(v));
        printf("\n");
}

void format_print_image_removed(void *userdata, const char *what, const char *name)
{
        bool *any = userdata;
        if (!*any)
                printf("Deleted Images:\n");
        *any = true;
        printf("%s: %s\n", what, name);
}

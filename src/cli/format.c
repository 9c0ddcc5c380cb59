/* See format.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "containers.h"
#include "format.h"
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

static void append(char **out, size_t *len, const char *s, size_t n)
{
        *out = xrealloc(*out, *len + n + 1);
        memcpy(*out + *len, s, n);
        *len += n;
        (*out)[*len] = '\0';
}

/* ".Config.Env" -> row["Config"]["Env"] */
static json_t *lookup(json_t *row, const char *path)
{
        _cleanup_free_ char *p = xstrdup(path);
        json_t *v = row;
        char *save = NULL;
        for (char *k = strtok_r(p, ".", &save); k && v; k = strtok_r(NULL, ".", &save))
                v = json_object_get(v, k);
        return v;
}

static char *render_action(const char *act, json_t *row)
{
        while (*act == ' ')
                act++;
        if (startswith(act, "json")) {
                const char *k = act + 4;
                while (*k == ' ')
                        k++;
                json_t *v = streq(k, ".") ? row : lookup(row, k);
                return json_dumps(v ? v : json_null(), JSON_COMPACT | JSON_ENCODE_ANY);
        }
        if (*act == '.') {
                json_t *v = lookup(row, act);
                if (json_is_string(v))
                        return xstrdup(json_string_value(v));
                return v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : xstrdup("<no value>");
        }
        return xstrdup("");
}

char *format_template(const char *tmpl, json_t *row)
{
        char *out = xstrdup("");
        size_t len = 0;
        for (const char *p = tmpl; *p;) {
                if (p[0] == '\\' && p[1] == 't') {
                        append(&out, &len, "\t", 1);
                        p += 2;
                } else if (p[0] == '\\' && p[1] == 'n') {
                        append(&out, &len, "\n", 1);
                        p += 2;
                } else if (p[0] == '{' && p[1] == '{' && strstr(p, "}}")) {
                        const char *end = strstr(p, "}}");
                        _cleanup_free_ char *act = xstrndup(p + 2, (size_t) (end - p - 2));
                        size_t al = strlen(act);
                        while (al && act[al - 1] == ' ')
                                act[--al] = '\0';
                        _cleanup_free_ char *v = render_action(act, row);
                        append(&out, &len, v, strlen(v));
                        p = end + 2;
                } else
                        append(&out, &len, p++, 1);
        }
        return out;
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

void format_print(FILE *f, const char *format, const char *default_tmpl, json_t *headers, json_t *rows)
{
        size_t i;
        json_t *row;
        if (format && streq(format, "json")) {
                json_array_foreach(rows, i, row) {
                        char *s = json_dumps(row, JSON_COMPACT);
                        fprintf(f, "%s\n", s);
                        free(s);
                }
                return;
        }
        bool table = !format || startswith(format, "table");
        const char *tmpl = !format || streq(format, "table") ? default_tmpl
                           : table ? format + 5 + strspn(format + 5, " ") : format;
        char **lines = NULL;
        if (table) {
                _cleanup_free_ char *h = format_template(tmpl, headers);
                lines = strv_append(lines, h);
        }
        json_array_foreach(rows, i, row) {
                _cleanup_free_ char *s = format_template(tmpl, row);
                lines = strv_append(lines, s);
        }
        if (!lines)
                return;
        if (table)
                print_aligned(f, lines);
        else
                for (char **l = lines; *l; l++)
                        fprintf(f, "%s\n", *l);
        strv_free(lines);
}

void format_print_inspect(FILE *f, const char *format, json_t *docs)
{
        size_t i;
        json_t *v;
        if (!format) {
                _cleanup_free_ char *s = json_dumps(docs, JSON_INDENT(4));
                fprintf(f, "%s\n", s);
                return;
        }
        json_array_foreach(docs, i, v) {
                _cleanup_free_ char *s = format_template(format, v);
                fprintf(f, "%s\n", s);
        }
}

/* buildkit's shell lexer (frontend/dockerfile/shell/lex.go), rule for rule: it owns quoting,
 * escapes, $-expansion and word splitting. Invariants: the input is never modified; every error
 * is -EINVAL with buildkit's message wrapped as `failed to process "<word>": ...`; nothing is
 * returned on failure. The ${VAR/p/r} and ${VAR#p} patterns are matched by a small backtracking
 * matcher with Go regexp's leftmost-first semantics (and its `.` not matching a newline). */
#include <string.h>

#include "build-util.h"
#include "shell-lex.h"
#include "util.h"

#define RUNE_EOF 0xFFFFFFFFu
/* Go prints string(rune(EOF)) as U+FFFD */
#define EOF_TEXT "\xEF\xBF\xBD"
/* Upper bound of pattern length x value length for ${VAR#p} and friends. */
#define PATTERN_WORK_MAX (1u << 22)

typedef struct Lexer {
        const BuildShellOptions *o;
        const char *s;
        size_t len, pos;
        bool raw_escapes;
        BuildEnvLookup lookup;
        void *userdata;
        char *error;    /* the inner message, once set */
} Lexer;

typedef struct Words {
        BuildBuf buf;
        char **v;
        size_t n;
        bool in_word;
} Words;

static int lex_fail(Lexer *l, const char *fmt, ...) _printf_(2, 3);
static int lex_fail(Lexer *l, const char *fmt, ...)
{
        va_list ap;

        if (!l->error) {
                va_start(ap, fmt);
                l->error = xvasprintf(fmt, ap);
                va_end(ap);
        }
        return -EINVAL;
}

static uint32_t lex_peek(const Lexer *l)
{
        uint32_t r;

        if (l->pos >= l->len)
                return RUNE_EOF;
        (void) build_utf8_decode(l->s + l->pos, l->len - l->pos, &r);
        return r;
}

static uint32_t lex_next(Lexer *l)
{
        uint32_t r;

        if (l->pos >= l->len)
                return RUNE_EOF;
        l->pos += build_utf8_decode(l->s + l->pos, l->len - l->pos, &r);
        return r;
}

static void rune_text(uint32_t r, BuildBuf *b)
{
        if (r == RUNE_EOF)
                build_buf_puts(b, EOF_TEXT);
        else
                build_buf_put_rune(b, r);
}

static void words_flush(Words *w)
{
        w->v = xreallocarray(w->v, w->n + 2, sizeof(char *));
        w->v[w->n++] = build_buf_steal(&w->buf);
        w->v[w->n] = NULL;
        w->in_word = false;
}

static void words_add_raw_char(Words *w, uint32_t r)
{
        build_buf_put_rune(&w->buf, r);
        w->in_word = true;
}

static void words_add_char(Words *w, uint32_t r)
{
        if (build_rune_is_space(r)) {
                if (w->in_word && w->buf.len != 0)
                        words_flush(w);
                return;
        }
        words_add_raw_char(w, r);
}

static void words_add_string(Words *w, const char *s)
{
        size_t len = strlen(s);

        for (size_t i = 0; i < len;) {
                uint32_t r;
                i += build_utf8_decode(s + i, len - i, &r);
                words_add_char(w, r);
        }
}

static void words_add_raw_string(Words *w, const char *s)
{
        build_buf_puts(&w->buf, s);
        w->in_word = true;
}

static char **words_get(Words *w)
{
        char **v;

        if (w->buf.len > 0)
                words_flush(w);
        v = w->v ? w->v : xmalloc0(sizeof(char *));
        w->v = NULL;
        w->n = 0;
        return v;
}

static void words_done(Words *w)
{
        build_buf_done(&w->buf);
        w->v = strv_free(w->v);
        w->n = 0;
}

static int process_stop_on(Lexer *l, uint32_t stop, bool raw_escapes, char **ret, char ***ret_words);

static int process_single_quote(Lexer *l, BuildBuf *out)
{
        uint32_t ch = lex_next(l);

        if (l->o->raw_quotes)
                build_buf_put_rune(out, ch);
        for (;;) {
                ch = lex_next(l);
                if (ch == RUNE_EOF)
                        return lex_fail(l, "unexpected end of statement while looking for matching single-quote");
                if (ch == '\'') {
                        if (l->o->raw_quotes)
                                build_buf_put_rune(out, ch);
                        return 0;
                }
                build_buf_put_rune(out, ch);
        }
}

static int process_dollar(Lexer *l, BuildBuf *out);

static int process_double_quote(Lexer *l, BuildBuf *out)
{
        uint32_t ch = lex_next(l), esc = (unsigned char) l->o->escape;
        int r;

        if (l->o->raw_quotes)
                build_buf_put_rune(out, ch);
        for (;;) {
                uint32_t p = lex_peek(l);

                if (p == RUNE_EOF)
                        return lex_fail(l, "unexpected end of statement while looking for matching double-quote");
                if (p == '"') {
                        ch = lex_next(l);
                        if (l->o->raw_quotes)
                                build_buf_put_rune(out, ch);
                        return 0;
                }
                if (p == '$') {
                        r = process_dollar(l, out);
                        if (r < 0)
                                return r;
                        continue;
                }
                ch = lex_next(l);
                if (ch == esc) {
                        if (l->raw_escapes)
                                build_buf_put_rune(out, ch);
                        p = lex_peek(l);
                        if (p == RUNE_EOF)
                                continue; /* the loop reports the missing quote */
                        if (p == '"' || p == '$' || p == esc)
                                ch = lex_next(l);
                }
                build_buf_put_rune(out, ch);
        }
}

static bool is_special_param(uint32_t ch)
{
        return ch != 0 && ch < 0x80 && strchr("@*#?-$!0", (int) ch);
}

static char *process_name(Lexer *l)
{
        BuildBuf name = {};

        while (lex_peek(l) != RUNE_EOF) {
                uint32_t ch = lex_peek(l);

                if (name.len == 0 && build_is_digit(ch)) {
                        while (build_is_digit(lex_peek(l)))
                                build_buf_put_rune(&name, lex_next(l));
                        return build_buf_steal(&name);
                }
                if (name.len == 0 && is_special_param(ch)) {
                        build_buf_put_rune(&name, lex_next(l));
                        return build_buf_steal(&name);
                }
                if (!build_is_name_char(ch))
                        break;
                build_buf_put_rune(&name, lex_next(l));
        }
        return build_buf_steal(&name);
}

static const char *lex_getenv(Lexer *l, const char *name)
{
        return l->lookup ? l->lookup(l->userdata, name) : NULL;
}

/* ---- shell patterns: `*` any run, `?` any one rune, `\*` `\?` `\\` literal ---- */

#define TOK_STAR 0xFFFFFFF1u
#define TOK_ANY 0xFFFFFFF2u

typedef struct Pattern {
        uint32_t *tok;
        size_t n;
} Pattern;

static void pattern_done(Pattern *p)
{
        free(p->tok);
        p->tok = NULL;
        p->n = 0;
}

static int pattern_compile(Lexer *l, const char *text, Pattern *ret)
{
        size_t len = strlen(text);
        Pattern p = { .tok = xreallocarray(NULL, len + 1, sizeof(uint32_t)) };

        for (size_t i = 0; i < len;) {
                uint32_t r;
                i += build_utf8_decode(text + i, len - i, &r);
                if (r == '*' || r == '?') {
                        /* `**` matches what `*` does: keep one, so the matcher stays fast */
                        if (r == '*' && p.n > 0 && p.tok[p.n - 1] == TOK_STAR)
                                continue;
                        p.tok[p.n++] = r == '*' ? TOK_STAR : TOK_ANY;
                        continue;
                }
                if (r == '\\') {
                        uint32_t next = RUNE_EOF;
                        if (i < len)
                                (void) build_utf8_decode(text + i, len - i, &next);
                        /* `}` and `/` are escaped only to get them past the ${} parser */
                        if (next == '}' || next == '/')
                                continue;
                        if (next != '*' && next != '?' && next != '\\') {
                                BuildBuf e = {};
                                rune_text(next, &e);
                                pattern_done(&p);
                                int k = lex_fail(l, "invalid pattern (%s) in substitution: invalid escape '\\%s'",
                                                 text, e.data);
                                build_buf_done(&e);
                                return k;
                        }
                        i += build_utf8_decode(text + i, len - i, &r);
                }
                p.tok[p.n++] = r;
        }
        *ret = p;
        return 0;
}

typedef struct Subject {
        uint32_t *r;
        size_t n;
} Subject;

static Subject subject_from(const char *s)
{
        size_t len = strlen(s);
        Subject v = { .r = xreallocarray(NULL, len + 1, sizeof(uint32_t)) };

        for (size_t i = 0; i < len;)
                i += build_utf8_decode(s + i, len - i, &v.r[v.n++]);
        return v;
}

static char *subject_string(const uint32_t *r, size_t n)
{
        BuildBuf b = {};

        build_buf_puts(&b, "");
        for (size_t i = 0; i < n; i++)
                build_buf_put_rune(&b, r[i]);
        return build_buf_steal(&b);
}

typedef struct Matcher {
        const Pattern *p;
        const uint32_t *v;
        size_t n;
        bool greedy;
        uint8_t *failed; /* (token, position) pairs known not to match: one bit each */
} Matcher;

/* The end of the first match of p[ti..] at v[si..] in Go regexp's preference order, or -1. */
static ssize_t match_from(Matcher *m, size_t ti, size_t si)
{
        for (;;) {
                if (ti == m->p->n)
                        return (ssize_t) si;
                uint32_t t = m->p->tok[ti];
                if (t == TOK_STAR) {
                        size_t bit = ti * (m->n + 1) + si, end = si;
                        if (m->failed[bit / 8] & (1u << (bit % 8)))
                                return -1;
                        while (end < m->n && m->v[end] != '\n')
                                end++;
                        for (size_t k = 0; k <= end - si; k++) {
                                size_t at = m->greedy ? end - k : si + k;
                                ssize_t r = match_from(m, ti + 1, at);
                                if (r >= 0)
                                        return r;
                        }
                        m->failed[bit / 8] |= (uint8_t) (1u << (bit % 8));
                        return -1;
                }
                if (si == m->n)
                        return -1;
                if (t == TOK_ANY ? m->v[si] == '\n' : m->v[si] != t)
                        return -1;
                ti++, si++;
        }
}

static int matcher_init(Lexer *l, Matcher *m, const Pattern *p, const Subject *v, bool greedy)
{
        if ((p->n + 1) * (v->n + 1) > PATTERN_WORK_MAX)
                return lex_fail(l, "pattern or value too long in substitution");
        *m = (Matcher) { .p = p, .v = v->r, .n = v->n, .greedy = greedy,
                         .failed = xmalloc0((p->n + 1) * (v->n + 1) / 8 + 1) };
        return 0;
}

/* Finds the leftmost match starting at or after `from` (anchored: only at `from`). Returns 1
 * with [*start, *end), or 0. */
static int pattern_find(Matcher *m, size_t from, bool anchored, size_t *start, size_t *end)
{
        for (size_t s = from; s <= m->n; s++) {
                ssize_t e = match_from(m, 0, s);
                if (e >= 0) {
                        *start = s;
                        *end = (size_t) e;
                        return 1;
                }
                if (anchored)
                        break;
        }
        return 0;
}

static void reverse_runes(uint32_t *r, size_t n)
{
        for (size_t i = 0; i < n / 2; i++) {
                uint32_t t = r[i];
                r[i] = r[n - 1 - i];
                r[n - 1 - i] = t;
        }
}

/* ${VAR#p} / ${VAR##p}, and ${VAR%p} / ${VAR%%p} by matching both reversed (as buildkit). */
static int trim_pattern(Lexer *l, const char *pattern, const char *value, bool greedy, bool suffix,
                        char **ret)
{
        _cleanup_(pattern_done) Pattern p = {};
        Subject v = subject_from(value);
        Matcher m = {};
        size_t s, e = 0;
        int r;

        r = pattern_compile(l, pattern, &p);
        if (r < 0)
                goto out;
        if (suffix) {
                reverse_runes(p.tok, p.n);
                reverse_runes(v.r, v.n);
        }
        r = matcher_init(l, &m, &p, &v, greedy);
        if (r < 0)
                goto out;
        if (pattern_find(&m, 0, true, &s, &e) == 0)
                e = 0;
        if (suffix)
                reverse_runes(v.r + e, v.n - e);
        *ret = subject_string(v.r + e, v.n - e);
        r = 0;
out:
        free(m.failed);
        free(v.r);
        return r;
}

/* regexp.Expand of a replacement template with no capture groups: $$ is `$`, $0/${0} the match,
 * other names empty, a malformed `$` literal. */
static void expand_template(const char *tpl, const char *match, BuildBuf *out)
{
        for (const char *p = tpl; *p;) {
                if (*p != '$') {
                        build_buf_putc(out, *p++);
                        continue;
                }
                if (p[1] == '$') {
                        build_buf_putc(out, '$');
                        p += 2;
                        continue;
                }
                bool brace = p[1] == '{';
                const char *n = p + 1 + brace, *q = n;
                while (build_is_name_char((unsigned char) *q))
                        q++;
                if (q == n || (brace && *q != '}')) {
                        build_buf_putc(out, '$');
                        p++;
                        continue;
                }
                size_t nl = (size_t) (q - n);
                bool digits = true;
                for (size_t i = 0; i < nl; i++)
                        digits = digits && build_is_digit((unsigned char) n[i]);
                if (digits && strspn(n, "0") >= nl)
                        build_buf_puts(out, match);
                p = q + brace;
        }
}

/* Go's regexp ReplaceAllString (all) or one FindStringIndex + concatenation. */
static int replace_pattern(Lexer *l, const char *pattern, const char *repl, const char *value,
                           bool all, char **ret)
{
        _cleanup_(pattern_done) Pattern p = {};
        Subject v = subject_from(value);
        Matcher m = {};
        BuildBuf out = {};
        size_t search = 0, last = 0, s, e;
        int r;

        r = pattern_compile(l, pattern, &p);
        if (r < 0)
                goto out;
        r = matcher_init(l, &m, &p, &v, true);
        if (r < 0)
                goto out;
        build_buf_puts(&out, "");
        while (search <= v.n && pattern_find(&m, search, false, &s, &e) > 0) {
                _cleanup_free_ char *before = subject_string(v.r + last, s - last);
                build_buf_puts(&out, before);
                /* no replacement for an empty match right after another match */
                if (e > last || s == 0) {
                        if (all) {
                                _cleanup_free_ char *match = subject_string(v.r + s, e - s);
                                expand_template(repl, match, &out);
                        } else {
                                build_buf_puts(&out, repl);
                        }
                }
                last = e;
                search = search + 1 > e ? search + 1 : e;
                if (!all)
                        break;
        }
        {
                _cleanup_free_ char *tail = subject_string(v.r + last, v.n - last);
                build_buf_puts(&out, tail);
        }
        *ret = build_buf_steal(&out);
        r = 0;
out:
        build_buf_done(&out);
        free(m.failed);
        free(v.r);
        return r;
}

/* ---- ${...} ---- */

static int process_modifier(Lexer *l, const char *name, uint32_t ch, const char *chs, bool null_is_unset,
                            BuildBuf *out)
{
        bool raw = ch == '#' || ch == '%';
        _cleanup_free_ char *word = NULL;
        const char *value;
        int r;

        if (null_is_unset && raw)
                return lex_fail(l, "unsupported modifier (%s) in substitution", chs);
        r = process_stop_on(l, '}', raw, &word, NULL);
        if (r < 0) {
                if (lex_peek(l) == RUNE_EOF) {
                        free(l->error);
                        l->error = NULL;
                        return lex_fail(l, "syntax error: missing '}'");
                }
                return r;
        }
        value = lex_getenv(l, name);
        if (l->o->skip_unset && !value) {
                _cleanup_free_ char *s = xasprintf("${%s%s%s}", name, chs, word);
                build_buf_puts(out, s);
                return 0;
        }
        bool unset = !value || (null_is_unset && !*value);
        switch (ch) {
        case '-':
                build_buf_puts(out, unset ? word : value);
                return 0;
        case '+':
                build_buf_puts(out, unset ? "" : word);
                return 0;
        case '?':
                if (!value)
                        return lex_fail(l, "%s: %s", name, *word ? word : "is not allowed to be unset");
                if (null_is_unset && !*value)
                        return lex_fail(l, "%s: %s", name, *word ? word : "is not allowed to be empty");
                build_buf_puts(out, value);
                return 0;
        case '%':
        case '#': {
                bool greedy = word[0] == (char) ch;
                _cleanup_free_ char *res = NULL;
                r = trim_pattern(l, word + greedy, value ? value : "", greedy, ch == '%', &res);
                if (r < 0)
                        return r;
                build_buf_puts(out, res);
                return 0;
        }
        default:
                return lex_fail(l, "unsupported modifier (%s) in substitution", chs);
        }
}

static int process_replace(Lexer *l, const char *name, BuildBuf *out)
{
        _cleanup_free_ char *pattern = NULL, *repl = NULL, *res = NULL;
        bool all = lex_peek(l) == '/';
        const char *value;
        int r;

        if (all)
                (void) lex_next(l);
        r = process_stop_on(l, '/', true, &pattern, NULL);
        if (r < 0) {
                if (lex_peek(l) == RUNE_EOF) {
                        free(l->error);
                        l->error = NULL;
                        return lex_fail(l, "syntax error: missing '/' in ${}");
                }
                return r;
        }
        r = process_stop_on(l, '}', true, &repl, NULL);
        if (r < 0) {
                if (lex_peek(l) == RUNE_EOF) {
                        free(l->error);
                        l->error = NULL;
                        return lex_fail(l, "syntax error: missing '}'");
                }
                return r;
        }
        value = lex_getenv(l, name);
        if (l->o->skip_unset && !value) {
                _cleanup_free_ char *s = xasprintf("${%s/%s/%s}", name, pattern, repl);
                build_buf_puts(out, s);
                return 0;
        }
        r = replace_pattern(l, pattern, repl, value ? value : "", all, &res);
        if (r < 0)
                return r;
        build_buf_puts(out, res);
        return 0;
}

static int process_dollar(Lexer *l, BuildBuf *out)
{
        _cleanup_free_ char *name = NULL;
        BuildBuf chs = {};
        const char *value;
        uint32_t ch;
        int r;

        (void) lex_next(l);
        if (lex_peek(l) != '{') {
                name = process_name(l);
                if (!*name) {
                        build_buf_putc(out, '$');
                        return 0;
                }
                value = lex_getenv(l, name);
                if (!value && l->o->skip_unset) {
                        build_buf_putc(out, '$');
                        build_buf_puts(out, name);
                        return 0;
                }
                build_buf_puts(out, value ? value : "");
                return 0;
        }
        (void) lex_next(l);
        ch = lex_peek(l);
        if (ch == RUNE_EOF)
                return lex_fail(l, "syntax error: missing '}'");
        if (ch == '{' || ch == '}' || ch == ':')
                return lex_fail(l, "syntax error: bad substitution");
        name = process_name(l);
        ch = lex_next(l);
        rune_text(ch, &chs);
        switch (ch) {
        case '}':
                value = lex_getenv(l, name);
                if (!value && l->o->skip_unset) {
                        _cleanup_free_ char *s = xasprintf("${%s}", name);
                        build_buf_puts(out, s);
                } else {
                        build_buf_puts(out, value ? value : "");
                }
                r = 0;
                break;
        case ':':
                ch = lex_next(l);
                rune_text(ch, &chs);
                r = process_modifier(l, name, ch, chs.data, true, out);
                break;
        case '+': case '-': case '?': case '#': case '%':
                r = process_modifier(l, name, ch, chs.data, false, out);
                break;
        case '/':
                r = process_replace(l, name, out);
                break;
        default:
                r = lex_fail(l, "unsupported modifier (%s) in substitution", chs.data);
                break;
        }
        build_buf_done(&chs);
        return r;
}

static void process_possible_heredoc(Lexer *l, BuildBuf *out)
{
        (void) lex_next(l);
        build_buf_putc(out, '<');
        if (lex_peek(l) != '<')
                return;
        build_buf_put_rune(out, lex_next(l));
        while (lex_peek(l) == '\t' || lex_peek(l) == '\r' || lex_peek(l) == ' ')
                build_buf_put_rune(out, lex_next(l));
}

static int process_special(Lexer *l, uint32_t ch, BuildBuf *out)
{
        switch (ch) {
        case '$':
                return process_dollar(l, out);
        case '<':
                process_possible_heredoc(l, out);
                return 0;
        case '\'':
                return process_single_quote(l, out);
        default:
                return process_double_quote(l, out);
        }
}

static bool is_special(const Lexer *l, uint32_t ch)
{
        if (ch == '$' || ch == '<')
                return true;
        return !l->o->skip_process_quotes && (ch == '\'' || ch == '"');
}

static int process_stop_on(Lexer *l, uint32_t stop, bool raw_escapes, char **ret, char ***ret_words)
{
        uint32_t esc = (unsigned char) l->o->escape;
        bool saved = l->raw_escapes;
        BuildBuf result = {};
        Words words = {};
        int r = 0;

        l->raw_escapes = raw_escapes;
        build_buf_puts(&result, "");
        while (lex_peek(l) != RUNE_EOF) {
                uint32_t ch = lex_peek(l);

                if (stop != RUNE_EOF && ch == stop) {
                        (void) lex_next(l);
                        goto done;
                }
                if (is_special(l, ch)) {
                        BuildBuf tmp = {};
                        r = process_special(l, ch, &tmp);
                        if (r >= 0) {
                                build_buf_puts(&result, tmp.data ? tmp.data : "");
                                if (ch == '$')
                                        words_add_string(&words, tmp.data ? tmp.data : "");
                                else
                                        words_add_raw_string(&words, tmp.data ? tmp.data : "");
                        }
                        build_buf_done(&tmp);
                        if (r < 0)
                                goto fail;
                        continue;
                }
                ch = lex_next(l);
                if (ch == esc) {
                        if (l->raw_escapes) {
                                words_add_raw_char(&words, ch);
                                build_buf_put_rune(&result, ch);
                        }
                        ch = lex_next(l);
                        if (ch == RUNE_EOF)
                                break;
                        words_add_raw_char(&words, ch);
                } else {
                        words_add_char(&words, ch);
                }
                build_buf_put_rune(&result, ch);
        }
        if (stop != RUNE_EOF) {
                BuildBuf s = {};
                rune_text(stop, &s);
                r = lex_fail(l, "unexpected end of statement while looking for matching %s", s.data);
                build_buf_done(&s);
                goto fail;
        }
done:
        l->raw_escapes = saved;
        if (ret_words)
                *ret_words = words_get(&words);
        words_done(&words);
        *ret = build_buf_steal(&result);
        return 0;
fail:
        l->raw_escapes = saved;
        words_done(&words);
        build_buf_done(&result);
        return r;
}

static int process(const BuildShellOptions *o, const char *word, BuildEnvLookup lookup, void *userdata,
                   char **ret, char ***ret_words, LadeError **err)
{
        static const BuildShellOptions defaults = BUILD_SHELL_OPTIONS_DEFAULT;
        Lexer l = {
                .o = o ? o : &defaults,
                .s = word,
                .len = strlen(word),
                .lookup = lookup,
                .userdata = userdata,
        };
        int r;

        l.raw_escapes = l.o->raw_escapes;
        if (l.len > BUILD_SHELL_WORD_MAX)
                return lade_error_msg(err, EINVAL, "word too long to process (%zu bytes, at most %u)",
                                      l.len, BUILD_SHELL_WORD_MAX);
        r = process_stop_on(&l, RUNE_EOF, l.raw_escapes, ret, ret_words);
        if (r < 0) {
                _cleanup_free_ char *q = build_go_quote(word);
                lade_error_msg(err, EINVAL, "failed to process %s: %s", q,
                               l.error ? l.error : "invalid input");
                free(l.error);
                return -EINVAL;
        }
        return 0;
}

int build_shell_expand(const BuildShellOptions *o, const char *word, BuildEnvLookup lookup,
                       void *userdata, char **ret, LadeError **err)
{
        return process(o, word, lookup, userdata, ret, NULL, err);
}

int build_shell_expand_words(const BuildShellOptions *o, const char *word, BuildEnvLookup lookup,
                             void *userdata, char ***ret, LadeError **err)
{
        _cleanup_free_ char *joined = NULL;

        return process(o, word, lookup, userdata, &joined, ret, err);
}

const char *build_env_strv_lookup(void *userdata, const char *name)
{
        char **v = userdata;
        const char *found = NULL;
        size_t nl = strlen(name);

        for (size_t i = 0; v && v[i]; i++) {
                const char *eq = strchr(v[i], '=');
                size_t kl = eq ? (size_t) (eq - v[i]) : strlen(v[i]);
                if (kl == nl && strncmp(v[i], name, nl) == 0)
                        found = eq ? eq + 1 : "";
        }
        return found;
}

const char *build_env_empty_lookup(void *userdata, const char *name)
{
        return NULL;
}

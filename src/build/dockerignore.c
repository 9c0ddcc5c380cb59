/* .dockerignore: moby/patternmatcher and moby/patternmatcher/ignorefile, rule for rule. Each
 * pattern is compiled once into the match kind patternmatcher picks (exact, prefix for `x/` + `**`,
 * suffix for `**` + literal, else a token list standing for its regexp). Character classes
 * follow Go's filepath.Match, which patternmatcher uses to validate them. Paths and patterns are
 * bounded in size, and the matcher remembers failed states, so no input makes it slow. */
#include <string.h>

#include "build-util.h"
#include "dockerfile-internal.h"
#include "dockerignore.h"
#include "util.h"

typedef enum MatchKind { MATCH_EXACT, MATCH_PREFIX, MATCH_SUFFIX, MATCH_TOKENS } MatchKind;

typedef enum TokKind { TOK_LIT, TOK_STAR, TOK_QMARK, TOK_DSTAR_DIR, TOK_DSTAR_ANY, TOK_CLASS } TokKind;

typedef struct Range {
        uint32_t lo, hi;
} Range;

typedef struct Tok {
        TokKind kind;
        uint32_t rune;          /* TOK_LIT */
        bool negated;           /* TOK_CLASS */
        Range *ranges;
        size_t n_ranges;
} Tok;

typedef struct Pattern {
        char *cleaned;
        bool exclusion;
        MatchKind kind;
        Tok *toks;
        size_t n_toks;
} Pattern;

struct DockerIgnore {
        Pattern *patterns;
        size_t n;
        bool exclusions;
};

char *dockerignore_clean_path(const char *path)
{
        size_t n = strlen(path), r = 0, w = 0, dotdot = 0;
        bool rooted = n > 0 && path[0] == '/';
        char *out;

        if (n == 0)
                return xstrdup(".");
        out = xmalloc(n + 4);
        if (rooted) {
                out[w++] = '/';
                r = dotdot = 1;
        }
        while (r < n) {
                if (path[r] == '/') {
                        r++;
                } else if (path[r] == '.' && (r + 1 == n || path[r + 1] == '/')) {
                        r++;
                } else if (path[r] == '.' && path[r + 1] == '.' && (r + 2 == n || path[r + 2] == '/')) {
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
                        for (; r < n && path[r] != '/'; r++)
                                out[w++] = path[r];
                }
        }
        if (w == 0)
                out[w++] = '.';
        out[w] = 0;
        return out;
}

/* ---- compiling ---- */

static void pattern_done(Pattern *p)
{
        for (size_t k = 0; k < p->n_toks; k++)
                free(p->toks[k].ranges);
        free(p->toks);
        free(p->cleaned);
}

static void tok_push(Pattern *p, Tok t)
{
        p->toks = xreallocarray(p->toks, p->n_toks + 1, sizeof(Tok));
        p->toks[p->n_toks++] = t;
}

typedef struct Cursor {
        const char *s;
        size_t len, pos;
} Cursor;

#define RUNE_END 0xFFFFFFFFu

static uint32_t cur_peek(const Cursor *c)
{
        uint32_t r;

        if (c->pos >= c->len)
                return RUNE_END;
        (void) build_utf8_decode(c->s + c->pos, c->len - c->pos, &r);
        return r;
}

static uint32_t cur_next(Cursor *c)
{
        uint32_t r;

        if (c->pos >= c->len)
                return RUNE_END;
        c->pos += build_utf8_decode(c->s + c->pos, c->len - c->pos, &r);
        return r;
}

/* filepath.Match's getEsc: a class character, `\` escaping the next. */
static int class_char(Cursor *c, uint32_t *ret)
{
        uint32_t r = cur_peek(c);

        if (r == RUNE_END || r == '-' || r == ']')
                return -EINVAL;
        cur_next(c);
        if (r == '\\') {
                r = cur_next(c);
                if (r == RUNE_END)
                        return -EINVAL;
        }
        *ret = r;
        return 0;
}

/* After `[`: filepath.Match's class syntax, `[^...]` negated. */
static int parse_class(Cursor *c, Tok *ret)
{
        Tok t = { .kind = TOK_CLASS };

        if (cur_peek(c) == '^') {
                cur_next(c);
                t.negated = true;
        }
        for (;;) {
                Range rg;
                if (cur_peek(c) == ']' && t.n_ranges > 0) {
                        cur_next(c);
                        break;
                }
                if (class_char(c, &rg.lo) < 0)
                        goto bad;
                rg.hi = rg.lo;
                if (cur_peek(c) == '-') {
                        cur_next(c);
                        if (class_char(c, &rg.hi) < 0)
                                goto bad;
                        if (rg.hi < rg.lo)
                                goto bad;
                }
                t.ranges = xreallocarray(t.ranges, t.n_ranges + 1, sizeof(Range));
                t.ranges[t.n_ranges++] = rg;
        }
        *ret = t;
        return 0;
bad:
        free(t.ranges);
        return -EINVAL;
}

/* Pattern.compile: the same walk over the runes, deciding the match kind the same way. */
static int pattern_compile(Pattern *p)
{
        Cursor c = { .s = p->cleaned, .len = strlen(p->cleaned) };
        MatchKind kind = MATCH_EXACT;

        for (size_t i = 0; cur_peek(&c) != RUNE_END; i++) {
                uint32_t ch = cur_next(&c);

                if (ch == '*' && cur_peek(&c) == '*') {
                        cur_next(&c);
                        if (cur_peek(&c) == '/')
                                cur_next(&c);
                        if (cur_peek(&c) == RUNE_END) {
                                if (kind == MATCH_EXACT) {
                                        kind = MATCH_PREFIX;
                                } else {
                                        tok_push(p, (Tok) { .kind = TOK_DSTAR_ANY });
                                        kind = MATCH_TOKENS;
                                }
                        } else {
                                tok_push(p, (Tok) { .kind = TOK_DSTAR_DIR });
                                kind = MATCH_TOKENS;
                        }
                        if (i == 0)
                                kind = MATCH_SUFFIX;
                } else if (ch == '*' || ch == '?') {
                        tok_push(p, (Tok) { .kind = ch == '*' ? TOK_STAR : TOK_QMARK });
                        kind = MATCH_TOKENS;
                } else if (ch == '\\') {
                        if (cur_peek(&c) == RUNE_END)
                                return -EINVAL;
                        tok_push(p, (Tok) { .kind = TOK_LIT, .rune = cur_next(&c) });
                        kind = MATCH_TOKENS;
                } else if (ch == '[') {
                        Tok t;
                        if (parse_class(&c, &t) < 0)
                                return -EINVAL;
                        tok_push(p, t);
                        kind = MATCH_TOKENS;
                } else {
                        tok_push(p, (Tok) { .kind = TOK_LIT, .rune = ch });
                        if (ch == ']')
                                kind = MATCH_TOKENS;
                }
        }
        p->kind = kind;
        return 0;
}

/* ---- matching ---- */

typedef struct Subject {
        uint32_t *r;
        size_t n;
        uint8_t *failed;
} Subject;

static bool class_has(const Tok *t, uint32_t r)
{
        bool in = false;

        for (size_t k = 0; k < t->n_ranges && !in; k++)
                in = r >= t->ranges[k].lo && r <= t->ranges[k].hi;
        return in != t->negated;
}

static bool match_from(const Pattern *p, Subject *s, size_t ti, size_t si)
{
        for (;;) {
                if (ti == p->n_toks)
                        return si == s->n;
                const Tok *t = &p->toks[ti];
                if (t->kind == TOK_STAR || t->kind == TOK_DSTAR_DIR || t->kind == TOK_DSTAR_ANY) {
                        size_t bit = ti * (s->n + 1) + si;
                        if (s->failed[bit / 8] & (1u << (bit % 8)))
                                return false;
                        if (t->kind == TOK_DSTAR_DIR && match_from(p, s, ti + 1, si))
                                return true;
                        for (size_t k = si; k < s->n; k++) {
                                uint32_t r = s->r[k];
                                if (t->kind == TOK_STAR ? r == '/' : r == '\n')
                                        break;
                                if (t->kind == TOK_DSTAR_DIR ? r == '/' && match_from(p, s, ti + 1, k + 1)
                                                             : match_from(p, s, ti + 1, k + 1))
                                        return true;
                        }
                        if (t->kind == TOK_STAR || t->kind == TOK_DSTAR_ANY) {
                                /* the empty run, tried last */
                                if (match_from(p, s, ti + 1, si))
                                        return true;
                        }
                        s->failed[bit / 8] |= (uint8_t) (1u << (bit % 8));
                        return false;
                }
                if (si == s->n)
                        return false;
                uint32_t r = s->r[si];
                bool ok = t->kind == TOK_LIT ? r == t->rune
                        : t->kind == TOK_QMARK ? r != '/'
                        : class_has(t, r);
                if (!ok)
                        return false;
                ti++, si++;
        }
}

static bool pattern_match(const Pattern *p, const char *path)
{
        size_t plen = strlen(p->cleaned), len = strlen(path);

        switch (p->kind) {
        case MATCH_EXACT:
                return streq(path, p->cleaned);
        case MATCH_PREFIX:
                return strncmp(path, p->cleaned, plen - 2) == 0;
        case MATCH_SUFFIX: {
                const char *suffix = p->cleaned + 2;
                size_t sl = plen - 2;
                if (len >= sl && memcmp(path + len - sl, suffix, sl) == 0)
                        return true;
                return suffix[0] == '/' && streq(path, suffix + 1);
        }
        default:
                break;
        }
        Subject s = { .r = xreallocarray(NULL, len + 1, sizeof(uint32_t)) };
        for (size_t i = 0; i < len;)
                i += build_utf8_decode(path + i, len - i, &s.r[s.n++]);
        s.failed = xmalloc0((p->n_toks + 1) * (s.n + 1) / 8 + 1);
        bool m = match_from(p, &s, 0, 0);
        free(s.failed);
        free(s.r);
        return m;
}

/* ---- the matcher ---- */

static char *trim_space(const char *s)
{
        const char *e = s + strlen(s);

        while (*s && strchr(" \t\n\v\f\r", *s))
                s++;
        while (e > s && strchr(" \t\n\v\f\r", e[-1]))
                e--;
        return xstrndup(s, (size_t) (e - s));
}

int dockerignore_new(char *const *patterns, DockerIgnore **ret, LadeError **err)
{
        _cleanup_(dockerignore_freep) DockerIgnore *m = xmalloc0(sizeof(*m));

        for (size_t k = 0; patterns && patterns[k]; k++) {
                _cleanup_free_ char *t = trim_space(patterns[k]), *c = NULL;
                Pattern p = {};

                if (!*t)
                        continue;
                if (m->n >= DOCKERIGNORE_PATTERNS_MAX)
                        return lade_error_msg(err, E2BIG, "too many ignore patterns (at most %u)",
                                              DOCKERIGNORE_PATTERNS_MAX);
                if (strlen(t) > DOCKERIGNORE_PATTERN_MAX)
                        return lade_error_msg(err, E2BIG, "ignore pattern too long (at most %u bytes)",
                                              DOCKERIGNORE_PATTERN_MAX);
                c = dockerignore_clean_path(t);
                if (c[0] == '!') {
                        if (!c[1])
                                return lade_error_msg(err, EINVAL, "illegal exclusion pattern: \"!\"");
                        p.exclusion = true;
                        m->exclusions = true;
                }
                p.cleaned = xstrdup(c + p.exclusion);
                if (pattern_compile(&p) < 0) {
                        pattern_done(&p);
                        return lade_error_msg(err, EINVAL, "syntax error in pattern");
                }
                m->patterns = xreallocarray(m->patterns, m->n + 1, sizeof(Pattern));
                m->patterns[m->n++] = p;
        }
        *ret = TAKE_PTR(m);
        return 0;
}

DockerIgnore *dockerignore_free(DockerIgnore *m)
{
        if (!m)
                return NULL;
        for (size_t k = 0; k < m->n; k++)
                pattern_done(&m->patterns[k]);
        free(m->patterns);
        free(m);
        return NULL;
}

int dockerignore_read(const char *data, size_t len, char ***ret, LadeError **err)
{
        _cleanup_strv_free_ char **v = xmalloc0(sizeof(char *));
        size_t n = 0, pos = 0;

        if (len > DOCKERIGNORE_SIZE_MAX)
                return lade_error_msg(err, EFBIG, "ignore file too large (%zu bytes, at most %u)", len,
                                      DOCKERIGNORE_SIZE_MAX);
        if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
                pos = 3;
        while (pos < len) {
                const char *nl = memchr(data + pos, '\n', len - pos);
                size_t l = nl ? (size_t) (nl - data - pos) : len - pos;
                _cleanup_free_ char *line = xstrndup(data + pos, l), *t = NULL;

                pos += l + (nl ? 1 : 0);
                if (strlen(line) != l)
                        return lade_error_msg(err, EINVAL, "ignore file contains a NUL byte");
                if (l > 0 && line[l - 1] == '\r')
                        line[l - 1] = 0;
                if (line[0] == '#')
                        continue;
                t = trim_space(line);
                if (!*t)
                        continue;
                bool invert = t[0] == '!';
                _cleanup_free_ char *body = invert ? trim_space(t + 1) : xstrdup(t);
                if (*body) {
                        char *c = dockerignore_clean_path(body);
                        free(body);
                        body = c;
                        if (strlen(body) > 1 && body[0] == '/')
                                memmove(body, body + 1, strlen(body));
                }
                build_strv_push(&v, &n, invert ? xasprintf("!%s", body) : xstrdup(body));
                if (n > DOCKERIGNORE_PATTERNS_MAX)
                        return lade_error_msg(err, E2BIG, "too many ignore patterns (at most %u)",
                                              DOCKERIGNORE_PATTERNS_MAX);
        }
        *ret = TAKE_PTR(v);
        return 0;
}

int dockerignore_parse(const char *data, size_t len, DockerIgnore **ret, LadeError **err)
{
        _cleanup_strv_free_ char **patterns = NULL;
        int r;

        r = dockerignore_read(data, len, &patterns, err);
        if (r < 0)
                return r;
        return dockerignore_new(patterns, ret, err);
}

bool dockerignore_matches(const DockerIgnore *m, const char *path)
{
        _cleanup_free_ char *file = dockerignore_clean_path(path);
        bool matched = false;

        if (!m || streq(file, "."))
                return false;
        if (strlen(file) > 4 * DOCKERIGNORE_PATTERN_MAX)
                return false;
        for (size_t k = 0; k < m->n; k++) {
                const Pattern *p = &m->patterns[k];
                bool match;

                if (p->exclusion != matched)
                        continue;
                match = pattern_match(p, file);
                /* a pattern matching a parent directory matches everything under it */
                for (char *s = strchr(file, '/'); !match && s; s = strchr(s + 1, '/')) {
                        *s = 0;
                        match = pattern_match(p, file);
                        *s = '/';
                }
                if (match)
                        matched = !p->exclusion;
        }
        return matched;
}

bool dockerignore_has_exceptions(const DockerIgnore *m)
{
        return m && m->exclusions;
}

bool dockerignore_can_skip_dir(const DockerIgnore *m, const char *dir)
{
        _cleanup_free_ char *d = dockerignore_clean_path(dir);
        _cleanup_free_ char *dslash = xasprintf("%s/", d);

        if (!m || !m->exclusions)
                return true;
        for (size_t k = 0; k < m->n; k++) {
                const Pattern *p = &m->patterns[k];
                if (!p->exclusion)
                        continue;
                /* a wildcard exception could match anything below: descend */
                if (strpbrk(p->cleaned, "*?[\\"))
                        return false;
                _cleanup_free_ char *pslash = xasprintf("%s/", p->cleaned);
                if (startswith(pslash, dslash))
                        return false;
        }
        return true;
}

bool dockerignore_in_context(const DockerIgnore *m, const char *path, const char *dockerfile)
{
        _cleanup_free_ char *p = dockerignore_clean_path(path);
        _cleanup_free_ char *df = dockerfile ? dockerignore_clean_path(dockerfile) : NULL;
        _cleanup_free_ char *dfi = df ? xasprintf("%s.dockerignore", df) : NULL;

        if (streq(p, ".dockerignore") || streq_ptr(p, df) || streq_ptr(p, dfi))
                return true;
        return !dockerignore_matches(m, p);
}

char *dockerignore_file_for(const char *dockerfile, bool (*exists)(const char *path, void *userdata),
                            void *userdata)
{
        _cleanup_free_ char *specific = dockerfile ? xasprintf("%s.dockerignore", dockerfile) : NULL;

        if (specific && exists && exists(specific, userdata))
                return TAKE_PTR(specific);
        return xstrdup(".dockerignore");
}

/* Go's text/template lexer and parser (text/template/parse): template text -> a tree of GtNode.
 * The lexer runs first over the whole text into a token array (bounded by the text size limit);
 * the parser walks it as Go's does, with the same error wording ("template: :LINE: MSG"). Every
 * variable is checked to be in scope at parse time, and nesting is bounded. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gotemplate-internal.h"
#include "util.h"

typedef enum GtTok {
        TK_ERROR,
        TK_EOF,
        TK_TEXT,
        TK_LEFT,
        TK_RIGHT,
        TK_SPACE,
        TK_IDENT,
        TK_FIELD,
        TK_VARIABLE,
        TK_CHAR,
        TK_NUMBER,
        TK_STRING,
        TK_RAW,
        TK_BOOL,
        TK_PIPE,
        TK_LPAREN,
        TK_RPAREN,
        TK_DECLARE,
        TK_ASSIGN,
        TK_CHARITEM, /* any other printable ASCII character (',' in range declarations) */
        TK_KEYWORD,  /* the ones below are keywords, printed as <NAME> */
        TK_DOT,
        TK_NIL,
        TK_BLOCK,
        TK_BREAK,
        TK_CONTINUE,
        TK_DEFINE,
        TK_ELSE,
        TK_END,
        TK_IF,
        TK_RANGE,
        TK_TEMPLATE,
        TK_WITH,
} GtTok;

typedef struct Token {
        GtTok type;
        size_t pos;
        char *val; /* the token's text; TK_ERROR: the message */
        size_t len;
} Token;

typedef struct Parser {
        const char *text;
        size_t text_len;
        Token *toks;
        size_t n_toks, cap_toks;
        size_t cur;          /* next token */
        size_t line_pos;     /* position of the last token read, for error lines */
        char **vars;         /* variables in scope */
        size_t n_vars;
        unsigned range_depth;
        unsigned depth;
        LadeError **err;
        int r;               /* first error */
} Parser;

static const struct {
        const char *word;
        GtTok tok;
} keywords[] = {
        { "block", TK_BLOCK }, { "break", TK_BREAK }, { "continue", TK_CONTINUE },
        { "define", TK_DEFINE }, { "else", TK_ELSE }, { "end", TK_END }, { "if", TK_IF },
        { "range", TK_RANGE }, { "template", TK_TEMPLATE }, { "with", TK_WITH },
        { "nil", TK_NIL }, { "true", TK_BOOL }, { "false", TK_BOOL },
};

/* ---- lexer ---- */

typedef struct Lexer {
        Parser *p;
        size_t pos;
        size_t start;
        int paren_depth;
} Lexer;

static void emit_raw(Parser *p, GtTok type, size_t pos, const char *s, size_t len)
{
        if (p->n_toks == p->cap_toks) {
                p->cap_toks = p->cap_toks ? p->cap_toks * 2 : 64;
                p->toks = xreallocarray(p->toks, p->cap_toks, sizeof(Token));
        }
        p->toks[p->n_toks++] = (Token) { .type = type, .pos = pos, .val = xstrndup(s, len), .len = len };
}

static void emit(Lexer *l, GtTok type)
{
        emit_raw(l->p, type, l->start, l->p->text + l->start, l->pos - l->start);
        l->start = l->pos;
}

static void lex_error(Lexer *l, const char *fmt, ...) _printf_(2, 3);
static void lex_error(Lexer *l, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *m = xvasprintf(fmt, ap);
        va_end(ap);
        emit_raw(l->p, TK_ERROR, l->start, m, strlen(m));
}

static int peekc(Lexer *l)
{
        return l->pos < l->p->text_len ? (unsigned char) l->p->text[l->pos] : -1;
}

static bool is_space(int c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_alnum(int c)
{
        /* Go accepts Unicode letters; bytes >= 0x80 stand for them here. */
        return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c >= 0x80;
}

static bool at(Lexer *l, const char *s)
{
        size_t n = strlen(s);
        return l->pos + n <= l->p->text_len && memcmp(l->p->text + l->pos, s, n) == 0;
}

static bool at_right_delim(Lexer *l, bool *trim)
{
        if (at(l, " -}}") || at(l, "\t-}}") || at(l, "\r-}}") || at(l, "\n-}}")) {
                *trim = true;
                return true;
        }
        *trim = false;
        return at(l, "}}");
}

static bool at_terminator(Lexer *l)
{
        int c = peekc(l);
        bool trim;
        if (c < 0 || is_space(c) || strchr(".,|:()", c))
                return true;
        return at_right_delim(l, &trim);
}

/* "U+007D '}'" as Go's %#U */
static char *quote_rune(Lexer *l)
{
        int c = peekc(l);
        if (c >= 0x20 && c < 0x7f)
                return xasprintf("U+%04X '%c'", c, c);
        return xasprintf("U+%04X", c < 0 ? 0xFFFD : c);
}

static void bad_char(Lexer *l)
{
        _cleanup_free_ char *q = quote_rune(l);
        lex_error(l, "bad character %s", q);
}

static size_t trailing_space(const char *s, size_t n)
{
        size_t k = 0;
        while (k < n && is_space((unsigned char) s[n - 1 - k]))
                k++;
        return k;
}

static bool lex_quote(Lexer *l, char q, GtTok type)
{
        l->pos++;
        for (;;) {
                int c = peekc(l);
                if (c < 0 || (c == '\n' && q != '`')) {
                        lex_error(l, q == '"' ? "unterminated quoted string"
                                     : q == '`' ? "unterminated raw quoted string"
                                                : "unterminated character constant");
                        return false;
                }
                l->pos++;
                if (c == '\\' && q != '`') {
                        c = peekc(l);
                        if (c < 0 || c == '\n') {
                                lex_error(l, q == '"' ? "unterminated quoted string"
                                                      : "unterminated character constant");
                                return false;
                        }
                        l->pos++;
                } else if (c == q)
                        break;
        }
        emit(l, type);
        return true;
}

static void accept_run(Lexer *l, const char *set)
{
        while (peekc(l) > 0 && strchr(set, peekc(l)))
                l->pos++;
}

static bool accept(Lexer *l, const char *set)
{
        if (peekc(l) > 0 && strchr(set, peekc(l))) {
                l->pos++;
                return true;
        }
        return false;
}

static bool lex_number(Lexer *l)
{
        const char *digits = "0123456789_";
        accept(l, "+-");
        if (accept(l, "0")) {
                if (accept(l, "xX"))
                        digits = "0123456789abcdefABCDEF_";
                else if (accept(l, "oO"))
                        digits = "01234567_";
                else if (accept(l, "bB"))
                        digits = "01_";
        }
        accept_run(l, digits);
        if (accept(l, "."))
                accept_run(l, digits);
        if (strlen(digits) == 11 && accept(l, "eE")) {
                accept(l, "+-");
                accept_run(l, "0123456789_");
        }
        if (strlen(digits) == 23 && accept(l, "pP")) {
                accept(l, "+-");
                accept_run(l, "0123456789_");
        }
        bool complex = peekc(l) == '+' || peekc(l) == '-'; /* 1+2i: complex numbers are not supported */
        if (complex) {
                l->pos++;
                accept_run(l, "0123456789_.eEi");
        }
        if (complex || is_alnum(peekc(l))) {
                l->pos += !complex;
                _cleanup_free_ char *t = xstrndup(l->p->text + l->start, l->pos - l->start);
                lex_error(l, "bad number syntax: \"%s\"", t);
                return false;
        }
        emit(l, TK_NUMBER);
        return true;
}

/* After '$' or '.': the name, then a terminator. */
static bool lex_field_or_var(Lexer *l, GtTok type)
{
        if (at_terminator(l)) {
                emit(l, type == TK_VARIABLE ? TK_VARIABLE : TK_DOT);
                return true;
        }
        while (is_alnum(peekc(l)))
                l->pos++;
        if (!at_terminator(l)) {
                bad_char(l);
                return false;
        }
        emit(l, type);
        return true;
}

static bool lex_identifier(Lexer *l)
{
        while (is_alnum(peekc(l)))
                l->pos++;
        if (!at_terminator(l)) {
                bad_char(l);
                return false;
        }
        size_t n = l->pos - l->start;
        const char *w = l->p->text + l->start;
        for (size_t k = 0; k < ELEMENTSOF(keywords); k++)
                if (strlen(keywords[k].word) == n && memcmp(keywords[k].word, w, n) == 0) {
                        emit(l, keywords[k].tok);
                        return true;
                }
        emit(l, TK_IDENT);
        return true;
}

/* One token inside an action; false after an error token. Sets *closed at the right delimiter. */
static bool lex_inside(Lexer *l, bool *closed)
{
        bool trim;
        if (at_right_delim(l, &trim)) {
                if (l->paren_depth > 0) {
                        lex_error(l, "unclosed left paren");
                        return false;
                }
                l->pos += trim ? 4 : 2;
                emit(l, TK_RIGHT);
                if (trim)
                        while (is_space(peekc(l)))
                                l->start = ++l->pos;
                *closed = true;
                return true;
        }
        int c = peekc(l);
        if (c < 0) {
                lex_error(l, "unclosed action");
                return false;
        }
        if (is_space(c)) {
                while (is_space(peekc(l)) && !at_right_delim(l, &trim))
                        l->pos++;
                emit(l, TK_SPACE);
                return true;
        }
        if (c == '=' || c == '|') {
                l->pos++;
                emit(l, c == '=' ? TK_ASSIGN : TK_PIPE);
                return true;
        }
        if (c == ':') {
                l->pos++;
                if (peekc(l) != '=') {
                        lex_error(l, "expected :=");
                        return false;
                }
                l->pos++;
                emit(l, TK_DECLARE);
                return true;
        }
        if (c == '"' || c == '`' || c == '\'')
                return lex_quote(l, (char) c, c == '"' ? TK_STRING : c == '`' ? TK_RAW : TK_CHAR);
        if (c == '$') {
                l->pos++;
                return lex_field_or_var(l, TK_VARIABLE);
        }
        if (c == '.') {
                int d = l->pos + 1 < l->p->text_len ? (unsigned char) l->p->text[l->pos + 1] : -1;
                if (d < '0' || d > '9') {
                        l->pos++;
                        return lex_field_or_var(l, TK_FIELD);
                }
        }
        if (c == '.' || c == '+' || c == '-' || (c >= '0' && c <= '9'))
                return lex_number(l);
        if (is_alnum(c))
                return lex_identifier(l);
        if (c == '(' || c == ')') {
                l->paren_depth += c == '(' ? 1 : -1;
                l->pos++;
                emit(l, c == '(' ? TK_LPAREN : TK_RPAREN);
                return true;
        }
        if (c > ' ' && c < 0x7f) {
                l->pos++;
                emit(l, TK_CHARITEM);
                return true;
        }
        bad_char(l);
        return false;
}

/* A comment action: slash-star to star-slash right before the closing delimiter (trim markers
 * allowed); l->pos is at its opening. */
static bool lex_comment(Lexer *l)
{
        const char *end = memmem(l->p->text + l->pos + 2, l->p->text_len - l->pos - 2, "*/", 2);
        if (!end) {
                lex_error(l, "unclosed comment");
                return false;
        }
        l->pos = (size_t) (end - l->p->text) + 2;
        bool trim;
        if (!at_right_delim(l, &trim)) {
                lex_error(l, "comment ends before closing delimiter");
                return false;
        }
        l->pos += trim ? 4 : 2;
        if (trim)
                while (is_space(peekc(l)))
                        l->pos++;
        l->start = l->pos;
        return true;
}

static void lex_all(Parser *p)
{
        Lexer l = { .p = p };
        while (l.pos < p->text_len) {
                const char *lb = memmem(p->text + l.pos, p->text_len - l.pos, "{{", 2);
                size_t ls = lb ? (size_t) (lb - p->text) : p->text_len;
                bool ltrim = lb && ls + 3 < p->text_len + 1 && lb[2] == '-' && ls + 3 < p->text_len &&
                             is_space((unsigned char) lb[3]);
                size_t tl = ls - l.pos;
                if (ltrim)
                        tl -= trailing_space(p->text + l.pos, tl);
                if (tl > 0)
                        emit_raw(p, TK_TEXT, l.pos, p->text + l.pos, tl);
                if (!lb)
                        break;
                l.start = l.pos = ls;
                l.pos += ltrim ? 4 : 2;
                if (at(&l, "/*")) {
                        if (!lex_comment(&l))
                                return;
                        continue;
                }
                emit(&l, TK_LEFT);
                bool closed = false;
                while (!closed)
                        if (!lex_inside(&l, &closed))
                                return;
        }
        emit_raw(p, TK_EOF, p->text_len, "", 0);
}

/* ---- parser ---- */

static size_t line_of(const Parser *p, size_t pos)
{
        size_t line = 1;
        for (size_t k = 0; k < pos && k < p->text_len; k++)
                line += p->text[k] == '\n';
        return line;
}

static void perror_at(Parser *p, const char *fmt, ...) _printf_(2, 3);
static void perror_at(Parser *p, const char *fmt, ...)
{
        if (p->r < 0)
                return;
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *m = xvasprintf(fmt, ap);
        va_end(ap);
        p->r = lade_error_msg(p->err, EINVAL, "template: :%zu: %s", line_of(p, p->line_pos), m);
}

static Token *next(Parser *p)
{
        Token *t = &p->toks[p->cur];
        if (t->type != TK_EOF && t->type != TK_ERROR)
                p->cur++;
        p->line_pos = t->pos;
        return t;
}

static Token *peek(Parser *p)
{
        return &p->toks[p->cur];
}

static Token *next_non_space(Parser *p)
{
        Token *t;
        do
                t = next(p);
        while (t->type == TK_SPACE);
        return t;
}

static Token *peek_non_space(Parser *p)
{
        while (p->toks[p->cur].type == TK_SPACE)
                p->cur++;
        return &p->toks[p->cur];
}

/* Go's item.String(): EOF, <keyword>, "short", "longer tha"... */
static char *token_string(const Token *t)
{
        if (t->type == TK_EOF)
                return xstrdup("EOF");
        if (t->type == TK_ERROR)
                return xstrdup(t->val);
        if (t->type > TK_KEYWORD)
                return xasprintf("<%s>", t->val);
        json_t *s = json_stringn_nocheck(t->val, t->len > 10 ? 10 : t->len);
        _cleanup_free_ char *q = json_dumps(s, JSON_ENCODE_ANY);
        json_decref(s);
        return xasprintf("%s%s", q ? q : "\"\"", t->len > 10 ? "..." : "");
}

static void unexpected(Parser *p, const Token *t, const char *context)
{
        p->line_pos = t->pos;
        if (t->type == TK_ERROR) {
                perror_at(p, "%s", t->val);
                return;
        }
        _cleanup_free_ char *s = token_string(t);
        perror_at(p, "unexpected %s in %s", s, context);
}

static GtNode *new_node(GtNodeType type, size_t pos)
{
        GtNode *n = xmalloc0(sizeof(GtNode));
        n->type = type;
        n->pos = pos;
        return n;
}

static void append_kid(GtNode *n, GtNode *kid)
{
        n->kids = xreallocarray(n->kids, n->n_kids + 1, sizeof(GtNode *));
        n->kids[n->n_kids++] = kid;
}

static void append_str(char ***v, size_t *n, const char *s, size_t len)
{
        *v = xreallocarray(*v, *n + 1, sizeof(char *));
        (*v)[(*n)++] = xstrndup(s, len);
}

/* ".A.B" or "$x.A.B" -> fields (after the head for a variable). */
static void split_fields(GtNode *n, const char *s, bool variable)
{
        const char *dot = variable ? strchr(s, '.') : s;
        if (variable)
                n->text = xstrndup(s, dot ? (size_t) (dot - s) : strlen(s));
        while (dot && *dot == '.') {
                const char *e = strchr(dot + 1, '.');
                size_t len = e ? (size_t) (e - dot - 1) : strlen(dot + 1);
                append_str(&n->fields, &n->n_fields, dot + 1, len);
                dot = e;
        }
}

static bool var_defined(Parser *p, const char *name)
{
        for (size_t k = p->n_vars; k > 0; k--)
                if (streq(p->vars[k - 1], name))
                        return true;
        return false;
}

static void push_var(Parser *p, const char *name)
{
        append_str(&p->vars, &p->n_vars, name, strlen(name));
}

static void pop_vars(Parser *p, size_t n)
{
        while (p->n_vars > n)
                free(p->vars[--p->n_vars]);
}

static int unquote(const char *s, size_t len, char **ret, size_t *ret_len);
static GtNode *parse_pipeline(Parser *p, const char *context, GtTok end);

static GtNode *parse_number(Parser *p, const Token *t)
{
        GtNode *n = new_node(GT_NUMBER, t->pos);
        n->quoted = xstrdup(t->val);
        if (t->type == TK_CHAR) {
                _cleanup_free_ char *u = NULL;
                size_t ul = 0;
                if (unquote(t->val, t->len, &u, &ul) < 0 || ul == 0) {
                        perror_at(p, "invalid syntax");
                        return n;
                }
                size_t rl = (unsigned char) u[0] < 0xC0 ? 1 : (unsigned char) u[0] < 0xE0 ? 2
                            : (unsigned char) u[0] < 0xF0 ? 3 : 4;
                if (ul != rl) {
                        perror_at(p, "malformed character constant: %s", t->val);
                        return n;
                }
                /* the rune's value: decode one UTF-8 sequence */
                const unsigned char *b = (const unsigned char *) u;
                int64_t r = b[0];
                if (b[0] >= 0xC0 && ul >= 2) {
                        int extra = b[0] >= 0xF0 ? 3 : b[0] >= 0xE0 ? 2 : 1;
                        r = b[0] & (0x3F >> extra);
                        for (int k = 1; k <= extra && (size_t) k < ul; k++)
                                r = (r << 6) | (b[k] & 0x3F);
                }
                n->is_int = n->is_float = true;
                n->i = r;
                n->f = (double) r;
                return n;
        }
        /* Go's ParseInt(text, 0, 64) and ParseFloat: underscores only between digits */
        _cleanup_free_ char *c = xmalloc(t->len + 1);
        size_t cl = 0;
        for (size_t k = 0; k < t->len; k++)
                if (t->val[k] != '_')
                        c[cl++] = t->val[k];
        c[cl] = '\0';
        const char *d = c + (*c == '+' || *c == '-');
        bool neg = *c == '-';
        int base = 0;
        const char *digits = d;
        if (d[0] == '0' && (d[1] == 'o' || d[1] == 'O' || d[1] == 'b' || d[1] == 'B')) {
                base = d[1] == 'o' || d[1] == 'O' ? 8 : 2;
                digits = d + 2;
        }
        char *end = NULL;
        errno = 0;
        if (*digits && *digits != '+' && *digits != '-') {
                unsigned long long u = strtoull(digits, &end, base);
                if (errno == 0 && *end == '\0' && u <= (unsigned long long) INT64_MAX + neg) {
                        n->is_int = true;
                        n->i = neg ? (int64_t) (0 - u) : (int64_t) u;
                }
        }
        /* Go's idealConstant: a float when written as one (not a hex integer like 0x1e) */
        bool hex_int = d == c && strlen(c) > 2 && c[0] == '0' && (c[1] == 'x' || c[1] == 'X') &&
                       !strpbrk(c, "pP");
        n->float_syntax = !hex_int && strpbrk(t->val, ".eEpP");
        errno = 0;
        double f = strtod(c, &end);
        if (errno == 0 && *end == '\0' && (base == 0 || n->is_int)) {
                n->is_float = true;
                n->f = f;
                if (!n->is_int && f > -9.3e18 && f < 9.3e18 && f == (double) (int64_t) f) {
                        n->is_int = true;
                        n->i = (int64_t) f;
                }
        } else if (n->is_int) {
                n->is_float = true;
                n->f = (double) n->i;
        }
        if (!n->is_int && !n->is_float)
                perror_at(p, "illegal number syntax: \"%s\"", t->val);
        return n;
}

static GtNode *parse_term(Parser *p)
{
        peek_non_space(p);
        size_t save = p->cur;
        Token *t = next(p);
        GtNode *n;
        switch (t->type) {
        case TK_IDENT:
                if (!gt_func_lookup(t->val, false))
                        perror_at(p, "function \"%s\" not defined", t->val);
                n = new_node(GT_IDENT, t->pos);
                n->text = xstrdup(t->val);
                return n;
        case TK_DOT:
                return new_node(GT_DOT, t->pos);
        case TK_NIL:
                return new_node(GT_NIL, t->pos);
        case TK_VARIABLE:
                if (!var_defined(p, t->val))
                        perror_at(p, "undefined variable \"%s\"", t->val);
                n = new_node(GT_VARIABLE, t->pos);
                split_fields(n, t->val, true);
                return n;
        case TK_FIELD:
                n = new_node(GT_FIELD, t->pos);
                split_fields(n, t->val, false);
                return n;
        case TK_BOOL:
                n = new_node(GT_BOOL, t->pos);
                n->boolean = streq(t->val, "true");
                return n;
        case TK_NUMBER:
        case TK_CHAR:
                return parse_number(p, t);
        case TK_LPAREN:
                if (++p->depth > GOTEMPLATE_DEPTH_MAX) {
                        perror_at(p, "nesting too deep");
                        return NULL;
                }
                n = parse_pipeline(p, "parenthesized pipeline", TK_RPAREN);
                p->depth--;
                return n;
        case TK_STRING:
        case TK_RAW:
                n = new_node(GT_STRING, t->pos);
                n->quoted = xstrdup(t->val);
                if (unquote(t->val, t->len, &n->text, &n->text_len) < 0)
                        perror_at(p, "invalid syntax");
                return n;
        default:
                p->cur = save; /* back up: not a term */
                return NULL;
        }
}

static GtNode *parse_operand(Parser *p)
{
        GtNode *n = parse_term(p);
        if (!n || p->r < 0 || peek(p)->type != TK_FIELD)
                return n;
        size_t pos = peek(p)->pos; /* Go positions the merged node at the first added field */
        if (n->type == GT_BOOL || n->type == GT_STRING || n->type == GT_NUMBER || n->type == GT_NIL ||
            n->type == GT_DOT) {
                _cleanup_free_ char *s = gt_node_string(n);
                perror_at(p, "unexpected . after term \"%s\"", s);
                return n;
        }
        GtNode *c = n;
        if (n->type != GT_FIELD && n->type != GT_VARIABLE) {
                c = new_node(GT_CHAIN, pos);
                c->sub = n;
        } else
                c->pos = pos;
        while (peek(p)->type == TK_FIELD) {
                Token *f = next(p);
                append_str(&c->fields, &c->n_fields, f->val + 1, f->len - 1);
        }
        return c;
}

static GtNode *parse_command(Parser *p)
{
        GtNode *cmd = new_node(GT_COMMAND, peek_non_space(p)->pos);
        for (;;) {
                peek_non_space(p);
                GtNode *o = parse_operand(p);
                if (o)
                        append_kid(cmd, o);
                if (p->r < 0)
                        return cmd;
                Token *t = next(p);
                if (t->type == TK_SPACE)
                        continue;
                if (t->type == TK_RIGHT || t->type == TK_RPAREN)
                        p->cur--;
                else if (t->type != TK_PIPE)
                        unexpected(p, t, "operand");
                break;
        }
        if (p->r >= 0 && cmd->n_kids == 0)
                perror_at(p, "empty command");
        return cmd;
}

static void declare(Parser *p, GtNode *pipe, const Token *v)
{
        append_str(&pipe->decl, &pipe->n_decl, v->val, v->len);
        push_var(p, v->val);
}

static void parse_decls(Parser *p, GtNode *pipe, const char *context)
{
        for (;;) {
                Token *v = peek_non_space(p);
                if (v->type != TK_VARIABLE)
                        return;
                size_t save = p->cur;
                next(p);
                Token *after = peek(p);
                Token *n = peek_non_space(p);
                if (n->type == TK_ASSIGN || n->type == TK_DECLARE) {
                        pipe->is_assign = n->type == TK_ASSIGN;
                        next(p);
                        if (pipe->is_assign) {
                                if (!var_defined(p, v->val))
                                        perror_at(p, "undefined variable \"%s\"", v->val);
                                append_str(&pipe->decl, &pipe->n_decl, v->val, v->len);
                        } else
                                declare(p, pipe, v);
                        return;
                }
                if (n->type == TK_CHARITEM && streq(n->val, ",")) {
                        next(p);
                        declare(p, pipe, v);
                        if (streq(context, "range") && pipe->n_decl < 2) {
                                GtTok nt = peek_non_space(p)->type;
                                if (nt == TK_VARIABLE || nt == TK_RIGHT || nt == TK_RPAREN)
                                        continue;
                                perror_at(p, "range can only initialize variables");
                                return;
                        }
                        perror_at(p, "too many declarations in %s", context);
                        return;
                }
                (void) after;
                p->cur = save;
                return;
        }
}

static GtNode *parse_pipeline(Parser *p, const char *context, GtTok end)
{
        GtNode *pipe = new_node(GT_PIPE, peek_non_space(p)->pos);
        parse_decls(p, pipe, context);
        while (p->r >= 0) {
                Token *t = next_non_space(p);
                if (t->type == end) {
                        if (pipe->n_kids == 0) {
                                perror_at(p, "missing value for %s", context);
                                break;
                        }
                        for (size_t k = 1; k < pipe->n_kids; k++) {
                                GtNodeType a = pipe->kids[k]->kids[0]->type;
                                if (a == GT_BOOL || a == GT_DOT || a == GT_NIL || a == GT_NUMBER ||
                                    a == GT_STRING)
                                        perror_at(p, "non executable command in pipeline stage %zu", k + 1);
                        }
                        break;
                }
                switch (t->type) {
                case TK_BOOL:
                case TK_CHAR:
                case TK_DOT:
                case TK_FIELD:
                case TK_IDENT:
                case TK_NUMBER:
                case TK_NIL:
                case TK_RAW:
                case TK_STRING:
                case TK_VARIABLE:
                case TK_LPAREN:
                        p->cur--;
                        append_kid(pipe, parse_command(p));
                        break;
                default:
                        unexpected(p, t, context);
                }
        }
        return pipe;
}

typedef enum EndKind { END_NONE, END_END, END_ELSE } EndKind;

static GtNode *parse_text_or_action(Parser *p, EndKind *end);

/* Items up to {{end}} or {{else}}. */
static GtNode *parse_list(Parser *p, EndKind *end)
{
        GtNode *list = new_node(GT_LIST, peek_non_space(p)->pos);
        while (p->r >= 0 && peek_non_space(p)->type != TK_EOF) {
                EndKind e = END_NONE;
                GtNode *n = parse_text_or_action(p, &e);
                if (e != END_NONE) {
                        *end = e;
                        return list;
                }
                if (n)
                        append_kid(list, n);
        }
        if (p->r >= 0 && peek(p)->type == TK_ERROR)
                unexpected(p, peek(p), "input");
        perror_at(p, "unexpected EOF");
        return list;
}

static GtNode *parse_control(Parser *p, GtNodeType type, const char *context, size_t pos)
{
        if (++p->depth > GOTEMPLATE_DEPTH_MAX) {
                perror_at(p, "nesting too deep");
                return NULL;
        }
        size_t nvars = p->n_vars;
        GtNode *n = new_node(type, pos);
        n->sub = parse_pipeline(p, context, TK_RIGHT);
        if (p->r < 0)
                goto out;
        p->range_depth += type == GT_RANGE;
        EndKind e = END_NONE;
        n->list = parse_list(p, &e);
        p->range_depth -= type == GT_RANGE;
        if (p->r < 0 || e != END_ELSE)
                goto out;
        Token *t = peek(p);
        if ((type == GT_IF && t->type == TK_IF) || (type == GT_WITH && t->type == TK_WITH)) {
                /* "else if"/"else with": the nested block shares our {{end}} */
                next(p);
                n->else_list = new_node(GT_LIST, t->pos);
                GtNode *c = parse_control(p, type, context, t->pos);
                if (c)
                        append_kid(n->else_list, c);
                goto out;
        }
        n->else_list = parse_list(p, &e);
        if (p->r >= 0 && e != END_END)
                perror_at(p, "expected end; found {{else}}");
out:
        pop_vars(p, nvars);
        p->depth--;
        return n;
}

static void expect_right(Parser *p, const char *context)
{
        Token *t = next_non_space(p);
        if (t->type != TK_RIGHT)
                unexpected(p, t, context);
}

static GtNode *parse_action(Parser *p, EndKind *end)
{
        peek_non_space(p);
        size_t save = p->cur;
        Token *t = next(p);
        switch (t->type) {
        case TK_BLOCK:
        case TK_DEFINE:
        case TK_TEMPLATE:
                perror_at(p, "{{%s}} is not supported", t->val);
                return NULL;
        case TK_BREAK:
        case TK_CONTINUE:
                if (p->range_depth == 0) {
                        perror_at(p, "{{%s}} outside {{range}}", t->val);
                        return NULL;
                }
                expect_right(p, t->type == TK_BREAK ? "{{break}}" : "{{continue}}");
                return new_node(t->type == TK_BREAK ? GT_BREAK : GT_CONTINUE, t->pos);
        case TK_ELSE: {
                GtTok n = peek_non_space(p)->type;
                if (n != TK_IF && n != TK_WITH)
                        expect_right(p, "else");
                *end = END_ELSE;
                return NULL;
        }
        case TK_END:
                expect_right(p, "end");
                *end = END_END;
                return NULL;
        case TK_IF:
                return parse_control(p, GT_IF, "if", t->pos);
        case TK_RANGE:
                return parse_control(p, GT_RANGE, "range", t->pos);
        case TK_WITH:
                return parse_control(p, GT_WITH, "with", t->pos);
        default:
                break;
        }
        p->cur = save;
        GtNode *a = new_node(GT_ACTION, peek(p)->pos);
        a->sub = parse_pipeline(p, "command", TK_RIGHT);
        return a;
}

static GtNode *parse_text_or_action(Parser *p, EndKind *end)
{
        Token *t = next_non_space(p);
        if (t->type == TK_TEXT) {
                GtNode *n = new_node(GT_TEXT, t->pos);
                n->text = xstrndup(t->val, t->len);
                n->text_len = t->len;
                return n;
        }
        if (t->type == TK_LEFT)
                return parse_action(p, end);
        unexpected(p, t, "input");
        return NULL;
}

/* strconv.Unquote for "...", `...` and '...'. */
static int unquote(const char *s, size_t len, char **ret, size_t *ret_len)
{
        if (len < 2 || s[len - 1] != s[0])
                return -EINVAL;
        char q = s[0];
        char *out = xmalloc(len * 4 + 1);
        size_t o = 0;
        for (size_t k = 1; k < len - 1; k++) {
                unsigned char c = (unsigned char) s[k];
                if (q == '`' || c != '\\') {
                        if (q != '`' && c == (unsigned char) q)
                                goto fail;
                        if (c != '\r' || q != '`') /* raw strings drop carriage returns */
                                out[o++] = (char) c;
                        continue;
                }
                c = (unsigned char) s[++k];
                const char *simple = strchr("abfnrtv\\'\"", c);
                if (c && simple) {
                        if ((c == '\'' && q != '\'') || (c == '"' && q != '"'))
                                goto fail;
                        out[o++] = "\a\b\f\n\r\t\v\\'\""[simple - "abfnrtv\\'\""];
                        continue;
                }
                bool octal = c >= '0' && c <= '7';
                size_t ndig = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : octal ? 3 : 0;
                size_t first = octal ? k : k + 1;
                if (ndig == 0 || first + ndig > len - 1)
                        goto fail;
                uint32_t v = 0;
                for (size_t d = first; d < first + ndig; d++) {
                        char h = s[d];
                        uint32_t hv = (h >= '0' && h <= '9')   ? (uint32_t) (h - '0')
                                      : (h >= 'a' && h <= 'f') ? (uint32_t) (h - 'a' + 10)
                                      : (h >= 'A' && h <= 'F') ? (uint32_t) (h - 'A' + 10)
                                                               : 99;
                        if (hv >= (octal ? 8u : 16u))
                                goto fail;
                        v = v * (octal ? 8 : 16) + hv;
                }
                k = first + ndig - 1;
                if (c == 'x' || octal) {
                        /* a byte, not a rune */
                        if (v > 255)
                                goto fail;
                        out[o++] = (char) v;
                        continue;
                }
                if (v > 0x10FFFF || (v >= 0xD800 && v < 0xE000))
                        goto fail;
                if (v < 0x80)
                        out[o++] = (char) v;
                else if (v < 0x800) {
                        out[o++] = (char) (0xC0 | (v >> 6));
                        out[o++] = (char) (0x80 | (v & 0x3F));
                } else if (v < 0x10000) {
                        out[o++] = (char) (0xE0 | (v >> 12));
                        out[o++] = (char) (0x80 | ((v >> 6) & 0x3F));
                        out[o++] = (char) (0x80 | (v & 0x3F));
                } else {
                        out[o++] = (char) (0xF0 | (v >> 18));
                        out[o++] = (char) (0x80 | ((v >> 12) & 0x3F));
                        out[o++] = (char) (0x80 | ((v >> 6) & 0x3F));
                        out[o++] = (char) (0x80 | (v & 0x3F));
                }
        }
        out[o] = '\0';
        *ret = out;
        *ret_len = o;
        return 0;
fail:
        free(out);
        return -EINVAL;
}

int gotemplate_parse(const char *text, GoTemplate **ret, LadeError **err)
{
        size_t len = strlen(text);
        if (len > GOTEMPLATE_TEXT_MAX)
                return lade_error_msg(err, E2BIG, "template: longer than %u bytes", GOTEMPLATE_TEXT_MAX);
        Parser p = { .text = text, .text_len = len, .err = err };
        lex_all(&p);
        if (p.n_toks == 0 || (p.toks[p.n_toks - 1].type != TK_EOF && p.toks[p.n_toks - 1].type != TK_ERROR))
                emit_raw(&p, TK_EOF, len, "", 0);
        push_var(&p, "$");
        GtNode *root = new_node(GT_LIST, 0);
        while (p.r >= 0 && peek(&p)->type != TK_EOF) {
                EndKind e = END_NONE;
                GtNode *n = parse_text_or_action(&p, &e);
                if (p.r >= 0 && e != END_NONE)
                        perror_at(&p, "unexpected {{%s}}", e == END_END ? "end" : "else");
                if (n)
                        append_kid(root, n);
        }
        for (size_t k = 0; k < p.n_toks; k++)
                free(p.toks[k].val);
        free(p.toks);
        pop_vars(&p, 0);
        free(p.vars);
        if (p.r < 0) {
                gt_node_free(root);
                return p.r;
        }
        GoTemplate *t = xmalloc0(sizeof(GoTemplate));
        t->text = xstrdup(text);
        t->root = root;
        *ret = t;
        return 0;
}

void gt_node_free(GtNode *n)
{
        if (!n)
                return;
        free(n->text);
        free(n->quoted);
        for (size_t k = 0; k < n->n_fields; k++)
                free(n->fields[k]);
        free(n->fields);
        for (size_t k = 0; k < n->n_kids; k++)
                gt_node_free(n->kids[k]);
        free(n->kids);
        for (size_t k = 0; k < n->n_decl; k++)
                free(n->decl[k]);
        free(n->decl);
        gt_node_free(n->sub);
        gt_node_free(n->list);
        gt_node_free(n->else_list);
        free(n);
}

GoTemplate *gotemplate_free(GoTemplate *t)
{
        if (t) {
                gt_node_free(t->root);
                free(t->text);
                free(t);
        }
        return NULL;
}

static void node_string(GtBuf *b, const GtNode *n)
{
        switch (n->type) {
        case GT_FIELD:
                for (size_t k = 0; k < n->n_fields; k++)
                        gt_buf_printf(b, ".%s", n->fields[k]);
                return;
        case GT_VARIABLE:
                gt_buf_puts(b, n->text);
                for (size_t k = 0; k < n->n_fields; k++)
                        gt_buf_printf(b, ".%s", n->fields[k]);
                return;
        case GT_CHAIN:
                if (n->sub->type == GT_PIPE)
                        gt_buf_puts(b, "(");
                node_string(b, n->sub);
                if (n->sub->type == GT_PIPE)
                        gt_buf_puts(b, ")");
                for (size_t k = 0; k < n->n_fields; k++)
                        gt_buf_printf(b, ".%s", n->fields[k]);
                return;
        case GT_IDENT:
                gt_buf_puts(b, n->text);
                return;
        case GT_DOT:
                gt_buf_puts(b, ".");
                return;
        case GT_NIL:
                gt_buf_puts(b, "nil");
                return;
        case GT_BOOL:
                gt_buf_puts(b, n->boolean ? "true" : "false");
                return;
        case GT_NUMBER:
        case GT_STRING:
                gt_buf_puts(b, n->quoted);
                return;
        case GT_COMMAND:
                for (size_t k = 0; k < n->n_kids; k++) {
                        if (k > 0)
                                gt_buf_puts(b, " ");
                        bool paren = n->kids[k]->type == GT_PIPE;
                        if (paren)
                                gt_buf_puts(b, "(");
                        node_string(b, n->kids[k]);
                        if (paren)
                                gt_buf_puts(b, ")");
                }
                return;
        case GT_PIPE:
                for (size_t k = 0; k < n->n_decl; k++)
                        gt_buf_printf(b, "%s%s", k > 0 ? ", " : "", n->decl[k]);
                if (n->n_decl > 0)
                        gt_buf_puts(b, n->is_assign ? " = " : " := ");
                for (size_t k = 0; k < n->n_kids; k++) {
                        if (k > 0)
                                gt_buf_puts(b, " | ");
                        node_string(b, n->kids[k]);
                }
                return;
        case GT_ACTION:
                gt_buf_puts(b, "{{");
                node_string(b, n->sub);
                gt_buf_puts(b, "}}");
                return;
        case GT_IF:
        case GT_RANGE:
        case GT_WITH:
                gt_buf_puts(b, n->type == GT_IF ? "{{if " : n->type == GT_RANGE ? "{{range " : "{{with ");
                node_string(b, n->sub);
                gt_buf_puts(b, "}}");
                node_string(b, n->list);
                if (n->else_list) {
                        gt_buf_puts(b, "{{else}}");
                        node_string(b, n->else_list);
                }
                gt_buf_puts(b, "{{end}}");
                return;
        case GT_LIST:
                for (size_t k = 0; k < n->n_kids; k++)
                        node_string(b, n->kids[k]);
                return;
        case GT_TEXT:
                gt_buf_put(b, n->text, n->text_len);
                return;
        case GT_BREAK:
                gt_buf_puts(b, "{{break}}");
                return;
        case GT_CONTINUE:
                gt_buf_puts(b, "{{continue}}");
                return;
        }
}

char *gt_node_string(const GtNode *n)
{
        GtBuf b = { .max = GOTEMPLATE_OUTPUT_MAX };
        node_string(&b, n);
        return b.data ? b.data : xstrdup("");
}

/* The Dockerfile's lines -> instructions, as buildkit's parser.Parse and instructions.Parse do
 * it: BOM, parser directives (only before anything else), comments (also between continuation
 * lines), the escape character, continuation lines (empty ones warned about), here-documents,
 * then each instruction's own checks and the split into stages. Invariants: the input is never
 * trusted (every size has a limit), every error names its line, nothing is returned on failure. */
#include <string.h>

#include "build-util.h"
#include "dockerfile-internal.h"
#include "shell-lex.h"
#include "util.h"

typedef struct Directives {
        char escape;
        unsigned line;
        bool done, seen_syntax, seen_escape, seen_check;
        char *syntax, *check;
} Directives;

typedef struct Span {
        const char *p;
        size_t n;
} Span;

static bool span_eq(Span a, const char *s)
{
        return a.n == strlen(s) && memcmp(a.p, s, a.n) == 0;
}

static Span trim_newline(Span s)
{
        while (s.n > 0 && (s.p[s.n - 1] == '\r' || s.p[s.n - 1] == '\n'))
                s.n--;
        return s;
}

static Span trim_leading_space(Span s)
{
        while (s.n > 0) {
                uint32_t r;
                size_t k = build_utf8_decode(s.p, s.n, &r);
                if (!build_rune_is_space(r))
                        break;
                s.p += k, s.n -= k;
        }
        return s;
}

static Span trim_leading_tabs(Span s)
{
        while (s.n > 0 && s.p[0] == '\t')
                s.p++, s.n--;
        return s;
}

static bool is_comment(Span s)
{
        s = trim_leading_space(s);
        return s.n > 0 && s.p[0] == '#';
}

static bool re_space(char c)
{
        /* RE2's \s: [\t\n\f\r ] */
        return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
}

static int directive_set(Directives *d, Span name, Span value, bool *ret_escape_set, LadeError **err)
{
        _cleanup_free_ char *raw = xstrndup(name.p, name.n);
        _cleanup_free_ char *k = build_ascii_lower(raw);
        bool *seen = streq(k, "syntax") ? &d->seen_syntax
                   : streq(k, "escape") ? &d->seen_escape
                   : streq(k, "check")  ? &d->seen_check : NULL;

        if (!seen) {
                d->done = true;
                return 0;
        }
        if (*seen)
                return lade_error_msg(err, EINVAL, "only one %s parser directive can be used", k);
        *seen = true;
        if (streq(k, "escape")) {
                if (!span_eq(value, "`") && !span_eq(value, "\\")) {
                        _cleanup_free_ char *v = xstrndup(value.p, value.n);
                        return lade_error_msg(err, EINVAL,
                                              "invalid escape token '%s' does not match ` or \\", v);
                }
                d->escape = value.p[0];
                *ret_escape_set = true;
        } else if (streq(k, "syntax")) {
                d->syntax = xstrndup(value.p, value.n);
        } else {
                d->check = xstrndup(value.p, value.n);
        }
        return 0;
}

/* DirectiveParser.ParseLine: `# name = value` while nothing else has been seen. */
static int directive_line(Directives *d, Span line, bool *ret_escape_set, LadeError **err)
{
        Span name, value;
        size_t i = 1;

        d->line++;
        *ret_escape_set = false;
        if (d->done)
                return 0;
        if (line.n == 0 || line.p[0] != '#')
                goto done;
        line.p++, line.n--;
        line = trim_leading_space(line);
        if (line.n == 0 || !((line.p[0] | 0x20) >= 'a' && (line.p[0] | 0x20) <= 'z'))
                goto done;
        while (i < line.n && build_is_name_char((unsigned char) line.p[i]) && line.p[i] != '_')
                i++;
        name = (Span) { line.p, i };
        while (i < line.n && re_space(line.p[i]))
                i++;
        if (i >= line.n || line.p[i] != '=')
                goto done;
        i++;
        while (i < line.n && re_space(line.p[i]))
                i++;
        value = (Span) { line.p + i, line.n - i };
        while (value.n > 0 && re_space(value.p[value.n - 1]))
                value.n--;
        if (value.n == 0 || memchr(value.p, '\n', value.n))
                goto done;

        return directive_set(d, name, value, ret_escape_set, err);
done:
        d->done = true;
        return 0;
}

/* processLine: newline trimmed, leading space trimmed (first line of an instruction only),
 * directives looked for, comments dropped. */
static int process_line(Directives *d, Span token, bool strip_left, Span *ret, LadeError **err)
{
        bool escape_set;
        int r;

        token = trim_newline(token);
        if (strip_left)
                token = trim_leading_space(token);
        r = directive_line(d, token, &escape_set, err);
        if (r < 0)
                return r;
        *ret = is_comment(token) ? (Span) { token.p, 0 } : token;
        return 0;
}

/* The line-continuation regexp `([^E])E[ \t]*$|^E[ \t]*$` for the escape character E. */
static bool trim_continuation(const Directives *d, Span *line)
{
        size_t n = line->n;

        while (n > 0 && (line->p[n - 1] == ' ' || line->p[n - 1] == '\t'))
                n--;
        if (n == 0 || line->p[n - 1] != d->escape)
                return true;
        if (n >= 2 && line->p[n - 2] == d->escape)
                return true;
        line->n = n - 1;
        return false;
}


/* ---- here-documents ---- */

static void heredoc_clear(DockerfileHeredoc *h)
{
        free(h->name);
        free(h->content);
        *h = (DockerfileHeredoc) {};
}

static size_t count_quotes(const char *s)
{
        size_t n = 0;

        for (; *s; s++)
                n += *s == '\'' || *s == '"';
        return n;
}

/* ParseHeredoc: `^(\d*)<<(-?)\s*([^<]*)$`; 0 when the word is not a here-document. */
static int heredoc_from_word(const char *word, DockerfileHeredoc *ret, LadeError **err)
{
        BuildShellOptions o = { .escape = '\\', .skip_unset = true };
        _cleanup_strv_free_ char **words = NULL, **raw = NULL;
        const char *p = word, *rest;
        unsigned long long fd = 0;
        bool chomp;
        int r;

        while (build_is_digit((unsigned char) *p))
                fd = fd > 1000000000ull ? fd : fd * 10 + (unsigned) (*p++ - '0');
        if (!startswith(p, "<<"))
                return 0;
        p += 2;
        chomp = *p == '-';
        p += chomp;
        while (re_space(*p))
                p++;
        rest = p;
        if (!*rest || strchr(rest, '<'))
                return 0;
        r = build_shell_expand_words(&o, rest, build_env_empty_lookup, NULL, &words, err);
        if (r < 0)
                return r;
        if (strv_length(words) != 1)
                return 0;
        o.raw_quotes = true;
        r = build_shell_expand_words(&o, rest, build_env_empty_lookup, NULL, &raw, err);
        if (r < 0)
                return r;
        if (strv_length(raw) != 1)
                return lade_error_msg(err, EINVAL,
                                      "internal lexing of heredoc produced inconsistent results: %s", rest);
        *ret = (DockerfileHeredoc) {
                .name = xstrdup(words[0]),
                .expand = count_quotes(words[0]) == count_quotes(raw[0]),
                .chomp = chomp,
                .fd = (unsigned) (fd > 1000000000ull ? 0 : fd),
        };
        return 1;
}

int dockerfile_word_heredoc(const char *word, DockerfileHeredoc *ret)
{
        return heredoc_from_word(word, ret, NULL) > 0 ? 1 : 0;
}

/* heredocsFromLine: the line's words (quotes and escapes kept) that are here-documents. */
static int heredocs_from_line(const char *line, DockerfileHeredoc **ret, size_t *ret_n, LadeError **err)
{
        BuildShellOptions o = { .escape = '\\', .raw_quotes = true, .raw_escapes = true, .skip_unset = true };
        _cleanup_strv_free_ char **words = NULL;
        DockerfileHeredoc *docs = NULL;
        size_t n = 0;

        /* a line the lexer cannot split has no here-documents (buildkit ignores the error) */
        if (build_shell_expand_words(&o, line, build_env_empty_lookup, NULL, &words, NULL) < 0)
                words = NULL;
        for (size_t i = 0; words && words[i]; i++) {
                DockerfileHeredoc h = {};
                int r = heredoc_from_word(words[i], &h, err);
                if (r < 0)
                        goto fail;
                if (r == 0)
                        continue;
                if (n >= DOCKERFILE_HEREDOCS_MAX) {
                        heredoc_clear(&h);
                        lade_error_msg(err, E2BIG, "too many heredocs on one instruction (at most %u)",
                                       DOCKERFILE_HEREDOCS_MAX);
                        goto fail;
                }
                docs = xreallocarray(docs, n + 1, sizeof(*docs));
                docs[n++] = h;
        }
        *ret = docs;
        *ret_n = n;
        return 0;
fail:
        for (size_t i = 0; i < n; i++)
                heredoc_clear(&docs[i]);
        free(docs);
        return -EINVAL;
}

char *dockerfile_heredoc_body(const DockerfileHeredoc *h)
{
        BuildBuf b = {};
        bool bol = true;

        if (!h->chomp)
                return xstrdup(h->content ? h->content : "");
        build_buf_puts(&b, "");
        for (const char *p = h->content ? h->content : ""; *p; p++) {
                if (bol && *p == '\t')
                        continue;
                bol = *p == '\n';
                build_buf_putc(&b, *p);
        }
        return build_buf_steal(&b);
}

static bool can_contain_heredoc(const DockerfileInstruction *i)
{
        if (i->kind == DOCKERFILE_ONBUILD && i->trigger)
                i = i->trigger;
        if (i->kind != DOCKERFILE_ADD && i->kind != DOCKERFILE_COPY && i->kind != DOCKERFILE_RUN)
                return false;
        return !i->json;
}

/* ---- the parser ---- */

typedef struct Parser {
        const char *data;
        size_t len, pos;
        unsigned line;
        bool too_long;
        Directives d;
        DockerfileInstruction **nodes;
        size_t n_nodes;
        char **warnings;
        size_t n_warnings;
        unsigned error_line;
} Parser;

/* bufio.Scanner with buildkit's line splitter: one line with its newline, at most 64 KiB. */
static bool next_token(Parser *p, Span *ret)
{
        const char *nl;

        if (p->pos >= p->len || p->too_long)
                return false;
        nl = memchr(p->data + p->pos, '\n', p->len - p->pos);
        ret->p = p->data + p->pos;
        ret->n = nl ? (size_t) (nl - ret->p) + 1 : p->len - p->pos;
        if (ret->n > DOCKERFILE_PHYSICAL_LINE_MAX + 1) {
                p->too_long = true;
                return false;
        }
        p->pos += ret->n;
        return true;
}

static int parse_fail(Parser *p, unsigned line, LadeError **err)
{
        p->error_line = line;
        return lade_error_wrap(err, "dockerfile parse error on line %u", line);
}

static int read_heredocs(Parser *p, DockerfileInstruction *node, const char *line, unsigned start,
                         LadeError **err)
{
        int r;

        r = heredocs_from_line(line, &node->heredocs, &node->n_heredocs, err);
        if (r < 0)
                return parse_fail(p, start, err);
        for (size_t k = 0; k < node->n_heredocs; k++) {
                DockerfileHeredoc *h = &node->heredocs[k];
                BuildBuf content = {};
                bool terminated = false;
                Span tok;

                build_buf_puts(&content, "");
                while (next_token(p, &tok)) {
                        Span t = trim_newline(tok);
                        p->line++;
                        if (h->chomp)
                                t = trim_leading_tabs(t);
                        if (span_eq(t, h->name)) {
                                terminated = true;
                                break;
                        }
                        build_buf_put(&content, tok.p, tok.n);
                }
                h->content = build_buf_steal(&content);
                if (!terminated) {
                        lade_error_msg(err, EINVAL, "unterminated heredoc");
                        return parse_fail(p, start, err);
                }
        }
        return 0;
}

static void add_warning(Parser *p, const char *line)
{
        build_strv_push(&p->warnings, &p->n_warnings,
                        xasprintf("Empty continuation line found in: %s", line));
}

/* One logical line: the first physical line plus its continuations. 0 at the end of input, 1
 * when *ret_line holds an instruction line, 2 for a line with nothing in it. */
static int read_logical_line(Parser *p, char **ret_line, unsigned *ret_start, LadeError **err)
{
        BuildBuf buf = {};
        bool eol, empty_cont = false;
        Span tok, s;
        int r;

        if (!next_token(p, &tok))
                return 0;
        if (p->line == 0 && tok.n >= 3 && memcmp(tok.p, "\xEF\xBB\xBF", 3) == 0)
                tok.p += 3, tok.n -= 3;
        r = process_line(&p->d, tok, true, &s, err);
        if (r < 0)
                return parse_fail(p, p->line + 1, err);
        p->line++;
        *ret_start = p->line;
        eol = trim_continuation(&p->d, &s);
        if (eol && s.n == 0)
                return 2;
        build_buf_put(&buf, s.p, s.n);
        while (!eol && next_token(p, &tok)) {
                r = process_line(&p->d, tok, false, &s, err);
                if (r < 0) {
                        build_buf_done(&buf);
                        return parse_fail(p, p->line + 1, err);
                }
                p->line++;
                if (is_comment(tok))
                        continue;
                if (trim_leading_space(trim_newline(s)).n == 0) {
                        empty_cont = true;
                        continue;
                }
                eol = trim_continuation(&p->d, &s);
                build_buf_put(&buf, s.p, s.n);
                if (buf.len > DOCKERFILE_LINE_MAX) {
                        build_buf_done(&buf);
                        lade_error_msg(err, E2BIG, "dockerfile line greater than max allowed size of %u",
                                       DOCKERFILE_LINE_MAX);
                        return parse_fail(p, *ret_start, err);
                }
        }
        *ret_line = build_buf_steal(&buf);
        if (empty_cont)
                add_warning(p, *ret_line);
        return 1;
}

static int parse_nodes(Parser *p, LadeError **err)
{
        for (;;) {
                _cleanup_(dockerfile_instruction_freep) DockerfileInstruction *node = NULL;
                _cleanup_free_ char *line = NULL;
                unsigned start = 0;
                int r;

                r = read_logical_line(p, &line, &start, err);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                if (r == 2)
                        continue;
                r = dockerfile_node_from_line(line, p->d.escape, &node, err);
                if (r < 0)
                        return parse_fail(p, start, err);
                if (can_contain_heredoc(node) && strstr(line, "<<")) {
                        r = read_heredocs(p, node, line, start, err);
                        if (r < 0)
                                return r;
                }
                node->start_line = start;
                node->end_line = p->line;
                if (p->n_nodes >= DOCKERFILE_INSTRUCTIONS_MAX) {
                        lade_error_msg(err, E2BIG, "too many instructions (at most %u)",
                                       DOCKERFILE_INSTRUCTIONS_MAX);
                        return parse_fail(p, start, err);
                }
                p->nodes = xreallocarray(p->nodes, p->n_nodes + 1, sizeof(*p->nodes));
                p->nodes[p->n_nodes++] = TAKE_PTR(node);
        }
        if (p->n_nodes == 0) {
                p->error_line = p->line;
                return lade_error_msg(err, EINVAL, "file with no instructions");
        }
        if (p->too_long) {
                lade_error_msg(err, E2BIG, "dockerfile line greater than max allowed size of %u",
                               DOCKERFILE_PHYSICAL_LINE_MAX);
                return parse_fail(p, p->line + 1, err);
        }
        return 0;
}

static void parser_done(Parser *p)
{
        for (size_t i = 0; i < p->n_nodes; i++)
                dockerfile_instruction_free(p->nodes[i]);
        free(p->nodes);
        strv_free(p->warnings);
        free(p->d.syntax);
        free(p->d.check);
}

static void stage_add(DockerfileStage *s, DockerfileInstruction *i)
{
        s->instructions = xreallocarray(s->instructions, s->n_instructions + 1, sizeof(*s->instructions));
        s->instructions[s->n_instructions++] = i;
}

/* instructions.Parse: checks each instruction, then ARGs before the first FROM are meta args
 * and every other instruction belongs to the stage its last FROM opened. */
static int split_stages(Parser *p, Dockerfile *df, LadeError **err)
{
        for (size_t k = 0; k < p->n_nodes; k++) {
                DockerfileInstruction *i = p->nodes[k];
                int r = dockerfile_instruction_check(i, err);
                if (r < 0)
                        return parse_fail(p, i->start_line, err);
                if (df->n_stages == 0 && i->kind == DOCKERFILE_ARG) {
                        df->meta_args = xreallocarray(df->meta_args, df->n_meta_args + 1, sizeof(i));
                        df->meta_args[df->n_meta_args++] = i;
                        continue;
                }
                if (i->kind == DOCKERFILE_FROM) {
                        df->stages = xreallocarray(df->stages, df->n_stages + 1, sizeof(*df->stages));
                        df->stages[df->n_stages] = (DockerfileStage) {
                                .from = i,
                                .name = i->stage_name ? xstrdup(i->stage_name) : NULL,
                                .index = df->n_stages,
                        };
                        df->n_stages++;
                        continue;
                }
                if (df->n_stages == 0) {
                        lade_error_msg(err, EINVAL, "no build stage in current context");
                        return parse_fail(p, i->start_line, err);
                }
                stage_add(&df->stages[df->n_stages - 1], i);
        }
        if (df->n_stages == 0) {
                p->error_line = 0;
                return lade_error_msg(err, EINVAL, "dockerfile contains no stages to build");
        }
        return 0;
}

int dockerfile_parse(const char *data, size_t len, Dockerfile **ret, unsigned *error_line,
                     LadeError **err)
{
        _cleanup_(dockerfile_freep) Dockerfile *df = NULL;
        Parser p = { .data = data, .len = len, .d = { .escape = '\\' } };
        int r;

        if (error_line)
                *error_line = 0;
        if (len == 0)
                return lade_error_msg(err, EINVAL, "the Dockerfile cannot be empty");
        if (len > DOCKERFILE_SIZE_MAX)
                return lade_error_msg(err, EFBIG, "the Dockerfile is too large (%zu bytes, at most %u)",
                                      len, DOCKERFILE_SIZE_MAX);
        const char *nul = memchr(data, 0, len);
        if (nul) {
                unsigned line = 1;
                for (const char *c = data; c < nul; c++)
                        line += *c == '\n';
                if (error_line)
                        *error_line = line;
                return lade_error_msg(err, EINVAL, "dockerfile parse error on line %u: NUL byte in the Dockerfile",
                                      line);
        }
        r = parse_nodes(&p, err);
        if (r >= 0) {
                df = xmalloc0(sizeof(*df));
                r = split_stages(&p, df, err);
        }
        if (r < 0) {
                if (error_line)
                        *error_line = p.error_line;
                parser_done(&p);
                return r;
        }
        df->escape = p.d.escape;
        df->syntax = TAKE_PTR(p.d.syntax);
        df->check = TAKE_PTR(p.d.check);
        df->all = TAKE_PTR(p.nodes);
        df->n_all = p.n_nodes;
        p.n_nodes = 0;
        df->warnings = TAKE_PTR(p.warnings);
        parser_done(&p);
        *ret = TAKE_PTR(df);
        return 0;
}

int dockerfile_parse_instruction(const char *line, char escape, DockerfileInstruction **ret,
                                 LadeError **err)
{
        Parser p = { .data = line, .len = strlen(line), .d = { .escape = escape, .done = true } };
        int r;

        if (p.len > DOCKERFILE_LINE_MAX)
                return lade_error_msg(err, E2BIG, "instruction too long (at most %u bytes)",
                                      DOCKERFILE_LINE_MAX);
        r = parse_nodes(&p, err);
        if (r >= 0 && p.n_nodes != 1)
                r = lade_error_msg(err, EINVAL, "onbuild trigger should be a single expression");
        if (r >= 0)
                r = dockerfile_instruction_check(p.nodes[0], err);
        if (r < 0) {
                parser_done(&p);
                return r;
        }
        *ret = TAKE_PTR(p.nodes[0]);
        p.n_nodes = 0;
        parser_done(&p);
        return 0;
}

int dockerfile_parse_nodes(const char *data, size_t len, DockerfileInstruction ***ret, size_t *ret_n,
                           char ***ret_warnings, LadeError **err)
{
        Parser p = { .data = data, .len = len, .d = { .escape = '\\' } };
        int r;

        r = parse_nodes(&p, err);
        if (r < 0) {
                parser_done(&p);
                return r;
        }
        *ret = TAKE_PTR(p.nodes);
        *ret_n = p.n_nodes;
        p.n_nodes = 0;
        *ret_warnings = p.warnings ? TAKE_PTR(p.warnings) : xmalloc0(sizeof(char *));
        parser_done(&p);
        return 0;
}

Dockerfile *dockerfile_free(Dockerfile *d)
{
        if (!d)
                return NULL;
        for (size_t i = 0; i < d->n_all; i++)
                dockerfile_instruction_free(d->all[i]);
        free(d->all);
        free(d->meta_args);
        for (size_t i = 0; i < d->n_stages; i++) {
                free(d->stages[i].instructions);
                free(d->stages[i].name);
        }
        free(d->stages);
        strv_free(d->warnings);
        free(d->syntax);
        free(d->check);
        free(d);
        return NULL;
}

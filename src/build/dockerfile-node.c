/* One logical Dockerfile line -> keyword, flags and arguments, with buildkit's line parsers
 * (parser/split_command.go and parser/line_parsers.go): each instruction splits its arguments
 * its own way (JSON or shell form, words, KEY=VALUE pairs, one string). Quotes stay in the
 * arguments here; they are processed when the instruction is expanded. */
#include <string.h>

#include <jansson.h>

#include "build-util.h"
#include "dockerfile-internal.h"
#include "util.h"

#define E_NOT_STRING_ARRAY "when using JSON array syntax, arrays must be comprised of strings only"

void build_strv_push(char ***v, size_t *n, char *s)
{
        *v = xreallocarray(*v, *n + 2, sizeof(char *));
        (*v)[(*n)++] = s;
        (*v)[*n] = NULL;
}

static bool is_space_byte(char c)
{
        /* buildkit tests single bytes with unicode.IsSpace(rune(b)) here */
        return build_rune_is_space((unsigned char) c);
}

static bool is_re_whitespace(char c)
{
        /* reWhitespace: [\t\v\f\r ]+ */
        return c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == ' ';
}

/* strings.TrimSpace */
static char *trim_space(const char *s)
{
        size_t len = strlen(s), start = 0, end = len;

        while (start < len) {
                uint32_t r;
                size_t k = build_utf8_decode(s + start, len - start, &r);
                if (!build_rune_is_space(r))
                        break;
                start += k;
        }
        while (end > start) {
                /* find the last rune */
                size_t b = end - 1;
                uint32_t r;
                while (b > start && ((unsigned char) s[b] & 0xC0) == 0x80 && end - b < 4)
                        b--;
                if (build_utf8_decode(s + b, end - b, &r) != end - b)
                        b = end - 1, r = BUILD_RUNE_RAW_BYTE;
                if (!build_rune_is_space(r))
                        break;
                end = b;
        }
        return xstrndup(s + start, end - start);
}

/* extractBuilderFlags: leading --words (quotes and escapes processed) up to the first word that
 * does not start with "--", or a lone "--". Returns the rest of the line. */
static const char *extract_builder_flags(const char *line, char escape, char ***flags, size_t *n_flags)
{
        enum { IN_SPACES, IN_WORD, IN_QUOTE } phase = IN_SPACES;
        size_t len = strlen(line);
        BuildBuf word = {};
        bool blank_ok = false;
        char quote = 0, ch = 0;

        for (size_t pos = 0; pos <= len; pos++) {
                if (pos != len)
                        ch = line[pos];
                if (phase == IN_SPACES) {
                        if (pos == len)
                                break;
                        if (is_space_byte(ch))
                                continue;
                        if (ch != '-' || pos + 1 == len || line[pos + 1] != '-') {
                                build_buf_done(&word);
                                return line + pos;
                        }
                        phase = IN_WORD;
                }
                if (pos == len) {
                        if (!(word.len == 2 && memcmp(word.data, "--", 2) == 0) && (blank_ok || word.len > 0))
                                build_strv_push(flags, n_flags, build_buf_steal(&word));
                        break;
                }
                if (phase == IN_WORD) {
                        if (is_space_byte(ch)) {
                                phase = IN_SPACES;
                                if (word.len == 2 && memcmp(word.data, "--", 2) == 0) {
                                        build_buf_done(&word);
                                        return line + pos;
                                }
                                if (blank_ok || word.len > 0)
                                        build_strv_push(flags, n_flags, build_buf_steal(&word));
                                build_buf_reset(&word);
                                blank_ok = false;
                                continue;
                        }
                        if (ch == '\'' || ch == '"') {
                                quote = ch;
                                blank_ok = true;
                                phase = IN_QUOTE;
                                continue;
                        }
                        if (ch == escape) {
                                if (pos + 1 == len)
                                        continue;
                                ch = line[++pos];
                        }
                        build_buf_putc(&word, ch);
                        continue;
                }
                /* IN_QUOTE */
                if (ch == quote) {
                        phase = IN_WORD;
                        continue;
                }
                if (ch == escape) {
                        if (pos + 1 == len) {
                                phase = IN_WORD;
                                continue;
                        }
                        ch = line[++pos];
                }
                build_buf_putc(&word, ch);
        }
        build_buf_done(&word);
        return line + len;
}

/* parseWords: words split on white space, quotes kept, escapes kept before what they escape. */
static char **parse_words(const char *rest, char escape, size_t *ret_n)
{
        enum { IN_SPACES, IN_WORD, IN_QUOTE } phase = IN_SPACES;
        size_t len = strlen(rest), n = 0, w = 0;
        char **words = xmalloc0(sizeof(char *));
        BuildBuf word = {};
        bool blank_ok = false;
        uint32_t quote = 0, ch = 0, esc = (unsigned char) escape;

        for (size_t pos = 0; pos <= len; pos += w) {
                if (pos != len)
                        w = build_utf8_decode(rest + pos, len - pos, &ch);
                if (phase == IN_SPACES) {
                        if (pos == len)
                                break;
                        if (build_rune_is_space(ch))
                                continue;
                        phase = IN_WORD;
                }
                if (pos == len) {
                        if (blank_ok || word.len > 0)
                                build_strv_push(&words, &n, build_buf_steal(&word));
                        break;
                }
                if (phase == IN_WORD) {
                        if (build_rune_is_space(ch)) {
                                phase = IN_SPACES;
                                if (blank_ok || word.len > 0)
                                        build_strv_push(&words, &n, build_buf_steal(&word));
                                build_buf_reset(&word);
                                blank_ok = false;
                                continue;
                        }
                        if (ch == '\'' || ch == '"') {
                                quote = ch;
                                blank_ok = true;
                                phase = IN_QUOTE;
                        }
                        if (ch == esc) {
                                if (pos + w == len)
                                        continue;
                                build_buf_put_rune(&word, ch);
                                pos += w;
                                w = build_utf8_decode(rest + pos, len - pos, &ch);
                        }
                        build_buf_put_rune(&word, ch);
                        continue;
                }
                /* IN_QUOTE */
                if (ch == quote)
                        phase = IN_WORD;
                if (ch == esc && quote != '\'') {
                        if (pos + w == len) {
                                phase = IN_WORD;
                                continue;
                        }
                        pos += w;
                        build_buf_put_rune(&word, ch);
                        w = build_utf8_decode(rest + pos, len - pos, &ch);
                }
                build_buf_put_rune(&word, ch);
        }
        build_buf_done(&word);
        *ret_n = n;
        return words;
}

/* reWhitespace.Split(s, limit) with limit 2 or -1 */
static char **split_whitespace(const char *s, bool two, size_t *ret_n)
{
        char **v = xmalloc0(sizeof(char *));
        size_t n = 0;
        const char *p = s;

        for (;;) {
                const char *q = p;
                while (*q && !is_re_whitespace(*q))
                        q++;
                if (!*q || (two && n == 1)) {
                        build_strv_push(&v, &n, xstrdup(p));
                        break;
                }
                build_strv_push(&v, &n, xstrndup(p, (size_t) (q - p)));
                while (is_re_whitespace(*q))
                        q++;
                p = q;
                if (two && n == 1) {
                        build_strv_push(&v, &n, xstrdup(p));
                        break;
                }
        }
        *ret_n = n;
        return v;
}

/* parseJSON: 1 and the strings for a JSON array of strings, 0 when it is no JSON array, or the
 * error for an array with something else in it. */
static int parse_json(const char *rest, char ***ret, LadeError **err)
{
        json_t *j, *e;
        size_t idx, n = 0;
        char **v;

        while (*rest) {
                uint32_t r;
                size_t k = build_utf8_decode(rest, strlen(rest), &r);
                if (!build_rune_is_space(r))
                        break;
                rest += k;
        }
        if (*rest != '[')
                return 0;
        j = json_loads(rest, JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, NULL);
        if (!j || !json_is_array(j)) {
                json_decref(j);
                return 0;
        }
        v = xmalloc0(sizeof(char *));
        json_array_foreach(j, idx, e) {
                if (!json_is_string(e) || strlen(json_string_value(e)) != json_string_length(e)) {
                        bool nul = json_is_string(e);
                        json_decref(j);
                        strv_free(v);
                        if (nul)
                                return lade_error_msg(err, EINVAL, "JSON string contains a NUL character");
                        return lade_error_msg(err, EINVAL, E_NOT_STRING_ARRAY);
                }
                build_strv_push(&v, &n, xstrdup(json_string_value(e)));
        }
        json_decref(j);
        *ret = v;
        return 1;
}

static int parse_maybe_json(DockerfileInstruction *i, const char *rest, bool to_list, LadeError **err)
{
        size_t n = 0;
        int r;

        if (!*rest && !to_list)
                return 0;
        r = parse_json(rest, &i->args, err);
        if (r < 0)
                return r;
        if (r > 0) {
                i->json = true;
                return 0;
        }
        if (!to_list) {
                build_strv_push(&i->args, &n, xstrdup(rest));
                return 0;
        }
        if (*rest)
                i->args = split_whitespace(rest, false, &n);
        return 0;
}

/* parseNameVal for ENV and LABEL: KEY VALUE (legacy) or KEY=VALUE..., as (key, value, sep). */
static int parse_name_val(DockerfileInstruction *i, const char *rest, char escape, const char *what,
                          LadeError **err)
{
        size_t n_words = 0, n = 0;
        _cleanup_strv_free_ char **words = parse_words(rest, escape, &n_words);

        if (n_words == 0)
                return 0;
        if (!strchr(words[0], '=')) {
                size_t np = 0;
                _cleanup_strv_free_ char **parts = split_whitespace(rest, true, &np);
                if (np < 2)
                        return lade_error_msg(err, EINVAL, "%s must have two arguments", what);
                build_strv_push(&i->args, &n, xstrdup(parts[0]));
                build_strv_push(&i->args, &n, xstrdup(parts[1]));
                build_strv_push(&i->args, &n, xstrdup(""));
                return 0;
        }
        for (size_t k = 0; k < n_words; k++) {
                const char *eq = strchr(words[k], '=');
                if (!eq) {
                        _cleanup_free_ char *q = build_go_quote(words[k]);
                        return lade_error_msg(err, EINVAL,
                                              "Syntax error - can't find = in %s. Must be of the form: name=value", q);
                }
                build_strv_push(&i->args, &n, xstrndup(words[k], (size_t) (eq - words[k])));
                build_strv_push(&i->args, &n, xstrdup(eq + 1));
                build_strv_push(&i->args, &n, xstrdup("="));
        }
        return 0;
}

/* parseHealthConfig: the type word, then the command as RUN's. */
static int parse_health(DockerfileInstruction *i, const char *rest, LadeError **err)
{
        size_t sep = 0, next, n = 0;
        _cleanup_strv_free_ char **cmd = NULL;
        DockerfileInstruction tmp = {};
        int r;

        while (rest[sep] && !is_space_byte(rest[sep]))
                sep++;
        next = sep;
        while (rest[next] && is_space_byte(rest[next]))
                next++;
        if (sep == 0)
                return 0;
        r = parse_maybe_json(&tmp, rest + next, false, err);
        if (r < 0)
                return r;
        cmd = tmp.args;
        build_strv_push(&i->args, &n, xstrndup(rest, sep));
        for (size_t k = 0; cmd && cmd[k]; k++)
                build_strv_push(&i->args, &n, xstrdup(cmd[k]));
        i->json = tmp.json;
        return 0;
}

static int dispatch_line_parser(DockerfileInstruction *i, const char *rest, char escape, LadeError **err)
{
        size_t n = 0;

        switch (i->kind) {
        case DOCKERFILE_ADD:
        case DOCKERFILE_COPY:
        case DOCKERFILE_VOLUME:
                return parse_maybe_json(i, rest, true, err);
        case DOCKERFILE_CMD:
        case DOCKERFILE_ENTRYPOINT:
        case DOCKERFILE_RUN:
        case DOCKERFILE_SHELL:
                return parse_maybe_json(i, rest, false, err);
        case DOCKERFILE_ARG:
                strv_free(i->args);
                i->args = parse_words(rest, escape, &n);
                return 0;
        case DOCKERFILE_ENV:
                return parse_name_val(i, rest, escape, "ENV", err);
        case DOCKERFILE_LABEL:
                return parse_name_val(i, rest, escape, "LABEL", err);
        case DOCKERFILE_EXPOSE:
        case DOCKERFILE_FROM:
                if (*rest)
                        i->args = split_whitespace(rest, false, &n);
                return 0;
        case DOCKERFILE_HEALTHCHECK:
                return parse_health(i, rest, err);
        case DOCKERFILE_MAINTAINER:
        case DOCKERFILE_STOPSIGNAL:
        case DOCKERFILE_USER:
        case DOCKERFILE_WORKDIR:
                if (*rest)
                        build_strv_push(&i->args, &n, xstrdup(rest));
                return 0;
        case DOCKERFILE_ONBUILD:
                /* parseSubCommand: the trigger is a line of its own; its keyword is args[0] */
                if (!*rest)
                        return 0;
                return dockerfile_node_from_line(rest, escape, &i->trigger, err);
        default:
                return 0; /* unknown instructions are reported when checked, in order */
        }
}

int dockerfile_node_from_line(const char *line, char escape, DockerfileInstruction **ret, LadeError **err)
{
        _cleanup_(dockerfile_instruction_freep) DockerfileInstruction *i = xmalloc0(sizeof(*i));
        _cleanup_free_ char *trimmed = trim_space(line), *args = NULL;
        size_t n_flags = 0, n = 0;
        const char *p = trimmed, *rest = "";
        int r;

        while (*p && !is_re_whitespace(*p))
                p++;
        i->keyword = xstrndup(trimmed, (size_t) (p - trimmed));
        i->original = xstrdup(line);
        i->kind = dockerfile_kind_from_name(i->keyword);
        i->keep_git_dir = i->unpack = -1;
        i->flags = xmalloc0(sizeof(char *));
        if (*p) {
                while (is_re_whitespace(*p))
                        p++;
                rest = extract_builder_flags(p, escape, &i->flags, &n_flags);
        }
        args = trim_space(rest);
        r = dispatch_line_parser(i, args, escape, err);
        if (r < 0)
                return r;
        if (i->kind == DOCKERFILE_ONBUILD && i->trigger) {
                /* nodeArgs: the trigger's keyword, then its arguments */
                build_strv_push(&i->args, &n, xstrdup(i->trigger->keyword));
                for (size_t k = 0; i->trigger->args && i->trigger->args[k]; k++)
                        build_strv_push(&i->args, &n, xstrdup(i->trigger->args[k]));
        }
        if (!i->args)
                i->args = xmalloc0(sizeof(char *));
        *ret = TAKE_PTR(i);
        return 0;
}

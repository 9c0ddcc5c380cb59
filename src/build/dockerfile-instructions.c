/* Each instruction's own checks (buildkit's instructions/parse.go and bflag.go): argument
 * counts, the flags it accepts, and its typed fields. Messages are Docker's, word for word; the
 * caller prefixes the line. An instruction that fails keeps whatever it had: the caller frees it. */
#include <stdlib.h>
#include <string.h>

#include "build-util.h"
#include "dockerfile-internal.h"
#include "shell-lex.h"
#include "util.h"

static const char *const kind_names[_DOCKERFILE_KIND_MAX] = {
        [DOCKERFILE_ADD] = "ADD",
        [DOCKERFILE_ARG] = "ARG",
        [DOCKERFILE_CMD] = "CMD",
        [DOCKERFILE_COPY] = "COPY",
        [DOCKERFILE_ENTRYPOINT] = "ENTRYPOINT",
        [DOCKERFILE_ENV] = "ENV",
        [DOCKERFILE_EXPOSE] = "EXPOSE",
        [DOCKERFILE_FROM] = "FROM",
        [DOCKERFILE_HEALTHCHECK] = "HEALTHCHECK",
        [DOCKERFILE_LABEL] = "LABEL",
        [DOCKERFILE_MAINTAINER] = "MAINTAINER",
        [DOCKERFILE_ONBUILD] = "ONBUILD",
        [DOCKERFILE_RUN] = "RUN",
        [DOCKERFILE_SHELL] = "SHELL",
        [DOCKERFILE_STOPSIGNAL] = "STOPSIGNAL",
        [DOCKERFILE_USER] = "USER",
        [DOCKERFILE_VOLUME] = "VOLUME",
        [DOCKERFILE_WORKDIR] = "WORKDIR",
};

const char *dockerfile_kind_name(DockerfileKind k)
{
        if (k < 0 || k >= _DOCKERFILE_KIND_MAX)
                return NULL;
        return kind_names[k];
}

DockerfileKind dockerfile_kind_from_name(const char *name)
{
        for (int k = 0; k < _DOCKERFILE_KIND_MAX; k++)
                if (build_strcaseeq(name, kind_names[k]))
                        return (DockerfileKind) k;
        return _DOCKERFILE_KIND_INVALID;
}

/* ---- flags (BFlags) ---- */

typedef enum FlagType { FLAG_BOOL, FLAG_STRING, FLAG_STRINGS } FlagType;

typedef struct FlagDef {
        const char *name;
        FlagType type;
        char **str;     /* FLAG_STRING */
        char ***strs;   /* FLAG_STRINGS */
        int *tri;       /* FLAG_BOOL: -1 unused, 0, 1 */
        bool used;
} FlagDef;

static int flag_fail_unknown(const char *flag_name, FlagDef *defs, size_t n, LadeError **err)
{
        const char *names[16];
        const char *s;

        for (size_t k = 0; k < n && k < ELEMENTSOF(names); k++)
                names[k] = defs[k].name;
        s = build_suggest(flag_name + 2, names, n < ELEMENTSOF(names) ? n : ELEMENTSOF(names), true);
        if (s)
                return lade_error_msg(err, EINVAL, "unknown flag: %s (did you mean %s?)", flag_name, s);
        return lade_error_msg(err, EINVAL, "unknown flag: %s", flag_name);
}

static int flag_set(FlagDef *f, const char *flag_name, const char *value, LadeError **err)
{
        size_t n;

        if (f->used && f->type != FLAG_STRINGS)
                return lade_error_msg(err, EINVAL, "duplicate flag specified: %s", flag_name);
        f->used = true;
        switch (f->type) {
        case FLAG_BOOL:
                if (value && !*value)
                        return lade_error_msg(err, EINVAL, "missing a value on flag: %s", flag_name);
                if (!value || build_strcaseeq(value, "true"))
                        *f->tri = 1;
                else if (build_strcaseeq(value, "false"))
                        *f->tri = 0;
                else
                        return lade_error_msg(err, EINVAL, "expecting boolean value for flag %s, not: %s",
                                              flag_name, value);
                return 0;
        case FLAG_STRING:
                if (!value)
                        return lade_error_msg(err, EINVAL, "missing a value on flag: %s", flag_name);
                free(*f->str);
                *f->str = xstrdup(value);
                return 0;
        default:
                if (!value)
                        return lade_error_msg(err, EINVAL, "missing a value on flag: %s", flag_name);
                n = strv_length(*f->strs);
                build_strv_push(f->strs, &n, xstrdup(value));
                return 0;
        }
}

/* BFlags.Parse over the instruction's flags with the given definitions. */
static int flags_parse(DockerfileInstruction *i, FlagDef *defs, size_t n, LadeError **err)
{
        for (size_t k = 0; i->flags && i->flags[k]; k++) {
                const char *a = i->flags[k], *eq;
                FlagDef *f = NULL;
                int r;

                if (streq(a, "--"))
                        return 0;
                if (!startswith(a, "--"))
                        return lade_error_msg(err, EINVAL, "arg should start with -- : %s", a);
                eq = strchr(a, '=');
                _cleanup_free_ char *flag_name = eq ? xstrndup(a, (size_t) (eq - a)) : xstrdup(a);
                for (size_t d = 0; d < n && !f; d++)
                        if (streq(defs[d].name, flag_name + 2))
                                f = &defs[d];
                if (!f)
                        return flag_fail_unknown(flag_name, defs, n, err);
                r = flag_set(f, flag_name, eq ? eq + 1 : NULL, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int no_flags(DockerfileInstruction *i, LadeError **err)
{
        return flags_parse(i, NULL, 0, err);
}

/* ---- argument helpers ---- */

static int err_at_least_one(const char *cmd, LadeError **err)
{
        return lade_error_msg(err, EINVAL, "%s requires at least one argument", cmd);
}

static int err_exactly_one(const char *cmd, LadeError **err)
{
        return lade_error_msg(err, EINVAL, "%s requires exactly one argument", cmd);
}

/* handleJSONArgs: the exec form as is, the shell form joined with spaces. */
static char **json_args(DockerfileInstruction *i)
{
        size_t n = strv_length(i->args);
        BuildBuf b = {};
        char **v;

        if (n == 0)
                return xmalloc0(sizeof(char *));
        if (i->json)
                return strv_copy(i->args);
        for (size_t k = 0; k < n; k++) {
                if (k)
                        build_buf_putc(&b, ' ');
                build_buf_puts(&b, i->args[k]);
        }
        v = xmalloc0(2 * sizeof(char *));
        v[0] = build_buf_steal(&b);
        return v;
}

static int parse_kvps(DockerfileInstruction *i, const char *cmd, LadeError **err)
{
        size_t n = strv_length(i->args);

        if (n == 0)
                return err_at_least_one(cmd, err);
        if (n % 3 != 0)
                return lade_error_msg(err, EINVAL, "Bad input to %s, too many arguments", cmd);
        i->kvs = xreallocarray(NULL, n / 3 + 1, sizeof(*i->kvs));
        for (size_t k = 0; k < n; k += 3) {
                if (!*i->args[k])
                        return lade_error_msg(err, EINVAL, "%s names can not be blank", cmd);
                i->kvs[i->n_kvs++] = (DockerfileKeyValue) {
                        .key = xstrdup(i->args[k]),
                        .value = xstrdup(i->args[k + 1]),
                        .legacy = !*i->args[k + 2],
                };
        }
        return 0;
}

/* MustParseHeredoc on one argument: 1 with *ret when it is a here-document word. */
static int arg_heredoc(const char *arg, DockerfileHeredoc *ret)
{
        return dockerfile_word_heredoc(arg, ret);
}

static int sources_and_dest(DockerfileInstruction *i, const char *cmd, LadeError **err)
{
        size_t n = strv_length(i->args), ns = 0;
        DockerfileHeredoc h = {};

        if (arg_heredoc(i->args[n - 1], &h) > 0) {
                free(h.name);
                return lade_error_msg(err, EINVAL, "%s cannot accept a heredoc as a destination", cmd);
        }
        i->dest = xstrdup(i->args[n - 1]);
        i->sources = xmalloc0(sizeof(char *));
        for (size_t k = 0; k + 1 < n; k++) {
                const DockerfileHeredoc *found = NULL;

                if (arg_heredoc(i->args[k], &h) <= 0) {
                        build_strv_push(&i->sources, &ns, xstrdup(i->args[k]));
                        continue;
                }
                for (size_t d = 0; d < i->n_heredocs; d++)
                        if (streq(i->heredocs[d].name, h.name))
                                found = &i->heredocs[d];
                h.content = xstrdup(found && found->content ? found->content : "");
                if (h.chomp) {
                        char *body = dockerfile_heredoc_body(&h);
                        free(h.content);
                        h.content = body;
                }
                i->inline_sources = xreallocarray(i->inline_sources, i->n_inline_sources + 1,
                                                  sizeof(*i->inline_sources));
                i->inline_sources[i->n_inline_sources++] = h;
                h = (DockerfileHeredoc) {};
        }
        return 0;
}

static int check_copy(DockerfileInstruction *i, bool add, LadeError **err)
{
        const char *cmd = add ? "ADD" : "COPY";
        int link = -1, parents = -1;
        int r;

        if (strv_length(i->args) < 2)
                return lade_error_msg(err, EINVAL,
                                      "%s requires at least two arguments, but only one was provided. Destination could not be determined",
                                      cmd);
        if (add) {
                FlagDef defs[] = {
                        { "chown", FLAG_STRING, .str = &i->chown },
                        { "chmod", FLAG_STRING, .str = &i->chmod },
                        { "link", FLAG_BOOL, .tri = &link },
                        { "keep-git-dir", FLAG_BOOL, .tri = &i->keep_git_dir },
                        { "checksum", FLAG_STRING, .str = &i->checksum },
                        { "unpack", FLAG_BOOL, .tri = &i->unpack },
                        { "exclude", FLAG_STRINGS, .strs = &i->excludes },
                };
                r = flags_parse(i, defs, ELEMENTSOF(defs), err);
        } else {
                FlagDef defs[] = {
                        { "chown", FLAG_STRING, .str = &i->chown },
                        { "from", FLAG_STRING, .str = &i->from },
                        { "chmod", FLAG_STRING, .str = &i->chmod },
                        { "link", FLAG_BOOL, .tri = &link },
                        { "exclude", FLAG_STRINGS, .strs = &i->excludes },
                        { "parents", FLAG_BOOL, .tri = &parents },
                };
                r = flags_parse(i, defs, ELEMENTSOF(defs), err);
        }
        if (r < 0)
                return r;
        i->link = link == 1;
        i->parents = parents == 1;
        return sources_and_dest(i, cmd, err);
}

static bool valid_stage_name(const char *s)
{
        if (!(*s >= 'a' && *s <= 'z'))
                return false;
        for (s++; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || build_is_digit((unsigned char) *s) || strchr("-_.", *s)))
                        return false;
        return true;
}

static int check_from(DockerfileInstruction *i, LadeError **err)
{
        size_t n = strv_length(i->args);
        FlagDef defs[] = { { "platform", FLAG_STRING, .str = &i->platform } };

        if (n == 3 && build_strcaseeq(i->args[1], "as")) {
                i->stage_name = build_ascii_lower(i->args[2]);
                if (!valid_stage_name(i->stage_name)) {
                        _cleanup_free_ char *q = build_go_quote(i->args[2]);
                        return lade_error_msg(err, EINVAL,
                                              "invalid name for build stage: %s, name can't start with a number or contain symbols",
                                              q);
                }
        } else if (n != 1) {
                return lade_error_msg(err, EINVAL, "FROM requires either one or three arguments");
        }
        i->base = xstrdup(i->args[0]);
        return flags_parse(i, defs, ELEMENTSOF(defs), err);
}

/* The trigger as Docker stores it: the line without `ONBUILD`, with its here-documents. */
static char *onbuild_expression(const DockerfileInstruction *i)
{
        const char *p = i->original;
        BuildBuf b = {};

        while (*p && strchr("\t\n\f\r ", *p))
                p++;
        p += strlen("ONBUILD");
        while (*p && strchr("\t\n\f\r ", *p))
                p++;
        build_buf_puts(&b, p);
        for (size_t k = 0; k < i->n_heredocs; k++) {
                build_buf_putc(&b, '\n');
                build_buf_puts(&b, i->heredocs[k].content);
                build_buf_puts(&b, i->heredocs[k].name);
        }
        return build_buf_steal(&b);
}

static int check_onbuild(DockerfileInstruction *i, LadeError **err)
{
        _cleanup_free_ char *trigger = NULL;
        int r;

        if (strv_length(i->args) == 0)
                return err_at_least_one("ONBUILD", err);
        r = no_flags(i, err);
        if (r < 0)
                return r;
        trigger = build_ascii_upper(i->args[0]);
        if (streq(trigger, "ONBUILD"))
                return lade_error_msg(err, EINVAL, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
        if (streq(trigger, "MAINTAINER") || streq(trigger, "FROM"))
                return lade_error_msg(err, EINVAL, "%s isn't allowed as an ONBUILD trigger", trigger);
        i->onbuild_expression = onbuild_expression(i);
        /* lade checks the trigger now (Docker only when a child image runs it) */
        i->trigger->start_line = i->start_line;
        i->trigger->end_line = i->end_line;
        i->trigger->heredocs = i->heredocs;
        i->trigger->n_heredocs = i->n_heredocs;
        r = dockerfile_instruction_check(i->trigger, err);
        i->trigger->heredocs = NULL;
        i->trigger->n_heredocs = 0;
        return r;
}

static int check_run(DockerfileInstruction *i, LadeError **err)
{
        FlagDef defs[] = {
                { "mount", FLAG_STRINGS, .strs = &i->mount_specs },
                { "network", FLAG_STRING, .str = &i->network },
                { "security", FLAG_STRING, .str = &i->security },
        };
        int r;

        r = flags_parse(i, defs, ELEMENTSOF(defs), err);
        if (r < 0)
                return r;
        i->cmdline = json_args(i);
        for (size_t k = 0; i->mount_specs && i->mount_specs[k]; k++) {
                DockerfileMount *m = NULL;
                r = dockerfile_mount_parse(i->mount_specs[k], NULL, NULL, &m, err);
                if (r < 0)
                        return r;
                i->mounts = xreallocarray(i->mounts, i->n_mounts + 1, sizeof(*i->mounts));
                i->mounts[i->n_mounts++] = m;
        }
        if (i->network && !streq(i->network, "default") && !streq(i->network, "none") &&
            !streq(i->network, "host")) {
                _cleanup_free_ char *q = build_go_quote(i->network);
                return lade_error_msg(err, EINVAL, "invalid network mode %s", q);
        }
        if (i->security && !streq(i->security, "insecure") && !streq(i->security, "sandbox")) {
                _cleanup_free_ char *q = build_go_quote(i->security);
                return lade_error_msg(err, EINVAL, "security %s is not valid", q);
        }
        return 0;
}

static int parse_interval(const char *name, const char *value, int64_t *ret, LadeError **err)
{
        int64_t d = 0;
        int r;

        if (value && *value) {
                r = build_parse_duration(value, &d, err);
                if (r < 0)
                        return r;
                if (d != 0 && d < 1000000)
                        return lade_error_msg(err, EINVAL, "Interval \"%s\" cannot be less than 1ms", name);
        }
        *ret = d;
        return 0;
}

static int parse_retries(const char *value, int *ret, LadeError **err)
{
        _cleanup_free_ char *q = build_go_quote(value ? value : "");
        const char *p = value;
        int64_t v;

        *ret = 0;
        if (!value || !*value)
                return 0;
        if (*p == '+' || *p == '-')
                p++;
        if (!*p || strspn(p, "0123456789") != strlen(p))
                return lade_error_msg(err, EINVAL, "strconv.ParseInt: parsing %s: invalid syntax", q);
        if (strlen(p) > 11 || parse_int64(value[0] == '+' ? value + 1 : value, &v) < 0 ||
            v > INT32_MAX || v < INT32_MIN)
                return lade_error_msg(err, EINVAL, "strconv.ParseInt: parsing %s: value out of range", q);
        if (v < 0)
                return lade_error_msg(err, EINVAL, "--retries cannot be negative (%lld)", (long long) v);
        *ret = (int) v;
        return 0;
}

static int check_healthcheck(DockerfileInstruction *i, LadeError **err)
{
        _cleanup_free_ char *type = NULL, *interval = NULL, *timeout = NULL, *start_period = NULL,
                            *start_interval = NULL, *retries = NULL;
        _cleanup_strv_free_ char **cmd = NULL;
        DockerfileHealthcheck *h;
        size_t n = strv_length(i->args);
        int r;

        if (n == 0)
                return err_at_least_one("HEALTHCHECK", err);
        type = build_ascii_upper(i->args[0]);
        h = i->health = xmalloc0(sizeof(*h));
        if (streq(type, "NONE")) {
                if (n != 1)
                        return lade_error_msg(err, EINVAL, "HEALTHCHECK NONE takes no arguments");
                h->test = strv_append(NULL, "NONE");
                return 0;
        }
        FlagDef defs[] = {
                { "interval", FLAG_STRING, .str = &interval },
                { "timeout", FLAG_STRING, .str = &timeout },
                { "start-period", FLAG_STRING, .str = &start_period },
                { "start-interval", FLAG_STRING, .str = &start_interval },
                { "retries", FLAG_STRING, .str = &retries },
        };
        r = flags_parse(i, defs, ELEMENTSOF(defs), err);
        if (r < 0)
                return r;
        if (!streq(type, "CMD")) {
                _cleanup_free_ char *q = build_go_quote(type);
                return lade_error_msg(err, EINVAL, "Unknown type %s in HEALTHCHECK (try CMD)", q);
        }
        DockerfileInstruction rest = { .args = i->args + 1, .json = i->json };
        cmd = json_args(&rest);
        if (!cmd[0])
                return lade_error_msg(err, EINVAL, "Missing command after HEALTHCHECK CMD");
        h->test = strv_append(NULL, i->json ? "CMD" : "CMD-SHELL");
        for (size_t k = 0; cmd[k]; k++)
                h->test = strv_append(h->test, cmd[k]);
        r = parse_interval("interval", interval, &h->interval_ns, err);
        if (r >= 0)
                r = parse_interval("timeout", timeout, &h->timeout_ns, err);
        if (r >= 0)
                r = parse_interval("start-period", start_period, &h->start_period_ns, err);
        if (r >= 0)
                r = parse_interval("start-interval", start_interval, &h->start_interval_ns, err);
        if (r >= 0)
                r = parse_retries(retries, &h->retries, err);
        return r;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static int check_volume(DockerfileInstruction *i, LadeError **err)
{
        int r;

        if (strv_length(i->args) == 0)
                return err_at_least_one("VOLUME", err);
        r = no_flags(i, err);
        if (r < 0)
                return r;
        for (size_t k = 0; i->args[k]; k++) {
                char *t = xstrdup(i->args[k] + strspn(i->args[k], " \t\n\v\f\r"));
                size_t l = strlen(t);
                while (l > 0 && strchr(" \t\n\v\f\r", t[l - 1]))
                        t[--l] = 0;
                free(i->args[k]);
                i->args[k] = t;
                if (!*t)
                        return lade_error_msg(err, EINVAL, "VOLUME specified can not be an empty string");
        }
        return 0;
}

static int check_arg(DockerfileInstruction *i, LadeError **err)
{
        size_t n = strv_length(i->args);

        if (n < 1)
                return err_at_least_one("ARG", err);
        i->kvs = xreallocarray(NULL, n, sizeof(*i->kvs));
        for (size_t k = 0; k < n; k++) {
                const char *eq = strchr(i->args[k], '=');
                if (eq == i->args[k])
                        return lade_error_msg(err, EINVAL, "ARG names can not be blank");
                i->kvs[i->n_kvs++] = (DockerfileKeyValue) {
                        .key = eq ? xstrndup(i->args[k], (size_t) (eq - i->args[k])) : xstrdup(i->args[k]),
                        .value = eq ? xstrdup(eq + 1) : NULL,
                };
        }
        return 0;
}

static int check_one_arg(DockerfileInstruction *i, const char *cmd, bool flags, LadeError **err)
{
        int r;

        if (strv_length(i->args) != 1)
                return err_exactly_one(cmd, err);
        if (flags) {
                r = no_flags(i, err);
                if (r < 0)
                        return r;
        }
        i->value = xstrdup(i->args[0]);
        return 0;
}

static int check_unknown(DockerfileInstruction *i, LadeError **err)
{
        const char *s = build_suggest(i->keyword, kind_names, _DOCKERFILE_KIND_MAX, false);
        _cleanup_free_ char *lower = build_ascii_lower(i->keyword);

        if (!s)
                return lade_error_msg(err, EINVAL, "unknown instruction: %s", i->keyword);
        /* suggest.matchCase: the suggestion in the case the keyword was written in */
        _cleanup_free_ char *m = streq(i->keyword, lower) ? build_ascii_lower(s) : xstrdup(s);
        return lade_error_msg(err, EINVAL, "unknown instruction: %s (did you mean %s?)", i->keyword, m);
}

int dockerfile_instruction_check(DockerfileInstruction *i, LadeError **err)
{
        int r;

        switch (i->kind) {
        case DOCKERFILE_ENV:
        case DOCKERFILE_LABEL:
                r = no_flags(i, err);
                return r < 0 ? r : parse_kvps(i, dockerfile_kind_name(i->kind), err);
        case DOCKERFILE_MAINTAINER:
                return check_one_arg(i, "MAINTAINER", true, err);
        case DOCKERFILE_ADD:
                return check_copy(i, true, err);
        case DOCKERFILE_COPY:
                return check_copy(i, false, err);
        case DOCKERFILE_FROM:
                return check_from(i, err);
        case DOCKERFILE_ONBUILD:
                return check_onbuild(i, err);
        case DOCKERFILE_WORKDIR:
                return check_one_arg(i, "WORKDIR", true, err);
        case DOCKERFILE_RUN:
                return check_run(i, err);
        case DOCKERFILE_CMD:
        case DOCKERFILE_ENTRYPOINT:
                r = no_flags(i, err);
                if (r < 0)
                        return r;
                i->cmdline = json_args(i);
                if (i->kind == DOCKERFILE_ENTRYPOINT && !i->cmdline[0])
                        i->cmdline = strv_free(i->cmdline);
                return 0;
        case DOCKERFILE_HEALTHCHECK:
                return check_healthcheck(i, err);
        case DOCKERFILE_EXPOSE:
                if (strv_length(i->args) == 0)
                        return err_at_least_one("EXPOSE", err);
                r = no_flags(i, err);
                if (r < 0)
                        return r;
                qsort(i->args, strv_length(i->args), sizeof(char *), cmp_str);
                return 0;
        case DOCKERFILE_USER:
                return check_one_arg(i, "USER", true, err);
        case DOCKERFILE_VOLUME:
                return check_volume(i, err);
        case DOCKERFILE_STOPSIGNAL:
                /* buildkit does not look at STOPSIGNAL's (or ARG's) flags */
                return check_one_arg(i, "STOPSIGNAL", false, err);
        case DOCKERFILE_ARG:
                return check_arg(i, err);
        case DOCKERFILE_SHELL:
                r = no_flags(i, err);
                if (r < 0)
                        return r;
                i->cmdline = json_args(i);
                if (!i->cmdline[0])
                        return err_at_least_one("SHELL", err);
                if (!i->json)
                        return lade_error_msg(err, EINVAL, "SHELL requires the arguments to be in JSON form");
                return 0;
        default:
                return check_unknown(i, err);
        }
}

static void heredoc_free_fields(DockerfileHeredoc *h)
{
        free(h->name);
        free(h->content);
}

DockerfileInstruction *dockerfile_instruction_free(DockerfileInstruction *i)
{
        if (!i)
                return NULL;
        free(i->keyword);
        free(i->original);
        strv_free(i->flags);
        strv_free(i->args);
        for (size_t k = 0; k < i->n_heredocs; k++)
                heredoc_free_fields(&i->heredocs[k]);
        free(i->heredocs);
        strv_free(i->cmdline);
        for (size_t k = 0; k < i->n_kvs; k++) {
                free(i->kvs[k].key);
                free(i->kvs[k].value);
        }
        free(i->kvs);
        strv_free(i->sources);
        for (size_t k = 0; k < i->n_inline_sources; k++)
                heredoc_free_fields(&i->inline_sources[k]);
        free(i->inline_sources);
        free(i->dest);
        free(i->from);
        free(i->chown);
        free(i->chmod);
        free(i->checksum);
        free(i->platform);
        free(i->network);
        free(i->security);
        strv_free(i->excludes);
        strv_free(i->mount_specs);
        for (size_t k = 0; k < i->n_mounts; k++)
                dockerfile_mount_free(i->mounts[k]);
        free(i->mounts);
        free(i->base);
        free(i->stage_name);
        free(i->value);
        if (i->health) {
                strv_free(i->health->test);
                free(i->health);
        }
        free(i->onbuild_expression);
        dockerfile_instruction_free(i->trigger);
        free(i);
        return NULL;
}

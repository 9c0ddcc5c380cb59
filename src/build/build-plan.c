/* The stage plan: which stages the target needs and in what order. It owns no instruction; it
 * borrows the Dockerfile's, which must outlive the plan. Messages are buildkit's. */
#include <string.h>
#include <sys/utsname.h>

#include "build-plan.h"
#include "build-util.h"
#include "dockerfile-internal.h"
#include "shell-lex.h"
#include "util.h"

static const char *const proxy_args[] = {
        "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
        "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
};

bool build_arg_is_predefined(const char *name)
{
        for (size_t k = 0; k < ELEMENTSOF(proxy_args); k++)
                if (streq(name, proxy_args[k]))
                        return true;
        return false;
}

static void normalize_arch(char **arch, char **variant)
{
        static const struct { const char *from, *arch, *variant; } map[] = {
                { "x86_64", "amd64", NULL }, { "x86-64", "amd64", NULL }, { "i386", "386", NULL },
                { "i686", "386", NULL }, { "aarch64", "arm64", NULL }, { "armhf", "arm", "v7" },
                { "armel", "arm", "v6" }, { "armv7l", "arm", "v7" }, { "armv6l", "arm", "v6" },
        };
        for (size_t k = 0; k < ELEMENTSOF(map); k++)
                if (streq(*arch, map[k].from)) {
                        free(*arch);
                        *arch = xstrdup(map[k].arch);
                        if (map[k].variant && !*variant)
                                *variant = xstrdup(map[k].variant);
                }
        if (streq(*arch, "arm") && !*variant)
                *variant = xstrdup("v7");
        if (streq(*arch, "arm64") && streq(*variant, "v8"))
                *variant = (free(*variant), NULL);
}

char *build_host_platform(void)
{
        struct utsname u;
        char *arch, *variant = NULL, *s;

        if (uname(&u) < 0)
                return xstrdup("linux/amd64");
        arch = xstrdup(u.machine);
        normalize_arch(&arch, &variant);
        s = variant ? xasprintf("linux/%s/%s", arch, variant) : xasprintf("linux/%s", arch);
        free(arch);
        free(variant);
        return s;
}

static bool known_os(const char *s)
{
        static const char *const os[] = { "linux", "windows", "darwin", "freebsd", "netbsd",
                                          "openbsd", "solaris", "illumos", "aix", "plan9" };
        for (size_t k = 0; k < ELEMENTSOF(os); k++)
                if (streq(s, os[k]))
                        return true;
        return false;
}

int build_platform_parse(const char *s, char **ret_os, char **ret_arch, char **ret_variant,
                         LadeError **err)
{
        _cleanup_free_ char *lower = build_ascii_lower(s), *host = build_host_platform();
        _cleanup_strv_free_ char **parts = NULL;
        char *os = NULL, *arch = NULL, *variant = NULL;
        size_t n = 0;

        for (const char *p = lower;;) {
                const char *q = strchrnul(p, '/');
                build_strv_push(&parts, &n, xstrndup(p, (size_t) (q - p)));
                if (!*q)
                        break;
                p = q + 1;
        }
        for (size_t k = 0; k < n; k++)
                if (!*parts[k] || strspn(parts[k], "abcdefghijklmnopqrstuvwxyz0123456789_-.") != strlen(parts[k]) || n > 3)
                        return lade_error_msg(err, EINVAL, "\"%s\": unknown operating system or architecture: invalid argument", s);
        if (n == 1 && known_os(parts[0])) {
                const char *h = strchr(host, '/') + 1;
                os = xstrdup(parts[0]);
                arch = xstrndup(h, strcspn(h, "/"));
        } else if (n == 1) {
                os = xstrdup("linux");
                arch = xstrdup(parts[0]);
        } else {
                os = xstrdup(parts[0]);
                arch = xstrdup(parts[1]);
                variant = n == 3 ? xstrdup(parts[2]) : NULL;
        }
        normalize_arch(&arch, &variant);
        *ret_os = os;
        *ret_arch = arch;
        *ret_variant = variant;
        return 0;
}

/* ---- "KEY=VALUE" environments ---- */

static void env_set(char ***env, const char *key, const char *value)
{
        size_t kl = strlen(key), n = strv_length(*env);

        for (size_t k = 0; k < n; k++)
                if (strncmp((*env)[k], key, kl) == 0 && (*env)[k][kl] == '=') {
                        free((*env)[k]);
                        (*env)[k] = xasprintf("%s=%s", key, value);
                        return;
                }
        build_strv_push(env, &n, xasprintf("%s=%s", key, value));
}

static const char *build_arg(const BuildPlanOptions *o, const char *key)
{
        return o->build_args ? build_env_strv_lookup(o->build_args, key) : NULL;
}

static int platform_args(const BuildPlanOptions *o, const char *target, char ***env, LadeError **err)
{
        _cleanup_free_ char *host = build_host_platform();
        _cleanup_free_ char *bos = NULL, *barch = NULL, *bvar = NULL, *tos = NULL, *tarch = NULL, *tvar = NULL;
        int r;

        r = build_platform_parse(o->build_platform ? o->build_platform : host, &bos, &barch, &bvar, err);
        if (r < 0)
                return r;
        r = build_platform_parse(o->target_platform ? o->target_platform
                                 : o->build_platform ? o->build_platform : host, &tos, &tarch, &tvar, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *bp = bvar ? xasprintf("%s/%s/%s", bos, barch, bvar) : xasprintf("%s/%s", bos, barch);
        _cleanup_free_ char *tp = tvar ? xasprintf("%s/%s/%s", tos, tarch, tvar) : xasprintf("%s/%s", tos, tarch);
        const char *kv[][2] = {
                { "BUILDPLATFORM", bp }, { "BUILDOS", bos }, { "BUILDOSVERSION", "" },
                { "BUILDARCH", barch }, { "BUILDVARIANT", bvar ? bvar : "" },
                { "TARGETPLATFORM", tp }, { "TARGETOS", tos }, { "TARGETOSVERSION", "" },
                { "TARGETARCH", tarch }, { "TARGETVARIANT", tvar ? tvar : "" },
                { "TARGETSTAGE", target && *target ? target : "default" },
        };
        for (size_t k = 0; k < ELEMENTSOF(kv); k++) {
                const char *ov = build_arg(o, kv[k][0]);
                env_set(env, kv[k][0], ov ? ov : kv[k][1]);
        }
        return 0;
}

/* buildMetaArgs: each global ARG takes its --build-arg, else its default expanded with the
 * args so far; one with neither is not set. */
static int meta_args(const Dockerfile *df, const BuildPlanOptions *o, char ***env, unsigned *line,
                     LadeError **err)
{
        BuildShellOptions so = { .escape = df->escape };

        for (size_t k = 0; k < df->n_meta_args; k++) {
                const DockerfileInstruction *i = df->meta_args[k];
                for (size_t a = 0; a < i->n_kvs; a++) {
                        const char *v = build_arg(o, i->kvs[a].key);
                        _cleanup_free_ char *expanded = NULL;
                        if (!v && i->kvs[a].value) {
                                int r = build_shell_expand(&so, i->kvs[a].value, build_env_strv_lookup,
                                                           *env, &expanded, err);
                                if (r < 0) {
                                        *line = i->start_line;
                                        return r;
                                }
                                v = expanded;
                        }
                        if (v)
                                env_set(env, i->kvs[a].key, v);
                }
        }
        return 0;
}

/* ---- the plan ---- */

typedef struct Planner {
        const Dockerfile *df;
        BuildPlan *plan;
        unsigned line;
} Planner;

static ssize_t stage_by_name(const BuildPlan *p, const char *name, size_t before)
{
        for (size_t k = before; k > 0; k--)
                if (p->stages[k - 1].stage->name && build_strcaseeq(p->stages[k - 1].stage->name, name))
                        return (ssize_t) (k - 1);
        return -1;
}

static void add_dep(BuildPlanStage *s, size_t dep)
{
        for (size_t k = 0; k < s->n_deps; k++)
                if (s->deps[k] == dep)
                        return;
        s->deps = xreallocarray(s->deps, s->n_deps + 1, sizeof(size_t));
        s->deps[s->n_deps++] = dep;
}

static void add_image(BuildPlanStage *s, const char *name)
{
        size_t n = strv_length(s->images);

        for (size_t k = 0; k < n; k++)
                if (streq(s->images[k], name))
                        return;
        build_strv_push(&s->images, &n, xstrdup(name));
}

static bool strv_has(char **v, const char *s)
{
        for (size_t k = 0; v && v[k]; k++)
                if (streq(v[k], s))
                        return true;
        return false;
}

static int stage_bases(Planner *pl, LadeError **err)
{
        BuildShellOptions so = { .escape = pl->df->escape };
        BuildPlan *p = pl->plan;
        int r;

        for (size_t k = 0; k < p->n_stages; k++) {
                BuildPlanStage *s = &p->stages[k];
                const DockerfileInstruction *from = s->stage->from;

                pl->line = from->start_line;
                r = build_shell_expand(&so, from->base, build_env_strv_lookup, p->global_args, &s->base, err);
                if (r < 0)
                        return r;
                if (!*s->base)
                        return lade_error_msg(err, EINVAL, "base name (%s) should not be blank", from->base);
                if (from->platform) {
                        r = build_shell_expand(&so, from->platform, build_env_strv_lookup, p->global_args,
                                               &s->platform, err);
                        if (r < 0)
                                return lade_error_wrap(err, "failed to process arguments for platform %s", from->platform);
                        if (!*s->platform)
                                return lade_error_msg(err, EINVAL, "empty platform value from expression %s",
                                                      from->platform);
                }
                s->display_name = s->stage->name ? xstrdup(s->stage->name) : xasprintf("stage-%zu", k);
                s->base_stage = stage_by_name(p, s->base, k);
                s->scratch = s->base_stage < 0 && streq(s->base, "scratch");
                if (s->base_stage >= 0)
                        add_dep(s, (size_t) s->base_stage);
        }
        return 0;
}

/* COPY --from=<name|index|image> */
static int copy_source(Planner *pl, BuildPlanStage *s, const DockerfileInstruction *i, LadeError **err)
{
        _cleanup_free_ char *expanded = NULL;
        BuildPlan *p = pl->plan;
        int64_t index;
        int r;

        r = build_shell_expand(NULL, i->from, build_env_empty_lookup, NULL, &expanded, err);
        if (r < 0)
                return r;
        if (!streq(expanded, i->from))
                return lade_error_msg(err, EINVAL,
                                      "variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround");
        if (parse_int64(i->from[0] == '+' ? i->from + 1 : i->from, &index) >= 0 && *i->from != ' ') {
                if (index < 0 || (uint64_t) index >= p->n_stages)
                        return lade_error_msg(err, EINVAL, "invalid stage index %lld", (long long) index);
                add_dep(s, (size_t) index);
                return 0;
        }
        ssize_t k = stage_by_name(p, i->from, p->n_stages);
        if (k >= 0)
                add_dep(s, (size_t) k);
        else
                add_image(s, i->from);
        return 0;
}

static int instruction_sources(Planner *pl, BuildPlanStage *s, const DockerfileInstruction *i, LadeError **err)
{
        pl->line = i->start_line;
        if (i->kind == DOCKERFILE_COPY && i->from && *i->from)
                return copy_source(pl, s, i, err);
        if (i->kind != DOCKERFILE_RUN)
                return 0;
        for (size_t m = 0; m < i->n_mounts; m++) {
                const char *from = i->mounts[m]->from;
                if (!from || !*from)
                        continue;
                ssize_t k = stage_by_name(pl->plan, from, pl->plan->n_stages);
                if (k >= 0)
                        add_dep(s, (size_t) k);
                else
                        add_image(s, from);
        }
        return 0;
}

static int stage_dependencies(Planner *pl, LadeError **err)
{
        BuildPlan *p = pl->plan;
        int r;

        for (size_t k = 0; k < p->n_stages; k++) {
                BuildPlanStage *s = &p->stages[k];
                const DockerfileStage *st = s->stage;

                /* the ONBUILD triggers of a base stage run first in this one */
                if (s->base_stage >= 0) {
                        const DockerfileStage *base = p->stages[s->base_stage].stage;
                        for (size_t n = 0; n < base->n_instructions; n++) {
                                const DockerfileInstruction *i = base->instructions[n];
                                if (i->kind == DOCKERFILE_ONBUILD && i->trigger) {
                                        r = instruction_sources(pl, s, i->trigger, err);
                                        if (r < 0)
                                                return r;
                                }
                        }
                }
                for (size_t n = 0; n < st->n_instructions; n++) {
                        r = instruction_sources(pl, s, st->instructions[n], err);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* validateCircularDependency: a depth-first walk with the stages on the current path. */
static bool has_cycle(const BuildPlan *p, size_t k, uint8_t *state)
{
        if (state[k] == 2)
                return false;
        if (state[k] == 1)
                return true;
        state[k] = 1;
        for (size_t d = 0; d < p->stages[k].n_deps; d++)
                if (has_cycle(p, p->stages[k].deps[d], state))
                        return true;
        state[k] = 2;
        return false;
}

static int check_cycles(Planner *pl, LadeError **err)
{
        BuildPlan *p = pl->plan;
        _cleanup_free_ uint8_t *state = xmalloc0(p->n_stages);

        for (size_t k = 0; k < p->n_stages; k++)
                if (has_cycle(p, k, state)) {
                        pl->line = p->stages[k].stage->from->start_line;
                        return lade_error_msg(err, EINVAL, "circular dependency detected on stage: %s",
                                              p->stages[k].display_name);
                }
        return 0;
}

static int resolve_target(Planner *pl, const char *target, LadeError **err)
{
        BuildPlan *p = pl->plan;
        const char *names[256];
        size_t n = 0;
        ssize_t k;

        pl->line = 0;
        if (!target || !*target) {
                p->target = p->n_stages - 1;
                return 0;
        }
        k = stage_by_name(p, target, p->n_stages);
        if (k >= 0) {
                p->target = (size_t) k;
                return 0;
        }
        for (size_t s = 0; s < p->n_stages && n < ELEMENTSOF(names); s++)
                if (p->stages[s].stage->name)
                        names[n++] = p->stages[s].stage->name;
        _cleanup_free_ char *q = build_go_quote(target);
        const char *s = build_suggest(target, names, n, true);
        if (s)
                return lade_error_msg(err, EINVAL, "target stage %s could not be found (did you mean %s?)", q, s);
        return lade_error_msg(err, EINVAL, "target stage %s could not be found", q);
}

static void mark_needed(BuildPlan *p, size_t k)
{
        if (p->stages[k].needed)
                return;
        p->stages[k].needed = true;
        for (size_t d = 0; d < p->stages[k].n_deps; d++)
                mark_needed(p, p->stages[k].deps[d]);
}

/* Needed stages in index order; each must come after what it needs (buildkit dispatches them in
 * order and refuses a later one). */
static int order_stages(Planner *pl, LadeError **err)
{
        BuildPlan *p = pl->plan;

        mark_needed(p, p->target);
        p->order = xreallocarray(NULL, p->n_stages, sizeof(size_t));
        for (size_t k = 0; k < p->n_stages; k++) {
                BuildPlanStage *s = &p->stages[k];
                if (!s->needed)
                        continue;
                for (size_t d = 0; d < s->n_deps; d++)
                        if (s->deps[d] >= k) {
                                pl->line = s->stage->from->start_line;
                                return lade_error_msg(err, EINVAL,
                                                      "cannot copy from stage \"%s\", it needs to be defined before current stage \"%s\"",
                                                      p->stages[s->deps[d]].display_name, s->display_name);
                        }
                p->order[p->n_order++] = k;
        }
        return 0;
}

static bool stage_declares(const DockerfileStage *s, const char *key)
{
        for (size_t n = 0; n < s->n_instructions; n++) {
                const DockerfileInstruction *i = s->instructions[n];
                for (size_t a = 0; i->kind == DOCKERFILE_ARG && a < i->n_kvs; a++)
                        if (streq(i->kvs[a].key, key))
                                return true;
        }
        return false;
}

static void unused_build_args(const Dockerfile *df, const BuildPlanOptions *o, BuildPlan *p)
{
        size_t n = 0;

        p->unused_build_args = xmalloc0(sizeof(char *));
        for (size_t k = 0; o->build_args && o->build_args[k]; k++) {
                _cleanup_free_ char *key = xstrndup(o->build_args[k], strcspn(o->build_args[k], "="));
                bool used = build_arg_is_predefined(key) || build_env_strv_lookup(p->global_args, key);
                for (size_t m = 0; !used && m < df->n_meta_args; m++)
                        for (size_t a = 0; a < df->meta_args[m]->n_kvs; a++)
                                used = used || streq(df->meta_args[m]->kvs[a].key, key);
                for (size_t s = 0; !used && s < p->n_stages; s++)
                        used = p->stages[s].needed && stage_declares(p->stages[s].stage, key);
                if (!used && !strv_has(p->unused_build_args, key))
                        build_strv_push(&p->unused_build_args, &n, TAKE_PTR(key));
        }
}

int build_plan_new(const Dockerfile *df, const BuildPlanOptions *o, BuildPlan **ret, unsigned *error_line,
                   LadeError **err)
{
        _cleanup_(build_plan_freep) BuildPlan *p = xmalloc0(sizeof(*p));
        static const BuildPlanOptions none = {};
        Planner pl = { .df = df, .plan = p };
        const char *target_name;
        int r;

        o = o ? o : &none;
        p->global_args = xmalloc0(sizeof(char *));
        p->n_stages = df->n_stages;
        p->stages = xreallocarray(NULL, df->n_stages, sizeof(*p->stages));
        for (size_t k = 0; k < df->n_stages; k++)
                p->stages[k] = (BuildPlanStage) { .stage = &df->stages[k], .base_stage = -1 };
        target_name = o->target && *o->target ? o->target : df->stages[df->n_stages - 1].name;
        r = platform_args(o, target_name, &p->global_args, err);
        if (r >= 0)
                r = meta_args(df, o, &p->global_args, &pl.line, err);
        if (r >= 0)
                r = stage_bases(&pl, err);
        if (r >= 0)
                r = resolve_target(&pl, o->target, err);
        if (r >= 0)
                r = stage_dependencies(&pl, err);
        if (r >= 0)
                r = check_cycles(&pl, err);
        if (r >= 0)
                r = order_stages(&pl, err);
        if (error_line)
                *error_line = r < 0 ? pl.line : 0;
        if (r < 0)
                return r;
        unused_build_args(df, o, p);
        *ret = TAKE_PTR(p);
        return 0;
}

BuildPlan *build_plan_free(BuildPlan *p)
{
        if (!p)
                return NULL;
        for (size_t k = 0; k < p->n_stages; k++) {
                BuildPlanStage *s = &p->stages[k];
                free(s->display_name);
                free(s->base);
                free(s->platform);
                free(s->deps);
                strv_free(s->images);
        }
        free(p->stages);
        free(p->order);
        strv_free(p->global_args);
        strv_free(p->unused_build_args);
        free(p);
        return NULL;
}

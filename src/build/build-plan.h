/* Stage planning (buildkit's dockerfile2llb before dispatch): the global ARGs before the first
 * FROM and the predefined platform args, FROM bases after substitution, stages found by name
 * (case-insensitively) or index, the dependency graph from FROM <stage>, COPY --from and
 * RUN --mount from= (also inside ONBUILD triggers of a base stage), the --target stage and the
 * stages it needs, in build order. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "dockerfile.h"

typedef struct BuildPlanOptions {
        const char *target;           /* --target, NULL for the last stage */
        char **build_args;            /* --build-arg "KEY=VALUE" (or "KEY": set to ""), may be NULL */
        const char *build_platform;   /* "os/arch[/variant]"; NULL: this host */
        const char *target_platform;  /* --platform; NULL: the build platform */
} BuildPlanOptions;

typedef struct BuildPlanStage {
        const DockerfileStage *stage;
        char *display_name;   /* the stage's name, or "stage-N" */
        char *base;           /* FROM's base after substitution */
        char *platform;       /* FROM --platform after substitution, or NULL */
        ssize_t base_stage;   /* the earlier stage FROM names, or -1 (an image, or scratch) */
        bool scratch;         /* FROM scratch */
        size_t *deps;         /* stages this one needs (its base stage included) */
        size_t n_deps;
        char **images;        /* COPY --from / RUN --mount from= naming images, not stages */
        bool needed;          /* the target needs it */
} BuildPlanStage;

typedef struct BuildPlan {
        BuildPlanStage *stages;
        size_t n_stages;
        size_t target;
        size_t *order;        /* the needed stages, each after the stages it needs */
        size_t n_order;
        char **global_args;   /* "KEY=VALUE": predefined args and global ARGs (FROM's scope) */
        char **unused_build_args; /* --build-arg keys that no ARG of a needed stage declares */
} BuildPlan;

/* Errors are -EINVAL with buildkit's message; *error_line (if non-NULL) gets the Dockerfile line
 * it is about, or 0. */
int build_plan_new(const Dockerfile *df, const BuildPlanOptions *o, BuildPlan **ret, unsigned *error_line,
                   LadeError **err);
BuildPlan *build_plan_free(BuildPlan *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(BuildPlan *, build_plan_free)

/* The proxy args (HTTP_PROXY, http_proxy, ... ALL_PROXY) Docker accepts without an ARG. */
bool build_arg_is_predefined(const char *name);

/* This host's platform as BuildKit names it ("linux/amd64", "linux/arm/v7"). Caller frees. */
char *build_host_platform(void);
/* containerd's platforms.Parse + Normalize of "os/arch/variant", "arch" or "os". */
int build_platform_parse(const char *s, char **ret_os, char **ret_arch, char **ret_variant,
                         LadeError **err);

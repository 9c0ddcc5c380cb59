/* The Dockerfile language, parsed as buildkit's dockerfile frontend parses it (parser/ and
 * instructions/): parser directives, comments, continuations, here-documents, exec and shell
 * forms, instruction flags, and each instruction's own checks. The result is a plain tree that
 * the planner (build-plan.h) and the executor read; nothing is expanded yet (see shell-lex.h). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Limits on attacker-controlled sizes. */
#define DOCKERFILE_SIZE_MAX (10u * 1024u * 1024u) /* whole file */
#define DOCKERFILE_PHYSICAL_LINE_MAX 65535u       /* one line (Docker's bufio limit) */
#define DOCKERFILE_LINE_MAX (1024u * 1024u)       /* one logical line, continuations joined */
#define DOCKERFILE_INSTRUCTIONS_MAX 10000u
#define DOCKERFILE_HEREDOCS_MAX 64u                /* on one instruction */

typedef enum DockerfileKind {
        DOCKERFILE_ADD,
        DOCKERFILE_ARG,
        DOCKERFILE_CMD,
        DOCKERFILE_COPY,
        DOCKERFILE_ENTRYPOINT,
        DOCKERFILE_ENV,
        DOCKERFILE_EXPOSE,
        DOCKERFILE_FROM,
        DOCKERFILE_HEALTHCHECK,
        DOCKERFILE_LABEL,
        DOCKERFILE_MAINTAINER,
        DOCKERFILE_ONBUILD,
        DOCKERFILE_RUN,
        DOCKERFILE_SHELL,
        DOCKERFILE_STOPSIGNAL,
        DOCKERFILE_USER,
        DOCKERFILE_VOLUME,
        DOCKERFILE_WORKDIR,
        _DOCKERFILE_KIND_MAX,
        _DOCKERFILE_KIND_INVALID = -EINVAL,
} DockerfileKind;

/* "RUN", "COPY", ... or NULL. */
const char *dockerfile_kind_name(DockerfileKind k);
/* Case-insensitive; _DOCKERFILE_KIND_INVALID for an unknown word. */
DockerfileKind dockerfile_kind_from_name(const char *name);

typedef struct DockerfileHeredoc {
        char *name;    /* the delimiter word, quotes removed */
        char *content; /* the lines between, each with its newline; tabs not stripped yet */
        bool expand;   /* the delimiter was unquoted: the body is subject to substitution */
        bool chomp;    /* <<-: leading tabs are stripped from the body (dockerfile_heredoc_body) */
        unsigned fd;   /* 3<<EOF */
} DockerfileHeredoc;

/* The body as used: content with leading tabs of each line removed when chomp is set. */
char *dockerfile_heredoc_body(const DockerfileHeredoc *h);

typedef struct DockerfileKeyValue {
        char *key;
        char *value;    /* ARG without a default: NULL */
        bool legacy;    /* ENV/LABEL "KEY value" form (no '=') */
} DockerfileKeyValue;

typedef enum DockerfileMountType {
        DOCKERFILE_MOUNT_BIND,
        DOCKERFILE_MOUNT_CACHE,
        DOCKERFILE_MOUNT_TMPFS,
        DOCKERFILE_MOUNT_SECRET,
        DOCKERFILE_MOUNT_SSH,
        _DOCKERFILE_MOUNT_TYPE_MAX,
        _DOCKERFILE_MOUNT_TYPE_INVALID = -EINVAL,
} DockerfileMountType;

typedef struct DockerfileMount {
        DockerfileMountType type;
        char *from, *source, *target, *id, *sharing, *env; /* NULL when not given */
        bool readonly, required;
        int64_t size;                  /* tmpfs size=, bytes; 0 when not given */
        bool has_mode, has_uid, has_gid;
        uint64_t mode, uid, gid;
} DockerfileMount;

/* Parses one --mount value (csv), expanding each value through expand when it is non-NULL (as
 * buildkit does when it dispatches the RUN). Docker's messages ("unexpected key 'x' in 'x=1'"). */
typedef int (*DockerfileExpandFunc)(void *userdata, const char *word, char **ret, LadeError **err);
int dockerfile_mount_parse(const char *value, DockerfileExpandFunc expand, void *userdata,
                           DockerfileMount **ret, LadeError **err);
DockerfileMount *dockerfile_mount_free(DockerfileMount *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(DockerfileMount *, dockerfile_mount_free)

typedef struct DockerfileHealthcheck {
        char **test;            /* {"NONE"}, {"CMD", args...} or {"CMD-SHELL", "cmd"} */
        int64_t interval_ns, timeout_ns, start_period_ns, start_interval_ns; /* 0: not given */
        int retries;
} DockerfileHealthcheck;

typedef struct DockerfileInstruction DockerfileInstruction;
struct DockerfileInstruction {
        DockerfileKind kind;
        char *keyword;          /* as written: "run", "Copy" */
        char *original;         /* the logical line, continuations joined (leading blanks cut) */
        unsigned start_line, end_line; /* 1-based, end includes heredoc bodies */
        char **flags;           /* "--from=x" as written (quotes and escapes removed) */
        char **args;            /* the arguments as buildkit's parser splits them */
        bool json;              /* exec (JSON) form */
        DockerfileHeredoc *heredocs;
        size_t n_heredocs;

        /* RUN/CMD/ENTRYPOINT/SHELL: the command line: the JSON array, or one element (the shell
         * form joined with spaces); NULL for an ENTRYPOINT with no arguments */
        char **cmdline;

        /* ENV, LABEL, ARG */
        DockerfileKeyValue *kvs;
        size_t n_kvs;

        /* COPY/ADD: sources (paths), inline sources (heredocs used as sources: content already
         * tab-stripped for <<-) and destination */
        char **sources;
        DockerfileHeredoc *inline_sources;
        size_t n_inline_sources;
        char *dest;

        /* flags, NULL/false when not given */
        char *from, *chown, *chmod, *checksum, *platform, *network, *security;
        bool link, parents;
        int keep_git_dir, unpack; /* -1: not given, else 0/1 */
        char **excludes;
        char **mount_specs;       /* raw --mount values */
        DockerfileMount **mounts; /* parsed without expansion: fields with '$' validated later */
        size_t n_mounts;

        /* FROM: base (unexpanded) and stage name (lowercased) */
        char *base, *stage_name;

        /* one-argument instructions: MAINTAINER, USER, WORKDIR, STOPSIGNAL */
        char *value;

        DockerfileHealthcheck *health;

        /* ONBUILD: the trigger expression (as Docker stores it in OnBuild) and its instruction */
        char *onbuild_expression;
        DockerfileInstruction *trigger;
};

typedef struct DockerfileStage {
        DockerfileInstruction *from;    /* borrowed from the Dockerfile */
        DockerfileInstruction **instructions;
        size_t n_instructions;
        char *name;                     /* FROM ... AS name (lowercase), or NULL */
        size_t index;
} DockerfileStage;

typedef struct Dockerfile {
        char escape;                    /* '\\' or '`' */
        char *syntax;                   /* # syntax= value (ignored), or NULL */
        char *check;                    /* # check= value (ignored), or NULL */
        DockerfileInstruction **all;    /* owning, in file order */
        size_t n_all;
        DockerfileInstruction **meta_args; /* ARG before the first FROM */
        size_t n_meta_args;
        DockerfileStage *stages;
        size_t n_stages;
        char **warnings;                /* "Empty continuation line found in: ..." */
} Dockerfile;

Dockerfile *dockerfile_free(Dockerfile *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(Dockerfile *, dockerfile_free)
DockerfileInstruction *dockerfile_instruction_free(DockerfileInstruction *i);
DEFINE_TRIVIAL_CLEANUP_FUNC(DockerfileInstruction *, dockerfile_instruction_free)

/* Parses a Dockerfile (bytes, not NUL-terminated, at most DOCKERFILE_SIZE_MAX). Errors are
 * -EINVAL with Docker's wording prefixed by the line: "dockerfile parse error on line 3: unknown
 * instruction: FOO"; *error_line (if non-NULL) gets that line, or 0 when none applies. */
int dockerfile_parse(const char *data, size_t len, Dockerfile **ret, unsigned *error_line,
                     LadeError **err);

/* Parses one instruction line on its own (an ONBUILD trigger when the child stage runs it). */
int dockerfile_parse_instruction(const char *line, char escape, DockerfileInstruction **ret,
                                 LadeError **err);

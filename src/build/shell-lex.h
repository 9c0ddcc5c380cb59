/* Variable substitution and word splitting with the rules of buildkit's shell lexer
 * (frontend/dockerfile/shell/lex.go): $VAR, ${VAR}, ${VAR:-w}, ${VAR-w}, ${VAR:+w}, ${VAR+w},
 * ${VAR:?w}, ${VAR?w}, ${VAR#p}, ${VAR##p}, ${VAR%p}, ${VAR%%p}, ${VAR/p/r}, ${VAR//p/r},
 * single and double quotes, and the escape character of the Dockerfile. */
#pragma once

#include <stdbool.h>

#include "err.h"

/* Upper bound of a word given to the lexer (a Dockerfile line is smaller anyway). */
#define BUILD_SHELL_WORD_MAX (1024u * 1024u)

/* Returns the value of name, or NULL when it is unset (an empty string is set and empty). */
typedef const char *(*BuildEnvLookup)(void *userdata, const char *name);

typedef struct BuildShellOptions {
        char escape;              /* '\\' or '`' (the Dockerfile's escape directive) */
        bool raw_quotes;          /* keep quote characters in the result */
        bool raw_escapes;         /* keep escape characters in the result */
        bool skip_unset;          /* leave references to unset variables as written */
        bool skip_process_quotes; /* quotes are ordinary characters (heredoc bodies) */
} BuildShellOptions;

#define BUILD_SHELL_OPTIONS_DEFAULT { .escape = '\\' }

/* ProcessWord: expands one word (spaces kept). On failure, -EINVAL and Docker's message, e.g.
 * `failed to process "${x": syntax error: missing '}'`. */
int build_shell_expand(const BuildShellOptions *o, const char *word, BuildEnvLookup lookup,
                       void *userdata, char **ret, LadeError **err);
/* ProcessWords: expands, then splits on unquoted white space (results of $VAR split too, quoted
 * ones do not). *ret is a NULL-terminated vector, possibly empty. */
int build_shell_expand_words(const BuildShellOptions *o, const char *word, BuildEnvLookup lookup,
                             void *userdata, char ***ret, LadeError **err);

/* A lookup over a NULL-terminated "KEY=VALUE" vector (userdata is the char **): the last entry
 * of a key wins, and "KEY" alone is set to "". */
const char *build_env_strv_lookup(void *userdata, const char *name);
/* A lookup that finds nothing. */
const char *build_env_empty_lookup(void *userdata, const char *name);

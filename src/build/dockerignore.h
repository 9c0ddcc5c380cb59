/* .dockerignore with moby/patternmatcher semantics: Go's filepath.Match syntax (`*`, `?`,
 * `[a-z]`, `\` escapes), `**` for any number of directories, `!` exceptions, "the last pattern
 * that matches wins", and a pattern matching a directory excluding everything under it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define DOCKERIGNORE_SIZE_MAX (1024u * 1024u)  /* the ignore file */
#define DOCKERIGNORE_PATTERNS_MAX 10000u
#define DOCKERIGNORE_PATTERN_MAX 4096u         /* one pattern, bytes */

typedef struct DockerIgnore DockerIgnore;

/* ignorefile.ReadAll: one pattern a line, BOM and `#` comment lines dropped, white space trimmed,
 * paths cleaned, a leading `/` dropped. Returns a NULL-terminated vector. */
int dockerignore_read(const char *data, size_t len, char ***ret, LadeError **err);

/* patternmatcher.New: -EINVAL "syntax error in pattern" or `illegal exclusion pattern: "!"`. */
int dockerignore_new(char *const *patterns, DockerIgnore **ret, LadeError **err);
/* dockerignore_read + dockerignore_new. */
int dockerignore_parse(const char *data, size_t len, DockerIgnore **ret, LadeError **err);
DockerIgnore *dockerignore_free(DockerIgnore *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(DockerIgnore *, dockerignore_free)

/* MatchesOrParentMatches: whether the context path (relative, `/`-separated, cleaned here) is
 * excluded. "." is never excluded. */
bool dockerignore_matches(const DockerIgnore *m, const char *path);
/* Whether any pattern is an exception (`!...`). */
bool dockerignore_has_exceptions(const DockerIgnore *m);
/* For a walker that found directory `dir` excluded: true when nothing under it can be brought
 * back by an exception, so it need not be descended into. */
bool dockerignore_can_skip_dir(const DockerIgnore *m, const char *dir);

/* Whether the path goes into the context sent to the builder: not excluded, or one of the files
 * the builder reads itself (.dockerignore, the Dockerfile and its own ignore file) even when
 * excluded. COPY and ADD still skip those when excluded (use dockerignore_matches). */
bool dockerignore_in_context(const DockerIgnore *m, const char *path, const char *dockerfile);

/* Which ignore file applies for a Dockerfile at `dockerfile` (relative to the context):
 * "<dockerfile>.dockerignore" when exists() says it exists, else ".dockerignore". */
char *dockerignore_file_for(const char *dockerfile, bool (*exists)(const char *path, void *userdata),
                            void *userdata);

/* Go's path.Clean. */
char *dockerignore_clean_path(const char *path);

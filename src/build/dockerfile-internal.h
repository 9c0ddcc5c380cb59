/* Shared between the Dockerfile parser's files; not for other modules. */
#pragma once

#include "dockerfile.h"

/* buildkit's newNodeFromLine: splits one logical line into keyword, flags and arguments with the
 * per-instruction line parser (ONBUILD's trigger becomes i->trigger). Fills keyword, original,
 * flags, args, json; kind is _DOCKERFILE_KIND_INVALID for an unknown keyword. */
int dockerfile_node_from_line(const char *line, char escape, DockerfileInstruction **ret, LadeError **err);

/* buildkit's instructions.ParseInstruction: checks arguments and flags and fills the typed
 * fields. Messages are Docker's, without the line prefix. */
int dockerfile_instruction_check(DockerfileInstruction *i, LadeError **err);

/* Go's time.ParseDuration, in nanoseconds; Go's messages. */
int build_parse_duration(const char *s, int64_t *ret, LadeError **err);

/* Go's strconv.ParseBool. */
int build_parse_bool(const char *s, bool *ret);

/* A NULL-terminated vector with n elements appended one by one. */
void build_strv_push(char ***v, size_t *n, char *s);

/* MustParseHeredoc: 1 and the here-document (name, expand, chomp, fd; no content) when word is
 * one (`<<EOF`, `<<-"EOF"`, `3<<EOF`), else 0. */
int dockerfile_word_heredoc(const char *word, DockerfileHeredoc *ret);

/* parser.Parse alone (no instruction checks): the nodes in file order and the warnings. */
int dockerfile_parse_nodes(const char *data, size_t len, DockerfileInstruction ***ret, size_t *ret_n,
                           char ***ret_warnings, LadeError **err);

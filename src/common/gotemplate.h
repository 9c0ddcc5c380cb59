/* Go's text/template language over jansson values, as the docker CLI uses it for --format and
 * `inspect -f`: text/template's lexer, parser and executor plus Docker's functions (json, split,
 * join, title, lower, upper, pad, truncate). The data is JSON as Go's encoding/json decodes it into
 * interface{}: objects are maps (fields are keys), arrays are slices. No CLI code: the CLI wires
 * it into its verbs (src/cli/format.c). define/template/block are not supported. */
#pragma once

#include <stdbool.h>

#include <jansson.h>

#include "err.h"

typedef struct GoTemplate GoTemplate;

typedef enum GoTemplateFlags {
        /* Option("missingkey=error"): a missing map key is an execution error (docker inspect's
         * raw fallback) instead of "<no value>". */
        GOTEMPLATE_MISSINGKEY_ERROR = 1 << 0,
        /* docker's HeaderFunctions: json/split/join/title/lower/upper/truncate return their first
         * argument unchanged, for rendering a table's header row from column titles. */
        GOTEMPLATE_HEADER = 1 << 1,
} GoTemplateFlags;

/* Limits that keep hostile templates bounded (a fuzzer must not hang or exhaust memory). */
#define GOTEMPLATE_TEXT_MAX (64u * 1024u)          /* template size */
#define GOTEMPLATE_DEPTH_MAX 100u                  /* nesting of blocks and parentheses */
#define GOTEMPLATE_OUTPUT_MAX (16u * 1024u * 1024u) /* bytes written by one execution */
#define GOTEMPLATE_STEPS_MAX 1000000u              /* range iterations + actions of one execution */

/* Parses `text` (the template is named "", so errors read "template: :1: ..." as Go's do).
 * Errors: -EINVAL with Go's message. */
int gotemplate_parse(const char *text, GoTemplate **ret, LadeError **err);
GoTemplate *gotemplate_free(GoTemplate *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(GoTemplate *, gotemplate_free)

/* Executes t with `data` as dot and $; *ret is the output (NUL-terminated; it may hold NULs that
 * the template printed, *ret_len counts them when ret_len is non-NULL). Errors: -EINVAL with
 * Go's message ("template: :1:2: executing \"\" at <.Nope>: map has no entry for key \"Nope\""),
 * -E2BIG when a limit is hit. */
int gotemplate_execute(const GoTemplate *t, json_t *data, unsigned flags, char **ret, size_t *ret_len,
                       LadeError **err);

/* Parse + execute in one call. */
int gotemplate_render(const char *text, json_t *data, unsigned flags, char **ret, LadeError **err);

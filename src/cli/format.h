/* Output helpers shared by the lade CLI's verbs: Docker's human sizes and durations, and
 * --format / -f through Go's template language (src/common/gotemplate.h). */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "err.h"

/* 1.24MB, 4.26kB, 77.8MB (decimal units, 3 significant digits, as Docker's HumanSize). */
char *format_size(int64_t bytes);
/* go-units with that many significant digits (HumanSizeWithPrecision; `system df` uses 4). */
char *format_size_digits(int64_t bytes, int digits);
/* Docker's HumanDuration: "Less than a second", "About a minute", "3 hours". */
char *format_duration(int64_t seconds);
/* "2026-11-29 12:00:00 +0000 UTC" */
char *format_unix_time(int64_t unix_seconds);
int64_t realtime_ns_cli(void);
/* "2 years ago", "About an hour ago", "Less than a second ago". */
char *format_since(int64_t unix_seconds);
/* docker/cli's formatter.Ellipsis: s cut to max_width columns, its last one "…" (East Asian wide
 * characters count two); s itself when it fits. */
char *format_ellipsis(const char *s, size_t max_width);
/* Renders one row through a Go template (src/common/gotemplate.h) after Docker's preFormat
 * (\t and \n as characters). */
int format_template(const char *tmpl, json_t *row, char **ret, LadeError **err);
/* Prints rows per the --format value (NULL = table of default_tmpl; "table TMPL"; "json"; TMPL)
 * as Docker's formatter does; headers maps Key -> column title for the table header. Returns the
 * exit status: 0, or 1 after printing "template parsing error: ..." to stderr. */
int format_print(FILE *f, const char *format, const char *default_tmpl, json_t *headers, json_t *rows);
/* A prune's section: "TITLE:", one name per line, an empty line; nothing when names is empty. */
void format_print_deleted(const char *title, json_t *names);
/* An ImageRemoveFn for prunes: "Deleted Images:" before the first, then "untagged: …" /
 * "deleted: …"; userdata is a bool set once anything was printed. */
void format_print_image_removed(void *userdata, const char *what, const char *name);
/* `inspect` output: the documents as an indented JSON array, compact with "json", or each
 * through -f's template. Returns 0, 64 (the template does not parse) or 1 (it failed on one). */
int format_print_inspect(FILE *f, const char *format, json_t *docs);

/* The audit log: one JSON object per line, appended (O_APPEND) to a file that is rotated at a
 * size (FILE -> FILE.1 -> … -> FILE.N). Entries never hold secrets: the summaries below replace
 * them, and the server never logs headers that carry credentials. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

#define API_AUDIT_MAX_SIZE (UINT64_C(16) << 20)
#define API_AUDIT_KEEP 3                  /* rotated files kept */
#define API_AUDIT_SUMMARY_MAX 4096        /* bytes of a body summary */
#define API_AUDIT_STRING_MAX 256          /* longer strings are cut */
#define API_AUDIT_REDACTED "<redacted>"

typedef struct ApiAudit ApiAudit;

int api_audit_open(const char *path, uint64_t max_size, ApiAudit **ret, LadeError **err);
ApiAudit *api_audit_free(ApiAudit *a);
DEFINE_TRIVIAL_CLEANUP_FUNC(ApiAudit *, api_audit_free)
/* Appends entry as one line (thread-safe), rotating first when the file would pass the size. */
int api_audit_append(ApiAudit *a, const json_t *entry, LadeError **err);

/* Is key one whose value is a secret ("password", "X-Registry-Auth", "identitytoken", …)? */
bool api_audit_secret_key(const char *key);
/* A copy of a JSON body with secrets replaced: values of secret keys, the values of "Env"
 * entries ("K=V" -> "K=<redacted>") and of build args; long strings cut, deep or long
 * structures elided. */
json_t *api_audit_redact(const json_t *v);
/* What the log records of a body: the redacted JSON when it is small enough, else its size
 * and top-level keys; for other content its size and type. NULL when there was none. */
json_t *api_audit_body_summary(const char *content_type, const json_t *json, uint64_t bytes);
/* A query parameter's value as logged (buildargs and secret keys redacted). */
json_t *api_audit_query_value(const char *key, const char *value);

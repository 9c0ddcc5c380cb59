/* The JSON-valued query parameters of POST /build, pure (fuzzed): `buildargs`
 * ({"K":"v","L":null}) and `labels` ({"K":"v"}) become "K=v" lists for BuildOptions. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define API_BUILD_KV_MAX 1024        /* entries of one parameter */
#define API_BUILD_KV_BYTES (256u * 1024) /* length of one parameter */

/* text NULL or "": *ret = NULL. A JSON object whose values are strings (and, with allow_null,
 * null: a build arg the client named without a value, dropped as dockerd does when the
 * Dockerfile has no default) -> a NULL-terminated list of "KEY=VALUE". -EINVAL with
 * "error reading WHAT: …" (dockerd's wording), -E2BIG beyond the limits. Keys must be
 * non-empty and without '='. */
int api_build_kv_parse(const char *text, const char *what, bool allow_null, char ***ret, LadeError **err);

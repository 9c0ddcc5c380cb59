/* The JSON OCI platform of query parameters, pure (fuzzed): GET /images/{name}/json's
 * `platform` (API 1.49) and DELETE /images/{name}'s `platforms` (1.50), decoded and matched
 * against an image's platform as dockerd's graphdriver image store does. */
#pragma once

#include <stdbool.h>

#include "err.h"
#include "manifest.h"

/* dockerd's httputils.DecodePlatform: a JSON object {"os","architecture","variant",
 * "os.version","os.features"} (keys matched case-insensitively and nulls skipped, as Go's
 * encoding/json does), os and architecture both required. -EINVAL with dockerd's wording
 * ("failed to parse platform: …", "both OS and Architecture must be provided", "optional
 * platform fields provided, but OS and Architecture are missing"). text is bounded by the
 * request line's limit. */
int api_platform_decode(const char *text, Platform *ret, LadeError **err);
/* dockerd's OnlyPlatformWithFallback: could an image of platform have serve want (containerd's
 * platforms.Only, so arm v7 serves v6); an image without a variant matches on os and
 * architecture alone. */
bool api_platform_matches(const Platform *want, const Platform *have);
/* containerd's platforms.FormatAll: "os[(os.version)]/arch[/variant]", "unknown" without an
 * os; caller frees. */
char *api_platform_format_all(const Platform *p);

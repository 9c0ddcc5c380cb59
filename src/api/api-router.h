/* Routing of the API, pure functions (unit-tested): the optional /v1.NN prefix and Docker's
 * version window, and path patterns whose {name} may span '/' (image names have slashes). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define API_VERSION_MIN 24      /* 1.24 */
#define API_VERSION_MAX 51      /* 1.51: what the docker CLI 28.3-28.5 speaks */
#define API_VERSION_MIN_STR "1.24"
#define API_VERSION_MAX_STR "1.51"
#define API_URL_MAX 8192

typedef enum ApiBodyKind {
        API_BODY_NONE,          /* small bodies are read and ignored */
        API_BODY_JSON,          /* up to API_JSON_BODY_MAX, kept */
        API_BODY_STREAM,        /* fed to the job the route starts (tar archives) */
        _API_BODY_MAX,
        _API_BODY_INVALID = -EINVAL,
} ApiBodyKind;

/* Bodies the authorization policy looks into before the handler runs. */
typedef enum ApiBodyCheck {
        API_CHECK_NONE,
        API_CHECK_CONTAINER_CREATE,
        API_CHECK_EXEC_CREATE,
        API_CHECK_VOLUME_CREATE,
        _API_CHECK_MAX,
        _API_CHECK_INVALID = -EINVAL,
} ApiBodyCheck;

struct ApiRequest;
typedef struct ApiRoute {
        const char *method;     /* GET routes also answer HEAD */
        const char *pattern;    /* "/images/{name}/json" */
        int (*handler)(struct ApiRequest *req, LadeError **err);
        ApiBodyKind body;
        ApiBodyCheck check;
        /* STREAM routes: starts the job the body goes to, when the request begins */
        int (*begin)(struct ApiRequest *req, LadeError **err);
} ApiRoute;

/* Splits the URL path into the version and the route path: "/v1.48/info" -> 1, 48, "/info".
 * Without a prefix, *ret_major is 0. -ENOENT when "/vX…" is no version (Docker's router then
 * answers 404). Components beyond the second are ignored, as Docker compares them as 0. */
int api_split_version(const char *url, unsigned *ret_major, unsigned *ret_minor, const char **ret_path);
/* 0 when 1.24 <= version <= 1.51 (or no version); else -EINVAL with Docker's message. */
int api_check_version(unsigned major, unsigned minor, LadeError **err);
/* Does path match pattern? One {name} segment may match one or more '/'-separated segments;
 * its text is returned (caller frees) when ret_name is non-NULL. */
bool api_path_match(const char *pattern, const char *path, char **ret_name);
/* The route for method+path; NULL: 404 (Docker's "page not found", also for a wrong method). */
const struct ApiRoute *api_route_find(const struct ApiRoute *routes, size_t n, const char *method,
                                      const char *path, char **ret_name);

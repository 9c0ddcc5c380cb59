/* Image references, parsed and normalised exactly as Docker (distribution/reference) does:
 *   busybox                      -> docker.io/library/busybox:latest
 *   user/app:1.0                 -> docker.io/user/app:1.0
 *   localhost:5000/ns/name@sha256:<64 hex>
 * Invalid names are rejected with Docker's wording ("invalid reference format",
 * "invalid reference format: repository name (library/Busybox) must be lowercase", ...), always
 * with -EINVAL. */
#pragma once

#include <stdbool.h>

#include "err.h"

typedef struct ImageRef {
        char *domain;  /* "docker.io", "localhost:5000", "[::1]:5000"; never NULL, but "" when
                        * Docker keeps a host-like first component in the path ("a_b.com/x") */
        char *path;    /* "library/busybox" (with "library/" added for docker.io one-part names) */
        char *tag;     /* NULL when the reference has only a digest; "latest" added when neither */
        char *digest;  /* "sha256:..." or NULL */
} ImageRef;

#define IMAGE_REF_MAX 4096
/* Docker's limit on the path (the domain does not count, as in distribution/reference v0.6). */
#define IMAGE_REF_PATH_MAX 255

/* Parses and normalises (adds docker.io, library/, :latest). */
int image_ref_parse(const char *s, ImageRef **ret, LadeError **err);
/* Parses without adding ":latest" (for `lade images busybox` style filters). */
int image_ref_parse_no_default_tag(const char *s, ImageRef **ret, LadeError **err);
ImageRef *image_ref_free(ImageRef *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(ImageRef *, image_ref_free)

/* "docker.io/library/busybox:latest" (tag and/or @digest as present). */
char *image_ref_string(const ImageRef *r);
/* Docker's familiar form: "busybox:latest", "user/app:1.0", "localhost:5000/x:y". */
char *image_ref_familiar(const ImageRef *r);
/* "docker.io/library/busybox" */
char *image_ref_repository(const ImageRef *r);
/* True for a valid "sha256:<64 lowercase hex>" (also sha384:<96>, sha512:<128>), as go-digest. */
bool image_digest_valid(const char *digest);
/* Is s a full or short image id ("sha256:" + 1..64 lowercase hex, or a bare 12..64 hex prefix)?
 * Short bare prefixes are also valid names: callers try the name first, as Docker does. */
bool image_ref_looks_like_id(const char *s);

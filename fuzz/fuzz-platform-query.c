/* The JSON platform of image inspect's `platform` and image delete's `platforms` on arbitrary
 * bytes: either a platform with os and architecture, which formats and matches without a
 * crash, or -EINVAL with a message and nothing set. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api-platform-query.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > 64 * 1024)
                return 0;
        _cleanup_free_ char *text = xstrndup((const char *) data, size);
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        Platform p = {};
        int r = api_platform_decode(text, &p, &err);
        if (r < 0) {
                if (r != -EINVAL || !err || !err->msg || p.os || p.architecture)
                        abort();
                return 0;
        }
        if (!p.os || !*p.os || !p.architecture || !*p.architecture)
                abort();
        /* not always true: containerd matches unknown arm64 variants with nothing */
        (void) api_platform_matches(&p, &p);
        Platform amd64 = { .os = (char *) "linux", .architecture = (char *) "amd64" };
        (void) api_platform_matches(&p, &amd64);
        (void) api_platform_matches(&amd64, &p);
        _cleanup_free_ char *s = api_platform_format_all(&p);
        if (!s || !*s)
                abort();
        platform_done(&p);
        return 0;
}

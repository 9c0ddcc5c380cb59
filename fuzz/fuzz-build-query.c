/* POST /build's JSON query parameters (buildargs, labels) on arbitrary bytes: either a list
 * of "K=V" entries within the limits, each with a non-empty key, or -EINVAL / -E2BIG with a
 * message and no list. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api-build-query.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one(const char *text, bool allow_null)
{
        char **v = NULL;
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        int r = api_build_kv_parse(text, "fuzz", allow_null, &v, &err);
        if (r < 0 && ((r != -EINVAL && r != -E2BIG) || v || !err || !err->msg))
                abort();
        if (r == 0 && strv_length(v) > API_BUILD_KV_MAX)
                abort();
        for (char **kv = v; kv && *kv; kv++)
                if ((*kv)[0] == '=' || !strchr(*kv, '='))
                        abort();
        strv_free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > 512 * 1024)
                return 0;
        _cleanup_free_ char *text = xstrndup((const char *) data, size);
        one(text, true);
        one(text, false);
        return 0;
}

/* X-Registry-Auth headers (base64url JSON) on arbitrary bytes: decoding never fails on bad
 * input (Docker treats it as anonymous), and credentials come out only with a user name. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api-internal.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > API_REGISTRY_AUTH_MAX + 16)
                return 0;
        _cleanup_free_ char *text = xstrndup((const char *) data, size);
        ApiRegistryAuth a;
        int r = api_registry_auth_decode(text, &a);
        if (r < 0 && (r != -E2BIG || strlen(text) <= API_REGISTRY_AUTH_MAX))
                abort();
        if (a.user && (!*a.user || !a.password || a.creds.user != a.user))
                abort();
        if (!a.user && (a.password || a.creds.user))
                abort();
        api_registry_auth_done(&a);
        return 0;
}

/* registry_challenges_parse() on arbitrary bytes (not NUL-terminated): it either fails with
 * -EINVAL, a message and the challenge list unchanged, or gives at most REGISTRY_CHALLENGES_MAX
 * challenges whose values are NUL-terminated, bounded and free of control characters other than
 * tab. The picked challenge is Bearer with a realm or Basic. The same bytes also go through the
 * other auth parsers: credentials decoding and token answers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry-internal.h"
#include "util.h"

#define FUZZ_INPUT_MAX (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_value(const char *v)
{
        if (!v)
                return;
        size_t n = strlen(v);
        if (n > REGISTRY_AUTH_VALUE_MAX)
                abort();
        for (size_t i = 0; i < n; i++)
                if (((unsigned char) v[i] < 0x20 && v[i] != '\t') || v[i] == 0x7f)
                        abort();
}

static void fuzz_challenges(const char *text, size_t size)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        RegistryChallenges c = {};
        int r = registry_challenges_parse(&c, text, size, &err);
        if (r < 0) {
                if (r != -EINVAL || !err || c.n != 0)
                        abort();
                return;
        }
        if (err || c.n > REGISTRY_CHALLENGES_MAX)
                abort();
        for (size_t i = 0; i < c.n; i++) {
                check_value(c.items[i].realm);
                check_value(c.items[i].service);
                check_value(c.items[i].scope);
                check_value(c.items[i].error);
        }
        const RegistryChallenge *p = registry_challenges_pick(&c);
        if (p && p->scheme == REGISTRY_AUTH_BEARER && (!p->realm || !p->realm[0]))
                abort();
        if (p && p->scheme == REGISTRY_AUTH_NONE)
                abort();
        registry_challenges_done(&c);
}

static void fuzz_credentials(const char *text, size_t size)
{
        _cleanup_free_ char *user = NULL, *password = NULL, *token = NULL;
        _cleanup_free_ char *host = registry_auth_host(text), *key = registry_auth_key(text);
        int64_t expires = 0;
        if (registry_auth_decode(text, &user, &password, NULL) >= 0) {
                /* what decodes must encode back to a value that decodes the same */
                _cleanup_free_ char *again = registry_auth_encode(user, password);
                _cleanup_free_ char *u2 = NULL, *p2 = NULL;
                if (registry_auth_decode(again, &u2, &p2, NULL) < 0 || !streq(u2, user) ||
                    !streq(p2, password))
                        abort();
        }
        if (registry_token_parse(text, size, &token, &expires, NULL) >= 0 &&
            (!token || !token[0] || strpbrk(token, " \r\n\t") || expires < 0))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > FUZZ_INPUT_MAX)
                return 0;
        /* A copy of exactly size bytes, so reading past the end is caught by ASan. */
        _cleanup_free_ char *exact = xmalloc(size ? size : 1);
        memcpy(exact, data, size);
        fuzz_challenges(exact, size);
        _cleanup_free_ char *text = xstrndup((const char *) data, size);
        fuzz_credentials(text, strlen(text));
        return 0;
}

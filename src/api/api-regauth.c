/* X-Registry-Auth: the registry credentials a Docker client sends with pull and push, as
 * base64url JSON. Parsed here and nowhere else; the password is wiped when done. */
#include <string.h>

#include <jansson.h>

#include "api-internal.h"
#include "util.h"

static int b64_value(char c)
{
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '+' || c == '-')
                return 62;
        if (c == '/' || c == '_')
                return 63;
        return -1;
}

/* base64, URL-safe or standard, padded or not. */
static int b64_decode(const char *s, char **ret, size_t *ret_len)
{
        size_t n = strlen(s);
        while (n > 0 && s[n - 1] == '=')
                n--;
        char *out = xmalloc(n * 3 / 4 + 4);
        size_t o = 0;
        unsigned acc = 0, bits = 0;
        for (size_t i = 0; i < n; i++) {
                int v = b64_value(s[i]);
                if (v < 0) {
                        explicit_bzero(out, o);
                        free(out);
                        return -EINVAL;
                }
                acc = (acc << 6) | (unsigned) v;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        out[o++] = (char) ((acc >> bits) & 0xFF);
                }
        }
        out[o] = '\0';
        *ret = out;
        *ret_len = o;
        return 0;
}

void api_registry_auth_done(ApiRegistryAuth *a)
{
        if (a->password)
                explicit_bzero(a->password, strlen(a->password));
        free(a->user);
        free(a->password);
        *a = (ApiRegistryAuth){ 0 };
}

int api_registry_auth_decode(const char *header, ApiRegistryAuth *ret)
{
        *ret = (ApiRegistryAuth){ 0 };
        if (!header || !*header)
                return 0;
        if (strlen(header) > API_REGISTRY_AUTH_MAX)
                return -E2BIG;
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        if (b64_decode(header, &text, &len) < 0)
                return 0;   /* as Docker: an unreadable header means no credentials */
        json_error_t je;
        json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
        explicit_bzero(text, len);
        json_t *u = json_is_object(j) ? json_object_get(j, "username") : NULL;
        json_t *p = json_is_object(j) ? json_object_get(j, "password") : NULL;
        if (json_is_string(u) && *json_string_value(u) && json_is_string(p)) {
                ret->user = xstrdup(json_string_value(u));
                ret->password = xstrdup(json_string_value(p));
                ret->creds = (RegistryCredentials){ ret->user, ret->password };
        }
        /* identitytoken/registrytoken (OAuth refresh tokens) are not supported: anonymous */
        json_decref(j);
        return 0;
}


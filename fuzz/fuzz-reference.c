/* image_ref_parse() on arbitrary bytes: it either fails with -EINVAL and a message, or gives a
 * reference whose full string is a fixed point (parsing it again gives the same fields and the
 * same string), whose path fits Docker's limit, and whose familiar forms can be built. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reference.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_same(const ImageRef *a, const ImageRef *b)
{
        if (!streq(a->domain, b->domain) || !streq(a->path, b->path) ||
            !streq_ptr(a->tag, b->tag) || !streq_ptr(a->digest, b->digest))
                abort();
}

static void check_valid(const ImageRef *r, bool default_tag)
{
        _cleanup_(image_ref_freep) ImageRef *again = NULL;
        _cleanup_free_ char *s = image_ref_string(r), *s2 = NULL;
        _cleanup_free_ char *familiar = image_ref_familiar(r);
        _cleanup_free_ char *repo = image_ref_repository(r);
        int ret;

        if (!r->domain || !r->path || strlen(r->path) > IMAGE_REF_PATH_MAX || !familiar || !repo)
                abort();
        if (default_tag && !r->tag && !r->digest)
                abort();
        if (r->digest && !image_digest_valid(r->digest))
                abort();
        ret = default_tag ? image_ref_parse(s, &again, NULL)
                          : image_ref_parse_no_default_tag(s, &again, NULL);
        if (ret < 0)
                abort();
        check_same(r, again);
        s2 = image_ref_string(again);
        if (!streq(s, s2))
                abort();
}

static void fuzz_one(const char *text, bool default_tag)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        _cleanup_(image_ref_freep) ImageRef *r = NULL;
        int ret = default_tag ? image_ref_parse(text, &r, &err)
                              : image_ref_parse_no_default_tag(text, &r, &err);

        if (ret < 0) {
                /* every failure is a bad reference with a message, and nothing is returned */
                if (ret != -EINVAL || !err || !err->msg || r)
                        abort();
                return;
        }
        if (!r || err)
                abort();
        check_valid(r, default_tag);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *text = NULL;

        /* a little over the limit, so the limit itself is exercised */
        if (size > IMAGE_REF_MAX + 16)
                return 0;
        text = xstrndup((const char *) data, size);
        fuzz_one(text, true);
        fuzz_one(text, false);
        (void) image_ref_looks_like_id(text);
        (void) image_digest_valid(text);
        return 0;
}

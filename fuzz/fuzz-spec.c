/* spec_parse() on arbitrary bytes: it must either succeed with a usable Spec or fail with an
 * error message, never crash, leak or read out of bounds. */
#include <stdint.h>
#include <stdlib.h>

#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        _cleanup_(spec_freep) Spec *s = NULL;

        int r = spec_parse((const char *) data, size, &s, &err);
        /* the contract: an error always comes with a message, success always with a document */
        if (r < 0 && (!err || !err->msg))
                abort();
        if (r >= 0 && (!s || !s->oci_version || !s->json || err))
                abort();
        return 0;
}

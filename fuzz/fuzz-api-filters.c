/* Docker's filters parameter (engine_filters_parse) and timestamps (engine_parse_timestamp) on
 * arbitrary bytes: either -EINVAL with a message and nothing returned, or a filter set whose
 * values can all be read back and that validates against a key list without crashing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine-filters.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const known[] = { "dangling", "reference", "label", "before", "since", "until", NULL };
        if (size > ENGINE_FILTERS_MAX_BYTES + 16)
                return 0;
        _cleanup_free_ char *text = xstrndup((const char *) data, size);
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        _cleanup_(engine_filters_freep) EngineFilters *f = NULL;
        int r = engine_filters_parse(text, strlen(text), &f, &err);
        if (r < 0) {
                if (r != -EINVAL || !err || !err->msg || f)
                        abort();
        } else {
                if (!f || err)
                        abort();
                size_t total = 0;
                for (size_t k = 0; known[k]; k++) {
                        _cleanup_strv_free_ char **v = engine_filters_get(f, known[k]);
                        total += strv_length(v);
                        if (!v != !engine_filters_has(f, known[k]))
                                abort();
                }
                if (total > ENGINE_FILTERS_MAX_VALUES)
                        abort();
                bool b;
                (void) engine_filters_get_bool(f, "dangling", false, &b, NULL);
                (void) engine_filters_validate(f, known, NULL);
        }
        int64_t t;
        _cleanup_(lade_error_freep) LadeError *e2 = NULL;
        r = engine_parse_timestamp(text, 1700000000, &t, &e2);
        if (r < 0 && (r != -EINVAL || !e2))
                abort();
        return 0;
}

/* Fuzzes the small option parsers: OCI mount options (comma-separated here) and signal names. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "container-internal.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > 65536)
                return 0;
        char *text = xstrndup((const char *) data, size);
        char **opts = NULL;
        char *save = NULL;
        for (char *t = strtok_r(text, ",", &save); t; t = strtok_r(NULL, ",", &save))
                opts = strv_append(opts, t);
        MountFlags f;
        (void) mount_options_parse(opts, &f);
        free(f.data);
        for (char **o = opts; o && *o; o++)
                (void) runtime_parse_signal(*o);
        strv_free(opts);
        free(text);
        return 0;
}

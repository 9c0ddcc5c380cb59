/* .dockerignore parsing and matching on arbitrary bytes: the first line of the input up to a
 * tab is used as a path to match, the whole input as the ignore file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dockerignore.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        _cleanup_(dockerignore_freep) DockerIgnore *m = NULL;
        _cleanup_free_ char *text = NULL, *path = NULL;
        const char *tab;

        if (size > 64 * 1024)
                return 0;
        text = xstrndup((const char *) data, size);
        tab = strchr(text, '\t');
        path = tab ? xstrndup(text, (size_t) (tab - text)) : xstrdup("a/b/c.txt");
        if (dockerignore_parse((const char *) data, size, &m, &err) < 0) {
                if (!err || !err->msg || m)
                        abort();
                return 0;
        }
        bool excluded = dockerignore_matches(m, path);
        if (!dockerignore_in_context(m, path, "Dockerfile") && !excluded)
                abort();
        (void) dockerignore_can_skip_dir(m, path);
        return 0;
}

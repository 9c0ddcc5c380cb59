/* Docker's container list filters (GET /containers/json?filters=…) on arbitrary bytes: parsed,
 * then matched against fixed containers — regular expressions of name filters included — never
 * crashing, leaking or hanging; bad values are -EINVAL with a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "containers.h"
#include "engine-filters.h"
#include "json-util.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ContainerInfo *fake(const char *name, const char *state, int code)
{
        ContainerInfo *ci = xmalloc0(sizeof(*ci));
        ci->id = xstrdup("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
        ci->name = xstrdup(name);
        ci->image = xstrdup("busybox:latest");
        ci->image_id = xstrdup("sha256:8c37dac127d1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        ci->state = xstrdup(state);
        ci->exit_code = code;
        ci->health = xstrdup("");
        ci->labels = json_pack("{s:s}", "tier", "front");
        ci->ports = json_pack("{s:[{s:s,s:s}]}", "80/tcp", "HostIp", "0.0.0.0", "HostPort", "8080");
        ci->networks = json_pack("{s:{s:s}}", "bridge", "NetworkID", "feedbeef");
        return ci;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > ENGINE_FILTERS_MAX_BYTES + 16)
                return 0;
        _cleanup_free_ char *text = xstrndup((const char *) data, size);
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        _cleanup_(engine_filters_freep) EngineFilters *f = NULL;
        if (engine_filters_parse(text, strlen(text), &f, &err) < 0)
                return 0;
        ContainerInfo *l[2] = { fake("web", "running", 0), fake("db_1", "exited", 3) };
        for (size_t i = 0; i < 2; i++) {
                (void) engine_container_filter_match(f, l[i]);
                json_decref(engine_container_summary_json(l[i]));
                free(engine_container_status_text(l[i]));
                container_info_free(l[i]);
        }
        return 0;
}

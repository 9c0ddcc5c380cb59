/* gotemplate_parse() + gotemplate_execute() on arbitrary bytes: the input is a template, then
 * after the first NUL (when there is one) a JSON document used as data (a fixed document
 * otherwise). Parsing either fails with -EINVAL/-E2BIG and a message or gives a template; executing
 * it (in each flag mode) either fails with a message or gives at most GOTEMPLATE_OUTPUT_MAX bytes.
 * The limits must keep every input fast and small. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gotemplate.h"
#include "json-util.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *default_data =
        "{\"Id\":\"abc\",\"State\":{\"Pid\":42,\"Running\":true},\"Config\":{\"Labels\":{\"k\":\"v\"},"
        "\"Cmd\":[\"sh\",\"-c\",\"x\"],\"Env\":null},\"NetworkSettings\":{\"Networks\":{\"bridge\":"
        "{\"IPAddress\":\"172.17.0.2\"}}},\"f\":1.5,\"n\":null}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > GOTEMPLATE_TEXT_MAX + 1024)
                return 0;
        _cleanup_free_ char *text = xstrndup((const char *) data, size);
        size_t tlen = strlen(text);
        const char *json_text = tlen + 1 < size ? (const char *) data + tlen + 1 : default_data;
        size_t json_len = tlen + 1 < size ? size - tlen - 1 : strlen(default_data);
        _cleanup_json_ json_t *doc = json_loadb(json_text, json_len, JSON_DECODE_ANY, NULL);
        if (!doc)
                doc = json_loads(default_data, 0, NULL);

        _cleanup_(gotemplate_freep) GoTemplate *t = NULL;
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        int r = gotemplate_parse(text, &t, &err);
        if (r < 0) {
                if ((r != -EINVAL && r != -E2BIG) || !err || !err->msg)
                        abort();
                return 0;
        }
        static const unsigned modes[] = { 0, GOTEMPLATE_MISSINGKEY_ERROR, GOTEMPLATE_HEADER };
        for (size_t k = 0; k < ELEMENTSOF(modes); k++) {
                _cleanup_free_ char *out = NULL;
                size_t len = 0;
                r = gotemplate_execute(t, doc, modes[k], &out, &len, &err);
                if (r < 0) {
                        if ((r != -EINVAL && r != -E2BIG) || !err || !err->msg)
                                abort();
                        err = lade_error_free(err);
                        continue;
                }
                if (!out || len > GOTEMPLATE_OUTPUT_MAX || out[len] != '\0')
                        abort();
        }
        return 0;
}

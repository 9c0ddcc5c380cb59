/* JSON in and out of files; size limits are checked before parsing. */
#include <fcntl.h>
#include <string.h>

#include "json-util.h"
#include "util.h"

int json_parse_text(const char *text, size_t len, const char *what, json_t **ret, LadeError **err)
{
        json_error_t je;
        json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
        if (!j)
                return lade_error_msg(err, EINVAL, "%s: invalid JSON at line %d column %d: %s", what,
                                      je.line, je.column, je.text);
        *ret = j;
        return 0;
}

int json_load_path(const char *path, size_t max, json_t **ret, LadeError **err)
{
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r = read_file_at(AT_FDCWD, path, max, &buf, &len, err);
        if (r < 0)
                return r;
        return json_parse_text(buf, len, path, ret, err);
}

char *json_dump_compact(const json_t *j)
{
        char *s = json_dumps(j, JSON_COMPACT);
        if (!s)
                s = xstrdup("null");
        return s;
}

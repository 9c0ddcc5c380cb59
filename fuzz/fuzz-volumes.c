/* The volume parsers on arbitrary bytes: the input as a volume name, a --volumes-from spec, a
 * MAC address (--mac-address), and as local driver options
 * (a JSON object) either passes or fails with -EINVAL/-ENOTSUP and a message; the input as a
 * container-create body gives inspect's Mounts (Binds "src:dst:mode" split as ParseMountRaw
 * does, Mounts entries), an array of objects each with a Type and a Destination. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json-util.h"
#include "util.h"
#include "network.h"
#include "volumes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static Engine *eng;
static char root[64];

static void cleanup(void)
{
        eng = engine_free(eng);
        (void) rm_rf_at(AT_FDCWD, root);
}

static void check_error(int r, LadeError *err)
{
        if (r < 0 && (!err || !err->msg || (r != -EINVAL && r != -ENOTSUP)))
                abort();
        if (r >= 0 && err)
                abort();
}

static void fuzz_mounts(json_t *create)
{
        if (!eng) {
                snprintf(root, sizeof(root), "/tmp/lade-fuzz-volumes-XXXXXX");
                EngineOptions o = { .root = root };
                if (!mkdtemp(root) || engine_open(&o, &eng, NULL) < 0)
                        abort();
                atexit(cleanup);
        }
        _cleanup_json_ json_t *m = engine_volumes_mounts_json(eng, "0123", create);
        size_t i;
        json_t *v;
        if (!json_is_array(m))
                abort();
        json_array_foreach(m, i, v)
                if (!json_string_value(json_object_get(v, "Type")) ||
                    !json_string_value(json_object_get(v, "Destination")))
                        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > 64 * 1024)
                return 0;
        _cleanup_free_ char *text = xstrndup((const char *) data, size);
        LadeError *err = NULL;
        int r = volume_check_name(text, &err);
        check_error(r, err);
        err = lade_error_free(err);
        /* the input as a --volumes-from spec and as a --mac-address */
        _cleanup_free_ char *id = NULL;
        bool rw;
        r = engine_volumes_from_parse(text, &id, &rw, &err);
        check_error(r, err);
        if (r >= 0 && (!id || strlen(id) > strlen(text)))
                abort();
        err = lade_error_free(err);
        uint8_t mac[6];
        r = engine_network_parse_mac(text, mac, &err);
        check_error(r, err);
        if (r >= 0 && (mac[0] & 1))
                abort();
        err = lade_error_free(err);
        _cleanup_json_ json_t *j = json_loadb((const char *) data, size, 0, NULL);
        if (json_is_object(j)) {
                r = volume_check_options(j, &err);
                check_error(r, err);
                err = lade_error_free(err);
                fuzz_mounts(j);
        }
        return 0;
}

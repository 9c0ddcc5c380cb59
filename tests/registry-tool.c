/* registry-tool: a thin driver of the registry client for the integration tests.
 *
 *   registry-tool [OPTIONS] pull REF STOREDIR
 *   registry-tool [OPTIONS] push REF STOREDIR MANIFEST_DIGEST
 *   registry-tool [OPTIONS] copy SRC DST STOREDIR      pull, then push with the same client
 *   registry-tool [OPTIONS] manifest REF               raw manifest on stdout
 *   registry-tool [OPTIONS] exists REF DIGEST          exit 0 if the blob is there, 3 if not
 *   registry-tool [OPTIONS] login SERVER USER PASS AUTHFILE
 *   registry-tool [OPTIONS] logout SERVER AUTHFILE
 *   registry-tool ls-blobs STOREDIR
 *
 * Options: --certs-dir DIR, --auth-file FILE, --insecure HOST (repeatable), --platform P,
 * --parallel N, --chunk-size BYTES, --retry-delay MS, --stats (request counts on stderr),
 * --progress (progress events on stderr), --debug. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "registry-internal.h"
#include "util.h"

typedef struct ToolOptions {
        RegistryOptions ro;
        char **insecure;
        Platform platform;
        bool have_platform;
        uint64_t chunk_size;
        long retry_delay_ms;
        bool stats;
} ToolOptions;

static void tool_progress(void *userdata, const char *id, const char *action, int64_t current,
                          int64_t total, bool done)
{
        fprintf(stderr, "progress %s %s %" PRId64 "/%" PRId64 "%s\n", id, action, current, total,
                done ? " done" : "");
}

static int tool_usage(void)
{
        fprintf(stderr, "usage: registry-tool [--certs-dir DIR] [--auth-file FILE] "
                        "[--insecure HOST] [--platform P] [--parallel N] [--chunk-size N] "
                        "[--retry-delay MS] [--stats] [--progress] [--debug] COMMAND ARGS...\n");
        return 2;
}

static int tool_fail(LadeError *err)
{
        fprintf(stderr, "registry-tool: %s\n", lade_error_message(err));
        lade_error_free(err);
        return 1;
}

static const struct option tool_longopts[] = {
        { "certs-dir", required_argument, NULL, 'c' },
        { "auth-file", required_argument, NULL, 'a' },
        { "insecure", required_argument, NULL, 'i' },
        { "platform", required_argument, NULL, 'p' },
        { "parallel", required_argument, NULL, 'j' },
        { "chunk-size", required_argument, NULL, 'k' },
        { "retry-delay", required_argument, NULL, 'r' },
        { "stats", no_argument, NULL, 's' },
        { "progress", no_argument, NULL, 'P' },
        { "debug", no_argument, NULL, 'd' },
        {},
};

static int tool_parse_options(int argc, char **argv, ToolOptions *o)
{
        int ch;
        while ((ch = getopt_long(argc, argv, "+", tool_longopts, NULL)) != -1) {
                LadeError *err = NULL;
                switch (ch) {
                case 'c': o->ro.certs_dir = optarg; break;
                case 'a': o->ro.auth_file = optarg; break;
                case 'i': o->insecure = strv_append(o->insecure, optarg); break;
                case 'j': o->ro.parallel = atoi(optarg); break;
                case 'k': o->chunk_size = strtoull(optarg, NULL, 10); break;
                case 'r': o->retry_delay_ms = atol(optarg); break;
                case 's': o->stats = true; break;
                case 'P': o->ro.progress = tool_progress; break;
                case 'd': log_set_level(LOG_LEVEL_DEBUG); break;
                case 'p':
                        if (platform_parse(optarg, &o->platform, &err) < 0)
                                return tool_fail(err);
                        o->have_platform = true;
                        break;
                default:
                        return tool_usage();
                }
        }
        o->ro.insecure = o->insecure;
        return 0;
}

static int tool_client(const ToolOptions *o, RegistryClient **ret, LadeError **err)
{
        int r = registry_client_new(&o->ro, ret, err);
        if (r < 0)
                return r;
        if (o->chunk_size)
                registry_client_set_chunk_size(*ret, o->chunk_size);
        if (o->retry_delay_ms >= 0)
                registry_client_set_retry_delay(*ret, (unsigned) o->retry_delay_ms);
        return 0;
}

static void tool_stats(const ToolOptions *o, const RegistryClient *c)
{
        RegistryStats s;
        if (!o->stats || !c)
                return;
        registry_client_get_stats(c, &s);
        fprintf(stderr, "stats: get=%u head=%u post=%u put=%u patch=%u token=%u\n", s.get, s.head,
                s.post, s.put, s.patch, s.token);
}

static int tool_pull(const ToolOptions *o, RegistryClient *c, const char *refs, const char *dir,
                     LadeError **err)
{
        _cleanup_(image_ref_freep) ImageRef *ref = NULL;
        _cleanup_(blob_store_freep) BlobStore *store = NULL;
        PullResult res;
        int r = image_ref_parse(refs, &ref, err);
        if (r >= 0)
                r = blob_store_open(dir, &store, err);
        if (r >= 0)
                r = registry_pull(c, ref, o->have_platform ? &o->platform : NULL, store, &res, err);
        if (r < 0)
                return r;
        printf("manifest %s\nindex %s\nconfig %s\n", res.manifest_digest,
               res.index_digest[0] ? res.index_digest : "-", res.config_digest);
        return 0;
}

static int tool_push(RegistryClient *c, const char *refs, const char *dir, const char *digest,
                     LadeError **err)
{
        _cleanup_(image_ref_freep) ImageRef *ref = NULL;
        _cleanup_(blob_store_freep) BlobStore *store = NULL;
        int r = image_ref_parse(refs, &ref, err);
        if (r >= 0)
                r = blob_store_open(dir, &store, err);
        if (r >= 0)
                r = registry_push(c, ref, store, digest, err);
        return r;
}

static int tool_copy(const ToolOptions *o, RegistryClient *c, char **args, LadeError **err)
{
        _cleanup_(image_ref_freep) ImageRef *src = NULL, *dst = NULL;
        _cleanup_(blob_store_freep) BlobStore *store = NULL;
        PullResult res;
        int r = image_ref_parse(args[0], &src, err);
        if (r >= 0)
                r = image_ref_parse(args[1], &dst, err);
        if (r >= 0)
                r = blob_store_open(args[2], &store, err);
        if (r >= 0)
                r = registry_pull(c, src, o->have_platform ? &o->platform : NULL, store, &res, err);
        if (r >= 0)
                r = registry_push(c, dst, store, res.manifest_digest, err);
        if (r >= 0)
                printf("manifest %s\n", res.manifest_digest);
        return r;
}

static int tool_manifest(RegistryClient *c, const char *refs, LadeError **err)
{
        _cleanup_(image_ref_freep) ImageRef *ref = NULL;
        _cleanup_free_ char *data = NULL, *mt = NULL;
        size_t len = 0;
        int r = image_ref_parse(refs, &ref, err);
        if (r >= 0)
                r = registry_get_manifest(c, ref, &data, &len, &mt, err);
        if (r < 0)
                return r;
        fprintf(stderr, "media-type: %s\n", mt ? mt : "");
        (void) fwrite(data, 1, len, stdout);
        return 0;
}

static int tool_exists(RegistryClient *c, const char *refs, const char *digest, LadeError **err)
{
        _cleanup_(image_ref_freep) ImageRef *ref = NULL;
        bool exists = false;
        int r = image_ref_parse(refs, &ref, err);
        if (r >= 0)
                r = registry_blob_exists(c, ref, digest, &exists, err);
        if (r < 0)
                return r;
        return exists ? 0 : 3;
}

static int tool_ls_blobs(const char *dir, LadeError **err)
{
        _cleanup_(blob_store_freep) BlobStore *store = NULL;
        _cleanup_strv_free_ char **blobs = NULL;
        int r = blob_store_open(dir, &store, err);
        if (r >= 0)
                r = blob_store_list(store, &blobs, err);
        if (r < 0)
                return r;
        for (char **b = blobs; *b; b++)
                printf("%s\n", *b);
        return 0;
}

static int tool_run(ToolOptions *o, RegistryClient **c, int argc, char **argv, LadeError **err)
{
        const char *cmd = argv[0];
        if (streq(cmd, "ls-blobs") && argc == 2)
                return tool_ls_blobs(argv[1], err);
        if (streq(cmd, "logout") && argc == 3) {
                o->ro.auth_file = argv[2];
                return registry_logout(&o->ro, argv[1], err);
        }
        if (streq(cmd, "login") && argc == 5)
                o->ro.auth_file = argv[4];
        int r = tool_client(o, c, err);
        if (r < 0)
                return r;
        if (streq(cmd, "pull") && argc == 3)
                return tool_pull(o, *c, argv[1], argv[2], err);
        if (streq(cmd, "push") && argc == 4)
                return tool_push(*c, argv[1], argv[2], argv[3], err);
        if (streq(cmd, "copy") && argc == 4)
                return tool_copy(o, *c, argv + 1, err);
        if (streq(cmd, "manifest") && argc == 2)
                return tool_manifest(*c, argv[1], err);
        if (streq(cmd, "exists") && argc == 3)
                return tool_exists(*c, argv[1], argv[2], err);
        if (streq(cmd, "login") && argc == 5)
                return registry_login(*c, argv[1], argv[2], argv[3], err);
        return -EINVAL;
}

int main(int argc, char **argv)
{
        ToolOptions o = { .retry_delay_ms = -1 };
        LadeError *err = NULL;
        RegistryClient *c = NULL;
        int r = tool_parse_options(argc, argv, &o);
        if (r != 0)
                return r;
        if (optind >= argc)
                return tool_usage();
        r = tool_run(&o, &c, argc - optind, argv + optind, &err);
        tool_stats(&o, c);
        registry_client_free(c);
        strv_free(o.insecure);
        platform_done(&o.platform);
        if (r == -EINVAL && !err)
                return tool_usage();
        if (r < 0)
                return tool_fail(err);
        return r;
}

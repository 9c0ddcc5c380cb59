/* `system prune`: the docker CLI's composition of the prunes — stopped containers, unused
 * networks, (with --volumes) unused anonymous volumes, dangling (with -a: unused) images and the
 * build cache — with its warning, its sections and one total. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "build.h"
#include "cli.h"
#include "containers.h"
#include "engine-filters.h"
#include "format.h"
#include "json-util.h"
#include "network.h"
#include "util.h"
#include "volumes.h"

static bool confirm(bool all, bool volumes)
{
        printf("WARNING! This will remove:\n"
               "  - all stopped containers\n"
               "  - all networks not used by at least one container\n");
        if (volumes)
                printf("  - all anonymous volumes not used by at least one container\n");
        printf("  - %s\n", all ? "all images without at least one container associated to them" : "all dangling images");
        printf("  - %s\n", all ? "all build cache" : "unused build cache");
        printf("\nAre you sure you want to continue? [y/N] ");
        fflush(stdout);
        char line[16] = "";
        return fgets(line, sizeof(line), stdin) && (line[0] == 'y' || line[0] == 'Y');
}

int cmd_system_prune(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = {
                { "all", no_argument, NULL, 'a' }, { "force", no_argument, NULL, 'f' },
                { "volumes", no_argument, NULL, 'V' }, { "filter", required_argument, NULL, 'F' },
                { NULL, 0, NULL, 0 },
        };
        bool all = false, force = false, volumes = false;
        int o;
        while ((o = getopt_long(argc, argv, "af", opts, NULL)) != -1) {
                switch (o) {
                case 'a': all = true; break;
                case 'f': force = true; break;
                case 'V': volumes = true; break;
                case 'F':
                        fprintf(stderr, "lade: system prune: --filter is not supported; prune each kind with its own "
                                        "command (container, image, volume prune take filters)\n");
                        return 125;
                default: return 125;
                }
        }
        if (optind < argc)
                return cli_usage("\"system prune\" accepts no arguments.");
        if (!force && !confirm(all, volumes))
                return 0;
        Engine *e = cli_engine(c);
        LadeError *err = NULL;
        uint64_t reclaimed = 0;

        _cleanup_strv_free_ char **ids = NULL;
        uint64_t ctr_freed = 0;
        if (engine_container_prune(e, NULL, &ids, &ctr_freed, &err) < 0)
                return cli_fail(err);
        _cleanup_json_ json_t *cids = json_array();
        for (char **i = ids; i && *i; i++)
                json_array_append_new(cids, json_string(*i));
        format_print_deleted("Deleted Containers", cids);
        reclaimed += ctr_freed;

        _cleanup_json_ json_t *nets = NULL;
        if (engine_network_prune(e, &nets, &err) < 0)
                return cli_fail(err);
        format_print_deleted("Deleted Networks", nets);

        if (volumes) {
                _cleanup_(engine_filters_freep) EngineFilters *vf = engine_filters_new();
                _cleanup_json_ json_t *vols = NULL;
                uint64_t freed = 0;
                if (engine_volume_prune(e, vf, &vols, &freed, &err) < 0)
                        return cli_fail(err);
                format_print_deleted("Deleted Volumes", vols);
                reclaimed += freed;
        }

        _cleanup_(engine_filters_freep) EngineFilters *imf = engine_filters_new();
        if (all && engine_filters_add(imf, "dangling", "false", &err) < 0)
                return cli_fail(err);
        bool any = false;
        uint64_t freed = 0;
        if (engine_image_prune(e, imf, format_print_image_removed, &any, &freed, &err) < 0)
                return cli_fail(err);
        if (any)
                printf("\n");
        reclaimed += freed;

        uint64_t rows = 0;
        if (build_cache_prune(e, all, &rows, &err) < 0)
                return cli_fail(err);
        if (rows > 0)
                printf("Deleted build cache objects: %llu\n\n", (unsigned long long) rows);

        _cleanup_free_ char *sz = format_size((int64_t) reclaimed);
        printf("Total reclaimed space: %s\n", sz);
        return 0;
}

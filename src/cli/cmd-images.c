/* images, image inspect, history, tag, rmi, image prune, system df. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "containers.h"
#include "engine-filters.h"
#include "format.h"
#include "util.h"
#include "volumes.h"

static const char *short_id(const char *id)
{
        static char buf[16];
        snprintf(buf, sizeof(buf), "%.12s", startswith(id, "sha256:") ? id + 7 : id);
        return buf;
}

static void add_image_rows(json_t *rows, const ImageInfo *i)
{
        _cleanup_free_ char *size = format_size(i->size), *since = format_since(i->created);
        char created_at[64];
        time_t t = (time_t) i->created;
        struct tm tm;
        strftime(created_at, sizeof(created_at), "%Y-%m-%d %H:%M:%S %z %Z", localtime_r(&t, &tm));
        char **tags = i->repo_tags && i->repo_tags[0] ? i->repo_tags : (char *[]){ "<none>:<none>", NULL };
        for (char **tg = tags; *tg; tg++) {
                const char *colon = strrchr(*tg, ':');
                _cleanup_free_ char *repo = xstrndup(*tg, (size_t) (colon - *tg));
                const char *digest = "<none>";
                for (char **d = i->repo_digests; d && *d; d++)
                        if (startswith(*d, repo) && (*d)[strlen(repo)] == '@')
                                digest = *d + strlen(repo) + 1;
                json_array_append_new(rows, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}",
                                                      "Repository", repo, "Tag", colon + 1, "ID", short_id(i->id),
                                                      "CreatedSince", since, "CreatedAt", created_at, "Size", size,
                                                      "Digest", digest, "Containers", "N/A", "SharedSize", "N/A",
                                                      "UniqueSize", "N/A"));
        }
}

int cmd_images(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = { { "all", no_argument, NULL, 'a' }, { "quiet", no_argument, NULL, 'q' },
                                              { "digests", no_argument, NULL, 'D' }, { "filter", required_argument, NULL, 'f' },
                                              { "format", required_argument, NULL, 'F' }, { "no-trunc", no_argument, NULL, 'n' },
                                              { NULL, 0, NULL, 0 } };
        bool quiet = false, digests = false, no_trunc = false;
        const char *format = NULL;
        _cleanup_(engine_filters_freep) EngineFilters *filters = engine_filters_new();
        LadeError *err = NULL;
        int o;
        while ((o = getopt_long(argc, argv, "aqf:", opts, NULL)) != -1) {
                switch (o) {
                case 'a': break;
                case 'q': quiet = true; break;
                case 'D': digests = true; break;
                case 'f':
                        if (engine_filters_add_arg(filters, optarg, &err) < 0)
                                return cli_fail(err);
                        break;
                case 'F': format = optarg; break;
                case 'n': no_trunc = true; break;
                default: return 125;
                }
        }
        /* as the docker CLI: `images REPO[:TAG]` is one more reference filter */
        if (optind < argc && engine_filters_add(filters, "reference", argv[optind], &err) < 0)
                return cli_fail(err);
        ImageInfo **l = NULL;
        size_t n = 0;
        if (engine_image_list(cli_engine(c), filters, &l, &n, &err) < 0)
                return cli_fail(err);
        json_t *rows = json_array();
        for (size_t i = 0; i < n; i++) {
                if (quiet) {
                        printf("%s\n", no_trunc ? l[i]->id : short_id(l[i]->id));
                        continue;
                }
                add_image_rows(rows, l[i]);
                if (no_trunc) {
                        json_t *last = json_array_get(rows, json_array_size(rows) - 1);
                        json_object_set_new(last, "ID", json_string(l[i]->id));
                }
        }
        int frc = 0;
        if (!quiet) {
                json_t *h = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "Repository", "REPOSITORY", "Tag", "TAG",
                                      "ID", "IMAGE ID", "CreatedSince", "CREATED", "CreatedAt", "CREATED AT",
                                      "Size", "SIZE", "Digest", "DIGEST", "Containers", "CONTAINERS");
                frc = format_print(stdout, format,
                             digests ? "{{.Repository}}\\t{{.Tag}}\\t{{.Digest}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}"
                                     : "{{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}",
                             h, rows);
                json_decref(h);
        }
        json_decref(rows);
        image_info_list_free(l, n);
        return frc;
}

int cmd_image_inspect(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = { { "format", required_argument, NULL, 'f' },
                                              { "type", required_argument, NULL, 't' }, { NULL, 0, NULL, 0 } };
        const char *format = NULL;
        int o;
        while ((o = getopt_long(argc, argv, "f:", opts, NULL)) != -1) {
                if (o == 'f')
                        format = optarg;
                else if (o != 't')
                        return 125;
        }
        if (optind >= argc)
                return cli_usage("\"inspect\" requires at least 1 argument.");
        json_t *all = json_array();
        int rc = 0;
        for (int i = optind; i < argc; i++) {
                _cleanup_(image_info_freep) ImageInfo *info = NULL;
                LadeError *err = NULL;
                if (image_store_resolve(engine_images(cli_engine(c)), argv[i], &info, &err) < 0) {
                        fprintf(stderr, "Error: %s\n", lade_error_message(err));
                        lade_error_free(err);
                        rc = 1;
                        continue;
                }
                json_array_append_new(all, engine_image_inspect_json(cli_engine(c), info));
        }
        int frc = format_print_inspect(stdout, format, all);
        json_decref(all);
        return frc ? frc : rc;
}

int cmd_history(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = { { "quiet", no_argument, NULL, 'q' }, { "no-trunc", no_argument, NULL, 'n' },
                                              { "human", required_argument, NULL, 'H' },
                                              { "format", required_argument, NULL, 'F' }, { NULL, 0, NULL, 0 } };
        bool quiet = false, no_trunc = false;
        const char *format = NULL;
        int o;
        while ((o = getopt_long(argc, argv, "qH:", opts, NULL)) != -1) {
                if (o == 'q') quiet = true;
                else if (o == 'n') no_trunc = true;
                else if (o == 'F') format = optarg;
                else if (o != 'H') return 125;
        }
        if (optind + 1 != argc)
                return cli_usage("\"history\" requires exactly 1 argument.");
        _cleanup_(image_info_freep) ImageInfo *info = NULL;
        LadeError *err = NULL;
        if (image_store_resolve(engine_images(cli_engine(c)), argv[optind], &info, &err) < 0)
                return cli_fail(err);
        json_t *hist = engine_image_history_json(cli_engine(c), info), *rows = json_array();
        size_t i;
        json_t *h;
        json_array_foreach(hist, i, h) {
                const char *id = json_string_value(json_object_get(h, "Id"));
                const char *by = json_string_value(json_object_get(h, "CreatedBy"));
                if (quiet) {
                        printf("%s\n", streq(id, "<missing>") || no_trunc ? id : short_id(id));
                        continue;
                }
                _cleanup_free_ char *since = format_since(json_integer_value(json_object_get(h, "Created")));
                _cleanup_free_ char *size = format_size(json_integer_value(json_object_get(h, "Size")));
                _cleanup_free_ char *by_s = !no_trunc && strlen(by) > 45 ? xasprintf("%.44s…", by) : xstrdup(by);
                json_array_append_new(rows, json_pack("{s:s,s:s,s:s,s:s,s:s}", "ID",
                                                      streq(id, "<missing>") || no_trunc ? id : short_id(id),
                                                      "CreatedSince", since, "CreatedBy", by_s, "Size", size,
                                                      "Comment", json_string_value(json_object_get(h, "Comment"))));
        }
        json_t *hd = json_pack("{s:s,s:s,s:s,s:s,s:s}", "ID", "IMAGE", "CreatedSince", "CREATED", "CreatedBy",
                               "CREATED BY", "Size", "SIZE", "Comment", "COMMENT");
        int frc = 0;
        if (!quiet)
                frc = format_print(stdout, format, "{{.ID}}\\t{{.CreatedSince}}\\t{{.CreatedBy}}\\t{{.Size}}\\t{{.Comment}}", hd, rows);
        json_decref(hd);
        json_decref(rows);
        json_decref(hist);
        return frc;
}

int cmd_tag(Cli *c, int argc, char **argv)
{
        if (argc != 3)
                return cli_usage("\"tag\" requires exactly 2 arguments.");
        LadeError *err = NULL;
        if (engine_image_tag(cli_engine(c), argv[1], argv[2], &err) < 0)
                return cli_fail(err);
        return 0;
}

static void print_removed(void *ud, const char *what, const char *name)
{
        printf("%s: %s\n", what, name);
}

int cmd_rmi(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = { { "force", no_argument, NULL, 'f' }, { "no-prune", no_argument, NULL, 'n' },
                                              { NULL, 0, NULL, 0 } };
        bool force = false;
        int o;
        while ((o = getopt_long(argc, argv, "f", opts, NULL)) != -1) {
                if (o == 'f') force = true;
                else if (o != 'n') return 125;
        }
        if (optind >= argc)
                return cli_usage("\"rmi\" requires at least 1 argument.");
        int rc = 0;
        for (int i = optind; i < argc; i++) {
                LadeError *err = NULL;
                if (engine_image_remove(cli_engine(c), argv[i], force, print_removed, NULL, &err) < 0)
                        rc = cli_fail(err);
        }
        return rc;
}

int cmd_image_prune(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = { { "all", no_argument, NULL, 'a' }, { "force", no_argument, NULL, 'f' },
                                              { "filter", required_argument, NULL, 'F' }, { NULL, 0, NULL, 0 } };
        _cleanup_(engine_filters_freep) EngineFilters *filters = engine_filters_new();
        LadeError *err = NULL;
        int o;
        while ((o = getopt_long(argc, argv, "af", opts, NULL)) != -1) {
                if (o == 'a' && engine_filters_add(filters, "dangling", "false", &err) < 0)
                        return cli_fail(err);
                if (o == 'F' && engine_filters_add_arg(filters, optarg, &err) < 0)
                        return cli_fail(err);
                if (o != 'a' && o != 'f' && o != 'F')
                        return 125;
        }
        bool any = false;
        uint64_t freed = 0;
        if (engine_image_prune(cli_engine(c), filters, format_print_image_removed, &any, &freed, &err) < 0)
                return cli_fail(err);
        _cleanup_free_ char *sz = format_size((int64_t) freed);
        printf("%sTotal reclaimed space: %s\n", any ? "\n" : "", sz);
        return 0;
}

/* The docker CLI's "Local Volumes" row: RECLAIMABLE with a percentage when there is a size. */
static void print_volumes_usage(Cli *c)
{
        EngineVolumeUsage vu = { 0 };
        LadeError *err = NULL;
        if (engine_volume_disk_usage(cli_engine(c), &vu, &err) < 0)
                lade_error_free(err);
        _cleanup_free_ char *size = format_size((int64_t) vu.size);
        _cleanup_free_ char *rec = format_size((int64_t) vu.reclaimable);
        _cleanup_free_ char *pct = vu.size ? xasprintf(" (%llu%%)", (unsigned long long) (vu.reclaimable * 100 / vu.size))
                                           : xstrdup("");
        printf("%-16s%-11llu%-10llu%-14s%s%s\n", "Local Volumes", (unsigned long long) vu.total,
               (unsigned long long) vu.active, size, rec, pct);
}

/* The Containers line: their writable layers; those not running are reclaimable. */
static void print_containers_usage(Cli *c)
{
        ContainerInfo **l = NULL;
        size_t n = 0, active = 0;
        int64_t total = 0, reclaimable = 0;
        if (engine_container_list(cli_engine(c), true, &l, &n, NULL) < 0)
                n = 0;
        for (size_t i = 0; i < n; i++) {
                int64_t rw = 0, rootfs;
                (void) engine_container_size(cli_engine(c), l[i]->id, &rw, &rootfs, NULL);
                bool up = streq(l[i]->state, "running") || streq(l[i]->state, "paused") ||
                          streq(l[i]->state, "restarting");
                active += up;
                total += rw;
                if (!up)
                        reclaimable += rw;
        }
        container_info_list_free(l, n);
        _cleanup_free_ char *size = format_size_digits(total, 4), *rec = format_size_digits(reclaimable, 4);
        _cleanup_free_ char *recl = total > 0 ? xasprintf("%s (%lld%%)", rec, (long long) (reclaimable * 100 / total))
                                              : xstrdup(rec);
        printf("%-16s%-11zu%-10zu%-14s%s\n", "Containers", n, active, size, recl);
}

int cmd_system_df(Cli *c, int argc, char **argv)
{
        EngineDiskUsage du;
        LadeError *err = NULL;
        if (engine_disk_usage(cli_engine(c), &du, &err) < 0)
                return cli_fail(err);
        _cleanup_free_ char *size = format_size((int64_t) du.images_size);
        printf("%-16s%-11s%-10s%-14s%s\n", "TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE");
        printf("%-16s%-11llu%-10llu%-14s%s (100%%)\n", "Images", (unsigned long long) du.images, 0ULL, size, size);
        print_containers_usage(c);
        print_volumes_usage(c);
        printf("%-16s%-11d%-10d%-14s%s\n", "Build Cache", 0, 0, "0B", "0B");
        return 0;
}

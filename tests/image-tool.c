/* image-tool: a thin driver of the image archive code for the integration tests.
 *
 *   image-tool load STORE FILE                         "Loaded image: REF" / "Loaded image ID: ID"
 *   image-tool save STORE FILE NAME...
 *   image-tool import STORE FILE REF [--change X]... [--message M] [--platform P]
 *                                                      REF "-" imports untagged; prints the ID
 *   image-tool ls STORE                                "ID MANIFEST-DIGEST TAG,TAG" per image
 *
 * FILE "-" is stdin (load, import) or stdout (save). Exit status 1 with the error on stderr. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image-archive.h"
#include "util.h"

static int tool_fail(LadeError *err)
{
        fprintf(stderr, "image-tool: %s\n", lade_error_message(err));
        lade_error_free(err);
        return 1;
}

static int tool_usage(void)
{
        fprintf(stderr, "usage: image-tool load STORE FILE | save STORE FILE NAME... | "
                        "import STORE FILE REF [--change X]... [--message M] [--platform P] | ls STORE\n");
        return 2;
}

static int tool_open_file(const char *path, bool write, LadeError **err)
{
        if (streq(path, "-"))
                return dup(write ? STDOUT_FILENO : STDIN_FILENO);
        int fd = write ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)
                       : open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return lade_error(err, errno, "open '%s'", path);
        return fd;
}

static void tool_loaded(void *userdata, const char *ref, const char *id)
{
        if (ref)
                printf("Loaded image: %s\n", ref);
        else
                printf("Loaded image ID: %s\n", id);
}

static int tool_load(ImageStore *s, int argc, char **argv, LadeError **err)
{
        if (argc != 1)
                return tool_usage();
        _cleanup_close_ int fd = tool_open_file(argv[0], false, err);
        if (fd < 0)
                return 1;
        return image_archive_load(s, fd, tool_loaded, NULL, err) < 0 ? 1 : 0;
}

static int tool_save(ImageStore *s, int argc, char **argv, LadeError **err)
{
        if (argc < 2)
                return tool_usage();
        _cleanup_close_ int fd = tool_open_file(argv[0], true, err);
        if (fd < 0)
                return 1;
        return image_archive_save(s, argv + 1, fd, err) < 0 ? 1 : 0;
}

static int tool_import(ImageStore *s, int argc, char **argv, LadeError **err)
{
        if (argc < 2)
                return tool_usage();
        _cleanup_strv_free_ char **changes = xmalloc0(sizeof(char *));
        ImportOptions o = { .ref = streq(argv[1], "-") ? NULL : argv[1] };
        for (int i = 2; i < argc; i++) {
                if (i + 1 >= argc)
                        return tool_usage();
                if (streq(argv[i], "--change"))
                        changes = strv_append(changes, argv[++i]);
                else if (streq(argv[i], "--message"))
                        o.message = argv[++i];
                else if (streq(argv[i], "--platform"))
                        o.platform = argv[++i];
                else
                        return tool_usage();
        }
        o.changes = changes;
        _cleanup_close_ int fd = tool_open_file(argv[0], false, err);
        char id[72];
        if (fd < 0 || image_archive_import(s, fd, &o, id, err) < 0)
                return 1;
        printf("%s\n", id);
        return 0;
}

static int tool_ls(ImageStore *s, int argc, char **argv, LadeError **err)
{
        ImageInfo **l = NULL;
        size_t n = 0;
        if (argc != 0)
                return tool_usage();
        if (image_store_list(s, &l, &n, err) < 0)
                return 1;
        for (size_t i = 0; i < n; i++) {
                printf("%s %s ", l[i]->id, *l[i]->manifest_digest ? l[i]->manifest_digest : "-");
                for (char **t = l[i]->repo_tags; t && *t; t++)
                        printf("%s%s", *t, t[1] ? "," : "");
                printf("%s\n", l[i]->repo_tags && l[i]->repo_tags[0] ? "" : "<none>");
        }
        image_info_list_free(l, n);
        return 0;
}

int main(int argc, char **argv)
{
        static const struct {
                const char *name;
                int (*fn)(ImageStore *s, int argc, char **argv, LadeError **err);
        } commands[] = {
                { "load", tool_load }, { "save", tool_save }, { "import", tool_import }, { "ls", tool_ls },
        };
        if (argc < 3)
                return tool_usage();
        for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
                if (!streq(argv[1], commands[i].name))
                        continue;
                LadeError *err = NULL;
                _cleanup_(image_store_freep) ImageStore *s = NULL;
                if (image_store_open(argv[2], &s, &err) < 0)
                        return tool_fail(err);
                int r = commands[i].fn(s, argc - 3, argv + 3, &err);
                if (fflush(stdout) != 0 && r == 0)
                        r = 1;
                return err ? tool_fail(err) : r;
        }
        return tool_usage();
}

/* Replays a fuzz corpus (files or directories given as arguments) through LLVMFuzzerTestOneInput,
 * so every corpus entry is a regression test in the ordinary test suite. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
        FILE *f = fopen(path, "rbe");
        if (!f) {
                perror(path);
                return -1;
        }
        size_t cap = 1 << 16, len = 0;
        uint8_t *buf = malloc(cap);
        size_t k;
        while (buf && (k = fread(buf + len, 1, cap - len, f)) > 0) {
                len += k;
                if (len == cap) {
                        uint8_t *bigger = realloc(buf, cap * 2);
                        if (!bigger) {
                                free(buf);
                                fclose(f);
                                return -1;
                        }
                        buf = bigger;
                        cap *= 2;
                }
        }
        fclose(f);
        if (!buf)
                return -1;
        LLVMFuzzerTestOneInput(buf, len);
        free(buf);
        return 0;
}

static int replay(const char *path, int *count)
{
        struct stat st;
        if (stat(path, &st) < 0) {
                perror(path);
                return -1;
        }
        if (!S_ISDIR(st.st_mode)) {
                (*count)++;
                return replay_file(path);
        }
        struct dirent **names;
        int n = scandir(path, &names, NULL, alphasort);
        if (n < 0) {
                perror(path);
                return -1;
        }
        int r = 0;
        for (int i = 0; i < n; i++) {
                if (names[i]->d_name[0] != '.') {
                        char sub[4096];
                        snprintf(sub, sizeof(sub), "%s/%s", path, names[i]->d_name);
                        if (replay(sub, count) < 0)
                                r = -1;
                }
                free(names[i]);
        }
        free(names);
        return r;
}

int main(int argc, char **argv)
{
        int count = 0, r = 0;
        for (int i = 1; i < argc; i++)
                if (replay(argv[i], &count) < 0)
                        r = 1;
        printf("replayed %d inputs\n", count);
        return r;
}

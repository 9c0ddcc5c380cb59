/* Fuzzes the `docker run` flag parser: the input, split on NULs, is argv (argv[0] the verb), run
 * through run_flags_parse and freed. Arguments that would make the parser read a file
 * (--env-file, --label-file, seccomp=FILE) are dropped from the input, so a fuzzer can never make it
 * open /dev/stdin or a FIFO; the whole input is fed to the env-file reader through a memfd
 * instead, which covers that parser without touching the file system. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "run-flags-internal.h"
#include "util.h"

#define FUZZ_ARGS_MAX 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool reads_file(const char *a)
{
        return strstr(a, "-file") || strstr(a, "seccomp");
}

static void fuzz_kv_file(const uint8_t *data, size_t size)
{
        int fd = memfd_create("fuzz-env", MFD_CLOEXEC);
        if (fd < 0)
                return;
        if (write_all(fd, data, size) == 0) {
                char path[64];
                snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
                for (int lookup = 0; lookup < 2; lookup++) {
                        char **list = NULL;
                        LadeError *err = NULL;
                        (void) run_read_kv_file(path, lookup, &list, &err);
                        strv_free(list);
                        lade_error_free(err);
                }
        }
        close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > 65536)
                return 0;
        char *text = xmalloc(size + 1), *argv[FUZZ_ARGS_MAX + 1];
        int argc = 0;
        memcpy(text, data, size);
        text[size] = '\0';
        for (size_t i = 0; i <= size && argc < FUZZ_ARGS_MAX;) {
                char *a = text + i;
                if (!reads_file(a))
                        argv[argc++] = a;
                i += strlen(a) + 1;
        }
        argv[argc] = NULL;
        RunFlags f = {};
        LadeError *err = NULL;
        if (run_flags_parse(argc, argv, &f, &err) >= 0)
                run_flags_done(&f);
        lade_error_free(err);
        free(text);
        fuzz_kv_file(data, size);
        return 0;
}

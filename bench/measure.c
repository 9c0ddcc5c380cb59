/* lade-measure: runs a command N times and prints, per run, its wall time and the peak RSS of
 * everything it left for us to reap.
 *
 * Each sample runs in a fresh fork of this program (the "sampler"): the sampler starts the
 * clock, spawns the command, waits for it, stops the clock and reads getrusage(RUSAGE_CHILDREN).
 * ru_maxrss of RUSAGE_CHILDREN is a maximum over every descendant ever reaped by the caller,
 * so reading it in a long-lived process would make every sample after the biggest one report the
 * same number; a sampler that exits after one run keeps the samples independent.
 *
 * Output, one line per sample (machine-readable, space-separated key=value):
 *   sample=1 wall_us=12345 maxrss_kib=3312 status=0
 * status is the exit code, or 128+signal when the command was killed. Exits 0 when every run
 * exited 0, 1 when some did not, 2 on a usage or system error. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MEASURE_MAX_COUNT 1000000L

static long long now_us(void)
{
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static int wait_status_code(int status)
{
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return 255;
}

/* Runs in the sampler: one timed run of argv, one line to out_fd. Returns the exit code. */
static int sample_once(unsigned long idx, char **argv, int out_fd)
{
        struct rusage ru;
        long long t0, t1;
        pid_t pid;
        int status, r;

        t0 = now_us();
        r = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
        if (r != 0) {
                fprintf(stderr, "lade-measure: spawn '%s': %s\n", argv[0], strerror(r));
                return 127;
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        fprintf(stderr, "lade-measure: waitpid: %s\n", strerror(errno));
                        return 255;
                }
        t1 = now_us();
        if (getrusage(RUSAGE_CHILDREN, &ru) < 0) {
                fprintf(stderr, "lade-measure: getrusage: %s\n", strerror(errno));
                return 255;
        }
        (void) dprintf(out_fd, "sample=%lu wall_us=%lld maxrss_kib=%ld status=%d\n", idx, t1 - t0,
                       ru.ru_maxrss, wait_status_code(status));
        return wait_status_code(status);
}

/* Forks a sampler for one run and returns its exit code (the command's). */
static int run_sampler(unsigned long idx, char **argv, int out_fd)
{
        pid_t pid;
        int status;

        pid = fork();
        if (pid < 0) {
                fprintf(stderr, "lade-measure: fork: %s\n", strerror(errno));
                return 255;
        }
        if (pid == 0)
                _exit(sample_once(idx, argv, out_fd));
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        fprintf(stderr, "lade-measure: waitpid: %s\n", strerror(errno));
                        return 255;
                }
        return wait_status_code(status);
}

static void usage(FILE *f)
{
        fputs("usage: lade-measure [-n COUNT] [-o FILE] [--] COMMAND [ARG...]\n"
              "  -n COUNT  run COMMAND COUNT times, one after another (default 1)\n"
              "  -o FILE   append the sample lines to FILE instead of stdout\n",
              f);
}

int main(int argc, char *argv[])
{
        unsigned long count = 1, i;
        int out_fd = STDOUT_FILENO, failed = 0, c;
        char *end;

        while ((c = getopt(argc, argv, "+hn:o:")) != -1) {
                switch (c) {
                case 'n':
                        errno = 0;
                        count = strtoul(optarg, &end, 10);
                        if (errno != 0 || *end != '\0' || count == 0 ||
                            count > (unsigned long) MEASURE_MAX_COUNT) {
                                fprintf(stderr, "lade-measure: bad count '%s'\n", optarg);
                                return 2;
                        }
                        break;
                case 'o':
                        out_fd = open(optarg, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
                        if (out_fd < 0) {
                                fprintf(stderr, "lade-measure: open '%s': %s\n", optarg,
                                        strerror(errno));
                                return 2;
                        }
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (optind >= argc) {
                usage(stderr);
                return 2;
        }

        /* Flush before forking so no buffered output is written twice. */
        (void) fflush(stdout);
        for (i = 1; i <= count; i++)
                if (run_sampler(i, argv + optind, out_fd) != 0)
                        failed = 1;
        return failed;
}

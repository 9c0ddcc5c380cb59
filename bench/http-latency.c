/* lade-http-latency: the time a server on a unix socket takes to answer one HTTP request on a
 * new connection (what the docker CLI opens for each command), for two or more servers side by
 * side, interleaved.
 *
 *   lade-http-latency [-n COUNT] [-m METHOD] PATH SOCKET...
 *
 * Each sample: socket(), connect(), one "METHOD PATH HTTP/1.1" request with "Connection: close",
 * read to EOF, close() — timed from before the socket to after the close. Rounds alternate the
 * order of the servers. Prints, per server, the p10, median and p90 in microseconds and the
 * number of response bytes:
 *   socket=/run/a.sock p10_us=80 median_us=95 p90_us=130 bytes=51234
 * Exits 1 when a request fails or a response is not "HTTP/1.1 2xx", 2 on bad usage. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_SERVERS 8
#define MAX_COUNT 100000L

static long long now_ns(void)
{
        struct timespec ts;
        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_ll(const void *a, const void *b)
{
        long long x = *(const long long *) a, y = *(const long long *) b;
        return x < y ? -1 : x > y;
}

/* One request; its duration in *ret_ns and the response's size in *ret_bytes. */
static int sample(const char *sock, const char *req, size_t req_len, char *buf, size_t buf_size,
                  long long *ret_ns, size_t *ret_bytes)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(sock) >= sizeof(sa.sun_path)) {
                fprintf(stderr, "lade-http-latency: socket path too long: %s\n", sock);
                return -1;
        }
        memcpy(sa.sun_path, sock, strlen(sock) + 1);
        long long t0 = now_ns();
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                fprintf(stderr, "lade-http-latency: connect %s: %s\n", sock, strerror(errno));
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        size_t off = 0;
        while (off < req_len) {
                ssize_t n = write(fd, req + off, req_len - off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        fprintf(stderr, "lade-http-latency: write %s: %s\n", sock, strerror(errno));
                        close(fd);
                        return -1;
                }
                off += (size_t) n;
        }
        size_t got = 0, total = 0;
        for (;;) {
                /* the head is kept for the status check; the rest is counted and dropped */
                ssize_t n = read(fd, buf + got, buf_size - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                total += (size_t) n;
                if (got + (size_t) n < buf_size)
                        got += (size_t) n;
        }
        close(fd);
        *ret_ns = now_ns() - t0;
        *ret_bytes = total;
        if (got < 12 || strncmp(buf, "HTTP/1.1 2", 10) != 0) {
                fprintf(stderr, "lade-http-latency: %s answered: %.*s\n", sock, (int) (got < 80 ? got : 80), buf);
                return -1;
        }
        return 0;
}

int main(int argc, char **argv)
{
        long count = 200;
        const char *method = "GET";
        int opt;
        while ((opt = getopt(argc, argv, "n:m:")) != -1) {
                char *end;
                switch (opt) {
                case 'n':
                        errno = 0;
                        count = strtol(optarg, &end, 10);
                        if (errno || *end || count < 1 || count > MAX_COUNT) {
                                fprintf(stderr, "lade-http-latency: -n: expected 1..%ld, not '%s'\n", MAX_COUNT, optarg);
                                return 2;
                        }
                        break;
                case 'm':
                        method = optarg;
                        break;
                default:
                        return 2;
                }
        }
        int nserv = argc - optind - 1;
        if (nserv < 1 || nserv > MAX_SERVERS) {
                fprintf(stderr, "usage: lade-http-latency [-n COUNT] [-m METHOD] PATH SOCKET... (1 to %d sockets)\n",
                        MAX_SERVERS);
                return 2;
        }
        const char *path = argv[optind];
        char **socks = argv + optind + 1;
        char req[4096];
        int req_len = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: api.moby.localhost\r\n"
                               "User-Agent: lade-http-latency\r\nConnection: close\r\n\r\n", method, path);
        if (req_len < 0 || (size_t) req_len >= sizeof(req)) {
                fprintf(stderr, "lade-http-latency: request path too long\n");
                return 2;
        }
        static char buf[1 << 16];
        long long *t[MAX_SERVERS];
        size_t bytes[MAX_SERVERS] = { 0 };
        for (int s = 0; s < nserv; s++) {
                t[s] = calloc((size_t) count, sizeof(long long));
                if (!t[s])
                        return 2;
        }
        for (long i = 0; i < count; i++)
                for (int k = 0; k < nserv; k++) {
                        /* even rounds in order, odd rounds reversed */
                        int s = i % 2 ? nserv - 1 - k : k;
                        if (sample(socks[s], req, (size_t) req_len, buf, sizeof(buf), &t[s][i], &bytes[s]) < 0)
                                return 1;
                }
        for (int s = 0; s < nserv; s++) {
                qsort(t[s], (size_t) count, sizeof(long long), cmp_ll);
                printf("socket=%s p10_us=%lld median_us=%lld p90_us=%lld bytes=%zu\n", socks[s],
                       t[s][count / 10] / 1000, t[s][count / 2] / 1000, t[s][count * 9 / 10] / 1000, bytes[s]);
                free(t[s]);
        }
        return 0;
}

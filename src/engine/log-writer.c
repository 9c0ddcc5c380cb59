/* The json-file log driver's writer, as Docker writes it: one JSON object per line,
 * {"log":"text\n","stream":"stdout","time":"2026-11-29T12:00:00.123456789Z"}, lines longer than
 * 16 KiB split into partial records, rotation at max-size into <log>.1 … <log>.(max-file - 1).
 * Runs in the monitors (full and idle); container-logs.c reads. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "monitor-loop.h"
#include "util.h"

#define LOG_LINE_MAX 16384

struct LogWriter {
        int fd;
        char *path;
        uint64_t size, max_size;
        int max_file;
        char buf[2][LOG_LINE_MAX];
        size_t len[2];
};

/* Docker's units for max-size: k, m, g (powers of 1024), optional "b". */
static int parse_log_size(const char *s, uint64_t *ret)
{
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || end == s)
                return -EINVAL;
        uint64_t mul = 1;
        switch (*end) {
        case 'k': case 'K': mul = 1024; end++; break;
        case 'm': case 'M': mul = 1024 * 1024; end++; break;
        case 'g': case 'G': mul = 1024 * 1024 * 1024; end++; break;
        default: break;
        }
        if (*end == 'b' || *end == 'B')
                end++;
        if (*end)
                return -EINVAL;
        *ret = v * mul;
        return 0;
}

int log_writer_open(const char *path, json_t *config, LogWriter **ret, LadeError **err)
{
        _cleanup_free_ LogWriter *w = xmalloc0(sizeof(*w));
        w->max_file = 1;
        const char *ms = json_string_value(json_object_get(config, "max-size"));
        const char *mf = json_string_value(json_object_get(config, "max-file"));
        if (ms && parse_log_size(ms, &w->max_size) < 0)
                return lade_error_msg(err, EINVAL, "invalid value for log-opt max-size: %s", ms);
        int64_t n;
        if (mf && (parse_int64(mf, &n) < 0 || n < 1 || n > 1000))
                return lade_error_msg(err, EINVAL, "invalid value for log-opt max-file: %s", mf);
        if (mf)
                w->max_file = (int) n;
        w->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (w->fd < 0)
                return lade_error(err, errno, "open log file '%s'", path);
        struct stat st;
        w->size = fstat(w->fd, &st) == 0 ? (uint64_t) st.st_size : 0;
        w->path = xstrdup(path);
        *ret = TAKE_PTR(w);
        return 0;
}

/* Go's time.RFC3339Nano: trailing zeros of the fraction trimmed. */
static void log_time(char out[64])
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t ns = (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
        time_t s = (time_t) (ns / 1000000000);
        struct tm tm;
        gmtime_r(&s, &tm);
        size_t n = strftime(out, 64, "%Y-%m-%dT%H:%M:%S", &tm);
        long frac = (long) (ns % 1000000000);
        if (frac) {
                char f[16];
                snprintf(f, sizeof(f), "%09ld", frac);
                for (size_t k = strlen(f); k > 0 && f[k - 1] == '0'; k--)
                        f[k - 1] = 0;
                n += (size_t) snprintf(out + n, 64 - n, ".%s", f);
        }
        snprintf(out + n, 64 - n, "Z");
}

static void rotate(LogWriter *w)
{
        if (w->max_file <= 1) {
                /* Docker truncates the single file */
                (void) ftruncate(w->fd, 0);
                w->size = 0;
                return;
        }
        for (int i = w->max_file - 1; i > 0; i--) {
                _cleanup_free_ char *from = i == 1 ? xstrdup(w->path) : xasprintf("%s.%d", w->path, i - 1);
                _cleanup_free_ char *to = xasprintf("%s.%d", w->path, i);
                (void) rename(from, to);
        }
        safe_close(w->fd);
        w->fd = open(w->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        w->size = 0;
}

static void emit(LogWriter *w, const char *stream, const char *text, size_t len)
{
        char t[64];
        log_time(t);
        json_t *o = json_object();
        json_object_set_new(o, "log", json_stringn_nocheck(text, len));
        json_object_set_new(o, "stream", json_string(stream));
        json_object_set_new(o, "time", json_string(t));
        char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
        json_decref(o);
        if (!line)
                return;
        size_t n = strlen(line);
        line[n] = '\n';
        if (w->max_size && w->size + n + 1 > w->max_size && w->size > 0)
                rotate(w);
        if (w->fd >= 0 && write_all(w->fd, line, n + 1) == 0)
                w->size += n + 1;
        free(line);
}

void log_writer_write(LogWriter *w, const char *stream, const char *buf, size_t len)
{
        int s = streq(stream, "stderr");
        while (len > 0) {
                const char *nl = memchr(buf, '\n', len);
                size_t take = nl ? (size_t) (nl - buf) + 1 : len;
                size_t room = LOG_LINE_MAX - w->len[s];
                if (take > room)
                        take = room;
                memcpy(w->buf[s] + w->len[s], buf, take);
                w->len[s] += take;
                buf += take;
                len -= take;
                if (w->buf[s][w->len[s] - 1] == '\n' || w->len[s] == LOG_LINE_MAX) {
                        emit(w, stream, w->buf[s], w->len[s]);
                        w->len[s] = 0;
                }
        }
}

LogWriter *log_writer_free(LogWriter *w)
{
        if (!w)
                return NULL;
        for (int s = 0; s < 2; s++)
                if (w->len[s])
                        emit(w, s ? "stderr" : "stdout", w->buf[s], w->len[s]);
        safe_close(w->fd);
        free(w->path);
        free(w);
        return NULL;
}


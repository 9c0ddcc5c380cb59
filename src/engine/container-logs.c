/* `lade logs`: the json-file log (see log-writer.c for the format) read directly from the
 * container's directory, with --tail/--since/--until and -f (inotify, across rotations). */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "containers-internal.h"
#include "json-util.h"
#include "util.h"

/* ---- reader ---- */

static int64_t parse_log_time(const char *s)
{
        struct tm tm = { 0 };
        const char *p = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
        if (!p)
                return 0;
        int64_t ns = (int64_t) timegm(&tm) * 1000000000;
        if (*p == '.') {
                int64_t mul = 100000000;
                for (p++; *p >= '0' && *p <= '9'; p++, mul /= 10)
                        ns += (*p - '0') * mul;
        }
        return ns;
}

typedef struct LogLine {
        char *stream, *text;
        size_t len;
        int64_t ns;
} LogLine;

/* The files are streamed (64 KiB at a time), never read whole: without --tail each line goes
 * to the caller as it is parsed (direct); with --tail N only the newest N are kept (a ring of N
 * lines, ring_max >= 0); while following, the lines of one read are collected, then delivered. */
typedef struct LogRead {
        const LogsOptions *o;
        LogLine *lines;
        size_t n, cap;
        bool direct;
        long ring_max;        /* -1: no ring */
        size_t ring_head;
        LogsFn fn;
        void *ud;
        int r;                /* the callback's first failure (direct mode) */
} LogRead;

static void log_line_free(LogLine *l)
{
        free(l->stream);
        free(l->text);
}

static void keep_line(LogRead *lr, LogLine l)
{
        if (lr->direct) {
                if (lr->r == 0)
                        lr->r = lr->fn(l.stream, l.ns, l.text, l.len, lr->ud);
                log_line_free(&l);
                return;
        }
        if (lr->ring_max == 0) {
                log_line_free(&l);
                return;
        }
        if (lr->ring_max > 0 && lr->n == (size_t) lr->ring_max) {
                log_line_free(&lr->lines[lr->ring_head]);
                lr->lines[lr->ring_head] = l;
                lr->ring_head = (lr->ring_head + 1) % lr->n;
                return;
        }
        if (lr->n == lr->cap) {
                lr->cap = lr->cap ? lr->cap * 2 : 64;
                if (lr->ring_max > 0 && lr->cap > (size_t) lr->ring_max)
                        lr->cap = (size_t) lr->ring_max;
                lr->lines = xreallocarray(lr->lines, lr->cap, sizeof(LogLine));
        }
        lr->lines[lr->n++] = l;
}

static bool line_wanted(const LogsOptions *o, const char *stream, int64_t ns)
{
        bool is_err = streq(stream, "stderr");
        if ((is_err && !o->stderr_) || (!is_err && !o->stdout_))
                return false;
        if (o->since_ns && ns < o->since_ns)
                return false;
        return !(o->until_ns && ns > o->until_ns);
}

static void parse_line(LogRead *lr, const char *l, size_t len)
{
        _cleanup_json_ json_t *j = NULL;
        if (json_parse_text(l, len, "log line", &j, NULL) < 0)
                return;
        json_t *log = json_object_get(j, "log");
        const char *stream = json_string_value(json_object_get(j, "stream"));
        int64_t ns = parse_log_time(json_string_value(json_object_get(j, "time")));
        if (!json_is_string(log) || !stream || !line_wanted(lr->o, stream, ns))
                return;
        size_t n = json_string_length(log);
        keep_line(lr, (LogLine) { .stream = xstrdup(stream), .text = xstrndup(json_string_value(log), n),
                                  .len = n, .ns = ns });
}

/* Parses the complete lines of buf; returns how many bytes were consumed. */
static size_t parse_buffer(LogRead *lr, const char *buf, size_t len)
{
        size_t off = 0;
        for (;;) {
                const char *nl = memchr(buf + off, '\n', len - off);
                if (!nl)
                        return off;
                parse_line(lr, buf + off, (size_t) (nl - buf - off));
                off = (size_t) (nl - buf) + 1;
        }
}

/* A line longer than this (the writer splits at 16 KiB, so only a corrupt file has one) is
 * dropped rather than buffered without end. */
#define LOG_LINE_MAX (1u << 20)

static void read_stream(LogRead *lr, const char *path)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return;
        size_t cap = 65536, len = 0;
        _cleanup_free_ char *buf = xmalloc(cap);
        for (;;) {
                if (len == cap) {
                        if (cap >= LOG_LINE_MAX) {
                                len = 0;    /* skip the rest of an overlong line */
                                continue;
                        }
                        buf = xrealloc(buf, cap *= 2);
                }
                ssize_t n = read(fd, buf + len, cap - len);
                if (n <= 0 || (lr->direct && lr->r != 0))
                        return;
                len += (size_t) n;
                size_t used = parse_buffer(lr, buf, len);
                memmove(buf, buf + used, len - used);
                len -= used;
        }
}

static int deliver(LogRead *lr, size_t from, LogsFn fn, void *ud)
{
        int r = 0;
        for (size_t i = from; i < lr->n; i++) {
                if (r == 0)
                        r = fn(lr->lines[i].stream, lr->lines[i].ns, lr->lines[i].text, lr->lines[i].len, ud);
                free(lr->lines[i].stream);
                free(lr->lines[i].text);
        }
        lr->n = 0;
        return r;
}

static bool still_running(Engine *e, const char *id)
{
        Ctr c = { .e = e };
        bool running = ctr_load(&c, id, NULL) == 0 &&
                       (streq(c.state, "running") || streq(c.state, "restarting") || streq(c.state, "paused")) &&
                       pid_alive(c.monitor_pid);
        ctr_done(&c);
        return running;
}

/* -f: new lines as they are appended; a rotation (the file renamed away) reopens the path. */
static int follow(Engine *e, const char *id, const char *path, LogRead *lr, LogsFn fn, void *ud, int cancel_fd,
                  LadeError **err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        _cleanup_close_ int in = inotify_init1(IN_CLOEXEC);
        if (fd < 0 || in < 0)
                return fd < 0 ? 0 : lade_error(err, errno, "inotify");
        (void) lseek(fd, 0, SEEK_END);
        (void) inotify_add_watch(in, path, IN_MODIFY | IN_MOVE_SELF | IN_DELETE_SELF);
        _cleanup_free_ char *pend = NULL;
        size_t plen = 0;
        bool last_round = false;
        for (;;) {
                char buf[65536];
                ssize_t n;
                while ((n = read(fd, buf, sizeof(buf))) > 0) {
                        pend = xrealloc(pend, plen + (size_t) n);
                        memcpy(pend + plen, buf, (size_t) n);
                        plen += (size_t) n;
                        size_t used = parse_buffer(lr, pend, plen);
                        memmove(pend, pend + used, plen - used);
                        plen -= used;
                        if (deliver(lr, 0, fn, ud) < 0)
                                return 0;
                }
                if (last_round)
                        return 0;
                struct stat a, b;
                if (stat(path, &a) == 0 && fstat(fd, &b) == 0 && (a.st_ino != b.st_ino || a.st_size < b.st_size)) {
                        safe_close(fd);
                        fd = open(path, O_RDONLY | O_CLOEXEC);
                        (void) inotify_add_watch(in, path, IN_MODIFY | IN_MOVE_SELF | IN_DELETE_SELF);
                        if (fd < 0)
                                return 0;
                        continue;
                }
                struct pollfd p[2] = { { .fd = in, .events = POLLIN }, { .fd = cancel_fd, .events = 0 } };
                if (poll(p, cancel_fd >= 0 ? 2 : 1, 250) > 0) {
                        /* the reader left (a client of the API went away) */
                        if (p[1].revents & (POLLERR | POLLHUP | POLLNVAL))
                                return 0;
                        char ev[4096];
                        (void) !read(in, ev, sizeof(ev));
                        continue;
                }
                /* one more read after the container stopped: the monitor's last lines */
                last_round = !still_running(e, id);
        }
}

int engine_container_logs(Engine *e, const char *name_or_id, const LogsOptions *o, LogsFn fn, void *ud,
                          LadeError **err)
{
        Ctr c = { .e = e };
        int r = ctr_load(&c, name_or_id, err);
        if (r < 0) {
                ctr_done(&c);
                return r;
        }
        json_t *lc = json_object_get(json_object_get(c.create, "HostConfig"), "LogConfig");
        const char *type = json_string_value(json_object_get(lc, "Type"));
        if (type && *type && !streq(type, "json-file")) {
                ctr_done(&c);
                return lade_error_msg(err, EINVAL, "configured logging driver does not support reading");
        }
        _cleanup_free_ char *path = xasprintf("%s/%s-json.log", c.dir, c.id);
        char id[65];
        snprintf(id, sizeof(id), "%s", c.id);
        ctr_done(&c);
        LogRead lr = { .o = o, .direct = o->tail < 0, .ring_max = o->tail < 0 ? -1 : o->tail, .fn = fn, .ud = ud };
        for (int i = 1000; i > 0; i--) {
                _cleanup_free_ char *old = xasprintf("%s.%d", path, i);
                if (access(old, F_OK) == 0)
                        read_stream(&lr, old);
        }
        read_stream(&lr, path);
        r = lr.r;
        if (!lr.direct) {
                /* the ring, oldest first */
                LogLine *ordered = xreallocarray(NULL, lr.n ? lr.n : 1, sizeof(LogLine));
                for (size_t i = 0; i < lr.n; i++)
                        ordered[i] = lr.lines[(lr.ring_head + i) % lr.n];
                free(lr.lines);
                lr.lines = ordered;
                lr.cap = lr.n ? lr.n : 1;
                r = deliver(&lr, 0, fn, ud);
        }
        lr.direct = false;
        lr.ring_max = -1;
        lr.ring_head = 0;
        if (r == 0 && o->follow)
                r = follow(e, id, path, &lr, fn, ud, o->cancel_fd, err);
        deliver(&lr, 0, fn, ud);
        free(lr.lines);
        return r < 0 ? r : 0;
}

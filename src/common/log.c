/* The process-wide log sink. Stays usable after fork (no locks, one write per line). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "log.h"
#include "util.h"

static LogLevel log_level = LOG_LEVEL_WARNING;
static int log_json;
static int log_fd = -1;
static const char *log_prefix = "lade";

void log_set_level(LogLevel level)
{
        log_level = level;
}

LogLevel log_get_level(void)
{
        return log_level;
}

void log_set_json(int json)
{
        log_json = json;
}

void log_set_fd(int fd)
{
        if (log_fd >= 0)
                safe_close(log_fd);
        log_fd = fd;
}

void log_set_prefix(const char *prefix)
{
        log_prefix = prefix;
}

static const char *level_name(LogLevel l)
{
        static const char *const names[] = { "error", "warning", "info", "debug" };
        return l >= 0 && l < _LOG_LEVEL_MAX ? names[l] : "info";
}

void log_emit(LogLevel level, const char *fmt, ...)
{
        if (level > log_level)
                return;
        int saved = errno;
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *msg = xvasprintf(fmt, ap);
        va_end(ap);

        _cleanup_free_ char *line = NULL;
        if (log_json) {
                struct timespec ts;
                char tbuf[64];
                struct tm tm;
                clock_gettime(CLOCK_REALTIME, &ts);
                gmtime_r(&ts.tv_sec, &tm);
                strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%S", &tm);
                _cleanup_free_ char *t = xasprintf("%s.%09ldZ", tbuf, ts.tv_nsec);
                json_t *o = json_pack("{s:s,s:s,s:s}", "level", level_name(level), "msg", msg,
                                      "time", t);
                char *dump = o ? json_dumps(o, JSON_COMPACT) : NULL;
                json_decref(o);
                line = xasprintf("%s\n", dump ? dump : "{}");
                free(dump);
        } else
                line = xasprintf("%s: %s%s\n", log_prefix,
                                 level == LOG_LEVEL_ERROR ? "" : level == LOG_LEVEL_WARNING ? "warning: "
                                 : level == LOG_LEVEL_DEBUG ? "debug: " : "",
                                 msg);
        (void) write_all(log_fd >= 0 ? log_fd : STDERR_FILENO, line, strlen(line));
        errno = saved;
}

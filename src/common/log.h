/* Logging. The library logs only at debug level (log_debug); front ends log the rest.
 * Output goes to stderr or to the --log file, as text or as JSON lines (runc's --log-format). */
#pragma once

#include "cleanup.h"

typedef enum LogLevel {
        LOG_LEVEL_ERROR,
        LOG_LEVEL_WARNING,
        LOG_LEVEL_INFO,
        LOG_LEVEL_DEBUG,
        _LOG_LEVEL_MAX,
        _LOG_LEVEL_INVALID = -EINVAL,
} LogLevel;

void log_set_level(LogLevel level);
LogLevel log_get_level(void);
void log_set_json(int json);
/* Takes ownership of fd; -1 restores stderr. */
void log_set_fd(int fd);
void log_set_prefix(const char *prefix);

void log_emit(LogLevel level, const char *fmt, ...) _printf_(2, 3);

#define log_error(...) log_emit(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warning(...) log_emit(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_info(...) log_emit(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)                                          \
        do {                                                    \
                if (_unlikely_(log_get_level() >= LOG_LEVEL_DEBUG)) \
                        log_emit(LOG_LEVEL_DEBUG, __VA_ARGS__); \
        } while (0)

/* `top`: the container's processes as dockerd shows them, the columns of `ps -ef` on the host
 * (UID PID PPID C STIME TTY TIME CMD), read from /proc instead of running ps:
 *   UID    the user's name from the host's passwd when it has 8 characters or fewer, else the
 *          number (procps does the same);
 *   C      the CPU use over the process's life, in percent, at most 99;
 *   STIME  its start: HH:MM within the last 24 hours, else MonDD within this year, else the year;
 *   TTY    pts/N for a pseudo-terminal, ttyN for a console, else "?";
 *   TIME   user + system CPU time as [DD-]HH:MM:SS;
 *   CMD    the command line, or [comm] when it has none.
 * ps_args (docker top CONTAINER -o …) are refused: there is no ps of ours to give them to. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "containers.h"
#include "util.h"

/* Seconds since the epoch at boot (btime of /proc/stat); 0 when unknown. */
static int64_t boot_time(void)
{
        _cleanup_free_ char *s = NULL;
        if (read_file_at(AT_FDCWD, "/proc/stat", 1 << 20, &s, NULL, NULL) < 0)
                return 0;
        const char *b = strstr(s, "\nbtime ");
        return b ? strtoll(b + 7, NULL, 10) : 0;
}

static void format_user(uid_t uid, char *buf, size_t size)
{
        struct passwd pw, *res = NULL;
        char tmp[4096];
        if (getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) == 0 && res && strlen(res->pw_name) <= 8)
                snprintf(buf, size, "%s", res->pw_name);
        else
                snprintf(buf, size, "%u", (unsigned) uid);
}

static void format_stime(time_t start, time_t now, char *buf, size_t size)
{
        struct tm st, nt;
        localtime_r(&start, &st);
        localtime_r(&now, &nt);
        if (now - start < 24 * 3600)
                strftime(buf, size, "%H:%M", &st);
        else if (st.tm_year == nt.tm_year)
                strftime(buf, size, "%b%d", &st);
        else
                strftime(buf, size, "%Y", &st);
}

static void format_tty(unsigned long tty_nr, char *buf, size_t size)
{
        unsigned maj = major((dev_t) tty_nr), min = minor((dev_t) tty_nr);
        if (tty_nr == 0)
                snprintf(buf, size, "?");
        else if (maj >= 136 && maj <= 143)
                snprintf(buf, size, "pts/%u", (maj - 136) * 256 + min);
        else if (maj == 4 && min < 64)
                snprintf(buf, size, "tty%u", min);
        else
                snprintf(buf, size, "?");
}

static void format_cputime(unsigned long long secs, char *buf, size_t size)
{
        unsigned long long d = secs / 86400, h = secs / 3600 % 24, m = secs / 60 % 60, s = secs % 60;
        if (d)
                snprintf(buf, size, "%llu-%02llu:%02llu:%02llu", d, h, m, s);
        else
                snprintf(buf, size, "%02llu:%02llu:%02llu", h, m, s);
}

/* One row of pid; NULL when it is gone. */
static json_t *top_row(pid_t pid, int64_t btime, long hz, time_t now)
{
        char path[64];
        _cleanup_free_ char *stat = NULL, *cmdline = NULL, *status = NULL;
        size_t len = 0;
        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        if (read_file_at(AT_FDCWD, path, 4096, &stat, NULL, NULL) < 0)
                return NULL;
        const char *lp = strchr(stat, '('), *rp = strrchr(stat, ')');
        if (!lp || !rp || rp < lp)
                return NULL;
        _cleanup_free_ char *comm = strndup(lp + 1, (size_t) (rp - lp - 1));
        /* after the comm: state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
         * cmajflt utime stime cutime cstime priority nice threads itrealvalue starttime */
        int ppid = 0;
        unsigned long tty_nr = 0, utime = 0, stime = 0;
        unsigned long long start = 0;
        if (sscanf(rp + 2, "%*c %d %*d %*d %lu %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d %*d %*d %llu", &ppid,
                   &tty_nr, &utime, &stime, &start) != 5)
                return NULL;
        snprintf(path, sizeof(path), "/proc/%d/cmdline", (int) pid);
        (void) read_file_at(AT_FDCWD, path, 65536, &cmdline, &len, NULL);
        for (size_t k = 0; cmdline && k + 1 < len; k++)
                if (cmdline[k] == 0)
                        cmdline[k] = ' ';
        snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
        (void) read_file_at(AT_FDCWD, path, 65536, &status, NULL, NULL);
        const char *u = status ? strstr(status, "\nUid:") : NULL;
        char user[32], spid[16], sppid[16], c[24], st[16], tty[16], cpu[32];
        format_user(u ? (uid_t) strtoul(u + 5, NULL, 10) : 0, user, sizeof(user));
        snprintf(spid, sizeof(spid), "%d", (int) pid);
        snprintf(sppid, sizeof(sppid), "%d", ppid);
        time_t started = (time_t) (btime + (int64_t) (start / (unsigned long long) hz));
        int64_t alive = (int64_t) now - (int64_t) started;
        unsigned long long used = (utime + stime) / (unsigned long) hz;
        long pcpu = alive > 0 ? (long) ((utime + stime) * 100ULL / (unsigned long long) hz / (unsigned long long) alive) : 0;
        snprintf(c, sizeof(c), "%ld", pcpu > 99 ? 99 : pcpu);
        format_stime(started, now, st, sizeof(st));
        format_tty(tty_nr, tty, sizeof(tty));
        format_cputime(used, cpu, sizeof(cpu));
        _cleanup_free_ char *cmd = cmdline && *cmdline ? xstrdup(cmdline) : xasprintf("[%s]", comm);
        return json_pack("[s,s,s,s,s,s,s,s]", user, spid, sppid, c, st, tty, cpu, cmd);
}

int engine_container_top(Engine *e, const char *name_or_id, const char *ps_args, json_t **ret, LadeError **err)
{
        if (ps_args && *ps_args && !streq(ps_args, "-ef"))
                return lade_error_msg(err, EINVAL, "ps options are not supported (%s): lade reads /proc and shows "
                                      "the columns of ps -ef", ps_args);
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        int r = engine_container_pids(e, name_or_id, &pids, &n, err);
        if (r < 0)
                return r;
        int64_t btime = boot_time();
        long hz = sysconf(_SC_CLK_TCK);
        if (hz <= 0)
                hz = 100;
        time_t now = time(NULL);
        json_t *procs = json_array();
        for (size_t i = 0; i < n; i++) {
                json_t *row = top_row(pids[i], btime, hz, now);
                if (row)
                        json_array_append_new(procs, row);
        }
        *ret = json_pack("{s:[s,s,s,s,s,s,s,s],s:o}", "Titles", "UID", "PID", "PPID", "C", "STIME", "TTY", "TIME",
                         "CMD", "Processes", procs);
        return 0;
}

/* Resource usage of a container's cgroup, read from the same files on v1 and v2 that runc's
 * `events --stats` reads: CPU time, memory use and limit (with memory.stat), pids, and bytes
 * read and written per block device. A missing file leaves its field 0: a controller that is
 * not enabled is not an error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup-internal.h"
#include "json-util.h"
#include "util.h"

static uint64_t read_u64(const char *dir, const char *knob, uint64_t max_value)
{
        _cleanup_free_ char *s = NULL;
        if (!dir || cgroup_read_last_line(dir, knob, &s, NULL) < 0)
                return 0;
        if (streq(s, "max"))
                return max_value;
        return strtoull(s, NULL, 10);
}

/* "key value" lines (cpu.stat, memory.stat, cpuacct.stat) into stats as {key: value}. */
static json_t *read_keyed(const char *dir, const char *knob)
{
        json_t *j = json_object();
        _cleanup_free_ char *s = NULL;
        if (!dir || cgroup_read(dir, knob, &s, NULL) < 0)
                return j;
        char *save = NULL;
        for (char *l = strtok_r(s, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                char key[128];
                unsigned long long v;
                if (sscanf(l, "%127s %llu", key, &v) == 2)
                        json_object_set_new(j, key, json_integer((json_int_t) v));
        }
        return j;
}

static uint64_t keyed(json_t *j, const char *key)
{
        return (uint64_t) json_integer_value(json_object_get(j, key));
}

static void add_io(CgroupStats *st, unsigned major, unsigned minor, bool write, uint64_t v)
{
        if (st->n_io >= CGROUP_STATS_IO_MAX)
                return;
        st->io[st->n_io++] = (CgroupIoStat){ .major = major, .minor = minor, .write = write, .bytes = v };
}

/* v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 …" */
static void read_io_v2(const char *dir, CgroupStats *st)
{
        _cleanup_free_ char *s = NULL;
        if (cgroup_read(dir, "io.stat", &s, NULL) < 0)
                return;
        char *save = NULL;
        for (char *l = strtok_r(s, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                unsigned ma, mi;
                unsigned long long rb = 0, wb = 0;
                if (sscanf(l, "%u:%u", &ma, &mi) != 2)
                        continue;
                const char *r = strstr(l, "rbytes="), *w = strstr(l, "wbytes=");
                if (r)
                        rb = strtoull(r + 7, NULL, 10);
                if (w)
                        wb = strtoull(w + 7, NULL, 10);
                add_io(st, ma, mi, false, rb);
                add_io(st, ma, mi, true, wb);
        }
}

/* v1 blkio.throttle.io_service_bytes: "8:0 Read 123" lines. */
static void read_io_v1(const char *dir, CgroupStats *st)
{
        _cleanup_free_ char *s = NULL;
        if (!dir || (cgroup_read(dir, "blkio.throttle.io_service_bytes_recursive", &s, NULL) < 0 &&
                     cgroup_read(dir, "blkio.throttle.io_service_bytes", &s, NULL) < 0))
                return;
        char *save = NULL;
        for (char *l = strtok_r(s, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                unsigned ma, mi;
                char op[16];
                unsigned long long v;
                if (sscanf(l, "%u:%u %15s %llu", &ma, &mi, op, &v) == 4 && (streq(op, "Read") || streq(op, "Write")))
                        add_io(st, ma, mi, streq(op, "Write"), v);
        }
}

static void stats_v2(const CgroupPath *u, CgroupStats *st)
{
        json_t *cpu = read_keyed(u->path, "cpu.stat");
        st->cpu_total_ns = keyed(cpu, "usage_usec") * 1000;
        st->cpu_user_ns = keyed(cpu, "user_usec") * 1000;
        st->cpu_system_ns = keyed(cpu, "system_usec") * 1000;
        st->throttled_periods = keyed(cpu, "nr_throttled");
        st->periods = keyed(cpu, "nr_periods");
        st->throttled_ns = keyed(cpu, "throttled_usec") * 1000;
        json_decref(cpu);
        st->memory_usage = read_u64(u->path, "memory.current", 0);
        st->memory_limit = read_u64(u->path, "memory.max", UINT64_MAX);
        st->memory_stat = read_keyed(u->path, "memory.stat");
        st->pids_current = read_u64(u->path, "pids.current", 0);
        st->pids_limit = read_u64(u->path, "pids.max", 0);
        read_io_v2(u->path, st);
}

static const char *v1_dir(const CgroupManager *m, const char *controller)
{
        const CgroupPath *p = cgroup_find_v1(m, controller);
        return p ? p->path : NULL;
}

static void stats_v1(const CgroupManager *m, CgroupStats *st)
{
        const char *cpuacct = v1_dir(m, "cpuacct"), *cpu = v1_dir(m, "cpu"), *mem = v1_dir(m, "memory");
        st->cpu_total_ns = read_u64(cpuacct, "cpuacct.usage", 0);
        json_t *ticks = read_keyed(cpuacct, "cpuacct.stat");
        uint64_t ns_per_tick = 1000000000ull / 100;   /* USER_HZ */
        st->cpu_user_ns = keyed(ticks, "user") * ns_per_tick;
        st->cpu_system_ns = keyed(ticks, "system") * ns_per_tick;
        json_decref(ticks);
        json_t *thr = read_keyed(cpu, "cpu.stat");
        st->periods = keyed(thr, "nr_periods");
        st->throttled_periods = keyed(thr, "nr_throttled");
        st->throttled_ns = keyed(thr, "throttled_time");
        json_decref(thr);
        st->memory_usage = read_u64(mem, "memory.usage_in_bytes", 0);
        st->memory_limit = read_u64(mem, "memory.limit_in_bytes", UINT64_MAX);
        st->memory_stat = read_keyed(mem, "memory.stat");
        st->pids_current = read_u64(v1_dir(m, "pids"), "pids.current", 0);
        st->pids_limit = read_u64(v1_dir(m, "pids"), "pids.max", 0);
        read_io_v1(v1_dir(m, "blkio"), st);
}

int cgroup_manager_stats(CgroupManager *m, CgroupStats *ret, LadeError **err)
{
        CgroupStats st = { 0 };
        const CgroupPath *u = cgroup_find_unified(m);
        if (m->mode == CGROUP_MODE_V2) {
                if (!u)
                        return lade_error_msg(err, ENOENT, "the container has no cgroup");
                stats_v2(u, &st);
        } else
                stats_v1(m, &st);
        if (!st.memory_stat)
                st.memory_stat = json_object();
        *ret = st;
        return 0;
}

void cgroup_stats_done(CgroupStats *st)
{
        st->memory_stat = json_decref_null(st->memory_stat);
}

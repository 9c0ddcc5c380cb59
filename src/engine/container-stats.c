/* `docker stats`: one sample of a running container's usage in Docker's stats JSON, from its
 * cgroup (through the runtime library, v1 or v2), /proc/stat for the host's CPU time and the
 * container's /proc/PID/net/dev for its interfaces. The API computes nothing: the docker CLI
 * derives CPU %, memory % and the rest from two samples, as it does with dockerd. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "containers-internal.h"
#include "json-util.h"
#include "util.h"

/* The host's CPU time in ns: the first line of /proc/stat (user … steal), as dockerd sums it. */
static uint64_t system_cpu_ns(void)
{
        _cleanup_free_ char *s = NULL;
        if (read_file_at(AT_FDCWD, "/proc/stat", 1 << 20, &s, NULL, NULL) < 0 || !startswith(s, "cpu "))
                return 0;
        uint64_t total = 0;
        char *p = s + 4;
        for (int i = 0; i < 8; i++) {
                char *end;
                unsigned long long v = strtoull(p, &end, 10);
                if (end == p)
                        break;
                total += v;
                p = end;
        }
        long hz = sysconf(_SC_CLK_TCK);
        return total * (1000000000ull / (uint64_t) (hz > 0 ? hz : 100));
}

/* {"eth0":{"rx_bytes":…,…}} from the container's network namespace (loopback left out). */
static json_t *networks_json(pid_t pid)
{
        json_t *nets = json_object();
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/net/dev", (int) pid);
        _cleanup_free_ char *s = NULL;
        if (pid <= 0 || read_file_at(AT_FDCWD, path, 1 << 20, &s, NULL, NULL) < 0)
                return nets;
        char *save = NULL;
        for (char *l = strtok_r(s, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                char name[64];
                unsigned long long v[16];
                char *colon = strchr(l, ':');
                if (!colon || sscanf(l, " %63[^:]:", name) != 1 || streq(name, "lo"))
                        continue;
                if (sscanf(colon + 1, "%llu %llu %llu %llu %*u %*u %*u %*u %llu %llu %llu %llu", &v[0], &v[1], &v[2],
                           &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
                        continue;
                json_object_set_new(nets, name,
                                    json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "rx_bytes", (json_int_t) v[0],
                                              "rx_packets", (json_int_t) v[1], "rx_errors", (json_int_t) v[2],
                                              "rx_dropped", (json_int_t) v[3], "tx_bytes", (json_int_t) v[4],
                                              "tx_packets", (json_int_t) v[5], "tx_errors", (json_int_t) v[6],
                                              "tx_dropped", (json_int_t) v[7]));
        }
        return nets;
}

static json_t *blkio_json(const CgroupStats *st)
{
        json_t *a = json_array();
        for (size_t i = 0; i < st->n_io; i++)
                json_array_append_new(a, json_pack("{s:I,s:I,s:s,s:I}", "major", (json_int_t) st->io[i].major,
                                                   "minor", (json_int_t) st->io[i].minor, "op",
                                                   st->io[i].write ? "write" : "read", "value",
                                                   (json_int_t) st->io[i].bytes));
        return json_pack("{s:o,s:n,s:n,s:n,s:n,s:n,s:n,s:n}", "io_service_bytes_recursive", a,
                         "io_serviced_recursive", "io_queue_recursive", "io_service_time_recursive",
                         "io_wait_time_recursive", "io_merged_recursive", "io_time_recursive",
                         "sectors_recursive");
}

static json_t *cpu_json(const CgroupStats *st)
{
        return json_pack("{s:{s:I,s:I,s:I},s:I,s:I,s:{s:I,s:I,s:I}}", "cpu_usage", "total_usage",
                         (json_int_t) st->cpu_total_ns, "usage_in_kernelmode", (json_int_t) st->cpu_system_ns,
                         "usage_in_usermode", (json_int_t) st->cpu_user_ns, "system_cpu_usage",
                         (json_int_t) system_cpu_ns(), "online_cpus", (json_int_t) sysconf(_SC_NPROCESSORS_ONLN),
                         "throttling_data", "periods", (json_int_t) st->periods, "throttled_periods",
                         (json_int_t) st->throttled_periods, "throttled_time", (json_int_t) st->throttled_ns);
}

static json_t *sample_json(Ctr *c, CgroupStats *st)
{
        /* no limit: the host's memory, as dockerd reports it */
        uint64_t limit = st->memory_limit;
        if (limit == UINT64_MAX || limit == 0 || limit >= (UINT64_C(1) << 62)) {
                long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
                limit = pages > 0 && psize > 0 ? (uint64_t) pages * (uint64_t) psize : 0;
        }
        _cleanup_free_ char *now = format_rfc3339_ns(realtime_ns());
        _cleanup_free_ char *name = xasprintf("/%s", c->name);
        json_t *pids = json_pack("{s:I}", "current", (json_int_t) st->pids_current);
        if (st->pids_limit)
                json_object_set_new(pids, "limit", json_integer((json_int_t) st->pids_limit));
        json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:i,s:{},s:o,s:{s:I,s:O,s:I},s:o}", "name", name, "id", c->id,
                              "read", now, "preread", "0001-01-01T00:00:00Z", "pids_stats", pids, "blkio_stats",
                              blkio_json(st), "num_procs", 0, "storage_stats", "cpu_stats", cpu_json(st),
                              "memory_stats", "usage", (json_int_t) st->memory_usage, "stats", st->memory_stat,
                              "limit", (json_int_t) limit, "networks", networks_json(c->pid));
        if (j)
                json_object_set_new(j, "precpu_stats",
                                    json_pack("{s:{s:I,s:I,s:I},s:I,s:{s:I,s:I,s:I}}", "cpu_usage", "total_usage",
                                              (json_int_t) 0, "usage_in_kernelmode", (json_int_t) 0,
                                              "usage_in_usermode", (json_int_t) 0, "system_cpu_usage",
                                              (json_int_t) 0, "throttling_data", "periods", (json_int_t) 0,
                                              "throttled_periods", (json_int_t) 0, "throttled_time",
                                              (json_int_t) 0));
        return j;
}

/* A stopped container: Docker's all-zero sample (the CLI prints 0 for it). */
static json_t *empty_json(Ctr *c)
{
        CgroupStats st = { .memory_stat = json_object() };
        pid_t pid = c->pid;
        c->pid = 0;
        json_t *j = sample_json(c, &st);
        c->pid = pid;
        json_object_set_new(json_object_get(j, "memory_stats"), "limit", json_integer(0));
        cgroup_stats_done(&st);
        return j;
}

int engine_container_stats(Engine *e, const char *name_or_id, json_t **ret, LadeError **err)
{
        Ctr c = { .e = e };
        int r = ctr_load(&c, name_or_id, err);
        if (r >= 0 && c.state && (streq(c.state, "running") || streq(c.state, "paused"))) {
                ctr_paths(&c);
                CgroupStats st = { 0 };
                r = container_stats(&c.rt, c.id, &st, err);
                if (r >= 0)
                        *ret = sample_json(&c, &st);
                cgroup_stats_done(&st);
        } else if (r >= 0)
                *ret = empty_json(&c);
        ctr_done(&c);
        return r;
}

/* cgroup v1: the knobs of each v1 hierarchy (memory, cpu, cpuset, pids, blkio, hugetlb, net_cls,
 * net_prio, devices, freezer), written the way runc's libcontainer/cgroups/fs does.
 *
 * Rules kept here:
 * - A field that is not set is not written ("0" also means unset where runc treats it so: memory
 *   limit/swap/reservation, cpu shares/quota/period).
 * - A requested resource whose hierarchy is not mounted is an error naming the field; so is a
 *   knob that does not exist (except the optional ones runc also skips: kmem.tcp, rsvd).
 * - In hybrid mode, hugetlb without a v1 hugetlb hierarchy goes to the unified directory, and
 *   devices without a v1 devices hierarchy to an eBPF program there. */
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "log.h"
#include "util.h"

#define MEMSW "memory.memsw.limit_in_bytes"
#define MEMLIMIT "memory.limit_in_bytes"

/* ---- memory ---- */

static bool memory_requested(const SpecResources *r)
{
        return (r->memory.limit.set && r->memory.limit.v != 0) ||
               (r->memory.swap.set && r->memory.swap.v != 0) ||
               (r->memory.reservation.set && r->memory.reservation.v != 0) ||
               r->memory.kernel_tcp.set || r->memory.swappiness.set ||
               r->memory.disable_oom_killer.set;
}

static int write_limit_and_swap(const CgroupManager *m, const char *dir, int64_t limit,
                                int64_t swap, bool swap_first, LadeError **err)
{
        for (int step = 0; step < 2; step++) {
                bool do_swap = (step == 0) == swap_first;
                int64_t v = do_swap ? swap : limit;
                if (v == 0)
                        continue;
                int r = cgroup_write_i64(m, dir, do_swap ? MEMSW : MEMLIMIT, v,
                                         do_swap ? CGROUP_RES "memory.swap"
                                                 : CGROUP_RES "memory.limit",
                                         err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* memsw (memory+swap) must never be below the memory limit, so the order of the two writes
 * depends on whether the limits go up or down (runc's setMemoryAndSwap). */
static int v1_memory_and_swap(const CgroupManager *m, const char *dir, const SpecResources *r,
                              LadeError **err)
{
        int64_t limit = r->memory.limit.set ? r->memory.limit.v : 0;
        int64_t swap = r->memory.swap.set ? r->memory.swap.v : 0;
        bool swap_first = false;
        if (limit == -1 && swap == 0 && cgroup_has_knob(dir, MEMSW))
                swap = -1; /* unlimited memory and no swap given: unlimited swap too */
        if (limit != 0 && swap != 0) {
                _cleanup_free_ char *cur = NULL;
                uint64_t cur_limit = 0;
                int k = cgroup_read_last_line(dir, MEMLIMIT, &cur, err);
                if (k < 0)
                        return lade_error_wrap(err, CGROUP_RES "memory.limit");
                if (parse_uint64(cur, &cur_limit) < 0)
                        cur_limit = 0; /* empty (test tree) or unparsable: raise-style order */
                swap_first = swap == -1 || cur_limit < (uint64_t) swap;
        }
        return write_limit_and_swap(m, dir, limit, swap, swap_first, err);
}

static int v1_memory_extra(const CgroupManager *m, const char *dir, const SpecResources *r,
                           LadeError **err)
{
        int k;
        if (r->memory.kernel_tcp.set) {
                char buf[32];
                snprintf(buf, sizeof(buf), "%" PRId64, r->memory.kernel_tcp.v);
                k = cgroup_write_if_exists(m, dir, "memory.kmem.tcp.limit_in_bytes", buf,
                                           CGROUP_RES "memory.kernelTCP", NULL, err);
                if (k < 0)
                        return k;
        }
        if (r->memory.swappiness.set) {
                if (r->memory.swappiness.v > 100)
                        return lade_error_msg(err, EINVAL,
                                              CGROUP_RES "memory.swappiness: %" PRIu64
                                                         " is not in 0..100",
                                              r->memory.swappiness.v);
                k = cgroup_write_u64(m, dir, "memory.swappiness", r->memory.swappiness.v,
                                     CGROUP_RES "memory.swappiness", err);
                if (k < 0)
                        return k;
        }
        if (r->memory.disable_oom_killer.set)
                return cgroup_write(m, dir, "memory.oom_control",
                                    r->memory.disable_oom_killer.v ? "1" : "0",
                                    CGROUP_RES "memory.disableOOMKiller", err);
        return 0;
}

static int v1_memory(const CgroupManager *m, const char *dir, const SpecResources *r,
                     LadeError **err)
{
        int k = v1_memory_and_swap(m, dir, r, err);
        if (k < 0)
                return k;
        if (r->memory.reservation.set && r->memory.reservation.v != 0) {
                k = cgroup_write_i64(m, dir, "memory.soft_limit_in_bytes", r->memory.reservation.v,
                                     CGROUP_RES "memory.reservation", err);
                if (k < 0)
                        return k;
        }
        /* memory.kernel is deprecated and ignored (kmem.limit_in_bytes is gone since 6.1). */
        return v1_memory_extra(m, dir, r, err);
}

/* ---- cpu ---- */

static bool cpu_requested(const SpecResources *r)
{
        return (r->cpu.shares.set && r->cpu.shares.v != 0) ||
               (r->cpu.quota.set && r->cpu.quota.v != 0) ||
               (r->cpu.period.set && r->cpu.period.v != 0) || r->cpu.burst.set ||
               r->cpu.realtime_runtime.set || r->cpu.realtime_period.set || r->cpu.idle.set;
}

/* A smaller period can be refused (EINVAL) while the old quota is in place, so when a quota
 * follows, the period is retried after it (runc's order). */
static int v1_cpu_bandwidth(const CgroupManager *m, const char *dir, const SpecResources *r,
                            LadeError **err)
{
        bool has_quota = r->cpu.quota.set && r->cpu.quota.v != 0;
        bool has_period = r->cpu.period.set && r->cpu.period.v != 0;
        bool period_pending = false;
        int k;
        if (has_period) {
                _cleanup_(lade_error_freep) LadeError *first = NULL;
                k = cgroup_write_u64(m, dir, "cpu.cfs_period_us", r->cpu.period.v,
                                     CGROUP_RES "cpu.period", &first);
                if (k < 0 && (k != -EINVAL || !has_quota)) {
                        if (err && !*err)
                                *err = TAKE_PTR(first);
                        return k;
                }
                period_pending = k < 0;
        }
        if (!has_quota)
                return 0;
        k = cgroup_write_i64(m, dir, "cpu.cfs_quota_us", r->cpu.quota.v, CGROUP_RES "cpu.quota",
                             err);
        if (k < 0 || !period_pending)
                return k;
        return cgroup_write_u64(m, dir, "cpu.cfs_period_us", r->cpu.period.v,
                                CGROUP_RES "cpu.period", err);
}

static int v1_cpu_rt(const CgroupManager *m, const char *dir, const SpecResources *r,
                     LadeError **err)
{
        int k;
        if (r->cpu.realtime_period.set) {
                k = cgroup_write_u64(m, dir, "cpu.rt_period_us", r->cpu.realtime_period.v,
                                     CGROUP_RES "cpu.realtimePeriod", err);
                if (k < 0)
                        return k;
        }
        if (r->cpu.realtime_runtime.set)
                return cgroup_write_i64(m, dir, "cpu.rt_runtime_us", r->cpu.realtime_runtime.v,
                                        CGROUP_RES "cpu.realtimeRuntime", err);
        return 0;
}

static int v1_cpu(const CgroupManager *m, const char *dir, const SpecResources *r,
                  LadeError **err)
{
        int k;
        if (r->cpu.shares.set && r->cpu.shares.v != 0) {
                k = cgroup_write_u64(m, dir, "cpu.shares", r->cpu.shares.v,
                                     CGROUP_RES "cpu.shares", err);
                if (k < 0)
                        return k;
        }
        k = v1_cpu_bandwidth(m, dir, r, err);
        if (k < 0)
                return k;
        if (r->cpu.burst.set) {
                k = cgroup_write_u64(m, dir, "cpu.cfs_burst_us", r->cpu.burst.v,
                                     CGROUP_RES "cpu.burst", err);
                if (k < 0)
                        return k;
        }
        k = v1_cpu_rt(m, dir, r, err);
        if (k < 0 || !r->cpu.idle.set)
                return k;
        /* cpu.idle exists since 5.15; asking for the default (0) on an older kernel is fine. */
        char buf[32];
        bool written;
        snprintf(buf, sizeof(buf), "%" PRId64, r->cpu.idle.v);
        k = cgroup_write_if_exists(m, dir, "cpu.idle", buf, CGROUP_RES "cpu.idle", &written, err);
        if (k < 0 || written || r->cpu.idle.v == 0)
                return k;
        return cgroup_write(m, dir, "cpu.idle", buf, CGROUP_RES "cpu.idle", err);
}

static bool cpuset_requested(const SpecResources *r)
{
        return (r->cpu.cpus && *r->cpu.cpus) || (r->cpu.mems && *r->cpu.mems);
}

static int cpuset_copy_knob(const CgroupManager *m, const char *parent, const char *child,
                            const char *knob, LadeError **err)
{
        _cleanup_free_ char *cur = NULL, *from = NULL;
        int k = cgroup_read_last_line(child, knob, &cur, err);
        if (k < 0 || *cur)
                return k;
        k = cgroup_read_last_line(parent, knob, &from, err);
        if (k < 0)
                return k;
        return cgroup_write(m, child, knob, from, "inherit cpuset", err);
}

int cgroup_v1_cpuset_prepare(const CgroupManager *m, const CgroupPath *p, LadeError **err)
{
        _cleanup_free_ char *cur = xstrdup(p->mount_dir);
        for (const char *s = m->rel; *s;) {
                while (*s == '/')
                        s++;
                size_t n = strcspn(s, "/");
                _cleanup_free_ char *child = xasprintf("%s/%.*s", cur, (int) n, s);
                int k = cpuset_copy_knob(m, cur, child, "cpuset.cpus", err);
                if (k >= 0)
                        k = cpuset_copy_knob(m, cur, child, "cpuset.mems", err);
                if (k < 0)
                        return k;
                free(cur);
                cur = TAKE_PTR(child);
                s += n;
        }
        return 0;
}

static bool pids_requested(const SpecResources *r)
{
        return r->pids.limit.set;
}

/* ---- blkio ---- */

static bool blkio_requested(const SpecResources *r)
{
        /* 0 means unset (Docker always sends weight 0), as in runc */
        return (r->block_io.weight.set && r->block_io.weight.v) ||
               (r->block_io.leaf_weight.set && r->block_io.leaf_weight.v) ||
               r->block_io.n_weight_device || r->block_io.n_throttle_read_bps ||
               r->block_io.n_throttle_write_bps || r->block_io.n_throttle_read_iops ||
               r->block_io.n_throttle_write_iops;
}

/* blkio.weight is CFQ's; with BFQ (and no CFQ, kernel >= 5.0) only blkio.bfq.weight exists. */
static int v1_blkio_weight(const CgroupManager *m, const char *dir, const char *knob,
                           const char *value, const char *field, LadeError **err)
{
        _cleanup_free_ char *bfq_knob = xasprintf("blkio.bfq.%s", knob + strlen("blkio."));
        if (!cgroup_has_knob(dir, knob) && cgroup_has_knob(dir, bfq_knob))
                return cgroup_write(m, dir, bfq_knob, value, field, err);
        return cgroup_write(m, dir, knob, value, field, err);
}

static int v1_blkio_devices(const CgroupManager *m, const char *dir, const SpecResources *r,
                            LadeError **err)
{
        for (size_t i = 0; i < r->block_io.n_weight_device; i++) {
                const SpecWeightDevice *w = &r->block_io.weight_device[i];
                char buf[96];
                int k = 0;
                if (w->weight.set) {
                        snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %" PRIu64, w->major,
                                 w->minor, w->weight.v);
                        k = v1_blkio_weight(m, dir, "blkio.weight_device", buf,
                                            CGROUP_RES "blockIO.weightDevice", err);
                }
                if (k >= 0 && w->leaf_weight.set) {
                        snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %" PRIu64, w->major,
                                 w->minor, w->leaf_weight.v);
                        k = cgroup_write(m, dir, "blkio.leaf_weight_device", buf,
                                         CGROUP_RES "blockIO.weightDevice", err);
                }
                if (k < 0)
                        return k;
        }
        return 0;
}

static int write_throttles(const CgroupManager *m, const char *dir, const char *knob,
                           const char *field, const SpecThrottleDevice *t, size_t n,
                           LadeError **err)
{
        for (size_t i = 0; i < n; i++) {
                char buf[96];
                snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %" PRIu64, t[i].major,
                         t[i].minor, t[i].rate);
                int k = cgroup_write(m, dir, knob, buf, field, err);
                if (k < 0)
                        return k;
        }
        return 0;
}

static int v1_blkio(const CgroupManager *m, const char *dir, const SpecResources *r,
                    LadeError **err)
{
        const typeof(r->block_io) *b = &r->block_io;
        int k;
        char buf[32];
        if (b->weight.set && b->weight.v) {
                snprintf(buf, sizeof(buf), "%" PRIu64, b->weight.v);
                k = v1_blkio_weight(m, dir, "blkio.weight", buf, CGROUP_RES "blockIO.weight", err);
                if (k < 0)
                        return k;
        }
        if (b->leaf_weight.set && b->leaf_weight.v) {
                k = cgroup_write_u64(m, dir, "blkio.leaf_weight", b->leaf_weight.v,
                                     CGROUP_RES "blockIO.leafWeight", err);
                if (k < 0)
                        return k;
        }
        k = v1_blkio_devices(m, dir, r, err);
        if (k < 0)
                return k;
        const struct {
                const char *knob, *field;
                const SpecThrottleDevice *t;
                size_t n;
        } th[] = {
                { "blkio.throttle.read_bps_device", CGROUP_RES "blockIO.throttleReadBpsDevice",
                  b->throttle_read_bps, b->n_throttle_read_bps },
                { "blkio.throttle.write_bps_device", CGROUP_RES "blockIO.throttleWriteBpsDevice",
                  b->throttle_write_bps, b->n_throttle_write_bps },
                { "blkio.throttle.read_iops_device", CGROUP_RES "blockIO.throttleReadIOPSDevice",
                  b->throttle_read_iops, b->n_throttle_read_iops },
                { "blkio.throttle.write_iops_device", CGROUP_RES "blockIO.throttleWriteIOPSDevice",
                  b->throttle_write_iops, b->n_throttle_write_iops },
        };
        for (size_t i = 0; i < ELEMENTSOF(th); i++) {
                k = write_throttles(m, dir, th[i].knob, th[i].field, th[i].t, th[i].n, err);
                if (k < 0)
                        return k;
        }
        return 0;
}

/* ---- hugetlb, net_cls, net_prio ---- */

static int v1_hugetlb(const CgroupManager *m, const char *dir, const SpecResources *r,
                      LadeError **err)
{
        bool rsvd = true;
        for (size_t i = 0; i < r->n_hugepage_limits; i++) {
                const SpecHugepageLimit *h = &r->hugepage_limits[i];
                int k = cgroup_hugepage_size_check(h->page_size, i, err);
                if (k < 0)
                        return k;
                _cleanup_free_ char *knob = xasprintf("hugetlb.%s.limit_in_bytes", h->page_size);
                k = cgroup_write_u64(m, dir, knob, h->limit, CGROUP_RES "hugepageLimits", err);
                if (k < 0)
                        return k;
                if (!rsvd)
                        continue;
                /* reservations (kernel >= 5.7) get the same limit, as runc does */
                char buf[32];
                free(knob);
                knob = xasprintf("hugetlb.%s.rsvd.limit_in_bytes", h->page_size);
                snprintf(buf, sizeof(buf), "%" PRIu64, h->limit);
                k = cgroup_write_if_exists(m, dir, knob, buf, CGROUP_RES "hugepageLimits", &rsvd,
                                           err);
                if (k < 0)
                        return k;
        }
        return 0;
}

static bool net_cls_requested(const SpecResources *r)
{
        return r->network.class_id.set;
}

static int v1_net_cls(const CgroupManager *m, const char *dir, const SpecResources *r,
                      LadeError **err)
{
        return cgroup_write_u64(m, dir, "net_cls.classid", r->network.class_id.v,
                                CGROUP_RES "network.classID", err);
}

static bool net_prio_requested(const SpecResources *r)
{
        return r->network.n_priorities > 0;
}

static int v1_net_prio(const CgroupManager *m, const char *dir, const SpecResources *r,
                       LadeError **err)
{
        for (size_t i = 0; i < r->network.n_priorities; i++) {
                const SpecKV *p = &r->network.priorities[i];
                uint64_t prio;
                /* "name prio" is the whole syntax: a space or newline in the name would inject */
                if (!p->key || !*p->key || strlen(p->key) >= 16 || strpbrk(p->key, " \t\n/") ||
                    !p->value || parse_uint64(p->value, &prio) < 0 || prio > UINT32_MAX)
                        return lade_error_msg(err, EINVAL,
                                              CGROUP_RES "network.priorities[%zu]: invalid", i);
                _cleanup_free_ char *line = xasprintf("%s %" PRIu64, p->key, prio);
                int k = cgroup_write(m, dir, "net_prio.ifpriomap", line,
                                     CGROUP_RES "network.priorities", err);
                if (k < 0)
                        return k;
        }
        return 0;
}

/* ---- devices ---- */

static bool devices_requested(const SpecResources *r)
{
        return r->has_devices || r->n_devices > 0;
}

static void fmt_num(char *buf, size_t size, OptI64 v)
{
        if (!v.set || v.v < 0)
                snprintf(buf, size, "*");
        else
                snprintf(buf, size, "%" PRId64, v.v);
}

/* The kernel reads any "a" rule as "all devices" whatever its numbers, so a narrower "a" rule is
 * written as the same rule for c and for b. */
static int v1_device_rule(const CgroupManager *m, const char *dir, const SpecDeviceRule *d,
                          LadeError **err)
{
        const char *knob = d->allow ? "devices.allow" : "devices.deny";
        char maj[24], min[24];
        if (cgroup_device_rule_is_all(d))
                return cgroup_write(m, dir, knob, "a", CGROUP_RES "devices", err);
        fmt_num(maj, sizeof(maj), d->major);
        fmt_num(min, sizeof(min), d->minor);
        const char *types = d->type == 'a' ? "cb" : d->type == 'b' ? "b" : "c";
        for (const char *t = types; *t; t++) {
                _cleanup_free_ char *rule = xasprintf("%c %s:%s %s", *t, maj, min,
                                                      d->access ? d->access : "rwm");
                int k = cgroup_write(m, dir, knob, rule, CGROUP_RES "devices", err);
                if (k < 0)
                        return k;
        }
        return 0;
}

/* Deny everything, then replay the rules in order: later rules override earlier ones. */
static int v1_devices(const CgroupManager *m, const char *dir, const SpecResources *r,
                      LadeError **err)
{
        for (size_t i = 0; i < r->n_devices; i++) {
                int k = cgroup_device_rule_check(&r->devices[i], i, err);
                if (k < 0)
                        return k;
        }
        int k = cgroup_write(m, dir, "devices.deny", "a", CGROUP_RES "devices", err);
        for (size_t i = 0; k >= 0 && i < r->n_devices; i++)
                k = v1_device_rule(m, dir, &r->devices[i], err);
        return k;
}

/* ---- dispatch ---- */

typedef struct V1Handler {
        const char *controller;
        const char *field; /* named in the error when the hierarchy is missing */
        bool (*requested)(const SpecResources *r);
        int (*apply)(const CgroupManager *m, const char *dir, const SpecResources *r,
                     LadeError **err);
} V1Handler;

static const V1Handler v1_handlers[] = {
        { "memory", "memory", memory_requested, v1_memory },
        { "cpu", "cpu", cpu_requested, v1_cpu },
        { "cpuset", "cpu.cpus", cpuset_requested, cgroup_apply_cpuset },
        { "pids", "pids", pids_requested, cgroup_apply_pids },
        { "blkio", "blockIO", blkio_requested, v1_blkio },
        { "net_cls", "network.classID", net_cls_requested, v1_net_cls },
        { "net_prio", "network.priorities", net_prio_requested, v1_net_prio },
};

static int v1_apply_fallbacks(CgroupManager *m, const SpecResources *r, LadeError **err)
{
        const CgroupPath *u = cgroup_find_unified(m);
        const CgroupPath *p;
        int k = 0;
        if (r->n_hugepage_limits > 0) {
                if ((p = cgroup_find_v1(m, "hugetlb")))
                        k = v1_hugetlb(m, p->path, r, err);
                else if (u)
                        k = cgroup_v2_apply_hugetlb(m, u->path, r, err);
                else
                        k = lade_error_msg(err, ENOTSUP,
                                           CGROUP_RES "hugepageLimits: no hugetlb controller");
                if (k < 0)
                        return k;
        }
        if (!devices_requested(r))
                return 0;
        if ((p = cgroup_find_v1(m, "devices")))
                return v1_devices(m, p->path, r, err);
        if (u)
                return cgroup_ebpf_apply(u->path, r->devices, r->n_devices, err);
        return lade_error_msg(err, ENOTSUP, CGROUP_RES "devices: no devices controller");
}

int cgroup_v1_apply(CgroupManager *m, const SpecResources *r, LadeError **err)
{
        for (size_t i = 0; i < ELEMENTSOF(v1_handlers); i++) {
                const V1Handler *h = &v1_handlers[i];
                if (!h->requested(r))
                        continue;
                const CgroupPath *p = cgroup_find_v1(m, h->controller);
                if (!p)
                        return lade_error_msg(err, ENOTSUP, CGROUP_RES "%s: no %s controller",
                                              h->field, h->controller);
                int k = h->apply(m, p->path, r, err);
                if (k < 0)
                        return k;
        }
        return v1_apply_fallbacks(m, r, err);
}

/* ---- freezer ---- */

int cgroup_v1_is_frozen(const char *dir, bool *ret, LadeError **err)
{
        _cleanup_free_ char *state = NULL;
        int k = cgroup_read_last_line(dir, "freezer.state", &state, err);
        if (k < 0)
                return k;
        *ret = streq(state, "FROZEN");
        return 0;
}

/* FREEZING can linger while tasks fork; re-writing the state now and then gets it unstuck (runc
 * does the same). Gives up after about 2 s, thawing again so nothing stays half frozen. */
int cgroup_v1_freeze(const CgroupManager *m, const char *dir, bool freeze, LadeError **err)
{
        const char *want = freeze ? "FROZEN" : "THAWED";
        for (int i = 0; i < 2000; i++) {
                _cleanup_free_ char *state = NULL;
                int k = 0;
                if (i % 50 == 0)
                        k = cgroup_write(m, dir, "freezer.state", want, "freezer", err);
                if (k >= 0)
                        k = cgroup_read_last_line(dir, "freezer.state", &state, err);
                if (k < 0)
                        return k;
                if (streq(state, want))
                        return 0;
                (void) usleep(1000);
        }
        if (freeze)
                (void) cgroup_write(m, dir, "freezer.state", "THAWED", "freezer", NULL);
        return lade_error_msg(err, EBUSY, "freezer: %s did not reach %s", dir, want);
}

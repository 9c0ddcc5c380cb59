/* cgroup v2: controller delegation (cgroup.subtree_control), the unified knobs, cgroup.freeze and
 * cgroup.kill. Used for the one directory of a V2 host, and in hybrid mode for the container's
 * directory on the unified mount (hugetlb, linux.resources.unified).
 *
 * OCI values are v1-shaped; the conversions are runc's: memory.swap is memory+swap (swap.max gets
 * the difference), cpu.shares becomes cpu.weight, blkio weight becomes io.weight. -1 means "max".
 * Features v2 does not have (realtime cpu, net_cls/net_prio, leaf weights) are errors naming the
 * field; swappiness, kernel memory and disableOOMKiller are ignored, as runc and crun do. */
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "log.h"
#include "util.h"

/* ---- delegation ---- */

static bool token_in(const char *list, const char *tok, size_t n)
{
        for (const char *s = list; *s;) {
                s += strspn(s, " \n");
                if (*s == '+')
                        s++; /* a plain-file test tree keeps what was written: "+cpu +io" */
                size_t k = strcspn(s, " \n");
                if (k == n && strncmp(s, tok, n) == 0)
                        return true;
                s += k;
        }
        return false;
}

/* "+cpu +io ..." for the controllers in cgroup.controllers not yet in cgroup.subtree_control. */
static char *missing_controllers(const char *avail, const char *enabled)
{
        _cleanup_free_ char *out = xstrdup("");
        for (const char *s = avail; *s;) {
                s += strspn(s, " \n");
                size_t k = strcspn(s, " \n");
                if (k > 0 && !token_in(enabled, s, k)) {
                        char *next = xasprintf("%s%s+%.*s", out, *out ? " " : "", (int) k, s);
                        free(out);
                        out = next;
                }
                s += k;
        }
        return TAKE_PTR(out);
}

/* All at once first; if the kernel refuses one (e.g. cpu with realtime tasks around), one by one
 * ignoring failures, as runc does: a knob missing later is reported with the field asking for
 * it. */
static void enable_in(const CgroupManager *m, const char *dir)
{
        _cleanup_free_ char *avail = NULL, *enabled = NULL;
        if (cgroup_read(dir, "cgroup.controllers", &avail, NULL) < 0)
                return;
        if (cgroup_read(dir, "cgroup.subtree_control", &enabled, NULL) < 0)
                enabled = xstrdup("");
        _cleanup_free_ char *want = missing_controllers(avail, enabled);
        if (!*want || cgroup_write(m, dir, "cgroup.subtree_control", want, "", NULL) >= 0)
                return;
        char *save = NULL;
        for (char *t = strtok_r(want, " ", &save); t; t = strtok_r(NULL, " ", &save))
                if (cgroup_write(m, dir, "cgroup.subtree_control", t, "", NULL) < 0)
                        log_debug("cannot enable controller '%s' in %s, ignoring", t + 1, dir);
}

int cgroup_v2_enable_controllers(const CgroupManager *m, const CgroupPath *p, LadeError **err)
{
        _cleanup_free_ char *cur = xstrdup(p->mount_dir);
        for (const char *s = m->rel;;) {
                while (*s == '/')
                        s++;
                if (!*s)
                        return 0; /* never in the leaf: it holds processes */
                enable_in(m, cur);
                size_t n = strcspn(s, "/");
                char *next = xasprintf("%s/%.*s", cur, (int) n, s);
                free(cur);
                cur = next;
                s += n;
        }
}

/* ---- memory ---- */

static void num_or_max(char *buf, size_t size, int64_t v)
{
        if (v == -1)
                snprintf(buf, size, "max");
        else
                snprintf(buf, size, "%" PRId64, v);
}

/* OCI swap is memory+swap; v2's memory.swap.max is swap alone (runc's
 * ConvertMemorySwapToCgroupV2Value). 0 = leave alone. */
static int swap_to_v2(int64_t swap, int64_t limit, int64_t *ret, LadeError **err)
{
        if (limit == -1 && swap == 0)
                *ret = -1;
        else if (swap == -1 || swap == 0)
                *ret = swap;
        else if (limit == 0 || limit == -1)
                return lade_error_msg(err, EINVAL,
                                      CGROUP_RES "memory.swap: a swap limit needs a memory limit");
        else if (limit < 0 || swap < limit)
                return lade_error_msg(err, EINVAL,
                                      CGROUP_RES "memory.swap: %" PRId64 " (memory+swap) is below "
                                                 "memory.limit %" PRId64, swap, limit);
        else
                *ret = swap - limit;
        return 0;
}

static int check_usage(const char *dir, int64_t limit, LadeError **err)
{
        _cleanup_free_ char *cur = NULL;
        uint64_t usage;
        if (limit <= 0 || cgroup_read(dir, "memory.current", &cur, NULL) < 0 ||
            parse_uint64(cur, &usage) < 0 || usage <= (uint64_t) limit)
                return 0;
        return lade_error_msg(err, EBUSY,
                              CGROUP_RES "memory.limit: %" PRId64 " is below the current usage %"
                                         PRIu64, limit, usage);
}

static int v2_swap(const CgroupManager *m, const char *dir, int64_t limit, int64_t swap,
                   LadeError **err)
{
        int64_t v = 0;
        char buf[32];
        bool written;
        int k = swap_to_v2(swap, limit, &v, err);
        if (k < 0 || (v == 0 && swap <= 0))
                return k;
        num_or_max(buf, sizeof(buf), v);
        k = cgroup_write_if_exists(m, dir, "memory.swap.max", buf, CGROUP_RES "memory.swap",
                                   &written, err);
        /* no swap accounting: "max" and "0" are what we have anyway */
        if (k < 0 || written || v == -1 || v == 0)
                return k;
        return cgroup_write(m, dir, "memory.swap.max", buf, CGROUP_RES "memory.swap", err);
}

static int v2_memory(const CgroupManager *m, const char *dir, const SpecResources *r,
                     LadeError **err)
{
        int64_t limit = r->memory.limit.set ? r->memory.limit.v : 0;
        int64_t swap = r->memory.swap.set ? r->memory.swap.v : 0;
        char buf[32];
        int k = 0;
        if (r->memory.check_before_update.set && r->memory.check_before_update.v)
                k = check_usage(dir, limit, err);
        if (k >= 0)
                k = v2_swap(m, dir, limit, swap, err);
        if (k >= 0 && limit != 0) {
                num_or_max(buf, sizeof(buf), limit);
                k = cgroup_write(m, dir, "memory.max", buf, CGROUP_RES "memory.limit", err);
        }
        if (k >= 0 && r->memory.reservation.set && r->memory.reservation.v != 0) {
                num_or_max(buf, sizeof(buf), r->memory.reservation.v);
                k = cgroup_write(m, dir, "memory.low", buf, CGROUP_RES "memory.reservation", err);
        }
        return k;
}

/* ---- cpu ---- */

uint64_t cgroup_v2_shares_to_weight(uint64_t shares)
{
        if (shares < 2)
                shares = 2;
        if (shares > 262144)
                shares = 262144;
        return 1 + ((shares - 2) * 9999) / 262142;
}

/* cpu.max is "quota period"; with only a period given, keep the current quota. */
static int v2_cpu_max(const CgroupManager *m, const char *dir, const SpecResources *r,
                      LadeError **err)
{
        bool has_quota = r->cpu.quota.set && r->cpu.quota.v != 0;
        bool has_period = r->cpu.period.set && r->cpu.period.v != 0;
        _cleanup_free_ char *cur = NULL, *value = NULL;
        char quota[32] = "max";
        if (!has_quota && !has_period)
                return 0;
        if (has_quota && r->cpu.quota.v > 0)
                snprintf(quota, sizeof(quota), "%" PRId64, r->cpu.quota.v);
        if (!has_quota && cgroup_read_last_line(dir, "cpu.max", &cur, NULL) >= 0 && *cur)
                snprintf(quota, sizeof(quota), "%.*s", (int) strcspn(cur, " "), cur);
        if (has_period)
                value = xasprintf("%s %" PRIu64, quota, r->cpu.period.v);
        else
                value = xstrdup(quota);
        return cgroup_write(m, dir, "cpu.max", value,
                            has_quota ? CGROUP_RES "cpu.quota" : CGROUP_RES "cpu.period", err);
}

static int v2_cpu(const CgroupManager *m, const char *dir, const SpecResources *r,
                  LadeError **err)
{
        int k = 0;
        if ((r->cpu.realtime_runtime.set && r->cpu.realtime_runtime.v != 0) ||
            (r->cpu.realtime_period.set && r->cpu.realtime_period.v != 0))
                return lade_error_msg(err, ENOTSUP,
                                      CGROUP_RES "cpu.realtimeRuntime/realtimePeriod: not "
                                                 "supported on cgroup v2");
        if (r->cpu.shares.set && r->cpu.shares.v != 0)
                k = cgroup_write_u64(m, dir, "cpu.weight",
                                     cgroup_v2_shares_to_weight(r->cpu.shares.v),
                                     CGROUP_RES "cpu.shares", err);
        if (k >= 0)
                k = v2_cpu_max(m, dir, r, err);
        if (k >= 0 && r->cpu.burst.set)
                k = cgroup_write_u64(m, dir, "cpu.max.burst", r->cpu.burst.v,
                                     CGROUP_RES "cpu.burst", err);
        if (k >= 0 && r->cpu.idle.set)
                k = cgroup_write_i64(m, dir, "cpu.idle", r->cpu.idle.v, CGROUP_RES "cpu.idle",
                                     err);
        return k;
}

/* ---- io ---- */

/* blkio weights are 10..1000, io.weight 1..10000 (runc's ConvertBlkIOToIOWeightValue). */
static uint64_t blkio_to_io_weight(uint64_t w)
{
        if (w < 10)
                w = 10;
        if (w > 1000)
                w = 1000;
        return 1 + (w - 10) * 9999 / 990;
}

/* With the BFQ scheduler io.bfq.weight takes blkio-scale weights and per-device ones; otherwise
 * io.weight gets the converted value and per-device weights are impossible. */
static int v2_io_weight(const CgroupManager *m, const char *dir, const SpecResources *r,
                        LadeError **err)
{
        const typeof(r->block_io) *b = &r->block_io;
        bool bfq = cgroup_has_knob(dir, "io.bfq.weight");
        int k = 0;
        if (b->weight.set && b->weight.v != 0)
                k = cgroup_write_u64(m, dir, bfq ? "io.bfq.weight" : "io.weight",
                                     bfq ? b->weight.v : blkio_to_io_weight(b->weight.v),
                                     CGROUP_RES "blockIO.weight", err);
        for (size_t i = 0; k >= 0 && i < b->n_weight_device; i++) {
                const SpecWeightDevice *w = &b->weight_device[i];
                if (w->leaf_weight.set)
                        return lade_error_msg(err, ENOTSUP, CGROUP_RES "blockIO.weightDevice[%zu]."
                                                                       "leafWeight: not supported "
                                                                       "on cgroup v2", i);
                if (!w->weight.set)
                        continue;
                _cleanup_free_ char *line = xasprintf("%" PRId64 ":%" PRId64 " %" PRIu64,
                                                      w->major, w->minor, w->weight.v);
                k = cgroup_write(m, dir, "io.bfq.weight", line,
                                 CGROUP_RES "blockIO.weightDevice (needs the BFQ scheduler)", err);
        }
        return k;
}

static int v2_io(const CgroupManager *m, const char *dir, const SpecResources *r,
                 LadeError **err)
{
        const typeof(r->block_io) *b = &r->block_io;
        if (b->leaf_weight.set && b->leaf_weight.v != 0)
                return lade_error_msg(err, ENOTSUP,
                                      CGROUP_RES "blockIO.leafWeight: not supported on cgroup v2");
        int k = v2_io_weight(m, dir, r, err);
        const struct {
                const char *key, *field;
                const SpecThrottleDevice *t;
                size_t n;
        } th[] = {
                { "rbps", CGROUP_RES "blockIO.throttleReadBpsDevice", b->throttle_read_bps,
                  b->n_throttle_read_bps },
                { "wbps", CGROUP_RES "blockIO.throttleWriteBpsDevice", b->throttle_write_bps,
                  b->n_throttle_write_bps },
                { "riops", CGROUP_RES "blockIO.throttleReadIOPSDevice", b->throttle_read_iops,
                  b->n_throttle_read_iops },
                { "wiops", CGROUP_RES "blockIO.throttleWriteIOPSDevice", b->throttle_write_iops,
                  b->n_throttle_write_iops },
        };
        for (size_t i = 0; k >= 0 && i < ELEMENTSOF(th); i++)
                for (size_t j = 0; k >= 0 && j < th[i].n; j++) {
                        const SpecThrottleDevice *t = &th[i].t[j];
                        _cleanup_free_ char *line = xasprintf("%" PRId64 ":%" PRId64 " %s=%" PRIu64,
                                                              t->major, t->minor, th[i].key,
                                                              t->rate);
                        k = cgroup_write(m, dir, "io.max", line, th[i].field, err);
                }
        return k;
}

/* ---- hugetlb, unified ---- */

int cgroup_v2_apply_hugetlb(const CgroupManager *m, const char *dir, const SpecResources *r,
                            LadeError **err)
{
        bool rsvd = true;
        for (size_t i = 0; i < r->n_hugepage_limits; i++) {
                const SpecHugepageLimit *h = &r->hugepage_limits[i];
                char buf[32];
                int k = cgroup_hugepage_size_check(h->page_size, i, err);
                if (k < 0)
                        return k;
                _cleanup_free_ char *knob = xasprintf("hugetlb.%s.max", h->page_size);
                _cleanup_free_ char *rknob = xasprintf("hugetlb.%s.rsvd.max", h->page_size);
                snprintf(buf, sizeof(buf), "%" PRIu64, h->limit);
                k = cgroup_write(m, dir, knob, buf, CGROUP_RES "hugepageLimits", err);
                if (k >= 0 && rsvd)
                        k = cgroup_write_if_exists(m, dir, rknob, buf,
                                                   CGROUP_RES "hugepageLimits", &rsvd, err);
                if (k < 0)
                        return k;
        }
        return 0;
}

static bool unified_key_ok(const char *key)
{
        return key && *key && !strchr(key, '/') && !strstr(key, "..") && !streq(key, ".");
}

int cgroup_v2_apply_unified(const CgroupManager *m, const char *dir, const SpecResources *r,
                            LadeError **err)
{
        for (size_t i = 0; i < r->n_unified; i++) {
                const SpecKV *kv = &r->unified[i];
                if (!unified_key_ok(kv->key))
                        return lade_error_msg(err, EINVAL,
                                              CGROUP_RES "unified: invalid key '%s' (must be a "
                                                         "file name without '/' or '..')",
                                              kv->key ? kv->key : "");
                _cleanup_free_ char *what = xasprintf(CGROUP_RES "unified.%s", kv->key);
                int k = cgroup_write_raw(m, dir, kv->key, kv->value ? kv->value : "", what, err);
                if (k < 0)
                        return k;
        }
        return 0;
}

/* ---- all ---- */

static int v2_unsupported(const SpecResources *r, LadeError **err)
{
        if (r->network.class_id.set)
                return lade_error_msg(err, ENOTSUP,
                                      CGROUP_RES "network.classID: no net_cls controller on "
                                                 "cgroup v2");
        if (r->network.n_priorities > 0)
                return lade_error_msg(err, ENOTSUP,
                                      CGROUP_RES "network.priorities: no net_prio controller on "
                                                 "cgroup v2");
        if (r->memory.swappiness.set || r->memory.kernel.set || r->memory.kernel_tcp.set ||
            r->memory.disable_oom_killer.set)
                log_debug("cgroup v2: memory swappiness/kernel/kernelTCP/disableOOMKiller have "
                          "no v2 knob, ignoring");
        return 0;
}

int cgroup_v2_apply(CgroupManager *m, const char *dir, const SpecResources *r, LadeError **err)
{
        int k = v2_unsupported(r, err);
        if (k >= 0)
                k = v2_memory(m, dir, r, err);
        if (k >= 0)
                k = v2_cpu(m, dir, r, err);
        if (k >= 0)
                k = cgroup_apply_cpuset(m, dir, r, err);
        if (k >= 0)
                k = cgroup_apply_pids(m, dir, r, err);
        if (k >= 0)
                k = v2_io(m, dir, r, err);
        if (k >= 0)
                k = cgroup_v2_apply_hugetlb(m, dir, r, err);
        if (k >= 0 && (r->has_devices || r->n_devices > 0))
                k = cgroup_ebpf_apply(dir, r->devices, r->n_devices, err);
        if (k >= 0)
                k = cgroup_v2_apply_unified(m, dir, r, err); /* last: they override */
        return k;
}

/* ---- freezer, kill ---- */

/* "frozen 1" in cgroup.events; a tree without cgroup.events (unit tests) falls back to
 * cgroup.freeze, which only says what was asked. */
static int read_frozen(const char *dir, bool *ret)
{
        _cleanup_free_ char *ev = NULL, *fr = NULL;
        if (cgroup_read(dir, "cgroup.events", &ev, NULL) >= 0) {
                const char *p = strstr(ev, "frozen ");
                if (p && (p == ev || p[-1] == '\n')) {
                        *ret = p[7] == '1';
                        return 0;
                }
        }
        int k = cgroup_read_last_line(dir, "cgroup.freeze", &fr, NULL);
        if (k < 0)
                return k;
        *ret = streq(fr, "1");
        return 0;
}

int cgroup_v2_is_frozen(const char *dir, bool *ret, LadeError **err)
{
        int k = read_frozen(dir, ret);
        if (k < 0)
                return lade_error(err, -k, "read the freezer state of %s", dir);
        return 0;
}

int cgroup_v2_freeze(const CgroupManager *m, const char *dir, bool freeze, LadeError **err)
{
        int k = cgroup_write(m, dir, "cgroup.freeze", freeze ? "1" : "0", "freezer", err);
        if (k < 0)
                return k;
        for (int i = 0; i < 2000; i++) {
                bool frozen;
                if (read_frozen(dir, &frozen) < 0 || frozen == freeze)
                        return 0;
                (void) usleep(1000);
        }
        if (freeze)
                (void) cgroup_write(m, dir, "cgroup.freeze", "0", "freezer", NULL);
        return lade_error_msg(err, EBUSY, "freezer: %s did not become %s", dir,
                              freeze ? "frozen" : "thawed");
}

int cgroup_v2_kill(const CgroupManager *m, const char *dir, bool *ret_done, LadeError **err)
{
        *ret_done = false;
        if (!cgroup_has_knob(dir, "cgroup.kill"))
                return 0; /* kernel < 5.14 */
        int k = cgroup_write(m, dir, "cgroup.kill", "1", "kill", err);
        if (k < 0)
                return k;
        *ret_done = true;
        return 0;
}

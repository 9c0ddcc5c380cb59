/* cgroup manager on fake cgroupfs trees (plain directories and files in a temp dir) for v1, v2 and
 * the hybrid layout: what create/apply/enter/freeze/kill/destroy write, the path rules, the JSON
 * round trip, and the eBPF device program (run through a tiny interpreter).
 *
 * Knob files are opened O_APPEND by the manager, so a file that is written several times keeps
 * every write, one per line: assertions look at the whole content or at its last line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroup-internal.h"
#include "json-util.h"
#include "util.h"

static char tmp[64];

static int setup(void **state)
{
        snprintf(tmp, sizeof(tmp), "/tmp/lade-test-cg-XXXXXX");
        assert_non_null(mkdtemp(tmp));
        return 0;
}

static int teardown(void **state)
{
        (void) rm_rf_at(AT_FDCWD, tmp);
        return 0;
}

/* ---- tree helpers ---- */

static char *at(const char *rel)
{
        return xasprintf("%s/%s", tmp, rel);
}

static void mkdirs(const char *rel)
{
        _cleanup_free_ char *p = at(rel);
        assert_int_equal(mkdir_p(p, 0755), 0);
}

static void put(const char *dir, const char *knob, const char *content)
{
        _cleanup_free_ char *p = xasprintf("%s/%s/%s", tmp, dir, knob);
        _cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write_all(fd, content, strlen(content)), 0);
}

/* Creates dir (and parents) with empty knobs, given as a space-separated list. */
static void knobs(const char *dir, const char *list)
{
        _cleanup_free_ char *copy = xstrdup(list);
        char *save = NULL;
        mkdirs(dir);
        for (char *k = strtok_r(copy, " ", &save); k; k = strtok_r(NULL, " ", &save))
                put(dir, k, "");
}

static char *slurp(const char *rel)
{
        _cleanup_free_ char *p = at(rel);
        char *s = NULL;
        assert_int_equal(read_file_at(AT_FDCWD, p, 1 << 20, &s, NULL, NULL), 0);
        return s;
}

static void assert_file(const char *rel, const char *expect)
{
        _cleanup_free_ char *s = slurp(rel);
        if (!streq(s, expect))
                fail_msg("%s: got '%s', expected '%s'", rel, s, expect);
}

/* The last value written ("a\nb\n" -> "b"). */
static void assert_last(const char *rel, const char *expect)
{
        _cleanup_free_ char *s = slurp(rel);
        size_t n = strlen(s);
        while (n > 0 && s[n - 1] == '\n')
                s[--n] = '\0';
        const char *nl = strrchr(s, '\n');
        const char *last = nl ? nl + 1 : s;
        if (!streq(last, expect))
                fail_msg("%s: last value '%s', expected '%s'", rel, last, expect);
}

static bool exists(const char *rel)
{
        _cleanup_free_ char *p = at(rel);
        struct stat st;
        return lstat(p, &st) == 0;
}

static void assert_err(LadeError *e, const char *needle)
{
        assert_non_null(e);
        if (!strstr(lade_error_message(e), needle))
                fail_msg("error '%s' does not mention '%s'", lade_error_message(e), needle);
}

/* ---- layouts ---- */

#define V1_COMMON "cgroup.procs"
#define MEM_KNOBS                                                                    \
        V1_COMMON " memory.limit_in_bytes memory.soft_limit_in_bytes "                \
                  "memory.memsw.limit_in_bytes memory.swappiness memory.oom_control " \
                  "memory.kmem.tcp.limit_in_bytes"
#define CPU_KNOBS                                                              \
        V1_COMMON " cpu.shares cpu.cfs_quota_us cpu.cfs_period_us cpu.cfs_burst_us " \
                  "cpu.rt_runtime_us cpu.rt_period_us"
#define BLKIO_KNOBS                                                                     \
        V1_COMMON " blkio.weight blkio.leaf_weight blkio.weight_device "                 \
                  "blkio.leaf_weight_device blkio.throttle.read_bps_device "             \
                  "blkio.throttle.write_bps_device blkio.throttle.read_iops_device "     \
                  "blkio.throttle.write_iops_device"

/* v1 hierarchies under root, with the container at /lade/ctr. cpu,cpuacct and net_cls,net_prio
 * are co-mounted with alias symlinks, as systemd lays them out. */
static void layout_v1(const char *root, bool with_hugetlb)
{
        static const struct {
                const char *dir, *knobs;
        } h[] = {
                { "memory", MEM_KNOBS },
                { "cpu,cpuacct", CPU_KNOBS },
                { "cpuset", V1_COMMON " cpuset.cpus cpuset.mems" },
                { "pids", V1_COMMON " pids.max" },
                { "blkio", BLKIO_KNOBS },
                { "net_cls,net_prio", V1_COMMON " net_cls.classid net_prio.ifpriomap" },
                { "devices", V1_COMMON " devices.allow devices.deny" },
                { "freezer", V1_COMMON " freezer.state" },
                { "systemd", V1_COMMON },
                { "hugetlb", V1_COMMON " hugetlb.2MB.limit_in_bytes hugetlb.1GB.limit_in_bytes" },
        };
        for (size_t i = 0; i < ELEMENTSOF(h); i++) {
                if (!with_hugetlb && streq(h[i].dir, "hugetlb"))
                        continue;
                _cleanup_free_ char *mid = xasprintf("%s/%s/lade", root, h[i].dir);
                _cleanup_free_ char *leaf = xasprintf("%s/ctr", mid);
                knobs(mid, h[i].knobs);
                knobs(leaf, h[i].knobs);
        }
        _cleanup_free_ char *cpuset = xasprintf("%s/cpuset", root);
        put(cpuset, "cpuset.cpus", "0-3\n");
        put(cpuset, "cpuset.mems", "0\n");
        const char *links[][2] = { { "cpu", "cpu,cpuacct" }, { "cpuacct", "cpu,cpuacct" },
                                   { "net_cls", "net_cls,net_prio" },
                                   { "net_prio", "net_cls,net_prio" } };
        for (size_t i = 0; i < ELEMENTSOF(links); i++) {
                _cleanup_free_ char *l = xasprintf("%s/%s/%s", tmp, root, links[i][0]);
                assert_int_equal(symlink(links[i][1], l), 0);
        }
}

#define V2_LEAF_KNOBS                                                                        \
        "cgroup.procs cgroup.freeze cgroup.kill cgroup.max.descendants memory.max memory.low " \
        "memory.swap.max memory.high cpu.weight cpu.max cpu.max.burst cpuset.cpus "           \
        "cpuset.mems pids.max io.weight io.max hugetlb.2MB.max hugetlb.2MB.rsvd.max "         \
        "hugetlb.1GB.max"
#define V2_CONTROLLERS "cpuset cpu io memory hugetlb pids\n"

static void layout_v2(const char *root, const char *controllers)
{
        _cleanup_free_ char *mid = xasprintf("%s/lade", root);
        _cleanup_free_ char *leaf = xasprintf("%s/lade/ctr", root);
        knobs(root, "cgroup.procs cgroup.subtree_control");
        knobs(mid, "cgroup.procs cgroup.subtree_control");
        knobs(leaf, V2_LEAF_KNOBS);
        put(root, "cgroup.controllers", controllers);
        put(mid, "cgroup.controllers", controllers);
}

static CgroupManager *make(const char *root, CgroupMode mode, const char *path)
{
        _cleanup_free_ char *r = at(root);
        CgroupConfig cfg = { .root = r, .mode = (int) mode, .path = path, .id = "ctr" };
        CgroupManager *m = NULL;
        _cleanup_(lade_error_freep) LadeError *e = NULL;
        int k = cgroup_manager_create(&cfg, &m, &e);
        if (k < 0)
                fail_msg("create: %s", lade_error_message(e));
        return m;
}

static void apply_ok(CgroupManager *m, const SpecResources *r)
{
        _cleanup_(lade_error_freep) LadeError *e = NULL;
        if (cgroup_manager_apply(m, r, &e) < 0)
                fail_msg("apply: %s", lade_error_message(e));
}

static void apply_fails(CgroupManager *m, const SpecResources *r, const char *needle)
{
        _cleanup_(lade_error_freep) LadeError *e = NULL;
        assert_true(cgroup_manager_apply(m, r, &e) < 0);
        assert_err(e, needle);
}

/* ---- a full SpecResources, filled by hand ---- */

#define SET(x) { .set = true, .v = (x) }

static SpecWeightDevice weight_dev[] = { { .major = 8, .minor = 0, .weight = SET(400),
                                           .leaf_weight = SET(200) } };
static SpecThrottleDevice rbps[] = { { 8, 0, 1048576 } }, wbps[] = { { 8, 16, 2097152 } },
                          riops[] = { { 8, 0, 100 } }, wiops[] = { { 8, 0, 200 } };
static SpecHugepageLimit huge[] = { { "2MB", 4194304 }, { "1GB", 1073741824 } };
static SpecKV prios[] = { { "eth0", "5" }, { "lo", "1" } };
static SpecDeviceRule dev_rules[] = {
        { .allow = false, .type = 'a', .access = "rwm" },
        { .allow = true, .type = 'c', .major = SET(1), .minor = SET(3), .access = "rwm" },
        { .allow = true, .type = 'c', .access = "m" },
        { .allow = true, .type = 'b', .major = SET(8), .access = "r" },
        { .allow = false, .type = 'c', .major = SET(1), .minor = SET(3), .access = "w" },
        { .allow = true, .type = 'a', .major = SET(5), .access = "rw" },
};

/* What every layout can take; callers add the mode-specific parts. */
static void fill_common(SpecResources *r)
{
        memset(r, 0, sizeof(*r));
        r->memory.limit = (OptI64) SET(268435456);
        r->memory.reservation = (OptI64) SET(134217728);
        r->memory.swap = (OptI64) SET(536870912);
        r->cpu.shares = (OptU64) SET(1024);
        r->cpu.quota = (OptI64) SET(50000);
        r->cpu.period = (OptU64) SET(100000);
        r->cpu.burst = (OptU64) SET(1000);
        r->cpu.cpus = "0-1";
        r->cpu.mems = "0";
        r->pids.limit = (OptI64) SET(100);
        r->block_io.weight = (OptU64) SET(500);
        r->block_io.throttle_read_bps = rbps;
        r->block_io.n_throttle_read_bps = 1;
        r->block_io.throttle_write_bps = wbps;
        r->block_io.n_throttle_write_bps = 1;
        r->block_io.throttle_read_iops = riops;
        r->block_io.n_throttle_read_iops = 1;
        r->block_io.throttle_write_iops = wiops;
        r->block_io.n_throttle_write_iops = 1;
        r->hugepage_limits = huge;
        r->n_hugepage_limits = 2;
}

static void fill_v1(SpecResources *r)
{
        fill_common(r);
        r->memory.kernel_tcp = (OptI64) SET(1048576);
        r->memory.swappiness = (OptU64) SET(60);
        r->memory.disable_oom_killer = (OptBool) SET(true);
        r->cpu.realtime_period = (OptU64) SET(1000000);
        r->cpu.realtime_runtime = (OptI64) SET(950000);
        r->cpu.idle = (OptI64) SET(0); /* no cpu.idle knob in the tree: 0 is fine */
        r->block_io.leaf_weight = (OptU64) SET(300);
        r->block_io.weight_device = weight_dev;
        r->block_io.n_weight_device = 1;
        r->network.class_id = (OptU64) SET(0x100001);
        r->network.priorities = prios;
        r->network.n_priorities = 2;
        r->devices = dev_rules;
        r->n_devices = ELEMENTSOF(dev_rules);
        r->has_devices = true;
}

/* ---- v1 ---- */

static void assert_v1_memory_cpu(void)
{
        assert_last("v1/memory/lade/ctr/memory.limit_in_bytes", "268435456");
        assert_last("v1/memory/lade/ctr/memory.memsw.limit_in_bytes", "536870912");
        assert_last("v1/memory/lade/ctr/memory.soft_limit_in_bytes", "134217728");
        assert_last("v1/memory/lade/ctr/memory.kmem.tcp.limit_in_bytes", "1048576");
        assert_last("v1/memory/lade/ctr/memory.swappiness", "60");
        assert_last("v1/memory/lade/ctr/memory.oom_control", "1");
        assert_last("v1/cpu,cpuacct/lade/ctr/cpu.shares", "1024");
        assert_last("v1/cpu,cpuacct/lade/ctr/cpu.cfs_quota_us", "50000");
        assert_last("v1/cpu,cpuacct/lade/ctr/cpu.cfs_period_us", "100000");
        assert_last("v1/cpu,cpuacct/lade/ctr/cpu.cfs_burst_us", "1000");
        assert_last("v1/cpu,cpuacct/lade/ctr/cpu.rt_period_us", "1000000");
        assert_last("v1/cpu,cpuacct/lade/ctr/cpu.rt_runtime_us", "950000");
        assert_file("v1/cpuset/lade/ctr/cpuset.cpus", "0-3\n0-1\n");
}

static void assert_v1_others(void)
{
        assert_last("v1/pids/lade/ctr/pids.max", "100");
        assert_last("v1/blkio/lade/ctr/blkio.weight", "500");
        assert_last("v1/blkio/lade/ctr/blkio.leaf_weight", "300");
        assert_file("v1/blkio/lade/ctr/blkio.weight_device", "8:0 400\n");
        assert_file("v1/blkio/lade/ctr/blkio.leaf_weight_device", "8:0 200\n");
        assert_file("v1/blkio/lade/ctr/blkio.throttle.read_bps_device", "8:0 1048576\n");
        assert_file("v1/blkio/lade/ctr/blkio.throttle.write_bps_device", "8:16 2097152\n");
        assert_file("v1/blkio/lade/ctr/blkio.throttle.read_iops_device", "8:0 100\n");
        assert_file("v1/blkio/lade/ctr/blkio.throttle.write_iops_device", "8:0 200\n");
        assert_last("v1/hugetlb/lade/ctr/hugetlb.2MB.limit_in_bytes", "4194304");
        assert_last("v1/hugetlb/lade/ctr/hugetlb.1GB.limit_in_bytes", "1073741824");
        assert_last("v1/net_cls,net_prio/lade/ctr/net_cls.classid", "1048577");
        assert_file("v1/net_cls,net_prio/lade/ctr/net_prio.ifpriomap", "eth0 5\nlo 1\n");
        /* deny all first, then the rules in order; a narrower "a" rule becomes c + b */
        assert_file("v1/devices/lade/ctr/devices.deny", "a\na\nc 1:3 w\n");
        assert_file("v1/devices/lade/ctr/devices.allow",
                    "c 1:3 rwm\nc *:* m\nb 8:* r\nc 5:* rw\nb 5:* rw\n");
}

static void test_v1_create_apply(void **state)
{
        layout_v1("v1", true);
        _cleanup_(cgroup_manager_freep) CgroupManager *m = make("v1", CGROUP_MODE_V1, "/lade/ctr");
        const CgroupPath *p;
        size_t n = cgroup_manager_paths(m, &p);
        assert_int_equal(n, 10); /* the alias symlinks are not hierarchies of their own */
        assert_int_equal(cgroup_manager_mode(m), CGROUP_MODE_V1);
        bool systemd = false;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *want = xasprintf("%s/lade/ctr", p[i].mount_dir);
                assert_string_equal(p[i].path, want);
                systemd |= streq(p[i].controllers, "name=systemd");
        }
        assert_true(systemd);
        /* cpuset: inherited from the parent level by level before anything can enter */
        assert_file("v1/cpuset/lade/cpuset.cpus", "0-3\n");
        assert_file("v1/cpuset/lade/ctr/cpuset.mems", "0\n");

        SpecResources r;
        fill_v1(&r);
        apply_ok(m, &r);
        assert_v1_memory_cpu();
        assert_v1_others();
}

static void test_v1_enter_freeze_pids_destroy(void **state)
{
        layout_v1("v1", true);
        _cleanup_(cgroup_manager_freep) CgroupManager *m = make("v1", CGROUP_MODE_V1, "/lade/ctr");
        _cleanup_(lade_error_freep) LadeError *e = NULL;
        assert_int_equal(cgroup_manager_enter(m, 4242, &e), 0);
        assert_file("v1/memory/lade/ctr/cgroup.procs", "4242\n");
        assert_file("v1/systemd/lade/ctr/cgroup.procs", "4242\n");
        assert_file("v1/cpu,cpuacct/lade/ctr/cgroup.procs", "4242\n");

        bool frozen = true;
        assert_int_equal(cgroup_manager_is_frozen(m, &frozen, &e), 0);
        assert_false(frozen);
        assert_int_equal(cgroup_manager_freeze(m, true, &e), 0);
        assert_int_equal(cgroup_manager_is_frozen(m, &frozen, &e), 0);
        assert_true(frozen);
        assert_int_equal(cgroup_manager_freeze(m, false, &e), 0);
        assert_file("v1/freezer/lade/ctr/freezer.state", "FROZEN\nTHAWED\n");

        /* pids come from the freezer hierarchy, sub-cgroups included */
        knobs("v1/freezer/lade/ctr/sub", "cgroup.procs");
        put("v1/freezer/lade/ctr/sub", "cgroup.procs", "77\n78\n");
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        assert_int_equal(cgroup_manager_pids(m, &pids, &n, &e), 0);
        assert_int_equal(n, 3);
        assert_int_equal(pids[0], 4242);
        assert_int_equal(pids[1] + pids[2], 77 + 78);

        assert_int_equal(cgroup_manager_destroy(m, &e), 0);
        assert_false(exists("v1/memory/lade/ctr"));
        assert_false(exists("v1/freezer/lade/ctr"));
        assert_true(exists("v1/memory/lade"));
        /* destroying again: missing directories are fine */
        assert_int_equal(cgroup_manager_destroy(m, &e), 0);
        assert_null(e);
}

static void test_v1_errors(void **state)
{
        layout_v1("v1", false);
        _cleanup_(cgroup_manager_freep) CgroupManager *m = make("v1", CGROUP_MODE_V1, "/lade/ctr");
        SpecResources r;

        memset(&r, 0, sizeof(r));
        r.hugepage_limits = huge;
        r.n_hugepage_limits = 1;
        apply_fails(m, &r, "linux.resources.hugepageLimits: no hugetlb controller");

        memset(&r, 0, sizeof(r));
        SpecKV kv = { "memory.high", "1" };
        r.unified = &kv;
        r.n_unified = 1;
        apply_fails(m, &r, "linux.resources.unified");

        /* a requested knob the kernel does not have is named, with the field */
        _cleanup_free_ char *knob = at("v1/memory/lade/ctr/memory.swappiness");
        assert_int_equal(unlink(knob), 0);
        memset(&r, 0, sizeof(r));
        r.memory.swappiness = (OptU64) SET(10);
        apply_fails(m, &r, "linux.resources.memory.swappiness");
        apply_fails(m, &r, "memory.swappiness' (in ");

        /* optional knobs: kmem.tcp may be absent */
        _cleanup_free_ char *tcp = at("v1/memory/lade/ctr/memory.kmem.tcp.limit_in_bytes");
        assert_int_equal(unlink(tcp), 0);
        memset(&r, 0, sizeof(r));
        r.memory.kernel_tcp = (OptI64) SET(4096);
        apply_ok(m, &r);

        memset(&r, 0, sizeof(r));
        SpecDeviceRule bad = { .allow = true, .type = 'x' };
        r.devices = &bad;
        r.n_devices = 1;
        apply_fails(m, &r, "linux.resources.devices[0].type");

        memset(&r, 0, sizeof(r));
        r.memory.swappiness = (OptU64) SET(101);
        apply_fails(m, &r, "swappiness");
}

static void test_v1_memory_unlimited(void **state)
{
        layout_v1("v1", false);
        _cleanup_(cgroup_manager_freep) CgroupManager *m = make("v1", CGROUP_MODE_V1, "/lade/ctr");
        SpecResources r;
        memset(&r, 0, sizeof(r));
        /* limit -1 without swap: swap becomes unlimited too, written first (runc) */
        r.memory.limit = (OptI64) SET(-1);
        r.pids.limit = (OptI64) SET(0);
        apply_ok(m, &r);
        assert_file("v1/memory/lade/ctr/memory.memsw.limit_in_bytes", "-1\n");
        assert_file("v1/memory/lade/ctr/memory.limit_in_bytes", "-1\n");
        assert_file("v1/pids/lade/ctr/pids.max", "max\n");
}

/* ---- v2 ---- */

static void test_v2_create_apply(void **state)
{
        layout_v2("v2", V2_CONTROLLERS);
        _cleanup_(cgroup_manager_freep) CgroupManager *m = make("v2", CGROUP_MODE_V2, "/lade/ctr");
        const CgroupPath *p;
        assert_int_equal(cgroup_manager_paths(m, &p), 1);
        assert_string_equal(p[0].controllers, "");
        /* every available controller delegated down to the parent, not in the leaf */
        assert_file("v2/cgroup.subtree_control", "+cpuset +cpu +io +memory +hugetlb +pids\n");
        assert_file("v2/lade/cgroup.subtree_control", "+cpuset +cpu +io +memory +hugetlb +pids\n");
        assert_false(exists("v2/lade/ctr/cgroup.subtree_control"));

        SpecResources r;
        fill_common(&r);
        SpecKV unified[] = { { "memory.high", "400000000" } };
        r.unified = unified;
        r.n_unified = 1;
        apply_ok(m, &r);
        assert_file("v2/lade/ctr/memory.max", "268435456\n");
        assert_file("v2/lade/ctr/memory.low", "134217728\n");
        assert_file("v2/lade/ctr/memory.swap.max", "268435456\n"); /* (mem+swap) - mem */
        assert_file("v2/lade/ctr/cpu.weight", "39\n");   /* 1 + (1024-2)*9999/262142 */
        assert_file("v2/lade/ctr/cpu.max", "50000 100000\n");
        assert_file("v2/lade/ctr/cpu.max.burst", "1000\n");
        assert_file("v2/lade/ctr/cpuset.cpus", "0-1\n");
        assert_file("v2/lade/ctr/pids.max", "100\n");
        assert_file("v2/lade/ctr/io.weight", "4950\n"); /* 1 + (500-10)*9999/990 */
        assert_file("v2/lade/ctr/io.max",
                    "8:0 rbps=1048576\n8:16 wbps=2097152\n8:0 riops=100\n8:0 wiops=200\n");
        assert_file("v2/lade/ctr/hugetlb.2MB.max", "4194304\n");
        assert_file("v2/lade/ctr/hugetlb.2MB.rsvd.max", "4194304\n");
        assert_file("v2/lade/ctr/hugetlb.1GB.max", "1073741824\n");
        assert_file("v2/lade/ctr/memory.high", "400000000"); /* verbatim */
}

static void test_v2_cpu_max_and_weight(void **state)
{
        assert_int_equal(cgroup_v2_shares_to_weight(2), 1);
        assert_int_equal(cgroup_v2_shares_to_weight(1024), 39);
        assert_int_equal(cgroup_v2_shares_to_weight(262144), 10000);
        assert_int_equal(cgroup_v2_shares_to_weight(1), 1);

        layout_v2("v2", V2_CONTROLLERS);
        _cleanup_(cgroup_manager_freep) CgroupManager *m = make("v2", CGROUP_MODE_V2, "/lade/ctr");
        SpecResources r;
        memset(&r, 0, sizeof(r));
        r.cpu.quota = (OptI64) SET(-1);
        r.cpu.period = (OptU64) SET(100000);
        apply_ok(m, &r);
        assert_last("v2/lade/ctr/cpu.max", "max 100000");
        r.cpu.quota = (OptI64) SET(20000);
        r.cpu.period = (OptU64) { 0 };
        apply_ok(m, &r);
        assert_last("v2/lade/ctr/cpu.max", "20000");
        /* a period alone keeps the quota in place */
        put("v2/lade/ctr", "cpu.max", "30000 100000\n");
        r.cpu.quota = (OptI64) { 0 };
        r.cpu.period = (OptU64) SET(200000);
        apply_ok(m, &r);
        assert_last("v2/lade/ctr/cpu.max", "30000 200000");
}

static void test_v2_memory_swap(void **state)
{
        layout_v2("v2", V2_CONTROLLERS);
        _cleanup_(cgroup_manager_freep) CgroupManager *m = make("v2", CGROUP_MODE_V2, "/lade/ctr");
        SpecResources r;
        memset(&r, 0, sizeof(r));
        r.memory.limit = (OptI64) SET(-1);
        apply_ok(m, &r);
        assert_file("v2/lade/ctr/memory.swap.max", "max\n");
        assert_file("v2/lade/ctr/memory.max", "max\n");
        r.memory.limit = (OptI64) SET(1000);
        r.memory.swap = (OptI64) SET(1000); /* swap == limit: no swap at all */
        apply_ok(m, &r);
        assert_last("v2/lade/ctr/memory.swap.max", "0");
        r.memory.swap = (OptI64) SET(500);
        apply_fails(m, &r, "linux.resources.memory.swap");
        r.memory.limit = (OptI64) { 0 };
        apply_fails(m, &r, "needs a memory limit");
        r.memory.swap = (OptI64) { 0 };
        r.memory.limit = (OptI64) SET(100);
        r.memory.check_before_update = (OptBool) SET(true);
        put("v2/lade/ctr", "memory.current", "4096\n");
        apply_fails(m, &r, "below the current usage");
}

static void test_v2_io_bfq(void **state)
{
        layout_v2("v2", V2_CONTROLLERS);
        put("v2/lade/ctr", "io.bfq.weight", "");
        _cleanup_(cgroup_manager_freep) CgroupManager *m = make("v2", CGROUP_MODE_V2, "/lade/ctr");
        SpecResources r;
        memset(&r, 0, sizeof(r));
        SpecWeightDevice wd = { .major = 8, .minor = 0, .weight = SET(400) };
        r.block_io.weight = (OptU64) SET(500);
        r.block_io.weight_device = &wd;
        r.block_io.n_weight_device = 1;
        apply_ok(m, &r);
        assert_file("v2/lade/ctr/io.bfq.weight", "500\n8:0 400\n");
        assert_file("v2/lade/ctr/io.weight", "");
}

static void test_v2_errors(void **state)
{
        layout_v2("v2", V2_CONTROLLERS);
        _cleanup_(cgroup_manager_freep) CgroupManager *m = make("v2", CGROUP_MODE_V2, "/lade/ctr");
        SpecResources r;
        const char *bad_keys[] = { "../cgroup.procs", "a/b", "..", "", "." };
        for (size_t i = 0; i < ELEMENTSOF(bad_keys); i++) {
                SpecKV kv = { (char *) bad_keys[i], "1" };
                memset(&r, 0, sizeof(r));
                r.unified = &kv;
                r.n_unified = 1;
                apply_fails(m, &r, "linux.resources.unified: invalid key");
        }
        SpecKV missing = { "memory.nope", "1" };
        r.unified = &missing;
        apply_fails(m, &r, "linux.resources.unified.memory.nope");

        memset(&r, 0, sizeof(r));
        r.cpu.realtime_runtime = (OptI64) SET(1000);
        apply_fails(m, &r, "linux.resources.cpu.realtime");
        memset(&r, 0, sizeof(r));
        r.network.class_id = (OptU64) SET(1);
        apply_fails(m, &r, "linux.resources.network.classID");
        /* per-device weights need BFQ, which this tree does not have */
        memset(&r, 0, sizeof(r));
        SpecWeightDevice wd = { .major = 8, .minor = 0, .weight = SET(400) };
        r.block_io.weight_device = &wd;
        r.block_io.n_weight_device = 1;
        apply_fails(m, &r, "linux.resources.blockIO.weightDevice");
        /* eBPF cannot attach to a plain directory: the failure names the field */
        memset(&r, 0, sizeof(r));
        r.has_devices = true;
        apply_fails(m, &r, "linux.resources.devices");
}

static void test_v2_freeze_kill(void **state)
{
        layout_v2("v2", V2_CONTROLLERS);
        _cleanup_(cgroup_manager_freep) CgroupManager *m = make("v2", CGROUP_MODE_V2, "/lade/ctr");
        _cleanup_(lade_error_freep) LadeError *e = NULL;
        bool frozen;
        assert_int_equal(cgroup_manager_freeze(m, true, &e), 0);
        assert_int_equal(cgroup_manager_is_frozen(m, &frozen, &e), 0);
        assert_true(frozen);
        assert_int_equal(cgroup_manager_freeze(m, false, &e), 0);
        assert_int_equal(cgroup_manager_is_frozen(m, &frozen, &e), 0);
        assert_false(frozen);
        assert_int_equal(cgroup_manager_kill_all(m, SIGKILL, &e), 0);
        assert_file("v2/lade/ctr/cgroup.kill", "1\n");
        /* another signal: freeze, signal the (no) pids, thaw */
        assert_int_equal(cgroup_manager_kill_all(m, SIGTERM, &e), 0);
        assert_file("v2/lade/ctr/cgroup.freeze", "1\n0\n1\n0\n");
        assert_int_equal(cgroup_manager_destroy(m, &e), 0);
        assert_false(exists("v2/lade/ctr"));
        assert_null(e);
}

/* ---- hybrid ---- */

static void layout_hybrid(void)
{
        layout_v1("hy", false);
        layout_v2("hy/unified", "hugetlb\n");
}

static void test_hybrid(void **state)
{
        layout_hybrid();
        _cleanup_(cgroup_manager_freep) CgroupManager *m = make("hy", CGROUP_MODE_HYBRID,
                                                                 "/lade/ctr");
        const CgroupPath *p = cgroup_find_unified(m);
        assert_non_null(p);
        _cleanup_free_ char *um = at("hy/unified");
        assert_string_equal(p->mount_dir, um);
        assert_file("hy/unified/cgroup.subtree_control", "+hugetlb\n");

        SpecResources r;
        fill_v1(&r);
        SpecKV unified[] = { { "cgroup.max.descendants", "50" } };
        r.unified = unified;
        r.n_unified = 1;
        apply_ok(m, &r);
        /* hugetlb lives only on the unified mount here: v2 knob names */
        assert_file("hy/unified/lade/ctr/hugetlb.2MB.max", "4194304\n");
        assert_file("hy/unified/lade/ctr/hugetlb.1GB.max", "1073741824\n");
        assert_file("hy/unified/lade/ctr/cgroup.max.descendants", "50");
        assert_last("hy/memory/lade/ctr/memory.limit_in_bytes", "268435456");
        assert_last("hy/cpu,cpuacct/lade/ctr/cpu.shares", "1024");
        assert_file("hy/devices/lade/ctr/devices.deny", "a\na\nc 1:3 w\n");

        _cleanup_(lade_error_freep) LadeError *e = NULL;
        assert_int_equal(cgroup_manager_enter(m, 99, &e), 0);
        assert_file("hy/unified/lade/ctr/cgroup.procs", "99\n");
        assert_file("hy/pids/lade/ctr/cgroup.procs", "99\n");
        /* the v1 freezer is used, and kill_all goes through it; pid 99 is fake, and kill_all
         * really signals what it reads, so the list is emptied first */
        put("hy/freezer/lade/ctr", "cgroup.procs", "");
        assert_int_equal(cgroup_manager_kill_all(m, SIGKILL, &e), 0);
        assert_file("hy/freezer/lade/ctr/freezer.state", "FROZEN\nTHAWED\n");
        assert_file("hy/unified/lade/ctr/cgroup.kill", "");
        assert_int_equal(cgroup_manager_destroy(m, &e), 0);
        assert_false(exists("hy/unified/lade/ctr"));
        assert_false(exists("hy/memory/lade/ctr"));
}

static void test_hybrid_requires_unified(void **state)
{
        layout_v1("hy", false);
        _cleanup_free_ char *root = at("hy");
        CgroupConfig cfg = { .root = root, .mode = CGROUP_MODE_HYBRID, .id = "x" };
        CgroupManager *m = NULL;
        _cleanup_(lade_error_freep) LadeError *e = NULL;
        assert_true(cgroup_manager_create(&cfg, &m, &e) < 0);
        assert_err(e, "unified");
}

/* ---- paths ---- */

static void test_path_normalize(void **state)
{
        static const char *const ok[][2] = {
                { "/a/b", "/a/b" },     { "a//b/./c/", "/a/b/c" }, { "a/../b", "/b" },
                { "/x/y/../../z", "/z" }, { "foo", "/foo" },
        };
        for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                _cleanup_free_ char *out = NULL;
                assert_int_equal(cgroup_path_normalize(ok[i][0], &out, NULL), 0);
                assert_string_equal(out, ok[i][1]);
        }
        static const char *const bad[] = { "../../etc", "/a/../../b", "/", ".", "", ".." };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *out = NULL;
                _cleanup_(lade_error_freep) LadeError *e = NULL;
                assert_true(cgroup_path_normalize(bad[i], &out, &e) < 0);
                assert_err(e, "linux.cgroupsPath");
        }
}

static void test_path_escape_rejected(void **state)
{
        layout_v2("v2", V2_CONTROLLERS);
        _cleanup_free_ char *root = at("v2");
        CgroupConfig cfg = { .root = root, .mode = CGROUP_MODE_V2, .path = "../../etc", .id = "x" };
        CgroupManager *m = NULL;
        _cleanup_(lade_error_freep) LadeError *e = NULL;
        assert_true(cgroup_manager_create(&cfg, &m, &e) < 0);
        assert_null(m);
        assert_err(e, "linux.cgroupsPath");
        assert_err(e, "leaves the cgroup hierarchy");
        assert_false(exists("etc"));
}

static void test_path_defaults(void **state)
{
        layout_v2("v2", V2_CONTROLLERS);
        _cleanup_(cgroup_manager_freep) CgroupManager *a = make("v2", CGROUP_MODE_V2, NULL);
        _cleanup_(cgroup_manager_freep) CgroupManager *b = make("v2", CGROUP_MODE_V2, "lade/rel");
        const CgroupPath *p;
        _cleanup_free_ char *want_a = at("v2/ctr");
        _cleanup_free_ char *want_b = at("v2/lade/rel");
        cgroup_manager_paths(a, &p);
        assert_string_equal(p[0].path, want_a); /* NULL -> "/<id>" */
        cgroup_manager_paths(b, &p);
        assert_string_equal(p[0].path, want_b); /* relative: under the hierarchy root */
        assert_true(exists("v2/ctr"));
        assert_true(exists("v2/lade/rel"));
}

static void test_systemd(void **state)
{
        static const char *const ok[][2] = {
                { "system.slice:lade:abc", "/system.slice/lade-abc.scope" },
                { "a-b.slice:x:y", "/a.slice/a-b.slice/x-y.scope" },
                { ":p:n", "/system.slice/p-n.scope" },
                { "user.slice::n", "/user.slice/n.scope" },
                { "-.slice:p:n.slice", "/n.slice" },
        };
        for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                _cleanup_free_ char *out = NULL;
                assert_int_equal(cgroup_systemd_expand(ok[i][0], &out, NULL), 0);
                assert_string_equal(out, ok[i][1]);
        }
        static const char *const bad[] = { "foo", "a:b", "a:b:c:d", "x.slice:p:", "bad:p:n",
                                           "a--b.slice:p:n", "s.slice:p:../n" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *out = NULL;
                assert_true(cgroup_systemd_expand(bad[i], &out, NULL) < 0);
        }
        if (access("/run/systemd/system", F_OK) == 0)
                return; /* systemd runs here: the refusal below cannot be seen */
        layout_v2("v2", V2_CONTROLLERS);
        _cleanup_free_ char *root = at("v2");
        CgroupConfig cfg = { .root = root, .mode = CGROUP_MODE_V2, .id = "x", .systemd = true };
        CgroupManager *m = NULL;
        _cleanup_(lade_error_freep) LadeError *e = NULL;
        assert_true(cgroup_manager_create(&cfg, &m, &e) < 0);
        assert_string_equal(lade_error_message(e),
                            "systemd cgroup driver requested but systemd is not running");
}

static void test_detect_mode(void **state)
{
        CgroupMode mode;
        _cleanup_(lade_error_freep) LadeError *e = NULL;
        mkdirs("plain/unified");
        _cleanup_free_ char *plain = at("plain");
        assert_int_equal(cgroup_detect_mode(plain, &mode, &e), 0);
        assert_int_equal(mode, CGROUP_MODE_V1); /* "unified" is not a cgroup2 mount */
        _cleanup_free_ char *none = at("none");
        assert_true(cgroup_detect_mode(none, &mode, &e) < 0);
        assert_string_equal(cgroup_mode_to_string(CGROUP_MODE_HYBRID), "hybrid");
        assert_null(cgroup_mode_to_string(_CGROUP_MODE_MAX));
}

/* ---- JSON ---- */

static void test_json_round_trip(void **state)
{
        layout_hybrid();
        _cleanup_(cgroup_manager_freep) CgroupManager *m = make("hy", CGROUP_MODE_HYBRID,
                                                                 "/lade/ctr");
        _cleanup_json_ json_t *j = cgroup_manager_to_json(m);
        assert_non_null(j);
        _cleanup_free_ char *text = json_dump_compact(j);
        _cleanup_json_ json_t *j2 = json_loads(text, 0, NULL);
        assert_non_null(j2);
        _cleanup_(cgroup_manager_freep) CgroupManager *m2 = NULL;
        _cleanup_(lade_error_freep) LadeError *e = NULL;
        if (cgroup_manager_from_json(j2, &m2, &e) < 0)
                fail_msg("from_json: %s", lade_error_message(e));
        assert_int_equal(cgroup_manager_mode(m2), CGROUP_MODE_HYBRID);
        const CgroupPath *a, *b;
        size_t n = cgroup_manager_paths(m, &a);
        assert_int_equal(cgroup_manager_paths(m2, &b), n);
        for (size_t i = 0; i < n; i++) {
                assert_string_equal(a[i].controllers, b[i].controllers);
                assert_string_equal(a[i].mount_dir, b[i].mount_dir);
                assert_string_equal(a[i].path, b[i].path);
        }
        /* the reopened manager works: freeze through it, destroy through it */
        assert_int_equal(cgroup_manager_freeze(m2, true, &e), 0);
        assert_last("hy/freezer/lade/ctr/freezer.state", "FROZEN");
        assert_int_equal(cgroup_manager_destroy(m2, &e), 0);
        assert_false(exists("hy/memory/lade/ctr"));
}

static void test_json_tampered(void **state)
{
        static const char *const bad[] = {
                "{\"mode\":\"v2\",\"root\":\"/r\",\"rel\":\"/c\",\"paths\":[{\"controllers\":\"\","
                "\"mount\":\"/r\",\"path\":\"/etc\"}]}",
                "{\"mode\":\"v2\",\"root\":\"/r\",\"rel\":\"/../etc\",\"paths\":[]}",
                "{\"mode\":\"v2\",\"root\":\"/r\",\"rel\":\"/a/../b\",\"paths\":[]}",
                "{\"mode\":\"v9\",\"root\":\"/r\",\"rel\":\"/c\",\"paths\":[]}",
                "{\"mode\":\"v2\",\"root\":\"/r\",\"paths\":[]}",
                "{\"mode\":\"v2\",\"root\":\"/r\",\"rel\":\"/c\",\"paths\":[{\"mount\":\"/r\"}]}",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_json_ json_t *j = json_loads(bad[i], 0, NULL);
                assert_non_null(j);
                CgroupManager *m = NULL;
                _cleanup_(lade_error_freep) LadeError *e = NULL;
                assert_true(cgroup_manager_from_json(j, &m, &e) < 0);
                assert_null(m);
                assert_non_null(e);
        }
}

/* ---- eBPF program ---- */

/* Runs the instructions cgroup-ebpf.c emits on one bpf_cgroup_dev_ctx. */
static int bpf_run(const struct bpf_insn *p, size_t n, int type, int access, uint32_t major,
                   uint32_t minor)
{
        uint32_t ctx[3] = { (uint32_t) (access << 16 | type), major, minor };
        uint64_t reg[11] = { 0 };
        for (size_t pc = 0; pc < n; pc++) {
                const struct bpf_insn *i = &p[pc];
                uint64_t *d = &reg[i->dst_reg], s = reg[i->src_reg];
                int64_t imm = i->imm; /* sign-extended, as the kernel does */
                switch (i->code) {
                case BPF_LDX | BPF_MEM | BPF_W:
                        assert_int_equal(i->src_reg, BPF_REG_1);
                        *d = ctx[i->off / 4];
                        break;
                case BPF_ALU | BPF_AND | BPF_K: *d = (uint32_t) (*d & (uint32_t) i->imm); break;
                case BPF_ALU | BPF_RSH | BPF_K: *d = (uint32_t) *d >> i->imm; break;
                case BPF_ALU | BPF_MOV | BPF_X: *d = (uint32_t) s; break;
                case BPF_ALU64 | BPF_MOV | BPF_K: *d = (uint64_t) imm; break;
                case BPF_JMP | BPF_JNE | BPF_K: pc += *d != (uint64_t) imm ? i->off : 0; break;
                case BPF_JMP | BPF_JEQ | BPF_K: pc += *d == (uint64_t) imm ? i->off : 0; break;
                case BPF_JMP | BPF_JNE | BPF_X: pc += *d != s ? i->off : 0; break;
                case BPF_JMP | BPF_EXIT: return (int) reg[0];
                default: fail_msg("unexpected opcode 0x%x at %zu", i->code, pc);
                }
                assert_true(pc + 1 <= n);
        }
        fail_msg("program ran off its end");
        return -1;
}

#define R BPF_DEVCG_ACC_READ
#define W BPF_DEVCG_ACC_WRITE
#define M BPF_DEVCG_ACC_MKNOD
#define C BPF_DEVCG_DEV_CHAR
#define B BPF_DEVCG_DEV_BLOCK

static void test_ebpf_program(void **state)
{
        _cleanup_free_ struct bpf_insn *p = NULL;
        size_t n = 0;
        assert_int_equal(cgroup_ebpf_build(dev_rules, ELEMENTSOF(dev_rules), &p, &n, NULL), 0);
        static const struct {
                int type, access;
                uint32_t major, minor;
                int allowed;
        } cases[] = {
                { C, R, 1, 3, 1 },     { C, R | M, 1, 3, 1 }, { C, W, 1, 3, 0 }, /* w taken away */
                { C, R | W, 1, 3, 0 }, { C, M, 4, 4, 1 },     { C, R, 4, 4, 0 },
                { B, R, 8, 1, 1 },     { B, W, 8, 1, 0 },     { B, R, 9, 1, 0 },
                { C, R | W, 5, 7, 1 }, { B, W, 5, 0, 1 },     { B, M, 5, 0, 0 },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                int got = bpf_run(p, n, cases[i].type, cases[i].access, cases[i].major,
                                  cases[i].minor);
                if (got != cases[i].allowed)
                        fail_msg("case %zu: got %d", i, got);
        }
}

static void test_ebpf_default_allow(void **state)
{
        SpecDeviceRule rules[] = {
                { .allow = true, .type = 'a' },
                { .allow = false, .type = 'b', .major = SET(8), .minor = SET(0), .access = "w" },
        };
        _cleanup_free_ struct bpf_insn *p = NULL;
        size_t n = 0;
        assert_int_equal(cgroup_ebpf_build(rules, ELEMENTSOF(rules), &p, &n, NULL), 0);
        assert_int_equal(bpf_run(p, n, C, R | W, 1, 3), 1);
        assert_int_equal(bpf_run(p, n, B, R, 8, 0), 1);
        assert_int_equal(bpf_run(p, n, B, R | W, 8, 0), 0); /* any denied bit refuses */
        _cleanup_free_ struct bpf_insn *q = NULL;
        assert_int_equal(cgroup_ebpf_build(NULL, 0, &q, &n, NULL), 0);
        assert_int_equal(bpf_run(q, n, C, R, 1, 3), 0); /* no rules: deny all */
        SpecDeviceRule bad = { .allow = true, .type = 'c', .access = "rx" };
        _cleanup_(lade_error_freep) LadeError *e = NULL;
        _cleanup_free_ struct bpf_insn *z = NULL;
        assert_true(cgroup_ebpf_build(&bad, 1, &z, &n, &e) < 0);
        assert_err(e, "devices[0].access");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_v1_create_apply, setup, teardown),
                cmocka_unit_test_setup_teardown(test_v1_enter_freeze_pids_destroy, setup, teardown),
                cmocka_unit_test_setup_teardown(test_v1_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_v1_memory_unlimited, setup, teardown),
                cmocka_unit_test_setup_teardown(test_v2_create_apply, setup, teardown),
                cmocka_unit_test_setup_teardown(test_v2_cpu_max_and_weight, setup, teardown),
                cmocka_unit_test_setup_teardown(test_v2_memory_swap, setup, teardown),
                cmocka_unit_test_setup_teardown(test_v2_io_bfq, setup, teardown),
                cmocka_unit_test_setup_teardown(test_v2_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_v2_freeze_kill, setup, teardown),
                cmocka_unit_test_setup_teardown(test_hybrid, setup, teardown),
                cmocka_unit_test_setup_teardown(test_hybrid_requires_unified, setup, teardown),
                cmocka_unit_test(test_path_normalize),
                cmocka_unit_test_setup_teardown(test_path_escape_rejected, setup, teardown),
                cmocka_unit_test_setup_teardown(test_path_defaults, setup, teardown),
                cmocka_unit_test_setup_teardown(test_systemd, setup, teardown),
                cmocka_unit_test_setup_teardown(test_detect_mode, setup, teardown),
                cmocka_unit_test_setup_teardown(test_json_round_trip, setup, teardown),
                cmocka_unit_test(test_json_tampered),
                cmocka_unit_test(test_ebpf_program),
                cmocka_unit_test(test_ebpf_default_allow),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

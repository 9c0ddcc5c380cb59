/* cgroup manager on this host's real cgroups (v1, v2 or hybrid), as root: create a cgroup with
 * memory, pids, cpu and hugetlb limits and a device list, move a forked child in, check
 * /proc/<child>/cgroup and the knobs, reopen the manager from its JSON (as `lade-runtime kill`
 * would), freeze/thaw, kill_all, destroy, and check that nothing is left under
 * /sys/fs/cgroup/<hierarchy>/. A second test drives the eBPF device filter on the cgroup2 mount.
 *
 * Exits 77 (skip) when not root or when /sys/fs/cgroup cannot be written. Cleans up in the
 * teardown, so a failed assertion leaves no cgroup and no child behind. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cgroup-internal.h"
#include "json-util.h"
#include "util.h"

static char cg_path[64]; /* "/lade-test-<pid>[-bpf]" */
static pid_t child = -1;
static int to_child = -1, from_child = -1;
static CgroupManager *mgr;

/* ---- the child: opens the device it is told to, answers with the errno ---- */

_noreturn_ static void child_loop(int in, int out)
{
        for (;;) {
                char c;
                if (read(in, &c, 1) != 1)
                        _exit(0);
                const char *dev = c == 'n' ? "/dev/null" : c == 'z' ? "/dev/zero" : "/dev/full";
                int fd = open(dev, O_RDWR | O_CLOEXEC);
                unsigned char res = fd >= 0 ? 0 : (unsigned char) errno;
                if (fd >= 0)
                        close(fd);
                if (write(out, &res, 1) != 1)
                        _exit(1);
        }
}

static void start_child(void)
{
        int a[2], b[2];
        assert_int_equal(pipe2(a, O_CLOEXEC), 0);
        assert_int_equal(pipe2(b, O_CLOEXEC), 0);
        child = fork();
        assert_true(child >= 0);
        if (child == 0) {
                close(a[1]);
                close(b[0]);
                child_loop(a[0], b[1]);
        }
        close(a[0]);
        close(b[1]);
        to_child = a[1];
        from_child = b[0];
}

/* errno of the child's open(dev, O_RDWR), 0 on success. */
static int probe(char dev)
{
        unsigned char res;
        assert_int_equal(write(to_child, &dev, 1), 1);
        assert_int_equal(read(from_child, &res, 1), 1);
        return res;
}

/* ---- cleanup, also after a failed assertion ---- */

static void remove_leftovers(void)
{
        _cleanup_free_ char *pattern = xasprintf("/sys/fs/cgroup/*%s", cg_path);
        _cleanup_free_ char *freezer = xasprintf("/sys/fs/cgroup/freezer%s/freezer.state",
                                                 cg_path);
        glob_t g;
        int fd = open(freezer, O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
                (void) !write(fd, "THAWED", 6);
                close(fd);
        }
        if (glob(pattern, 0, NULL, &g) != 0)
                return;
        for (size_t i = 0; i < g.gl_pathc; i++)
                (void) rmdir(g.gl_pathv[i]);
        globfree(&g);
}

static int teardown(void **state)
{
        if (child > 0) {
                (void) kill(child, SIGKILL);
                if (mgr)
                        (void) cgroup_manager_freeze(mgr, false, NULL);
                (void) waitpid(child, NULL, 0);
        }
        child = -1;
        to_child = safe_close(to_child);
        from_child = safe_close(from_child);
        if (mgr)
                (void) cgroup_manager_destroy(mgr, NULL);
        mgr = cgroup_manager_free(mgr);
        remove_leftovers();
        return 0;
}

/* ---- helpers ---- */

static void must(int r, LadeError *e, const char *what)
{
        if (r < 0)
                fail_msg("%s: %s", what, lade_error_message(e));
}

static CgroupManager *create_at(const char *root, int mode, const char *suffix)
{
        snprintf(cg_path, sizeof(cg_path), "/lade-test-%d%s", (int) getpid(), suffix);
        CgroupConfig cfg = { .root = root, .mode = mode, .path = cg_path, .id = "lade-test" };
        _cleanup_(lade_error_freep) LadeError *e = NULL;
        CgroupManager *m = NULL;
        must(cgroup_manager_create(&cfg, &m, &e), e, "create");
        return m;
}

static CgroupManager *create(const char *suffix)
{
        return create_at(NULL, -1, suffix);
}

/* The directory holding `controller` ("" = the cgroup2 one). */
static const char *dir_of(CgroupManager *m, const char *controller)
{
        const CgroupPath *p = *controller ? cgroup_find_v1(m, controller) : NULL;
        if (!p)
                p = cgroup_find_unified(m);
        assert_non_null(p);
        return p->path;
}

static void assert_knob(CgroupManager *m, const char *controller, const char *knob,
                        const char *expect)
{
        _cleanup_free_ char *v = NULL;
        _cleanup_(lade_error_freep) LadeError *e = NULL;
        must(cgroup_read(dir_of(m, controller), knob, &v, &e), e, knob);
        if (!streq(v, expect))
                fail_msg("%s/%s is '%s', expected '%s'", dir_of(m, controller), knob, v, expect);
}

/* Every line of /proc/<pid>/cgroup ("N:controllers:path") names our cgroup. */
static void assert_proc_cgroup(pid_t pid)
{
        _cleanup_free_ char *p = xasprintf("/proc/%d/cgroup", (int) pid);
        _cleanup_free_ char *s = NULL;
        assert_int_equal(read_file_at(AT_FDCWD, p, 1 << 16, &s, NULL, NULL), 0);
        size_t lines = 0;
        char *save = NULL;
        for (char *l = strtok_r(s, "\n", &save); l; l = strtok_r(NULL, "\n", &save), lines++) {
                const char *path = strchr(strchr(l, ':') + 1, ':') + 1;
                if (!streq(path, cg_path))
                        fail_msg("/proc/%d/cgroup: '%s' is not in %s", (int) pid, l, cg_path);
        }
        assert_true(lines > 0);
}

static bool has_hugetlb_2mb(CgroupManager *m)
{
        if (access("/sys/kernel/mm/hugepages/hugepages-2048kB", F_OK) < 0)
                return false;
        if (cgroup_manager_mode(m) != CGROUP_MODE_V2 && cgroup_find_v1(m, "hugetlb"))
                return true;
        const CgroupPath *u = cgroup_find_unified(m);
        return u && cgroup_has_knob(u->path, "hugetlb.2MB.max");
}

static bool pids_contain(CgroupManager *m, pid_t pid)
{
        _cleanup_free_ pid_t *pids = NULL;
        _cleanup_(lade_error_freep) LadeError *e = NULL;
        size_t n = 0;
        must(cgroup_manager_pids(m, &pids, &n, &e), e, "pids");
        for (size_t i = 0; i < n; i++)
                if (pids[i] == pid)
                        return true;
        return false;
}

static void assert_nothing_left(void)
{
        _cleanup_free_ char *pattern = xasprintf("/sys/fs/cgroup/*%s", cg_path);
        glob_t g;
        int r = glob(pattern, 0, NULL, &g);
        if (r == 0) {
                _cleanup_free_ char *first = xstrdup(g.gl_pathv[0]);
                globfree(&g);
                fail_msg("left behind: %s", first);
        }
        assert_int_equal(r, GLOB_NOMATCH);
}

/* ---- tests ---- */

#define SET(x) { .set = true, .v = (x) }

static SpecDeviceRule rules[] = {
        { .allow = false, .type = 'a', .access = "rwm" },
        { .allow = true, .type = 'c', .major = SET(1), .minor = SET(3), .access = "rwm" },
        { .allow = true, .type = 'c', .major = SET(1), .minor = SET(5), .access = "rwm" },
};

static void apply_limits(CgroupManager *m, bool hugetlb)
{
        SpecHugepageLimit huge = { "2MB", 4194304 };
        SpecResources r;
        memset(&r, 0, sizeof(r));
        r.memory.limit = (OptI64) SET(64 * 1024 * 1024);
        r.pids.limit = (OptI64) SET(32);
        r.cpu.shares = (OptU64) SET(512);
        r.hugepage_limits = hugetlb ? &huge : NULL;
        r.n_hugepage_limits = hugetlb ? 1 : 0;
        /* v2 hosts would need eBPF here; the eBPF test covers that path */
        if (cgroup_manager_mode(m) != CGROUP_MODE_V2) {
                r.devices = rules;
                r.n_devices = ELEMENTSOF(rules);
                r.has_devices = true;
        }
        _cleanup_(lade_error_freep) LadeError *e = NULL;
        must(cgroup_manager_apply(m, &r, &e), e, "apply");
}

static void check_limits(CgroupManager *m, bool hugetlb)
{
        bool v2 = cgroup_manager_mode(m) == CGROUP_MODE_V2;
        assert_knob(m, "memory", v2 ? "memory.max" : "memory.limit_in_bytes", "67108864");
        assert_knob(m, "pids", "pids.max", "32");
        assert_knob(m, "cpu", v2 ? "cpu.weight" : "cpu.shares", v2 ? "20" : "512");
        if (hugetlb)
                assert_knob(m, cgroup_find_v1(m, "hugetlb") ? "hugetlb" : "",
                            cgroup_find_v1(m, "hugetlb") ? "hugetlb.2MB.limit_in_bytes"
                                                         : "hugetlb.2MB.max",
                            "4194304");
        if (!v2) {
                assert_int_equal(probe('n'), 0);
                assert_int_equal(probe('z'), 0);
                assert_int_equal(probe('f'), EPERM); /* /dev/full (1:7) is not allowed */
        }
}

/* What `lade-runtime kill/pause` do: reopen the cgroup from the state file. */
static CgroupManager *reopen(CgroupManager *m)
{
        _cleanup_json_ json_t *j = cgroup_manager_to_json(m);
        assert_non_null(j);
        _cleanup_free_ char *text = json_dump_compact(j);
        _cleanup_json_ json_t *j2 = json_loads(text, 0, NULL);
        CgroupManager *m2 = NULL;
        _cleanup_(lade_error_freep) LadeError *e = NULL;
        must(cgroup_manager_from_json(j2, &m2, &e), e, "from_json");
        return m2;
}

static void freeze_thaw_kill(CgroupManager *m)
{
        _cleanup_(lade_error_freep) LadeError *e = NULL;
        bool frozen = true;
        must(cgroup_manager_freeze(m, true, &e), e, "freeze");
        must(cgroup_manager_is_frozen(m, &frozen, &e), e, "is_frozen");
        assert_true(frozen);
        must(cgroup_manager_freeze(m, false, &e), e, "thaw");
        must(cgroup_manager_is_frozen(m, &frozen, &e), e, "is_frozen");
        assert_false(frozen);
        assert_true(pids_contain(m, child));

        int status;
        must(cgroup_manager_kill_all(m, SIGKILL, &e), e, "kill_all");
        assert_int_equal(waitpid(child, &status, 0), child);
        child = -1;
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), SIGKILL);
}

static void test_host_lifecycle(void **state)
{
        mgr = create("");
        bool hugetlb = has_hugetlb_2mb(mgr);
        print_message("mode %s, hugetlb 2MB %s\n", cgroup_mode_to_string(cgroup_manager_mode(mgr)),
                      hugetlb ? "yes" : "no");
        apply_limits(mgr, hugetlb);
        start_child();
        _cleanup_(lade_error_freep) LadeError *e = NULL;
        must(cgroup_manager_enter(mgr, child, &e), e, "enter");
        assert_proc_cgroup(child);
        check_limits(mgr, hugetlb);

        _cleanup_(cgroup_manager_freep) CgroupManager *m2 = reopen(mgr);
        freeze_thaw_kill(m2);
        must(cgroup_manager_destroy(m2, &e), e, "destroy");
        assert_nothing_left();
}

/* The cgroup2 device filter: deny all but /dev/null, then replace it with one that also allows
 * /dev/zero; exactly one program stays attached. */
static void test_host_ebpf(void **state)
{
        mgr = create("-bpf");
        const CgroupPath *u = cgroup_find_unified(mgr);
        if (!u)
                skip(); /* pure v1 host: no cgroup2 to attach to */
        start_child();
        _cleanup_(lade_error_freep) LadeError *e = NULL;
        must(cgroup_manager_enter(mgr, child, &e), e, "enter");
        must(cgroup_ebpf_apply(u->path, rules, 2, &e), e, "ebpf 1");
        assert_int_equal(probe('n'), 0);
        assert_int_equal(probe('z'), EPERM);
        must(cgroup_ebpf_apply(u->path, rules, 3, &e), e, "ebpf 2");
        assert_int_equal(probe('z'), 0);
        assert_int_equal(probe('f'), EPERM);
        size_t n = 0;
        must(cgroup_ebpf_count_attached(u->path, &n, &e), e, "query");
        assert_int_equal(n, 1);

        must(cgroup_manager_kill_all(mgr, SIGKILL, &e), e, "kill_all");
        assert_int_equal(waitpid(child, NULL, 0), child);
        child = -1;
        must(cgroup_manager_destroy(mgr, &e), e, "destroy");
        assert_nothing_left();
}

/* The pure-v1 code path on real files: the same host with the cgroup2 mount ignored. */
static void test_host_forced_v1(void **state)
{
        mgr = create_at(NULL, CGROUP_MODE_V1, "-v1");
        assert_null(cgroup_find_unified(mgr));
        bool hugetlb = cgroup_find_v1(mgr, "hugetlb") != NULL;
        SpecHugepageLimit huge = { "2MB", 4194304 };
        SpecResources r;
        memset(&r, 0, sizeof(r));
        r.hugepage_limits = &huge;
        r.n_hugepage_limits = 1;
        _cleanup_(lade_error_freep) LadeError *e = NULL;
        if (!hugetlb) {
                assert_true(cgroup_manager_apply(mgr, &r, &e) < 0);
                assert_string_equal(lade_error_message(e),
                                    "linux.resources.hugepageLimits: no hugetlb controller");
        }
        apply_limits(mgr, hugetlb);
        start_child();
        must(cgroup_manager_enter(mgr, child, &e), e, "enter");
        check_limits(mgr, hugetlb);
        freeze_thaw_kill(mgr);
        must(cgroup_manager_destroy(mgr, &e), e, "destroy");
        assert_nothing_left();
}

/* The pure-v2 code path on a real cgroup2 mount (on a hybrid host the unified one, which has only
 * hugetlb): cgroup.subtree_control, hugetlb.*.max, eBPF devices through apply, cgroup.freeze and
 * cgroup.events, cgroup.kill. */
static void test_host_forced_v2(void **state)
{
        CgroupMode mode;
        _cleanup_(lade_error_freep) LadeError *e = NULL;
        must(cgroup_detect_mode(NULL, &mode, &e), e, "detect");
        if (mode == CGROUP_MODE_V1)
                skip();
        mgr = create_at(mode == CGROUP_MODE_V2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified",
                        CGROUP_MODE_V2, "-v2");
        bool hugetlb = has_hugetlb_2mb(mgr);
        SpecHugepageLimit huge = { "2MB", 2097152 };
        SpecKV max_desc = { "cgroup.max.descendants", "5" };
        SpecResources r;
        memset(&r, 0, sizeof(r));
        r.hugepage_limits = hugetlb ? &huge : NULL;
        r.n_hugepage_limits = hugetlb ? 1 : 0;
        r.devices = rules;
        r.n_devices = 2; /* deny all, allow /dev/null */
        r.has_devices = true;
        r.unified = &max_desc;
        r.n_unified = 1;
        must(cgroup_manager_apply(mgr, &r, &e), e, "apply");
        if (hugetlb)
                assert_knob(mgr, "", "hugetlb.2MB.max", "2097152");
        assert_knob(mgr, "", "cgroup.max.descendants", "5");
        start_child();
        must(cgroup_manager_enter(mgr, child, &e), e, "enter");
        assert_int_equal(probe('n'), 0);
        assert_int_equal(probe('z'), EPERM);
        freeze_thaw_kill(mgr);
        must(cgroup_manager_destroy(mgr, &e), e, "destroy");
        assert_nothing_left();
}

int main(void)
{
        if (geteuid() != 0 || access("/sys/fs/cgroup", W_OK) < 0) {
                fprintf(stderr, "needs root and a writable /sys/fs/cgroup, skipping\n");
                return 77;
        }
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_host_lifecycle, teardown),
                cmocka_unit_test_teardown(test_host_ebpf, teardown),
                cmocka_unit_test_teardown(test_host_forced_v1, teardown),
                cmocka_unit_test_teardown(test_host_forced_v2, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

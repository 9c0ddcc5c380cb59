/* seccomp: profiles compile or fail naming their field, and a loaded program really changes what
 * syscalls do (checked in forked children, which report through their exit status). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "seccomp-program.h"
#include "util.h"

#define NAMES(...) ((char *[]) { __VA_ARGS__, NULL })
#define RULES(...) ((SpecSeccompRule[]) { __VA_ARGS__ })
#define N_RULES(...) (sizeof((SpecSeccompRule[]) { __VA_ARGS__ }) / sizeof(SpecSeccompRule))
#define ARGS(...) .args = ((SpecSeccompArg[]) { __VA_ARGS__ }), \
                  .n_args = sizeof((SpecSeccompArg[]) { __VA_ARGS__ }) / sizeof(SpecSeccompArg)
#define ERRNO_RET(e) .errno_ret = { .set = true, .v = (e) }
#define PROFILE(def, ...) ((SpecSeccomp) { .default_action = (def), .syscalls = RULES(__VA_ARGS__), \
                                           .n_syscalls = N_RULES(__VA_ARGS__) })

static SeccompProgram *compile_ok(const SpecSeccomp *s)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        SeccompProgram *p = NULL;
        int r = seccomp_program_compile(s, &p, &err);
        if (r < 0)
                print_error("unexpected error: %s\n", lade_error_message(err));
        assert_int_equal(r, 0);
        assert_non_null(p);
        return p;
}

static void compile_fails(const SpecSeccomp *s, int errnum, const char *msg)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        SeccompProgram *p = NULL;
        int r = seccomp_program_compile(s, &p, &err);
        assert_int_equal(r, -errnum);
        assert_null(p);
        assert_non_null(err);
        assert_string_equal(lade_error_message(err), msg);
}

/* fork; in the child set no_new_privs, load p and return fn()'s value as exit status. Returns the
 * wait status. */
typedef int (*ChildFn)(int notify_fd, void *userdata);

static pid_t spawn_filtered(const SeccompProgram *p, ChildFn fn, void *userdata)
{
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid > 0)
                return pid;

        struct rlimit no_core = { 0, 0 };
        (void) setrlimit(RLIMIT_CORE, &no_core);
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                _exit(100);
        LadeError *err = NULL;
        int notify_fd = -1;
        if (seccomp_program_load(p, &notify_fd, &err) < 0) {
                fprintf(stderr, "child: %s\n", lade_error_message(err));
                _exit(101);
        }
        _exit(fn(notify_fd, userdata));
}

static int wait_child(pid_t pid)
{
        int status;
        pid_t r;
        do
                r = waitpid(pid, &status, 0);
        while (r < 0 && errno == EINTR);
        assert_int_equal(r, pid);
        return status;
}

static void assert_exit_ok(int status)
{
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                print_error("child status 0x%x (exit %d, signal %d)\n", status,
                            WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                            WIFSIGNALED(status) ? WTERMSIG(status) : -1);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

/* A syscall result check for children: returns `code` unless the call failed with `errnum`
 * (or, for errnum 0, succeeded). */
static int expect(long r, int errnum, int code)
{
        if (errnum == 0)
                return r >= 0 ? 0 : code;
        return r < 0 && errno == errnum ? 0 : code;
}

/* --- compile: valid profiles --- */

static void test_compile_every_action(void **state)
{
        SpecSeccomp s = PROFILE("SCMP_ACT_ERRNO",
                { .names = NAMES("getppid"), .action = "SCMP_ACT_KILL" },
                { .names = NAMES("getpgid"), .action = "SCMP_ACT_KILL_PROCESS" },
                { .names = NAMES("getpgrp"), .action = "SCMP_ACT_KILL_THREAD" },
                { .names = NAMES("getsid"), .action = "SCMP_ACT_TRAP" },
                { .names = NAMES("mkdir", "mkdirat"), .action = "SCMP_ACT_ERRNO", ERRNO_RET(EXDEV) },
                { .names = NAMES("rmdir"), .action = "SCMP_ACT_TRACE", ERRNO_RET(42) },
                { .names = NAMES("read", "write", "socketcall"), .action = "SCMP_ACT_ALLOW" },
                { .names = NAMES("uname"), .action = "SCMP_ACT_LOG" },
                { .names = NAMES("chmod"), .action = "SCMP_ACT_NOTIFY" },
                { .names = NAMES("personality"), .action = "SCMP_ACT_ALLOW",
                  ARGS({ .index = 0, .value = 1, .op = "SCMP_CMP_NE" },
                       { .index = 1, .value = 2, .op = "SCMP_CMP_LT" },
                       { .index = 2, .value = 3, .op = "SCMP_CMP_LE" },
                       { .index = 3, .value = 4, .op = "SCMP_CMP_EQ" },
                       { .index = 4, .value = 5, .op = "SCMP_CMP_GE" },
                       { .index = 5, .value = 0xff, .value_two = 6, .op = "SCMP_CMP_MASKED_EQ" }) },
                { .names = NAMES("umask"), .action = "SCMP_ACT_ALLOW",
                  ARGS({ .index = 0, .value = 7, .op = "SCMP_CMP_GT" }) });
        s.default_errno_ret = (OptU64) { .set = true, .v = ENOSYS };
        s.architectures = NAMES("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32",
                                "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM");
        s.listener_path = "/run/agent.sock";

        _cleanup_(seccomp_program_freep) SeccompProgram *p = compile_ok(&s);
        assert_true(seccomp_program_wants_notify(p));
}

static void test_compile_without_notify(void **state)
{
        SpecSeccomp s = PROFILE("SCMP_ACT_ALLOW",
                { .names = NAMES("mkdir"), .action = "SCMP_ACT_ERRNO" });
        /* ignored (with a debug message) when nothing notifies */
        s.flags = NAMES("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV");
        _cleanup_(seccomp_program_freep) SeccompProgram *p = compile_ok(&s);
        assert_false(seccomp_program_wants_notify(p));
}

static void test_compile_skips(void **state)
{
        /* unknown name in an allow rule under a denying default: skipping is fail-closed */
        SpecSeccomp s = PROFILE("SCMP_ACT_ERRNO",
                { .names = NAMES("read", "no_such_syscall"), .action = "SCMP_ACT_ALLOW" },
                { .names = NAMES("no_such_syscall_either"), .action = "SCMP_ACT_LOG" },
                /* same as the default action: skipped whole, names unresolved */
                { .names = NAMES("no_such_syscall"), .action = "SCMP_ACT_ERRNO" });
        _cleanup_(seccomp_program_freep) SeccompProgram *p = compile_ok(&s);

        SpecSeccomp s2 = PROFILE("SCMP_ACT_LOG",
                { .names = NAMES("no_such_syscall"), .action = "SCMP_ACT_ALLOW" });
        _cleanup_(seccomp_program_freep) SeccompProgram *p2 = compile_ok(&s2);
}

/* --- compile: invalid profiles --- */

static void test_compile_errors(void **state)
{
        SpecSeccomp s;

        s = PROFILE("SCMP_ACT_NOPE", { .names = NAMES("read"), .action = "SCMP_ACT_ALLOW" });
        compile_fails(&s, EINVAL, "linux.seccomp.defaultAction: unknown action 'SCMP_ACT_NOPE'");

        s = PROFILE("SCMP_ACT_ALLOW",
                    { .names = NAMES("read"), .action = "SCMP_ACT_ERRNO" },
                    { .names = NAMES("write"), .action = "SCMP_ACT_FOO" });
        compile_fails(&s, EINVAL, "linux.seccomp.syscalls[1].action: unknown action 'SCMP_ACT_FOO'");

        s = PROFILE("SCMP_ACT_ALLOW",
                    { .names = NAMES("read"), .action = "SCMP_ACT_ERRNO",
                      ARGS({ .index = 0, .value = 1, .op = "SCMP_CMP_EQ" },
                           { .index = 1, .value = 1, .op = "SCMP_CMP_FOO" }) });
        compile_fails(&s, EINVAL, "linux.seccomp.syscalls[0].args[1].op: unknown operator 'SCMP_CMP_FOO'");

        s = PROFILE("SCMP_ACT_ALLOW",
                    { .names = NAMES("read"), .action = "SCMP_ACT_ERRNO",
                      ARGS({ .index = 6, .value = 1, .op = "SCMP_CMP_EQ" }) });
        compile_fails(&s, EINVAL, "linux.seccomp.syscalls[0].args[0].index: 6 is out of range (0-5)");

        s = PROFILE("SCMP_ACT_ALLOW", { .names = NAMES("read"), .action = "SCMP_ACT_ERRNO" });
        s.architectures = NAMES("SCMP_ARCH_X86", "SCMP_ARCH_VAX");
        compile_fails(&s, EINVAL, "linux.seccomp.architectures[1]: unknown architecture 'SCMP_ARCH_VAX'");

        s = PROFILE("SCMP_ACT_ALLOW", { .names = NAMES("read"), .action = "SCMP_ACT_ERRNO" });
        s.flags = NAMES("SECCOMP_FILTER_FLAG_FOO");
        compile_fails(&s, EINVAL, "linux.seccomp.flags[0]: unknown flag 'SECCOMP_FILTER_FLAG_FOO'");

        s = PROFILE("SCMP_ACT_ALLOW",
                    { .names = NAMES("read"), .action = "SCMP_ACT_ERRNO" },
                    { .names = NAMES("write"), .action = "SCMP_ACT_ERRNO" },
                    { .names = NAMES("close"), .action = "SCMP_ACT_KILL" },
                    { .names = NAMES("mkdir", "no_such_syscall"), .action = "SCMP_ACT_ERRNO" });
        compile_fails(&s, EINVAL, "linux.seccomp.syscalls[3].names[1]: unknown syscall 'no_such_syscall'");

        /* logging is not less than allowing: skipping here would let the call through unlogged */
        s = PROFILE("SCMP_ACT_ALLOW", { .names = NAMES("no_such_syscall"), .action = "SCMP_ACT_LOG" });
        compile_fails(&s, EINVAL, "linux.seccomp.syscalls[0].names[0]: unknown syscall 'no_such_syscall'");

        s = PROFILE("SCMP_ACT_ERRNO", { .names = NAMES("read"), .action = "SCMP_ACT_ALLOW",
                                        ERRNO_RET(EPERM) });
        compile_fails(&s, EINVAL, "linux.seccomp.syscalls[0].errnoRet: not valid with SCMP_ACT_ALLOW");

        s = PROFILE("SCMP_ACT_ALLOW", { .names = NAMES("read"), .action = "SCMP_ACT_ERRNO",
                                        ERRNO_RET(70000) });
        compile_fails(&s, EINVAL, "linux.seccomp.syscalls[0].errnoRet: 70000 is out of range (0-65535)");

        s = PROFILE("SCMP_ACT_ALLOW", { .names = NAMES("read"), .action = "SCMP_ACT_ERRNO" });
        s.default_errno_ret = (OptU64) { .set = true, .v = EPERM };
        compile_fails(&s, EINVAL, "linux.seccomp.defaultErrnoRet: not valid with SCMP_ACT_ALLOW");

        s = PROFILE("SCMP_ACT_NOTIFY", { .names = NAMES("read"), .action = "SCMP_ACT_ALLOW" });
        s.listener_path = "/run/agent.sock";
        compile_fails(&s, EINVAL, "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");

        s = PROFILE("SCMP_ACT_ALLOW", { .names = NAMES("read", "write"), .action = "SCMP_ACT_NOTIFY" });
        s.listener_path = "/run/agent.sock";
        compile_fails(&s, EINVAL,
                      "linux.seccomp.syscalls[0].names[1]: SCMP_ACT_NOTIFY cannot be used for the write syscall");

        s = PROFILE("SCMP_ACT_ALLOW", { .names = NAMES("sendmsg"), .action = "SCMP_ACT_NOTIFY" });
        s.listener_path = "/run/agent.sock";
        compile_fails(&s, EINVAL,
                      "linux.seccomp.syscalls[0].names[0]: SCMP_ACT_NOTIFY cannot be used for the sendmsg syscall");

        s = PROFILE("SCMP_ACT_ALLOW", { .names = NAMES("mkdir"), .action = "SCMP_ACT_NOTIFY" });
        compile_fails(&s, EINVAL,
                      "linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath");

        s = PROFILE("SCMP_ACT_ALLOW", { .names = NAMES(NULL), .action = "SCMP_ACT_ERRNO" });
        compile_fails(&s, EINVAL, "linux.seccomp.syscalls[0].names: must contain at least one entry");
}

/* --- the lists for `features` --- */

static bool strv_has(const char *const *v, const char *s)
{
        for (; v && *v; v++)
                if (streq(*v, s))
                        return true;
        return false;
}

static void test_known_lists(void **state)
{
        const char *const *a = seccomp_known_actions();
        assert_int_equal(strv_length((char *const *) a), 9);
        assert_true(strv_has(a, "SCMP_ACT_KILL_PROCESS"));
        assert_true(strv_has(a, "SCMP_ACT_NOTIFY"));
        assert_int_equal(strv_length((char *const *) seccomp_known_operators()), 7);
        assert_true(strv_has(seccomp_known_operators(), "SCMP_CMP_MASKED_EQ"));
        assert_true(strv_length((char *const *) seccomp_known_archs()) >= 19);
        assert_true(strv_has(seccomp_known_archs(), "SCMP_ARCH_X32"));
        assert_true(strv_has(seccomp_known_archs(), "SCMP_ARCH_RISCV64"));
        const char *const *f = seccomp_known_flags();
        assert_int_equal(strv_length((char *const *) f), 4);
        assert_true(strv_has(f, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"));
        for (const char *const *i = seccomp_supported_flags(); *i; i++)
                assert_true(strv_has(f, *i));
        assert_true(strv_has(seccomp_supported_flags(), "SECCOMP_FILTER_FLAG_TSYNC"));

        const char *v = seccomp_library_version();
        assert_true(strlen(v) >= 5 && v[1] == '.');
}

/* --- real behaviour --- */

static char tmpdir[64];

static int setup_tmp(void **state)
{
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/lade-test-seccomp-XXXXXX");
        assert_non_null(mkdtemp(tmpdir));
        return 0;
}

static int teardown_tmp(void **state)
{
        (void) rm_rf_at(AT_FDCWD, tmpdir);
        return 0;
}

static int child_errno(int notify_fd, void *userdata)
{
        const char *dir = userdata;
        int r;

        r = expect(mkdir(dir, 0700), EXDEV, 1);
        if (r == 0)
                r = expect(syscall(SYS_getppid), EPERM, 2);
        if (r == 0)
                r = expect(getpid(), 0, 3);
        if (r == 0)
                r = expect(access("/", F_OK), 0, 4);
        return r;
}

static void test_load_errno(void **state)
{
        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s/made", tmpdir);
        SpecSeccomp s = PROFILE("SCMP_ACT_ALLOW",
                { .names = NAMES("mkdir", "mkdirat"), .action = "SCMP_ACT_ERRNO", ERRNO_RET(EXDEV) },
                { .names = NAMES("getppid"), .action = "SCMP_ACT_ERRNO" });
        s.flags = NAMES("SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW");
        _cleanup_(seccomp_program_freep) SeccompProgram *p = compile_ok(&s);

        assert_exit_ok(wait_child(spawn_filtered(p, child_errno, dir)));
        struct stat st;
        assert_int_equal(stat(dir, &st), -1);
        assert_int_equal(errno, ENOENT);
}

/* The program cache: a second compile of the same profile text reuses the stored program (it
 * still filters), and a different profile text gets its own entry, never the first one's. */
static void test_compile_cached(void **state)
{
        char dir[PATH_MAX], cache[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s/made", tmpdir);
        snprintf(cache, sizeof(cache), "%s/cache", tmpdir);
        SpecSeccomp s = PROFILE("SCMP_ACT_ALLOW",
                { .names = NAMES("mkdir", "mkdirat"), .action = "SCMP_ACT_ERRNO", ERRNO_RET(EXDEV) },
                { .names = NAMES("getppid"), .action = "SCMP_ACT_ERRNO" });
        LadeError *err = NULL;
        SeccompProgram *p = NULL;
        assert_int_equal(seccomp_program_compile_cached(&s, "{\"profile\":\"A\"}", cache, &p, &err), 0);
        p = seccomp_program_free(p);
        _cleanup_closedir_ DIR *d = opendir(cache);
        assert_non_null(d);
        int entries = 0;
        for (struct dirent *de; (de = readdir(d));)
                entries += de->d_name[0] != '.';
        assert_int_equal(entries, 1);
        /* from the cache: behaves exactly like the compiled program */
        assert_int_equal(seccomp_program_compile_cached(&s, "{\"profile\":\"A\"}", cache, &p, &err), 0);
        assert_exit_ok(wait_child(spawn_filtered(p, child_errno, dir)));
        p = seccomp_program_free(p);
        SpecSeccomp allow = PROFILE("SCMP_ACT_ALLOW", { .names = NAMES("getppid"), .action = "SCMP_ACT_ERRNO" });
        assert_int_equal(seccomp_program_compile_cached(&allow, "{\"profile\":\"B\"}", cache, &p, &err), 0);
        p = seccomp_program_free(p);
        rewinddir(d);
        entries = 0;
        for (struct dirent *de; (de = readdir(d));)
                entries += de->d_name[0] != '.';
        assert_int_equal(entries, 2);
        assert_null(err);
}

static int child_args(int notify_fd, void *userdata)
{
        int r = 0;
        /* EQ on a 32-bit all-ones value (0xffffffff only queries the persona) */
        r = r ?: expect(syscall(SYS_personality, 0xffffffffUL), ENOTBLK, 1);
        r = r ?: expect(syscall(SYS_personality, 0UL), 0, 2);
        /* MASKED_EQ: value is the mask (070), valueTwo the datum (020) */
        r = r ?: expect(syscall(SYS_umask, 0027), EXDEV, 3);
        r = r ?: expect(syscall(SYS_umask, 0077), 0, 4);
        r = r ?: expect(syscall(SYS_umask, 0020), EXDEV, 5);
        r = r ?: expect(syscall(SYS_umask, 0002), 0, 6);
        /* two comparisons on one argument: either matches (OR) */
        r = r ?: expect(syscall(SYS_getpgid, 1), ECHILD, 7);
        r = r ?: expect(syscall(SYS_getpgid, 2), ECHILD, 8);
        r = r ?: expect(syscall(SYS_getpgid, 0), 0, 9);
        /* comparisons on different arguments: all must match (AND) */
        r = r ?: expect(syscall(SYS_getpriority, PRIO_PROCESS, 12345), ENOTBLK, 10);
        r = r ?: expect(syscall(SYS_getpriority, PRIO_PROCESS, 0), 0, 11);
        if (r == 0 && syscall(SYS_getpriority, PRIO_PGRP, 12345) < 0 && errno == ENOTBLK)
                r = 12;
        return r;
}

static void test_load_arg_filters(void **state)
{
        SpecSeccomp s = PROFILE("SCMP_ACT_ALLOW",
                { .names = NAMES("personality"), .action = "SCMP_ACT_ERRNO", ERRNO_RET(ENOTBLK),
                  ARGS({ .index = 0, .value = 0xffffffffu, .op = "SCMP_CMP_EQ" }) },
                { .names = NAMES("umask"), .action = "SCMP_ACT_ERRNO", ERRNO_RET(EXDEV),
                  ARGS({ .index = 0, .value = 0070, .value_two = 0020, .op = "SCMP_CMP_MASKED_EQ" }) },
                { .names = NAMES("getpgid"), .action = "SCMP_ACT_ERRNO", ERRNO_RET(ECHILD),
                  ARGS({ .index = 0, .value = 1, .op = "SCMP_CMP_EQ" },
                       { .index = 0, .value = 2, .op = "SCMP_CMP_EQ" }) },
                { .names = NAMES("getpriority"), .action = "SCMP_ACT_ERRNO", ERRNO_RET(ENOTBLK),
                  ARGS({ .index = 0, .value = PRIO_PROCESS, .op = "SCMP_CMP_EQ" },
                       { .index = 1, .value = 12345, .op = "SCMP_CMP_EQ" }) });
        _cleanup_(seccomp_program_freep) SeccompProgram *p = compile_ok(&s);
        assert_exit_ok(wait_child(spawn_filtered(p, child_args, NULL)));
}

static int child_getppid(int notify_fd, void *userdata)
{
        (void) syscall(SYS_getppid);
        return 0;
}

static void test_load_kill_process(void **state)
{
        SpecSeccomp s = PROFILE("SCMP_ACT_ALLOW",
                { .names = NAMES("getppid"), .action = "SCMP_ACT_KILL_PROCESS" });
        _cleanup_(seccomp_program_freep) SeccompProgram *p = compile_ok(&s);
        int status = wait_child(spawn_filtered(p, child_getppid, NULL));
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), SIGSYS);
}

static volatile sig_atomic_t got_sigsys;

static void on_sigsys(int sig)
{
        got_sigsys = 1;
}

static int child_trap(int notify_fd, void *userdata)
{
        struct sigaction sa = { .sa_handler = on_sigsys };
        if (sigaction(SIGSYS, &sa, NULL) < 0)
                return 1;
        (void) syscall(SYS_getppid);
        return got_sigsys ? 0 : 2;
}

static void test_load_trap(void **state)
{
        SpecSeccomp s = PROFILE("SCMP_ACT_ALLOW",
                { .names = NAMES("getppid"), .action = "SCMP_ACT_TRAP" });
        _cleanup_(seccomp_program_freep) SeccompProgram *p = compile_ok(&s);
        int status = wait_child(spawn_filtered(p, child_trap, NULL));
        assert_exit_ok(status);
}

/* NOTIFY end to end: the child loads, sends its listener fd to our socket with
 * seccomp_send_listener(), then calls getppid(); we answer 4242 through the fd. */
typedef struct NotifyCtx {
        const char *sock_path;
} NotifyCtx;

static int child_notify(int notify_fd, void *userdata)
{
        const NotifyCtx *c = userdata;
        LadeError *err = NULL;
        if (notify_fd < 0)
                return 1;
        _cleanup_free_ char *state = xasprintf(
                "{\"ociVersion\":\"1.1.0\",\"id\":\"ctr1\",\"status\":\"creating\",\"pid\":%d,"
                "\"bundle\":\"/b\",\"annotations\":{\"k\":\"v\"}}", (int) getpid());
        if (seccomp_send_listener(c->sock_path, "MKNOD=/dev/null", state, notify_fd, &err) < 0) {
                fprintf(stderr, "child: %s\n", lade_error_message(err));
                return 2;
        }
        safe_close(notify_fd);
        return syscall(SYS_getppid) == 4242 ? 0 : 3;
}

static int recv_state(int conn, char *buf, size_t size, int *ret_fd)
{
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct iovec iov = { .iov_base = buf, .iov_len = size - 1 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                             .msg_controllen = sizeof(control.buf) };
        ssize_t n = recvmsg(conn, &mh, MSG_CMSG_CLOEXEC);
        assert_true(n > 0);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        assert_non_null(c);
        assert_int_equal(c->cmsg_type, SCM_RIGHTS);
        memcpy(ret_fd, CMSG_DATA(c), sizeof(int));
        /* the rest (if any) arrives without fds; the sender closes after one message */
        size_t len = (size_t) n;
        while (len < size - 1 && (n = read(conn, buf + len, size - 1 - len)) > 0)
                len += (size_t) n;
        buf[len] = '\0';
        return 0;
}

static void check_state(const char *text, pid_t child)
{
        json_error_t jerr;
        json_t *o = json_loads(text, 0, &jerr);
        assert_non_null(o);
        assert_string_equal(json_string_value(json_object_get(o, "ociVersion")), LADE_OCI_VERSION);
        json_t *fds = json_object_get(o, "fds");
        assert_int_equal(json_array_size(fds), 1);
        assert_string_equal(json_string_value(json_array_get(fds, 0)), "seccompFd");
        assert_int_equal(json_integer_value(json_object_get(o, "pid")), child);
        assert_string_equal(json_string_value(json_object_get(o, "metadata")), "MKNOD=/dev/null");
        json_t *st = json_object_get(o, "state");
        assert_string_equal(json_string_value(json_object_get(st, "id")), "ctr1");
        assert_string_equal(json_string_value(json_object_get(st, "status")), "creating");
        json_decref(o);
}

static void answer_one(int notify_fd, pid_t child)
{
        struct pollfd pfd = { .fd = notify_fd, .events = POLLIN };
        assert_int_equal(poll(&pfd, 1, 10000), 1);
        struct seccomp_notif req = {};
        assert_int_equal(ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_RECV, &req), 0);
        assert_int_equal(req.data.nr, SYS_getppid);
        assert_int_equal(req.pid, child);
        struct seccomp_notif_resp resp = { .id = req.id, .val = 4242 };
        assert_int_equal(ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp), 0);
}

static void test_load_notify_and_listener(void **state)
{
        char sock_path[100];
        snprintf(sock_path, sizeof(sock_path), "%s/agent.sock", tmpdir);
        _cleanup_close_ int lsock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
        assert_int_equal(bind(lsock, (struct sockaddr *) &sa, sizeof(sa)), 0);
        assert_int_equal(listen(lsock, 1), 0);

        SpecSeccomp s = PROFILE("SCMP_ACT_ALLOW",
                { .names = NAMES("getppid"), .action = "SCMP_ACT_NOTIFY" });
        s.listener_path = sock_path;
        s.listener_metadata = "MKNOD=/dev/null";
        s.flags = NAMES("SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV");
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        _cleanup_(seccomp_program_freep) SeccompProgram *p = NULL;
        if (seccomp_program_compile(&s, &p, &err) == -EOPNOTSUPP) {
                print_message("kernel lacks notify support: %s\n", lade_error_message(err));
                skip();
        }
        assert_non_null(p);
        assert_true(seccomp_program_wants_notify(p));

        NotifyCtx c = { .sock_path = sock_path };
        pid_t child = spawn_filtered(p, child_notify, &c);
        struct pollfd pfd = { .fd = lsock, .events = POLLIN };
        assert_int_equal(poll(&pfd, 1, 10000), 1);
        _cleanup_close_ int conn = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
        assert_true(conn >= 0);
        char buf[4096];
        _cleanup_close_ int notify_fd = -EBADF;
        recv_state(conn, buf, sizeof(buf), &notify_fd);
        check_state(buf, child);
        answer_one(notify_fd, child);
        assert_exit_ok(wait_child(child));
}

/* The init's variant: the runtime connected the socket, the init only sends. */
static void test_send_listener_fd(void **state)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        _cleanup_close_ int a = -EBADF, b = -EBADF, passed = -EBADF;
        int sv[2], pipefd[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        a = sv[0];
        b = sv[1];
        assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);

        const char *st = "{\"ociVersion\":\"1.1.0\",\"id\":\"ctr1\",\"status\":\"creating\","
                         "\"pid\":4422,\"bundle\":\"/b\"}";
        assert_int_equal(seccomp_send_listener_fd(a, "MKNOD=/dev/null", st, pipefd[0], &err), 0);
        a = safe_close(a);
        char buf[4096];
        recv_state(b, buf, sizeof(buf), &passed);
        check_state(buf, 4422);

        /* the received fd is the pipe we sent */
        struct stat s1, s2;
        assert_int_equal(fstat(pipefd[0], &s1), 0);
        assert_int_equal(fstat(passed, &s2), 0);
        assert_int_equal(s1.st_ino, s2.st_ino);
        safe_close(pipefd[0]);
        safe_close(pipefd[1]);
}

static void test_send_listener_errors(void **state)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        char sock_path[PATH_MAX];
        snprintf(sock_path, sizeof(sock_path), "%s/nobody-listens.sock", tmpdir);
        int r = seccomp_send_listener(sock_path, NULL, "{\"pid\":1}", 0, &err);
        assert_int_equal(r, -ENOENT);
        assert_non_null(strstr(lade_error_message(err), "nobody-listens.sock"));
        err = lade_error_free(err);

        r = seccomp_send_listener(sock_path, NULL, "{\"id\":\"x\"}", 0, &err);
        assert_int_equal(r, -EINVAL);
        assert_string_equal(lade_error_message(err), "container state: pid: expected a positive integer");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_compile_every_action),
                cmocka_unit_test(test_compile_without_notify),
                cmocka_unit_test(test_compile_skips),
                cmocka_unit_test(test_compile_errors),
                cmocka_unit_test(test_known_lists),
                cmocka_unit_test_setup_teardown(test_load_errno, setup_tmp, teardown_tmp),
                cmocka_unit_test_setup_teardown(test_compile_cached, setup_tmp, teardown_tmp),
                cmocka_unit_test(test_load_arg_filters),
                cmocka_unit_test(test_load_kill_process),
                cmocka_unit_test(test_load_trap),
                cmocka_unit_test_setup_teardown(test_load_notify_and_listener, setup_tmp, teardown_tmp),
                cmocka_unit_test(test_send_listener_fd),
                cmocka_unit_test_setup_teardown(test_send_listener_errors, setup_tmp, teardown_tmp),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* caps: the name table round-trips, parse errors name their field, and (as root) caps_apply
 * leaves exactly the requested sets in /proc/self/status of a forked child. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caps.h"
#include "util.h"

#define NAMES(...) ((char *[]) { __VA_ARGS__, NULL })
#define BIT(c) (UINT64_C(1) << (c))

static void test_name_table(void **state)
{
        for (int cap = 0; cap <= 40; cap++) {
                const char *n = caps_name(cap);
                assert_non_null(n);
                assert_true(startswith(n, "CAP_"));
                assert_int_equal(caps_from_name(n), cap);
        }
        assert_string_equal(caps_name(CAP_CHOWN), "CAP_CHOWN");
        assert_string_equal(caps_name(CAP_NET_BIND_SERVICE), "CAP_NET_BIND_SERVICE");
        assert_string_equal(caps_name(CAP_SYS_ADMIN), "CAP_SYS_ADMIN");
        assert_string_equal(caps_name(CAP_AUDIT_READ), "CAP_AUDIT_READ");
        assert_string_equal(caps_name(40), "CAP_CHECKPOINT_RESTORE");
        assert_null(caps_name(41));
        assert_null(caps_name(-1));

        assert_int_equal(caps_from_name("CAP_FOO"), -EINVAL);
        assert_int_equal(caps_from_name("cap_chown"), -EINVAL); /* case-sensitive */
        assert_int_equal(caps_from_name("CHOWN"), -EINVAL);     /* OCI names carry CAP_ */
        assert_int_equal(caps_from_name(""), -EINVAL);
        assert_int_equal(caps_from_name(NULL), -EINVAL);

        const char *const *all = caps_all_names();
        assert_int_equal(strv_length((char *const *) all), 41);
        for (int cap = 0; cap <= 40; cap++)
                assert_string_equal(all[cap], caps_name(cap));
}

static void test_last_cap(void **state)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        int64_t v;

        if (read_file_at(AT_FDCWD, "/proc/sys/kernel/cap_last_cap", 64, &text, NULL, &err) < 0)
                skip();
        text[strcspn(text, "\n")] = '\0';
        assert_int_equal(parse_int64(text, &v), 0);
        assert_int_equal(caps_last_cap(), v);
        assert_int_equal(caps_last_cap(), v); /* cached */
}

static void test_parse(void **state)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        SpecCaps c = {
                .bounding = NAMES("CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"),
                .effective = NAMES("CAP_KILL"),
                .permitted = NAMES("CAP_KILL", "CAP_CHOWN", "CAP_KILL"),
                .inheritable = NULL,
                .ambient = (char *[]) { NULL },
        };
        CapSets s;

        assert_int_equal(caps_parse(&c, &s, &err), 0);
        assert_int_equal(s.bounding, BIT(CAP_CHOWN) | BIT(CAP_KILL) | BIT(CAP_NET_RAW));
        assert_int_equal(s.effective, BIT(CAP_KILL));
        assert_int_equal(s.permitted, BIT(CAP_KILL) | BIT(CAP_CHOWN));
        assert_int_equal(s.inheritable, 0);
        assert_int_equal(s.ambient, 0);

        /* the highest one, kept only if this kernel knows it */
        SpecCaps hi = { .bounding = NAMES("CAP_CHECKPOINT_RESTORE") };
        assert_int_equal(caps_parse(&hi, &s, &err), 0);
        assert_int_equal(s.bounding, caps_last_cap() >= 40 ? BIT(40) : 0);

        assert_int_equal(caps_parse(NULL, &s, &err), 0);
        assert_int_equal(s.bounding | s.effective | s.permitted | s.inheritable | s.ambient, 0);
}

static void parse_fails(const SpecCaps *c, const char *msg)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        CapSets s = { .bounding = 0x1234 };
        assert_int_equal(caps_parse(c, &s, &err), -EINVAL);
        assert_string_equal(lade_error_message(err), msg);
        assert_int_equal(s.bounding, 0x1234); /* untouched on error */
}

static void test_parse_errors(void **state)
{
        parse_fails(&(SpecCaps) { .bounding = NAMES("CAP_CHOWN", "CAP_KILL", "CAP_FOO") },
                    "process.capabilities.bounding[2]: unknown capability 'CAP_FOO'");
        parse_fails(&(SpecCaps) { .ambient = NAMES("cap_chown") },
                    "process.capabilities.ambient[0]: unknown capability 'cap_chown'");
        parse_fails(&(SpecCaps) { .permitted = NAMES("CAP_KILL"), .inheritable = NAMES("SYS_ADMIN") },
                    "process.capabilities.inheritable[0]: unknown capability 'SYS_ADMIN'");
        parse_fails(&(SpecCaps) { .effective = NAMES("CAP_KILL", "CAP_SYS_ADMIN"),
                                  .permitted = NAMES("CAP_KILL") },
                    "process.capabilities.effective: CAP_SYS_ADMIN is not in "
                    "process.capabilities.permitted");
}

/* --- real: apply in a child and read /proc/self/status --- */

typedef struct ProcCaps {
        uint64_t inh, prm, eff, bnd, amb;
} ProcCaps;

static int read_proc_caps(ProcCaps *ret)
{
        FILE *f = fopen("/proc/self/status", "re");
        char line[256];
        int found = 0;
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                static const char *const keys[] = { "CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:" };
                uint64_t *dst[] = { &ret->inh, &ret->prm, &ret->eff, &ret->bnd, &ret->amb };
                for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                        if (startswith(line, keys[i]) &&
                            sscanf(line + strlen(keys[i]), "%" SCNx64, dst[i]) == 1)
                                found++;
        }
        fclose(f);
        return found == 5 ? 0 : -EIO;
}

typedef struct ApplyCase {
        CapSets want;
        bool as_nobody;      /* setresuid(65534) with PR_SET_KEEPCAPS first, as the init does */
        uint64_t expect_amb;
        int expect_r;        /* caps_apply's return */
} ApplyCase;

static int check(const char *what, uint64_t got, uint64_t want)
{
        if (got == want)
                return 0;
        fprintf(stderr, "child: %s is %016" PRIx64 ", want %016" PRIx64 "\n", what, got, want);
        return 1;
}

static int child_apply(const ApplyCase *c, uint64_t bnd_before)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        ProcCaps pc;

        if (c->as_nobody) {
                if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setgroups(0, NULL) < 0 ||
                    setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
                        return 10;
                /* the situation caps_apply has to handle: permitted kept, effective cleared */
                if (read_proc_caps(&pc) < 0 || pc.eff != 0 || pc.prm == 0)
                        return 11;
        }
        int r = caps_apply(&c->want, &err);
        if (r != c->expect_r) {
                fprintf(stderr, "child: caps_apply: %d: %s\n", r, lade_error_message(err));
                return 12;
        }
        if (r < 0)
                return 0;
        if (read_proc_caps(&pc) < 0)
                return 13;
        int bad = check("CapBnd", pc.bnd, c->want.bounding & bnd_before) +
                  check("CapPrm", pc.prm, c->want.permitted) +
                  check("CapEff", pc.eff, c->want.effective) +
                  check("CapInh", pc.inh, c->want.inheritable) +
                  check("CapAmb", pc.amb, c->expect_amb);
        return bad ? 14 : 0;
}

static void apply_in_child(const ApplyCase *c)
{
        ProcCaps before;
        assert_int_equal(read_proc_caps(&before), 0);

        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                _exit(child_apply(c, before.bnd));
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_apply(void **state)
{
        if (geteuid() != 0)
                skip();
        uint64_t bounding = BIT(CAP_CHOWN) | BIT(CAP_DAC_OVERRIDE) | BIT(CAP_FOWNER) |
                            BIT(CAP_KILL) | BIT(CAP_SETPCAP) | BIT(CAP_NET_BIND_SERVICE) |
                            BIT(CAP_SETUID) | BIT(CAP_SETGID);
        CapSets reduced = {
                .bounding = bounding,
                .permitted = BIT(CAP_CHOWN) | BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_SETPCAP),
                .effective = BIT(CAP_CHOWN) | BIT(CAP_KILL),
                .inheritable = BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_KILL),
                .ambient = BIT(CAP_NET_BIND_SERVICE),
        };

        /* staying root */
        apply_in_child(&(ApplyCase) { .want = reduced, .expect_amb = BIT(CAP_NET_BIND_SERVICE) });

        /* after switching to an unprivileged user; CAP_CHOWN can't be ambient (not inheritable),
         * which is skipped as runc does */
        CapSets amb = reduced;
        amb.ambient |= BIT(CAP_CHOWN);
        apply_in_child(&(ApplyCase) { .want = amb, .as_nobody = true,
                                      .expect_amb = BIT(CAP_NET_BIND_SERVICE) });

        /* nothing at all */
        apply_in_child(&(ApplyCase) { .as_nobody = true });

        /* inheritable outside the bounding set is refused by the kernel */
        CapSets bad = { .bounding = BIT(CAP_KILL), .permitted = BIT(CAP_KILL),
                        .inheritable = BIT(CAP_SYS_ADMIN) };
        apply_in_child(&(ApplyCase) { .want = bad, .expect_r = -EPERM });
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_name_table),
                cmocka_unit_test(test_last_cap),
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_parse_errors),
                cmocka_unit_test(test_apply),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

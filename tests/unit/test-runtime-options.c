/* Small parsers of the runtime: mount options, signal names, container ids. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>
#include <sys/mount.h>

#include "container-internal.h"
#include "util.h"

static void test_mount_options(void **state)
{
        static const struct {
                const char *opts[6];
                unsigned long flags, clear, prop;
                const char *data;
                bool bind, rec;
        } cases[] = {
                { { "ro", "nosuid", "nodev", NULL }, MS_RDONLY | MS_NOSUID | MS_NODEV, 0, 0, NULL, false, false },
                { { "rbind", "rprivate", NULL }, 0, 0, MS_PRIVATE | MS_REC, NULL, true, true },
                { { "bind", "ro", "rw", NULL }, 0, MS_RDONLY, 0, NULL, true, false },
                { { "size=65536k", "mode=755", "nosuid", NULL }, MS_NOSUID, 0, 0, "size=65536k,mode=755", false, false },
                { { "newinstance", "ptmxmode=0666", "gid=5", NULL }, 0, 0, 0, "newinstance,ptmxmode=0666,gid=5", false, false },
                { { "rslave", "strictatime", "tmpcopyup", NULL }, MS_STRICTATIME, 0, MS_SLAVE | MS_REC, NULL, false, false },
                { { NULL }, 0, 0, 0, NULL, false, false },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                MountFlags f;
                assert_int_equal(mount_options_parse((char *const *) cases[i].opts, &f), 0);
                assert_int_equal(f.flags, cases[i].flags);
                assert_int_equal(f.clear, cases[i].clear);
                assert_int_equal(f.propagation, cases[i].prop);
                assert_true(f.bind == cases[i].bind && f.rec == cases[i].rec);
                if (cases[i].data)
                        assert_string_equal(f.data, cases[i].data);
                else
                        assert_null(f.data);
                free(f.data);
        }
}

static void test_recursive_attrs(void **state)
{
        const char *opts[] = { "rbind", "rro", "rnosuid", "rexec", NULL };
        MountFlags f;
        assert_int_equal(mount_options_parse((char *const *) opts, &f), 0);
        assert_int_equal(f.attr_set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID);
        assert_int_equal(f.attr_clr, MOUNT_ATTR_NOEXEC);
        assert_null(f.data);
}

static void test_signals(void **state)
{
        static const struct {
                const char *in;
                int sig;
        } cases[] = {
                { "KILL", SIGKILL }, { "SIGKILL", SIGKILL }, { "9", SIGKILL }, { "term", SIGTERM },
                { "SIGUSR1", SIGUSR1 }, { "WINCH", SIGWINCH }, { "RTMIN", 0 }, { "RTMIN+3", 0 },
                { "0", -EINVAL }, { "65", -EINVAL }, { "SIGBOGUS", -EINVAL }, { "", -EINVAL },
                { "RTMAX-100", -EINVAL }, { "-9", -EINVAL },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                int want = cases[i].sig;
                if (streq(cases[i].in, "RTMIN"))
                        want = SIGRTMIN;
                else if (streq(cases[i].in, "RTMIN+3"))
                        want = SIGRTMIN + 3;
                assert_int_equal(runtime_parse_signal(cases[i].in), want);
        }
}

static void test_container_ids(void **state)
{
        static const char *const good[] = { "a", "abc-DEF_1.2+3", "0123456789abcdef", NULL };
        static const char *const bad[] = { "", ".", "..", "a/b", "../x", "a b", "a\nb", "é", NULL };
        for (size_t i = 0; good[i]; i++)
                assert_int_equal(container_id_validate(good[i], NULL), 0);
        for (size_t i = 0; bad[i]; i++) {
                LadeError *err = NULL;
                assert_int_equal(container_id_validate(bad[i], &err), -EINVAL);
                assert_non_null(strstr(lade_error_message(err), "container id"));
                lade_error_free(err);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_mount_options),
                cmocka_unit_test(test_recursive_attrs),
                cmocka_unit_test(test_signals),
                cmocka_unit_test(test_container_ids),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

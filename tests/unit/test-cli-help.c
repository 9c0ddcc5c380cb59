/* The help table of src/cli/cli-help.c: the layout is docker 28's byte for byte (the expected
 * text below is `docker ps --help` and `docker network --help` with lade for docker, captured
 * with stdin not a terminal, 80 columns), the table is well formed, every run/create flag it
 * lists is one the run flag parser takes, and the hook finds --help only where docker does. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli-help.h"
#include "err.h"
#include "run-flags.h"
#include "util.h"

static const char ps_help[] =
        "Usage:  lade ps [OPTIONS]\n"
        "\n"
        "List containers\n"
        "\n"
        "Aliases:\n"
        "  lade container ls, lade container list, lade container ps, lade ps\n"
        "\n"
        "Options:\n"
        "  -a, --all             Show all containers (default shows just running)\n"
        "  -f, --filter filter   Filter output based on conditions provided\n"
        "      --format string   Format output using a custom template:\n"
        "                        'table':            Print output in table format\n"
        "                        with column headers (default)\n"
        "                        'table TEMPLATE':   Print output in table format\n"
        "                        using the given Go template\n"
        "                        'json':             Print in JSON format\n"
        "                        'TEMPLATE':         Print output using the given\n"
        "                        Go template.\n"
        "                        Refer to https://docs.docker.com/go/formatting/\n"
        "                        for more information about formatting output with\n"
        "                        templates\n"
        "  -n, --last int        Show n last created containers (includes all\n"
        "                        states) (default -1)\n"
        "  -l, --latest          Show the latest created container (includes all\n"
        "                        states)\n"
        "      --no-trunc        Don't truncate output\n"
        "  -q, --quiet           Only display container IDs\n"
        "  -s, --size            Display total file sizes\n";

static const char network_help[] =
        "Usage:  lade network COMMAND\n"
        "\n"
        "Manage networks\n"
        "\n"
        "Commands:\n"
        "  connect     Connect a container to a network\n"
        "  create      Create a network\n"
        "  disconnect  Disconnect a container from a network\n"
        "  inspect     Display detailed information on one or more networks\n"
        "  ls          List networks\n"
        "  prune       Remove all unused networks\n"
        "  rm          Remove one or more networks\n"
        "\n"
        "Run 'lade network COMMAND --help' for more information on a command.\n";

static char *capture(int (*fn)(FILE *f, const char *arg, int width), const char *arg, int width)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_non_null(f);
        assert_int_equal(fn(f, arg, width), 0);
        fclose(f);
        return buf;
}

static int print_group(FILE *f, const char *group, int width)
{
        return cli_help_print_group(f, group);
}

static void test_docker_layout(void **state)
{
        _cleanup_free_ char *ps = capture(cli_help_print, "ps", 80);
        assert_string_equal(ps, ps_help);
        /* another name of the same command: the usage line names it as cobra does */
        _cleanup_free_ char *ls = capture(cli_help_print, "container list", 80);
        assert_true(startswith(ls, "Usage:  lade container ls [OPTIONS]\n\nList containers\n"));
        _cleanup_free_ char *net = capture(print_group, "network", 80);
        assert_string_equal(net, network_help);
        assert_int_equal(cli_help_print(stdout, "nosuch", 80), -ENOENT);
        assert_int_equal(cli_help_print_group(stdout, "nosuch"), -ENOENT);
}

/* A narrow terminal (checked against docker at these widths): pflag puts the text under the
 * flags, 16 columns in, when fewer than 24 columns are left beside them, and gives up wrapping
 * when even that leaves fewer than 24. */
static void test_narrow(void **state)
{
        _cleanup_free_ char *run = capture(cli_help_print, "run", 50);
        assert_non_null(strstr(run, "\n      --add-host list                    \n"
                                    "                Add a custom host-to-IP\n"
                                    "                mapping (host:ip)\n"));
        _cleanup_free_ char *rm = capture(cli_help_print, "rm", 40);
        assert_non_null(strstr(rm, "\n  -f, --force     Force the removal of a running container (uses SIGKILL)\n"));
}

static void test_table(void **state)
{
        size_t n;
        const HelpCmd *t = cli_help_table(&n);
        assert_true(n > 50);
        for (size_t i = 0; i < n; i++) {
                assert_non_null(t[i].paths);
                assert_non_null(t[i].use);
                assert_non_null(t[i].desc);
                /* pflag lists flags sorted by name */
                for (const HelpOpt *o = t[i].opts; o && o->name && o[1].name; o++)
                        if (!(o->flags & HELP_OPT_HIDDEN) && !(o[1].flags & HELP_OPT_HIDDEN))
                                assert_true(strcmp(o->name, o[1].name) < 0);
                /* each path names this command only */
                _cleanup_free_ char *copy = xstrdup(t[i].paths);
                char *save = NULL;
                for (char *p = strtok_r(copy, "|", &save); p; p = strtok_r(NULL, "|", &save))
                        assert_ptr_equal(cli_help_find(p), &t[i]);
        }
}

/* Every flag the help of run and create lists (and the hidden ones) is a flag of the run parser:
 * a help text naming a flag the parser lacks fails here. */
static void check_run_flags(const char *verb)
{
        const HelpCmd *h = cli_help_find(verb);
        assert_non_null(h);
        for (const HelpOpt *o = h->opts; o && o->name; o++) {
                for (int form = 0; form < (o->shorthand ? 2 : 1); form++) {
                        _cleanup_free_ char *flag = form ? xasprintf("-%c", o->shorthand) : xasprintf("--%s", o->name);
                        char *argv[] = { (char *) verb, flag, (char *) "1", (char *) "busybox", NULL };
                        if (!o->varname)
                                argv[2] = (char *) "busybox", argv[3] = NULL;
                        RunFlags f = { 0 };
                        LadeError *err = NULL;
                        if (run_flags_parse(o->varname ? 4 : 3, argv, &f, &err) < 0) {
                                const char *msg = lade_error_message(err);
                                if (startswith(msg, "unknown flag") || startswith(msg, "unknown shorthand flag"))
                                        fail_msg("%s %s: %s", verb, flag, msg);
                                lade_error_free(err);
                        }
                        run_flags_done(&f);
                }
        }
}

static void test_run_flags(void **state)
{
        check_run_flags("run");
        check_run_flags("create");
}

static int hook(const char *const *words, int verb_words)
{
        int argc = 0;
        while (words[argc])
                argc++;
        FILE *saved = stdout;
        stdout = fopen("/dev/null", "we");
        int r = cli_help_hook(argc, (char **) words, verb_words);
        fclose(stdout);
        stdout = saved;
        return r;
}

#define W(...) ((const char *const[]) { __VA_ARGS__, NULL })

static void test_hook(void **state)
{
        assert_int_equal(hook(W("ps", "--help"), 1), 0);
        assert_int_equal(hook(W("ps", "-a", "-h"), 1), 0);
        assert_int_equal(hook(W("ps", "-a"), 1), -1);
        assert_int_equal(hook(W("rm", "ctr", "--help"), 1), 0);     /* flags anywhere... */
        assert_int_equal(hook(W("run", "busybox", "echo", "--help"), 1), -1); /* ...not after IMAGE */
        assert_int_equal(hook(W("run", "--name", "x", "--help", "busybox"), 1), 0);
        assert_int_equal(hook(W("run", "-e", "--help", "busybox"), 1), -1); /* a flag's value */
        assert_int_equal(hook(W("run", "-ite", "--help", "busybox"), 1), -1);
        assert_int_equal(hook(W("run", "-h", "host", "busybox"), 1), -1); /* -h is --hostname */
        assert_int_equal(hook(W("container", "run", "--help"), 2), 0);
        assert_int_equal(hook(W("exec", "ctr", "ls", "--help"), 1), -1);
        assert_int_equal(hook(W("exec", "-h", "ctr"), 1), 0);
        assert_int_equal(hook(W("logs", "--tail", "--help", "ctr"), 1), -1);
        assert_int_equal(hook(W("ps", "--", "--help"), 1), -1);
        assert_int_equal(hook(W("network"), 0), 0);
        assert_int_equal(hook(W("network", "--help"), 0), 0);
        assert_int_equal(hook(W("help", "network", "create"), 0), 0);
        assert_int_equal(hook(W("help", "ps"), 0), 0);
        assert_int_equal(hook(W("nosuch"), 0), -1);
        assert_int_equal(hook(W("help"), 0), -1);
}

static void test_hook_errors(void **state)
{
        FILE *saved = stderr;
        stderr = fopen("/dev/null", "we");
        assert_int_equal(hook(W("network", "nosuch"), 0), 1);
        assert_int_equal(hook(W("network", "--nosuch"), 0), 125);
        assert_int_equal(hook(W("help", "nosuch"), 0), 1);
        fclose(stderr);
        stderr = saved;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_docker_layout), cmocka_unit_test(test_narrow),
                cmocka_unit_test(test_table),         cmocka_unit_test(test_run_flags),
                cmocka_unit_test(test_hook),          cmocka_unit_test(test_hook_errors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

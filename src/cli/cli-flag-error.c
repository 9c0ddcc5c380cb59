/* Docker's words for a bad flag, for every command at once: the lade binary is linked with
 * `-Wl,--wrap=getopt_long`, so each command's getopt_long() loop comes here. getopt's own message
 * ("ps: unrecognized option '--x'") is silenced and docker's is printed instead ("unknown flag:
 * --x", the usage line, where to find the help); the command still sees '?' and returns 125 as it
 * did. Not in the unit tests' link: __real_getopt_long exists only with the wrap. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli-help.h"
#include "util.h"

int __real_getopt_long(int argc, char *const argv[], const char *optstring, const struct option *longopts,
                       int *longindex);
int __wrap_getopt_long(int argc, char *const argv[], const char *optstring, const struct option *longopts,
                       int *longindex);

static const struct option *find_long(const struct option *longopts, const char *name, size_t len)
{
        const struct option *found = NULL;
        for (const struct option *o = longopts; o && o->name; o++) {
                if (strncmp(o->name, name, len) != 0)
                        continue;
                if (strlen(o->name) == len)
                        return o;
                found = found ? NULL : o; /* a unique abbreviation, as getopt takes it */
        }
        return found;
}

static void report_long(const char *arg, const struct option *o)
{
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t) (eq - name) : strlen(name);
        _cleanup_free_ char *msg = NULL;
        if (!o)
                msg = xasprintf("unknown flag: --%.*s", (int) len, name);
        else if (eq)
                msg = xasprintf("invalid argument \"%s\" for \"--%s\" flag: it takes no value", eq + 1, o->name);
        else
                msg = xasprintf("flag needs an argument: --%s", o->name);
        cli_help_flag_error(msg);
}

/* A short flag c: getopt has moved past its word when c ended it, else the word is argv[optind]. */
static void report_short(int argc, char *const argv[], const char *optstring, int c)
{
        const char *word = NULL, *prev = optind > 0 ? argv[optind - 1] : NULL;
        if (prev && prev[0] == '-' && prev[1] != '-' && prev[1] && prev[strlen(prev) - 1] == c)
                word = prev + strlen(prev) - 1;
        else if (optind < argc && argv[optind][0] == '-')
                word = strchr(argv[optind] + 1, c);
        _cleanup_free_ char *msg = NULL;
        if (strchr(optstring, c) && c != ':' && c != '+' && c != '-')
                msg = xasprintf("flag needs an argument: '%c' in -%c", c, c);
        else
                msg = xasprintf("unknown shorthand flag: '%c' in -%s", c, word ? word : (char[]) { (char) c, 0 });
        cli_help_flag_error(msg);
}

int __wrap_getopt_long(int argc, char *const argv[], const char *optstring, const struct option *longopts,
                       int *longindex)
{
        opterr = 0;
        int r = __real_getopt_long(argc, argv, optstring, longopts, longindex);
        if (r != '?' || optind < 1)
                return r;
        const char *prev = argv[optind - 1];
        if (optopt == 0) {
                report_long(prev, NULL);
                return r;
        }
        if (startswith(prev, "--")) {
                /* a known long flag with a missing or unwanted value: getopt sets optopt to its val */
                const char *name = prev + 2;
                const struct option *o = find_long(longopts, name, strcspn(name, "="));
                if (o && !o->flag && o->val == optopt) {
                        report_long(prev, o);
                        return r;
                }
        }
        report_short(argc, argv, optstring, optopt);
        return r;
}

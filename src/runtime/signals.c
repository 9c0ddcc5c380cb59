/* Signal names as runc's kill accepts them: "KILL", "SIGKILL", "9", "RTMIN+3". */
#include <signal.h>
#include <string.h>
#include <strings.h>

#include "runtime.h"
#include "util.h"

int runtime_parse_signal(const char *s)
{
        static const struct {
                const char *name;
                int sig;
        } t[] = { { "HUP", SIGHUP },   { "INT", SIGINT },     { "QUIT", SIGQUIT }, { "ILL", SIGILL },
                  { "TRAP", SIGTRAP }, { "ABRT", SIGABRT },   { "IOT", SIGIOT },   { "BUS", SIGBUS },
                  { "FPE", SIGFPE },   { "KILL", SIGKILL },   { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },
                  { "USR2", SIGUSR2 }, { "PIPE", SIGPIPE },   { "ALRM", SIGALRM }, { "TERM", SIGTERM },
                  { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "STOP", SIGSTOP },
                  { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN },   { "TTOU", SIGTTOU }, { "URG", SIGURG },
                  { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },   { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
                  { "WINCH", SIGWINCH }, { "IO", SIGIO },     { "POLL", SIGPOLL }, { "PWR", SIGPWR },
                  { "SYS", SIGSYS } };
        int64_t n;
        if (parse_int64(s, &n) == 0)
                return n > 0 && n < NSIG ? (int) n : -EINVAL;
        const char *name = startswith(s, "SIG") ? s + 3 : s;
        for (size_t i = 0; i < ELEMENTSOF(t); i++)
                if (strcasecmp(t[i].name, name) == 0)
                        return t[i].sig;
        if (startswith(name, "RTMIN") || startswith(name, "RTMAX")) {
                int64_t off = 0;
                if (name[5] && (name[5] != '+' && name[5] != '-'))
                        return -EINVAL;
                if (name[5] && parse_int64(name + 5, &off) < 0)
                        return -EINVAL;
                int sig = (name[3] == 'I' ? SIGRTMIN : SIGRTMAX) + (int) off;
                return sig >= SIGRTMIN && sig <= SIGRTMAX ? sig : -EINVAL;
        }
        return -EINVAL;
}

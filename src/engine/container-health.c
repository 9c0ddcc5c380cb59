/* Health checks as Docker runs them: the Healthcheck of the create body over the image's
 * (Test CMD / CMD-SHELL / NONE, Interval 30s, Timeout 30s, Retries 3, StartPeriod 0 by default);
 * each probe is an exec in the container from a child of the monitor, so the monitor's loop never
 * blocks; "starting" until the first success, "unhealthy" after Retries failures in a row (failures
 * inside the start period do not count). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "containers-internal.h"
#include "json-util.h"
#include "util.h"

struct Health {
        Ctr *c;
        char **test;               /* the probe's argv */
        int64_t interval_ms, timeout_ms, start_period_ms;
        int retries, failures;
        int64_t started_ms, next_ms, deadline_ms;
        pid_t probe;
        int probe_fd;
};

static int64_t mono_ms(void)
{
        return (int64_t) (now_ns() / 1000000);
}

static int64_t ns_field(json_t *h, const char *key, int64_t def)
{
        json_t *v = json_object_get(h, key);
        return json_is_integer(v) && json_integer_value(v) > 0 ? json_integer_value(v) / 1000000 : def;
}

/* The create body's Healthcheck fields override the image's, one by one (as dockerd merges). */
static json_t *merged(Ctr *c)
{
        json_t *h = json_object();
        if (c->image && c->image->config && json_is_object(c->image->config->healthcheck))
                json_object_update(h, c->image->config->healthcheck);
        json_t *req = json_object_get(c->create, "Healthcheck");
        if (json_is_object(req)) {
                const char *k;
                json_t *v;
                json_object_foreach(req, k, v)
                        if (!json_is_null(v) && !(json_is_integer(v) && json_integer_value(v) == 0) &&
                            !(json_is_array(v) && json_array_size(v) == 0))
                                json_object_set(h, k, v);
        }
        return h;
}

Health *health_new(Ctr *c)
{
        _cleanup_json_ json_t *h = merged(c);
        json_t *test = json_object_get(h, "Test");
        const char *kind = json_string_value(json_array_get(test, 0));
        if (!kind || streq(kind, "NONE") || json_array_size(test) < 2)
                return NULL;
        Health *x = xmalloc0(sizeof(*x));
        x->c = c;
        x->probe_fd = -EBADF;
        x->test = xmalloc0(sizeof(char *));
        if (streq(kind, "CMD-SHELL")) {
                x->test = strv_append(x->test, "/bin/sh");
                x->test = strv_append(x->test, "-c");
        }
        for (size_t i = 1; i < json_array_size(test); i++)
                x->test = strv_append(x->test, json_string_value(json_array_get(test, i)) ?: "");
        x->interval_ms = ns_field(h, "Interval", 30000);
        x->timeout_ms = ns_field(h, "Timeout", 30000);
        x->start_period_ms = ns_field(h, "StartPeriod", 0);
        json_t *r = json_object_get(h, "Retries");
        x->retries = json_is_integer(r) && json_integer_value(r) > 0 ? (int) json_integer_value(r) : 3;
        x->started_ms = mono_ms();
        x->next_ms = x->started_ms + x->interval_ms;
        free(c->health);
        c->health = xstrdup("starting");
        (void) ctr_save(c, NULL);
        return x;
}

Health *health_free(Health *h)
{
        if (!h)
                return NULL;
        if (h->probe > 0) {
                (void) kill(h->probe, SIGKILL);
                (void) waitpid(h->probe, NULL, 0);
        }
        safe_close(h->probe_fd);
        strv_free(h->test);
        free(h);
        return NULL;
}

int health_timeout_ms(Health *h)
{
        if (!h)
                return -1;
        int64_t at = h->probe > 0 ? h->deadline_ms : h->next_ms;
        int64_t left = at - mono_ms();
        return left < 0 ? 0 : left > 3600000 ? 3600000 : (int) left;
}

int health_fd(Health *h)
{
        return h ? h->probe_fd : -1;
}

/* The probe: `lade __probe ROOT ID -- TEST...` (an exec into the container from a sealed copy
 * of lade, see main.c), a child of the monitor with stdio /dev/null. */
static void start_probe(Health *h)
{
        size_t n = strv_length(h->test);
        char **argv = xmalloc0((n + 6) * sizeof(char *));
        argv[0] = (char *) "lade";
        argv[1] = (char *) "__probe";
        argv[2] = (char *) engine_root(h->c->e);
        argv[3] = h->c->id;
        argv[4] = (char *) "--";
        memcpy(argv + 5, h->test, n * sizeof(char *));
        pid_t p = fork();
        if (p == 0) {
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);
                for (int fd = 0; fd < 3; fd++)
                        (void) dup2(null, fd);
                execv("/proc/self/exe", argv);
                _exit(127);
        }
        free(argv);
        if (p < 0)
                return;
        h->probe = p;
        h->probe_fd = (int) syscall(SYS_pidfd_open, p, 0);
        h->deadline_ms = mono_ms() + h->timeout_ms;
}

static void record(Health *h, bool ok)
{
        Ctr *c = h->c;
        const char *was = c->health ? c->health : "";
        const char *now;
        if (ok) {
                h->failures = 0;
                now = "healthy";
        } else if (mono_ms() - h->started_ms < h->start_period_ms && !streq(was, "healthy")) {
                now = was; /* failures in the start period do not count */
        } else {
                h->failures++;
                now = h->failures >= h->retries ? "unhealthy" : was;
        }
        if (!streq(now, was)) {
                char *n = xstrdup(now);
                free(c->health);
                c->health = n;
                (void) ctr_save(c, NULL);
        }
}

void health_step(Health *h)
{
        if (!h)
                return;
        if (h->probe <= 0) {
                if (mono_ms() >= h->next_ms)
                        start_probe(h);
                if (h->probe <= 0)
                        h->next_ms = mono_ms() + h->interval_ms;
                return;
        }
        siginfo_t si = { 0 };
        bool done = waitid(P_PIDFD, (id_t) h->probe_fd, &si, WEXITED | WNOHANG) == 0 && si.si_pid != 0;
        if (!done && mono_ms() < h->deadline_ms)
                return;
        if (!done) {
                (void) kill(h->probe, SIGKILL);
                (void) waitid(P_PIDFD, (id_t) h->probe_fd, &si, WEXITED);
                si.si_code = CLD_KILLED;
        }
        h->probe = 0;
        h->probe_fd = safe_close(h->probe_fd);
        record(h, si.si_code == CLD_EXITED && si.si_status == 0);
        h->next_ms = mono_ms() + h->interval_ms;
}

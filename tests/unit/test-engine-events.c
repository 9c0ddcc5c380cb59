/* The events table's wake-up channel (engine-events.h): a watch made before an event hears of
 * it (queued, never lost), from this process and from another one; a wait without events times
 * out (0, never 1: a 1 is a tick); a hung-up cancel fd ends the wait; the fd is close-on-exec;
 * the tick file removed under a watch is watched again; freed watches are reused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine-events.h"
#include "util.h"

typedef struct Fixture {
        char root[64];
        Engine *e;
} Fixture;

static int setup(void **state)
{
        Fixture *f = xmalloc0(sizeof(*f));
        snprintf(f->root, sizeof(f->root), "/tmp/lade-test-events.XXXXXX");
        assert_non_null(mkdtemp(f->root));
        EngineOptions o = { .root = f->root };
        assert_int_equal(engine_open(&o, &f->e, NULL), 0);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        Fixture *f = *state;
        engine_free(f->e);
        (void) rm_rf_at(AT_FDCWD, f->root);
        free(f);
        return 0;
}

static int64_t ms_now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_timeout_and_cloexec(void **state)
{
        Fixture *f = *state;
        _cleanup_(engine_events_watch_freep) EngineEventsWatch *w = engine_events_watch_new(f->e);
        int fd = engine_events_watch_fd(w);
        assert_true(fd >= 0);
        assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        int64_t t0 = ms_now();
        assert_int_equal(engine_events_watch_wait(w, -1, 50), 0);
        assert_true(ms_now() - t0 >= 45);
}

static void test_queued_not_lost(void **state)
{
        Fixture *f = *state;
        _cleanup_(engine_events_watch_freep) EngineEventsWatch *w = engine_events_watch_new(f->e);
        /* the event comes between the watch and the wait: the wait must not sleep through it */
        engine_event_emit(f->e, "container", "die", "c1", NULL);
        assert_int_equal(engine_events_watch_wait(w, -1, 0), 1);
        /* consumed: the next wait times out */
        assert_int_equal(engine_events_watch_wait(w, -1, 20), 0);
        EngineEvent *l = NULL;
        size_t n = 0;
        assert_int_equal(engine_events_read(f->e, 0, 10, &l, &n, NULL), 0);
        assert_int_equal(n, 1);
        assert_string_equal(l[0].action, "die");
        engine_event_list_free(l, n);
}

/* Another process (a monitor) records the event: the waiter wakes at once, not after a timeout. */
static void test_other_process(void **state)
{
        Fixture *f = *state;
        _cleanup_(engine_events_watch_freep) EngineEventsWatch *w = engine_events_watch_new(f->e);
        pid_t p = fork();
        assert_true(p >= 0);
        if (p == 0) {
                Engine *e = NULL;
                EngineOptions o = { .root = f->root };
                usleep(100 * 1000);
                if (engine_open(&o, &e, NULL) < 0)
                        _exit(1);
                engine_event_emit(e, "container", "destroy", "c2", NULL);
                engine_free(e);
                _exit(0);
        }
        int64_t t0 = ms_now();
        int r = engine_events_watch_wait(w, -1, 10000);
        int64_t waited = ms_now() - t0;
        int status;
        assert_int_equal(waitpid(p, &status, 0), p);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        assert_int_equal(r, 1);
        /* woken by the tick: far sooner than the 10 s timeout, not before the child's 100 ms */
        assert_true(waited >= 90);
        assert_true(waited < 5000);
}

static void test_cancel(void **state)
{
        Fixture *f = *state;
        _cleanup_(engine_events_watch_freep) EngineEventsWatch *w = engine_events_watch_new(f->e);
        int pfd[2];
        assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
        close(pfd[0]);
        /* the API's cancel fd is the write end of the reply pipe: the reader left */
        assert_int_equal(engine_events_watch_wait(w, pfd[1], 5000), -ECANCELED);
        close(pfd[1]);
}

static void test_tick_file_removed(void **state)
{
        Fixture *f = *state;
        _cleanup_(engine_events_watch_freep) EngineEventsWatch *w = engine_events_watch_new(f->e);
        _cleanup_free_ char *tick = xasprintf("%s/events.tick", f->root);
        assert_int_equal(unlink(tick), 0);
        /* the removal is reported as a tick (the caller re-reads), and the watch follows */
        assert_int_equal(engine_events_watch_wait(w, -1, 1000), 1);
        assert_int_equal(engine_events_watch_wait(w, -1, 0), 0);
        engine_event_emit(f->e, "container", "start", "c3", NULL);
        assert_int_equal(engine_events_watch_wait(w, -1, 1000), 1);
}

/* A freed watch is kept for the next one (closing an inotify fd is slow): the reused watch
 * reports no tick of before its time, hears new ones, follows a tick file replaced while it was
 * idle, and two watches at once are two fds. */
static void test_pooled_reuse(void **state)
{
        Fixture *f = *state;
        EngineEventsWatch *w1 = engine_events_watch_new(f->e);
        int fd1 = engine_events_watch_fd(w1);
        assert_true(fd1 >= 0);
        engine_event_emit(f->e, "container", "create", "p1", NULL);
        engine_events_watch_free(w1);
        /* a closed fd1 would be this one's number */
        int other = open("/dev/null", O_RDONLY | O_CLOEXEC);
        assert_int_not_equal(other, fd1);
        EngineEventsWatch *w2 = engine_events_watch_new(f->e);
        assert_int_equal(engine_events_watch_fd(w2), fd1);
        close(other);
        assert_int_equal(engine_events_watch_wait(w2, -1, 0), 0);
        EngineEventsWatch *w3 = engine_events_watch_new(f->e);
        assert_true(engine_events_watch_fd(w3) >= 0);
        assert_int_not_equal(engine_events_watch_fd(w3), fd1);
        engine_event_emit(f->e, "container", "start", "p1", NULL);
        assert_int_equal(engine_events_watch_wait(w2, -1, 1000), 1);
        assert_int_equal(engine_events_watch_wait(w3, -1, 1000), 1);
        engine_events_watch_free(w3);
        engine_events_watch_free(w2);
        /* the tick file replaced while the watch is idle in the pool */
        _cleanup_free_ char *tick = xasprintf("%s/events.tick", f->root);
        assert_int_equal(unlink(tick), 0);
        engine_event_emit(f->e, "container", "die", "p1", NULL);
        _cleanup_(engine_events_watch_freep) EngineEventsWatch *w4 = engine_events_watch_new(f->e);
        assert_true(engine_events_watch_fd(w4) >= 0);
        assert_int_equal(engine_events_watch_wait(w4, -1, 0), 0);
        engine_event_emit(f->e, "container", "destroy", "p1", NULL);
        assert_int_equal(engine_events_watch_wait(w4, -1, 1000), 1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_timeout_and_cloexec, setup, teardown),
                cmocka_unit_test_setup_teardown(test_queued_not_lost, setup, teardown),
                cmocka_unit_test_setup_teardown(test_other_process, setup, teardown),
                cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
                cmocka_unit_test_setup_teardown(test_tick_file_removed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_pooled_reuse, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

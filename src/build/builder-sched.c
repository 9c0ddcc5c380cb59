/* The stage scheduler: each needed stage runs as soon as its FROM stage is built and the stages
 * its COPY --from and RUN --mount from= name are started, on at most `parallel` workers — the
 * calling thread with the caller's engine, and threads with engine handles and cache connections
 * of their own (an Engine, like a SQLite connection, serves one thread at a time). The workers
 * share only BuildShared; a stage's fields are its worker's until it is marked built, under the
 * lock, and only read after that. The first failure cancels the rest (build_cancel) and is the
 * build's error; the image ids do not depend on the order, so the result is a sequential
 * build's. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "builder-internal.h"
#include "util.h"

#define BUILD_WORKERS_MAX 4u

typedef struct Worker {
        struct BuildSched *x;
        Engine *e;
        pthread_t thread;
} Worker;

typedef struct BuildSched {
        Builder *b;             /* the calling thread's */
        size_t started;
        int r;                  /* the build's result: the first failure */
        LadeError *err;
        Worker *workers;        /* started by build_sched_spawn */
        size_t n_workers;
} Sched;

static size_t size_max(size_t a, size_t b)
{
        return a > b ? a : b;
}

static size_t size_min(size_t a, size_t b)
{
        return a < b ? a : b;
}

/* A stage starts once its FROM stage is built and the stages its steps take files from (COPY
 * --from, RUN --mount from=) are started: the step that needs one waits for it
 * (build_stage_result), as BuildKit runs the steps before it meanwhile. No deadlock: a stage
 * only ever waits for started stages earlier in the graph, whose workers make progress; with one
 * worker, started means built. */
static bool stage_ready(Builder *b, const BuildStage *s)
{
        if (s->started)
                return false;
        if (s->plan->base_stage >= 0 && !b->stages[s->plan->base_stage].built)
                return false;
        for (size_t k = 0; k < s->plan->n_deps; k++)
                if (!b->stages[s->plan->deps[k]].started)
                        return false;
        return true;
}

/* Under the lock: the next stage to run (in plan order among the ready ones), waiting while the
 * stages left still need others; NULL once all are started or the build failed. */
static BuildStage *next_stage(Sched *x)
{
        Builder *b = x->b;
        while (!b->sh->failed && x->started < b->plan->n_order) {
                for (size_t k = 0; k < b->plan->n_order; k++) {
                        BuildStage *s = &b->stages[b->plan->order[k]];
                        if (stage_ready(b, s)) {
                                s->started = true;
                                x->started++;
                                return s;
                        }
                }
                pthread_cond_wait(&b->sh->cond, &b->sh->lock);
        }
        return NULL;
}

static void finish_stage(Sched *x, Builder *b, BuildStage *s, int r, LadeError **err)
{
        if (r < 0)
                (void) build_cancel(b);
        pthread_mutex_lock(&b->sh->lock);
        if (r >= 0)
                s->built = true;
        else if (!x->err || (x->r == -ECANCELED && r != -ECANCELED)) {
                /* the failure that canceled the others, not their being canceled */
                x->err = lade_error_free(x->err);
                x->err = err ? TAKE_PTR(*err) : NULL;
                x->r = r;
        }
        pthread_cond_broadcast(&b->sh->cond);
        pthread_mutex_unlock(&b->sh->lock);
}

static void work(Sched *x, Builder *b)
{
        for (;;) {
                pthread_mutex_lock(&b->sh->lock);
                BuildStage *s = next_stage(x);
                pthread_mutex_unlock(&b->sh->lock);
                if (!s)
                        return;
                _cleanup_(lade_error_freep) LadeError *err = NULL;
                int r = build_stage_run(b, s, &err);
                finish_stage(x, b, s, r, &err);
        }
}

static void *worker_main(void *userdata)
{
        Worker *w = userdata;
        Builder b = *w->x->b;
        b.e = w->e;
        work(w->x, &b);
        return NULL;
}

/* How many stages could run at once: the most stages at one depth of the FROM graph (stages at
 * equal depth cannot be each other's base; COPY --from does not keep stages apart). */
static size_t graph_width(Builder *b)
{
        _cleanup_free_ size_t *depth = xmalloc0(b->n_stages * sizeof(size_t));
        _cleanup_free_ size_t *count = xmalloc0((b->n_stages + 1) * sizeof(size_t));
        size_t width = 0;
        for (size_t k = 0; k < b->plan->n_order; k++) {
                const BuildPlanStage *p = &b->plan->stages[b->plan->order[k]];
                size_t d = p->base_stage >= 0 ? depth[p->base_stage] + 1 : 0;
                depth[b->plan->order[k]] = d;
                width = size_max(width, ++count[d]);
        }
        return width;
}

static size_t workers_wanted(Builder *b)
{
        size_t n = b->o->parallel;
        if (n == 0) {
                long cpus = sysconf(_SC_NPROCESSORS_ONLN);
                n = size_min(cpus > 0 ? (size_t) cpus : 1, BUILD_WORKERS_MAX);
        }
        return size_max(size_min(n, graph_width(b)), 1);
}

/* Only the calling thread runs until a step misses the cache: a fully cached build starts no
 * thread and opens no other engine. Then the others start and take the stages that are ready. */
void build_sched_spawn(Builder *b)
{
        Sched *x = b->sh->sched;
        size_t n = workers_wanted(b) - 1;
        x->workers = xmalloc0((n + 1) * sizeof(Worker));
        for (size_t k = 0; k < n; k++) {
                Worker *w = &x->workers[x->n_workers];
                *w = (Worker) { .x = x };
                /* a worker that cannot have its handle or thread is just not there */
                if (engine_open_sibling(b->e, &w->e, NULL) < 0)
                        break;
                if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
                        w->e = engine_free(w->e);
                        break;
                }
                x->n_workers++;
        }
        /* the new workers may take stages that were waiting for one */
        pthread_mutex_lock(&b->sh->lock);
        pthread_cond_broadcast(&b->sh->cond);
        pthread_mutex_unlock(&b->sh->lock);
}

int build_run_stages(Builder *b, LadeError **err)
{
        Sched x = { .b = b };
        b->sh->sched = &x;
        work(&x, b);
        for (size_t k = 0; k < x.n_workers; k++) {
                pthread_join(x.workers[k].thread, NULL);
                engine_free(x.workers[k].e);
        }
        free(x.workers);
        b->sh->sched = NULL;
        if (x.r < 0) {
                if (err)
                        *err = TAKE_PTR(x.err);
                lade_error_free(x.err);
                return x.r;
        }
        return 0;
}

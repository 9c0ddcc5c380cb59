/* dockerfile_parse() + build_plan_new() on arbitrary bytes: either an error with a message and
 * nothing returned, or a tree whose invariants hold (every instruction in a stage, lines in
 * order, stages with a FROM), and a plan whose order lists needed stages after their needs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "build-plan.h"
#include "dockerfile.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_plan(const Dockerfile *df)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        _cleanup_(build_plan_freep) BuildPlan *p = NULL;
        BuildPlanOptions o = { .build_platform = "linux/amd64" };

        if (build_plan_new(df, &o, &p, NULL, &err) < 0) {
                if (!err || !err->msg || p)
                        abort();
                return;
        }
        for (size_t k = 0; k < p->n_order; k++) {
                const BuildPlanStage *s = &p->stages[p->order[k]];
                if (!s->needed || !s->base)
                        abort();
                for (size_t d = 0; d < s->n_deps; d++)
                        if (s->deps[d] >= p->order[k])
                                abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        _cleanup_(dockerfile_freep) Dockerfile *df = NULL;
        unsigned line = 0, prev = 0;

        if (size > 256 * 1024)
                return 0;
        if (dockerfile_parse((const char *) data, size, &df, &line, &err) < 0) {
                if (!err || !err->msg || df)
                        abort();
                return 0;
        }
        if (!df || df->n_stages == 0 || err)
                abort();
        for (size_t k = 0; k < df->n_all; k++) {
                if (df->all[k]->start_line < prev || df->all[k]->end_line < df->all[k]->start_line)
                        abort();
                prev = df->all[k]->start_line;
        }
        for (size_t s = 0; s < df->n_stages; s++)
                if (!df->stages[s].from || df->stages[s].from->kind != DOCKERFILE_FROM)
                        abort();
        check_plan(df);
        return 0;
}

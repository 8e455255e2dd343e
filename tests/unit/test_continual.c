/* test_continual.c — continual learning (continual.h) on a synthetic 10-class set: each
 * permuted task is learned (accuracy far above chance), earlier tasks are forgotten,
 * the unpermuted sequence forgets nothing, and the run is deterministic. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "critsweep/continual.h"
#include "critsweep/rng.h"

enum { DIM = 64, CLASSES = 10, NTRAIN = 2000, NTEST = 500, TASKS = 3 };

/* Gaussian blobs around random class means (unit noise, means of norm ~ 4). */
static void make_set(data_set *s, long n, const float *means, cs_rng *r)
{
    s->n = n, s->dim = DIM, s->classes = CLASSES;
    s->x = malloc(sizeof *s->x * (size_t)n * DIM);
    s->y = malloc((size_t)n);
    rng_fill_normal(r, s->x, (size_t)n * DIM, 1.0f);
    for (long i = 0; i < n; i++) {
        s->y[i] = (unsigned char)rng_below(r, CLASSES);
        for (int k = 0; k < DIM; k++) s->x[i * DIM + k] += means[s->y[i] * DIM + k];
    }
}

static void run(const data_bundle *d, int permute, continual_result *res)
{
    train_params p;
    train_params_default(&p);
    p.width = 64, p.depth = 3, p.activation = CS_ACT_TANH, p.sigma_w2 = 1.0, p.sigma_b2 = 0;
    p.optimizer = CS_OPT_SGD, p.lr = 0.05, p.batch = 32, p.key = 11;
    continual_params cp = {TASKS, 2, permute, 0};
    cs_err err;
    CHECK(continual_run(&p, &cp, d, 0.1, res, &err) == 0, "continual_run: %s", err.msg);
}

int main(void)
{
    cs_rng r;
    rng_init(&r, 3, 1);
    float means[CLASSES * DIM];
    rng_fill_normal(&r, means, CLASSES * DIM, 0.5f);
    data_bundle d = {0};
    make_set(&d.train, NTRAIN, means, &r);
    make_set(&d.test, NTEST, means, &r);
    continual_result a, b, same;
    run(&d, 1, &a);
    run(&d, 1, &b);
    run(&d, 0, &same);
    for (int t = 0; t < TASKS; t++) {
        printf("task %d: new %.3f old %.3f | unpermuted new %.3f old %.3f | m %.3f lambda_0 %.3f "
               "inactive %.3f\n", t, a.new_task_accuracy[t], a.old_task_accuracy[t],
               same.new_task_accuracy[t], same.old_task_accuracy[t], a.branching[t],
               a.lyapunov[t], a.inactive_fraction[t]);
        CHECK(a.new_task_accuracy[t] > 0.6, "task %d learned (%g; chance 0.1)", t,
              a.new_task_accuracy[t]);
        CHECK(isfinite(a.branching[t]) && isfinite(a.lyapunov[t]), "criticality measured");
        CHECK(a.inactive_fraction[t] >= 0 && a.inactive_fraction[t] <= 1, "inactive share");
        CHECK(a.new_task_accuracy[t] == b.new_task_accuracy[t] && a.lyapunov[t] == b.lyapunov[t],
              "deterministic");
    }
    CHECK(a.old_task_accuracy[TASKS - 1] < a.new_task_accuracy[0] - 0.1,
          "earlier permuted tasks forgotten (%g after, %g when learned)",
          a.old_task_accuracy[TASKS - 1], a.new_task_accuracy[0]);
    CHECK(fabs(same.old_task_accuracy[TASKS - 1] - same.new_task_accuracy[TASKS - 1]) < 1e-12,
          "the unpermuted sequence is one task");
    CHECK(isnan(a.old_task_accuracy[0]) && a.diverged_task == 0, "no old tasks at 0, no divergence");
    continual_result_free(&a), continual_result_free(&b), continual_result_free(&same);
    free(d.train.x), free(d.train.y), free(d.test.x), free(d.test.y);
    return failures != 0;
}

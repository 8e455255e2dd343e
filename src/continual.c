/* continual.c — a sequence of permuted tasks on one network (continual.h). */
#include "critsweep/continual.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "critsweep/rng.h"
#include "critsweep/trained_crit.h"

/* The epoch index that names a task's pixel permutation in its stream. */
#define CONTINUAL_PERMUTATION_INDEX 0xFFFFF

static void shuffle(uint32_t *perm, long n, uint64_t key, uint64_t index)
{
    cs_rng r;
    rng_init(&r, key, rng_stream_id(CS_STREAM_CONTINUAL, index));
    for (long i = 0; i < n; i++) perm[i] = (uint32_t)i;
    for (long i = n - 1; i > 0; i--) { /* Fisher–Yates */
        long j = (long)rng_below(&r, (uint64_t)i + 1);
        uint32_t t = perm[i];
        perm[i] = perm[j], perm[j] = t;
    }
}

/* out (count, dim) := the rows of x with their pixels permuted by pix (NULL: copied). */
static void permute_pixels(const float *x, long count, int dim, const uint32_t *pix, float *out)
{
    for (long i = 0; i < count; i++) {
        const float *src = x + (size_t)i * dim;
        float *dst = out + (size_t)i * dim;
        if (!pix) memcpy(dst, src, (size_t)dim * sizeof *dst);
        else
            for (int k = 0; k < dim; k++) dst[k] = src[pix[k]];
    }
}

typedef struct {
    const train_params *p;
    const continual_params *cp;
    const data_bundle *data;
    train_net net;
    uint32_t *pixels;   /* (dim) the current task's permutation */
    uint32_t *order;    /* (n_train) an epoch's example order */
    float *train_x;     /* (n_train, dim) the current task's training images */
    float *test_x;      /* (eval, dim) one task's test images */
    unsigned char *yb;  /* (batch) */
    long eval;
} run_ctx;

static void task_pixels(run_ctx *c, int t)
{
    shuffle(c->pixels, c->data->train.dim, c->p->key,
            (uint64_t)t << 20 | CONTINUAL_PERMUTATION_INDEX);
}

/* One epoch of task t over its permuted training set; 0, or 1 when the loss blew up. */
static int train_epoch(run_ctx *c, int t, int e)
{
    const data_set *tr = &c->data->train;
    int B = c->net.max_batch;
    size_t dim = (size_t)tr->dim;
    shuffle(c->order, tr->n, c->p->key, (uint64_t)t << 20 | (uint64_t)e);
    for (long start = 0; start < tr->n; start += B) {
        int bb = tr->n - start < B ? (int)(tr->n - start) : B;
        for (int i = 0; i < bb; i++) {
            uint32_t k = c->order[start + i];
            memcpy(c->net.x + (size_t)i * dim, c->train_x + (size_t)k * dim, dim * sizeof(float));
            c->yb[i] = tr->y[k];
        }
        if (!isfinite(train_net_step(&c->net, c->net.x, c->yb, bb))) return 1;
    }
    return 0;
}

/* Test accuracy on task s (its test images into c->test_x). */
static double task_accuracy(run_ctx *c, int s)
{
    const data_set *te = &c->data->test;
    if (c->cp->permute) task_pixels(c, s);
    permute_pixels(te->x, c->eval, te->dim, c->cp->permute ? c->pixels : NULL, c->test_x);
    return train_net_accuracy(&c->net, c->test_x, te->y, c->eval);
}

/* Everything recorded after task t. */
static int record(run_ctx *c, int t, double q0, continual_result *r, cs_err *err)
{
    double old = 0;
    for (int s = 0; s < t; s++) old += task_accuracy(c, s);
    r->old_task_accuracy[t] = t ? old / t : NAN;
    r->new_task_accuracy[t] = task_accuracy(c, t); /* leaves task t's images in test_x */
    r->inactive_fraction[t] = trained_inactive_fraction(&c->net, c->test_x, c->eval,
                                                        CONTINUAL_FLAT_SLOPE, CONTINUAL_FLAT_SHARE);
    return trained_criticality(&c->net, c->test_x, c->eval, q0, c->p->key ^ (uint64_t)t,
                               &r->branching[t], &r->lyapunov[t], err);
}

static int run_tasks(run_ctx *c, double q0, continual_result *r, cs_err *err)
{
    const data_set *tr = &c->data->train;
    for (int t = 0; t < c->cp->tasks; t++) {
        if (c->cp->permute) task_pixels(c, t);
        permute_pixels(tr->x, tr->n, tr->dim, c->cp->permute ? c->pixels : NULL, c->train_x);
        for (int e = 0; e < c->cp->epochs_per_task; e++)
            if (train_epoch(c, t, e)) {
                r->diverged_task = t + 1;
                return 0;
            }
        int rc = record(c, t, q0, r, err);
        if (rc) return rc;
    }
    return 0;
}

static int alloc_result(continual_result *r, int T)
{
    memset(r, 0, sizeof *r);
    r->tasks = T;
    double **v[5] = {&r->new_task_accuracy, &r->old_task_accuracy, &r->branching, &r->lyapunov,
                     &r->inactive_fraction};
    for (int k = 0; k < 5; k++) {
        if (!(*v[k] = malloc((size_t)T * sizeof **v[k]))) return -1;
        for (int t = 0; t < T; t++) (*v[k])[t] = NAN;
    }
    return 0;
}

int continual_run(const train_params *p, const continual_params *cp, const data_bundle *data,
                  double q0, continual_result *r, cs_err *err)
{
    const data_set *tr = &data->train, *te = &data->test;
    if (alloc_result(r, cp->tasks)) {
        continual_result_free(r);
        return cs_fail(err, CS_EXIT_ERROR, "continual learning: out of memory");
    }
    run_ctx c = {.p = p, .cp = cp, .data = data};
    c.eval = cp->eval_count > 0 && cp->eval_count < te->n ? cp->eval_count : te->n;
    int B = p->batch < tr->n ? p->batch : (int)tr->n, rc;
    if ((rc = train_net_init(&c.net, p, tr->dim, tr->classes, B, err))) {
        continual_result_free(r);
        return rc;
    }
    train_net_init_params(&c.net, p->key, p->sigma_w2, p->sigma_b2);
    c.pixels = malloc((size_t)tr->dim * sizeof *c.pixels);
    c.order = malloc((size_t)tr->n * sizeof *c.order);
    c.train_x = malloc((size_t)tr->n * tr->dim * sizeof *c.train_x);
    c.test_x = malloc((size_t)c.eval * te->dim * sizeof *c.test_x);
    c.yb = malloc((size_t)B);
    if (!c.pixels || !c.order || !c.train_x || !c.test_x || !c.yb)
        rc = cs_fail(err, CS_EXIT_ERROR, "continual learning: out of memory for %ld examples",
                     tr->n);
    else
        rc = run_tasks(&c, q0, r, err);
    free(c.pixels), free(c.order), free(c.train_x), free(c.test_x), free(c.yb);
    train_net_free(&c.net);
    if (rc) continual_result_free(r);
    return rc;
}

void continual_result_free(continual_result *r)
{
    free(r->new_task_accuracy), free(r->old_task_accuracy), free(r->branching);
    free(r->lyapunov), free(r->inactive_fraction);
    memset(r, 0, sizeof *r);
}

/* test_train.c — the trainer against independent references:
 *   1. gradients: analytic float gradients vs central finite differences of a separate
 *      double-precision forward pass written here, for every activation (tolerance:
 *      max |g − g_fd| ≤ 1e-5 · max |g_fd| per network; float32 arithmetic
 *      gives ~1e-7);
 *   2. optimizer steps: SGD, momentum (PyTorch's v = μv + g, p −= lr v) and Adam
 *      (PyTorch's bias-corrected form) recomputed in double from the gradients, for both
 *      the fused and the textbook (keep_grads) paths, over 3 steps (tolerance 1e-5 of
 *      max |p|);
 *   3. train_run: learns a separable synthetic problem, is deterministic, reports a
 *      diverging learning rate as status DIVERGED with its epoch. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "critsweep/rng.h"
#include "critsweep/train.h"

#include "check.h"

static double worst_grad, worst_step;

#define IN 6
#define WID 19 /* one 16-wide vector plus a scalar tail in the fused kernels */
#define DEPTH 3
#define CLS 4
#define BATCH 7

/* φ in double, written from the definitions (not from the library under test). */
static double phi(cs_activation a, double x)
{
    switch (a) {
    case CS_ACT_TANH: return tanh(x);
    case CS_ACT_ERF: return erf(sqrt(M_PI) / 2 * x);
    case CS_ACT_HARDTANH: return x < -1 ? -1 : x > 1 ? 1 : x;
    case CS_ACT_RELU: return x > 0 ? x : 0;
    default: return x;
    }
}

/* Mean cross-entropy of the network with parameters p (the packed layout of n). Sets
 * *kink to the smallest distance of a pre-activation from a kink of φ. */
static double ref_loss(const train_net *n, const double *p, const float *x,
                       const unsigned char *y, int B, double *kink)
{
    double a[64], h[64], loss = 0;
    *kink = INFINITY;
    for (int r = 0; r < B; r++) {
        int dim = n->in_dim;
        for (int i = 0; i < dim; i++)
            a[i] = x[r * dim + i];
        for (int l = 0; l < n->n_layers; l++) {
            const double *W = p + n->w_off[l], *b = p + n->b_off[l];
            for (int o = 0; o < n->fan_out[l]; o++) {
                double s = b[o];
                for (int i = 0; i < n->fan_in[l]; i++)
                    s += W[o * n->fan_in[l] + i] * a[i];
                h[o] = s;
            }
            dim = n->fan_out[l];
            for (int o = 0; o < dim; o++) {
                if (l < n->depth) {
                    if (n->activation == CS_ACT_RELU)
                        *kink = fmin(*kink, fabs(h[o]));
                    if (n->activation == CS_ACT_HARDTANH)
                        *kink = fmin(*kink, fmin(fabs(h[o] - 1), fabs(h[o] + 1)));
                    a[o] = phi(n->activation, h[o]);
                } else {
                    a[o] = h[o];
                }
            }
        }
        double m = a[0], s = 0;
        for (int j = 1; j < n->classes; j++)
            m = fmax(m, a[j]);
        for (int j = 0; j < n->classes; j++)
            s += exp(a[j] - m);
        loss += m + log(s) - a[y[r]];
    }
    return loss / B;
}

static void fill_batch(uint64_t seed, float *x, unsigned char *y, int B, int dim)
{
    cs_rng r;
    rng_init(&r, seed, 99);
    rng_fill_normal(&r, x, (size_t)B * dim, 1.0f);
    for (int i = 0; i < B; i++)
        y[i] = (unsigned char)rng_below(&r, CLS);
}

static void base_params(train_params *p, cs_activation a, cs_optimizer o)
{
    train_params_default(p);
    p->width = WID;
    p->depth = DEPTH;
    p->sigma_w2 = 1.7;
    p->sigma_b2 = 0.2;
    p->activation = a;
    p->optimizer = o;
    p->lr = 0.05;
    p->momentum = 0.9;
    p->batch = BATCH;
    p->key = 4242 + (uint64_t)a;
}

static void test_gradients(void)
{
    for (int a = 0; a < CS_ACT_COUNT; a++) {
        train_params p;
        base_params(&p, (cs_activation)a, CS_OPT_SGD);
        train_net n;
        cs_err err;
        if (train_net_init(&n, &p, IN, CLS, BATCH, &err)) {
            CHECK(0, "init: %s", err.msg);
            continue;
        }
        n.keep_grads = 1;
        train_net_init_params(&n, p.key, p.sigma_w2, p.sigma_b2);
        float x[BATCH * IN];
        unsigned char y[BATCH];
        double *pd = malloc(n.n_params * sizeof *pd);
        for (size_t i = 0; i < n.n_params; i++)
            pd[i] = n.params[i];
        /* keep away from kinks, where finite differences are meaningless */
        double kink = 0;
        for (uint64_t s = 1; s < 50; s++) {
            fill_batch(s, x, y, BATCH, IN);
            ref_loss(&n, pd, x, y, BATCH, &kink);
            if (kink > 1e-3)
                break;
        }
        double loss = train_net_grad(&n, x, y, BATCH);
        double ref = ref_loss(&n, pd, x, y, BATCH, &kink);
        CHECK(fabs(loss - ref) < 1e-5 * fmax(1, fabs(ref)), "%s: loss %.8g vs reference %.8g",
              activation_name(p.activation), loss, ref);
        double gmax = 0, dmax = 0;
        const double h = 1e-6;
        for (int l = 0; l < n.n_layers; l++) {
            size_t lo = n.w_off[l], hi = n.b_off[l] + (size_t)n.fan_out[l];
            for (size_t i = lo; i < hi; i++) {
                double k1, k2, save = pd[i];
                pd[i] = save + h;
                double lp = ref_loss(&n, pd, x, y, BATCH, &k1);
                pd[i] = save - h;
                double lm = ref_loss(&n, pd, x, y, BATCH, &k2);
                pd[i] = save;
                double fd = (lp - lm) / (2 * h);
                gmax = fmax(gmax, fabs(fd));
                dmax = fmax(dmax, fabs(fd - n.grads[i]));
            }
        }
        double rel = dmax / gmax;
        printf("gradient %-9s loss %.6f (ref %.6f), max |g - fd| %.3g, relative %.3g (tol 1e-5)\n",
               activation_name(p.activation), loss, ref, dmax, rel);
        CHECK(rel < 1e-5, "%s: gradient relative error %g", activation_name(p.activation), rel);
        worst_grad = fmax(worst_grad, rel);
        free(pd);
        train_net_free(&n);
    }
}

/* The reference optimizer in double, PyTorch's equations. */
static void ref_step(cs_optimizer o, double lr, double mu, long t, double *p, double *s1,
                     double *s2, const float *g, size_t np)
{
    for (size_t i = 0; i < np; i++) {
        double gi = g[i];
        if (o == CS_OPT_SGD) {
            p[i] -= lr * gi;
        } else if (o == CS_OPT_MOMENTUM) {
            s1[i] = mu * s1[i] + gi;
            p[i] -= lr * s1[i];
        } else {
            s1[i] = 0.9 * s1[i] + 0.1 * gi;
            s2[i] = 0.999 * s2[i] + 0.001 * gi * gi;
            double mhat = s1[i] / (1 - pow(0.9, (double)t));
            double vhat = s2[i] / (1 - pow(0.999, (double)t));
            p[i] -= lr * mhat / (sqrt(vhat) + 1e-8);
        }
    }
}

static void test_optimizers(void)
{
    static const char *path_name[2] = {"fused", "textbook"};
    for (int o = 0; o <= CS_OPT_ADAM; o++)
        for (int keep = 0; keep < 2; keep++) {
            train_params p;
            base_params(&p, CS_ACT_TANH, (cs_optimizer)o);
            if (o == CS_OPT_ADAM)
                p.lr = 0.01;
            train_net s, g; /* s: under test; g: gradient oracle at the reference point */
            cs_err err;
            if (train_net_init(&s, &p, IN, CLS, BATCH, &err) ||
                train_net_init(&g, &p, IN, CLS, BATCH, &err)) {
                CHECK(0, "init: %s", err.msg);
                return;
            }
            s.keep_grads = keep;
            g.keep_grads = 1;
            train_net_init_params(&s, p.key, p.sigma_w2, p.sigma_b2);
            size_t np = s.n_params;
            double *ref = malloc(np * sizeof *ref), *s1 = calloc(np, sizeof *s1),
                   *s2 = calloc(np, sizeof *s2);
            for (size_t i = 0; i < np; i++)
                ref[i] = s.params[i];
            double worst = 0;
            for (int step = 1; step <= 3; step++) {
                float x[BATCH * IN];
                unsigned char y[BATCH];
                fill_batch(100 + (uint64_t)step, x, y, BATCH, IN);
                int B = step == 3 ? BATCH - 2 : BATCH; /* a partial batch too */
                for (size_t i = 0; i < np; i++)
                    g.params[i] = (float)ref[i];
                double lg = train_net_grad(&g, x, y, B);
                double ls = train_net_step(&s, x, y, B);
                CHECK(fabs(lg - ls) < 1e-5, "%s/%s step %d: loss %g vs %g",
                      optimizer_name(p.optimizer), path_name[keep], step, ls, lg);
                ref_step(p.optimizer, p.lr, p.momentum, step, ref, s1, s2, g.grads, np);
                double pmax = 0, dmax = 0;
                for (size_t i = 0; i < np; i++) {
                    pmax = fmax(pmax, fabs(ref[i]));
                    dmax = fmax(dmax, fabs(ref[i] - s.params[i]));
                }
                worst = fmax(worst, dmax / pmax);
            }
            printf("optimizer %-8s %-8s 3 steps: max |p - p_ref| / max |p| = %.3g (tol 1e-5)\n",
                   optimizer_name(p.optimizer), path_name[keep], worst);
            CHECK(worst < 1e-5, "%s/%s: parameters differ by %g", optimizer_name(p.optimizer),
                  path_name[keep], worst);
            worst_step = fmax(worst_step, worst);
            free(ref);
            free(s1);
            free(s2);
            train_net_free(&s);
            train_net_free(&g);
        }
}

/* Synthetic 2-cluster-per-class problem: class = argmax of the first CLS coordinates
 * shifted by a margin; linearly separable, so a small MLP must reach high accuracy. */
static void make_set(data_set *d, long n, uint64_t seed)
{
    d->n = n;
    d->dim = IN;
    d->classes = CLS;
    d->x = malloc((size_t)n * IN * sizeof *d->x);
    d->y = malloc((size_t)n);
    cs_rng r;
    rng_init(&r, seed, 7);
    rng_fill_normal(&r, d->x, (size_t)n * IN, 1.0f);
    for (long i = 0; i < n; i++) {
        int c = (int)rng_below(&r, CLS);
        d->y[i] = (unsigned char)c;
        d->x[i * IN + c] += 3.0f;
    }
}

static void test_run(void)
{
    data_bundle d;
    memset(&d, 0, sizeof d);
    make_set(&d.train, 1000, 1);
    make_set(&d.test, 300, 2);
    train_params p;
    base_params(&p, CS_ACT_TANH, CS_OPT_MOMENTUM);
    p.sigma_w2 = 1.0;
    p.sigma_b2 = 0.05;
    p.epochs = 4;
    p.batch = 32; /* 1000 = 31 full batches + a partial one of 8 */
    p.lr = 0.05;
    train_result r1, r2;
    train_result_init(&r1);
    train_result_init(&r2);
    cs_err err;
    CHECK(train_run(&p, &d, &r1, &err) == 0, "train_run: %s", err.msg);
    CHECK(train_run(&p, &d, &r2, &err) == 0, "train_run: %s", err.msg);
    printf("synthetic: accuracy per epoch");
    for (int e = 0; e < r1.epochs; e++)
        printf(" %.3f", r1.test_accuracy_per_epoch[e]);
    printf(", loss %.4f -> %.4f\n", r1.train_loss_per_epoch[0], r1.train_loss);
    CHECK(r1.status == CS_TRAIN_OK && r1.test_accuracy > 0.9,
          "synthetic problem not learned: accuracy %g", r1.test_accuracy);
    CHECK(r1.train_loss_per_epoch[3] < r1.train_loss_per_epoch[0], "loss did not decrease");
    CHECK(r1.samples_per_s > 0, "samples_per_s %g", r1.samples_per_s);
    int same = r1.epochs == r2.epochs;
    for (int e = 0; same && e < r1.epochs; e++)
        same = r1.train_loss_per_epoch[e] == r2.train_loss_per_epoch[e] &&
               r1.test_accuracy_per_epoch[e] == r2.test_accuracy_per_epoch[e];
    CHECK(same, "two runs with the same key differ");
    p.key++;
    CHECK(train_run(&p, &d, &r2, &err) == 0, "train_run: %s", err.msg);
    CHECK(r2.train_loss_per_epoch[0] != r1.train_loss_per_epoch[0],
          "a different key gave the same loss");

    /* divergence: an absurd learning rate on a linear network */
    p.activation = CS_ACT_LINEAR;
    p.optimizer = CS_OPT_SGD;
    p.lr = 1e6;
    CHECK(train_run(&p, &d, &r2, &err) == 0, "train_run: %s", err.msg);
    printf("lr 1e6: status %d, diverged_epoch %d, accuracy %g\n", (int)r2.status,
           r2.diverged_epoch, r2.test_accuracy);
    CHECK(r2.status == CS_TRAIN_DIVERGED && r2.diverged_epoch == 1 && isnan(r2.test_accuracy) &&
              isnan(r2.train_loss_per_epoch[0]) && isnan(r2.train_loss_per_epoch[3]),
          "divergence not reported (status %d, epoch %d)", (int)r2.status, r2.diverged_epoch);

    /* parameter validation */
    p.lr = -1;
    CHECK(train_run(&p, &d, &r2, &err) == CS_EXIT_USAGE, "negative lr accepted");
    train_result_free(&r1);
    train_result_free(&r2);
    data_free(&d);
}

int main(void)
{
    test_gradients();
    test_optimizers();
    test_run();
    printf("largest differences: gradient %.3g (tol 1e-5), optimizer %.3g (tol 1e-5); "
           "%d failure(s)\n", worst_grad, worst_step, failures);
    return failures ? 1 : 0;
}

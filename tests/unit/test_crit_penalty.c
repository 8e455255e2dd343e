/* test_crit_penalty.c — the criticality penalty's gradient (crit_penalty.h) against
 * central finite differences of the penalty itself, for every activation, with φ′ held
 * fixed as the definition says. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "critsweep/crit_penalty.h"
#include "critsweep/rng.h"

enum { IN = 12, N = 10, DEPTH = 4, B = 6, CLASSES = 3 };

static void make_net(train_net *n, cs_activation act, float *x, unsigned char *y)
{
    train_params p;
    train_params_default(&p);
    p.width = N, p.depth = DEPTH, p.activation = act, p.sigma_w2 = 1.5, p.sigma_b2 = 0.05;
    cs_err err;
    CHECK(train_net_init(n, &p, IN, CLASSES, B, &err) == 0, "init: %s", err.msg);
    n->keep_grads = 1;
    train_net_init_params(n, 21, p.sigma_w2, p.sigma_b2);
    cs_rng r;
    rng_init(&r, 8, 1);
    rng_fill_normal(&r, x, IN * B, 1.0f);
    for (int b = 0; b < B; b++) y[b] = (unsigned char)(b % CLASSES);
    train_net_grad(n, x, y, B); /* fills acts: the trajectory φ′ is taken from */
}

static double worst_relative_error(cs_activation act)
{
    train_net n;
    float x[IN * B], scratch[3 * B * N];
    unsigned char y[B];
    make_net(&n, act, x, y);
    memset(n.grads, 0, n.n_params * sizeof *n.grads);
    crit_penalty(&n, B, 1.0, 5, 0, scratch);
    double worst = 0;
    for (int l = 1; l < DEPTH; l++)
        for (int k = 0; k < N * N; k += 7) {
            float *w = n.params + n.w_off[l] + k, w0 = *w, eps = 1e-2f;
            *w = w0 + eps;
            double up = crit_penalty(&n, B, 0.0, 5, 0, scratch);
            *w = w0 - eps;
            double down = crit_penalty(&n, B, 0.0, 5, 0, scratch);
            *w = w0;
            double fd = (up - down) / (2.0 * eps), g = n.grads[n.w_off[l] + k];
            double rel = fabs(fd - g) / fmax(fabs(fd), 1e-2);
            if (rel > worst) worst = rel;
        }
    train_net_free(&n);
    return worst;
}

int main(void)
{
    const cs_activation acts[] = {CS_ACT_TANH, CS_ACT_ERF, CS_ACT_HARDTANH, CS_ACT_RELU,
                                  CS_ACT_LINEAR};
    for (int a = 0; a < 5; a++) {
        double e = worst_relative_error(acts[a]);
        printf("%-8s worst relative error of dP/dW against central differences: %.2e "
               "(tolerance 2e-3, float arithmetic)\n", activation_name(acts[a]), e);
        CHECK(e < 2e-3, "%s gradient error %g", activation_name(acts[a]), e);
    }
    return failures != 0;
}

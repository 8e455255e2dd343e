/* test_trained_crit.c — criticality of a trained MLP (trained_crit.h) on networks of
 * known Jacobians: linear with orthogonal hidden weights gives m = 1 and λ_0 = 0 exactly
 * (to float rounding); a random tanh network is ordered (m < 1, λ_0 < 0) at σ_w² = 0.5 and
 * chaotic (λ_0 > 0) at σ_w² = 4, with λ_0 near the mean field's ½ ln χ_1. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "critsweep/meanfield.h"
#include "critsweep/rng.h"
#include "critsweep/trained_crit.h"

extern void dgeqrf_(const int *m, const int *n, double *a, const int *lda, double *tau,
                    double *work, const int *lwork, int *info);
extern void dorgqr_(const int *m, const int *n, const int *k, double *a, const int *lda,
                    const double *tau, double *work, const int *lwork, int *info);

enum { IN = 30, COUNT = 300 };

/* W (N, N) := Q of the QR factorisation of a Gaussian matrix (LAPACK). */
static void orthogonal(float *W, int N, cs_rng *r)
{
    double *a = malloc(sizeof *a * (size_t)N * N), tau[N], work[64 * N];
    int lwork = 64 * N, info;
    rng_fill_normal_double(r, a, (size_t)N * N, 1.0);
    dgeqrf_(&N, &N, a, &N, tau, work, &lwork, &info);
    dorgqr_(&N, &N, &N, a, &N, tau, work, &lwork, &info);
    for (int k = 0; k < N * N; k++) W[k] = (float)a[k];
    free(a);
}

static void make_net(train_net *n, cs_activation act, int N, int depth, double sw)
{
    train_params p;
    train_params_default(&p);
    p.width = N, p.depth = depth, p.activation = act, p.sigma_w2 = sw, p.sigma_b2 = 0;
    cs_err err;
    CHECK(train_net_init(n, &p, IN, 3, 8, &err) == 0, "train_net_init: %s", err.msg);
    train_net_init_params(n, 99, sw, 0.0);
}

static void inputs(float *x, cs_rng *r) { rng_fill_normal(r, x, (size_t)COUNT * IN, 1.0f); }

int main(void)
{
    cs_rng r;
    rng_init(&r, 5, 1);
    static float x[COUNT * IN];
    inputs(x, &r);
    train_net n;
    double m, lam;
    cs_err err;
    make_net(&n, CS_ACT_LINEAR, 32, 6, 1.0);
    for (int l = 1; l < n.depth; l++) orthogonal(n.params + n.w_off[l], n.width, &r);
    CHECK(trained_criticality(&n, x, COUNT, 0.1, 7, &m, &lam, &err) == 0, "runs");
    printf("linear, orthogonal hidden weights: m = %.8f, lambda_0 = %.2e (want 1 and 0)\n", m, lam);
    CHECK(fabs(m - 1) < 1e-5 && fabs(lam) < 1e-6, "orthogonal linear: m %g, lambda %g", m, lam);
    train_net_free(&n);

    const double sws[2] = {0.5, 4.0};
    for (int k = 0; k < 2; k++) {
        make_net(&n, CS_ACT_TANH, 400, 12, sws[k]);
        trained_criticality(&n, x, COUNT, 0.1, 7, &m, &lam, &err);
        meanfield_point mf;
        meanfield_evaluate(CS_ACT_TANH, sws[k], 0.0, &mf);
        double chi1 = mf.chi1;
        printf("random tanh sigma_w2 = %.1f: m = %.4f, lambda_0 = %.4f, mean field 1/2 ln chi_1 = "
               "%.4f\n", sws[k], m, lam, 0.5 * log(chi1));
        CHECK(k == 0 ? (m < 1 && lam < 0) : lam > 0, "phase of sigma_w2 = %g", sws[k]);
        CHECK(fabs(lam - 0.5 * log(chi1)) < 0.1, "lambda %g vs mean field %g (0.1)", lam,
              0.5 * log(chi1));
        train_net_free(&n);
    }
    return failures != 0;
}

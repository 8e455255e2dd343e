/* test_refine.c — adaptive refinement (refine.h) on a synthetic χ scan of known peak:
 * the adaptive grid locates the peak to ±tol with at most 40 % of the tasks of the
 * uniform grid that reaches the same interval, and both intervals hold the truth. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "critsweep/bootstrap.h"
#include "critsweep/deriv.h"
#include "critsweep/refine.h"
#include "critsweep/rng.h"

enum { SEEDS = 6, MAXN = 400, REPS = 200 };
static const double X0 = 1.0337, LO = 0.6, HI = 1.6, TOL = 0.005;

/* One task's S̄: an arctan step at X0 plus noise drawn from the cell's own stream, so a
 * cell's values do not depend on which other cells exist (as in a real sweep). */
static double task_value(double x, int seed)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    cs_rng r;
    rng_init(&r, bits, (uint64_t)seed);
    double z;
    rng_fill_normal_double(&r, &z, 1, 0.3);
    return 10 * atan((x - X0) / 0.05) + z;
}

static int cmp(const void *a, const void *b)
{
    double d = *(const double *)a - *(const double *)b;
    return (d > 0) - (d < 0);
}

/* Bootstrap replicates of the χ peak on grid x; returns the estimate. */
static double locate(const double *x, int n, double *reps)
{
    static double cells[MAXN * SEEDS], mean[MAXN], se[MAXN];
    for (int i = 0; i < n; i++) {
        double s1 = 0, s2 = 0;
        for (int k = 0; k < SEEDS; k++) {
            double v = cells[i * SEEDS + k] = task_value(x[i], k);
            s1 += v, s2 += v * v;
        }
        mean[i] = s1 / SEEDS;
        se[i] = sqrt(fmax(s2 - s1 * s1 / SEEDS, 0) / (SEEDS - 1) / SEEDS);
    }
    const double *v[1] = {cells};
    double *out[1] = {mean}, est, p, h;
    int edge;
    deriv_curve c = {x, mean, se, n};
    deriv_peak(&c, &est, &p, &edge, &h);
    double *bm = malloc((size_t)n * sizeof *bm);
    out[0] = bm;
    for (int b = 0; b < REPS; b++) {
        boot_resample_means(v, out, 1, n, SEEDS, 3, b);
        deriv_curve cb = {x, bm, se, n};
        deriv_peak(&cb, &reps[b], &p, &edge, &h);
    }
    free(bm);
    return est;
}

static void uniform(int n, double *x)
{
    for (int i = 0; i < n; i++) x[i] = LO + (HI - LO) * i / (n - 1);
}

int main(void)
{
    static double x[MAXN], reps[REPS], new_x[16];
    int n = 11, rounds = 0, n_new;
    uniform(n, x);
    double half = INFINITY, est = NAN;
    refine_action act = REFINE_POINTS;
    while (n + 8 <= MAXN && rounds < 40) {
        est = locate(x, n, reps);
        act = refine_column(x, n, reps, REPS, TOL, 8, new_x, &n_new, &half);
        printf("round %2d: %3d points, peak %.4f, 95%% half-width %.4f, action %d\n", rounds, n,
               est, half, act);
        if (act != REFINE_POINTS) break;
        memcpy(x + n, new_x, (size_t)n_new * sizeof *x);
        n += n_new;
        qsort(x, (size_t)n, sizeof *x, cmp);
        rounds++;
    }
    /* It ends known to ±tol, or asking for more seeds: the grid is fine enough there and
     * what is left is the six seeds' noise (the sweep would add seeds; this test has
     * a fixed six). */
    CHECK(act == REFINE_DONE || (act == REFINE_SEEDS && half < 1.5 * TOL),
          "adaptive run reached tol or the seeds' noise (action %d, half-width %g)", act, half);
    /* The reported interval: the estimate ± the uncertainty refine_column defines. */
    double lo = est - half, hi = est + half;
    CHECK(lo <= X0 && X0 <= hi, "adaptive interval [%g, %g] holds %g", lo, hi, X0);
    int adaptive_tasks = n * SEEDS;
    /* The uniform grid: the coarsest that reaches the adaptive run's half-width. */
    int nu = 11, uniform_tasks = 0;
    double uhalf = INFINITY, uest = NAN, ulo = NAN, uhi = NAN;
    for (; nu <= MAXN; nu = (int)(nu * 1.15) + 1) {
        uniform(nu, x);
        uest = locate(x, nu, reps);
        int unused;
        refine_column(x, nu, reps, REPS, TOL, 0, new_x, &unused, &uhalf);
        ulo = uest - uhalf, uhi = uest + uhalf;
        if (uhalf <= half) break;
    }
    uniform_tasks = nu * SEEDS;
    printf("adaptive: %d tasks, peak %.4f [%.4f, %.4f]; uniform: %d tasks (%d points), peak %.4f "
           "[%.4f, %.4f]; ratio %.2f (need <= 0.40)\n", adaptive_tasks, est, lo, hi, uniform_tasks,
           nu, uest, ulo, uhi, (double)adaptive_tasks / uniform_tasks);
    CHECK(uhalf <= half, "uniform reached the half-width %g (got %g)", half, uhalf);
    CHECK(adaptive_tasks <= 0.4 * uniform_tasks, "adaptive %d vs uniform %d tasks", adaptive_tasks,
          uniform_tasks);
    CHECK(ulo <= X0 && X0 <= uhi, "uniform interval holds the truth");
    CHECK(fabs(est - uest) <= (hi - lo) / 2 + (uhi - ulo) / 2, "the two estimates agree");
    return failures != 0;
}

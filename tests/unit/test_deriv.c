/* test_deriv.c — the noise-aware slope (deriv.h) and the seed bootstrap (bootstrap.h)
 * against closed forms: exact on quadratics, the known peak of an arctan's slope, less
 * error than finite differences on noisy seeds, and 95 % intervals that cover. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "critsweep/bootstrap.h"
#include "critsweep/deriv.h"
#include "critsweep/rng.h"

#define NX 41
#define SEEDS 8
static const double X0 = 1.037, WIDTH = 0.1, AMP = 10.0; /* y = AMP atan((x - X0)/WIDTH) */

static double grid_x(int i) { return 0.6 + 1.0 * i / (NX - 1); }
static double truth(double x) { return AMP * atan((x - X0) / WIDTH); }

static void test_quadratic_exact(void)
{
    double x[NX], y[NX];
    for (int i = 0; i < NX; i++) x[i] = grid_x(i), y[i] = 2 + 3 * x[i] - 4 * x[i] * x[i];
    deriv_curve c = {x, y, NULL, NX};
    double worst = 0;
    for (double t = 0.7; t <= 1.5; t += 0.05) {
        double v, s;
        CHECK(deriv_local_fit(&c, 0.2, t, &v, &s) == 0, "fit at %g", t);
        worst = fmax(worst, fabs(s - (3 - 8 * t)));
        worst = fmax(worst, fabs(v - (2 + 3 * t - 4 * t * t)));
    }
    printf("quadratic: largest error %.2e (tolerance 1e-9)\n", worst);
    CHECK(worst < 1e-9, "quadratic reproduced exactly, error %g", worst);
    double v, s;
    deriv_curve four = {x, y, NULL, 4};
    CHECK(deriv_local_fit(&four, 0.2, 1.0, &v, &s) == -1 && isnan(s), "too few points gives NaN");
}

static void test_noiseless_peak(void)
{
    double x[NX], y[NX];
    for (int i = 0; i < NX; i++) x[i] = grid_x(i), y[i] = truth(x[i]);
    deriv_curve c = {x, y, NULL, NX};
    double h = deriv_bandwidth(&c), loc, peak;
    int edge;
    CHECK(deriv_slope_peak(&c, h, &loc, &peak, &edge) == 0 && !edge, "peak found");
    printf("noiseless: h %.4f, peak at %.5f (true %.5f), height %.3f (true %.3f)\n", h, loc, X0,
           peak, AMP / WIDTH);
    CHECK(fabs(loc - X0) < 2e-3, "peak location %g vs %g (tolerance 2e-3)", loc, X0);
    CHECK(fabs(peak / (AMP / WIDTH) - 1) < 0.1, "peak height %g vs %g (10 %%)", peak, AMP / WIDTH);
}

/* One noisy sweep: SEEDS values per cell, normal noise of sd `noise`. */
static void noisy_cells(cs_rng *r, double noise, double *x, double *cells, double *mean,
                        double *se)
{
    for (int i = 0; i < NX; i++) {
        x[i] = grid_x(i);
        double s1 = 0, s2 = 0, z[SEEDS];
        rng_fill_normal_double(r, z, SEEDS, noise);
        for (int s = 0; s < SEEDS; s++) {
            cells[i * SEEDS + s] = truth(x[i]) + z[s];
            s1 += cells[i * SEEDS + s];
            s2 += cells[i * SEEDS + s] * cells[i * SEEDS + s];
        }
        mean[i] = s1 / SEEDS;
        se[i] = sqrt(fmax(s2 / SEEDS - mean[i] * mean[i], 0) * SEEDS / (SEEDS - 1) / SEEDS);
    }
}

/* numpy.gradient's peak: second-order central differences (uniform grid here). */
static double fd_peak(const double *x, const double *y)
{
    int best = 1;
    for (int i = 1; i < NX - 1; i++)
        if ((y[i + 1] - y[i - 1]) / (x[i + 1] - x[i - 1]) >
            (y[best + 1] - y[best - 1]) / (x[best + 1] - x[best - 1]))
            best = i;
    return x[best];
}

static void test_noisy_beats_fd(void)
{
    cs_rng r;
    rng_init(&r, 12345, 1);
    double x[NX], cells[NX * SEEDS], mean[NX], se[NX], e_s = 0, e_fd = 0;
    const int reps = 40;
    for (int k = 0; k < reps; k++) {
        noisy_cells(&r, 0.5, x, cells, mean, se);
        deriv_curve c = {x, mean, se, NX};
        double loc, peak;
        int edge;
        deriv_slope_peak(&c, deriv_bandwidth(&c), &loc, &peak, &edge);
        e_s += (loc - X0) * (loc - X0);
        e_fd += (fd_peak(x, mean) - X0) * (fd_peak(x, mean) - X0);
    }
    e_s = sqrt(e_s / reps), e_fd = sqrt(e_fd / reps);
    printf("noisy (sd 0.5 per seed, %d seeds): RMS peak error smooth %.4f, finite differences %.4f\n",
           SEEDS, e_s, e_fd);
    CHECK(e_s < e_fd, "smoothing %g should beat finite differences %g", e_s, e_fd);
    CHECK(e_s < 0.01, "RMS peak error %g < 0.01", e_s);
}

/* Coverage of the seed bootstrap's 95 % interval for the peak location. */
static void test_peak_coverage(int datasets, int replicates)
{
    cs_rng r;
    rng_init(&r, 777, 2);
    double x[NX], cells[NX * SEEDS], mean[NX], se[NX], bm[NX], loc[replicates];
    int covered = 0;
    for (int k = 0; k < datasets; k++) {
        noisy_cells(&r, 0.5, x, cells, mean, se);
        double p;
        int edge;
        for (int b = 0; b < replicates; b++) {
            const double *vq[1] = {cells};
            double *oq[1] = {bm};
            boot_resample_means(vq, oq, 1, NX, SEEDS, 99 + (uint64_t)k, b);
            deriv_curve cb = {x, bm, se, NX};
            double hb;
            deriv_peak(&cb, &loc[b], &p, &edge, &hb);
        }
        double lo, hi;
        boot_interval(loc, replicates, 0.95, &lo, &hi);
        covered += lo <= X0 && X0 <= hi;
    }
    printf("peak bootstrap: 95 %% interval covers the truth in %d of %d datasets (need >= 90 %%)\n",
           covered, datasets);
    CHECK(covered >= 0.9 * datasets, "coverage %d/%d", covered, datasets);
}

/* Coverage of the mean of normal seeds, and determinism of the replicates. */
static void test_mean_coverage(void)
{
    cs_rng r;
    rng_init(&r, 4242, 3);
    enum { S = 10, DATASETS = 200, REPS = 1000 };
    double v[S], reps[REPS], again;
    int covered = 0;
    for (int k = 0; k < DATASETS; k++) {
        rng_fill_normal_double(&r, v, S, 1.0);
        const double *vq[1] = {v};
        for (int b = 0; b < REPS; b++) {
            double *oq[1] = {&reps[b]};
            boot_resample_means(vq, oq, 1, 1, S, 5, b);
        }
        double lo, hi;
        boot_interval(reps, REPS, 0.95, &lo, &hi);
        covered += lo <= 0 && 0 <= hi;
    }
    const double *vq[1] = {v};
    double *oq[1] = {&again};
    boot_resample_means(vq, oq, 1, 1, S, 5, 17);
    CHECK(again == reps[17], "replicate 17 is the same when drawn again");
    printf("mean bootstrap: covers 0 in %d of %d (percentile intervals of n = %d undercover a "
           "little; need >= 85 %%)\n", covered, DATASETS, S);
    CHECK(covered >= 0.85 * DATASETS, "mean coverage %d/%d", covered, DATASETS);
    double nanv[3] = {NAN, NAN, NAN}, out;
    const double *nq[1] = {nanv};
    double *no[1] = {&out};
    boot_resample_means(nq, no, 1, 1, 3, 5, 0);
    CHECK(isnan(out), "a cell with no finite seed gives NaN");
}

int main(int argc, char **argv)
{
    int datasets = argc > 1 ? atoi(argv[1]) : 40; /* deterministic: fixed streams */
    test_quadratic_exact();
    test_noiseless_peak();
    test_noisy_beats_fd();
    test_mean_coverage();
    test_peak_coverage(datasets, argc > 2 ? atoi(argv[2]) : 100);
    return failures != 0;
}

/* bootstrap.c — seed resampling and percentile intervals (bootstrap.h). */
#include "critsweep/bootstrap.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>

#include "critsweep/rng.h"

/* Mean of quantity `cell` over the m_all drawn seeds, widened as bootstrap.h says. */
static double widened_mean(const double *cell, const int *seeds, int n_seeds, const int *draw)
{
    double mean = 0, sum = 0;
    int m = 0, drawn = 0;
    for (int k = 0; k < n_seeds; k++)
        if (isfinite(cell[seeds[k]])) mean += cell[seeds[k]], m++;
    if (m == 0) return NAN;
    mean /= m;
    if (m == 1) return mean;
    for (int k = 0; k < n_seeds; k++)
        if (isfinite(cell[seeds[draw[k]]])) sum += cell[seeds[draw[k]]], drawn++;
    if (drawn == 0) return mean; /* every draw hit a seed without this quantity */
    return mean + (sum / drawn - mean) * sqrt((double)m / (m - 1));
}

void boot_resample_means(const double *const *v, double *const *out, int nq, long n_cells,
                         int S, uint64_t key, long replicate)
{
    cs_rng r;
    rng_init(&r, key, rng_stream_id(CS_STREAM_CLAIM, (uint64_t)replicate));
    int *seeds = malloc(2 * (size_t)(S > 0 ? S : 1) * sizeof *seeds), *draw = seeds + S;
    for (long c = 0; c < n_cells; c++) {
        int n = 0;
        for (int s = 0; s < S && seeds; s++) {
            int any = 0;
            for (int q = 0; q < nq; q++) any |= isfinite(v[q][c * S + s]);
            if (any) seeds[n++] = s;
        }
        for (int k = 0; k < n; k++) draw[k] = (int)rng_below(&r, (uint64_t)n);
        for (int q = 0; q < nq; q++)
            out[q][c] = seeds ? widened_mean(v[q] + c * S, seeds, n, draw) : NAN;
    }
    free(seeds);
}

long boot_interval(const double *reps, long n, double level, double *lo, double *hi)
{
    *lo = *hi = NAN;
    double *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    if (!v) return 0;
    long m = 0;
    for (long i = 0; i < n; i++)
        if (isfinite(reps[i])) v[m++] = reps[i];
    if (m >= 2) {
        gsl_sort(v, 1, (size_t)m);
        *lo = gsl_stats_quantile_from_sorted_data(v, 1, (size_t)m, 0.5 * (1 - level));
        *hi = gsl_stats_quantile_from_sorted_data(v, 1, (size_t)m, 0.5 * (1 + level));
    }
    free(v);
    return m;
}

void boot_cell_moments(const double *v, long cells, int n_seeds, double *mean, double *se)
{
    for (long c = 0; c < cells; c++) {
        double s1 = 0, s2 = 0;
        int m = 0;
        for (int k = 0; k < n_seeds; k++) {
            double x = v[c * n_seeds + k];
            if (isfinite(x)) s1 += x, s2 += x * x, m++;
        }
        mean[c] = m ? s1 / m : NAN;
        se[c] = m > 1 ? sqrt(fmax(s2 - s1 * s1 / m, 0) / (m - 1) / m) : NAN;
    }
}

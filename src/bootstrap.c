/* bootstrap.c — seed resampling and percentile intervals (bootstrap.h). */
#include "critsweep/bootstrap.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>

#include "critsweep/rng.h"

void boot_resample_means(const double *v, long n_cells, int S, uint64_t key, long replicate,
                         double *out)
{
    cs_rng r;
    rng_init(&r, key, rng_stream_id(CS_STREAM_CLAIM, (uint64_t)replicate));
    int finite[S > 0 ? S : 1];
    for (long c = 0; c < n_cells; c++) {
        const double *cell = v + c * S;
        int m = 0;
        for (int s = 0; s < S; s++)
            if (isfinite(cell[s])) finite[m++] = s;
        double mean = 0, sum = 0;
        for (int k = 0; k < m; k++) mean += cell[finite[k]] / m;
        for (int k = 0; k < m; k++) sum += cell[finite[rng_below(&r, (uint64_t)m)]];
        /* A plain resample's mean has (m-1)/m of the variance of the cell's mean: widen
         * its deviation by sqrt(m/(m-1)) so that intervals from few seeds do not
         * undercover. */
        out[c] = m == 0 ? NAN : m == 1 ? mean : mean + (sum / m - mean) * sqrt((double)m / (m - 1));
    }
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

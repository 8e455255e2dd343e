/* refine.c — the next points of an adaptive axis (refine.h). */
#include "critsweep/refine.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>

#include "critsweep/bootstrap.h"

/* Fewest located replicates (a share of all) for a line to count as located. */
#define REFINE_MIN_LOCATED 0.5

/* Index of the interval [x_i, x_{i+1}] holding t (clamped to the grid). */
static int interval_of(const double *x, int n, double t)
{
    int i = 0;
    while (i + 2 < n && x[i + 1] <= t) i++;
    return i;
}

/* Loss of each interval: its length × (1 + the share of located replicates in it), and
 * 0 outside the window [lo, hi] or for intervals already no longer than 2 tol. */
static void interval_losses(const double *x, int n, const double *reps, int n_reps, long located,
                            double lo, double hi, double tol, double *loss)
{
    for (int i = 0; i + 1 < n; i++) {
        loss[i] = 0;
        if (x[i + 1] < lo || x[i] > hi || x[i + 1] - x[i] <= 2 * tol) continue;
        int inside = 0;
        for (int k = 0; k < n_reps; k++)
            inside += isfinite(reps[k]) && reps[k] >= x[i] && reps[k] < x[i + 1];
        loss[i] = (x[i + 1] - x[i]) * (1.0 + (double)inside / located);
    }
}

/* The max_new intervals of largest positive loss, split at their midpoints, sorted. */
static int split_largest(const double *x, int n, const double *loss, int max_new, double *new_x)
{
    size_t *order = malloc((size_t)(n - 1) * sizeof *order);
    if (!order) return 0;
    gsl_sort_index(order, loss, 1, (size_t)(n - 1));
    int m = 0;
    for (int r = n - 2; r >= 0 && m < max_new; r--)
        if (loss[order[r]] > 0) new_x[m++] = 0.5 * (x[order[r]] + x[order[r] + 1]);
    free(order);
    gsl_sort(new_x, 1, (size_t)m);
    return m;
}

refine_action refine_column(const double *x, int n, const double *reps, int n_reps, double tol,
                            int max_new, double *new_x, int *n_new, double *half_width)
{
    *n_new = 0;
    *half_width = NAN;
    double lo, hi, *sorted = malloc((size_t)(n_reps > 0 ? n_reps : 1) * sizeof *sorted);
    if (!sorted) return REFINE_UNLOCATED;
    long located = boot_interval(reps, n_reps, 0.95, &lo, &hi);
    long m = 0;
    for (int k = 0; k < n_reps; k++)
        if (isfinite(reps[k])) sorted[m++] = reps[k];
    gsl_sort(sorted, 1, (size_t)m);
    double centre = m ? gsl_stats_median_from_sorted_data(sorted, 1, (size_t)m) : NAN;
    free(sorted);
    if (n < 2 || located < 2 || located < REFINE_MIN_LOCATED * n_reps) return REFINE_UNLOCATED;
    /* The bootstrap sees the seeds' noise, not the grid's resolution: a line is known to
     * ±tol only when the interval around it is narrow and the grid there is fine. */
    int c = interval_of(x, n, centre);
    double gap = x[c + 1] - x[c];
    *half_width = fmax(0.5 * (hi - lo), 0.5 * gap);
    if (*half_width <= tol) return REFINE_DONE;
    double *loss = malloc((size_t)(n - 1) * sizeof *loss);
    if (!loss) return REFINE_UNLOCATED;
    interval_losses(x, n, reps, n_reps, located, lo - gap, hi + gap, tol, loss);
    *n_new = split_largest(x, n, loss, max_new, new_x);
    free(loss);
    return *n_new > 0 ? REFINE_POINTS : REFINE_SEEDS;
}

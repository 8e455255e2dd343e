/* claim.h — the paper's claim with error bars: does maximal susceptibility predict
 * learning better than the edge of chaos? (README §3)
 *
 * For one (activation, width) slab of a sweep, from per-task S̄ and test accuracy:
 * - the Widom line σ_w²*(σ_b²): the maximum of χ = ∂S̄/∂σ_w², with χ the slope of a
 *   local quadratic regression of the seed-averaged S̄ (deriv.h), not finite
 *   differences (those, and the grid peak, only on a line with fewer than
 *   DERIV_MIN_POINTS + 1 finite cells, where no bandwidth can be chosen);
 * - the accuracy ridge: the maximum of the smoothed seed-averaged accuracy (the best
 *   grid value on such a short line);
 * - ρ_χ = Spearman(accuracy, χ) and ρ_edge = Spearman(accuracy, −|χ_1 − 1|) over the
 *   slab's cells, and Δρ = ρ_χ − ρ_edge;
 * - the distance form: Spearman of accuracy with −|σ_w² − σ_w²*(σ_b²)| and with
 *   −|σ_w² − σ_c(σ_b²)|, and their difference;
 * - the mean ridge distances |ridge − Widom| and |ridge − σ_c| over σ_b².
 * Every estimate comes from the data; its interval from a seed bootstrap
 * (bootstrap.h) in which χ's smoothing is chosen again per replicate. */
#ifndef CRITSWEEP_CLAIM_H
#define CRITSWEEP_CLAIM_H

#include <stdint.h>

typedef struct {
    int B, S, n_seeds;        /* σ_b² values, σ_w² values, seeds */
    const double *sigma_b2;   /* (B) */
    const double *sigma_w2;   /* (S) ascending */
    const double *size;       /* (B, S, n_seeds) S̄ of each task; NaN where not done */
    const double *accuracy;   /* (B, S, n_seeds) test accuracy of each task */
    const double *chi1;       /* (B, S) mean-field χ_1 of each cell */
    const double *edge;       /* (B) edge-of-chaos σ_w² (mean field), NaN if none */
    uint64_t key;             /* bootstrap key: the sweep seed mixed with the slab */
    int replicates;           /* ≥ 1000 for a published interval */
    double level;             /* e.g. 0.95 */
} claim_input;

typedef struct {
    double est, lo, hi;
} claim_interval;

/* Verdicts: a predictor is named only when the interval of Δρ excludes 0. */
typedef enum { CLAIM_UNDECIDED = 0, CLAIM_SUSCEPTIBILITY = 1, CLAIM_EDGE = 2 } claim_verdict;

typedef struct {
    claim_interval *widom;     /* (B) σ_w²* per σ_b² */
    claim_interval *ridge;     /* (B) best-accuracy σ_w² per σ_b² */
    claim_interval *chi;       /* (B, S) χ of every cell (finite differences on a line too
                                * short for a bandwidth), its interval over the replicates */
    double *chi_max;           /* (B) χ at σ_w²* (of the data) */
    double *bandwidth;         /* (B) the half-width deriv_bandwidth chose for the data's
                                * S̄ line; NaN where it fell back to finite differences */
    claim_interval rho_chi, rho_edge, rho_diff;
    claim_interval rho_dist_widom, rho_dist_edge, rho_dist_diff;
    claim_interval ridge_dist_widom, ridge_dist_edge;
    claim_verdict verdict, verdict_dist;
} claim_result;

/* Fills r (allocating widom and ridge); 0 on success, -1 when out of memory. */
int claim_test(const claim_input *in, claim_result *r);
void claim_result_free(claim_result *r);
const char *claim_verdict_name(claim_verdict v);

#endif

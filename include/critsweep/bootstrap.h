/* bootstrap.h — the seed bootstrap behind the claim test's intervals (README §3).
 *
 * Seeds are the independent replicates of a sweep: every cell (activation, width,
 * σ_b², σ_w²) holds one value per seed, drawn from networks keyed by the cell's own
 * coordinates, so cells are independent and each cell's seeds are resampled on their
 * own.  Quantities of one task (its S̄ and its accuracy) are resampled together, with
 * the same seed draws, because they come from the same network.  Replicate r comes from
 * stream (key, CS_STREAM_CLAIM, r): intervals depend on the sweep seed only. */
#ifndef CRITSWEEP_BOOTSTRAP_H
#define CRITSWEEP_BOOTSTRAP_H

#include <stdint.h>

/* For nq quantities v[q] (n_cells × S, seed fastest): out[q][c] = the mean over S seed
 * draws with replacement (among the seeds where any quantity is finite) of the finite
 * values drawn, its deviation from the cell's mean widened by sqrt(m/(m−1)) with m the
 * quantity's finite seeds (the variance a plain resample loses); NaN when none. */
void boot_resample_means(const double *const *v, double *const *out, int nq, long n_cells,
                         int S, uint64_t key, long replicate);

/* Percentile interval [lo, hi] holding `level` (e.g. 0.95) of the finite replicates;
 * returns how many were finite (lo = hi = NaN when fewer than 2). */
long boot_interval(const double *reps, long n, double level, double *lo, double *hi);

/* Mean and standard error of the mean over the finite seeds of each of n_cells cells
 * (v: n_cells × n_seeds, seed fastest); NaN where none (se: fewer than two). */
void boot_cell_moments(const double *v, long n_cells, int n_seeds, double *mean, double *se);

#endif

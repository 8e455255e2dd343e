/* bootstrap.h — the seed bootstrap behind the claim test's intervals (README §3).
 *
 * Seeds are the independent replicates of a sweep: every cell (activation, width,
 * σ_b², σ_w²) holds one value per seed, drawn from networks keyed by the cell's own
 * coordinates, so cells are independent and each cell's seeds are resampled on their
 * own.  Replicate r of the whole grid comes from stream (key, CS_STREAM_CLAIM, r):
 * the intervals depend on the sweep seed only, not on ranks or order. */
#ifndef CRITSWEEP_BOOTSTRAP_H
#define CRITSWEEP_BOOTSTRAP_H

#include <stdint.h>

/* out[c] = mean of S draws with replacement from cell c's m finite values
 * v[c*S .. c*S+S-1], its deviation from the cell mean widened by sqrt(m/(m-1)) (the
 * variance a plain resample loses); NaN when the cell has none; replicate r of key. */
void boot_resample_means(const double *v, long n_cells, int S, uint64_t key, long replicate,
                         double *out);

/* Percentile interval [lo, hi] holding `level` (e.g. 0.95) of the finite replicates;
 * returns how many were finite (lo = hi = NaN when fewer than 2). */
long boot_interval(const double *reps, long n, double level, double *lo, double *hi);

#endif

/* refine.h — where an adaptive axis adds points next (python-adaptive's idea, a
 * Learner1D whose loss is the located line's uncertainty).
 *
 * A line located on a column (the Widom line or the accuracy ridge at one activation,
 * width and σ_b²) has bootstrap replicates of its location.  Its uncertainty is the
 * larger of the 95 % interval's half-width and half the grid gap at the replicates'
 * median: the bootstrap sees the seeds' noise but not the grid's resolution (on 11
 * points 0.1 apart it put a peak at 1.0233 ± 0.002; the truth was 1.0337).  Intervals
 * of the grid within one gap of the 95 % interval get the loss length × (1 + the share
 * of replicates inside), and the largest are split at their midpoints; intervals no
 * longer than 2 tol are not split again.  When the line is uncertain but no interval
 * is left to split, the noise is the seeds', and the plan asks for more seeds.  Decisions depend only on
 * the replicates, so they are the same on any number of ranks. */
#ifndef CRITSWEEP_REFINE_H
#define CRITSWEEP_REFINE_H

typedef enum {
    REFINE_DONE = 0,      /* the 95 % interval's half-width is within tol */
    REFINE_POINTS = 1,    /* new_x holds the points to add */
    REFINE_SEEDS = 2,     /* the grid is fine enough; more seeds narrow the interval */
    REFINE_UNLOCATED = 3  /* too few replicates located the line (it may lie outside) */
} refine_action;

/* x: the column's n sorted grid values; reps: n_reps replicate locations (NaN where a
 * replicate found none).  At most max_new points go to new_x (sorted, none already in
 * x); *n_new is set.  *half_width receives the uncertainty defined above. */
refine_action refine_column(const double *x, int n, const double *reps, int n_reps, double tol,
                            int max_new, double *new_x, int *n_new, double *half_width);

#endif

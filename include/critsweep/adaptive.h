/* adaptive.h — the next round of a growing sweep (README §3).
 *
 * After a round every task is finished; the plan reads the file and, for every line it
 * refines (the Widom line and/or the accuracy ridge of each activation, width, σ_b² and
 * slab of the optional axes), bootstraps the line's location over seeds and asks
 * refine_column (refine.h) where to add σ_w² points, or whether more seeds would help.
 * An adaptive σ_b² axis gets the midpoint of two neighbouring σ_b² values whose located
 * Widom lines differ by more than 2 tol.  New values of all lines are pooled (the axes
 * are shared), the most uncertain lines' first, within each axis' budget.  The plan
 * depends only on the file's finished rows and the sweep seed: any number of ranks, any
 * kills and resumes give the same rounds. */
#ifndef CRITSWEEP_ADAPTIVE_H
#define CRITSWEEP_ADAPTIVE_H

#include "critsweep/common.h"
#include "critsweep/config.h"

/* Bootstrap replicates per line when planning (the intervals `phase` reports use more). */
#define ADAPTIVE_REPLICATES 200
/* Most σ_w² points one line may ask for in one round. */
#define ADAPTIVE_MAX_NEW 4

/* How the axes may grow: s->adaptive for `run`, the command line's for `refine`. */
typedef struct {
    cs_adaptive sigma_w2, sigma_b2, seeds;
} adaptive_spec;

typedef struct {
    double *sigma_w2, *sigma_b2;  /* new values (sorted, none in the grid); malloc'd */
    int n_sigma_w2, n_sigma_b2, n_seeds;
    int lines, located, within_tol, want_seeds;
    double worst;                 /* largest uncertainty of a located line (NaN: none) */
    char worst_at[200];           /* which line */
    int budget_spent;             /* some axis could not grow for its budget */
} adaptive_plan;

/* The spec of a sweep's adaptive axes (axes not adaptive: on = 0). */
void adaptive_spec_of(const cs_sweep *s, adaptive_spec *out);
int adaptive_any(const adaptive_spec *sp);

/* Plans the next round for the file at path, whose grid is s's.  0 or an error. */
int adaptive_plan_round(const char *path, const cs_sweep *s, const adaptive_spec *sp,
                        adaptive_plan *p, cs_err *err);
void adaptive_plan_free(adaptive_plan *p);
/* 1 when the plan adds nothing (the sweep is finished growing). */
int adaptive_plan_empty(const adaptive_plan *p);
/* One line for people and the file's round log, e.g. "+5 sigma_w2, +0 seeds; worst
 * line ±0.012 (tanh N=64 sigma_b2=0, widom)". */
void adaptive_plan_describe(const adaptive_plan *p, char *out, size_t n);

/* A copy of s's grid with the plan's values merged in (sorted; seeds continue from the
 * largest).  The hash is not recomputed: it describes the sweep, not its points.
 * 0, or -1 when out of memory. */
int adaptive_grow_sweep(cs_sweep *s, const adaptive_plan *p);

#endif

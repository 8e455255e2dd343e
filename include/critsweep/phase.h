/* phase.h — derived tables of a results file (README §3, §5, §8): seed averages,
 * the susceptibilities χ and χ_b, the Widom line, the edge-of-chaos line, pooled
 * exponents and the claim test (does maximal χ predict learning better than the edge
 * of chaos?).  Figures are drawn by cli_phase.c through plot.h. */
#ifndef CRITSWEEP_PHASE_H
#define CRITSWEEP_PHASE_H

#include <stdint.h>

#include "critsweep/common.h"
#include "critsweep/store_read.h"

/* Returned instead of 0 when the file has no space reserved for the derived datasets
 * (a critsweep 0.1.0 file whose `phase` never wrote them): they are not written, since
 * creating datasets would change the file's metadata in place. */
#define PHASE_NOT_RESERVED 100

/* Computes the derived datasets (store.h) from a results file and writes them into it
 * (serial HDF5, the file must not be open elsewhere), the claim test with
 * PHASE_REPLICATES replicates.  0, PHASE_NOT_RESERVED or an error code. */
int phase_write_derived(const char *path, cs_err *err);

/* A results file opened read-only (file locking off, so it can be read while a run
 * writes): its axes and task status.  Cells are (activation, width, sigma_b2,
 * sigma_w2) row-major; tasks add the seed axis last. */
typedef struct {
    store_reader rd;        /* the open file (store_read.h); the arrays below are its */
    char *path;
    int n_act, n_width, n_sb2, n_sw2, n_seed;
    char **activation;      /* (n_act) names */
    int *width;             /* (n_width), a copy */
    double *sigma_b2;       /* (n_sb2) */
    double *sigma_w2;       /* (n_sw2) */
    int64_t *seed;          /* (n_seed) */
    int8_t *status;         /* (A, W, B, S, seed) */
    long n_cells, n_tasks;     /* of the selected slab */
    /* Slabs: one per combination of the optional axes' values (q0, ...), each with the
     * layout above; phase works on one at a time (phase_file_select_slab). */
    long slab, n_slabs;
    char slab_label[96];       /* "q0=0.001" ("" in a file without optional axes) */
    long n_done, n_pending, n_failed, n_diverged;
    long n_pending_cells;   /* cells with no completed seed */
    int replicates;         /* claim-test bootstrap replicates (PHASE_REPLICATES unless
                             * the caller sets another count after phase_file_open) */
} phase_file;

/* The claim test's default bootstrap replicates and its interval level. */
#define PHASE_REPLICATES 1000
#define PHASE_CLAIM_LEVEL 0.95

/* A task counts as completed (its avalanche data is a result) when its status is done
 * or diverged (a diverged training run is a result, not a failure). */
int phase_task_completed(int8_t status);

int phase_file_open(phase_file *pf, const char *path, cs_err *err);
/* Makes slab k (0 .. n_slabs - 1) the one every call below reads and writes. */
void phase_file_select_slab(phase_file *pf, long k);
void phase_file_free(phase_file *pf);
/* Index of an activation name / width value in the file's axes, -1 if absent. */
int phase_find_activation(const phase_file *pf, const char *name);
int phase_find_width(const phase_file *pf, long width);
/* 1 if a dataset of that name exists in the file. */
int phase_has_dataset(const phase_file *pf, const char *name);

/* Per-task values of a quantity: any per-task dataset (converted to double), or the
 * computed `crackling` = gamma − gamma_pred.  vals: (n_tasks). */
int phase_task_values(const phase_file *pf, const char *name, double *vals, cs_err *err);
/* Mean and sample standard deviation (ddof 1) over the completed seeds of each cell,
 * NaN values ignored; NaN where no value (std: fewer than two).  Either output may be
 * NULL; count (n_cells) receives the number of values used, may be NULL. */
void phase_seed_reduce(const phase_file *pf, const double *vals, double *mean,
                       double *std, int *count);
/* Reads a dataset whose shape has exactly n elements (e.g. a derived one) as double. */
int phase_read_doubles(const phase_file *pf, const char *name, double *out, long n,
                       cs_err *err);

typedef struct phase_derived {
    /* (A, W, B, S) */
    double *S_mean_seedavg, *S_mean_seedstd, *chi, *chi_fd, *chi_b;
    double *tau_s_pooled, *tau_s_pooled_err, *tau_d_pooled, *tau_d_pooled_err;
    double *gamma_pooled, *gamma_pooled_err;
    double *accuracy_seedavg, *chi1_seedavg;   /* inputs of the claim test */
    double *accuracy_seedstd;                  /* for the figures' seed bands */
    double *chi_lo, *chi_hi;                   /* χ's bootstrap interval (figures only) */
    /* (A, W, B) */
    double *widom_sigma_w2, *widom_sigma_w2_lo, *widom_sigma_w2_hi, *chi_max, *chi_bandwidth;
    double *accuracy_ridge_sigma_w2, *accuracy_ridge_sigma_w2_lo, *accuracy_ridge_sigma_w2_hi;
    /* (A, B) */
    double *edge_sigma_w2;
    /* (A, W): the claim test (claim.h), each estimate with its interval */
    double *spearman_acc_chi, *spearman_acc_chi_lo, *spearman_acc_chi_hi;
    double *spearman_acc_edge, *spearman_acc_edge_lo, *spearman_acc_edge_hi;
    double *rho_diff, *rho_diff_lo, *rho_diff_hi;
    double *rho_dist_widom, *rho_dist_widom_lo, *rho_dist_widom_hi;
    double *rho_dist_edge, *rho_dist_edge_lo, *rho_dist_edge_hi;
    double *rho_dist_diff, *rho_dist_diff_lo, *rho_dist_diff_hi;
    double *ridge_dist_widom, *ridge_dist_widom_lo, *ridge_dist_widom_hi;
    double *ridge_dist_edge, *ridge_dist_edge_lo, *ridge_dist_edge_hi;
    int *claim_verdict, *claim_verdict_dist;   /* claim_verdict (claim.h) */
    int *n_acc_chi, *n_acc_edge, *n_ridge_widom, *n_ridge_edge; /* pairs used */
    char *pooled_note;      /* (A, W, B, S) × CS_FIT_NOTE_LEN: why pooled exponents are
                             * NaN (fit.h), "" if none is; not written to the file */
    int has_pooled;         /* the file holds the sufficient statistics */
    int has_accuracy;       /* some test accuracy is finite */
} phase_derived;

int phase_derived_compute(const phase_file *pf, phase_derived *d, cs_err *err);
void phase_derived_free(phase_derived *d);
/* Writes d into pf's file: closes pf's read-only handle, opens the file read-write,
 * writes the values into the derived datasets reserved at creation (data only), and
 * reopens pf read-only.  PHASE_NOT_RESERVED (nothing written) for a file without them;
 * an error (task rows untouched) if the file is read-only or the write fails. */
int phase_derived_write(phase_file *pf, const phase_derived *d, cs_err *err);
/* 1 if a run holds the file's writer lock (it is writing the file). */
int phase_file_run_active(const phase_file *pf);

/* --- Numerics, exposed for tests. */
/* numpy.gradient(f, x) for one line of n >= 2 points (f and out strided):
 * second-order central differences inside, first-order one-sided at the ends,
 * non-uniform spacing; numpy's uniform-spacing branch when all steps are equal. */
void phase_gradient(const double *f, long fstride, const double *x, int n, double *out,
                    long ostride);
/* Location of the maximum of y over x (NaN ignored), refined by the parabola through
 * the maximum and its two neighbours (the edge value at an edge or next to a NaN).
 * *ymax receives the largest y on the grid.  NaN if no finite y. */
double phase_peak(const double *x, const double *y, long ystride, int n, double *ymax);
/* Spearman rank correlation of the pairs with both values finite (ties get average
 * ranks, as scipy.stats.spearmanr); NaN if fewer than 3 pairs or a constant input.
 * *used (may be NULL) receives the number of pairs. */
double phase_spearman(const double *x, const double *y, int n, int *used);

#endif

/* task.h — one grid point → one cs_result: avalanches (§2), exponents (§4), mean field
 * (§5), criticality measures (§7) and learning (§6).  `critsweep point` runs the
 * avalanche part alone; the runner runs the whole task. */
#ifndef CRITSWEEP_TASK_H
#define CRITSWEEP_TASK_H

#include "critsweep/avalanche.h"
#include "critsweep/common.h"
#include "critsweep/config.h"
#include "critsweep/data.h"
#include "critsweep/fit.h"
#include "critsweep/quantity.h"
#include "critsweep/train.h"

/* Task status, stored as int8 in the results file. */
enum { CS_STATUS_PENDING = 0, CS_STATUS_DONE = 1, CS_STATUS_FAILED = 2, CS_STATUS_DIVERGED = 3 };

/* Size histogram: log10-spaced bins from 10^CS_SIZE_LOG10_MIN to 10^CS_SIZE_LOG10_MAX;
 * the first bin also counts everything below, the last everything above. */
#define CS_SIZE_BINS 80
#define CS_SIZE_LOG10_MIN (-3.0)
#define CS_SIZE_LOG10_MAX 7.0
/* Mean shape profiles are resampled to this many points of l/D. */
#define CS_PROFILE_POINTS 50
#define CS_REASON_LEN 160
/* The trained MLP's criticality is measured on this many test images (README §7), and a
 * hidden unit is inactive when φ′ < TASK_FLAT_SLOPE on at least TASK_FLAT_SHARE of them. */
#define TASK_TRAINED_IMAGES 1000
#define TASK_FLAT_SLOPE 0.01
#define TASK_FLAT_SHARE 0.99

/* The scalar quantities that cs_result holds under their own names (quantity.h). */
#define CS_RESULT_MEMBER(name, src, ...) CS_RESULT_MEMBER_##src(name)
#define CS_RESULT_MEMBER_D(name) double name;
#define CS_RESULT_MEMBER_L(name) long name;
#define CS_RESULT_MEMBER_I(name) int name;
#define CS_RESULT_MEMBER_T(name) char name[CS_FIT_NOTE_LEN];
#define CS_RESULT_HELD(...) /* declared below */

struct cs_result {
    int status;                 /* CS_STATUS_* */
    char reason[CS_REASON_LEN]; /* why it failed, "" otherwise */

    /* Every scalar of quantity.h: avalanches, exponents, mean field, learning, the wall
     * time, and fit_note (why exponents are NaN, fit.h). */
    CS_QUANTITIES(CS_RESULT_MEMBER, CS_RESULT_HELD)

    int epochs;                        /* length of the two arrays */
    double *test_accuracy_per_epoch;   /* (epochs) */
    double *train_loss_per_epoch;      /* (epochs) */

    double S_hist[CS_SIZE_BINS];       /* counts of recorded S per log bin */
    fit_suffstats stats;               /* per-duration counts and pooling sums (dmax = L_max) */
    int n_profile_d;                   /* shape_dmax - shape_dmin - 1 */
    double *profile;                   /* (n_profile_d, CS_PROFILE_POINTS) mean V over l/D,
                                          NaN where fewer than shape_min_count avalanches */
    double *profile_count;             /* (n_profile_d) avalanches per duration */
    int n_q;                           /* dynrange.n_q: the response's length */
    double *dynrange_response;         /* (n_q) R(q) of the dynamic range, NaN when off */
};

/* Allocates the arrays for a sweep's shapes (depth, shape window, epochs, the dynamic
 * range's n_q); all scalars NaN. */
int task_result_init(cs_result *r, int depth, int n_profile_d, int epochs, int n_q);
void task_result_free(cs_result *r);

/* Avalanche half: runs avalanche_run with ap, fits with fo, fills the avalanche,
 * exponent, histogram, profile and mean-field fields of r. */
int task_avalanche_part(const avalanche_params *ap, const fit_options *fo, cs_result *r,
                        cs_err *err);
/* The analysis of task_avalanche_part on an avalanche_run result the caller already has
 * (`critsweep point` keeps the raw records).  ps/pd, when not NULL, receive the τ_s and
 * τ_d fits in full (KS distance, bootstrap p-value). */
int task_avalanche_fill(const avalanche_params *ap, const fit_options *fo,
                        const avalanche_result *ar, cs_result *r, fit_powerlaw *ps,
                        fit_powerlaw *pd, cs_err *err);
/* The dynamic range of the task's networks (dynrange.h) with the sweep's dynrange:
 * settings: dynamic_range, dynrange_note, dynrange_response.  Nothing when it is off. */
int task_dynrange_part(const cs_dynrange *d, const avalanche_params *ap, cs_result *r,
                       cs_err *err);
/* Learning half: fills the training fields (status DIVERGED if the loss blew up) and,
 * after training, the criticality of the trained MLP on the first TASK_TRAINED_IMAGES
 * test images driven with strength q0 (trained_crit.h). */
int task_train_part(const train_params *tp, const data_bundle *data, double q0, cs_result *r,
                    cs_err *err);
/* Whole task `task` of sweep s (data may be NULL when training is disabled).  A task that
 * fails records status FAILED and the reason in r and returns 0; a nonzero return means
 * the process cannot go on. */
int task_run(const cs_sweep *s, long task, const data_bundle *data, cs_result *r,
             cs_err *err);

#endif

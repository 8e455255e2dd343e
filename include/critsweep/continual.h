/* continual.h — deep continual learning on permuted tasks (Vock & Meisel's third
 * claim; Dohare et al., Nature 2024: plasticity is lost over a long task sequence under
 * plain SGD).  README §7.
 *
 * Task t (0-based) is the data set with its pixels permuted by a fixed permutation
 * drawn from stream (key, CS_STREAM_CONTINUAL, t << 20 | 0xFFFFF); the same network is
 * trained on task 0, then 1, …, for epochs_per_task epochs each, without any reset
 * (optimizer state included), the data reshuffled every epoch from (t << 20 | epoch).
 * After each task it records:
 * - new_task_accuracy[t]: test accuracy on task t (plasticity);
 * - old_task_accuracy[t]: mean test accuracy over tasks 0..t−1 (forgetting; NaN at 0);
 * - branching[t], lyapunov[t]: the network's m and λ_0 (trained_crit.h) on task t's
 *   test images;
 * - inactive_fraction[t]: the share of hidden units that are saturated or dead, i.e.
 *   whose slope φ′ is below CONTINUAL_FLAT_SLOPE on at least CONTINUAL_FLAT_SHARE of
 *   task t's test images (a unit that no longer passes gradients). */
#ifndef CRITSWEEP_CONTINUAL_H
#define CRITSWEEP_CONTINUAL_H

#include "critsweep/common.h"
#include "critsweep/data.h"
#include "critsweep/train.h"

#define CONTINUAL_FLAT_SLOPE 0.01
#define CONTINUAL_FLAT_SHARE 0.99

typedef struct {
    int tasks;            /* T ≥ 1 */
    int epochs_per_task;  /* E ≥ 1 */
    int permute;          /* 1: permuted pixels per task; 0: the same task T times */
    long eval_count;      /* test images per evaluation (0: all) */
} continual_params;

typedef struct {
    int tasks;
    double *new_task_accuracy, *old_task_accuracy; /* (tasks) */
    double *branching, *lyapunov, *inactive_fraction; /* (tasks) */
    int diverged_task;    /* 1-based task whose loss blew up, 0 if none */
} continual_result;

/* Runs the sequence for the initialisation p (its key, widths, optimizer, lr, batch);
 * q0 is the drive of the branching measurement.  0, or a CS_EXIT_* code. */
int continual_run(const train_params *p, const continual_params *cp, const data_bundle *data,
                  double q0, continual_result *r, cs_err *err);
void continual_result_free(continual_result *r);

#endif

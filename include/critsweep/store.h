/* store.h — the results file (DESIGN.md "The results file"): one HDF5 file per sweep,
 * created serially by rank 0, then opened by every rank with the MPI-IO driver to write
 * its own task rows.
 *
 * SCHEMA (contract with `phase`, `status`, `export` and users; readable by h5py,
 * xarray and ncdump):
 *
 *   Coordinates (dimension scales, 1-D, same name as the dimension):
 *     activation  (n_act)    variable-length UTF-8 strings ("tanh", "relu", ...)
 *     width       (n_width)  int32
 *     sigma_b2    (n_sb2)    float64
 *     sigma_w2    (n_sw2)    float64
 *     seed        (n_seed)   int64
 *     epoch       (epochs)   int32   1..epochs
 *     duration    (L_max)    int32   0..L_max-1
 *     size_bin    (CS_SIZE_BINS) float64 geometric bin centres; attr `edges` (bins+1)
 *     shape_duration (n_profile_d) int32 shape_dmin+1 .. shape_dmax-1
 *     profile_x   (CS_PROFILE_POINTS) float64  l/D in [0, 1]
 *
 *   Per-task datasets, dims (activation, width, sigma_b2, sigma_w2, seed[, trailing]),
 *   every one with attributes units, long_name, description; fill NaN (floats) or -1:
 *     float64: tau_s tau_s_err tau_d tau_d_err xmin_s xmin_d gamma gamma_err gamma_pred
 *              gamma_shape gamma_shape_err S_mean S_mean_absorbed D_mean P_surv
 *              branching lyapunov avalanches_per_s q_star chi1 xi_c test_accuracy
 *              train_loss samples_per_s seconds n_tail_s sum_log_s
 *     int64:   n_inputs n_recorded n_survived diverged_epoch
 *     int8:    status (0 pending, 1 done, 2 failed, 3 diverged; fill 0)
 *     int32:   attempts (fill 0)
 *     failure_reason: fixed CS_REASON_LEN-byte NUL-padded strings
 *     (…, epoch):    test_accuracy_per_epoch train_loss_per_epoch
 *     (…, size_bin): S_hist
 *     (…, duration): D_count gcount gsum_S gsum_log10S gsum_log10S2  (fit_suffstats)
 *     (…, shape_duration, profile_x): profile
 *     (…, shape_duration): profile_count
 *
 *   Derived, written when the sweep completes (and by `critsweep phase`):
 *     (activation, width, sigma_b2, sigma_w2): S_mean_seedavg S_mean_seedstd chi chi_b
 *              tau_s_pooled tau_s_pooled_err tau_d_pooled tau_d_pooled_err
 *              gamma_pooled gamma_pooled_err
 *     (activation, width, sigma_b2): widom_sigma_w2 chi_max
 *     (activation, sigma_b2): edge_sigma_w2
 *
 *   Root attributes: critsweep_version, sweep_yaml, sweep_hash (16 hex), sweep_name,
 *     created (ISO 8601 UTC), L_max, q0, convention, mode, and a `runs` table: compound
 *     dataset, unlimited, one row per run: start, end (ISO strings), ranks, tasks_done,
 *     slurm_job_id, exit_state.
 *
 * The task index (grid.h) is the linear offset of the task's element in every per-task
 * dataset.  A task's status is written only after all its data. */
#ifndef CRITSWEEP_STORE_H
#define CRITSWEEP_STORE_H

#include "critsweep/common.h"
#include "critsweep/config.h"
#include "critsweep/task.h"

#endif

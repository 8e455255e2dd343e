/* store.h — the results file (README, "The results file"): one HDF5 file per sweep,
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
 *              train_loss samples_per_s seconds n_tail_s sum_log_s S_tail_min
 *              S_tail_max
 *     int64:   n_inputs n_recorded n_survived n_exploded diverged_epoch
 *     int8:    status (0 pending, 1 done, 2 failed, 3 diverged; fill 0)
 *     int32:   attempts (fill 0)
 *     char:    failure_reason fit_note  (CS_REASON_LEN bytes over reason_char, below)
 *     (fit_note: why exponents are NaN by fit.h's degeneracy rule, "" if none is)
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

#include <hdf5.h>
#include <mpi.h>
#include <stdint.h>

#include "critsweep/common.h"
#include "critsweep/config.h"
#include "critsweep/task.h"

/* Additions to the schema above (store owns them; readers may rely on them):
 *   - failure_reason and fit_note are stored as netCDF "char" data: int8-sized H5T_C_S1
 *     elements over (activation, width, sigma_b2, sigma_w2, seed, reason_char),
 *     reason_char = CS_REASON_LEN, NUL-padded, attribute _Encoding "utf-8".  netCDF-C crashes on
 *     fixed-length HDF5 strings longer than one byte, and parallel HDF5 cannot write
 *     variable-length ones; xarray decodes this layout back into one string per task.
 *     `reason_char` is a netCDF dimension without a coordinate variable.
 *   - `runs` has a dimension scale `run` (int32 row numbers, unlimited) so h5netcdf
 *     accepts the file; its string fields are fixed-length (CS_RUN_STR bytes, NUL
 *     padded) so that finishing a row is a raw overwrite.  netCDF-C skips compound
 *     datasets (ncdump does not list `runs`); h5py and h5netcdf read it.
 *   - Root attributes n_tasks (int64) and max_attempts (int32).
 *   - Per-task datasets use contiguous layout, space allocated at creation, so writing a
 *     row never changes HDF5 metadata: a process killed mid-run leaves a valid file. */

#define CS_RUN_STR 32

/* One row of the runs table. */
typedef struct {
    char start[CS_RUN_STR];        /* ISO 8601 UTC */
    char end[CS_RUN_STR];          /* "" while running (or if the run was killed) */
    int32_t ranks;
    int64_t tasks_done;            /* tasks this run completed (done or diverged) */
    char slurm_job_id[CS_RUN_STR]; /* $SLURM_JOB_ID, "" outside SLURM */
    char exit_state[CS_RUN_STR];   /* running, complete, interrupted, error */
} store_run;

/* Per-task quantities as stored; `export` and `status` walk this table. */
typedef enum { STORE_F64, STORE_I64, STORE_I32, STORE_I8, STORE_CHAR } store_type;
typedef enum {
    STORE_TR_NONE = 0,   /* scalar per task */
    STORE_TR_EPOCH,      /* (…, epoch) */
    STORE_TR_SIZE_BIN,   /* (…, size_bin) */
    STORE_TR_DURATION,   /* (…, duration) */
    STORE_TR_SHAPE_D,    /* (…, shape_duration) */
    STORE_TR_PROFILE,    /* (…, shape_duration, profile_x) */
    STORE_TR_CHAR,       /* (…, reason_char): STORE_CHAR text, one string per task */
} store_trailing;

typedef struct {
    const char *name;
    store_type type;
    store_trailing trailing;
    const char *units, *long_name, *description;
    int timing;          /* 1 = depends on the machine (excluded from determinism checks) */
} store_field;

/* The per-task datasets except status, attempts and failure_reason (fit_note is the one
 * STORE_CHAR field); returns the count. */
int store_fields(const store_field **out);

/* Current UTC time as ISO 8601 ("2026-01-02T03:04:05Z"). */
void store_now_iso(char out[CS_RUN_STR]);

/* --- Serial operations (rank 0, nobody else has the file open). */

/* Creates path for sweep s: written under "<path>.partial-create" and renamed into place,
 * so a crash never leaves a half-made file under the real name.  first_run (may be
 * NULL) becomes row 0 of the runs table.  Refuses to replace an existing path.
 * Errors: CS_EXIT_USAGE naming the path (unwritable directory, ...). */
int store_create(const char *path, const cs_sweep *s, const store_run *first_run,
                 cs_err *err);
/* Checks that an existing path is a critsweep results file of this very sweep (same
 * hash and grid).  CS_EXIT_USAGE with a message naming the path and both hashes. */
int store_check(const char *path, const cs_sweep *s, cs_err *err);
/* Reads status and attempts of all n_tasks tasks (either may be NULL). */
int store_read_progress(const char *path, long n_tasks, int8_t *status, int32_t *attempts,
                        cs_err *err);
/* Appends a row to the runs table; *row receives its index. */
int store_runs_append(const char *path, const store_run *run, long *row, cs_err *err);
/* Overwrites row `row` (in place: fixed-size fields, no metadata change). */
int store_runs_update(const char *path, long row, const store_run *run, cs_err *err);

/* --- Reading (status, export): read-only, file locking off so it works while a run
 * writes. */
hid_t store_open_read(const char *path, cs_err *err);
/* A string attribute of object obj (fixed or variable length) as a malloc'd string;
 * NULL if absent. */
char *store_read_string_attr(hid_t obj, const char *name);
/* Every row of the runs table (malloc'd *rows, *n). */
int store_read_runs(hid_t file, store_run **rows, long *n, cs_err *err);

/* --- Parallel (or single-process) writing of task rows. */
typedef struct {
    hid_t file;
    int n_fields;
    hid_t *dset;         /* (n_fields) per store_fields() */
    hid_t *space;        /* (n_fields) file dataspaces, reused for every selection */
    hid_t status, attempts, reason;
    hid_t status_space, attempts_space, reason_space;
    int epochs, depth, n_profile_d;   /* trailing lengths in the file */
    const cs_sweep *sweep;
    char *path;
} store_writer;

void store_writer_init(store_writer *w);
/* Opens path for writing rows.  comm != MPI_COMM_NULL: collective over comm with the
 * MPI-IO driver (independent transfers); MPI_COMM_NULL: one process, POSIX driver.
 * Data sieving is off so every row goes to the file in the order it is written. */
int store_writer_open(store_writer *w, const char *path, const cs_sweep *s, MPI_Comm comm,
                      cs_err *err);
/* Records that `task` starts its attempts-th attempt. */
int store_write_attempts(store_writer *w, long task, int attempts, cs_err *err);
/* Writes every dataset of task's row from r, then failure_reason, then status (last). */
int store_write_result(store_writer *w, long task, const cs_result *r, cs_err *err);
/* Closes (collective in MPI mode). */
int store_writer_close(store_writer *w, cs_err *err);

#endif

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
 *     the quantities of quantity.h, in its order (CS_QUANTITIES: name, type, trailing
 *     axes, units, long_name, description; `critsweep point --quantities-json` prints
 *     the table), then
 *     int8:    status (0 pending, 1 done, 2 failed, 3 diverged; fill 0)
 *     int32:   attempts (fill 0)
 *     uint32:  checksum (fill 0)
 *              (the row's zlib crc32, see store_row_crc_begin; written just before
 *              status; files of critsweep 0.1.0 have none)
 *     char:    failure_reason  (CS_REASON_LEN bytes over reason_char, below)
 *
 *   Derived, allocated (NaN / -1) at creation, filled when the sweep completes and by
 *   `critsweep phase` (store_derived_fields lists them):
 *     (activation, width, sigma_b2, sigma_w2): S_mean_seedavg S_mean_seedstd chi chi_b
 *              tau_s_pooled tau_s_pooled_err tau_d_pooled tau_d_pooled_err
 *              gamma_pooled gamma_pooled_err
 *     (activation, width, sigma_b2): widom_sigma_w2 chi_max accuracy_ridge_sigma_w2
 *     (activation, sigma_b2): edge_sigma_w2
 *     (activation, width): spearman_acc_chi spearman_acc_edge ridge_dist_widom
 *              ridge_dist_edge n_spearman_acc_chi n_spearman_acc_edge (int32)
 *   and, added after release 0.2.0 (absent from its files): chi_fd (4-D); chi_bandwidth,
 *     widom_sigma_w2_lo/_hi, accuracy_ridge_sigma_w2_lo/_hi (3-D); spearman_acc_chi_lo/_hi,
 *     spearman_acc_edge_lo/_hi, rho_diff(_lo/_hi), rho_dist_widom(_lo/_hi),
 *     rho_dist_edge(_lo/_hi), rho_dist_diff(_lo/_hi), ridge_dist_widom_lo/_hi,
 *     ridge_dist_edge_lo/_hi, claim_verdict and claim_verdict_dist (int32) (2-D)
 *
 *   Root attributes: critsweep_version, sweep_yaml, sweep_hash (16 hex), sweep_name,
 *     created (ISO 8601 UTC), L_max, q0, convention, mode, schema_crc32 (crc32 of the
 *     hash, name, YAML text and every task coordinate: damage there is detected), and a
 *     `runs` table: compound dataset of CS_RUNS_MAX rows allocated at creation, one per
 *     run, unused rows with an empty start: start, end (ISO strings), ranks,
 *     tasks_done, slurm_job_id, exit_state.
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
#include "critsweep/store_read.h"
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
    STORE_TR_DYNRANGE_Q, /* (…, dynrange_q): the dynamic range's drive strengths */
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

/* The derived datasets (README, "The results file"): created with their space, fill
 * values, attributes and dimension scales when the file is created, so that writing
 * them later (phase.c) changes data only, never the file's metadata. */
typedef struct {
    const char *name;
    int rank;                  /* 2..4 */
    const char *dims[4];       /* task-axis coordinate names */
    int is_int;                /* int32 counts (fill -1) instead of float64 (fill NaN) */
    const char *units, *long_name, *description;
    int added;                 /* added after release 0.2.0: a file of 0.2.x lacks it, which is no damage
                                * (the validator accepts, phase skips it there) */
} store_derived_field;
int store_derived_fields(const store_derived_field **out);
/* Writes the derived values d (phase.h) of one slab of the optional axes (n_lead indices
 * lead, store_reader_slab_index; none without them) into the datasets reserved for them (data only:
 * no dataset, attribute or other metadata changes, so a full disk or a kill here cannot
 * touch the task rows); the pooled exponents only if d->has_pooled.  Serial; nobody
 * else may have the file open. */
struct phase_derived;
int store_write_derived(const char *path, int n_lead, const unsigned long long *lead,
                        const struct phase_derived *d, cs_err *err);

/* --- Integrity of an existing file: store_integrity and store_validate are in
 * store_read.h. */
/* The row checksum: crc32 over the task index (int64), then every per-task dataset's
 * row in store_fields() order (float64 or int64 values, whole rows), failure_reason's
 * CS_REASON_LEN bytes, and the status byte. */
uint32_t store_row_crc_begin(long task);
uint32_t store_row_crc_add(uint32_t crc, const void *bytes, size_t n);
/* "task 5 (tanh, N=16, sigma_b2=0, sigma_w2=1.2, seed 1)" for messages. */
void store_task_label(const cs_sweep *s, long task, char *buf, size_t n);

/* --- The writer's lock: an open-file-description lock on one byte far past the data,
 * held by rank 0 of the run writing the file.  Readers are never blocked. */
/* Takes the lock on path (fd_out receives the descriptor to keep open; -1 with only a
 * warning on file systems without locks).  CS_EXIT_USAGE if another run holds it. */
int store_lock(const char *path, int *fd_out, cs_err *err);
/* 1 if another process holds the writer's lock on path, 0 if not (or unknown). */
int store_lock_held(const char *path);

/* --- Serial operations (rank 0, nobody else has the file open). */

/* Creates path for sweep s.  A child process writes it under a name of its own
 * ("<path>.partial-create.<pid>"): HDF5 can crash when it exits after a failed write
 * (a full disk), and the child takes that with it.  The parent then takes the writer's
 * lock on the new file and links it into place, which fails if the path appeared
 * meanwhile: of two runs creating one file exactly one wins, and the other gets
 * CS_EXIT_USAGE "another critsweep run is creating/writing this file".  first_run (may
 * be NULL) becomes row 0 of the runs table.  *lock_fd (may be NULL: no lock) receives
 * the lock.  Never replaces an existing path.  Errors: CS_EXIT_USAGE (unwritable
 * directory, ...), CS_EXIT_ERROR (disk full: nothing is left behind). */
int store_create(const char *path, const cs_sweep *s, const store_run *first_run,
                 int *lock_fd, cs_err *err);
/* Checks that an existing path is a critsweep results file of this very sweep (same
 * hash and grid).  CS_EXIT_USAGE with a message naming the path and both hashes. */
int store_check(const char *path, const cs_sweep *s, cs_err *err);
/* Reads status and attempts of all n_tasks tasks (either may be NULL). */
int store_read_progress(const char *path, long n_tasks, int8_t *status, int32_t *attempts,
                        cs_err *err);
/* Appends a row to the runs table; *row receives its index, or -1 when all CS_RUNS_MAX
 * rows are taken (the run goes on unrecorded; nothing is written). */
int store_runs_append(const char *path, const store_run *run, long *row, cs_err *err);
/* Overwrites row `row` (in place: fixed-size fields, no metadata change). */
int store_runs_update(const char *path, long row, const store_run *run, cs_err *err);

/* --- Growing a file (store_grow.c): the pieces of store_create it reuses. */
/* "<path>.partial-create.<host>.<pid>" (stale ones of this host removed); malloc'd. */
char *store_temporary_name(const char *path);
/* Creates a fresh file for s at tmp, in a child process, with an empty runs table. */
int store_create_temporary(const char *tmp, const cs_sweep *s, cs_err *err);
/* Computes every row's checksum from the file's contents and writes them (after rows
 * moved to other task indices: the checksum covers the index). */
int store_rewrite_checksums(const char *path, long n_tasks, cs_err *err);

/* Rewrites path (locked by the caller: *lock_fd) for the grown sweep `to`, whose every
 * axis holds the values of `from`'s: each row moves to the task of its coordinate
 * values, checksums are recomputed, the runs table is copied, `log` (one line for this
 * round) is appended to the file's round log, then the new file is renamed into place
 * under a lock of its own, which replaces *lock_fd.  The free space is checked first;
 * a kill or a failure at any moment leaves the old file as it was.  grown_axes names
 * the axes refine grew on a plain grid ("" for an adaptive sweep). */
int store_grow(const char *path, const cs_sweep *from, const cs_sweep *to, const char *log,
               const char *grown_axes, int *lock_fd, cs_err *err);
/* The grown file's axes, read back into s (adopting what rounds added): for an axis
 * adaptive in s, or named in the file's grown_axes, the file's values replace s's when
 * they include them.  Sets *grown when any did.  0, or CS_EXIT_USAGE when the file's
 * values are not a growth of s's grid (another sweep). */
int store_adopt_grown_axes(const char *path, cs_sweep *s, int *grown, cs_err *err);

/* --- Reading for `run` (resume) and store_check: read-only, file locking off so it
 * works while a run writes.  `phase`, `status` and `export` read through store_read.h. */
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
    hid_t status, attempts, reason, checksum;   /* checksum: -1 in a 0.1.0 file */
    hid_t status_space, attempts_space, reason_space, checksum_space;
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
/* Writes every dataset of task's row from r, then failure_reason, then the row's
 * checksum, then status (last). */
int store_write_result(store_writer *w, long task, const cs_result *r, cs_err *err);
/* Closes (collective in MPI mode). */
int store_writer_close(store_writer *w, cs_err *err);

#endif

/* store_read.h — reading a results file (schema in store.h), serially and without
 * locking, so `phase`, `status` and `export` work while a run is writing.  No MPI here:
 * readers need neither mpi.h nor hdf5.h (which includes mpi.h in a parallel build). */
#ifndef CRITSWEEP_STORE_READ_H
#define CRITSWEEP_STORE_READ_H

#include <stdint.h>

#include "critsweep/common.h"

#define CS_RUN_STR 32
/* Rows of the runs table, all allocated at creation (a run writes into its row, never
 * grows the table).  Files of critsweep 0.1.0 have an extensible table instead. */
#define CS_RUNS_MAX 1024

/* One row of the runs table. */
typedef struct {
    char start[CS_RUN_STR];        /* ISO 8601 UTC */
    char end[CS_RUN_STR];          /* "" while running (or if the run was killed) */
    int32_t ranks;
    int64_t tasks_done;            /* tasks this run completed (done or diverged) */
    char slurm_job_id[CS_RUN_STR]; /* $SLURM_JOB_ID, "" outside SLURM */
    char exit_state[CS_RUN_STR];   /* running, complete, interrupted, error */
} store_run;

/* --- Integrity of an existing file. */
typedef struct {
    long n_tasks;
    int has_checksums;         /* 0: a critsweep 0.1.0 file; its rows are unverified */
    int rows_verified;         /* the checksums were checked (store_validate's verify) */
    long n_bad_status;         /* status bytes outside 0..3 */
    long n_bad_checksum;       /* finished rows whose checksum does not match */
    unsigned char *damaged;    /* (n_tasks) 1 = that row is damaged; NULL if none is */
} store_integrity;
void store_integrity_free(store_integrity *g);
/* Checks that path is a whole critsweep results file: every coordinate, per-task and
 * derived dataset present with its shape, type and space inside the file, the root
 * attributes and coordinates matching their checksum (files since 0.2.0), the runs
 * table readable; all under a deadline (cs_watchdog_arm), because HDF5 can spin
 * forever inside damaged metadata.  Damage there fails with CS_EXIT_USAGE: "PATH is
 * damaged: ...; nothing was changed".  Then the status bytes are range-checked, and
 * with verify_rows every finished row's checksum is recomputed.  Damaged rows are not
 * an error: g->damaged names them (g may be NULL when the caller only wants the
 * structural check). */
int store_validate(const char *path, int verify_rows, store_integrity *g, cs_err *err);

/* The task axes, in the order of every per-task dataset's leading dimensions. */
enum { STORE_AX_ACTIVATION, STORE_AX_WIDTH, STORE_AX_SIGMA_B2, STORE_AX_SIGMA_W2,
       STORE_AX_SEED, STORE_N_AXES };
extern const char *const store_axis_names[STORE_N_AXES];
#define STORE_MAX_OUTER 4

/* A results file open for reading: its coordinates, task status and attempts, and what
 * store_validate found.  Tasks are row-major over the axes, the seed fastest. */
typedef struct {
    char *path;
    int64_t fid;               /* hid_t of the open file (read-only); <= 0 when closed */
    int n[STORE_N_AXES];       /* axis lengths */
    char **activation;         /* (n[0]) names */
    int32_t *width;            /* (n[1]) */
    double *sigma_b2;          /* (n[2]) */
    double *sigma_w2;          /* (n[3]) */
    int64_t *seed;             /* (n[4]) */
    /* Optional axes (axis.h) the file has as dimensions, outermost, in dimension order:
     * their coordinate names and values; none in a sweep without them.  The tasks of
     * one combination of their values (a slab, slab_tasks of them) have the layout of
     * a file without them. */
    int n_outer;
    const char *outer_name[STORE_MAX_OUTER];
    int outer_n[STORE_MAX_OUTER];
    double *outer[STORE_MAX_OUTER];
    long n_slabs, slab_tasks;
    long n_tasks;
    int8_t *status;            /* (n_tasks) */
    int32_t *attempts;         /* (n_tasks) */
    store_integrity integ;     /* damaged rows (status range; checksums if verified) */
} store_reader;

/* Validates path (store_validate, verify_rows as given; its errors are returned as
 * they are), opens it read-only without locking and reads the coordinates, status and
 * attempts.  Damaged rows are not an error here: r->integ names them. */
int store_reader_open(store_reader *r, const char *path, int verify_rows, cs_err *err);
void store_reader_close(store_reader *r);
/* Closes the file handle only (so the file can be opened for writing), and reopens it. */
void store_reader_suspend(store_reader *r);
int store_reader_resume(store_reader *r, cs_err *err);

/* A task counts as completed (its avalanche data is a result) when its status is done
 * or diverged (a diverged training run is a result, not a failure). */
int store_task_completed(int8_t status);

/* Index of task t along core axis a, and the axis value as text ("tanh", "64", "1.5"). */
int store_reader_axis_index(const store_reader *r, long t, int a);
void store_reader_axis_label(const store_reader *r, int a, int i, char *buf, size_t n);
/* Every dimension of the per-task datasets, optional axes first: their number, and
 * dimension k's name, length, the index of task t along it and value i as text. */
int store_reader_ndims(const store_reader *r);
const char *store_reader_dim_name(const store_reader *r, int k);
int store_reader_dim_len(const store_reader *r, int k);
int store_reader_dim_index(const store_reader *r, long t, int k);
void store_reader_dim_label(const store_reader *r, int k, int i, char *buf, size_t n);
/* Slab `slab`'s values of the optional axes as text, "q0=0.001" ("" with none). */
void store_reader_slab_label(const store_reader *r, long slab, char *buf, size_t n);

/* 1 if the file has a dataset of that name (a plain name, no '/'). */
int store_reader_has(const store_reader *r, const char *name);
/* Length of a 1-D dataset (a coordinate such as `duration`), -1 if there is none. */
long store_reader_len1(const store_reader *r, const char *name);
/* A dataset of exactly n elements (per-task: n_tasks times its trailing lengths), read
 * whole and converted to double / int64. */
int store_reader_doubles(const store_reader *r, const char *name, double *out, long n,
                         cs_err *err);
int store_reader_int64(const store_reader *r, const char *name, int64_t *out, long n,
                       cs_err *err);
/* Rows first .. first + count - 1 of a per-task dataset as doubles: count tasks times
 * `per` trailing values each (per = the product of its trailing lengths). */
int store_reader_doubles_slab(const store_reader *r, const char *name, long first,
                              long count, long per, double *out, cs_err *err);
/* A per-task text dataset (failure_reason, fit_note) as malloc'd *out of n_tasks
 * NUL-terminated rows of CS_REASON_LEN bytes; all "" when the file has none. */
int store_reader_strings(const store_reader *r, const char *name, char **out, cs_err *err);

/* Root attributes: a string (malloc'd, NULL if absent), or a scalar number (0, or -1 if
 * absent). */
char *store_reader_attr_string(const store_reader *r, const char *name);
int store_reader_attr_double(const store_reader *r, const char *name, double *out);
int store_reader_attr_int64(const store_reader *r, const char *name, int64_t *out);

/* Slab `slab`'s part of a dataset whose leading dimensions are the optional axes
 * (per-task and derived datasets): exactly n elements as double.  Without optional
 * axes slab 0 is the whole dataset. */
int store_reader_slab_doubles(const store_reader *r, const char *name, long slab,
                              double *out, long n, cs_err *err);
/* The indices along the optional axes of slab `slab` (lead: n_outer of them). */
void store_reader_slab_index(const store_reader *r, long slab, unsigned long long *lead);

/* The runs table's used rows (malloc'd *rows, *n). */
int store_reader_runs(const store_reader *r, store_run **rows, long *n, cs_err *err);

/* 1 if every derived dataset (store_derived_fields) exists with its space allocated
 * (files since 0.2.0 reserve them at creation; in a 0.1.0 file they exist once its
 * `phase` wrote them). */
int store_reader_derived_reserved(const store_reader *r);

#endif

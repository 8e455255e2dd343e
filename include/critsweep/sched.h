/* sched.h — the master-worker protocol over MPI, stop signals and progress
 * (README, "Commands": interrupting and resuming).
 *
 * Rank 0 is the master: it hands out task indices, most expensive first, and sleeps
 * between polls (MPI_Test with a 0.2–5 ms nanosleep backoff), so on P cores the job runs
 * P + 1 ranks: P workers doing science and a master using well under 1 % of a core.
 * Workers compute a task in a second thread while their main thread (the only one that
 * calls MPI or HDF5) watches for stop requests; when the grace time runs out the task is
 * abandoned (its row stays pending) and the file is still closed cleanly.  One rank
 * alone (or no MPI at all) runs every task itself. */
#ifndef CRITSWEEP_SCHED_H
#define CRITSWEEP_SCHED_H

#include <mpi.h>
#include <stdint.h>

#include "critsweep/common.h"
#include "critsweep/config.h"

typedef struct {
    const cs_sweep *sweep;
    const char *path;        /* results file: exists, checked, runs row appended */
    double grace;            /* seconds running tasks get after a stop signal */
    /* Rank 0 only: */
    const long *queue;       /* tasks to run, in order (most expensive first) */
    long n_queue;
    const int32_t *attempts; /* (n_tasks) attempts already made per task */
    long n_done_before;      /* tasks already done when the run started (progress) */
    long n_tasks;
} sched_opts;

typedef struct {
    long completed;          /* finished done or diverged in this run */
    long failed;             /* finished failed in this run */
    long abandoned;          /* still running at the end of the grace time */
    long started;
    int stopped;             /* a stop signal (or request) arrived */
    int worker_errors;       /* workers that hit an unrecoverable error */
    int error_code;          /* the largest CS_EXIT_* code they reported (2: bad input,
                              * e.g. the training data missing) */
    int abandoned_here;      /* this rank left a compute thread running: exit with _exit */
    double wall;             /* seconds in the scheduling loop (rank 0) */
    double ready;            /* seconds until every worker was ready (data loaded) */
    double master_cpu;       /* CPU seconds rank 0 used in the loop (MPI mode) */
    double workers_cpu;      /* CPU seconds all workers used in the loop (rank 0) */
    double workers_wait;     /* seconds workers spent with no task in hand, summed (rank
                              * 0; from the first task to the end message) */
} sched_summary;

/* SIGTERM, SIGUSR1, SIGINT → stop handing out work; a second one → grace 0. */
void sched_install_signals(void);
int sched_stop_requested(void);

/* Runs the queue.  comm = MPI_COMM_NULL or a communicator of size 1: this process does
 * everything.  Collective over comm otherwise.  Opens and closes the results file. */
int sched_run(const sched_opts *o, MPI_Comm comm, sched_summary *out, cs_err *err);

/* Orders tasks most expensive first (grid_task_cost; ties by index). */
void sched_sort_by_cost(const cs_sweep *s, long *tasks, long n);

#endif

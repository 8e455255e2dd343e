/* cli_run.c — `critsweep run`: run or resume a sweep.
 *
 * run: rank 0 alone prepares the file (create, or check the hash and append a runs row),
 * every rank then opens it with the MPI-IO driver and sched.c hands out the tasks; after
 * the parallel close and MPI_Finalize rank 0 writes the derived datasets and finishes
 * its runs row.  Without an MPI launcher the process runs every task itself.  A sweep
 * with adaptive axes repeats this in rounds (adaptive.h): rank 0 plans the next round
 * from the finished file and grows it (store_grow), every rank goes on with the grown
 * grid; `refine` (cli_refine.c) runs the same rounds on a plain sweep's file. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>
#include <mpi.h>

#include "critsweep/adaptive.h"
#include "critsweep/avalanche.h"
#include "critsweep/cli.h"
#include "cli_run_internal.h"
#include "critsweep/common.h"
#include "critsweep/config.h"
#include "critsweep/grid.h"
#include "critsweep/h5util.h"
#include "critsweep/phase.h"
#include "critsweep/sched.h"
#include "critsweep/store.h"
#include "critsweep/task.h"

/* ===================================================================== run ===== */

static void run_help(FILE *f)
{
    fprintf(f,
            "usage: critsweep run SWEEP.yaml [-o FILE] [--grace S] [--set key=value]... [--fresh]\n\n"
            "Runs the sweep's tasks into one HDF5 results file, or resumes it: running the same\n"
            "command again continues where it stopped (only tasks not done run; failed ones are\n"
            "retried up to output.max_attempts).  Under an MPI launcher rank 0 is the master and\n"
            "sleeps while it waits, so give it one rank more than cores:\n"
            "  mpirun -n $(( $(nproc) + 1 )) --oversubscribe critsweep run sweep.yaml\n"
            "  srun --mpi=pmix critsweep run sweep.yaml      (SLURM, ntasks = cores + 1)\n"
            "Without a launcher one process runs every task.\n\n"
            "options:\n"
            "  -o FILE          results file (default: the sweep's output.file, <name>.h5)\n"
            "  --grace S        after SIGTERM/SIGUSR1 (or Ctrl-C) no new task starts; running\n"
            "                   tasks get S seconds (default 60), then are abandoned (they stay\n"
            "                   pending); a second signal stops at once.  Exit code 3.\n"
            "                   Under mpirun send SIGUSR1 to mpirun (it forwards it): a\n"
            "                   SIGTERM to mpirun makes it kill the ranks within ~2 s.\n"
            "  --set key=value  override a sweep setting (as in critsweep check); science\n"
            "                   settings change the sweep's hash\n"
            "  --fresh          move an existing FILE aside to FILE.<time>.bak and start over\n"
            "  -h, --help       this help\n\n"
            "A sweep with adaptive axes (grid.sigma_w2: {adaptive: ...}, README section 3c)\n"
            "runs in rounds: when a round is complete the grid grows where the located lines\n"
            "are least certain (the file is rewritten beside itself and renamed into place),\n"
            "until every line is within tol or the budgets are spent; resuming continues the\n"
            "rounds.\n\n"
            "A FILE written by a different sweep (other hash) is refused; nothing existing is\n"
            "overwritten.  Exit codes: 0 complete, 3 interrupted (run again to resume), 2 bad\n"
            "input, 1 other error.\n");
}

/* Launched by mpirun/srun (Open MPI, PMIx or PMI2 set these)? */
int run_under_launcher(void)
{
    const char *vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        if (getenv(vars[i]))
            return 1;
    return 0;
}

static void copy_str(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

/* Moves path aside to path.<UTC time>.bak (never deletes).  Only a results file that
 * no run is writing: anything else (a directory, a device, another program's file) is
 * left where it is. */
static int move_aside(const char *path, cs_err *err)
{
    struct stat ls;
    if (lstat(path, &ls) != 0)
        return cs_fail(err, CS_EXIT_USAGE, "--fresh: %s: %s", path, strerror(errno));
    if (!S_ISREG(ls.st_mode))
        return cs_fail(err, CS_EXIT_USAGE, "--fresh moves aside only a regular results file; "
                                           "%s is a %s: not touched", path,
                       S_ISDIR(ls.st_mode) ? "directory" : S_ISLNK(ls.st_mode) ? "symbolic link"
                       : S_ISCHR(ls.st_mode) || S_ISBLK(ls.st_mode) ? "device" : "special file");
    if (H5Fis_hdf5(path) <= 0)
        return cs_fail(err, CS_EXIT_USAGE, "--fresh moves aside only an HDF5 results file; %s "
                                           "is not one: not touched", path);
    if (store_lock_held(path))
        return cs_fail(err, CS_EXIT_USAGE, "--fresh: another critsweep run is writing %s; stop "
                                           "it first (nothing was moved)", path);
    char stamp[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    size_t n = strlen(path) + 64;
    char *bak = malloc(n);
    if (!bak)
        return cs_fail(err, CS_EXIT_ERROR, "out of memory");
    snprintf(bak, n, "%s.%s.bak", path, stamp);
    struct stat st;
    for (int k = 1; stat(bak, &st) == 0 && k < 1000; k++)
        snprintf(bak, n, "%s.%s-%d.bak", path, stamp, k);
    int rc = 0;
    if (rename(path, bak) != 0)
        rc = cs_fail(err, CS_EXIT_USAGE, "--fresh: cannot move %s to %s: %s", path, bak,
                     strerror(errno));
    else
        fprintf(stderr, "critsweep run: moved the old results file to %s\n", bak);
    free(bak);
    return rc;
}

typedef struct {
    long *queue;
    long n_queue;
    int32_t *attempts;
    long done, diverged, failed, pending, failed_retry;
    long row;
    store_run run;
    int lock_fd;
} prep;

static void count_status(const int8_t *st, const int32_t *att, long n, int max_attempts, prep *p)
{
    p->done = p->diverged = p->failed = p->pending = p->failed_retry = 0;
    for (long t = 0; t < n; t++) {
        switch (st[t]) {
        case CS_STATUS_DONE: p->done++; break;
        case CS_STATUS_DIVERGED: p->diverged++; break;
        case CS_STATUS_FAILED:
            p->failed++;
            if (att[t] < max_attempts)
                p->failed_retry++;
            break;
        default: p->pending++; break;
        }
    }
}

/* Every file of critsweep 0.1.0 was computed with dense layers, the only engine then,
 * and carries no `engine` attribute: a sweep left at engine auto resumes it densely
 * (whose hash is the old one), so all its rows are one engine's draws.  Likewise a file
 * keeps the engine revision it was begun with (0.2.x wrote none: revision 1), so that a
 * resumed sweep is bit for bit the sweep run without a break. */
static void adopt_legacy_engine(cs_sweep *s, const char *path)
{
    hid_t f = store_open_read(path, NULL);
    if (f < 0)
        return;
    char *engine = store_read_string_attr(f, "engine");
    char *hash = store_read_string_attr(f, "sweep_hash");
    int32_t rev = 1;
    if (engine && h5u_num_attr(f, "engine_revision", H5T_NATIVE_INT32, &rev))
        rev = 1;
    H5Fclose(f);
    if (engine && rev >= 1 && rev <= AVALANCHE_ENGINE_REVISION &&
        rev != s->avalanche.engine_revision) {
        if (s->avalanche.engine != CS_ENGINE_DENSE) /* dense layers have no revisions */
            fprintf(stderr, "critsweep run: %s: begun with avalanche.engine_revision %d: resuming "
                        "it with that revision (this build's default is %d)\n", path, (int)rev,
                AVALANCHE_ENGINE_REVISION);
        s->avalanche.engine_revision = (int)rev;
    }
    if (s->avalanche.engine != CS_ENGINE_AUTO) {
        free(engine);
        free(hash);
        return;
    }
    if (!engine && hash && strcmp(hash, s->hash_hex)) {
        s->avalanche.engine = CS_ENGINE_DENSE;
        config_rehash(s);
        if (strcmp(hash, s->hash_hex)) {
            s->avalanche.engine = CS_ENGINE_AUTO;
            config_rehash(s);
        } else {
            fprintf(stderr, "critsweep run: %s: written by critsweep 0.1.0, whose layers were all "
                            "dense: resuming it with avalanche.engine dense\n", path);
        }
    }
    free(engine);
    free(hash);
}

/* An existing file: lock it, check it is this sweep's, append the runs row.  *integ
 * receives its damaged rows. */
static int prepare_existing(cs_sweep *s, const char *path, prep *p, store_integrity *integ,
                            cs_err *err)
{
    /* The lock before anything is read: a file another run writes is not ours to
     * judge or change. */
    int rc = store_lock(path, &p->lock_fd, err);
    if (rc)
        return rc;
    rc = store_validate(path, 1, integ, err);
    if (!rc)
        adopt_legacy_engine(s, path);
    int grown = 0;
    if (!rc)
        rc = store_adopt_grown_axes(path, s, &grown, err);
    if (rc || (rc = store_check(path, s, err)))
        return rc;
    if (grown)
        fprintf(stderr, "critsweep run: %s: its grid has grown in earlier rounds: %d sigma_w2, "
                        "%d sigma_b2, %d seeds\n", path, s->n_sigma_w2, s->n_sigma_b2, s->n_seed);
    if (!integ->has_checksums)
        fprintf(stderr, "critsweep run: %s: written by critsweep 0.1.0, which kept no row "
                        "checksums: its finished rows are unverified\n", path);
    if ((rc = store_runs_append(path, &p->run, &p->row, err)))
        return rc;
    if (p->row < 0)
        fprintf(stderr, "critsweep run: %s: warning: the runs table is full (%d runs); "
                        "this run is not recorded in it\n", path, CS_RUNS_MAX);
    return 0;
}

/* Damaged rows (a status byte outside 0..3, a checksum that does not match) are
 * computed again, and said so: never counted as done, never left pending with nothing
 * scheduled. */
static void reset_damaged(const cs_sweep *s, const char *path, const store_integrity *integ,
                          int8_t *status, long n)
{
    long shown = 0;
    for (long t = 0; integ->damaged && t < n; t++) {
        if (!integ->damaged[t])
            continue;
        if (shown++ < 10) {
            char lab[160];
            store_task_label(s, t, lab, sizeof lab);
            if (status[t] < CS_STATUS_PENDING || status[t] > CS_STATUS_DIVERGED)
                fprintf(stderr, "critsweep run: %s: %s: status byte %d is not a status "
                                "(damaged file); computing it again\n", path, lab, status[t]);
            else
                fprintf(stderr, "critsweep run: %s: %s: its row does not match its checksum "
                                "(damaged file); computing it again\n", path, lab);
        }
        status[t] = CS_STATUS_PENDING;
    }
    if (shown > 10)
        fprintf(stderr, "critsweep run: %s: ... %ld damaged rows in all, computing them again\n",
                path, shown);
}

/* Reads the file's progress and queues the tasks to run: pending ones, and failed ones
 * with attempts left, costliest first. */
static int build_queue(const cs_sweep *s, const char *path, const store_integrity *integ,
                       prep *p, cs_err *err)
{
    long n = grid_task_count(s);
    int8_t *status = malloc((size_t)n);
    p->attempts = malloc((size_t)n * sizeof *p->attempts);
    p->queue = malloc((size_t)n * sizeof *p->queue);
    if (!status || !p->attempts || !p->queue) {
        free(status);
        return cs_fail(err, CS_EXIT_ERROR, "out of memory for %ld tasks", n);
    }
    int rc = store_read_progress(path, n, status, p->attempts, err);
    if (rc) {
        free(status);
        return rc;
    }
    reset_damaged(s, path, integ, status, n);
    count_status(status, p->attempts, n, s->output.max_attempts, p);
    p->n_queue = 0;
    for (long t = 0; t < n; t++)
        if (status[t] == CS_STATUS_PENDING ||
            (status[t] == CS_STATUS_FAILED && p->attempts[t] < s->output.max_attempts))
            p->queue[p->n_queue++] = t;
    free(status);
    sched_sort_by_cost(s, p->queue, p->n_queue);
    return 0;
}

/* Rank 0: create or check the file, append the runs row, build the queue. */
static int prepare(cs_sweep *s, const char *path, int fresh, int ranks, prep *p, cs_err *err)
{
    struct stat st;
    int exists = stat(path, &st) == 0;
    if (exists && fresh) {
        /* Only move aside what we would otherwise refuse or resume: any existing path. */
        int rc = move_aside(path, err);
        if (rc)
            return rc;
        exists = 0;
    }
    memset(&p->run, 0, sizeof p->run);
    store_now_iso(p->run.start);
    p->run.ranks = ranks;
    copy_str(p->run.slurm_job_id, sizeof p->run.slurm_job_id, getenv("SLURM_JOB_ID"));
    copy_str(p->run.exit_state, sizeof p->run.exit_state, "running");
    int rc;
    store_integrity integ;
    memset(&integ, 0, sizeof integ);
    if (exists) {
        if (S_ISDIR(st.st_mode))
            return cs_fail(err, CS_EXIT_USAGE, "%s is a directory; -o wants a file name", path);
        rc = prepare_existing(s, path, p, &integ, err);
    } else {
        rc = store_create(path, s, &p->run, &p->lock_fd, err);
        p->row = 0;
    }
    if (!rc)
        rc = build_queue(s, path, &integ, p, err);
    store_integrity_free(&integ);
    return rc;
}

typedef struct {
    const char *sweep_path, *out_path;
    double grace;
    int fresh;
    const char **sets;
    int n_sets;
} run_args;

enum { ARGS_HELP = -1 }; /* parse_run_args printed the help: exit 0 */

/* Fills a from the command line; a->sets is allocated (the caller frees it). */
static int parse_run_args(int argc, char **argv, run_args *a)
{
    static const struct option longs[] = {
        {"help", no_argument, NULL, 'h'}, {"fresh", no_argument, NULL, 'f'},
        {"set", required_argument, NULL, 's'}, {"output", required_argument, NULL, 'o'},
        {"grace", required_argument, NULL, 'g'}, {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof *a);
    a->grace = 60;
    if (!(a->sets = calloc((size_t)argc + 1, sizeof *a->sets)))
        return cli_usage_error("run", "out of memory");
    cli_opts o;
    cli_opts_init(&o, argc, argv, "ho:", longs);
    for (int c; (c = cli_opts_next(&o)) != -1;) {
        const char *v = o.value;
        switch (c) {
        case 'h': run_help(stdout); return ARGS_HELP;
        case 'f': a->fresh = 1; break;
        case 's':
            if (!v || !strchr(v, '='))
                return cli_usage_error("run", "--set needs key=value");
            a->sets[a->n_sets++] = v;
            break;
        case 'o':
            if (!v || !*v)
                return cli_usage_error("run", "%s needs a file name", o.word);
            a->out_path = v;
            break;
        case 'g':
            if (!v || cs_parse_double(v, &a->grace) || a->grace < 0 || a->grace > 1e7)
                return cli_usage_error("run", "--grace needs seconds >= 0 (got '%s')", v ? v : "");
            break;
        case CLI_OPERAND:
            if (a->sweep_path)
                return cli_usage_error("run", "one sweep file at a time (got '%s' and '%s')",
                                       a->sweep_path, v);
            a->sweep_path = v;
            break;
        default:
            return cli_usage_error("run", "unknown option '%s' (critsweep run --help)", o.word);
        }
    }
    if (!a->sweep_path)
        return cli_usage_error("run", "which sweep? usage: critsweep run SWEEP.yaml [-o FILE] "
                                      "(critsweep run --help)");
    /* srun without MPI support would start N independent copies writing one file. */
    const char *step_tasks = getenv("SLURM_STEP_NUM_TASKS");
    if (!run_under_launcher() && step_tasks && atol(step_tasks) > 1)
        return cli_usage_error("run", "started by srun as %s tasks without MPI process "
                                      "management; use srun --mpi=pmix", step_tasks);
    return 0;
}

/* Reports a failed MPI call of this file; returns CS_EXIT_ERROR. */
static int mpi_failed(int rc, const char *what)
{
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(rc, msg, &len) != MPI_SUCCESS)
        snprintf(msg, sizeof msg, "MPI error %d", rc);
    fprintf(stderr, "critsweep run: %s failed: %s\n", what, msg);
    return CS_EXIT_ERROR;
}

/* MPI_COMM_WORLD keeps MPI's default handler, MPI_ERRORS_ARE_FATAL, until sched_run
 * sets its own: a failure before the file is open aborts every rank, and nothing is
 * lost.  The returns are checked all the same, for an implementation that returns. */
int run_start_mpi(int *rank, int *size)
{
    int provided, rc;
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "critsweep run: MPI_Init failed (under SLURM use srun --mpi=pmix)\n");
        return CS_EXIT_ERROR;
    }
    if ((rc = MPI_Comm_rank(MPI_COMM_WORLD, rank)) != MPI_SUCCESS ||
        (rc = MPI_Comm_size(MPI_COMM_WORLD, size)) != MPI_SUCCESS) {
        mpi_failed(rc, "MPI_Comm_rank/MPI_Comm_size");
        MPI_Abort(MPI_COMM_WORLD, CS_EXIT_ERROR); /* does not return */
    }
    return 0;
}

/* Every rank learns rank 0's outcome, and the engine rank 0 may have adopted for a
 * 0.1.0 file (dense) and the engine revision of the file, so that all hash and compute
 * alike. */
static void share_prepared(int *rc, cs_sweep *s)
{
    int engine = (int)s->avalanche.engine, mrc;
    if ((mrc = MPI_Bcast(rc, 1, MPI_INT, 0, MPI_COMM_WORLD)) != MPI_SUCCESS ||
        (mrc = MPI_Bcast(&engine, 1, MPI_INT, 0, MPI_COMM_WORLD)) != MPI_SUCCESS ||
        (mrc = MPI_Bcast(&s->avalanche.engine_revision, 1, MPI_INT, 0, MPI_COMM_WORLD)) !=
            MPI_SUCCESS) {
        mpi_failed(mrc, "MPI_Bcast of the prepared file's state");
        MPI_Abort(MPI_COMM_WORLD, CS_EXIT_ERROR); /* ranks would wait for each other */
    }
    if (engine != (int)s->avalanche.engine) {
        s->avalanche.engine = (cs_engine)engine;
        config_rehash(s);
    }
}

/* An axis' values from rank 0 (rank 0 may have adopted a grown grid, or grown it). */
static int share_axis(double **vals, int *n, int rank)
{
    if (MPI_Bcast(n, 1, MPI_INT, 0, MPI_COMM_WORLD) != MPI_SUCCESS)
        return -1;
    if (rank != 0) {
        double *v = realloc(*vals, (size_t)(*n > 0 ? *n : 1) * sizeof *v);
        if (!v)
            return -1;
        *vals = v;
    }
    return MPI_Bcast(*vals, *n, MPI_DOUBLE, 0, MPI_COMM_WORLD) != MPI_SUCCESS;
}

static void share_grid(cs_sweep *s, int rank)
{
    int bad = share_axis(&s->sigma_w2, &s->n_sigma_w2, rank) ||
              share_axis(&s->sigma_b2, &s->n_sigma_b2, rank);
    if (!bad && MPI_Bcast(&s->n_seed, 1, MPI_INT, 0, MPI_COMM_WORLD) != MPI_SUCCESS)
        bad = 1;
    uint64_t *seeds = bad || rank == 0 ? s->seeds
                                       : realloc(s->seeds, (size_t)s->n_seed * sizeof *seeds);
    if (!bad && seeds)
        s->seeds = seeds;
    if (bad || !seeds ||
        MPI_Bcast(s->seeds, s->n_seed, MPI_UINT64_T, 0, MPI_COMM_WORLD) != MPI_SUCCESS) {
        fprintf(stderr, "critsweep run: rank %d: sharing the grid failed\n", rank);
        MPI_Abort(MPI_COMM_WORLD, CS_EXIT_ERROR); /* ranks would compute different tasks */
    }
}

void run_finish_mpi(void)
{
    int rc = MPI_Finalize();
    if (rc != MPI_SUCCESS)
        mpi_failed(rc, "MPI_Finalize"); /* the results are written: only said */
}

static void report_speed(const sched_summary *sum, int size)
{
    long ran = sum->completed + sum->failed;
    if (ran > 0 && sum->wall > sum->ready)
        fprintf(stderr, "critsweep run: %ld tasks in %.2f s after the workers were ready "
                        "(%.2f s: data loading): %.3g tasks/s\n",
                ran, sum->wall - sum->ready, sum->ready, ran / (sum->wall - sum->ready));
    if (size > 1 && sum->wall >= 1) {
        fprintf(stderr, "critsweep run: master CPU %.3f s over %.1f s wall (%.2f%%), %d "
                        "workers\n",
                sum->master_cpu, sum->wall, 100 * sum->master_cpu / sum->wall, size - 1);
        fprintf(stderr, "critsweep run: workers' CPU %.1f s = %.0f%% of %d cores over the "
                        "loop; %.2f s waiting for a task (the rest of a shortfall: data "
                        "loading, the last tasks, or other programs on the cores)\n",
                sum->workers_cpu, 100 * sum->workers_cpu / (sum->wall * (size - 1)), size - 1,
                sum->workers_wait);
    }
}

/* A complete sweep (failed tasks included): the derived tables.  Returns the runs
 * row's state and updates *code. */
static const char *finish_complete(const char *path, const prep *p, int *code)
{
    const char *state;
    cs_err de = {0, ""};
    int drc = phase_write_derived(path, &de);
    if (drc == PHASE_NOT_RESERVED) {
        fprintf(stderr, "critsweep run: %s: written by critsweep 0.1.0, which reserved "
                        "no space for the derived datasets: not written (`critsweep "
                        "phase` computes them)\n", path);
        state = *code ? "error" : "complete";
    } else if (drc) {
        fprintf(stderr, "critsweep run: %s: derived datasets not written: %s (run "
                        "`critsweep phase %s` to retry)\n", path, de.msg, path);
        *code = CS_EXIT_ERROR;
        state = "error";
    } else {
        state = *code ? "error" : "complete";
    }
    if (p->failed)
        fprintf(stderr, "critsweep run: %ld task%s failed (critsweep status %s lists "
                        "them); %ld can be retried by running again\n",
                p->failed, p->failed == 1 ? "" : "s", path, p->failed_retry);
    return state;
}

/* Rank 0 after the parallel close: count again, write the derived tables if the sweep
 * is complete, finish the runs row.  Returns the exit code. */
static int finish_run(const cs_sweep *s, const char *path, prep *p, const sched_summary *sum,
                      int code)
{
    cs_err err = {0, ""};
    long n = grid_task_count(s);
    int8_t *status = malloc((size_t)n);
    int rrc = status ? store_read_progress(path, n, status, p->attempts, &err) : CS_EXIT_ERROR;
    if (rrc) {
        fprintf(stderr, "critsweep run: %s\n", err.msg);
        code = CS_EXIT_ERROR;
    } else {
        count_status(status, p->attempts, n, s->output.max_attempts, p);
    }
    free(status);
    const char *state;
    if (!rrc && p->pending == 0) {
        state = finish_complete(path, p, &code);
    } else if (sum->stopped || sum->abandoned) {
        code = CS_EXIT_INCOMPLETE;
        state = "interrupted";
    } else {
        if (!code) /* workers retired with errors, tasks left over */
            code = sum->worker_errors ? (sum->error_code ? sum->error_code : CS_EXIT_ERROR)
                                      : CS_EXIT_INCOMPLETE;
        state = code == CS_EXIT_INCOMPLETE ? "interrupted" : "error";
    }
    store_now_iso(p->run.end);
    p->run.tasks_done = sum->completed;
    copy_str(p->run.exit_state, sizeof p->run.exit_state, state);
    if (p->row >= 0 && store_runs_update(path, p->row, &p->run, &err)) {
        fprintf(stderr, "critsweep run: %s\n", err.msg);
        if (!code)
            code = CS_EXIT_ERROR;
    }
    if (p->lock_fd >= 0)
        close(p->lock_fd);
    fprintf(stderr, "critsweep run: %s: %s; %ld completed in this run, %ld done, %ld "
                    "diverged, %ld failed, %ld pending%s\n",
            path, state, sum->completed, p->done, p->diverged, p->failed, p->pending,
            code == CS_EXIT_INCOMPLETE ? " (run the same command again to resume)" : "");
    return code;
}

/* Rank 0 prepares the file and says what will run. */
static int prepare_and_say(cs_sweep *s, const char *path, int fresh, int size, prep *p)
{
    cs_err err = {0, ""};
    int rc = prepare(s, path, fresh, size, p, &err);
    if (rc) {
        fprintf(stderr, "critsweep run: %s\n", err.msg);
        return rc;
    }
    long n = grid_task_count(s);
    int workers = size > 1 ? size - 1 : 1;
    fprintf(stderr, "critsweep run: %s: %ld tasks, %ld done, %ld diverged, %ld failed "
                    "(%ld to retry), %ld pending; running %ld on %d worker%s (sweep %s)\n",
            path, n, p->done, p->diverged, p->failed, p->failed_retry, p->pending, p->n_queue,
            workers, workers == 1 ? "" : "s", s->hash_hex);
    return 0;
}

/* Runs the queue on every rank; rank 0 then finishes the file alone.  Returns the exit
 * code; *abandoned_here says a compute thread of this rank is still running. */
static int run_queue(cs_sweep *s, const char *path, double grace, prep *p, int use_mpi,
                     int keep_mpi, int rank, int size, int *abandoned_here)
{
    sched_opts so = {
        .sweep = s, .path = path, .grace = grace, .queue = p->queue, .n_queue = p->n_queue,
        .attempts = p->attempts, .n_done_before = p->done + p->diverged,
        .n_tasks = grid_task_count(s),
    };
    sched_summary sum;
    cs_err err = {0, ""};
    int rc = sched_run(&so, use_mpi ? MPI_COMM_WORLD : MPI_COMM_NULL, &sum, &err);
    if (rc)
        fprintf(stderr, "critsweep run: rank %d: %s\n", rank, err.msg);
    *abandoned_here = sum.abandoned_here;
    if (use_mpi && !keep_mpi)
        run_finish_mpi(); /* workers leave now; rank 0 finishes the file alone */
    int code = rc ? CS_EXIT_ERROR : CS_EXIT_OK;
    if (rank == 0) {
        report_speed(&sum, size);
        code = finish_run(s, path, p, &sum, code);
    }
    return code;
}

/* The grid axes of s, copied (the grown sweep frees s's own). */
static int copy_grid(const cs_sweep *s, cs_sweep *to)
{
    *to = *s;
    to->sigma_w2 = malloc((size_t)s->n_sigma_w2 * sizeof *to->sigma_w2);
    to->sigma_b2 = malloc((size_t)s->n_sigma_b2 * sizeof *to->sigma_b2);
    to->seeds = malloc((size_t)s->n_seed * sizeof *to->seeds);
    if (!to->sigma_w2 || !to->sigma_b2 || !to->seeds)
        return -1;
    memcpy(to->sigma_w2, s->sigma_w2, (size_t)s->n_sigma_w2 * sizeof *to->sigma_w2);
    memcpy(to->sigma_b2, s->sigma_b2, (size_t)s->n_sigma_b2 * sizeof *to->sigma_b2);
    memcpy(to->seeds, s->seeds, (size_t)s->n_seed * sizeof *to->seeds);
    return 0;
}

static void free_grid(cs_sweep *g)
{
    free(g->sigma_w2);
    free(g->sigma_b2);
    free(g->seeds);
}

/* Rank 0, the file complete: plans the next round and grows the file for it (a new
 * runs row, the queue of the new tasks).  1 when a round follows, 0 when the sweep is
 * finished growing or growing failed (*code says which). */
static int next_round(cs_sweep *s, const char *path, const adaptive_spec *sp,
                      const char *grown_axes, prep *p, int *code)
{
    cs_err err = {0, ""};
    adaptive_plan plan;
    char what[400], log[560];
    if (adaptive_plan_round(path, s, sp, &plan, &err)) {
        fprintf(stderr, "critsweep run: planning the next round: %s\n", err.msg);
        *code = CS_EXIT_ERROR;
        return 0;
    }
    adaptive_plan_describe(&plan, what, sizeof what);
    if (adaptive_plan_empty(&plan)) {
        fprintf(stderr, "critsweep run: %s: adaptive grid finished (%s): %s\n", path,
                plan.budget_spent ? "budget spent" : "every located line within tol", what);
        adaptive_plan_free(&plan);
        return 0;
    }
    cs_sweep from;
    int rc = copy_grid(s, &from) || adaptive_grow_sweep(s, &plan)
                 ? cs_fail(&err, CS_EXIT_ERROR, "out of memory growing the grid") : 0;
    /* No time in the log: it is part of the file, and the file is the same on any run
     * (the runs table has the times). */
    snprintf(log, sizeof log, "%d x %d x %d -> %d x %d x %d (sigma_b2 x sigma_w2 x seeds): "
             "%s", from.n_sigma_b2, from.n_sigma_w2, from.n_seed, s->n_sigma_b2,
             s->n_sigma_w2, s->n_seed, what);
    if (!rc)
        rc = store_grow(path, &from, s, log, grown_axes, &p->lock_fd, &err);
    adaptive_plan_free(&plan);
    if (rc) { /* the file is the old grid's: so must the sweep be */
        free_grid(s);
        s->sigma_w2 = from.sigma_w2, s->n_sigma_w2 = from.n_sigma_w2;
        s->sigma_b2 = from.sigma_b2, s->n_sigma_b2 = from.n_sigma_b2;
        s->seeds = from.seeds, s->n_seed = from.n_seed;
        fprintf(stderr, "critsweep run: %s\n", err.msg);
        *code = CS_EXIT_ERROR;
        return 0;
    }
    free_grid(&from);
    fprintf(stderr, "critsweep run: %s: next round: %s\n", path, log);
    return 1;
}

/* After a grown file's rename: a runs row for the round and its queue. */
static int begin_round(const cs_sweep *s, const char *path, prep *p, int size, int *code)
{
    cs_err err = {0, ""};
    memset(&p->run, 0, sizeof p->run);
    store_now_iso(p->run.start);
    p->run.ranks = size;
    copy_str(p->run.slurm_job_id, sizeof p->run.slurm_job_id, getenv("SLURM_JOB_ID"));
    copy_str(p->run.exit_state, sizeof p->run.exit_state, "running");
    free(p->queue);
    free(p->attempts);
    p->queue = NULL, p->attempts = NULL;
    store_integrity none;
    memset(&none, 0, sizeof none);
    int rc = store_runs_append(path, &p->run, &p->row, &err);
    if (!rc)
        rc = build_queue(s, path, &none, p, &err);
    if (rc) {
        fprintf(stderr, "critsweep run: %s\n", err.msg);
        *code = rc;
        return 0;
    }
    return 1;
}

/* The rounds of a sweep: run the queue; on a complete adaptive sweep rank 0 plans the
 * next round, grows the file, and every rank goes on with the grown grid. */
static int run_rounds(cs_sweep *s, const char *path, double grace, const run_rounds_opts *ro,
                      prep *p, int use_mpi, int rank, int size, int *abandoned_here)
{
    adaptive_spec sp;
    if (ro && ro->spec)
        sp = *ro->spec;
    else
        adaptive_spec_of(s, &sp);
    int growing = adaptive_any(&sp), rounds = 0;
    int max_rounds = ro && ro->max_rounds > 0 ? ro->max_rounds : 0;
    const char *grown_axes = ro && ro->grown_axes ? ro->grown_axes : "";
    for (;;) {
        int code = run_queue(s, path, grace, p, use_mpi, growing, rank, size, abandoned_here);
        if (!growing)
            return code;
        int more = rank == 0 && code == CS_EXIT_OK && !*abandoned_here &&
                   (!max_rounds || rounds < max_rounds) &&
                   next_round(s, path, &sp, grown_axes, p, &code) &&
                   begin_round(s, path, p, size, &code);
        rounds++;
        if (use_mpi) {
            if (MPI_Bcast(&more, 1, MPI_INT, 0, MPI_COMM_WORLD) != MPI_SUCCESS)
                MPI_Abort(MPI_COMM_WORLD, CS_EXIT_ERROR);
            if (more)
                share_grid(s, rank);
        }
        if (!more) {
            if (use_mpi)
                run_finish_mpi();
            return code;
        }
        if (rank != 0) { /* only rank 0 hands out tasks */
            free(p->queue);
            p->queue = NULL, p->n_queue = 0;
        }
    }
}

int run_loaded_sweep(cs_sweep *s, const char *path, double grace, int fresh,
                     const run_rounds_opts *ro, int use_mpi, int rank, int size)
{
    prep p;
    memset(&p, 0, sizeof p);
    p.lock_fd = -1;
    int rc = 0;
    if (rank == 0)
        rc = prepare_and_say(s, path, fresh, size, &p);
    if (use_mpi)
        share_prepared(&rc, s);
    if (use_mpi && !rc)
        share_grid(s, rank);
    int code = rc, abandoned_here = 0;
    if (rc) {
        if (p.lock_fd >= 0)
            close(p.lock_fd);
        if (use_mpi)
            run_finish_mpi();
    } else {
        code = run_rounds(s, path, grace, ro, &p, use_mpi, rank, size, &abandoned_here);
    }
    free(p.queue);
    free(p.attempts);
    if (abandoned_here) {
        /* A compute thread is still inside its task: leave without running exit-time
         * destructors (OpenBLAS, HDF5) underneath it. */
        fflush(stdout);
        fflush(stderr);
        _exit(code);
    }
    config_free(s);
    return code;
}

int cli_run(int argc, char **argv)
{
    run_args a;
    int rc = parse_run_args(argc, argv, &a);
    if (rc) {
        free(a.sets);
        return rc == ARGS_HELP ? CS_EXIT_OK : rc;
    }
    int use_mpi = run_under_launcher();
    int rank = 0, size = 1;
    if (use_mpi && (rc = run_start_mpi(&rank, &size))) {
        free(a.sets);
        return rc;
    }
    sched_install_signals();

    cs_sweep s;
    cs_err err = {0, ""};
    rc = config_load(a.sweep_path, a.sets, a.n_sets, &s, &err);
    free(a.sets);
    if (rc) {
        if (rank == 0)
            fprintf(stderr, "critsweep run: %s\n", err.msg);
        if (use_mpi)
            run_finish_mpi();
        return rc;
    }
    const char *path = a.out_path ? a.out_path : s.output.file;
    return run_loaded_sweep(&s, path, a.grace, a.fresh, NULL, use_mpi, rank, size);
}

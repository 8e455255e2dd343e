/* cli_run.c — `critsweep run` (run or resume a sweep), `critsweep status` (progress of a
 * results file, safe while a run writes) and `critsweep export` (CSV).
 *
 * run: rank 0 alone prepares the file (create, or check the hash and append a runs row),
 * every rank then opens it with the MPI-IO driver and sched.c hands out the tasks; after
 * the parallel close and MPI_Finalize rank 0 writes the derived datasets and finishes
 * its runs row.  Without an MPI launcher the process runs every task itself. */
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

#include "critsweep/cli.h"
#include "critsweep/common.h"
#include "critsweep/config.h"
#include "critsweep/grid.h"
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
            "A FILE written by a different sweep (other hash) is refused; nothing existing is\n"
            "overwritten.  Exit codes: 0 complete, 3 interrupted (run again to resume), 2 bad\n"
            "input, 1 other error.\n");
}

/* Launched by mpirun/srun (Open MPI, PMIx or PMI2 set these)? */
static int under_launcher(void)
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
 * (whose hash is the old one), so all its rows are one engine's draws. */
static void adopt_legacy_engine(cs_sweep *s, const char *path)
{
    if (s->avalanche.engine != CS_ENGINE_AUTO)
        return;
    hid_t f = store_open_read(path, NULL);
    if (f < 0)
        return;
    char *engine = store_read_string_attr(f, "engine");
    char *hash = store_read_string_attr(f, "sweep_hash");
    H5Fclose(f);
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
        /* The lock before anything is read: a file another run writes is not ours to
         * judge or change. */
        if ((rc = store_lock(path, &p->lock_fd, err)))
            return rc;
        rc = store_validate(path, 1, &integ, err);
        if (!rc)
            adopt_legacy_engine(s, path);
        if (rc || (rc = store_check(path, s, err))) {
            store_integrity_free(&integ);
            return rc;
        }
        if (!integ.has_checksums)
            fprintf(stderr, "critsweep run: %s: written by critsweep 0.1.0, which kept no row "
                            "checksums: its finished rows are unverified\n", path);
        if ((rc = store_runs_append(path, &p->run, &p->row, err))) {
            store_integrity_free(&integ);
            return rc;
        }
        if (p->row < 0)
            fprintf(stderr, "critsweep run: %s: warning: the runs table is full (%d runs); "
                            "this run is not recorded in it\n", path, CS_RUNS_MAX);
    } else {
        if ((rc = store_create(path, s, &p->run, &p->lock_fd, err)))
            return rc;
        p->row = 0;
    }
    long n = grid_task_count(s);
    int8_t *status = malloc((size_t)n);
    p->attempts = malloc((size_t)n * sizeof *p->attempts);
    p->queue = malloc((size_t)n * sizeof *p->queue);
    if (!status || !p->attempts || !p->queue) {
        free(status);
        return cs_fail(err, CS_EXIT_ERROR, "out of memory for %ld tasks", n);
    }
    if ((rc = store_read_progress(path, n, status, p->attempts, err))) {
        free(status);
        return rc;
    }
    /* Damaged rows (a status byte outside 0..3, a checksum that does not match) are
     * computed again, and said so: never counted as done, never left pending with
     * nothing scheduled. */
    long shown = 0;
    for (long t = 0; integ.damaged && t < n; t++) {
        if (!integ.damaged[t])
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
    store_integrity_free(&integ);
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

int cli_run(int argc, char **argv)
{
    const char *sweep_path = NULL, *out_path = NULL;
    double grace = 60;
    int fresh = 0;
    const char **sets = calloc((size_t)argc + 1, sizeof *sets);
    int n_sets = 0;
    if (!sets)
        return cli_usage_error("run", "out of memory");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            run_help(stdout);
            free(sets);
            return CS_EXIT_OK;
        } else if (!strcmp(a, "--fresh")) {
            fresh = 1;
        } else if (!strcmp(a, "--set") || !strncmp(a, "--set=", 6)) {
            v = a[5] == '=' ? a + 6 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v || !strchr(v, '=')) {
                free(sets);
                return cli_usage_error("run", "--set needs key=value");
            }
            sets[n_sets++] = v;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output") || !strncmp(a, "--output=", 9)) {
            v = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v || !*v) {
                free(sets);
                return cli_usage_error("run", "%s needs a file name", a);
            }
            out_path = v;
        } else if (!strcmp(a, "--grace") || !strncmp(a, "--grace=", 8)) {
            v = a[7] == '=' ? a + 8 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v || cs_parse_double(v, &grace) || grace < 0 || grace > 1e7) {
                free(sets);
                return cli_usage_error("run", "--grace needs seconds >= 0 (got '%s')", v ? v : "");
            }
        } else if (a[0] == '-' && a[1]) {
            free(sets);
            return cli_usage_error("run", "unknown option '%s' (critsweep run --help)", a);
        } else if (sweep_path) {
            free(sets);
            return cli_usage_error("run", "one sweep file at a time (got '%s' and '%s')",
                                   sweep_path, a);
        } else {
            sweep_path = a;
        }
    }
    if (!sweep_path) {
        free(sets);
        return cli_usage_error("run", "which sweep? usage: critsweep run SWEEP.yaml [-o FILE] "
                                      "(critsweep run --help)");
    }

    /* srun without MPI support would start N independent copies writing one file. */
    const char *step_tasks = getenv("SLURM_STEP_NUM_TASKS");
    if (!under_launcher() && step_tasks && atol(step_tasks) > 1) {
        free(sets);
        return cli_usage_error("run", "started by srun as %s tasks without MPI process "
                                      "management; use srun --mpi=pmix", step_tasks);
    }

    int use_mpi = under_launcher();
    int rank = 0, size = 1;
    if (use_mpi) {
        int provided;
        if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
            free(sets);
            fprintf(stderr, "critsweep run: MPI_Init failed (under SLURM use srun --mpi=pmix)\n");
            return CS_EXIT_ERROR;
        }
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        MPI_Comm_size(MPI_COMM_WORLD, &size);
    }
    sched_install_signals();

    cs_sweep s;
    cs_err err = {0, ""};
    int rc = config_load(sweep_path, sets, n_sets, &s, &err);
    free(sets);
    if (rc) {
        if (rank == 0)
            fprintf(stderr, "critsweep run: %s\n", err.msg);
        if (use_mpi)
            MPI_Finalize();
        return rc;
    }
    const char *path = out_path ? out_path : s.output.file;

    prep p;
    memset(&p, 0, sizeof p);
    p.lock_fd = -1;
    if (rank == 0) {
        rc = prepare(&s, path, fresh, size, &p, &err);
        if (rc)
            fprintf(stderr, "critsweep run: %s\n", err.msg);
        else {
            long n = grid_task_count(&s);
            int workers = size > 1 ? size - 1 : 1;
            fprintf(stderr, "critsweep run: %s: %ld tasks, %ld done, %ld diverged, %ld failed "
                            "(%ld to retry), %ld pending; running %ld on %d worker%s (sweep %s)\n",
                    path, n, p.done, p.diverged, p.failed, p.failed_retry, p.pending, p.n_queue,
                    workers, workers == 1 ? "" : "s", s.hash_hex);
        }
    }
    if (use_mpi) {
        MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
        /* rank 0 may have adopted a 0.1.0 file's dense engine */
        int engine = (int)s.avalanche.engine;
        MPI_Bcast(&engine, 1, MPI_INT, 0, MPI_COMM_WORLD);
        if (engine != (int)s.avalanche.engine) {
            s.avalanche.engine = (cs_engine)engine;
            config_rehash(&s);
        }
    }
    if (rc) {
        if (p.lock_fd >= 0)
            close(p.lock_fd);
        free(p.queue);
        free(p.attempts);
        config_free(&s);
        if (use_mpi)
            MPI_Finalize();
        return rc;
    }

    sched_opts so = {
        .sweep = &s, .path = path, .grace = grace, .queue = p.queue, .n_queue = p.n_queue,
        .attempts = p.attempts, .n_done_before = p.done + p.diverged,
        .n_tasks = grid_task_count(&s),
    };
    sched_summary sum;
    rc = sched_run(&so, use_mpi ? MPI_COMM_WORLD : MPI_COMM_NULL, &sum, &err);
    if (rc)
        fprintf(stderr, "critsweep run: rank %d: %s\n", rank, err.msg);
    int abandoned_here = sum.abandoned_here;
    if (use_mpi)
        MPI_Finalize(); /* workers leave now; rank 0 finishes the file alone */

    int code = rc ? CS_EXIT_ERROR : CS_EXIT_OK;
    if (rank == 0) {
        long ran = sum.completed + sum.failed;
        if (ran > 0 && sum.wall > sum.ready)
            fprintf(stderr, "critsweep run: %ld tasks in %.2f s after the workers were ready "
                            "(%.2f s: data loading): %.3g tasks/s\n",
                    ran, sum.wall - sum.ready, sum.ready, ran / (sum.wall - sum.ready));
        if (size > 1 && sum.wall >= 1) {
            fprintf(stderr, "critsweep run: master CPU %.3f s over %.1f s wall (%.2f%%), %d "
                            "workers\n",
                    sum.master_cpu, sum.wall, 100 * sum.master_cpu / sum.wall, size - 1);
            fprintf(stderr, "critsweep run: workers' CPU %.1f s = %.0f%% of %d cores over the "
                            "loop; %.2f s waiting for a task (the rest of a shortfall: data "
                            "loading, the last tasks, or other programs on the cores)\n",
                    sum.workers_cpu, 100 * sum.workers_cpu / (sum.wall * (size - 1)), size - 1,
                    sum.workers_wait);
        }
        long n = grid_task_count(&s);
        int8_t *status = malloc((size_t)n);
        int rrc = status ? store_read_progress(path, n, status, p.attempts, &err) : CS_EXIT_ERROR;
        if (rrc) {
            fprintf(stderr, "critsweep run: %s\n", err.msg);
            code = CS_EXIT_ERROR;
        } else {
            count_status(status, p.attempts, n, s.output.max_attempts, &p);
        }
        free(status);
        const char *state;
        if (!rrc && p.pending == 0) {
            /* Complete (failed tasks included): the derived tables. */
            cs_err de = {0, ""};
            int drc = phase_write_derived(path, &de);
            if (drc == PHASE_NOT_RESERVED) {
                fprintf(stderr, "critsweep run: %s: written by critsweep 0.1.0, which reserved "
                                "no space for the derived datasets: not written (`critsweep "
                                "phase` computes them)\n", path);
                state = code ? "error" : "complete";
            } else if (drc) {
                fprintf(stderr, "critsweep run: %s: derived datasets not written: %s (run "
                                "`critsweep phase %s` to retry)\n", path, de.msg, path);
                code = CS_EXIT_ERROR;
                state = "error";
            } else {
                state = code ? "error" : "complete";
            }
            if (p.failed)
                fprintf(stderr, "critsweep run: %ld task%s failed (critsweep status %s lists "
                                "them); %ld can be retried by running again\n",
                        p.failed, p.failed == 1 ? "" : "s", path, p.failed_retry);
        } else if (sum.stopped || sum.abandoned) {
            code = CS_EXIT_INCOMPLETE;
            state = "interrupted";
        } else {
            if (!code) /* workers retired with errors, tasks left over */
                code = sum.worker_errors ? (sum.error_code ? sum.error_code : CS_EXIT_ERROR)
                                         : CS_EXIT_INCOMPLETE;
            state = code == CS_EXIT_INCOMPLETE ? "interrupted" : "error";
        }
        store_now_iso(p.run.end);
        p.run.tasks_done = sum.completed;
        copy_str(p.run.exit_state, sizeof p.run.exit_state, state);
        if (p.row >= 0 && store_runs_update(path, p.row, &p.run, &err)) {
            fprintf(stderr, "critsweep run: %s\n", err.msg);
            if (!code)
                code = CS_EXIT_ERROR;
        }
        if (p.lock_fd >= 0)
            close(p.lock_fd);
        fprintf(stderr, "critsweep run: %s: %s; %ld completed in this run, %ld done, %ld "
                        "diverged, %ld failed, %ld pending%s\n",
                path, state, sum.completed, p.done, p.diverged, p.failed, p.pending,
                code == CS_EXIT_INCOMPLETE ? " (run the same command again to resume)" : "");
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
    config_free(&s);
    return code;
}

/* ================================================================== status ===== */

static void status_help(FILE *f)
{
    fprintf(f,
            "usage: critsweep status FILE [--json] [--verify]\n\n"
            "Progress of a results file: done, diverged, failed and pending tasks, progress\n"
            "along every grid axis, failed tasks with their reasons, and the runs table\n"
            "(start, end, ranks, tasks done, SLURM job id, exit state).  Opens the file\n"
            "read-only without locking, so it works while a run is writing.\n\n"
            "options:\n"
            "  --json      one JSON object\n"
            "  --verify    recompute every finished row's checksum (reads the whole file)\n"
            "  -h, --help  this help\n\n"
            "The file's structure is always checked, and status bytes outside 0..3 are\n"
            "reported as damage.  Exit codes: 0, or 2 if the file is damaged (damaged rows\n"
            "are listed; `critsweep run` computes them again).  Rows of a critsweep 0.1.0\n"
            "file carry no checksum and are reported as unverified.\n");
}

typedef struct {
    hid_t f;
    const char *path;
    int n[5];                 /* activation, width, sigma_b2, sigma_w2, seed */
    char **act;
    int32_t *width;
    double *sb2, *sw2;
    int64_t *seed;
    long n_tasks;
    int8_t *status;
    int32_t *attempts;
    char *reasons;            /* (n_tasks, CS_REASON_LEN) */
    store_integrity integ;    /* damaged rows (status range; checksums if verified) */
    char *notes;              /* (n_tasks, CS_REASON_LEN) fit_note, "" in older files */
    int64_t *exploded;        /* (n_tasks) n_exploded, -1 where not written or absent */
    int64_t *inputs;          /* (n_tasks) n_inputs, likewise */
} rfile;

static void rfile_free(rfile *r)
{
    if (r->act)
        for (int i = 0; i < r->n[0]; i++)
            free(r->act[i]);
    free(r->act);
    free(r->width);
    free(r->sb2);
    free(r->sw2);
    free(r->seed);
    free(r->status);
    free(r->attempts);
    free(r->reasons);
    store_integrity_free(&r->integ);
    free(r->notes);
    free(r->exploded);
    free(r->inputs);
    if (r->f >= 0)
        H5Fclose(r->f);
    memset(r, 0, sizeof *r);
    r->f = -1;
}

static int read_axis(rfile *r, const char *name, hid_t mt, size_t elem, int *n, void **out,
                     cs_err *err)
{
    hid_t d = H5Dopen2(r->f, name, H5P_DEFAULT);
    if (d < 0)
        return cs_fail(err, CS_EXIT_USAGE, "%s: no coordinate %s (not a critsweep results file?)",
                       r->path, name);
    hid_t sp = H5Dget_space(d);
    hssize_t m = H5Sget_simple_extent_npoints(sp);
    H5Sclose(sp);
    *n = (int)m;
    *out = calloc((size_t)(m > 0 ? m : 1), elem);
    int rc = 0;
    if (!*out)
        rc = cs_fail(err, CS_EXIT_ERROR, "out of memory");
    else if (m > 0 && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) < 0)
        rc = cs_fail(err, CS_EXIT_USAGE, "%s: cannot read %s", r->path, name);
    H5Dclose(d);
    return rc;
}

static int read_all(rfile *r, const char *name, hid_t mt, void *buf, cs_err *err)
{
    hid_t d = H5Dopen2(r->f, name, H5P_DEFAULT);
    if (d < 0)
        return cs_fail(err, CS_EXIT_USAGE, "%s: no dataset %s", r->path, name);
    int rc = 0;
    if (H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        rc = cs_fail(err, CS_EXIT_USAGE, "%s: cannot read %s", r->path, name);
    H5Dclose(d);
    return rc;
}

/* A per-task char dataset (store.h) as NUL-terminated rows of CS_REASON_LEN bytes; all
 * "" when the file has none. */
static int read_chars(rfile *r, const char *name, char **out, cs_err *err)
{
    size_t nt = (size_t)(r->n_tasks > 0 ? r->n_tasks : 1);
    if (!(*out = calloc(nt, CS_REASON_LEN)))
        return cs_fail(err, CS_EXIT_ERROR, "out of memory");
    int rc = 0;
    hid_t ct = H5Tcopy(H5T_C_S1);
    H5Tset_size(ct, 1);
    if (r->n_tasks > 0 && H5Lexists(r->f, name, H5P_DEFAULT) > 0)
        rc = read_all(r, name, ct, *out, err);
    H5Tclose(ct);
    for (long t = 0; t < r->n_tasks; t++)
        (*out)[(t + 1) * CS_REASON_LEN - 1] = 0;
    return rc;
}

/* A per-task int64 dataset, -1 everywhere when the file has none. */
static int read_int64_or_absent(rfile *r, const char *name, int64_t **out, cs_err *err)
{
    size_t nt = (size_t)(r->n_tasks > 0 ? r->n_tasks : 1);
    if (!(*out = malloc(nt * sizeof **out)))
        return cs_fail(err, CS_EXIT_ERROR, "out of memory");
    for (size_t t = 0; t < nt; t++)
        (*out)[t] = -1;
    if (r->n_tasks > 0 && H5Lexists(r->f, name, H5P_DEFAULT) > 0)
        return read_all(r, name, H5T_NATIVE_INT64, *out, err);
    return 0;
}

static int rfile_open(rfile *r, const char *path, int want_reasons, int verify, cs_err *err)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    r->f = -1;
    if (store_validate(path, verify, &r->integ, err))
        return err->code;
    r->f = store_open_read(path, err);
    if (r->f < 0)
        return err->code;
    int rc;
    /* activation: variable-length strings */
    hid_t d = H5Dopen2(r->f, "activation", H5P_DEFAULT);
    if (d < 0)
        return cs_fail(err, CS_EXIT_USAGE, "%s: no activation coordinate (not a critsweep "
                                           "results file?)", path);
    hid_t sp = H5Dget_space(d);
    r->n[0] = (int)H5Sget_simple_extent_npoints(sp);
    H5Sclose(sp);
    char **tmp = calloc((size_t)r->n[0] + 1, sizeof *tmp);
    r->act = calloc((size_t)r->n[0] + 1, sizeof *r->act);
    hid_t vt = H5Tcopy(H5T_C_S1);
    H5Tset_size(vt, H5T_VARIABLE);
    H5Tset_cset(vt, H5T_CSET_UTF8);
    rc = !tmp || !r->act || (r->n[0] > 0 && H5Dread(d, vt, H5S_ALL, H5S_ALL, H5P_DEFAULT, tmp) < 0);
    if (!rc) {
        for (int i = 0; i < r->n[0]; i++) {
            r->act[i] = strdup(tmp[i] ? tmp[i] : "");
            if (tmp[i])
                H5free_memory(tmp[i]);
        }
    }
    free(tmp);
    H5Tclose(vt);
    H5Dclose(d);
    if (rc)
        return cs_fail(err, CS_EXIT_USAGE, "%s: cannot read the activation coordinate", path);
    if ((rc = read_axis(r, "width", H5T_NATIVE_INT32, 4, &r->n[1], (void **)&r->width, err)) ||
        (rc = read_axis(r, "sigma_b2", H5T_NATIVE_DOUBLE, 8, &r->n[2], (void **)&r->sb2, err)) ||
        (rc = read_axis(r, "sigma_w2", H5T_NATIVE_DOUBLE, 8, &r->n[3], (void **)&r->sw2, err)) ||
        (rc = read_axis(r, "seed", H5T_NATIVE_INT64, 8, &r->n[4], (void **)&r->seed, err)))
        return rc;
    r->n_tasks = 1;
    for (int i = 0; i < 5; i++)
        r->n_tasks *= r->n[i];
    size_t nt = (size_t)(r->n_tasks > 0 ? r->n_tasks : 1);
    r->status = malloc(nt);
    r->attempts = malloc(nt * sizeof *r->attempts);
    if (!r->status || !r->attempts)
        return cs_fail(err, CS_EXIT_ERROR, "out of memory");
    if (r->n_tasks > 0 &&
        ((rc = read_all(r, "status", H5T_NATIVE_INT8, r->status, err)) ||
         (rc = read_all(r, "attempts", H5T_NATIVE_INT32, r->attempts, err))))
        return rc;
    if (want_reasons &&
        ((rc = read_chars(r, "failure_reason", &r->reasons, err)) ||
         (rc = read_chars(r, "fit_note", &r->notes, err)) ||
         (rc = read_int64_or_absent(r, "n_exploded", &r->exploded, err)) ||
         (rc = read_int64_or_absent(r, "n_inputs", &r->inputs, err))))
        return rc;
    return rc;
}

/* Index of task t along axis a (0..4), row-major with the seed fastest. */
static int axis_index(const rfile *r, long t, int a)
{
    for (int k = 4; k > a; k--)
        t /= r->n[k];
    return (int)(t % r->n[a]);
}

static void axis_label(const rfile *r, int a, int i, char *buf, size_t n)
{
    switch (a) {
    case 0: snprintf(buf, n, "%s", r->act[i]); break;
    case 1: snprintf(buf, n, "%d", r->width[i]); break;
    case 2: snprintf(buf, n, "%g", r->sb2[i]); break;
    case 3: snprintf(buf, n, "%g", r->sw2[i]); break;
    default: snprintf(buf, n, "%lld", (long long)r->seed[i]); break;
    }
}

static const char *const axis_names[5] = {"activation", "width", "sigma_b2", "sigma_w2", "seed"};

static int completed(int8_t s)
{
    return s == CS_STATUS_DONE || s == CS_STATUS_DIVERGED;
}

/* Failed tasks; completed tasks whose exponents carry a fit note, or whose avalanches
 * exploded. */
static int failed(const rfile *r, long t)
{
    return r->status[t] == CS_STATUS_FAILED;
}

static int noted(const rfile *r, long t)
{
    return completed(r->status[t]) && r->notes && r->notes[t * CS_REASON_LEN];
}

static int exploded(const rfile *r, long t)
{
    return completed(r->status[t]) && r->exploded && r->exploded[t] > 0;
}

/* "task T (activation=..., ..., seed=...)" */
static void print_task(const rfile *r, long t)
{
    char lab[64];
    printf("  task %ld (", t);
    for (int a = 0; a < 5; a++) {
        axis_label(r, a, axis_index(r, t, a), lab, sizeof lab);
        printf("%s%s=%s", a ? ", " : "", axis_names[a], lab);
    }
    printf(")");
}

/* Opens one element of a JSON array of tasks: the task index and its coordinates. */
static void json_task_begin(json_writer *e, const rfile *r, long t)
{
    char lab[64];
    json_begin(e, stdout);
    json_int(e, "task", t);
    for (int a = 0; a < 5; a++) {
        axis_label(r, a, axis_index(r, t, a), lab, sizeof lab);
        json_str(e, axis_names[a], lab);
    }
}

/* The tasks of one kind (pred) as a JSON array under key; extra writes their fields. */
static void json_task_list(const char *key, const rfile *r, int (*pred)(const rfile *, long),
                           void (*extra)(json_writer *, const rfile *, long))
{
    printf(", \"%s\": [", key);
    int k = 0;
    for (long t = 0; t < r->n_tasks; t++) {
        if (!pred(r, t))
            continue;
        if (k++)
            fputs(", ", stdout);
        json_writer e;
        json_task_begin(&e, r, t);
        extra(&e, r, t);
        fputs("}", stdout);
    }
    fputs("]", stdout);
}

static void json_failed(json_writer *e, const rfile *r, long t)
{
    json_int(e, "attempts", r->attempts[t]);
    json_str(e, "reason", r->reasons + t * CS_REASON_LEN);
}

static void json_note(json_writer *e, const rfile *r, long t)
{
    json_str(e, "fit_note", r->notes + t * CS_REASON_LEN);
}

/* Rows the integrity check found damaged (status out of range, checksum mismatch). */
static int damaged_row(const rfile *r, long t)
{
    return r->integ.damaged && r->integ.damaged[t];
}

static const char *damage_kind(const rfile *r, long t)
{
    return r->status[t] < 0 || r->status[t] > 3 ? "status outside 0..3" : "checksum mismatch";
}

static void json_damage(json_writer *e, const rfile *r, long t)
{
    json_int(e, "status_byte", r->status[t]);
    json_str(e, "damage", damage_kind(r, t));
}

static void json_exploded(json_writer *e, const rfile *r, long t)
{
    json_int(e, "n_exploded", r->exploded[t]);
    json_int(e, "n_inputs", r->inputs[t]);
}

/* Text: the first 20 tasks of one kind under a heading; the count first. */
static void print_task_list(const char *heading, const rfile *r,
                            int (*pred)(const rfile *, long), int is_note)
{
    long n = 0, shown = 0;
    for (long t = 0; t < r->n_tasks; t++)
        n += pred(r, t);
    if (!n)
        return;
    printf("%s: %ld task%s\n", heading, n, n == 1 ? "" : "s");
    for (long t = 0; t < r->n_tasks && shown < 20; t++) {
        if (!pred(r, t))
            continue;
        shown++;
        print_task(r, t);
        if (is_note)
            printf(": %s\n", r->notes + t * CS_REASON_LEN);
        else
            printf(": %lld of %lld avalanches\n", (long long)r->exploded[t],
                   (long long)r->inputs[t]);
    }
    if (n > shown)
        printf("  … %ld more (critsweep status --json lists all)\n", n - shown);
}

int cli_status(int argc, char **argv)
{
    const char *path = NULL;
    int json = 0, verify = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            status_help(stdout);
            return CS_EXIT_OK;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--verify")) {
            verify = 1;
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error("status", "unknown option '%s' (critsweep status --help)", a);
        } else if (path) {
            return cli_usage_error("status", "one file at a time (got '%s' and '%s')", path, a);
        } else {
            path = a;
        }
    }
    if (!path)
        return cli_usage_error("status", "which file? usage: critsweep status FILE [--json]");
    rfile r;
    cs_err err = {0, ""};
    int rc = rfile_open(&r, path, 1, verify, &err);
    store_run *runs = NULL;
    long n_runs = 0;
    if (!rc)
        rc = store_read_runs(r.f, &runs, &n_runs, &err);
    if (rc) {
        fprintf(stderr, "critsweep status: %s\n", err.msg);
        rfile_free(&r);
        return rc;
    }
    char *name = store_read_string_attr(r.f, "sweep_name");
    char *hash = store_read_string_attr(r.f, "sweep_hash");
    char *created = store_read_string_attr(r.f, "created");
    long cnt[4] = {0, 0, 0, 0}, interrupted = 0;
    long damaged = r.integ.n_bad_status + r.integ.n_bad_checksum;
    const char *checks = !r.integ.has_checksums ? "unverified (critsweep 0.1.0 file: no row checksums)"
                         : r.integ.rows_verified ? "verified" : "not checked (--verify checks them)";
    for (long t = 0; t < r.n_tasks; t++) {
        int s = r.status[t];
        if (r.integ.damaged && r.integ.damaged[t])
            continue;
        if (s >= 0 && s < 4)
            cnt[s]++;
        if (s == CS_STATUS_PENDING && r.attempts[t] > 0)
            interrupted++;
    }
    double pct = r.n_tasks ? 100.0 * (double)(cnt[1] + cnt[3]) / (double)r.n_tasks : 100;
    /* per-axis progress: completed / total per axis value */
    long *ax_done[5], *ax_tot[5];
    for (int a = 0; a < 5; a++) {
        ax_done[a] = calloc((size_t)r.n[a] + 1, sizeof(long));
        ax_tot[a] = calloc((size_t)r.n[a] + 1, sizeof(long));
    }
    for (long t = 0; t < r.n_tasks; t++)
        for (int a = 0; a < 5; a++) {
            int i = axis_index(&r, t, a);
            ax_tot[a][i]++;
            ax_done[a][i] += completed(r.status[t]);
        }
    char lab[64];
    if (json) {
        json_writer w;
        json_begin(&w, stdout);
        json_str(&w, "file", path);
        json_str(&w, "sweep_name", name ? name : "");
        json_str(&w, "sweep_hash", hash ? hash : "");
        json_str(&w, "created", created ? created : "");
        json_int(&w, "n_tasks", r.n_tasks);
        json_int(&w, "done", cnt[1]);
        json_int(&w, "diverged", cnt[3]);
        json_int(&w, "failed", cnt[2]);
        json_int(&w, "pending", cnt[0]);
        json_int(&w, "interrupted", interrupted);
        json_int(&w, "damaged", damaged);
        json_str(&w, "checksums", checks);
        json_bool(&w, "complete", cnt[0] == 0 && damaged == 0);
        json_num(&w, "percent_complete", pct);
        json_object_begin(&w, "axes");
        for (int a = 0; a < 5; a++) {
            json_object_begin(&w, axis_names[a]);
            for (int i = 0; i < r.n[a]; i++) {
                axis_label(&r, a, i, lab, sizeof lab);
                json_object_begin(&w, lab);
                json_int(&w, "completed", ax_done[a][i]);
                json_int(&w, "total", ax_tot[a][i]);
                json_object_end(&w);
            }
            json_object_end(&w);
        }
        json_object_end(&w);
        /* Arrays of objects: the shared writer has none, so each element is its own
         * object written with it. */
        json_task_list("failed_tasks", &r, failed, json_failed);
        json_task_list("fit_notes", &r, noted, json_note);
        json_task_list("exploded_tasks", &r, exploded, json_exploded);
        json_task_list("damaged_tasks", &r, damaged_row, json_damage);
        fputs(", \"runs\": [", stdout);
        for (long i = 0; i < n_runs; i++) {
            if (i)
                fputs(", ", stdout);
            json_writer e;
            json_begin(&e, stdout);
            json_str(&e, "start", runs[i].start);
            json_str(&e, "end", runs[i].end);
            json_int(&e, "ranks", runs[i].ranks);
            json_int(&e, "tasks_done", runs[i].tasks_done);
            json_str(&e, "slurm_job_id", runs[i].slurm_job_id);
            json_str(&e, "exit_state", runs[i].exit_state);
            fputs("}", stdout);
        }
        fputs("]", stdout);
        json_end(&w);
    } else {
        printf("%s: sweep %s (hash %s), created %s\n", path, name ? name : "?", hash ? hash : "?",
               created ? created : "?");
        printf("tasks: %ld; done %ld, diverged %ld, failed %ld, pending %ld (%ld interrupted "
               "mid-task); %.1f%% complete%s\n",
               r.n_tasks, cnt[1], cnt[3], cnt[2], cnt[0], interrupted, pct,
               cnt[0] == 0 ? "" : " (run the same command again to resume)");
        printf("row checksums: %s\n", checks);
        if (damaged) {
            printf("DAMAGED rows: %ld (%ld status bytes outside 0..3, %ld checksum mismatches); "
                   "`critsweep run` on the sweep computes them again:\n",
                   damaged, r.integ.n_bad_status, r.integ.n_bad_checksum);
            long shown = 0;
            for (long t = 0; t < r.n_tasks && shown < 20; t++) {
                if (!r.integ.damaged[t])
                    continue;
                shown++;
                print_task(&r, t);
                printf(": %s\n", damage_kind(&r, t));
            }
            if (damaged > shown)
                printf("  … %ld more (critsweep status --json lists all)\n", damaged - shown);
        }
        for (int a = 0; a < 5; a++) {
            printf("  %-10s", axis_names[a]);
            for (int i = 0; i < r.n[a]; i++) {
                axis_label(&r, a, i, lab, sizeof lab);
                printf(" %s %ld/%ld", lab, ax_done[a][i], ax_tot[a][i]);
                if (i >= 11 && r.n[a] > 13) {
                    printf(" … (%d more)", r.n[a] - i - 1);
                    break;
                }
            }
            putchar('\n');
        }
        if (cnt[2]) {
            printf("failed tasks:\n");
            long shown = 0;
            for (long t = 0; t < r.n_tasks && shown < 20; t++) {
                if (r.status[t] != CS_STATUS_FAILED)
                    continue;
                shown++;
                print_task(&r, t);
                printf(", attempts %d: %s\n", r.attempts[t], r.reasons + t * CS_REASON_LEN);
            }
            if (cnt[2] > shown)
                printf("  … %ld more (critsweep status --json lists all)\n", cnt[2] - shown);
        }
        print_task_list("exponents NaN (fit_note: degenerate samples)", &r, noted, 1);
        print_task_list("avalanches left float range (n_exploded > 0: their S are lower bounds)",
                        &r, exploded, 0);
        printf("runs:\n  %-3s %-21s %-21s %5s %10s %-12s %s\n", "#", "start", "end", "ranks",
               "tasks_done", "slurm_job_id", "exit_state");
        for (long i = 0; i < n_runs; i++)
            printf("  %-3ld %-21s %-21s %5d %10lld %-12s %s\n", i, runs[i].start,
                   runs[i].end[0] ? runs[i].end : "-", runs[i].ranks,
                   (long long)runs[i].tasks_done,
                   runs[i].slurm_job_id[0] ? runs[i].slurm_job_id : "-",
                   runs[i].end[0] ? runs[i].exit_state : "running or killed");
    }
    for (int a = 0; a < 5; a++) {
        free(ax_done[a]);
        free(ax_tot[a]);
    }
    free(name);
    free(hash);
    free(created);
    free(runs);
    rfile_free(&r);
    if (damaged) {
        fprintf(stderr, "critsweep status: %s is damaged: %ld rows (listed above)\n", path,
                damaged);
        return CS_EXIT_USAGE;
    }
    return CS_EXIT_OK;
}

/* ================================================================== export ===== */

static void export_help(FILE *f)
{
    fprintf(f,
            "usage: critsweep export FILE --csv [-o OUT.csv]\n\n"
            "Writes one CSV row per task: task index, the coordinates (activation, width,\n"
            "sigma_b2, sigma_w2, seed), status (0 pending, 1 done, 2 failed, 3 diverged),\n"
            "attempts, failure_reason, then every per-task scalar of the results file\n"
            "(fit_note, why exponents are NaN, among them).\n"
            "Floats are printed in the shortest form that reads back exactly; NaN as nan.\n"
            "Works while a run is writing (read-only, no locking).\n\n"
            "options:\n"
            "  --csv       comma-separated values (the only format)\n"
            "  -o OUT      output file (default: standard output)\n"
            "  -h, --help  this help\n");
}

static void csv_string(FILE *f, const char *s)
{
    int quote = strpbrk(s, ",\"\n\r") != NULL;
    if (!quote) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_double(FILE *f, double v)
{
    if (isnan(v))
        fputs("nan", f);
    else if (isinf(v))
        fputs(v > 0 ? "inf" : "-inf", f);
    else {
        /* Shortest form that reads back exactly (0.8, not 0.80000000000000004). */
        char buf[40];
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(buf, sizeof buf, "%.*g", prec, v);
            if (strtod(buf, NULL) == v)
                break;
        }
        fputs(buf, f);
    }
}

int cli_export(int argc, char **argv)
{
    const char *path = NULL, *out = NULL;
    int csv = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            export_help(stdout);
            return CS_EXIT_OK;
        } else if (!strcmp(a, "--csv")) {
            csv = 1;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            if (i + 1 >= argc)
                return cli_usage_error("export", "%s needs a file name", a);
            out = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error("export", "unknown option '%s' (critsweep export --help)", a);
        } else if (path) {
            return cli_usage_error("export", "one file at a time (got '%s' and '%s')", path, a);
        } else {
            path = a;
        }
    }
    if (!path)
        return cli_usage_error("export", "which file? usage: critsweep export FILE --csv [-o OUT]");
    if (!csv)
        return cli_usage_error("export", "choose a format: --csv (the only one)");
    rfile r;
    cs_err err = {0, ""};
    int rc = rfile_open(&r, path, 1, 1, &err);
    if (!rc && r.integ.damaged)
        rc = cs_fail(&err, CS_EXIT_USAGE, "%s is damaged: %ld finished rows do not match their "
                     "checksum and %ld status bytes are outside 0..3; `critsweep run` on its "
                     "sweep computes them again (`critsweep status --verify` lists them); "
                     "nothing was exported", path, r.integ.n_bad_checksum, r.integ.n_bad_status);
    if (rc) {
        fprintf(stderr, "critsweep export: %s\n", err.msg);
        rfile_free(&r);
        return rc;
    }
    const store_field *fields;
    int nf = store_fields(&fields);
    size_t nt = (size_t)(r.n_tasks > 0 ? r.n_tasks : 1);
    double **vals = calloc((size_t)nf, sizeof *vals);
    int64_t **ivals = calloc((size_t)nf, sizeof *ivals);
    char **texts = calloc((size_t)nf, sizeof *texts);
    int *present = calloc((size_t)nf, sizeof *present);
    if (!vals || !ivals || !texts || !present) {
        rfile_free(&r);
        return cli_usage_error("export", "out of memory");
    }
    for (int k = 0; k < nf && !rc; k++) {
        int scalar = fields[k].trailing == STORE_TR_NONE || fields[k].type == STORE_CHAR;
        if (!scalar || H5Lexists(r.f, fields[k].name, H5P_DEFAULT) <= 0)
            continue;
        present[k] = 1;
        if (fields[k].type == STORE_CHAR) {
            rc = read_chars(&r, fields[k].name, &texts[k], &err);
        } else if (fields[k].type == STORE_F64) {
            vals[k] = malloc(nt * sizeof **vals);
            rc = !vals[k] ? cs_fail(&err, CS_EXIT_ERROR, "out of memory")
                          : read_all(&r, fields[k].name, H5T_NATIVE_DOUBLE, vals[k], &err);
        } else {
            ivals[k] = malloc(nt * sizeof **ivals);
            rc = !ivals[k] ? cs_fail(&err, CS_EXIT_ERROR, "out of memory")
                           : read_all(&r, fields[k].name, H5T_NATIVE_INT64, ivals[k], &err);
        }
    }
    FILE *f = stdout;
    if (!rc && out && !(f = fopen(out, "w")))
        rc = cs_fail(&err, CS_EXIT_USAGE, "%s: cannot write: %s", out, strerror(errno));
    if (!rc) {
        fputs("task,activation,width,sigma_b2,sigma_w2,seed,status,attempts,failure_reason", f);
        for (int k = 0; k < nf; k++)
            if (present[k])
                fprintf(f, ",%s", fields[k].name);
        fputc('\n', f);
        for (long t = 0; t < r.n_tasks; t++) {
            fprintf(f, "%ld,", t);
            csv_string(f, r.act[axis_index(&r, t, 0)]);
            fprintf(f, ",%d,", r.width[axis_index(&r, t, 1)]);
            csv_double(f, r.sb2[axis_index(&r, t, 2)]);
            fputc(',', f);
            csv_double(f, r.sw2[axis_index(&r, t, 3)]);
            fprintf(f, ",%lld,%d,%d,", (long long)r.seed[axis_index(&r, t, 4)], r.status[t],
                    r.attempts[t]);
            csv_string(f, r.reasons + t * CS_REASON_LEN);
            for (int k = 0; k < nf; k++) {
                if (!present[k])
                    continue;
                fputc(',', f);
                if (texts[k])
                    csv_string(f, texts[k] + t * CS_REASON_LEN);
                else if (vals[k])
                    csv_double(f, vals[k][t]);
                else
                    fprintf(f, "%lld", (long long)ivals[k][t]);
            }
            fputc('\n', f);
        }
        if (ferror(f) || (f != stdout && fclose(f) != 0))
            rc = cs_fail(&err, CS_EXIT_ERROR, "%s: write failed (disk full?)", out ? out : "stdout");
    }
    if (rc)
        fprintf(stderr, "critsweep export: %s\n", err.msg);
    for (int k = 0; k < nf; k++) {
        free(vals[k]);
        free(ivals[k]);
        free(texts[k]);
    }
    free(vals);
    free(ivals);
    free(texts);
    free(present);
    rfile_free(&r);
    return rc;
}

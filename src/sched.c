/* sched.c — master-worker over MPI, stop signals, progress (see sched.h).
 *
 * Messages (all MPI_LONG):
 *   worker → master, tag TAG_REQ:  {kind, task, status}  kind = READY (once), RESULT,
 *                                   ABANDONED (grace ran out mid-task), FATAL (this
 *                                   worker cannot go on), DECLINED (handed out but not
 *                                   started because of a stop: stays pending)
 *   master → worker, tag TAG_WORK: {task, attempt}, or {−1, 0} = end, sent exactly once
 *                                   when the worker holds no task and gets no more
 *   master → worker, tag TAG_STOP: {remaining grace in ms}   to workers holding tasks
 *                                   when the master learns of a stop
 * Each worker holds up to PREFETCH tasks: one running and the next already in hand, so
 * it never waits for the master, whose polling may sleep up to POLL_MAX_NS.
 * The master keeps, per worker, how many handed-out tasks are not yet accounted for
 * (RESULT/ABANDONED/FATAL/DECLINED each settle one) and sends the end message when that
 * count is 0 and there is nothing more to give.
 * Only the main thread of a rank calls MPI or HDF5 (MPI_THREAD_FUNNELED). */
#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "critsweep/common.h"
#include "critsweep/data.h"
#include "critsweep/grid.h"
#include "critsweep/sched.h"
#include "critsweep/store.h"
#include "critsweep/task.h"

enum { TAG_REQ = 11, TAG_WORK = 12, TAG_STOP = 13 };
enum { MSG_READY = 0, MSG_RESULT = 1, MSG_ABANDONED = 2, MSG_FATAL = 3, MSG_DECLINED = 4 };

/* Master polling backoff: short right after traffic, long when idle.  A worker that
 * finishes waits at most POLL_MAX_NS for its next task. */
#define POLL_MIN_NS 200000L   /* 0.2 ms */
#define POLL_MAX_NS 5000000L  /* 5 ms */
/* Worker main thread: how often it looks for stop requests while its task computes. */
#define WATCH_NS 50000000L    /* 50 ms */

static volatile sig_atomic_t g_signals; /* stop signals received */

static void on_stop_signal(int sig)
{
    (void)sig;
    if (g_signals < 100)
        g_signals++;
}

void sched_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

int sched_stop_requested(void)
{
    return g_signals > 0;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
           (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

static void sleep_ns(long ns)
{
    struct timespec t = {ns / 1000000000L, ns % 1000000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR)
        ;
}

/* ---- ordering ---- */

typedef struct {
    double cost;
    long task;
} cost_item;

static int cmp_cost_desc(const void *a, const void *b)
{
    const cost_item *x = a, *y = b;
    if (x->cost != y->cost)
        return x->cost < y->cost ? 1 : -1;
    return (x->task > y->task) - (x->task < y->task);
}

void sched_sort_by_cost(const cs_sweep *s, long *tasks, long n)
{
    cost_item *it = malloc((size_t)n * sizeof *it);
    if (!it)
        return; /* index order still works, only less balanced */
    for (long i = 0; i < n; i++) {
        it[i].task = tasks[i];
        it[i].cost = grid_task_cost(s, tasks[i]);
        if (!isfinite(it[i].cost))
            it[i].cost = 0;
    }
    qsort(it, (size_t)n, sizeof *it, cmp_cost_desc);
    for (long i = 0; i < n; i++)
        tasks[i] = it[i].task;
    free(it);
}

/* ---- progress (rank 0, stderr) ---- */

typedef struct {
    int tty;
    double t0, last;
    double cost_total, cost_done;
    long total, finished, failed, before, n_tasks;
} progress;

static void fmt_hms(double s, char *out, size_t n)
{
    if (!isfinite(s) || s < 0) {
        snprintf(out, n, "--:--");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(out, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(out, n, "%ld:%02ld", t / 60, t % 60);
}

static void progress_show(progress *p, int final)
{
    double t = cs_now_s();
    if (!final && t - p->last < (p->tty ? 0.5 : 5.0))
        return;
    p->last = t;
    double el = t - p->t0;
    double frac = p->cost_total > 0 ? p->cost_done / p->cost_total
                                    : (p->total ? (double)p->finished / p->total : 1);
    double eta = frac > 0 ? el * (1 - frac) / frac : NAN;
    char e1[32], e2[32];
    fmt_hms(el, e1, sizeof e1);
    fmt_hms(final ? 0 : eta, e2, sizeof e2);
    if (p->tty) {
        int w = 30, fill = (int)(frac * w + 0.5);
        char bar[64];
        for (int i = 0; i < w; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[w] = 0;
        fprintf(stderr, "\r[%s] %ld/%ld tasks %3.0f%%  %s elapsed  ETA %s  failed %ld ", bar,
                p->finished, p->total, 100 * frac, e1, e2, p->failed);
        if (final)
            fputc('\n', stderr);
    } else {
        fprintf(stderr, "critsweep run: %ld/%ld tasks of this run (%ld/%ld in the file), %.0f%% "
                        "of the work, %s elapsed, ETA %s, failed %ld\n",
                p->finished, p->total, p->before + p->finished, p->n_tasks, 100 * frac, e1, e2,
                p->failed);
    }
    fflush(stderr);
}

/* ---- one task on this rank ---- */

typedef struct {
    const cs_sweep *s;
    const data_bundle *data;
    cs_result *r;
    long task;
    int rc;
    cs_err err;
    int done;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} job;

/* Fault injection for the tests of the failure and retry paths: CRITSWEEP_FAIL_TASKS is
 * a comma-separated list of task indices that fail as a task does (status failed, a
 * reason, the sweep goes on).  Real failures depend on the science modules' edge cases. */
static int injected_failure(long task)
{
    const char *v = getenv("CRITSWEEP_FAIL_TASKS");
    while (v && *v) {
        char *end;
        long t = strtol(v, &end, 10);
        if (end == v)
            return 0;
        if (t == task)
            return 1;
        v = *end == ',' ? end + 1 : end;
    }
    return 0;
}

static void *job_main(void *arg)
{
    job *j = arg;
    cs_err e = {0, ""};
    int rc = task_run(j->s, j->task, j->data, j->r, &e);
    if (!rc && injected_failure(j->task)) {
        j->r->status = CS_STATUS_FAILED;
        snprintf(j->r->reason, sizeof j->r->reason,
                 "injected failure (CRITSWEEP_FAIL_TASKS) of task %ld", j->task);
    }
    pthread_mutex_lock(&j->mu);
    j->rc = rc;
    j->err = e;
    j->done = 1;
    pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

typedef struct {
    const sched_opts *o;
    MPI_Comm comm;        /* MPI_COMM_NULL in single-process mode */
    int rank, size;
    store_writer w;
    data_bundle data;
    int have_data;
    cs_result r;
    double deadline;      /* abandon a running task after this (monotonic s); inf if none */
    double waited;        /* seconds blocked with no task in hand (MPI workers) */
    int saw_signals;      /* g_signals already acted on */
} worker;

enum { OUT_FINISHED, OUT_ABANDONED, OUT_FATAL };

/* Every MPI call of the scheduler is checked here.  The communicator returns errors
 * (MPI_ERRORS_RETURN, set in sched_run) so that a failure is reported naming the rank
 * and what it was doing, not by MPI's generic abort.  The master-worker exchange cannot
 * go on with a message lost (the other side would wait for ever), so the job is then
 * aborted: every row in the file is whole (written with its checksum), and the next run
 * computes the tasks left pending.  MPI_Abort itself is the one call left unchecked:
 * it does not return. */
static void mpi_check(const worker *wk, int rc, const char *what)
{
    if (rc == MPI_SUCCESS)
        return;
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(rc, msg, &len) != MPI_SUCCESS)
        snprintf(msg, sizeof msg, "MPI error %d", rc);
    fprintf(stderr, "critsweep run: rank %d: %s failed: %s; aborting the run (the results "
                    "file stays valid: run the same command again to resume)\n",
            wk->rank, what, msg);
    MPI_Abort(wk->comm, CS_EXIT_ERROR);
    _exit(CS_EXIT_ERROR); /* MPI_Abort does not return; if it ever did, stop here */
}

/* Seconds Open MPI's mpirun goes on after a rank exits with code 3.  It takes any
 * non-zero exit for a failed job and runs its kill sequence over every rank it still
 * counts as alive, the rank that just exited among them: SIGCONT, sleep
 * odls_base_sigkill_timeout (1 s), SIGTERM, sleep again, SIGKILL.  Measured with
 * --grace 2, USR1 to mpirun or TERM to the ranks alike: the ranks were gone 1.8 s after
 * the signal and mpirun 2.0 s later (1.0 s when a rank's SIGCHLD cut a sleep short).
 * Its ranks are the processes with OMPI_MCA_orte_hnp_uri set; `--mca
 * odls_base_sigkill_timeout T` reaches them as OMPI_MCA_odls_base_sigkill_timeout. */
static double launcher_exit_time(void)
{
    if (!getenv("OMPI_MCA_orte_hnp_uri"))
        return 0;
    const char *v = getenv("OMPI_MCA_odls_base_sigkill_timeout");
    double t = 1;
    if (v && (cs_parse_double(v, &t) || !(t >= 0)))
        t = 1;
    return 2 * t;
}

/* What a stop keeps back from the grace: time to close the file and leave MPI, and the
 * launcher's own exit, so that the launcher has exited when the grace runs out. */
static double grace_margin(double grace)
{
    double m = 0.2 * grace;
    m = (m > 3 ? 3 : m) + launcher_exit_time();
    return m < grace ? m : grace;
}

/* Applies new stop signals and master stop notices to the deadline. */
static void worker_check_stop(worker *wk)
{
    double t = cs_now_s();
    int sig = g_signals;
    if (sig > wk->saw_signals) {
        double g = wk->o->grace;
        double d = sig >= 2 ? t : t + g - grace_margin(g);
        if (d < wk->deadline)
            wk->deadline = d;
        if (wk->comm == MPI_COMM_NULL) /* in MPI mode the master says it */
            fprintf(stderr, "\ncritsweep run: stop requested: no new tasks; the running one "
                            "gets %.3g s to finish\n", sig >= 2 ? 0.0 : g - grace_margin(g));
        wk->saw_signals = sig;
    }
    if (wk->comm != MPI_COMM_NULL && wk->rank != 0) {
        int flag = 1;
        while (flag) {
            MPI_Status st;
            mpi_check(wk, MPI_Iprobe(0, TAG_STOP, wk->comm, &flag, &st),
                      "probing for a stop notice");
            if (flag) {
                long ms;
                mpi_check(wk, MPI_Recv(&ms, 1, MPI_LONG, 0, TAG_STOP, wk->comm,
                                       MPI_STATUS_IGNORE), "receiving a stop notice");
                double g = ms / 1000.0;
                double d = t + g - grace_margin(g);
                if (d < wk->deadline)
                    wk->deadline = d;
            }
        }
    }
}

/* Runs one task: attempts first, then the computation in a thread, then the row.
 * *status receives the task's status when finished. */
static int worker_run_task(worker *wk, long task, int attempt, int *status, cs_err *err)
{
    if (store_write_attempts(&wk->w, task, attempt, err))
        return OUT_FATAL;
    job *j = calloc(1, sizeof *j);
    if (!j) {
        cs_fail(err, CS_EXIT_ERROR, "out of memory");
        return OUT_FATAL;
    }
    j->s = wk->o->sweep;
    j->data = wk->have_data ? &wk->data : NULL;
    j->r = &wk->r;
    j->task = task;
    pthread_mutex_init(&j->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&j->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_t th;
    if (pthread_create(&th, NULL, job_main, j) != 0) {
        cs_fail(err, CS_EXIT_ERROR, "cannot start a compute thread: %s", strerror(errno));
        free(j);
        return OUT_FATAL;
    }
    pthread_mutex_lock(&j->mu);
    while (!j->done) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += WATCH_NS;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&j->cv, &j->mu, &ts);
        if (j->done)
            break;
        pthread_mutex_unlock(&j->mu);
        worker_check_stop(wk);
        int late = cs_now_s() >= wk->deadline;
        pthread_mutex_lock(&j->mu);
        if (late && !j->done) {
            /* The thread keeps running until the process exits; j and r stay allocated
             * for it.  The row stays pending: the next run starts the task again. */
            pthread_mutex_unlock(&j->mu);
            pthread_detach(th);
            return OUT_ABANDONED;
        }
    }
    pthread_mutex_unlock(&j->mu);
    pthread_join(th, NULL);
    int rc = j->rc;
    cs_err te = j->err;
    pthread_mutex_destroy(&j->mu);
    pthread_cond_destroy(&j->cv);
    free(j);
    if (rc) {
        /* task_run could not go on (out of memory, ...): record it, retire this rank. */
        wk->r.status = CS_STATUS_FAILED;
        snprintf(wk->r.reason, sizeof wk->r.reason, "%.*s", (int)sizeof wk->r.reason - 1,
                 te.msg[0] ? te.msg : "task error");
    }
    if (store_write_result(&wk->w, task, &wk->r, err))
        return OUT_FATAL;
    *status = wk->r.status;
    if (rc) {
        cs_fail(err, rc, "task %ld: %s", task, te.msg);
        return OUT_FATAL;
    }
    return OUT_FINISHED;
}

static int worker_setup(worker *wk, cs_err *err)
{
    const cs_sweep *s = wk->o->sweep;
    int n_profile_d = avalanche_n_profile_d(s->avalanche.shape_dmin, s->avalanche.shape_dmax);
    if (task_result_init(&wk->r, s->avalanche.depth, n_profile_d, s->train.params.epochs,
                         s->dynrange.n_q))
        return cs_fail(err, CS_EXIT_ERROR, "out of memory for a task's result");
    if (s->train.enabled) {
        /* Once per worker: every task of the sweep trains on the same data. */
        int rc = data_load(s->train.data_dir ? s->train.data_dir : CS_DEFAULT_DATA_DIR,
                           s->train.train_subset, &wk->data, err);
        if (rc)
            return rc;
        wk->have_data = 1;
    }
    return 0;
}

/* ---- MPI worker loop ---- */

#define PREFETCH 2

typedef struct {
    long task[PREFETCH + 2], attempt[PREFETCH + 2];
    int n;
    int ended;            /* the end message arrived */
} task_queue;

static void queue_push(task_queue *q, const long rep[2])
{
    if (rep[0] < 0) {
        q->ended = 1;
    } else if (q->n < PREFETCH + 2) {
        q->task[q->n] = rep[0];
        q->attempt[q->n] = rep[1];
        q->n++;
    }
}

static void queue_pop(task_queue *q, long *task, long *attempt)
{
    *task = q->task[0];
    *attempt = q->attempt[0];
    for (int i = 1; i < q->n; i++) {
        q->task[i - 1] = q->task[i];
        q->attempt[i - 1] = q->attempt[i];
    }
    q->n--;
}

static void send_req(worker *wk, long kind, long task, long status)
{
    long msg[3] = {kind, task, status};
    mpi_check(wk, MPI_Send(msg, 3, MPI_LONG, 0, TAG_REQ, wk->comm),
              "sending a message to the master");
}

/* Receives every work message already here (block: wait for one if none queued).
 * *waited accumulates the seconds spent blocked. */
static void receive_work(worker *wk, task_queue *q, int block, double *waited)
{
    for (;;) {
        int flag = 0;
        if (block && q->n == 0 && !q->ended)
            flag = 1;
        else
            mpi_check(wk, MPI_Iprobe(0, TAG_WORK, wk->comm, &flag, MPI_STATUS_IGNORE),
                      "probing for work");
        if (!flag)
            return;
        long rep[2];
        double t = cs_now_s();
        mpi_check(wk, MPI_Recv(rep, 2, MPI_LONG, 0, TAG_WORK, wk->comm, MPI_STATUS_IGNORE),
                  "receiving work");
        if (waited)
            *waited += cs_now_s() - t;
        queue_push(q, rep);
    }
}

/* Stopping: hand back every task held or still arriving, until the end message. */
static void worker_wind_down(worker *wk, task_queue *q)
{
    for (;;) {
        while (q->n > 0) {
            long t, a;
            queue_pop(q, &t, &a);
            send_req(wk, MSG_DECLINED, t, 0);
        }
        if (q->ended)
            return;
        long rep[2];
        mpi_check(wk, MPI_Recv(rep, 2, MPI_LONG, 0, TAG_WORK, wk->comm, MPI_STATUS_IGNORE),
                  "receiving work to hand back");
        queue_push(q, rep);
    }
}

static void worker_loop(worker *wk, sched_summary *sum)
{
    cs_err e = {0, ""};
    task_queue q;
    memset(&q, 0, sizeof q);
    int setup_rc = worker_setup(wk, &e);
    if (setup_rc) {
        fprintf(stderr, "critsweep run: rank %d: %s\n", wk->rank, e.msg);
        send_req(wk, MSG_FATAL, -1, setup_rc); /* no task: status carries the exit code */
        worker_wind_down(wk, &q);
        goto drain;
    }
    send_req(wk, MSG_READY, -1, 0);
    for (int first = 1;; first = 0) {
        /* Waiting for the first task is start-up, not starvation. */
        receive_work(wk, &q, 1, first ? NULL : &wk->waited);
        if (q.n == 0) /* ended */
            break;
        long task, attempt;
        queue_pop(&q, &task, &attempt);
        worker_check_stop(wk);
        if (wk->deadline < INFINITY) { /* a stop is under way: do not start new work */
            send_req(wk, MSG_DECLINED, task, 0);
            worker_wind_down(wk, &q);
            break;
        }
        int status = 0;
        sum->started++;
        int out = worker_run_task(wk, task, (int)attempt, &status, &e);
        if (out == OUT_FINISHED) {
            send_req(wk, MSG_RESULT, task, status);
            continue;
        }
        if (out == OUT_ABANDONED) {
            sum->abandoned_here = 1;
            send_req(wk, MSG_ABANDONED, task, 0);
        } else {
            fprintf(stderr, "critsweep run: rank %d: %s\n", wk->rank, e.msg);
            send_req(wk, MSG_FATAL, task, status);
        }
        worker_wind_down(wk, &q);
        break;
    }
drain:
    /* Stop notices that crossed our last messages. */
    for (int flag = 1; flag;) {
        mpi_check(wk, MPI_Iprobe(0, TAG_STOP, wk->comm, &flag, MPI_STATUS_IGNORE),
                  "probing for a last stop notice");
        if (flag) {
            long ms;
            mpi_check(wk, MPI_Recv(&ms, 1, MPI_LONG, 0, TAG_STOP, wk->comm, MPI_STATUS_IGNORE),
                      "receiving a last stop notice");
        }
    }
}

/* ---- MPI master loop ---- */

typedef struct {
    long *held;       /* (size) tasks handed to each worker and not yet accounted for */
    char *retired;    /* (size) worker gave up (FATAL): no more tasks for it */
    char *ended;      /* (size) end message sent */
    int stopping;
    double t_stop;
    long next;        /* next queue position to hand out */
    int active;       /* workers not yet sent the end message */
    int n_ready;      /* workers that said READY */
    double t_loop;    /* when the loop started (monotonic s) */
} master_state;

/* Stop handing out tasks and tell workers holding tasks how much grace is left: they
 * may not have got the signal (it might have been sent to one rank only).  now_stop:
 * grace 0.  via: the rank that reported the stop, or -1. */
static void master_begin_stop(worker *wk, master_state *m, const progress *pg,
                              sched_summary *sum, int now_stop, int via)
{
    if (!m->stopping) {
        m->stopping = 1;
        sum->stopped = 1;
        m->t_stop = cs_now_s();
        double g = wk->o->grace, keep = grace_margin(g);
        char at[48] = "";
        if (via > 0)
            snprintf(at, sizeof at, " (signal at rank %d)", via);
        fprintf(stderr, "%scritsweep run: stop requested%s: no new tasks; running ones get "
                        "%.3g s to finish (%.3g s of the %.3g s grace kept for closing the "
                        "file and the launcher's exit)\n",
                pg->tty ? "\n" : "", at, now_stop ? 0.0 : g - keep, keep, g);
    }
    double left = now_stop ? 0 : wk->o->grace - (cs_now_s() - m->t_stop);
    long ms = left > 0 ? (long)(left * 1000) : 0;
    for (int wr = 1; wr < wk->size; wr++)
        if (m->held[wr] > 0 && !m->ended[wr])
            mpi_check(wk, MPI_Send(&ms, 1, MPI_LONG, wr, TAG_STOP, wk->comm),
                      "sending a stop notice to a worker");
}

/* Tops worker w up to PREFETCH held tasks, or ends it when it holds none and no more
 * will come. */
static void master_serve(worker *wk, master_state *m, sched_summary *sum, int w)
{
    const sched_opts *o = wk->o;
    while (!m->stopping && !m->retired[w] && m->held[w] < PREFETCH && m->next < o->n_queue) {
        long rep[2];
        rep[0] = o->queue[m->next++];
        rep[1] = (long)o->attempts[rep[0]] + 1;
        mpi_check(wk, MPI_Send(rep, 2, MPI_LONG, w, TAG_WORK, wk->comm),
                  "sending a task to a worker");
        m->held[w]++;
        sum->started++;
    }
    int no_more = m->stopping || m->retired[w] || m->next >= o->n_queue;
    if (m->held[w] == 0 && no_more && !m->ended[w]) {
        long rep[2] = {-1, 0};
        mpi_check(wk, MPI_Send(rep, 2, MPI_LONG, w, TAG_WORK, wk->comm),
                  "sending the end message to a worker");
        m->ended[w] = 1;
        m->active--;
    }
}

/* A task finished (done, diverged or failed): the progress line and the summary. */
static void count_finished(const sched_opts *o, progress *pg, sched_summary *sum, long task,
                           int status)
{
    pg->finished++;
    pg->cost_done += grid_task_cost(o->sweep, task);
    if (status == CS_STATUS_FAILED) {
        pg->failed++;
        sum->failed++;
    } else {
        sum->completed++;
    }
}

/* Accounts for one message of worker w: {kind, task, status}. */
static void master_handle(worker *wk, master_state *m, progress *pg, sched_summary *sum, int w,
                          const long msg[3])
{
    const sched_opts *o = wk->o;
    long kind = msg[0], task = msg[1], status = msg[2];
    if (kind != MSG_READY && !(kind == MSG_FATAL && task < 0))
        m->held[w]--;
    switch (kind) {
    case MSG_READY:
        if (++m->n_ready == wk->size - 1)
            sum->ready = cs_now_s() - m->t_loop;
        break;
    case MSG_FATAL:
        sum->worker_errors++;
        m->retired[w] = 1;
        if (task < 0 && status > sum->error_code)
            sum->error_code = (int)status;
        else if (sum->error_code < CS_EXIT_ERROR)
            sum->error_code = CS_EXIT_ERROR;
        if (task >= 0 && status) { /* its row was written, as failed */
            pg->finished++;
            pg->failed++;
            sum->failed++;
            pg->cost_done += grid_task_cost(o->sweep, task);
        }
        break;
    case MSG_RESULT:
        count_finished(o, pg, sum, task, (int)status);
        break;
    case MSG_ABANDONED:
        sum->abandoned++;
        if (!m->stopping)
            master_begin_stop(wk, m, pg, sum, 0, w);
        break;
    case MSG_DECLINED:
        sum->started--;
        if (!m->stopping)
            master_begin_stop(wk, m, pg, sum, 0, w);
        break;
    }
    master_serve(wk, m, sum, w);
}

static void master_loop(worker *wk, progress *pg, sched_summary *sum)
{
    const sched_opts *o = wk->o;
    master_state m;
    memset(&m, 0, sizeof m);
    m.held = calloc((size_t)wk->size, sizeof *m.held);
    m.retired = calloc((size_t)wk->size, 1);
    m.ended = calloc((size_t)wk->size, 1);
    if (!m.held || !m.retired || !m.ended) {
        fprintf(stderr, "critsweep run: out of memory on the master\n");
        MPI_Abort(wk->comm, CS_EXIT_ERROR);
    }
    m.active = wk->size - 1;
    m.t_loop = cs_now_s();
    int seen = 0;
    long backoff = POLL_MIN_NS;
    long msg[3];
    MPI_Request req;
    mpi_check(wk, MPI_Irecv(msg, 3, MPI_LONG, MPI_ANY_SOURCE, TAG_REQ, wk->comm, &req),
              "posting the receive for workers' messages");
    while (m.active > 0) {
        int flag = 0;
        MPI_Status st;
        mpi_check(wk, MPI_Test(&req, &flag, &st), "testing for a worker's message");
        if (flag) {
            long got[3] = {msg[0], msg[1], msg[2]};
            mpi_check(wk, MPI_Irecv(msg, 3, MPI_LONG, MPI_ANY_SOURCE, TAG_REQ, wk->comm, &req),
                      "posting the receive for workers' messages");
            master_handle(wk, &m, pg, sum, st.MPI_SOURCE, got);
            backoff = POLL_MIN_NS;
            progress_show(pg, 0);
            continue;
        }
        int sig = g_signals;
        if (sig > seen) {
            master_begin_stop(wk, &m, pg, sum, sig >= 2, -1);
            seen = sig;
        }
        if (m.stopping && cs_now_s() > m.t_stop + o->grace + 60) {
            /* Workers police their own deadline; this only catches a hung rank. */
            fprintf(stderr, "critsweep run: workers did not stop within the grace time + 60 s; "
                            "aborting (the file stays valid; run again to resume)\n");
            MPI_Abort(wk->comm, CS_EXIT_INCOMPLETE);
        }
        progress_show(pg, 0);
        sleep_ns(backoff);
        backoff = backoff * 2 > POLL_MAX_NS ? POLL_MAX_NS : backoff * 2;
    }
    mpi_check(wk, MPI_Cancel(&req), "cancelling the last receive");
    mpi_check(wk, MPI_Wait(&req, MPI_STATUS_IGNORE), "completing the cancelled receive");
    free(m.held);
    free(m.retired);
    free(m.ended);
}

/* ---- single process ---- */

static void serial_loop(worker *wk, progress *pg, sched_summary *sum, cs_err *err)
{
    const sched_opts *o = wk->o;
    int rc = worker_setup(wk, err);
    if (rc) {
        sum->worker_errors++;
        sum->error_code = rc;
        return;
    }
    for (long i = 0; i < o->n_queue; i++) {
        worker_check_stop(wk);
        if (g_signals) {
            sum->stopped = 1;
            break;
        }
        long task = o->queue[i];
        int status = 0;
        sum->started++;
        if (i == 0)
            sum->ready = cs_now_s() - pg->t0;
        int out = worker_run_task(wk, task, o->attempts[task] + 1, &status, err);
        if (out == OUT_ABANDONED) {
            sum->abandoned++;
            sum->abandoned_here = 1;
            break;
        }
        if (out == OUT_FATAL) {
            sum->worker_errors++;
            sum->error_code = CS_EXIT_ERROR;
            if (status == CS_STATUS_FAILED) {
                pg->failed++;
                sum->failed++;
            }
            break;
        }
        count_finished(o, pg, sum, task, (int)status);
        progress_show(pg, 0);
    }
    if (g_signals)
        sum->stopped = 1;
}

static void progress_init(progress *pg, const sched_opts *o, int rank)
{
    memset(pg, 0, sizeof *pg);
    pg->tty = isatty(2);
    pg->t0 = pg->last = cs_now_s();
    pg->total = o->n_queue;
    pg->before = o->n_done_before;
    pg->n_tasks = o->n_tasks;
    if (rank == 0)
        for (long i = 0; i < o->n_queue; i++) {
            double c = grid_task_cost(o->sweep, o->queue[i]);
            pg->cost_total += isfinite(c) ? c : 0;
        }
}

int sched_run(const sched_opts *o, MPI_Comm comm, sched_summary *out, cs_err *err)
{
    memset(out, 0, sizeof *out);
    openblas_set_num_threads(1); /* one BLAS thread per rank: ranks are the parallelism */
    /* On the heap, and left there when a task is abandoned: the compute thread still
     * writes its result into wk->r and reads wk->data after this function returns (on
     * the stack they would be the caller's frames by then, and the thread wrote over
     * them: the intermittent SIGABRT/SIGSEGV of a --grace 2 stop). */
    worker *wk = calloc(1, sizeof *wk);
    if (!wk)
        return cs_fail(err, CS_EXIT_ERROR, "out of memory for the scheduler");
    wk->o = o;
    wk->comm = comm;
    wk->rank = 0;
    wk->size = 1;
    wk->deadline = INFINITY;
    if (comm != MPI_COMM_NULL) {
        /* From here on errors come back to mpi_check, which names the call. */
        mpi_check(wk, MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN),
                  "setting MPI_ERRORS_RETURN on the communicator");
        mpi_check(wk, MPI_Comm_rank(comm, &wk->rank), "MPI_Comm_rank");
        mpi_check(wk, MPI_Comm_size(comm, &wk->size), "MPI_Comm_size");
    }
    if (wk->size == 1)
        wk->comm = MPI_COMM_NULL; /* a lone rank writes through the POSIX driver */
    store_writer_init(&wk->w);
    int rc = store_writer_open(&wk->w, o->path, o->sweep, wk->comm, err);
    if (wk->comm != MPI_COMM_NULL) {
        int bad = rc != 0, anybad = 0;
        mpi_check(wk, MPI_Allreduce(&bad, &anybad, 1, MPI_INT, MPI_MAX, wk->comm),
                  "agreeing that every rank opened the results file");
        if (anybad) {
            if (!rc)
                rc = cs_fail(err, CS_EXIT_ERROR, "another rank could not open %s", o->path);
            store_writer_close(&wk->w, NULL);
            free(wk);
            return rc;
        }
    } else if (rc) {
        store_writer_close(&wk->w, NULL);
        free(wk);
        return rc;
    }

    progress pg;
    progress_init(&pg, o, wk->rank);

    double t0 = cs_now_s(), c0 = cpu_s();
    cs_err e = {0, ""};
    if (wk->comm == MPI_COMM_NULL)
        serial_loop(wk, &pg, out, &e);
    else if (wk->rank == 0)
        master_loop(wk, &pg, out);
    else
        worker_loop(wk, out);
    out->wall = cs_now_s() - t0;
    out->master_cpu = cpu_s() - c0;
    out->workers_cpu = out->master_cpu;
    if (wk->comm != MPI_COMM_NULL) {
        /* How busy the workers were: their CPU over the loop, summed on rank 0. */
        double mine[2] = {wk->rank == 0 ? 0 : out->master_cpu, wk->waited}, all[2] = {0, 0};
        mpi_check(wk, MPI_Reduce(mine, all, 2, MPI_DOUBLE, MPI_SUM, 0, wk->comm),
                  "summing the workers' CPU times");
        out->workers_cpu = all[0];
        out->workers_wait = all[1];
    }
    if (wk->rank == 0 && o->n_queue)
        progress_show(&pg, 1);
    if (e.code && wk->comm == MPI_COMM_NULL)
        fprintf(stderr, "critsweep run: %s\n", e.msg);

    int crc = store_writer_close(&wk->w, err);
    if (!out->abandoned_here) {
        /* A compute thread still uses these otherwise; the process exits soon anyway. */
        task_result_free(&wk->r);
        if (wk->have_data)
            data_free(&wk->data);
        free(wk);
    }
    return crc;
}

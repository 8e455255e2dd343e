/* bench.c — `critsweep bench`: the avalanche engine against OpenBLAS sgemm and the
 * Python reference, then the training benchmark (bench_train.c).
 *
 * The point: N = 500, L_max = 1000, tanh, σ_w² = 1.002, σ_b² = 0, q0 = 0.1, K = 1000,
 * one BLAS thread.  Reported:
 *   - OpenBLAS sgemm GFLOP/s on 500×500 × 500×1000 in both operand forms (A·W, the
 *     engine's call on its stored Wᵀ, and A·Wᵀ), measured here, in this run (best of 8
 *     slices); the faster of the two is the reference;
 *   - normals per second of rng_fill_normal filling 500×500 matrices;
 *   - avalanches per second of avalanche_run, with its wall time split into drawing
 *     (weights, drives), sgemm, and the rest (activations, norms, records, compaction);
 *   - propagation GFLOP/s: 2·N·N·rows per layer actually computed (rows = active
 *     avalanches + tangent, + baseline when σ_b² > 0), over the propagation time (the
 *     run's CPU time minus its drawing replayed alone) and over the whole run, each as
 *     a fraction of the sgemm rate; and the
 *     time plain sgemm needs for exactly the same calls, at their row counts and with
 *     the rows padded as the engine pads them (AVALANCHE_ROW_BLOCK; most layers carry a
 *     few dozen rows, where sgemm runs below its 1000-row rate because it repacks the
 *     1 MB weight matrix every call);
 *   - peak RSS (getrusage);
 *   - tests/bench/reference_point.py (PyTorch, one input at a time, the reference's
 *     algorithm) on a fixed number of inputs, and our/its inputs per second.
 * Rates use process CPU time (single-threaded on both sides), so a busy machine does
 * not distort the ratios; wall-clock figures are printed beside them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cblas.h>

#include "critsweep/avalanche.h"
#include "critsweep/bench.h"
#include "critsweep/common.h"
#include "critsweep/net.h"
#include "critsweep/rng.h"

#define BN 500
#define BL 1000
#define BK 1000

/* sgemm GFLOP/s (CPU time) of C(1000×500) = A(1000×500)·op(W), op(W) = W (trans = 0, the
 * engine's call on its stored Wᵀ) or Wᵀ (trans = 1): the best of 8 slices of ~seconds/8
 * each (the machine's peak for this call, as a benchmark's reference should be; an
 * average would fold in whatever else the machine is doing). */
static double sgemm_rate(double seconds, int trans)
{
    size_t n = (size_t)BN * BN, m = (size_t)BK * BN;
    float *W = malloc(n * sizeof *W), *A = malloc(m * sizeof *A), *C = malloc(m * sizeof *C);
    if (!W || !A || !C) {
        free(W), free(A), free(C);
        return NAN;
    }
    CBLAS_TRANSPOSE tw = trans ? CblasTrans : CblasNoTrans;
    cs_rng r;
    rng_init(&r, 1, 1);
    rng_fill_normal(&r, W, n, 0.05f);
    rng_fill_normal(&r, A, m, 1.0f);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, tw, BK, BN, BN, 1.0f, A, BN, W, BN, 0.0f, C,
                BN); /* warm-up */
    double best = 0;
    for (int slice = 0; slice < 8; slice++) {
        long reps = 0;
        double t0 = cs_thread_cpu_s(), dt;
        do {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, tw, BK, BN, BN, 1.0f, A, BN, W, BN, 0.0f,
                        C, BN);
            reps++;
            dt = cs_thread_cpu_s() - t0;
        } while (dt < seconds / 8);
        double rate = 2.0 * BN * BN * BK * (double)reps / dt * 1e-9;
        best = rate > best ? rate : best;
    }
    free(W), free(A), free(C);
    return best;
}

/* CPU seconds plain sgemm needs for the engine's calls: counts[b] layers of b rows
 * (each a (b, N)·(N, N)ᵀ product), each call given b rows rounded up to a multiple of
 * `block`, from the best of 3 timings per shape. */
static double sgemm_same_shapes(const long *counts, long max_rows, int block)
{
    size_t n = (size_t)BN * BN, m = (size_t)(max_rows + block) * BN;
    float *W = malloc(n * sizeof *W), *A = malloc(m * sizeof *A), *C = malloc(m * sizeof *C);
    if (!W || !A || !C) {
        free(W), free(A), free(C);
        return NAN;
    }
    cs_rng r;
    rng_init(&r, 3, 3);
    rng_fill_normal(&r, W, n, 0.05f);
    rng_fill_normal(&r, A, m, 1.0f);
    double total = 0;
    for (long b = 1; b <= max_rows; b++) {
        if (!counts[b])
            continue;
        int rows = (int)((b + block - 1) / block * block);
        int reps = (int)(2e6 / (2.0 * BN * BN * (double)rows)) + 1; /* >= ~2 MFLOP a timing */
        double best = INFINITY;
        for (int k = 0; k < 3; k++) {
            double t0 = cs_thread_cpu_s();
            for (int q = 0; q < reps; q++)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, BN, BN, 1.0f, A,
                            BN, W, BN, 0.0f, C, BN);
            double t = (cs_thread_cpu_s() - t0) / reps;
            best = t < best ? t : best;
        }
        total += best * (double)counts[b];
    }
    free(W), free(A), free(C);
    return total;
}

/* CPU seconds of the run's drawing alone, replayed: the drives and tangent of every
 * network and `layers` weight draws (every network here reaches L_max, so layer k is
 * layer k % L_max + 1 of network k / L_max).  The propagation's time is the run's CPU
 * time minus this: no per-layer clock, and anything the draws cost the propagation
 * (caches) is charged to the propagation. */
static double draw_replay_s(const avalanche_params *p, long n_net, long layers)
{
    size_t N = (size_t)p->width, K = (size_t)p->per_network;
    float *X = malloc((K + 1) * N * sizeof *X); /* drives, then the tangent */
    net_layer layer;
    cs_err err = {0, ""};
    if (!X || net_layer_init(&layer, p->width, p->sigma_w2, p->sigma_b2, p->key, &err)) {
        free(X);
        return NAN;
    }
    double t0 = cs_thread_cpu_s();
    for (long net = 0; net < n_net; net++)
        avalanche_draw_inputs(p->key, net, (int)K, p->width, X, X + K * N);
    for (long k = 0; k < layers; k++)
        net_layer_draw(&layer, k / p->depth, (int)(k % p->depth) + 1);
    double t = cs_thread_cpu_s() - t0;
    net_layer_free(&layer);
    free(X);
    return t;
}

static double normal_rate(double seconds)
{
    size_t n = (size_t)BN * BN;
    float *W = malloc(n * sizeof *W);
    if (!W)
        return NAN;
    cs_rng r;
    rng_init(&r, 2, 2);
    long reps = 0;
    double t0 = cs_thread_cpu_s(), dt;
    do {
        rng_fill_normal(&r, W, n, 1.0f);
        reps++;
        dt = cs_thread_cpu_s() - t0;
    } while (dt < seconds);
    free(W);
    return (double)n * (double)reps / dt;
}

/* tests/bench/reference_point.py from the working directory, beside the binary's
 * source tree (build dirs live in it), or $CRITSWEEP_REFERENCE_POINT. */
static int find_reference(char *path, size_t cap)
{
    const char *rel = "tests/bench/reference_point.py";
    const char *env = getenv("CRITSWEEP_REFERENCE_POINT");
    if (env && access(env, R_OK) == 0) {
        snprintf(path, cap, "%s", env);
        return 0;
    }
    snprintf(path, cap, "%s", rel);
    if (access(path, R_OK) == 0)
        return 0;
    char exe[2048];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k <= 0)
        return -1;
    exe[k] = 0;
    for (int up = 0; up < 4; up++) {
        char *slash = strrchr(exe, '/');
        if (!slash)
            break;
        *slash = 0;
        snprintf(path, cap, "%.2000s/%s", exe, rel);
        if (access(path, R_OK) == 0)
            return 0;
    }
    return -1;
}

/* Runs the Python reference on `inputs` drives; returns its inputs/s (CPU), or NAN with
 * a reason in note. */
static double python_reference(long inputs, char *note, size_t cap, double *draw_s,
                               double *in_s, double *steps)
{
    char script[4096], cmd[8192];
    if (find_reference(script, sizeof script) != 0) {
        snprintf(note, cap, "reference comparison skipped: tests/bench/reference_point.py "
                 "not found (run from the source tree or set CRITSWEEP_REFERENCE_POINT)");
        return NAN;
    }
    if (access("/usr/bin/python3", X_OK) != 0) {
        snprintf(note, cap, "reference comparison skipped: /usr/bin/python3 missing");
        return NAN;
    }
    snprintf(cmd, sizeof cmd, "OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 "
             "'%s' %d %d 1.002 0.1 %d %ld 2>&1", script, BN, BL, BK, inputs);
    FILE *pp = popen(cmd, "r");
    if (!pp) {
        snprintf(note, cap, "reference comparison skipped: cannot run /usr/bin/python3");
        return NAN;
    }
    char line[1024], last[1024] = "";
    double rate = NAN;
    while (fgets(line, sizeof line, pp)) {
        double v;
        if (sscanf(line, "inputs_per_s %lf", &v) == 1)
            rate = v;
        else if (sscanf(line, "draw_s %lf", &v) == 1)
            *draw_s = v;
        else if (sscanf(line, "inputs_s %lf", &v) == 1)
            *in_s = v;
        else if (sscanf(line, "layer_steps %lf", &v) == 1)
            *steps = v;
        else
            snprintf(last, sizeof last, "%s", line);
    }
    int st = pclose(pp);
    if (st != 0 || isnan(rate)) {
        last[strcspn(last, "\n")] = 0;
        snprintf(note, cap, "reference comparison skipped: %s",
                 last[0] ? last : "reference_point.py failed");
        return NAN;
    }
    return rate;
}

/* One avalanche_run in a child process, so that its peak RSS is its own. */
typedef struct {
    int ok;
    double cpu, wall, rows, sampled, rss_mb;
} width_run;

static width_run run_in_child(const avalanche_params *p)
{
    width_run w = {0, 0, 0, 0, 0, 0};
    int fd[2];
    if (pipe(fd))
        return w;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]);
        close(fd[1]);
        return w;
    }
    if (pid == 0) {
        close(fd[0]);
        avalanche_result r;
        avalanche_result_init(&r);
        cs_err err = {0, ""};
        double c0 = cs_thread_cpu_s(), w0 = cs_now_s();
        width_run c = {0, 0, 0, 0, 0, 0};
        if (avalanche_run(p, &r, &err) == 0) {
            c.cpu = cs_thread_cpu_s() - c0;
            c.wall = cs_now_s() - w0;
            long rows = 0;
            for (long m = 0; m <= r.max_rows; m++)
                rows += m * r.layers_by_rows[m];
            c.rows = (double)rows / (double)r.layers_drawn;
            c.sampled = (double)r.layers_sampled / (double)r.layers_drawn;
            struct rusage ru;
            getrusage(RUSAGE_SELF, &ru);
            c.rss_mb = (double)ru.ru_maxrss / 1024.0;
            c.ok = 1;
        }
        ssize_t n = write(fd[1], &c, sizeof c);
        _exit(n == (ssize_t)sizeof c ? 0 : 1);
    }
    close(fd[1]);
    ssize_t n = read(fd[0], &w, sizeof w);
    close(fd[0]);
    int st;
    waitpid(pid, &st, 0);
    if (n != (ssize_t)sizeof w)
        w.ok = 0;
    return w;
}

/* σ_w² = 1.0, K = 1000: inputs per CPU second of both engines across widths. */
static void bench_widths(FILE *out, int quick)
{
    static const int widths[] = {500, 1000, 2000, 4000, 8000};
    int nw = quick ? 2 : 5;
    fprintf(out, "widths: tanh, sigma_w2 = 1.0, sigma_b2 = 0, L_max = %d, K = %d, one child "
                 "process per run (its own peak RSS)\n"
                 "      N  engine    inputs   inputs/s  CPU s  rows/layer  sampled  peak RSS MB"
                 "  auto/dense\n", BL, BK);
    double first = NAN, last = NAN, dense_first = NAN, dense_last = NAN;
    for (int i = 0; i < nw; i++) {
        int N = widths[i];
        double rate[2] = {NAN, NAN};
        for (int e = 0; e < 2; e++) {
            avalanche_params p;
            avalanche_params_default(&p);
            p.width = N;
            p.depth = BL;
            p.sigma_w2 = 1.0;
            p.per_network = BK;
            /* one network at N >= 4000 (dense: ~25 s there, ~100 s at 8000) */
            p.inputs = quick ? 1000 : (N >= 4000 ? 1000 : 2000);
            p.engine = e ? CS_ENGINE_AUTO : CS_ENGINE_DENSE;
            p.key = rng_task_key(0, (int)CS_ACT_TANH, N, p.sigma_w2, 0.0, 0);
            width_run w = run_in_child(&p);
            if (!w.ok) {
                fprintf(out, "  %5d  %-7s  failed (out of memory?)\n", N, engine_name(p.engine));
                continue;
            }
            rate[e] = (double)p.inputs / w.cpu;
            fprintf(out, "  %5d  %-7s %7ld %10.1f %6.1f %11.1f %7.0f%% %12.1f", N,
                    engine_name(p.engine), p.inputs, rate[e], w.cpu, w.rows, 100 * w.sampled,
                    w.rss_mb);
            if (e)
                fprintf(out, "  %8.1fx", rate[1] / rate[0]);
            fputc('\n', out);
            fflush(out);
        }
        if (i == 0) {
            first = rate[1];
            dense_first = rate[0];
        }
        last = rate[1];
        dense_last = rate[0];
    }
    fprintf(out, "  rate at N = %d over rate at N = %d: auto %.1f, dense %.1f\n", widths[0],
            widths[nw - 1], first / last, dense_first / dense_last);
}

/* The kernels OpenBLAS chose set every rate below (and the rounding of every result):
 * say which, and whether the environment forced them; then the sgemm and normal rates.
 * Returns the sgemm reference rate (GFLOP/s). */
static double bench_machine(FILE *out, int quick, long M)
{
    double tmeas = quick ? 0.5 : 2.0;
    const char *forced = getenv("OPENBLAS_CORETYPE");
    fprintf(out, "%s, kernels for %s%s%s%s\n", openblas_get_config(),
            openblas_get_corename(), forced ? " (OPENBLAS_CORETYPE=" : " (detected)",
            forced ? forced : "", forced ? ")" : "");
    fprintf(out, "avalanches: N = %d, L_max = %d, tanh, sigma_w2 = 1.002, sigma_b2 = 0, "
                 "q0 = 0.1, K = %d, M = %ld, one BLAS thread%s\n",
            BN, BL, BK, M, quick ? " (quick)" : "");
    fflush(out);
    double gemm_nn = sgemm_rate(tmeas / 2, 0), gemm_nt = sgemm_rate(tmeas / 2, 1);
    double gemm = gemm_nn > gemm_nt ? gemm_nn : gemm_nt; /* the reference: the faster form */
    double nrm = normal_rate(tmeas);
    fprintf(out, "  OpenBLAS sgemm 1000x500 . 500x500       %8.1f GFLOP/s (A.W %.1f, A.W^T %.1f; "
                 "the faster is the reference below)\n", gemm, gemm_nn, gemm_nt);
    fprintf(out, "  normals (rng_fill_normal, 500x500)      %8.1f M/s  (%.2f ns each)\n",
            nrm * 1e-6, 1e9 / nrm);
    fflush(out);
    return gemm;
}

/* The bench point with M inputs through the dense engine. */
static void bench_point(avalanche_params *p, long M)
{
    avalanche_params_default(p);
    p->width = BN;
    p->depth = BL;
    p->sigma_w2 = 1.002;
    p->sigma_b2 = 0.0;
    p->q0 = 0.1;
    p->per_network = BK;
    p->inputs = M;
    p->key = rng_task_key(0, (int)CS_ACT_TANH, BN, p->sigma_w2, p->sigma_b2, 0);
    p->engine = CS_ENGINE_DENSE;
}

/* The best CPU and wall time of `rounds` runs of p (the sgemm reference is the best of 8
 * slices, so the runs are the best of theirs too: the same statistic on both sides of a
 * ratio).  With draw_s, also the best of the drawing replayed alone after each run.  r
 * holds the last run's result.  0, or an exit code after a message on stderr. */
static int best_runs(const avalanche_params *p, int rounds, avalanche_result *r, double *cpu,
                     double *wall, double *draw_s)
{
    cs_err err = {0, ""};
    *cpu = *wall = INFINITY;
    if (draw_s)
        *draw_s = INFINITY;
    for (int round = 0; round < rounds; round++) {
        double c0 = cs_thread_cpu_s(), w0 = cs_now_s();
        if (avalanche_run(p, r, &err)) {
            fprintf(stderr, "critsweep bench: %s\n", err.msg);
            return err.code ? err.code : CS_EXIT_ERROR;
        }
        double c = cs_thread_cpu_s() - c0, w = cs_now_s() - w0;
        *cpu = c < *cpu ? c : *cpu;
        *wall = w < *wall ? w : *wall;
        if (draw_s) {
            double d = draw_replay_s(p, (p->inputs + BK - 1) / BK, r->layers_drawn);
            *draw_s = d < *draw_s ? d : *draw_s;
        }
    }
    return 0;
}

/* The dense engine's figures at the bench point: rate, time split, GFLOP/s against
 * sgemm, the same calls through plain sgemm, peak RSS.  Its rate into *rate, its layer
 * crossings per input into *steps. */
static int bench_dense(FILE *out, const avalanche_params *p, int rounds, double gemm,
                       double *rate, double *steps)
{
    avalanche_result r;
    avalanche_result_init(&r);
    double cpu, wall, t_draw;
    int rc = best_runs(p, rounds, &r, &cpu, &wall, &t_draw);
    if (rc) {
        avalanche_result_free(&r);
        return rc;
    }
    const long M = p->inputs;
    double t_prop = cpu - t_draw;
    double prop = r.flops / t_prop * 1e-9, whole = r.flops / cpu * 1e-9;
    *rate = (double)M / cpu;
    *steps = r.row_layers / (double)M;
    fprintf(out, "  critsweep avalanche_run                 %8.0f inputs/s  (%.2f s CPU, "
                 "%.2f s wall, %.0f inputs/s wall; best of %d runs)\n",
            *rate, cpu, wall, (double)M / wall, rounds);
    fprintf(out, "    recorded %ld, survived %ld, layers drawn %ld (%.0f per network), "
                 "%.1f GFLOP in sgemm, mean rows per layer %.1f\n",
            r.n_recorded, r.n_survived, r.layers_drawn,
            (double)r.layers_drawn / (double)((M + BK - 1) / BK), r.flops * 1e-9,
            r.flops / (2.0 * BN * BN) / (double)r.layers_drawn);
    fprintf(out, "    wall time: drawing %.0f%%, sgemm %.0f%%, activations/norms/records %.0f%%; "
                 "Lyapunov tangent %.1f%% of the flops\n",
            100 * r.seconds_draw / r.seconds, 100 * r.seconds_sgemm / r.seconds,
            100 * r.seconds_other / r.seconds, 100 * r.flops_tangent / r.flops);
    fprintf(out, "  drawing replayed alone                   %8.2f s CPU; the rest of the run, "
                 "%.2f s, is the propagation\n", t_draw, t_prop);
    fprintf(out, "  propagation (sgemm + activations + norms)  %8.1f GFLOP/s = %.2f of sgemm\n",
            prop, prop / gemm);
    fprintf(out, "  whole run, drawing included              %8.1f GFLOP/s = %.2f of sgemm\n",
            whole, whole / gemm);
    double same = sgemm_same_shapes(r.layers_by_rows, r.max_rows, 1);
    double padded = sgemm_same_shapes(r.layers_by_rows, r.max_rows, AVALANCHE_ROW_BLOCK);
    fprintf(out, "  plain sgemm on the same %ld calls: %.2f s at their row counts, %.2f s with "
                 "rows padded to a multiple of %d as the engine does (%.2f of the time)\n"
                 "    propagation runs at %.2f of the padded calls' rate (%.1f GFLOP/s)\n",
            r.layers_drawn, same, padded, AVALANCHE_ROW_BLOCK, padded / same, padded / t_prop,
            r.flops / padded * 1e-9);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    fprintf(out, "  peak RSS                                %8.1f MB (one 500x500 layer is "
                 "1.0 MB; a whole network would be %.0f MB)\n",
            (double)ru.ru_maxrss / 1024.0, 4.0 * BN * BN * BL / 1e6);
    fflush(out);
    avalanche_result_free(&r);
    return 0;
}

/* The same inputs through `engine`; its rate into *rate, crossings per input *steps. */
static int bench_engine(FILE *out, const avalanche_params *dense, cs_engine engine, int rounds,
                        double dense_rate, double *rate, double *steps)
{
    avalanche_params q = *dense;
    q.engine = engine;
    avalanche_result r;
    avalanche_result_init(&r);
    double cpu, wall;
    int rc = best_runs(&q, rounds, &r, &cpu, &wall, NULL);
    if (rc == 0) {
        *rate = (double)q.inputs / cpu;
        *steps = r.row_layers / (double)q.inputs;
        fprintf(out, "  engine %-8s avalanche_run           %8.0f inputs/s  (%.2f s CPU, %.2f s "
                     "wall; best of %d runs) = %.1fx dense; %.0f%% of layers sampled, "
                     "recorded %ld, survived %ld\n",
                engine_name(engine), *rate, cpu, wall, rounds, *rate / dense_rate,
                100.0 * (double)r.layers_sampled / (double)r.layers_drawn, r.n_recorded,
                r.n_survived);
        fflush(out);
    }
    avalanche_result_free(&r);
    return rc;
}

/* The Python reference on py_inputs drives and our ratios to it (or why it was skipped).
 * Its one network's cascades are a small sample of a heavy-tailed duration law, so its
 * time per cascade swings with their mean length (1.6x between 300 and 2000 inputs of one
 * network).  The work-matched figure prices our very inputs at its measured cost: the
 * network draw shared by K inputs, plus its seconds per layer step (one matvec and norm,
 * the same for every input) times our layer crossings per input. */
static void bench_reference(FILE *out, long py_inputs, double dense_rate, double dense_steps,
                            double eng_rate, double eng_steps, cs_engine engine)
{
    char note[1200] = "";
    double py_draw = NAN, py_in = NAN, py_steps = NAN;
    fprintf(out, "  Python reference (PyTorch, one input at a time, %ld inputs) ...\n",
            py_inputs);
    fflush(out);
    double py = python_reference(py_inputs, note, sizeof note, &py_draw, &py_in, &py_steps);
    if (isnan(py)) {
        fprintf(out, "  %s\n", note);
        return;
    }
    fprintf(out, "  Python reference                        %8.1f inputs/s  (network draw "
                 "%.2f s shared by K = %d inputs, %.2f s for %ld cascades, CPU)\n",
            py, py_draw, BK, py_in, py_inputs);
    fprintf(out, "  critsweep / Python reference            %8.1fx (engine dense)\n",
            dense_rate / py);
    if (!isnan(eng_rate))
        fprintf(out, "  critsweep / Python reference            %8.1fx (engine %s)\n",
                eng_rate / py, engine_name(engine));
    if (!(py_steps > 0))
        return;
    double per_step = py_in / py_steps, per_draw = py_draw / BK;
    fprintf(out, "  work-matched: Python %.1f us per layer step, %.2f steps per input there; "
                 "ours %.2f (dense)", 1e6 * per_step, py_steps / (double)py_inputs,
            dense_steps);
    if (!isnan(eng_rate))
        fprintf(out, ", %.2f (%s)", eng_steps, engine_name(engine));
    fputs("\n", out);
    double py_dense = 1.0 / (per_draw + per_step * dense_steps);
    fprintf(out, "  critsweep / Python reference, work-matched %5.1fx (engine dense; Python "
                 "%.1f inputs/s on our inputs)\n", dense_rate / py_dense, py_dense);
    if (!isnan(eng_rate)) {
        double py_eng = 1.0 / (per_draw + per_step * eng_steps);
        fprintf(out, "  critsweep / Python reference, work-matched %5.1fx (engine %s; Python "
                     "%.1f inputs/s on our inputs)\n", eng_rate / py_eng, engine_name(engine),
                py_eng);
    }
}

int bench_avalanche(FILE *out, int quick, cs_engine engine)
{
    openblas_set_num_threads(1);
    const long M = quick ? 3000 : 10000;
    const int rounds = quick ? 1 : 3;
    double gemm = bench_machine(out, quick, M);
    avalanche_params p;
    bench_point(&p, M); /* the detailed figures are the dense engine's */
    double dense = NAN, eng = NAN, dense_steps = NAN, eng_steps = NAN;
    int rc = bench_dense(out, &p, rounds, gemm, &dense, &dense_steps);
    if (rc == 0 && engine != CS_ENGINE_DENSE)
        rc = bench_engine(out, &p, engine, rounds, dense, &eng, &eng_steps);
    if (rc)
        return rc;
    /* a whole network's K inputs (quick: 300) */
    bench_reference(out, quick ? 300 : BK, dense, dense_steps, eng, eng_steps, engine);
    fflush(out);
    bench_widths(out, quick);
    fflush(out);
    return 0;
}

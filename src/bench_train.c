/* bench_train.c — the training benchmark of `critsweep bench`.
 *
 * For (N, batch) = (64,32), (128,64), (256,128), (512,128), L_train = 20 tanh layers,
 * momentum SGD, one thread, it measures
 *   - our trainer's samples/s (train_run itself: shuffle, gather, forward, backward,
 *     update; test evaluation excluded),
 *   - an idiomatic PyTorch loop on the same data (tests/bench/train_torch.py),
 *   - the GEMM rate inside training (forward + backward sgemm flops / training time)
 *     as a fraction of plain sgemm's rate on exactly the same calls and buffers.
 * Both sides train on the same synthetic standard-normal inputs and uniform labels,
 * written to a temporary directory for PyTorch to read. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cblas.h>

#include "critsweep/common.h"
#include "critsweep/bench.h"
#include "critsweep/rng.h"
#include "critsweep/train.h"

#define BENCH_DEPTH 20
#define BENCH_IN 784
#define BENCH_STEPS_PER_EPOCH 16 /* at N = 512; 16·512/N at smaller N */

static const int bench_cfg[][2] = {{64, 32}, {128, 64}, {256, 128}, {512, 128}};

/* Steps per timed epoch: more for small networks so that every epoch takes a while. */
static int bench_steps(int width)
{
    return BENCH_STEPS_PER_EPOCH * 512 / width;
}

static void bench_params(train_params *p, int width, int batch, int epochs)
{
    train_params_default(p);
    p->width = width;
    p->depth = BENCH_DEPTH;
    p->sigma_w2 = 1.0; /* the same as train_torch.py */
    p->sigma_b2 = 0.05;
    p->activation = CS_ACT_TANH;
    p->optimizer = CS_OPT_MOMENTUM;
    p->lr = 0.01;
    p->momentum = 0.9;
    p->batch = batch;
    p->epochs = epochs;
    p->key = 12345;
}

/* Plain sgemm on the calls of one training step (same shapes, transposes, buffers);
 * the best of `reps` timings of `steps` steps, in GFLOP/s. */
static double sgemm_rate(const train_params *p, int reps, int steps)
{
    train_net n;
    cs_err err;
    if (train_net_init(&n, p, BENCH_IN, 10, p->batch, &err))
        return NAN;
    train_net_init_params(&n, p->key, p->sigma_w2, p->sigma_b2);
    int B = p->batch;
    size_t slab = (size_t)B * p->width;
    double best = 0;
    for (int rep = 0; rep < reps; rep++) {
        double t0 = cs_now_s();
        for (int step = 0; step < steps; step++) {
            const float *in = n.x;
            for (int l = 0; l < n.n_layers; l++) {
                float *out = l < n.depth ? n.acts + l * slab : n.logits;
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, n.fan_out[l],
                            n.fan_in[l], 1.0f, in, n.fan_in[l], n.params + n.w_off[l],
                            n.fan_in[l], 0.0f, out, n.fan_out[l]);
                in = out;
            }
            for (int l = n.n_layers - 1; l >= 0; l--) {
                const float *dz =
                    l == n.depth ? n.dlogits : n.dbuf + (size_t)((l + 1) & 1) * slab;
                const float *a = l ? n.acts + (size_t)(l - 1) * slab : n.x;
                if (l > 0)
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, n.fan_in[l],
                                n.fan_out[l], 1.0f, dz, n.fan_out[l], n.params + n.w_off[l],
                                n.fan_in[l], 0.0f, n.dbuf + (size_t)(l & 1) * slab,
                                n.fan_in[l]);
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n.fan_out[l],
                            n.fan_in[l], B, 1.0f, dz, n.fan_out[l], a, n.fan_in[l], 0.0f,
                            n.grads + n.w_off[l], n.fan_in[l]);
            }
        }
        double rate = n.flops_per_sample * B * steps / (cs_now_s() - t0) * 1e-9;
        best = rate > best ? rate : best;
    }
    train_net_free(&n);
    return best;
}

/* Our trainer's samples/s: the best of `reps` one-epoch train_run calls (its own timer
 * covers shuffle, gather and the steps; initialisation and test evaluation excluded). */
static double our_rate(const train_params *base, const data_bundle *d, int reps,
                       double *flops_per_sample)
{
    train_params p = *base;
    p.epochs = 1;
    train_result r;
    train_result_init(&r);
    cs_err err;
    double best = 0;
    for (int rep = 0; rep < reps; rep++) {
        if (train_run(&p, d, &r, &err))
            return NAN;
        best = r.samples_per_s > best ? r.samples_per_s : best;
    }
    train_result_free(&r);
    train_net n;
    if (train_net_init(&n, &p, BENCH_IN, 10, p.batch, &err) == 0) {
        *flops_per_sample = n.flops_per_sample;
        train_net_free(&n);
    }
    return best;
}

static int write_all(const char *path, const void *p, size_t bytes)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(p, 1, bytes, f);
    return (fclose(f) != 0 || w != bytes) ? -1 : 0;
}

/* tests/bench/train_torch.py relative to the working directory, else to the binary
 * (build dirs live in the source tree), else $CRITSWEEP_TRAIN_TORCH. */
static int find_script(char *path, size_t cap)
{
    const char *env = getenv("CRITSWEEP_TRAIN_TORCH");
    if (env && access(env, R_OK) == 0) {
        snprintf(path, cap, "%s", env);
        return 0;
    }
    snprintf(path, cap, "tests/bench/train_torch.py");
    if (access(path, R_OK) == 0)
        return 0;
    char exe[2048];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k > 0) {
        exe[k] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            for (int up = 0; up < 3; up++) {
                snprintf(path, cap, "%.2000s/tests/bench/train_torch.py", exe);
                if (access(path, R_OK) == 0)
                    return 0;
                slash = strrchr(exe, '/');
                if (!slash)
                    break;
                *slash = 0;
            }
        }
    }
    return -1;
}

/* One configuration through tests/bench/train_torch.py on the first n examples of
 * xf/yf; returns samples/s, or NaN with the reason in note. */
static double torch_run(const char *script, const char *xf, const char *yf, int reps,
                        int width, int batch, long n, char *note, size_t cap)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 /usr/bin/python3 '%s' "
             "'%s' '%s' %d %d %d %dx%dx%ld 2>&1", script, xf, yf, BENCH_IN, BENCH_DEPTH, reps,
             width, batch, n);
    FILE *pp = popen(cmd, "r");
    if (!pp) {
        snprintf(note, cap, "reference comparison skipped (training): cannot run /usr/bin/python3");
        return NAN;
    }
    char line[512], last[512] = "";
    double rate = NAN;
    while (fgets(line, sizeof line, pp)) {
        int w, b;
        double r;
        if (sscanf(line, "%d %d %lf", &w, &b, &r) == 3 && w == width && b == batch)
            rate = r;
        else
            snprintf(last, sizeof last, "%s", line);
    }
    int st = pclose(pp);
    if (st != 0 || isnan(rate)) {
        last[strcspn(last, "\n")] = 0;
        snprintf(note, cap, "reference comparison skipped (training): %s", last[0] ? last : "train_torch.py failed");
        return NAN;
    }
    return rate;
}

/* Synthetic data: enough examples for the longest epoch (bench_steps batches); each
 * configuration uses a prefix of steps*batch examples.  0, or -1 when out of memory. */
static int bench_data(data_bundle *d)
{
    int ncfg = (int)(sizeof bench_cfg / sizeof *bench_cfg);
    long n_max = 0;
    for (int c = 0; c < ncfg; c++)
        if ((long)bench_cfg[c][1] * bench_steps(bench_cfg[c][0]) > n_max)
            n_max = (long)bench_cfg[c][1] * bench_steps(bench_cfg[c][0]);
    memset(d, 0, sizeof *d);
    d->train.n = n_max;
    d->train.dim = d->test.dim = BENCH_IN;
    d->train.classes = d->test.classes = 10;
    d->test.n = 1000;
    d->train.x = malloc((size_t)n_max * BENCH_IN * sizeof(float));
    d->train.y = malloc((size_t)n_max);
    d->test.x = malloc((size_t)d->test.n * BENCH_IN * sizeof(float));
    d->test.y = malloc((size_t)d->test.n);
    if (!d->train.x || !d->train.y || !d->test.x || !d->test.y)
        return -1;
    cs_rng r;
    rng_init(&r, 777, 0);
    rng_fill_normal(&r, d->train.x, (size_t)n_max * BENCH_IN, 1.0f);
    rng_fill_normal(&r, d->test.x, (size_t)d->test.n * BENCH_IN, 1.0f);
    for (long i = 0; i < n_max; i++)
        d->train.y[i] = (unsigned char)rng_below(&r, 10);
    for (long i = 0; i < d->test.n; i++)
        d->test.y[i] = (unsigned char)rng_below(&r, 10);
    return 0;
}

/* Where PyTorch reads the same data: script found, data written under dir (x.f32,
 * y.u8).  Returns 1 if dir was created (to be removed), with note empty when PyTorch can
 * run, or the reason it cannot. */
typedef struct {
    char script[4096], dir[64], xf[256], yf[256], note[512];
} torch_files;

static int torch_prepare(torch_files *t, const data_bundle *d)
{
    memset(t, 0, sizeof *t);
    snprintf(t->dir, sizeof t->dir, "/tmp/critsweep-bench-XXXXXX");
    if (find_script(t->script, sizeof t->script) != 0) {
        snprintf(t->note, sizeof t->note, "reference comparison skipped (training): "
                 "tests/bench/train_torch.py not found (run from the source tree or set "
                 "CRITSWEEP_TRAIN_TORCH)");
        return 0;
    }
    if (access("/usr/bin/python3", X_OK) != 0) {
        snprintf(t->note, sizeof t->note, "reference comparison skipped (training): "
                 "/usr/bin/python3 missing");
        return 0;
    }
    if (!mkdtemp(t->dir)) {
        snprintf(t->note, sizeof t->note, "reference comparison skipped (training): cannot "
                 "create %s", t->dir);
        return 0;
    }
    snprintf(t->xf, sizeof t->xf, "%s/x.f32", t->dir);
    snprintf(t->yf, sizeof t->yf, "%s/y.u8", t->dir);
    if (write_all(t->xf, d->train.x, (size_t)d->train.n * BENCH_IN * sizeof(float)) ||
        write_all(t->yf, d->train.y, (size_t)d->train.n))
        snprintf(t->note, sizeof t->note, "reference comparison skipped (training): cannot "
                 "write %s", t->dir);
    return 1;
}

int bench_train(FILE *out, int quick)
{
    int ncfg = (int)(sizeof bench_cfg / sizeof *bench_cfg);
    /* Best-of-reps timings: the machine may be shared, and the least-disturbed
     * repetition is the one that measures the code. */
    int reps = quick ? 2 : 6;
    openblas_set_num_threads(1);
    data_bundle d;
    if (bench_data(&d)) {
        fprintf(stderr, "bench train: out of memory\n");
        data_free(&d);
        return 1;
    }
    torch_files t;
    int have_dir = torch_prepare(&t, &d);
    fprintf(out, "\ntraining: tanh MLP 784 -> N x %d -> 10, momentum SGD, one thread, "
                 "best of %d epochs of 16*512/N steps%s\n",
            BENCH_DEPTH, reps, quick ? " (quick)" : "");
    fprintf(out, "%5s %6s %12s %12s %8s %11s %11s %9s\n", "N", "batch", "critsweep/s",
            "pytorch/s", "speedup", "train GF/s", "sgemm GF/s", "fraction");
    fflush(out);
    for (int c = 0; c < ncfg; c++) {
        int width = bench_cfg[c][0], batch = bench_cfg[c][1];
        long nc = (long)batch * bench_steps(width);
        /* PyTorch right before ours, so that both see the same machine load. */
        double torch_rate = t.note[0] ? NAN
                                      : torch_run(t.script, t.xf, t.yf, reps, width, batch, nc,
                                                  t.note, sizeof t.note);
        train_params p;
        bench_params(&p, width, batch, 1);
        data_bundle dc = d;
        dc.train.n = nc;
        double fps = NAN;
        double ours = our_rate(&p, &dc, reps, &fps);
        double ours_gf = ours * fps * 1e-9;
        double plain_gf = sgemm_rate(&p, reps, bench_steps(width));
        fprintf(out, "%5d %6d %12.0f %12.0f %8.2f %11.1f %11.1f %9.2f\n", width, batch, ours,
                torch_rate, ours / torch_rate, ours_gf, plain_gf, ours_gf / plain_gf);
        fflush(out);
    }
    if (t.note[0])
        fprintf(out, "%s\n", t.note);
    fprintf(out, "train GF/s: forward+backward sgemm flops per second of training (shuffle, "
                 "gather, activations, loss and updates included); sgemm GF/s: the same sgemm "
                 "calls alone; fraction = train/sgemm\n");
    if (have_dir) {
        remove(t.xf);
        remove(t.yf);
        rmdir(t.dir);
    }
    data_free(&d);
    return 0;
}

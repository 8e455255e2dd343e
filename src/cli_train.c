/* cli_train.c — `critsweep train`: train one initialisation on Fashion-MNIST.
 *
 * Debugging aid for the PyTorch cross-check (tests/interop/test_train_torch.py):
 *   --debug-dump DIR --debug-steps K
 * loads the data, draws the initial parameters, then takes K optimizer steps on the
 * first K batches of the training set in file order (no shuffle) and writes
 *   DIR/params0.f32   initial parameters, float32 little-endian, layer by layer:
 *                     W^l (fan_out, fan_in) row-major, then b^l (fan_out)
 *   DIR/params1.f32   the same after the K steps
 *   DIR/x.f32         the K*batch standardised inputs (K*batch, 784)
 *   DIR/y.u8          their labels
 * and prints {"losses": [...], "mean": .., "std": ..} (the loss of each batch before its
 * step, and the standardisation).  With --criticality-weight W > 0 it first writes, for
 * the first batch at the initial parameters (crit_penalty.h, tangent stream step 0),
 *   DIR/v.f32         the directions v_b, (depth-1, batch, width)
 *   DIR/grads_ce.f32  dL_CE/dθ, same layout as params0.f32
 *   DIR/grads.f32     d(L_CE + W·P)/dθ, the gradient the first step uses
 * and adds "penalty": P to the JSON.  Nothing else happens in that mode. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "critsweep/activation.h"
#include "critsweep/cli.h"
#include "critsweep/cli_getopt.h"
#include "critsweep/crit_penalty.h"
#include "critsweep/data.h"
#include "critsweep/rng.h"
#include "critsweep/train.h"

static void usage(FILE *f)
{
    train_params d;
    train_params_default(&d);
    fprintf(f,
            "usage: critsweep train [options]\n\n"
            "Trains an MLP 784 -> N -> ... -> N -> 10 (L hidden layers) from the initialisation\n"
            "W ~ Normal(0, sigma_w2/fan_in), b ~ Normal(0, sigma_b2) on Fashion-MNIST and prints\n"
            "the training loss and test accuracy per epoch.\n\n"
            "options:\n"
            "  --width N            hidden width (default %d)\n"
            "  --depth L            hidden layers L_train (default %d)\n"
            "  --sigma-w2 X         weight variance times fan_in (default %g)\n"
            "  --sigma-b2 Y         bias variance (default %g)\n"
            "  --activation A       %s (default tanh)\n"
            "  --epochs E           (default %d)\n"
            "  --batch B            mini-batch size; the last partial batch is used (default %d)\n"
            "  --lr R               learning rate (default %g)\n"
            "  --optimizer O        sgd, momentum or adam (default momentum)\n"
            "  --momentum M         momentum coefficient (default %g; PyTorch's v = M v + g)\n"
            "  --criticality-weight W  loss L_CE + W*P, P the criticality penalty of README\n"
            "                       section 7 (default 0: plain cross-entropy)\n"
            "  --seed S             seed; the random streams are keyed by\n"
            "                       (0, activation, width, sigma_w2, sigma_b2, seed) (default 0)\n"
            "  --train-subset n     train on the first n training examples (default: all);\n"
            "                       the test set is always used whole\n"
            "  --data DIR           MNIST-format IDX files (default %s)\n"
            "  --threads T          OpenBLAS threads (default 1)\n"
            "  --json               one JSON object on stdout instead of the table\n"
            "  --help               this text\n\n"
            "debugging (the PyTorch cross-check uses these):\n"
            "  --debug-dump DIR --debug-steps K   K steps on the first K batches in file order;\n"
            "                       write DIR/params0.f32, params1.f32, x.f32, y.u8 and print\n"
            "                       the losses as JSON; with --criticality-weight also v.f32,\n"
            "                       grads_ce.f32, grads.f32 of the first batch\n\n"
            "exit codes: 0 done (a diverged run is a result, status \"diverged\"), 2 bad input\n",
            d.width, d.depth, d.sigma_w2, d.sigma_b2, activation_names(), d.epochs, d.batch,
            d.lr, d.momentum, CS_DEFAULT_DATA_DIR);
}

static int write_file(const char *dir, const char *name, const void *p, size_t bytes)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        return CS_EXIT_ERROR;
    }
    size_t w = bytes ? fwrite(p, 1, bytes, f) : 0;
    if (w != bytes || fclose(f) != 0) {
        fprintf(stderr, "critsweep train: %s: write failed; check the directory and free space\n",
                path);
        return CS_EXIT_ERROR;
    }
    return 0;
}

/* from (n_params, padded) without the alignment padding, in the documented order. */
static int dump_block(const train_net *n, const float *from, const char *dir, const char *name)
{
    float *buf = malloc(n->n_real * sizeof *buf);
    if (!buf)
        return CS_EXIT_ERROR;
    size_t k = 0;
    for (int l = 0; l < n->n_layers; l++) {
        size_t cnt = (size_t)n->fan_in[l] * n->fan_out[l] + (size_t)n->fan_out[l];
        memcpy(buf + k, from + n->w_off[l], cnt * sizeof *buf); /* W then b: adjacent */
        k += cnt;
    }
    int rc = write_file(dir, name, buf, k * sizeof *buf);
    free(buf);
    return rc;
}

static int dump_params(const train_net *n, const char *dir, const char *name)
{
    return dump_block(n, n->params, dir, name);
}

/* The penalty's ingredients on the first batch (x, y: B rows) at the current parameters:
 * directions, CE gradient, regularised gradient; *penalty ← P.  Leaves params alone. */
static int dump_penalty(train_net *n, const float *x, const unsigned char *y, int B,
                        const char *dir, double *penalty)
{
    size_t nv = (size_t)(n->depth - 1) * B * n->width;
    float *v = malloc((nv ? nv : 1) * sizeof *v);
    if (!v)
        return CS_EXIT_ERROR;
    crit_penalty_directions(n, B, n->crit_key, 0, v);
    int rc = write_file(dir, "v.f32", v, nv * sizeof *v);
    free(v);
    train_net_grad(n, x, y, B);
    if (!rc)
        rc = dump_block(n, n->grads, dir, "grads_ce.f32");
    *penalty = crit_penalty(n, B, n->crit_weight, n->crit_key, 0, n->crit_scratch);
    if (!rc)
        rc = dump_block(n, n->grads, dir, "grads.f32");
    return rc;
}

static int debug_run(const train_params *p, const data_bundle *data, const char *dir, int steps)
{
    const data_set *tr = &data->train;
    if ((long)steps * p->batch > tr->n)
        return cli_usage_error("train", "--debug-steps %d x --batch %d exceeds the %ld training "
                               "examples", steps, p->batch, tr->n);
    train_net n;
    cs_err err = {0};
    int rc = train_net_init(&n, p, tr->dim, tr->classes, p->batch, &err);
    if (rc) {
        fprintf(stderr, "critsweep train: %s\n", err.msg);
        return rc;
    }
    train_net_init_params(&n, p->key, p->sigma_w2, p->sigma_b2);
    double *losses = malloc((size_t)steps * sizeof *losses), penalty = NAN;
    rc = losses ? dump_params(&n, dir, "params0.f32") : CS_EXIT_ERROR;
    if (!rc && n.crit_weight > 0)
        rc = dump_penalty(&n, tr->x, tr->y, p->batch, dir, &penalty);
    for (int k = 0; !rc && k < steps; k++) {
        size_t off = (size_t)k * p->batch;
        losses[k] = train_net_step(&n, tr->x + off * tr->dim, tr->y + off, p->batch);
    }
    size_t nx = (size_t)steps * p->batch;
    if (!rc)
        rc = dump_params(&n, dir, "params1.f32");
    if (!rc)
        rc = write_file(dir, "x.f32", tr->x, nx * tr->dim * sizeof(float));
    if (!rc)
        rc = write_file(dir, "y.u8", tr->y, nx);
    if (!rc) {
        json_writer w;
        json_begin(&w, stdout);
        json_num_array(&w, "losses", losses, steps);
        json_num(&w, "mean", data->mean);
        json_num(&w, "std", data->std);
        json_int(&w, "n_params", (long long)n.n_real);
        if (n.crit_weight > 0)
            json_num(&w, "penalty", penalty);
        json_end(&w);
    }
    free(losses);
    train_net_free(&n);
    return rc;
}

/* The table row of each epoch as it completes (stdout), or a log line (stderr) with --json. */
static void print_epoch(void *ctx, int epoch, int epochs, double loss, double acc, double t)
{
    int json = *(const int *)ctx;
    FILE *f = json ? stderr : stdout;
    if (json)
        fprintf(f, "critsweep train: epoch %d/%d loss %.6f test accuracy %.4f (%.1f s)\n", epoch,
                epochs, loss, acc, t);
    else
        fprintf(f, "%5d %12.6f %10.4f %8.1f\n", epoch, loss, acc, t);
    fflush(f);
}

typedef struct {
    train_params p;
    const char *data_dir, *dump_dir;
    long subset, threads, debug_steps;
    uint64_t seed;
    int json;
} train_args;

enum {
    OPT_WIDTH = 256, OPT_DEPTH, OPT_SIGMA_W2, OPT_SIGMA_B2, OPT_ACTIVATION, OPT_EPOCHS,
    OPT_BATCH, OPT_LR, OPT_MOMENTUM, OPT_OPTIMIZER, OPT_SEED, OPT_TRAIN_SUBSET, OPT_DATA,
    OPT_THREADS, OPT_DEBUG_DUMP, OPT_DEBUG_STEPS, OPT_JSON, OPT_CRIT_WEIGHT,
};

static const struct option train_options[] = {
    {"width", required_argument, NULL, OPT_WIDTH},
    {"depth", required_argument, NULL, OPT_DEPTH},
    {"sigma-w2", required_argument, NULL, OPT_SIGMA_W2},
    {"sigma-b2", required_argument, NULL, OPT_SIGMA_B2},
    {"activation", required_argument, NULL, OPT_ACTIVATION},
    {"epochs", required_argument, NULL, OPT_EPOCHS},
    {"batch", required_argument, NULL, OPT_BATCH},
    {"lr", required_argument, NULL, OPT_LR},
    {"momentum", required_argument, NULL, OPT_MOMENTUM},
    {"optimizer", required_argument, NULL, OPT_OPTIMIZER},
    {"criticality-weight", required_argument, NULL, OPT_CRIT_WEIGHT},
    {"seed", required_argument, NULL, OPT_SEED},
    {"train-subset", required_argument, NULL, OPT_TRAIN_SUBSET},
    {"data", required_argument, NULL, OPT_DATA},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"debug-dump", required_argument, NULL, OPT_DEBUG_DUMP},
    {"debug-steps", required_argument, NULL, OPT_DEBUG_STEPS},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* An integer option value in lo..hi; CS_EXIT_USAGE (message printed) otherwise. */
static int need_long(const char *name, const char *val, long lo, long hi, long *out)
{
    if (cs_parse_long(val, out) || *out < lo || *out > hi)
        return cli_usage_error("train", "%s '%s': expected an integer in %ld..%ld", name, val,
                               lo, hi);
    return 0;
}

/* A finite number option value that passes ok (desc says what it must be). */
static int need_double(const char *name, const char *val, int (*ok)(double), const char *desc,
                       double *out)
{
    if (cs_parse_double(val, out) || !isfinite(*out) || !ok(*out))
        return cli_usage_error("train", "%s '%s': expected a number %s", name, val, desc);
    return 0;
}

static int non_negative(double x) { return x >= 0; }
static int positive(double x) { return x > 0; }
static int below_one(double x) { return x >= 0 && x < 1; }

/* An integer option into *dst (int). */
static int need_int(const char *name, const char *val, long lo, long hi, int *dst)
{
    long v;
    int rc = need_long(name, val, lo, hi, &v);
    if (!rc)
        *dst = (int)v;
    return rc;
}

/* One valued option of `train`; 0 or CS_EXIT_USAGE (message printed). */
static int train_option(int ch, const char *name, const char *val, train_args *a)
{
    train_params *p = &a->p;
    long lv;
    switch (ch) {
    case OPT_WIDTH: return need_int(name, val, 1, 65536, &p->width);
    case OPT_DEPTH: return need_int(name, val, 1, 100000, &p->depth);
    case OPT_SIGMA_W2: return need_double(name, val, non_negative, ">= 0", &p->sigma_w2);
    case OPT_SIGMA_B2: return need_double(name, val, non_negative, ">= 0", &p->sigma_b2);
    case OPT_ACTIVATION:
        if (activation_from_name(val, &p->activation))
            return cli_usage_error("train", "--activation '%s': expected one of %s", val,
                                   activation_names());
        return 0;
    case OPT_EPOCHS: return need_int(name, val, 1, 100000, &p->epochs);
    case OPT_BATCH: return need_int(name, val, 1, 1000000, &p->batch);
    case OPT_LR: return need_double(name, val, positive, "> 0", &p->lr);
    case OPT_MOMENTUM: return need_double(name, val, below_one, "in [0, 1)", &p->momentum);
    case OPT_CRIT_WEIGHT:
        return need_double(name, val, non_negative, ">= 0", &p->criticality_weight);
    case OPT_OPTIMIZER:
        if (optimizer_from_name(val, &p->optimizer))
            return cli_usage_error("train", "--optimizer '%s': expected sgd, momentum or "
                                   "adam", val);
        return 0;
    case OPT_SEED:
        if (need_long(name, val, 0, 0x7fffffffffffffffL, &lv))
            return CS_EXIT_USAGE;
        a->seed = (uint64_t)lv;
        return 0;
    case OPT_TRAIN_SUBSET: return need_long(name, val, 0, 0x7fffffffL, &a->subset);
    case OPT_DATA: a->data_dir = val; return 0;
    case OPT_THREADS: return need_long(name, val, 1, 1024, &a->threads);
    case OPT_DEBUG_DUMP: a->dump_dir = val; return 0;
    case OPT_DEBUG_STEPS: return need_long(name, val, 1, 1000000, &a->debug_steps);
    }
    return CS_EXIT_USAGE;
}

/* What getopt_long could not take: "--name[=value]" unknown, a value missing, or an
 * argument that is no --option. */
static int train_option_error(int ch, int argc, char **argv, int at)
{
    const char *a = argv[at];
    if (ch == ':')
        return cli_usage_error("train", "option %s needs a value", a);
    if (strncmp(a, "--", 2) != 0)
        return cli_usage_error("train", "unexpected argument '%s' (see --help)", a);
    const char *eq = strchr(a, '=');
    if (!eq && at + 1 >= argc) /* the value is looked for before the name */
        return cli_usage_error("train", "option %s needs a value", a);
    return cli_usage_error("train", "unknown option %.*s (see --help)",
                           (int)(eq ? eq - a : (long)strlen(a)), a);
}

/* Parses train's arguments into a; -1 after --help. */
static int train_parse(int argc, char **argv, train_args *a)
{
    train_params_default(&a->p);
    a->data_dir = CS_DEFAULT_DATA_DIR;
    a->dump_dir = NULL;
    a->subset = 0, a->threads = 1, a->debug_steps = 1;
    a->seed = 0;
    a->json = 0;
    int ch, li, at;
    cli_getopt_begin();
    while ((ch = cli_getopt(argc, argv, train_options, &li, &at)) != -1) {
        char name[64];
        if (ch == 'h')
            return usage(stdout), -1;
        if (ch == OPT_JSON) {
            a->json = 1;
            continue;
        }
        if (ch == '?' || ch == ':')
            return train_option_error(ch, argc, argv, at);
        snprintf(name, sizeof name, "--%s", train_options[li].name);
        if (train_option(ch, name, optarg, a))
            return CS_EXIT_USAGE;
    }
    if (optind > 1 && !strcmp(argv[optind - 1], "--")) /* "--" is an option without a name */
        return optind >= argc ? cli_usage_error("train", "option -- needs a value")
                              : cli_usage_error("train", "unknown option -- (see --help)");
    if (optind < argc)
        return cli_usage_error("train", "unexpected argument '%s' (see --help)", argv[optind]);
    return 0;
}

static void print_result(const train_args *a, const data_bundle *data, const train_result *r)
{
    const train_params *p = &a->p;
    const char *status = r->status == CS_TRAIN_OK ? "ok" : "diverged";
    if (!a->json) {
        printf("status %s", status);
        if (r->status == CS_TRAIN_DIVERGED)
            printf(" (non-finite loss in epoch %d)", r->diverged_epoch);
        printf(", test accuracy %.4f, %.0f samples/s, %.1f s\n", r->test_accuracy,
               r->samples_per_s, r->seconds);
        return;
    }
    json_writer w;
    json_begin(&w, stdout);
    json_str(&w, "activation", activation_name(p->activation));
    json_int(&w, "width", p->width);
    json_int(&w, "depth", p->depth);
    json_num(&w, "sigma_w2", p->sigma_w2);
    json_num(&w, "sigma_b2", p->sigma_b2);
    json_str(&w, "optimizer", optimizer_name(p->optimizer));
    json_num(&w, "lr", p->lr);
    json_int(&w, "batch", p->batch);
    json_int(&w, "epochs", p->epochs);
    json_int(&w, "seed", (long long)a->seed);
    json_int(&w, "train_examples", data->train.n);
    json_int(&w, "test_examples", data->test.n);
    json_str(&w, "status", status);
    json_int(&w, "diverged_epoch", r->diverged_epoch);
    json_num(&w, "test_accuracy", r->test_accuracy);
    json_num(&w, "train_loss", r->train_loss);
    json_num_array(&w, "test_accuracy_per_epoch", r->test_accuracy_per_epoch, r->epochs);
    json_num_array(&w, "train_loss_per_epoch", r->train_loss_per_epoch, r->epochs);
    if (r->crit_penalty_per_epoch) { /* only with a weight: plain runs print what they did */
        json_num(&w, "criticality_weight", p->criticality_weight);
        json_num_array(&w, "crit_penalty_per_epoch", r->crit_penalty_per_epoch, r->epochs);
    }
    json_num(&w, "samples_per_s", r->samples_per_s);
    json_num(&w, "seconds", r->seconds);
    json_end(&w);
}

/* Trains with a's parameters on the loaded data, the table as it goes, then the result. */
static int train_and_print(const train_args *a, const data_bundle *data)
{
    const train_params *p = &a->p;
    if (!a->json) {
        printf("# %s N=%d L=%d sigma_w2=%g sigma_b2=%g %s lr=%g batch=%d seed=%llu, "
               "%ld training / %ld test examples\n",
               activation_name(p->activation), p->width, p->depth, p->sigma_w2, p->sigma_b2,
               optimizer_name(p->optimizer), p->lr, p->batch, (unsigned long long)a->seed,
               data->train.n, data->test.n);
        printf("%5s %12s %10s %8s\n", "epoch", "train_loss", "test_acc", "seconds");
        fflush(stdout);
    }
    train_result r;
    train_result_init(&r);
    cs_err err = {0};
    int json = a->json;
    int rc = train_run_progress(p, data, &r, &err, print_epoch, &json);
    if (rc)
        fprintf(stderr, "critsweep train: %s\n", err.msg);
    else
        print_result(a, data, &r);
    train_result_free(&r);
    return rc;
}

int cli_train(int argc, char **argv)
{
    train_args a;
    int rc = train_parse(argc, argv, &a);
    if (rc)
        return rc < 0 ? CS_EXIT_OK : rc;
    train_params *p = &a.p;
    p->key = rng_task_key(0, (int)p->activation, p->width, p->sigma_w2, p->sigma_b2, a.seed);
    cs_err err = {0};
    if (train_params_check(p, &err))
        return cli_usage_error("train", "%s", err.msg);
    openblas_set_num_threads((int)a.threads);

    data_bundle data;
    rc = data_load(a.data_dir, a.subset, &data, &err);
    if (rc) {
        fprintf(stderr, "critsweep train: %s\n", err.msg);
        return rc;
    }
    if (a.dump_dir)
        rc = debug_run(p, &data, a.dump_dir, (int)a.debug_steps);
    else
        rc = train_and_print(&a, &data);
    data_free(&data);
    return rc ? rc : CS_EXIT_OK;
}

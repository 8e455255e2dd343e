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
 * step, and the standardisation).  Nothing else happens in that mode. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "critsweep/activation.h"
#include "critsweep/cli.h"
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
            "                       the losses as JSON\n\n"
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

/* The parameters without the alignment padding, in the documented order. */
static int dump_params(const train_net *n, const char *dir, const char *name)
{
    float *buf = malloc(n->n_real * sizeof *buf);
    if (!buf)
        return CS_EXIT_ERROR;
    size_t k = 0;
    for (int l = 0; l < n->n_layers; l++) {
        size_t cnt = (size_t)n->fan_in[l] * n->fan_out[l] + (size_t)n->fan_out[l];
        memcpy(buf + k, n->params + n->w_off[l], cnt * sizeof *buf); /* W then b: adjacent */
        k += cnt;
    }
    int rc = write_file(dir, name, buf, k * sizeof *buf);
    free(buf);
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
    double *losses = malloc((size_t)steps * sizeof *losses);
    rc = losses ? dump_params(&n, dir, "params0.f32") : CS_EXIT_ERROR;
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

int cli_train(int argc, char **argv)
{
    train_params p;
    train_params_default(&p);
    const char *data_dir = CS_DEFAULT_DATA_DIR, *dump_dir = NULL;
    long subset = 0, threads = 1, debug_steps = 1;
    uint64_t seed = 0;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return CS_EXIT_OK;
        }
        if (!strcmp(a, "--json")) {
            json = 1;
            continue;
        }
        if (strncmp(a, "--", 2) != 0)
            return cli_usage_error("train", "unexpected argument '%s' (see --help)", a);
        /* --name VALUE or --name=VALUE */
        char name[64];
        const char *val, *eq = strchr(a, '=');
        if (eq) {
            snprintf(name, sizeof name, "%.*s", (int)(eq - a), a);
            val = eq + 1;
        } else {
            snprintf(name, sizeof name, "%s", a);
            if (i + 1 >= argc)
                return cli_usage_error("train", "option %s needs a value", a);
            val = argv[++i];
        }
        long lv;
        double dv;
#define NEED_LONG(lo, hi)                                                                      \
    if (cs_parse_long(val, &lv) || lv < (lo) || lv > (hi))                                     \
        return cli_usage_error("train", "%s '%s': expected an integer in %ld..%ld", name, val, \
                               (long)(lo), (long)(hi));
#define NEED_DOUBLE(cond, desc)                                                             \
    if (cs_parse_double(val, &dv) || !isfinite(dv) || !(cond))                              \
        return cli_usage_error("train", "%s '%s': expected a number %s", name, val, desc);
        if (!strcmp(name, "--width")) {
            NEED_LONG(1, 65536);
            p.width = (int)lv;
        } else if (!strcmp(name, "--depth")) {
            NEED_LONG(1, 100000);
            p.depth = (int)lv;
        } else if (!strcmp(name, "--sigma-w2")) {
            NEED_DOUBLE(dv >= 0, ">= 0");
            p.sigma_w2 = dv;
        } else if (!strcmp(name, "--sigma-b2")) {
            NEED_DOUBLE(dv >= 0, ">= 0");
            p.sigma_b2 = dv;
        } else if (!strcmp(name, "--activation")) {
            if (activation_from_name(val, &p.activation))
                return cli_usage_error("train", "--activation '%s': expected one of %s", val,
                                       activation_names());
        } else if (!strcmp(name, "--epochs")) {
            NEED_LONG(1, 100000);
            p.epochs = (int)lv;
        } else if (!strcmp(name, "--batch")) {
            NEED_LONG(1, 1000000);
            p.batch = (int)lv;
        } else if (!strcmp(name, "--lr")) {
            NEED_DOUBLE(dv > 0, "> 0");
            p.lr = dv;
        } else if (!strcmp(name, "--momentum")) {
            NEED_DOUBLE(dv >= 0 && dv < 1, "in [0, 1)");
            p.momentum = dv;
        } else if (!strcmp(name, "--optimizer")) {
            if (optimizer_from_name(val, &p.optimizer))
                return cli_usage_error("train", "--optimizer '%s': expected sgd, momentum or "
                                       "adam", val);
        } else if (!strcmp(name, "--seed")) {
            NEED_LONG(0, 0x7fffffffffffffffL);
            seed = (uint64_t)lv;
        } else if (!strcmp(name, "--train-subset")) {
            NEED_LONG(0, 0x7fffffffL);
            subset = lv;
        } else if (!strcmp(name, "--data")) {
            data_dir = val;
        } else if (!strcmp(name, "--threads")) {
            NEED_LONG(1, 1024);
            threads = lv;
        } else if (!strcmp(name, "--debug-dump")) {
            dump_dir = val;
        } else if (!strcmp(name, "--debug-steps")) {
            NEED_LONG(1, 1000000);
            debug_steps = lv;
        } else {
            return cli_usage_error("train", "unknown option %s (see --help)", name);
        }
#undef NEED_LONG
#undef NEED_DOUBLE
    }
    p.key = rng_task_key(0, (int)p.activation, p.width, p.sigma_w2, p.sigma_b2, seed);
    cs_err err = {0};
    if (train_params_check(&p, &err))
        return cli_usage_error("train", "%s", err.msg);
    openblas_set_num_threads((int)threads);

    data_bundle data;
    int rc = data_load(data_dir, subset, &data, &err);
    if (rc) {
        fprintf(stderr, "critsweep train: %s\n", err.msg);
        return rc;
    }
    if (dump_dir) {
        rc = debug_run(&p, &data, dump_dir, (int)debug_steps);
        data_free(&data);
        return rc;
    }
    if (!json) {
        printf("# %s N=%d L=%d sigma_w2=%g sigma_b2=%g %s lr=%g batch=%d seed=%llu, "
               "%ld training / %ld test examples\n",
               activation_name(p.activation), p.width, p.depth, p.sigma_w2, p.sigma_b2,
               optimizer_name(p.optimizer), p.lr, p.batch, (unsigned long long)seed,
               data.train.n, data.test.n);
        printf("%5s %12s %10s %8s\n", "epoch", "train_loss", "test_acc", "seconds");
        fflush(stdout);
    }
    train_result r;
    train_result_init(&r);
    rc = train_run_progress(&p, &data, &r, &err, print_epoch, &json);
    if (rc) {
        fprintf(stderr, "critsweep train: %s\n", err.msg);
        data_free(&data);
        return rc;
    }
    const char *status = r.status == CS_TRAIN_OK ? "ok" : "diverged";
    if (json) {
        json_writer w;
        json_begin(&w, stdout);
        json_str(&w, "activation", activation_name(p.activation));
        json_int(&w, "width", p.width);
        json_int(&w, "depth", p.depth);
        json_num(&w, "sigma_w2", p.sigma_w2);
        json_num(&w, "sigma_b2", p.sigma_b2);
        json_str(&w, "optimizer", optimizer_name(p.optimizer));
        json_num(&w, "lr", p.lr);
        json_int(&w, "batch", p.batch);
        json_int(&w, "epochs", p.epochs);
        json_int(&w, "seed", (long long)seed);
        json_int(&w, "train_examples", data.train.n);
        json_int(&w, "test_examples", data.test.n);
        json_str(&w, "status", status);
        json_int(&w, "diverged_epoch", r.diverged_epoch);
        json_num(&w, "test_accuracy", r.test_accuracy);
        json_num(&w, "train_loss", r.train_loss);
        json_num_array(&w, "test_accuracy_per_epoch", r.test_accuracy_per_epoch, r.epochs);
        json_num_array(&w, "train_loss_per_epoch", r.train_loss_per_epoch, r.epochs);
        json_num(&w, "samples_per_s", r.samples_per_s);
        json_num(&w, "seconds", r.seconds);
        json_end(&w);
    } else {
        printf("status %s", status);
        if (r.status == CS_TRAIN_DIVERGED)
            printf(" (non-finite loss in epoch %d)", r.diverged_epoch);
        printf(", test accuracy %.4f, %.0f samples/s, %.1f s\n", r.test_accuracy,
               r.samples_per_s, r.seconds);
    }
    train_result_free(&r);
    data_free(&data);
    return CS_EXIT_OK;
}

/* train.h — does this initialisation learn? (README §6). An MLP 784 → N → … → N → 10
 * with L_train hidden layers, trained with OpenBLAS sgemm, batch-major. */
#ifndef CRITSWEEP_TRAIN_H
#define CRITSWEEP_TRAIN_H

#include <stdint.h>

#include "critsweep/activation.h"
#include "critsweep/common.h"
#include "critsweep/data.h"

typedef enum { CS_OPT_SGD = 0, CS_OPT_MOMENTUM = 1, CS_OPT_ADAM = 2 } cs_optimizer;
int optimizer_from_name(const char *name, cs_optimizer *out);
const char *optimizer_name(cs_optimizer o);

typedef struct {
    int width, depth;       /* N, L_train hidden layers */
    double sigma_w2, sigma_b2;
    cs_activation activation;
    int epochs, batch;
    double lr;
    double momentum;        /* 0.9 */
    cs_optimizer optimizer; /* momentum by default */
    uint64_t key;           /* rng_task_key(...) of the task */
    double criticality_weight; /* w >= 0 of the loss L_CE + w·P (crit_penalty.h); 0, the
                                * default, is the plain cross-entropy training */
} train_params;

void train_params_default(train_params *p); /* epochs 5, batch 128, lr 0.01, momentum */
int train_params_check(const train_params *p, cs_err *err);

typedef enum { CS_TRAIN_OK = 0, CS_TRAIN_DIVERGED = 1 } cs_train_status;

typedef struct {
    cs_train_status status;
    int diverged_epoch;            /* 1-based epoch of the first NaN/inf loss, 0 if none */
    int epochs;                    /* length of the arrays below */
    double *train_loss_per_epoch;  /* (epochs) NaN after divergence */
    double *test_accuracy_per_epoch;
    double *crit_penalty_per_epoch; /* (epochs) mean P over the epoch's batches (before
                                     * each step); NULL when the weight is 0 */
    double test_accuracy;          /* final (last completed epoch); NaN if diverged at 1 */
    double train_loss;             /* final */
    double samples_per_s;
    double seconds;
} train_result;

void train_result_init(train_result *r);
void train_result_free(train_result *r);
int train_run(const train_params *p, const data_bundle *data, train_result *out,
              cs_err *err);
/* train_run, calling progress (if not NULL) after every epoch (1-based) with that
 * epoch's mean training loss and test accuracy (NaN once diverged). */
typedef void (*train_progress_fn)(void *ctx, int epoch, int epochs, double train_loss,
                                  double test_accuracy, double seconds);
int train_run_progress(const train_params *p, const data_bundle *data, train_result *out,
                       cs_err *err, train_progress_fn progress, void *ctx);
/* train_run, then done(ctx, the trained network, data) when training finished without
 * diverging, before the network is freed: measurements of the trained MLP itself. */
struct train_net; /* below */
typedef void (*train_done_fn)(void *ctx, const struct train_net *n, const data_bundle *data);
int train_run_then(const train_params *p, const data_bundle *data, train_result *out,
                   cs_err *err, train_done_fn done, void *ctx);

/* ---- The network itself: exposed for the gradient-check tests, the CLI's debug dump
 * (see cli_train.c) and the benchmark.  train_run is built on these. ---- */
typedef struct train_net {
    int in_dim, width, depth, classes; /* depth hidden layers of width N */
    int n_layers;                      /* depth + 1 (the last one is the output layer) */
    int max_batch;
    cs_activation activation;
    cs_optimizer optimizer;
    float lr, momentum, beta1, beta2, eps; /* PyTorch's defaults for Adam: 0.9, 0.999, 1e-8 */
    long step;                 /* optimizer steps taken (Adam's bias correction) */
    int keep_grads;            /* 1: train_net_step leaves dL/dθ in grads and applies the
                                * textbook update; 0 (default): SGD and momentum are fused
                                * into the weight-gradient sgemm (same equations) */
    int *fan_in, *fan_out;     /* (n_layers) */
    size_t *w_off, *b_off;     /* (n_layers) offsets into params: W^l (fan_out, fan_in)
                                * row-major as in PyTorch, then b^l (fan_out) */
    size_t n_params;           /* length of params/grads/state (includes alignment padding) */
    size_t n_real;             /* parameters proper */
    float *params;             /* (n_params) one contiguous block */
    float *grads;              /* (n_params) */
    float *state1, *state2;    /* (n_params) momentum buffer / Adam moments */
    float *x;                  /* (max_batch, in_dim) batch input (gathered rows) */
    float *acts;               /* (depth, max_batch, width) hidden activations φ(h) */
    float *slope;              /* (depth, max_batch, width) φ'(h), erf only; else NULL */
    float *dbuf;               /* (2, max_batch, width) backward ping-pong */
    float *logits;             /* (max_batch, classes) */
    float *dlogits;            /* (max_batch, classes) */
    float *dbias;              /* (width) bias-gradient scratch of the fused path */
    double flops_per_sample;   /* forward + backward sgemm flops per training example */
    double crit_weight;        /* w of L_CE + w·P; > 0 makes train_net_step add w·∂P/∂W */
    uint64_t crit_key;         /* key of the penalty's tangent streams (train_params.key) */
    float *crit_scratch;       /* (3, max_batch, width) crit_penalty's scratch, w > 0 only */
    double crit_last;          /* P of the last step's batch (NaN before any, or w = 0) */
} train_net;

/* in_dim and classes come from the data (784, 10 for Fashion-MNIST). */
int train_net_init(train_net *n, const train_params *p, int in_dim, int classes,
                   int max_batch, cs_err *err);
/* Draws the initial weights and biases: layer l (0-based, output layer = depth) from
 * stream (CS_STREAM_TRAIN_INIT, l) of key: first its fan_out*fan_in weights
 * Normal(0, σ_w²/fan_in) row by row, then its fan_out biases Normal(0, σ_b²).  Resets
 * the optimizer state. */
void train_net_init_params(train_net *n, uint64_t key, double sigma_w2, double sigma_b2);
/* Mean softmax cross-entropy of a batch x (B, in_dim), y (B); forward only. */
double train_net_loss(train_net *n, const float *x, const unsigned char *y, int B);
/* Forward + backward: grads = dL/dθ of the mean loss; returns the loss.  No update. */
double train_net_grad(train_net *n, const float *x, const unsigned char *y, int B);
/* One optimizer step on the batch; returns the batch's mean cross-entropy (before the
 * step).  With crit_weight > 0 the step follows L_CE + w·P: the cross-entropy gradient
 * into grads, crit_penalty (tangent stream = the number of steps taken before) adds
 * w·∂P/∂W, then the textbook update; P goes to crit_last.  x may be n->x. */
double train_net_step(train_net *n, const float *x, const unsigned char *y, int B);
/* Applies one optimizer step from grads (the textbook form; used when keep_grads). */
void train_net_apply(train_net *n);
/* Fraction of the n examples x (n, in_dim) classified correctly, in batches of up to
 * 1000 through scratch buffers of its own. */
double train_net_accuracy(train_net *n, const float *x, const unsigned char *y, long count);
void train_net_free(train_net *n);

#endif

/* train.h — does this initialisation learn? (SCIENCE.md §6). An MLP 784 → N → … → N → 10
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
    double test_accuracy;          /* final (last completed epoch); NaN if diverged at 1 */
    double train_loss;             /* final */
    double samples_per_s;
    double seconds;
} train_result;

void train_result_init(train_result *r);
void train_result_free(train_result *r);
int train_run(const train_params *p, const data_bundle *data, train_result *out,
              cs_err *err);

#endif

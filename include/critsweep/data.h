/* data.h — MNIST-format IDX files, plain or gzipped (zlib), validated on the way in. */
#ifndef CRITSWEEP_DATA_H
#define CRITSWEEP_DATA_H

#include "critsweep/common.h"

#define CS_DEFAULT_DATA_DIR "/usr/share/datasets/fashion-mnist"

typedef struct {
    long n;           /* examples */
    int dim;          /* pixels per example (784) */
    int classes;      /* 10 */
    float *x;         /* (n, dim): pixels/255, standardised with training-set mean/std */
    unsigned char *y; /* (n) */
} data_set;

typedef struct {
    data_set train, test;
    double mean, std; /* training-set pixel statistics (after /255) */
} data_bundle;

/* Loads train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-... from dir.
 * train_subset > 0 keeps the first that many training examples (after loading; the
 * statistics are still those of the kept set).  Errors name the file: CS_EXIT_USAGE. */
int data_load(const char *dir, long train_subset, data_bundle *out, cs_err *err);
/* Reads one IDX file (magic 0x0803 images or 0x0801 labels); exposed for tests. */
int data_read_idx(const char *path, int expect_dims, unsigned char **bytes, long *count,
                  int *rows, int *cols, cs_err *err);
void data_free(data_bundle *b);

#endif

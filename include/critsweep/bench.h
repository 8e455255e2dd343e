/* bench.h — `critsweep bench`: measured ratios, never timed pass/fail tests. */
#ifndef CRITSWEEP_BENCH_H
#define CRITSWEEP_BENCH_H

#include <stdio.h>

/* Propagation benchmark (avalanche engine vs OpenBLAS sgemm and the Python reference). */
int bench_avalanche(FILE *out, int quick);
/* Training benchmark (our trainer vs OpenBLAS sgemm and a PyTorch loop). */
int bench_train(FILE *out, int quick);

#endif

/* bench.h — `critsweep bench`: measured ratios, never timed pass/fail tests. */
#ifndef CRITSWEEP_BENCH_H
#define CRITSWEEP_BENCH_H

#include <stdio.h>

#include "critsweep/avalanche.h"

/* Propagation benchmark (avalanche engine vs OpenBLAS sgemm and the Python reference):
 * the dense engine in detail, `engine` beside it, then both engines across widths. */
int bench_avalanche(FILE *out, int quick, cs_engine engine);
/* Training benchmark (our trainer vs OpenBLAS sgemm and a PyTorch loop). */
int bench_train(FILE *out, int quick);

#endif

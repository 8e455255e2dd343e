/* bench_train.c — not written yet. */
#include <stdio.h>
#include "critsweep/bench.h"
int bench_train(FILE *out, int quick) { (void)quick; fprintf(out, "train benchmark: not written yet\n"); return 0; }

/* bench.c — not written yet. */
#include "critsweep/cli.h"
#include "critsweep/common.h"
int cli_bench(int argc, char **argv) { (void)argc; (void)argv; return cli_usage_error("bench", "not implemented yet"); }

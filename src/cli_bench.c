/* cli_bench.c — `critsweep bench`: options, then the benchmarks of bench.c and
 * bench_train.c. */
#include <getopt.h>
#include <stdio.h>

#include "critsweep/avalanche.h"
#include "critsweep/bench.h"
#include "critsweep/cli.h"
#include "critsweep/common.h"

static void bench_help(void)
{
    printf("usage: critsweep bench [--quick] [--skip-train] [--engine auto|dense|sampled]\n"
           "\n"
           "Measures, on one core (openblas_set_num_threads(1)):\n"
           "  avalanches  N = 500, L_max = 1000, tanh, sigma_w2 = 1.002, sigma_b2 = 0, q0 = 0.1,\n"
           "              K = 1000: inputs/s, normals/s, propagation GFLOP/s as a fraction of\n"
           "              OpenBLAS sgemm measured in the same run, peak RSS, and the ratio to\n"
           "              tests/bench/reference_point.py (PyTorch, one input at a time; the\n"
           "              comparison is skipped with a message if the script or torch is\n"
           "              missing)\n"
           "  training    see bench_train: our trainer vs sgemm and a PyTorch loop\n"
           "Rates are per CPU second of the single-threaded process (wall time is printed\n"
           "too). Run it from the source tree so the Python scripts are found.\n"
           "\n"
           "  --quick       fewer inputs and shorter timings (about a minute)\n"
           "  --skip-train  only the avalanche benchmark\n"
           "  --engine E    the engine timed beside dense at the bench point (auto); the\n"
           "                widths table (sigma_w2 = 1.0, N = 500..8000; quick: 500, 1000)\n"
           "                times dense and auto\n");
}

int cli_bench(int argc, char **argv)
{
    static const struct option opts[] = {
        {"quick", no_argument, NULL, 'q'}, {"skip-train", no_argument, NULL, 's'},
        {"engine", required_argument, NULL, 'e'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int quick = 0, skip_train = 0, ch;
    cs_engine engine = CS_ENGINE_AUTO;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (ch) {
        case 'q': quick = 1; break;
        case 's': skip_train = 1; break;
        case 'e':
            if (engine_from_name(optarg, &engine))
                return cli_usage_error("bench", "--engine: unknown '%s' (auto, dense or "
                                       "sampled)", optarg);
            break;
        case 'h': bench_help(); return CS_EXIT_OK;
        case ':': return cli_usage_error("bench", "%s needs a value", argv[optind - 1]);
        default:
            return cli_usage_error("bench", "unknown option '%s' (critsweep bench --help)",
                                   argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error("bench", "unexpected argument '%s' (critsweep bench --help)",
                               argv[optind]);
    int rc = bench_avalanche(stdout, quick, engine);
    if (rc)
        return rc;
    if (!skip_train)
        rc = bench_train(stdout, quick);
    return rc;
}

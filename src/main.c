/* main.c — the critsweep command line: subcommand dispatch and top-level help. */
#include <stdio.h>
#include <string.h>

#include "critsweep/cli.h"
#include "critsweep/common.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"run", cli_run, "run (or resume) a sweep under mpirun/srun into one parallel HDF5 file"},
    {"refine", cli_refine, "grow a results file's sigma_w2 grid where the Widom line is least certain"},
    {"status", cli_status, "progress of a results file: done, pending, failed, runs table"},
    {"submit", cli_submit, "submit a sweep to SLURM; it requeues itself until complete"},
    {"phase", cli_phase, "phase diagrams, Widom and edge-of-chaos lines, the claim test"},
    {"fss", cli_fss, "finite-size scaling of χ_max, the Widom line and the exponents"},
    {"check", cli_check, "validate a sweep file; print task count, cost and resolved defaults"},
    {"export", cli_export, "export a results file's per-task scalars as CSV"},
    {"point", cli_point, "avalanches and exponents of one grid point (no MPI needed)"},
    {"train", cli_train, "train one initialisation on Fashion-MNIST"},
    {"fit", cli_fit, "power-law exponents of S/D avalanche data you bring"},
    {"meanfield", cli_meanfield, "q*, chi_1, xi_c and the edge of chaos"},
    {"bench", cli_bench, "benchmarks: propagation and training against OpenBLAS and PyTorch"},
};

static void usage(FILE *f)
{
    fprintf(f, "critsweep %s — where are deep networks critical, and does it predict learning?\n\n"
               "usage: critsweep COMMAND [options]   (critsweep COMMAND --help for each)\n\n"
               "commands:\n", CS_VERSION);
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nexit codes: 0 complete, 1 error, 2 bad input or usage, 3 interrupted (rerun to resume)\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CS_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
        usage(stdout);
        return CS_EXIT_OK;
    }
    if (!strcmp(name, "--version")) {
        printf("critsweep %s\n", CS_VERSION);
        return CS_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(name, commands[i].name))
            return commands[i].run(argc - 1, argv + 1); /* argv[0] is the command name */
    fprintf(stderr, "critsweep: unknown command '%s' (critsweep --help lists them)\n", name);
    return CS_EXIT_USAGE;
}

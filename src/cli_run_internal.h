/* cli_run_internal.h — what `critsweep refine` (cli_refine.c) shares with `run`
 * (cli_run.c): the MPI set-up and the run of a loaded sweep in rounds. */
#ifndef CRITSWEEP_CLI_RUN_INTERNAL_H
#define CRITSWEEP_CLI_RUN_INTERNAL_H

#include "critsweep/adaptive.h"
#include "critsweep/config.h"

typedef struct {
    const adaptive_spec *spec;  /* how the axes grow; NULL: the sweep's adaptive axes */
    int max_rounds;             /* growth rounds at most (0: until done) */
    const char *grown_axes;     /* plain axes refine grows ("sigma_w2"), recorded in the file */
} run_rounds_opts;

/* Launched by mpirun/srun? */
int run_under_launcher(void);
int run_start_mpi(int *rank, int *size);
void run_finish_mpi(void);
/* Prepares (creates or checks) path for s, runs its tasks and its rounds; frees s.
 * Returns the exit code; MPI is finalized on return. */
int run_loaded_sweep(cs_sweep *s, const char *path, double grace, int fresh,
                     const run_rounds_opts *ro, int use_mpi, int rank, int size);

#endif

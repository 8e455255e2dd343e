/* phase_figures.h — what `critsweep phase` and `critsweep fss` share: a results file
 * loaded with its derived tables, the cells of a quantity, and the small output helpers
 * (folders, CSV files at full precision).  Internal to the two commands. */
#ifndef CRITSWEEP_PHASE_FIGURES_H
#define CRITSWEEP_PHASE_FIGURES_H

#include <stdio.h>

#include "critsweep/common.h"
#include "critsweep/phase.h"

/* Axis names in PLplot text: σ with subscript w and superscript 2 (the "²" glyph after
 * a subscript left a gap: "σ w ²"). */
#define SW2 "σ#dw#u#u2#d"
#define SB2 "σ#db#u#u2#d"

typedef struct {
    phase_file pf;
    phase_derived d;
    int written;        /* derived datasets were written into the file */
    /* The edge of chaos as a smooth curve for the overlays (the theory line is
     * continuous in σ_b²; the derived table has it at the grid's σ_b² only). */
    int n_fine;
    double *edge_fx;    /* (A, n_fine) σ_w² */
    double *edge_fy;    /* (n_fine) σ_b² */
    const char *cmd;    /* for messages */
    int no_write, force;
} phase_ctx;

/* Opens the file, computes the derived tables (the claim test with `replicates`
 * bootstrap replicates, PHASE_REPLICATES if 0) and writes them back unless told not to
 * or the file is busy/read-only (then they stay in memory, and cmd says so on stderr). */
int phase_figures_load(phase_ctx *c, const char *cmd, const char *path, int no_write,
                       int force, int replicates, cs_err *err);
void phase_figures_unload(phase_ctx *c);
/* Selects slab k of the optional axes (phase.h) and computes (and writes) its derived
 * tables; load selects slab 0.  On failure the file is closed (unload still safe). */
int phase_figures_slab(phase_ctx *c, long k, cs_err *err);
/* Selects the slab named `name` ("q0=0.01", as status and the subfolders name them);
 * in a file with several slabs a NULL name fails, naming `what` and listing them. */
int phase_figures_named_slab(phase_ctx *c, const char *name, const char *what, cs_err *err);

/* Cells (A, W, B, S) of a quantity: seed mean (or spread), from the per-task data or
 * the derived tables.  Unknown names fail with the list of what exists. */
int phase_figures_cells(phase_ctx *c, const char *name, int spread, double *out,
                        cs_err *err);

/* n doubles, all NaN (NULL when out of memory). */
double *phase_figures_dalloc(long n);

/* Creates the output folder if needed. */
int phase_figures_ensure_dir(const char *dir, cs_err *err);
/* "<file without .h5>-figures" */
void phase_figures_default_dir(const char *path, char *out, size_t n);
/* Replaces the extension of a figure path by .csv. */
void phase_figures_csv_beside(const char *fig, char *out, size_t n);
/* fopen for writing / fclose, with messages naming the path. */
FILE *phase_figures_open_out(const char *path, cs_err *err);
int phase_figures_close_out(FILE *f, const char *path, cs_err *err);
/* Full precision so that the CSVs reproduce the computation exactly; "nan" if not finite. */
void phase_figures_put_num(FILE *f, double v);

#endif

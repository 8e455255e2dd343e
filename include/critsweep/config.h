/* config.h — sweep files (YAML, libyaml) → a validated cs_sweep.  Every error carries
 * file:line:col.  The canonical hash covers the science-relevant settings only (grid,
 * seed, avalanche, fit, train), not output or slurm, so moving the output or the
 * queue does not invalidate a results file. */
#ifndef CRITSWEEP_CONFIG_H
#define CRITSWEEP_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "critsweep/activation.h"
#include "critsweep/avalanche.h"
#include "critsweep/common.h"
#include "critsweep/fit.h"
#include "critsweep/train.h"

/* Largest grid a sweep file may describe (tasks); beyond it, split the sweep. */
#define CS_MAX_TASKS 10000000L

/* Slots per grid axis in cs_sweep (axis.h's CS_AXIS_COUNT fits; axis.c checks). */
#define CS_GRID_SLOTS 8

/* What an adaptive axis refines for: the Widom line (χ's maximum along σ_w²) and/or the
 * accuracy ridge (README §3). */
enum { CS_TARGET_WIDOM = 1u, CS_TARGET_RIDGE = 2u };

/* An axis that grows in rounds where the located lines are least certain:
 * grid.<axis>: {adaptive: {start, stop, initial, budget, tol, target}} (σ axes), or
 * grid.seeds: {adaptive: {initial, budget}}.  The hash covers this description, not the
 * points it has grown, so a grown file is the same sweep with more points. */
typedef struct {
    int on;
    double start, stop;     /* σ axes: the range the points stay in */
    int initial, budget;    /* values in round 1; most values the axis may reach */
    double tol;             /* stop when every located line is known to ±tol (σ_w²) */
    unsigned targets;       /* CS_TARGET_* bits */
} cs_adaptive;

typedef struct {
    char *partition, *account, *qos, *time, *mem_per_cpu; /* NULL = not set */
    int nodes, ntasks, ntasks_per_node;                     /* 0 = not set */
    int max_requeues;                                       /* default 10 */
    int signal_lead;            /* seconds of warning before the limit (default 120) */
    char **extra;               /* raw #SBATCH lines (without the prefix), n_extra */
    int n_extra;
} cs_slurm_options;

/* `dynrange:` — the dynamic range of each task's random networks (dynrange.h, README
 * §7).  depth 0 (the default) turns it off: nothing is computed and nothing is hashed. */
typedef struct {
    int depth;                  /* L_Δ, 0 = off, at most avalanche.depth */
    double q_min, q_max;        /* the drive strengths, log-spaced, 0 < q_min < q_max */
    int n_q;                    /* points of the q grid, >= 2 */
    int inputs;                 /* drive directions per network, >= 1 */
    int networks;               /* the task's networks 0 .. networks-1, >= 1 */
} cs_dynrange;

typedef struct {
    char *path;                 /* sweep file as given */
    char *yaml_text;            /* the file's text, stored in the results file */
    char *name;                 /* `name:`; defaults to the file's basename sans .yaml */
    uint64_t seed;              /* sweep seed (`seed:`, default 0) */

    /* Grid axes (axis.h describes each, and the results file's dimension order). */
    int n_activation;  cs_activation *activation;
    int n_width;       int *width;
    int n_sigma_b2;    double *sigma_b2;
    int n_sigma_w2;    double *sigma_w2;
    int n_seed;        uint64_t *seeds;
    /* Optional axes (axis.h): a count of 0 when the sweep does not give them. */
    int n_q0;          double *q0;     /* grid.q0; else every task has avalanche.q0 */
    int n_crit_weight; double *crit_weight; /* grid.criticality_weight; else every task
                                             * has train.criticality_weight */

    /* Growing axes, by axis id (axis.h).  base: the values a plain axis had in the sweep
     * file before `critsweep refine` grew it (the hash covers those); NULL otherwise. */
    cs_adaptive adaptive[CS_GRID_SLOTS];
    double *base[CS_GRID_SLOTS];
    int n_base[CS_GRID_SLOTS];

    /* `avalanche:` section; width, sigma_w2, sigma_b2, activation and key are filled per
     * task by the task module. */
    avalanche_params avalanche;
    fit_options fit;
    cs_dynrange dynrange;

    struct {
        int enabled;            /* `train.enabled`, default true */
        train_params params;    /* width/sigmas/activation/key filled per task */
        long train_subset;      /* 0 = all 60000 */
        char *data_dir;         /* default CS_DEFAULT_DATA_DIR */
    } train;

    struct {
        char *file;             /* default <name>.h5 beside the current directory */
        int max_attempts;       /* failed tasks are retried up to this many attempts (3) */
    } output;

    cs_slurm_options slurm;

    uint64_t hash;              /* canonical hash of the science-relevant settings */
    char hash_hex[17];
} cs_sweep;

/* Loads and validates path; overrides are "dotted.key=value" strings applied on top of
 * the file (a YAML scalar or flow sequence as value) before validation and hashing.
 * Errors: CS_EXIT_USAGE with "file:line:col: message" (or "--set key=value: message"). */
int config_load(const char *path, const char *const *overrides, int n_overrides,
                cs_sweep *out, cs_err *err);
/* Same from text in memory (name used in messages); for tests and the fuzzer. */
int config_load_text(const char *text, size_t len, const char *name,
                     const char *const *overrides, int n_overrides, cs_sweep *out,
                     cs_err *err);
void config_free(cs_sweep *s);
/* Every resolved setting, defaults included, as YAML (loadable again: same hash). */
void config_print(const cs_sweep *s, FILE *f);
/* The canonical text the hash is computed over (malloc'd; NULL if out of memory), to
 * see why two sweeps hash differently. */
char *config_canonical_text(const cs_sweep *s);
/* Recomputes s->hash and s->hash_hex after a setting changed; -1 if out of memory. */
int config_rehash(cs_sweep *s);

#endif

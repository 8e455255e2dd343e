/* grid.h — task index ↔ coordinates.  Tasks are numbered row-major over the sweep's
 * dimensions (axis.h: the optional axes given, outermost, then activation, width,
 * sigma_b2, sigma_w2, seed), the results file's dimension order, so a task index is also
 * its linear offset in every per-task dataset. */
#ifndef CRITSWEEP_GRID_H
#define CRITSWEEP_GRID_H

#include <stdint.h>

#include "critsweep/axis.h"
#include "critsweep/config.h"

/* Indices into the sweep's axes, by name or by axis id (at[CS_AXIS_...]); 0 for an
 * optional axis the sweep does not give. */
typedef union {
    struct {
        int activation, width, sigma_b2, sigma_w2, seed, q0, /* the order of cs_axis_id */
            crit_weight;
    };
    int at[CS_AXIS_COUNT];
} grid_index;

long grid_task_count(const cs_sweep *s);
void grid_coords(const cs_sweep *s, long task, grid_index *out);
long grid_task(const cs_sweep *s, const grid_index *idx);
/* The task's index along each dimension, in dimension order (axis_dims); returns the
 * number of dimensions. */
int grid_dim_indices(const cs_sweep *s, long task, int out[CS_AXIS_COUNT]);
/* The task's random key: rng_task_key of the sweep seed and core coordinates, with each
 * optional axis whose value differs from its default mixed in (rng_key_mix), so every
 * sweep without optional axes keeps its keys. */
uint64_t grid_task_key(const cs_sweep *s, const grid_index *idx);
/* The task's drive strength: its grid.q0 value, or avalanche.q0. */
double grid_q0(const cs_sweep *s, const grid_index *idx);
/* The task's criticality weight: its grid.criticality_weight value, or
 * train.criticality_weight. */
double grid_criticality_weight(const cs_sweep *s, const grid_index *idx);
/* Relative cost (≈ flops) of one task, for most-expensive-first scheduling and
 * `check`'s estimate: avalanche propagation plus training. */
double grid_task_cost(const cs_sweep *s, long task);
/* Estimated single-core seconds for the whole sweep (calibrated constants). */
double grid_estimate_seconds(const cs_sweep *s);
/* Estimated single-core seconds of one task (same calibration). */
double grid_task_seconds(const cs_sweep *s, long task);
/* Estimated wall seconds on `workers` ranks doing science, scheduling the most
 * expensive tasks first (simulated list scheduling), including each rank's one-off
 * dataset load when training is on. */
double grid_estimate_wall_seconds(const cs_sweep *s, int workers);

#endif

/* grid.h — task index ↔ coordinates.  Tasks are numbered row-major over
 * (activation, width, sigma_b2, sigma_w2, seed), the results file's dimension order, so
 * a task index is also its linear offset in every per-task dataset. */
#ifndef CRITSWEEP_GRID_H
#define CRITSWEEP_GRID_H

#include "critsweep/config.h"

typedef struct {
    int activation, width, sigma_b2, sigma_w2, seed; /* indices into the sweep's axes */
} grid_index;

long grid_task_count(const cs_sweep *s);
void grid_coords(const cs_sweep *s, long task, grid_index *out);
long grid_task(const cs_sweep *s, const grid_index *idx);
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

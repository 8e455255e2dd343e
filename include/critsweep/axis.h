/* axis.h — the grid's axes as data: name, C type, units, default, how a sweep file
 * gives them, and whether each is always a dimension.
 *
 * A "core" axis is always a dimension of the results file, with one value when the
 * sweep does not give it.  An "optional" axis becomes a dimension only when the sweep
 * gives it under grid:, and then goes OUTERMOST: without it the file has exactly the
 * core dimensions, and with it a slab at one of its values has the core layout, so no
 * existing sweep changes its task numbers, keys or file.
 *
 * Dimension order: the optional axes given, in table order, then the core axes
 * (activation, width, sigma_b2, sigma_w2, seed).  Task indices are row-major over it
 * (the seed varies fastest), so a task index is its linear offset in every per-task
 * dataset. */
#ifndef CRITSWEEP_AXIS_H
#define CRITSWEEP_AXIS_H

#include <stddef.h>
#include <stdint.h>

#include "critsweep/config.h"

/* Axis ids; also the index into grid_index's at[].  Append new axes at the end (the
 * core ones keep their numbers). */
typedef enum {
    CS_AXIS_ACTIVATION,
    CS_AXIS_WIDTH,
    CS_AXIS_SIGMA_B2,
    CS_AXIS_SIGMA_W2,
    CS_AXIS_SEED,
    CS_AXIS_Q0,
    CS_AXIS_CRIT_WEIGHT, /* train.criticality_weight as an axis */
    CS_AXIS_COUNT
} cs_axis_id;

/* The C type of an axis' values in cs_sweep (and so of its coordinate). */
typedef enum {
    CS_AXIS_T_ACTIVATION, /* cs_activation[]; coordinate: names (variable-length UTF-8) */
    CS_AXIS_T_INT,        /* int[];           coordinate: int32 */
    CS_AXIS_T_REAL,       /* double[];        coordinate: float64 */
    CS_AXIS_T_SEED,       /* uint64_t[];      coordinate: int64 */
} cs_axis_type;

typedef struct {
    const char *name;      /* coordinate and dimension name in the results file */
    const char *key;       /* key under grid: in a sweep file */
    cs_axis_type type;
    const char *units, *long_name;
    int optional;          /* 1: a dimension only when the sweep gives it */
    int can_grow;          /* 1: may be adaptive (grid.<key>.adaptive), refine adds to it */
    const char *missing;   /* non-NULL: the sweep must give it; the hint when it does not */
    double def;            /* value when not given (an activation as its cs_activation) */
    /* Real axes: lists, single numbers, or ranges {start, stop, num, scale: linear|log};
     * values in (lo, hi] when lo_open, else [lo, hi]; below lo the message says why. */
    double lo, hi;
    int lo_open;
    const char *why_low;
    /* Integer axes: [ilo, ihi]. */
    long long ilo, ihi;
    /* Where the sweep holds the axis: int count, values pointer (offsets in cs_sweep).
     * A count of 0 means an optional axis that is not given. */
    size_t count_at, values_at;
} cs_axis_def;

extern const cs_axis_def axis_defs[CS_AXIS_COUNT];
/* The grid: keys in axis order, for the sweep file's key check. */
extern const char *const axis_grid_keys[CS_AXIS_COUNT];

/* Axis by coordinate name, or -1. */
int axis_find(const char *name);

/* 1 when the axis is a dimension of this sweep (core axes always). */
int axis_present(const cs_sweep *s, cs_axis_id a);
/* Number of values: the axis' length, 1 for an optional axis not given. */
int axis_length(const cs_sweep *s, cs_axis_id a);
/* The dimensions of the sweep's per-task datasets, in order; returns their number
 * (5, plus one per optional axis given). */
int axis_dims(const cs_sweep *s, cs_axis_id dims[CS_AXIS_COUNT]);
int axis_ndims(const cs_sweep *s);
/* Value i of an axis as a double (an activation as its cs_activation, a seed
 * converted); an optional axis not given has its table default. */
double axis_value(const cs_sweep *s, cs_axis_id a, int i);
/* Value i formatted for people ("tanh", "64", "0.1"). */
void axis_format(const cs_sweep *s, cs_axis_id a, int i, char *buf, size_t n);
/* The sweep's value array and count (pointers into s; values NULL when not given). */
const void *axis_values(const cs_sweep *s, cs_axis_id a);
int axis_count(const cs_sweep *s, cs_axis_id a);

#endif

/* axis.c — the table of grid axes (axis.h), and the sweep's dimensions derived from it. */
#include <stdio.h>
#include <string.h>

#include "critsweep/activation.h"
#include "critsweep/axis.h"

#define AT(field) offsetof(cs_sweep, field)

const char *const axis_grid_keys[CS_AXIS_COUNT] = {"activation", "width", "sigma_b2",
                                                   "sigma_w2", "seeds", "q0",
                                                   "criticality_weight"};

/* The variance ranges and messages are the sweep file's rules since 0.1; q0's are
 * avalanche.q0's (its default, 0.1, is avalanche_params_default's: test_config checks). */
const cs_axis_def axis_defs[CS_AXIS_COUNT] = {
    [CS_AXIS_ACTIVATION] = {.name = "activation", .type = CS_AXIS_T_ACTIVATION, .units = "1",
                            .long_name = "activation function phi", .def = CS_ACT_TANH,
                            .count_at = AT(n_activation), .values_at = AT(activation)},
    [CS_AXIS_WIDTH] = {.name = "width", .type = CS_AXIS_T_INT, .units = "1",
                       .long_name = "network width N",
                       .missing = "grid: missing 'width' (a list of layer widths, e.g. [32, 64])",
                       .ilo = 1, .ihi = 65536, .count_at = AT(n_width), .values_at = AT(width)},
    [CS_AXIS_SIGMA_B2] = {.name = "sigma_b2", .type = CS_AXIS_T_REAL, .units = "1",
                          .long_name = "bias variance sigma_b^2", .def = 0, .lo = 0, .hi = 1e6,
                          .why_low = "a variance cannot be negative", .can_grow = 1,
                          .count_at = AT(n_sigma_b2), .values_at = AT(sigma_b2)},
    [CS_AXIS_SIGMA_W2] = {.name = "sigma_w2", .type = CS_AXIS_T_REAL, .units = "1",
                          .long_name = "weight variance sigma_w^2 (times 1/N)",
                          .missing = "grid: missing 'sigma_w2' (a list, or {start, stop, num})",
                          .lo = 0, .hi = 1e6, .why_low = "a variance cannot be negative",
                          .can_grow = 1, .count_at = AT(n_sigma_w2), .values_at = AT(sigma_w2)},
    [CS_AXIS_SEED] = {.name = "seed", .type = CS_AXIS_T_SEED, .units = "1",
                      .long_name = "seed (replica) of the random networks", .def = 0,
                      .ilo = 0, .ihi = INT64_MAX, /* int64 in the results file */
                      .can_grow = 1,
                      .count_at = AT(n_seed), .values_at = AT(seeds)},
    [CS_AXIS_Q0] = {.name = "q0", .type = CS_AXIS_T_REAL, .units = "1",
                    .long_name = "drive strength q0", .optional = 1, .def = 0.1, .lo = 0,
                    .lo_open = 1, .hi = 1e6, .why_low = "must be > 0",
                    .count_at = AT(n_q0), .values_at = AT(q0)},
    /* default 0: the plain cross-entropy training, so its slab is today's networks */
    [CS_AXIS_CRIT_WEIGHT] = {.name = "criticality_weight", .type = CS_AXIS_T_REAL,
                             .units = "1", .long_name = "criticality penalty weight w",
                             .optional = 1, .def = 0, .lo = 0, .hi = 1e6,
                             .why_low = "must be >= 0 (0 trains without the penalty)",
                             .count_at = AT(n_crit_weight), .values_at = AT(crit_weight)},
};

_Static_assert(CS_AXIS_COUNT <= CS_GRID_SLOTS, "cs_sweep has a slot for every axis");

int axis_find(const char *name)
{
    for (int a = 0; a < CS_AXIS_COUNT; a++)
        if (!strcmp(axis_defs[a].name, name))
            return a;
    return -1;
}

int axis_count(const cs_sweep *s, cs_axis_id a)
{
    return *(const int *)((const char *)s + axis_defs[a].count_at);
}

const void *axis_values(const cs_sweep *s, cs_axis_id a)
{
    return *(const void *const *)((const char *)s + axis_defs[a].values_at);
}

int axis_present(const cs_sweep *s, cs_axis_id a)
{
    return !axis_defs[a].optional || axis_count(s, a) > 0;
}

int axis_length(const cs_sweep *s, cs_axis_id a)
{
    return axis_present(s, a) ? axis_count(s, a) : 1;
}

int axis_dims(const cs_sweep *s, cs_axis_id dims[CS_AXIS_COUNT])
{
    int nd = 0;
    for (int pass = 0; pass < 2; pass++) /* optional axes outermost, then the core */
        for (int a = 0; a < CS_AXIS_COUNT; a++)
            if (axis_defs[a].optional == !pass && axis_present(s, (cs_axis_id)a))
                dims[nd++] = (cs_axis_id)a;
    return nd;
}

int axis_ndims(const cs_sweep *s)
{
    cs_axis_id dims[CS_AXIS_COUNT];
    return axis_dims(s, dims);
}

double axis_value(const cs_sweep *s, cs_axis_id a, int i)
{
    const void *v = axis_values(s, a);
    if (!axis_present(s, a) || !v)
        return axis_defs[a].def;
    switch (axis_defs[a].type) {
    case CS_AXIS_T_ACTIVATION:
        return (double)((const cs_activation *)v)[i];
    case CS_AXIS_T_INT:
        return (double)((const int *)v)[i];
    case CS_AXIS_T_SEED:
        return (double)((const uint64_t *)v)[i];
    case CS_AXIS_T_REAL:
        break;
    }
    return ((const double *)v)[i];
}

void axis_format(const cs_sweep *s, cs_axis_id a, int i, char *buf, size_t n)
{
    const void *v = axis_values(s, a);
    if (axis_defs[a].type == CS_AXIS_T_ACTIVATION && v)
        snprintf(buf, n, "%s", activation_name(((const cs_activation *)v)[i]));
    else if (axis_defs[a].type == CS_AXIS_T_SEED && v)
        snprintf(buf, n, "%llu", (unsigned long long)((const uint64_t *)v)[i]);
    else
        snprintf(buf, n, "%g", axis_value(s, a, i));
}

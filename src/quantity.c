/* quantity.c — the per-task quantity table (quantity.h) and access to a quantity's
 * value in a cs_result.  Plain C: no MPI, no files. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "critsweep/quantity.h"
#include "critsweep/task.h"

#define QUANTITY_ROW(name, at, src, tr, blank, part, units, long_name, description, timing, \
                     label)                                                                 \
    {#name, QUANTITY_SRC_##src, QUANTITY_TR_##tr, blank, QUANTITY_PART_##part, units,        \
     long_name, description, timing, label, offsetof(cs_result, at)},
#define QUANTITY_OWN(name, ...) QUANTITY_ROW(name, name, __VA_ARGS__)

const quantity_def quantity_defs[QUANTITY_COUNT] = {CS_QUANTITIES(QUANTITY_OWN, QUANTITY_ROW)};

#undef QUANTITY_OWN
#undef QUANTITY_ROW

const quantity_def *quantity_find(const char *name)
{
    for (int i = 0; i < QUANTITY_COUNT; i++)
        if (!strcmp(quantity_defs[i].name, name))
            return &quantity_defs[i];
    return NULL;
}

const char *quantity_figure_label(const char *name)
{
    const quantity_def *q = quantity_find(name);
    return q ? q->label : NULL;
}

static const void *at(const quantity_def *q, const cs_result *r)
{
    return (const char *)r + q->offset;
}

double quantity_double(const quantity_def *q, const cs_result *r)
{
    return *(const double *)at(q, r);
}

long long quantity_integer(const quantity_def *q, const cs_result *r)
{
    return q->src == QUANTITY_SRC_L ? (long long)*(const long *)at(q, r)
                                    : (long long)*(const int *)at(q, r);
}

const char *quantity_text(const quantity_def *q, const cs_result *r)
{
    return (const char *)at(q, r);
}

/* Values per task of an array over its trailing axes, as r is sized. */
static long array_length(quantity_trailing tr, const cs_result *r)
{
    switch (tr) {
    case QUANTITY_TR_EPOCH: return r->epochs;
    case QUANTITY_TR_SIZE_BIN: return CS_SIZE_BINS;
    case QUANTITY_TR_DURATION: return r->stats.dmax;
    case QUANTITY_TR_SHAPE_D: return r->n_profile_d;
    case QUANTITY_TR_PROFILE: return (long)r->n_profile_d * CS_PROFILE_POINTS;
    case QUANTITY_TR_DYNRANGE_Q: return r->n_q;
    case QUANTITY_TR_NONE:
    case QUANTITY_TR_CHAR: break;
    }
    return 0;
}

const double *quantity_array(const quantity_def *q, const cs_result *r, long *n)
{
    *n = 0;
    if (q->src != QUANTITY_SRC_P && q->src != QUANTITY_SRC_A)
        return NULL;
    *n = array_length(q->trailing, r);
    return q->src == QUANTITY_SRC_P ? *(double *const *)at(q, r) : (const double *)at(q, r);
}

void quantity_reset(cs_result *r)
{
    for (int i = 0; i < QUANTITY_COUNT; i++) {
        const quantity_def *q = &quantity_defs[i];
        void *p = (char *)r + q->offset;
        long n;
        double *a;
        switch (q->src) {
        case QUANTITY_SRC_D: *(double *)p = q->blank; break;
        case QUANTITY_SRC_L: *(long *)p = (long)q->blank; break;
        case QUANTITY_SRC_I: *(int *)p = (int)q->blank; break;
        case QUANTITY_SRC_T: *(char *)p = '\0'; break;
        case QUANTITY_SRC_P:
        case QUANTITY_SRC_A:
            a = (double *)quantity_array(q, r, &n);
            for (long k = 0; a && k < n; k++)
                a[k] = q->blank;
            break;
        }
    }
}

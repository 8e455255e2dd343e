/* config_grid.c — the `grid:` section, axis by axis from the axis table (axis.h): lists,
 * single values or ranges, sorted and free of duplicates, written into the sweep at
 * the table's offsets. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "critsweep/axis.h"

/* ---------------------------------------------------------------- grid axes */

typedef struct {
    double v;
    const node *at;
} axis_item;

static int cmp_item(const void *a, const void *b)
{
    const axis_item *x = a, *y = b;
    if (x->v != y->v)
        return x->v < y->v ? -1 : 1;
    return 0;
}

/* Sorts items ascending and refuses exact duplicates, naming the later occurrence. */
static int sort_unique(const loader *ld, axis_item *it, long n, const char *path, int integer)
{
    qsort(it, (size_t)n, sizeof *it, cmp_item);
    for (long i = 1; i < n; i++)
        if (it[i].v == it[i - 1].v) {
            const node *a = it[i].at, *b = it[i - 1].at;
            const node *later = (a->line > b->line || (a->line == b->line && a->col > b->col)) ? a : b;
            if (integer)
                return cfg_failf(ld, later, "%s: duplicate value %.0f", path, it[i].v);
            return cfg_failf(ld, later, "%s: duplicate value %.17g", path, it[i].v);
        }
    return 0;
}

/* The elements of an axis: a list, or a single scalar as a one-element list. */
static int axis_elems(const loader *ld, const node *v, const char *path, const node *const **el,
                      long *n)
{
    if (v->kind == NODE_SEQ) {
        if (v->n == 0)
            return cfg_failf(ld, v, "%s: empty axis (give at least one value)", path);
        if (v->n > MAX_AXIS)
            return cfg_failf(ld, v, "%s: more than %d values on one axis", path, MAX_AXIS);
        *el = (const node *const *)v->vals;
        *n = v->n;
        return 0;
    }
    if (v->kind == NODE_SCALAR && cfg_is_null(v))
        return cfg_failf(ld, v, "%s: empty axis (give at least one value)", path);
    *el = NULL;
    *n = 1;
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int check_seed_dups(const loader *ld, const node *v, const cs_sweep *s)
{
    uint64_t *sorted = malloc(sizeof *sorted * (size_t)s->n_seed);
    if (!sorted)
        return cfg_failf(ld, v, "grid.seeds: out of memory");
    memcpy(sorted, s->seeds, sizeof *sorted * (size_t)s->n_seed);
    qsort(sorted, (size_t)s->n_seed, sizeof *sorted, cmp_u64);
    int rc = 0;
    for (int i = 1; i < s->n_seed && !rc; i++)
        if (sorted[i] == sorted[i - 1]) {
            /* name the later occurrence in the list */
            int seen = 0;
            const node *at = v;
            for (int j = 0; j < s->n_seed && v->kind == NODE_SEQ; j++)
                if (s->seeds[j] == sorted[i] && seen++) {
                    at = v->vals[j];
                    break;
                }
            rc = cfg_failf(ld, at, "grid.seeds: duplicate seed %llu", (unsigned long long)sorted[i]);
        }
    free(sorted);
    return rc;
}

/* Where the sweep holds axis d: its count and its values pointer. */
static int *count_slot(cs_sweep *s, const cs_axis_def *d)
{
    return (int *)((char *)s + d->count_at);
}

static void **values_slot(cs_sweep *s, const cs_axis_def *d)
{
    return (void **)((char *)s + d->values_at);
}

/* A range {start, stop, num, scale}: num values from start to stop, both ends exact. */
static int real_range(const loader *ld, const node *v, const char *path, const cs_axis_def *d,
                      axis_item **out, long *nout)
{
    char ipath[96];
    int rc;
    if ((rc = cfg_check_keys(ld, v, path, cfg_range_keys, COUNT(cfg_range_keys))))
        return rc;
    node *ks, *kt, *kn, *kc;
    node *start = cfg_map_find(v, "start", &ks), *stop = cfg_map_find(v, "stop", &kt);
    node *num = cfg_map_find(v, "num", &kn), *scale = cfg_map_find(v, "scale", &kc);
    if (!start || !stop || !num)
        return cfg_failf(ld, v, "%s: a range needs start, stop and num (missing %s)", path,
                         !start ? "start" : !stop ? "stop" : "num");
    double a, b;
    long long cnt;
    int log_scale = 0;
    static const char *const scales[] = {"linear", "log"};
    snprintf(ipath, sizeof ipath, "%s.start", path);
    if ((rc = cfg_get_double(ld, start, ipath, d->lo, d->lo_open, d->hi, d->why_low, &a)))
        return rc;
    snprintf(ipath, sizeof ipath, "%s.stop", path);
    if ((rc = cfg_get_double(ld, stop, ipath, d->lo, d->lo_open, d->hi, d->why_low, &b)))
        return rc;
    snprintf(ipath, sizeof ipath, "%s.num", path);
    if ((rc = cfg_get_long(ld, num, ipath, 1, MAX_AXIS, &cnt)))
        return rc;
    if (scale) {
        snprintf(ipath, sizeof ipath, "%s.scale", path);
        if ((rc = cfg_get_choice(ld, scale, ipath, scales, 2, &log_scale)))
            return rc;
    }
    if (log_scale && (a <= 0 || b <= 0))
        return cfg_failf(ld, a <= 0 ? start : stop,
                         "%s: a log-scale range needs start and stop > 0", path);
    if (cnt > 1 && a == b)
        return cfg_failf(ld, v, "%s: start equals stop with num %lld: every value would be the same",
                         path, cnt);
    axis_item *it = malloc(sizeof *it * (size_t)cnt);
    if (!it)
        return cfg_failf(ld, v, "%s: out of memory", path);
    for (long i = 0; i < cnt; i++) {
        double t = cnt > 1 ? (double)i / (double)(cnt - 1) : 0.0;
        double x = log_scale ? exp(log(a) + (log(b) - log(a)) * t) : a + (b - a) * t;
        if (i == 0)
            x = a;
        else if (i == cnt - 1)
            x = b;
        it[i].v = x;
        it[i].at = v;
    }
    *out = it;
    *nout = cnt;
    return 0;
}

/* A list of numbers, or one number. */
static int real_list(const loader *ld, const node *v, const char *path, const cs_axis_def *d,
                     axis_item **out, long *nout)
{
    char ipath[96];
    const node *const *el = NULL;
    long n = 0;
    int rc;
    if ((rc = axis_elems(ld, v, path, &el, &n)))
        return rc;
    axis_item *it = malloc(sizeof *it * (size_t)n);
    if (!it)
        return cfg_failf(ld, v, "%s: out of memory", path);
    for (long i = 0; i < n && !rc; i++) {
        const node *e = el ? el[i] : v;
        snprintf(ipath, sizeof ipath, "%s[%ld]", path, i);
        if (e->kind == NODE_MAP && !el)
            rc = cfg_failf(ld, e, "%s: expected a list, a number or a range", path);
        else
            rc = cfg_get_double(ld, e, el ? ipath : path, d->lo, d->lo_open, d->hi, d->why_low,
                                &it[i].v);
        it[i].at = e;
    }
    if (rc) {
        free(it);
        return rc;
    }
    *out = it;
    *nout = n;
    return 0;
}

static int parse_real_axis(const loader *ld, const node *v, const char *path,
                           const cs_axis_def *d, cs_sweep *s)
{
    axis_item *it = NULL;
    long n = 0;
    int rc = v->kind == NODE_MAP ? real_range(ld, v, path, d, &it, &n)
                                 : real_list(ld, v, path, d, &it, &n);
    if (rc)
        return rc;
    if ((rc = sort_unique(ld, it, n, path, 0))) {
        free(it);
        return rc;
    }
    double *vals = malloc(sizeof *vals * (size_t)n);
    if (!vals) {
        free(it);
        return cfg_failf(ld, v, "%s: out of memory", path);
    }
    for (long i = 0; i < n; i++)
        vals[i] = it[i].v;
    free(it);
    *values_slot(s, d) = vals;
    *count_slot(s, d) = (int)n;
    return 0;
}

static int parse_int_axis(const loader *ld, const node *v, const char *path,
                          const cs_axis_def *d, cs_sweep *s)
{
    const node *const *el = NULL;
    long n = 0;
    int rc;
    if (v->kind == NODE_MAP)
        return cfg_failf(ld, v, "%s: expected a list of integers, got a mapping", path);
    if ((rc = axis_elems(ld, v, path, &el, &n)))
        return rc;
    axis_item *it = malloc(sizeof *it * (size_t)n);
    if (!it)
        return cfg_failf(ld, v, "%s: out of memory", path);
    char ipath[96];
    for (long i = 0; i < n && !rc; i++) {
        const node *e = el ? el[i] : v;
        int w = 0;
        snprintf(ipath, sizeof ipath, "%s[%ld]", path, i);
        rc = cfg_get_int(ld, e, el ? ipath : path, (int)d->ilo, (int)d->ihi, &w);
        it[i].v = w;
        it[i].at = e;
    }
    if (!rc)
        rc = sort_unique(ld, it, n, path, 1);
    int *vals = NULL;
    if (!rc && !(vals = malloc(sizeof *vals * (size_t)n)))
        rc = cfg_failf(ld, v, "%s: out of memory", path);
    if (!rc) {
        for (long i = 0; i < n; i++)
            vals[i] = (int)it[i].v;
        *values_slot(s, d) = vals;
        *count_slot(s, d) = (int)n;
    }
    free(it);
    return rc;
}

static int parse_activation_axis(const loader *ld, const node *v, const char *path,
                                 const cs_axis_def *d, cs_sweep *s)
{
    const node *const *el = NULL;
    long n = 0;
    int rc;
    if (v->kind == NODE_MAP)
        return cfg_failf(ld, v, "%s: expected a list of names, got a mapping", path);
    if ((rc = axis_elems(ld, v, path, &el, &n)))
        return rc;
    const char *names[CS_ACT_COUNT];
    for (int i = 0; i < CS_ACT_COUNT; i++)
        names[i] = activation_name((cs_activation)i);
    cs_activation *act = calloc((size_t)n, sizeof *act);
    if (!act)
        return cfg_failf(ld, v, "%s: out of memory", path);
    *values_slot(s, d) = act; /* owned by the sweep from here, also on error */
    char ipath[96];
    for (long i = 0; i < n; i++) {
        const node *e = el ? el[i] : v;
        int a = 0;
        snprintf(ipath, sizeof ipath, "%s[%ld]", path, i);
        if ((rc = cfg_get_choice(ld, e, el ? ipath : path, names, CS_ACT_COUNT, &a)))
            return rc;
        for (long j = 0; j < i; j++)
            if ((int)act[j] == a)
                return cfg_failf(ld, e, "%s: duplicate value %s", path, names[a]);
        act[i] = (cs_activation)a;
        *count_slot(s, d) = (int)i + 1;
    }
    return 0;
}

static int parse_seeds(const loader *ld, const node *v, const char *path, const cs_axis_def *d,
                       cs_sweep *s)
{
    int rc;
    if (v->kind == NODE_SCALAR && !cfg_is_null(v)) { /* a count */
        int cnt;
        if ((rc = cfg_get_int(ld, v, path, 1, MAX_AXIS, &cnt)))
            return rc;
        if (!(s->seeds = malloc(sizeof *s->seeds * (size_t)cnt)))
            return cfg_failf(ld, v, "%s: out of memory", path);
        for (int i = 0; i < cnt; i++)
            s->seeds[i] = (uint64_t)i;
        s->n_seed = cnt;
        return 0;
    }
    if (v->kind == NODE_MAP)
        return cfg_failf(ld, v, "%s: expected a count or a list of integers, got a mapping", path);
    const node *const *el = NULL;
    long n = 0;
    if ((rc = axis_elems(ld, v, path, &el, &n)))
        return rc;
    if (!el)
        return cfg_failf(ld, v, "%s: expected a count or a list of integers", path);
    if (!(s->seeds = malloc(sizeof *s->seeds * (size_t)n)))
        return cfg_failf(ld, v, "%s: out of memory", path);
    char ipath[96];
    for (long i = 0; i < n && !rc; i++) {
        long long x = 0;
        snprintf(ipath, sizeof ipath, "%s[%ld]", path, i);
        rc = cfg_get_long(ld, el[i], ipath, d->ilo, d->ihi, &x);
        s->seeds[i] = (uint64_t)x;
    }
    s->n_seed = rc ? 0 : (int)n;
    return rc ? rc : check_seed_dups(ld, v, s);
}

/* One value, the axis' default, for a core axis the sweep does not give. */
static int default_axis(const loader *ld, const node *g, const cs_axis_def *d, cs_sweep *s)
{
    size_t elem = d->type == CS_AXIS_T_REAL   ? sizeof(double)
                  : d->type == CS_AXIS_T_SEED ? sizeof(uint64_t)
                  : d->type == CS_AXIS_T_INT  ? sizeof(int)
                                              : sizeof(cs_activation);
    void *v = calloc(1, elem);
    if (!v)
        return cfg_failf(ld, g, "out of memory");
    if (d->type == CS_AXIS_T_REAL)
        *(double *)v = d->def;
    else if (d->type == CS_AXIS_T_SEED)
        *(uint64_t *)v = (uint64_t)d->def;
    else if (d->type == CS_AXIS_T_INT)
        *(int *)v = (int)d->def;
    else
        *(cs_activation *)v = (cs_activation)(int)d->def;
    *values_slot(s, d) = v;
    *count_slot(s, d) = 1;
    return 0;
}

static int parse_axis(const loader *ld, const node *v, const cs_axis_def *d, const char *key,
                      cs_sweep *s)
{
    char path[64];
    snprintf(path, sizeof path, "grid.%s", key);
    node *ak, *adaptive = v->kind == NODE_MAP ? cfg_map_find(v, "adaptive", &ak) : NULL;
    if (adaptive) {
        static const char *const only[] = {"adaptive"};
        int rc = cfg_check_keys(ld, v, path, only, 1);
        return rc ? rc : cfg_parse_adaptive(ld, adaptive, path, (cs_axis_id)(d - axis_defs), s);
    }
    switch (d->type) {
    case CS_AXIS_T_ACTIVATION:
        return parse_activation_axis(ld, v, path, d, s);
    case CS_AXIS_T_INT:
        return parse_int_axis(ld, v, path, d, s);
    case CS_AXIS_T_SEED:
        return parse_seeds(ld, v, path, d, s);
    case CS_AXIS_T_REAL:
        break;
    }
    return parse_real_axis(ld, v, path, d, s);
}

/* The whole grid within CS_MAX_TASKS, or a message with its factors. */
static int check_grid_size(const loader *ld, const node *gk, const cs_sweep *s)
{
    cs_axis_id dims[CS_AXIS_COUNT];
    int nd = axis_dims(s, dims);
    double tasks = 1;
    char factors[160] = "";
    for (int k = 0; k < nd; k++) {
        int len = axis_length(s, dims[k]);
        tasks *= len;
        snprintf(factors + strlen(factors), sizeof factors - strlen(factors), "%s%d",
                 k ? " x " : "", len);
    }
    if (tasks > (double)CS_MAX_TASKS)
        return cfg_failf(ld, gk, "grid: %s = %.0f tasks exceeds the limit of %ld; "
                                 "split the sweep into several files",
                         factors, tasks, CS_MAX_TASKS);
    return 0;
}

int cfg_parse_grid(const loader *ld, const node *root, cs_sweep *s)
{
    node *g, *gk;
    int rc = cfg_get_section(ld, root, "grid", &g, &gk);
    if (rc)
        return rc;
    if (!g)
        return cfg_failf(ld, gk, "grid: %s, e.g. grid: {width: [32, 64], sigma_w2: "
                             "{start: 0.5, stop: 2.0, num: 12}}",
                     gk ? "is empty: it needs at least width and sigma_w2"
                        : "missing: a sweep needs a grid with at least width and sigma_w2");
    for (int a = 0; a < CS_AXIS_COUNT; a++) {
        const cs_axis_def *d = &axis_defs[a];
        node *k, *v = cfg_map_find(g, axis_grid_keys[a], &k);
        if (v)
            rc = parse_axis(ld, v, d, axis_grid_keys[a], s);
        else if (d->missing)
            rc = cfg_failf(ld, gk, "%s", d->missing);
        else if (!d->optional)
            rc = default_axis(ld, g, d, s);
        if (rc)
            return rc;
    }
    if ((rc = check_grid_size(ld, gk, s)))
        return rc;
    return cfg_check_adaptive(ld, gk, s);
}

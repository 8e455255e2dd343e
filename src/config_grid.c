/* config_grid.c — the `grid:` section: the axes as lists, single values or ranges,
 * sorted and free of duplicates. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"

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

static int parse_variance_axis(const loader *ld, const node *v, const char *path, double **out,
                               int *nout)
{
    char ipath[96];
    axis_item *it = NULL;
    long n = 0;
    int rc = 0;
    static const char *neg = "a variance cannot be negative";
    if (v->kind == NODE_MAP) {
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
        if ((rc = cfg_get_double(ld, start, ipath, 0, 0, MAX_VARIANCE, neg, &a)))
            return rc;
        snprintf(ipath, sizeof ipath, "%s.stop", path);
        if ((rc = cfg_get_double(ld, stop, ipath, 0, 0, MAX_VARIANCE, neg, &b)))
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
        it = malloc(sizeof *it * (size_t)cnt);
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
        n = cnt;
    } else {
        const node *const *el;
        if ((rc = axis_elems(ld, v, path, &el, &n)))
            return rc;
        it = malloc(sizeof *it * (size_t)n);
        if (!it)
            return cfg_failf(ld, v, "%s: out of memory", path);
        for (long i = 0; i < n && !rc; i++) {
            const node *e = el ? el[i] : v;
            snprintf(ipath, sizeof ipath, "%s[%ld]", path, i);
            if (e->kind == NODE_MAP && !el)
                rc = cfg_failf(ld, e, "%s: expected a list, a number or a range", path);
            else
                rc = cfg_get_double(ld, e, el ? ipath : path, 0, 0, MAX_VARIANCE, neg, &it[i].v);
            it[i].at = e;
        }
        if (rc) {
            free(it);
            return rc;
        }
    }
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
    *out = vals;
    *nout = (int)n;
    return 0;
}

static int parse_width_axis(const loader *ld, const node *v, cs_sweep *s)
{
    const char *path = "grid.width";
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
    char ipath[64];
    for (long i = 0; i < n && !rc; i++) {
        const node *e = el ? el[i] : v;
        int w = 0;
        snprintf(ipath, sizeof ipath, "%s[%ld]", path, i);
        rc = cfg_get_int(ld, e, el ? ipath : path, 1, MAX_WIDTH, &w);
        it[i].v = w;
        it[i].at = e;
    }
    if (!rc)
        rc = sort_unique(ld, it, n, path, 1);
    if (!rc && !(s->width = malloc(sizeof *s->width * (size_t)n)))
        rc = cfg_failf(ld, v, "%s: out of memory", path);
    if (!rc) {
        for (long i = 0; i < n; i++)
            s->width[i] = (int)it[i].v;
        s->n_width = (int)n;
    }
    free(it);
    return rc;
}

static int parse_activation_axis(const loader *ld, const node *v, cs_sweep *s)
{
    const char *path = "grid.activation";
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
    s->activation = calloc((size_t)n, sizeof *s->activation);
    if (!s->activation)
        return cfg_failf(ld, v, "%s: out of memory", path);
    char ipath[64];
    for (long i = 0; i < n; i++) {
        const node *e = el ? el[i] : v;
        int a = 0;
        snprintf(ipath, sizeof ipath, "%s[%ld]", path, i);
        if ((rc = cfg_get_choice(ld, e, el ? ipath : path, names, CS_ACT_COUNT, &a)))
            return rc;
        for (long j = 0; j < i; j++)
            if ((int)s->activation[j] == a)
                return cfg_failf(ld, e, "%s: duplicate value %s", path, names[a]);
        s->activation[i] = (cs_activation)a;
        s->n_activation = (int)i + 1;
    }
    return 0;
}

static int parse_seeds(const loader *ld, const node *v, cs_sweep *s)
{
    const char *path = "grid.seeds";
    int rc;
    if (v->kind == NODE_SCALAR && !cfg_is_null(v)) { /* a count */
        int cnt;
        if ((rc = cfg_get_int(ld, v, "grid.seeds", 1, MAX_AXIS, &cnt)))
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
    char ipath[64];
    for (long i = 0; i < n && !rc; i++) {
        long long x = 0;
        snprintf(ipath, sizeof ipath, "%s[%ld]", path, i);
        /* int64 in the results file's seed coordinate */
        rc = cfg_get_long(ld, el[i], ipath, 0, INT64_MAX, &x);
        s->seeds[i] = (uint64_t)x;
    }
    s->n_seed = rc ? 0 : (int)n;
    return rc;
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
    node *k, *v;
    if ((v = cfg_map_find(g, "activation", &k))) {
        if ((rc = parse_activation_axis(ld, v, s)))
            return rc;
    } else {
        if (!(s->activation = malloc(sizeof *s->activation)))
            return cfg_failf(ld, g, "out of memory");
        s->activation[0] = CS_ACT_TANH;
        s->n_activation = 1;
    }
    if (!(v = cfg_map_find(g, "width", &k)))
        return cfg_failf(ld, gk, "grid: missing 'width' (a list of layer widths, e.g. [32, 64])");
    if ((rc = parse_width_axis(ld, v, s)))
        return rc;
    if ((v = cfg_map_find(g, "sigma_b2", &k))) {
        if ((rc = parse_variance_axis(ld, v, "grid.sigma_b2", &s->sigma_b2, &s->n_sigma_b2)))
            return rc;
    } else {
        if (!(s->sigma_b2 = calloc(1, sizeof *s->sigma_b2)))
            return cfg_failf(ld, g, "out of memory");
        s->n_sigma_b2 = 1;
    }
    if (!(v = cfg_map_find(g, "sigma_w2", &k)))
        return cfg_failf(ld, gk, "grid: missing 'sigma_w2' (a list, or {start, stop, num})");
    if ((rc = parse_variance_axis(ld, v, "grid.sigma_w2", &s->sigma_w2, &s->n_sigma_w2)))
        return rc;
    if ((v = cfg_map_find(g, "seeds", &k))) {
        if ((rc = parse_seeds(ld, v, s)))
            return rc;
        if ((rc = check_seed_dups(ld, v, s)))
            return rc;
    } else {
        if (!(s->seeds = calloc(1, sizeof *s->seeds)))
            return cfg_failf(ld, g, "out of memory");
        s->n_seed = 1;
    }
    double tasks = (double)s->n_activation * s->n_width * s->n_sigma_b2 * s->n_sigma_w2 *
                   s->n_seed;
    if (tasks > (double)CS_MAX_TASKS)
        return cfg_failf(ld, gk, "grid: %d x %d x %d x %d x %d = %.0f tasks exceeds the limit of %ld; "
                             "split the sweep into several files",
                     s->n_activation, s->n_width, s->n_sigma_b2, s->n_sigma_w2, s->n_seed, tasks,
                     CS_MAX_TASKS);
    return 0;
}

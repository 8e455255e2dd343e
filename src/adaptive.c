/* adaptive.c — planning the next round of a growing sweep (adaptive.h). */
#include "critsweep/adaptive.h"

#include <gsl/gsl_sort.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "critsweep/axis.h"
#include "critsweep/bootstrap.h"
#include "critsweep/deriv.h"
#include "critsweep/phase.h"
#include "critsweep/refine.h"
#include "critsweep/rng.h"

void adaptive_spec_of(const cs_sweep *s, adaptive_spec *out)
{
    out->sigma_w2 = s->adaptive[CS_AXIS_SIGMA_W2];
    out->sigma_b2 = s->adaptive[CS_AXIS_SIGMA_B2];
    out->seeds = s->adaptive[CS_AXIS_SEED];
}

int adaptive_any(const adaptive_spec *sp)
{
    return sp->sigma_w2.on || sp->sigma_b2.on || sp->seeds.on;
}

/* A candidate value and how uncertain the line that asked for it is. */
typedef struct {
    double x, priority;
} candidate;

typedef struct {
    candidate *c;
    long n, cap;
} candidates;

static int push(candidates *cs, double x, double priority)
{
    if (cs->n == cs->cap) {
        long cap = cs->cap ? 2 * cs->cap : 64;
        candidate *c = realloc(cs->c, (size_t)cap * sizeof *c);
        if (!c)
            return -1;
        cs->c = c, cs->cap = cap;
    }
    cs->c[cs->n++] = (candidate){x, priority};
    return 0;
}

/* Most uncertain first; ties by value, so the order never depends on the scan. */
static int cmp_candidate(const void *a, const void *b)
{
    const candidate *x = a, *y = b;
    if (x->priority != y->priority)
        return x->priority > y->priority ? -1 : 1;
    return (x->x > y->x) - (x->x < y->x);
}

static int in_grid(const double *g, int n, double x)
{
    for (int i = 0; i < n; i++)
        if (fabs(g[i] - x) <= 1e-12 * fmax(1.0, fabs(x)))
            return 1;
    return 0;
}

/* Up to room values from the candidates, most uncertain first, none twice or in the
 * grid, sorted ascending into *out. */
static int choose(candidates *cs, const double *grid, int n_grid, int room, double **out)
{
    qsort(cs->c, (size_t)cs->n, sizeof *cs->c, cmp_candidate);
    double *v = malloc((size_t)(cs->n > 0 ? cs->n : 1) * sizeof *v);
    if (!v)
        return -1;
    int m = 0;
    for (long i = 0; i < cs->n && m < room; i++)
        if (!in_grid(grid, n_grid, cs->c[i].x) && !in_grid(v, m, cs->c[i].x))
            v[m++] = cs->c[i].x;
    gsl_sort(v, 1, (size_t)m);
    *out = v;
    return m;
}

/* The per-task values of one (activation, width, σ_b²) line: (S, seeds). */
typedef struct {
    const phase_file *pf;
    const double *size, *acc;   /* (n_tasks) of the slab */
    double *line_size, *line_acc, *mean, *se, *reps;
    uint64_t key;
} line_work;

/* Location of the line on the curve (mean, se): χ's maximum or the accuracy's; NaN
 * when the maximum is at an end of the range (the line may lie outside it: adding
 * points inside would not find it). */
static double locate(const double *x, int S, const double *mean, const double *se, int ridge)
{
    deriv_curve c = {x, mean, se, S};
    double loc = NAN, peak, h = deriv_bandwidth(&c);
    int edge;
    if (ridge)
        deriv_value_peak(&c, h, &loc, &peak, &edge);
    else
        deriv_slope_peak(&c, h, &loc, &peak, &edge);
    return edge ? NAN : loc;
}

/* Bootstrap replicates of one line's location into w->reps; returns the location on
 * the data. */
static double line_replicates(line_work *w, int ridge, int R)
{
    const phase_file *pf = w->pf;
    int S = pf->n_sw2, ns = pf->n_seed;
    const double *v = ridge ? w->line_acc : w->line_size;
    boot_cell_moments(v, S, ns, w->mean, w->se);
    double est = locate(pf->sigma_w2, S, w->mean, w->se, ridge);
    double *se_data = w->se + S; /* the data's standard errors weight every replicate */
    memcpy(se_data, w->se, (size_t)S * sizeof *se_data);
    const double *vv[1] = {v};
    double *out[1] = {w->mean};
    for (int r = 0; r < R; r++) {
        boot_resample_means(vv, out, 1, S, ns, w->key ^ (uint64_t)ridge, r);
        w->reps[r] = locate(pf->sigma_w2, S, w->mean, se_data, ridge);
    }
    return est;
}

typedef struct {
    const adaptive_spec *sp;
    adaptive_plan *p;
    candidates sw2, sb2;
    double *located;  /* (B) Widom line per σ_b² of the current (slab, a, w) */
} planner;

static void note_worst(planner *pl, double hw, const phase_file *pf, int a, int w, int b,
                       int ridge)
{
    adaptive_plan *p = pl->p;
    if (isfinite(hw) && (!isfinite(p->worst) || hw > p->worst)) {
        p->worst = hw;
        snprintf(p->worst_at, sizeof p->worst_at, "%.96s%s%.32s N=%d sigma_b2=%g, %s",
                 pf->slab_label, *pf->slab_label ? " " : "", pf->activation[a], pf->width[w],
                 pf->sigma_b2[b], ridge ? "ridge" : "widom");
    }
}

/* Plans one line (one target on one σ_b²). */
static int plan_line(planner *pl, line_work *w, int a, int wi, int b, int ridge)
{
    const phase_file *pf = w->pf;
    const cs_adaptive *ad = &pl->sp->sigma_w2;
    double tol = ad->on ? ad->tol : pl->sp->sigma_b2.tol;
    int R = ADAPTIVE_REPLICATES, n_new = 0;
    double est = line_replicates(w, ridge, R), hw, nx[ADAPTIVE_MAX_NEW];
    refine_action act = refine_column(pf->sigma_w2, pf->n_sw2, w->reps, R, tol,
                                      ad->on ? ADAPTIVE_MAX_NEW : 0, nx, &n_new, &hw);
    pl->p->lines++;
    if (!ridge)
        pl->located[b] = act == REFINE_UNLOCATED ? NAN : est;
    if (act == REFINE_UNLOCATED)
        return 0;
    pl->p->located++;
    note_worst(pl, hw, pf, a, wi, b, ridge);
    if (act == REFINE_DONE) {
        pl->p->within_tol++;
        return 0;
    }
    if (act == REFINE_SEEDS || !ad->on)
        pl->p->want_seeds = 1;
    for (int i = 0; i < n_new; i++)
        if (nx[i] >= ad->start && nx[i] <= ad->stop && push(&pl->sw2, nx[i], hw))
            return -1;
    return 0;
}

/* An adaptive σ_b²: midpoints where neighbouring Widom lines jump by more than 2 tol. */
static int plan_sigma_b2(planner *pl, const phase_file *pf)
{
    const cs_adaptive *ad = &pl->sp->sigma_b2;
    for (int b = 0; ad->on && b + 1 < pf->n_sb2; b++) {
        double jump = fabs(pl->located[b + 1] - pl->located[b]);
        double mid = 0.5 * (pf->sigma_b2[b] + pf->sigma_b2[b + 1]);
        if (isfinite(jump) && jump > 2 * ad->tol && mid > pf->sigma_b2[b] &&
            mid < pf->sigma_b2[b + 1] && push(&pl->sb2, mid, jump))
            return -1;
    }
    return 0;
}

/* Gathers one line's (S, seeds) values of the slab's per-task arrays. */
static void gather_line(line_work *w, long cell0)
{
    int S = w->pf->n_sw2, ns = w->pf->n_seed;
    for (int j = 0; j < S; j++)
        for (int k = 0; k < ns; k++) {
            long t = (cell0 + j) * ns + k, o = (long)j * ns + k;
            w->line_size[o] = w->size[t];
            w->line_acc[o] = w->acc ? w->acc[t] : NAN;
        }
}

static int plan_slab(planner *pl, line_work *w, const cs_sweep *s)
{
    const phase_file *pf = w->pf;
    unsigned targets = pl->sp->sigma_w2.on ? pl->sp->sigma_w2.targets
                                           : pl->sp->sigma_b2.targets;
    for (int a = 0; a < pf->n_act; a++)
        for (int wi = 0; wi < pf->n_width; wi++) {
            for (int b = 0; b < pf->n_sb2; b++) {
                long cell0 = (((long)a * pf->n_width + wi) * pf->n_sb2 + b) * pf->n_sw2;
                gather_line(w, cell0);
                w->key = rng_key_mix(rng_key_mix(s->seed, (uint64_t)pf->slab, (double)a),
                                     (uint64_t)wi, pf->sigma_b2[b]);
                pl->located[b] = NAN;
                if ((targets & CS_TARGET_WIDOM) && plan_line(pl, w, a, wi, b, 0))
                    return -1;
                if ((targets & CS_TARGET_RIDGE) && w->acc && plan_line(pl, w, a, wi, b, 1))
                    return -1;
            }
            if (plan_sigma_b2(pl, pf))
                return -1;
        }
    return 0;
}

static int line_work_alloc(line_work *w, const phase_file *pf)
{
    long per = (long)pf->n_sw2 * pf->n_seed;
    w->line_size = malloc((size_t)per * sizeof(double));
    w->line_acc = malloc((size_t)per * sizeof(double));
    w->mean = malloc((size_t)pf->n_sw2 * sizeof(double));
    w->se = malloc(2 * (size_t)pf->n_sw2 * sizeof(double));
    w->reps = malloc(ADAPTIVE_REPLICATES * sizeof(double));
    return w->line_size && w->line_acc && w->mean && w->se && w->reps ? 0 : -1;
}

static void line_work_free(line_work *w)
{
    free(w->line_size);
    free(w->line_acc);
    free(w->mean);
    free(w->se);
    free(w->reps);
}

/* Plans every slab of the open file into pl's candidates. */
static int plan_file(planner *pl, phase_file *pf, const cs_sweep *s, cs_err *err)
{
    line_work w = {.pf = pf};
    double *size = malloc((size_t)pf->n_tasks * sizeof *size);
    double *acc = malloc((size_t)pf->n_tasks * sizeof *acc);
    pl->located = malloc((size_t)pf->n_sb2 * sizeof *pl->located);
    int rc = !size || !acc || !pl->located || line_work_alloc(&w, pf)
                 ? cs_fail(err, CS_EXIT_ERROR, "%s: out of memory planning a round", pf->path)
                 : 0;
    int has_acc = phase_has_dataset(pf, "test_accuracy");
    for (long k = 0; k < pf->n_slabs && !rc; k++) {
        phase_file_select_slab(pf, k);
        rc = phase_task_values(pf, "S_mean", size, err);
        if (!rc && has_acc)
            rc = phase_task_values(pf, "test_accuracy", acc, err);
        int any_acc = 0;
        for (long t = 0; has_acc && t < pf->n_tasks; t++)
            any_acc |= isfinite(acc[t]);
        w.size = size, w.acc = any_acc ? acc : NULL;
        if (!rc && plan_slab(pl, &w, s))
            rc = cs_fail(err, CS_EXIT_ERROR, "%s: out of memory planning a round", pf->path);
    }
    line_work_free(&w);
    free(size);
    free(acc);
    free(pl->located);
    return rc;
}

/* Values an axis may still take: its budget less what it has. */
static int room(const cs_adaptive *ad, int have)
{
    return ad->on && ad->budget > have ? ad->budget - have : 0;
}

int adaptive_plan_round(const char *path, const cs_sweep *s, const adaptive_spec *sp,
                        adaptive_plan *p, cs_err *err)
{
    memset(p, 0, sizeof *p);
    p->worst = NAN;
    phase_file pf;
    int rc = phase_file_open(&pf, path, err);
    if (rc)
        return rc;
    planner pl = {.sp = sp, .p = p};
    rc = plan_file(&pl, &pf, s, err);
    int n_sw2 = pf.n_sw2, n_sb2 = pf.n_sb2, n_seed = pf.n_seed;
    int r_sw2 = room(&sp->sigma_w2, n_sw2), r_sb2 = room(&sp->sigma_b2, n_sb2);
    if (!rc) {
        int m1 = choose(&pl.sw2, pf.sigma_w2, n_sw2, r_sw2, &p->sigma_w2);
        int m2 = choose(&pl.sb2, pf.sigma_b2, n_sb2, r_sb2, &p->sigma_b2);
        if (m1 < 0 || m2 < 0)
            rc = cs_fail(err, CS_EXIT_ERROR, "%s: out of memory planning a round", path);
        p->n_sigma_w2 = m1 > 0 ? m1 : 0, p->n_sigma_b2 = m2 > 0 ? m2 : 0;
        p->budget_spent = (pl.sw2.n > m1 && m1 == r_sw2) || (pl.sb2.n > m2 && m2 == r_sb2);
    }
    /* More seeds when a line is uncertain but its grid is fine enough (or cannot grow):
     * half as many again, within the budget. */
    int r_seed = room(&sp->seeds, n_seed);
    p->want_seeds |= pl.sw2.n > 0 && r_sw2 == 0; /* the σ_w² budget is spent */
    if (!rc && p->want_seeds && p->n_sigma_w2 == 0 && sp->seeds.on) {
        p->n_seeds = (n_seed + 1) / 2 < r_seed ? (n_seed + 1) / 2 : r_seed;
        p->budget_spent |= r_seed == 0;
    } else if (!rc && p->want_seeds && p->n_sigma_w2 == 0) {
        p->budget_spent |= !sp->seeds.on && r_sw2 == 0;
    }
    free(pl.sw2.c);
    free(pl.sb2.c);
    phase_file_free(&pf);
    if (rc)
        adaptive_plan_free(p);
    return rc;
}

void adaptive_plan_free(adaptive_plan *p)
{
    free(p->sigma_w2);
    free(p->sigma_b2);
    p->sigma_w2 = p->sigma_b2 = NULL;
    p->n_sigma_w2 = p->n_sigma_b2 = p->n_seeds = 0;
}

int adaptive_plan_empty(const adaptive_plan *p)
{
    return p->n_sigma_w2 == 0 && p->n_sigma_b2 == 0 && p->n_seeds == 0;
}

void adaptive_plan_describe(const adaptive_plan *p, char *out, size_t n)
{
    int k = snprintf(out, n, "+%d sigma_w2, +%d sigma_b2, +%d seeds; %d of %d lines located, "
                     "%d within tol", p->n_sigma_w2, p->n_sigma_b2, p->n_seeds, p->located,
                     p->lines, p->within_tol);
    if (k >= 0 && (size_t)k < n && isfinite(p->worst))
        snprintf(out + k, n - (size_t)k, "; least certain +-%.3g (%s)", p->worst, p->worst_at);
}

/* values ∪ add, sorted (both sorted, disjoint); NULL when out of memory. */
static double *merge_sorted(const double *v, int n, const double *add, int m)
{
    double *out = malloc((size_t)(n + m) * sizeof *out);
    if (!out)
        return NULL;
    memcpy(out, v, (size_t)n * sizeof *out);
    memcpy(out + n, add, (size_t)m * sizeof *out);
    gsl_sort(out, 1, (size_t)(n + m));
    return out;
}

/* A plain axis keeps the values the sweep file gave as its base: the hash covers them. */
static int keep_base(cs_sweep *s, cs_axis_id a, const double *v, int n)
{
    if (s->adaptive[a].on || s->base[a])
        return 0;
    if (!(s->base[a] = malloc((size_t)(n > 0 ? n : 1) * sizeof(double))))
        return -1;
    memcpy(s->base[a], v, (size_t)n * sizeof(double));
    s->n_base[a] = n;
    return 0;
}

static int grow_real(cs_sweep *s, cs_axis_id a, double **vals, int *n, const double *add, int m)
{
    if (m == 0)
        return 0;
    double *merged = merge_sorted(*vals, *n, add, m);
    if (!merged || keep_base(s, a, *vals, *n)) {
        free(merged);
        return -1;
    }
    free(*vals);
    *vals = merged;
    *n += m;
    return 0;
}

int adaptive_grow_sweep(cs_sweep *s, const adaptive_plan *p)
{
    if (grow_real(s, CS_AXIS_SIGMA_W2, &s->sigma_w2, &s->n_sigma_w2, p->sigma_w2, p->n_sigma_w2) ||
        grow_real(s, CS_AXIS_SIGMA_B2, &s->sigma_b2, &s->n_sigma_b2, p->sigma_b2, p->n_sigma_b2))
        return -1;
    if (p->n_seeds == 0)
        return 0;
    uint64_t *seeds = realloc(s->seeds, (size_t)(s->n_seed + p->n_seeds) * sizeof *seeds);
    if (!seeds)
        return -1;
    uint64_t next = 0;
    for (int i = 0; i < s->n_seed; i++)
        next = seeds[i] >= next ? seeds[i] + 1 : next;
    for (int i = 0; i < p->n_seeds; i++)
        seeds[s->n_seed + i] = next + (uint64_t)i;
    s->seeds = seeds;
    s->n_seed += p->n_seeds;
    return 0;
}

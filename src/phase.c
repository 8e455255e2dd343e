/* phase.c — derived tables of a results file: seed averages, χ = ∂S̄/∂σ_w² (the
 * noise-aware local fit of deriv.h, and χ_fd by numpy.gradient's formula for
 * comparison), χ_b = ∂S̄/∂σ_b² (numpy.gradient), the Widom line, the edge of chaos from
 * mean-field theory, exponents pooled over seeds from the stored sufficient statistics,
 * and the claim test with bootstrap intervals (claim.h: Spearman correlations of
 * accuracy with χ and with −|χ_1 − 1|, distances of the accuracy ridge to both lines).  Reads through store_read.h; store
 * writes the derived datasets (store_write_derived) after the run closed the file. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "critsweep/activation.h"
#include "critsweep/claim.h"
#include "critsweep/config.h"
#include "critsweep/deriv.h"
#include "critsweep/fit.h"
#include "critsweep/meanfield.h"
#include "critsweep/phase.h"
#include "critsweep/rng.h"
#include "critsweep/store.h"
#include "critsweep/store_read.h"
#include "critsweep/task.h"

static double *nan_array(long n)
{
    double *p = malloc((size_t)(n > 0 ? n : 1) * sizeof *p);
    if (p)
        for (long i = 0; i < n; i++)
            p[i] = NAN;
    return p;
}

/* Average ranks (ties share the mean of their positions), 1-based. */
static int cmp_idx_val(const void *a, const void *b, void *ctx)
{
    const double *v = ctx;
    double x = v[*(const int *)a], y = v[*(const int *)b];
    return (x > y) - (x < y);
}

static void average_ranks(const double *v, int n, double *rank, int *idx)
{
    for (int i = 0; i < n; i++)
        idx[i] = i;
    qsort_r(idx, (size_t)n, sizeof *idx, cmp_idx_val, (void *)v);
    for (int i = 0; i < n;) {
        int j = i;
        while (j + 1 < n && v[idx[j + 1]] == v[idx[i]])
            j++;
        double r = 0.5 * (i + j) + 1.0;
        for (int k = i; k <= j; k++)
            rank[idx[k]] = r;
        i = j + 1;
    }
}

/* ------------------------------------------------------------------ numerics */

void phase_gradient(const double *f, long fs, const double *x, int n, double *out, long os)
{
    deriv_gradient(f, fs, x, n, out, os);
}

double phase_peak(const double *x, const double *y, long ys, int n, double *ymax)
{
    return deriv_grid_peak(x, y, ys, n, ymax);
}

double phase_spearman(const double *x, const double *y, int n, int *used)
{
    double *a = malloc((size_t)(n > 0 ? n : 1) * 4 * sizeof *a);
    int *idx = malloc((size_t)(n > 0 ? n : 1) * sizeof *idx);
    if (!a || !idx) {
        free(a);
        free(idx);
        return NAN;
    }
    double *bx = a + n, *rx = a + 2 * n, *ry = a + 3 * n;
    int m = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(x[i]) && isfinite(y[i])) {
            a[m] = x[i];
            bx[m] = y[i];
            m++;
        }
    if (used)
        *used = m;
    double r = NAN;
    if (m >= 3) {
        average_ranks(a, m, rx, idx);
        average_ranks(bx, m, ry, idx);
        double mx = 0, my = 0;
        for (int i = 0; i < m; i++) {
            mx += rx[i];
            my += ry[i];
        }
        mx /= m;
        my /= m;
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < m; i++) {
            sxy += (rx[i] - mx) * (ry[i] - my);
            sxx += (rx[i] - mx) * (rx[i] - mx);
            syy += (ry[i] - my) * (ry[i] - my);
        }
        if (sxx > 0 && syy > 0)
            r = sxy / sqrt(sxx * syy);
    }
    free(a);
    free(idx);
    return r;
}

/* ------------------------------------------------------------------ the file */

int phase_task_completed(int8_t status)
{
    return store_task_completed(status);
}

void phase_file_free(phase_file *pf)
{
    store_reader_close(&pf->rd);
    free(pf->width);
    memset(pf, 0, sizeof *pf);
}

/* The counts of tasks by status, and of cells with no completed seed. */
static void count_status(phase_file *pf)
{
    pf->n_done = pf->n_failed = pf->n_diverged = pf->n_pending = pf->n_pending_cells = 0;
    for (long t = 0; t < pf->n_tasks; t++) {
        switch (pf->status[t]) {
        case CS_STATUS_DONE: pf->n_done++; break;
        case CS_STATUS_FAILED: pf->n_failed++; break;
        case CS_STATUS_DIVERGED: pf->n_diverged++; break;
        default: pf->n_pending++; break;
        }
    }
    for (long c = 0; c < pf->n_cells; c++) {
        int any = 0;
        for (int s = 0; s < pf->n_seed; s++)
            any |= phase_task_completed(pf->status[c * pf->n_seed + s]);
        pf->n_pending_cells += !any;
    }
}

int phase_file_open(phase_file *pf, const char *path, cs_err *err)
{
    memset(pf, 0, sizeof *pf);
    pf->replicates = PHASE_REPLICATES;
    store_reader *r = &pf->rd;
    int rc = store_reader_open(r, path, 1, err);
    if (rc)
        return rc;
    /* Nothing is computed from, or written into, a file that is damaged. */
    if (r->integ.damaged) {
        rc = cs_fail(err, CS_EXIT_USAGE, "%s is damaged: %ld finished rows do not match their "
                     "checksum and %ld status bytes are outside 0..3; `critsweep run` on its "
                     "sweep computes them again (`critsweep status --verify` lists them); "
                     "nothing was changed", path, r->integ.n_bad_checksum,
                     r->integ.n_bad_status);
        phase_file_free(pf);
        return rc;
    }
    pf->path = r->path;
    pf->n_act = r->n[STORE_AX_ACTIVATION];
    pf->n_width = r->n[STORE_AX_WIDTH];
    pf->n_sb2 = r->n[STORE_AX_SIGMA_B2];
    pf->n_sw2 = r->n[STORE_AX_SIGMA_W2];
    pf->n_seed = r->n[STORE_AX_SEED];
    pf->n_cells = (long)pf->n_act * pf->n_width * pf->n_sb2 * pf->n_sw2;
    pf->n_tasks = r->slab_tasks;
    pf->n_slabs = r->n_slabs;
    pf->activation = r->activation;
    pf->sigma_b2 = r->sigma_b2;
    pf->sigma_w2 = r->sigma_w2;
    pf->seed = r->seed;
    pf->status = r->status;
    if (!(pf->width = calloc((size_t)pf->n_width, sizeof *pf->width))) {
        phase_file_free(pf);
        return cs_fail(err, CS_EXIT_ERROR, "%s: out of memory reading the axes", path);
    }
    for (int i = 0; i < pf->n_width; i++)
        pf->width[i] = (int)r->width[i];
    phase_file_select_slab(pf, 0);
    return 0;
}

void phase_file_select_slab(phase_file *pf, long k)
{
    pf->slab = k;
    pf->status = pf->rd.status + k * pf->n_tasks;
    store_reader_slab_label(&pf->rd, k, pf->slab_label, sizeof pf->slab_label);
    count_status(pf);
}

int phase_find_activation(const phase_file *pf, const char *name)
{
    for (int i = 0; i < pf->n_act; i++)
        if (!strcmp(pf->activation[i], name))
            return i;
    return -1;
}

int phase_find_width(const phase_file *pf, long width)
{
    for (int i = 0; i < pf->n_width; i++)
        if (pf->width[i] == width)
            return i;
    return -1;
}

int phase_has_dataset(const phase_file *pf, const char *name)
{
    return store_reader_has(&pf->rd, name);
}

int phase_read_doubles(const phase_file *pf, const char *name, double *out, long n,
                       cs_err *err)
{
    return store_reader_slab_doubles(&pf->rd, name, pf->slab, out, n, err);
}

int phase_task_values(const phase_file *pf, const char *name, double *vals, cs_err *err)
{
    if (!strcmp(name, "crackling")) {
        double *pred = malloc((size_t)pf->n_tasks * sizeof *pred);
        if (!pred)
            return cs_fail(err, CS_EXIT_ERROR, "out of memory");
        int rc = phase_task_values(pf, "gamma", vals, err);
        if (!rc)
            rc = phase_task_values(pf, "gamma_pred", pred, err);
        if (!rc)
            for (long t = 0; t < pf->n_tasks; t++)
                vals[t] -= pred[t];
        free(pred);
        return rc;
    }
    int rc = store_reader_slab_doubles(&pf->rd, name, pf->slab, vals, pf->n_tasks, err);
    if (rc)
        return rc;
    /* Pending or failed tasks hold fill values (NaN, or -1 for integers): not data. */
    for (long t = 0; t < pf->n_tasks; t++)
        if (!phase_task_completed(pf->status[t]))
            vals[t] = NAN;
    return 0;
}

void phase_seed_reduce(const phase_file *pf, const double *vals, double *mean, double *std,
                       int *count)
{
    int ns = pf->n_seed;
    for (long c = 0; c < pf->n_cells; c++) {
        const double *v = vals + c * ns;
        const int8_t *st = pf->status + c * ns;
        double sum = 0;
        int m = 0;
        for (int s = 0; s < ns; s++)
            if (phase_task_completed(st[s]) && isfinite(v[s])) {
                sum += v[s];
                m++;
            }
        double mu = m ? sum / m : NAN;
        if (mean)
            mean[c] = mu;
        if (count)
            count[c] = m;
        if (std) {
            double ss = 0;
            for (int s = 0; s < ns; s++)
                if (phase_task_completed(st[s]) && isfinite(v[s]))
                    ss += (v[s] - mu) * (v[s] - mu);
            std[c] = m >= 2 ? sqrt(ss / (m - 1)) : NAN;
        }
    }
}

/* ------------------------------------------------------------------ derived */

/* Every table of phase_derived, with its shape: one list for alloc and free. */
enum { SZ_CELL, SZ_LINE, SZ_AB, SZ_AW };
#define T(name, size) {offsetof(phase_derived, name), size}
static const struct {
    size_t off;
    int size;
} TABLES[] = {
    T(S_mean_seedavg, SZ_CELL), T(S_mean_seedstd, SZ_CELL), T(chi, SZ_CELL),
    T(chi_fd, SZ_CELL), T(chi_b, SZ_CELL), T(tau_s_pooled, SZ_CELL),
    T(tau_s_pooled_err, SZ_CELL), T(tau_d_pooled, SZ_CELL), T(tau_d_pooled_err, SZ_CELL),
    T(gamma_pooled, SZ_CELL), T(gamma_pooled_err, SZ_CELL), T(accuracy_seedavg, SZ_CELL),
    T(chi1_seedavg, SZ_CELL), T(accuracy_seedstd, SZ_CELL), T(chi_lo, SZ_CELL),
    T(chi_hi, SZ_CELL),
    T(widom_sigma_w2, SZ_LINE), T(widom_sigma_w2_lo, SZ_LINE), T(widom_sigma_w2_hi, SZ_LINE),
    T(chi_max, SZ_LINE), T(chi_bandwidth, SZ_LINE), T(accuracy_ridge_sigma_w2, SZ_LINE),
    T(accuracy_ridge_sigma_w2_lo, SZ_LINE), T(accuracy_ridge_sigma_w2_hi, SZ_LINE),
    T(edge_sigma_w2, SZ_AB),
    T(spearman_acc_chi, SZ_AW), T(spearman_acc_chi_lo, SZ_AW), T(spearman_acc_chi_hi, SZ_AW),
    T(spearman_acc_edge, SZ_AW), T(spearman_acc_edge_lo, SZ_AW),
    T(spearman_acc_edge_hi, SZ_AW), T(rho_diff, SZ_AW), T(rho_diff_lo, SZ_AW),
    T(rho_diff_hi, SZ_AW), T(rho_dist_widom, SZ_AW), T(rho_dist_widom_lo, SZ_AW),
    T(rho_dist_widom_hi, SZ_AW), T(rho_dist_edge, SZ_AW), T(rho_dist_edge_lo, SZ_AW),
    T(rho_dist_edge_hi, SZ_AW), T(rho_dist_diff, SZ_AW), T(rho_dist_diff_lo, SZ_AW),
    T(rho_dist_diff_hi, SZ_AW), T(ridge_dist_widom, SZ_AW), T(ridge_dist_widom_lo, SZ_AW),
    T(ridge_dist_widom_hi, SZ_AW), T(ridge_dist_edge, SZ_AW), T(ridge_dist_edge_lo, SZ_AW),
    T(ridge_dist_edge_hi, SZ_AW),
};
#undef T
#define N_TABLES (sizeof TABLES / sizeof *TABLES)

static double **table(phase_derived *d, size_t k)
{
    return (double **)((char *)d + TABLES[k].off);
}

/* The (A, W) integer tables: pair counts (0 when none) and verdicts. */
static int **int_tables(phase_derived *d, int k)
{
    int **t[] = {&d->n_acc_chi, &d->n_acc_edge, &d->n_ridge_widom, &d->n_ridge_edge,
                 &d->claim_verdict, &d->claim_verdict_dist};
    return k < (int)(sizeof t / sizeof *t) ? t[k] : NULL;
}

void phase_derived_free(phase_derived *d)
{
    for (size_t i = 0; i < N_TABLES; i++) {
        free(*table(d, i));
        *table(d, i) = NULL;
    }
    for (int k = 0; int_tables(d, k); k++)
        free(*int_tables(d, k));
    free(d->pooled_note);
    memset(d, 0, sizeof *d);
}

/* The γ regression's minimum count: the sweep's own setting when the stored YAML
 * parses, the reference value otherwise. */
static int pooled_min_count(const phase_file *pf)
{
    fit_options fo;
    fit_options_default(&fo);
    int min_count = fo.gamma_min_count > 0 ? fo.gamma_min_count : 100;
    char *yaml = store_reader_attr_string(&pf->rd, "sweep_yaml");
    if (yaml) {
        cs_sweep sw;
        cs_err e2 = {0};
        memset(&sw, 0, sizeof sw);
        if (config_load_text(yaml, strlen(yaml), "sweep_yaml", NULL, 0, &sw, &e2) == 0) {
            if (sw.fit.gamma_min_count > 0)
                min_count = sw.fit.gamma_min_count;
            config_free(&sw);
        }
        free(yaml);
    }
    return min_count;
}

/* The per-task inputs of the pooled fits, NaN outside completed tasks. */
#define N_POOLED_ARRAYS 5
typedef struct {
    long L;                          /* duration axis length */
    double *nts, *sls, *xmd;         /* n_tail_s, sum_log_s, xmin_d */
    double *smin, *smax;             /* S_tail_min/max; NULL in files without them */
    double *arr[N_POOLED_ARRAYS];    /* (n_tasks, L) per-duration sums */
} pooled_inputs;

static const char *const pooled_array_names[N_POOLED_ARRAYS] = {
    "D_count", "gcount", "gsum_S", "gsum_log10S", "gsum_log10S2"};

static void pooled_inputs_free(pooled_inputs *in)
{
    free(in->nts);
    free(in->sls);
    free(in->xmd);
    free(in->smin);
    free(in->smax);
    for (int k = 0; k < N_POOLED_ARRAYS; k++)
        free(in->arr[k]);
}

static int pooled_inputs_read(const phase_file *pf, pooled_inputs *in, cs_err *err)
{
    long nt = pf->n_tasks, L = in->L;
    in->nts = malloc((size_t)nt * sizeof *in->nts);
    in->sls = malloc((size_t)nt * sizeof *in->sls);
    in->xmd = malloc((size_t)nt * sizeof *in->xmd);
    int rc = (!in->nts || !in->sls || !in->xmd) ? cs_fail(err, CS_EXIT_ERROR, "out of memory")
                                                : 0;
    if (!rc)
        rc = phase_task_values(pf, "n_tail_s", in->nts, err);
    if (!rc)
        rc = phase_task_values(pf, "sum_log_s", in->sls, err);
    if (!rc)
        rc = phase_task_values(pf, "xmin_d", in->xmd, err);
    if (!rc && phase_has_dataset(pf, "S_tail_min") && phase_has_dataset(pf, "S_tail_max")) {
        in->smin = malloc((size_t)nt * sizeof *in->smin);
        in->smax = malloc((size_t)nt * sizeof *in->smax);
        rc = (!in->smin || !in->smax) ? cs_fail(err, CS_EXIT_ERROR, "out of memory")
                                      : phase_task_values(pf, "S_tail_min", in->smin, err);
        if (!rc)
            rc = phase_task_values(pf, "S_tail_max", in->smax, err);
    }
    for (int k = 0; k < N_POOLED_ARRAYS && !rc; k++) {
        const char *name = pooled_array_names[k];
        in->arr[k] = malloc((size_t)(nt * L) * sizeof *in->arr[k]);
        if (!in->arr[k])
            rc = cs_fail(err, CS_EXIT_ERROR, "out of memory reading '%s'", name);
        else
            rc = store_reader_slab_doubles(&pf->rd, name, pf->slab, in->arr[k], nt * L, err);
    }
    return rc;
}

/* Sums the sufficient statistics of cell c's completed seeds into ss; the number of
 * seeds summed, and *xmin_d their duration cutoff. */
static int pool_cell(const phase_file *pf, const pooled_inputs *in, long c, fit_suffstats *ss,
                     double *xmin_d)
{
    long L = in->L;
    double *dst[N_POOLED_ARRAYS] = {ss->count_d, ss->gcount, ss->gsum_S, ss->gsum_log10S,
                                    ss->gsum_log10S2};
    for (int k = 0; k < N_POOLED_ARRAYS; k++)
        memset(dst[k], 0, (size_t)L * sizeof(double));
    ss->n_tail_s = 0;
    ss->sum_log_s = 0;
    ss->s_tail_min = ss->s_tail_max = NAN;
    *xmin_d = NAN;
    int m = 0;
    for (int s = 0; s < pf->n_seed; s++) {
        long t = c * pf->n_seed + s;
        if (!phase_task_completed(pf->status[t]) || !isfinite(in->nts[t]))
            continue;
        m++;
        ss->n_tail_s += in->nts[t];
        ss->sum_log_s += in->sls[t];
        if (in->smin) { /* NaN where a seed had no tail: fmin/fmax skip it */
            ss->s_tail_min = fmin(ss->s_tail_min, in->smin[t]);
            ss->s_tail_max = fmax(ss->s_tail_max, in->smax[t]);
        }
        if (isfinite(in->xmd[t]))
            *xmin_d = in->xmd[t];
        for (int k = 0; k < N_POOLED_ARRAYS; k++)
            for (long l = 0; l < L; l++) {
                double v = in->arr[k][t * L + l];
                if (isfinite(v))
                    dst[k][l] += v;
            }
    }
    return m;
}

/* Exponents pooled over the completed seeds of each cell from the stored sufficient
 * statistics (fit.h): identical to a fit of all seeds' avalanches at fixed xmin, the
 * degeneracy rule included (S_tail_min/max, when the file has them, decide whether the
 * pooled sizes have two distinct values). */
static int pooled_exponents(const phase_file *pf, phase_derived *d, cs_err *err)
{
    static const char *const need[] = {"n_tail_s", "sum_log_s", "D_count", "gcount",
                                       "gsum_S", "gsum_log10S", "gsum_log10S2", "xmin_d"};
    for (size_t i = 0; i < sizeof need / sizeof *need; i++)
        if (!phase_has_dataset(pf, need[i]))
            return 0;
    pooled_inputs in;
    memset(&in, 0, sizeof in);
    if ((in.L = store_reader_len1(&pf->rd, "duration")) < 1)
        return 0;
    int min_count = pooled_min_count(pf);
    int rc = pooled_inputs_read(pf, &in, err);
    if (!rc && !(d->pooled_note = calloc((size_t)pf->n_cells, CS_FIT_NOTE_LEN)))
        rc = cs_fail(err, CS_EXIT_ERROR, "out of memory for the pooled fit notes");
    fit_suffstats ss;
    memset(&ss, 0, sizeof ss);
    if (!rc && fit_suffstats_init(&ss, (int)in.L) != 0)
        rc = cs_fail(err, CS_EXIT_ERROR, "out of memory for the pooled statistics");
    for (long c = 0; c < pf->n_cells && !rc; c++) {
        double xmin_d;
        if (!pool_cell(pf, &in, c, &ss, &xmin_d))
            continue;
        fit_exponents ex;
        fit_exponents_pooled(&ss, xmin_d, min_count, &ex);
        d->tau_s_pooled[c] = ex.s.tau, d->tau_s_pooled_err[c] = ex.s.tau_err;
        d->tau_d_pooled[c] = ex.d.tau, d->tau_d_pooled_err[c] = ex.d.tau_err;
        d->gamma_pooled[c] = ex.gamma, d->gamma_pooled_err[c] = ex.gamma_err;
        memcpy(d->pooled_note + c * CS_FIT_NOTE_LEN, ex.note, CS_FIT_NOTE_LEN);
    }
    if (!rc)
        d->has_pooled = 1;
    fit_suffstats_free(&ss);
    pooled_inputs_free(&in);
    return rc;
}

/* Every table of d at its size, NaN (the pair counts 0); nonzero if out of memory. */
static int derived_alloc(const phase_file *pf, phase_derived *d)
{
    long size[] = {[SZ_CELL] = pf->n_cells,
                   [SZ_LINE] = (long)pf->n_act * pf->n_width * pf->n_sb2,
                   [SZ_AB] = (long)pf->n_act * pf->n_sb2,
                   [SZ_AW] = (long)pf->n_act * pf->n_width};
    int oom = 0;
    for (size_t i = 0; i < N_TABLES; i++)
        oom |= !(*table(d, i) = nan_array(size[TABLES[i].size]));
    for (int k = 0; int_tables(d, k); k++)
        oom |= !(*int_tables(d, k) = calloc((size_t)size[SZ_AW], sizeof(int)));
    return oom;
}

/* Seed averages of S_mean, χ_fd (numpy.gradient) and χ_b.  The noise-aware χ and the
 * Widom line come with the claim test (claim_slabs). */
static int susceptibilities(const phase_file *pf, phase_derived *d, double *vals, cs_err *err)
{
    int A = pf->n_act, W = pf->n_width, B = pf->n_sb2, S = pf->n_sw2;
    long nr = (long)A * W * B;
    int rc = phase_task_values(pf, "S_mean", vals, err);
    if (rc)
        return rc;
    phase_seed_reduce(pf, vals, d->S_mean_seedavg, d->S_mean_seedstd, NULL);
    /* χ_fd along σ_w² for every (activation, width, σ_b²) line. */
    for (long r = 0; r < nr && S >= 2; r++)
        phase_gradient(d->S_mean_seedavg + r * S, 1, pf->sigma_w2, S, d->chi_fd + r * S, 1);
    /* χ_b along σ_b² for every (activation, width, σ_w²) line. */
    if (B >= 2)
        for (int a = 0; a < A; a++)
            for (int w = 0; w < W; w++)
                for (int j = 0; j < S; j++) {
                    long o = (((long)a * W + w) * B) * S + j;
                    phase_gradient(d->S_mean_seedavg + o, S, pf->sigma_b2, B, d->chi_b + o, S);
                }
    return 0;
}

/* Edge of chaos from mean-field theory, per activation and σ_b². */
static void edge_of_chaos(const phase_file *pf, phase_derived *d)
{
    int B = pf->n_sb2;
    for (int a = 0; a < pf->n_act; a++) {
        cs_activation act;
        if (activation_from_name(pf->activation[a], &act) != 0)
            continue; /* a name this build does not know: no mean-field line */
        for (int b = 0; b < B; b++)
            d->edge_sigma_w2[(long)a * B + b] = meanfield_edge_sigma_w2(act, pf->sigma_b2[b]);
    }
}

/* Seed mean (and std, may be NULL) of a per-task quantity if the file has it (NaN
 * otherwise); task holds the per-task values of completed tasks, NaN elsewhere. */
static int seed_reduce_if_present(const phase_file *pf, const char *name, double *task,
                                  double *mean, double *std, cs_err *err)
{
    if (!phase_has_dataset(pf, name))
        return 0;
    int rc = phase_task_values(pf, name, task, err);
    if (rc)
        return rc;
    phase_seed_reduce(pf, task, mean, std, NULL);
    for (long t = 0; t < pf->n_tasks; t++)
        if (!phase_task_completed(pf->status[t]))
            task[t] = NAN;
    return 0;
}

/* The bootstrap key of the claim test: the sweep seed from the stored YAML (the sweep
 * hash where it does not parse), so that the intervals depend on the sweep alone. */
static uint64_t sweep_key(const phase_file *pf)
{
    uint64_t key = 0;
    int found = 0;
    char *yaml = store_reader_attr_string(&pf->rd, "sweep_yaml");
    if (yaml) {
        cs_sweep sw;
        cs_err e2 = {0};
        memset(&sw, 0, sizeof sw);
        if (config_load_text(yaml, strlen(yaml), "sweep_yaml", NULL, 0, &sw, &e2) == 0) {
            key = sw.seed;
            found = 1;
            config_free(&sw);
        }
        free(yaml);
    }
    char *hash = found ? NULL : store_reader_attr_string(&pf->rd, "sweep_hash");
    if (hash) {
        key = strtoull(hash, NULL, 16);
        free(hash);
    }
    return key;
}

/* Pairs the Spearman correlations and ridge distances use (the values are claim.c's). */
static void pair_counts(const phase_file *pf, phase_derived *d, const double *edgeness,
                        int a, long aw)
{
    int B = pf->n_sb2, S = pf->n_sw2;
    long o = aw * B * S;
    phase_spearman(d->accuracy_seedavg + o, d->chi + o, B * S, &d->n_acc_chi[aw]);
    phase_spearman(d->accuracy_seedavg + o, edgeness + o, B * S, &d->n_acc_edge[aw]);
    d->n_ridge_widom[aw] = d->n_ridge_edge[aw] = 0;
    for (int b = 0; b < B; b++) {
        int ridge = isfinite(d->accuracy_ridge_sigma_w2[aw * B + b]);
        d->n_ridge_widom[aw] += ridge && isfinite(d->widom_sigma_w2[aw * B + b]);
        d->n_ridge_edge[aw] += ridge && isfinite(d->edge_sigma_w2[(long)a * B + b]);
    }
}

static void put_interval(const claim_interval *v, double *est, double *lo, double *hi, long i)
{
    est[i] = v->est;
    lo[i] = v->lo;
    hi[i] = v->hi;
}

/* One (activation, width)'s claim result into the tables of d. */
static void claim_store(const phase_file *pf, phase_derived *d, const claim_result *r,
                        long aw)
{
    int B = pf->n_sb2, S = pf->n_sw2;
    for (int b = 0; b < B; b++) {
        long l = aw * B + b;
        put_interval(&r->widom[b], d->widom_sigma_w2, d->widom_sigma_w2_lo,
                     d->widom_sigma_w2_hi, l);
        put_interval(&r->ridge[b], d->accuracy_ridge_sigma_w2, d->accuracy_ridge_sigma_w2_lo,
                     d->accuracy_ridge_sigma_w2_hi, l);
        d->chi_max[l] = r->chi_max[b];
        d->chi_bandwidth[l] = r->bandwidth[b];
    }
    for (long c = 0; c < (long)B * S; c++)
        put_interval(&r->chi[c], d->chi, d->chi_lo, d->chi_hi, aw * B * S + c);
    put_interval(&r->rho_chi, d->spearman_acc_chi, d->spearman_acc_chi_lo,
                 d->spearman_acc_chi_hi, aw);
    put_interval(&r->rho_edge, d->spearman_acc_edge, d->spearman_acc_edge_lo,
                 d->spearman_acc_edge_hi, aw);
    put_interval(&r->rho_diff, d->rho_diff, d->rho_diff_lo, d->rho_diff_hi, aw);
    put_interval(&r->rho_dist_widom, d->rho_dist_widom, d->rho_dist_widom_lo,
                 d->rho_dist_widom_hi, aw);
    put_interval(&r->rho_dist_edge, d->rho_dist_edge, d->rho_dist_edge_lo,
                 d->rho_dist_edge_hi, aw);
    put_interval(&r->rho_dist_diff, d->rho_dist_diff, d->rho_dist_diff_lo,
                 d->rho_dist_diff_hi, aw);
    put_interval(&r->ridge_dist_widom, d->ridge_dist_widom, d->ridge_dist_widom_lo,
                 d->ridge_dist_widom_hi, aw);
    put_interval(&r->ridge_dist_edge, d->ridge_dist_edge, d->ridge_dist_edge_lo,
                 d->ridge_dist_edge_hi, aw);
    d->claim_verdict[aw] = (int)r->verdict;
    d->claim_verdict_dist[aw] = (int)r->verdict_dist;
}

/* The claim test (claim.h) of every (activation, width): it also gives the noise-aware
 * χ, the Widom line and the accuracy ridge, with their intervals.  size and acc are
 * per task (A, W, B, S, seed), NaN outside completed tasks. */
static int claim_slabs(const phase_file *pf, phase_derived *d, const double *size,
                       const double *acc, const double *edgeness, cs_err *err)
{
    int W = pf->n_width, B = pf->n_sb2, S = pf->n_sw2;
    uint64_t key = sweep_key(pf);
    for (int a = 0; a < pf->n_act; a++)
        for (int w = 0; w < W; w++) {
            long aw = (long)a * W + w, o = aw * B * S;
            claim_input in = {B, S, pf->n_seed, pf->sigma_b2, pf->sigma_w2,
                              size + o * pf->n_seed, acc + o * pf->n_seed,
                              d->chi1_seedavg + o, d->edge_sigma_w2 + (long)a * B,
                              rng_task_key(key, a, w, 0.0, 0.0, (uint64_t)pf->slab),
                              pf->replicates, PHASE_CLAIM_LEVEL};
            claim_result r;
            if (claim_test(&in, &r) != 0)
                return cs_fail(err, CS_EXIT_ERROR, "%s: out of memory for the claim test",
                               pf->path);
            claim_store(pf, d, &r, aw);
            claim_result_free(&r);
            pair_counts(pf, d, edgeness, a, aw);
        }
    return 0;
}

/* Reads the claim test's inputs (seed-averaged accuracy and χ_1 into d, the per-task
 * S_mean and accuracy into size and acc) and runs it. */
static int claim_inputs_and_test(const phase_file *pf, phase_derived *d, double *size,
                                 cs_err *err)
{
    double *acc = nan_array(pf->n_tasks), *chi1 = nan_array(pf->n_tasks);
    double *edgeness = nan_array(pf->n_cells);
    int rc = acc && chi1 && edgeness ? 0 : cs_fail(err, CS_EXIT_ERROR, "out of memory");
    if (!rc)
        rc = phase_task_values(pf, "S_mean", size, err);
    for (long t = 0; t < pf->n_tasks && !rc; t++)
        if (!phase_task_completed(pf->status[t]))
            size[t] = NAN;
    if (!rc)
        rc = seed_reduce_if_present(pf, "test_accuracy", acc, d->accuracy_seedavg,
                                    d->accuracy_seedstd, err);
    if (!rc)
        rc = seed_reduce_if_present(pf, "chi1", chi1, d->chi1_seedavg, NULL, err);
    for (long c = 0; c < pf->n_cells && !rc; c++) {
        edgeness[c] = -fabs(d->chi1_seedavg[c] - 1.0);
        d->has_accuracy |= isfinite(d->accuracy_seedavg[c]);
    }
    if (!rc)
        rc = claim_slabs(pf, d, size, acc, edgeness, err);
    free(acc);
    free(chi1);
    free(edgeness);
    return rc;
}

int phase_derived_compute(const phase_file *pf, phase_derived *d, cs_err *err)
{
    memset(d, 0, sizeof *d);
    int oom = derived_alloc(pf, d);
    double *vals = malloc((size_t)(pf->n_tasks > 0 ? pf->n_tasks : 1) * sizeof *vals);
    if (oom || !vals) {
        free(vals);
        phase_derived_free(d);
        return cs_fail(err, CS_EXIT_ERROR, "%s: out of memory for the derived tables", pf->path);
    }
    int rc = susceptibilities(pf, d, vals, err);
    if (!rc)
        edge_of_chaos(pf, d);
    if (!rc)
        rc = claim_inputs_and_test(pf, d, vals, err);
    if (!rc)
        rc = pooled_exponents(pf, d, err);
    free(vals);
    if (rc)
        phase_derived_free(d);
    return rc;
}

/* ------------------------------------------------------------------ writing */

/* 1 if a run holds the file's writer lock (a killed run holds none). */
int phase_file_run_active(const phase_file *pf)
{
    return store_lock_held(pf->path);
}

int phase_derived_write(phase_file *pf, const phase_derived *d, cs_err *err)
{
    if (!store_reader_derived_reserved(&pf->rd))
        return PHASE_NOT_RESERVED;
    /* HDF5 refuses a second, read-write open of a file this process holds read-only. */
    store_reader_suspend(&pf->rd);
    unsigned long long lead[STORE_MAX_OUTER];
    store_reader_slab_index(&pf->rd, pf->slab, lead);
    int rc = store_write_derived(pf->path, pf->rd.n_outer, lead, d, err);
    cs_err e2 = {0, ""};
    if (store_reader_resume(&pf->rd, &e2) && !rc)
        rc = cs_fail(err, CS_EXIT_ERROR, "%s: cannot reopen after writing", pf->path);
    return rc;
}

int phase_write_derived(const char *path, cs_err *err)
{
    phase_file pf;
    int rc = phase_file_open(&pf, path, err);
    if (rc)
        return rc;
    for (long k = 0; k < pf.n_slabs && !rc; k++) {
        phase_file_select_slab(&pf, k);
        phase_derived d;
        rc = phase_derived_compute(&pf, &d, err);
        if (!rc) {
            rc = phase_derived_write(&pf, &d, err);
            phase_derived_free(&d);
        }
    }
    phase_file_free(&pf);
    return rc;
}

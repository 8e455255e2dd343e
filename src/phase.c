/* phase.c — derived tables of a results file: seed averages, χ = ∂S̄/∂σ_w² and
 * χ_b = ∂S̄/∂σ_b² (numpy.gradient's formula), the Widom line, the edge of chaos from
 * mean-field theory, exponents pooled over seeds from the stored sufficient statistics,
 * and the claim test (Spearman correlations of accuracy with χ and with −|χ_1 − 1|,
 * distances of the accuracy ridge to both lines).  Reads through store_read.h; store
 * writes the derived datasets (store_write_derived) after the run closed the file. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "critsweep/activation.h"
#include "critsweep/config.h"
#include "critsweep/fit.h"
#include "critsweep/meanfield.h"
#include "critsweep/phase.h"
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
    if (n < 2) {
        for (int i = 0; i < n; i++)
            out[(long)i * os] = NAN;
        return;
    }
    /* numpy.gradient switches to its uniform formula when every step is equal. */
    int uniform = 1;
    double dx0 = x[1] - x[0];
    for (int i = 1; i + 1 < n; i++)
        if (x[i + 1] - x[i] != dx0)
            uniform = 0;
    if (uniform) {
        for (int i = 1; i + 1 < n; i++)
            out[(long)i * os] = (f[(long)(i + 1) * fs] - f[(long)(i - 1) * fs]) / (2.0 * dx0);
    } else {
        for (int i = 1; i + 1 < n; i++) {
            double dx1 = x[i] - x[i - 1], dx2 = x[i + 1] - x[i];
            double a = -(dx2) / (dx1 * (dx1 + dx2));
            double b = (dx2 - dx1) / (dx1 * dx2);
            double c = dx1 / (dx2 * (dx1 + dx2));
            out[(long)i * os] = a * f[(long)(i - 1) * fs] + b * f[(long)i * fs] +
                                c * f[(long)(i + 1) * fs];
        }
    }
    out[0] = (f[fs] - f[0]) / (x[1] - x[0]);
    out[(long)(n - 1) * os] = (f[(long)(n - 1) * fs] - f[(long)(n - 2) * fs]) /
                              (x[n - 1] - x[n - 2]);
}

double phase_peak(const double *x, const double *y, long ys, int n, double *ymax)
{
    int im = -1;
    for (int i = 0; i < n; i++) {
        double v = y[(long)i * ys];
        if (isfinite(v) && (im < 0 || v > y[(long)im * ys]))
            im = i;
    }
    if (ymax)
        *ymax = im < 0 ? NAN : y[(long)im * ys];
    if (im < 0)
        return NAN;
    if (im == 0 || im == n - 1)
        return x[im];
    double x0 = x[im - 1], x1 = x[im], x2 = x[im + 1];
    double y0 = y[(long)(im - 1) * ys], y1 = y[(long)im * ys], y2 = y[(long)(im + 1) * ys];
    if (!isfinite(y0) || !isfinite(y2))
        return x1;
    /* Vertex of the parabola through the three points (non-uniform spacing). */
    double num = (x1 - x0) * (x1 - x0) * (y1 - y2) - (x1 - x2) * (x1 - x2) * (y1 - y0);
    double den = (x1 - x0) * (y1 - y2) - (x1 - x2) * (y1 - y0);
    if (den == 0.0)
        return x1;
    double xv = x1 - 0.5 * num / den;
    /* A maximum of three points has its vertex between the outer two; guard rounding. */
    if (xv < x0)
        xv = x0;
    if (xv > x2)
        xv = x2;
    return xv;
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

void phase_derived_free(phase_derived *d)
{
    double **f[] = {&d->S_mean_seedavg, &d->S_mean_seedstd, &d->chi, &d->chi_b,
                    &d->tau_s_pooled, &d->tau_s_pooled_err, &d->tau_d_pooled,
                    &d->tau_d_pooled_err, &d->gamma_pooled, &d->gamma_pooled_err,
                    &d->accuracy_seedavg, &d->chi1_seedavg, &d->widom_sigma_w2, &d->chi_max,
                    &d->accuracy_ridge_sigma_w2, &d->edge_sigma_w2, &d->spearman_acc_chi,
                    &d->spearman_acc_edge, &d->ridge_dist_widom, &d->ridge_dist_edge};
    for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
        free(*f[i]);
        *f[i] = NULL;
    }
    free(d->pooled_note);
    free(d->n_acc_chi);
    free(d->n_acc_edge);
    free(d->n_ridge_widom);
    free(d->n_ridge_edge);
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
    long nc = pf->n_cells, nr = (long)pf->n_act * pf->n_width * pf->n_sb2;
    long nab = (long)pf->n_act * pf->n_sb2, naw = (long)pf->n_act * pf->n_width;
    double **cells[] = {&d->S_mean_seedavg, &d->S_mean_seedstd, &d->chi, &d->chi_b,
                        &d->tau_s_pooled, &d->tau_s_pooled_err, &d->tau_d_pooled,
                        &d->tau_d_pooled_err, &d->gamma_pooled, &d->gamma_pooled_err,
                        &d->accuracy_seedavg, &d->chi1_seedavg};
    int oom = 0;
    for (size_t i = 0; i < sizeof cells / sizeof *cells; i++)
        oom |= !(*cells[i] = nan_array(nc));
    oom |= !(d->widom_sigma_w2 = nan_array(nr));
    oom |= !(d->chi_max = nan_array(nr));
    oom |= !(d->accuracy_ridge_sigma_w2 = nan_array(nr));
    oom |= !(d->edge_sigma_w2 = nan_array(nab));
    oom |= !(d->spearman_acc_chi = nan_array(naw));
    oom |= !(d->spearman_acc_edge = nan_array(naw));
    oom |= !(d->ridge_dist_widom = nan_array(naw));
    oom |= !(d->ridge_dist_edge = nan_array(naw));
    oom |= !(d->n_acc_chi = calloc((size_t)naw, sizeof(int)));
    oom |= !(d->n_acc_edge = calloc((size_t)naw, sizeof(int)));
    oom |= !(d->n_ridge_widom = calloc((size_t)naw, sizeof(int)));
    oom |= !(d->n_ridge_edge = calloc((size_t)naw, sizeof(int)));
    return oom;
}

/* Seed averages of S_mean, χ and χ_b, and the Widom line. */
static int susceptibilities(const phase_file *pf, phase_derived *d, double *vals, cs_err *err)
{
    int A = pf->n_act, W = pf->n_width, B = pf->n_sb2, S = pf->n_sw2;
    long nr = (long)A * W * B;
    int rc = phase_task_values(pf, "S_mean", vals, err);
    if (rc)
        return rc;
    phase_seed_reduce(pf, vals, d->S_mean_seedavg, d->S_mean_seedstd, NULL);
    /* χ along σ_w² for every (activation, width, σ_b²) line. */
    for (long r = 0; r < nr && S >= 2; r++)
        phase_gradient(d->S_mean_seedavg + r * S, 1, pf->sigma_w2, S, d->chi + r * S, 1);
    /* χ_b along σ_b² for every (activation, width, σ_w²) line. */
    if (B >= 2)
        for (int a = 0; a < A; a++)
            for (int w = 0; w < W; w++)
                for (int j = 0; j < S; j++) {
                    long o = (((long)a * W + w) * B) * S + j;
                    phase_gradient(d->S_mean_seedavg + o, S, pf->sigma_b2, B, d->chi_b + o, S);
                }
    for (long r = 0; r < nr; r++)
        d->widom_sigma_w2[r] = phase_peak(pf->sigma_w2, d->chi + r * S, 1, S, &d->chi_max[r]);
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

/* Seed average of a per-task quantity, if the file has it (NaN otherwise). */
static int seed_average_if_present(const phase_file *pf, const char *name, double *vals,
                                   double *mean, cs_err *err)
{
    if (!phase_has_dataset(pf, name))
        return 0;
    int rc = phase_task_values(pf, name, vals, err);
    if (!rc)
        phase_seed_reduce(pf, vals, mean, NULL, NULL);
    return rc;
}

/* The accuracy ridge: the best σ_w² at each σ_b² (grid value). */
static void accuracy_ridge(const phase_file *pf, phase_derived *d)
{
    long nr = (long)pf->n_act * pf->n_width * pf->n_sb2;
    int S = pf->n_sw2;
    for (long r = 0; r < nr; r++) {
        int im = -1;
        const double *acc = d->accuracy_seedavg + r * S;
        for (int j = 0; j < S; j++)
            if (isfinite(acc[j]) && (im < 0 || acc[j] > acc[im]))
                im = j;
        if (im >= 0)
            d->accuracy_ridge_sigma_w2[r] = pf->sigma_w2[im];
    }
}

/* Mean distance over σ_b² of the accuracy ridge to the Widom line and to the edge of
 * chaos, for one (activation, width). */
static void ridge_distances(const phase_file *pf, phase_derived *d, int a, long aw)
{
    int B = pf->n_sb2;
    double sw = 0, se = 0;
    int mw = 0, me = 0;
    for (int b = 0; b < B; b++) {
        double ridge = d->accuracy_ridge_sigma_w2[aw * B + b];
        double widom = d->widom_sigma_w2[aw * B + b];
        double edge = d->edge_sigma_w2[(long)a * B + b];
        if (isfinite(ridge) && isfinite(widom)) {
            sw += fabs(ridge - widom);
            mw++;
        }
        if (isfinite(ridge) && isfinite(edge)) {
            se += fabs(ridge - edge);
            me++;
        }
    }
    d->ridge_dist_widom[aw] = mw ? sw / mw : NAN;
    d->ridge_dist_edge[aw] = me ? se / me : NAN;
    d->n_ridge_widom[aw] = mw;
    d->n_ridge_edge[aw] = me;
}

/* The claim test per (activation, width): Spearman correlations of accuracy with χ and
 * with the closeness to the edge of chaos, and the ridge distances. */
static void claim_test(const phase_file *pf, phase_derived *d, double *edgeness)
{
    int W = pf->n_width, B = pf->n_sb2, S = pf->n_sw2;
    for (long c = 0; c < pf->n_cells; c++) {
        edgeness[c] = -fabs(d->chi1_seedavg[c] - 1.0);
        d->has_accuracy |= isfinite(d->accuracy_seedavg[c]);
    }
    accuracy_ridge(pf, d);
    for (int a = 0; a < pf->n_act; a++)
        for (int w = 0; w < W; w++) {
            long aw = (long)a * W + w, o = aw * B * S;
            int n = B * S;
            d->spearman_acc_chi[aw] =
                phase_spearman(d->accuracy_seedavg + o, d->chi + o, n, &d->n_acc_chi[aw]);
            d->spearman_acc_edge[aw] =
                phase_spearman(d->accuracy_seedavg + o, edgeness + o, n, &d->n_acc_edge[aw]);
            ridge_distances(pf, d, a, aw);
        }
}

int phase_derived_compute(const phase_file *pf, phase_derived *d, cs_err *err)
{
    memset(d, 0, sizeof *d);
    int oom = derived_alloc(pf, d);
    double *vals = malloc((size_t)pf->n_tasks * sizeof *vals);
    double *edgeness = nan_array(pf->n_cells);
    if (oom || !vals || !edgeness) {
        free(vals);
        free(edgeness);
        phase_derived_free(d);
        return cs_fail(err, CS_EXIT_ERROR, "%s: out of memory for the derived tables", pf->path);
    }
    int rc = susceptibilities(pf, d, vals, err);
    if (!rc)
        edge_of_chaos(pf, d);
    if (!rc)
        rc = seed_average_if_present(pf, "test_accuracy", vals, d->accuracy_seedavg, err);
    if (!rc)
        rc = seed_average_if_present(pf, "chi1", vals, d->chi1_seedavg, err);
    if (!rc)
        claim_test(pf, d, edgeness);
    if (!rc)
        rc = pooled_exponents(pf, d, err);
    free(vals);
    free(edgeness);
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

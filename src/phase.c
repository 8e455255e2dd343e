/* phase.c — derived tables of a results file: seed averages, χ = ∂S̄/∂σ_w² and
 * χ_b = ∂S̄/∂σ_b² (numpy.gradient's formula), the Widom line, the edge of chaos from
 * mean-field theory, exponents pooled over seeds from the stored sufficient statistics,
 * and the claim test (Spearman correlations of accuracy with χ and with −|χ_1 − 1|,
 * distances of the accuracy ridge to both lines).  Reads serially (locking off), writes
 * serially after the run closed the file. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>
#include <hdf5_hl.h>

#include "critsweep/activation.h"
#include "critsweep/config.h"
#include "critsweep/fit.h"
#include "critsweep/meanfield.h"
#include "critsweep/phase.h"
#include "critsweep/store.h"
#include "critsweep/task.h"

static const char *const AXES[5] = {"activation", "width", "sigma_b2", "sigma_w2", "seed"};

/* HDF5 prints its error stack by default; we report our own one-line messages. */
static void h5_quiet(void)
{
    static int done;
    if (!done) {
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        done = 1;
    }
}

/* File access without locks: reading while a run holds the file for writing. */
static hid_t fapl_nolock(void)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl >= 0)
        H5Pset_file_locking(fapl, 0, 1);
    return fapl;
}

static int read_dataset_double(hid_t fid, const char *path, const char *name, double *out,
                               long n, cs_err *err)
{
    hid_t d = H5Dopen2(fid, name, H5P_DEFAULT);
    if (d < 0)
        return cs_fail(err, CS_EXIT_USAGE, "%s: no dataset '%s' (not a critsweep results "
                       "file, or written by a version without it)", path, name);
    hid_t sp = H5Dget_space(d);
    hssize_t np = H5Sget_simple_extent_npoints(sp);
    H5Sclose(sp);
    if (np != n) {
        H5Dclose(d);
        return cs_fail(err, CS_EXIT_USAGE, "%s: dataset '%s' has %lld elements, expected "
                       "%ld (the file's axes disagree with it)", path, name, (long long)np, n);
    }
    herr_t rc = H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out);
    H5Dclose(d);
    if (rc < 0)
        return cs_fail(err, CS_EXIT_ERROR, "%s: cannot read dataset '%s' as numbers "
                       "(damaged file? check it with h5dump)", path, name);
    return 0;
}

/* Length of a 1-D dataset, or -1. */
static long dataset_len1(hid_t fid, const char *name)
{
    hid_t d = H5Dopen2(fid, name, H5P_DEFAULT);
    if (d < 0)
        return -1;
    hid_t sp = H5Dget_space(d);
    int rank = H5Sget_simple_extent_ndims(sp);
    hsize_t dims[8] = {0};
    if (rank == 1)
        H5Sget_simple_extent_dims(sp, dims, NULL);
    H5Sclose(sp);
    H5Dclose(d);
    return rank == 1 ? (long)dims[0] : -1;
}

/* Reads the activation names, variable-length or fixed-length strings alike. */
static int read_strings(hid_t fid, const char *path, const char *name, int n, char **out,
                        cs_err *err)
{
    hid_t d = H5Dopen2(fid, name, H5P_DEFAULT);
    hid_t ft = d >= 0 ? H5Dget_type(d) : -1;
    if (ft < 0 || H5Tget_class(ft) != H5T_STRING) {
        if (ft >= 0)
            H5Tclose(ft);
        if (d >= 0)
            H5Dclose(d);
        return cs_fail(err, CS_EXIT_USAGE, "%s: coordinate '%s' is missing or not strings",
                       path, name);
    }
    int rc = 0;
    if (H5Tis_variable_str(ft) > 0) {
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5Tget_cset(ft));
        char **buf = calloc((size_t)n, sizeof *buf);
        if (H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
            rc = cs_fail(err, CS_EXIT_ERROR, "%s: cannot read coordinate '%s'", path, name);
        } else {
            for (int i = 0; i < n; i++)
                out[i] = strdup(buf[i] ? buf[i] : "");
            hid_t sp = H5Dget_space(d);
            H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, buf);
            H5Sclose(sp);
        }
        free(buf);
        H5Tclose(mt);
    } else {
        size_t len = H5Tget_size(ft);
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, len);
        char *buf = calloc((size_t)n, len + 1);
        if (H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
            rc = cs_fail(err, CS_EXIT_ERROR, "%s: cannot read coordinate '%s'", path, name);
        } else {
            for (int i = 0; i < n; i++)
                out[i] = strndup(buf + (size_t)i * len, len);
        }
        free(buf);
        H5Tclose(mt);
    }
    H5Tclose(ft);
    H5Dclose(d);
    return rc;
}

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
    return status == CS_STATUS_DONE || status == CS_STATUS_DIVERGED;
}

void phase_file_free(phase_file *pf)
{
    if (pf->fid > 0)
        H5Fclose((hid_t)pf->fid);
    if (pf->activation)
        for (int i = 0; i < pf->n_act; i++)
            free(pf->activation[i]);
    free(pf->activation);
    free(pf->width);
    free(pf->sigma_b2);
    free(pf->sigma_w2);
    free(pf->seed);
    free(pf->status);
    free(pf->path);
    memset(pf, 0, sizeof *pf);
}

int phase_file_open(phase_file *pf, const char *path, cs_err *err)
{
    memset(pf, 0, sizeof *pf);
    h5_quiet();
    /* Nothing is computed from, or written into, a file that is damaged. */
    store_integrity g;
    int vrc = store_validate(path, 1, &g, err);
    if (!vrc && g.damaged) {
        vrc = cs_fail(err, CS_EXIT_USAGE, "%s is damaged: %ld finished rows do not match their "
                      "checksum and %ld status bytes are outside 0..3; `critsweep run` on its "
                      "sweep computes them again (`critsweep status --verify` lists them); "
                      "nothing was changed", path, g.n_bad_checksum, g.n_bad_status);
    }
    store_integrity_free(&g);
    if (vrc)
        return vrc;
    struct stat st;
    if (stat(path, &st) != 0)
        return cs_fail(err, CS_EXIT_USAGE, "%s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return cs_fail(err, CS_EXIT_USAGE, "%s: not a regular file", path);
    if (H5Fis_hdf5(path) <= 0)
        return cs_fail(err, CS_EXIT_USAGE, "%s: not an HDF5 file (give a results file "
                       "written by `critsweep run`)", path);
    hid_t fapl = fapl_nolock();
    hid_t fid = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    if (fid < 0)
        return cs_fail(err, CS_EXIT_USAGE, "%s: HDF5 cannot open it (damaged or truncated? "
                       "check it with h5dump -H)", path);
    pf->fid = fid;
    pf->path = strdup(path);
    long len[5];
    for (int k = 0; k < 5; k++) {
        len[k] = dataset_len1(fid, AXES[k]);
        if (len[k] < 1) {
            int rc = cs_fail(err, CS_EXIT_USAGE, "%s: not a critsweep results file "
                             "(no 1-D coordinate '%s')", path, AXES[k]);
            phase_file_free(pf);
            return rc;
        }
    }
    pf->n_act = (int)len[0];
    pf->n_width = (int)len[1];
    pf->n_sb2 = (int)len[2];
    pf->n_sw2 = (int)len[3];
    pf->n_seed = (int)len[4];
    pf->n_cells = len[0] * len[1] * len[2] * len[3];
    pf->n_tasks = pf->n_cells * len[4];
    pf->activation = calloc((size_t)pf->n_act, sizeof *pf->activation);
    pf->width = calloc((size_t)pf->n_width, sizeof *pf->width);
    pf->sigma_b2 = calloc((size_t)pf->n_sb2, sizeof *pf->sigma_b2);
    pf->sigma_w2 = calloc((size_t)pf->n_sw2, sizeof *pf->sigma_w2);
    pf->seed = calloc((size_t)pf->n_seed, sizeof *pf->seed);
    pf->status = calloc((size_t)pf->n_tasks, sizeof *pf->status);
    double *tmp = malloc((size_t)pf->n_tasks * sizeof *tmp);
    int rc = 0;
    if (!pf->activation || !pf->width || !pf->sigma_b2 || !pf->sigma_w2 || !pf->seed ||
        !pf->status || !tmp)
        rc = cs_fail(err, CS_EXIT_ERROR, "%s: out of memory reading the axes", path);
    if (!rc)
        rc = read_strings(fid, path, "activation", pf->n_act, pf->activation, err);
    if (!rc)
        rc = read_dataset_double(fid, path, "width", tmp, pf->n_width, err);
    if (!rc)
        for (int i = 0; i < pf->n_width; i++)
            pf->width[i] = (int)tmp[i];
    if (!rc)
        rc = read_dataset_double(fid, path, "sigma_b2", pf->sigma_b2, pf->n_sb2, err);
    if (!rc)
        rc = read_dataset_double(fid, path, "sigma_w2", pf->sigma_w2, pf->n_sw2, err);
    if (!rc)
        rc = read_dataset_double(fid, path, "seed", tmp, pf->n_seed, err);
    if (!rc)
        for (int i = 0; i < pf->n_seed; i++)
            pf->seed[i] = (int64_t)tmp[i];
    if (!rc)
        rc = read_dataset_double(fid, path, "status", tmp, pf->n_tasks, err);
    if (!rc) {
        for (long t = 0; t < pf->n_tasks; t++) {
            pf->status[t] = (int8_t)tmp[t];
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
    free(tmp);
    if (rc)
        phase_file_free(pf);
    return rc;
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
    if (!name[0] || strchr(name, '/'))
        return 0;
    return H5Lexists((hid_t)pf->fid, name, H5P_DEFAULT) > 0;
}

int phase_read_doubles(const phase_file *pf, const char *name, double *out, long n,
                       cs_err *err)
{
    return read_dataset_double((hid_t)pf->fid, pf->path, name, out, n, err);
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
    int rc = read_dataset_double((hid_t)pf->fid, pf->path, name, vals, pf->n_tasks, err);
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
    long L = dataset_len1((hid_t)pf->fid, "duration");
    if (L < 1)
        return 0;
    /* The γ regression's minimum count comes from the sweep's own settings when the
     * stored YAML parses; the reference value otherwise. */
    fit_options fo;
    fit_options_default(&fo);
    int min_count = fo.gamma_min_count > 0 ? fo.gamma_min_count : 100;
    hid_t fid = (hid_t)pf->fid;
    if (H5Aexists(fid, "sweep_yaml") > 0) {
        hid_t a = H5Aopen(fid, "sweep_yaml", H5P_DEFAULT);
        hid_t ft = H5Aget_type(a);
        if (H5Tget_class(ft) == H5T_STRING && H5Tis_variable_str(ft) > 0) {
            hid_t mt = H5Tcopy(H5T_C_S1);
            H5Tset_size(mt, H5T_VARIABLE);
            H5Tset_cset(mt, H5Tget_cset(ft));
            char *yaml = NULL;
            if (H5Aread(a, mt, &yaml) >= 0 && yaml) {
                cs_sweep sw;
                cs_err e2 = {0};
                memset(&sw, 0, sizeof sw);
                if (config_load_text(yaml, strlen(yaml), "sweep_yaml", NULL, 0, &sw, &e2) == 0) {
                    if (sw.fit.gamma_min_count > 0)
                        min_count = sw.fit.gamma_min_count;
                    config_free(&sw);
                }
                hid_t sp = H5Screate(H5S_SCALAR);
                H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, &yaml);
                H5Sclose(sp);
            }
            H5Tclose(mt);
        }
        H5Tclose(ft);
        H5Aclose(a);
    }

    long nt = pf->n_tasks;
    int ns = pf->n_seed;
    double *nts = malloc((size_t)nt * sizeof *nts), *sls = malloc((size_t)nt * sizeof *sls);
    double *xmd = malloc((size_t)nt * sizeof *xmd);
    double *smin = NULL, *smax = NULL;
    double *arr[5] = {0};
    static const char *const names[5] = {"D_count", "gcount", "gsum_S", "gsum_log10S",
                                         "gsum_log10S2"};
    int rc = (!nts || !sls || !xmd) ? cs_fail(err, CS_EXIT_ERROR, "out of memory") : 0;
    if (!rc)
        rc = phase_task_values(pf, "n_tail_s", nts, err);
    if (!rc)
        rc = phase_task_values(pf, "sum_log_s", sls, err);
    if (!rc)
        rc = phase_task_values(pf, "xmin_d", xmd, err);
    if (!rc && phase_has_dataset(pf, "S_tail_min") && phase_has_dataset(pf, "S_tail_max")) {
        smin = malloc((size_t)nt * sizeof *smin);
        smax = malloc((size_t)nt * sizeof *smax);
        rc = (!smin || !smax) ? cs_fail(err, CS_EXIT_ERROR, "out of memory")
                              : phase_task_values(pf, "S_tail_min", smin, err);
        if (!rc)
            rc = phase_task_values(pf, "S_tail_max", smax, err);
    }
    if (!rc && !(d->pooled_note = calloc((size_t)pf->n_cells, CS_FIT_NOTE_LEN)))
        rc = cs_fail(err, CS_EXIT_ERROR, "out of memory for the pooled fit notes");
    for (int k = 0; k < 5 && !rc; k++) {
        arr[k] = malloc((size_t)(nt * L) * sizeof *arr[k]);
        if (!arr[k])
            rc = cs_fail(err, CS_EXIT_ERROR, "out of memory reading '%s'", names[k]);
        else
            rc = read_dataset_double(fid, pf->path, names[k], arr[k], nt * L, err);
    }
    fit_suffstats ss;
    memset(&ss, 0, sizeof ss);
    if (!rc && fit_suffstats_init(&ss, (int)L) != 0)
        rc = cs_fail(err, CS_EXIT_ERROR, "out of memory for the pooled statistics");
    for (long c = 0; c < pf->n_cells && !rc; c++) {
        double *dst[5] = {ss.count_d, ss.gcount, ss.gsum_S, ss.gsum_log10S, ss.gsum_log10S2};
        for (int k = 0; k < 5; k++)
            memset(dst[k], 0, (size_t)L * sizeof(double));
        ss.n_tail_s = 0;
        ss.sum_log_s = 0;
        ss.s_tail_min = ss.s_tail_max = NAN;
        double xmin_d = NAN;
        int m = 0;
        for (int s = 0; s < ns; s++) {
            long t = c * ns + s;
            if (!phase_task_completed(pf->status[t]) || !isfinite(nts[t]))
                continue;
            m++;
            ss.n_tail_s += nts[t];
            ss.sum_log_s += sls[t];
            if (smin) { /* NaN where a seed had no tail: fmin/fmax skip it */
                ss.s_tail_min = fmin(ss.s_tail_min, smin[t]);
                ss.s_tail_max = fmax(ss.s_tail_max, smax[t]);
            }
            if (isfinite(xmd[t]))
                xmin_d = xmd[t];
            for (int k = 0; k < 5; k++)
                for (long l = 0; l < L; l++) {
                    double v = arr[k][t * L + l];
                    if (isfinite(v))
                        dst[k][l] += v;
                }
        }
        if (!m)
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
    for (int k = 0; k < 5; k++)
        free(arr[k]);
    free(nts);
    free(sls);
    free(xmd);
    free(smin);
    free(smax);
    return rc;
}

int phase_derived_compute(const phase_file *pf, phase_derived *d, cs_err *err)
{
    memset(d, 0, sizeof *d);
    long nc = pf->n_cells, nr = (long)pf->n_act * pf->n_width * pf->n_sb2;
    long nab = (long)pf->n_act * pf->n_sb2, naw = (long)pf->n_act * pf->n_width;
    int A = pf->n_act, W = pf->n_width, B = pf->n_sb2, S = pf->n_sw2;
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
    double *vals = malloc((size_t)pf->n_tasks * sizeof *vals);
    double *edgeness = nan_array(nc);
    if (oom || !vals || !edgeness) {
        free(vals);
        free(edgeness);
        phase_derived_free(d);
        return cs_fail(err, CS_EXIT_ERROR, "%s: out of memory for the derived tables", pf->path);
    }

    int rc = phase_task_values(pf, "S_mean", vals, err);
    if (!rc) {
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
    }
    /* Edge of chaos from mean-field theory, per activation and σ_b². */
    for (int a = 0; a < A && !rc; a++) {
        cs_activation act;
        if (activation_from_name(pf->activation[a], &act) != 0)
            continue; /* a name this build does not know: no mean-field line */
        for (int b = 0; b < B; b++)
            d->edge_sigma_w2[(long)a * B + b] = meanfield_edge_sigma_w2(act, pf->sigma_b2[b]);
    }
    if (!rc && phase_has_dataset(pf, "test_accuracy")) {
        rc = phase_task_values(pf, "test_accuracy", vals, err);
        if (!rc)
            phase_seed_reduce(pf, vals, d->accuracy_seedavg, NULL, NULL);
    }
    if (!rc && phase_has_dataset(pf, "chi1")) {
        rc = phase_task_values(pf, "chi1", vals, err);
        if (!rc)
            phase_seed_reduce(pf, vals, d->chi1_seedavg, NULL, NULL);
    }
    if (!rc) {
        for (long c = 0; c < nc; c++) {
            edgeness[c] = -fabs(d->chi1_seedavg[c] - 1.0);
            d->has_accuracy |= isfinite(d->accuracy_seedavg[c]);
        }
        /* The accuracy ridge: the best σ_w² at each σ_b² (grid value). */
        for (long r = 0; r < nr; r++) {
            int im = -1;
            const double *acc = d->accuracy_seedavg + r * S;
            for (int j = 0; j < S; j++)
                if (isfinite(acc[j]) && (im < 0 || acc[j] > acc[im]))
                    im = j;
            if (im >= 0)
                d->accuracy_ridge_sigma_w2[r] = pf->sigma_w2[im];
        }
        for (int a = 0; a < A; a++)
            for (int w = 0; w < W; w++) {
                long aw = (long)a * W + w, o = aw * B * S;
                int n = B * S;
                d->spearman_acc_chi[aw] =
                    phase_spearman(d->accuracy_seedavg + o, d->chi + o, n, &d->n_acc_chi[aw]);
                d->spearman_acc_edge[aw] =
                    phase_spearman(d->accuracy_seedavg + o, edgeness + o, n, &d->n_acc_edge[aw]);
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
    }
    if (!rc)
        rc = pooled_exponents(pf, d, err);
    free(vals);
    free(edgeness);
    if (rc)
        phase_derived_free(d);
    return rc;
}

/* ------------------------------------------------------------------ writing */

/* The computed values of derived dataset `name` (store_derived_fields), or NULL. */
static const void *derived_values(const phase_derived *d, const char *name)
{
    const struct {
        const char *name;
        const void *v;
    } map[] = {
        {"S_mean_seedavg", d->S_mean_seedavg}, {"S_mean_seedstd", d->S_mean_seedstd},
        {"chi", d->chi}, {"chi_b", d->chi_b},
        {"tau_s_pooled", d->tau_s_pooled}, {"tau_s_pooled_err", d->tau_s_pooled_err},
        {"tau_d_pooled", d->tau_d_pooled}, {"tau_d_pooled_err", d->tau_d_pooled_err},
        {"gamma_pooled", d->gamma_pooled}, {"gamma_pooled_err", d->gamma_pooled_err},
        {"widom_sigma_w2", d->widom_sigma_w2}, {"chi_max", d->chi_max},
        {"accuracy_ridge_sigma_w2", d->accuracy_ridge_sigma_w2},
        {"edge_sigma_w2", d->edge_sigma_w2},
        {"spearman_acc_chi", d->spearman_acc_chi}, {"spearman_acc_edge", d->spearman_acc_edge},
        {"ridge_dist_widom", d->ridge_dist_widom}, {"ridge_dist_edge", d->ridge_dist_edge},
        {"n_spearman_acc_chi", d->n_acc_chi}, {"n_spearman_acc_edge", d->n_acc_edge},
    };
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (!strcmp(map[i].name, name))
            return map[i].v;
    return NULL;
}

/* 1 if every derived dataset exists with its space allocated (files since 0.2.0 reserve
 * them at creation; in a 0.1.0 file they exist once its `phase` wrote them). */
static int derived_reserved(hid_t fid)
{
    const store_derived_field *df;
    int n = store_derived_fields(&df);
    for (int i = 0; i < n; i++) {
        if (H5Lexists(fid, df[i].name, H5P_DEFAULT) <= 0)
            return 0;
        hid_t d = H5Dopen2(fid, df[i].name, H5P_DEFAULT);
        if (d < 0)
            return 0;
        hid_t sp = H5Dget_space(d);
        hssize_t np = H5Sget_simple_extent_npoints(sp);
        hsize_t have = H5Dget_storage_size(d);
        H5Sclose(sp);
        H5Dclose(d);
        if (np <= 0 || have != (hsize_t)np * (df[i].is_int ? 4 : 8))
            return 0;
    }
    return 1;
}

/* 1 if a run holds the file's writer lock (a killed run holds none). */
int phase_file_run_active(const phase_file *pf)
{
    return store_lock_held(pf->path);
}

int phase_derived_write(phase_file *pf, const phase_derived *d, cs_err *err)
{
    h5_quiet();
    if (!derived_reserved((hid_t)pf->fid))
        return PHASE_NOT_RESERVED;
    /* HDF5 refuses a second, read-write open of a file this process holds read-only. */
    if (pf->fid > 0)
        H5Fclose((hid_t)pf->fid);
    pf->fid = 0;
    hid_t fapl = fapl_nolock();
    hid_t fid = H5Fopen(pf->path, H5F_ACC_RDWR, fapl);
    H5Pclose(fapl);
    int rc = 0;
    if (fid < 0)
        rc = cs_fail(err, CS_EXIT_ERROR, "%s: cannot open for writing the derived tables "
                     "(read-only?); nothing was changed", pf->path);
    /* Data only, into space allocated when the file was made: no dataset, attribute or
     * other metadata changes, so a full disk or a kill here cannot touch the task rows. */
    const store_derived_field *df;
    int n = store_derived_fields(&df);
    for (int i = 0; i < n && !rc; i++) {
        const void *v = derived_values(d, df[i].name);
        if (!v || (!d->has_pooled && strstr(df[i].name, "_pooled")))
            continue;
        hid_t ds = H5Dopen2(fid, df[i].name, H5P_DEFAULT);
        if (ds < 0 || H5Dwrite(ds, df[i].is_int ? H5T_NATIVE_INT : H5T_NATIVE_DOUBLE, H5S_ALL,
                               H5S_ALL, H5P_DEFAULT, v) < 0)
            rc = cs_fail(err, CS_EXIT_ERROR, "%s: writing the derived dataset '%s' failed "
                         "(disk full? I/O error?); the task rows are untouched", pf->path,
                         df[i].name);
        if (ds >= 0)
            H5Dclose(ds);
    }
    if (fid >= 0 && H5Fclose(fid) < 0 && !rc)
        rc = cs_fail(err, CS_EXIT_ERROR, "%s: closing after writing the derived tables failed "
                     "(disk full?); the task rows are untouched", pf->path);
    fapl = fapl_nolock();
    pf->fid = H5Fopen(pf->path, H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    if (pf->fid < 0 && !rc)
        rc = cs_fail(err, CS_EXIT_ERROR, "%s: cannot reopen after writing", pf->path);
    return rc;
}

int phase_write_derived(const char *path, cs_err *err)
{
    phase_file pf;
    int rc = phase_file_open(&pf, path, err);
    if (rc)
        return rc;
    phase_derived d;
    rc = phase_derived_compute(&pf, &d, err);
    if (!rc) {
        rc = phase_derived_write(&pf, &d, err);
        phase_derived_free(&d);
    }
    phase_file_free(&pf);
    return rc;
}

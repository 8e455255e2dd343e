/* deriv.c — local quadratic regression for the slope of a noisy curve (deriv.h). */
#include "critsweep/deriv.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_min.h>
#include <gsl/gsl_sort.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* LAPACK (OpenBLAS): Cholesky solve of a symmetric positive definite system. */
extern void dposv_(const char *uplo, const int *n, const int *nrhs, double *a, const int *lda,
                   double *b, const int *ldb, int *info);

/* Scan points per cell interval when looking for the slope's maximum. */
#define DERIV_SCAN_PER_CELL 8
/* Cells either side whose standard errors are pooled (median) into one cell's weight. */
#define DERIV_SE_POOL 2

/* The usable cells, compacted, with their inverse-variance weights. */
typedef struct {
    int n;
    double *x, *y, *w;
    double *dist; /* (2n) scratch for nearest-neighbour distances */
} cells;

static double median_of(double *v, int m)
{
    gsl_sort(v, 1, (size_t)m);
    return m % 2 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
}

/* Weights 1/se² from each cell's standard error pooled with its neighbours': an se
 * from 8 seeds is itself ±25 % noise, and weighting by that noise costs more accuracy
 * than it gains; the pooled se keeps the systematic growth of noise near the peak. */
static void pooled_weights(cells *k, const double *se_all, const int *index)
{
    double pool[2 * DERIV_SE_POOL + 1];
    for (int i = 0; i < k->n; i++) {
        int m = 0;
        for (int j = i - DERIV_SE_POOL; j <= i + DERIV_SE_POOL; j++) {
            if (j < 0 || j >= k->n) continue;
            double s = se_all ? se_all[index[j]] : 1.0;
            if (isfinite(s) && s > 0) pool[m++] = s;
        }
        double s = m > 0 ? median_of(pool, m) : NAN;
        k->w[i] = isfinite(s) ? 1.0 / (s * s) : NAN;
    }
    /* A cell whose neighbourhood has no error estimate gets the median weight. */
    double *v = k->dist;
    int m = 0;
    for (int i = 0; i < k->n; i++)
        if (isfinite(k->w[i])) v[m++] = k->w[i];
    double fallback = m > 0 ? median_of(v, m) : 1.0;
    for (int i = 0; i < k->n; i++)
        if (!isfinite(k->w[i])) k->w[i] = fallback;
}

static int cells_init(cells *k, const deriv_curve *c)
{
    memset(k, 0, sizeof *k);
    int n = c->n > 0 ? c->n : 1;
    int *index = malloc((size_t)n * sizeof *index);
    k->x = malloc((size_t)n * sizeof *k->x);
    k->y = malloc((size_t)n * sizeof *k->y);
    k->w = malloc((size_t)n * sizeof *k->w);
    k->dist = malloc(2 * (size_t)n * sizeof *k->dist);
    if (!index || !k->x || !k->y || !k->w || !k->dist) {
        free(index);
        return -1;
    }
    for (int i = 0; i < c->n; i++) {
        if (!isfinite(c->x[i]) || !isfinite(c->y[i])) continue;
        index[k->n] = i;
        k->x[k->n] = c->x[i];
        k->y[k->n++] = c->y[i];
    }
    pooled_weights(k, c->se, index);
    free(index);
    return 0;
}

static void cells_free(cells *k)
{
    free(k->x);
    free(k->y);
    free(k->w);
    free(k->dist);
}

/* Distance from t to the m-th nearest cell other than `skip`, or NaN. */
static double nth_nearest(cells *k, double t, int skip, int m)
{
    int n = 0;
    for (int i = 0; i < k->n; i++)
        if (i != skip) k->dist[n++] = fabs(k->x[i] - t);
    if (n < m) return NAN;
    double *least = k->dist + k->n; /* gsl_sort_smallest must not write over its input */
    gsl_sort_smallest(least, (size_t)m, k->dist, 1, (size_t)n);
    return least[m - 1];
}

/* The fit at t with half-width h, widened near the ends of the range until it holds
 * DERIV_MIN_POINTS cells; cell `skip` (-1: none) left out. */
static int fit_at(cells *k, double h, double t, int skip, double *value, double *slope)
{
    *value = *slope = NAN;
    double near = nth_nearest(k, t, skip, DERIV_MIN_POINTS);
    if (!(h > 0) || !isfinite(near)) return -1;
    h = fmax(h, near * 1.05); /* 1.05: the farthest of them keeps a nonzero weight */
    /* Weighted normal equations of a + b u + c u², u = (x − t)/h in [−1, 1] (so they
     * stay well conditioned), solved by LAPACK's Cholesky (dposv): GSL's SVD-based
     * gsl_multifit_wlinear gave the same test results with test_claim 5.5 times
     * slower, and a bootstrap makes millions of these fits. */
    double mom[5] = {0}, rhs[3] = {0};
    int m = 0;
    for (int i = 0; i < k->n; i++) {
        if (i == skip || !(fabs(k->x[i] - t) < h)) continue;
        double u = (k->x[i] - t) / h, a = 1.0 - fabs(u * u * u), w = a * a * a * k->w[i];
        double p = w;
        for (int e = 0; e < 5; e++, p *= u) {
            mom[e] += p;
            if (e < 3) rhs[e] += p * k->y[i];
        }
        m++;
    }
    double A[9] = {mom[0], mom[1], mom[2], mom[1], mom[2], mom[3], mom[2], mom[3], mom[4]};
    int n3 = 3, one = 1, info = 0;
    dposv_("L", &n3, &one, A, &n3, rhs, &n3, &info);
    int rc = -1;
    if (m >= DERIV_MIN_POINTS && info == 0) {
        *value = rhs[0];
        *slope = rhs[1] / h;
        rc = isfinite(*value) && isfinite(*slope) ? 0 : -1;
    }
    return rc;
}

int deriv_local_fit(const deriv_curve *c, double h, double t, double *value, double *slope)
{
    gsl_set_error_handler_off(); /* a singular window is a NaN result, not an abort */
    cells k;
    int rc = cells_init(&k, c) ? -1 : fit_at(&k, h, t, -1, value, slope);
    cells_free(&k);
    return rc;
}

/* Leave-one-out error of half-width h, every cell counted alike.  The fits are weighted
 * by 1/se², but the error that picks h is not: across a transition se spans orders of
 * magnitude (S̄ ± 0.1 in the ordered phase, ± 90 at the χ peak), and weighted by it the
 * choice fitted the flat ordered cells and smoothed the peak (on a grid refined around
 * the peak, 0.066 against 0.033 unweighted, moving σ_w²* by 0.03). */
static double loo_error(cells *k, double h)
{
    double num = 0, den = 0;
    for (int i = 0; i < k->n; i++) {
        double v, s;
        if (fit_at(k, h, k->x[i], i, &v, &s)) return INFINITY;
        num += (k->y[i] - v) * (k->y[i] - v);
        den += 1;
    }
    return den > 0 ? num / den : INFINITY;
}

double deriv_bandwidth(const deriv_curve *c)
{
    gsl_set_error_handler_off();
    cells k;
    double best_h = NAN, best_err = INFINITY;
    if (!cells_init(&k, c) && k.n >= DERIV_MIN_POINTS + 1) {
        /* Candidates: windows of j + 1 cells at the finest spacing, j from 6 up by
         * factors of 1.2 until j cells at the median spacing span the range; a window
         * of 5 nearly interpolates and pins the slope's maximum to a cell.  On an even
         * grid the two spacings agree; on a grid refined around a peak (adaptive.h) the
         * median spacing is the coarse one, and windows counted in it smoothed the peak
         * away (a χ peak moved by 0.03 where its points were 0.006 apart). */
        double *gap = malloc((size_t)k.n * sizeof *gap);
        if (gap) {
            for (int i = 0; i + 1 < k.n; i++) gap[i] = k.x[i + 1] - k.x[i];
            double spacing = median_of(gap, k.n - 1), finest = gap[0]; /* sorted now */
            double widest = 0.5 * k.n * spacing * 1.05;
            for (int j = DERIV_MIN_POINTS + 1;; j = j + 1 > (int)(1.2 * j) ? j + 1 : (int)(1.2 * j)) {
                double h = 0.5 * j * finest * 1.05;
                if (h > widest * (1 + 1e-12)) break;
                /* A wider window must do better by more than rounding: on a short line
                 * every fit widens to the same cells and the errors tie. */
                double e = loo_error(&k, h);
                if (e < best_err * (1 - 1e-9)) best_err = e, best_h = h;
            }
            free(gap);
        }
    }
    cells_free(&k);
    return best_h;
}

typedef struct {
    cells *k;
    double h;
    int of_value; /* maximise the smoothed value instead of its slope */
} slope_ctx;

static double negative_slope(double t, void *p)
{
    const slope_ctx *s = p;
    double v, d;
    if (fit_at(s->k, s->h, t, -1, &v, &d)) return INFINITY;
    return s->of_value ? -v : -d;
}

/* Golden-section refinement of the minimum of f bracketed by (lo, mid, hi). */
static double refine_minimum(gsl_function *f, double lo, double mid, double hi)
{
    gsl_min_fminimizer *m = gsl_min_fminimizer_alloc(gsl_min_fminimizer_goldensection);
    if (!m) return mid;
    double best = mid;
    if (gsl_min_fminimizer_set(m, f, mid, lo, hi) == GSL_SUCCESS) {
        for (int it = 0; it < 100; it++) {
            if (gsl_min_fminimizer_iterate(m) != GSL_SUCCESS) break;
            double a = gsl_min_fminimizer_x_lower(m), b = gsl_min_fminimizer_x_upper(m);
            best = gsl_min_fminimizer_x_minimum(m);
            if (gsl_min_test_interval(a, b, 1e-10 * (hi - lo), 0) == GSL_SUCCESS) break;
        }
    }
    gsl_min_fminimizer_free(m);
    return best;
}

/* The scan and refinement of deriv_slope_peak on compacted cells. */
static int slope_peak(cells *k, double h, int of_value, double *location, double *peak,
                      int *at_edge)
{
    slope_ctx s = {k, h, of_value};
    gsl_function f = {negative_slope, &s};
    double lo = k->x[0], hi = k->x[k->n - 1];
    int n_scan = DERIV_SCAN_PER_CELL * (k->n - 1) + 1, best = -1;
    double best_f = INFINITY;
    for (int j = 0; j < n_scan; j++) {
        double fj = negative_slope(lo + (hi - lo) * j / (n_scan - 1), &s);
        if (fj < best_f) best_f = fj, best = j;
    }
    if (best < 0) return -1;
    double step = (hi - lo) / (n_scan - 1), t = lo + step * best;
    if (best == n_scan - 1)
        t = hi; /* not lo + (hi − lo): the end of the range, not one ulp beyond it */
    if (best == 0 || best == n_scan - 1)
        *at_edge = 1;
    else if (negative_slope(t - step, &s) > best_f && negative_slope(t + step, &s) > best_f)
        t = refine_minimum(&f, t - step, t, t + step);
    *location = t;
    *peak = -negative_slope(t, &s);
    return isfinite(*peak) ? 0 : -1;
}

static int peak_of(const deriv_curve *c, double h, int of_value, double *location, double *peak,
                   int *at_edge)
{
    *location = *peak = NAN;
    *at_edge = 0;
    if (!isfinite(h)) return -1;
    gsl_set_error_handler_off();
    cells k;
    int rc = -1;
    if (!cells_init(&k, c) && k.n >= DERIV_MIN_POINTS) rc = slope_peak(&k, h, of_value, location, peak, at_edge);
    cells_free(&k);
    if (rc) *location = *peak = NAN;
    return rc;
}

int deriv_slope_peak(const deriv_curve *c, double h, double *location, double *peak,
                     int *at_edge)
{
    return peak_of(c, h, 0, location, peak, at_edge);
}

int deriv_value_peak(const deriv_curve *c, double h, double *location, double *peak,
                     int *at_edge)
{
    return peak_of(c, h, 1, location, peak, at_edge);
}

int deriv_peak(const deriv_curve *c, double *location, double *peak, int *at_edge, double *h)
{
    *h = deriv_bandwidth(c);
    return deriv_slope_peak(c, *h, location, peak, at_edge);
}

/* ------------------------------------------------------------------ finite differences */

void deriv_gradient(const double *f, long fs, const double *x, int n, double *out, long os)
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

double deriv_grid_peak(const double *x, const double *y, long ys, int n, double *ymax)
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

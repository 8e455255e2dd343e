/* fss.c — finite-size scaling fits and the collapse, on arrays (see fss.h). */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#include "critsweep/fss.h"

void fss_fit_init(fss_fit *ff, int sigma_c_fitted)
{
    *ff = (fss_fit){NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, sigma_c_fitted,
                    NULL, NULL, NULL};
}

int fss_linfit(const double *x, const double *y, int n, double *c0, double *c1,
               double *e1, double *e0)
{
    double sx = 0, sy = 0;
    int m = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(x[i]) && isfinite(y[i])) {
            sx += x[i];
            sy += y[i];
            m++;
        }
    *c0 = *c1 = *e1 = NAN;
    if (e0)
        *e0 = NAN;
    if (m < 2)
        return m;
    double mx = sx / m, my = sy / m, sxx = 0, sxy = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(x[i]) && isfinite(y[i])) {
            sxx += (x[i] - mx) * (x[i] - mx);
            sxy += (x[i] - mx) * (y[i] - my);
        }
    if (sxx <= 0)
        return m;
    *c1 = sxy / sxx;
    *c0 = my - *c1 * mx;
    if (m > 2) {
        double ssr = 0;
        for (int i = 0; i < n; i++)
            if (isfinite(x[i]) && isfinite(y[i])) {
                double r = y[i] - *c0 - *c1 * x[i];
                ssr += r * r;
            }
        double s2 = ssr / (m - 2);
        *e1 = sqrt(s2 / sxx);
        if (e0)
            *e0 = sqrt(s2 * (1.0 / m + mx * mx / sxx));
    }
    return m;
}

/* Why fss_linfit over m finite pairs gave no line. */
static const char *line_note(int m)
{
    return m < 2 ? "fewer than 2 widths with a finite value" : "all widths are equal";
}

static const char OOM[] = "out of memory";

void fss_fit_kappa(const double *N, const double *chi_max, int W, fss_fit *ff, double *fit)
{
    double *lx = calloc((size_t)(W > 0 ? 2 * W : 1), sizeof *lx);
    if (!lx) {
        ff->kappa_note = OOM;
        return;
    }
    double *ly = lx + W;
    for (int w = 0; w < W; w++) {
        lx[w] = log(N[w]);
        ly[w] = chi_max[w] > 0 ? log(chi_max[w]) : NAN;
    }
    double c0, c1, e1;
    int m = fss_linfit(lx, ly, W, &c0, &c1, &e1, NULL);
    ff->kappa = c1;
    ff->kappa_err = e1;
    if (!isfinite(c1))
        ff->kappa_note = m < 2 ? "fewer than 2 widths with chi_max > 0" : line_note(m);
    if (fit)
        for (int w = 0; w < W; w++)
            fit[w] = isfinite(c1) ? exp(c0 + c1 * lx[w]) : NAN;
    free(lx);
}

/* σ_c given: the slope of log |σ* − σ_c| against log N. */
static void widom_given_edge(const double *N, const double *ws, int W, double edge,
                             fss_fit *ff)
{
    double *lx = calloc((size_t)(W > 0 ? 2 * W : 1), sizeof *lx);
    if (!lx) {
        ff->widom_note = OOM;
        return;
    }
    double *ly = lx + W;
    ff->sigma_c = edge;
    for (int w = 0; w < W; w++) {
        lx[w] = log(N[w]);
        ly[w] = isfinite(ff->sigma_c) && ws[w] != ff->sigma_c ? log(fabs(ws[w] - ff->sigma_c))
                                                                : NAN;
    }
    double c0, c1, e1;
    int m = fss_linfit(lx, ly, W, &c0, &c1, &e1, NULL);
    ff->inv_nu = -c1;
    ff->inv_nu_err = e1;
    /* Sign of the shift: the mean offset's. */
    double sgn = 0;
    for (int w = 0; w < W; w++)
        if (isfinite(ws[w]))
            sgn += ws[w] - ff->sigma_c;
    ff->amp = (sgn >= 0 ? 1 : -1) * exp(c0);
    free(lx);
    if (!isfinite(edge))
        ff->widom_note = "no sigma_c (the edge of chaos is unknown)";
    else if (!isfinite(c1))
        ff->widom_note = line_note(m);
}

/* σ* = σ_c + A N^(−1/ν): for each 1/ν on a grid the best (σ_c, A) is linear least
 * squares; keep the 1/ν with the least residual. */
static void widom_fitted_edge(const double *N, const double *ws, int W, fss_fit *ff)
{
    double *lx = calloc((size_t)(W > 0 ? W : 1), sizeof *lx);
    if (!lx) {
        ff->widom_note = OOM;
        return;
    }
    double best = INFINITY;
    for (double v = 0.05; v <= 3.0 + 1e-9; v += 0.001) {
        for (int w = 0; w < W; w++)
            lx[w] = pow(N[w], -v);
        double s0, s1, se1, se0;
        int m = fss_linfit(lx, ws, W, &s0, &s1, &se1, &se0);
        if (m < 3 || !isfinite(s1))
            continue;
        double ssr = 0;
        for (int w = 0; w < W; w++)
            if (isfinite(ws[w]))
                ssr += (ws[w] - s0 - s1 * lx[w]) * (ws[w] - s0 - s1 * lx[w]);
        if (ssr < best) {
            best = ssr;
            ff->inv_nu = v;
            ff->sigma_c = s0;
            ff->sigma_c_err = se0;
            ff->amp = s1;
        }
    }
    free(lx);
    if (!isfinite(ff->inv_nu))
        ff->widom_note = "fitting sigma_c needs 3 or more widths with a Widom line";
}

void fss_fit_widom(const double *N, const double *widom, int W, double edge, fss_fit *ff,
                   double *fit)
{
    if (!ff->sigma_c_fitted)
        widom_given_edge(N, widom, W, edge, ff);
    else
        widom_fitted_edge(N, widom, W, ff);
    if (fit)
        for (int w = 0; w < W; w++)
            fit[w] = isfinite(ff->inv_nu) ? ff->sigma_c + ff->amp * pow(N[w], -ff->inv_nu)
                                          : NAN;
}

/* Mean and spread of the rescaled curves at xp, interpolated linearly between each
 * curve's finite neighbours of xp (the first 64 curves that reach xp): adds to *num
 * and *den. */
static void collapse_point(const double *X, const double *Y, int S, int W, double xp,
                           double *num, double *den)
{
    double v[64], mean = 0;
    int m = 0;
    for (int k = 0; k < W && m < 64; k++) {
        const double *XX = X + (long)k * S, *YY = Y + (long)k * S;
        int jl = -1, jr = -1;
        for (int j = 0; j < S; j++) {
            if (!isfinite(YY[j]))
                continue;
            if (XX[j] <= xp)
                jl = j;
            if (XX[j] >= xp && jr < 0)
                jr = j;
        }
        if (jl < 0 || jr < 0)
            continue;
        double val = jl == jr ? YY[jl]
                              : YY[jl] + (YY[jr] - YY[jl]) * (xp - XX[jl]) / (XX[jr] - XX[jl]);
        v[m++] = val;
    }
    if (m < 2)
        return;
    for (int k = 0; k < m; k++)
        mean += v[k];
    mean /= m;
    for (int k = 0; k < m; k++)
        *num += (v[k] - mean) * (v[k] - mean);
    *den += m * mean * mean;
}

double fss_collapse_nmse(const double *x, int S, const double *y, const double *N, int W,
                         double sc, double a, double inv_nu, double *X, double *Y)
{
    enum { P = 50 };
    double lo = -INFINITY, hi = INFINITY;
    int used = 0;
    for (int k = 0; k < W; k++) {
        double f = pow(N[k], inv_nu), g = pow(N[k], -a);
        double mn = INFINITY, mx = -INFINITY;
        for (int j = 0; j < S; j++) {
            X[(long)k * S + j] = (x[j] - sc) * f;
            Y[(long)k * S + j] = y[(long)k * S + j] * g;
            if (isfinite(Y[(long)k * S + j])) {
                mn = fmin(mn, X[(long)k * S + j]);
                mx = fmax(mx, X[(long)k * S + j]);
            }
        }
        if (!isfinite(mn))
            continue;
        used++;
        lo = fmax(lo, mn);
        hi = fmin(hi, mx);
    }
    if (used < 2 || !(hi > lo))
        return INFINITY;
    double num = 0, den = 0;
    for (int p = 0; p < P; p++)
        collapse_point(X, Y, S, W, lo + (hi - lo) * p / (P - 1), &num, &den);
    return den > 0 ? num / den : INFINITY;
}

void fss_fit_collapse(const double *x, int S, const double *y, const double *N, int W,
                      fss_fit *ff, double *X, double *Y)
{
    double sc = ff->sigma_c;
    if (isfinite(sc)) {
        /* X, Y are the scratch of the search; the best is redrawn into them below. */
        double best = INFINITY;
        for (int ia = 0; ia < FSS_COLLAPSE_NA; ia++)
            for (int iv = 0; iv < FSS_COLLAPSE_NV; iv++) {
                double aa = FSS_COLLAPSE_A0 + FSS_COLLAPSE_STEP * ia;
                double vv = FSS_COLLAPSE_V0 + FSS_COLLAPSE_STEP * iv;
                double e = fss_collapse_nmse(x, S, y, N, W, sc, aa, vv, X, Y);
                if (e < best) {
                    best = e;
                    ff->coll_a = aa;
                    ff->coll_inv_nu = vv;
                    ff->coll_nmse = e;
                }
            }
    }
    if (isfinite(ff->coll_a)) {
        fss_collapse_nmse(x, S, y, N, W, sc, ff->coll_a, ff->coll_inv_nu, X, Y);
        return;
    }
    ff->collapse_note = isfinite(sc) ? "fewer than 2 curves with points, or their rescaled "
                                       "ranges never overlap"
                                     : "no sigma_c";
    for (long i = 0; i < (long)W * S; i++)
        X[i] = Y[i] = NAN;
}

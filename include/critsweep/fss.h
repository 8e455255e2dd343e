/* fss.h — finite-size scaling on plain arrays (no files, no figures): χ_max ∝ N^κ,
 * the drift of the Widom line σ_w²*(N) − σ_c ∝ N^(−1/ν), and the collapse of the
 * curves S(σ_w²) of several widths.  `critsweep fss` (cli_fss.c) feeds it one
 * activation and one σ_b² row of a results file.
 *
 * Every estimate that cannot be made is NaN, and the fit says why in a short note
 * (NULL when the estimate exists); errors are NaN with fewer than 3 usable widths. */
#ifndef CRITSWEEP_FSS_H
#define CRITSWEEP_FSS_H

/* The collapse's grid search: a in [-1, 2] and 1/ν in [0.05, 2], steps 0.01. */
enum { FSS_COLLAPSE_NA = 301, FSS_COLLAPSE_NV = 196 };
#define FSS_COLLAPSE_A0 (-1.0)
#define FSS_COLLAPSE_V0 0.05
#define FSS_COLLAPSE_STEP 0.01

typedef struct {
    double kappa, kappa_err;        /* χ_max ∝ N^κ (log-log least squares) */
    double inv_nu, inv_nu_err;      /* σ_w²*(N) − σ_c ∝ N^(−1/ν) */
    double sigma_c, sigma_c_err;    /* the mean-field edge (given), or fitted */
    double amp;                     /* A in σ_w²*(N) = σ_c + A N^(−1/ν) */
    double coll_a, coll_inv_nu, coll_nmse;  /* best collapse S N^(−a) vs (σ_w² − σ_c) N^(1/ν) */
    int sigma_c_fitted;
    const char *kappa_note, *widom_note, *collapse_note;  /* why an estimate is NaN */
} fss_fit;

/* All estimates NaN, no notes. */
void fss_fit_init(fss_fit *ff, int sigma_c_fitted);

/* Ordinary least squares y = c0 + c1 x over the finite pairs; e1, e0 (NULL: not
 * wanted) are the standard errors of c1, c0 from the residual variance (NaN with fewer
 * than 3 pairs).  c0, c1 are NaN with fewer than 2 pairs or all x equal.  Returns the
 * number of finite pairs. */
int fss_linfit(const double *x, const double *y, int n, double *c0, double *c1,
               double *e1, double *e0);

/* κ from chi_max (W) against N (W); fit (W, or NULL) gets the fitted curve N^κ. */
void fss_fit_kappa(const double *N, const double *chi_max, int W, fss_fit *ff,
                   double *fit);

/* 1/ν (and σ_c when ff->sigma_c_fitted) from the Widom line widom (W) against N (W).
 * Given σ_c (edge; NaN if unknown): log |σ* − σ_c| against log N, the sign of A from
 * the mean offset.  Fitted: for each 1/ν on a 0.001 grid over [0.05, 3] the best
 * (σ_c, A) by linear least squares, keeping the least residual (needs 3 widths).
 * fit (W, or NULL) gets σ_c + A N^(−1/ν). */
void fss_fit_widom(const double *N, const double *widom, int W, double edge, fss_fit *ff,
                   double *fit);

/* NMSE of the collapse of the curves y (W, S) over x (S), one per width N (W), rescaled
 * as (x − sc) N^inv_nu and y N^−a, on 50 points of their common range
 * (NMSE = Σ(y − ȳ)²/Σȳ²); X, Y (W, S) get the rescaled curves.  +inf if fewer than 2
 * curves have points or their ranges do not overlap. */
double fss_collapse_nmse(const double *x, int S, const double *y, const double *N, int W,
                         double sc, double a, double inv_nu, double *X, double *Y);

/* The collapse with least NMSE over the grid above, at σ_c = ff->sigma_c; X, Y (W, S)
 * get the curves rescaled by the best (a, 1/ν), or NaN if there is none. */
void fss_fit_collapse(const double *x, int S, const double *y, const double *N, int W,
                      fss_fit *ff, double *X, double *Y);

#endif

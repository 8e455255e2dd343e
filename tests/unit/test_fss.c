/* test_fss.c — finite-size scaling (fss.h) on synthetic data of known exponents:
 * χ_max = c N^κ, a Widom line σ_w²*(N) = σ_c + A N^(−1/ν), and curves
 * S(σ_w²; N) = N^a f((σ_w² − σ_c) N^(1/ν)) that collapse exactly; noise-free (closed
 * forms, tight tolerances) and with seeded noise (looser ones).  Degenerate inputs (one
 * or two widths, NaNs, no σ_c) must give NaN with a reason, never a number. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "critsweep/fss.h"
#include "critsweep/rng.h"

enum { W = 5, S = 41 };
static const double NS[W] = {16, 32, 64, 128, 256};
static const double KAPPA = 0.4, INV_NU = 0.5, SIGMA_C = 1.0, AMP = -0.8, COLL_A = 0.3;

static double sw(int j) { return 0.6 + 0.8 * j / (S - 1); }

/* The scaling function of the collapse: a smooth bump. */
static double bump(double x) { return 1.0 / (1.0 + x * x); }

/* |got - want| <= tol, printed with the difference. */
static void near(const char *what, double got, double want, double tol)
{
    printf("%-44s %.6g (want %.6g, |diff| %.2g, tol %.2g)\n", what, got, want,
           fabs(got - want), tol);
    CHECK(fabs(got - want) <= tol, "%s = %.9g, want %.9g +- %.3g", what, got, want, tol);
}

static void test_linfit(void)
{
    double x[4] = {0, 1, 2, 3}, y[4], c0, c1, e1, e0;
    for (int i = 0; i < 4; i++)
        y[i] = 2 + 3 * x[i];
    int m = fss_linfit(x, y, 4, &c0, &c1, &e1, &e0);
    CHECK(m == 4, "linfit counts %d pairs, want 4", m);
    near("linfit slope (exact line)", c1, 3, 1e-12);
    near("linfit intercept (exact line)", c0, 2, 1e-12);
    near("linfit slope error (exact line)", e1, 0, 1e-12);
    /* Two points: a line, no error. */
    fss_linfit(x, y, 2, &c0, &c1, &e1, &e0);
    CHECK(fabs(c1 - 3) < 1e-12 && isnan(e1) && isnan(e0), "2 points: slope 3, errors NaN");
    /* NaN pairs are skipped, one pair is no line. */
    y[1] = NAN, y[2] = NAN, y[3] = NAN;
    m = fss_linfit(x, y, 4, &c0, &c1, &e1, NULL);
    CHECK(m == 1 && isnan(c0) && isnan(c1) && isnan(e1), "1 finite pair: NaN, got m %d", m);
}

static void test_kappa(cs_rng *r)
{
    double cm[W], fit[W];
    for (int w = 0; w < W; w++)
        cm[w] = 7.5 * pow(NS[w], KAPPA);
    fss_fit ff;
    fss_fit_init(&ff, 0);
    fss_fit_kappa(NS, cm, W, &ff, fit);
    near("kappa, noise-free", ff.kappa, KAPPA, 1e-12);
    near("kappa error, noise-free", ff.kappa_err, 0, 1e-12);
    double worst = 0;
    for (int w = 0; w < W; w++)
        worst = fmax(worst, fabs(fit[w] / cm[w] - 1));
    near("fitted chi_max curve, largest rel. diff", worst, 0, 1e-12);
    CHECK(ff.kappa_note == NULL, "no note when kappa exists");
    /* 2 % log-normal noise: within 3 standard errors, and the error itself is sane. */
    double z[W];
    rng_fill_normal_double(r, z, W, 0.02);
    for (int w = 0; w < W; w++)
        cm[w] = 7.5 * pow(NS[w], KAPPA) * exp(z[w]);
    fss_fit_init(&ff, 0);
    fss_fit_kappa(NS, cm, W, &ff, NULL);
    near("kappa, 2 % noise", ff.kappa, KAPPA, fmax(3 * ff.kappa_err, 1e-3));
    CHECK(ff.kappa_err > 0 && ff.kappa_err < 0.05, "kappa error %g", ff.kappa_err);
}

static void widom_line(double amp, double inv_nu, double *ws)
{
    for (int w = 0; w < W; w++)
        ws[w] = SIGMA_C + amp * pow(NS[w], -inv_nu);
}

static void test_widom(cs_rng *r)
{
    double ws[W], fit[W];
    for (int sign = -1; sign <= 1; sign += 2) {
        widom_line(sign * fabs(AMP), INV_NU, ws);
        fss_fit ff;
        fss_fit_init(&ff, 0);
        fss_fit_widom(NS, ws, W, SIGMA_C, &ff, fit);
        near(sign < 0 ? "1/nu, sigma_c given, line below" : "1/nu, sigma_c given, line above",
             ff.inv_nu, INV_NU, 1e-12);
        near("amplitude A, sigma_c given", ff.amp, sign * fabs(AMP), 1e-12);
        near("fitted Widom line at the largest N", fit[W - 1], ws[W - 1], 1e-12);
        CHECK(ff.sigma_c == SIGMA_C && isnan(ff.sigma_c_err), "sigma_c is the given edge");
    }
    /* sigma_c fitted: 1/nu on a 0.001 grid, so the truth 0.5 is (nearly) on it. */
    widom_line(AMP, INV_NU, ws);
    fss_fit ff;
    fss_fit_init(&ff, 1);
    fss_fit_widom(NS, ws, W, NAN, &ff, NULL);
    near("1/nu, sigma_c fitted, noise-free", ff.inv_nu, INV_NU, 1.5e-3);
    near("sigma_c fitted, noise-free", ff.sigma_c, SIGMA_C, 1e-3);
    near("amplitude A, sigma_c fitted", ff.amp, AMP, 1e-2);
    /* Noise of 1e-3 on sigma_w2*: the shift at N = 256 is 0.05, so 1/nu to ~0.1. */
    double z[W];
    rng_fill_normal_double(r, z, W, 1e-3);
    for (int w = 0; w < W; w++)
        ws[w] += z[w];
    fss_fit_init(&ff, 1);
    fss_fit_widom(NS, ws, W, NAN, &ff, NULL);
    near("1/nu, sigma_c fitted, noise 1e-3", ff.inv_nu, INV_NU, 0.1);
    near("sigma_c fitted, noise 1e-3", ff.sigma_c, SIGMA_C, 0.01);
    CHECK(isfinite(ff.sigma_c_err) && ff.sigma_c_err < 0.02, "sigma_c error %g", ff.sigma_c_err);
    fss_fit_init(&ff, 0);
    fss_fit_widom(NS, ws, W, SIGMA_C, &ff, NULL);
    near("1/nu, sigma_c given, noise 1e-3", ff.inv_nu, INV_NU, fmax(3 * ff.inv_nu_err, 0.02));
}

/* Curves (W, S) that collapse exactly under (SIGMA_C, COLL_A, INV_NU), times
 * exp(noise * z). */
static void collapse_curves(cs_rng *r, double noise, double *x, double *y)
{
    for (int j = 0; j < S; j++)
        x[j] = sw(j);
    for (int w = 0; w < W; w++) {
        double z[S];
        rng_fill_normal_double(r, z, S, 1.0);
        for (int j = 0; j < S; j++)
            y[(long)w * S + j] = pow(NS[w], COLL_A) *
                                 bump((x[j] - SIGMA_C) * pow(NS[w], INV_NU)) *
                                 exp(noise * z[j]);
    }
}

static void test_collapse(cs_rng *r)
{
    double x[S], y[W * S], X[W * S], Y[W * S];
    for (int t = 0; t < 2; t++) {
        double noise = t ? 0.01 : 0;
        collapse_curves(r, noise, x, y);
        double at_truth = fss_collapse_nmse(x, S, y, NS, W, SIGMA_C, COLL_A, INV_NU, X, Y);
        double off = fss_collapse_nmse(x, S, y, NS, W, SIGMA_C, COLL_A + 0.2, INV_NU, X, Y);
        printf("collapse NMSE (noise %.2f): %.3g at the truth, %.3g with a off by 0.2\n",
               noise, at_truth, off);
        CHECK(at_truth < (t ? 1e-3 : 1e-4) && off > 10 * at_truth, "NMSE %g vs %g", at_truth,
              off);
        fss_fit ff;
        fss_fit_init(&ff, 0);
        ff.sigma_c = SIGMA_C;
        fss_fit_collapse(x, S, y, NS, W, &ff, X, Y);
        near(t ? "collapse a, 1 % noise" : "collapse a, noise-free", ff.coll_a, COLL_A,
             t ? 0.03 : 0.015);
        near(t ? "collapse 1/nu, 1 % noise" : "collapse 1/nu, noise-free", ff.coll_inv_nu,
             INV_NU, t ? 0.05 : 0.025);
        /* The grid's a and 1/nu are sums of 0.01 steps, a rounding away from the truth. */
        CHECK(ff.coll_nmse <= at_truth * (1 + 1e-6) && ff.collapse_note == NULL,
              "best NMSE %g <= %g", ff.coll_nmse, at_truth);
        /* X, Y are the curves rescaled by the best parameters. */
        long i = 2L * S + 7;
        CHECK(fabs(X[i] - (x[7] - SIGMA_C) * pow(NS[2], ff.coll_inv_nu)) < 1e-12 &&
              fabs(Y[i] - y[i] * pow(NS[2], -ff.coll_a)) < 1e-12, "rescaled curves");
    }
}

static int all_nan(const double *v, long n)
{
    for (long i = 0; i < n; i++)
        if (!isnan(v[i]))
            return 0;
    return 1;
}

static void test_degenerate(cs_rng *r)
{
    double cm[W], ws[W], fit[W];
    for (int w = 0; w < W; w++) {
        cm[w] = pow(NS[w], KAPPA);
        ws[w] = SIGMA_C + AMP * pow(NS[w], -INV_NU);
    }
    fss_fit ff;
    /* One width: no exponent. */
    fss_fit_init(&ff, 0);
    fss_fit_kappa(NS, cm, 1, &ff, fit);
    fss_fit_widom(NS, ws, 1, SIGMA_C, &ff, NULL);
    CHECK(isnan(ff.kappa) && ff.kappa_note && isnan(fit[0]), "1 width: kappa NaN with a note");
    CHECK(isnan(ff.inv_nu) && ff.widom_note, "1 width: 1/nu NaN with a note");
    if (ff.kappa_note && ff.widom_note)
        printf("1 width: kappa: %s; 1/nu: %s\n", ff.kappa_note, ff.widom_note);
    /* Two widths: exponents, but no errors; sigma_c cannot be fitted. */
    fss_fit_init(&ff, 0);
    fss_fit_kappa(NS, cm, 2, &ff, NULL);
    CHECK(fabs(ff.kappa - KAPPA) < 1e-12 && isnan(ff.kappa_err), "2 widths: kappa, no error");
    fss_fit_init(&ff, 1);
    fss_fit_widom(NS, ws, 2, NAN, &ff, fit);
    CHECK(isnan(ff.inv_nu) && isnan(ff.sigma_c) && ff.widom_note && all_nan(fit, 2),
          "2 widths: fitted sigma_c NaN with a note");
    if (ff.widom_note)
        printf("2 widths, sigma_c fitted: %s\n", ff.widom_note);
    /* NaNs: skipped; all NaN (or chi_max <= 0) is no fit. */
    double cm_nan[W] = {NAN, cm[1], NAN, cm[3], cm[4]};
    fss_fit_init(&ff, 0);
    fss_fit_kappa(NS, cm_nan, W, &ff, NULL);
    near("kappa with 2 NaN widths skipped", ff.kappa, KAPPA, 1e-12);
    double none[W] = {NAN, NAN, 0, -1, NAN};
    fss_fit_init(&ff, 0);
    fss_fit_kappa(NS, none, W, &ff, fit);
    CHECK(isnan(ff.kappa) && ff.kappa_note && all_nan(fit, W), "no chi_max > 0: NaN with a note");
    /* No edge of chaos: no 1/nu and no collapse. */
    fss_fit_init(&ff, 0);
    fss_fit_widom(NS, ws, W, NAN, &ff, fit);
    CHECK(isnan(ff.inv_nu) && ff.widom_note && all_nan(fit, W), "no sigma_c: 1/nu NaN");
    double x[S], y[W * S], X[W * S], Y[W * S];
    collapse_curves(r, 0, x, y);
    fss_fit_collapse(x, S, y, NS, W, &ff, X, Y);
    CHECK(isnan(ff.coll_a) && isnan(ff.coll_nmse) && ff.collapse_note &&
          all_nan(X, W * S) && all_nan(Y, W * S), "no sigma_c: no collapse, with a note");
    /* One curve (or one with points) is no collapse. */
    for (int k = S; k < W * S; k++)
        y[k] = NAN;
    fss_fit_init(&ff, 0);
    ff.sigma_c = SIGMA_C;
    fss_fit_collapse(x, S, y, NS, W, &ff, X, Y);
    CHECK(isnan(ff.coll_a) && ff.collapse_note && all_nan(X, W * S), "one curve: no collapse");
    if (ff.collapse_note)
        printf("one curve: %s\n", ff.collapse_note);
    CHECK(isinf(fss_collapse_nmse(x, S, y, NS, W, SIGMA_C, 0, 0.5, X, Y)), "one curve: NMSE inf");
}

int main(void)
{
    cs_rng r;
    rng_init(&r, 13, 0);
    test_linfit();
    test_kappa(&r);
    test_widom(&r);
    test_collapse(&r);
    test_degenerate(&r);
    if (!failures)
        printf("all fss checks passed\n");
    return failures != 0;
}

/* test_meanfield.c — mean-field theory (README §5) against closed forms and an
 * independent quadrature:
 *   - Gaussian moments E[(√q z)^2k] and E[cos(√q z)] = e^{−q/2} (odd f too);
 *   - tanh, σ_b² = 0: σ_w²_c = 1 (to 1e-9), q* = 0 and χ_1 = σ_w² below it; far into
 *     the chaotic phase χ_1 → σ_w² (4/3)/√(2π q*) (the sech⁴ spike's area);
 *   - ReLU: σ_w²_c = 2 at every σ_b², q* = σ_b² / (1 − σ_w²/2), and χ_1 = σ_w²/2 also
 *     at the degenerate q* = 0 (the q → 0⁺ limit);
 *   - linear: σ_w²_c = 1, q* = σ_b² / (1 − σ_w²);
 *   - erf(√π/2 x): E[φ²] = (2/π) asin(πq/2 / (1 + πq/2)), E[φ'²] = 1/sqrt(1 + πq), up
 *     to σ_w² = 10⁶ (1e-9 relative);
 *   - tanh and hard-tanh at σ_b² > 0: q* and χ_1 against composite Simpson on a fine
 *     grid split at the kinks, to 1e-8. */
#include <math.h>
#include <stdio.h>

#include "critsweep/meanfield.h"

static int failures;
static double worst;

static void close_to(const char *what, double got, double want, double tol)
{
    double d = fabs(got - want);
    if (d > worst)
        worst = d;
    int ok = d <= tol || (isnan(got) && isnan(want));
    printf("%s %-60s got %.12g want %.12g |diff| %.2g tol %.1g\n", ok ? "ok  " : "FAIL", what,
           got, want, d, tol);
    if (!ok)
        failures++;
}

static double f_pow(double x, const void *c) { return pow(x, *(const double *)c); }
static double f_cos(double x, const void *c) { (void)c; return cos(x); }
static double f_shift(double x, const void *c) { (void)c; return (x + 1) * (x + 1); }

/* ∫ g(√q z) φ(z) dz over [lo, hi] by composite Simpson, 20000 panels. */
static double simpson(cs_activation a, int deriv, double q, double lo, double hi)
{
    const int n = 20000;
    double h = (hi - lo) / n, s = 0;
    for (int i = 0; i <= n; i++) {
        /* Ends nudged inside the piece, so a step at the end takes this piece's side. */
        double z = lo + (i == 0 ? 1e-6 : i == n ? n - 1e-6 : i) * h, x = sqrt(q) * z;
        double v = deriv ? activation_derivative(a, x) : activation_value(a, x);
        double w = (i == 0 || i == n) ? 1 : (i % 2 ? 4 : 2);
        s += w * v * v * exp(-z * z / 2);
    }
    return s * h / 3 / sqrt(2 * M_PI);
}

/* E_z[g(√q z)²] on [−14, 14], split at the hard-tanh kinks z = ±1/√q so that every
 * piece is smooth (Simpson's error is then ~1e-15; a kink would make it O(h²)). */
static double trap(cs_activation a, int deriv, double q)
{
    double k = 1 / sqrt(q), L = 14;
    if (k >= L)
        return simpson(a, deriv, q, -L, L);
    return simpson(a, deriv, q, -L, -k) + simpson(a, deriv, q, -k, k) + simpson(a, deriv, q, k, L);
}

static void test_quadrature(void)
{
    double k2 = 2, k4 = 4, k6 = 6;
    close_to("E[(sqrt(q) z)^2], q=3", meanfield_gauss_expect(f_pow, &k2, 3), 3, 1e-12);
    close_to("E[(sqrt(q) z)^4], q=3", meanfield_gauss_expect(f_pow, &k4, 3), 27, 1e-10);
    close_to("E[(sqrt(q) z)^6], q=0.5", meanfield_gauss_expect(f_pow, &k6, 0.5), 15 * 0.125, 1e-12);
    close_to("E[cos(sqrt(q) z)] = exp(-q/2), q=2", meanfield_gauss_expect(f_cos, NULL, 2), exp(-1), 1e-14);
    close_to("E[cos(sqrt(q) z)] = exp(-q/2), q=20", meanfield_gauss_expect(f_cos, NULL, 20), exp(-10), 1e-12);
    close_to("E[(sqrt(q) z + 1)^2] = q + 1, q=7", meanfield_gauss_expect(f_shift, NULL, 7), 8, 1e-12);
}

static void test_tanh_zero_bias(void)
{
    close_to("tanh sigma_b2=0: sigma_w2_c = 1", meanfield_edge_sigma_w2(CS_ACT_TANH, 0), 1, 1e-9);
    close_to("erf sigma_b2=0: sigma_w2_c = 1", meanfield_edge_sigma_w2(CS_ACT_ERF, 0), 1, 1e-9);
    close_to("hardtanh sigma_b2=0: sigma_w2_c = 1", meanfield_edge_sigma_w2(CS_ACT_HARDTANH, 0), 1, 1e-9);
    meanfield_point m;
    meanfield_evaluate(CS_ACT_TANH, 0.5, 0, &m);
    close_to("tanh (0.5, 0): degenerate q* = 0", m.q_star, 0, 0);
    close_to("tanh (0.5, 0): chi_1 = sigma_w2", m.chi1, 0.5, 1e-15);
    close_to("tanh (0.5, 0): xi_c = -1/ln 0.5", m.xi_c, -1 / log(0.5), 1e-12);
    meanfield_evaluate(CS_ACT_TANH, 1.0, 0, &m);
    close_to("tanh (1, 0): chi_1 = 1", m.chi1, 1, 1e-15);
    if (!isinf(m.xi_c)) {
        printf("FAIL tanh (1, 0): xi_c should be inf, got %g\n", m.xi_c);
        failures++;
    }
    /* Above the transition q* > 0 solves q = σ_w² E[tanh²] (independent Simpson). */
    meanfield_evaluate(CS_ACT_TANH, 1.5, 0, &m);
    close_to("tanh (1.5, 0): q* fixed-point residual", 1.5 * trap(CS_ACT_TANH, 0, m.q_star), m.q_star, 1e-10);
    /* Deep in the chaotic phase sech⁴(√q z) is a spike of width ~1/√q on a Gaussian that
     * is flat there: E ≈ ϕ(0) ∫sech⁴/√q = (4/3)/√(2πq), relative error O(1/q). */
    const double big[] = {1e4, 1e6};
    for (int i = 0; i < 2; i++) {
        meanfield_evaluate(CS_ACT_TANH, big[i], 0, &m);
        char what[96];
        snprintf(what, sizeof what, "tanh (%g, 0): chi_1 / (sw (4/3)/sqrt(2 pi q*))", big[i]);
        close_to(what, m.chi1 / (big[i] * (4.0 / 3) / sqrt(2 * M_PI * m.q_star)), 1, 10 / big[i]);
    }
}

static void test_relu_linear(void)
{
    const double sbs[] = {0, 0.05, 0.5, 2, 10};
    for (int i = 0; i < 5; i++) {
        char what[96];
        snprintf(what, sizeof what, "relu sigma_b2=%g: sigma_w2_c = 2", sbs[i]);
        close_to(what, meanfield_edge_sigma_w2(CS_ACT_RELU, sbs[i]), 2, 1e-9);
        snprintf(what, sizeof what, "linear sigma_b2=%g: sigma_w2_c = 1", sbs[i]);
        close_to(what, meanfield_edge_sigma_w2(CS_ACT_LINEAR, sbs[i]), 1, 1e-9);
    }
    meanfield_point m;
    meanfield_evaluate(CS_ACT_RELU, 1.5, 0.3, &m);
    close_to("relu (1.5, 0.3): q* = sb/(1 - sw/2)", m.q_star, 0.3 / (1 - 0.75), 1e-14);
    close_to("relu (1.5, 0.3): chi_1 = sw/2", m.chi1, 0.75, 1e-15);
    for (int i = 1; i <= 2; i++) { /* q* = 0: χ_1 is the q → 0⁺ limit, not σ_w² relu'(0)² */
        char what[96];
        meanfield_evaluate(CS_ACT_RELU, i, 0, &m);
        snprintf(what, sizeof what, "relu (%d, 0): degenerate q* = 0", i);
        close_to(what, m.q_star, 0, 0);
        snprintf(what, sizeof what, "relu (%d, 0): chi_1 = sw/2", i);
        close_to(what, m.chi1, i / 2.0, 1e-15);
    }
    int rc = meanfield_evaluate(CS_ACT_RELU, 3, 0.3, &m);
    close_to("relu (3, 0.3): no finite q* (returns -1)", rc, -1, 0);
    close_to("relu (3, 0.3): q* NaN", m.q_star, NAN, 0);
    close_to("relu (3, 0.3): chi_1 = 1.5 still defined", m.chi1, 1.5, 1e-15);
    meanfield_evaluate(CS_ACT_LINEAR, 0.8, 0.1, &m);
    close_to("linear (0.8, 0.1): q* = sb/(1 - sw)", m.q_star, 0.1 / 0.2, 1e-14);
    close_to("linear (0.8, 0.1): chi_1 = sw", m.chi1, 0.8, 1e-15);
}

static void test_erf_closed_form(void)
{
    const double pts[][2] = {{0.5, 0.1}, {1.5, 0.05}, {2.5, 0.5}, {4, 2}, {10, 1}};
    for (int i = 0; i < 5; i++) {
        double sw = pts[i][0], sb = pts[i][1];
        meanfield_point m;
        meanfield_evaluate(CS_ACT_ERF, sw, sb, &m);
        double q = m.q_star, t = M_PI * q / 2;
        char what[96];
        snprintf(what, sizeof what, "erf (%g, %g): q* residual vs closed form", sw, sb);
        close_to(what, sw * 2 / M_PI * asin(t / (1 + t)) + sb, q, 1e-9);
        snprintf(what, sizeof what, "erf (%g, %g): chi_1 = sw/sqrt(1+pi q*)", sw, sb);
        close_to(what, m.chi1, sw / sqrt(1 + M_PI * q), 1e-9);
    }
    /* far into the chaotic phase, relative: q* ~ σ_w², χ_1 ~ √(σ_w²/π) */
    const double big[] = {1e2, 1e4, 1e6};
    for (int i = 0; i < 3; i++)
        for (int b = 0; b < 2; b++) {
            double sw = big[i], sb = b, t;
            meanfield_point m;
            meanfield_evaluate(CS_ACT_ERF, sw, sb, &m);
            t = M_PI * m.q_star / 2;
            char what[96];
            snprintf(what, sizeof what, "erf (%g, %g): q* residual / q* (closed form)", sw, sb);
            close_to(what, (sw * 2 / M_PI * asin(t / (1 + t)) + sb) / m.q_star, 1, 1e-9);
            snprintf(what, sizeof what, "erf (%g, %g): chi_1 sqrt(1+pi q*)/sw", sw, sb);
            close_to(what, m.chi1 * sqrt(1 + M_PI * m.q_star) / sw, 1, 1e-9);
        }
}

static void test_tanh_hardtanh_trapezoid(void)
{
    const double pts[][2] = {{1.76, 0.05}, {2.5, 0.3}, {3.44, 1}, {4.27, 2}, {1.2, 0.5}};
    for (int a = 0; a < 2; a++) {
        cs_activation act = a ? CS_ACT_HARDTANH : CS_ACT_TANH;
        for (int i = 0; i < 5; i++) {
            double sw = pts[i][0], sb = pts[i][1];
            meanfield_point m;
            meanfield_evaluate(act, sw, sb, &m);
            char what[96];
            snprintf(what, sizeof what, "%s (%g, %g): q* residual (Simpson)", activation_name(act), sw, sb);
            close_to(what, sw * trap(act, 0, m.q_star) + sb, m.q_star, 1e-8);
            snprintf(what, sizeof what, "%s (%g, %g): chi_1 (Simpson)", activation_name(act), sw, sb);
            close_to(what, m.chi1, sw * trap(act, 1, m.q_star), 1e-8);
        }
    }
    /* The edge: χ_1(σ_w²_c) = 1 by Simpson's rule. */
    const double sbs[] = {0.05, 0.3, 1};
    for (int i = 0; i < 3; i++) {
        double e = meanfield_edge_sigma_w2(CS_ACT_TANH, sbs[i]);
        meanfield_point m;
        meanfield_evaluate(CS_ACT_TANH, e, sbs[i], &m);
        char what[96];
        snprintf(what, sizeof what, "tanh edge sigma_b2=%g: chi_1(sigma_w2_c=%.6f) = 1", sbs[i], e);
        close_to(what, e * trap(CS_ACT_TANH, 1, m.q_star), 1, 1e-8);
    }
}

int main(void)
{
    test_quadrature();
    test_tanh_zero_bias();
    test_relu_linear();
    test_erf_closed_form();
    test_tanh_hardtanh_trapezoid();
    printf("largest difference: %.3g\n", worst);
    if (failures) {
        printf("%d check(s) FAILED\n", failures);
        return 1;
    }
    printf("all meanfield checks passed\n");
    return 0;
}

/* meanfield.c — signal propagation at infinite width (README §5).
 *
 * q* solves q = σ_w² E_z[φ(√q z)²] + σ_b²; χ_1 = σ_w² E_z[φ'(√q* z)²]; ξ_c = −1/ln χ_1.
 *
 * Expectations over z ~ Normal(0, 1) of the smooth activations (tanh, erf) are adaptive
 * Gauss–Kronrod integrals from GSL (QAGS on finite pieces, QAGIU on the tail).  No fixed
 * rule serves every q: φ(√q z) varies on the scale 1/√q of z and the Gaussian on the
 * scale 1, and far into the chaotic phase (q* ≈ σ_w², up to 10⁶) φ'(√q z)² is a spike
 * of width ~1/√q that falls between a Gauss–Hermite rule's nodes (χ_1 came out 0 at
 * σ_w² = 10⁶ instead of 532).  So the half-line is split where each factor's structure
 * ends: z = ACT_RANGE/√q, beyond which φ² and φ'² are constant to double precision, and
 * z = GAUSS_RANGE, beyond which the Gaussian is.  Hard-tanh, ReLU and linear use closed
 * forms (kinks make quadrature converge only algebraically).
 *
 * At q = 0 (the degenerate fixed point at σ_b² = 0) E[φ'(√q z)²] is its limit q → 0⁺:
 * φ'(0)² where φ' is continuous at 0, ½ for ReLU (= P(z > 0)), so χ_1 = σ_w²/2 there
 * whatever value φ'(0) itself is given (activation.c follows PyTorch: relu'(0) = 0).
 *
 * Roots (the fixed point, the edge of chaos) come from GSL's Brent solver. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_roots.h>

#include "critsweep/meanfield.h"

/* |x| beyond which tanh², erf² and their φ'² equal their limits to double precision
 * (1 − tanh² = sech² < 2e-17 at 20; erf's φ'² = e^{−πx²/2} is below 1e-270 there). */
#define ACT_RANGE 20.0
/* z beyond which the Gaussian density is below 1e-22 of its peak. */
#define GAUSS_RANGE 10.0
#define QUAD_LIMIT 200
#define QUAD_EPSREL 1e-12

static const double inv_sqrt_2pi = 0.39894228040143267794;

/* GSL's default error handler aborts the process; every status is checked here instead. */
static pthread_once_t gsl_once = PTHREAD_ONCE_INIT;
static void gsl_quiet(void) { gsl_set_error_handler_off(); }

typedef struct {
    double (*f)(double x, const void *ctx);
    const void *ctx;
    double sq; /* √q */
    int even;  /* f(−x) = f(x): one evaluation per node instead of two */
} gauss_integrand;

/* (f(√q z) + f(−√q z)) ϕ(z): the expectation as an integral over z ≥ 0. */
static double gauss_fold(double z, void *p)
{
    const gauss_integrand *g = p;
    double x = g->sq * z;
    double fx = g->even ? 2 * g->f(x, g->ctx) : g->f(x, g->ctx) + g->f(-x, g->ctx);
    return fx * inv_sqrt_2pi * exp(-0.5 * z * z);
}

/* E_z[f(√q z)] with workspace ws (QUAD_LIMIT intervals); NaN if GSL fails beyond
 * rounding. */
static double gauss_expect_ws(gsl_integration_workspace *ws,
                              double (*f)(double, const void *), const void *ctx, double q,
                              int even)
{
    pthread_once(&gsl_once, gsl_quiet);
    gauss_integrand g = {f, ctx, sqrt(q > 0 ? q : 0), even};
    if (g.sq == 0)
        return f(0, ctx);
    gsl_function F = {gauss_fold, &g};
    double cut[3] = {0, ACT_RANGE / g.sq, GAUSS_RANGE};
    int n = cut[1] < GAUSS_RANGE ? 3 : 2; /* finite pieces end at cut[n − 1] */
    if (n == 2)
        cut[1] = GAUSS_RANGE;
    double sum = 0, err = 0;
    for (int k = 0; k <= n - 1; k++) {
        /* a later piece need not be resolved below 1e-15 of the pieces before it: the
         * Gaussian tail (~1e-50) could never meet a relative tolerance of its own */
        double r = 0, e = 0, abs_tol = 1e-15 * fabs(sum);
        int st = k < n - 1 ? gsl_integration_qags(&F, cut[k], cut[k + 1], abs_tol,
                                                  QUAD_EPSREL, QUAD_LIMIT, ws, &r, &e)
                           : gsl_integration_qagiu(&F, cut[k], abs_tol, QUAD_EPSREL,
                                                   QUAD_LIMIT, ws, &r, &e);
        /* GSL_EROUND: rounding, not the rule, limits the accuracy; the estimate is used */
        if (st != GSL_SUCCESS && st != GSL_EROUND)
            return NAN;
        sum += r;
        err += e;
    }
    return err <= 1e-9 * fabs(sum) + 1e-300 ? sum : NAN;
}

double meanfield_gauss_expect(double (*f)(double x, const void *ctx), const void *ctx, double q)
{
    gsl_integration_workspace *ws = gsl_integration_workspace_alloc(QUAD_LIMIT);
    if (!ws)
        return NAN;
    double e = gauss_expect_ws(ws, f, ctx, q, 0);
    gsl_integration_workspace_free(ws);
    return e;
}

/* --- E[φ²] and E[φ'²] for each activation. ----------------------------------------- */

typedef struct {
    cs_activation a;
    gsl_integration_workspace *ws; /* for tanh and erf */
} act_ctx;

static double phi2(double x, const void *c)
{
    double v = activation_value(((const act_ctx *)c)->a, x);
    return v * v;
}

static double dphi2(double x, const void *c)
{
    double v = activation_derivative(((const act_ctx *)c)->a, x);
    return v * v;
}

/* E_z[φ(√q z)²] */
static double e_phi2(const act_ctx *c, double q)
{
    if (q <= 0) {
        double v = activation_value(c->a, 0);
        return v * v;
    }
    switch (c->a) {
    case CS_ACT_LINEAR:
        return q;
    case CS_ACT_RELU:
        return q / 2;
    case CS_ACT_HARDTANH: {
        double a = 1 / sqrt(q), P = erf(a / M_SQRT2), pdf = inv_sqrt_2pi * exp(-a * a / 2);
        return q * (P - 2 * a * pdf) + erfc(a / M_SQRT2); /* q E[z²; |z|<a] + P(|z| ≥ a) */
    }
    default:
        return gauss_expect_ws(c->ws, phi2, c, q, 1); /* φ odd: φ² even */
    }
}

/* E_z[φ'(√q z)²]; at q = 0 its limit q → 0⁺ (see the top of this file) */
static double e_dphi2(const act_ctx *c, double q)
{
    switch (c->a) {
    case CS_ACT_LINEAR:
        return 1;
    case CS_ACT_RELU:
        return 0.5; /* P(z > 0) for every q > 0, hence also the limit */
    case CS_ACT_HARDTANH:
        return q > 0 ? erf(1 / sqrt(2 * q)) : 1; /* P(|√q z| < 1) */
    default:
        if (q <= 0) { /* φ' continuous at 0 */
            double v = activation_derivative(c->a, 0);
            return v * v;
        }
        return gauss_expect_ws(c->ws, dphi2, c, q, 1);
    }
}

/* --- roots -------------------------------------------------------------------------- */

/* Root of f in [lo, hi], f(lo) and f(hi) of opposite signs (or one of them 0), to
 * |x − root| < epsabs + epsrel·|x| (GSL's Brent); NaN if the solver fails. */
static double root_brent(double (*f)(double, void *), void *ctx, double lo, double hi,
                         double flo, double fhi, double epsabs, double epsrel)
{
    if (flo == 0)
        return lo;
    if (fhi == 0)
        return hi;
    pthread_once(&gsl_once, gsl_quiet);
    gsl_function F = {f, ctx};
    gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (!s)
        return NAN;
    double x = NAN;
    if (gsl_root_fsolver_set(s, &F, lo, hi) == GSL_SUCCESS)
        for (int it = 0; it < 200; it++) {
            if (gsl_root_fsolver_iterate(s) != GSL_SUCCESS) {
                x = NAN;
                break;
            }
            x = gsl_root_fsolver_root(s);
            if (gsl_root_test_interval(gsl_root_fsolver_x_lower(s), gsl_root_fsolver_x_upper(s),
                                       epsabs, epsrel) == GSL_SUCCESS)
                break;
        }
    gsl_root_fsolver_free(s);
    return x;
}

typedef struct {
    act_ctx c;
    double sw, sb;
} fp_ctx;

static double fp_residual(double q, void *p)
{
    const fp_ctx *f = p;
    return f->sw * e_phi2(&f->c, q) + f->sb - q;
}

static int bounded(cs_activation a)
{
    return a == CS_ACT_TANH || a == CS_ACT_ERF || a == CS_ACT_HARDTANH;
}

/* q*, or NaN when the map has no finite fixed point. */
static double q_star(const act_ctx *c, double sw, double sb)
{
    if (c->a == CS_ACT_LINEAR || c->a == CS_ACT_RELU) {
        double slope = c->a == CS_ACT_LINEAR ? sw : sw / 2; /* E[φ²] = slope/σ_w² · q */
        if (slope < 1)
            return sb / (1 - slope);
        return (sb == 0 && slope == 1) ? 0 : NAN; /* marginal: every q is fixed; take 0 */
    }
    if (!bounded(c->a))
        return NAN;
    fp_ctx f = {*c, sw, sb};
    double hi = sw + sb; /* φ² ≤ 1, so q* ≤ σ_w² + σ_b² */
    if (hi <= 0)
        return 0;
    double fhi = fp_residual(hi, &f);
    if (sb > 0)
        return root_brent(fp_residual, &f, 0, hi, sb, fhi, 0, 1e-14);
    /* σ_b² = 0: q = 0 is always a fixed point.  |φ(x)| ≤ φ'(0)|x| (strictly on a set of
     * positive measure) for these φ, so the residual is < (σ_w² φ'(0)² − 1) q: no other
     * fixed point unless σ_w² φ'(0)² > 1.  Then the map grows near 0 and a second, stable
     * one exists: look for q with a positive residual. */
    double d0 = activation_derivative(c->a, 0);
    if (sw * d0 * d0 <= 1)
        return 0;
    for (double lo = hi / 2; lo > 1e-300; lo /= 2) {
        double flo = fp_residual(lo, &f);
        /* positive beyond the quadrature's relative error: a genuine root */
        if (flo > 1e-10 * lo)
            return root_brent(fp_residual, &f, lo, hi, flo, fhi, 0, 1e-14);
    }
    return 0;
}

int meanfield_evaluate(cs_activation a, double sigma_w2, double sigma_b2, meanfield_point *out)
{
    out->q_star = out->chi1 = out->xi_c = NAN;
    if (!(sigma_w2 >= 0) || !(sigma_b2 >= 0) || (int)a < 0 || a >= CS_ACT_COUNT)
        return -1;
    act_ctx c = {a, NULL};
    if (a == CS_ACT_TANH || a == CS_ACT_ERF) {
        c.ws = gsl_integration_workspace_alloc(QUAD_LIMIT);
        if (!c.ws)
            return -1;
    }
    double q = q_star(&c, sigma_w2, sigma_b2);
    int rc = -1;
    /* For ReLU and linear, E[φ'²] does not depend on q, so χ_1 is defined even where q*
     * is not (it then says by how much the signal grows per layer). */
    if (a == CS_ACT_RELU || a == CS_ACT_LINEAR)
        out->chi1 = sigma_w2 * e_dphi2(&c, 1);
    if (isfinite(q)) {
        out->q_star = q;
        out->chi1 = sigma_w2 * e_dphi2(&c, q);
        if (out->chi1 == 1)
            out->xi_c = INFINITY;
        else if (out->chi1 < 1)
            out->xi_c = -1 / log(out->chi1);
        rc = isfinite(out->chi1) ? 0 : -1;
    }
    if (c.ws)
        gsl_integration_workspace_free(c.ws);
    return rc;
}

typedef struct {
    cs_activation a;
    double sb;
} edge_ctx;

static double edge_residual(double sw, void *p)
{
    const edge_ctx *e = p;
    meanfield_point m;
    meanfield_evaluate(e->a, sw, e->sb, &m);
    return m.chi1 - 1;
}

double meanfield_edge_sigma_w2(cs_activation a, double sigma_b2)
{
    if (!(sigma_b2 >= 0))
        return NAN;
    edge_ctx e = {a, sigma_b2};
    /* Scan σ_w² = k/20 (exact at 1, 2, …) for the first sign change of χ_1 − 1, then
     * refine with Brent. */
    double prev = 0, fprev = -1; /* χ_1 → 0 as σ_w² → 0 */
    for (int k = 1; k <= 2000; k++) {
        double sw = k / 20.0, f = edge_residual(sw, &e);
        if (!isfinite(f))
            continue;
        if (f == 0)
            return sw;
        if (f > 0)
            return root_brent(edge_residual, &e, prev, sw, fprev, f, 1e-13, 0);
        prev = sw, fprev = f;
    }
    return NAN;
}

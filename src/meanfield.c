/* meanfield.c — signal propagation at infinite width (README §5).
 *
 * q* solves q = σ_w² E_z[φ(√q z)²] + σ_b²; χ_1 = σ_w² E_z[φ'(√q* z)²]; ξ_c = −1/ln χ_1.
 *
 * Expectations over z ~ Normal(0, 1) use Gauss–Hermite quadrature for the smooth
 * activations (tanh, erf).  The rule comes from Golub–Welsch: the nodes are the
 * eigenvalues of the Jacobi matrix of the probabilists' Hermite polynomials
 * (OpenBLAS's LAPACK dstev, eigenvalues only), the weights are the Christoffel numbers
 * 1/Σ_k p_k(x_i)² of the orthonormal polynomials (O(n²), where the eigenvector route of
 * Golub–Welsch would cost O(n³)).  A fixed 64-node rule is not enough: φ(√q z) varies on
 * the scale 1/√q of z, so the node count grows with the largest q the map can reach
 * (64 … 2048 nodes; q ≤ σ_w² + σ_b² for bounded φ).  Hard-tanh and ReLU have kinks
 * where quadrature converges only algebraically, and linear is trivial, so those use
 * their closed forms.
 *
 * Root finding (the fixed point and the edge of chaos) is Brent's method, written here
 * because none of the project's libraries (OpenBLAS, libplfit, …) exports one and GSL
 * is not a dependency. */
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>

#include "critsweep/meanfield.h"

/* LAPACK from OpenBLAS (Fortran calling convention; lapacke.h is not always installed). */
extern void dstev_(const char *jobz, const int *n, double *d, double *e, double *z,
                   const int *ldz, double *work, int *info);

#define GH_RULES 6
static const int gh_sizes[GH_RULES] = {64, 128, 256, 512, 1024, 2048};
static double *gh_x[GH_RULES], *gh_w[GH_RULES];
static pthread_once_t gh_once[GH_RULES] = {PTHREAD_ONCE_INIT, PTHREAD_ONCE_INIT,
                                           PTHREAD_ONCE_INIT, PTHREAD_ONCE_INIT,
                                           PTHREAD_ONCE_INIT, PTHREAD_ONCE_INIT};

static void gh_build(int r)
{
    int n = gh_sizes[r], info = 0, one = 1;
    double *x = malloc((size_t)n * sizeof *x), *w = malloc((size_t)n * sizeof *w);
    double *e = malloc((size_t)n * sizeof *e);
    if (!x || !w || !e) {
        free(x), free(w), free(e);
        return;
    }
    /* Jacobi matrix of He_k: zero diagonal, off-diagonal sqrt(k). */
    for (int i = 0; i < n; i++) {
        x[i] = 0;
        e[i] = sqrt((double)(i + 1));
    }
    double dummy = 0;
    dstev_("N", &n, x, e, &dummy, &one, &dummy, &info);
    free(e);
    if (info != 0) {
        free(x), free(w);
        return;
    }
    for (int i = 0; i < n; i++) {
        /* Orthonormal p_{k+1} = (x p_k − sqrt(k) p_{k−1}) / sqrt(k+1); one Newton step on
         * p_n (p_n' = sqrt(n) p_{n−1}) polishes the eigenvalue. */
        double xi = x[i];
        for (int it = 0; it < 2; it++) {
            double p0 = 1, p1 = xi, sum = 1 + xi * xi;
            for (int k = 1; k < n; k++) {
                double p2 = (xi * p1 - sqrt((double)k) * p0) / sqrt((double)k + 1);
                p0 = p1;
                p1 = p2;
                if (k < n - 1)
                    sum += p1 * p1;
            }
            /* p1 = p_n, p0 = p_{n−1}; sum = Σ_{k<n} p_k². */
            if (it == 0) {
                double step = p1 / (sqrt((double)n) * p0);
                if (isfinite(step) && fabs(step) < 1e-6)
                    xi -= step;
            } else {
                w[i] = isfinite(sum) ? 1 / sum : 0; /* sum overflows only where w < 1e-308 */
            }
        }
        x[i] = xi;
    }
    /* Symmetrise: the rule is exactly symmetric in exact arithmetic. */
    for (int i = 0; i < n / 2; i++) {
        double a = 0.5 * (x[n - 1 - i] - x[i]), b = 0.5 * (w[i] + w[n - 1 - i]);
        x[i] = -a, x[n - 1 - i] = a;
        w[i] = w[n - 1 - i] = b;
    }
    gh_x[r] = x;
    gh_w[r] = w;
}

static void gh_build0(void) { gh_build(0); }
static void gh_build1(void) { gh_build(1); }
static void gh_build2(void) { gh_build(2); }
static void gh_build3(void) { gh_build(3); }
static void gh_build4(void) { gh_build(4); }
static void gh_build5(void) { gh_build(5); }
static void (*const gh_builders[GH_RULES])(void) = {gh_build0, gh_build1, gh_build2,
                                                    gh_build3, gh_build4, gh_build5};

/* Index of the rule for expectations of φ(√q z) with q up to qmax. */
static int gh_rule_for(double qmax)
{
    int r = 0;
    while (r < GH_RULES - 1 && gh_sizes[r] < 128.0 * qmax)
        r++;
    return r;
}

static double gh_expect(int r, double (*f)(double, const void *), const void *ctx, double q)
{
    pthread_once(&gh_once[r], gh_builders[r]);
    if (!gh_x[r])
        return NAN;
    double s = 0, sq = sqrt(q > 0 ? q : 0);
    int n = gh_sizes[r];
    for (int i = 0; i < n; i++)
        if (gh_w[r][i] > 0)
            s += gh_w[r][i] * f(sq * gh_x[r][i], ctx);
    return s;
}

double meanfield_gauss_expect(double (*f)(double x, const void *ctx), const void *ctx, double q)
{
    return gh_expect(gh_rule_for(q), f, ctx, q);
}

/* --- E[φ²] and E[φ'²] for each activation. ----------------------------------------- */

typedef struct {
    cs_activation a;
    int rule; /* Gauss–Hermite rule chosen for this (σ_w², σ_b²) */
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

static const double inv_sqrt_2pi = 0.39894228040143267794;

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
        return q * (P - 2 * a * pdf) + (1 - P); /* q E[z²; |z|<a] + P(|z| ≥ a) */
    }
    default:
        return gh_expect(c->rule, phi2, c, q);
    }
}

/* E_z[φ'(√q z)²] */
static double e_dphi2(const act_ctx *c, double q)
{
    if (q <= 0) { /* degenerate fixed point: the signal is exactly 0 */
        double v = activation_derivative(c->a, 0);
        return v * v;
    }
    switch (c->a) {
    case CS_ACT_LINEAR:
        return 1;
    case CS_ACT_RELU:
        return 0.5;
    case CS_ACT_HARDTANH:
        return erf(1 / sqrt(2 * q)); /* P(|√q z| < 1) */
    default:
        return gh_expect(c->rule, dphi2, c, q);
    }
}

/* --- Brent's method. ----------------------------------------------------------------- */

/* Root of f in [a, b] with f(a), f(b) of opposite signs (or one zero). */
static double brent(double (*f)(double, void *), void *ctx, double a, double b, double fa,
                    double fb, double tol)
{
    if (fa == 0)
        return a;
    if (fb == 0)
        return b;
    double c = a, fc = fa, d = b - a, e = d;
    for (int it = 0; it < 200; it++) {
        if ((fb > 0) == (fc > 0)) {
            c = a, fc = fa;
            d = e = b - a;
        }
        if (fabs(fc) < fabs(fb)) {
            a = b, b = c, c = a;
            fa = fb, fb = fc, fc = fa;
        }
        double t = 2 * DBL_EPSILON * fabs(b) + 0.5 * tol, m = 0.5 * (c - b);
        if (fabs(m) <= t || fb == 0)
            return b;
        if (fabs(e) >= t && fabs(fa) > fabs(fb)) {
            double s = fb / fa, p, q, r;
            if (a == c) {
                p = 2 * m * s;
                q = 1 - s;
            } else {
                q = fa / fc;
                r = fb / fc;
                p = s * (2 * m * q * (q - r) - (b - a) * (r - 1));
                q = (q - 1) * (r - 1) * (s - 1);
            }
            if (p > 0)
                q = -q;
            else
                p = -p;
            if (2 * p < fmin(3 * m * q - fabs(t * q), fabs(e * q))) {
                e = d;
                d = p / q;
            } else {
                d = m;
                e = m;
            }
        } else {
            d = m;
            e = m;
        }
        a = b, fa = fb;
        b += fabs(d) > t ? d : (m > 0 ? t : -t);
        fb = f(b, ctx);
    }
    return b;
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
        return brent(fp_residual, &f, 0, hi, sb, fhi, 1e-15 * hi);
    /* σ_b² = 0: q = 0 is always a fixed point.  A second, stable one exists when the
     * map grows near 0 (σ_w² φ'(0)² > 1); look for q with a positive residual. */
    for (double lo = hi / 2; lo > 1e-300; lo /= 2) {
        double flo = fp_residual(lo, &f);
        /* Positive beyond rounding (Σ w_i = 1 only to a few ulp): a genuine root. */
        if (flo > 1e-13 * lo)
            return brent(fp_residual, &f, lo, hi, flo, fhi, 1e-15 * lo);
    }
    return 0;
}

int meanfield_evaluate(cs_activation a, double sigma_w2, double sigma_b2, meanfield_point *out)
{
    out->q_star = out->chi1 = out->xi_c = NAN;
    if (!(sigma_w2 >= 0) || !(sigma_b2 >= 0) || (int)a < 0 || a >= CS_ACT_COUNT)
        return -1;
    act_ctx c = {a, gh_rule_for(sigma_w2 + sigma_b2)};
    double q = q_star(&c, sigma_w2, sigma_b2);
    /* For ReLU and linear, E[φ'²] does not depend on q, so χ_1 is defined even where q*
     * is not (it then says by how much the signal grows per layer). */
    if (a == CS_ACT_RELU || a == CS_ACT_LINEAR)
        out->chi1 = sigma_w2 * e_dphi2(&c, 1);
    if (!isfinite(q))
        return -1;
    out->q_star = q;
    out->chi1 = sigma_w2 * e_dphi2(&c, q);
    if (out->chi1 == 1)
        out->xi_c = INFINITY;
    else if (out->chi1 < 1)
        out->xi_c = -1 / log(out->chi1);
    return 0;
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
            return brent(edge_residual, &e, prev, sw, fprev, f, 1e-13);
        prev = sw, fprev = f;
    }
    return NAN;
}

/* fit.c — avalanche exponents (README §4).
 *
 * τ_s and τ_d come from libplfit (continuous power-law MLE, Hurwitz zeta, KS xmin
 * selection, bootstrap p-values) with its finite-size correction turned off, so that
 * τ_s = 1 + n / Σ ln(S/xmin) and τ_d maximises −n ln ζ(τ, xmin) − τ Σ ln D exactly (a
 * golden-section search over libplfit's likelihood; see disc_mle for why not its L-BFGS).
 * γ is the weighted regression of §4, shape collapse the NMSE scan of §4, and the
 * sufficient statistics let the runner pool all three over seeds exactly:
 *   - τ_s from (n_tail, Σ ln(S/xmin)) — equal to the sample fit up to summation order;
 *   - τ_d by expanding the per-duration counts back into a sorted sample and running
 *     the same fit (which sorts its sample first, so the result is bit-identical);
 *   - γ from per-duration Σ S, Σ log10 S, Σ (log10 S)², which fit_gamma itself also
 *     uses (accumulated in input order), so both agree bit for bit.
 * Every exponent obeys the degeneracy rule of fit.h, on samples and on statistics alike,
 * and fit_exponents_* say in a note why an exponent is NaN. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plfit/plfit.h>
#include <plfit/plfit_error.h>

#include "critsweep/fit.h"
#include "critsweep/rng.h"

/* libplfit reports errors through a global handler that prints by default; we turn
 * that off and report its codes ourselves. */
static void quiet_plfit(void)
{
    static int done;
    if (!done) {
        plfit_set_error_handler(plfit_error_handler_ignore);
        done = 1;
    }
}

/* libplfit's bootstrap draws from its own Mersenne Twister; we seed its state from our
 * counter-based stream so p-values are reproducible and independent of rand(). */
static void seed_plfit_rng(plfit_mt_rng_t *mt, uint64_t key, uint64_t index)
{
    cs_rng r;
    rng_init(&r, key, rng_stream_id(CS_STREAM_BOOTSTRAP, index));
    for (int i = 0; i < PLFIT_MT_LEN; i++)
        mt->mt_buffer[i] = rng_u32(&r);
    mt->mt_index = 0;
}

/* libplfit runs floor(0.25 / precision²) bootstrap replicates; this precision gives
 * exactly B of them (the +0.5 keeps floating-point rounding from losing one). */
static double precision_for(int bootstrap)
{
    return 0.5 / sqrt((double)bootstrap + 0.5);
}

static void powerlaw_nan(fit_powerlaw *out, double xmin)
{
    out->tau = out->tau_err = NAN;
    out->xmin = xmin;
    out->n_tail = 0;
    out->n_distinct = 0;
    out->tail_min = NAN;
    out->ks = NAN;
    out->p_value = NAN;
}

/* The degeneracy rule over the values of y[0..m) that are >= xmin: fills n_tail,
 * n_distinct and tail_min, and says whether a fit may go ahead. */
static int tail_fittable(const double *y, long m, double xmin, fit_powerlaw *out)
{
    long k = 0;
    int two = 0;
    double first = NAN, lo = NAN;
    for (long i = 0; i < m; i++) {
        if (!(y[i] >= xmin))
            continue;
        if (!k++)
            first = lo = y[i];
        two |= y[i] != first;
        if (y[i] < lo)
            lo = y[i];
    }
    out->n_tail = k;
    out->n_distinct = k ? 1 + two : 0;
    out->tail_min = lo;
    return k >= CS_FIT_MIN_EVENTS && two;
}

/* Copies the values usable by a fit (finite and >= lo) into a new array. */
static double *usable_copy(const double *x, long n, double lo, long *m)
{
    double *y = malloc((size_t)(n > 0 ? n : 1) * sizeof *y);
    if (!y)
        return NULL;
    long k = 0;
    for (long i = 0; i < n; i++)
        if (isfinite(x[i]) && x[i] >= lo)
            y[k++] = x[i];
    *m = k;
    return y;
}

void fit_options_default(fit_options *o)
{
    memset(o, 0, sizeof *o);
    o->xmin_s = FIT_XMIN_S_DEFAULT;
    o->xmin_d = FIT_XMIN_D_DEFAULT;
    o->gamma_min_count = FIT_GAMMA_MIN_COUNT_DEFAULT;
    o->bootstrap = 0;
    o->seed = 0;
    o->shape_gamma_lo = 1.3;
    o->shape_gamma_hi = 2.0;
    o->shape_gamma_step = 0.01;
    o->shape_points = 50;
}

int fit_tau_continuous(const double *x, long n, const fit_options *o, double xmin,
                       fit_powerlaw *out, cs_err *err)
{
    quiet_plfit();
    powerlaw_nan(out, xmin);
    if (n < 0)
        return cs_fail(err, CS_EXIT_ERROR, "fit_tau_continuous: negative sample count %ld", n);
    /* Power laws live on x > 0; zeros (D = 0 avalanches have S = 0) and NaNs drop out. */
    long m;
    double *y = usable_copy(x, n, xmin > 0 ? xmin : 0x1p-1074, &m);
    if (!y)
        return cs_fail(err, CS_EXIT_ERROR, "fit_tau_continuous: out of memory for %ld samples", n);
    if (!tail_fittable(y, m, xmin > 0 ? xmin : 0, out)) { /* a result, not an error */
        free(y);
        return 0;
    }
    plfit_continuous_options_t po;
    plfit_continuous_options_init(&po);
    po.finite_size_correction = 0;
    po.p_value_method = PLFIT_P_VALUE_SKIP;
    /* The exact CSN scan is O(n²); libplfit's stratified search finds the same KS
     * minimum on large samples in a fraction of the time. */
    po.xmin_method = m <= 5000 ? PLFIT_LINEAR_ONLY : PLFIT_STRATIFIED_SAMPLING;
    plfit_mt_rng_t mt;
    seed_plfit_rng(&mt, o ? o->seed : 0, 0);
    po.rng = &mt;

    plfit_result_t res;
    int rc = xmin > 0 ? plfit_estimate_alpha_continuous(y, (size_t)m, xmin, &po, &res)
                      : plfit_continuous(y, (size_t)m, &po, &res);
    if (rc != PLFIT_SUCCESS) {
        free(y);
        return cs_fail(err, CS_EXIT_ERROR, "libplfit continuous fit failed: %s",
                       plfit_strerror(rc));
    }
    out->xmin = res.xmin;
    if (tail_fittable(y, m, res.xmin, out) && isfinite(res.alpha)) {
        out->tau = res.alpha;
        out->tau_err = (res.alpha - 1) / sqrt((double)out->n_tail);
        out->ks = res.D;
    }
    if (o && o->bootstrap > 0 && isfinite(out->tau)) {
        po.p_value_method = PLFIT_P_VALUE_EXACT;
        po.p_value_precision = precision_for(o->bootstrap);
        rc = plfit_calculate_p_value_continuous(y, (size_t)m, &po, xmin > 0, &res);
        if (rc != PLFIT_SUCCESS) {
            free(y);
            return cs_fail(err, CS_EXIT_ERROR, "libplfit continuous p-value failed: %s",
                           plfit_strerror(rc));
        }
        out->p_value = res.p;
    }
    free(y);
    return 0;
}

/* ln ζ(α, q) from libplfit's Hurwitz zeta: its log-likelihood of the single sample {q}
 * at xmin = q is −α ln q − ln ζ(α, q). */
static double ln_hzeta(double alpha, double q)
{
    double L;
    if (plfit_log_likelihood_discrete(&q, 1, alpha, q, &L) != PLFIT_SUCCESS)
        return NAN;
    return -L - alpha * log(q);
}

/* README §4's discrete log-likelihood −m ln ζ(τ, xmin) − τ Σ ln D. */
static double disc_loglik(double tau, double m, double sum_log, double xmin)
{
    return -m * ln_hzeta(tau, xmin) - tau * sum_log;
}

/* Maximises the discrete log-likelihood (concave in τ: ln ζ is a log-sum-exp in τ) by
 * golden-section search on (1, 20].  libplfit 0.9.4's own L-BFGS search is not used for
 * the estimate: started at 3 it returned exactly 2 for a 20000-sample τ = 1.5 law (its
 * line search stalls), so only its Hurwitz zeta enters here.  NaN when the maximum sits
 * at the upper end (every tail value equal to xmin). */
static double disc_mle(double m, double sum_log, double xmin)
{
    const double g = 0.61803398874989484820;
    double a = 1 + 1e-9, b = 20;
    double c = b - g * (b - a), d = a + g * (b - a);
    double fc = disc_loglik(c, m, sum_log, xmin), fd = disc_loglik(d, m, sum_log, xmin);
    for (int it = 0; it < 200 && b - a > 1e-12 * (1 + a); it++) {
        if (fc >= fd) {
            b = d, d = c, fd = fc;
            c = b - g * (b - a);
            fc = disc_loglik(c, m, sum_log, xmin);
        } else {
            a = c, c = d, fc = fd;
            d = a + g * (b - a);
            fd = disc_loglik(d, m, sum_log, xmin);
        }
    }
    double t = 0.5 * (a + b);
    return (t > 19.99 || !isfinite(t)) ? NAN : t;
}

/* KS distance between the sorted tail y[0..m) (all >= xmin) and ζ(τ, x)/ζ(τ, xmin),
 * libplfit's definition. */
static double disc_ks(const double *y, long m, double tau, double xmin)
{
    double l0 = ln_hzeta(tau, xmin), ks = 0;
    for (long i = 0; i < m;) {
        double x = y[i], d = fabs(expm1(ln_hzeta(tau, x) - l0) + (double)i / m);
        if (d > ks)
            ks = d;
        while (i < m && y[i] == x)
            i++;
    }
    return ks;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The discrete fit on an already filtered sample (all >= 1, finite); sorts y. */
static int discrete_core(double *y, long m, const fit_options *o, double xmin,
                         fit_powerlaw *out, cs_err *err)
{
    powerlaw_nan(out, xmin);
    if (!tail_fittable(y, m, xmin > 0 ? xmin : 0, out))
        return 0;
    /* Sorted, so sums run in the same order for a sample and for its expanded counts. */
    qsort(y, (size_t)m, sizeof *y, cmp_double);
    plfit_discrete_options_t po;
    plfit_discrete_options_init(&po);
    po.finite_size_correction = 0;
    /* For the KS choice of xmin and the bootstrap replicates: a fine scan of the exact
     * likelihood (robust where L-BFGS is not); the reported τ is refined below. */
    po.alpha_method = PLFIT_LINEAR_SCAN;
    po.alpha.min = 1.01;
    po.alpha.max = 6.0;
    po.alpha.step = 0.005;
    po.p_value_method = PLFIT_P_VALUE_SKIP;
    plfit_mt_rng_t mt;
    seed_plfit_rng(&mt, o ? o->seed : 0, 1);
    po.rng = &mt;

    plfit_result_t res;
    res.xmin = xmin;
    if (!(xmin > 0)) {
        int rc = plfit_discrete(y, (size_t)m, &po, &res);
        if (rc != PLFIT_SUCCESS)
            return cs_fail(err, CS_EXIT_ERROR, "libplfit discrete xmin search failed: %s",
                           plfit_strerror(rc));
    }
    out->xmin = res.xmin;
    if (!tail_fittable(y, m, res.xmin, out))
        return 0;
    long first = m - out->n_tail; /* sorted: the tail is the end of y */
    double sum_log = 0;
    for (long i = first; i < m; i++)
        sum_log += log(y[i]);
    double tau = disc_mle((double)out->n_tail, sum_log, res.xmin);
    if (isfinite(tau)) {
        out->tau = tau;
        out->tau_err = (tau - 1) / sqrt((double)out->n_tail);
        out->ks = disc_ks(y + first, out->n_tail, tau, res.xmin);
    }
    if (o && o->bootstrap > 0 && isfinite(out->tau)) {
        po.p_value_method = PLFIT_P_VALUE_EXACT;
        po.p_value_precision = precision_for(o->bootstrap);
        res.alpha = out->tau;
        res.D = out->ks;
        int rc = plfit_calculate_p_value_discrete(y, (size_t)m, &po, xmin > 0, &res);
        if (rc != PLFIT_SUCCESS)
            return cs_fail(err, CS_EXIT_ERROR, "libplfit discrete p-value failed: %s",
                           plfit_strerror(rc));
        out->p_value = res.p;
    }
    return 0;
}

int fit_tau_discrete(const double *x, long n, const fit_options *o, double xmin,
                     fit_powerlaw *out, cs_err *err)
{
    quiet_plfit();
    powerlaw_nan(out, xmin);
    if (n < 0)
        return cs_fail(err, CS_EXIT_ERROR, "fit_tau_discrete: negative sample count %ld", n);
    if (xmin > 0 && (xmin < 1 || xmin != floor(xmin)))
        return cs_fail(err, CS_EXIT_USAGE, "discrete xmin must be a whole number >= 1 (got %g)", xmin);
    long m;
    /* The discrete law lives on 1, 2, ...: durations 0 never enter (libplfit requires
     * xmin >= 1 even in the KS scan). */
    double *y = usable_copy(x, n, xmin > 0 ? xmin : 1.0, &m);
    if (!y)
        return cs_fail(err, CS_EXIT_ERROR, "fit_tau_discrete: out of memory for %ld samples", n);
    int rc = discrete_core(y, m, o, xmin, out, err);
    free(y);
    return rc;
}

/* --- γ regression (§4) from per-duration sums. ------------------------------------ */

/* d[i] durations (increasing), c counts, s Σ S, l Σ log10 S, l2 Σ (log10 S)².  Returns
 * the number of durations that qualify; *events (may be NULL) their events. */
static int gamma_from_sums(const double *d, const double *c, const double *s,
                           const double *l, const double *l2, long k, int min_count,
                           double *gamma, double *gamma_err, double *events)
{
    *gamma = NAN;
    *gamma_err = NAN;
    double sw = 0, swx = 0, swy = 0, ev = 0;
    int used = 0;
    for (int pass = 0; pass < 2; pass++) {
        double mx = pass ? swx / sw : 0, my = pass ? swy / sw : 0;
        double sxx = 0, sxy = 0;
        for (long i = 0; i < k; i++) {
            if (!(c[i] >= min_count) || c[i] < 2 || d[i] <= 0)
                continue;
            double mean = s[i] / c[i];
            if (!(mean > 0))
                continue;
            /* Sample variance (ddof 1) of log10 S from its sums. */
            double v = (l2[i] - l[i] * l[i] / c[i]) / (c[i] - 1);
            if (v < 0)
                v = 0;
            double w = c[i] / (v + 1e-8);
            double x = log10(d[i]), y = log10(mean);
            if (!pass) {
                sw += w;
                swx += w * x;
                swy += w * y;
                ev += c[i];
                used++;
            } else {
                sxx += w * (x - mx) * (x - mx);
                sxy += w * (x - mx) * (y - my);
            }
        }
        if (events)
            *events = ev;
        /* The degeneracy rule: three distinct durations and CS_FIT_MIN_EVENTS events. */
        if (!pass && (used < 3 || ev < CS_FIT_MIN_EVENTS))
            return used;
        if (pass) {
            if (!(sxx > 0))
                return used;
            double slope = sxy / sxx, icept = my - slope * mx, rss = 0;
            for (long i = 0; i < k; i++) {
                if (!(c[i] >= min_count) || c[i] < 2 || d[i] <= 0 || !(s[i] / c[i] > 0))
                    continue;
                double v = (l2[i] - l[i] * l[i] / c[i]) / (c[i] - 1);
                if (v < 0)
                    v = 0;
                double w = c[i] / (v + 1e-8);
                double r = log10(s[i] / c[i]) - icept - slope * log10(d[i]);
                rss += w * r * r;
            }
            /* §4: s² = Σ w·resid² / (Σw − 2), exactly as the reference computes it. */
            double s2 = rss / (sw - 2);
            *gamma = slope;
            *gamma_err = sw > 2 ? sqrt(s2 / sxx) : NAN;
        }
    }
    return used;
}

typedef struct {
    double d;
    long i;
} d_index;

static int cmp_d_index(const void *a, const void *b)
{
    const d_index *x = a, *y = b;
    if (x->d != y->d)
        return x->d < y->d ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

/* fit_gamma, also counting the durations and events of the regression. */
static int gamma_sample(const double *S, const double *D, long n, double xmin_s, double xmin_d,
                        int min_count, double *gamma, double *gamma_err, int *used,
                        double *events)
{
    *gamma = NAN;
    *gamma_err = NAN;
    *used = 0;
    *events = 0;
    if (n <= 0)
        return 0;
    d_index *o = malloc((size_t)n * sizeof *o);
    if (!o)
        return CS_EXIT_ERROR;
    long m = 0;
    for (long i = 0; i < n; i++)
        if (isfinite(S[i]) && isfinite(D[i]) && D[i] >= xmin_d && S[i] >= xmin_s && S[i] > 0)
            o[m++] = (d_index){D[i], i};
    /* Group by duration; ties keep input order so the sums match fit_suffstats_add. */
    qsort(o, (size_t)m, sizeof *o, cmp_d_index);
    double *buf = calloc((size_t)(m > 0 ? m : 1) * 5, sizeof *buf);
    if (!buf) {
        free(o);
        return CS_EXIT_ERROR;
    }
    double *d = buf, *c = buf + m, *s = buf + 2 * m, *l = buf + 3 * m, *l2 = buf + 4 * m;
    long k = -1;
    for (long j = 0; j < m; j++) {
        if (k < 0 || o[j].d != d[k])
            d[++k] = o[j].d;
        double x = S[o[j].i], lx = log10(x);
        c[k] += 1;
        s[k] += x;
        l[k] += lx;
        l2[k] += lx * lx;
    }
    *used = gamma_from_sums(d, c, s, l, l2, k + 1, min_count, gamma, gamma_err, events);
    free(buf);
    free(o);
    return 0;
}

int fit_gamma(const double *S, const double *D, long n, double xmin_s, double xmin_d,
              int min_count, double *gamma, double *gamma_err)
{
    int used;
    double events;
    return gamma_sample(S, D, n, xmin_s, xmin_d, min_count, gamma, gamma_err, &used, &events);
}

/* --- Shape collapse (§4). ---------------------------------------------------------- */

/* NMSE = Σ_{rows,points} (y − ȳ)² / Σ_{rows,points} ȳ² at one γ; prof (rows, P) holds
 * mean profiles resampled to P points of l/D, dur their durations. */
static double collapse_nmse(const double *prof, const double *dur, int rows, int P,
                            double gamma, double *y, double *ybar)
{
    for (int j = 0; j < P; j++)
        ybar[j] = 0;
    for (int r = 0; r < rows; r++) {
        double scale = pow(dur[r], -(gamma - 1));
        for (int j = 0; j < P; j++) {
            y[(size_t)r * P + j] = prof[(size_t)r * P + j] * scale;
            ybar[j] += y[(size_t)r * P + j];
        }
    }
    for (int j = 0; j < P; j++)
        ybar[j] /= rows;
    double num = 0, den = 0;
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < P; j++) {
            double e = y[(size_t)r * P + j] - ybar[j];
            num += e * e;
            den += ybar[j] * ybar[j];
        }
    return den > 0 ? num / den : NAN;
}

void fit_resample_profile(const double *sum, double count, int D, int P, double *out)
{
    for (int j = 0; j < P; j++) {
        if (D < 2 || !(count > 0)) {
            out[j] = NAN;
            continue;
        }
        double t = P > 1 ? (double)j / (P - 1) * (D - 1) : 0;
        int l0 = (int)floor(t);
        if (l0 >= D - 1)
            l0 = D - 2;
        double f = t - l0;
        out[j] = ((1 - f) * sum[l0] + f * sum[l0 + 1]) / count;
    }
}

/* Whether row r of the profiles enters the collapse (D = dmin + 1 + r). */
static int shape_row_ok(const long *profile_count, int r, int stride, int dmin, int min_count)
{
    int D = dmin + 1 + r;
    long cnt = profile_count[r];
    return cnt >= min_count && cnt > 0 && D >= 2 && D <= stride;
}

/* Rows and avalanches the collapse would use; the degeneracy rule asks for two rows and
 * CS_FIT_MIN_EVENTS avalanches. */
static int shape_rows(const long *profile_count, int n_d, int stride, int dmin, int min_count,
                      long *events)
{
    int rows = 0;
    *events = 0;
    for (int r = 0; r < n_d; r++)
        if (shape_row_ok(profile_count, r, stride, dmin, min_count)) {
            rows++;
            *events += profile_count[r];
        }
    return rows;
}

int fit_shape_collapse(const double *profile_sum, const long *profile_count, int n_d,
                       int stride, int dmin, int min_count, const fit_options *o,
                       double *gamma, double *gamma_err)
{
    *gamma = NAN;
    *gamma_err = NAN;
    fit_options def;
    if (!o) {
        fit_options_default(&def);
        o = &def;
    }
    int P = o->shape_points > 1 ? o->shape_points : 50;
    if (n_d <= 0 || !(o->shape_gamma_step > 0) || !(o->shape_gamma_hi >= o->shape_gamma_lo))
        return 0;
    long events;
    if (shape_rows(profile_count, n_d, stride, dmin, min_count, &events) < 2 ||
        events < CS_FIT_MIN_EVENTS)
        return 0;
    int ng = (int)floor((o->shape_gamma_hi - o->shape_gamma_lo) / o->shape_gamma_step + 1e-9) + 1;
    double *prof = malloc((size_t)n_d * P * sizeof *prof);
    double *dur = malloc((size_t)n_d * sizeof *dur);
    double *y = malloc((size_t)n_d * P * sizeof *y);
    double *ybar = malloc((size_t)P * sizeof *ybar);
    double *nm = malloc((size_t)ng * sizeof *nm);
    if (!prof || !dur || !y || !ybar || !nm) {
        free(prof), free(dur), free(y), free(ybar), free(nm);
        return CS_EXIT_ERROR;
    }
    int rows = 0;
    for (int r = 0; r < n_d; r++) {
        int D = dmin + 1 + r;
        if (!shape_row_ok(profile_count, r, stride, dmin, min_count))
            continue;
        fit_resample_profile(profile_sum + (size_t)r * stride, (double)profile_count[r], D, P,
                             prof + (size_t)rows * P);
        dur[rows++] = D;
    }
    if (rows >= 2) {
        int best = -1;
        for (int g = 0; g < ng; g++) {
            nm[g] = collapse_nmse(prof, dur, rows, P, o->shape_gamma_lo + g * o->shape_gamma_step,
                                  y, ybar);
            if (isfinite(nm[g]) && (best < 0 || nm[g] < nm[best]))
                best = g;
        }
        if (best >= 0) {
            double h = o->shape_gamma_step;
            *gamma = o->shape_gamma_lo + best * h;
            /* Error: parabola NMSE ≈ a(γ − γ0)² + c through the minimum and its
             * neighbours; σ_γ is where it rises by c/M, M = rows·P the number of squared
             * residuals (Δχ² = 1 if NMSE is a χ² per residual). NaN at a scan edge. */
            if (best > 0 && best < ng - 1 && isfinite(nm[best - 1]) && isfinite(nm[best + 1])) {
                double a = (nm[best - 1] - 2 * nm[best] + nm[best + 1]) / (2 * h * h);
                double b = (nm[best + 1] - nm[best - 1]) / (2 * h);
                double c = nm[best] - b * b / (4 * a);
                if (a > 0 && c >= 0)
                    *gamma_err = sqrt(c / ((double)rows * P) / a);
                else if (a > 0)
                    *gamma_err = 0;
            }
        }
    }
    free(prof), free(dur), free(y), free(ybar), free(nm);
    return 0;
}

/* --- Sufficient statistics. -------------------------------------------------------- */

int fit_suffstats_init(fit_suffstats *s, int dmax)
{
    memset(s, 0, sizeof *s);
    s->s_tail_min = s->s_tail_max = NAN;
    if (dmax <= 0)
        return CS_EXIT_ERROR;
    double *b = calloc((size_t)dmax * 5, sizeof *b); /* one block, carved below */
    if (!b)
        return CS_EXIT_ERROR;
    s->dmax = dmax;
    s->count_d = b;
    s->gcount = b + dmax;
    s->gsum_S = b + 2 * (size_t)dmax;
    s->gsum_log10S = b + 3 * (size_t)dmax;
    s->gsum_log10S2 = b + 4 * (size_t)dmax;
    return 0;
}

void fit_suffstats_free(fit_suffstats *s)
{
    if (!s)
        return;
    free(s->count_d);
    memset(s, 0, sizeof *s);
}

int fit_suffstats_add(fit_suffstats *s, const double *S, const double *D, long n,
                      double xmin_s, double xmin_d, cs_err *err)
{
    if (!(xmin_s > 0))
        return cs_fail(err, CS_EXIT_ERROR, "sufficient statistics need a fixed xmin_s > 0 (got %g)",
                       xmin_s);
    for (long i = 0; i < n; i++) {
        double d = D[i];
        if (!(d >= 0) || d != floor(d) || d >= s->dmax)
            return cs_fail(err, CS_EXIT_ERROR,
                           "avalanche %ld: duration %g outside 0..%d (statistics sized for depth %d)",
                           i, d, s->dmax - 1, s->dmax);
        if (!isfinite(S[i]))
            return cs_fail(err, CS_EXIT_ERROR, "avalanche %ld: size %g is not finite", i, S[i]);
    }
    for (long i = 0; i < n; i++) {
        int d = (int)D[i];
        double x = S[i];
        s->count_d[d] += 1;
        if (x >= xmin_s) {
            s->n_tail_s += 1;
            s->sum_log_s += log(x / xmin_s);
            s->s_tail_min = fmin(s->s_tail_min, x); /* fmin/fmax skip the initial NaN */
            s->s_tail_max = fmax(s->s_tail_max, x);
            if (d >= xmin_d) {
                double lx = log10(x);
                s->gcount[d] += 1;
                s->gsum_S[d] += x;
                s->gsum_log10S[d] += lx;
                s->gsum_log10S2[d] += lx * lx;
            }
        }
    }
    return 0;
}

void fit_suffstats_merge(fit_suffstats *a, const fit_suffstats *b)
{
    int n = a->dmax < b->dmax ? a->dmax : b->dmax;
    a->n_tail_s += b->n_tail_s;
    a->sum_log_s += b->sum_log_s;
    a->s_tail_min = fmin(a->s_tail_min, b->s_tail_min);
    a->s_tail_max = fmax(a->s_tail_max, b->s_tail_max);
    for (int d = 0; d < n; d++) {
        a->count_d[d] += b->count_d[d];
        a->gcount[d] += b->gcount[d];
        a->gsum_S[d] += b->gsum_S[d];
        a->gsum_log10S[d] += b->gsum_log10S[d];
        a->gsum_log10S2[d] += b->gsum_log10S2[d];
    }
}

/* τ_s from (n_tail_s, sum_log_s).  With no tail extremes (statistics from a file that
 * predates them) two distinct values are assumed. */
static void tau_s_stats(const fit_suffstats *s, fit_powerlaw *out)
{
    powerlaw_nan(out, NAN);
    out->n_tail = (long)s->n_tail_s;
    out->tail_min = s->s_tail_min;
    int known = isfinite(s->s_tail_min) && isfinite(s->s_tail_max);
    out->n_distinct = out->n_tail == 0 ? 0 : known && s->s_tail_min == s->s_tail_max ? 1 : 2;
    if (out->n_tail >= CS_FIT_MIN_EVENTS && out->n_distinct == 2 && s->sum_log_s > 0) {
        out->tau = 1 + s->n_tail_s / s->sum_log_s;
        out->tau_err = (out->tau - 1) / sqrt(s->n_tail_s);
    }
}

/* τ_d from the duration counts: the rule on the counts, then the sample fit itself on
 * the expanded sorted sample libplfit would build. */
static void tau_d_stats(const fit_suffstats *s, double xmin_d, fit_powerlaw *out)
{
    powerlaw_nan(out, xmin_d);
    if (!(xmin_d >= 1))
        return;
    int d0 = (int)ceil(xmin_d), distinct = 0;
    double total = 0;
    for (int d = d0; d < s->dmax; d++)
        if (s->count_d[d] > 0) {
            if (!distinct++)
                out->tail_min = d;
            total += s->count_d[d];
        }
    out->n_tail = (long)total;
    out->n_distinct = distinct < 2 ? distinct : 2;
    if (total < CS_FIT_MIN_EVENTS || distinct < 2)
        return;
    double *y = malloc((size_t)total * sizeof *y);
    if (!y)
        return;
    long k = 0;
    for (int d = d0; d < s->dmax; d++)
        for (long c = 0; c < (long)s->count_d[d]; c++)
            y[k++] = d;
    cs_err e;
    quiet_plfit();
    if (discrete_core(y, k, NULL, xmin_d, out, &e) != 0)
        powerlaw_nan(out, xmin_d);
    out->ks = out->p_value = NAN; /* the sample fit's extras: not part of pooling */
    free(y);
}

void fit_tau_s_from_stats(const fit_suffstats *s, double *tau, double *err)
{
    fit_powerlaw p;
    tau_s_stats(s, &p);
    *tau = p.tau;
    *err = p.tau_err;
}

void fit_tau_d_from_stats(const fit_suffstats *s, double xmin_d, double *tau, double *err)
{
    fit_powerlaw p;
    tau_d_stats(s, xmin_d, &p);
    *tau = p.tau;
    *err = p.tau_err;
}

/* γ from the per-duration sums; returns the durations used, *events their events. */
static int gamma_stats(const fit_suffstats *s, int min_count, double *gamma, double *err,
                       double *events)
{
    *gamma = *err = NAN;
    *events = 0;
    double *d = malloc((size_t)s->dmax * sizeof *d);
    if (!d)
        return 0;
    for (int i = 0; i < s->dmax; i++)
        d[i] = i;
    int used = gamma_from_sums(d, s->gcount, s->gsum_S, s->gsum_log10S, s->gsum_log10S2,
                               s->dmax, min_count, gamma, err, events);
    free(d);
    return used;
}

void fit_gamma_from_stats(const fit_suffstats *s, int min_count, double *gamma, double *err)
{
    double events;
    gamma_stats(s, min_count, gamma, err, &events);
}

/* --- Notes: why an exponent is NaN. ------------------------------------------------ */

void fit_note_add(char *note, const char *fmt, ...)
{
    size_t n = strnlen(note, CS_FIT_NOTE_LEN - 1);
    note[n] = '\0';
    if (n >= 3 && !strcmp(note + n - 3, "..."))
        return; /* already full */
    char clause[CS_FIT_NOTE_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(clause, sizeof clause, fmt, ap);
    va_end(ap);
    char joined[2 * CS_FIT_NOTE_LEN + 4];
    int len = snprintf(joined, sizeof joined, "%s%s%s", note, n ? "; " : "", clause);
    if (len >= CS_FIT_NOTE_LEN) /* cut, and say so */
        memcpy(joined + CS_FIT_NOTE_LEN - 4, "...", 4);
    memcpy(note, joined, strlen(joined) + 1);
}

/* Names of one power-law fit in its notes. */
typedef struct {
    const char *name, *noun, *sym, *xmin_name;
} powerlaw_label;

static const powerlaw_label label_s = {"tau_s", "size", "S", "xmin_s"};
static const powerlaw_label label_d = {"tau_d", "duration", "D", "xmin_d"};

static void note_powerlaw(char *note, const powerlaw_label *lb, const fit_powerlaw *p)
{
    if (isfinite(p->tau))
        return;
    char where[64];
    if (p->xmin > 0)
        snprintf(where, sizeof where, "%s >= %s %g", lb->sym, lb->xmin_name, p->xmin);
    else if (isnan(p->xmin)) /* pooled: the pooling cutoff */
        snprintf(where, sizeof where, "%s >= %s", lb->sym, lb->xmin_name);
    else
        snprintf(where, sizeof where, "%s, %s auto", lb->sym, lb->xmin_name);
    if (p->n_tail < CS_FIT_MIN_EVENTS)
        fit_note_add(note, "%s: %ld %s (needs %d)", lb->name, p->n_tail, where, CS_FIT_MIN_EVENTS);
    else if (p->n_distinct < 2)
        fit_note_add(note, "%s: 1 distinct %s (all %ld at %s = %g)", lb->name, where, p->n_tail,
                     lb->sym, p->tail_min);
    else
        fit_note_add(note, "%s: no likelihood maximum in tau (1, 20]", lb->name);
}

static void note_gamma(char *note, const fit_exponents *e, double events, int min_count)
{
    if (isfinite(e->gamma))
        return;
    if (e->gamma_durations < 3)
        fit_note_add(note, "gamma: %d D with >= %d events (needs 3)", e->gamma_durations,
                     min_count);
    else if (events < CS_FIT_MIN_EVENTS)
        fit_note_add(note, "gamma: %.0f events in %d D (needs %d)", events, e->gamma_durations,
                     CS_FIT_MIN_EVENTS);
    else
        fit_note_add(note, "gamma: regression over %d D failed", e->gamma_durations);
}

void fit_note_shape(char *note, const long *profile_count, int n_d, int stride, int dmin,
                    int min_count)
{
    long events;
    int rows = n_d > 0 ? shape_rows(profile_count, n_d, stride, dmin, min_count, &events) : 0;
    if (rows < 2)
        fit_note_add(note, "gamma_shape: %d D with >= %d avalanches (needs 2)", rows, min_count);
    else if (events < CS_FIT_MIN_EVENTS)
        fit_note_add(note, "gamma_shape: %ld avalanches in %d D (needs %d)", events, rows,
                     CS_FIT_MIN_EVENTS);
    else
        fit_note_add(note, "gamma_shape: no finite NMSE in the scan");
}

/* --- All three exponents at once. -------------------------------------------------- */

void fit_exponents_finish(fit_exponents *e, double gamma_events, int min_count)
{
    e->gamma_pred = (e->d.tau - 1) / (e->s.tau - 1);
    e->note[0] = '\0';
    note_powerlaw(e->note, &label_s, &e->s);
    note_powerlaw(e->note, &label_d, &e->d);
    note_gamma(e->note, e, gamma_events, min_count);
}

int fit_exponents_sample(const double *S, const double *D, long n, const fit_options *o,
                         fit_exponents *out, cs_err *err)
{
    memset(out, 0, sizeof *out);
    out->gamma = out->gamma_err = out->gamma_pred = NAN;
    int rc = fit_tau_continuous(S, n, o, o->xmin_s, &out->s, err);
    if (!rc)
        rc = fit_tau_discrete(D, n, o, o->xmin_d, &out->d, err);
    if (rc)
        return rc;
    /* γ over the fits' own cutoffs; the reference ones where a fit chose none. */
    double xs = out->s.xmin > 0 ? out->s.xmin : o->xmin_s > 0 ? o->xmin_s : 0.5;
    double xd = out->d.xmin > 0 ? out->d.xmin : o->xmin_d > 0 ? o->xmin_d : 5.0;
    double events;
    if (gamma_sample(S, D, n, xs, xd, o->gamma_min_count, &out->gamma, &out->gamma_err,
                     &out->gamma_durations, &events))
        return cs_fail(err, CS_EXIT_ERROR, "gamma regression: out of memory for %ld avalanches", n);
    fit_exponents_finish(out, events, o->gamma_min_count);
    return 0;
}

void fit_exponents_pooled(const fit_suffstats *s, double xmin_d, int min_count,
                          fit_exponents *out)
{
    memset(out, 0, sizeof *out);
    tau_s_stats(s, &out->s);
    tau_d_stats(s, xmin_d, &out->d);
    double events;
    out->gamma_durations = gamma_stats(s, min_count, &out->gamma, &out->gamma_err, &events);
    fit_exponents_finish(out, events, min_count);
}

/* --- Reference classes (§4). -------------------------------------------------------- */

static const fit_class classes[] = {
    {"mean-field directed percolation / critical branching", 1.5, 2.0, 2.0},
    {"absorbed Brownian motion", 4.0 / 3.0, 1.5, 1.5},
};

int fit_reference_classes(const fit_class **out)
{
    *out = classes;
    return (int)(sizeof classes / sizeof *classes);
}

int fit_nearest_class(double tau_s, double tau_d, double gamma, double *distance)
{
    int n = (int)(sizeof classes / sizeof *classes), best = -1;
    int all = isfinite(tau_s) && isfinite(tau_d) && isfinite(gamma);
    for (int i = 0; i < n; i++) {
        double a = tau_s - classes[i].tau_s, b = tau_d - classes[i].tau_d;
        double c = gamma - classes[i].gamma;
        distance[i] = all ? sqrt(a * a + b * b + c * c) : NAN;
        if (all && (best < 0 || distance[i] < distance[best]))
            best = i;
    }
    return best;
}

/* --- Streamed inputs: a tail the caller owns, a histogram of durations. ------------- */

/* In-place sorts for the tail: glibc's qsort merge-sorts through a copy of the array,
 * which would double what `critsweep fit` keeps.  Introsort: median-of-three quicksort,
 * insertion sort on short ranges, heapsort where the partitions degenerate. */
static void sift_down(double *a, long root, long n)
{
    for (long c; (c = 2 * root + 1) < n; root = c) {
        if (c + 1 < n && a[c + 1] > a[c])
            c++;
        if (!(a[c] > a[root]))
            return;
        double t = a[c];
        a[c] = a[root], a[root] = t;
    }
}

static void heap_sort(double *a, long n)
{
    for (long i = n / 2 - 1; i >= 0; i--)
        sift_down(a, i, n);
    for (long i = n - 1; i > 0; i--) {
        double t = a[0];
        a[0] = a[i], a[i] = t;
        sift_down(a, 0, i);
    }
}

static void intro_sort(double *a, long n, int depth)
{
    while (n > 16) {
        if (depth-- == 0) {
            heap_sort(a, n);
            return;
        }
        double x = a[0], y = a[n / 2], z = a[n - 1];
        double p = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        long i = 0, j = n - 1;
        for (;;) { /* Hoare partition: a[0..j] <= p <= a[j+1..n) */
            while (a[i] < p)
                i++;
            while (a[j] > p)
                j--;
            if (i >= j)
                break;
            double t = a[i];
            a[i++] = a[j], a[j--] = t;
        }
        long left = j + 1;
        if (left < n - left) { /* recurse into the smaller side: depth O(log n) */
            intro_sort(a, left, depth);
            a += left, n -= left;
        } else {
            intro_sort(a + left, n - left, depth);
            n = left;
        }
    }
    for (long i = 1; i < n; i++) {
        double v = a[i];
        long k = i;
        for (; k > 0 && a[k - 1] > v; k--)
            a[k] = a[k - 1];
        a[k] = v;
    }
}

static void sort_in_place(double *a, long n)
{
    int depth = 2;
    for (long m = n; m > 1; m >>= 1)
        depth += 2;
    intro_sort(a, n, depth);
}

int fit_tau_continuous_tail(double *tail, long m, const fit_options *o, double xmin,
                            fit_powerlaw *out, cs_err *err)
{
    if (!(xmin > 0) || (o && o->bootstrap > 0))
        return fit_tau_continuous(tail, m, o, xmin, out, err);
    powerlaw_nan(out, xmin);
    /* the degeneracy rule, as tail_fittable applies it to a whole sample */
    out->n_tail = m;
    if (m < 1)
        return 0;
    /* What plfit_estimate_alpha_continuous computes on its sorted copy (libplfit 0.9.4
     * has no public entry point for a sorted sample): α = 1 + n / Σ ln(x/xmin) summed in
     * increasing order, KS = max_i |1 − (xmin/x_i)^(α−1) − i/n|; so the same bits. */
    sort_in_place(tail, m);
    out->n_distinct = tail[0] != tail[m - 1] ? 2 : 1;
    out->tail_min = tail[0];
    if (m < CS_FIT_MIN_EVENTS || out->n_distinct < 2)
        return 0;
    double sum = 0, n = (double)m, ks = 0;
    for (long i = 0; i < m; i++)
        sum += log(tail[i] / xmin);
    double alpha = 1 + n / sum;
    if (!isfinite(alpha))
        return 0;
    for (long i = 0; i < m; i++) {
        double d = fabs(1 - pow(xmin / tail[i], alpha - 1) - (double)i / n);
        if (d > ks)
            ks = d;
    }
    out->tau = alpha;
    out->tau_err = (alpha - 1) / sqrt(n);
    out->n_tail = m;
    out->ks = ks;
    return 0;
}

int fit_tau_discrete_hist(const double *value, const double *count, long k,
                          const fit_options *o, double xmin, fit_powerlaw *out, cs_err *err)
{
    quiet_plfit();
    powerlaw_nan(out, xmin);
    if (xmin > 0 && (xmin < 1 || xmin != floor(xmin)))
        return cs_fail(err, CS_EXIT_USAGE, "discrete xmin must be a whole number >= 1 (got %g)", xmin);
    double lo = xmin > 0 ? xmin : 1.0, n_tail = 0, sum_log = 0;
    for (long i = 0; i < k; i++)
        if (value[i] >= lo)
            n_tail += count[i];
    if (!(xmin > 0) || (o && o->bootstrap > 0)) {
        /* libplfit's KS scan and bootstrap want the sample itself. */
        double *y = malloc((size_t)(n_tail > 0 ? n_tail : 1) * sizeof *y);
        if (!y)
            return cs_fail(err, CS_EXIT_ERROR, "fit_tau_discrete_hist: out of memory for %.0f "
                           "samples", n_tail);
        long m = 0;
        for (long i = 0; i < k; i++)
            if (value[i] >= lo)
                for (double c = 0; c < count[i]; c++)
                    y[m++] = value[i];
        int rc = discrete_core(y, m, o, xmin, out, err);
        free(y);
        return rc;
    }
    /* the degeneracy rule, as tail_fittable applies it to a whole sample */
    out->n_tail = (long)n_tail;
    for (long i = 0; i < k; i++)
        if (value[i] >= xmin && count[i] > 0) {
            if (!out->n_distinct++)
                out->tail_min = value[i];
            if (out->n_distinct == 2)
                break;
        }
    if (n_tail < CS_FIT_MIN_EVENTS || out->n_distinct < 2)
        return 0;
    /* discrete_core on the expanded sorted sample, from the counts: the same sums in the
     * same order (ln D added once per event), so the same bits. */
    for (long i = 0; i < k; i++)
        if (value[i] >= xmin) {
            double lv = log(value[i]);
            for (double c = 0; c < count[i]; c++)
                sum_log += lv;
        }
    out->n_tail = (long)n_tail;
    double tau = disc_mle(n_tail, sum_log, xmin);
    if (!isfinite(tau))
        return 0;
    out->tau = tau;
    out->tau_err = (tau - 1) / sqrt(n_tail);
    double l0 = ln_hzeta(tau, xmin), below = 0, ks = 0;
    for (long i = 0; i < k; i++)
        if (value[i] >= xmin) { /* disc_ks over the distinct values */
            double d = fabs(expm1(ln_hzeta(tau, value[i]) - l0) + below / (double)out->n_tail);
            if (d > ks)
                ks = d;
            below += count[i];
        }
    out->ks = ks;
    return 0;
}

int fit_gamma_from_sums(const double *d, const double *c, const double *s, const double *l,
                        const double *l2, long k, int min_count, double *gamma,
                        double *gamma_err, double *events)
{
    return gamma_from_sums(d, c, s, l, l2, k, min_count, gamma, gamma_err, events);
}

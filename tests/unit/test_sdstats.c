/* test_sdstats.c — the streamed fit of `critsweep fit` against the fits on the whole
 * sample, bit for bit: rows go through sd_stats (the τ_s tail and the duration
 * histogram) and fit_tau_continuous_tail, fit_tau_discrete_hist, fit_gamma_from_sums
 * must give exactly what fit_tau_continuous, fit_tau_discrete and fit_gamma give on the
 * arrays, at fixed xmins, at the KS choice and with a bootstrap.  Also the in-place sort
 * (random, sorted, reversed, constant, few distinct values) and the histogram with
 * durations far apart (up to 1e15: hashed, not indexed). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "critsweep/fit.h"
#include "critsweep/rng.h"
#include "critsweep/sdstats.h"

static int failures;

static void same(const char *what, double got, double want)
{
    int ok = got == want || (isnan(got) && isnan(want));
    if (!ok) {
        failures++;
        fprintf(stderr, "FAIL %s: %.17g != %.17g\n", what, got, want);
    }
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorting through the fixed-xmin tail fit: its KS needs increasing order, so a wrong
 * order shows up as a different ks; checked directly on the sorted array too. */
static void test_sort(void)
{
    cs_rng r;
    rng_init(&r, 5, 0);
    long ns[] = {0, 1, 2, 17, 1000, 100003};
    for (size_t t = 0; t < sizeof ns / sizeof *ns; t++)
        for (int kind = 0; kind < 5; kind++) {
            long n = ns[t];
            double *a = malloc((size_t)(n + 1) * sizeof *a), *b = malloc((size_t)(n + 1) * sizeof *b);
            for (long i = 0; i < n; i++) {
                double u = 1 + 100 * (rng_u32(&r) / 4294967296.0);
                a[i] = kind == 0 ? u : kind == 1 ? 1 + i : kind == 2 ? 1 + n - i
                     : kind == 3 ? 7 : 1 + (double)(rng_u32(&r) % 3);
            }
            memcpy(b, a, (size_t)n * sizeof *a);
            qsort(b, (size_t)n, sizeof *b, cmp);
            fit_options o;
            fit_options_default(&o);
            fit_powerlaw p;
            cs_err e;
            fit_tau_continuous_tail(a, n, &o, 1.0, &p, &e);
            int ok = 1;
            for (long i = 0; i < n; i++)
                ok &= a[i] == b[i];
            if (!ok) {
                failures++;
                fprintf(stderr, "FAIL sort: n %ld kind %d not sorted\n", n, kind);
            }
            free(a), free(b);
        }
}

/* Avalanche-like rows: D ~ 1/u (heavy tail, many repeats), S ~ 0.4 D^1.6 e^(0.3 z),
 * some S = 0 rows with D = 0. */
static void make_rows(long n, double *S, double *D, cs_rng *r)
{
    for (long i = 0; i < n; i++) {
        double u = (rng_u32(r) + 0.5) / 4294967296.0;
        double d = floor(1 / u);
        if (d > 1e6)
            d = 1e6;
        double z = 0;
        for (int k = 0; k < 3; k++)
            z += rng_u32(r) / 4294967296.0 - 0.5;
        D[i] = i % 50 == 0 ? 0 : d;
        S[i] = i % 50 == 0 ? 0 : 0.4 * pow(d, 1.6) * exp(0.3 * z);
    }
}

static void compare(const char *what, const double *S, const double *D, long n,
                    double xmin_s, double xmin_d, int bootstrap)
{
    fit_options o;
    fit_options_default(&o);
    o.xmin_s = xmin_s, o.xmin_d = xmin_d, o.bootstrap = bootstrap, o.gamma_min_count = 20;
    cs_err e = {0, ""};
    fit_powerlaw ps, pd, qs, qd;
    fit_tau_continuous(S, n, &o, xmin_s, &ps, &e);
    fit_tau_discrete(D, n, &o, xmin_d, &pd, &e);

    int fixed = xmin_s > 0 && xmin_d > 0;
    sd_stats st;
    sd_stats_init(&st, xmin_s > 0 ? xmin_s : 0x1p-1074, fixed, xmin_s, xmin_d);
    for (long i = 0; i < n; i++)
        sd_stats_add(&st, S[i], D[i]);
    sd_stats_sort(&st);
    double *col[6];
    sd_stats_columns(&st, col);
    fit_tau_continuous_tail(st.tail, st.n_tail, &o, xmin_s, &qs, &e);
    fit_tau_discrete_hist(col[0], col[1], st.n_dur, &o, xmin_d, &qd, &e);
    free(col[0]);

    double gxs = ps.xmin > 0 ? ps.xmin : 0.5, gxd = pd.xmin > 0 ? pd.xmin : 5, g, ge, h, he;
    fit_gamma(S, D, n, gxs, gxd, o.gamma_min_count, &g, &ge);
    if (!fixed) { /* the second pass of `fit` */
        sd_stats_gamma_reset(&st, gxs, gxd);
        for (long i = 0; i < n; i++)
            sd_stats_add_gamma(&st, S[i], D[i]);
        sd_stats_sort(&st);
    }
    sd_stats_columns(&st, col);
    fit_gamma_from_sums(col[0], col[2], col[3], col[4], col[5], st.n_dur, o.gamma_min_count, &h, &he, NULL);
    free(col[0]);
    sd_stats_free(&st);

    char w[160];
#define SAME(field, a, b) (snprintf(w, sizeof w, "%s %s", what, field), same(w, a, b))
    SAME("tau_s", qs.tau, ps.tau);
    SAME("tau_s_err", qs.tau_err, ps.tau_err);
    SAME("xmin_s", qs.xmin, ps.xmin);
    SAME("n_tail_s", (double)qs.n_tail, (double)ps.n_tail);
    SAME("ks_s", qs.ks, ps.ks);
    SAME("p_s", qs.p_value, ps.p_value);
    SAME("tau_d", qd.tau, pd.tau);
    SAME("tau_d_err", qd.tau_err, pd.tau_err);
    SAME("xmin_d", qd.xmin, pd.xmin);
    SAME("n_tail_d", (double)qd.n_tail, (double)pd.n_tail);
    SAME("ks_d", qd.ks, pd.ks);
    SAME("p_d", qd.p_value, pd.p_value);
    SAME("gamma", h, g);
    SAME("gamma_err", he, ge);
#undef SAME
    printf("%-28s tau_s %.12g (ks %.6g) tau_d %.12g (ks %.6g) gamma %.12g: identical\n", what,
           qs.tau, qs.ks, qd.tau, qd.ks, h);
}

/* Durations far apart: the histogram grows its hash table and keeps every count. */
static void test_sparse(void)
{
    sd_stats st;
    sd_stats_init(&st, 0.5, 1, 0.5, 5);
    long n = 0;
    for (int rep = 0; rep < 3; rep++)
        for (long k = 0; k < 5000; k++, n++)
            sd_stats_add(&st, 1.0 + k, k % 2 ? 1e15 - (double)k : (double)k * 1e10);
    sd_stats_sort(&st);
    int ok = st.n_dur == 5000;
    for (long i = 0; ok && i < st.n_dur; i++)
        ok = st.dur[i].count == 3 && (i == 0 || st.dur[i].d > st.dur[i - 1].d);
    if (!ok) {
        failures++;
        fprintf(stderr, "FAIL sparse histogram: %ld distinct durations, expected 5000 with 3 each\n",
                st.n_dur);
    }
    printf("sparse durations up to 1e15: %ld distinct of %ld rows, %ld hash slots\n", st.n_dur,
           n, st.n_slot);
    sd_stats_free(&st);
}

int main(void)
{
    test_sort();
    cs_rng r;
    rng_init(&r, 11, 0);
    long n = 40000;
    double *S = malloc((size_t)n * sizeof *S), *D = malloc((size_t)n * sizeof *D);
    make_rows(n, S, D, &r);
    compare("fixed xmin 0.5, 5", S, D, n, 0.5, 5, 0);
    compare("fixed xmin 30, 2", S, D, n, 30, 2, 0);
    compare("fixed, bootstrap 10", S, D, 5000, 0.5, 5, 10);
    compare("auto xmin_s", S, D, 5000, 0, 5, 0);
    compare("auto xmin_d", S, D, 5000, 0.5, 0, 0);
    compare("tail of 1 (NaN)", S, D, n, 1e30, 1e12, 0);
    free(S), free(D);
    test_sparse();
    if (failures) {
        printf("%d failures\n", failures);
        return 1;
    }
    printf("PASS: streamed fits identical to the whole-sample fits\n");
    return 0;
}

/* claim.c — the claim test with seed-bootstrap intervals (claim.h). */
#include "critsweep/claim.h"

#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "critsweep/bootstrap.h"
#include "critsweep/deriv.h"

/* The scalar statistics of one replicate, in claim_result's order. */
enum { ST_RHO_CHI, ST_RHO_EDGE, ST_RHO_DIFF, ST_DIST_WIDOM, ST_DIST_EDGE, ST_DIST_DIFF,
       ST_RIDGE_WIDOM, ST_RIDGE_EDGE, N_STATS };

typedef struct {
    double scalar[N_STATS];
    double *widom, *ridge; /* (B) */
} replicate;

/* Work arrays of one slab. */
typedef struct {
    const claim_input *in;
    double *size_mean, *acc_mean, *size_se, *acc_se; /* (B, S) */
    double *chi, *score, *pair;                      /* (B, S), (B, S), (4 B S) */
} slab;

/* Spearman's ρ over the pairs where both are finite (GSL ranks ties by their mean). */
static double spearman(const double *x, const double *y, long n, double *pair)
{
    double *a = pair, *b = pair + n, *work = pair + 2 * n;
    long m = 0;
    for (long i = 0; i < n; i++)
        if (isfinite(x[i]) && isfinite(y[i])) a[m] = x[i], b[m++] = y[i];
    return m >= 3 ? gsl_stats_spearman(a, 1, b, 1, (size_t)m, work) : NAN;
}

/* Mean and standard error over the seeds of every cell. */
static void cell_moments(const double *v, long cells, int n_seeds, double *mean, double *se)
{
    for (long c = 0; c < cells; c++) {
        double s1 = 0, s2 = 0;
        int m = 0;
        for (int k = 0; k < n_seeds; k++) {
            double x = v[c * n_seeds + k];
            if (isfinite(x)) s1 += x, s2 += x * x, m++;
        }
        mean[c] = m ? s1 / m : NAN;
        se[c] = m > 1 ? sqrt(fmax(s2 - s1 * s1 / m, 0) / (m - 1) / m) : NAN;
    }
}

/* χ along σ_w² and the Widom line at one σ_b², from the means in w->size_mean. */
static void widom_at(slab *w, int b, double *widom)
{
    const claim_input *in = w->in;
    long o = (long)b * in->S;
    deriv_curve c = {in->sigma_w2, w->size_mean + o, w->size_se + o, in->S};
    double h = deriv_bandwidth(&c), p;
    int edge;
    for (int j = 0; j < in->S; j++) {
        double v;
        deriv_local_fit(&c, h, in->sigma_w2[j], &v, &w->chi[o + j]);
    }
    deriv_slope_peak(&c, h, widom, &p, &edge);
}

static double ridge_at(slab *w, int b)
{
    const claim_input *in = w->in;
    long o = (long)b * in->S;
    deriv_curve c = {in->sigma_w2, w->acc_mean + o, w->acc_se + o, in->S};
    double loc, p;
    int edge;
    deriv_value_peak(&c, deriv_bandwidth(&c), &loc, &p, &edge);
    return loc;
}

/* Spearman of accuracy with −|σ_w² − line(σ_b²)|. */
static double rho_distance(slab *w, const double *line)
{
    const claim_input *in = w->in;
    for (int b = 0; b < in->B; b++)
        for (int j = 0; j < in->S; j++)
            w->score[(long)b * in->S + j] = -fabs(in->sigma_w2[j] - line[b]);
    return spearman(w->acc_mean, w->score, (long)in->B * in->S, w->pair);
}

static double mean_distance(const double *a, const double *b, int n)
{
    double s = 0;
    int m = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(a[i]) && isfinite(b[i])) s += fabs(a[i] - b[i]), m++;
    return m ? s / m : NAN;
}

/* Every statistic of one replicate from the cell means in w (se fixed from the data). */
static void statistics(slab *w, replicate *r)
{
    const claim_input *in = w->in;
    long n = (long)in->B * in->S;
    for (int b = 0; b < in->B; b++) {
        widom_at(w, b, &r->widom[b]);
        r->ridge[b] = ridge_at(w, b);
    }
    double *s = r->scalar;
    s[ST_RHO_CHI] = spearman(w->acc_mean, w->chi, n, w->pair);
    for (long c = 0; c < n; c++) w->score[c] = -fabs(in->chi1[c] - 1.0);
    s[ST_RHO_EDGE] = spearman(w->acc_mean, w->score, n, w->pair);
    s[ST_RHO_DIFF] = s[ST_RHO_CHI] - s[ST_RHO_EDGE];
    s[ST_DIST_WIDOM] = rho_distance(w, r->widom);
    s[ST_DIST_EDGE] = rho_distance(w, in->edge);
    s[ST_DIST_DIFF] = s[ST_DIST_WIDOM] - s[ST_DIST_EDGE];
    s[ST_RIDGE_WIDOM] = mean_distance(r->ridge, r->widom, in->B);
    s[ST_RIDGE_EDGE] = mean_distance(r->ridge, in->edge, in->B);
}

static claim_verdict verdict_of(const claim_interval *diff)
{
    if (diff->lo > 0) return CLAIM_SUSCEPTIBILITY;
    if (diff->hi < 0) return CLAIM_EDGE;
    return CLAIM_UNDECIDED;
}

static void interval(claim_interval *out, double est, const double *reps, int n, double level)
{
    out->est = est;
    boot_interval(reps, n, level, &out->lo, &out->hi);
}

/* Runs the replicates into reps (N_STATS + 2B rows of R) and sets the intervals. */
static void bootstrap(slab *w, const replicate *data, replicate *rep, double *reps,
                      claim_result *r)
{
    const claim_input *in = w->in;
    int R = in->replicates, B = in->B;
    long n = (long)B * in->S;
    const double *v[2] = {in->size, in->accuracy};
    double *out[2] = {w->size_mean, w->acc_mean};
    for (int k = 0; k < R; k++) {
        boot_resample_means(v, out, 2, n, in->n_seeds, in->key, k);
        statistics(w, rep);
        for (int q = 0; q < N_STATS; q++) reps[(long)q * R + k] = rep->scalar[q];
        for (int b = 0; b < B; b++) {
            reps[(long)(N_STATS + b) * R + k] = rep->widom[b];
            reps[(long)(N_STATS + B + b) * R + k] = rep->ridge[b];
        }
    }
    claim_interval *scalars[N_STATS] = {&r->rho_chi, &r->rho_edge, &r->rho_diff,
                                        &r->rho_dist_widom, &r->rho_dist_edge,
                                        &r->rho_dist_diff, &r->ridge_dist_widom,
                                        &r->ridge_dist_edge};
    for (int q = 0; q < N_STATS; q++)
        interval(scalars[q], data->scalar[q], reps + (long)q * R, R, in->level);
    for (int b = 0; b < B; b++) {
        interval(&r->widom[b], data->widom[b], reps + (long)(N_STATS + b) * R, R, in->level);
        interval(&r->ridge[b], data->ridge[b], reps + (long)(N_STATS + B + b) * R, R, in->level);
    }
}

int claim_test(const claim_input *in, claim_result *r)
{
    memset(r, 0, sizeof *r);
    int B = in->B, R = in->replicates > 0 ? in->replicates : 1;
    long n = (long)B * in->S;
    slab w = {.in = in};
    double *mem = malloc(sizeof(double) * (size_t)(10 * n + 4 * B + (N_STATS + 2 * B) * (long)R));
    r->widom = malloc(sizeof *r->widom * (size_t)(B > 0 ? B : 1));
    r->ridge = malloc(sizeof *r->ridge * (size_t)(B > 0 ? B : 1));
    if (!mem || !r->widom || !r->ridge) {
        free(mem);
        claim_result_free(r);
        return -1;
    }
    w.size_mean = mem, w.acc_mean = mem + n, w.size_se = mem + 2 * n, w.acc_se = mem + 3 * n;
    w.chi = mem + 4 * n, w.score = mem + 5 * n, w.pair = mem + 6 * n;
    replicate data = {.widom = mem + 10 * n, .ridge = mem + 10 * n + B};
    replicate rep = {.widom = mem + 10 * n + 2 * B, .ridge = mem + 10 * n + 3 * B};
    cell_moments(in->size, n, in->n_seeds, w.size_mean, w.size_se);
    cell_moments(in->accuracy, n, in->n_seeds, w.acc_mean, w.acc_se);
    statistics(&w, &data);
    bootstrap(&w, &data, &rep, mem + 10 * n + 4 * B, r);
    r->verdict = verdict_of(&r->rho_diff);
    r->verdict_dist = verdict_of(&r->rho_dist_diff);
    free(mem);
    return 0;
}

void claim_result_free(claim_result *r)
{
    free(r->widom);
    free(r->ridge);
    r->widom = r->ridge = NULL;
}

const char *claim_verdict_name(claim_verdict v)
{
    switch (v) {
    case CLAIM_SUSCEPTIBILITY: return "susceptibility predicts learning better";
    case CLAIM_EDGE: return "the edge of chaos predicts learning better";
    default: return "undecided (the interval of the difference contains 0)";
    }
}

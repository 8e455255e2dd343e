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
    double *widom, *ridge, *chi_max, *bandwidth; /* (B) */
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

/* χ along σ_w² and the Widom line at one σ_b², from the means in w->size_mean: the
 * local fit where the line has enough cells for a bandwidth, numpy.gradient's finite
 * differences and the grid peak where it has not (a short line still gets a χ). */
static void widom_at(slab *w, int b, double *widom, double *chi_max, double *bandwidth)
{
    const claim_input *in = w->in;
    long o = (long)b * in->S;
    deriv_curve c = {in->sigma_w2, w->size_mean + o, w->size_se + o, in->S};
    double h = *bandwidth = deriv_bandwidth(&c);
    if (!isfinite(h)) {
        if (in->S >= 2)
            deriv_gradient(w->size_mean + o, 1, in->sigma_w2, in->S, w->chi + o, 1);
        else
            w->chi[o] = NAN;
        *widom = deriv_grid_peak(in->sigma_w2, w->chi + o, 1, in->S, chi_max);
        return;
    }
    int edge;
    for (int j = 0; j < in->S; j++) {
        double v;
        deriv_local_fit(&c, h, in->sigma_w2[j], &v, &w->chi[o + j]);
        if (!isfinite(w->size_mean[o + j])) /* no finished seed: no χ shown there */
            w->chi[o + j] = NAN;
    }
    deriv_slope_peak(&c, h, widom, chi_max, &edge);
}

/* The accuracy ridge at one σ_b²: the peak of the smoothed accuracy, or the best grid
 * value where the line is too short to smooth. */
static double ridge_at(slab *w, int b)
{
    const claim_input *in = w->in;
    long o = (long)b * in->S;
    deriv_curve c = {in->sigma_w2, w->acc_mean + o, w->acc_se + o, in->S};
    double loc = NAN, p, h = deriv_bandwidth(&c);
    int edge;
    if (isfinite(h)) {
        deriv_value_peak(&c, h, &loc, &p, &edge);
        return loc;
    }
    for (int j = 0, best = -1; j < in->S; j++)
        if (isfinite(c.y[j]) && (best < 0 || c.y[j] > c.y[best]))
            best = j, loc = in->sigma_w2[j];
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
        widom_at(w, b, &r->widom[b], &r->chi_max[b], &r->bandwidth[b]);
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

/* Rows of the replicate table, each R long: the scalars, then σ_w²* and the ridge per
 * σ_b², then χ per cell. */
static long row_widom(int b) { return N_STATS + b; }
static long row_ridge(const claim_input *in, int b) { return N_STATS + in->B + b; }
static long row_chi(const claim_input *in, long c) { return N_STATS + 2L * in->B + c; }

/* One replicate's values into column k of reps. */
static void record(const slab *w, const replicate *rep, double *reps, int k)
{
    const claim_input *in = w->in;
    long R = in->replicates, n = (long)in->B * in->S;
    for (int q = 0; q < N_STATS; q++) reps[q * R + k] = rep->scalar[q];
    for (int b = 0; b < in->B; b++) {
        reps[row_widom(b) * R + k] = rep->widom[b];
        reps[row_ridge(in, b) * R + k] = rep->ridge[b];
    }
    for (long c = 0; c < n; c++) reps[row_chi(in, c) * R + k] = w->chi[c];
}

/* Runs the replicates into reps and sets the intervals (r->chi[].est already set). */
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
        record(w, rep, reps, k);
    }
    claim_interval *scalars[N_STATS] = {&r->rho_chi, &r->rho_edge, &r->rho_diff,
                                        &r->rho_dist_widom, &r->rho_dist_edge,
                                        &r->rho_dist_diff, &r->ridge_dist_widom,
                                        &r->ridge_dist_edge};
    for (int q = 0; q < N_STATS; q++)
        interval(scalars[q], data->scalar[q], reps + (long)q * R, R, in->level);
    for (int b = 0; b < B; b++) {
        interval(&r->widom[b], data->widom[b], reps + row_widom(b) * R, R, in->level);
        interval(&r->ridge[b], data->ridge[b], reps + row_ridge(in, b) * R, R, in->level);
        r->chi_max[b] = data->chi_max[b];
        r->bandwidth[b] = data->bandwidth[b];
    }
    for (long c = 0; c < n; c++)
        interval(&r->chi[c], r->chi[c].est, reps + row_chi(in, c) * R, R, in->level);
}

static int result_alloc(claim_result *r, int B, long n)
{
    size_t nb = (size_t)(B > 0 ? B : 1), nc = (size_t)(n > 0 ? n : 1);
    r->widom = malloc(nb * sizeof *r->widom);
    r->ridge = malloc(nb * sizeof *r->ridge);
    r->chi = malloc(nc * sizeof *r->chi);
    r->chi_max = malloc(nb * sizeof *r->chi_max);
    r->bandwidth = malloc(nb * sizeof *r->bandwidth);
    return r->widom && r->ridge && r->chi && r->chi_max && r->bandwidth ? 0 : -1;
}

int claim_test(const claim_input *in, claim_result *r)
{
    memset(r, 0, sizeof *r);
    int B = in->B, R = in->replicates > 0 ? in->replicates : 1;
    claim_input in1 = *in;
    in1.replicates = R;
    long n = (long)B * in->S, rows = N_STATS + 2L * B + n;
    slab w = {.in = &in1};
    double *mem = malloc(sizeof(double) * (size_t)(10 * n + 8 * B + rows * R));
    if (!mem || result_alloc(r, B, n)) {
        free(mem);
        claim_result_free(r);
        return -1;
    }
    w.size_mean = mem, w.acc_mean = mem + n, w.size_se = mem + 2 * n, w.acc_se = mem + 3 * n;
    w.chi = mem + 4 * n, w.score = mem + 5 * n, w.pair = mem + 6 * n;
    double *lines = mem + 10 * n; /* (8 B): data's and a replicate's four lines */
    replicate data = {.widom = lines, .ridge = lines + B, .chi_max = lines + 2 * B,
                      .bandwidth = lines + 3 * B};
    replicate rep = {.widom = lines + 4 * B, .ridge = lines + 5 * B, .chi_max = lines + 6 * B,
                     .bandwidth = lines + 7 * B};
    boot_cell_moments(in->size, n, in->n_seeds, w.size_mean, w.size_se);
    boot_cell_moments(in->accuracy, n, in->n_seeds, w.acc_mean, w.acc_se);
    statistics(&w, &data);
    for (long c = 0; c < n; c++) r->chi[c].est = w.chi[c];
    bootstrap(&w, &data, &rep, mem + 10 * n + 8 * B, r);
    r->verdict = verdict_of(&r->rho_diff);
    r->verdict_dist = verdict_of(&r->rho_dist_diff);
    free(mem);
    return 0;
}

void claim_result_free(claim_result *r)
{
    free(r->widom);
    free(r->ridge);
    free(r->chi);
    free(r->chi_max);
    free(r->bandwidth);
    r->widom = r->ridge = r->chi = NULL;
    r->chi_max = r->bandwidth = NULL;
}

const char *claim_verdict_name(claim_verdict v)
{
    switch (v) {
    case CLAIM_SUSCEPTIBILITY: return "susceptibility predicts learning better";
    case CLAIM_EDGE: return "the edge of chaos predicts learning better";
    default: return "undecided (the interval of the difference contains 0)";
    }
}

/* test_engines.c — the sampled engine draws the same avalanches, in distribution, as the
 * dense one (README §1b), with a dense-vs-dense control in the same test.
 *
 * Inputs that share a network are correlated (they see the same weights), so pooled
 * avalanches are not independent and a naive two-sample test on them rejects even dense
 * against dense.  The unit of independence is the network: each engine runs G networks
 * of K inputs (independent keys), and every statistic's standard error is taken over
 * networks — per-network means for S̄, D̄, P_surv, ln m and λ_0 (every network has K
 * inputs), the delete-one-network jackknife of the pooled MLE for τ_s and τ_d.  Each
 * comparison passes within 4 combined standard errors √(se_a² + se_b²).
 *
 * Points: ordered, near-critical and active; σ_b² = 0 and > 0; tanh and ReLU; N = 100,
 * L_max = 200 (G = 24 networks of K = 200 inputs per engine) and N = 500, L_max = 1000
 * (G = 8 of K = 100, to keep CI short).  Power, honestly: a shift is caught once it
 * exceeds about 4·√2/√G network-to-network standard deviations of the statistic, 1.2
 * at N = 100 (G = 24) but 2.0 at N = 500 (G = 8), so the N = 500 point catches only
 * gross errors; the exactness itself is tests/unit/test_sampled.c's job. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "critsweep/avalanche.h"
#include "critsweep/fit.h"
#include "critsweep/rng.h"

static int failures = 0;

enum { Q_S, Q_D, Q_P, Q_LNM, Q_LYAP, Q_TAUS, Q_TAUD, NQ };
static const char *const qname[NQ] = {"S", "D", "P_surv", "ln m", "lambda_0", "tau_s", "tau_d"};

typedef struct {
    int N, L, G;
    long K;
    double sw2, sb2;
    cs_activation act;
    const char *phase;
} point;

typedef struct {
    double mean[NQ], se[NQ];
} stats;

static double tau_fit(const double *x, long n, int discrete)
{
    fit_options o;
    fit_options_default(&o);
    fit_powerlaw f;
    cs_err err = {0, ""};
    int rc = discrete ? fit_tau_discrete(x, n, &o, 5, &f, &err)
                      : fit_tau_continuous(x, n, &o, 0.5, &f, &err);
    return rc || f.n_tail < 20 ? NAN : f.tau;
}

/* Runs G networks with engine e and key set `set`; per-network and jackknife errors. */
static int measure(const point *pt, cs_engine e, uint64_t set, stats *st)
{
    int G = pt->G;
    double (*per)[5] = calloc((size_t)G, sizeof *per);
    double **S = calloc((size_t)G, sizeof *S), **D = calloc((size_t)G, sizeof *D);
    long *n = calloc((size_t)G, sizeof *n), total = 0;
    for (int g = 0; g < G; g++) {
        avalanche_params p;
        avalanche_params_default(&p);
        p.width = pt->N;
        p.depth = pt->L;
        p.sigma_w2 = pt->sw2;
        p.sigma_b2 = pt->sb2;
        p.activation = pt->act;
        p.per_network = p.inputs = pt->K;
        p.shape_dmin = 4;
        p.shape_dmax = pt->L - 2 < 250 ? pt->L - 2 : 250;
        p.engine = e;
        p.key = rng_task_key(set, (int)pt->act, pt->N, pt->sw2, pt->sb2, (uint64_t)g);
        avalanche_result r;
        avalanche_result_init(&r);
        cs_err err = {0, ""};
        if (avalanche_run(&p, &r, &err)) {
            fprintf(stderr, "FAIL avalanche_run: %s\n", err.msg);
            return -1;
        }
        per[g][0] = r.S_mean;
        per[g][1] = r.D_mean;
        per[g][2] = r.P_surv;
        per[g][3] = log(r.branching);
        per[g][4] = r.lyapunov;
        n[g] = r.n_recorded;
        total += n[g];
        S[g] = malloc((size_t)(n[g] ? n[g] : 1) * sizeof **S);
        D[g] = malloc((size_t)(n[g] ? n[g] : 1) * sizeof **D);
        memcpy(S[g], r.S, (size_t)n[g] * sizeof **S);
        memcpy(D[g], r.D, (size_t)n[g] * sizeof **D);
        avalanche_result_free(&r);
    }
    for (int q = 0; q < 5; q++) {
        double s = 0, ss = 0;
        int cnt = 0;
        for (int g = 0; g < G; g++)
            if (isfinite(per[g][q])) {
                s += per[g][q];
                cnt++;
            }
        double m = cnt ? s / cnt : NAN;
        for (int g = 0; g < G; g++)
            if (isfinite(per[g][q]))
                ss += (per[g][q] - m) * (per[g][q] - m);
        st->mean[q] = cnt == G ? m : NAN; /* a network without a value: not compared */
        st->se[q] = cnt > 1 ? sqrt(ss / (cnt - 1) / cnt) : NAN;
    }
    /* τ: pooled MLE, delete-one-network jackknife */
    double *xs = malloc((size_t)(total ? total : 1) * sizeof *xs);
    for (int q = Q_TAUS; q <= Q_TAUD; q++) {
        double **src = q == Q_TAUS ? S : D;
        long m = 0;
        for (int g = 0; g < G; g++) {
            memcpy(xs + m, src[g], (size_t)n[g] * sizeof *xs);
            m += n[g];
        }
        st->mean[q] = tau_fit(xs, m, q == Q_TAUD);
        double jm = 0, jss = 0, *jk = malloc((size_t)G * sizeof *jk);
        for (int h = 0; h < G; h++) {
            m = 0;
            for (int g = 0; g < G; g++)
                if (g != h) {
                    memcpy(xs + m, src[g], (size_t)n[g] * sizeof *xs);
                    m += n[g];
                }
            jk[h] = tau_fit(xs, m, q == Q_TAUD);
            jm += jk[h] / G;
        }
        for (int h = 0; h < G; h++)
            jss += (jk[h] - jm) * (jk[h] - jm);
        st->se[q] = sqrt((G - 1.0) / G * jss);
        free(jk);
    }
    free(xs);
    for (int g = 0; g < G; g++) {
        free(S[g]);
        free(D[g]);
    }
    free(S);
    free(D);
    free(n);
    free(per);
    return 0;
}

static void compare(const point *pt, const char *label, const stats *a, const stats *b)
{
    double worst = 0;
    int compared = 0;
    char line[512];
    int off = snprintf(line, sizeof line, "%-16s", label);
    for (int q = 0; q < NQ; q++) {
        double se = sqrt(a->se[q] * a->se[q] + b->se[q] * b->se[q]);
        if (!isfinite(a->mean[q]) || !isfinite(b->mean[q]) || !(se > 0)) {
            if (a->mean[q] == b->mean[q]) /* e.g. P_surv 0 on both sides */
                off += snprintf(line + off, sizeof line - off, " %s =", qname[q]);
            continue;
        }
        double z = fabs(a->mean[q] - b->mean[q]) / se;
        compared++;
        if (z > worst)
            worst = z;
        if (z >= 4)
            fprintf(stderr, "FAIL %s %s, N=%d sw2=%g sb2=%g: %s %.5g vs %.5g (%.2f SE)\n",
                    pt->phase, activation_name(pt->act), pt->N, pt->sw2, pt->sb2, qname[q],
                    a->mean[q], b->mean[q], z), failures++;
        off += snprintf(line + off, sizeof line - off, " %s %.2f", qname[q], z);
    }
    printf("%s  (SE; worst %.2f of %d compared, tolerance 4)\n", line, worst, compared);
}

int main(void)
{
    static const point pts[] = {
        {100, 200, 24, 200, 0.9, 0.0, CS_ACT_TANH, "ordered"},
        {100, 200, 24, 200, 1.5, 0.0, CS_ACT_TANH, "active"},
        {100, 200, 24, 200, 1.0, 0.0, CS_ACT_TANH, "near-critical"},
        {100, 200, 24, 200, 1.6, 0.05, CS_ACT_TANH, "active"},
        {100, 200, 24, 200, 2.0, 0.0, CS_ACT_RELU, "near-critical"},
        {100, 200, 24, 200, 1.6, 0.05, CS_ACT_RELU, "ordered"},
        {100, 200, 24, 200, 1.05, 0.02, CS_ACT_TANH, "near-critical"},
        {500, 1000, 8, 100, 1.0, 0.0, CS_ACT_TANH, "near-critical"},
    };
    int np = (int)(sizeof pts / sizeof *pts);
    for (int i = 0; i < np; i++) {
        const point *pt = &pts[i];
        stats d1, d2, s1;
        printf("%s %s N=%d L=%d sw2=%g sb2=%g, %d networks x %ld inputs per engine\n",
               pt->phase, activation_name(pt->act), pt->N, pt->L, pt->sw2, pt->sb2, pt->G,
               pt->K);
        if (measure(pt, CS_ENGINE_DENSE, 101, &d1) || measure(pt, CS_ENGINE_SAMPLED, 202, &s1))
            return 1;
        printf("  dense   S %.4g+-%.2g D %.4g+-%.2g P %.3g tau_s %.3f+-%.3f tau_d %.3f+-%.3f "
               "lnm %.4f lam %.4f\n", d1.mean[Q_S], d1.se[Q_S], d1.mean[Q_D], d1.se[Q_D],
               d1.mean[Q_P], d1.mean[Q_TAUS], d1.se[Q_TAUS], d1.mean[Q_TAUD], d1.se[Q_TAUD],
               d1.mean[Q_LNM], d1.mean[Q_LYAP]);
        printf("  sampled S %.4g+-%.2g D %.4g+-%.2g P %.3g tau_s %.3f+-%.3f tau_d %.3f+-%.3f "
               "lnm %.4f lam %.4f\n", s1.mean[Q_S], s1.se[Q_S], s1.mean[Q_D], s1.se[Q_D],
               s1.mean[Q_P], s1.mean[Q_TAUS], s1.se[Q_TAUS], s1.mean[Q_TAUD], s1.se[Q_TAUD],
               s1.mean[Q_LNM], s1.mean[Q_LYAP]);
        compare(pt, "  sampled-dense", &s1, &d1);
        if (i == 2 || i == np - 1) { /* the control: dense against dense, other networks */
            if (measure(pt, CS_ENGINE_DENSE, 303, &d2))
                return 1;
            compare(pt, "  dense-dense", &d2, &d1);
        }
    }
    if (failures) {
        printf("test_engines: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_engines: all passed\n");
    return 0;
}

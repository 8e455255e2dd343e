/* test_claim.c — the claim test (claim.h) on synthetic slabs of known truth: the Widom
 * line at a known σ_w² per σ_b², accuracy peaked either at the Widom line or at the
 * edge of chaos; the verdict must follow the truth, and the Widom intervals cover it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "critsweep/claim.h"
#include "critsweep/rng.h"

enum { B = 2, S = 41, SEEDS = 6 };
static const double WIDOM[B] = {1.05, 1.45}, EDGE[B] = {1.35, 1.75};

static double sw(int j) { return 0.6 + 1.6 * j / (S - 1); }

/* A slab: S̄ an arctan step at WIDOM[b]; accuracy a parabola peaked at `peak[b]`;
 * χ_1 = exp(3 (σ_w² − EDGE[b])), 1 at the edge. */
static void make_slab(cs_rng *r, const double *peak, double *size, double *acc, double *chi1)
{
    for (int b = 0; b < B; b++)
        for (int j = 0; j < S; j++) {
            long c = (long)b * S + j;
            double x = sw(j), z[2 * SEEDS];
            rng_fill_normal_double(r, z, 2 * SEEDS, 1.0);
            chi1[c] = exp(3 * (x - EDGE[b]));
            for (int k = 0; k < SEEDS; k++) {
                size[c * SEEDS + k] = 10 * atan((x - WIDOM[b]) / 0.1) + 0.5 * z[k];
                acc[c * SEEDS + k] = 0.85 - 0.4 * (x - peak[b]) * (x - peak[b]) +
                                     0.005 * z[SEEDS + k];
            }
        }
}

static claim_input slab_input(const double *size, const double *acc, const double *chi1,
                              uint64_t key, int replicates)
{
    static double sb[B] = {0, 0.05}, x[S];
    for (int j = 0; j < S; j++) x[j] = sw(j);
    return (claim_input){B, S, SEEDS, sb, x, size, acc, chi1, EDGE, key, replicates, 0.95};
}

static void test_verdicts(void)
{
    cs_rng r;
    rng_init(&r, 2024, 1);
    static double size[B * S * SEEDS], acc[B * S * SEEDS], chi1[B * S];
    const double *peaks[2] = {WIDOM, EDGE};
    const claim_verdict want[2] = {CLAIM_SUSCEPTIBILITY, CLAIM_EDGE};
    for (int t = 0; t < 2; t++) {
        make_slab(&r, peaks[t], size, acc, chi1);
        claim_input in = slab_input(size, acc, chi1, 7, 200);
        claim_result res;
        CHECK(claim_test(&in, &res) == 0, "claim_test runs");
        printf("accuracy peaked at the %s: rho_chi %.3f [%.3f, %.3f], rho_edge %.3f [%.3f, %.3f], "
               "diff %.3f [%.3f, %.3f]; distance form diff %.3f [%.3f, %.3f]; %s\n",
               t ? "edge" : "Widom line", res.rho_chi.est, res.rho_chi.lo, res.rho_chi.hi,
               res.rho_edge.est, res.rho_edge.lo, res.rho_edge.hi, res.rho_diff.est,
               res.rho_diff.lo, res.rho_diff.hi, res.rho_dist_diff.est, res.rho_dist_diff.lo,
               res.rho_dist_diff.hi, claim_verdict_name(res.verdict_dist));
        CHECK(res.verdict_dist == want[t], "distance-form verdict %d, want %d", res.verdict_dist,
              want[t]);
        for (int b = 0; b < B; b++) {
            printf("  sigma_b2 #%d: Widom %.4f [%.4f, %.4f] (true %.3f), ridge %.4f [%.4f, %.4f] "
                   "(true %.3f)\n", b, res.widom[b].est, res.widom[b].lo, res.widom[b].hi, WIDOM[b],
                   res.ridge[b].est, res.ridge[b].lo, res.ridge[b].hi, peaks[t][b]);
            CHECK(fabs(res.ridge[b].est - peaks[t][b]) < 0.05, "ridge %g vs %g", res.ridge[b].est,
                  peaks[t][b]);
        }
        claim_result res2;
        claim_test(&in, &res2);
        CHECK(res2.rho_diff.lo == res.rho_diff.lo && res2.widom[1].hi == res.widom[1].hi,
              "same key, same intervals");
        claim_result_free(&res2);
        claim_result_free(&res);
    }
}

/* The Widom intervals of independent synthetic slabs cover the truth. */
static void test_widom_coverage(int datasets)
{
    cs_rng r;
    rng_init(&r, 99, 2);
    static double size[B * S * SEEDS], acc[B * S * SEEDS], chi1[B * S];
    int covered = 0, total = 0;
    for (int k = 0; k < datasets; k++) {
        make_slab(&r, WIDOM, size, acc, chi1);
        claim_input in = slab_input(size, acc, chi1, 1000 + (uint64_t)k, 100);
        claim_result res;
        claim_test(&in, &res);
        for (int b = 0; b < B; b++, total++)
            covered += res.widom[b].lo <= WIDOM[b] && WIDOM[b] <= res.widom[b].hi;
        claim_result_free(&res);
    }
    printf("Widom line: 95 %% intervals cover the truth in %d of %d (need >= 85 %%)\n", covered,
           total);
    CHECK(covered >= 0.85 * total, "coverage %d/%d", covered, total);
}

int main(int argc, char **argv)
{
    test_verdicts();
    test_widom_coverage(argc > 1 ? atoi(argv[1]) : 20); /* 40 intervals; more by argument */
    return failures != 0;
}

/* test_avalanche.c — the avalanche engine against identities and closed forms.
 *
 *  1. Reference identity (README §2): σ_b² = 0, x0 = 0 → the baseline is exactly 0,
 *     so difference and absolute modes give bit-identical avalanches.
 *  2. Determinism and batching: the same key gives the same records; a network's first
 *     inputs give the same avalanches whether 60 or 100 inputs share the batch (so how
 *     rows are compacted does not matter).
 *  3. Conventions: strict vs reference on the same cascades — D_strict = D_ref + 1,
 *     S_strict − S_ref = √N (r_{k−1} − √q0) ≥ 0, counts of recorded/survived.
 *  4. Closed forms: linear φ: each ratio r_{ℓ+1}²/r_ℓ² ~ σ_w² χ²_N/N independently of
 *     the past, so ln m = ½(ln σ_w² + ψ(N/2) − ln(N/2)) and λ_0 the same; 4 standard
 *     errors.  ReLU at σ_b² = 0: λ_0 = ½ ln(σ_w²/2) (N → ∞) within 0.05 at N = 200.
 *     (tanh's λ_0 is checked against NumPy in tests/interop/test_lyapunov_numpy.py.)
 *  5. Memory: exactly the layers some avalanche reached are drawn.
 *  6. Profiles: √N Σ_l profile_sum(D, l) = Σ S over the recorded avalanches of duration D.
 *  7. Parameter checks name the field. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "critsweep/avalanche.h"
#include "critsweep/rng.h"

#include "check.h"

static void base_params(avalanche_params *p, int N, int L, double sw2, cs_activation a,
                        long K, long M)
{
    avalanche_params_default(p);
    p->width = N;
    p->depth = L;
    p->sigma_w2 = sw2;
    p->sigma_b2 = 0.0;
    p->activation = a;
    p->per_network = K;
    p->inputs = M;
    p->shape_dmin = 4;
    p->shape_dmax = 30;
    p->shape_min_count = 1;
    p->key = rng_task_key(7, (int)a, N, sw2, 0.0, 1);
}

static int run(const avalanche_params *p, avalanche_result *r)
{
    cs_err err = {0, ""};
    avalanche_result_init(r);
    int rc = avalanche_run(p, r, &err);
    CHECK(rc == 0, "avalanche_run failed: %s", err.msg);
    return rc;
}

static int same_records(const avalanche_result *a, const avalanche_result *b)
{
    return a->n_recorded == b->n_recorded &&
           memcmp(a->S, b->S, (size_t)a->n_recorded * sizeof *a->S) == 0 &&
           memcmp(a->D, b->D, (size_t)a->n_recorded * sizeof *a->D) == 0 &&
           memcmp(a->absorbed, b->absorbed, (size_t)a->n_recorded) == 0;
}

/* ψ and ψ' by their asymptotic series (x >= 8: truncation < 1e-12). */
static double digamma(double x)
{
    double x2 = 1 / (x * x);
    return log(x) - 0.5 / x - x2 * (1.0 / 12 - x2 * (1.0 / 120 - x2 / 252));
}

static double trigamma(double x)
{
    double x2 = 1 / (x * x);
    return 1 / x + 0.5 * x2 + x2 / x * (1.0 / 6 - x2 / 30);
}

static void test_reference_identity(void)
{
    cs_activation acts[] = {CS_ACT_TANH, CS_ACT_RELU, CS_ACT_HARDTANH};
    for (int i = 0; i < 3; i++) {
        avalanche_params p;
        base_params(&p, 48, 60, acts[i] == CS_ACT_RELU ? 2.0 : 1.0, acts[i], 100, 250);
        avalanche_result d, a;
        p.mode = CS_MODE_DIFFERENCE;
        if (run(&p, &d))
            return;
        p.mode = CS_MODE_ABSOLUTE;
        if (run(&p, &a)) {
            avalanche_result_free(&d);
            return;
        }
        int same = same_records(&d, &a) && d.n_survived == a.n_survived &&
                   d.branching == a.branching && d.layers_drawn == a.layers_drawn;
        CHECK(same, "%s: difference and absolute modes differ with sigma_b2 = 0 "
              "(recorded %ld vs %ld)", activation_name(acts[i]), d.n_recorded, a.n_recorded);
        printf("reference identity (%s, sigma_b2 = 0): %ld records bit-identical in "
               "difference and absolute mode\n", activation_name(acts[i]), d.n_recorded);
        avalanche_result_free(&d);
        avalanche_result_free(&a);
    }
    /* and with σ_b² > 0 the modes really differ (the absolute norm stays ~ N q*) */
    avalanche_params p;
    base_params(&p, 48, 60, 1.0, CS_ACT_TANH, 100, 100);
    p.sigma_b2 = 0.05;
    avalanche_result d, a;
    p.mode = CS_MODE_DIFFERENCE;
    run(&p, &d);
    p.mode = CS_MODE_ABSOLUTE;
    run(&p, &a);
    CHECK(a.n_survived == 100 && d.n_survived < 100,
          "sigma_b2 = 0.05: absolute mode should never absorb (survived %ld), difference "
          "mode should (survived %ld)", a.n_survived, d.n_survived);
    printf("sigma_b2 = 0.05: absolute mode survivors %ld/100, difference mode %ld/100\n",
           a.n_survived, d.n_survived);
    avalanche_result_free(&d);
    avalanche_result_free(&a);
}

/* Multiset inclusion of (S, D) pairs: every record of a is among b's. */
static int cmp_pair(const void *x, const void *y)
{
    const double *a = x, *b = y;
    if (a[1] != b[1])
        return a[1] < b[1] ? -1 : 1;
    return (a[0] > b[0]) - (a[0] < b[0]);
}

static long missing_records(const avalanche_result *a, const avalanche_result *b,
                            double *max_rel)
{
    double *pa = malloc(2 * (size_t)a->n_recorded * sizeof *pa);
    double *pb = malloc(2 * (size_t)b->n_recorded * sizeof *pb);
    for (long i = 0; i < a->n_recorded; i++)
        pa[2 * i] = a->S[i], pa[2 * i + 1] = a->D[i];
    for (long i = 0; i < b->n_recorded; i++)
        pb[2 * i] = b->S[i], pb[2 * i + 1] = b->D[i];
    qsort(pa, (size_t)a->n_recorded, 2 * sizeof *pa, cmp_pair);
    qsort(pb, (size_t)b->n_recorded, 2 * sizeof *pb, cmp_pair);
    long miss = 0, j = 0;
    *max_rel = 0;
    for (long i = 0; i < a->n_recorded; i++) {
        /* nearest S among b's records of the same D, consumed in order */
        while (j < b->n_recorded && (pb[2 * j + 1] < pa[2 * i + 1] ||
                                     (pb[2 * j + 1] == pa[2 * i + 1] &&
                                      pb[2 * j] < pa[2 * i] * (1 - 1e-5) - 1e-9)))
            j++;
        if (j < b->n_recorded && pb[2 * j + 1] == pa[2 * i + 1] &&
            fabs(pb[2 * j] - pa[2 * i]) <= 1e-5 * fabs(pa[2 * i]) + 1e-9) {
            *max_rel = fmax(*max_rel, fabs(pb[2 * j] - pa[2 * i]) / fmax(fabs(pa[2 * i]), 1e-300));
            j++;
        } else {
            miss++;
        }
    }
    free(pa);
    free(pb);
    return miss;
}

static void test_determinism(void)
{
    avalanche_params p;
    base_params(&p, 40, 80, 1.0, CS_ACT_TANH, 100, 250);
    avalanche_result a, b;
    run(&p, &a);
    run(&p, &b);
    CHECK(same_records(&a, &b) && a.lyapunov == b.lyapunov && a.branching == b.branching,
          "same key, different results");
    /* another seed differs */
    p.key = rng_task_key(7, 0, 40, 1.0, 0.0, 2);
    avalanche_result c;
    run(&p, &c);
    CHECK(!same_records(&a, &c), "different keys, same records");
    printf("determinism: same key -> %ld identical records; another key differs\n",
           a.n_recorded);
    avalanche_result_free(&a);
    avalanche_result_free(&b);
    avalanche_result_free(&c);

    /* the first 60 drives of network 0, alone or among 100 (different batches, different
     * compaction): the same avalanches.  S within 1e-5 relative (sgemm may round a row
     * differently in another position), D exactly.  Dense layers only: a sampled layer
     * draws the product of the rows it is given, so another batch gets other draws. */
    base_params(&p, 40, 80, 1.0, CS_ACT_TANH, 100, 60);
    p.engine = CS_ENGINE_DENSE;
    run(&p, &a);
    p.inputs = 100;
    run(&p, &b);
    double rel = 0;
    long miss = missing_records(&a, &b, &rel);
    CHECK(miss == 0, "%ld of %ld records of the 60-input batch are missing from the "
          "100-input batch", miss, a.n_recorded);
    CHECK(a.layers_drawn <= b.layers_drawn, "fewer inputs drew more layers");
    printf("batching: %ld records of 60 inputs found among the 100-input batch's %ld "
           "(max rel S diff %.1e, tol 1e-5; D exact)\n", a.n_recorded, b.n_recorded, rel);
    avalanche_result_free(&a);
    avalanche_result_free(&b);
}

static void test_conventions(void)
{
    avalanche_params p;
    base_params(&p, 40, 50, 1.05, CS_ACT_TANH, 150, 300);
    avalanche_result ref, st;
    p.convention = CS_CONV_REFERENCE;
    run(&p, &ref);
    p.convention = CS_CONV_STRICT;
    run(&p, &st);
    int L = p.depth;
    CHECK(ref.n_survived == st.n_survived && ref.P_surv == st.P_surv, "survivors differ");
    CHECK(st.n_recorded == p.inputs - st.n_survived,
          "strict records %ld, expected every absorbed avalanche (%ld)", st.n_recorded,
          p.inputs - st.n_survived);
    long n_abs_ref = 0, n_surv_ref = 0, bad = 0;
    for (long i = 0; i < ref.n_recorded; i++) {
        if (ref.absorbed[i])
            n_abs_ref++;
        else {
            n_surv_ref++;
            bad += ref.D[i] != L - 3;
        }
    }
    CHECK(bad == 0 && n_surv_ref == ref.n_survived,
          "reference survivors: %ld recorded (expected %ld), %ld with D != L - 3",
          n_surv_ref, ref.n_survived, bad);
    /* strict absorbed records with k = D + 1 in 2..L−1 are exactly the reference's
     * absorbed records, in the same order, with D one less */
    long j = 0, expect = 0, dbad = 0, sbad = 0;
    double max_gap = 0;
    for (long i = 0; i < st.n_recorded; i++) {
        long k = (long)st.D[i] + 1;
        if (k < 2 || k >= L)
            continue;
        expect++;
        while (j < ref.n_recorded && !ref.absorbed[j])
            j++;
        if (j >= ref.n_recorded) {
            dbad++;
            break;
        }
        if (ref.D[j] != st.D[i] - 1)
            dbad++;
        double gap = st.S[i] - ref.S[j];
        /* the gap is √N (r_{k−1} − √q0) >= 0; r_{k−1} is O(1) */
        if (!(gap >= -1e-9 * (1 + fabs(st.S[i]))) || gap > sqrt((double)p.width) * 10)
            sbad++;
        max_gap = fmax(max_gap, gap);
        j++;
    }
    CHECK(expect == n_abs_ref && dbad == 0 && sbad == 0,
          "strict vs reference: %ld matched of %ld reference absorbed records, %ld D "
          "mismatches, %ld S gaps out of range", expect, n_abs_ref, dbad, sbad);
    /* strict D = 0 (k = 1) records have no reference record (len(a) = 2) */
    long k1 = 0;
    for (long i = 0; i < st.n_recorded; i++)
        k1 += st.D[i] == 0;
    CHECK(ref.n_recorded == n_abs_ref + ref.n_survived, "reference record count %ld != "
          "%ld absorbed + %ld survivors", ref.n_recorded, n_abs_ref, ref.n_survived);
    printf("conventions: %ld absorbed, %ld survivors; reference keeps %ld (D shifted by 1, "
           "S gap in [0, %.2f]), drops %ld absorbed at k = 1\n", st.n_recorded,
           st.n_survived, ref.n_recorded, max_gap, k1);
    avalanche_result_free(&ref);
    avalanche_result_free(&st);
}

static void test_closed_forms(void)
{
    int N = 32;
    double sws[] = {1.0, 1.5};
    for (int i = 0; i < 2; i++) {
        avalanche_params p;
        /* K = 1: every input has its own network, so every ratio is an independent
         * draw.  (With K > 1 the rows of a network share each W and, in a linear
         * network, align with the top direction of the matrix product, so their ratios
         * are strongly correlated and the pairs are not independent samples.) */
        base_params(&p, N, 120, sws[i], CS_ACT_LINEAR, 1, 300);
        avalanche_result r;
        if (run(&p, &r))
            return;
        double x = N / 2.0;
        double expect = 0.5 * (log(sws[i]) + digamma(x) - log(x));
        double sd = 0.5 * sqrt(trigamma(x)); /* sd of ½ ln(χ²_N/N) */
        /* the number of pairs: k for an avalanche absorbed at k (= strict D + 1), L for
         * a survivor; from a strict run on the same key */
        p.convention = CS_CONV_STRICT;
        avalanche_result s;
        run(&p, &s);
        double pairs = 0;
        for (long j = 0; j < s.n_recorded; j++)
            pairs += s.D[j] + 1;
        pairs += (double)s.n_survived * p.depth;
        double se_m = sd / sqrt(pairs), se_l = sd / sqrt((double)r.layers_drawn);
        double dm = log(r.branching) - expect, dl = r.lyapunov - expect;
        printf("linear, sigma_w2 = %.1f, N = %d: ln m = %.5f, lambda_0 = %.5f, closed form "
               "%.5f; |diff| %.1e (4 SE = %.1e), %.1e (4 SE = %.1e)\n", sws[i], N,
               log(r.branching), r.lyapunov, expect, fabs(dm), 4 * se_m, fabs(dl), 4 * se_l);
        CHECK(fabs(dm) < 4 * se_m, "branching: ln m = %g, expected %g +- %g", log(r.branching),
              expect, se_m);
        CHECK(fabs(dl) < 4 * se_l, "lyapunov %g, expected %g +- %g", r.lyapunov, expect, se_l);
        avalanche_result_free(&r);
        avalanche_result_free(&s);
    }
    /* ReLU, σ_b² = 0: the tangent rides a driven trajectory, whose units are positive
     * half the time, so λ_0 → ½ ln(σ_w²/2) as N → ∞ (at N = 200 the finite-width bias
     * is about −0.01 and the standard error 0.003: tolerance 0.05).  Riding the baseline
     * 0 instead, φ'(0) = 0 annihilated the tangent and gave −∞. */
    const double relu_sws[] = {2.0, 4.0, 10.0};
    for (int i = 0; i < 3; i++) {
        avalanche_params p;
        base_params(&p, 200, 60, relu_sws[i], CS_ACT_RELU, 10, 200);
        avalanche_result r;
        if (run(&p, &r))
            return;
        double expect = 0.5 * log(relu_sws[i] / 2);
        printf("relu, sigma_w2 = %.0f, N = 200: lambda_0 = %.5f over %ld layers, "
               "1/2 ln(sigma_w2/2) = %.5f, |diff| %.1e (tol 0.05)\n", relu_sws[i],
               r.lyapunov, r.layers_drawn, expect, fabs(r.lyapunov - expect));
        CHECK(fabs(r.lyapunov - expect) < 0.05, "relu lyapunov %g vs %g", r.lyapunov, expect);
        avalanche_result_free(&r);
    }

    /* linear, σ_w² = 4 over 300 layers: r² would grow ~e^{1.39 ℓ}, past float range —
     * the engine stops those avalanches as survivors with finite S */
    avalanche_params p;
    avalanche_result r;
    double x = N / 2.0;
    base_params(&p, N, 300, 4.0, CS_ACT_LINEAR, 50, 100);
    run(&p, &r);
    long nonfinite = 0;
    for (long i = 0; i < r.n_recorded; i++)
        nonfinite += !isfinite(r.S[i]) || !isfinite(r.D[i]);
    CHECK(r.n_exploded > 0 && nonfinite == 0 && r.n_exploded <= r.n_survived &&
              isfinite(r.lyapunov) && fabs(r.lyapunov - 0.5 * (log(4.0) + digamma(x) - log(x))) < 0.05,
          "overflow: %ld exploded, %ld non-finite records, lyapunov %g", r.n_exploded,
          nonfinite, r.lyapunov);
    printf("overflow (linear, sigma_w2 = 4, L = 300): %ld of %ld stopped as exploded "
           "survivors, every S finite, lambda_0 %.3f\n", r.n_exploded, r.n_inputs, r.lyapunov);
    avalanche_result_free(&r);
}

static void test_layers_and_profiles(void)
{
    /* one network: the layers drawn are exactly 1..(deepest layer reached) */
    avalanche_params p;
    base_params(&p, 40, 70, 1.0, CS_ACT_TANH, 300, 300);
    p.convention = CS_CONV_STRICT;
    avalanche_result r;
    run(&p, &r);
    long deepest = r.n_survived ? p.depth : 0;
    for (long i = 0; i < r.n_recorded; i++)
        if ((long)r.D[i] + 1 > deepest)
            deepest = (long)r.D[i] + 1;
    CHECK(r.layers_drawn == deepest, "layers drawn %ld, deepest layer reached %ld",
          r.layers_drawn, deepest);
    printf("memory: one network, deepest layer reached %ld, layers drawn %ld (L_max %d)\n",
           deepest, r.layers_drawn, p.depth);
    avalanche_result_free(&r);

    /* several networks: at most n_net · L layers, and subcritical runs draw far fewer */
    base_params(&p, 40, 200, 0.5, CS_ACT_TANH, 100, 500);
    run(&p, &r);
    CHECK(r.layers_drawn <= 5 * 10, "subcritical sigma_w2 = 0.5: %ld layers drawn for 5 "
          "networks of depth 200", r.layers_drawn);
    printf("memory: sigma_w2 = 0.5, 5 networks of depth 200: %ld layers drawn\n",
           r.layers_drawn);
    avalanche_result_free(&r);

    /* profiles: √N Σ_l profile_sum(D, ·) = Σ S of the recorded avalanches of duration D */
    base_params(&p, 40, 60, 1.0, CS_ACT_TANH, 200, 400);
    run(&p, &r);
    double worst = 0;
    long counted = 0;
    for (int di = 0; di < r.n_profile_d; di++) {
        int D = p.shape_dmin + 1 + di;
        double sum_s = 0;
        long cnt = 0;
        for (long i = 0; i < r.n_recorded; i++)
            if ((int)r.D[i] == D) {
                sum_s += r.S[i];
                cnt++;
            }
        double ps = 0;
        for (int l = 0; l < D; l++)
            ps += r.profile_sum[(size_t)di * r.profile_stride + l];
        for (int l = D; l < r.profile_stride; l++)
            CHECK(r.profile_sum[(size_t)di * r.profile_stride + l] == 0,
                  "profile D=%d has entries beyond l = D", D);
        CHECK(cnt == r.profile_count[di], "profile count D=%d: %ld vs %ld", D,
              r.profile_count[di], cnt);
        worst = fmax(worst, fabs(sqrt(40.0) * ps - sum_s) / (1 + fabs(sum_s)));
        counted += cnt;
    }
    CHECK(worst < 1e-10, "profile sums vs S: rel diff %g", worst);
    printf("profiles: %ld avalanches in the window, sqrt(N)*sum V vs sum S max rel diff "
           "%.1e (tol 1e-10)\n", counted, worst);
    double sm = 0;
    for (long i = 0; i < r.n_recorded; i++)
        sm += r.S[i];
    CHECK(fabs(sm / (double)r.n_recorded - r.S_mean) < 1e-9 * (1 + fabs(r.S_mean)),
          "S_mean inconsistent");
    CHECK(fabs(r.P_surv - (double)r.n_survived / (double)r.n_inputs) < 1e-15, "P_surv");
    avalanche_result_free(&r);
}

static void test_checks(void)
{
    avalanche_params p;
    base_params(&p, 40, 60, 1.0, CS_ACT_TANH, 100, 100);
    cs_err err = {0, ""};
    CHECK(avalanche_params_check(&p, &err) == 0, "good params refused: %s", err.msg);
    struct {
        const char *field;
        void (*mutate)(avalanche_params *);
    } cases[] = {
        {"width", NULL}, {"depth", NULL}, {"sigma_w2", NULL}, {"q0", NULL},
        {"per_network", NULL}, {"inputs", NULL}, {"shape_window", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        avalanche_params q = p;
        switch (i) {
        case 0: q.width = 0; break;
        case 1: q.depth = 3; break;
        case 2: q.sigma_w2 = -1; break;
        case 3: q.q0 = 0; break;
        case 4: q.per_network = 0; break;
        case 5: q.inputs = 0; break;
        case 6: q.shape_dmax = q.shape_dmin + 1; break;
        }
        err.msg[0] = 0;
        int rc = avalanche_params_check(&q, &err);
        CHECK(rc == CS_EXIT_USAGE && strstr(err.msg, cases[i].field),
              "bad %s: rc %d, message '%s'", cases[i].field, rc, err.msg);
        avalanche_result r;
        avalanche_result_init(&r);
        CHECK(avalanche_run(&q, &r, &err) == CS_EXIT_USAGE, "run accepted bad %s",
              cases[i].field);
        avalanche_result_free(&r);
    }
    cs_convention c;
    cs_mode m;
    CHECK(convention_from_name("strict", &c) == 0 && c == CS_CONV_STRICT &&
              convention_from_name("bogus", &c) == -1 &&
              !strcmp(convention_name(CS_CONV_REFERENCE), "reference"),
          "convention names");
    CHECK(mode_from_name("absolute", &m) == 0 && m == CS_MODE_ABSOLUTE &&
              mode_from_name("x", &m) == -1 && !strcmp(mode_name(CS_MODE_DIFFERENCE), "difference"),
          "mode names");
    printf("parameter checks: every bad field named\n");
}

int main(void)
{
    test_reference_identity();
    test_determinism();
    test_conventions();
    test_closed_forms();
    test_layers_and_profiles();
    test_checks();
    if (failures) {
        fprintf(stderr, "test_avalanche: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_avalanche: all passed\n");
    return 0;
}

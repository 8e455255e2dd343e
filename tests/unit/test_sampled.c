/* test_sampled.c — sampled layers (net.h, README §1b) against their defining moments.
 *
 * For a fixed batch A (m, N), H = A·Wᵀ + b with W ~ Normal(0, σ_w²/N) iid has, for
 * every output coordinate i, H[:, i] − b_i ~ Normal(0, Σ) with Σ = (σ_w²/N) A Aᵀ,
 * independently over i.  Over T independent layers (different stream indices) and the N
 * coordinates, n = T·N samples: the sample mean of each row must be within 5 standard
 * errors √(Σ_aa/n) of 0, and each entry of the sample covariance within 5 standard
 * errors √((Σ_aa Σ_bb + Σ_ab²)/n) of Σ_ab (Isserlis; 5σ over at most 144 entries per
 * batch keeps the false-alarm rate below 1e-4 while a 3% error in the scale fails).
 * Batches: random; rank-deficient (a sum of two rows, a zero row, a repeated row);
 * m > N; nearly collinear rows (x_0 + 1e-3 perturbations), the last also in
 * difference form with a bias, checked on the differences h_i − h_0.
 *
 * Deterministically: Rᵀ R = A Aᵀ to float rounding, and — does factoring the
 * differences matter? — the variance of h_i − h_0 that the factor implies,
 * ‖R_i − R_0‖², against the exact ‖a_i − a_0‖² (double), factoring raw rows against
 * factoring differences, at ‖a_0‖/‖a_i − a_0‖ = 1e3. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "critsweep/net.h"
#include "critsweep/rng.h"

#include "check.h"

enum { MAXM = 12 };

/* (σ²/N) Σ_j (x_a − s·x_0)(x_b − s·x_0), s = 1 for differences: exact in double */
static void exact_cov(const float *A, int m, int N, double sw2, int diff, double *S)
{
    for (int a = 0; a < m; a++)
        for (int b = 0; b < m; b++) {
            double acc = 0;
            for (int j = 0; j < N; j++) {
                double xa = A[a * N + j], xb = A[b * N + j];
                if (diff && a > 0)
                    xa -= A[j];
                if (diff && b > 0)
                    xb -= A[j];
                acc += xa * xb;
            }
            S[a * m + b] = sw2 / N * acc;
        }
}

/* T layers of H = sampled(A); moments against Σ.  diff: rows 1..m−1 are driven rows in
 * difference form and the moments are those of (h_0 − b, h_i − h_0). */
static void moment_case(const char *name, const float *A0, int m, int N, int T, int diff,
                        double sb2)
{
    const double sw2 = 1.7;
    net_sampled s;
    net_sampled_init(&s, N, sw2, sb2, 0x5eed0000u + (uint64_t)m * 131 + (uint64_t)N);
    net_layer dense; /* for the bias: the sampled layer draws the dense layer's b */
    cs_err err = {0, ""};
    if (net_layer_init(&dense, N, sw2, sb2, s.key, &err)) {
        CHECK(0, "%s", err.msg);
        return;
    }
    float *A = malloc((size_t)m * N * sizeof *A), *H = malloc((size_t)m * N * sizeof *H);
    double mean[MAXM] = {0}, C[MAXM * MAXM] = {0}, S[MAXM * MAXM];
    exact_cov(A0, m, N, sw2, diff, S);
    for (int t = 0; t < T; t++) {
        memcpy(A, A0, (size_t)m * N * sizeof *A);
        int rc = net_sampled_forward(&s, 3, t + 1, A, H, m, diff ? 1 : m, diff ? m - 1 : 0);
        CHECK(rc == 0, "%s: out of memory", name);
        net_layer_draw(&dense, 3, t + 1);
        for (int j = 0; j < N; j++) {
            double y[MAXM];
            for (int a = 0; a < m; a++) {
                y[a] = (double)H[a * N + j];
                if (diff && a > 0)
                    y[a] -= (double)H[j];
                else
                    y[a] -= (double)dense.b[j];
            }
            for (int a = 0; a < m; a++) {
                mean[a] += y[a];
                for (int b = 0; b < m; b++)
                    C[a * m + b] += y[a] * y[b];
            }
        }
    }
    double n = (double)T * N, worst_m = 0, worst_c = 0;
    for (int a = 0; a < m; a++) {
        double se = sqrt(S[a * m + a] / n);
        double z = se > 0 ? fabs(mean[a] / n) / se : (mean[a] == 0 ? 0 : INFINITY);
        if (z > worst_m)
            worst_m = z;
        for (int b = 0; b < m; b++) {
            double sab = S[a * m + b];
            double se2 = sqrt((S[a * m + a] * S[b * m + b] + sab * sab) / n);
            double c = C[a * m + b] / n;
            /* a zero row must give exactly zero */
            double z2 = se2 > 0 ? fabs(c - sab) / se2 : (c == 0 ? 0 : INFINITY);
            if (z2 > worst_c)
                worst_c = z2;
        }
    }
    printf("%-28s m = %2d, N = %3d, rank %2d, %d layers: worst |mean| %.2f SE, worst "
           "|cov - (s2/N) X X^T| %.2f SE (tolerance 5)\n",
           name, m, N, s.rank, T, worst_m, worst_c);
    CHECK(worst_m < 5, "%s: mean off by %.2f standard errors", name, worst_m);
    CHECK(worst_c < 5, "%s: covariance off by %.2f standard errors", name, worst_c);
    free(A);
    free(H);
    net_layer_free(&dense);
    net_sampled_free(&s);
}

static void fill(float *x, size_t n, uint64_t stream, float sd)
{
    cs_rng r;
    rng_init(&r, 99, stream);
    rng_fill_normal(&r, x, n, sd);
}

/* ‖R_i − R_0‖² from the factor of (raw or differenced) rows vs exact ‖a_i − a_0‖² */
static double diff_error(const float *A0, int m, int N, int differenced)
{
    net_sampled s;
    net_sampled_init(&s, N, 1.0, 0.0, 1);
    float *A = malloc((size_t)m * N * sizeof *A);
    memcpy(A, A0, (size_t)m * N * sizeof *A);
    if (differenced)
        for (int r = 1; r < m; r++)
            for (int j = 0; j < N; j++)
                A[r * N + j] -= A[j];
    int k = net_sampled_factor(&s, A, m);
    double worst = 0;
    for (int i = 1; i < m; i++) {
        double got = 0, want = 0;
        for (int t = 0; t < k; t++) {
            double d = differenced ? s.R[t * m + i] : (double)s.R[t * m + i] - s.R[t * m];
            got += d * d;
        }
        for (int j = 0; j < N; j++) {
            double d = (double)A0[i * N + j] - A0[j];
            want += d * d;
        }
        double e = fabs(got - want) / want;
        if (e > worst)
            worst = e;
    }
    free(A);
    net_sampled_free(&s);
    return worst;
}

int main(void)
{
    enum { N = 40 };
    float A[MAXM * N];

    fill(A, 6 * N, 1, 1.0f);
    moment_case("random", A, 6, N, 4000, 0, 0);

    fill(A, 8 * N, 2, 0.7f);
    for (int j = 0; j < N; j++) {
        A[3 * N + j] = A[1 * N + j] + A[2 * N + j]; /* linear combination */
        A[5 * N + j] = 0;                            /* a zero row */
        A[6 * N + j] = A[0 * N + j];                 /* a repeated row */
    }
    moment_case("rank-deficient", A, 8, N, 4000, 0, 0);

    float Aw[MAXM * 5];
    fill(Aw, 12 * 5, 3, 1.0f);
    moment_case("m > N", Aw, 12, 5, 30000, 0, 0);

    /* nearly collinear: a_i = a_0 + 1e-3·u_i */
    fill(A, 10 * N, 4, 1.0f);
    for (int r = 1; r < 10; r++)
        for (int j = 0; j < N; j++)
            A[r * N + j] = A[j] + 1e-3f * A[r * N + j];
    moment_case("nearly collinear", A, 10, N, 4000, 0, 0);
    moment_case("nearly collinear, diffs+bias", A, 10, N, 4000, 1, 0.3);

    /* Rᵀ R = A Aᵀ */
    {
        net_sampled s;
        net_sampled_init(&s, N, 1.0, 0.0, 1);
        fill(A, 12 * N, 5, 1.0f);
        int k = net_sampled_factor(&s, A, 12);
        double worst = 0, S[MAXM * MAXM];
        exact_cov(A, 12, N, N, 0, S);
        for (int a = 0; a < 12; a++)
            for (int b = 0; b < 12; b++) {
                double g = 0;
                for (int t = 0; t < k; t++)
                    g += (double)s.R[t * 12 + a] * s.R[t * 12 + b];
                double e = fabs(g - S[a * 12 + b]) / sqrt(S[a * 12 + a] * S[b * 12 + b]);
                if (e > worst)
                    worst = e;
            }
        printf("R^T R vs A A^T: rank %d, largest difference %.1e of sqrt(S_aa S_bb) "
               "(tolerance 1e-6)\n", k, worst);
        CHECK(k == 12 && worst < 1e-6, "R^T R differs from A A^T by %g", worst);
        net_sampled_free(&s);
    }

    /* does factoring the differences matter?  ‖a_0‖ ≈ 6.3, ‖a_i − a_0‖ ≈ 6.3e-3 */
    {
        int m = 10;
        fill(A, m * N, 6, 1.0f);
        for (int r = 1; r < m; r++)
            for (int j = 0; j < N; j++)
                A[r * N + j] = A[j] + 1e-3f * A[r * N + j];
        double raw = diff_error(A, m, N, 0), dif = diff_error(A, m, N, 1);
        printf("variance of h_i - h_0 implied by the factor, ||a_0||/||a_i - a_0|| = 1e3: "
               "relative error %.1e factoring raw rows, %.1e factoring differences\n", raw, dif);
        CHECK(dif < 1e-5, "differenced factor: relative error %g", dif);
    }

    if (failures) {
        printf("test_sampled: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_sampled: all passed\n");
    return 0;
}

/* crit_penalty.c — the criticality penalty and its gradient (crit_penalty.h). */
#include "critsweep/crit_penalty.h"

#include <cblas.h>
#include <math.h>

#include "critsweep/rng.h"

/* φ′(h) from the stored activation a = φ(h) (slope itself for erf). */
static void slope_of(const train_net *n, int l, int B, float *s)
{
    size_t slab = (size_t)n->max_batch * n->width, m = (size_t)B * n->width;
    const float *a = n->acts + l * slab;
    for (size_t k = 0; k < m; k++) {
        switch (n->activation) {
        case CS_ACT_TANH: s[k] = 1.0f - a[k] * a[k]; break;
        case CS_ACT_HARDTANH: s[k] = fabsf(a[k]) < 1.0f ? 1.0f : 0.0f; break;
        case CS_ACT_RELU: s[k] = a[k] > 0.0f ? 1.0f : 0.0f; break;
        case CS_ACT_ERF: s[k] = n->slope[l * slab + k]; break;
        default: s[k] = 1.0f; break;
        }
    }
}

/* Rows of v (B, N): the next B unit Gaussian directions of r. */
static void directions(cs_rng *r, int B, int N, float *v)
{
    rng_fill_normal(r, v, (size_t)B * N, 1.0f);
    for (int b = 0; b < B; b++) {
        float *vb = v + (size_t)b * N;
        double norm = 0;
        for (int k = 0; k < N; k++) norm += (double)vb[k] * vb[k];
        float inv = (float)(1.0 / sqrt(norm));
        for (int k = 0; k < N; k++) vb[k] *= inv;
    }
}

/* Rows of u (B, N) := φ′ ⊙ v with v unit Gaussian directions. */
static void tangents(const train_net *n, int l, int B, cs_rng *r, float *u)
{
    size_t m = (size_t)B * n->width;
    slope_of(n, l - 1, B, u + m); /* φ′ of the layer's input, parked in y */
    directions(r, B, n->width, u);
    for (size_t k = 0; k < m; k++) u[k] *= u[m + k];
}

void crit_penalty_directions(const train_net *n, int B, uint64_t key, long step, float *v)
{
    cs_rng r;
    rng_init(&r, key, rng_stream_id(CS_STREAM_CRIT_PENALTY, (uint64_t)step));
    for (int l = 1; l < n->depth; l++)
        directions(&r, B, n->width, v + (size_t)(l - 1) * B * n->width);
}

double crit_penalty(train_net *n, int B, double weight, uint64_t key, long step, float *scratch)
{
    int N = n->width;
    float *u = scratch, *y = scratch + (size_t)B * N;
    cs_rng r;
    rng_init(&r, key, rng_stream_id(CS_STREAM_CRIT_PENALTY, (uint64_t)step));
    double P = 0;
    for (int l = 1; l < n->depth; l++) {
        const float *W = n->params + n->w_off[l];
        tangents(n, l, B, &r, u);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, N, N, 1.0f, u, N, W, N, 0.0f, y,
                    N);
        for (int b = 0; b < B; b++) {
            float *yb = y + (size_t)b * N;
            double g2 = 0;
            for (int k = 0; k < N; k++) g2 += (double)yb[k] * yb[k];
            double lg = 0.5 * log(g2);
            P += lg * lg / B;
            float c = (float)(weight * 2.0 * lg / (B * g2)); /* row b of ∂P/∂W^l's factor */
            for (int k = 0; k < N; k++) yb[k] *= c;
        }
        if (weight != 0) /* grads W^l (N_out, N_in) += Σ_b c_b y_b u_bᵀ */
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N, N, B, 1.0f, y, N, u, N, 1.0f,
                        n->grads + n->w_off[l], N);
    }
    return P;
}

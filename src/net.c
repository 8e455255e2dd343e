/* net.c — random layers drawn on demand and batched propagation through them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

#include "critsweep/common.h"
#include "critsweep/net.h"
#include "critsweep/rng.h"

int net_layer_init(net_layer *l, int width, double sigma_w2, double sigma_b2, uint64_t key,
                   cs_err *err)
{
    memset(l, 0, sizeof *l);
    l->width = width;
    l->sigma_w2 = sigma_w2;
    l->sigma_b2 = sigma_b2;
    l->key = key;
    l->network = -1;
    size_t n = (size_t)width * (size_t)width + (size_t)width;
    size_t bytes = (n * sizeof(float) + 63) & ~(size_t)63;
    l->params = aligned_alloc(64, bytes);
    if (!l->params)
        return cs_fail(err, CS_EXIT_ERROR,
                       "out of memory for one %dx%d layer (%.1f MB); lower the width",
                       width, width, (double)bytes / 1e6);
    l->Wt = l->params;
    l->b = l->params + (size_t)width * (size_t)width;
    return 0;
}

void net_layer_free(net_layer *l)
{
    free(l->params);
    l->params = l->Wt = l->b = NULL;
}

void net_layer_draw(net_layer *l, long network, int layer)
{
    size_t N = (size_t)l->width;
    uint64_t index = ((uint64_t)network << 20) | (uint64_t)layer;
    cs_rng r;
    rng_init(&r, l->key, rng_stream_id(CS_STREAM_WEIGHTS, index));
    rng_fill_normal(&r, l->Wt, N * N, (float)sqrt(l->sigma_w2 / (double)N));
    if (l->sigma_b2 > 0) {
        rng_init(&r, l->key, rng_stream_id(CS_STREAM_BIASES, index));
        rng_fill_normal(&r, l->b, N, (float)sqrt(l->sigma_b2));
    } else {
        memset(l->b, 0, N * sizeof *l->b);
    }
    l->network = network;
    l->layer = layer;
}

void net_layer_forward(const net_layer *l, const float *A, float *H, int B, int bias_rows)
{
    int N = l->width;
    if (B <= 0)
        return;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, N, N, 1.0f, A, N, l->Wt, N,
                0.0f, H, N);
    if (l->sigma_b2 > 0)
        for (int r = 0; r < bias_rows && r < B; r++) {
            float *h = H + (size_t)r * N;
            for (int i = 0; i < N; i++)
                h[i] += l->b[i];
        }
}

/* ---------------------------------------------------------------- sampled layers */

/* LAPACK from OpenBLAS (built without LAPACKE): the Fortran symbol. */
extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
extern void dpstrf_(const char *uplo, const int *n, double *a, const int *lda, int *piv,
                    int *rank, const double *tol, double *work, int *info);

void net_sampled_init(net_sampled *s, int width, double sigma_w2, double sigma_b2,
                      uint64_t key)
{
    memset(s, 0, sizeof *s);
    s->width = width;
    s->sigma_w2 = sigma_w2;
    s->sigma_b2 = sigma_b2;
    s->key = key;
    s->revision = 2;
}

void net_sampled_free(net_sampled *s)
{
    free(s->gram);
    free(s->gram_copy);
    free(s->chunk);
    free(s->R);
    free(s->Gt);
    free(s->b);
    free(s->piv);
    free(s->work);
    s->gram = s->gram_copy = s->chunk = s->work = NULL;
    s->R = s->Gt = s->b = NULL;
    s->piv = NULL;
    s->cap = 0;
}

/* Grows the buffers to m rows (at least doubling, so growth is rare). */
static int sampled_reserve(net_sampled *s, int m)
{
    if (m <= s->cap)
        return 0;
    int cap = s->cap * 2 > m ? s->cap * 2 : m;
    size_t c = (size_t)cap, N = (size_t)s->width;
    net_sampled_free(s);
    s->gram = malloc(c * c * sizeof *s->gram);
    s->gram_copy = malloc(c * c * sizeof *s->gram_copy);
    s->chunk = malloc(c * NET_GRAM_CHUNK * sizeof *s->chunk);
    s->R = malloc(c * c * sizeof *s->R);
    s->Gt = malloc(c * N * sizeof *s->Gt);
    s->b = malloc(N * sizeof *s->b);
    s->piv = malloc(c * sizeof *s->piv);
    s->work = malloc(2 * c * sizeof *s->work);
    if (!s->gram || !s->gram_copy || !s->chunk || !s->R || !s->Gt || !s->b || !s->piv || !s->work) {
        net_sampled_free(s);
        return -1;
    }
    s->cap = cap;
    return 0;
}

int net_sampled_factor(net_sampled *s, const float *A, int m)
{
    const int N = s->width;
    if (sampled_reserve(s, m))
        return -1;
    /* A Aᵀ in double, slab by slab of columns: the Gram of float data is exact to double
     * rounding, so nearly collinear rows keep their small differences */
    for (int c0 = 0; c0 < N; c0 += NET_GRAM_CHUNK) {
        int w = N - c0 < NET_GRAM_CHUNK ? N - c0 : NET_GRAM_CHUNK;
        for (int r = 0; r < m; r++) {
            const float *a = A + (size_t)r * N + c0;
            double *d = s->chunk + (size_t)r * w;
            for (int j = 0; j < w; j++)
                d[j] = (double)a[j];
        }
        /* row-major upper = column-major lower, which dpstrf reads with uplo 'L' */
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, m, w, 1.0, s->chunk, w,
                    c0 ? 1.0 : 0.0, s->gram, m);
    }
    int n = m, lda = m, info = 1;
    if (s->revision >= 2) {
        memcpy(s->gram_copy, s->gram, (size_t)m * m * sizeof *s->gram);
        dpotrf_("L", &n, s->gram, &lda, &info);
        if (info)
            memcpy(s->gram, s->gram_copy, (size_t)m * m * sizeof *s->gram);
    }
    if (info == 0) {
        /* R = Lᵀ: row t holds L(q, t), q ≥ t, at gram[t·m + q] in the column-major view */
        for (int t = 0; t < m; t++) {
            float *Rt = s->R + (size_t)t * m;
            const double *Lt = s->gram + (size_t)t * m;
            memset(Rt, 0, (size_t)t * sizeof *Rt);
            for (int q = t; q < m; q++)
                Rt[q] = (float)Lt[q];
        }
        s->pivoted = 0;
        s->rank = m;
        return m;
    }
    /* Pᵀ (A Aᵀ) P = L Lᵀ, stopping at the numerical rank (LAPACK's default tolerance,
     * m·eps·max diag): what it drops is rounding, not a regulariser, so no jitter */
    int rank = 0;
    double tol = -1.0;
    info = 0;
    dpstrf_("L", &n, s->gram, &lda, s->piv, &rank, &tol, s->work, &info);
    if (info < 0)
        rank = 0; /* cannot happen with these arguments */
    if (info == 0)
        rank = m;
    /* R = Lᵀ Pᵀ: row t holds L(s, t) for s ≥ t at column piv[s] − 1; L(s, t) sits at
     * gram[t·m + s] in the column-major view */
    for (int t = 0; t < rank; t++) {
        float *Rt = s->R + (size_t)t * m;
        const double *Lt = s->gram + (size_t)t * m;
        memset(Rt, 0, (size_t)m * sizeof *Rt);
        for (int q = t; q < m; q++)
            Rt[s->piv[q] - 1] = (float)Lt[q];
    }
    s->pivoted = 1;
    s->rank = rank;
    return rank;
}

int net_sampled_forward(net_sampled *s, long network, int layer, float *A, float *H, int m,
                        int bias_rows, int diff_rows)
{
    const int N = s->width;
    const size_t rowN = (size_t)N;
    if (m <= 0)
        return 0;
    for (int r = 1; r <= diff_rows; r++) {
        float *a = A + (size_t)r * rowN;
        for (int j = 0; j < N; j++)
            a[j] -= A[j];
    }
    int k = net_sampled_factor(s, A, m);
    if (k < 0)
        return -1;
    uint64_t index = ((uint64_t)network << 20) | (uint64_t)layer;
    double t0 = cs_now_s();
    cs_rng r;
    /* a triangular R (k = m) multiplies Gᵀ in place in H: strmm does half the flops of
     * sgemm; a pivoted R is a general (k, m) matrix */
    float *Gt = s->pivoted ? s->Gt : H;
    if (k > 0) {
        rng_init(&r, s->key, rng_stream_id(CS_STREAM_SAMPLED, index));
        rng_fill_normal(&r, Gt, (size_t)k * rowN, (float)sqrt(s->sigma_w2 / (double)N));
    }
    int bias = s->sigma_b2 > 0 && bias_rows > 0;
    if (bias) {
        rng_init(&r, s->key, rng_stream_id(CS_STREAM_BIASES, index));
        rng_fill_normal(&r, s->b, rowN, (float)sqrt(s->sigma_b2));
    }
    s->seconds_draw += cs_now_s() - t0;
    if (k > 0 && !s->pivoted)
        cblas_strmm(CblasRowMajor, CblasLeft, CblasUpper, CblasTrans, CblasNonUnit, m, N,
                    1.0f, s->R, m, H, N);
    else if (k > 0)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, m, N, k, 1.0f, s->R, m, s->Gt,
                    N, 0.0f, H, N);
    else
        memset(H, 0, (size_t)m * rowN * sizeof *H);
    if (bias)
        for (int q = 0; q < bias_rows && q < m; q++) {
            float *h = H + (size_t)q * rowN;
            for (int i = 0; i < N; i++)
                h[i] += s->b[i];
        }
    for (int q = 1; q <= diff_rows; q++) {
        float *h = H + (size_t)q * rowN;
        for (int i = 0; i < N; i++)
            h[i] += H[i];
    }
    return 0;
}

/* Cost model of one layer (seconds of one thread): least squares in relative error on
 * CPU-time measurements of both paths on an idle Skylake-X core (OpenBLAS 0.3.21), N =
 * 250-2000, m = 8-512, 28 points.  The dense model is within 0.92-1.06 of every point,
 * the sampled one within 0.86-1.18 for m < N (above N it runs dpstrf on a singular
 * Gram and costs up to 4x the model, where dense wins by 4-9x anyway).  The rule uses
 * only the ratio, and it picks the faster path at all 28 points; the closest call is
 * N = 500, m = 256 (sampled 1.08x dense).  Near criticality m is a few dozen and
 * sampled wins 7x (N = 500, m = 32) to 30x (N = 2000). */
#define DENSE_NN_S 1.37e-9      /* per N² (the normals of W) */
#define DENSE_NNM_S 9.81e-12    /* per N²·m (sgemm, 2 flops each) */
#define SAMPLED_FIXED_S 2.2e-7  /* per layer (LAPACK/BLAS call overhead) */
#define SAMPLED_NM_S 2.42e-9    /* per N·m (normals, conversion to double, adds) */
#define SAMPLED_NMM_S 2.20e-11  /* per N·m² (dsyrk in double, dpotrf, strmm) */

double net_dense_cost_s(int width, int m)
{
    double N = width;
    return N * N * DENSE_NN_S + N * N * m * DENSE_NNM_S;
}

double net_sampled_cost_s(int width, int m)
{
    double N = width, k = m < width ? m : width;
    return SAMPLED_FIXED_S + N * k * SAMPLED_NM_S + N * m * k * SAMPLED_NMM_S;
}

/* Revision 1's model (0.2.x: dpstrf and sgemm always), fitted the same way on a shared
 * machine, kept so that its files resume with the same per-layer choices. */
static int preferred_rev1(int width, int m)
{
    double N = width, k = m < width ? m : width;
    double dense = N * N * 4.51e-9 + N * N * m * 2.74e-11;
    double sampled = 8.1e-6 + N * k * 6.48e-9 + N * m * k * 1.19e-10;
    return sampled < dense;
}

int net_sampled_preferred(int width, int m, int revision)
{
    if (width > NET_MAX_DENSE_WIDTH)
        return 1; /* an N×N layer would not fit */
    if (revision < 2)
        return preferred_rev1(width, m);
    return net_sampled_cost_s(width, m) < net_dense_cost_s(width, m);
}

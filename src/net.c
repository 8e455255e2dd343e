/* net.c — random layers drawn on demand and batched propagation through them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

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

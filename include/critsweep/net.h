/* net.h — one layer of a random deep network (README §1), drawn on demand.
 *
 * A network is never held whole: the avalanche engine draws layer ℓ of network n when
 * some avalanche reaches it, pushes the whole batch through it with one sgemm, and
 * draws layer ℓ+1 into the same buffer.  Memory O(N²) per network, whatever L_max.
 *
 * Streams (rng.h): W^ℓ of network n from CS_STREAM_WEIGHTS, index n << 20 | ℓ, as
 * N·N normals of standard deviation sqrt(σ_w²/N) filling W column by column, i.e. the
 * stored array is Wᵀ row-major: Wt[j·N + i] = W[i][j] (output i, input j).  That layout
 * makes the engine's product a NoTrans·NoTrans sgemm, which OpenBLAS runs ~6% faster
 * than NoTrans·Trans on the engine's mix of row counts (25-35% faster below 16 rows).
 * b^ℓ from CS_STREAM_BIASES with the same index, N normals of standard deviation
 * sqrt(σ_b²) (none drawn, and b = 0 exactly, when σ_b² = 0). */
#ifndef CRITSWEEP_NET_H
#define CRITSWEEP_NET_H

#include <stdint.h>

#include "critsweep/common.h"

/* Layer indices are 20 bits of the stream index. */
#define NET_MAX_LAYER ((1 << 20) - 1)

typedef struct {
    int width;          /* N */
    double sigma_w2, sigma_b2;
    uint64_t key;       /* task key */
    long network;       /* which network the current contents belong to (-1: none) */
    int layer;          /* which layer (1-based) */
    float *params;      /* (N*N + N) one contiguous block: Wᵀ then b */
    float *Wt;          /* (N, N) Wᵀ row-major: Wt[j*N + i] = W[i][j], output i, input j */
    float *b;           /* (N) */
} net_layer;

/* Allocates the buffer (64-byte aligned). 0, or CS_EXIT_ERROR with a message. */
int net_layer_init(net_layer *l, int width, double sigma_w2, double sigma_b2, uint64_t key,
                   cs_err *err);
void net_layer_free(net_layer *l);
/* Draws layer `layer` (1..NET_MAX_LAYER) of network `network` into l. */
void net_layer_draw(net_layer *l, long network, int layer);

/* H = A·Wᵀ (+ b on rows [0, bias_rows)): batch-major, one cblas_sgemm (NoTrans·NoTrans
 * on the stored Wt).
 * A (B, N) holds φ(h^{ℓ-1}) row by row, H (B, N) receives h^ℓ.  Rows from bias_rows on
 * get no bias (tangent vectors). */
void net_layer_forward(const net_layer *l, const float *A, float *H, int B, int bias_rows);

#endif

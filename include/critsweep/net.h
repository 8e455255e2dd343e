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
/* Widest dense layer (N·N floats indexable with int products); sampled layers go to
 * NET_MAX_WIDTH, the grid's limit. */
#define NET_MAX_DENSE_WIDTH 46340
#define NET_MAX_WIDTH 65536

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

/* Sampled layers (README §1b).  W^ℓ enters a network only through H = A·W^ℓᵀ, and given
 * A (m, N) each output column H[:, i] = A w_i is Normal(0, (σ_w²/N) A Aᵀ), independently
 * over i.  With A Aᵀ = Rᵀ R (pivoted Cholesky, LAPACK dpstrf, in double; R k×m, k the
 * numerical rank ≤ min(m, N)) and G an N×k matrix of Normal(0, σ_w²/N) draws,
 * H = (G R)ᵀ = Rᵀ Gᵀ has exactly that distribution: N·k normals and ~3·N·m² flops
 * instead of N² normals and 2·N²·m flops, and no N×N matrix.  It cannot replay stored
 * weights (the dense layer does that).  Gᵀ (k, N) row-major comes from
 * CS_STREAM_SAMPLED, index network << 20 | layer; b^ℓ from CS_STREAM_BIASES with the
 * same index, i.e. the very bias the dense layer draws.
 *
 * Buffers grow with the largest m seen: memory O(N·m + m²), never N². */
typedef struct {
    int width;          /* N */
    double sigma_w2, sigma_b2;
    uint64_t key;
    int cap;            /* rows the buffers hold */
    double *gram;       /* (cap, cap) A Aᵀ, then its Cholesky factor */
    double *gram_copy;  /* (cap, cap) A Aᵀ kept for dpstrf when dpotrf fails */
    double *chunk;      /* (cap, NET_GRAM_CHUNK) a column slab of A in double */
    float *R;           /* (cap, cap) R = Lᵀ Pᵀ, row-major (k, m) */
    float *Gt;          /* (cap, N) Gᵀ */
    float *b;           /* (N) */
    int *piv;           /* (cap) */
    double *work;       /* (2 cap) dpstrf */
    int rank;           /* k of the last factorisation */
    int pivoted;        /* 1: R = Lᵀ Pᵀ from dpstrf; 0: R = Lᵀ upper triangular (k = m) */
    int revision;       /* avalanche engine_revision: 1 always pivots (0.2.x) */
    double seconds_draw; /* time spent drawing G and b, accumulated */
} net_sampled;

/* Columns of A converted to double per dsyrk call (a slab stays in L2). */
#define NET_GRAM_CHUNK 256

void net_sampled_init(net_sampled *s, int width, double sigma_w2, double sigma_b2,
                      uint64_t key);
void net_sampled_free(net_sampled *s);
/* R with Rᵀ R = A Aᵀ (to rounding) into s->R, (s->rank, m) row-major; returns the rank,
 * or -1 when out of memory.  Revision 2 (net_sampled_init's default) tries plain
 * Cholesky (dpotrf) first: when it completes its factor
 * is backward stable even for an ill-conditioned Gram (each column of R has the norm of
 * its row of A), and it is 2-3x cheaper than pivoting.  Only when it stops at a
 * non-positive pivot (a Gram singular to rounding: repeated, zero or dependent rows)
 * does pivoted Cholesky (dpstrf) take over and cut R at the numerical rank. */
int net_sampled_factor(net_sampled *s, const float *A, int m);
/* H (m, N) ~ A·W^ℓᵀ (+ b on rows [0, bias_rows)) for layer `layer` of `network`.
 * diff_rows > 0: rows 1..diff_rows of A are driven rows whose difference from row 0 is
 * what matters; they are replaced in place by a_r − a_0 before factoring (so the
 * factorisation never has to resolve a small difference of two large rows), and
 * H's rows 1..diff_rows become h_0 + (a_r − a_0)·Wᵀ (bias_rows must then be ≤ 1).
 * 0, or -1 when out of memory. */
int net_sampled_forward(net_sampled *s, long network, int layer, float *A, float *H, int m,
                        int bias_rows, int diff_rows);

/* The fixed per-layer rule of engine `auto`: 1 if a sampled layer is cheaper than a
 * dense one for m rows at width N (a cost model measured once, net.c; it depends on
 * (N, m) and the engine revision alone, never on timing). */
int net_sampled_preferred(int width, int m, int revision);
/* Modelled cost in seconds of one layer at (N, m), each engine (for `check`, bench;
 * the newest revision). */
double net_dense_cost_s(int width, int m);
double net_sampled_cost_s(int width, int m);

#endif

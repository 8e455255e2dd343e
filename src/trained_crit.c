/* trained_crit.c — branching parameter and λ_0 of a trained MLP (trained_crit.h). */
#include "critsweep/trained_crit.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "critsweep/activation.h"
#include "critsweep/rng.h"

/* Images per batch (rows: base, driven, and the tangent of each). */
#define TC_BATCH 256

typedef struct {
    const train_net *n;
    int rows;         /* 3 B: base images, driven images, tangents */
    float *h, *a;     /* (rows, max(in_dim, width)) pre-activations, layer inputs */
    float *slope;     /* (B, width) φ′ of the base rows */
    double log_ratio, log_growth;
    long terms;
} tc_ctx;

void trained_layer(const train_net *n, int l, const float *a, float *h, int rows, int bias_rows)
{
    int in = n->fan_in[l], out = n->fan_out[l];
    const float *W = n->params + n->w_off[l], *b = n->params + n->b_off[l];
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, out, in, 1.0f, a, in, W, in, 0.0f,
                h, out);
    for (int r = 0; r < bias_rows; r++)
        for (int j = 0; j < out; j++) h[(size_t)r * out + j] += b[j];
}

static double row_distance(const float *x, const float *y, int N)
{
    double s = 0;
    for (int k = 0; k < N; k++) s += ((double)x[k] - y[k]) * ((double)x[k] - y[k]);
    return sqrt(s);
}

static double row_norm(const float *x, int N)
{
    double s = 0;
    for (int k = 0; k < N; k++) s += (double)x[k] * x[k];
    return sqrt(s);
}

/* Rows [0, B): images; [B, 2B): images + δ; [2B, 3B): unit random tangents at h^1. */
static void first_layer(tc_ctx *c, const float *x, int B, double q0, uint64_t key, long batch)
{
    const train_net *n = c->n;
    int D = n->in_dim, N = n->width;
    cs_rng r;
    rng_init(&r, key, rng_stream_id(CS_STREAM_TRAINED_CRIT, (uint64_t)batch));
    memcpy(c->a, x, (size_t)B * D * sizeof *c->a);
    float *drive = c->a + (size_t)B * D;
    rng_fill_normal(&r, drive, (size_t)B * D, 1.0f);
    for (int i = 0; i < B; i++) {
        float *d = drive + (size_t)i * D, s = (float)(sqrt(q0) / row_norm(d, D));
        for (int k = 0; k < D; k++) d[k] = x[(size_t)i * D + k] + s * d[k];
    }
    trained_layer(n, 0, c->a, c->h, 2 * B, 2 * B);
    float *t = c->h + (size_t)2 * B * N;
    rng_fill_normal(&r, t, (size_t)B * N, 1.0f);
    for (int i = 0; i < B; i++) {
        float s = (float)(1.0 / row_norm(t + (size_t)i * N, N));
        for (int k = 0; k < N; k++) t[(size_t)i * N + k] *= s;
    }
}

/* From h^l to h^{l+1} over the hidden layers, accumulating both logs. */
static void hidden_layers(tc_ctx *c, int B)
{
    const train_net *n = c->n;
    int N = n->width;
    float *base = c->a, *tan = c->a + (size_t)2 * B * N;
    for (int l = 1; l < n->depth; l++) {
        for (int i = 0; i < B; i++) {
            double r = row_distance(c->h + (size_t)i * N, c->h + (size_t)(B + i) * N, N);
            double g = row_norm(c->h + (size_t)(2 * B + i) * N, N);
            c->log_ratio -= log(r);
            c->log_growth -= log(g);
        }
        activation_forward(n->activation, c->h, base, (size_t)2 * B * N);
        activation_slope(n->activation, c->h, c->slope, (size_t)B * N);
        for (size_t k = 0; k < (size_t)B * N; k++) tan[k] = c->h[(size_t)2 * B * N + k] * c->slope[k];
        trained_layer(n, l, c->a, c->h, 3 * B, 2 * B);
        for (int i = 0; i < B; i++) {
            double r = row_distance(c->h + (size_t)i * N, c->h + (size_t)(B + i) * N, N);
            double g = row_norm(c->h + (size_t)(2 * B + i) * N, N);
            c->log_ratio += log(r);
            c->log_growth += log(g);
            float *t = c->h + (size_t)(2 * B + i) * N, s = (float)(1.0 / g);
            for (int k = 0; k < N; k++) t[k] *= s; /* renormalised each layer */
        }
        c->terms += B;
    }
}

int trained_criticality(const train_net *n, const float *x, long count, double q0, uint64_t key,
                        double *branching, double *lyapunov, cs_err *err)
{
    *branching = *lyapunov = NAN;
    if (n->depth < 2 || count <= 0) return 0;
    int wide = n->in_dim > n->width ? n->in_dim : n->width;
    tc_ctx c = {.n = n};
    c.h = malloc((size_t)3 * TC_BATCH * wide * sizeof *c.h);
    c.a = malloc((size_t)3 * TC_BATCH * wide * sizeof *c.a);
    c.slope = malloc((size_t)TC_BATCH * n->width * sizeof *c.slope);
    if (!c.h || !c.a || !c.slope) {
        free(c.h), free(c.a), free(c.slope);
        return cs_fail(err, CS_EXIT_ERROR, "trained criticality: out of memory");
    }
    for (long start = 0, batch = 0; start < count; start += TC_BATCH, batch++) {
        int B = count - start < TC_BATCH ? (int)(count - start) : TC_BATCH;
        first_layer(&c, x + (size_t)start * n->in_dim, B, q0, key, batch);
        hidden_layers(&c, B);
    }
    if (c.terms > 0) {
        *branching = exp(c.log_ratio / c.terms);
        *lyapunov = c.log_growth / c.terms;
    }
    free(c.h), free(c.a), free(c.slope);
    return 0;
}

/* Counts, per hidden unit of every layer, the rows of one batch where φ′ < flat_slope. */
static void count_flat(const train_net *n, const float *x, int B, double flat_slope, float *h,
                       float *a, long *flat)
{
    int N = n->width;
    const float *in = x;
    for (int l = 0; l < n->depth; l++) {
        trained_layer(n, l, in, h, B, B);
        activation_slope(n->activation, h, a, (size_t)B * N);
        for (int i = 0; i < B; i++)
            for (int k = 0; k < N; k++) flat[(size_t)l * N + k] += a[(size_t)i * N + k] < flat_slope;
        activation_forward(n->activation, h, a, (size_t)B * N);
        in = a;
    }
}

double trained_inactive_fraction(const train_net *n, const float *x, long count,
                                 double flat_slope, double flat_share)
{
    int N = n->width, wide = n->in_dim > N ? n->in_dim : N;
    long units = (long)n->depth * N;
    float *h = malloc((size_t)TC_BATCH * wide * sizeof *h);
    float *a = malloc((size_t)TC_BATCH * wide * sizeof *a);
    long *flat = calloc((size_t)units, sizeof *flat);
    double share = NAN;
    if (h && a && flat && count > 0) {
        for (long start = 0; start < count; start += TC_BATCH) {
            int B = count - start < TC_BATCH ? (int)(count - start) : TC_BATCH;
            count_flat(n, x + (size_t)start * n->in_dim, B, flat_slope, h, a, flat);
        }
        long inactive = 0;
        for (long u = 0; u < units; u++) inactive += flat[u] >= flat_share * count;
        share = (double)inactive / units;
    }
    free(h), free(a), free(flat);
    return share;
}

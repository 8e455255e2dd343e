/* train.c — does this initialisation learn? (README §6)
 *
 * An MLP 784 → N → … → N → 10 trained batch-major with OpenBLAS sgemm.  Layout: one
 * contiguous parameter block; layer l holds W^l (fan_out, fan_in) row-major (PyTorch's
 * nn.Linear layout) followed by b^l, each layer starting on a 64-byte boundary.  Grads
 * and optimizer state use the same offsets.
 *
 * Per layer and batch (X: (B, fan_in), Z, A: (B, fan_out)):
 *   forward   Z = X W^T                     sgemm N,T
 *             A = φ(Z + b)                  one fused pass (bias + activation, in place)
 *   backward  dZ = dA ⊙ φ'(.), db = Σ_rows dZ   one fused pass (φ' from A; erf keeps φ')
 *             dX = dZ W                     sgemm N,N (skipped for the input layer)
 *             dW = dZ^T X                   sgemm T,N, fused with the update:
 *               SGD       W ← W − lr dZ^T X          (alpha = −lr, beta = 1 into W)
 *               momentum  v ← μ v + dZ^T X, p ← p − lr v   (beta = μ into v; PyTorch's form)
 *               Adam      dW into grads, then PyTorch's Adam update of the layer
 * Each layer is updated right after its own gradient, while its weights are still in
 * cache, and after dX has used them.  keep_grads = 1 switches to the textbook
 * grads-then-update form (the tests compare the two).
 *
 * With train.criticality_weight w > 0 the loss is L_CE + w·P (crit_penalty.h): P reads
 * every hidden-to-hidden W^l, so all gradients come first (the textbook form), then the
 * penalty adds w·∂P/∂W^l, then one update.  w = 0 never reaches that path. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

#include "critsweep/common.h"
#include "critsweep/crit_penalty.h"
#include "critsweep/rng.h"
#include "critsweep/train.h"

/* φ and φ' here are the same functions as activation.c's (same definitions, same kink
 * conventions), evaluated with glibc's libmvec (≥ 2.35) vectorised tanhf/erff/expf
 * (libm.so pulls libmvec in as needed), fused with the bias add and the φ' product.
 * Why not activation_forward: at the time of writing gcc does not vectorise its tanh
 * loop ("control flow in loop"), and it cost 23% of training time at N = 256.  The two
 * agree to a few 1e-7 relative.  Without AVX2 or with an older glibc the scalar libm
 * functions are used. */
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35)) && \
    (defined(__AVX512F__) || defined(__AVX2__))
#include <immintrin.h>
#if defined(__AVX512F__)
#define VW 16
typedef __m512 vf;
extern __m512 _ZGVeN16v_tanhf(__m512);
extern __m512 _ZGVeN16v_erff(__m512);
extern __m512 _ZGVeN16v_expf(__m512);
#define VLOAD _mm512_loadu_ps
#define VSTORE _mm512_storeu_ps
#define VADD _mm512_add_ps
#define VMUL _mm512_mul_ps
#define VSET1 _mm512_set1_ps
#define VTANH _ZGVeN16v_tanhf
#define VERF _ZGVeN16v_erff
#define VEXP _ZGVeN16v_expf
#else
#define VW 8
typedef __m256 vf;
extern __m256 _ZGVdN8v_tanhf(__m256);
extern __m256 _ZGVdN8v_erff(__m256);
extern __m256 _ZGVdN8v_expf(__m256);
#define VLOAD _mm256_loadu_ps
#define VSTORE _mm256_storeu_ps
#define VADD _mm256_add_ps
#define VMUL _mm256_mul_ps
#define VSET1 _mm256_set1_ps
#define VTANH _ZGVdN8v_tanhf
#define VERF _ZGVdN8v_erff
#define VEXP _ZGVdN8v_expf
#endif
#endif

#define ERF_SCALE 0.88622692545275801365f /* sqrt(pi)/2: φ(x) = erf(sqrt(pi)/2 x) */
#define ERF_SLOPE_K 0.78539816339744830962f /* pi/4: φ'(x) = exp(-pi x²/4) */
#define EVAL_BATCH 1000

static const char *opt_names[] = {"sgd", "momentum", "adam"};

static void *alloc_floats(size_t n)
{
    size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
    if (!bytes)
        bytes = 64;
    float *p = aligned_alloc(64, bytes);
    if (p)
        memset(p, 0, bytes);
    return p;
}

/* ---- fused element-wise kernels ---- */

/* h ← φ(h + b) row by row for h (B, n); slope (B, n) ← φ'(h + b) when not NULL (erf). */
static void act_forward(cs_activation a, float *h, const float *b, float *slope, int B, int n)
{
    for (int r = 0; r < B; r++) {
        float *z = h + (size_t)r * n;
        float *s = slope ? slope + (size_t)r * n : NULL;
        int j = 0;
        switch (a) {
        case CS_ACT_TANH:
#ifdef VW
            for (; j + VW <= n; j += VW)
                VSTORE(z + j, VTANH(VADD(VLOAD(z + j), VLOAD(b + j))));
#endif
            for (; j < n; j++)
                z[j] = tanhf(z[j] + b[j]);
            break;
        case CS_ACT_ERF:
#ifdef VW
            for (; j + VW <= n; j += VW) {
                vf x = VADD(VLOAD(z + j), VLOAD(b + j));
                VSTORE(z + j, VERF(VMUL(x, VSET1(ERF_SCALE))));
                VSTORE(s + j, VEXP(VMUL(VMUL(x, x), VSET1(-ERF_SLOPE_K))));
            }
#endif
            for (; j < n; j++) {
                float x = z[j] + b[j];
                z[j] = erff(ERF_SCALE * x);
                s[j] = expf(-ERF_SLOPE_K * x * x);
            }
            break;
        case CS_ACT_HARDTANH:
            for (; j < n; j++) {
                float x = z[j] + b[j];
                z[j] = x < -1.0f ? -1.0f : x > 1.0f ? 1.0f : x;
            }
            break;
        case CS_ACT_RELU:
            for (; j < n; j++) {
                float x = z[j] + b[j];
                z[j] = x > 0.0f ? x : 0.0f;
            }
            break;
        default: /* linear */
            for (; j < n; j++)
                z[j] += b[j];
            break;
        }
    }
}

/* d ← d ⊙ φ'(h) from the stored activation a = φ(h) (or slope for erf), and
 * db ← db + Σ_rows d, for d, a (B, n).  The derivative conventions at kinks are
 * PyTorch's: ReLU' = [h > 0], hardtanh' = [−1 < h < 1]. */
static void act_backward(cs_activation act, float *restrict d, const float *restrict a,
                         const float *restrict slope, float *restrict db, int B, int n)
{
    for (int r = 0; r < B; r++) {
        float *restrict dr = d + (size_t)r * n;
        const float *restrict ar = a + (size_t)r * n;
        switch (act) {
        case CS_ACT_TANH:
            for (int j = 0; j < n; j++) {
                float g = dr[j] * (1.0f - ar[j] * ar[j]);
                dr[j] = g;
                db[j] += g;
            }
            break;
        case CS_ACT_ERF: {
            const float *restrict sr = slope + (size_t)r * n;
            for (int j = 0; j < n; j++) {
                float g = dr[j] * sr[j];
                dr[j] = g;
                db[j] += g;
            }
            break;
        }
        case CS_ACT_HARDTANH:
            for (int j = 0; j < n; j++) {
                float g = (ar[j] > -1.0f && ar[j] < 1.0f) ? dr[j] : 0.0f;
                dr[j] = g;
                db[j] += g;
            }
            break;
        case CS_ACT_RELU:
            for (int j = 0; j < n; j++) {
                float g = ar[j] > 0.0f ? dr[j] : 0.0f;
                dr[j] = g;
                db[j] += g;
            }
            break;
        default:
            for (int j = 0; j < n; j++)
                db[j] += dr[j];
            break;
        }
    }
}

/* Mean softmax cross-entropy of logits z (B, C) (bias already added), stable
 * log-sum-exp; d (B, C) ← (softmax − onehot)/B when not NULL. */
static double softmax_xent(const float *z, const unsigned char *y, float *d, int B, int C)
{
    double loss = 0;
    float invB = 1.0f / (float)B;
    for (int r = 0; r < B; r++) {
        const float *zr = z + (size_t)r * C;
        float m = zr[0];
        for (int j = 1; j < C; j++)
            m = zr[j] > m ? zr[j] : m;
        float s = 0;
        for (int j = 0; j < C; j++)
            s += expf(zr[j] - m);
        float lse = m + logf(s);
        loss += (double)(lse - zr[y[r]]);
        if (d) {
            float *dr = d + (size_t)r * C;
            for (int j = 0; j < C; j++)
                dr[j] = expf(zr[j] - lse) * invB;
            dr[y[r]] -= invB;
        }
    }
    return loss / B;
}

/* ---- network ---- */

static void layer_gemm_forward(const train_net *n, int l, const float *in, int B, float *out)
{
    const float *W = n->params + n->w_off[l];
    /* out (B, fan_out) = in (B, fan_in) · W^T */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, n->fan_out[l], n->fan_in[l], 1.0f,
                in, n->fan_in[l], W, n->fan_in[l], 0.0f, out, n->fan_out[l]);
}

static void add_bias(float *z, const float *b, int B, int C)
{
    for (int r = 0; r < B; r++)
        for (int j = 0; j < C; j++)
            z[(size_t)r * C + j] += b[j];
}

/* Forward of the training batch: hidden activations into acts (and slope), logits. */
static void forward_train(train_net *n, const float *x, int B)
{
    const float *in = x;
    size_t slab = (size_t)n->max_batch * n->width;
    for (int l = 0; l < n->depth; l++) {
        float *out = n->acts + l * slab;
        layer_gemm_forward(n, l, in, B, out);
        act_forward(n->activation, out, n->params + n->b_off[l],
                    n->slope ? n->slope + l * slab : NULL, B, n->width);
        in = out;
    }
    int L = n->depth;
    layer_gemm_forward(n, L, in, B, n->logits);
    add_bias(n->logits, n->params + n->b_off[L], B, n->classes);
}

/* The optimizer rule on params[lo, hi) from grads (PyTorch's equations). */
static void apply_rule(train_net *n, size_t lo, size_t hi)
{
    float *restrict p = n->params, *restrict g = n->grads;
    float lr = n->lr;
    switch (n->optimizer) {
    case CS_OPT_SGD:
        for (size_t i = lo; i < hi; i++)
            p[i] -= lr * g[i];
        break;
    case CS_OPT_MOMENTUM: {
        float *restrict v = n->state1, mu = n->momentum;
        for (size_t i = lo; i < hi; i++) {
            v[i] = mu * v[i] + g[i];
            p[i] -= lr * v[i];
        }
        break;
    }
    case CS_OPT_ADAM: {
        float *restrict m = n->state1, *restrict v = n->state2;
        float b1 = n->beta1, b2 = n->beta2, eps = n->eps;
        double bc1 = 1.0 - pow(n->beta1, (double)n->step);
        double bc2 = 1.0 - pow(n->beta2, (double)n->step);
        float step_size = (float)(n->lr / bc1);
        float inv_bc2_sqrt = (float)(1.0 / sqrt(bc2));
        for (size_t i = lo; i < hi; i++) {
            m[i] = b1 * m[i] + (1.0f - b1) * g[i];
            v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
            p[i] -= step_size * m[i] / (sqrtf(v[i]) * inv_bc2_sqrt + eps);
        }
        break;
    }
    }
}

/* Weight gradient of layer l (dz (B, fan_out), in (B, fan_in)) and, if step, its update.
 * db (fan_out) is the bias gradient already summed; it may live in grads. */
static void layer_update(train_net *n, int l, const float *dz, const float *in, int B,
                         const float *db, int step)
{
    int fo = n->fan_out[l], fi = n->fan_in[l];
    float *W = n->params + n->w_off[l], *b = n->params + n->b_off[l];
    size_t lo = n->w_off[l], hi = n->b_off[l] + (size_t)fo;
    if (step && !n->keep_grads && n->optimizer == CS_OPT_SGD) {
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, fo, fi, B, -n->lr, dz, fo, in, fi,
                    1.0f, W, fi);
        for (int j = 0; j < fo; j++)
            b[j] -= n->lr * db[j];
        return;
    }
    if (step && !n->keep_grads && n->optimizer == CS_OPT_MOMENTUM) {
        float *v = n->state1;
        float mu = n->momentum, lr = n->lr;
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, fo, fi, B, 1.0f, dz, fo, in, fi,
                    mu, v + n->w_off[l], fi);
        float *vb = v + n->b_off[l];
        for (int j = 0; j < fo; j++)
            vb[j] = mu * vb[j] + db[j];
        float *restrict p = n->params;
        for (size_t i = lo; i < hi; i++)
            p[i] -= lr * v[i];
        return;
    }
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, fo, fi, B, 1.0f, dz, fo, in, fi, 0.0f,
                n->grads + n->w_off[l], fi);
    float *gb = n->grads + n->b_off[l];
    if (db != gb)
        memcpy(gb, db, (size_t)fo * sizeof *gb);
    if (step)
        apply_rule(n, lo, hi);
}

/* Forward, backward and (if step) the update; returns the mean loss. */
static double forward_backward(train_net *n, const float *x, const unsigned char *y, int B,
                               int step)
{
    forward_train(n, x, B);
    double loss = softmax_xent(n->logits, y, n->dlogits, B, n->classes);
    if (step)
        n->step++;
    /* With grads wanted (no step, keep_grads, Adam) bias gradients go straight there. */
    int to_grads = !step || n->keep_grads || n->optimizer == CS_OPT_ADAM;
    size_t slab = (size_t)n->max_batch * n->width;
    const float *dz = n->dlogits;
    int L = n->depth;
    float *db = to_grads ? n->grads + n->b_off[L] : n->dbias;
    memset(db, 0, (size_t)n->classes * sizeof *db);
    for (int r = 0; r < B; r++)
        for (int j = 0; j < n->classes; j++)
            db[j] += dz[(size_t)r * n->classes + j];
    for (int l = L; l >= 0; l--) {
        const float *in = l ? n->acts + (size_t)(l - 1) * slab : x;
        float *dprev = NULL;
        if (l > 0) {
            /* dprev (B, fan_in) = dz (B, fan_out) · W (fan_out, fan_in), before W changes */
            dprev = n->dbuf + (size_t)(l & 1) * slab;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, n->fan_in[l],
                        n->fan_out[l], 1.0f, dz, n->fan_out[l], n->params + n->w_off[l],
                        n->fan_in[l], 0.0f, dprev, n->fan_in[l]);
        }
        layer_update(n, l, dz, in, B, db, step);
        if (l > 0) {
            db = to_grads ? n->grads + n->b_off[l - 1] : n->dbias;
            memset(db, 0, (size_t)n->width * sizeof *db);
            act_backward(n->activation, dprev, n->acts + (size_t)(l - 1) * slab,
                         n->slope ? n->slope + (size_t)(l - 1) * slab : NULL, db, B, n->width);
            dz = dprev;
        }
    }
    return loss;
}

int train_net_init(train_net *n, const train_params *p, int in_dim, int classes,
                   int max_batch, cs_err *err)
{
    memset(n, 0, sizeof *n);
    if (in_dim < 1 || classes < 2 || max_batch < 1)
        return cs_fail(err, CS_EXIT_USAGE, "network: input dim %d, classes %d, batch %d must be "
                       "positive (classes >= 2)", in_dim, classes, max_batch);
    n->in_dim = in_dim;
    n->width = p->width;
    n->depth = p->depth;
    n->classes = classes;
    n->n_layers = p->depth + 1;
    n->max_batch = max_batch;
    n->activation = p->activation;
    n->optimizer = p->optimizer;
    n->lr = (float)p->lr;
    n->momentum = (float)p->momentum;
    n->beta1 = 0.9f;
    n->beta2 = 0.999f;
    n->eps = 1e-8f;
    int L = n->n_layers;
    n->fan_in = calloc((size_t)L, sizeof *n->fan_in);
    n->fan_out = calloc((size_t)L, sizeof *n->fan_out);
    n->w_off = calloc((size_t)L, sizeof *n->w_off);
    n->b_off = calloc((size_t)L, sizeof *n->b_off);
    if (!n->fan_in || !n->fan_out || !n->w_off || !n->b_off)
        goto oom;
    size_t off = 0;
    n->flops_per_sample = 0;
    for (int l = 0; l < L; l++) {
        n->fan_in[l] = l == 0 ? in_dim : p->width;
        n->fan_out[l] = l == L - 1 ? classes : p->width;
        size_t wn = (size_t)n->fan_in[l] * (size_t)n->fan_out[l];
        n->w_off[l] = off;
        n->b_off[l] = off + wn;
        off = (off + wn + (size_t)n->fan_out[l] + 15) / 16 * 16; /* 64-byte aligned layers */
        n->n_real += wn + (size_t)n->fan_out[l];
        /* forward and dW always; dX for every layer but the first */
        n->flops_per_sample += 2.0 * (double)wn * (l == 0 ? 2 : 3);
    }
    n->n_params = off;
    size_t slab = (size_t)max_batch * (size_t)p->width;
    int wide = p->width > classes ? p->width : classes;
    n->params = alloc_floats(off);
    n->grads = alloc_floats(off);
    n->state1 = alloc_floats(off);
    n->state2 = p->optimizer == CS_OPT_ADAM ? alloc_floats(off) : NULL;
    n->x = alloc_floats((size_t)max_batch * (size_t)in_dim);
    n->acts = alloc_floats((size_t)p->depth * slab);
    n->slope = p->activation == CS_ACT_ERF ? alloc_floats((size_t)p->depth * slab) : NULL;
    n->dbuf = alloc_floats(2 * slab);
    n->logits = alloc_floats((size_t)max_batch * (size_t)classes);
    n->dlogits = alloc_floats((size_t)max_batch * (size_t)classes);
    n->dbias = alloc_floats((size_t)wide);
    n->crit_weight = p->criticality_weight;
    n->crit_key = p->key;
    n->crit_last = NAN;
    n->crit_scratch = n->crit_weight > 0 ? alloc_floats(3 * slab) : NULL;
    if ((n->crit_weight > 0 && !n->crit_scratch) || !n->params || !n->grads || !n->state1 || (p->optimizer == CS_OPT_ADAM && !n->state2) ||
        !n->x || !n->acts || (p->activation == CS_ACT_ERF && !n->slope) || !n->dbuf ||
        !n->logits || !n->dlogits || !n->dbias)
        goto oom;
    return 0;
oom:
    train_net_free(n);
    return cs_fail(err, CS_EXIT_ERROR, "network %d x %d, batch %d: out of memory", p->width,
                   p->depth, max_batch);
}

void train_net_init_params(train_net *n, uint64_t key, double sigma_w2, double sigma_b2)
{
    memset(n->params, 0, n->n_params * sizeof *n->params);
    memset(n->state1, 0, n->n_params * sizeof *n->state1);
    if (n->state2)
        memset(n->state2, 0, n->n_params * sizeof *n->state2);
    n->step = 0;
    for (int l = 0; l < n->n_layers; l++) {
        cs_rng r;
        rng_init(&r, key, rng_stream_id(CS_STREAM_TRAIN_INIT, (uint64_t)l));
        size_t wn = (size_t)n->fan_in[l] * (size_t)n->fan_out[l];
        rng_fill_normal(&r, n->params + n->w_off[l], wn,
                        (float)sqrt(sigma_w2 / n->fan_in[l]));
        if (sigma_b2 > 0)
            rng_fill_normal(&r, n->params + n->b_off[l], (size_t)n->fan_out[l],
                            (float)sqrt(sigma_b2));
    }
}

double train_net_loss(train_net *n, const float *x, const unsigned char *y, int B)
{
    forward_train(n, x, B);
    return softmax_xent(n->logits, y, NULL, B, n->classes);
}

double train_net_grad(train_net *n, const float *x, const unsigned char *y, int B)
{
    return forward_backward(n, x, y, B, 0);
}

double train_net_step(train_net *n, const float *x, const unsigned char *y, int B)
{
    if (!(n->crit_weight > 0))
        return forward_backward(n, x, y, B, 1);
    double loss = forward_backward(n, x, y, B, 0); /* dL_CE/dθ into grads, no update */
    /* the tangent stream is the step's number, so a resumed or repeated run draws the
     * same v_b; acts (the trajectory) are still the batch's */
    n->crit_last = crit_penalty(n, B, n->crit_weight, n->crit_key, n->step, n->crit_scratch);
    train_net_apply(n);
    return loss;
}

void train_net_apply(train_net *n)
{
    n->step++;
    apply_rule(n, 0, n->n_params);
}

double train_net_accuracy(train_net *n, const float *x, const unsigned char *y, long count)
{
    if (count <= 0)
        return NAN;
    int eb = count < EVAL_BATCH ? (int)count : EVAL_BATCH;
    int wide = n->width > n->classes ? n->width : n->classes;
    float *h0 = alloc_floats((size_t)eb * (size_t)wide);
    float *h1 = alloc_floats((size_t)eb * (size_t)wide);
    if (!h0 || !h1) {
        free(h0);
        free(h1);
        return NAN;
    }
    long correct = 0;
    for (long start = 0; start < count; start += eb) {
        int B = count - start < eb ? (int)(count - start) : eb;
        const float *in = x + (size_t)start * (size_t)n->in_dim;
        float *bufs[2] = {h0, h1};
        for (int l = 0; l < n->n_layers; l++) {
            float *out = bufs[l & 1];
            layer_gemm_forward(n, l, in, B, out);
            if (l < n->depth)
                act_forward(n->activation, out, n->params + n->b_off[l], NULL, B, n->width);
            else
                add_bias(out, n->params + n->b_off[l], B, n->classes);
            in = out;
        }
        for (int r = 0; r < B; r++) {
            const float *z = in + (size_t)r * n->classes;
            int best = 0;
            for (int j = 1; j < n->classes; j++)
                if (z[j] > z[best])
                    best = j;
            correct += best == y[start + r];
        }
    }
    free(h0);
    free(h1);
    return (double)correct / (double)count;
}

void train_net_free(train_net *n)
{
    if (!n)
        return;
    free(n->fan_in);
    free(n->fan_out);
    free(n->w_off);
    free(n->b_off);
    free(n->params);
    free(n->grads);
    free(n->state1);
    free(n->state2);
    free(n->x);
    free(n->acts);
    free(n->slope);
    free(n->dbuf);
    free(n->logits);
    free(n->dlogits);
    free(n->dbias);
    free(n->crit_scratch);
    memset(n, 0, sizeof *n);
}

/* ---- parameters, results, the training loop ---- */

int optimizer_from_name(const char *name, cs_optimizer *out)
{
    for (int i = 0; i < 3; i++)
        if (name && !strcmp(name, opt_names[i])) {
            *out = (cs_optimizer)i;
            return 0;
        }
    return -1;
}

const char *optimizer_name(cs_optimizer o)
{
    return (unsigned)o < 3 ? opt_names[o] : "unknown";
}

void train_params_default(train_params *p)
{
    memset(p, 0, sizeof *p);
    p->width = 128;
    p->depth = 10;
    p->sigma_w2 = 1.0;
    p->sigma_b2 = 0.0;
    p->activation = CS_ACT_TANH;
    p->epochs = 5;
    p->batch = 128;
    p->lr = 0.01;
    p->momentum = 0.9;
    p->optimizer = CS_OPT_MOMENTUM;
    p->key = 0;
}

int train_params_check(const train_params *p, cs_err *err)
{
    if (p->width < 1 || p->width > 65536)
        return cs_fail(err, CS_EXIT_USAGE, "width %d out of range 1..65536", p->width);
    if (p->depth < 1 || p->depth > 100000)
        return cs_fail(err, CS_EXIT_USAGE, "depth (hidden layers) %d out of range 1..100000",
                       p->depth);
    if (!(p->sigma_w2 >= 0) || !isfinite(p->sigma_w2))
        return cs_fail(err, CS_EXIT_USAGE, "sigma_w2 %g must be finite and >= 0", p->sigma_w2);
    if (!(p->sigma_b2 >= 0) || !isfinite(p->sigma_b2))
        return cs_fail(err, CS_EXIT_USAGE, "sigma_b2 %g must be finite and >= 0", p->sigma_b2);
    if ((unsigned)p->activation >= CS_ACT_COUNT)
        return cs_fail(err, CS_EXIT_USAGE, "activation index %d unknown", (int)p->activation);
    if (p->epochs < 1 || p->epochs > 100000)
        return cs_fail(err, CS_EXIT_USAGE, "epochs %d out of range 1..100000", p->epochs);
    if (p->batch < 1 || p->batch > 1000000)
        return cs_fail(err, CS_EXIT_USAGE, "batch %d out of range 1..1000000", p->batch);
    if (!(p->lr > 0) || !isfinite(p->lr))
        return cs_fail(err, CS_EXIT_USAGE, "lr %g must be finite and > 0", p->lr);
    if (!(p->momentum >= 0 && p->momentum < 1))
        return cs_fail(err, CS_EXIT_USAGE, "momentum %g must be in [0, 1)", p->momentum);
    if ((unsigned)p->optimizer > CS_OPT_ADAM)
        return cs_fail(err, CS_EXIT_USAGE, "optimizer index %d unknown", (int)p->optimizer);
    if (!(p->criticality_weight >= 0) || !isfinite(p->criticality_weight))
        return cs_fail(err, CS_EXIT_USAGE, "criticality_weight %g must be finite and >= 0",
                       p->criticality_weight);
    return 0;
}

void train_result_init(train_result *r)
{
    memset(r, 0, sizeof *r);
    r->test_accuracy = NAN;
    r->train_loss = NAN;
    r->samples_per_s = NAN;
}

void train_result_free(train_result *r)
{
    if (!r)
        return;
    free(r->train_loss_per_epoch);
    free(r->test_accuracy_per_epoch);
    free(r->crit_penalty_per_epoch);
    train_result_init(r);
}

int train_run(const train_params *p, const data_bundle *data, train_result *out, cs_err *err)
{
    return train_run_progress(p, data, out, err, NULL, NULL);
}

/* A fresh permutation each epoch: Fisher–Yates from identity, stream (SHUFFLE, e). */
static void epoch_permutation(uint32_t *perm, long n, uint64_t key, int e)
{
    cs_rng r;
    rng_init(&r, key, rng_stream_id(CS_STREAM_SHUFFLE, (uint64_t)e));
    for (long i = 0; i < n; i++)
        perm[i] = (uint32_t)i;
    for (long i = n - 1; i > 0; i--) {
        long j = (long)rng_below(&r, (uint64_t)i + 1);
        uint32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

/* One epoch of steps over tr in the order perm, batches of B (yb: (B)).  sum[0] gathers
 * loss × batch size, sum[1] the penalty × batch size (w > 0), *samples the examples
 * stepped.  Returns 1 when a loss is not finite (diverged: the epoch stops there). */
static int train_epoch(train_net *n, const data_set *tr, const uint32_t *perm,
                       unsigned char *yb, int B, long *samples, double sum[2])
{
    size_t dim = (size_t)tr->dim;
    /* Every example once per epoch: the last, partial batch is included. */
    for (long start = 0; start < tr->n; start += B) {
        int bb = tr->n - start < B ? (int)(tr->n - start) : B;
        for (int i = 0; i < bb; i++) {
            uint32_t k = perm[start + i];
            memcpy(n->x + (size_t)i * dim, tr->x + (size_t)k * dim, dim * sizeof(float));
            yb[i] = tr->y[k];
        }
        double loss = train_net_step(n, n->x, yb, bb);
        *samples += bb;
        if (!isfinite(loss))
            return 1;
        sum[0] += loss * bb;
        sum[1] += n->crit_weight > 0 ? n->crit_last * bb : 0;
    }
    return 0;
}

/* The result's per-epoch arrays, NaN-filled (the penalty's only when w > 0); 0 or -1. */
static int result_arrays(train_result *out, const train_params *p)
{
    size_t bytes = (size_t)p->epochs * sizeof(double);
    out->epochs = p->epochs;
    out->train_loss_per_epoch = malloc(bytes);
    out->test_accuracy_per_epoch = malloc(bytes);
    out->crit_penalty_per_epoch = p->criticality_weight > 0 ? malloc(bytes) : NULL;
    if (!out->train_loss_per_epoch || !out->test_accuracy_per_epoch ||
        (p->criticality_weight > 0 && !out->crit_penalty_per_epoch))
        return -1;
    for (int e = 0; e < p->epochs; e++) {
        out->train_loss_per_epoch[e] = out->test_accuracy_per_epoch[e] = NAN;
        if (out->crit_penalty_per_epoch)
            out->crit_penalty_per_epoch[e] = NAN;
    }
    return 0;
}

/* train_run_progress and train_run_then in one: progress after each epoch, done on the
 * trained network. */
static int train_run_all(const train_params *p, const data_bundle *data, train_result *out,
                         cs_err *err, train_progress_fn progress, void *ctx,
                         train_done_fn done, void *done_ctx)
{
    int rc = train_params_check(p, err);
    if (rc)
        return rc;
    const data_set *tr = &data->train, *te = &data->test;
    if (tr->n < 1 || te->n < 1 || tr->dim != te->dim || tr->classes < 2 ||
        tr->classes != te->classes || tr->n > (long)UINT32_MAX)
        return cs_fail(err, CS_EXIT_USAGE, "training data: %ld train and %ld test examples of "
                       "%d and %d pixels; need both non-empty and of equal size", tr->n, te->n,
                       tr->dim, te->dim);
    train_result_free(out);
    double t_start = cs_now_s();
    int B = p->batch < tr->n ? p->batch : (int)tr->n;
    train_net n;
    if ((rc = train_net_init(&n, p, tr->dim, tr->classes, B, err)))
        return rc;
    train_net_init_params(&n, p->key, p->sigma_w2, p->sigma_b2);
    uint32_t *perm = malloc((size_t)tr->n * sizeof *perm);
    unsigned char *yb = malloc((size_t)B);
    if (result_arrays(out, p) || !perm || !yb) {
        free(perm);
        free(yb);
        train_net_free(&n);
        train_result_free(out);
        return cs_fail(err, CS_EXIT_ERROR, "training: out of memory for %ld examples", tr->n);
    }
    out->status = CS_TRAIN_OK;
    out->diverged_epoch = 0;
    double t_train = 0;
    long samples = 0;
    for (int e = 0; e < p->epochs && out->status == CS_TRAIN_OK; e++) {
        epoch_permutation(perm, tr->n, p->key, e);
        double t0 = cs_now_s(), sum[2] = {0, 0};
        if (train_epoch(&n, tr, perm, yb, B, &samples, sum)) {
            out->status = CS_TRAIN_DIVERGED;
            out->diverged_epoch = e + 1;
        }
        t_train += cs_now_s() - t0;
        if (out->status != CS_TRAIN_OK) {
            if (progress)
                progress(ctx, e + 1, p->epochs, NAN, NAN, cs_now_s() - t_start);
            break;
        }
        out->train_loss_per_epoch[e] = sum[0] / (double)tr->n;
        if (out->crit_penalty_per_epoch)
            out->crit_penalty_per_epoch[e] = sum[1] / (double)tr->n;
        out->test_accuracy_per_epoch[e] = train_net_accuracy(&n, te->x, te->y, te->n);
        out->train_loss = out->train_loss_per_epoch[e];
        out->test_accuracy = out->test_accuracy_per_epoch[e];
        if (progress)
            progress(ctx, e + 1, p->epochs, out->train_loss, out->test_accuracy,
                     cs_now_s() - t_start);
    }
    /* train_loss and test_accuracy stay those of the last completed epoch (NaN when
     * the first epoch diverged: train_result_init set them so). */
    out->samples_per_s = t_train > 0 ? (double)samples / t_train : NAN;
    out->seconds = cs_now_s() - t_start;
    if (done && out->status == CS_TRAIN_OK)
        done(done_ctx, &n, data);
    free(perm);
    free(yb);
    train_net_free(&n);
    return 0;
}

int train_run_progress(const train_params *p, const data_bundle *data, train_result *out,
                       cs_err *err, train_progress_fn progress, void *ctx)
{
    return train_run_all(p, data, out, err, progress, ctx, NULL, NULL);
}

int train_run_then(const train_params *p, const data_bundle *data, train_result *out,
                   cs_err *err, train_done_fn done, void *ctx)
{
    return train_run_all(p, data, out, err, NULL, NULL, done, ctx);
}

/* avalanche.c — cascades of §2 through random networks drawn layer by layer (§1), with
 * the branching parameter and the Lyapunov exponent of §7.
 *
 * One network at a time: its c ≤ K drives are the rows of one batch-major matrix
 *   X (c + 2, N):  row 0 the baseline trajectory h^ℓ(x0), rows 1..B the driven
 *                  trajectories h^ℓ(x0 + δ_i) still active (in input order), row B+1
 *                  the tangent vector (Lyapunov),
 * and every layer is one sgemm over all rows (the baseline row is skipped when it is
 * identically 0: σ_b² = 0).  Rows absorbed at a layer are compacted
 * out before the next one, and layer ℓ is drawn only if some row is still active, into
 * the one N×N buffer of net_layer (memory O(N² + N·K), never a whole network).
 *
 * Per-input bookkeeping lives in arrays indexed by the input's number within its
 * network (stable under compaction): the last three activities, the running size sum
 * and, for the shape window, the history r_1 … r_{dmax−1} (layer-major, (H, c)).
 *
 * Definitions (README §2, §7):
 *  - r_0 = ‖δ‖; r_ℓ = ‖h^ℓ(x0+δ) − h^ℓ(x0)‖ (difference) or ‖h^ℓ(x0+δ)‖ (absolute), x0 = 0.
 *  - absorbed at the first k ≥ 1 with Σ_i (·)_i² < q0 (the sum of squares in double).
 *  - reference convention: a = (r_0..r_k) (absorbed) or (r_0..r_{L−1}) (survivor);
 *    if len(a) > 2: V_l = a_{l+1} − √q0 for l < D = len(a) − 3, S = √N ΣV; records with
 *    D ≥ L − 2 dropped.  strict: absorbed only, V_l = r_{l+1} − √q0, D = k − 1.
 *  - branching m = exp(mean log(r_{ℓ+1}/r_ℓ)) over every consecutive pair each avalanche
 *    actually computed: ℓ = 0 … k−1 for one absorbed at k (the pair into the absorbing
 *    layer included), ℓ = 0 … L−1 for a survivor; pairs with a zero r are skipped.
 *  - Lyapunov λ_0: per network a unit tangent vector v (CS_STREAM_TANGENT, index n)
 *    rides along as one more sgemm row: v ← W^ℓ diag(φ'(h^{ℓ−1})) v, log ‖v‖
 *    accumulated and v renormalised each layer, through every layer the network draws;
 *    λ_0 = Σ log-growths / Σ layers over all networks.  h^{ℓ−1} is the driven trajectory
 *    h^{ℓ−1}(x0 + δ_i) of the lowest-numbered input i still active at layer ℓ: input 0
 *    until it is absorbed (or explodes), then the next one, and so on; some input is
 *    active at every layer the network draws.  Not the baseline: with σ_b² = 0 it sits at
 *    the fixed point 0, where ReLU's φ'(0) = 0 annihilates v and tanh's φ'(0) = 1 misses
 *    the saturation the network's activity feels.  Its cost is one row out of c + 2
 *    (flops_tangent reports it); the avalanche rows are untouched.  If v is annihilated
 *    all the same (every unit of the carrier at a zero of φ'), λ_0 = −∞.
 *  - Unbounded φ (linear, ReLU) in the supercritical phase can overflow float over
 *    L_max layers: once Σ(·)² exceeds 1e70 (or is not finite) the avalanche is stopped
 *    as a survivor, counted in n_exploded, its S the (finite) sum so far. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "critsweep/common.h"
#include "critsweep/avalanche.h"
#include "critsweep/net.h"
#include "critsweep/rng.h"

static const char *const conv_names[] = {"reference", "strict"};
static const char *const mode_names[] = {"difference", "absolute"};
static const char *const engine_names[] = {"auto", "dense", "sampled"};

/* The run's CPU time is cs_thread_cpu_s() at each end; the per-layer cost split uses
 * cs_now_s(): the CPU-time clock is a system call, and four of them per layer cost 2-3%
 * of the run. */

/* Σ (x_j − y_j)² (y may be NULL: Σ x_j²) in double.  Eight interleaved partial sums,
 * a fixed order that gcc vectorises (a single running double sum is a serial chain of
 * dependent adds, and without -ffast-math gcc may not reorder it). */
static double sumsq(const float *x, const float *y, int n)
{
    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int j = 0;
    if (y) {
        for (; j + 8 <= n; j += 8)
            for (int k = 0; k < 8; k++) {
                double d = (double)(x[j + k] - y[j + k]);
                acc[k] += d * d;
            }
        for (; j < n; j++) {
            double d = (double)(x[j] - y[j]);
            acc[0] += d * d;
        }
    } else {
        for (; j + 8 <= n; j += 8)
            for (int k = 0; k < 8; k++) {
                double d = (double)x[j + k];
                acc[k] += d * d;
            }
        for (; j < n; j++) {
            double d = (double)x[j];
            acc[0] += d * d;
        }
    }
    return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

static int write_f32(const char *dir, const char *name, const float *x, size_t n, cs_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return cs_fail(err, CS_EXIT_ERROR, "CRITSWEEP_DUMP_DIR: cannot create %s: %s "
                       "(does the directory exist and is it writable?)", path, strerror(errno));
    size_t w = fwrite(x, sizeof *x, n, f);
    int bad = w != n;
    if (fclose(f) != 0)
        bad = 1;
    if (bad)
        return cs_fail(err, CS_EXIT_ERROR, "CRITSWEEP_DUMP_DIR: writing %s failed "
                       "(disk full?): %s", path, strerror(errno));
    return 0;
}

/* Growing record arrays of the result. */
static int push_record(avalanche_result *r, long *cap, double S, double D, int absorbed)
{
    if (r->n_recorded == *cap) {
        long nc = *cap ? 2 * *cap : 1024;
        double *s = realloc(r->S, (size_t)nc * sizeof *s);
        if (s)
            r->S = s;
        double *d = realloc(r->D, (size_t)nc * sizeof *d);
        if (d)
            r->D = d;
        unsigned char *a = realloc(r->absorbed, (size_t)nc);
        if (a)
            r->absorbed = a;
        if (!s || !d || !a)
            return -1;
        *cap = nc;
    }
    r->S[r->n_recorded] = S;
    r->D[r->n_recorded] = D;
    r->absorbed[r->n_recorded] = (unsigned char)absorbed;
    r->n_recorded++;
    return 0;
}

int convention_from_name(const char *name, cs_convention *out)
{
    for (int i = 0; i < 2; i++)
        if (name && strcmp(name, conv_names[i]) == 0) {
            *out = (cs_convention)i;
            return 0;
        }
    return -1;
}

const char *convention_name(cs_convention c)
{
    return (c == CS_CONV_REFERENCE || c == CS_CONV_STRICT) ? conv_names[c] : "unknown";
}

int mode_from_name(const char *name, cs_mode *out)
{
    for (int i = 0; i < 2; i++)
        if (name && strcmp(name, mode_names[i]) == 0) {
            *out = (cs_mode)i;
            return 0;
        }
    return -1;
}

const char *mode_name(cs_mode m)
{
    return (m == CS_MODE_DIFFERENCE || m == CS_MODE_ABSOLUTE) ? mode_names[m] : "unknown";
}

int engine_from_name(const char *name, cs_engine *out)
{
    for (int i = 0; i < 3; i++)
        if (name && strcmp(name, engine_names[i]) == 0) {
            *out = (cs_engine)i;
            return 0;
        }
    return -1;
}

const char *engine_name(cs_engine e)
{
    return (e >= CS_ENGINE_AUTO && e <= CS_ENGINE_SAMPLED) ? engine_names[e] : "unknown";
}

void avalanche_params_default(avalanche_params *p)
{
    memset(p, 0, sizeof *p);
    p->width = 100;
    p->depth = 1000;
    p->sigma_w2 = 1.0;
    p->sigma_b2 = 0.0;
    p->q0 = 0.1;
    p->activation = CS_ACT_TANH;
    p->per_network = 1000;
    p->inputs = 1000000;
    p->convention = CS_CONV_REFERENCE;
    p->mode = CS_MODE_DIFFERENCE;
    p->engine_revision = AVALANCHE_ENGINE_REVISION;
    p->shape_dmin = 60;
    p->shape_dmax = 250;
    p->shape_min_count = 20;
    p->key = 0;
}

int avalanche_params_check(const avalanche_params *p, cs_err *err)
{
    if (p->engine < CS_ENGINE_AUTO || p->engine > CS_ENGINE_SAMPLED)
        return cs_fail(err, CS_EXIT_USAGE, "engine: %d is not auto, dense or sampled",
                       (int)p->engine);
    if (p->engine_revision < 1 || p->engine_revision > AVALANCHE_ENGINE_REVISION)
        return cs_fail(err, CS_EXIT_USAGE, "engine_revision: %d is not 1 or %d",
                       p->engine_revision, AVALANCHE_ENGINE_REVISION);
    if (p->engine == CS_ENGINE_DENSE && (p->width < 1 || p->width > NET_MAX_DENSE_WIDTH))
        return cs_fail(err, CS_EXIT_USAGE, "width: %d outside 1..%d for engine dense (N·N "
                       "must fit in memory; engine auto or sampled goes to %d)", p->width,
                       NET_MAX_DENSE_WIDTH, NET_MAX_WIDTH);
    if (p->width < 1 || p->width > NET_MAX_WIDTH)
        return cs_fail(err, CS_EXIT_USAGE, "width: %d outside 1..%d", p->width, NET_MAX_WIDTH);
    if (p->depth < 4 || p->depth > NET_MAX_LAYER)
        return cs_fail(err, CS_EXIT_USAGE, "depth: %d outside 4..%d", p->depth, NET_MAX_LAYER);
    if (!(p->sigma_w2 >= 0) || !isfinite(p->sigma_w2))
        return cs_fail(err, CS_EXIT_USAGE, "sigma_w2: %g must be a finite number >= 0",
                       p->sigma_w2);
    if (!(p->sigma_b2 >= 0) || !isfinite(p->sigma_b2))
        return cs_fail(err, CS_EXIT_USAGE, "sigma_b2: %g must be a finite number >= 0",
                       p->sigma_b2);
    if (!(p->q0 > 0) || !isfinite(p->q0))
        return cs_fail(err, CS_EXIT_USAGE, "q0: %g must be a finite number > 0", p->q0);
    if ((int)p->activation < 0 || p->activation >= CS_ACT_COUNT)
        return cs_fail(err, CS_EXIT_USAGE, "activation: unknown (one of %s)", activation_names());
    if (p->per_network < 1)
        return cs_fail(err, CS_EXIT_USAGE, "per_network: %ld must be >= 1", p->per_network);
    if (p->inputs < 1)
        return cs_fail(err, CS_EXIT_USAGE, "inputs: %ld must be >= 1", p->inputs);
    if (p->convention != CS_CONV_REFERENCE && p->convention != CS_CONV_STRICT)
        return cs_fail(err, CS_EXIT_USAGE, "convention: unknown (reference or strict)");
    if (p->mode != CS_MODE_DIFFERENCE && p->mode != CS_MODE_ABSOLUTE)
        return cs_fail(err, CS_EXIT_USAGE, "mode: unknown (difference or absolute)");
    if (p->shape_dmin < 0 || p->shape_dmax <= p->shape_dmin + 1)
        return cs_fail(err, CS_EXIT_USAGE, "shape_window: [%d, %d] holds no duration "
                       "(need 0 <= dmin and dmin + 1 < dmax)", p->shape_dmin, p->shape_dmax);
    if (p->shape_min_count < 1)
        return cs_fail(err, CS_EXIT_USAGE, "shape_min_count: %d must be >= 1",
                       p->shape_min_count);
    double prof = (double)avalanche_n_profile_d(p->shape_dmin, p->shape_dmax) * p->shape_dmax * 8.0;
    if (prof > 2e9)
        return cs_fail(err, CS_EXIT_USAGE, "shape_window: [%d, %d] needs %.1f GB of profile "
                       "sums; narrow the window", p->shape_dmin, p->shape_dmax, prof / 1e9);
    long K = p->per_network < p->inputs ? p->per_network : p->inputs;
    if ((p->inputs + K - 1) / K >= (1L << 36))
        return cs_fail(err, CS_EXIT_USAGE, "per_network: %ld inputs in networks of %ld make "
                       "more than 2^36 networks (the stream index has 36 bits for them); "
                       "raise per_network", p->inputs, K);
    double mem = ((double)K + 2) * p->width * 8.0 + (double)p->width * p->width * 4.0;
    if (mem > 64e9)
        return cs_fail(err, CS_EXIT_USAGE, "per_network: %ld inputs of width %d would need "
                       "%.0f GB at once; lower per_network", K, p->width, mem / 1e9);
    return 0;
}

void avalanche_result_init(avalanche_result *r)
{
    memset(r, 0, sizeof *r);
    r->P_surv = r->S_mean = r->S_mean_absorbed = r->D_mean = NAN;
    r->branching = r->lyapunov = NAN;
}

void avalanche_result_free(avalanche_result *r)
{
    free(r->S);
    free(r->D);
    free(r->absorbed);
    free(r->profile_sum);
    free(r->profile_count);
    free(r->layers_by_rows);
    avalanche_result_init(r);
}

/* Workspace of one run, sized for the largest network. */
typedef struct {
    net_layer layer;  /* dense layers: allocated on first use (never, if all are sampled) */
    net_sampled sampled;
    float *X;        /* (K + 2, N) rows: baseline, active avalanches, tangent; then
                      * up to AVALANCHE_ROW_BLOCK − 1 padding rows */
    float *A;        /* (K + 2 + padding, N) the sgemm's left operand */
    float *slope;    /* (2, N) φ' of the tangent's carrier row; the tangent vector */
    int *id;         /* (K) input number of each active row */
    double *p1, *p2, *p3; /* (K) r_ℓ, r_{ℓ−1}, r_{ℓ−2} of each input */
    double *s;       /* (K) Σ_{j=1}^{ℓ−3} (r_j − √q0) */
    double *hist;    /* (H, K) r_j for j = 1..H: hist[(j−1)·c + id] */
    int H;
} workspace;

static void ws_free(workspace *w)
{
    net_layer_free(&w->layer);
    net_sampled_free(&w->sampled);
    free(w->X);
    free(w->A);
    free(w->slope);
    free(w->id);
    free(w->p1);
    free(w->p2);
    free(w->p3);
    free(w->s);
    free(w->hist);
}

/* Close the avalanche of input `i` of the current network: absorbed at layer k (1..L),
 * a survivor (k = 0) after layer L, or exploded at layer −k (k < 0: its activity left
 * float range there; a survivor whose sum stops at r_{−k−1}).  Applies the convention
 * and adds the record and its profile. */
static int finish(const avalanche_params *p, avalanche_result *r, workspace *w, long *cap,
                  int c, int i, int k, double sq)
{
    int L = p->depth;
    double S, D;
    int absorbed = k > 0;
    if (!absorbed)
        r->n_survived++;
    if (k < 0) {
        r->n_exploded++;
        int l = -k;
        if (p->convention == CS_CONV_STRICT)
            return 0;
        /* r_1 … r_{l−1} as far as a survivor's V reaches (r_{L−3}) */
        double sum = w->s[i];
        if (l - 3 >= 1 && l - 3 <= L - 3)
            sum += w->p3[i] - sq;
        if (l - 2 >= 1 && l - 2 <= L - 3)
            sum += w->p2[i] - sq;
        if (l - 1 >= 1 && l - 1 <= L - 3)
            sum += w->p1[i] - sq;
        /* D as for any survivor; no profile (the history stops at l) */
        return push_record(r, cap, sqrt((double)p->width) * sum, L - 3, 0);
    }
    if (p->convention == CS_CONV_REFERENCE) {
        /* a = (r_0..r_k) or (r_0..r_{L−1}); V = a[1 : len−2] */
        int len = absorbed ? k + 1 : L;
        if (len <= 2)
            return 0;
        int d = len - 3;
        if (d >= L - 2)
            return 0;
        /* At absorption (layer k = ℓ+1, p1 = r_{k−1}, p2 = r_{k−2}, p3 = r_{k−3}), the
         * running sum s covers r_1..r_{k−4}; V needs r_1..r_{k−2}.  For a survivor s
         * already covers r_1..r_{L−3}. */
        double sum = w->s[i];
        if (absorbed) {
            if (k - 3 >= 1)
                sum += w->p3[i] - sq;
            if (k - 2 >= 1)
                sum += w->p2[i] - sq;
        }
        S = sqrt((double)p->width) * sum;
        D = d;
    } else {
        if (!absorbed)
            return 0;
        double sum = w->s[i];
        if (k - 3 >= 1)
            sum += w->p3[i] - sq;
        if (k - 2 >= 1)
            sum += w->p2[i] - sq;
        if (k - 1 >= 1)
            sum += w->p1[i] - sq;
        S = sqrt((double)p->width) * sum;
        D = k - 1;
    }
    if (push_record(r, cap, S, D, absorbed))
        return -1;
    int d = (int)D;
    if (d > p->shape_dmin && d < p->shape_dmax) {
        double *row = r->profile_sum + (size_t)(d - p->shape_dmin - 1) * r->profile_stride;
        for (int l = 0; l < d; l++)
            row[l] += w->hist[(size_t)l * c + i] - sq;
        r->profile_count[d - p->shape_dmin - 1]++;
    }
    return 0;
}

void avalanche_draw_inputs(uint64_t key, long net, int c, int width, float *drives,
                           float *tangent)
{
    cs_rng rg;
    rng_init(&rg, key, rng_stream_id(CS_STREAM_DRIVE, (uint64_t)net));
    rng_fill_normal(&rg, drives, (size_t)c * (size_t)width, 1.0f);
    rng_init(&rg, key, rng_stream_id(CS_STREAM_TANGENT, (uint64_t)net));
    rng_fill_normal(&rg, tangent, (size_t)width, 1.0f);
}

/* State of one run beyond the workspace: the parameters and accumulators every layer
 * updates. */
typedef struct {
    const avalanche_params *p;
    avalanche_result *out;
    workspace w;
    const char *dump;   /* CRITSWEEP_DUMP_DIR, or NULL */
    int zero_base;      /* baseline identically 0: its row is left out of the products */
    double sq;          /* √q0 */
    long cap;           /* records allocated */
    double log_ratio_sum, lyap_sum;
    long n_pairs, lyap_layers;
    int lyap_dead;
    double t_draw, t_gemm, flops, flops_tan;
} run_state;

static double *alloc_doubles(long n)
{
    return malloc((size_t)n * sizeof(double));
}

/* The workspace for networks of K inputs and the result's profile and row-count arrays.
 * 0, or -1 when out of memory (everything allocated is freed by ws_free / the result). */
static int run_alloc(run_state *s, long K)
{
    const avalanche_params *p = s->p;
    avalanche_result *out = s->out;
    workspace *w = &s->w;
    const int N = p->width;
    memset(w, 0, sizeof *w);
    w->H = p->shape_dmax - 1 < p->depth ? p->shape_dmax - 1 : p->depth;
    size_t rows = (size_t)K + 2 + (AVALANCHE_ROW_BLOCK - 1);
    size_t bytes = ((rows * (size_t)N * sizeof(float)) + 63) & ~(size_t)63;
    net_sampled_init(&w->sampled, N, p->sigma_w2, p->sigma_b2, p->key);
    w->sampled.revision = p->engine_revision;
    w->X = aligned_alloc(64, bytes);
    w->A = aligned_alloc(64, bytes);
    w->slope = malloc(2 * (size_t)N * sizeof *w->slope); /* φ'(carrier), the tangent */
    w->id = malloc((size_t)K * sizeof *w->id);
    w->p1 = alloc_doubles(K);
    w->p2 = alloc_doubles(K);
    w->p3 = alloc_doubles(K);
    w->s = alloc_doubles(K);
    w->hist = alloc_doubles((long)w->H * K);
    out->n_profile_d = avalanche_n_profile_d(p->shape_dmin, p->shape_dmax);
    out->profile_stride = p->shape_dmax;
    out->profile_sum = calloc((size_t)out->n_profile_d * (size_t)out->profile_stride,
                              sizeof(double));
    out->profile_count = calloc((size_t)out->n_profile_d, sizeof(long));
    out->max_rows = K + 2;
    out->layers_by_rows = calloc((size_t)K + 3, sizeof(long));
    if (!w->X || !w->A || !w->slope || !w->id || !w->p1 || !w->p2 || !w->p3 || !w->s ||
        !w->hist || !out->profile_sum || !out->profile_count || !out->layers_by_rows)
        return -1;
    return 0;
}

/* Network `net`'s c drives into rows 1..c of X (δ_i = √q0 · u_i/‖u_i‖), its unit tangent,
 * the per-input windows reset, the baseline x0 = 0; and the dump files if asked. */
static int network_start(run_state *s, long net, int c, cs_err *err)
{
    workspace *w = &s->w;
    const int N = s->p->width;
    const size_t rowN = (size_t)N;
    float *Xa = w->X + rowN, *tan = w->slope + rowN;
    double t0 = cs_now_s();
    avalanche_draw_inputs(s->p->key, net, c, N, Xa, tan);
    s->t_draw += cs_now_s() - t0;
    for (int i = 0; i < c; i++) {
        float *x = Xa + (size_t)i * rowN;
        double ss = sumsq(x, NULL, N);
        float f = (float)(s->sq / sqrt(ss));
        for (int j = 0; j < N; j++)
            x[j] *= f;
        ss = sumsq(x, NULL, N);
        w->id[i] = i;
        w->p1[i] = sqrt(ss); /* r_0 = ‖δ‖ (x0 = 0 in both modes) */
        w->p2[i] = w->p3[i] = 0;
        w->s[i] = 0;
    }
    double ss = sumsq(tan, NULL, N);
    float f = (float)(1.0 / sqrt(ss));
    for (int j = 0; j < N; j++)
        tan[j] *= f;
    memset(w->X, 0, rowN * sizeof *w->X); /* baseline x0 = 0 */
    if (!s->dump)
        return 0;
    char name[64];
    snprintf(name, sizeof name, "drive_%ld.f32", net);
    int rc = write_f32(s->dump, name, Xa, (size_t)c * rowN, err);
    if (rc)
        return rc;
    snprintf(name, sizeof name, "tangent_%ld.f32", net);
    return write_f32(s->dump, name, tan, rowN, err);
}

/* The dense layer just drawn, into the dump directory: W itself, row-major (output i,
 * input j), transposed from the stored Wᵀ (debug path, cost irrelevant), and b. */
static int dump_layer(const run_state *s, long net, int l, cs_err *err)
{
    const net_layer *layer = &s->w.layer;
    const size_t rowN = (size_t)s->p->width;
    float *Wd = malloc(rowN * rowN * sizeof *Wd);
    if (!Wd)
        return cs_fail(err, CS_EXIT_ERROR, "CRITSWEEP_DUMP_DIR: out of memory");
    for (size_t i = 0; i < rowN; i++)
        for (size_t j = 0; j < rowN; j++)
            Wd[i * rowN + j] = layer->Wt[j * rowN + i];
    char name[64];
    snprintf(name, sizeof name, "W_%ld_%d.f32", net, l);
    int rc = write_f32(s->dump, name, Wd, rowN * rowN, err);
    free(Wd);
    if (rc)
        return rc;
    snprintf(name, sizeof name, "b_%ld_%d.f32", net, l);
    return write_f32(s->dump, name, layer->b, rowN, err);
}

/* Layer l through a sampled product (README §1b): rows zero_base..B+1 of A into X. */
static int propagate_sampled(run_state *s, long net, int l, int B, int used, cs_err *err)
{
    workspace *w = &s->w;
    const int N = s->p->width, zb = s->zero_base;
    const size_t rowN = (size_t)N;
    /* difference mode with a live baseline: the driven rows enter as their differences
     * from it (net_sampled_forward), bias on the baseline only */
    const int diff = !zb && s->p->mode == CS_MODE_DIFFERENCE ? B : 0;
    double t1 = cs_now_s(), d0 = w->sampled.seconds_draw;
    if (net_sampled_forward(&w->sampled, net, l, w->A + (size_t)zb * rowN,
                            w->X + (size_t)zb * rowN, used, zb ? 0 : (diff ? 1 : B + 1),
                            diff))
        return cs_fail(err, CS_EXIT_ERROR, "out of memory for a sampled layer of %d rows at "
                       "width %d; lower per_network", (int)s->out->max_rows, N);
    double td = w->sampled.seconds_draw - d0;
    s->t_draw += td;
    s->t_gemm += cs_now_s() - t1 - td;
    s->out->layers_sampled++;
    s->out->layers_by_rows[used]++;
    double k = w->sampled.rank;
    s->flops += (double)N * used * used + (double)used * used * used / 3 +
                2.0 * N * used * k;
    s->flops_tan += 2.0 * N * k;
    return 0;
}

/* Layer l through a drawn N×N layer: the rows in use, then zero rows up to a multiple
 * of AVALANCHE_ROW_BLOCK (their outputs unused), in one sgemm. */
static int propagate_dense(run_state *s, long net, int l, int B, int used, cs_err *err)
{
    workspace *w = &s->w;
    const avalanche_params *p = s->p;
    const int N = p->width, zb = s->zero_base;
    const size_t rowN = (size_t)N;
    int rc;
    if (!w->layer.params &&
        (rc = net_layer_init(&w->layer, N, p->sigma_w2, p->sigma_b2, p->key, err)))
        return rc;
    double t0 = cs_now_s();
    net_layer_draw(&w->layer, net, l);
    s->t_draw += cs_now_s() - t0;
    if (s->dump && (rc = dump_layer(s, net, l, err)))
        return rc;
    double t1 = cs_now_s();
    const int blk = AVALANCHE_ROW_BLOCK;
    int padded = (used + blk - 1) / blk * blk;
    float *A0 = w->A + (size_t)zb * rowN;
    memset(A0 + (size_t)used * rowN, 0, (size_t)(padded - used) * rowN * sizeof *A0);
    net_layer_forward(&w->layer, A0, w->X + (size_t)zb * rowN, padded, zb ? 0 : B + 1);
    s->t_gemm += cs_now_s() - t1;
    s->out->layers_by_rows[B + 1 + !zb]++;
    s->flops += 2.0 * N * N * (B + 1 + !zb);
    s->flops_tan += 2.0 * N * N;
    return 0;
}

/* Tangent row Xt after the layer: log growth, renormalised into the tangent. */
static void tangent_update(run_state *s, const float *Xt)
{
    const int N = s->p->width;
    float *tan = s->w.slope + N;
    if (!s->lyap_dead) {
        double ss = sumsq(Xt, NULL, N);
        if (ss > 0 && isfinite(ss)) {
            s->lyap_sum += 0.5 * log(ss);
            s->lyap_layers++;
            float f = (float)(1.0 / sqrt(ss));
            for (int j = 0; j < N; j++)
                tan[j] = Xt[j] * f;
        } else {
            s->lyap_dead = 1;
        }
    }
    if (s->lyap_dead)
        memset(tan, 0, (size_t)N * sizeof *tan);
}

/* After layer l: each of the B active rows' activity, absorption and record; the rows
 * still active get φ(h) into A (compacted, written while the row is in cache) and the
 * first of them φ'(h) for the tangent.  Returns the number still active, or -1 when out
 * of memory for the records. */
static int layer_records(run_state *s, int c, int l, int B)
{
    const avalanche_params *p = s->p;
    workspace *w = &s->w;
    const int N = p->width;
    const size_t rowN = (size_t)N;
    const float *Xb = w->X, *Xa = w->X + rowN;
    /* with a zero baseline both modes take the same path, which keeps the reference
     * identity bit for bit */
    const float *base = p->mode == CS_MODE_DIFFERENCE && !s->zero_base ? Xb : NULL;
    int keep = 0;
    for (int b = 0; b < B; b++) {
        const float *x = Xa + (size_t)b * rowN;
        double ss = sumsq(x, base, N);
        int i = w->id[b];
        if (!(ss <= 1e70)) {
            /* overflow (or NaN from inf − inf): elements near float's limit, the next
             * layer would be inf; this avalanche can never be absorbed */
            if (finish(p, s->out, w, &s->cap, c, i, -l, s->sq))
                return -1;
            continue;
        }
        double rl = sqrt(ss);
        if (rl > 0 && w->p1[i] > 0) {
            s->log_ratio_sum += log(rl / w->p1[i]);
            s->n_pairs++;
        }
        if (l <= w->H)
            w->hist[(size_t)(l - 1) * c + i] = rl;
        if (ss < p->q0) {
            if (finish(p, s->out, w, &s->cap, c, i, l, s->sq))
                return -1;
            continue;
        }
        /* not absorbed: s gains r_{l−3}, shift the window */
        if (l - 3 >= 1)
            w->s[i] += w->p3[i] - s->sq;
        w->p3[i] = w->p2[i];
        w->p2[i] = w->p1[i];
        w->p1[i] = rl;
        activation_forward(p->activation, x, w->A + (size_t)(keep + 1) * rowN, rowN);
        if (keep == 0) /* the first row still active carries the tangent */
            activation_slope(p->activation, x, w->slope, rowN);
        w->id[keep++] = i;
    }
    return keep;
}

static int records_oom(const run_state *s, cs_err *err)
{
    return cs_fail(err, CS_EXIT_ERROR, "out of memory for the avalanche records (%ld so far)",
                   s->out->n_recorded);
}

/* All layers of network `net` (c inputs) until every avalanche has ended or L_max. */
static int network_run(run_state *s, long net, int c, cs_err *err)
{
    const avalanche_params *p = s->p;
    workspace *w = &s->w;
    const int N = p->width, L = p->depth;
    const size_t rowN = (size_t)N;
    float *tan = w->slope + rowN;
    int rc = network_start(s, net, c, err);
    if (rc)
        return rc;
    int B = c; /* active avalanches */
    /* A's avalanche rows of layer 1; later layers get them from layer_records */
    activation_forward(p->activation, w->X + rowN, w->A + rowN, (size_t)B * rowN);
    /* the tangent's carrier at layer 1: input 0's drive */
    activation_slope(p->activation, w->X + rowN, w->slope, rowN);
    for (int l = 1; B > 0 && l <= L; l++) {
        /* rows: 0 baseline, 1..B avalanches, B+1 tangent.
         * A = φ(h) on rows 0..B, φ'(h_carrier) ⊙ v on row B+1 */
        float *At = w->A + (size_t)(B + 1) * rowN;
        if (!s->zero_base) /* a zero baseline's row is not in the product */
            activation_forward(p->activation, w->X, w->A, rowN);
        for (int j = 0; j < N; j++)
            At[j] = w->slope[j] * tan[j];
        /* the rows in use: the baseline's only if it is not identically 0 */
        const int used = B + 2 - s->zero_base;
        const int sampled = p->engine == CS_ENGINE_SAMPLED ||
                            (p->engine == CS_ENGINE_AUTO &&
                             net_sampled_preferred(N, used, p->engine_revision));
        s->out->layers_drawn++;
        s->out->row_layers += B;
        rc = sampled ? propagate_sampled(s, net, l, B, used, err)
                     : propagate_dense(s, net, l, B, used, err);
        if (rc)
            return rc;
        tangent_update(s, w->X + (size_t)(B + 1) * rowN);
        B = layer_records(s, c, l, B);
        if (B < 0)
            return records_oom(s, err);
    }
    /* survivors of all L layers: the window holds p1 = r_L, p2 = r_{L−1},
     * p3 = r_{L−2} and s = Σ_{j=1}^{L−3} */
    for (int b = 0; b < B; b++)
        if (finish(p, s->out, w, &s->cap, c, w->id[b], 0, s->sq))
            return records_oom(s, err);
    return 0;
}

/* Means, survival, branching, Lyapunov and the cost accounting into out. */
static void run_summarise(const run_state *s, double t_start, double c_start)
{
    avalanche_result *out = s->out;
    const long M = s->p->inputs;
    out->n_inputs = M;
    out->P_surv = (double)out->n_survived / (double)M;
    double sS = 0, sSa = 0, sD = 0;
    long na = 0;
    for (long i = 0; i < out->n_recorded; i++) {
        sS += out->S[i];
        sD += out->D[i];
        if (out->absorbed[i]) {
            sSa += out->S[i];
            na++;
        }
    }
    out->S_mean = out->n_recorded ? sS / (double)out->n_recorded : NAN;
    out->D_mean = out->n_recorded ? sD / (double)out->n_recorded : NAN;
    out->S_mean_absorbed = na ? sSa / (double)na : NAN;
    out->branching = s->n_pairs ? exp(s->log_ratio_sum / (double)s->n_pairs) : NAN;
    out->lyapunov = s->lyap_dead ? -INFINITY
                                 : (s->lyap_layers ? s->lyap_sum / (double)s->lyap_layers : NAN);
    out->seconds = cs_now_s() - t_start;
    out->avalanches_per_s = (double)M / out->seconds;
    out->flops = s->flops;
    out->flops_tangent = s->flops_tan;
    out->seconds_draw = s->t_draw;
    out->seconds_sgemm = s->t_gemm;
    out->seconds_cpu = cs_thread_cpu_s() - c_start;
    out->seconds_other = out->seconds - s->t_draw - s->t_gemm;
}

int avalanche_run(const avalanche_params *p, avalanche_result *out, cs_err *err)
{
    int rc = avalanche_params_check(p, err);
    if (rc)
        return rc;
    avalanche_result_free(out);
    double t_start = cs_now_s(), c_start = cs_thread_cpu_s();
    const long M = p->inputs;
    const long K = p->per_network < M ? p->per_network : M;
    const long n_net = (M + K - 1) / K;
    run_state s;
    memset(&s, 0, sizeof s);
    s.p = p;
    s.out = out;
    s.sq = sqrt(p->q0);
    s.dump = getenv("CRITSWEEP_DUMP_DIR");
    if (s.dump && !*s.dump)
        s.dump = NULL;
    if (s.dump && p->engine != CS_ENGINE_DENSE)
        return cs_fail(err, CS_EXIT_USAGE, "CRITSWEEP_DUMP_DIR needs engine dense (the %s "
                       "engine draws no weights to write)", engine_name(p->engine));
    /* With σ_b² = 0 and φ(0) = 0 (every activation here) the baseline h^ℓ(0) stays exactly
     * 0: its row is kept at zero and left out of the products. */
    s.zero_base = p->sigma_b2 == 0 && activation_value(p->activation, 0.0) == 0.0;
    if (run_alloc(&s, K)) {
        ws_free(&s.w);
        return cs_fail(err, CS_EXIT_ERROR, "out of memory for %ld inputs per network of width "
                       "%d; lower per_network", K, p->width);
    }
    for (long net = 0; net < n_net && rc == 0; net++) {
        int c = (int)((net + 1) * K <= M ? K : M - net * K);
        rc = network_run(&s, net, c, err);
    }
    if (rc == 0)
        run_summarise(&s, t_start, c_start);
    ws_free(&s.w);
    return rc;
}

int avalanche_n_profile_d(int shape_dmin, int shape_dmax)
{
    return shape_dmax - shape_dmin - 1 > 0 ? shape_dmax - shape_dmin - 1 : 0;
}

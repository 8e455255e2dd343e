/* avalanche.h — cascades of activity through random deep networks (README §1, §2, §7).
 *
 * avalanche_run draws ceil(inputs / per_network) networks, drives per_network inputs
 * through each (all inputs of a network cross a layer as one sgemm), and records S, D,
 * survival, mean shape profiles, the branching parameter and the Lyapunov exponent. */
#ifndef CRITSWEEP_AVALANCHE_H
#define CRITSWEEP_AVALANCHE_H

#include <stdint.h>

#include "critsweep/activation.h"
#include "critsweep/common.h"

typedef enum { CS_CONV_REFERENCE = 0, CS_CONV_STRICT = 1 } cs_convention;
typedef enum { CS_MODE_DIFFERENCE = 0, CS_MODE_ABSOLUTE = 1 } cs_mode;
/* How each layer's product is formed (README §1b): `dense` draws W^ℓ (N×N) and
 * multiplies; `sampled` draws the product from its exact distribution (net.h); `auto`
 * takes, layer by layer, the one net_sampled_preferred(N, rows) names. */
typedef enum { CS_ENGINE_AUTO = 0, CS_ENGINE_DENSE = 1, CS_ENGINE_SAMPLED = 2 } cs_engine;

int convention_from_name(const char *name, cs_convention *out);
const char *convention_name(cs_convention c);
int mode_from_name(const char *name, cs_mode *out);
const char *mode_name(cs_mode m);
int engine_from_name(const char *name, cs_engine *out);
const char *engine_name(cs_engine e);

typedef struct {
    int width;              /* N */
    int depth;              /* L_max */
    double sigma_w2, sigma_b2;
    double q0;              /* drive strength (reference 0.1) */
    cs_activation activation;
    long per_network;       /* K inputs share one network (reference 1000) */
    long inputs;            /* M drives in all (reference num_samples) */
    cs_convention convention;
    cs_mode mode;
    cs_engine engine;       /* auto (default) | dense | sampled */
    int engine_revision;    /* how sampled layers are factored and when auto takes them:
                             * 2 (default; dpotrf first, strmm, the current cost model) or
                             * 1 (dpstrf and sgemm always, the 0.2.x model), which 0.2.x
                             * files resume with so that they stay bit for bit one
                             * computation; both draw from the same exact distribution */
    int shape_dmin, shape_dmax; /* profile window, exclusive: shape_dmin < D < shape_dmax */
    int shape_min_count;        /* at least this many avalanches per D (reference 20) */
    uint64_t key;               /* rng_task_key(...) of the task */
} avalanche_params;

/* Reference defaults: q0 0.1, K 1000, reference convention, difference mode,
 * window 60 < D < 250 with 20 per D.  Caller sets width, depth, sigmas, inputs, key. */
void avalanche_params_default(avalanche_params *p);
#define AVALANCHE_ENGINE_REVISION 2 /* the newest engine_revision */
/* 0, or CS_EXIT_USAGE with a message naming the offending field. */
int avalanche_params_check(const avalanche_params *p, cs_err *err);

typedef struct {
    long n_inputs, n_recorded, n_survived;
    double P_surv;            /* n_survived / n_inputs */
    /* Recorded avalanches (convention applied): n_recorded entries each. */
    double *S;
    double *D;                /* integer durations held as double, for the fits */
    unsigned char *absorbed;  /* 1 if the avalanche was absorbed, 0 if it survived */
    double S_mean, S_mean_absorbed, D_mean;
    /* Mean shape profiles: for D in (shape_dmin, shape_dmax), profile_sum[(D - dmin - 1)
     * * shape_dmax + l] = sum over avalanches of duration D of V_l, l < D, and
     * profile_count[D - dmin - 1] their number. n_profile_d = shape_dmax - shape_dmin - 1. */
    int n_profile_d, profile_stride;
    double *profile_sum;      /* (n_profile_d, profile_stride) */
    long *profile_count;      /* (n_profile_d) */
    double branching;         /* geometric mean of r_{l+1}/r_l (§7) over every pair an
                               * avalanche computed: l = 0..k-1 if absorbed at k (the step
                               * into the absorbing layer included), 0..L-1 if it survived */
    double lyapunov;          /* largest finite-time Lyapunov exponent per layer (§7): one
                               * unit tangent per network pushed through
                               * W^l diag(φ'(h^{l-1})) along the driven trajectory
                               * h^{l-1}(x0 + δ_i) of the lowest-numbered input i still
                               * active at layer l, renormalised each layer, through every
                               * layer the network drew; mean log growth over all those
                               * layers (-inf if φ' annihilates the tangent) */
    double seconds;           /* wall time of avalanche_run */
    double avalanches_per_s;  /* n_inputs / seconds */
    long layers_drawn;        /* layers computed in all (those some avalanche reached) */
    long layers_sampled;      /* of which sampled (the rest drew W^ℓ densely) */
    double row_layers;        /* driven rows summed over the layers they crossed: the work
                               * a one-input-at-a-time code does, one matvec each */
    long n_exploded;          /* avalanches whose activity left float range (unbounded φ,
                               * supercritical): stopped there and counted as survivors,
                               * their S a lower bound (the sum up to that layer) */
    /* Cost accounting (for `critsweep bench`; not part of the results file). */
    double flops;             /* dense layers: 2·N·N·rows per sgemm (rows = active
                               * avalanches + baseline + tangent); sampled layers: the
                               * Gram N·m², the Cholesky m³/3 and the product 2·N·m·k */
    double flops_tangent;     /* the tangent rows' share of flops (Lyapunov cost) */
    double seconds_cpu;       /* CPU time of avalanche_run (calling thread) */
    double seconds_draw;      /* wall time (`seconds`) split into: drawing weights,
                               * biases and drives */
    double seconds_sgemm;     /*   inside cblas_sgemm (and the bias add) */
    double seconds_other;     /*   activations, norms, records, survivor bookkeeping */
    long *layers_by_rows;     /* (max_rows + 1): how many layer sgemms had that many rows */
    long max_rows;
} avalanche_result;

void avalanche_result_init(avalanche_result *r);
void avalanche_result_free(avalanche_result *r);
/* Runs the whole cascade set. 0, or an error code with err filled.
 *
 * Debugging / cross-checking: if the environment variable CRITSWEEP_DUMP_DIR names a
 * directory (engine dense only: the other engines refuse, as sampled layers have no
 * weights to write), avalanche_run also writes there, as raw little-endian float32 arrays,
 *   drive_<n>.f32       (c, N)  the drives δ of network n (c = its number of inputs)
 *   W_<n>_<l>.f32       (N, N)  W^l of network n, row-major W[i][j] (output i, input j)
 *   b_<n>_<l>.f32       (N)     b^l (zeros when σ_b² = 0)
 *   tangent_<n>.f32     (N)     the unit tangent vector network n starts from
 * for every layer it draws (only the layers some avalanche reached), so that an
 * independent implementation can replay the same cascades
 * (tests/interop/test_engine_numpy.py).  Meant for small runs: it writes N² floats per
 * drawn layer. */
int avalanche_run(const avalanche_params *p, avalanche_result *out, cs_err *err);

/* Each layer's batch goes to sgemm padded with zero rows to a multiple of this.
 * OpenBLAS's sgemm takes the batch (the N dimension of its column-major view) in
 * micro-kernel blocks, and 1-3 rows beyond a multiple of 4 cost nearly a whole block:
 * timed at N = 500 with Haswell kernels, 31 rows take 237 µs and 32 rows 193 µs, 3 rows
 * 95 µs and 4 rows 52 µs.  Padding to 4 was never slower beyond noise with the Haswell
 * or the SkylakeX/Cooperlake kernels; `critsweep bench` times the engine's calls both
 * ways.  A fixed rule, not a timed choice, so a task's rounding never depends on how
 * fast the machine was. */
#define AVALANCHE_ROW_BLOCK 4

/* The raw normals network `net` starts from: u for its c drives into drives (c, N) and
 * the tangent vector into tangent (N), each from its own stream of key.  avalanche_run
 * normalises them; `critsweep bench` replays them to time the drawing alone. */
void avalanche_draw_inputs(uint64_t key, long net, int c, int width, float *drives,
                           float *tangent);

/* Durations with a mean shape profile: shape_dmin < D < shape_dmax (0 if none). */
int avalanche_n_profile_d(int shape_dmin, int shape_dmax);

#endif

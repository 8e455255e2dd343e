/* grid.c — task index ↔ coordinates, and a cost model for scheduling and `check`.
 *
 * Tasks are numbered row-major over the sweep's dimensions (axis.h; without optional
 * axes: activation, width, sigma_b2, sigma_w2, seed): the seed varies fastest, as in the
 * results file's C-order datasets.
 *
 * Cost model (flop-equivalents of one task; only its ordering and rough size matter):
 *   avalanche  inputs · D_eff · (2N² + c_elem·N + c_row)  perturbed trajectories, sgemm
 *            + networks · L_drawn · c_rng · N²          weights drawn on demand
 *   training   epochs · (samples · 3 + 10000) · 2·P    forward+backward = 3 forward
 *              passes of 2P flops; the test set is evaluated once per epoch
 *   fixed      c_task                                    fits, histograms, bookkeeping
 * D_eff, the mean number of layers an avalanche crosses, comes from a random-walk picture
 * of log r_ℓ²: drift μ = ln χ − 1/N per layer (χ ≈ χ_1 of mean-field theory, below),
 * step spread s = sqrt(2/N), absorbed the first time it falls below its start.  For
 * that walk P(alive after n layers) ≈ P∞ + (1 − P∞) e^{−nμ²/2s²}/sqrt(πn) (Sparre
 * Andersen at μ = 0), P∞ = 1 − e^{−√2 μ/s} for μ > 0; summing to L_max gives D_eff.  It
 * is monotone in N and in L_max, peaks at the transition and is ~L_max in the chaotic
 * phase, which is what the scheduler needs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "critsweep/grid.h"
#include "critsweep/net.h"
#include "critsweep/rng.h"

/* Calibration: `critsweep point` and `critsweep train` timings (marginal CPU time, one
 * OpenBLAS thread) on a 2-core AMD EPYC with AVX-512.  Avalanches, tanh, chaotic side
 * (every avalanche crosses ~L_max layers), N = 32..256: per input and layer
 * 2N²/R + ELEM·N/R with R ≈ 90 Gflop/s and ~1.2 ns per neuron (φ, differences, norms);
 * each normal draw ~2.5 ns; training 50-80 Gflop/s of forward+backward sgemm work;
 * a task's fits and bookkeeping a few ms; loading Fashion-MNIST ~1 s per rank.
 * Slower machines scale every term alike, so the ordering of tasks holds. */
#define FLOPS_PER_SECOND 90.0e9 /* effective rate of the avalanche batches */
#define TRAIN_FLOPS_PER_SECOND 55.0e9
#define ELEM_FLOPS 100.0        /* per neuron, input and layer, flop-equivalents */
#define ROW_FLOPS 1000.0        /* per input and layer (norms, absorption test) */
#define RNG_FLOPS 225.0         /* one normal draw (Philox + Box-Muller) */
#define TASK_FLOPS 4.5e8        /* fits, mean field, histograms, writing the row */
#define DATA_LOAD_SECONDS 1.0   /* each rank reads and standardises the dataset once */

long grid_task_count(const cs_sweep *s)
{
    long n = 1;
    for (int a = 0; a < CS_AXIS_COUNT; a++)
        n *= axis_length(s, (cs_axis_id)a);
    return n;
}

int grid_dim_indices(const cs_sweep *s, long task, int out[CS_AXIS_COUNT])
{
    cs_axis_id dims[CS_AXIS_COUNT];
    int nd = axis_dims(s, dims);
    for (int k = nd - 1; k >= 0; k--) {
        long len = axis_length(s, dims[k]);
        out[k] = (int)(k ? task % len : task);
        task /= len;
    }
    return nd;
}

void grid_coords(const cs_sweep *s, long task, grid_index *out)
{
    cs_axis_id dims[CS_AXIS_COUNT];
    int idx[CS_AXIS_COUNT];
    int nd = axis_dims(s, dims);
    grid_dim_indices(s, task, idx);
    memset(out, 0, sizeof *out);
    for (int k = 0; k < nd; k++)
        out->at[dims[k]] = idx[k];
}

long grid_task(const cs_sweep *s, const grid_index *idx)
{
    cs_axis_id dims[CS_AXIS_COUNT];
    int nd = axis_dims(s, dims);
    long t = 0;
    for (int k = 0; k < nd; k++)
        t = t * axis_length(s, dims[k]) + idx->at[dims[k]];
    return t;
}

uint64_t grid_task_key(const cs_sweep *s, const grid_index *g)
{
    uint64_t key = rng_task_key(s->seed, (int)s->activation[g->activation], s->width[g->width],
                                s->sigma_w2[g->sigma_w2], s->sigma_b2[g->sigma_b2],
                                s->seeds[g->seed]);
    for (int a = 0; a < CS_AXIS_COUNT; a++) {
        if (!axis_defs[a].optional || !axis_present(s, (cs_axis_id)a))
            continue;
        double v = axis_value(s, (cs_axis_id)a, g->at[a]);
        if (v != axis_defs[a].def)
            key = rng_key_mix(key, (uint64_t)a, v);
    }
    return key;
}

double grid_q0(const cs_sweep *s, const grid_index *g)
{
    return axis_present(s, CS_AXIS_Q0) ? s->q0[g->q0] : s->avalanche.q0;
}

double grid_criticality_weight(const cs_sweep *s, const grid_index *g)
{
    return axis_present(s, CS_AXIS_CRIT_WEIGHT) ? s->crit_weight[g->crit_weight]
                                                : s->train.params.criticality_weight;
}

/* Growth factor of a small perturbation's squared norm per layer: χ_1 at the fixed
 * point q*.  Bounded activations use the closed forms of erf(√π x/2), which has tanh's
 * slope at 0 (Williams 1997): E φ(√q z)² = (2/π) asin((πq/2)/(1 + πq/2)) and
 * E φ'(√q z)² = 1/sqrt(1 + πq); for tanh this puts the edge of chaos within ~5% of the
 * quadrature (meanfield.c), cheaply enough to call for every task. */
static double chi_estimate(cs_activation a, double sw2, double sb2)
{
    switch (a) {
    case CS_ACT_RELU:
        return sw2 / 2;
    case CS_ACT_LINEAR:
        return sw2;
    default: {
        /* σ_b² = 0: the baseline is 0 and activity r = ‖h(δ)‖ grows at the slope at 0
         * while small and then settles at √(N q*) ≫ √q0, never absorbed: the growth
         * that decides absorption is σ_w² (χ at q* would call a chaotic task ordered,
         * and estimated one at N = 1024, σ_w² = 1.04 at 7 s against 122 s measured) */
        if (sb2 <= 0)
            return sw2;
        /* Bisection on f(q) = σ_w² V(q) + σ_b² − q: f > 0 just above 0 (σ_b² > 0, or
         * slope σ_w² > 1), f < 0 at σ_w² + σ_b² since V < 1.  Plain iteration of the
         * map crawls near the transition. */
        double lo = sb2 > 0 ? 0 : 1e-12, hi = sw2 + sb2, q = hi;
        for (int i = 0; i < 60; i++) {
            q = 0.5 * (lo + hi);
            double u = M_PI * q / 2;
            if (sw2 * (2 / M_PI) * asin(u / (1 + u)) + sb2 - q > 0)
                lo = q;
            else
                hi = q;
        }
        return sw2 / sqrt(1 + M_PI * q);
    }
    }
}

/* Mean layers crossed per avalanche (D_eff) and layers drawn per network; with surv
 * non-NULL also the model's survival P(an avalanche is still active after layer n) as
 * surv[0] = p_inf, surv[1] = (1 − p_inf), surv[2] = a: P(n) = surv[0] + surv[1]
 * e^{−a n}/√(πn). */
static void depth_estimate(const cs_sweep *s, cs_activation act, int N, double sb2,
                           double sw2, double *d_eff, double *l_drawn, double *surv)
{
    double L = s->avalanche.depth;
    if (s->avalanche.mode == CS_MODE_ABSOLUTE && sb2 > 0) { /* never absorbed (README §2) */
        *d_eff = *l_drawn = L;
        if (surv)
            surv[0] = 1, surv[1] = 0, surv[2] = 0;
        return;
    }
    double chi = chi_estimate(act, sw2, sb2);
    /* The walk's spread is taken at N >= 32: below that the shrinking D_eff would outrun
     * the N² of the work and make the cost fall with N (toy widths anyway). */
    double Nw = N < 32 ? 32.0 : (double)N;
    double mu = (chi > 0 ? log(chi) : -50.0) - 1.0 / Nw;
    double sd = sqrt(2.0 / Nw);
    double p_inf = mu > 0 ? 1 - exp(-sqrt(2.0) * mu / sd) : 0;
    double a = mu * mu / (2 * sd * sd);
    /* Σ_{n=1}^{L-1} e^{-an}/sqrt(πn) ≈ ∫_{1/2}^{L-1/2} = (erf(√(a(L−½))) − erf(√(a/2)))/√a */
    double tail;
    if (a < 1e-12)
        tail = 2 * (sqrt(L - 0.5) - sqrt(0.5)) / sqrt(M_PI);
    else
        tail = (erf(sqrt(a * (L - 0.5))) - erf(sqrt(a / 2))) / sqrt(a);
    double d = 1 + (L - 1) * p_inf + (1 - p_inf) * tail;
    if (surv)
        surv[0] = p_inf, surv[1] = 1 - p_inf, surv[2] = a;
    *d_eff = d < L ? d : L;
    /* The deepest of K avalanches decides how many layers a network draws. */
    double K = (double)s->avalanche.per_network;
    if (p_inf * K >= 1 || a < 1e-12)
        *l_drawn = L;
    else {
        double n = 1 + log(K) / a;
        *l_drawn = n < L ? n : L;
    }
}

static double avalanche_cost(const cs_sweep *s, cs_activation act, int N, double sb2,
                             double sw2)
{
    double d_eff, l_drawn, surv[3];
    depth_estimate(s, act, N, sb2, sw2, &d_eff, &l_drawn, surv);
    double M = (double)s->avalanche.inputs, K = (double)s->avalanche.per_network;
    double networks = ceil(M / K);
    double nn = (double)N * N;
    cs_engine e = s->avalanche.engine;
    if (e == CS_ENGINE_DENSE) {
        double prop = M * d_eff * (2 * nn + ELEM_FLOPS * N + ROW_FLOPS);
        double draw = networks * l_drawn * RNG_FLOPS * (nn + N);
        return prop + draw;
    }
    /* Layer by layer: the rows m(n) = K·P(n − 1) + tangent (+ baseline), each layer at
     * the dense cost scaled by the engine's cost ratio (net.h's model: the absolute
     * calibration stays this file's), elementwise work unchanged. */
    double Kn = K < M ? K : M, per_net = 0;
    int extra = 1 + (sb2 > 0);
    for (int n = 1; n <= (int)l_drawn; n++) {
        double P = n == 1 ? 1.0 : surv[0] + surv[1] * exp(-surv[2] * (n - 1)) /
                                                sqrt(M_PI * (n - 1));
        double B = Kn * (P < 1 ? P : 1);
        int m = (int)ceil(B) + extra;
        double dense = 2 * nn * m + RNG_FLOPS * (nn + N);
        double ratio = net_sampled_cost_s(N, m) / net_dense_cost_s(N, m);
        if (e == CS_ENGINE_AUTO &&
            !net_sampled_preferred(N, m, s->avalanche.engine_revision))
            ratio = 1;
        per_net += dense * ratio + B * (ELEM_FLOPS * N + ROW_FLOPS);
    }
    return networks * per_net;
}

static double train_cost(const cs_sweep *s, int N)
{
    if (!s->train.enabled)
        return 0;
    const train_params *t = &s->train.params;
    double params = 784.0 * N + (double)(t->depth - 1) * N * N + 10.0 * N + (t->depth + 1.0) * N;
    double samples = s->train.train_subset > 0 ? (double)s->train.train_subset : 60000.0;
    /* in avalanche flop units, so one number orders the tasks */
    double flops = t->epochs * (samples * 3 + 10000) * 2 * params;
    return flops * (FLOPS_PER_SECOND / TRAIN_FLOPS_PER_SECOND);
}

double grid_task_cost(const cs_sweep *s, long task)
{
    grid_index g;
    grid_coords(s, task, &g);
    int N = s->width[g.width];
    return TASK_FLOPS +
           avalanche_cost(s, s->activation[g.activation], N, s->sigma_b2[g.sigma_b2],
                          s->sigma_w2[g.sigma_w2]) +
           train_cost(s, N);
}

double grid_estimate_seconds(const cs_sweep *s)
{
    /* The cost does not depend on the seed (nor, in this model, on q0): sum one seed at
     * one value of the optional axes and multiply. */
    double total = 0;
    for (int a = 0; a < s->n_activation; a++)
        for (int w = 0; w < s->n_width; w++) {
            double tc = train_cost(s, s->width[w]);
            for (int b = 0; b < s->n_sigma_b2; b++)
                for (int v = 0; v < s->n_sigma_w2; v++)
                    total += TASK_FLOPS + tc +
                             avalanche_cost(s, s->activation[a], s->width[w], s->sigma_b2[b],
                                            s->sigma_w2[v]);
        }
    double copies = 1;
    for (int a = 0; a < CS_AXIS_COUNT; a++)
        if (axis_defs[a].optional)
            copies *= axis_length(s, (cs_axis_id)a);
    return total * s->n_seed * copies / FLOPS_PER_SECOND;
}

double grid_task_seconds(const cs_sweep *s, long task)
{
    return grid_task_cost(s, task) / FLOPS_PER_SECOND;
}

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

double grid_estimate_wall_seconds(const cs_sweep *s, int workers)
{
    if (workers < 1)
        workers = 1;
    long n = grid_task_count(s);
    double setup = s->train.enabled ? DATA_LOAD_SECONDS : 0;
    double total = grid_estimate_seconds(s);
    double *t = n <= 1000000 ? malloc(sizeof *t * (size_t)n) : NULL;
    double *load = t ? calloc((size_t)workers, sizeof *load) : NULL;
    if (!t || !load) { /* huge grid: the bound is tight anyway */
        free(t);
        free(load);
        return setup + total / workers;
    }
    for (long i = 0; i < n; i++)
        t[i] = grid_task_seconds(s, i);
    qsort(t, (size_t)n, sizeof *t, cmp_desc);
    /* Each task goes to the worker that frees up first (what the master does); load is
     * a binary min-heap of the workers' busy-until times. */
    for (long i = 0; i < n; i++) {
        load[0] += t[i];
        for (int k = 0;;) { /* sift down */
            int l = 2 * k + 1, r = l + 1, m = k;
            if (l < workers && load[l] < load[m])
                m = l;
            if (r < workers && load[r] < load[m])
                m = r;
            if (m == k)
                break;
            double tmp = load[k];
            load[k] = load[m];
            load[m] = tmp;
            k = m;
        }
    }
    double wall = 0;
    for (int w = 0; w < workers; w++)
        if (load[w] > wall)
            wall = load[w];
    free(t);
    free(load);
    return setup + wall;
}

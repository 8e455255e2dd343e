/* trained_crit.h — the criticality of a trained MLP (Vock & Meisel; README §7): does
 * training move a network toward criticality?
 *
 * Along the trajectories of real inputs x (test images) through the hidden layers
 * h^1 … h^L of the trained network (h^{l+1} = W^l φ(h^l) + b^l; the input is not
 * squashed, as in training):
 * - branching: r_l = ‖h^l(x + δ) − h^l(x)‖ with δ = sqrt(q0)·u/‖u‖ in input space, and
 *   m = exp(mean over images and l = 1..L−1 of ln(r_{l+1}/r_l)): the geometric mean of
 *   the layer-to-layer ratios between hidden layers of equal width (the ratio out of
 *   the 784-wide input layer says nothing about criticality);
 * - Lyapunov: a unit tangent v at h^1 pushed by the Jacobians W^l diag(φ′(h^l)),
 *   λ_0 = mean over images and l = 1..L−1 of ln(‖v_{l+1}‖/‖v_l‖), renormalised each
 *   layer.
 * Critical at m = 1 and λ_0 = 0; a linear network with orthogonal hidden weights has
 * both exactly.  Needs L ≥ 2 hidden layers (NaN otherwise).  Every product is one
 * sgemm over the batch (OpenBLAS). */
#ifndef CRITSWEEP_TRAINED_CRIT_H
#define CRITSWEEP_TRAINED_CRIT_H

#include <stdint.h>

#include "critsweep/common.h"
#include "critsweep/train.h"

/* Measures m and λ_0 of n on the first `count` rows of x (count, in_dim), in batches;
 * drives and tangents from stream (key, CS_STREAM_TRAINED_CRIT, batch).  The network is
 * only read.  0, or CS_EXIT_ERROR (out of memory). */
int trained_criticality(const train_net *n, const float *x, long count, double q0, uint64_t key,
                        double *branching, double *lyapunov, cs_err *err);

/* h = a W^lᵀ (+ b^l on the first bias_rows rows) for `rows` rows: layer l of n as one
 * sgemm (a (rows, fan_in), h (rows, fan_out)). */
void trained_layer(const train_net *n, int l, const float *a, float *h, int rows, int bias_rows);

/* Share of hidden units whose slope φ′ is below flat_slope on at least flat_share of the
 * first count rows of x: saturated (tanh, erf, hard-tanh) or dead (ReLU) units.  NaN
 * when out of memory. */
double trained_inactive_fraction(const train_net *n, const float *x, long count,
                                 double flat_slope, double flat_share);

#endif

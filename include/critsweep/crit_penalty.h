/* crit_penalty.h — a training objective that drives a network toward criticality
 * (README §7; Vock & Meisel's second claim, designed here from first principles).
 *
 * For each hidden-to-hidden layer l = 1 … L−1 of the MLP (weights W^l, N×N) and each
 * example b of the batch, a random unit vector v_b (stream (key, CS_STREAM_CRIT_PENALTY,
 * step)) is pushed through the layer's Jacobian at the example's trajectory:
 *   u_b = φ′(h^{l}_b) ⊙ v_b,   y_b = W^l u_b,   g_{l,b} = ‖y_b‖   (the layer's gain),
 * and the penalty is
 *   P = (1/B) Σ_b Σ_l (ln g_{l,b})²,
 * zero when every layer preserves the norm of a perturbation on average in log: m = 1,
 * λ_0 = 0.  What is differentiated: P with respect to every W^l through y_b, with u_b
 * held fixed (φ′(h) is treated as a constant: no second derivative of φ, and no
 * gradient into earlier layers through h).  So
 *   ∂P/∂W^l = (1/B) Σ_b (2 ln g_{l,b} / g_{l,b}²) y_b u_bᵀ,
 * two sgemm per layer over the batch.  The training loss becomes L_CE + w·P with w =
 * train.criticality_weight. */
#ifndef CRITSWEEP_CRIT_PENALTY_H
#define CRITSWEEP_CRIT_PENALTY_H

#include <stdint.h>

#include "critsweep/train.h"

/* After a forward pass of B examples (n->acts, and n->slope for erf, hold the batch):
 * P as above; when weight ≠ 0 also adds weight·∂P/∂W^l to n->grads.  scratch holds
 * 3·B·N floats.  step names the tangents' stream. */
double crit_penalty(train_net *n, int B, double weight, uint64_t key, long step, float *scratch);

/* The directions v_b crit_penalty(…, key, step, …) draws: (depth − 1, B, N), layer
 * l = 1 … depth−1 at row block l − 1.  For the PyTorch cross-check (critsweep train
 * --debug-dump). */
void crit_penalty_directions(const train_net *n, int B, uint64_t key, long step, float *v);

#endif

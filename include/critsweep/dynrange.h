/* dynrange.h — the dynamic range of a random deep network (Kinouchi & Copelli 2006;
 * README §7).
 *
 * Response to a drive of strength q at depth L_Δ:
 *   R(q) = mean over inputs of ‖h^{L_Δ}(x0 + δ_q) − h^{L_Δ}(x0)‖₂,
 * δ_q = sqrt(q)·u/‖u‖ with one direction u ~ Normal(0, I_N) per input shared by every q
 * (common random numbers: the curve's shape carries no direction noise), x0 = 0, through
 * the task's own networks (dense layers of network n, the avalanche engine's weights).
 * With R̃ the monotone envelope of R (its running maximum over increasing q), q_x solves
 * R̃(q_x) = R̃(q_min) + x (R̃(q_max) − R̃(q_min)) by linear interpolation in log q, and
 *   Δ = 10 log10(q_0.9 / q_0.1)   (dB).
 * Where the response has no range to speak of, Δ is NaN with a reason: in the chaotic
 * phase any drive, however small, decorrelates the trajectories and R(q_min) is already
 * saturated, so a ratio R(q_max)/R(q_min) below DYNRANGE_MIN_RATIO gives NaN (a raw
 * reading there gave a spurious 65 dB at N = 100, L_Δ = 50, σ_w² = 1.5).
 * Closed form for checks: a linear network has R(q) = c·sqrt(q), so Δ does not depend on
 * σ_w² (c cancels) and is fixed by the q grid alone. */
#ifndef CRITSWEEP_DYNRANGE_H
#define CRITSWEEP_DYNRANGE_H

#include <stdint.h>

#include "critsweep/activation.h"
#include "critsweep/common.h"

/* Fewest R(q_max)/R(q_min) for Δ to be defined (a linear network has sqrt(q_max/q_min),
 * 10^4 on a grid from 10^-6 to 10^2). */
#define DYNRANGE_MIN_RATIO 10.0
#define DYNRANGE_NOTE_LEN 160

typedef struct {
    cs_activation activation;
    int width;               /* N */
    double sigma_w2, sigma_b2;
    uint64_t key;            /* the task's key (rng_task_key) */
    int depth;               /* L_Δ */
    int n_q;
    const double *q;         /* (n_q) ascending, > 0 */
    int networks;            /* networks 0 .. networks-1 of the task */
    int inputs;              /* directions u per network */
} dynrange_params;

typedef struct {
    double *response;        /* (n_q) R(q), owned by the caller */
    double dynamic_range;    /* Δ in dB, or NaN (see note) */
    int envelope_used;       /* R was not monotone and its envelope was used */
    char note[DYNRANGE_NOTE_LEN]; /* why Δ is NaN, or that the envelope was used; "" */
} dynrange_result;

/* Drive j of n_q log-spaced from q_min to q_max (both ends exact): the q grid of the
 * sweep's dynrange: settings, the coordinate dynrange_q of the results file. */
double dynrange_q_value(double q_min, double q_max, int n_q, int j);

/* Δ from a measured response curve (the definition above). */
double dynrange_from_response(const double *q, const double *R, int n_q, int *envelope_used,
                              char *note, size_t note_len);

/* Measures R(q) through the task's networks and fills r. 0, or CS_EXIT_ERROR. */
int dynrange_run(const dynrange_params *p, dynrange_result *r, cs_err *err);

#endif

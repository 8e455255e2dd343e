/* meanfield.h — signal propagation at infinite width (README §5; Poole et al. 2016,
 * Schoenholz et al. 2017): the fixed point q*, χ_1, ξ_c and the edge-of-chaos line. */
#ifndef CRITSWEEP_MEANFIELD_H
#define CRITSWEEP_MEANFIELD_H

#include "critsweep/activation.h"

typedef struct {
    double q_star;   /* NaN if the map has no finite fixed point (e.g. ReLU with σ_w² > 2,
                      * or σ_w² = 2 and σ_b² > 0) */
    double chi1;     /* σ_w² E[φ'(sqrt(q*) z)^2] */
    double xi_c;     /* -1/ln χ_1 (inf at χ_1 = 1; NaN when χ_1 > 1) */
} meanfield_point;

/* 0 on success; -1 if no fixed point was found (fields NaN, except χ_1 for ReLU and
 * linear, where E[φ'²] does not depend on q and χ_1 = σ_w²/2 or σ_w² still says how fast
 * the signal grows).  At σ_b² = 0 the degenerate fixed point q* = 0 is returned whenever
 * it is the only one (e.g. tanh with σ_w² <= 1); χ_1 is then σ_w² times the limit
 * q → 0⁺ of E[φ'(√q z)²]: φ'(0)² = 1 for tanh, erf and hard-tanh, ½ for ReLU. */
int meanfield_evaluate(cs_activation a, double sigma_w2, double sigma_b2,
                       meanfield_point *out);
/* σ_w² where χ_1 = 1 at this σ_b² (bracketing root finder); NaN if none in (0, 100]. */
double meanfield_edge_sigma_w2(cs_activation a, double sigma_b2);
/* E_z[f(sqrt(q) z)], z ~ Normal(0, 1), by GSL's adaptive quadrature split at |z| =
 * 20/sqrt(q) and 10 (meant for f whose structure lies within |x| < 20, like φ² and
 * φ'²; 1e-12 relative); exposed for tests. */
double meanfield_gauss_expect(double (*f)(double x, const void *ctx), const void *ctx,
                              double q);

#endif

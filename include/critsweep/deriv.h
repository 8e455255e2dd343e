/* deriv.h — the slope of a noisy curve and the location of its maximum (README §3).
 *
 * χ = ∂S̄/∂σ_w² from finite differences multiplies seed noise by 1/Δσ_w²: on points
 * 0.005 apart that is ~300×.  Here the slope comes from a local quadratic regression
 * (LOESS-style): around each point t the cells within half-width h are fitted with
 * a + b (x − t) + c (x − t)², weighted by a tricube kernel in |x − t|/h times
 * 1/se² (each cell's standard error over seeds), and b is the slope at t.  The
 * half-width is chosen by leave-one-out cross-validation (every cell's error counted alike:
 * across a transition 1/se² spans orders of magnitude, and weighted by it the choice
 * fitted the flat ordered cells and smoothed the peak).  The 3×3 weighted
 * normal equations are solved by LAPACK's Cholesky (dposv).  Each cell's se is
 * pooled (median) with its two neighbours' on either side before it becomes a weight.   */
#ifndef CRITSWEEP_DERIV_H
#define CRITSWEEP_DERIV_H

/* Fewest points a local fit may use (3 parameters and at least 2 degrees of freedom). */
#define DERIV_MIN_POINTS 5

typedef struct {
    const double *x;  /* (n) sorted ascending, distinct */
    const double *y;  /* (n) cell means; NaN cells are left out */
    const double *se; /* (n) their standard errors, or NULL (equal weights); NaN or 0
                         entries get the median of the others */
    int n;
} deriv_curve;

/* Value and slope of the local quadratic fit at t with half-width h.  Returns 0, or -1
 * (outputs NaN) when the curve has fewer than DERIV_MIN_POINTS usable cells or the
 * fit is singular. */
int deriv_local_fit(const deriv_curve *c, double h, double t, double *value, double *slope);

/* The half-width, among windows of 7 cells at the finest spacing, growing by factors of
 * 1.2 up to n cells at the median spacing, with the
 * least leave-one-out error; NaN when the curve has fewer than
 * DERIV_MIN_POINTS + 1 usable cells.  Near the ends of the range every fit widens its
 * window until it holds DERIV_MIN_POINTS cells. */
double deriv_bandwidth(const deriv_curve *c);

/* Maximum of the smoothed slope over [x_0, x_{n-1}]: scanned on a grid 8 times finer
 * than the cells, then refined by golden-section search (gsl_min).  *at_edge is set
 * when the maximum lies at an end of the range (the peak may lie outside).  Returns 0,
 * or -1 (outputs NaN) when h is NaN or no fit succeeds. */
int deriv_slope_peak(const deriv_curve *c, double h, double *location, double *peak,
                     int *at_edge);

/* Maximum of the smoothed value itself (the accuracy ridge), found the same way. */
int deriv_value_peak(const deriv_curve *c, double h, double *location, double *peak,
                     int *at_edge);

/* deriv_bandwidth then deriv_slope_peak.  A bootstrap calls this on every replicate, so
 * that its interval holds the uncertainty of the bandwidth choice too (with the
 * bandwidth of the data held fixed, 95 % intervals covered the truth in 80 % of
 * synthetic sweeps; chosen again per replicate, in 92 %). */
int deriv_peak(const deriv_curve *c, double *location, double *peak, int *at_edge, double *h);

/* The fallback for lines too short for a local fit, and χ_fd: numpy.gradient(f, x) for one
 * line of n >= 2 points (f and out strided): second-order central differences inside,
 * first-order one-sided at the ends, non-uniform spacing; numpy's uniform-spacing
 * branch when all steps are equal.  NaN propagates as in numpy. */
void deriv_gradient(const double *f, long fstride, const double *x, int n, double *out,
                    long ostride);
/* Location of the maximum of y over the grid x (NaN ignored), refined by the parabola
 * through the maximum and its two neighbours (the grid value at an edge or next to a
 * NaN); *ymax (may be NULL) the largest y.  NaN if no finite y. */
double deriv_grid_peak(const double *x, const double *y, long ystride, int n, double *ymax);

#endif

/* fit.h — avalanche exponents (README §4): τ_s and τ_d through libplfit, γ by the
 * weighted regression, the crackling prediction, shape collapse, and the sufficient
 * statistics that let the runner pool exponents over seeds exactly. */
#ifndef CRITSWEEP_FIT_H
#define CRITSWEEP_FIT_H

#include <stdint.h>

#include "critsweep/common.h"

typedef struct {
    double xmin_s;      /* reference 0.5; <= 0 means "auto" (KS minimum) */
    double xmin_d;      /* reference 5;   <= 0 means "auto" */
    int gamma_min_count;/* events per D for the γ regression (reference 100) */
    int bootstrap;      /* bootstrap samples for the p-value; 0 = none */
    uint64_t seed;      /* bootstrap stream key */
    double shape_gamma_lo, shape_gamma_hi, shape_gamma_step; /* 1.3, 2.0, 0.01 */
    int shape_points;   /* 50 */
} fit_options;

void fit_options_default(fit_options *o);

typedef struct {
    double tau, tau_err;
    double xmin;         /* the xmin used (given or chosen) */
    long n_tail;         /* samples >= xmin */
    double ks;           /* KS distance of the fit */
    double p_value;      /* NaN unless bootstrap > 0 */
} fit_powerlaw;

/* Continuous MLE over S_i >= xmin (τ = 1 + n / Σ ln(S_i/xmin), error (τ-1)/sqrt(n)). */
int fit_tau_continuous(const double *x, long n, const fit_options *o, double xmin,
                       fit_powerlaw *out, cs_err *err);
/* Discrete MLE with Hurwitz zeta over D_i >= xmin. */
int fit_tau_discrete(const double *x, long n, const fit_options *o, double xmin,
                     fit_powerlaw *out, cs_err *err);

/* γ = slope of the weighted least squares of log10 M(D) on log10 D (§4). NaN if fewer
 * than 3 D values qualify. */
int fit_gamma(const double *S, const double *D, long n, double xmin_s, double xmin_d,
              int min_count, double *gamma, double *gamma_err);

/* Shape collapse over mean profiles: profile_sum/profile_count as in avalanche_result
 * (row d is duration dmin + 1 + d, first D entries used), rows with count < min_count
 * skipped. Each mean profile is resampled to shape_points points of l/D and divided by
 * D^(γ−1); NMSE(γ) = Σ_{rows,points}(y − ȳ)² / Σ_{rows,points} ȳ² with ȳ the mean
 * rescaled curve, scanned over [lo, hi] by step.  γ is the scan minimum; its error comes
 * from the parabola a(γ−γ0)² + c through the minimum and its two neighbours: the
 * half-width where NMSE rises by c/M (M = rows × points, Δχ² = 1 if the NMSE is a χ per
 * residual), i.e. sqrt(c / (M a)).  Error NaN when the minimum is at a scan edge; both
 * NaN if < 2 rows. */
int fit_shape_collapse(const double *profile_sum, const long *profile_count, int n_d,
                       int stride, int dmin, int min_count, const fit_options *o,
                       double *gamma, double *gamma_err);

/* Mean profile of one duration D (sum of V_l over count avalanches, l < D) resampled
 * by linear interpolation at P points of l/D: sample l sits at l/(D−1), output j at
 * j/(P−1).  The same resampling feeds the shape collapse.  out: (P); NaN if D < 2 or
 * count <= 0. */
void fit_resample_profile(const double *sum, double count, int D, int P, double *out);

/* --- Sufficient statistics: what a task stores so exponents pool exactly over seeds. */
typedef struct {
    int dmax;              /* durations 0 .. dmax-1 */
    double n_tail_s;       /* count of S >= xmin_s */
    double sum_log_s;      /* Σ ln(S/xmin_s) over S >= xmin_s */
    double *count_d;       /* (dmax) recorded avalanches per duration (all S) */
    /* Over events with D >= xmin_d and S >= xmin_s, per duration: */
    double *gcount;        /* (dmax) */
    double *gsum_S;        /* (dmax) Σ S */
    double *gsum_log10S;   /* (dmax) Σ log10 S */
    double *gsum_log10S2;  /* (dmax) Σ (log10 S)^2 */
} fit_suffstats;

int fit_suffstats_init(fit_suffstats *s, int dmax);
void fit_suffstats_free(fit_suffstats *s);
/* Accumulates n avalanches (durations >= dmax are an error). */
int fit_suffstats_add(fit_suffstats *s, const double *S, const double *D, long n,
                      double xmin_s, double xmin_d, cs_err *err);
/* Adds b into a (same dmax). */
void fit_suffstats_merge(fit_suffstats *a, const fit_suffstats *b);
/* Exponents from statistics alone: identical to the sample fits at fixed xmin. */
void fit_tau_s_from_stats(const fit_suffstats *s, double *tau, double *err);
void fit_tau_d_from_stats(const fit_suffstats *s, double xmin_d, double *tau, double *err);
void fit_gamma_from_stats(const fit_suffstats *s, int min_count, double *gamma, double *err);

/* Reference universality classes (§4), nearest by Euclidean distance in (τ_s, τ_d, γ),
 * NaN components ignored. */
typedef struct {
    const char *name;
    double tau_s, tau_d, gamma;
} fit_class;
int fit_reference_classes(const fit_class **out); /* returns the count */
/* Fills distance[i] for every class and returns the index of the nearest. */
int fit_nearest_class(double tau_s, double tau_d, double gamma, double *distance);

/* --- Streamed inputs (`critsweep fit`): what the fits need, kept compactly. */
/* τ_s on a tail the caller owns: m values, every one finite and >= xmin (> 0 for auto),
 * reordered in place.  At a fixed xmin without bootstrap it is sorted in place and fitted
 * with no further copy, to the same bits as fit_tau_continuous; otherwise that is called
 * (libplfit then works on its own copies). */
int fit_tau_continuous_tail(double *tail, long m, const fit_options *o, double xmin,
                            fit_powerlaw *out, cs_err *err);
/* τ_d from a histogram: k distinct durations value[] in increasing order with count[]
 * events each.  At a fixed xmin without bootstrap straight from the counts; for the KS
 * choice of xmin or a bootstrap the sample is expanded (8 bytes per event >= 1).  The
 * same bits as fit_tau_discrete on the expanded sample. */
int fit_tau_discrete_hist(const double *value, const double *count, long k,
                          const fit_options *o, double xmin, fit_powerlaw *out, cs_err *err);
/* γ from what fit_gamma sums per duration: d[] increasing, c[] events, s[] Σ S,
 * l[] Σ log10 S, l2[] Σ (log10 S)² (over S >= xmin_s, S > 0, D >= xmin_d, in input
 * order); the same bits as fit_gamma on those events. */
void fit_gamma_from_sums(const double *d, const double *c, const double *s, const double *l,
                         const double *l2, long k, int min_count, double *gamma,
                         double *gamma_err);

#endif

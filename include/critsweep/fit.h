/* fit.h — avalanche exponents (README §4): τ_s and τ_d through libplfit, γ by the
 * weighted regression, the crackling prediction, shape collapse, and the sufficient
 * statistics that let the runner pool exponents over seeds exactly. */
#ifndef CRITSWEEP_FIT_H
#define CRITSWEEP_FIT_H

#include <stdint.h>

#include "critsweep/common.h"

/* The degeneracy rule (README §4): a power-law fit needs at least CS_FIT_MIN_EVENTS
 * events at or above its xmin, with at least two distinct values among them; otherwise
 * the exponent is NaN.  Ten events give τ to about (τ−1)/3, and one distinct value has
 * no shape to fit (the MLE then only reflects where xmin sits below it). */
#define CS_FIT_MIN_EVENTS 10
/* A fit note: "; "-separated clauses saying why exponents are NaN, "" when none are.
 * ASCII, so a note cut at any byte is still valid UTF-8. */
#define CS_FIT_NOTE_LEN 160

typedef struct {
    double xmin_s;      /* reference 0.5; <= 0 means "auto" (KS minimum) */
    double xmin_d;      /* reference 5;   <= 0 means "auto" */
    int gamma_min_count;/* events per D for the γ regression (reference 100) */
    int bootstrap;      /* bootstrap samples for the p-value; 0 = none */
    uint64_t seed;      /* bootstrap stream key */
    double shape_gamma_lo, shape_gamma_hi, shape_gamma_step; /* 1.3, 2.0, 0.01 */
    int shape_points;   /* 50 */
} fit_options;

/* The fits' defaults (README §4): τ_s above S = 0.5, τ_d above D = 5, and γ only from
 * durations seen at least 100 times. */
#define FIT_XMIN_S_DEFAULT 0.5
#define FIT_XMIN_D_DEFAULT 5.0
#define FIT_GAMMA_MIN_COUNT_DEFAULT 100

void fit_options_default(fit_options *o);

typedef struct {
    double tau, tau_err;
    double xmin;         /* the xmin used (given or chosen) */
    long n_tail;         /* samples >= xmin (also when τ is NaN) */
    int n_distinct;      /* distinct values among them, counted up to 2 */
    double tail_min;     /* the smallest of them (the only one when n_distinct == 1) */
    double ks;           /* KS distance of the fit */
    double p_value;      /* NaN unless bootstrap > 0 */
} fit_powerlaw;

/* Continuous MLE over S_i >= xmin (τ = 1 + n / Σ ln(S_i/xmin), error (τ-1)/sqrt(n)).
 * Both fits apply the degeneracy rule, to the whole usable sample before an automatic
 * xmin search and to the tail above the xmin used. */
int fit_tau_continuous(const double *x, long n, const fit_options *o, double xmin,
                       fit_powerlaw *out, cs_err *err);
/* Discrete MLE with Hurwitz zeta over D_i >= xmin. */
int fit_tau_discrete(const double *x, long n, const fit_options *o, double xmin,
                     fit_powerlaw *out, cs_err *err);

/* γ = slope of the weighted least squares of log10 M(D) on log10 D (§4). NaN if fewer
 * than 3 D values qualify (each with >= min_count events). */
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
 * NaN if < 2 rows or < CS_FIT_MIN_EVENTS avalanches in them (the degeneracy rule). */
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
    /* Smallest and largest S >= xmin_s (NaN before any): the degeneracy rule for pooled
     * τ_s, which (n_tail_s, sum_log_s) alone cannot tell. */
    double s_tail_min, s_tail_max;
} fit_suffstats;

int fit_suffstats_init(fit_suffstats *s, int dmax);
void fit_suffstats_free(fit_suffstats *s);
/* Accumulates n avalanches (durations >= dmax are an error). */
int fit_suffstats_add(fit_suffstats *s, const double *S, const double *D, long n,
                      double xmin_s, double xmin_d, cs_err *err);
/* Adds b into a (same dmax). */
void fit_suffstats_merge(fit_suffstats *a, const fit_suffstats *b);
/* Exponents from statistics alone: identical to the sample fits at fixed xmin, the
 * degeneracy rule included. */
void fit_tau_s_from_stats(const fit_suffstats *s, double *tau, double *err);
void fit_tau_d_from_stats(const fit_suffstats *s, double xmin_d, double *tau, double *err);
void fit_gamma_from_stats(const fit_suffstats *s, int min_count, double *gamma, double *err);

/* --- τ_s, τ_d, γ and γ_pred together, with a note saying why any of them is NaN. */
typedef struct {
    fit_powerlaw s, d;      /* τ_s and τ_d fits (from statistics: tau, tau_err, xmin,
                             * n_tail, n_distinct, tail_min only) */
    double gamma, gamma_err, gamma_pred;
    int gamma_durations;    /* durations in the γ regression */
    char note[CS_FIT_NOTE_LEN];
} fit_exponents;

/* One sample: τ_s at o->xmin_s, τ_d at o->xmin_d, γ over S >= xmin_s and D >= xmin_d
 * of the fits (the reference 0.5 and 5 where a fit chose none). */
int fit_exponents_sample(const double *S, const double *D, long n, const fit_options *o,
                         fit_exponents *out, cs_err *err);
/* Pooled: the same from sufficient statistics (τ_d at xmin_d, NaN if xmin_d < 1). */
void fit_exponents_pooled(const fit_suffstats *s, double xmin_d, int min_count,
                          fit_exponents *out);

/* Appends a clause to note (CS_FIT_NOTE_LEN bytes), "; " after any earlier one; a clause
 * that does not fit ends the note with "..." instead. */
void fit_note_add(char *note, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The clause for a NaN shape collapse over the same rows fit_shape_collapse takes. */
void fit_note_shape(char *note, const long *profile_count, int n_d, int stride, int dmin,
                    int min_count);

/* Reference universality classes (§4), nearest by Euclidean distance in (τ_s, τ_d, γ).
 * A class is named only when all three are finite: a degenerate or missing exponent
 * would otherwise pick the class from the others alone. */
typedef struct {
    const char *name;
    double tau_s, tau_d, gamma;
} fit_class;
int fit_reference_classes(const fit_class **out); /* returns the count */
/* Fills distance[i] for every class (NaN unless all three exponents are finite) and
 * returns the index of the nearest, -1 if none is named. */
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
 * order); the same bits as fit_gamma on those events.  Returns the durations used;
 * *events (may be NULL) their events. */
int fit_gamma_from_sums(const double *d, const double *c, const double *s, const double *l,
                        const double *l2, long k, int min_count, double *gamma,
                        double *gamma_err, double *events);
/* γ_pred and the note from e's fits (s, d, gamma, gamma_durations set); gamma_events:
 * the γ regression's events.  Used where the fits were made piecewise (streamed). */
void fit_exponents_finish(fit_exponents *e, double gamma_events, int min_count);

#endif

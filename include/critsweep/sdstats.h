/* sdstats.h — what `critsweep fit` keeps of S/D rows streamed from a file: the sizes in
 * the τ_s tail (8 bytes each: the KS distance, the KS choice of xmin and the bootstrap
 * need the values) and, per distinct duration, its count and the γ regression's sums.
 * Memory: 8 bytes per tail size and at most 80 per distinct duration, whatever the
 * length of the file. */
#ifndef CRITSWEEP_SDSTATS_H
#define CRITSWEEP_SDSTATS_H

typedef struct {
    double d;                  /* the duration */
    double count;              /* rows with it */
    double gc, gs, gl, gl2;    /* over its rows with S >= gxs, S > 0, d >= gxd: count,
                                  Σ S, Σ log10 S, Σ (log10 S)², in row order */
} sd_duration;

typedef struct {
    double tail_lo;            /* sizes >= this are kept */
    double *tail;
    long n_tail, cap_tail;
    sd_duration *dur;          /* distinct durations, in first-seen order until sorted */
    long n_dur, cap_dur;
    long *slot;                /* open-addressing index: 1 + entry, 0 = empty */
    long n_slot;               /* a power of two, at least twice n_dur */
    int gamma;                 /* accumulate the γ sums */
    double gxs, gxd;           /* their thresholds */
} sd_stats;

/* tail_lo: xmin_s, or the smallest positive double for the KS choice of xmin (S > 0).
 * gamma: accumulate the γ sums at (gxs, gxd) while adding rows (known xmins). */
int sd_stats_init(sd_stats *st, double tail_lo, int gamma, double gxs, double gxd);
void sd_stats_free(sd_stats *st);
/* Row callbacks for sdfile_read (ctx: the sd_stats).  sd_stats_add keeps the row;
 * sd_stats_add_gamma only adds to the γ sums (a second pass, once the xmins are known).
 * Out of memory: a message, CS_EXIT_ERROR. */
int sd_stats_add(void *st, double s, double d);
int sd_stats_add_gamma(void *st, double s, double d);
/* Zeroes the γ sums and sets their thresholds, for a second pass. */
void sd_stats_gamma_reset(sd_stats *st, double gxs, double gxd);
/* Sorts the durations increasingly (the fits want them so) and reindexes them. */
void sd_stats_sort(sd_stats *st);
/* The durations' fields as arrays, in their current order: out[f][i] for f = d, count,
 * gc, gs, gl, gl2; one allocation, free(out[0]).  -1 if out of memory. */
int sd_stats_columns(const sd_stats *st, double *out[6]);

#endif

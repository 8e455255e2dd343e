/* sdstats.c — compact statistics of streamed S/D rows for `critsweep fit` (see
 * sdstats.h).  Durations are whole numbers up to 1e15, so they are hashed (open
 * addressing, linear probing) rather than indexed: memory follows the number of
 * distinct durations, not the largest one. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "critsweep/common.h"
#include "critsweep/sdstats.h"

static int oom(const char *what)
{
    fprintf(stderr, "critsweep fit: out of memory for %s\n", what);
    return CS_EXIT_ERROR;
}

/* splitmix64's finaliser: durations are often consecutive integers. */
static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static long *probe(const sd_stats *st, long *slot, long n_slot, double d)
{
    uint64_t mask = (uint64_t)n_slot - 1, h = mix((uint64_t)d) & mask;
    while (slot[h] && st->dur[slot[h] - 1].d != d)
        h = (h + 1) & mask;
    return &slot[h];
}

static int rehash(sd_stats *st, long n_slot)
{
    long *slot = calloc((size_t)n_slot, sizeof *slot);
    if (!slot)
        return -1;
    for (long i = 0; i < st->n_dur; i++)
        *probe(st, slot, n_slot, st->dur[i].d) = i + 1;
    free(st->slot);
    st->slot = slot;
    st->n_slot = n_slot;
    return 0;
}

int sd_stats_init(sd_stats *st, double tail_lo, int gamma, double gxs, double gxd)
{
    memset(st, 0, sizeof *st);
    st->tail_lo = tail_lo;
    st->gamma = gamma;
    st->gxs = gxs;
    st->gxd = gxd;
    return rehash(st, 1024) ? oom("the duration histogram") : 0;
}

void sd_stats_free(sd_stats *st)
{
    free(st->tail);
    free(st->dur);
    free(st->slot);
    memset(st, 0, sizeof *st);
}

/* The entry of duration d, created with zero counts if new; NULL if out of memory. */
static sd_duration *entry(sd_stats *st, double d)
{
    long *s = probe(st, st->slot, st->n_slot, d);
    if (*s)
        return &st->dur[*s - 1];
    if (2 * (st->n_dur + 1) > st->n_slot) { /* keep the table at most half full */
        if (rehash(st, 2 * st->n_slot))
            return NULL;
        s = probe(st, st->slot, st->n_slot, d);
    }
    if (st->n_dur == st->cap_dur) {
        long cap = st->cap_dur ? 2 * st->cap_dur : 256;
        sd_duration *p = realloc(st->dur, (size_t)cap * sizeof *p);
        if (!p)
            return NULL;
        st->dur = p;
        st->cap_dur = cap;
    }
    sd_duration *e = &st->dur[st->n_dur++];
    memset(e, 0, sizeof *e);
    e->d = d;
    *s = st->n_dur;
    return e;
}

/* fit_gamma's selection and sums, in row order. */
static void add_gamma(const sd_stats *st, sd_duration *e, double s)
{
    if (e->d >= st->gxd && s >= st->gxs && s > 0) {
        double lx = log10(s);
        e->gc += 1;
        e->gs += s;
        e->gl += lx;
        e->gl2 += lx * lx;
    }
}

int sd_stats_add(void *ctx, double s, double d)
{
    sd_stats *st = ctx;
    if (s >= st->tail_lo) {
        if (st->n_tail == st->cap_tail) {
            /* Doubling: glibc moves a block this large with mremap, without a copy. */
            long cap = st->cap_tail ? 2 * st->cap_tail : 65536;
            double *p = realloc(st->tail, (size_t)cap * sizeof *p);
            if (!p)
                return oom("the sizes");
            st->tail = p;
            st->cap_tail = cap;
        }
        st->tail[st->n_tail++] = s;
    }
    sd_duration *e = entry(st, d);
    if (!e)
        return oom("the duration histogram");
    e->count += 1;
    if (st->gamma)
        add_gamma(st, e, s);
    return 0;
}

int sd_stats_add_gamma(void *ctx, double s, double d)
{
    sd_stats *st = ctx;
    sd_duration *e = entry(st, d);
    if (!e)
        return oom("the duration histogram");
    add_gamma(st, e, s);
    return 0;
}

void sd_stats_gamma_reset(sd_stats *st, double gxs, double gxd)
{
    for (long i = 0; i < st->n_dur; i++)
        st->dur[i].gc = st->dur[i].gs = st->dur[i].gl = st->dur[i].gl2 = 0;
    st->gamma = 1;
    st->gxs = gxs;
    st->gxd = gxd;
}

static int cmp_duration(const void *a, const void *b)
{
    double x = ((const sd_duration *)a)->d, y = ((const sd_duration *)b)->d;
    return (x > y) - (x < y);
}

void sd_stats_sort(sd_stats *st)
{
    qsort(st->dur, (size_t)st->n_dur, sizeof *st->dur, cmp_duration);
    memset(st->slot, 0, (size_t)st->n_slot * sizeof *st->slot);
    for (long i = 0; i < st->n_dur; i++)
        *probe(st, st->slot, st->n_slot, st->dur[i].d) = i + 1;
}

int sd_stats_columns(const sd_stats *st, double *out[6])
{
    size_t k = (size_t)(st->n_dur > 0 ? st->n_dur : 1);
    double *b = malloc(6 * k * sizeof *b);
    if (!b)
        return -1;
    for (int f = 0; f < 6; f++)
        out[f] = b + f * k;
    for (long i = 0; i < st->n_dur; i++) {
        const sd_duration *e = &st->dur[i];
        out[0][i] = e->d, out[1][i] = e->count, out[2][i] = e->gc;
        out[3][i] = e->gs, out[4][i] = e->gl, out[5][i] = e->gl2;
    }
    return 0;
}

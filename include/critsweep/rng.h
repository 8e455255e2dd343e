/* rng.h — Philox4x32-10 counter-based streams (Salmon et al., SC'11).
 *
 * Every random number of a task comes from a stream named by (key, stream): the key is
 * derived from the sweep seed and the task's coordinates, the stream from the purpose
 * and an index (network number, layer, epoch).  Nothing depends on the rank or the
 * order of execution, so 1 worker and 16 workers draw the same numbers. */
#ifndef CRITSWEEP_RNG_H
#define CRITSWEEP_RNG_H

#include <stddef.h>
#include <stdint.h>

/* Purposes: the top bits of a stream id, so that streams of different purposes never
 * overlap.  Append new purposes at the end; the values are part of determinism. */
typedef enum {
    CS_STREAM_WEIGHTS = 1, /* index: network << 20 | layer */
    CS_STREAM_BIASES = 2,  /* index: network << 20 | layer */
    CS_STREAM_DRIVE = 3,   /* index: network (the K drives of that network) */
    CS_STREAM_TANGENT = 4, /* index: network (Lyapunov tangent vectors) */
    CS_STREAM_TRAIN_INIT = 5, /* index: layer of the trained MLP */
    CS_STREAM_SHUFFLE = 6,    /* index: epoch */
    CS_STREAM_SUBSET = 7,     /* index: 0 (training subset choice) */
    CS_STREAM_BOOTSTRAP = 8,  /* index: 0 (fit bootstrap) */
    CS_STREAM_SAMPLED = 9,    /* index: network << 20 | layer (G of a sampled layer) */
    CS_STREAM_CLAIM = 10,     /* index: bootstrap replicate of the claim test */
    CS_STREAM_DYNRANGE = 11,  /* index: network (the drive directions of the dynamic range) */
    CS_STREAM_TRAINED_CRIT = 12, /* index: batch (drives and tangents of the trained MLP) */
    CS_STREAM_CONTINUAL = 13, /* index: task << 20 | epoch (pixel permutation: epoch 0xFFFFF) */
    CS_STREAM_CRIT_PENALTY = 14, /* index: optimizer step (the penalty's tangent vectors) */
} cs_stream_purpose;

typedef struct {
    uint32_t key[2];
    uint32_t ctr[4];   /* ctr[0..1] block counter, ctr[2..3] stream id */
    uint32_t buf[4];   /* current output block */
    int avail;         /* unread words left in buf */
    int has_spare;     /* a cached second normal from the last pair */
    float spare;
} cs_rng;

/* The raw bijection, exposed for known-answer tests. */
void philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/* Key of one task: a 64-bit mix (splitmix64 chain) of the sweep seed and coordinates.
 * sigma values enter through their IEEE-754 bit patterns. */
uint64_t rng_task_key(uint64_t sweep_seed, int activation, int width, double sigma_w2,
                      double sigma_b2, uint64_t seed);

/* A task key with one more coordinate mixed in: tag names the coordinate (its axis id),
 * value enters through its IEEE-754 bits.  For axes added after 0.2.0, mixed in only
 * when the value differs from the axis' default, so older sweeps keep their keys. */
uint64_t rng_key_mix(uint64_t key, uint64_t tag, double value);

/* Stream id from purpose and index. */
static inline uint64_t rng_stream_id(cs_stream_purpose purpose, uint64_t index)
{
    return ((uint64_t)purpose << 56) | (index & 0x00FFFFFFFFFFFFFFull);
}

void rng_init(cs_rng *r, uint64_t key, uint64_t stream);
uint32_t rng_u32(cs_rng *r);
/* Move the stream to block `block` (4 words, 4 normals per block in rng_fill_normal), so
 * that a matrix can be filled in pieces: filling n normals from block 0 equals filling
 * them in slices that start at multiples of 4, each after rng_seek(r, start / 4). */
void rng_seek(cs_rng *r, uint64_t block);
/* Uniform in (0, 1): never 0, so logs are safe. */
double rng_uniform(cs_rng *r);
/* Uniform integer in [0, n). */
uint64_t rng_below(cs_rng *r, uint64_t n);
/* out[i] ~ Normal(0, stddev^2), fast path for whole weight matrices. */
void rng_fill_normal(cs_rng *r, float *out, size_t n, float stddev);
void rng_fill_normal_double(cs_rng *r, double *out, size_t n, double stddev);

#endif

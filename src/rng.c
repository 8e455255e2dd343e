/* rng.c — Philox4x32-10 streams and fast normals.
 *
 * Philox4x32-10 (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as
 * 1, 2, 3", SC'11) with the Random123 constants; test_rng.c checks the published
 * known-answer vectors.  A stream is (key, stream id): key[0..1] = the 64-bit task key,
 * ctr[2..3] = the 64-bit stream id, ctr[0..1] = the block counter.
 *
 * Normals: Box–Muller on whole Philox blocks (4 words → 4 normals), written as plain
 * loops over structure-of-arrays chunks so that gcc vectorises both the Philox rounds
 * (vpmuludq) and the transforms.  log, sin and cos are small polynomials here rather
 * than libm calls because glibc's scalar calls are not vectorised without -ffast-math
 * and would cost ~5x more; their accuracy (< 2e-7 relative) is far below float
 * resolution of the weights.  The tails reach |z| ≈ 6.7 (u1 ≥ 2^-32 · 0.5). */
#include <math.h>
#include <string.h>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "critsweep/rng.h"

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

/* Blocks per vectorised chunk of rng_fill_normal. */
#define CHUNK 64

static inline void philox_round(uint32_t c[4], const uint32_t k[2])
{
    uint64_t p0 = (uint64_t)PHILOX_M0 * c[0];
    uint64_t p1 = (uint64_t)PHILOX_M1 * c[2];
    uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
    uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
    uint32_t n0 = hi1 ^ c[1] ^ k[0];
    uint32_t n2 = hi0 ^ c[3] ^ k[1];
    c[0] = n0;
    c[1] = lo1;
    c[2] = n2;
    c[3] = lo0;
}

void philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
    uint32_t c[4] = {ctr[0], ctr[1], ctr[2], ctr[3]};
    uint32_t k[2] = {key[0], key[1]};
    for (int r = 0; r < 10; r++) {
        if (r) {
            k[0] += PHILOX_W0;
            k[1] += PHILOX_W1;
        }
        philox_round(c, k);
    }
    memcpy(out, c, sizeof c);
}

static inline uint64_t splitmix64(uint64_t z)
{
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline uint64_t dbits(double x)
{
    x += 0.0; /* -0.0 and 0.0 name the same grid point */
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

uint64_t rng_task_key(uint64_t sweep_seed, int activation, int width, double sigma_w2,
                      double sigma_b2, uint64_t seed)
{
    uint64_t h = splitmix64(sweep_seed);
    h = splitmix64(h ^ (uint64_t)(uint32_t)activation);
    h = splitmix64(h ^ (uint64_t)(uint32_t)width);
    h = splitmix64(h ^ dbits(sigma_w2));
    h = splitmix64(h ^ dbits(sigma_b2));
    h = splitmix64(h ^ seed);
    return h;
}

uint64_t rng_key_mix(uint64_t key, uint64_t tag, double value)
{
    uint64_t h = splitmix64(key ^ splitmix64(tag));
    return splitmix64(h ^ dbits(value));
}

void rng_init(cs_rng *r, uint64_t key, uint64_t stream)
{
    memset(r, 0, sizeof *r);
    r->key[0] = (uint32_t)key;
    r->key[1] = (uint32_t)(key >> 32);
    r->ctr[2] = (uint32_t)stream;
    r->ctr[3] = (uint32_t)(stream >> 32);
}

static inline void next_block(cs_rng *r, uint32_t out[4])
{
    philox4x32_10(r->ctr, r->key, out);
    if (++r->ctr[0] == 0)
        ++r->ctr[1];
}

void rng_seek(cs_rng *r, uint64_t block)
{
    r->ctr[0] = (uint32_t)block;
    r->ctr[1] = (uint32_t)(block >> 32);
    r->avail = 0;
    r->has_spare = 0;
}

uint32_t rng_u32(cs_rng *r)
{
    if (r->avail == 0) {
        next_block(r, r->buf);
        r->avail = 4;
    }
    return r->buf[4 - r->avail--];
}

static inline uint64_t rng_u64(cs_rng *r)
{
    uint64_t lo = rng_u32(r);
    uint64_t hi = rng_u32(r);
    return lo | (hi << 32);
}

double rng_uniform(cs_rng *r)
{
    /* 52 bits, centred in their cell: in [2^-53, 1 - 2^-53], never 0 or 1. */
    return ((double)(rng_u64(r) >> 12) + 0.5) * 0x1p-52;
}

uint64_t rng_below(cs_rng *r, uint64_t n)
{
    if (n <= 1)
        return 0;
    /* Lemire's multiply-and-reject: unbiased, one draw almost always. */
    uint64_t x = rng_u64(r);
    unsigned __int128 m = (unsigned __int128)x * n;
    uint64_t l = (uint64_t)m;
    if (l < n) {
        uint64_t t = (0 - n) % n;
        while (l < t) {
            x = rng_u64(r);
            m = (unsigned __int128)x * n;
            l = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

static inline uint32_t f2u(float x)
{
    uint32_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static inline float u2f(uint32_t b)
{
    float x;
    memcpy(&x, &b, sizeof x);
    return x;
}

/* -2 ln(u) for u = (t + 1/2)·2^-31, t a 31-bit integer, vectorisable.
 * For u < sqrt(1/2): u = m·2^e with m in [sqrt(1/2), sqrt(2)) from the float bits
 * (u itself is exact in float there to 6e-8 relative, and |ln u| > 0.35).
 * For u >= sqrt(1/2): e = 0 and m − 1 = −v with v = 1 − u = (2^31 − 1 − t + 1/2)·2^-31
 * formed from the integer, so that u near 1 (where float cannot resolve u) still gives
 * an accurate small −ln u.  Then ln m = 2 atanh(s), s = (m−1)/(m+1), |s| < 0.1716,
 * series to s^9 (error < 4e-10).  Selections act on integer bit patterns, which gcc
 * turns into masked vector operations.  The result is >= 0. */
static inline float minus2log(uint32_t t)
{
    float u = (float)(int32_t)t * 0x1p-31f + 0x1p-32f;
    float v = (float)(int32_t)(0x7FFFFFFFu - t) * 0x1p-31f + 0x1p-32f;
    uint32_t b = f2u(u);
    int32_t e = (int32_t)(b >> 23) - 127;
    uint32_t mb = (b & 0x007FFFFFu) | 0x3F800000u;
    uint32_t big = mb > 0x3FB504F3u; /* m > sqrt(2): halve m, bump e */
    mb -= big << 23;
    e += (int32_t)big;
    float m = u2f(mb);
    /* s = (m − 1)/(m + 1), or −v/(2 − v) near 1: select operands, divide once */
    uint32_t near = 0u - (uint32_t)(b >= 0x3F3504F3u); /* u >= sqrt(1/2) */
    float num = u2f((f2u(m - 1.0f) & ~near) | (f2u(-v) & near));
    float den = u2f((f2u(m + 1.0f) & ~near) | (f2u(2.0f - v) & near));
    float s = num / den;
    e = (int32_t)((uint32_t)e & ~near);
    float s2 = s * s;
    float p = 1.0f / 9.0f;
    p = p * s2 + 1.0f / 7.0f;
    p = p * s2 + 1.0f / 5.0f;
    p = p * s2 + 1.0f / 3.0f;
    p = p * s2 + 1.0f;
    float lnm = 2.0f * s * p;
    return -2.0f * ((float)e * 0.693147180559945309f + lnm);
}

/* sqrt(x) for x >= 0 (here x = -2 ln u1 <= 46): an inverse-square-root seed from the bit
 * pattern (3.4% error) and three Newton steps (1.8e-3, 4.7e-6, < 1e-10), then
 * x·(1/sqrt x).  Not sqrtf: under the default -fmath-errno gcc keeps a branch to libm
 * for negative arguments, and that branch alone stops the loop from vectorising
 * (measured 4x slower); neither `#pragma GCC optimize` nor the function attribute
 * lifts it in gcc 12.  x = 0 gives 0. */
static inline float sqrt_pos(float x)
{
    float y = u2f(0x5F375A86u - (f2u(x) >> 1));
    y = y * (1.5f - 0.5f * x * y * y);
    y = y * (1.5f - 0.5f * x * y * y);
    y = y * (1.5f - 0.5f * x * y * y);
    return x * y;
}

/* Two normals from two words: radius sqrt(-2 ln u1), u1 = ((w0 >> 1) + 1/2)·2^-31, angle theta = q·pi/2 + a with the quadrant
 * q = top two bits of w1 and a uniform in [-pi/4, pi/4) from the next 24 bits (a uniform
 * angle on the circle either way). */
static inline void box_muller(uint32_t w0, uint32_t w1, float stddev, float *z0, float *z1)
{
    float rad = stddev * sqrt_pos(minus2log(w0 >> 1));
    float f = ((float)(int32_t)((w1 >> 6) & 0xFFFFFFu) + 0.5f) * 0x1p-24f - 0.5f;
    float a = f * 1.57079632679489662f;
    float a2 = a * a;
    /* Taylor to a^11 / a^10 on |a| <= pi/4: errors < 5e-10 / 4e-9. */
    float sp = -1.0f / 39916800.0f;
    sp = sp * a2 + 1.0f / 362880.0f;
    sp = sp * a2 - 1.0f / 5040.0f;
    sp = sp * a2 + 1.0f / 120.0f;
    sp = sp * a2 - 1.0f / 6.0f;
    float sn = a + a * a2 * sp;
    float cp = -1.0f / 3628800.0f;
    cp = cp * a2 + 1.0f / 40320.0f;
    cp = cp * a2 - 1.0f / 720.0f;
    cp = cp * a2 + 1.0f / 24.0f;
    cp = cp * a2 - 0.5f;
    float cs = 1.0f + a2 * cp;
    /* rotate by q quarter turns: (c, s) -> (-s, c) -> (-c, -s) -> (s, -c):
     * odd q swaps (with a sign on the new cosine), q >= 2 negates both */
    uint32_t odd = 0u - ((w1 >> 30) & 1u);          /* all ones if q is odd */
    uint32_t neg = (w1 >> 31) << 31;                 /* sign bit if q >= 2 */
    uint32_t cb = f2u(cs), sb = f2u(sn), nsb = sb ^ 0x80000000u;
    uint32_t c1 = (cb & ~odd) | (nsb & odd);
    uint32_t s1 = (sb & ~odd) | (cb & odd);
    *z0 = rad * u2f(c1 ^ neg);
    *z1 = rad * u2f(s1 ^ neg);
}

#if defined(__AVX2__)
/* The high and low words of m·a in each of 8 lanes: vpmuludq multiplies the even lanes,
 * and the odd ones after a shift; blends put the halves back in place.  gcc's own
 * vectorisation of the portable loop widens to 64-bit lanes and spends most of its time
 * shuffling (integers: the same bits either way). */
static inline void mulhilo8(__m256i a, __m256i m, __m256i *hi, __m256i *lo)
{
    __m256i even = _mm256_mul_epu32(a, m);
    __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m);
    *lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
    *hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
}

/* One Philox round on 8 blocks: words (x0, x1, x2, x3), round key (k0, k1). */
static inline void philox_round8(__m256i x[4], __m256i k0, __m256i k1)
{
    const __m256i m0 = _mm256_set1_epi32((int)PHILOX_M0);
    const __m256i m1 = _mm256_set1_epi32((int)PHILOX_M1);
    __m256i hi0, lo0, hi1, lo1;
    mulhilo8(x[0], m0, &hi0, &lo0);
    mulhilo8(x[2], m1, &hi1, &lo1);
    x[0] = _mm256_xor_si256(_mm256_xor_si256(hi1, x[1]), k0);
    x[2] = _mm256_xor_si256(_mm256_xor_si256(hi0, x[3]), k1);
    x[1] = lo1;
    x[3] = lo0;
}

/* The 10 rounds on CHUNK blocks held as four word arrays: 8 blocks per register, two
 * registers' worth at a time (independent chains hide the multiplies' latency). */
static void philox_rounds(uint32_t *c0, uint32_t *c1, uint32_t *c2, uint32_t *c3,
                          uint32_t key0, uint32_t key1)
{
    __m256i ks0[10], ks1[10]; /* the key schedule */
    for (int round = 0; round < 10; round++) {
        ks0[round] = _mm256_set1_epi32((int)(key0 + (uint32_t)round * PHILOX_W0));
        ks1[round] = _mm256_set1_epi32((int)(key1 + (uint32_t)round * PHILOX_W1));
    }
    uint32_t *c[4] = {c0, c1, c2, c3};
    for (int j = 0; j < CHUNK; j += 16) {
        __m256i a[4], b[4];
        for (int q = 0; q < 4; q++) {
            a[q] = _mm256_loadu_si256((const __m256i *)(c[q] + j));
            b[q] = _mm256_loadu_si256((const __m256i *)(c[q] + j + 8));
        }
        for (int round = 0; round < 10; round++) {
            philox_round8(a, ks0[round], ks1[round]);
            philox_round8(b, ks0[round], ks1[round]);
        }
        for (int q = 0; q < 4; q++) {
            _mm256_storeu_si256((__m256i *)(c[q] + j), a[q]);
            _mm256_storeu_si256((__m256i *)(c[q] + j + 8), b[q]);
        }
    }
}
#else
/* The 10 rounds on CHUNK blocks held as four word arrays (gcc vectorises the j loop). */
static void philox_rounds(uint32_t *c0, uint32_t *c1, uint32_t *c2, uint32_t *c3,
                          uint32_t k0, uint32_t k1)
{
    for (int round = 0; round < 10; round++) {
        if (round) {
            k0 += PHILOX_W0;
            k1 += PHILOX_W1;
        }
        for (int j = 0; j < CHUNK; j++) {
            uint64_t p0 = (uint64_t)PHILOX_M0 * c0[j];
            uint64_t p1 = (uint64_t)PHILOX_M1 * c2[j];
            uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1[j] ^ k0;
            uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3[j] ^ k1;
            c1[j] = (uint32_t)p1;
            c3[j] = (uint32_t)p0;
            c0[j] = n0;
            c2[j] = n2;
        }
    }
}
#endif

/* CHUNK consecutive Philox blocks from the stream into w (structure of arrays:
 * w[k*CHUNK + j] = word k of block j), advancing the counter. */
static void philox_chunk(cs_rng *r, uint32_t *w)
{
    uint32_t *c0 = w, *c1 = w + CHUNK, *c2 = w + 2 * CHUNK, *c3 = w + 3 * CHUNK;
    uint64_t base = (uint64_t)r->ctr[0] | ((uint64_t)r->ctr[1] << 32);
    for (int j = 0; j < CHUNK; j++) {
        uint64_t c = base + (uint64_t)j;
        c0[j] = (uint32_t)c;
        c1[j] = (uint32_t)(c >> 32);
        c2[j] = r->ctr[2];
        c3[j] = r->ctr[3];
    }
    philox_rounds(c0, c1, c2, c3, r->key[0], r->key[1]);
    base += CHUNK;
    r->ctr[0] = (uint32_t)base;
    r->ctr[1] = (uint32_t)(base >> 32);
}

/* Normals are made from whole blocks starting at the stream's current counter: block j
 * gives out[4j..4j+3] (words 0,1 → 2 normals, words 2,3 → 2 more).  Any words left in
 * the rng_u32 buffer are skipped, and the unused normals of a partial last block are
 * discarded, so the values depend only on (key, stream, counter) and n.  The tail goes
 * through the same chunk code as the body (a whole chunk computed, the counter advanced
 * only past the blocks used): a separate scalar path would round differently (FMA
 * contraction differs between gcc's vector and scalar code). */
static void normal_chunk(cs_rng *r, float *z, float stddev)
{
    uint32_t w[4 * CHUNK];
    philox_chunk(r, w);
    for (int j = 0; j < CHUNK; j++) {
        float a, b, c, d;
        box_muller(w[j], w[CHUNK + j], stddev, &a, &b);
        box_muller(w[2 * CHUNK + j], w[3 * CHUNK + j], stddev, &c, &d);
        z[4 * j] = a;
        z[4 * j + 1] = b;
        z[4 * j + 2] = c;
        z[4 * j + 3] = d;
    }
}

void rng_fill_normal(cs_rng *r, float *out, size_t n, float stddev)
{
    r->avail = 0;
    r->has_spare = 0;
    size_t done = 0;
    while (n - done >= 4 * CHUNK) {
        normal_chunk(r, out + done, stddev);
        done += 4 * CHUNK;
    }
    if (done < n) {
        float z[4 * CHUNK];
        size_t left = n - done, blocks = (left + 3) / 4;
        uint64_t base = (uint64_t)r->ctr[0] | ((uint64_t)r->ctr[1] << 32);
        normal_chunk(r, z, stddev);
        memcpy(out + done, z, left * sizeof *out);
        base += blocks;
        r->ctr[0] = (uint32_t)base;
        r->ctr[1] = (uint32_t)(base >> 32);
    }
}

/* Double precision normals (not a hot path): 2 normals per block, 52-bit radius
 * uniform from words 0,1 and 52-bit angle from words 2,3, libm log/sin/cos. */
void rng_fill_normal_double(cs_rng *r, double *out, size_t n, double stddev)
{
    r->avail = 0;
    r->has_spare = 0;
    for (size_t i = 0; i < n; i += 2) {
        uint32_t b[4];
        next_block(r, b);
        uint64_t x = (uint64_t)b[0] | ((uint64_t)b[1] << 32);
        uint64_t y = (uint64_t)b[2] | ((uint64_t)b[3] << 32);
        double u1 = ((double)(x >> 12) + 0.5) * 0x1p-52;
        double u2 = (double)(y >> 11) * 0x1p-53;
        double rad = stddev * sqrt(-2.0 * log(u1));
        double th = 6.283185307179586477 * u2;
        out[i] = rad * cos(th);
        if (i + 1 < n)
            out[i + 1] = rad * sin(th);
    }
}

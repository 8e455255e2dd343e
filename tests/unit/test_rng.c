/* test_rng.c — Philox4x32-10 known answers, stream layout, normals.
 *
 * References: the Random123 kat_vectors file (philox4x32 10 lines; columns ctr[4]
 * key[2] → out[4]), the Box–Muller transform evaluated in double with libm on the
 * same Philox words, and the standard normal's moments and CDF. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "critsweep/rng.h"

#include "check.h"

static void test_kat(void)
{
    static const uint32_t kat[3][10] = {
        {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
        {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x408f276d,
         0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
        {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09,
         0x94fdcceb, 0x5001e420, 0x24126ea1},
    };
    for (int i = 0; i < 3; i++) {
        uint32_t out[4];
        philox4x32_10(kat[i], kat[i] + 4, out);
        int bad = memcmp(out, kat[i] + 6, sizeof out) != 0;
        CHECK(!bad, "philox4x32_10 KAT %d: got %08x %08x %08x %08x", i, out[0], out[1], out[2],
              out[3]);
    }
    printf("philox4x32_10: 3 Random123 known-answer vectors checked\n");
}

/* rng_u32 returns the words of blocks ctr = (0,0,stream lo,stream hi), (1,0,...), ...
 * under key (lo, hi). */
static void test_stream_layout(void)
{
    uint64_t key = 0x0123456789abcdefull, stream = rng_stream_id(CS_STREAM_DRIVE, 77);
    cs_rng r;
    rng_init(&r, key, stream);
    uint32_t k[2] = {(uint32_t)key, (uint32_t)(key >> 32)};
    int bad = 0;
    for (uint32_t b = 0; b < 5; b++) {
        uint32_t c[4] = {b, 0, (uint32_t)stream, (uint32_t)(stream >> 32)}, out[4];
        philox4x32_10(c, k, out);
        for (int j = 0; j < 4; j++)
            bad += rng_u32(&r) != out[j];
    }
    CHECK(bad == 0, "rng_u32 does not follow the block layout (%d words differ)", bad);
    CHECK(rng_stream_id(CS_STREAM_WEIGHTS, 5) >> 56 == CS_STREAM_WEIGHTS, "purpose bits");

    /* rng_uniform in (0,1), rng_below in range and roughly uniform */
    rng_init(&r, 1, 2);
    double umin = 1, umax = 0, usum = 0;
    long counts[7] = {0};
    int n = 200000;
    for (int i = 0; i < n; i++) {
        double u = rng_uniform(&r);
        umin = u < umin ? u : umin;
        umax = u > umax ? u : umax;
        usum += u;
        uint64_t v = rng_below(&r, 7);
        if (v < 7)
            counts[v]++;
        else
            bad++;
    }
    CHECK(umin > 0 && umax < 1, "uniform outside (0,1): %g %g", umin, umax);
    CHECK(fabs(usum / n - 0.5) < 5 * sqrt(1.0 / 12 / n), "uniform mean %g", usum / n);
    double chi2 = 0;
    for (int j = 0; j < 7; j++)
        chi2 += (counts[j] - n / 7.0) * (counts[j] - n / 7.0) / (n / 7.0);
    /* chi-square with 6 dof: P(> 22.46) = 0.001 */
    CHECK(bad == 0 && chi2 < 22.46, "rng_below(7) chi2 %g (out of range %d)", chi2, bad);
    printf("stream layout ok; uniform mean %.5f, rng_below(7) chi2 %.2f (6 dof)\n", usum / n, chi2);
}

/* The float normals equal Box–Muller evaluated in double with libm on the same words:
 * radius from word 0 (u1 = (w>>1)/2^31 + 2^-32), angle q·pi/2 + (f − 1/2)·pi/2 with
 * q = w1>>30, f = (((w1>>6) & 0xffffff) + 1/2)/2^24. */
static void bm_ref(uint32_t w0, uint32_t w1, double *z0, double *z1)
{
    double u1 = (double)(w0 >> 1) * 0x1p-31 + 0x1p-32;
    double rad = sqrt(-2.0 * log(u1));
    double th = (double)(w1 >> 30) * M_PI / 2 +
                (((double)((w1 >> 6) & 0xFFFFFFu) + 0.5) * 0x1p-24 - 0.5) * M_PI / 2;
    *z0 = rad * cos(th);
    *z1 = rad * sin(th);
}

static void test_normals_exact(void)
{
    size_t n = 4 * 1000 + 6; /* chunked blocks, then a tail with a partial block */
    float *z = malloc(n * sizeof *z);
    cs_rng r;
    uint64_t key = 99, stream = rng_stream_id(CS_STREAM_WEIGHTS, 3);
    rng_init(&r, key, stream);
    rng_fill_normal(&r, z, n, 1.0f);
    uint32_t k[2] = {(uint32_t)key, (uint32_t)(key >> 32)};
    double maxd = 0;
    for (size_t b = 0; 4 * b < n; b++) {
        uint32_t c[4] = {(uint32_t)b, 0, (uint32_t)stream, (uint32_t)(stream >> 32)}, w[4];
        philox4x32_10(c, k, w);
        double ref[4];
        bm_ref(w[0], w[1], &ref[0], &ref[1]);
        bm_ref(w[2], w[3], &ref[2], &ref[3]);
        for (int j = 0; j < 4 && 4 * b + j < n; j++) {
            double d = fabs(z[4 * b + j] - ref[j]) / (1.0 + fabs(ref[j]));
            maxd = d > maxd ? d : maxd;
        }
    }
    /* float arithmetic on values up to ~6.7: a few float ulp */
    CHECK(maxd < 1e-6, "normals vs double Box-Muller: max rel diff %g", maxd);
    printf("normals vs libm Box-Muller on the same words: max |diff|/(1+|z|) = %.2e (tol 1e-6)\n",
           maxd);

    /* the counter after a fill: 1002 blocks used */
    CHECK(r.ctr[0] == 1002, "counter after fill %u, expected 1002", r.ctr[0]);
    /* splitting a fill at a block boundary gives the same numbers (chunk and tail paths) */
    float *z2 = malloc(n * sizeof *z2);
    rng_init(&r, key, stream);
    rng_fill_normal(&r, z2, 512, 1.0f);
    for (size_t i = 512; i < 4000; i += 8)
        rng_fill_normal(&r, z2 + i, 8, 1.0f);
    int same = memcmp(z, z2, 4000 * sizeof *z) == 0;
    CHECK(same, "split fill differs from one fill");
    /* filling in slices after rng_seek (as net.c fills a matrix block by block) */
    memset(z2, 0, n * sizeof *z2);
    for (size_t start = 0; start < n; start += 4 * 37) {
        size_t len = n - start < 4 * 37 ? n - start : 4 * 37;
        rng_init(&r, key, stream);
        rng_seek(&r, start / 4);
        rng_fill_normal(&r, z2 + start, len, 1.0f);
    }
    CHECK(memcmp(z, z2, n * sizeof *z) == 0, "fill by rng_seek slices differs from one fill");
    /* stddev scales exactly */
    rng_init(&r, key, stream);
    rng_fill_normal(&r, z2, 64, 0.5f);
    double sd = 0;
    for (int i = 0; i < 64; i++)
        sd = fmax(sd, fabs(z2[i] - 0.5 * z[i]));
    CHECK(sd < 1e-6, "stddev scaling off by %g", sd);
    free(z);
    free(z2);
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Moments at 10^7 samples (tolerance: 5 standard errors of each estimator under the
 * normal: mean sqrt(1/n), variance sqrt(2/n), skewness sqrt(6/n), excess kurtosis
 * sqrt(24/n)) and a Kolmogorov–Smirnov distance on 10^6 of them (1.95/sqrt(n) is the
 * 0.1% critical value). */
static void test_normal_moments(void)
{
    size_t n = 10000000;
    float *z = malloc(n * sizeof *z);
    cs_rng r;
    rng_init(&r, rng_task_key(0, 0, 100, 1.0, 0.0, 1), rng_stream_id(CS_STREAM_WEIGHTS, 1));
    rng_fill_normal(&r, z, n, 1.0f);
    double m1 = 0, m2 = 0, m3 = 0, m4 = 0;
    for (size_t i = 0; i < n; i++)
        m1 += z[i];
    m1 /= (double)n;
    for (size_t i = 0; i < n; i++) {
        double d = z[i] - m1, d2 = d * d;
        m2 += d2;
        m3 += d2 * d;
        m4 += d2 * d2;
    }
    m2 /= (double)n;
    m3 /= (double)n;
    m4 /= (double)n;
    double skew = m3 / pow(m2, 1.5), kurt = m4 / (m2 * m2) - 3.0;
    double sn = sqrt((double)n);
    printf("normals n=1e7: mean %.2e (tol %.1e)  var-1 %.2e (tol %.1e)  skew %.2e (tol %.1e)  "
           "excess kurtosis %.2e (tol %.1e)\n",
           m1, 5 / sn, m2 - 1, 5 * sqrt(2.0) / sn, skew, 5 * sqrt(6.0) / sn, kurt,
           5 * sqrt(24.0) / sn);
    CHECK(fabs(m1) < 5 / sn, "mean %g", m1);
    CHECK(fabs(m2 - 1) < 5 * sqrt(2.0) / sn, "variance %g", m2);
    CHECK(fabs(skew) < 5 * sqrt(6.0) / sn, "skewness %g", skew);
    CHECK(fabs(kurt) < 5 * sqrt(24.0) / sn, "excess kurtosis %g", kurt);

    size_t nk = 1000000;
    qsort(z, nk, sizeof *z, cmp_float);
    double dmax = 0;
    for (size_t i = 0; i < nk; i++) {
        double F = 0.5 * erfc(-z[i] / M_SQRT2);
        double d1 = fabs(F - (double)i / nk), d2 = fabs((double)(i + 1) / nk - F);
        dmax = fmax(dmax, fmax(d1, d2));
    }
    CHECK(dmax < 1.95 / sqrt((double)nk), "KS distance %g", dmax);
    printf("KS distance to N(0,1) at n=1e6: %.2e (0.1%% critical value %.2e)\n", dmax,
           1.95 / sqrt((double)nk));

    /* double normals: same moments at 10^6 */
    size_t nd = 1000000;
    double *zd = malloc(nd * sizeof *zd);
    rng_fill_normal_double(&r, zd, nd, 2.0);
    double s1 = 0, s2 = 0;
    for (size_t i = 0; i < nd; i++) {
        s1 += zd[i];
        s2 += zd[i] * zd[i];
    }
    s1 /= (double)nd;
    s2 = s2 / (double)nd - s1 * s1;
    CHECK(fabs(s1) < 5 * 2 / sqrt((double)nd) && fabs(s2 / 4 - 1) < 5 * sqrt(2.0 / nd),
          "double normals mean %g var %g (stddev 2)", s1, s2);
    printf("double normals n=1e6, sd 2: mean %.2e var/4-1 %.2e\n", s1, s2 / 4 - 1);
    free(zd);
    free(z);
}

/* Different keys and different stream ids give different, uncorrelated streams. */
static void test_streams_differ(void)
{
    size_t n = 100000;
    float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), *c = malloc(n * sizeof *c);
    cs_rng r;
    uint64_t k1 = rng_task_key(0, 0, 100, 1.0, 0.0, 1);
    /* an extra coordinate mixed in: a new key, a function of tag and value only */
    CHECK(rng_key_mix(k1, 5, 0.01) != k1 && rng_key_mix(k1, 5, 0.01) == rng_key_mix(k1, 5, 0.01) &&
              rng_key_mix(k1, 5, 0.01) != rng_key_mix(k1, 5, 0.02) &&
              rng_key_mix(k1, 5, 0.01) != rng_key_mix(k1, 6, 0.01),
          "rng_key_mix does not separate tags and values");
    uint64_t k2 = rng_task_key(0, 0, 100, 1.0, 0.0, 2);
    uint64_t k3 = rng_task_key(0, 0, 100, 1.0 + 1e-12, 0.0, 1);
    CHECK(k1 != k2 && k1 != k3, "task keys collide");
    CHECK(rng_task_key(0, 0, 100, 1.0, 0.0, 1) == rng_task_key(0, 0, 100, 1.0, -0.0, 1),
          "-0.0 and 0.0 give different keys");
    rng_init(&r, k1, rng_stream_id(CS_STREAM_WEIGHTS, 1));
    rng_fill_normal(&r, a, n, 1.0f);
    rng_init(&r, k2, rng_stream_id(CS_STREAM_WEIGHTS, 1));
    rng_fill_normal(&r, b, n, 1.0f);
    rng_init(&r, k1, rng_stream_id(CS_STREAM_WEIGHTS, 2));
    rng_fill_normal(&r, c, n, 1.0f);
    double ab = 0, ac = 0;
    long eq_ab = 0, eq_ac = 0;
    for (size_t i = 0; i < n; i++) {
        ab += (double)a[i] * b[i];
        ac += (double)a[i] * c[i];
        eq_ab += a[i] == b[i];
        eq_ac += a[i] == c[i];
    }
    ab /= (double)n;
    ac /= (double)n;
    double tol = 5 / sqrt((double)n);
    CHECK(fabs(ab) < tol && fabs(ac) < tol, "stream correlations %g %g (tol %g)", ab, ac, tol);
    CHECK(eq_ab < 10 && eq_ac < 10, "equal values across streams: %ld %ld", eq_ab, eq_ac);
    printf("streams: corr(key1,key2) %.1e, corr(stream1,stream2) %.1e (tol %.1e)\n", ab, ac, tol);
    free(a);
    free(b);
    free(c);
}

int main(void)
{
    test_kat();
    test_stream_layout();
    test_normals_exact();
    test_normal_moments();
    test_streams_differ();
    if (failures) {
        fprintf(stderr, "test_rng: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_rng: all passed\n");
    return 0;
}

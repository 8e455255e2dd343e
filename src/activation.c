/* activation.c — φ and φ' for net, train and meanfield.
 *
 * The float array paths sit inside every layer of the avalanche engine and the trainer,
 * next to an sgemm of 2·N·N·B flops on N·B elements: a libm tanhf call per element
 * (~10 ns, not vectorised) would cost as much as the matrix product at N = 500.  So tanh
 * is computed here with branch-free code that gcc vectorises: an odd Taylor polynomial
 * near 0 (where 1 − 2/(e^{2x}+1) would cancel) and the exponential form elsewhere, with
 * a polynomial exp.  Relative error < 3e-7 everywhere (checked in test_activation.c
 * against libm in double).  The double scalars use libm directly. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "critsweep/activation.h"

static const char *const act_names[CS_ACT_COUNT] = {"tanh", "erf", "hardtanh", "relu", "linear"};

/* sqrt(pi)/2: erf(c x) has slope 2c/sqrt(pi) = 1 at 0, like tanh. */
#define ERF_SCALE 0.88622692545275801365

/* exp(y) for y in [0, 88], vectorisable: y = n ln2 + r with |r| <= ln2/2, a degree-7
 * Taylor polynomial for e^r (truncation < 6e-9 relative), 2^n through the exponent bits. */
static inline float exp_pos(float y)
{
    const float log2e = 1.44269504088896341f;
    const float ln2_hi = 0.693145751953125f;       /* 12 significant bits: n*ln2_hi exact */
    const float ln2_lo = 1.428606765330187e-06f;
    /* round y·log2e to an integer by adding 1.5·2^23 (no float→int conversion: gcc
     * will not if-convert a conversion that could trap, and the loop would not
     * vectorise); the low mantissa bits of t then hold n. */
    float t = y * log2e + 0x1.8p23f;
    uint32_t tb;
    memcpy(&tb, &t, sizeof tb);
    float n = t - 0x1.8p23f;
    float r = (y - n * ln2_hi) - n * ln2_lo;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    uint32_t bits = ((tb & 0xFFFFu) + 127u) << 23; /* n = tb & 0xFFFF, in 0..127 */
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

static inline uint32_t act_f2u(float x)
{
    uint32_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static inline float act_u2f(uint32_t b)
{
    float x;
    memcpy(&x, &b, sizeof x);
    return x;
}

/* tanh in float.  |x| < 0.5: Taylor series to x^17 (the next term is < 3e-9 relative
 * there); otherwise sign(x)·(1 − 2/(e^{2|x|}+1)) with |x| clamped at 9 (tanh(9) rounds to
 * 1 in float). Both branches are computed and one selected, so the loop vectorises. */
static inline float tanh_fast(float x)
{
    float a = fabsf(x);
    float x2 = x * x;
    float p = 6404582.0f / 10854718875.0f;
    p = p * x2 - 929569.0f / 638512875.0f;
    p = p * x2 + 21844.0f / 6081075.0f;
    p = p * x2 - 1382.0f / 155925.0f;
    p = p * x2 + 62.0f / 2835.0f;
    p = p * x2 - 17.0f / 315.0f;
    p = p * x2 + 2.0f / 15.0f;
    p = p * x2 - 1.0f / 3.0f;
    float small = x + x * x2 * p;
    /* The selections compare the bit pattern of |x| (same order as the floats, NaN
     * above +inf) and blend with masks: a float comparison may trap under gcc's default
     * -ftrapping-math, which kept the loop scalar (6x slower).  Same values as
     * `a < 9 ? a : 9`, `a < 0.5 ? small : big`, `x != x ? x : t`. */
    uint32_t ab = act_f2u(a);
    uint32_t below9 = 0u - (uint32_t)(ab < 0x41100000u);      /* |x| < 9 */
    float ac = act_u2f((ab & below9) | (0x41100000u & ~below9));
    float e = exp_pos(2.0f * ac);
    float big = 1.0f - 2.0f / (e + 1.0f);
    big = copysignf(big, x);
    uint32_t near0 = 0u - (uint32_t)(ab < 0x3F000000u);       /* |x| < 0.5 */
    uint32_t nan = 0u - (uint32_t)(ab > 0x7F800000u);         /* NaN stays NaN (the
                                                                 * trainer's divergence
                                                                 * test needs it) */
    uint32_t t = (act_f2u(small) & near0) | (act_f2u(big) & ~near0);
    return act_u2f((act_f2u(x) & nan) | (t & ~nan));
}

/* erf in float, vectorisable (glibc's erff is not, and costs more than the sgemm's share
 * per element).  |x| < 1: the Maclaurin series (2/sqrt(pi)) Σ (−1)^k x^{2k+1}/(k!(2k+1))
 * to k = 10 (next term < 2e-9).  1 <= |x| < 3.95: 1 − e^{−x²} g(x), g = erfc(x) e^{x²}
 * fitted (least squares, this project's own fit with scipy's erfc) by a degree-8
 * polynomial in v = 1/(1+|x|) − 0.35 (relative error 5e-10 in double, 1.5e-7 evaluated
 * in float, i.e. < 3e-8 absolute on erf).  |x| >= 3.95: erf rounds to ±1 in float. */
static inline float erf_fast(float x)
{
    float a = fabsf(x);
    float x2 = x * x;
    float p = -1.0f / 87091200.0f;  /* k = 10: 1/(10!·21) */
    p = p * x2 + 1.0f / 7862400.0f; /* k = 9: 1/(9!·19) */
    p = p * x2 - 1.0f / 685440.0f;
    p = p * x2 + 1.0f / 75600.0f;
    p = p * x2 - 1.0f / 9360.0f;
    p = p * x2 + 1.0f / 1320.0f;
    p = p * x2 - 1.0f / 216.0f;
    p = p * x2 + 1.0f / 42.0f;
    p = p * x2 - 1.0f / 10.0f;
    p = p * x2 + 1.0f / 3.0f;
    float small = 1.12837916709551257f * (x - x * x2 * p);
    float ac = a < 1.0f ? 1.0f : (a > 3.95f ? 3.95f : a);
    float v = 1.0f / (1.0f + ac) - 0.35f;
    float g = 1.03112316f;
    g = g * v - 0.600898743f;
    g = g * v - 0.221984431f;
    g = g * v + 0.566984951f;
    g = g * v - 0.221430644f;
    g = g * v - 0.411175787f;
    g = g * v + 0.482355297f;
    g = g * v + 0.977585018f;
    g = g * v + 0.271552891f;
    float big = copysignf(1.0f - g / exp_pos(ac * ac), x);
    float t = a < 1.0f ? small : big;
    return x != x ? x : t;
}

int activation_from_name(const char *name, cs_activation *out)
{
    if (!name)
        return -1;
    for (int i = 0; i < CS_ACT_COUNT; i++)
        if (strcmp(name, act_names[i]) == 0) {
            *out = (cs_activation)i;
            return 0;
        }
    return -1;
}

const char *activation_name(cs_activation a)
{
    return (a >= 0 && a < CS_ACT_COUNT) ? act_names[a] : "unknown";
}

const char *activation_names(void)
{
    return "tanh, erf, hardtanh, relu, linear";
}

void activation_forward(cs_activation a, const float *h, float *out, size_t n)
{
    switch (a) {
    case CS_ACT_TANH:
        for (size_t i = 0; i < n; i++)
            out[i] = tanh_fast(h[i]);
        break;
    case CS_ACT_ERF:
        for (size_t i = 0; i < n; i++)
            out[i] = erf_fast((float)ERF_SCALE * h[i]);
        break;
    case CS_ACT_HARDTANH:
        for (size_t i = 0; i < n; i++) {
            float v = h[i];
            v = v < -1.0f ? -1.0f : v;
            out[i] = v > 1.0f ? 1.0f : v;
        }
        break;
    case CS_ACT_RELU:
        for (size_t i = 0; i < n; i++)
            out[i] = h[i] < 0.0f ? 0.0f : h[i]; /* NaN passes through */
        break;
    case CS_ACT_LINEAR:
    default:
        if (out != h)
            memmove(out, h, n * sizeof *out);
        break;
    }
}

/* Slopes follow PyTorch's conventions at the kinks (hardtanh: 0 at |x| = 1; relu: 0 at
 * x = 0), so the trainer's gradients match autograd bit for bit in branch choice. */
void activation_slope(cs_activation a, const float *h, float *out, size_t n)
{
    switch (a) {
    case CS_ACT_TANH:
        for (size_t i = 0; i < n; i++) {
            float t = tanh_fast(h[i]);
            out[i] = 1.0f - t * t;
        }
        break;
    case CS_ACT_ERF:
        /* d/dx erf(c x) = (2c/sqrt(pi)) exp(-c² x²) = exp(-(pi/4) x²); the exponent is
         * clamped at 80 (e^-80 ≈ 2e-35, not 0, beyond |x| ≈ 10) */
        for (size_t i = 0; i < n; i++) {
            float y = 0.78539816339744831f * h[i] * h[i];
            y = y < 80.0f ? y : 80.0f;
            float e = 1.0f / exp_pos(y);
            out[i] = h[i] != h[i] ? h[i] : e;
        }
        break;
    case CS_ACT_HARDTANH:
        for (size_t i = 0; i < n; i++)
            out[i] = (h[i] > -1.0f && h[i] < 1.0f) ? 1.0f : 0.0f;
        break;
    case CS_ACT_RELU:
        for (size_t i = 0; i < n; i++)
            out[i] = h[i] > 0.0f ? 1.0f : 0.0f;
        break;
    case CS_ACT_LINEAR:
    default:
        for (size_t i = 0; i < n; i++)
            out[i] = 1.0f;
        break;
    }
}

double activation_value(cs_activation a, double x)
{
    switch (a) {
    case CS_ACT_TANH:
        return tanh(x);
    case CS_ACT_ERF:
        return erf(ERF_SCALE * x);
    case CS_ACT_HARDTANH:
        return x < -1.0 ? -1.0 : (x > 1.0 ? 1.0 : x);
    case CS_ACT_RELU:
        return x > 0.0 ? x : 0.0;
    case CS_ACT_LINEAR:
    default:
        return x;
    }
}

double activation_derivative(cs_activation a, double x)
{
    switch (a) {
    case CS_ACT_TANH: {
        double t = tanh(x);
        return 1.0 - t * t;
    }
    case CS_ACT_ERF:
        return exp(-0.78539816339744830962 * x * x);
    case CS_ACT_HARDTANH:
        return (x > -1.0 && x < 1.0) ? 1.0 : 0.0;
    case CS_ACT_RELU:
        return x > 0.0 ? 1.0 : 0.0;
    case CS_ACT_LINEAR:
    default:
        return 1.0;
    }
}

/* test_activation.c — φ and φ' against closed forms (libm in double) and central finite
 * differences, for every activation; names round trip; in-place calls; NaN. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "critsweep/activation.h"

#include "check.h"

/* Closed forms written out independently of activation.c. */
static double closed_value(cs_activation a, double x)
{
    switch (a) {
    case CS_ACT_TANH:
        return tanh(x);
    case CS_ACT_ERF:
        return erf(sqrt(M_PI) / 2 * x);
    case CS_ACT_HARDTANH:
        return fmin(1.0, fmax(-1.0, x));
    case CS_ACT_RELU:
        return fmax(0.0, x);
    default:
        return x;
    }
}

static double closed_slope(cs_activation a, double x)
{
    switch (a) {
    case CS_ACT_TANH:
        return 1.0 / (cosh(x) * cosh(x));
    case CS_ACT_ERF:
        return exp(-M_PI / 4 * x * x);
    case CS_ACT_HARDTANH:
        return fabs(x) < 1 ? 1.0 : 0.0;
    case CS_ACT_RELU:
        return x > 0 ? 1.0 : 0.0;
    default:
        return 1.0;
    }
}

int main(void)
{
    /* names */
    for (int i = 0; i < CS_ACT_COUNT; i++) {
        cs_activation a;
        CHECK(activation_from_name(activation_name((cs_activation)i), &a) == 0 && (int)a == i,
              "name round trip %d", i);
        CHECK(strstr(activation_names(), activation_name((cs_activation)i)) != NULL,
              "activation_names lacks %s", activation_name((cs_activation)i));
    }
    cs_activation dummy;
    CHECK(activation_from_name("sigmoid", &dummy) == -1, "unknown name accepted");
    CHECK(activation_from_name("Tanh", &dummy) == -1, "names are case sensitive");

    /* grid: dense near 0 (the tanh polynomial branch and its switch at 0.5), wide range,
     * plus tiny values, kinks and huge values */
    int n = 0;
    static float x[20000];
    for (int i = -6000; i <= 6000; i++)
        x[n++] = (float)i * 1e-3f * (float)fabs(i * 1e-3);          /* [-36, 36], dense near 0 */
    for (int i = -1000; i <= 1000; i++)
        x[n++] = 0.5f + (float)i * 1e-6f;                            /* the branch switch */
    float extra[] = {0.0f, -0.0f, 1e-30f, -1e-20f, 1e-6f, 1.0f, -1.0f, 8.99f, 9.0f, 9.01f,
                     20.0f, -50.0f, 1e30f, -1e30f, INFINITY, -INFINITY};
    for (size_t i = 0; i < sizeof extra / sizeof *extra; i++)
        x[n++] = extra[i];

    float *y = malloc((size_t)n * sizeof *y), *s = malloc((size_t)n * sizeof *s);
    for (int ai = 0; ai < CS_ACT_COUNT; ai++) {
        cs_activation a = (cs_activation)ai;
        activation_forward(a, x, y, (size_t)n);
        activation_slope(a, x, s, (size_t)n);
        double max_rel = 0, max_abs = 0, max_slope = 0, max_fd = 0, max_dbl = 0;
        for (int i = 0; i < n; i++) {
            double xv = x[i];
            double ref = closed_value(a, xv);
            double d = fabs(y[i] - ref);
            /* relative to |ref|, with an absolute floor of float's smallest normals */
            double rel = d / fmax(fabs(ref), 1e-30);
            if (fabs(ref) > 1e-30)
                max_rel = fmax(max_rel, rel);
            max_abs = fmax(max_abs, d);
            /* slopes: absolute error (slopes are O(1) and drop to 0 in the tails) */
            double sref = closed_slope(a, xv);
            if (isfinite(xv))
                max_slope = fmax(max_slope, fabs(s[i] - sref));
            max_dbl = fmax(max_dbl, fabs(activation_value(a, xv) - ref) +
                                        (isfinite(xv) ? fabs(activation_derivative(a, xv) - sref) : 0));
            /* finite differences of the double value, away from kinks */
            if (isfinite(xv) && fabs(xv) < 30 && fabs(fabs(xv) - 1) > 1e-3 && fabs(xv) > 1e-3) {
                double h = 1e-5;
                double fd = (activation_value(a, xv + h) - activation_value(a, xv - h)) / (2 * h);
                max_fd = fmax(max_fd, fabs(fd - activation_derivative(a, xv)));
            }
        }
        /* float φ: within 4 float ulp (~5e-7 relative); φ': 1e-6 absolute; double
         * scalars: exact closed form (1e-15); finite differences (h = 1e-5): 1e-8. */
        printf("%-8s float phi max rel err %.2e (tol 5e-7), float phi' max abs err %.2e (tol "
               "1e-6), double vs closed form %.1e, FD vs phi' %.1e (tol 1e-8)\n",
               activation_name(a), max_rel, max_slope, max_dbl, max_fd);
        CHECK(max_rel < 5e-7, "%s: forward rel err %g", activation_name(a), max_rel);
        CHECK(max_slope < 1e-6, "%s: slope err %g", activation_name(a), max_slope);
        CHECK(max_dbl < 1e-15, "%s: double scalars off by %g", activation_name(a), max_dbl);
        CHECK(max_fd < 1e-8, "%s: finite differences off by %g", activation_name(a), max_fd);

        /* in place gives the same values */
        float *z = malloc((size_t)n * sizeof *z);
        memcpy(z, x, (size_t)n * sizeof *z);
        activation_forward(a, z, z, (size_t)n);
        CHECK(memcmp(z, y, (size_t)n * sizeof *z) == 0, "%s: in-place forward differs",
              activation_name(a));
        memcpy(z, x, (size_t)n * sizeof *z);
        activation_slope(a, z, z, (size_t)n);
        CHECK(memcmp(z, s, (size_t)n * sizeof *z) == 0, "%s: in-place slope differs",
              activation_name(a));
        free(z);

        /* NaN stays NaN through φ (the trainer detects divergence from it) */
        float nan_in = NAN, nan_out = 0;
        activation_forward(a, &nan_in, &nan_out, 1);
        CHECK(isnan(nan_out), "%s: NaN in, %g out", activation_name(a), nan_out);
    }
    /* the conventions at the kinks (PyTorch's): relu'(0) = 0, hardtanh'(±1) = 0 */
    CHECK(activation_derivative(CS_ACT_RELU, 0.0) == 0.0, "relu'(0)");
    CHECK(activation_derivative(CS_ACT_HARDTANH, 1.0) == 0.0, "hardtanh'(1)");
    CHECK(activation_derivative(CS_ACT_ERF, 0.0) == 1.0, "erf-type slope at 0 must be 1");
    free(y);
    free(s);
    if (failures) {
        fprintf(stderr, "test_activation: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_activation: all passed\n");
    return 0;
}

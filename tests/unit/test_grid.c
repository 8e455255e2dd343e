/* test_grid.c — task numbering (row-major over activation, width, sigma_b2, sigma_w2,
 * seed, checked against the C-order offset formula numpy.ravel_multi_index uses) and the
 * cost model's monotonicity and consistency. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "critsweep/config.h"
#include "critsweep/data.h"
#include "critsweep/grid.h"

#include "check.h"

static int load(const char *text, cs_sweep *s)
{
    cs_err e = {0};
    int rc = config_load_text(text, strlen(text), "g.yaml", NULL, 0, s, &e);
    if (rc)
        printf("load failed: %s\n", e.msg);
    return rc;
}

static void test_indexing(void)
{
    cs_sweep s;
    if (load("grid: {activation: [tanh, relu], width: [8, 16, 32], sigma_b2: [0, 0.1, 0.2, 0.3],\n"
             "       sigma_w2: [0.5, 1, 1.5, 2, 2.5], seeds: 3}\ntrain: {enabled: false}\n", &s)) {
        failures++;
        return;
    }
    long n = grid_task_count(&s);
    CHECK(n == 2 * 3 * 4 * 5 * 3, "task count %ld", n);
    char *seen = calloc((size_t)n, 1);
    long t = 0;
    for (int a = 0; a < 2; a++)
        for (int w = 0; w < 3; w++)
            for (int b = 0; b < 4; b++)
                for (int v = 0; v < 5; v++)
                    for (int k = 0; k < 3; k++, t++) {
                        /* C-order offset, as numpy.ravel_multi_index((a,w,b,v,k), shape) */
                        long want = (((a * 3L + w) * 4 + b) * 5 + v) * 3 + k;
                        grid_index g = {.activation = a, .width = w, .sigma_b2 = b, .sigma_w2 = v, .seed = k}, back;
                        long got = grid_task(&s, &g);
                        CHECK(got == want && got == t, "grid_task(%d,%d,%d,%d,%d) = %ld, want %ld", a,
                              w, b, v, k, got, want);
                        grid_coords(&s, want, &back);
                        CHECK(!memcmp(&g, &back, sizeof g), "grid_coords(%ld) round trip", want);
                        if (got >= 0 && got < n)
                            seen[got]++;
                    }
    for (long i = 0; i < n; i++)
        CHECK(seen[i] == 1, "task %ld numbered %d times", i, seen[i]);
    free(seen);
    config_free(&s);
}

/* An optional axis goes outermost: a q0 slab is the 5-axis layout, and the slab at the
 * default q0 has the keys of the same sweep without the axis. */
static void test_q0_outermost(void)
{
    const char *core = "grid: {activation: [tanh, relu], width: [8, 16], sigma_w2: [0.5, 1, 1.5], "
                       "seeds: 2%s}\ntrain: {enabled: false}\n";
    char a[512], b[512];
    snprintf(a, sizeof a, core, "");
    snprintf(b, sizeof b, core, ", q0: [0.001, 0.1, 0.3]");
    cs_sweep s0, s1;
    if (load(a, &s0)) {
        failures++;
        return;
    }
    if (load(b, &s1)) {
        failures++;
        config_free(&s0);
        return;
    }
    long n0 = grid_task_count(&s0), n1 = grid_task_count(&s1);
    CHECK(n1 == 3 * n0, "task count %ld with q0, %ld without", n1, n0);
    cs_axis_id dims[CS_AXIS_COUNT];
    CHECK(axis_dims(&s1, dims) == 6 && dims[0] == CS_AXIS_Q0 && dims[1] == CS_AXIS_ACTIVATION,
          "q0 is the outermost dimension");
    for (long t = 0; t < n1; t++) {
        grid_index g1, g0, back;
        grid_coords(&s1, t, &g1);
        grid_coords(&s0, t % n0, &g0);
        CHECK(g1.q0 == t / n0, "task %ld: q0 index %d, want %ld", t, g1.q0, t / n0);
        g0.q0 = g1.q0;
        CHECK(!memcmp(&g0, &g1, sizeof g0), "task %ld: core indices differ from the 5-axis grid", t);
        CHECK(grid_task(&s1, &g1) == t, "task %ld round trip", t);
        grid_coords(&s1, grid_task(&s1, &g1), &back);
        CHECK(!memcmp(&back, &g1, sizeof back), "task %ld coords round trip", t);
        uint64_t k0 = grid_task_key(&s0, &g0), k1 = grid_task_key(&s1, &g1);
        int at_default = s1.q0[g1.q0] == 0.1;
        CHECK(at_default ? k0 == k1 : k0 != k1, "task %ld (q0 %g): key %s the 5-axis key", t,
              s1.q0[g1.q0], at_default ? "differs from" : "equals");
        CHECK(grid_q0(&s1, &g1) == s1.q0[g1.q0] && grid_q0(&s0, &g0) == s0.avalanche.q0,
              "task %ld: grid_q0", t);
    }
    config_free(&s0);
    config_free(&s1);
}

/* Cost of the single task of a one-point sweep built from a format with one knob. */
static double cost1(const char *fmt, double x)
{
    char text[1024];
    snprintf(text, sizeof text, fmt, x);
    cs_sweep s;
    if (load(text, &s)) {
        failures++;
        return NAN;
    }
    double c = grid_task_cost(&s, 0);
    config_free(&s);
    return c;
}

static void monotone(const char *what, const char *fmt, const double *xs, int n, int strict)
{
    double prev = -1;
    for (int i = 0; i < n; i++) {
        double c = cost1(fmt, xs[i]);
        CHECK(isfinite(c) && c > 0, "%s: cost %g at %g", what, c, xs[i]);
        if (i)
            CHECK(strict ? c > prev : c >= prev, "%s: cost %g at %g after %g at %g", what, c,
                  xs[i], prev, xs[i - 1]);
        prev = c;
    }
    printf("%s: cost %.3g .. %.3g over %g .. %g\n", what, cost1(fmt, xs[0]), prev, xs[0],
           xs[n - 1]);
}

static void test_cost(void)
{
    static const double widths[] = {2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096};
    static const double depths[] = {4, 8, 20, 50, 100, 300, 1000, 3000, 10000};
    static const double inputs[] = {10, 100, 1000, 1e4, 1e5, 1e6};
    static const double epochs[] = {1, 2, 5, 20, 50};
    for (int sw = 0; sw < 4; sw++) { /* ordered, critical, chaotic, deep chaos */
        static const double sws[] = {0.5, 1.0, 1.5, 3.0};
        char fw[512], fd[512];
        snprintf(fw, sizeof fw, "grid: {width: [%%g], sigma_w2: [%g]}\ntrain: {enabled: false}\n",
                 sws[sw]);
        snprintf(fd, sizeof fd, "grid: {width: [64], sigma_w2: [%g], sigma_b2: [0.05]}\n"
                                "avalanche: {depth: %%g, shape_window: [0, 2]}\n"
                                "train: {enabled: false}\n", sws[sw]);
        monotone("width (avalanche)", fw, widths, 11, 1);
        monotone("depth", fd, depths, 9, 0);
    }
    struct stat st;
    if (!stat(CS_DEFAULT_DATA_DIR, &st)) /* training on needs the dataset to validate */
        monotone("width (with training)",
                 "grid: {width: [%g], sigma_w2: [1]}\ntrain: {epochs: 1}\n", widths, 11, 1);
    else
        printf("note: %s absent, training-cost checks skipped\n", CS_DEFAULT_DATA_DIR);
    monotone("inputs", "grid: {width: [64], sigma_w2: [1]}\navalanche: {inputs: %g}\n"
                       "train: {enabled: false}\n", inputs, 6, 1);
    if (!stat(CS_DEFAULT_DATA_DIR, &st))
        monotone("epochs", "grid: {width: [64], sigma_w2: [1]}\ntrain: {epochs: %g}\n", epochs,
                 5, 1);
    /* critical and chaotic cost more than ordered; the chaotic phase runs to L_max */
    const char *fs = "grid: {width: [64], sigma_w2: [%g]}\ntrain: {enabled: false}\n";
    double ord = cost1(fs, 0.5), crit = cost1(fs, 1.0), chaos = cost1(fs, 2.0);
    CHECK(ord < crit && crit < chaos, "ordered %g < critical %g < chaotic %g", ord, crit, chaos);
    printf("cost at sigma_w2 0.5 / 1.0 / 2.0 (N 64): %.3g / %.3g / %.3g\n", ord, crit, chaos);
    /* a chaotic avalanche (σ_b² = 0: never absorbed) crosses all L_max layers: the bulk
     * is 2N² per input and layer plus, at N = 64 as large, the elementwise work (grid.c:
     * 100 per neuron, 1000 per row), i.e. (2N² + 100N + 1000)·M·L */
    double bulk = (2.0 * 64 * 64 + 100.0 * 64 + 1000) * 1e6 * 1000;
    CHECK(chaos > 0.8 * bulk && chaos < 1.25 * bulk, "chaotic cost %g vs (2N^2+100N+1000)*M*L = %g",
          chaos, bulk);
}

static void test_estimates(void)
{
    cs_sweep s;
    if (load("grid: {width: [16, 64], sigma_w2: {start: 0.5, stop: 2, num: 7}, seeds: 3}\n"
             "avalanche: {depth: 100, inputs: 1000, shape_window: [5, 50]}\n"
             "train: {enabled: false}\n", &s)) {
        failures++;
        return;
    }
    double sum = 0, longest = 0;
    for (long t = 0; t < grid_task_count(&s); t++) {
        double x = grid_task_seconds(&s, t);
        sum += x;
        if (x > longest)
            longest = x;
    }
    double total = grid_estimate_seconds(&s);
    double rel = fabs(total - sum) / sum;
    CHECK(rel < 1e-9, "estimate %g != sum of tasks %g", total, sum);
    printf("sweep estimate %.4g s = sum of task estimates (rel diff %.2g)\n", total, rel);
    double w1 = grid_estimate_wall_seconds(&s, 1), w4 = grid_estimate_wall_seconds(&s, 4);
    double w1000 = grid_estimate_wall_seconds(&s, 1000);
    CHECK(fabs(w1 - total) <= 1e-9 * total, "1 worker: wall %g != total %g", w1, total);
    CHECK(w4 >= total / 4 && w4 <= total / 4 + longest + 1e-12, "4 workers: %g not in [%g, %g]",
          w4, total / 4, total / 4 + longest);
    CHECK(fabs(w1000 - longest) <= 1e-9 * longest, "many workers: wall %g != longest task %g",
          w1000, longest);
    config_free(&s);
}

int main(void)
{
    test_q0_outermost();
    test_indexing();
    test_cost();
    test_estimates();
    printf("%s: %d failures\n", failures ? "FAIL" : "PASS", failures);
    return failures ? 1 : 0;
}

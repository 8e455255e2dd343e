/* test_dynrange.c — dynamic range (dynrange.h) against closed forms: a linear network
 * responds as c sqrt(q), so its Δ is the grid's alone, the same at every σ_w²; the chaotic
 * phase saturates and gives NaN with a reason; a non-monotone curve uses its envelope. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "critsweep/dynrange.h"
#include "critsweep/rng.h"

enum { NQ = 25 };

static void log_grid(double *q)
{
    for (int j = 0; j < NQ; j++) q[j] = pow(10, -6 + 8.0 * j / (NQ - 1));
}

static double run(cs_activation act, double sw, double sb, int N, int depth, const double *q,
                  double *R, char *note, size_t n)
{
    dynrange_params p = {act, N, sw, sb, 17, depth, NQ, q, 3, 4};
    dynrange_result r = {.response = R};
    cs_err err;
    CHECK(dynrange_run(&p, &r, &err) == 0, "dynrange_run: %s", err.msg);
    snprintf(note, n, "%s", r.note);
    return r.dynamic_range;
}

static void test_linear(const double *q)
{
    double exact[NQ], R[NQ];
    char note[DYNRANGE_NOTE_LEN];
    int env;
    for (int j = 0; j < NQ; j++) exact[j] = sqrt(q[j]);
    double grid = dynrange_from_response(q, exact, NQ, &env, note, sizeof note);
    double a = sqrt(q[0]), b = sqrt(q[NQ - 1]);
    double continuum = 20 * log10((a + 0.9 * (b - a)) / (a + 0.1 * (b - a)));
    printf("linear response c sqrt(q): grid value %.4f dB, continuum %.4f dB\n", grid, continuum);
    CHECK(fabs(grid - continuum) < 0.5, "grid %g vs continuum %g (0.5 dB)", grid, continuum);
    const double sws[3] = {0.5, 1.0, 2.0};
    for (int k = 0; k < 3; k++) {
        double d = run(CS_ACT_LINEAR, sws[k], 0, 64, 20, q, R, note, sizeof note);
        printf("  linear network sigma_w2 = %.1f: %.6f dB\n", sws[k], d);
        CHECK(fabs(d - grid) < 1e-3, "linear net %g vs closed form %g (1e-3 dB)", d, grid);
    }
}

static void test_phases(const double *q)
{
    double R[NQ];
    char note[DYNRANGE_NOTE_LEN];
    double chaotic = run(CS_ACT_TANH, 4.0, 0, 100, 50, q, R, note, sizeof note);
    printf("tanh sigma_w2 = 4 (chaotic): Delta %g, R(q_min) %.3g, R(q_max) %.3g: %s\n", chaotic,
           R[0], R[NQ - 1], note);
    CHECK(isnan(chaotic) && strstr(note, "saturated"), "chaotic phase: NaN with a reason");
    double crit = run(CS_ACT_TANH, 1.0, 0, 100, 50, q, R, note, sizeof note);
    printf("tanh sigma_w2 = 1 (edge): Delta %.2f dB, R %.3g .. %.3g %s\n", crit, R[0], R[NQ - 1],
           note);
    CHECK(isfinite(crit) && crit > 0, "edge of chaos: a finite dynamic range");
}

static void test_envelope(const double *q)
{
    double R[NQ];
    char note[DYNRANGE_NOTE_LEN];
    int env;
    for (int j = 0; j < NQ; j++) R[j] = sqrt(q[j]) * (j == NQ / 2 ? 0.5 : 1.0);
    double d = dynrange_from_response(q, R, NQ, &env, note, sizeof note);
    CHECK(env == 1 && strstr(note, "envelope") && isfinite(d), "dip: envelope used (%s)", note);
}

int main(void)
{
    double q[NQ];
    log_grid(q);
    test_linear(q);
    test_phases(q);
    test_envelope(q);
    return failures != 0;
}

/* dynrange.c — response curve and dynamic range (dynrange.h). */
#include "critsweep/dynrange.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "critsweep/net.h"
#include "critsweep/rng.h"

double dynrange_q_value(double q_min, double q_max, int n_q, int j)
{
    if (j <= 0 || n_q < 2) return q_min;
    if (j >= n_q - 1) return q_max;
    return exp(log(q_min) + (double)j / (n_q - 1) * (log(q_max) - log(q_min)));
}

/* q where the curve R (ascending) first reaches level, linear in log q. */
static double crossing(const double *q, const double *R, int n, double level)
{
    for (int j = 1; j < n; j++) {
        if (R[j] < level) continue;
        if (R[j] == R[j - 1]) return q[j - 1];
        double f = (level - R[j - 1]) / (R[j] - R[j - 1]);
        return exp(log(q[j - 1]) + f * (log(q[j]) - log(q[j - 1])));
    }
    return q[n - 1];
}

double dynrange_from_response(const double *q, const double *R, int n_q, int *envelope_used,
                              char *note, size_t note_len)
{
    *envelope_used = 0;
    note[0] = '\0';
    if (n_q < 2 || !(R[0] > 0)) {
        snprintf(note, note_len, "no response at the weakest drive q = %g", n_q ? q[0] : NAN);
        return NAN;
    }
    double *env = malloc((size_t)n_q * sizeof *env);
    if (!env) return NAN;
    for (int j = 0; j < n_q; j++) {
        env[j] = j && env[j - 1] > R[j] ? env[j - 1] : R[j];
        *envelope_used |= j && R[j] < env[j - 1];
    }
    double ratio = env[n_q - 1] / env[0], d = NAN;
    if (!(ratio >= DYNRANGE_MIN_RATIO)) {
        snprintf(note, note_len, "response saturated: R(q_max)/R(q_min) = %.3g < %g", ratio,
                 DYNRANGE_MIN_RATIO);
    } else {
        double lo = env[0], span = env[n_q - 1] - env[0];
        d = 10 * log10(crossing(q, env, n_q, lo + 0.9 * span) /
                       crossing(q, env, n_q, lo + 0.1 * span));
        if (*envelope_used) snprintf(note, note_len, "R(q) not monotone: its envelope was used");
    }
    free(env);
    return d;
}

/* Row 0: the baseline x0 = 0; row 1 + i n_q + j: sqrt(q_j) û_i. */
static void drive_rows(const dynrange_params *p, long network, float *H)
{
    int N = p->width;
    memset(H, 0, (size_t)N * sizeof *H);
    float *u = H + N; /* the directions, scaled in place below */
    cs_rng r;
    rng_init(&r, p->key, rng_stream_id(CS_STREAM_DYNRANGE, (uint64_t)network));
    for (int i = 0; i < p->inputs; i++) {
        float *ui = u + (size_t)i * p->n_q * N;
        rng_fill_normal(&r, ui, (size_t)N, 1.0f);
        double norm = 0;
        for (int k = 0; k < N; k++) norm += (double)ui[k] * ui[k];
        for (int j = p->n_q - 1; j >= 0; j--) {
            float s = (float)(sqrt(p->q[j]) / sqrt(norm));
            float *row = ui + (size_t)j * N;
            for (int k = 0; k < N; k++) row[k] = ui[k] * s; /* j = 0 last: ui is row 0 */
        }
    }
}

/* Adds ‖h_r − h_0‖ of every driven row to sum[j] of its q_j. */
static void accumulate(const dynrange_params *p, const float *H, double *sum)
{
    int N = p->width;
    for (int i = 0; i < p->inputs; i++)
        for (int j = 0; j < p->n_q; j++) {
            const float *h = H + (size_t)(1 + (size_t)i * p->n_q + j) * N;
            double d2 = 0;
            for (int k = 0; k < N; k++) d2 += ((double)h[k] - H[k]) * ((double)h[k] - H[k]);
            sum[j] += sqrt(d2);
        }
}

int dynrange_run(const dynrange_params *p, dynrange_result *r, cs_err *err)
{
    int N = p->width, m = 1 + p->inputs * p->n_q;
    net_layer l;
    if (net_layer_init(&l, N, p->sigma_w2, p->sigma_b2, p->key, err)) return CS_EXIT_ERROR;
    float *A = malloc((size_t)m * N * sizeof *A), *H = malloc((size_t)m * N * sizeof *H);
    if (!A || !H) {
        free(A);
        free(H);
        net_layer_free(&l);
        return cs_fail(err, CS_EXIT_ERROR, "dynamic range: out of memory (%d rows of %d)", m, N);
    }
    memset(r->response, 0, (size_t)p->n_q * sizeof *r->response);
    for (long n = 0; n < p->networks; n++) {
        drive_rows(p, n, H);
        for (int layer = 1; layer <= p->depth; layer++) {
            activation_forward(p->activation, H, A, (size_t)m * N); /* x goes through φ too */
            net_layer_draw(&l, n, layer);
            net_layer_forward(&l, A, H, m, m);
        }
        accumulate(p, H, r->response);
    }
    for (int j = 0; j < p->n_q; j++) r->response[j] /= (double)p->networks * p->inputs;
    r->dynamic_range = dynrange_from_response(p->q, r->response, p->n_q, &r->envelope_used,
                                              r->note, sizeof r->note);
    free(A);
    free(H);
    net_layer_free(&l);
    return 0;
}

/* activation.h — the nonlinearities φ and their slopes φ', shared by net, train and
 * meanfield so that every part of a task uses exactly the same function. */
#ifndef CRITSWEEP_ACTIVATION_H
#define CRITSWEEP_ACTIVATION_H

#include <stddef.h>

/* The order is part of the results-file contract (the `activation` coordinate stores
 * the names; this enum is only the in-memory index). */
typedef enum {
    CS_ACT_TANH = 0,
    CS_ACT_ERF,      /* erf(sqrt(pi)/2 * x): erf-type with slope 1 at 0, like tanh */
    CS_ACT_HARDTANH, /* clamp(x, -1, 1) */
    CS_ACT_RELU,
    CS_ACT_LINEAR,
    CS_ACT_COUNT
} cs_activation;

/* Returns 0 and sets *out for "tanh", "erf", "hardtanh", "relu", "linear"; -1 otherwise. */
int activation_from_name(const char *name, cs_activation *out);
const char *activation_name(cs_activation a);
/* Comma-separated list of accepted names, for error messages and --help. */
const char *activation_names(void);

/* out[i] = φ(h[i]); out may equal h. */
void activation_forward(cs_activation a, const float *h, float *out, size_t n);
/* out[i] = φ'(h[i]); out may equal h. */
void activation_slope(cs_activation a, const float *h, float *out, size_t n);
/* Double-precision scalars for quadrature. */
double activation_value(cs_activation a, double x);
double activation_derivative(cs_activation a, double x);

#endif

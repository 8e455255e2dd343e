/* quantity.h — every per-task quantity, declared once.
 *
 * CS_QUANTITIES is the list, in results-file order (the order of the per-task datasets,
 * of the row checksum and of `export`'s columns: never reorder it).  From it come the
 * scalar members of cs_result (task.h), the task result's reset and the copy from the
 * avalanche run (task.c), the per-task datasets with their attributes (store.c),
 * `point`'s JSON and text, `phase --quantity`'s figure labels, and the schema the tests
 * check (`critsweep point --quantities-json`).
 *
 * A new per-task scalar is one Q(...) line here plus the code that computes it.
 *
 * Q(name, src, trailing, blank, part, units, long_name, description, timing, label):
 *   a quantity that cs_result holds as a member of its own name, declared from this list;
 * QAT(name, at, src, trailing, blank, part, units, long_name, description, timing,
 *     label): one that lives in a member cs_result declares by hand (`at`: arrays, the
 *   pooling statistics).
 *   src       how the value is held: D double, L long, I int (both stored as int64),
 *             T text (char[CS_REASON_LEN]), P double * (array), A double[] (inline)
 *   trailing  the axes after the task axes: NONE, EPOCH, SIZE_BIN, DURATION, SHAPE_D,
 *             PROFILE (shape_duration, profile_x), CHAR (reason_char: text), DYNRANGE_Q
 *             (dynrange_q: the dynamic range's drive strengths)
 *   blank     its value in a blank row (NAN or 0); a fresh file's fill is NaN or -1
 *   part      who computes it: AVALANCHE (copied from avalanche_result's member of the
 *             same name), ANALYSIS (the fits and the mean field of the avalanche half),
 *             POOLING (sufficient statistics for pooled fits), TRAINING, TASK
 *   timing    1 = depends on the machine (left out of determinism checks)
 *   label     the figure label (PLplot text), NULL = the name */
#ifndef CRITSWEEP_QUANTITY_H
#define CRITSWEEP_QUANTITY_H

#include <math.h>
#include <stddef.h>

#define CS_QUANTITIES(Q, QAT)                                                                     \
    Q(tau_s, D, NONE, NAN, ANALYSIS, "1", "avalanche size exponent tau_s",                       \
      "continuous power-law MLE over recorded sizes S >= xmin_s: 1 + n / sum ln(S/xmin_s)", 0,   \
      "size exponent τ#ds#u")                                                                    \
    Q(tau_s_err, D, NONE, NAN, ANALYSIS, "1", "standard error of tau_s", "(tau_s - 1) / sqrt(n)", \
      0, NULL)                                                                                   \
    Q(tau_d, D, NONE, NAN, ANALYSIS, "1", "avalanche duration exponent tau_d",                   \
      "discrete power-law MLE (Hurwitz zeta) over recorded durations D >= xmin_d", 0,            \
      "duration exponent τ#dd#u")                                                                \
    Q(tau_d_err, D, NONE, NAN, ANALYSIS, "1", "standard error of tau_d", "(tau_d - 1) / sqrt(n)", \
      0, NULL)                                                                                   \
    Q(xmin_s, D, NONE, NAN, ANALYSIS, "1", "lower cutoff of the size fit",                       \
      "xmin used for tau_s (given or KS-chosen)", 0, NULL)                                       \
    Q(xmin_d, D, NONE, NAN, ANALYSIS, "layers", "lower cutoff of the duration fit",              \
      "xmin used for tau_d (given or KS-chosen)", 0, NULL)                                       \
    Q(gamma, D, NONE, NAN, ANALYSIS, "1", "size-duration exponent gamma = 1/(sigma nu z)",       \
      "slope of the weighted least squares of log10 <S>(D) on log10 D", 0, "γ = 1/(σνz)")        \
    Q(gamma_err, D, NONE, NAN, ANALYSIS, "1", "standard error of gamma",                         \
      "sqrt(s^2 / Sxx) of the weighted regression", 0, NULL)                                     \
    Q(gamma_pred, D, NONE, NAN, ANALYSIS, "1", "crackling-noise prediction of gamma",            \
      "(tau_d - 1) / (tau_s - 1)", 0, NULL)                                                      \
    Q(gamma_shape, D, NONE, NAN, ANALYSIS, "1", "gamma from shape collapse",                     \
      "exponent minimising the NMSE of mean profiles rescaled by D^(gamma-1)", 0, NULL)          \
    Q(gamma_shape_err, D, NONE, NAN, ANALYSIS, "1", "error of gamma_shape",                      \
      "from a parabola through the NMSE minimum", 0, NULL)                                       \
    Q(S_mean, D, NONE, NAN, AVALANCHE, "1", "mean avalanche size",                               \
      "mean S over recorded avalanches", 0, "mean avalanche size S")                             \
    Q(S_mean_absorbed, D, NONE, NAN, AVALANCHE, "1", "mean size of absorbed avalanches",         \
      "mean S over absorbed recorded avalanches", 0, NULL)                                       \
    Q(D_mean, D, NONE, NAN, AVALANCHE, "layers", "mean avalanche duration",                      \
      "mean D over recorded avalanches", 0, NULL)                                                \
    Q(P_surv, D, NONE, NAN, AVALANCHE, "1", "survival probability",                              \
      "n_survived / n_inputs: order parameter of the absorbing transition", 0,                   \
      "survival probability P#dsurv#u")                                                          \
    Q(branching, D, NONE, NAN, AVALANCHE, "1", "branching parameter m",                          \
      "geometric mean of r_(l+1)/r_l over layers and avalanches", 0, "branching parameter m")    \
    Q(lyapunov, D, NONE, NAN, AVALANCHE, "1/layer", "largest finite-time Lyapunov exponent",     \
      "mean log growth per layer of a renormalised tangent vector along the "                    \
      "first still-active driven trajectory of each network (README §7)", 0,                     \
      "Lyapunov exponent λ#d0#u per layer")                                                      \
    Q(avalanches_per_s, D, NONE, NAN, AVALANCHE, "1/s", "avalanche throughput",                  \
      "inputs driven per second of wall time (machine-dependent)", 1, NULL)                      \
    Q(q_star, D, NONE, NAN, ANALYSIS, "1", "mean-field fixed point q*",                          \
      "q = sigma_w2 E[phi(sqrt(q) z)^2] + sigma_b2", 0, NULL)                                    \
    Q(chi1, D, NONE, NAN, ANALYSIS, "1", "mean-field chi_1",                                     \
      "sigma_w2 E[phi'(sqrt(q*) z)^2]; edge of chaos at 1", 0, NULL)                             \
    Q(xi_c, D, NONE, NAN, ANALYSIS, "layers", "mean-field depth scale", "-1 / ln chi_1", 0, NULL) \
    Q(test_accuracy, D, NONE, NAN, TRAINING, "1", "final test accuracy",                         \
      "fraction of the test set classified correctly after the last epoch", 0, "test accuracy")  \
    Q(train_loss, D, NONE, NAN, TRAINING, "1", "final training loss",                            \
      "mean softmax cross-entropy of the last epoch", 0, NULL)                                   \
    Q(samples_per_s, D, NONE, NAN, TRAINING, "1/s", "training throughput",                       \
      "training examples per second (machine-dependent)", 1, NULL)                               \
    Q(seconds, D, NONE, NAN, TASK, "s", "task wall time",                                        \
      "wall-clock seconds of the whole task (machine-dependent)", 1, NULL)                       \
    QAT(n_tail_s, stats.n_tail_s, D, NONE, 0, POOLING, "1", "size-fit tail count",               \
        "number of recorded S >= xmin_s (sufficient statistic for pooled tau_s)", 0, NULL)       \
    QAT(sum_log_s, stats.sum_log_s, D, NONE, 0, POOLING, "1", "size-fit log sum",                \
        "sum of ln(S/xmin_s) over S >= xmin_s (sufficient statistic for pooled tau_s)", 0, NULL) \
    QAT(S_tail_min, stats.s_tail_min, D, NONE, NAN, POOLING, "1",                                \
        "smallest size in the size-fit tail",                                                    \
        "min S over S >= xmin_s (pooled tau_s needs two distinct values)", 0, NULL)              \
    QAT(S_tail_max, stats.s_tail_max, D, NONE, NAN, POOLING, "1",                                \
        "largest size in the size-fit tail",                                                     \
        "max S over S >= xmin_s (pooled tau_s needs two distinct values)", 0, NULL)              \
    Q(n_inputs, L, NONE, 0, AVALANCHE, "1", "inputs driven", "avalanches started", 0, NULL)     \
    Q(n_recorded, L, NONE, 0, AVALANCHE, "1", "avalanches recorded",                             \
      "avalanches kept by the recording convention", 0, NULL)                                    \
    Q(n_survived, L, NONE, 0, AVALANCHE, "1", "avalanches surviving",                            \
      "avalanches that reached L_max without absorption", 0, NULL)                               \
    Q(n_exploded, L, NONE, 0, AVALANCHE, "1", "avalanches exploded",                             \
      "survivors stopped where their activity left float range (their S a lower bound)", 0,      \
      NULL)                                                                                      \
    Q(fit_note, T, CHAR, 0, ANALYSIS, "1", "fit note",                                           \
      "why exponents are NaN: too few events or one distinct value above xmin "                  \
      "(NUL-padded UTF-8)", 0, NULL)                                                             \
    Q(diverged_epoch, I, NONE, 0, TRAINING, "1", "epoch of divergence",                          \
      "1-based epoch of the first NaN/inf training loss, 0 if none", 0, NULL)                    \
    QAT(test_accuracy_per_epoch, test_accuracy_per_epoch, P, EPOCH, NAN, TRAINING, "1",          \
        "test accuracy per epoch", "after each training epoch", 0, NULL)                         \
    QAT(train_loss_per_epoch, train_loss_per_epoch, P, EPOCH, NAN, TRAINING, "1",                \
        "training loss per epoch", "mean cross-entropy of each epoch", 0, NULL)                  \
    QAT(S_hist, S_hist, A, SIZE_BIN, 0, ANALYSIS, "1", "size histogram",                         \
        "recorded avalanches per log10 size bin (see size_bin:edges)", 0, NULL)                  \
    QAT(D_count, stats.count_d, P, DURATION, 0, POOLING, "1", "duration counts",                 \
        "recorded avalanches per duration", 0, NULL)                                             \
    QAT(gcount, stats.gcount, P, DURATION, 0, POOLING, "1", "gamma-fit counts",                  \
        "events with D >= xmin_d and S >= xmin_s per duration", 0, NULL)                         \
    QAT(gsum_S, stats.gsum_S, P, DURATION, 0, POOLING, "1", "gamma-fit sum of S",                \
        "sum of S per duration over the gamma-fit events", 0, NULL)                              \
    QAT(gsum_log10S, stats.gsum_log10S, P, DURATION, 0, POOLING, "1",                            \
        "gamma-fit sum of log10 S", "per duration", 0, NULL)                                     \
    QAT(gsum_log10S2, stats.gsum_log10S2, P, DURATION, 0, POOLING, "1",                          \
        "gamma-fit sum of (log10 S)^2", "per duration", 0, NULL)                                 \
    QAT(profile, profile, P, PROFILE, NAN, ANALYSIS, "1", "mean avalanche profile",              \
        "mean V over l/D per duration; NaN below shape_min_count avalanches", 0, NULL)           \
    QAT(profile_count, profile_count, P, SHAPE_D, 0, ANALYSIS, "1", "profile counts",            \
        "avalanches per shape duration", 0, NULL)                                                \
    Q(dynamic_range, D, NONE, NAN, TASK, "dB", "dynamic range Delta",                             \
      "10 log10(q_0.9 / q_0.1) of the response R(q) at depth dynrange.depth (README §7); NaN "   \
      "when dynrange is off or the range is undefined (dynrange_note says why)", 0,              \
      "dynamic range Δ (dB)")                                                                    \
    Q(dynrange_note, T, CHAR, 0, TASK, "1", "dynamic range note",                                \
      "why dynamic_range is NaN, or that the monotone envelope of R(q) was used "                \
      "(NUL-padded UTF-8)", 0, NULL)                                                             \
    QAT(dynrange_response, dynrange_response, P, DYNRANGE_Q, NAN, TASK, "1", "response R(q)",    \
        "mean over drive directions and networks of ||h^L(x0 + delta_q) - h^L(x0)|| at "         \
        "L = dynrange.depth, x0 = 0 (see dynrange_q)", 0, NULL)                                  \
    Q(branching_trained, D, NONE, NAN, TRAINING, "1", "branching parameter m of the trained MLP", \
      "geometric mean of r_(l+1)/r_l between hidden layers along the first 1000 test images "   \
      "driven by q0; NaN without training or with fewer than 2 hidden layers", 0,               \
      "branching parameter m#dtrained#u")                                                        \
    Q(lyapunov_trained, D, NONE, NAN, TRAINING, "1/layer",                                       \
      "largest Lyapunov exponent of the trained MLP",                                            \
      "mean log growth per hidden layer of a renormalised tangent along the first 1000 test "    \
      "images; NaN without training or with fewer than 2 hidden layers", 0,                      \
      "Lyapunov exponent λ#d0#u trained, per layer")                                             \
    Q(inactive_fraction_trained, D, NONE, NAN, TRAINING, "1",                                    \
      "inactive hidden units of the trained MLP",                                                \
      "share of hidden units with phi'(h) < 0.01 on at least 99 % of the first 1000 test "       \
      "images (saturated or dead); NaN without training", 0, "inactive units (trained)")         \
    CS_QUANTITIES_EXTRA(Q, QAT)

/* A build for the tests (meson -Dtest_quantity=true) declares one more quantity, so that
 * a test can show that one line here is all a new scalar needs to reach the results
 * file, `export`, `point` and `phase`.  Its value is set in task.c. */
#ifdef CS_TEST_QUANTITY
#define CS_QUANTITIES_EXTRA(Q, QAT)                                                               \
    Q(S_over_D, D, NONE, NAN, ANALYSIS, "1", "mean size per mean duration",                      \
      "S_mean / D_mean (a quantity of the test build only)", 0, "S/D")
#else
#define CS_QUANTITIES_EXTRA(Q, QAT)
#endif

/* How a quantity is held in cs_result. */
typedef enum {
    QUANTITY_SRC_D, /* double */
    QUANTITY_SRC_L, /* long, stored as int64 */
    QUANTITY_SRC_I, /* int, stored as int64 */
    QUANTITY_SRC_T, /* char[CS_REASON_LEN] text */
    QUANTITY_SRC_P, /* double *, an array */
    QUANTITY_SRC_A, /* double[], an array inside cs_result */
} quantity_src;

/* The axes after the task axes (same values as store.h's store_trailing). */
typedef enum {
    QUANTITY_TR_NONE = 0,
    QUANTITY_TR_EPOCH,
    QUANTITY_TR_SIZE_BIN,
    QUANTITY_TR_DURATION,
    QUANTITY_TR_SHAPE_D,
    QUANTITY_TR_PROFILE,
    QUANTITY_TR_CHAR,
    QUANTITY_TR_DYNRANGE_Q,
} quantity_trailing;

typedef enum {
    QUANTITY_PART_AVALANCHE,
    QUANTITY_PART_ANALYSIS,
    QUANTITY_PART_POOLING,
    QUANTITY_PART_TRAINING,
    QUANTITY_PART_TASK,
} quantity_part;

typedef struct {
    const char *name;
    quantity_src src;
    quantity_trailing trailing;
    double blank;
    quantity_part part;
    const char *units, *long_name, *description;
    int timing;
    const char *label;  /* NULL: the name */
    size_t offset;      /* of the value (or the array's pointer) in cs_result */
} quantity_def;

typedef struct cs_result cs_result;

/* One index per quantity: QUANTITY_tau_s, ...; QUANTITY_COUNT of them. */
#define QUANTITY_INDEX(name, ...) QUANTITY_##name,
enum { CS_QUANTITIES(QUANTITY_INDEX, QUANTITY_INDEX) QUANTITY_COUNT };
#undef QUANTITY_INDEX

/* The quantities from this one on came after release 0.2.0 (the table only grows at its
 * end): a results file of 0.2.x lacks their datasets, which is no damage, and a run that
 * resumes it leaves them out. */
#define QUANTITY_FIRST_AFTER_0_2_0 QUANTITY_dynamic_range

/* The table, in results-file order. */
extern const quantity_def quantity_defs[QUANTITY_COUNT];

/* The quantity called name, or NULL. */
const quantity_def *quantity_find(const char *name);
/* The table's figure label of name, NULL if it has none (or is not a quantity). */
const char *quantity_figure_label(const char *name);
/* A D quantity of r. */
double quantity_double(const quantity_def *q, const cs_result *r);
/* An L or I quantity of r. */
long long quantity_integer(const quantity_def *q, const cs_result *r);
/* The text of a T quantity of r. */
const char *quantity_text(const quantity_def *q, const cs_result *r);
/* The values of an array quantity (src P or A) of r and their count; NULL (*n = 0) for
 * any other. */
const double *quantity_array(const quantity_def *q, const cs_result *r, long *n);
/* Sets every quantity of r to its blank value (arrays over their lengths in r). */
void quantity_reset(cs_result *r);

#endif

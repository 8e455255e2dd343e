/* store.c — the results file (store.h has the schema).
 *
 * Crash safety rests on two rules.  (1) Everything that changes HDF5 metadata —
 * datasets, dimension scales, attributes — happens serially on rank 0, either inside a
 * temporary file that is renamed into place, or in the short runs-table append at the
 * start of a run.  (2) While ranks have the file open to write task rows, they write raw
 * data only, into contiguous datasets whose space was allocated at creation: a process
 * killed at any instant leaves a file whose metadata is exactly what was there before.
 * A task's status is written after its data, so a `done` row is complete. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include <hdf5.h>
#include <hdf5_hl.h>
#include <zlib.h>

#include "critsweep/grid.h"
#include "critsweep/store.h"

#define NDIM_TASK 5
/* netCDF's marker for a dimension that has no coordinate variable. */
#define NC_DIM_WITHOUT_VARIABLE "This is a netCDF dimension but not a netCDF variable."

/* Where a field's value sits in cs_result. */
typedef enum { SRC_DOUBLE, SRC_LONG, SRC_INT, SRC_ARRAY, SRC_CHARS } src_kind;

/* Text fields share failure_reason's reason_char dimension. */
_Static_assert(CS_FIT_NOTE_LEN == CS_REASON_LEN, "fit_note is stored over reason_char");

typedef struct {
    store_field f;
    src_kind src;
    size_t off; /* offsetof(cs_result, ...) for scalars */
} field_def;

#define F64(name, units, lname, desc, timing) \
    {{#name, STORE_F64, STORE_TR_NONE, units, lname, desc, timing}, SRC_DOUBLE, offsetof(cs_result, name)}
#define I64(name, src, units, lname, desc) \
    {{#name, STORE_I64, STORE_TR_NONE, units, lname, desc, 0}, src, offsetof(cs_result, name)}
#define ARR(name, tr, units, lname, desc) \
    {{#name, STORE_F64, tr, units, lname, desc, 0}, SRC_ARRAY, 0}
#define CHR(name, lname, desc) \
    {{#name, STORE_CHAR, STORE_TR_CHAR, "1", lname, desc, 0}, SRC_CHARS, offsetof(cs_result, name)}

static const field_def field_defs[] = {
    F64(tau_s, "1", "avalanche size exponent tau_s",
        "continuous power-law MLE over recorded sizes S >= xmin_s: 1 + n / sum ln(S/xmin_s)", 0),
    F64(tau_s_err, "1", "standard error of tau_s", "(tau_s - 1) / sqrt(n)", 0),
    F64(tau_d, "1", "avalanche duration exponent tau_d",
        "discrete power-law MLE (Hurwitz zeta) over recorded durations D >= xmin_d", 0),
    F64(tau_d_err, "1", "standard error of tau_d", "(tau_d - 1) / sqrt(n)", 0),
    F64(xmin_s, "1", "lower cutoff of the size fit", "xmin used for tau_s (given or KS-chosen)", 0),
    F64(xmin_d, "layers", "lower cutoff of the duration fit", "xmin used for tau_d (given or KS-chosen)", 0),
    F64(gamma, "1", "size-duration exponent gamma = 1/(sigma nu z)",
        "slope of the weighted least squares of log10 <S>(D) on log10 D", 0),
    F64(gamma_err, "1", "standard error of gamma", "sqrt(s^2 / Sxx) of the weighted regression", 0),
    F64(gamma_pred, "1", "crackling-noise prediction of gamma", "(tau_d - 1) / (tau_s - 1)", 0),
    F64(gamma_shape, "1", "gamma from shape collapse",
        "exponent minimising the NMSE of mean profiles rescaled by D^(gamma-1)", 0),
    F64(gamma_shape_err, "1", "error of gamma_shape", "from a parabola through the NMSE minimum", 0),
    F64(S_mean, "1", "mean avalanche size", "mean S over recorded avalanches", 0),
    F64(S_mean_absorbed, "1", "mean size of absorbed avalanches", "mean S over absorbed recorded avalanches", 0),
    F64(D_mean, "layers", "mean avalanche duration", "mean D over recorded avalanches", 0),
    F64(P_surv, "1", "survival probability", "n_survived / n_inputs: order parameter of the absorbing transition", 0),
    F64(branching, "1", "branching parameter m", "geometric mean of r_(l+1)/r_l over layers and avalanches", 0),
    F64(lyapunov, "1/layer", "largest finite-time Lyapunov exponent",
        "mean log growth per layer of a renormalised tangent vector along the "
        "first still-active driven trajectory of each network (README §7)", 0),
    F64(avalanches_per_s, "1/s", "avalanche throughput", "inputs driven per second of wall time (machine-dependent)", 1),
    F64(q_star, "1", "mean-field fixed point q*", "q = sigma_w2 E[phi(sqrt(q) z)^2] + sigma_b2", 0),
    F64(chi1, "1", "mean-field chi_1", "sigma_w2 E[phi'(sqrt(q*) z)^2]; edge of chaos at 1", 0),
    F64(xi_c, "layers", "mean-field depth scale", "-1 / ln chi_1", 0),
    F64(test_accuracy, "1", "final test accuracy", "fraction of the test set classified correctly after the last epoch", 0),
    F64(train_loss, "1", "final training loss", "mean softmax cross-entropy of the last epoch", 0),
    F64(samples_per_s, "1/s", "training throughput", "training examples per second (machine-dependent)", 1),
    F64(seconds, "s", "task wall time", "wall-clock seconds of the whole task (machine-dependent)", 1),
    {{"n_tail_s", STORE_F64, STORE_TR_NONE, "1", "size-fit tail count",
      "number of recorded S >= xmin_s (sufficient statistic for pooled tau_s)", 0},
     SRC_DOUBLE, offsetof(cs_result, stats.n_tail_s)},
    {{"sum_log_s", STORE_F64, STORE_TR_NONE, "1", "size-fit log sum",
      "sum of ln(S/xmin_s) over S >= xmin_s (sufficient statistic for pooled tau_s)", 0},
     SRC_DOUBLE, offsetof(cs_result, stats.sum_log_s)},
    {{"S_tail_min", STORE_F64, STORE_TR_NONE, "1", "smallest size in the size-fit tail",
      "min S over S >= xmin_s (pooled tau_s needs two distinct values)", 0},
     SRC_DOUBLE, offsetof(cs_result, stats.s_tail_min)},
    {{"S_tail_max", STORE_F64, STORE_TR_NONE, "1", "largest size in the size-fit tail",
      "max S over S >= xmin_s (pooled tau_s needs two distinct values)", 0},
     SRC_DOUBLE, offsetof(cs_result, stats.s_tail_max)},
    I64(n_inputs, SRC_LONG, "1", "inputs driven", "avalanches started"),
    I64(n_recorded, SRC_LONG, "1", "avalanches recorded", "avalanches kept by the recording convention"),
    I64(n_survived, SRC_LONG, "1", "avalanches surviving", "avalanches that reached L_max without absorption"),
    I64(n_exploded, SRC_LONG, "1", "avalanches exploded",
        "survivors stopped where their activity left float range (their S a lower bound)"),
    CHR(fit_note, "fit note",
        "why exponents are NaN: too few events or one distinct value above xmin (NUL-padded UTF-8)"),
    I64(diverged_epoch, SRC_INT, "1", "epoch of divergence", "1-based epoch of the first NaN/inf training loss, 0 if none"),
    ARR(test_accuracy_per_epoch, STORE_TR_EPOCH, "1", "test accuracy per epoch", "after each training epoch"),
    ARR(train_loss_per_epoch, STORE_TR_EPOCH, "1", "training loss per epoch", "mean cross-entropy of each epoch"),
    ARR(S_hist, STORE_TR_SIZE_BIN, "1", "size histogram", "recorded avalanches per log10 size bin (see size_bin:edges)"),
    ARR(D_count, STORE_TR_DURATION, "1", "duration counts", "recorded avalanches per duration"),
    ARR(gcount, STORE_TR_DURATION, "1", "gamma-fit counts",
        "events with D >= xmin_d and S >= xmin_s per duration"),
    ARR(gsum_S, STORE_TR_DURATION, "1", "gamma-fit sum of S", "sum of S per duration over the gamma-fit events"),
    ARR(gsum_log10S, STORE_TR_DURATION, "1", "gamma-fit sum of log10 S", "per duration"),
    ARR(gsum_log10S2, STORE_TR_DURATION, "1", "gamma-fit sum of (log10 S)^2", "per duration"),
    ARR(profile, STORE_TR_PROFILE, "1", "mean avalanche profile",
        "mean V over l/D per duration; NaN below shape_min_count avalanches"),
    ARR(profile_count, STORE_TR_SHAPE_D, "1", "profile counts", "avalanches per shape duration"),
};
#define N_FIELDS ((int)(sizeof field_defs / sizeof *field_defs))

static store_field fields_public[N_FIELDS];

#define C4 {"activation", "width", "sigma_b2", "sigma_w2"}
#define C3 {"activation", "width", "sigma_b2"}
#define C2 {"activation", "width"}
static const store_derived_field derived_defs[] = {
    {"S_mean_seedavg", 4, C4, 0, "1", "mean avalanche size, seed average",
     "mean of S_mean over the completed seeds of each cell (NaN: none completed)"},
    {"S_mean_seedstd", 4, C4, 0, "1", "mean avalanche size, seed spread",
     "sample standard deviation (ddof 1) of S_mean over the completed seeds (NaN: fewer than two)"},
    {"chi", 4, C4, 0, "1", "susceptibility dS/dsigma_w2",
     "derivative of S_mean_seedavg along sigma_w2: second-order central differences inside, "
     "first-order one-sided at the ends, non-uniform spacing (numpy.gradient)"},
    {"chi_b", 4, C4, 0, "1", "susceptibility dS/dsigma_b2",
     "derivative of S_mean_seedavg along sigma_b2 (numpy.gradient); NaN when the sigma_b2 "
     "axis has a single point"},
    {"tau_s_pooled", 4, C4, 0, "1", "size exponent, pooled over seeds",
     "continuous power-law MLE from the summed sufficient statistics of the completed seeds"},
    {"tau_s_pooled_err", 4, C4, 0, "1", "error of tau_s_pooled", "(tau - 1)/sqrt(n)"},
    {"tau_d_pooled", 4, C4, 0, "1", "duration exponent, pooled over seeds",
     "discrete power-law MLE (Hurwitz zeta) from the summed duration counts"},
    {"tau_d_pooled_err", 4, C4, 0, "1", "error of tau_d_pooled", "(tau - 1)/sqrt(n)"},
    {"gamma_pooled", 4, C4, 0, "1", "<S>(D) exponent, pooled over seeds",
     "weighted regression of log10 M(D) on log10 D from the summed per-duration sums"},
    {"gamma_pooled_err", 4, C4, 0, "1", "error of gamma_pooled", "sqrt(s^2/Sxx)"},
    {"widom_sigma_w2", 3, C3, 0, "1", "Widom line sigma_w2*",
     "sigma_w2 of the chi maximum, refined by the parabola through the maximum and its two "
     "neighbours (the grid value at an edge)"},
    {"chi_max", 3, C3, 0, "1", "maximum susceptibility", "largest chi on the sigma_w2 grid"},
    {"accuracy_ridge_sigma_w2", 3, C3, 0, "1", "accuracy ridge",
     "sigma_w2 of the highest seed-averaged test accuracy (grid value)"},
    {"edge_sigma_w2", 2, {"activation", "sigma_b2"}, 0, "1", "edge of chaos sigma_w2_c",
     "mean-field chi_1 = 1 (GSL adaptive quadrature, Brent root); NaN where none in "
     "(0, 100]"},
    {"spearman_acc_chi", 2, C2, 0, "1", "Spearman(accuracy, chi)",
     "rank correlation over the (sigma_b2, sigma_w2) cells of seed-averaged test accuracy "
     "with chi (cells with a NaN dropped; ties by average ranks)"},
    {"spearman_acc_edge", 2, C2, 0, "1", "Spearman(accuracy, -|chi1 - 1|)",
     "rank correlation over the cells of seed-averaged test accuracy with the closeness "
     "to the edge of chaos -|chi1 - 1|"},
    {"ridge_dist_widom", 2, C2, 0, "1", "accuracy ridge to Widom line",
     "mean over sigma_b2 of |ridge - widom_sigma_w2|"},
    {"ridge_dist_edge", 2, C2, 0, "1", "accuracy ridge to edge of chaos",
     "mean over sigma_b2 of |ridge - edge_sigma_w2|"},
    {"n_spearman_acc_chi", 2, C2, 1, "1", "cells in Spearman(accuracy, chi)",
     "number of cells with both values finite"},
    {"n_spearman_acc_edge", 2, C2, 1, "1", "cells in Spearman(accuracy, edge)",
     "number of cells with both values finite"},
};
#undef C4
#undef C3
#undef C2
#define N_DERIVED ((int)(sizeof derived_defs / sizeof *derived_defs))

int store_derived_fields(const store_derived_field **out)
{
    *out = derived_defs;
    return N_DERIVED;
}

int store_fields(const store_field **out)
{
    if (!fields_public[0].name)
        for (int i = 0; i < N_FIELDS; i++)
            fields_public[i] = field_defs[i].f;
    *out = fields_public;
    return N_FIELDS;
}

void store_now_iso(char out[CS_RUN_STR])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, CS_RUN_STR, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- small HDF5 helpers ---- */

/* HDF5 prints its own error stack on failure; our messages say what and where. */
static void quiet_hdf5(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static hid_t vlen_utf8(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    return t;
}

static int put_string_attr(hid_t obj, const char *name, const char *value)
{
    hid_t t = vlen_utf8(), sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a < 0 || H5Awrite(a, t, &value) < 0;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
    return rc;
}

static int put_num_attr(hid_t obj, const char *name, hid_t type, const void *v, hsize_t n)
{
    hid_t sp = n ? H5Screate_simple(1, &n, NULL) : H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, type, sp, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a < 0 || H5Awrite(a, type, v) < 0;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    return rc;
}

char *store_read_string_attr(hid_t obj, const char *name)
{
    if (H5Aexists(obj, name) <= 0)
        return NULL;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0)
        return NULL;
    hid_t ft = H5Aget_type(a);
    char *out = NULL;
    if (H5Tget_class(ft) == H5T_STRING) {
        if (H5Tis_variable_str(ft) > 0) {
            hid_t mt = vlen_utf8();
            char *v = NULL;
            if (H5Aread(a, mt, &v) >= 0 && v) {
                out = strdup(v);
                H5free_memory(v);
            }
            H5Tclose(mt);
        } else {
            /* n bytes in the file (maybe NUL-padded): a NUL-terminated memory type one
             * byte longer keeps all n of them. */
            size_t n = H5Tget_size(ft);
            out = calloc(n + 1, 1);
            hid_t mt = H5Tcopy(H5T_C_S1);
            H5Tset_size(mt, n + 1);
            if (out && H5Aread(a, mt, out) < 0) {
                free(out);
                out = NULL;
            }
            H5Tclose(mt);
        }
    }
    H5Tclose(ft);
    H5Aclose(a);
    return out;
}

static hid_t file_type(store_type t)
{
    switch (t) {
    case STORE_F64: return H5T_IEEE_F64LE;
    case STORE_I64: return H5T_STD_I64LE;
    case STORE_I32: return H5T_STD_I32LE;
    default: return H5T_STD_I8LE;
    }
}

/* netCDF "char": one-byte strings. */
static hid_t char_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, 1);
    H5Tset_strpad(t, H5T_STR_NULLTERM);
    return t;
}

static hid_t runs_mem_type(void)
{
    hid_t s = H5Tcopy(H5T_C_S1);
    H5Tset_size(s, CS_RUN_STR);
    H5Tset_strpad(s, H5T_STR_NULLPAD);
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(store_run));
    H5Tinsert(t, "start", HOFFSET(store_run, start), s);
    H5Tinsert(t, "end", HOFFSET(store_run, end), s);
    H5Tinsert(t, "ranks", HOFFSET(store_run, ranks), H5T_NATIVE_INT32);
    H5Tinsert(t, "tasks_done", HOFFSET(store_run, tasks_done), H5T_NATIVE_INT64);
    H5Tinsert(t, "slurm_job_id", HOFFSET(store_run, slurm_job_id), s);
    H5Tinsert(t, "exit_state", HOFFSET(store_run, exit_state), s);
    H5Tclose(s);
    return t;
}

/* Packed little-endian file layout of the runs compound. */
static hid_t runs_file_type(void)
{
    hid_t s = H5Tcopy(H5T_C_S1);
    H5Tset_size(s, CS_RUN_STR);
    H5Tset_strpad(s, H5T_STR_NULLPAD);
    size_t o = 0;
    hid_t t = H5Tcreate(H5T_COMPOUND, 4 * CS_RUN_STR + 4 + 8);
    H5Tinsert(t, "start", o, s), o += CS_RUN_STR;
    H5Tinsert(t, "end", o, s), o += CS_RUN_STR;
    H5Tinsert(t, "ranks", o, H5T_STD_I32LE), o += 4;
    H5Tinsert(t, "tasks_done", o, H5T_STD_I64LE), o += 8;
    H5Tinsert(t, "slurm_job_id", o, s), o += CS_RUN_STR;
    H5Tinsert(t, "exit_state", o, s);
    H5Tclose(s);
    return t;
}

/* ---- creation ---- */

typedef struct {
    hid_t file;
    const cs_sweep *s;
    hid_t scale_act, scale_width, scale_sb2, scale_sw2, scale_seed, scale_q0;
    hid_t scale_epoch, scale_duration, scale_size_bin, scale_shape_d, scale_profile_x;
    hid_t scale_reason;
    int epochs, depth, n_profile_d;
    const char *path; /* for messages */
} creator;

/* Dataset creation properties: contiguous, allocated and filled at creation, no object
 * times (so identical runs give identical files). */
static hid_t dcpl_contiguous(hid_t type, const void *fill)
{
    hid_t p = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_layout(p, H5D_CONTIGUOUS);
    H5Pset_alloc_time(p, H5D_ALLOC_TIME_EARLY);
    H5Pset_fill_time(p, H5D_FILL_TIME_ALLOC);
    if (fill)
        H5Pset_fill_value(p, type, fill);
    H5Pset_obj_track_times(p, 0);
    return p;
}

static hid_t make_coord(creator *c, const char *name, hid_t ftype, hid_t mtype, hsize_t n,
                        const void *data, const char *units, const char *long_name)
{
    hid_t sp = H5Screate_simple(1, &n, NULL);
    hid_t p = dcpl_contiguous(ftype, NULL);
    hid_t d = H5Dcreate2(c->file, name, ftype, sp, H5P_DEFAULT, p, H5P_DEFAULT);
    H5Pclose(p);
    H5Sclose(sp);
    if (d < 0)
        return -1;
    if ((n && data && H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) ||
        H5DSset_scale(d, name) < 0 || put_string_attr(d, "units", units) ||
        put_string_attr(d, "long_name", long_name)) {
        H5Dclose(d);
        return -1;
    }
    return d;
}

/* The dimension scale of axis a in the creator (-1 until made). */
static hid_t *axis_scale(creator *c, cs_axis_id a)
{
    hid_t *at[CS_AXIS_COUNT] = {[CS_AXIS_ACTIVATION] = &c->scale_act,
                                [CS_AXIS_WIDTH] = &c->scale_width,
                                [CS_AXIS_SIGMA_B2] = &c->scale_sb2,
                                [CS_AXIS_SIGMA_W2] = &c->scale_sw2,
                                [CS_AXIS_SEED] = &c->scale_seed, [CS_AXIS_Q0] = &c->scale_q0};
    return at[a];
}

/* The coordinate of one grid axis, typed as the axis table says. */
static hid_t make_axis_coord(creator *c, cs_axis_id a)
{
    const cs_sweep *s = c->s;
    const cs_axis_def *d = &axis_defs[a];
    int n = axis_count(s, a);
    const void *v = axis_values(s, a);
    if (d->type == CS_AXIS_T_INT)
        return make_coord(c, d->name, H5T_STD_I32LE, H5T_NATIVE_INT, (hsize_t)n, v, d->units,
                          d->long_name);
    if (d->type == CS_AXIS_T_REAL)
        return make_coord(c, d->name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, (hsize_t)n, v,
                          d->units, d->long_name);
    hid_t id = -1;
    if (d->type == CS_AXIS_T_SEED) {
        int64_t *seeds = malloc((size_t)n * sizeof *seeds);
        for (int i = 0; seeds && i < n; i++)
            seeds[i] = (int64_t)((const uint64_t *)v)[i];
        if (seeds)
            id = make_coord(c, d->name, H5T_STD_I64LE, H5T_NATIVE_INT64, (hsize_t)n, seeds,
                            d->units, d->long_name);
        free(seeds);
        return id;
    }
    const char **names = malloc((size_t)n * sizeof *names);
    hid_t vt = vlen_utf8();
    for (int i = 0; names && i < n; i++)
        names[i] = activation_name(((const cs_activation *)v)[i]);
    if (names)
        id = make_coord(c, d->name, vt, vt, (hsize_t)n, names, d->units, d->long_name);
    free(names);
    H5Tclose(vt);
    return id;
}

static int make_scales(creator *c)
{
    const cs_sweep *s = c->s;
    int rc = 0;
    int nmax = c->epochs > c->depth ? c->epochs : c->depth;
    if (nmax < CS_SIZE_BINS + 1)
        nmax = CS_SIZE_BINS + 1;
    if (nmax < c->n_profile_d)
        nmax = c->n_profile_d;
    int32_t *ibuf = malloc((size_t)nmax * sizeof *ibuf);
    double *dbuf = malloc((size_t)(nmax + 1) * sizeof *dbuf);
    if (!ibuf || !dbuf) {
        rc = -1;
        goto done;
    }
    /* the grid axes: the core ones in table order, then the optional ones given */
    for (int pass = 0; pass < 2; pass++)
        for (int a = 0; a < CS_AXIS_COUNT; a++)
            if (axis_defs[a].optional == pass && axis_present(s, (cs_axis_id)a) &&
                (*axis_scale(c, (cs_axis_id)a) = make_axis_coord(c, (cs_axis_id)a)) < 0)
                rc = -1;
    for (int i = 0; i < c->epochs; i++)
        ibuf[i] = i + 1;
    c->scale_epoch = make_coord(c, "epoch", H5T_STD_I32LE, H5T_NATIVE_INT32, (hsize_t)c->epochs,
                                ibuf, "1", "training epoch (1-based)");
    for (int i = 0; i < c->depth; i++)
        ibuf[i] = i;
    c->scale_duration = make_coord(c, "duration", H5T_STD_I32LE, H5T_NATIVE_INT32,
                                   (hsize_t)c->depth, ibuf, "layers", "avalanche duration D");
    /* Geometric bin centres of the size histogram; edges as an attribute. */
    double step = (CS_SIZE_LOG10_MAX - CS_SIZE_LOG10_MIN) / CS_SIZE_BINS;
    double edges[CS_SIZE_BINS + 1];
    for (int i = 0; i <= CS_SIZE_BINS; i++)
        edges[i] = pow(10.0, CS_SIZE_LOG10_MIN + step * i);
    for (int i = 0; i < CS_SIZE_BINS; i++)
        dbuf[i] = pow(10.0, CS_SIZE_LOG10_MIN + step * (i + 0.5));
    c->scale_size_bin = make_coord(c, "size_bin", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                                   CS_SIZE_BINS, dbuf, "1",
                                   "avalanche size S (geometric bin centre)");
    if (c->scale_size_bin >= 0)
        rc |= put_num_attr(c->scale_size_bin, "edges", H5T_NATIVE_DOUBLE, edges, CS_SIZE_BINS + 1);
    for (int i = 0; i < c->n_profile_d; i++)
        ibuf[i] = s->avalanche.shape_dmin + 1 + i;
    c->scale_shape_d = make_coord(c, "shape_duration", H5T_STD_I32LE, H5T_NATIVE_INT32,
                                  (hsize_t)c->n_profile_d, ibuf, "layers",
                                  "duration of the mean shape profiles");
    for (int i = 0; i < CS_PROFILE_POINTS; i++)
        dbuf[i] = (double)i / (CS_PROFILE_POINTS - 1);
    c->scale_profile_x = make_coord(c, "profile_x", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                                    CS_PROFILE_POINTS, dbuf, "1", "l/D along the avalanche");
    /* reason_char: a dimension without a coordinate variable, the way netCDF marks it. */
    {
        hsize_t n = CS_REASON_LEN;
        char label[sizeof NC_DIM_WITHOUT_VARIABLE + 16];
        snprintf(label, sizeof label, "%s%10d", NC_DIM_WITHOUT_VARIABLE, CS_REASON_LEN);
        hid_t sp = H5Screate_simple(1, &n, NULL);
        hid_t p = dcpl_contiguous(H5T_IEEE_F32LE, NULL);
        c->scale_reason = H5Dcreate2(c->file, "reason_char", H5T_IEEE_F32LE, sp, H5P_DEFAULT, p,
                                     H5P_DEFAULT);
        H5Pclose(p);
        H5Sclose(sp);
        if (c->scale_reason < 0 || H5DSset_scale(c->scale_reason, label) < 0)
            rc = -1;
    }
    if (c->scale_epoch < 0 || c->scale_duration < 0 ||
        c->scale_size_bin < 0 || c->scale_shape_d < 0 || c->scale_profile_x < 0)
        rc = -1;
done:
    free(ibuf);
    free(dbuf);
    return rc;
}

/* A per-task dataset: task dims plus up to two trailing ones. */
static int make_task_dataset(creator *c, const char *name, hid_t ftype, const void *fill,
                             const hid_t *trail, const hsize_t *trail_n, int n_trail,
                             const char *units, const char *long_name, const char *desc)
{
    const cs_sweep *s = c->s;
    cs_axis_id axes[CS_AXIS_COUNT];
    int nd_task = axis_dims(s, axes);
    hsize_t dims[CS_AXIS_COUNT + 2];
    hid_t scales[CS_AXIS_COUNT + 2];
    for (int i = 0; i < nd_task; i++) {
        dims[i] = (hsize_t)axis_length(s, axes[i]);
        scales[i] = *axis_scale(c, axes[i]);
    }
    for (int i = 0; i < n_trail; i++) {
        dims[nd_task + i] = trail_n[i];
        scales[nd_task + i] = trail[i];
    }
    int nd = nd_task + n_trail;
    hid_t sp = H5Screate_simple(nd, dims, NULL);
    hid_t p = dcpl_contiguous(ftype, fill);
    hid_t d = H5Dcreate2(c->file, name, ftype, sp, H5P_DEFAULT, p, H5P_DEFAULT);
    H5Pclose(p);
    H5Sclose(sp);
    if (d < 0)
        return -1;
    int rc = 0;
    for (int i = 0; i < nd; i++)
        rc |= H5DSattach_scale(d, scales[i], (unsigned)i) < 0;
    rc |= put_string_attr(d, "units", units);
    rc |= put_string_attr(d, "long_name", long_name);
    rc |= put_string_attr(d, "description", desc);
    H5Dclose(d);
    return rc;
}

/* A per-task text dataset in netCDF's char layout (store.h): one-byte strings over a
 * trailing reason_char dimension, NUL fill, _Encoding utf-8. */
static int make_char_dataset(creator *c, const char *name, const char *long_name,
                             const char *desc)
{
    hid_t ct = char_type();
    hid_t trail = c->scale_reason;
    hsize_t tn = CS_REASON_LEN;
    const char nul = 0;
    int rc = make_task_dataset(c, name, ct, &nul, &trail, &tn, 1, "1", long_name, desc);
    if (!rc) {
        hid_t d = H5Dopen2(c->file, name, H5P_DEFAULT);
        rc = d < 0 || put_string_attr(d, "_Encoding", "utf-8");
        if (d >= 0)
            H5Dclose(d);
    }
    H5Tclose(ct);
    return rc;
}

static int make_task_datasets(creator *c)
{
    const double nan = NAN;
    const int64_t minus1 = -1; /* fill of the integer fields (all int64) */
    for (int i = 0; i < N_FIELDS; i++) {
        const store_field *f = &field_defs[i].f;
        hid_t trail[2];
        hsize_t tn[2];
        int nt = 0;
        switch (f->trailing) {
        case STORE_TR_NONE: break;
        case STORE_TR_EPOCH: trail[0] = c->scale_epoch, tn[0] = (hsize_t)c->epochs, nt = 1; break;
        case STORE_TR_SIZE_BIN: trail[0] = c->scale_size_bin, tn[0] = CS_SIZE_BINS, nt = 1; break;
        case STORE_TR_DURATION: trail[0] = c->scale_duration, tn[0] = (hsize_t)c->depth, nt = 1; break;
        case STORE_TR_SHAPE_D: trail[0] = c->scale_shape_d, tn[0] = (hsize_t)c->n_profile_d, nt = 1; break;
        case STORE_TR_PROFILE:
            trail[0] = c->scale_shape_d, tn[0] = (hsize_t)c->n_profile_d;
            trail[1] = c->scale_profile_x, tn[1] = CS_PROFILE_POINTS, nt = 2;
            break;
        case STORE_TR_CHAR: break; /* make_char_dataset */
        }
        if (f->type == STORE_CHAR) {
            if (make_char_dataset(c, f->name, f->long_name, f->description))
                return -1;
            continue;
        }
        const void *fill = f->type == STORE_F64 ? (const void *)&nan : (const void *)&minus1;
        if (make_task_dataset(c, f->name, file_type(f->type), fill, trail, tn, nt, f->units,
                              f->long_name, f->description))
            return -1;
    }
    const int8_t zero8 = 0;
    const int32_t zero32 = 0;
    if (make_task_dataset(c, "status", H5T_STD_I8LE, &zero8, NULL, NULL, 0, "1", "task status",
                          "0 pending, 1 done, 2 failed, 3 diverged (training blew up; a result)"))
        return -1;
    if (make_task_dataset(c, "attempts", H5T_STD_I32LE, &zero32, NULL, NULL, 0, "1",
                          "attempts started", "times this task was started (written at start)"))
        return -1;
    const uint32_t zero_u32 = 0;
    if (make_task_dataset(c, "checksum", H5T_STD_U32LE, &zero_u32, NULL, NULL, 0, "1",
                          "row checksum",
                          "zlib crc32 of the task's row (task index, every per-task dataset "
                          "in file order, failure_reason, status), written just before status"))
        return -1;
    return make_char_dataset(c, "failure_reason", "failure reason",
                             "why a task failed (NUL-padded UTF-8 characters)");
}

static int make_runs(creator *c)
{
    /* All CS_RUNS_MAX rows exist from the start (unused ones have an empty start), so a
     * run writes into its row and never changes the file's metadata: a full disk or a
     * kill during that write cannot damage anything else. */
    hsize_t n = CS_RUNS_MAX;
    hid_t sp = H5Screate_simple(1, &n, NULL);
    hid_t p = dcpl_contiguous(H5T_STD_I32LE, NULL);
    hid_t run = H5Dcreate2(c->file, "run", H5T_STD_I32LE, sp, H5P_DEFAULT, p, H5P_DEFAULT);
    H5Pclose(p);
    hid_t ft = runs_file_type();
    p = dcpl_contiguous(ft, NULL);
    hid_t runs = H5Dcreate2(c->file, "runs", ft, sp, H5P_DEFAULT, p, H5P_DEFAULT);
    H5Tclose(ft);
    H5Pclose(p);
    H5Sclose(sp);
    int rc = run < 0 || runs < 0;
    if (!rc) {
        int32_t *rows = malloc(CS_RUNS_MAX * sizeof *rows);
        for (int i = 0; rows && i < CS_RUNS_MAX; i++)
            rows[i] = i;
        rc |= !rows || H5Dwrite(run, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows) < 0;
        free(rows);
        rc |= H5DSset_scale(run, "run") < 0;
        rc |= put_string_attr(run, "long_name", "run number (one row per `critsweep run`)");
        rc |= H5DSattach_scale(runs, run, 0) < 0;
        rc |= put_string_attr(runs, "long_name", "runs of this sweep");
        rc |= put_string_attr(runs, "description",
                              "start, end (ISO 8601 UTC; end empty while running or if killed), "
                              "ranks, tasks_done, slurm_job_id, exit_state; rows with an empty "
                              "start are not used yet");
    }
    if (run >= 0)
        H5Dclose(run);
    if (runs >= 0)
        H5Dclose(runs);
    return rc;
}

static hid_t creator_scale(const creator *c, const char *dim, hsize_t *n)
{
    const cs_sweep *s = c->s;
    if (!strcmp(dim, "activation"))
        return *n = (hsize_t)s->n_activation, c->scale_act;
    if (!strcmp(dim, "width"))
        return *n = (hsize_t)s->n_width, c->scale_width;
    if (!strcmp(dim, "sigma_b2"))
        return *n = (hsize_t)s->n_sigma_b2, c->scale_sb2;
    return *n = (hsize_t)s->n_sigma_w2, c->scale_sw2;
}

static int make_derived(creator *c)
{
    const double nan = NAN;
    const int32_t minus1 = -1;
    for (int i = 0; i < N_DERIVED; i++) {
        const store_derived_field *f = &derived_defs[i];
        hsize_t dims[4];
        hid_t scales[4];
        for (int k = 0; k < f->rank; k++)
            scales[k] = creator_scale(c, f->dims[k], &dims[k]);
        hid_t ft = f->is_int ? H5T_STD_I32LE : H5T_IEEE_F64LE;
        hid_t sp = H5Screate_simple(f->rank, dims, NULL);
        hid_t p = dcpl_contiguous(ft, f->is_int ? (const void *)&minus1 : (const void *)&nan);
        hid_t d = H5Dcreate2(c->file, f->name, ft, sp, H5P_DEFAULT, p, H5P_DEFAULT);
        H5Pclose(p);
        H5Sclose(sp);
        if (d < 0)
            return -1;
        int rc = 0;
        for (int k = 0; k < f->rank; k++)
            rc |= H5DSattach_scale(d, scales[k], (unsigned)k) < 0;
        rc |= put_string_attr(d, "units", f->units);
        rc |= put_string_attr(d, "long_name", f->long_name);
        rc |= put_string_attr(d, "description", f->description);
        H5Dclose(d);
        if (rc)
            return -1;
    }
    return 0;
}

/* crc32 over what a reader trusts the coordinates and root attributes for: damage to
 * any of them (a flipped byte in the global heap, a coordinate's data) changes it. */
static uint32_t schema_crc(const char *hash, const char *name, const char *yaml,
                           const char *const *act, int n_act, const int32_t *width, int n_w,
                           const double *sb2, int n_b, const double *sw2, int n_s,
                           const int64_t *seed, int n_seed)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    const char *strs[3] = {hash, name, yaml};
    for (int i = 0; i < 3; i++)
        crc = crc32(crc, (const Bytef *)strs[i], (uInt)strlen(strs[i]) + 1);
    for (int i = 0; i < n_act; i++)
        crc = crc32(crc, (const Bytef *)act[i], (uInt)strlen(act[i]) + 1);
    crc = crc32(crc, (const Bytef *)width, (uInt)n_w * sizeof *width);
    crc = crc32(crc, (const Bytef *)sb2, (uInt)n_b * sizeof *sb2);
    crc = crc32(crc, (const Bytef *)sw2, (uInt)n_s * sizeof *sw2);
    crc = crc32(crc, (const Bytef *)seed, (uInt)n_seed * sizeof *seed);
    return (uint32_t)crc;
}

static int make_root_attrs(creator *c)
{
    const cs_sweep *s = c->s;
    char now[CS_RUN_STR];
    store_now_iso(now);
    int64_t lmax = s->avalanche.depth, ntasks = grid_task_count(s);
    int32_t maxatt = s->output.max_attempts;
    int rc = 0;
    rc |= put_string_attr(c->file, "critsweep_version", CS_VERSION);
    rc |= put_string_attr(c->file, "sweep_yaml", s->yaml_text ? s->yaml_text : "");
    rc |= put_string_attr(c->file, "sweep_hash", s->hash_hex);
    rc |= put_string_attr(c->file, "sweep_name", s->name ? s->name : "");
    rc |= put_string_attr(c->file, "created", now);
    rc |= put_num_attr(c->file, "L_max", H5T_NATIVE_INT64, &lmax, 0);
    if (!axis_present(s, CS_AXIS_Q0)) /* else the q0 coordinate holds it */
        rc |= put_num_attr(c->file, "q0", H5T_NATIVE_DOUBLE, &s->avalanche.q0, 0);
    rc |= put_string_attr(c->file, "convention", convention_name(s->avalanche.convention));
    rc |= put_string_attr(c->file, "mode", mode_name(s->avalanche.mode));
    rc |= put_string_attr(c->file, "engine", engine_name(s->avalanche.engine));
    rc |= put_num_attr(c->file, "n_tasks", H5T_NATIVE_INT64, &ntasks, 0);
    rc |= put_num_attr(c->file, "max_attempts", H5T_NATIVE_INT32, &maxatt, 0);
    const char **act = malloc((size_t)s->n_activation * sizeof *act);
    int32_t *w = malloc((size_t)s->n_width * sizeof *w);
    int64_t *seeds = malloc((size_t)s->n_seed * sizeof *seeds);
    if (!act || !w || !seeds) {
        rc = -1;
    } else {
        for (int i = 0; i < s->n_activation; i++)
            act[i] = activation_name(s->activation[i]);
        for (int i = 0; i < s->n_width; i++)
            w[i] = (int32_t)s->width[i];
        for (int i = 0; i < s->n_seed; i++)
            seeds[i] = (int64_t)s->seeds[i];
        uint32_t crc = schema_crc(s->hash_hex, s->name ? s->name : "",
                                  s->yaml_text ? s->yaml_text : "", act, s->n_activation, w,
                                  s->n_width, s->sigma_b2, s->n_sigma_b2, s->sigma_w2,
                                  s->n_sigma_w2, seeds, s->n_seed);
        rc |= put_num_attr(c->file, "schema_crc32", H5T_NATIVE_UINT32, &crc, 0);
    }
    free(act);
    free(w);
    free(seeds);
    return rc;
}

static void close_scales(creator *c)
{
    hid_t *ids[] = {&c->scale_act, &c->scale_width, &c->scale_sb2, &c->scale_sw2,
                    &c->scale_seed, &c->scale_q0, &c->scale_epoch, &c->scale_duration, &c->scale_size_bin,
                    &c->scale_shape_d, &c->scale_profile_x, &c->scale_reason};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++)
        if (*ids[i] >= 0) {
            H5Dclose(*ids[i]);
            *ids[i] = -1;
        }
}

static int trailing_lengths(const cs_sweep *s, int *epochs, int *depth, int *n_profile_d)
{
    *epochs = s->train.params.epochs;
    *depth = s->avalanche.depth;
    *n_profile_d = avalanche_n_profile_d(s->avalanche.shape_dmin, s->avalanche.shape_dmax);
    return 0;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

/* The creation proper, under the temporary name tmp, in whichever process runs it. */
static int create_file(const char *tmp, const cs_sweep *s, const store_run *first_run,
                       cs_err *err)
{
    creator c;
    memset(&c, 0, sizeof c);
    c.scale_act = c.scale_width = c.scale_sb2 = c.scale_sw2 = c.scale_seed = c.scale_q0 = -1;
    c.scale_epoch = c.scale_duration = c.scale_size_bin = c.scale_shape_d = -1;
    c.scale_profile_x = c.scale_reason = -1;
    c.s = s;
    c.path = tmp;
    trailing_lengths(s, &c.epochs, &c.depth, &c.n_profile_d);

    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_sec2(fapl);
    c.file = H5Fcreate(tmp, H5F_ACC_EXCL, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    if (c.file < 0)
        return cs_fail(err, CS_EXIT_USAGE, "cannot create the results file (HDF5 could not "
                                           "create %s: permissions? read-only or full file "
                                           "system?); choose another path with -o", tmp);
    const char *stage = "coordinates";
    if (make_scales(&c) || (stage = "per-task datasets", make_task_datasets(&c)) ||
        (stage = "runs table", make_runs(&c)) ||
        (stage = "derived datasets", make_derived(&c)) ||
        (stage = "root attributes", make_root_attrs(&c))) {
        close_scales(&c);
        H5Fclose(c.file);
        return cs_fail(err, CS_EXIT_ERROR, "writing the %s failed (disk full?); nothing was "
                                           "left behind", stage);
    }
    close_scales(&c);
    if (H5Fclose(c.file) < 0)
        return cs_fail(err, CS_EXIT_ERROR, "closing the new file failed (disk full?); nothing "
                                           "was left behind");
    if (first_run) {
        long row;
        int rc = store_runs_append(tmp, first_run, &row, err);
        if (rc)
            return rc;
    }
    /* The data must be on disk before the name points at it. */
    int fd = open(tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return cs_fail(err, CS_EXIT_ERROR, "flushing the new file failed: %s", strerror(e));
    }
    close(fd);
    return 0;
}

/* Temporary names are "<path>.partial-create.<host>.<pid>"; one left by a creator on
 * this host that no longer exists (killed mid-creation) is ours to remove. */
static void remove_stale_temporaries(const char *path, const char *host)
{
    char *dir = dir_of(path);
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t n = strlen(base) + strlen(host) + 32;
    char *prefix = malloc(n);
    DIR *d = dir && prefix ? opendir(dir) : NULL;
    if (d) {
        snprintf(prefix, n, "%s.partial-create.%s.", base, host);
        size_t pl = strlen(prefix);
        struct dirent *e;
        while ((e = readdir(d))) {
            long pid;
            if (strncmp(e->d_name, prefix, pl) || cs_parse_long(e->d_name + pl, &pid) || pid <= 0)
                continue;
            if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
                continue;
            size_t m = strlen(dir) + strlen(e->d_name) + 2;
            char *full = malloc(m);
            if (full) {
                snprintf(full, m, "%s/%s", dir, e->d_name);
                unlink(full);
                free(full);
            }
        }
        closedir(d);
    }
    free(prefix);
    free(dir);
}

int store_create(const char *path, const cs_sweep *s, const store_run *first_run, int *lock_fd,
                 cs_err *err)
{
    if (lock_fd)
        *lock_fd = -1;
    quiet_hdf5();
    struct stat st;
    if (stat(path, &st) == 0)
        return cs_fail(err, CS_EXIT_USAGE, "%s: already exists; it will not be replaced", path);
    char *dir = dir_of(path);
    if (!dir)
        return cs_fail(err, CS_EXIT_ERROR, "out of memory");
    if (access(dir, W_OK | X_OK) != 0) {
        cs_fail(err, CS_EXIT_USAGE, "%s: cannot create the results file in %s: %s; choose "
                                    "another path with -o", path, dir, strerror(errno));
        free(dir);
        return CS_EXIT_USAGE;
    }
    free(dir);
    char host[64] = "host";
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = 0;
    for (char *h = host; *h; h++)
        if (*h == '/' || *h == '.')
            *h = '_';
    remove_stale_temporaries(path, host);
    size_t n = strlen(path) + strlen(host) + 48;
    char *tmp = malloc(n);
    if (!tmp)
        return cs_fail(err, CS_EXIT_ERROR, "out of memory");
    snprintf(tmp, n, "%s.partial-create.%s.%ld", path, host, (long)getpid());
    unlink(tmp); /* ours by name: this very process */

    /* The child only runs serial HDF5 and leaves with _exit: no MPI call, no exit-time
     * handler, so a crash of HDF5's clean-up after a failed write stays in the child. */
    int rc = 0, pfd[2] = {-1, -1};
    cs_err child_err = {0, ""};
    fflush(stdout);
    fflush(stderr);
    pid_t pid = pipe2(pfd, O_CLOEXEC) == 0 ? fork() : -1;
    if (pid == 0) {
        close(pfd[0]);
        int crc = create_file(tmp, s, first_run, &child_err);
        if (crc) {
            unlink(tmp);
            ssize_t w = write(pfd[1], &child_err, sizeof child_err);
            (void)w;
        }
        _exit(crc);
    } else if (pid < 0) {
        /* No fork (or no pipe): create in this process. */
        if (pfd[0] >= 0) {
            close(pfd[0]);
            close(pfd[1]);
        }
        rc = create_file(tmp, s, first_run, &child_err);
    } else {
        close(pfd[1]);
        size_t got = 0;
        while (got < sizeof child_err) {
            ssize_t r = read(pfd[0], (char *)&child_err + got, sizeof child_err - got);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            got += (size_t)r;
        }
        close(pfd[0]);
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        if (WIFSIGNALED(status))
            cs_fail(&child_err, CS_EXIT_ERROR, "creating the file crashed (signal %d; disk "
                                               "full?); nothing was left behind",
                    WTERMSIG(status));
        else if (WEXITSTATUS(status) != 0 && got < sizeof child_err)
            cs_fail(&child_err, WEXITSTATUS(status), "creating the file failed (exit %d)",
                    WEXITSTATUS(status));
        rc = WIFSIGNALED(status) ? CS_EXIT_ERROR : WEXITSTATUS(status);
    }
    if (rc) {
        unlink(tmp);
        cs_fail(err, rc, "%s: %s", path, child_err.msg);
        free(tmp);
        return rc;
    }
    /* The lock first, on the new inode: whoever finds the file under its real name finds
     * it locked until this run ends. */
    int fd = -1;
    if (lock_fd && (rc = store_lock(tmp, &fd, err))) {
        unlink(tmp);
        free(tmp);
        return rc;
    }
    /* link() refuses to replace an existing name, unlike rename(): of two runs creating
     * the same file, exactly one wins. */
    if (link(tmp, path) != 0) {
        int e = errno;
        if (e == EEXIST)
            rc = cs_fail(err, CS_EXIT_USAGE, "%s: another critsweep run is creating/writing "
                                             "this file (it appeared while this run created "
                                             "it); not replaced", path);
        else if (rename(tmp, path) != 0) /* file systems without hard links */
            rc = cs_fail(err, CS_EXIT_USAGE, "%s: cannot move %s into place: %s", path, tmp,
                         strerror(e));
    }
    unlink(tmp);
    free(tmp);
    if (rc && fd >= 0)
        close(fd);
    else if (lock_fd)
        *lock_fd = fd;
    return rc;
}

/* ---- the writer's lock ---- */

static void lock_byte(struct flock *fl, short type)
{
    memset(fl, 0, sizeof *fl);
    fl->l_type = type;
    fl->l_whence = SEEK_SET;
    /* One byte far beyond the data: MPI-IO implementations lock the ranges they write
     * (ROMIO does on NFS), and must never wait for this lock. */
    fl->l_start = (off_t)1 << 62;
    fl->l_len = 1;
}

int store_lock(const char *path, int *fd_out, cs_err *err)
{
    /* Open-file-description locks are independent of the flock() locks HDF5 takes, so
     * readers are not blocked, and unlike classic POSIX locks they survive HDF5 opening
     * and closing the file in this process. */
    *fd_out = -1;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return cs_fail(err, CS_EXIT_USAGE, "%s: cannot open for writing: %s", path,
                       strerror(errno));
    struct flock fl;
    lock_byte(&fl, F_WRLCK);
    if (fcntl(fd, F_OFD_SETLK, &fl) != 0) {
        int e = errno;
        close(fd);
        if (e == EAGAIN || e == EACCES)
            return cs_fail(err, CS_EXIT_USAGE, "%s: another critsweep run is creating/writing "
                                               "this file; wait for it to finish or stop it",
                           path);
        fprintf(stderr, "critsweep: warning: %s: cannot lock (%s); make sure no other run "
                        "writes this file\n", path, strerror(e));
        return 0;
    }
    *fd_out = fd;
    return 0;
}

int store_lock_held(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct flock fl;
    lock_byte(&fl, F_WRLCK);
    int held = fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
    close(fd);
    return held;
}

/* ---- checking and reading ---- */

hid_t store_open_read(const char *path, cs_err *err)
{
    quiet_hdf5();
    struct stat st;
    if (stat(path, &st) != 0) {
        cs_fail(err, CS_EXIT_USAGE, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (H5Fis_hdf5(path) <= 0) {
        cs_fail(err, CS_EXIT_USAGE, "%s: not an HDF5 file (a critsweep results file is HDF5)",
                path);
        return -1;
    }
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_sec2(fapl);
    /* A run holding the file open must not block readers. */
    H5Pset_file_locking(fapl, 0, 1);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    if (f < 0)
        cs_fail(err, CS_EXIT_USAGE, "%s: cannot open as HDF5 (damaged or truncated?)", path);
    return f;
}

/* ---- integrity ---- */

static int read_whole(hid_t f, const char *name, hid_t mtype, void *buf, long n,
                      const char *path, cs_err *err);

void store_integrity_free(store_integrity *g)
{
    free(g->damaged);
    memset(g, 0, sizeof *g);
}

void store_task_label(const cs_sweep *s, long task, char *buf, size_t n)
{
    grid_index g;
    grid_coords(s, task, &g);
    snprintf(buf, n, "task %ld (%s, N=%d, sigma_b2=%g, sigma_w2=%g, seed %ld)", task,
             activation_name(s->activation[g.activation]), s->width[g.width],
             s->sigma_b2[g.sigma_b2], s->sigma_w2[g.sigma_w2], (long)s->seeds[g.seed]);
}

/* Checks one dataset's shape against the task axes (first nd_task dims), its type
 * class and size, and that its data lies inside the file.  Returns a static
 * description of what is wrong, NULL if nothing. */
static const char *check_dataset(hid_t f, const char *name, const hsize_t *axes, int nd_task,
                                 int min_rank, int max_rank, H5T_class_t cls, size_t tsize,
                                 off_t fsize, int strict, hssize_t *npoints)
{
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0)
        return "missing or unreadable";
    const char *why = NULL;
    hid_t sp = H5Dget_space(d), t = H5Dget_type(d);
    hsize_t dims[8];
    int nd = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    if (sp < 0 || t < 0 || nd < min_rank || nd > max_rank || nd > 8)
        why = "has the wrong rank";
    else {
        H5Sget_simple_extent_dims(sp, dims, NULL);
        for (int k = 0; k < nd_task && !why; k++)
            if (dims[k] != axes[k])
                why = "does not match the coordinates' lengths";
        if (!why && (H5Tget_class(t) != cls || H5Tget_size(t) != tsize))
            why = "has the wrong type";
    }
    if (!why) {
        /* critsweep allocates every dataset whole at creation (strict); a file made by
         * other tools may leave some unallocated (they read as fill) or chunked. */
        hssize_t np = H5Sget_simple_extent_npoints(sp);
        hsize_t want = (hsize_t)np * tsize, have = H5Dget_storage_size(d);
        haddr_t off = H5Dget_offset(d);
        hid_t dcpl = H5Dget_create_plist(d);
        int contiguous = dcpl >= 0 && H5Pget_layout(dcpl) == H5D_CONTIGUOUS;
        if (dcpl >= 0)
            H5Pclose(dcpl);
        if (np < 0 || (strict && (!contiguous || have != want)) || (contiguous && have && have != want))
            why = "does not have its space allocated";
        else if (contiguous && have && (off == HADDR_UNDEF || off + want > (haddr_t)fsize))
            why = "points outside the file";
        if (npoints)
            *npoints = np;
    }
    if (t >= 0)
        H5Tclose(t);
    if (sp >= 0)
        H5Sclose(sp);
    H5Dclose(d);
    return why;
}

/* Reads a 1-D coordinate of n elements (n from the file) into a malloc'd buffer. */
static void *read_coord(hid_t f, const char *name, hid_t mt, size_t elem, int *n)
{
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0)
        return NULL;
    hid_t sp = H5Dget_space(d);
    hssize_t m = sp >= 0 && H5Sget_simple_extent_ndims(sp) == 1 ? H5Sget_simple_extent_npoints(sp) : -1;
    if (sp >= 0)
        H5Sclose(sp);
    void *buf = m >= 1 && m < (1 << 24) ? calloc((size_t)m, elem) : NULL;
    if (buf && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        free(buf);
        buf = NULL;
    }
    H5Dclose(d);
    *n = buf ? (int)m : 0;
    return buf;
}

/* The structural checks, run under the deadline.  0 or CS_EXIT_USAGE. */
static int validate_structure(hid_t f, const char *path, off_t fsize, store_integrity *g,
                              int *has_checksums, cs_err *err)
{
#define DAMAGED(...) cs_fail(err, CS_EXIT_USAGE, __VA_ARGS__)
    char *hash = store_read_string_attr(f, "sweep_hash");
    char *name = store_read_string_attr(f, "sweep_name");
    char *yaml = store_read_string_attr(f, "sweep_yaml");
    int rc = 0, n[5] = {0};
    char **act = NULL;
    int32_t *width = NULL;
    double *sb2 = NULL, *sw2 = NULL;
    int64_t *seed = NULL;
    if (!hash || H5Lexists(f, "status", H5P_DEFAULT) <= 0) {
        rc = DAMAGED("%s: not a critsweep results file (no sweep_hash or status; damaged?); "
                     "nothing was changed", path);
        goto out;
    }
    if (strlen(hash) != 16 || strspn(hash, "0123456789abcdef") != 16) {
        rc = DAMAGED("%s is damaged: its sweep_hash attribute is not a hash; nothing was "
                     "changed", path);
        goto out;
    }
    /* activation: variable-length strings (the global heap) */
    {
        hid_t vt = vlen_utf8();
        char **tmp = read_coord(f, "activation", vt, sizeof(char *), &n[0]);
        if (tmp) {
            act = calloc((size_t)n[0], sizeof *act);
            for (int i = 0; i < n[0]; i++) {
                if (act)
                    act[i] = strdup(tmp[i] ? tmp[i] : "");
                if (tmp[i])
                    H5free_memory(tmp[i]);
            }
            free(tmp);
        }
        H5Tclose(vt);
    }
    width = read_coord(f, "width", H5T_NATIVE_INT32, sizeof *width, &n[1]);
    sb2 = read_coord(f, "sigma_b2", H5T_NATIVE_DOUBLE, sizeof *sb2, &n[2]);
    sw2 = read_coord(f, "sigma_w2", H5T_NATIVE_DOUBLE, sizeof *sw2, &n[3]);
    seed = read_coord(f, "seed", H5T_NATIVE_INT64, sizeof *seed, &n[4]);
    static const char *const axis[5] = {"activation", "width", "sigma_b2", "sigma_w2", "seed"};
    for (int k = 0; k < 5 && !rc; k++)
        if (!n[k] || (k == 0 && !act))
            rc = DAMAGED("%s is damaged: its coordinate '%s' cannot be read; nothing was "
                         "changed", path, axis[k]);
    if (rc)
        goto out;
    long n_tasks = (long)n[0] * n[1] * n[2] * n[3] * n[4];
    g->n_tasks = n_tasks;
    int64_t nt_attr = -1;
    if (H5Aexists(f, "n_tasks") > 0) {
        hid_t a = H5Aopen(f, "n_tasks", H5P_DEFAULT);
        if (a < 0 || H5Aread(a, H5T_NATIVE_INT64, &nt_attr) < 0)
            nt_attr = -2;
        if (a >= 0)
            H5Aclose(a);
        if (nt_attr != n_tasks) {
            rc = DAMAGED("%s is damaged: %ld tasks by its coordinates, %lld by its n_tasks "
                         "attribute; nothing was changed", path, n_tasks, (long long)nt_attr);
            goto out;
        }
    }
    if (H5Aexists(f, "schema_crc32") > 0) {
        uint32_t want = 0;
        hid_t a = H5Aopen(f, "schema_crc32", H5P_DEFAULT);
        int ok = a >= 0 && H5Aread(a, H5T_NATIVE_UINT32, &want) >= 0;
        if (a >= 0)
            H5Aclose(a);
        uint32_t have = schema_crc(hash, name ? name : "", yaml ? yaml : "",
                                   (const char *const *)act, n[0], width, n[1], sb2, n[2], sw2,
                                   n[3], seed, n[4]);
        if (!ok || have != want) {
            rc = DAMAGED("%s is damaged: its coordinates or root attributes (sweep hash, "
                         "name, YAML text) do not match their checksum; nothing was changed",
                         path);
            goto out;
        }
    }
    hsize_t axes[5];
    for (int k = 0; k < 5; k++)
        axes[k] = (hsize_t)n[k];
    const int strict = H5Aexists(f, "schema_crc32") > 0; /* made by critsweep 0.2.0 on */
    const char *why;
    for (int i = 0; i < N_FIELDS && !rc; i++) {
        const store_field *fl = &field_defs[i].f;
        int tr = fl->trailing == STORE_TR_NONE ? 0 : fl->trailing == STORE_TR_PROFILE ? 2 : 1;
        size_t ts = fl->type == STORE_F64 || fl->type == STORE_I64 ? 8 : fl->type == STORE_I32 ? 4 : 1;
        H5T_class_t cls = fl->type == STORE_F64 ? H5T_FLOAT
                        : fl->type == STORE_CHAR ? H5T_STRING : H5T_INTEGER;
        if (H5Lexists(f, fl->name, H5P_DEFAULT) <= 0 && H5Aexists(f, "schema_crc32") <= 0)
            continue; /* a field newer than a 0.1.0 file */
        if ((why = check_dataset(f, fl->name, axes, 5, 5 + tr, 5 + tr, cls, ts, fsize, strict, NULL)))
            rc = DAMAGED("%s is damaged: dataset '%s' %s; nothing was changed", path, fl->name, why);
    }
    if (!rc && (why = check_dataset(f, "status", axes, 5, 5, 5, H5T_INTEGER, 1, fsize, strict, NULL)))
        rc = DAMAGED("%s is damaged: dataset 'status' %s; nothing was changed", path, why);
    if (!rc && (why = check_dataset(f, "attempts", axes, 5, 5, 5, H5T_INTEGER, 4, fsize, strict, NULL)))
        rc = DAMAGED("%s is damaged: dataset 'attempts' %s; nothing was changed", path, why);
    if (!rc && (why = check_dataset(f, "failure_reason", axes, 5, 6, 6, H5T_STRING, 1, fsize, strict, NULL)))
        rc = DAMAGED("%s is damaged: dataset 'failure_reason' %s; nothing was changed", path, why);
    *has_checksums = H5Lexists(f, "checksum", H5P_DEFAULT) > 0;
    if (!rc && H5Aexists(f, "schema_crc32") > 0 && !*has_checksums)
        rc = DAMAGED("%s is damaged: dataset 'checksum' is missing; nothing was changed", path);
    if (!rc && *has_checksums &&
        (why = check_dataset(f, "checksum", axes, 5, 5, 5, H5T_INTEGER, 4, fsize, strict, NULL)))
        rc = DAMAGED("%s is damaged: dataset 'checksum' %s; nothing was changed", path, why);
    /* Derived datasets: reserved in files since 0.2.0, written later by 0.1.0's phase. */
    for (int i = 0; i < N_DERIVED && !rc; i++) {
        const store_derived_field *df = &derived_defs[i];
        if (H5Lexists(f, df->name, H5P_DEFAULT) <= 0) {
            if (H5Aexists(f, "schema_crc32") > 0)
                rc = DAMAGED("%s is damaged: derived dataset '%s' is missing; nothing was "
                             "changed", path, df->name);
            continue;
        }
        hsize_t dax[4];
        for (int k = 0; k < df->rank; k++)
            for (int a = 0; a < 5; a++)
                if (!strcmp(df->dims[k], axis[a]))
                    dax[k] = axes[a];
        if ((why = check_dataset(f, df->name, dax, df->rank, df->rank, df->rank,
                                 df->is_int ? H5T_INTEGER : H5T_FLOAT, df->is_int ? 4 : 8,
                                 fsize, strict, NULL)))
            rc = DAMAGED("%s is damaged: derived dataset '%s' %s; nothing was changed", path,
                         df->name, why);
    }
    if (!rc) {
        store_run *rows = NULL;
        long nr = 0;
        cs_err e2 = {0, ""};
        if (store_read_runs(f, &rows, &nr, &e2))
            rc = DAMAGED("%s is damaged: its runs table cannot be read; nothing was changed",
                         path);
        free(rows);
    }
out:
    if (act)
        for (int i = 0; i < n[0]; i++)
            free(act[i]);
    free(act);
    free(width);
    free(sb2);
    free(sw2);
    free(seed);
    free(hash);
    free(name);
    free(yaml);
    return rc;
#undef DAMAGED
}

/* Recomputes every finished row's checksum (store_write_result's order) and marks the
 * rows that do not match.  One dataset in memory at a time. */
static int verify_rows(hid_t f, const char *path, const int8_t *status, uint32_t *crc,
                       long n_tasks, cs_err *err)
{
    for (long t = 0; t < n_tasks; t++)
        crc[t] = store_row_crc_begin(t);
    for (int i = 0; i < N_FIELDS; i++) {
        const store_field *fl = &field_defs[i].f;
        hid_t d = H5Dopen2(f, fl->name, H5P_DEFAULT);
        if (d < 0)
            continue; /* absent in an older file: then there are no checksums either */
        hid_t sp = H5Dget_space(d);
        hssize_t np = H5Sget_simple_extent_npoints(sp);
        H5Sclose(sp);
        /* Bytes per value as the writer hashed them: float64 / int64, or text bytes. */
        size_t per = (size_t)(np / n_tasks), vb = fl->type == STORE_CHAR ? 1 : 8;
        void *buf = malloc((size_t)np * vb + 8);
        hid_t mt = fl->type == STORE_CHAR ? char_type()
                 : H5Tcopy(fl->type == STORE_F64 ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT64);
        int bad = !buf || H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0;
        H5Tclose(mt);
        H5Dclose(d);
        if (bad) {
            free(buf);
            return cs_fail(err, CS_EXIT_USAGE, "%s is damaged: dataset '%s' cannot be read; "
                                               "nothing was changed", path, fl->name);
        }
        for (long t = 0; t < n_tasks; t++)
            crc[t] = store_row_crc_add(crc[t], (const char *)buf + (size_t)t * per * vb, per * vb);
        free(buf);
    }
    char *reason = malloc((size_t)n_tasks * CS_REASON_LEN);
    hid_t d = H5Dopen2(f, "failure_reason", H5P_DEFAULT);
    hid_t ct = char_type();
    int bad = !reason || d < 0 || H5Dread(d, ct, H5S_ALL, H5S_ALL, H5P_DEFAULT, reason) < 0;
    H5Tclose(ct);
    if (d >= 0)
        H5Dclose(d);
    if (!bad)
        for (long t = 0; t < n_tasks; t++) {
            crc[t] = store_row_crc_add(crc[t], reason + (size_t)t * CS_REASON_LEN, CS_REASON_LEN);
            crc[t] = store_row_crc_add(crc[t], &status[t], 1);
        }
    free(reason);
    if (bad)
        return cs_fail(err, CS_EXIT_USAGE, "%s is damaged: dataset 'failure_reason' cannot be "
                                           "read; nothing was changed", path);
    return 0;
}

int store_validate(const char *path, int verify, store_integrity *g, cs_err *err)
{
    store_integrity local;
    if (!g)
        g = &local;
    memset(g, 0, sizeof *g);
    quiet_hdf5();
    struct stat st;
    if (stat(path, &st) != 0)
        return cs_fail(err, CS_EXIT_USAGE, "%s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return cs_fail(err, CS_EXIT_USAGE, "%s: not a regular file (a critsweep results file "
                                           "is an HDF5 file)", path);
    double limit = cs_open_timeout();
    char msg[1200];
    snprintf(msg, sizeof msg, "%s is damaged: reading its structure did not finish within "
                              "%g s (HDF5 loops inside damaged metadata); nothing was changed "
                              "(CRITSWEEP_OPEN_TIMEOUT sets the limit)", path, limit);
    cs_watchdog_arm(limit, msg);
    if (H5Fis_hdf5(path) <= 0) {
        cs_watchdog_disarm();
        return cs_fail(err, CS_EXIT_USAGE, "%s: not an HDF5 file (a critsweep results file is "
                                           "HDF5; damaged?)", path);
    }
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_sec2(fapl);
    H5Pset_file_locking(fapl, 0, 1);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    if (f < 0) {
        cs_watchdog_disarm();
        return cs_fail(err, CS_EXIT_USAGE, "%s: HDF5 cannot open it (damaged or truncated?); "
                                           "nothing was changed", path);
    }
    int has_ck = 0;
    int rc = validate_structure(f, path, st.st_size, g, &has_ck, err);
    cs_watchdog_disarm();
    g->has_checksums = has_ck;
    long n = g->n_tasks;
    int8_t *status = NULL;
    uint32_t *want = NULL, *have = NULL;
    if (!rc) {
        status = malloc((size_t)n);
        if (!status)
            rc = cs_fail(err, CS_EXIT_ERROR, "out of memory for %ld tasks", n);
        else if (read_whole(f, "status", H5T_NATIVE_INT8, status, n, path, err))
            rc = cs_fail(err, CS_EXIT_USAGE, "%s is damaged: its status cannot be read; "
                                             "nothing was changed", path);
    }
    if (!rc)
        for (long t = 0; t < n; t++)
            if (status[t] < CS_STATUS_PENDING || status[t] > CS_STATUS_DIVERGED) {
                if (!g->damaged && !(g->damaged = calloc((size_t)n, 1))) {
                    rc = cs_fail(err, CS_EXIT_ERROR, "out of memory");
                    break;
                }
                g->damaged[t] = 1;
                g->n_bad_status++;
            }
    if (!rc && verify && has_ck) {
        want = malloc((size_t)n * sizeof *want);
        have = malloc((size_t)n * sizeof *have);
        if (!want || !have)
            rc = cs_fail(err, CS_EXIT_ERROR, "out of memory");
        else if (read_whole(f, "checksum", H5T_NATIVE_UINT32, want, n, path, err) ||
                 verify_rows(f, path, status, have, n, err))
            rc = err && err->code ? err->code : CS_EXIT_USAGE;
        for (long t = 0; !rc && t < n; t++) {
            if (status[t] == CS_STATUS_PENDING || (g->damaged && g->damaged[t]) ||
                want[t] == have[t])
                continue;
            if (!g->damaged && !(g->damaged = calloc((size_t)n, 1))) {
                rc = cs_fail(err, CS_EXIT_ERROR, "out of memory");
                break;
            }
            g->damaged[t] = 1;
            g->n_bad_checksum++;
        }
        g->rows_verified = !rc;
    }
    free(status);
    free(want);
    free(have);
    H5Fclose(f);
    if (g == &local)
        store_integrity_free(g);
    return rc;
}

/* Axis a's coordinate in the file holds exactly the sweep's values. */
static int coord_matches(hid_t f, const cs_sweep *s, cs_axis_id a)
{
    const cs_axis_def *d = &axis_defs[a];
    const void *v = axis_values(s, a);
    int n = 0, ok = 0;
    if (d->type == CS_AXIS_T_ACTIVATION) {
        hid_t vt = vlen_utf8();
        char **act = read_coord(f, d->name, vt, sizeof(char *), &n);
        H5Tclose(vt);
        ok = act && n == axis_count(s, a);
        for (int i = 0; ok && i < n; i++)
            ok = act[i] && !strcmp(act[i], activation_name(((const cs_activation *)v)[i]));
        for (int i = 0; act && i < n; i++)
            H5free_memory(act[i]);
        free(act);
    } else if (d->type == CS_AXIS_T_INT) {
        int32_t *w = read_coord(f, d->name, H5T_NATIVE_INT32, sizeof *w, &n);
        ok = w && n == axis_count(s, a);
        for (int i = 0; ok && i < n; i++)
            ok = w[i] == ((const int *)v)[i];
        free(w);
    } else if (d->type == CS_AXIS_T_SEED) {
        int64_t *k = read_coord(f, d->name, H5T_NATIVE_INT64, sizeof *k, &n);
        ok = k && n == axis_count(s, a);
        for (int i = 0; ok && i < n; i++)
            ok = k[i] == (int64_t)((const uint64_t *)v)[i];
        free(k);
    } else {
        double *x = read_coord(f, d->name, H5T_NATIVE_DOUBLE, sizeof *x, &n);
        ok = x && n == axis_count(s, a);
        for (int i = 0; ok && i < n; i++)
            ok = x[i] == ((const double *)v)[i];
        free(x);
    }
    return ok;
}

/* The file's coordinates are exactly the sweep's grid (the hash says they should be;
 * a difference is damage). */
static int check_coords(hid_t f, const char *path, const cs_sweep *s, cs_err *err)
{
    cs_axis_id axes[CS_AXIS_COUNT];
    int nd = axis_dims(s, axes), ok = 1;
    for (int k = 0; k < nd && ok; k++)
        ok = coord_matches(f, s, axes[k]);
    if (!ok)
        return cs_fail(err, CS_EXIT_USAGE, "%s is damaged: its coordinates differ from this "
                                           "sweep's grid although the hashes match; nothing was "
                                           "changed (use --fresh to start over)", path);
    return 0;
}

int store_check(const char *path, const cs_sweep *s, cs_err *err)
{
    hid_t f = store_open_read(path, err);
    if (f < 0)
        return err ? err->code : CS_EXIT_USAGE;
    int rc = 0;
    char *hash = store_read_string_attr(f, "sweep_hash");
    if (!hash || H5Lexists(f, "status", H5P_DEFAULT) <= 0) {
        rc = cs_fail(err, CS_EXIT_USAGE, "%s: not a critsweep results file (no sweep_hash or "
                                         "status); choose another output with -o", path);
    } else if (strcmp(hash, s->hash_hex) != 0) {
        rc = cs_fail(err, CS_EXIT_USAGE,
                     "%s was written by a different sweep (file hash %s, this sweep %s); "
                     "use --fresh to move it aside and start over, or -o to write elsewhere",
                     path, hash, s->hash_hex);
    } else {
        /* Same hash means same grid; check the shape anyway, cheaply. */
        hid_t d = H5Dopen2(f, "status", H5P_DEFAULT);
        hid_t sp = d >= 0 ? H5Dget_space(d) : -1;
        hsize_t dims[8] = {0};
        int nd = sp >= 0 ? H5Sget_simple_extent_dims(sp, dims, NULL) : -1;
        cs_axis_id axes[CS_AXIS_COUNT];
        int nd_task = axis_dims(s, axes), same = nd == nd_task;
        for (int k = 0; same && k < nd_task; k++)
            same = dims[k] == (hsize_t)axis_length(s, axes[k]);
        if (!same)
            rc = cs_fail(err, CS_EXIT_USAGE, "%s: status has a different shape than this sweep's "
                                             "grid although the hashes match; use --fresh or -o",
                         path);
        if (sp >= 0)
            H5Sclose(sp);
        if (d >= 0)
            H5Dclose(d);
        if (!rc)
            rc = check_coords(f, path, s, err);
    }
    free(hash);
    H5Fclose(f);
    return rc;
}

static int read_whole(hid_t f, const char *name, hid_t mtype, void *buf, long n, const char *path,
                      cs_err *err)
{
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0)
        return cs_fail(err, CS_EXIT_USAGE, "%s: no dataset %s", path, name);
    hid_t sp = H5Dget_space(d);
    hssize_t npts = H5Sget_simple_extent_npoints(sp);
    H5Sclose(sp);
    int rc = 0;
    if (npts != n)
        rc = cs_fail(err, CS_EXIT_USAGE, "%s: %s has %lld elements, expected %ld", path, name,
                     (long long)npts, n);
    else if (H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        rc = cs_fail(err, CS_EXIT_ERROR, "%s: reading %s failed", path, name);
    H5Dclose(d);
    return rc;
}

int store_read_progress(const char *path, long n_tasks, int8_t *status, int32_t *attempts,
                        cs_err *err)
{
    hid_t f = store_open_read(path, err);
    if (f < 0)
        return err ? err->code : CS_EXIT_USAGE;
    int rc = 0;
    if (status)
        rc = read_whole(f, "status", H5T_NATIVE_INT8, status, n_tasks, path, err);
    if (!rc && attempts)
        rc = read_whole(f, "attempts", H5T_NATIVE_INT32, attempts, n_tasks, path, err);
    H5Fclose(f);
    return rc;
}

int store_read_runs(hid_t file, store_run **rows, long *n, cs_err *err)
{
    *rows = NULL;
    *n = 0;
    if (H5Lexists(file, "runs", H5P_DEFAULT) <= 0)
        return 0;
    hid_t d = H5Dopen2(file, "runs", H5P_DEFAULT);
    if (d < 0)
        return cs_fail(err, CS_EXIT_ERROR, "cannot open the runs table");
    hid_t sp = H5Dget_space(d);
    hssize_t m = H5Sget_simple_extent_npoints(sp);
    H5Sclose(sp);
    int rc = 0;
    if (m > 0) {
        *rows = calloc((size_t)m, sizeof **rows);
        hid_t mt = runs_mem_type();
        if (!*rows || H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, *rows) < 0) {
            free(*rows);
            *rows = NULL;
            rc = cs_fail(err, CS_EXIT_ERROR, "reading the runs table failed");
        } else {
            long k = 0;
            for (long i = 0; i < m; i++) {
                store_run *x = &(*rows)[i];
                /* NULLPAD fields: make sure they terminate */
                x->start[CS_RUN_STR - 1] = x->end[CS_RUN_STR - 1] = 0;
                x->slurm_job_id[CS_RUN_STR - 1] = x->exit_state[CS_RUN_STR - 1] = 0;
                if (x->start[0]) /* an unused row of a table allocated whole */
                    (*rows)[k++] = *x;
            }
            *n = k;
        }
        H5Tclose(mt);
    }
    H5Dclose(d);
    return rc;
}

static hid_t open_rdwr_serial(const char *path, cs_err *err)
{
    quiet_hdf5();
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_sec2(fapl);
    H5Pset_file_locking(fapl, 0, 1); /* `run` holds its own lock on the file */
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, fapl);
    H5Pclose(fapl);
    if (f < 0)
        cs_fail(err, CS_EXIT_USAGE, "%s: cannot open for writing (permissions? damaged?)", path);
    return f;
}

static int write_run_row(hid_t runs, hid_t run, long row, const store_run *r, int extend)
{
    hsize_t n = (hsize_t)row + 1, start = (hsize_t)row, one = 1;
    int rc = 0;
    if (extend) {
        rc |= H5Dset_extent(runs, &n) < 0;
        rc |= H5Dset_extent(run, &n) < 0;
        int32_t v = (int32_t)row;
        hid_t fs = H5Dget_space(run), ms = H5Screate_simple(1, &one, NULL);
        H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &one, NULL);
        rc |= H5Dwrite(run, H5T_NATIVE_INT32, ms, fs, H5P_DEFAULT, &v) < 0;
        H5Sclose(fs);
        H5Sclose(ms);
    }
    store_run copy = *r; /* zero-padded fields for a deterministic file */
    hid_t mt = runs_mem_type();
    hid_t fs = H5Dget_space(runs), ms = H5Screate_simple(1, &one, NULL);
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &one, NULL);
    rc |= H5Dwrite(runs, mt, ms, fs, H5P_DEFAULT, &copy) < 0;
    H5Sclose(fs);
    H5Sclose(ms);
    H5Tclose(mt);
    return rc;
}

static int runs_write(const char *path, long *row, const store_run *r, int append, cs_err *err)
{
    hid_t f = open_rdwr_serial(path, err);
    if (f < 0)
        return err ? err->code : CS_EXIT_USAGE;
    hid_t runs = H5Dopen2(f, "runs", H5P_DEFAULT), run = H5Dopen2(f, "run", H5P_DEFAULT);
    int rc = 0;
    if (runs < 0 || run < 0) {
        rc = cs_fail(err, CS_EXIT_USAGE, "%s: no runs table (not a critsweep results file?)", path);
    } else {
        hid_t sp = H5Dget_space(runs);
        hsize_t m = 0, maxm = 0;
        H5Sget_simple_extent_dims(sp, &m, &maxm);
        H5Sclose(sp);
        /* critsweep 0.1.0 made the table extensible: there a run appends a row. */
        int extensible = maxm == H5S_UNLIMITED;
        if (append && extensible) {
            *row = (long)m;
        } else if (append) {
            store_run *rows = calloc(m ? m : 1, sizeof *rows);
            hid_t mt = runs_mem_type();
            if (!rows || H5Dread(runs, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows) < 0)
                rc = cs_fail(err, CS_EXIT_ERROR, "%s: reading the runs table failed", path);
            H5Tclose(mt);
            *row = -1;
            for (hsize_t i = 0; !rc && i < m; i++)
                if (!rows[i].start[0]) {
                    *row = (long)i;
                    break;
                }
            free(rows);
        } else if (*row < 0 || *row >= (long)m) {
            rc = cs_fail(err, CS_EXIT_ERROR, "%s: runs row %ld does not exist", path, *row);
        }
        if (!rc && *row >= 0 && write_run_row(runs, run, *row, r, append && extensible))
            rc = cs_fail(err, CS_EXIT_ERROR, "%s: writing the runs table failed (disk full?)",
                         path);
    }
    if (runs >= 0)
        H5Dclose(runs);
    if (run >= 0)
        H5Dclose(run);
    if (H5Fclose(f) < 0 && !rc)
        rc = cs_fail(err, CS_EXIT_ERROR, "%s: closing after the runs-table update failed", path);
    return rc;
}

int store_runs_append(const char *path, const store_run *run, long *row, cs_err *err)
{
    return runs_write(path, row, run, 1, err);
}

int store_runs_update(const char *path, long row, const store_run *run, cs_err *err)
{
    return runs_write(path, &row, run, 0, err);
}

/* ---- writing task rows ---- */

void store_writer_init(store_writer *w)
{
    memset(w, 0, sizeof *w);
    w->file = w->status = w->attempts = w->reason = w->checksum = -1;
    w->status_space = w->attempts_space = w->reason_space = w->checksum_space = -1;
}

static hid_t open_ds(store_writer *w, const char *name, hid_t *space, cs_err *err)
{
    hid_t d = H5Dopen2(w->file, name, H5P_DEFAULT);
    if (d < 0) {
        cs_fail(err, CS_EXIT_USAGE, "%s: dataset %s missing (file from another critsweep "
                                    "version?)", w->path, name);
        return -1;
    }
    *space = H5Dget_space(d);
    return d;
}

int store_writer_open(store_writer *w, const char *path, const cs_sweep *s, MPI_Comm comm,
                      cs_err *err)
{
    quiet_hdf5();
    store_writer_init(w);
    w->sweep = s;
    w->path = strdup(path);
    trailing_lengths(s, &w->epochs, &w->depth, &w->n_profile_d);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (comm != MPI_COMM_NULL) {
        H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL);
    } else {
        H5Pset_fapl_sec2(fapl);
        /* Like the MPI-IO driver, take no HDF5 lock, so h5py and `critsweep status` can
         * read while a single-process run writes; `run` keeps out a second writer with
         * its own lock. */
        H5Pset_file_locking(fapl, 0, 1);
    }
    /* No sieve buffer: a cached row could reach the file after its status. */
    H5Pset_sieve_buf_size(fapl, 0);
    w->file = H5Fopen(path, H5F_ACC_RDWR, fapl);
    H5Pclose(fapl);
    if (w->file < 0)
        return cs_fail(err, CS_EXIT_USAGE, "%s: cannot open for writing%s", path,
                       comm != MPI_COMM_NULL ? " with the MPI-IO driver (is the file system "
                                               "shared by all ranks?)" : "");
    w->n_fields = N_FIELDS;
    w->dset = malloc(N_FIELDS * sizeof *w->dset);
    w->space = malloc(N_FIELDS * sizeof *w->space);
    if (!w->dset || !w->space)
        return cs_fail(err, CS_EXIT_ERROR, "out of memory");
    for (int i = 0; i < N_FIELDS; i++)
        w->dset[i] = w->space[i] = -1;
    /* A file of critsweep 0.1.0 lacks the quantities added since: they are not written
     * there (a new dataset would change the file's metadata). */
    int legacy = H5Aexists(w->file, "schema_crc32") <= 0;
    for (int i = 0; i < N_FIELDS; i++) {
        if (legacy && H5Lexists(w->file, field_defs[i].f.name, H5P_DEFAULT) <= 0)
            continue;
        if ((w->dset[i] = open_ds(w, field_defs[i].f.name, &w->space[i], err)) < 0)
            return err ? err->code : CS_EXIT_USAGE;
    }
    if ((w->status = open_ds(w, "status", &w->status_space, err)) < 0 ||
        (w->attempts = open_ds(w, "attempts", &w->attempts_space, err)) < 0 ||
        (w->reason = open_ds(w, "failure_reason", &w->reason_space, err)) < 0)
        return err ? err->code : CS_EXIT_USAGE;
    /* A file of critsweep 0.1.0 has no checksums: its rows stay unverified. */
    if (H5Lexists(w->file, "checksum", H5P_DEFAULT) > 0 &&
        (w->checksum = open_ds(w, "checksum", &w->checksum_space, err)) < 0)
        return err ? err->code : CS_EXIT_USAGE;
    return 0;
}

/* Selects task's element (and all its trailing entries) in space; returns the number of
 * elements selected. */
static hsize_t select_task(const store_writer *w, hid_t space, long task)
{
    int at[CS_AXIS_COUNT];
    int nd_task = grid_dim_indices(w->sweep, task, at);
    hsize_t dims[CS_AXIS_COUNT + 2];
    int nd = H5Sget_simple_extent_dims(space, dims, NULL);
    hsize_t start[CS_AXIS_COUNT + 2], count[CS_AXIS_COUNT + 2];
    for (int i = 0; i < nd_task; i++)
        start[i] = (hsize_t)at[i], count[i] = 1;
    hsize_t n = 1;
    for (int i = nd_task; i < nd; i++) {
        start[i] = 0;
        count[i] = dims[i];
        n *= dims[i];
    }
    H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, count, NULL);
    return n;
}

static int write_row(const store_writer *w, hid_t d, hid_t space, long task, hid_t mtype,
                     const void *buf, hsize_t have)
{
    hsize_t n = select_task(w, space, task);
    if (n == 0)
        return 0;
    if (have < n) {
        /* Fewer values than the file holds (a shorter array): write what we have. */
        if (have == 0)
            return 0;
        int at[CS_AXIS_COUNT];
        int nd_task = grid_dim_indices(w->sweep, task, at);
        hsize_t dims[CS_AXIS_COUNT + 2];
        int nd = H5Sget_simple_extent_dims(space, dims, NULL);
        if (nd != nd_task + 1)
            return 0;
        hsize_t start[CS_AXIS_COUNT + 1], count[CS_AXIS_COUNT + 1];
        for (int i = 0; i < nd_task; i++)
            start[i] = (hsize_t)at[i], count[i] = 1;
        start[nd_task] = 0, count[nd_task] = have;
        H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, count, NULL);
        n = have;
    }
    hid_t ms = H5Screate_simple(1, &n, NULL);
    herr_t e = H5Dwrite(d, mtype, ms, space, H5P_DEFAULT, buf);
    H5Sclose(ms);
    return e < 0;
}

/* Writes text, cut to CS_REASON_LEN - 1 bytes and NUL-padded, as task's row of a char
 * dataset; the bytes written go into the row's checksum. */
static int write_chars(const store_writer *w, hid_t d, hid_t space, long task, const char *text,
                       uint32_t *crc)
{
    char buf[CS_REASON_LEN];
    memset(buf, 0, sizeof buf);
    memcpy(buf, text, strnlen(text, CS_REASON_LEN - 1));
    *crc = store_row_crc_add(*crc, buf, sizeof buf);
    hid_t ct = char_type();
    int e = write_row(w, d, space, task, ct, buf, CS_REASON_LEN);
    H5Tclose(ct);
    return e;
}

int store_write_attempts(store_writer *w, long task, int attempts, cs_err *err)
{
    int32_t v = attempts;
    if (write_row(w, w->attempts, w->attempts_space, task, H5T_NATIVE_INT32, &v, 1))
        return cs_fail(err, CS_EXIT_ERROR, "%s: writing attempts of task %ld failed (disk full?)",
                       w->path, task);
    return 0;
}

/* Elements per task of a dataset (the product of its trailing dimensions). */
static hsize_t row_length(const cs_sweep *s, hid_t space)
{
    hsize_t dims[CS_AXIS_COUNT + 2];
    int nd = H5Sget_simple_extent_dims(space, dims, NULL);
    hsize_t n = 1;
    for (int i = axis_ndims(s); i < nd; i++)
        n *= dims[i];
    return n;
}

/* The values r holds for array field fd, and how many. */
static const double *result_array(const field_def *fd, const cs_result *r, hsize_t *n)
{
    const char *name = fd->f.name;
    *n = 0;
    if (!strcmp(name, "test_accuracy_per_epoch"))
        return *n = (hsize_t)r->epochs, r->test_accuracy_per_epoch;
    if (!strcmp(name, "train_loss_per_epoch"))
        return *n = (hsize_t)r->epochs, r->train_loss_per_epoch;
    if (!strcmp(name, "S_hist"))
        return *n = CS_SIZE_BINS, r->S_hist;
    if (!strcmp(name, "D_count"))
        return *n = (hsize_t)r->stats.dmax, r->stats.count_d;
    if (!strcmp(name, "gcount"))
        return *n = (hsize_t)r->stats.dmax, r->stats.gcount;
    if (!strcmp(name, "gsum_S"))
        return *n = (hsize_t)r->stats.dmax, r->stats.gsum_S;
    if (!strcmp(name, "gsum_log10S"))
        return *n = (hsize_t)r->stats.dmax, r->stats.gsum_log10S;
    if (!strcmp(name, "gsum_log10S2"))
        return *n = (hsize_t)r->stats.dmax, r->stats.gsum_log10S2;
    if (!strcmp(name, "profile"))
        return *n = (hsize_t)r->n_profile_d * CS_PROFILE_POINTS, r->profile;
    if (!strcmp(name, "profile_count"))
        return *n = (hsize_t)r->n_profile_d, r->profile_count;
    return NULL;
}

uint32_t store_row_crc_begin(long task)
{
    int64_t t = task;
    return (uint32_t)crc32(crc32(0L, Z_NULL, 0), (const Bytef *)&t, sizeof t);
}

uint32_t store_row_crc_add(uint32_t crc, const void *bytes, size_t n)
{
    return (uint32_t)crc32(crc, (const Bytef *)bytes, (uInt)n);
}

int store_write_result(store_writer *w, long task, const cs_result *r, cs_err *err)
{
    /* Every row is written whole (fill after a shorter array) so that the checksum
     * covers exactly the bytes the file holds. */
    const char *bad = NULL;
    uint32_t crc = store_row_crc_begin(task);
    size_t cap = 0;
    double *row = NULL;
    for (int i = 0; i < N_FIELDS && !bad; i++) {
        const field_def *fd = &field_defs[i];
        const char *base = (const char *)r;
        int e = 0;
        if (w->dset[i] < 0)
            continue; /* a quantity newer than this (0.1.0) file, which has no checksums */
        if (fd->src == SRC_DOUBLE) {
            double v = *(const double *)(base + fd->off);
            crc = store_row_crc_add(crc, &v, sizeof v);
            e = write_row(w, w->dset[i], w->space[i], task, H5T_NATIVE_DOUBLE, &v, 1);
        } else if (fd->src == SRC_LONG || fd->src == SRC_INT) {
            int64_t v = fd->src == SRC_LONG ? (int64_t)*(const long *)(base + fd->off)
                                            : (int64_t)*(const int *)(base + fd->off);
            crc = store_row_crc_add(crc, &v, sizeof v);
            e = write_row(w, w->dset[i], w->space[i], task, H5T_NATIVE_INT64, &v, 1);
        } else if (fd->src == SRC_CHARS) {
            e = write_chars(w, w->dset[i], w->space[i], task, (const char *)r + fd->off, &crc);
        } else {
            hsize_t have, n = row_length(w->sweep, w->space[i]);
            const double *a = result_array(fd, r, &have);
            if (n > cap) {
                free(row);
                cap = n;
                if (!(row = malloc(cap * sizeof *row))) {
                    bad = "memory";
                    break;
                }
            }
            for (hsize_t k = 0; k < n; k++)
                row[k] = a && k < have ? a[k] : NAN;
            crc = store_row_crc_add(crc, row, n * sizeof *row);
            if (n)
                e = write_row(w, w->dset[i], w->space[i], task, H5T_NATIVE_DOUBLE, row, n);
        }
        if (e)
            bad = fd->f.name;
    }
    free(row);
    if (!bad && write_chars(w, w->reason, w->reason_space, task, r->reason, &crc))
        bad = "failure_reason";
    int8_t st = (int8_t)r->status;
    crc = store_row_crc_add(crc, &st, 1);
    if (!bad && w->checksum >= 0 &&
        write_row(w, w->checksum, w->checksum_space, task, H5T_NATIVE_UINT32, &crc, 1))
        bad = "checksum";
    /* last: the row is complete once status says so */
    if (!bad && write_row(w, w->status, w->status_space, task, H5T_NATIVE_INT8, &st, 1))
        bad = "status";
    if (bad)
        return cs_fail(err, CS_EXIT_ERROR, "%s: writing %s of task %ld failed (disk full?)",
                       w->path, bad, task);
    return 0;
}

int store_writer_close(store_writer *w, cs_err *err)
{
    int rc = 0;
    for (int i = 0; i < w->n_fields; i++) {
        if (w->dset && w->dset[i] >= 0)
            H5Dclose(w->dset[i]);
        if (w->space && w->space[i] >= 0)
            H5Sclose(w->space[i]);
    }
    hid_t ds[] = {w->status, w->attempts, w->reason, w->checksum};
    hid_t sp[] = {w->status_space, w->attempts_space, w->reason_space, w->checksum_space};
    for (int i = 0; i < 4; i++) {
        if (ds[i] >= 0)
            H5Dclose(ds[i]);
        if (sp[i] >= 0)
            H5Sclose(sp[i]);
    }
    if (w->file >= 0 && H5Fclose(w->file) < 0)
        rc = cs_fail(err, CS_EXIT_ERROR, "%s: closing the results file failed", w->path);
    free(w->dset);
    free(w->space);
    free(w->path);
    store_writer_init(w);
    return rc;
}

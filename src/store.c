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

#include <hdf5.h>
#include <hdf5_hl.h>

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
        "mean log growth per layer of a renormalised tangent vector", 0),
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
            size_t n = H5Tget_size(ft);
            out = calloc(n + 1, 1);
            hid_t mt = H5Tcopy(H5T_C_S1);
            H5Tset_size(mt, n);
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
    hid_t scale_act, scale_width, scale_sb2, scale_sw2, scale_seed;
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

static int make_scales(creator *c)
{
    const cs_sweep *s = c->s;
    int rc = 0;
    hid_t vt = vlen_utf8();
    const char **names = malloc((size_t)s->n_activation * sizeof *names);
    int64_t *seeds = malloc((size_t)s->n_seed * sizeof *seeds);
    int nmax = c->epochs > c->depth ? c->epochs : c->depth;
    if (nmax < CS_SIZE_BINS + 1)
        nmax = CS_SIZE_BINS + 1;
    if (nmax < c->n_profile_d)
        nmax = c->n_profile_d;
    int32_t *ibuf = malloc((size_t)nmax * sizeof *ibuf);
    double *dbuf = malloc((size_t)(nmax + 1) * sizeof *dbuf);
    if (!names || !seeds || !ibuf || !dbuf) {
        rc = -1;
        goto done;
    }
    for (int i = 0; i < s->n_activation; i++)
        names[i] = activation_name(s->activation[i]);
    for (int i = 0; i < s->n_seed; i++)
        seeds[i] = (int64_t)s->seeds[i];
    c->scale_act = make_coord(c, "activation", vt, vt, (hsize_t)s->n_activation, names, "1",
                              "activation function phi");
    c->scale_width = make_coord(c, "width", H5T_STD_I32LE, H5T_NATIVE_INT, (hsize_t)s->n_width,
                                s->width, "1", "network width N");
    c->scale_sb2 = make_coord(c, "sigma_b2", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                              (hsize_t)s->n_sigma_b2, s->sigma_b2, "1", "bias variance sigma_b^2");
    c->scale_sw2 = make_coord(c, "sigma_w2", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                              (hsize_t)s->n_sigma_w2, s->sigma_w2, "1",
                              "weight variance sigma_w^2 (times 1/N)");
    c->scale_seed = make_coord(c, "seed", H5T_STD_I64LE, H5T_NATIVE_INT64, (hsize_t)s->n_seed,
                               seeds, "1", "seed (replica) of the random networks");
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
    if (c->scale_act < 0 || c->scale_width < 0 || c->scale_sb2 < 0 || c->scale_sw2 < 0 ||
        c->scale_seed < 0 || c->scale_epoch < 0 || c->scale_duration < 0 ||
        c->scale_size_bin < 0 || c->scale_shape_d < 0 || c->scale_profile_x < 0)
        rc = -1;
done:
    free(names);
    free(seeds);
    free(ibuf);
    free(dbuf);
    H5Tclose(vt);
    return rc;
}

/* A per-task dataset: task dims plus up to two trailing ones. */
static int make_task_dataset(creator *c, const char *name, hid_t ftype, const void *fill,
                             const hid_t *trail, const hsize_t *trail_n, int n_trail,
                             const char *units, const char *long_name, const char *desc)
{
    const cs_sweep *s = c->s;
    hsize_t dims[NDIM_TASK + 2] = {(hsize_t)s->n_activation, (hsize_t)s->n_width,
                                   (hsize_t)s->n_sigma_b2, (hsize_t)s->n_sigma_w2,
                                   (hsize_t)s->n_seed};
    hid_t scales[NDIM_TASK + 2] = {c->scale_act, c->scale_width, c->scale_sb2, c->scale_sw2,
                                   c->scale_seed};
    for (int i = 0; i < n_trail; i++) {
        dims[NDIM_TASK + i] = trail_n[i];
        scales[NDIM_TASK + i] = trail[i];
    }
    int nd = NDIM_TASK + n_trail;
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
    return make_char_dataset(c, "failure_reason", "failure reason",
                             "why a task failed (NUL-padded UTF-8 characters)");
}

static int make_runs(creator *c)
{
    /* Row 0 is written while the file is still under its temporary name, which allocates
     * the first chunk: the next 63 runs append without allocating file space (only the
     * extent in two object headers changes), the least metadata a start can write. */
    hsize_t zero = 0, unlim = H5S_UNLIMITED, chunk = 64;
    hid_t sp = H5Screate_simple(1, &zero, &unlim);
    hid_t p = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(p, 1, &chunk);
    H5Pset_obj_track_times(p, 0);
    int32_t fill_row = -1;
    H5Pset_fill_value(p, H5T_NATIVE_INT32, &fill_row);
    hid_t run = H5Dcreate2(c->file, "run", H5T_STD_I32LE, sp, H5P_DEFAULT, p, H5P_DEFAULT);
    H5Pset_fill_value(p, H5T_NATIVE_INT32, NULL);
    hid_t ft = runs_file_type();
    hid_t runs = H5Dcreate2(c->file, "runs", ft, sp, H5P_DEFAULT, p, H5P_DEFAULT);
    H5Tclose(ft);
    H5Pclose(p);
    H5Sclose(sp);
    int rc = run < 0 || runs < 0;
    if (!rc) {
        rc |= H5DSset_scale(run, "run") < 0;
        rc |= put_string_attr(run, "long_name", "run number (one row per `critsweep run`)");
        rc |= H5DSattach_scale(runs, run, 0) < 0;
        rc |= put_string_attr(runs, "long_name", "runs of this sweep");
        rc |= put_string_attr(runs, "description",
                              "start, end (ISO 8601 UTC; end empty while running or if killed), "
                              "ranks, tasks_done, slurm_job_id, exit_state");
    }
    if (run >= 0)
        H5Dclose(run);
    if (runs >= 0)
        H5Dclose(runs);
    return rc;
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
    rc |= put_num_attr(c->file, "q0", H5T_NATIVE_DOUBLE, &s->avalanche.q0, 0);
    rc |= put_string_attr(c->file, "convention", convention_name(s->avalanche.convention));
    rc |= put_string_attr(c->file, "mode", mode_name(s->avalanche.mode));
    rc |= put_num_attr(c->file, "n_tasks", H5T_NATIVE_INT64, &ntasks, 0);
    rc |= put_num_attr(c->file, "max_attempts", H5T_NATIVE_INT32, &maxatt, 0);
    return rc;
}

static void close_scales(creator *c)
{
    hid_t *ids[] = {&c->scale_act, &c->scale_width, &c->scale_sb2, &c->scale_sw2,
                    &c->scale_seed, &c->scale_epoch, &c->scale_duration, &c->scale_size_bin,
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
    *n_profile_d = s->avalanche.shape_dmax - s->avalanche.shape_dmin - 1;
    if (*n_profile_d < 0)
        *n_profile_d = 0;
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

int store_create(const char *path, const cs_sweep *s, const store_run *first_run, cs_err *err)
{
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
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    if (!tmp)
        return cs_fail(err, CS_EXIT_ERROR, "out of memory");
    snprintf(tmp, n, "%s.partial-create", path);
    unlink(tmp); /* a leftover of an earlier crash during creation: ours to replace */

    creator c;
    memset(&c, 0, sizeof c);
    c.scale_act = c.scale_width = c.scale_sb2 = c.scale_sw2 = c.scale_seed = -1;
    c.scale_epoch = c.scale_duration = c.scale_size_bin = c.scale_shape_d = -1;
    c.scale_profile_x = c.scale_reason = -1;
    c.s = s;
    c.path = path;
    trailing_lengths(s, &c.epochs, &c.depth, &c.n_profile_d);

    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_sec2(fapl);
    c.file = H5Fcreate(tmp, H5F_ACC_EXCL, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    int rc = 0;
    if (c.file < 0) {
        rc = cs_fail(err, CS_EXIT_USAGE, "%s: cannot create the results file (HDF5 could not "
                                         "create %s: permissions? read-only or full file "
                                         "system?); choose another path with -o", path, tmp);
        goto out;
    }
    const char *stage = "coordinates";
    if (make_scales(&c) || (stage = "per-task datasets", make_task_datasets(&c)) ||
        (stage = "runs table", make_runs(&c)) ||
        (stage = "root attributes", make_root_attrs(&c))) {
        rc = cs_fail(err, CS_EXIT_ERROR, "%s: writing the %s failed (disk full?); remove it and "
                                         "run again", tmp, stage);
        close_scales(&c);
        H5Fclose(c.file);
        unlink(tmp);
        goto out;
    }
    close_scales(&c);
    if (H5Fclose(c.file) < 0) {
        rc = cs_fail(err, CS_EXIT_ERROR, "%s: closing the new file failed (disk full?)", tmp);
        unlink(tmp);
        goto out;
    }
    if (first_run) {
        long row;
        if ((rc = store_runs_append(tmp, first_run, &row, err))) {
            unlink(tmp);
            goto out;
        }
    }
    /* link() refuses to replace an existing name, unlike rename(): another process that
     * created the same path meanwhile keeps its file. */
    if (link(tmp, path) != 0) {
        int e = errno;
        if (e == EEXIST)
            rc = cs_fail(err, CS_EXIT_USAGE, "%s: appeared while it was being created; "
                                             "not replaced", path);
        else if (rename(tmp, path) == 0) /* file systems without hard links */
            goto out;
        else
            rc = cs_fail(err, CS_EXIT_USAGE, "%s: cannot move %s into place: %s", path, tmp,
                         strerror(e));
    }
    unlink(tmp);
out:
    free(tmp);
    return rc;
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
        hsize_t want[NDIM_TASK] = {(hsize_t)s->n_activation, (hsize_t)s->n_width,
                                   (hsize_t)s->n_sigma_b2, (hsize_t)s->n_sigma_w2,
                                   (hsize_t)s->n_seed};
        if (nd != NDIM_TASK || memcmp(dims, want, sizeof want))
            rc = cs_fail(err, CS_EXIT_USAGE, "%s: status has a different shape than this sweep's "
                                             "grid although the hashes match; use --fresh or -o",
                         path);
        if (sp >= 0)
            H5Sclose(sp);
        if (d >= 0)
            H5Dclose(d);
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
            *n = (long)m;
            for (long i = 0; i < m; i++) { /* NULLPAD fields: make sure they terminate */
                (*rows)[i].start[CS_RUN_STR - 1] = (*rows)[i].end[CS_RUN_STR - 1] = 0;
                (*rows)[i].slurm_job_id[CS_RUN_STR - 1] = (*rows)[i].exit_state[CS_RUN_STR - 1] = 0;
            }
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
        long m = (long)H5Sget_simple_extent_npoints(sp);
        H5Sclose(sp);
        if (append)
            *row = m;
        else if (*row < 0 || *row >= m)
            rc = cs_fail(err, CS_EXIT_ERROR, "%s: runs row %ld does not exist", path, *row);
        if (!rc && write_run_row(runs, run, *row, r, append))
            rc = cs_fail(err, CS_EXIT_ERROR, "%s: writing the runs table failed", path);
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
    w->file = w->status = w->attempts = w->reason = -1;
    w->status_space = w->attempts_space = w->reason_space = -1;
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
    for (int i = 0; i < N_FIELDS; i++)
        if ((w->dset[i] = open_ds(w, field_defs[i].f.name, &w->space[i], err)) < 0)
            return err ? err->code : CS_EXIT_USAGE;
    if ((w->status = open_ds(w, "status", &w->status_space, err)) < 0 ||
        (w->attempts = open_ds(w, "attempts", &w->attempts_space, err)) < 0 ||
        (w->reason = open_ds(w, "failure_reason", &w->reason_space, err)) < 0)
        return err ? err->code : CS_EXIT_USAGE;
    return 0;
}

/* Selects task's element (and all its trailing entries) in space; returns the number of
 * elements selected. */
static hsize_t select_task(const store_writer *w, hid_t space, long task)
{
    grid_index g;
    grid_coords(w->sweep, task, &g);
    hsize_t dims[NDIM_TASK + 2];
    int nd = H5Sget_simple_extent_dims(space, dims, NULL);
    hsize_t start[NDIM_TASK + 2] = {(hsize_t)g.activation, (hsize_t)g.width,
                                    (hsize_t)g.sigma_b2, (hsize_t)g.sigma_w2, (hsize_t)g.seed};
    hsize_t count[NDIM_TASK + 2] = {1, 1, 1, 1, 1};
    hsize_t n = 1;
    for (int i = NDIM_TASK; i < nd; i++) {
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
        grid_index g;
        grid_coords(w->sweep, task, &g);
        hsize_t dims[NDIM_TASK + 2];
        int nd = H5Sget_simple_extent_dims(space, dims, NULL);
        if (nd != NDIM_TASK + 1)
            return 0;
        hsize_t start[NDIM_TASK + 1] = {(hsize_t)g.activation, (hsize_t)g.width,
                                        (hsize_t)g.sigma_b2, (hsize_t)g.sigma_w2,
                                        (hsize_t)g.seed, 0};
        hsize_t count[NDIM_TASK + 1] = {1, 1, 1, 1, 1, have};
        H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, count, NULL);
        n = have;
    }
    hid_t ms = H5Screate_simple(1, &n, NULL);
    herr_t e = H5Dwrite(d, mtype, ms, space, H5P_DEFAULT, buf);
    H5Sclose(ms);
    return e < 0;
}

/* Writes text, cut to CS_REASON_LEN - 1 bytes and NUL-padded, as task's row of a char
 * dataset. */
static int write_chars(const store_writer *w, hid_t d, hid_t space, long task, const char *text)
{
    char buf[CS_REASON_LEN];
    memset(buf, 0, sizeof buf);
    memcpy(buf, text, strnlen(text, CS_REASON_LEN - 1));
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

int store_write_result(store_writer *w, long task, const cs_result *r, cs_err *err)
{
    const char *bad = NULL;
    for (int i = 0; i < N_FIELDS && !bad; i++) {
        const field_def *fd = &field_defs[i];
        const char *base = (const char *)r;
        int e = 0;
        if (fd->src == SRC_DOUBLE) {
            double v = *(const double *)(base + fd->off);
            e = write_row(w, w->dset[i], w->space[i], task, H5T_NATIVE_DOUBLE, &v, 1);
        } else if (fd->src == SRC_LONG || fd->src == SRC_INT) {
            int64_t v = fd->src == SRC_LONG ? (int64_t)*(const long *)(base + fd->off)
                                            : (int64_t)*(const int *)(base + fd->off);
            e = write_row(w, w->dset[i], w->space[i], task, H5T_NATIVE_INT64, &v, 1);
        } else if (fd->src == SRC_CHARS) {
            e = write_chars(w, w->dset[i], w->space[i], task, (const char *)r + fd->off);
        } else {
            const double *a = NULL;
            hsize_t n = 0;
            const char *name = fd->f.name;
            if (!strcmp(name, "test_accuracy_per_epoch"))
                a = r->test_accuracy_per_epoch, n = (hsize_t)r->epochs;
            else if (!strcmp(name, "train_loss_per_epoch"))
                a = r->train_loss_per_epoch, n = (hsize_t)r->epochs;
            else if (!strcmp(name, "S_hist"))
                a = r->S_hist, n = CS_SIZE_BINS;
            else if (!strcmp(name, "D_count"))
                a = r->stats.count_d, n = (hsize_t)r->stats.dmax;
            else if (!strcmp(name, "gcount"))
                a = r->stats.gcount, n = (hsize_t)r->stats.dmax;
            else if (!strcmp(name, "gsum_S"))
                a = r->stats.gsum_S, n = (hsize_t)r->stats.dmax;
            else if (!strcmp(name, "gsum_log10S"))
                a = r->stats.gsum_log10S, n = (hsize_t)r->stats.dmax;
            else if (!strcmp(name, "gsum_log10S2"))
                a = r->stats.gsum_log10S2, n = (hsize_t)r->stats.dmax;
            else if (!strcmp(name, "profile"))
                a = r->profile, n = (hsize_t)r->n_profile_d * CS_PROFILE_POINTS;
            else if (!strcmp(name, "profile_count"))
                a = r->profile_count, n = (hsize_t)r->n_profile_d;
            if (a && n)
                e = write_row(w, w->dset[i], w->space[i], task, H5T_NATIVE_DOUBLE, a, n);
        }
        if (e)
            bad = fd->f.name;
    }
    if (!bad && write_chars(w, w->reason, w->reason_space, task, r->reason))
        bad = "failure_reason";
    if (!bad) { /* last: the row is complete once status says so */
        int8_t st = (int8_t)r->status;
        if (write_row(w, w->status, w->status_space, task, H5T_NATIVE_INT8, &st, 1))
            bad = "status";
    }
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
    hid_t ds[] = {w->status, w->attempts, w->reason};
    hid_t sp[] = {w->status_space, w->attempts_space, w->reason_space};
    for (int i = 0; i < 3; i++) {
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

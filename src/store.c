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
#include "critsweep/dynrange.h"
#include "critsweep/h5util.h"
#include "critsweep/phase.h"
#include "critsweep/store.h"

#define NDIM_TASK 5
/* netCDF's marker for a dimension that has no coordinate variable. */
#define NC_DIM_WITHOUT_VARIABLE "This is a netCDF dimension but not a netCDF variable."

/* Text fields share failure_reason's reason_char dimension. */
_Static_assert(CS_FIT_NOTE_LEN == CS_REASON_LEN, "fit_note is stored over reason_char");

/* The per-task datasets are the quantities of quantity.h, in its order (the file's
 * dataset order and the row checksum's); quantity_defs[i] says where field i's value
 * lives in cs_result. */
typedef struct {
    store_field f;
} field_def;

#define STORE_TYPE_D STORE_F64
#define STORE_TYPE_L STORE_I64
#define STORE_TYPE_I STORE_I64
#define STORE_TYPE_T STORE_CHAR
#define STORE_TYPE_P STORE_F64
#define STORE_TYPE_A STORE_F64
#define FIELD(name, src, tr, blank, part, units, long_name, description, timing, label) \
    {{#name, STORE_TYPE_##src, STORE_TR_##tr, units, long_name, description, timing}},
#define FIELD_AT(name, at, ...) FIELD(name, __VA_ARGS__)

static const field_def field_defs[] = {CS_QUANTITIES(FIELD, FIELD_AT)};

#undef FIELD_AT
#undef FIELD
#define N_FIELDS ((int)(sizeof field_defs / sizeof *field_defs))
_Static_assert(N_FIELDS == QUANTITY_COUNT, "one dataset per quantity");
_Static_assert((int)STORE_TR_CHAR == (int)QUANTITY_TR_CHAR && (int)STORE_TR_PROFILE == (int)QUANTITY_TR_PROFILE &&
               (int)STORE_TR_DYNRANGE_Q == (int)QUANTITY_TR_DYNRANGE_Q,
               "store_trailing and quantity_trailing agree");

static store_field fields_public[N_FIELDS];

/* The two ends of the claim test's 95 % seed-bootstrap interval of an estimate. */
#define LOHI_DESC "end of the 95 % percentile interval over the claim test's seed-bootstrap " \
                  "replicates (critsweep phase --replicates, default 1000)"
#define LOHI(name, rank, dims, what)                                                      \
    {name "_lo", rank, dims, 0, "1", what ", lower end", "lower " LOHI_DESC, 1},           \
    {name "_hi", rank, dims, 0, "1", what ", upper end", "upper " LOHI_DESC, 1}
#define C4 {"activation", "width", "sigma_b2", "sigma_w2"}
#define C3 {"activation", "width", "sigma_b2"}
#define C2 {"activation", "width"}
static const store_derived_field derived_defs[] = {
    {"S_mean_seedavg", 4, C4, 0, "1", "mean avalanche size, seed average",
     "mean of S_mean over the completed seeds of each cell (NaN: none completed)", 0},
    {"S_mean_seedstd", 4, C4, 0, "1", "mean avalanche size, seed spread",
     "sample standard deviation (ddof 1) of S_mean over the completed seeds (NaN: fewer than two)", 0},
    {"chi", 4, C4, 0, "1", "susceptibility dS/dsigma_w2",
     "slope along sigma_w2 of a local quadratic regression of S_mean_seedavg (tricube "
     "kernel times 1/se^2, se = S_mean_seedstd/sqrt(n) pooled over neighbours; half-width "
     "chi_bandwidth by leave-one-out); chi_fd on a line with fewer than 6 finite "
     "cells", 0},
    {"chi_b", 4, C4, 0, "1", "susceptibility dS/dsigma_b2",
     "derivative of S_mean_seedavg along sigma_b2 (numpy.gradient); NaN when the sigma_b2 "
     "axis has a single point", 0},
    {"tau_s_pooled", 4, C4, 0, "1", "size exponent, pooled over seeds",
     "continuous power-law MLE from the summed sufficient statistics of the completed seeds", 0},
    {"tau_s_pooled_err", 4, C4, 0, "1", "error of tau_s_pooled", "(tau - 1)/sqrt(n)", 0},
    {"tau_d_pooled", 4, C4, 0, "1", "duration exponent, pooled over seeds",
     "discrete power-law MLE (Hurwitz zeta) from the summed duration counts", 0},
    {"tau_d_pooled_err", 4, C4, 0, "1", "error of tau_d_pooled", "(tau - 1)/sqrt(n)", 0},
    {"gamma_pooled", 4, C4, 0, "1", "<S>(D) exponent, pooled over seeds",
     "weighted regression of log10 M(D) on log10 D from the summed per-duration sums", 0},
    {"gamma_pooled_err", 4, C4, 0, "1", "error of gamma_pooled", "sqrt(s^2/Sxx)", 0},
    {"widom_sigma_w2", 3, C3, 0, "1", "Widom line sigma_w2*",
     "sigma_w2 of the maximum of the smoothed chi (scanned 8 times finer than the grid, "
     "refined by golden-section search); on a line too short for the fit, the chi_fd "
     "maximum refined by the parabola through it and its neighbours", 0},
    {"chi_max", 3, C3, 0, "1", "maximum susceptibility", "chi at widom_sigma_w2", 0},
    {"accuracy_ridge_sigma_w2", 3, C3, 0, "1", "accuracy ridge",
     "sigma_w2 of the maximum of the locally fitted seed-averaged test accuracy (the best "
     "grid value on a line with fewer than 6 finite cells)", 0},
    {"edge_sigma_w2", 2, {"activation", "sigma_b2"}, 0, "1", "edge of chaos sigma_w2_c",
     "mean-field chi_1 = 1 (GSL adaptive quadrature, Brent root); NaN where none in "
     "(0, 100]", 0},
    {"spearman_acc_chi", 2, C2, 0, "1", "Spearman(accuracy, chi)",
     "rank correlation over the (sigma_b2, sigma_w2) cells of seed-averaged test accuracy "
     "with chi (cells with a NaN dropped; ties by average ranks); the claim test", 0},
    {"spearman_acc_edge", 2, C2, 0, "1", "Spearman(accuracy, -|chi1 - 1|)",
     "rank correlation over the cells of seed-averaged test accuracy with the closeness "
     "to the edge of chaos -|chi1 - 1|", 0},
    {"ridge_dist_widom", 2, C2, 0, "1", "accuracy ridge to Widom line",
     "mean over sigma_b2 of |ridge - widom_sigma_w2|", 0},
    {"ridge_dist_edge", 2, C2, 0, "1", "accuracy ridge to edge of chaos",
     "mean over sigma_b2 of |ridge - edge_sigma_w2|", 0},
    {"n_spearman_acc_chi", 2, C2, 1, "1", "cells in Spearman(accuracy, chi)",
     "number of cells with both values finite", 0},
    {"n_spearman_acc_edge", 2, C2, 1, "1", "cells in Spearman(accuracy, edge)",
     "number of cells with both values finite", 0},
    /* Added after release 0.2.0 (its files lack them: `added` makes them optional there). */
    {"chi_fd", 4, C4, 0, "1", "susceptibility by finite differences",
     "derivative of S_mean_seedavg along sigma_w2: second-order central differences inside, "
     "first-order one-sided at the ends, non-uniform spacing (numpy.gradient)", 1},
    {"chi_bandwidth", 3, C3, 0, "1", "half-width of the chi fit",
     "half-width in sigma_w2 of the local fit behind chi, by leave-one-out (NaN: "
     "the line fell back to chi_fd)", 1},
    LOHI("widom_sigma_w2", 3, C3, "Widom line"),
    LOHI("accuracy_ridge_sigma_w2", 3, C3, "accuracy ridge"),
    LOHI("spearman_acc_chi", 2, C2, "Spearman(accuracy, chi)"),
    LOHI("spearman_acc_edge", 2, C2, "Spearman(accuracy, -|chi1 - 1|)"),
    {"rho_diff", 2, C2, 0, "1", "rho_chi - rho_edge",
     "spearman_acc_chi - spearman_acc_edge: positive when chi predicts accuracy better", 1},
    LOHI("rho_diff", 2, C2, "rho_chi - rho_edge"),
    {"rho_dist_widom", 2, C2, 0, "1", "Spearman(accuracy, -|sigma_w2 - Widom|)",
     "rank correlation of accuracy with the closeness to the Widom line", 1},
    LOHI("rho_dist_widom", 2, C2, "Spearman(accuracy, -|sigma_w2 - Widom|)"),
    {"rho_dist_edge", 2, C2, 0, "1", "Spearman(accuracy, -|sigma_w2 - edge|)",
     "rank correlation of accuracy with the closeness to the mean-field edge of chaos", 1},
    LOHI("rho_dist_edge", 2, C2, "Spearman(accuracy, -|sigma_w2 - edge|)"),
    {"rho_dist_diff", 2, C2, 0, "1", "rho_dist_widom - rho_dist_edge",
     "the distance form of the claim test's difference", 1},
    LOHI("rho_dist_diff", 2, C2, "rho_dist_widom - rho_dist_edge"),
    LOHI("ridge_dist_widom", 2, C2, "accuracy ridge to Widom line"),
    LOHI("ridge_dist_edge", 2, C2, "accuracy ridge to edge of chaos"),
    {"claim_verdict", 2, C2, 1, "1", "claim verdict",
     "0 undecided (the interval of rho_diff contains 0), 1 susceptibility predicts "
     "accuracy better, 2 the edge of chaos does (-1: not computed)", 1},
    {"claim_verdict_dist", 2, C2, 1, "1", "claim verdict, distance form",
     "as claim_verdict, from the interval of rho_dist_diff", 1},
};
#undef C4
#undef C3
#undef C2
#undef LOHI
#undef LOHI_DESC
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


char *store_read_string_attr(hid_t obj, const char *name)
{
    return h5u_string_attr(obj, name);
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
    hid_t scale_act, scale_width, scale_sb2, scale_sw2, scale_seed, scale_q0, scale_crit_weight;
    hid_t scale_epoch, scale_duration, scale_size_bin, scale_shape_d, scale_profile_x;
    hid_t scale_reason, scale_dynrange_q;
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
        H5DSset_scale(d, name) < 0 || h5u_put_string_attr(d, "units", units) ||
        h5u_put_string_attr(d, "long_name", long_name)) {
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
                                [CS_AXIS_SEED] = &c->scale_seed, [CS_AXIS_Q0] = &c->scale_q0,
                                [CS_AXIS_CRIT_WEIGHT] = &c->scale_crit_weight};
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
    hid_t vt = h5u_vlen_utf8();
    for (int i = 0; names && i < n; i++)
        names[i] = activation_name(((const cs_activation *)v)[i]);
    if (names)
        id = make_coord(c, d->name, vt, vt, (hsize_t)n, names, d->units, d->long_name);
    free(names);
    H5Tclose(vt);
    return id;
}

/* The drive strengths of the dynamic range (the sweep's q grid, also when it is off, so
 * that every file of a build has the same datasets). */
static hid_t make_dynrange_coord(creator *c)
{
    const cs_dynrange *d = &c->s->dynrange;
    double *q = malloc((size_t)d->n_q * sizeof *q);
    if (!q)
        return -1;
    for (int j = 0; j < d->n_q; j++)
        q[j] = dynrange_q_value(d->q_min, d->q_max, d->n_q, j);
    hid_t id = make_coord(c, "dynrange_q", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, (hsize_t)d->n_q, q,
                          "1", "drive strength q of the dynamic range (log-spaced)");
    free(q);
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
        rc |= h5u_put_num_attr(c->scale_size_bin, "edges", H5T_NATIVE_DOUBLE, edges, CS_SIZE_BINS + 1);
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
    c->scale_dynrange_q = make_dynrange_coord(c);
    if (c->scale_epoch < 0 || c->scale_duration < 0 || c->scale_dynrange_q < 0 ||
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
    rc |= h5u_put_string_attr(d, "units", units);
    rc |= h5u_put_string_attr(d, "long_name", long_name);
    rc |= h5u_put_string_attr(d, "description", desc);
    H5Dclose(d);
    return rc;
}

/* A per-task text dataset in netCDF's char layout (store.h): one-byte strings over a
 * trailing reason_char dimension, NUL fill, _Encoding utf-8. */
static int make_char_dataset(creator *c, const char *name, const char *long_name,
                             const char *desc)
{
    hid_t ct = h5u_char_type();
    hid_t trail = c->scale_reason;
    hsize_t tn = CS_REASON_LEN;
    const char nul = 0;
    int rc = make_task_dataset(c, name, ct, &nul, &trail, &tn, 1, "1", long_name, desc);
    if (!rc) {
        hid_t d = H5Dopen2(c->file, name, H5P_DEFAULT);
        rc = d < 0 || h5u_put_string_attr(d, "_Encoding", "utf-8");
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
        case STORE_TR_DYNRANGE_Q:
            trail[0] = c->scale_dynrange_q, tn[0] = (hsize_t)c->s->dynrange.n_q, nt = 1;
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
        rc |= h5u_put_string_attr(run, "long_name", "run number (one row per `critsweep run`)");
        rc |= H5DSattach_scale(runs, run, 0) < 0;
        rc |= h5u_put_string_attr(runs, "long_name", "runs of this sweep");
        rc |= h5u_put_string_attr(runs, "description",
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
        hsize_t dims[CS_AXIS_COUNT + 4];
        hid_t scales[CS_AXIS_COUNT + 4];
        int rank = 0;
        for (int a = 0; a < CS_AXIS_COUNT; a++) /* a slab per value of the optional axes */
            if (axis_defs[a].optional && axis_present(c->s, (cs_axis_id)a)) {
                dims[rank] = (hsize_t)axis_length(c->s, (cs_axis_id)a);
                scales[rank++] = *axis_scale(c, (cs_axis_id)a);
            }
        for (int k = 0; k < f->rank; k++, rank++)
            scales[rank] = creator_scale(c, f->dims[k], &dims[rank]);
        hid_t ft = f->is_int ? H5T_STD_I32LE : H5T_IEEE_F64LE;
        hid_t sp = H5Screate_simple(rank, dims, NULL);
        hid_t p = dcpl_contiguous(ft, f->is_int ? (const void *)&minus1 : (const void *)&nan);
        hid_t d = H5Dcreate2(c->file, f->name, ft, sp, H5P_DEFAULT, p, H5P_DEFAULT);
        H5Pclose(p);
        H5Sclose(sp);
        if (d < 0)
            return -1;
        int rc = 0;
        for (int k = 0; k < rank; k++)
            rc |= H5DSattach_scale(d, scales[k], (unsigned)k) < 0;
        rc |= h5u_put_string_attr(d, "units", f->units);
        rc |= h5u_put_string_attr(d, "long_name", f->long_name);
        rc |= h5u_put_string_attr(d, "description", f->description);
        H5Dclose(d);
        if (rc)
            return -1;
    }
    return 0;
}

/* The computed values of derived dataset `name` (derived_defs) in d, or NULL. */
static const void *derived_values(const phase_derived *d, const char *name)
{
    const struct {
        const char *name;
        const void *v;
    } map[] = {
        {"S_mean_seedavg", d->S_mean_seedavg}, {"S_mean_seedstd", d->S_mean_seedstd},
        {"chi", d->chi}, {"chi_b", d->chi_b},
        {"tau_s_pooled", d->tau_s_pooled}, {"tau_s_pooled_err", d->tau_s_pooled_err},
        {"tau_d_pooled", d->tau_d_pooled}, {"tau_d_pooled_err", d->tau_d_pooled_err},
        {"gamma_pooled", d->gamma_pooled}, {"gamma_pooled_err", d->gamma_pooled_err},
        {"widom_sigma_w2", d->widom_sigma_w2}, {"chi_max", d->chi_max},
        {"accuracy_ridge_sigma_w2", d->accuracy_ridge_sigma_w2},
        {"edge_sigma_w2", d->edge_sigma_w2},
        {"spearman_acc_chi", d->spearman_acc_chi}, {"spearman_acc_edge", d->spearman_acc_edge},
        {"ridge_dist_widom", d->ridge_dist_widom}, {"ridge_dist_edge", d->ridge_dist_edge},
        {"n_spearman_acc_chi", d->n_acc_chi}, {"n_spearman_acc_edge", d->n_acc_edge},
        {"chi_fd", d->chi_fd}, {"chi_bandwidth", d->chi_bandwidth},
        {"widom_sigma_w2_lo", d->widom_sigma_w2_lo}, {"widom_sigma_w2_hi", d->widom_sigma_w2_hi},
        {"accuracy_ridge_sigma_w2_lo", d->accuracy_ridge_sigma_w2_lo},
        {"accuracy_ridge_sigma_w2_hi", d->accuracy_ridge_sigma_w2_hi},
        {"spearman_acc_chi_lo", d->spearman_acc_chi_lo},
        {"spearman_acc_chi_hi", d->spearman_acc_chi_hi},
        {"spearman_acc_edge_lo", d->spearman_acc_edge_lo},
        {"spearman_acc_edge_hi", d->spearman_acc_edge_hi},
        {"rho_diff", d->rho_diff}, {"rho_diff_lo", d->rho_diff_lo}, {"rho_diff_hi", d->rho_diff_hi},
        {"rho_dist_widom", d->rho_dist_widom}, {"rho_dist_widom_lo", d->rho_dist_widom_lo},
        {"rho_dist_widom_hi", d->rho_dist_widom_hi}, {"rho_dist_edge", d->rho_dist_edge},
        {"rho_dist_edge_lo", d->rho_dist_edge_lo}, {"rho_dist_edge_hi", d->rho_dist_edge_hi},
        {"rho_dist_diff", d->rho_dist_diff}, {"rho_dist_diff_lo", d->rho_dist_diff_lo},
        {"rho_dist_diff_hi", d->rho_dist_diff_hi},
        {"ridge_dist_widom_lo", d->ridge_dist_widom_lo},
        {"ridge_dist_widom_hi", d->ridge_dist_widom_hi},
        {"ridge_dist_edge_lo", d->ridge_dist_edge_lo}, {"ridge_dist_edge_hi", d->ridge_dist_edge_hi},
        {"claim_verdict", d->claim_verdict}, {"claim_verdict_dist", d->claim_verdict_dist},
    };
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (!strcmp(map[i].name, name))
            return map[i].v;
    return NULL;
}

static int write_derived_datasets(hid_t fid, const char *path, int n_lead,
                                  const hsize_t *lead, const phase_derived *d, cs_err *err)
{
    for (int i = 0; i < N_DERIVED; i++) {
        const store_derived_field *df = &derived_defs[i];
        const void *v = derived_values(d, df->name);
        if (!v || (!d->has_pooled && strstr(df->name, "_pooled")))
            continue;
        /* A file of 0.2.x reserved no space for what was added later: data only. */
        if (df->added && H5Lexists(fid, df->name, H5P_DEFAULT) <= 0)
            continue;
        hid_t ds = H5Dopen2(fid, df->name, H5P_DEFAULT);
        int bad = ds < 0 || h5u_write_lead(ds, n_lead, lead,
                                           df->is_int ? H5T_NATIVE_INT : H5T_NATIVE_DOUBLE, v);
        if (ds >= 0)
            H5Dclose(ds);
        if (bad)
            return cs_fail(err, CS_EXIT_ERROR, "%s: writing the derived dataset '%s' failed "
                           "(disk full? I/O error?); the task rows are untouched", path,
                           df->name);
    }
    return 0;
}

int store_write_derived(const char *path, int n_lead, const unsigned long long *lead,
                        const phase_derived *d, cs_err *err)
{
    hsize_t hl[8];
    for (int k = 0; k < n_lead && k < 8; k++)
        hl[k] = (hsize_t)lead[k];
    h5u_quiet();
    hid_t fapl = h5u_fapl_nolock();
    hid_t fid = fapl >= 0 ? H5Fopen(path, H5F_ACC_RDWR, fapl) : -1;
    if (fapl >= 0)
        H5Pclose(fapl);
    if (fid < 0)
        return cs_fail(err, CS_EXIT_ERROR, "%s: cannot open for writing the derived tables "
                       "(read-only?); nothing was changed", path);
    /* Data only, into space allocated when the file was made. */
    int rc = write_derived_datasets(fid, path, n_lead, hl, d, err);
    if (H5Fclose(fid) < 0 && !rc)
        rc = cs_fail(err, CS_EXIT_ERROR, "%s: closing after writing the derived tables failed "
                     "(disk full?); the task rows are untouched", path);
    return rc;
}

/* crc32 over what a reader trusts the coordinates and root attributes for: damage to
 * any of them (a flipped byte in the global heap, a coordinate's data) changes it. */
/* The optional axes a file has as dimensions (axis.h), in dimension order: outermost. */
typedef struct {
    int n_axes;
    cs_axis_id id[CS_AXIS_COUNT];
    int n[CS_AXIS_COUNT];
    double *values[CS_AXIS_COUNT];
} outer_axes;

static void outer_axes_free(outer_axes *o)
{
    for (int k = 0; k < o->n_axes; k++)
        free(o->values[k]);
    o->n_axes = 0;
}

/* The sweep's optional axes (values copied, as doubles). */
static int outer_axes_of_sweep(const cs_sweep *s, outer_axes *o)
{
    memset(o, 0, sizeof *o);
    for (int a = 0; a < CS_AXIS_COUNT; a++) {
        if (!axis_defs[a].optional || !axis_present(s, (cs_axis_id)a))
            continue;
        int k = o->n_axes++;
        o->id[k] = (cs_axis_id)a;
        o->n[k] = axis_length(s, (cs_axis_id)a);
        if (!(o->values[k] = malloc((size_t)o->n[k] * sizeof(double))))
            return -1;
        for (int i = 0; i < o->n[k]; i++)
            o->values[k][i] = axis_value(s, (cs_axis_id)a, i);
    }
    return 0;
}

static void *read_coord(hid_t f, const char *name, hid_t mt, size_t elem, int *n);

/* The optional axes a file has: a coordinate named after one (all are float64). */
static int outer_axes_of_file(hid_t f, outer_axes *o)
{
    memset(o, 0, sizeof *o);
    for (int a = 0; a < CS_AXIS_COUNT; a++) {
        if (!axis_defs[a].optional || H5Lexists(f, axis_defs[a].name, H5P_DEFAULT) <= 0)
            continue;
        int k = o->n_axes++;
        o->id[k] = (cs_axis_id)a;
        if (!(o->values[k] = read_coord(f, axis_defs[a].name, H5T_NATIVE_DOUBLE, sizeof(double),
                                        &o->n[k])))
            return -1;
    }
    return 0;
}

static uint32_t schema_crc(const char *hash, const char *name, const char *yaml,
                           const char *const *act, int n_act, const int32_t *width, int n_w,
                           const double *sb2, int n_b, const double *sw2, int n_s,
                           const int64_t *seed, int n_seed, const outer_axes *outer)
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
    for (int k = 0; k < outer->n_axes; k++) /* none in a file without optional axes */
        crc = crc32(crc, (const Bytef *)outer->values[k], (uInt)outer->n[k] * sizeof(double));
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
    rc |= h5u_put_string_attr(c->file, "critsweep_version", CS_VERSION);
    rc |= h5u_put_string_attr(c->file, "sweep_yaml", s->yaml_text ? s->yaml_text : "");
    rc |= h5u_put_string_attr(c->file, "sweep_hash", s->hash_hex);
    rc |= h5u_put_string_attr(c->file, "sweep_name", s->name ? s->name : "");
    rc |= h5u_put_string_attr(c->file, "created", now);
    rc |= h5u_put_num_attr(c->file, "L_max", H5T_NATIVE_INT64, &lmax, 0);
    if (!axis_present(s, CS_AXIS_Q0)) /* else the q0 coordinate holds it */
        rc |= h5u_put_num_attr(c->file, "q0", H5T_NATIVE_DOUBLE, &s->avalanche.q0, 0);
    rc |= h5u_put_string_attr(c->file, "convention", convention_name(s->avalanche.convention));
    rc |= h5u_put_string_attr(c->file, "mode", mode_name(s->avalanche.mode));
    rc |= h5u_put_string_attr(c->file, "engine", engine_name(s->avalanche.engine));
    int32_t rev = s->avalanche.engine_revision;
    rc |= h5u_put_num_attr(c->file, "engine_revision", H5T_NATIVE_INT32, &rev, 0);
    rc |= h5u_put_num_attr(c->file, "n_tasks", H5T_NATIVE_INT64, &ntasks, 0);
    rc |= h5u_put_num_attr(c->file, "max_attempts", H5T_NATIVE_INT32, &maxatt, 0);
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
        outer_axes outer;
        rc |= outer_axes_of_sweep(s, &outer);
        uint32_t crc = schema_crc(s->hash_hex, s->name ? s->name : "",
                                  s->yaml_text ? s->yaml_text : "", act, s->n_activation, w,
                                  s->n_width, s->sigma_b2, s->n_sigma_b2, s->sigma_w2,
                                  s->n_sigma_w2, seeds, s->n_seed, &outer);
        outer_axes_free(&outer);
        rc |= h5u_put_num_attr(c->file, "schema_crc32", H5T_NATIVE_UINT32, &crc, 0);
    }
    free(act);
    free(w);
    free(seeds);
    return rc;
}

static void close_scales(creator *c)
{
    hid_t *ids[] = {&c->scale_act, &c->scale_width, &c->scale_sb2, &c->scale_sw2,
                    &c->scale_seed, &c->scale_q0, &c->scale_crit_weight, &c->scale_epoch, &c->scale_duration, &c->scale_size_bin,
                    &c->scale_shape_d, &c->scale_profile_x, &c->scale_reason,
                    &c->scale_dynrange_q};
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
    c.scale_crit_weight = -1;
    c.scale_epoch = c.scale_duration = c.scale_size_bin = c.scale_shape_d = -1;
    c.scale_profile_x = c.scale_reason = c.scale_dynrange_q = -1;
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

/* A new results file may go to path: it does not exist and its directory is writable. */
static int check_new_path(const char *path, cs_err *err)
{
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
    return 0;
}

/* The temporary name of this process's creation (stale ones of this host removed);
 * NULL if out of memory. */
static char *temporary_name(const char *path)
{
    char host[64] = "host";
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = 0;
    for (char *h = host; *h; h++)
        if (*h == '/' || *h == '.')
            *h = '_';
    remove_stale_temporaries(path, host);
    size_t n = strlen(path) + strlen(host) + 48;
    char *tmp = malloc(n);
    if (tmp)
        snprintf(tmp, n, "%s.partial-create.%s.%ld", path, host, (long)getpid());
    return tmp;
}

/* Waits for the creating child; its exit code, with its message in *child_err. */
static int wait_creator(pid_t pid, int fd, cs_err *child_err)
{
    size_t got = 0;
    while (got < sizeof *child_err) {
        ssize_t r = read(fd, (char *)child_err + got, sizeof *child_err - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFSIGNALED(status))
        cs_fail(child_err, CS_EXIT_ERROR, "creating the file crashed (signal %d; disk "
                                          "full?); nothing was left behind",
                WTERMSIG(status));
    else if (WEXITSTATUS(status) != 0 && got < sizeof *child_err)
        cs_fail(child_err, WEXITSTATUS(status), "creating the file failed (exit %d)",
                WEXITSTATUS(status));
    return WIFSIGNALED(status) ? CS_EXIT_ERROR : WEXITSTATUS(status);
}

/* Creates tmp in a child process.  The child only runs serial HDF5 and leaves with
 * _exit: no MPI call, no exit-time handler, so a crash of HDF5's clean-up after a failed
 * write stays in the child. */
static int create_in_child(const char *tmp, const cs_sweep *s, const store_run *first_run,
                           cs_err *child_err)
{
    int pfd[2] = {-1, -1};
    fflush(stdout);
    fflush(stderr);
    pid_t pid = pipe2(pfd, O_CLOEXEC) == 0 ? fork() : -1;
    if (pid == 0) {
        close(pfd[0]);
        int crc = create_file(tmp, s, first_run, child_err);
        if (crc) {
            unlink(tmp);
            ssize_t w = write(pfd[1], child_err, sizeof *child_err);
            (void)w;
        }
        _exit(crc);
    }
    if (pid < 0) {
        /* No fork (or no pipe): create in this process. */
        if (pfd[0] >= 0) {
            close(pfd[0]);
            close(pfd[1]);
        }
        return create_file(tmp, s, first_run, child_err);
    }
    close(pfd[1]);
    return wait_creator(pid, pfd[0], child_err);
}

char *store_temporary_name(const char *path)
{
    return temporary_name(path);
}

int store_create_temporary(const char *tmp, const cs_sweep *s, cs_err *err)
{
    h5u_quiet();
    unlink(tmp); /* ours by name: this very process */
    int rc = create_in_child(tmp, s, NULL, err);
    if (rc)
        unlink(tmp);
    return rc;
}

/* link() refuses to replace an existing name, unlike rename(): of two runs creating
 * the same file, exactly one wins. */
static int link_into_place(const char *tmp, const char *path, cs_err *err)
{
    if (link(tmp, path) == 0)
        return 0;
    int e = errno;
    if (e == EEXIST)
        return cs_fail(err, CS_EXIT_USAGE, "%s: another critsweep run is creating/writing "
                                           "this file (it appeared while this run created "
                                           "it); not replaced", path);
    if (rename(tmp, path) != 0) /* file systems without hard links */
        return cs_fail(err, CS_EXIT_USAGE, "%s: cannot move %s into place: %s", path, tmp,
                       strerror(e));
    return 0;
}

int store_create(const char *path, const cs_sweep *s, const store_run *first_run, int *lock_fd,
                 cs_err *err)
{
    if (lock_fd)
        *lock_fd = -1;
    h5u_quiet();
    int rc = check_new_path(path, err);
    if (rc)
        return rc;
    char *tmp = temporary_name(path);
    if (!tmp)
        return cs_fail(err, CS_EXIT_ERROR, "out of memory");
    unlink(tmp); /* ours by name: this very process */
    cs_err child_err = {0, ""};
    if ((rc = create_in_child(tmp, s, first_run, &child_err))) {
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
    rc = link_into_place(tmp, path, err);
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
    h5u_quiet();
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
    /* A run holding the file open must not block readers. */
    hid_t fapl = h5u_fapl_nolock();
    hid_t f = fapl >= 0 ? H5Fopen(path, H5F_ACC_RDONLY, fapl) : -1;
    if (fapl >= 0)
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

/* What a reader trusts a file for: its identity (root attributes) and its coordinates,
 * as validate_structure reads them. */
typedef struct {
    char *hash, *name, *yaml;
    outer_axes outer;          /* optional axes, outermost */
    int n[NDIM_TASK];
    char **act;
    int32_t *width;
    double *sb2, *sw2;
    int64_t *seed;
} file_identity;

static void identity_free(file_identity *id)
{
    if (id->act)
        for (int i = 0; i < id->n[0]; i++)
            free(id->act[i]);
    free(id->act);
    free(id->width);
    free(id->sb2);
    free(id->sw2);
    free(id->seed);
    free(id->hash);
    free(id->name);
    free(id->yaml);
    outer_axes_free(&id->outer);
}

/* The coordinates; activation's variable-length strings live in the global heap. */
static void identity_read_coords(hid_t f, file_identity *id)
{
    hid_t vt = h5u_vlen_utf8();
    char **tmp = read_coord(f, "activation", vt, sizeof(char *), &id->n[0]);
    if (tmp) {
        id->act = calloc((size_t)id->n[0], sizeof *id->act);
        for (int i = 0; i < id->n[0]; i++) {
            if (id->act)
                id->act[i] = strdup(tmp[i] ? tmp[i] : "");
            if (tmp[i])
                H5free_memory(tmp[i]);
        }
        free(tmp);
    }
    H5Tclose(vt);
    id->width = read_coord(f, "width", H5T_NATIVE_INT32, sizeof *id->width, &id->n[1]);
    id->sb2 = read_coord(f, "sigma_b2", H5T_NATIVE_DOUBLE, sizeof *id->sb2, &id->n[2]);
    id->sw2 = read_coord(f, "sigma_w2", H5T_NATIVE_DOUBLE, sizeof *id->sw2, &id->n[3]);
    id->seed = read_coord(f, "seed", H5T_NATIVE_INT64, sizeof *id->seed, &id->n[4]);
}

#define DAMAGED(...) cs_fail(err, CS_EXIT_USAGE, __VA_ARGS__)

/* The sweep hash, the coordinates, the task count and the schema checksum. */
static int check_identity(hid_t f, const char *path, file_identity *id, store_integrity *g,
                          cs_err *err)
{
    id->hash = store_read_string_attr(f, "sweep_hash");
    id->name = store_read_string_attr(f, "sweep_name");
    id->yaml = store_read_string_attr(f, "sweep_yaml");
    if (!id->hash || H5Lexists(f, "status", H5P_DEFAULT) <= 0)
        return DAMAGED("%s: not a critsweep results file (no sweep_hash or status; damaged?); "
                       "nothing was changed", path);
    if (strlen(id->hash) != 16 || strspn(id->hash, "0123456789abcdef") != 16)
        return DAMAGED("%s is damaged: its sweep_hash attribute is not a hash; nothing was "
                       "changed", path);
    identity_read_coords(f, id);
    if (outer_axes_of_file(f, &id->outer))
        return DAMAGED("%s is damaged: an optional axis' coordinate cannot be read; nothing "
                       "was changed", path);
    for (int k = 0; k < NDIM_TASK; k++)
        if (!id->n[k] || (k == 0 && !id->act))
            return DAMAGED("%s is damaged: its coordinate '%s' cannot be read; nothing was "
                           "changed", path, store_axis_names[k]);
    long n_tasks = (long)id->n[0] * id->n[1] * id->n[2] * id->n[3] * id->n[4];
    for (int k = 0; k < id->outer.n_axes; k++)
        n_tasks *= id->outer.n[k];
    g->n_tasks = n_tasks;
    int64_t nt_attr = -1;
    if (H5Aexists(f, "n_tasks") > 0) {
        if (h5u_num_attr(f, "n_tasks", H5T_NATIVE_INT64, &nt_attr))
            nt_attr = -2; /* unreadable */
        if (nt_attr != n_tasks)
            return DAMAGED("%s is damaged: %ld tasks by its coordinates, %lld by its n_tasks "
                           "attribute; nothing was changed", path, n_tasks, (long long)nt_attr);
    }
    if (H5Aexists(f, "schema_crc32") > 0) {
        uint32_t want = 0;
        int ok = !h5u_num_attr(f, "schema_crc32", H5T_NATIVE_UINT32, &want);
        uint32_t have = schema_crc(id->hash, id->name ? id->name : "", id->yaml ? id->yaml : "",
                                   (const char *const *)id->act, id->n[0], id->width, id->n[1],
                                   id->sb2, id->n[2], id->sw2, id->n[3], id->seed, id->n[4],
                                   &id->outer);
        if (!ok || have != want)
            return DAMAGED("%s is damaged: its coordinates or root attributes (sweep hash, "
                           "name, YAML text) do not match their checksum; nothing was changed",
                           path);
    }
    return 0;
}

/* Every per-task dataset's shape, type and space. */
static int check_task_datasets(hid_t f, const char *path, const hsize_t *axes, int nd,
                               off_t fsize, int strict, int *has_checksums, cs_err *err)
{
    const char *why;
    for (int i = 0; i < N_FIELDS; i++) {
        const store_field *fl = &field_defs[i].f;
        int tr = fl->trailing == STORE_TR_NONE ? 0 : fl->trailing == STORE_TR_PROFILE ? 2 : 1;
        size_t ts = fl->type == STORE_F64 || fl->type == STORE_I64 ? 8 : fl->type == STORE_I32 ? 4 : 1;
        H5T_class_t cls = fl->type == STORE_F64 ? H5T_FLOAT
                        : fl->type == STORE_CHAR ? H5T_STRING : H5T_INTEGER;
        if (H5Lexists(f, fl->name, H5P_DEFAULT) <= 0 && (!strict || i >= QUANTITY_FIRST_AFTER_0_2_0))
            continue; /* a field newer than a 0.1.0 file, or than a 0.2.x one */
        if ((why = check_dataset(f, fl->name, axes, nd, nd + tr, nd + tr, cls, ts, fsize, strict, NULL)))
            return DAMAGED("%s is damaged: dataset '%s' %s; nothing was changed", path, fl->name, why);
    }
    if ((why = check_dataset(f, "status", axes, nd, nd, nd, H5T_INTEGER, 1, fsize, strict, NULL)))
        return DAMAGED("%s is damaged: dataset 'status' %s; nothing was changed", path, why);
    if ((why = check_dataset(f, "attempts", axes, nd, nd, nd, H5T_INTEGER, 4, fsize, strict, NULL)))
        return DAMAGED("%s is damaged: dataset 'attempts' %s; nothing was changed", path, why);
    if ((why = check_dataset(f, "failure_reason", axes, nd, nd + 1, nd + 1, H5T_STRING, 1, fsize, strict, NULL)))
        return DAMAGED("%s is damaged: dataset 'failure_reason' %s; nothing was changed", path, why);
    *has_checksums = H5Lexists(f, "checksum", H5P_DEFAULT) > 0;
    if (strict && !*has_checksums)
        return DAMAGED("%s is damaged: dataset 'checksum' is missing; nothing was changed", path);
    if (*has_checksums &&
        (why = check_dataset(f, "checksum", axes, nd, nd, nd, H5T_INTEGER, 4, fsize, strict, NULL)))
        return DAMAGED("%s is damaged: dataset 'checksum' %s; nothing was changed", path, why);
    return 0;
}

/* Derived datasets: reserved in files since 0.2.0, written later by 0.1.0's phase; those
 * added after 0.2.0 may be missing from a file of 0.2.x. */
static int check_derived_datasets(hid_t f, const char *path, const hsize_t *axes, int n_outer,
                                  off_t fsize, int strict, cs_err *err)
{
    for (int i = 0; i < N_DERIVED; i++) {
        const store_derived_field *df = &derived_defs[i];
        if (H5Lexists(f, df->name, H5P_DEFAULT) <= 0) {
            if (strict && !df->added) /* what 0.2.0 did not make is optional */
                return DAMAGED("%s is damaged: derived dataset '%s' is missing; nothing was "
                               "changed", path, df->name);
            continue;
        }
        hsize_t dax[CS_AXIS_COUNT + 4];
        for (int k = 0; k < n_outer; k++)
            dax[k] = axes[k];
        for (int k = 0; k < df->rank; k++)
            for (int a = 0; a < NDIM_TASK; a++)
                if (!strcmp(df->dims[k], store_axis_names[a]))
                    dax[n_outer + k] = axes[n_outer + a];
        int rank = n_outer + df->rank;
        const char *why = check_dataset(f, df->name, dax, rank, rank, rank,
                                        df->is_int ? H5T_INTEGER : H5T_FLOAT,
                                        df->is_int ? 4 : 8, fsize, strict, NULL);
        if (why)
            return DAMAGED("%s is damaged: derived dataset '%s' %s; nothing was changed", path,
                           df->name, why);
    }
    return 0;
}

/* The structural checks, run under the deadline.  0 or CS_EXIT_USAGE. */
static int validate_structure(hid_t f, const char *path, off_t fsize, store_integrity *g,
                              int *has_checksums, cs_err *err)
{
    file_identity id;
    memset(&id, 0, sizeof id);
    int rc = check_identity(f, path, &id, g, err);
    hsize_t axes[CS_AXIS_COUNT];
    int n_outer = id.outer.n_axes, nd = n_outer + NDIM_TASK;
    for (int k = 0; k < n_outer; k++)
        axes[k] = (hsize_t)id.outer.n[k];
    for (int k = 0; k < NDIM_TASK; k++)
        axes[n_outer + k] = (hsize_t)id.n[k];
    identity_free(&id);
    const int strict = H5Aexists(f, "schema_crc32") > 0; /* made by critsweep 0.2.0 on */
    if (!rc)
        rc = check_task_datasets(f, path, axes, nd, fsize, strict, has_checksums, err);
    if (!rc)
        rc = check_derived_datasets(f, path, axes, n_outer, fsize, strict, err);
    if (!rc) {
        store_run *rows = NULL;
        long nr = 0;
        cs_err e2 = {0, ""};
        if (store_read_runs(f, &rows, &nr, &e2))
            rc = DAMAGED("%s is damaged: its runs table cannot be read; nothing was changed",
                         path);
        free(rows);
    }
    return rc;
}
#undef DAMAGED

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
        hid_t mt = fl->type == STORE_CHAR ? h5u_char_type()
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
    hid_t ct = h5u_char_type();
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

static hid_t open_rdwr_serial(const char *path, cs_err *err);

int store_rewrite_checksums(const char *path, long n_tasks, cs_err *err)
{
    hid_t f = open_rdwr_serial(path, err);
    if (f < 0)
        return err->code;
    int8_t *status = malloc((size_t)n_tasks);
    uint32_t *crc = malloc((size_t)n_tasks * sizeof *crc);
    int rc = !status || !crc ? cs_fail(err, CS_EXIT_ERROR, "out of memory") : 0;
    if (!rc && read_whole(f, "status", H5T_NATIVE_INT8, status, n_tasks, path, err))
        rc = err->code;
    if (!rc)
        rc = verify_rows(f, path, status, crc, n_tasks, err);
    hid_t d = rc ? -1 : H5Dopen2(f, "checksum", H5P_DEFAULT);
    if (!rc && (d < 0 || H5Dwrite(d, H5T_NATIVE_UINT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, crc) < 0))
        rc = cs_fail(err, CS_EXIT_ERROR, "%s: writing the checksums failed (disk full?)", path);
    if (d >= 0)
        H5Dclose(d);
    if (H5Fclose(f) < 0 && !rc)
        rc = cs_fail(err, CS_EXIT_ERROR, "%s: closing failed (disk full?)", path);
    free(status);
    free(crc);
    return rc;
}

/* Opens path read-only (*f) and checks its structure, under the deadline. */
static int open_validated(const char *path, store_integrity *g, int *has_ck, hid_t *f,
                          cs_err *err)
{
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
    hid_t fapl = h5u_fapl_nolock();
    *f = fapl >= 0 ? H5Fopen(path, H5F_ACC_RDONLY, fapl) : -1;
    if (fapl >= 0)
        H5Pclose(fapl);
    if (*f < 0) {
        cs_watchdog_disarm();
        return cs_fail(err, CS_EXIT_USAGE, "%s: HDF5 cannot open it (damaged or truncated?); "
                                           "nothing was changed", path);
    }
    int rc = validate_structure(*f, path, st.st_size, g, has_ck, err);
    cs_watchdog_disarm();
    if (rc) {
        H5Fclose(*f);
        *f = -1;
    }
    return rc;
}

/* Marks row t damaged; nonzero if out of memory. */
static int mark_damaged(store_integrity *g, long t, cs_err *err)
{
    if (!g->damaged && !(g->damaged = calloc((size_t)g->n_tasks, 1)))
        return cs_fail(err, CS_EXIT_ERROR, "out of memory");
    g->damaged[t] = 1;
    return 0;
}

/* Status bytes outside 0..3 are damage. */
static int check_status_bytes(hid_t f, const char *path, int8_t *status, store_integrity *g,
                              cs_err *err)
{
    long n = g->n_tasks;
    if (read_whole(f, "status", H5T_NATIVE_INT8, status, n, path, err))
        return cs_fail(err, CS_EXIT_USAGE, "%s is damaged: its status cannot be read; "
                                           "nothing was changed", path);
    for (long t = 0; t < n; t++)
        if (status[t] < CS_STATUS_PENDING || status[t] > CS_STATUS_DIVERGED) {
            if (mark_damaged(g, t, err))
                return CS_EXIT_ERROR;
            g->n_bad_status++;
        }
    return 0;
}

/* Finished rows whose checksum does not match are damage. */
static int check_row_checksums(hid_t f, const char *path, const int8_t *status,
                               store_integrity *g, cs_err *err)
{
    long n = g->n_tasks;
    uint32_t *want = malloc((size_t)n * sizeof *want);
    uint32_t *have = malloc((size_t)n * sizeof *have);
    int rc = 0;
    if (!want || !have)
        rc = cs_fail(err, CS_EXIT_ERROR, "out of memory");
    else if (read_whole(f, "checksum", H5T_NATIVE_UINT32, want, n, path, err) ||
             verify_rows(f, path, status, have, n, err))
        rc = err && err->code ? err->code : CS_EXIT_USAGE;
    for (long t = 0; !rc && t < n; t++) {
        if (status[t] == CS_STATUS_PENDING || (g->damaged && g->damaged[t]) ||
            want[t] == have[t])
            continue;
        if ((rc = mark_damaged(g, t, err)))
            break;
        g->n_bad_checksum++;
    }
    g->rows_verified = !rc;
    free(want);
    free(have);
    return rc;
}

int store_validate(const char *path, int verify, store_integrity *g, cs_err *err)
{
    store_integrity local;
    if (!g)
        g = &local;
    memset(g, 0, sizeof *g);
    h5u_quiet();
    int has_ck = 0;
    hid_t f = -1;
    int rc = open_validated(path, g, &has_ck, &f, err);
    g->has_checksums = has_ck;
    if (rc)
        return rc;
    long n = g->n_tasks;
    int8_t *status = malloc((size_t)(n > 0 ? n : 1));
    rc = !status ? cs_fail(err, CS_EXIT_ERROR, "out of memory for %ld tasks", n)
                 : check_status_bytes(f, path, status, g, err);
    if (!rc && verify && has_ck)
        rc = check_row_checksums(f, path, status, g, err);
    free(status);
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
        hid_t vt = h5u_vlen_utf8();
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

/* 1 when every value of sub is in sup (both sorted ascending). */
static int sorted_subset(const double *sub, int n, const double *sup, int m)
{
    int j = 0;
    for (int i = 0; i < n; i++) {
        while (j < m && sup[j] < sub[i])
            j++;
        if (j == m || sup[j] != sub[i])
            return 0;
    }
    return 1;
}

/* The file's values of axis a (as doubles; seeds converted), malloc'd; *n their count. */
static double *file_axis(hid_t f, cs_axis_id a, int *n)
{
    if (axis_defs[a].type != CS_AXIS_T_SEED)
        return read_coord(f, axis_defs[a].name, H5T_NATIVE_DOUBLE, sizeof(double), n);
    int64_t *k = read_coord(f, axis_defs[a].name, H5T_NATIVE_INT64, sizeof *k, n);
    double *v = k ? malloc((size_t)(*n > 0 ? *n : 1) * sizeof *v) : NULL;
    for (int i = 0; v && i < *n; i++)
        v[i] = (double)k[i];
    free(k);
    return v;
}

/* Replaces s's values of axis a by the file's v (n), keeping a plain axis' own as base. */
static int adopt_axis(cs_sweep *s, cs_axis_id a, const double *v, int n)
{
    const cs_axis_def *d = &axis_defs[a];
    int have = axis_count(s, a);
    void **slot = (void **)((char *)s + d->values_at);
    if (!s->adaptive[a].on && !s->base[a] && d->type == CS_AXIS_T_REAL) {
        if (!(s->base[a] = malloc((size_t)have * sizeof(double))))
            return -1;
        memcpy(s->base[a], *slot, (size_t)have * sizeof(double));
        s->n_base[a] = have;
    }
    size_t elem = d->type == CS_AXIS_T_SEED ? sizeof(uint64_t) : sizeof(double);
    void *nv = malloc(elem * (size_t)n);
    if (!nv)
        return -1;
    for (int i = 0; i < n; i++) {
        if (d->type == CS_AXIS_T_SEED)
            ((uint64_t *)nv)[i] = (uint64_t)v[i];
        else
            ((double *)nv)[i] = v[i];
    }
    free(*slot);
    *slot = nv;
    *(int *)((char *)s + d->count_at) = n;
    return 0;
}

/* Whether the file's values v of a growable axis a are a growth of s's. */
static int is_growth(const cs_sweep *s, cs_axis_id a, const double *v, int n)
{
    int have = axis_count(s, a);
    double *mine = malloc((size_t)(have > 0 ? have : 1) * sizeof *mine);
    if (!mine)
        return 0;
    for (int i = 0; i < have; i++)
        mine[i] = axis_value(s, a, i);
    int ok = n >= have && sorted_subset(mine, have, v, n);
    const cs_adaptive *ad = &s->adaptive[a];
    for (int i = 0; ok && i < n; i++) {
        ok = i == 0 || v[i] > v[i - 1];
        if (ad->on && a != CS_AXIS_SEED)
            ok = ok && v[i] >= ad->start && v[i] <= ad->stop;
    }
    free(mine);
    return ok;
}

int store_adopt_grown_axes(const char *path, cs_sweep *s, int *grown, cs_err *err)
{
    *grown = 0;
    hid_t f = store_open_read(path, err);
    if (f < 0)
        return err->code;
    char *axes = store_read_string_attr(f, "grown_axes");
    int rc = 0;
    for (int a = 0; a < CS_AXIS_COUNT && !rc; a++) {
        const char *name = axis_defs[a].name;
        size_t ln = strlen(name);
        const char *hit = axes ? strstr(axes, name) : NULL;
        int listed = hit && (hit[ln] == 0 || hit[ln] == ',');
        if (!axis_defs[a].can_grow || (!s->adaptive[a].on && !listed))
            continue;
        int n = 0;
        double *v = file_axis(f, (cs_axis_id)a, &n);
        if (v && n == axis_count(s, (cs_axis_id)a) && is_growth(s, (cs_axis_id)a, v, n)) {
            free(v);
            continue;
        }
        if (!v || !is_growth(s, (cs_axis_id)a, v, n))
            rc = cs_fail(err, CS_EXIT_USAGE, "%s: its %s values are not this sweep's grid "
                         "grown by rounds (another sweep?); nothing was changed (use --fresh "
                         "to start over)", path, name);
        else if (adopt_axis(s, (cs_axis_id)a, v, n))
            rc = cs_fail(err, CS_EXIT_ERROR, "out of memory");
        else
            *grown = 1;
        free(v);
    }
    free(axes);
    H5Fclose(f);
    return rc;
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
    long long npts = 0;
    switch (h5u_read_whole(f, name, mtype, buf, n, &npts)) {
    case H5U_OK: return 0;
    case H5U_MISSING: return cs_fail(err, CS_EXIT_USAGE, "%s: no dataset %s", path, name);
    case H5U_SIZE:
        return cs_fail(err, CS_EXIT_USAGE, "%s: %s has %lld elements, expected %ld", path, name,
                       npts, n);
    default: return cs_fail(err, CS_EXIT_ERROR, "%s: reading %s failed", path, name);
    }
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
    h5u_quiet();
    hid_t fapl = h5u_fapl_nolock(); /* `run` holds its own lock on the file */
    hid_t f = fapl >= 0 ? H5Fopen(path, H5F_ACC_RDWR, fapl) : -1;
    if (fapl >= 0)
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
        rc |= H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &one, NULL) < 0 ||
              H5Dwrite(run, H5T_NATIVE_INT32, ms, fs, H5P_DEFAULT, &v) < 0;
        H5Sclose(fs);
        H5Sclose(ms);
    }
    store_run copy = *r; /* zero-padded fields for a deterministic file */
    hid_t mt = runs_mem_type();
    hid_t fs = H5Dget_space(runs), ms = H5Screate_simple(1, &one, NULL);
    rc |= H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &one, NULL) < 0 ||
          H5Dwrite(runs, mt, ms, fs, H5P_DEFAULT, &copy) < 0;
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
    h5u_quiet();
    store_writer_init(w);
    w->sweep = s;
    w->path = strdup(path);
    trailing_lengths(s, &w->epochs, &w->depth, &w->n_profile_d);
    hid_t fapl;
    if (comm != MPI_COMM_NULL) {
        fapl = H5Pcreate(H5P_FILE_ACCESS);
        if (fapl < 0 || H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL) < 0) {
            if (fapl >= 0)
                H5Pclose(fapl);
            return cs_fail(err, CS_EXIT_ERROR, "%s: HDF5 cannot set up its MPI-IO driver "
                           "(is this HDF5 built for parallel I/O, with this MPI?)", path);
        }
    } else {
        /* Like the MPI-IO driver, take no HDF5 lock, so h5py and `critsweep status` can
         * read while a single-process run writes; `run` keeps out a second writer with
         * its own lock. */
        if ((fapl = h5u_fapl_nolock()) < 0)
            return cs_fail(err, CS_EXIT_ERROR, "%s: HDF5 cannot set up file access", path);
    }
    /* No sieve buffer: a cached row could reach the file after its status. */
    if (H5Pset_sieve_buf_size(fapl, 0) < 0) {
        H5Pclose(fapl);
        return cs_fail(err, CS_EXIT_ERROR, "%s: HDF5 cannot turn off its sieve buffer", path);
    }
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
    /* A file of critsweep 0.1.0 lacks the quantities added since, one of 0.2.x those added
     * after it: they are not written there (a new dataset would change the file's
     * metadata). */
    int legacy = H5Aexists(w->file, "schema_crc32") <= 0;
    for (int i = 0; i < N_FIELDS; i++) {
        if ((legacy || i >= QUANTITY_FIRST_AFTER_0_2_0) &&
            H5Lexists(w->file, field_defs[i].f.name, H5P_DEFAULT) <= 0)
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

/* Selects task's element (and all its trailing entries) in space; *n receives the number
 * of elements selected.  Nonzero if HDF5 refused the selection. */
static int select_task(const store_writer *w, hid_t space, long task, hsize_t *n_out)
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
    *n_out = n;
    return nd < NDIM_TASK || H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, count,
                                                 NULL) < 0;
}

/* Writes task's row of dataset d from buf (have values).  Nonzero if nothing or not all
 * was written: HDF5 failed, or buf is shorter than the row and the row is not 1-D. */
static int write_row(const store_writer *w, hid_t d, hid_t space, long task, hid_t mtype,
                     const void *buf, hsize_t have)
{
    hsize_t n;
    if (select_task(w, space, task, &n))
        return -1;
    if (n == 0)
        return 0;
    if (have < n) {
        /* Fewer values than the file holds (a shorter array): write what we have. */
        int at[CS_AXIS_COUNT];
        int nd_task = grid_dim_indices(w->sweep, task, at);
        hsize_t dims[CS_AXIS_COUNT + 2];
        int nd = H5Sget_simple_extent_dims(space, dims, NULL);
        if (have == 0 || nd != nd_task + 1)
            return -1;
        hsize_t start[CS_AXIS_COUNT + 1], count[CS_AXIS_COUNT + 1];
        for (int i = 0; i < nd_task; i++)
            start[i] = (hsize_t)at[i], count[i] = 1;
        start[nd_task] = 0, count[nd_task] = have;
        if (H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, count, NULL) < 0)
            return -1;
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
    hid_t ct = h5u_char_type();
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
        const quantity_def *q = &quantity_defs[i];
        int e = 0;
        if (w->dset[i] < 0)
            continue; /* a quantity newer than this (0.1.0) file, which has no checksums */
        if (q->src == QUANTITY_SRC_D) {
            double v = quantity_double(q, r);
            crc = store_row_crc_add(crc, &v, sizeof v);
            e = write_row(w, w->dset[i], w->space[i], task, H5T_NATIVE_DOUBLE, &v, 1);
        } else if (q->src == QUANTITY_SRC_L || q->src == QUANTITY_SRC_I) {
            int64_t v = (int64_t)quantity_integer(q, r);
            crc = store_row_crc_add(crc, &v, sizeof v);
            e = write_row(w, w->dset[i], w->space[i], task, H5T_NATIVE_INT64, &v, 1);
        } else if (q->src == QUANTITY_SRC_T) {
            e = write_chars(w, w->dset[i], w->space[i], task, quantity_text(q, r), &crc);
        } else {
            hsize_t n = row_length(w->sweep, w->space[i]);
            long have;
            const double *a = quantity_array(q, r, &have);
            if (!a && have) {
                bad = "an array quantity (no values)";
                break;
            }
            if (n > cap) {
                free(row);
                cap = n;
                if (!(row = malloc(cap * sizeof *row))) {
                    bad = "memory";
                    break;
                }
            }
            for (hsize_t k = 0; k < n; k++)
                row[k] = a && k < (hsize_t)have ? a[k] : NAN;
            crc = store_row_crc_add(crc, row, n * sizeof *row);
            if (n)
                e = write_row(w, w->dset[i], w->space[i], task, H5T_NATIVE_DOUBLE, row, n);
        }
        if (e)
            bad = q->name;
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

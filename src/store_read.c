/* store_read.c — a results file opened for reading (store_read.h): serial, read-only,
 * HDF5's file locking off, validated first by store_validate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "critsweep/axis.h"
#include "critsweep/h5util.h"
#include "critsweep/store.h"
#include "critsweep/store_read.h"

const char *const store_axis_names[STORE_N_AXES] = {"activation", "width", "sigma_b2",
                                                    "sigma_w2", "seed"};

static hid_t fid_of(const store_reader *r)
{
    return (hid_t)r->fid;
}

void store_reader_close(store_reader *r)
{
    if (r->fid > 0)
        H5Fclose(fid_of(r));
    if (r->activation)
        for (int i = 0; i < r->n[STORE_AX_ACTIVATION]; i++)
            free(r->activation[i]);
    free(r->activation);
    free(r->width);
    free(r->sigma_b2);
    free(r->sigma_w2);
    free(r->seed);
    for (int k = 0; k < r->n_outer; k++)
        free(r->outer[k]);
    free(r->status);
    free(r->attempts);
    free(r->path);
    store_integrity_free(&r->integ);
    memset(r, 0, sizeof *r);
}

static int open_file(store_reader *r, cs_err *err)
{
    hid_t f = store_open_read(r->path, err);
    if (f < 0)
        return err && err->code ? err->code : CS_EXIT_USAGE;
    r->fid = f;
    return 0;
}

void store_reader_suspend(store_reader *r)
{
    if (r->fid > 0)
        H5Fclose(fid_of(r));
    r->fid = 0;
}

int store_reader_resume(store_reader *r, cs_err *err)
{
    if (r->fid > 0)
        return 0;
    return open_file(r, err);
}

/* A 1-D coordinate of numbers, its length from the file. */
static int read_axis(store_reader *r, int a, hid_t mt, size_t elem, void **out, cs_err *err)
{
    const char *name = store_axis_names[a];
    long m = h5u_len1(fid_of(r), name);
    if (m < 0)
        return cs_fail(err, CS_EXIT_USAGE, "%s: no coordinate %s (not a critsweep results "
                       "file?)", r->path, name);
    r->n[a] = (int)m;
    if (!(*out = calloc((size_t)(m > 0 ? m : 1), elem)))
        return cs_fail(err, CS_EXIT_ERROR, "%s: out of memory reading the axes", r->path);
    if (m > 0 && h5u_read_whole(fid_of(r), name, mt, *out, m, NULL) != H5U_OK)
        return cs_fail(err, CS_EXIT_USAGE, "%s: cannot read %s", r->path, name);
    return 0;
}

static int read_activations(store_reader *r, cs_err *err)
{
    long m = h5u_len1(fid_of(r), "activation");
    if (m < 0)
        return cs_fail(err, CS_EXIT_USAGE, "%s: no activation coordinate (not a critsweep "
                       "results file?)", r->path);
    r->n[STORE_AX_ACTIVATION] = (int)m;
    if (!(r->activation = calloc((size_t)m + 1, sizeof *r->activation)))
        return cs_fail(err, CS_EXIT_ERROR, "%s: out of memory reading the axes", r->path);
    if (m > 0 && h5u_read_strings(fid_of(r), "activation", (int)m, r->activation) != H5U_OK)
        return cs_fail(err, CS_EXIT_USAGE, "%s: cannot read the activation coordinate",
                       r->path);
    return 0;
}

/* A per-task dataset read whole as memory type mt (status, attempts). */
static int read_tasks(const store_reader *r, const char *name, hid_t mt, void *buf,
                      cs_err *err)
{
    h5u_status st = h5u_read_whole(fid_of(r), name, mt, buf, r->n_tasks, NULL);
    if (st == H5U_MISSING)
        return cs_fail(err, CS_EXIT_USAGE, "%s: no dataset %s", r->path, name);
    if (st != H5U_OK)
        return cs_fail(err, CS_EXIT_USAGE, "%s: cannot read %s", r->path, name);
    return 0;
}

/* The optional axes the file has: a coordinate named after one (float64). */
static int read_outer_axes(store_reader *r, cs_err *err)
{
    for (int a = 0; a < CS_AXIS_COUNT; a++) {
        const char *name = axis_defs[a].name;
        if (!axis_defs[a].optional || !store_reader_has(r, name))
            continue;
        if (r->n_outer == STORE_MAX_OUTER)
            return cs_fail(err, CS_EXIT_USAGE, "%s: more than %d optional axes", r->path,
                           STORE_MAX_OUTER);
        int k = r->n_outer++;
        long m = h5u_len1(fid_of(r), name);
        r->outer_name[k] = name;
        r->outer_n[k] = (int)(m > 0 ? m : 0);
        if (m <= 0 || !(r->outer[k] = malloc((size_t)m * sizeof(double))) ||
            h5u_read_whole(fid_of(r), name, H5T_NATIVE_DOUBLE, r->outer[k], m, NULL) != H5U_OK)
            return cs_fail(err, CS_EXIT_USAGE, "%s: cannot read the coordinate %s", r->path,
                           name);
    }
    return 0;
}

static int read_contents(store_reader *r, cs_err *err)
{
    int rc;
    if ((rc = read_activations(r, err)) ||
        (rc = read_axis(r, STORE_AX_WIDTH, H5T_NATIVE_INT32, 4, (void **)&r->width, err)) ||
        (rc = read_axis(r, STORE_AX_SIGMA_B2, H5T_NATIVE_DOUBLE, 8, (void **)&r->sigma_b2,
                        err)) ||
        (rc = read_axis(r, STORE_AX_SIGMA_W2, H5T_NATIVE_DOUBLE, 8, (void **)&r->sigma_w2,
                        err)) ||
        (rc = read_axis(r, STORE_AX_SEED, H5T_NATIVE_INT64, 8, (void **)&r->seed, err)) ||
        (rc = read_outer_axes(r, err)))
        return rc;
    r->slab_tasks = r->n_slabs = 1;
    for (int a = 0; a < STORE_N_AXES; a++)
        r->slab_tasks *= r->n[a];
    for (int k = 0; k < r->n_outer; k++)
        r->n_slabs *= r->outer_n[k];
    r->n_tasks = r->n_slabs * r->slab_tasks;
    size_t nt = (size_t)(r->n_tasks > 0 ? r->n_tasks : 1);
    r->status = malloc(nt);
    r->attempts = malloc(nt * sizeof *r->attempts);
    if (!r->status || !r->attempts)
        return cs_fail(err, CS_EXIT_ERROR, "%s: out of memory for %ld tasks", r->path,
                       r->n_tasks);
    if (r->n_tasks > 0 &&
        ((rc = read_tasks(r, "status", H5T_NATIVE_INT8, r->status, err)) ||
         (rc = read_tasks(r, "attempts", H5T_NATIVE_INT32, r->attempts, err))))
        return rc;
    return 0;
}

int store_reader_open(store_reader *r, const char *path, int verify_rows, cs_err *err)
{
    memset(r, 0, sizeof *r);
    h5u_quiet();
    int rc = store_validate(path, verify_rows, &r->integ, err);
    if (rc)
        return rc;
    if (!(r->path = strdup(path)))
        rc = cs_fail(err, CS_EXIT_ERROR, "out of memory");
    if (!rc)
        rc = open_file(r, err);
    if (!rc)
        rc = read_contents(r, err);
    if (rc)
        store_reader_close(r);
    return rc;
}

int store_task_completed(int8_t status)
{
    return status == CS_STATUS_DONE || status == CS_STATUS_DIVERGED;
}

int store_reader_axis_index(const store_reader *r, long t, int a)
{
    t %= r->slab_tasks;
    for (int k = STORE_N_AXES - 1; k > a; k--)
        t /= r->n[k];
    return (int)(t % r->n[a]);
}

void store_reader_axis_label(const store_reader *r, int a, int i, char *buf, size_t n)
{
    switch (a) {
    case STORE_AX_ACTIVATION: snprintf(buf, n, "%s", r->activation[i]); break;
    case STORE_AX_WIDTH: snprintf(buf, n, "%d", r->width[i]); break;
    case STORE_AX_SIGMA_B2: snprintf(buf, n, "%g", r->sigma_b2[i]); break;
    case STORE_AX_SIGMA_W2: snprintf(buf, n, "%g", r->sigma_w2[i]); break;
    default: snprintf(buf, n, "%lld", (long long)r->seed[i]); break;
    }
}

int store_reader_ndims(const store_reader *r)
{
    return r->n_outer + STORE_N_AXES;
}

const char *store_reader_dim_name(const store_reader *r, int k)
{
    return k < r->n_outer ? r->outer_name[k] : store_axis_names[k - r->n_outer];
}

int store_reader_dim_len(const store_reader *r, int k)
{
    return k < r->n_outer ? r->outer_n[k] : r->n[k - r->n_outer];
}

int store_reader_dim_index(const store_reader *r, long t, int k)
{
    if (k >= r->n_outer)
        return store_reader_axis_index(r, t, k - r->n_outer);
    long slab = t / r->slab_tasks;
    for (int j = r->n_outer - 1; j > k; j--)
        slab /= r->outer_n[j];
    return (int)(slab % r->outer_n[k]);
}

void store_reader_dim_label(const store_reader *r, int k, int i, char *buf, size_t n)
{
    if (k < r->n_outer)
        snprintf(buf, n, "%g", r->outer[k][i]);
    else
        store_reader_axis_label(r, k - r->n_outer, i, buf, n);
}

void store_reader_slab_label(const store_reader *r, long slab, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int k = 0; k < r->n_outer && used < n; k++) {
        char v[32];
        store_reader_dim_label(r, k, store_reader_dim_index(r, slab * r->slab_tasks, k), v,
                               sizeof v);
        used += (size_t)snprintf(buf + used, n - used, "%s%s=%s", k ? "_" : "",
                                 r->outer_name[k], v);
    }
}

int store_reader_has(const store_reader *r, const char *name)
{
    if (!name[0] || strchr(name, '/'))
        return 0;
    return H5Lexists(fid_of(r), name, H5P_DEFAULT) > 0;
}

long store_reader_len1(const store_reader *r, const char *name)
{
    return h5u_len1(fid_of(r), name);
}

static int no_dataset(const store_reader *r, const char *name, cs_err *err)
{
    return cs_fail(err, CS_EXIT_USAGE, "%s: no dataset '%s' (not a critsweep results file, or "
                   "written by a version without it)", r->path, name);
}

static int read_numbers(const store_reader *r, const char *name, hid_t mt, void *out, long n,
                        cs_err *err)
{
    long long np = 0;
    switch (h5u_read_whole(fid_of(r), name, mt, out, n, &np)) {
    case H5U_OK: return 0;
    case H5U_MISSING: return no_dataset(r, name, err);
    case H5U_SIZE:
        return cs_fail(err, CS_EXIT_USAGE, "%s: dataset '%s' has %lld elements, expected "
                       "%ld (the file's axes disagree with it)", r->path, name, np, n);
    default:
        return cs_fail(err, CS_EXIT_ERROR, "%s: cannot read dataset '%s' as numbers "
                       "(damaged file? check it with h5dump)", r->path, name);
    }
}

int store_reader_doubles(const store_reader *r, const char *name, double *out, long n,
                         cs_err *err)
{
    return read_numbers(r, name, H5T_NATIVE_DOUBLE, out, n, err);
}

int store_reader_int64(const store_reader *r, const char *name, int64_t *out, long n,
                       cs_err *err)
{
    return read_numbers(r, name, H5T_NATIVE_INT64, out, n, err);
}

/* Selects task t's row (all its trailing entries) in the file space sp. */
static int select_row(const store_reader *r, hid_t sp, long t)
{
    hsize_t dims[STORE_N_AXES + 2], start[STORE_N_AXES + 2], count[STORE_N_AXES + 2];
    int nd = H5Sget_simple_extent_ndims(sp);
    if (nd < STORE_N_AXES || nd > STORE_N_AXES + 2)
        return -1;
    H5Sget_simple_extent_dims(sp, dims, NULL);
    for (int k = 0; k < nd; k++) {
        start[k] = k < STORE_N_AXES ? (hsize_t)store_reader_axis_index(r, t, k) : 0;
        count[k] = k < STORE_N_AXES ? 1 : dims[k];
    }
    return H5Sselect_hyperslab(sp, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ? -1 : 0;
}

int store_reader_doubles_slab(const store_reader *r, const char *name, long first,
                              long count, long per, double *out, cs_err *err)
{
    if (first < 0 || count < 0 || first + count > r->n_tasks || per < 1)
        return cs_fail(err, CS_EXIT_ERROR, "%s: rows %ld..%ld of '%s' are outside its %ld "
                       "tasks", r->path, first, first + count - 1, name, r->n_tasks);
    hid_t d = H5Dopen2(fid_of(r), name, H5P_DEFAULT);
    if (d < 0)
        return no_dataset(r, name, err);
    hid_t sp = H5Dget_space(d);
    hsize_t n = (hsize_t)per;
    hid_t ms = H5Screate_simple(1, &n, NULL);
    int bad = sp < 0 || ms < 0 || H5Sget_simple_extent_npoints(sp) != r->n_tasks * per;
    for (long t = first; t < first + count && !bad; t++)
        bad = select_row(r, sp, t) || H5Dread(d, H5T_NATIVE_DOUBLE, ms, sp, H5P_DEFAULT,
                                              out + (t - first) * per) < 0;
    if (ms >= 0)
        H5Sclose(ms);
    if (sp >= 0)
        H5Sclose(sp);
    H5Dclose(d);
    if (bad)
        return cs_fail(err, CS_EXIT_ERROR, "%s: cannot read rows %ld..%ld of dataset '%s' "
                       "(%ld values per task) as numbers", r->path, first, first + count - 1,
                       name, per);
    return 0;
}

void store_reader_slab_index(const store_reader *r, long slab, unsigned long long *lead)
{
    for (int k = r->n_outer - 1; k >= 0; k--) {
        lead[k] = (unsigned long long)(slab % r->outer_n[k]);
        slab /= r->outer_n[k];
    }
}

int store_reader_slab_doubles(const store_reader *r, const char *name, long slab,
                              double *out, long n, cs_err *err)
{
    unsigned long long lead[STORE_MAX_OUTER];
    hsize_t hl[STORE_MAX_OUTER];
    store_reader_slab_index(r, slab, lead);
    for (int k = 0; k < r->n_outer; k++)
        hl[k] = (hsize_t)lead[k];
    switch (h5u_read_lead(fid_of(r), name, r->n_outer, hl, H5T_NATIVE_DOUBLE, out, n)) {
    case H5U_OK: return 0;
    case H5U_MISSING: return no_dataset(r, name, err);
    case H5U_SIZE:
        return cs_fail(err, CS_EXIT_USAGE, "%s: dataset '%s' does not have %ld elements per "
                       "slab of its optional axes", r->path, name, n);
    default:
        return cs_fail(err, CS_EXIT_USAGE, "%s: cannot read dataset '%s' as numbers", r->path,
                       name);
    }
}

int store_reader_strings(const store_reader *r, const char *name, char **out, cs_err *err)
{
    size_t nt = (size_t)(r->n_tasks > 0 ? r->n_tasks : 1);
    if (!(*out = calloc(nt, CS_REASON_LEN)))
        return cs_fail(err, CS_EXIT_ERROR, "out of memory");
    int rc = 0;
    hid_t ct = h5u_char_type();
    if (r->n_tasks > 0 && H5Lexists(fid_of(r), name, H5P_DEFAULT) > 0 &&
        h5u_read_whole(fid_of(r), name, ct, *out, -1, NULL) != H5U_OK)
        rc = cs_fail(err, CS_EXIT_USAGE, "%s: cannot read %s", r->path, name);
    H5Tclose(ct);
    for (long t = 0; t < r->n_tasks; t++)
        (*out)[(t + 1) * CS_REASON_LEN - 1] = 0;
    return rc;
}

char *store_reader_attr_string(const store_reader *r, const char *name)
{
    return h5u_string_attr(fid_of(r), name);
}

int store_reader_attr_double(const store_reader *r, const char *name, double *out)
{
    return h5u_num_attr(fid_of(r), name, H5T_NATIVE_DOUBLE, out);
}

int store_reader_attr_int64(const store_reader *r, const char *name, int64_t *out)
{
    return h5u_num_attr(fid_of(r), name, H5T_NATIVE_INT64, out);
}

int store_reader_runs(const store_reader *r, store_run **rows, long *n, cs_err *err)
{
    return store_read_runs(fid_of(r), rows, n, err);
}

int store_reader_derived_reserved(const store_reader *r)
{
    const store_derived_field *df;
    int n = store_derived_fields(&df);
    hid_t fid = fid_of(r);
    for (int i = 0; i < n; i++) {
        if (H5Lexists(fid, df[i].name, H5P_DEFAULT) <= 0) {
            if (df[i].added) /* a 0.2.x file: phase writes what it reserved */
                continue;
            return 0;
        }
        hid_t d = H5Dopen2(fid, df[i].name, H5P_DEFAULT);
        if (d < 0)
            return 0;
        hid_t sp = H5Dget_space(d);
        hssize_t np = H5Sget_simple_extent_npoints(sp);
        hsize_t have = H5Dget_storage_size(d);
        H5Sclose(sp);
        H5Dclose(d);
        if (np <= 0 || have != (hsize_t)np * (df[i].is_int ? 4 : 8))
            return 0;
    }
    return 1;
}

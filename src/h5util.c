/* h5util.c — HDF5 helpers shared by the results file's writer and readers (h5util.h). */
#include <stdlib.h>
#include <string.h>

#include "critsweep/h5util.h"

void h5u_quiet(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

hid_t h5u_vlen_utf8(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    return t;
}

hid_t h5u_char_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, 1);
    H5Tset_strpad(t, H5T_STR_NULLTERM);
    return t;
}

hid_t h5u_fapl_nolock(void)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0)
        return -1;
    if (H5Pset_fapl_sec2(fapl) < 0 || H5Pset_file_locking(fapl, 0, 1) < 0) {
        H5Pclose(fapl);
        return -1;
    }
    return fapl;
}

int h5u_put_string_attr(hid_t obj, const char *name, const char *value)
{
    hid_t t = h5u_vlen_utf8(), sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a < 0 || H5Awrite(a, t, &value) < 0;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
    return rc;
}

int h5u_put_num_attr(hid_t obj, const char *name, hid_t type, const void *v, hsize_t n)
{
    hid_t sp = n ? H5Screate_simple(1, &n, NULL) : H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, type, sp, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a < 0 || H5Awrite(a, type, v) < 0;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    return rc;
}

/* n bytes in the file (maybe NUL-padded): a NUL-terminated memory type one byte longer
 * keeps all n of them. */
static char *read_fixed_string_attr(hid_t a, size_t n)
{
    char *out = calloc(n + 1, 1);
    hid_t mt = H5Tcopy(H5T_C_S1);
    H5Tset_size(mt, n + 1);
    if (out && H5Aread(a, mt, out) < 0) {
        free(out);
        out = NULL;
    }
    H5Tclose(mt);
    return out;
}

char *h5u_string_attr(hid_t obj, const char *name)
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
            hid_t mt = h5u_vlen_utf8();
            char *v = NULL;
            if (H5Aread(a, mt, &v) >= 0 && v) {
                out = strdup(v);
                H5free_memory(v);
            }
            H5Tclose(mt);
        } else {
            out = read_fixed_string_attr(a, H5Tget_size(ft));
        }
    }
    H5Tclose(ft);
    H5Aclose(a);
    return out;
}

int h5u_num_attr(hid_t obj, const char *name, hid_t type, void *out)
{
    if (H5Aexists(obj, name) <= 0)
        return -1;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    int ok = a >= 0 && H5Aread(a, type, out) >= 0;
    if (a >= 0)
        H5Aclose(a);
    return ok ? 0 : -1;
}

h5u_status h5u_read_whole(hid_t f, const char *name, hid_t mtype, void *buf, long n,
                          long long *npoints)
{
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0)
        return H5U_MISSING;
    hid_t sp = H5Dget_space(d);
    hssize_t np = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    if (sp >= 0)
        H5Sclose(sp);
    if (npoints)
        *npoints = (long long)np;
    h5u_status st = H5U_OK;
    if (n >= 0 && np != n)
        st = H5U_SIZE;
    else if (H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        st = H5U_READ;
    H5Dclose(d);
    return st;
}

long h5u_len1(hid_t f, const char *name)
{
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0)
        return -1;
    hid_t sp = H5Dget_space(d);
    int rank = H5Sget_simple_extent_ndims(sp);
    hsize_t dims[8] = {0};
    if (rank == 1)
        H5Sget_simple_extent_dims(sp, dims, NULL);
    H5Sclose(sp);
    H5Dclose(d);
    return rank == 1 ? (long)dims[0] : -1;
}

static h5u_status read_vlen_strings(hid_t d, hid_t ft, int n, char **out)
{
    hid_t mt = H5Tcopy(H5T_C_S1);
    H5Tset_size(mt, H5T_VARIABLE);
    H5Tset_cset(mt, H5Tget_cset(ft));
    char **buf = calloc((size_t)(n > 0 ? n : 1), sizeof *buf);
    h5u_status st = H5U_OK;
    if (!buf || H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        st = H5U_READ;
    } else {
        for (int i = 0; i < n; i++)
            out[i] = strdup(buf[i] ? buf[i] : "");
        hid_t sp = H5Dget_space(d);
        H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, buf);
        H5Sclose(sp);
    }
    free(buf);
    H5Tclose(mt);
    return st;
}

static h5u_status read_fixed_strings(hid_t d, hid_t ft, int n, char **out)
{
    size_t len = H5Tget_size(ft);
    hid_t mt = H5Tcopy(H5T_C_S1);
    H5Tset_size(mt, len);
    char *buf = calloc((size_t)(n > 0 ? n : 1), len + 1);
    h5u_status st = H5U_OK;
    if (!buf || H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        st = H5U_READ;
    else
        for (int i = 0; i < n; i++)
            out[i] = strndup(buf + (size_t)i * len, len);
    free(buf);
    H5Tclose(mt);
    return st;
}

h5u_status h5u_read_strings(hid_t f, const char *name, int n, char **out)
{
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    hid_t ft = d >= 0 ? H5Dget_type(d) : -1;
    h5u_status st = H5U_MISSING;
    if (ft >= 0 && H5Tget_class(ft) == H5T_STRING)
        st = H5Tis_variable_str(ft) > 0 ? read_vlen_strings(d, ft, n, out)
                                        : read_fixed_strings(d, ft, n, out);
    if (ft >= 0)
        H5Tclose(ft);
    if (d >= 0)
        H5Dclose(d);
    return st;
}

/* Selects in space the elements at the n_lead leading indices `lead`; their number. */
static hssize_t select_lead(hid_t space, int n_lead, const hsize_t *lead)
{
    hsize_t dims[32], start[32], count[32];
    int nd = H5Sget_simple_extent_ndims(space);
    if (nd < n_lead || nd > 32 || H5Sget_simple_extent_dims(space, dims, NULL) < 0)
        return -1;
    for (int k = 0; k < nd; k++) {
        start[k] = k < n_lead ? lead[k] : 0;
        count[k] = k < n_lead ? 1 : dims[k];
        if (k < n_lead && lead[k] >= dims[k])
            return -1;
    }
    if (n_lead && H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, count, NULL) < 0)
        return -1;
    return H5Sget_select_npoints(space);
}

/* Reads or writes (write = 1) the leading-index part of open dataset d. */
static int transfer_lead(hid_t d, int n_lead, const hsize_t *lead, hid_t mtype, void *buf,
                         long n, int write)
{
    hid_t sp = H5Dget_space(d);
    hssize_t np = sp >= 0 ? select_lead(sp, n_lead, lead) : -1;
    int rc = np < 0 ? -1 : n >= 0 && np != n ? -2 : 0;
    hsize_t m = (hsize_t)(np > 0 ? np : 1);
    hid_t ms = rc ? -1 : H5Screate_simple(1, &m, NULL);
    if (!rc && np > 0)
        rc = (write ? H5Dwrite(d, mtype, ms, sp, H5P_DEFAULT, buf)
                    : H5Dread(d, mtype, ms, sp, H5P_DEFAULT, buf)) < 0 ? -1 : 0;
    if (ms >= 0)
        H5Sclose(ms);
    if (sp >= 0)
        H5Sclose(sp);
    return rc;
}

h5u_status h5u_read_lead(hid_t f, const char *name, int n_lead, const hsize_t *lead,
                         hid_t mtype, void *buf, long n)
{
    if (H5Lexists(f, name, H5P_DEFAULT) <= 0)
        return H5U_MISSING;
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0)
        return H5U_MISSING;
    int rc = transfer_lead(d, n_lead, lead, mtype, buf, n, 0);
    H5Dclose(d);
    return rc == -2 ? H5U_SIZE : rc ? H5U_READ : H5U_OK;
}

int h5u_write_lead(hid_t d, int n_lead, const hsize_t *lead, hid_t mtype, const void *buf)
{
    return transfer_lead(d, n_lead, lead, mtype, (void *)buf, -1, 1);
}

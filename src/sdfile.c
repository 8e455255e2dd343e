/* sdfile.c — S/D avalanche files for `critsweep fit`, text or HDF5, read in a stream
 * (see sdfile.h).  A file of any length costs one line buffer (text) or one block of
 * each dataset (HDF5); what the fit keeps is the callback's business. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "critsweep/common.h"
#include "critsweep/sdfile.h"

#define MAX_FIELDS 256
#define H5_BLOCK 65536 /* values of each dataset read at a time */

/* Splits line in place into fields at whitespace and commas; returns the count. */
static int split_fields(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    while (*p) {
        while (*p && (isspace((unsigned char)*p) || *p == ','))
            p++;
        if (!*p)
            break;
        if (n < max)
            f[n] = p;
        n++;
        while (*p && !isspace((unsigned char)*p) && *p != ',')
            p++;
        if (*p)
            *p++ = '\0';
    }
    return n;
}

/* where: "LINE" for text files, "NAME[i]" for HDF5 datasets. */
static int check_d(const char *path, const char *where, const char *name, const char *txt, double v)
{
    if (!(v >= 0) || v != floor(v) || v > 1e15) {
        fprintf(stderr, "critsweep fit: %s:%s: field '%s': not a whole number >= 0 '%s'\n",
                path, where, name, txt);
        return CS_EXIT_USAGE;
    }
    return 0;
}

typedef struct {
    const char *path, *ns, *nd; /* file, column names for messages */
    int is, id;                 /* 0-based columns of S and D, -1 until known */
    int numeric_cols;           /* --columns gave numbers */
    int seen_data;              /* the first non-comment line is behind us */
    const char *col_s, *col_d;
} text_cols;

/* The first non-comment line: a header if any field is not a number.  Returns 1 if the
 * line is consumed (a header), 0 if it is data, or an exit code. */
static int first_line(text_cols *c, char **fields, int nf, long lineno)
{
    int header = 0;
    double x;
    for (int k = 0; k < nf; k++)
        if (cs_parse_double(fields[k], &x))
            header = 1;
    c->seen_data = 1;
    if (header) {
        if (c->numeric_cols)
            return 1;
        c->is = c->id = -1;
        for (int k = 0; k < nf; k++) {
            if (!strcmp(fields[k], c->ns) && c->is < 0)
                c->is = k;
            if (!strcmp(fields[k], c->nd) && c->id < 0)
                c->id = k;
        }
        if (c->is < 0 || c->id < 0) {
            fprintf(stderr, "critsweep fit: %s:%ld: header has no column '%s' (use --columns S,D to name them)\n",
                    c->path, lineno, c->is < 0 ? c->ns : c->nd);
            return CS_EXIT_USAGE;
        }
        return 1;
    }
    if (!c->numeric_cols) {
        if (c->col_s || c->col_d) {
            fprintf(stderr, "critsweep fit: %s: --columns names '%s,%s' but the file has no header line\n",
                    c->path, c->ns, c->nd);
            return CS_EXIT_USAGE;
        }
        c->is = 0, c->id = 1;
    }
    return 0;
}

/* One data line: parsed, checked and handed to row. */
static int data_line(const text_cols *c, char **fields, int nf, long lineno, sdfile_row_fn row,
                     void *ctx)
{
    int need = (c->is > c->id ? c->is : c->id) + 1;
    if (nf < need) {
        fprintf(stderr, "critsweep fit: %s:%ld: field '%s': missing (%d columns, need %d)\n",
                c->path, lineno, nf <= c->is ? c->ns : c->nd, nf, need);
        return CS_EXIT_USAGE;
    }
    double s, d;
    if (cs_parse_double(fields[c->is], &s) || !isfinite(s)) {
        fprintf(stderr, "critsweep fit: %s:%ld: field '%s': not a number '%s'\n", c->path,
                lineno, c->ns, fields[c->is]);
        return CS_EXIT_USAGE;
    }
    if (cs_parse_double(fields[c->id], &d) || !isfinite(d)) {
        fprintf(stderr, "critsweep fit: %s:%ld: field '%s': not a number '%s'\n", c->path,
                lineno, c->nd, fields[c->id]);
        return CS_EXIT_USAGE;
    }
    char where[32];
    snprintf(where, sizeof where, "%ld", lineno);
    int rc = check_d(c->path, where, c->nd, fields[c->id], d);
    return rc ? rc : row(ctx, s, d);
}

static int read_text(const char *path, const char *col_s, const char *col_d, sdfile_row_fn row,
                     void *ctx, long *rows)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "critsweep fit: %s: cannot open: %s\n", path, strerror(errno));
        return CS_EXIT_USAGE;
    }
    text_cols c = {path, col_s ? col_s : "S", col_d ? col_d : "D", -1, -1, 0, 0, col_s, col_d};
    long ps = 0, pd = 0; /* numeric --columns: 1-based positions */
    if (col_s && !cs_parse_long(col_s, &ps) && ps >= 1)
        c.is = (int)ps - 1;
    if (col_d && !cs_parse_long(col_d, &pd) && pd >= 1)
        c.id = (int)pd - 1;
    c.numeric_cols = c.is >= 0 && c.id >= 0;
    char *line = NULL, *fields[MAX_FIELDS];
    size_t cap = 0;
    long lineno = 0;
    int rc = 0;
    while (!rc && getline(&line, &cap, f) > 0) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        int nf = split_fields(line, fields, MAX_FIELDS);
        if (nf == 0)
            continue;
        if (nf > MAX_FIELDS) {
            fprintf(stderr, "critsweep fit: %s:%ld: more than %d columns\n", path, lineno, MAX_FIELDS);
            rc = CS_EXIT_USAGE;
            break;
        }
        if (!c.seen_data && (rc = first_line(&c, fields, nf, lineno)) != 0) {
            rc = rc == 1 ? 0 : rc; /* 1: a header, consumed */
            continue;
        }
        if (!(rc = data_line(&c, fields, nf, lineno, row, ctx)))
            ++*rows;
    }
    if (!rc && ferror(f)) {
        fprintf(stderr, "critsweep fit: %s: read error: %s\n", path, strerror(errno));
        rc = CS_EXIT_USAGE;
    }
    free(line);
    fclose(f);
    if (!rc && *rows == 0) {
        fprintf(stderr, "critsweep fit: %s: no data rows (expected columns %s and %s)\n", path,
                c.ns, c.nd);
        rc = CS_EXIT_USAGE;
    }
    return rc;
}

/* Opens a one-dimensional numeric dataset; its length in *n.  -1 after a message. */
static hid_t open_column(hid_t fid, const char *path, const char *name, hsize_t *n)
{
    if (H5Lexists(fid, name, H5P_DEFAULT) <= 0) {
        fprintf(stderr, "critsweep fit: %s: no dataset '%s' (use --columns S,D to name them)\n", path, name);
        return -1;
    }
    hid_t ds = H5Dopen2(fid, name, H5P_DEFAULT);
    if (ds < 0) {
        fprintf(stderr, "critsweep fit: %s: cannot open dataset '%s'\n", path, name);
        return -1;
    }
    hid_t sp = H5Dget_space(ds), ty = H5Dget_type(ds);
    int rank = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    H5T_class_t cls = ty >= 0 ? H5Tget_class(ty) : H5T_NO_CLASS;
    if (rank == 1 && (cls == H5T_INTEGER || cls == H5T_FLOAT)) {
        H5Sget_simple_extent_dims(sp, n, NULL);
    } else {
        fprintf(stderr, "critsweep fit: %s: dataset '%s' must be a one-dimensional numeric array\n", path, name);
        H5Dclose(ds);
        ds = -1;
    }
    if (ty >= 0)
        H5Tclose(ty);
    if (sp >= 0)
        H5Sclose(sp);
    return ds;
}

/* Reads values [off, off + k) of a one-dimensional dataset as doubles. */
static int read_block(hid_t ds, hsize_t off, hsize_t k, double *buf)
{
    hid_t fs = H5Dget_space(ds), ms = H5Screate_simple(1, &k, NULL);
    int ok = fs >= 0 && ms >= 0 &&
             H5Sselect_hyperslab(fs, H5S_SELECT_SET, &off, NULL, &k, NULL) >= 0 &&
             H5Dread(ds, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, buf) >= 0;
    if (ms >= 0)
        H5Sclose(ms);
    if (fs >= 0)
        H5Sclose(fs);
    return ok ? 0 : -1;
}

/* Both datasets block by block, each value checked and handed to row in order. */
static int stream_columns(const char *path, const char *ns, const char *nd, hid_t dss, hid_t dsd,
                          hsize_t n, sdfile_row_fn row, void *ctx, long *rows)
{
    double *bs = malloc(H5_BLOCK * sizeof *bs), *bd = malloc(H5_BLOCK * sizeof *bd);
    int rc = 0;
    if (!bs || !bd) {
        fprintf(stderr, "critsweep fit: %s: out of memory\n", path);
        rc = CS_EXIT_ERROR;
    }
    for (hsize_t off = 0; !rc && off < n; off += H5_BLOCK) {
        hsize_t k = n - off < H5_BLOCK ? n - off : H5_BLOCK;
        if (read_block(dss, off, k, bs) || read_block(dsd, off, k, bd)) {
            fprintf(stderr, "critsweep fit: %s: cannot read datasets '%s' and '%s'\n", path, ns, nd);
            rc = CS_EXIT_USAGE;
            break;
        }
        for (hsize_t j = 0; !rc && j < k; j++) {
            long i = (long)(off + j);
            char buf[64], where[300];
            if (!isfinite(bs[j])) {
                fprintf(stderr, "critsweep fit: %s:%s[%ld]: field '%s': not a number '%g'\n",
                        path, ns, i, ns, bs[j]);
                rc = CS_EXIT_USAGE;
                break;
            }
            snprintf(buf, sizeof buf, "%g", bd[j]);
            snprintf(where, sizeof where, "%s[%ld]", nd, i);
            if ((rc = check_d(path, where, nd, buf, bd[j])) || (rc = row(ctx, bs[j], bd[j])))
                break;
            ++*rows;
        }
    }
    free(bs);
    free(bd);
    return rc;
}

static int read_hdf5(const char *path, const char *col_s, const char *col_d, sdfile_row_fn row,
                     void *ctx, long *rows)
{
    const char *ns = col_s ? col_s : "S", *nd = col_d ? col_d : "D";
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* we print our own messages */
    hid_t fid = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (fid < 0) {
        fprintf(stderr, "critsweep fit: %s: cannot open as HDF5\n", path);
        return CS_EXIT_USAGE;
    }
    hsize_t n_s = 0, n_d = 0;
    hid_t dss = open_column(fid, path, ns, &n_s), dsd = dss < 0 ? -1 : open_column(fid, path, nd, &n_d);
    int rc = 0;
    if (dss < 0 || dsd < 0) {
        rc = CS_EXIT_USAGE;
    } else if (n_s != n_d) {
        fprintf(stderr, "critsweep fit: %s: datasets '%s' (%llu) and '%s' (%llu) differ in length\n",
                path, ns, (unsigned long long)n_s, nd, (unsigned long long)n_d);
        rc = CS_EXIT_USAGE;
    } else if (n_s == 0) {
        fprintf(stderr, "critsweep fit: %s: datasets '%s' and '%s' are empty\n", path, ns, nd);
        rc = CS_EXIT_USAGE;
    } else {
        rc = stream_columns(path, ns, nd, dss, dsd, n_s, row, ctx, rows);
    }
    if (dss >= 0)
        H5Dclose(dss);
    if (dsd >= 0)
        H5Dclose(dsd);
    H5Fclose(fid);
    return rc;
}

static int is_hdf5_file(const char *path)
{
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    unsigned char b[8];
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t k = fread(b, 1, 8, f);
    fclose(f);
    return k == 8 && !memcmp(b, sig, 8);
}

int sdfile_read(const char *path, const char *col_s, const char *col_d, sdfile_row_fn row,
                void *ctx, long *rows)
{
    *rows = 0;
    return is_hdf5_file(path) ? read_hdf5(path, col_s, col_d, row, ctx, rows)
                              : read_text(path, col_s, col_d, row, ctx, rows);
}

/* h5util.h — the HDF5 helpers shared by the results file's writer (store.c) and its
 * readers (store_read.c, phase.c): error reporting, string types, attributes, file
 * access without locks and whole-dataset reads.  Internal to those modules: it includes
 * hdf5.h, which brings in mpi.h in a parallel HDF5 build. */
#ifndef CRITSWEEP_H5UTIL_H
#define CRITSWEEP_H5UTIL_H

#include <hdf5.h>

/* HDF5 prints its own error stack on failure; our messages say what and where. */
void h5u_quiet(void);

/* A variable-length UTF-8 string type (close it with H5Tclose). */
hid_t h5u_vlen_utf8(void);

/* netCDF "char": one-byte strings, the element of store.h's text datasets. */
hid_t h5u_char_type(void);

/* File access for reading while a run writes: POSIX driver, HDF5's file locking off
 * (a run keeps out a second writer with its own lock, store_lock).  -1 on failure. */
hid_t h5u_fapl_nolock(void);

/* Attribute `name` of obj: a scalar variable-length UTF-8 string, or n numbers of
 * memory type `type` (n = 0: a scalar).  0, or nonzero if HDF5 failed. */
int h5u_put_string_attr(hid_t obj, const char *name, const char *value);
int h5u_put_num_attr(hid_t obj, const char *name, hid_t type, const void *v, hsize_t n);

/* A string attribute (fixed or variable length) as a malloc'd string; NULL if absent
 * or not a string. */
char *h5u_string_attr(hid_t obj, const char *name);
/* A scalar numeric attribute read as memory type `type` into out; 0, or -1 if absent or
 * unreadable. */
int h5u_num_attr(hid_t obj, const char *name, hid_t type, void *out);

/* What went wrong reading a whole dataset. */
typedef enum {
    H5U_OK = 0,
    H5U_MISSING,   /* no such dataset */
    H5U_SIZE,      /* it does not have the expected number of elements */
    H5U_READ,      /* HDF5 could not read it as the memory type */
} h5u_status;

/* Reads dataset `name` whole as memory type mtype into buf, which holds n elements
 * (n < 0: any size).  *npoints (may be NULL) receives the dataset's size. */
h5u_status h5u_read_whole(hid_t f, const char *name, hid_t mtype, void *buf, long n,
                          long long *npoints);

/* The part of dataset d at fixed indices of its n_lead leading dimensions (a slab of
 * the optional axes, store_read.h), n elements, read or written as memory type mtype.
 * n_lead = 0 is the whole dataset. */
h5u_status h5u_read_lead(hid_t f, const char *name, int n_lead, const hsize_t *lead,
                         hid_t mtype, void *buf, long n);
int h5u_write_lead(hid_t d, int n_lead, const hsize_t *lead, hid_t mtype, const void *buf);

/* Length of a 1-D dataset, or -1 if absent or of another rank. */
long h5u_len1(hid_t f, const char *name);

/* A dataset of n strings (variable or fixed length) as n malloc'd strings in out.
 * H5U_MISSING if absent or not strings. */
h5u_status h5u_read_strings(hid_t f, const char *name, int n, char **out);

#endif

/* store_grow.c — a results file grown by a round of an adaptive sweep (store.h).
 *
 * HDF5 datasets of critsweep files are allocated whole at creation, so a grid with more
 * points is a new file: created beside the old one under a temporary name, filled with
 * every row of the old file at the task of its coordinate values, and renamed into
 * place.  Until the rename the old file is untouched; after it, the new one is whole. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <hdf5.h>

#include "critsweep/axis.h"
#include "critsweep/grid.h"
#include "critsweep/h5util.h"
#include "critsweep/store.h"

/* Index of value v on axis a of s, or -1. */
static int index_of(const cs_sweep *s, cs_axis_id a, double v)
{
    for (int i = 0; i < axis_length(s, a); i++)
        if (axis_value(s, a, i) == v)
            return i;
    return -1;
}

/* map[t] = the task of `to` with the coordinate values of task t of `from`. */
static int task_map(const cs_sweep *from, const cs_sweep *to, long *map)
{
    long n = grid_task_count(from);
    for (long t = 0; t < n; t++) {
        grid_index gi, gj;
        grid_coords(from, t, &gi);
        for (int a = 0; a < CS_AXIS_COUNT; a++) {
            if (axis_defs[a].optional && !axis_present(from, (cs_axis_id)a)) {
                gj.at[a] = 0;
                continue;
            }
            gj.at[a] = index_of(to, (cs_axis_id)a, axis_value(from, (cs_axis_id)a, gi.at[a]));
            if (gj.at[a] < 0)
                return -1;
        }
        map[t] = grid_task(to, &gj);
    }
    return 0;
}

/* Copies one per-task dataset, row by row through the map (rows of the new file that
 * no old task maps to keep their fill values). */
static int copy_dataset(hid_t src, hid_t dst, const char *name, long n_from, long n_to,
                        const long *map)
{
    if (H5Lexists(src, name, H5P_DEFAULT) <= 0)
        return 0;
    hid_t ds = H5Dopen2(src, name, H5P_DEFAULT), dd = H5Dopen2(dst, name, H5P_DEFAULT);
    hid_t type = ds >= 0 ? H5Dget_type(ds) : -1;
    hid_t ss = ds >= 0 ? H5Dget_space(ds) : -1, sd = dd >= 0 ? H5Dget_space(dd) : -1;
    int rc = -1;
    if (type >= 0 && ss >= 0 && sd >= 0) {
        size_t row = H5Tget_size(type) * (size_t)(H5Sget_simple_extent_npoints(ss) / n_from);
        size_t row_to = H5Tget_size(type) * (size_t)(H5Sget_simple_extent_npoints(sd) / n_to);
        char *a = malloc(row * (size_t)n_from + 1), *b = malloc(row_to * (size_t)n_to + 1);
        if (a && b && row == row_to && H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, a) >= 0 &&
            H5Dread(dd, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, b) >= 0) {
            for (long t = 0; t < n_from; t++)
                memcpy(b + (size_t)map[t] * row, a + (size_t)t * row, row);
            rc = H5Dwrite(dd, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, b) < 0 ? -1 : 0;
        }
        free(a);
        free(b);
    }
    if (type >= 0)
        H5Tclose(type);
    if (ss >= 0)
        H5Sclose(ss);
    if (sd >= 0)
        H5Sclose(sd);
    if (ds >= 0)
        H5Dclose(ds);
    if (dd >= 0)
        H5Dclose(dd);
    return rc;
}

/* Every per-task dataset: the quantities, status, attempts and failure reasons. */
static int copy_rows(const char *path, const char *tmp, const cs_sweep *from,
                     const cs_sweep *to, const long *map, cs_err *err)
{
    hid_t fapl = h5u_fapl_nolock();
    hid_t src = H5Fopen(path, H5F_ACC_RDONLY, fapl), dst = H5Fopen(tmp, H5F_ACC_RDWR, fapl);
    H5Pclose(fapl);
    const store_field *fl;
    int nf = store_fields(&fl), rc = src < 0 || dst < 0;
    long nfrom = grid_task_count(from), nto = grid_task_count(to);
    static const char *const extra[] = {"status", "attempts", "failure_reason"};
    const char *bad = rc ? "the files" : NULL;
    for (int i = 0; i < nf && !rc; i++)
        if ((rc = copy_dataset(src, dst, fl[i].name, nfrom, nto, map)))
            bad = fl[i].name;
    for (int i = 0; i < 3 && !rc; i++)
        if ((rc = copy_dataset(src, dst, extra[i], nfrom, nto, map)))
            bad = extra[i];
    if (src >= 0)
        H5Fclose(src);
    if (dst >= 0 && H5Fclose(dst) < 0 && !rc)
        rc = 1, bad = "the new file (closing)";
    if (rc)
        return cs_fail(err, CS_EXIT_ERROR, "%s: growing the grid failed copying %s (disk "
                       "full?); the file is unchanged", path, bad);
    return 0;
}

/* The runs table, row by row; then the round log and which axes refine grew. */
static int copy_runs_and_log(const char *path, const char *tmp, const char *log,
                             const char *grown_axes, cs_err *err)
{
    hid_t f = store_open_read(path, err);
    if (f < 0)
        return err->code;
    store_run *rows = NULL;
    long n = 0;
    int rc = store_read_runs(f, &rows, &n, err);
    char *old_log = rc ? NULL : store_read_string_attr(f, "rounds");
    char *old_axes = rc ? NULL : store_read_string_attr(f, "grown_axes");
    char *created = rc ? NULL : store_read_string_attr(f, "created");
    H5Fclose(f);
    for (long i = 0; i < n && !rc; i++) {
        long row;
        rc = store_runs_append(tmp, &rows[i], &row, err);
    }
    free(rows);
    size_t m = (old_log ? strlen(old_log) : 0) + strlen(log) + 2;
    char *text = rc ? NULL : malloc(m);
    if (text)
        snprintf(text, m, "%s%s\n", old_log ? old_log : "", log);
    hid_t fapl = h5u_fapl_nolock();
    hid_t d = text ? H5Fopen(tmp, H5F_ACC_RDWR, fapl) : -1;
    H5Pclose(fapl);
    const char *axes = grown_axes && *grown_axes ? grown_axes : old_axes;
    /* The sweep began when the first file was made, not at this round. */
    if (!rc && d >= 0 && created && H5Adelete(d, "created") >= 0 &&
        h5u_put_string_attr(d, "created", created))
        rc = 1;
    if (!rc && (d < 0 || h5u_put_string_attr(d, "rounds", text) ||
                (axes && h5u_put_string_attr(d, "grown_axes", axes))))
        rc = cs_fail(err, CS_EXIT_ERROR, "%s: writing the round log failed (disk full?); the "
                     "file is unchanged", path);
    if (d >= 0 && H5Fclose(d) < 0 && !rc)
        rc = cs_fail(err, CS_EXIT_ERROR, "%s: closing the grown file failed", path);
    free(text);
    free(old_log);
    free(old_axes);
    free(created);
    if (rc == 1)
        rc = cs_fail(err, CS_EXIT_ERROR, "%s: writing the grown file's attributes failed", path);
    return rc;
}

/* The new file is about (new tasks / old tasks) times the old one: refuse to start
 * when the file system has less than that plus a margin. */
static int check_space(const char *path, double factor, cs_err *err)
{
    struct stat st;
    struct statvfs vf;
    char *dir = strdup(path);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash)
        *slash = 0;
    int ok = dir && stat(path, &st) == 0 && statvfs(slash ? dir : ".", &vf) == 0;
    free(dir);
    if (!ok)
        return cs_fail(err, CS_EXIT_ERROR, "%s: cannot measure the free space: %s", path,
                       strerror(errno));
    double need = (double)st.st_size * factor * 1.1 + 1e6;
    double have = (double)vf.f_bavail * (double)vf.f_frsize;
    if (have < need)
        return cs_fail(err, CS_EXIT_ERROR, "%s: growing the grid needs about %.0f MB free "
                       "beside it, and %.0f MB are; nothing was changed", path, need / 1e6,
                       have / 1e6);
    return 0;
}

static int fsync_path(const char *p)
{
    FILE *f = fopen(p, "rb");
    int rc = !f || fsync(fileno(f)) != 0;
    if (f)
        fclose(f);
    return rc;
}

int store_grow(const char *path, const cs_sweep *from, const cs_sweep *to, const char *log,
               const char *grown_axes, int *lock_fd, cs_err *err)
{
    long nfrom = grid_task_count(from), nto = grid_task_count(to);
    int rc = check_space(path, (double)nto / (double)nfrom, err);
    if (rc)
        return rc;
    long *map = malloc((size_t)nfrom * sizeof *map);
    char *tmp = store_temporary_name(path);
    if (!map || !tmp) {
        free(map);
        free(tmp);
        return cs_fail(err, CS_EXIT_ERROR, "out of memory growing %s", path);
    }
    if (task_map(from, to, map))
        rc = cs_fail(err, CS_EXIT_ERROR, "%s: the grown grid lost a value of the old one", path);
    if (!rc)
        rc = store_create_temporary(tmp, to, err);
    if (!rc)
        rc = copy_rows(path, tmp, from, to, map, err);
    if (!rc)
        rc = store_rewrite_checksums(tmp, nto, err);
    if (!rc)
        rc = copy_runs_and_log(path, tmp, log, grown_axes, err);
    if (!rc && fsync_path(tmp))
        rc = cs_fail(err, CS_EXIT_ERROR, "%s: flushing the grown file failed", path);
    int fd = -1;
    if (!rc)
        rc = store_lock(tmp, &fd, err);
    if (!rc && rename(tmp, path) != 0)
        rc = cs_fail(err, CS_EXIT_ERROR, "%s: cannot rename the grown file into place: %s",
                     path, strerror(errno));
    if (rc) {
        if (fd >= 0)
            close(fd);
        unlink(tmp);
    } else {
        if (*lock_fd >= 0)
            close(*lock_fd);
        *lock_fd = fd;
    }
    free(tmp);
    free(map);
    return rc;
}

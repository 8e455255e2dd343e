/* cli_status.c — `critsweep status` (progress of a results file, safe while a run
 * writes) and `critsweep export` (CSV).  Both read the file serially, without locking. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>
#include <mpi.h>

#include "critsweep/cli.h"
#include "critsweep/common.h"
#include "critsweep/config.h"
#include "critsweep/grid.h"
#include "critsweep/phase.h"
#include "critsweep/sched.h"
#include "critsweep/store.h"
#include "critsweep/task.h"

static void status_help(FILE *f)
{
    fprintf(f,
            "usage: critsweep status FILE [--json] [--verify]\n\n"
            "Progress of a results file: done, diverged, failed and pending tasks, progress\n"
            "along every grid axis, failed tasks with their reasons, and the runs table\n"
            "(start, end, ranks, tasks done, SLURM job id, exit state).  Opens the file\n"
            "read-only without locking, so it works while a run is writing.\n\n"
            "options:\n"
            "  --json      one JSON object\n"
            "  --verify    recompute every finished row's checksum (reads the whole file)\n"
            "  -h, --help  this help\n\n"
            "The file's structure is always checked, and status bytes outside 0..3 are\n"
            "reported as damage.  Exit codes: 0, or 2 if the file is damaged (damaged rows\n"
            "are listed; `critsweep run` computes them again).  Rows of a critsweep 0.1.0\n"
            "file carry no checksum and are reported as unverified.\n");
}

typedef struct {
    hid_t f;
    const char *path;
    int n[5];                 /* activation, width, sigma_b2, sigma_w2, seed */
    char **act;
    int32_t *width;
    double *sb2, *sw2;
    int64_t *seed;
    long n_tasks;
    int8_t *status;
    int32_t *attempts;
    char *reasons;            /* (n_tasks, CS_REASON_LEN) */
    store_integrity integ;    /* damaged rows (status range; checksums if verified) */
    char *notes;              /* (n_tasks, CS_REASON_LEN) fit_note, "" in older files */
    int64_t *exploded;        /* (n_tasks) n_exploded, -1 where not written or absent */
    int64_t *inputs;          /* (n_tasks) n_inputs, likewise */
} rfile;

static void rfile_free(rfile *r)
{
    if (r->act)
        for (int i = 0; i < r->n[0]; i++)
            free(r->act[i]);
    free(r->act);
    free(r->width);
    free(r->sb2);
    free(r->sw2);
    free(r->seed);
    free(r->status);
    free(r->attempts);
    free(r->reasons);
    store_integrity_free(&r->integ);
    free(r->notes);
    free(r->exploded);
    free(r->inputs);
    if (r->f >= 0)
        H5Fclose(r->f);
    memset(r, 0, sizeof *r);
    r->f = -1;
}

static int read_axis(rfile *r, const char *name, hid_t mt, size_t elem, int *n, void **out,
                     cs_err *err)
{
    hid_t d = H5Dopen2(r->f, name, H5P_DEFAULT);
    if (d < 0)
        return cs_fail(err, CS_EXIT_USAGE, "%s: no coordinate %s (not a critsweep results file?)",
                       r->path, name);
    hid_t sp = H5Dget_space(d);
    hssize_t m = H5Sget_simple_extent_npoints(sp);
    H5Sclose(sp);
    *n = (int)m;
    *out = calloc((size_t)(m > 0 ? m : 1), elem);
    int rc = 0;
    if (!*out)
        rc = cs_fail(err, CS_EXIT_ERROR, "out of memory");
    else if (m > 0 && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) < 0)
        rc = cs_fail(err, CS_EXIT_USAGE, "%s: cannot read %s", r->path, name);
    H5Dclose(d);
    return rc;
}

static int read_all(rfile *r, const char *name, hid_t mt, void *buf, cs_err *err)
{
    hid_t d = H5Dopen2(r->f, name, H5P_DEFAULT);
    if (d < 0)
        return cs_fail(err, CS_EXIT_USAGE, "%s: no dataset %s", r->path, name);
    int rc = 0;
    if (H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        rc = cs_fail(err, CS_EXIT_USAGE, "%s: cannot read %s", r->path, name);
    H5Dclose(d);
    return rc;
}

/* A per-task char dataset (store.h) as NUL-terminated rows of CS_REASON_LEN bytes; all
 * "" when the file has none. */
static int read_chars(rfile *r, const char *name, char **out, cs_err *err)
{
    size_t nt = (size_t)(r->n_tasks > 0 ? r->n_tasks : 1);
    if (!(*out = calloc(nt, CS_REASON_LEN)))
        return cs_fail(err, CS_EXIT_ERROR, "out of memory");
    int rc = 0;
    hid_t ct = H5Tcopy(H5T_C_S1);
    H5Tset_size(ct, 1);
    if (r->n_tasks > 0 && H5Lexists(r->f, name, H5P_DEFAULT) > 0)
        rc = read_all(r, name, ct, *out, err);
    H5Tclose(ct);
    for (long t = 0; t < r->n_tasks; t++)
        (*out)[(t + 1) * CS_REASON_LEN - 1] = 0;
    return rc;
}

/* A per-task int64 dataset, -1 everywhere when the file has none. */
static int read_int64_or_absent(rfile *r, const char *name, int64_t **out, cs_err *err)
{
    size_t nt = (size_t)(r->n_tasks > 0 ? r->n_tasks : 1);
    if (!(*out = malloc(nt * sizeof **out)))
        return cs_fail(err, CS_EXIT_ERROR, "out of memory");
    for (size_t t = 0; t < nt; t++)
        (*out)[t] = -1;
    if (r->n_tasks > 0 && H5Lexists(r->f, name, H5P_DEFAULT) > 0)
        return read_all(r, name, H5T_NATIVE_INT64, *out, err);
    return 0;
}

static int rfile_open(rfile *r, const char *path, int want_reasons, int verify, cs_err *err)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    r->f = -1;
    if (store_validate(path, verify, &r->integ, err))
        return err->code;
    r->f = store_open_read(path, err);
    if (r->f < 0)
        return err->code;
    int rc;
    /* activation: variable-length strings */
    hid_t d = H5Dopen2(r->f, "activation", H5P_DEFAULT);
    if (d < 0)
        return cs_fail(err, CS_EXIT_USAGE, "%s: no activation coordinate (not a critsweep "
                                           "results file?)", path);
    hid_t sp = H5Dget_space(d);
    r->n[0] = (int)H5Sget_simple_extent_npoints(sp);
    H5Sclose(sp);
    char **tmp = calloc((size_t)r->n[0] + 1, sizeof *tmp);
    r->act = calloc((size_t)r->n[0] + 1, sizeof *r->act);
    hid_t vt = H5Tcopy(H5T_C_S1);
    H5Tset_size(vt, H5T_VARIABLE);
    H5Tset_cset(vt, H5T_CSET_UTF8);
    rc = !tmp || !r->act || (r->n[0] > 0 && H5Dread(d, vt, H5S_ALL, H5S_ALL, H5P_DEFAULT, tmp) < 0);
    if (!rc) {
        for (int i = 0; i < r->n[0]; i++) {
            r->act[i] = strdup(tmp[i] ? tmp[i] : "");
            if (tmp[i])
                H5free_memory(tmp[i]);
        }
    }
    free(tmp);
    H5Tclose(vt);
    H5Dclose(d);
    if (rc)
        return cs_fail(err, CS_EXIT_USAGE, "%s: cannot read the activation coordinate", path);
    if ((rc = read_axis(r, "width", H5T_NATIVE_INT32, 4, &r->n[1], (void **)&r->width, err)) ||
        (rc = read_axis(r, "sigma_b2", H5T_NATIVE_DOUBLE, 8, &r->n[2], (void **)&r->sb2, err)) ||
        (rc = read_axis(r, "sigma_w2", H5T_NATIVE_DOUBLE, 8, &r->n[3], (void **)&r->sw2, err)) ||
        (rc = read_axis(r, "seed", H5T_NATIVE_INT64, 8, &r->n[4], (void **)&r->seed, err)))
        return rc;
    r->n_tasks = 1;
    for (int i = 0; i < 5; i++)
        r->n_tasks *= r->n[i];
    size_t nt = (size_t)(r->n_tasks > 0 ? r->n_tasks : 1);
    r->status = malloc(nt);
    r->attempts = malloc(nt * sizeof *r->attempts);
    if (!r->status || !r->attempts)
        return cs_fail(err, CS_EXIT_ERROR, "out of memory");
    if (r->n_tasks > 0 &&
        ((rc = read_all(r, "status", H5T_NATIVE_INT8, r->status, err)) ||
         (rc = read_all(r, "attempts", H5T_NATIVE_INT32, r->attempts, err))))
        return rc;
    if (want_reasons &&
        ((rc = read_chars(r, "failure_reason", &r->reasons, err)) ||
         (rc = read_chars(r, "fit_note", &r->notes, err)) ||
         (rc = read_int64_or_absent(r, "n_exploded", &r->exploded, err)) ||
         (rc = read_int64_or_absent(r, "n_inputs", &r->inputs, err))))
        return rc;
    return rc;
}

/* Index of task t along axis a (0..4), row-major with the seed fastest. */
static int axis_index(const rfile *r, long t, int a)
{
    for (int k = 4; k > a; k--)
        t /= r->n[k];
    return (int)(t % r->n[a]);
}

static void axis_label(const rfile *r, int a, int i, char *buf, size_t n)
{
    switch (a) {
    case 0: snprintf(buf, n, "%s", r->act[i]); break;
    case 1: snprintf(buf, n, "%d", r->width[i]); break;
    case 2: snprintf(buf, n, "%g", r->sb2[i]); break;
    case 3: snprintf(buf, n, "%g", r->sw2[i]); break;
    default: snprintf(buf, n, "%lld", (long long)r->seed[i]); break;
    }
}

static const char *const axis_names[5] = {"activation", "width", "sigma_b2", "sigma_w2", "seed"};

static int completed(int8_t s)
{
    return s == CS_STATUS_DONE || s == CS_STATUS_DIVERGED;
}

/* Failed tasks; completed tasks whose exponents carry a fit note, or whose avalanches
 * exploded. */
static int failed(const rfile *r, long t)
{
    return r->status[t] == CS_STATUS_FAILED;
}

static int noted(const rfile *r, long t)
{
    return completed(r->status[t]) && r->notes && r->notes[t * CS_REASON_LEN];
}

static int exploded(const rfile *r, long t)
{
    return completed(r->status[t]) && r->exploded && r->exploded[t] > 0;
}

/* "task T (activation=..., ..., seed=...)" */
static void print_task(const rfile *r, long t)
{
    char lab[64];
    printf("  task %ld (", t);
    for (int a = 0; a < 5; a++) {
        axis_label(r, a, axis_index(r, t, a), lab, sizeof lab);
        printf("%s%s=%s", a ? ", " : "", axis_names[a], lab);
    }
    printf(")");
}

/* Opens one element of a JSON array of tasks: the task index and its coordinates. */
static void json_task_begin(json_writer *e, const rfile *r, long t)
{
    char lab[64];
    json_begin(e, stdout);
    json_int(e, "task", t);
    for (int a = 0; a < 5; a++) {
        axis_label(r, a, axis_index(r, t, a), lab, sizeof lab);
        json_str(e, axis_names[a], lab);
    }
}

/* The tasks of one kind (pred) as a JSON array under key; extra writes their fields. */
static void json_task_list(const char *key, const rfile *r, int (*pred)(const rfile *, long),
                           void (*extra)(json_writer *, const rfile *, long))
{
    printf(", \"%s\": [", key);
    int k = 0;
    for (long t = 0; t < r->n_tasks; t++) {
        if (!pred(r, t))
            continue;
        if (k++)
            fputs(", ", stdout);
        json_writer e;
        json_task_begin(&e, r, t);
        extra(&e, r, t);
        fputs("}", stdout);
    }
    fputs("]", stdout);
}

static void json_failed(json_writer *e, const rfile *r, long t)
{
    json_int(e, "attempts", r->attempts[t]);
    json_str(e, "reason", r->reasons + t * CS_REASON_LEN);
}

static void json_note(json_writer *e, const rfile *r, long t)
{
    json_str(e, "fit_note", r->notes + t * CS_REASON_LEN);
}

/* Rows the integrity check found damaged (status out of range, checksum mismatch). */
static int damaged_row(const rfile *r, long t)
{
    return r->integ.damaged && r->integ.damaged[t];
}

static const char *damage_kind(const rfile *r, long t)
{
    return r->status[t] < 0 || r->status[t] > 3 ? "status outside 0..3" : "checksum mismatch";
}

static void json_damage(json_writer *e, const rfile *r, long t)
{
    json_int(e, "status_byte", r->status[t]);
    json_str(e, "damage", damage_kind(r, t));
}

static void json_exploded(json_writer *e, const rfile *r, long t)
{
    json_int(e, "n_exploded", r->exploded[t]);
    json_int(e, "n_inputs", r->inputs[t]);
}

/* Text: the first 20 tasks of one kind under a heading; the count first. */
static void print_task_list(const char *heading, const rfile *r,
                            int (*pred)(const rfile *, long), int is_note)
{
    long n = 0, shown = 0;
    for (long t = 0; t < r->n_tasks; t++)
        n += pred(r, t);
    if (!n)
        return;
    printf("%s: %ld task%s\n", heading, n, n == 1 ? "" : "s");
    for (long t = 0; t < r->n_tasks && shown < 20; t++) {
        if (!pred(r, t))
            continue;
        shown++;
        print_task(r, t);
        if (is_note)
            printf(": %s\n", r->notes + t * CS_REASON_LEN);
        else
            printf(": %lld of %lld avalanches\n", (long long)r->exploded[t],
                   (long long)r->inputs[t]);
    }
    if (n > shown)
        printf("  … %ld more (critsweep status --json lists all)\n", n - shown);
}

int cli_status(int argc, char **argv)
{
    const char *path = NULL;
    int json = 0, verify = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            status_help(stdout);
            return CS_EXIT_OK;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--verify")) {
            verify = 1;
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error("status", "unknown option '%s' (critsweep status --help)", a);
        } else if (path) {
            return cli_usage_error("status", "one file at a time (got '%s' and '%s')", path, a);
        } else {
            path = a;
        }
    }
    if (!path)
        return cli_usage_error("status", "which file? usage: critsweep status FILE [--json]");
    rfile r;
    cs_err err = {0, ""};
    int rc = rfile_open(&r, path, 1, verify, &err);
    store_run *runs = NULL;
    long n_runs = 0;
    if (!rc)
        rc = store_read_runs(r.f, &runs, &n_runs, &err);
    if (rc) {
        fprintf(stderr, "critsweep status: %s\n", err.msg);
        rfile_free(&r);
        return rc;
    }
    char *name = store_read_string_attr(r.f, "sweep_name");
    char *hash = store_read_string_attr(r.f, "sweep_hash");
    char *created = store_read_string_attr(r.f, "created");
    long cnt[4] = {0, 0, 0, 0}, interrupted = 0;
    long damaged = r.integ.n_bad_status + r.integ.n_bad_checksum;
    const char *checks = !r.integ.has_checksums ? "unverified (critsweep 0.1.0 file: no row checksums)"
                         : r.integ.rows_verified ? "verified" : "not checked (--verify checks them)";
    for (long t = 0; t < r.n_tasks; t++) {
        int s = r.status[t];
        if (r.integ.damaged && r.integ.damaged[t])
            continue;
        if (s >= 0 && s < 4)
            cnt[s]++;
        if (s == CS_STATUS_PENDING && r.attempts[t] > 0)
            interrupted++;
    }
    double pct = r.n_tasks ? 100.0 * (double)(cnt[1] + cnt[3]) / (double)r.n_tasks : 100;
    /* per-axis progress: completed / total per axis value */
    long *ax_done[5], *ax_tot[5];
    for (int a = 0; a < 5; a++) {
        ax_done[a] = calloc((size_t)r.n[a] + 1, sizeof(long));
        ax_tot[a] = calloc((size_t)r.n[a] + 1, sizeof(long));
    }
    for (long t = 0; t < r.n_tasks; t++)
        for (int a = 0; a < 5; a++) {
            int i = axis_index(&r, t, a);
            ax_tot[a][i]++;
            ax_done[a][i] += completed(r.status[t]);
        }
    char lab[64];
    if (json) {
        json_writer w;
        json_begin(&w, stdout);
        json_str(&w, "file", path);
        json_str(&w, "sweep_name", name ? name : "");
        json_str(&w, "sweep_hash", hash ? hash : "");
        json_str(&w, "created", created ? created : "");
        json_int(&w, "n_tasks", r.n_tasks);
        json_int(&w, "done", cnt[1]);
        json_int(&w, "diverged", cnt[3]);
        json_int(&w, "failed", cnt[2]);
        json_int(&w, "pending", cnt[0]);
        json_int(&w, "interrupted", interrupted);
        json_int(&w, "damaged", damaged);
        json_str(&w, "checksums", checks);
        json_bool(&w, "complete", cnt[0] == 0 && damaged == 0);
        json_num(&w, "percent_complete", pct);
        json_object_begin(&w, "axes");
        for (int a = 0; a < 5; a++) {
            json_object_begin(&w, axis_names[a]);
            for (int i = 0; i < r.n[a]; i++) {
                axis_label(&r, a, i, lab, sizeof lab);
                json_object_begin(&w, lab);
                json_int(&w, "completed", ax_done[a][i]);
                json_int(&w, "total", ax_tot[a][i]);
                json_object_end(&w);
            }
            json_object_end(&w);
        }
        json_object_end(&w);
        /* Arrays of objects: the shared writer has none, so each element is its own
         * object written with it. */
        json_task_list("failed_tasks", &r, failed, json_failed);
        json_task_list("fit_notes", &r, noted, json_note);
        json_task_list("exploded_tasks", &r, exploded, json_exploded);
        json_task_list("damaged_tasks", &r, damaged_row, json_damage);
        fputs(", \"runs\": [", stdout);
        for (long i = 0; i < n_runs; i++) {
            if (i)
                fputs(", ", stdout);
            json_writer e;
            json_begin(&e, stdout);
            json_str(&e, "start", runs[i].start);
            json_str(&e, "end", runs[i].end);
            json_int(&e, "ranks", runs[i].ranks);
            json_int(&e, "tasks_done", runs[i].tasks_done);
            json_str(&e, "slurm_job_id", runs[i].slurm_job_id);
            json_str(&e, "exit_state", runs[i].exit_state);
            fputs("}", stdout);
        }
        fputs("]", stdout);
        json_end(&w);
    } else {
        printf("%s: sweep %s (hash %s), created %s\n", path, name ? name : "?", hash ? hash : "?",
               created ? created : "?");
        printf("tasks: %ld; done %ld, diverged %ld, failed %ld, pending %ld (%ld interrupted "
               "mid-task); %.1f%% complete%s\n",
               r.n_tasks, cnt[1], cnt[3], cnt[2], cnt[0], interrupted, pct,
               cnt[0] == 0 ? "" : " (run the same command again to resume)");
        printf("row checksums: %s\n", checks);
        if (damaged) {
            printf("DAMAGED rows: %ld (%ld status bytes outside 0..3, %ld checksum mismatches); "
                   "`critsweep run` on the sweep computes them again:\n",
                   damaged, r.integ.n_bad_status, r.integ.n_bad_checksum);
            long shown = 0;
            for (long t = 0; t < r.n_tasks && shown < 20; t++) {
                if (!r.integ.damaged[t])
                    continue;
                shown++;
                print_task(&r, t);
                printf(": %s\n", damage_kind(&r, t));
            }
            if (damaged > shown)
                printf("  … %ld more (critsweep status --json lists all)\n", damaged - shown);
        }
        for (int a = 0; a < 5; a++) {
            printf("  %-10s", axis_names[a]);
            for (int i = 0; i < r.n[a]; i++) {
                axis_label(&r, a, i, lab, sizeof lab);
                printf(" %s %ld/%ld", lab, ax_done[a][i], ax_tot[a][i]);
                if (i >= 11 && r.n[a] > 13) {
                    printf(" … (%d more)", r.n[a] - i - 1);
                    break;
                }
            }
            putchar('\n');
        }
        if (cnt[2]) {
            printf("failed tasks:\n");
            long shown = 0;
            for (long t = 0; t < r.n_tasks && shown < 20; t++) {
                if (r.status[t] != CS_STATUS_FAILED)
                    continue;
                shown++;
                print_task(&r, t);
                printf(", attempts %d: %s\n", r.attempts[t], r.reasons + t * CS_REASON_LEN);
            }
            if (cnt[2] > shown)
                printf("  … %ld more (critsweep status --json lists all)\n", cnt[2] - shown);
        }
        print_task_list("exponents NaN (fit_note: degenerate samples)", &r, noted, 1);
        print_task_list("avalanches left float range (n_exploded > 0: their S are lower bounds)",
                        &r, exploded, 0);
        printf("runs:\n  %-3s %-21s %-21s %5s %10s %-12s %s\n", "#", "start", "end", "ranks",
               "tasks_done", "slurm_job_id", "exit_state");
        for (long i = 0; i < n_runs; i++)
            printf("  %-3ld %-21s %-21s %5d %10lld %-12s %s\n", i, runs[i].start,
                   runs[i].end[0] ? runs[i].end : "-", runs[i].ranks,
                   (long long)runs[i].tasks_done,
                   runs[i].slurm_job_id[0] ? runs[i].slurm_job_id : "-",
                   runs[i].end[0] ? runs[i].exit_state : "running or killed");
    }
    for (int a = 0; a < 5; a++) {
        free(ax_done[a]);
        free(ax_tot[a]);
    }
    free(name);
    free(hash);
    free(created);
    free(runs);
    rfile_free(&r);
    if (damaged) {
        fprintf(stderr, "critsweep status: %s is damaged: %ld rows (listed above)\n", path,
                damaged);
        return CS_EXIT_USAGE;
    }
    return CS_EXIT_OK;
}

/* ================================================================== export ===== */

static void export_help(FILE *f)
{
    fprintf(f,
            "usage: critsweep export FILE --csv [-o OUT.csv]\n\n"
            "Writes one CSV row per task: task index, the coordinates (activation, width,\n"
            "sigma_b2, sigma_w2, seed), status (0 pending, 1 done, 2 failed, 3 diverged),\n"
            "attempts, failure_reason, then every per-task scalar of the results file\n"
            "(fit_note, why exponents are NaN, among them).\n"
            "Floats are printed in the shortest form that reads back exactly; NaN as nan.\n"
            "Works while a run is writing (read-only, no locking).\n\n"
            "options:\n"
            "  --csv       comma-separated values (the only format)\n"
            "  -o OUT      output file (default: standard output)\n"
            "  -h, --help  this help\n");
}

static void csv_string(FILE *f, const char *s)
{
    int quote = strpbrk(s, ",\"\n\r") != NULL;
    if (!quote) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_double(FILE *f, double v)
{
    if (isnan(v))
        fputs("nan", f);
    else if (isinf(v))
        fputs(v > 0 ? "inf" : "-inf", f);
    else {
        /* Shortest form that reads back exactly (0.8, not 0.80000000000000004). */
        char buf[40];
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(buf, sizeof buf, "%.*g", prec, v);
            if (strtod(buf, NULL) == v)
                break;
        }
        fputs(buf, f);
    }
}

int cli_export(int argc, char **argv)
{
    const char *path = NULL, *out = NULL;
    int csv = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            export_help(stdout);
            return CS_EXIT_OK;
        } else if (!strcmp(a, "--csv")) {
            csv = 1;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            if (i + 1 >= argc)
                return cli_usage_error("export", "%s needs a file name", a);
            out = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error("export", "unknown option '%s' (critsweep export --help)", a);
        } else if (path) {
            return cli_usage_error("export", "one file at a time (got '%s' and '%s')", path, a);
        } else {
            path = a;
        }
    }
    if (!path)
        return cli_usage_error("export", "which file? usage: critsweep export FILE --csv [-o OUT]");
    if (!csv)
        return cli_usage_error("export", "choose a format: --csv (the only one)");
    rfile r;
    cs_err err = {0, ""};
    int rc = rfile_open(&r, path, 1, 1, &err);
    if (!rc && r.integ.damaged)
        rc = cs_fail(&err, CS_EXIT_USAGE, "%s is damaged: %ld finished rows do not match their "
                     "checksum and %ld status bytes are outside 0..3; `critsweep run` on its "
                     "sweep computes them again (`critsweep status --verify` lists them); "
                     "nothing was exported", path, r.integ.n_bad_checksum, r.integ.n_bad_status);
    if (rc) {
        fprintf(stderr, "critsweep export: %s\n", err.msg);
        rfile_free(&r);
        return rc;
    }
    const store_field *fields;
    int nf = store_fields(&fields);
    size_t nt = (size_t)(r.n_tasks > 0 ? r.n_tasks : 1);
    double **vals = calloc((size_t)nf, sizeof *vals);
    int64_t **ivals = calloc((size_t)nf, sizeof *ivals);
    char **texts = calloc((size_t)nf, sizeof *texts);
    int *present = calloc((size_t)nf, sizeof *present);
    if (!vals || !ivals || !texts || !present) {
        rfile_free(&r);
        return cli_usage_error("export", "out of memory");
    }
    for (int k = 0; k < nf && !rc; k++) {
        int scalar = fields[k].trailing == STORE_TR_NONE || fields[k].type == STORE_CHAR;
        if (!scalar || H5Lexists(r.f, fields[k].name, H5P_DEFAULT) <= 0)
            continue;
        present[k] = 1;
        if (fields[k].type == STORE_CHAR) {
            rc = read_chars(&r, fields[k].name, &texts[k], &err);
        } else if (fields[k].type == STORE_F64) {
            vals[k] = malloc(nt * sizeof **vals);
            rc = !vals[k] ? cs_fail(&err, CS_EXIT_ERROR, "out of memory")
                          : read_all(&r, fields[k].name, H5T_NATIVE_DOUBLE, vals[k], &err);
        } else {
            ivals[k] = malloc(nt * sizeof **ivals);
            rc = !ivals[k] ? cs_fail(&err, CS_EXIT_ERROR, "out of memory")
                           : read_all(&r, fields[k].name, H5T_NATIVE_INT64, ivals[k], &err);
        }
    }
    FILE *f = stdout;
    if (!rc && out && !(f = fopen(out, "w")))
        rc = cs_fail(&err, CS_EXIT_USAGE, "%s: cannot write: %s", out, strerror(errno));
    if (!rc) {
        fputs("task,activation,width,sigma_b2,sigma_w2,seed,status,attempts,failure_reason", f);
        for (int k = 0; k < nf; k++)
            if (present[k])
                fprintf(f, ",%s", fields[k].name);
        fputc('\n', f);
        for (long t = 0; t < r.n_tasks; t++) {
            fprintf(f, "%ld,", t);
            csv_string(f, r.act[axis_index(&r, t, 0)]);
            fprintf(f, ",%d,", r.width[axis_index(&r, t, 1)]);
            csv_double(f, r.sb2[axis_index(&r, t, 2)]);
            fputc(',', f);
            csv_double(f, r.sw2[axis_index(&r, t, 3)]);
            fprintf(f, ",%lld,%d,%d,", (long long)r.seed[axis_index(&r, t, 4)], r.status[t],
                    r.attempts[t]);
            csv_string(f, r.reasons + t * CS_REASON_LEN);
            for (int k = 0; k < nf; k++) {
                if (!present[k])
                    continue;
                fputc(',', f);
                if (texts[k])
                    csv_string(f, texts[k] + t * CS_REASON_LEN);
                else if (vals[k])
                    csv_double(f, vals[k][t]);
                else
                    fprintf(f, "%lld", (long long)ivals[k][t]);
            }
            fputc('\n', f);
        }
        if (ferror(f) || (f != stdout && fclose(f) != 0))
            rc = cs_fail(&err, CS_EXIT_ERROR, "%s: write failed (disk full?)", out ? out : "stdout");
    }
    if (rc)
        fprintf(stderr, "critsweep export: %s\n", err.msg);
    for (int k = 0; k < nf; k++) {
        free(vals[k]);
        free(ivals[k]);
        free(texts[k]);
    }
    free(vals);
    free(ivals);
    free(texts);
    free(present);
    rfile_free(&r);
    return rc;
}

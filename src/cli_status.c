/* cli_status.c — `critsweep status` (progress of a results file, safe while a run
 * writes) and `critsweep export` (CSV).  Both read the file serially, without locking. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "critsweep/cli.h"
#include "critsweep/common.h"
#include "critsweep/store.h"
#include "critsweep/store_read.h"
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

/* A results file as status and export read it: the reader's coordinates, status and
 * attempts, plus the per-task texts and avalanche counts they print. */
typedef struct {
    store_reader rd;
    char *reasons;            /* (n_tasks, CS_REASON_LEN) */
    char *notes;              /* (n_tasks, CS_REASON_LEN) fit_note, "" in older files */
    int64_t *exploded;        /* (n_tasks) n_exploded, -1 where not written or absent */
    int64_t *inputs;          /* (n_tasks) n_inputs, likewise */
} rfile;

static void rfile_free(rfile *r)
{
    store_reader_close(&r->rd);
    free(r->reasons);
    free(r->notes);
    free(r->exploded);
    free(r->inputs);
    memset(r, 0, sizeof *r);
}

/* A per-task int64 dataset, -1 everywhere when the file has none. */
static int read_int64_or_absent(rfile *r, const char *name, int64_t **out, cs_err *err)
{
    long n = r->rd.n_tasks;
    size_t nt = (size_t)(n > 0 ? n : 1);
    if (!(*out = malloc(nt * sizeof **out)))
        return cs_fail(err, CS_EXIT_ERROR, "out of memory");
    for (size_t t = 0; t < nt; t++)
        (*out)[t] = -1;
    if (n > 0 && store_reader_has(&r->rd, name))
        return store_reader_int64(&r->rd, name, *out, n, err);
    return 0;
}

static int rfile_open(rfile *r, const char *path, int verify, cs_err *err)
{
    memset(r, 0, sizeof *r);
    int rc = store_reader_open(&r->rd, path, verify, err);
    if (!rc && ((rc = store_reader_strings(&r->rd, "failure_reason", &r->reasons, err)) ||
                (rc = store_reader_strings(&r->rd, "fit_note", &r->notes, err)) ||
                (rc = read_int64_or_absent(r, "n_exploded", &r->exploded, err)) ||
                (rc = read_int64_or_absent(r, "n_inputs", &r->inputs, err))))
        return rc;
    return rc;
}

/* Dimensions of the file's tasks (optional axes such as q0 first, then the core axes):
 * their number, task t's index along dimension a, and its value i as text. */
static int n_dims(const rfile *r)
{
    return store_reader_ndims(&r->rd);
}

static int axis_index(const rfile *r, long t, int a)
{
    return store_reader_dim_index(&r->rd, t, a);
}

static void axis_label(const rfile *r, int a, int i, char *buf, size_t n)
{
    store_reader_dim_label(&r->rd, a, i, buf, n);
}

/* Failed tasks; completed tasks whose exponents carry a fit note, or whose avalanches
 * exploded. */
static int failed(const rfile *r, long t)
{
    return r->rd.status[t] == CS_STATUS_FAILED;
}

static int noted(const rfile *r, long t)
{
    return store_task_completed(r->rd.status[t]) && r->notes && r->notes[t * CS_REASON_LEN];
}

static int exploded(const rfile *r, long t)
{
    return store_task_completed(r->rd.status[t]) && r->exploded && r->exploded[t] > 0;
}

/* "task T (activation=..., ..., seed=...)" */
static void print_task(const rfile *r, long t)
{
    char lab[64];
    printf("  task %ld (", t);
    for (int a = 0; a < n_dims(r); a++) {
        axis_label(r, a, axis_index(r, t, a), lab, sizeof lab);
        printf("%s%s=%s", a ? ", " : "", store_reader_dim_name(&r->rd, a), lab);
    }
    printf(")");
}

/* Opens one element of a JSON array of tasks: the task index and its coordinates. */
static void json_task_begin(json_writer *e, const rfile *r, long t)
{
    char lab[64];
    json_object_begin(e, NULL);
    json_int(e, "task", t);
    for (int a = 0; a < n_dims(r); a++) {
        axis_label(r, a, axis_index(r, t, a), lab, sizeof lab);
        json_str(e, store_reader_dim_name(&r->rd, a), lab);
    }
}

/* The tasks of one kind (pred) as a JSON array under key; extra writes their fields. */
static void json_task_list(json_writer *w, const char *key, const rfile *r,
                           int (*pred)(const rfile *, long),
                           void (*extra)(json_writer *, const rfile *, long))
{
    json_array_begin(w, key);
    for (long t = 0; t < r->rd.n_tasks; t++) {
        if (!pred(r, t))
            continue;
        json_task_begin(w, r, t);
        extra(w, r, t);
        json_object_end(w);
    }
    json_array_end(w);
}

static void json_failed(json_writer *e, const rfile *r, long t)
{
    json_int(e, "attempts", r->rd.attempts[t]);
    json_str(e, "reason", r->reasons + t * CS_REASON_LEN);
}

static void json_note(json_writer *e, const rfile *r, long t)
{
    json_str(e, "fit_note", r->notes + t * CS_REASON_LEN);
}

/* Rows the integrity check found damaged (status out of range, checksum mismatch). */
static int damaged_row(const rfile *r, long t)
{
    return r->rd.integ.damaged && r->rd.integ.damaged[t];
}

static const char *damage_kind(const rfile *r, long t)
{
    int8_t s = r->rd.status[t];
    return s < 0 || s > 3 ? "status outside 0..3" : "checksum mismatch";
}

static void json_damage(json_writer *e, const rfile *r, long t)
{
    json_int(e, "status_byte", r->rd.status[t]);
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
    for (long t = 0; t < r->rd.n_tasks; t++)
        n += pred(r, t);
    if (!n)
        return;
    printf("%s: %ld task%s\n", heading, n, n == 1 ? "" : "s");
    for (long t = 0; t < r->rd.n_tasks && shown < 20; t++) {
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

/* What status reports: the file's identity, task counts by status and progress along
 * every axis (completed / total per axis value). */
typedef struct {
    char *name, *hash, *created;
    char *rounds;             /* the round log of a grown grid (one line per round), or NULL */
    store_run *runs;
    long n_runs;
    long cnt[4];              /* by status: pending, done, failed, diverged */
    long interrupted, damaged;
    double pct;
    const char *checks;       /* what is known of the row checksums */
    long *ax_done[STORE_N_AXES + STORE_MAX_OUTER], *ax_tot[STORE_N_AXES + STORE_MAX_OUTER];
} status_report;

static void status_report_free(status_report *s)
{
    free(s->name);
    free(s->hash);
    free(s->created);
    free(s->rounds);
    free(s->runs);
    for (int a = 0; a < STORE_N_AXES + STORE_MAX_OUTER; a++) {
        free(s->ax_done[a]);
        free(s->ax_tot[a]);
    }
}

static void count_tasks(const rfile *r, status_report *s)
{
    const store_reader *rd = &r->rd;
    for (long t = 0; t < rd->n_tasks; t++) {
        int st = rd->status[t];
        if (damaged_row(r, t))
            continue;
        if (st >= 0 && st < 4)
            s->cnt[st]++;
        if (st == CS_STATUS_PENDING && rd->attempts[t] > 0)
            s->interrupted++;
    }
    s->damaged = rd->integ.n_bad_status + rd->integ.n_bad_checksum;
    s->checks = !rd->integ.has_checksums ? "unverified (critsweep 0.1.0 file: no row checksums)"
                : rd->integ.rows_verified ? "verified" : "not checked (--verify checks them)";
    s->pct = rd->n_tasks ? 100.0 * (double)(s->cnt[1] + s->cnt[3]) / (double)rd->n_tasks : 100;
}

static int axis_progress(const rfile *r, status_report *s, cs_err *err)
{
    const store_reader *rd = &r->rd;
    for (int a = 0; a < n_dims(r); a++) {
        s->ax_done[a] = calloc((size_t)store_reader_dim_len(rd, a) + 1, sizeof(long));
        s->ax_tot[a] = calloc((size_t)store_reader_dim_len(rd, a) + 1, sizeof(long));
        if (!s->ax_done[a] || !s->ax_tot[a])
            return cs_fail(err, CS_EXIT_ERROR, "out of memory");
    }
    for (long t = 0; t < rd->n_tasks; t++)
        for (int a = 0; a < n_dims(r); a++) {
            int i = axis_index(r, t, a);
            s->ax_tot[a][i]++;
            s->ax_done[a][i] += store_task_completed(rd->status[t]);
        }
    return 0;
}

static int status_report_make(const rfile *r, status_report *s, cs_err *err)
{
    memset(s, 0, sizeof *s);
    int rc = store_reader_runs(&r->rd, &s->runs, &s->n_runs, err);
    if (rc)
        return rc;
    s->name = store_reader_attr_string(&r->rd, "sweep_name");
    s->hash = store_reader_attr_string(&r->rd, "sweep_hash");
    s->created = store_reader_attr_string(&r->rd, "created");
    s->rounds = store_reader_attr_string(&r->rd, "rounds");
    count_tasks(r, s);
    return axis_progress(r, s, err);
}

static void json_axes(const rfile *r, const status_report *s, json_writer *w)
{
    char lab[64];
    json_object_begin(w, "axes");
    for (int a = 0; a < n_dims(r); a++) {
        json_object_begin(w, store_reader_dim_name(&r->rd, a));
        for (int i = 0; i < store_reader_dim_len(&r->rd, a); i++) {
            axis_label(r, a, i, lab, sizeof lab);
            json_object_begin(w, lab);
            json_int(w, "completed", s->ax_done[a][i]);
            json_int(w, "total", s->ax_tot[a][i]);
            json_object_end(w);
        }
        json_object_end(w);
    }
    json_object_end(w);
}

static void json_runs(json_writer *w, const status_report *s)
{
    json_array_begin(w, "runs");
    for (long i = 0; i < s->n_runs; i++) {
        const store_run *run = &s->runs[i];
        json_object_begin(w, NULL);
        json_str(w, "start", run->start);
        json_str(w, "end", run->end);
        json_int(w, "ranks", run->ranks);
        json_int(w, "tasks_done", run->tasks_done);
        json_str(w, "slurm_job_id", run->slurm_job_id);
        json_str(w, "exit_state", run->exit_state);
        json_object_end(w);
    }
    json_array_end(w);
}

/* Round k + 1 of the log: the grid before, after, and why. */
static void json_rounds(json_writer *w, const status_report *s)
{
    json_array_begin(w, "rounds");
    for (const char *l = s->rounds; l && *l;) {
        const char *nl = strchr(l, '\n');
        size_t n = nl ? (size_t)(nl - l) : strlen(l);
        char line[600];
        snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line ? n : sizeof line - 1), l);
        json_str(w, NULL, line);
        l += n + (nl != NULL);
    }
    json_array_end(w);
}

static void text_rounds(const status_report *s)
{
    if (!s->rounds)
        return;
    int k = 1;
    printf("rounds (the grid grew after each; round 1 is the sweep's initial grid):\n");
    for (const char *l = s->rounds; *l; k++) {
        const char *nl = strchr(l, '\n');
        int n = nl ? (int)(nl - l) : (int)strlen(l);
        printf("  after round %d: %.*s\n", k, n, l);
        l += n + (nl != NULL);
    }
}

static void status_json(const rfile *r, const char *path, const status_report *s)
{
    json_writer w;
    json_begin(&w, stdout);
    json_str(&w, "file", path);
    json_str(&w, "sweep_name", s->name ? s->name : "");
    json_str(&w, "sweep_hash", s->hash ? s->hash : "");
    json_str(&w, "created", s->created ? s->created : "");
    json_int(&w, "n_tasks", r->rd.n_tasks);
    json_int(&w, "done", s->cnt[1]);
    json_int(&w, "diverged", s->cnt[3]);
    json_int(&w, "failed", s->cnt[2]);
    json_int(&w, "pending", s->cnt[0]);
    json_int(&w, "interrupted", s->interrupted);
    json_int(&w, "damaged", s->damaged);
    json_str(&w, "checksums", s->checks);
    json_bool(&w, "complete", s->cnt[0] == 0 && s->damaged == 0);
    json_num(&w, "percent_complete", s->pct);
    json_axes(r, s, &w);
    json_task_list(&w, "failed_tasks", r, failed, json_failed);
    json_task_list(&w, "fit_notes", r, noted, json_note);
    json_task_list(&w, "exploded_tasks", r, exploded, json_exploded);
    json_task_list(&w, "damaged_tasks", r, damaged_row, json_damage);
    json_runs(&w, s);
    json_rounds(&w, s);
    json_end(&w);
}

static void text_damaged(const rfile *r, const status_report *s)
{
    printf("DAMAGED rows: %ld (%ld status bytes outside 0..3, %ld checksum mismatches); "
           "`critsweep run` on the sweep computes them again:\n",
           s->damaged, r->rd.integ.n_bad_status, r->rd.integ.n_bad_checksum);
    long shown = 0;
    for (long t = 0; t < r->rd.n_tasks && shown < 20; t++) {
        if (!r->rd.integ.damaged[t])
            continue;
        shown++;
        print_task(r, t);
        printf(": %s\n", damage_kind(r, t));
    }
    if (s->damaged > shown)
        printf("  … %ld more (critsweep status --json lists all)\n", s->damaged - shown);
}

static void text_axes(const rfile *r, const status_report *s)
{
    char lab[64];
    for (int a = 0; a < n_dims(r); a++) {
        int n = store_reader_dim_len(&r->rd, a);
        printf("  %-10s", store_reader_dim_name(&r->rd, a));
        for (int i = 0; i < n; i++) {
            axis_label(r, a, i, lab, sizeof lab);
            printf(" %s %ld/%ld", lab, s->ax_done[a][i], s->ax_tot[a][i]);
            if (i >= 11 && n > 13) {
                printf(" … (%d more)", n - i - 1);
                break;
            }
        }
        putchar('\n');
    }
}

static void text_failed(const rfile *r, const status_report *s)
{
    printf("failed tasks:\n");
    long shown = 0;
    for (long t = 0; t < r->rd.n_tasks && shown < 20; t++) {
        if (r->rd.status[t] != CS_STATUS_FAILED)
            continue;
        shown++;
        print_task(r, t);
        printf(", attempts %d: %s\n", r->rd.attempts[t], r->reasons + t * CS_REASON_LEN);
    }
    if (s->cnt[2] > shown)
        printf("  … %ld more (critsweep status --json lists all)\n", s->cnt[2] - shown);
}

static void text_runs(const status_report *s)
{
    printf("runs:\n  %-3s %-21s %-21s %5s %10s %-12s %s\n", "#", "start", "end", "ranks",
           "tasks_done", "slurm_job_id", "exit_state");
    for (long i = 0; i < s->n_runs; i++) {
        const store_run *run = &s->runs[i];
        printf("  %-3ld %-21s %-21s %5d %10lld %-12s %s\n", i, run->start,
               run->end[0] ? run->end : "-", run->ranks, (long long)run->tasks_done,
               run->slurm_job_id[0] ? run->slurm_job_id : "-",
               run->end[0] ? run->exit_state : "running or killed");
    }
}

static void status_text(const rfile *r, const char *path, const status_report *s)
{
    printf("%s: sweep %s (hash %s), created %s\n", path, s->name ? s->name : "?",
           s->hash ? s->hash : "?", s->created ? s->created : "?");
    printf("tasks: %ld; done %ld, diverged %ld, failed %ld, pending %ld (%ld interrupted "
           "mid-task); %.1f%% complete%s\n",
           r->rd.n_tasks, s->cnt[1], s->cnt[3], s->cnt[2], s->cnt[0], s->interrupted, s->pct,
           s->cnt[0] == 0 ? "" : " (run the same command again to resume)");
    printf("row checksums: %s\n", s->checks);
    if (s->damaged)
        text_damaged(r, s);
    text_axes(r, s);
    if (s->cnt[2])
        text_failed(r, s);
    print_task_list("exponents NaN (fit_note: degenerate samples)", r, noted, 1);
    print_task_list("avalanches left float range (n_exploded > 0: their S are lower bounds)",
                    r, exploded, 0);
    text_runs(s);
    text_rounds(s);
}

/* The one FILE argument after the options; an exit code if there is none or more. */
static int file_argument(const char *cmd, int argc, char **argv, const char *usage,
                         const char **path)
{
    if (optind >= argc)
        return cli_usage_error(cmd, "which file? usage: %s", usage);
    if (optind + 1 < argc)
        return cli_usage_error(cmd, "one file at a time (got '%s' and '%s')", argv[optind],
                               argv[optind + 1]);
    *path = argv[optind];
    return -1;
}

/* Parses status's options; -1 to go on, else the exit code. */
static int status_options(int argc, char **argv, const char **path, int *json, int *verify)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"verify", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (ch) {
        case 'j': *json = 1; break;
        case 'v': *verify = 1; break;
        case 'h': status_help(stdout); return CS_EXIT_OK;
        default:
            return cli_usage_error("status", "unknown option '%s' (critsweep status --help)",
                                   argv[optind - 1]);
        }
    }
    return file_argument("status", argc, argv, "critsweep status FILE [--json]", path);
}

int cli_status(int argc, char **argv)
{
    const char *path = NULL;
    int json = 0, verify = 0;
    int orc = status_options(argc, argv, &path, &json, &verify);
    if (orc >= 0)
        return orc;
    rfile r;
    status_report s;
    cs_err err = {0, ""};
    memset(&s, 0, sizeof s);
    int rc = rfile_open(&r, path, verify, &err);
    if (!rc)
        rc = status_report_make(&r, &s, &err);
    if (rc) {
        fprintf(stderr, "critsweep status: %s\n", err.msg);
        status_report_free(&s);
        rfile_free(&r);
        return rc;
    }
    if (json)
        status_json(&r, path, &s);
    else
        status_text(&r, path, &s);
    long damaged = s.damaged;
    status_report_free(&s);
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

/* The per-task scalars of the file, each read whole: text, float64 or int64. */
typedef struct {
    const store_field *fields;
    int nf;
    double **vals;
    int64_t **ivals;
    char **texts;
    int *present;             /* the file has it (older files lack newer quantities) */
} export_columns;

static void export_columns_free(export_columns *c)
{
    for (int k = 0; k < c->nf; k++) {
        if (c->vals)
            free(c->vals[k]);
        if (c->ivals)
            free(c->ivals[k]);
        if (c->texts)
            free(c->texts[k]);
    }
    free(c->vals);
    free(c->ivals);
    free(c->texts);
    free(c->present);
}

static int export_column_read(const rfile *r, export_columns *c, int k, cs_err *err)
{
    const store_field *fl = &c->fields[k];
    long n = r->rd.n_tasks;
    size_t nt = (size_t)(n > 0 ? n : 1);
    if (fl->type == STORE_CHAR)
        return store_reader_strings(&r->rd, fl->name, &c->texts[k], err);
    if (fl->type == STORE_F64) {
        if (!(c->vals[k] = malloc(nt * sizeof **c->vals)))
            return cs_fail(err, CS_EXIT_ERROR, "out of memory");
        return store_reader_doubles(&r->rd, fl->name, c->vals[k], n, err);
    }
    if (!(c->ivals[k] = malloc(nt * sizeof **c->ivals)))
        return cs_fail(err, CS_EXIT_ERROR, "out of memory");
    return store_reader_int64(&r->rd, fl->name, c->ivals[k], n, err);
}

static int export_columns_read(const rfile *r, export_columns *c, cs_err *err)
{
    memset(c, 0, sizeof *c);
    c->nf = store_fields(&c->fields);
    c->vals = calloc((size_t)c->nf, sizeof *c->vals);
    c->ivals = calloc((size_t)c->nf, sizeof *c->ivals);
    c->texts = calloc((size_t)c->nf, sizeof *c->texts);
    c->present = calloc((size_t)c->nf, sizeof *c->present);
    if (!c->vals || !c->ivals || !c->texts || !c->present)
        return cs_fail(err, CS_EXIT_ERROR, "out of memory");
    int rc = 0;
    for (int k = 0; k < c->nf && !rc; k++) {
        const store_field *fl = &c->fields[k];
        int scalar = fl->trailing == STORE_TR_NONE || fl->type == STORE_CHAR;
        if (!scalar || !store_reader_has(&r->rd, fl->name))
            continue;
        c->present[k] = 1;
        rc = export_column_read(r, c, k, err);
    }
    return rc;
}

static void export_header(FILE *f, const rfile *r, const export_columns *c)
{
    fputs("task", f);
    for (int k = 0; k < r->rd.n_outer; k++) /* optional axes (q0), when the sweep has them */
        fprintf(f, ",%s", r->rd.outer_name[k]);
    fputs(",activation,width,sigma_b2,sigma_w2,seed,status,attempts,failure_reason", f);
    for (int k = 0; k < c->nf; k++)
        if (c->present[k])
            fprintf(f, ",%s", c->fields[k].name);
    fputc('\n', f);
}

static void export_row(FILE *f, const rfile *r, const export_columns *c, long t)
{
    const store_reader *rd = &r->rd;
    fprintf(f, "%ld,", t);
    for (int k = 0; k < rd->n_outer; k++) {
        csv_double(f, rd->outer[k][store_reader_dim_index(rd, t, k)]);
        fputc(',', f);
    }
    csv_string(f, rd->activation[store_reader_axis_index(rd, t, STORE_AX_ACTIVATION)]);
    fprintf(f, ",%d,", rd->width[store_reader_axis_index(rd, t, STORE_AX_WIDTH)]);
    csv_double(f, rd->sigma_b2[store_reader_axis_index(rd, t, STORE_AX_SIGMA_B2)]);
    fputc(',', f);
    csv_double(f, rd->sigma_w2[store_reader_axis_index(rd, t, STORE_AX_SIGMA_W2)]);
    fprintf(f, ",%lld,%d,%d,", (long long)rd->seed[store_reader_axis_index(rd, t, STORE_AX_SEED)],
            rd->status[t], rd->attempts[t]);
    csv_string(f, r->reasons + t * CS_REASON_LEN);
    for (int k = 0; k < c->nf; k++) {
        if (!c->present[k])
            continue;
        fputc(',', f);
        if (c->texts[k])
            csv_string(f, c->texts[k] + t * CS_REASON_LEN);
        else if (c->vals[k])
            csv_double(f, c->vals[k][t]);
        else
            fprintf(f, "%lld", (long long)c->ivals[k][t]);
    }
    fputc('\n', f);
}

static int export_write(const char *out, const rfile *r, const export_columns *c, cs_err *err)
{
    FILE *f = stdout;
    if (out && !(f = fopen(out, "w")))
        return cs_fail(err, CS_EXIT_USAGE, "%s: cannot write: %s", out, strerror(errno));
    export_header(f, r, c);
    for (long t = 0; t < r->rd.n_tasks; t++)
        export_row(f, r, c, t);
    if (ferror(f) || (f != stdout && fclose(f) != 0))
        return cs_fail(err, CS_EXIT_ERROR, "%s: write failed (disk full?)", out ? out : "stdout");
    return 0;
}

/* Parses export's options; -1 to go on, else the exit code. */
static int export_options(int argc, char **argv, const char **path, const char **out)
{
    static const struct option opts[] = {
        {"csv", no_argument, NULL, 'c'}, {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int ch, csv = 0;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': csv = 1; break;
        case 'o': *out = optarg; break;
        case 'h': export_help(stdout); return CS_EXIT_OK;
        case ':': return cli_usage_error("export", "%s needs a file name", argv[optind - 1]);
        default:
            return cli_usage_error("export", "unknown option '%s' (critsweep export --help)",
                                   argv[optind - 1]);
        }
    }
    int rc = file_argument("export", argc, argv, "critsweep export FILE --csv [-o OUT]", path);
    if (rc < 0 && !csv)
        return cli_usage_error("export", "choose a format: --csv (the only one)");
    return rc;
}

int cli_export(int argc, char **argv)
{
    const char *path = NULL, *out = NULL;
    int orc = export_options(argc, argv, &path, &out);
    if (orc >= 0)
        return orc;
    rfile r;
    cs_err err = {0, ""};
    int rc = rfile_open(&r, path, 1, &err);
    if (!rc && r.rd.integ.damaged)
        rc = cs_fail(&err, CS_EXIT_USAGE, "%s is damaged: %ld finished rows do not match their "
                     "checksum and %ld status bytes are outside 0..3; `critsweep run` on its "
                     "sweep computes them again (`critsweep status --verify` lists them); "
                     "nothing was exported", path, r.rd.integ.n_bad_checksum,
                     r.rd.integ.n_bad_status);
    export_columns c;
    memset(&c, 0, sizeof c);
    if (!rc)
        rc = export_columns_read(&r, &c, &err);
    if (!rc)
        rc = export_write(out, &r, &c, &err);
    if (rc)
        fprintf(stderr, "critsweep export: %s\n", err.msg);
    export_columns_free(&c);
    rfile_free(&r);
    return rc;
}

/* phase_figures.c — a results file loaded for `critsweep phase` and `critsweep fss`
 * (the derived tables, written back when that is safe, and the smooth edge-of-chaos
 * curve), the cells of a quantity, and the output helpers both commands use. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "critsweep/activation.h"
#include "critsweep/common.h"
#include "critsweep/meanfield.h"
#include "critsweep/phase.h"
#include "critsweep/phase_figures.h"
#include "critsweep/store_read.h"

/* ------------------------------------------------------------------ small helpers */

int phase_figures_ensure_dir(const char *dir, cs_err *err)
{
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return cs_fail(err, CS_EXIT_USAGE, "%s: cannot create the output folder: %s", dir,
                       strerror(errno));
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return cs_fail(err, CS_EXIT_USAGE, "%s: exists and is not a folder", dir);
    return 0;
}

/* "<file without .h5>-figures" */
void phase_figures_default_dir(const char *path, char *out, size_t n)
{
    size_t len = strlen(path);
    if (len > 3 && !strcmp(path + len - 3, ".h5"))
        len -= 3;
    else if (len > 5 && !strcmp(path + len - 5, ".hdf5"))
        len -= 5;
    snprintf(out, n, "%.*s-figures", (int)len, path);
}

/* Replaces the extension of a figure path by .csv. */
void phase_figures_csv_beside(const char *fig, char *out, size_t n)
{
    const char *dot = strrchr(fig, '.'), *slash = strrchr(fig, '/');
    size_t len = dot && (!slash || dot > slash) ? (size_t)(dot - fig) : strlen(fig);
    snprintf(out, n, "%.*s.csv", (int)len, fig);
}

FILE *phase_figures_open_out(const char *path, cs_err *err)
{
    FILE *f = fopen(path, "w");
    if (!f)
        cs_fail(err, CS_EXIT_USAGE, "%s: cannot write: %s", path, strerror(errno));
    return f;
}

int phase_figures_close_out(FILE *f, const char *path, cs_err *err)
{
    if (ferror(f) | (fclose(f) != 0))
        return cs_fail(err, CS_EXIT_ERROR, "%s: write failed (disk full?)", path);
    return 0;
}

/* Full precision so that the CSVs reproduce the computation exactly. */
void phase_figures_put_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.17g", v);
    else
        fputs("nan", f);
}

double *phase_figures_dalloc(long n)
{
    double *p = malloc((size_t)(n > 0 ? n : 1) * sizeof *p);
    if (p)
        for (long i = 0; i < n; i++)
            p[i] = NAN;
    return p;
}

enum { EDGE_FINE = 41 };

static void edge_curve(phase_ctx *c)
{
    const phase_file *pf = &c->pf;
    int B = pf->n_sb2;
    c->n_fine = B >= 2 ? EDGE_FINE : 2;
    c->edge_fx = phase_figures_dalloc((long)pf->n_act * c->n_fine);
    c->edge_fy = phase_figures_dalloc(c->n_fine);
    if (!c->edge_fx || !c->edge_fy)
        return;
    for (int k = 0; k < c->n_fine; k++) {
        if (B >= 2)
            c->edge_fy[k] = pf->sigma_b2[0] + (pf->sigma_b2[B - 1] - pf->sigma_b2[0]) * k /
                                                  (c->n_fine - 1);
        else /* one σ_b²: a vertical segment across the single row of cells */
            c->edge_fy[k] = pf->sigma_b2[0] + (k ? 1 : -1) * (pf->sigma_b2[0] != 0
                                                                  ? 0.5 * fabs(pf->sigma_b2[0])
                                                                  : 0.5);
    }
    for (int a = 0; a < pf->n_act; a++) {
        cs_activation act;
        if (activation_from_name(pf->activation[a], &act) != 0)
            continue;
        for (int k = 0; k < c->n_fine; k++)
            c->edge_fx[(long)a * c->n_fine + k] =
                B >= 2 ? meanfield_edge_sigma_w2(act, c->edge_fy[k])
                       : c->d.edge_sigma_w2[(long)a * B];
    }
}

/* Cells (A, W, B, S) of a quantity: seed mean (or spread), from the per-task data or
 * the derived tables.  Unknown names fail with the list of what exists. */
int phase_figures_cells(phase_ctx *c, const char *name, int spread, double *out,
                        cs_err *err)
{
    const phase_file *pf = &c->pf;
    const phase_derived *d = &c->d;
    long nc = pf->n_cells;
    struct {
        const char *name;
        const double *mean, *std;
    } derived[] = {
        {"chi", d->chi, NULL},
        {"chi_fd", d->chi_fd, NULL},
        {"chi_b", d->chi_b, NULL},
        {"S_mean_seedavg", d->S_mean_seedavg, NULL},
        {"S_mean_seedstd", d->S_mean_seedstd, NULL},
        {"tau_s_pooled", d->tau_s_pooled, NULL},
        {"tau_s_pooled_err", d->tau_s_pooled_err, NULL},
        {"tau_d_pooled", d->tau_d_pooled, NULL},
        {"tau_d_pooled_err", d->tau_d_pooled_err, NULL},
        {"gamma_pooled", d->gamma_pooled, NULL},
        {"gamma_pooled_err", d->gamma_pooled_err, NULL},
    };
    for (size_t i = 0; i < sizeof derived / sizeof *derived; i++)
        if (!strcmp(name, derived[i].name)) {
            if (spread)
                return cs_fail(err, CS_EXIT_USAGE, "--spread: '%s' is computed from seed "
                               "averages and has no seed spread (try S_mean --spread)", name);
            memcpy(out, derived[i].mean, (size_t)nc * sizeof *out);
            return 0;
        }
    if (!strcmp(name, "crackling") || phase_has_dataset(pf, name)) {
        double *vals = malloc((size_t)pf->n_tasks * sizeof *vals);
        if (!vals)
            return cs_fail(err, CS_EXIT_ERROR, "out of memory");
        cs_err e2 = {0};
        int rc = phase_task_values(pf, name, vals, &e2);
        if (!rc) {
            phase_seed_reduce(pf, vals, spread ? NULL : out, spread ? out : NULL, NULL);
            free(vals);
            return 0;
        }
        free(vals);
        /* Not per task: a cell-shaped dataset (e.g. derived by another version). */
        if (!spread && phase_read_doubles(pf, name, out, nc, &e2) == 0)
            return 0;
        return cs_fail(err, CS_EXIT_USAGE, "--quantity %s: dataset '%s' in %s is neither "
                       "per task nor per cell", name, name, pf->path);
    }
    return cs_fail(err, CS_EXIT_USAGE, "--quantity %s: no such quantity in %s (try chi, "
                   "chi_b, S_mean, P_surv, tau_s, tau_d, gamma, crackling, test_accuracy, "
                   "branching, lyapunov, or any per-task dataset name)", name, pf->path);
}

static int write_back(phase_ctx *c, const char *cmd, const char *path, int force, cs_err *err);

/* ------------------------------------------------------------------ loading */

/* Opens the file, computes the derived tables and writes them back unless told not to
 * or the file is busy/read-only (then they stay in memory, and we say so). */
int phase_figures_load(phase_ctx *c, const char *cmd, const char *path, int no_write,
                       int force, int replicates, cs_err *err)
{
    memset(c, 0, sizeof *c);
    c->cmd = cmd;
    c->no_write = no_write;
    c->force = force;
    int rc = phase_file_open(&c->pf, path, err);
    if (!rc && replicates > 0)
        c->pf.replicates = replicates;
    if (!rc)
        rc = phase_figures_slab(c, 0, err);
    return rc;
}

static void slab_unload(phase_ctx *c)
{
    free(c->edge_fx);
    free(c->edge_fy);
    c->edge_fx = c->edge_fy = NULL;
    phase_derived_free(&c->d);
}

int phase_figures_slab(phase_ctx *c, long k, cs_err *err)
{
    slab_unload(c);
    phase_file_select_slab(&c->pf, k);
    int rc = phase_derived_compute(&c->pf, &c->d, err);
    if (rc) {
        phase_file_free(&c->pf);
        return rc;
    }
    edge_curve(c);
    return c->no_write ? 0 : write_back(c, c->cmd, c->pf.path, c->force, err);
}

/* Writes the selected slab's derived tables into the file, or says why not. */
static int write_back(phase_ctx *c, const char *cmd, const char *path, int force, cs_err *err)
{
    if (access(path, W_OK) != 0) {
        fprintf(stderr, "critsweep %s: %s is read-only: derived tables computed in memory, "
                        "not written\n", cmd, path);
    } else if (!force && phase_file_run_active(&c->pf)) {
        fprintf(stderr, "critsweep %s: a run is writing %s (it holds the writer's lock): "
                        "derived tables computed in memory, not written (--force-write "
                        "writes them anyway)\n", cmd, path);
    } else {
        cs_err e2 = {0};
        int wrc = phase_derived_write(&c->pf, &c->d, &e2);
        if (wrc == 0) {
            c->written = 1;
        } else if (wrc == PHASE_NOT_RESERVED) {
            fprintf(stderr, "critsweep %s: %s was written by critsweep 0.1.0, which reserved no "
                            "space for the derived tables: computed in memory, not written (a "
                            "new dataset would change the file in place)\n", cmd, path);
        } else {
            /* The file's task rows are untouched; the command fails. */
            phase_derived_free(&c->d);
            phase_file_free(&c->pf);
            return cs_fail(err, CS_EXIT_ERROR, "%s", e2.msg);
        }
    }
    return 0;
}

int phase_figures_named_slab(phase_ctx *c, const char *name, const char *what, cs_err *err)
{
    const phase_file *pf = &c->pf;
    if (!pf->slab_label[0])
        return name ? cs_fail(err, CS_EXIT_USAGE, "--slab %s: %s has no optional axes", name,
                              pf->path) : 0;
    char list[1024] = "";
    for (long k = 0; k < pf->n_slabs; k++) {
        char lab[96];
        store_reader_slab_label(&pf->rd, k, lab, sizeof lab);
        if (name && !strcmp(lab, name))
            return k == pf->slab ? 0 : phase_figures_slab(c, k, err);
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? ", " : "", lab);
    }
    return cs_fail(err, CS_EXIT_USAGE, "%s%s: %s has optional axes; choose a slab with --slab "
                   "(one of %s)", name ? "--slab " : what, name ? name : "", pf->path,
                   list);
}

void phase_figures_unload(phase_ctx *c)
{
    slab_unload(c);
    phase_file_free(&c->pf);
}

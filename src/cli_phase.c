/* cli_phase.c — `critsweep phase` (heatmaps over (σ_w², σ_b²), the Widom and
 * edge-of-chaos lines, 1-D cuts, a summary figure and the claim test) and
 * `critsweep fss` (finite-size scaling).  Every figure gets a CSV of its numbers beside
 * it, so a reader can check or replot anything. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "critsweep/activation.h"
#include "critsweep/cli.h"
#include "critsweep/common.h"
#include "critsweep/fit.h"
#include "critsweep/meanfield.h"
#include "critsweep/phase.h"
#include "critsweep/plot.h"
#include "critsweep/quantity.h"

#define SW2 "σ#dw#u²"
#define SB2 "σ#db#u²"

/* Heatmap and figure sizes in pixels (the tests read them back from the PNG header). */
enum { HEAT_W = 1000, HEAT_H = 760, CUT_W = 1800, CUT_H = 700, SUM_W = 1800, SUM_H = 1500,
       FSS_W = 1500, FSS_H = 1200 };

typedef struct {
    const char *name;   /* dataset or computed quantity */
    const char *label;  /* colour-bar label (PLplot text); NULL: the quantity table's */
} quantity_info;

/* The standard set, in drawing order.  Per-task quantities take their labels from
 * quantity.h; the derived and computed ones have theirs here. */
static const quantity_info STANDARD[] = {
    {"S_mean", NULL},
    {"chi", "χ = ∂S/∂" SW2},
    {"chi_b", "χ#db#u = ∂S/∂" SB2},
    {"P_surv", NULL},
    {"tau_s", NULL},
    {"tau_d", NULL},
    {"gamma", NULL},
    {"crackling", "γ − (τ#dd#u − 1)/(τ#ds#u − 1)"},
    {"test_accuracy", NULL},
    {"branching", NULL},
    {"lyapunov", NULL},
};

static const char *quantity_label(const char *name)
{
    for (size_t i = 0; i < sizeof STANDARD / sizeof *STANDARD; i++)
        if (STANDARD[i].label && !strcmp(STANDARD[i].name, name))
            return STANDARD[i].label;
    const char *label = quantity_figure_label(name);
    return label ? label : name;
}

/* ------------------------------------------------------------------ small helpers */

static int ensure_dir(const char *dir, cs_err *err)
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
static void default_dir(const char *path, char *out, size_t n)
{
    size_t len = strlen(path);
    if (len > 3 && !strcmp(path + len - 3, ".h5"))
        len -= 3;
    else if (len > 5 && !strcmp(path + len - 5, ".hdf5"))
        len -= 5;
    snprintf(out, n, "%.*s-figures", (int)len, path);
}

/* Replaces the extension of a figure path by .csv. */
static void csv_beside(const char *fig, char *out, size_t n)
{
    const char *dot = strrchr(fig, '.'), *slash = strrchr(fig, '/');
    size_t len = dot && (!slash || dot > slash) ? (size_t)(dot - fig) : strlen(fig);
    snprintf(out, n, "%.*s.csv", (int)len, fig);
}

static FILE *open_out(const char *path, cs_err *err)
{
    FILE *f = fopen(path, "w");
    if (!f)
        cs_fail(err, CS_EXIT_USAGE, "%s: cannot write: %s", path, strerror(errno));
    return f;
}

static int close_out(FILE *f, const char *path, cs_err *err)
{
    if (ferror(f) | (fclose(f) != 0))
        return cs_fail(err, CS_EXIT_ERROR, "%s: write failed (disk full?)", path);
    return 0;
}

/* Full precision so that the CSVs reproduce the computation exactly. */
static void put_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.17g", v);
    else
        fputs("nan", f);
}

static double *dalloc(long n)
{
    double *p = malloc((size_t)(n > 0 ? n : 1) * sizeof *p);
    if (p)
        for (long i = 0; i < n; i++)
            p[i] = NAN;
    return p;
}

/* ------------------------------------------------------------------ quantities */

typedef struct {
    phase_file pf;
    phase_derived d;
    int written;        /* derived datasets were written into the file */
    /* The edge of chaos as a smooth curve for the overlays (the theory line is
     * continuous in σ_b²; the derived table has it at the grid's σ_b² only). */
    int n_fine;
    double *edge_fx;    /* (A, n_fine) σ_w² */
    double *edge_fy;    /* (n_fine) σ_b² */
} phase_ctx;

enum { EDGE_FINE = 41 };

static void edge_curve(phase_ctx *c)
{
    const phase_file *pf = &c->pf;
    int B = pf->n_sb2;
    c->n_fine = B >= 2 ? EDGE_FINE : 2;
    c->edge_fx = dalloc((long)pf->n_act * c->n_fine);
    c->edge_fy = dalloc(c->n_fine);
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
static int quantity_cells(phase_ctx *c, const char *name, int spread, double *out,
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

static long count_nan(const double *v, long n)
{
    long k = 0;
    for (long i = 0; i < n; i++)
        k += !isfinite(v[i]);
    return k;
}

/* ------------------------------------------------------------------ heatmaps */

typedef struct {
    double *wx, *wy;    /* Widom line (B): σ_w², σ_b² */
    const double *ex, *ey; int ne;  /* edge of chaos, smooth (ne) */
    double *rx;         /* accuracy ridge (B) */
} overlay;

static void overlay_fill(const phase_ctx *c, int a, int w, overlay *o)
{
    const phase_file *pf = &c->pf;
    int B = pf->n_sb2;
    for (int b = 0; b < B; b++) {
        long r = ((long)a * pf->n_width + w) * B + b;
        o->wx[b] = c->d.widom_sigma_w2[r];
        o->wy[b] = pf->sigma_b2[b];
        o->rx[b] = c->d.accuracy_ridge_sigma_w2[r];
    }
    o->ne = c->edge_fx ? c->n_fine : 0;
    o->ex = c->edge_fx ? c->edge_fx + (long)a * c->n_fine : NULL;
    o->ey = c->edge_fy;
}

static int overlay_series(const overlay *o, int B, int ridge, plot_series *s)
{
    int n = 0;
    s[n++] = (plot_series){o->wx, o->wy, B, "Widom line (max χ)", PLOT_WHITE, 0, 3.0, 1, 0, 1};
    if (o->ne)
        s[n++] = (plot_series){o->ex, o->ey, o->ne, "edge of chaos (χ#d1#u = 1)", PLOT_RED, 1,
                               3.5, 0, 0, 0};
    if (ridge)
        s[n++] = (plot_series){o->rx, o->wy, B, "accuracy ridge", PLOT_CYAN, 0, 0, 1, 1, 1};
    return n;
}

/* Draws one heatmap panel of cells z (A, W, B, S) at (a, w) and writes its CSV if csv
 * is given. */
static int heatmap_panel(phase_ctx *c, const double *cells, int a, int w, const char *qname,
                         const char *zlabel, int ridge, const char *extra_title)
{
    const phase_file *pf = &c->pf;
    int B = pf->n_sb2, S = pf->n_sw2;
    const double *z = cells + ((long)a * pf->n_width + w) * B * S;
    long nan = count_nan(z, (long)B * S);
    double *buf = dalloc(4L * B);
    if (!buf)
        return -1;
    overlay o = {buf, buf + B, NULL, NULL, 0, buf + 3 * B};
    overlay_fill(c, a, w, &o);
    plot_series lines[3];
    int nl = overlay_series(&o, B, ridge, lines);
    char title[512];
    /* Cells of this (activation, width) with no finished seed yet. */
    long pending = 0;
    for (long k = 0; k < (long)B * S; k++) {
        const int8_t *st = pf->status + ((((long)a * pf->n_width + w) * B * S) + k) * pf->n_seed;
        int any = 0;
        for (int sd = 0; sd < pf->n_seed; sd++)
            any |= phase_task_completed(st[sd]);
        pending += !any;
    }
    char pend[128] = "";
    if (nan)
        snprintf(pend, sizeof pend, "   (%ld blank cell%s, %ld pending)", nan, nan == 1 ? "" : "s",
                 pending);
    snprintf(title, sizeof title, "%s — %s, N = %d%s%s", qname, pf->activation[a],
             pf->width[w], extra_title ? extra_title : "", pend);
    plot_heatmap_spec hs = {pf->sigma_w2, S, pf->sigma_b2, B, z, SW2, SB2, title, zlabel,
                            lines, nl};
    int rc = plot_heatmap(&hs);
    free(buf);
    return rc;
}

static int write_heat_csv(const char *path, const phase_file *pf, const double *cells, int a,
                          int w, cs_err *err)
{
    FILE *f = open_out(path, err);
    if (!f)
        return err->code;
    int B = pf->n_sb2, S = pf->n_sw2;
    const double *z = cells + ((long)a * pf->n_width + w) * B * S;
    fprintf(f, "sigma_b2,sigma_w2,value\n");
    for (int b = 0; b < B; b++)
        for (int j = 0; j < S; j++) {
            put_num(f, pf->sigma_b2[b]);
            fputc(',', f);
            put_num(f, pf->sigma_w2[j]);
            fputc(',', f);
            put_num(f, z[(long)b * S + j]);
            fputc('\n', f);
        }
    return close_out(f, path, err);
}

static int render_heatmap_file(phase_ctx *c, const double *cells, int a, int w,
                               const char *qname, int spread, const char *path, cs_err *err)
{
    int rc = plot_open(path, HEAT_W, HEAT_H, 1, 1, err);
    if (rc)
        return rc;
    char zl[256];
    snprintf(zl, sizeof zl, "%s%s", quantity_label(qname), spread ? " (seed std)" : "");
    int ridge = !strcmp(qname, "test_accuracy") || !strcmp(qname, "chi");
    heatmap_panel(c, cells, a, w, qname, zl, ridge, spread ? " seed spread" : NULL);
    rc = plot_close(err);
    if (rc)
        return rc;
    char csv[4200];
    csv_beside(path, csv, sizeof csv);
    return write_heat_csv(csv, &c->pf, cells, a, w, err);
}

/* ------------------------------------------------------------------ cuts */

/* Lines against σ_w² at fixed (activation, σ_b²), one per width: S̄ and χ, with the test
 * accuracy on a second axis. */
static int render_cuts(phase_ctx *c, int a, int b, const char *path, cs_err *err)
{
    const phase_file *pf = &c->pf;
    int W = pf->n_width, B = pf->n_sb2, S = pf->n_sw2;
    plot_series *ls = calloc((size_t)W * 4, sizeof *ls);
    char(*labels)[64] = calloc((size_t)W * 2, sizeof *labels);
    if (!ls || !labels) {
        free(ls);
        free(labels);
        return cs_fail(err, CS_EXIT_ERROR, "out of memory");
    }
    int rc = plot_open(path, CUT_W, CUT_H, 2, 1, err);
    if (!rc) {
        for (int w = 0; w < W; w++) {
            long o = (((long)a * W + w) * B + b) * S;
            snprintf(labels[2 * w], 64, "N = %d", pf->width[w]);
            snprintf(labels[2 * w + 1], 64, "accuracy N = %d", pf->width[w]);
            int col = plot_series_color(w);
            ls[w] = (plot_series){pf->sigma_w2, c->d.S_mean_seedavg + o, S, labels[2 * w], col,
                                  0, 2.5, 1, 0, 0};
            ls[W + w] = (plot_series){pf->sigma_w2, c->d.chi + o, S, labels[2 * w], col, 0, 2.5,
                                      1, 0, 0};
            ls[2 * W + w] = (plot_series){pf->sigma_w2, c->d.accuracy_seedavg + o, S, NULL,
                                          col, 1, 1.5, 0, 0, 0};
        }
        char title[256], note[160];
        snprintf(title, sizeof title, "mean size — %s, " SB2 " = %g", pf->activation[a],
                 pf->sigma_b2[b]);
        snprintf(note, sizeof note, "dashed: test accuracy (right axis)");
        int acc = c->d.has_accuracy;
        plot_lines_spec p1 = {SW2, "mean avalanche size S", title, ls, W,
                              acc ? "test accuracy" : NULL, ls + 2 * W, acc ? W : 0, 0, 0,
                              acc ? note : NULL};
        plot_lines(&p1);
        snprintf(title, sizeof title, "susceptibility — %s, " SB2 " = %g", pf->activation[a],
                 pf->sigma_b2[b]);
        plot_lines_spec p2 = {SW2, "χ = ∂S/∂" SW2, title, ls + W, W,
                              acc ? "test accuracy" : NULL, ls + 2 * W, acc ? W : 0, 0, 0,
                              acc ? note : NULL};
        plot_lines(&p2);
        rc = plot_close(err);
    }
    if (!rc) {
        char csv[4200];
        csv_beside(path, csv, sizeof csv);
        FILE *f = open_out(csv, err);
        if (!f) {
            rc = err->code;
        } else {
            fprintf(f, "width,sigma_b2,sigma_w2,S_mean,chi,test_accuracy\n");
            for (int w = 0; w < W; w++)
                for (int j = 0; j < S; j++) {
                    long o = (((long)a * W + w) * B + b) * S + j;
                    fprintf(f, "%d,", pf->width[w]);
                    put_num(f, pf->sigma_b2[b]);
                    fputc(',', f);
                    put_num(f, pf->sigma_w2[j]);
                    fputc(',', f);
                    put_num(f, c->d.S_mean_seedavg[o]);
                    fputc(',', f);
                    put_num(f, c->d.chi[o]);
                    fputc(',', f);
                    put_num(f, c->d.accuracy_seedavg[o]);
                    fputc('\n', f);
                }
            rc = close_out(f, csv, err);
        }
    }
    free(ls);
    free(labels);
    return rc;
}

/* ------------------------------------------------------------------ claim test */

static int write_claim(phase_ctx *c, FILE *out, const char *txt, const char *csvpath,
                       cs_err *err)
{
    const phase_file *pf = &c->pf;
    const phase_derived *d = &c->d;
    FILE *t = txt ? open_out(txt, err) : NULL;
    if (txt && !t)
        return err->code;
    FILE *f = csvpath ? open_out(csvpath, err) : NULL;
    if (csvpath && !f) {
        fclose(t);
        return err->code;
    }
    FILE *dst[2] = {out, t};
    for (int k = 0; k < 2; k++) {
        if (!dst[k])
            continue;
        fprintf(dst[k], "claim test: does maximal susceptibility predict learning better than "
                        "the edge of chaos?\n"
                        "  rho_chi  = Spearman(test accuracy, chi) over the grid cells\n"
                        "  rho_edge = Spearman(test accuracy, -|chi1 - 1|)\n"
                        "  d_widom, d_edge = mean |accuracy ridge - line| in sigma_w2 over "
                        "sigma_b2\n");
        fprintf(dst[k], "%-10s %6s %9s %5s %9s %5s %9s %9s  %s\n", "activation", "N",
                "rho_chi", "n", "rho_edge", "n", "d_widom", "d_edge", "better predictor");
    }
    if (f)
        fprintf(f, "activation,width,spearman_acc_chi,n_acc_chi,spearman_acc_edge,n_acc_edge,"
                   "ridge_dist_widom,n_ridge_widom,ridge_dist_edge,n_ridge_edge\n");
    for (int a = 0; a < pf->n_act; a++)
        for (int w = 0; w < pf->n_width; w++) {
            long aw = (long)a * pf->n_width + w;
            double rc = d->spearman_acc_chi[aw], re = d->spearman_acc_edge[aw];
            const char *verdict = !isfinite(rc) || !isfinite(re) ? "undecided (too few cells)"
                                  : rc > re                      ? "chi (max susceptibility)"
                                  : rc < re                      ? "edge of chaos"
                                                                 : "tie";
            for (int k = 0; k < 2; k++)
                if (dst[k])
                    fprintf(dst[k], "%-10s %6d %9.4f %5d %9.4f %5d %9.4f %9.4f  %s\n",
                            pf->activation[a], pf->width[w], rc, d->n_acc_chi[aw], re,
                            d->n_acc_edge[aw], d->ridge_dist_widom[aw], d->ridge_dist_edge[aw],
                            verdict);
            if (f) {
                fprintf(f, "%s,%d,", pf->activation[a], pf->width[w]);
                put_num(f, rc);
                fprintf(f, ",%d,", d->n_acc_chi[aw]);
                put_num(f, re);
                fprintf(f, ",%d,", d->n_acc_edge[aw]);
                put_num(f, d->ridge_dist_widom[aw]);
                fprintf(f, ",%d,", d->n_ridge_widom[aw]);
                put_num(f, d->ridge_dist_edge[aw]);
                fprintf(f, ",%d\n", d->n_ridge_edge[aw]);
            }
        }
    if (!c->d.has_accuracy)
        for (int k = 0; k < 2; k++)
            if (dst[k])
                fprintf(dst[k], "(no test accuracy in the file: training was off or no task "
                                "finished; the claim test needs it)\n");
    int rc = 0;
    if (t)
        rc = close_out(t, txt, err);
    if (f && !rc)
        rc = close_out(f, csvpath, err);
    else if (f)
        fclose(f);
    return rc;
}

/* The lines table: Widom, χ_max, edge, ridge per (activation, width, σ_b²). */
static int write_lines_csv(phase_ctx *c, const char *path, cs_err *err)
{
    const phase_file *pf = &c->pf;
    FILE *f = open_out(path, err);
    if (!f)
        return err->code;
    fprintf(f, "activation,width,sigma_b2,widom_sigma_w2,chi_max,edge_sigma_w2,"
               "accuracy_ridge_sigma_w2\n");
    for (int a = 0; a < pf->n_act; a++)
        for (int w = 0; w < pf->n_width; w++)
            for (int b = 0; b < pf->n_sb2; b++) {
                long r = ((long)a * pf->n_width + w) * pf->n_sb2 + b;
                fprintf(f, "%s,%d,", pf->activation[a], pf->width[w]);
                put_num(f, pf->sigma_b2[b]);
                fputc(',', f);
                put_num(f, c->d.widom_sigma_w2[r]);
                fputc(',', f);
                put_num(f, c->d.chi_max[r]);
                fputc(',', f);
                put_num(f, c->d.edge_sigma_w2[(long)a * pf->n_sb2 + b]);
                fputc(',', f);
                put_num(f, c->d.accuracy_ridge_sigma_w2[r]);
                fputc('\n', f);
            }
    return close_out(f, path, err);
}

/* ------------------------------------------------------------------ summary */

static int render_summary(phase_ctx *c, const char *path, cs_err *err)
{
    const phase_file *pf = &c->pf;
    int a = 0, w = pf->n_width - 1, W = pf->n_width, B = pf->n_sb2, S = pf->n_sw2;
    int rc = plot_open(path, SUM_W, SUM_H, 2, 3, err);
    if (rc)
        return rc;
    heatmap_panel(c, c->d.chi, a, w, "chi", quantity_label("chi"), 1, NULL);
    heatmap_panel(c, c->d.accuracy_seedavg, a, w, "test_accuracy", "test accuracy", 1, NULL);

    plot_series *ls = calloc((size_t)W * 3, sizeof *ls);
    char(*labels)[64] = calloc((size_t)W, sizeof *labels);
    int nA = pf->n_act;
    plot_series *fs = calloc((size_t)nA * 2, sizeof *fs);
    double *N = dalloc(W), *cm = dalloc((long)nA * W), *ws = dalloc((long)nA * W);
    char(*alabels)[64] = calloc((size_t)nA, sizeof *alabels);
    if (!ls || !labels || !fs || !N || !cm || !ws || !alabels) {
        plot_close(err);
        rc = cs_fail(err, CS_EXIT_ERROR, "out of memory");
        goto out;
    }
    for (int k = 0; k < W; k++) {
        long o = (((long)a * W + k) * B + 0) * S;
        snprintf(labels[k], 64, "N = %d", pf->width[k]);
        int col = plot_series_color(k);
        ls[k] = (plot_series){pf->sigma_w2, c->d.S_mean_seedavg + o, S, labels[k], col, 0, 2.5, 1, 0, 0};
        ls[W + k] = (plot_series){pf->sigma_w2, c->d.chi + o, S, labels[k], col, 0, 2.5, 1, 0, 0};
        ls[2 * W + k] = (plot_series){pf->sigma_w2, c->d.accuracy_seedavg + o, S, NULL, col, 1, 1.5, 0, 0, 0};
        N[k] = pf->width[k];
    }
    char title[256];
    snprintf(title, sizeof title, "mean size — %s, " SB2 " = %g", pf->activation[a], pf->sigma_b2[0]);
    int acc = c->d.has_accuracy;
    plot_lines_spec p1 = {SW2, "mean avalanche size S", title, ls, W, acc ? "test accuracy (dashed)" : NULL,
                          ls + 2 * W, acc ? W : 0, 0, 0, NULL};
    plot_lines(&p1);
    snprintf(title, sizeof title, "susceptibility — %s, " SB2 " = %g", pf->activation[a], pf->sigma_b2[0]);
    plot_lines_spec p2 = {SW2, "χ = ∂S/∂" SW2, title, ls + W, W, acc ? "test accuracy (dashed)" : NULL,
                          ls + 2 * W, acc ? W : 0, 0, 0, NULL};
    plot_lines(&p2);
    for (int aa = 0; aa < nA; aa++) {
        for (int k = 0; k < W; k++) {
            long r = ((long)aa * W + k) * B + 0;
            cm[(long)aa * W + k] = c->d.chi_max[r];
            ws[(long)aa * W + k] = c->d.widom_sigma_w2[r];
        }
        snprintf(alabels[aa], 64, "%s", pf->activation[aa]);
        int col = plot_series_color(aa);
        fs[aa] = (plot_series){N, cm + (long)aa * W, W, alabels[aa], col, 0, 2.5, 1, 0, 0};
        fs[nA + aa] = (plot_series){N, ws + (long)aa * W, W, alabels[aa], col, 0, 2.5, 1, 0, 0};
    }
    snprintf(title, sizeof title, "peak susceptibility, " SB2 " = %g", pf->sigma_b2[0]);
    plot_lines_spec p3 = {"width N", "χ#dmax#u", title, fs, nA, NULL, NULL, 0, 1, 1, NULL};
    plot_lines(&p3);
    snprintf(title, sizeof title, "Widom line position, " SB2 " = %g", pf->sigma_b2[0]);
    plot_lines_spec p4 = {"width N", SW2 "*", title, fs + nA, nA, NULL, NULL, 0, 1, 0, NULL};
    plot_lines(&p4);
    rc = plot_close(err);
    if (!rc) {
        /* Numbers behind the panels: long format, one row per plotted value. */
        char csv[4200];
        csv_beside(path, csv, sizeof csv);
        FILE *f = open_out(csv, err);
        if (!f) {
            rc = err->code;
            goto out;
        }
        fprintf(f, "panel,activation,width,sigma_b2,sigma_w2,value\n");
        struct {
            const char *panel;
            const double *cells;
            int all_b, all_w;
        } heat[] = {{"chi", c->d.chi, 1, 0}, {"test_accuracy", c->d.accuracy_seedavg, 1, 0},
                    {"S_mean_cut", c->d.S_mean_seedavg, 0, 1}, {"chi_cut", c->d.chi, 0, 1}};
        for (size_t h = 0; h < sizeof heat / sizeof *heat; h++)
            for (int k = heat[h].all_w ? 0 : w; k <= w; k++)
                for (int b = 0; b < (heat[h].all_b ? B : 1); b++)
                    for (int j = 0; j < S; j++) {
                        fprintf(f, "%s,%s,%d,", heat[h].panel, pf->activation[a], pf->width[k]);
                        put_num(f, pf->sigma_b2[b]);
                        fputc(',', f);
                        put_num(f, pf->sigma_w2[j]);
                        fputc(',', f);
                        put_num(f, heat[h].cells[(((long)a * W + k) * B + b) * S + j]);
                        fputc('\n', f);
                    }
        for (int aa = 0; aa < nA; aa++)
            for (int k = 0; k < W; k++) {
                fprintf(f, "chi_max,%s,%d,", pf->activation[aa], pf->width[k]);
                put_num(f, pf->sigma_b2[0]);
                fputs(",nan,", f);
                put_num(f, cm[(long)aa * W + k]);
                fprintf(f, "\nwidom_sigma_w2,%s,%d,", pf->activation[aa], pf->width[k]);
                put_num(f, pf->sigma_b2[0]);
                fputs(",nan,", f);
                put_num(f, ws[(long)aa * W + k]);
                fputc('\n', f);
            }
        rc = close_out(f, csv, err);
    }
out:
    free(ls);
    free(labels);
    free(fs);
    free(N);
    free(cm);
    free(ws);
    free(alabels);
    return rc;
}

/* ------------------------------------------------------------------ loading */

/* Opens the file, computes the derived tables and writes them back unless told not to
 * or the file is busy/read-only (then they stay in memory, and we say so). */
static int load(phase_ctx *c, const char *cmd, const char *path, int no_write, int force,
                cs_err *err)
{
    memset(c, 0, sizeof *c);
    int rc = phase_file_open(&c->pf, path, err);
    if (rc)
        return rc;
    rc = phase_derived_compute(&c->pf, &c->d, err);
    if (rc) {
        phase_file_free(&c->pf);
        return rc;
    }
    edge_curve(c);
    if (no_write)
        return 0;
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

static void unload(phase_ctx *c)
{
    free(c->edge_fx);
    free(c->edge_fy);
    phase_derived_free(&c->d);
    phase_file_free(&c->pf);
}

/* ------------------------------------------------------------------ phase */

static void phase_help(FILE *f)
{
    fprintf(f,
        "usage: critsweep phase FILE [options]\n\n"
        "Phase diagrams of a results file (complete or still running): heatmaps over\n"
        "(sigma_w2, sigma_b2) with the Widom line (max chi) and the mean-field edge of chaos,\n"
        "1-D cuts, a summary figure and the claim test (does max chi predict learning\n"
        "better than the edge of chaos?).  Every figure has its numbers as CSV beside it.\n"
        "The derived datasets (chi, widom_sigma_w2, edge_sigma_w2, ... ) are written into\n"
        "FILE first, unless it is read-only or a run is writing it.\n\n"
        "  --quantity Q     one heatmap of Q: chi, chi_b, S_mean, P_surv, tau_s, tau_d, gamma,\n"
        "                   crackling (gamma - gamma_pred), test_accuracy, branching,\n"
        "                   lyapunov, any per-task dataset, or a derived one (tau_s_pooled...)\n"
        "  --activation A   activation of that heatmap (default: the file's first)\n"
        "  --width N        width of that heatmap (default: the file's first)\n"
        "  --spread         the seed standard deviation instead of the seed mean\n"
        "  -o OUT           with --quantity: the figure (.png, .svg or .pdf); otherwise the\n"
        "                   folder of the standard set (default: <FILE stem>-figures/)\n"
        "  --format F       png, svg or pdf for the standard set (default png)\n"
        "  --csv            with --quantity: print sigma_b2,sigma_w2,value on stdout (and\n"
        "                   draw a figure only if -o is given)\n"
        "  --no-write       do not write the derived datasets into FILE\n"
        "  --force-write    write them even though a run holds the file's writer lock\n"
        "                   (its last run was killed; never while a run is writing)\n"
        "  -h, --help       this help\n\n"
        "Pending cells (no finished seed) are grey; titles say how many.\n");
}

static int phase_one_quantity(phase_ctx *c, const char *q, const char *act, long width,
                              int spread, const char *out, int csv, cs_err *err)
{
    const phase_file *pf = &c->pf;
    int a = 0, w = 0;
    if (act && (a = phase_find_activation(pf, act)) < 0) {
        char list[512] = "";
        for (int i = 0; i < pf->n_act; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                     pf->activation[i]);
        return cs_fail(err, CS_EXIT_USAGE, "--activation %s: not in %s (it has %s)", act,
                       pf->path, list);
    }
    if (width > 0 && (w = phase_find_width(pf, width)) < 0) {
        char list[512] = "";
        for (int i = 0; i < pf->n_width; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%d", i ? ", " : "",
                     pf->width[i]);
        return cs_fail(err, CS_EXIT_USAGE, "--width %ld: not in %s (it has %s)", width,
                       pf->path, list);
    }
    double *cells = dalloc(pf->n_cells);
    if (!cells)
        return cs_fail(err, CS_EXIT_ERROR, "out of memory");
    int rc = quantity_cells(c, q, spread, cells, err);
    if (!rc && csv) {
        int B = pf->n_sb2, S = pf->n_sw2;
        const double *z = cells + ((long)a * pf->n_width + w) * B * S;
        printf("sigma_b2,sigma_w2,value\n");
        for (int b = 0; b < B; b++)
            for (int j = 0; j < S; j++) {
                put_num(stdout, pf->sigma_b2[b]);
                putchar(',');
                put_num(stdout, pf->sigma_w2[j]);
                putchar(',');
                put_num(stdout, z[(long)b * S + j]);
                putchar('\n');
            }
    }
    if (!rc && (!csv || out)) {
        char path[4096];
        if (out) {
            plot_format fmt;
            if (plot_format_from_path(out, &fmt) != 0)
                rc = cs_fail(err, CS_EXIT_USAGE, "-o %s: unknown figure format (use .png, .svg "
                             "or .pdf)", out);
            snprintf(path, sizeof path, "%s", out);
        } else {
            char dir[4000];
            default_dir(pf->path, dir, sizeof dir);
            rc = ensure_dir(dir, err);
            snprintf(path, sizeof path, "%s/%s%s_%s_N%d.png", dir, q, spread ? "_spread" : "",
                     pf->activation[a], pf->width[w]);
        }
        if (!rc)
            rc = render_heatmap_file(c, cells, a, w, q, spread, path, err);
        if (!rc)
            fprintf(stderr, "critsweep phase: wrote %s (and .csv)\n", path);
    }
    free(cells);
    return rc;
}

static int phase_standard_set(phase_ctx *c, const char *outdir, const char *ext, cs_err *err)
{
    const phase_file *pf = &c->pf;
    char dir[4000];
    if (outdir)
        snprintf(dir, sizeof dir, "%s", outdir);
    else
        default_dir(pf->path, dir, sizeof dir);
    int rc = ensure_dir(dir, err);
    if (rc)
        return rc;
    double *cells = dalloc(pf->n_cells);
    if (!cells)
        return cs_fail(err, CS_EXIT_ERROR, "out of memory");
    int n_fig = 0;
    char path[4200];
    for (size_t q = 0; q < sizeof STANDARD / sizeof *STANDARD && !rc; q++) {
        const char *name = STANDARD[q].name;
        if (!strcmp(name, "chi_b") && pf->n_sb2 < 2)
            continue;
        cs_err e2 = {0};
        if (quantity_cells(c, name, 0, cells, &e2) != 0) {
            fprintf(stderr, "critsweep phase: skipping %s: %s\n", name, e2.msg);
            continue;
        }
        if (count_nan(cells, pf->n_cells) == pf->n_cells && pf->n_done + pf->n_diverged > 0) {
            fprintf(stderr, "critsweep phase: skipping %s: no finished task has a value "
                            "(training off, or the fit needs more avalanches)\n", name);
            continue;
        }
        for (int a = 0; a < pf->n_act && !rc; a++)
            for (int w = 0; w < pf->n_width && !rc; w++) {
                snprintf(path, sizeof path, "%s/%s_%s_N%d.%s", dir, name, pf->activation[a],
                         pf->width[w], ext);
                rc = render_heatmap_file(c, cells, a, w, name, 0, path, err);
                n_fig++;
            }
    }
    for (int a = 0; a < pf->n_act && !rc; a++)
        for (int b = 0; b < pf->n_sb2 && !rc; b++) {
            snprintf(path, sizeof path, "%s/cuts_%s_sb2_%g.%s", dir, pf->activation[a],
                     pf->sigma_b2[b], ext);
            rc = render_cuts(c, a, b, path, err);
            n_fig++;
        }
    if (!rc) {
        snprintf(path, sizeof path, "%s/summary.%s", dir, ext);
        rc = render_summary(c, path, err);
        n_fig++;
    }
    if (!rc) {
        snprintf(path, sizeof path, "%s/lines.csv", dir);
        rc = write_lines_csv(c, path, err);
    }
    if (!rc && c->edge_fx) {
        /* The smooth edge-of-chaos curve drawn on every heatmap. */
        snprintf(path, sizeof path, "%s/edge_of_chaos.csv", dir);
        FILE *f = open_out(path, err);
        if (!f) {
            rc = err->code;
        } else {
            fprintf(f, "activation,sigma_b2,edge_sigma_w2\n");
            for (int a = 0; a < pf->n_act; a++)
                for (int k = 0; k < c->n_fine; k++) {
                    fprintf(f, "%s,", pf->activation[a]);
                    put_num(f, c->edge_fy[k]);
                    fputc(',', f);
                    put_num(f, c->edge_fx[(long)a * c->n_fine + k]);
                    fputc('\n', f);
                }
            rc = close_out(f, path, err);
        }
    }
    if (!rc) {
        char txt[4200];
        snprintf(txt, sizeof txt, "%s/claim_test.txt", dir);
        snprintf(path, sizeof path, "%s/claim_test.csv", dir);
        rc = write_claim(c, stdout, txt, path, err);
    }
    free(cells);
    if (!rc)
        fprintf(stderr, "critsweep phase: %d figures with their CSVs in %s/\n", n_fig, dir);
    return rc;
}

int cli_phase(int argc, char **argv)
{
    static const struct option opts[] = {
        {"quantity", required_argument, NULL, 'q'}, {"width", required_argument, NULL, 'w'},
        {"activation", required_argument, NULL, 'a'}, {"spread", no_argument, NULL, 's'},
        {"output", required_argument, NULL, 'o'}, {"csv", no_argument, NULL, 'c'},
        {"format", required_argument, NULL, 'f'}, {"no-write", no_argument, NULL, 'n'},
        {"force-write", no_argument, NULL, 'F'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int force = 0;
    const char *q = NULL, *act = NULL, *out = NULL, *fmt = "png";
    long width = 0;
    int spread = 0, csv = 0, no_write = 0, ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'q': q = optarg; break;
        case 'a': act = optarg; break;
        case 'w':
            if (cs_parse_long(optarg, &width) != 0 || width <= 0)
                return cli_usage_error("phase", "--width %s: not a positive integer", optarg);
            break;
        case 's': spread = 1; break;
        case 'o': out = optarg; break;
        case 'c': csv = 1; break;
        case 'n': no_write = 1; break;
        case 'F': force = 1; break;
        case 'f':
            if (strcmp(optarg, "png") && strcmp(optarg, "svg") && strcmp(optarg, "pdf"))
                return cli_usage_error("phase", "--format %s: use png, svg or pdf", optarg);
            fmt = optarg;
            break;
        case 'h': phase_help(stdout); return CS_EXIT_OK;
        case ':': return cli_usage_error("phase", "%s needs a value", argv[optind - 1]);
        default: return cli_usage_error("phase", "unknown option %s (see --help)", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("phase", optind >= argc ? "give one results file (see --help)"
                                                       : "give exactly one results file, got '%s' too",
                               optind < argc - 1 ? argv[optind + 1] : "");
    if (!q && (spread || csv))
        return cli_usage_error("phase", "%s works with --quantity only", spread ? "--spread" : "--csv");
    const char *path = argv[optind];
    phase_ctx c;
    cs_err err = {0};
    int rc = load(&c, "phase", path, no_write, force, &err);
    if (rc) {
        fprintf(stderr, "critsweep phase: %s\n", err.msg);
        return rc;
    }
    const phase_file *pf = &c.pf;
    if (q)
        rc = phase_one_quantity(&c, q, act, width, spread, out, csv, &err);
    else
        rc = phase_standard_set(&c, out, fmt, &err);
    if (rc)
        fprintf(stderr, "critsweep phase: %s\n", err.msg);
    else
        fprintf(stderr, "critsweep phase: %s: %ld tasks (%ld done, %ld diverged, %ld failed, "
                        "%ld pending); %ld of %ld cells have no finished seed%s\n",
                path, pf->n_tasks, pf->n_done, pf->n_diverged, pf->n_failed, pf->n_pending,
                pf->n_pending_cells, pf->n_cells, c.written ? "; derived datasets written" : "");
    unload(&c);
    return rc;
}

/* ------------------------------------------------------------------ fss */

/* Ordinary least squares y = c0 + c1 x over finite pairs; errors from the residual
 * variance (NaN with fewer than 3 points). */
static int linfit(const double *x, const double *y, int n, double *c0, double *c1,
                  double *e1, double *e0)
{
    double sx = 0, sy = 0;
    int m = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(x[i]) && isfinite(y[i])) {
            sx += x[i];
            sy += y[i];
            m++;
        }
    *c0 = *c1 = *e1 = NAN;
    if (e0)
        *e0 = NAN;
    if (m < 2)
        return m;
    double mx = sx / m, my = sy / m, sxx = 0, sxy = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(x[i]) && isfinite(y[i])) {
            sxx += (x[i] - mx) * (x[i] - mx);
            sxy += (x[i] - mx) * (y[i] - my);
        }
    if (sxx <= 0)
        return m;
    *c1 = sxy / sxx;
    *c0 = my - *c1 * mx;
    if (m > 2) {
        double ssr = 0;
        for (int i = 0; i < n; i++)
            if (isfinite(x[i]) && isfinite(y[i])) {
                double r = y[i] - *c0 - *c1 * x[i];
                ssr += r * r;
            }
        double s2 = ssr / (m - 2);
        *e1 = sqrt(s2 / sxx);
        if (e0)
            *e0 = sqrt(s2 * (1.0 / m + mx * mx / sxx));
    }
    return m;
}

/* NMSE of the collapse of curves y_k(x) (k over widths) rescaled as
 * (x - sc) N^inv_nu, y N^-a, on 50 points of their common range (README §4's
 * NMSE = Σ(y - ȳ)²/Σȳ²).  +inf if the rescaled ranges do not overlap. */
static double collapse_nmse(const double *x, int S, const double *y /* (W, S) */,
                            const double *N, int W, double sc, double a, double inv_nu,
                            double *X, double *Y /* (W, S) scratch */)
{
    enum { P = 50 };
    double lo = -INFINITY, hi = INFINITY;
    int used = 0;
    for (int k = 0; k < W; k++) {
        double f = pow(N[k], inv_nu), g = pow(N[k], -a);
        double mn = INFINITY, mx = -INFINITY;
        for (int j = 0; j < S; j++) {
            X[(long)k * S + j] = (x[j] - sc) * f;
            Y[(long)k * S + j] = y[(long)k * S + j] * g;
            if (isfinite(Y[(long)k * S + j])) {
                mn = fmin(mn, X[(long)k * S + j]);
                mx = fmax(mx, X[(long)k * S + j]);
            }
        }
        if (!isfinite(mn))
            continue;
        used++;
        lo = fmax(lo, mn);
        hi = fmin(hi, mx);
    }
    if (used < 2 || !(hi > lo))
        return INFINITY;
    double num = 0, den = 0;
    for (int p = 0; p < P; p++) {
        double xp = lo + (hi - lo) * p / (P - 1);
        double v[64], mean = 0;
        int m = 0;
        for (int k = 0; k < W && m < 64; k++) {
            /* Linear interpolation between the finite neighbours of xp. */
            const double *XX = X + (long)k * S, *YY = Y + (long)k * S;
            int jl = -1, jr = -1;
            for (int j = 0; j < S; j++) {
                if (!isfinite(YY[j]))
                    continue;
                if (XX[j] <= xp)
                    jl = j;
                if (XX[j] >= xp && jr < 0)
                    jr = j;
            }
            if (jl < 0 || jr < 0)
                continue;
            double val = jl == jr ? YY[jl]
                                  : YY[jl] + (YY[jr] - YY[jl]) * (xp - XX[jl]) / (XX[jr] - XX[jl]);
            v[m++] = val;
        }
        if (m < 2)
            continue;
        for (int k = 0; k < m; k++)
            mean += v[k];
        mean /= m;
        for (int k = 0; k < m; k++)
            num += (v[k] - mean) * (v[k] - mean);
        den += m * mean * mean;
    }
    return den > 0 ? num / den : INFINITY;
}

/* " ± 0.012", or a note when there are too few points for an error. */
static void fmt_err(char *buf, size_t n, double err, const char *pm)
{
    if (isfinite(err))
        snprintf(buf, n, "%s%.3g", pm, err);
    else
        snprintf(buf, n, " (no error: fewer than 3 widths)");
}

static void fss_help(FILE *f)
{
    fprintf(f,
        "usage: critsweep fss FILE [options]\n\n"
        "Finite-size scaling over the file's widths (two or more needed), per activation:\n"
        "chi_max(N) and the Widom line sigma_w2*(N) at one sigma_b2; the fits\n"
        "chi_max ~ N^kappa and sigma_w2*(N) - sigma_c ~ N^(-1/nu); the collapse of\n"
        "S N^(-a) against (sigma_w2 - sigma_c) N^(1/nu) by least NMSE (grid search,\n"
        "a in [-1, 2] and 1/nu in [0.05, 2], steps 0.01); tau_s, tau_d and gamma at the\n"
        "grid point nearest the Widom line (pooled over seeds when the file has the\n"
        "statistics) and the nearest reference class with its distances.\n"
        "Table on stdout; figures and CSVs in the output folder.\n\n"
        "  -o DIR           output folder (default: <FILE stem>-figures/)\n"
        "  --sigma-b2 V     the sigma_b2 row to use (default: the file's first)\n"
        "  --fit-sigma-c    fit sigma_c too instead of taking the mean-field edge of chaos\n"
        "  --format F       png, svg or pdf (default png)\n"
        "  --no-write       do not write the derived datasets into FILE\n"
        "  --force-write    write them even though a run holds the file's writer lock\n"
        "  -h, --help       this help\n");
}

typedef struct {
    double kappa, kappa_err, inv_nu, inv_nu_err, sigma_c, sigma_c_err;
    double coll_a, coll_inv_nu, coll_nmse;
    int sigma_c_fitted;
} fss_fit;

static int fss_activation(phase_ctx *c, int a, int b, int fit_sc, const char *dir,
                          const char *ext, FILE *fits_csv, cs_err *err)
{
    const phase_file *pf = &c->pf;
    const phase_derived *d = &c->d;
    int W = pf->n_width, B = pf->n_sb2, S = pf->n_sw2;
    double *buf = dalloc(20L * W + 5L * W * S);
    if (!buf)
        return cs_fail(err, CS_EXIT_ERROR, "out of memory");
    double *N = buf, *cm = buf + W, *ws = buf + 2 * W, *lx = buf + 3 * W, *ly = buf + 4 * W;
    double *ts = buf + 5 * W, *td = buf + 6 * W, *gm = buf + 7 * W, *near = buf + 8 * W;
    double *fitc = buf + 9 * W, *fitw = buf + 10 * W, *tse = buf + 11 * W, *tde = buf + 12 * W;
    double *gme = buf + 13 * W, *cls = buf + 14 * W, *cdist = buf + 15 * W;
    double *curves = buf + 20 * W, *X = curves + (long)W * S, *Y = X + (long)W * S;
    double *CX = Y + (long)W * S, *CY = CX + (long)W * S;
    fss_fit ff = {NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, fit_sc};
    const fit_class *classes = NULL;
    int n_classes = fit_reference_classes(&classes);
    double dist[16];
    int nearest_cls[64];
    long *cell_of = calloc((size_t)W, sizeof *cell_of); /* the cell each row's exponents are from */
    double *exploded = dalloc(pf->n_tasks);
    if (!cell_of || !exploded) {
        free(cell_of), free(exploded), free(buf);
        return cs_fail(err, CS_EXIT_ERROR, "out of memory");
    }
    cs_err e_ex = {0};
    if (!phase_has_dataset(pf, "n_exploded") ||
        phase_task_values(pf, "n_exploded", exploded, &e_ex) != 0)
        for (long t = 0; t < pf->n_tasks; t++)
            exploded[t] = NAN;

    for (int w = 0; w < W; w++) {
        long r = ((long)a * W + w) * B + b;
        N[w] = pf->width[w];
        cm[w] = d->chi_max[r];
        ws[w] = d->widom_sigma_w2[r];
        memcpy(curves + (long)w * S, d->S_mean_seedavg + r * S, (size_t)S * sizeof(double));
        /* Exponents at the grid point nearest the Widom line. */
        int jn = -1;
        for (int j = 0; j < S && isfinite(ws[w]); j++)
            if (jn < 0 || fabs(pf->sigma_w2[j] - ws[w]) < fabs(pf->sigma_w2[jn] - ws[w]))
                jn = j;
        ts[w] = td[w] = gm[w] = tse[w] = tde[w] = gme[w] = NAN;
        near[w] = jn >= 0 ? pf->sigma_w2[jn] : NAN;
        nearest_cls[w < 64 ? w : 63] = -1;
        cell_of[w] = -1;
        if (jn >= 0) {
            long o = r * S + jn;
            cell_of[w] = o;
            if (d->has_pooled) {
                ts[w] = d->tau_s_pooled[o]; tse[w] = d->tau_s_pooled_err[o];
                td[w] = d->tau_d_pooled[o]; tde[w] = d->tau_d_pooled_err[o];
                gm[w] = d->gamma_pooled[o]; gme[w] = d->gamma_pooled_err[o];
            }
            /* Seed means where there are no pooled numbers. */
            const char *names[3] = {"tau_s", "tau_d", "gamma"};
            double *dst[3] = {ts, td, gm};
            for (int k = 0; k < 3; k++) {
                if (isfinite(dst[k][w]) || !phase_has_dataset(pf, names[k]))
                    continue;
                double *cells = dalloc(pf->n_cells);
                cs_err e2 = {0};
                if (cells && quantity_cells(c, names[k], 0, cells, &e2) == 0)
                    dst[k][w] = cells[o];
                free(cells);
            }
            if (w < 64 && n_classes > 0 && n_classes <= 16)
                nearest_cls[w] = fit_nearest_class(ts[w], td[w], gm[w], dist);
            cls[w] = nearest_cls[w < 64 ? w : 63];
            cdist[w] = nearest_cls[w < 64 ? w : 63] >= 0 ? dist[nearest_cls[w < 64 ? w : 63]] : NAN;
        }
    }
    /* χ_max ∝ N^κ: log-log least squares. */
    for (int w = 0; w < W; w++) {
        lx[w] = log(N[w]);
        ly[w] = cm[w] > 0 ? log(cm[w]) : NAN;
    }
    double c0, c1, e1;
    linfit(lx, ly, W, &c0, &c1, &e1, NULL);
    ff.kappa = c1;
    ff.kappa_err = e1;
    for (int w = 0; w < W; w++)
        fitc[w] = isfinite(c1) ? exp(c0 + c1 * lx[w]) : NAN;
    /* σ_w²*(N) − σ_c ∝ N^(−1/ν). */
    double amp = NAN;
    if (!fit_sc) {
        ff.sigma_c = d->edge_sigma_w2[(long)a * B + b];
        for (int w = 0; w < W; w++)
            ly[w] = isfinite(ff.sigma_c) && ws[w] != ff.sigma_c ? log(fabs(ws[w] - ff.sigma_c)) : NAN;
        linfit(lx, ly, W, &c0, &c1, &e1, NULL);
        ff.inv_nu = -c1;
        ff.inv_nu_err = e1;
        /* Sign of the shift: the mean offset's. */
        double sgn = 0;
        for (int w = 0; w < W; w++)
            if (isfinite(ws[w]))
                sgn += ws[w] - ff.sigma_c;
        amp = (sgn >= 0 ? 1 : -1) * exp(c0);
    } else {
        /* σ* = σ_c + A N^(−1/ν): for each 1/ν on a grid the best (σ_c, A) is linear least
         * squares; keep the 1/ν with the least residual. */
        double best = INFINITY;
        for (double v = 0.05; v <= 3.0 + 1e-9; v += 0.001) {
            for (int w = 0; w < W; w++)
                lx[w] = pow(N[w], -v);
            double s0, s1, se1, se0;
            int m = linfit(lx, ws, W, &s0, &s1, &se1, &se0);
            if (m < 3 || !isfinite(s1))
                continue;
            double ssr = 0;
            for (int w = 0; w < W; w++)
                if (isfinite(ws[w]))
                    ssr += (ws[w] - s0 - s1 * lx[w]) * (ws[w] - s0 - s1 * lx[w]);
            if (ssr < best) {
                best = ssr;
                ff.inv_nu = v;
                ff.sigma_c = s0;
                ff.sigma_c_err = se0;
                amp = s1;
            }
        }
        for (int w = 0; w < W; w++)
            lx[w] = log(N[w]);
    }
    for (int w = 0; w < W; w++)
        fitw[w] = isfinite(ff.inv_nu) ? ff.sigma_c + amp * pow(N[w], -ff.inv_nu) : NAN;
    /* Collapse of S̄ N^(−a) against (σ_w² − σ_c) N^(1/ν). */
    double sc = isfinite(ff.sigma_c) ? ff.sigma_c : NAN;
    if (isfinite(sc)) {
        double best = INFINITY;
        for (int ia = 0; ia <= 300; ia++)
            for (int iv = 0; iv <= 195; iv++) {
                double aa = -1.0 + 0.01 * ia, vv = 0.05 + 0.01 * iv;
                double e = collapse_nmse(pf->sigma_w2, S, curves, N, W, sc, aa, vv, X, Y);
                if (e < best) {
                    best = e;
                    ff.coll_a = aa;
                    ff.coll_inv_nu = vv;
                    ff.coll_nmse = e;
                }
            }
        if (isfinite(ff.coll_a))
            collapse_nmse(pf->sigma_w2, S, curves, N, W, sc, ff.coll_a, ff.coll_inv_nu, CX, CY);
    }

    /* Table. */
    printf("\nfinite-size scaling — %s, sigma_b2 = %g\n", pf->activation[a], pf->sigma_b2[b]);
    printf("%6s %12s %12s %10s %8s %8s %8s  %s\n", "N", "chi_max", "sigma_w2*", "at grid",
           "tau_s", "tau_d", "gamma", "nearest class (distance)");
    for (int w = 0; w < W; w++) {
        char cl[160] = "-";
        int k = nearest_cls[w < 64 ? w : 63];
        if (k >= 0)
            snprintf(cl, sizeof cl, "%s (%.3f)", classes[k].name, cdist[w]);
        printf("%6d %12.6g %12.6g %10.4g %8.4f %8.4f %8.4f  %s\n", pf->width[w], cm[w], ws[w],
               near[w], ts[w], td[w], gm[w], cl);
    }
    /* Why an exponent is NaN, and avalanches whose sizes are only lower bounds. */
    for (int w = 0; w < W; w++) {
        long o = cell_of[w];
        if (o < 0)
            continue;
        const char *note = d->has_pooled && d->pooled_note ? d->pooled_note + o * CS_FIT_NOTE_LEN : "";
        if (note[0])
            printf("  N = %d, sigma_w2 = %g: %s\n", pf->width[w], near[w], note);
        double nx = 0;
        for (int sd = 0; sd < pf->n_seed; sd++)
            if (isfinite(exploded[o * pf->n_seed + sd]))
                nx += exploded[o * pf->n_seed + sd];
        if (nx > 0)
            printf("  N = %d, sigma_w2 = %g: %.0f avalanches left float range (their S are lower "
                   "bounds)\n", pf->width[w], near[w], nx);
    }
    free(cell_of);
    free(exploded);
    char e1s[64], e2s[64];
    fmt_err(e1s, sizeof e1s, ff.kappa_err, " +- ");
    fmt_err(e2s, sizeof e2s, ff.inv_nu_err, " +- ");
    printf("chi_max ~ N^kappa: kappa = %.4f%s\n", ff.kappa, e1s);
    printf("sigma_w2*(N) - sigma_c ~ N^(-1/nu): 1/nu = %.4f%s, sigma_c = %.6g%s", ff.inv_nu,
           e2s, ff.sigma_c, fit_sc ? " (fitted" : " (mean-field edge of chaos)");
    if (fit_sc)
        printf(" +- %.4g; 1/nu from a 0.001 grid on [0.05, 3])", ff.sigma_c_err);
    printf("\ncollapse S N^(-a) vs (sigma_w2 - sigma_c) N^(1/nu): a = %.2f, 1/nu = %.2f, "
           "NMSE = %.4g (grid a in [-1, 2], 1/nu in [0.05, 2], step 0.01)\n",
           ff.coll_a, ff.coll_inv_nu, ff.coll_nmse);
    if (n_classes > 0) {
        printf("reference classes:");
        for (int k = 0; k < n_classes; k++)
            printf("%s %s (tau_s %.4g, tau_d %.4g, gamma %.4g)", k ? ";" : "", classes[k].name,
                   classes[k].tau_s, classes[k].tau_d, classes[k].gamma);
        printf("\n");
    }

    int rc = 0;
    char path[4200], csv[4300];
    snprintf(path, sizeof path, "%s/fss_%s.csv", dir, pf->activation[a]);
    FILE *f = open_out(path, err);
    if (!f) {
        rc = err->code;
    } else {
        fprintf(f, "width,sigma_b2,chi_max,widom_sigma_w2,nearest_grid_sigma_w2,tau_s,tau_s_err,"
                   "tau_d,tau_d_err,gamma,gamma_err,nearest_class,class_distance,"
                   "chi_max_fit,widom_fit\n");
        for (int w = 0; w < W; w++) {
            int k = nearest_cls[w < 64 ? w : 63];
            double vals[] = {cm[w], ws[w], near[w], ts[w], tse[w], td[w], tde[w], gm[w], gme[w]};
            fprintf(f, "%d,", pf->width[w]);
            put_num(f, pf->sigma_b2[b]);
            for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
                fputc(',', f);
                put_num(f, vals[i]);
            }
            fprintf(f, ",%s,", k >= 0 ? classes[k].name : "");
            put_num(f, cdist[w]);
            fputc(',', f);
            put_num(f, fitc[w]);
            fputc(',', f);
            put_num(f, fitw[w]);
            fputc('\n', f);
        }
        rc = close_out(f, path, err);
    }
    if (!rc && fits_csv) {
        double vals[] = {pf->sigma_b2[b], ff.kappa, ff.kappa_err, ff.inv_nu, ff.inv_nu_err,
                         ff.sigma_c, ff.sigma_c_err, ff.coll_a, ff.coll_inv_nu, ff.coll_nmse};
        fprintf(fits_csv, "%s", pf->activation[a]);
        for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
            fputc(',', fits_csv);
            put_num(fits_csv, vals[i]);
        }
        fprintf(fits_csv, ",%d\n", fit_sc);
    }
    /* Figure: χ_max(N), σ*(N), the collapse and the exponents. */
    if (!rc) {
        snprintf(path, sizeof path, "%s/fss_%s.%s", dir, pf->activation[a], ext);
        rc = plot_open(path, FSS_W, FSS_H, 2, 2, err);
    }
    if (!rc) {
        char t1[256], t2[256], t3[256], t4[256], n1[160], n2[160], n3[160];
        plot_series s1[2] = {{N, cm, W, "χ#dmax#u", PLOT_BLUE, 0, 2.5, 1, 1, 0},
                             {N, fitc, W, "fit N#uκ#d", PLOT_RED, 1, 2.0, 0, 0, 0}};
        snprintf(t1, sizeof t1, "peak susceptibility — %s, " SB2 " = %g", pf->activation[a], pf->sigma_b2[b]);
        fmt_err(e1s, sizeof e1s, ff.kappa_err, " ± ");
        snprintf(n1, sizeof n1, "κ = %.3f%s", ff.kappa, e1s);
        plot_lines_spec p1 = {"width N", "χ#dmax#u", t1, s1, 2, NULL, NULL, 0, 1, 1, n1};
        plot_lines(&p1);
        double scl[2] = {ff.sigma_c, ff.sigma_c}, nrange[2] = {N[0], N[W - 1]};
        plot_series s2[3] = {{N, ws, W, SW2 "*(N)", PLOT_BLUE, 0, 2.5, 1, 1, 0},
                             {N, fitw, W, "fit", PLOT_RED, 1, 2.0, 0, 0, 0},
                             {nrange, scl, 2, fit_sc ? "σ#dc#u (fitted)" : "σ#dc#u (edge of chaos)",
                              PLOT_GREY, 1, 1.5, 0, 0, 0}};
        snprintf(t2, sizeof t2, "Widom line — %s", pf->activation[a]);
        fmt_err(e2s, sizeof e2s, ff.inv_nu_err, " ± ");
        snprintf(n2, sizeof n2, "1/ν = %.3f%s, σ#dc#u = %.4g", ff.inv_nu, e2s, ff.sigma_c);
        plot_lines_spec p2 = {"width N", SW2 "*", t2, s2, 3, NULL, NULL, 0, 1, 0, n2};
        plot_lines(&p2);
        plot_series *s3 = calloc((size_t)W, sizeof *s3);
        char(*lab)[32] = calloc((size_t)W, sizeof *lab);
        if (s3 && lab) {
            for (int w = 0; w < W; w++) {
                snprintf(lab[w], 32, "N = %d", pf->width[w]);
                s3[w] = (plot_series){CX + (long)w * S, CY + (long)w * S, S, lab[w],
                                      plot_series_color(w), 0, 2.5, 1, 0, 0};
            }
            snprintf(t3, sizeof t3, "collapse — %s", pf->activation[a]);
            snprintf(n3, sizeof n3, "a = %.2f, 1/ν = %.2f, NMSE = %.3g", ff.coll_a, ff.coll_inv_nu,
                     ff.coll_nmse);
            plot_lines_spec p3 = {"(" SW2 " − σ#dc#u) N#u1/ν#d", "S N#u−a#d", t3, s3,
                                  isfinite(ff.coll_a) ? W : 0, NULL, NULL, 0, 0, 0, n3};
            plot_lines(&p3);
        }
        free(s3);
        free(lab);
        plot_series s4[3] = {{N, ts, W, "τ#ds#u", PLOT_BLUE, 0, 2.5, 1, 0, 0},
                             {N, td, W, "τ#dd#u", PLOT_ORANGE, 0, 2.5, 1, 0, 0},
                             {N, gm, W, "γ", PLOT_GREEN, 0, 2.5, 1, 0, 0}};
        snprintf(t4, sizeof t4, "exponents at the Widom line — %s", pf->activation[a]);
        plot_lines_spec p4 = {"width N", "exponent", t4, s4, 3, NULL, NULL, 0, 1, 0,
                              d->has_pooled ? "pooled over seeds" : "seed means"};
        plot_lines(&p4);
        rc = plot_close(err);
    }
    if (!rc) {
        csv_beside(path, csv, sizeof csv);
        snprintf(csv + strlen(csv) - 4, sizeof csv - strlen(csv) + 4, "_collapse.csv");
        f = open_out(csv, err);
        if (!f) {
            rc = err->code;
        } else {
            fprintf(f, "width,sigma_w2,S_mean,x_scaled,y_scaled\n");
            for (int w = 0; w < W; w++)
                for (int j = 0; j < S; j++) {
                    fprintf(f, "%d,", pf->width[w]);
                    put_num(f, pf->sigma_w2[j]);
                    fputc(',', f);
                    put_num(f, curves[(long)w * S + j]);
                    fputc(',', f);
                    put_num(f, CX[(long)w * S + j]);
                    fputc(',', f);
                    put_num(f, CY[(long)w * S + j]);
                    fputc('\n', f);
                }
            rc = close_out(f, csv, err);
        }
    }
    free(buf);
    return rc;
}

int cli_fss(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'}, {"sigma-b2", required_argument, NULL, 'b'},
        {"fit-sigma-c", no_argument, NULL, 'c'}, {"format", required_argument, NULL, 'f'},
        {"no-write", no_argument, NULL, 'n'}, {"force-write", no_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int force = 0;
    const char *out = NULL, *fmt = "png";
    double sb2 = NAN;
    int fit_sc = 0, no_write = 0, ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'o': out = optarg; break;
        case 'b':
            if (cs_parse_double(optarg, &sb2) != 0 || !(sb2 >= 0))
                return cli_usage_error("fss", "--sigma-b2 %s: not a number >= 0", optarg);
            break;
        case 'c': fit_sc = 1; break;
        case 'n': no_write = 1; break;
        case 'F': force = 1; break;
        case 'f':
            if (strcmp(optarg, "png") && strcmp(optarg, "svg") && strcmp(optarg, "pdf"))
                return cli_usage_error("fss", "--format %s: use png, svg or pdf", optarg);
            fmt = optarg;
            break;
        case 'h': fss_help(stdout); return CS_EXIT_OK;
        case ':': return cli_usage_error("fss", "%s needs a value", argv[optind - 1]);
        default: return cli_usage_error("fss", "unknown option %s (see --help)", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("fss", "give exactly one results file (see --help)");
    const char *path = argv[optind];
    phase_ctx c;
    cs_err err = {0};
    int rc = load(&c, "fss", path, no_write, force, &err);
    if (rc) {
        fprintf(stderr, "critsweep fss: %s\n", err.msg);
        return rc;
    }
    const phase_file *pf = &c.pf;
    if (pf->n_width < 2) {
        fprintf(stderr, "critsweep fss: %s has one width (N = %d): finite-size scaling needs "
                        "two or more (add widths to the sweep's grid)\n", path, pf->width[0]);
        unload(&c);
        return CS_EXIT_USAGE;
    }
    int b = 0;
    if (isfinite(sb2)) {
        b = -1;
        for (int k = 0; k < pf->n_sb2; k++)
            if (fabs(pf->sigma_b2[k] - sb2) <= 1e-9 * fmax(1.0, fabs(sb2)))
                b = k;
        if (b < 0) {
            char list[512] = "";
            for (int i = 0; i < pf->n_sb2; i++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%g", i ? ", " : "",
                         pf->sigma_b2[i]);
            fprintf(stderr, "critsweep fss: --sigma-b2 %g: not in %s (it has %s)\n", sb2, path, list);
            unload(&c);
            return CS_EXIT_USAGE;
        }
    }
    char dir[4000];
    if (out)
        snprintf(dir, sizeof dir, "%s", out);
    else
        default_dir(path, dir, sizeof dir);
    rc = ensure_dir(dir, &err);
    char fits[4200];
    snprintf(fits, sizeof fits, "%s/fss_fits.csv", dir);
    FILE *ff = rc ? NULL : open_out(fits, &err);
    if (!rc && !ff)
        rc = err.code;
    if (ff)
        fprintf(ff, "activation,sigma_b2,kappa,kappa_err,inv_nu,inv_nu_err,sigma_c,sigma_c_err,"
                    "collapse_a,collapse_inv_nu,collapse_nmse,sigma_c_fitted\n");
    if (!rc && pf->n_pending_cells)
        printf("note: %ld of %ld cells have no finished seed yet\n", pf->n_pending_cells, pf->n_cells);
    for (int a = 0; a < pf->n_act && !rc; a++)
        rc = fss_activation(&c, a, b, fit_sc, dir, fmt, ff, &err);
    if (ff) {
        int rc2 = close_out(ff, fits, &err);
        rc = rc ? rc : rc2;
    }
    if (rc)
        fprintf(stderr, "critsweep fss: %s\n", err.msg);
    else
        fprintf(stderr, "critsweep fss: figures and CSVs in %s/\n", dir);
    unload(&c);
    return rc;
}

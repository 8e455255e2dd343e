/* cli_fss.c — `critsweep fss`: finite-size scaling of one σ_b² row of a results file,
 * per activation.  Gathers χ_max(N), the Widom line and the exponents near it from the
 * derived tables, fits them (fss.c), prints a table and writes figures and CSVs. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "critsweep/cli.h"
#include "critsweep/common.h"
#include "critsweep/fit.h"
#include "critsweep/fss.h"
#include "critsweep/phase.h"
#include "critsweep/phase_figures.h"
#include "critsweep/plot.h"

/* Figure size in pixels (the tests read it back from the PNG header). */
enum { FSS_W = 1500, FSS_H = 1200 };

/* fit_nearest_class fills one distance per reference class. */
enum { MAX_CLASSES = 16 };

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
        "  --slab A=V       in a sweep with an optional axis such as q0: the slab (q0=0.01)\n"
        "  --format F       png, svg or pdf (default png)\n"
        "  --no-write       do not write the derived datasets into FILE\n"
        "  --force-write    write them even though a run holds the file's writer lock\n"
        "  -h, --help       this help\n");
}

/* " ± 0.012", or a note when there are too few points for an error. */
static void fmt_err(char *buf, size_t n, double err, const char *pm)
{
    if (isfinite(err))
        snprintf(buf, n, "%s%.3g", pm, err);
    else
        snprintf(buf, n, " (no error: fewer than 3 widths)");
}

/* ------------------------------------------------------------------ one activation's rows */

/* One activation at one σ_b²: a row per width, the curves S̄(σ_w²) and the fits. */
typedef struct {
    int a, b, W, S;
    double *buf;
    double *N, *cm, *ws;        /* (W) width, χ_max, Widom line σ_w²* */
    double *near;               /* (W) the grid σ_w² nearest σ_w²* */
    double *ts, *tse, *td, *tde, *gm, *gme; /* (W) exponents there, with errors */
    double *cdist;              /* (W) distance to the nearest reference class */
    double *fitc, *fitw;        /* (W) fitted χ_max and σ_w²* */
    double *curves, *CX, *CY;   /* (W, S) S̄ and the collapse's rescaled curves */
    int *cls;                   /* (W) nearest reference class, -1 if none */
    long *cell_of;              /* (W) the cell each row's exponents are from, -1 if none */
    double *exploded;           /* (n_tasks) avalanches that left float range */
    fss_fit ff;
} fss_rows;

static void rows_free(fss_rows *r)
{
    free(r->buf);
    free(r->cls);
    free(r->cell_of);
    free(r->exploded);
}

static int rows_alloc(const phase_file *pf, int a, int b, int fit_sc, fss_rows *r,
                      cs_err *err)
{
    int W = pf->n_width, S = pf->n_sw2;
    *r = (fss_rows){.a = a, .b = b, .W = W, .S = S};
    r->buf = phase_figures_dalloc(13L * W + 3L * W * S);
    r->cls = calloc((size_t)W, sizeof *r->cls);
    r->cell_of = calloc((size_t)W, sizeof *r->cell_of);
    r->exploded = phase_figures_dalloc(pf->n_tasks);
    if (!r->buf || !r->cls || !r->cell_of || !r->exploded) {
        rows_free(r);
        return cs_fail(err, CS_EXIT_ERROR, "out of memory");
    }
    double **cols[] = {&r->N, &r->cm, &r->ws, &r->near, &r->ts, &r->tse, &r->td, &r->tde,
                       &r->gm, &r->gme, &r->cdist, &r->fitc, &r->fitw};
    for (size_t i = 0; i < sizeof cols / sizeof *cols; i++)
        *cols[i] = r->buf + (long)i * W;
    r->curves = r->buf + 13L * W;
    r->CX = r->curves + (long)W * S;
    r->CY = r->CX + (long)W * S;
    fss_fit_init(&r->ff, fit_sc);
    return 0;
}

/* The exponents of cell o into row w: pooled over seeds where the file has them,
 * otherwise seed means. */
static void exponents_at(phase_ctx *c, long o, int w, fss_rows *r)
{
    const phase_file *pf = &c->pf;
    const phase_derived *d = &c->d;
    if (d->has_pooled) {
        r->ts[w] = d->tau_s_pooled[o]; r->tse[w] = d->tau_s_pooled_err[o];
        r->td[w] = d->tau_d_pooled[o]; r->tde[w] = d->tau_d_pooled_err[o];
        r->gm[w] = d->gamma_pooled[o]; r->gme[w] = d->gamma_pooled_err[o];
    }
    const char *names[3] = {"tau_s", "tau_d", "gamma"};
    double *dst[3] = {r->ts, r->td, r->gm};
    for (int k = 0; k < 3; k++) {
        if (isfinite(dst[k][w]) || !phase_has_dataset(pf, names[k]))
            continue;
        double *cells = phase_figures_dalloc(pf->n_cells);
        cs_err e2 = {0};
        if (cells && phase_figures_cells(c, names[k], 0, cells, &e2) == 0)
            dst[k][w] = cells[o];
        free(cells);
    }
}

/* Row w: χ_max, the Widom line, and the exponents and reference class at the grid point
 * nearest it. */
static void gather_row(phase_ctx *c, int w, int n_classes, fss_rows *r)
{
    const phase_file *pf = &c->pf;
    const phase_derived *d = &c->d;
    int S = r->S;
    long row = ((long)r->a * r->W + w) * pf->n_sb2 + r->b;
    r->N[w] = pf->width[w];
    r->cm[w] = d->chi_max[row];
    r->ws[w] = d->widom_sigma_w2[row];
    memcpy(r->curves + (long)w * S, d->S_mean_seedavg + row * S, (size_t)S * sizeof(double));
    int jn = -1;
    for (int j = 0; j < S && isfinite(r->ws[w]); j++)
        if (jn < 0 || fabs(pf->sigma_w2[j] - r->ws[w]) < fabs(pf->sigma_w2[jn] - r->ws[w]))
            jn = j;
    r->near[w] = jn >= 0 ? pf->sigma_w2[jn] : NAN;
    r->cls[w] = -1;
    r->cell_of[w] = -1;
    if (jn < 0)
        return;
    long o = row * S + jn;
    r->cell_of[w] = o;
    exponents_at(c, o, w, r);
    double dist[MAX_CLASSES];
    if (n_classes > 0 && n_classes <= MAX_CLASSES)
        r->cls[w] = fit_nearest_class(r->ts[w], r->td[w], r->gm[w], dist);
    r->cdist[w] = r->cls[w] >= 0 ? dist[r->cls[w]] : NAN;
}

/* The rows of activation a at σ_b² row b, and the fits through them. */
static int gather_and_fit(phase_ctx *c, int a, int b, int fit_sc, int n_classes, fss_rows *r,
                          cs_err *err)
{
    const phase_file *pf = &c->pf;
    int rc = rows_alloc(pf, a, b, fit_sc, r, err);
    if (rc)
        return rc;
    cs_err e_ex = {0};
    if (!phase_has_dataset(pf, "n_exploded") ||
        phase_task_values(pf, "n_exploded", r->exploded, &e_ex) != 0)
        for (long t = 0; t < pf->n_tasks; t++)
            r->exploded[t] = NAN;
    for (int w = 0; w < r->W; w++)
        gather_row(c, w, n_classes, r);
    fss_fit_kappa(r->N, r->cm, r->W, &r->ff, r->fitc);
    fss_fit_widom(r->N, r->ws, r->W, c->d.edge_sigma_w2[(long)a * pf->n_sb2 + b], &r->ff,
                  r->fitw);
    fss_fit_collapse(pf->sigma_w2, r->S, r->curves, r->N, r->W, &r->ff, r->CX, r->CY);
    return 0;
}

/* ------------------------------------------------------------------ the table */

static void print_rows(const phase_file *pf, const fss_rows *r, const fit_class *classes)
{
    printf("\nfinite-size scaling — %s, sigma_b2 = %g\n", pf->activation[r->a],
           pf->sigma_b2[r->b]);
    printf("%6s %12s %12s %10s %8s %8s %8s  %s\n", "N", "chi_max", "sigma_w2*", "at grid",
           "tau_s", "tau_d", "gamma", "nearest class (distance)");
    for (int w = 0; w < r->W; w++) {
        char cl[160] = "-";
        int k = r->cls[w];
        if (k >= 0)
            snprintf(cl, sizeof cl, "%s (%.3f)", classes[k].name, r->cdist[w]);
        printf("%6d %12.6g %12.6g %10.4g %8.4f %8.4f %8.4f  %s\n", pf->width[w], r->cm[w],
               r->ws[w], r->near[w], r->ts[w], r->td[w], r->gm[w], cl);
    }
}

/* Why an exponent is NaN, and avalanches whose sizes are only lower bounds. */
static void print_row_notes(const phase_ctx *c, const fss_rows *r)
{
    const phase_file *pf = &c->pf;
    const phase_derived *d = &c->d;
    for (int w = 0; w < r->W; w++) {
        long o = r->cell_of[w];
        if (o < 0)
            continue;
        const char *note = d->has_pooled && d->pooled_note ? d->pooled_note + o * CS_FIT_NOTE_LEN : "";
        if (note[0])
            printf("  N = %d, sigma_w2 = %g: %s\n", pf->width[w], r->near[w], note);
        double nx = 0;
        for (int sd = 0; sd < pf->n_seed; sd++)
            if (isfinite(r->exploded[o * pf->n_seed + sd]))
                nx += r->exploded[o * pf->n_seed + sd];
        if (nx > 0)
            printf("  N = %d, sigma_w2 = %g: %.0f avalanches left float range (their S are lower "
                   "bounds)\n", pf->width[w], r->near[w], nx);
    }
}

static void print_fits(const fss_fit *ff, const fit_class *classes, int n_classes)
{
    char e1s[64], e2s[64];
    int fit_sc = ff->sigma_c_fitted;
    fmt_err(e1s, sizeof e1s, ff->kappa_err, " +- ");
    fmt_err(e2s, sizeof e2s, ff->inv_nu_err, " +- ");
    printf("chi_max ~ N^kappa: kappa = %.4f%s\n", ff->kappa, e1s);
    printf("sigma_w2*(N) - sigma_c ~ N^(-1/nu): 1/nu = %.4f%s, sigma_c = %.6g%s", ff->inv_nu,
           e2s, ff->sigma_c, fit_sc ? " (fitted" : " (mean-field edge of chaos)");
    if (fit_sc)
        printf(" +- %.4g; 1/nu from a 0.001 grid on [0.05, 3])", ff->sigma_c_err);
    printf("\ncollapse S N^(-a) vs (sigma_w2 - sigma_c) N^(1/nu): a = %.2f, 1/nu = %.2f, "
           "NMSE = %.4g (grid a in [-1, 2], 1/nu in [0.05, 2], step 0.01)\n",
           ff->coll_a, ff->coll_inv_nu, ff->coll_nmse);
    if (n_classes > 0) {
        printf("reference classes:");
        for (int k = 0; k < n_classes; k++)
            printf("%s %s (tau_s %.4g, tau_d %.4g, gamma %.4g)", k ? ";" : "", classes[k].name,
                   classes[k].tau_s, classes[k].tau_d, classes[k].gamma);
        printf("\n");
    }
}

/* ------------------------------------------------------------------ CSVs */

/* fss_<activation>.csv: the table's rows with errors and the fitted curves. */
static int write_rows_csv(const phase_file *pf, const fss_rows *r, const fit_class *classes,
                          const char *path, cs_err *err)
{
    FILE *f = phase_figures_open_out(path, err);
    if (!f)
        return err->code;
    fprintf(f, "width,sigma_b2,chi_max,widom_sigma_w2,nearest_grid_sigma_w2,tau_s,tau_s_err,"
               "tau_d,tau_d_err,gamma,gamma_err,nearest_class,class_distance,"
               "chi_max_fit,widom_fit\n");
    for (int w = 0; w < r->W; w++) {
        int k = r->cls[w];
        double vals[] = {r->cm[w], r->ws[w], r->near[w], r->ts[w], r->tse[w], r->td[w],
                         r->tde[w], r->gm[w], r->gme[w]};
        fprintf(f, "%d,", pf->width[w]);
        phase_figures_put_num(f, pf->sigma_b2[r->b]);
        for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
            fputc(',', f);
            phase_figures_put_num(f, vals[i]);
        }
        fprintf(f, ",%s,", k >= 0 ? classes[k].name : "");
        phase_figures_put_num(f, r->cdist[w]);
        fputc(',', f);
        phase_figures_put_num(f, r->fitc[w]);
        fputc(',', f);
        phase_figures_put_num(f, r->fitw[w]);
        fputc('\n', f);
    }
    return phase_figures_close_out(f, path, err);
}

/* One row of fss_fits.csv. */
static void write_fits_row(FILE *f, const phase_file *pf, const fss_rows *r)
{
    const fss_fit *ff = &r->ff;
    double vals[] = {pf->sigma_b2[r->b], ff->kappa, ff->kappa_err, ff->inv_nu, ff->inv_nu_err,
                     ff->sigma_c, ff->sigma_c_err, ff->coll_a, ff->coll_inv_nu, ff->coll_nmse};
    fprintf(f, "%s", pf->activation[r->a]);
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
        fputc(',', f);
        phase_figures_put_num(f, vals[i]);
    }
    fprintf(f, ",%d\n", ff->sigma_c_fitted);
}

/* fss_<activation>_collapse.csv beside the figure: the curves before and after rescaling. */
static int write_collapse_csv(const phase_file *pf, const fss_rows *r, const char *fig,
                              cs_err *err)
{
    char csv[4300];
    phase_figures_csv_beside(fig, csv, sizeof csv);
    snprintf(csv + strlen(csv) - 4, sizeof csv - strlen(csv) + 4, "_collapse.csv");
    FILE *f = phase_figures_open_out(csv, err);
    if (!f)
        return err->code;
    fprintf(f, "width,sigma_w2,S_mean,x_scaled,y_scaled\n");
    for (int w = 0; w < r->W; w++)
        for (int j = 0; j < r->S; j++) {
            long i = (long)w * r->S + j;
            fprintf(f, "%d,", pf->width[w]);
            phase_figures_put_num(f, pf->sigma_w2[j]);
            fputc(',', f);
            phase_figures_put_num(f, r->curves[i]);
            fputc(',', f);
            phase_figures_put_num(f, r->CX[i]);
            fputc(',', f);
            phase_figures_put_num(f, r->CY[i]);
            fputc('\n', f);
        }
    return phase_figures_close_out(f, csv, err);
}

/* ------------------------------------------------------------------ the figure */

static void panel_chi_max(const phase_file *pf, const fss_rows *r)
{
    char t1[256], n1[160], e1s[64];
    const fss_fit *ff = &r->ff;
    plot_series s1[2] = {{.x = r->N, .y = r->cm, .n = r->W, .label = "χ#dmax#u",
                          .color = PLOT_BLUE, .width = 2.5, .marker = 1, .no_line = 1},
                         {.x = r->N, .y = r->fitc, .n = r->W, .label = "fit N#uκ#d",
                          .color = PLOT_RED, .dashed = 1, .width = 2.0}};
    snprintf(t1, sizeof t1, "peak susceptibility χ#dmax#u — %s, " SB2 " = %g", pf->activation[r->a],
             pf->sigma_b2[r->b]);
    fmt_err(e1s, sizeof e1s, ff->kappa_err, " ± ");
    snprintf(n1, sizeof n1, "κ = %.3f%s", ff->kappa, e1s);
    plot_lines_spec p1 = {"width N", "χ#dmax#u", t1, s1, 2, NULL, NULL, 0, 1, 1, n1};
    plot_lines(&p1);
}

static void panel_widom(const phase_file *pf, const fss_rows *r)
{
    char t2[256], n2[160], e2s[64];
    const fss_fit *ff = &r->ff;
    int W = r->W;
    double scl[2] = {ff->sigma_c, ff->sigma_c}, nrange[2] = {r->N[0], r->N[W - 1]};
    plot_series s2[3] = {{.x = r->N, .y = r->ws, .n = W, .label = SW2 "*(N)",
                          .color = PLOT_BLUE, .width = 2.5, .marker = 1, .no_line = 1},
                         {.x = r->N, .y = r->fitw, .n = W, .label = "fit", .color = PLOT_RED,
                          .dashed = 1, .width = 2.0},
                         {.x = nrange, .y = scl, .n = 2,
                          .label = ff->sigma_c_fitted ? "σ#dc#u (fitted)"
                                                      : "σ#dc#u (edge of chaos)",
                          .color = PLOT_GREY, .dashed = 1, .width = 1.5}};
    snprintf(t2, sizeof t2, "Widom line " SW2 "* — %s", pf->activation[r->a]);
    fmt_err(e2s, sizeof e2s, ff->inv_nu_err, " ± ");
    snprintf(n2, sizeof n2, "1/ν = %.3f%s, σ#dc#u = %.4g", ff->inv_nu, e2s, ff->sigma_c);
    plot_lines_spec p2 = {"width N", SW2 "*", t2, s2, 3, NULL, NULL, 0, 1, 0, n2};
    plot_lines(&p2);
}

static void panel_collapse(const phase_file *pf, const fss_rows *r)
{
    char t3[256], n3[160];
    const fss_fit *ff = &r->ff;
    int W = r->W, S = r->S;
    plot_series *s3 = calloc((size_t)W, sizeof *s3);
    char(*lab)[32] = calloc((size_t)W, sizeof *lab);
    if (s3 && lab) {
        for (int w = 0; w < W; w++) {
            snprintf(lab[w], 32, "N = %d", pf->width[w]);
            s3[w] = (plot_series){.x = r->CX + (long)w * S, .y = r->CY + (long)w * S, .n = S,
                                  .label = lab[w], .color = plot_series_color(w),
                                  .width = 2.5, .marker = 1};
        }
        snprintf(t3, sizeof t3, "collapse S N#u−a#d — %s", pf->activation[r->a]);
        snprintf(n3, sizeof n3, "a = %.2f, 1/ν = %.2f, NMSE = %.3g", ff->coll_a, ff->coll_inv_nu,
                 ff->coll_nmse);
        plot_lines_spec p3 = {"(" SW2 " − σ#dc#u) N#u1/ν#d", "S N#u−a#d", t3, s3,
                              isfinite(ff->coll_a) ? W : 0, NULL, NULL, 0, 0, 0, n3};
        plot_lines(&p3);
    }
    free(s3);
    free(lab);
}

static void panel_exponents(const phase_ctx *c, const fss_rows *r)
{
    char t4[256];
    plot_series s4[3] = {{.x = r->N, .y = r->ts, .n = r->W, .label = "τ#ds#u",
                          .color = PLOT_BLUE, .width = 2.5, .marker = 1},
                         {.x = r->N, .y = r->td, .n = r->W, .label = "τ#dd#u",
                          .color = PLOT_ORANGE, .width = 2.5, .marker = 1},
                         {.x = r->N, .y = r->gm, .n = r->W, .label = "γ", .color = PLOT_GREEN,
                          .width = 2.5, .marker = 1}};
    snprintf(t4, sizeof t4, "exponents at the Widom line — %s", c->pf.activation[r->a]);
    plot_lines_spec p4 = {"width N", "exponent", t4, s4, 3, NULL, NULL, 0, 1, 0,
                          c->d.has_pooled ? "pooled over seeds" : "seed means"};
    plot_lines(&p4);
}

/* χ_max(N), σ*(N), the collapse and the exponents. */
static int render_figure(const phase_ctx *c, const fss_rows *r, const char *path, cs_err *err)
{
    int rc = plot_open(path, FSS_W, FSS_H, 2, 2, err);
    if (rc)
        return rc;
    panel_chi_max(&c->pf, r);
    panel_widom(&c->pf, r);
    panel_collapse(&c->pf, r);
    panel_exponents(c, r);
    return plot_close(err);
}

/* ------------------------------------------------------------------ the command */

static int fss_activation(phase_ctx *c, int a, int b, int fit_sc, const char *dir,
                          const char *ext, FILE *fits_csv, cs_err *err)
{
    const phase_file *pf = &c->pf;
    const fit_class *classes = NULL;
    int n_classes = fit_reference_classes(&classes);
    fss_rows r;
    int rc = gather_and_fit(c, a, b, fit_sc, n_classes, &r, err);
    if (rc)
        return rc;
    print_rows(pf, &r, classes);
    print_row_notes(c, &r);
    print_fits(&r.ff, classes, n_classes);
    char path[4200];
    snprintf(path, sizeof path, "%s/fss_%s.csv", dir, pf->activation[a]);
    rc = write_rows_csv(pf, &r, classes, path, err);
    if (!rc && fits_csv)
        write_fits_row(fits_csv, pf, &r);
    if (!rc) {
        snprintf(path, sizeof path, "%s/fss_%s.%s", dir, pf->activation[a], ext);
        rc = render_figure(c, &r, path, err);
    }
    if (!rc)
        rc = write_collapse_csv(pf, &r, path, err);
    rows_free(&r);
    return rc;
}

typedef struct {
    const char *path, *out, *fmt;
    double sb2;         /* NaN: the file's first row */
    int fit_sc, no_write, force;
    const char *slab;   /* --slab A=V in a sweep with optional axes */
} fss_args;

/* Returns -1 to go on, or the exit code (help, usage errors). */
static int parse_args(int argc, char **argv, fss_args *o)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'}, {"sigma-b2", required_argument, NULL, 'b'},
        {"fit-sigma-c", no_argument, NULL, 'c'}, {"format", required_argument, NULL, 'f'},
        {"no-write", no_argument, NULL, 'n'}, {"force-write", no_argument, NULL, 'F'},
        {"slab", required_argument, NULL, 'S'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    *o = (fss_args){NULL, NULL, "png", NAN, 0, 0, 0, NULL};
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'o': o->out = optarg; break;
        case 'S': o->slab = optarg; break;
        case 'b':
            if (cs_parse_double(optarg, &o->sb2) != 0 || !(o->sb2 >= 0))
                return cli_usage_error("fss", "--sigma-b2 %s: not a number >= 0", optarg);
            break;
        case 'c': o->fit_sc = 1; break;
        case 'n': o->no_write = 1; break;
        case 'F': o->force = 1; break;
        case 'f':
            if (strcmp(optarg, "png") && strcmp(optarg, "svg") && strcmp(optarg, "pdf"))
                return cli_usage_error("fss", "--format %s: use png, svg or pdf", optarg);
            o->fmt = optarg;
            break;
        case 'h': fss_help(stdout); return CS_EXIT_OK;
        case ':': return cli_usage_error("fss", "%s needs a value", argv[optind - 1]);
        default: return cli_usage_error("fss", "unknown option %s (see --help)", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("fss", "give exactly one results file (see --help)");
    o->path = argv[optind];
    return -1;
}

/* The σ_b² row to use, or -1 (with a message) if the file has no such row. */
static int find_sb2_row(const phase_file *pf, double sb2, const char *path)
{
    if (!isfinite(sb2))
        return 0;
    for (int k = pf->n_sb2 - 1; k >= 0; k--)
        if (fabs(pf->sigma_b2[k] - sb2) <= 1e-9 * fmax(1.0, fabs(sb2)))
            return k;
    char list[512] = "";
    for (int i = 0; i < pf->n_sb2; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%g", i ? ", " : "",
                 pf->sigma_b2[i]);
    fprintf(stderr, "critsweep fss: --sigma-b2 %g: not in %s (it has %s)\n", sb2, path, list);
    return -1;
}

/* Every activation's table, CSVs and figure into dir, and fss_fits.csv. */
static int fss_all(phase_ctx *c, int b, const fss_args *o, const char *dir, cs_err *err)
{
    const phase_file *pf = &c->pf;
    int rc = phase_figures_ensure_dir(dir, err);
    char fits[4200];
    snprintf(fits, sizeof fits, "%s/fss_fits.csv", dir);
    FILE *ff = rc ? NULL : phase_figures_open_out(fits, err);
    if (!rc && !ff)
        rc = err->code;
    if (ff)
        fprintf(ff, "activation,sigma_b2,kappa,kappa_err,inv_nu,inv_nu_err,sigma_c,sigma_c_err,"
                    "collapse_a,collapse_inv_nu,collapse_nmse,sigma_c_fitted\n");
    if (!rc && pf->n_pending_cells)
        printf("note: %ld of %ld cells have no finished seed yet\n", pf->n_pending_cells, pf->n_cells);
    for (int a = 0; a < pf->n_act && !rc; a++)
        rc = fss_activation(c, a, b, o->fit_sc, dir, o->fmt, ff, err);
    if (ff) {
        int rc2 = phase_figures_close_out(ff, fits, err);
        rc = rc ? rc : rc2;
    }
    return rc;
}

int cli_fss(int argc, char **argv)
{
    fss_args o;
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0)
        return rc;
    phase_ctx c;
    cs_err err = {0};
    rc = phase_figures_load(&c, "fss", o.path, o.no_write, o.force, 0, &err);
    if (!rc && (rc = phase_figures_named_slab(&c, o.slab, "fss", &err)))
        phase_figures_unload(&c);
    if (rc) {
        fprintf(stderr, "critsweep fss: %s\n", err.msg);
        return rc;
    }
    const phase_file *pf = &c.pf;
    int b = 0;
    if (pf->n_width < 2) {
        fprintf(stderr, "critsweep fss: %s has one width (N = %d): finite-size scaling needs "
                        "two or more (add widths to the sweep's grid)\n", o.path, pf->width[0]);
        rc = CS_EXIT_USAGE;
    } else if ((b = find_sb2_row(pf, o.sb2, o.path)) < 0) {
        rc = CS_EXIT_USAGE;
    } else {
        char dir[4000];
        if (o.out)
            snprintf(dir, sizeof dir, "%s", o.out);
        else
            phase_figures_default_dir(o.path, dir, sizeof dir);
        rc = fss_all(&c, b, &o, dir, &err);
        if (rc)
            fprintf(stderr, "critsweep fss: %s\n", err.msg);
        else
            fprintf(stderr, "critsweep fss: figures and CSVs in %s/\n", dir);
    }
    phase_figures_unload(&c);
    return rc;
}

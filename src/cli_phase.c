/* cli_phase.c — `critsweep phase`: heatmaps over (σ_w², σ_b²), the Widom and
 * edge-of-chaos lines, 1-D cuts, a summary figure and the claim test (`critsweep fss`
 * is cli_fss.c).  Every figure gets a CSV of its numbers beside it, so a reader can
 * check or replot anything. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "critsweep/activation.h"
#include "critsweep/claim.h"
#include "critsweep/cli.h"
#include "critsweep/common.h"
#include "critsweep/fit.h"
#include "critsweep/meanfield.h"
#include "critsweep/phase.h"
#include "critsweep/phase_figures.h"
#include "critsweep/plot.h"
#include "critsweep/quantity.h"

/* Heatmap and figure sizes in pixels (the tests read them back from the PNG header). */
enum { HEAT_W = 1000, HEAT_H = 760, CUT_W = 1800, CUT_H = 700, SUM_W = 1800, SUM_H = 1500 };

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
    {"dynamic_range", NULL},
    {"branching_trained", NULL},
    {"lyapunov_trained", NULL},
    {"inactive_fraction_trained", NULL},
};

static const char *quantity_label(const char *name)
{
    for (size_t i = 0; i < sizeof STANDARD / sizeof *STANDARD; i++)
        if (STANDARD[i].label && !strcmp(STANDARD[i].name, name))
            return STANDARD[i].label;
    const char *label = quantity_figure_label(name);
    return label ? label : name;
}

/* ------------------------------------------------------------------ quantities */

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
    const double *wlo, *whi, *rlo, *rhi;   /* their 95 % seed-bootstrap intervals (B) */
} overlay;

static void overlay_fill(const phase_ctx *c, int a, int w, overlay *o)
{
    const phase_file *pf = &c->pf;
    int B = pf->n_sb2;
    long r0 = ((long)a * pf->n_width + w) * B;
    for (int b = 0; b < B; b++) {
        o->wx[b] = c->d.widom_sigma_w2[r0 + b];
        o->wy[b] = pf->sigma_b2[b];
        o->rx[b] = c->d.accuracy_ridge_sigma_w2[r0 + b];
    }
    o->wlo = c->d.widom_sigma_w2_lo + r0;
    o->whi = c->d.widom_sigma_w2_hi + r0;
    o->rlo = c->d.accuracy_ridge_sigma_w2_lo + r0;
    o->rhi = c->d.accuracy_ridge_sigma_w2_hi + r0;
    o->ne = c->edge_fx ? c->n_fine : 0;
    o->ex = c->edge_fx ? c->edge_fx + (long)a * c->n_fine : NULL;
    o->ey = c->edge_fy;
}

/* The Widom line and the ridge carry horizontal bars: their 95 % intervals in σ_w². */
static int overlay_series(const overlay *o, int B, int ridge, plot_series *s)
{
    int n = 0;
    s[n++] = (plot_series){.x = o->wx, .y = o->wy, .n = B, .label = "Widom line (max χ, 95 %)",
                           .color = PLOT_WHITE, .width = 3.0, .marker = 1, .halo = 1,
                           .xlo = o->wlo, .xhi = o->whi};
    if (o->ne)
        s[n++] = (plot_series){.x = o->ex, .y = o->ey, .n = o->ne,
                               .label = "edge of chaos (χ#d1#u = 1)", .color = PLOT_RED,
                               .dashed = 1, .width = 3.5};
    if (ridge)
        s[n++] = (plot_series){.x = o->rx, .y = o->wy, .n = B, .label = "accuracy ridge (95 %)",
                               .color = PLOT_CYAN, .marker = 1, .no_line = 1, .halo = 1,
                               .xlo = o->rlo, .xhi = o->rhi};
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
    double *buf = phase_figures_dalloc(4L * B);
    if (!buf)
        return -1;
    overlay o = {.wx = buf, .wy = buf + B, .rx = buf + 3 * B};
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
    snprintf(title, sizeof title, "%s — %s, N = %d%s%s", quantity_label(qname), pf->activation[a],
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
    FILE *f = phase_figures_open_out(path, err);
    if (!f)
        return err->code;
    int B = pf->n_sb2, S = pf->n_sw2;
    const double *z = cells + ((long)a * pf->n_width + w) * B * S;
    fprintf(f, "sigma_b2,sigma_w2,value\n");
    for (int b = 0; b < B; b++)
        for (int j = 0; j < S; j++) {
            phase_figures_put_num(f, pf->sigma_b2[b]);
            fputc(',', f);
            phase_figures_put_num(f, pf->sigma_w2[j]);
            fputc(',', f);
            phase_figures_put_num(f, z[(long)b * S + j]);
            fputc('\n', f);
        }
    return phase_figures_close_out(f, path, err);
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
    phase_figures_csv_beside(path, csv, sizeof csv);
    return write_heat_csv(csv, &c->pf, cells, a, w, err);
}

/* ------------------------------------------------------------------ cuts */

/* The series of the cuts at (activation a, σ_b² index b), for every width: S̄, χ and
 * the test accuracy, each with its seed band. */
typedef struct {
    plot_series *ls;        /* (3 W): S̄ (W), χ (W), accuracy (W) */
    char (*labels)[64];     /* (W) */
    double *band;           /* (4, W, S): S̄ − sd, S̄ + sd, accuracy − sd, accuracy + sd */
} cut_lines;

static void cut_lines_free(cut_lines *cl)
{
    free(cl->ls);
    free(cl->labels);
    free(cl->band);
}

/* S̄ ± one seed standard deviation, and the accuracy likewise (NaN where a cell has
 * fewer than two seeds: no band there); χ has its bootstrap interval in the tables. */
static int cut_lines_fill(const phase_ctx *c, int a, int b, cut_lines *cl)
{
    const phase_file *pf = &c->pf;
    int W = pf->n_width, B = pf->n_sb2, S = pf->n_sw2;
    long WS = (long)W * S;
    cl->ls = calloc((size_t)W * 3, sizeof *cl->ls);
    cl->labels = calloc((size_t)W, sizeof *cl->labels);
    cl->band = phase_figures_dalloc(4 * WS);
    if (!cl->ls || !cl->labels || !cl->band)
        return -1;
    const phase_derived *d = &c->d;
    for (int w = 0; w < W; w++) {
        long o = (((long)a * W + w) * B + b) * S, k0 = (long)w * S;
        for (int j = 0; j < S; j++) {
            double sm = d->S_mean_seedavg[o + j], ss = d->S_mean_seedstd[o + j];
            double am = d->accuracy_seedavg[o + j], as = d->accuracy_seedstd[o + j];
            cl->band[k0 + j] = sm - ss;
            cl->band[WS + k0 + j] = sm + ss;
            cl->band[2 * WS + k0 + j] = am - as;
            cl->band[3 * WS + k0 + j] = am + as;
        }
        snprintf(cl->labels[w], 64, "N = %d", pf->width[w]);
        int col = plot_series_color(w);
        const double *x = pf->sigma_w2, *bd = cl->band + k0;
        cl->ls[w] = (plot_series){.x = x, .y = d->S_mean_seedavg + o, .n = S,
                                  .label = cl->labels[w], .color = col, .width = 2.5,
                                  .marker = 1, .ylo = bd, .yhi = bd + WS, .band = 1};
        cl->ls[W + w] = (plot_series){.x = x, .y = d->chi + o, .n = S, .label = cl->labels[w],
                                      .color = col, .width = 2.5, .marker = 1,
                                      .ylo = d->chi_lo + o, .yhi = d->chi_hi + o, .band = 1};
        cl->ls[2 * W + w] = (plot_series){.x = x, .y = d->accuracy_seedavg + o, .n = S,
                                          .color = col, .dashed = 1, .width = 1.5,
                                          .ylo = bd + 2 * WS, .yhi = bd + 3 * WS, .band = 1};
    }
    return 0;
}

/* The two panels of a cut: S̄ and χ, with the accuracy on the right axis. */
static void cut_panels(const phase_ctx *c, int a, int b, const cut_lines *cl)
{
    const phase_file *pf = &c->pf;
    int W = pf->n_width, acc = c->d.has_accuracy;
    char title[256], note[256];
    snprintf(title, sizeof title, "mean size S — %s, " SB2 " = %g", pf->activation[a],
             pf->sigma_b2[b]);
    snprintf(note, sizeof note, "bands: ± 1 seed std%s", acc ? "; dashed: accuracy (right axis)" : "");
    plot_lines_spec p1 = {SW2, "mean avalanche size S", title, cl->ls, W,
                          acc ? "test accuracy" : NULL, cl->ls + 2 * W, acc ? W : 0, 0, 0, note};
    plot_lines(&p1);
    snprintf(title, sizeof title, "susceptibility χ — %s, " SB2 " = %g", pf->activation[a],
             pf->sigma_b2[b]);
    snprintf(note, sizeof note, "bands: χ 95 %% seed bootstrap%s",
             acc ? ", accuracy (dashed, right) ± 1 seed std" : "");
    plot_lines_spec p2 = {SW2, "χ = ∂S/∂" SW2, title, cl->ls + W, W,
                          acc ? "test accuracy" : NULL, cl->ls + 2 * W, acc ? W : 0, 0, 0, note};
    plot_lines(&p2);
}

/* The numbers of a cut, with the band edges (columns added after the original ones). */
static int write_cut_csv(const phase_ctx *c, int a, int b, const char *path, cs_err *err)
{
    const phase_file *pf = &c->pf;
    int W = pf->n_width, B = pf->n_sb2, S = pf->n_sw2;
    FILE *f = phase_figures_open_out(path, err);
    if (!f)
        return err->code;
    fprintf(f, "width,sigma_b2,sigma_w2,S_mean,chi,test_accuracy,S_mean_seedstd,chi_lo,chi_hi,"
               "test_accuracy_seedstd\n");
    for (int w = 0; w < W; w++)
        for (int j = 0; j < S; j++) {
            long o = (((long)a * W + w) * B + b) * S + j;
            const double v[] = {pf->sigma_b2[b], pf->sigma_w2[j], c->d.S_mean_seedavg[o],
                                c->d.chi[o], c->d.accuracy_seedavg[o], c->d.S_mean_seedstd[o],
                                c->d.chi_lo[o], c->d.chi_hi[o], c->d.accuracy_seedstd[o]};
            fprintf(f, "%d", pf->width[w]);
            for (size_t k = 0; k < sizeof v / sizeof *v; k++) {
                fputc(',', f);
                phase_figures_put_num(f, v[k]);
            }
            fputc('\n', f);
        }
    return phase_figures_close_out(f, path, err);
}

/* Lines against σ_w² at fixed (activation, σ_b²), one per width: S̄ and χ with their
 * seed bands, and the test accuracy (with its band) on a second axis. */
static int render_cuts(phase_ctx *c, int a, int b, const char *path, cs_err *err)
{
    cut_lines cl = {0};
    int rc = cut_lines_fill(c, a, b, &cl) ? cs_fail(err, CS_EXIT_ERROR, "out of memory") : 0;
    if (!rc)
        rc = plot_open(path, CUT_W, CUT_H, 2, 1, err);
    if (!rc) {
        cut_panels(c, a, b, &cl);
        rc = plot_close(err);
    }
    if (!rc) {
        char csv[4200];
        phase_figures_csv_beside(path, csv, sizeof csv);
        rc = write_cut_csv(c, a, b, csv, err);
    }
    cut_lines_free(&cl);
    return rc;
}

/* ------------------------------------------------------------------ claim test */

/* The claim test's estimates per (activation, width), each with its interval, in the
 * order of claim_test.csv; `pairs` names the count column after it, if any. */
typedef struct {
    const char *name, *pairs;
    const double *est, *lo, *hi;
    const int *n;
} claim_column;

static int claim_columns(const phase_derived *d, claim_column *col)
{
    claim_column c[] = {
        {"spearman_acc_chi", "n_acc_chi", d->spearman_acc_chi, d->spearman_acc_chi_lo,
         d->spearman_acc_chi_hi, d->n_acc_chi},
        {"spearman_acc_edge", "n_acc_edge", d->spearman_acc_edge, d->spearman_acc_edge_lo,
         d->spearman_acc_edge_hi, d->n_acc_edge},
        {"ridge_dist_widom", "n_ridge_widom", d->ridge_dist_widom, d->ridge_dist_widom_lo,
         d->ridge_dist_widom_hi, d->n_ridge_widom},
        {"ridge_dist_edge", "n_ridge_edge", d->ridge_dist_edge, d->ridge_dist_edge_lo,
         d->ridge_dist_edge_hi, d->n_ridge_edge},
        {"rho_diff", NULL, d->rho_diff, d->rho_diff_lo, d->rho_diff_hi, NULL},
        {"rho_dist_widom", NULL, d->rho_dist_widom, d->rho_dist_widom_lo, d->rho_dist_widom_hi,
         NULL},
        {"rho_dist_edge", NULL, d->rho_dist_edge, d->rho_dist_edge_lo, d->rho_dist_edge_hi,
         NULL},
        {"rho_dist_diff", NULL, d->rho_dist_diff, d->rho_dist_diff_lo, d->rho_dist_diff_hi,
         NULL},
    };
    memcpy(col, c, sizeof c);
    return (int)(sizeof c / sizeof *c);
}
enum { CLAIM_COLUMNS = 8 };

static void claim_csv_header(FILE *f, const claim_column *col, int n)
{
    fprintf(f, "activation,width");
    for (int k = 0; k < n; k++) {
        fprintf(f, ",%s,%s_lo,%s_hi", col[k].name, col[k].name, col[k].name);
        if (col[k].pairs)
            fprintf(f, ",%s", col[k].pairs);
    }
    fprintf(f, ",claim_verdict,verdict,claim_verdict_dist,verdict_dist\n");
}

static void claim_csv_row(FILE *f, const phase_ctx *c, const claim_column *col, int n, int a,
                          int w)
{
    const phase_file *pf = &c->pf;
    long aw = (long)a * pf->n_width + w;
    fprintf(f, "%s,%d", pf->activation[a], pf->width[w]);
    for (int k = 0; k < n; k++) {
        const double v[3] = {col[k].est[aw], col[k].lo[aw], col[k].hi[aw]};
        for (int e = 0; e < 3; e++) {
            fputc(',', f);
            phase_figures_put_num(f, v[e]);
        }
        if (col[k].n)
            fprintf(f, ",%d", col[k].n[aw]);
    }
    int v = c->d.claim_verdict[aw], vd = c->d.claim_verdict_dist[aw];
    fprintf(f, ",%d,%s,%d,%s\n", v, claim_verdict_name((claim_verdict)v), vd,
            claim_verdict_name((claim_verdict)vd));
}

/* "0.4612 [0.3101, 0.5873]" */
static const char *with_interval(char *buf, size_t n, const double *est, const double *lo,
                                 const double *hi, long i)
{
    snprintf(buf, n, "%7.4f [%7.4f, %7.4f]", est[i], lo[i], hi[i]);
    return buf;
}

static void claim_header(FILE *f, int replicates)
{
    fprintf(f, "claim test: does maximal susceptibility predict learning better than the "
               "edge of chaos?\n"
               "  rho_chi  = Spearman(test accuracy, chi) over the grid cells\n"
               "  rho_edge = Spearman(test accuracy, -|chi1 - 1|); rho_diff = rho_chi - "
               "rho_edge\n"
               "  distance form: rho_dist_widom = Spearman(accuracy, -|sigma_w2 - Widom|), "
               "rho_dist_edge likewise\n"
               "    with the mean-field edge, rho_dist_diff their difference\n"
               "  d_widom, d_edge = mean |accuracy ridge - line| in sigma_w2 over sigma_b2\n"
               "  [lo, hi]: 95 %% seed-bootstrap interval (%d replicates); a predictor is "
               "named only when\n    the interval of the difference excludes 0\n",
            replicates);
}

/* The two tables (correlation form, distance form) on f. */
static void claim_tables(FILE *f, const phase_ctx *c)
{
    const phase_file *pf = &c->pf;
    const phase_derived *d = &c->d;
    char b1[64], b2[64], b3[64];
    claim_header(f, pf->replicates);
    fprintf(f, "%-10s %6s %-26s %4s %-26s %-26s  %s\n", "activation", "N", "rho_chi", "n",
            "rho_edge", "rho_diff", "verdict");
    for (int a = 0; a < pf->n_act; a++)
        for (int w = 0; w < pf->n_width; w++) {
            long i = (long)a * pf->n_width + w;
            fprintf(f, "%-10s %6d %s %4d %s %s  %s\n", pf->activation[a], pf->width[w],
                    with_interval(b1, 64, d->spearman_acc_chi, d->spearman_acc_chi_lo,
                                  d->spearman_acc_chi_hi, i), d->n_acc_chi[i],
                    with_interval(b2, 64, d->spearman_acc_edge, d->spearman_acc_edge_lo,
                                  d->spearman_acc_edge_hi, i),
                    with_interval(b3, 64, d->rho_diff, d->rho_diff_lo, d->rho_diff_hi, i),
                    claim_verdict_name((claim_verdict)d->claim_verdict[i]));
        }
    fprintf(f, "%-10s %6s %-26s %-26s %-26s  %s\n", "activation", "N", "rho_dist_widom",
            "rho_dist_edge", "rho_dist_diff", "verdict (distance form)");
    for (int a = 0; a < pf->n_act; a++)
        for (int w = 0; w < pf->n_width; w++) {
            long i = (long)a * pf->n_width + w;
            fprintf(f, "%-10s %6d %s %s %s  %s\n", pf->activation[a], pf->width[w],
                    with_interval(b1, 64, d->rho_dist_widom, d->rho_dist_widom_lo,
                                  d->rho_dist_widom_hi, i),
                    with_interval(b2, 64, d->rho_dist_edge, d->rho_dist_edge_lo,
                                  d->rho_dist_edge_hi, i),
                    with_interval(b3, 64, d->rho_dist_diff, d->rho_dist_diff_lo,
                                  d->rho_dist_diff_hi, i),
                    claim_verdict_name((claim_verdict)d->claim_verdict_dist[i]));
        }
}

/* Ridge distances to both lines with their intervals. */
static void claim_distances(FILE *f, const phase_ctx *c)
{
    const phase_file *pf = &c->pf;
    const phase_derived *d = &c->d;
    char b1[64], b2[64];
    fprintf(f, "%-10s %6s %-26s %-26s\n", "activation", "N", "d_widom", "d_edge");
    for (int a = 0; a < pf->n_act; a++)
        for (int w = 0; w < pf->n_width; w++) {
            long i = (long)a * pf->n_width + w;
            fprintf(f, "%-10s %6d %s %s\n", pf->activation[a], pf->width[w],
                    with_interval(b1, 64, d->ridge_dist_widom, d->ridge_dist_widom_lo,
                                  d->ridge_dist_widom_hi, i),
                    with_interval(b2, 64, d->ridge_dist_edge, d->ridge_dist_edge_lo,
                                  d->ridge_dist_edge_hi, i));
        }
    if (!d->has_accuracy)
        fprintf(f, "(no test accuracy in the file: training was off or no task finished; "
                   "the claim test needs it)\n");
}

static int write_claim(phase_ctx *c, FILE *out, const char *txt, const char *csvpath,
                       cs_err *err)
{
    FILE *t = txt ? phase_figures_open_out(txt, err) : NULL;
    if (txt && !t)
        return err->code;
    FILE *f = csvpath ? phase_figures_open_out(csvpath, err) : NULL;
    if (csvpath && !f) {
        fclose(t);
        return err->code;
    }
    FILE *dst[2] = {out, t};
    for (int k = 0; k < 2; k++)
        if (dst[k]) {
            claim_tables(dst[k], c);
            claim_distances(dst[k], c);
        }
    claim_column col[CLAIM_COLUMNS];
    int n = claim_columns(&c->d, col);
    if (f) {
        claim_csv_header(f, col, n);
        for (int a = 0; a < c->pf.n_act; a++)
            for (int w = 0; w < c->pf.n_width; w++)
                claim_csv_row(f, c, col, n, a, w);
    }
    int rc = 0;
    if (t)
        rc = phase_figures_close_out(t, txt, err);
    if (f && !rc)
        rc = phase_figures_close_out(f, csvpath, err);
    else if (f)
        fclose(f);
    return rc;
}

/* The lines table: Widom, χ_max, edge, ridge per (activation, width, σ_b²). */
static int write_lines_csv(phase_ctx *c, const char *path, cs_err *err)
{
    const phase_file *pf = &c->pf;
    FILE *f = phase_figures_open_out(path, err);
    if (!f)
        return err->code;
    fprintf(f, "activation,width,sigma_b2,widom_sigma_w2,chi_max,edge_sigma_w2,"
               "accuracy_ridge_sigma_w2,widom_sigma_w2_lo,widom_sigma_w2_hi,"
               "accuracy_ridge_sigma_w2_lo,accuracy_ridge_sigma_w2_hi,chi_bandwidth\n");
    for (int a = 0; a < pf->n_act; a++)
        for (int w = 0; w < pf->n_width; w++)
            for (int b = 0; b < pf->n_sb2; b++) {
                long r = ((long)a * pf->n_width + w) * pf->n_sb2 + b;
                fprintf(f, "%s,%d,", pf->activation[a], pf->width[w]);
                phase_figures_put_num(f, pf->sigma_b2[b]);
                fputc(',', f);
                phase_figures_put_num(f, c->d.widom_sigma_w2[r]);
                fputc(',', f);
                phase_figures_put_num(f, c->d.chi_max[r]);
                fputc(',', f);
                phase_figures_put_num(f, c->d.edge_sigma_w2[(long)a * pf->n_sb2 + b]);
                fputc(',', f);
                phase_figures_put_num(f, c->d.accuracy_ridge_sigma_w2[r]);
                const double more[] = {c->d.widom_sigma_w2_lo[r], c->d.widom_sigma_w2_hi[r],
                                       c->d.accuracy_ridge_sigma_w2_lo[r],
                                       c->d.accuracy_ridge_sigma_w2_hi[r],
                                       c->d.chi_bandwidth[r]};
                for (size_t k = 0; k < sizeof more / sizeof *more; k++) {
                    fputc(',', f);
                    phase_figures_put_num(f, more[k]);
                }
                fputc('\n', f);
            }
    return phase_figures_close_out(f, path, err);
}

/* ------------------------------------------------------------------ summary */

/* The summary's line panels: the cuts at the first σ_b², and per activation (A) the
 * lines against the width (W). */
typedef struct {
    cut_lines cut;
    plot_series *fs;        /* (2 A) χ_max(N), σ_w²*(N) */
    double *N, *cm, *ws;    /* (W), (A, W), (A, W) */
    double *wlo, *whi;      /* (A, W) σ_w²*'s 95 % interval */
    char (*alabels)[64];    /* (A) */
} summary_lines;

static void summary_free(summary_lines *sl)
{
    cut_lines_free(&sl->cut);
    free(sl->fs);
    free(sl->N);
    free(sl->cm);
    free(sl->ws);
    free(sl->wlo);
    free(sl->whi);
    free(sl->alabels);
}

static int summary_alloc(int W, int nA, summary_lines *sl)
{
    *sl = (summary_lines){.fs = NULL};
    sl->fs = calloc((size_t)nA * 2, sizeof *sl->fs);
    sl->N = phase_figures_dalloc(W);
    sl->cm = phase_figures_dalloc((long)nA * W);
    sl->ws = phase_figures_dalloc((long)nA * W);
    sl->wlo = phase_figures_dalloc((long)nA * W);
    sl->whi = phase_figures_dalloc((long)nA * W);
    sl->alabels = calloc((size_t)nA, sizeof *sl->alabels);
    return sl->fs && sl->N && sl->cm && sl->ws && sl->wlo && sl->whi && sl->alabels ? 0 : -1;
}

/* χ_max(N) and σ_w²*(N) at the first σ_b², one line per activation; σ_w²* with its
 * 95 % seed-bootstrap interval as bars. */
static void summary_widths(phase_ctx *c, summary_lines *sl)
{
    const phase_file *pf = &c->pf;
    int W = pf->n_width, B = pf->n_sb2, nA = pf->n_act;
    for (int k = 0; k < W; k++)
        sl->N[k] = pf->width[k];
    for (int aa = 0; aa < nA; aa++) {
        long o = (long)aa * W;
        for (int k = 0; k < W; k++) {
            long r = (o + k) * B + 0;
            sl->cm[o + k] = c->d.chi_max[r];
            sl->ws[o + k] = c->d.widom_sigma_w2[r];
            sl->wlo[o + k] = c->d.widom_sigma_w2_lo[r];
            sl->whi[o + k] = c->d.widom_sigma_w2_hi[r];
        }
        snprintf(sl->alabels[aa], 64, "%s", pf->activation[aa]);
        int col = plot_series_color(aa);
        sl->fs[aa] = (plot_series){.x = sl->N, .y = sl->cm + o, .n = W,
                                   .label = sl->alabels[aa], .color = col, .width = 2.5,
                                   .marker = 1};
        sl->fs[nA + aa] = (plot_series){.x = sl->N, .y = sl->ws + o, .n = W,
                                        .label = sl->alabels[aa], .color = col, .width = 2.5,
                                        .marker = 1, .ylo = sl->wlo + o, .yhi = sl->whi + o};
    }
    char title[256];
    snprintf(title, sizeof title, "peak susceptibility χ#dmax#u — " SB2 " = %g",
             pf->sigma_b2[0]);
    plot_lines_spec p3 = {"width N", "χ#dmax#u", title, sl->fs, nA, NULL, NULL, 0, 1, 1, NULL};
    plot_lines(&p3);
    snprintf(title, sizeof title, "Widom line " SW2 "* — " SB2 " = %g", pf->sigma_b2[0]);
    plot_lines_spec p4 = {"width N", SW2 "*", title, sl->fs + nA, nA, NULL, NULL, 0, 1, 0,
                          "bars: 95 % seed bootstrap"};
    plot_lines(&p4);
}

/* Numbers behind the summary's panels: long format, one row per plotted value. */
static int write_summary_csv(phase_ctx *c, const char *fig, int a, int w,
                             const summary_lines *sl, cs_err *err)
{
    const phase_file *pf = &c->pf;
    int W = pf->n_width, B = pf->n_sb2, S = pf->n_sw2, nA = pf->n_act;
    char csv[4200];
    phase_figures_csv_beside(fig, csv, sizeof csv);
    FILE *f = phase_figures_open_out(csv, err);
    if (!f)
        return err->code;
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
                    phase_figures_put_num(f, pf->sigma_b2[b]);
                    fputc(',', f);
                    phase_figures_put_num(f, pf->sigma_w2[j]);
                    fputc(',', f);
                    phase_figures_put_num(f, heat[h].cells[(((long)a * W + k) * B + b) * S + j]);
                    fputc('\n', f);
                }
    for (int aa = 0; aa < nA; aa++)
        for (int k = 0; k < W; k++) {
            fprintf(f, "chi_max,%s,%d,", pf->activation[aa], pf->width[k]);
            phase_figures_put_num(f, pf->sigma_b2[0]);
            fputs(",nan,", f);
            phase_figures_put_num(f, sl->cm[(long)aa * W + k]);
            fprintf(f, "\nwidom_sigma_w2,%s,%d,", pf->activation[aa], pf->width[k]);
            phase_figures_put_num(f, pf->sigma_b2[0]);
            fputs(",nan,", f);
            phase_figures_put_num(f, sl->ws[(long)aa * W + k]);
            fputc('\n', f);
        }
    return phase_figures_close_out(f, csv, err);
}

/* χ and accuracy heatmaps of the first activation at the largest width, the cuts, and
 * χ_max and the Widom line against N. */
static int render_summary(phase_ctx *c, const char *path, cs_err *err)
{
    const phase_file *pf = &c->pf;
    int a = 0, w = pf->n_width - 1;
    int rc = plot_open(path, SUM_W, SUM_H, 2, 3, err);
    if (rc)
        return rc;
    heatmap_panel(c, c->d.chi, a, w, "chi", quantity_label("chi"), 1, NULL);
    heatmap_panel(c, c->d.accuracy_seedavg, a, w, "test_accuracy", "test accuracy", 1, NULL);
    summary_lines sl;
    if (summary_alloc(pf->n_width, pf->n_act, &sl) != 0) {
        plot_close(err);
        rc = cs_fail(err, CS_EXIT_ERROR, "out of memory");
    } else {
        if (cut_lines_fill(c, a, 0, &sl.cut) == 0)
            cut_panels(c, a, 0, &sl.cut);
        summary_widths(c, &sl);
        rc = plot_close(err);
        if (!rc)
            rc = write_summary_csv(c, path, a, w, &sl, err);
    }
    summary_free(&sl);
    return rc;
}

/* ------------------------------------------------------------------ phase */

/* The per-task scalars --quantity takes, from the quantity table. */
static void help_quantity_list(FILE *f)
{
    fputs("\nper-task quantities:", f);
    int col = 20; /* "per-task quantities:" */
    for (int i = 0; i < QUANTITY_COUNT; i++) {
        const quantity_def *q = &quantity_defs[i];
        if (q->trailing != QUANTITY_TR_NONE)
            continue;
        int len = (int)strlen(q->name) + 1;
        if (col + len > 86) {
            fputs("\n ", f);
            col = 1;
        }
        fprintf(f, " %s", q->name);
        col += len;
    }
    fputc('\n', f);
}

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
        "  --quantity Q     one heatmap of Q: chi, chi_b, crackling (gamma - gamma_pred), a\n"
        "                   derived dataset (tau_s_pooled, widom_sigma_w2, ...), or a per-task\n"
        "                   quantity (below)\n"
        "  --activation A   activation of that heatmap (default: the file's first)\n"
        "  --width N        width of that heatmap (default: the file's first)\n"
        "  --spread         the seed standard deviation instead of the seed mean\n"
        "  --slab A=V       with --quantity, in a sweep with an optional axis such as q0:\n"
        "                   the slab to draw (e.g. q0=0.01); the standard set draws every\n"
        "                   slab into its own subfolder (<folder>/q0=0.01/)\n"
        "  -o OUT           with --quantity: the figure (.png, .svg or .pdf); otherwise the\n"
        "                   folder of the standard set (default: <FILE stem>-figures/)\n"
        "  --format F       png, svg or pdf for the standard set (default png)\n"
        "  --csv            with --quantity: print sigma_b2,sigma_w2,value on stdout (and\n"
        "                   draw a figure only if -o is given)\n"
        "  --replicates N   seed-bootstrap replicates of the claim test's 95 %% intervals\n"
        "                   (default 1000; each resamples every cell's seeds and chooses\n"
        "                   chi's bandwidth again)\n"
        "  --claim-only     no figures: print the claim test and write lines.csv,\n"
        "                   claim_test.txt and claim_test.csv into the folder (-o)\n"
        "  --no-write       do not write the derived datasets into FILE\n"
        "  --force-write    write them even though a run holds the file's writer lock\n"
        "                   (its last run was killed; never while a run is writing)\n"
        "  -h, --help       this help\n\n"
        "Pending cells (no finished seed) are grey; titles say how many.\n");
    help_quantity_list(f);
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
    double *cells = phase_figures_dalloc(pf->n_cells);
    if (!cells)
        return cs_fail(err, CS_EXIT_ERROR, "out of memory");
    int rc = phase_figures_cells(c, q, spread, cells, err);
    if (!rc && csv) {
        int B = pf->n_sb2, S = pf->n_sw2;
        const double *z = cells + ((long)a * pf->n_width + w) * B * S;
        printf("sigma_b2,sigma_w2,value\n");
        for (int b = 0; b < B; b++)
            for (int j = 0; j < S; j++) {
                phase_figures_put_num(stdout, pf->sigma_b2[b]);
                putchar(',');
                phase_figures_put_num(stdout, pf->sigma_w2[j]);
                putchar(',');
                phase_figures_put_num(stdout, z[(long)b * S + j]);
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
            phase_figures_default_dir(pf->path, dir, sizeof dir);
            rc = phase_figures_ensure_dir(dir, err);
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

/* The smooth edge-of-chaos curve drawn on every heatmap. */
static int write_edge_csv(const phase_ctx *c, const char *path, cs_err *err)
{
    const phase_file *pf = &c->pf;
    FILE *f = phase_figures_open_out(path, err);
    if (!f)
        return err->code;
    fprintf(f, "activation,sigma_b2,edge_sigma_w2\n");
    for (int a = 0; a < pf->n_act; a++)
        for (int k = 0; k < c->n_fine; k++) {
            fprintf(f, "%s,", pf->activation[a]);
            phase_figures_put_num(f, c->edge_fy[k]);
            fputc(',', f);
            phase_figures_put_num(f, c->edge_fx[(long)a * c->n_fine + k]);
            fputc('\n', f);
        }
    return phase_figures_close_out(f, path, err);
}

/* A heatmap of every standard quantity the file has, per activation and width;
 * *n_fig counts them. */
static int render_standard_heatmaps(phase_ctx *c, const char *dir, const char *ext,
                                    int *n_fig, cs_err *err)
{
    const phase_file *pf = &c->pf;
    double *cells = phase_figures_dalloc(pf->n_cells);
    if (!cells)
        return cs_fail(err, CS_EXIT_ERROR, "out of memory");
    int rc = 0;
    char path[4200];
    for (size_t q = 0; q < sizeof STANDARD / sizeof *STANDARD && !rc; q++) {
        const char *name = STANDARD[q].name;
        if (!strcmp(name, "chi_b") && pf->n_sb2 < 2)
            continue;
        cs_err e2 = {0};
        if (phase_figures_cells(c, name, 0, cells, &e2) != 0) {
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
                (*n_fig)++;
            }
    }
    free(cells);
    return rc;
}

/* The heatmaps, the cuts per (activation, σ_b²) and the summary. */
static int render_figures(phase_ctx *c, const char *dir, const char *ext, int *n_fig,
                          cs_err *err)
{
    const phase_file *pf = &c->pf;
    char path[4200];
    int rc = render_standard_heatmaps(c, dir, ext, n_fig, err);
    for (int a = 0; a < pf->n_act && !rc; a++)
        for (int b = 0; b < pf->n_sb2 && !rc; b++) {
            snprintf(path, sizeof path, "%s/cuts_%s_sb2_%g.%s", dir, pf->activation[a],
                     pf->sigma_b2[b], ext);
            rc = render_cuts(c, a, b, path, err);
            (*n_fig)++;
        }
    if (!rc) {
        snprintf(path, sizeof path, "%s/summary.%s", dir, ext);
        rc = render_summary(c, path, err);
        (*n_fig)++;
    }
    return rc;
}

/* Every figure (ext NULL: none, the claim test's tables only) with the tables. */
static int phase_standard_set(phase_ctx *c, const char *outdir, const char *ext, cs_err *err)
{
    const phase_file *pf = &c->pf;
    char dir[4000];
    if (outdir)
        snprintf(dir, sizeof dir, "%s", outdir);
    else
        phase_figures_default_dir(pf->path, dir, sizeof dir);
    int rc = phase_figures_ensure_dir(dir, err);
    if (rc)
        return rc;
    int n_fig = 0;
    char path[4200];
    if (ext)
        rc = render_figures(c, dir, ext, &n_fig, err);
    if (!rc) {
        snprintf(path, sizeof path, "%s/lines.csv", dir);
        rc = write_lines_csv(c, path, err);
    }
    if (!rc && c->edge_fx) {
        snprintf(path, sizeof path, "%s/edge_of_chaos.csv", dir);
        rc = write_edge_csv(c, path, err);
    }
    if (!rc) {
        char txt[4200];
        snprintf(txt, sizeof txt, "%s/claim_test.txt", dir);
        snprintf(path, sizeof path, "%s/claim_test.csv", dir);
        rc = write_claim(c, stdout, txt, path, err);
    }
    if (!rc)
        fprintf(stderr, "critsweep phase: %d figures with their CSVs in %s/\n", n_fig, dir);
    return rc;
}

/* The standard set of every slab of the optional axes: a file without them is one slab
 * drawn into the folder itself; otherwise each slab (q0=0.001, ...) gets a subfolder. */
static int phase_every_slab(phase_ctx *c, const char *outdir, const char *ext, cs_err *err)
{
    if (!c->pf.slab_label[0])
        return phase_standard_set(c, outdir, ext, err);
    char base[3800], dir[4000];
    if (outdir)
        snprintf(base, sizeof base, "%s", outdir);
    else
        phase_figures_default_dir(c->pf.path, base, sizeof base);
    int rc = phase_figures_ensure_dir(base, err);
    for (long k = 0; k < c->pf.n_slabs && !rc; k++) {
        if (k)
            rc = phase_figures_slab(c, k, err);
        snprintf(dir, sizeof dir, "%s/%s", base, c->pf.slab_label);
        if (!rc) {
            printf("%s\n", c->pf.slab_label);
            rc = phase_standard_set(c, dir, ext, err);
        }
    }
    return rc;
}

int cli_phase(int argc, char **argv)
{
    static const struct option opts[] = {
        {"quantity", required_argument, NULL, 'q'}, {"width", required_argument, NULL, 'w'},
        {"activation", required_argument, NULL, 'a'}, {"spread", no_argument, NULL, 's'},
        {"output", required_argument, NULL, 'o'}, {"csv", no_argument, NULL, 'c'},
        {"format", required_argument, NULL, 'f'}, {"no-write", no_argument, NULL, 'n'},
        {"force-write", no_argument, NULL, 'F'}, {"slab", required_argument, NULL, 'S'},
        {"replicates", required_argument, NULL, 'R'}, {"claim-only", no_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int force = 0;
    const char *q = NULL, *act = NULL, *out = NULL, *fmt = "png", *slab = NULL;
    long width = 0, replicates = PHASE_REPLICATES;
    int spread = 0, csv = 0, no_write = 0, claim_only = 0, ch;
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
        case 'S': slab = optarg; break;
        case 'C': claim_only = 1; break;
        case 'R':
            if (cs_parse_long(optarg, &replicates) != 0 || replicates < 2 || replicates > 1000000)
                return cli_usage_error("phase", "--replicates %s: not an integer in 2..1000000",
                                       optarg);
            break;
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
    if (q && claim_only)
        return cli_usage_error("phase", "--claim-only draws no heatmap: leave out --quantity");
    int rc = phase_figures_load(&c, "phase", path, no_write, force, (int)replicates, &err);
    if (rc) {
        fprintf(stderr, "critsweep phase: %s\n", err.msg);
        return rc;
    }
    const phase_file *pf = &c.pf;
    if (q) {
        rc = phase_figures_named_slab(&c, slab, "--quantity", &err);
        if (!rc)
            rc = phase_one_quantity(&c, q, act, width, spread, out, csv, &err);
    } else {
        rc = phase_every_slab(&c, out, claim_only ? NULL : fmt, &err);
    }
    if (rc)
        fprintf(stderr, "critsweep phase: %s\n", err.msg);
    else
        fprintf(stderr, "critsweep phase: %s: %ld tasks (%ld done, %ld diverged, %ld failed, "
                        "%ld pending); %ld of %ld cells have no finished seed%s\n",
                path, pf->n_tasks, pf->n_done, pf->n_diverged, pf->n_failed, pf->n_pending,
                pf->n_pending_cells, pf->n_cells, c.written ? "; derived datasets written" : "");
    phase_figures_unload(&c);
    return rc;
}

/* plot.c — PLplot figures through the cairo drivers (pngcairo, svgcairo, pdfcairo by
 * the output's extension).  PLplot's defaults (black page, blue-red map) are replaced by
 * a white page, a viridis-like map and colour-blind-friendly line colours. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <plplot.h>

#include "critsweep/plot.h"

/* A filled circle from the Unicode font (cairo renders it; Hershey glyphs look dated). */
#define MARKER "●"

static char current_path[4096];
static int is_open;
static int n_panels = 1;
static double char_scale = 1.0; /* smaller text in multi-panel figures */

/* PLplot calls exit() on fatal errors unless a handler says otherwise; name the file. */
static int plot_exit_handler(const char *msg)
{
    fprintf(stderr, "critsweep: PLplot failed drawing %s: %s\n", current_path, msg);
    return 1; /* PLplot then exits the process: there is no recovery inside PLplot */
}

int plot_series_color(int i)
{
    static const int cycle[] = {PLOT_BLUE, PLOT_ORANGE, PLOT_GREEN, PLOT_RED, PLOT_PURPLE,
                                PLOT_BROWN, PLOT_PINK, PLOT_GREY, PLOT_CYAN};
    return cycle[i % (int)(sizeof cycle / sizeof *cycle)];
}

int plot_format_from_path(const char *path, plot_format *out)
{
    const char *dot = strrchr(path, '.');
    if (!dot)
        return -1;
    if (!strcasecmp(dot, ".png"))
        *out = PLOT_PNG;
    else if (!strcasecmp(dot, ".svg"))
        *out = PLOT_SVG;
    else if (!strcasecmp(dot, ".pdf"))
        *out = PLOT_PDF;
    else
        return -1;
    return 0;
}

static void set_colours(void)
{
    /* cmap0: background, black, then the Set1-like palette; WHITE for overlays. */
    PLINT r[PLOT_NCOLORS] = {255, 0, 228, 55, 77, 152, 255, 166, 247, 120, 255, 200, 23};
    PLINT g[PLOT_NCOLORS] = {255, 0, 26, 126, 175, 78, 127, 86, 129, 120, 255, 200, 190};
    PLINT b[PLOT_NCOLORS] = {255, 0, 28, 184, 74, 163, 0, 40, 191, 120, 255, 200, 207};
    plscmap0(r, g, b, PLOT_NCOLORS);
    /* cmap1: viridis, sampled at nine points and interpolated in RGB. */
    static const double pos[9] = {0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1};
    static const double vr[9] = {68, 71, 59, 44, 33, 39, 94, 170, 253};
    static const double vg[9] = {1, 44, 82, 113, 145, 173, 201, 220, 231};
    static const double vb[9] = {84, 122, 139, 142, 140, 129, 98, 50, 37};
    PLFLT i[9], c1[9], c2[9], c3[9];
    for (int k = 0; k < 9; k++) {
        i[k] = pos[k];
        c1[k] = vr[k] / 255.0;
        c2[k] = vg[k] / 255.0;
        c3[k] = vb[k] / 255.0;
    }
    plscmap1n(256);
    plscmap1l(1, 9, i, c1, c2, c3, NULL);
}

int plot_open(const char *path, int w, int h, int nx, int ny, cs_err *err)
{
    plot_format fmt;
    if (plot_format_from_path(path, &fmt) != 0)
        return cs_fail(err, CS_EXIT_USAGE, "%s: unknown figure format (use .png, .svg or .pdf)",
                       path);
    /* PLplot cannot report an unwritable file; find out first. */
    FILE *f = fopen(path, "wb");
    if (!f)
        return cs_fail(err, CS_EXIT_USAGE, "%s: cannot write the figure: %s", path,
                       strerror(errno));
    fclose(f);
    snprintf(current_path, sizeof current_path, "%s", path);
    plsexit(plot_exit_handler);
    plsdev(fmt == PLOT_PNG ? "pngcairo" : fmt == PLOT_SVG ? "svgcairo" : "pdfcairo");
    plsfnam(path);
    plspage(0, 0, w, h, 0, 0);
    plscolbg(255, 255, 255); /* before plinit: the page itself is white */
    set_colours();
    plssub(nx, ny);
    n_panels = nx * ny;
    plinit();
    plfontld(1);
    char_scale = n_panels > 1 ? 0.85 : 1.0;
    plschr(0, char_scale);
    is_open = 1;
    return 0;
}

int plot_close(cs_err *err)
{
    if (!is_open)
        return 0;
    plend1();
    is_open = 0;
    struct stat st;
    if (stat(current_path, &st) != 0 || st.st_size == 0)
        return cs_fail(err, CS_EXIT_ERROR, "%s: PLplot wrote nothing (disk full? is the "
                       "cairo driver installed: plplot-driver-cairo?)", current_path);
    return 0;
}

/* Cell edges of centres c (n >= 1): midpoints inside, half a step beyond each end. */
static void cell_edges(const double *c, int n, double *e)
{
    if (n == 1) {
        double h = c[0] != 0 ? 0.5 * fabs(c[0]) : 0.5;
        e[0] = c[0] - h;
        e[1] = c[0] + h;
        return;
    }
    for (int i = 1; i < n; i++)
        e[i] = 0.5 * (c[i - 1] + c[i]);
    e[0] = c[0] - (e[1] - c[0]);
    e[n] = c[n - 1] + (c[n - 1] - e[n - 1]);
}

static void draw_series(const plot_series *s, int logx, int logy)
{
    PLFLT *x = malloc((size_t)(s->n > 0 ? s->n : 1) * sizeof *x);
    PLFLT *y = malloc((size_t)(s->n > 0 ? s->n : 1) * sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        return;
    }
    double wdt = s->width > 0 ? s->width : 2.0;
    for (int pass = s->halo ? 0 : 1; pass < 2; pass++) {
        /* Runs of finite points are drawn as separate polylines: a NaN breaks the line. */
        int m = 0;
        for (int i = 0; i <= s->n; i++) {
            int ok = i < s->n && isfinite(s->x[i]) && isfinite(s->y[i]) &&
                     (!logx || s->x[i] > 0) && (!logy || s->y[i] > 0);
            if (ok) {
                x[m] = logx ? log10(s->x[i]) : s->x[i];
                y[m] = logy ? log10(s->y[i]) : s->y[i];
                m++;
                continue;
            }
            if (m > 0) {
                plcol0(pass == 0 ? PLOT_BLACK : s->color);
                if (!s->no_line && m > 1) {
                    plwidth(pass == 0 ? wdt + 2.5 : wdt);
                    if (s->dashed && pass == 1) {
                        PLINT mark = 5000, space = 3000; /* µm: long, clearly dashed */
                        plstyl(1, &mark, &space);
                    }
                    plline(m, x, y);
                    pllsty(1);
                }
                if (s->marker || m == 1) {
                    plwidth(pass == 0 ? 3.0 : 1.5);
                    plschr(0, (pass == 0 ? 1.25 : 1.0) * char_scale);
                    plssym(0, pass == 0 ? 1.3 : 1.0);
                    plstring(m, x, y, MARKER); /* filled circle */
                    plssym(0, 1.0);
                    plschr(0, char_scale);
                }
            }
            m = 0;
        }
    }
    plwidth(1.0);
    plcol0(PLOT_BLACK);
    free(x);
    free(y);
}

/* Draws the legend at the bottom of the subpage; returns the height it takes there
 * (normalised subpage units), 0 if there is nothing to show. */
static double draw_legend(const plot_series *s, int n)
{
    int m = 0;
    for (int i = 0; i < n; i++)
        m += s[i].label != NULL;
    if (!m)
        return 0;
    double height = 0;
    PLINT *opt = calloc((size_t)m, sizeof(PLINT)), *tcol = calloc((size_t)m, sizeof(PLINT));
    PLINT *lcol = calloc((size_t)m, sizeof(PLINT)), *lsty = calloc((size_t)m, sizeof(PLINT));
    PLINT *scol = calloc((size_t)m, sizeof(PLINT)), *snum = calloc((size_t)m, sizeof(PLINT));
    PLFLT *lw = calloc((size_t)m, sizeof(PLFLT)), *ssc = calloc((size_t)m, sizeof(PLFLT));
    const char **text = calloc((size_t)m, sizeof(char *)), **sym = calloc((size_t)m, sizeof(char *));
    if (opt && tcol && lcol && lsty && scol && snum && lw && ssc && text && sym) {
        int k = 0;
        for (int i = 0; i < n; i++) {
            if (!s[i].label)
                continue;
            opt[k] = (s[i].no_line ? 0 : PL_LEGEND_LINE) | (s[i].marker || s[i].no_line ? PL_LEGEND_SYMBOL : 0);
            tcol[k] = PLOT_BLACK;
            /* White lines are invisible on the white legend box: show them dark. */
            lcol[k] = s[i].color == PLOT_WHITE ? PLOT_BLACK : s[i].color;
            lsty[k] = s[i].dashed ? 2 : 1;
            lw[k] = s[i].width > 0 ? s[i].width : 2.0;
            scol[k] = lcol[k];
            ssc[k] = 1.0;
            snum[k] = 1;
            sym[k] = MARKER;
            text[k] = s[i].label;
            k++;
        }
        PLFLT lwid, lhgt;
        int ncol = m < 3 ? m : 3;
        if (n_panels > 1 && ncol > 2)
            ncol = 2; /* narrow panels */
        int nrow = (m + ncol - 1) / ncol;
        /* At the bottom of the subpage; the caller then puts the viewport above it. */
        pllegend(&lwid, &lhgt, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX | PL_LEGEND_ROW_MAJOR,
                 PL_POSITION_BOTTOM | PL_POSITION_INSIDE | PL_POSITION_SUBPAGE, 0.0, 0.015,
                 0.05, 0, PLOT_BLACK, 1, nrow, ncol, m, opt, 0.8, 0.8, 1.8, 0.0, tcol, text,
                 NULL, NULL, NULL, NULL, lcol, lsty, lw, scol, ssc, snum, sym);
        height = lhgt + 0.015;
    }
    free(opt);
    free(tcol);
    free(lcol);
    free(lsty);
    free(scol);
    free(snum);
    free(lw);
    free(ssc);
    free(text);
    free(sym);
    return height;
}

/* Distance (in character heights, plmtex's unit) from a y axis to its label that clears
 * the longest tick label PLplot's "f" option writes for [lo, hi]: its labels carry the
 * decimals of a tick step of about a sixth of the range.  This PLplot has no public
 * plstrl, so the width is the label's length in digits of the cairo sans font, which
 * are under 0.75 character heights wide (measured on the PNGs). */
static double label_offset(double lo, double hi)
{
    double range = fabs(hi - lo) > 0 ? fabs(hi - lo) : fmax(fabs(lo), 1.0);
    double step = pow(10.0, floor(log10(range / 6.0)));
    int dec = step < 1 ? (int)ceil(-log10(step) - 1e-9) : 0;
    char a[64], b[64];
    int la = snprintf(a, sizeof a, "%.*f", dec, lo), lb = snprintf(b, sizeof b, "%.*f", dec, hi);
    return 0.75 * (la > lb ? la : lb) + 1.6;
}

/* Bottom of a viewport that leaves room for tick labels and an axis label above a
 * legend of height leg (normalised subpage units). */
static double viewport_bottom(double leg)
{
    PLFLT def, ht, xmin, xmax, ymin, ymax;
    plgchr(&def, &ht);                  /* character height, mm */
    plgspa(&xmin, &xmax, &ymin, &ymax); /* subpage, mm */
    double room = 4.7 * ht / (ymax - ymin);
    return fmax(0.10, leg + room);
}

/* The colour range of the finite cells (a small band around a constant one, [0, 1]
 * when there is none). */
static void heatmap_range(const plot_heatmap_spec *s, double *zmin_out, double *zmax_out)
{
    int nx = s->nx, ny = s->ny;
    double zmin = INFINITY, zmax = -INFINITY;
    for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++) {
            double v = s->z[(long)j * nx + i];
            if (isfinite(v)) {
                zmin = fmin(zmin, v);
                zmax = fmax(zmax, v);
            }
        }
    if (!isfinite(zmin)) {
        zmin = 0;
        zmax = 1;
    } else if (zmax == zmin) {
        double h = zmin != 0 ? 0.05 * fabs(zmin) : 0.5;
        zmin -= h;
        zmax += h;
    }
    *zmin_out = zmin;
    *zmax_out = zmax;
}

/* The image and the cell-edge grids plimagefr maps it through. */
typedef struct {
    int nx, ny;
    double *ex, *ey;    /* (nx + 1), (ny + 1) cell edges */
    PLFLT **img;        /* (nx, ny) */
    PLFLT **xg, **yg;   /* (nx + 1, ny + 1) */
} heatmap_grid;

static void heatmap_grid_free(heatmap_grid *g)
{
    free(g->ex);
    free(g->ey);
    if (g->img) plFree2dGrid(g->img, g->nx, g->ny);
    if (g->xg) plFree2dGrid(g->xg, g->nx + 1, g->ny + 1);
    if (g->yg) plFree2dGrid(g->yg, g->nx + 1, g->ny + 1);
}

/* Cells outside [zmin, zmax] are not drawn by plimagefr: NaN cells go below. */
static int heatmap_grid_fill(const plot_heatmap_spec *s, double zmin, double zmax,
                             heatmap_grid *g)
{
    int nx = s->nx, ny = s->ny;
    *g = (heatmap_grid){nx, ny, malloc((size_t)(nx + 1) * sizeof *g->ex),
                        malloc((size_t)(ny + 1) * sizeof *g->ey), NULL, NULL, NULL};
    plAlloc2dGrid(&g->img, nx, ny);
    plAlloc2dGrid(&g->xg, nx + 1, ny + 1);
    plAlloc2dGrid(&g->yg, nx + 1, ny + 1);
    if (!g->ex || !g->ey || !g->img || !g->xg || !g->yg) {
        heatmap_grid_free(g);
        return -1;
    }
    cell_edges(s->xc, nx, g->ex);
    cell_edges(s->yc, ny, g->ey);
    double below = zmin - (zmax - zmin) - 1.0;
    for (int i = 0; i < nx; i++)
        for (int j = 0; j < ny; j++) {
            double v = s->z[(long)j * nx + i];
            g->img[i][j] = isfinite(v) ? v : below;
        }
    for (int i = 0; i <= nx; i++)
        for (int j = 0; j <= ny; j++) {
            g->xg[i][j] = g->ex[i];
            g->yg[i][j] = g->ey[j];
        }
    return 0;
}

/* NaN (pending) cells: light grey. */
static void draw_nan_cells(const plot_heatmap_spec *s, const heatmap_grid *g)
{
    const double *ex = g->ex, *ey = g->ey;
    plcol0(PLOT_LIGHTGREY);
    for (int j = 0; j < s->ny; j++)
        for (int i = 0; i < s->nx; i++)
            if (!isfinite(s->z[(long)j * s->nx + i])) {
                PLFLT px[4] = {ex[i], ex[i + 1], ex[i + 1], ex[i]};
                PLFLT py[4] = {ey[j], ey[j], ey[j + 1], ey[j + 1]};
                plfill(4, px, py);
            }
}

/* Colour bar on the right of the viewport, labelled with the quantity and its units. */
static void draw_colour_bar(double zmin, double zmax, PLFLT vp_y0, const char *zlabel)
{
    PLFLT *vals = malloc(256 * sizeof *vals);
    if (vals && n_panels == 1) {
        PLINT n_values = 256;
        for (int k = 0; k < 256; k++)
            vals[k] = zmin + (zmax - zmin) * k / 255.0;
        PLFLT cw, chh;
        PLINT lopt = PL_COLORBAR_LABEL_RIGHT;
        const char *labels[1] = {zlabel ? zlabel : ""};
        const char *axis_opts[1] = {"bcvtmf"};
        PLFLT ticks[1] = {0.0};
        PLINT sub_ticks[1] = {0};
        PLFLT *values[1] = {vals};
        plcolorbar(&cw, &chh, PL_COLORBAR_IMAGE, PL_POSITION_RIGHT | PL_POSITION_OUTSIDE |
                   PL_POSITION_VIEWPORT, 0.02, 0.0, 0.035, 1.0, 0, PLOT_BLACK, 1, 0, 0, 0, 0,
                   1, &lopt, labels, 1, axis_opts, ticks, sub_ticks, &n_values,
                   (PLFLT_MATRIX)values);
    } else if (vals) {
        /* PLplot 5.15's plcolorbar draws every bar into the first subpage of a plssub
         * layout, so multi-panel figures get the same bar drawn by hand: a one-column
         * image in its own viewport with a labelled axis. */
        PLFLT **bar = NULL;
        plAlloc2dGrid(&bar, 1, 256);
        if (bar) {
            for (int k = 0; k < 256; k++)
                bar[0][k] = zmin + (zmax - zmin) * (k + 0.5) / 256.0;
            plvpor(0.82, 0.845, vp_y0, 0.90);
            plwind(0, 1, zmin, zmax);
            plimagefr((PLFLT_MATRIX)bar, 1, 256, 0, 1, zmin, zmax, zmin, zmax, zmin, zmax, NULL,
                      NULL);
            plcol0(PLOT_BLACK);
            plbox("bc", 0, 0, "bcmstvf", 0, 0);
            plmtex("r", 5.0, 0.5, 0.5, zlabel ? zlabel : "");
            plFree2dGrid(bar, 1, 256);
        }
    }
    free(vals);
}

int plot_heatmap(const plot_heatmap_spec *s)
{
    int nx = s->nx, ny = s->ny;
    double zmin, zmax;
    heatmap_range(s, &zmin, &zmax);
    heatmap_grid g;
    if (heatmap_grid_fill(s, zmin, zmax, &g) != 0)
        return -1;
    const double *ex = g.ex, *ey = g.ey;
    PLcGrid2 grid = {g.xg, g.yg, NULL, nx + 1, ny + 1};

    pladv(0);
    plvpor(0.14, 0.80, 0.2, 0.90); /* provisional: the legend's width is relative to it */
    plwind(0, 1, 0, 1);            /* pllegend restores the window: it must be valid */
    PLFLT vp_y0 = viewport_bottom(s->n_lines ? draw_legend(s->lines, s->n_lines) : 0);
    plvpor(0.14, 0.80, vp_y0, 0.90);
    plwind(ex[0], ex[nx], ey[0], ey[ny]);
    draw_nan_cells(s, &g);
    /* Non-uniform axes: pltr2 maps the image's cell corners to the edge grid, so every
     * cell covers exactly its own σ range. */
    plimagefr((PLFLT_MATRIX)g.img, nx, ny, ex[0], ex[nx], ey[0], ey[ny], zmin, zmax, zmin, zmax,
              pltr2, &grid);
    /* Overlays, clipped to the grid by the viewport. */
    for (int k = 0; k < s->n_lines; k++)
        draw_series(&s->lines[k], 0, 0);
    plcol0(PLOT_BLACK);
    plwidth(1.0);
    plbox("bcnstf", 0, 0, "bcnstfv", 0, 0); /* f: plain numbers, no "(x10^-2)" */
    pllab(s->xlabel, "", "");
    plmtex("l", label_offset(ey[0], ey[ny]), 0.5, 0.5, s->ylabel ? s->ylabel : "");
    plmtex("t", 1.2, 0.5, 0.5, s->title ? s->title : "");
    draw_colour_bar(zmin, zmax, vp_y0, s->zlabel);
    heatmap_grid_free(&g);
    return 0;
}

/* Log axes spanning less than ~1.5 decades get ticks at powers of two (widths are
 * usually doubled), labelled with their values; PLplot's own log axes label decades
 * only, which leaves such an axis bare. */
static void log_label(PLINT axis, PLFLT value, char *label, PLINT length, PLPointer data)
{
    (void)axis;
    (void)data;
    snprintf(label, (size_t)length, "%.4g", pow(10.0, value));
}

static void log_axis(int log, double lo, double hi, char *opt, size_t n, const char *base,
                     double *tick, int *nsub)
{
    if (!log) {
        snprintf(opt, n, "%s", base);
        return;
    }
    if (hi - lo < 1.5) {
        snprintf(opt, n, "%so", base);
        *tick = log10(2.0);
        *nsub = 1;
    } else {
        snprintf(opt, n, "%sl", base);
    }
}

static void series_range(const plot_series *s, int n, int logx, int logy, double *x0,
                         double *x1, double *y0, double *y1)
{
    *x0 = *y0 = INFINITY;
    *x1 = *y1 = -INFINITY;
    for (int k = 0; k < n; k++)
        for (int i = 0; i < s[k].n; i++) {
            double x = s[k].x[i], y = s[k].y[i];
            if (!isfinite(x) || !isfinite(y) || (logx && x <= 0) || (logy && y <= 0))
                continue;
            x = logx ? log10(x) : x;
            y = logy ? log10(y) : y;
            *x0 = fmin(*x0, x);
            *x1 = fmax(*x1, x);
            *y0 = fmin(*y0, y);
            *y1 = fmax(*y1, y);
        }
    if (!isfinite(*x0)) {
        *x0 = 0;
        *x1 = 1;
    }
    if (!isfinite(*y0)) {
        *y0 = 0;
        *y1 = 1;
    }
    /* A range of a few ulps (1.7 and 1.7000000000000002) is a constant: PLplot's tick
     * loop never ends on it. */
    double tiny_x = 1e-9 * fmax(fabs(*x0), fabs(*x1)), tiny_y = 1e-9 * fmax(fabs(*y0), fabs(*y1));
    double px = *x1 - *x0 > tiny_x ? 0.04 * (*x1 - *x0) : (*x0 != 0 ? 0.1 * fabs(*x0) : 0.5);
    double py = *y1 - *y0 > tiny_y ? 0.06 * (*y1 - *y0) : (*y0 != 0 ? 0.1 * fabs(*y0) : 0.5);
    *x0 -= px;
    *x1 += px;
    *y0 -= py;
    *y1 += py;
}

int plot_lines(const plot_lines_spec *s)
{
    double x0, x1, y0, y1;
    int logy = s->logy;
    series_range(s->left, s->n_left, s->logx, logy, &x0, &x1, &y0, &y1);
    if (logy && y1 - y0 < 0.6) {
        /* Less than a factor ~4: a linear axis has more (and more readable) ticks. */
        logy = 0;
        series_range(s->left, s->n_left, s->logx, logy, &x0, &x1, &y0, &y1);
    }
    if (s->n_right) {
        double a0, a1, b0, b1;
        series_range(s->right, s->n_right, s->logx, 0, &a0, &a1, &b0, &b1);
        x0 = fmin(x0, a0);
        x1 = fmax(x1, a1);
    }
    pladv(0);
    plvpor(0.14, s->n_right ? 0.84 : 0.95, 0.2, 0.88); /* provisional, for the legend */
    plwind(0, 1, 0, 1);
    /* One legend for both axes, at the bottom. */
    double leg = 0;
    int n = s->n_left + s->n_right;
    plot_series *all = malloc((size_t)(n > 0 ? n : 1) * sizeof *all);
    if (all) {
        memcpy(all, s->left, (size_t)s->n_left * sizeof *all);
        if (s->n_right)
            memcpy(all + s->n_left, s->right, (size_t)s->n_right * sizeof *all);
        leg = draw_legend(all, n);
        free(all);
    }
    plvpor(0.14, s->n_right ? 0.84 : 0.95, viewport_bottom(leg), 0.88);
    plwind(x0, x1, y0, y1);
    plcol0(PLOT_BLACK);
    char xo[16], yo[16];
    double xt = 0, yt = 0;
    int xs = 0, ys = 0;
    log_axis(s->logx, x0, x1, xo, sizeof xo, "bcnstf", &xt, &xs);
    log_axis(logy, y0, y1, yo, sizeof yo, s->n_right ? "bnstvf" : "bcnstvf", &yt, &ys);
    plslabelfunc(log_label, NULL);
    plbox(xo, xt, xs, yo, yt, ys);
    plslabelfunc(NULL, NULL);
    pllab(s->xlabel, "", "");
    plmtex("l", logy ? 5.2 : label_offset(y0, y1), 0.5, 0.5, s->ylabel ? s->ylabel : "");
    plmtex("t", s->note ? 2.2 : 1.2, 0.5, 0.5, s->title ? s->title : "");
    if (s->note) {
        plschr(0, 0.8 * char_scale);
        plmtex("t", 0.7, 0.5, 0.5, s->note);
        plschr(0, char_scale);
    }
    for (int k = 0; k < s->n_left; k++)
        draw_series(&s->left[k], s->logx, logy);
    if (s->n_right) {
        double a0, a1, b0, b1;
        series_range(s->right, s->n_right, s->logx, 0, &a0, &a1, &b0, &b1);
        plwind(x0, x1, b0, b1);
        plcol0(PLOT_BLACK);
        plbox("", 0, 0, "cmstvf", 0, 0);
        plmtex("r", label_offset(b0, b1), 0.5, 0.5, s->y2label ? s->y2label : "");
        for (int k = 0; k < s->n_right; k++)
            draw_series(&s->right[k], s->logx, 0);
    }
    return 0;
}

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

/* Opacity of the band tints: light enough that a line over two overlapping bands stays
 * the darkest thing on the panel. */
#define TINT_ALPHA 0.22

int plot_tint(int c)
{
    return PLOT_NCOLORS + (c > 0 && c < PLOT_NCOLORS ? c : PLOT_GREY);
}

static void set_colours(void)
{
    /* cmap0: background, black, then the Set1-like palette; WHITE for overlays; then
     * the same colours again, translucent, as the tints of plot_tint. */
    static const PLINT r0[PLOT_NCOLORS] = {255, 0, 228, 55, 77, 152, 255, 166, 247, 120, 255,
                                           200, 23};
    static const PLINT g0[PLOT_NCOLORS] = {255, 0, 26, 126, 175, 78, 127, 86, 129, 120, 255,
                                           200, 190};
    static const PLINT b0[PLOT_NCOLORS] = {255, 0, 28, 184, 74, 163, 0, 40, 191, 120, 255,
                                           200, 207};
    PLINT r[2 * PLOT_NCOLORS], g[2 * PLOT_NCOLORS], b[2 * PLOT_NCOLORS];
    PLFLT alpha[2 * PLOT_NCOLORS];
    for (int k = 0; k < 2 * PLOT_NCOLORS; k++) {
        r[k] = r0[k % PLOT_NCOLORS];
        g[k] = g0[k % PLOT_NCOLORS];
        b[k] = b0[k % PLOT_NCOLORS];
        alpha[k] = k < PLOT_NCOLORS ? 1.0 : TINT_ALPHA;
    }
    plscmap0n(2 * PLOT_NCOLORS);
    plscmap0a(r, g, b, alpha, 2 * PLOT_NCOLORS);
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

static int point_ok(double x, double y, int logx, int logy)
{
    return isfinite(x) && isfinite(y) && (!logx || x > 0) && (!logy || y > 0);
}

/* One run of finite points [i0, i1) as a polygon: the upper edge forward, the lower
 * edge back; a single point as a vertical bar. */
static void band_run(const double *x, const double *lo, const double *hi, int i0, int i1,
                     int logx, int logy, PLFLT *px, PLFLT *py)
{
    int m = i1 - i0;
    for (int k = 0; k < m; k++) {
        double xv = logx ? log10(x[i0 + k]) : x[i0 + k];
        px[k] = px[2 * m - 1 - k] = xv;
        py[k] = logy ? log10(hi[i0 + k]) : hi[i0 + k];
        py[2 * m - 1 - k] = logy ? log10(lo[i0 + k]) : lo[i0 + k];
    }
    if (m == 1) {
        plwidth(4.0);
        pljoin(px[0], py[0], px[0], py[1]);
        plwidth(1.0);
    } else {
        plfill(2 * m, px, py);
    }
}

void plot_band(const double *x, const double *lo, const double *hi, int n, int color,
               int logx, int logy)
{
    PLFLT *px = malloc((size_t)(2 * n + 2) * sizeof *px);
    PLFLT *py = malloc((size_t)(2 * n + 2) * sizeof *py);
    if (px && py) {
        plcol0(color);
        int start = 0;
        for (int i = 0; i <= n; i++) {
            int ok = i < n && point_ok(x[i], lo[i], logx, logy) &&
                     point_ok(x[i], hi[i], logx, logy);
            if (ok)
                continue;
            if (i > start)
                band_run(x, lo, hi, start, i, logx, logy, px, py);
            start = i + 1;
        }
        plcol0(PLOT_BLACK);
    }
    free(px);
    free(py);
}

/* Horizontal bars (xlo, xhi) and, unless they are a band, vertical bars (ylo, yhi) at the
 * series' points, with a black halo under them when the series has one. */
static void draw_error_bars(const plot_series *s, int logx, int logy)
{
    int has_x = s->xlo && s->xhi, has_y = s->ylo && s->yhi && !s->band;
    if (!has_x && !has_y)
        return;
    plsmin(0, 1.6); /* the bars' end caps, mm */
    for (int pass = s->halo ? 0 : 1; pass < 2; pass++) {
        plcol0(pass == 0 ? PLOT_BLACK : s->color);
        plwidth(pass == 0 ? 4.5 : 2.0);
        for (int i = 0; i < s->n; i++) {
            PLFLT x = logx ? log10(s->x[i]) : s->x[i], y = logy ? log10(s->y[i]) : s->y[i];
            if (has_x && point_ok(s->xlo[i], s->y[i], logx, logy) &&
                point_ok(s->xhi[i], s->y[i], logx, logy)) {
                PLFLT a = logx ? log10(s->xlo[i]) : s->xlo[i];
                PLFLT b = logx ? log10(s->xhi[i]) : s->xhi[i];
                plerrx(1, &a, &b, &y);
            }
            if (has_y && point_ok(s->x[i], s->ylo[i], logx, logy) &&
                point_ok(s->x[i], s->yhi[i], logx, logy)) {
                PLFLT a = logy ? log10(s->ylo[i]) : s->ylo[i];
                PLFLT b = logy ? log10(s->yhi[i]) : s->yhi[i];
                plerry(1, &x, &a, &b);
            }
        }
    }
    plsmin(0, 1.0);
    plwidth(1.0);
    plcol0(PLOT_BLACK);
}

/* Bands of the series that have them, in their tints. */
static void draw_bands(const plot_series *s, int n, int logx, int logy)
{
    for (int k = 0; k < n; k++)
        if (s[k].band && s[k].ylo && s[k].yhi)
            plot_band(s[k].x, s[k].ylo, s[k].yhi, s[k].n, plot_tint(s[k].color), logx, logy);
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
        /* At most two columns: three entries with their intervals named ("Widom line
         * (max χ, 95 %)") ran off a 1000-pixel page. */
        int ncol = m < 2 ? m : 2;
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

/* Width (mm) of the widest of n strings at the current character height, as the driver
 * renders them (PLplot's text escapes included).  The driver's own measure, plstrl, is
 * not exported by libplplot 5.15; pllegend returns the width of its text column, which
 * it measures with plstrl.  So the strings go into a legend with no box, no symbols and
 * text in the background colour, drawn on the still-empty subpage (the caller measures
 * before drawing anything there): invisible, and the width comes back exact.  Needs a
 * valid viewport and window. */
static double text_width_mm(const char *const *text, int n)
{
    if (n <= 0)
        return 0;
    PLINT *opt = calloc((size_t)n, sizeof *opt), *col = calloc((size_t)n, sizeof *col);
    if (!opt || !col) {
        free(opt);
        free(col);
        return 0;
    }
    PLFLT def, ht, xmin, xmax, ymin, ymax, lw, lh;
    plgchr(&def, &ht);                  /* mm */
    plgspa(&xmin, &xmax, &ymin, &ymax); /* subpage, mm */
    /* opt 0 = PL_LEGEND_NONE and colour 0 = the background, for every entry */
    pllegend(&lw, &lh, 0, PL_POSITION_LEFT | PL_POSITION_TOP | PL_POSITION_INSIDE |
             PL_POSITION_SUBPAGE, 0.0, 0.0, 0.0, 0, 0, 1, n, 1, n, opt, 0.0, ht / def, 1.0,
             0.0, col, text, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    free(opt);
    free(col);
    /* The legend's width in subpage units is its text column plus a border of 0.4
     * character heights (in y subpage units) on each side. */
    return (lw - 0.8 * ht / (ymax - ymin)) * (xmax - xmin);
}

/* A y axis whose ticks and labels are chosen here, not by PLplot, so that the strings
 * measured for the axis label's place are exactly the strings drawn (axis_label writes
 * them, through plbox's "o" option). */
typedef struct {
    char opt[24];       /* plbox options */
    double tick;        /* major tick step (world units; log10 units on a log axis) */
    int nsub;
    int log;            /* log10 axis: a tick at v is labelled 10^v */
    int dec;            /* decimals of a linear axis's labels */
} y_axis;

/* Ticks at 1, 2 or 5 times a power of ten, four to eight of them over [lo, hi]; on a
 * log axis decades, or powers of two over less than ~1.5 decades (widths are usually
 * doubled; decades alone would leave such an axis bare). */
static void y_axis_init(y_axis *ax, double lo, double hi, int log, const char *base)
{
    double range = hi - lo > 0 ? hi - lo : 1.0;
    *ax = (y_axis){"", 1.0, 0, log, 0};
    if (log && range >= 1.5) {
        snprintf(ax->opt, sizeof ax->opt, "%slo", base);
        return;
    }
    if (log) {
        snprintf(ax->opt, sizeof ax->opt, "%so", base);
        ax->tick = log10(2.0);
        ax->nsub = 1;
        return;
    }
    double raw = range / 5.0, mag = pow(10.0, floor(log10(raw))), f = raw / mag;
    double m = f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10;
    ax->tick = m * mag;
    ax->nsub = m == 2 ? 4 : 5;
    ax->dec = ax->tick < 1 ? (int)ceil(-log10(ax->tick) - 1e-9) : 0;
    snprintf(ax->opt, sizeof ax->opt, "%so", base);
}

static void format_tick(const y_axis *ax, double v, char *buf, size_t n)
{
    if (!ax->log) {
        if (fabs(v) < 1e-9 * ax->tick)
            v = 0; /* no "-0.00" from a sum of steps */
        snprintf(buf, n, "%.*f", ax->dec, v);
        return;
    }
    double r = pow(10.0, v);
    if (v > 6.5)
        snprintf(buf, n, "10#u%d#d", (int)lround(v));
    else if (r >= 1 && fabs(r - round(r)) < 1e-6 * r)
        snprintf(buf, n, "%.0f", round(r));
    else
        snprintf(buf, n, "%.4g", r);
}

/* What axis_label writes: the y axis by its y_axis, an "o" x axis (log only) as 10^v. */
typedef struct {
    const y_axis *y;
} label_ctx;

static void axis_label(PLINT axis, PLFLT value, char *label, PLINT length, PLPointer data)
{
    const label_ctx *c = data;
    if (axis == PL_Y_AXIS && c && c->y)
        format_tick(c->y, value, label, (size_t)length);
    else
        snprintf(label, (size_t)length, "%.4g", pow(10.0, value));
}

/* plbox for the y axis ax (x options xo with step xt, xs sub-ticks). */
static void y_axis_box(const y_axis *ax, const char *xo, double xt, int xs)
{
    label_ctx lc = {ax};
    plslabelfunc(axis_label, &lc);
    plbox(xo, xt, xs, ax->opt, ax->tick, ax->nsub);
    plslabelfunc(NULL, NULL);
}

/* Room (character heights) that sub- or superscripts of a y label need beyond its normal
 * text, on the side facing the axis.  Both y labels read upwards, so the left one turns
 * its subscripts (#d) towards its axis and the right one its superscripts (#u); the
 * cairo driver lowers or raises each level by about 0.6 character heights (measured on
 * the PNGs: "χ#dmax#u" beside its axis). */
static double script_room(const char *label, int side)
{
    int level = 0, deepest = 0;
    for (const char *p = label ? label : ""; *p; p++) {
        if (p[0] != '#' || !p[1])
            continue;
        level += p[1] == 'u' ? 1 : p[1] == 'd' ? -1 : 0;
        int towards = side < 0 ? -level : level;
        deepest = towards > deepest ? towards : deepest;
        p++;
    }
    return 0.6 * deepest;
}

/* Distance (character heights, plmtex's unit) from the axis to its label parallel to
 * it (side -1 left, +1 right), just outside the widest tick label PLplot writes over
 * [lo, hi]: perpendicular tick labels start 0.5 character heights from the axis; the
 * label's reference point is the centre line of its normal text, so half a height more
 * and a small gap, and room for its scripts.  Measured on the empty subpage
 * (text_width_mm), so call it before drawing there. */
static double y_label_offset(const y_axis *ax, double lo, double hi, const char *label,
                             int side)
{
    enum { MAX_TICKS = 64 };
    char buf[MAX_TICKS][40];
    const char *text[MAX_TICKS];
    int n = 0;
    double eps = 1e-9 * (fabs(hi - lo) + fabs(ax->tick));
    /* Every multiple of the step in the range, the edges included: PLplot labels the
     * same ones (possibly one fewer at an edge, which only makes this conservative). */
    for (double t = ax->tick * floor(lo / ax->tick); t <= hi + eps && n < MAX_TICKS;
         t += ax->tick) {
        if (t < lo - eps)
            continue;
        format_tick(ax, t, buf[n], sizeof buf[n]);
        text[n] = buf[n];
        n++;
    }
    PLFLT def, ht;
    plgchr(&def, &ht);
    return 0.5 + text_width_mm(text, n) / ht + 1.1 + script_room(label, side);
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

/* Colour bar on the right of the viewport, labelled with the quantity and its units
 * (by hand in a multi-panel figure, with the axis bar_axis and its label at
 * bar_offset). */
static void draw_colour_bar(double zmin, double zmax, PLFLT vp_y0, const char *zlabel,
                            const y_axis *bar_axis, double bar_offset)
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
            y_axis_box(bar_axis, "bc", 0, 0);
            plmtex("r", bar_offset, 0.5, 0.5, zlabel ? zlabel : "");
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
    /* The tick labels are measured first, while the subpage is still empty. */
    y_axis ya, bar;
    y_axis_init(&ya, ey[0], ey[ny], 0, "bcnstfv");
    y_axis_init(&bar, zmin, zmax, 0, "bcmstvf");
    double off = y_label_offset(&ya, ey[0], ey[ny], s->ylabel, -1);
    double bar_off = n_panels > 1 ? y_label_offset(&bar, zmin, zmax, s->zlabel, 1) : 0;
    PLFLT vp_y0 = viewport_bottom(s->n_lines ? draw_legend(s->lines, s->n_lines) : 0);
    PLFLT def, ht, sx0, sx1, sy0, sy1;
    plgchr(&def, &ht);
    plgspa(&sx0, &sx1, &sy0, &sy1);
    plvpor(fmax(0.14, (off + 0.9 + script_room(s->ylabel, 1)) * ht / (sx1 - sx0)), 0.80, vp_y0,
           0.90);
    plwind(ex[0], ex[nx], ey[0], ey[ny]);
    draw_nan_cells(s, &g);
    /* Non-uniform axes: pltr2 maps the image's cell corners to the edge grid, so every
     * cell covers exactly its own σ range. */
    plimagefr((PLFLT_MATRIX)g.img, nx, ny, ex[0], ex[nx], ey[0], ey[ny], zmin, zmax, zmin, zmax,
              pltr2, &grid);
    /* Overlays, clipped to the grid by the viewport: error bars under their markers. */
    for (int k = 0; k < s->n_lines; k++) {
        draw_error_bars(&s->lines[k], 0, 0);
        draw_series(&s->lines[k], 0, 0);
    }
    plcol0(PLOT_BLACK);
    plwidth(1.0);
    y_axis_box(&ya, "bcnstf", 0, 0); /* f: plain numbers, no "(x10^-2)" */
    plmtex("b", 3.8, 0.5, 0.5, s->xlabel ? s->xlabel : ""); /* clear of the ticks, σ_w²'s 2 too */
    plmtex("l", off, 0.5, 0.5, s->ylabel ? s->ylabel : "");
    plmtex("t", 1.2, 0.5, 0.5, s->title ? s->title : "");
    draw_colour_bar(zmin, zmax, vp_y0, s->zlabel, &bar, bar_off);
    heatmap_grid_free(&g);
    return 0;
}

/* Log x axes spanning less than ~1.5 decades get ticks at powers of two (widths are
 * usually doubled), labelled with their values by axis_label; PLplot's own log axes
 * label decades only, which leaves such an axis bare. */
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
            /* The point, and the ends of its band or bars: none may fall off the axes. */
            const double *ex[3] = {s[k].x, s[k].xlo, s[k].xhi}, *ey[3] = {s[k].y, s[k].ylo,
                                                                         s[k].yhi};
            for (int e = 0; e < 5; e++) {
                const double *px = e < 3 ? ex[e] : s[k].x, *py = e < 3 ? s[k].y : ey[e - 2];
                if (!px || !py || !point_ok(px[i], py[i], logx, logy))
                    continue;
                double x = logx ? log10(px[i]) : px[i], y = logy ? log10(py[i]) : py[i];
                *x0 = fmin(*x0, x);
                *x1 = fmax(*x1, x);
                *y0 = fmin(*y0, y);
                *y1 = fmax(*y1, y);
            }
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

/* The axes of a line plot: world ranges (log10 units on log axes), the y axes' ticks and
 * the distances of their labels. */
typedef struct {
    double x0, x1, y0, y1, b0, b1;  /* x, left y, right y */
    int logy;
    y_axis left, right;
    double off_left, off_right;     /* label distances, character heights */
} lines_frame;

static void lines_ranges(const plot_lines_spec *s, lines_frame *f)
{
    f->logy = s->logy;
    series_range(s->left, s->n_left, s->logx, f->logy, &f->x0, &f->x1, &f->y0, &f->y1);
    if (f->logy && f->y1 - f->y0 < 0.6) {
        /* Less than a factor ~4: a linear axis has more (and more readable) ticks. */
        f->logy = 0;
        series_range(s->left, s->n_left, s->logx, 0, &f->x0, &f->x1, &f->y0, &f->y1);
    }
    f->b0 = 0;
    f->b1 = 1;
    if (s->n_right) {
        double a0, a1;
        series_range(s->right, s->n_right, s->logx, 0, &a0, &a1, &f->b0, &f->b1);
        f->x0 = fmin(f->x0, a0);
        f->x1 = fmax(f->x1, a1);
    }
}

/* One legend for both axes, at the bottom; its height (normalised subpage units). */
static double lines_legend(const plot_lines_spec *s)
{
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
    return leg;
}

/* Left and right edges of the viewport (normalised subpage units) that keep the y labels
 * at distances off_left and off_right (character heights) inside the subpage. */
static void lines_viewport_x(const plot_lines_spec *s, const lines_frame *f, double *vx0,
                             double *vx1)
{
    int right = s->n_right > 0;
    PLFLT def, ht, xmin, xmax, ymin, ymax;
    plgchr(&def, &ht);
    plgspa(&xmin, &xmax, &ymin, &ymax);
    double w = xmax - xmin;
    /* Half a height beyond the labels' centre lines, and room for the scripts that face
     * away from the axis (the left label's superscripts, the right one's subscripts). */
    *vx0 = fmax(0.14, (f->off_left + 0.9 + script_room(s->ylabel, 1)) * ht / w);
    *vx1 = right ? fmin(0.84, 1.0 - (f->off_right + 0.9 + script_room(s->y2label, -1)) * ht / w)
                 : 0.95;
}

static void lines_titles(const plot_lines_spec *s, const lines_frame *f)
{
    plmtex("b", 3.8, 0.5, 0.5, s->xlabel ? s->xlabel : ""); /* clear of the ticks, σ_w²'s 2 too */
    plmtex("l", f->off_left, 0.5, 0.5, s->ylabel ? s->ylabel : "");
    plmtex("t", s->note ? 2.2 : 1.2, 0.5, 0.5, s->title ? s->title : "");
    if (s->note) {
        plschr(0, 0.8 * char_scale);
        plmtex("t", 0.7, 0.5, 0.5, s->note);
        plschr(0, char_scale);
    }
}

/* The left axis with its series; then the right one. */
static void lines_draw(const plot_lines_spec *s, const lines_frame *f)
{
    char xo[16];
    double xt = 0;
    int xs = 0;
    log_axis(s->logx, f->x0, f->x1, xo, sizeof xo, "bcnstf", &xt, &xs);
    plwind(f->x0, f->x1, f->y0, f->y1);
    plcol0(PLOT_BLACK);
    y_axis_box(&f->left, xo, xt, xs);
    lines_titles(s, f);
    for (int k = 0; k < s->n_left; k++) {
        draw_error_bars(&s->left[k], s->logx, f->logy);
        draw_series(&s->left[k], s->logx, f->logy);
    }
    if (!s->n_right)
        return;
    plwind(f->x0, f->x1, f->b0, f->b1);
    plcol0(PLOT_BLACK);
    y_axis_box(&f->right, "", 0, 0);
    plmtex("r", f->off_right, 0.5, 0.5, s->y2label ? s->y2label : "");
    for (int k = 0; k < s->n_right; k++) {
        draw_error_bars(&s->right[k], s->logx, 0);
        draw_series(&s->right[k], s->logx, 0);
    }
}

int plot_lines(const plot_lines_spec *s)
{
    lines_frame f;
    lines_ranges(s, &f);
    pladv(0);
    plvpor(0.14, s->n_right ? 0.84 : 0.95, 0.2, 0.88); /* provisional, for the legend */
    plwind(0, 1, 0, 1);
    /* The tick labels are measured first, while the subpage is still empty. */
    y_axis_init(&f.left, f.y0, f.y1, f.logy, s->n_right ? "bnstvf" : "bcnstvf");
    f.off_left = y_label_offset(&f.left, f.y0, f.y1, s->ylabel, -1);
    f.off_right = 0;
    if (s->n_right) {
        y_axis_init(&f.right, f.b0, f.b1, 0, "cmstvf");
        f.off_right = y_label_offset(&f.right, f.b0, f.b1, s->y2label, 1);
    }
    double leg = lines_legend(s), vx0, vx1;
    lines_viewport_x(s, &f, &vx0, &vx1);
    plvpor(vx0, vx1, viewport_bottom(leg), 0.88);
    /* Bands under every line of either axis. */
    plwind(f.x0, f.x1, f.y0, f.y1);
    draw_bands(s->left, s->n_left, s->logx, f.logy);
    if (s->n_right) {
        plwind(f.x0, f.x1, f.b0, f.b1);
        draw_bands(s->right, s->n_right, s->logx, 0);
    }
    lines_draw(s, &f);
    return 0;
}

/* plot.h — figures through PLplot's cairo drivers (headless): heatmaps over the
 * (σ_w², σ_b²) grid with overlaid lines, and line plots with an optional second y axis.
 * White background, a viridis-like colour map, colour bars and legends (PLplot's
 * defaults are a black background and a blue-red map).  One figure at a time: plot_open, panels, plot_close. */
#ifndef CRITSWEEP_PLOT_H
#define CRITSWEEP_PLOT_H

#include "critsweep/common.h"

/* Line colours (PLplot colour map 0 indices set by plot_open). */
enum {
    PLOT_BLACK = 1, PLOT_RED, PLOT_BLUE, PLOT_GREEN, PLOT_PURPLE, PLOT_ORANGE, PLOT_BROWN,
    PLOT_PINK, PLOT_GREY, PLOT_WHITE, PLOT_LIGHTGREY, PLOT_CYAN, PLOT_NCOLORS
};
/* The colour of series i among several (cycles through the distinct ones). */
int plot_series_color(int i);

typedef enum { PLOT_PNG, PLOT_SVG, PLOT_PDF } plot_format;
/* From the path's extension (.png, .svg, .pdf); -1 if none of them. */
int plot_format_from_path(const char *path, plot_format *out);

/* Opens a w×h figure (pixels; points for svg/pdf) of nx×ny panels, written to path. */
int plot_open(const char *path, int w, int h, int nx, int ny, cs_err *err);
/* Finishes the file; checks that it was written. */
int plot_close(cs_err *err);

typedef struct {
    const double *x, *y;    /* (n) NaN points break the line */
    int n;
    const char *label;      /* legend text; NULL = not in the legend */
    int color;              /* PLOT_* */
    int dashed;
    double width;           /* line width (0 = 2) */
    int marker;             /* draw a marker at every point */
    int no_line;            /* markers only */
    int halo;               /* a black line under it, for contrast on any colour */
    /* Uncertainty, each pair NULL for none; NaN at a point: nothing there. */
    const double *ylo, *yhi;    /* (n) a shaded band (band set) or vertical error bars */
    int band;
    const double *xlo, *xhi;    /* (n) horizontal error bars */
} plot_series;

/* The colour index of a light, translucent tint of colour c (PLOT_*), for bands:
 * where bands overlap both stay visible, and the lines over them stay sharp. */
int plot_tint(int c);

/* Shades the area between lo and hi over x (n points) in colour (a PLOT_* or a
 * plot_tint index) on the current panel; a NaN in x, lo or hi breaks the band, and an
 * isolated point gets a vertical bar.  log10 axes as plot_lines_spec. */
void plot_band(const double *x, const double *lo, const double *hi, int n, int color,
               int logx, int logy);

typedef struct {
    const double *xc; int nx;   /* cell centres along x (increasing, any spacing) */
    const double *yc; int ny;   /* cell centres along y */
    const double *z;            /* (ny, nx): z[j * nx + i] at (xc[i], yc[j]); NaN = grey */
    const char *xlabel, *ylabel, *title, *zlabel;
    const plot_series *lines; int n_lines;  /* overlays, clipped to the grid */
} plot_heatmap_spec;
/* Draws on the next panel. */
int plot_heatmap(const plot_heatmap_spec *s);

typedef struct {
    const char *xlabel, *ylabel, *title;
    const plot_series *left; int n_left;
    const char *y2label;                  /* second axis on the right, or NULL */
    const plot_series *right; int n_right;
    int logx, logy;                       /* log10 axes (non-positive points dropped) */
    const char *note;                     /* small text under the title, or NULL */
} plot_lines_spec;
/* Bands first (under every line), then error bars, lines and markers; the axis ranges
 * include the bands and bars. */
int plot_lines(const plot_lines_spec *s);

#endif

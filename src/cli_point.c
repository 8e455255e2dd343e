/* cli_point.c — `critsweep point` (one grid point, no MPI), `critsweep fit` (exponents of
 * S/D data a user brings, read in a stream by sdfile.c into sdstats.c) and `critsweep
 * meanfield`. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "critsweep/activation.h"
#include "critsweep/avalanche.h"
#include "critsweep/cli.h"
#include "critsweep/cli_getopt.h"
#include "critsweep/common.h"
#include "critsweep/fit.h"
#include "critsweep/meanfield.h"
#include "critsweep/quantity.h"
#include "critsweep/rng.h"
#include "critsweep/sdfile.h"
#include "critsweep/sdstats.h"
#include "critsweep/task.h"

/* --- option helpers ---------------------------------------------------------------- */

/* The value of the long option getopt_long just returned, or NULL (message printed)
 * when it is missing: empty, or the next argument is itself an --option. */
static const char *option_value(const char *cmd, char **argv, const char *name)
{
    int separate = optarg == argv[optind - 1];
    if (!*optarg || (separate && optarg[0] == '-' && optarg[1] == '-')) {
        cli_usage_error(cmd, "--%s: missing value", name);
        return NULL;
    }
    return optarg;
}

/* The message for what getopt_long could not take: an unknown option (or one given a
 * value it does not take), a missing value, or an argument that is no option. */
static int option_error(const char *cmd, int ch, char **argv, int at)
{
    const char *a = argv[at];
    if (ch == ':')
        return cli_usage_error(cmd, "%s: missing value", a);
    return cli_usage_error(cmd, "unknown option '%s' (critsweep %s --help)", a, cmd);
}

/* After getopt_long's last option: an argument left over (or a bare "--") is unknown. */
static int option_leftover(const char *cmd, int argc, char **argv)
{
    if (optind > 1 && !strcmp(argv[optind - 1], "--"))
        return cli_usage_error(cmd, "unknown option '--' (critsweep %s --help)", cmd);
    if (optind < argc)
        return cli_usage_error(cmd, "unknown option '%s' (critsweep %s --help)", argv[optind],
                               cmd);
    return 0;
}

static int parse_num(const char *cmd, const char *name, const char *v, double lo, int lo_open,
                     double *out)
{
    double x;
    if (cs_parse_double(v, &x) || !isfinite(x))
        return cli_usage_error(cmd, "%s: not a number '%s'", name, v);
    if (lo_open ? !(x > lo) : !(x >= lo))
        return cli_usage_error(cmd, "%s: must be %s %g (got '%s')", name, lo_open ? ">" : ">=",
                               lo, v);
    *out = x;
    return 0;
}

static int parse_int(const char *cmd, const char *name, const char *v, long lo, long *out)
{
    long x;
    if (cs_parse_long(v, &x))
        return cli_usage_error(cmd, "%s: not an integer '%s'", name, v);
    if (x < lo)
        return cli_usage_error(cmd, "%s: must be >= %ld (got '%s')", name, lo, v);
    *out = x;
    return 0;
}

/* "auto" → 0 (libplfit's KS minimum), otherwise a number >= lo. */
static int parse_xmin(const char *cmd, const char *name, const char *v, double lo, double *out)
{
    if (!strcmp(v, "auto")) {
        *out = 0;
        return 0;
    }
    double x;
    if (cs_parse_double(v, &x) || !isfinite(x))
        return cli_usage_error(cmd, "%s: not a number or 'auto': '%s'", name, v);
    if (!(x >= lo) || x <= 0)
        return cli_usage_error(cmd, "%s: must be %s %g or 'auto' (got '%s')", name,
                               lo > 0 ? ">=" : ">", lo, v);
    if (lo >= 1 && x != floor(x)) /* discrete xmin: the law lives on whole numbers */
        return cli_usage_error(cmd, "%s: must be a whole number or 'auto' (got '%s')", name, v);
    *out = x;
    return 0;
}

static int parse_activation(const char *cmd, const char *v, cs_activation *a)
{
    if (activation_from_name(v, a))
        return cli_usage_error(cmd, "--activation: unknown '%s' (one of %s)", v, activation_names());
    return 0;
}

/* --- exponents: shared printing ---------------------------------------------------- */

static void print_pm(const char *name, double v, double e)
{
    if (isfinite(e))
        printf("  %-18s %.6g ± %.2g\n", name, v, e);
    else
        printf("  %-18s %.6g\n", name, v);
}

static void print_classes(double ts, double td, double g)
{
    const fit_class *cl;
    int nc = fit_reference_classes(&cl);
    double dist[8];
    int best = fit_nearest_class(ts, td, g, dist);
    if (best < 0) { /* a class from the finite exponents alone would mislead */
        printf("  nearest class      none (tau_s, tau_d and gamma are not all finite)\n");
        return;
    }
    printf("  nearest class      %s\n", cl[best].name);
    for (int i = 0; i < nc; i++)
        printf("    distance to %-50s %.4g  (τ_s %.4g, τ_d %.4g, γ %.4g)\n", cl[i].name, dist[i],
               cl[i].tau_s, cl[i].tau_d, cl[i].gamma);
}

static void print_note(const char *note)
{
    if (note[0])
        printf("  %-18s %s\n", "fit note", note);
}

static void json_classes(json_writer *w, double ts, double td, double g)
{
    const fit_class *cl;
    int nc = fit_reference_classes(&cl);
    double dist[8];
    int best = fit_nearest_class(ts, td, g, dist);
    json_str(w, "nearest_class", best >= 0 ? cl[best].name : "");
    json_object_begin(w, "class_distance");
    for (int i = 0; i < nc; i++)
        json_num(w, cl[i].name, dist[i]);
    json_object_end(w);
}

/* --- critsweep point ------------------------------------------------------------- */

static void point_help(void)
{
    printf(
        "usage: critsweep point [options]\n\n"
        "Avalanches and exponents of one grid point (README §2, §4, §5, §7); no MPI.\n"
        "The random key is rng_task_key(0, activation, width, sigma_w2, sigma_b2, seed), so a\n"
        "point equals the sweep task with sweep seed 0 and the same coordinates.\n"
        "Degenerate samples (fewer than %d events at or above xmin, or one distinct value)\n"
        "give NaN exponents (null in JSON) and a fit_note; exploded avalanches are counted.\n\n"
        "options (defaults are small, to run in about a second):\n"
        "  --width N            neurons per layer (100)\n"
        "  --depth L            maximum depth L_max (100)\n"
        "  --sigma-w2 X         weight variance σ_w² (1.0)\n"
        "  --sigma-b2 Y         bias variance σ_b² (0.0)\n"
        "  --q0 Q               drive strength (0.1, reference)\n"
        "  --activation A       %s (tanh)\n"
        "  --per-network K      inputs per random network (1000, reference)\n"
        "  --inputs M           drives in all (2000)\n"
        "  --seed S             seed coordinate (0)\n"
        "  --convention C       reference|strict (reference)\n"
        "  --mode M             difference|absolute (difference)\n"
        "  --engine E           auto|dense|sampled: how layers are formed (auto; README §1b)\n"
        "  --shape-dmin D       profile window, exclusive lower bound (60)\n"
        "  --shape-dmax D       profile window, exclusive upper bound (250)\n"
        "  --shape-min-count C  avalanches per duration for a profile (20)\n"
        "  --xmin-s V|auto      continuous xmin for τ_s (%g; auto = KS minimum)\n"
        "  --xmin-d V|auto      discrete xmin for τ_d (%g; auto = KS minimum)\n"
        "  --min-count C        events per duration in the γ regression (%d)\n"
        "  --bootstrap B        bootstrap samples for the KS p-values (0 = none)\n"
        "  --raw FILE           write \"S D absorbed\" per recorded avalanche (text, header line)\n"
        "  --json               one JSON object instead of the human-readable report\n",
        CS_FIT_MIN_EVENTS, activation_names(), FIT_XMIN_S_DEFAULT, FIT_XMIN_D_DEFAULT,
        FIT_GAMMA_MIN_COUNT_DEFAULT);
}

/* The quantity table (quantity.h) as JSON: the schema of the results file's per-task
 * datasets, for the tests (`point --quantities-json`, not in --help). */
static void print_quantities_json(void)
{
    static const char *const type[] = {"float64", "int64", "int64", "char", "float64", "float64"};
    static const char *const trailing[] = {"", "epoch", "size_bin", "duration", "shape_duration",
                                           "shape_duration,profile_x", "reason_char",
                                           "dynrange_q"};
    json_writer w;
    json_begin(&w, stdout);
    for (int i = 0; i < QUANTITY_COUNT; i++) {
        const quantity_def *q = &quantity_defs[i];
        json_object_begin(&w, q->name);
        json_str(&w, "type", type[q->src]);
        json_str(&w, "trailing", trailing[q->trailing]);
        json_str(&w, "units", q->units);
        json_str(&w, "long_name", q->long_name);
        json_str(&w, "description", q->description);
        json_bool(&w, "timing", q->timing);
        json_str(&w, "label", q->label ? q->label : q->name);
        json_object_end(&w);
    }
    json_end(&w);
}

typedef struct {
    avalanche_params ap;
    fit_options fo;
    long seed;
    const char *raw;
    int json;
} point_args;

enum {
    OPT_WIDTH = 256, OPT_DEPTH, OPT_SIGMA_W2, OPT_SIGMA_B2, OPT_Q0, OPT_ACTIVATION,
    OPT_PER_NETWORK, OPT_INPUTS, OPT_SEED, OPT_CONVENTION, OPT_ENGINE, OPT_MODE,
    OPT_SHAPE_DMIN, OPT_SHAPE_DMAX, OPT_SHAPE_MIN_COUNT, OPT_XMIN_S, OPT_XMIN_D,
    OPT_MIN_COUNT, OPT_BOOTSTRAP, OPT_RAW, OPT_COLUMNS, OPT_JSON, OPT_QUANTITIES_JSON,
};

static const struct option point_options[] = {
    {"width", required_argument, NULL, OPT_WIDTH},
    {"depth", required_argument, NULL, OPT_DEPTH},
    {"sigma-w2", required_argument, NULL, OPT_SIGMA_W2},
    {"sigma-b2", required_argument, NULL, OPT_SIGMA_B2},
    {"q0", required_argument, NULL, OPT_Q0},
    {"activation", required_argument, NULL, OPT_ACTIVATION},
    {"per-network", required_argument, NULL, OPT_PER_NETWORK},
    {"inputs", required_argument, NULL, OPT_INPUTS},
    {"seed", required_argument, NULL, OPT_SEED},
    {"convention", required_argument, NULL, OPT_CONVENTION},
    {"engine", required_argument, NULL, OPT_ENGINE},
    {"mode", required_argument, NULL, OPT_MODE},
    {"shape-dmin", required_argument, NULL, OPT_SHAPE_DMIN},
    {"shape-dmax", required_argument, NULL, OPT_SHAPE_DMAX},
    {"shape-min-count", required_argument, NULL, OPT_SHAPE_MIN_COUNT},
    {"xmin-s", required_argument, NULL, OPT_XMIN_S},
    {"xmin-d", required_argument, NULL, OPT_XMIN_D},
    {"min-count", required_argument, NULL, OPT_MIN_COUNT},
    {"bootstrap", required_argument, NULL, OPT_BOOTSTRAP},
    {"raw", required_argument, NULL, OPT_RAW},
    {"json", no_argument, NULL, OPT_JSON},
    {"quantities-json", no_argument, NULL, OPT_QUANTITIES_JSON},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* An integer option with an upper bound ("--NAME: too large"). */
static int parse_int_max(const char *cmd, const char *name, const char *v, long lo, long hi,
                         long *out)
{
    if (parse_int(cmd, name, v, lo, out))
        return CS_EXIT_USAGE;
    if (*out > hi)
        return cli_usage_error(cmd, "%s: too large '%s'", name, v);
    return 0;
}

/* The fit options `point` and `fit` share; 1 if ch is none of them. */
static int fit_option(const char *cmd, int ch, const char *v, fit_options *fo)
{
    long l = 0;
    switch (ch) {
    case OPT_XMIN_S: return parse_xmin(cmd, "--xmin-s", v, 0, &fo->xmin_s);
    case OPT_XMIN_D: return parse_xmin(cmd, "--xmin-d", v, 1, &fo->xmin_d);
    case OPT_MIN_COUNT:
        if (parse_int(cmd, "--min-count", v, 2, &l))
            return CS_EXIT_USAGE;
        fo->gamma_min_count = (int)(l > 1000000000 ? 1000000000 : l);
        return 0;
    case OPT_BOOTSTRAP:
        if (parse_int(cmd, "--bootstrap", v, 0, &l))
            return CS_EXIT_USAGE;
        if (l > 100000)
            return cli_usage_error(cmd, "--bootstrap: at most 100000 (got '%s')", v);
        fo->bootstrap = (int)l;
        return 0;
    }
    return 1;
}

/* One valued option of `point`; 0 or CS_EXIT_USAGE (message printed). */
static int point_option(int ch, const char *v, point_args *a)
{
    const char *cmd = "point";
    avalanche_params *ap = &a->ap;
    long l = 0;
    int rc = 0;
    switch (ch) {
    case OPT_WIDTH: rc = parse_int_max(cmd, "--width", v, 1, 1000000, &l), ap->width = (int)l; break;
    case OPT_DEPTH: rc = parse_int_max(cmd, "--depth", v, 4, 1000000, &l), ap->depth = (int)l; break;
    case OPT_SIGMA_W2: return parse_num(cmd, "--sigma-w2", v, 0, 0, &ap->sigma_w2);
    case OPT_SIGMA_B2: return parse_num(cmd, "--sigma-b2", v, 0, 0, &ap->sigma_b2);
    case OPT_Q0: return parse_num(cmd, "--q0", v, 0, 1, &ap->q0);
    case OPT_ACTIVATION: return parse_activation(cmd, v, &ap->activation);
    case OPT_PER_NETWORK: return parse_int(cmd, "--per-network", v, 1, &ap->per_network);
    case OPT_INPUTS: return parse_int(cmd, "--inputs", v, 1, &ap->inputs);
    case OPT_SEED: return parse_int(cmd, "--seed", v, 0, &a->seed);
    case OPT_CONVENTION:
        if (convention_from_name(v, &ap->convention))
            return cli_usage_error(cmd, "--convention: unknown '%s' (reference or strict)", v);
        break;
    case OPT_ENGINE:
        if (engine_from_name(v, &ap->engine))
            return cli_usage_error(cmd, "--engine: unknown '%s' (auto, dense or sampled)", v);
        break;
    case OPT_MODE:
        if (mode_from_name(v, &ap->mode))
            return cli_usage_error(cmd, "--mode: unknown '%s' (difference or absolute)", v);
        break;
    case OPT_SHAPE_DMIN: rc = parse_int(cmd, "--shape-dmin", v, 0, &l), ap->shape_dmin = (int)l; break;
    case OPT_SHAPE_DMAX:
        rc = parse_int_max(cmd, "--shape-dmax", v, 2, 1000000, &l), ap->shape_dmax = (int)l;
        break;
    case OPT_SHAPE_MIN_COUNT:
        rc = parse_int(cmd, "--shape-min-count", v, 1, &l);
        ap->shape_min_count = (int)(l > 1000000000 ? 1000000000 : l);
        break;
    case OPT_RAW: a->raw = v; break;
    default: return fit_option(cmd, ch, v, &a->fo);
    }
    return rc ? CS_EXIT_USAGE : 0;
}

/* Parses point's arguments into a; -1 when --help or --quantities-json printed all
 * there is to print. */
static int point_parse(int argc, char **argv, point_args *a)
{
    const char *cmd = "point";
    avalanche_params_default(&a->ap);
    a->ap.width = 100;
    a->ap.depth = 100;
    a->ap.sigma_w2 = 1.0;
    a->ap.sigma_b2 = 0.0;
    a->ap.activation = CS_ACT_TANH;
    a->ap.inputs = 2000;
    fit_options_default(&a->fo);
    a->seed = 0;
    a->raw = NULL;
    a->json = 0;
    int ch, li, at;
    cli_getopt_begin();
    while ((ch = cli_getopt(argc, argv, point_options, &li, &at)) != -1) {
        const char *v;
        if (ch == 'h')
            return point_help(), -1;
        if (ch == OPT_QUANTITIES_JSON)
            return print_quantities_json(), -1;
        if (ch == OPT_JSON) {
            a->json = 1;
            continue;
        }
        if (ch == '?' || ch == ':')
            return option_error(cmd, ch, argv, at);
        if (!(v = option_value(cmd, argv, point_options[li].name)) || point_option(ch, v, a))
            return CS_EXIT_USAGE;
    }
    if (option_leftover(cmd, argc, argv))
        return CS_EXIT_USAGE;
    if (a->ap.shape_dmax <= a->ap.shape_dmin + 1)
        return cli_usage_error(cmd, "--shape-dmax: must exceed --shape-dmin + 1 (window %d < D < %d is empty)",
                               a->ap.shape_dmin, a->ap.shape_dmax);
    return 0;
}

static int write_raw(const char *path, const avalanche_result *ar)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "critsweep point: --raw %s: cannot open for writing: %s\n", path,
                strerror(errno));
        return CS_EXIT_USAGE;
    }
    int bad = fprintf(f, "S D absorbed\n") < 0;
    for (long i = 0; i < ar->n_recorded && !bad; i++)
        bad = fprintf(f, "%.17g %.0f %d\n", ar->S[i], ar->D[i], ar->absorbed ? ar->absorbed[i] : 0) < 0;
    if (fclose(f) != 0 || bad) {
        fprintf(stderr, "critsweep point: --raw %s: write failed (disk full?): %s\n", path,
                strerror(errno));
        return CS_EXIT_ERROR;
    }
    return 0;
}

/* What `point` reports: the task result of the avalanche half, the run it came from
 * and the full τ fits.  `shown` marks the quantities a report has printed, so that
 * every other quantity of the avalanche half (quantity.h) is printed too. */
typedef struct {
    const point_args *a;
    const avalanche_result *ar;
    const cs_result *r;
    fit_powerlaw ps, pd;
    unsigned char shown[QUANTITY_COUNT];
} point_report;

/* The value of quantity name (a scalar of the table), marked as shown. */
static double shown_value(point_report *p, const char *name)
{
    const quantity_def *q = quantity_find(name);
    p->shown[q - quantity_defs] = 1;
    return q->src == QUANTITY_SRC_D ? quantity_double(q, p->r) : (double)quantity_integer(q, p->r);
}

/* The quantities the avalanche half computes that the report has not shown yet. */
static int unshown(const point_report *p, int i)
{
    const quantity_def *q = &quantity_defs[i];
    return !p->shown[i] && q->trailing == QUANTITY_TR_NONE &&
           (q->part == QUANTITY_PART_AVALANCHE || q->part == QUANTITY_PART_ANALYSIS);
}

static void json_quantity(json_writer *w, point_report *p, const char *name)
{
    const quantity_def *q = quantity_find(name);
    p->shown[q - quantity_defs] = 1;
    if (q->src == QUANTITY_SRC_D)
        json_num(w, name, quantity_double(q, p->r));
    else if (q->src == QUANTITY_SRC_T)
        json_str(w, name, quantity_text(q, p->r));
    else
        json_int(w, name, quantity_integer(q, p->r));
}

static void json_quantities(json_writer *w, point_report *p, const char *const *names)
{
    for (; *names; names++)
        json_quantity(w, p, *names);
}

static void json_fit(json_writer *w, const fit_powerlaw *f, const char *n_tail, const char *ks,
                     const char *p_value)
{
    json_int(w, n_tail, f->n_tail);
    json_num(w, ks, f->ks);
    json_num(w, p_value, f->p_value);
}

static void point_json(point_report *p)
{
    const avalanche_params *ap = &p->a->ap;
    json_writer w;
    json_begin(&w, stdout);
    json_str(&w, "activation", activation_name(ap->activation));
    json_int(&w, "width", ap->width);
    json_int(&w, "depth", ap->depth);
    json_num(&w, "sigma_w2", ap->sigma_w2);
    json_num(&w, "sigma_b2", ap->sigma_b2);
    json_num(&w, "q0", ap->q0);
    json_int(&w, "per_network", ap->per_network);
    json_int(&w, "seed", p->a->seed);
    json_str(&w, "convention", convention_name(ap->convention));
    json_str(&w, "mode", mode_name(ap->mode));
    json_str(&w, "engine", engine_name(ap->engine));
    json_quantities(&w, p, (const char *const[]){"n_inputs", "n_recorded", "n_survived",
        "n_exploded", "P_surv", "S_mean", "S_mean_absorbed", "D_mean", "tau_s", "tau_s_err",
        "xmin_s", NULL});
    json_fit(&w, &p->ps, "n_tail_s", "ks_s", "p_value_s");
    json_quantities(&w, p, (const char *const[]){"tau_d", "tau_d_err", "xmin_d", NULL});
    json_fit(&w, &p->pd, "n_tail_d", "ks_d", "p_value_d");
    json_quantities(&w, p, (const char *const[]){"gamma", "gamma_err", "gamma_pred", NULL});
    json_num(&w, "crackling", p->r->gamma - p->r->gamma_pred);
    json_quantities(&w, p, (const char *const[]){"gamma_shape", "gamma_shape_err", "fit_note",
        "branching", "lyapunov", "q_star", "chi1", "xi_c", "avalanches_per_s", NULL});
    for (int i = 0; i < QUANTITY_COUNT; i++)
        if (unshown(p, i))
            json_quantity(&w, p, quantity_defs[i].name);
    json_num(&w, "seconds", p->ar->seconds);
    json_num(&w, "layers_sampled_fraction",
             p->ar->layers_drawn ? (double)p->ar->layers_sampled / (double)p->ar->layers_drawn : 0.0);
    json_classes(&w, p->r->tau_s, p->r->tau_d, p->r->gamma);
    json_end(&w);
}

static void text_rows(point_report *p, const char *const *rows)
{
    for (; *rows; rows += 2)
        printf("  %-18s %.6g\n", rows[0], shown_value(p, rows[1]));
}

static void text_exponents(point_report *p)
{
    const cs_result *r = p->r;
    printf("exponents\n");
    print_pm("tau_s", shown_value(p, "tau_s"), shown_value(p, "tau_s_err"));
    printf("  %-18s %.6g  (n_tail %ld, KS %.3g, p %.3g)\n", "xmin_s", shown_value(p, "xmin_s"),
           p->ps.n_tail, p->ps.ks, p->ps.p_value);
    print_pm("tau_d", shown_value(p, "tau_d"), shown_value(p, "tau_d_err"));
    printf("  %-18s %.6g  (n_tail %ld, KS %.3g, p %.3g)\n", "xmin_d", shown_value(p, "xmin_d"),
           p->pd.n_tail, p->pd.ks, p->pd.p_value);
    print_pm("gamma", shown_value(p, "gamma"), shown_value(p, "gamma_err"));
    printf("  %-18s %.6g  (gamma − gamma_pred = %.3g)\n", "gamma_pred",
           shown_value(p, "gamma_pred"), r->gamma - r->gamma_pred);
    print_pm("gamma (shape)", shown_value(p, "gamma_shape"), shown_value(p, "gamma_shape_err"));
    print_note(r->fit_note);
    p->shown[QUANTITY_fit_note] = 1;
    if (r->n_exploded > 0) /* the exponents above fit their lower-bound sizes too */
        printf("  %-18s %ld of %ld avalanches left float range: their S are lower bounds\n",
               "exploded", r->n_exploded, r->n_inputs);
    print_classes(r->tau_s, r->tau_d, r->gamma);
}

static void point_text(point_report *p)
{
    const avalanche_params *ap = &p->a->ap;
    const avalanche_result *ar = p->ar;
    printf("critsweep point: %s, N=%d, L_max=%d, σ_w²=%g, σ_b²=%g, q0=%g, K=%ld, seed %ld, %s convention, %s mode, engine %s (%.0f%% of layers sampled)\n",
           activation_name(ap->activation), ap->width, ap->depth, ap->sigma_w2, ap->sigma_b2,
           ap->q0, ap->per_network, p->a->seed, convention_name(ap->convention),
           mode_name(ap->mode), engine_name(ap->engine),
           ar->layers_drawn ? 100.0 * (double)ar->layers_sampled / (double)ar->layers_drawn : 0.0);
    printf("avalanches\n");
    const char *const counts[] = {"inputs", "n_inputs", "recorded", "n_recorded", "survived",
                                  "n_survived", "exploded", "n_exploded", NULL};
    for (const char *const *c = counts; *c; c += 2)
        printf("  %-18s %ld\n", c[0], (long)shown_value(p, c[1]));
    text_rows(p, (const char *const[]){"P_surv", "P_surv", "S mean", "S_mean",
        "S mean (absorbed)", "S_mean_absorbed", "D mean", "D_mean", NULL});
    text_exponents(p);
    printf("criticality\n");
    text_rows(p, (const char *const[]){"branching", "branching", "lyapunov", "lyapunov", NULL});
    /* These come below, under mean field and speed. */
    p->shown[QUANTITY_q_star] = p->shown[QUANTITY_chi1] = p->shown[QUANTITY_xi_c] = 1;
    p->shown[QUANTITY_avalanches_per_s] = 1;
    for (int i = 0; i < QUANTITY_COUNT; i++)
        if (unshown(p, i))
            text_rows(p, (const char *const[]){quantity_defs[i].name, quantity_defs[i].name, NULL});
    printf("mean field\n");
    text_rows(p, (const char *const[]){"q*", "q_star", "chi_1", "chi1", "xi_c", "xi_c", NULL});
    printf("speed\n");
    printf("  %-18s %.4g  (%.3g s)\n", "avalanches/s", p->r->avalanches_per_s, ar->seconds);
}

/* The avalanche half of one task with the raw records kept, then the report. */
static int point_run(const point_args *a, avalanche_result *ar)
{
    cs_err err = {0, ""};
    if (avalanche_run(&a->ap, ar, &err)) {
        fprintf(stderr, "critsweep point: %s\n", err.msg);
        return err.code ? err.code : CS_EXIT_ERROR;
    }
    cs_result r;
    if (task_result_init(&r, a->ap.depth, avalanche_n_profile_d(a->ap.shape_dmin, a->ap.shape_dmax), 0, 0)) {
        fprintf(stderr, "critsweep point: out of memory for the result arrays\n");
        return CS_EXIT_ERROR;
    }
    point_report p = {.a = a, .ar = ar, .r = &r};
    int rc = task_avalanche_fill(&a->ap, &a->fo, ar, &r, &p.ps, &p.pd, &err);
    if (rc)
        fprintf(stderr, "critsweep point: %s\n", err.msg);
    else if (!(a->raw && (rc = write_raw(a->raw, ar)))) {
        if (a->json)
            point_json(&p);
        else
            point_text(&p);
    }
    task_result_free(&r);
    return rc;
}

int cli_point(int argc, char **argv)
{
    point_args a;
    int rc = point_parse(argc, argv, &a);
    if (rc)
        return rc < 0 ? CS_EXIT_OK : rc;
    a.ap.key = rng_task_key(0, (int)a.ap.activation, a.ap.width, a.ap.sigma_w2, a.ap.sigma_b2,
                            (uint64_t)a.seed);
    a.fo.seed = a.ap.key;
    cs_err err = {0, ""};
    if (avalanche_params_check(&a.ap, &err))
        return cli_usage_error("point", "%s", err.msg);
    avalanche_result ar;
    avalanche_result_init(&ar);
    rc = point_run(&a, &ar);
    avalanche_result_free(&ar);
    return rc;
}

/* --- critsweep fit ----------------------------------------------------------------- */

static void fit_help(void)
{
    printf(
        "usage: critsweep fit FILE [options]\n\n"
        "Power-law exponents of avalanche sizes S and durations D you bring (README §4):\n"
        "τ_s (continuous MLE), τ_d (discrete MLE, Hurwitz zeta), γ (weighted regression of\n"
        "log10 <S>(D) on log10 D), γ_pred = (τ_d − 1)/(τ_s − 1) and the nearest reference class.\n"
        "An exponent whose sample at or above xmin has fewer than %d events or one distinct\n"
        "value is NaN (null in JSON), fit_note says why, and no class is named.\n\n"
        "FILE is text (whitespace- or comma-separated columns, '#' comments, an optional header\n"
        "line naming the columns) or HDF5 (one-dimensional datasets named S and D).  Without a\n"
        "header, column 1 is S and column 2 is D.  D must hold whole numbers >= 0.\n"
        "The file is read in a stream: what stays in memory is 8 bytes per size in the τ_s\n"
        "tail and a histogram of the durations (an 'auto' xmin reads the file twice, and\n"
        "libplfit's KS scan works on copies of the sample).\n\n"
        "options:\n"
        "  --columns S,D       column names (header or HDF5 datasets) or 1-based numbers (S,D)\n"
        "  --xmin-s V|auto     continuous xmin for τ_s (%g; auto = KS minimum)\n"
        "  --xmin-d V|auto     discrete xmin for τ_d (%g; auto = KS minimum)\n"
        "  --min-count C       events per duration in the γ regression (%d)\n"
        "  --bootstrap B       bootstrap samples for the KS p-values (0 = none)\n"
        "  --json              one JSON object\n",
        CS_FIT_MIN_EVENTS, FIT_XMIN_S_DEFAULT, FIT_XMIN_D_DEFAULT, FIT_GAMMA_MIN_COUNT_DEFAULT);
}

typedef struct {
    fit_powerlaw ps, pd;
    double gamma, gamma_err;
    int gamma_durations;  /* durations in the γ regression */
    double gamma_events;  /* their events */
} fit_out;

/* γ at the xmins the τ fits used.  With both xmins given the sums came with the first
 * pass; otherwise the file is read a second time, now that they are known. */
static int fit_gamma_pass(const char *path, const char *cs, const char *cd,
                          const fit_options *fo, sd_stats *st, fit_out *r)
{
    double gxs = r->ps.xmin > 0 ? r->ps.xmin : FIT_XMIN_S_DEFAULT,
           gxd = r->pd.xmin > 0 ? r->pd.xmin : FIT_XMIN_D_DEFAULT;
    if (!(st->gamma && st->gxs == gxs && st->gxd == gxd)) {
        long rows = 0;
        sd_stats_gamma_reset(st, gxs, gxd);
        int rc = sdfile_read(path, cs, cd, sd_stats_add_gamma, st, &rows);
        if (rc)
            return rc;
        sd_stats_sort(st);
    }
    double *col[6];
    if (sd_stats_columns(st, col)) {
        fprintf(stderr, "critsweep fit: %s: out of memory in the γ regression\n", path);
        return CS_EXIT_ERROR;
    }
    r->gamma_durations = fit_gamma_from_sums(col[0], col[2], col[3], col[4], col[5], st->n_dur,
                                             fo->gamma_min_count, &r->gamma, &r->gamma_err,
                                             &r->gamma_events);
    free(col[0]);
    return 0;
}

/* Streams path once (twice for an `auto` xmin) and fits τ_s, τ_d and γ: README §4, the
 * same numbers as the fits on the whole sample, from 8 bytes per size in the τ_s tail
 * and a histogram of the durations. */
static int fit_file(const char *path, const char *cs, const char *cd, const fit_options *fo,
                    long *rows, fit_out *r)
{
    sd_stats st;
    int fixed = fo->xmin_s > 0 && fo->xmin_d > 0;
    /* The continuous fit uses sizes >= xmin_s, or every S > 0 for the KS choice. */
    if (sd_stats_init(&st, fo->xmin_s > 0 ? fo->xmin_s : 0x1p-1074, fixed, fo->xmin_s,
                      fo->xmin_d))
        return CS_EXIT_ERROR;
    int rc = sdfile_read(path, cs, cd, sd_stats_add, &st, rows);
    double *col[6] = {NULL};
    cs_err err = {0, ""};
    if (!rc) {
        sd_stats_sort(&st);
        if (sd_stats_columns(&st, col)) {
            fprintf(stderr, "critsweep fit: %s: out of memory for the durations\n", path);
            rc = CS_EXIT_ERROR;
        } else if ((rc = fit_tau_continuous_tail(st.tail, st.n_tail, fo, fo->xmin_s, &r->ps, &err)) ||
                   (rc = fit_tau_discrete_hist(col[0], col[1], st.n_dur, fo, fo->xmin_d, &r->pd, &err))) {
            fprintf(stderr, "critsweep fit: %s: %s\n", path, err.msg);
        }
        free(col[0]);
    }
    if (!rc) {
        free(st.tail); /* the γ pass needs only the durations */
        st.tail = NULL;
        st.n_tail = st.cap_tail = 0;
        rc = fit_gamma_pass(path, cs, cd, fo, &st, r);
    }
    sd_stats_free(&st);
    return rc;
}

static const struct option fit_options_long[] = {
    {"xmin-s", required_argument, NULL, OPT_XMIN_S},
    {"xmin-d", required_argument, NULL, OPT_XMIN_D},
    {"min-count", required_argument, NULL, OPT_MIN_COUNT},
    {"bootstrap", required_argument, NULL, OPT_BOOTSTRAP},
    {"columns", required_argument, NULL, OPT_COLUMNS},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct {
    fit_options fo;
    const char *path, *columns;
    char cs[256], cd[256]; /* the --columns names */
    int json;
} fit_args;

/* --columns S,D into a->cs and a->cd. */
static int fit_columns(const char *cmd, fit_args *a)
{
    const char *columns = a->columns, *comma = strchr(columns, ',');
    size_t n = comma ? (size_t)(comma - columns) : 0;
    if (!comma || n == 0 || n >= sizeof a->cs || !comma[1] || strlen(comma + 1) >= sizeof a->cd ||
        strchr(comma + 1, ','))
        return cli_usage_error(cmd, "--columns: expected two names or numbers 'S,D' (got '%s')", columns);
    memcpy(a->cs, columns, n);
    a->cs[n] = '\0';
    strcpy(a->cd, comma + 1);
    return 0;
}

/* Parses fit's arguments (FILE anywhere among the options); -1 after --help. */
static int fit_parse(int argc, char **argv, fit_args *a)
{
    const char *cmd = "fit";
    fit_options_default(&a->fo);
    a->path = a->columns = NULL;
    a->json = 0;
    int ch, li, at;
    cli_getopt_begin();
    for (;;) {
        while ((ch = cli_getopt(argc, argv, fit_options_long, &li, &at)) != -1) {
            const char *v;
            if (ch == 'h')
                return fit_help(), -1;
            if (ch == OPT_JSON) {
                a->json = 1;
                continue;
            }
            if (ch == '?' || ch == ':')
                return option_error(cmd, ch, argv, at);
            if (!(v = option_value(cmd, argv, fit_options_long[li].name)))
                return CS_EXIT_USAGE;
            if (ch == OPT_COLUMNS)
                a->columns = v;
            else if (fit_option(cmd, ch, v, &a->fo))
                return CS_EXIT_USAGE;
        }
        if (optind > 1 && !strcmp(argv[optind - 1], "--"))
            return option_leftover(cmd, argc, argv);
        if (optind >= argc)
            break;
        if (a->path)
            return cli_usage_error(cmd, "FILE: one file only (got '%s' and '%s')", a->path, argv[optind]);
        a->path = argv[optind++];
    }
    if (!a->path)
        return cli_usage_error(cmd, "FILE: missing (critsweep fit --help)");
    return a->columns ? fit_columns(cmd, a) : 0;
}

static void fit_print(const fit_args *a, long n, const fit_exponents *ex)
{
    const fit_powerlaw ps = ex->s, pd = ex->d;
    double g = ex->gamma, ge = ex->gamma_err, gp = ex->gamma_pred;
    if (a->json) {
        json_writer w;
        json_begin(&w, stdout);
        json_str(&w, "file", a->path);
        json_int(&w, "n", n);
        json_num(&w, "tau_s", ps.tau);
        json_num(&w, "tau_s_err", ps.tau_err);
        json_num(&w, "xmin_s", ps.xmin);
        json_fit(&w, &ps, "n_tail_s", "ks_s", "p_value_s");
        json_num(&w, "tau_d", pd.tau);
        json_num(&w, "tau_d_err", pd.tau_err);
        json_num(&w, "xmin_d", pd.xmin);
        json_fit(&w, &pd, "n_tail_d", "ks_d", "p_value_d");
        json_num(&w, "gamma", g);
        json_num(&w, "gamma_err", ge);
        json_num(&w, "gamma_pred", gp);
        json_num(&w, "crackling", g - gp);
        json_str(&w, "fit_note", ex->note);
        json_classes(&w, ps.tau, pd.tau, g);
        json_end(&w);
    } else {
        printf("critsweep fit: %s, %ld avalanches\n", a->path, n);
        print_pm("tau_s", ps.tau, ps.tau_err);
        printf("  %-18s %.6g  (n_tail %ld, KS %.3g, p %.3g)\n", "xmin_s", ps.xmin, ps.n_tail, ps.ks, ps.p_value);
        print_pm("tau_d", pd.tau, pd.tau_err);
        printf("  %-18s %.6g  (n_tail %ld, KS %.3g, p %.3g)\n", "xmin_d", pd.xmin, pd.n_tail, pd.ks, pd.p_value);
        print_pm("gamma", g, ge);
        printf("  %-18s %.6g  (gamma − gamma_pred = %.3g)\n", "gamma_pred", gp, g - gp);
        print_note(ex->note);
        print_classes(ps.tau, pd.tau, g);
    }
}

int cli_fit(int argc, char **argv)
{
    fit_args a;
    int rc = fit_parse(argc, argv, &a);
    if (rc)
        return rc < 0 ? CS_EXIT_OK : rc;
    a.fo.seed = 0;
    long n = 0;
    fit_out r;
    rc = fit_file(a.path, a.columns ? a.cs : NULL, a.columns ? a.cd : NULL, &a.fo, &n, &r);
    if (rc)
        return rc;
    /* The degeneracy rule and its note, as for a sweep's own fits. */
    fit_exponents ex;
    memset(&ex, 0, sizeof ex);
    ex.s = r.ps;
    ex.d = r.pd;
    ex.gamma = r.gamma;
    ex.gamma_err = r.gamma_err;
    ex.gamma_durations = r.gamma_durations;
    fit_exponents_finish(&ex, r.gamma_events, a.fo.gamma_min_count);
    fit_print(&a, n, &ex);
    return CS_EXIT_OK;
}

/* --- critsweep meanfield ------------------------------------------------------------ */

static void meanfield_help(void)
{
    printf(
        "usage: critsweep meanfield [--activation A] [--sigma-b2 Y] [--sigma-w2 X] [--json]\n\n"
        "Mean-field signal propagation (README §5; Poole et al. 2016, Schoenholz et al. 2017):\n"
        "the edge of chaos σ_w²_c(σ_b²) where χ_1 = 1 and, with --sigma-w2, the fixed point q*,\n"
        "χ_1 = σ_w² E[φ'(√q* z)²] and the depth scale ξ_c = −1/ln χ_1.\n\n"
        "options:\n"
        "  --activation A   %s (tanh)\n"
        "  --sigma-b2 Y     bias variance σ_b² >= 0 (0)\n"
        "  --sigma-w2 X     weight variance σ_w² >= 0 (optional)\n"
        "  --json           one JSON object\n",
        activation_names());
}

int cli_meanfield(int argc, char **argv)
{
    const char *cmd = "meanfield";
    cs_activation a = CS_ACT_TANH;
    double sb = 0, sw = NAN;
    int json = 0;
    static const struct option opts[] = {
        {"activation", required_argument, NULL, OPT_ACTIVATION},
        {"sigma-b2", required_argument, NULL, OPT_SIGMA_B2},
        {"sigma-w2", required_argument, NULL, OPT_SIGMA_W2},
        {"json", no_argument, NULL, OPT_JSON},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch, li, at;
    cli_getopt_begin();
    while ((ch = cli_getopt(argc, argv, opts, &li, &at)) != -1) {
        const char *v;
        if (ch == 'h') {
            meanfield_help();
            return CS_EXIT_OK;
        }
        if (ch == OPT_JSON) {
            json = 1;
            continue;
        }
        if (ch == '?' || ch == ':')
            return option_error(cmd, ch, argv, at);
        if (!(v = option_value(cmd, argv, opts[li].name)))
            return CS_EXIT_USAGE;
        if (ch == OPT_ACTIVATION ? parse_activation(cmd, v, &a)
            : parse_num(cmd, ch == OPT_SIGMA_B2 ? "--sigma-b2" : "--sigma-w2", v, 0, 0,
                        ch == OPT_SIGMA_B2 ? &sb : &sw))
            return CS_EXIT_USAGE;
    }
    if (option_leftover(cmd, argc, argv))
        return CS_EXIT_USAGE;
    double edge = meanfield_edge_sigma_w2(a, sb);
    meanfield_point m = {NAN, NAN, NAN};
    int have = !isnan(sw);
    if (have)
        meanfield_evaluate(a, sw, sb, &m);
    if (json) {
        json_writer w;
        json_begin(&w, stdout);
        json_str(&w, "activation", activation_name(a));
        json_num(&w, "sigma_b2", sb);
        json_num(&w, "sigma_w2_critical", edge);
        if (have) {
            json_num(&w, "sigma_w2", sw);
            json_num(&w, "q_star", m.q_star);
            json_num(&w, "chi1", m.chi1);
            /* ξ_c is +inf exactly at the edge: JSON has no inf, say so with a flag. */
            json_num(&w, "xi_c", m.xi_c);
            json_bool(&w, "xi_c_infinite", isinf(m.xi_c));
            json_str(&w, "phase", !isfinite(m.chi1) ? "undefined"
                                  : m.chi1 < 1     ? "ordered"
                                  : m.chi1 > 1     ? "chaotic"
                                                   : "critical");
        }
        json_end(&w);
    } else {
        printf("critsweep meanfield: %s, σ_b² = %g\n", activation_name(a), sb);
        printf("  %-20s %.10g\n", "sigma_w2_critical", edge);
        if (have) {
            printf("  %-20s %.10g\n", "sigma_w2", sw);
            printf("  %-20s %.10g%s\n", "q*", m.q_star,
                   isnan(m.q_star) ? "  (no finite fixed point: the signal grows without bound)" : "");
            printf("  %-20s %.10g  (%s)\n", "chi_1", m.chi1,
                   !isfinite(m.chi1) ? "undefined" : m.chi1 < 1 ? "ordered" : m.chi1 > 1 ? "chaotic" : "critical");
            printf("  %-20s %.10g\n", "xi_c", m.xi_c);
        }
    }
    return CS_EXIT_OK;
}

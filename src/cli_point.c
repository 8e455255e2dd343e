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
#include "critsweep/common.h"
#include "critsweep/fit.h"
#include "critsweep/meanfield.h"
#include "critsweep/rng.h"
#include "critsweep/sdfile.h"
#include "critsweep/sdstats.h"
#include "critsweep/task.h"

/* --- option helpers ---------------------------------------------------------------- */

/* If argv[*i] is --name or --name=value, stores the value (the next argument for the
 * first form) in *val and returns 1; 0 if it is another option; -1 if the value is
 * missing (message printed). */
static int opt_value(const char *cmd, int argc, char **argv, int *i, const char *name,
                     const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
        if (!**val) {
            cli_usage_error(cmd, "%s: missing value", name);
            return -1;
        }
        return 1;
    }
    if (a[n] != '\0')
        return 0;
    if (*i + 1 >= argc || (argv[*i + 1][0] == '-' && argv[*i + 1][1] == '-')) {
        cli_usage_error(cmd, "%s: missing value", name);
        return -1;
    }
    *val = argv[++*i];
    return 1;
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

static int is_help(const char *a) { return !strcmp(a, "--help") || !strcmp(a, "-h"); }

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
        "  --xmin-s V|auto      continuous xmin for τ_s (0.5; auto = KS minimum)\n"
        "  --xmin-d V|auto      discrete xmin for τ_d (5; auto = KS minimum)\n"
        "  --min-count C        events per duration in the γ regression (100)\n"
        "  --bootstrap B        bootstrap samples for the KS p-values (0 = none)\n"
        "  --raw FILE           write \"S D absorbed\" per recorded avalanche (text, header line)\n"
        "  --json               one JSON object instead of the human-readable report\n",
        CS_FIT_MIN_EVENTS, activation_names());
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

int cli_point(int argc, char **argv)
{
    const char *cmd = "point";
    avalanche_params ap;
    avalanche_params_default(&ap);
    ap.width = 100;
    ap.depth = 100;
    ap.sigma_w2 = 1.0;
    ap.sigma_b2 = 0.0;
    ap.activation = CS_ACT_TANH;
    ap.inputs = 2000;
    fit_options fo;
    fit_options_default(&fo);
    long seed = 0;
    const char *raw = NULL;
    int json = 0;

    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        int r;
        long l = 0;
        if (is_help(argv[i])) {
            point_help();
            return CS_EXIT_OK;
        }
        if (!strcmp(argv[i], "--json")) {
            json = 1;
            continue;
        }
        if ((r = opt_value(cmd, argc, argv, &i, "--width", &v)) < 0) return CS_EXIT_USAGE;
        if (r) { if (parse_int(cmd, "--width", v, 1, &l)) return CS_EXIT_USAGE;
                 if (l > 1000000) return cli_usage_error(cmd, "--width: too large '%s'", v);
                 ap.width = (int)l; continue; }
        if ((r = opt_value(cmd, argc, argv, &i, "--depth", &v)) < 0) return CS_EXIT_USAGE;
        if (r) { if (parse_int(cmd, "--depth", v, 4, &l)) return CS_EXIT_USAGE;
                 if (l > 1000000) return cli_usage_error(cmd, "--depth: too large '%s'", v);
                 ap.depth = (int)l; continue; }
        if ((r = opt_value(cmd, argc, argv, &i, "--sigma-w2", &v)) < 0) return CS_EXIT_USAGE;
        if (r) { if (parse_num(cmd, "--sigma-w2", v, 0, 0, &ap.sigma_w2)) return CS_EXIT_USAGE; continue; }
        if ((r = opt_value(cmd, argc, argv, &i, "--sigma-b2", &v)) < 0) return CS_EXIT_USAGE;
        if (r) { if (parse_num(cmd, "--sigma-b2", v, 0, 0, &ap.sigma_b2)) return CS_EXIT_USAGE; continue; }
        if ((r = opt_value(cmd, argc, argv, &i, "--q0", &v)) < 0) return CS_EXIT_USAGE;
        if (r) { if (parse_num(cmd, "--q0", v, 0, 1, &ap.q0)) return CS_EXIT_USAGE; continue; }
        if ((r = opt_value(cmd, argc, argv, &i, "--activation", &v)) < 0) return CS_EXIT_USAGE;
        if (r) { if (parse_activation(cmd, v, &ap.activation)) return CS_EXIT_USAGE; continue; }
        if ((r = opt_value(cmd, argc, argv, &i, "--per-network", &v)) < 0) return CS_EXIT_USAGE;
        if (r) { if (parse_int(cmd, "--per-network", v, 1, &ap.per_network)) return CS_EXIT_USAGE; continue; }
        if ((r = opt_value(cmd, argc, argv, &i, "--inputs", &v)) < 0) return CS_EXIT_USAGE;
        if (r) { if (parse_int(cmd, "--inputs", v, 1, &ap.inputs)) return CS_EXIT_USAGE; continue; }
        if ((r = opt_value(cmd, argc, argv, &i, "--seed", &v)) < 0) return CS_EXIT_USAGE;
        if (r) { if (parse_int(cmd, "--seed", v, 0, &seed)) return CS_EXIT_USAGE; continue; }
        if ((r = opt_value(cmd, argc, argv, &i, "--convention", &v)) < 0) return CS_EXIT_USAGE;
        if (r) { if (convention_from_name(v, &ap.convention))
                     return cli_usage_error(cmd, "--convention: unknown '%s' (reference or strict)", v);
                 continue; }
        if ((r = opt_value(cmd, argc, argv, &i, "--engine", &v)) < 0) return CS_EXIT_USAGE;
        if (r) { if (engine_from_name(v, &ap.engine))
                     return cli_usage_error(cmd, "--engine: unknown '%s' (auto, dense or sampled)", v);
                 continue; }
        if ((r = opt_value(cmd, argc, argv, &i, "--mode", &v)) < 0) return CS_EXIT_USAGE;
        if (r) { if (mode_from_name(v, &ap.mode))
                     return cli_usage_error(cmd, "--mode: unknown '%s' (difference or absolute)", v);
                 continue; }
        if ((r = opt_value(cmd, argc, argv, &i, "--shape-dmin", &v)) < 0) return CS_EXIT_USAGE;
        if (r) { if (parse_int(cmd, "--shape-dmin", v, 0, &l)) return CS_EXIT_USAGE; ap.shape_dmin = (int)l; continue; }
        if ((r = opt_value(cmd, argc, argv, &i, "--shape-dmax", &v)) < 0) return CS_EXIT_USAGE;
        if (r) { if (parse_int(cmd, "--shape-dmax", v, 2, &l)) return CS_EXIT_USAGE;
                 if (l > 1000000) return cli_usage_error(cmd, "--shape-dmax: too large '%s'", v);
                 ap.shape_dmax = (int)l; continue; }
        if ((r = opt_value(cmd, argc, argv, &i, "--shape-min-count", &v)) < 0) return CS_EXIT_USAGE;
        if (r) { if (parse_int(cmd, "--shape-min-count", v, 1, &l)) return CS_EXIT_USAGE;
                 ap.shape_min_count = (int)(l > 1000000000 ? 1000000000 : l); continue; }
        if ((r = opt_value(cmd, argc, argv, &i, "--xmin-s", &v)) < 0) return CS_EXIT_USAGE;
        if (r) { if (parse_xmin(cmd, "--xmin-s", v, 0, &fo.xmin_s)) return CS_EXIT_USAGE; continue; }
        if ((r = opt_value(cmd, argc, argv, &i, "--xmin-d", &v)) < 0) return CS_EXIT_USAGE;
        if (r) { if (parse_xmin(cmd, "--xmin-d", v, 1, &fo.xmin_d)) return CS_EXIT_USAGE; continue; }
        if ((r = opt_value(cmd, argc, argv, &i, "--min-count", &v)) < 0) return CS_EXIT_USAGE;
        if (r) { if (parse_int(cmd, "--min-count", v, 2, &l)) return CS_EXIT_USAGE;
                 fo.gamma_min_count = (int)(l > 1000000000 ? 1000000000 : l); continue; }
        if ((r = opt_value(cmd, argc, argv, &i, "--bootstrap", &v)) < 0) return CS_EXIT_USAGE;
        if (r) { if (parse_int(cmd, "--bootstrap", v, 0, &l)) return CS_EXIT_USAGE;
                 if (l > 100000) return cli_usage_error(cmd, "--bootstrap: at most 100000 (got '%s')", v);
                 fo.bootstrap = (int)l; continue; }
        if ((r = opt_value(cmd, argc, argv, &i, "--raw", &v)) < 0) return CS_EXIT_USAGE;
        if (r) { raw = v; continue; }
        return cli_usage_error(cmd, "unknown option '%s' (critsweep point --help)", argv[i]);
    }
    if (ap.shape_dmax <= ap.shape_dmin + 1)
        return cli_usage_error(cmd, "--shape-dmax: must exceed --shape-dmin + 1 (window %d < D < %d is empty)",
                               ap.shape_dmin, ap.shape_dmax);
    ap.key = rng_task_key(0, (int)ap.activation, ap.width, ap.sigma_w2, ap.sigma_b2, (uint64_t)seed);
    fo.seed = ap.key;
    cs_err err = {0, ""};
    if (avalanche_params_check(&ap, &err))
        return cli_usage_error(cmd, "%s", err.msg);

    avalanche_result ar;
    avalanche_result_init(&ar);
    if (avalanche_run(&ap, &ar, &err)) {
        fprintf(stderr, "critsweep point: %s\n", err.msg);
        avalanche_result_free(&ar);
        return err.code ? err.code : CS_EXIT_ERROR;
    }
    cs_result r;
    if (task_result_init(&r, ap.depth, avalanche_n_profile_d(ap.shape_dmin, ap.shape_dmax), 0)) {
        fprintf(stderr, "critsweep point: out of memory for the result arrays\n");
        avalanche_result_free(&ar);
        return CS_EXIT_ERROR;
    }
    fit_powerlaw ps, pd;
    int rc = task_avalanche_fill(&ap, &fo, &ar, &r, &ps, &pd, &err);
    if (rc) {
        fprintf(stderr, "critsweep point: %s\n", err.msg);
        goto out;
    }
    if (raw && (rc = write_raw(raw, &ar)))
        goto out;

    if (json) {
        json_writer w;
        json_begin(&w, stdout);
        json_str(&w, "activation", activation_name(ap.activation));
        json_int(&w, "width", ap.width);
        json_int(&w, "depth", ap.depth);
        json_num(&w, "sigma_w2", ap.sigma_w2);
        json_num(&w, "sigma_b2", ap.sigma_b2);
        json_num(&w, "q0", ap.q0);
        json_int(&w, "per_network", ap.per_network);
        json_int(&w, "seed", seed);
        json_str(&w, "convention", convention_name(ap.convention));
        json_str(&w, "mode", mode_name(ap.mode));
        json_str(&w, "engine", engine_name(ap.engine));
        json_int(&w, "n_inputs", r.n_inputs);
        json_int(&w, "n_recorded", r.n_recorded);
        json_int(&w, "n_survived", r.n_survived);
        json_int(&w, "n_exploded", r.n_exploded);
        json_num(&w, "P_surv", r.P_surv);
        json_num(&w, "S_mean", r.S_mean);
        json_num(&w, "S_mean_absorbed", r.S_mean_absorbed);
        json_num(&w, "D_mean", r.D_mean);
        json_num(&w, "tau_s", r.tau_s);
        json_num(&w, "tau_s_err", r.tau_s_err);
        json_num(&w, "xmin_s", r.xmin_s);
        json_int(&w, "n_tail_s", ps.n_tail);
        json_num(&w, "ks_s", ps.ks);
        json_num(&w, "p_value_s", ps.p_value);
        json_num(&w, "tau_d", r.tau_d);
        json_num(&w, "tau_d_err", r.tau_d_err);
        json_num(&w, "xmin_d", r.xmin_d);
        json_int(&w, "n_tail_d", pd.n_tail);
        json_num(&w, "ks_d", pd.ks);
        json_num(&w, "p_value_d", pd.p_value);
        json_num(&w, "gamma", r.gamma);
        json_num(&w, "gamma_err", r.gamma_err);
        json_num(&w, "gamma_pred", r.gamma_pred);
        json_num(&w, "crackling", r.gamma - r.gamma_pred);
        json_num(&w, "gamma_shape", r.gamma_shape);
        json_num(&w, "gamma_shape_err", r.gamma_shape_err);
        json_str(&w, "fit_note", r.fit_note);
        json_num(&w, "branching", r.branching);
        json_num(&w, "lyapunov", r.lyapunov);
        json_num(&w, "q_star", r.q_star);
        json_num(&w, "chi1", r.chi1);
        json_num(&w, "xi_c", r.xi_c);
        json_num(&w, "avalanches_per_s", r.avalanches_per_s);
        json_num(&w, "seconds", ar.seconds);
        json_num(&w, "layers_sampled_fraction",
                 ar.layers_drawn ? (double)ar.layers_sampled / (double)ar.layers_drawn : 0.0);
        json_classes(&w, r.tau_s, r.tau_d, r.gamma);
        json_end(&w);
    } else {
        printf("critsweep point: %s, N=%d, L_max=%d, σ_w²=%g, σ_b²=%g, q0=%g, K=%ld, seed %ld, %s convention, %s mode, engine %s (%.0f%% of layers sampled)\n",
               activation_name(ap.activation), ap.width, ap.depth, ap.sigma_w2, ap.sigma_b2,
               ap.q0, ap.per_network, seed, convention_name(ap.convention), mode_name(ap.mode),
               engine_name(ap.engine),
               ar.layers_drawn ? 100.0 * (double)ar.layers_sampled / (double)ar.layers_drawn : 0.0);
        printf("avalanches\n");
        printf("  %-18s %ld\n", "inputs", r.n_inputs);
        printf("  %-18s %ld\n", "recorded", r.n_recorded);
        printf("  %-18s %ld\n", "survived", r.n_survived);
        printf("  %-18s %ld\n", "exploded", r.n_exploded);
        printf("  %-18s %.6g\n", "P_surv", r.P_surv);
        printf("  %-18s %.6g\n", "S mean", r.S_mean);
        printf("  %-18s %.6g\n", "S mean (absorbed)", r.S_mean_absorbed);
        printf("  %-18s %.6g\n", "D mean", r.D_mean);
        printf("exponents\n");
        print_pm("tau_s", r.tau_s, r.tau_s_err);
        printf("  %-18s %.6g  (n_tail %ld, KS %.3g, p %.3g)\n", "xmin_s", r.xmin_s, ps.n_tail, ps.ks, ps.p_value);
        print_pm("tau_d", r.tau_d, r.tau_d_err);
        printf("  %-18s %.6g  (n_tail %ld, KS %.3g, p %.3g)\n", "xmin_d", r.xmin_d, pd.n_tail, pd.ks, pd.p_value);
        print_pm("gamma", r.gamma, r.gamma_err);
        printf("  %-18s %.6g  (gamma − gamma_pred = %.3g)\n", "gamma_pred", r.gamma_pred, r.gamma - r.gamma_pred);
        print_pm("gamma (shape)", r.gamma_shape, r.gamma_shape_err);
        print_note(r.fit_note);
        if (r.n_exploded > 0) /* the exponents above fit their lower-bound sizes too */
            printf("  %-18s %ld of %ld avalanches left float range: their S are lower bounds\n",
                   "exploded", r.n_exploded, r.n_inputs);
        print_classes(r.tau_s, r.tau_d, r.gamma);
        printf("criticality\n");
        printf("  %-18s %.6g\n", "branching", r.branching);
        printf("  %-18s %.6g\n", "lyapunov", r.lyapunov);
        printf("mean field\n");
        printf("  %-18s %.6g\n", "q*", r.q_star);
        printf("  %-18s %.6g\n", "chi_1", r.chi1);
        printf("  %-18s %.6g\n", "xi_c", r.xi_c);
        printf("speed\n");
        printf("  %-18s %.4g  (%.3g s)\n", "avalanches/s", r.avalanches_per_s, ar.seconds);
    }
out:
    task_result_free(&r);
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
        "  --xmin-s V|auto     continuous xmin for τ_s (0.5; auto = KS minimum)\n"
        "  --xmin-d V|auto     discrete xmin for τ_d (5; auto = KS minimum)\n"
        "  --min-count C       events per duration in the γ regression (100)\n"
        "  --bootstrap B       bootstrap samples for the KS p-values (0 = none)\n"
        "  --json              one JSON object\n", CS_FIT_MIN_EVENTS);
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

int cli_fit(int argc, char **argv)
{
    const char *cmd = "fit";
    fit_options fo;
    fit_options_default(&fo);
    const char *path = NULL, *columns = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        int r;
        long l = 0;
        if (is_help(argv[i])) {
            fit_help();
            return CS_EXIT_OK;
        }
        if (!strcmp(argv[i], "--json")) {
            json = 1;
            continue;
        }
        if ((r = opt_value(cmd, argc, argv, &i, "--xmin-s", &v)) < 0) return CS_EXIT_USAGE;
        if (r) { if (parse_xmin(cmd, "--xmin-s", v, 0, &fo.xmin_s)) return CS_EXIT_USAGE; continue; }
        if ((r = opt_value(cmd, argc, argv, &i, "--xmin-d", &v)) < 0) return CS_EXIT_USAGE;
        if (r) { if (parse_xmin(cmd, "--xmin-d", v, 1, &fo.xmin_d)) return CS_EXIT_USAGE; continue; }
        if ((r = opt_value(cmd, argc, argv, &i, "--min-count", &v)) < 0) return CS_EXIT_USAGE;
        if (r) { if (parse_int(cmd, "--min-count", v, 2, &l)) return CS_EXIT_USAGE;
                 fo.gamma_min_count = (int)(l > 1000000000 ? 1000000000 : l); continue; }
        if ((r = opt_value(cmd, argc, argv, &i, "--bootstrap", &v)) < 0) return CS_EXIT_USAGE;
        if (r) { if (parse_int(cmd, "--bootstrap", v, 0, &l)) return CS_EXIT_USAGE;
                 if (l > 100000) return cli_usage_error(cmd, "--bootstrap: at most 100000 (got '%s')", v);
                 fo.bootstrap = (int)l; continue; }
        if ((r = opt_value(cmd, argc, argv, &i, "--columns", &v)) < 0) return CS_EXIT_USAGE;
        if (r) { columns = v; continue; }
        if (argv[i][0] == '-' && argv[i][1] != '\0')
            return cli_usage_error(cmd, "unknown option '%s' (critsweep fit --help)", argv[i]);
        if (path)
            return cli_usage_error(cmd, "FILE: one file only (got '%s' and '%s')", path, argv[i]);
        path = argv[i];
    }
    if (!path)
        return cli_usage_error(cmd, "FILE: missing (critsweep fit --help)");
    char cs[256] = "", cd[256] = "";
    if (columns) {
        const char *comma = strchr(columns, ',');
        size_t a = comma ? (size_t)(comma - columns) : 0;
        if (!comma || a == 0 || a >= sizeof cs || !comma[1] || strlen(comma + 1) >= sizeof cd ||
            strchr(comma + 1, ','))
            return cli_usage_error(cmd, "--columns: expected two names or numbers 'S,D' (got '%s')", columns);
        memcpy(cs, columns, a);
        cs[a] = '\0';
        strcpy(cd, comma + 1);
    }
    fo.seed = 0;
    long n = 0;
    fit_out r;
    int rc = fit_file(path, columns ? cs : NULL, columns ? cd : NULL, &fo, &n, &r);
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
    fit_exponents_finish(&ex, r.gamma_events, fo.gamma_min_count);
    const fit_powerlaw ps = ex.s, pd = ex.d;
    double g = ex.gamma, ge = ex.gamma_err, gp = ex.gamma_pred;
    if (json) {
        json_writer w;
        json_begin(&w, stdout);
        json_str(&w, "file", path);
        json_int(&w, "n", n);
        json_num(&w, "tau_s", ps.tau);
        json_num(&w, "tau_s_err", ps.tau_err);
        json_num(&w, "xmin_s", ps.xmin);
        json_int(&w, "n_tail_s", ps.n_tail);
        json_num(&w, "ks_s", ps.ks);
        json_num(&w, "p_value_s", ps.p_value);
        json_num(&w, "tau_d", pd.tau);
        json_num(&w, "tau_d_err", pd.tau_err);
        json_num(&w, "xmin_d", pd.xmin);
        json_int(&w, "n_tail_d", pd.n_tail);
        json_num(&w, "ks_d", pd.ks);
        json_num(&w, "p_value_d", pd.p_value);
        json_num(&w, "gamma", g);
        json_num(&w, "gamma_err", ge);
        json_num(&w, "gamma_pred", gp);
        json_num(&w, "crackling", g - gp);
        json_str(&w, "fit_note", ex.note);
        json_classes(&w, ps.tau, pd.tau, g);
        json_end(&w);
    } else {
        printf("critsweep fit: %s, %ld avalanches\n", path, n);
        print_pm("tau_s", ps.tau, ps.tau_err);
        printf("  %-18s %.6g  (n_tail %ld, KS %.3g, p %.3g)\n", "xmin_s", ps.xmin, ps.n_tail, ps.ks, ps.p_value);
        print_pm("tau_d", pd.tau, pd.tau_err);
        printf("  %-18s %.6g  (n_tail %ld, KS %.3g, p %.3g)\n", "xmin_d", pd.xmin, pd.n_tail, pd.ks, pd.p_value);
        print_pm("gamma", g, ge);
        printf("  %-18s %.6g  (gamma − gamma_pred = %.3g)\n", "gamma_pred", gp, g - gp);
        print_note(ex.note);
        print_classes(ps.tau, pd.tau, g);
    }
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
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        int r;
        if (is_help(argv[i])) {
            meanfield_help();
            return CS_EXIT_OK;
        }
        if (!strcmp(argv[i], "--json")) {
            json = 1;
            continue;
        }
        if ((r = opt_value(cmd, argc, argv, &i, "--activation", &v)) < 0) return CS_EXIT_USAGE;
        if (r) { if (parse_activation(cmd, v, &a)) return CS_EXIT_USAGE; continue; }
        if ((r = opt_value(cmd, argc, argv, &i, "--sigma-b2", &v)) < 0) return CS_EXIT_USAGE;
        if (r) { if (parse_num(cmd, "--sigma-b2", v, 0, 0, &sb)) return CS_EXIT_USAGE; continue; }
        if ((r = opt_value(cmd, argc, argv, &i, "--sigma-w2", &v)) < 0) return CS_EXIT_USAGE;
        if (r) { if (parse_num(cmd, "--sigma-w2", v, 0, 0, &sw)) return CS_EXIT_USAGE; continue; }
        return cli_usage_error(cmd, "unknown option '%s' (critsweep meanfield --help)", argv[i]);
    }
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

/* cli_refine.c — `critsweep refine FILE`: more rounds of σ_w² points (and seeds, for a
 * sweep whose seeds are adaptive) on an existing results file, where the Widom line or
 * the accuracy ridge is least certain (README §3).  The file's own sweep (its stored
 * YAML) runs the new tasks, through the same rounds as an adaptive `run`. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "cli_run_internal.h"
#include "critsweep/axis.h"
#include "critsweep/cli.h"
#include "critsweep/common.h"
#include "critsweep/config.h"
#include "critsweep/sched.h"
#include "critsweep/store.h"

static void refine_help(FILE *f)
{
    fprintf(f,
            "usage: critsweep refine FILE [--target widom|ridge|widom,ridge] [--budget N]\n"
            "                        [--tol T] [--rounds K] [--sweep SWEEP.yaml] [--grace S]\n\n"
            "Adds sigma_w2 points to a results file where the located lines are least certain\n"
            "and runs their tasks, round after round, until every located line is known to\n"
            "+-T or the axis holds N values (README section 3).  For sweeps that began with a\n"
            "plain grid; an adaptive sweep's `run` does the same by itself.  The file is\n"
            "rewritten beside itself and renamed into place after each round: a kill at any\n"
            "moment loses nothing, and running refine again resumes.  Launch it like run:\n"
            "  mpirun -n $(( $(nproc) + 1 )) --oversubscribe critsweep refine FILE\n\n"
            "options:\n"
            "  --target T    widom (chi's maximum, the default), ridge (the best accuracy) or both\n"
            "  --budget N    most sigma_w2 values the file may reach (default: twice today's)\n"
            "  --tol T       stop when every located line is known to +-T (default 0.005)\n"
            "  --rounds K    at most K rounds (default: until done)\n"
            "  --sweep F     the sweep file the results came from (default: the copy stored\n"
            "                in FILE); FILE must be its results\n"
            "  --grace S     as in run (default 60)\n"
            "  -h, --help    this help\n\n"
            "Exit codes: 0 done, 3 interrupted (run again to resume), 2 bad input or a file of\n"
            "another sweep (nothing is changed), 1 other error.\n");
}

typedef struct {
    const char *file, *sweep, *target;
    long budget, rounds;
    double tol, grace;
} refine_args;

enum { REFINE_HELP = -1 };

static int parse_refine_args(int argc, char **argv, refine_args *a)
{
    static const struct option longs[] = {
        {"help", no_argument, NULL, 'h'}, {"target", required_argument, NULL, 't'},
        {"budget", required_argument, NULL, 'b'}, {"tol", required_argument, NULL, 'T'},
        {"rounds", required_argument, NULL, 'r'}, {"sweep", required_argument, NULL, 's'},
        {"grace", required_argument, NULL, 'g'}, {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof *a);
    a->tol = NAN, a->grace = 60;
    cli_opts o;
    cli_opts_init(&o, argc, argv, "h", longs);
    for (int c; (c = cli_opts_next(&o)) != -1;) {
        const char *v = o.value ? o.value : "";
        double x = 0;
        switch (c) {
        case 'h': refine_help(stdout); return REFINE_HELP;
        case 't': a->target = v; break;
        case 's': a->sweep = v; break;
        case 'b':
            if (cs_parse_long(v, &a->budget) || a->budget < 2)
                return cli_usage_error("refine", "--budget needs a count >= 2 (got '%s')", v);
            break;
        case 'r':
            if (cs_parse_long(v, &a->rounds) || a->rounds < 1)
                return cli_usage_error("refine", "--rounds needs a count >= 1 (got '%s')", v);
            break;
        case 'T':
            if (cs_parse_double(v, &x) || !(x > 0) || !isfinite(x))
                return cli_usage_error("refine", "--tol must be > 0 (got '%s')", v);
            a->tol = x;
            break;
        case 'g':
            if (cs_parse_double(v, &a->grace) || a->grace < 0 || a->grace > 1e7)
                return cli_usage_error("refine", "--grace needs seconds >= 0 (got '%s')", v);
            break;
        case CLI_OPERAND:
            if (a->file)
                return cli_usage_error("refine", "one file at a time (got '%s' and '%s')",
                                       a->file, v);
            a->file = v;
            break;
        default:
            return cli_usage_error("refine", "unknown option '%s' (critsweep refine --help)",
                                   o.word);
        }
    }
    if (!a->file)
        return cli_usage_error("refine", "which file? usage: critsweep refine FILE [--target "
                                         "widom|ridge] [--budget N] [--tol T]");
    return 0;
}

static int parse_target(const char *t, unsigned *out)
{
    if (!strcmp(t, "widom"))
        *out = CS_TARGET_WIDOM;
    else if (!strcmp(t, "ridge"))
        *out = CS_TARGET_RIDGE;
    else if (!strcmp(t, "widom,ridge") || !strcmp(t, "ridge,widom") || !strcmp(t, "both"))
        *out = CS_TARGET_WIDOM | CS_TARGET_RIDGE;
    else
        return -1;
    return 0;
}

/* The stored YAML is the sweep file's text, then its --set overrides as comments after
 * a marker line (config.c): split it back into the two.  *overrides is malloc'd
 * (pointers into yaml, which is cut at the marker); returns their number, or -1. */
static int split_overrides(char *yaml, const char ***overrides)
{
    static const char marker[] = "# overrides (--set), applied on top of the text above:\n";
    *overrides = NULL;
    char *m = strstr(yaml, marker);
    if (!m)
        return 0;
    int n = 0;
    for (char *l = m + sizeof marker - 1; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l))
        n++;
    if (!(*overrides = calloc((size_t)n + 1, sizeof **overrides)))
        return -1;
    int k = 0;
    for (char *l = m + sizeof marker - 1; *l && k < n;) {
        char *nl = strchr(l, '\n');
        if (nl)
            *nl = 0;
        if (!strncmp(l, "#   ", 4))
            (*overrides)[k++] = l + 4;
        l = nl ? nl + 1 : l + strlen(l);
    }
    *m = 0;
    return k;
}

/* The sweep of the file: --sweep's, or the YAML stored in it; its hash must be the
 * file's, and it takes the file's name and grown grid. */
static int load_file_sweep(const refine_args *a, cs_sweep *s, cs_err *err)
{
    hid_t f = store_open_read(a->file, err);
    if (f < 0)
        return err->code ? err->code : CS_EXIT_USAGE;
    char *yaml = store_read_string_attr(f, "sweep_yaml");
    char *hash = store_read_string_attr(f, "sweep_hash");
    char *name = store_read_string_attr(f, "sweep_name");
    H5Fclose(f);
    int rc = 0;
    char origin[600];
    snprintf(origin, sizeof origin, "%s (its stored sweep_yaml)", a->file);
    if (!yaml || !hash)
        rc = cs_fail(err, CS_EXIT_USAGE, "%s: not a critsweep results file (no sweep_yaml or "
                     "sweep_hash); nothing was changed", a->file);
    else if (a->sweep)
        rc = config_load(a->sweep, NULL, 0, s, err);
    else {
        const char **sets = NULL;
        int n_sets = split_overrides(yaml, &sets);
        rc = n_sets < 0 ? cs_fail(err, CS_EXIT_ERROR, "out of memory")
                        : config_load_text(yaml, strlen(yaml), origin, sets, n_sets, s, err);
        free(sets);
    }
    if (!rc && strcmp(hash, s->hash_hex)) {
        rc = cs_fail(err, CS_EXIT_USAGE, "%s was written by a different sweep (file hash %s, "
                     "%s %s); nothing was changed", a->file, hash,
                     a->sweep ? a->sweep : "its stored sweep_yaml", s->hash_hex);
        config_free(s);
    } else if (!rc && name) {
        free(s->name);
        s->name = name;
        name = NULL;
    }
    int grown = 0;
    if (!rc && (rc = store_adopt_grown_axes(a->file, s, &grown, err)))
        config_free(s);
    free(yaml);
    free(hash);
    free(name);
    return rc;
}

/* σ_w² grows like an adaptive axis over the file's range; the options override. */
static int refine_spec(const refine_args *a, const cs_sweep *s, adaptive_spec *sp, cs_err *err)
{
    adaptive_spec_of(s, sp);
    cs_adaptive *w = &sp->sigma_w2;
    int n = s->n_sigma_w2;
    if (!w->on) {
        *w = (cs_adaptive){.on = 1, .start = s->sigma_w2[0], .stop = s->sigma_w2[n - 1],
                           .initial = n, .budget = 2 * n, .tol = 0.005,
                           .targets = CS_TARGET_WIDOM};
    }
    if (a->budget)
        w->budget = (int)(a->budget < 1000000 ? a->budget : 1000000);
    if (isfinite(a->tol))
        w->tol = a->tol;
    if (a->target && parse_target(a->target, &w->targets))
        return cs_fail(err, CS_EXIT_USAGE, "--target: unknown '%s' (widom, ridge or "
                       "widom,ridge); nothing was changed", a->target);
    if (w->budget < n)
        return cs_fail(err, CS_EXIT_USAGE, "--budget %d is below the %d sigma_w2 values %s "
                       "already has; nothing was changed", w->budget, n, a->file);
    if (n < 6)
        return cs_fail(err, CS_EXIT_USAGE, "%s has %d sigma_w2 values; locating a line needs "
                       "at least 6; nothing was changed", a->file, n);
    return 0;
}

int cli_refine(int argc, char **argv)
{
    refine_args a;
    int rc = parse_refine_args(argc, argv, &a);
    if (rc)
        return rc == REFINE_HELP ? CS_EXIT_OK : rc;
    int use_mpi = run_under_launcher(), rank = 0, size = 1;
    if (use_mpi && (rc = run_start_mpi(&rank, &size)))
        return rc;
    sched_install_signals();
    cs_sweep s;
    memset(&s, 0, sizeof s);
    cs_err err = {0, ""};
    adaptive_spec sp;
    rc = load_file_sweep(&a, &s, &err);
    if (!rc && (rc = refine_spec(&a, &s, &sp, &err)))
        config_free(&s);
    if (rc) {
        if (rank == 0)
            fprintf(stderr, "critsweep refine: %s\n", err.msg);
        if (use_mpi)
            run_finish_mpi();
        return rc;
    }
    if (rank == 0)
        fprintf(stderr, "critsweep refine: %s: sigma_w2 in [%g, %g], %d values now, up to %d, "
                        "to +-%g\n", a.file, sp.sigma_w2.start, sp.sigma_w2.stop, s.n_sigma_w2,
                sp.sigma_w2.budget, sp.sigma_w2.tol);
    run_rounds_opts ro = {&sp, (int)a.rounds, s.adaptive[CS_AXIS_SIGMA_W2].on ? "" : "sigma_w2"};
    return run_loaded_sweep(&s, a.file, a.grace, 0, &ro, use_mpi, rank, size);
}

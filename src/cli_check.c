/* cli_check.c — `critsweep check SWEEP [--set k=v]... [--json]`: validate a sweep file
 * and print its task count, per-axis sizes, cost estimate, hash and every resolved
 * setting.  Nothing is written. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "critsweep/axis.h"
#include "critsweep/cli.h"
#include "critsweep/common.h"
#include "critsweep/config.h"
#include "critsweep/grid.h"

static void help(FILE *f)
{
    fprintf(f,
            "usage: critsweep check SWEEP.yaml [--set key=value]... [--cores P] [--json]\n\n"
            "Validates a sweep file and prints the task count (activation x width x sigma_b2\n"
            "x sigma_w2 x seed), the estimated cost in core-hours and the wall time on P\n"
            "cores, the sweep's hash, and every resolved setting (defaults included) as YAML.\n"
            "Errors name file:line:col and exit with code 2.  Nothing is written.\n\n"
            "options:\n"
            "  --set key=value  override a setting before validation and hashing; dotted keys,\n"
            "                   YAML values: --set avalanche.inputs=500 --set grid.width=[64,128]\n"
            "  --cores P        cores for the wall-time estimate (default: this machine's, %ld)\n"
            "  --json           one JSON object instead of text (no settings listing)\n"
            "  -h, --help       this help\n",
            sysconf(_SC_NPROCESSORS_ONLN));
}

static void human_time(double sec, char *buf, size_t n)
{
    if (sec < 90)
        snprintf(buf, n, "%.0f s", sec);
    else if (sec < 5400)
        snprintf(buf, n, "%.1f min", sec / 60);
    else if (sec < 2 * 86400)
        snprintf(buf, n, "%.1f h", sec / 3600);
    else if (sec < 3 * 365.25 * 86400)
        snprintf(buf, n, "%.1f days", sec / 86400);
    else
        snprintf(buf, n, "%.3g years", sec / (365.25 * 86400));
}

typedef struct {
    const char *path;
    int json;
    long cores;
    const char **sets; /* --set values, n_sets */
    int n_sets;
} check_args;

/* Options and the one sweep file; CS_EXIT_OK with help printed sets *done. */
static int parse_args(int argc, char **argv, check_args *o, int *done)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"set", required_argument, NULL, 's'},
        {"cores", required_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (ch) {
        case 'j': o->json = 1; break;
        case 's': o->sets[o->n_sets++] = optarg; break;
        case 'c':
            if (cs_parse_long(optarg, &o->cores) || o->cores < 1 || o->cores > 10000000)
                return cli_usage_error("check", "--cores needs a positive integer (got '%s')",
                                       optarg);
            break;
        case 'h': help(stdout); *done = 1; return CS_EXIT_OK;
        case ':':
            if (optopt == 's')
                return cli_usage_error("check", "--set needs key=value");
            return cli_usage_error("check", "--cores needs a positive integer (got '')");
        default:
            return cli_usage_error("check", "unknown option '%s' (critsweep check --help)",
                                   argv[optind - 1]);
        }
    }
    for (int i = optind; i < argc; i++) {
        if (o->path)
            return cli_usage_error("check", "one sweep file at a time (got '%s' and '%s')",
                                   o->path, argv[i]);
        o->path = argv[i];
    }
    return CS_EXIT_OK;
}

typedef struct {
    long tasks;
    double core_s, wall, longest, train_share;
    double by_engine[3]; /* the same sweep on each engine (the file's own is core_s) */
} estimates;

static void estimate(cs_sweep *s, long cores, estimates *e)
{
    e->tasks = grid_task_count(s);
    e->core_s = grid_estimate_seconds(s);
    e->wall = grid_estimate_wall_seconds(s, (int)cores);
    e->longest = 0;
    e->train_share = 0;
    for (long t = 0; t < e->tasks; t += s->n_seed) { /* the cost does not depend on the seed */
        double x = grid_task_seconds(s, t);
        if (x > e->longest)
            e->longest = x;
    }
    cs_engine own = s->avalanche.engine;
    for (int k = 0; k < 3; k++) {
        s->avalanche.engine = (cs_engine)k;
        e->by_engine[k] = grid_estimate_seconds(s);
    }
    s->avalanche.engine = own;
    if (s->train.enabled) { /* training share: the same sweep without it */
        s->train.enabled = 0;
        double no_train = grid_estimate_seconds(s);
        s->train.enabled = 1;
        e->train_share = e->core_s > 0 ? 1 - no_train / e->core_s : 0;
    }
}

static void print_json(const cs_sweep *s, const check_args *o, const estimates *e)
{
    json_writer w;
    json_begin(&w, stdout);
    json_str(&w, "sweep", o->path);
    json_str(&w, "name", s->name);
    json_str(&w, "hash", s->hash_hex);
    json_int(&w, "tasks", e->tasks);
    json_object_begin(&w, "axes");
    for (int a = 0; a < CS_AXIS_COUNT; a++) /* core axes in table order, then the others */
        if (!axis_defs[a].optional)
            json_int(&w, axis_defs[a].name, axis_length(s, (cs_axis_id)a));
    for (int a = 0; a < CS_AXIS_COUNT; a++)
        if (axis_defs[a].optional && axis_present(s, (cs_axis_id)a))
            json_int(&w, axis_defs[a].name, axis_length(s, (cs_axis_id)a));
    json_object_end(&w);
    json_num(&w, "core_seconds", e->core_s);
    json_num(&w, "core_hours", e->core_s / 3600);
    json_num(&w, "core_hours_dense", e->by_engine[CS_ENGINE_DENSE] / 3600);
    json_num(&w, "core_hours_sampled", e->by_engine[CS_ENGINE_SAMPLED] / 3600);
    json_num(&w, "core_hours_auto", e->by_engine[CS_ENGINE_AUTO] / 3600);
    json_int(&w, "cores", o->cores);
    json_num(&w, "wall_seconds", e->wall);
    json_num(&w, "longest_task_seconds", e->longest);
    json_num(&w, "training_share", e->train_share);
    json_bool(&w, "train_enabled", s->train.enabled);
    json_str(&w, "output", s->output.file);
    json_end(&w);
}

static int adaptive_grows(const cs_sweep *s)
{
    for (int a = 0; a < CS_AXIS_COUNT; a++)
        if (s->adaptive[a].on)
            return 1;
    return 0;
}

/* An adaptive sweep: how far its axes may grow (the cost below is round 1's). */
static void print_growth(const cs_sweep *s)
{
    if (!adaptive_grows(s))
        return;
    double most = (double)grid_task_count(s);
    printf("growth ");
    for (int a = 0; a < CS_AXIS_COUNT; a++) {
        const cs_adaptive *ad = &s->adaptive[a];
        if (!ad->on)
            continue;
        most *= (double)ad->budget / axis_length(s, (cs_axis_id)a);
        printf(" %s %d -> at most %d;", axis_defs[a].name, ad->initial, ad->budget);
        if (a != CS_AXIS_SEED)
            printf(" to +-%g (%s%s%s);", ad->tol, ad->targets & CS_TARGET_WIDOM ? "widom" : "",
                   ad->targets == (CS_TARGET_WIDOM | CS_TARGET_RIDGE) ? ", " : "",
                   ad->targets & CS_TARGET_RIDGE ? "ridge" : "");
    }
    printf(" at most %.0f tasks; the cost below is round 1's\n", most);
}

static void print_text(const cs_sweep *s, const check_args *o, const estimates *e)
{
    char a[32], b[32], c[32];
    human_time(e->core_s, a, sizeof a);
    human_time(e->wall, b, sizeof b);
    human_time(e->longest, c, sizeof c);
    printf("sweep   %s (%s): valid\n", s->name, o->path);
    printf("hash    %s\n", s->hash_hex);
    printf("tasks   %ld =", e->tasks);
    cs_axis_id dims[CS_AXIS_COUNT];
    int nd = axis_dims(s, dims);
    for (int k = 0; k < nd; k++)
        printf("%s %d %s", k ? " x" : "", axis_length(s, dims[k]), axis_defs[dims[k]].name);
    printf("%s\n", adaptive_grows(s) ? " (round 1)" : "");
    print_growth(s);
    printf("cost    %.3g core-hours (%s on one core); about %s wall on %ld cores\n",
           e->core_s / 3600, a, b, o->cores);
    printf("        longest task %s; training %.0f%% of the cost (estimates)\n", c,
           100 * e->train_share);
    printf("        engine %s; all engines: auto %.3g, dense %.3g, sampled %.3g core-hours\n",
           engine_name(s->avalanche.engine), e->by_engine[CS_ENGINE_AUTO] / 3600,
           e->by_engine[CS_ENGINE_DENSE] / 3600, e->by_engine[CS_ENGINE_SAMPLED] / 3600);
    printf("output  %s\n\n", s->output.file);
    config_print(s, stdout);
}

int cli_check(int argc, char **argv)
{
    check_args o = {.cores = sysconf(_SC_NPROCESSORS_ONLN)};
    if (!(o.sets = calloc((size_t)argc + 1, sizeof *o.sets)))
        return cli_usage_error("check", "out of memory");
    int done = 0, rc = parse_args(argc, argv, &o, &done);
    if (rc || done) {
        free(o.sets);
        return rc;
    }
    if (!o.path) {
        free(o.sets);
        help(stderr);
        return CS_EXIT_USAGE;
    }
    if (o.cores < 1)
        o.cores = 1;
    cs_sweep s;
    cs_err err = {0};
    rc = config_load(o.path, o.sets, o.n_sets, &s, &err);
    free(o.sets);
    if (rc) {
        fprintf(stderr, "%s\n", err.msg);
        return rc;
    }
    estimates e;
    estimate(&s, o.cores, &e);
    if (o.json)
        print_json(&s, &o, &e);
    else
        print_text(&s, &o, &e);
    config_free(&s);
    return CS_EXIT_OK;
}

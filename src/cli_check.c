/* cli_check.c — `critsweep check SWEEP [--set k=v]... [--json]`: validate a sweep file
 * and print its task count, per-axis sizes, cost estimate, hash and every resolved
 * setting.  Nothing is written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int cli_check(int argc, char **argv)
{
    const char *path = NULL;
    int json = 0;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    const char **sets = calloc((size_t)argc + 1, sizeof *sets);
    int n_sets = 0;
    if (!sets)
        return cli_usage_error("check", "out of memory");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            help(stdout);
            free(sets);
            return CS_EXIT_OK;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--set")) {
            if (i + 1 >= argc) {
                free(sets);
                return cli_usage_error("check", "--set needs key=value");
            }
            sets[n_sets++] = argv[++i];
        } else if (!strncmp(a, "--set=", 6)) {
            sets[n_sets++] = a + 6;
        } else if (!strcmp(a, "--cores") || !strncmp(a, "--cores=", 8)) {
            const char *v = a[7] == '=' ? a + 8 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v || cs_parse_long(v, &cores) || cores < 1 || cores > 10000000) {
                free(sets);
                return cli_usage_error("check", "--cores needs a positive integer (got '%s')",
                                       v ? v : "");
            }
        } else if (a[0] == '-' && a[1]) {
            free(sets);
            return cli_usage_error("check", "unknown option '%s' (critsweep check --help)", a);
        } else if (path) {
            free(sets);
            return cli_usage_error("check", "one sweep file at a time (got '%s' and '%s')", path,
                                   a);
        } else {
            path = a;
        }
    }
    if (!path) {
        free(sets);
        help(stderr);
        return CS_EXIT_USAGE;
    }
    if (cores < 1)
        cores = 1;

    cs_sweep s;
    cs_err err = {0};
    int rc = config_load(path, sets, n_sets, &s, &err);
    free(sets);
    if (rc) {
        fprintf(stderr, "%s\n", err.msg);
        return rc;
    }
    long tasks = grid_task_count(&s);
    double core_s = grid_estimate_seconds(&s);
    double wall = grid_estimate_wall_seconds(&s, (int)cores);
    double longest = 0, train_share = 0;
    for (long t = 0; t < tasks; t += s.n_seed) { /* the cost does not depend on the seed */
        double x = grid_task_seconds(&s, t);
        if (x > longest)
            longest = x;
    }
    /* the same sweep on each engine (the file's own choice is core_s) */
    double by_engine[3];
    {
        cs_engine own = s.avalanche.engine;
        for (int e = 0; e < 3; e++) {
            s.avalanche.engine = (cs_engine)e;
            by_engine[e] = grid_estimate_seconds(&s);
        }
        s.avalanche.engine = own;
    }
    if (s.train.enabled) { /* training share: the same sweep without it */
        s.train.enabled = 0;
        double no_train = grid_estimate_seconds(&s);
        s.train.enabled = 1;
        train_share = core_s > 0 ? 1 - no_train / core_s : 0;
    }

    if (json) {
        json_writer w;
        json_begin(&w, stdout);
        json_str(&w, "sweep", path);
        json_str(&w, "name", s.name);
        json_str(&w, "hash", s.hash_hex);
        json_int(&w, "tasks", tasks);
        json_object_begin(&w, "axes");
        json_int(&w, "activation", s.n_activation);
        json_int(&w, "width", s.n_width);
        json_int(&w, "sigma_b2", s.n_sigma_b2);
        json_int(&w, "sigma_w2", s.n_sigma_w2);
        json_int(&w, "seed", s.n_seed);
        json_object_end(&w);
        json_num(&w, "core_seconds", core_s);
        json_num(&w, "core_hours", core_s / 3600);
        json_num(&w, "core_hours_dense", by_engine[CS_ENGINE_DENSE] / 3600);
        json_num(&w, "core_hours_sampled", by_engine[CS_ENGINE_SAMPLED] / 3600);
        json_num(&w, "core_hours_auto", by_engine[CS_ENGINE_AUTO] / 3600);
        json_int(&w, "cores", cores);
        json_num(&w, "wall_seconds", wall);
        json_num(&w, "longest_task_seconds", longest);
        json_num(&w, "training_share", train_share);
        json_bool(&w, "train_enabled", s.train.enabled);
        json_str(&w, "output", s.output.file);
        json_end(&w);
    } else {
        char a[32], b[32], c[32];
        human_time(core_s, a, sizeof a);
        human_time(wall, b, sizeof b);
        human_time(longest, c, sizeof c);
        printf("sweep   %s (%s): valid\n", s.name, path);
        printf("hash    %s\n", s.hash_hex);
        printf("tasks   %ld = %d activation x %d width x %d sigma_b2 x %d sigma_w2 x %d seed\n",
               tasks, s.n_activation, s.n_width, s.n_sigma_b2, s.n_sigma_w2, s.n_seed);
        printf("cost    %.3g core-hours (%s on one core); about %s wall on %ld cores\n",
               core_s / 3600, a, b, cores);
        printf("        longest task %s; training %.0f%% of the cost (estimates)\n", c,
               100 * train_share);
        printf("        engine %s; all engines: auto %.3g, dense %.3g, sampled %.3g core-hours\n",
               engine_name(s.avalanche.engine), by_engine[CS_ENGINE_AUTO] / 3600,
               by_engine[CS_ENGINE_DENSE] / 3600, by_engine[CS_ENGINE_SAMPLED] / 3600);
        printf("output  %s\n\n", s.output.file);
        config_print(&s, stdout);
    }
    config_free(&s);
    return CS_EXIT_OK;
}

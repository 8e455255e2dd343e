/* config_print.c — every resolved setting as YAML that loads again to the same hash. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "critsweep/axis.h"
#include "critsweep/grid.h"

/* ---------------------------------------------------------------- print */

/* Shortest "%.*g" that reads back to the same double. */
static void put_num(FILE *f, double v)
{
    char b[40];
    for (int p = 1; p <= 17; p++) {
        snprintf(b, sizeof b, "%.*g", p, v);
        if (strtod(b, NULL) == v)
            break;
    }
    /* keep it a float for a YAML reader (1 → 1 is fine for us, but 1e+20 is a string to
     * some YAML 1.1 readers without a dot) */
    if (strchr(b, 'e') && !strchr(b, '.')) {
        char *e = strchr(b, 'e');
        char tail[24];
        snprintf(tail, sizeof tail, "%s", e);
        snprintf(e, sizeof b - (size_t)(e - b), ".0%s", tail);
    }
    fputs(b, f);
}

static void put_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\x%02x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void put_list(FILE *f, const double *v, int n)
{
    fputc('[', f);
    for (int i = 0; i < n; i++) {
        if (i)
            fputs(", ", f);
        put_num(f, v[i]);
    }
    fputc(']', f);
}

static void put_opt_str(FILE *f, const char *key, const char *v)
{
    if (v) {
        fprintf(f, "  %s: ", key);
        put_str(f, v);
        fputc('\n', f);
    } else {
        fprintf(f, "  # %s: (not set)\n", key);
    }
}

static void put_opt_int(FILE *f, const char *key, int v)
{
    if (v > 0)
        fprintf(f, "  %s: %d\n", key, v);
    else
        fprintf(f, "  # %s: (not set)\n", key);
}

/* A σ axis as the sweep file gives it: a list, or its adaptive description. */
static void put_sigma(FILE *f, const cs_sweep *s, cs_axis_id a)
{
    const cs_adaptive *ad = &s->adaptive[a];
    fprintf(f, "  %s: ", axis_grid_keys[a]);
    if (!ad->on) {
        put_list(f, s->base[a] ? s->base[a] : axis_values(s, a),
                 s->base[a] ? s->n_base[a] : axis_count(s, a));
        fputc('\n', f);
        return;
    }
    fprintf(f, "{adaptive: {start: %.17g, stop: %.17g, initial: %d, budget: %d, tol: %.17g, "
               "target: [", ad->start, ad->stop, ad->initial, ad->budget, ad->tol);
    fprintf(f, "%s%s%s]}}\n", ad->targets & CS_TARGET_WIDOM ? "widom" : "",
            ad->targets == (CS_TARGET_WIDOM | CS_TARGET_RIDGE) ? ", " : "",
            ad->targets & CS_TARGET_RIDGE ? "ridge" : "");
}

static void put_grid(FILE *f, const cs_sweep *s)
{
    fputs("grid:\n  activation: [", f);
    for (int i = 0; i < s->n_activation; i++)
        fprintf(f, "%s%s", i ? ", " : "", activation_name(s->activation[i]));
    fputs("]\n  width: [", f);
    for (int i = 0; i < s->n_width; i++)
        fprintf(f, "%s%d", i ? ", " : "", s->width[i]);
    fputs("]\n", f);
    put_sigma(f, s, CS_AXIS_SIGMA_B2);
    put_sigma(f, s, CS_AXIS_SIGMA_W2);
    const cs_adaptive *as = &s->adaptive[CS_AXIS_SEED];
    if (as->on) {
        fprintf(f, "  seeds: {adaptive: {initial: %d, budget: %d}}\n", as->initial, as->budget);
    } else {
        fputs("  seeds: [", f);
        for (int i = 0; i < s->n_seed; i++)
            fprintf(f, "%s%llu", i ? ", " : "", (unsigned long long)s->seeds[i]);
        fputs("]\n", f);
    }
    for (int x = 0; x < CS_AXIS_COUNT; x++)
        if (axis_defs[x].optional && axis_present(s, (cs_axis_id)x)) {
            fprintf(f, "  %s: ", axis_grid_keys[x]);
            put_list(f, axis_values(s, (cs_axis_id)x), axis_count(s, (cs_axis_id)x));
            fputc('\n', f);
        }
}

/* The dynrange: section, printed even when off (depth 0) so every setting is shown. */
static void put_dynrange(FILE *f, const cs_dynrange *dr)
{
    fprintf(f, "dynrange:\n  depth: %d\n  q_min: ", dr->depth);
    put_num(f, dr->q_min);
    fputs("\n  q_max: ", f);
    put_num(f, dr->q_max);
    fprintf(f, "\n  n_q: %d\n  inputs: %d\n  networks: %d\n", dr->n_q, dr->inputs,
            dr->networks);
}

void config_print(const cs_sweep *s, FILE *f)
{
    long tasks = grid_task_count(s);
    fprintf(f, "# critsweep %s: every resolved setting of %s (defaults included)\n", CS_VERSION,
            s->path ? s->path : "the sweep");
    fprintf(f, "# hash %s over grid, seed, avalanche, fit and train; %ld tasks\n", s->hash_hex,
            tasks);
    fputs("name: ", f);
    put_str(f, s->name ? s->name : "");
    fprintf(f, "\nseed: %llu\n", (unsigned long long)s->seed);
    put_grid(f, s);
    const avalanche_params *a = &s->avalanche;
    fprintf(f, "avalanche:\n  depth: %d\n", a->depth);
    if (!axis_present(s, CS_AXIS_Q0)) { /* else a grid axis, printed above */
        fputs("  q0: ", f);
        put_num(f, a->q0);
        fputc('\n', f);
    }
    fprintf(f, "  inputs: %ld\n  per_network: %ld\n  convention: %s\n  mode: %s\n"
               "  engine: %s\n  shape_window: [%d, %d]\n  shape_min_count: %d\n",
            a->inputs, a->per_network, convention_name(a->convention), mode_name(a->mode),
            engine_name(a->engine),
            a->shape_dmin, a->shape_dmax, a->shape_min_count);
    put_dynrange(f, &s->dynrange);
    const fit_options *o = &s->fit;
    fputs("fit:\n  xmin_s: ", f);
    if (o->xmin_s > 0)
        put_num(f, o->xmin_s);
    else
        fputs("auto", f);
    fputs("\n  xmin_d: ", f);
    if (o->xmin_d > 0)
        put_num(f, o->xmin_d);
    else
        fputs("auto", f);
    fprintf(f, "\n  gamma_min_count: %d\n  bootstrap: %d\n  shape_gamma_min: ", o->gamma_min_count,
            o->bootstrap);
    put_num(f, o->shape_gamma_lo);
    fputs("\n  shape_gamma_max: ", f);
    put_num(f, o->shape_gamma_hi);
    fputs("\n  shape_gamma_step: ", f);
    put_num(f, o->shape_gamma_step);
    const train_params *t = &s->train.params;
    fprintf(f, "\ntrain:\n  enabled: %s\n  depth: %d\n  epochs: %d\n  batch: %d\n  lr: ",
            s->train.enabled ? "true" : "false", t->depth, t->epochs, t->batch);
    put_num(f, t->lr);
    fputs("\n  momentum: ", f);
    put_num(f, t->momentum);
    if (t->criticality_weight != 0 && !axis_present(s, CS_AXIS_CRIT_WEIGHT)) {
        fputs("\n  criticality_weight: ", f); /* else a grid axis; 0 is the default */
        put_num(f, t->criticality_weight);
    }
    fprintf(f, "\n  optimizer: %s\n  train_subset: %ld\n  data: ", optimizer_name(t->optimizer),
            s->train.train_subset);
    put_str(f, s->train.data_dir ? s->train.data_dir : "");
    fputs("\noutput:\n  file: ", f);
    put_str(f, s->output.file ? s->output.file : "");
    fprintf(f, "\n  max_attempts: %d\nslurm:\n", s->output.max_attempts);
    const cs_slurm_options *sl = &s->slurm;
    put_opt_str(f, "partition", sl->partition);
    put_opt_str(f, "account", sl->account);
    put_opt_str(f, "qos", sl->qos);
    put_opt_str(f, "time", sl->time);
    put_opt_int(f, "nodes", sl->nodes);
    put_opt_int(f, "ntasks", sl->ntasks);
    put_opt_int(f, "ntasks_per_node", sl->ntasks_per_node);
    put_opt_str(f, "mem_per_cpu", sl->mem_per_cpu);
    fprintf(f, "  max_requeues: %d\n  signal_lead: %d\n  extra: [", sl->max_requeues,
            sl->signal_lead);
    for (int i = 0; i < sl->n_extra; i++) {
        if (i)
            fputs(", ", f);
        put_str(f, sl->extra[i]);
    }
    fputs("]\n", f);
}

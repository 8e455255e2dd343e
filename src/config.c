/* config.c — sweep files (YAML, libyaml) → a validated cs_sweep.
 *
 * SCHEMA (every key optional unless marked required; defaults are the reference
 * settings of the README's science section, printed in full by `critsweep check`):
 *
 *   name: quick                 # [A-Za-z0-9._-]; default: the file's basename sans .yaml
 *   seed: 0                     # sweep seed, 0 .. 2^64-1
 *   grid:                       # the task grid, row-major in this order:
 *     activation: [tanh]        #   names: tanh, erf, hardtanh, relu, linear (order kept)
 *     width: [32, 64]           #   required; integers 1..65536 (sorted ascending)
 *     sigma_b2: [0, 0.02]       #   default [0]; a list, a single number, or a range
 *     sigma_w2: {start: 0.5, stop: 2.0, num: 12, scale: linear}   # required; range or
 *                               #   list; ranges include both ends (numpy linspace /
 *                               #   geomspace for scale: log); variances >= 0; the
 *                               #   σ axes are sorted ascending
 *     seeds: 2                  #   a count n (seeds 0..n-1) or a list of integers >= 0
 *     q0: [0.001, 0.01, 0.1]    #   optional axis (axis.h): the drive strength as a list or
 *                               #   range of values > 0, then the OUTERMOST dimension;
 *                               #   excludes avalanche.q0
 *   avalanche:
 *     depth: 1000               # L_max >= 4
 *     q0: 0.1                   # drive strength > 0
 *     inputs: 1000000           # M drives per task (1e6 style accepted if integral)
 *     per_network: 1000         # K drives share one network
 *     convention: reference     # reference | strict
 *     mode: difference          # difference | absolute
 *     engine: auto              # auto | dense | sampled (README §1b; hashed unless dense)
 *     engine_revision: 2        # 2, or 1 as 0.2.x factored sampled layers (not hashed;
 *                               #   a resumed file keeps its own)
 *     shape_window: [60, 250]   # profiles for dmin < D < dmax
 *     shape_min_count: 20
 *   dynrange:                   # dynamic range of each task's networks (README §7)
 *     depth: 0                  # L_Δ: 0 = off (not hashed then), 1 .. avalanche.depth
 *     q_min: 1e-6               # weakest drive > 0
 *     q_max: 1e2                # strongest drive > q_min
 *     n_q: 25                   # log-spaced drives from q_min to q_max, >= 2
 *     inputs: 50                # drive directions per network, >= 1
 *     networks: 1               # the task's networks 0 .. networks-1, >= 1
 *   fit:
 *     xmin_s: 0.5               # number > 0, or auto (KS minimum)
 *     xmin_d: 5                 # integer >= 1, or auto
 *     gamma_min_count: 100
 *     bootstrap: 0              # bootstrap samples for p-values (0 = none)
 *     shape_gamma_min: 1.3      # shape-collapse scan
 *     shape_gamma_max: 2.0
 *     shape_gamma_step: 0.01
 *   train:
 *     enabled: true
 *     depth: ...                # hidden layers L_train (default: train_params_default)
 *     epochs: 5                 # >= 0
 *     batch: 128
 *     lr: 0.01
 *     momentum: 0.9             # 0 <= m < 1
 *     optimizer: momentum       # sgd | momentum | adam
 *     train_subset: 0           # first n training examples; 0 = all
 *     data: /usr/share/datasets/fashion-mnist   # must exist when training is enabled
 *   output:
 *     file: <name>.h5           # relative to the current directory
 *     max_attempts: 3
 *   slurm:                      # used by `critsweep submit` only
 *     partition, account, qos: strings; time: SLURM time (e.g. 2:00:00, 1-12:00:00)
 *     nodes, ntasks, ntasks_per_node: integers >= 1; mem_per_cpu: e.g. 2G
 *     max_requeues: 10; signal_lead: 120 (seconds); extra: ["--constraint=avx2", ...]
 *
 * Relative paths (train.data, output.file) are taken from the current directory.
 *
 * Overrides (`--set dotted.key=value`, value in YAML flow syntax, e.g.
 * grid.width=[64,128]) replace or insert nodes of the parsed tree before validation,
 * so they are checked, printed and hashed exactly like the file's own values.
 *
 * Errors are "file:line:col: section.key: message" (1-based; libyaml's marks are
 * 0-based), or "--set key=value: message" for values that came from an override.
 *
 * This file loads: reading, overrides, validation and the cross-field checks.  The
 * pieces live beside it: config_yaml.c (the YAML tree and error locations),
 * config_override.c (--set), config_value.c (typed values and known keys),
 * config_grid.c (the grid axes), config_schema.c (the other sections), config_hash.c
 * (canonical text and hash) and config_print.c (the resolved settings as YAML). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "critsweep/axis.h"

/* ---------------------------------------------------------------- load */

/* A setting that is also an optional axis is one or the other: section.key or grid.key
 * (what names it in the message), not both. */
static int setting_or_axis(const loader *ld, const node *root, const cs_sweep *s,
                           const char *section, cs_axis_id a, const char *what)
{
    const char *key = axis_grid_keys[a];
    node *sec = cfg_map_find(root, section, NULL);
    node *v = sec ? cfg_map_find(sec, key, NULL) : NULL;
    if (v && axis_present(s, a))
        return cfg_failf(ld, v, "%s.%s: the %s is also a grid axis (grid.%s); give one of the two",
                         section, key, what, key);
    return 0;
}

static int one_q0(const loader *ld, const node *root, const cs_sweep *s)
{
    return setting_or_axis(ld, root, s, "avalanche", CS_AXIS_Q0, "drive strength");
}

static int load_tree(const loader *ld, const node *root, cs_sweep *s)
{
    int rc;
    if (!root)
        return cfg_failf(ld, NULL, "the sweep file is empty; it needs at least a grid (see "
                               "sweeps/quick.yaml)");
    if (root->kind != NODE_MAP)
        return cfg_failf(ld, root, "a sweep file is a mapping of sections (grid:, avalanche:, ...), "
                               "not %s",
                     cfg_kind_name(root));
    if ((rc = cfg_check_keys(ld, root, "the sweep file", cfg_top_keys, COUNT(cfg_top_keys))))
        return rc;
    node *v, *k;
    if ((v = cfg_map_find(root, "name", &k))) {
        if ((rc = cfg_get_str(ld, v, "name", &s->name)))
            return rc;
        if (!cfg_name_ok(s->name))
            return cfg_failf(ld, v, "name: '%s' must start with a letter or digit and hold only "
                                "letters, digits, '.', '_' and '-' (at most 128)", s->name);
    }
    if ((v = cfg_map_find(root, "seed", &k)) && (rc = cfg_get_u64(ld, v, "seed", &s->seed)))
        return rc;
    if ((rc = cfg_parse_grid(ld, root, s)) || (rc = cfg_parse_avalanche(ld, root, s)) ||
        (rc = one_q0(ld, root, s)) ||
        (rc = setting_or_axis(ld, root, s, "train", CS_AXIS_CRIT_WEIGHT, "criticality weight")) ||
        (rc = cfg_parse_dynrange(ld, root, s)) ||
        (rc = cfg_parse_fit(ld, root, s)) ||
        (rc = cfg_parse_output(ld, root, s)) || (rc = cfg_parse_slurm(ld, root, s)))
        return rc;
    /* Cross-field checks. */
    const avalanche_params *a = &s->avalanche;
    if (a->shape_dmin >= a->depth - 3) {
        node *sec = cfg_map_find(root, "avalanche", NULL);
        node *w = sec ? cfg_map_find(sec, "shape_window", NULL) : NULL;
        node *d = sec ? cfg_map_find(sec, "depth", NULL) : NULL;
        return cfg_failf(ld, w ? w : d ? d : cfg_map_find(root, "grid", NULL),
                     "avalanche.shape_window: dmin = %d leaves no duration below the longest "
                     "recorded one (depth - 3 = %d); lower shape_window or raise depth",
                     a->shape_dmin, a->depth - 3);
    }
    if ((rc = cfg_parse_train(ld, root, s))) /* last: it looks at the file system */
        return rc;
    node *tk = NULL, *tsec = cfg_map_find(root, "train", &tk);
    if (s->train.enabled && s->train.params.epochs < 1) {
        node *ek = NULL, *ev = tsec ? cfg_map_find(tsec, "epochs", &ek) : NULL;
        return cfg_failf(ld, ev ? ev : tk, "train.epochs: 0 epochs trains nothing; set "
                                       "train.enabled: false to skip training");
    }
    /* The modules' own checks, on a representative task, so that nothing they refuse
     * gets past `check` and fails every task of a running sweep. */
    cs_err sub = {0};
    avalanche_params ap = s->avalanche;
    ap.width = s->width[s->n_width - 1];
    ap.sigma_w2 = s->sigma_w2[0];
    ap.sigma_b2 = s->sigma_b2[0];
    ap.activation = s->activation[0];
    ap.q0 = axis_present(s, CS_AXIS_Q0) ? s->q0[0] : ap.q0;
    if (avalanche_params_check(&ap, &sub)) {
        node *ak = NULL;
        cfg_map_find(root, "avalanche", &ak);
        return cfg_failf(ld, ak, "avalanche: %s", sub.msg);
    }
    if (s->train.enabled) {
        train_params tp = s->train.params;
        tp.width = ap.width;
        tp.sigma_w2 = ap.sigma_w2;
        tp.sigma_b2 = ap.sigma_b2;
        tp.activation = ap.activation;
        if (train_params_check(&tp, &sub))
            return cfg_failf(ld, tk, "train: %s", sub.msg);
    }
    return 0;
}

static void set_defaults(cs_sweep *s)
{
    avalanche_params_default(&s->avalanche);
    fit_options_default(&s->fit);
    train_params_default(&s->train.params);
    s->dynrange = (cs_dynrange){.depth = 0, .q_min = 1e-6, .q_max = 1e2, .n_q = 25,
                                .inputs = 50, .networks = 1};
    s->train.enabled = 1;
    s->train.train_subset = 0;
    s->output.max_attempts = 3;
    s->slurm.max_requeues = 10;
    s->slurm.signal_lead = 120;
}

int config_load_text(const char *text, size_t len, const char *name,
                     const char *const *overrides, int n_overrides, cs_sweep *out, cs_err *err)
{
    cs_err local;
    if (!err)
        err = &local;
    memset(out, 0, sizeof *out);
    if (!name)
        name = "<sweep>";
    loader ld = {name, text, len, err};
    set_defaults(out);
    if (!(out->path = strdup(name)) || !(out->train.data_dir = strdup(CS_DEFAULT_DATA_DIR)))
        return cs_fail(err, CS_EXIT_ERROR, "out of memory");
    if (n_overrides < 0 || (n_overrides > 0 && !overrides))
        return cs_fail(err, CS_EXIT_USAGE, "bad override list");

    char **origins = calloc((size_t)n_overrides + 1, sizeof *origins);
    if (!origins)
        return cs_fail(err, CS_EXIT_ERROR, "out of memory");
    node *root = NULL;
    int rc = cfg_parse_yaml(&ld, text, len, name, 1, &root);
    for (int i = 0; !rc && i < n_overrides; i++) {
        size_t n = strlen(overrides[i]) + 8;
        if (!(origins[i] = malloc(n))) {
            rc = cs_fail(err, CS_EXIT_ERROR, "out of memory");
            break;
        }
        snprintf(origins[i], n, "--set %s", overrides[i]);
        if (root && root->kind != NODE_MAP)
            break; /* load_tree names the real problem */
        rc = cfg_apply_override(&ld, &root, overrides[i], origins[i]);
    }
    if (!rc)
        rc = load_tree(&ld, root, out);
    cfg_node_free(root);
    for (int i = 0; i < n_overrides; i++)
        free(origins[i]);
    free(origins);

    /* The text as stored in the results file: the file, then the overrides as comments
     * (the hash, not this text, decides whether two runs are the same sweep). */
    if (!rc) {
        sbuf b = {0};
        cfg_sb_printf(&b, "%.*s", (int)len, text);
        if (n_overrides > 0) {
            cfg_sb_printf(&b, "%s# overrides (--set), applied on top of the text above:\n",
                      len && text[len - 1] != '\n' ? "\n" : "");
            for (int i = 0; i < n_overrides; i++)
                cfg_sb_printf(&b, "#   %s\n", overrides[i]);
        }
        if (b.oom || !b.buf) {
            free(b.buf);
            rc = cs_fail(err, CS_EXIT_ERROR, "out of memory");
        } else {
            out->yaml_text = b.buf;
        }
    }
    if (!rc && !out->name && !(out->name = cfg_default_name(name)))
        rc = cs_fail(err, CS_EXIT_ERROR, "out of memory");
    if (!rc && !out->output.file) {
        size_t n = strlen(out->name) + 4;
        if ((out->output.file = malloc(n)))
            snprintf(out->output.file, n, "%s.h5", out->name);
        else
            rc = cs_fail(err, CS_EXIT_ERROR, "out of memory");
    }
    if (!rc && config_rehash(out))
        rc = cs_fail(err, CS_EXIT_ERROR, "out of memory");
    if (rc) {
        int code = err->code;
        config_free(out);
        err->code = code;
        return code;
    }
    err->code = 0;
    return 0;
}

int config_load(const char *path, const char *const *overrides, int n_overrides, cs_sweep *out,
                cs_err *err)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f)
        return cs_fail(err, CS_EXIT_USAGE, "%s: cannot open the sweep file: %s", path,
                       strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? 2 * cap : 65536;
            if ((long)cap > MAX_FILE_BYTES + 65536) {
                fclose(f);
                free(buf);
                return cs_fail(err, CS_EXIT_USAGE, "%s: larger than %ld MiB; is this a sweep "
                                                   "file?", path, MAX_FILE_BYTES >> 20);
            }
            char *p = realloc(buf, cap);
            if (!p) {
                fclose(f);
                free(buf);
                return cs_fail(err, CS_EXIT_ERROR, "%s: out of memory", path);
            }
            buf = p;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return cs_fail(err, CS_EXIT_USAGE, "%s: read error (is it a directory?)", path);
    }
    int rc = config_load_text(buf, len, path, overrides, n_overrides, out, err);
    free(buf);
    return rc;
}

void config_free(cs_sweep *s)
{
    if (!s)
        return;
    free(s->path);
    free(s->yaml_text);
    free(s->name);
    for (int a = 0; a < CS_AXIS_COUNT; a++) {
        free((void *)axis_values(s, (cs_axis_id)a));
        free(s->base[a]);
    }
    free(s->train.data_dir);
    free(s->output.file);
    free(s->slurm.partition);
    free(s->slurm.account);
    free(s->slurm.qos);
    free(s->slurm.time);
    free(s->slurm.mem_per_cpu);
    for (int i = 0; s->slurm.extra && s->slurm.extra[i]; i++)
        free(s->slurm.extra[i]);
    free(s->slurm.extra);
    memset(s, 0, sizeof *s);
}

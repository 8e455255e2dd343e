/* config_value.c — typed scalars (integers, numbers, booleans, strings, choices) with
 * messages that name the key, and the known keys of each section. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_internal.h"
#include "critsweep/axis.h"

/* ---------------------------------------------------------------- typed values */

static int cfg_want_scalar(const loader *ld, const node *n, const char *path, const char *what)
{
    if (n->kind != NODE_SCALAR || cfg_is_null(n))
        return cfg_failf(ld, n, "%s: expected %s, got %s", path, what, cfg_kind_name(n));
    return 0;
}

static int cfg_want_plain(const loader *ld, const node *n, const char *path, const char *what)
{
    int rc = cfg_want_scalar(ld, n, path, what);
    if (rc)
        return rc;
    if (!n->plain) {
        char b[64];
        return cfg_failf(ld, n, "%s: expected %s, got the quoted string \"%s\" (remove the quotes)",
                     path, what, cfg_clip(n->text, b, sizeof b));
    }
    return 0;
}

static int cfg_parse_integral(const char *t, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(t, &end, 10);
    if (end != t && !*end && !errno) {
        *out = v;
        return 0;
    }
    if (strchr(t, 'x') || strchr(t, 'X'))
        return -1;
    errno = 0;
    double d = strtod(t, &end);
    if (end == t || *end || errno || !isfinite(d) || d != floor(d) || fabs(d) > 9.0e18)
        return -1;
    *out = (long long)d;
    return 0;
}

int cfg_get_long(const loader *ld, const node *n, const char *path, long long lo,
                    long long hi, long long *out)
{
    int rc = cfg_want_plain(ld, n, path, "an integer");
    if (rc)
        return rc;
    char b[64];
    long long v;
    if (cfg_parse_integral(n->text, &v))
        return cfg_failf(ld, n, "%s: expected an integer, got '%s'", path, cfg_clip(n->text, b, sizeof b));
    if (v < lo)
        return cfg_failf(ld, n, "%s: must be at least %lld (got %s)", path, lo, cfg_clip(n->text, b, sizeof b));
    if (v > hi)
        return cfg_failf(ld, n, "%s: must be at most %lld (got %s)", path, hi, cfg_clip(n->text, b, sizeof b));
    *out = v;
    return 0;
}

int cfg_get_int(const loader *ld, const node *n, const char *path, int lo, int hi, int *out)
{
    long long v;
    int rc = cfg_get_long(ld, n, path, lo, hi, &v);
    if (!rc)
        *out = (int)v;
    return rc;
}

int cfg_get_u64(const loader *ld, const node *n, const char *path, uint64_t *out)
{
    int rc = cfg_want_plain(ld, n, path, "a non-negative integer");
    if (rc)
        return rc;
    char b[64];
    const char *t = n->text;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(t, &end, 10);
    if (!isdigit((unsigned char)t[0]) || *end || errno) {
        long long w;
        if (!cfg_parse_integral(t, &w) && w < 0)
            return cfg_failf(ld, n, "%s: must be at least 0 (got %s)", path, cfg_clip(t, b, sizeof b));
        if (cfg_parse_integral(t, &w))
            return cfg_failf(ld, n, "%s: expected an integer 0..18446744073709551615, got '%s'", path,
                         cfg_clip(t, b, sizeof b));
        v = (unsigned long long)w;
    }
    *out = v;
    return 0;
}

int cfg_parse_number(const char *t, double *out)
{
    char *end;
    if (strchr(t, 'x') || strchr(t, 'X'))
        return -1;
    errno = 0;
    double v = strtod(t, &end);
    if (end == t || *end)
        return -1;
    *out = v;
    return 0;
}

/* lo_open: the bound is exclusive.  what_neg: message for values below lo (optional). */
int cfg_get_double(const loader *ld, const node *n, const char *path, double lo,
                      int lo_open, double hi, const char *what_low, double *out)
{
    int rc = cfg_want_plain(ld, n, path, "a number");
    if (rc)
        return rc;
    char b[64];
    const char *t = n->text;
    double v;
    if (!strcasecmp(t, ".inf") || !strcasecmp(t, "-.inf") || !strcasecmp(t, "+.inf") ||
        !strcasecmp(t, ".nan"))
        return cfg_failf(ld, n, "%s: must be a finite number (got %s)", path, cfg_clip(t, b, sizeof b));
    if (cfg_parse_number(t, &v))
        return cfg_failf(ld, n, "%s: expected a number, got '%s'", path, cfg_clip(t, b, sizeof b));
    if (!isfinite(v))
        return cfg_failf(ld, n, "%s: must be a finite number (got %s)", path, cfg_clip(t, b, sizeof b));
    if (lo_open ? !(v > lo) : !(v >= lo)) {
        if (what_low)
            return cfg_failf(ld, n, "%s: %s (got %s)", path, what_low, cfg_clip(t, b, sizeof b));
        return cfg_failf(ld, n, "%s: must be %s %g (got %s)", path, lo_open ? ">" : ">=", lo,
                     cfg_clip(t, b, sizeof b));
    }
    if (v > hi)
        return cfg_failf(ld, n, "%s: must be at most %g (got %s)", path, hi, cfg_clip(t, b, sizeof b));
    *out = v;
    return 0;
}

int cfg_get_bool(const loader *ld, const node *n, const char *path, int *out)
{
    int rc = cfg_want_plain(ld, n, path, "true or false");
    if (rc)
        return rc;
    static const char *const yes[] = {"true", "yes", "on"}, *const no[] = {"false", "no", "off"};
    for (int i = 0; i < 3; i++) {
        if (!strcasecmp(n->text, yes[i])) {
            *out = 1;
            return 0;
        }
        if (!strcasecmp(n->text, no[i])) {
            *out = 0;
            return 0;
        }
    }
    char b[64];
    return cfg_failf(ld, n, "%s: expected true or false, got '%s'", path, cfg_clip(n->text, b, sizeof b));
}

/* A string without control characters (it may end up in a job script or a file name). */
int cfg_get_str(const loader *ld, const node *n, const char *path, char **out)
{
    int rc = cfg_want_scalar(ld, n, path, "a string");
    if (rc)
        return rc;
    if (!*n->text)
        return cfg_failf(ld, n, "%s: must not be empty", path);
    if (strlen(n->text) > 4096)
        return cfg_failf(ld, n, "%s: longer than 4096 characters", path);
    for (const char *p = n->text; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return cfg_failf(ld, n, "%s: contains a control character (newline or tab)", path);
    char *s = strdup(n->text);
    if (!s)
        return cfg_failf(ld, n, "%s: out of memory", path);
    free(*out);
    *out = s;
    return 0;
}

/* One of names (index in *out); suggests the cfg_closest on failure. */
int cfg_get_choice(const loader *ld, const node *n, const char *path,
                      const char *const *names, int count, int *out)
{
    int rc = cfg_want_scalar(ld, n, path, "a name");
    if (rc)
        return rc;
    for (int i = 0; i < count; i++)
        if (!strcmp(n->text, names[i])) {
            *out = i;
            return 0;
        }
    char b[64], list[256] = "";
    for (int i = 0; i < count; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", names[i]);
    const char *near = cfg_closest(n->text, names, count);
    if (near)
        return cfg_failf(ld, n, "%s: unknown value '%s' (did you mean '%s'? one of: %s)", path,
                     cfg_clip(n->text, b, sizeof b), near, list);
    return cfg_failf(ld, n, "%s: unknown value '%s' (one of: %s)", path, cfg_clip(n->text, b, sizeof b),
                 list);
}

/* ---------------------------------------------------------------- schema */

const char *const cfg_top_keys[CFG_N_TOP_KEYS] = {"name", "seed", "grid", "avalanche", "dynrange",
                                                  "fit", "train", "output", "slurm"};
static const char *const aval_keys[] = {"depth", "q0", "inputs", "per_network", "convention",
                                        "mode", "engine", "engine_revision", "shape_window",
                                        "shape_min_count"};
static const char *const dynrange_keys[] = {"depth", "q_min", "q_max", "n_q", "inputs",
                                            "networks"};
static const char *const fit_keys[] = {"xmin_s", "xmin_d", "gamma_min_count", "bootstrap",
                                       "shape_gamma_min", "shape_gamma_max", "shape_gamma_step"};
static const char *const train_keys[] = {"enabled", "depth", "epochs", "batch", "lr",
                                         "momentum", "optimizer", "train_subset", "data",
                                         "criticality_weight"};
static const char *const output_keys[] = {"file", "max_attempts"};
static const char *const slurm_keys[] = {"partition", "account", "qos", "time", "nodes",
                                         "ntasks", "ntasks_per_node", "mem_per_cpu",
                                         "max_requeues", "signal_lead", "extra"};
const char *const cfg_range_keys[CFG_N_RANGE_KEYS] = {"start", "stop", "num", "scale"};

typedef struct {
    const char *name;
    const char *const *keys;
    int n;
} section;

static const section sections[] = {
    {"grid", axis_grid_keys, CS_AXIS_COUNT},       {"avalanche", aval_keys, COUNT(aval_keys)},
    {"dynrange", dynrange_keys, COUNT(dynrange_keys)},
    {"fit", fit_keys, COUNT(fit_keys)},          {"train", train_keys, COUNT(train_keys)},
    {"output", output_keys, COUNT(output_keys)}, {"slurm", slurm_keys, COUNT(slurm_keys)},
};

/* Every key of map must be in keys; otherwise name the cfg_closest, or the section that
 * does have it. */
int cfg_check_keys(const loader *ld, const node *map, const char *where,
                      const char *const *keys, int nkeys)
{
    for (int i = 0; i < map->n; i++) {
        const node *k = map->keys[i];
        int ok = 0;
        for (int j = 0; j < nkeys && !ok; j++)
            ok = !strcmp(k->text, keys[j]);
        if (ok)
            continue;
        char b[64];
        const char *near = cfg_closest(k->text, keys, nkeys);
        if (near)
            return cfg_failf(ld, k, "unknown key '%s' in %s (did you mean '%s'?)",
                         cfg_clip(k->text, b, sizeof b), where, near);
        char home[160] = "";
        for (int s = 0; s < COUNT(sections); s++)
            for (int j = 0; j < sections[s].n; j++)
                if (!strcmp(k->text, sections[s].keys[j]) && strcmp(where, sections[s].name))
                    snprintf(home + strlen(home), sizeof home - strlen(home), "%s%s:",
                             *home ? " or " : "", sections[s].name);
        if (*home)
            return cfg_failf(ld, k, "unknown key '%s' in %s (it belongs under %s)",
                         cfg_clip(k->text, b, sizeof b), where, home);
        char list[400] = "";
        for (int j = 0; j < nkeys; j++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", j ? ", " : "", keys[j]);
        return cfg_failf(ld, k, "unknown key '%s' in %s (known keys: %s)", cfg_clip(k->text, b, sizeof b),
                     where, list);
    }
    return 0;
}

/* A section value: a mapping, or null/absent (= all defaults). */
int cfg_get_section(const loader *ld, const node *root, const char *name, node **sec,
                       node **keynode)
{
    *keynode = NULL;
    node *v = cfg_map_find(root, name, keynode);
    *sec = NULL;
    if (!v || cfg_is_null(v))
        return 0;
    if (v->kind != NODE_MAP)
        return cfg_failf(ld, v, "%s: expected a mapping of settings (key: value), got %s", name,
                     cfg_kind_name(v));
    for (int s = 0; s < COUNT(sections); s++)
        if (!strcmp(sections[s].name, name)) {
            int rc = cfg_check_keys(ld, v, name, sections[s].keys, sections[s].n);
            if (rc)
                return rc;
        }
    *sec = v;
    return 0;
}

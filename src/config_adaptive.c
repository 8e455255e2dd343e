/* config_adaptive.c — grid.<axis>: {adaptive: {...}}, an axis that grows in rounds
 * (README §3).  Round 1 runs `initial` values: evenly spaced from start to stop on a σ
 * axis, seeds 0 .. initial − 1; `run` then adds values where the located lines are
 * least certain, up to `budget` values on the axis. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "critsweep/axis.h"
#include "critsweep/deriv.h"

static const char *const sigma_keys[] = {"start", "stop", "initial", "budget", "tol", "target"};
static const char *const seed_keys[] = {"initial", "budget"};
static const char *const target_names[] = {"widom", "ridge"};

/* target: widom | ridge | [widom, ridge]. */
static int parse_targets(const loader *ld, const node *v, const char *path, unsigned *out)
{
    *out = 0;
    long n = v->kind == NODE_SEQ ? v->n : 1;
    if (n == 0)
        return cfg_failf(ld, v, "%s: name at least one of widom, ridge", path);
    for (long i = 0; i < n; i++) {
        const node *e = v->kind == NODE_SEQ ? v->vals[i] : v;
        int k = 0, rc = cfg_get_choice(ld, e, path, target_names, 2, &k);
        if (rc)
            return rc;
        *out |= 1u << k;
    }
    return 0;
}

/* Fewest values round 1 may have: χ's local fits need DERIV_MIN_POINTS + 1 along σ_w². */
static int fewest_initial(cs_axis_id a)
{
    return a == CS_AXIS_SIGMA_W2 ? DERIV_MIN_POINTS + 1 : a == CS_AXIS_SIGMA_B2 ? 2 : 1;
}

static int parse_counts(const loader *ld, const node *m, const char *path, cs_axis_id a,
                        cs_adaptive *ad)
{
    char ip[96];
    node *k;
    const node *ini = cfg_map_find(m, "initial", &k), *bud = cfg_map_find(m, "budget", &k);
    if (!ini || !bud)
        return cfg_failf(ld, m, "%s: needs initial and budget (missing %s)", path,
                         !ini ? "initial" : "budget");
    int lo = fewest_initial(a), rc;
    snprintf(ip, sizeof ip, "%s.initial", path);
    if ((rc = cfg_get_int(ld, ini, ip, lo, MAX_AXIS, &ad->initial)))
        return rc;
    snprintf(ip, sizeof ip, "%s.budget", path);
    if ((rc = cfg_get_int(ld, bud, ip, 1, MAX_AXIS, &ad->budget)))
        return rc;
    if (ad->budget < ad->initial)
        return cfg_failf(ld, bud, "%s.budget: %d is below initial (%d): the budget counts "
                         "every value of the axis, round 1's included", path, ad->budget,
                         ad->initial);
    return 0;
}

static int parse_sigma(const loader *ld, const node *m, const char *path, const cs_axis_def *d,
                       cs_adaptive *ad)
{
    char ip[96];
    node *k;
    const node *start = cfg_map_find(m, "start", &k), *stop = cfg_map_find(m, "stop", &k);
    const node *tol = cfg_map_find(m, "tol", &k), *target = cfg_map_find(m, "target", &k);
    if (!start || !stop || !tol)
        return cfg_failf(ld, m, "%s: needs start, stop, initial, budget and tol (missing %s)",
                         path, !start ? "start" : !stop ? "stop" : "tol");
    int rc;
    snprintf(ip, sizeof ip, "%s.start", path);
    if ((rc = cfg_get_double(ld, start, ip, d->lo, d->lo_open, d->hi, d->why_low, &ad->start)))
        return rc;
    snprintf(ip, sizeof ip, "%s.stop", path);
    if ((rc = cfg_get_double(ld, stop, ip, d->lo, d->lo_open, d->hi, d->why_low, &ad->stop)))
        return rc;
    if (ad->stop <= ad->start)
        return cfg_failf(ld, stop, "%s.stop: must be above start (%g)", path, ad->start);
    snprintf(ip, sizeof ip, "%s.tol", path);
    if ((rc = cfg_get_double(ld, tol, ip, 0, 1, 1e6, "a tolerance must be > 0", &ad->tol)))
        return rc;
    ad->targets = CS_TARGET_WIDOM;
    snprintf(ip, sizeof ip, "%s.target", path);
    return target ? parse_targets(ld, target, ip, &ad->targets) : 0;
}

/* Round 1's values. */
static int initial_values(const loader *ld, const node *m, const char *path, cs_axis_id a,
                          cs_sweep *s)
{
    const cs_adaptive *ad = &s->adaptive[a];
    int n = ad->initial;
    size_t elem = a == CS_AXIS_SEED ? sizeof(uint64_t) : sizeof(double);
    void *v = malloc(elem * (size_t)n);
    if (!v)
        return cfg_failf(ld, m, "%s: out of memory", path);
    for (int i = 0; i < n; i++) {
        if (a == CS_AXIS_SEED) {
            ((uint64_t *)v)[i] = (uint64_t)i;
            continue;
        }
        double t = (double)i / (double)(n - 1);
        ((double *)v)[i] = i == n - 1 ? ad->stop : ad->start + (ad->stop - ad->start) * t;
    }
    *(void **)((char *)s + axis_defs[a].values_at) = v;
    *(int *)((char *)s + axis_defs[a].count_at) = n;
    return 0;
}

int cfg_parse_adaptive(const loader *ld, const node *m, const char *path, int axis,
                       cs_sweep *s)
{
    cs_axis_id a = (cs_axis_id)axis;
    const cs_axis_def *d = &axis_defs[a];
    if (!d->can_grow)
        return cfg_failf(ld, m, "%s.adaptive: only sigma_w2, sigma_b2 and seeds can grow; "
                         "give %s as a list", path, path);
    if (m->kind != NODE_MAP)
        return cfg_failf(ld, m, "%s.adaptive: expected a mapping {initial, budget, ...}", path);
    char ap[80];
    snprintf(ap, sizeof ap, "%s.adaptive", path);
    int seeds = a == CS_AXIS_SEED;
    int rc = cfg_check_keys(ld, m, ap, seeds ? seed_keys : sigma_keys,
                            seeds ? (int)COUNT(seed_keys) : (int)COUNT(sigma_keys));
    cs_adaptive *ad = &s->adaptive[a];
    if (!rc)
        rc = parse_counts(ld, m, ap, a, ad);
    if (!rc && !seeds)
        rc = parse_sigma(ld, m, ap, d, ad);
    if (!rc && !seeds && ad->initial < 2)
        rc = cfg_failf(ld, m, "%s.initial: needs at least 2 values", ap);
    if (rc)
        return rc;
    ad->on = 1;
    return initial_values(ld, m, ap, a, s);
}

/* Seeds grow only with a σ axis whose tol and target say when to stop. */
int cfg_check_adaptive(const loader *ld, const node *gk, const cs_sweep *s)
{
    if (s->adaptive[CS_AXIS_SEED].on && !s->adaptive[CS_AXIS_SIGMA_W2].on &&
        !s->adaptive[CS_AXIS_SIGMA_B2].on)
        return cfg_failf(ld, gk, "grid.seeds.adaptive: seeds grow together with an adaptive "
                         "sigma_w2 or sigma_b2 (whose tol and target decide when to stop)");
    double most = 1;
    int any = 0;
    for (int a = 0; a < CS_AXIS_COUNT; a++) {
        const cs_adaptive *ad = &s->adaptive[a];
        most *= ad->on ? ad->budget : axis_length(s, (cs_axis_id)a);
        any |= ad->on;
    }
    if (any && most > (double)CS_MAX_TASKS)
        return cfg_failf(ld, gk, "grid: the budgets allow %.0f tasks, above the limit of %ld; "
                         "lower a budget or split the sweep", most, CS_MAX_TASKS);
    return 0;
}

/* config_hash.c — the canonical text of the science-relevant settings and its hash. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "critsweep/axis.h"

/* ---------------------------------------------------------------- hash */

void cfg_sb_printf(sbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->buf ? b->buf + b->len : NULL, b->buf ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if (b->buf && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap : 1024;
        while (cap <= b->len + (size_t)n)
            cap *= 2;
        char *p = realloc(b->buf, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->buf = p;
        b->cap = cap;
    }
}

/* A σ axis: its values, the values it had before `refine` grew it, or the description
 * of an adaptive axis (the points it grows are results, not settings). */
static void put_real_axis(sbuf *b, const cs_sweep *s, cs_axis_id a)
{
    const cs_adaptive *ad = &s->adaptive[a];
    cfg_sb_printf(b, "\n%s=", axis_defs[a].name);
    if (ad->on) {
        cfg_sb_printf(b, "adaptive:%a,%a,%d,%d,%a,%u", ad->start, ad->stop, ad->initial,
                      ad->budget, ad->tol, ad->targets);
        return;
    }
    const double *v = s->base[a] ? s->base[a] : axis_values(s, a);
    int n = s->base[a] ? s->n_base[a] : axis_count(s, a);
    for (int i = 0; i < n; i++)
        cfg_sb_printf(b, "%s%a", i ? "," : "", v[i]);
}

/* Canonical text of the science-relevant settings.  Doubles go in as C99 hex floats, so
 * the text (and the hash) is exact and independent of printing precision.  Changing this
 * layout changes every hash: bump the version tag if you must. */
char *config_canonical_text(const cs_sweep *s)
{
    sbuf b = {0};
    cfg_sb_printf(&b, "critsweep-sweep-v1\nseed=%llu\nactivation=", (unsigned long long)s->seed);
    for (int i = 0; i < s->n_activation; i++)
        cfg_sb_printf(&b, "%s%s", i ? "," : "", activation_name(s->activation[i]));
    cfg_sb_printf(&b, "\nwidth=");
    for (int i = 0; i < s->n_width; i++)
        cfg_sb_printf(&b, "%s%d", i ? "," : "", s->width[i]);
    put_real_axis(&b, s, CS_AXIS_SIGMA_B2);
    put_real_axis(&b, s, CS_AXIS_SIGMA_W2);
    cfg_sb_printf(&b, "\nseeds=");
    const cs_adaptive *as = &s->adaptive[CS_AXIS_SEED];
    if (as->on)
        cfg_sb_printf(&b, "adaptive:%d,%d", as->initial, as->budget);
    for (int i = 0; i < s->n_seed && !as->on; i++)
        cfg_sb_printf(&b, "%s%llu", i ? "," : "", (unsigned long long)s->seeds[i]);
    /* optional axes only when given, so sweeps without them keep their hashes */
    for (int a = 0; a < CS_AXIS_COUNT; a++) {
        if (!axis_defs[a].optional || !axis_present(s, (cs_axis_id)a))
            continue;
        const double *v = axis_values(s, (cs_axis_id)a); /* optional axes are real */
        cfg_sb_printf(&b, "\n%s=", axis_defs[a].name);
        for (int i = 0; i < axis_count(s, (cs_axis_id)a); i++)
            cfg_sb_printf(&b, "%s%a", i ? "," : "", v[i]);
    }
    const avalanche_params *a = &s->avalanche;
    cfg_sb_printf(&b, "\navalanche.depth=%d\navalanche.q0=%a\navalanche.inputs=%ld\n"
                  "avalanche.per_network=%ld\navalanche.convention=%s\navalanche.mode=%s\n"
                  "avalanche.shape_window=%d,%d\navalanche.shape_min_count=%d\n",
              a->depth, a->q0, a->inputs, a->per_network, convention_name(a->convention),
              mode_name(a->mode), a->shape_dmin, a->shape_dmax, a->shape_min_count);
    /* dense is what every sweep before the engine choice ran, so it keeps their hashes;
     * the other engines draw other numbers and must not extend a dense file */
    if (a->engine != CS_ENGINE_DENSE)
        cfg_sb_printf(&b, "avalanche.engine=%s\n", engine_name(a->engine));
    /* only when on, so that every sweep without it keeps its hash */
    const cs_dynrange *dr = &s->dynrange;
    if (dr->depth > 0)
        cfg_sb_printf(&b, "dynrange.depth=%d\ndynrange.q=%a,%a,%d\ndynrange.inputs=%d\n"
                      "dynrange.networks=%d\n",
                      dr->depth, dr->q_min, dr->q_max, dr->n_q, dr->inputs, dr->networks);
    const fit_options *o = &s->fit;
    cfg_sb_printf(&b, "fit.xmin_s=%a\nfit.xmin_d=%a\nfit.gamma_min_count=%d\nfit.bootstrap=%d\n"
                  "fit.shape_gamma=%a,%a,%a\nfit.shape_points=%d\n",
              o->xmin_s > 0 ? o->xmin_s : 0.0, o->xmin_d > 0 ? o->xmin_d : 0.0,
              o->gamma_min_count, o->bootstrap, o->shape_gamma_lo, o->shape_gamma_hi,
              o->shape_gamma_step, o->shape_points);
    cfg_sb_printf(&b, "train.enabled=%d\n", s->train.enabled ? 1 : 0);
    if (s->train.enabled) { /* settings of a disabled training do not change results */
        const train_params *t = &s->train.params;
        cfg_sb_printf(&b, "train.depth=%d\ntrain.epochs=%d\ntrain.batch=%d\ntrain.lr=%a\n"
                      "train.momentum=%a\ntrain.optimizer=%s\ntrain.train_subset=%ld\n",
                  t->depth, t->epochs, t->batch, t->lr, t->momentum, optimizer_name(t->optimizer),
                  s->train.train_subset);
        /* only when on (as the axis, above, only when given): plain sweeps keep hashes */
        if (t->criticality_weight != 0 && !axis_present(s, CS_AXIS_CRIT_WEIGHT))
            cfg_sb_printf(&b, "train.criticality_weight=%a\n", t->criticality_weight);
    }
    if (b.oom) {
        free(b.buf);
        return NULL;
    }
    return b.buf;
}

/* FNV-1a, 64 bit: small, stable, and enough to tell sweeps apart (not a security hash). */
static uint64_t fnv1a64(const char *s, size_t n)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

int config_rehash(cs_sweep *s)
{
    char *canon = config_canonical_text(s);
    if (!canon)
        return -1;
    s->hash = fnv1a64(canon, strlen(canon));
    snprintf(s->hash_hex, sizeof s->hash_hex, "%016llx", (unsigned long long)s->hash);
    free(canon);
    return 0;
}

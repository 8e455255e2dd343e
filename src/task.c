/* task.c — one grid point → one cs_result: avalanches (§2), exponents (§4), mean field
 * (§5), criticality measures (§7) and learning (§6).  Plain C: no MPI, no files. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "critsweep/common.h"
#include "critsweep/dynrange.h"
#include "critsweep/grid.h"
#include "critsweep/meanfield.h"
#include "critsweep/rng.h"
#include "critsweep/task.h"
#include "critsweep/trained_crit.h"

/* Every quantity blank (quantity.h: NaN or 0), status pending: a reusable blank row. */
static void result_reset(cs_result *r)
{
    r->status = CS_STATUS_PENDING;
    r->reason[0] = '\0';
    quantity_reset(r);
}

int task_result_init(cs_result *r, int depth, int n_profile_d, int epochs, int n_q)
{
    memset(r, 0, sizeof *r);
    if (depth <= 0 || n_profile_d < 0 || epochs < 0 || n_q < 0)
        return CS_EXIT_ERROR;
    r->epochs = epochs;
    r->n_profile_d = n_profile_d;
    r->n_q = n_q;
    if (!(r->dynrange_response = malloc((size_t)(n_q + 1) * sizeof(double))))
        return CS_EXIT_ERROR;
    /* One block for the per-epoch arrays, one for the profiles. */
    r->test_accuracy_per_epoch = malloc((size_t)(2 * epochs + 1) * sizeof(double));
    r->profile = malloc((size_t)(n_profile_d * (CS_PROFILE_POINTS + 1) + 1) * sizeof(double));
    if (!r->test_accuracy_per_epoch || !r->profile || fit_suffstats_init(&r->stats, depth)) {
        task_result_free(r);
        return CS_EXIT_ERROR;
    }
    r->train_loss_per_epoch = r->test_accuracy_per_epoch + epochs;
    r->profile_count = r->profile + (size_t)n_profile_d * CS_PROFILE_POINTS;
    result_reset(r);
    return 0;
}

void task_result_free(cs_result *r)
{
    if (!r)
        return;
    free(r->test_accuracy_per_epoch);
    free(r->profile);
    free(r->dynrange_response);
    fit_suffstats_free(&r->stats);
    r->test_accuracy_per_epoch = r->train_loss_per_epoch = NULL;
    r->profile = r->profile_count = r->dynrange_response = NULL;
}

static int size_bin(double S)
{
    if (!(S > 0))
        return 0;
    double w = (CS_SIZE_LOG10_MAX - CS_SIZE_LOG10_MIN) / CS_SIZE_BINS;
    double b = floor((log10(S) - CS_SIZE_LOG10_MIN) / w);
    if (b < 0)
        return 0;
    if (b >= CS_SIZE_BINS)
        return CS_SIZE_BINS - 1;
    return (int)b;
}

/* The AVALANCHE quantities (quantity.h) are avalanche_result's members of the same
 * names. */
#define COPY_FROM_RUN(name, src, tr, blank, part, ...) COPY_##part(name)
#define COPY_AVALANCHE(name) r->name = ar->name;
#define COPY_ANALYSIS(name)
#define COPY_POOLING(name)
#define COPY_TRAINING(name)
#define COPY_TASK(name)
#define COPY_HELD(...) /* arrays and pooling statistics: filled by the analysis */
static void copy_from_run(const avalanche_result *ar, cs_result *r)
{
    CS_QUANTITIES(COPY_FROM_RUN, COPY_HELD)
}
#undef COPY_FROM_RUN
#undef COPY_AVALANCHE
#undef COPY_ANALYSIS
#undef COPY_POOLING
#undef COPY_TRAINING
#undef COPY_TASK
#undef COPY_HELD

int task_avalanche_part(const avalanche_params *ap, const fit_options *fo, cs_result *r,
                        cs_err *err)
{
    avalanche_result ar;
    avalanche_result_init(&ar);
    int rc = avalanche_run(ap, &ar, err);
    if (!rc)
        rc = task_avalanche_fill(ap, fo, &ar, r, NULL, NULL, err);
    avalanche_result_free(&ar);
    return rc;
}

int task_avalanche_fill(const avalanche_params *ap, const fit_options *fo,
                        const avalanche_result *arp, cs_result *r, fit_powerlaw *ps_out,
                        fit_powerlaw *pd_out, cs_err *err)
{
    const avalanche_result ar = *arp; /* shallow: read-only view */
    int rc = 0;
    copy_from_run(arp, r);

    long n = ar.n_recorded;
    for (long i = 0; i < n; i++)
        if (!isfinite(ar.S[i]) || !isfinite(ar.D[i])) {
            rc = cs_fail(err, CS_EXIT_ERROR,
                         "avalanche %ld has a non-finite size or duration (S=%g, D=%g)", i,
                         ar.S[i], ar.D[i]);
            goto done;
        }
    for (long i = 0; i < n; i++)
        r->S_hist[size_bin(ar.S[i])] += 1;

    /* Pooling statistics need one xmin for every seed: the fixed one, or the
     * reference value when the fits choose xmin per task. */
    double sx = fo->xmin_s > 0 ? fo->xmin_s : 0.5, dx = fo->xmin_d > 0 ? fo->xmin_d : 5.0;
    if ((rc = fit_suffstats_add(&r->stats, ar.S, ar.D, n, sx, dx, err)))
        goto done;

    fit_exponents ex;
    if ((rc = fit_exponents_sample(ar.S, ar.D, n, fo, &ex, err)))
        goto done;
    r->tau_s = ex.s.tau, r->tau_s_err = ex.s.tau_err, r->xmin_s = ex.s.xmin;
    r->tau_d = ex.d.tau, r->tau_d_err = ex.d.tau_err, r->xmin_d = ex.d.xmin;
    r->gamma = ex.gamma, r->gamma_err = ex.gamma_err, r->gamma_pred = ex.gamma_pred;
    memcpy(r->fit_note, ex.note, sizeof r->fit_note);

    if (ar.n_profile_d != r->n_profile_d) {
        rc = cs_fail(err, CS_EXIT_ERROR,
                     "profile window mismatch: avalanche_run gave %d durations, result sized for %d",
                     ar.n_profile_d, r->n_profile_d);
        goto done;
    }
    for (int d = 0; d < ar.n_profile_d; d++) {
        long cnt = ar.profile_count[d];
        r->profile_count[d] = (double)cnt;
        double *row = r->profile + (size_t)d * CS_PROFILE_POINTS;
        if (cnt >= ap->shape_min_count && cnt > 0)
            fit_resample_profile(ar.profile_sum + (size_t)d * ar.profile_stride, (double)cnt,
                                 ap->shape_dmin + 1 + d, CS_PROFILE_POINTS, row);
        else
            for (int j = 0; j < CS_PROFILE_POINTS; j++)
                row[j] = NAN;
    }
    if ((rc = fit_shape_collapse(ar.profile_sum, ar.profile_count, ar.n_profile_d,
                                 ar.profile_stride, ap->shape_dmin, ap->shape_min_count, fo,
                                 &r->gamma_shape, &r->gamma_shape_err))) {
        cs_fail(err, rc, "shape collapse: out of memory");
        goto done;
    }
    if (!isfinite(r->gamma_shape))
        fit_note_shape(r->fit_note, ar.profile_count, ar.n_profile_d, ar.profile_stride,
                       ap->shape_dmin, ap->shape_min_count);

    meanfield_point mf;
    meanfield_evaluate(ap->activation, ap->sigma_w2, ap->sigma_b2, &mf);
    r->q_star = mf.q_star, r->chi1 = mf.chi1, r->xi_c = mf.xi_c;
#ifdef CS_TEST_QUANTITY
    r->S_over_D = r->S_mean / r->D_mean;
#endif
    r->status = CS_STATUS_DONE;
    if (ps_out)
        *ps_out = ex.s;
    if (pd_out)
        *pd_out = ex.d;
done:
    return rc;
}

int task_dynrange_part(const cs_dynrange *d, const avalanche_params *ap, cs_result *r,
                       cs_err *err)
{
    if (d->depth <= 0)
        return 0;
    if (r->n_q != d->n_q)
        return cs_fail(err, CS_EXIT_ERROR, "result sized for %d drive strengths, dynrange.n_q "
                       "is %d (task_result_init)", r->n_q, d->n_q);
    double *q = malloc((size_t)d->n_q * sizeof *q);
    if (!q)
        return cs_fail(err, CS_EXIT_ERROR, "dynamic range: out of memory");
    for (int j = 0; j < d->n_q; j++)
        q[j] = dynrange_q_value(d->q_min, d->q_max, d->n_q, j);
    /* The task's own networks: the key and the dense weights of the avalanche engine. */
    dynrange_params p = {ap->activation, ap->width, ap->sigma_w2, ap->sigma_b2, ap->key,
                         d->depth, d->n_q, q, d->networks, d->inputs};
    dynrange_result dr = {.response = r->dynrange_response};
    int rc = dynrange_run(&p, &dr, err);
    if (!rc) {
        r->dynamic_range = dr.dynamic_range;
        snprintf(r->dynrange_note, sizeof r->dynrange_note, "%s", dr.note);
    }
    free(q);
    return rc;
}

/* What the trained network is measured with, and where the measures go. */
typedef struct {
    double q0;
    uint64_t key;
    cs_result *r;
    int rc;
    cs_err *err;
} trained_ctx;

/* After training: m, λ_0 and the inactive share on the first test images. */
static void measure_trained(void *ctx, const train_net *n, const data_bundle *data)
{
    trained_ctx *c = ctx;
    const data_set *te = &data->test;
    long count = te->n < TASK_TRAINED_IMAGES ? te->n : TASK_TRAINED_IMAGES;
    c->rc = trained_criticality(n, te->x, count, c->q0, c->key, &c->r->branching_trained,
                                &c->r->lyapunov_trained, c->err);
    c->r->inactive_fraction_trained =
        trained_inactive_fraction(n, te->x, count, TASK_FLAT_SLOPE, TASK_FLAT_SHARE);
}

int task_train_part(const train_params *tp, const data_bundle *data, double q0, cs_result *r,
                    cs_err *err)
{
    train_result tr;
    train_result_init(&tr);
    trained_ctx tc = {q0, tp->key, r, 0, err};
    int rc = train_run_then(tp, data, &tr, err, measure_trained, &tc);
    if (rc || (rc = tc.rc)) {
        train_result_free(&tr);
        return rc;
    }
    int ne = tr.epochs < r->epochs ? tr.epochs : r->epochs;
    for (int e = 0; e < ne; e++) {
        r->test_accuracy_per_epoch[e] = tr.test_accuracy_per_epoch[e];
        r->train_loss_per_epoch[e] = tr.train_loss_per_epoch[e];
    }
    r->test_accuracy = tr.test_accuracy;
    r->train_loss = tr.train_loss;
    r->samples_per_s = tr.samples_per_s;
    r->diverged_epoch = tr.diverged_epoch;
    if (tr.status == CS_TRAIN_DIVERGED)
        r->status = CS_STATUS_DIVERGED;
    else if (r->status == CS_STATUS_PENDING)
        r->status = CS_STATUS_DONE;
    train_result_free(&tr);
    return 0;
}

static void task_failed(cs_result *r, const char *what, const cs_err *e)
{
    r->status = CS_STATUS_FAILED;
    snprintf(r->reason, sizeof r->reason, "%s: %s", what, e->msg[0] ? e->msg : "unknown error");
}

int task_run(const cs_sweep *s, long task, const data_bundle *data, cs_result *r, cs_err *err)
{
    if (task < 0 || task >= grid_task_count(s))
        return cs_fail(err, CS_EXIT_ERROR, "task %ld outside the grid (0..%ld)", task,
                       grid_task_count(s) - 1);
    if (r->stats.dmax != s->avalanche.depth)
        return cs_fail(err, CS_EXIT_ERROR,
                       "result sized for depth %d, sweep depth is %d (task_result_init)",
                       r->stats.dmax, s->avalanche.depth);
    result_reset(r);
    double t0 = cs_now_s();
    grid_index gi;
    grid_coords(s, task, &gi);
    cs_activation act = s->activation[gi.activation];
    int width = s->width[gi.width];
    double sb = s->sigma_b2[gi.sigma_b2], sw = s->sigma_w2[gi.sigma_w2];
    uint64_t key = grid_task_key(s, &gi);

    avalanche_params ap = s->avalanche;
    ap.width = width;
    ap.sigma_w2 = sw;
    ap.sigma_b2 = sb;
    ap.activation = act;
    ap.key = key;
    ap.q0 = grid_q0(s, &gi);
    cs_err e = {0, ""};
    if (task_avalanche_part(&ap, &s->fit, r, &e)) {
        task_failed(r, "avalanches", &e);
        r->seconds = cs_now_s() - t0;
        return 0;
    }
    if (task_dynrange_part(&s->dynrange, &ap, r, &e)) {
        task_failed(r, "dynamic range", &e);
        r->seconds = cs_now_s() - t0;
        return 0;
    }
    if (s->train.enabled) {
        if (!data) {
            r->status = CS_STATUS_FAILED;
            snprintf(r->reason, sizeof r->reason, "training enabled but no data set loaded");
        } else {
            train_params tp = s->train.params;
            tp.width = width;
            tp.sigma_w2 = sw;
            tp.sigma_b2 = sb;
            tp.activation = act;
            tp.key = key;
            tp.criticality_weight = grid_criticality_weight(s, &gi);
            e = (cs_err){0, ""};
            if (task_train_part(&tp, data, ap.q0, r, &e))
                task_failed(r, "training", &e);
        }
    }
    r->seconds = cs_now_s() - t0;
    return 0;
}

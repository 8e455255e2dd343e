/* config_schema.c — the sections besides the grid: avalanche, dynrange, fit, train, output and
 * slurm, each key checked against its range, and the sweep's name. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config_internal.h"
#include "critsweep/data.h"

/* ---------------------------------------------------------------- other sections */

int cfg_parse_avalanche(const loader *ld, const node *root, cs_sweep *s)
{
    node *sec, *sk;
    int rc = cfg_get_section(ld, root, "avalanche", &sec, &sk);
    if (rc || !sec)
        return rc;
    avalanche_params *a = &s->avalanche;
    node *v, *k;
    long long x;
    if ((v = cfg_map_find(sec, "depth", &k)) && (rc = cfg_get_int(ld, v, "avalanche.depth", 4, 100000, &a->depth)))
        return rc;
    if ((v = cfg_map_find(sec, "q0", &k)) &&
        (rc = cfg_get_double(ld, v, "avalanche.q0", 0, 1, 1e6, "must be > 0", &a->q0)))
        return rc;
    if ((v = cfg_map_find(sec, "inputs", &k))) {
        if ((rc = cfg_get_long(ld, v, "avalanche.inputs", 1, 1000000000000LL, &x)))
            return rc;
        a->inputs = (long)x;
    }
    if ((v = cfg_map_find(sec, "per_network", &k))) {
        if ((rc = cfg_get_long(ld, v, "avalanche.per_network", 1, 1000000000LL, &x)))
            return rc;
        a->per_network = (long)x;
    }
    if ((v = cfg_map_find(sec, "convention", &k))) {
        static const char *const names[] = {"reference", "strict"};
        int c;
        if ((rc = cfg_get_choice(ld, v, "avalanche.convention", names, 2, &c)))
            return rc;
        if (convention_from_name(names[c], &a->convention))
            return cfg_failf(ld, v, "avalanche.convention: '%s' is not known to this build", names[c]);
    }
    if ((v = cfg_map_find(sec, "mode", &k))) {
        static const char *const names[] = {"difference", "absolute"};
        int m;
        if ((rc = cfg_get_choice(ld, v, "avalanche.mode", names, 2, &m)))
            return rc;
        if (mode_from_name(names[m], &a->mode))
            return cfg_failf(ld, v, "avalanche.mode: '%s' is not known to this build", names[m]);
    }
    if ((v = cfg_map_find(sec, "engine", &k))) {
        static const char *const names[] = {"auto", "dense", "sampled"};
        int e = 0;
        if ((rc = cfg_get_choice(ld, v, "avalanche.engine", names, 3, &e)))
            return rc;
        if (engine_from_name(names[e], &a->engine))
            return cfg_failf(ld, v, "avalanche.engine: '%s' is not known to this build", names[e]);
    }
    if ((v = cfg_map_find(sec, "engine_revision", &k)) &&
        (rc = cfg_get_int(ld, v, "avalanche.engine_revision", 1, AVALANCHE_ENGINE_REVISION,
                          &a->engine_revision)))
        return rc;
    if ((v = cfg_map_find(sec, "shape_window", &k))) {
        if (v->kind != NODE_SEQ || v->n != 2)
            return cfg_failf(ld, v, "avalanche.shape_window: expected a list [dmin, dmax] of two "
                                "integers, got %s", v->kind == NODE_SEQ ? "a list of another length" : cfg_kind_name(v));
        int lo, hi;
        if ((rc = cfg_get_int(ld, v->vals[0], "avalanche.shape_window[0]", 0, 100000, &lo)) ||
            (rc = cfg_get_int(ld, v->vals[1], "avalanche.shape_window[1]", 0, 100000, &hi)))
            return rc;
        if (hi < lo + 2)
            return cfg_failf(ld, v, "avalanche.shape_window: [%d, %d] holds no duration "
                                "(profiles are kept for dmin < D < dmax; need dmax >= dmin + 2)",
                         lo, hi);
        a->shape_dmin = lo;
        a->shape_dmax = hi;
    }
    if ((v = cfg_map_find(sec, "shape_min_count", &k)) &&
        (rc = cfg_get_int(ld, v, "avalanche.shape_min_count", 1, 1000000000, &a->shape_min_count)))
        return rc;
    return 0;
}

/* The drive strengths of the dynamic range: 0 < q_min < q_max, n_q >= 2. */
static int cfg_parse_dynrange_q(const loader *ld, const node *sec, cs_dynrange *d)
{
    node *k, *v, *vmax = cfg_map_find(sec, "q_max", &k);
    int rc;
    if ((v = cfg_map_find(sec, "q_min", &k)) &&
        (rc = cfg_get_double(ld, v, "dynrange.q_min", 0, 1, 1e12, "must be > 0", &d->q_min)))
        return rc;
    if (vmax && (rc = cfg_get_double(ld, vmax, "dynrange.q_max", 0, 1, 1e12, "must be > 0",
                                     &d->q_max)))
        return rc;
    if (!(d->q_max > d->q_min))
        return cfg_failf(ld, vmax ? vmax : v ? v : sec, "dynrange.q_max: must be above q_min "
                         "(got q_min = %g, q_max = %g)", d->q_min, d->q_max);
    if ((v = cfg_map_find(sec, "n_q", &k)) && (rc = cfg_get_int(ld, v, "dynrange.n_q", 2, 10000, &d->n_q)))
        return rc;
    return 0;
}

int cfg_parse_dynrange(const loader *ld, const node *root, cs_sweep *s)
{
    node *sec, *sk, *v, *k;
    int rc = cfg_get_section(ld, root, "dynrange", &sec, &sk);
    if (rc || !sec)
        return rc;
    cs_dynrange *d = &s->dynrange;
    node *vd = cfg_map_find(sec, "depth", &k);
    if (vd && (rc = cfg_get_int(ld, vd, "dynrange.depth", 0, 100000, &d->depth)))
        return rc;
    /* L_Δ lies within the networks the avalanches use (their layers, L_max of them). */
    if (d->depth > s->avalanche.depth)
        return cfg_failf(ld, vd, "dynrange.depth: %d is deeper than avalanche.depth (%d); use "
                         "0 (off) .. %d", d->depth, s->avalanche.depth, s->avalanche.depth);
    if ((rc = cfg_parse_dynrange_q(ld, sec, d)))
        return rc;
    if ((v = cfg_map_find(sec, "inputs", &k)) &&
        (rc = cfg_get_int(ld, v, "dynrange.inputs", 1, 1000000, &d->inputs)))
        return rc;
    if ((v = cfg_map_find(sec, "networks", &k)) &&
        (rc = cfg_get_int(ld, v, "dynrange.networks", 1, 1000000, &d->networks)))
        return rc;
    return 0;
}

static int cfg_parse_xmin(const loader *ld, const node *v, const char *path, int discrete, double *out)
{
    if (v->kind == NODE_SCALAR && !strcmp(v->text, "auto")) {
        *out = 0; /* fit_options: <= 0 means the KS minimum */
        return 0;
    }
    if (discrete) {
        long long x;
        int rc = cfg_get_long(ld, v, path, 1, 1000000000LL, &x);
        if (rc && v->kind == NODE_SCALAR && v->plain) {
            double d;
            if (!cfg_parse_number(v->text, &d) && isfinite(d) && d >= 1 && d != floor(d))
                return cfg_failf(ld, v, "%s: durations are integers; use an integer >= 1 or auto "
                                    "(got %s)", path, v->text);
        }
        if (!rc)
            *out = (double)x;
        return rc;
    }
    return cfg_get_double(ld, v, path, 0, 1, 1e300, "must be > 0 or auto", out);
}

int cfg_parse_fit(const loader *ld, const node *root, cs_sweep *s)
{
    node *sec, *sk, *v, *k;
    int rc = cfg_get_section(ld, root, "fit", &sec, &sk);
    if (rc || !sec)
        return rc;
    fit_options *o = &s->fit;
    if ((v = cfg_map_find(sec, "xmin_s", &k)) && (rc = cfg_parse_xmin(ld, v, "fit.xmin_s", 0, &o->xmin_s)))
        return rc;
    if ((v = cfg_map_find(sec, "xmin_d", &k)) && (rc = cfg_parse_xmin(ld, v, "fit.xmin_d", 1, &o->xmin_d)))
        return rc;
    if ((v = cfg_map_find(sec, "gamma_min_count", &k)) &&
        (rc = cfg_get_int(ld, v, "fit.gamma_min_count", 1, 1000000000, &o->gamma_min_count)))
        return rc;
    if ((v = cfg_map_find(sec, "bootstrap", &k)) &&
        (rc = cfg_get_int(ld, v, "fit.bootstrap", 0, 100000, &o->bootstrap)))
        return rc;
    node *vlo = cfg_map_find(sec, "shape_gamma_min", &k), *vhi = cfg_map_find(sec, "shape_gamma_max", &k);
    node *vst = cfg_map_find(sec, "shape_gamma_step", &k);
    if (vlo && (rc = cfg_get_double(ld, vlo, "fit.shape_gamma_min", 0, 1, 100, "must be > 0",
                                &o->shape_gamma_lo)))
        return rc;
    if (vhi && (rc = cfg_get_double(ld, vhi, "fit.shape_gamma_max", 0, 1, 100, "must be > 0",
                                &o->shape_gamma_hi)))
        return rc;
    if (vst && (rc = cfg_get_double(ld, vst, "fit.shape_gamma_step", 0, 1, 100, "must be > 0",
                                &o->shape_gamma_step)))
        return rc;
    if (!(o->shape_gamma_hi > o->shape_gamma_lo))
        return cfg_failf(ld, vhi ? vhi : vlo ? vlo : sec,
                     "fit: shape_gamma_max (%g) must be above shape_gamma_min (%g)",
                     o->shape_gamma_hi, o->shape_gamma_lo);
    if ((o->shape_gamma_hi - o->shape_gamma_lo) / o->shape_gamma_step > 1e6)
        return cfg_failf(ld, vst ? vst : sec, "fit.shape_gamma_step: more than 10^6 steps in the "
                                          "shape-collapse scan");
    return 0;
}

static int cfg_check_data_dir(const loader *ld, const node *at, const char *dir)
{
    struct stat st;
    if (stat(dir, &st) || !S_ISDIR(st.st_mode))
        return cfg_failf(ld, at, "train.data: dataset directory '%s' %s; install Debian's "
                             "dataset-fashion-mnist, point train.data at an MNIST-format IDX set, "
                             "or set train.enabled: false",
                     dir, stat(dir, &st) ? "does not exist" : "is not a directory");
    static const char *const files[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
    for (int i = 0; i < 4; i++) {
        size_t n = strlen(dir) + strlen(files[i]) + 8;
        char *p = malloc(n), *q = malloc(n);
        if (!p || !q) {
            free(p);
            free(q);
            return cfg_failf(ld, at, "out of memory");
        }
        snprintf(p, n, "%s/%s", dir, files[i]);
        snprintf(q, n, "%s/%s.gz", dir, files[i]);
        int ok = !stat(p, &st) || !stat(q, &st);
        free(p);
        free(q);
        if (!ok)
            return cfg_failf(ld, at, "train.data: '%s' has no %s[.gz]; point train.data at a "
                                 "directory with the four MNIST-format IDX files, or set "
                                 "train.enabled: false",
                         dir, files[i]);
    }
    return 0;
}

int cfg_parse_train(const loader *ld, const node *root, cs_sweep *s)
{
    node *sec, *sk, *v, *k;
    int rc = cfg_get_section(ld, root, "train", &sec, &sk);
    if (rc)
        return rc;
    train_params *t = &s->train.params;
    node *data_node = NULL;
    if (sec) {
        if ((v = cfg_map_find(sec, "enabled", &k)) && (rc = cfg_get_bool(ld, v, "train.enabled", &s->train.enabled)))
            return rc;
        if ((v = cfg_map_find(sec, "depth", &k)) && (rc = cfg_get_int(ld, v, "train.depth", 1, 1000, &t->depth)))
            return rc;
        if ((v = cfg_map_find(sec, "epochs", &k)) && (rc = cfg_get_int(ld, v, "train.epochs", 0, 100000, &t->epochs)))
            return rc;
        if ((v = cfg_map_find(sec, "batch", &k)) && (rc = cfg_get_int(ld, v, "train.batch", 1, 1000000, &t->batch)))
            return rc;
        if ((v = cfg_map_find(sec, "lr", &k)) &&
            (rc = cfg_get_double(ld, v, "train.lr", 0, 1, 1e3, "must be > 0", &t->lr)))
            return rc;
        if ((v = cfg_map_find(sec, "momentum", &k))) {
            if ((rc = cfg_get_double(ld, v, "train.momentum", 0, 0, 1, NULL, &t->momentum)))
                return rc;
            if (t->momentum >= 1)
                return cfg_failf(ld, v, "train.momentum: must be below 1 (got %s)", v->text);
        }
        if ((v = cfg_map_find(sec, "optimizer", &k))) {
            static const char *const names[] = {"sgd", "momentum", "adam"};
            int o = 0;
            if ((rc = cfg_get_choice(ld, v, "train.optimizer", names, 3, &o)))
                return rc;
            if (optimizer_from_name(names[o], &t->optimizer))
                return cfg_failf(ld, v, "train.optimizer: '%s' is not known to this build", names[o]);
        }
        if ((v = cfg_map_find(sec, "criticality_weight", &k)) &&
            (rc = cfg_get_double(ld, v, "train.criticality_weight", 0, 0, 1e6,
                                 "must be >= 0 (0 trains without the penalty)",
                                 &t->criticality_weight)))
            return rc;
        if ((v = cfg_map_find(sec, "train_subset", &k))) {
            long long x;
            if ((rc = cfg_get_long(ld, v, "train.train_subset", 0, 1000000000LL, &x)))
                return rc;
            s->train.train_subset = (long)x;
        }
        if ((data_node = cfg_map_find(sec, "data", &k)) &&
            (rc = cfg_get_str(ld, data_node, "train.data", &s->train.data_dir)))
            return rc;
    }
    if (s->train.enabled)
        return cfg_check_data_dir(ld, data_node ? data_node : sk, s->train.data_dir);
    return 0;
}

int cfg_parse_output(const loader *ld, const node *root, cs_sweep *s)
{
    node *sec, *sk, *v, *k;
    int rc = cfg_get_section(ld, root, "output", &sec, &sk);
    if (rc || !sec)
        return rc;
    if ((v = cfg_map_find(sec, "file", &k)) && (rc = cfg_get_str(ld, v, "output.file", &s->output.file)))
        return rc;
    if ((v = cfg_map_find(sec, "max_attempts", &k)) &&
        (rc = cfg_get_int(ld, v, "output.max_attempts", 1, 1000, &s->output.max_attempts)))
        return rc;
    return 0;
}

/* SLURM's --time: minutes, minutes:seconds, hours:minutes:seconds, days-hours,
 * days-hours:minutes, days-hours:minutes:seconds. */
static int cfg_slurm_time_ok(const char *t)
{
    int fields = 0, days = 0;
    const char *p = t;
    const char *dash = strchr(t, '-');
    if (dash) {
        if (dash == t)
            return 0;
        for (const char *q = t; q < dash; q++)
            if (!isdigit((unsigned char)*q))
                return 0;
        days = 1;
        p = dash + 1;
    }
    for (;;) {
        if (!isdigit((unsigned char)*p))
            return 0;
        while (isdigit((unsigned char)*p))
            p++;
        fields++;
        if (*p == ':') {
            p++;
            continue;
        }
        break;
    }
    return !*p && fields <= 3 && (!days || fields >= 1);
}

int cfg_parse_slurm(const loader *ld, const node *root, cs_sweep *s)
{
    node *sec, *sk, *v, *k;
    int rc = cfg_get_section(ld, root, "slurm", &sec, &sk);
    if (rc || !sec)
        return rc;
    cs_slurm_options *o = &s->slurm;
    if ((v = cfg_map_find(sec, "partition", &k)) && (rc = cfg_get_str(ld, v, "slurm.partition", &o->partition)))
        return rc;
    if ((v = cfg_map_find(sec, "account", &k)) && (rc = cfg_get_str(ld, v, "slurm.account", &o->account)))
        return rc;
    if ((v = cfg_map_find(sec, "qos", &k)) && (rc = cfg_get_str(ld, v, "slurm.qos", &o->qos)))
        return rc;
    if ((v = cfg_map_find(sec, "time", &k))) {
        /* YAML 1.1 would read 2:00:00 as a sexagesimal number; libyaml hands us the
         * text, which is what SLURM wants. */
        if ((rc = cfg_get_str(ld, v, "slurm.time", &o->time)))
            return rc;
        if (!cfg_slurm_time_ok(o->time))
            return cfg_failf(ld, v, "slurm.time: '%s' is not a SLURM time (minutes, HH:MM:SS, "
                                "D-HH:MM:SS, ...)", o->time);
    }
    if ((v = cfg_map_find(sec, "mem_per_cpu", &k))) {
        if ((rc = cfg_get_str(ld, v, "slurm.mem_per_cpu", &o->mem_per_cpu)))
            return rc;
        const char *p = o->mem_per_cpu;
        while (isdigit((unsigned char)*p))
            p++;
        if (p == o->mem_per_cpu || (*p && (strchr("KMGTkmgt", *p) == NULL || p[1])))
            return cfg_failf(ld, v, "slurm.mem_per_cpu: '%s' is not a SLURM memory size (e.g. 2G, "
                                "500M)", o->mem_per_cpu);
    }
    if ((v = cfg_map_find(sec, "nodes", &k)) && (rc = cfg_get_int(ld, v, "slurm.nodes", 1, 100000, &o->nodes)))
        return rc;
    if ((v = cfg_map_find(sec, "ntasks", &k)) && (rc = cfg_get_int(ld, v, "slurm.ntasks", 1, 10000000, &o->ntasks)))
        return rc;
    if ((v = cfg_map_find(sec, "ntasks_per_node", &k)) &&
        (rc = cfg_get_int(ld, v, "slurm.ntasks_per_node", 1, 100000, &o->ntasks_per_node)))
        return rc;
    if ((v = cfg_map_find(sec, "max_requeues", &k)) &&
        (rc = cfg_get_int(ld, v, "slurm.max_requeues", 0, 10000, &o->max_requeues)))
        return rc;
    if ((v = cfg_map_find(sec, "signal_lead", &k)) &&
        (rc = cfg_get_int(ld, v, "slurm.signal_lead", 0, 65535, &o->signal_lead)))
        return rc;
    if ((v = cfg_map_find(sec, "extra", &k))) {
        if (v->kind != NODE_SEQ)
            return cfg_failf(ld, v, "slurm.extra: expected a list of sbatch options, got %s",
                         cfg_kind_name(v));
        if (!(o->extra = calloc((size_t)v->n + 1, sizeof *o->extra)))
            return cfg_failf(ld, v, "slurm.extra: out of memory");
        char ipath[64];
        for (int i = 0; i < v->n; i++) {
            snprintf(ipath, sizeof ipath, "slurm.extra[%d]", i);
            if ((rc = cfg_get_str(ld, v->vals[i], ipath, &o->extra[i])))
                return rc;
            o->n_extra = i + 1;
            if (!strncmp(o->extra[i], "#SBATCH", 7))
                return cfg_failf(ld, v->vals[i], "%s: write the option without the #SBATCH prefix "
                                             "(e.g. --constraint=avx2)", ipath);
            if (o->extra[i][0] != '-')
                return cfg_failf(ld, v->vals[i], "%s: '%s' is not an sbatch option (they start with "
                                             "'-', e.g. --constraint=avx2)", ipath, o->extra[i]);
        }
    }
    return 0;
}

int cfg_name_ok(const char *n)
{
    if (!*n || strlen(n) > 128 || !isalnum((unsigned char)n[0]))
        return 0;
    for (; *n; n++)
        if (!isalnum((unsigned char)*n) && !strchr("._-", *n))
            return 0;
    return 1;
}

/* Default name: the basename without .yaml/.yml, other characters turned into '_'. */
char *cfg_default_name(const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strlen(b);
    if (n > 5 && !strcmp(b + n - 5, ".yaml"))
        n -= 5;
    else if (n > 4 && !strcmp(b + n - 4, ".yml"))
        n -= 4;
    if (n > 128)
        n = 128;
    char *s = malloc(n + 2);
    if (!s)
        return NULL;
    size_t j = 0;
    if (n == 0 || !isalnum((unsigned char)b[0]))
        s[j++] = 's';
    for (size_t i = 0; i < n; i++)
        s[j++] = (isalnum((unsigned char)b[i]) || strchr("._-", b[i])) ? b[i] : '_';
    s[j] = '\0';
    return s;
}

/* test_config.c — the sweep-file loader: ranges against numpy.linspace/geomspace values,
 * seeds, overrides, defaults against the README's reference settings (the science section), hash stability and
 * sensitivity, print → load round trip, and error messages with file:line:col. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "critsweep/avalanche.h"
#include "critsweep/axis.h"
#include "critsweep/config.h"
#include "critsweep/data.h"

#include "check.h"

static double max_diff;

/* Relative difference, tracked for the final report. */
static void close_to(double got, double want, double tol, const char *what)
{
    double d = fabs(got - want) / (fabs(want) > 1e-300 ? fabs(want) : 1.0);
    if (d > max_diff)
        max_diff = d;
    CHECK(d <= tol, "%s: got %.17g, want %.17g (rel diff %.3g > %.3g)", what, got, want, d, tol);
}

static int load(const char *text, const char *const *sets, int n, cs_sweep *s, cs_err *e)
{
    return config_load_text(text, strlen(text), "t.yaml", sets, n, s, e);
}

/* Loads text that must be valid; returns its hash. */
static uint64_t hash_of(const char *text, const char *const *sets, int n)
{
    cs_sweep s;
    cs_err e = {0};
    int rc = load(text, sets, n, &s, &e);
    CHECK(rc == 0, "expected a valid sweep, got: %s", e.msg);
    uint64_t h = rc ? 0 : s.hash;
    config_free(&s);
    return h;
}

/* The text must fail with exit 2 and a message starting with prefix and containing sub. */
static void expect_error(const char *text, const char *const *sets, int n, const char *prefix,
                         const char *sub)
{
    cs_sweep s;
    cs_err e = {0};
    int rc = load(text, sets, n, &s, &e);
    CHECK(rc == CS_EXIT_USAGE, "expected exit 2 for [%s], got %d", sub, rc);
    CHECK(!strncmp(e.msg, prefix, strlen(prefix)), "message '%s' does not start with '%s'", e.msg,
          prefix);
    CHECK(strstr(e.msg, sub) != NULL, "message '%s' does not contain '%s'", e.msg, sub);
    CHECK(!strchr(e.msg, '\n'), "message '%s' is not one line", e.msg);
    config_free(&s); /* must be harmless after a failure */
}

#define BASE "grid:\n  width: [16, 8]\n  sigma_w2: [1.5, 0.5, 1.0]\ntrain: {enabled: false}\n"

static void test_ranges(void)
{
    cs_sweep s;
    cs_err e = {0};
    const char *t = "grid:\n"
                    "  width: 8\n"
                    "  sigma_w2: {start: 0.5, stop: 2.0, num: 7}\n"
                    "  sigma_b2: {start: 0.001, stop: 0.05, num: 5, scale: log}\n"
                    "train: {enabled: false}\n";
    int rc = load(t, NULL, 0, &s, &e);
    CHECK(rc == 0, "ranges: %s", e.msg);
    if (rc)
        return;
    /* numpy.linspace(0.5, 2.0, 7) and numpy.geomspace(0.001, 0.05, 5) */
    static const double lin[] = {0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0};
    static const double geo[] = {0.001, 0.002659147948472494, 0.0070710678118654745,
                                 0.018803015465431967, 0.05};
    CHECK(s.n_sigma_w2 == 7 && s.n_sigma_b2 == 5, "range sizes %d %d", s.n_sigma_w2,
          s.n_sigma_b2);
    for (int i = 0; i < 7 && i < s.n_sigma_w2; i++)
        close_to(s.sigma_w2[i], lin[i], 1e-15, "linspace");
    for (int i = 0; i < 5 && i < s.n_sigma_b2; i++)
        close_to(s.sigma_b2[i], geo[i], 1e-13, "geomspace");
    CHECK(s.sigma_b2[0] == 0.001 && s.sigma_b2[4] == 0.05, "range ends must be exact");
    CHECK(s.n_width == 1 && s.width[0] == 8, "scalar width as a one-element axis");
    config_free(&s);

    /* numpy.linspace(0.9, 1.1, 6), as a descending range: sorted ascending */
    static const double lin2[] = {0.9, 0.9400000000000001, 0.9800000000000001, 1.02, 1.06, 1.1};
    rc = load("grid: {width: [8], sigma_w2: {start: 1.1, stop: 0.9, num: 6}}\n"
              "train: {enabled: false}\n", NULL, 0, &s, &e);
    CHECK(rc == 0, "descending range: %s", e.msg);
    for (int i = 0; !rc && i < 6; i++)
        close_to(s.sigma_w2[i], lin2[i], 1e-15, "descending linspace");
    config_free(&s);
}

static void test_axes_and_seeds(void)
{
    cs_sweep s;
    cs_err e = {0};
    int rc = load("grid:\n  activation: [relu, tanh]\n  width: [64, 32]\n  sigma_w2: [2, 1.5]\n"
                  "  seeds: 3\ntrain: {enabled: false}\n",
                  NULL, 0, &s, &e);
    CHECK(rc == 0, "axes: %s", e.msg);
    if (!rc) {
        CHECK(s.n_activation == 2 && s.activation[0] == CS_ACT_RELU &&
                  s.activation[1] == CS_ACT_TANH, "activation order is kept");
        CHECK(s.n_width == 2 && s.width[0] == 32 && s.width[1] == 64, "widths sorted");
        CHECK(s.sigma_w2[0] == 1.5 && s.sigma_w2[1] == 2, "sigma_w2 sorted");
        CHECK(s.n_sigma_b2 == 1 && s.sigma_b2[0] == 0, "sigma_b2 defaults to [0]");
        CHECK(s.n_seed == 3 && s.seeds[0] == 0 && s.seeds[2] == 2, "seeds: 3 -> 0,1,2");
    }
    config_free(&s);
    rc = load("grid: {width: [8], sigma_w2: [1], seeds: [7, 3, 9223372036854775807]}\n"
              "train: {enabled: false}\n", NULL, 0, &s, &e);
    CHECK(rc == 0, "seed list: %s", e.msg);
    if (!rc)
        CHECK(s.n_seed == 3 && s.seeds[0] == 7 && s.seeds[1] == 3 &&
                  s.seeds[2] == 9223372036854775807ull, "seed list kept as given");
    config_free(&s);
}

static void test_defaults(void)
{
    cs_sweep s;
    cs_err e = {0};
    int rc = load("grid: {width: [8], sigma_w2: [1]}\ntrain: {enabled: false}\n", NULL, 0, &s, &e);
    CHECK(rc == 0, "defaults: %s", e.msg);
    if (rc)
        return;
    /* the reference settings (README, the science section) */
    CHECK(s.avalanche.q0 == 0.1, "q0 %g", s.avalanche.q0);
    CHECK(s.avalanche.per_network == 1000, "K %ld", s.avalanche.per_network);
    CHECK(s.avalanche.convention == CS_CONV_REFERENCE, "reference convention");
    CHECK(s.avalanche.mode == CS_MODE_DIFFERENCE, "difference mode");
    CHECK(s.avalanche.shape_dmin == 60 && s.avalanche.shape_dmax == 250, "shape window");
    CHECK(s.avalanche.shape_min_count == 20, "shape min count");
    CHECK(s.fit.xmin_s == 0.5 && s.fit.xmin_d == 5, "xmin %g %g", s.fit.xmin_s, s.fit.xmin_d);
    CHECK(s.fit.gamma_min_count == 100, "gamma min count");
    CHECK(s.train.params.epochs == 5 && s.train.params.batch == 128 &&
              s.train.params.lr == 0.01 && s.train.params.momentum == 0.9 &&
              s.train.params.optimizer == CS_OPT_MOMENTUM, "train defaults");
    CHECK(s.output.max_attempts == 3, "max_attempts");
    CHECK(s.slurm.max_requeues == 10 && s.slurm.signal_lead == 120, "slurm defaults");
    CHECK(!strcmp(s.name, "t"), "name from file name: '%s'", s.name);
    CHECK(!strcmp(s.output.file, "t.h5"), "output from name: '%s'", s.output.file);
    CHECK(!strcmp(s.train.data_dir, CS_DEFAULT_DATA_DIR), "data dir");
    CHECK(s.seed == 0, "seed 0");
    CHECK(strlen(s.hash_hex) == 16, "hash_hex");
    config_free(&s);

    /* Every field of the documented schema, read back */
    const char *full =
        "name: full-1\nseed: 18446744073709551615\n"
        "grid: {activation: [erf, hardtanh, linear], width: [4], sigma_b2: 0.1, sigma_w2: [1]}\n"
        "avalanche: {depth: 500, q0: 0.2, inputs: 2.5e5, per_network: 250, convention: strict,\n"
        "            mode: absolute, shape_window: [10, 100], shape_min_count: 5}\n"
        "fit: {xmin_s: auto, xmin_d: 3, gamma_min_count: 50, bootstrap: 10,\n"
        "      shape_gamma_min: 1.2, shape_gamma_max: 2.5, shape_gamma_step: 0.05}\n"
        "train: {enabled: no, depth: 4, epochs: 0, batch: 32, lr: 1e-3, momentum: 0,\n"
        "        optimizer: adam, train_subset: 5000, data: /nowhere}\n"
        "output: {file: out/x.h5, max_attempts: 5}\n"
        "slurm: {partition: cpu, account: lab, qos: normal, time: 1-12:00:00, nodes: 2,\n"
        "        ntasks: 64, ntasks_per_node: 32, mem_per_cpu: 2G, max_requeues: 4,\n"
        "        signal_lead: 300, extra: [--constraint=avx2, --exclusive]}\n";
    rc = load(full, NULL, 0, &s, &e);
    CHECK(rc == 0, "full schema: %s", e.msg);
    if (rc)
        return;
    CHECK(!strcmp(s.name, "full-1") && s.seed == 18446744073709551615ull, "name/seed");
    CHECK(s.n_activation == 3 && s.activation[2] == CS_ACT_LINEAR, "activations");
    CHECK(s.avalanche.depth == 500 && s.avalanche.q0 == 0.2 && s.avalanche.inputs == 250000 &&
              s.avalanche.per_network == 250 && s.avalanche.convention == CS_CONV_STRICT &&
              s.avalanche.mode == CS_MODE_ABSOLUTE && s.avalanche.shape_dmin == 10 &&
              s.avalanche.shape_dmax == 100 && s.avalanche.shape_min_count == 5, "avalanche");
    CHECK(s.fit.xmin_s <= 0 && s.fit.xmin_d == 3 && s.fit.gamma_min_count == 50 &&
              s.fit.bootstrap == 10 && s.fit.shape_gamma_lo == 1.2 &&
              s.fit.shape_gamma_hi == 2.5 && s.fit.shape_gamma_step == 0.05, "fit");
    CHECK(!s.train.enabled && s.train.params.depth == 4 && s.train.params.epochs == 0 &&
              s.train.params.batch == 32 && s.train.params.lr == 1e-3 &&
              s.train.params.momentum == 0 && s.train.params.optimizer == CS_OPT_ADAM &&
              s.train.train_subset == 5000 && !strcmp(s.train.data_dir, "/nowhere"), "train");
    CHECK(!strcmp(s.output.file, "out/x.h5") && s.output.max_attempts == 5, "output");
    CHECK(!strcmp(s.slurm.partition, "cpu") && !strcmp(s.slurm.account, "lab") &&
              !strcmp(s.slurm.qos, "normal") && !strcmp(s.slurm.time, "1-12:00:00") &&
              s.slurm.nodes == 2 && s.slurm.ntasks == 64 && s.slurm.ntasks_per_node == 32 &&
              !strcmp(s.slurm.mem_per_cpu, "2G") && s.slurm.max_requeues == 4 &&
              s.slurm.signal_lead == 300 && s.slurm.n_extra == 2 &&
              !strcmp(s.slurm.extra[1], "--exclusive"), "slurm");
    config_free(&s);
}

static void test_overrides(void)
{
    cs_sweep s;
    cs_err e = {0};
    const char *sets[] = {"avalanche.inputs=500", "grid.width=[64,128]", "seed=42",
                          "grid.sigma_w2={start: 0.5, stop: 1.5, num: 3}", "output.file=o.h5",
                          "slurm.extra=[--exclusive]"};
    int rc = load(BASE, sets, 6, &s, &e);
    CHECK(rc == 0, "overrides: %s", e.msg);
    if (!rc) {
        CHECK(s.avalanche.inputs == 500, "inputs override");
        CHECK(s.n_width == 2 && s.width[0] == 64 && s.width[1] == 128, "width override");
        CHECK(s.seed == 42, "seed override");
        CHECK(s.n_sigma_w2 == 3 && s.sigma_w2[1] == 1.0, "range override");
        CHECK(!strcmp(s.output.file, "o.h5"), "output override");
        CHECK(s.slurm.n_extra == 1, "new section from an override");
        CHECK(strstr(s.yaml_text, "#   avalanche.inputs=500") != NULL,
              "overrides recorded in yaml_text");
    }
    config_free(&s);
    /* an override equals writing it in the file */
    const char *one[] = {"avalanche.depth=77"};
    CHECK(hash_of(BASE, one, 1) == hash_of(BASE "avalanche: {depth: 77}\n", NULL, 0),
          "override and file give the same hash");
    /* dotted key into an existing range */
    const char *num[] = {"grid.sigma_w2.num=4"};
    rc = load("grid: {width: [8], sigma_w2: {start: 1, stop: 2, num: 3}}\ntrain: {enabled: false}\n",
              num, 1, &s, &e);
    CHECK(rc == 0 && s.n_sigma_w2 == 4, "range num override: %s", e.msg);
    config_free(&s);
    /* training switched back on by an override needs the dataset */
    const char *on[] = {"train.enabled=true", "train.data=/nonexistent-dataset"};
    expect_error(BASE, on, 2, "--set train.data=/nonexistent-dataset: ", "does not exist");
    const char *bad[] = {"avalanche.depth=2"};
    expect_error(BASE, bad, 1, "--set avalanche.depth=2: ", "at least 4");
    const char *unk[] = {"avalanche.inptus=5"};
    expect_error(BASE, unk, 1, "--set avalanche.inptus=5: ", "did you mean 'inputs'");
    const char *noeq[] = {"avalanche.depth"};
    expect_error(BASE, noeq, 1, "--set avalanche.depth: ", "key=value");
    const char *empty[] = {"avalanche.depth="};
    expect_error(BASE, empty, 1, "--set avalanche.depth=: ", "no value");
    const char *into[] = {"grid.width.x=3"};
    expect_error(BASE, into, 1, "--set grid.width.x=3: ", "not a section");
}

static void test_hash(void)
{
    uint64_t h0 = hash_of(BASE, NULL, 0);
    /* cosmetic changes: order, spacing, comments, flow vs block, list order, range form */
    CHECK(h0 == hash_of("# a comment\ntrain: {enabled: false}\ngrid:\n  sigma_w2: [0.5, 1.0, 1.5]\n"
                        "  width:   [8, 16]\n", NULL, 0), "cosmetic change changed the hash");
    CHECK(h0 == hash_of("grid: {width: [8, 16], sigma_w2: {start: 0.5, stop: 1.5, num: 3}, "
                        "activation: [tanh], sigma_b2: 0, seeds: [0]}\ntrain: {enabled: false}\n",
                        NULL, 0), "explicit defaults / range form changed the hash");
    /* not science: output, slurm, name, data path of a disabled training, its settings */
    CHECK(h0 == hash_of(BASE "output: {file: elsewhere.h5, max_attempts: 9}\n"
                             "slurm: {partition: big, time: '10:00'}\nname: other\n", NULL, 0),
          "output/slurm/name changed the hash");
    CHECK(h0 == hash_of("grid:\n  width: [16, 8]\n  sigma_w2: [1.5, 0.5, 1.0]\n"
                        "train: {enabled: false, epochs: 50, data: /x}\n", NULL, 0),
          "settings of a disabled training changed the hash");
    /* science changes */
    const char *variants[] = {
        "grid:\n  width: [16, 8]\n  sigma_w2: [1.5, 0.5, 1.01]\ntrain: {enabled: false}\n",
        "grid:\n  width: [16, 9]\n  sigma_w2: [1.5, 0.5, 1.0]\ntrain: {enabled: false}\n",
        "grid:\n  width: [16, 8]\n  sigma_w2: [1.5, 0.5, 1.0]\n  sigma_b2: [0.01]\ntrain: {enabled: false}\n",
        "grid:\n  width: [16, 8]\n  sigma_w2: [1.5, 0.5, 1.0]\n  seeds: 2\ntrain: {enabled: false}\n",
        "grid:\n  width: [16, 8]\n  sigma_w2: [1.5, 0.5, 1.0]\n  activation: [relu]\ntrain: {enabled: false}\n",
        BASE "seed: 1\n",
        BASE "avalanche: {inputs: 999}\n",
        BASE "avalanche: {q0: 0.10000000000000002}\n",
        BASE "avalanche: {convention: strict}\n",
        BASE "avalanche: {per_network: 999}\n",
        BASE "fit: {xmin_s: 0.6}\n",
        BASE "fit: {xmin_d: auto}\n",
    };
    for (size_t i = 0; i < sizeof variants / sizeof *variants; i++) {
        uint64_t h = hash_of(variants[i], NULL, 0);
        CHECK(h != h0, "science change %zu kept the hash", i);
        for (size_t j = 0; j < i; j++)
            CHECK(h != hash_of(variants[j], NULL, 0), "variants %zu and %zu collide", i, j);
    }
    /* training on: its settings count, its data path does not */
    struct stat st;
    if (!stat(CS_DEFAULT_DATA_DIR "/train-images-idx3-ubyte.gz", &st)) {
        const char *g = "grid: {width: [8], sigma_w2: [1]}\n";
        char a[256], b[256], c[256];
        snprintf(a, sizeof a, "%strain: {epochs: 2}\n", g);
        snprintf(b, sizeof b, "%strain: {epochs: 3}\n", g);
        snprintf(c, sizeof c, "%strain: {epochs: 2, data: %s/}\n", g, CS_DEFAULT_DATA_DIR);
        CHECK(hash_of(a, NULL, 0) != hash_of(b, NULL, 0), "train.epochs kept the hash");
        CHECK(hash_of(a, NULL, 0) == hash_of(c, NULL, 0), "train.data changed the hash");
    } else {
        printf("note: %s absent, training-on hash checks skipped\n", CS_DEFAULT_DATA_DIR);
    }
    /* a fixed value pins the canonical form: changing it changes every results file's hash */
    cs_sweep s;
    cs_err e = {0};
    if (!load(BASE, NULL, 0, &s, &e)) {
        char *canon = config_canonical_text(&s);
        CHECK(canon && strstr(canon, "sigma_w2=0x1p-1,0x1p+0,0x1.8p+0"), "canonical text: %s",
              canon ? canon : "(null)");
        free(canon);
        printf("hash of BASE: %s\n", s.hash_hex);
    }
    config_free(&s);
}

static void test_print_roundtrip(void)
{
    const char *texts[] = {
        BASE,
        "name: rt\nseed: 5\ngrid: {activation: [relu, erf], width: [3, 1000], "
        "sigma_b2: {start: 0.001, stop: 0.3, num: 7, scale: log}, "
        "sigma_w2: {start: 0.1, stop: 3.3, num: 11}, seeds: [4, 2]}\n"
        "avalanche: {q0: 0.3333333333333333, inputs: 123, shape_window: [3, 9]}\n"
        "fit: {xmin_s: auto, xmin_d: auto}\n"
        "train: {enabled: false, lr: 0.1234567890123}\n"
        "slurm: {partition: \"we \\\"quote\\\"\", extra: [--a, --b=c d]}\n",
        "grid: {width: [8], sigma_w2: [1], q0: {start: 0.001, stop: 0.1, num: 3, scale: log}}\n"
        "train: {enabled: false}\n",
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        cs_sweep a, b;
        cs_err e = {0};
        if (load(texts[i], NULL, 0, &a, &e)) {
            CHECK(0, "roundtrip %zu: %s", i, e.msg);
            continue;
        }
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        config_print(&a, f);
        fclose(f);
        int rc = config_load_text(buf, len, "printed.yaml", NULL, 0, &b, &e);
        CHECK(rc == 0, "printed sweep %zu does not load: %s\n%s", i, e.msg, buf);
        if (!rc) {
            CHECK(a.hash == b.hash, "printed sweep %zu hashes %s, original %s", i, b.hash_hex,
                  a.hash_hex);
            CHECK(!strcmp(a.name, b.name) && !strcmp(a.output.file, b.output.file) &&
                      a.slurm.n_extra == b.slurm.n_extra, "printed sweep %zu: names differ", i);
            if (a.slurm.partition)
                CHECK(b.slurm.partition && !strcmp(a.slurm.partition, b.slurm.partition),
                      "partition with quotes survives printing");
        }
        config_free(&b);
        config_free(&a);
        free(buf);
    }
}

static void test_errors(void)
{
    /* positions: 1-based line:col of the offending value */
    expect_error("grid:\n  width: [8]\n  sigma_w2: [1.0, -2]\n", NULL, 0, "t.yaml:3:19: ",
                 "variance cannot be negative");
    expect_error("grid:\n  width: [8]\n  sigma_w2: [1]\navalanche:\n  depht: 4\n", NULL, 0,
                 "t.yaml:5:3: ", "did you mean 'depth'");
    expect_error("grid:\n\twidth: [8]\n", NULL, 0, "t.yaml:2:1: ", "tab");
    expect_error("grid:\n  width: [8\n", NULL, 0, "t.yaml:3:1: ", "YAML syntax error");
    expect_error(BASE "avalanche: {depth: 3}\n", NULL, 0, "t.yaml:5:20: ", "at least 4");
    expect_error(BASE "avalanche: {q0: 0}\n", NULL, 0, "t.yaml:5:17: ", "> 0");
    expect_error(BASE "avalanche: {per_network: 0}\n", NULL, 0, "t.yaml:5:26: ", "at least 1");
    expect_error(BASE "train: {epochs: -1}\n", NULL, 0, "t.yaml:5:1: ", "duplicate key 'train'");
    expect_error("grid: {width: [8], sigma_w2: [1]}\ntrain: {enabled: false, epochs: -1}\n", NULL, 0,
                 "t.yaml:2:33: ", "at least 0");
    expect_error("grid: {width: [0], sigma_w2: [1]}\n", NULL, 0, "t.yaml:1:16: ", "at least 1");
    expect_error("grid: {width: [8, 8], sigma_w2: [1]}\n", NULL, 0, "t.yaml:1:19: ", "duplicate");
    expect_error("grid: {width: [8], sigma_w2: []}\n", NULL, 0, "t.yaml:1:30: ", "empty axis");
    expect_error("grid: {width: [8], sigma_w2: {start: 0.1, stop: 2, num: 10000}, "
                 "sigma_b2: {start: 0, stop: 1, num: 10000}}\n", NULL, 0, "t.yaml:1:1: ",
                 "exceeds the limit");
    expect_error("grid: {width: [8], sigma_w2: [1]}\ntrain: {data: /no/such/dir}\n", NULL, 0,
                 "t.yaml:2:15: ", "does not exist");
    expect_error("grid: {width: [8], sigma_w2: [1]}\ntrain: {enabled: true, data: /no/such/dir}\n",
                 NULL, 0, "t.yaml:2:30: ", "does not exist");
    expect_error("", NULL, 0, "t.yaml:1:1: ", "empty");
    expect_error("grid: {width: [8], sigma_w2: [1]}\nx: &a 1\ny: *a\n", NULL, 0, "t.yaml:3:4: ",
                 "aliases");
    cs_sweep s;
    cs_err e = {0};
    int rc = config_load("/nonexistent/sweep.yaml", NULL, 0, &s, &e);
    CHECK(rc == CS_EXIT_USAGE && strstr(e.msg, "/nonexistent/sweep.yaml"),
          "missing file: rc %d '%s'", rc, e.msg);
    config_free(&s);
}

/* Two loads interleaved: no global parser state leaks between them. */
/* The drive strength as a grid axis: parsed like the variance axes, exclusive with
 * avalanche.q0, hashed only when given. */
static void test_q0_axis(void)
{
    avalanche_params ap;
    avalanche_params_default(&ap);
    CHECK(axis_defs[CS_AXIS_Q0].def == ap.q0, "q0 axis default %g, avalanche default %g",
          axis_defs[CS_AXIS_Q0].def, ap.q0);
    const char *log3 = "grid: {width: [8], sigma_w2: [1], q0: {start: 0.001, stop: 0.1, num: 3, "
                       "scale: log}}\ntrain: {enabled: false}\n";
    cs_sweep s;
    cs_err e = {0};
    if (load(log3, NULL, 0, &s, &e)) {
        CHECK(0, "q0 axis: %s", e.msg);
    } else {
        static const double want[3] = {1e-3, 1e-2, 1e-1}; /* numpy.geomspace(1e-3, 1e-1, 3) */
        CHECK(s.n_q0 == 3, "q0 axis has %d values", s.n_q0);
        for (int i = 0; i < s.n_q0 && i < 3; i++)
            close_to(s.q0[i], want[i], 1e-15, "grid.q0 log range");
        CHECK(axis_ndims(&s) == 6 && axis_present(&s, CS_AXIS_Q0), "q0 axis is a dimension");
        config_free(&s);
    }
    const char *plain = "grid: {width: [8], sigma_w2: [1]}\ntrain: {enabled: false}\n";
    if (!load(plain, NULL, 0, &s, &e)) {
        CHECK(axis_ndims(&s) == 5 && !axis_present(&s, CS_AXIS_Q0), "no q0 axis: 5 dims");
        config_free(&s);
    }
    /* given as an axis, q0 changes the hash; one value equal to the scalar still differs
     * (the file gains a dimension) */
    CHECK(hash_of(plain, NULL, 0) != hash_of(log3, NULL, 0), "q0 axis did not change the hash");
    const char *q01[] = {"grid.q0=[0.1]"};
    CHECK(hash_of(plain, NULL, 0) != hash_of(plain, q01, 1), "a one-value q0 axis kept the hash");
    expect_error("grid:\n  width: [8]\n  sigma_w2: [1]\n  q0: [0.01, 0]\n", NULL, 0,
                 "t.yaml:4:14: ", "grid.q0[1]: must be > 0");
    expect_error("grid:\n  width: [8]\n  sigma_w2: [1]\n  q0: [0.01]\navalanche:\n  q0: 0.1\n",
                 NULL, 0, "t.yaml:6:7: ", "avalanche.q0: the drive strength is also a grid axis");
    expect_error("grid:\n  width: [8]\n  sigma_w2: [1]\n  q0: {start: 0, stop: 1, num: 3}\n", NULL,
                 0, "t.yaml:4:15: ", "grid.q0.start: must be > 0");
}

/* Adaptive axes: round 1's values, a hash of the description (not of the points they
 * grow), the printed form loads back to the same hash, and the budgets are checked. */
#define ADAPT "grid:\n  width: [8]\n  sigma_w2: {adaptive: {start: 0.5, stop: 1.7, initial: 7, " \
              "budget: 20, tol: 0.01, target: [widom, ridge]}}\n  seeds: {adaptive: {initial: 2, " \
              "budget: 4}}\ntrain: {enabled: false}\n"

static void test_adaptive(void)
{
    cs_sweep s;
    cs_err e = {0};
    int rc = load(ADAPT, NULL, 0, &s, &e);
    CHECK(rc == 0, "adaptive sweep: %s", e.msg);
    if (rc)
        return;
    CHECK(s.n_sigma_w2 == 7 && s.sigma_w2[0] == 0.5 && s.sigma_w2[6] == 1.7, "round 1: 7 values");
    close_to(s.sigma_w2[3], 1.1, 1e-15, "round 1's middle value");
    CHECK(s.n_seed == 2 && s.seeds[1] == 1, "round 1: seeds 0, 1");
    CHECK(s.adaptive[CS_AXIS_SIGMA_W2].targets == (CS_TARGET_WIDOM | CS_TARGET_RIDGE), "targets");
    uint64_t h = s.hash;
    /* More points (what a round adds) keep the hash; the description changes it. */
    double *more = realloc(s.sigma_w2, 8 * sizeof *more);
    CHECK(more != NULL, "realloc");
    if (more) {
        s.sigma_w2 = more;
        s.sigma_w2[7] = 1.15;
        s.n_sigma_w2 = 8;
        config_rehash(&s);
        CHECK(s.hash == h, "a grown grid keeps the hash");
    }
    const char *tol[] = {"grid.sigma_w2.adaptive.tol=0.02"};
    CHECK(hash_of(ADAPT, tol, 1) != h, "another tol is another sweep");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    config_print(&s, f);
    fclose(f);
    cs_sweep b;
    rc = config_load_text(buf, len, "printed.yaml", NULL, 0, &b, &e);
    CHECK(rc == 0 && b.hash == h, "the printed adaptive sweep loads with the same hash: %s", e.msg);
    if (!rc)
        config_free(&b);
    free(buf);
    config_free(&s);
    const char *b5[] = {"grid.sigma_w2.adaptive.budget=5"};
    expect_error(ADAPT, b5, 1, "--set", "budget: 5 is below initial (7)");
    const char *t0[] = {"grid.sigma_w2.adaptive.tol=-1"};
    expect_error(ADAPT, t0, 1, "--set", "tol: a tolerance must be > 0");
    const char *w[] = {"grid.width={adaptive: {initial: 2, budget: 3}}"};
    expect_error(ADAPT, w, 1, "--set", "only sigma_w2, sigma_b2 and seeds can grow");
    const char *i4[] = {"grid.sigma_w2.adaptive.initial=4"};
    expect_error(ADAPT, i4, 1, "--set", "initial: must be at least 6");
}

static void test_reentrant(void)
{
    cs_sweep a, b;
    cs_err e = {0};
    int ra = load(BASE, NULL, 0, &a, &e);
    int rb = load("grid: {width: [4], sigma_w2: [2]}\ntrain: {enabled: false}\n", NULL, 0, &b, &e);
    CHECK(!ra && !rb && a.n_width == 2 && b.n_width == 1 && a.hash != b.hash, "two sweeps at once");
    config_free(&a);
    config_free(&b);
}

int main(void)
{
    test_ranges();
    test_axes_and_seeds();
    test_defaults();
    test_overrides();
    test_hash();
    test_print_roundtrip();
    test_errors();
    test_q0_axis();
    test_adaptive();
    test_reentrant();
    printf("largest relative difference from numpy's linspace/geomspace: %.3g (tolerance 1e-13)\n",
           max_diff);
    printf("%s: %d failures\n", failures ? "FAIL" : "PASS", failures);
    return failures ? 1 : 0;
}

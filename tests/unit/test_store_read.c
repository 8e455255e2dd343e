/* test_store_read.c — the serial reader (store_read.h) on the committed 0.2.0 fixture of
 * the quick sweep: coordinates, task order, whole reads against slabs, texts, root
 * attributes, the runs table and its errors.  Includes no MPI or HDF5 header. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "check.h"
#include "critsweep/store_read.h"
#include "critsweep/task.h"

/* Unpacks the gzipped fixture into a temporary file; its name, or NULL. */
static char *unpack(const char *gz)
{
    static char name[256];
    const char *dir = getenv("TMPDIR");
    snprintf(name, sizeof name, "%s/critsweep-store-read-XXXXXX", dir && *dir ? dir : P_tmpdir);
    int fd = mkstemp(name);
    gzFile in = gzopen(gz, "rb");
    FILE *out = fd >= 0 ? fdopen(fd, "wb") : NULL;
    char buf[1 << 16];
    int n, ok = in && out;
    while (ok && (n = gzread(in, buf, sizeof buf)) > 0)
        ok = fwrite(buf, 1, (size_t)n, out) == (size_t)n;
    if (in)
        gzclose(in);
    if (out)
        ok &= fclose(out) == 0;
    return ok ? name : NULL;
}

static int same(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

static void check_axes(const store_reader *r)
{
    CHECK(r->n[STORE_AX_ACTIVATION] == 1 && r->n[STORE_AX_WIDTH] == 2 &&
          r->n[STORE_AX_SIGMA_B2] == 3 && r->n[STORE_AX_SIGMA_W2] == 12 &&
          r->n[STORE_AX_SEED] == 2, "axis lengths");
    CHECK(r->n_tasks == 144, "n_tasks %ld", r->n_tasks);
    CHECK(!strcmp(r->activation[0], "tanh"), "activation %s", r->activation[0]);
    CHECK(r->width[0] == 32 && r->width[1] == 64, "width");
    CHECK(r->sigma_b2[1] == 0.02 && r->sigma_w2[11] == 3.0, "sigma axes");
    long bad = 0;
    for (long t = 0; t < r->n_tasks; t++) {
        long back = 0;
        for (int a = 0; a < STORE_N_AXES; a++)
            back = back * r->n[a] + store_reader_axis_index(r, t, a);
        bad += back != t;
    }
    CHECK(!bad, "%ld tasks do not recompose from their axis indices", bad);
    char lab[64];
    store_reader_axis_label(r, STORE_AX_SIGMA_W2, 3, lab, sizeof lab);
    CHECK(!strcmp(lab, "1"), "label %s", lab);
    long done = 0;
    for (long t = 0; t < r->n_tasks; t++)
        done += r->status[t] == CS_STATUS_DONE && r->attempts[t] == 1;
    CHECK(done == 144, "%ld done in one attempt", done);
    CHECK(!r->integ.damaged && r->integ.has_checksums && r->integ.rows_verified,
          "integrity");
}

/* A slab of rows equals the same rows of the whole dataset. */
static void check_slab(const store_reader *r, const char *name, long per)
{
    long n = r->n_tasks * per, first = 37, count = 50;
    double *whole = malloc((size_t)n * sizeof *whole);
    double *slab = malloc((size_t)(count * per) * sizeof *slab);
    cs_err e = {0, ""};
    CHECK(whole && slab && !store_reader_doubles(r, name, whole, n, &e), "%s: %s", name, e.msg);
    CHECK(!store_reader_doubles_slab(r, name, first, count, per, slab, &e), "%s slab: %s", name,
          e.msg);
    long diff = 0;
    for (long i = 0; whole && slab && i < count * per; i++)
        diff += !same(whole[first * per + i], slab[i]);
    CHECK(!diff, "%s: %ld slab values differ from the whole read", name, diff);
    free(whole);
    free(slab);
}

static void check_errors(const store_reader *r)
{
    double v[4];
    cs_err e = {0, ""};
    CHECK(store_reader_doubles(r, "no_such_dataset", v, 4, &e) == CS_EXIT_USAGE &&
          strstr(e.msg, "no dataset 'no_such_dataset'"), "missing dataset: %s", e.msg);
    CHECK(store_reader_doubles(r, "S_mean", v, 4, &e) == CS_EXIT_USAGE &&
          strstr(e.msg, "has 144 elements, expected 4"), "wrong size: %s", e.msg);
    CHECK(store_reader_doubles_slab(r, "S_mean", 140, 5, 1, v, &e) != 0, "slab past the end");
    CHECK(!store_reader_has(r, "") && !store_reader_has(r, "runs/x") &&
          store_reader_has(r, "S_mean"), "has");
    store_reader bad;
    CHECK(store_reader_open(&bad, "tests/unit/check.h", 0, &e) == CS_EXIT_USAGE &&
          strstr(e.msg, "not an HDF5 file"), "not HDF5: %s", e.msg);
}

static void check_contents(const store_reader *r)
{
    check_slab(r, "S_mean", 1);
    long L = store_reader_len1(r, "duration");
    CHECK(L == 200, "duration length %ld", L);
    check_slab(r, "D_count", L);
    int64_t *inputs = malloc((size_t)r->n_tasks * sizeof *inputs);
    cs_err e = {0, ""};
    CHECK(inputs && !store_reader_int64(r, "n_inputs", inputs, r->n_tasks, &e) &&
          inputs[0] > 0, "n_inputs: %s", e.msg);
    free(inputs);
    char *notes = NULL;
    CHECK(!store_reader_strings(r, "fit_note", &notes, &e), "fit_note: %s", e.msg);
    long terminated = 0;
    for (long t = 0; notes && t < r->n_tasks; t++)
        terminated += strlen(notes + t * CS_REASON_LEN) < CS_REASON_LEN;
    CHECK(terminated == r->n_tasks, "fit notes terminated: %ld", terminated);
    free(notes);
    char *name = store_reader_attr_string(r, "sweep_name");
    CHECK(name && !strcmp(name, "quick"), "sweep_name %s", name ? name : "(none)");
    free(name);
    CHECK(!store_reader_attr_string(r, "no_such_attribute"), "absent attribute");
    int64_t nt = 0;
    double q0 = NAN;
    CHECK(!store_reader_attr_int64(r, "n_tasks", &nt) && nt == 144, "n_tasks attribute");
    CHECK(!store_reader_attr_double(r, "q0", &q0) && q0 > 0, "q0 attribute");
    store_run *runs = NULL;
    long nr = 0;
    CHECK(!store_reader_runs(r, &runs, &nr, &e) && nr >= 1 && runs[0].start[0] &&
          !strcmp(runs[0].exit_state, "complete"), "runs: %ld rows", nr);
    free(runs);
    CHECK(store_reader_derived_reserved(r), "derived datasets reserved");
}

int main(void)
{
    char *path = unpack("tests/fixtures/quick-0.2.0.h5.gz");
    CHECK(path, "cannot unpack the fixture");
    if (!path)
        return 1;
    store_reader r;
    cs_err e = {0, ""};
    int rc = store_reader_open(&r, path, 1, &e);
    CHECK(!rc, "open: %s", e.msg);
    if (!rc) {
        check_axes(&r);
        check_contents(&r);
        check_errors(&r);
        store_reader_suspend(&r);
        CHECK(!store_reader_resume(&r, &e) && store_reader_has(&r, "S_mean"), "resume");
        store_reader_close(&r);
    }
    unlink(path);
    printf("store_read: %s\n", failures ? "FAIL" : "ok");
    return failures != 0;
}

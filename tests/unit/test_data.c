/* test_data.c — the IDX reader against files written here (plain and gzipped with zlib):
 * round trip, standardisation against a double-precision recomputation, the training
 * subset, and every rejected input (wrong magic, truncation, label out of range, count
 * mismatch, missing directory/file) with exit code 2 and a message naming the file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "critsweep/data.h"

#include "check.h"

static double max_diff;

static char tmpdir[] = "/tmp/test_data_XXXXXX";

static void put32(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* Writes an IDX file: magic, sizes, then `len` bytes of data (which may be fewer than
 * the header promises, to make truncated files). */
static void write_idx(const char *path, int gz, unsigned magic, const unsigned *dims, int nd,
                      const unsigned char *data, size_t len)
{
    unsigned char hdr[16];
    put32(hdr, magic);
    for (int i = 0; i < nd; i++)
        put32(hdr + 4 + 4 * i, dims[i]);
    size_t hl = 4 + 4 * (size_t)nd;
    if (gz) {
        gzFile g = gzopen(path, "wb");
        if (!g || gzwrite(g, hdr, (unsigned)hl) != (int)hl ||
            (len && gzwrite(g, data, (unsigned)len) != (int)len) || gzclose(g) != Z_OK) {
            fprintf(stderr, "cannot write %s\n", path);
            exit(1);
        }
    } else {
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(hdr, 1, hl, f) != hl || (len && fwrite(data, 1, len, f) != len) ||
            fclose(f)) {
            fprintf(stderr, "cannot write %s\n", path);
            exit(1);
        }
    }
}

#define ROWS 3
#define COLS 4
#define NTRAIN 20
#define NTEST 7

static unsigned char train_img[NTRAIN * ROWS * COLS], test_img[NTEST * ROWS * COLS];
static unsigned char train_lab[NTRAIN], test_lab[NTEST];

static int mkdir_p(const char *dir)
{
    if (mkdir(dir, 0700) != 0) {
        perror(dir);
        return -1;
    }
    return 0;
}

/* A complete data set in dir/name: train files gzipped, test files plain. */
static void write_set(const char *sub)
{
    char dir[512], p[1024];
    snprintf(dir, sizeof dir, "%s/%s", tmpdir, sub);
    if (access(dir, F_OK) != 0 && mkdir_p(dir))
        exit(1);
    unsigned d3[3] = {NTRAIN, ROWS, COLS}, d1[1] = {NTRAIN};
    snprintf(p, sizeof p, "%s/train-images-idx3-ubyte.gz", dir);
    write_idx(p, 1, 0x803, d3, 3, train_img, sizeof train_img);
    snprintf(p, sizeof p, "%s/train-labels-idx1-ubyte.gz", dir);
    write_idx(p, 1, 0x801, d1, 1, train_lab, sizeof train_lab);
    unsigned t3[3] = {NTEST, ROWS, COLS}, t1[1] = {NTEST};
    snprintf(p, sizeof p, "%s/t10k-images-idx3-ubyte", dir);
    write_idx(p, 0, 0x803, t3, 3, test_img, sizeof test_img);
    snprintf(p, sizeof p, "%s/t10k-labels-idx1-ubyte", dir);
    write_idx(p, 0, 0x801, t1, 1, test_lab, sizeof test_lab);
}

/* data_load on dir/sub must fail with code 2 and a message containing `needle`. */
static void expect_load_error(const char *sub, const char *needle, const char *what)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/%s", tmpdir, sub);
    data_bundle b;
    cs_err err = {0};
    int rc = data_load(dir, 0, &b, &err);
    CHECK(rc == CS_EXIT_USAGE, "%s: data_load returned %d, want %d", what, rc, CS_EXIT_USAGE);
    CHECK(strstr(err.msg, needle) != NULL, "%s: message '%s' does not name '%s'", what, err.msg,
          needle);
    printf("%-22s -> exit %d: %s\n", what, rc, err.msg);
    if (rc == 0)
        data_free(&b);
}

static void test_roundtrip_and_stats(void)
{
    char dir[512], p[1024];
    snprintf(dir, sizeof dir, "%s/good", tmpdir);
    /* data_read_idx on both the gz and the plain file */
    unsigned char *bytes = NULL;
    long n = 0;
    int r = 0, c = 0;
    cs_err err = {0};
    snprintf(p, sizeof p, "%s/train-images-idx3-ubyte.gz", dir);
    int rc = data_read_idx(p, 3, &bytes, &n, &r, &c, &err);
    CHECK(rc == 0, "gz read: %s", err.msg);
    CHECK(n == NTRAIN && r == ROWS && c == COLS, "gz sizes %ld %d %d", n, r, c);
    CHECK(rc == 0 && !memcmp(bytes, train_img, sizeof train_img), "gz bytes differ");
    free(bytes);
    snprintf(p, sizeof p, "%s/t10k-labels-idx1-ubyte", dir);
    rc = data_read_idx(p, 1, &bytes, &n, NULL, NULL, &err);
    CHECK(rc == 0 && n == NTEST && !memcmp(bytes, test_lab, NTEST), "plain labels: %s", err.msg);
    free(bytes);

    data_bundle b;
    rc = data_load(dir, 0, &b, &err);
    CHECK(rc == 0, "data_load: %s", err.msg);
    if (rc)
        return;
    CHECK(b.train.n == NTRAIN && b.test.n == NTEST && b.train.dim == ROWS * COLS &&
              b.train.classes == 10, "bundle sizes");
    /* independent statistics in double */
    double s1 = 0, s2 = 0;
    for (size_t i = 0; i < sizeof train_img; i++) {
        double v = train_img[i] / 255.0;
        s1 += v;
        s2 += v * v;
    }
    double mean = s1 / sizeof train_img;
    double sd = sqrt(s2 / sizeof train_img - mean * mean);
    double dm = fabs(b.mean - mean), ds = fabs(b.std - sd), dx = 0;
    for (size_t i = 0; i < sizeof train_img; i++)
        dx = fmax(dx, fabs(b.train.x[i] - (train_img[i] / 255.0 - mean) / sd));
    for (size_t i = 0; i < sizeof test_img; i++)
        dx = fmax(dx, fabs(b.test.x[i] - (test_img[i] / 255.0 - mean) / sd));
    /* tolerance 1e-7: the statistics are taken over the float32 pixels */
    CHECK(dm < 1e-7 && ds < 1e-7, "mean/std %.9g %.9g vs %.9g %.9g", b.mean, b.std, mean, sd);
    CHECK(dx < 1e-5, "standardised pixels differ by %g", dx);
    CHECK(!memcmp(b.train.y, train_lab, NTRAIN) && !memcmp(b.test.y, test_lab, NTEST),
          "labels differ");
    printf("round trip: mean diff %.3g, std diff %.3g, max pixel diff %.3g (tol 1e-5)\n", dm, ds,
           dx);
    max_diff = fmax(max_diff, dx);
    data_free(&b);

    /* subset: the first 8 examples, statistics of those */
    rc = data_load(dir, 8, &b, &err);
    CHECK(rc == 0 && b.train.n == 8 && b.test.n == NTEST, "subset load: %s", err.msg);
    if (rc == 0) {
        s1 = s2 = 0;
        for (int i = 0; i < 8 * ROWS * COLS; i++) {
            double v = train_img[i] / 255.0;
            s1 += v;
            s2 += v * v;
        }
        mean = s1 / (8 * ROWS * COLS);
        sd = sqrt(s2 / (8 * ROWS * COLS) - mean * mean);
        dx = fabs(b.mean - mean) + fabs(b.std - sd);
        for (int i = 0; i < 8 * ROWS * COLS; i++)
            dx = fmax(dx, fabs(b.train.x[i] - (train_img[i] / 255.0 - mean) / sd));
        CHECK(dx < 1e-5 && !memcmp(b.train.y, train_lab, 8), "subset differs by %g", dx);
        printf("subset of 8: max diff %.3g\n", dx);
        max_diff = fmax(max_diff, dx);
        data_free(&b);
    }
    rc = data_load(dir, NTRAIN + 1, &b, &err);
    CHECK(rc == CS_EXIT_USAGE, "subset larger than the set accepted");
    if (rc == 0)
        data_free(&b);
}

static void test_errors(void)
{
    char dir[512], p[1024];
    unsigned d3[3] = {NTRAIN, ROWS, COLS}, d1[1] = {NTRAIN};

    /* wrong magic: the labels' magic in the image file */
    write_set("magic");
    snprintf(dir, sizeof dir, "%s/magic", tmpdir);
    snprintf(p, sizeof p, "%s/train-images-idx3-ubyte.gz", dir);
    write_idx(p, 1, 0x801, d3, 3, train_img, sizeof train_img);
    expect_load_error("magic", p, "wrong magic");

    /* truncated: the header promises 20 images, the file holds 19.5 */
    write_set("trunc");
    snprintf(dir, sizeof dir, "%s/trunc", tmpdir);
    snprintf(p, sizeof p, "%s/train-images-idx3-ubyte.gz", dir);
    write_idx(p, 1, 0x803, d3, 3, train_img, sizeof train_img - 6);
    expect_load_error("trunc", p, "truncated (gz)");
    /* truncated plain file, inside the header */
    write_set("trunc2");
    snprintf(dir, sizeof dir, "%s/trunc2", tmpdir);
    snprintf(p, sizeof p, "%s/t10k-labels-idx1-ubyte", dir);
    FILE *f = fopen(p, "wb");
    CHECK(f && fwrite("\0\0\x08\x01\0\0", 1, 6, f) == 6 && fclose(f) == 0, "write %s", p);
    expect_load_error("trunc2", p, "truncated header");

    /* label out of range */
    write_set("label");
    snprintf(dir, sizeof dir, "%s/label", tmpdir);
    snprintf(p, sizeof p, "%s/train-labels-idx1-ubyte.gz", dir);
    unsigned char bad[NTRAIN];
    memcpy(bad, train_lab, NTRAIN);
    bad[13] = 10;
    write_idx(p, 1, 0x801, d1, 1, bad, NTRAIN);
    expect_load_error("label", p, "label out of range");

    /* image/label count mismatch */
    write_set("count");
    snprintf(dir, sizeof dir, "%s/count", tmpdir);
    snprintf(p, sizeof p, "%s/train-labels-idx1-ubyte.gz", dir);
    unsigned d1s[1] = {NTRAIN - 1};
    write_idx(p, 1, 0x801, d1s, 1, train_lab, NTRAIN - 1);
    expect_load_error("count", p, "count mismatch");

    /* a missing file, a missing directory */
    write_set("missing");
    snprintf(dir, sizeof dir, "%s/missing", tmpdir);
    snprintf(p, sizeof p, "%s/t10k-images-idx3-ubyte", dir);
    CHECK(remove(p) == 0, "remove %s", p);
    expect_load_error("missing", "t10k-images-idx3-ubyte", "missing file");
    expect_load_error("no-such-dir", "no-such-dir", "missing directory");

    /* data_read_idx directly: wrong rank requested names the file */
    snprintf(p, sizeof p, "%s/good/train-labels-idx1-ubyte.gz", tmpdir);
    unsigned char *bytes = NULL;
    long n;
    cs_err err = {0};
    int rc = data_read_idx(p, 3, &bytes, &n, NULL, NULL, &err);
    CHECK(rc == CS_EXIT_USAGE && strstr(err.msg, p) && bytes == NULL,
          "labels read as images: rc %d '%s'", rc, err.msg);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    /* deterministic pseudo-random content */
    unsigned s = 12345;
    for (size_t i = 0; i < sizeof train_img; i++)
        train_img[i] = (unsigned char)((s = s * 1103515245u + 12345u) >> 16);
    for (size_t i = 0; i < sizeof test_img; i++)
        test_img[i] = (unsigned char)((s = s * 1103515245u + 12345u) >> 16);
    for (int i = 0; i < NTRAIN; i++)
        train_lab[i] = (unsigned char)(i % 10);
    for (int i = 0; i < NTEST; i++)
        test_lab[i] = (unsigned char)((i * 3) % 10);
    write_set("good");
    test_roundtrip_and_stats();
    test_errors();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "note: could not remove %s\n", tmpdir);
    printf("largest difference %.3g; %d failure(s)\n", max_diff, failures);
    return failures ? 1 : 0;
}

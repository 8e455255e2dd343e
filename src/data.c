/* data.c — MNIST-format IDX files (Fashion-MNIST by default), plain or gzipped.
 *
 * IDX layout (LeCun's format): a big-endian magic 0x000008TD (T = 0x08 unsigned byte,
 * D = number of dimensions), D big-endian uint32 sizes, then the bytes.  zlib's gzread
 * reads plain files transparently too, so one code path serves both.  Everything in a
 * file is checked before it is used: magic, sizes, length (a truncated file is an
 * error, not a short data set), label range, and agreement between the four files. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "critsweep/data.h"

#define DATA_CLASSES 10
/* Larger than any real IDX image set; stops a corrupt header from asking for terabytes. */
#define DATA_MAX_BYTES ((long)1 << 34)

static int read_exact(gzFile g, const char *path, void *buf, size_t n, const char *what,
                      cs_err *err)
{
    unsigned char *p = buf;
    size_t done = 0;
    while (done < n) {
        size_t chunk = n - done;
        if (chunk > (1u << 30))
            chunk = 1u << 30; /* gzread takes an unsigned int */
        int got = gzread(g, p + done, (unsigned)chunk);
        if (got < 0) {
            int zerr;
            const char *msg = gzerror(g, &zerr);
            return cs_fail(err, CS_EXIT_USAGE, "%s: read error in %s (%s); is the file a valid "
                           "IDX or gzipped IDX file?", path, what, msg ? msg : "unknown");
        }
        if (got == 0)
            return cs_fail(err, CS_EXIT_USAGE, "%s: file truncated in %s (%zu of %zu bytes); "
                           "download it again", path, what, done, n);
        done += (size_t)got;
    }
    return 0;
}

static uint32_t be32(const unsigned char b[4])
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

int data_read_idx(const char *path, int expect_dims, unsigned char **bytes, long *count,
                  int *rows, int *cols, cs_err *err)
{
    *bytes = NULL;
    *count = 0;
    if (rows)
        *rows = 1;
    if (cols)
        *cols = 1;
    if (expect_dims != 1 && expect_dims != 3)
        return cs_fail(err, CS_EXIT_ERROR, "%s: internal error: IDX rank %d requested", path,
                       expect_dims);
    errno = 0;
    gzFile g = gzopen(path, "rb");
    if (!g)
        return cs_fail(err, CS_EXIT_USAGE, "%s: cannot open (%s)", path,
                       errno ? strerror(errno) : "out of memory");
    int rc = 0;
    unsigned char *data = NULL;
    unsigned char hdr[16];
    uint32_t want = 0x00000800u | (uint32_t)expect_dims;
    if ((rc = read_exact(g, path, hdr, 4, "the header", err)))
        goto out;
    uint32_t magic = be32(hdr);
    if (magic != want) {
        rc = cs_fail(err, CS_EXIT_USAGE, "%s: bad magic number 0x%08x, expected 0x%08x (%s); "
                     "not an MNIST-format IDX file", path, magic, want,
                     expect_dims == 3 ? "images" : "labels");
        goto out;
    }
    if ((rc = read_exact(g, path, hdr + 4, 4 * (size_t)expect_dims, "the header", err)))
        goto out;
    uint32_t n = be32(hdr + 4);
    uint32_t r = expect_dims == 3 ? be32(hdr + 8) : 1;
    uint32_t c = expect_dims == 3 ? be32(hdr + 12) : 1;
    if (n == 0 || r == 0 || c == 0 || r > 65535 || c > 65535 ||
        (uint64_t)n * r * c > (uint64_t)DATA_MAX_BYTES) {
        rc = cs_fail(err, CS_EXIT_USAGE, "%s: implausible IDX sizes %u x %u x %u", path, n, r, c);
        goto out;
    }
    size_t total = (size_t)n * r * c;
    data = malloc(total);
    if (!data) {
        rc = cs_fail(err, CS_EXIT_ERROR, "%s: out of memory for %zu bytes", path, total);
        goto out;
    }
    if ((rc = read_exact(g, path, data, total, "the data", err)))
        goto out;
    *bytes = data;
    data = NULL;
    *count = n;
    if (rows)
        *rows = (int)r;
    if (cols)
        *cols = (int)c;
out:
    free(data);
    gzclose(g);
    return rc;
}

/* dir/name.gz if it exists, else dir/name (error naming both if neither exists). */
static int find_file(const char *dir, const char *name, char *path, size_t cap, cs_err *err)
{
    struct stat st;
    snprintf(path, cap, "%s/%s.gz", dir, name);
    if (stat(path, &st) == 0)
        return 0;
    snprintf(path, cap, "%s/%s", dir, name);
    if (stat(path, &st) == 0)
        return 0;
    return cs_fail(err, CS_EXIT_USAGE, "%s/%s.gz: no such file (nor %s/%s); point --data at a "
                   "directory holding the four MNIST-format IDX files", dir, name, dir, name);
}

/* Loads one images+labels pair into s (pixels as raw /255 floats; standardised later).
 * Every byte of both files is read and checked; only the first `keep` examples (all if
 * keep <= 0) become floats: a 10000-example subset of Fashion-MNIST then costs 31 MB of
 * floats instead of 188 MB, most of a worker's start-up. */
static int load_pair(const char *dir, const char *img_name, const char *lab_name, long keep,
                     data_set *s, cs_err *err)
{
    char ipath[4096], lpath[4096];
    int rc;
    if ((rc = find_file(dir, img_name, ipath, sizeof ipath, err)) ||
        (rc = find_file(dir, lab_name, lpath, sizeof lpath, err)))
        return rc;
    unsigned char *img = NULL, *lab = NULL;
    long ni = 0, nl = 0;
    int r = 0, c = 0;
    if ((rc = data_read_idx(ipath, 3, &img, &ni, &r, &c, err)))
        return rc;
    if ((rc = data_read_idx(lpath, 1, &lab, &nl, NULL, NULL, err))) {
        free(img);
        return rc;
    }
    if (ni != nl) {
        rc = cs_fail(err, CS_EXIT_USAGE, "%s: %ld labels but %s has %ld images; the files do "
                     "not belong together", lpath, nl, ipath, ni);
        goto fail;
    }
    for (long i = 0; i < nl; i++)
        if (lab[i] >= DATA_CLASSES) {
            rc = cs_fail(err, CS_EXIT_USAGE, "%s: label %d of example %ld is out of range "
                         "0..%d", lpath, lab[i], i, DATA_CLASSES - 1);
            goto fail;
        }
    if (keep > ni) {
        rc = cs_fail(err, CS_EXIT_USAGE, "%s: train subset %ld exceeds the %ld training "
                     "examples", dir, keep, ni);
        goto fail;
    }
    if (keep > 0)
        ni = keep;
    s->n = ni;
    s->dim = r * c;
    s->classes = DATA_CLASSES;
    s->y = lab;
    s->x = malloc((size_t)ni * (size_t)s->dim * sizeof *s->x);
    if (!s->x) {
        rc = cs_fail(err, CS_EXIT_ERROR, "%s: out of memory for %ld images", ipath, ni);
        s->y = NULL;
        goto fail;
    }
    size_t total = (size_t)ni * (size_t)s->dim;
    for (size_t i = 0; i < total; i++)
        s->x[i] = (float)img[i] / 255.0f;
    free(img);
    return 0;
fail:
    free(img);
    free(lab);
    return rc;
}

static void standardise(data_set *s, double mean, double std)
{
    float m = (float)mean, inv = (float)(1.0 / std);
    size_t total = (size_t)s->n * (size_t)s->dim;
    for (size_t i = 0; i < total; i++)
        s->x[i] = (s->x[i] - m) * inv;
}

int data_load(const char *dir, long train_subset, data_bundle *out, cs_err *err)
{
    memset(out, 0, sizeof *out);
    if (!dir)
        dir = CS_DEFAULT_DATA_DIR;
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return cs_fail(err, CS_EXIT_USAGE, "%s: not a directory (%s); on Debian, apt-get install "
                       "dataset-fashion-mnist, or point --data at MNIST-format IDX files", dir,
                       stat(dir, &st) != 0 ? strerror(errno) : "a file");
    if (train_subset < 0)
        return cs_fail(err, CS_EXIT_USAGE, "train subset %ld is negative", train_subset);
    int rc;
    /* The first train_subset examples (a documented, reproducible choice; Fashion-MNIST's
     * training files are not sorted by class, so the prefix is class-balanced enough). */
    if ((rc = load_pair(dir, "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                        train_subset, &out->train, err)))
        return rc;
    if ((rc = load_pair(dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 0, &out->test,
                        err))) {
        data_free(out);
        return rc;
    }
    if (out->train.dim != out->test.dim) {
        rc = cs_fail(err, CS_EXIT_USAGE, "%s/t10k-images-idx3-ubyte: %d pixels per image but "
                     "the training images have %d", dir, out->test.dim, out->train.dim);
        data_free(out);
        return rc;
    }
    /* One scalar mean/std over all kept training pixels (not per pixel): the usual
     * Fashion-MNIST normalisation, and it leaves constant border pixels finite. */
    size_t total = (size_t)out->train.n * (size_t)out->train.dim;
    double s1 = 0, s2 = 0;
    for (size_t i = 0; i < total; i++) {
        double v = out->train.x[i];
        s1 += v;
        s2 += v * v;
    }
    double mean = s1 / (double)total;
    double var = s2 / (double)total - mean * mean;
    double std = var > 0 ? sqrt(var) : 0;
    if (!(std > 1e-12)) {
        rc = cs_fail(err, CS_EXIT_USAGE, "%s: the training images are constant (std 0); cannot "
                     "standardise", dir);
        data_free(out);
        return rc;
    }
    out->mean = mean;
    out->std = std;
    standardise(&out->train, mean, std);
    standardise(&out->test, mean, std);
    return 0;
}

void data_free(data_bundle *b)
{
    if (!b)
        return;
    free(b->train.x);
    free(b->train.y);
    free(b->test.x);
    free(b->test.y);
    memset(b, 0, sizeof *b);
}

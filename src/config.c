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
 *   avalanche:
 *     depth: 1000               # L_max >= 4
 *     q0: 0.1                   # drive strength > 0
 *     inputs: 1000000           # M drives per task (1e6 style accepted if integral)
 *     per_network: 1000         # K drives share one network
 *     convention: reference     # reference | strict
 *     mode: difference          # difference | absolute
 *     engine: auto              # auto | dense | sampled (README §1b; hashed unless dense)
 *     shape_window: [60, 250]   # profiles for dmin < D < dmax
 *     shape_min_count: 20
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
 * The parser builds a small tree from libyaml's event API (no global state, so two
 * loads may run in one process); aliases are refused rather than expanded, which also
 * keeps a hostile file from blowing up memory. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <yaml.h>

#include "critsweep/config.h"
#include "critsweep/data.h"

#define MAX_NESTING 32
#define MAX_FILE_BYTES (16L << 20)
#define MAX_WIDTH 65536
#define MAX_VARIANCE 1e6
#define MAX_AXIS 100000 /* values per axis; the whole grid is capped by CS_MAX_TASKS */

typedef enum { NODE_SCALAR, NODE_SEQ, NODE_MAP } node_kind;

typedef struct node {
    node_kind kind;
    char *text;           /* scalar value */
    int plain;            /* untagged plain scalar: may be a number, bool or null */
    int line, col;        /* 1-based; 0 for nodes that came from an override */
    const char *origin;   /* file name, or "--set key=value" */
    int n, cap;
    struct node **keys;   /* NODE_MAP: key scalars, n */
    struct node **vals;   /* NODE_MAP values or NODE_SEQ items, n */
} node;

typedef struct {
    const char *file;     /* name for messages */
    const char *text;     /* the file's text, to point at tabs */
    size_t len;
    cs_err *err;
} loader;

/* ---------------------------------------------------------------- errors */

static int failf(const loader *ld, const node *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int failf(const loader *ld, const node *at, const char *fmt, ...)
{
    char msg[800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!at)
        return cs_fail(ld->err, CS_EXIT_USAGE, "%s:1:1: %s", ld->file, msg);
    if (at->line > 0)
        return cs_fail(ld->err, CS_EXIT_USAGE, "%s:%d:%d: %s", at->origin, at->line, at->col,
                       msg);
    return cs_fail(ld->err, CS_EXIT_USAGE, "%s: %s", at->origin, msg);
}

/* Shortens a user's scalar for quoting in a message. */
static const char *clip(const char *s, char *buf, size_t n)
{
    size_t len = strlen(s);
    if (len < n) {
        snprintf(buf, n, "%s", s);
    } else {
        snprintf(buf, n, "%.*s...", (int)(n - 4), s);
    }
    for (char *p = buf; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = ' ';
    return buf;
}

static int levenshtein(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return 1000;
    int prev[65], cur[65];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int sub = prev[j - 1] + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
            int del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, sizeof(int) * (lb + 1));
    }
    return prev[lb];
}

/* Closest candidate within a small edit distance, or NULL. */
static const char *closest(const char *word, const char *const *cands, int n)
{
    const char *best = NULL;
    int bestd = 1000;
    for (int i = 0; i < n; i++) {
        int d = levenshtein(word, cands[i]);
        if (d < bestd) {
            bestd = d;
            best = cands[i];
        }
    }
    int len = (int)strlen(word);
    int limit = len <= 3 ? 1 : (len <= 6 ? 2 : 3);
    return bestd <= limit ? best : NULL;
}

/* ---------------------------------------------------------------- tree */

static void node_free(node *n)
{
    if (!n)
        return;
    for (int i = 0; i < n->n; i++) {
        if (n->keys)
            node_free(n->keys[i]);
        node_free(n->vals[i]);
    }
    free(n->keys);
    free(n->vals);
    free(n->text);
    free(n);
}

static node *node_new(node_kind kind, const char *origin, int line, int col)
{
    node *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->kind = kind;
    n->origin = origin;
    n->line = line;
    n->col = col;
    return n;
}

static int node_push(node *parent, node *key, node *val)
{
    if (parent->n == parent->cap) {
        int cap = parent->cap ? 2 * parent->cap : 8;
        node **v = realloc(parent->vals, sizeof *v * (size_t)cap);
        if (!v)
            return -1;
        parent->vals = v;
        if (parent->kind == NODE_MAP) {
            node **k = realloc(parent->keys, sizeof *k * (size_t)cap);
            if (!k)
                return -1;
            parent->keys = k;
        }
        parent->cap = cap;
    }
    if (parent->kind == NODE_MAP)
        parent->keys[parent->n] = key;
    parent->vals[parent->n++] = val;
    return 0;
}

static node *map_find(const node *m, const char *key, node **keynode)
{
    if (!m || m->kind != NODE_MAP)
        return NULL;
    for (int i = 0; i < m->n; i++)
        if (!strcmp(m->keys[i]->text, key)) {
            if (keynode)
                *keynode = m->keys[i];
            return m->vals[i];
        }
    return NULL;
}

static int is_null(const node *n)
{
    if (n->kind != NODE_SCALAR || !n->plain)
        return 0;
    const char *t = n->text;
    return !*t || !strcmp(t, "~") || !strcmp(t, "null") || !strcmp(t, "Null") ||
           !strcmp(t, "NULL");
}

static const char *kind_name(const node *n)
{
    if (n->kind == NODE_SEQ)
        return "a list";
    if (n->kind == NODE_MAP)
        return "a mapping";
    if (is_null(n))
        return "nothing (null)";
    return n->plain ? "a scalar" : "a quoted string";
}

/* ---------------------------------------------------------------- libyaml → tree */

static int syntax_error(const loader *ld, yaml_parser_t *p, const char *origin, int in_file,
                        const char *text, size_t len)
{
    if (p->error == YAML_MEMORY_ERROR)
        return cs_fail(ld->err, CS_EXIT_USAGE, "%s: out of memory while parsing", origin);
    size_t off = p->error == YAML_READER_ERROR ? p->problem_offset : p->problem_mark.index;
    int line = (int)p->problem_mark.line + 1, col = (int)p->problem_mark.column + 1;
    if (p->error == YAML_READER_ERROR) { /* the reader reports a byte offset only */
        line = 1;
        col = 1;
        for (size_t i = 0; i < off && i < len; i++) {
            if (text[i] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
    }
    const char *prob = p->problem ? p->problem : "malformed YAML";
    char extra[200] = "";
    if (off < len && text[off] == '\t')
        snprintf(extra, sizeof extra, " (a tab character: indent YAML with spaces, not tabs)");
    else if (p->context && in_file && p->context_mark.line != p->problem_mark.line)
        snprintf(extra, sizeof extra, " (%s that starts at line %d, column %d)", p->context,
                 (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
    else if (p->context)
        snprintf(extra, sizeof extra, " (%s)", p->context);
    if (in_file)
        return cs_fail(ld->err, CS_EXIT_USAGE, "%s:%d:%d: YAML syntax error: %s%s", origin, line,
                       col, prob, extra);
    return cs_fail(ld->err, CS_EXIT_USAGE, "%s: YAML syntax error in the value at column %d: %s%s",
                   origin, col, prob, extra);
}

typedef struct {
    const loader *ld;
    yaml_parser_t *p;
    const char *origin;
    int in_file;
    const char *text;
    size_t len;
} build_ctx;

static int next_event(build_ctx *b, yaml_event_t *ev)
{
    if (!yaml_parser_parse(b->p, ev))
        return syntax_error(b->ld, b->p, b->origin, b->in_file, b->text, b->len);
    return 0;
}

static int build(build_ctx *b, yaml_event_t *ev, int depth, node **out);

static int build_scalar(build_ctx *b, yaml_event_t *ev, node **out)
{
    int line = b->in_file ? (int)ev->start_mark.line + 1 : 0;
    int col = b->in_file ? (int)ev->start_mark.column + 1 : 0;
    node *n = node_new(NODE_SCALAR, b->origin, line, col);
    if (!n)
        return cs_fail(b->ld->err, CS_EXIT_USAGE, "%s: out of memory", b->origin);
    const char *v = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    if (memchr(v, '\0', len)) {
        node_free(n);
        node tmp = {.origin = b->origin, .line = line, .col = col};
        return failf(b->ld, &tmp, "a NUL character inside a value");
    }
    n->text = strndup(v, len);
    if (!n->text) {
        node_free(n);
        return cs_fail(b->ld->err, CS_EXIT_USAGE, "%s: out of memory", b->origin);
    }
    const char *tag = (const char *)ev->data.scalar.tag;
    n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (tag) {
        if (!strcmp(tag, YAML_STR_TAG)) {
            n->plain = 0;
        } else if (!strcmp(tag, YAML_INT_TAG) || !strcmp(tag, YAML_FLOAT_TAG) ||
                   !strcmp(tag, YAML_BOOL_TAG) || !strcmp(tag, YAML_NULL_TAG)) {
            n->plain = 1;
        } else {
            int rc = failf(b->ld, n, "unsupported YAML tag '%s'", tag);
            node_free(n);
            return rc;
        }
    }
    *out = n;
    return 0;
}

static int build(build_ctx *b, yaml_event_t *ev, int depth, node **out)
{
    int line = b->in_file ? (int)ev->start_mark.line + 1 : 0;
    int col = b->in_file ? (int)ev->start_mark.column + 1 : 0;
    node here = {.origin = b->origin, .line = line, .col = col};
    *out = NULL;
    if (depth > MAX_NESTING)
        return failf(b->ld, &here, "nested deeper than %d levels", MAX_NESTING);
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        return build_scalar(b, ev, out);
    case YAML_ALIAS_EVENT:
        return failf(b->ld, &here, "YAML aliases (*%s) are not supported in sweep files; "
                                   "write the value out",
                     (const char *)ev->data.alias.anchor);
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        break;
    default:
        return failf(b->ld, &here, "unexpected YAML event");
    }
    int is_map = ev->type == YAML_MAPPING_START_EVENT;
    node *n = node_new(is_map ? NODE_MAP : NODE_SEQ, b->origin, line, col);
    if (!n)
        return cs_fail(b->ld->err, CS_EXIT_USAGE, "%s: out of memory", b->origin);
    int rc = 0;
    for (;;) {
        yaml_event_t e;
        if ((rc = next_event(b, &e)))
            break;
        if (e.type == (is_map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT)) {
            yaml_event_delete(&e);
            break;
        }
        node *key = NULL, *val = NULL;
        if (is_map) {
            if (e.type != YAML_SCALAR_EVENT) {
                node at = {.origin = b->origin,
                           .line = b->in_file ? (int)e.start_mark.line + 1 : 0,
                           .col = b->in_file ? (int)e.start_mark.column + 1 : 0};
                rc = failf(b->ld, &at, "mapping keys must be plain words, not %s",
                           e.type == YAML_ALIAS_EVENT ? "aliases" : "lists or mappings");
                yaml_event_delete(&e);
                break;
            }
            rc = build_scalar(b, &e, &key);
            yaml_event_delete(&e);
            if (rc)
                break;
            for (int i = 0; i < n->n; i++)
                if (!strcmp(n->keys[i]->text, key->text)) {
                    if (n->keys[i]->line > 0)
                        rc = failf(b->ld, key, "duplicate key '%s' (first given at line %d)",
                                   key->text, n->keys[i]->line);
                    else
                        rc = failf(b->ld, key, "duplicate key '%s'", key->text);
                    break;
                }
            if (rc) {
                node_free(key);
                break;
            }
            if ((rc = next_event(b, &e))) {
                node_free(key);
                break;
            }
        }
        rc = build(b, &e, depth + 1, &val);
        yaml_event_delete(&e);
        if (rc) {
            node_free(key);
            break;
        }
        if (node_push(n, key, val)) {
            node_free(key);
            node_free(val);
            rc = cs_fail(b->ld->err, CS_EXIT_USAGE, "%s: out of memory", b->origin);
            break;
        }
    }
    if (rc) {
        node_free(n);
        return rc;
    }
    *out = n;
    return 0;
}

/* Parses one YAML document; *root is NULL for an empty document. */
static int parse_yaml(const loader *ld, const char *text, size_t len, const char *origin,
                      int in_file, node **root)
{
    yaml_parser_t p;
    *root = NULL;
    if (!yaml_parser_initialize(&p))
        return cs_fail(ld->err, CS_EXIT_USAGE, "%s: cannot initialise the YAML parser", origin);
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    build_ctx b = {ld, &p, origin, in_file, text, len};
    yaml_event_t e;
    int rc = 0, stage = 0; /* 0 stream start, 1 document or end, 2 root, 3 doc end, 4 end */
    node *r = NULL;
    while (!rc && stage < 5) {
        if ((rc = next_event(&b, &e)))
            break;
        node at = {.origin = origin,
                   .line = in_file ? (int)e.start_mark.line + 1 : 0,
                   .col = in_file ? (int)e.start_mark.column + 1 : 0};
        switch (stage) {
        case 0: /* STREAM_START */
            stage = 1;
            break;
        case 1:
            stage = e.type == YAML_STREAM_END_EVENT ? 5 : 2;
            break;
        case 2:
            rc = build(&b, &e, 0, &r);
            stage = 3;
            break;
        case 3: /* DOCUMENT_END */
            stage = 4;
            break;
        case 4:
            if (e.type == YAML_DOCUMENT_START_EVENT)
                rc = failf(ld, &at, "a second YAML document ('---'): a sweep file holds one");
            stage = 5;
            break;
        }
        yaml_event_delete(&e);
    }
    yaml_parser_delete(&p);
    if (rc) {
        node_free(r);
        return rc;
    }
    *root = r;
    return 0;
}

/* ---------------------------------------------------------------- overrides */

static int apply_override(const loader *ld, node **root, const char *spec, const char *origin)
{
    node at = {.origin = origin};
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec)
        return failf(ld, &at, "expected key=value, e.g. avalanche.inputs=500");
    const char *value = eq + 1;
    node *val = NULL;
    int rc = parse_yaml(ld, value, strlen(value), origin, 0, &val);
    if (rc)
        return rc;
    if (!val)
        return failf(ld, &at, "no value after '='");
    if (!*root && !(*root = node_new(NODE_MAP, origin, 0, 0))) {
        node_free(val);
        return failf(ld, &at, "out of memory");
    }
    node *cur = *root;
    const char *seg = spec;
    char path[512];
    size_t plen = 0;
    path[0] = '\0';
    while (seg < eq) {
        const char *dot = memchr(seg, '.', (size_t)(eq - seg));
        const char *end = dot ? dot : eq;
        size_t n = (size_t)(end - seg);
        if (n == 0 || n > 100) {
            node_free(val);
            return failf(ld, &at, "malformed key (empty or overlong part between dots)");
        }
        if (cur->kind != NODE_MAP) {
            node_free(val);
            return failf(ld, &at, "'%s' is %s, not a section of keys", plen ? path : "the file",
                         kind_name(cur));
        }
        char *name = strndup(seg, n);
        if (!name) {
            node_free(val);
            return failf(ld, &at, "out of memory");
        }
        snprintf(path + plen, sizeof path - plen, "%s%s", plen ? "." : "", name);
        plen = strlen(path);
        node *keynode = NULL;
        node *child = map_find(cur, name, &keynode);
        int last = !dot;
        if (last) {
            if (child) {
                int i = 0;
                while (cur->vals[i] != child)
                    i++;
                node_free(child);
                cur->vals[i] = val;
                free(name);
            } else {
                node *k = node_new(NODE_SCALAR, origin, 0, 0);
                if (!k || node_push(cur, k, val)) {
                    free(name);
                    node_free(k);
                    node_free(val);
                    return failf(ld, &at, "out of memory");
                }
                k->text = name;
                k->plain = 1;
            }
            return 0;
        }
        if (!child || is_null(child)) {
            node *m = node_new(NODE_MAP, origin, 0, 0);
            if (!m) {
                free(name);
                node_free(val);
                return failf(ld, &at, "out of memory");
            }
            if (child) {
                int i = 0;
                while (cur->vals[i] != child)
                    i++;
                node_free(child);
                cur->vals[i] = m;
                free(name);
            } else {
                node *k = node_new(NODE_SCALAR, origin, 0, 0);
                if (!k || node_push(cur, k, m)) {
                    free(name);
                    node_free(k);
                    node_free(m);
                    node_free(val);
                    return failf(ld, &at, "out of memory");
                }
                k->text = name;
                k->plain = 1;
            }
            child = m;
        } else {
            free(name);
        }
        cur = child;
        seg = end + 1;
    }
    node_free(val);
    return failf(ld, &at, "malformed key");
}

/* ---------------------------------------------------------------- typed values */

static int want_scalar(const loader *ld, const node *n, const char *path, const char *what)
{
    if (n->kind != NODE_SCALAR || is_null(n))
        return failf(ld, n, "%s: expected %s, got %s", path, what, kind_name(n));
    return 0;
}

static int want_plain(const loader *ld, const node *n, const char *path, const char *what)
{
    int rc = want_scalar(ld, n, path, what);
    if (rc)
        return rc;
    if (!n->plain) {
        char b[64];
        return failf(ld, n, "%s: expected %s, got the quoted string \"%s\" (remove the quotes)",
                     path, what, clip(n->text, b, sizeof b));
    }
    return 0;
}

static int parse_integral(const char *t, long long *out)
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

static int get_long(const loader *ld, const node *n, const char *path, long long lo,
                    long long hi, long long *out)
{
    int rc = want_plain(ld, n, path, "an integer");
    if (rc)
        return rc;
    char b[64];
    long long v;
    if (parse_integral(n->text, &v))
        return failf(ld, n, "%s: expected an integer, got '%s'", path, clip(n->text, b, sizeof b));
    if (v < lo)
        return failf(ld, n, "%s: must be at least %lld (got %s)", path, lo, clip(n->text, b, sizeof b));
    if (v > hi)
        return failf(ld, n, "%s: must be at most %lld (got %s)", path, hi, clip(n->text, b, sizeof b));
    *out = v;
    return 0;
}

static int get_int(const loader *ld, const node *n, const char *path, int lo, int hi, int *out)
{
    long long v;
    int rc = get_long(ld, n, path, lo, hi, &v);
    if (!rc)
        *out = (int)v;
    return rc;
}

static int get_u64(const loader *ld, const node *n, const char *path, uint64_t *out)
{
    int rc = want_plain(ld, n, path, "a non-negative integer");
    if (rc)
        return rc;
    char b[64];
    const char *t = n->text;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(t, &end, 10);
    if (!isdigit((unsigned char)t[0]) || *end || errno) {
        long long w;
        if (!parse_integral(t, &w) && w < 0)
            return failf(ld, n, "%s: must be at least 0 (got %s)", path, clip(t, b, sizeof b));
        if (parse_integral(t, &w))
            return failf(ld, n, "%s: expected an integer 0..18446744073709551615, got '%s'", path,
                         clip(t, b, sizeof b));
        v = (unsigned long long)w;
    }
    *out = v;
    return 0;
}

static int parse_number(const char *t, double *out)
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
static int get_double(const loader *ld, const node *n, const char *path, double lo,
                      int lo_open, double hi, const char *what_low, double *out)
{
    int rc = want_plain(ld, n, path, "a number");
    if (rc)
        return rc;
    char b[64];
    const char *t = n->text;
    double v;
    if (!strcasecmp(t, ".inf") || !strcasecmp(t, "-.inf") || !strcasecmp(t, "+.inf") ||
        !strcasecmp(t, ".nan"))
        return failf(ld, n, "%s: must be a finite number (got %s)", path, clip(t, b, sizeof b));
    if (parse_number(t, &v))
        return failf(ld, n, "%s: expected a number, got '%s'", path, clip(t, b, sizeof b));
    if (!isfinite(v))
        return failf(ld, n, "%s: must be a finite number (got %s)", path, clip(t, b, sizeof b));
    if (lo_open ? !(v > lo) : !(v >= lo)) {
        if (what_low)
            return failf(ld, n, "%s: %s (got %s)", path, what_low, clip(t, b, sizeof b));
        return failf(ld, n, "%s: must be %s %g (got %s)", path, lo_open ? ">" : ">=", lo,
                     clip(t, b, sizeof b));
    }
    if (v > hi)
        return failf(ld, n, "%s: must be at most %g (got %s)", path, hi, clip(t, b, sizeof b));
    *out = v;
    return 0;
}

static int get_bool(const loader *ld, const node *n, const char *path, int *out)
{
    int rc = want_plain(ld, n, path, "true or false");
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
    return failf(ld, n, "%s: expected true or false, got '%s'", path, clip(n->text, b, sizeof b));
}

/* A string without control characters (it may end up in a job script or a file name). */
static int get_str(const loader *ld, const node *n, const char *path, char **out)
{
    int rc = want_scalar(ld, n, path, "a string");
    if (rc)
        return rc;
    if (!*n->text)
        return failf(ld, n, "%s: must not be empty", path);
    if (strlen(n->text) > 4096)
        return failf(ld, n, "%s: longer than 4096 characters", path);
    for (const char *p = n->text; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return failf(ld, n, "%s: contains a control character (newline or tab)", path);
    char *s = strdup(n->text);
    if (!s)
        return failf(ld, n, "%s: out of memory", path);
    free(*out);
    *out = s;
    return 0;
}

/* One of names (index in *out); suggests the closest on failure. */
static int get_choice(const loader *ld, const node *n, const char *path,
                      const char *const *names, int count, int *out)
{
    int rc = want_scalar(ld, n, path, "a name");
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
    const char *near = closest(n->text, names, count);
    if (near)
        return failf(ld, n, "%s: unknown value '%s' (did you mean '%s'? one of: %s)", path,
                     clip(n->text, b, sizeof b), near, list);
    return failf(ld, n, "%s: unknown value '%s' (one of: %s)", path, clip(n->text, b, sizeof b),
                 list);
}

/* ---------------------------------------------------------------- schema */

static const char *const top_keys[] = {"name", "seed", "grid", "avalanche", "fit",
                                       "train", "output", "slurm"};
static const char *const grid_keys[] = {"activation", "width", "sigma_b2", "sigma_w2", "seeds"};
static const char *const aval_keys[] = {"depth", "q0", "inputs", "per_network", "convention",
                                        "mode", "engine", "shape_window", "shape_min_count"};
static const char *const fit_keys[] = {"xmin_s", "xmin_d", "gamma_min_count", "bootstrap",
                                       "shape_gamma_min", "shape_gamma_max", "shape_gamma_step"};
static const char *const train_keys[] = {"enabled", "depth", "epochs", "batch", "lr",
                                         "momentum", "optimizer", "train_subset", "data"};
static const char *const output_keys[] = {"file", "max_attempts"};
static const char *const slurm_keys[] = {"partition", "account", "qos", "time", "nodes",
                                         "ntasks", "ntasks_per_node", "mem_per_cpu",
                                         "max_requeues", "signal_lead", "extra"};
static const char *const range_keys[] = {"start", "stop", "num", "scale"};

#define COUNT(a) ((int)(sizeof(a) / sizeof *(a)))

typedef struct {
    const char *name;
    const char *const *keys;
    int n;
} section;

static const section sections[] = {
    {"grid", grid_keys, COUNT(grid_keys)},       {"avalanche", aval_keys, COUNT(aval_keys)},
    {"fit", fit_keys, COUNT(fit_keys)},          {"train", train_keys, COUNT(train_keys)},
    {"output", output_keys, COUNT(output_keys)}, {"slurm", slurm_keys, COUNT(slurm_keys)},
};

/* Every key of map must be in keys; otherwise name the closest, or the section that
 * does have it. */
static int check_keys(const loader *ld, const node *map, const char *where,
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
        const char *near = closest(k->text, keys, nkeys);
        if (near)
            return failf(ld, k, "unknown key '%s' in %s (did you mean '%s'?)",
                         clip(k->text, b, sizeof b), where, near);
        char home[160] = "";
        for (int s = 0; s < COUNT(sections); s++)
            for (int j = 0; j < sections[s].n; j++)
                if (!strcmp(k->text, sections[s].keys[j]) && strcmp(where, sections[s].name))
                    snprintf(home + strlen(home), sizeof home - strlen(home), "%s%s:",
                             *home ? " or " : "", sections[s].name);
        if (*home)
            return failf(ld, k, "unknown key '%s' in %s (it belongs under %s)",
                         clip(k->text, b, sizeof b), where, home);
        char list[400] = "";
        for (int j = 0; j < nkeys; j++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", j ? ", " : "", keys[j]);
        return failf(ld, k, "unknown key '%s' in %s (known keys: %s)", clip(k->text, b, sizeof b),
                     where, list);
    }
    return 0;
}

/* A section value: a mapping, or null/absent (= all defaults). */
static int get_section(const loader *ld, const node *root, const char *name, node **sec,
                       node **keynode)
{
    *keynode = NULL;
    node *v = map_find(root, name, keynode);
    *sec = NULL;
    if (!v || is_null(v))
        return 0;
    if (v->kind != NODE_MAP)
        return failf(ld, v, "%s: expected a mapping of settings (key: value), got %s", name,
                     kind_name(v));
    for (int s = 0; s < COUNT(sections); s++)
        if (!strcmp(sections[s].name, name)) {
            int rc = check_keys(ld, v, name, sections[s].keys, sections[s].n);
            if (rc)
                return rc;
        }
    *sec = v;
    return 0;
}

/* ---------------------------------------------------------------- grid axes */

typedef struct {
    double v;
    const node *at;
} axis_item;

static int cmp_item(const void *a, const void *b)
{
    const axis_item *x = a, *y = b;
    if (x->v != y->v)
        return x->v < y->v ? -1 : 1;
    return 0;
}

/* Sorts items ascending and refuses exact duplicates, naming the later occurrence. */
static int sort_unique(const loader *ld, axis_item *it, long n, const char *path, int integer)
{
    qsort(it, (size_t)n, sizeof *it, cmp_item);
    for (long i = 1; i < n; i++)
        if (it[i].v == it[i - 1].v) {
            const node *a = it[i].at, *b = it[i - 1].at;
            const node *later = (a->line > b->line || (a->line == b->line && a->col > b->col)) ? a : b;
            if (integer)
                return failf(ld, later, "%s: duplicate value %.0f", path, it[i].v);
            return failf(ld, later, "%s: duplicate value %.17g", path, it[i].v);
        }
    return 0;
}

/* The elements of an axis: a list, or a single scalar as a one-element list. */
static int axis_elems(const loader *ld, const node *v, const char *path, const node *const **el,
                      long *n)
{
    if (v->kind == NODE_SEQ) {
        if (v->n == 0)
            return failf(ld, v, "%s: empty axis (give at least one value)", path);
        if (v->n > MAX_AXIS)
            return failf(ld, v, "%s: more than %d values on one axis", path, MAX_AXIS);
        *el = (const node *const *)v->vals;
        *n = v->n;
        return 0;
    }
    if (v->kind == NODE_SCALAR && is_null(v))
        return failf(ld, v, "%s: empty axis (give at least one value)", path);
    *el = NULL;
    *n = 1;
    return 0;
}

static int parse_variance_axis(const loader *ld, const node *v, const char *path, double **out,
                               int *nout)
{
    char ipath[96];
    axis_item *it = NULL;
    long n = 0;
    int rc = 0;
    static const char *neg = "a variance cannot be negative";
    if (v->kind == NODE_MAP) {
        if ((rc = check_keys(ld, v, path, range_keys, COUNT(range_keys))))
            return rc;
        node *ks, *kt, *kn, *kc;
        node *start = map_find(v, "start", &ks), *stop = map_find(v, "stop", &kt);
        node *num = map_find(v, "num", &kn), *scale = map_find(v, "scale", &kc);
        if (!start || !stop || !num)
            return failf(ld, v, "%s: a range needs start, stop and num (missing %s)", path,
                         !start ? "start" : !stop ? "stop" : "num");
        double a, b;
        long long cnt;
        int log_scale = 0;
        static const char *const scales[] = {"linear", "log"};
        snprintf(ipath, sizeof ipath, "%s.start", path);
        if ((rc = get_double(ld, start, ipath, 0, 0, MAX_VARIANCE, neg, &a)))
            return rc;
        snprintf(ipath, sizeof ipath, "%s.stop", path);
        if ((rc = get_double(ld, stop, ipath, 0, 0, MAX_VARIANCE, neg, &b)))
            return rc;
        snprintf(ipath, sizeof ipath, "%s.num", path);
        if ((rc = get_long(ld, num, ipath, 1, MAX_AXIS, &cnt)))
            return rc;
        if (scale) {
            snprintf(ipath, sizeof ipath, "%s.scale", path);
            if ((rc = get_choice(ld, scale, ipath, scales, 2, &log_scale)))
                return rc;
        }
        if (log_scale && (a <= 0 || b <= 0))
            return failf(ld, a <= 0 ? start : stop,
                         "%s: a log-scale range needs start and stop > 0", path);
        if (cnt > 1 && a == b)
            return failf(ld, v, "%s: start equals stop with num %lld: every value would be the same",
                         path, cnt);
        it = malloc(sizeof *it * (size_t)cnt);
        if (!it)
            return failf(ld, v, "%s: out of memory", path);
        for (long i = 0; i < cnt; i++) {
            double t = cnt > 1 ? (double)i / (double)(cnt - 1) : 0.0;
            double x = log_scale ? exp(log(a) + (log(b) - log(a)) * t) : a + (b - a) * t;
            if (i == 0)
                x = a;
            else if (i == cnt - 1)
                x = b;
            it[i].v = x;
            it[i].at = v;
        }
        n = cnt;
    } else {
        const node *const *el;
        if ((rc = axis_elems(ld, v, path, &el, &n)))
            return rc;
        it = malloc(sizeof *it * (size_t)n);
        if (!it)
            return failf(ld, v, "%s: out of memory", path);
        for (long i = 0; i < n && !rc; i++) {
            const node *e = el ? el[i] : v;
            snprintf(ipath, sizeof ipath, "%s[%ld]", path, i);
            if (e->kind == NODE_MAP && !el)
                rc = failf(ld, e, "%s: expected a list, a number or a range", path);
            else
                rc = get_double(ld, e, el ? ipath : path, 0, 0, MAX_VARIANCE, neg, &it[i].v);
            it[i].at = e;
        }
        if (rc) {
            free(it);
            return rc;
        }
    }
    if ((rc = sort_unique(ld, it, n, path, 0))) {
        free(it);
        return rc;
    }
    double *vals = malloc(sizeof *vals * (size_t)n);
    if (!vals) {
        free(it);
        return failf(ld, v, "%s: out of memory", path);
    }
    for (long i = 0; i < n; i++)
        vals[i] = it[i].v;
    free(it);
    *out = vals;
    *nout = (int)n;
    return 0;
}

static int parse_width_axis(const loader *ld, const node *v, cs_sweep *s)
{
    const char *path = "grid.width";
    const node *const *el;
    long n;
    int rc;
    if (v->kind == NODE_MAP)
        return failf(ld, v, "%s: expected a list of integers, got a mapping", path);
    if ((rc = axis_elems(ld, v, path, &el, &n)))
        return rc;
    axis_item *it = malloc(sizeof *it * (size_t)n);
    if (!it)
        return failf(ld, v, "%s: out of memory", path);
    char ipath[64];
    for (long i = 0; i < n && !rc; i++) {
        const node *e = el ? el[i] : v;
        int w = 0;
        snprintf(ipath, sizeof ipath, "%s[%ld]", path, i);
        rc = get_int(ld, e, el ? ipath : path, 1, MAX_WIDTH, &w);
        it[i].v = w;
        it[i].at = e;
    }
    if (!rc)
        rc = sort_unique(ld, it, n, path, 1);
    if (!rc && !(s->width = malloc(sizeof *s->width * (size_t)n)))
        rc = failf(ld, v, "%s: out of memory", path);
    if (!rc) {
        for (long i = 0; i < n; i++)
            s->width[i] = (int)it[i].v;
        s->n_width = (int)n;
    }
    free(it);
    return rc;
}

static int parse_activation_axis(const loader *ld, const node *v, cs_sweep *s)
{
    const char *path = "grid.activation";
    const node *const *el;
    long n;
    int rc;
    if (v->kind == NODE_MAP)
        return failf(ld, v, "%s: expected a list of names, got a mapping", path);
    if ((rc = axis_elems(ld, v, path, &el, &n)))
        return rc;
    const char *names[CS_ACT_COUNT];
    for (int i = 0; i < CS_ACT_COUNT; i++)
        names[i] = activation_name((cs_activation)i);
    s->activation = calloc((size_t)n, sizeof *s->activation);
    if (!s->activation)
        return failf(ld, v, "%s: out of memory", path);
    char ipath[64];
    for (long i = 0; i < n; i++) {
        const node *e = el ? el[i] : v;
        int a = 0;
        snprintf(ipath, sizeof ipath, "%s[%ld]", path, i);
        if ((rc = get_choice(ld, e, el ? ipath : path, names, CS_ACT_COUNT, &a)))
            return rc;
        for (long j = 0; j < i; j++)
            if ((int)s->activation[j] == a)
                return failf(ld, e, "%s: duplicate value %s", path, names[a]);
        s->activation[i] = (cs_activation)a;
        s->n_activation = (int)i + 1;
    }
    return 0;
}

static int parse_seeds(const loader *ld, const node *v, cs_sweep *s)
{
    const char *path = "grid.seeds";
    int rc;
    if (v->kind == NODE_SCALAR && !is_null(v)) { /* a count */
        int cnt;
        if ((rc = get_int(ld, v, "grid.seeds", 1, MAX_AXIS, &cnt)))
            return rc;
        if (!(s->seeds = malloc(sizeof *s->seeds * (size_t)cnt)))
            return failf(ld, v, "%s: out of memory", path);
        for (int i = 0; i < cnt; i++)
            s->seeds[i] = (uint64_t)i;
        s->n_seed = cnt;
        return 0;
    }
    if (v->kind == NODE_MAP)
        return failf(ld, v, "%s: expected a count or a list of integers, got a mapping", path);
    const node *const *el;
    long n;
    if ((rc = axis_elems(ld, v, path, &el, &n)))
        return rc;
    if (!el)
        return failf(ld, v, "%s: expected a count or a list of integers", path);
    if (!(s->seeds = malloc(sizeof *s->seeds * (size_t)n)))
        return failf(ld, v, "%s: out of memory", path);
    char ipath[64];
    for (long i = 0; i < n && !rc; i++) {
        long long x = 0;
        snprintf(ipath, sizeof ipath, "%s[%ld]", path, i);
        /* int64 in the results file's seed coordinate */
        rc = get_long(ld, el[i], ipath, 0, INT64_MAX, &x);
        s->seeds[i] = (uint64_t)x;
    }
    s->n_seed = rc ? 0 : (int)n;
    return rc;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int check_seed_dups(const loader *ld, const node *v, const cs_sweep *s)
{
    uint64_t *sorted = malloc(sizeof *sorted * (size_t)s->n_seed);
    if (!sorted)
        return failf(ld, v, "grid.seeds: out of memory");
    memcpy(sorted, s->seeds, sizeof *sorted * (size_t)s->n_seed);
    qsort(sorted, (size_t)s->n_seed, sizeof *sorted, cmp_u64);
    int rc = 0;
    for (int i = 1; i < s->n_seed && !rc; i++)
        if (sorted[i] == sorted[i - 1]) {
            /* name the later occurrence in the list */
            int seen = 0;
            const node *at = v;
            for (int j = 0; j < s->n_seed && v->kind == NODE_SEQ; j++)
                if (s->seeds[j] == sorted[i] && seen++) {
                    at = v->vals[j];
                    break;
                }
            rc = failf(ld, at, "grid.seeds: duplicate seed %llu", (unsigned long long)sorted[i]);
        }
    free(sorted);
    return rc;
}

static int parse_grid(const loader *ld, const node *root, cs_sweep *s)
{
    node *g, *gk;
    int rc = get_section(ld, root, "grid", &g, &gk);
    if (rc)
        return rc;
    if (!g)
        return failf(ld, gk, "grid: %s, e.g. grid: {width: [32, 64], sigma_w2: "
                             "{start: 0.5, stop: 2.0, num: 12}}",
                     gk ? "is empty: it needs at least width and sigma_w2"
                        : "missing: a sweep needs a grid with at least width and sigma_w2");
    node *k, *v;
    if ((v = map_find(g, "activation", &k))) {
        if ((rc = parse_activation_axis(ld, v, s)))
            return rc;
    } else {
        if (!(s->activation = malloc(sizeof *s->activation)))
            return failf(ld, g, "out of memory");
        s->activation[0] = CS_ACT_TANH;
        s->n_activation = 1;
    }
    if (!(v = map_find(g, "width", &k)))
        return failf(ld, gk, "grid: missing 'width' (a list of layer widths, e.g. [32, 64])");
    if ((rc = parse_width_axis(ld, v, s)))
        return rc;
    if ((v = map_find(g, "sigma_b2", &k))) {
        if ((rc = parse_variance_axis(ld, v, "grid.sigma_b2", &s->sigma_b2, &s->n_sigma_b2)))
            return rc;
    } else {
        if (!(s->sigma_b2 = calloc(1, sizeof *s->sigma_b2)))
            return failf(ld, g, "out of memory");
        s->n_sigma_b2 = 1;
    }
    if (!(v = map_find(g, "sigma_w2", &k)))
        return failf(ld, gk, "grid: missing 'sigma_w2' (a list, or {start, stop, num})");
    if ((rc = parse_variance_axis(ld, v, "grid.sigma_w2", &s->sigma_w2, &s->n_sigma_w2)))
        return rc;
    if ((v = map_find(g, "seeds", &k))) {
        if ((rc = parse_seeds(ld, v, s)))
            return rc;
        if ((rc = check_seed_dups(ld, v, s)))
            return rc;
    } else {
        if (!(s->seeds = calloc(1, sizeof *s->seeds)))
            return failf(ld, g, "out of memory");
        s->n_seed = 1;
    }
    double tasks = (double)s->n_activation * s->n_width * s->n_sigma_b2 * s->n_sigma_w2 *
                   s->n_seed;
    if (tasks > (double)CS_MAX_TASKS)
        return failf(ld, gk, "grid: %d x %d x %d x %d x %d = %.0f tasks exceeds the limit of %ld; "
                             "split the sweep into several files",
                     s->n_activation, s->n_width, s->n_sigma_b2, s->n_sigma_w2, s->n_seed, tasks,
                     CS_MAX_TASKS);
    return 0;
}

/* ---------------------------------------------------------------- other sections */

static int parse_avalanche(const loader *ld, const node *root, cs_sweep *s)
{
    node *sec, *sk;
    int rc = get_section(ld, root, "avalanche", &sec, &sk);
    if (rc || !sec)
        return rc;
    avalanche_params *a = &s->avalanche;
    node *v, *k;
    long long x;
    if ((v = map_find(sec, "depth", &k)) && (rc = get_int(ld, v, "avalanche.depth", 4, 100000, &a->depth)))
        return rc;
    if ((v = map_find(sec, "q0", &k)) &&
        (rc = get_double(ld, v, "avalanche.q0", 0, 1, 1e6, "must be > 0", &a->q0)))
        return rc;
    if ((v = map_find(sec, "inputs", &k))) {
        if ((rc = get_long(ld, v, "avalanche.inputs", 1, 1000000000000LL, &x)))
            return rc;
        a->inputs = (long)x;
    }
    if ((v = map_find(sec, "per_network", &k))) {
        if ((rc = get_long(ld, v, "avalanche.per_network", 1, 1000000000LL, &x)))
            return rc;
        a->per_network = (long)x;
    }
    if ((v = map_find(sec, "convention", &k))) {
        static const char *const names[] = {"reference", "strict"};
        int c;
        if ((rc = get_choice(ld, v, "avalanche.convention", names, 2, &c)))
            return rc;
        if (convention_from_name(names[c], &a->convention))
            return failf(ld, v, "avalanche.convention: '%s' is not known to this build", names[c]);
    }
    if ((v = map_find(sec, "mode", &k))) {
        static const char *const names[] = {"difference", "absolute"};
        int m;
        if ((rc = get_choice(ld, v, "avalanche.mode", names, 2, &m)))
            return rc;
        if (mode_from_name(names[m], &a->mode))
            return failf(ld, v, "avalanche.mode: '%s' is not known to this build", names[m]);
    }
    if ((v = map_find(sec, "engine", &k))) {
        static const char *const names[] = {"auto", "dense", "sampled"};
        int e = 0;
        if ((rc = get_choice(ld, v, "avalanche.engine", names, 3, &e)))
            return rc;
        if (engine_from_name(names[e], &a->engine))
            return failf(ld, v, "avalanche.engine: '%s' is not known to this build", names[e]);
    }
    if ((v = map_find(sec, "shape_window", &k))) {
        if (v->kind != NODE_SEQ || v->n != 2)
            return failf(ld, v, "avalanche.shape_window: expected a list [dmin, dmax] of two "
                                "integers, got %s", v->kind == NODE_SEQ ? "a list of another length" : kind_name(v));
        int lo, hi;
        if ((rc = get_int(ld, v->vals[0], "avalanche.shape_window[0]", 0, 100000, &lo)) ||
            (rc = get_int(ld, v->vals[1], "avalanche.shape_window[1]", 0, 100000, &hi)))
            return rc;
        if (hi < lo + 2)
            return failf(ld, v, "avalanche.shape_window: [%d, %d] holds no duration "
                                "(profiles are kept for dmin < D < dmax; need dmax >= dmin + 2)",
                         lo, hi);
        a->shape_dmin = lo;
        a->shape_dmax = hi;
    }
    if ((v = map_find(sec, "shape_min_count", &k)) &&
        (rc = get_int(ld, v, "avalanche.shape_min_count", 1, 1000000000, &a->shape_min_count)))
        return rc;
    return 0;
}

static int parse_xmin(const loader *ld, const node *v, const char *path, int discrete, double *out)
{
    if (v->kind == NODE_SCALAR && !strcmp(v->text, "auto")) {
        *out = 0; /* fit_options: <= 0 means the KS minimum */
        return 0;
    }
    if (discrete) {
        long long x;
        int rc = get_long(ld, v, path, 1, 1000000000LL, &x);
        if (rc && v->kind == NODE_SCALAR && v->plain) {
            double d;
            if (!parse_number(v->text, &d) && isfinite(d) && d >= 1 && d != floor(d))
                return failf(ld, v, "%s: durations are integers; use an integer >= 1 or auto "
                                    "(got %s)", path, v->text);
        }
        if (!rc)
            *out = (double)x;
        return rc;
    }
    return get_double(ld, v, path, 0, 1, 1e300, "must be > 0 or auto", out);
}

static int parse_fit(const loader *ld, const node *root, cs_sweep *s)
{
    node *sec, *sk, *v, *k;
    int rc = get_section(ld, root, "fit", &sec, &sk);
    if (rc || !sec)
        return rc;
    fit_options *o = &s->fit;
    if ((v = map_find(sec, "xmin_s", &k)) && (rc = parse_xmin(ld, v, "fit.xmin_s", 0, &o->xmin_s)))
        return rc;
    if ((v = map_find(sec, "xmin_d", &k)) && (rc = parse_xmin(ld, v, "fit.xmin_d", 1, &o->xmin_d)))
        return rc;
    if ((v = map_find(sec, "gamma_min_count", &k)) &&
        (rc = get_int(ld, v, "fit.gamma_min_count", 1, 1000000000, &o->gamma_min_count)))
        return rc;
    if ((v = map_find(sec, "bootstrap", &k)) &&
        (rc = get_int(ld, v, "fit.bootstrap", 0, 100000, &o->bootstrap)))
        return rc;
    node *vlo = map_find(sec, "shape_gamma_min", &k), *vhi = map_find(sec, "shape_gamma_max", &k);
    node *vst = map_find(sec, "shape_gamma_step", &k);
    if (vlo && (rc = get_double(ld, vlo, "fit.shape_gamma_min", 0, 1, 100, "must be > 0",
                                &o->shape_gamma_lo)))
        return rc;
    if (vhi && (rc = get_double(ld, vhi, "fit.shape_gamma_max", 0, 1, 100, "must be > 0",
                                &o->shape_gamma_hi)))
        return rc;
    if (vst && (rc = get_double(ld, vst, "fit.shape_gamma_step", 0, 1, 100, "must be > 0",
                                &o->shape_gamma_step)))
        return rc;
    if (!(o->shape_gamma_hi > o->shape_gamma_lo))
        return failf(ld, vhi ? vhi : vlo ? vlo : sec,
                     "fit: shape_gamma_max (%g) must be above shape_gamma_min (%g)",
                     o->shape_gamma_hi, o->shape_gamma_lo);
    if ((o->shape_gamma_hi - o->shape_gamma_lo) / o->shape_gamma_step > 1e6)
        return failf(ld, vst ? vst : sec, "fit.shape_gamma_step: more than 10^6 steps in the "
                                          "shape-collapse scan");
    return 0;
}

static int check_data_dir(const loader *ld, const node *at, const char *dir)
{
    struct stat st;
    if (stat(dir, &st) || !S_ISDIR(st.st_mode))
        return failf(ld, at, "train.data: dataset directory '%s' %s; install Debian's "
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
            return failf(ld, at, "out of memory");
        }
        snprintf(p, n, "%s/%s", dir, files[i]);
        snprintf(q, n, "%s/%s.gz", dir, files[i]);
        int ok = !stat(p, &st) || !stat(q, &st);
        free(p);
        free(q);
        if (!ok)
            return failf(ld, at, "train.data: '%s' has no %s[.gz]; point train.data at a "
                                 "directory with the four MNIST-format IDX files, or set "
                                 "train.enabled: false",
                         dir, files[i]);
    }
    return 0;
}

static int parse_train(const loader *ld, const node *root, cs_sweep *s)
{
    node *sec, *sk, *v, *k;
    int rc = get_section(ld, root, "train", &sec, &sk);
    if (rc)
        return rc;
    train_params *t = &s->train.params;
    node *data_node = NULL;
    if (sec) {
        if ((v = map_find(sec, "enabled", &k)) && (rc = get_bool(ld, v, "train.enabled", &s->train.enabled)))
            return rc;
        if ((v = map_find(sec, "depth", &k)) && (rc = get_int(ld, v, "train.depth", 1, 1000, &t->depth)))
            return rc;
        if ((v = map_find(sec, "epochs", &k)) && (rc = get_int(ld, v, "train.epochs", 0, 100000, &t->epochs)))
            return rc;
        if ((v = map_find(sec, "batch", &k)) && (rc = get_int(ld, v, "train.batch", 1, 1000000, &t->batch)))
            return rc;
        if ((v = map_find(sec, "lr", &k)) &&
            (rc = get_double(ld, v, "train.lr", 0, 1, 1e3, "must be > 0", &t->lr)))
            return rc;
        if ((v = map_find(sec, "momentum", &k))) {
            if ((rc = get_double(ld, v, "train.momentum", 0, 0, 1, NULL, &t->momentum)))
                return rc;
            if (t->momentum >= 1)
                return failf(ld, v, "train.momentum: must be below 1 (got %s)", v->text);
        }
        if ((v = map_find(sec, "optimizer", &k))) {
            static const char *const names[] = {"sgd", "momentum", "adam"};
            int o = 0;
            if ((rc = get_choice(ld, v, "train.optimizer", names, 3, &o)))
                return rc;
            if (optimizer_from_name(names[o], &t->optimizer))
                return failf(ld, v, "train.optimizer: '%s' is not known to this build", names[o]);
        }
        if ((v = map_find(sec, "train_subset", &k))) {
            long long x;
            if ((rc = get_long(ld, v, "train.train_subset", 0, 1000000000LL, &x)))
                return rc;
            s->train.train_subset = (long)x;
        }
        if ((data_node = map_find(sec, "data", &k)) &&
            (rc = get_str(ld, data_node, "train.data", &s->train.data_dir)))
            return rc;
    }
    if (s->train.enabled)
        return check_data_dir(ld, data_node ? data_node : sk, s->train.data_dir);
    return 0;
}

static int parse_output(const loader *ld, const node *root, cs_sweep *s)
{
    node *sec, *sk, *v, *k;
    int rc = get_section(ld, root, "output", &sec, &sk);
    if (rc || !sec)
        return rc;
    if ((v = map_find(sec, "file", &k)) && (rc = get_str(ld, v, "output.file", &s->output.file)))
        return rc;
    if ((v = map_find(sec, "max_attempts", &k)) &&
        (rc = get_int(ld, v, "output.max_attempts", 1, 1000, &s->output.max_attempts)))
        return rc;
    return 0;
}

/* SLURM's --time: minutes, minutes:seconds, hours:minutes:seconds, days-hours,
 * days-hours:minutes, days-hours:minutes:seconds. */
static int slurm_time_ok(const char *t)
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

static int parse_slurm(const loader *ld, const node *root, cs_sweep *s)
{
    node *sec, *sk, *v, *k;
    int rc = get_section(ld, root, "slurm", &sec, &sk);
    if (rc || !sec)
        return rc;
    cs_slurm_options *o = &s->slurm;
    if ((v = map_find(sec, "partition", &k)) && (rc = get_str(ld, v, "slurm.partition", &o->partition)))
        return rc;
    if ((v = map_find(sec, "account", &k)) && (rc = get_str(ld, v, "slurm.account", &o->account)))
        return rc;
    if ((v = map_find(sec, "qos", &k)) && (rc = get_str(ld, v, "slurm.qos", &o->qos)))
        return rc;
    if ((v = map_find(sec, "time", &k))) {
        /* YAML 1.1 would read 2:00:00 as a sexagesimal number; libyaml hands us the
         * text, which is what SLURM wants. */
        if ((rc = get_str(ld, v, "slurm.time", &o->time)))
            return rc;
        if (!slurm_time_ok(o->time))
            return failf(ld, v, "slurm.time: '%s' is not a SLURM time (minutes, HH:MM:SS, "
                                "D-HH:MM:SS, ...)", o->time);
    }
    if ((v = map_find(sec, "mem_per_cpu", &k))) {
        if ((rc = get_str(ld, v, "slurm.mem_per_cpu", &o->mem_per_cpu)))
            return rc;
        const char *p = o->mem_per_cpu;
        while (isdigit((unsigned char)*p))
            p++;
        if (p == o->mem_per_cpu || (*p && (strchr("KMGTkmgt", *p) == NULL || p[1])))
            return failf(ld, v, "slurm.mem_per_cpu: '%s' is not a SLURM memory size (e.g. 2G, "
                                "500M)", o->mem_per_cpu);
    }
    if ((v = map_find(sec, "nodes", &k)) && (rc = get_int(ld, v, "slurm.nodes", 1, 100000, &o->nodes)))
        return rc;
    if ((v = map_find(sec, "ntasks", &k)) && (rc = get_int(ld, v, "slurm.ntasks", 1, 10000000, &o->ntasks)))
        return rc;
    if ((v = map_find(sec, "ntasks_per_node", &k)) &&
        (rc = get_int(ld, v, "slurm.ntasks_per_node", 1, 100000, &o->ntasks_per_node)))
        return rc;
    if ((v = map_find(sec, "max_requeues", &k)) &&
        (rc = get_int(ld, v, "slurm.max_requeues", 0, 10000, &o->max_requeues)))
        return rc;
    if ((v = map_find(sec, "signal_lead", &k)) &&
        (rc = get_int(ld, v, "slurm.signal_lead", 0, 65535, &o->signal_lead)))
        return rc;
    if ((v = map_find(sec, "extra", &k))) {
        if (v->kind != NODE_SEQ)
            return failf(ld, v, "slurm.extra: expected a list of sbatch options, got %s",
                         kind_name(v));
        if (!(o->extra = calloc((size_t)v->n + 1, sizeof *o->extra)))
            return failf(ld, v, "slurm.extra: out of memory");
        char ipath[64];
        for (int i = 0; i < v->n; i++) {
            snprintf(ipath, sizeof ipath, "slurm.extra[%d]", i);
            if ((rc = get_str(ld, v->vals[i], ipath, &o->extra[i])))
                return rc;
            o->n_extra = i + 1;
            if (!strncmp(o->extra[i], "#SBATCH", 7))
                return failf(ld, v->vals[i], "%s: write the option without the #SBATCH prefix "
                                             "(e.g. --constraint=avx2)", ipath);
            if (o->extra[i][0] != '-')
                return failf(ld, v->vals[i], "%s: '%s' is not an sbatch option (they start with "
                                             "'-', e.g. --constraint=avx2)", ipath, o->extra[i]);
        }
    }
    return 0;
}

static int name_ok(const char *n)
{
    if (!*n || strlen(n) > 128 || !isalnum((unsigned char)n[0]))
        return 0;
    for (; *n; n++)
        if (!isalnum((unsigned char)*n) && !strchr("._-", *n))
            return 0;
    return 1;
}

/* Default name: the basename without .yaml/.yml, other characters turned into '_'. */
static char *default_name(const char *path)
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

/* ---------------------------------------------------------------- hash */

typedef struct {
    char *buf;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
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

/* Canonical text of the science-relevant settings.  Doubles go in as C99 hex floats, so
 * the text (and the hash) is exact and independent of printing precision.  Changing this
 * layout changes every hash: bump the version tag if you must. */
char *config_canonical_text(const cs_sweep *s)
{
    sbuf b = {0};
    sb_printf(&b, "critsweep-sweep-v1\nseed=%llu\nactivation=", (unsigned long long)s->seed);
    for (int i = 0; i < s->n_activation; i++)
        sb_printf(&b, "%s%s", i ? "," : "", activation_name(s->activation[i]));
    sb_printf(&b, "\nwidth=");
    for (int i = 0; i < s->n_width; i++)
        sb_printf(&b, "%s%d", i ? "," : "", s->width[i]);
    sb_printf(&b, "\nsigma_b2=");
    for (int i = 0; i < s->n_sigma_b2; i++)
        sb_printf(&b, "%s%a", i ? "," : "", s->sigma_b2[i]);
    sb_printf(&b, "\nsigma_w2=");
    for (int i = 0; i < s->n_sigma_w2; i++)
        sb_printf(&b, "%s%a", i ? "," : "", s->sigma_w2[i]);
    sb_printf(&b, "\nseeds=");
    for (int i = 0; i < s->n_seed; i++)
        sb_printf(&b, "%s%llu", i ? "," : "", (unsigned long long)s->seeds[i]);
    const avalanche_params *a = &s->avalanche;
    sb_printf(&b, "\navalanche.depth=%d\navalanche.q0=%a\navalanche.inputs=%ld\n"
                  "avalanche.per_network=%ld\navalanche.convention=%s\navalanche.mode=%s\n"
                  "avalanche.shape_window=%d,%d\navalanche.shape_min_count=%d\n",
              a->depth, a->q0, a->inputs, a->per_network, convention_name(a->convention),
              mode_name(a->mode), a->shape_dmin, a->shape_dmax, a->shape_min_count);
    /* dense is what every sweep before the engine choice ran, so it keeps their hashes;
     * the other engines draw other numbers and must not extend a dense file */
    if (a->engine != CS_ENGINE_DENSE)
        sb_printf(&b, "avalanche.engine=%s\n", engine_name(a->engine));
    const fit_options *o = &s->fit;
    sb_printf(&b, "fit.xmin_s=%a\nfit.xmin_d=%a\nfit.gamma_min_count=%d\nfit.bootstrap=%d\n"
                  "fit.shape_gamma=%a,%a,%a\nfit.shape_points=%d\n",
              o->xmin_s > 0 ? o->xmin_s : 0.0, o->xmin_d > 0 ? o->xmin_d : 0.0,
              o->gamma_min_count, o->bootstrap, o->shape_gamma_lo, o->shape_gamma_hi,
              o->shape_gamma_step, o->shape_points);
    sb_printf(&b, "train.enabled=%d\n", s->train.enabled ? 1 : 0);
    if (s->train.enabled) { /* settings of a disabled training do not change results */
        const train_params *t = &s->train.params;
        sb_printf(&b, "train.depth=%d\ntrain.epochs=%d\ntrain.batch=%d\ntrain.lr=%a\n"
                      "train.momentum=%a\ntrain.optimizer=%s\ntrain.train_subset=%ld\n",
                  t->depth, t->epochs, t->batch, t->lr, t->momentum, optimizer_name(t->optimizer),
                  s->train.train_subset);
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

/* ---------------------------------------------------------------- load */

static int load_tree(const loader *ld, const node *root, cs_sweep *s)
{
    int rc;
    if (!root)
        return failf(ld, NULL, "the sweep file is empty; it needs at least a grid (see "
                               "sweeps/quick.yaml)");
    if (root->kind != NODE_MAP)
        return failf(ld, root, "a sweep file is a mapping of sections (grid:, avalanche:, ...), "
                               "not %s",
                     kind_name(root));
    if ((rc = check_keys(ld, root, "the sweep file", top_keys, COUNT(top_keys))))
        return rc;
    node *v, *k;
    if ((v = map_find(root, "name", &k))) {
        if ((rc = get_str(ld, v, "name", &s->name)))
            return rc;
        if (!name_ok(s->name))
            return failf(ld, v, "name: '%s' must start with a letter or digit and hold only "
                                "letters, digits, '.', '_' and '-' (at most 128)", s->name);
    }
    if ((v = map_find(root, "seed", &k)) && (rc = get_u64(ld, v, "seed", &s->seed)))
        return rc;
    if ((rc = parse_grid(ld, root, s)) || (rc = parse_avalanche(ld, root, s)) ||
        (rc = parse_fit(ld, root, s)) || (rc = parse_output(ld, root, s)) ||
        (rc = parse_slurm(ld, root, s)))
        return rc;
    /* Cross-field checks. */
    const avalanche_params *a = &s->avalanche;
    if (a->shape_dmin >= a->depth - 3) {
        node *sec = map_find(root, "avalanche", NULL);
        node *w = sec ? map_find(sec, "shape_window", NULL) : NULL;
        node *d = sec ? map_find(sec, "depth", NULL) : NULL;
        return failf(ld, w ? w : d ? d : map_find(root, "grid", NULL),
                     "avalanche.shape_window: dmin = %d leaves no duration below the longest "
                     "recorded one (depth - 3 = %d); lower shape_window or raise depth",
                     a->shape_dmin, a->depth - 3);
    }
    if ((rc = parse_train(ld, root, s))) /* last: it looks at the file system */
        return rc;
    node *tk = NULL, *tsec = map_find(root, "train", &tk);
    if (s->train.enabled && s->train.params.epochs < 1) {
        node *ek = NULL, *ev = tsec ? map_find(tsec, "epochs", &ek) : NULL;
        return failf(ld, ev ? ev : tk, "train.epochs: 0 epochs trains nothing; set "
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
    if (avalanche_params_check(&ap, &sub)) {
        node *ak = NULL;
        map_find(root, "avalanche", &ak);
        return failf(ld, ak, "avalanche: %s", sub.msg);
    }
    if (s->train.enabled) {
        train_params tp = s->train.params;
        tp.width = ap.width;
        tp.sigma_w2 = ap.sigma_w2;
        tp.sigma_b2 = ap.sigma_b2;
        tp.activation = ap.activation;
        if (train_params_check(&tp, &sub))
            return failf(ld, tk, "train: %s", sub.msg);
    }
    return 0;
}

static void set_defaults(cs_sweep *s)
{
    avalanche_params_default(&s->avalanche);
    fit_options_default(&s->fit);
    train_params_default(&s->train.params);
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
    int rc = parse_yaml(&ld, text, len, name, 1, &root);
    for (int i = 0; !rc && i < n_overrides; i++) {
        size_t n = strlen(overrides[i]) + 8;
        if (!(origins[i] = malloc(n))) {
            rc = cs_fail(err, CS_EXIT_ERROR, "out of memory");
            break;
        }
        snprintf(origins[i], n, "--set %s", overrides[i]);
        if (root && root->kind != NODE_MAP)
            break; /* load_tree names the real problem */
        rc = apply_override(&ld, &root, overrides[i], origins[i]);
    }
    if (!rc)
        rc = load_tree(&ld, root, out);
    node_free(root);
    for (int i = 0; i < n_overrides; i++)
        free(origins[i]);
    free(origins);

    /* The text as stored in the results file: the file, then the overrides as comments
     * (the hash, not this text, decides whether two runs are the same sweep). */
    if (!rc) {
        sbuf b = {0};
        sb_printf(&b, "%.*s", (int)len, text);
        if (n_overrides > 0) {
            sb_printf(&b, "%s# overrides (--set), applied on top of the text above:\n",
                      len && text[len - 1] != '\n' ? "\n" : "");
            for (int i = 0; i < n_overrides; i++)
                sb_printf(&b, "#   %s\n", overrides[i]);
        }
        if (b.oom || !b.buf) {
            free(b.buf);
            rc = cs_fail(err, CS_EXIT_ERROR, "out of memory");
        } else {
            out->yaml_text = b.buf;
        }
    }
    if (!rc && !out->name && !(out->name = default_name(name)))
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
    free(s->activation);
    free(s->width);
    free(s->sigma_b2);
    free(s->sigma_w2);
    free(s->seeds);
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

/* ---------------------------------------------------------------- print */

/* Shortest "%.*g" that reads back to the same double. */
static void put_num(FILE *f, double v)
{
    char b[40];
    for (int p = 1; p <= 17; p++) {
        snprintf(b, sizeof b, "%.*g", p, v);
        if (strtod(b, NULL) == v)
            break;
    }
    /* keep it a float for a YAML reader (1 → 1 is fine for us, but 1e+20 is a string to
     * some YAML 1.1 readers without a dot) */
    if (strchr(b, 'e') && !strchr(b, '.')) {
        char *e = strchr(b, 'e');
        char tail[24];
        snprintf(tail, sizeof tail, "%s", e);
        snprintf(e, sizeof b - (size_t)(e - b), ".0%s", tail);
    }
    fputs(b, f);
}

static void put_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\x%02x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void put_list(FILE *f, const double *v, int n)
{
    fputc('[', f);
    for (int i = 0; i < n; i++) {
        if (i)
            fputs(", ", f);
        put_num(f, v[i]);
    }
    fputc(']', f);
}

static void put_opt_str(FILE *f, const char *key, const char *v)
{
    if (v) {
        fprintf(f, "  %s: ", key);
        put_str(f, v);
        fputc('\n', f);
    } else {
        fprintf(f, "  # %s: (not set)\n", key);
    }
}

static void put_opt_int(FILE *f, const char *key, int v)
{
    if (v > 0)
        fprintf(f, "  %s: %d\n", key, v);
    else
        fprintf(f, "  # %s: (not set)\n", key);
}

void config_print(const cs_sweep *s, FILE *f)
{
    long tasks = (long)s->n_activation * s->n_width * s->n_sigma_b2 * s->n_sigma_w2 * s->n_seed;
    fprintf(f, "# critsweep %s: every resolved setting of %s (defaults included)\n", CS_VERSION,
            s->path ? s->path : "the sweep");
    fprintf(f, "# hash %s over grid, seed, avalanche, fit and train; %ld tasks\n", s->hash_hex,
            tasks);
    fputs("name: ", f);
    put_str(f, s->name ? s->name : "");
    fprintf(f, "\nseed: %llu\n", (unsigned long long)s->seed);
    fputs("grid:\n  activation: [", f);
    for (int i = 0; i < s->n_activation; i++)
        fprintf(f, "%s%s", i ? ", " : "", activation_name(s->activation[i]));
    fputs("]\n  width: [", f);
    for (int i = 0; i < s->n_width; i++)
        fprintf(f, "%s%d", i ? ", " : "", s->width[i]);
    fputs("]\n  sigma_b2: ", f);
    put_list(f, s->sigma_b2, s->n_sigma_b2);
    fputs("\n  sigma_w2: ", f);
    put_list(f, s->sigma_w2, s->n_sigma_w2);
    fputs("\n  seeds: [", f);
    for (int i = 0; i < s->n_seed; i++)
        fprintf(f, "%s%llu", i ? ", " : "", (unsigned long long)s->seeds[i]);
    fputs("]\n", f);
    const avalanche_params *a = &s->avalanche;
    fprintf(f, "avalanche:\n  depth: %d\n  q0: ", a->depth);
    put_num(f, a->q0);
    fprintf(f, "\n  inputs: %ld\n  per_network: %ld\n  convention: %s\n  mode: %s\n"
               "  engine: %s\n  shape_window: [%d, %d]\n  shape_min_count: %d\n",
            a->inputs, a->per_network, convention_name(a->convention), mode_name(a->mode),
            engine_name(a->engine),
            a->shape_dmin, a->shape_dmax, a->shape_min_count);
    const fit_options *o = &s->fit;
    fputs("fit:\n  xmin_s: ", f);
    if (o->xmin_s > 0)
        put_num(f, o->xmin_s);
    else
        fputs("auto", f);
    fputs("\n  xmin_d: ", f);
    if (o->xmin_d > 0)
        put_num(f, o->xmin_d);
    else
        fputs("auto", f);
    fprintf(f, "\n  gamma_min_count: %d\n  bootstrap: %d\n  shape_gamma_min: ", o->gamma_min_count,
            o->bootstrap);
    put_num(f, o->shape_gamma_lo);
    fputs("\n  shape_gamma_max: ", f);
    put_num(f, o->shape_gamma_hi);
    fputs("\n  shape_gamma_step: ", f);
    put_num(f, o->shape_gamma_step);
    const train_params *t = &s->train.params;
    fprintf(f, "\ntrain:\n  enabled: %s\n  depth: %d\n  epochs: %d\n  batch: %d\n  lr: ",
            s->train.enabled ? "true" : "false", t->depth, t->epochs, t->batch);
    put_num(f, t->lr);
    fputs("\n  momentum: ", f);
    put_num(f, t->momentum);
    fprintf(f, "\n  optimizer: %s\n  train_subset: %ld\n  data: ", optimizer_name(t->optimizer),
            s->train.train_subset);
    put_str(f, s->train.data_dir ? s->train.data_dir : "");
    fputs("\noutput:\n  file: ", f);
    put_str(f, s->output.file ? s->output.file : "");
    fprintf(f, "\n  max_attempts: %d\nslurm:\n", s->output.max_attempts);
    const cs_slurm_options *sl = &s->slurm;
    put_opt_str(f, "partition", sl->partition);
    put_opt_str(f, "account", sl->account);
    put_opt_str(f, "qos", sl->qos);
    put_opt_str(f, "time", sl->time);
    put_opt_int(f, "nodes", sl->nodes);
    put_opt_int(f, "ntasks", sl->ntasks);
    put_opt_int(f, "ntasks_per_node", sl->ntasks_per_node);
    put_opt_str(f, "mem_per_cpu", sl->mem_per_cpu);
    fprintf(f, "  max_requeues: %d\n  signal_lead: %d\n  extra: [", sl->max_requeues,
            sl->signal_lead);
    for (int i = 0; i < sl->n_extra; i++) {
        if (i)
            fputs(", ", f);
        put_str(f, sl->extra[i]);
    }
    fputs("]\n", f);
}

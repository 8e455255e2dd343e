/* config_yaml.c — the sweep file as a small tree, built from libyaml's event API (no
 * global state, so two loads may run in one process), and the loader's errors
 * ("file:line:col: message").  Aliases are refused rather than expanded, which also
 * keeps a hostile file from blowing up memory. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config_internal.h"

/* ---------------------------------------------------------------- errors */

int cfg_failf(const loader *ld, const node *at, const char *fmt, ...)
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
const char *cfg_clip(const char *s, char *buf, size_t n)
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
const char *cfg_closest(const char *word, const char *const *cands, int n)
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

void cfg_node_free(node *n)
{
    if (!n)
        return;
    for (int i = 0; i < n->n; i++) {
        if (n->keys)
            cfg_node_free(n->keys[i]);
        cfg_node_free(n->vals[i]);
    }
    free(n->keys);
    free(n->vals);
    free(n->text);
    free(n);
}

node *cfg_node_new(node_kind kind, const char *origin, int line, int col)
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

int cfg_node_push(node *parent, node *key, node *val)
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

node *cfg_map_find(const node *m, const char *key, node **keynode)
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

int cfg_is_null(const node *n)
{
    if (n->kind != NODE_SCALAR || !n->plain)
        return 0;
    const char *t = n->text;
    return !*t || !strcmp(t, "~") || !strcmp(t, "null") || !strcmp(t, "Null") ||
           !strcmp(t, "NULL");
}

const char *cfg_kind_name(const node *n)
{
    if (n->kind == NODE_SEQ)
        return "a list";
    if (n->kind == NODE_MAP)
        return "a mapping";
    if (cfg_is_null(n))
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
    node *n = cfg_node_new(NODE_SCALAR, b->origin, line, col);
    if (!n)
        return cs_fail(b->ld->err, CS_EXIT_USAGE, "%s: out of memory", b->origin);
    const char *v = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    if (memchr(v, '\0', len)) {
        cfg_node_free(n);
        node tmp = {.origin = b->origin, .line = line, .col = col};
        return cfg_failf(b->ld, &tmp, "a NUL character inside a value");
    }
    n->text = strndup(v, len);
    if (!n->text) {
        cfg_node_free(n);
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
            int rc = cfg_failf(b->ld, n, "unsupported YAML tag '%s'", tag);
            cfg_node_free(n);
            return rc;
        }
    }
    *out = n;
    return 0;
}

/* A mapping's key from event e (consumed), refused if n has it already; on success e
 * is the value's event. */
static int build_key(build_ctx *b, const node *n, yaml_event_t *e, node **key)
{
    int rc;
    if (e->type != YAML_SCALAR_EVENT) {
        node at = {.origin = b->origin,
                   .line = b->in_file ? (int)e->start_mark.line + 1 : 0,
                   .col = b->in_file ? (int)e->start_mark.column + 1 : 0};
        rc = cfg_failf(b->ld, &at, "mapping keys must be plain words, not %s",
                       e->type == YAML_ALIAS_EVENT ? "aliases" : "lists or mappings");
        yaml_event_delete(e);
        return rc;
    }
    rc = build_scalar(b, e, key);
    yaml_event_delete(e);
    if (rc)
        return rc;
    for (int i = 0; i < n->n; i++)
        if (!strcmp(n->keys[i]->text, (*key)->text)) {
            if (n->keys[i]->line > 0)
                rc = cfg_failf(b->ld, *key, "duplicate key '%s' (first given at line %d)",
                               (*key)->text, n->keys[i]->line);
            else
                rc = cfg_failf(b->ld, *key, "duplicate key '%s'", (*key)->text);
            break;
        }
    if (!rc)
        rc = next_event(b, e);
    if (rc) {
        cfg_node_free(*key);
        *key = NULL;
    }
    return rc;
}

static int build(build_ctx *b, yaml_event_t *ev, int depth, node **out)
{
    int line = b->in_file ? (int)ev->start_mark.line + 1 : 0;
    int col = b->in_file ? (int)ev->start_mark.column + 1 : 0;
    node here = {.origin = b->origin, .line = line, .col = col};
    *out = NULL;
    if (depth > MAX_NESTING)
        return cfg_failf(b->ld, &here, "nested deeper than %d levels", MAX_NESTING);
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        return build_scalar(b, ev, out);
    case YAML_ALIAS_EVENT:
        return cfg_failf(b->ld, &here, "YAML aliases (*%s) are not supported in sweep files; "
                                   "write the value out",
                     (const char *)ev->data.alias.anchor);
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        break;
    default:
        return cfg_failf(b->ld, &here, "unexpected YAML event");
    }
    int is_map = ev->type == YAML_MAPPING_START_EVENT;
    node *n = cfg_node_new(is_map ? NODE_MAP : NODE_SEQ, b->origin, line, col);
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
        if (is_map && (rc = build_key(b, n, &e, &key)))
            break;
        rc = build(b, &e, depth + 1, &val);
        yaml_event_delete(&e);
        if (rc) {
            cfg_node_free(key);
            break;
        }
        if (cfg_node_push(n, key, val)) {
            cfg_node_free(key);
            cfg_node_free(val);
            rc = cs_fail(b->ld->err, CS_EXIT_USAGE, "%s: out of memory", b->origin);
            break;
        }
    }
    if (rc) {
        cfg_node_free(n);
        return rc;
    }
    *out = n;
    return 0;
}

/* Parses one YAML document; *root is NULL for an empty document. */
int cfg_parse_yaml(const loader *ld, const char *text, size_t len, const char *origin,
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
                rc = cfg_failf(ld, &at, "a second YAML document ('---'): a sweep file holds one");
            stage = 5;
            break;
        }
        yaml_event_delete(&e);
    }
    yaml_parser_delete(&p);
    if (rc) {
        cfg_node_free(r);
        return rc;
    }
    *root = r;
    return 0;
}

/* config_internal.h — what the config_*.c files share, and nothing outside them sees:
 * the YAML tree, the loader's error context, typed getters and the section parsers.
 * Every name carries the cfg_ prefix so that none of them collides in the library. */
#ifndef CRITSWEEP_CONFIG_INTERNAL_H
#define CRITSWEEP_CONFIG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "critsweep/config.h"

#define MAX_NESTING 32
#define MAX_FILE_BYTES (16L << 20)
#define MAX_AXIS 100000 /* values per axis; the whole grid is capped by CS_MAX_TASKS */

#define COUNT(a) ((int)(sizeof(a) / sizeof *(a)))

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

/* A growing string (hash text, stored YAML); oom set on the first failed allocation. */
typedef struct {
    char *buf;
    size_t len, cap;
    int oom;
} sbuf;

/* config_yaml.c: errors, the tree, libyaml → tree */
int cfg_failf(const loader *ld, const node *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *cfg_clip(const char *s, char *buf, size_t n);
const char *cfg_closest(const char *word, const char *const *cands, int n);
void cfg_node_free(node *n);
node *cfg_node_new(node_kind kind, const char *origin, int line, int col);
int cfg_node_push(node *parent, node *key, node *val);
node *cfg_map_find(const node *m, const char *key, node **keynode);
int cfg_is_null(const node *n);
const char *cfg_kind_name(const node *n);
int cfg_parse_yaml(const loader *ld, const char *text, size_t len, const char *origin,
                   int in_file, node **root);

/* config_override.c */
int cfg_apply_override(const loader *ld, node **root, const char *spec, const char *origin);

/* config_value.c: typed values, known keys, sections */
#define CFG_N_TOP_KEYS 9
#define CFG_N_RANGE_KEYS 4
extern const char *const cfg_top_keys[CFG_N_TOP_KEYS];
extern const char *const cfg_range_keys[CFG_N_RANGE_KEYS];
int cfg_parse_number(const char *t, double *out);
int cfg_get_long(const loader *ld, const node *n, const char *path, long long lo,
                 long long hi, long long *out);
int cfg_get_int(const loader *ld, const node *n, const char *path, int lo, int hi, int *out);
int cfg_get_u64(const loader *ld, const node *n, const char *path, uint64_t *out);
int cfg_get_double(const loader *ld, const node *n, const char *path, double lo,
                   int lo_open, double hi, const char *what_low, double *out);
int cfg_get_bool(const loader *ld, const node *n, const char *path, int *out);
int cfg_get_str(const loader *ld, const node *n, const char *path, char **out);
int cfg_get_choice(const loader *ld, const node *n, const char *path,
                   const char *const *names, int count, int *out);
int cfg_check_keys(const loader *ld, const node *map, const char *where,
                   const char *const *keys, int nkeys);
int cfg_get_section(const loader *ld, const node *root, const char *name, node **sec,
                    node **keynode);

/* config_grid.c */
int cfg_parse_grid(const loader *ld, const node *root, cs_sweep *s);
/* grid.<axis>.adaptive (config_adaptive.c): m is the node under `adaptive`, axis an
 * axis id (axis.h); fills s->adaptive[axis] and round 1's values. */
int cfg_parse_adaptive(const loader *ld, const node *m, const char *path, int axis,
                       cs_sweep *s);
int cfg_check_adaptive(const loader *ld, const node *gk, const cs_sweep *s);

/* config_schema.c: the other sections */
int cfg_parse_avalanche(const loader *ld, const node *root, cs_sweep *s);
int cfg_parse_dynrange(const loader *ld, const node *root, cs_sweep *s);
int cfg_parse_fit(const loader *ld, const node *root, cs_sweep *s);
int cfg_parse_train(const loader *ld, const node *root, cs_sweep *s);
int cfg_parse_output(const loader *ld, const node *root, cs_sweep *s);
int cfg_parse_slurm(const loader *ld, const node *root, cs_sweep *s);
int cfg_name_ok(const char *n);
char *cfg_default_name(const char *path);

/* config_hash.c */
void cfg_sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

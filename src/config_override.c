/* config_override.c — `--set dotted.key=value`: the value (YAML flow syntax) replaces or
 * inserts a node of the parsed tree before validation, so it is checked, printed and
 * hashed exactly like the file's own values. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"

/* ---------------------------------------------------------------- overrides */

/* Puts val under key name (malloc'd; taken over) in map cur: in place of child if the key
 * exists, else as a new key.  On failure (-1, out of memory) name is freed, val is not. */
static int put_child(node *cur, node *child, char *name, node *val, const char *origin)
{
    if (child) {
        int i = 0;
        while (cur->vals[i] != child)
            i++;
        cfg_node_free(child);
        cur->vals[i] = val;
        free(name);
        return 0;
    }
    node *k = cfg_node_new(NODE_SCALAR, origin, 0, 0);
    if (!k || cfg_node_push(cur, k, val)) {
        free(name);
        cfg_node_free(k);
        return -1;
    }
    k->text = name;
    k->plain = 1;
    return 0;
}

int cfg_apply_override(const loader *ld, node **root, const char *spec, const char *origin)
{
    node at = {.origin = origin};
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec)
        return cfg_failf(ld, &at, "expected key=value, e.g. avalanche.inputs=500");
    const char *value = eq + 1;
    node *val = NULL;
    int rc = cfg_parse_yaml(ld, value, strlen(value), origin, 0, &val);
    if (rc)
        return rc;
    if (!val)
        return cfg_failf(ld, &at, "no value after '='");
    if (!*root && !(*root = cfg_node_new(NODE_MAP, origin, 0, 0))) {
        cfg_node_free(val);
        return cfg_failf(ld, &at, "out of memory");
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
            cfg_node_free(val);
            return cfg_failf(ld, &at, "malformed key (empty or overlong part between dots)");
        }
        if (cur->kind != NODE_MAP) {
            cfg_node_free(val);
            return cfg_failf(ld, &at, "'%s' is %s, not a section of keys", plen ? path : "the file",
                         cfg_kind_name(cur));
        }
        char *name = strndup(seg, n);
        if (!name) {
            cfg_node_free(val);
            return cfg_failf(ld, &at, "out of memory");
        }
        snprintf(path + plen, sizeof path - plen, "%s%s", plen ? "." : "", name);
        plen = strlen(path);
        node *keynode = NULL;
        node *child = cfg_map_find(cur, name, &keynode);
        int last = !dot;
        if (last) {
            if (put_child(cur, child, name, val, origin)) {
                cfg_node_free(val);
                return cfg_failf(ld, &at, "out of memory");
            }
            return 0;
        }
        if (!child || cfg_is_null(child)) {
            node *m = cfg_node_new(NODE_MAP, origin, 0, 0);
            if (!m || put_child(cur, child, name, m, origin)) {
                if (!m)
                    free(name);
                cfg_node_free(m);
                cfg_node_free(val);
                return cfg_failf(ld, &at, "out of memory");
            }
            child = m;
        } else {
            free(name);
        }
        cur = child;
        seg = end + 1;
    }
    cfg_node_free(val);
    return cfg_failf(ld, &at, "malformed key");
}

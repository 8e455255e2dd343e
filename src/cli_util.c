/* cli_util.c — error printing, option parsing and the JSON writer shared by every
 * --json output. */
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "critsweep/cli.h"
#include "critsweep/common.h"

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "critsweep %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return CS_EXIT_USAGE;
}

void cli_opts_init(cli_opts *o, int argc, char **argv, const char *shorts,
                   const struct option *longs)
{
    o->argc = argc;
    o->argv = argv;
    o->shorts = shorts;
    o->longs = longs;
    o->word = o->value = NULL;
    optind = 0; /* getopt_long starts afresh at argv[1] */
    opterr = 0; /* its messages would not name the subcommand: ours do */
}

/* Is word an option of the table as a whole word: "-x" or "--name" / "--name=..."? */
static int cli_opts_known(const cli_opts *o, const char *word)
{
    if (word[1] != '-')
        return word[2] == '\0' && word[1] != ':' && strchr(o->shorts, word[1]) != NULL;
    const char *name = word + 2;
    size_t len = strcspn(name, "=");
    for (const struct option *l = o->longs; l->name; l++)
        if (strlen(l->name) == len && !strncmp(l->name, name, len))
            return 1;
    return 0;
}

int cli_opts_next(cli_opts *o)
{
    int at = optind > 0 ? optind : 1;
    if (at >= o->argc)
        return -1;
    const char *word = o->argv[at];
    o->word = word;
    o->value = NULL;
    if (word[0] != '-' || word[1] == '\0') {
        optind = at + 1;
        o->value = word;
        return CLI_OPERAND;
    }
    if (!cli_opts_known(o, word)) {
        optind = at + 1;
        return CLI_UNKNOWN;
    }
    /* '+': no reordering, operands are handled above; ':': a missing value is ':'. */
    char optstring[64];
    snprintf(optstring, sizeof optstring, "+:%s", o->shorts);
    int c = getopt_long(o->argc, o->argv, optstring, o->longs, NULL);
    if (c == ':')
        return optopt; /* value stays NULL */
    if (c == '?')
        return CLI_UNKNOWN; /* e.g. --flag=value for a flag that takes none */
    o->value = optarg;
    return c;
}

/* Length of the well-formed UTF-8 sequence at s (1-4), or 0 with *bad set to the length
 * of its maximal ill-formed prefix (Unicode's "maximal subpart", what Python's
 * errors="replace" replaces).  Excluded: overlongs, surrogates, code points > U+10FFFF.
 * The terminating NUL fails every continuation test, so s is never read past it. */
static size_t utf8_sequence(const unsigned char *s, size_t *bad)
{
    unsigned c = s[0], lo = 0x80, hi = 0xBF;
    size_t more;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        more = 1;
    else if (c >= 0xE0 && c <= 0xEF) {
        more = 2;
        if (c == 0xE0)
            lo = 0xA0; /* overlong below U+0800 */
        if (c == 0xED)
            hi = 0x9F; /* U+D800..U+DFFF, surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        more = 3;
        if (c == 0xF0)
            lo = 0x90; /* overlong below U+10000 */
        if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else {
        *bad = 1; /* a continuation byte, C0/C1, F5..FF */
        return 0;
    }
    for (size_t i = 1; i <= more; i++) {
        if (s[i] < lo || s[i] > hi) {
            *bad = i;
            return 0;
        }
        lo = 0x80, hi = 0xBF;
    }
    return more + 1;
}

/* Every JSON string, keys included, goes through here.  Strings come from files and the
 * environment (paths, sweep names, failure reasons, SLURM job ids) and need not be
 * UTF-8, but JSON text must be: each ill-formed part becomes U+FFFD (Unicode's
 * replacement practice), written as the escape "\ufffd" so no odd byte reaches the
 * output.  Well-formed multi-byte characters are copied as they are. */
static void json_write_string(FILE *f, const char *str)
{
    const unsigned char *s = (const unsigned char *)(str ? str : "");
    fputc('"', f);
    while (*s) {
        size_t bad = 0, n = utf8_sequence(s, &bad);
        if (!n) {
            fputs("\\ufffd", f);
            s += bad;
            continue;
        }
        unsigned c = *s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fwrite(s, 1, n, f);
        s += n;
    }
    fputc('"', f);
}

static void json_key(json_writer *w, const char *key)
{
    fputs(w->n++ ? ", " : "", w->f);
    if (key) {
        json_write_string(w->f, key);
        fputs(": ", w->f);
    }
}

static void json_write_number(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.17g", v);
    else
        fputs("null", f);
}

void json_begin(json_writer *w, FILE *f)
{
    w->f = f;
    w->n = 0;
    w->depth = 1;
    fputc('{', f);
}

void json_num(json_writer *w, const char *key, double v)
{
    json_key(w, key);
    json_write_number(w->f, v);
}

void json_int(json_writer *w, const char *key, long long v)
{
    json_key(w, key);
    fprintf(w->f, "%lld", v);
}

void json_str(json_writer *w, const char *key, const char *v)
{
    json_key(w, key);
    json_write_string(w->f, v);
}

void json_bool(json_writer *w, const char *key, int v)
{
    json_key(w, key);
    fputs(v ? "true" : "false", w->f);
}

void json_num_array(json_writer *w, const char *key, const double *v, long n)
{
    json_key(w, key);
    fputc('[', w->f);
    for (long i = 0; i < n; i++) {
        if (i)
            fputs(", ", w->f);
        json_write_number(w->f, v[i]);
    }
    fputc(']', w->f);
}

void json_object_begin(json_writer *w, const char *key)
{
    json_key(w, key);
    fputc('{', w->f);
    w->n = 0;
    w->depth++;
}

void json_object_end(json_writer *w)
{
    fputc('}', w->f);
    w->n = 1;
    w->depth--;
}

void json_array_begin(json_writer *w, const char *key)
{
    json_key(w, key);
    fputc('[', w->f);
    w->n = 0;
    w->depth++;
}

void json_array_end(json_writer *w)
{
    fputc(']', w->f);
    w->n = 1;
    w->depth--;
}

void json_end(json_writer *w)
{
    fputs("}\n", w->f);
    w->depth = 0;
}

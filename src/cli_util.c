/* cli_util.c — error printing and the JSON writer shared by the subcommands. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

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

static void json_key(json_writer *w, const char *key)
{
    fputs(w->n++ ? ", " : "", w->f);
    if (key)
        fprintf(w->f, "\"%s\": ", key);
}

static void json_write_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
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

void json_end(json_writer *w)
{
    fputs("}\n", w->f);
    w->depth = 0;
}

/* test_cli_util.c — the command line's option parser (cli_opts over getopt_long: full
 * names only, one short option per word, operands anywhere, missing values) and the JSON
 * writer's nesting, checked against hand-written expected output; every JSON text is
 * also checked to be valid by a small recursive-descent parser. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "critsweep/cli.h"

#include "check.h"

static const struct option longs[] = {
    {"help", no_argument, NULL, 'h'}, {"output", required_argument, NULL, 'o'},
    {"ntasks", required_argument, NULL, 'n'}, {"ntasks-per-node", required_argument, NULL, 'p'},
    {"dry-run", optional_argument, NULL, 'd'}, {NULL, 0, NULL, 0}};

/* Parses words (NULL-terminated, after the command name) and writes what came back as
 * "c=value" items, e.g. "o=x 1=a ?=--out". */
static void parse(const char *const *words, char *out, size_t n)
{
    char *argv[16];
    int argc = 0;
    argv[argc++] = "cmd";
    for (; *words; words++)
        argv[argc++] = (char *)*words;
    argv[argc] = NULL;
    cli_opts o;
    cli_opts_init(&o, argc, argv, "ho:", longs);
    out[0] = '\0';
    for (int c; (c = cli_opts_next(&o)) != -1;) {
        size_t k = strlen(out);
        const char *v = c == CLI_UNKNOWN ? o.word : o.value ? o.value : "(null)";
        snprintf(out + k, n - k, "%s%c=%s", k ? " " : "", c == CLI_OPERAND ? '1' : c, v);
    }
}

static void expect_parse(const char *want, const char *const *words)
{
    char got[512];
    parse(words, got, sizeof got);
    CHECK(!strcmp(got, want), "parsed '%s', expected '%s'", got, want);
}

static void test_options(void)
{
    expect_parse("", (const char *[]){NULL});
    expect_parse("1=a.yaml o=out.h5 h=(null)",
                 (const char *[]){"a.yaml", "-o", "out.h5", "--help", NULL});
    expect_parse("o=x o= o=y 1=b", (const char *[]){"--output=x", "--output=", "--output", "y",
                                                     "b", NULL});
    /* a value is the next word whatever it looks like */
    expect_parse("o=-5 n=--help", (const char *[]){"-o", "-5", "--ntasks", "--help", NULL});
    /* exact names: an exact match wins over a longer one, prefixes are unknown */
    expect_parse("n=3 p=4", (const char *[]){"--ntasks", "3", "--ntasks-per-node=4", NULL});
    expect_parse("?=--out 1=x", (const char *[]){"--out", "x", NULL});
    expect_parse("?=--ntask 1=3", (const char *[]){"--ntask", "3", NULL});
    /* one short option per word, no attached value, "--" is not special */
    expect_parse("?=-ho", (const char *[]){"-ho", NULL});
    expect_parse("?=-ofile", (const char *[]){"-ofile", NULL});
    expect_parse("?=-- 1=a", (const char *[]){"--", "a", NULL});
    expect_parse("1=-", (const char *[]){"-", NULL});
    /* a flag given a value is unknown unless it takes an optional one */
    expect_parse("?=--help=x", (const char *[]){"--help=x", NULL});
    expect_parse("d=(null) d=x", (const char *[]){"--dry-run", "--dry-run=x", NULL});
    /* a missing value comes back as NULL, naming the option as typed */
    expect_parse("o=(null)", (const char *[]){"-o", NULL});
    expect_parse("1=a n=(null)", (const char *[]){"a", "--ntasks", NULL});
    /* a second parse starts afresh */
    expect_parse("1=z", (const char *[]){"z", NULL});
}

/* ---- a JSON validity check: value := object | array | string | number | literal ---- */

static const char *json_value(const char *s);

static const char *json_ws(const char *s)
{
    while (*s == ' ' || *s == '\n')
        s++;
    return s;
}

static const char *json_string_end(const char *s)
{
    if (*s++ != '"')
        return NULL;
    for (; *s && *s != '"'; s++)
        if (*s == '\\' && !*++s)
            return NULL;
    return *s == '"' ? s + 1 : NULL;
}

static const char *json_list(const char *s, char close, int keyed)
{
    s = json_ws(s + 1);
    if (*s == close)
        return s + 1;
    for (;;) {
        if (keyed) {
            if (!(s = json_string_end(json_ws(s))))
                return NULL;
            s = json_ws(s);
            if (*s++ != ':')
                return NULL;
        }
        if (!(s = json_value(s)))
            return NULL;
        s = json_ws(s);
        if (*s == close)
            return s + 1;
        if (*s++ != ',')
            return NULL;
    }
}

static const char *json_value(const char *s)
{
    s = json_ws(s);
    if (*s == '{')
        return json_list(s, '}', 1);
    if (*s == '[')
        return json_list(s, ']', 0);
    if (*s == '"')
        return json_string_end(s);
    for (const char *lit[] = {"null", "true", "false"}, **l = lit; l < lit + 3; l++)
        if (!strncmp(s, *l, strlen(*l)))
            return s + strlen(*l);
    char *end;
    strtod(s, &end);
    return end > s ? end : NULL;
}

static void test_json_arrays(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    json_writer w;
    json_begin(&w, f);
    json_int(&w, "n", 2);
    json_array_begin(&w, "tasks");
    for (int t = 0; t < 2; t++) {
        json_object_begin(&w, NULL);
        json_int(&w, "task", t);
        json_str(&w, "reason", t ? "a \"b\"" : "");
        json_object_end(&w);
    }
    json_array_end(&w);
    json_array_begin(&w, "empty");
    json_array_end(&w);
    json_object_begin(&w, "fit");
    json_num(&w, "tau", 1.5);
    json_num_array(&w, "v", (const double[]){1, NAN}, 2);
    json_object_end(&w);
    json_bool(&w, "ok", 1);
    json_end(&w);
    fclose(f);
    const char *want = "{\"n\": 2, \"tasks\": [{\"task\": 0, \"reason\": \"\"}, {\"task\": 1, "
                       "\"reason\": \"a \\\"b\\\"\"}], \"empty\": [], \"fit\": {\"tau\": 1.5, "
                       "\"v\": [1, null]}, \"ok\": true}\n";
    CHECK(!strcmp(buf, want), "JSON\n  got  %s  want %s", buf, want);
    const char *end = json_value(buf);
    CHECK(end && !*json_ws(end), "not valid JSON: %s", buf);
    free(buf);
}

int main(void)
{
    test_options();
    test_json_arrays();
    printf("test_cli_util: %d failure(s)\n", failures);
    return failures ? 1 : 0;
}

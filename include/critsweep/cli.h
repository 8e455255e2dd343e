/* cli.h — subcommands (each returns a process exit code) and small helpers they share. */
#ifndef CRITSWEEP_CLI_H
#define CRITSWEEP_CLI_H

#include <getopt.h>
#include <stdio.h>

int cli_point(int argc, char **argv);
int cli_fit(int argc, char **argv);
int cli_meanfield(int argc, char **argv);
int cli_bench(int argc, char **argv);
int cli_train(int argc, char **argv);
int cli_check(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_refine(int argc, char **argv);
int cli_status(int argc, char **argv);
int cli_export(int argc, char **argv);
int cli_submit(int argc, char **argv);
int cli_phase(int argc, char **argv);
int cli_fss(int argc, char **argv);

/* Prints "critsweep CMD: message" on stderr and returns CS_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Options of a subcommand, parsed by getopt_long over one table of struct option, with
 * the command line's strict rules: long options by their full name only (a prefix or a
 * typo is an unknown option, never another option), one short option per word and its
 * value in the next word, options and operands in any order, and "--" not special.
 *   cli_opts o;
 *   cli_opts_init(&o, argc, argv, "ho:", longs);
 *   for (int c; (c = cli_opts_next(&o)) != -1;) switch (c) { ... }
 * cli_opts_next returns the option's `val`, CLI_OPERAND for an operand, CLI_UNKNOWN for
 * anything else starting with '-', or -1 at the end; o.word is the word as typed and
 * o.value the option's value or the operand (NULL when a required value is missing). */
enum { CLI_OPERAND = 1, CLI_UNKNOWN = '?' };
typedef struct {
    int argc;
    char **argv;
    const char *shorts;         /* getopt's optstring, without its '+' and ':' prefix */
    const struct option *longs; /* ends with a zero entry */
    const char *word;
    const char *value;
} cli_opts;
void cli_opts_init(cli_opts *o, int argc, char **argv, const char *shorts,
                   const struct option *longs);
int cli_opts_next(cli_opts *o);

/* Minimal JSON writer for --json outputs: one object, keys in call order. NaN and inf
 * are written as null (JSON has no NaN).  Keys and strings are escaped and any bytes
 * that are not UTF-8 become U+FFFD, so the output is valid JSON whatever the input. */
typedef struct {
    FILE *f;
    int n;      /* members written at the current level */
    int depth;
} json_writer;
void json_begin(json_writer *w, FILE *f);
void json_num(json_writer *w, const char *key, double v);
void json_int(json_writer *w, const char *key, long long v);
void json_str(json_writer *w, const char *key, const char *v);
void json_bool(json_writer *w, const char *key, int v);
void json_num_array(json_writer *w, const char *key, const double *v, long n);
void json_object_begin(json_writer *w, const char *key); /* key NULL: an array element */
void json_object_end(json_writer *w);
void json_array_begin(json_writer *w, const char *key);  /* elements: json_object_begin(w, NULL) */
void json_array_end(json_writer *w);
void json_end(json_writer *w); /* closes the object and writes a newline */

#endif

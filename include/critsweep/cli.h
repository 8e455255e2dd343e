/* cli.h — subcommands (each returns a process exit code) and small helpers they share. */
#ifndef CRITSWEEP_CLI_H
#define CRITSWEEP_CLI_H

#include <stdio.h>

int cli_point(int argc, char **argv);
int cli_fit(int argc, char **argv);
int cli_meanfield(int argc, char **argv);
int cli_bench(int argc, char **argv);
int cli_train(int argc, char **argv);
int cli_check(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_status(int argc, char **argv);
int cli_export(int argc, char **argv);
int cli_submit(int argc, char **argv);
int cli_phase(int argc, char **argv);
int cli_fss(int argc, char **argv);

/* Prints "critsweep CMD: message" on stderr and returns CS_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

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
void json_object_begin(json_writer *w, const char *key);
void json_object_end(json_writer *w);
void json_end(json_writer *w); /* closes the object and writes a newline */

#endif

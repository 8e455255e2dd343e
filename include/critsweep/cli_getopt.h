/* cli_getopt.h — getopt_long as `point`, `fit`, `meanfield` and `train` parse with it:
 * quietly (each subcommand prints its own messages), stopping at the first argument that
 * is not an option, and taking only options spelled out in full. */
#ifndef CRITSWEEP_CLI_GETOPT_H
#define CRITSWEEP_CLI_GETOPT_H

#include <getopt.h>

/* Starts a parse (optind = 1, opterr = 0). */
void cli_getopt_begin(void);
/* The next option as getopt_long returns it, with "-h" (or "--help", given as 'h' in
 * opts) as 'h' and ':' for a missing value; an abbreviation ("--wid") or a cluster of
 * short options ("-hx") is '?', as an unknown option is.  *at receives the index in argv
 * of the argument the option was given in, *li the index in opts of a long option. */
int cli_getopt(int argc, char **argv, const struct option *opts, int *li, int *at);

#endif

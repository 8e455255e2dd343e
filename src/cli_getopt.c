/* cli_getopt.c — getopt_long for the subcommands that take options spelled out in full
 * (cli_getopt.h). */
#include <string.h>

#include "critsweep/cli_getopt.h"

void cli_getopt_begin(void)
{
    optind = 1;
    opterr = 0;
}

/* 1 if a spells out long option name ("--name" or "--name=value"). */
static int spelled_out(const char *a, const char *name)
{
    size_t n = strlen(name);
    return a[0] == '-' && a[1] == '-' && !strncmp(a + 2, name, n) &&
           (a[2 + n] == '\0' || a[2 + n] == '=');
}

int cli_getopt(int argc, char **argv, const struct option *opts, int *li, int *at)
{
    *at = optind;
    *li = -1;
    int ch = getopt_long(argc, argv, "+:h", opts, li);
    if (ch == -1 || ch == '?' || ch == ':')
        return ch;
    if (optind == *at) /* inside a cluster of short options */
        return '?';
    const char *a = argv[*at];
    if (ch == 'h')
        return !strcmp(a, "-h") || !strcmp(a, "--help") ? 'h' : '?';
    return *li >= 0 && spelled_out(a, opts[*li].name) ? ch : '?';
}

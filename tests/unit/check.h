/* check.h — the unit tests' assertion: CHECK(cond, printf-style message) prints the
 * file, line and message of a failed condition and counts it in `failures`; each test's
 * main returns failures != 0.  Included once per test program. */
#ifndef CRITSWEEP_TEST_CHECK_H
#define CRITSWEEP_TEST_CHECK_H

#include <stdio.h>

static int failures = 0;

#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                           \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fprintf(stderr, "\n");                                                         \
            failures++;                                                                    \
        }                                                                                  \
    } while (0)

#endif

/* common.h — exit codes, version and the error record every fallible call fills. */
#ifndef CRITSWEEP_COMMON_H
#define CRITSWEEP_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define CS_VERSION "0.2.0"

/* Process exit codes (README, "Commands"). */
enum {
    CS_EXIT_OK = 0,         /* complete */
    CS_EXIT_ERROR = 1,      /* other error */
    CS_EXIT_USAGE = 2,      /* bad input or usage */
    CS_EXIT_INCOMPLETE = 3, /* interrupted: run the same command again to resume */
};

/* A fallible call returns 0 on success, or a CS_EXIT_* code and a one-line message. */
typedef struct {
    int code;
    char msg[1024];
} cs_err;

/* Formats msg into e (if e is not NULL), stores code and returns it. */
int cs_fail(cs_err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Strict number parsing for CLI options and data files: the whole string must parse. */
int cs_parse_double(const char *s, double *out);
int cs_parse_long(const char *s, long *out);

/* A deadline for reading a file's structure: HDF5 can loop forever inside damaged
 * metadata (a global heap, a B-tree), where no error is ever returned and SIGTERM is
 * caught by the run's own handler.  After `seconds` the process writes message to
 * stderr and exits with CS_EXIT_USAGE (it has changed nothing: only reads run under the
 * deadline).  One deadline at a time; disarm when the reads are done.  The environment
 * variable CRITSWEEP_OPEN_TIMEOUT (seconds) overrides the default used by callers. */
void cs_watchdog_arm(double seconds, const char *message);
void cs_watchdog_disarm(void);
double cs_open_timeout(void);

/* Seconds on the monotonic clock (a vDSO call, ~30 ns), and CPU seconds of the calling
 * thread (a system call, ~1.5 µs: OpenBLAS's idle workers are not counted). */
double cs_now_s(void);
double cs_thread_cpu_s(void);

#endif

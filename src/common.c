/* common.c — the error record and strict number parsing. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "critsweep/common.h"

int cs_fail(cs_err *e, int code, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
        e->code = code;
    }
    return code;
}

int cs_parse_double(const char *s, double *out)
{
    char *end;
    if (!s || !*s)
        return -1;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || end == s || isnan(v))
        return -1;
    *out = v;
    return 0;
}

int cs_parse_long(const char *s, long *out)
{
    char *end;
    if (!s || !*s)
        return -1;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s)
        return -1;
    *out = v;
    return 0;
}

/* ---- the structure-read deadline ---- */

static char watchdog_msg[1400];
static size_t watchdog_len;

static void watchdog_fire(int sig)
{
    (void)sig;
    /* Only async-signal-safe calls: write and _exit. */
    ssize_t w = write(STDERR_FILENO, watchdog_msg, watchdog_len);
    (void)w;
    _exit(CS_EXIT_USAGE);
}

void cs_watchdog_arm(double seconds, const char *message)
{
    int n = snprintf(watchdog_msg, sizeof watchdog_msg, "critsweep: %s\n", message);
    watchdog_len = n < 0 ? 0 : (size_t)n >= sizeof watchdog_msg ? sizeof watchdog_msg - 1 : (size_t)n;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = watchdog_fire;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it;
    memset(&it, 0, sizeof it);
    it.it_value.tv_sec = (time_t)seconds;
    it.it_value.tv_usec = (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6);
    if (!it.it_value.tv_sec && !it.it_value.tv_usec)
        it.it_value.tv_usec = 1;
    setitimer(ITIMER_REAL, &it, NULL);
}

void cs_watchdog_disarm(void)
{
    struct itimerval it;
    memset(&it, 0, sizeof it);
    setitimer(ITIMER_REAL, &it, NULL);
    signal(SIGALRM, SIG_DFL);
}

double cs_open_timeout(void)
{
    double v;
    const char *e = getenv("CRITSWEEP_OPEN_TIMEOUT");
    if (e && !cs_parse_double(e, &v) && v > 0 && v < 1e6)
        return v;
    return 10.0;
}

double cs_now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

double cs_thread_cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

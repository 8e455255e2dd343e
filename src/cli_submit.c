/* cli_submit.c — `critsweep submit SWEEP [options]`: render the SLURM job script for a
 * sweep, write it beside the results file and hand it to sbatch.  The job requeues
 * itself until the sweep is complete (jobscripts/critsweep.sbatch.in). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "critsweep/cli.h"
#include "critsweep/common.h"
#include "critsweep/config.h"
#include "critsweep/slurm.h"

static void help(FILE *f)
{
    fprintf(f,
        "usage: critsweep submit SWEEP.yaml [-o FILE] [--set key=value]... [SLURM options]\n"
        "                        [--dry-run]\n\n"
        "Writes a SLURM batch script for the sweep beside the results file (FILE.sbatch, its\n"
        "log FILE.log) and submits it with sbatch; prints the job id.  The job runs\n"
        "`critsweep run` (srun --mpi=pmix where SLURM has PMIx, mpirun otherwise).  SLURM\n"
        "warns it (SIGUSR1) before the time limit: it stops cleanly and queues its own\n"
        "continuation, up to --max-requeues times, until the sweep is complete; then it\n"
        "renders the standard plots (critsweep phase FILE).  After a scancel, submit again:\n"
        "the sweep resumes where it stopped.  Jobs of one sweep name run one at a time.\n\n"
        "Rank 0 only hands out tasks and sleeps: ask for one task more than the cores to\n"
        "keep busy, e.g. --ntasks 9 --extra=--overcommit for 8 cores.\n\n"
        "The sweep file's slurm: section sets the defaults; these options win over it:\n"
        "  -o, --output FILE      results file (default: the sweep's output.file)\n"
        "  --set key=value        override a sweep setting (as in critsweep run)\n"
        "  --nodes N  --ntasks N  --ntasks-per-node N\n"
        "  --time T               limit per job: MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS\n"
        "  --partition P  --account A  --qos Q     names of [A-Za-z0-9_.-]\n"
        "  --mem-per-cpu M        e.g. 2G\n"
        "  --max-requeues N       continuations the job may queue (default 10)\n"
        "  --signal-lead S        seconds of warning before the time limit (default 120)\n"
        "  --extra 'LINE'         one more sbatch option, --opt=value or --opt value\n"
        "                         (repeatable; added after the sweep file's slurm.extra)\n"
        "  --dry-run              print the job script; write and submit nothing\n"
        "  -h, --help             this help\n\n"
        "Exit codes: 0 submitted, 2 bad input, sbatch missing or failing (its message shown).\n");
}

/* path made absolute against cwd (not resolved: the job sees the same names). */
static char *absolute(const char *path, const char *cwd)
{
    if (path[0] == '/')
        return strdup(path);
    size_t n = strlen(cwd) + strlen(path) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s/%s", cwd, path);
    return s;
}

static char *concat(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s", a, b);
    return s;
}

/* Paths and --set values go into the script quoted, but a newline or other control
 * character has no business there (and the log path sits in an #SBATCH line). */
static int printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

static int parse_count(const char *opt, const char *v, int lo, int hi, int *out)
{
    long x;
    if (!v || cs_parse_long(v, &x) || x < lo || x > hi)
        return cli_usage_error("submit", "%s needs an integer in %d..%d (got '%s')", opt, lo, hi,
                               v ? v : "");
    *out = (int)x;
    return 0;
}

int cli_submit(int argc, char **argv)
{
    const char *path = NULL, *output = NULL;
    int dry_run = 0, rc = 0;
    const char **sets = calloc((size_t)argc + 1, sizeof *sets);
    const char **extra = calloc((size_t)argc + 1, sizeof *extra);
    int n_sets = 0, n_extra = 0;
    /* Command-line SLURM options; -1 / NULL = not given. */
    const char *time = NULL, *partition = NULL, *account = NULL, *qos = NULL, *mem = NULL;
    int nodes = -1, ntasks = -1, ntpn = -1, max_requeues = -1, signal_lead = -1;
    char *abs_sweep = NULL, *abs_out = NULL, *script_path = NULL, *log_path = NULL;
    char **all_extra = NULL, *text = NULL;
    cs_sweep s;
    int loaded = 0;
    if (!sets || !extra) {
        free(sets);
        free(extra);
        return cli_usage_error("submit", "out of memory");
    }

    for (int i = 1; i < argc && !rc; i++) {
        const char *a = argv[i];
        /* --opt value and --opt=value alike */
        const char *eq = strncmp(a, "--", 2) ? NULL : strchr(a, '=');
        size_t alen = eq ? (size_t)(eq - a) : strlen(a);
#define OPT(name) (alen == strlen(name) && !strncmp(a, name, alen))
#define VALUE() (eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL))
        if (OPT("-h") || OPT("--help")) {
            help(stdout);
            free(sets);
            free(extra);
            return CS_EXIT_OK;
        } else if (OPT("--dry-run")) {
            dry_run = 1;
        } else if (OPT("-o") || OPT("--output")) {
            if (!(output = VALUE()) || !*output)
                rc = cli_usage_error("submit", "-o needs a file name");
        } else if (OPT("--set")) {
            const char *v = VALUE();
            if (!v)
                rc = cli_usage_error("submit", "--set needs key=value");
            else
                sets[n_sets++] = v;
        } else if (OPT("--extra")) {
            const char *v = VALUE();
            if (!v)
                rc = cli_usage_error("submit", "--extra needs an sbatch option, e.g. "
                                               "--extra=--constraint=avx2");
            else
                extra[n_extra++] = v;
        } else if (OPT("--time")) {
            if (!(time = VALUE()))
                rc = cli_usage_error("submit", "--time needs a SLURM time, e.g. 2:00:00");
        } else if (OPT("--partition")) {
            if (!(partition = VALUE()))
                rc = cli_usage_error("submit", "--partition needs a name");
        } else if (OPT("--account")) {
            if (!(account = VALUE()))
                rc = cli_usage_error("submit", "--account needs a name");
        } else if (OPT("--qos")) {
            if (!(qos = VALUE()))
                rc = cli_usage_error("submit", "--qos needs a name");
        } else if (OPT("--mem-per-cpu")) {
            if (!(mem = VALUE()))
                rc = cli_usage_error("submit", "--mem-per-cpu needs a size, e.g. 2G");
        } else if (OPT("--nodes")) {
            rc = parse_count("--nodes", VALUE(), 1, 100000, &nodes);
        } else if (OPT("--ntasks")) {
            rc = parse_count("--ntasks", VALUE(), 1, 10000000, &ntasks);
        } else if (OPT("--ntasks-per-node")) {
            rc = parse_count("--ntasks-per-node", VALUE(), 1, 100000, &ntpn);
        } else if (OPT("--max-requeues")) {
            rc = parse_count("--max-requeues", VALUE(), 0, 10000, &max_requeues);
        } else if (OPT("--signal-lead")) {
            rc = parse_count("--signal-lead", VALUE(), 0, 65535, &signal_lead);
        } else if (a[0] == '-' && a[1]) {
            rc = cli_usage_error("submit", "unknown option '%s' (critsweep submit --help)", a);
        } else if (path) {
            rc = cli_usage_error("submit", "one sweep file at a time (got '%s' and '%s')", path, a);
        } else {
            path = a;
        }
#undef OPT
#undef VALUE
    }
    if (rc)
        goto done;
    if (!path) {
        help(stderr);
        rc = CS_EXIT_USAGE;
        goto done;
    }

    cs_err err = {0};
    if ((rc = config_load(path, sets, n_sets, &s, &err))) {
        fprintf(stderr, "%s\n", err.msg);
        goto done;
    }
    loaded = 1;

    /* The command line wins over the sweep file's slurm: section. */
    slurm_job job = {0};
    job.opt = s.slurm;
    if (time)
        job.opt.time = (char *)time;
    if (partition)
        job.opt.partition = (char *)partition;
    if (account)
        job.opt.account = (char *)account;
    if (qos)
        job.opt.qos = (char *)qos;
    if (mem)
        job.opt.mem_per_cpu = (char *)mem;
    if (nodes > 0)
        job.opt.nodes = nodes;
    if (ntasks > 0)
        job.opt.ntasks = ntasks;
    if (ntpn > 0)
        job.opt.ntasks_per_node = ntpn;
    if (max_requeues >= 0)
        job.opt.max_requeues = max_requeues;
    if (signal_lead >= 0)
        job.opt.signal_lead = signal_lead;
    if (!(all_extra = calloc((size_t)(s.slurm.n_extra + n_extra) + 1, sizeof *all_extra))) {
        rc = cli_usage_error("submit", "out of memory");
        goto done;
    }
    for (int i = 0; i < s.slurm.n_extra; i++)
        all_extra[i] = s.slurm.extra[i];
    for (int i = 0; i < n_extra; i++)
        all_extra[s.slurm.n_extra + i] = (char *)extra[i];
    job.opt.extra = all_extra;
    job.opt.n_extra = s.slurm.n_extra + n_extra;
    if ((rc = slurm_options_check(&job.opt, &err))) {
        cli_usage_error("submit", "%s", err.msg);
        goto done;
    }
    /* SLURM may send the warning up to 30 s early (it checks limits every 30 s): with less
     * room than that the job may be told to stop as soon as it starts. */
    long tsec = job.opt.time ? slurm_time_seconds(job.opt.time) : 0;
    if (tsec > 0 && job.opt.signal_lead > 0 && job.opt.signal_lead + 30 >= tsec)
        fprintf(stderr, "critsweep submit: warning: a signal lead of %d s leaves little of the "
                        "%ld s limit: SLURM may warn the job as soon as it starts\n",
                job.opt.signal_lead, tsec);

    char cwd[PATH_MAX], exe[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) {
        rc = cli_usage_error("submit", "cannot read the current directory: %s", strerror(errno));
        goto done;
    }
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        rc = cli_usage_error("submit", "cannot find the critsweep binary (/proc/self/exe): %s",
                             strerror(errno));
        goto done;
    }
    exe[n] = '\0';
    if (!output)
        output = s.output.file;
    const char *bad = !printable(path) ? path : !printable(output) ? output : NULL;
    for (int i = 0; i < n_sets && !bad; i++)
        if (!printable(sets[i]))
            bad = sets[i];
    if (!bad && !printable(cwd))
        bad = cwd;
    if (bad) {
        rc = cli_usage_error("submit", "'%s' contains a newline or other control character; "
                             "choose a plain name", bad);
        goto done;
    }
    if (strchr(output, '\\') || strcasestr(output, "packjob")) {
        rc = cli_usage_error("submit", "output '%s': a backslash or the word 'packjob' cannot "
                             "be written into the job's #SBATCH --output line; choose another "
                             "name with -o", output);
        goto done;
    }
    if (!(abs_sweep = absolute(path, cwd)) || !(abs_out = absolute(output, cwd)) ||
        !(script_path = concat(abs_out, ".sbatch")) || !(log_path = concat(abs_out, ".log"))) {
        rc = cli_usage_error("submit", "out of memory");
        goto done;
    }
    job.job_name = s.name;
    job.critsweep = exe;
    job.sweep = abs_sweep;
    job.output = abs_out;
    job.workdir = cwd;
    job.script = script_path;
    job.log = log_path;
    job.sets = sets;
    job.n_sets = n_sets;
    /* critsweep run's grace: half the warning, leaving the rest for closing the file,
     * the plots and queueing the continuation. */
    job.grace = job.opt.signal_lead > 1 ? job.opt.signal_lead / 2 : 10;

    if ((rc = slurm_render(slurm_template(), &job, &text, &err))) {
        cli_usage_error("submit", "%s", err.msg);
        goto done;
    }
    if (dry_run) {
        fputs(text, stdout);
        goto done;
    }
    if ((rc = slurm_write_script(script_path, text, &err))) {
        cli_usage_error("submit", "%s", err.msg);
        goto done;
    }
    char job_id[64];
    if ((rc = slurm_submit(script_path, job_id, sizeof job_id, &err))) {
        cli_usage_error("submit", "%s", err.msg);
        goto done;
    }
    printf("%s\n", job_id);
    fprintf(stderr, "critsweep submit: job %s queued; script %s, log %s\n", job_id, script_path,
            log_path);

done:
    free(text);
    free(all_extra);
    free(abs_sweep);
    free(abs_out);
    free(script_path);
    free(log_path);
    if (loaded)
        config_free(&s);
    free(sets);
    free(extra);
    return rc;
}

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

/* What the command line says; NULL / -1 = not given (the sweep file's slurm: section
 * decides). */
typedef struct {
    const char *path, *output;
    int dry_run;
    const char **sets, **extra;
    int n_sets, n_extra;
    const char *time, *partition, *account, *qos, *mem;
    int nodes, ntasks, ntpn, max_requeues, signal_lead;
} submit_args;

enum { ARGS_HELP = -1 }; /* parse_submit_args printed the help: exit 0 */

enum {
    OPT_SET = 256, OPT_EXTRA, OPT_TIME, OPT_PARTITION, OPT_ACCOUNT, OPT_QOS, OPT_MEM,
    OPT_NODES, OPT_NTASKS, OPT_NTPN, OPT_MAX_REQUEUES, OPT_SIGNAL_LEAD, OPT_DRY_RUN
};

/* --help and --dry-run take no value, but one given (--dry-run=x) is ignored. */
static const struct option submit_longs[] = {
    {"help", optional_argument, NULL, 'h'},
    {"dry-run", optional_argument, NULL, OPT_DRY_RUN},
    {"output", required_argument, NULL, 'o'},
    {"set", required_argument, NULL, OPT_SET},
    {"extra", required_argument, NULL, OPT_EXTRA},
    {"time", required_argument, NULL, OPT_TIME},
    {"partition", required_argument, NULL, OPT_PARTITION},
    {"account", required_argument, NULL, OPT_ACCOUNT},
    {"qos", required_argument, NULL, OPT_QOS},
    {"mem-per-cpu", required_argument, NULL, OPT_MEM},
    {"nodes", required_argument, NULL, OPT_NODES},
    {"ntasks", required_argument, NULL, OPT_NTASKS},
    {"ntasks-per-node", required_argument, NULL, OPT_NTPN},
    {"max-requeues", required_argument, NULL, OPT_MAX_REQUEUES},
    {"signal-lead", required_argument, NULL, OPT_SIGNAL_LEAD},
    {NULL, 0, NULL, 0},
};

/* The options that name a SLURM setting by a string: where it goes and what a missing
 * value says. */
static int string_option(submit_args *a, int c, const char *v)
{
    const char **dst, *missing;
    switch (c) {
    case OPT_TIME: dst = &a->time, missing = "--time needs a SLURM time, e.g. 2:00:00"; break;
    case OPT_PARTITION: dst = &a->partition, missing = "--partition needs a name"; break;
    case OPT_ACCOUNT: dst = &a->account, missing = "--account needs a name"; break;
    case OPT_QOS: dst = &a->qos, missing = "--qos needs a name"; break;
    default: dst = &a->mem, missing = "--mem-per-cpu needs a size, e.g. 2G"; break;
    }
    if (!v)
        return cli_usage_error("submit", "%s", missing);
    *dst = v;
    return 0;
}

/* One option or operand of the command line. */
static int submit_option(submit_args *a, int c, const cli_opts *o)
{
    const char *v = o->value;
    switch (c) {
    case 'h': help(stdout); return ARGS_HELP;
    case OPT_DRY_RUN: a->dry_run = 1; return 0;
    case 'o':
        if (!(a->output = v) || !*v)
            return cli_usage_error("submit", "-o needs a file name");
        return 0;
    case OPT_SET:
        if (!v)
            return cli_usage_error("submit", "--set needs key=value");
        a->sets[a->n_sets++] = v;
        return 0;
    case OPT_EXTRA:
        if (!v)
            return cli_usage_error("submit", "--extra needs an sbatch option, e.g. "
                                             "--extra=--constraint=avx2");
        a->extra[a->n_extra++] = v;
        return 0;
    case OPT_TIME: case OPT_PARTITION: case OPT_ACCOUNT: case OPT_QOS: case OPT_MEM:
        return string_option(a, c, v);
    case OPT_NODES: return parse_count("--nodes", v, 1, 100000, &a->nodes);
    case OPT_NTASKS: return parse_count("--ntasks", v, 1, 10000000, &a->ntasks);
    case OPT_NTPN: return parse_count("--ntasks-per-node", v, 1, 100000, &a->ntpn);
    case OPT_MAX_REQUEUES: return parse_count("--max-requeues", v, 0, 10000, &a->max_requeues);
    case OPT_SIGNAL_LEAD: return parse_count("--signal-lead", v, 0, 65535, &a->signal_lead);
    case CLI_OPERAND:
        if (a->path)
            return cli_usage_error("submit", "one sweep file at a time (got '%s' and '%s')",
                                   a->path, v);
        a->path = v;
        return 0;
    default:
        return cli_usage_error("submit", "unknown option '%s' (critsweep submit --help)",
                               o->word);
    }
}

/* Fills a from the command line; a->sets and a->extra are allocated (the caller frees
 * them, also on error). */
static int parse_submit_args(int argc, char **argv, submit_args *a)
{
    memset(a, 0, sizeof *a);
    a->nodes = a->ntasks = a->ntpn = a->max_requeues = a->signal_lead = -1;
    a->sets = calloc((size_t)argc + 1, sizeof *a->sets);
    a->extra = calloc((size_t)argc + 1, sizeof *a->extra);
    if (!a->sets || !a->extra)
        return cli_usage_error("submit", "out of memory");
    cli_opts o;
    cli_opts_init(&o, argc, argv, "ho:", submit_longs);
    for (int c, rc; (c = cli_opts_next(&o)) != -1;)
        if ((rc = submit_option(a, c, &o)))
            return rc;
    if (!a->path) {
        help(stderr);
        return CS_EXIT_USAGE;
    }
    return 0;
}

/* The command line wins over the sweep file's slurm: section.  *all_extra receives the
 * joined extra options (the caller frees it). */
static int job_options(const submit_args *a, const cs_sweep *s, slurm_job *job,
                       char ***all_extra, cs_err *err)
{
    job->opt = s->slurm;
    if (a->time)
        job->opt.time = (char *)a->time;
    if (a->partition)
        job->opt.partition = (char *)a->partition;
    if (a->account)
        job->opt.account = (char *)a->account;
    if (a->qos)
        job->opt.qos = (char *)a->qos;
    if (a->mem)
        job->opt.mem_per_cpu = (char *)a->mem;
    if (a->nodes > 0)
        job->opt.nodes = a->nodes;
    if (a->ntasks > 0)
        job->opt.ntasks = a->ntasks;
    if (a->ntpn > 0)
        job->opt.ntasks_per_node = a->ntpn;
    if (a->max_requeues >= 0)
        job->opt.max_requeues = a->max_requeues;
    if (a->signal_lead >= 0)
        job->opt.signal_lead = a->signal_lead;
    char **x = calloc((size_t)(s->slurm.n_extra + a->n_extra) + 1, sizeof *x);
    if (!(*all_extra = x))
        return cli_usage_error("submit", "out of memory");
    for (int i = 0; i < s->slurm.n_extra; i++)
        x[i] = s->slurm.extra[i];
    for (int i = 0; i < a->n_extra; i++)
        x[s->slurm.n_extra + i] = (char *)a->extra[i];
    job->opt.extra = x;
    job->opt.n_extra = s->slurm.n_extra + a->n_extra;
    int rc = slurm_options_check(&job->opt, err);
    if (rc) {
        cli_usage_error("submit", "%s", err->msg);
        return rc;
    }
    /* SLURM may send the warning up to 30 s early (it checks limits every 30 s): with less
     * room than that the job may be told to stop as soon as it starts. */
    long tsec = job->opt.time ? slurm_time_seconds(job->opt.time) : 0;
    if (tsec > 0 && job->opt.signal_lead > 0 && job->opt.signal_lead + 30 >= tsec)
        fprintf(stderr, "critsweep submit: warning: a signal lead of %d s leaves little of the "
                        "%ld s limit: SLURM may warn the job as soon as it starts\n",
                job->opt.signal_lead, tsec);
    return 0;
}

/* Refuses names the job script cannot carry: control characters anywhere, and in the
 * #SBATCH --output line a backslash or sbatch's word 'packjob'. */
static int check_names(const submit_args *a, const char *output, const char *cwd)
{
    const char *bad = !printable(a->path) ? a->path : !printable(output) ? output : NULL;
    for (int i = 0; i < a->n_sets && !bad; i++)
        if (!printable(a->sets[i]))
            bad = a->sets[i];
    if (!bad && !printable(cwd))
        bad = cwd;
    if (bad)
        return cli_usage_error("submit", "'%s' contains a newline or other control character; "
                               "choose a plain name", bad);
    if (strchr(output, '\\') || strcasestr(output, "packjob"))
        return cli_usage_error("submit", "output '%s': a backslash or the word 'packjob' cannot "
                               "be written into the job's #SBATCH --output line; choose another "
                               "name with -o", output);
    return 0;
}

/* The paths the job script holds, all absolute; freed by paths_free. */
typedef struct {
    char cwd[PATH_MAX], exe[PATH_MAX];
    char *sweep, *output, *script, *log;
} job_paths;

static void paths_free(job_paths *jp)
{
    free(jp->sweep);
    free(jp->output);
    free(jp->script);
    free(jp->log);
}

static int job_paths_make(const submit_args *a, const cs_sweep *s, job_paths *jp)
{
    if (!getcwd(jp->cwd, sizeof jp->cwd))
        return cli_usage_error("submit", "cannot read the current directory: %s",
                               strerror(errno));
    ssize_t n = readlink("/proc/self/exe", jp->exe, sizeof jp->exe - 1);
    if (n <= 0)
        return cli_usage_error("submit", "cannot find the critsweep binary (/proc/self/exe): %s",
                               strerror(errno));
    jp->exe[n] = '\0';
    const char *output = a->output ? a->output : s->output.file;
    int rc = check_names(a, output, jp->cwd);
    if (rc)
        return rc;
    if (!(jp->sweep = absolute(a->path, jp->cwd)) || !(jp->output = absolute(output, jp->cwd)) ||
        !(jp->script = concat(jp->output, ".sbatch")) || !(jp->log = concat(jp->output, ".log")))
        return cli_usage_error("submit", "out of memory");
    return 0;
}

/* Renders the job script; prints it (--dry-run) or writes and submits it. */
static int render_and_submit(const submit_args *a, slurm_job *job, cs_err *err)
{
    char *text = NULL;
    int rc = slurm_render(slurm_template(), job, &text, err);
    if (rc) {
        cli_usage_error("submit", "%s", err->msg);
    } else if (a->dry_run) {
        fputs(text, stdout);
    } else if ((rc = slurm_write_script(job->script, text, err))) {
        cli_usage_error("submit", "%s", err->msg);
    } else {
        char job_id[64];
        if ((rc = slurm_submit(job->script, job_id, sizeof job_id, err))) {
            cli_usage_error("submit", "%s", err->msg);
        } else {
            printf("%s\n", job_id);
            fprintf(stderr, "critsweep submit: job %s queued; script %s, log %s\n", job_id,
                    job->script, job->log);
        }
    }
    free(text);
    return rc;
}

int cli_submit(int argc, char **argv)
{
    submit_args a;
    int rc = parse_submit_args(argc, argv, &a);
    if (rc) {
        free(a.sets);
        free(a.extra);
        return rc == ARGS_HELP ? CS_EXIT_OK : rc;
    }
    cs_sweep s;
    cs_err err = {0};
    if ((rc = config_load(a.path, a.sets, a.n_sets, &s, &err))) {
        fprintf(stderr, "%s\n", err.msg);
        free(a.sets);
        free(a.extra);
        return rc;
    }
    slurm_job job = {0};
    char **all_extra = NULL;
    job_paths jp = {.sweep = NULL};
    if (!(rc = job_options(&a, &s, &job, &all_extra, &err)) &&
        !(rc = job_paths_make(&a, &s, &jp))) {
        job.job_name = s.name;
        job.critsweep = jp.exe;
        job.sweep = jp.sweep;
        job.output = jp.output;
        job.workdir = jp.cwd;
        job.script = jp.script;
        job.log = jp.log;
        job.sets = a.sets;
        job.n_sets = a.n_sets;
        /* critsweep run's grace: half the warning, leaving the rest for closing the file,
         * the plots and queueing the continuation. */
        job.grace = job.opt.signal_lead > 1 ? job.opt.signal_lead / 2 : 10;
        rc = render_and_submit(&a, &job, &err);
    }
    paths_free(&jp);
    free(all_extra);
    config_free(&s);
    free(a.sets);
    free(a.extra);
    return rc;
}

/* slurm.h — the SLURM job script: validate options, render jobscripts/critsweep.sbatch.in
 * (embedded at build time), write it beside the results file and submit it with sbatch,
 * called without a shell so option values can never become commands. */
#ifndef CRITSWEEP_SLURM_H
#define CRITSWEEP_SLURM_H

#include <stddef.h>

#include "critsweep/common.h"
#include "critsweep/config.h"

/* Everything the template needs.  All strings are borrowed; paths are absolute. */
typedef struct {
    cs_slurm_options opt;       /* merged: sweep file's slurm: section, then the CLI */
    const char *job_name;       /* the sweep's name */
    const char *critsweep;      /* the binary the job runs */
    const char *sweep;          /* sweep file */
    const char *output;         /* results file */
    const char *workdir;        /* where submit ran */
    const char *script;         /* where the rendered script goes: <output>.sbatch */
    const char *log;            /* job log: <output>.log */
    const char *const *sets;    /* --set overrides, "k=v", n_sets */
    int n_sets;
    int grace;                  /* seconds for `critsweep run --grace` */
} slurm_job;

/* The template text compiled into the binary. */
const char *slurm_template(void);

/* SLURM --time: MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS.  Returns the limit in
 * seconds (> 0), or -1 if t is not one of those forms. */
long slurm_time_seconds(const char *t);
/* Partition, account and QOS names: [A-Za-z0-9_.-]+ (1..128 characters). */
int slurm_name_ok(const char *s);
/* --mem-per-cpu: digits with an optional K/M/G/T suffix. */
int slurm_mem_ok(const char *s);
/* An extra sbatch option: --opt, --opt=value or --opt value; one line, no control
 * characters.  Fills err (naming the option) and returns CS_EXIT_USAGE otherwise. */
int slurm_extra_check(const char *line, cs_err *err);
/* Every option of o, plus the cross-checks (signal lead shorter than the time limit). */
int slurm_options_check(const cs_slurm_options *o, cs_err *err);

/* value as one single-quoted shell word (malloc'd; NULL if out of memory). */
char *slurm_shell_quote(const char *value);
/* value as one word for sbatch's #SBATCH line parser: bare if it is only [A-Za-z0-9_./:=,
 * +-@%], else in double quotes with '"' and '\\' escaped; with pattern set, '%' is doubled
 * as --output wants. */
char *slurm_sbatch_escape(const char *value, int pattern);

/* Renders tmpl for job (malloc'd text in *out).  Unknown placeholders are an error, so a
 * typo in the template cannot reach a job. */
int slurm_render(const char *tmpl, const slurm_job *job, char **out, cs_err *err);

/* Writes text to path (mode 0755) through a temporary file and rename. */
int slurm_write_script(const char *path, const char *text, cs_err *err);

/* Runs `sbatch --parsable SCRIPT` via fork+execvp (PATH searched, no shell) and stores
 * the job id.  sbatch missing or failing: CS_EXIT_USAGE, its stderr already echoed. */
int slurm_submit(const char *script, char *job_id, size_t job_id_size, cs_err *err);

#endif

#!/bin/bash
# test_requeue.sh — a sweep submitted to a real one-node SLURM with a 1-minute time limit,
# too short to finish, completes through its own requeued jobs: SLURM warns each job
# (SIGUSR1, --signal-lead 20), critsweep stops cleanly, the job queues its continuation.
# Asserts: at least two continuations (three jobs or more), every job in the runs table
# with its SLURM job id (checked through `critsweep status`), the standard plots rendered,
# and results identical to an uninterrupted local mpirun of the same sweep (h5diff and
# h5py, timing and bookkeeping excluded).  ~3 minutes: a calibrated ~110 s of work on one
# worker, with the reference run beside it on the other core.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/slurm/lib.sh
slurmtest_begin requeue
# ~110 s of work for the job's one worker: more than two jobs can do, since SLURM warns
# each between 10 and 40 s after it starts (limit 60 s, lead 20 s, limits checked every 30 s).
seeds=$(calibrate_seeds 110) || { echo "FAIL: calibration"; exit 1; }
sets=(--set "grid.seeds=$seeds")

# The reference: the same sweep, uninterrupted, one worker, on the other core.
slurmtest_start_reference "${sets[@]}"

jid=$("$CRITSWEEP" submit sweep.yaml -o slurm.h5 "${sets[@]}" --time 1 --signal-lead 20 \
      --ntasks 2 --max-requeues 20)
src=$?
echo "submitted job ${jid:-none} (exit $src)"
(( src == 0 )) || { echo "FAIL: critsweep submit exited $src"; exit 1; }

if ! wait_queue_empty 420; then
  echo "FAIL: the sweep's jobs were still queued after 420 s:"; jobs_table; localslurm_logs
  tail -n 40 slurm.h5.log; exit 1
fi
slurmtest_collect

n_jobs=$(jobs_table | wc -l)
n_cont=$(grep -c 'queued the continuation' slurm.h5.log)
n_warn=$(grep -c 'received SIGUSR1' slurm.h5.log)
echo "jobs: $n_jobs, SLURM warnings received: $n_warn, continuations queued: $n_cont"
(( n_cont >= 2 && n_jobs >= 3 )) || fail "expected at least two requeues (three jobs), got $n_cont continuations in $n_jobs jobs"
(( n_warn >= n_cont )) || fail "a continuation was queued without SLURM's warning"
# (The last job's SLURM state is not checked: a warning that races the script's exit makes
# slurmstepd report a failed signal and the job FAILED, although the sweep completed.)
grep -q 'sweep complete; rendering the standard plots' slurm.h5.log || fail "the last job did not report completion"
# Debian's SLURM has the pmix plugin (and libpmix-dev its library): the jobs use srun.
grep -q 'launcher: srun --mpi=pmix' slurm.h5.log || fail "the jobs did not launch with srun --mpi=pmix"
n_png=$(find slurm-figures -name '*.png' 2>/dev/null | wc -l)
echo "figures rendered by the job: $n_png PNG files in slurm-figures/"
(( n_png > 0 )) || fail "the job rendered no figures (critsweep phase)"

# Every job that ran appears in the runs table with its SLURM job id.
"$CRITSWEEP" status slurm.h5 >status.txt 2>&1 || fail "critsweep status exited $?"
sed -n '/^runs:/,$p' status.txt | sed 's/^/    /'
"$CRITSWEEP" status slurm.h5 --json >status.json 2>&1 || fail "critsweep status --json exited $?"
"$PYTHON" - $(jobs_table | awk '{print $1}') <<'EOF' || fail "the runs table does not list every job, in order, ending complete"
import json, sys
s = json.load(open("status.json"))
ids = [r["slurm_job_id"] for r in s["runs"]]
states = [r["exit_state"] for r in s["runs"]]
print(f"    runs table job ids {ids}, SLURM's {sys.argv[1:]}; states {states}")
sys.exit(0 if s["complete"] and ids == sys.argv[1:] and states[-1] == "complete"
         and all(x == "interrupted" for x in states[:-1]) else 1)
EOF

# Same results as the uninterrupted run (its derived datasets written by phase too).
slurmtest_finish requeued

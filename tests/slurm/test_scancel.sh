#!/bin/bash
# test_scancel.sh — scancel a submitted sweep mid-run on a real one-node SLURM, then run
# `critsweep submit` again at once.  Asserts: the cancelled job queues no continuation;
# the resubmission waits for it (--dependency=singleton: never two jobs on one file), resumes
# (tasks done before the cancel are not redone), completes, and its results are identical to
# an uninterrupted local mpirun (h5diff and h5py).  ~1.5 minutes.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/slurm/lib.sh
slurmtest_begin scancel
seeds=$(calibrate_seeds 40) || { echo "FAIL: calibration"; exit 1; }
sets=(--set "grid.seeds=$seeds")
n_tasks=$((12 * seeds))

slurmtest_start_reference "${sets[@]}"

submit() { "$CRITSWEEP" submit sweep.yaml -o slurm.h5 "${sets[@]}" --time 10 --ntasks 2; }
jid1=$(submit) || { echo "FAIL: critsweep submit exited $?"; exit 1; }
echo "submitted job $jid1 ($n_tasks tasks)"

# Cancel once a quarter of the tasks are done (critsweep status reads the file while the
# job writes it).
done_count() { "$CRITSWEEP" status slurm.h5 --json 2>/dev/null | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["done"])' 2>/dev/null || echo 0; }
t1=$SECONDS
while :; do
  d=$(done_count)
  (( d * 4 >= n_tasks )) && break
  if (( SECONDS - t1 > 150 )); then
    echo "FAIL: a quarter of the tasks were not done within 150 s (done: $d)"; jobs_table
    tail -n 30 slurm.h5.log; localslurm_logs; exit 1
  fi
  [[ -z $(squeue -h -j "$jid1" -t pending,running 2>/dev/null) ]] && { echo "FAIL: job $jid1 ended before the cancel"; tail -n 30 slurm.h5.log; exit 1; }
  sleep 1
done
scancel "$jid1"
jid2=$(submit) || { echo "FAIL: the second critsweep submit exited $?"; exit 1; }
echo "cancelled job $jid1 with $d of $n_tasks tasks done; resubmitted as job $jid2"

if ! wait_queue_empty 300; then
  echo "FAIL: jobs still queued after 300 s:"; jobs_table; tail -n 40 slurm.h5.log; exit 1
fi
slurmtest_collect
n_jobs=$(jobs_table | wc -l)
(( n_jobs == 2 )) || fail "expected exactly the two submitted jobs, saw $n_jobs (a continuation after scancel?)"
grep -q "job $jid1: .*not requeueing" slurm.h5.log || fail "job $jid1 did not report that it stops without requeueing"
[[ $(squeue -h -t all -j "$jid1" -o %T) == CANCELLED ]] || fail "job $jid1 is not CANCELLED"
# singleton: the second job started only after the first had ended
read -r end1 < <(squeue -h -t all -j "$jid1" -o %e)
read -r start2 < <(squeue -h -t all -j "$jid2" -o %S)
echo "job $jid1 ended $end1, job $jid2 started $start2"
[[ ! $start2 < $end1 ]] || fail "job $jid2 started before job $jid1 ended"

"$CRITSWEEP" status slurm.h5 --json >status.json 2>&1 || fail "critsweep status exited $?"
"$PYTHON" - "$jid1" "$jid2" "$d" <<'EOF' || fail "runs table"
import json, sys
s = json.load(open("status.json"))
runs = s["runs"]
for r in runs:
    print(f"    run: job {r['slurm_job_id']:>3} ranks {r['ranks']} tasks_done {r['tasks_done']:>4} {r['exit_state']}")
ids = [r["slurm_job_id"] for r in runs]
ok = s["complete"] and ids == sys.argv[1:3] and runs[-1]["exit_state"] == "complete"
# resumed, not restarted: the second job did only what the first left
ok = ok and runs[1]["tasks_done"] <= s["n_tasks"] - int(sys.argv[3])
sys.exit(0 if ok else 1)
EOF

slurmtest_finish resumed

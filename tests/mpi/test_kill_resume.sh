#!/bin/bash
# test_kill_resume.sh — SIGKILL the whole job (mpirun and every rank) at random moments,
# at least KILLS times during the tiny sweep, rerunning the same command each time, then
# let it finish.  Checks:
#   - after every kill the file opens (critsweep status) and its done rows stay done;
#   - the final file equals an uninterrupted run's (h5diff and h5py, excluding timing
#     datasets and `attempts`), no task missing;
#   - no task completed twice: a task done at some kill keeps its attempts count, and
#     attempts - 1 summed over tasks (restarts) <= kills x workers, each restart matching
#     a kill that caught the task running (pending with attempts > 0 afterwards);
#   - the runs table has one row per run, only the last one ended ("complete").
# Usage: test_kill_resume.sh [KILLS]   (default 6; env KILL_SEED fixes the random moments)
source "$(dirname "$0")/common.sh"
KILLS=${1:-6}
seed=${KILL_SEED:-$$}
RANDOM=$seed
echo "kill moments from seed $seed"
# Training off and 500x the inputs: tasks of 0.05-5 s, so kills land mid-task and five
# of them fit in the sweep.
sets=(--set train.enabled=false --set avalanche.inputs=${KILL_INPUTS:-300000})
workers=2

t0=$(date +%s.%N)
run_mpi 3 run "$sweep" -o "$tmp/ref.h5" "${sets[@]}" 2>"$tmp/ref.log" || { tail "$tmp/ref.log"; die "reference run failed"; }
echo "uninterrupted reference run: $(echo "$(date +%s.%N) - $t0" | bc) s; $(grep "tasks/s" "$tmp/ref.log" | sed 's/critsweep run: //')"

out=$tmp/killed.h5
snap="$tmp/snapshots.txt"
: >"$snap"
runs_started=0
kills=0
snapshot() { # appends "status attempts" arrays of the file as one JSON line
  "$PYTHON" -c '
import sys, json, h5py
with h5py.File(sys.argv[1], "r") as f:
    print(json.dumps({"status": f["status"][()].ravel().tolist(),
                      "attempts": f["attempts"][()].ravel().tolist(),
                      "runs": int((f["runs"]["start"] != b"").sum())}))' "$out" >>"$snap"
}
n_runs_in_file() {
  [[ -f $out ]] || { echo 0; return; }
  "$PYTHON" -c 'import sys, h5py; print(int((h5py.File(sys.argv[1], "r")["runs"]["start"] != b"").sum()))' "$out" 2>/dev/null || echo 0
}

finished=0
while (( kills < KILLS )); do
  mpirun -n 3 --oversubscribe "$CRITSWEEP" run "$sweep" -o "$out" "${sets[@]}" 2>>"$tmp/killed.log" &
  pid=$!
  runs_started=$((runs_started + 1))
  # Wait until this run has registered itself in the runs table (so the row count is
  # known), then let it work for a random 0.2-1.1 s.
  for _ in $(seq 200); do
    (( $(n_runs_in_file) >= runs_started )) && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  sleep "0.$(( RANDOM % 10 ))"
  sleep 0.2
  if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid"; rc=$?
    (( rc == 0 )) && { finished=1; echo "the sweep finished before kill $((kills + 1))"; break; }
    grep -v "^critsweep run: [0-9]*/" "$tmp/killed.log" | tail -5
    die "run $runs_started exited with $rc before being killed"
  fi
  # Open MPI gives every rank its own process group: kill mpirun and its children by pid.
  ranks=$(pgrep -P "$pid" | tr '\n' ' ')
  kill -KILL "$pid" $ranks 2>/dev/null
  wait "$pid" 2>/dev/null
  for r in $ranks; do while kill -0 "$r" 2>/dev/null; do sleep 0.05; done; done
  kills=$((kills + 1))
  "$CRITSWEEP" status "$out" >"$tmp/status.txt" 2>&1 || { cat "$tmp/status.txt"; die "file unreadable after kill $kills"; }
  echo "kill $kills: $(sed -n 2p "$tmp/status.txt")"
  snapshot
done
(( kills >= 5 )) || die "only $kills kills landed before the sweep finished (make tasks longer: KILL_INPUTS)"

if (( ! finished )); then
  mpirun -n 3 --oversubscribe "$CRITSWEEP" run "$sweep" -o "$out" "${sets[@]}" 2>>"$tmp/killed.log" \
    || { tail "$tmp/killed.log"; die "final run failed"; }
  runs_started=$((runs_started + 1))
fi
"$CRITSWEEP" status "$out" | head -3

same_results "$tmp/ref.h5" "$out" attempts || die "killed-and-resumed file differs from the uninterrupted one"

"$PYTHON" - "$out" "$snap" "$kills" "$workers" "$runs_started" <<'PY' || die "attempts/runs check failed"
import sys, json, h5py, numpy as np
path, snap, kills, workers, runs_started = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
snaps = [json.loads(l) for l in open(snap)]
with h5py.File(path, "r") as f:
    st = f["status"][()].ravel()
    att = f["attempts"][()].ravel()
    runs = f["runs"][()]
    runs = runs[runs["start"] != b""]  # unused rows of the table are empty
assert (st == 1).all() or (st != 0).all(), "tasks missing: %d pending" % (st == 0).sum()
assert (att >= 1).all(), "a task never started"
restarts = att - 1
# Each restart must match a kill that caught the task running.
caught = np.zeros_like(att)
for k, s in enumerate(snaps):
    s_st, s_att = np.array(s["status"]), np.array(s["attempts"])
    caught += (s_st == 0) & (s_att > 0) & (s_att > (np.array(snaps[k - 1]["attempts"]) if k else 0))
    # done rows stay done, and are never started again
    done = s_st != 0
    assert (st[done] == s_st[done]).all(), "a done task changed status after kill %d" % (k + 1)
    assert (att[done] == s_att[done]).all(), "a done task was run again after kill %d" % (k + 1)
print("kills %d, workers %d: restarts %d (bound %d), tasks caught running %d"
      % (kills, workers, restarts.sum(), kills * workers, caught.sum()))
assert restarts.sum() <= kills * workers, "more restarts than kills x workers"
assert (restarts == caught).all(), "restarts %s != caught %s" % (restarts[restarts != caught], caught[restarts != caught])
assert len(runs) == runs_started, "runs table has %d rows for %d runs" % (len(runs), runs_started)
ends = [r["end"] for r in runs]
assert all(e == b"" for e in ends[:-1]) and ends[-1] != b"", "only the last run may have ended: %s" % ends
assert runs[-1]["exit_state"] == b"complete", runs[-1]
print("runs table: %d rows, last %s" % (len(runs), runs[-1]["exit_state"].decode()))
PY
echo "PASS: $kills SIGKILLs, resumed to a file identical to the uninterrupted run"

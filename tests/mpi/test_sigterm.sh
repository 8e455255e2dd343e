#!/bin/bash
# test_sigterm.sh — stop signals end a run cleanly with exit code 3 within the grace time,
# and the next run completes the sweep:
#   1. one process, no mpirun, SIGTERM, grace 0.2 s shorter than a task (the first and
#      longest takes ~2 s with 400000 inputs): the running task
#      is abandoned (stays pending, attempts 1), exit 3 within grace + 2 s;
#   2. mpirun, SIGTERM sent to every rank (what SLURM does to srun-launched tasks),
#      grace 60 s: the running tasks finish, exit 3;
#   3. mpirun, SIGUSR1 to mpirun (it forwards USR1; a TERM to mpirun itself makes it kill
#      the ranks after 1 s), grace 60 s: exit 3;
#   4. the same command again: exit 0, every task done, one runs row per run with exit
#      states interrupted x3, complete.
source "$(dirname "$0")/common.sh"
sets=(--set train.enabled=false --set avalanche.inputs=${SIGTERM_INPUTS:-400000})
out=$tmp/sig.h5

now() { date +%s.%N; }
wait_started() { # wait until the file's runs table has $1 rows and a task is running
  local want=$1 pid=$2
  for _ in $(seq 400); do
    kill -0 "$pid" 2>/dev/null || return 1
    if [[ -f $out ]] && "$PYTHON" -c '
import sys, h5py
f = h5py.File(sys.argv[1], "r")
sys.exit(0 if (f["runs"]["start"] != b"").sum() >= int(sys.argv[2]) and (f["attempts"][()] > 0).sum() > int(sys.argv[3]) else 1)' \
        "$out" "$want" "${3:-0}" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}
started_count() { "$PYTHON" -c 'import sys, h5py; print(int((h5py.File(sys.argv[1], "r")["attempts"][()] > 0).sum()))' "$out" 2>/dev/null || echo 0; }
check_exit() { # name rc t_signal grace
  local name=$1 rc=$2 t0=$3 grace=$4 took
  took=$(echo "$(now) - $t0" | bc)
  echo "$name: exit $rc, $took s after the signal (grace $grace s)"
  (( rc == 3 )) || { tail -5 "$tmp/log"; die "$name: exit code $rc, expected 3"; }
  (( $(echo "$took <= $grace + 2" | bc) )) || die "$name: took $took s, grace was $grace s"
}

# 1. single process, grace shorter than the running task.
"$CRITSWEEP" run "$sweep" -o "$out" --grace 0.2 "${sets[@]}" 2>"$tmp/log" &
pid=$!
wait_started 1 "$pid" || die "run 1 did not start"
sleep 0.3
t0=$(now); kill -TERM "$pid"; wait "$pid"; rc=$?
check_exit "single process, SIGTERM, grace 0.2" "$rc" "$t0" 0.2
grep -q "stop requested" "$tmp/log" || die "run 1 did not report the stop"
"$PYTHON" - "$out" <<'PY' || die "run 1: abandoned task not left pending"
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
st, att = f["status"][()].ravel(), f["attempts"][()].ravel()
pend_started = int(((st == 0) & (att > 0)).sum())
print("after run 1: done %d, started-but-pending %d" % ((st == 1).sum(), pend_started))
assert pend_started == 1, "expected exactly the one abandoned task pending with attempts > 0"
PY

# 2. mpirun, SIGTERM to every rank.
n0=$(started_count)
mpirun -n 3 --oversubscribe "$CRITSWEEP" run "$sweep" -o "$out" --grace 60 "${sets[@]}" 2>"$tmp/log" &
pid=$!
wait_started 2 "$pid" "$((n0 + 1))" || die "run 2 did not start"
t0=$(now); kill -TERM $(pgrep -P "$pid"); wait "$pid"; rc=$?
check_exit "mpirun, SIGTERM to the ranks, grace 60" "$rc" "$t0" 60

# 3. mpirun, SIGUSR1 to mpirun.
n0=$(started_count)
mpirun -n 3 --oversubscribe "$CRITSWEEP" run "$sweep" -o "$out" --grace 60 "${sets[@]}" 2>"$tmp/log" &
pid=$!
wait_started 3 "$pid" "$((n0 + 1))" || die "run 3 did not start"
t0=$(now); kill -USR1 "$pid"; wait "$pid"; rc=$?
check_exit "mpirun, SIGUSR1 to mpirun, grace 60" "$rc" "$t0" 60
"$CRITSWEEP" status "$out" | sed -n 2p

# 4. the rerun completes.
mpirun -n 3 --oversubscribe "$CRITSWEEP" run "$sweep" -o "$out" --grace 60 "${sets[@]}" 2>"$tmp/log"
rc=$?
(( rc == 0 )) || { tail -5 "$tmp/log"; die "final run: exit $rc"; }
"$PYTHON" - "$out" <<'PY' || die "final state wrong"
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
st, att = f["status"][()].ravel(), f["attempts"][()].ravel()
runs = f["runs"][()]
runs = runs[runs["start"] != b""]  # unused rows of the table are empty
states = [r["exit_state"].decode() for r in runs]
print("status counts", np.bincount(st, minlength=4), "max attempts", att.max(), "runs", states)
assert (st == 1).all(), "not every task done"
assert states == ["interrupted"] * 3 + ["complete"], states
assert all(r["end"] != b"" for r in runs)
assert att.max() <= 2 and (att == 2).sum() == 1, "only the abandoned task restarts"
PY
echo "PASS: SIGTERM/SIGUSR1 stop within the grace time with exit 3; the rerun completes"

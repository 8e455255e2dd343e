#!/bin/bash
# test_dynrange_resume.sh — the tiny sweep with the dynamic range on (README §7) and
# training off: 1 worker and 2 workers write identical files, dynamic_range,
# dynrange_note and dynrange_response included (same_results compares every dataset but
# the timings); then one run SIGKILLed mid-sweep (mpirun and its ranks) and resumed
# ends identical to the uninterrupted one.  The runs must hold real values: finite Δ in
# the ordered phase, R(q) finite wherever a task is done.
source "$(dirname "$0")/common.sh"
sets=(--set train.enabled=false --set avalanche.inputs=${DR_INPUTS:-100000}
      --set dynrange.depth=40 --set dynrange.n_q=15 --set dynrange.inputs=20
      --set dynrange.networks=2)

run_mpi 2 run "$sweep" -o "$tmp/w1.h5" "${sets[@]}" 2>"$tmp/w1.log" || { tail "$tmp/w1.log"; die "1-worker run failed"; }
run_mpi 3 run "$sweep" -o "$tmp/w2.h5" "${sets[@]}" 2>"$tmp/w2.log" || { tail "$tmp/w2.log"; die "2-worker run failed"; }
"$PYTHON" - "$tmp/w2.h5" <<'PY' || die "dynamic range missing or empty"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    d, r, q = f["dynamic_range"][()], f["dynrange_response"][()], f["dynrange_q"][()]
    assert (f["status"][()] == 1).all(), "tasks not done"
    assert r.shape == d.shape + (15,) and q.shape == (15,), (r.shape, q.shape)
    assert np.isfinite(r).all(), "R(q) not finite everywhere"
    print("finite dynamic_range: %d of %d, range %.2f .. %.2f dB" %
          (np.isfinite(d).sum(), d.size, np.nanmin(d), np.nanmax(d)))
    assert np.isfinite(d).sum() >= d.size // 4, "too few finite dynamic ranges"
PY
same_results "$tmp/w1.h5" "$tmp/w2.h5" || die "1 worker and 2 workers differ"
echo "1 and 2 workers: identical, the dynamic range included"

out=$tmp/killed.h5
mpirun -n 3 --oversubscribe "$CRITSWEEP" run "$sweep" -o "$out" "${sets[@]}" 2>"$tmp/killed.log" &
pid=$!
# Kill once a few tasks are done (polling the file: a fixed delay missed the run on a
# fast machine), so that the kill lands mid-run.
for _ in $(seq 600); do
  n=$("$CRITSWEEP" status --json "$out" 2>/dev/null | "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["done"])' 2>/dev/null || echo 0)
  (( n >= 4 )) && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$pid" 2>/dev/null || die "the run ended before the kill (raise DR_INPUTS)"
# Open MPI gives every rank its own process group: kill mpirun and its children by pid.
ranks=$(pgrep -P "$pid" | tr '\n' ' ')
kill -KILL "$pid" $ranks 2>/dev/null
wait "$pid" 2>/dev/null
for r in $ranks; do while kill -0 "$r" 2>/dev/null; do sleep 0.05; done; done
done_at_kill=$("$PYTHON" -c 'import sys, h5py; print(int((h5py.File(sys.argv[1], "r")["status"][()] == 1).sum()))' "$out") ||
  die "the killed file does not open"
echo "killed with $done_at_kill of 32 tasks done"
(( done_at_kill < 32 )) || die "every task was done before the kill (raise DR_INPUTS)"
run_mpi 3 run "$sweep" -o "$out" "${sets[@]}" 2>"$tmp/resume.log" || { tail "$tmp/resume.log"; die "resume failed"; }
same_results "$tmp/w1.h5" "$out" attempts || die "the resumed file differs from the uninterrupted one"
echo "PASS: dynamic range identical on 1 and 2 workers and after SIGKILL + resume"

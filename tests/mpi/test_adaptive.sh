#!/bin/bash
# test_adaptive.sh — an adaptive sweep (tests/mpi/adaptive.yaml) grows its grid in rounds:
#   - on 1 worker and on 2 workers it ends with identical files (every dataset bit for
#     bit but the timing ones, every root attribute, the round log included);
#   - killed with SIGKILL at 5 random moments (mpirun and every rank) and resumed each
#     time, it ends with the same file; after every kill the file opens and no finished
#     row is lost (the done count never falls);
#   - xarray opens the grown file with sorted, duplicate-free coordinates, and `status`
#     lists the rounds;
#   - bad input: budget below initial, tol <= 0, adaptive on activation or width -> exit
#     2 naming the field, and the results file untouched.
# Usage: test_adaptive.sh   (env KILL_SEED fixes the random moments)
source "$(dirname "$0")/common.sh"
seed=${KILL_SEED:-$$}
RANDOM=$seed
echo "kill moments from seed $seed"
ad=$root/tests/mpi/adaptive.yaml
# 50x the inputs for the kills: tasks of ~0.1-1 s, so kills land mid-round and mid-grow.
slow=(--set avalanche.inputs=${KILL_INPUTS:-100000})

run_mpi 3 run "$ad" -o "$tmp/two.h5" "${slow[@]}" 2>"$tmp/two.log" || { tail "$tmp/two.log"; die "2-worker run failed"; }
grep "next round\|finished" "$tmp/two.log" | sed 's/^critsweep run: //'
rounds=$(grep -c "next round" "$tmp/two.log")
(( rounds >= 2 )) || die "expected at least 2 growth rounds, got $rounds"
run_mpi 2 run "$ad" -o "$tmp/one.h5" "${slow[@]}" 2>"$tmp/one.log" || { tail "$tmp/one.log"; die "1-worker run failed"; }
same_results "$tmp/two.h5" "$tmp/one.h5" || die "1 and 2 workers differ"
echo "1 worker = 2 workers"

out=$tmp/killed.h5
done_before=0
kills=0
while (( kills < 5 )); do
  mpirun -n 3 --oversubscribe "$CRITSWEEP" run "$ad" -o "$out" "${slow[@]}" 2>>"$tmp/killed.log" &
  pid=$!
  sleep "$(( RANDOM % 2 )).$(( RANDOM % 10 ))"; sleep 0.4
  if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid" && { echo "the sweep finished before kill $((kills + 1))"; break; }
    tail -5 "$tmp/killed.log"; die "a run exited with an error before being killed"
  fi
  ranks=$(pgrep -P "$pid" | tr '\n' ' ')
  kill -KILL "$pid" $ranks 2>/dev/null
  wait "$pid" 2>/dev/null
  for r in $ranks; do while kill -0 "$r" 2>/dev/null; do sleep 0.05; done; done
  kills=$((kills + 1))
  [[ -f $out ]] || { echo "kill $kills: before the file existed"; continue; }
  "$CRITSWEEP" status "$out" >"$tmp/status.txt" 2>&1 || { cat "$tmp/status.txt"; die "file unreadable after kill $kills"; }
  n_done=$(sed -n 2p "$tmp/status.txt" | sed 's/.*done \([0-9]*\),.*/\1/')
  echo "kill $kills: $(sed -n 2p "$tmp/status.txt")"
  (( n_done >= done_before )) || die "finished rows were lost: $n_done done after $done_before"
  done_before=$n_done
done
(( kills >= 5 )) || die "only $kills kills landed (make tasks longer: KILL_INPUTS)"
run_mpi 3 run "$ad" -o "$out" "${slow[@]}" 2>>"$tmp/killed.log" || { tail "$tmp/killed.log"; die "final run failed"; }
ls "$tmp" | grep -q partial && die "a temporary file was left behind: $(ls "$tmp" | grep partial)"
same_results "$tmp/two.h5" "$out" attempts || die "killed and resumed differs from uninterrupted"
echo "killed $kills times and resumed = uninterrupted"

"$PYTHON" - "$out" <<'PY' || die "xarray check failed"
import sys
import numpy as np
import xarray as xr
ds = xr.open_dataset(sys.argv[1], engine="h5netcdf", phony_dims="sort")
for c in ("sigma_w2", "sigma_b2", "seed"):
    v = ds[c].values
    assert np.all(np.diff(v) > 0), (c, v)
sel = ds["S_mean"].sel(sigma_w2=ds.sigma_w2.values[3], sigma_b2=0.0)
assert np.isfinite(sel.values).all(), sel.values
print("xarray: %d sigma_w2 x %d seeds, sorted; .sel works" % (ds.sizes["sigma_w2"], ds.sizes["seed"]))
PY
"$CRITSWEEP" status "$out" | grep -q "after round 1:" || die "status does not list the rounds"
"$CRITSWEEP" status --json "$out" | "$PYTHON" -c 'import json, sys; r = json.load(sys.stdin)["rounds"]; assert len(r) >= 2, r' \
  || die "status --json has no rounds"

sum_before=$(md5sum "$out" | cut -d' ' -f1)
bad() { # expected-field --set...
  local field=$1; shift
  "$CRITSWEEP" run "$ad" -o "$out" "$@" >"$tmp/bad.log" 2>&1; local rc=$?
  (( rc == 2 )) || { cat "$tmp/bad.log"; die "$* exited $rc, not 2"; }
  grep -q "$field" "$tmp/bad.log" || { cat "$tmp/bad.log"; die "$* does not name $field"; }
  echo "refused: $(tail -n 1 "$tmp/bad.log")"
}
bad grid.sigma_w2.adaptive.budget --set grid.sigma_w2.adaptive.budget=5
bad grid.sigma_w2.adaptive.tol --set grid.sigma_w2.adaptive.tol=0
bad grid.width.adaptive --set 'grid.width={adaptive: {initial: 2, budget: 4}}'
bad grid.activation.adaptive --set 'grid.activation={adaptive: {initial: 2, budget: 4}}'
[[ $(md5sum "$out" | cut -d' ' -f1) == "$sum_before" ]] || die "a refused run changed the file"

# refine on a plain grid: the rows of the first file stay as they were, bit for bit.
plain=(--set train.enabled=false --set 'grid.sigma_w2={start: 0.5, stop: 2.5, num: 7}' --set 'grid.width=[16]')
run_mpi 3 run "$sweep" -o "$tmp/plain.h5" "${plain[@]}" 2>"$tmp/plain.log" || { tail "$tmp/plain.log"; die "plain run failed"; }
cp "$tmp/plain.h5" "$tmp/plain0.h5"
"$CRITSWEEP" refine "$tmp/plain.h5" --budget 5 >"$tmp/bad.log" 2>&1; rc=$?
(( rc == 2 )) && grep -q -- "--budget 5 is below" "$tmp/bad.log" || { cat "$tmp/bad.log"; die "refine --budget 5: exit $rc"; }
"$CRITSWEEP" refine "$tmp/plain.h5" --sweep "$ad" >"$tmp/bad.log" 2>&1; rc=$?
(( rc == 2 )) && grep -q "different sweep" "$tmp/bad.log" || { cat "$tmp/bad.log"; die "refine on another sweep's file: exit $rc"; }
"$CRITSWEEP" refine "$out" --sweep "$sweep" >"$tmp/bad.log" 2>&1; rc=$?
(( rc == 2 )) || { cat "$tmp/bad.log"; die "refine of the adaptive file with tiny.yaml: exit $rc"; }
cmp -s "$tmp/plain.h5" "$tmp/plain0.h5" || die "a refused refine changed the file"
[[ $(md5sum "$out" | cut -d' ' -f1) == "$sum_before" ]] || die "a refused refine changed the file"
echo "refine refused: a budget below the grid, a file of another sweep; files untouched"
"$CRITSWEEP" refine "$tmp/plain.h5" --budget 10 --tol 0.01 2>"$tmp/refine.log" \
  || { tail "$tmp/refine.log"; die "refine failed"; }
"$PYTHON" - "$tmp/plain0.h5" "$tmp/plain.h5" <<'PY' || die "refine lost or changed rows"
import sys
import h5py
import numpy as np
with h5py.File(sys.argv[1], "r") as a, h5py.File(sys.argv[2], "r") as b:
    wa, wb = a["sigma_w2"][()], b["sigma_w2"][()]
    assert len(wb) > len(wa) and np.all(np.diff(wb) > 0) and set(wa) <= set(wb), (wa, wb)
    idx = np.searchsorted(wb, wa)
    for name in ("S_mean", "status", "lyapunov", "D_count"):
        x, y = a[name][()], b[name][()][:, :, :, idx]
        assert np.array_equal(x, y, equal_nan=True), name
    assert (b["status"][()] == 1).all(), "new tasks not done"
    assert b.attrs["sweep_hash"] == a.attrs["sweep_hash"]
    print("refine: sigma_w2 %s -> %s, the old rows unchanged" % (list(wa), list(np.round(wb, 4))))
PY
# The plain sweep resumes its refined file (nothing to do).
run_mpi 3 run "$sweep" -o "$tmp/plain.h5" "${plain[@]}" 2>"$tmp/plain.log" || { tail "$tmp/plain.log"; die "run on the refined file failed"; }
grep -q "grown in earlier rounds" "$tmp/plain.log" || die "run did not adopt the refined grid"
echo "PASS"

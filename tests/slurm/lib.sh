# lib.sh — shared by the slurm tests that run real jobs: their start and end, the test
# sweep, the uninterrupted reference run, waiting for the queue, and comparing a results
# file with the reference.  Source it from the repository root.

root=$PWD
CRITSWEEP=${CRITSWEEP:-$root/build/critsweep}
PYTHON=${PYTHON:-/usr/bin/python3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
export OMPI_MCA_rmaps_base_oversubscribe=1
source tests/slurm/localslurm.sh

ref_pid=
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

slurmtest_cleanup() {
  [[ -n $ref_pid ]] && kill "$ref_pid" 2>/dev/null
  localslurm_stop
  if [[ -n ${LOCALSLURM_KEEP:-} ]]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}

# A scratch directory (kept with LOCALSLURM_KEEP=1), removed on any exit with the local
# SLURM stopped; the local SLURM started (exit 77 if it cannot be set up here); the test
# sweep written there, and the working directory moved there.  Sets tmp and t0.
slurmtest_begin() { # name
  tmp=$(mktemp -d "/tmp/cs-slurm-$1.XXXXXX")
  trap slurmtest_cleanup EXIT
  trap 'exit 143' TERM
  trap 'exit 130' INT
  localslurm_start
  local rc=$?
  if (( rc == 77 )); then echo "skipped: no local SLURM could be set up (see above)"; exit 77; fi
  (( rc == 0 )) || { echo "FAIL: the local SLURM did not start"; exit 1; }
  cd "$tmp" || exit 1
  slurmtest_sweep sweep.yaml
  t0=$SECONDS
}

# The same sweep, uninterrupted, one worker, on the other core, in the background.
slurmtest_start_reference() { # run options...
  mpirun -n 2 --bind-to none "$CRITSWEEP" run sweep.yaml -o ref.h5 "$@" >ref.log 2>&1 &
  ref_pid=$!
}

# After the queue drained: the reference's exit, SLURM's jobs and the job log printed.
slurmtest_collect() {
  wait "$ref_pid"
  local ref_rc=$?
  ref_pid=
  echo "SLURM jobs and reference done after $((SECONDS - t0)) s (reference exit $ref_rc)"
  echo "jobs (id state reason elapsed):"; jobs_table | sed 's/^/    /'
  echo "job log:"; grep 'critsweep job' slurm.h5.log | sed 's/^/    /'
  (( ref_rc == 0 )) || { fail "the reference run exited $ref_rc"; tail -n 20 ref.log; }
}

# The job's results against the reference's (its derived datasets written by phase too),
# then the verdict line.
slurmtest_finish() { # what-the-sweep-went-through
  "$CRITSWEEP" phase ref.h5 -o ref-figures >/dev/null 2>&1 || fail "critsweep phase ref.h5 failed"
  compare_results ref.h5 slurm.h5 || fail "the $1 sweep's results differ from the uninterrupted run's"
  echo "total $((SECONDS - t0)) s"
  if (( fails )); then echo "0 passed, 1 failed"; exit 1; fi
  echo "1 passed, 0 failed"
}

# A small sweep: 12 sigma_w2 points per seed, ~3 s of work per task on one core, with
# training.  Tests scale it with --set grid.seeds=N (passed through submit to the job).
slurmtest_sweep() { # path
  cat >"$1" <<'EOF'
name: slurmtest
seed: 7
grid:
  activation: [tanh]
  width: [128]
  sigma_b2: [0]
  sigma_w2: {start: 0.5, stop: 2.0, num: 12}
  seeds: 1
avalanche:
  depth: 150
  inputs: 4000
  per_network: 500
  shape_window: [10, 60]
  shape_min_count: 10
fit:
  gamma_min_count: 20
train:
  depth: 3
  epochs: 1
  batch: 64
  lr: 0.01
  train_subset: 10000
EOF
}

# Waits until no job of ours is pending or running; 1 after limit seconds.
wait_queue_empty() { # limit-seconds
  local t0=$SECONDS
  while [[ -n $(squeue -h -o %i 2>/dev/null) ]]; do
    (( SECONDS - t0 > $1 )) && return 1
    sleep 2
  done
  return 0
}

# Every job this cluster has seen, oldest first: "id state reason elapsed".
jobs_table() { squeue -h -t all -o '%i %T %r %M' 2>/dev/null | sort -n; }

# The results of FILE must equal REF's: h5diff over everything but the timing datasets
# (seconds, *_per_s), the bookkeeping (attempts, runs, run; each row's checksum covers the
# timings) and the attributes that name
# a file's own history (created, the dimension scales' back-references), then h5py over
# the same set, printing how many datasets and values were compared and the largest
# difference (must be 0: the design promises bit-identical results).
compare_results() { # ref file
  local ref=$1 out=$2 ex=() p
  for p in seconds avalanches_per_s samples_per_s attempts runs run checksum; do ex+=(--exclude-path "/$p"); done
  for p in / /activation /width /sigma_b2 /sigma_w2 /seed /epoch /duration /size_bin /profile_x \
           /shape_duration /reason_char; do
    ex+=(--exclude-attribute "$p")
  done
  local rc=0
  h5diff -c "${ex[@]}" "$ref" "$out" >"$out.h5diff" 2>&1 || rc=$?
  echo "h5diff (timing, runs and file-history attributes excluded): exit $rc"
  sed 's/^/    /' "$out.h5diff" | head -n 20
  "$PYTHON" - "$ref" "$out" <<'EOF' || rc=1
import sys
import h5py
import numpy as np

skip = {"seconds", "avalanches_per_s", "samples_per_s", "attempts", "runs", "run", "checksum"}
a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
names = sorted(set(a) | set(b))
bad, n_sets, n_vals, worst = [], 0, 0, 0.0
for n in names:
    if n in skip:
        continue
    if n not in a or n not in b:
        bad.append(f"{n}: only in one file")
        continue
    x, y = a[n][()], b[n][()]
    n_sets += 1
    if x.shape != y.shape:
        bad.append(f"{n}: shapes {x.shape} vs {y.shape}")
        continue
    n_vals += x.size
    if x.dtype.kind == "f":
        same = np.array_equal(x, y, equal_nan=True)
        d = np.abs(x.astype(float) - y.astype(float))
        d = d[np.isfinite(d)]
        worst = max(worst, float(d.max()) if d.size else 0.0)
    else:
        same = np.array_equal(x, y)
    if not same:
        bad.append(f"{n}: values differ")
skip_attrs = {"created"}
for k in sorted(set(a.attrs) | set(b.attrs)):
    if k in skip_attrs:
        continue
    if k not in a.attrs or k not in b.attrs or not np.array_equal(np.asarray(a.attrs[k]), np.asarray(b.attrs[k])):
        bad.append(f"root attribute {k} differs")
status = b["status"][()]
finished = int(np.isin(status, (1, 3)).sum())
print(f"h5py: {n_sets} datasets, {n_vals} values compared; largest difference {worst:g} "
      f"(tolerance 0); {finished} of {status.size} tasks finished in FILE")
for m in bad:
    print("    DIFFERENT:", m)
sys.exit(1 if bad or worst != 0 else 0)
EOF
  return $rc
}

# How many seeds make the test sweep about target seconds of work for one worker on this
# machine (its speed varies several-fold with the build and the load): a 12-task
# calibration run, timed from its per-task `seconds`.  Prints the count (2..400).
calibrate_seeds() { # target-seconds
  mpirun -n 2 --bind-to none "$CRITSWEEP" run sweep.yaml -o calibrate.h5 >calibrate.log 2>&1 || {
    echo "calibration run failed:" >&2; tail -n 20 calibrate.log >&2; return 1; }
  "$PYTHON" - "$1" <<'PY'
import math, sys
import h5py, numpy as np
with h5py.File("calibrate.h5", "r") as f:
    s = f["seconds"][()]
per_seed = float(np.nansum(s)) / max(1, s.shape[-1])
n = min(400, max(2, math.ceil(float(sys.argv[1]) / max(per_seed, 1e-3))))
print(f"calibration: {per_seed:.2f} s of work per seed (12 tasks) -> {n} seeds", file=sys.stderr)
print(n)
PY
}

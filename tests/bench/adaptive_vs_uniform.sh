#!/bin/bash
# adaptive_vs_uniform.sh — what an adaptive σ_w² axis saves (README §3).  A 1-D χ scan:
# tanh, N = 300, L_max = 500, σ_b² = 0, 20000 inputs per task, no training, σ_w² in
# [0.9, 1.2], the Widom line to ±0.005.
#   1. adaptive: 7 points, growing to at most 49, seeds from 4 up to 8;
#   2. uniform: the evenly spaced grid whose spacing is the adaptive run's finest gap
#      at the line (the spacing a uniform grid needs for the same ±0.005: the
#      uncertainty is at least half the gap), with the adaptive run's final seeds.
# For both it prints tasks, core-seconds, the Widom line with its 95 % seed-bootstrap
# interval (critsweep phase, 1000 replicates) and the planner's uncertainty
# (max of the interval's half-width and half the gap; `refine --rounds 1` on a full
# budget reports it without adding points), then the ratio of tasks (target <= 0.40)
# and whether the two estimates agree within their intervals.
#   bash tests/bench/adaptive_vs_uniform.sh [WORKDIR]     (~30-40 min on 2 idle cores)
# WORKDIR keeps the files (run again: finished runs are reused, unfinished resumed).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
CRITSWEEP=${CRITSWEEP:-$root/build/critsweep}
PYTHON=${PYTHON:-/usr/bin/python3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
work=${1:-$(mktemp -d /tmp/critsweep-adaptive.XXXXXX)}
mkdir -p "$work"
ranks=$(( $(nproc) + 1 ))
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); files in $work"
cat >"$work/adaptive.yaml" <<'YAML'
name: chi-scan-adaptive
seed: 5
grid:
  activation: [tanh]
  width: [300]
  sigma_b2: [0]
  sigma_w2: {adaptive: {start: 0.9, stop: 1.2, initial: 7, budget: 49, tol: 0.005, target: [widom]}}
  seeds: {adaptive: {initial: 4, budget: 8}}
avalanche: {depth: 500, inputs: 20000, per_network: 1000, shape_window: [60, 250]}
train: {enabled: false}
YAML
run() { mpirun -n "$ranks" --oversubscribe "$CRITSWEEP" run "$@"; }
t0=$SECONDS
run "$work/adaptive.yaml" -o "$work/adaptive.h5" 2>"$work/adaptive.log" || { tail "$work/adaptive.log"; exit 1; }
echo "adaptive run: $((SECONDS - t0)) s wall"
grep "next round\|finished" "$work/adaptive.log" | sed 's/^critsweep run: [^:]*: /  /'
# The uniform grid: the adaptive run's finest gap at its line, its seeds.
read -r num seeds gap < <("$PYTHON" - "$work/adaptive.h5" <<'PY'
import sys
import h5py
import numpy as np
with h5py.File(sys.argv[1], "r") as f:
    x = f["sigma_w2"][()]
    est = float(f["widom_sigma_w2"][()].ravel()[0])
    i = int(np.clip(np.searchsorted(x, est) - 1, 0, len(x) - 2))
    gap = x[i + 1] - x[i]
    print(int(round((x[-1] - x[0]) / gap)) + 1, len(f["seed"][()]), gap)
PY
)
echo "uniform grid: $num points (spacing $gap, the adaptive run's gap at its line) x $seeds seeds"
cat >"$work/uniform.yaml" <<YAML
name: chi-scan-uniform
seed: 5
grid:
  activation: [tanh]
  width: [300]
  sigma_b2: [0]
  sigma_w2: {start: 0.9, stop: 1.2, num: $num}
  seeds: $seeds
avalanche: {depth: 500, inputs: 20000, per_network: 1000, shape_window: [60, 250]}
train: {enabled: false}
YAML
t0=$SECONDS
run "$work/uniform.yaml" -o "$work/uniform.h5" 2>"$work/uniform.log" || { tail "$work/uniform.log"; exit 1; }
echo "uniform run: $((SECONDS - t0)) s wall"
for k in adaptive uniform; do
  "$CRITSWEEP" phase "$work/$k.h5" --claim-only >"$work/$k.phase.log" 2>&1 || { cat "$work/$k.phase.log"; exit 1; }
  # The planner's uncertainty, with no room to grow (budget = the grid it has).
  n=$("$PYTHON" -c 'import sys, h5py; print(len(h5py.File(sys.argv[1], "r")["sigma_w2"]))' "$work/$k.h5")
  cp "$work/$k.h5" "$work/$k.probe.h5"
  "$CRITSWEEP" refine "$work/$k.probe.h5" --budget "$n" --tol 0.005 --rounds 1 2>"$work/$k.probe.log" >/dev/null
  grep -o "least certain +-[0-9.e-]*" "$work/$k.probe.log" | tail -1 | sed 's/least certain +-//' >"$work/$k.hw"
  rm -f "$work/$k.probe.h5"
done
"$PYTHON" - "$work" <<'PY'
import sys
import h5py
import numpy as np
w = sys.argv[1]
rows = {}
for k in ("adaptive", "uniform"):
    with h5py.File(f"{w}/{k}.h5", "r") as f:
        g = lambda n: float(f[n][()].ravel()[0])
        rows[k] = dict(tasks=f["status"].size, points=len(f["sigma_w2"]), seeds=len(f["seed"]),
                       cpu=float(np.nansum(f["seconds"][()])), est=g("widom_sigma_w2"),
                       lo=g("widom_sigma_w2_lo"), hi=g("widom_sigma_w2_hi"),
                       hw=float(open(f"{w}/{k}.hw").read() or "nan"))
print("%-9s %6s %6s %6s %10s %9s %21s %11s" % ("grid", "points", "seeds", "tasks", "core-s",
      "widom", "95 % interval", "uncertainty"))
for k, r in rows.items():
    print("%-9s %6d %6d %6d %10.0f %9.4f [%9.4f, %9.4f] %11.4f" % (k, r["points"], r["seeds"],
          r["tasks"], r["cpu"], r["est"], r["lo"], r["hi"], r["hw"]))
a, u = rows["adaptive"], rows["uniform"]
ratio = a["tasks"] / u["tasks"]
agree = a["lo"] <= u["hi"] and u["lo"] <= a["hi"]
print("adaptive / uniform: %.2f of the tasks (target <= 0.40), %.2f of the core-seconds"
      % (ratio, a["cpu"] / u["cpu"]))
print("intervals %s; |difference| %.4f" % ("overlap" if agree else "DO NOT overlap",
      abs(a["est"] - u["est"])))
PY

#!/bin/bash
# test_bench_runs.sh — `critsweep bench --quick` runs to the end and reports every figure
# the README quotes, each a finite positive number.  Speed is not asserted here (a busy
# machine would make that flaky); memory is: the avalanche benchmark's peak RSS must stay
# far below one whole 1000-layer network (1000 MB), which holds only while layers are
# drawn on demand and never kept.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
CRITSWEEP=${CRITSWEEP:-$root/build/critsweep}
PYTHON=${PYTHON:-/usr/bin/python3}
[[ -x $CRITSWEEP ]] || { echo "SKIP: no binary at $CRITSWEEP"; exit 77; }
out=$(mktemp /tmp/critsweep-bench.XXXXXX)
trap 'rm -f "$out"' EXIT

cd "$root" && OPENBLAS_NUM_THREADS=1 "$CRITSWEEP" bench --quick >"$out" 2>&1
rc=$?
cat "$out"
(( rc == 0 )) || { echo "FAIL: critsweep bench --quick exited $rc"; exit 1; }

"$PYTHON" - "$out" <<'PY'
import math, re, sys
text = open(sys.argv[1]).read()
fails = []
def number(pattern, name, lo=0.0, hi=math.inf):
    m = re.search(pattern, text)
    if not m:
        fails.append(f"{name}: line missing")
        return None
    v = float(m.group(1))
    if not (math.isfinite(v) and lo < v < hi):
        fails.append(f"{name}: {v} outside ({lo}, {hi})")
    print(f"{name:40s} {v:g}")
    return v
if not re.search(r"kernels for \S+", text):
    fails.append("OpenBLAS kernels not named")
number(r"OpenBLAS sgemm 1000x500 \. 500x500\s+([\d.]+) GFLOP/s", "sgemm GFLOP/s")
number(r"normals \(rng_fill_normal, 500x500\)\s+([\d.]+) M/s", "normals M/s")
number(r"critsweep avalanche_run\s+([\d.]+) inputs/s", "avalanche inputs/s")
number(r"propagation \(sgemm \+ activations \+ norms\)\s+[\d.]+ GFLOP/s = ([\d.]+) of sgemm",
       "propagation / sgemm", 0.0, 2.0)
number(r"with rows padded to a multiple of \d+ as the engine does \(([\d.]+) of the time\)",
       "padded / unpadded plain sgemm time", 0.0, 2.0)
number(r"propagation runs at ([\d.]+) of the padded calls' rate", "propagation / padded plain sgemm",
       0.0, 2.0)
rss = number(r"peak RSS\s+([\d.]+) MB", "peak RSS MB", 0.0, 200.0)
if "reference comparison skipped:" in text:
    print("reference comparison skipped (allowed):",
          re.search(r"reference comparison skipped:.*", text).group(0))
else:
    number(r"critsweep / Python reference\s+([\d.]+)x", "ratio to the Python reference")
# N batch critsweep/s pytorch/s speedup train-GF/s sgemm-GF/s fraction (the PyTorch
# columns read nan when the bench says "reference comparison skipped (training)")
rows = [ln.split() for ln in text.splitlines() if re.match(r"^\s+(64|128|256|512)\s+\d+\s", ln)]
if [r[0] for r in rows] != ["64", "128", "256", "512"]:
    fails.append(f"training table rows {[r[0] for r in rows]}, want 64 128 256 512")
for r in rows:
    vals = [float(x) for x in r[1:]]
    if "reference comparison skipped (training)" in text:
        vals = vals[:2] + vals[4:]
    if len(vals) < 5 or not all(math.isfinite(v) and v > 0 for v in vals):
        fails.append(f"training row N={r[0]}: {r[1:]}")
print(f"training rows: {len(rows)}")
if fails:
    print("FAIL:", "; ".join(fails))
    sys.exit(1)
print("PASS: bench --quick reports every figure; peak RSS", rss, "MB < 200 MB")
PY

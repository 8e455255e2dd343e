#!/bin/bash
# test_bench_no_reference.sh — the benchmark does not need the source tree: a binary
# copied where no tests/bench/*.py can be found (CRITSWEEP_REFERENCE_POINT and
# CRITSWEEP_TRAIN_TORCH unset) still measures the engines, says "reference comparison
# skipped: ..." for each missing reference, and exits 0.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
CRITSWEEP=${CRITSWEEP:-$root/build/critsweep}
[[ -x $CRITSWEEP ]] || { echo "SKIP: no binary at $CRITSWEEP"; exit 77; }
dir=$(mktemp -d /tmp/critsweep-noref.XXXXXX)
trap 'rm -rf "$dir"' EXIT
cp "$CRITSWEEP" "$dir/critsweep" || { echo "FAIL: cannot copy the binary"; exit 1; }
out=$dir/out.txt
(cd "$dir" && env -u CRITSWEEP_REFERENCE_POINT -u CRITSWEEP_TRAIN_TORCH \
   OPENBLAS_NUM_THREADS=1 ./critsweep bench --quick >"$out" 2>&1)
rc=$?
cat "$out"
fail=0
(( rc == 0 )) || { echo "FAIL: bench exited $rc without the reference scripts"; fail=1; }
grep -q "^  reference comparison skipped: tests/bench/reference_point.py not found" "$out" ||
  { echo "FAIL: no 'reference comparison skipped' line for reference_point.py"; fail=1; }
grep -q "^reference comparison skipped (training): tests/bench/train_torch.py not found" "$out" ||
  { echo "FAIL: no 'reference comparison skipped' line for train_torch.py"; fail=1; }
grep -Eq "engine auto +avalanche_run +[0-9]+ inputs/s" "$out" ||
  { echo "FAIL: the engine figures are missing"; fail=1; }
grep -Eq "^ +512 +128 +[0-9]+ +nan " "$out" ||
  { echo "FAIL: the training table is missing its N = 512 row"; fail=1; }
(( fail == 0 )) && echo "PASS: bench runs and reports without tests/bench"
exit $fail

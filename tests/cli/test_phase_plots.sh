#!/bin/bash
# test_phase_plots.sh — `critsweep phase` and `critsweep fss` on bad input (exit 2 and a
# one-line message naming the file, option or value) and on a partial results file
# (pending cells render grey, the output says how many, their CSV cells are NaN).
# The results files come from tests/interop/make_synthetic_results.py (the store.h
# schema, with chosen pending tasks); test_phase_numbers.py covers a real run.
set -uo pipefail
cd "$(dirname "$0")/../.."
CRITSWEEP=${CRITSWEEP:-$PWD/build/critsweep}
PYTHON=${PYTHON:-/usr/bin/python3}
[[ -x $CRITSWEEP ]] || { echo "FAIL: $CRITSWEEP not built"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

# expect_fail NAME EXPECTED-CODE NEEDLE command...: exit code and a message naming NEEDLE.
expect_fail() {
  local name=$1 code=$2 needle=$3; shift 3
  "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  local lines
  lines=$(wc -l <"$tmp/err")
  if [[ $rc != "$code" ]]; then
    echo "FAIL $name: exit $rc, expected $code"; sed 's/^/    /' "$tmp/err"; fails=$((fails + 1))
  elif ! grep -qF -- "$needle" "$tmp/err"; then
    echo "FAIL $name: message does not name '$needle':"; sed 's/^/    /' "$tmp/err"; fails=$((fails + 1))
  elif (( lines != 1 )); then
    echo "FAIL $name: $lines lines on stderr, expected one:"; sed 's/^/    /' "$tmp/err"; fails=$((fails + 1))
  else
    echo "ok   $name: $(cat "$tmp/err")"
  fi
}

"$PYTHON" tests/interop/make_synthetic_results.py "$tmp/part.h5" --widths 16,32 \
  --activations tanh --pending 0.3 >/dev/null || { echo "FAIL: synthetic file"; exit 1; }
"$PYTHON" tests/interop/make_synthetic_results.py "$tmp/one.h5" --widths 32 \
  --activations tanh --pending 0 >/dev/null || { echo "FAIL: synthetic file"; exit 1; }
echo "not an HDF5 file" >"$tmp/text.h5"

# Bad input.
expect_fail "missing file" 2 "$tmp/nope.h5" "$CRITSWEEP" phase "$tmp/nope.h5"
expect_fail "not HDF5" 2 "not an HDF5 file" "$CRITSWEEP" phase "$tmp/text.h5"
expect_fail "fss missing file" 2 "$tmp/nope.h5" "$CRITSWEEP" fss "$tmp/nope.h5"
expect_fail "unknown quantity" 2 "--quantity bogus_q" "$CRITSWEEP" phase "$tmp/part.h5" --quantity bogus_q --no-write
expect_fail "width not in file" 2 "--width 999" "$CRITSWEEP" phase "$tmp/part.h5" --quantity chi --width 999 --no-write
expect_fail "activation not in file" 2 "--activation relu" "$CRITSWEEP" phase "$tmp/part.h5" --quantity chi --activation relu --no-write
expect_fail "bad width value" 2 "--width abc" "$CRITSWEEP" phase "$tmp/part.h5" --width abc
expect_fail "bad figure extension" 2 "out.gif" "$CRITSWEEP" phase "$tmp/part.h5" --quantity chi -o "$tmp/out.gif" --no-write
expect_fail "unknown option" 2 "--bogus" "$CRITSWEEP" phase "$tmp/part.h5" --bogus
expect_fail "no file" 2 "results file" "$CRITSWEEP" phase
expect_fail "spread of chi" 2 "--spread" "$CRITSWEEP" phase "$tmp/part.h5" --quantity chi --spread --no-write
expect_fail "fss one width" 2 "one width" "$CRITSWEEP" fss "$tmp/one.h5" --no-write
expect_fail "fss sigma_b2 not in file" 2 "--sigma-b2 0.3" "$CRITSWEEP" fss "$tmp/part.h5" --sigma-b2 0.3 --no-write
expect_fail "unwritable output folder" 2 "/proc/phase-out" "$CRITSWEEP" phase "$tmp/part.h5" -o /proc/phase-out --no-write

for cmd in phase fss; do
  if "$CRITSWEEP" $cmd --help | grep -q "usage: critsweep $cmd"; then echo "ok   $cmd --help"
  else echo "FAIL $cmd --help"; fails=$((fails + 1)); fi
done

# A partial file renders: pending cells are counted and blank (NaN) in the CSVs.
if "$CRITSWEEP" phase "$tmp/part.h5" >"$tmp/out" 2>"$tmp/err"; then
  pend=$("$PYTHON" -c "
import h5py, numpy as np
st = h5py.File('$tmp/part.h5', 'r')['status'][...]
print(int((~((st == 1) | (st == 3)).any(-1)).sum()))")
  if grep -q "$pend of .* cells have no finished seed" "$tmp/err" && (( pend > 0 )); then
    echo "ok   partial file: $pend pending cells reported"
  else
    echo "FAIL partial file: expected '$pend of N cells have no finished seed' in:"; cat "$tmp/err"
    fails=$((fails + 1))
  fi
  nfig=$(ls "$tmp"/part-figures/*.png | wc -l)
  "$PYTHON" - "$tmp" <<'EOF' || fails=$((fails + 1))
import csv, sys, h5py, numpy as np
tmp = sys.argv[1]
f = h5py.File(f"{tmp}/part.h5", "r")
st = f["status"][...]
pending = ~((st == 1) | (st == 3)).any(-1)          # (A, W, B, S)
rows = list(csv.DictReader(open(f"{tmp}/part-figures/S_mean_tanh_N16.csv")))
vals = np.array([float(r["value"]) for r in rows]).reshape(pending.shape[2:])
bad = np.isnan(vals) != pending[0, 0]
if bad.any():
    print("FAIL partial file: NaN cells of S_mean_tanh_N16.csv != cells with no finished seed")
    sys.exit(1)
print(f"ok   partial file: {int(pending[0, 0].sum())} NaN cells in S_mean_tanh_N16.csv, as pending")
EOF
  echo "ok   partial file rendered ($nfig PNGs)"
else
  echo "FAIL partial file: exit $?"; cat "$tmp/err"; fails=$((fails + 1))
fi

# A file another process holds the writer's lock on (the byte at 2^62 a run locks; a
# classic POSIX lock there conflicts with it too): derived tables stay in memory.
"$PYTHON" -c "
import fcntl, sys, time
fd = open('$tmp/part.h5', 'r+b')
fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 1 << 62)
print('locked', flush=True)
time.sleep(30)
" >"$tmp/lock.out" &
locker=$!
for _ in $(seq 100); do grep -q locked "$tmp/lock.out" 2>/dev/null && break; sleep 0.05; done
"$CRITSWEEP" phase "$tmp/part.h5" --quantity chi -o "$tmp/busy.png" 2>"$tmp/err" >/dev/null
kill $locker 2>/dev/null; wait $locker 2>/dev/null
if grep -q "a run is writing" "$tmp/err" && [[ -s $tmp/busy.png ]]; then
  echo "ok   busy file: figure drawn, derived tables not written"
else
  echo "FAIL busy file:"; cat "$tmp/err"; fails=$((fails + 1))
fi

if (( fails )); then echo "$fails failures"; exit 1; fi
echo "all phase CLI checks passed"

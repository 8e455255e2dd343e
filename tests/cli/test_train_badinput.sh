#!/bin/bash
# critsweep train rejects bad data directories and bad options with exit 2 and a message
# naming the file or the option: missing directory, truncated file, wrong magic, label
# out of range, image/label count mismatch; bad --width/--optimizer/--activation values
# and unknown options.  A valid fixture set trains (exit 0), so every failure below is
# caused by the one defect put into its copy.
set -uo pipefail
CRITSWEEP=${CRITSWEEP:-build/critsweep}
PYTHON=${PYTHON:-/usr/bin/python3}
[[ -x $CRITSWEEP ]] || { echo "critsweep binary not found at $CRITSWEEP"; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# Fixture: 64 training and 16 test images of 28x28, gzipped IDX, written by Python's gzip.
"$PYTHON" - "$tmp/good" <<'PY' || { echo "cannot write fixtures"; exit 1; }
import gzip, os, random, struct, sys
d = sys.argv[1]; os.makedirs(d)
random.seed(1)
def write(name, magic, dims, data):
    with gzip.open(os.path.join(d, name + ".gz"), "wb") as f:
        f.write(struct.pack(">I", magic) + b"".join(struct.pack(">I", v) for v in dims) + data)
for prefix, n in (("train", 64), ("t10k", 16)):
    write(f"{prefix}-images-idx3-ubyte", 0x803, (n, 28, 28), bytes(random.randrange(256) for _ in range(n * 784)))
    write(f"{prefix}-labels-idx1-ubyte", 0x801, (n,), bytes(i % 10 for i in range(n)))
PY

fails=0
run_train() { "$CRITSWEEP" train --width 16 --depth 2 --epochs 1 --batch 16 "$@"; }
expect() { # description needle args...
  local what=$1 needle=$2; shift 2
  local err rc
  err=$(run_train "$@" 2>&1 >/dev/null); rc=$?
  if [[ $rc -ne 2 ]]; then
    echo "FAIL $what: exit $rc (want 2): $err"; fails=$((fails + 1))
  elif [[ $err != *"$needle"* ]]; then
    echo "FAIL $what: message does not name '$needle': $err"; fails=$((fails + 1))
  else
    echo "ok   $what: $err"
  fi
}
variant() { rm -rf "$tmp/$1"; cp -r "$tmp/good" "$tmp/$1"; }
idx() { # dir file magic dims... -- python expression for the data
  "$PYTHON" - "$@" <<'PY'
import gzip, struct, sys
path, magic, dims, data = sys.argv[1], int(sys.argv[2], 0), [int(v) for v in sys.argv[3].split(",")], eval(sys.argv[4])
with gzip.open(path, "wb") as f:
    f.write(struct.pack(">I", magic) + b"".join(struct.pack(">I", v) for v in dims) + data)
PY
}

# positive control
if run_train --data "$tmp/good" >/dev/null 2>"$tmp/err"; then echo "ok   valid fixture trains"
else echo "FAIL valid fixture: $(cat "$tmp/err")"; fails=$((fails + 1)); fi

expect "missing directory" "$tmp/nowhere" --data "$tmp/nowhere"

variant trunc
f=$tmp/trunc/train-images-idx3-ubyte.gz
idx "$f" 0x803 64,28,28 "bytes(63 * 784 + 100)"
expect "truncated images" "$f" --data "$tmp/trunc"

variant magic
f=$tmp/magic/t10k-images-idx3-ubyte.gz
idx "$f" 0x801 16,28,28 "bytes(16 * 784)"
expect "wrong magic" "$f" --data "$tmp/magic"

variant label
f=$tmp/label/train-labels-idx1-ubyte.gz
idx "$f" 0x801 64 "bytes([3] * 40 + [12] + [1] * 23)"
expect "label out of range" "$f" --data "$tmp/label"

variant count
f=$tmp/count/t10k-labels-idx1-ubyte.gz
idx "$f" 0x801 15 "bytes(15)"
expect "count mismatch" "$f" --data "$tmp/count"

variant missing
rm "$tmp/missing/train-labels-idx1-ubyte.gz"
expect "missing file" "train-labels-idx1-ubyte" --data "$tmp/missing"

expect "bad --width" "--width" --data "$tmp/good" --width abc
expect "zero --batch" "--batch" --data "$tmp/good" --batch 0
expect "bad --optimizer" "--optimizer" --data "$tmp/good" --optimizer rmsprop
expect "bad --activation" "--activation" --data "$tmp/good" --activation sigmoid
expect "negative --lr" "--lr" --data "$tmp/good" --lr -1
expect "unknown option" "--frobnicate" --data "$tmp/good" --frobnicate 3
expect "missing value" "--seed" --data "$tmp/good" --seed
expect "subset too large" "$tmp/good" --data "$tmp/good" --train-subset 65

if "$CRITSWEEP" train --help | grep -q -- "--sigma-w2"; then echo "ok   --help"
else echo "FAIL --help does not list --sigma-w2"; fails=$((fails + 1)); fi

echo "$fails failure(s)"
(( fails == 0 ))

#!/bin/bash
# Learning is real: on Fashion-MNIST, a tanh MLP with N = 256, L_train = 10,
# sigma_w2 = 1.2, sigma_b2 = 0.05 (near the edge of chaos) reaches >= 84% test accuracy
# in 5 epochs of momentum SGD (lr 0.01, batch 128), and the same network deep in the
# ordered phase (sigma_w2 = 0.3, L_train = 50), trained identically, does at least
# 20 points worse (it stays near chance: the gradient vanishes over 50 layers).
# Reference points: a 2-layer MLP reaches ~88% on Fashion-MNIST (Xiao et al. 2017
# benchmark table); chance is 10%.
set -uo pipefail
CRITSWEEP=${CRITSWEEP:-build/critsweep}
PYTHON=${PYTHON:-/usr/bin/python3}
DATA=/usr/share/datasets/fashion-mnist
[[ -x $CRITSWEEP ]] || { echo "critsweep binary not found at $CRITSWEEP"; exit 1; }
if [[ ! -f $DATA/train-images-idx3-ubyte.gz ]]; then
  echo "SKIP: $DATA missing (apt-get install dataset-fashion-mnist)"; exit 77
fi
common=(--width 256 --sigma-b2 0.05 --activation tanh --epochs 5 --batch 128 --lr 0.01
        --optimizer momentum --seed 1 --threads 2 --json)
acc() { "$PYTHON" -c 'import json,sys; d=json.load(sys.stdin); print(d["test_accuracy"] if d["status"] == "ok" else 0.0)'; }

start=$SECONDS
good_json=$("$CRITSWEEP" train "${common[@]}" --depth 10 --sigma-w2 1.2) || { echo "FAIL: training run 1 exited $?"; exit 1; }
t1=$((SECONDS - start))
echo "$good_json"
start=$SECONDS
bad_json=$("$CRITSWEEP" train "${common[@]}" --depth 50 --sigma-w2 0.3) || { echo "FAIL: training run 2 exited $?"; exit 1; }
t2=$((SECONDS - start))
echo "$bad_json"
good=$(acc <<<"$good_json") bad=$(acc <<<"$bad_json")
echo "sigma_w2 1.2, L 10: test accuracy $good (${t1} s); sigma_w2 0.3, L 50: $bad (${t2} s)"
"$PYTHON" - "$good" "$bad" <<'PY'
import sys
good, bad = float(sys.argv[1]), float(sys.argv[2])
print(f"accuracy {good:.4f} (need >= 0.84); ordered-phase network {bad:.4f}, "
      f"margin {good - bad:.4f} (need >= 0.20)")
sys.exit(0 if good >= 0.84 and good - bad >= 0.20 else 1)
PY

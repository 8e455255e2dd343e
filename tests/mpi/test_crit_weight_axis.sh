#!/bin/bash
# test_crit_weight_axis.sh — the criticality weight w of the training loss L_CE + w·P
# (README §7), as a setting and as an optional grid axis, on the tiny sweep (one width)
# with training on, 3 ranks.  Asserts:
#  - w = 0 is today's training: `critsweep train` with --criticality-weight 0 prints the
#    numbers it prints without the option; a sweep with --set train.criticality_weight=0
#    keeps the plain sweep's hash and writes the same file: every dataset (timings
#    aside) and root attribute but the sweep's text (it lists the --set) and the crc
#    over it;
#  - w > 0 changes the training (`critsweep train` reports crit_penalty_per_epoch) and
#    the scalar is hashed;
#  - grid.criticality_weight [0, 0.1]: the outermost dimension of every per-task dataset,
#    with its coordinate; the w = 0 slab equals the sweep without the axis in every
#    dataset; the w = 0.1 slab trains differently; a second run finds the file complete.
source "$(dirname "$0")/common.sh"
cd "$tmp" || die "cd $tmp"
sets=(--set avalanche.inputs=400 --set grid.width=[16] --set train.depth=3)
sed 's/^  seeds: 2$/  seeds: 2\n  criticality_weight: [0, 0.1]/' "$sweep" >cw.yaml
grep -q 'criticality_weight: \[0, 0.1\]' cw.yaml || die "could not write the axis sweep"

# `critsweep train`: the option at 0 changes nothing, at 0.1 it does.
targs=(train --width 16 --depth 3 --epochs 2 --train-subset 500 --seed 1 --json)
strip='import json,sys; d=json.load(sys.stdin); [d.pop(k) for k in ("seconds","samples_per_s")]; print(json.dumps(d, sort_keys=True))'
"$CRITSWEEP" "${targs[@]}" 2>/dev/null | "$PYTHON" -c "$strip" >t_plain.json || die "train failed"
"$CRITSWEEP" "${targs[@]}" --criticality-weight 0 2>/dev/null | "$PYTHON" -c "$strip" >t_zero.json ||
  die "train --criticality-weight 0 failed"
cmp -s t_plain.json t_zero.json || { diff t_plain.json t_zero.json; die "w = 0 changed critsweep train"; }
"$CRITSWEEP" "${targs[@]}" --criticality-weight 0.1 2>/dev/null >t_on.json || die "train w=0.1 failed"
"$PYTHON" - <<'PY' || die "critsweep train with w = 0.1"
import json
p, w = json.load(open("t_plain.json")), json.load(open("t_on.json"))
assert "crit_penalty_per_epoch" not in p, "a plain run reports a penalty"
assert len(w["crit_penalty_per_epoch"]) == 2 and all(x > 0 for x in w["crit_penalty_per_epoch"]), w
assert w["train_loss_per_epoch"] != p["train_loss_per_epoch"], "w = 0.1 trained like w = 0"
print(f"train: w = 0 identical; w = 0.1 penalty per epoch {w['crit_penalty_per_epoch']}")
PY

hash_of() { "$CRITSWEEP" check "$@" --json | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["hash"])'; }
h_plain=$(hash_of "$sweep" "${sets[@]}") || die "check plain"
h_zero=$(hash_of "$sweep" "${sets[@]}" --set train.criticality_weight=0) || die "check w=0"
h_on=$(hash_of "$sweep" "${sets[@]}" --set train.criticality_weight=0.1) || die "check w=0.1"
[[ $h_plain == "$h_zero" ]] || die "train.criticality_weight: 0 changed the hash ($h_plain -> $h_zero)"
[[ $h_plain != "$h_on" ]] || die "train.criticality_weight: 0.1 did not change the hash"

run_mpi 3 run cw.yaml -o cw.h5 "${sets[@]}" >cw.log 2>&1 || { tail -n 20 cw.log; die "axis sweep failed"; }
run_mpi 3 run "$sweep" -o plain.h5 "${sets[@]}" >plain.log 2>&1 || { tail -n 20 plain.log; die "plain sweep failed"; }
run_mpi 3 run "$sweep" -o zero.h5 "${sets[@]}" --set train.criticality_weight=0 >zero.log 2>&1 ||
  { tail -n 20 zero.log; die "w = 0 sweep failed"; }
run_mpi 3 run cw.yaml -o cw.h5 "${sets[@]}" >again.log 2>&1 || { tail -n 20 again.log; die "second run failed"; }
grep -q "complete; 0 completed in this run" again.log || { tail -n 5 again.log; die "the second run recomputed tasks"; }

"$PYTHON" - <<'PY' || die "axis file contents"
import h5py, numpy as np
q, p, z = (h5py.File(f, "r") for f in ("cw.h5", "plain.h5", "zero.h5"))
skip = {"seconds", "avalanches_per_s", "samples_per_s", "runs", "run", "checksum", "attempts"}
def same(a, b):
    return np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
names = [k for k in p if isinstance(p[k], h5py.Dataset) and k not in skip]
assert sorted(names) == sorted(k for k in z if isinstance(z[k], h5py.Dataset) and k not in skip)
for k in names:
    assert same(p[k][...], z[k][...]), f"{k}: train.criticality_weight: 0 changed it"
for k in p.attrs:
    if k not in ("sweep_yaml", "schema_crc32", "created"):
        assert np.array_equal(p.attrs[k], z.attrs[k]), f"root attribute {k} changed with w = 0"
print(f"--set train.criticality_weight=0: {len(names)} datasets identical, hash {z.attrs['sweep_hash']}")
assert list(q["criticality_weight"][...]) == [0.0, 0.1], q["criticality_weight"][...]
n = 0
for name in p:
    d = p[name]
    if name in skip or not isinstance(d, h5py.Dataset) or d.ndim < 2:
        continue
    dq = q[name]
    assert dq.shape == (2,) + d.shape, (name, dq.shape, d.shape)
    assert "criticality_weight" in [s.name.strip("/") for s in dq.dims[0].values()], name
    a, b = dq[0], d[...]
    assert same(a, b), f"{name}: slab w = 0 differs from the sweep without the axis"
    n += 1
assert (q["status"][...] == 1).all(), "not every task done"
acc = q["test_accuracy"][...]
assert not np.array_equal(acc[0], acc[1], equal_nan=True), "w = 0.1 trained like w = 0"
print(f"slab w = 0 = the sweep without the axis in {n} datasets; test accuracy mean "
      f"{np.nanmean(acc[0]):.4f} (w = 0) and {np.nanmean(acc[1]):.4f} (w = 0.1)")
PY
echo "PASS"

#!/bin/bash
# test_q0_axis.sh — the drive strength q0 as an optional grid axis, end to end: the tiny
# sweep with grid.q0 [0.01, 0.1] on 3 ranks.  Asserts: q0 is the outermost dimension of
# every per-task dataset and of the derived ones, with its coordinate; the slab q0 = 0.1
# (the default) holds exactly the numbers of the same sweep without the axis (its keys
# and streams are unchanged); the q0 = 0.01 slab differs; a second run finds the file
# complete (validation and the hash accept it); `status --json` has progress along q0;
# `export` has a q0 column; `phase` draws each slab into its own folder, and
# `phase --quantity` needs --slab; xarray opens the file with q0 as a dimension.
source "$(dirname "$0")/common.sh"
cd "$tmp" || die "cd $tmp"
sets=(--set train.enabled=false --set avalanche.inputs=400 --set grid.width=[16])
sed 's/^  seeds: 2$/  seeds: 2\n  q0: [0.01, 0.1]/' "$sweep" >q0.yaml
grep -q 'q0: \[0.01, 0.1\]' q0.yaml || die "could not write the q0 sweep"

run_mpi 3 run q0.yaml -o q0.h5 "${sets[@]}" >q0.log 2>&1 || { tail -n 20 q0.log; die "q0 sweep failed"; }
run_mpi 3 run "$sweep" -o plain.h5 "${sets[@]}" >plain.log 2>&1 || { tail -n 20 plain.log; die "plain sweep failed"; }
run_mpi 3 run q0.yaml -o q0.h5 "${sets[@]}" >again.log 2>&1 || { tail -n 20 again.log; die "second run failed"; }
grep -q "complete; 0 completed in this run" again.log || { tail -n 5 again.log; die "the second run recomputed tasks"; }

"$CRITSWEEP" status q0.h5 --json >status.json || die "status --json exited $?"
"$CRITSWEEP" export q0.h5 --csv -o q0.csv || die "export exited $?"
"$CRITSWEEP" phase q0.h5 -o figs >phase.log 2>&1 || { tail -n 5 phase.log; die "phase exited $?"; }
"$CRITSWEEP" phase q0.h5 --quantity chi -o chi.png >noslab.log 2>&1
rc=$?
(( rc == 2 )) || die "phase --quantity without --slab in a q0 file: exit $rc, want 2"
grep -q "choose a slab with --slab (one of q0=0.01, q0=0.1)" noslab.log || { cat noslab.log; die "message"; }
"$CRITSWEEP" phase q0.h5 --quantity chi --slab q0=0.01 -o chi.png >slab.log 2>&1 ||
  { cat slab.log; die "phase --quantity --slab q0=0.01 failed"; }
for d in "figs/q0=0.01" "figs/q0=0.1"; do
  [[ -s $d/summary.png && -s $d/lines.csv && -s $d/claim_test.csv ]] || die "$d is missing figures"
done

"$PYTHON" - <<'PY' || die "q0 file contents"
import csv, json, sys
import h5py, numpy as np, xarray as xr
q, p = h5py.File("q0.h5", "r"), h5py.File("plain.h5", "r")
assert list(q["q0"][...]) == [0.01, 0.1], q["q0"][...]
assert "q0" not in q.attrs and "q0" in p.attrs
skip = {"seconds", "avalanches_per_s", "samples_per_s", "runs", "run", "checksum", "attempts"}
n = 0
for name in p:
    d = p[name]
    if name in skip or not isinstance(d, h5py.Dataset) or d.ndim < 2:
        continue
    dq = q[name]
    assert dq.shape == (2,) + d.shape, (name, dq.shape, d.shape)
    assert dq.dims[0].label == "q0" or "q0" in [s.name.strip("/") for s in dq.dims[0].values()], name
    a, b = dq[1], d[...]
    same = np.array_equal(a, b, equal_nan=True) if a.dtype.kind == "f" else np.array_equal(a, b)
    assert same, f"{name}: slab q0=0.1 differs from the sweep without the axis"
    n += 1
assert not np.array_equal(q["S_mean"][0], q["S_mean"][1]), "q0 = 0.01 gave the same S_mean"
s = json.load(open("status.json"))
assert s["axes"]["q0"] == {"0.01": {"completed": 16, "total": 16}, "0.1": {"completed": 16, "total": 16}}, s["axes"]["q0"]
rows = list(csv.DictReader(open("q0.csv")))
assert len(rows) == 32 and [r["q0"] for r in rows[:1] + rows[-1:]] == ["0.01", "0.1"], rows[0]
ds = xr.open_dataset("q0.h5", engine="h5netcdf")
assert ds["S_mean"].dims[0] == "q0" and ds["widom_sigma_w2"].dims[0] == "q0", ds["S_mean"].dims
print(f"q0 slab 0.1 = the sweep without the axis in {n} datasets; status, export, phase, xarray see q0")
PY
echo "PASS"

#!/bin/bash
# test_quantity_one_place.sh — a new per-task scalar needs one declaration: a build with
# -Dtest_quantity=true declares S_over_D = S_mean / D_mean by one Q(...) line in
# quantity.h (and the line in task.c that computes it), and the quantity then shows up
#   1. in the results file, with its units, long_name and description;
#   2. in `export`'s CSV;
#   3. in `point --json` and point's text report;
#   4. in `phase --quantity S_over_D` (CSV: the seed means of the stored values);
# while the default build ($CRITSWEEP) has no such quantity.
# The test build lives in build-quantity/ beside the sources (set up once, then
# incremental; the first build compiles the critsweep binary only, about a minute).
set -uo pipefail
: "${CRITSWEEP:?set CRITSWEEP to the critsweep binary}"
PY=${PYTHON:-/usr/bin/python3}
root=$(cd "$(dirname "$0")/../.." && pwd)
bdir=${QUANTITY_BUILD:-$root/build-quantity}
"$PY" -c "import h5py" 2>/dev/null || { echo "SKIP: python3-h5py missing"; exit 77; }

if [[ ! -f $bdir/build.ninja ]]; then
    meson setup "$bdir" "$root" -Dtest_quantity=true >/dev/null || { echo "FAIL meson setup"; exit 1; }
fi
meson compile -C "$bdir" critsweep >"$bdir/test-quantity-build.log" 2>&1 ||
    { echo "FAIL build with -Dtest_quantity=true"; tail -20 "$bdir/test-quantity-build.log"; exit 1; }
exe=$bdir/critsweep

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
export OPENBLAS_NUM_THREADS=1
n=0 failed=0
check() { # check "what" command...
    n=$((n + 1))
    if "${@:2}"; then echo "ok   $1"; else echo "FAIL $1"; failed=$((failed + 1)); fi
}

no_quantity() { ! "$CRITSWEEP" point --quantities-json | grep -q '"S_over_D"'; }
has_quantity() { "$exe" point --quantities-json | grep -q '"S_over_D"'; }
check "the default build has no S_over_D" no_quantity
check "the test build declares S_over_D" has_quantity

"$exe" run "$root/tests/mpi/tiny.yaml" -o tiny.h5 --set train.enabled=false >run.log 2>&1 ||
    { echo "FAIL run: $(tail -3 run.log)"; exit 1; }
"$exe" export tiny.h5 --csv -o tiny.csv 2>err || { echo "FAIL export: $(cat err)"; exit 1; }
"$exe" point --width 64 --depth 40 --inputs 400 --per-network 200 --json >point.json 2>err ||
    { echo "FAIL point --json: $(cat err)"; exit 1; }
"$exe" point --width 64 --depth 40 --inputs 400 --per-network 200 >point.txt 2>err ||
    { echo "FAIL point: $(cat err)"; exit 1; }
"$exe" phase tiny.h5 --no-write --quantity S_over_D --csv >phase.csv 2>err ||
    { echo "FAIL phase --quantity S_over_D: $(cat err)"; exit 1; }
"$exe" phase --help | sed -n '/^per-task quantities:/,$p' | grep -qw S_over_D ||
    { echo "FAIL phase --help does not list S_over_D among the per-task quantities"; exit 1; }

n=$((n + 1))
"$PY" - <<'PYEOF' || failed=$((failed + 1))
import csv, json, math, sys
import h5py
import numpy as np
bad = []
with h5py.File("tiny.h5", "r") as f:
    q = f["S_over_D"]
    dims = [q.dims[i][0].name.lstrip("/") for i in range(q.ndim)]
    if dims != ["activation", "width", "sigma_b2", "sigma_w2", "seed"]:
        bad.append(("dims", dims))
    want = {"units": "1", "long_name": "mean size per mean duration",
            "description": "S_mean / D_mean (a quantity of the test build only)"}
    for k, v in want.items():
        if q.attrs.get(k) != v:
            bad.append((k, q.attrs.get(k)))
    S, D, st = f["S_mean"][()], f["D_mean"][()], f["status"][()]
    done = st == 1
    v = q[()]
    if not done.any() or not np.array_equal(v[done], S[done] / D[done]):
        bad.append(("values", v[done][:4], (S / D)[done][:4]))
    sb2, sw2 = f["sigma_b2"][()], f["sigma_w2"][()]
    cells = np.nanmean(np.where(done, v, np.nan), axis=-1)  # (act, width, sb2, sw2)
rows = list(csv.DictReader(open("tiny.csv")))
col = [float(r["S_over_D"]) for r in rows if r["status"] == "1"]
if not np.array_equal(np.array(col), v[done].ravel()):
    bad.append(("export", col[:4]))
p = json.load(open("point.json"))
if not p.get("S_over_D") == p["S_mean"] / p["D_mean"]:
    bad.append(("point --json", p.get("S_over_D")))
txt = open("point.txt").read()
if not any(l.split()[:1] == ["S_over_D"] for l in txt.splitlines()):
    bad.append(("point text", txt[-300:]))
got = {}
for line in open("phase.csv"):
    parts = line.strip().split(",")
    try:
        got[(float(parts[0]), float(parts[1]))] = float(parts[2])
    except (ValueError, IndexError):
        continue
n_cells = 0
for b, x in enumerate(sb2):
    for w, y in enumerate(sw2):
        want = cells[0, 0, b, w]
        have = got.get((float(x), float(y)))
        if have is None or not math.isclose(have, want, rel_tol=1e-12):
            bad.append(("phase cell", x, y, have, want))
        n_cells += 1
if bad:
    print("FAIL S_over_D:", bad[:6])
    sys.exit(1)
print(f"ok   S_over_D in the file ({int(done.sum())} tasks), export, point --json and text, "
      f"phase --quantity ({n_cells} cells)")
PYEOF

echo "$((n - failed)) of $n checks passed"
[[ $failed -eq 0 ]]

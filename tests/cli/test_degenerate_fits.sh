#!/bin/bash
# test_degenerate_fits.sh — exponents of degenerate samples are NaN, with a note (README
# §4, issue 11 item 9), from the outside:
#   1. `point` at ReLU, σ_w² = 10, L_max = 1000: every avalanche survives (checked on the
#      --raw records: all D = 997, every input recorded); the JSON is strict JSON (no NaN
#      tokens), tau_d, gamma and gamma_pred are null, fit_note says why in the words
#      computed here from the records, no class is named, n_exploded is reported; the
#      text report says the same;
#   2. `fit` on those records and on hand-made files applies the same rule: one event,
#      nine events, one distinct size → null with a note; ten events with two distinct
#      values → fitted, τ_s equal to 1 + n / Σ ln(S/xmin) computed here;
#   3. a one-process sweep at the same point: `status` (text and JSON) lists the tasks'
#      fit notes and exploded avalanches as h5py reads them from the results file.
set -uo pipefail
: "${CRITSWEEP:?set CRITSWEEP to the critsweep binary}"
PY=${PYTHON:-/usr/bin/python3}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export OPENBLAS_NUM_THREADS=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
"$PY" -c 'import h5py, numpy' 2>/dev/null || { echo "SKIP: python3-h5py/numpy missing"; exit 77; }

n=0 failed=0
# pycheck "what" <<'EOF' ... EOF: a Python check, counted; it prints its own ok/FAIL line.
pycheck() {
    n=$((n + 1))
    "$PY" - || { echo "FAIL $1"; failed=$((failed + 1)); }
}

# --- 1. the degenerate point --------------------------------------------------------
pt=(point --activation relu --sigma-w2 10 --depth 1000 --width 64 --inputs 1000 --per-network 500)
if ! "$CRITSWEEP" "${pt[@]}" --json --raw raw.txt >point.json 2>err; then
    echo "FAIL point --json: $(cat err)"; exit 1
fi
"$CRITSWEEP" "${pt[@]}" >point.txt 2>err || { echo "FAIL point: $(cat err)"; exit 1; }
pycheck "point --json" <<'EOF'
import json, sys
def no_nan(tok):
    raise ValueError("JSON has a %s token" % tok)
p = json.loads(open("point.json").read(), parse_constant=no_nan)
rows = [l.split() for l in open("raw.txt").read().splitlines()[1:] if l]
D = [float(r[1]) for r in rows]
# The premise: every input survives and is recorded with D = L_max - 3.
assert p["n_inputs"] == 1000 and p["n_survived"] == 1000 and p["n_recorded"] == 1000, p
assert len(D) == 1000 and set(D) == {997.0}, sorted(set(D))[:5]
tail = [d for d in D if d >= 5]
want = "tau_d: 1 distinct D >= xmin_d 5 (all %d at D = %d)" % (len(tail), tail[0])
for k in ("tau_d", "tau_d_err", "gamma", "gamma_err", "gamma_pred", "crackling", "gamma_shape"):
    assert p[k] is None, (k, p[k])
assert isinstance(p["tau_s"], float), p["tau_s"]  # sizes differ: τ_s is fitted
note = p["fit_note"]
assert note.startswith(want + "; "), (note, want)
assert "gamma: 1 D with >= 100 events (needs 3)" in note and "gamma_shape: 0 D" in note, note
assert p["nearest_class"] == "" and all(v is None for v in p["class_distance"].values()), \
    (p["nearest_class"], p["class_distance"])
assert isinstance(p["n_exploded"], int) and 0 < p["n_exploded"] <= p["n_survived"], p["n_exploded"]
print("ok   point --json: strict JSON, all 1000 survive at D = 997, tau_d/gamma null, "
      "no class; note: %s; %d exploded" % (note, p["n_exploded"]))
EOF
pycheck "point text" <<'EOF'
import json, re
t = open("point.txt").read()
p = json.load(open("point.json"))
assert re.search(r"^  tau_d +nan$", t, re.M), t
assert "  fit note           " + p["fit_note"] + "\n" in t, t
assert "  nearest class      none" in t and "distance to" not in t, t
assert re.search(r"^  exploded +%d$" % p["n_exploded"], t, re.M), t
assert "%d of 1000 avalanches left float range" % p["n_exploded"] in t, t
print("ok   point text: tau_d nan, the same note, no class, exploded flagged")
EOF

# --- 2. `fit`: the same rule on files a user brings ---------------------------------
"$CRITSWEEP" fit raw.txt --json >rawfit.json 2>err || echo "FAIL fit raw.txt: $(cat err)"
"$CRITSWEEP" fit raw.txt --json --xmin-d auto >rawauto.json 2>err || echo "FAIL fit --xmin-d auto: $(cat err)"
"$CRITSWEEP" fit raw.txt >rawfit.txt 2>err || echo "FAIL fit raw.txt (text): $(cat err)"
"$PY" - <<'EOF'
import math
w = lambda name, rows: open(name, "w").write("S D\n" + "".join("%r %d\n" % r for r in rows))
w("one.txt", [(3.0, 7)])
w("nine.txt", [(1.0 + i % 2, 5 + 3 * (i % 2)) for i in range(9)])
w("ten.txt", [(1.0 + i % 2, 5 + 3 * (i % 2)) for i in range(10)])
w("samesize.txt", [(2.0, 5 + i % 3) for i in range(20)])
EOF
for f in one nine ten samesize; do
    "$CRITSWEEP" fit $f.txt --json --min-count 2 >$f.json 2>err || echo "FAIL fit $f.txt: $(cat err)"
done
pycheck "fit" <<'EOF'
import json, math
def load(name):
    def no_nan(tok):
        raise ValueError("%s: JSON has a %s token" % (name, tok))
    return json.loads(open(name).read(), parse_constant=no_nan)
p, f, a = load("point.json"), load("rawfit.json"), load("rawauto.json")
clause = p["fit_note"].split("; ")[0]
assert f["tau_d"] is None and f["fit_note"].startswith(clause + "; "), (f["tau_d"], f["fit_note"])
assert f["tau_s"] == p["tau_s"] and f["nearest_class"] == "", (f["tau_s"], p["tau_s"])
assert a["tau_d"] is None and "tau_d: 1 distinct D, xmin_d auto (all 1000 at D = 997)" in a["fit_note"], a
t = open("rawfit.txt").read()
assert "  fit note           " + f["fit_note"] + "\n" in t and "nearest class      none" in t, t
one, nine, ten, same = (load(x + ".json") for x in ("one", "nine", "ten", "samesize"))
assert one["tau_s"] is None and one["tau_d"] is None, one
assert one["fit_note"].startswith("tau_s: 1 S >= xmin_s 0.5 (needs 10); tau_d: 1 D >= xmin_d 5 (needs 10)"), one
assert nine["tau_s"] is None and nine["tau_d"] is None and "tau_s: 9 S" in nine["fit_note"], nine
S = [1.0 + i % 2 for i in range(10)]
want = 1 + len(S) / sum(math.log(s / 0.5) for s in S)
assert abs(ten["tau_s"] - want) <= 1e-12 * want and isinstance(ten["tau_d"], float), (ten["tau_s"], want)
assert "tau_s" not in ten["fit_note"] and "tau_d" not in ten["fit_note"], ten["fit_note"]
assert same["tau_s"] is None and "tau_s: 1 distinct S >= xmin_s 0.5 (all 20 at S = 2)" in same["fit_note"], same
assert isinstance(same["tau_d"], float), same
print("ok   fit: degenerate point records, auto xmin, 1 / 9 events, one distinct S -> null + note; "
      "10 events with two values fitted (tau_s %.12g = closed form)" % ten["tau_s"])
EOF

# --- 3. the results file and `status` -----------------------------------------------
if "$CRITSWEEP" run "$ROOT/tests/mpi/tiny.yaml" -o sweep.h5 --set train.enabled=false \
        --set grid.activation=[relu] --set grid.width=[16] --set grid.sigma_b2=[0] \
        --set grid.sigma_w2=[1.0,10] --set avalanche.depth=200 >run.log 2>&1; then
    "$CRITSWEEP" status sweep.h5 >status.txt 2>err || echo "FAIL status: $(cat err)"
    "$CRITSWEEP" status sweep.h5 --json >status.json 2>err || echo "FAIL status --json: $(cat err)"
    pycheck "status" <<'EOF'
import json
import h5py, numpy as np
with h5py.File("sweep.h5", "r") as f:
    d = f["fit_note"]
    raw = np.zeros(d.shape, dtype="S1")
    d.id.read(h5py.h5s.ALL, h5py.h5s.ALL, raw, mtype=d.id.get_type())
    notes = [b"".join(r).decode() for r in raw.reshape(-1, raw.shape[-1])]
    nx = f["n_exploded"][()].ravel()
    ni = f["n_inputs"][()].ravel()
    td = f["tau_d"][()].ravel()
    sw2 = f["sigma_w2"][()]
st = json.load(open("status.json"))
# tasks: sigma_w2 (1.0, 10) x 2 seeds; at 10 every duration is 197 and most explode
assert np.isnan(td[2:]).all() and all("tau_d: 1 distinct D >= xmin_d 5" in x for x in notes[2:]), notes
assert (nx[2:] > 0).all() and (nx[:2] == 0).all(), nx
got = {e["task"]: e["fit_note"] for e in st["fit_notes"]}
assert got == {k: x for k, x in enumerate(notes) if x}, (got, notes)
ex = {e["task"]: (e["n_exploded"], e["n_inputs"]) for e in st["exploded_tasks"]}
assert ex == {k: (int(nx[k]), int(ni[k])) for k in range(len(nx)) if nx[k] > 0}, ex
t = open("status.txt").read()
assert "exponents NaN (fit_note: degenerate samples): %d task" % len(got) in t, t
for k, x in got.items():
    assert ("  task %d (" % k) in t and x in t, (k, x)
assert "avalanches left float range (n_exploded > 0" in t, t
for k, (a, b) in ex.items():
    assert "seed=%d): %d of %d avalanches" % (k % 2, a, b) in t, (k, a, b)
print("ok   status: %d fit notes and %d exploded tasks, as h5py reads them" % (len(got), len(ex)))
EOF
else
    n=$((n + 1)); failed=$((failed + 1)); echo "FAIL run: $(tail -3 run.log)"
fi

echo "$((n - failed)) of $n checks passed"
[[ $failed -eq 0 ]]

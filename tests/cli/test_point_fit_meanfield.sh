#!/bin/bash
# test_point_fit_meanfield.sh — `critsweep point`, `fit` and `meanfield` from the outside:
#   1. every bad input exits 2 with exactly one line on stderr naming the option, file,
#      line or field;
#   2. --help works for all three;
#   3. `fit` on a text file and on an HDF5 file (h5py) holding the same S/D gives the
#      same numbers (every JSON field, exactly: the text carries repr() doubles);
#   4. `point --json` parses and has the documented keys; `point --raw` round-trips
#      through `fit` to the same τ_s and τ_d.
set -uo pipefail
: "${CRITSWEEP:?set CRITSWEEP to the critsweep binary}"
PY=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1

n=0 failed=0
# expect_usage "substring" args...
expect_usage() {
    local want=$1; shift
    n=$((n + 1))
    "$CRITSWEEP" "$@" >out 2>err
    local rc=$? lines
    lines=$(wc -l <err)
    if [[ $rc -ne 2 ]]; then
        echo "FAIL [$*]: exit $rc, want 2"; sed 's/^/     | /' err | head -3; failed=$((failed + 1)); return
    fi
    if [[ $lines -ne 1 ]]; then
        echo "FAIL [$*]: $lines lines on stderr, want 1"; sed 's/^/     | /' err | head -3; failed=$((failed + 1)); return
    fi
    if ! grep -qF -- "$want" err; then
        echo "FAIL [$*]: message lacks '$want': $(cat err)"; failed=$((failed + 1)); return
    fi
    echo "ok   [$*] -> $(cat err)"
}

printf 'S D\n1.5 5\n# a comment\nabc 7\n' >bad.txt
printf 'S D\n1.5 5\n2.0 2.5\n' >baddur.txt
printf 'size duration\n1.5 5\n' >noheader.txt
printf '# only comments\n\n' >empty.txt
printf 'S D\n1.5\n' >short.txt
printf 'S,D\n1.5,5\n2,inf\n' >inf.txt
"$PY" - <<'EOF' || { echo "h5py unavailable"; exit 77; }
import h5py, numpy as np
with h5py.File("noD.h5", "w") as f:
    f["S"] = np.array([1.0, 2.0])
    f["X"] = np.array([5.0, 6.0])
with h5py.File("ragged.h5", "w") as f:
    f["S"] = np.array([1.0, 2.0])
    f["D"] = np.array([5.0])
EOF

expect_usage "--width" point --width 0
expect_usage "--width" point --width abc
expect_usage "--width" point --width
expect_usage "--depth" point --depth -3
expect_usage "--activation" point --activation sigmoidish
expect_usage "--sigma-w2" point --sigma-w2 -1
expect_usage "--sigma-b2" point --sigma-b2 -0.5
expect_usage "--sigma-b2" point --sigma-b2 nan
expect_usage "--q0" point --q0 0
expect_usage "--per-network" point --per-network 0
expect_usage "--inputs" point --inputs 1e3x
expect_usage "--convention" point --convention loose
expect_usage "--mode" point --mode relative
expect_usage "--xmin-d" point --xmin-d 0.5
expect_usage "--xmin-s" point --xmin-s -1
expect_usage "--xmin-d" fit data.txt --xmin-d 2.5
expect_usage "--bootstrap" point --bootstrap -2
expect_usage "--bogus" point --bogus 3
expect_usage "--activation" meanfield --activation nope
expect_usage "--sigma-b2" meanfield --sigma-b2 -1
expect_usage "--sigma-w2" meanfield --sigma-w2 abc
expect_usage "--sigma-b2" meanfield --sigma-b2
expect_usage "FILE" fit
expect_usage "missing.txt" fit missing.txt
expect_usage "empty.txt: no data rows" fit empty.txt
expect_usage "bad.txt:4: field 'S': not a number 'abc'" fit bad.txt
expect_usage "baddur.txt:3: field 'D'" fit baddur.txt
expect_usage "inf.txt:3: field 'D': not a number 'inf'" fit inf.txt
expect_usage "short.txt:2: field 'D': missing" fit short.txt
expect_usage "header has no column 'S'" fit noheader.txt
expect_usage "--columns" fit noheader.txt --columns size
expect_usage "--xmin-s" fit bad.txt --xmin-s zero
expect_usage "no dataset 'D'" fit noD.h5
expect_usage "differ in length" fit ragged.h5

for c in point fit meanfield; do
    n=$((n + 1))
    if "$CRITSWEEP" $c --help >out 2>err && grep -q "usage: critsweep $c" out; then
        echo "ok   $c --help"
    else
        echo "FAIL $c --help"; failed=$((failed + 1))
    fi
done

# Same data as text (with a header, a comment and commas) and as HDF5.
"$PY" - <<'EOF' || exit 1
import h5py, numpy as np
rng = np.random.default_rng(7)
D = rng.zipf(2.0, 20000).astype(float)
D = D[D < 10**6]
S = D ** 1.6 * np.exp(0.3 * rng.standard_normal(len(D))) * 0.4
with open("data.txt", "w") as f:
    f.write("# synthetic avalanches\nS,D\n")
    for s, d in zip(S, D):
        f.write(f"{s!r},{int(d)}\n")
with open("cols.txt", "w") as f:
    f.write("id size duration\n")
    for i, (s, d) in enumerate(zip(S, D)):
        f.write(f"{i} {s!r} {int(d)}\n")
with h5py.File("data.h5", "w") as f:
    f["S"] = S
    f["D"] = D
    f["size"] = S
    f["duration"] = D.astype(np.int64)
EOF
"$CRITSWEEP" fit data.txt --json --min-count 20 >txt.json 2>err || { echo "FAIL fit data.txt: $(cat err)"; exit 1; }
"$CRITSWEEP" fit data.h5 --json --min-count 20 >h5.json 2>err || { echo "FAIL fit data.h5: $(cat err)"; exit 1; }
"$CRITSWEEP" fit cols.txt --json --min-count 20 --columns size,duration >cols.json 2>err || { echo "FAIL fit --columns: $(cat err)"; exit 1; }
"$CRITSWEEP" fit data.h5 --json --min-count 20 --columns size,duration >h5cols.json 2>err || { echo "FAIL fit h5 --columns: $(cat err)"; exit 1; }
n=$((n + 1))
"$PY" - <<'EOF' || failed=$((failed + 1))
import json, math, sys
a, b = json.load(open("txt.json")), json.load(open("h5.json"))
c, d = json.load(open("cols.json")), json.load(open("h5cols.json"))
worst, bad = 0.0, []
for other in (b, c, d):
    for k, v in a.items():
        if k == "file":
            continue
        w = other[k]
        if isinstance(v, float) and isinstance(w, float):
            worst = max(worst, abs(v - w))
        if v != w:
            bad.append((k, v, w))
finite = all(isinstance(a[k], float) and math.isfinite(a[k]) for k in ("tau_s", "tau_d", "gamma"))
print(f"text vs HDF5 vs --columns: {len(a) - 1} fields, largest difference {worst:.3g}; "
      f"tau_s {a['tau_s']:.6f} tau_d {a['tau_d']:.6f} gamma {a['gamma']:.6f}")
if bad or not finite:
    print("FAIL fit text/HDF5 mismatch or non-finite exponents:", bad[:5])
    sys.exit(1)
print("ok   fit: text == HDF5 == named columns, exactly")
EOF

# point --json parses, has the documented keys; --raw feeds fit.
n=$((n + 1))
if "$CRITSWEEP" point --width 64 --depth 40 --inputs 400 --per-network 200 --sigma-w2 1.0 \
        --json --raw raw.txt >point.json 2>err; then
    "$PY" - <<'EOF' || failed=$((failed + 1))
import json, sys
p = json.load(open("point.json"))
need = ("tau_s tau_s_err tau_d tau_d_err gamma gamma_err gamma_pred gamma_shape S_mean D_mean "
        "P_surv n_inputs n_recorded branching lyapunov avalanches_per_s n_survived S_mean_absorbed "
        "gamma_shape_err xmin_s xmin_d q_star chi1 xi_c nearest_class class_distance").split()
missing = [k for k in need if k not in p]
if missing:
    print("FAIL point --json lacks", missing); sys.exit(1)
if p["n_inputs"] != 400:
    print("FAIL point n_inputs", p["n_inputs"]); sys.exit(1)
rows = open("raw.txt").read().split("\n")
if rows[0] != "S D absorbed" or len([r for r in rows[1:] if r]) != p["n_recorded"]:
    print("FAIL --raw: header", rows[0], "rows", len(rows) - 1, "n_recorded", p["n_recorded"]); sys.exit(1)
print(f"ok   point --json: {len(p)} keys, n_recorded {p['n_recorded']}, --raw rows match")
EOF
    n=$((n + 1))
    if "$CRITSWEEP" fit raw.txt --json >rawfit.json 2>err; then
        "$PY" - <<'EOF' || failed=$((failed + 1))
import json, sys
p, f = json.load(open("point.json")), json.load(open("rawfit.json"))
for k in ("tau_s", "tau_d"):
    if p[k] != f[k]:
        print(f"FAIL point {k} {p[k]} != fit of --raw {f[k]}"); sys.exit(1)
print(f"ok   fit of point --raw reproduces tau_s {p['tau_s']} and tau_d {p['tau_d']} exactly")
EOF
    else
        echo "FAIL fit raw.txt: $(cat err)"; failed=$((failed + 1))
    fi
else
    echo "FAIL point --json: $(cat err)"; failed=$((failed + 1))
fi

echo "$((n - failed)) of $n checks passed"
[[ $failed -eq 0 ]]

#!/bin/bash
# test_check.sh — `critsweep check` on every shipped sweep: task count and axis sizes
# against an independent reading of the file (PyYAML + numpy.linspace/geomspace), the
# resolved settings it prints (parsed back with PyYAML) against the file and the
# reference defaults, hash stability and sensitivity under --set, the print → check
# round trip, and the usage errors.
set -uo pipefail
: "${CRITSWEEP:?set CRITSWEEP to the critsweep binary}"
PYTHON=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$CRITSWEEP" check --help >"$tmp/help" 2>&1 || fail "check --help exited $?"
grep -q -- "--set" "$tmp/help" || fail "check --help does not document --set"

"$CRITSWEEP" check >/dev/null 2>&1; rc=$?
(( rc == 2 )) || fail "check without a file exited $rc, expected 2"
"$CRITSWEEP" check --bogus sweeps/quick.yaml >/dev/null 2>"$tmp/err"; rc=$?
(( rc == 2 )) && grep -q -- "--bogus" "$tmp/err" || fail "unknown option: exit $rc, $(cat "$tmp/err")"
"$CRITSWEEP" check "$tmp/missing.yaml" >/dev/null 2>"$tmp/err"; rc=$?
(( rc == 2 )) && grep -q "$tmp/missing.yaml" "$tmp/err" || fail "missing file: exit $rc, $(cat "$tmp/err")"

for f in sweeps/*.yaml; do
    if ! "$CRITSWEEP" check --json --cores 4 "$f" >"$tmp/j" 2>"$tmp/err"; then
        fail "$f: check --json failed: $(cat "$tmp/err")"; continue
    fi
    if ! "$CRITSWEEP" check "$f" >"$tmp/txt" 2>"$tmp/err"; then
        fail "$f: check failed: $(cat "$tmp/err")"; continue
    fi
    # Independent reading of the file and comparison with both outputs.
    if ! "$PYTHON" - "$f" "$tmp/j" "$tmp/txt" <<'EOF'
import json, math, sys
import numpy as np
import yaml

path, jpath, tpath = sys.argv[1:4]
src = yaml.safe_load(open(path))
out = json.load(open(jpath))
text = open(tpath).read()
resolved = yaml.safe_load(text[text.index("\n# critsweep"):])   # the config_print part
g = src["grid"]

def axis(v, default):
    if v is None:
        return default
    if isinstance(v, dict) and "adaptive" in v:  # round 1: `initial` values, start to stop
        a = v["adaptive"]
        return np.linspace(a["start"], a["stop"], int(a["initial"])).tolist() if "start" in a \
            else list(range(int(a["initial"])))
    if isinstance(v, dict):
        f = np.geomspace if v.get("scale", "linear") == "log" else np.linspace
        return sorted(f(v["start"], v["stop"], int(v["num"])).tolist())
    return sorted(v) if isinstance(v, list) else [v]

want = {
    "activation": len(g.get("activation", ["tanh"])),
    "width": len(axis(g.get("width"), None)),
    "sigma_b2": len(axis(g.get("sigma_b2"), [0.0])),
    "sigma_w2": len(axis(g.get("sigma_w2"), None)),
    "seed": g.get("seeds", 1) if isinstance(g.get("seeds", 1), int) else len(axis(g["seeds"], None)),
}
if "q0" in g:  # an optional axis, a dimension only when given
    want["q0"] = len(axis(g["q0"], None))
errors = []
if out["axes"] != want:
    errors.append(f"axes {out['axes']} != {want}")
tasks = math.prod(want.values())
if out["tasks"] != tasks:
    errors.append(f"tasks {out['tasks']} != {tasks}")
worst = 0.0
for key in ("sigma_w2", "sigma_b2") + (("q0",) if "q0" in g else ()):
    ref = axis(g.get(key), [0.0])
    got = resolved["grid"][key]
    if isinstance(got, dict):  # an adaptive axis is printed as its description
        if got["adaptive"] != {**{"target": ["widom"]}, **g[key]["adaptive"]}:
            errors.append(f"{key}: printed {got} for {g[key]}")
        continue
    if len(got) != len(ref):
        errors.append(f"{key}: {len(got)} values printed, {len(ref)} expected")
        continue
    worst = max([worst] + [abs(a - b) for a, b in zip(got, ref)])
if worst > 1e-12:
    errors.append(f"printed axis values differ from numpy by {worst:g}")
if sorted(resolved["grid"]["width"]) != sorted(g["width"]) or len(resolved["grid"]["width"]) != want["width"]:
    errors.append("printed widths differ")
# Every setting the file gives comes back resolved as given.
for sec in ("avalanche", "fit", "train", "output"):
    for k, v in (src.get(sec) or {}).items():
        r = resolved[sec][k]
        if isinstance(v, float) or isinstance(r, float):
            ok = abs(float(r) - float(v)) <= 1e-12 * max(1.0, abs(float(v)))
        else:
            ok = r == v
        if not ok:
            errors.append(f"{sec}.{k}: printed {r!r}, file says {v!r}")
# Defaults not given in the file: the reference values of the README's science section.
ref = {("avalanche", "q0"): 0.1, ("avalanche", "per_network"): 1000,
       ("avalanche", "convention"): "reference", ("avalanche", "mode"): "difference",
       ("avalanche", "shape_window"): [60, 250], ("avalanche", "shape_min_count"): 20,
       ("fit", "xmin_s"): 0.5, ("fit", "xmin_d"): 5, ("fit", "gamma_min_count"): 100,
       ("output", "max_attempts"): 3}
for (sec, k), v in ref.items():
    if (sec, k) == ("avalanche", "q0") and "q0" in g:
        continue  # a grid axis, printed under grid
    if k not in (src.get(sec) or {}) and resolved[sec][k] != v:
        errors.append(f"default {sec}.{k} = {resolved[sec][k]!r}, reference {v!r}")
if resolved["name"] != src.get("name", resolved["name"]):
    errors.append("name")
if not (out["core_seconds"] > 0 and out["wall_seconds"] > 0):
    errors.append("cost estimate not positive")
if out["wall_seconds"] + 1e-9 < out["core_seconds"] / out["cores"]:
    errors.append(f"wall {out['wall_seconds']} below core/cores {out['core_seconds'] / out['cores']}")
if out["wall_seconds"] > out["core_seconds"] + 5:
    errors.append("wall time above the single-core time")
if len(out["hash"]) != 16 or out["hash"] not in text:
    errors.append("hash missing from the text output")
print(f"{path}: {tasks} tasks, axes {want}, largest axis difference from numpy {worst:.2g}, "
      f"{out['core_hours']:.3g} core-hours, {out['wall_seconds']:.0f} s wall on {out['cores']} cores")
for e in errors:
    print("  " + e)
sys.exit(1 if errors else 0)
EOF
    then fail "$f: check output does not match the file"; fi

    # Round trip: the printed settings are a sweep file with the same hash.
    sed -n '/^# critsweep/,$p' "$tmp/txt" >"$tmp/printed.yaml"
    h=$(sed -n 's/^hash *//p' "$tmp/txt")
    h2=$("$CRITSWEEP" check "$tmp/printed.yaml" 2>&1 | sed -n 's/^hash *//p')
    [[ -n $h && $h == "$h2" ]] || fail "$f: printed settings hash '$h2', original '$h'"
done

# Hash: stable, blind to output/slurm, sensitive to science.
hash_of() { "$CRITSWEEP" check --json "$@" 2>/dev/null | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["hash"])'; }
q=sweeps/quick.yaml
h0=$(hash_of $q)
[[ $(hash_of $q) == "$h0" ]] || fail "hash not stable between runs"
[[ $(hash_of $q --set output.file=/elsewhere/x.h5 --set slurm.partition=big --set output.max_attempts=7) == "$h0" ]] ||
    fail "output/slurm overrides changed the hash"
for s in avalanche.inputs=1234 seed=99 grid.width=[32] avalanche.q0=0.2 train.epochs=3 fit.xmin_d=6; do
    h=$(hash_of $q --set "$s")
    [[ -n $h && $h != "$h0" ]] || fail "--set $s kept the hash $h0"
done
# --set reaches the resolved settings
"$CRITSWEEP" check $q --set avalanche.inputs=777 --set grid.width=[16,48] >"$tmp/o" 2>&1 || fail "check with --set failed"
grep -q "inputs: 777" "$tmp/o" && grep -q "width: \[16, 48\]" "$tmp/o" || fail "--set values not in the resolved settings"
"$CRITSWEEP" check $q --set avalanche.depth=2 >/dev/null 2>"$tmp/err"; rc=$?
(( rc == 2 )) && grep -q "^--set avalanche.depth=2: " "$tmp/err" || fail "bad --set: exit $rc, $(cat "$tmp/err")"

(( fails == 0 )) && echo "PASS: check on $(ls sweeps/*.yaml | wc -l) sweeps" || { echo "$fails failures"; exit 1; }

#!/bin/bash
# test_fit_stream.sh — `critsweep fit` reads its file in a stream: its memory follows
# the τ_s tail (8 bytes per size) and the number of distinct durations, not the file.
#   1. A ~200 MB text file of 15 million avalanches (every S in the τ_s tail, durations
#      up to 10^5), written by awk, which also sums n and Σ ln(S/xmin_s) as it goes:
#      `fit` must stay below 200 MB of peak RSS (/usr/bin/time -v: 128 MB measured, the
#      120 MB tail and the program; 584 MB when the rows were kept as arrays and copied
#      for each fit), and its n, n_tail_s and τ_s = 1 + n / Σ ln(S/xmin_s) must match
#      awk's sums (1e-9).
#   2. A small file: τ_s, its error and n_tail_s against NumPy's closed form (1e-12),
#      τ_d against a SciPy maximisation of −n ln ζ(τ, xmin) − τ Σ ln D (1e-6); with
#      --xmin-s auto the closed form at the xmin chosen, which must be one of the sizes.
#   3. Bad input deep in a streamed file still names file:line, exit 2, no output.
# The big file is deleted on exit.
set -uo pipefail
cd "$(dirname "$0")/../.."
CRITSWEEP=${CRITSWEEP:-$PWD/build/critsweep}
PYTHON=${PYTHON:-/usr/bin/python3}
[[ -x $CRITSWEEP ]] || { echo "FAIL: $CRITSWEEP not built"; exit 1; }
[[ -x /usr/bin/time ]] || { echo "SKIP: /usr/bin/time not installed (Debian package time)"; exit 77; }
"$PYTHON" -c 'import numpy, scipy' 2>/dev/null || { echo "SKIP: numpy/scipy missing for $PYTHON"; exit 77; }
tmp=$(mktemp -d /tmp/critsweep-fit.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
die() { echo "FAIL: $*"; exit 1; }
rows=${FIT_STREAM_ROWS:-15000000} rss_limit_mb=200

# 1. The big file.  D = floor(1/u) capped at 10^5 (τ_d ≈ 2), S = 0.8 D^1.6 e^(0.3 z) >= 0.5.
awk -v n="$rows" -v sums="$tmp/sums" 'BEGIN {
  srand(7); print "S D"; tail = 0; sl = 0
  for (i = 0; i < n; i++) {
    d = int(1 / (1 - rand())); if (d > 100000) d = 100000
    s = 0.8 * d ^ 1.6 * exp(0.3 * (rand() + rand() + rand() - 1.5))
    line = sprintf("%.9g %d", s, d); print line
    split(line, f, " "); if (f[1] + 0 >= 0.5) { tail++; sl += log(f[1] / 0.5) }
  }
  printf "%d %d %.17g\n", n, tail, sl > sums
}' >"$tmp/big.txt" || die "awk could not write the big file"
echo "big file: $(du -m "$tmp/big.txt" | cut -f1) MB, $rows rows; awk: n n_tail sum_log = $(cat "$tmp/sums")"
/usr/bin/time -v "$CRITSWEEP" fit "$tmp/big.txt" --json >"$tmp/big.json" 2>"$tmp/time" ||
  { tail -5 "$tmp/time"; die "fit on the big file failed"; }
rss_kb=$(awk -F: '/Maximum resident set size/ {print $2 + 0}' "$tmp/time")
wall=$(awk '/Elapsed \(wall clock\)/ {print $NF}' "$tmp/time")
echo "fit on the big file: peak RSS $((rss_kb / 1024)) MB (limit $rss_limit_mb MB), $wall wall"
(( rss_kb < rss_limit_mb * 1024 )) || die "peak RSS $((rss_kb / 1024)) MB >= $rss_limit_mb MB"
"$PYTHON" - "$tmp/big.json" "$tmp/sums" <<'PY' || die "big-file results differ from awk's sums"
import json, sys
r = json.load(open(sys.argv[1]))
n, tail, sl = open(sys.argv[2]).read().split()
n, tail, sl = int(n), int(tail), float(sl)
tau = 1 + tail / sl
print(f"n {r['n']} (awk {n}), n_tail_s {r['n_tail_s']} (awk {tail}), tau_s {r['tau_s']:.12g} (awk {tau:.12g}), tau_d {r['tau_d']:.6g}, gamma {r['gamma']:.6g}")
assert r["n"] == n and r["n_tail_s"] == tail, "row counts"
assert abs(r["tau_s"] - tau) <= 1e-9 * tau, "tau_s"
assert 1.8 < r["tau_d"] < 2.2 and 1.5 < r["gamma"] < 1.7, "tau_d or gamma implausible"
PY
rm -f "$tmp/big.txt"

# 2. A small file against NumPy/SciPy.
"$PYTHON" - "$tmp/small.txt" <<'PY'
import sys, numpy as np
rng = np.random.default_rng(3)
D = np.minimum(np.floor(1 / rng.random(50000)), 1e5)
S = 0.4 * D ** 1.6 * np.exp(0.3 * rng.standard_normal(D.size))
S[::40], D[::40] = 0, 0  # absorbed at once: outside both tails
with open(sys.argv[1], "w") as f:
    f.write("S D\n")
    for s, d in zip(S, D):
        f.write(f"{s!r} {int(d)}\n")
PY
"$CRITSWEEP" fit "$tmp/small.txt" --json >"$tmp/small.json" 2>"$tmp/err" || { cat "$tmp/err"; die "fit on the small file failed"; }
"$CRITSWEEP" fit "$tmp/small.txt" --json --xmin-s auto --min-count 50 >"$tmp/auto.json" 2>"$tmp/err" || { cat "$tmp/err"; die "fit --xmin-s auto failed"; }
"$PYTHON" - "$tmp/small.txt" "$tmp/small.json" "$tmp/auto.json" <<'PY' || die "small-file results differ from NumPy/SciPy"
import json, sys, numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import zeta
a = np.loadtxt(sys.argv[1], skiprows=1)
S, D = a[:, 0], a[:, 1]
ok = True
def close(key, got, want, tol):
    global ok
    d = abs(got - want)
    good = d <= tol * max(1, abs(want))
    ok &= good
    print(f"{'ok  ' if good else 'FAIL'} {key:<12} critsweep {got:.15g} numpy/scipy {want:.15g} |diff| {d:.2g}")
for name, r in (("fixed", json.load(open(sys.argv[2]))), ("xmin-s auto", json.load(open(sys.argv[3])))):
    xs = r["xmin_s"]
    t = S[S >= xs]
    tau = 1 + t.size / np.log(t / xs).sum()
    close(f"{name} n", r["n"], S.size, 0)
    close(f"{name} n_tail_s", r["n_tail_s"], t.size, 0)
    close(f"{name} tau_s", r["tau_s"], tau, 1e-12)
    close(f"{name} tau_s_err", r["tau_s_err"], (tau - 1) / np.sqrt(t.size), 1e-12)
    if name == "fixed":
        xs_ok = xs == 0.5
        ok &= xs_ok
        y = D[D >= 5]
        nll = lambda s: y.size * np.log(zeta(s, 5)) + s * np.log(y).sum()
        td = minimize_scalar(nll, bounds=(1.01, 6), method="bounded", options={"xatol": 1e-10}).x
        close("tau_d", r["tau_d"], td, 1e-6)
        close("n_tail_d", r["n_tail_d"], y.size, 0)
    else:
        ok &= xs in set(S[S > 0])  # the KS choice is one of the sizes
        print(f"     xmin_s auto chose {xs}")
sys.exit(0 if ok else 1)
PY

# 3. A bad row deep in a streamed file: file:line, exit 2, nothing on stdout.
cp "$tmp/small.txt" "$tmp/bad.txt"
lines=$(wc -l <"$tmp/bad.txt")
echo "12.5 4.5" >>"$tmp/bad.txt"
"$CRITSWEEP" fit "$tmp/bad.txt" --json >"$tmp/out" 2>"$tmp/err"
rc=$?
want="bad.txt:$((lines + 1)): field 'D': not a whole number >= 0 '4.5'"
(( rc == 2 )) && grep -qF "$want" "$tmp/err" && [[ ! -s $tmp/out ]] ||
  { cat "$tmp/err"; die "bad row: exit $rc, expected 2 and '$want'"; }
echo "ok   bad row at line $((lines + 1)): $(cat "$tmp/err")"
echo "PASS: fit streams its file (peak RSS $((rss_kb / 1024)) MB for $rows rows) with the whole-sample results"

"""`critsweep meanfield --json` against an independent SciPy computation (README §5).

For tanh at several σ_b² > 0 (and σ_w² on both sides of the edge), q* solves
q = σ_w² E[tanh(√q z)²] + σ_b² and χ_1 = σ_w² E[sech⁴(√q* z)]; here the expectations come
from scipy.integrate.quad (adaptive, not Gauss–Hermite) and the roots from brentq.
q*, χ_1 and σ_w²_c must agree to 1e-6.  Prints the largest difference."""
import json
import math
import os
import subprocess
import sys

try:
    from scipy import integrate, optimize
except ImportError:  # pragma: no cover
    print("scipy not available for /usr/bin/python3")
    sys.exit(77)

exe = os.environ.get("CRITSWEEP")
if not exe or not os.access(exe, os.X_OK):
    print("CRITSWEEP is not set to an executable critsweep binary")
    sys.exit(77)

TOL = 1e-6
SQ2PI = math.sqrt(2 * math.pi)


def gauss(f, q):
    g = lambda z: f(math.sqrt(q) * z) * math.exp(-z * z / 2) / SQ2PI
    # The integrand is even: integrate one side, split where tanh saturates.
    cut = min(12.0, 8.0 / math.sqrt(q)) if q > 0 else 12.0
    a = integrate.quad(g, 0, cut, epsabs=1e-15, epsrel=1e-13, limit=400)[0]
    b = integrate.quad(g, cut, 40, epsabs=1e-15, epsrel=1e-13, limit=400)[0] if cut < 40 else 0
    return 2 * (a + b)


def q_star(sw, sb):
    f = lambda q: sw * gauss(lambda x: math.tanh(x) ** 2, q) + sb - q
    return optimize.brentq(f, 0.0, sw + sb, xtol=1e-14, rtol=1e-14)


def chi1(sw, sb):
    q = q_star(sw, sb)
    return sw * gauss(lambda x: 1 / math.cosh(x) ** 4, q)


def edge(sb):
    return optimize.brentq(lambda sw: chi1(sw, sb) - 1, 0.5, 20, xtol=1e-12, rtol=1e-14)


def run(*args):
    p = subprocess.run([exe, "meanfield", "--json", *args], capture_output=True, text=True)
    if p.returncode != 0:
        print("critsweep meanfield", *args, "failed:", p.returncode, p.stderr.strip())
        sys.exit(1)
    return json.loads(p.stdout)


worst = 0.0
fails = 0


def compare(what, got, want):
    global worst, fails
    d = abs(got - want)
    worst = max(worst, d)
    ok = d <= TOL
    fails += not ok
    print(f"{'ok  ' if ok else 'FAIL'} {what:<44} critsweep {got:.12g} scipy {want:.12g} |diff| {d:.2g}")


for sb in (0.05, 0.3, 1.0):
    out = run("--activation", "tanh", "--sigma-b2", repr(sb))
    compare(f"sigma_w2_critical sb={sb}", out["sigma_w2_critical"], edge(sb))
    for sw in (0.8, 2.0, 3.5):
        out = run("--activation", "tanh", "--sigma-b2", repr(sb), "--sigma-w2", repr(sw))
        compare(f"q_star sw={sw} sb={sb}", out["q_star"], q_star(sw, sb))
        compare(f"chi1 sw={sw} sb={sb}", out["chi1"], chi1(sw, sb))

print(f"largest difference: {worst:.3g} (tolerance {TOL})")
sys.exit(1 if fails else 0)

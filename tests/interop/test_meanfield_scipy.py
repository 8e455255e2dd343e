"""`critsweep meanfield --json` against an independent SciPy computation (README §5).

q* solves q = σ_w² E[φ(√q z)²] + σ_b² and χ_1 = σ_w² E[φ'(√q* z)²], z ~ Normal(0, 1).
Here every expectation is scipy.integrate.quad (adaptive QUADPACK) over the
pre-activation x = √q z with its Normal(0, q) density, split where either factor has
structure (x = 1, 2, 4, ..., 32 for φ; x = √q, 2√q, ..., 12√q for the density), and the
roots come from brentq.  Grid: φ ∈ {tanh, erf, hard-tanh, ReLU, linear},
σ_b² ∈ {0, 0.05, 1}, σ_w² from 0.01 to 10⁶.  q* and χ_1 must agree to 1e-8 relative
wherever they are defined (and both be undefined where they are not: ReLU/linear with
σ_w² E[φ(z)²] ≥ 1 have no finite q*, but χ_1 = σ_w² E[φ'(z)²] still); zeros exactly.
At the degenerate q* = 0 (σ_b² = 0, below the transition) χ_1 is σ_w² times the limit
q → 0⁺ of E[φ'(√q z)²], taken here at q = 1e-30: 1 for tanh, erf, hard-tanh and ½ for
ReLU (whose φ'(0) convention must not matter).  The edge of chaos σ_w²_c (χ_1 = 1) to
1e-8 relative: brentq on χ_1 − 1 at σ_b² > 0, and the known lines σ_w²_c = 1 (tanh,
erf, hard-tanh at σ_b² = 0; linear) and 2 (ReLU).  Prints the largest relative
difference per quantity.  (Gauss–Hermite quadrature missed the χ_1 spike of width 1/√q*:
tanh at σ_w² = 10³ gave χ_1 = 7.47 instead of 17.04.)"""
import json
import math
import os
import subprocess
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_common import critsweep_binary, require  # noqa: E402

integrate, optimize, special = require("scipy.integrate", "scipy.optimize", "scipy.special")
exe = critsweep_binary()

TOL = 1e-8
ERF_SCALE = math.sqrt(math.pi) / 2  # erf(c x) with slope 1 at 0, as critsweep's φ

PHI = {
    "tanh": (math.tanh, lambda x: 1 / math.cosh(x) ** 2 if abs(x) < 350 else 0.0),
    "erf": (lambda x: math.erf(ERF_SCALE * x), lambda x: math.exp(-math.pi / 4 * x * x)),
    "hardtanh": (lambda x: max(-1.0, min(1.0, x)), lambda x: 1.0 if abs(x) < 1 else 0.0),
    "relu": (lambda x: max(x, 0.0), lambda x: 1.0 if x > 0 else 0.0),
    "linear": (lambda x: x, lambda x: 1.0),
}


def expect(g, q):
    """E[g(√q z)] = ∫_0^∞ (g(x) + g(−x)) exp(−x²/2q)/√(2πq) dx."""
    if q == 0:
        return g(0.0)
    s = math.sqrt(q)
    f = lambda x: (g(x) + g(-x)) * math.exp(-x * x / (2 * q)) / math.sqrt(2 * math.pi * q)
    pts = sorted({0.0, *(2.0 ** k for k in range(6)), *(s * k for k in (1, 2, 4, 8, 12))})
    pts = [p for p in pts if p <= 12 * s]
    total, err = 0.0, 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        for a, b in zip(pts, pts[1:] + [math.inf]):
            r, e = integrate.quad(f, a, b, epsabs=0, epsrel=1e-13, limit=200)
            total += r
            err += e
    if err > 1e-11 * abs(total) and err > 1e-300:
        raise RuntimeError(f"reference quadrature not converged: {total} +- {err} (q={q})")
    return total


def q_star(act, sw, sb):
    """The fixed point, None where there is no finite one."""
    phi = PHI[act][0]
    if act in ("relu", "linear"):  # E[φ(√q z)²] = q E[φ(z)²]: a linear map
        slope = sw * expect(lambda x: phi(x) ** 2, 1.0)
        if abs(slope - 1) < 1e-12:
            return 0.0 if sb == 0 else None
        return sb / (1 - slope) if slope < 1 else None
    F = lambda q: sw * expect(lambda x: phi(x) ** 2, q) + sb - q
    hi = sw + sb  # φ² ≤ 1
    if sb > 0:
        return optimize.brentq(F, 0.0, hi, xtol=1e-300, rtol=1e-14, maxiter=200)
    # σ_b² = 0: |φ(x)| ≤ |x|, so q = 0 is the only fixed point unless σ_w² > 1
    if sw <= 1:
        return 0.0
    lo = hi / 2
    while F(lo) <= 0:
        lo /= 2
    return optimize.brentq(F, lo, hi, xtol=1e-300, rtol=1e-14, maxiter=200)


def chi1(act, sw, sb):
    dphi = PHI[act][1]
    q = q_star(act, sw, sb)
    if q is None:
        if act not in ("relu", "linear"):
            return None, None
        q = 1.0  # E[φ'²] does not depend on q
    return q_star(act, sw, sb), sw * expect(lambda x: dphi(x) ** 2, q if q > 0 else 1e-30)


def edge(act, sb):
    if act == "relu":
        return 2.0
    if act == "linear" or sb == 0:
        return 1.0  # φ'(0) = 1: χ_1 = σ_w² up to the transition at q* = 0
    return optimize.brentq(lambda sw: chi1(act, sw, sb)[1] - 1, 0.5, 20, xtol=1e-14,
                           rtol=1e-14)


def run(*args):
    p = subprocess.run([exe, "meanfield", "--json", *args], capture_output=True, text=True)
    if p.returncode != 0:
        print("critsweep meanfield", *args, "failed:", p.returncode, p.stderr.strip())
        sys.exit(1)
    return json.loads(p.stdout)


worst = {}
fails = 0


def compare(what, qty, got, want):
    global fails
    if want is None or got is None:
        ok = want is None and got is None
        rel = 0.0 if ok else math.inf
    else:
        rel = abs(got - want) / abs(want) if want != 0 else (0.0 if got == 0 else math.inf)
        ok = rel <= TOL
    worst[qty] = max(worst.get(qty, 0.0), rel)
    fails += not ok
    if not ok or qty == "sigma_w2_critical":
        print(f"{'ok  ' if ok else 'FAIL'} {what:<44} critsweep {got!r:<22} scipy {want!r:<22} "
              f"rel {rel:.2g}")


SW = (0.01, 0.03, 0.1, 0.3, 0.6, 1.0, 1.5, 2.5, 4.0, 10.0, 30.0, 100.0, 300.0, 1e3, 3e3,
      1e4, 1e5, 1e6)
for act in PHI:
    for sb in (0.0, 0.05, 1.0):
        out = run("--activation", act, "--sigma-b2", repr(sb))
        compare(f"{act} sigma_w2_critical sb={sb}", "sigma_w2_critical",
                out["sigma_w2_critical"], edge(act, sb))
        for sw in SW:
            out = run("--activation", act, "--sigma-b2", repr(sb), "--sigma-w2", repr(sw))
            q, c = chi1(act, sw, sb)
            compare(f"{act} q_star sw={sw:g} sb={sb}", "q_star", out["q_star"], q)
            compare(f"{act} chi1 sw={sw:g} sb={sb}", "chi1", out["chi1"], c)
        print(f"{act} sigma_b2={sb}: {len(SW)} points, largest relative difference so far "
              f"q* {worst['q_star']:.2g}, chi1 {worst['chi1']:.2g}")

print("largest relative difference: " + ", ".join(f"{k} {v:.3g}" for k, v in worst.items())
      + f" (tolerance {TOL})")
sys.exit(1 if fails else 0)

"""`critsweep fit --json` against NumPy/SciPy implementations of README §4.

Synthetic avalanches (D ~ Zipf(2), S = 0.4 D^1.6 e^{0.3 ε}) are fitted by critsweep
(libplfit underneath) and here, independently:
  τ_s = 1 + n / Σ ln(S/xmin_s)                       (tolerance 1e-12 relative)
  τ_d = argmax −n ln ζ(τ, xmin_d) − τ Σ ln D         (scipy.special.zeta, bounded search; 1e-6)
  γ, its error: weighted least squares with w = count/(v + 1e-8),
      s² = Σ w r² / (Σw − 2), error sqrt(s²/Sxx)     (1e-9)
  γ_pred = (τ_d − 1)/(τ_s − 1).
Prints the largest difference."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_common import critsweep_binary, require  # noqa: E402

np, sp_optimize, sp_special = require("numpy", "scipy.optimize", "scipy.special")
minimize_scalar, zeta = sp_optimize.minimize_scalar, sp_special.zeta
exe = critsweep_binary()

rng = np.random.default_rng(11)
D = rng.zipf(2.0, 30000).astype(float)
D = D[D < 1e6]
S = 0.4 * D ** 1.6 * np.exp(0.3 * rng.standard_normal(len(D)))
XS, XD, MINC = 0.5, 5.0, 50

with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "av.txt")
    with open(path, "w") as f:
        f.write("S D\n")
        for s, d in zip(S, D):
            f.write(f"{s!r} {int(d)}\n")
    p = subprocess.run([exe, "fit", path, "--json", "--min-count", str(MINC)],
                       capture_output=True, text=True)
    if p.returncode:
        print("critsweep fit failed:", p.stderr.strip())
        sys.exit(1)
    out = json.loads(p.stdout)

# τ_s
t = S[S >= XS]
tau_s = 1 + len(t) / np.log(t / XS).sum()
# τ_d
d = D[D >= XD]
sl = np.log(d).sum()
nll = lambda a: len(d) * np.log(zeta(a, XD)) + a * sl
tau_d = minimize_scalar(nll, bounds=(1.05, 4.0), method="bounded",
                        options={"xatol": 1e-10}).x
# γ
m = (D >= XD) & (S >= XS)
xs, ys, ws = [], [], []
for dv in np.unique(D[m]):
    s = S[m & (D == dv)]
    if len(s) < MINC:
        continue
    xs.append(np.log10(dv))
    ys.append(np.log10(s.mean()))
    ws.append(len(s) / (np.var(np.log10(s), ddof=1) + 1e-8))
xs, ys, ws = map(np.array, (xs, ys, ws))
mx, my = (ws * xs).sum() / ws.sum(), (ws * ys).sum() / ws.sum()
sxx = (ws * (xs - mx) ** 2).sum()
gamma = (ws * (xs - mx) * (ys - my)).sum() / sxx
res = ys - my - gamma * (xs - mx)
gamma_err = np.sqrt((ws * res ** 2).sum() / (ws.sum() - 2) / sxx)

worst, fails = 0.0, 0
for key, want, tol in (("tau_s", tau_s, 1e-12 * tau_s), ("tau_s_err", (tau_s - 1) / np.sqrt(len(t)), 1e-12),
                       ("tau_d", tau_d, 1e-6), ("gamma", gamma, 1e-9), ("gamma_err", gamma_err, 1e-9),
                       ("gamma_pred", (tau_d - 1) / (tau_s - 1), 1e-5)):
    got = out[key]
    diff = abs(got - want)
    worst = max(worst, diff)
    ok = diff <= tol
    fails += not ok
    print(f"{'ok  ' if ok else 'FAIL'} {key:<10} critsweep {got:.12g} numpy/scipy {want:.12g} |diff| {diff:.2g} tol {tol:.1g}")
print(f"largest difference: {worst:.3g}")
sys.exit(1 if fails else 0)

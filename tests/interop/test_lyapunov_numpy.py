#!/usr/bin/python3
"""λ_0 of `critsweep point` (README §7) against NumPy, on networks NumPy draws itself.

The definition (§7): per network a unit tangent v is pushed through
v <- W^l diag(φ'(h^{l-1})) v, renormalised each layer, where h^{l-1} is the driven
trajectory h^{l-1}(x0 + δ_i) of the lowest-numbered input i still active at layer l
(x0 = 0; an input is active from layer 1 through the layer that absorbs it,
r_l² = ‖h^l(δ_i) − h^l(0)‖² < q0); λ_0 = Σ log growth / Σ layers over all networks,
through every layer some input reached.  This script implements that definition in
float64 with numpy.random's own Gaussian networks (not critsweep's Philox streams), so
the two values are independent estimates of the same λ_0 for N = 200 random networks:

  * tanh: critsweep vs NumPy within 0.05.  Each estimate averages over 500-2000 layer
    growths (20 networks, 200 in the ordered phase where each draws a few layers) whose
    spread is ~0.1 at N = 200, so its standard error is 0.002-0.006 (NumPy's is
    printed); 0.05 is at least six combined standard errors, and far below the gap to
    the old baseline rule (tanh at σ_b² = 0 then gave ½ ln σ_w² + O(1/N): 0.55 at
    σ_w² = 3, where the trajectory's value is 0.13; 0.20 at σ_w² = 1.5 against 0.04).
  * ReLU at σ_b² = 0: critsweep vs the closed form ½ ln(σ_w²/2) (N → ∞; the width-200
    bias is ~ −0.01) within 0.05; the old baseline rule gave −inf.
Exit 0 pass, 1 fail, 77 skip."""
import json
import math
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_common import critsweep_binary, require  # noqa: E402

(np,) = require("numpy")
EXE = critsweep_binary()

N, Q0, TOL = 200, 0.1, 0.05


def phi(act, x):
    return np.tanh(x) if act == "tanh" else np.maximum(x, 0.0)


def dphi(act, x):
    return 1.0 - np.tanh(x) ** 2 if act == "tanh" else (x > 0).astype(float)


def numpy_lyapunov(act, sw2, sb2, L, K, n_net, seed):
    """(λ_0, its standard error from the per-network means) by the §7 definition."""
    rng = np.random.default_rng(seed)
    total, layers, per_net = 0.0, 0, []
    for _ in range(n_net):
        u = rng.standard_normal((K, N))
        h = math.sqrt(Q0) * u / np.linalg.norm(u, axis=1, keepdims=True)  # h^0 = δ_i
        base = np.zeros(N)
        v = rng.standard_normal(N)
        v /= np.linalg.norm(v)
        active = np.arange(K)
        s, n = 0.0, 0
        for _l in range(L):
            if active.size == 0:
                break
            W = rng.standard_normal((N, N)) * math.sqrt(sw2 / N)
            b = rng.standard_normal(N) * math.sqrt(sb2) if sb2 > 0 else np.zeros(N)
            carrier = h[active[0]]                     # lowest-numbered active input
            v = W @ (dphi(act, carrier) * v)
            g = np.linalg.norm(v)
            s += math.log(g)
            n += 1
            v /= g
            h[active] = phi(act, h[active]) @ W.T + b
            base = W @ phi(act, base) + b
            r2 = np.sum((h[active] - base) ** 2, axis=1)
            active = active[r2 >= Q0]                 # absorbed at this layer: r² < q0
        total += s
        layers += n
        per_net.append(s / n)
    lam = total / layers
    return lam, float(np.std(per_net, ddof=1) / math.sqrt(n_net))


def critsweep_lyapunov(act, sw2, sb2, L, K, M):
    cmd = [EXE, "point", "--json", "--width", str(N), "--depth", str(L),
           "--sigma-w2", repr(sw2), "--sigma-b2", repr(sb2), "--q0", repr(Q0),
           "--activation", act, "--per-network", str(K), "--inputs", str(M), "--seed", "5"]
    p = subprocess.run(cmd, capture_output=True, text=True,
                       env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr.strip()}")
    js = json.loads(p.stdout)
    lam = js["lyapunov"]
    return float("-inf") if lam is None else lam, js


def main():
    failed = False
    worst = 0.0
    # tanh: chaotic with and without bias, near the edge (avalanches absorbed, the carrier
    # moves on to later inputs), and ordered
    for sw2, sb2, L in ((3.0, 0.0, 100), (1.5, 0.0, 100), (2.5, 0.05, 100), (1.0, 0.0, 100),
                        (0.8, 0.0, 100)):
        # ordered networks draw only a few layers each: more of them for the same SE
        K, n_net = 10, (20 if sw2 > 1 else 200)
        got, js = critsweep_lyapunov("tanh", sw2, sb2, L, K, K * n_net)
        want, se = numpy_lyapunov("tanh", sw2, sb2, L, K, n_net, seed=int(100 * sw2 + 7))
        d = abs(got - want)
        worst = max(worst, d)
        ok = d <= TOL
        failed |= not ok
        print(f"{'ok  ' if ok else 'FAIL'} tanh sigma_w2={sw2} sigma_b2={sb2}: critsweep "
              f"{got:.4f}, NumPy {want:.4f} (SE {se:.4f}), |diff| {d:.4f} (tol {TOL}); "
              f"P_surv {js['P_surv']:.2f}")
    # ReLU, σ_b² = 0: closed form; NumPy's own estimate printed beside it
    for sw2 in (4.0, 10.0):
        K, n_net, L = 10, 20, 60   # 60 layers: (σ_w²/2)^60 · q0 stays inside float range
        got, _ = critsweep_lyapunov("relu", sw2, 0.0, L, K, K * n_net)
        want = 0.5 * math.log(sw2 / 2)
        npv, se = numpy_lyapunov("relu", sw2, 0.0, L, K, n_net, seed=int(sw2))
        d = abs(got - want)
        worst = max(worst, d)
        ok = d <= TOL
        failed |= not ok
        print(f"{'ok  ' if ok else 'FAIL'} relu sigma_w2={sw2}: critsweep {got:.4f}, "
              f"1/2 ln(sigma_w2/2) {want:.4f}, |diff| {d:.4f} (tol {TOL}); NumPy {npv:.4f} "
              f"(SE {se:.4f})")
    print(f"largest difference: {worst:.4f} (tolerance {TOL})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

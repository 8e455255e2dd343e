#!/usr/bin/python3
"""The criticality-regularised loss L_CE + w·P (crit_penalty.h) against PyTorch autograd.

`critsweep train --criticality-weight W --debug-dump DIR --debug-steps 1` writes, for the
first batch at the initial parameters, the directions v_b it drew (v.f32), the gradient of
L_CE alone (grads_ce.f32) and of L_CE + W·P (grads.f32), then takes one SGD step with the
regularised gradient (params1.f32).  PyTorch, in float64 from the same float32 weights,
batch and v_b, builds what crit_penalty.h says is differentiated:
    u_b = φ′(h) ⊙ v_b          with φ′(h) DETACHED (h: the pre-activation feeding W^l),
    g_{l,b} = ‖W^l u_b‖,        P = (1/B) Σ_b Σ_{l=1}^{L−1} (ln g_{l,b})²,
where φ′ itself comes from autograd of φ on a detached copy of h (not from a closed
form), and compares, for every activation:
  - P,                                                   1e-4 relative,
  - the whole gradient, per parameter tensor max |g − g_t| / max |g_t|,   1e-4,
  - the penalty's part (grads − grads_ce against W·∂P/∂θ), same measure,  1e-4,
  - the update of the one step, max |dp − dp_t| / max |dp_t|,            1e-3.
"""
import json
import math
import os
import subprocess
import sys
import tempfile

DATA = "/usr/share/datasets/fashion-mnist"
IN, WIDTH, DEPTH, BATCH, SUBSET = 784, 40, 4, 16, 64
SW2, SB2, WEIGHT, LR = 1.5, 0.1, 1.0, 0.1

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_common import critsweep_binary, require, skip, torch_phi  # noqa: E402

np, torch, F = require("numpy", "torch", "torch.nn.functional")
exe = critsweep_binary()
if not os.path.exists(os.path.join(DATA, "train-images-idx3-ubyte.gz")):
    skip(f"{DATA} missing; apt-get install dataset-fashion-mnist")
torch.set_num_threads(1)


phi = torch_phi


def slope(name, h):
    """φ′(h) by autograd on a detached copy: a constant of the penalty, as specified."""
    hd = h.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(phi(name, hd).sum(), hd)
    return g.detach()


def unpack(flat):
    dims = [IN] + [WIDTH] * DEPTH + [10]
    out, k = [], 0
    for fi, fo in zip(dims[:-1], dims[1:]):
        out += [flat[k:k + fo * fi].reshape(fo, fi), flat[k + fo * fi:k + fo * fi + fo]]
        k += fo * fi + fo
    assert k == flat.size, (k, flat.size)
    return out


def dump(act, d):
    cmd = [exe, "train", "--width", str(WIDTH), "--depth", str(DEPTH), "--sigma-w2", str(SW2),
           "--sigma-b2", str(SB2), "--activation", act, "--optimizer", "sgd", "--lr", str(LR),
           "--batch", str(BATCH), "--seed", "5", "--train-subset", str(SUBSET),
           "--criticality-weight", str(WEIGHT), "--debug-dump", d, "--debug-steps", "1"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        print(out.stderr)
        raise SystemExit(f"FAIL: {' '.join(cmd)} exited {out.returncode}")
    load = lambda name: np.fromfile(os.path.join(d, name), dtype="<f4")  # noqa: E731
    return (json.loads(out.stdout), load("params0.f32"), load("params1.f32"),
            load("grads_ce.f32"), load("grads.f32"),
            load("x.f32").reshape(-1, IN)[:BATCH], np.fromfile(os.path.join(d, "y.u8"), np.uint8),
            load("v.f32").reshape(DEPTH - 1, BATCH, WIDTH))


def torch_reference(act, p0, x, y, v):
    """(P, dL_CE/dθ, d(W·P)/dθ) as float64 arrays per parameter tensor."""
    params = [torch.tensor(a.astype(np.float64), requires_grad=True) for a in unpack(p0)]
    h, pre = torch.from_numpy(x.astype(np.float64)), []
    for layer in range(DEPTH + 1):
        h = h @ params[2 * layer].T + params[2 * layer + 1]
        if layer < DEPTH:
            pre.append(h)
            h = phi(act, h)
    ce = F.cross_entropy(h, torch.from_numpy(y[:BATCH].astype(np.int64)))
    P = 0
    for layer in range(1, DEPTH):  # W^l maps φ(pre[l-1]) onward
        u = slope(act, pre[layer - 1]) * torch.from_numpy(v[layer - 1].astype(np.float64))
        g = torch.linalg.vector_norm(u @ params[2 * layer].T, dim=1)
        P = P + (torch.log(g) ** 2).mean()
    g_ce = torch.autograd.grad(ce, params, retain_graph=True)
    g_p = torch.autograd.grad(WEIGHT * P, params, allow_unused=True)
    g_p = [torch.zeros_like(p) if g is None else g for p, g in zip(params, g_p)]
    return P.item(), [g.numpy() for g in g_ce], [g.numpy() for g in g_p]


def worst_rel(mine, ref):
    """Largest over parameter tensors of max |a − b| / max |b| (tensors with b ≡ 0 must
    match exactly)."""
    worst = 0.0
    for a, b in zip(mine, ref):
        scale = np.abs(b).max()
        diff = np.abs(a - b).max()
        worst = max(worst, diff / scale if scale > 0 else (0.0 if diff == 0 else math.inf))
    return float(worst)


def run_case(act):
    with tempfile.TemporaryDirectory() as d:
        info, p0, p1, gce, g, x, y, v = dump(act, d)
    P_t, gce_t, gp_t = torch_reference(act, p0, x, y, v)
    total_t = [a + b for a, b in zip(gce_t, gp_t)]
    dP = abs(info["penalty"] - P_t) / abs(P_t)
    dtot = worst_rel(unpack(g.astype(np.float64)), total_t)
    dpen = worst_rel(unpack(g.astype(np.float64) - gce.astype(np.float64)), gp_t)
    upd_t = -LR * np.concatenate([t.ravel() for t in total_t])
    upd = p1.astype(np.float64) - p0
    dupd = float(np.abs(upd - upd_t).max() / np.abs(upd_t).max())
    print(f"{act:9s} P {info['penalty']:.6f} (torch {P_t:.6f}, rel {dP:.2e}), gradient "
          f"{dtot:.2e}, penalty part {dpen:.2e}, update {dupd:.2e}")
    return dP, dtot, dpen, dupd


def main():
    worst = [0.0] * 4
    for act in ("tanh", "erf", "hardtanh", "relu", "linear"):
        worst = [max(a, b) for a, b in zip(worst, run_case(act))]
    print(f"largest differences: P {worst[0]:.2e} (tol 1e-4), gradient {worst[1]:.2e} "
          f"(tol 1e-4), penalty part {worst[2]:.2e} (tol 1e-4), update {worst[3]:.2e} "
          f"(tol 1e-3)")
    ok = worst[0] <= 1e-4 and worst[1] <= 1e-4 and worst[2] <= 1e-4 and worst[3] <= 1e-3
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

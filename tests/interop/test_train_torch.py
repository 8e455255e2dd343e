#!/usr/bin/python3
"""critsweep's trainer against PyTorch on identical weights and batches.

`critsweep train --debug-dump DIR --debug-steps K` writes the initial parameters, the
first K batches of (standardised) training data and the parameters after K optimizer
steps (layout in src/cli_train.c).  Here PyTorch loads the same initial parameters,
takes the same K steps with torch.optim, and we compare
  - the inputs with an independent NumPy standardisation of the raw IDX files
    (tolerance 1e-5 absolute),
  - the loss of each batch (tolerance 1e-4 relative),
  - the parameters after the steps: max |p - p_torch| / max |p_torch| <= 1e-4, and the
    update itself: max |dp - dp_torch| / max |dp_torch| <= 1e-3,
for every activation (one SGD step) and for momentum and Adam (3 steps, tanh).
"""
import gzip
import json
import os
import subprocess
import sys
import tempfile

DATA = "/usr/share/datasets/fashion-mnist"
IN, WIDTH, DEPTH, BATCH, SUBSET = 784, 40, 3, 16, 512
SW2, SB2 = 1.5, 0.1


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_common import critsweep_binary, require, skip, torch_phi  # noqa: E402

np, torch, F = require("numpy", "torch", "torch.nn.functional")
exe = critsweep_binary()
if not os.path.exists(os.path.join(DATA, "train-images-idx3-ubyte.gz")):
    skip(f"{DATA} missing; apt-get install dataset-fashion-mnist")
torch.set_num_threads(1)
torch.set_default_dtype(torch.float32)


def raw_standardised(n):
    """Independent reference: first n training images /255, standardised with the
    scalar mean/std of those n images (what --train-subset n promises)."""
    with gzip.open(os.path.join(DATA, "train-images-idx3-ubyte.gz")) as f:
        buf = f.read(16 + n * IN)
    assert int.from_bytes(buf[:4], "big") == 0x803
    x = np.frombuffer(buf[16:], dtype=np.uint8).reshape(n, IN).astype(np.float64) / 255.0
    return ((x - x.mean()) / x.std()).astype(np.float32), x.mean(), x.std()


phi = torch_phi


def unpack(flat):
    dims = [IN] + [WIDTH] * DEPTH + [10]
    params, k = [], 0
    for fi, fo in zip(dims[:-1], dims[1:]):
        W = flat[k:k + fo * fi].reshape(fo, fi)
        k += fo * fi
        b = flat[k:k + fo]
        k += fo
        params += [W, b]
    assert k == flat.size, (k, flat.size)
    return params


def run_case(act, opt, steps, lr):
    with tempfile.TemporaryDirectory() as d:
        cmd = [exe, "train", "--width", str(WIDTH), "--depth", str(DEPTH), "--sigma-w2", str(SW2),
               "--sigma-b2", str(SB2), "--activation", act, "--optimizer", opt, "--lr", str(lr),
               "--batch", str(BATCH), "--seed", "3", "--train-subset", str(SUBSET),
               "--debug-dump", d, "--debug-steps", str(steps)]
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode != 0:
            print(out.stderr)
            raise SystemExit(f"FAIL: {' '.join(cmd)} exited {out.returncode}")
        info = json.loads(out.stdout)
        p0 = np.fromfile(os.path.join(d, "params0.f32"), dtype="<f4")
        p1 = np.fromfile(os.path.join(d, "params1.f32"), dtype="<f4")
        x = np.fromfile(os.path.join(d, "x.f32"), dtype="<f4").reshape(-1, IN)
        y = np.fromfile(os.path.join(d, "y.u8"), dtype=np.uint8)

    ref_x, mean, std = raw_standardised(SUBSET)
    dx = float(np.abs(x - ref_x[:x.shape[0]]).max())
    dstat = max(abs(info["mean"] - mean), abs(info["std"] - std))

    params = [torch.tensor(a.copy(), requires_grad=True) for a in unpack(p0)]
    if opt == "sgd":
        o = torch.optim.SGD(params, lr=lr)
    elif opt == "momentum":
        o = torch.optim.SGD(params, lr=lr, momentum=0.9)
    else:
        o = torch.optim.Adam(params, lr=lr)
    losses = []
    xt, yt = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))
    for k in range(steps):
        h = xt[k * BATCH:(k + 1) * BATCH]
        for layer in range(DEPTH + 1):
            h = h @ params[2 * layer].T + params[2 * layer + 1]
            if layer < DEPTH:
                h = phi(act, h)
        loss = F.cross_entropy(h, yt[k * BATCH:(k + 1) * BATCH])
        o.zero_grad()
        loss.backward()
        o.step()
        losses.append(loss.item())
    pt = np.concatenate([p.detach().numpy().ravel() for p in params])

    dloss = max(abs(a - b) / abs(b) for a, b in zip(info["losses"], losses))
    dp = float(np.abs(p1 - pt).max() / np.abs(pt).max())
    upd_t, upd = pt - p0, p1 - p0
    dupd = float(np.abs(upd - upd_t).max() / np.abs(upd_t).max())
    print(f"{act:9s} {opt:9s} steps {steps}: input {dx:.2e} (stats {dstat:.1e}), loss {dloss:.2e}, "
          f"params {dp:.2e}, update {dupd:.2e}")
    return dx, dloss, dp, dupd


def main():
    cases = [(a, "sgd", 1, 0.1) for a in ("tanh", "erf", "hardtanh", "relu", "linear")]
    cases += [("tanh", "momentum", 3, 0.05), ("tanh", "adam", 3, 0.001)]
    worst = [0.0, 0.0, 0.0, 0.0]
    for c in cases:
        worst = [max(a, b) for a, b in zip(worst, run_case(*c))]
    print(f"largest differences: input {worst[0]:.2e} (tol 1e-5), loss {worst[1]:.2e} (tol 1e-4), "
          f"params {worst[2]:.2e} (tol 1e-4), update {worst[3]:.2e} (tol 1e-3)")
    ok = worst[0] <= 1e-5 and worst[1] <= 1e-4 and worst[2] <= 1e-4 and worst[3] <= 1e-3
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

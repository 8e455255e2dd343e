#!/usr/bin/python3
"""The batched avalanche engine against a plain NumPy implementation of README §2.

`critsweep point ... --raw FILE` runs the engine with CRITSWEEP_DUMP_DIR set, so that
it also writes the drives and every layer it drew (W, b as raw float32).  This script
replays the same cascades the way the published reference does: ONE input at a time,
in float64, the list a = (r_0, ..., r_k) built layer by layer and cut with the
reference's slicing a[1:len(a)-2] (or the strict rule), the baseline trajectory
h(x0 = 0) pushed through the same weights.  It compares, as multisets (the engine
records avalanches in the order they finish):
  D exactly, S within 1e-4 relative (|dS| <= 1e-4 max(|S|, 1); the engine runs in
  float32 with double norms, float32 rounding moves S by ~1e-6 relative), the survivor count exactly, and ln(branching)
  within 1e-4.  It also replays the Lyapunov tangent of §7 from the dumped start vector:
  v <- W^l (φ'(h^{l-1}) * v) along the trajectory of the lowest-numbered input still
  active at layer l, renormalised, through every layer drawn; λ_0 within 1e-4.  It also checks that the engine drew exactly the layers some avalanche
  reached (no W file beyond a network's deepest layer, none missing).
Cases: tanh reference/difference with sigma_b2 = 0 and 0.05, strict convention,
absolute mode, ReLU.  Exit 0 pass, 1 fail, 77 skip.
"""
import json
import math
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_common import critsweep_binary, require  # noqa: E402

(np,) = require("numpy")
EXE = critsweep_binary()


def phi(name, x):
    if name == "tanh":
        return np.tanh(x)
    if name == "relu":
        return np.maximum(x, 0.0)
    if name == "hardtanh":
        return np.clip(x, -1.0, 1.0)
    if name == "linear":
        return x
    raise ValueError(name)


def dphi(name, x):
    if name == "tanh":
        return 1.0 - np.tanh(x) ** 2
    if name == "relu":
        return (x > 0).astype(float)
    if name == "hardtanh":
        return (np.abs(x) < 1).astype(float)
    if name == "linear":
        return np.ones_like(x)
    raise ValueError(name)


def replay(d, N, L, q0, K, M, act, convention, mode):
    """Returns (records [(D, S, absorbed)], survivors, ln m, λ_0, problems)."""
    sq = math.sqrt(q0)
    records, survivors, problems = [], 0, []
    log_sum, n_pairs = 0.0, 0
    lyap_sum, lyap_layers = 0.0, 0
    n_net = (M + K - 1) // K
    for net in range(n_net):
        c = min(K, M - net * K)
        drives = np.fromfile(os.path.join(d, f"drive_{net}.f32"), dtype=np.float32)
        drives = drives.reshape(c, N).astype(np.float64)
        cache = {}

        def layer(l):
            if l not in cache:
                wf = os.path.join(d, f"W_{net}_{l}.f32")
                if not os.path.exists(wf):
                    raise FileNotFoundError(f"network {net} layer {l} was reached but not drawn")
                W = np.fromfile(wf, dtype=np.float32).astype(np.float64).reshape(N, N)
                b = np.fromfile(os.path.join(d, f"b_{net}_{l}.f32"), dtype=np.float32)
                cache[l] = (W, b.astype(np.float64))
            return cache[l]

        deepest = 0
        traj = []   # per input: h^0, h^1, ... through the last layer it was propagated
        for i in range(c):
            h = drives[i].copy()
            traj.append([h])
            base = np.zeros(N)
            a = [float(np.linalg.norm(h))]
            prev = a[0]
            k = 0
            for l in range(1, L + 1):
                W, b = layer(l)
                h = W @ phi(act, h) + b
                traj[i].append(h)
                base = W @ phi(act, base) + b
                r = float(np.linalg.norm(h - base if mode == "difference" else h))
                if r > 0 and prev > 0:
                    log_sum += math.log(r / prev)
                    n_pairs += 1
                prev = r
                deepest = max(deepest, l)
                if r * r < q0:
                    a.append(r)
                    k = l
                    break
                if l < L:
                    a.append(r)
            if k == 0:
                survivors += 1
            if convention == "reference":
                if len(a) > 2:
                    V = np.array(a[1:len(a) - 2]) - sq
                    if len(V) < L - 2:
                        records.append((len(V), math.sqrt(N) * float(V.sum()), int(k > 0)))
            elif k > 0:
                V = np.array(a[1:k]) - sq
                records.append((k - 1, math.sqrt(N) * float(V.sum()), 1))
        # the tangent: at layer l it rides h^{l-1} of the first input active at l
        v = np.fromfile(os.path.join(d, f"tangent_{net}.f32"), dtype=np.float32)
        v = v.astype(np.float64)
        for l in range(1, deepest + 1):
            carrier = next(t for t in traj if len(t) > l)[l - 1]
            v = layer(l)[0] @ (dphi(act, carrier) * v)
            g = float(np.linalg.norm(v))
            lyap_sum += math.log(g)
            lyap_layers += 1
            v /= g
        drawn = sorted(int(f.split("_")[2].split(".")[0]) for f in os.listdir(d)
                       if f.startswith(f"W_{net}_"))
        if drawn != list(range(1, deepest + 1)):
            problems.append(f"network {net}: layers drawn {drawn[:3]}..{drawn[-3:]} "
                            f"({len(drawn)}), deepest layer reached {deepest}")
    lnm = log_sum / n_pairs if n_pairs else float("nan")
    return records, survivors, lnm, lyap_sum / lyap_layers, problems


def engine(tmp, tag, args):
    d = os.path.join(tmp, tag)
    os.mkdir(d)
    raw = os.path.join(tmp, tag + ".raw")
    env = dict(os.environ, CRITSWEEP_DUMP_DIR=d, OPENBLAS_NUM_THREADS="1")
    cmd = [EXE, "point", "--json", "--engine", "dense", "--raw", raw] + args
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr.strip()}")
    js = json.loads(p.stdout)
    rows = np.loadtxt(raw, skiprows=1, ndmin=2)
    recs = [(int(r[1]), float(r[0]), int(r[2])) for r in rows]
    return d, js, recs


def main():
    N, L, q0, K, M = 40, 60, 0.1, 100, 250
    cases = [
        ("tanh", 1.0, 0.0, "reference", "difference"),
        ("tanh", 1.1, 0.05, "reference", "difference"),
        ("tanh", 1.0, 0.0, "strict", "difference"),
        ("tanh", 1.2, 0.0, "reference", "absolute"),
        ("relu", 2.0, 0.0, "reference", "difference"),
    ]
    failed = False
    worst_s = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for ci, (act, sw2, sb2, conv, mode) in enumerate(cases):
            tag = f"case{ci}"
            args = ["--width", str(N), "--depth", str(L), "--sigma-w2", str(sw2),
                    "--sigma-b2", str(sb2), "--q0", str(q0), "--activation", act,
                    "--per-network", str(K), "--inputs", str(M), "--seed", "3",
                    "--convention", conv, "--mode", mode,
                    "--shape-dmin", "4", "--shape-dmax", "30", "--shape-min-count", "1"]
            try:
                d, js, eng = engine(tmp, tag, args)
                ref, surv, lnm, lyap, problems = replay(d, N, L, q0, K, M, act, conv, mode)
            except (RuntimeError, FileNotFoundError, ValueError) as e:
                print(f"FAIL {tag}: {e}")
                failed = True
                continue
            eng_s = sorted(eng)
            ref_s = sorted(ref)
            msg = []
            if len(eng_s) != len(ref_s):
                msg.append(f"{len(eng_s)} records vs NumPy {len(ref_s)}")
            else:
                dmis = sum(1 for x, y in zip(eng_s, ref_s) if x[0] != y[0] or x[2] != y[2])
                # relative, with a floor of 1 for S near 0 (a 1-layer avalanche's S is
                # sqrt(N)(r_1 - sqrt(q0)), a difference of nearly equal numbers)
                rel = max((abs(x[1] - y[1]) / max(abs(y[1]), 1.0)
                           for x, y in zip(eng_s, ref_s)), default=0.0)
                worst_s = max(worst_s, rel)
                if dmis:
                    msg.append(f"{dmis} D/absorbed mismatches")
                if rel > 1e-4:
                    msg.append(f"S max rel diff {rel:.2e} > 1e-4")
            if js["n_survived"] != surv:
                msg.append(f"survivors {js['n_survived']} vs NumPy {surv}")
            dm = abs(math.log(js["branching"]) - lnm) if js["branching"] else float("inf")
            if not dm < 1e-4:
                msg.append(f"ln(branching) {math.log(js['branching']):.6f} vs NumPy {lnm:.6f}")
            dl = abs(js["lyapunov"] - lyap) if js["lyapunov"] is not None else float("inf")
            if not dl < 1e-4:
                msg.append(f"lyapunov {js['lyapunov']} vs NumPy {lyap:.6f}")
            msg += problems
            status = "FAIL" if msg else "ok"
            failed |= bool(msg)
            print(f"{status} {act} sigma_w2={sw2} sigma_b2={sb2} {conv}/{mode}: "
                  f"{len(eng)} records (NumPy {len(ref)}), survivors {js['n_survived']}, "
                  f"ln m diff {dm:.1e}, lambda_0 {js['lyapunov']:.5f} diff {dl:.1e}" + ("; " + "; ".join(msg) if msg else ""))
    print(f"largest S difference engine vs NumPy: {worst_s:.2e} relative (|dS|/max(|S|,1); "
          f"tolerance 1e-4; D exact)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

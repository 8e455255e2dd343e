#!/usr/bin/python3
"""The Python reference side of `critsweep bench`'s avalanche benchmark.

The published reference algorithm (README §1-2) as the paper's code runs it: a
tanh MLP of DEPTH Linear(N, N) layers drawn whole with PyTorch (W ~ Normal(0,
sigma_w2/N), no bias), torch.set_num_threads(1), and ONE input at a time: drive
delta = sqrt(q0) u/|u|, activity r_l = |h^l| layer by layer until r_k^2 < q0, the list
a = (r_0..r_k) or (r_0..r_{L-1}), V = a[1:len(a)-2] - sqrt(q0), D = len(V),
S = sqrt(N) sum(V), records with D >= L - 2 dropped.

usage: reference_point.py N DEPTH SIGMA_W2 Q0 PER_NETWORK INPUTS
Draws one network (timed), pushes INPUTS drives through it (timed) and prints
    draw_s T            seconds to draw the whole network
    inputs_s T          seconds for the INPUTS cascades
(process CPU time, as critsweep's side reports, so that a busy machine does not skew
the ratio; wall-clock seconds follow on the same lines)
    inputs_per_s R      INPUTS / (inputs_s + draw_s * INPUTS / PER_NETWORK)
                        (the network's cost shared by the PER_NETWORK inputs that use it)
    layer_steps n       layers computed over all INPUTS cascades (one matvec each)
    recorded n  mean_S s  mean_D d
Exit 77 (with the reason on the last line) if torch is not importable.
"""
import math
import sys
import time

try:
    import torch
    import torch.nn as nn
except ImportError as e:
    print(f"PyTorch not available ({e}); apt-get install python3-torch")
    sys.exit(77)


def main():
    if len(sys.argv) != 7:
        print(__doc__)
        sys.exit(2)
    N, L = int(sys.argv[1]), int(sys.argv[2])
    sw2, q0 = float(sys.argv[3]), float(sys.argv[4])
    K, M = int(sys.argv[5]), int(sys.argv[6])
    torch.set_num_threads(1)
    torch.manual_seed(0)

    t0, w0 = time.process_time(), time.perf_counter()
    layers = []
    with torch.no_grad():
        for _ in range(L):
            # skip_init: no default (Kaiming) init that normal_ would overwrite anyway
            lin = torch.nn.utils.skip_init(nn.Linear, N, N, bias=False)
            lin.weight.normal_(0.0, math.sqrt(sw2 / N))
            layers.append(lin)
    net = nn.ModuleList(layers)
    draw_s, draw_w = time.process_time() - t0, time.perf_counter() - w0

    sq = math.sqrt(q0)
    S_list, D_list = [], []
    steps = 0
    t0, w0 = time.process_time(), time.perf_counter()
    with torch.no_grad():
        for _ in range(M):
            u = torch.randn(N)
            h = sq * u / u.norm()
            a = [h.norm().item()]
            for l, lin in enumerate(net):
                h = lin(torch.tanh(h))
                steps += 1
                r = h.norm().item()
                if r * r < q0:
                    a.append(r)
                    break
                if l < L - 1:
                    a.append(r)
            if len(a) > 2:
                V = [x - sq for x in a[1:len(a) - 2]]
                if len(V) < L - 2:
                    S_list.append(math.sqrt(N) * sum(V))
                    D_list.append(len(V))
    inputs_s, inputs_w = time.process_time() - t0, time.perf_counter() - w0

    rate = M / (inputs_s + draw_s * M / K)
    print(f"draw_s {draw_s:.4f} wall {draw_w:.4f}")
    print(f"inputs_s {inputs_s:.4f} wall {inputs_w:.4f}")
    print(f"inputs_per_s {rate:.2f}")
    print(f"layer_steps {steps}")
    n = len(S_list)
    ms = sum(S_list) / n if n else float("nan")
    md = sum(D_list) / n if n else float("nan")
    print(f"recorded {n} mean_S {ms:.4g} mean_D {md:.4g}")


if __name__ == "__main__":
    main()

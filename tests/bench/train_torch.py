#!/usr/bin/python3
"""The PyTorch side of `critsweep bench`'s training benchmark.

An idiomatic single-threaded PyTorch (CPU) training loop for the same network,
optimizer and data as critsweep's trainer: MLP in -> N -> ... -> N -> 10 with DEPTH
hidden tanh layers, W ~ Normal(0, sigma_w2/fan_in), b ~ Normal(0, sigma_b2), softmax
cross-entropy, SGD with momentum 0.9, a fresh torch.randperm each epoch, the last
partial batch included.  The data are the float32/uint8 files critsweep writes, so both
sides train on identical inputs.

usage: train_torch.py X.f32 Y.u8 IN_DIM DEPTH REPS WIDTHxBATCHxN [...]
trains configuration WIDTHxBATCHxN on the first N examples for one warm-up epoch and
REPS timed epochs and prints the best epoch's rate, one line per configuration:
"WIDTH BATCH SAMPLES_PER_S" (best of REPS, as critsweep's side does).
Exit 77 (with the reason on the last line) if torch is not importable.
"""
import sys
import time

try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # the caller prints this line and carries on without PyTorch
    print(f"PyTorch not available ({e}); apt-get install python3-torch")
    sys.exit(77)

SIGMA_W2, SIGMA_B2, LR, MOMENTUM = 1.0, 0.05, 0.01, 0.9


def make_model(in_dim, width, depth):
    layers, fan_in = [], in_dim
    for _ in range(depth):
        layers += [nn.Linear(fan_in, width), nn.Tanh()]
        fan_in = width
    layers.append(nn.Linear(fan_in, 10))
    model = nn.Sequential(*layers)
    with torch.no_grad():
        for m in model:
            if isinstance(m, nn.Linear):
                m.weight.normal_(0.0, (SIGMA_W2 / m.in_features) ** 0.5)
                m.bias.normal_(0.0, SIGMA_B2 ** 0.5)
    return model


def run(x, y, width, batch, depth, reps):
    torch.manual_seed(0)
    model = make_model(x.shape[1], width, depth)
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    n = x.shape[0]

    def epoch():
        perm = torch.randperm(n)
        total = 0.0
        for i in range(0, n, batch):
            idx = perm[i:i + batch]
            xb, yb = x[idx], y[idx]
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        return total / n

    epoch()  # warm-up: allocator, BLAS buffers
    best = 0.0
    for _ in range(reps):
        t0 = time.perf_counter()
        epoch()
        best = max(best, n / (time.perf_counter() - t0))
    return best


def main():
    if len(sys.argv) < 7:
        print(__doc__)
        sys.exit(2)
    xf, yf, in_dim, depth, reps = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
        int(sys.argv[4]), int(sys.argv[5])
    torch.set_num_threads(1)
    x = torch.from_numpy(np.fromfile(xf, dtype=np.float32).reshape(-1, in_dim))
    y = torch.from_numpy(np.fromfile(yf, dtype=np.uint8).astype(np.int64))
    for cfg in sys.argv[6:]:
        width, batch, n = (int(v) for v in cfg.split("x"))
        rate = run(x[:n], y[:n], width, batch, depth, reps)
        print(f"{width} {batch} {rate:.1f}", flush=True)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""The dynamic range (README §7) and the trained MLP's criticality as `critsweep run`
writes them, read back with h5py and checked against closed forms with NumPy.

Dynamic range.  R(q) = mean over drive directions of ‖h^L(δ_q) − h^L(0)‖ at L = L_Δ,
with δ_q = sqrt(q)·u/‖u‖, on the log grid q_j = q_min (q_max/q_min)^(j/(n_q−1)).  With
R̃ its running maximum, q_x solves R̃(q_x) = R̃(q_min) + x (R̃(q_max) − R̃(q_min)) by linear
interpolation in log q between grid points, and Δ = 10 log10(q_0.9/q_0.1) dB; NaN when
R̃(q_max)/R̃(q_min) < 10, with a note.

A linear network maps δ linearly, so R(q) = c·sqrt(q) exactly (c > 0 depends on σ_w² and
the weights) and Δ does not depend on σ_w²:
  * on the grid: the same interpolation applied to sqrt(q_j) (c cancels); critsweep's Δ
    must equal it within 1e-4 dB (float32 propagation; the observed difference is
    ~1e-6 dB);
  * in the continuum: sqrt(q_x) = sqrt(q_min) + x (sqrt(q_max) − sqrt(q_min)),
    Δ = 10 log10(q_0.9/q_0.1) = 19.08 dB for q in [1e-6, 1e2]; the grid's linear
    interpolation in log q between points a third of a decade apart moves it by
    ~0.13 dB, so the tolerance there is 0.25 dB.
Both at σ_w² = 0.5 and 1.0 (and 2.0).  In the chaotic phase (tanh, σ_w² = 2.0, L_Δ = 30)
the weakest drive already decorrelates the trajectories: Δ is NaN with a
"response saturated" note.  R(q)/sqrt(q) of the linear network is constant to 1e-5.

Hash: a sweep with dynrange off (depth 0, other dynrange settings changed or not) has
the hash of the same sweep without a dynrange: section; on, it differs.

Trained criticality: with training on (2 hidden layers) branching_trained,
lyapunov_trained and inactive_fraction_trained are finite (the share in [0, 1]); with
one hidden layer m and λ_0 are NaN (they need two), the share is not; with training off
all three are NaN.  Exit 0 pass, 1 fail, 77 skip."""
import json
import math
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_common import critsweep_binary, require  # noqa: E402

h5py, np = require("h5py", "numpy")
EXE = critsweep_binary()
Q_MIN, Q_MAX, N_Q = 1e-6, 1e2, 25
SWEEP = """name: dr
seed: 3
grid:
  activation: [linear, tanh]
  width: [32]
  sigma_w2: [0.5, 1.0, 2.0]
  seeds: 1
avalanche:
  depth: 60
  inputs: 200
  per_network: 100
  shape_window: [5, 30]
  shape_min_count: 5
dynrange:
  depth: 30
  q_min: 1e-6
  q_max: 1e2
  n_q: 25
  inputs: 20
  networks: 2
train:
  enabled: false
  depth: 2
  epochs: 1
  batch: 64
  train_subset: 1000
"""
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def run(args, cwd):
    p = subprocess.run([EXE] + args, cwd=cwd, capture_output=True, text=True)
    if p.returncode:
        print(p.stderr)
        sys.exit(f"FAIL: critsweep {' '.join(args)} exited {p.returncode}")
    return p.stdout


def crossing(q, R, level):
    """The q where R (ascending) first reaches level, linear in log q (critsweep's rule)."""
    for j in range(1, len(q)):
        if R[j] >= level:
            f = (level - R[j - 1]) / (R[j] - R[j - 1])
            return math.exp(math.log(q[j - 1]) + f * (math.log(q[j]) - math.log(q[j - 1])))
    return q[-1]


def delta_on_grid(q, R):
    env = np.maximum.accumulate(R)
    lo, span = env[0], env[-1] - env[0]
    return 10 * math.log10(crossing(q, env, lo + 0.9 * span) / crossing(q, env, lo + 0.1 * span))


def delta_continuum():
    a, b = math.sqrt(Q_MIN), math.sqrt(Q_MAX)
    qx = lambda x: (a + x * (b - a)) ** 2  # noqa: E731
    return 10 * math.log10(qx(0.9) / qx(0.1))


def check_hash(tmp):
    path = os.path.join(tmp, "dr.yaml")
    off = SWEEP.replace("  depth: 30\n", "  depth: 0\n")
    bare = SWEEP[:SWEEP.index("dynrange:")] + SWEEP[SWEEP.index("train:"):]
    hashes = {}
    for name, text, extra in (("bare", bare, []), ("off", off, []),
                              ("off, n_q 10", off, ["--set", "dynrange.n_q=10"]),
                              ("on", SWEEP, [])):
        with open(path, "w") as f:
            f.write(text)
        hashes[name] = json.loads(run(["check", path, "--json"] + extra, tmp))["hash"]
    check(hashes["bare"] == hashes["off"] == hashes["off, n_q 10"],
          "dynrange off keeps the hash of the sweep without it (%s)" % hashes["bare"])
    check(hashes["on"] != hashes["bare"], "dynrange on changes the hash (%s)" % hashes["on"])


def check_layout(f):
    q = f["dynrange_q"][...]
    grid = np.geomspace(Q_MIN, Q_MAX, N_Q)
    check(q.shape == (N_Q,) and np.allclose(q, grid, rtol=1e-12, atol=0) and q[0] == Q_MIN
          and q[-1] == Q_MAX, "dynrange_q is the log grid 1e-6 .. 1e2, 25 points")
    d, r = f["dynamic_range"], f["dynrange_response"]
    check(d.shape == (2, 1, 1, 3, 1), "dynamic_range shape %s" % (d.shape,))
    check(r.shape == (2, 1, 1, 3, 1, N_Q), "dynrange_response shape %s" % (r.shape,))
    check(r.dims[5][0].name == "/dynrange_q", "dynrange_response's trailing scale is dynrange_q")
    check(d.attrs["units"] in (b"dB", "dB"), "dynamic_range in dB")


def check_values(f):
    q = f["dynrange_q"][...]
    D = f["dynamic_range"][...][:, 0, 0, :, 0]
    R = f["dynrange_response"][...][:, 0, 0, :, 0, :]
    notes = f["dynrange_note"][...][:, 0, 0, :, 0]
    note = lambda a, s: b"".join(notes[a, s]).decode()  # noqa: E731
    grid, cont = delta_on_grid(q, np.sqrt(q)), delta_continuum()
    print("closed forms: on the grid %.6f dB, continuum %.6f dB" % (grid, cont))
    for s, sw in enumerate((0.5, 1.0, 2.0)):
        c = R[0, s] / np.sqrt(q)
        spread = float(np.max(np.abs(c / c.mean() - 1)))
        print("linear sigma_w2 = %.1f: Delta = %.6f dB, R/sqrt(q) spread %.2e" % (sw, D[0, s], spread))
        check(abs(D[0, s] - grid) < 1e-4, "linear sigma_w2 %.1f: Delta = grid closed form" % sw)
        check(abs(D[0, s] - cont) < 0.25, "linear sigma_w2 %.1f: Delta near the continuum" % sw)
        check(spread < 1e-5, "linear sigma_w2 %.1f: R proportional to sqrt(q)" % sw)
    for s, sw in enumerate((0.5, 1.0, 2.0)):
        print("tanh sigma_w2 = %.1f: Delta = %s dB, note %r" % (sw, D[1, s], note(1, s)))
    check(np.isfinite(D[1, :2]).all(), "tanh, ordered and critical: Delta finite")
    check(np.isnan(D[1, 2]) and note(1, 2).startswith("response saturated"),
          "tanh sigma_w2 2.0 (chaotic): Delta NaN with its note")
    check(note(0, 0) == "", "linear: no note")


def trained(tmp, depth, enabled):
    path = os.path.join(tmp, "tr.yaml")
    text = SWEEP.replace("  activation: [linear, tanh]", "  activation: [tanh]")
    text = text.replace("  sigma_w2: [0.5, 1.0, 2.0]", "  sigma_w2: [1.0]")
    text = text.replace("  depth: 30\n", "  depth: 0\n").replace("  depth: 2\n", "  depth: %d\n" % depth)
    text = text.replace("  enabled: false", "  enabled: %s" % ("true" if enabled else "false"))
    with open(path, "w") as f:
        f.write(text)
    out = os.path.join(tmp, "tr%d%d.h5" % (depth, enabled))
    run(["run", path, "-o", out], tmp)
    with h5py.File(out, "r") as f:
        return [float(f[k][...].ravel()[0]) for k in
                ("branching_trained", "lyapunov_trained", "inactive_fraction_trained",
                 "test_accuracy")]


def check_trained(tmp):
    m, lam, inact, acc = trained(tmp, 2, True)
    print("trained (2 hidden layers): m = %.4f, lambda_0 = %.4f, inactive %.4f, accuracy %.3f"
          % (m, lam, inact, acc))
    check(math.isfinite(m) and m > 0 and math.isfinite(lam), "trained m and lambda_0 finite")
    check(0 <= inact <= 1, "trained inactive share in [0, 1]")
    m1, lam1, inact1, _ = trained(tmp, 1, True)
    check(math.isnan(m1) and math.isnan(lam1) and math.isfinite(inact1),
          "one hidden layer: m and lambda_0 NaN, inactive share %.4f" % inact1)
    off = trained(tmp, 2, False)
    check(all(math.isnan(v) for v in off), "training off: all NaN")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        check_hash(tmp)
        path = os.path.join(tmp, "dr.yaml")
        with open(path, "w") as f:
            f.write(SWEEP)
        out = os.path.join(tmp, "dr.h5")
        run(["run", path, "-o", out], tmp)
        with h5py.File(out, "r") as f:
            check_layout(f)
            check_values(f)
        check_trained(tmp)
    if failures:
        print("FAIL: %d check(s)" % len(failures))
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""make_synthetic_results.py — writes a small results file in the schema of
include/critsweep/store.h with made-up but smooth numbers (a peaked mean size, an
accuracy ridge, some pending and failed tasks), for developing and testing the phase
diagrams without running a sweep.

usage: make_synthetic_results.py OUT.h5 [--widths 32,64,128] [--pending 0.1] [--seed 1]
       [--widom-true 0.9,1.2 --noise 0.5 --acc-noise 0.005 --truth OUT.json]

With --widom-true (one σ_w² per σ_b²) the file has a known truth for the claim test's
coverage (tests/interop/test_claim_coverage.py): the seed-free mean size is
S̄(σ_w²) = 1 + HEIGHT (1 + tanh((σ_w² − x*_b)/STEP)) / 2, whose derivative χ peaks exactly
at x*_b, plus Normal(0, noise²) per seed; the accuracy is 0.85 − 0.4 (σ_w² − x*_b − 0.1)²
plus Normal(0, acc_noise²) per seed.  --truth writes the true Widom line, the true χ on
the grid, the noise-free accuracy and −|χ_1 − 1| of every cell as JSON (the true ρ's are
Spearman correlations of those noise-free cell means).
"""
import argparse
import datetime
import json

import h5py
import numpy as np

VLEN = h5py.string_dtype("utf-8")


def attrs(d, units, long_name, description):
    d.attrs.create("units", units, dtype=VLEN)
    d.attrs.create("long_name", long_name, dtype=VLEN)
    d.attrs.create("description", description, dtype=VLEN)


def chi1_tanh(sw2, sb2):
    z, w = np.polynomial.hermite_e.hermegauss(101)
    w = w / w.sum()
    q = 1.0
    for _ in range(500):
        q = sw2 * np.sum(w * np.tanh(np.sqrt(q) * z) ** 2) + sb2
    return sw2 * np.sum(w / np.cosh(np.sqrt(q) * z) ** 4)


HEIGHT, STEP = 20.0, 0.15


def known_truth(a, rng, shape, sb2, sw2):
    """S_mean and test_accuracy per task around the known truth (see the docstring)."""
    xs = np.array([float(x) for x in a.widom_true.split(",")])
    assert len(xs) == len(sb2), "--widom-true needs one value per sigma_b2"
    x = sw2[None, None, None, :, None]
    c = xs[None, None, :, None, None]
    smean = 1.0 + HEIGHT * (1 + np.tanh((x - c) / STEP)) / 2 + a.noise * rng.standard_normal(shape)
    acc = 0.85 - 0.4 * (x - c - 0.1) ** 2 + a.acc_noise * rng.standard_normal(shape)
    return smean, acc


def write_truth(a, acts, sb2, sw2, chi1):
    """The truths of the noise-free cell means, per (activation, width)."""
    xs = np.array([float(x) for x in a.widom_true.split(",")])
    x, c = sw2[None, :], xs[:, None]
    chi = HEIGHT / (2 * STEP) / np.cosh((x - c) / STEP) ** 2
    acc = 0.85 - 0.4 * (x - c - 0.1) ** 2
    truth = {"widom_sigma_w2": xs.tolist(), "chi": chi.tolist(), "accuracy": acc.tolist(),
             "accuracy_ridge_sigma_w2": (xs + 0.1).tolist(), "edgeness": []}
    for ai in range(chi1.shape[0]):
        truth["edgeness"].append([(-np.abs(chi1[ai, wi] - 1)).tolist()
                                  for wi in range(chi1.shape[1])])
    with open(a.truth, "w") as f:
        json.dump(truth, f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--widths", default="32,64,128")
    ap.add_argument("--activations", default="tanh,relu")
    ap.add_argument("--sigma-b2", default="0,0.05,0.1")
    ap.add_argument("--sigma-w2", default="0.5,0.8,1.0,1.1,1.2,1.4,1.7,2.0,2.5")
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--pending", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--widom-true", help="known Widom line, one sigma_w2 per sigma_b2")
    ap.add_argument("--noise", type=float, default=0.5, help="seed noise of S_mean")
    ap.add_argument("--acc-noise", type=float, default=0.005, help="seed noise of accuracy")
    ap.add_argument("--truth", help="JSON file for the known truths (with --widom-true)")
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    acts = a.activations.split(",")
    widths = np.array([int(x) for x in a.widths.split(",")], dtype=np.int32)
    sb2 = np.array([float(x) for x in a.sigma_b2.split(",")])
    sw2 = np.array([float(x) for x in a.sigma_w2.split(",")])
    seeds = np.arange(a.seeds, dtype=np.int64)
    L, epochs, pd = 40, 3, 4
    shape = (len(acts), len(widths), len(sb2), len(sw2), len(seeds))

    with h5py.File(a.out, "w") as f:
        f.attrs["critsweep_version"] = "0.1.0"
        f.attrs["sweep_yaml"] = "name: synthetic\n"
        f.attrs["sweep_hash"] = "0123456789abcdef"
        f.attrs["sweep_name"] = "synthetic"
        f.attrs["created"] = datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
        f.attrs["L_max"] = L
        f.attrs["q0"] = 0.1
        f.attrs["convention"] = "reference"
        f.attrs["mode"] = "difference"
        coords = {
            "activation": np.array(acts, dtype=object),
            "width": widths, "sigma_b2": sb2, "sigma_w2": sw2, "seed": seeds,
            "epoch": np.arange(1, epochs + 1, dtype=np.int32),
            "duration": np.arange(L, dtype=np.int32),
            "size_bin": np.logspace(-3, 7, 80),
            "shape_duration": np.arange(pd, dtype=np.int32) + 6,
            "profile_x": np.linspace(0, 1, 50),
        }
        for k, v in coords.items():
            d = f.create_dataset(k, data=v, dtype=VLEN if k == "activation" else v.dtype)
            d.make_scale(k)
        dims = ["activation", "width", "sigma_b2", "sigma_w2", "seed"]

        def make(name, dtype, fill, extra=(), units="1", long_name=None):
            d = f.create_dataset(name, shape=shape + tuple(len(coords[e]) for e in extra),
                                 dtype=dtype, fillvalue=fill)
            for i, dn in enumerate(dims + list(extra)):
                d.dims[i].attach_scale(f[dn])
            attrs(d, units, long_name or name, "synthetic " + name)
            return d

        # Cell-level truths: a size peak near the edge of chaos shifted by 1/N.
        A, W, B, S, K = np.meshgrid(np.arange(len(acts)), widths, sb2, sw2, seeds, indexing="ij")
        centre = np.where(np.array(acts)[A] == "relu", 2.0, 1.0 + 2.0 * B) + 3.0 / W
        smean = 1.0 + 5.0 * np.log2(W) * np.exp(-((S - centre) / 0.35) ** 2) \
            + 0.2 * rng.standard_normal(shape)
        acc = 0.85 - 0.2 * (S - centre - 0.1) ** 2 + 0.01 * rng.standard_normal(shape)
        if a.widom_true:
            smean, acc = known_truth(a, rng, shape, sb2, sw2)
        chi1 = np.zeros(shape)
        cache = {}
        for idx in np.ndindex(shape[:4]):
            if acts[idx[0]] == "relu":
                c = sw2[idx[3]] / 2
            else:
                key = (idx[3], idx[2])
                if key not in cache:
                    cache[key] = chi1_tanh(sw2[idx[3]], sb2[idx[2]])
                c = cache[key]
            chi1[idx] = c
        status = np.ones(shape, dtype=np.int8)
        u = rng.random(shape)
        status[u < a.pending] = 0
        status[(u >= a.pending) & (u < a.pending + 0.02)] = 2
        done = status == 1
        status[0, 0, 0, 0, :] = 0        # one cell wholly pending
        done = status == 1

        def put(name, val, **kw):
            d = make(name, "f8", np.nan, **kw)
            d[...] = np.where(done, val, np.nan)

        put("S_mean", smean, units="1", long_name="mean avalanche size")
        put("S_mean_absorbed", smean * 0.9)
        put("D_mean", smean * 0.5)
        put("P_surv", 1 / (1 + np.exp(-(S - centre) * 8)))
        put("tau_s", 1.5 + 0.05 * rng.standard_normal(shape))
        put("tau_s_err", np.full(shape, 0.01))
        put("tau_d", 2.0 + 0.05 * rng.standard_normal(shape))
        put("tau_d_err", np.full(shape, 0.02))
        put("xmin_s", np.full(shape, 0.5))
        put("xmin_d", np.full(shape, 5.0))
        put("gamma", 2.0 + 0.05 * rng.standard_normal(shape))
        put("gamma_err", np.full(shape, 0.03))
        put("gamma_pred", np.full(shape, 2.0))
        put("gamma_shape", np.full(shape, 1.9))
        put("gamma_shape_err", np.full(shape, 0.05))
        put("branching", chi1 ** 0.5)
        put("lyapunov", 0.5 * np.log(chi1))
        put("avalanches_per_s", np.full(shape, 1e5))
        put("q_star", np.full(shape, 0.3))
        put("chi1", chi1)
        put("xi_c", -1 / np.log(np.where(chi1 < 1, chi1, np.nan)))
        put("test_accuracy", acc)
        put("train_loss", 1 - acc)
        put("samples_per_s", np.full(shape, 1e4))
        put("seconds", np.full(shape, 1.0))
        # Sufficient statistics consistent with tau_s = 1 + n / sum_log.
        nts = np.full(shape, 1000.0)
        put("n_tail_s", nts)
        put("sum_log_s", nts / 0.5)
        for name, val in (("n_inputs", 1000), ("n_recorded", 900), ("n_survived", 10),
                          ("diverged_epoch", -1)):
            d = make(name, "i8", -1)
            d[...] = np.where(done, val, -1)
        d = make("status", "i1", 0)
        d[...] = status
        d = make("attempts", "i4", 0)
        d[...] = (status != 0).astype(np.int32)
        # netCDF char layout, as store.h: one byte per element over a trailing reason_char
        d = f.create_dataset("failure_reason", shape=shape + (160,), dtype="S1")
        for i, dn in enumerate(dims):
            d.dims[i].attach_scale(f[dn])
        attrs(d, "1", "failure reason", "why a task failed")
        dd = make("test_accuracy_per_epoch", "f8", np.nan, extra=("epoch",))
        dd[...] = np.where(done[..., None], acc[..., None] * np.linspace(0.9, 1, epochs), np.nan)
        dd = make("train_loss_per_epoch", "f8", np.nan, extra=("epoch",))
        dd[...] = np.where(done[..., None], 1 - acc[..., None], np.nan)
        make("S_hist", "f8", np.nan, extra=("size_bin",))
        Dc = np.zeros(shape + (L,))
        Dc[..., 5:30] = 1000.0 / np.arange(5, 30) ** 2
        for name in ("D_count", "gcount", "gsum_S", "gsum_log10S", "gsum_log10S2"):
            dd = make(name, "f8", np.nan, extra=("duration",))
            dd[...] = np.where(done[..., None], Dc, np.nan)
        make("profile", "f8", np.nan, extra=("shape_duration", "profile_x"))
        make("profile_count", "f8", np.nan, extra=("shape_duration",))
        # fixed-length strings, as store.h (CS_RUN_STR = 32)
        rt = np.dtype([("start", "S32"), ("end", "S32"), ("ranks", "<i4"), ("tasks_done", "<i8"),
                       ("slurm_job_id", "S32"), ("exit_state", "S32")])
        runs = f.create_dataset("runs", shape=(1,), maxshape=(None,), dtype=rt, chunks=(16,))
        runs[0] = ("2026-01-01T00:00:00Z", "2026-01-01T00:01:00Z", 3, int(done.sum()), "",
                   "complete")
    if a.widom_true and a.truth:
        write_truth(a, acts, sb2, sw2, chi1[..., 0])
    print(f"{a.out}: {int(done.sum())} done, {int((status == 0).sum())} pending, "
          f"{int((status == 2).sum())} failed of {status.size}")


if __name__ == "__main__":
    main()

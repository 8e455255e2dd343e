#!/usr/bin/python3
"""test_claim_coverage.py — do the claim test's 95 % intervals cover the truth?

R synthetic sweeps (make_synthetic_results.py --widom-true) with a known Widom line
(S̄ a tanh step whose derivative peaks exactly at σ_w²* = 1.0 and 1.2 at the two σ_b²)
and a known accuracy, each with fresh Gaussian seed noise (6 seeds); `critsweep phase
--claim-only --no-write` on each, reading lines.csv and claim_test.csv.  Checked:
  * the 95 % interval of widom_sigma_w2 covers the true σ_w²* in >= 90 % of the
    (replicate, σ_b²) cases;
  * the 95 % interval of spearman_acc_edge covers the true ρ_edge — Spearman of the
    noise-free cell accuracies with −|χ_1 − 1| (χ_1 exact in the file) over the cells the
    file has — in >= 90 % of replicates.
Also printed, not asserted: the coverage of the accuracy ridge and of ρ_χ against
Spearman(noise-free accuracy, true χ); ρ_χ is computed from the smoothed χ, whose bias
(the local fit flattens the peak) a percentile bootstrap does not move, so its coverage
is a measurement, not a contract.
R = 100 synthetic sweeps (not 200: each takes a second) with 500 bootstrap replicates each
(--replicates 500, not the
default 1000, so that the test takes about two minutes on one core); set
CLAIM_COVERAGE_R to change R (CLAIM_COVERAGE_BOOT the replicates).  Run: CRITSWEEP=build/critsweep /usr/bin/python3 THIS
"""
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.stats

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CRIT = os.environ.get("CRITSWEEP", os.path.join(ROOT, "build", "critsweep"))
MAKER = os.path.join(ROOT, "tests", "interop", "make_synthetic_results.py")
R = int(os.environ.get("CLAIM_COVERAGE_R", "100"))
BOOT = int(os.environ.get("CLAIM_COVERAGE_BOOT", "500"))
NEED = 0.90
WIDOM = "1.0,1.2"
SW2 = ",".join("%.3f" % (0.6 + 0.025 * i) for i in range(33))


def read_csv(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def one(tmp, k):
    """One synthetic sweep through phase: (widom cover per σ_b², ridge cover per σ_b²,
    rho_edge cover, rho_chi cover, widom widths)."""
    h5, truth, out = (os.path.join(tmp, f"s{k}{e}") for e in (".h5", ".json", "-claim"))
    subprocess.run([sys.executable, MAKER, h5, "--widths", "32", "--activations", "tanh",
                    "--sigma-b2", "0,0.1", "--sigma-w2", SW2, "--seeds", "6", "--pending", "0",
                    "--seed", str(1000 + k), "--widom-true", WIDOM, "--truth", truth],
                   check=True, capture_output=True)
    p = subprocess.run([CRIT, "phase", h5, "--no-write", "--claim-only", "-o", out,
                        "--replicates", str(BOOT)], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"phase on {h5}: exit {p.returncode}: {p.stderr}")
    with open(truth) as f:
        t = json.load(f)
    lines = read_csv(os.path.join(out, "lines.csv"))
    claim = read_csv(os.path.join(out, "claim_test.csv"))[0]
    cover = lambda lo, hi, x: float(lo) <= x <= float(hi)
    widom = [cover(r["widom_sigma_w2_lo"], r["widom_sigma_w2_hi"], x)
             for r, x in zip(lines, t["widom_sigma_w2"])]
    ridge = [cover(r["accuracy_ridge_sigma_w2_lo"], r["accuracy_ridge_sigma_w2_hi"], x)
             for r, x in zip(lines, t["accuracy_ridge_sigma_w2"])]
    width = [float(r["widom_sigma_w2_hi"]) - float(r["widom_sigma_w2_lo"]) for r in lines]
    # The true ρ over the cells the file has (the maker leaves one cell wholly pending
    # and fails 2 % of the tasks at random).
    import h5py
    with h5py.File(h5, "r") as f:
        has = (f["status"][...] == 1).any(-1)[0, 0]
    acc = np.array(t["accuracy"])[has]
    rho_edge = scipy.stats.spearmanr(acc, np.array(t["edgeness"][0][0])[has]).correlation
    rho_chi = scipy.stats.spearmanr(acc, np.array(t["chi"])[has]).correlation
    return (widom, ridge, cover(claim["spearman_acc_edge_lo"], claim["spearman_acc_edge_hi"], rho_edge),
            cover(claim["spearman_acc_chi_lo"], claim["spearman_acc_chi_hi"], rho_chi), width,
            float(claim["spearman_acc_chi"]) - rho_chi)


def main():
    if not os.access(CRIT, os.X_OK):
        print(f"{CRIT} not built")
        return 1
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="claim-coverage-") as tmp:
        with ThreadPoolExecutor(max_workers=1) as ex:
            res = list(ex.map(lambda k: one(tmp, k), range(R)))
    widom = np.array([r[0] for r in res])           # (R, B)
    ridge = np.array([r[1] for r in res])
    edge = np.array([r[2] for r in res])
    chi = np.array([r[3] for r in res])
    width = np.array([r[4] for r in res])
    bias = np.array([r[5] for r in res])
    print(f"{R} synthetic sweeps x {BOOT} bootstrap replicates in {time.time() - t0:.0f} s")
    for b, x in enumerate(WIDOM.split(",")):
        print(f"  widom_sigma_w2 at sigma_b2 #{b} (true {x}): covered in "
              f"{100 * widom[:, b].mean():.1f} %, median interval width {np.median(width[:, b]):.4f}")
    print(f"  widom_sigma_w2 overall: {100 * widom.mean():.1f} % (need >= {100 * NEED:.0f} %)")
    print(f"  spearman_acc_edge (true rho of noise-free means): {100 * edge.mean():.1f} % "
          f"(need >= {100 * NEED:.0f} %)")
    print(f"  accuracy_ridge_sigma_w2 (reported): {100 * ridge.mean():.1f} %")
    print(f"  spearman_acc_chi vs Spearman(true accuracy, true chi) (reported): "
          f"{100 * chi.mean():.1f} %, mean estimate - truth {bias.mean():+.4f}")
    bad = []
    if widom.mean() < NEED:
        bad.append(f"widom_sigma_w2 intervals cover the truth in {100 * widom.mean():.1f} %")
    if edge.mean() < NEED:
        bad.append(f"spearman_acc_edge intervals cover the truth in {100 * edge.mean():.1f} %")
    if bad:
        print("FAIL: " + "; ".join(bad))
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())

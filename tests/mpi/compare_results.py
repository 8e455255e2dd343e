#!/usr/bin/python3
"""compare_results.py A.h5 B.h5 [--exclude NAME...] — independent check (h5py/NumPy) that
two critsweep results files hold identical data: every dataset but the excluded ones
bit-for-bit (NaN equals NaN), and every root attribute but `created` (and excluded
names).  Prints the largest
absolute difference over the float datasets; exit 1 if anything differs."""
import argparse
import sys

import h5py
import numpy as np


# Root attributes added since 0.2.0: a file of an older release lacks them.
ADDED_ROOT_ATTRS = {"engine_revision"}
# Derived datasets a later release adds (0.2.0's files lack them; the validator and phase
# treat them as optional there), and the derived datasets whose definition changed after
# 0.2.0: chi is the noise-aware local-fit slope (0.2.0's numpy.gradient χ is chi_fd now),
# and the Widom line, χ_max, the accuracy ridge and the claim statistics follow it.
ADDED_DERIVED = {
    "chi_fd", "chi_bandwidth", "widom_sigma_w2_lo", "widom_sigma_w2_hi",
    "accuracy_ridge_sigma_w2_lo", "accuracy_ridge_sigma_w2_hi", "spearman_acc_chi_lo",
    "spearman_acc_chi_hi", "spearman_acc_edge_lo", "spearman_acc_edge_hi", "rho_diff",
    "rho_diff_lo", "rho_diff_hi", "rho_dist_widom", "rho_dist_widom_lo", "rho_dist_widom_hi",
    "rho_dist_edge", "rho_dist_edge_lo", "rho_dist_edge_hi", "rho_dist_diff",
    "rho_dist_diff_lo", "rho_dist_diff_hi", "ridge_dist_widom_lo", "ridge_dist_widom_hi",
    "ridge_dist_edge_lo", "ridge_dist_edge_hi", "claim_verdict", "claim_verdict_dist"}
# Per-task quantities added after 0.2.0 (quantity.h: QUANTITY_FIRST_AFTER_0_2_0 on) and
# the dynamic range's trailing coordinate: every fresh file has them (NaN where off), a
# 0.2.0 file, also once resumed by this build, does not.
ADDED_QUANTITIES = {"dynamic_range", "dynrange_note", "dynrange_response", "dynrange_q",
                    "branching_trained", "lyapunov_trained", "inactive_fraction_trained"}
ADDED_DATASETS = ADDED_DERIVED | ADDED_QUANTITIES
REDEFINED_DERIVED = {"chi", "widom_sigma_w2", "chi_max", "accuracy_ridge_sigma_w2",
                     "spearman_acc_chi", "ridge_dist_widom", "ridge_dist_edge"}

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--exclude", nargs="*", default=[])
    o = ap.parse_args()
    bad = []
    largest = 0.0
    where = "-"
    with h5py.File(o.a, "r") as fa, h5py.File(o.b, "r") as fb:
        names = sorted(k for k in fa if isinstance(fa[k], h5py.Dataset))
        other = set(k for k in fb if isinstance(fb[k], h5py.Dataset))
        # A release before the derived datasets were added wrote one of the files.
        extra = (set(names) ^ other) - ADDED_DATASETS
        if extra:
            bad.append("dataset lists differ: %s" % sorted(extra))
        names = [k for k in names if k in other]
        for k in set(fa.attrs) | set(fb.attrs):
            if k == "created" or k in o.exclude:
                continue
            if k in ADDED_ROOT_ATTRS and (k not in fa.attrs or k not in fb.attrs):
                continue  # a release before the attribute wrote one of the files
            va, vb = fa.attrs.get(k), fb.attrs.get(k)
            if not np.array_equal(np.asarray(va), np.asarray(vb)):
                bad.append("root attribute %s: %r vs %r" % (k, va, vb))
        for k in names:
            if k in o.exclude or k not in fb:
                continue
            for an in set(fa[k].attrs) | set(fb[k].attrs):
                if an in ("REFERENCE_LIST", "DIMENSION_LIST"):
                    continue  # object references: file addresses, compared via h5diff
                va, vb = fa[k].attrs.get(an), fb[k].attrs.get(an)
                if not np.array_equal(np.asarray(va), np.asarray(vb)):
                    bad.append("%s attribute %s: %r vs %r" % (k, an, va, vb))
            x, y = fa[k][()], fb[k][()]
            if x.shape != y.shape or x.dtype != y.dtype:
                bad.append("%s: shape/dtype %s %s vs %s %s" % (k, x.shape, x.dtype, y.shape, y.dtype))
                continue
            if x.dtype.kind == "f":
                same = np.array_equal(x, y, equal_nan=True)
                both = np.isfinite(x) & np.isfinite(y)
                if both.any():
                    d = float(np.max(np.abs(x[both] - y[both])))
                    if d > largest:
                        largest, where = d, k
                if not np.array_equal(np.isnan(x), np.isnan(y)):
                    same = False
            else:
                same = np.array_equal(x, y)
            if not same:
                bad.append("%s differs" % k)
        print("compared %d datasets (excluded: %s); largest |difference| %.3g (%s)"
              % (len(names) - len([n for n in names if n in o.exclude]), " ".join(o.exclude),
                 largest, where))
    for b in bad:
        print("DIFF:", b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

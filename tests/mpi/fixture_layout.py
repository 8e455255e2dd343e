#!/usr/bin/python3
"""fixture_layout.py FIXTURE.h5 NEW.h5 [--done-of INTERRUPTED.h5] — the results-file
contract against a file written by an earlier release: the same datasets with the same
shapes, types and attributes, the same coordinates and root attributes (but `created`,
and the stored YAML text with its checksum: the fixtures were written with --set
output.file), every task done.  With --done-of, every task the interrupted file had
finished keeps its row bit-for-bit (resuming rewrote nothing) and the root attributes
are that file's, the YAML text included.  Exit 1 on any difference."""
import argparse
import sys

import h5py
import numpy as np

TIMING = {"seconds", "avalanches_per_s", "samples_per_s", "runs", "run", "checksum", "attempts"}
REFS = {"REFERENCE_LIST", "DIMENSION_LIST"}


from since_020 import ADDED_DATASETS, ADDED_ROOT_ATTRS, REDEFINED_DERIVED


def same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind == "f" and b.dtype.kind == "f":
        return a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
    return np.array_equal(a, b)


# Training's outputs, and what phase derives from them (machine-dependent, see the test).
TRAINING = {"test_accuracy", "test_accuracy_per_epoch", "train_loss", "train_loss_per_epoch",
            "diverged_epoch", "samples_per_s", "accuracy_ridge_sigma_w2", "spearman_acc_chi",
            "spearman_acc_edge", "ridge_dist_widom", "ridge_dist_edge", "n_spearman_acc_chi",
            "n_spearman_acc_edge", "status", "failure_reason"}


def compare_avalanche_data(fa, fb, names, bad):
    """Every dataset but timings and training's bit for bit; gamma_shape_err within 1e-12
    (its bootstrap sums through libm, whose code path follows the CPU)."""
    n = 0
    for k in sorted(names - TIMING - TRAINING - REDEFINED_DERIVED):
        a, b = fa[k][...], fb[k][...]
        if k == "gamma_shape_err":
            ok = a.shape == b.shape and np.allclose(a, b, rtol=1e-12, atol=0, equal_nan=True)
        else:
            ok = same(a, b)
        if ok:
            n += 1
        else:
            bad.append("%s: avalanche data differ from the fixture's" % k)
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--done-of")
    ap.add_argument("--avalanche-data", action="store_true",
                    help="also compare every dataset that training does not touch, bit for bit")
    o = ap.parse_args()
    bad = []
    with h5py.File(o.old, "r") as fa, h5py.File(o.new, "r") as fb:
        da = {k for k in fa if isinstance(fa[k], h5py.Dataset)}
        db = {k for k in fb if isinstance(fb[k], h5py.Dataset)}
        # (a 0.2.0 file resumed by this build keeps 0.2.0's set: both are the contract)
        if da - ADDED_DATASETS != db - ADDED_DATASETS:
            bad.append("dataset lists differ: %s" % sorted((da ^ db) - ADDED_DATASETS))
        for k in sorted(set(fa.attrs) | set(fb.attrs)):
            if k in ADDED_ROOT_ATTRS and k not in fa.attrs:
                continue  # written since the old file's release: the contract grew
            if k not in ("created", "sweep_yaml", "schema_crc32") and not same(fa.attrs.get(k), fb.attrs.get(k)):
                bad.append("root attribute %s: %.60r vs %.60r" % (k, fa.attrs.get(k), fb.attrs.get(k)))
        for k in sorted(da & db):
            a, b = fa[k], fb[k]
            if a.shape != b.shape or a.dtype != b.dtype:
                bad.append("%s: %s %s vs %s %s" % (k, a.shape, a.dtype, b.shape, b.dtype))
                continue
            for an in sorted((set(a.attrs) | set(b.attrs)) - REFS):
                if k in REDEFINED_DERIVED and an in ("description", "long_name"):
                    continue  # the definition changed; its text says how
                if not same(a.attrs.get(an), b.attrs.get(an)):
                    bad.append("%s attribute %s differs" % (k, an))
            if a.ndim == 1 and k not in TIMING and not same(a[...], b[...]):
                bad.append("coordinate %s differs" % k)
        if not np.all(fb["status"][...] == 1):
            bad.append("not every task of %s is done" % o.new)
        kept = 0
        if o.done_of:
            with h5py.File(o.done_of, "r") as fi:
                for k in sorted(set(fi.attrs) | set(fb.attrs)):
                    if k != "created" and not same(fi.attrs.get(k), fb.attrs.get(k)):
                        bad.append("root attribute %s changed on resuming" % k)
                done = fi["status"][...] == 1
                kept = int(done.sum())
                for k in sorted(da & db - TIMING):
                    if fi[k].ndim >= done.ndim and fi[k].shape[:done.ndim] == done.shape:
                        if not same(fi[k][...][done], fb[k][...][done]):
                            bad.append("%s: a task finished before the interruption changed" % k)
        if o.avalanche_data:
            n_same = compare_avalanche_data(fa, fb, da & db, bad)
    for b in bad[:30]:
        print("  " + b)
    if bad:
        print("FAIL: %d differences between %s and %s" % (len(bad), o.old, o.new))
        return 1
    print("layout of %s = %s (%d datasets)%s%s" % (o.new, o.old, len(da),
          "; %d finished tasks kept bit-for-bit" % kept if o.done_of else "",
          "; %d avalanche datasets bit-for-bit" % n_same if o.avalanche_data else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())

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


from since_020 import ADDED_DATASETS, ADDED_ROOT_ATTRS


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

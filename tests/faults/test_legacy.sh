#!/bin/bash
# test_legacy.sh — a results file written by critsweep 0.1.0 (tests/faults/fixtures:
# the tiny sweep with training off and 6000 inputs per task, stopped by SIGTERM with 11
# of 32 tasks done).  Promised: status reads it and reports its rows as unverified (no
# checksums), not as damage; run resumes and completes it; every task row then equals a
# fresh run's of the same sweep by this version; phase renders it without writing into
# it (0.1.0 reserved no space for the derived tables).
source "$(dirname "$0")/lib.sh"

# The sweep as 0.1.0 ran it (no engine key: auto now); the fresh comparison run is dense,
# the engine 0.1.0 had and the resume adopts.
slow=(--set avalanche.inputs=6000)
dense=(--set avalanche.engine=dense)
old=$tmp/old.h5
cp "$root/tests/faults/fixtures/tiny-0.1.0-interrupted.h5" "$old"

begin_case "status of a 0.1.0 file"
"$CRITSWEEP" status "$old" --verify >"$tmp/st" 2>&1
rc=$?
check "exit 0 (got $rc)" test "$rc" = 0
check "rows reported as unverified" grep -q "unverified" "$tmp/st"
check "11 done, 21 pending" grep -q "done 11, diverged 0, failed 0, pending 21" "$tmp/st"

begin_case "resume of a 0.1.0 file"
"$CRITSWEEP" run "$sweep" "${SET[@]}" "${slow[@]}" -o "$old" >"$tmp/run" 2>&1
rc=$?
check "exit 0 (got $rc)" test "$rc" = 0
check "it says the rows are unverified" grep -q "unverified" "$tmp/run"
check "it resumes with the dense engine, as 0.1.0 computed" grep -q "resuming it with avalanche.engine dense" "$tmp/run"
check "21 tasks ran" grep -q "21 completed in this run" "$tmp/run"
"$CRITSWEEP" run "$sweep" "${SET[@]}" "${slow[@]}" "${dense[@]}" -o "$tmp/new.h5" >/dev/null 2>&1 || die "fresh run failed"
"$PYTHON" - "$old" "$tmp/new.h5" "$root/tests/faults/fixtures/tiny-0.1.0-interrupted.h5" >"$tmp/cmp" 2>&1 <<'PY'
# Rows this version computed must equal a fresh run's bit for bit.  Rows 0.1.0 computed
# came from another build (the fixture's: portable -Dnative=false; here -march=native,
# whose fused multiply-adds round differently), so they agree to rounding: counts
# exactly, floats to 1e-4 relative (float32 layers: largest seen 1e-5).
import sys, h5py, numpy as np
machine = {"seconds", "avalanches_per_s", "samples_per_s", "attempts", "runs", "run", "checksum"}
with h5py.File(sys.argv[1], "r") as a, h5py.File(sys.argv[2], "r") as b, h5py.File(sys.argv[3], "r") as o:
    assert (a["status"][()] == 1).all(), "not complete"
    old = o["status"][()] == 1
    n, worst = 0, 0.0
    for name in a:
        d = a[name]
        if name in machine or not isinstance(d, h5py.Dataset) or d.ndim < 5 or name not in b:
            continue
        x, y = d[()], b[name][()]
        xn, yn = x[~old], y[~old]
        same = np.array_equal(xn, yn, equal_nan=True) if x.dtype.kind == "f" else np.array_equal(xn, yn)
        assert same, "%s: a row computed by this version differs from a fresh run's" % name
        xo, yo = x[old], y[old]
        if name == "lyapunov":
            n += 1
            continue  # 0.2.0 takes it along a driven trajectory (README §7); 0.1.0 rode the baseline
        fit = name.startswith(("tau_", "gamma"))
        if fit:
            # 0.2.0 leaves a fit of a degenerate sample NaN (README §4); 0.1.0 fitted it
            keep = np.isfinite(yo)
            xo, yo = xo[keep], yo[keep]
        if x.dtype.kind == "f":
            f = np.isfinite(xo) & np.isfinite(yo)
            assert np.array_equal(xo[~f], yo[~f], equal_nan=True), "%s: NaN/inf differ" % name
            rel = np.abs(xo[f] - yo[f]) / np.maximum(np.abs(yo[f]), 1e-300)
            r = float(rel.max()) if rel.size else 0.0
            assert r <= 1e-4, "%s: a 0.1.0 row differs by %g relative" % (name, r)
            worst = max(worst, r)
        else:
            assert np.array_equal(xo, yo), "%s: a 0.1.0 row's counts differ" % name
        n += 1
    print("%d per-task datasets: rows computed now equal a fresh run's bit for bit; 0.1.0's "
          "rows agree to %.2g relative" % (n, worst))
    assert n >= 40, n
PY
rc=$?
cat "$tmp/cmp"
check "the completed file holds a fresh run's science" test "$rc" = 0

begin_case "phase on a 0.1.0 file"
cp "$root/tests/faults/fixtures/tiny-0.1.0-interrupted.h5" "$tmp/old2.h5"
h0=$(sha256sum <"$tmp/old2.h5")
"$CRITSWEEP" phase "$tmp/old2.h5" -o "$tmp/fig" >"$tmp/ph" 2>&1
rc=$?
check "exit 0 (got $rc)" test "$rc" = 0
check "figures rendered" test -n "$(ls "$tmp/fig"/*.png 2>/dev/null)"
check "the file is not changed" test "$h0" = "$(sha256sum <"$tmp/old2.h5")"

finish "0.1.0 files"

#!/bin/bash
# test_quick_sweep.sh — the README's demo sweep (sweeps/quick.yaml), as the demo runs it:
#   1. on 2 workers and on 1 worker: identical result datasets (h5diff + NumPy);
#   2. every task done, and the science visible: deep in the ordered phase the 24-layer
#      network cannot learn (accuracy near chance), near the edge of chaos it does, and
#      the mean avalanche size grows by orders of magnitude across the edge;
#   3. `critsweep phase` renders its figures, and every number behind them matches an
#      independent NumPy/SciPy computation (tests/interop/test_phase_numbers.py).
source "$(dirname "$0")/common.sh"
quick=$root/sweeps/quick.yaml

# Both runs at once (three workers on the two cores, unbound): their results do not
# depend on the schedule, and the wall time is that of the work, not the 1-worker run's.
t0=$SECONDS
mpirun -n 3 --oversubscribe --bind-to none "$CRITSWEEP" run "$quick" -o "$tmp/quick.h5" 2>"$tmp/w2.log" &
w2=$!
mpirun -n 2 --oversubscribe --bind-to none "$CRITSWEEP" run "$quick" -o "$tmp/quick1.h5" 2>"$tmp/w1.log"
rc1=$?
wait "$w2"
rc2=$?
echo "2 workers and 1 worker side by side: $((SECONDS - t0)) s"
(( rc2 == 0 )) || { tail "$tmp/w2.log"; die "2-worker run failed"; }
(( rc1 == 0 )) || { tail "$tmp/w1.log"; die "1-worker run failed"; }
same_results "$tmp/quick1.h5" "$tmp/quick.h5" || die "the quick sweep on 1 and 2 workers differs"

"$PYTHON" - "$tmp/quick.h5" <<'PY' || die "the quick sweep's science is not what it should be"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    st = f["status"][()]
    assert (st == 1).all(), f"not every task done: {np.bincount(st.ravel(), minlength=4)}"
    sw2 = f["sigma_w2"][()]
    acc = np.nanmean(f["test_accuracy"][()], axis=-1)[0]   # (width, sigma_b2, sigma_w2)
    S = np.nanmean(f["S_mean"][()], axis=-1)[0]
    edge = f["edge_sigma_w2"][()]
    print("sigma_w2       ", sw2)
    print("accuracy (N=64)", np.round(acc[1], 3).tolist())
    print("S_mean (N=64)  ", np.round(S[1], 1).tolist())
    ordered = acc[:, :, 0]                  # sigma_w2 = 0.6, far below the edge
    best = np.nanmax(acc, axis=-1)
    print("ordered-phase accuracy", np.round(ordered, 3).tolist(), "best", np.round(best, 3).tolist())
    assert (ordered < 0.3).all(), "the ordered phase learned; 24 layers should not"
    assert (best > 0.6).all(), "no initialisation learned"
    assert (S[..., -1] > 100 * np.maximum(S[..., 0], 0.1)).all(), "S_mean does not grow across the edge"
    print("edge of chaos (sigma_w2 per sigma_b2):", np.round(np.asarray(edge).ravel(), 3).tolist())
PY

"$PYTHON" "$root/tests/interop/test_phase_numbers.py" "$tmp/quick.h5" || die "phase figures or their numbers"
echo "PASS: quick sweep identical on 1 and 2 workers; ordered phase fails to learn; figures and numbers check"

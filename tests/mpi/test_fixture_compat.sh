#!/bin/bash
# test_fixture_compat.sh — files written by release 0.2.0 (tests/fixtures) against this
# build, on 3 ranks:
#  - the sweep hash of sweeps/quick.yaml is the one 0.2.0 wrote;
#  - a fresh run has the fixture's layout: datasets, shapes, types, attributes,
#    coordinates (fixture_layout.py);
#  - the interrupted fixture resumes to a complete file of that layout, every task it
#    had finished kept bit-for-bit;
#  - with CRITSWEEP_BASE (a build of the release, or of any earlier commit, on this
#    machine), the fresh and resumed files equal that build's dataset by dataset, except
#    timings, attempts, the runs table and `created`.  The fixture's own numbers come
#    from another CPU's BLAS kernels and are compared only with FIXTURE_SAME_MACHINE=1.
source "$(dirname "$0")/common.sh"
fixtures=$root/tests/fixtures
quick=$root/sweeps/quick.yaml
[[ -f $fixtures/quick-0.2.0.h5.gz && -f $fixtures/quick-0.2.0-interrupted.h5.gz ]] ||
  die "fixtures missing in $fixtures"
gunzip -c "$fixtures/quick-0.2.0.h5.gz" >"$tmp/complete.h5" || die "gunzip complete fixture"
gunzip -c "$fixtures/quick-0.2.0-interrupted.h5.gz" >"$tmp/interrupted.h5" ||
  die "gunzip interrupted fixture"
cd "$tmp" || die "cd $tmp"

want=$("$CRITSWEEP" check "$quick" --json | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["hash"])')
have=$("$PYTHON" -c 'import h5py,sys; print(h5py.File(sys.argv[1],"r").attrs["sweep_hash"])' "$tmp/complete.h5")
[[ $want == "$have" ]] || die "sweep hash changed: 0.2.0 wrote $have, this build computes $want"
echo "sweep hash $want as in 0.2.0"

# resume (bin, file): runs the quick sweep on 3 ranks into file (resuming it if present)
resume() {
  run_mpi 3 run "$quick" -o "$2" >"$2.log" 2>&1 || { tail -n 20 "$2.log"; die "$1 run -o $2 failed"; }
}
cp "$tmp/interrupted.h5" "$tmp/resumed.h5"
CRITSWEEP=$CRITSWEEP resume this "$tmp/resumed.h5"
"$PYTHON" "$root/tests/mpi/fixture_layout.py" "$tmp/complete.h5" "$tmp/resumed.h5" \
  --done-of "$tmp/interrupted.h5" || die "the resumed 0.2.0 file breaks the file contract"
resume this "$tmp/fresh.h5"
"$PYTHON" "$root/tests/mpi/fixture_layout.py" "$tmp/complete.h5" "$tmp/fresh.h5" ||
  die "a fresh run breaks the 0.2.0 file contract"

if [[ -n ${FIXTURE_SAME_MACHINE:-} ]]; then
  same_results "$tmp/complete.h5" "$tmp/resumed.h5" attempts || die "resumed file != 0.2.0 file"
  same_results "$tmp/complete.h5" "$tmp/fresh.h5" attempts || die "fresh run != 0.2.0 file"
  echo "resumed and fresh files equal the 0.2.0 file"
fi
if [[ -n ${CRITSWEEP_BASE:-} ]]; then
  cp "$tmp/interrupted.h5" "$tmp/base-resumed.h5"
  this=$CRITSWEEP
  CRITSWEEP=$CRITSWEEP_BASE
  resume base "$tmp/base-resumed.h5"
  resume base "$tmp/base-fresh.h5"
  CRITSWEEP=$this
  same_results "$tmp/base-resumed.h5" "$tmp/resumed.h5" attempts ||
    die "resuming the 0.2.0 file gives other data than $CRITSWEEP_BASE"
  same_results "$tmp/base-fresh.h5" "$tmp/fresh.h5" attempts ||
    die "a fresh run gives other data than $CRITSWEEP_BASE"
  echo "resumed and fresh files equal those of $CRITSWEEP_BASE"
else
  echo "note: set CRITSWEEP_BASE to a pre-change build to compare the data bit-for-bit"
fi
echo "PASS: the 0.2.0 files' hash, layout and finished tasks hold"

# common.sh — sourced by the MPI test scripts: binary, MPI environment, scratch directory,
# the tiny sweep, and the results-file comparison.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CRITSWEEP=${CRITSWEEP:-$root/build/critsweep}
PYTHON=${PYTHON:-/usr/bin/python3}
skip() { echo "SKIP: $*"; exit 77; }
die() { echo "FAIL: $*"; exit 1; }
[[ -x $CRITSWEEP ]] || skip "no critsweep binary at $CRITSWEEP (build first)"
command -v mpirun >/dev/null || skip "mpirun not installed (openmpi-bin)"
command -v h5diff >/dev/null || skip "h5diff not installed (hdf5-tools)"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OPENBLAS_NUM_THREADS=1
sweep=$root/tests/mpi/tiny.yaml
tmp=$(mktemp -d /tmp/critsweep-mpi.XXXXXX)
[[ -n ${KEEP_TMP:-} ]] || trap 'rm -rf "$tmp"' EXIT

# Machine-dependent datasets: wall times and throughputs; the runs table (timestamps,
# rank counts) and its `run` scale; each row's checksum (it covers the wall times).  Root attributes are compared by compare_results.py
# (all but `created`).  Everything else must be bit-identical.
TIMING_EXCLUDES=(seconds avalanches_per_s samples_per_s runs run checksum)

# run_mpi N ARGS...: critsweep on N ranks (1 master + N-1 workers when N > 1).
run_mpi() {
  local n=$1; shift
  mpirun -n "$n" --oversubscribe "$CRITSWEEP" "$@"
}

# same_results A B [extra dataset names to exclude]: h5diff over every dataset except the
# exclusions, then an independent NumPy comparison that prints the largest difference.
same_results() {
  local a=$1 b=$2; shift 2
  local ex=("${TIMING_EXCLUDES[@]}" "$@") args=() name
  for name in "${ex[@]}"; do args+=(--exclude-path "/$name"); done
  # Attributes of the root (creation time) and of the task-axis scales are left to
  # compare_results.py: h5diff follows the scales' REFERENCE_LIST into every attached
  # dataset, the excluded timing ones included.
  # So are reason_char's: a file of an older release has fewer text datasets attached.
  for name in / /activation /width /sigma_b2 /sigma_w2 /seed /reason_char; do args+=(--exclude-attribute "$name"); done
  if ! h5diff -r "${args[@]}" "$a" "$b" >"$tmp/h5diff.log" 2>&1; then
    grep -v "0 differences found" "$tmp/h5diff.log" | grep -B1 -A4 "differences found\|not comparable" | head -40
    echo "h5diff: $a and $b differ (excluded: ${ex[*]})"
    return 1
  fi
  "$PYTHON" "$root/tests/mpi/compare_results.py" "$a" "$b" --exclude "${ex[@]}"
}

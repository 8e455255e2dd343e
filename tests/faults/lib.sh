# lib.sh — sourced by the fault-injection tests: the binary, the tiny sweep, a scratch
# directory, small tmpfs mounts that are always unmounted (a trap), and case counting.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$root/tests/mpi/common.sh"   # CRITSWEEP, PYTHON, $sweep, $tmp, same_results, die, skip
[[ $(id -u) == 0 ]] || skip "the fault tests mount tmpfs file systems: run as root"

mounts=()
cleanup_faults() {
  local m
  for m in "${mounts[@]}"; do umount -l "$m" 2>/dev/null; done
  [[ -n ${KEEP_TMP:-} ]] || rm -rf "$tmp"
}
trap cleanup_faults EXIT

# small_disk DIR KiB: a tmpfs of that size at DIR (unmounted by the trap).
small_disk() {
  mkdir -p "$1"
  mount -t tmpfs -o "size=${2}k" tmpfs "$1" || skip "cannot mount tmpfs at $1"
  mounts+=("$1")
}
# fill_disk DIR: writes a file until the file system is full.
fill_disk() {
  dd if=/dev/zero of="$1/.filler" bs=4k status=none 2>/dev/null
  [[ $(df --output=avail "$1" | tail -n 1) -lt 8 ]] || die "could not fill $1"
}
unfill_disk() { rm -f "$1/.filler"; }

cases=0 case_failures=0
# check NAME CONDITION...: one assertion of a case, printed.
check() {
  local name=$1; shift
  if "$@"; then
    echo "  ok    $name"
  else
    echo "  FAIL  $name"
    case_failures=$((case_failures + 1))
  fi
}
begin_case() { cases=$((cases + 1)); echo "case $cases: $*"; }
# not_crashed RC: no abort (134), segfault (139), kill (137) or timeout (124).
not_crashed() { [[ $1 != 134 && $1 != 139 && $1 != 137 && $1 != 124 ]]; }
finish() {
  echo "$1: $cases cases, $case_failures failed assertions"
  (( case_failures == 0 ))
}

# The tiny sweep as the fault tests run it: no training, so a task takes milliseconds.
SET=(--set train.enabled=false)
# reference FILE: an uninterrupted single-process run to compare against.
reference() { "$CRITSWEEP" run "$sweep" "${SET[@]}" -o "$1" >/dev/null 2>&1 || die "reference run failed"; }

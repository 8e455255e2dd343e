#!/bin/bash
# test_concurrent.sh — runs that meet on one file.  Two runs creating the same new file
# at once (a sweep submitted twice), five trials: exactly one runs, the other exits 2
# naming the other run, and the file equals an uninterrupted run's.  `--fresh` while
# another run writes the file: refused (exit 2), the live run finishes into its own
# file and exits 0.  `--fresh` on a directory, a device node and a non-HDF5 file:
# refused, nothing moved.
source "$(dirname "$0")/lib.sh"

slow=(--set avalanche.inputs=6000)   # ~2 s of tasks
ref=$tmp/ref.h5
"$CRITSWEEP" run "$sweep" "${SET[@]}" "${slow[@]}" -o "$ref" >/dev/null 2>&1 || die "reference failed"

for trial in 1 2 3 4 5; do
  begin_case "two runs create the same file at once, trial $trial"
  out=$tmp/two-$trial.h5
  "$CRITSWEEP" run "$sweep" "${SET[@]}" "${slow[@]}" -o "$out" >"$tmp/a.log" 2>&1 &
  a=$!
  "$CRITSWEEP" run "$sweep" "${SET[@]}" "${slow[@]}" -o "$out" >"$tmp/b.log" 2>&1 &
  b=$!
  wait $a; ra=$?
  wait $b; rb=$?
  echo "  exits: $ra and $rb"
  check "one exits 0, the other 2" test "$((ra + rb))" = 2 -a "$((ra * rb))" = 0
  loser=$tmp/a.log; (( ra == 2 )) || loser=$tmp/b.log
  check "the other names the run that won" grep -q "another critsweep run is creating/writing this file" "$loser"
  check "no temporary left" bash -c '! ls -a "$1" | grep -q "two-$2.h5.partial"' _ "$tmp" "$trial"
  check "the file equals an uninterrupted run's" same_results "$ref" "$out"
done

begin_case "--fresh while another run writes the file"
# The live run must outlast the 0.2 s wait and the --fresh call: at 6000 inputs its
# 32 tasks take 0.2 s on a fast core, so this case runs ten times the inputs, with its own
# uninterrupted reference.
slow=(--set avalanche.inputs=60000)
ref=$tmp/ref-live.h5
"$CRITSWEEP" run "$sweep" "${SET[@]}" "${slow[@]}" -o "$ref" >/dev/null 2>&1 || die "reference (live case) failed"
live=$tmp/live.h5
"$CRITSWEEP" run "$sweep" "${SET[@]}" "${slow[@]}" -o "$live" >"$tmp/live.log" 2>&1 &
pid=$!
for _ in $(seq 200); do [[ -f $live ]] && break; sleep 0.02; done
sleep 0.2
"$CRITSWEEP" run "$sweep" "${SET[@]}" "${slow[@]}" -o "$live" --fresh >"$tmp/fresh.log" 2>&1
rf=$?
wait $pid; rl=$?
check "--fresh refused with exit 2 (got $rf)" test "$rf" = 2
check "it says another run writes the file" grep -q "another critsweep run is writing" "$tmp/fresh.log"
check "nothing moved aside" bash -c '! ls "$1" | grep -q "live.h5.*bak"' _ "$tmp"
check "the live run completes with exit 0 (got $rl)" test "$rl" = 0
check "into its own file, equal to an uninterrupted run's" same_results "$ref" "$live"
"$CRITSWEEP" run "$sweep" "${SET[@]}" "${slow[@]}" -o "$live" --fresh >"$tmp/fresh2.log" 2>&1
check "with no run holding it, --fresh moves it aside (exit $?)" bash -c 'ls "$1" | grep -q "live.h5.*bak"' _ "$tmp"

begin_case "--fresh on what is not a results file"
mkdir -p "$tmp/adir"
touch "$tmp/adir/keep"
"$CRITSWEEP" run "$sweep" "${SET[@]}" -o "$tmp/adir" --fresh >"$tmp/o.log" 2>&1
check "a directory: exit 2 (got $?)" grep -q "is a directory" "$tmp/o.log"
check "the directory is where it was" test -f "$tmp/adir/keep"
mknod "$tmp/null" c 1 3
"$CRITSWEEP" run "$sweep" "${SET[@]}" -o "$tmp/null" --fresh >"$tmp/o.log" 2>&1
rc=$?
check "a device node: exit 2 (got $rc)" test "$rc" = 2
check "it says so" grep -q "is a device" "$tmp/o.log"
check "the device node is where it was" test -c "$tmp/null"
echo "not a results file" >"$tmp/notes.txt"
"$CRITSWEEP" run "$sweep" "${SET[@]}" -o "$tmp/notes.txt" --fresh >"$tmp/o.log" 2>&1
rc=$?
check "a text file: exit 2 (got $rc)" test "$rc" = 2
check "the text file is untouched" grep -q "not a results file" "$tmp/notes.txt"
check "nothing else moved aside (only live.h5's backup)" test "$(ls "$tmp" | grep -c '\.bak$')" = 1

finish "concurrent runs"

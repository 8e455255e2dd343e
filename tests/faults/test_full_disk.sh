#!/bin/bash
# test_full_disk.sh — a full disk at each write a sweep makes, on small tmpfs mounts:
# creation (real MPI ranks and one process), task rows, derived tables (`phase` and the
# end of `run`), the runs-table append; and a critsweep 0.1.0 file on a full disk.
# Promised: no crash, a clear message and exit 1 where a write cannot be made, nothing
# left half-written, no finished row lost or changed, and once the disk has room again a
# resume identical to an uninterrupted run.
source "$(dirname "$0")/lib.sh"
command -v h5dump >/dev/null || skip "h5dump missing (hdf5-tools)"

ref=$tmp/ref.h5
reference "$ref"
slow=(--set avalanche.inputs=6000)   # ~2 s of tasks, so a kill lands mid-sweep
"$CRITSWEEP" run "$sweep" "${SET[@]}" "${slow[@]}" -o "$tmp/ref-slow.h5" >/dev/null 2>&1 || die "slow reference failed"

# The task rows as CSV without the machine-dependent columns (field 7 is the status).
rows_of() {
  "$CRITSWEEP" export "$1" --csv 2>/dev/null | "$PYTHON" -c '
import csv, sys
r = csv.reader(sys.stdin)
head = next(r)
keep = [i for i, n in enumerate(head) if n not in ("attempts", "avalanches_per_s", "samples_per_s", "seconds")]
for row in r:
    print(",".join(row[i] for i in keep))'
}
no_temporaries() { ! ls -a "$1" | grep -q partial-create; }
opens_clean() { "$CRITSWEEP" status "$1" --verify >/dev/null 2>&1; }
status_reads() { "$CRITSWEEP" status "$1" >/dev/null 2>&1; }

# --- 1. creation on a full disk, under mpirun (rank 0 used to crash in MPI_Finalize)
begin_case "full disk at creation, 3 MPI ranks"
d=$tmp/d1; small_disk "$d" 200
mpirun -n 3 --oversubscribe "$CRITSWEEP" run "$sweep" "${SET[@]}" -o "$d/t.h5" >"$tmp/out" 2>&1
rc=$?
check "exit 1 (got $rc)" test "$rc" = 1
check "says the disk may be full" grep -q "disk full" "$tmp/out"
check "no results file" test ! -e "$d/t.h5"
check "no temporary left behind" no_temporaries "$d"
mount -o remount,size=4m "$d"
mpirun -n 3 --oversubscribe "$CRITSWEEP" run "$sweep" "${SET[@]}" -o "$d/t.h5" >/dev/null 2>&1
check "with room again the sweep completes (exit $?)" test -f "$d/t.h5"
check "identical to an uninterrupted run" same_results "$ref" "$d/t.h5"

begin_case "full disk at creation, one process"
d=$tmp/d2; small_disk "$d" 120
"$CRITSWEEP" run "$sweep" "${SET[@]}" -o "$d/t.h5" >"$tmp/out" 2>&1
rc=$?
check "exit 1 (got $rc)" test "$rc" = 1
check "no results file, no temporary" test ! -e "$d/t.h5" -a -z "$(ls -A "$d")"
check "message names the file" grep -q "$d/t.h5" "$tmp/out"

# --- 2. a full disk while task rows are written: their space was allocated at creation
begin_case "full disk during task rows (resume after a SIGKILL, disk filled)"
d=$tmp/d3; small_disk "$d" 4096
"$CRITSWEEP" run "$sweep" "${SET[@]}" "${slow[@]}" -o "$d/t.h5" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do [[ -f $d/t.h5 ]] && break; sleep 0.05; done
sleep 0.8
kill -KILL $pid 2>/dev/null; wait $pid 2>/dev/null
done_before=$("$CRITSWEEP" status "$d/t.h5" --json 2>/dev/null | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["done"])')
echo "  (killed with ${done_before:-?} of 32 done)"
before=$(rows_of "$d/t.h5" | awk -F, '$7 == 1')
fill_disk "$d"
"$CRITSWEEP" run "$sweep" "${SET[@]}" "${slow[@]}" -o "$d/t.h5" >"$tmp/out" 2>&1
rc=$?
check "the resume on a full disk completes (exit $rc): no write needs new space" test "$rc" = 0
check "finished rows unchanged" bash -c '[[ -z "$1" ]] || grep -qxF -f <(echo "$1") <(echo "$2")' _ "$before" "$(rows_of "$d/t.h5")"
check "file verifies" opens_clean "$d/t.h5"
check "identical to an uninterrupted run" same_results "$tmp/ref-slow.h5" "$d/t.h5" attempts

# --- 3. derived tables on a full disk: `phase` writes data into reserved space only
begin_case "full disk during derived tables (critsweep phase)"
before=$(rows_of "$d/t.h5")
"$CRITSWEEP" phase "$d/t.h5" -o "$tmp/fig3" >"$tmp/out" 2>&1
rc=$?
check "phase exits 0 (got $rc)" test "$rc" = 0
check "derived datasets written" grep -q "derived datasets written" "$tmp/out"
check "task rows unchanged" test "$before" = "$(rows_of "$d/t.h5")"
check "file verifies" opens_clean "$d/t.h5"

# --- 4. the runs-table append on a full disk: the row was allocated at creation
begin_case "full disk during the runs-table append"
"$CRITSWEEP" run "$sweep" "${SET[@]}" "${slow[@]}" -o "$d/t.h5" >"$tmp/out" 2>&1
rc=$?
check "run on the complete file exits 0 (got $rc)" test "$rc" = 0
nruns=$("$CRITSWEEP" status "$d/t.h5" --json | "$PYTHON" -c 'import json,sys; print(len(json.load(sys.stdin)["runs"]))')
check "its row is in the runs table ($nruns rows)" test "$nruns" -ge 2
check "task rows unchanged" test "$before" = "$(rows_of "$d/t.h5")"
unfill_disk "$d"

# --- 5. a critsweep 0.1.0 file (no reserved space) on a full disk: the original defect
begin_case "0.1.0 file on a full disk: phase and run"
d=$tmp/d5; small_disk "$d" 1024
cp "$root/tests/faults/fixtures/tiny-0.1.0-interrupted.h5" "$d/old.h5"
before=$(rows_of "$d/old.h5")
fill_disk "$d"
"$CRITSWEEP" phase "$d/old.h5" -o "$tmp/fig5" >"$tmp/out" 2>&1
rc=$?
check "phase exits 0 (got $rc), figures from memory" test "$rc" = 0
check "says the derived tables are not written" grep -q "reserved no space" "$tmp/out"
check "status still reads it" status_reads "$d/old.h5"
check "h5dump reads every dataset" bash -c 'h5dump "$1" >/dev/null 2>&1' _ "$d/old.h5"
check "task rows unchanged" test "$before" = "$(rows_of "$d/old.h5")"
"$CRITSWEEP" run "$sweep" "${SET[@]}" "${slow[@]}" -o "$d/old.h5" >"$tmp/out" 2>&1
rc=$?
check "resume on the full disk: no crash (exit $rc)" not_crashed "$rc"
check "status still reads it" status_reads "$d/old.h5"
after=$(rows_of "$d/old.h5")
check "rows finished before are unchanged" bash -c 'grep -qxF -f <(echo "$1" | awk -F, "\$7 == 1") <(echo "$2")' _ "$before" "$after"
unfill_disk "$d"

# --- 6. an adaptive sweep whose next round does not fit: growing rewrites the file
# beside itself, so the free space is checked before anything is written.
begin_case "adaptive sweep: no room to grow the grid"
ad=$root/tests/mpi/adaptive.yaml
"$CRITSWEEP" run "$ad" -o "$tmp/ad-ref.h5" >/dev/null 2>&1 || die "adaptive reference failed"
d=$tmp/d6; small_disk "$d" 1200
"$CRITSWEEP" run "$ad" -o "$d/a.h5" >"$tmp/out" 2>&1
rc=$?
check "exit 1 (got $rc)" test "$rc" = 1
check "says how much room growing needs" grep -q "growing the grid needs about" "$tmp/out"
check "no temporary left behind" no_temporaries "$d"
check "round 1 is whole and verified" opens_clean "$d/a.h5"
before=$(rows_of "$d/a.h5")
"$CRITSWEEP" run "$ad" -o "$d/a.h5" >"$tmp/out" 2>&1
rc=$?
check "run again on the full disk: exit 1 again (got $rc), task rows unchanged" \
  test "$rc" = 1 -a "$before" = "$(rows_of "$d/a.h5")"
mount -o remount,size=16m "$d"
"$CRITSWEEP" run "$ad" -o "$d/a.h5" >"$tmp/out" 2>&1
check "with room again the rounds go on (exit $?)" grep -q "adaptive grid finished" "$tmp/out"
check "identical to an uninterrupted adaptive run" same_results "$tmp/ad-ref.h5" "$d/a.h5" attempts

finish "full disk"

#!/bin/bash
# test_run_errors.sh — `critsweep run/status/export` on bad input and awkward situations:
#   - unwritable or missing output directory, an output that is not HDF5, a results file
#     of another sweep (message names both hashes, suggests --fresh and -o): exit 2 and
#     the existing file unchanged (sha256);
#   - --fresh moves the old file to FILE.<time>.bak, byte-identical, and starts over;
#   - a second run on a file being written is refused (exit 2); `status` (text and
#     --json) and h5py read the file while the run writes;
#   - failed tasks are retried on resume until output.max_attempts, then left alone;
#   - usage errors exit 2, --help exits 0.
source "$(dirname "$0")/common.sh"
fast=(--set train.enabled=false)
expect() { # expect CODE PATTERN CMD...: exit code and a stderr line matching PATTERN
  local code=$1 pat=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  (( rc == code )) || { cat "$tmp/err"; die "'$*' exited $rc, expected $code"; }
  [[ -z $pat ]] || grep -qE -- "$pat" "$tmp/err" || { cat "$tmp/err"; die "'$*': no message matching /$pat/"; }
  echo "ok: exit $rc: $(head -c 150 "$tmp/err" | head -1)"
}

# Output directory missing / not writable.
expect 2 "$tmp/nodir" "$CRITSWEEP" run "$sweep" -o "$tmp/nodir/x.h5" "${fast[@]}"
expect 2 "/proc/critsweep-test.h5" "$CRITSWEEP" run "$sweep" -o /proc/critsweep-test.h5 "${fast[@]}"
[[ ! -e /proc/critsweep-test.h5 && ! -e $tmp/nodir ]] || die "something was created"

# Not HDF5.
echo "not a results file" >"$tmp/text.h5"
sum0=$(sha256sum <"$tmp/text.h5")
expect 2 "$tmp/text.h5.*not an HDF5 file" "$CRITSWEEP" run "$sweep" -o "$tmp/text.h5" "${fast[@]}"
[[ $(sha256sum <"$tmp/text.h5") == "$sum0" ]] || die "the non-HDF5 file was changed"

# Another sweep's file.
"$CRITSWEEP" run "$sweep" -o "$tmp/a.h5" "${fast[@]}" 2>/dev/null || die "first run failed"
h_old=$("$CRITSWEEP" check "$sweep" "${fast[@]}" --json | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["hash"])')
h_new=$("$CRITSWEEP" check "$sweep" "${fast[@]}" --set seed=8 --json | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["hash"])')
[[ $h_old != "$h_new" ]] || die "the seed does not change the hash"
sum0=$(sha256sum <"$tmp/a.h5")
expect 2 "$tmp/a.h5.*$h_old.*$h_new.*--fresh.*-o" "$CRITSWEEP" run "$sweep" -o "$tmp/a.h5" "${fast[@]}" --set seed=8
[[ $(sha256sum <"$tmp/a.h5") == "$sum0" ]] || die "the other sweep's file was changed"
# ... also under mpirun.
mpirun -n 3 --oversubscribe "$CRITSWEEP" run "$sweep" -o "$tmp/a.h5" "${fast[@]}" --set seed=8 >/dev/null 2>"$tmp/err"
rc=$?; (( rc == 2 )) || { cat "$tmp/err"; die "under mpirun: exit $rc, expected 2"; }
[[ $(sha256sum <"$tmp/a.h5") == "$sum0" ]] || die "the other sweep's file was changed (mpirun)"
echo "ok: under mpirun too"

# --fresh keeps the old file as a .bak.
expect 0 "moved the old results file" "$CRITSWEEP" run "$sweep" -o "$tmp/a.h5" "${fast[@]}" --set seed=8 --fresh
bak=$(ls "$tmp"/a.h5.*.bak)
[[ $(sha256sum <"$bak") == "$sum0" ]] || die "the .bak differs from the old file"
"$PYTHON" -c 'import sys,h5py; assert h5py.File(sys.argv[1],"r").attrs["sweep_hash"] == sys.argv[2]' "$tmp/a.h5" "$h_new" \
  || die "the fresh file does not carry the new hash"

# A second writer is refused; status and h5py work while a run writes.
"$CRITSWEEP" run "$sweep" -o "$tmp/b.h5" "${fast[@]}" --set avalanche.inputs=150000 2>"$tmp/b.log" &
pid=$!
for _ in $(seq 100); do [[ -f $tmp/b.h5 ]] && break; sleep 0.1; done
sleep 1
kill -0 "$pid" 2>/dev/null || die "the long run ended too early for this test"
expect 2 "another critsweep run is (creating/)?writing" "$CRITSWEEP" run "$sweep" -o "$tmp/b.h5" "${fast[@]}" --set avalanche.inputs=150000
"$CRITSWEEP" status "$tmp/b.h5" >"$tmp/st.txt" || die "status failed while a run writes"
"$CRITSWEEP" status "$tmp/b.h5" --json | "$PYTHON" -c '
import json, sys
j = json.load(sys.stdin)
assert j["n_tasks"] == 32 and j["runs"][-1]["end"] == "" and j["done"] + j["pending"] == 32, j
print("ok: status --json while running: done %d, pending %d" % (j["done"], j["pending"]))' || die "status --json"
"$PYTHON" -c 'import sys,h5py; f=h5py.File(sys.argv[1],"r"); f["S_mean"][()]; print("ok: h5py reads while running")' "$tmp/b.h5" \
  || die "h5py cannot read while a run writes"
kill -TERM "$pid"; wait "$pid"; rc=$?
(( rc == 3 )) || die "the long run exited $rc after SIGTERM"

# Failed tasks: retried on resume up to max_attempts (3 in tiny.yaml), then left alone.
# Four tasks fail by fault injection (CRITSWEEP_FAIL_TASKS), two workers.
fail=(--set train.enabled=false)
for i in 1 2 3 4; do
  CRITSWEEP_FAIL_TASKS=3,7,8,31 mpirun -n 3 --oversubscribe -x CRITSWEEP_FAIL_TASKS "$CRITSWEEP" run "$sweep" \
    -o "$tmp/f.h5" "${fail[@]}" 2>"$tmp/f.log" || { cat "$tmp/f.log"; die "run $i of the failing sweep: exit $?"; }
  att=$("$PYTHON" -c 'import sys,h5py; f=h5py.File(sys.argv[1],"r"); s=f["status"][()]; a=f["attempts"][()]; print(sorted(set(a[s==2].ravel())), sorted(set(a[s==1].ravel())))' "$tmp/f.h5")
  want=$(( i < 3 ? i : 3 ))
  [[ $att == "[$want] [1]" ]] || die "after run $i: attempts of failed / done tasks $att, expected [$want] [1]"
  echo "ok: run $i: attempts of failed tasks $want, done tasks 1"
done
grep -q "4 tasks failed" "$tmp/f.log" || die "no failure summary"
# (through a file: grep -q stops reading early, and pipefail would count the writer's SIGPIPE)
"$CRITSWEEP" status "$tmp/f.h5" >"$tmp/status.txt" || die "status of the failing sweep: exit $?"
grep -q "task 31 .*attempts 3: injected failure" "$tmp/status.txt" || die "status does not show the failure reason"
"$PYTHON" -c 'import sys,h5py,numpy as np; s=h5py.File(sys.argv[1],"r")["status"][()].ravel(); assert list(np.flatnonzero(s==2))==[3,7,8,31], s' "$tmp/f.h5" \
  || die "the wrong tasks failed"

# Usage.
expect 2 "which sweep" "$CRITSWEEP" run
expect 2 "--grace" "$CRITSWEEP" run "$sweep" --grace -1
expect 2 "nosuch.yaml" "$CRITSWEEP" run "$tmp/nosuch.yaml"
expect 2 "unknown option" "$CRITSWEEP" run "$sweep" --bogus
expect 2 "$tmp/none.h5" "$CRITSWEEP" status "$tmp/none.h5"
expect 2 "not an HDF5" "$CRITSWEEP" export "$tmp/text.h5" --csv
expect 2 "--csv" "$CRITSWEEP" export "$tmp/a.h5"
for c in run status export; do expect 0 "" "$CRITSWEEP" $c --help; grep -q "usage: critsweep $c" "$tmp/out" || die "$c --help"; done
echo "PASS: run/status/export refuse bad input with exit 2 and leave existing files alone"

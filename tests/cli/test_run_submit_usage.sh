#!/bin/bash
# test_run_submit_usage.sh — `critsweep run` and `critsweep submit` refuse bad usage with
# exit 2 and a message that names the option (or the operand), and nothing is written:
# unknown options, prefixes of option names (never taken for the option), several short
# options in one word, values missing or out of range, two sweep files.  --help exits 0;
# `submit --dry-run` renders the job script with the command line's SLURM options on top
# of the sweep file's, and `--dry-run=x` is still a dry run.  No MPI, no SLURM needed.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CRITSWEEP=${CRITSWEEP:-$root/build/critsweep}
[[ -x $CRITSWEEP ]] || { echo "FAIL: no critsweep binary at $CRITSWEEP"; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cp "$root/sweeps/quick.yaml" "$tmp/s.yaml"
cd "$tmp" || exit 1
unset OMPI_COMM_WORLD_SIZE PMIX_RANK PMI_RANK PMI_SIZE SLURM_STEP_NUM_TASKS

fails=0
# expect RC 'whole stderr' ARGS...: exit code and the message, exactly.
expect() {
  local want_rc=$1 want=$2; shift 2
  local got rc
  got=$("$CRITSWEEP" "$@" 2>&1 >/dev/null </dev/null); rc=$?
  if [[ $rc != "$want_rc" || $got != "$want" ]]; then
    echo "FAIL: critsweep $*"
    echo "   exit $rc (want $want_rc): $got"
    echo "   want: $want"
    fails=$((fails + 1))
  fi
}

for cmd in run submit; do
  u="(critsweep $cmd --help)"
  expect 2 "critsweep $cmd: unknown option '--bogus' $u" $cmd s.yaml --bogus
  expect 2 "critsweep $cmd: unknown option '--bogus=1' $u" $cmd --bogus=1 s.yaml
  expect 2 "critsweep $cmd: unknown option '-x' $u" $cmd s.yaml -x
  expect 2 "critsweep $cmd: unknown option '-hx' $u" $cmd -hx
  expect 2 "critsweep $cmd: unknown option '--' $u" $cmd -- s.yaml
  expect 2 "critsweep $cmd: unknown option '--out' $u" $cmd s.yaml --out x.h5
  expect 2 "critsweep $cmd: unknown option '--he' $u" $cmd s.yaml --he
  expect 2 "critsweep $cmd: unknown option '-ofile' $u" $cmd s.yaml -ofile
  expect 2 "critsweep $cmd: unknown option '-o=x' $u" $cmd s.yaml -o=x
  expect 2 "critsweep $cmd: unknown option '--fresh=1' $u" $cmd s.yaml --fresh=1
  expect 2 "critsweep $cmd: one sweep file at a time (got 'a.yaml' and 'b.yaml')" $cmd a.yaml b.yaml
  expect 2 "critsweep $cmd: --set needs key=value" $cmd s.yaml --set
  "$CRITSWEEP" $cmd --help | grep -q "^usage: critsweep $cmd SWEEP.yaml" ||
    { echo "FAIL: $cmd --help"; fails=$((fails + 1)); }
done

# run
expect 2 "critsweep run: which sweep? usage: critsweep run SWEEP.yaml [-o FILE] (critsweep run --help)" run
expect 2 "critsweep run: unknown option '--fre' (critsweep run --help)" run s.yaml --fre
expect 2 "critsweep run: unknown option '--help=x' (critsweep run --help)" run s.yaml --help=x
expect 2 "critsweep run: -o needs a file name" run s.yaml -o
expect 2 "critsweep run: --output needs a file name" run s.yaml --output
expect 2 "critsweep run: --output= needs a file name" run s.yaml --output=
expect 2 "critsweep run: -o needs a file name" run s.yaml -o ''
expect 2 "critsweep run: --set needs key=value" run s.yaml --set=
expect 2 "critsweep run: --set needs key=value" run s.yaml --set nokey
for g in '' -1 abc 1e8; do
  expect 2 "critsweep run: --grace needs seconds >= 0 (got '$g')" run s.yaml --grace "$g"
  expect 2 "critsweep run: --grace needs seconds >= 0 (got '$g')" run s.yaml --grace="$g"
done
expect 2 "critsweep run: --grace needs seconds >= 0 (got '')" run s.yaml --grace
SLURM_STEP_NUM_TASKS=3 expect 2 \
  "critsweep run: started by srun as 3 tasks without MPI process management; use srun --mpi=pmix" run s.yaml
expect 2 "critsweep run: nonexist.yaml: cannot open the sweep file: No such file or directory" run nonexist.yaml

# submit
expect 2 "critsweep submit: -o needs a file name" submit s.yaml --output
expect 2 "critsweep submit: -o needs a file name" submit s.yaml --output=
expect 2 "--set nokey: expected key=value, e.g. avalanche.inputs=500" submit s.yaml --set nokey
for o in "nodes 1..100000" "ntasks 1..10000000" "ntasks-per-node 1..100000" \
         "max-requeues 0..10000" "signal-lead 0..65535"; do
  name=${o% *} range=${o#* }
  expect 2 "critsweep submit: --$name needs an integer in $range (got '')" submit s.yaml --$name
  expect 2 "critsweep submit: --$name needs an integer in $range (got 'x')" submit s.yaml --$name x
  expect 2 "critsweep submit: --$name needs an integer in $range (got '-5')" submit s.yaml --$name=-5
done
expect 2 "critsweep submit: unknown option '--n' (critsweep submit --help)" submit s.yaml --n 3
expect 2 "critsweep submit: unknown option '--ntask' (critsweep submit --help)" submit s.yaml --ntask 3
expect 2 "critsweep submit: --time needs a SLURM time, e.g. 2:00:00" submit s.yaml --time
expect 2 "critsweep submit: --partition needs a name" submit s.yaml --partition
expect 2 "critsweep submit: --account needs a name" submit s.yaml --account
expect 2 "critsweep submit: --qos needs a name" submit s.yaml --qos
expect 2 "critsweep submit: --mem-per-cpu needs a size, e.g. 2G" submit s.yaml --mem-per-cpu
expect 2 "critsweep submit: --extra needs an sbatch option, e.g. --extra=--constraint=avx2" submit s.yaml --extra
expect 2 "critsweep submit: partition '': only letters, digits, '_', '.' and '-' are allowed" \
  submit s.yaml --partition= --dry-run
"$CRITSWEEP" submit >/dev/null 2>"$tmp/err"; rc=$?
[[ $rc == 2 ]] && grep -q '^usage: critsweep submit' "$tmp/err" ||
  { echo "FAIL: submit without a sweep: exit $rc, usage on stderr"; fails=$((fails + 1)); }

# --dry-run: the command line's options in the script; nothing written.
script=$("$CRITSWEEP" submit s.yaml --dry-run=x -o out.h5 --nodes=2 --ntasks 3 --time=10 \
         --partition p --mem-per-cpu 2G --signal-lead 60 --extra=--constraint=avx2 \
         --set output.max_attempts=2) || { echo "FAIL: submit --dry-run exited $?"; fails=$((fails + 1)); }
for line in '#SBATCH --nodes=2' '#SBATCH --ntasks=3' '#SBATCH --time=10' '#SBATCH --partition=p' \
            '#SBATCH --mem-per-cpu=2G' '#SBATCH --signal=B:USR1@60' '#SBATCH --constraint=avx2' \
            "output='$tmp/out.h5'" "grace='30'" "sets=(--set 'output.max_attempts=2')"; do
  grep -qxF -- "$line" <<<"$script" || { echo "FAIL: dry-run script lacks: $line"; fails=$((fails + 1)); }
done
leftover=$(ls "$tmp" | grep -v -x -e s.yaml -e err)
[[ -z $leftover ]] || { echo "FAIL: bad usage left files: $leftover"; fails=$((fails + 1)); }

(( fails == 0 )) && echo "PASS: run and submit refuse bad usage with exit 2, naming the option" ||
  echo "$fails failure(s)"
(( fails == 0 ))

#!/bin/bash
# test_submit_render.sh — `critsweep submit` without a cluster (a few seconds):
#   * the rendered #SBATCH options, read back by an independent re-implementation of
#     sbatch's directive parser (sbatch_lines.py), match the sweep's slurm: section with the
#     command line winning; --dry-run writes and submits nothing; bash -n accepts the script;
#   * hostile values (shell metacharacters in names, paths, --set and --extra; newlines;
#     quotes) are rejected with exit 2 or arrive literally, and no injected command runs;
#   * bad input: every malformed --time, sbatch missing from PATH, sbatch failing (a fake
#     that prints SLURM's error) → one clear message, exit 2; a good fake sbatch gets exactly
#     `--parsable SCRIPT` and its job id is printed;
#   * the job script's own logic, driven with fake mpirun/srun/sbatch/squeue: USR1 → stop,
#     queue the continuation with the next requeue count; TERM of a scancel → no requeue;
#     TERM at the time limit → requeue; requeue limit; exit 0 → plots; other failures stop;
#     launcher choice (srun --mpi=pmix when listed, else mpirun).
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
CRITSWEEP=${CRITSWEEP:-$root/build/critsweep}
PY=${PYTHON:-/usr/bin/python3}
[[ -x $CRITSWEEP ]] || { echo "no critsweep binary at $CRITSWEEP (build first)"; exit 1; }

tmp=$(mktemp -d /tmp/cs-submit-render.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
rm -f /tmp/pwned
checks=0 fails=0
ok() { checks=$((checks + 1)); printf 'ok   %s\n' "$*"; }
bad() { checks=$((checks + 1)); fails=$((fails + 1)); printf 'FAIL %s\n' "$*"; }
check() { # description, then a command that must succeed
  local d=$1; shift
  if "$@"; then ok "$d"; else bad "$d"; fi
}

cat >"$tmp/sweep.yaml" <<'EOF'
name: rendertest
grid:
  width: [16]
  sigma_w2: [1.0]
slurm:
  partition: batch
  account: proj1
  time: "2:00:00"
  ntasks: 4
  signal_lead: 90
  max_requeues: 5
  extra: ["--constraint=avx2"]
EOF
cd "$tmp"

# Runs submit; stdout → $tmp/out, stderr → $tmp/err, exit code → $rc.
submit() { "$CRITSWEEP" submit "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }
# The options sbatch would read from a script, one per line.
# (cached in SCRIPT.opts: write each script under a new name)
opts_of() {
  [[ -e $1.opts ]] || "$PY" "$root/tests/slurm/sbatch_lines.py" "$1" --plain >"$1.opts"
  cat "$1.opts"
}
has_opt() { opts_of "$1" >/dev/null && grep -qxF -- "$2" "$1.opts"; }
expect_usage() { # description, submit args...: exit 2 and a one-line message
  local d=$1; shift
  submit "$@"
  if [[ $rc == 2 && -s $tmp/err ]]; then ok "$d → exit 2: $(head -n 1 "$tmp/err")"
  else bad "$d → exit $rc (want 2); stderr: $(head -c 300 "$tmp/err")"; fi
}

# ---- help, dry run, YAML defaults, command line wins
submit --help
check "--help exits 0 and shows usage" test "$rc" = 0 -a -n "$(grep -- '--dry-run' "$tmp/out")"

submit sweep.yaml --dry-run
cp "$tmp/out" "$tmp/yaml.sbatch"
check "dry run (sweep's slurm: section) exits 0" test "$rc" = 0
check "dry run writes no script" test ! -e "$tmp/rendertest.h5.sbatch"
check "bash -n accepts the rendered script" bash -n "$tmp/yaml.sbatch"
for o in --job-name=rendertest "--output=$tmp/rendertest.h5.log" --open-mode=append \
         --dependency=singleton --signal=B:USR1@90 --partition=batch --account=proj1 \
         --time=2:00:00 --ntasks=4 --constraint=avx2; do
  check "sweep file → sbatch reads $o" has_opt "$tmp/yaml.sbatch" "$o"
done
check "max_requeues from the sweep file" grep -qx "max_requeues='5'" "$tmp/yaml.sbatch"
check "grace is half the signal lead" grep -qx "grace='45'" "$tmp/yaml.sbatch"
check "no --qos line when unset" test -z "$(opts_of "$tmp/yaml.sbatch" | grep -- --qos)"

submit sweep.yaml --dry-run --partition debug --time 30 --ntasks 2 --signal-lead 20 \
  --qos normal --mem-per-cpu 2G --nodes 1 --ntasks-per-node 2 --max-requeues 7 \
  --extra --exclusive --extra '--comment hetjob two' --set grid.width=[8] -o res.h5
cp "$tmp/out" "$tmp/cli.sbatch"
check "dry run with command-line options exits 0" test "$rc" = 0
for o in --partition=debug --time=30 --ntasks=2 --signal=B:USR1@20 --qos=normal \
         --mem-per-cpu=2G --nodes=1 --ntasks-per-node=2 --account=proj1 --constraint=avx2 \
         --exclusive "--comment=hetjob two" "--output=$tmp/res.h5.log"; do
  check "command line → sbatch reads $o" has_opt "$tmp/cli.sbatch" "$o"
done
check "command line wins: no --partition=batch" test -z "$(opts_of "$tmp/cli.sbatch" | grep -x -- --partition=batch)"
check "--set reaches critsweep run" grep -qxF "sets=(--set 'grid.width=[8]')" "$tmp/cli.sbatch"
check "--max-requeues wins" grep -qx "max_requeues='7'" "$tmp/cli.sbatch"

# ---- time formats
for t in 5 5:30 1:00:00 1-12 1-12:30 1-12:30:15 0-0:5; do
  "$CRITSWEEP" submit sweep.yaml --dry-run --signal-lead 0 --time "$t" >"$tmp/t$t.sbatch" 2>/dev/null
  check "time '$t' → --time=$t" has_opt "$tmp/t$t.sbatch" "--time=$t"
done
for t in "" abc 1:2:3:4 -5 1- 1-2-3 5m 1:60 1:00:60 1-24 0 00:00 "1 2" "1:00:00; touch /tmp/pwned" \
         '$(touch /tmp/pwned)' 1-2:3:4:5 :30 "1-"; do
  expect_usage "invalid time '$t'" sweep.yaml --dry-run --time "$t"
done
expect_usage "signal lead longer than the time limit" sweep.yaml --dry-run --time 1 --signal-lead 60

# ---- hostile option values: rejected, or literal
expect_usage "partition with a command" sweep.yaml --dry-run --partition 'x; touch /tmp/pwned'
expect_usage "account with \$(...)" sweep.yaml --dry-run --account '$(touch /tmp/pwned)'
expect_usage "qos with a space" sweep.yaml --dry-run --qos 'a b'
expect_usage "mem-per-cpu with a command" sweep.yaml --dry-run --mem-per-cpu '2G;touch /tmp/pwned'
expect_usage "extra with a newline and a second directive" sweep.yaml --dry-run \
  --extra $'--comment=x\n#SBATCH --wrap=touch /tmp/pwned'
expect_usage "extra with a carriage return" sweep.yaml --dry-run --extra $'--comment=x\rtouch'
expect_usage "extra as a short option" sweep.yaml --dry-run --extra '-N 2'
expect_usage "extra without dashes" sweep.yaml --dry-run --extra 'comment=x'
expect_usage "extra --wrap" sweep.yaml --dry-run --extra '--wrap=touch /tmp/pwned'
expect_usage "extra option name with a quote" sweep.yaml --dry-run --extra "--com'ment=x"
expect_usage "extra with 'packjob' (sbatch blanks it)" sweep.yaml --dry-run --extra '--comment=a packjob'
expect_usage "output path with a newline" sweep.yaml --dry-run -o $'a\nb.h5'
expect_usage "--set with a newline" sweep.yaml --dry-run --set $'output.file=a\nb.h5'
expect_usage "--set that is not a value" sweep.yaml --dry-run --set 'train.lr=0.01; touch /tmp/pwned'
expect_usage "output in a directory that is not there" sweep.yaml -o '$(touch /tmp/pwned).h5'

literal="--comment=it's \"quoted\" # not a comment \$(touch /tmp/pwned) \`touch pwned\` \\ back; x"
submit sweep.yaml --dry-run --extra "$literal"
cp "$tmp/out" "$tmp/q.sbatch"
check "extra with quotes, '#', \$(...) passes literally to sbatch" has_opt "$tmp/q.sbatch" "$literal"

hostile_out="o\$(touch pwned) \`touch pwned2\`;'q\" 50%.h5"
submit sweep.yaml --dry-run -o "$hostile_out" --set "output.file=$hostile_out"
cp "$tmp/out" "$tmp/h.sbatch"
check "hostile output path renders (exit $rc)" test "$rc" = 0
check "bash -n accepts it" bash -n "$tmp/h.sbatch"
check "log path reaches sbatch literally (% doubled for --output's patterns)" \
  has_opt "$tmp/h.sbatch" "--output=$tmp/${hostile_out//%/%%}.log"

# ---- the job script itself, with fake launchers, sbatch and squeue on PATH
fake=$tmp/fake
mkdir -p "$fake"
cat >"$fake/mpirun" <<'EOF'
#!/bin/bash
# fake launcher: records its arguments, plays the sweep per FAKE_MODE
printf '%s\0' "$0" "$@" >"$FAKE_DIR/launcher.args"
trap 'echo "launcher got USR1" >>"$FAKE_DIR/launcher.log"; exit 3' USR1
case $FAKE_MODE in
  usr1) kill -USR1 "$PPID" ;;       # SLURM's warning reaches the batch shell
  term) kill -TERM "$PPID" ;;       # scancel or the time limit
  exit0) exit 0 ;;
  exit2) exit 2 ;;
esac
for ((i = 0; i < 100; i++)); do sleep 0.1; done
echo "launcher was never asked to stop" >>"$FAKE_DIR/launcher.log"
exit 99
EOF
cp "$fake/mpirun" "$fake/srun.launch"
cat >"$fake/srun" <<'EOF'
#!/bin/bash
if [[ $1 == --mpi=list ]]; then printf 'MPI plugin types are...\n\tnone\n%s\n' "${FAKE_SRUN_LIST:-}"; exit 0; fi
[[ ${!#} == true ]] && exit "${FAKE_SRUN_PROBE:-0}"   # the launcher probe: srun ... true
exec "$(dirname "$0")/srun.launch" "$@"
EOF
cat >"$fake/sbatch" <<'EOF'
#!/bin/bash
printf '%s\0' "$@" >"$FAKE_DIR/sbatch.args"
if [[ -n ${FAKE_SBATCH_FAIL:-} ]]; then
  echo "sbatch: error: Batch job submission failed: Invalid partition name specified" >&2
  exit 1
fi
echo "4343;testcluster"
EOF
cat >"$fake/squeue" <<'EOF'
#!/bin/bash
echo "${FAKE_REASON:-None}"
EOF
chmod +x "$fake"/*
export FAKE_DIR=$fake

# Renders the job script for the hostile output (so quoting is exercised all the way).
"$CRITSWEEP" submit sweep.yaml --dry-run --time 10 --signal-lead 60 --max-requeues 2 \
  -o "$hostile_out" --set "output.file=$hostile_out" >"$tmp/job.sbatch" 2>/dev/null
job() { # mode, requeue count: runs the script as SLURM would, log in $tmp/job.log
  rm -f "$fake"/*.args "$fake/launcher.log"
  (cd / && FAKE_MODE=$1 SLURM_JOB_ID=4242 PATH="$fake:$PATH" timeout 60 bash "$tmp/job.sbatch" "$2" >"$tmp/job.log" 2>&1)
  jrc=$?
}
args_of() { "$PY" -c 'import sys; print("\n".join(open(sys.argv[1], "rb").read().decode().split("\0")[:-1]))' "$1"; }

CRITSWEEP_LAUNCHER=mpirun job usr1 0
check "USR1: the script exits 3" test "$jrc" = 3
check "USR1 is forwarded to the launcher" grep -q "launcher got USR1" "$fake/launcher.log"
expected_args=$(printf '%s\n' "$fake/mpirun" --allow-run-as-root "$CRITSWEEP" run "$tmp/sweep.yaml" -o "$tmp/$hostile_out" --grace 30 --set "output.file=$hostile_out")
[[ $(id -u) == 0 ]] || expected_args=$(grep -vx -- --allow-run-as-root <<<"$expected_args")
check "the launcher gets every argument literally" test "$(args_of "$fake/launcher.args")" = "$expected_args"
check "USR1: the continuation is queued after this job, requeue 1" \
  test "$(args_of "$fake/sbatch.args")" = "$(printf '%s\n' --parsable --dependency=afterany:4242,singleton "$tmp/$hostile_out.sbatch" 1)"
check "the log names the continuation" grep -q "queued the continuation as job 4343" "$tmp/job.log"

CRITSWEEP_LAUNCHER=mpirun job term 0
check "scancel (TERM, no reason): exit 3" test "$jrc" = 3
check "scancel: TERM passed on as USR1" grep -q "launcher got USR1" "$fake/launcher.log"
check "scancel: no continuation queued" test ! -e "$fake/sbatch.args"
check "scancel: the log says why" grep -q "not requeueing" "$tmp/job.log"

CRITSWEEP_LAUNCHER=mpirun FAKE_REASON=TimeLimit job term 1
check "TERM at the time limit: continuation queued as requeue 2" \
  test "$(args_of "$fake/sbatch.args" | tail -n 1)" = 2

CRITSWEEP_LAUNCHER=mpirun job usr1 2
check "requeue limit reached: exit 3, nothing queued" test "$jrc" = 3 -a ! -e "$fake/sbatch.args"
check "requeue limit: the log says so" grep -q "requeue limit (2) reached" "$tmp/job.log"

CRITSWEEP_LAUNCHER=mpirun FAKE_SBATCH_FAIL=1 job usr1 0
check "continuation sbatch failing is reported" grep -q "sbatch failed to queue the continuation" "$tmp/job.log"

CRITSWEEP_LAUNCHER=mpirun job exit0 0
check "complete: exit 0, plots rendered" test "$jrc" = 0
check "complete: critsweep phase was run" grep -q "rendering the standard plots" "$tmp/job.log"
check "complete: nothing queued" test ! -e "$fake/sbatch.args"

CRITSWEEP_LAUNCHER=mpirun job exit2 0
check "bad input in the job: its exit code, nothing queued" test "$jrc" = 2 -a ! -e "$fake/sbatch.args"

FAKE_SRUN_LIST=$'\tpmix\n\tpmix_v4' job exit0 0
check "srun --mpi=list shows pmix → srun --mpi=pmix" \
  test "$(args_of "$fake/launcher.args" | sed -n 2p)" = --mpi=pmix
FAKE_SRUN_LIST= job exit0 0
check "no pmix plugin → mpirun" test "$(args_of "$fake/launcher.args" | head -n 1)" = "$fake/mpirun"
FAKE_SRUN_LIST=$'\tpmix' FAKE_SRUN_PROBE=1 job exit0 0
check "pmix listed but its probe step fails → mpirun" test "$(args_of "$fake/launcher.args" | head -n 1)" = "$fake/mpirun"

# ---- sbatch missing, failing, succeeding
mkdir -p "$tmp/emptybin"
PATH=$tmp/emptybin submit sweep.yaml -o a.h5
check "sbatch missing: exit 2" test "$rc" = 2
check "sbatch missing: the message says so" grep -q "sbatch not found" "$tmp/err"
echo "      message: $(cat "$tmp/err")"

FAKE_SBATCH_FAIL=1 PATH="$fake:$PATH" submit sweep.yaml -o b.h5
check "sbatch failing: exit 2" test "$rc" = 2
check "sbatch failing: its stderr is shown" grep -q "Invalid partition name specified" "$tmp/err"
check "sbatch failing: and said to have failed" grep -q "sbatch failed (exit 1" "$tmp/err"

PATH="$fake:$PATH" submit sweep.yaml -o c.h5
check "sbatch succeeding: exit 0, the job id printed" test "$rc" = 0 -a "$(cat "$tmp/out")" = 4343
check "sbatch got exactly --parsable SCRIPT" \
  test "$(args_of "$fake/sbatch.args")" = "$(printf '%s\n' --parsable "$tmp/c.h5.sbatch")"
check "the script is written beside the output, executable" test -x "$tmp/c.h5.sbatch"
check "the written script is the dry run's" cmp -s "$tmp/c.h5.sbatch" <("$CRITSWEEP" submit sweep.yaml -o c.h5 --dry-run)

# ---- nothing injected ever ran
pwned=$(find "$tmp" / -maxdepth 1 -name 'pwned*' 2>/dev/null)
check "no injected command ran (no pwned files)" test -z "$pwned" -a ! -e /tmp/pwned

echo "$((checks - fails)) passed, $fails failed"
(( fails == 0 ))

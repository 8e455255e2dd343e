#!/bin/bash
# demo.sh — the README's first command: set up, run the demo sweep (sweeps/quick.yaml)
# on every core of this machine, then render its phase diagrams.  Idempotent: a rerun
# resumes the sweep (finished tasks are kept) and redraws the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
bash jobscripts/setup.sh

cores=$(nproc)
out=${CRITSWEEP_DEMO_OUT:-quick.h5}
# One master rank that sleeps while it waits, plus one worker per core.
launcher=(mpirun -n $((cores + 1)) --oversubscribe)
[[ $(id -u) == 0 ]] && launcher+=(--allow-run-as-root)
export OPENBLAS_NUM_THREADS=1

echo "demo: running sweeps/quick.yaml on $cores cores into $out" >&2
set +e
"${launcher[@]}" build/critsweep run sweeps/quick.yaml -o "$out"
rc=$?
set -e
if (( rc != 0 )); then
  echo "demo: the sweep stopped with exit code $rc; run this command again to resume" >&2
  exit "$rc"
fi
build/critsweep status "$out"
build/critsweep phase "$out"
echo "demo: figures are in ${out%.h5}-figures/" >&2

# localslurm.sh — a real one-node SLURM cluster on this machine, for the slurm tests.
# Source it, then:
#   localslurm_start   # installs slurm-wlm + munge from Debian if missing (root), writes a
#                      # slurm.conf for this host in a temp dir, starts munged, slurmctld and
#                      # slurmd directly (no systemd: CI may be a container), waits until the
#                      # node is idle, exports SLURM_CONF; returns 77 (skip) if impossible
#   localslurm_stop    # cancels our jobs, waits for them, stops the daemons, removes the dir
# Call localslurm_stop from the test's EXIT trap so daemons never outlive a failed test:
#   trap 'localslurm_stop; rm -rf "$tmp"' EXIT; trap 'exit 143' TERM; trap 'exit 130' INT
# Everything (keys, sockets, state, spool, logs) lives under LOCALSLURM_DIR: the machine's
# own /etc/slurm and munge are never touched, so a system SLURM would not be disturbed.
# Ports are picked free on 127.0.0.1.  Debian 12 ships SLURM 22.05: no cgroups here
# (proctrack/linuxproc, task/none), and the mpi/pmix plugin loads libpmix.so, which on
# Debian comes from libpmix-dev (already pulled in by libopenmpi-dev).

LOCALSLURM_DIR=
LOCALSLURM_PIDS=()

localslurm_log() { printf 'localslurm: %s\n' "$*" >&2; }

# 0 if nothing listens on 127.0.0.1:$1.
_localslurm_port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

_localslurm_install() {
  local need=()
  for c in sbatch srun squeue sinfo scontrol scancel; do command -v "$c" >/dev/null || need=(slurm-client); done
  [[ -x /usr/sbin/slurmctld ]] || need+=(slurmctld)
  [[ -x /usr/sbin/slurmd ]] || need+=(slurmd)
  [[ -x /usr/sbin/munged ]] || need+=(munge)
  [[ -e /usr/lib/x86_64-linux-gnu/libpmix.so || -e /usr/lib/$(uname -m)-linux-gnu/libpmix.so ]] || need+=(libpmix-dev)
  (( ${#need[@]} )) || return 0
  if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null; then
    localslurm_log "need ${need[*]} (Debian: apt-get install slurm-wlm munge libpmix-dev) and cannot install them here (not root or no apt)"
    return 77
  fi
  localslurm_log "installing slurm-wlm munge libpmix-dev from Debian"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q --no-install-recommends slurm-wlm munge libpmix-dev >/dev/null 2>&1; then
    apt-get update -q >/dev/null 2>&1
    apt-get install -y -q --no-install-recommends slurm-wlm munge libpmix-dev >&2 || {
      localslurm_log "apt-get install slurm-wlm munge libpmix-dev failed"; return 77; }
  fi
}

localslurm_start() {
  _localslurm_install || return $?
  if [[ $(id -u) != 0 ]]; then
    localslurm_log "slurmd must run as root to start jobs; run the slurm tests as root"
    return 77
  fi
  LOCALSLURM_DIR=$(mktemp -d /tmp/localslurm.XXXXXX) || return 1
  local d=$LOCALSLURM_DIR host cpus mem ctl=0 sd=0 p
  mkdir -p "$d/state" "$d/spool" "$d/munge" && chmod 700 "$d/munge"
  host=$(hostname -s)
  cpus=$(nproc)
  mem=$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)
  for p in $(seq 16817 2 16899); do
    if _localslurm_port_free "$p" && _localslurm_port_free $((p + 1)); then ctl=$p; sd=$((p + 1)); break; fi
  done
  (( ctl )) || { localslurm_log "no free port pair in 16817..16900"; return 1; }

  # munge: our own key, socket and pid file, so the machine's munge (if any) is left alone.
  dd if=/dev/urandom of="$d/munge/munge.key" bs=1024 count=1 status=none && chmod 400 "$d/munge/munge.key"
  /usr/sbin/munged --force --socket="$d/munge/munge.socket" --key-file="$d/munge/munge.key" \
    --pid-file="$d/munge/munged.pid" --log-file="$d/munge/munged.log" \
    --seed-file="$d/munge/munged.seed" || { localslurm_log "munged failed to start"; cat "$d/munge/munged.log" >&2; return 1; }
  local i
  for ((i = 0; i < 50; i++)); do [[ -s $d/munge/munged.pid ]] && break; sleep 0.1; done
  LOCALSLURM_PIDS+=("$(cat "$d/munge/munged.pid")")

  cat >"$d/slurm.conf" <<EOF
# written by tests/slurm/localslurm.sh: one node, this host, everything under $d
ClusterName=critsweep-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctl
SlurmdPort=$sd
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$d/munge/munge.socket
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/slurmctld.pid
SlurmdPidFile=$d/slurmd.pid
SlurmctldLogFile=$d/slurmctld.log
SlurmdLogFile=$d/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
ReturnToService=2
KillWait=15
MinJobAge=600
InactiveLimit=0
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF=$d/slurm.conf
  /usr/sbin/slurmctld -f "$SLURM_CONF" || { localslurm_log "slurmctld failed to start:"; tail -n 20 "$d/slurmctld.log" >&2; return 1; }
  for ((i = 0; i < 50; i++)); do [[ -s $d/slurmctld.pid ]] && break; sleep 0.1; done
  LOCALSLURM_PIDS+=("$(cat "$d/slurmctld.pid" 2>/dev/null)")
  /usr/sbin/slurmd -f "$SLURM_CONF" -N "$host" || { localslurm_log "slurmd failed to start:"; tail -n 20 "$d/slurmd.log" >&2; return 1; }
  for ((i = 0; i < 50; i++)); do [[ -s $d/slurmd.pid ]] && break; sleep 0.1; done
  LOCALSLURM_PIDS+=("$(cat "$d/slurmd.pid" 2>/dev/null)")

  local state=
  for ((i = 0; i < 120; i++)); do
    state=$(sinfo -h -N -o '%t' 2>/dev/null | head -n 1)
    [[ $state == idle ]] && break
    sleep 0.5
  done
  if [[ $state != idle ]]; then
    localslurm_log "the node did not become idle within 60 s (state: '${state:-no answer}'); logs:"
    tail -n 20 "$d/slurmctld.log" "$d/slurmd.log" >&2
    return 1
  fi
  localslurm_log "up: $host, $cpus CPUs, ports $ctl/$sd, SLURM_CONF=$SLURM_CONF"
}

# Prints the daemons' logs (for a failing test).
localslurm_logs() {
  [[ -n $LOCALSLURM_DIR ]] || return 0
  tail -n 40 "$LOCALSLURM_DIR/slurmctld.log" "$LOCALSLURM_DIR/slurmd.log" >&2
}

localslurm_stop() {
  [[ -n $LOCALSLURM_DIR ]] || return 0
  local i pid
  if [[ -n ${SLURM_CONF:-} ]] && [[ -e $SLURM_CONF ]]; then
    # Jobs first: their slurmstepd processes end with them, and no step outlives the test.
    scancel --full --quiet --user="$(id -un)" 2>/dev/null
    for ((i = 0; i < 60; i++)); do
      [[ -z $(squeue -h -t all -o '%i %T' 2>/dev/null | grep -v -E 'COMPLETED|CANCELLED|FAILED|TIMEOUT') ]] && break
      [[ -z $(squeue -h 2>/dev/null) ]] && break
      sleep 0.5
    done
  fi
  for ((i = ${#LOCALSLURM_PIDS[@]} - 1; i >= 0; i--)); do   # slurmd, slurmctld, munged
    pid=${LOCALSLURM_PIDS[i]}
    [[ -n $pid ]] && kill "$pid" 2>/dev/null
  done
  for pid in "${LOCALSLURM_PIDS[@]}"; do
    [[ -n $pid ]] || continue
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  done
  if [[ -n ${LOCALSLURM_KEEP:-} ]]; then localslurm_log "kept $LOCALSLURM_DIR"; else rm -rf "$LOCALSLURM_DIR"; fi
  LOCALSLURM_DIR= LOCALSLURM_PIDS=()
  unset SLURM_CONF
}

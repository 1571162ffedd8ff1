#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, for CI: munged, slurmctld and slurmd on
# localhost, all state under one folder. Works as root without systemd or cgroups.
#
#   tools/slurm.sh install        # Debian's slurm-wlm and munge (apt-get)
#   tools/slurm.sh start DIR      # write the config under DIR, start the daemons, wait
#   tools/slurm.sh stop DIR       # stop them by their pid files
#
# After `start`, export SLURM_CONF=DIR/slurm.conf for sbatch/squeue/sacct.
set -euo pipefail

cmd="${1:-}"
dir="${2:-/tmp/yieldlab-slurm}"

case "$cmd" in
install)
  if ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge) >/dev/null
  fi
  ;;
start)
  mkdir -p "$dir"/{munge,spool/ctld,spool/d,log}
  dir="$(cd "$dir" && pwd)"
  # munge: its own key and socket; --force because it refuses to run as root otherwise.
  if [ ! -f "$dir/munge/munge.key" ]; then
    dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
    chmod 600 "$dir/munge/munge.key"
  fi
  munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" \
    --seed-file="$dir/munge/munge.seed"
  node="$(slurmd -C | head -1)"
  # RealMemory a little under the real figure, or slurmd refuses to register.
  mem="$(echo "$node" | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')"
  node="$(echo "$node" | sed "s/RealMemory=[0-9]*/RealMemory=$((mem * 9 / 10))/")"
  name="$(echo "$node" | sed -n 's/^NodeName=\([^ ]*\).*/\1/p')"
  cat >"$dir/slurm.conf" <<EOF
ClusterName=yieldlab-ci
SlurmctldHost=$name
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/spool/ctld
SlurmdSpoolDir=$dir/spool/d
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
MinJobAge=2
ReturnToService=2
MpiDefault=none
$node State=UNKNOWN
PartitionName=ci Nodes=$name Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF="$dir/slurm.conf"
  slurmctld -f "$SLURM_CONF"
  slurmd -f "$SLURM_CONF"
  # Wait until the node is idle (slurmctld's first scheduling pass has seen it).
  for _ in $(seq 1 100); do
    if sinfo -h -o '%T' 2>/dev/null | grep -q '^idle'; then
      echo "slurm: up (SLURM_CONF=$SLURM_CONF)"
      exit 0
    fi
    sleep 0.2
  done
  echo "slurm: the node did not become idle; logs in $dir/log" >&2
  tail -n 20 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 || true
  exit 1
  ;;
stop)
  for p in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
    if [ -f "$p" ]; then
      kill "$(cat "$p")" 2>/dev/null || true
    fi
  done
  ;;
*)
  echo "usage: $0 install | start DIR | stop DIR" >&2
  exit 2
  ;;
esac

#!/usr/bin/env bash
# A real single-node Slurm on loopback, for tests and for trying the slurm target on one machine.
#
#   hub/slurm/devslurm.sh install           apt-get install munge, slurmctld, slurmd, slurm-client, sudo
#                                           (only what is missing; needs root)
#   hub/slurm/devslurm.sh start DIR [CPUS]  write a munge key, slurm.conf and spool dirs under DIR, start
#                                           munged, slurmctld and slurmd (as root), wait for the node to be
#                                           idle; prints SLURM_CONF=DIR/slurm.conf
#   hub/slurm/devslurm.sh stop DIR          cancel every job, stop the three daemons by the pids in DIR
#
# Without systemd: every daemon runs in the foreground of a background shell job, its pid in DIR/*.pid.
# The node is NodeName=`hostname -s` at 127.0.0.1 and advertises CPUS cores (default 8) whatever the
# machine has (SlurmdParameters=config_overrides), so a scheduler and several workers fit on 2 cores.
# DIR must be traversable by other users (0755): jobs run as the users who submit them, and their
# sbatch/squeue read DIR/slurm.conf and talk to munged through DIR/munge/munge.socket.
set -euo pipefail

PACKAGES=(munge slurmctld slurmd slurm-client sudo)
PARTITION=${SLURM_PARTITION:-spacehub}

die() { echo "devslurm: $*" >&2; exit 1; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

cmd_install() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" -eq 0 ] || die "missing packages ${missing[*]}: run as root (apt-get install ${missing[*]})"
    echo "devslurm: installing ${missing[*]}"
    # Debian's packages try to start their services; there is no systemd here, and nothing should start
    # until `start` does it under DIR.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null \
        || { apt-get update -q >/dev/null && \
             DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }
}

write_conf() {
    local dir=$1 cpus=$2 node
    node=$(hostname -s)
    cat > "$dir/slurm.conf" <<CONF
# single-node Slurm written by hub/slurm/devslurm.sh
ClusterName=spacehub-dev
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/ctld
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.daemon.pid
SlurmdPidFile=$dir/slurmd.daemon.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SlurmdParameters=config_overrides
SchedulerParameters=sched_interval=2
MessageTimeout=10
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=16000 State=UNKNOWN
PartitionName=$PARTITION Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
    chmod 644 "$dir/slurm.conf"
}

start_bg() {  # name, command...: run in the foreground of a background job, record its pid
    local name=$1; shift
    setsid "$@" >"$DIR/$name.out" 2>&1 < /dev/null &
    echo $! > "$DIR/$name.pid"
}

wait_until() {  # seconds, what, command...
    local deadline=$((SECONDS + $1)) what=$2; shift 2
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.2
    done
}

cmd_start() {
    DIR=$(realpath -m "$1"); local cpus=${2:-8}
    command -v slurmctld >/dev/null || die "Slurm is not installed: run '$0 install' (as root)"
    [ "$(id -u)" -eq 0 ] || die "start needs root (slurmd runs jobs as their users)"
    mkdir -p "$DIR"/{munge,ctld,spool}
    chmod 755 "$DIR"
    # munged insists on a private key and on owning its socket folder
    chown munge:munge "$DIR/munge" 2>/dev/null || true
    chmod 755 "$DIR/munge"
    dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1024 count=1 status=none
    chown munge:munge "$DIR/munge/munge.key" 2>/dev/null || true
    chmod 400 "$DIR/munge/munge.key"
    write_conf "$DIR" "$cpus"
    export SLURM_CONF=$DIR/slurm.conf

    start_bg munged runuser -u munge -- /usr/sbin/munged --foreground --force \
        --key-file="$DIR/munge/munge.key" --socket="$DIR/munge/munge.socket" \
        --pid-file="$DIR/munge/munged.pid" --seed-file="$DIR/munge/munged.seed" --log-file="$DIR/munge/munged.log"
    wait_until 10 munged munge --socket="$DIR/munge/munge.socket" -n \
        || { cmd_stop "$DIR"; die "munged did not start: $(cat "$DIR/munged.out" "$DIR/munge/munged.log" 2>/dev/null)"; }
    start_bg slurmctld /usr/sbin/slurmctld -D -c -i
    start_bg slurmd /usr/sbin/slurmd -D
    if ! wait_until 60 "node idle" sh -c "sinfo -h -N -o %t | grep -qx idle"; then
        echo "devslurm: the node did not become idle; logs:" >&2
        tail -n 20 "$DIR"/slurmctld.log "$DIR"/slurmd.log "$DIR"/*.out >&2 || true
        cmd_stop "$DIR"
        exit 1
    fi
    echo "SLURM_CONF=$SLURM_CONF"
}

cmd_stop() {
    DIR=$(realpath -m "$1")
    export SLURM_CONF=$DIR/slurm.conf
    if [ -f "$DIR/slurmctld.pid" ] && kill -0 "$(cat "$DIR/slurmctld.pid")" 2>/dev/null; then
        scancel --full --partition="$PARTITION" >/dev/null 2>&1 || true
        wait_until 20 "jobs gone" sh -c '[ -z "$(squeue -h -o %i)" ]' || true
    fi
    for name in slurmd slurmctld munged; do
        local pidfile=$DIR/$name.pid
        [ -f "$pidfile" ] || continue
        local pid; pid=$(cat "$pidfile")
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            wait_until 15 "$name stopped" sh -c "! kill -0 $pid" || kill -KILL "$pid" 2>/dev/null || true
        fi
        rm -f "$pidfile"
    done
}

case "${1:-}" in
    install) cmd_install ;;
    start) [ $# -ge 2 ] || die "usage: $0 start DIR [CPUS]"; cmd_start "$2" "${3:-8}" ;;
    stop) [ $# -ge 2 ] || die "usage: $0 stop DIR"; cmd_stop "$2" ;;
    *) die "usage: $0 install | start DIR [CPUS] | stop DIR" ;;
esac

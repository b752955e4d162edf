#!/usr/bin/env bash
# Runs scripts/slurm/sweep.sbatch on a real one-node Slurm cluster on localhost and checks that
# `npusim sweep-merge` of the array's shards equals a local `npusim sweep` of the same grid.
#
#   scripts/slurm/test_cluster.sh            # NPUSIM=path/to/npusim (default build/npusim)
#   NPUSIM_SLURM_KEEP=1 scripts/slurm/test_cluster.sh   # keep the temporary directory (logs)
#
# It starts everything it needs in a temporary directory and stops it afterwards: a private
# munged (its own key and socket), slurmctld and slurmd with their own slurm.conf (free ports
# chosen at run time, state and spool in the directory, no accounting daemon, no cgroups). The
# Debian packages slurmctld, slurmd, slurm-client and munge are installed with apt-get when
# missing (root only). Exit 0 when the merged CSV equals the local run, or when the cluster
# cannot be set up here ("slurm test: skipped (...)"); exit 1 when a running cluster's job fails
# or the CSVs differ. Bounded: under 90 s once the packages are installed (about 14 s on a
# 2-core machine, 6 s of it sbatch --wait polling).
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
npusim=${NPUSIM:-build/npusim}
case $npusim in /*) ;; *) npusim="$root/$npusim" ;; esac
shards=4
start=$SECONDS
budget=60   # seconds for everything before the teardown, which takes at most about 22 more

say() { echo "slurm test: $*"; }
skip() { say "skipped ($(echo "$*" | sed 's/  */ /g; s/ *$//'))"; exit 0; }
fail() { say "FAILED: $*" >&2; failed=1; exit 1; }

[ -x "$npusim" ] || fail "no npusim binary at $npusim (set NPUSIM)"

# --- packages ------------------------------------------------------------------------------
PATH=$PATH:/usr/sbin:/sbin
have_all() { command -v slurmctld && command -v slurmd && command -v sbatch && command -v munged; } >/dev/null
if ! have_all; then
  [ "$(id -u)" = 0 ] || skip "slurmctld, slurmd, slurm-client or munge not installed, and not root to install them"
  say "installing slurmctld slurmd slurm-client munge (apt-get)"
  DEBIAN_FRONTEND=noninteractive timeout 900 apt-get -o DPkg::Lock::Timeout=300 install -y \
    --no-install-recommends slurmctld slurmd slurm-client munge >/tmp/npusim-slurm-apt.log 2>&1 ||
    skip "could not install the Slurm packages: $(tail -n 1 /tmp/npusim-slurm-apt.log)"
  have_all || skip "the Slurm packages installed but their commands are missing"
  start=$SECONDS   # the 90 s budget is for the test, not a one-time install
fi
[ "$(id -u)" = 0 ] || skip "slurmd must run as root to start job steps"

tmp=$(mktemp -d /tmp/npusim-slurm.XXXXXX)
chmod 0700 "$tmp"
export SLURM_CONF=$tmp/slurm.conf
munged_pid='' ctld_pid='' slurmd_pid='' failed=0

# Seconds left of the budget for a step that may take up to $1 seconds (at least 1).
cap() {
  local left=$((budget - (SECONDS - start)))
  [ "$left" -gt "$1" ] && left=$1
  [ "$left" -lt 1 ] && left=1
  echo "$left"
}

# Stops daemons by their PIDs: TERM, then KILL whatever is still there after $1 seconds.
stop_pids() {
  local wait_s=$1 pid alive end
  shift
  for pid; do [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; done
  end=$((SECONDS + wait_s))
  while [ "$SECONDS" -lt "$end" ]; do
    alive=0
    for pid; do [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for pid; do
    [ -n "$pid" ] || continue
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  return 0
}

teardown() {
  local end
  if [ -n "$ctld_pid" ] && kill -0 "$ctld_pid" 2>/dev/null; then
    # Jobs first, or their processes outlive slurmd: cancel everything (the cluster is ours) and
    # wait, bounded, for the queue to drain.
    timeout 3 scancel --quiet --user="$(id -un)" 2>/dev/null
    end=$((SECONDS + 8))
    while [ "$SECONDS" -lt "$end" ]; do
      [ -z "$(timeout 2 squeue -h -o %i 2>/dev/null)" ] && break
      sleep 0.1
    done
  fi
  # A job leaves the queue a moment before its slurmstepd exits; each step's socket in the spool
  # directory goes when its slurmstepd does.
  end=$((SECONDS + 4))
  while [ "$SECONDS" -lt "$end" ] && [ -n "$(find "$tmp/spool" -maxdepth 1 -type s 2>/dev/null)" ]; do
    sleep 0.1
  done
  stop_pids 5 "$slurmd_pid" "$ctld_pid"
  stop_pids 2 "$munged_pid"
  if [ "$failed" = 0 ] && [ "${NPUSIM_SLURM_KEEP:-0}" != 1 ]; then rm -rf "$tmp"; else say "logs kept in $tmp" >&2; fi
}
trap teardown EXIT
trap 'exit 1' INT TERM HUP

# Tail of a log for a skip or failure message, on one line.
last() { tail -n "${2:-3}" "$1" 2>/dev/null | tr '\n' ' ' | sed 's/  */ /g'; }

# --- munge ---------------------------------------------------------------------------------
dd if=/dev/urandom of="$tmp/munge.key" bs=1024 count=1 status=none
chmod 0400 "$tmp/munge.key"
sock=$tmp/munge.socket
munged -F --force --socket="$sock" --key-file="$tmp/munge.key" --pid-file="$tmp/munged.pid" \
  --log-file="$tmp/munged.log" --seed-file="$tmp/munged.seed" >"$tmp/munged.out" 2>&1 &
munged_pid=$!
end=$((SECONDS + 5))
while [ "$SECONDS" -lt "$end" ] && [ ! -S "$sock" ] && kill -0 "$munged_pid" 2>/dev/null; do sleep 0.1; done
timeout 5 munge -n --socket="$sock" 2>/dev/null | timeout 5 unmunge --socket="$sock" >/dev/null 2>&1 ||
  skip "could not start munged: $(last "$tmp/munged.out") $(last "$tmp/munged.log" 2)"

# --- slurm.conf ----------------------------------------------------------------------------
# Two free TCP ports: python when present, else random ones nobody answers on.
free_ports() {
  if command -v python3 >/dev/null; then
    python3 -c 'import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))'
  else
    local p ports=()
    while [ ${#ports[@]} -lt 2 ]; do
      p=$((20000 + RANDOM % 40000))
      (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || ports+=("$p")
    done
    echo "${ports[@]}"
  fi
}
read -r ctld_port slurmd_port < <(free_ports)
node_line=$(timeout 5 slurmd -C 2>/dev/null | grep -m1 '^NodeName=')
[ -n "$node_line" ] || skip "could not start slurmd: 'slurmd -C' printed no NodeName line"
node=${node_line%% *}
node=${node#NodeName=}
mkdir -p "$tmp/state" "$tmp/spool" "$tmp/logs" "$tmp/out"
cat >"$SLURM_CONF" <<EOF
ClusterName=npusimtest
SlurmctldHost=localhost
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$sock
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MailProg=/bin/true
ReturnToService=2
$node_line NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF

# --- daemons -------------------------------------------------------------------------------
slurmctld -D -c -f "$SLURM_CONF" >"$tmp/slurmctld.out" 2>&1 &
ctld_pid=$!
slurmd -D -f "$SLURM_CONF" -N "$node" >"$tmp/slurmd.out" 2>&1 &
slurmd_pid=$!
state=''
end=$((SECONDS + 15))
while [ "$SECONDS" -lt "$end" ]; do
  kill -0 "$ctld_pid" 2>/dev/null || skip "could not start slurmctld: $(last "$tmp/slurmctld.log") $(last "$tmp/slurmctld.out")"
  kill -0 "$slurmd_pid" 2>/dev/null || skip "could not start slurmd: $(last "$tmp/slurmd.log") $(last "$tmp/slurmd.out")"
  state=$(timeout 2 sinfo -h -N -n "$node" -o %t 2>/dev/null)
  [ "$state" = idle ] && break
  sleep 0.1
done
[ "$state" = idle ] ||
  skip "could not start the cluster: node $node is '${state:-not answering}' after 15 s: $(last "$tmp/slurmd.log" 2)"
up=$((SECONDS - start))

# --- the sharded sweep as a job array ------------------------------------------------------
cat >"$tmp/grid.json" <<'EOF'
{"knobs": {"/units/0/rows": [8, 16], "/dram/preset": ["ddr4-2400", "lpddr4-3200"], "/units/0/dataflow": ["ws", "os"]}}
EOF
sweep_args=(--arch arch/dense_16x16.json --net workloads/tiny_conv.json --grid "$tmp/grid.json" --jobs 1)
t0=$SECONDS
cd "$root" || fail "cannot enter $root"
array_limit=$(cap 45)
NPUSIM=$npusim timeout "$array_limit" sbatch --parsable --wait --array=0-$((shards - 1)) --cpus-per-task=1 \
  --chdir="$root" --output="$tmp/logs/%A_%a.log" --job-name=npusim-sweep-test \
  scripts/slurm/sweep.sbatch "$tmp/out" "${sweep_args[@]}" >"$tmp/sbatch.out" 2>"$tmp/sbatch.err"
rc=$?
job=$(grep -m1 -o '^[0-9]*' "$tmp/sbatch.out")
array_s=$((SECONDS - t0))
[ -n "$job" ] || fail "sbatch did not submit the array (exit $rc): $(last "$tmp/sbatch.err")"
[ "$rc" != 124 ] || fail "job array $job did not finish within $array_limit s"
# Every task's state from the controller (no accounting daemon, so not sacct).
states=$(timeout "$(cap 5)" scontrol -o show job "$job" 2>/dev/null |
  sed -n 's/.*ArrayTaskId=\([0-9]*\) .*JobState=\([A-Z_]*\) .*ExitCode=\([0-9:]*\) .*/\1 \2 \3/p' | sort -n)
completed=$(grep -c ' COMPLETED 0:0$' <<<"$states")
if [ "$rc" != 0 ] || [ "$completed" != "$shards" ]; then
  for f in "$tmp"/logs/*.log; do [ -f "$f" ] && echo "--- $f" && tail -n 5 "$f"; done >&2
  fail "job array $job: sbatch exit $rc, $completed of $shards tasks COMPLETED 0:0; tasks: $(tr '\n' ';' <<<"$states")"
fi

# --- merge and compare with a local run ----------------------------------------------------
shard_dirs=()
for k in $(seq 0 $((shards - 1))); do shard_dirs+=("$tmp/out/shard-$k"); done
timeout "$(cap 10)" "$npusim" sweep-merge --out "$tmp/merged" "${shard_dirs[@]}" >"$tmp/merge.out" 2>&1 ||
  fail "sweep-merge of the shards: $(last "$tmp/merge.out")"
timeout "$(cap 15)" "$npusim" sweep "${sweep_args[@]}" --out "$tmp/local" >"$tmp/local.out" 2>&1 ||
  fail "the local sweep: $(last "$tmp/local.out")"
merged=$tmp/merged/sweep.csv
local_csv=$tmp/local/sweep.csv
points=$(($(wc -l <"$local_csv") - 1))
ok=$(tail -n +2 "$local_csv" | grep -c ',ok,')
if [ "$points" -lt 1 ] || [ "$ok" != "$points" ]; then
  fail "the local sweep has $ok ok points of $points: $(last "$local_csv" 2)"
fi
# sweep.csv holds only simulated figures (no wall times), so every column must match. The
# merge sorts by point id; a point id is its knob values' position in the grid, so comparing
# the sorted rows compares the knob columns and the figures together.
if ! head -n 1 "$merged" | cmp -s - <(head -n 1 "$local_csv"); then
  fail "merged header '$(head -n 1 "$merged")' differs from the local run's '$(head -n 1 "$local_csv")'"
fi
if ! diff <(tail -n +2 "$merged" | sort) <(tail -n +2 "$local_csv" | sort) >"$tmp/diff.txt"; then
  fail "the merged CSV differs from the local run (< merged, > local):
$(head -n 20 "$tmp/diff.txt")"
fi
say "$shards-task array, $points points, merged CSV equals the local run (cluster up in ${up} s, array ${array_s} s, total $((SECONDS - start)) s)"

#!/usr/bin/env bash
# A three-node RabbitMQ cluster on this machine, beside the main broker (which it never touches):
#
#   scripts/cluster.sh up       start warren-c1..3@<host> on 5681-5683, cluster them, print the URL list
#   scripts/cluster.sh down     stop the three nodes and delete their data
#   scripts/cluster.sh status   print the URL list and exit 0 if the cluster is up, else say why and exit 1
#   scripts/cluster.sh nodes    print the node names, one a line
#   scripts/cluster.sh rpc N 'Mod Fun [Args]'   call a function on node N through erl_call (as the tests do)
#
# Each node has its own name, AMQP port (5681-5683), distribution port (25681-25683), config file,
# data, log and pid files under $WARREN_CLUSTER_DIR (default ${TMPDIR:-/tmp}/warren-cluster). The
# machine's rabbitmq.conf pins a listener to 5672, so each node gets a config of its own
# (RABBITMQ_CONFIG_FILE) and an env file of its own (RABBITMQ_CONF_ENV_FILE: the machine's names the
# main node). Run as root where a `rabbitmq` user exists, the nodes run as that user, so they share
# its Erlang cookie with rabbitmqctl. Only stdout carries the URL list; progress goes to stderr.
# When the nodes cannot be started: one line saying why, stop what was started, exit 1. With Docker instead:
# `docker compose --profile cluster up -d` (the same ports).
set -euo pipefail
# server_bin, owner, as_owner, port_taken, launch_node, wait_listener
source "$(dirname "${BASH_SOURCE[0]}")/lib/rabbitmq-node.sh"

BASE="${WARREN_CLUSTER_DIR:-${TMPDIR:-/tmp}/warren-cluster}"
HOST="${WARREN_CLUSTER_HOST:-localhost}"
NODES=(1 2 3)
WAIT_SEC="${WARREN_CLUSTER_WAIT_SEC:-120}"

say() { echo "cluster: [${SECONDS} s] $*" >&2; }
die() {
  echo "cluster: $*" >&2
  exit 1
}
node_name() { echo "warren-c$1@${HOST}"; }
amqp_port() { echo $((5680 + $1)); }
dist_port() { echo $((25680 + $1)); }
urls() {
  local list=()
  for n in "${NODES[@]}"; do list+=("amqp://guest:guest@127.0.0.1:$(amqp_port "$n")"); done
  (
    IFS=,
    echo "${list[*]}"
  )
}

ctl() {
  local n="$1"
  shift
  timeout "${CTL_TIMEOUT:-60}" rabbitmqctl -q -n "$(node_name "$n")" "$@" </dev/null
}

# erl_call (erl_interface, shipped in erlang-base) talks to a node in ~50 ms where every rabbitmqctl
# call boots an Erlang VM of its own (5-10 s on two busy cores): the tests and status/down use it.
# It reads the cookie from $HOME/.erlang.cookie, so the cookie never appears on a command line.
erl_call_bin() {
  local erl
  if command -v erl_call; then return; fi
  erl=$(readlink -f "$(command -v erl 2>/dev/null)" 2>/dev/null) || return 0
  for f in "$(dirname "$erl")/erl_call" "$(dirname "$erl")"/../lib/erl_interface-*/bin/erl_call; do
    if [ -x "$f" ]; then
      readlink -f "$f"
      return
    fi
  done
}
cookie_home() { getent passwd "$(owner)" | cut -d: -f6; }
# rpc N 'Module Function [Args]'  or  rpc N -e <<< 'Expr.'
rpc() {
  local n="$1"
  shift
  if [ "${1:-}" = -e ]; then
    HOME="$(cookie_home)" timeout "${CTL_TIMEOUT:-60}" "$(erl_call_bin)" -sname "$(node_name "$n")" -e
  else
    HOME="$(cookie_home)" timeout "${CTL_TIMEOUT:-60}" "$(erl_call_bin)" -sname "$(node_name "$n")" -a "$1" </dev/null
  fi
}

running_nodes() {
  # One node's view of the running nodes is the cluster's.
  rpc 1 'rabbit_nodes all_running' 2>/dev/null | grep -o "warren-c[0-9]*@[^']*" | tr '\n' ' ' || true
}

is_up() {
  port_taken "$(amqp_port 1)" || return 1
  [ "$(CTL_TIMEOUT=20 running_nodes | wc -w)" = "${#NODES[@]}" ]
}

# Nodes 2 and 3 find node 1 at boot and join it (classic peer discovery): no stop_app/reset/join round.
peers() {
  [ "$1" = 1 ] && return
  echo "cluster_formation.peer_discovery_backend = classic_config"
  echo "cluster_formation.classic_config.nodes.1 = $(node_name 1)"
}

start_node() {
  local n="$1" dir="$BASE/node$1"
  mkdir -p "$dir"
  # pause_minority: the side of a partition without a majority stops, as RabbitMQ advises for 3+ nodes.
  cat >"$dir/rabbitmq.conf" <<EOF
listeners.tcp.local = 127.0.0.1:$(amqp_port "$n")
cluster_partition_handling = pause_minority
log.file.level = info
log.console = false
$(peers "$n")
EOF
  launch_node "$dir" "$(node_name "$n")" "$(dist_port "$n")" "$(amqp_port "$n")"
}

wait_node() {
  wait_listener "$BASE/node$1" "$(amqp_port "$1")" "$(node_name "$1")" "$WAIT_SEC"
}

up() {
  [ -x "$(server_bin)" ] || die "cannot start: rabbitmq-server was not found (${WARREN_RABBITMQ_SERVER:-not installed}; or: docker compose --profile cluster up -d)"
  command -v rabbitmqctl >/dev/null || die "cannot start: rabbitmqctl is not on the PATH"
  [ -n "$(erl_call_bin)" ] || die "cannot start: erl_call (Erlang's erl_interface, in erlang-base) was not found"
  getent passwd "$(owner)" >/dev/null || die "cannot start: no home directory for $(owner), where the Erlang cookie lives"
  if is_up; then
    say "already up"
    urls
    return
  fi
  for n in "${NODES[@]}"; do
    for p in "$(amqp_port "$n")" "$(dist_port "$n")"; do
      port_taken "$p" && die "cannot start: port $p is taken (a node of an earlier run? scripts/cluster.sh down stops it)"
    done
  done
  rm -rf "$BASE"
  mkdir -p "$BASE"
  # A start that fails half-way stops the nodes it did start: nothing is left running.
  # Its logs stay for the line that says why (the next `up` clears them).
  trap 'status=$?; if [ "$status" != 0 ]; then stop_nodes >/dev/null 2>&1 || true; fi' EXIT
  trap 'exit 130' INT TERM
  say "starting $(node_name 1), then $(node_name 2) and $(node_name 3), in $BASE"
  start_node 1
  wait_node 1
  for n in "${NODES[@]:1}"; do start_node "$n"; done
  for n in "${NODES[@]:1}"; do wait_node "$n"; done
  # Peer discovery joined them at boot; a node that came up alone is joined by hand.
  local running
  running=$(running_nodes)
  for n in "${NODES[@]:1}"; do
    if ! grep -qw "$(node_name "$n")" <<<"$running"; then
      say "$(node_name "$n") came up alone: joining it to $(node_name 1)"
      {
        ctl "$n" stop_app && ctl "$n" reset && ctl "$n" join_cluster "$(node_name 1)" && ctl "$n" start_app
      } >>"$BASE/node$n/log/join.log" 2>&1 || die "node $(node_name "$n") could not join $(node_name 1); see $BASE/node$n/log/join.log"
      running=$(running_nodes)
    fi
  done
  [ "$(wc -w <<<"$running")" = "${#NODES[@]}" ] || die "the nodes started but did not form a cluster of ${#NODES[@]} (running: $running)"
  urls >"$BASE/urls"
  # How the tests reach the nodes (test/support/cluster.ts): erl_call, and whose cookie (not the cookie).
  printf '{"erlCall":"%s","cookieHome":"%s","nodes":["%s","%s","%s"]}\n' "$(erl_call_bin)" "$(cookie_home)" \
    "$(node_name 1)" "$(node_name 2)" "$(node_name 3)" >"$BASE/control.json"
  trap - EXIT INT TERM
  say "up: $running"
  urls
}

# The processes of the nodes this script started: those whose environment names a data directory
# under $BASE (which only this script sets), besides the pid files, which a node writes only some
# seconds into its boot; an interrupted `up` can leave a node that far. epmd, which a node starts
# when none runs, may serve other nodes: it is left alone.
our_pids() {
  local n env pid
  for n in "${NODES[@]}"; do tr -dc "0-9" 2>/dev/null <"$BASE/node$n/pid" && echo; done
  for env in /proc/[0-9]*/environ; do
    pid=${env#/proc/}
    pid=${pid%/environ}
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = epmd ] && continue
    if tr '\0' '\n' 2>/dev/null <"$env" | grep -qxF -e "RABBITMQ_MNESIA_BASE=$BASE/node1/mnesia" -e "RABBITMQ_MNESIA_BASE=$BASE/node2/mnesia" -e "RABBITMQ_MNESIA_BASE=$BASE/node3/mnesia"; then
      echo "$pid"
    fi
  done
}

stop_nodes() {
  local n pid
  # All three at once: init:stop() is what `rabbitmqctl stop` asks for, minus a VM boot per node.
  for n in "${NODES[@]}"; do
    if port_taken "$(dist_port "$n")"; then
      if [ -n "$(erl_call_bin)" ]; then
        CTL_TIMEOUT=10 rpc "$n" 'init stop' >/dev/null 2>&1 || true
      else
        CTL_TIMEOUT=30 ctl "$n" stop >/dev/null 2>&1 || true
      fi
    fi
  done
  # What did not stop in 30 s (or never answered): the processes this script started, nothing else.
  for pid in $(our_pids | sort -un); do
    [ "$pid" = $$ ] && continue
    for _ in $(seq 1 120); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.25
    done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  done
}

down() {
  stop_nodes
  rm -rf "$BASE"
  say "down"
}

case "${1:-}" in
up) up ;;
down) down ;;
status)
  if is_up; then urls; else die "not up (scripts/cluster.sh up starts it)"; fi
  ;;
nodes) for n in "${NODES[@]}"; do node_name "$n"; done ;;
rpc)
  [ $# -ge 3 ] || die "usage: scripts/cluster.sh rpc 1|2|3 'Module Function [Args]' (or -e, the expression on stdin)"
  rpc "$2" "$3"
  echo
  ;;
*)
  echo "usage: scripts/cluster.sh up|down|status|nodes|rpc" >&2
  exit 2
  ;;
esac

# Sourced by scripts/cluster.sh and scripts/tls-node.sh: starting an extra RabbitMQ node on this
# machine beside the main broker, with its own name, ports, config, data, log and pid file under a
# directory of its own. The caller defines die() (one line saying why, exit 1) before sourcing.

# The server script itself, not Debian's wrapper (which writes the main node's startup_log).
server_bin() {
  if [ -n "${WARREN_RABBITMQ_SERVER:-}" ]; then
    echo "$WARREN_RABBITMQ_SERVER"
  elif [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; then
    echo /usr/lib/rabbitmq/bin/rabbitmq-server
  else
    command -v rabbitmq-server || true
  fi
}

# The nodes and rabbitmqctl must share one Erlang cookie: as root, run as the broker's own user.
owner() {
  if [ "$(id -u)" = 0 ] && id -u rabbitmq >/dev/null 2>&1; then echo rabbitmq; else id -un; fi
}
as_owner() {
  if [ "$(owner)" != "$(id -un)" ]; then runuser -u "$(owner)" -- "$@"; else "$@"; fi
}

port_taken() {
  (echo >"/dev/tcp/127.0.0.1/$1") >/dev/null 2>&1
}

# launch_node <dir> <node name> <dist port> [<amqp port>]: starts a node detached from the files
# <dir> holds (rabbitmq.conf, enabled_plugins, advanced.config if any), its data, logs and pid
# there. The machine's rabbitmq.conf pins a listener to 5672 and its rabbitmq-env.conf names the
# main node: the node gets a config file and an env file of its own. Distribution and epmd stay on
# loopback.
launch_node() {
  local dir="$1" name="$2" dist="$3" amqp="${4:-}"
  mkdir -p "$dir/mnesia" "$dir/log"
  echo 'ERL_EPMD_ADDRESS=127.0.0.1' >"$dir/rabbitmq-env.conf"
  [ -f "$dir/enabled_plugins" ] || echo '[].' >"$dir/enabled_plugins"
  chown -R "$(owner)" "$dir"
  as_owner env \
    RABBITMQ_NODENAME="$name" \
    ${amqp:+RABBITMQ_NODE_PORT="$amqp"} \
    RABBITMQ_DIST_PORT="$dist" \
    RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf" \
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" \
    RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
    RABBITMQ_MNESIA_BASE="$dir/mnesia" \
    RABBITMQ_LOG_BASE="$dir/log" \
    RABBITMQ_PID_FILE="$dir/pid" \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    ERL_EPMD_ADDRESS=127.0.0.1 \
    "$(server_bin)" -detached >"$dir/log/startup.log" 2>&1 </dev/null ||
    die "cannot start $name: $(tail -n 3 "$dir/log/startup.log")"
}

# wait_listener <dir> <port> <node name> <seconds>: a node opens its client listener last, once
# booted (and joined): poll the port, which costs nothing, rather than rabbitmqctl (an Erlang VM
# of its own on every call). Fails early if the node's process is gone.
wait_listener() {
  local dir="$1" port="$2" name="$3" seconds="$4" pid
  for _ in $(seq 1 $((seconds * 4))); do
    port_taken "$port" && return
    pid=$(tr -dc "0-9" 2>/dev/null <"$dir/pid" || true)
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then die "node $name exited while starting; see $dir/log"; fi
    sleep 0.25
  done
  die "node $name did not start within ${seconds} s; see $dir/log"
}

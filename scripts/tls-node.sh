#!/usr/bin/env bash
# A RabbitMQ node that speaks only TLS, on this machine, beside the main broker (which it never touches):
#
#   scripts/tls-node.sh up <cert-dir>   start warren-tls@localhost on 127.0.0.1:5671 (TLS only), print its URL
#   scripts/tls-node.sh down            stop it and delete its data
#   scripts/tls-node.sh status          print its URL and exit 0 if it is up, else say why and exit 1
#   scripts/tls-node.sh ctl <args...>   rabbitmqctl against it (add_user, set_permissions, list_connections ...)
#
# <cert-dir> holds PEM files: ca.pem (the CA client certificates must chain to), server.pem and
# server.key (the node's certificate, for `localhost`), and optionally expired.pem and expired.key,
# served to clients that ask for the name `expired.test` (SNI), so one node can present an expired
# certificate too. test/support/tls.ts makes them with openssl.
#
# The node has its own name, distribution port (25671), config, data, log and pid files under
# $WARREN_TLS_NODE_DIR (default ${TMPDIR:-/tmp}/warren-tls-node). Its config: no plain TCP
# listener; TLS on 127.0.0.1:5671 with verify_peer (a client certificate is checked when one is
# presented, not required: password logins work too); auth mechanisms PLAIN, AMQPLAIN and EXTERNAL
# (certificate login, rabbitmq_auth_mechanism_ssl), the user being the certificate's common name.
# Run as root where a `rabbitmq` user exists, it runs as that user (the Erlang cookie rabbitmqctl
# uses). Only stdout carries the URL; progress goes to stderr. When it cannot start: one line why, exit 1.
set -euo pipefail
# server_bin, owner, as_owner, port_taken, launch_node, wait_listener
source "$(dirname "${BASH_SOURCE[0]}")/lib/rabbitmq-node.sh"

BASE="${WARREN_TLS_NODE_DIR:-${TMPDIR:-/tmp}/warren-tls-node}"
NODE="warren-tls@localhost"
PORT=5671
DIST_PORT=25671
WAIT_SEC="${WARREN_TLS_NODE_WAIT_SEC:-90}"

say() { echo "tls-node: [${SECONDS} s] $*" >&2; }
die() {
  echo "tls-node: $*" >&2
  exit 1
}
url() { echo "amqps://localhost:${PORT}"; }

ctl() { timeout "${CTL_TIMEOUT:-60}" rabbitmqctl -q -n "$NODE" "$@" </dev/null; }
is_up() { port_taken "$PORT" && port_taken "$DIST_PORT"; }

# Erlang terms for advanced.config: ssl_options there replace the whole list, so every option is
# here (rabbitmq.conf's new-style keys have no SNI table).
ssl_options() {
  local d="$BASE/certs"
  printf '[{cacertfile, "%s/ca.pem"}, {certfile, "%s/server.pem"}, {keyfile, "%s/server.key"},\n' "$d" "$d" "$d"
  printf '   {verify, verify_peer}, {fail_if_no_peer_cert, false}, {versions, [%s]}' "'tlsv1.3', 'tlsv1.2'"
  if [ -f "$d/expired.pem" ]; then
    printf ',\n   {sni_hosts, [{"expired.test", [{certfile, "%s/expired.pem"}, {keyfile, "%s/expired.key"}]}]}' "$d" "$d"
  fi
  printf ']'
}

up() {
  local certs="${1:-}"
  [ -n "$certs" ] || die "usage: scripts/tls-node.sh up <cert-dir> (ca.pem, server.pem, server.key)"
  for f in ca.pem server.pem server.key; do [ -r "$certs/$f" ] || die "cannot start: $certs/$f is missing"; done
  [ -x "$(server_bin)" ] || die "cannot start: rabbitmq-server is not installed"
  command -v rabbitmqctl >/dev/null || die "cannot start: rabbitmqctl is not on the PATH"
  if is_up; then
    say "already up"
    url
    return
  fi
  for p in "$PORT" "$DIST_PORT"; do
    port_taken "$p" && die "cannot start: port $p is taken (a node of an earlier run? scripts/tls-node.sh down stops it)"
  done
  rm -rf "$BASE"
  mkdir -p "$BASE/certs"
  cp "$certs"/*.pem "$certs"/*.key "$BASE/certs/"
  chmod 600 "$BASE"/certs/*.key
  cat >"$BASE/rabbitmq.conf" <<EOF
listeners.tcp = none
listeners.ssl.default = 127.0.0.1:${PORT}
ssl_options.cacertfile = $BASE/certs/ca.pem
ssl_options.certfile = $BASE/certs/server.pem
ssl_options.keyfile = $BASE/certs/server.key
ssl_options.verify = verify_peer
ssl_options.fail_if_no_peer_cert = false
auth_mechanisms.1 = PLAIN
auth_mechanisms.2 = AMQPLAIN
auth_mechanisms.3 = EXTERNAL
ssl_cert_login_from = common_name
log.file.level = info
log.console = false
EOF
  printf '[{rabbit, [{ssl_options, %s}]}].\n' "$(ssl_options)" >"$BASE/advanced.config"
  echo '[rabbitmq_auth_mechanism_ssl].' >"$BASE/enabled_plugins"
  say "starting $NODE on 127.0.0.1:${PORT} (TLS only), in $BASE"
  launch_node "$BASE" "$NODE" "$DIST_PORT"
  wait_listener "$BASE" "$PORT" "$NODE" "$WAIT_SEC"
  say "up"
  url
}

down() {
  local pid
  port_taken "$DIST_PORT" && { CTL_TIMEOUT=30 ctl stop >/dev/null 2>&1 || true; }
  # A node that would not stop: end the process this script started (its pid file), nothing else.
  pid=$(tr -dc "0-9" 2>/dev/null <"$BASE/pid" || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    sleep 2
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -rf "$BASE"
  say "down"
}

case "${1:-}" in
up) up "${2:-}" ;;
down) down ;;
status)
  if is_up; then url; else die "not up (scripts/tls-node.sh up <cert-dir> starts it)"; fi
  ;;
ctl)
  shift
  ctl "$@"
  ;;
*)
  echo "usage: scripts/tls-node.sh up <cert-dir> | down | status | ctl <rabbitmqctl args>" >&2
  exit 2
  ;;
esac

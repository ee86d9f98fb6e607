#!/usr/bin/env bash
# How long a change takes to be heard on every server (issue 23: within a second): two
# servers sharing a PostgreSQL store, then two servers sharing one SQLite file, each given COUNT
# changes of the emergency switch by examples/agreement.rs (median, p90 and worst).
#
#   bench/agreement.sh               # 100 changes on each backend
#   COUNT=20 bench/agreement.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/postgres.sh
. bench/postgres.sh

count=${COUNT:-100}
cargo build --release --quiet --bin switchboard --example agreement
bin=target/release/switchboard
work=$(mktemp -d)
export TWILIO_AUTH_TOKEN=agreement-token
pids=
trap 'kill $pids 2>/dev/null || true; stop_postgres "$work/pg"' EXIT

# Two servers on DATABASE_URL, each with a state directory of its own; then the measurement.
measure() {
  local label=$1 url=$2 ports="" port
  for n in 1 2; do
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    RUST_LOG=warn "$bin" serve --listen "127.0.0.1:$port" --public-url "http://127.0.0.1:$port" \
      --now 2026-11-23T10:00:00Z --state-dir "$work/$label-$n" --database "$url" \
      2>"$work/$label-$n.log" &
    pids="$pids $!"
    ports="$ports $port"
    for _ in $(seq 200); do (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
  done
  echo "== $label: $count changes, two servers"
  # shellcheck disable=SC2086 # one URL a port
  target/release/examples/agreement "$url" call-flows "$TWILIO_AUTH_TOKEN" \
    $(for p in $ports; do printf 'http://127.0.0.1:%s ' "$p"; done) --count "$count"
}

start_postgres "$work/pg"
measure postgres "$PG_URL"
mkdir -p "$work/shared"
measure sqlite "sqlite://$work/shared/switchboard.db"

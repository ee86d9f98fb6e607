#!/usr/bin/env bash
# Webhooks with the store up and with it down, in alternating rounds on one server: the
# server answers from memory, so stopping PostgreSQL should change neither errors nor p99.
# Server pinned to core 0, wrk to core 1, as bench/load.sh.
#
#   bench/store-down.sh              # 4 rounds of (up, down), 10 s each, 64 connections
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/postgres.sh
. bench/postgres.sh

rounds=${ROUNDS:-4}
duration=${DURATION:-10s}
connections=${CONNECTIONS:-64}
cargo build --release --quiet --bin switchboard
bin=target/release/switchboard
work=$(mktemp -d)
export TWILIO_AUTH_TOKEN=load-test-token
port=18050
url="http://127.0.0.1:$port"
start_postgres "$work/pg"
RUST_LOG=info taskset -c 0 "$bin" serve --listen "127.0.0.1:$port" --public-url "$url" \
  --now 2026-11-23T10:00:00Z --state-dir "$work/state" --database "$PG_URL" 2>"$work/server.log" &
sb=$!
trap 'kill $sb 2>/dev/null || true; stop_postgres "$work/pg"' EXIT
for _ in $(seq 100); do (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
# The first webhooks of 100,000 different calls, signed for this server (bench/voice.lua).
bench/signed-calls.py "$url/voice" "${DISTINCT_CALLS:-100000}" > "$work/calls.tsv"
export CALLS="$work/calls.tsv"

printf '%-5s %-6s %10s %9s %9s %7s %s\n' round store req/s p50_ms p99_ms errors readyz
for round in $(seq "$rounds"); do
  for state in up down; do
    if [ "$state" = down ]; then
      stop_postgres "$work/pg" immediate
      sleep 3 # the server has noticed (its checks give up within 2 s)
    fi
    taskset -c 1 wrk -t1 -c"$connections" -d"$duration" --latency -s bench/voice.lua "$url/voice" \
      > "$work/wrk.txt"
    ready=$(curl -s "$url/readyz" | python3 -c 'import json, sys; print(json.load(sys.stdin)["store"])')
    read -r rps p50 p99 errors < <(awk -f bench/wrk-figures.awk "$work/wrk.txt")
    printf '%-5s %-6s %10s %9s %9s %7s %s\n' "$round" "$state" "$rps" "$p50" "$p99" "$errors" "$ready" |
      tee -a "$work/results"
    if [ "$state" = down ]; then
      restart_postgres "$work/pg"
      sleep 1 # the server has caught up (it checks every 200 ms)
    fi
  done
done
# Records of calls for reports: written while the store was up, dropped and counted while down.
curl -s "$url/metrics" | grep '^switchboard_call_records_total'
awk '{ n[$2]++; rps[$2] += $3; p99[$2] += $5; e += $6 }
  END { printf "mean req/s down/up: %.3f; mean p99 up %.3f ms, down %.3f ms; errors %d\n",
        rps["down"] / rps["up"], p99["up"] / n["up"], p99["down"] / n["down"], e; exit e > 0 }' "$work/results"

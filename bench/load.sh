#!/usr/bin/env bash
# Load on loopback: Switchboard against a reference server, measured side by side.
#
# Both servers run pinned to core 0 (SERVER_CORE); wrk runs pinned to core 1 (WRK_CORE). Each
# round drives Switchboard, then the reference (examples/reference_server.rs: axum answering
# the same TwiML bytes with no signature check, flows or logs), with the same connections and
# duration. Switchboard gets signed first webhooks to the wellbeing line and logs as in
# production (info, to a file). It prints each run, then min/median/max and the ratio of
# medians, and fails (exit 1) on any socket error or non-2xx answer.
#
#   bench/load.sh                               # 5 rounds of 10 s, 64 connections
#   ROUNDS=3 DURATION=30s CONNECTIONS=256 bench/load.sh
#   BASELINE=/tmp/switchboard-old bench/load.sh # also drive an older build, to measure a change
#   TOGETHER=1 bench/load.sh                    # drive the servers at the same time (see below)
#   POSTGRES=1 bench/load.sh                    # also Switchboard on a PostgreSQL store
#   RECORDS_OFF=1 bench/load.sh                 # also Switchboard with --call-records false
#   DISTINCT_CALLS=1 bench/load.sh              # one call over and over (100,000 by default)
#
# "switchboard" keeps its store in SQLite in a state directory (the default); "postgres" is
# the same binary on a PostgreSQL cluster this script starts (bench/postgres.sh). Neither
# store is on a webhook's path: each server answers from memory.
#
# Alternating runs meet the machine's noise at different moments: on a shared machine one
# round's ratio can be 0.6 and the next 1.1. With TOGETHER=1 the servers share their core,
# each driven by its own wrk at once, so every round meets the same noise: the ratio of their
# req/s is then the ratio of what a request costs each (the req/s themselves are shares).
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${ROUNDS:-5}
duration=${DURATION:-10s}
connections=${CONNECTIONS:-64}
distinct_calls=${DISTINCT_CALLS:-100000}
together=${TOGETHER:-0}
server_core=${SERVER_CORE:-0}
wrk_core=${WRK_CORE:-1}
sb_port=18080
ref_port=18090
base_port=18070
pg_port=18060
off_port=18065
servers="switchboard reference"

if ! command -v wrk >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
cargo build --release --quiet --bin switchboard --example reference_server
bin=target/release/switchboard
work=$(mktemp -d)

export TWILIO_AUTH_TOKEN=load-test-token
sb_url="http://127.0.0.1:$sb_port"
RUST_LOG=info taskset -c "$server_core" "$bin" serve --listen "127.0.0.1:$sb_port" \
  --public-url "$sb_url" --now 2026-11-23T10:00:00Z --state-dir "$work/state" 2>"$work/switchboard.log" &
sb=$!
taskset -c "$server_core" target/release/examples/reference_server "127.0.0.1:$ref_port" 2>/dev/null &
ref=$!
pg=
if [ "${POSTGRES:-0}" = 1 ]; then
  # shellcheck source=bench/postgres.sh
  . bench/postgres.sh
  start_postgres "$work/pg"
  RUST_LOG=info taskset -c "$server_core" "$bin" serve --listen "127.0.0.1:$pg_port" \
    --public-url "http://127.0.0.1:$pg_port" --now 2026-11-23T10:00:00Z \
    --state-dir "$work/pg-state" --database "$PG_URL" 2>"$work/postgres.log" &
  pg=$!
  servers="$servers postgres"
fi
off=
if [ "${RECORDS_OFF:-0}" = 1 ]; then
  RUST_LOG=info taskset -c "$server_core" "$bin" serve --listen "127.0.0.1:$off_port" \
    --public-url "http://127.0.0.1:$off_port" --now 2026-11-23T10:00:00Z \
    --state-dir "$work/off-state" --call-records false 2>"$work/records-off.log" &
  off=$!
  servers="$servers records-off"
fi
base=
if [ -n "${BASELINE:-}" ]; then
  RUST_LOG=info taskset -c "$server_core" "$BASELINE" serve --listen "127.0.0.1:$base_port" \
    --public-url "http://127.0.0.1:$base_port" --now 2026-11-23T10:00:00Z \
    --state-dir "$work/base-state" 2>"$work/baseline.log" &
  base=$!
  servers="$servers baseline"
fi
trap 'kill $sb $ref $base $pg $off 2>/dev/null || true; [ -z "$pg" ] || stop_postgres "$work/pg"' EXIT
for port in $sb_port $ref_port ${base:+$base_port} ${pg:+$pg_port} ${off:+$off_port}; do
  for _ in $(seq 100); do
    (echo > /dev/tcp/127.0.0.1/$port) 2>/dev/null && break
    sleep 0.1
  done
done

# Each server's URL.
url_of() {
  case $1 in
    switchboard) echo "http://127.0.0.1:$sb_port" ;;
    baseline) echo "http://127.0.0.1:$base_port" ;;
    postgres) echo "http://127.0.0.1:$pg_port" ;;
    records-off) echo "http://127.0.0.1:$off_port" ;;
    reference) echo "http://127.0.0.1:$ref_port" ;;
  esac
}

# Each request is the first webhook of another call (DISTINCT_CALLS of them, round and round),
# signed for the server's own URL; made before the rounds, so that none is held up by it.
for name in $servers; do
  bench/signed-calls.py "$(url_of "$name")/voice" "$distinct_calls" > "$work/calls-$name.tsv"
done

# One server's wrk run in a round: "req/s p50_ms p99_ms errors" into $work/line-NAME, and wrk's
# own output kept.
drive() {
  local name=$1 round=$2 url
  url=$(url_of "$name")
  CALLS="$work/calls-$name.tsv" taskset -c "$wrk_core" wrk -t1 -c"$connections" -d"$duration" \
    --latency -s bench/voice.lua "$url/voice" > "$work/$name-$round.txt"
  awk -f bench/wrk-figures.awk "$work/$name-$round.txt" > "$work/line-$name"
}

echo "rounds=$rounds duration=$duration connections=$connections calls=$distinct_calls server core $server_core, wrk core $wrk_core, together=$together"
printf '%-5s %-12s %10s %9s %9s %7s\n' round server req/s p50_ms p99_ms errors
: > "$work/results"
for round in $(seq "$rounds"); do
  if [ "$together" = 1 ]; then
    drivers=
    for name in $servers; do
      drive "$name" "$round" &
      drivers="$drivers $!"
    done
    # shellcheck disable=SC2086 # one pid each
    wait $drivers
  else
    for name in $servers; do drive "$name" "$round"; done
  fi
  for name in $servers; do
    read -r rps p50 p99 errors < "$work/line-$name"
    printf '%-5s %-12s %10s %9s %9s %7s\n' "$round" "$name" "$rps" "$p50" "$p99" "$errors"
    echo "$name $rps $p50 $p99 $errors" >> "$work/results"
  done
done

summary() {
  local name=$1 column=$2
  awk -v n="$name" -v c="$column" '$1 == n { print $c }' "$work/results" | sort -g |
    awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%s %s %s", v[1], m, v[NR] }'
}
echo
printf '%-12s %-28s %-28s %-28s\n' server 'req/s min/median/max' 'p50 ms min/median/max' 'p99 ms min/median/max'
for name in $servers; do
  printf '%-12s %-28s %-28s %-28s\n' "$name" "$(summary "$name" 2)" "$(summary "$name" 3)" "$(summary "$name" 4)"
done
sb_median=$(summary switchboard 2 | awk '{ print $2 }')
ref_median=$(summary reference 2 | awk '{ print $2 }')
# Each round's ratio, one server's req/s ($1, default switchboard) over another's ($2).
per_round() {
  local top=switchboard bottom=$1
  [ $# = 1 ] || { top=$1; bottom=$2; }
  paste -d' ' <(awk -v n="$top" '$1 == n { print $2 }' "$work/results") \
    <(awk -v n="$bottom" '$1 == n { print $2 }' "$work/results") | awk '{ printf "%.3f ", $1 / $2 }'
}
median_of() {
  tr ' ' '\n' | grep . | sort -g |
    awk '{ v[NR] = $1 } END { printf "%.3f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratios=$(per_round reference)
echo "throughput ratio switchboard/reference: $(awk -v a="$sb_median" -v b="$ref_median" 'BEGIN { printf "%.3f", a / b }') (medians), $(median_of <<< "$ratios") (median of rounds); per round: $ratios"
if [ -n "$base" ]; then
  base_median=$(summary baseline 2 | awk '{ print $2 }')
  ratios=$(per_round baseline)
  echo "throughput ratio switchboard/baseline: $(awk -v a="$sb_median" -v b="$base_median" 'BEGIN { printf "%.3f", a / b }') (medians), $(median_of <<< "$ratios") (median of rounds); per round: $ratios"
fi
if [ -n "$pg" ]; then
  ratios=$(per_round postgres switchboard)
  echo "throughput ratio postgres/switchboard (PostgreSQL store over SQLite): $(median_of <<< "$ratios") (median of rounds); per round: $ratios"
  if [ -n "$base" ]; then
    ratios=$(per_round postgres baseline)
    echo "throughput ratio postgres/baseline: $(median_of <<< "$ratios") (median of rounds); per round: $ratios"
  fi
fi
if [ -n "$off" ]; then
  ratios=$(per_round switchboard records-off)
  echo "throughput ratio switchboard/records-off (call records on over off): $(median_of <<< "$ratios") (median of rounds); per round: $ratios"
fi
echo "switchboard call records: $(curl -s "http://127.0.0.1:$sb_port/metrics" | grep '^switchboard_call_records_total' | tr '\n' ' ')"
echo "switchboard RSS after the runs: $(awk '/VmRSS/ { printf "%.1f MiB", $2 / 1024 }' "/proc/$sb/status")"
echo "switchboard log lines written: $(wc -l < "$work/switchboard.log")"
errors=$(awk '{ e += $5 } END { print e + 0 }' "$work/results")
echo "errors in all runs: $errors"
[ "$errors" = 0 ]

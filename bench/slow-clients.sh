#!/usr/bin/env bash
# Webhooks answered while many slow clients trickle their requests, Switchboard as built now
# beside an older build (BASELINE), in one run: each server in turn gets SLOW slow clients and,
# meanwhile, signed webhooks one after another, each on a new connection, for DURATION seconds
# (bench/slow-clients.py). Prints each server's line and fails on any webhook not answered.
#
#   BASELINE=/tmp/base-target/release/switchboard bench/slow-clients.sh
#   SLOW=2000 DURATION=20 ROUNDS=3 bench/slow-clients.sh
#   MODE=idle bench/slow-clients.sh   # clients that send one request, then stay kept alive
#
# The server runs pinned to core 0 and the clients to core 1, with the hard open-file limit.
set -euo pipefail
cd "$(dirname "$0")/.."

slow=${SLOW:-1000}
mode=${MODE:-trickle}
duration=${DURATION:-10}
rounds=${ROUNDS:-3}
cargo build --release --quiet --bin switchboard
work=$(mktemp -d)
export TWILIO_AUTH_TOKEN=slow-clients-token
ulimit -n "$(ulimit -Hn)"

servers="switchboard"
[ -z "${BASELINE:-}" ] || servers="baseline switchboard"
binary_of() { if [ "$1" = baseline ]; then echo "$BASELINE"; else echo target/release/switchboard; fi; }

echo "slow=$slow mode=$mode duration=${duration}s rounds=$rounds server core 0, clients core 1"
failed=0
for round in $(seq "$rounds"); do
  for name in $servers; do
    port=$((18100 + round * 10 + ${#name}))
    url="http://127.0.0.1:$port"
    RUST_LOG=info taskset -c 0 "$(binary_of "$name")" serve --listen "127.0.0.1:$port" \
      --public-url "$url" --now 2026-11-23T10:00:00Z --state-dir "$work/$name-$round" \
      2>"$work/$name-$round.log" &
    pid=$!
    for _ in $(seq 100); do
      (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
      sleep 0.1
    done
    line=$(taskset -c 1 python3 bench/slow-clients.py "$url" "$slow" "$duration" "$mode")
    rss=$(awk '/VmHWM/ { print $2 / 1024 }' "/proc/$pid/status")
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    printf 'round %s %-12s %s peak_rss_mib=%.1f\n' "$round" "$name" "$line" "$rss"
    [ "$name" = baseline ] || case $line in *" errors=0") ;; *) failed=1 ;; esac
  done
done
rm -rf "$work"
exit "$failed"

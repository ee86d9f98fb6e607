#!/usr/bin/env bash
# Sustained load on loopback: signed first webhooks to the wellbeing line, from wrk.
# Switchboard runs pinned to core 0 and wrk to core 1, so they do not compete.
# Fails (exit 1) on any socket error or non-2xx answer.
#
#   bench/load.sh                    # 30 s, 64 connections
#   DURATION=60s CONNECTIONS=256 bench/load.sh
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${DURATION:-30s}
connections=${CONNECTIONS:-64}
port=${PORT:-18080}

if ! command -v wrk >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
cargo build --release --quiet
bin=target/release/switchboard

export TWILIO_AUTH_TOKEN=load-test-token
url="http://127.0.0.1:$port"
RUST_LOG=warn taskset -c 0 "$bin" serve --listen "127.0.0.1:$port" --public-url "$url" \
  --now 2026-11-23T10:00:00Z --state-dir "$(mktemp -d)" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "$url/healthz" >/dev/null && break; sleep 0.1; done

export BODY="CallSid=CA0123456789abcdef0123456789abcdef&From=%2B447700900123&To=%2B443301231245"
export SIGNATURE=$("$bin" sign --url "$url/voice" CallSid=CA0123456789abcdef0123456789abcdef \
  From=+447700900123 To=+443301231245)
# One request by hand first: a bad signature would make every wrk request a 403.
status=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url/voice" \
  -H "X-Twilio-Signature: $SIGNATURE" -H 'Content-Type: application/x-www-form-urlencoded' --data "$BODY")
[ "$status" = 200 ] || { echo "the signed request got HTTP $status"; exit 1; }

out=$(taskset -c 1 wrk -t1 -c"$connections" -d"$duration" --latency -s bench/voice.lua "$url/voice")
echo "$out"
rss_kb=$(awk '/VmRSS/ { print $2 }' "/proc/$server/status")
echo "server RSS after the run: $((rss_kb / 1024)) MiB"

errors=$(echo "$out" | awk '/Socket errors/ { n = 0; for (i = 3; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) n += $i; print n }')
non2xx=$(echo "$out" | awk '/Non-2xx/ { print $NF }')
requests=$(echo "$out" | awk '/requests in/ { print $1 }')
echo "requests: $requests, socket errors: ${errors:-0}, non-2xx: ${non2xx:-0}"
[ "${errors:-0}" = 0 ] && [ "${non2xx:-0}" = 0 ]

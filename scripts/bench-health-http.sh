#!/usr/bin/env bash
# Loopback HTTP throughput of the health probes, beside /metrics, in one run.
#
#   scripts/bench-health-http.sh [SECONDS]
#
# Builds the exporter in release mode, then for each of "cached" (the default 1 s result cache)
# and "uncached" (cache_ttl = "0s") starts it on a free loopback port and runs wrk
# (32 connections, SECONDS each, default 10) against /health/ready, /health/live and /metrics.
# Installs Debian's wrk when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-10}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/victor-observability/target}"

if ! command -v wrk >/dev/null; then
    echo "installing wrk (Debian package)" >&2
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
cargo build --release --locked -q -p victor-exporter
exporter="$CARGO_TARGET_DIR/release/victor-exporter"

work="$(mktemp -d)"
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
printf '[health]\ncache_ttl = "0s"\n' >"$work/uncached.toml"
: >"$work/cached.toml"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf '%-10s %-16s %12s %12s\n' cache route "req/s" "mean latency"
for mode in cached uncached; do
    "$exporter" --listen "127.0.0.1:$port" --config "$work/$mode.toml" --log-level error &
    pid=$!
    for _ in $(seq 50); do
        curl -fs "http://127.0.0.1:$port/health/live" >/dev/null 2>&1 && break
        sleep 0.1
    done
    for route in /health/ready /health/live /metrics; do
        out="$(wrk -t1 -c32 -d"${seconds}s" "http://127.0.0.1:$port$route")"
        rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
        latency="$(awk '/Latency/ {print $2; exit}' <<<"$out")"
        printf '%-10s %-16s %12s %12s\n' "$mode" "$route" "$rps" "$latency"
    done
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    pid=""
done

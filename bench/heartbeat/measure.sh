#!/usr/bin/env bash
# Heartbeat rate of a one-node rollcall leader on HTTP_ADAPTER=$1 (fastify|express), then of the
# bare node:http reference, each under the same wrk load (2 threads, 64 connections, 127.0.0.1).
# Needs `npm run build`, `npx tsc -p tsconfig.bench.json` and wrk. Extra arguments go to node
# (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof).
set -euo pipefail
cd "$(dirname "$0")/../.."
ADAPTER=${1:-fastify}
shift || true
DUR=${DUR:-10}
API_PORT=${API_PORT:-3950}
REF_PORT=${REF_PORT:-3951}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
cat >"$DIR/config.toml" <<TOML
this_node = "127.0.0.1:18090"
peers = ["127.0.0.1:18090"]
heartbeat_interval_ms = 100
election_timeout_min_ms = 1000
election_timeout_max_ms = 2000
leader_term_ms = 10000
net_timeout_ms = 1000
cpu_refresh_ms = 500
election_retry_ms = 100
TOML
load() { # url: warm up 3 s, then measure
  wrk -t2 -c64 -d3s -s bench/heartbeat/heartbeat.lua "$1" >/dev/null
  wrk -t2 -c64 -d"${DUR}s" -s bench/heartbeat/heartbeat.lua "$1" | grep -E 'Requests/sec|Non-2xx'
}
HTTP_ADAPTER=$ADAPTER API_PORT=$API_PORT API_HOST=127.0.0.1 DATA_DIR="$DIR/data" LOG_LEVEL=warn \
  node "$@" dist/main.js --config "$DIR/config.toml" &
NODE=$!
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$API_PORT/" | grep -q '"is_leader":true' && break
  sleep 0.1
done
curl -sf -XPOST "http://127.0.0.1:$API_PORT/register" -H 'content-type: application/json' \
  -d '{"username":"alice","addr":"192.168.1.10:9000"}' >/dev/null
echo "rollcall ($ADAPTER):"
load "http://127.0.0.1:$API_PORT/heartbeat"
kill -TERM $NODE
wait $NODE || true
PORT=$REF_PORT node .bench-build/bench/heartbeat/reference-server.js &
REF=$!
sleep 0.5
echo "bare node:http reference:"
load "http://127.0.0.1:$REF_PORT/heartbeat"
kill $REF
wait $REF 2>/dev/null || true

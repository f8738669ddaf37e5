#!/usr/bin/env bash
# CPU profile of the leader of a 3-node cluster on 127.0.0.1 under the heartbeat bench's load:
# every node runs with --cpu-prof, USERS users are registered, wrk sends heartbeats in rotation
# (bench/heartbeat/rotate.lua, 2 threads, 64 connections) for 3 s of warm-up and SECONDS
# measured, then the nodes are stopped with SIGTERM so that V8 writes the profiles.
#
#   bench/profile/profile-leader.sh BUILD_DIR OUT_DIR [USERS=2000] [SECONDS=10]
#
# With LOAD_ON=followers the cluster runs with follower_heartbeats = true and the same load is split
# over the two followers (1 thread, 32 connections each): the profile is then of what the leader
# still does when followers take the heartbeats.
#
# Needs `npx tsc -p tsconfig.bench.json` first. BUILD_DIR is a built rollcall
# (BUILD_DIR/dist/main.js: this repo after `npm run build`, or a worktree of another commit).
# It prints the leader's profile directory and the request count, the arguments of
# bench/profile/summarize.ts:
#   node .bench-build/bench/profile/summarize.js OUT/leader:REQUESTS [OTHER/leader:REQUESTS] --window-s SECONDS
# Profiling slows the node down: compare profiles with each other, never with the bench's rates.
set -euo pipefail
BUILD=$(cd "$1" && pwd)
OUT=$2
USERS=${3:-2000}
SECONDS_MEASURED=${4:-10}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 1; }
rm -rf "$OUT" && mkdir -p "$OUT"
BASE=$((20000 + RANDOM % 20000))
IDS=("127.0.0.1:$((BASE + 10))" "127.0.0.1:$((BASE + 11))" "127.0.0.1:$((BASE + 12))")
LOAD_ON=${LOAD_ON:-leader}
node "$REPO/.bench-build/bench/profile/cluster-config.js" "${IDS[@]}" >"$OUT/config.toml"
[ "$LOAD_ON" = followers ] && echo 'follower_heartbeats = true' >>"$OUT/config.toml"
PIDS=()
trap 'kill -9 "${PIDS[@]}" 2>/dev/null || true' EXIT
for i in 0 1 2; do
  env -i PATH="$PATH" API_PORT=$((BASE + i)) API_HOST=127.0.0.1 DATA_DIR="$OUT/data$i" LOG_LEVEL=warn \
    node --cpu-prof --cpu-prof-dir="$OUT/node$i" "$BUILD/dist/main.js" \
    --config "$OUT/config.toml" --this-node "${IDS[$i]}" >"$OUT/node$i.log" 2>&1 &
  PIDS+=($!)
done
LEADER=""
for _ in $(seq 1 150); do
  for i in 0 1 2; do
    if curl -s "http://127.0.0.1:$((BASE + i))/" | grep -q '"is_leader":true'; then LEADER=$i; fi
  done
  [ -n "$LEADER" ] && break
  sleep 0.2
done
[ -n "$LEADER" ] || { echo "no leader within 30 s; see $OUT/node*.log" >&2; exit 1; }
PORT=$((BASE + LEADER))
node "$REPO/.bench-build/bench/profile/register-users.js" "$PORT" "$USERS"
LUA="$REPO/bench/heartbeat/rotate.lua"
load() { # $1: seconds; prints the requests answered, summed over the ports the load goes to
  local targets=("$PORT") threads=2 conns=64
  if [ "$LOAD_ON" = followers ]; then
    targets=()
    for i in 0 1 2; do [ "$i" != "$LEADER" ] && targets+=($((BASE + i))); done
    threads=1 conns=32
  fi
  for p in "${targets[@]}"; do
    wrk -t$threads -c$conns -d"$1s" -s "$LUA" "http://127.0.0.1:$p/heartbeat" -- hb- "$USERS" &
  done | sed -n 's/^WRK_JSON {"requests":\([0-9]*\),.*/\1/p' | awk '{ n += $1 } END { print n }'
}
load 3 >/dev/null
REQUESTS=$(load "$SECONDS_MEASURED")
kill -TERM "${PIDS[@]}"
wait "${PIDS[@]}" || true
PIDS=()
ln -sfn "node$LEADER" "$OUT/leader"
echo "leader profile: $OUT/leader ($REQUESTS requests in ${SECONDS_MEASURED} s, profiled)"
echo "summary: node .bench-build/bench/profile/summarize.js $OUT/leader:$REQUESTS --window-s $SECONDS_MEASURED"

#!/usr/bin/env bash
# Measures README command 1 in sandbox mode: seconds from `scripts/run.sh` to the
# sandbox page answering (with whatever build/ already holds: run it once first
# for the warm figure), then the sandbox's resident memory from /proc, idle and
# after a /deploy prod. usage: bench/sandbox_start.sh [port]
set -euo pipefail
cd "$(dirname "$0")/.."
port="${1:-18080}"
start=$(date +%s.%N)
scripts/run.sh --port "$port" > /tmp/deploybot-sandbox-bench.log 2>&1 &
runner=$!
trap 'kill -TERM $runner 2>/dev/null || true; wait $runner 2>/dev/null || true' EXIT
until curl -sf -o /dev/null "http://127.0.0.1:$port/"; do
  kill -0 $runner 2>/dev/null || { echo "run.sh exited:"; tail -20 /tmp/deploybot-sandbox-bench.log; exit 1; }
  sleep 0.05
done
end=$(date +%s.%N)
echo "scripts/run.sh → page answering: $(echo "$end - $start" | bc) s"
until curl -sf "http://127.0.0.1:$port/api/state?user=U0DEPLOYER1" | grep -q '"connected":true'; do sleep 0.05; done
echo "… and the bot connected over Socket Mode: $(echo "$(date +%s.%N) - $start" | bc) s"
rss() { awk '/VmRSS|VmHWM/ {printf "%s %s %s  ", $1, $2, $3} END {print ""}' "/proc/$runner/status"; }
echo "idle: $(rss)"
curl -sf -XPOST -H 'Content-Type: application/json' -d '{"user":"U0DEPLOYER1","command":"/deploy","text":"prod"}' "http://127.0.0.1:$port/api/command" > /dev/null
until curl -sf "http://127.0.0.1:$port/api/state?user=U0DEPLOYER1" | grep -q 'Production deploy #1'; do sleep 0.1; done
sleep 2   # let the checklist's evaluation settle before reading memory (a measurement, not a test)
echo "after /deploy prod: $(rss)"

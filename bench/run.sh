#!/usr/bin/env bash
# Builds Release, runs every benchmark and prints one table with ratios:
# deploybot vs Bolt for JavaScript (Socket Mode, answering /deploy help from
# its ack) vs a bare Node `ws` client that only acks (the floor), all against
# the same fake Slack on 127.0.0.1; then deploybot's own figures.
#   bench/run.sh [N=10000] [M=100000] [in_flight=8]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-10000}"; m="${2:-100000}"; window="${3:-8}"
build=build-bench
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DDEPLOYBOT_TESTS=OFF -DDEPLOYBOT_BENCH=ON > /dev/null
nice cmake --build "$build" -j2 > "$build/build.log" 2>&1 || { tail -30 "$build/build.log"; exit 1; }
(cd bench/peers/bolt && npm ci --no-audit --no-fund --silent)

out=$(mktemp)
run() {  # label, command…
  local label=$1; shift
  "$build/bench/peer_bench" "$label" "$n" "$m" "$window" -- "$@" | tee -a "$out" | sed 's/^RESULT /  /' >&2
}
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(node --version), $(git rev-parse --short HEAD)" >&2
run ws-floor node bench/peers/bolt/floor.js
run bolt node bench/peers/bolt/app.js
run deploybot bench/peers/deploybot.sh "$build/deploybot"

python3 - "$out" "$n" "$m" "$window" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    if line.startswith('RESULT '):
        kv = dict(x.split('=', 1) for x in line.split()[1:])
        rows[kv['label']] = kv
n, m, w = sys.argv[2:5]
cols = [('cpu_us', 'CPU/envelope µs', 1), ('p50_us', 'ack p50 µs', 0), ('p99_us', 'ack p99 µs', 0),
        ('max_us', 'ack max µs', 0), ('loaded_per_s', f'envelopes/s ({w} in flight)', 0),
        ('loaded_max_us', 'loaded ack max µs', 0), ('over_3s', 'acks > 3 s', 0),
        ('idle_rss_kb', 'idle RSS MB', 2), ('loaded_rss_kb', 'loaded RSS MB', 2), ('connect_ms', 'spawn→connected ms', 0),
        ('answered', 'answered in ack', 0)]
def val(r, k):
    v = float(r[k])
    return v / 1024 if k.endswith('_kb') else v
print(f"\n{n} sequential /deploy help envelopes, then {m} with {w} in flight:\n")
print('| | ' + ' | '.join(c[1] for c in cols) + ' |')
print('|---' * (len(cols) + 1) + '|')
for label in ('bolt', 'ws-floor', 'deploybot'):
    if label in rows:
        r = rows[label]
        print(f'| {label} | ' + ' | '.join(f'{val(r, k):.{d}f}' for k, _, d in cols) + ' |')
if 'deploybot' in rows:
    d = rows['deploybot']
    for peer in ('bolt', 'ws-floor'):
        if peer in rows:
            r = rows[peer]
            print(f"| deploybot / {peer} | " + ' | '.join(
                (f"{val(d, k) / val(r, k):.2f}×" if val(r, k) else '–') for k, _, _ in cols) + ' |')
PY
rm -f "$out"

echo
echo "deploybot alone:"
"$build/bench/deploy_latency" 200 3
[ -x "$build/bench/tls_handshakes" ] && "$build/bench/tls_handshakes" 1000
[ -x "$build/bench/refresh_gap" ] && "$build/bench/refresh_gap" 5
true

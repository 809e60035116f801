#!/usr/bin/env bash
# Build-time figures of issue #11, ccache off, -j2, in fresh build directories:
#   1. the bot alone in Release (-DDEPLOYBOT_SANDBOX=OFF: no fakes, no sandbox page);
#   2. the whole sanitizer test build (what scripts/test.sh builds).
# Prints wall and CPU seconds for each, the machine's load, and the ten slowest
# translation units of each build (wall seconds per TU, from a compiler wrapper).
#   bench/build_time.sh [bot|tests|all=all]
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-all}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/timecc" <<'SH'
#!/usr/bin/env bash
src=""; prev=""
for a in "$@"; do [ "$prev" = "-c" ] && src="$a"; prev="$a"; done
s=$(date +%s%N); "$@"; rc=$?; e=$(date +%s%N)
[ -n "$src" ] && echo "$(( (e - s) / 1000000 )) ${src#$PWD/}" >> "$TIMECC_LOG"
exit $rc
SH
chmod +x "$work/timecc"

measure() {  # label, cmake args…
  local label=$1; shift
  local dir="$work/$label"
  export TIMECC_LOG="$work/$label.tu"
  : > "$TIMECC_LOG"
  cmake -S . -B "$dir" -DCMAKE_CXX_COMPILER_LAUNCHER="$work/timecc" "$@" > /dev/null
  local load0 load1 t0 t1 cpu
  load0=$(cut -d' ' -f1 /proc/loadavg)
  t0=$(date +%s.%N)
  cmake --build "$dir" -j2 > "$dir.log" 2>&1 || { tail -30 "$dir.log"; exit 1; }
  t1=$(date +%s.%N)
  load1=$(cut -d' ' -f1 /proc/loadavg)
  cpu=$(awk '{s+=$1} END{printf "%.0f", s/1000}' "$TIMECC_LOG")
  printf '%-28s %6.0f s wall  %6s s in the compiler (sum of TU wall times)  %3d TUs  load %s → %s\n' \
    "$label" "$(echo "$t1 - $t0" | bc)" "$cpu" "$(wc -l < "$TIMECC_LOG")" "$load0" "$load1"
  sort -rn "$TIMECC_LOG" | head -10 | awk '{printf "    %6.1f s  %s\n", $1/1000, $2}'
}

export CCACHE_DISABLE=1
echo "machine: $(nproc) cores, $(git rev-parse --short HEAD), gcc $(gcc -dumpversion)"
case "$what" in bot|all) measure bot-release -DCMAKE_BUILD_TYPE=Release -DDEPLOYBOT_SANDBOX=OFF -DDEPLOYBOT_TESTS=OFF ;; esac
case "$what" in tests|all) measure sanitizer-tests -DCMAKE_BUILD_TYPE=Debug -DDEPLOYBOT_SANITIZE=ON -DDEPLOYBOT_TESTS=ON ;; esac

#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang in build-fuzz/ and runs
# them one after another.
#   scripts/fuzz.sh [minutes-per-target] [target…]     (default: 5, every target)
# New corpus entries go to a scratch directory ($FUZZ_WORK, default a fresh
# /tmp/deploybot-fuzz.*), never into the repo. Crash inputs (crash-*, leak-*) are
# copied into tests/fuzz/corpus/<target>/ so the regression tests replay them.
# A known crash does not stop the run: each target runs in fork mode and keeps
# fuzzing past crashes for its whole time budget.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

minutes=${1:-5}
shift || true
all_targets=(log envelope command config github vercel)
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then targets=("${all_targets[@]}"); fi

# Longest input per target: frames up to 64 KiB; log inputs past write()'s 16 KiB cap.
max_len_of() {
  case "$1" in
    envelope) echo 65536 ;;
    log) echo 40000 ;;
    vercel | config) echo 32768 ;;
    *) echo 8192 ;;
  esac
}

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
need=()
command -v clang++ >/dev/null || need+=(clang)
if ! compgen -G "/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" >/dev/null; then
  need+=(libclang-rt-14-dev)
fi
if [ "${#need[@]}" -gt 0 ]; then
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need[@]}"
fi

cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDEPLOYBOT_FUZZ=ON
cmake --build build-fuzz -j2 --target "${targets[@]/#/fuzz_}"

work=${FUZZ_WORK:-$(mktemp -d /tmp/deploybot-fuzz.XXXXXX)}
echo "scratch directory: $work"
summary=()
for t in "${targets[@]}"; do
  dir="$work/$t"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  echo "== fuzz_$t for $minutes min (log: $dir/fuzz.log)"
  start=$(date +%s)
  set +e
  "build-fuzz/tests/fuzz/fuzz_$t" \
    -max_total_time=$((minutes * 60)) -rss_limit_mb=2048 -max_len="$(max_len_of "$t")" -timeout=25 \
    -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -artifact_prefix="$dir/artifacts/" -print_final_stats=1 \
    "$dir/corpus" "tests/fuzz/corpus/$t" >"$dir/fuzz.log" 2>&1
  rc=$?
  set -e
  seconds=$(($(date +%s) - start))
  # Fork mode reports "#<execs>: cov: … oom/timeout/crash: a/b/c"; plain mode "stat::number_of_executed_units".
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$dir/fuzz.log" | tail -1 | grep -o '[0-9]*$' || true)
  if [ -z "$execs" ]; then execs=$(grep -o '^#[0-9]*' "$dir/fuzz.log" | tail -1 | tr -d '#' || true); fi
  crashes=0
  for f in "$dir"/artifacts/crash-* "$dir"/artifacts/leak-*; do
    [ -e "$f" ] || continue
    crashes=$((crashes + 1))
    cp "$f" "tests/fuzz/corpus/$t/"
    echo "   $(basename "$f") -> tests/fuzz/corpus/$t/"
  done
  others=$(find "$dir/artifacts" -name 'timeout-*' -o -name 'oom-*' | wc -l)
  summary+=("$(printf '%-10s %8s %14s %8s %14s %4s' "$t" "$seconds" "${execs:-?}" "$crashes" "$others" "$rc")")
done

echo
printf '%-10s %8s %14s %8s %14s %4s\n' target seconds executions crashes timeouts/ooms rc
for line in "${summary[@]}"; do echo "$line"; done
echo "scratch corpus and logs: $work"

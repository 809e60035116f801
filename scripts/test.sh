#!/usr/bin/env bash
# Installs dependencies, builds everything with ASan+UBSan and runs every test
# (unit, end-to-end, and the sandbox page in headless chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
(cd tests/browser && npm ci --no-audit --no-fund)
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DDEPLOYBOT_SANITIZE=ON -DDEPLOYBOT_TESTS=ON
cmake --build build-test -j2
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export DEPLOYBOT_BROWSER_REQUIRED=1   # here a missing chromium or playwright-core fails the browser test
ctest --test-dir build-test --output-on-failure

#!/usr/bin/env bash
# The bot alone builds from exactly what config/Containerfile copies (CMakeLists.txt,
# main.cpp, bot/, commands/, integrations/; no tests/, so no fakes and no sandbox):
# CMake configures it with -DDEPLOYBOT_SANDBOX=OFF, main.cpp compiles, and the
# Containerfile still copies those paths and passes that flag.
#   tests/packaging/bot_alone_test.sh <repository root>
set -euo pipefail
root=$(cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
containerfile="$root/config/Containerfile"
for path in "COPY CMakeLists.txt main.cpp ./" "COPY bot ./bot" "COPY commands ./commands" \
            "COPY integrations ./integrations" "-DDEPLOYBOT_SANDBOX=OFF"; do
  grep -qF -- "$path" "$containerfile" || { echo "config/Containerfile no longer has: $path"; exit 1; }
done
mkdir -p "$work/src"
cp -r "$root/CMakeLists.txt" "$root/main.cpp" "$root/bot" "$root/commands" "$root/integrations" "$work/src/"
cmake -S "$work/src" -B "$work/build" -DCMAKE_BUILD_TYPE=Debug -DDEPLOYBOT_TESTS=OFF -DDEPLOYBOT_SANDBOX=OFF \
  > "$work/configure.log" 2>&1 || { cat "$work/configure.log"; exit 1; }
cmake --build "$work/build" --target main.cpp.o > "$work/build.log" 2>&1 || { tail -40 "$work/build.log"; exit 1; }
echo "configured and compiled main.cpp from the Containerfile's inputs, without the sandbox"

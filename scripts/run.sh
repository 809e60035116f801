#!/usr/bin/env bash
# Installs dependencies, builds the bot and runs it with config/deploybot.json
# and the tokens from the environment.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DDEPLOYBOT_TESTS=OFF
cmake --build build -j2
if [ ! -f config/deploybot.json ]; then
  echo "config/deploybot.json not found: copy config/deploybot.example.json and fill in your IDs." >&2
  exit 1
fi
exec build/deploybot --config config/deploybot.json

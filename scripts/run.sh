#!/usr/bin/env bash
# Installs dependencies and builds the bot. With config/deploybot.json and the
# Slack tokens in the environment it runs the bot; without them it runs the
# sandbox: the same bot against built-in local Slack, GitHub, Vercel and Sentry,
# with a #deployments page at http://127.0.0.1:8080/ (arguments go to
# `deploybot sandbox`, e.g. scripts/run.sh --port 9000).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DDEPLOYBOT_TESTS=OFF
cmake --build build -j2
if [ ! -f config/deploybot.json ] || [ -z "${SLACK_APP_TOKEN:-}" ] || [ -z "${SLACK_BOT_TOKEN:-}" ]; then
  echo "No config/deploybot.json or no SLACK_APP_TOKEN/SLACK_BOT_TOKEN: starting the sandbox instead" >&2
  echo "(README \"Set it up\" connects the real Slack)." >&2
  exec build/deploybot sandbox "$@"
fi
exec build/deploybot --config config/deploybot.json

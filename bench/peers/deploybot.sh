#!/usr/bin/env bash
# deploybot as a bench peer: a config pointing at the fake Slack from
# peer_bench's environment (GitHub/Vercel at an unused local port: /deploy help
# needs neither), then exec (the measured PID is deploybot's).
# usage: deploybot.sh <path to deploybot binary>
set -euo pipefail
cat > "$BENCH_DIR/deploybot.json" <<JSON
{
  "slack": {"api_url": "${SLACK_API_URL}", "channel": "C0DEPLOYS01"},
  "people": {"deployers": ["U0DEPLOYER1"], "qa_leads": ["U0QALEAD001"], "admins": ["U0ADMIN0001"]},
  "github": {"api_url": "http://127.0.0.1:1", "repo": "acme/shop-web"},
  "vercel": {"api_url": "http://127.0.0.1:1", "project": "prj_bench", "staging_domain": "staging.example.id",
             "production_domain": "example.id"},
  "storage": {"path": "${BENCH_DIR}/deploybot.sqlite3"},
  "tls": {"ca_file": "${BENCH_CA_FILE}"},
  "http": {"listen": "127.0.0.1:0"},
  "log": {"format": "text"}
}
JSON
export GITHUB_TOKEN=ghp_bench_not_used_0000 VERCEL_TOKEN=vercel_bench_not_used_0000
# As on a Debian host, where nothing sets these: the system CAs are then the hashed
# /etc/ssl/certs, read when needed (this machine's environment points
# SSL_CERT_FILE at the bundle, which OpenSSL would parse whole at startup).
unset SSL_CERT_FILE SSL_CERT_DIR
exec "$1" --config "$BENCH_DIR/deploybot.json" 2> "$BENCH_DIR/deploybot.log"

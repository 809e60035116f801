#!/usr/bin/env bash
# Installs deploybot's build dependencies (Debian 12 packages only); with --test
# also what the tests need: Debian's chromium (the sandbox's browser test, with
# an emoji font for its screenshots) and Node.js/npm when there is no node yet.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
packages=(g++ cmake make ccache pkg-config openssl tzdata ca-certificates
          libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
          libssl-dev libfmt-dev doctest-dev libsqlite3-dev libhowardhinnant-date-dev)
if [ "${1:-}" = "--test" ]; then
  packages+=(chromium fonts-noto-color-emoji)
  command -v node > /dev/null && command -v npm > /dev/null || packages+=(nodejs npm)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

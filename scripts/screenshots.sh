#!/usr/bin/env bash
# Screenshots of the public pages with the demo data, for docs/screenshots/:
# {listing,action,near,event}-{phone,desktop}.png, full page, phone 390x844 and desktop 1280x900.
# Builds the server, installs the test's npm packages (playwright-core) and drives Debian's
# headless Chromium (/usr/bin/chromium; with fonts-noto-color-emoji, installed with apt-get when
# missing and running as root).
# Usage: scripts/screenshots.sh [OUT_DIR]   (default docs/screenshots)
set -euo pipefail
cd "$(dirname "$0")/.."

# Chromium, and a colour emoji font so that the demo's emoji titles do not show as empty boxes
# (readers' phones and desktops have one; a bare Debian does not).
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qi 'Noto Color Emoji' || need+=(fonts-noto-color-emoji)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  elif [ ! -x /usr/bin/chromium ]; then
    echo "screenshots.sh: /usr/bin/chromium is missing: sudo apt-get install -y chromium" >&2
    exit 1
  else
    echo "screenshots.sh: no emoji font (sudo apt-get install -y fonts-noto-color-emoji); emoji will show as boxes" >&2
  fi
fi

cargo build --quiet
(cd tests/e2e && npm install --no-audit --no-fund --loglevel=error)
TURNOUT_BIN="${TURNOUT_BIN:-${CARGO_TARGET_DIR:-$PWD/target}/debug/turnout}" node tests/e2e/screenshots.mjs "${1:-docs/screenshots}"

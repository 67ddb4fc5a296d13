#!/usr/bin/env bash
# End-to-end tests of the public pages in headless Chromium, as CI runs them:
#   installs Debian's chromium when /usr/bin/chromium is missing (with sudo only when not root),
#   installs playwright-core, lighthouse and chrome-launcher (npm, never a browser download;
#   all drive that chromium), builds the server, and runs the tests with node's test runner.
#   Usage: tests/e2e/run.sh   (from anywhere)
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ ! -x /usr/bin/chromium ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi

# package-lock.json pins playwright-core, lighthouse (12.x: 13 needs Node 22) and chrome-launcher
# by version and integrity; npm resolves them from the configured registry (the lock records no
# download addresses).
(cd tests/e2e && npm install --no-audit --no-fund --loglevel=error)

# Under `cargo test` (tests/e2e_browser.rs) the binary is built already and named by TURNOUT_BIN.
if [ -z "${TURNOUT_BIN:-}" ]; then
  cargo build --quiet
fi
# The test files are named rather than the folder: Node 20 searches a folder given to --test,
# Node 22 and later take it for a module and fail. The shell expands the glob on every version.
TURNOUT_BIN="${TURNOUT_BIN:-${CARGO_TARGET_DIR:-$PWD/target}/debug/turnout}" node --test tests/e2e/*.test.mjs

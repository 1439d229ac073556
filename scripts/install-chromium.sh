#!/usr/bin/env bash
# The dashboard's browser tests drive Debian's Chromium through playwright-core (no browser
# download). Installs it from Debian's packages when missing; needs root (or sudo).
set -euo pipefail
if [ -x "${PDM_CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "Chromium present: ${PDM_CHROMIUM:-/usr/bin/chromium}"
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  command -v sudo >/dev/null || { echo "Chromium missing and not root: apt-get install chromium" >&2; exit 1; }
  SUDO="sudo"
fi
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q chromium

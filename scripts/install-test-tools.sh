#!/usr/bin/env bash
# Installs what the browser tests need and nothing else: Debian's Chromium (Playwright's own
# browser download does not work offline) and the npm packages pinned in tests/js/package.json.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  echo "Installing Chromium from Debian's packages..."
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

# The hub classroom test builds a course environment from the system's Python, as the
# instructor guide does; Debian splits venv's pip bootstrap into python3.11-venv.
if [ -x /usr/bin/python3.11 ] && ! /usr/bin/python3.11 -c "import ensurepip" >/dev/null 2>&1; then
  echo "Installing python3.11-venv from Debian's packages..."
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3.11-venv >/dev/null
fi

if [ -f tests/js/package.json ]; then
  (cd tests/js && npm ci --no-audit --no-fund --loglevel=error)
fi

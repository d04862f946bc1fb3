#!/usr/bin/env bash
# scripts/install-chromium.sh: installs Debian's chromium package, which the browser check
# (scripts/render-report.sh, tests/report.rs) uses to render report.html headless.
# Does nothing when a chromium is already on PATH. Needs root (or sudo) and apt-get.
set -euo pipefail

for bin in chromium chromium-browser; do
    if command -v "$bin" >/dev/null 2>&1; then
        echo "install-chromium.sh: $(command -v "$bin") is already installed" >&2
        exit 0
    fi
done
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-chromium.sh: error: no apt-get here; install Chromium with your package manager" >&2
    exit 2
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
echo "install-chromium.sh: installed $(command -v chromium)" >&2

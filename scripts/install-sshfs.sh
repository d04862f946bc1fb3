#!/usr/bin/env bash
# scripts/install-sshfs.sh: installs Debian's sshfs and openssh-server packages, which
# tests/shared-mount.sh uses to mount one store folder twice over SFTP (two mounts behave as two
# machines sharing a network folder). Does nothing when sshfs and sshd are already installed.
# Needs root (or sudo) and apt-get.
set -euo pipefail

if command -v sshfs >/dev/null 2>&1 && { command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ]; }; then
    echo "install-sshfs.sh: sshfs and sshd are already installed" >&2
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-sshfs.sh: error: no apt-get here; install sshfs and an OpenSSH server with your package manager" >&2
    exit 2
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends sshfs openssh-server openssh-client >/dev/null
echo "install-sshfs.sh: installed $(command -v sshfs)" >&2

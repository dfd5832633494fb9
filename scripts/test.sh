#!/usr/bin/env bash
# Runs Seek's whole test suite: unit tests (Release), the same unit tests under
# ASan+UBSan, the PyTorch parity tests and short libFuzzer runs.
# Installs and builds what it needs first (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --all
jobs=$(nproc)
status=0
echo "== Release: unit, reference and fuzz-smoke tests"
ctest --test-dir build --output-on-failure -j"$jobs" || status=1
echo "== ASan+UBSan: unit tests"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs" -L unit || status=1
echo "== libFuzzer smoke runs"
ctest --test-dir build-fuzz --output-on-failure -L fuzz || status=1
exit $status

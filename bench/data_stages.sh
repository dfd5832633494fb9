#!/bin/bash
# bench/data_stages.sh — MB/s and MB/s per core of every data pipeline stage
# (configs/data_default.json's, plus c4) on the default corpus replicated in
# memory to 1 GB, with 1 and 2 threads (bench/data_stages.cc says how).
#
#   bash bench/data_stages.sh [data_stages flags: --bytes 2e8 --stages gopher_repetition ...]
#
# Needs data/raw/ and data/langid/langid.bin (scripts/setup.sh). Idle
# OpenMP threads sleep (OMP_WAIT_POLICY=passive) so that the process CPU
# time of the dedup rows is the work's. Prints `uptime` before and after:
# wall-clock figures mean little on a loaded machine.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
cd "$root"
ninja -C "$build" data_stages >/dev/null
echo "$(date -u '+%F %T UTC') $(uptime)"
OMP_WAIT_POLICY=passive "$build/bench/data_stages" "$@"
echo "$(date -u '+%F %T UTC') $(uptime)"

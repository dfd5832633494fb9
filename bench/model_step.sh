#!/usr/bin/env bash
# Forward + backward of the benchmark model (gpt2, vocab 8192, hidden 384,
# 6 layers, 6 heads, seq 256, batch 8, f32): Seek and PyTorch side by side in
# the same run, with the ratio. Usage: bash bench/model_step.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
ninja -C "$build" model_step >/dev/null
threads=$(nproc)
seek_out=$("$build/bench/model_step" --steps 10)
echo "$seek_out" | grep -v RESULT
# PyTorch with both threads; OpenBLAS overrides unset for its run only.
torch_out=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/model_step_torch.py \
  --threads "$threads" --steps 5)
echo "$torch_out" | grep -v RESULT
s=$(echo "$seek_out" | sed -n 's/RESULT seek_tokens_per_s=//p')
t=$(echo "$torch_out" | sed -n 's/RESULT torch_tokens_per_s=//p')
echo "ratio seek/torch = $(/usr/bin/python3 -c "print(f'{$s/$t:.2f}')")x  ($s vs $t tokens/s)"

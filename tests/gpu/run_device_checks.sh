#!/usr/bin/env bash
# The GPU checks in one call, run on the lent machine from the repository root with the bundle
# that pack_for_device.sh made carried as .device. Writes logs under $OUT and prints a short
# table last (the device tool returns the end of the output).
#
#   run: bash tests/gpu/run_device_checks.sh      carry: [".device.tar.xz"]
set -uo pipefail
B=$PWD/.device
if [[ -f $B.tar.xz ]]; then  # the carried bundle; python's tarfile, since the image may lack xz
  mkdir -p "$B" && python3 -c "import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])" "$B.tar.xz" "$B"
fi
OUT=${OUT:-/tmp/pgpp-gpu-out}
mkdir -p "$OUT"
export LD_LIBRARY_PATH=$B/lib:${LD_LIBRARY_PATH:-}
export PGPP_MODELS=$B/models
# The default models, when earlier calls left their pieces (split_models_for_carry.sh).
if compgen -G "/tmp/pgpp-parts/models.tar.*" >/dev/null; then
  cat /tmp/pgpp-parts/models.tar.* | tar -C "$PGPP_MODELS" -xf -
fi
summary=()
step() {  # name, seconds, command...: runs it at most that long, keeps its log and exit status
  local name=$1 limit=$2; shift 2
  local t0=$SECONDS
  timeout "$limit" "$@" >"$OUT/$name.log" 2>&1
  local rc=$?
  summary+=("$(printf '%-28s rc=%-3s %4ss  %s' "$name" "$rc" $((SECONDS - t0)) "$(tail -1 "$OUT/$name.log" | cut -c1-90)")")
}

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
step kernels_gpu_tests 120 "$B/bin/pgpp_kernels_gpu_tests"
step llm_gpu_tests 120 "$B/bin/pgpp_llm_gpu_tests"
step embed_gpu_tests 120 "$B/bin/pgpp_embed_gpu_tests"
# memcheck is slow: the decode ops and the prefill GEMM at their ragged sizes, not every case.
step memcheck_kernels 150 compute-sanitizer --tool memcheck --error-exitcode 1 "$B/bin/pgpp_kernels_gpu_tests" \
  --gtest_filter='CudaDecoderOps*:*CudaAttentionDecode*:CudaPrefillOps*'

step synth_1b 60 "$B/bin/pgpp_make_synthetic_gguf" -m llama-3.2-1b -q q4_0 -o /tmp/llama-3.2-1b-q4_0.gguf
step synth_8b 120 "$B/bin/pgpp_make_synthetic_gguf" -m llama-3.1-8b -q q4_0 -o /tmp/llama-3.1-8b-q4_0.gguf
for m in llama-3.2-1b llama-3.1-8b; do
  step "bench_$m" 120 "$B/bin/pgpp_device_bench" decoder -m "/tmp/$m-q4_0.gguf" --device cuda -p 512 -n 128 -r 3
  step "bench_${m}_nograph" 60 "$B/bin/pgpp_device_bench" decoder -m "/tmp/$m-q4_0.gguf" --device cuda -p 0 -n 128 -r 3 --no-graph
done
if [[ -f $B/models/all-minilm-l6-v2.Q8_0.gguf ]]; then
  step bench_encoder 90 "$B/bin/pgpp_device_bench" encoder --device cuda --model "$B/models/all-minilm-l6-v2.Q8_0.gguf" --lengths 256
fi
step torch_encoder 90 python3 tests/reference/encoder_torch_bench.py
step torch_encoder_sdpa 90 python3 tests/reference/encoder_torch_bench.py --sdpa

cat "$OUT"/bench_*.log 2>/dev/null | grep -E '^\| ' | sort -u
printf '%s\n' "${summary[@]}"

#!/usr/bin/env bash
# Bundles what a lent GPU machine needs for the GPU checks into one folder the device tool can
# carry (at most 64 MiB with the working tree): the GPU test programs, pgpp and the synthetic
# model writer built here, the shared libraries they need that the device image lacks (it has
# CUDA and cuBLAS, but none of Debian's FAISS, Poppler, ICU, SQLite, fmt...), the vocabularies
# the synthetic models copy, and the default encoder as a Q8_0 GGUF (the folder is 88 MiB).
# Build for the device's architecture only, which halves the programs:
#
#   cmake --preset release -B build/device -DCMAKE_CUDA_ARCHITECTURES=90
#   cmake --build build/device -j2 --target pgpp_device_bench pgpp_kernels_gpu_tests \
#       pgpp_llm_gpu_tests pgpp_embed_gpu_tests pgpp_make_synthetic_gguf pgpp_bert_to_gguf
#   tests/gpu/pack_for_device.sh build/device .device
#
# The bundle dir must be ignored by git (.git/info/exclude) and named in the run's carry.
set -euo pipefail
build=${1:-build/release}
dest=${2:-.device}
models=${PGPP_MODELS:-${XDG_DATA_HOME:-$HOME/.local/share}/pgpp/models}
rm -rf "$dest"
mkdir -p "$dest/bin" "$dest/lib" "$dest/models/llama-vocabs"

programs=(pgpp_device_bench pgpp_kernels_gpu_tests pgpp_llm_gpu_tests pgpp_embed_gpu_tests pgpp_make_synthetic_gguf)
for p in "${programs[@]}"; do
  cp "$build/bin/$p" "$dest/bin/"
  strip "$dest/bin/$p"
done

# Every library the programs load except glibc's own and CUDA's, which the image provides.
for p in "${programs[@]}"; do ldd "$dest/bin/$p"; done |
  awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u |
  grep -Ev '/(libc|libm|libdl|librt|libpthread|ld-linux[^/]*|libcuda|libcudart|libcublas|libcublasLt)\.so' |
  while read -r lib; do cp -L "$lib" "$dest/lib/"; done

cp "$models"/llama-vocabs/ggml-vocab-llama-bpe.gguf "$dest/models/llama-vocabs/"
# The encoder as Q8_0 GGUF (25 MiB instead of the folder's 88): enough for the encoder figure.
# The GPU tests that compare with the CPU on the default models need the folders themselves.
if [[ ${PACK_ENCODER:-1} == 1 ]]; then
  "$build/bin/pgpp_bert_to_gguf" "$models/all-minilm-l6-v2" q8_0 "$dest/models/all-minilm-l6-v2.Q8_0.gguf"
fi

# The newest glibc symbol version the programs need: the device image must have at least it.
need=$(for p in "${programs[@]}"; do objdump -T "$dest/bin/$p"; done | grep -o 'GLIBC_2\.[0-9]*' | sort -V | tail -1)
echo "bundle $dest: $(du -sh "$dest" | cut -f1); needs $need"
# Compressed, it fits the carry limit (64 MiB with the working tree); the run script unpacks it.
tar -C "$dest" -cf - . | xz -T0 -6 >"$dest.tar.xz"
echo "carry $dest.tar.xz: $(du -sh "$dest.tar.xz" | cut -f1)"

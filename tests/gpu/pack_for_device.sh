#!/usr/bin/env bash
# Bundles what a lent GPU machine needs for the GPU checks into one folder the device tool can
# carry (at most 64 MiB with the working tree): the GPU test programs, pgpp and the synthetic
# model writer built here, the shared libraries they need that the device image lacks (it has
# CUDA and cuBLAS, but none of Debian's FAISS, Poppler, ICU, SQLite, fmt...), the vocabularies
# the synthetic models copy, and the default encoder as an F16 GGUF (the folder is 88 MiB).
#
#   tests/gpu/pack_for_device.sh [build dir] [bundle dir]     (defaults: build/release .device)
#
# The bundle dir must be ignored by git (.git/info/exclude) and named in the run's carry.
set -euo pipefail
build=${1:-build/release}
dest=${2:-.device}
models=${PGPP_MODELS:-${XDG_DATA_HOME:-$HOME/.local/share}/pgpp/models}
rm -rf "$dest"
mkdir -p "$dest/bin" "$dest/lib" "$dest/models/llama-vocabs"

programs=(pgpp pgpp_kernels_gpu_tests pgpp_llm_gpu_tests pgpp_embed_gpu_tests pgpp_make_synthetic_gguf)
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
if [[ -x "$build/bin/pgpp_bert_to_gguf" ]]; then
  "$build/bin/pgpp_bert_to_gguf" "$models/all-minilm-l6-v2" f16 "$dest/models/all-minilm-l6-v2.F16.gguf"
fi

# The newest glibc symbol version the programs need: the device image must have at least it.
need=$(for p in "${programs[@]}"; do objdump -T "$dest/bin/$p"; done | grep -o 'GLIBC_2\.[0-9]*' | sort -V | tail -1)
echo "bundle $dest: $(du -sh "$dest" | cut -f1) (limit 64 MiB with the working tree); needs $need"

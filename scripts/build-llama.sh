#!/usr/bin/env bash
# Builds llama.cpp's llama-server and ggml-rpc-server from the source node-llama-cpp ships (a git
# bundle of the release it pins), offline, once per release and GPU backend, into
#   ${RBEE_LLAMA_CACHE:-~/.cache/rbee/llama.cpp}/<tag>-<backend>/bin
# A finished build is reused: the script then prints its bin directory and exits at once.
#
#   scripts/build-llama.sh [--backend cpu|cuda|vulkan|metal] [--jobs N] [--check]
#
# --check only says whether this machine can build (exit 0) or what it lacks (exit 3).
# Progress goes to stderr as cmake's "[ NN%]" lines; the last line of stdout is the bin directory.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
backend=cpu
jobs="$(nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 2)"
check_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --backend) backend="${2:-}"; shift 2 ;;
    --jobs) jobs="${2:-}"; shift 2 ;;
    --check) check_only=1; shift ;;
    *) echo "build-llama: unknown argument: $1" >&2; exit 2 ;;
  esac
done
case "$backend" in cpu | cuda | vulkan | metal) ;; *) echo "build-llama: backend must be cpu, cuda, vulkan or metal, not '$backend'" >&2; exit 2 ;; esac
case "$jobs" in '' | *[!0-9]*) echo "build-llama: --jobs must be a number" >&2; exit 2 ;; esac

llama_dir="$root/node_modules/node-llama-cpp/llama"
bundle="$llama_dir/gitRelease.bundle"
tag="$(sed -n 's/.*"tag"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$llama_dir/llama.cpp.info.json" 2>/dev/null || true)"
cache="${RBEE_LLAMA_CACHE:-$HOME/.cache/rbee/llama.cpp}"
dest="$cache/$tag-$backend"

missing=()
[ -f "$bundle" ] && [ -n "$tag" ] || missing+=("node-llama-cpp's llama.cpp source (run npm ci in $root)")
command -v cmake >/dev/null 2>&1 || missing+=("cmake")
command -v c++ >/dev/null 2>&1 || command -v g++ >/dev/null 2>&1 || command -v clang++ >/dev/null 2>&1 || missing+=("a C++ compiler (g++ or clang++)")
command -v git >/dev/null 2>&1 || missing+=("git")
case "$backend" in
  cuda) command -v nvcc >/dev/null 2>&1 || missing+=("the CUDA toolkit (nvcc)") ;;
  vulkan) command -v glslc >/dev/null 2>&1 || missing+=("the Vulkan SDK (glslc)") ;;
esac
if [ -x "$dest/bin/llama-server" ] && [ -f "$dest/.complete" ]; then
  [ $check_only -eq 1 ] && echo "built: $dest/bin" && exit 0
  echo "$dest/bin"
  exit 0
fi
if [ ${#missing[@]} -gt 0 ]; then
  printf 'build-llama: cannot build llama.cpp here: install %s\n' "$(IFS=,; echo "${missing[*]}" | sed 's/,/, /g')" >&2
  exit 3
fi
[ $check_only -eq 1 ] && echo "can build: $tag-$backend" && exit 0

mkdir -p "$cache"
# One build at a time per release and backend (a CI run and a hive may both ask).
lock="$cache/.lock-$tag-$backend"
until mkdir "$lock" 2>/dev/null; do
  owner="$(cat "$lock/pid" 2>/dev/null || true)"
  if [ -n "$owner" ] && ! kill -0 "$owner" 2>/dev/null; then rm -rf "$lock"; continue; fi
  [ -x "$dest/bin/llama-server" ] && [ -f "$dest/.complete" ] && { echo "$dest/bin"; exit 0; }
  sleep 2
done
echo $$ >"$lock/pid"
work="$cache/.work-$tag-$backend"
trap 'rm -rf "$lock" "$work"' EXIT
if [ -x "$dest/bin/llama-server" ] && [ -f "$dest/.complete" ]; then echo "$dest/bin"; exit 0; fi

rm -rf "$work"
mkdir -p "$work"
echo "build-llama: llama.cpp $tag ($backend) from node-llama-cpp's source, $jobs jobs" >&2
git -c advice.detachedHead=false clone -q "$bundle" "$work/src"
flags=(-DGGML_RPC=ON -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF
  -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON -DCMAKE_BUILD_RPATH='$ORIGIN' -DCMAKE_INSTALL_RPATH='$ORIGIN')
case "$backend" in
  cuda) flags+=(-DGGML_CUDA=ON) ;;
  vulkan) flags+=(-DGGML_VULKAN=ON) ;;
  metal) flags+=(-DGGML_METAL=ON) ;;
  cpu) [ "$(uname -s)" = Darwin ] && flags+=(-DGGML_METAL=OFF) ;;
esac
cmake -S "$work/src" -B "$work/build" "${flags[@]}" >"$work/configure.log" 2>&1 || { tail -30 "$work/configure.log" >&2; exit 1; }
cmake --build "$work/build" -j "$jobs" --target llama-server ggml-rpc-server 2>&1 | grep --line-buffered -E '^\[ *[0-9]+%\]|error' >&2 || true
[ -x "$work/build/bin/llama-server" ] && [ -x "$work/build/bin/ggml-rpc-server" ] || { echo "build-llama: the build failed" >&2; exit 1; }

rm -rf "$dest"
mkdir -p "$dest/bin"
cp -P "$work/build/bin/llama-server" "$work/build/bin/ggml-rpc-server" "$dest/bin/"
find "$work/build/bin" -maxdepth 1 \( -name '*.so*' -o -name '*.dylib' \) -exec cp -P {} "$dest/bin/" \;
echo "$tag $backend $(date -u +%FT%TZ)" >"$dest/.complete"
echo "build-llama: done" >&2
echo "$dest/bin"

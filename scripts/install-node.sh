#!/bin/sh
# The lean install of the node-side programs (rbee-hive, llm-worker-rbee), run on a node by
# `rbee-keeper setup install` after the checkout: production dependencies only (no Electron, no
# renderer build), only the llama.cpp binaries this node can use, then a transpile of the two
# programs. A second run on an unchanged checkout changes nothing. Prints "rbee-install: up to
# date" or "rbee-install: installed".
#
# `sh scripts/install-node.sh --usable-llama-binaries NAME...` installs nothing: it prints which of
# the given @node-llama-cpp package names (e.g. linux-x64-cuda) this node keeps, one a line.
set -eu
cd "$(dirname "$0")/.."

fail() {
  echo "rbee-install: $*" >&2
  exit 1
}

# Runs a device probe for at most RBEE_PROBE_TIMEOUT_S (default 10) seconds where timeout(1)
# exists: a wedged GPU driver must not hang the install (the toolkit then counts as absent).
probe() {
  if command -v timeout >/dev/null 2>&1; then timeout "${RBEE_PROBE_TIMEOUT_S:-10}" "$@"; else "$@"; fi
}

# A toolkit counts where its tool answers, as the hive finds devices (src/hive/devices.ts):
# nvidia-smi lists a GPU; vulkaninfo lists a device that is not a software renderer.
has_cuda() {
  command -v nvidia-smi >/dev/null 2>&1 || return 1
  gpus=$(probe nvidia-smi --query-gpu=index --format=csv,noheader 2>/dev/null) || return 1
  printf '%s\n' "$gpus" | grep -q '^ *[0-9]'
}
has_vulkan() {
  command -v vulkaninfo >/dev/null 2>&1 || return 1
  summary=$(probe vulkaninfo --summary 2>/dev/null) || return 1
  printf '%s\n' "$summary" | grep 'deviceName' | grep -v -i -e llvmpipe -e lavapipe -e swiftshader | grep -q .
}

# The node's platform and arch as node-llama-cpp names its packages (mac-arm64, linux-armv7l, ...).
llama_target() {
  platform=$(node -p process.platform)
  arch=$(node -p process.arch)
  case "$platform" in darwin) platform=mac ;; win32) platform=win ;; esac
  case "$arch" in arm) arch=armv7l ;; esac
  echo "$platform-$arch"
}

# Sets $target and $toolkits (e.g. "cuda vulkan", or "none").
detect() {
  target=$(llama_target)
  toolkits=""
  if has_cuda; then toolkits="cuda"; fi
  if has_vulkan; then toolkits="${toolkits:+$toolkits }vulkan"; fi
  toolkits=${toolkits:-none}
}

# Whether node-llama-cpp's prebuilt package NAME (without the scope) is one this node can load:
# its own platform and arch (the package of another arch also lists x64 for cross-builds), plain
# (cpu) or Metal (Apple silicon's package), CUDA (and its runtime extension) only with CUDA, Vulkan
# only with Vulkan. A variant rbee never asks for is not kept.
usable_llama_binary() {
  case "$1" in
    "$target" | "$target-metal") return 0 ;;
    "$target-cuda" | "$target-cuda-ext") case " $toolkits " in *" cuda "*) return 0 ;; esac ;;
    "$target-vulkan") case " $toolkits " in *" vulkan "*) return 0 ;; esac ;;
  esac
  return 1
}

command -v node >/dev/null 2>&1 || fail "Node.js is not installed (or not on the PATH of non-interactive SSH sessions); rbee needs Node.js 20 or newer"

if [ "${1:-}" = "--usable-llama-binaries" ]; then
  shift
  detect
  # Test seam, read only in this mode (a real install never reads it): another platform-arch.
  target=${RBEE_INSTALL_TEST_SEAM_TARGET:-$target}
  for name in "$@"; do
    if usable_llama_binary "$name"; then echo "$name"; fi
  done
  exit 0
fi

command -v npm >/dev/null 2>&1 || fail "npm is not installed; rbee needs npm with Node.js 20 or newer"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' ||
  fail "Node.js $(node --version) is too old; rbee needs 20 or newer"

detect

# The stamp also marks this directory as an rbee checkout: the queen's install reuses an existing
# install path only if it has one (or is a checkout of the node's repository). The toolkits are in
# it: a node that gains (or loses) CUDA or Vulkan gets its binaries on the next install.
stamp=".rbee-install-stamp"
want="$(git rev-parse HEAD 2>/dev/null || echo unknown) node-$(node --version) $(uname -sm) toolkits=$(echo "$toolkits" | tr ' ' ,)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -f dist/bin/rbee-hive.js ] && [ -f dist/bin/llm-worker-rbee.js ]; then
  echo "rbee-install: up to date"
  exit 0
fi

echo "rbee-progress: installing dependencies (npm ci --omit=dev)"
# No install scripts: the prebuilt node-llama-cpp binaries need none, and better-sqlite3 (the
# queen's) is never built on a node.
npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error

# npm brings every llama.cpp build of the platform (CUDA alone is ~540 MB on linux-x64): the ones
# this node cannot load go. Removing them after `npm ci` needs no network; a worker asking for a
# removed backend fails with BACKEND_UNAVAILABLE, as on a node without that GPU.
kept=""
removed=0
for dir in node_modules/@node-llama-cpp/*; do
  [ -d "$dir" ] || continue
  name=${dir#node_modules/@node-llama-cpp/}
  if usable_llama_binary "$name"; then
    kept="${kept:+$kept, }$name"
  else
    rm -rf "$dir"
    removed=$((removed + 1))
  fi
done
echo "rbee-progress: llama.cpp binaries for $target (toolkits: $toolkits): kept ${kept:-none}, removed $removed"

echo "rbee-progress: building rbee-hive and llm-worker-rbee"
node node_modules/typescript/bin/tsc -p tsconfig.install.json
echo "$want" > "$stamp"
echo "rbee-install: installed"

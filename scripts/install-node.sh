#!/bin/sh
# The lean install of the node-side programs (rbee-hive, llm-worker-rbee), run on a node by
# `rbee-keeper setup install` after the checkout: production dependencies only (no Electron, no
# renderer build), then a transpile of the two programs. A second run on an unchanged checkout
# changes nothing. Prints "rbee-install: up to date" or "rbee-install: installed".
set -eu
cd "$(dirname "$0")/.."

fail() {
  echo "rbee-install: $*" >&2
  exit 1
}
command -v node >/dev/null 2>&1 || fail "Node.js is not installed (or not on the PATH of non-interactive SSH sessions); rbee needs Node.js 20 or newer"
command -v npm >/dev/null 2>&1 || fail "npm is not installed; rbee needs npm with Node.js 20 or newer"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' ||
  fail "Node.js $(node --version) is too old; rbee needs 20 or newer"

# The stamp also marks this directory as an rbee checkout: the queen's install reuses an existing
# install path only if it has one (or is a checkout of the node's repository).
stamp=".rbee-install-stamp"
want="$(git rev-parse HEAD 2>/dev/null || echo unknown) node-$(node --version) $(uname -sm)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -f dist/bin/rbee-hive.js ] && [ -f dist/bin/llm-worker-rbee.js ]; then
  echo "rbee-install: up to date"
  exit 0
fi

echo "rbee-progress: installing dependencies (npm ci --omit=dev)"
# No install scripts: the prebuilt node-llama-cpp binaries need none, and better-sqlite3 (the
# queen's) is never built on a node.
npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error
echo "rbee-progress: building rbee-hive and llm-worker-rbee"
node node_modules/typescript/bin/tsc -p tsconfig.install.json
echo "$want" > "$stamp"
echo "rbee-install: installed"

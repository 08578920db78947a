#!/usr/bin/env bash
# The whole test suite: system packages, build, lint, typecheck, unit + integration (vitest), e2e
# (Playwright + Debian Chromium). Ends with one line "N passed, N failed, N skipped"; exits non-zero on
# any failure. Skipped tests are reported, never counted as passed.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p reports
rm -f reports/vitest.json reports/vitest-llama.json reports/playwright.json

passed=0
failed=0
step() {
  local name=$1
  shift
  echo "── $name" >&2
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "✗ $name failed" >&2; fi
}

bash scripts/install-system-deps.sh || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
[ -d node_modules ] || npm ci

# llama.cpp's llama-server and ggml-rpc-server (the second engine, split models) for the
# *.llama.test.ts files: built once per release into ~/.cache/rbee/llama.cpp (minutes on 2 cores
# the first time, at once afterwards), in the background and at a lower priority while the other
# tests run; those files run last, once it is there.
rm -f reports/llama-build.log
nice -n 10 bash scripts/build-llama.sh >reports/llama-build.log 2>&1 &
llama_build=$!

step build npm run --silent build
step lint npx eslint .
step typecheck npm run --silent typecheck
step electronegativity node scripts/electronegativity.mjs out

RBEE_PREBUILT=1 npx vitest run --exclude 'test/**/*.llama.test.ts' --reporter=default --reporter=json --outputFile.json=reports/vitest.json
vitest_status=$?
RBEE_PREBUILT=1 PLAYWRIGHT_JSON_OUTPUT_NAME=reports/playwright.json npx playwright test --reporter=list,json
playwright_status=$?

echo "── llama.cpp build (reports/llama-build.log)" >&2
if wait $llama_build; then
  tail -1 reports/llama-build.log >&2
else
  tail -20 reports/llama-build.log >&2
  echo "✗ the llama.cpp build failed: its tests fail below" >&2
fi
RBEE_PREBUILT=1 npx vitest run .llama.test.ts --passWithNoTests --reporter=default --reporter=json --outputFile.json=reports/vitest-llama.json
llama_status=$?

# Unreadable reports count as one failure rather than ending the run without its summary line.
counts=$(node scripts/count-results.mjs reports/vitest.json reports/playwright.json reports/vitest-llama.json) || counts="0 1 0"
read -r test_passed test_failed test_skipped <<<"$counts"
passed=$((passed + test_passed))
failed=$((failed + test_failed))
# A runner that crashed before reporting still fails the run.
if [ $vitest_status -ne 0 ] && [ "$test_failed" -eq 0 ]; then failed=$((failed + 1)); fi
if [ $playwright_status -ne 0 ] && [ "$test_failed" -eq 0 ]; then failed=$((failed + 1)); fi
if [ $llama_status -ne 0 ] && [ "$test_failed" -eq 0 ]; then failed=$((failed + 1)); fi

echo "$passed passed, $failed failed, ${test_skipped:-0} skipped"
[ "$failed" -eq 0 ]

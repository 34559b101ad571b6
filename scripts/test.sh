#!/usr/bin/env bash
# The test command: installs what the tests need (system tools, a reachable PostgreSQL), then runs
# every test file with node's test runner (its summary is what CI reads).
# Run a subset with: bash scripts/test.sh test/versions
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/ensure-test-deps.sh
roots=("$@"); [ ${#roots[@]} -gt 0 ] || roots=(test)
mapfile -t files < <(find "${roots[@]}" -name '*.test.ts' | sort)
exec node --import tsx --test --test-concurrency="${TEST_CONCURRENCY:-3}" --test-timeout="${TEST_TIMEOUT_MS:-900000}" "${files[@]}"

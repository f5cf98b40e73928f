#!/usr/bin/env bash
# The test command: installs what is missing, then lints and runs every test.
#   bash scripts/test.sh
# Reuses a target directory outside the clone when CARGO_TARGET_DIR is set
# (CI sets it so a fresh clone does not rebuild every dependency).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "setup (idempotent)"
bash scripts/setup.sh
if [ -f scripts/fetch-fixtures.sh ]; then
  step "registry fixtures"
  bash scripts/fetch-fixtures.sh
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "buf lint"
/opt/fitvision-tools/node_modules/.bin/buf lint

step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "build binaries used by integration tests"
cargo build --workspace --bins --locked

step "tests"
cargo nextest run --workspace --locked --no-fail-fast

step "schemathesis on /openapi.json (real suite, admin key)"
bash scripts/schemathesis.sh

step "browser test (chromium + playwright-core)"
bash scripts/browser-test.sh

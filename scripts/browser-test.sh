#!/usr/bin/env bash
# Browser test (issue 9): starts the built `fitvision serve` on spare loopback
# ports with a throw-away data dir, drives Debian chromium through the web page
# with playwright-core (integration-tests/browser), then stops the suite.
# Screenshots land in integration-tests/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d ../shared/videos ]; then
  echo "SKIP browser test: ../shared/videos is not available"
  exit 0
fi
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
bin="$target_dir/debug/fitvision"
[ -x "$bin" ] || cargo build -p fitvision

data=$(mktemp -d)
port_base=${FITVISION_BROWSER_PORT_BASE:-28080}
export FITVISION_ADMIN_KEY="browser-test-$$"
"$bin" serve --data-dir "$data/data" \
  --edge-port "$port_base" --session-port $((port_base + 1)) --pose-port $((port_base + 2)) \
  --cheat-port $((port_base + 3)) --metrics-port $((port_base + 4)) --coaching-port $((port_base + 5)) \
  > "$data/serve.log" 2>&1 &
server_pid=$!
cleanup() {
  kill -TERM "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

for _ in $(seq 1 300); do
  if curl -fsS "http://127.0.0.1:$port_base/api/status" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then cat "$data/serve.log"; exit 1; fi
  sleep 1
done

mkdir -p integration-tests/artifacts
if FITVISION_EDGE_URL="http://127.0.0.1:$port_base" FITVISION_API_KEY="$FITVISION_ADMIN_KEY" \
  bash integration-tests/browser/run.sh; then
  echo "browser: 1 passed, 0 failed"
else
  echo "browser: 0 passed, 1 failed"
  tail -50 "$data/serve.log"
  exit 1
fi

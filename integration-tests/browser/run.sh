#!/usr/bin/env bash
# Browser test against a running suite.
#   FITVISION_EDGE_URL=http://127.0.0.1:8080 FITVISION_API_KEY=... integration-tests/browser/run.sh
# Needs Debian chromium (scripts/setup.sh installs it) and node/npm.
set -euo pipefail
cd "$(dirname "$0")"
: "${FITVISION_API_KEY:?set FITVISION_API_KEY to a key the edge accepts}"
export FITVISION_EDGE_URL="${FITVISION_EDGE_URL:-http://127.0.0.1:8080}"
if [ ! -d node_modules/playwright-core ]; then
  npm ci --no-fund --no-audit --loglevel=error 2>/dev/null ||
    npm install --no-save --no-fund --no-audit --loglevel=error
fi
exec node upload-and-review.mjs

#!/usr/bin/env bash
# Browser test against a running suite.
#   FITVISION_EDGE_URL=http://127.0.0.1:8080 FITVISION_API_KEY=... integration-tests/browser/run.sh
# Needs Debian chromium (scripts/setup.sh installs it) and node/npm.
set -euo pipefail
cd "$(dirname "$0")"
: "${FITVISION_API_KEY:?set FITVISION_API_KEY to a key the edge accepts}"
export FITVISION_EDGE_URL="${FITVISION_EDGE_URL:-http://127.0.0.1:8080}"
if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/axe-core ]; then
  npm ci --no-fund --no-audit --loglevel=error 2>/dev/null ||
    npm install --no-save --no-fund --no-audit --loglevel=error
fi
node upload-and-review.mjs
# Live mode with a fake camera playing a real clip (Y4M is what Chromium's fake
# capture reads): 640 px at 15 fps, as the page sends.
clip="${FITVISION_LIVE_CLIP:-$(cd ../.. && pwd)/../shared/videos/squat_bodyweight_side_bluewall.mp4}"
if [ -f "$clip" ]; then
  y4m=$(mktemp --suffix=.y4m)
  trap 'rm -f "$y4m"' EXIT
  ffmpeg -nostdin -loglevel error -y -i "$clip" -vf "scale=640:-2,fps=15" -pix_fmt yuv420p "$y4m"
  FITVISION_LIVE_Y4M="$y4m" \
  FITVISION_LIVE_CLIP_S="$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$clip")" \
    node live-camera.mjs
else
  echo "SKIP live camera: $clip not found"
fi

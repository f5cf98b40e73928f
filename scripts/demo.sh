#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine, in one command:
#   bash scripts/demo.sh [VIDEO] [EXERCISE]
# sets up the machine, builds the suite in release mode, starts `fitvision serve`
# (embedded default: SQLite + local storage under ./data), analyses a real video
# end to end through the running suite, prints the result and stops the suite.
set -euo pipefail
cd "$(dirname "$0")/.."

video=${1:-../shared/videos/squat_side_3reps.mp4}
exercise=${2:-squat}
if [ ! -f "$video" ]; then
  bash scripts/fetch-fixtures.sh >/dev/null
  video=/var/tmp/fitvision-fixtures/sports2d-demo.mp4
  exercise=${2:-squat}
  echo "[demo] ../shared/videos not found; using the registry fixture $video"
fi

bash scripts/setup.sh
cargo build --release -p fitvision
bin="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/fitvision"

export FITVISION_ADMIN_KEY=${FITVISION_ADMIN_KEY:-demo-admin-key}
mkdir -p data
"$bin" serve --data-dir ./data > data/serve.log 2>&1 &
server_pid=$!
trap 'kill -TERM $server_pid 2>/dev/null; wait $server_pid 2>/dev/null || true' EXIT

echo "[demo] waiting for the suite (logs: data/serve.log)"
for _ in $(seq 1 300); do
  if curl -fsS http://127.0.0.1:8080/api/status >/dev/null 2>&1; then break; fi
  if ! kill -0 $server_pid 2>/dev/null; then cat data/serve.log; exit 1; fi
  sleep 1
done
echo "[demo] analysing $video as $exercise"
"$bin" analyze "$video" --exercise "$exercise"
echo "[demo] web page: http://127.0.0.1:8080/  (API key: $FITVISION_ADMIN_KEY)"

#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine, in one command:
#   bash scripts/demo.sh [VIDEO] [EXERCISE]
# sets up the machine, builds the suite in release mode, starts `fitvision serve`
# (embedded default: SQLite + local storage under ./data), analyses a real video
# end to end through the running suite, prints the result, then keeps the suite
# serving the web page (the analysed video already in its session list, and a
# link that opens it) until Ctrl-C. FITVISION_DEMO_KEEP_SERVING=0 stops at once.
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
trap 'echo; echo "[demo] stopping the suite"; exit 130' INT TERM

echo "[demo] waiting for the suite (logs: data/serve.log)"
for _ in $(seq 1 300); do
  if curl -fsS http://127.0.0.1:8080/api/status >/dev/null 2>&1; then break; fi
  if ! kill -0 $server_pid 2>/dev/null; then cat data/serve.log; exit 1; fi
  sleep 1
done
echo "[demo] analysing $video as $exercise"
"$bin" analyze "$video" --exercise "$exercise"

# The analysed video is a session of the key's user: the page lists it under
# "Your sessions", and #video=<session id> opens it straight after signing in.
session_id=$(curl -fsS -H "Authorization: API-KEY $FITVISION_ADMIN_KEY" \
  'http://127.0.0.1:8080/v1/sessions?newest_first=true&limit=1' |
  python3 -c 'import json,sys; s=json.load(sys.stdin).get("sessions") or [{}]; print(s[0].get("sessionId") or s[0].get("session_id") or "")' || true)
echo "[demo] web page: http://127.0.0.1:8080/${session_id:+#video=$session_id}"
echo "[demo] sign in with the API key $FITVISION_ADMIN_KEY; the analysed video is in \"Your sessions\""
if [ "${FITVISION_DEMO_KEEP_SERVING:-1}" = 0 ]; then
  exit 0
fi
echo "[demo] the suite keeps serving until you press Ctrl-C (logs: data/serve.log)"
# `wait` returns when the server exits or a signal arrives (the INT trap stops it).
wait "$server_pid" || { echo "[demo] the suite stopped (see data/serve.log)"; exit 1; }

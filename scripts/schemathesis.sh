#!/usr/bin/env bash
# Property-based API test of the edge with schemathesis (PyPI), against the real
# suite: starts `fitvision serve` on free loopback ports with a throw-away data
# directory and a known admin key, runs schemathesis on /openapi.json with that
# key, stops the suite, and exits non-zero on any failure.
#
# Checks: no 5xx (not_a_server_error), every response matches its documented
# schema (response_schema_conformance) and status (status_code_conformance).
#
# Environment:
#   FITVISION_BIN                 binary to run (default: <target>/debug/fitvision, built if missing)
#   SCHEMATHESIS_MAX_EXAMPLES     examples per operation (default 20)
#   SCHEMATHESIS_MAX_TIME_S       time budget of the schemathesis run (default 120)
#   FITVISION_TOOLS_DIR           where the venv lives (default /opt/fitvision-tools)
set -euo pipefail

SCHEMATHESIS_VERSION=4.32.5
TOOLS_DIR=${FITVISION_TOOLS_DIR:-/opt/fitvision-tools}
VENV="$TOOLS_DIR/schemathesis-venv"
MAX_EXAMPLES=${SCHEMATHESIS_MAX_EXAMPLES:-20}
MAX_TIME_S=${SCHEMATHESIS_MAX_TIME_S:-120}
ROOT=$(cd "$(dirname "$0")/.." && pwd)

log() { printf '[schemathesis] %s\n' "$*"; }

# --- install (idempotent, pinned) -------------------------------------------
installed=$("$VENV/bin/st" --version 2>/dev/null | awk '{print $NF}' || true)
if [ "$installed" != "$SCHEMATHESIS_VERSION" ]; then
  log "installing schemathesis==$SCHEMATHESIS_VERSION into $VENV"
  SUDO=""
  if [ ! -w "$TOOLS_DIR" ] && [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO mkdir -p "$TOOLS_DIR"
  [ -x "$VENV/bin/pip" ] || $SUDO python3 -m venv "$VENV"
  $SUDO "$VENV/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
fi

# --- the suite ----------------------------------------------------------------
BIN=${FITVISION_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/debug/fitvision}
if [ ! -x "$BIN" ]; then
  log "building the fitvision binary"
  (cd "$ROOT" && cargo build -p fitvision --bin fitvision)
fi

free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
EOF
}
read -r EDGE_PORT SESSION_PORT POSE_PORT CHEAT_PORT METRICS_PORT COACHING_PORT <<<"$(free_ports 6)"
DATA_DIR=$(mktemp -d)
ADMIN_KEY="schemathesis-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
SUITE_PID=""
cleanup() {
  if [ -n "$SUITE_PID" ] && kill -0 "$SUITE_PID" 2>/dev/null; then
    kill -TERM "$SUITE_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$SUITE_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SUITE_PID" 2>/dev/null || true
  fi
  rm -rf "$DATA_DIR"
}
trap cleanup EXIT

log "starting the suite (edge on 127.0.0.1:$EDGE_PORT)"
# Rate limits (and the failed-authentication allowance) are raised so the fuzzer
# measures the API, not the limiters.
FITVISION_ADMIN_KEY="$ADMIN_KEY" \
FITVISION_RATE_LIMIT_PER_S=100000 \
FITVISION_RATE_LIMIT_BURST=100000 \
FITVISION_FAILED_AUTH_ALLOWANCE=100000 \
RUST_LOG=${RUST_LOG:-warn} \
  "$BIN" serve --data-dir "$DATA_DIR/data" \
    --edge-port "$EDGE_PORT" --session-port "$SESSION_PORT" --pose-port "$POSE_PORT" \
    --cheat-port "$CHEAT_PORT" --metrics-port "$METRICS_PORT" --coaching-port "$COACHING_PORT" \
    >"$DATA_DIR/suite.log" 2>&1 &
SUITE_PID=$!

BASE="http://127.0.0.1:$EDGE_PORT"
for _ in $(seq 1 600); do
  if curl -fsS "$BASE/api/status" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$SUITE_PID" 2>/dev/null; then
    log "the suite exited early:"; cat "$DATA_DIR/suite.log"; exit 1
  fi
  sleep 0.5
done
curl -fsS "$BASE/api/status" >/dev/null || { log "the edge never answered"; tail -50 "$DATA_DIR/suite.log"; exit 1; }

# --- the run -------------------------------------------------------------------
log "running schemathesis (max $MAX_EXAMPLES examples per operation, ${MAX_TIME_S} s budget)"
started=$(date +%s)
set +e
"$VENV/bin/st" --no-color run "$BASE/openapi.json" \
  --checks not_a_server_error,response_schema_conformance,status_code_conformance \
  --header "Authorization: API-KEY $ADMIN_KEY" \
  --phases examples,fuzzing \
  --max-examples "$MAX_EXAMPLES" \
  --max-time "$MAX_TIME_S" \
  --workers 2 \
  --request-timeout 60 \
  --seed 1 \
  --generation-deterministic \
  --warnings off \
  --continue-on-failure
status=$?
set -e
log "schemathesis finished in $(( $(date +%s) - started )) s with exit code $status"
if [ "$status" -ne 0 ]; then
  log "suite log tail:"; tail -30 "$DATA_DIR/suite.log"
fi
exit "$status"

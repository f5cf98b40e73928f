#!/usr/bin/env bash
# The Kubernetes topology of fitvision on one machine, every piece its own OS process
# on loopback: PostgreSQL, an S3-protocol object server (moto's standalone server),
# two replicas of every gRPC service and two edges, all sharing one database and one
# bucket. Each client is given the list of replicas it calls and balances over the
# ones that accept connections (libs/service-kit/src/replicas.rs).
#
#   bash scripts/scale-out.sh up [DIR]     start everything (state, logs, data under DIR)
#   bash scripts/scale-out.sh down         stop everything
#   bash scripts/scale-out.sh kill NAME    SIGKILL one process (e.g. session-1)
#   bash scripts/scale-out.sh start NAME   start it again and wait until it is healthy
#   bash scripts/scale-out.sh status       one line per process: name, pid, address, state
#
# Names: postgres, s3, session-1, session-2, pose-inference-1, pose-inference-2,
# cheat-detection-1/2, exercise-metrics-1/2, coaching-1/2, edge-1 (8080), edge-2 (8081).
# gRPC ports: replica 1 of session/pose-inference/cheat-detection/exercise-metrics/
# coaching on 50051..50055, replica 2 on 50061..50065; PostgreSQL 55432, S3 59000.
#
# Environment: FITVISION_ADMIN_KEY (default: generated once, kept in DIR/env);
# FITVISION_SCALE_OUT_DIR (DIR for every command; default: the last `up`'s, else
# /var/tmp/fitvision-scale-out); FITVISION_SCALE_OUT_PORT_BASE=B moves every port
# (edges B and B+1, PostgreSQL B+2, S3 B+3, gRPC B+10..); FITVISION_BIN_DIR (the
# built binaries; default <target>/debug, built when missing).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TOOLS_DIR=${FITVISION_TOOLS_DIR:-/opt/fitvision-tools}
PG_BIN=${FITVISION_PG_BIN:-/usr/lib/postgresql/15/bin}
MARKER=${TMPDIR:-/tmp}/fitvision-scale-out.dir
SERVICES=(session pose-inference cheat-detection exercise-metrics coaching)
BUCKET=fitvision-videos

log() { printf '[scale-out] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command=${1:-}
[ -n "$command" ] || { sed -n '2,24p' "$0"; exit 2; }

if [ "$command" = up ] && [ -n "${2:-}" ]; then
  DIR=$2
elif [ -n "${FITVISION_SCALE_OUT_DIR:-}" ]; then
  DIR=$FITVISION_SCALE_OUT_DIR
elif [ -f "$MARKER" ]; then
  DIR=$(cat "$MARKER")
else
  DIR=/var/tmp/fitvision-scale-out
fi
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
RUN=$DIR/run
LOGS=$DIR/logs

# Ports and secrets are fixed by `up` in DIR/ports and DIR/env, so `kill`/`start`
# later reuse them.
write_layout() {
  local base=${FITVISION_SCALE_OUT_PORT_BASE:-}
  local edge1 edge2 pg s3 grpc
  if [ -n "$base" ]; then
    edge1=$base edge2=$((base + 1)) pg=$((base + 2)) s3=$((base + 3)) grpc=$((base + 10))
  else
    edge1=8080 edge2=8081 pg=55432 s3=59000 grpc=50051
  fi
  {
    echo "EDGE_PORTS=($edge1 $edge2)"
    echo "PG_PORT=$pg"
    echo "S3_PORT=$s3"
    echo "GRPC_BASE=$grpc"
  } >"$DIR/ports"
}

# Index of a gRPC service in SERVICES (0-based), or nothing when it is not one.
service_index() {
  local i
  for i in "${!SERVICES[@]}"; do
    if [ "${SERVICES[$i]}" = "$1" ]; then echo "$i"; fi
  done
}

# Port of replica R (1 or 2) of the I-th service (0-based).
grpc_port() { echo $((GRPC_BASE + $1 + 10 * ($2 - 1))); }

replica_urls() {
  local index=$1
  echo "http://127.0.0.1:$(grpc_port "$index" 1),http://127.0.0.1:$(grpc_port "$index" 2)"
}

random_secret() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }

write_env() {
  [ -f "$DIR/env" ] && return
  local admin=${FITVISION_ADMIN_KEY:-$(random_secret)}
  umask 077
  cat >"$DIR/env" <<EOF
FITVISION_ADMIN_KEY=$admin
FITVISION_URL_SIGNING_KEY=$(random_secret)
FITVISION_TOKEN_SECRET=$(random_secret)
FITVISION_SERVICE_TOKEN=$(random_secret)
FITVISION_DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/fitvision
FITVISION_STORAGE_URL=s3://$BUCKET
AWS_ENDPOINT=http://127.0.0.1:$S3_PORT
AWS_ALLOW_HTTP=true
AWS_REGION=us-east-1
AWS_ACCESS_KEY_ID=fitvision
AWS_SECRET_ACCESS_KEY=fitvision
FITVISION_SESSION_URL=$(replica_urls 0)
FITVISION_POSE_INFERENCE_URL=$(replica_urls 1)
FITVISION_CHEAT_DETECTION_URL=$(replica_urls 2)
FITVISION_EXERCISE_METRICS_URL=$(replica_urls 3)
FITVISION_COACHING_URL=$(replica_urls 4)
FITVISION_MODELS_DIR=$ROOT/models
FITVISION_JOB_LEASE_SECS=10
FITVISION_JOB_BACKOFF_MS=1000
RUST_LOG=${RUST_LOG:-info,ort=warn}
EOF
  umask 022
}

load_layout() {
  [ -f "$DIR/ports" ] || die "nothing set up in $DIR (run: $0 up $DIR)"
  # shellcheck disable=SC1091
  . "$DIR/ports"
}

bin_dir() {
  echo "${FITVISION_BIN_DIR:-${CARGO_TARGET_DIR:-$ROOT/target}/debug}"
}

ensure_binaries() {
  local dir missing=0
  dir=$(bin_dir)
  for name in "${SERVICES[@]}" edge; do
    [ -x "$dir/$name" ] || missing=1
  done
  if [ "$missing" = 1 ]; then
    [ -z "${FITVISION_BIN_DIR:-}" ] || die "binaries missing in $FITVISION_BIN_DIR"
    log "building the service binaries"
    (cd "$ROOT" && cargo build --bins -p fitvision-session -p fitvision-pose-inference \
      -p fitvision-cheat-detection -p fitvision-exercise-metrics -p fitvision-coaching -p fitvision-edge)
  fi
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# As the postgres user when root (PostgreSQL refuses to run as root); setpriv execs
# in place, so the recorded pid is the server's own.
as_db_user() {
  if is_root; then
    setpriv --reuid=postgres --regid=postgres --init-groups "$@"
  else
    "$@"
  fi
}

# The command line of each process, as a script DIR/run/NAME.sh that execs it.
write_launcher() {
  local name=$1 script=$RUN/$1.sh
  local bin
  bin=$(bin_dir)
  {
    echo '#!/usr/bin/env bash'
    echo "set -a; . '$DIR/env'; set +a"
    echo "cd '$ROOT'"
    case "$name" in
      postgres)
        if is_root; then
          echo "exec setpriv --reuid=postgres --regid=postgres --init-groups '$PG_BIN/postgres' -D '$DIR/pg/data' -p $PG_PORT -k '$DIR/pg' -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off"
        else
          echo "exec '$PG_BIN/postgres' -D '$DIR/pg/data' -p $PG_PORT -k '$DIR/pg' -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off"
        fi
        ;;
      s3)
        echo "exec '$TOOLS_DIR/s3-venv/bin/moto_server' -H 127.0.0.1 -p $S3_PORT"
        ;;
      edge-1 | edge-2)
        local port=${EDGE_PORTS[$((${name#edge-} - 1))]}
        echo "exec '$bin/edge' --addr 127.0.0.1:$port"
        ;;
      *)
        local service=${name%-*} replica=${name##*-} index
        index=$(service_index "$service")
        [ -n "$index" ] && [[ "$replica" =~ ^[12]$ ]] || die "unknown process '$name'"
        local extra=""
        [ "$service" = session ] && extra="--data-dir '$DIR/$name'"
        echo "exec '$bin/$service' --addr 127.0.0.1:$(grpc_port "$index" "$replica") $extra"
        ;;
    esac
  } >"$script"
  chmod +x "$script"
}

address_of() {
  local name=$1
  case "$name" in
    postgres) echo "127.0.0.1:$PG_PORT" ;;
    s3) echo "127.0.0.1:$S3_PORT" ;;
    edge-1) echo "127.0.0.1:${EDGE_PORTS[0]}" ;;
    edge-2) echo "127.0.0.1:${EDGE_PORTS[1]}" ;;
    *)
      local index
      index=$(service_index "${name%-*}")
      [ -n "$index" ] && echo "127.0.0.1:$(grpc_port "$index" "${name##*-}")"
      ;;
  esac
}

all_names() {
  echo postgres s3
  local service
  for service in "${SERVICES[@]}"; do echo "$service-1 $service-2"; done
  echo edge-1 edge-2
}

pid_of() { cat "$RUN/$1.pid" 2>/dev/null || true; }
alive() { local pid; pid=$(pid_of "$1"); [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }

healthy() {
  local name=$1 addr
  addr=$(address_of "$name")
  case "$name" in
    postgres) "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" ;;
    s3) curl -sf -o /dev/null "http://$addr/" ;;
    edge-*) curl -sf -o /dev/null "http://$addr/api/status" ;;
    *)
      # grpcurl reads the method's schema by reflection, which takes the service token.
      local token
      token=$(sed -n 's/^FITVISION_SERVICE_TOKEN=//p' "$DIR/env")
      "$TOOLS_DIR/venv/bin/grpcurl" -plaintext -max-time 2 -H "x-fitvision-service-token: $token" \
        "$addr" grpc.health.v1.Health/Check 2>/dev/null | grep -q '"SERVING"'
      ;;
  esac
}

launch() {
  local name=$1
  alive "$name" && die "$name is already running (pid $(pid_of "$name"))"
  write_launcher "$name"
  setsid "$RUN/$name.sh" >>"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/$name.pid"
}

wait_healthy() {
  local name=$1 deadline=$((SECONDS + ${FITVISION_SCALE_OUT_TIMEOUT_S:-300}))
  until healthy "$name"; do
    alive "$name" || die "$name exited; last log lines:
$(tail -n 20 "$LOGS/$name.log")"
    [ "$SECONDS" -lt "$deadline" ] || die "$name not healthy in time; see $LOGS/$name.log"
    sleep 0.5
  done
  printf '%-20s pid=%-8s addr=%s\n' "$name" "$(pid_of "$name")" "$(address_of "$name")"
}

init_postgres() {
  [ -f "$DIR/pg/data/PG_VERSION" ] && return
  mkdir -p "$DIR/pg"
  is_root && chown -R postgres:postgres "$DIR/pg"
  as_db_user "$PG_BIN/initdb" -A trust -U postgres --no-sync -D "$DIR/pg/data" >"$LOGS/initdb.log" 2>&1 ||
    die "initdb failed: $(tail -n 5 "$LOGS/initdb.log")"
}

create_database() {
  local psql=("$PG_BIN/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tA)
  if [ "$("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = 'fitvision'")" != 1 ]; then
    "${psql[@]}" -c "CREATE DATABASE fitvision" >/dev/null
  fi
}

create_bucket() {
  # CreateBucket answers 200 when the bucket exists already (us-east-1 semantics).
  curl -sf -o /dev/null -X PUT "http://127.0.0.1:$S3_PORT/$BUCKET" || die "cannot create bucket $BUCKET"
}

stop_one() {
  local name=$1 pid
  pid=$(pid_of "$name")
  [ -n "$pid" ] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    local waited=0
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 40 ]; do sleep 0.5; waited=$((waited + 1)); done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$RUN/$name.pid"
}

case "$command" in
  up)
    mkdir -p "$RUN" "$LOGS"
    echo "$DIR" >"$MARKER"
    [ -f "$DIR/ports" ] || write_layout
    load_layout
    write_env
    [ -x "$TOOLS_DIR/s3-venv/bin/moto_server" ] || die "no S3 server: run scripts/setup.sh"
    ensure_binaries
    init_postgres
    for name in postgres s3; do
      alive "$name" || launch "$name"
    done
    for name in postgres s3; do wait_healthy "$name"; done
    create_database
    create_bucket
    # The session replicas migrate the shared database: start one first so the
    # other never races it on an empty schema.
    alive session-1 || launch session-1
    wait_healthy session-1 >/dev/null
    for name in $(all_names); do
      case "$name" in postgres | s3 | session-1) continue ;; esac
      alive "$name" || launch "$name"
    done
    for name in $(all_names); do
      case "$name" in postgres | s3) continue ;; esac
      wait_healthy "$name"
    done
    log "up: edges on http://$(address_of edge-1) and http://$(address_of edge-2); admin key in $DIR/env"
    ;;
  down)
    load_layout
    names=$(all_names | tr ' ' '\n' | tac)
    for name in $names; do stop_one "$name"; done
    log "down ($DIR kept: rm -rf it to start afresh)"
    ;;
  kill)
    name=${2:?usage: $0 kill NAME}
    load_layout
    pid=$(pid_of "$name")
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || die "$name is not running"
    kill -KILL "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    rm -f "$RUN/$name.pid"
    log "killed $name (pid $pid)"
    ;;
  start)
    name=${2:?usage: $0 start NAME}
    load_layout
    launch "$name"
    wait_healthy "$name"
    ;;
  status)
    load_layout
    for name in $(all_names); do
      state=down
      alive "$name" && state=running
      printf '%-20s pid=%-8s addr=%-18s %s\n' "$name" "$(pid_of "$name")" "$(address_of "$name")" "$state"
    done
    ;;
  *)
    die "unknown command '$command' (up [DIR] | down | kill NAME | start NAME | status)"
    ;;
esac

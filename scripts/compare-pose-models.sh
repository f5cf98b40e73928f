#!/usr/bin/env bash
# Compares the pose models on every labelled clip of ../shared/videos, one model after
# the other, with the suite's own evaluation tools (each reads FITVISION_POSE_MODEL):
#
#   - evaluate_counts: rep counts (exact / within one on the H and M-H clips), the share
#     of analysed frames with a person, jump heights;
#   - cheat-eval: authenticity verdicts on the manifest's clips (honest clips blocked =
#     false blocks) and, without --quick, on the tamper set;
#   - pose-bench: whole-pipeline frames/s and peak RSS on a 720p and a 1080p clip.
#
# Usage: scripts/compare-pose-models.sh [--quick] [MODEL...]
#   default models: yolo11n-pose-dynamic blazepose-full blazepose-lite
# Output: per-model logs under $FITVISION_COMPARE_DIR (default /var/tmp/fitvision-compare)
# and a summary table on stdout. Tracks are cached per model in FITVISION_TRACK_CACHE.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
QUICK=false
MODELS=()
for arg in "$@"; do
  case "$arg" in
    --quick) QUICK=true ;;
    *) MODELS+=("$arg") ;;
  esac
done
[[ ${#MODELS[@]} -gt 0 ]] || MODELS=(yolo11n-pose-dynamic blazepose-full blazepose-lite)
OUT="${FITVISION_COMPARE_DIR:-/var/tmp/fitvision-compare}"
mkdir -p "$OUT"
VIDEOS="${FITVISION_SHARED_VIDEOS:-$ROOT/../shared/videos}"
SPEED_CLIPS=("$VIDEOS/pushup_side_stock_cut.mp4" "$VIDEOS/squat_barbell_side_60fps.mp4")

cargo build --release --quiet -p fitvision-integration-tests --bin evaluate_counts
cargo build --release --quiet -p fitvision-cheat-detection --features eval --bin cheat-eval
cargo build --release --quiet -p fitvision-pose-inference --bin pose-bench
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release"

for model in "${MODELS[@]}"; do
  echo "== $model" >&2
  FITVISION_POSE_MODEL="$model" "$BIN/evaluate_counts" >"$OUT/$model.counts.txt" 2>/dev/null
  tamper_flag=()
  $QUICK && tamper_flag=(--no-tamper)
  FITVISION_POSE_MODEL="$model" "$BIN/cheat-eval" "${tamper_flag[@]}" >"$OUT/$model.authenticity.txt" 2>/dev/null
  "$BIN/pose-bench" --model "$model" "${SPEED_CLIPS[@]}" >"$OUT/$model.speed.txt" 2>/dev/null
done

# Summary: one line per model.
printf '%-22s %-14s %-9s %-7s %-9s %-9s %-14s %-22s %-22s\n' \
  model "exact(H/M-H)" within1 "|err|" person% "CMJ cm" "honest" "720p fps / peak MB" "1080p fps / peak MB"
for model in "${MODELS[@]}"; do
  counts="$OUT/$model.counts.txt"
  totals="$(tail -n 1 "$counts")"
  graded="$(sed -E 's/H\/M-H clips: ([0-9]+).*/\1/' <<<"$totals")"
  exact="$(sed -E "s/.*exact ([0-9]+) \(([0-9]+)%\).*/\1\/$graded (\2%)/" <<<"$totals")"
  within="$(sed -E 's/.*within 1: ([0-9]+).*/\1/' <<<"$totals")"
  err="$(sed -E 's/.*total \|error\| ([0-9]+).*/\1/' <<<"$totals")"
  person="$(sed -E 's/.*person in ([0-9.]+)%.*/\1/' <<<"$totals")"
  cmj="$(grep '^jump_cmj_overlay78cm' "$counts" | grep -o 'jump_height_cm=[0-9.]*' | cut -d= -f2)"
  # "clean" rows of the confusion table: n and blocked.
  clean="$(awk '$1 == "clean" {print $2, $7}' "$OUT/$model.authenticity.txt")"
  honest="$(awk '{print $2 "/" $1 " blocked"}' <<<"$clean")"
  speed() { awk -v clip="$(basename "$1")" '$1 == clip {print $(NF-1) " / " $NF}' "$OUT/$model.speed.txt"; }
  printf '%-22s %-14s %-9s %-7s %-9s %-9s %-14s %-22s %-22s\n' \
    "$model" "$exact" "$within" "$err" "$person" "${cmj:--}" "$honest" \
    "$(speed "${SPEED_CLIPS[0]}")" "$(speed "${SPEED_CLIPS[1]}")"
done
echo
echo "per-clip tables: $OUT/<model>.{counts,authenticity,speed}.txt"

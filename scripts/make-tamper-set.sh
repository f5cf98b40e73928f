#!/usr/bin/env bash
# Builds the authenticity tamper set: from clean single-person clips, ffmpeg makes the
# edits people use to game rep-count apps, one file per (base clip, edit):
#   <base>__text.mp4         live rep counter + running timer drawn on (drawtext)
#   <base>__splice.mp4       2.5 s of another clip spliced into the middle
#   <base>__sidebyside.mp4   the clip and another clip side by side (two people)
#   <base>__loop.mp4         a 1.5 s segment played 4 times
#   <base>__speedup2x.mp4    2x playback (every other frame dropped, same fps)
#   <base>__speedup3x.mp4    3x playback (two frames of three dropped, same fps)
#   <base>__duplicate.mp4    every frame shown twice (0.5x, padded with duplicates)
# The untouched originals are evaluated from the source directory itself.
# Nothing is written into the repository: the set goes to a cache directory.
#
# Usage: scripts/make-tamper-set.sh [SOURCE_DIR] [OUT_DIR]
#   SOURCE_DIR  default ../shared/videos relative to the repo (FITVISION_SHARED_VIDEOS overrides)
#   OUT_DIR     default /var/tmp/fitvision-tamper (FITVISION_TAMPER_DIR overrides)
#   FITVISION_TAMPER_BASES  space-separated base clip names (default: three clean H clips)
#   FITVISION_TAMPER_EDITS  space-separated subset of the edits above (default: all seven)
# Idempotent: existing outputs are kept.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="${1:-${FITVISION_SHARED_VIDEOS:-$REPO/../shared/videos}}"
OUT="${2:-${FITVISION_TAMPER_DIR:-/var/tmp/fitvision-tamper}}"
BASES=(${FITVISION_TAMPER_BASES:-pushup_side_tiny_426x226 squat_side_3reps pullup_back_gym})
FONT="${FITVISION_TAMPER_FONT:-/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf}"
EDITS=" ${FITVISION_TAMPER_EDITS:-text splice sidebyside loop speedup2x speedup3x duplicate} "

[[ -d "$SRC" ]] || { echo "source videos not found: $SRC" >&2; exit 1; }
[[ -f "$FONT" ]] || { echo "font not found: $FONT (set FITVISION_TAMPER_FONT)" >&2; exit 1; }
mkdir -p "$OUT"

ENC=(-c:v libx264 -preset veryfast -crf 20 -pix_fmt yuv420p -an -movflags +faststart)

probe() { # probe FILE FIELD
  ffprobe -v error -select_streams v:0 -show_entries "stream=$2" -of csv=p=0 "$1" | head -1
}

make() { # make OUTPUT ffmpeg-args...   (OUTPUT ends in __<edit>.mp4)
  local out="$1"; shift
  local edit="${out##*__}"; edit="${edit%.mp4}"
  if [[ "$EDITS" != *" $edit "* || -s "$out" ]]; then return; fi
  ffmpeg -nostdin -loglevel error -y "$@" "${ENC[@]}" "$out.tmp.mp4"
  mv "$out.tmp.mp4" "$out"
  echo "made $(basename "$out")"
}

count=${#BASES[@]}
for i in "${!BASES[@]}"; do
  base="${BASES[$i]}"
  other="${BASES[$(((i + 1) % count))]}"
  a="$SRC/$base.mp4"
  b="$SRC/$other.mp4"
  [[ -f "$a" && -f "$b" ]] || { echo "missing $a or $b" >&2; exit 1; }
  w=$(probe "$a" width); h=$(probe "$a" height); fps=$(probe "$a" r_frame_rate)
  dur=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$a")
  mid=$(python3 -c "print(round($dur / 2, 3))")
  fps_num=$(python3 -c "from fractions import Fraction; print(float(Fraction('$fps')))")
  loop_start=$(python3 -c "print(int($fps_num * 1.0))")
  loop_size=$(python3 -c "print(int($fps_num * 1.5))")

  # A live rep counter and a running timer: the overlays that fake results.
  make "$OUT/${base}__text.mp4" -i "$a" -vf \
    "drawtext=fontfile=$FONT:text='REPS %{eif\:trunc(t*0.7)\:d}':fontsize=h/9:fontcolor=white:borderw=3:x=w*0.05:y=h*0.05,drawtext=fontfile=$FONT:text='%{pts\:hms}':fontsize=h/13:fontcolor=yellow:borderw=2:x=w*0.5:y=h*0.85"

  # Another clip spliced into the middle (two cuts), scaled/cropped to the same frame.
  make "$OUT/${base}__splice.mp4" -i "$a" -i "$b" -filter_complex \
    "[0:v]split=2[a1][a2];[a1]trim=end=$mid,setpts=PTS-STARTPTS,setsar=1[p1];[a2]trim=start=$mid,setpts=PTS-STARTPTS,setsar=1[p3];[1:v]trim=start=1:end=3.5,setpts=PTS-STARTPTS,scale=$w:$h:force_original_aspect_ratio=increase,crop=$w:$h,fps=$fps,setsar=1[p2];[p1][p2][p3]concat=n=3:v=1:a=0[out]" \
    -map "[out]" -r "$fps"

  # Two clips side by side: two people for the whole video.
  make "$OUT/${base}__sidebyside.mp4" -i "$a" -i "$b" -filter_complex \
    "[0:v]scale=-2:$h,setsar=1[l];[1:v]scale=-2:$h,fps=$fps,setsar=1[r];[l][r]hstack=inputs=2:shortest=1,scale=trunc(iw/2)*2:trunc(ih/2)*2[out]" \
    -map "[out]" -r "$fps"

  # A 1.5 s segment starting at 1 s played 4 times in a row.
  make "$OUT/${base}__loop.mp4" -i "$a" -vf \
    "loop=loop=3:size=$loop_size:start=$loop_start,setpts=N/FRAME_RATE/TB" -r "$fps"

  # 2x playback at the same frame rate: every other frame dropped.
  make "$OUT/${base}__speedup2x.mp4" -i "$a" -vf "setpts=0.5*PTS" -r "$fps"
  make "$OUT/${base}__speedup3x.mp4" -i "$a" -vf "setpts=PTS/3" -r "$fps"

  # Every frame shown twice at the same frame rate.
  make "$OUT/${base}__duplicate.mp4" -i "$a" -vf "setpts=2.0*PTS" -r "$fps"
done
echo "tamper set in $OUT"

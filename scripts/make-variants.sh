#!/usr/bin/env bash
# Builds honest re-recordings of the shared clips: from each clip, ffmpeg makes what a
# different phone, light, encoder or orientation would have given for the same set. None
# of these edits adds, removes or reorders a moment of the athlete's movement, so the
# authenticity verdict must not block any of them (when the original is honest), the
# count must equal the original's truth and a jump height must stay within 3 cm.
#
#   <clip>__dark.mp4       dim light (about a third of the brightness) with sensor noise
#   <clip>__lowres.mp4     360p at a low bitrate (~300 kbit/s)
#   <clip>__mirror.mp4     mirrored left-right
#   <clip>__fps24.mp4      resampled to 24 fps (frames dropped)
#   <clip>__fps60.mp4      resampled to 60 fps (frames repeated, as a frame-rate conversion does)
#   <clip>__portrait.mp4   9:16 centre crop of a landscape clip (landscape clips only)
#   <clip>__sideways.mp4   pixels stored rotated 90 degrees with a rotation flag to undo it
#   <clip>__shake.mp4      mild hand-held shake: a slowly wandering 90% crop, scaled back
#   <clip>__titlecard.mp4  a 3 s title card (text on black, nobody in it) before the set
#                          and a 2 s outro card after it
#   <clip>__blurfill.mp4   re-framed for the other orientation (a 16:9 canvas whose long
#                          side is the clip's, turned) over a blurred, enlarged copy of itself
#   <clip>__tilt.mp4       a phone not held level: the picture turned 5 degrees clockwise,
#                          enlarged just enough (x1.15 for 16:9) to fill the frame
#
# Nothing is written into the repository: the set goes to a cache directory.
#
# Usage: scripts/make-variants.sh [SOURCE_DIR] [OUT_DIR]
#   SOURCE_DIR  default ../shared/videos next to the checkout (FITVISION_SHARED_VIDEOS overrides)
#   OUT_DIR     default /var/tmp/fitvision-variants (FITVISION_VARIANTS_DIR overrides)
#   FITVISION_VARIANT_CLIPS  space-separated clip names without .mp4 (default: every clip
#                            listed in SOURCE_DIR/ground_truth.json)
#   FITVISION_VARIANT_KINDS  space-separated subset of the variants above (default: all)
# Idempotent: existing outputs are kept (a half-written file is never left under its name).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="${1:-${FITVISION_SHARED_VIDEOS:-$REPO/../shared/videos}}"
OUT="${2:-${FITVISION_VARIANTS_DIR:-/var/tmp/fitvision-variants}}"
FONT="${FITVISION_TAMPER_FONT:-/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf}"
KINDS=" ${FITVISION_VARIANT_KINDS:-dark lowres mirror fps24 fps60 portrait sideways shake titlecard blurfill tilt} "

[[ -d "$SRC" ]] || { echo "source videos not found: $SRC" >&2; exit 1; }
[[ -f "$FONT" ]] || { echo "font not found: $FONT (set FITVISION_TAMPER_FONT)" >&2; exit 1; }
mkdir -p "$OUT"

if [[ -n "${FITVISION_VARIANT_CLIPS:-}" ]]; then
  read -r -a CLIPS <<<"$FITVISION_VARIANT_CLIPS"
else
  mapfile -t CLIPS < <(python3 -c "
import json, sys
for c in json.load(open(sys.argv[1])):
    print(c['file'].rsplit('.', 1)[0])
" "$SRC/ground_truth.json")
fi

ENC=(-c:v libx264 -preset veryfast -crf 20 -pix_fmt yuv420p -an -movflags +faststart)

probe() { # probe FILE FIELD
  ffprobe -v error -select_streams v:0 -show_entries "stream=$2" -of csv=p=0 "$1" | head -1
}

wanted() { [[ "$KINDS" == *" $1 "* ]]; }

# finish TMP OUT: moves a finished encode into place.
finish() { mv "$1" "$2"; echo "made $(basename "$2")"; }

for clip in "${CLIPS[@]}"; do
  src="$SRC/$clip.mp4"
  [[ -f "$src" ]] || { echo "missing $src" >&2; exit 1; }
  w=$(probe "$src" width); h=$(probe "$src" height); fps=$(probe "$src" r_frame_rate)
  # Size as displayed (a rotation flag on the source swaps it).
  rot=$(ffprobe -v error -select_streams v:0 -show_entries stream_side_data=rotation -of csv=p=0 "$src" | head -1)
  if [[ "${rot#-}" == 90 || "${rot#-}" == 270 ]]; then tmp_w=$w; w=$h; h=$tmp_w; fi

  out() { echo "$OUT/${clip}__$1.mp4"; }
  run() { # run KIND ffmpeg-args... (input is added by the caller)
    local kind="$1"; shift
    local target; target=$(out "$kind")
    if ! wanted "$kind" || [[ -s "$target" ]]; then return; fi
    ffmpeg -nostdin -loglevel error -y "$@" "$target.tmp.mp4"
    finish "$target.tmp.mp4" "$target"
  }

  # Dim light and a noisier sensor: highlights at 45%, mid-tones at 15% (a mid-grey
  # wall comes out near 40 of 255), temporal noise.
  run dark -i "$src" -vf "curves=all='0/0 0.5/0.15 1/0.45',noise=alls=12:allf=t+u" \
    -c:v libx264 -preset veryfast -crf 24 -pix_fmt yuv420p -an -movflags +faststart

  # 360 px on the short side, ~300 kbit/s: a cheap phone or a messaging app's re-encode.
  if (( w < h )); then scale="360:-2"; else scale="-2:360"; fi
  run lowres -i "$src" -vf "scale=$scale" -c:v libx264 -preset veryfast -b:v 300k \
    -maxrate 350k -bufsize 600k -pix_fmt yuv420p -an -movflags +faststart

  run mirror -i "$src" -vf hflip "${ENC[@]}"
  run fps24 -i "$src" -vf fps=24 "${ENC[@]}"
  run fps60 -i "$src" -vf fps=60 "${ENC[@]}"

  # Portrait centre crop (9:16) of a landscape clip, as a phone held upright would frame it.
  if (( w > h )); then
    run portrait -i "$src" -vf "crop=trunc(ih*9/16/2)*2:ih" "${ENC[@]}"
  fi

  # Stored sideways: pixels turned 90 degrees clockwise, and a display rotation that turns
  # them back (what phones write when filming in the other orientation).
  target=$(out sideways)
  if wanted sideways && [[ ! -s "$target" ]]; then
    ffmpeg -nostdin -loglevel error -y -i "$src" -vf "transpose=clock" "${ENC[@]}" "$target.raw.mp4"
    # The "rotate" tag of ffmpeg's mp4 muxer becomes the display matrix (checked: the
    # decoded, auto-rotated frames equal the source's).
    ffmpeg -nostdin -loglevel error -y -i "$target.raw.mp4" -c copy -metadata:s:v:0 rotate=90 \
      -movflags +faststart "$target.tmp.mp4"
    rm -f "$target.raw.mp4"
    finish "$target.tmp.mp4" "$target"
  fi

  # Hand-held shake: a 90% window wandering smoothly over the frame (two slow,
  # incommensurate sways), scaled back to the source size.
  run shake -i "$src" -vf "crop=trunc(iw*0.9/2)*2:trunc(ih*0.9/2)*2:x='(iw-ow)/2*(1+0.7*sin(2*PI*t*0.45))':y='(ih-oh)/2*(1+0.7*sin(2*PI*t*0.31+1.3))',scale=$w:$h,setsar=1" "${ENC[@]}"

  # Posted in the other orientation, as social apps re-frame a clip: a landscape set on
  # a portrait canvas (a portrait one on a landscape canvas), the clip fitted inside and
  # the rest filled with a blurred copy of it enlarged to cover the canvas. The copy holds
  # a large, blurred double of the athlete moving with them.
  if (( w > h )); then cw=$(( w * 9 / 32 * 2 )); ch=$(( w / 2 * 2 )); else cw=$(( h / 2 * 2 )); ch=$(( h * 9 / 32 * 2 )); fi
  blur=$(( (cw < ch ? cw : ch) / 32 + 1 ))
  run blurfill -i "$src" -filter_complex "[0:v]split[a][b];[a]scale=$cw:$ch:force_original_aspect_ratio=increase,crop=$cw:$ch,boxblur=$blur:2[fill];[b]scale=$cw:$ch:force_original_aspect_ratio=decrease,scale=trunc(iw/2)*2:trunc(ih/2)*2[clip];[fill][clip]overlay=(W-w)/2:(H-h)/2,setsar=1" "${ENC[@]}"

  # A phone not held level (propped on a bag, held in one hand): the picture turned by
  # 5 degrees and enlarged by the least factor that leaves no empty corner,
  # cos(a) + (long / short) * sin(a), as a straightening crop does.
  run tilt -i "$src" -vf "scale=iw*$(python3 -c "import math; a=math.radians(5); print(round(math.cos(a) + max($w,$h) / min($w,$h) * math.sin(a), 4))"):-1,rotate=5*PI/180:ow=$w:oh=$h:bilinear=1,setsar=1" "${ENC[@]}"

  # Title card before the set and an outro after it: text on black, nobody in frame.
  target=$(out titlecard)
  if wanted titlecard && [[ ! -s "$target" ]]; then
    size=$(( (w < h ? w : h) / 12 ))
    card() { # card TEXT SECONDS
      echo "color=c=black:s=${w}x${h}:r=$fps:d=$2,drawtext=fontfile=$FONT:text='$1':fontsize=$size:fontcolor=white:x=(w-tw)/2:y=(h-th)/2,format=yuv420p,setsar=1"
    }
    ffmpeg -nostdin -loglevel error -y -i "$src" \
      -f lavfi -i "$(card 'MY WORKOUT' 3)" -f lavfi -i "$(card 'THANKS FOR WATCHING' 2)" \
      -filter_complex "[0:v]fps=$fps,format=yuv420p,setsar=1[main];[1:v][main][2:v]concat=n=3:v=1:a=0[v]" \
      -map "[v]" "${ENC[@]}" "$target.tmp.mp4"
    finish "$target.tmp.mp4" "$target"
  fi
done
echo "variants in $OUT"

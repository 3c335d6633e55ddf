#!/usr/bin/env bash
# Sets everything up, then analyses a lift: the video you name, or a bundled sample.
#   bash scripts/run.sh                 # analyse a clip from sample_videos/
#   bash scripts/run.sh my_squat.mov    # analyse your own video
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

video="${1:-}"
if [ -z "$video" ]; then
  video=$(ls sample_videos/*.mp4 2>/dev/null | head -n 1 || true)
  if [ -z "$video" ]; then
    echo "run: sample_videos/ has no clip yet; name one: bash scripts/run.sh my_squat.mov" >&2
    exit 2
  fi
fi
out="results/$(basename "${video%.*}")"
.venv/bin/posturecheck analyse "$video" --out "$out" --force
echo "open $out/annotated.mp4 in a browser, or read $out/report.json"

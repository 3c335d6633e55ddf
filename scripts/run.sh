#!/usr/bin/env bash
# Sets everything up, then analyses a lift: the video you name, or a bundled sample.
#   bash scripts/run.sh                 # analyse a clip from sample_videos/
#   bash scripts/run.sh my_squat.mov    # analyse your own video
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

video="${1:-sample_videos/side_squat_faults.mp4}"
out="results/$(basename "${video%.*}")"
.venv/bin/posturecheck analyse "$video" --out "$out" --force
echo "open $out/annotated.mp4 in a browser, or read $out/report.json"

#!/usr/bin/env bash
# Sets everything up, analyses a lift (the video you name, or a bundled sample), then opens
# the web app on http://localhost:8501 (Ctrl-C stops it).
#   bash scripts/run.sh                      # bundled sample, then the app
#   bash scripts/run.sh my_squat.mov         # your own video, then the app
#   bash scripts/run.sh my_squat.mov --no-app
set -euo pipefail
cd "$(dirname "$0")/.."

video="sample_videos/side_squat_faults.mp4"
app=1
for arg in "$@"; do
  case "$arg" in
    -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --no-app) app=0 ;;
    -*) echo "run: unknown option $arg (try --help)" >&2; exit 2 ;;
    *) video="$arg" ;;
  esac
done
bash scripts/setup.sh
out="results/$(basename "${video%.*}")"
.venv/bin/posturecheck analyse "$video" --out "$out" --force
echo "results in $out/: annotated.mp4 (plays in a browser), report.json, metrics.csv"
if [ "$app" = 1 ]; then
  echo "starting the web app: open http://localhost:8501 (Ctrl-C to stop)"
  exec .venv/bin/streamlit run streamlit_app.py --server.headless true
fi

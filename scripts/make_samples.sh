#!/usr/bin/env sh
# Regenerate sample_videos/ (clips + ground-truth JSON) from the named presets.
# Needs the synth extra: pip install -e '.[synth]' (and the Mesa EGL packages, see README).
# Deterministic: every preset is seeded; rerunning rewrites the same ground truth.
set -eu
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python}"
export PYOPENGL_PLATFORM="${PYOPENGL_PLATFORM:-egl}"
"$PYTHON" -m posturecheck.synth sample_videos "$@"

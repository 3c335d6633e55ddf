#!/usr/bin/env bash
# Sets everything up (as run.sh does, plus the renderer's extra), then runs the linters and
# the whole test suite. Extra arguments go to pytest (e.g. -x, -k pattern, -m "not browser").
set -euo pipefail
cd "$(dirname "$0")/.."
POSTURECHECK_EXTRAS="${POSTURECHECK_EXTRAS:-dev,synth}" bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/python -m pytest "$@"

#!/usr/bin/env bash
# Installs everything posturecheck needs, idempotently:
#   Debian packages (OpenCV's libGL/glib, Chromium for the browser tests),
#   a virtualenv in .venv with posturecheck and the extras named in POSTURECHECK_EXTRAS
#   (default "dev": tests and linters; the test command adds "synth", the renderer),
#   the pose model in models/ (downloaded, or built offline from a PyPI wheel), and npm for the
#   optional lite and heavy models (built from MediaPipe's npm package when first asked for).
set -euo pipefail
cd "$(dirname "$0")/.."

# libGL/glib for OpenCV; Chromium for the browser tests; Mesa EGL for the renderer's tests.
APT_PACKAGES=(libgl1 libglib2.0-0 chromium chromium-driver
              libegl1 libegl-mesa0 libgl1-mesa-dri libgles2)

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
  done
  # npm (Node.js) fetches MediaPipe's package holding the lite and heavy pose models; most
  # machines have it already, so Debian's (large) npm package only where there is none.
  command -v npm >/dev/null 2>&1 || missing+=(npm)
fi
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
# Reinstall only when the project's dependencies or the extras asked for change.
extras="${POSTURECHECK_EXTRAS:-dev}"
stamp=.venv/.posturecheck-installed
want="$(sha256sum pyproject.toml | cut -d' ' -f1) $extras"
if [ ! -f "$stamp" ] || ! grep -qxF "$want" "$stamp"; then
  echo "setup: installing posturecheck[$extras] into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[$extras]"
  echo "$want" >> "$stamp"
fi

.venv/bin/posturecheck models

#!/usr/bin/env bash
# Screenshots of every screen in kk and ru, from the real kiosk window under
# Xvfb, at 1920×1080: docs/screens/<lang>-<screen>.png. PORTRAIT=1 adds
# 1080×1920 (<lang>-<screen>-portrait.png). PROBE=5s measures the camera screen
# (preview fps, longest UI-thread stall).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-bin/signkiosk}
out=${OUT:-docs/screens}
shoot() { # size suffix
  local w=${1%x*} h=${1#*x} disp=":$((90 + RANDOM % 9))"
  Xvfb "$disp" -screen 0 "${w}x${h}x24" -nolisten tcp >/dev/null 2>&1 &
  local xpid=$!
  sleep 1
  DISPLAY=$disp "$bin" screens --out "$out" --size "$1" --suffix "$2" ${PROBE:+--probe "$PROBE"} || { kill $xpid; exit 1; }
  kill $xpid
}
shoot 1920x1080 ""
if [ "${PORTRAIT:-}" = 1 ]; then shoot 1080x1920 "-portrait"; fi

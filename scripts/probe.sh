#!/usr/bin/env bash
# probe: what the kiosk costs on its idle and camera screens, against a
# full-screen Fyne "hello" window under the same Xvfb (docs/BENCHMARKS.md),
# and against the same window showing a changing 800×450 picture at the
# camera screen's preview rate: what any preview costs on this X server.
# CPU is utime+stime from /proc/PID/stat over SECONDS seconds after a settle;
# RSS is VmRSS at the end (of it, mapped files: the binary and libraries).
# Then SESSIONS whole demo sessions in a row, and the kiosk's memory once
# idle after them: flat means a visit leaves nothing behind.
# Usage: scripts/probe.sh (make probe builds first).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin/signkiosk}
HELLO=${HELLO:-bin/hello}
SECONDS_=${PROBE_SECONDS:-30}
SETTLE=${PROBE_SETTLE:-5}
FPS=${PROBE_FPS:-30}
SIZE=${PROBE_SIZE:-1920x1080}
TICKETS=${PROBE_TICKETS:-5}
SESSIONS=${PROBE_SESSIONS:-20}
out=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$out"' EXIT

if [ -z "${DISPLAY:-}" ]; then
  disp=:$((90 + RANDOM % 9))
  Xvfb "$disp" -screen 0 "${SIZE}x24" -nolisten tcp >/dev/null 2>&1 &
  export DISPLAY=$disp
  sleep 1
fi
hz=$(getconf CLK_TCK)

# measure NAME CMD...: start CMD, wait for its "probe: on" line, settle,
# then print "NAME cpu% rss_mb".
measure() {
  local name=$1; shift
  "$@" >"$out/$name.log" 2>&1 &
  local pid=$! i
  for i in $(seq 1 600); do
    grep -q '^probe: on' "$out/$name.log" 2>/dev/null && break
    kill -0 $pid 2>/dev/null || { echo "probe: $name exited early:" >&2; cat "$out/$name.log" >&2; exit 1; }
    sleep 0.1
  done
  sleep "$SETTLE"
  local t0 t1 w0 w1
  t0=$(awk '{print $14+$15}' /proc/$pid/stat); w0=$(date +%s.%N)
  sleep "$SECONDS_"
  t1=$(awk '{print $14+$15}' /proc/$pid/stat); w1=$(date +%s.%N)
  local rss file; rss=$(awk '/^VmRSS/{print $2}' /proc/$pid/status); file=$(awk '/^RssFile/{print $2}' /proc/$pid/status)
  kill $pid; wait $pid 2>/dev/null || true
  local fps; fps=$(sed -n 's/^probe: preview \([0-9.]*\) fps.*/\1/p' "$out/$name.log")
  awk -v n="$name" -v a="$t0" -v b="$t1" -v w0="$w0" -v w1="$w1" -v hz="$hz" -v r="$rss" -v fl="$file" -v f="${fps:--}" \
    'BEGIN{printf "%-22s cpu %5.1f %%  rss %4.0f MB  preview %s fps  (rss of mapped files %.0f MB)\n", n, 100*(b-a)/hz/(w1-w0), r/1024, f, fl/1024}'
}

echo "probe: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), Xvfb $SIZE, ${SECONDS_} s each"
{
  measure hello "$HELLO"
  measure hello+preview800@15 "$HELLO" -preview 800x450 -fps 15
  measure idle-synthetic "$BIN" probe --screen idle --camera synthetic --fps 15
  measure idle-mjpeg720p30 "$BIN" probe --screen idle --camera simulated-v4l2 --fps "$FPS"
  measure camera-synthetic "$BIN" probe --screen camera --camera synthetic --fps 15
  measure camera-mjpeg720p30 "$BIN" probe --screen camera --camera simulated-v4l2 --fps "$FPS"
} | tee "$out/table"
awk 'NR==1{hc=$3; hr=$6} NR==2{pc=$3} NR>2{printf "%-22s cpu %+5.1f points over hello (%+5.1f over hello+preview), rss %+4.0f MB over hello\n", $1, $3-hc, $3-pc, $6-hr}' "$out/table"
grep -h '^probe: mjpeg decoder' "$out/idle-mjpeg720p30.log" || true

# A ticket held up to the camera on the idle screen: how soon the kiosk
# shows the welcome screen.
for cam in synthetic simulated-v4l2; do
  fps=$FPS; [ $cam = synthetic ] && fps=15
  "$BIN" probe --screen idle --camera $cam --fps $fps --tickets "$TICKETS" --for 1ms 2>&1 | grep '^probe: [0-9]' | sed "s/^probe:/probe: $cam:/"
done

# Whole sessions in a row on the demo camera, then idle as between visits.
"$BIN" probe --screen idle --camera synthetic --fps 15 --sessions "$SESSIONS" --for 1ms 2>&1 |
  grep "^probe: sessions: \(before\|after 5:\|after $SESSIONS:\|[0-9]* whole\|idle\)" | tee "$out/sessions"
awk 'NR==FNR{if(FNR==1) hr=$6; next} / idle /{for(i=1;i<=NF;i++) if($i=="rss"){printf "probe: sessions: idle after %s sessions: rss %+.0f MB over hello\n", n, $(i+1)-hr}}' n="$SESSIONS" "$out/table" "$out/sessions"

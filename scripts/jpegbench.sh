#!/usr/bin/env bash
# jpegbench: the kiosk's MJPEG decoder against libjpeg-turbo's own tjbench
# on one 1280×720 4:2:2 frame (a webcam's), full size and 1/2, 1/4, one
# core, in the same run (docs/BENCHMARKS.md). Usage: make jpegbench.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
frame=$out/frame.jpg
convert -size 1280x720 plasma:fractal -seed 7 -attenuate 0.4 +noise Gaussian \
  -sampling-factor 2x1 -quality 85 "$frame"
echo "jpegbench: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), frame $(stat -c %s "$frame") bytes"
declare -A tj
for s in 1/1 1/2 1/4; do
  fps=$(taskset -c 0 tjbench "$frame" -yuv -scale "$s" -benchtime 3 -warmup 1 | sed -n 's/^Decomp to YUV --> Frame rate: *\([0-9.]*\).*/\1/p')
  tj[$s]=$(awk -v f="$fps" 'BEGIN{printf "%.3f", 1000/f}')
done
go_out=$(MJPEG_BENCH_FRAME=$frame ${GO:-go} test -run '^$' -bench '^BenchmarkMJPEGDecoder$' -benchtime 3s -cpu 1 ./camera/)
for s in 1/1 1/2 1/4; do
  ns=$(echo "$go_out" | awk -v k="BenchmarkMJPEGDecoder/scale-$s" '$1==k{print $3}')
  awk -v s="$s" -v ns="$ns" -v tj="${tj[$s]}" \
    'BEGIN{printf "jpegbench: scale %-4s kiosk %.2f ms  tjbench %.2f ms  ratio %.2f\n", s, ns/1e6, tj, ns/1e6/tj}'
done
echo "$go_out" | awk '$1=="BenchmarkMJPEGDecoder/image-jpeg"{printf "jpegbench: image/jpeg (the fallback) %.2f ms\n", $3/1e6}'
